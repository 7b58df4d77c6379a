/* Hidden-state rows gathered from the model's hidden hook: the host works out which (row,
 * position) pairs of a pass are prompt positions and the kernels in kernels/analysis.cl copy or
 * average them into a growing device buffer. */
#include "ms-capture.h"

#include "ms-attention.h"

#include <string.h>

struct _MsHiddenCapture {
  MsDevice *dev;
  int layer, d;
  MsCaptureMode mode;
  int B;
  int *starts, *split, *ids;   /* (B) of the current batch */
  gboolean split_known, done;  /* the batch's prompt pass has been taken */
  int next_id;                 /* for batches without sample ids */
  MsBuffer *rows;              /* (cap, d) */
  gsize cap;                   /* rows */
  int n;                       /* rows held */
  GArray *row_ids;             /* int (n) */
  MsBuffer *pairs;             /* int (pairs_cap, 2): source position, first position */
  gsize pairs_cap;
};

MsHiddenCapture *
ms_hidden_capture_new (MsDevice *dev, int layer, MsCaptureMode mode, int d, GError **error)
{
  if (layer < 0 || layer >= 64 || d < 1 || mode < MS_CAPTURE_MEAN || mode > MS_CAPTURE_TOKENS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "hidden-state capture of layer %d, width %d, mode %d: need a layer in "
                   "0..63, a width >= 1 and a known mode", layer, d, (int) mode);
      return NULL;
    }
  MsHiddenCapture *cap = g_new0 (MsHiddenCapture, 1);
  cap->dev = dev;
  cap->layer = layer;
  cap->d = d;
  cap->mode = mode;
  cap->row_ids = g_array_new (FALSE, FALSE, sizeof (int));
  cap->done = TRUE;  /* no batch announced yet */
  return cap;
}

void
ms_hidden_capture_free (MsHiddenCapture *cap)
{
  if (cap == NULL)
    return;
  ms_buffer_free (cap->rows);
  ms_buffer_free (cap->pairs);
  g_array_unref (cap->row_ids);
  g_free (cap->starts);
  g_free (cap->split);
  g_free (cap->ids);
  g_free (cap);
}

gboolean
ms_hidden_capture_batch (MsHiddenCapture *cap, int B, const int *starts, const int *split,
                         const int *sample_ids, GError **error)
{
  if (B < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "a batch of %d rows to capture", B);
      return FALSE;
    }
  for (int b = 0; b < B; b++)
    if ((starts && starts[b] < 0) || (split && split[b] <= (starts ? starts[b] : 0)))
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "row %d: start %d and prompt end %d: need 0 <= start < end", b,
                     starts ? starts[b] : 0, split ? split[b] : -1);
        return FALSE;
      }
  cap->B = B;
  cap->starts = g_renew (int, cap->starts, B);
  cap->split = g_renew (int, cap->split, B);
  cap->ids = g_renew (int, cap->ids, B);
  for (int b = 0; b < B; b++)
    {
      cap->starts[b] = starts ? starts[b] : 0;
      cap->split[b] = split ? split[b] : 0;
      cap->ids[b] = sample_ids ? sample_ids[b] : cap->next_id + b;
    }
  if (!sample_ids)
    cap->next_id += B;
  cap->split_known = split != NULL;
  cap->done = FALSE;
  return TRUE;
}

gboolean
ms_hidden_capture_batch_lens (MsHiddenCapture *cap, int B, const int *lens,
                              const int *sample_ids, GError **error)
{
  int width = 0;
  for (int b = 0; b < B; b++)
    width = MAX (width, lens[b]);
  g_autofree int *starts = g_new (int, MAX (B, 1)), *split = g_new (int, MAX (B, 1));
  for (int b = 0; b < B; b++)
    {
      starts[b] = width - lens[b];
      split[b] = width;
    }
  return ms_hidden_capture_batch (cap, B, starts, split, sample_ids, error);
}

static gboolean
grow (MsDevice *dev, MsBuffer **buf, gsize *cap, gsize need, gsize unit, gboolean keep)
{
  if (*buf && need <= *cap)
    return TRUE;
  gsize want = MAX (MAX (need, *cap + *cap / 2), 64);
  GError *error = NULL;
  MsBuffer *nb = ms_buffer_new (dev, want * unit, &error);
  if (nb == NULL)
    {
      ms_device_fail (dev, error);
      return FALSE;
    }
  if (keep && *buf)
    ms_buffer_copy (dev, *buf, 0, nb, 0, *cap * unit);
  ms_buffer_free (*buf);  /* released once the kernels enqueued on it are done */
  *buf = nb;
  *cap = want;
  return TRUE;
}

