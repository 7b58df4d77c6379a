/* Attention statistics accumulated on the device from the model's attention hook, and the
 * capture of chosen attention maps. Kernels in kernels/analysis.cl; the host only tracks
 * which positions each pass covers. */
#include "ms-attention.h"

#include <math.h>
#include <string.h>

/* Sorting space per launch of the statistics kernel, in floats: a long prefill is covered by
 * several launches rather than one scratch as large as the attention tensor. */
#define SCRATCH_FLOATS (4u << 20)

struct _MsAttentionStats {
  MsDevice *dev;
  int max_b, L, NH, top_k;
  int B;                   /* rows of the current batch */
  int *starts, *split;     /* (B) host copies */
  gboolean split_known;    /* given at reset, or set by the first pass */
  MsBuffer *starts_buf;    /* int (max_b) */
  MsBuffer *split_buf;     /* int (max_b) */
  MsBuffer *sums;          /* (max_b, L, NH, 4) prompt sums */
  MsBuffer *gen;           /* (G, B, L, NH, 4) statistics of each generated position */
  gsize gen_cap;           /* floats */
  MsBuffer *qst;           /* (B, NH, Tq, 4) per-query prompt statistics of one pass */
  gsize qst_cap;           /* floats */
  MsBuffer *scratch;       /* sorting space, (rows, Sk) */
  gsize scratch_cap;       /* floats */
  MsBuffer *counts_buf;    /* int (L, max_b, 3) for the finish kernel: prompt count, g0, g1 */
  MsBuffer *out;           /* (max_b, L, NH, 2, 4) */
  int *done;               /* (L) positions below done[l] are counted for layer l */
  int *first;              /* (L) the first position of layer l's first pass */
  int *n_prompt;           /* (L, max_b) prompt queries counted */
  guint64 seen;            /* layers that had a pass since the reset */
};

MsAttentionStats *
ms_attention_stats_new (MsDevice *dev, int max_b, int L, int NH, int top_k, GError **error)
{
  if (max_b < 1 || L < 1 || L > 64 || NH < 1 || top_k < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "attention statistics for %d rows, %d layers, %d heads, top-%d: need at "
                   "least one of each, at most 64 layers", max_b, L, NH, top_k);
      return NULL;
    }
  g_autoptr (MsAttentionStats) acc = g_new0 (MsAttentionStats, 1);
  acc->dev = dev;
  acc->max_b = max_b;
  acc->L = L;
  acc->NH = NH;
  acc->top_k = top_k;
  acc->starts = g_new0 (int, max_b);
  acc->split = g_new0 (int, max_b);
  acc->done = g_new0 (int, L);
  acc->first = g_new0 (int, L);
  acc->n_prompt = g_new0 (int, (gsize) L * max_b);
  gsize cells = (gsize) max_b * L * NH;
  if (!(acc->starts_buf = ms_buffer_new (dev, max_b * sizeof (int), error))
      || !(acc->split_buf = ms_buffer_new (dev, max_b * sizeof (int), error))
      || !(acc->sums = ms_buffer_new (dev, cells * 4 * sizeof (float), error))
      || !(acc->counts_buf = ms_buffer_new (dev, (gsize) L * max_b * 3 * sizeof (int), error))
      || !(acc->out = ms_buffer_new (dev, cells * 8 * sizeof (float), error)))
    return NULL;
  if (!ms_attention_stats_reset (acc, max_b, NULL, NULL, error))
    return NULL;
  return g_steal_pointer (&acc);
}

void
ms_attention_stats_free (MsAttentionStats *acc)
{
  if (acc == NULL)
    return;
  ms_buffer_free (acc->starts_buf);
  ms_buffer_free (acc->split_buf);
  ms_buffer_free (acc->sums);
  ms_buffer_free (acc->gen);
  ms_buffer_free (acc->qst);
  ms_buffer_free (acc->scratch);
  ms_buffer_free (acc->counts_buf);
  ms_buffer_free (acc->out);
  g_free (acc->starts);
  g_free (acc->split);
  g_free (acc->done);
  g_free (acc->first);
  g_free (acc->n_prompt);
  g_free (acc);
}

