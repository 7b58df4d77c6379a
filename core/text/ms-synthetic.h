/* A synthetic task family drawn from a sparse-coding model, to test the paper's explanation
 * of task disparity as an experiment. There are F latent features, each with its own small
 * lexicon of made-up words (a column of the dictionary D, as a distribution over words). A
 * sample has a sparse code z (m active features with positive weights); its input is a text
 * of words drawn from D·z. The output depends on a support S of s features: it names the
 * feature of S with the largest weight in z (or "none"). Outputs are one word whatever s is,
 * so s changes how much of the input the output depends on, not the output's length. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int features;          /* F */
  int lexicon;           /* words per feature */
  int active;            /* m: nonzero entries of z */
  int words;             /* words per input */
  guint64 seed;          /* the dictionary, the supports and the samples */
} MsSynthConfig;

void ms_synth_config_init (MsSynthConfig *cfg);

/* JSONL records {"task","input","output","id"} of the task with support size S: N_TRAIN
 * training and N_HELDOUT held-out samples (drawn independently) written to TRAIN_PATH and
 * HELDOUT_PATH (atomically). The task is named NAME. The dictionary and the nested supports
 * (S_1 ⊂ S_2 ⊂ …) depend only on CFG, so tasks of one family share them. */
gboolean ms_synth_write_task (const MsSynthConfig *cfg, int s, const char *name, int n_train,
                              int n_heldout, const char *train_path, const char *heldout_path,
                              GError **error);

/* One sample, for tests: the input text and output, and the code z (features, of which
 * exactly cfg->active are nonzero). */
void ms_synth_sample (const MsSynthConfig *cfg, int s, guint64 sample_seed, GString *input,
                      GString *output, double *z);
/* Word W of feature J's lexicon; its name is word 0. */
char *ms_synth_word (const MsSynthConfig *cfg, int j, int w);
char *ms_synth_feature_name (const MsSynthConfig *cfg, int j);

G_END_DECLS
