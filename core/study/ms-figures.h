/* The numbers and charts of a study, read from the results store: a table of memorization rates
 * per task, run group (single-task, each mixture, the base model), probe and measure, with
 * held-out and base-model controls, their differences and a length-matched comparison across
 * tasks; and the chart structs that draw them. The report writes these to files and the GTK
 * app draws the same structs on screen, so nothing here touches a file. */
#pragma once

#include <glib.h>

#include "analysis/ms-stats.h"
#include "plot/ms-figure.h"
#include "store/ms-store.h"

G_BEGIN_DECLS

/* ---- Measures ------------------------------------------------------------------------------ */

typedef enum {
  MS_MEASURE_EXACT,          /* 0/1: the generation reproduces the reference exactly */
  MS_MEASURE_VERBATIM,       /* 0/1: a shared run of >= 50 characters */
  MS_MEASURE_PARAPHRASE,     /* 0/1: PAN-style alignment + paraphrase */
  MS_MEASURE_IDEA,           /* 0/1: the alignment's summary mode */
  MS_MEASURE_ANY,            /* 0/1: verbatim or paraphrase or idea (the paper's rate) */
  MS_MEASURE_TOKEN_MATCH,    /* mean fraction of matching tokens (Pythia's score) */
  MS_MEASURE_ROUGE_L,        /* mean ROUGE-L F1 */
  MS_MEASURE_BLEU,           /* mean BLEU */
  MS_MEASURE_ALIGN_GEN_COV,  /* mean alignment coverage of the generation */
  MS_MEASURE_LCS_CHARS,      /* mean longest shared run, in characters */
  MS_N_MEASURES
} MsMeasure;

/* "exact", "verbatim", ..., "lcs_chars" (the JSON and --measure names). */
const char *ms_measure_id (MsMeasure m);
/* A translated label ("Exact extraction"). */
const char *ms_measure_label (MsMeasure m);
/* TRUE for the 0/1 measures, whose statistic is a rate of flagged samples; FALSE for means. */
gboolean ms_measure_is_rate (MsMeasure m);
/* The measure named ID, or FALSE with MS_ERROR_INVALID listing the names. */
gboolean ms_measure_parse (const char *id, MsMeasure *out, GError **error);

/* Probes, indexed 0 and 1 in the table. */
#define MS_STUDY_N_PROBES 2
const char *ms_study_probe_name (int probe);    /* "input", "target" */
int ms_study_probe_parse (const char *name);    /* -1 when unknown */

/* ---- The table ----------------------------------------------------------------------------- */

typedef struct {
  double level;                /* of every interval: 0.95 */
  MsBootstrapParams boot;      /* differences of means and length matching */
  MsMeasure measure;           /* the headline measure: picks the length-matching reference and
                                * drives the length view and the findings (MS_MEASURE_ANY) */
  const char *reference_task;  /* length-matching reference; NULL: per probe, the task whose
                                * single-task run has the lowest headline rate */
  double length_bin_log2;      /* length bins are this wide on log2 (output tokens): 1 means
                                * [1], [2, 3], [4, 7], [8, 15], ... tokens */
} MsStudyTableOptions;

void ms_study_table_options_init (MsStudyTableOptions *opt);

enum { MS_SPLIT_TRAIN, MS_SPLIT_HELDOUT, MS_N_SPLITS };

typedef struct {
  char *name;
  gint64 id;
  gint64 n_train, n_heldout;                 /* records fine-tuned on, held-out records */
  gint64 n_samples[MS_N_SPLITS];             /* probed samples stored */
  gint64 eligible[MS_STUDY_N_PROBES][MS_N_SPLITS];
                                             /* distinct samples with a scored generation of the
                                              * probe in a finished run: the rest were too short
                                              * for it (or are not probed yet) */
} MsStudyTask;

typedef enum {
  MS_GROUP_SINGLE,   /* the single-task run of each task */
  MS_GROUP_MIXTURE,  /* one mixture */
  MS_GROUP_BASE,     /* the model before fine-tuning */
} MsGroupKind;

