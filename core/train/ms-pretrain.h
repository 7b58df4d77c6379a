/* Pretraining from text: a tokenizer (given or trained on the text), packed token shards with a
 * held-out split, training with periodic validation, checkpoints, a log and a loss-curve
 * picture, all in one folder, and an exact resume of a killed run. `memscope pretrain` is a
 * thin caller; the shipped base model was made this way. */
#pragma once

#include "text/ms-bpe.h"
#include "train/ms-trainer.h"

G_BEGIN_DECLS

typedef struct {
  char **files;           /* text; documents are separated by blank lines */
  char *tokenizer;        /* a tokenizer folder, or NULL: train one of VOCAB_SIZE on FILES */
  int vocab_size;
  int B, T, grad_accum, steps;
  MsSchedule schedule;    /* total_steps is filled in */
  MsAdamWConfig adamw;
  int val_every;          /* every Nth document (from a seeded offset) is held out */
  int eval_every;         /* held-out loss (and model.bin) every N steps, and at the end */
  int eval_batches;       /* windows of B·T held-out tokens per validation */
  int save_every;         /* training state every N steps */
  guint64 seed;           /* of the held-out split (the model's own seed is its caller's) */
} MsPretrainConfig;

/* The defaults of `memscope pretrain`: vocabulary 8192, B 8, T 128, 1000 steps, cosine to 0.1
 * of 1e-3 after 50 warmup steps, weight decay 0.1, clip 1, every 50th document held out. */
void ms_pretrain_config_init (MsPretrainConfig *cfg);

typedef struct {
  MsBpe *bpe;
  guint16 *train, *val;
  gsize n_train, n_val;
} MsPretrainData;

void ms_pretrain_data_clear (MsPretrainData *d);

/* The tokenizer (OUT_DIR/tokenizer/ when trained here) and the shards OUT_DIR/train.bin and
 * val.bin; with RESUME, those already in OUT_DIR are read back instead of made again. Lines
 * worth showing (what is being done, how long it took) go to PROGRESS with no stats. */
gboolean ms_pretrain_prepare (const MsPretrainConfig *cfg, const char *out_dir, gboolean resume,
                              MsTrainProgressFunc progress, gpointer user, MsPretrainData *data,
                              GError **error);

/* Trains GPT (its vocabulary at least the tokenizer's) on DATA, writing OUT_DIR/model.bin at
 * every validation, model.bin.state (for a resume), log.jsonl and loss.png/.svg. MODEL names
 * the starting point in the run's fingerprint, so that a resume with another model is refused.
 * CANCEL, when set from a signal handler or another thread, stops after the current step with
 * the state saved (MS_ERROR_CANCELLED). */
gboolean ms_pretrain_run (MsGpt *gpt, const MsPretrainData *data, const MsPretrainConfig *cfg,
                          const char *model, const char *out_dir, gboolean resume,
                          MsTrainProgressFunc progress, gpointer user, volatile gint *cancel,
                          GError **error);

G_END_DECLS
