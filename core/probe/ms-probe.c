/* Running the probes: prompts of similar length are batched together (less padding), each
 * batch is one call to the cached generator, and each result is scored and handed on. */
#include "ms-probe.h"

#include <stdlib.h>
#include <string.h>

#include "model/ms-generate.h"

void
ms_probe_config_init (MsProbeConfig *cfg)
{
  *cfg = (MsProbeConfig) { .k = 32, .n = 32, .min_input = 0, .target_max_new = 64, .batch = 32 };
}

const char *
ms_probe_kind_name (MsProbeKind kind)
{
  return kind == MS_PROBE_INPUT ? "input" : "target";
}

static int
prompt_length (const MsExample *ex, MsProbeKind kind, const MsProbeConfig *cfg)
{
  return kind == MS_PROBE_INPUT ? ex->input_start + cfg->k : ex->prompt_len;
}

static int
reference_length (const MsExample *ex, MsProbeKind kind, const MsProbeConfig *cfg)
{
  return kind == MS_PROBE_INPUT ? cfg->n : ex->output_end - ex->output_start;
}

gboolean
ms_probe_eligible (const MsExample *ex, MsProbeKind kind, const MsProbeConfig *cfg,
                   int max_seq_len)
{
  if (kind == MS_PROBE_INPUT)
    {
      int need = MAX (cfg->min_input, cfg->k + cfg->n);
      return ex->input_end - ex->input_start >= need
             && ex->input_start + cfg->k + cfg->n <= max_seq_len;
    }
  int ref = ex->output_end - ex->output_start;
  return ref > 0 && ex->prompt_len + MIN (ref + 1, cfg->target_max_new) <= max_seq_len;
}

typedef struct {
  const MsProbeItem *item;
  int prompt_len;
} Order;

static int
by_prompt_length (const void *a, const void *b)
{
  const Order *x = a, *y = b;
  if (x->prompt_len != y->prompt_len)
    return x->prompt_len - y->prompt_len;
  return x->item < y->item ? -1 : x->item > y->item;
}

static char *
decode (MsBpe *bpe, const gint32 *ids, int n, GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  if (!ms_bpe_decode (bpe, (const guint32 *) ids, n, bytes, error))
    return NULL;
  g_byte_array_append (bytes, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&bytes), FALSE);
}

