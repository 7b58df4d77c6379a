/* Packing examples into (B, T) training batches. The only state besides the mixer is the one
 * example drawn but not placed (it did not fit in the rest of a row, so it opens the next one)
 * and the counters; saving them makes a resumed run see the very same rows. */
#include "train/ms-batcher.h"

#include <string.h>

#include "common/ms-error.h"

#define STATE_MAGIC "MSBATCH1"

struct _MsBatcher {
  int n;                    /* tasks */
  GArray **examples;        /* (n) GArray of MsExample, referenced */
  MsMixer *mixer;           /* owned; NULL in sequential mode */
  int B, T;
  gboolean response_only, pack;
  int eot;
  guint64 *tokens_trained;  /* (n) */
  guint64 *n_examples;      /* (n) */
  guint64 *skipped;         /* (n) examples longer than T */
  guint64 fingerprint;      /* of the examples, to refuse a state saved over other data */
  gboolean has_pending;     /* an example drawn that opens the next row */
  int pending_task;
  gsize pending_index;
  int seq_task;             /* sequential mode: the next example to give */
  gsize seq_index;
};

static guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static const MsExample *
example_at (const MsBatcher *b, int task, gsize index)
{
  return &g_array_index (b->examples[task], MsExample, index);
}

void
ms_batcher_free (MsBatcher *b)
{
  if (b == NULL)
    return;
  for (int i = 0; i < b->n; i++)
    if (b->examples[i])
      g_array_unref (b->examples[i]);
  g_free (b->examples);
  ms_mixer_free (b->mixer);
  g_free (b->tokens_trained);
  g_free (b->n_examples);
  g_free (b->skipped);
  g_free (b);
}

/* Checks the sizes and every example, counts those too long for T and fingerprints them. */
static MsBatcher *
batcher_new (GArray **examples, int n_tasks, MsMixer *mixer, int B, int T,
             gboolean response_only, int eot, GError **error)
{
  if (n_tasks < 1 || B < 1 || T < 2 || eot < 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "batcher over %d tasks with B = %d, T = %d, "
                   "EOT %d: expected at least one task, B >= 1, T >= 2 and EOT >= 0", n_tasks, B,
                   T, eot);
      ms_mixer_free (mixer);
      return NULL;
    }
  g_autoptr (MsBatcher) b = g_new0 (MsBatcher, 1);
  b->n = n_tasks;
  b->mixer = mixer;
  b->B = B;
  b->T = T;
  b->response_only = response_only;
  b->pack = TRUE;
  b->eot = eot;
  b->examples = g_new0 (GArray *, n_tasks);
  b->tokens_trained = g_new0 (guint64, n_tasks);
  b->n_examples = g_new0 (guint64, n_tasks);
  b->skipped = g_new0 (guint64, n_tasks);
  guint64 h = mix64 ((guint64) n_tasks);
  for (int i = 0; i < n_tasks; i++)
    {
      g_return_val_if_fail (examples[i] != NULL
                            && g_array_get_element_size (examples[i]) == sizeof (MsExample),
                            NULL);
      b->examples[i] = g_array_ref (examples[i]);
      h = mix64 (h + examples[i]->len);
      for (guint k = 0; k < examples[i]->len; k++)
        {
          const MsExample *ex = example_at (b, i, k);
          if (ex->n_tokens < 1 || ex->tokens == NULL || ex->output_start < 0
              || ex->output_start > ex->n_tokens - 1
              || ex->tokens[ex->n_tokens - 1] != (guint32) eot)
            {
              g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "example %u of task %d is not a "
                           "tokenized example ending in EOT %d (%d tokens, output from %d)", k, i,
                           eot, ex->n_tokens, ex->output_start);
              return NULL;
            }
          if (ex->n_tokens > T)
            b->skipped[i]++;
          h = mix64 (h + (guint64) ex->n_tokens);
          h = mix64 (h + (guint64) ex->output_start);
          for (int t = 0; t < ex->n_tokens; t++)
            h = mix64 (h + ex->tokens[t]);
        }
    }
  b->fingerprint = h;
  return g_steal_pointer (&b);
}