gboolean
ms_attention_stats_reset (MsAttentionStats *acc, int B, const int *starts, const int *split,
                          GError **error)
{
  if (B < 1 || B > acc->max_b)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "a batch of %d rows for attention statistics made for 1 to %d", B,
                   acc->max_b);
      return FALSE;
    }
  for (int b = 0; b < B; b++)
    {
      int s = starts ? starts[b] : 0;
      if (s < 0 || (split && split[b] < s))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "row %d: start %d and split %d: need 0 <= start <= split", b, s,
                       split ? split[b] : s);
          return FALSE;
        }
      acc->starts[b] = s;
      acc->split[b] = split ? split[b] : 0;
    }
  acc->B = B;
  acc->split_known = split != NULL;
  acc->seen = 0;
  memset (acc->done, 0, acc->L * sizeof (int));
  memset (acc->n_prompt, 0, (gsize) acc->L * acc->max_b * sizeof (int));
  ms_buffer_zero (acc->dev, acc->sums, 0, acc->sums->bytes);
  return ms_buffer_write (acc->dev, acc->starts_buf, 0, acc->starts, B * sizeof (int), error)
         && (!acc->split_known
             || ms_buffer_write (acc->dev, acc->split_buf, 0, acc->split, B * sizeof (int), error));
}

gboolean
ms_attention_stats_reset_lens (MsAttentionStats *acc, int B, const int *lens, GError **error)
{
  if (B < 1 || B > acc->max_b)
    return ms_attention_stats_reset (acc, B, NULL, NULL, error);
  int width = 0;
  for (int b = 0; b < B; b++)
    width = MAX (width, lens[b]);
  g_autofree int *starts = g_new (int, B), *split = g_new (int, B);
  for (int b = 0; b < B; b++)
    {
      starts[b] = width - lens[b];
      split[b] = width;
    }
  return ms_attention_stats_reset (acc, B, starts, split, error);
}

/* Grows BUF to hold at least FLOATS floats (by half again at least); old contents are kept
 * when KEEP. Errors become the device's sticky error. */
static gboolean
ensure (MsDevice *dev, MsBuffer **buf, gsize *cap, gsize floats, gboolean keep)
{
  if (*buf && floats <= *cap)
    return TRUE;
  gsize want = MAX (floats, *cap + *cap / 2);
  GError *error = NULL;
  MsBuffer *nb = ms_buffer_new (dev, want * sizeof (float), &error);
  if (nb == NULL)
    {
      ms_device_fail (dev, error);
      return FALSE;
    }
  if (keep && *buf)
    ms_buffer_copy (dev, *buf, 0, nb, 0, *cap * sizeof (float));
  /* Buffers outlive their release until the kernels already enqueued on them are done. */
  ms_buffer_free (*buf);
  *buf = nb;
  *cap = want;
  return TRUE;
}

static void
fail (MsDevice *dev, const char *message, ...) G_GNUC_PRINTF (2, 3);

static void
fail (MsDevice *dev, const char *message, ...)
{
  va_list ap;
  va_start (ap, message);
  g_autofree char *text = g_strdup_vprintf (message, ap);
  va_end (ap);
  ms_device_fail (dev, g_error_new_literal (MS_ERROR, MS_ERROR_INVALID, text));
}

