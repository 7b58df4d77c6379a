/* Activation rows for sparse coding, gathered on the device from the model's hidden hook
 * while it probes: for each sample of a left-padded batch, the hidden states of one layer at
 * its prompt positions (the mean over them, the last one, or every one as its own row),
 * appended to one growing buffer X (N, d) that ms_dictionary_learn and ms_sparse_encode read. */
#pragma once

#include "model/ms-gpt.h"

G_BEGIN_DECLS

typedef enum {
  MS_CAPTURE_MEAN,     /* one row per sample: the mean over its prompt positions */
  MS_CAPTURE_LAST,     /* one row per sample: its last prompt position */
  MS_CAPTURE_TOKENS,   /* one row per prompt position of each sample */
} MsCaptureMode;

typedef struct _MsHiddenCapture MsHiddenCapture;

/* Captures layer LAYER's hidden states of width D (the model's C for MS_HIDDEN_RESIDUAL, 4C for
 * MS_HIDDEN_MLP) in MODE. */
MsHiddenCapture *ms_hidden_capture_new (MsDevice *dev, int layer, MsCaptureMode mode, int d,
                                        GError **error);
void ms_hidden_capture_free (MsHiddenCapture *cap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsHiddenCapture, ms_hidden_capture_free)

/* Announces the next batch of B rows: STARTS (B) the first real position of each row (NULL: 0),
 * SPLIT (B) the end of each row's prompt (NULL: the end of the first pass, the prefill), and
 * SAMPLE_IDS (B) the caller's ids of the rows' samples (NULL: a running count). The prompt must
 * come in one pass (as ms_gpt_generate's prefill does); later passes add nothing. */
gboolean ms_hidden_capture_batch (MsHiddenCapture *cap, int B, const int *starts,
                                  const int *split, const int *sample_ids, GError **error);
/* As above, for B prompts of lengths LENS left-padded to the longest (ms_gpt_generate). */
gboolean ms_hidden_capture_batch_lens (MsHiddenCapture *cap, int B, const int *lens,
                                       const int *sample_ids, GError **error);

/* Adds the rows of a hook's hidden tensor (B, T, d) (enqueued; errors are sticky). */
void ms_hidden_capture_add (MsHiddenCapture *cap, const MsGptTensor *h);
/* Fills HOOKS' hidden hook for the capture's layer (leaves the attention hook and
 * hidden_kind, which the caller sets to match D, as they were). */
void ms_hidden_capture_hooks (MsHiddenCapture *cap, MsGptHooks *hooks);

/* ---- several analyses in one pass ---------------------------------------------------------
 * MsGptHooks has one user pointer; to feed attention statistics, attention maps and a hidden
 * capture from the same passes, fill this struct (any member may be NULL) and install it. */
typedef struct _MsAttentionStats MsAttentionStats;
typedef struct _MsAttentionMaps MsAttentionMaps;

typedef struct {
  MsAttentionStats *stats;
  MsAttentionMaps *maps;
  MsHiddenCapture *capture;
} MsAnalysisHooks;

/* Fills HOOKS (layers: every layer when STATS is set, else those of MAPS and CAPTURE; user:
 * ANALYSIS, which must outlive the passes). hidden_kind is left to the caller. */
void ms_analysis_hooks (MsAnalysisHooks *analysis, MsGptHooks *hooks);

/* The rows so far: X (N, d) at offset 0 of the returned buffer (valid until the next add),
 * and the sample id of each row (N). */
const MsBuffer *ms_hidden_capture_rows (MsHiddenCapture *cap, int *n_rows);
const int *ms_hidden_capture_sample_ids (MsHiddenCapture *cap);
/* Forgets all rows (keeps the memory). */
void ms_hidden_capture_clear (MsHiddenCapture *cap);

G_END_DECLS