MsBatcher *
ms_batcher_new (GArray **examples, int n_tasks, MsMixer *mixer, int B, int T,
                gboolean response_only, int eot, GError **error)
{
  g_return_val_if_fail (mixer != NULL, NULL);
  if (ms_mixer_n_tasks (mixer) != n_tasks)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "the mixer has %d tasks, the batcher %d",
                   ms_mixer_n_tasks (mixer), n_tasks);
      ms_mixer_free (mixer);
      return NULL;
    }
  g_autoptr (MsBatcher) b = batcher_new (examples, n_tasks, mixer, B, T, response_only, eot,
                                         error);
  if (b == NULL)
    return NULL;
  const gsize *sizes = ms_mixer_sizes (mixer);
  const double *rates = ms_mixer_rates (mixer);
  for (int i = 0; i < n_tasks; i++)
    {
      if (sizes[i] != examples[i]->len)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "task %d has %u examples but its "
                       "mixer was made for %zu", i, examples[i]->len, sizes[i]);
          return NULL;
        }
      /* Otherwise drawing for a batch could go on for ever. */
      if (rates[i] > 0 && b->skipped[i] == examples[i]->len)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "all %u examples of task %d are longer "
                       "than the sequence length T = %d", examples[i]->len, i, T);
          return NULL;
        }
    }
  return g_steal_pointer (&b);
}

MsBatcher *
ms_batcher_new_sequential (GArray **examples, int n_tasks, int B, int T, gboolean response_only,
                           int eot, GError **error)
{
  return batcher_new (examples, n_tasks, NULL, B, T, response_only, eot, error);
}

void
ms_batcher_set_packing (MsBatcher *b, gboolean pack)
{
  b->pack = pack;
}

int
ms_batcher_B (const MsBatcher *b)
{
  return b->B;
}

int
ms_batcher_T (const MsBatcher *b)
{
  return b->T;
}

MsMixer *
ms_batcher_mixer (MsBatcher *b)
{
  return b->mixer;
}

const guint64 *
ms_batcher_tokens_trained (const MsBatcher *b)
{
  return b->tokens_trained;
}

const guint64 *
ms_batcher_examples (const MsBatcher *b)
{
  return b->n_examples;
}

const guint64 *
ms_batcher_skipped (const MsBatcher *b)
{
  return b->skipped;
}

/* The next example that fits in T, or FALSE when the sequential pass is over. */
static gboolean
next_example (MsBatcher *b, int *task, gsize *index)
{
  if (b->has_pending)
    {
      b->has_pending = FALSE;
      *task = b->pending_task;
      *index = b->pending_index;
      return TRUE;
    }
  if (b->mixer)
    for (;;)
      {
        ms_mixer_next (b->mixer, task, index);
        if (example_at (b, *task, *index)->n_tokens <= b->T)
          return TRUE;
      }
  while (b->seq_task < b->n)
    {
      if (b->seq_index >= b->examples[b->seq_task]->len)
        {
          b->seq_task++;
          b->seq_index = 0;
          continue;
        }
      *task = b->seq_task;
      *index = b->seq_index++;
      if (example_at (b, *task, *index)->n_tokens <= b->T)
        return TRUE;
    }
  return FALSE;
}