void
ms_attention_stats_add (MsAttentionStats *acc, const MsGptTensor *att)
{
  MsDevice *dev = acc->dev;
  const int B = att->B, NH = att->NH, Tq = att->Tq, Tk = att->Tk, pos0 = att->pos0;
  const int l = att->layer;
  if (dev->sticky)
    return;
  if (B != acc->B || NH != acc->NH || l < 0 || l >= acc->L || Tq < 1 || pos0 + Tq > Tk)
    {
      fail (dev, "attention of layer %d, %d rows × %d heads × %d queries at %d × %d keys does "
            "not fit statistics for %d rows, %d layers, %d heads (reset for this batch?)", l,
            B, NH, Tq, pos0, Tk, acc->B, acc->L, acc->NH);
      return;
    }
  if (!acc->split_known)
    {
      /* The first pass after the reset is the prompt. */
      for (int b = 0; b < B; b++)
        acc->split[b] = MAX (pos0 + Tq, acc->starts[b]);
      GError *error = NULL;
      if (!ms_buffer_write (dev, acc->split_buf, 0, acc->split, B * sizeof (int), &error))
        {
          ms_device_fail (dev, error);
          return;
        }
      acc->split_known = TRUE;
    }
  if (!(acc->seen >> l & 1))
    acc->first[l] = acc->done[l] = pos0;
  acc->seen |= G_GUINT64_CONSTANT (1) << l;
  int from = acc->done[l];
  acc->done[l] = MAX (from, pos0 + Tq);
  if (pos0 + Tq <= from)
    return;

  /* Room for the generated positions of this pass, and its prompt queries per row. */
  int min_split = G_MAXINT;
  gboolean any_prompt = FALSE;
  for (int b = 0; b < B; b++)
    {
      min_split = MIN (min_split, acc->split[b]);
      int lo = MAX (MAX (acc->starts[b], from), pos0), hi = MIN (acc->split[b], pos0 + Tq);
      if (lo < hi)
        {
          acc->n_prompt[l * B + b] += hi - lo;
          any_prompt = TRUE;
        }
    }
  int g_need = pos0 + Tq - min_split;
  gsize cell = (gsize) B * acc->L * NH * 4;
  if (g_need > 0 && !ensure (dev, &acc->gen, &acc->gen_cap, MAX (g_need, 16) * cell, TRUE))
    return;
  if (!ensure (dev, &acc->qst, &acc->qst_cap, (gsize) B * NH * Tq * 4, FALSE))
    return;
  /* The generated buffer is passed even when unused: kernels need a valid argument. */
  MsBuffer *gen = acc->gen ? acc->gen : acc->qst;

  int Sk = 1;
  while (Sk < Tk)
    Sk <<= 1;
  gsize rows = (gsize) B * NH * Tq;
  gsize per_launch = MAX (SCRATCH_FLOATS / Sk, 1);
  per_launch = MIN (per_launch, rows);
  if (!ensure (dev, &acc->scratch, &acc->scratch_cap, per_launch * Sk, FALSE))
    return;
  for (gsize r0 = 0; r0 < rows; r0 += per_launch)
    {
      int n = (int) MIN (per_launch, rows - r0);
      ms_run_rows (dev, "attention_query_stats", n, MS_ARG_MEM, att->buf, MS_ARG_INT,
                   (int) att->offset, MS_ARG_MEM, acc->starts_buf, MS_ARG_MEM, acc->split_buf,
                   MS_ARG_MEM, acc->scratch, MS_ARG_INT, Sk, MS_ARG_MEM, acc->qst, MS_ARG_MEM,
                   gen, MS_ARG_INT, B, MS_ARG_INT, NH, MS_ARG_INT, Tq, MS_ARG_INT, Tk,
                   MS_ARG_INT, pos0, MS_ARG_INT, from, MS_ARG_INT, acc->L, MS_ARG_INT, l,
                   MS_ARG_INT, acc->top_k, MS_ARG_INT, (int) r0, MS_ARG_INT, n, MS_ARG_END);
    }
  if (any_prompt)
    ms_run1 (dev, "attention_prompt_reduce", B * NH, MS_ARG_MEM, acc->sums, MS_ARG_MEM, acc->qst,
             MS_ARG_MEM, acc->starts_buf, MS_ARG_MEM, acc->split_buf, MS_ARG_INT, B, MS_ARG_INT,
             NH, MS_ARG_INT, Tq, MS_ARG_INT, pos0, MS_ARG_INT, from, MS_ARG_INT, acc->L,
             MS_ARG_INT, l, MS_ARG_END);
}

