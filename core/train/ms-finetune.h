/* Fine-tuning on tasks: JSONL task data through prompt templates, a multi-task mixer, packed
 * batches with the loss on the response only (or the whole sequence), held-out loss per task,
 * exact resume, and a machine-readable record of what was done. Used by `memscope finetune`
 * and by the study runner. */
#pragma once

#include "text/ms-bpe.h"
#include "text/ms-dataset.h"
#include "train/ms-mixer.h"
#include "train/ms-trainer.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  char *train_path;
  char *heldout_path;     /* NULL: no held-out loss for this task */
  char *template_text;    /* NULL: MS_TEMPLATE_DEFAULT */
  int max_train;          /* use the first N training records (0 = all) … */
  int max_tokens;         /* … among those whose tokens fit in this many (0 = any length) */
  int max_heldout;        /* held-out records for the validation loss (0 = all) */
  const MsRecord *extra;  /* (n_extra) records added to the training records after the
                           * selection above, each EXTRA_REPEATS[i] times (canaries) */
  const int *extra_repeats;
  int n_extra;
} MsTaskSpec;

void ms_task_spec_clear (MsTaskSpec *t);

typedef struct {
  int B, T, grad_accum;
  double epochs;          /* passes over the training records of every task … */
  int steps;              /* … or a fixed number of steps when > 0 */
  MsSchedule schedule;    /* total_steps is filled in */
  MsAdamWConfig adamw;
  gboolean response_only; /* loss on the output tokens only (default) or the whole sequence */
  MsMixerConfig mixer;
  char *mixer_text;       /* as given, for the record */
  guint64 seed;
  int eval_every;         /* held-out loss every N steps (0: at the end only) */
  int save_every;         /* training state every N steps (0: at the end only) */
  gboolean solo;          /* train alone even under mpirun: a study's worker trains its own run
                           * (FALSE: data-parallel over the job's ranks, as memscope finetune) */
} MsFinetuneConfig;

void ms_finetune_config_init (MsFinetuneConfig *cfg);


/* Parses "proportional", "proportional:cap=1000", "temperature:T=2,cap=1000", "equal",
 * "weights:summarization=2,dialogue=1" against the task names. */
gboolean ms_mixer_config_parse (const char *text, const char *const *task_names, int n_tasks,
                                MsMixerConfig *cfg, double **weights_out, GError **error);

typedef struct {
  int steps;
  gint64 train_tokens;     /* target tokens trained on */
  double seconds;
  double final_loss;       /* last step's training loss */
  double *heldout_loss;    /* (n_tasks) at the end, NaN without held-out data */
  guint64 *examples;       /* (n_tasks) examples trained on */
  guint64 *tokens;         /* (n_tasks) target tokens trained on */
  guint64 *skipped;        /* (n_tasks) examples too long for T */
  char *record_json;       /* the record written to OUT_DIR/record.json */
} MsFinetuneResult;

void ms_finetune_result_clear (MsFinetuneResult *r);

/* Fine-tunes GPT (already holding the base parameters) on TASKS with the tokenizer BPE, writing
 * OUT_DIR/model.bin, model.bin.state (kept for a resume), log.jsonl, loss.png and record.json.
 * With RESUME an existing state in OUT_DIR is continued. CANCEL, when set by another thread,
 * stops after the current step with the state saved (MS_ERROR_CANCELLED). */
gboolean ms_finetune_run (MsGpt *gpt, MsBpe *bpe, const MsTaskSpec *tasks, int n_tasks,
                          const MsFinetuneConfig *cfg, const char *out_dir, gboolean resume,
                          MsTrainProgressFunc progress, gpointer user,
                          volatile gint *cancel, MsFinetuneResult *result, GError **error);

G_END_DECLS
