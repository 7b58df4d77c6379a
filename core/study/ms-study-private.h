/* What the three parts of the study runner share: the plan (ms-study-plan.c: the grid of runs,
 * the data each needs, what each costs), the runner (ms-study-run.c: training, probing, the
 * loop over runs) and the analyses after probing (ms-study-analyses.c). */
#pragma once

#include "ms-study.h"
#include "model/ms-checkpoint.h"

G_BEGIN_DECLS

/* One run of the grid. */
typedef struct {
  char *name;            /* "base", "single/qa/s1", "mix/all/s1" */
  const char *kind;      /* "base", "single", "mixture" */
  const MsStudyMixture *mixture;
  guint64 seed;
  int *tasks;            /* indices into spec->tasks: trained on (and probed) */
  int n_tasks;
  double cost;           /* work units, for the overall progress */
  gint64 id;             /* in the store */
  MsRunState status;     /* in the store when the study started */
} Run;

/* Per task: the probed samples with their store ids, and the training token count. */
typedef struct {
  MsTaskData *train, *heldout;
  GArray *train_ex, *heldout_ex;  /* MsExample of the probed samples */
  gint64 *train_ids, *heldout_ids;
  gint64 task_id;
  double train_tokens;            /* tokens of the records fine-tuned on */
  guint n_used;                   /* records fine-tuned on */
} TaskData;

typedef struct {
  const MsStudySpec *spec;
  MsStore *store;
  const MsStudyOptions *opt;
  MsBpe *bpe;
  TaskData *td;
  Run *runs;
  int n_runs;
  gint64 study_id;
  const char *store_path;         /* run folders go beside it */
  MsDevice *dev;
  MsBlas *blas;
  MsGpt *gpt;
  MsCheckpoint *base;
  double total_cost, done_cost;   /* of the runs still to do in this session */
  gint64 started;
  int current;                    /* index of the run in progress */
  const char *phase;
  double phase_cost, phase_from;  /* the current phase's share of its run's cost */
  /* Generations written since the last commit, so a kill loses at most a batch. */
  int pending;
  /* Canaries: the records added to the canary task, and the candidates they are ranked
   * among. */
  MsRecord *canaries;
  int *canary_repeats;
  int n_canaries;
  int canary_task;                /* index into spec->tasks, or -1 */
  char **candidates;              /* (n_candidates) secrets */
  int n_candidates;
  double probe_seconds;
} Study;

/* ---- the plan (ms-study-plan.c) ---- */

/* The grid: the base model, then for each seed the single-task runs and the mixtures. */
Run *study_plan_runs (const MsStudySpec *spec, int *n);
void study_runs_free (Run *runs, int n);
/* The canaries and the candidates they are ranked among (none without a canary task). */
void study_make_canaries (Study *s);
void study_free_canaries (Study *s);
/* Loads and tokenizes every task, then writes the study, tasks and samples to the store. */
gboolean study_prepare (Study *s, GError **error);
void study_task_data_clear (TaskData *t);
/* What a run records of itself: its settings, and the names of the tasks it trains on. */
char *study_run_hyper_json (const Study *s, const Run *r);
char *study_run_tasks_json (const Study *s, const Run *r);
/* Work units of a run's probing and training, for the study's progress and ETA. */
double study_probe_cost (const Study *s, const Run *r);
double study_train_cost (const Study *s, const Run *r);

/* ---- the runner (ms-study-run.c) ---- */

/* The run's folder (its model and training state). */
char *study_run_dir (const Study *s, const Run *r);
/* Whether the options leave run NAME to do. */
gboolean study_wanted (const MsStudyOptions *opt, const char *name);
/* Loads the tokenizer and base model, writes the study, tasks and samples to S->store and
 * records every run of the grid there with its cost. */
gboolean study_setup (Study *s, GError **error);
/* Opens DEVICE with the base model on it. */
gboolean study_open_model (Study *s, const char *device, GError **error);
/* Trains R (unless TRAINED: its model is in its folder), probes it and runs the analyses, into
 * S->store; a failure is recorded on the run. */
gboolean study_do_run (Study *s, Run *r, gboolean trained, GError **error);
/* Frees what study_setup and study_open_model made. */
void study_clear (Study *s);

/* A progress event for the run in progress, with whole-study figures. */
void study_emit (Study *s, MsStudyEventKind kind, int done, int total, double loss, double rate,
                 const char *message);

/* ---- the analyses after probing (ms-study-analyses.c) ---- */

/* Runs the analyses the spec asks for, says what each cost, and marks the run done. */
gboolean study_finish_run (Study *s, Run *r, GError **error);

/* ---- over MPI ranks (ms-study-mpi.c) ---- */

/* ms_study_run under mpirun: rank 0 coordinates (STORE), every rank works. */
gboolean study_run_mpi (const MsStudySpec *spec, MsStore *store, const MsStudyOptions *opt,
                        GError **error);

G_END_DECLS
