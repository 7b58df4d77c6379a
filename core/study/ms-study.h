/* A study: a base model, tasks, fine-tuning settings, the mixtures to compare against single-
 * task runs, seeds and probe settings, read from a GKeyFile spec (.ini). The runner expands it
 * into runs (base, one single-task run per task, one run per mixture, × seeds), runs what is
 * missing, records everything in the results store, and resumes after a kill. */
#pragma once

#include "probe/ms-probe.h"
#include "store/ms-store.h"
#include "text/ms-synthetic.h"
#include "train/ms-finetune.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  char *mixer;               /* as for --mix: "proportional", "temperature:T=2", ... */
  char **tasks;              /* NULL-terminated task names */
  double epochs;             /* > 0: this mixture's epochs instead of [finetune] epochs */
} MsStudyMixture;

typedef struct {
  char *path;                /* the spec file */
  char *text;                /* its contents */
  char *name;
  char *description;
  char *base_model;          /* resolved against the spec's folder */
  char *tokenizer;
  char *artifacts;           /* where run folders go (NULL: beside the store) */
  guint64 *seeds;
  int n_seeds;
  MsTaskSpec *tasks;         /* (n_tasks): train_path, heldout_path, template, max_train */
  int n_tasks;
  MsStudyMixture *mixtures;
  int n_mixtures;
  MsFinetuneConfig finetune; /* mixer fields unused: per run */
  MsProbeConfig probe;
  MsSynthConfig synth;       /* the [synthetic] family, when n_synth > 0 */
  int *synth_s;              /* (n_synth) support sizes: tasks "synth-sS" */
  int n_synth;
  int synth_train, synth_heldout;
  /* [canaries]: secrets added to one task's training data with repeat counts. */
  char *canary_task;         /* NULL: no canaries */
  int canary_count;          /* canaries per repeat count */
  int *canary_repeats;
  int n_canary_repeats;
  int canary_digits;         /* the secret: this many random digits */
  int canary_candidates;     /* sampled candidates for the exposure */
  char *canary_prompt;
  guint64 canary_seed;
  /* [analysis]: which analyses run after probing. */
  gboolean mia;
  double mia_k;              /* Min-K%'s fraction */
  gboolean attention;
  int attention_maps;        /* full attention maps stored per task and run */
  gboolean sparse;
  int sparse_layer;          /* -1: the last layer */
  int sparse_atoms;
  double sparse_lambda;
  double sparse_error;       /* the fixed relative error of "atoms at fixed error" */
  int probe_train;           /* training samples probed per task (the first ones trained on) */
  int probe_heldout;         /* held-out samples probed per task */
} MsStudySpec;

MsStudySpec *ms_study_spec_load (const char *path, GError **error);
void ms_study_spec_free (MsStudySpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStudySpec, ms_study_spec_free)
/* Writes the files of the spec's synthetic tasks where they are missing (they are generated,
 * deterministically, into the user's cache). */
gboolean ms_study_spec_make_synthetic (const MsStudySpec *spec, GError **error);

/* The settings that change results, as canonical JSON (stored with the study and each run). */
char *ms_study_spec_settings_json (const MsStudySpec *spec);
/* The epochs MIXTURE trains for (its own, else [finetune]'s); NULL: a single-task run's. */
double ms_study_spec_epochs (const MsStudySpec *spec, const MsStudyMixture *mixture);
/* The index of the task NAME in SPEC->tasks, or -1. */
int ms_study_spec_task_index (const MsStudySpec *spec, const char *name);

typedef enum {
  MS_STUDY_EVENT_RUN_START,    /* a run begins (or is skipped: done) */
  MS_STUDY_EVENT_TRAIN_STEP,
  MS_STUDY_EVENT_PROBE,
  MS_STUDY_EVENT_MESSAGE,
  MS_STUDY_EVENT_RUN_DONE,
  MS_STUDY_EVENT_JOB,          /* under mpirun: the whole job in one line (MESSAGE), with OVERALL
                                * and ETA; RUN_START and RUN_DONE then name the rank in MESSAGE */
} MsStudyEventKind;

typedef struct {
  MsStudyEventKind kind;
  const char *run;           /* the run's name */
  int run_index, n_runs;     /* 1-based */
  const char *phase;         /* "training", "probing", "done" */
  int done, total;           /* steps or probes within the phase */
  double loss;               /* training steps */
  double tokens_per_second;
  double overall;            /* fraction of the whole study done, 0..1 */
  double eta_seconds;        /* for the whole study; < 0 when unknown */
  const char *message;
} MsStudyEvent;

typedef void (*MsStudyEventFunc) (const MsStudyEvent *ev, gpointer user);

typedef struct {
  const char *device;        /* NULL: $MEMSCOPE_DEVICE or the default; under mpirun a comma-
                              * separated list gives one entry per rank of a node (by its local
                              * rank), and NULL spreads a node's ranks over its devices of the
                              * default's type */
  MsBlasKind blas;
  MsStudyEventFunc on_event;
  gpointer user;
  volatile gint *cancel;     /* set by another thread or a signal handler: stop soon */
  gboolean only_runs_listed; /* with runs: only these (NULL-terminated names) */
  const char *const *runs;
  const char *store_path;    /* where the store is, when STORE is NULL (an MPI worker): run
                              * folders go beside it unless the spec says where */
  double worker_timeout;     /* under mpirun: seconds a busy worker may stay silent before the
                              * job ends (0: $MEMSCOPE_WORKER_TIMEOUT, else 600) */
} MsStudyOptions;

/* Runs every run of SPEC not yet done in STORE. Returns FALSE with MS_ERROR_CANCELLED when
 * cancelled (what was done is kept and a later call continues).
 * Started by mpirun or srun (ms_mpi_init called) with more than one rank, rank 0 passes the
 * store and coordinates: it hands out runs one at a time to the next free rank, itself
 * included (a thread drives its device), and writes what each run produced into STORE in one
 * transaction; the other ranks pass STORE NULL, run what they are given on their own device
 * into a private store in memory, and send it back whole (ms-study-mpi.c). */
gboolean ms_study_run (const MsStudySpec *spec, MsStore *store, const MsStudyOptions *opt,
                       GError **error);

/* The run names SPEC expands to, in the order they run. */
GPtrArray *ms_study_run_names (const MsStudySpec *spec);

G_END_DECLS
