/* Memorization probes on a model: input extraction (the first k tokens of a sample's input →
 * greedy continuation, against the true rest of the input, as Carlini et al. and the paper do)
 * and target extraction (the whole prompt → greedy output, against the training output).
 * Generation is batched with the KV cache; every probe is scored with ms-scores. */
#pragma once

#include "model/ms-gpt.h"
#include "probe/ms-scores.h"
#include "text/ms-bpe.h"
#include "text/ms-dataset.h"

G_BEGIN_DECLS

typedef struct {
  int k;               /* input extraction: prompt = the template's prefix + k input tokens */
  int n;               /* … and n tokens are generated and compared */
  int min_input;       /* eligible when the input has ≥ max (min_input, k + n) tokens */
  int target_max_new;  /* target extraction: at most this many new tokens (EOT stops) */
  int batch;           /* rows per generation batch */
} MsProbeConfig;

void ms_probe_config_init (MsProbeConfig *cfg);

typedef enum {
  MS_PROBE_INPUT,
  MS_PROBE_TARGET,
} MsProbeKind;

const char *ms_probe_kind_name (MsProbeKind kind);  /* "input", "target" */

/* Whether EX can be probed this way: input extraction needs k + n input tokens; target
 * extraction needs a non-empty output and a prompt that fits the model with the output. */
gboolean ms_probe_eligible (const MsExample *ex, MsProbeKind kind, const MsProbeConfig *cfg,
                            int max_seq_len);

typedef struct {
  const MsExample *example;
  MsProbeKind kind;
  gint64 id;           /* the caller's (a sample id in the store) */
} MsProbeItem;

typedef struct {
  const MsProbeItem *item;
  int row;                  /* its row in the generation batch (see MsProbeObserver) */
  int prompt_len;
  const gint32 *reference;  /* (ref_len) */
  int ref_len;
  const gint32 *generated;  /* (gen_len), without the EOT that ended it */
  int gen_len;
  const char *reference_text;
  const char *generated_text;
  MsSampleScores scores;
} MsProbeResult;

typedef gboolean (*MsProbeResultFunc) (const MsProbeResult *r, gpointer user, GError **error);
typedef void (*MsProbeProgressFunc) (int done, int total, gpointer user);

/* Sees each generation batch, for analyses that hook into the model: BEFORE gets the batch's
 * rows (their items) and prompt lengths before the generation, AFTER the numbers of tokens
 * generated per row, before the rows' results are handed on. Either may fail. */
typedef struct {
  gboolean (*before) (gpointer user, int B, const MsProbeItem *const *items, const int *lens,
                      GError **error);
  gboolean (*after) (gpointer user, int B, const int *out_lens, GError **error);
  gpointer user;
} MsProbeObserver;

/* Probes every item (all must be eligible), calling ON_RESULT for each in an unspecified
 * order; ON_RESULT may fail, which stops the run. OBSERVER (optional) sees each batch. CANCEL
 * (optional) stops between batches. */
gboolean ms_probe_run (MsGpt *gpt, MsBpe *bpe, const MsProbeItem *items, int n_items,
                       const MsProbeConfig *cfg, MsProbeResultFunc on_result,
                       MsProbeProgressFunc progress, gpointer user,
                       const MsProbeObserver *observer, volatile gint *cancel,
                       GError **error);

G_END_DECLS