static void
stats_hook (gpointer user, const MsGptTensor *att)
{
  ms_attention_stats_add (user, att);
}

void
ms_attention_stats_hooks (MsAttentionStats *acc, MsGptHooks *hooks)
{
  hooks->layers = acc->L >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << acc->L) - 1;
  hooks->attention = stats_hook;
  hooks->user = acc;
}

gboolean
ms_attention_stats_read (MsAttentionStats *acc, const int *gen_lens, float *means, int *counts,
                         GError **error)
{
  MsDevice *dev = acc->dev;
  const int B = acc->B, L = acc->L, NH = acc->NH;
  /* Per layer and row: the prompt count and the generated positions g0 <= g < g1 held. */
  g_autofree int *c = g_new0 (int, (gsize) L * B * 3);
  int report = -1;  /* the layer whose counts are reported: the lowest with a pass */
  for (int l = L - 1; l >= 0; l--)
    {
      if (!(acc->seen >> l & 1))
        continue;
      report = l;
      for (int b = 0; b < B; b++)
        {
          int *x = c + (l * B + b) * 3;
          x[0] = acc->n_prompt[l * B + b];
          x[1] = MAX (acc->first[l] - acc->split[b], 0);
          x[2] = MAX (acc->done[l] - acc->split[b], x[1]);
          if (gen_lens)
            x[2] = MAX (MIN (x[2], gen_lens[b]), x[1]);
        }
    }
  if (!ms_buffer_write (dev, acc->counts_buf, 0, c, (gsize) L * B * 3 * sizeof (int), error))
    return FALSE;
  ms_run1 (dev, "attention_stats_finish", B * L * NH, MS_ARG_MEM, acc->out, MS_ARG_MEM, acc->sums,
           MS_ARG_MEM, acc->gen ? acc->gen : acc->sums, MS_ARG_MEM, acc->counts_buf, MS_ARG_INT,
           B, MS_ARG_INT, L, MS_ARG_INT, NH, MS_ARG_END);
  if (means && !ms_buffer_read (dev, acc->out, 0, means,
                                (gsize) B * L * NH * 8 * sizeof (float), error))
    return FALSE;
  if (!ms_device_finish (dev, error))
    return FALSE;
  for (int b = 0; counts && b < B; b++)
    {
      const int *x = report >= 0 ? c + (report * B + b) * 3 : (const int[]) { 0, 0, 0 };
      counts[2 * b] = x[0];
      counts[2 * b + 1] = x[2] - x[1];
    }
  return TRUE;
}

/* ---- maps ----------------------------------------------------------------------------- */

struct _MsAttentionMaps {
  MsDevice *dev;
  int max_t, n;
  MsAttentionMapSpec *which;
  MsBuffer *maps;          /* (n, max_t, max_t) */
  int end;                 /* positions seen since the reset */
};

MsAttentionMaps *
ms_attention_maps_new (MsDevice *dev, int max_t, int n, const MsAttentionMapSpec *which,
                       GError **error)
{
  if (max_t < 1 || n < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%d attention maps of %d positions: need at least one of each", n, max_t);
      return NULL;
    }
  for (int i = 0; i < n; i++)
    if (which[i].row < 0 || which[i].layer < 0 || which[i].layer >= 64 || which[i].head < 0)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "attention map %d: row %d, layer %d, head %d is not a valid triple", i,
                     which[i].row, which[i].layer, which[i].head);
        return NULL;
      }
  g_autoptr (MsAttentionMaps) maps = g_new0 (MsAttentionMaps, 1);
  maps->dev = dev;
  maps->max_t = max_t;
  maps->n = n;
  maps->which = g_memdup2 (which, n * sizeof *which);
  maps->maps = ms_buffer_new (dev, (gsize) n * max_t * max_t * sizeof (float), error);
  if (maps->maps == NULL)
    return NULL;
  return g_steal_pointer (&maps);
}