typedef struct {
  char *id;          /* "single", "mix/NAME", "base" */
  MsGroupKind kind;
  char *mixture;     /* NULL unless a mixture */
  char *label;       /* translated: "Single-task", "Mixture “all”", "Base model" */
  int n_runs;        /* finished runs pooled (seeds) */
  char **runs;       /* (n_runs + 1) their names, NULL-terminated */
  gboolean *covers;  /* (n_tasks) trained on the task (the base model: every task) */
} MsStudyGroup;

/* One statistic over the pooled probes of a group: every finished run of the group (all seeds)
 * × every eligible sample. */
typedef struct {
  gint64 n;          /* scored probes; 0: nothing eligible (the value is NaN, not 0) */
  gint64 successes;  /* flagged probes for a rate measure; -1 for a mean */
  MsInterval value;  /* rate with its Wilson interval, or mean with its t interval; the
                      * interval is NaN when it is undefined (n = 0, a mean of one value) */
} MsStudyStat;

typedef struct {
  int task, group, probe;
  MsMeasure measure;
  MsStudyStat train;          /* on the samples fine-tuned on */
  MsStudyStat heldout;        /* the same runs on held-out samples (control) */
  MsStudyStat base;           /* the base model on the same training samples (baseline) */
  MsInterval minus_heldout;   /* train - heldout */
  MsInterval minus_base;      /* train - base (NaN for the base group itself) */
  MsInterval minus_single;    /* train - the single-task run's train (mixtures only) */
} MsStudyRow;
/* Differences of rates carry Newcombe's hybrid score interval, differences of means a
 * percentile bootstrap that resamples each side on its own; both treat the two sides as
 * independent samples, which is conservative for the paired baseline (same samples). Any
 * interval is NaN where a side has no eligible sample. */

typedef enum {
  MS_MATCH_OK,          /* compared */
  MS_MATCH_REFERENCE,   /* the task is the reference */
  MS_MATCH_NO_DATA,     /* a side has no eligible sample */
  MS_MATCH_NO_OVERLAP,  /* no length bin holds samples of both: not comparable */
} MsMatchStatus;

/* A task against the reference task, single-task runs, training samples. */
typedef struct {
  int task, reference, probe;
  MsMeasure measure;
  MsMatchStatus status;
  gint64 n_task, n_reference;  /* all eligible probes */
  double raw_task, raw_reference;
  MsInterval raw_diff;         /* task - reference, unmatched (Newcombe or bootstrap) */
  MsMatchResult matched;       /* coarsened exact matching on output length (ms-stats.h) */
} MsStudyMatch;

/* The rate or mean of the single-task runs within one output-length bin. */
typedef struct {
  int task, probe;
  MsMeasure measure;
  gint64 lo, hi;               /* output tokens in [lo, hi] */
  MsStudyStat stat;
} MsStudyBin;

typedef struct {
  MsStoreStudy *study;
  MsStudyTableOptions options;    /* reference_task copied into reference_name */
  char *reference_name;
  gboolean pooled_seeds;          /* some group pools more than one run */
  int n_runs, n_finished;         /* runs of the study, and those done (the rest left out) */
  GPtrArray *runs;                /* MsStoreRun*: every run of the study */
  MsStudyTask *tasks;
  int n_tasks;
  MsStudyGroup *groups;           /* single, each mixture (by name), base */
  int n_groups;
  MsStudyRow *rows;               /* (n_tasks, n_groups, MS_STUDY_N_PROBES, MS_N_MEASURES) */
  int reference[MS_STUDY_N_PROBES];  /* task index of the length-matching reference, or -1 */
  MsStudyMatch *matches;          /* (MS_STUDY_N_PROBES, MS_N_MEASURES, n_tasks) */
  GArray *bins;                   /* MsStudyBin, by probe, measure, task, length */
  /*< private >*/
  gpointer priv;
} MsStudyTable;

/* Reads the study NAME from STORE and computes the table; only finished runs ('done') count.
 * An unknown study is an MS_ERROR_INVALID naming it; a study without finished runs gives a
 * table with n_finished = 0 and NaN statistics (check it). OPT NULL: the defaults. */
MsStudyTable *ms_study_table_new (MsStore *store, const char *name,
                                  const MsStudyTableOptions *opt, GError **error);