gboolean
ms_probe_run (MsGpt *gpt, MsBpe *bpe, const MsProbeItem *items, int n_items,
              const MsProbeConfig *cfg, MsProbeResultFunc on_result,
              MsProbeProgressFunc progress, gpointer user, const MsProbeObserver *observer,
              volatile gint *cancel, GError **error)
{
  int maxT = ms_gpt_config (gpt)->max_seq_len, eot = ms_bpe_eot (bpe);
  if (cfg->k < 1 || cfg->n < 1 || cfg->batch < 1 || cfg->target_max_new < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "probe settings need k, n, batch and target_max_new ≥ 1");
      return FALSE;
    }
  g_autofree Order *order = g_new (Order, MAX (n_items, 1));
  for (int i = 0; i < n_items; i++)
    {
      if (!ms_probe_eligible (items[i].example, items[i].kind, cfg, maxT))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "sample %s (line %u) is too short or too long for %s extraction "
                       "(k=%d, n=%d, context %d)", items[i].example->record->id,
                       items[i].example->record->line, ms_probe_kind_name (items[i].kind),
                       cfg->k, cfg->n, maxT);
          return FALSE;
        }
      order[i] = (Order) { &items[i], prompt_length (items[i].example, items[i].kind, cfg) };
    }
  /* Input probes first, then target probes, each by prompt length. */
  qsort (order, n_items, sizeof *order, by_prompt_length);
  g_autofree Order *sorted = g_new (Order, MAX (n_items, 1));
  int at = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n_items; i++)
      if ((order[i].item->kind == MS_PROBE_INPUT) == (pass == 0))
        sorted[at++] = order[i];

  int B = cfg->batch;
  g_autofree const int **prompts = g_new (const int *, B);
  g_autofree int *lens = g_new (int, B), *out_lens = g_new (int, B);
  g_autofree int **owned = g_new0 (int *, B);
  for (int start = 0; start < n_items; start += B)
    {
      if (cancel && g_atomic_int_get (cancel))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_CANCELLED, "probing cancelled");
          return FALSE;
        }
      int rows = MIN (B, n_items - start);
      /* A batch holds one kind (the sort put them apart; a mixed batch is split), and its
       * longest prompt (the last: sorted by length) plus its longest continuation must fit
       * the context, which each row does alone but a batch need not. */
      MsProbeKind kind = sorted[start].item->kind;
      int widest = 0;
      for (int r = 0; r < rows; r++)
        {
          const MsProbeItem *it = sorted[start + r].item;
          int ref = reference_length (it->example, kind, cfg);
          int want = kind == MS_PROBE_INPUT ? ref : MIN (ref + 1, cfg->target_max_new);
          if (it->kind != kind
              || (r > 0 && sorted[start + r].prompt_len + MAX (widest, want) > maxT))
            {
              rows = r;
              break;
            }
          widest = MAX (widest, want);
        }
      int max_new = 0;
      for (int r = 0; r < rows; r++)
        {
          const MsExample *ex = sorted[start + r].item->example;
          lens[r] = sorted[start + r].prompt_len;
          owned[r] = g_new (int, lens[r]);
          for (int t = 0; t < lens[r]; t++)
            owned[r][t] = ex->tokens[t];
          prompts[r] = owned[r];
          int ref = reference_length (ex, kind, cfg);
          max_new = MAX (max_new, kind == MS_PROBE_INPUT ? ref : MIN (ref + 1, cfg->target_max_new));
        }
      MsGenerateOptions opt = { .max_new_tokens = max_new, .stop_tokens = &eot,
                                .n_stop_tokens = eot >= 0 ? 1 : 0 };
      g_autofree int *out = g_new (int, (gsize) rows * max_new);
      g_autofree const MsProbeItem **batch = g_new (const MsProbeItem *, (gsize) MAX (rows, 1));
      for (int r = 0; r < rows; r++)
        batch[r] = sorted[start + r].item;
      gboolean ok = (!observer || !observer->before
                     || observer->before (observer->user, rows, batch, lens, error))
                    && ms_gpt_generate (gpt, rows, prompts, lens, &opt, out, out_lens, error)
                    && (!observer || !observer->after
                        || observer->after (observer->user, rows, out_lens, error));
      for (int r = 0; r < rows; r++)
        g_clear_pointer (&owned[r], g_free);
      if (!ok)
        return FALSE;

      for (int r = 0; r < rows; r++)
        {
          const MsProbeItem *item = sorted[start + r].item;
          const MsExample *ex = item->example;
          int ref_len = reference_length (ex, kind, cfg);
          int ref_start = kind == MS_PROBE_INPUT ? ex->input_start + cfg->k : ex->output_start;
          int gen_len = out_lens[r];
          g_autofree gint32 *ref = g_new (gint32, MAX (ref_len, 1));
          g_autofree gint32 *gen = g_new (gint32, MAX (gen_len, 1));
          for (int t = 0; t < ref_len; t++)
            ref[t] = ex->tokens[ref_start + t];
          for (int t = 0; t < gen_len; t++)
            gen[t] = out[(gsize) r * max_new + t];
          g_autofree char *ref_text = decode (bpe, ref, ref_len, error);
          g_autofree char *gen_text = ref_text ? decode (bpe, gen, gen_len, error) : NULL;
          if (gen_text == NULL)
            return FALSE;
          MsProbeResult res = { item, r, sorted[start + r].prompt_len, ref, ref_len, gen,
                                gen_len, ref_text, gen_text };
          if (!ms_sample_scores_compute (ref, ref_len, gen, gen_len, ref_text, -1, gen_text, -1,
                                         NULL, &res.scores, error)
              || !on_result (&res, user, error))
            return FALSE;
        }
      if (progress)
        progress (start + rows, n_items, user);
      start -= B - rows;  /* a split batch continues right after its last row */
    }
  return TRUE;
}
