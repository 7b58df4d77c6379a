/* The "why" of a study, computed from the store's analysis tables: membership inference
 * (ROC AUC and TPR at 1% FPR per run, task and signal, training samples against held-out),
 * canary exposure against repeat count, and (when the study recorded them) attention
 * statistics and sparse codes against memorization. Charts for the report and the app. */
#pragma once

#include "analysis/ms-stats.h"
#include "study/ms-figures.h"

G_BEGIN_DECLS

typedef struct {
  int run;                    /* index into the study table's runs */
  int task;                   /* index into its tasks */
  int signal;                 /* MsMiaSignal */
  double auc, auc_lower, auc_upper;   /* with a bootstrap interval */
  double tpr_at_1;            /* TPR at 1% FPR */
  gint64 n_members, n_nonmembers;
  double *fpr, *tpr;          /* the ROC curve (n_points) */
  gsize n_points;
} MsMiaResult;

typedef struct {
  int run;
  int repeats;
  int n;                      /* canaries with this repeat count */
  double exposure_mean, exposure_min, exposure_max;     /* from the sampled rank */
  double normal_mean;         /* extrapolated from the candidates' distribution */
  double max_exposure;        /* log2 (space): a canary ranked first of all */
  double saturation;          /* the most the sampled rank resolves short of ranking first:
                                 log2 (space / candidates) */
} MsCanaryResult;

/* One per-sample measure (an attention statistic, or sparse-code density) against memorization
 * (the token match of the report's probe) on the training samples of the single-task runs. */
typedef struct {
  int task;                   /* -1: every task's samples pooled */
  gsize n;
  MsCorrelation spearman;     /* with a paired bootstrap interval */
  MsCorrelation pearson;
  gboolean defined;
} MsWhyCorr;

/* Every attention statistic (last layer, mean over heads, prompt) against every memorization
 * score, over the training samples of the single-task runs: pooled over tasks, and the mean
 * of the within-task coefficients. */
enum { MS_WHY_N_STATS = 4, MS_WHY_N_SCORES = 4 };
typedef struct {
  MsWhyCorr pooled[MS_WHY_N_STATS][MS_WHY_N_SCORES];
  double within_mean[MS_WHY_N_STATS][MS_WHY_N_SCORES];   /* mean Spearman over tasks */
} MsWhyMatrix;

const char *ms_why_stat_name (int stat);    /* "entropy", "max", "topk", "gini" */
const char *ms_why_score_name (int score);  /* "token_match", "lcs_chars", "rouge_l", "exact" */

/* Per task: the measure's and memorization's means (for the across-task comparison). */
typedef struct {
  double measure, memorization;
  gsize n;
} MsWhyTask;

typedef struct {
  const char *name;           /* "attention entropy", "active atoms at fixed error" */
  int probe;
  double *values, *memo;      /* (n) per sample */
  int *task;                  /* (n) */
  gsize n;
  MsWhyCorr *within;          /* (n_tasks) */
  MsWhyCorr pooled;
  MsWhyTask *tasks;           /* (n_tasks) */
  MsWhyCorr across;           /* over the means of tasks with >= 5 samples (n = tasks) */
} MsWhy;

typedef struct {
  const MsStudyTable *table;
  int probe;                  /* the probe the memorization measures come from */
  GArray *mia;                /* MsMiaResult */
  GArray *canaries;           /* MsCanaryResult */
  char *canary_task;
  /* Attention: last layer, mean over heads, prompt positions; and per (layer, head) the pooled
   * Spearman correlation of its entropy with memorization. */
  MsWhy *attention;           /* NULL without attention statistics */
  int n_layers, n_heads;
  double *head_rho;           /* (n_layers, n_heads) */
  MsWhyMatrix *matrix;        /* NULL without attention statistics */
  /* Sparse codes: atoms needed for the fixed error, per sample (the run that codes every task
   * with one dictionary: a mixture, else the base model). */
  MsWhy *sparse;              /* NULL without sparse codes */
  char *sparse_run;
} MsAnalysisTable;

/* Reads the analyses of TABLE's study; PROBE (0 input, 1 target; -1: the table's default)
 * picks the memorization measure the attention and sparse codes are set against. */
MsAnalysisTable *ms_analysis_table_new (MsStore *store, const MsStudyTable *table, int probe,
                                        GError **error);
void ms_analysis_table_free (MsAnalysisTable *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAnalysisTable, ms_analysis_table_free)

/* AUC of SIGNAL per task, single-task and mixture runs side by side (NULL without data). */
MsFigure *ms_figure_mia_auc (const MsAnalysisTable *a, int signal);
/* ROC curves of the single-task runs, one per task, for SIGNAL (NULL without data). */
MsFigure *ms_figure_mia_roc (const MsAnalysisTable *a, int signal);
/* Canary exposure against repeat count, per run (NULL without canaries). */
MsFigure *ms_figure_canaries (const MsAnalysisTable *a);

/* Attention entropy of the last layer per task (distributions), entropy against memorization
 * (scatter with Spearman's rho), and per layer and head the correlation (heatmap). */
MsFigure *ms_figure_attention_tasks (const MsAnalysisTable *a);
MsFigure *ms_figure_attention_scatter (const MsAnalysisTable *a);
MsFigure *ms_figure_attention_heads (const MsAnalysisTable *a);
/* The stored attention map of one probe (a heatmap with the tokens on both axes), or NULL with
 * no error when none is stored for it. */
MsFigure *ms_figure_attention_map (MsStore *store, gint64 generation_id, GError **error);
/* Sparse-code density per task, and across tasks against memorization. */
MsFigure *ms_figure_sparse_tasks (const MsAnalysisTable *a);
MsFigure *ms_figure_sparse_scatter (const MsAnalysisTable *a);

/* The synthetic sweep: for a study whose tasks are synth-sS, memorization against S (training
 * samples of the single-task runs, with held-out samples and the base model), one panel per
 * measure (NULL when the study has fewer than two such tasks). */
MsFigure *ms_figure_synthetic_sweep (const MsStudyTable *table, int probe);

char *ms_analysis_table_to_json (const MsAnalysisTable *a);

/* Internal: ms-analysis-why.c. */
gboolean ms_analysis_load_why (MsAnalysisTable *a, MsStore *store, GError **error);
void ms_why_free (MsWhy *w);

G_END_DECLS