void
ms_hidden_capture_add (MsHiddenCapture *cap, const MsGptTensor *h)
{
  MsDevice *dev = cap->dev;
  if (dev->sticky || cap->done || h->layer != cap->layer)
    return;
  const int B = h->B, T = h->T, pos0 = h->pos0;
  if (B != cap->B || h->C != cap->d)
    {
      ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_INVALID,
                                        "hidden states of %d rows × %d do not fit a capture of "
                                        "%d rows × %d (announce the batch; match hidden_kind)",
                                        B, h->C, cap->B, cap->d));
      return;
    }
  cap->done = TRUE;
  /* (source row b * T + t, then for the mean the end of the range) per output row */
  g_autofree int *pairs = g_new (int, (gsize) 2 * B * T);
  int n = 0;
  for (int b = 0; b < B; b++)
    {
      int end = cap->split_known ? cap->split[b] : pos0 + T;
      int lo = MAX (cap->starts[b], pos0), hi = MIN (end, pos0 + T);
      if (lo >= hi)
        continue;
      if (cap->mode == MS_CAPTURE_TOKENS)
        for (int p = lo; p < hi; p++)
          {
            pairs[2 * n] = b * T + p - pos0;
            pairs[2 * n + 1] = b * T + p - pos0 + 1;
            g_array_append_val (cap->row_ids, cap->ids[b]);
            n++;
          }
      else
        {
          pairs[2 * n] = b * T + (cap->mode == MS_CAPTURE_LAST ? hi - 1 : lo) - pos0;
          pairs[2 * n + 1] = b * T + hi - pos0;
          g_array_append_val (cap->row_ids, cap->ids[b]);
          n++;
        }
    }
  if (n == 0)
    return;
  if (!grow (dev, &cap->rows, &cap->cap, cap->n + n, cap->d * sizeof (float), TRUE)
      || !grow (dev, &cap->pairs, &cap->pairs_cap, n, 2 * sizeof (int), FALSE))
    return;
  GError *error = NULL;
  if (!ms_buffer_write (dev, cap->pairs, 0, pairs, (gsize) 2 * n * sizeof (int), &error))
    {
      ms_device_fail (dev, error);
      return;
    }
  ms_run1 (dev, "hidden_capture_rows", (gsize) n * cap->d, MS_ARG_MEM, cap->rows, MS_ARG_INT,
           cap->n * cap->d, MS_ARG_MEM, h->buf, MS_ARG_INT, (int) h->offset, MS_ARG_MEM,
           cap->pairs, MS_ARG_INT, n, MS_ARG_INT, cap->d, MS_ARG_END);
  cap->n += n;
}

static void
capture_hook (gpointer user, const MsGptTensor *h)
{
  ms_hidden_capture_add (user, h);
}

void
ms_hidden_capture_hooks (MsHiddenCapture *cap, MsGptHooks *hooks)
{
  hooks->layers |= G_GUINT64_CONSTANT (1) << cap->layer;
  hooks->hidden = capture_hook;
  hooks->user = cap;
}

static void
analysis_attention (gpointer user, const MsGptTensor *att)
{
  MsAnalysisHooks *a = user;
  if (a->stats)
    ms_attention_stats_add (a->stats, att);
  if (a->maps)
    ms_attention_maps_add (a->maps, att);
}

static void
analysis_hidden (gpointer user, const MsGptTensor *h)
{
  MsAnalysisHooks *a = user;
  if (a->capture)
    ms_hidden_capture_add (a->capture, h);
}

void
ms_analysis_hooks (MsAnalysisHooks *analysis, MsGptHooks *hooks)
{
  MsGptHooks part = { 0 };
  guint64 layers = 0;
  if (analysis->stats)
    {
      ms_attention_stats_hooks (analysis->stats, &part);
      layers |= part.layers;
    }
  if (analysis->maps)
    {
      ms_attention_maps_hooks (analysis->maps, &part);
      layers |= part.layers;
    }
  if (analysis->capture)
    layers |= G_GUINT64_CONSTANT (1) << analysis->capture->layer;
  hooks->layers = layers;
  hooks->attention = analysis->stats || analysis->maps ? analysis_attention : NULL;
  hooks->hidden = analysis->capture ? analysis_hidden : NULL;
  hooks->user = analysis;
}

const MsBuffer *
ms_hidden_capture_rows (MsHiddenCapture *cap, int *n_rows)
{
  *n_rows = cap->n;
  return cap->rows;
}

const int *
ms_hidden_capture_sample_ids (MsHiddenCapture *cap)
{
  return (const int *) cap->row_ids->data;
}

void
ms_hidden_capture_clear (MsHiddenCapture *cap)
{
  cap->n = 0;
  g_array_set_size (cap->row_ids, 0);
  cap->next_id = 0;
}