void
ms_attention_maps_free (MsAttentionMaps *maps)
{
  if (maps == NULL)
    return;
  ms_buffer_free (maps->maps);
  g_free (maps->which);
  g_free (maps);
}

void
ms_attention_maps_reset (MsAttentionMaps *maps)
{
  maps->end = 0;
  ms_buffer_zero (maps->dev, maps->maps, 0, maps->maps->bytes);
}

void
ms_attention_maps_add (MsAttentionMaps *maps, const MsGptTensor *att)
{
  if (att->pos0 + att->Tq > maps->max_t || att->Tk > maps->max_t)
    {
      fail (maps->dev, "attention of %d queries at position %d over %d keys is beyond the %d "
            "positions of the maps", att->Tq, att->pos0, att->Tk, maps->max_t);
      return;
    }
  maps->end = MAX (maps->end, att->pos0 + att->Tq);
  gsize area = (gsize) maps->max_t * maps->max_t;
  for (int i = 0; i < maps->n; i++)
    {
      const MsAttentionMapSpec *w = &maps->which[i];
      if (w->layer != att->layer || w->row >= att->B || w->head >= att->NH)
        continue;
      ms_run1 (maps->dev, "attention_map_store", (gsize) att->Tq * att->Tk, MS_ARG_MEM,
               maps->maps, MS_ARG_INT, (int) (i * area), MS_ARG_MEM, att->buf, MS_ARG_INT,
               (int) att->offset, MS_ARG_INT, att->NH, MS_ARG_INT, att->Tq, MS_ARG_INT, att->Tk,
               MS_ARG_INT, w->row, MS_ARG_INT, w->head, MS_ARG_INT, att->pos0, MS_ARG_INT,
               maps->max_t, MS_ARG_END);
    }
}

static void
maps_hook (gpointer user, const MsGptTensor *att)
{
  ms_attention_maps_add (user, att);
}

void
ms_attention_maps_hooks (MsAttentionMaps *maps, MsGptHooks *hooks)
{
  hooks->layers = 0;
  for (int i = 0; i < maps->n; i++)
    hooks->layers |= G_GUINT64_CONSTANT (1) << maps->which[i].layer;
  hooks->attention = maps_hook;
  hooks->user = maps;
}

gboolean
ms_attention_maps_read (MsAttentionMaps *maps, int i, float *out, int *t_out, GError **error)
{
  if (i < 0 || i >= maps->n)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "attention map %d of %d", i, maps->n);
      return FALSE;
    }
  int T = maps->end;
  gsize area = (gsize) maps->max_t * maps->max_t;
  g_autofree float *full = g_new (float, area);
  if (!ms_buffer_read (maps->dev, maps->maps, i * area * sizeof (float), full,
                       area * sizeof (float), error))
    return FALSE;
  for (int q = 0; q < T; q++)
    memcpy (out + (gsize) q * T, full + (gsize) q * maps->max_t, T * sizeof (float));
  if (t_out)
    *t_out = T;
  return TRUE;
}

gboolean
ms_attention_read_map (MsDevice *dev, const MsGptTensor *att, int row, int head, float *out,
                       GError **error)
{
  if (row < 0 || row >= att->B || head < 0 || head >= att->NH)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "attention map of row %d, head %d of a tensor with %d rows and %d heads",
                   row, head, att->B, att->NH);
      return FALSE;
    }
  gsize bytes = (gsize) att->Tq * att->Tk * sizeof (float);
  gsize at = (att->offset + ((gsize) row * att->NH + head) * att->Tq * att->Tk) * sizeof (float);
  return ms_buffer_read (dev, att->buf, at, out, bytes, error);
}