void ms_study_table_free (MsStudyTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStudyTable, ms_study_table_free)

const MsStudyRow *ms_study_table_row (const MsStudyTable *table, int task, int group, int probe,
                                      MsMeasure measure);
const MsStudyMatch *ms_study_table_match (const MsStudyTable *table, int probe,
                                          MsMeasure measure, int task);
int ms_study_table_find_task (const MsStudyTable *table, const char *name);   /* -1: none */
int ms_study_table_find_group (const MsStudyTable *table, const char *id);    /* -1: none */
/* The index of the group of KIND (the first one for mixtures), or -1. */
int ms_study_table_group_of_kind (const MsStudyTable *table, MsGroupKind kind);
/* The per-probe scores of MEASURE behind a statistic (pooled over the group's runs), for
 * distributions; *N = 0 when there are none. The array belongs to the table. */
const double *ms_study_table_values (const MsStudyTable *table, int task, int group, int probe,
                                     int split, MsMeasure measure, gsize *n);
/* The probe a report shows by default: "target" when the study fine-tuned with the loss on the
 * response only (the inputs were never trained on), else "input" (the paper's probe). */
int ms_study_table_default_probe (const MsStudyTable *table);

/* The whole table as JSON (what `memscope report --json` prints and results.json holds):
 * tasks with eligibility, groups with their runs, rows, length matches and bins. Numbers that
 * are undefined are null. Free with g_free. */
char *ms_study_table_to_json (const MsStudyTable *table);

/* ---- Charts --------------------------------------------------------------------------------
 * Each builder returns a figure (plot/ms-figure.h) that owns its chart struct and everything it
 * points to; draw it with ms_plot_draw (cr, w, h, fig->kind, fig->chart, theme) or save it with
 * ms_plot_save. Labels go through gettext. PROBE is 0 (input) or 1 (target). */

/* "input probe" / "target probe", translated: the short name charts and captions use. */
const char *ms_study_probe_label (int probe);
/* The palette slot + 1 (MsBarSeries.color) of run group GROUP, the same in every figure and in
 * the app: single-task blue, the base model grey, mixtures the slots after. */
int ms_study_group_color (const MsStudyTable *table, int group);

/* What bars of one measure show for each group and task. */
typedef enum {
  MS_STUDY_SHOW_RATE,           /* the statistic on training samples */
  MS_STUDY_SHOW_MINUS_HELDOUT,  /* minus the same runs on held-out samples (control) */
  MS_STUDY_SHOW_MINUS_BASE,     /* minus the base model on the same samples (baseline); the
                                 * base model itself has no bar */
} MsStudyShow;

/* 0. MEASURE per task as SHOW says, every run group (single-task, each mixture, the base
 * model) side by side with 95% intervals and the eligible n under each task: one panel of
 * figures 1 and 2 on its own, the app's overview. */
MsFigure *ms_figure_overview (const MsStudyTable *table, int probe, MsMeasure measure,
                              MsStudyShow show);
/* 1. One panel per measure (exact, verbatim, paraphrase, any, token match, ROUGE-L): bars per
 * task, single-task and each mixture side by side, the base model as a hatched control, with
 * 95% intervals and the eligible n under each task. */
MsFigure *ms_figure_main (const MsStudyTable *table, int probe);
/* 2. Rate - held-out rate and rate - base-model rate (verbatim, any, token match) with their
 * intervals around a zero line; the base model's own train - held-out is the sanity check. */
MsFigure *ms_figure_corrected (const MsStudyTable *table, int probe);
/* 3. Single-task rates of MEASURE per output-length bin and task, and each task minus the
 * reference task, raw and length-matched. */
MsFigure *ms_figure_length (const MsStudyTable *table, int probe, MsMeasure measure);
/* 5. Per-sample token match and longest shared run of the single-task runs per task, training
 * against held-out samples (box plots with every point). */
MsFigure *ms_figure_distribution (const MsStudyTable *table, int probe);
/* 4. The loss curves of one run: training loss (whole batch), and the evaluation loss per task
 * (dashed) where the run recorded it. */
MsFigure *ms_figure_curves (MsStore *store, gint64 run_id, GError **error);

G_END_DECLS