/* Writes example (TASK, INDEX) at row position AT (a flat offset into the (B, T) arrays). */
static void
place (MsBatcher *b, int task, gsize index, gsize at, int *tokens, int *targets, int *task_of,
       int *example_of)
{
  const MsExample *ex = example_at (b, task, index);
  int n = ex->n_tokens;
  for (int k = 0; k < n; k++)
    tokens[at + k] = (int) ex->tokens[k];
  if (task_of)
    for (int k = 0; k < n; k++)
      task_of[at + k] = task;
  if (example_of)
    for (int k = 0; k < n; k++)
      example_of[at + k] = (int) index;
  /* Position k predicts token k+1 of the same example; response-only keeps the predictions of
   * output tokens and of the final EOT, i.e. k + 1 >= output_start. The EOT predicts nothing. */
  int first = b->response_only ? MAX (ex->output_start - 1, 0) : 0;
  for (int k = first; k < n - 1; k++)
    targets[at + k] = (int) ex->tokens[k + 1];
  if (n - 1 > first)
    b->tokens_trained[task] += (guint64) (n - 1 - first);
  b->n_examples[task]++;
}

int
ms_batcher_next_full (MsBatcher *b, int *tokens, int *targets, int *task_of, int *example_of)
{
  gsize total = (gsize) b->B * b->T;
  for (gsize k = 0; k < total; k++)
    {
      tokens[k] = b->eot;
      targets[k] = -1;
    }
  if (task_of)
    for (gsize k = 0; k < total; k++)
      task_of[k] = -1;
  if (example_of)
    for (gsize k = 0; k < total; k++)
      example_of[k] = -1;

  int packed = 0;
  for (int r = 0; r < b->B; r++)
    {
      int pos = 0;
      while (pos < b->T)
        {
          int task;
          gsize index;
          if (!next_example (b, &task, &index))
            return packed;
          int n = example_at (b, task, index)->n_tokens;
          if (n > b->T - pos)
            {
              b->has_pending = TRUE;
              b->pending_task = task;
              b->pending_index = index;
              break;
            }
          place (b, task, index, (gsize) r * b->T + pos, tokens, targets, task_of, example_of);
          pos += n;
          packed++;
          if (!b->pack)
            break;
        }
    }
  return packed;
}

int
ms_batcher_next (MsBatcher *b, int *tokens, int *targets, int *task_of)
{
  return ms_batcher_next_full (b, tokens, targets, task_of, NULL);
}

/* ---- state ---------------------------------------------------------------------------- */

static void
put_u64 (GByteArray *a, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_byte_array_append (a, (const guint8 *) &le, 8);
}

typedef struct {
  const guint8 *p;
  gsize len, at;
  gboolean ok;
} Reader;

static guint64
get_u64 (Reader *r)
{
  if (r->at + 8 > r->len)
    {
      r->ok = FALSE;
      return 0;
    }
  guint64 v;
  memcpy (&v, r->p + r->at, 8);
  r->at += 8;
  return GUINT64_FROM_LE (v);
}

GBytes *
ms_batcher_save_state (const MsBatcher *b)
{
  GByteArray *a = g_byte_array_new ();
  g_byte_array_append (a, (const guint8 *) STATE_MAGIC, 8);
  put_u64 (a, b->mixer ? 0 : 1);
  put_u64 (a, (guint64) b->n);
  put_u64 (a, (guint64) b->T);
  put_u64 (a, (guint64) b->response_only);
  put_u64 (a, (guint64) b->pack);
  put_u64 (a, (guint64) b->eot);
  put_u64 (a, b->fingerprint);
  put_u64 (a, (guint64) b->has_pending);
  put_u64 (a, (guint64) b->pending_task);
  put_u64 (a, (guint64) b->pending_index);
  put_u64 (a, (guint64) b->seq_task);
  put_u64 (a, (guint64) b->seq_index);
  for (int i = 0; i < b->n; i++)
    {
      put_u64 (a, b->tokens_trained[i]);
      put_u64 (a, b->n_examples[i]);
    }
  if (b->mixer)
    {
      g_autoptr (GBytes) ms = ms_mixer_save_state (b->mixer);
      put_u64 (a, g_bytes_get_size (ms));
      g_byte_array_append (a, g_bytes_get_data (ms, NULL), g_bytes_get_size (ms));
    }
  return g_byte_array_free_to_bytes (a);
}

