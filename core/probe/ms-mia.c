/* Membership-inference scores: packed forward passes give per-token losses, from which each
 * example's scores are computed on the host. */
#include "ms-mia.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

const char *
ms_mia_signal_name (MsMiaSignal s)
{
  static const char *names[] = { "loss", "reference", "zlib", "min_k" };
  return s < MS_MIA_N ? names[s] : "?";
}

double
ms_mia_signal (MsMiaSignal s, const MsMiaScores *model, const MsMiaScores *base)
{
  switch (s)
    {
    case MS_MIA_LOSS: return -model->loss;
    case MS_MIA_REFERENCE: return base && base->loss > 0 ? -model->loss / base->loss : NAN;
    case MS_MIA_ZLIB: return -model->zlib_ratio;
    case MS_MIA_MIN_K: return model->min_k;
    default: return NAN;
    }
}

static int
cmp_desc (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* The text the scored tokens stand for, for its zlib size. */
static gsize
zlib_bits (const MsExample *ex, gboolean response_only)
{
  const MsRecord *r = ex->record;
  g_autofree char *text = response_only ? g_strdup (r->output)
                                        : g_strconcat (r->input, "\n", r->output, NULL);
  gsize len = strlen (text);
  uLongf out_len = compressBound (len);
  g_autofree Bytef *out = g_malloc (out_len);
  if (compress2 (out, &out_len, (const Bytef *) text, len, 9) != Z_OK)
    return len * 8;
  return out_len * 8;
}

static void
finish (const MsExample *ex, gboolean response_only, double k_frac, GArray *losses,
        MsMiaScores *out)
{
  int n = losses->len;
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += g_array_index (losses, double, i);
  /* Min-K%: the K% highest losses are the least likely tokens; their mean log-probability. */
  qsort (losses->data, n, sizeof (double), cmp_desc);
  int k = MAX (1, (int) ceil (k_frac * n));
  double worst = 0;
  for (int i = 0; i < k && i < n; i++)
    worst += g_array_index (losses, double, i);
  out->n_tokens = n;
  out->loss = n ? sum / n : NAN;
  out->min_k = n ? -worst / MIN (k, n) : NAN;
  out->zlib_ratio = n ? (sum / G_LN2) / zlib_bits (ex, response_only) : NAN;
}

gboolean
ms_mia_score (MsGpt *gpt, const MsExample *const *examples, int n, gboolean response_only,
              double k_frac, int B, int T, MsMiaScores *out, GError **error)
{
  gsize bt = (gsize) B * T;
  g_autofree int *tokens = g_new (int, bt), *targets = g_new (int, bt), *seg = g_new (int, bt);
  g_autofree int *owner = g_new (int, bt);
  for (int i = 0; i < n; i++)
    out[i] = (MsMiaScores) { NAN, NAN, NAN, 0 };
  int next = 0;
  while (next < n)
    {
      /* Fill a batch: whole examples back to back, each its own segment; pads are EOT-free
       * one-token segments with no target. */
      int row = 0, col = 0;
      for (gsize i = 0; i < bt; i++)
        {
          tokens[i] = 0;
          targets[i] = -1;
          seg[i] = i % T;
          owner[i] = -1;
        }
      while (next < n && row < B)
        {
          const MsExample *ex = examples[next];
          if (ex->n_tokens > T)
            {
              g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                           "sample %s has %d tokens, more than the %d of a row", ex->record->id,
                           ex->n_tokens, T);
              return FALSE;
            }
          if (col + ex->n_tokens > T)
            {
              row++;
              col = 0;
              continue;
            }
          int first = response_only ? ex->output_start : 1;
          for (int t = 0; t < ex->n_tokens; t++)
            {
              gsize i = (gsize) row * T + col + t;
              tokens[i] = ex->tokens[t];
              seg[i] = col;
              /* Position t predicts token t + 1. */
              if (t + 1 < ex->n_tokens && t + 1 >= first)
                {
                  targets[i] = ex->tokens[t + 1];
                  owner[i] = next;
                }
            }
          col += ex->n_tokens;
          next++;
        }
      if (!ms_gpt_forward_segments (gpt, tokens, seg, targets, B, T, error))
        return FALSE;
      const float *l = ms_gpt_losses (gpt);
      /* Group the losses by example, in order (an example never spans batches). */
      int cur = -1;
      g_autoptr (GArray) acc = g_array_new (FALSE, FALSE, sizeof (double));
      for (gsize i = 0; i <= bt; i++)
        {
          int o = i < bt ? owner[i] : -2;
          if (o == -1)
            continue;
          if (o != cur)
            {
              if (cur >= 0)
                finish (examples[cur], response_only, k_frac, acc, &out[cur]);
              g_array_set_size (acc, 0);
              cur = o;
            }
          if (o >= 0)
            {
              double v = l[i];
              g_array_append_val (acc, v);
            }
        }
    }
  return TRUE;
}
