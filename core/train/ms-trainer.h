/* The training loop shared by `memscope train`, `pretrain` and `finetune`: a batch source
 * feeds (B, T) tokens and targets, each step runs forward and backward over grad_accum
 * micro-batches, then one AdamW update. The whole state (parameters, moments, step, the
 * source's position and RNG) saves atomically and restores exactly, so a killed run resumes
 * to bitwise the same parameters as an uninterrupted one. */
#pragma once

#include "train/ms-optim.h"

G_BEGIN_DECLS

/* Where batches come from: each call fills TOKENS, TARGETS (-1 = ignored), TASK_OF (the task
 * of each position) and SEG (where the segment of each position starts; see
 * ms_gpt_forward_segments), all (B, T). Returning FALSE without an error means the source is
 * exhausted (evaluation sources). */
typedef struct {
  gboolean (*next) (gpointer self, int B, int T, int *tokens, int *targets, int *task_of,
                    int *seg, GError **error);
  GBytes *(*save_state) (gpointer self);
  gboolean (*restore_state) (gpointer self, GBytes *state, GError **error);
  gpointer self;
} MsBatchSource;

/* A source of consecutive windows of B·T + 1 tokens over a token array, wrapping to the
 * start when the next window would run past the end (llm.c's data loader). */
typedef struct _MsTokenSource MsTokenSource;
MsTokenSource *ms_token_source_new (const guint16 *tokens, gsize n, int B, int T, GError **error);
void ms_token_source_free (MsTokenSource *s);
MsBatchSource ms_token_source_as_batch_source (MsTokenSource *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTokenSource, ms_token_source_free)

typedef struct {
  int B, T;
  int grad_accum;        /* micro-batches per step */
  int steps;             /* total optimizer steps */
  MsSchedule schedule;
  MsAdamWConfig adamw;
  int n_tasks;           /* for per-task loss accounting (1 without tasks) */
  /* Under MPI (ms_mpi_init, more than one rank): every rank reads the same batches, rank r
   * computes micro-batches r, r+R, r+2R, … of each step, the gradients and losses are summed
   * with MPI_Allreduce and every rank takes the same AdamW step. The global batch stays
   * B·T·grad_accum, so the loss trace matches one process within float rounding. */
  gboolean data_parallel;
} MsTrainConfig;

typedef struct {
  int step;              /* 1-based, the step just taken */
  double loss;           /* mean over the step's micro-batches */
  double grad_norm;      /* before clipping */
  double lr;
  gint64 tokens;         /* target tokens in this step */
  double seconds;        /* wall time of this step */
  double allreduce_seconds; /* of which in the gradient all-reduce (0 on one rank) */
  guint64 allreduce_bytes;  /* payload this rank handed to MPI_Allreduce in this step */
  double *task_loss;     /* (n_tasks) mean loss per task in this step, NaN if absent */
  gint64 *task_tokens;   /* (n_tasks) target tokens per task in this step */
} MsStepStats;

/* What a training loop (fine-tuning, pretraining) reports after each step. */
typedef struct {
  int step, steps;
  const MsStepStats *stats;
  double tokens_per_second, eta_seconds;
  const char *message;    /* a line worth keeping (held-out losses), or NULL */
} MsTrainProgress;

typedef void (*MsTrainProgressFunc) (const MsTrainProgress *p, gpointer user);

typedef struct _MsTrainer MsTrainer;

/* FINGERPRINT describes the run (data, settings) and is stored with the state; a resume
 * from a state with another fingerprint is refused, naming both. */
MsTrainer *ms_trainer_new (MsGpt *gpt, const MsTrainConfig *cfg, MsBatchSource source,
                           const char *fingerprint, GError **error);
void ms_trainer_free (MsTrainer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTrainer, ms_trainer_free)

/* Steps taken so far (0 for a fresh run, the saved step after a resume). */
int ms_trainer_step_index (const MsTrainer *t);
gboolean ms_trainer_done (const MsTrainer *t);
/* Takes one optimizer step; STATS (optional) receives its figures (valid until the next call). */
gboolean ms_trainer_step (MsTrainer *t, MsStepStats *stats, GError **error);

/* Saves the whole state to PATH atomically. */
gboolean ms_trainer_save_state (MsTrainer *t, const char *path, GError **error);
/* Restores a state saved by a run with the same model shape and fingerprint. */
gboolean ms_trainer_load_state (MsTrainer *t, const char *path, GError **error);

/* Mean loss per task over the whole of a sequential source (evaluation, no gradients):
 * LOSS (n_tasks) gets the mean over each task's target tokens, COUNT their number. */
gboolean ms_evaluate (MsGpt *gpt, MsBatchSource source, int B, int T, int n_tasks,
                      double *loss, gint64 *count, GError **error);

G_END_DECLS