static gboolean
mismatch (GError **error, const char *what, guint64 saved, guint64 now)
{
  g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "the batcher state was saved with %s %"
               G_GUINT64_FORMAT ", this batcher has %" G_GUINT64_FORMAT, what, saved, now);
  return FALSE;
}

static gboolean
truncated (GError **error, gsize len)
{
  g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "batcher state of %zu bytes: truncated or "
               "with extra bytes", len);
  return FALSE;
}

gboolean
ms_batcher_restore_state (MsBatcher *b, GBytes *state, GError **error)
{
  Reader r = { .ok = TRUE };
  r.p = g_bytes_get_data (state, &r.len);
  if (r.len < 8 || memcmp (r.p, STATE_MAGIC, 8) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "not a batcher state (%zu bytes, expected "
                   "the magic %s)", r.len, STATE_MAGIC);
      return FALSE;
    }
  r.at = 8;
  guint64 sequential = get_u64 (&r), n = get_u64 (&r), T = get_u64 (&r);
  guint64 response_only = get_u64 (&r), pack = get_u64 (&r), eot = get_u64 (&r);
  guint64 fingerprint = get_u64 (&r);
  guint64 has_pending = get_u64 (&r), pending_task = get_u64 (&r), pending_index = get_u64 (&r);
  guint64 seq_task = get_u64 (&r), seq_index = get_u64 (&r);
  if (!r.ok)
    return truncated (error, r.len);
  if (sequential != (b->mixer == NULL))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "the batcher state is of a %s batcher, "
                   "this one is %s", sequential ? "sequential" : "mixing",
                   b->mixer ? "mixing" : "sequential");
      return FALSE;
    }
  if (n != (guint64) b->n)
    return mismatch (error, "tasks", n, (guint64) b->n);
  if (T != (guint64) b->T)
    return mismatch (error, "sequence length T", T, (guint64) b->T);
  if (response_only != (guint64) b->response_only)
    return mismatch (error, "response-only masking", response_only, (guint64) b->response_only);
  if (pack != (guint64) b->pack)
    return mismatch (error, "packing", pack, (guint64) b->pack);
  if (eot != (guint64) b->eot)
    return mismatch (error, "EOT token", eot, (guint64) b->eot);
  if (fingerprint != b->fingerprint)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "the batcher state was saved over other "
                   "examples (their tokens or spans differ)");
      return FALSE;
    }
  if (has_pending > 1 || (has_pending && (pending_task >= n || pending_index
                                          >= b->examples[pending_task]->len
                                          || example_at (b, (int) pending_task, pending_index)
                                             ->n_tokens > b->T))
      || seq_task > n)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "batcher state: carried-over example or "
                   "cursor out of range");
      return FALSE;
    }
  g_autofree guint64 *trained = g_new (guint64, b->n);
  g_autofree guint64 *counted = g_new (guint64, b->n);
  for (int i = 0; i < b->n; i++)
    {
      trained[i] = get_u64 (&r);
      counted[i] = get_u64 (&r);
    }
  if (b->mixer)
    {
      guint64 mlen = get_u64 (&r);
      if (!r.ok || mlen != r.len - r.at)
        return truncated (error, r.len);
      g_autoptr (GBytes) ms = g_bytes_new_from_bytes (state, r.at, mlen);
      if (!ms_mixer_restore_state (b->mixer, ms, error))
        return FALSE;
    }
  else if (!r.ok || r.at != r.len)
    return truncated (error, r.len);
  b->has_pending = has_pending != 0;
  b->pending_task = (int) pending_task;
  b->pending_index = (gsize) pending_index;
  b->seq_task = (int) seq_task;
  b->seq_index = (gsize) seq_index;
  memcpy (b->tokens_trained, trained, b->n * sizeof (guint64));
  memcpy (b->n_examples, counted, b->n * sizeof (guint64));
  return TRUE;
}
