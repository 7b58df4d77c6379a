/* The "why" of a study, computed from the store's analysis tables: membership inference
 * (ROC AUC and TPR at 1% FPR per run, task and signal, training samples against held-out),
 * canary exposure against repeat count, and (when the study recorded them) attention
 * statistics and sparse codes against memorization. Charts for the report and the app. */
#pragma once

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
  double saturation;          /* what the sampled rank can show at most: log2 (space / candidates) */
} MsCanaryResult;

typedef struct {
  const MsStudyTable *table;
  GArray *mia;                /* MsMiaResult */
  GArray *canaries;           /* MsCanaryResult */
  char *canary_task;
} MsAnalysisTable;

MsAnalysisTable *ms_analysis_table_new (MsStore *store, const MsStudyTable *table,
                                        GError **error);
void ms_analysis_table_free (MsAnalysisTable *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAnalysisTable, ms_analysis_table_free)

/* AUC of SIGNAL per task, single-task and mixture runs side by side (NULL without data). */
MsFigure *ms_figure_mia_auc (const MsAnalysisTable *a, int signal);
/* ROC curves of the single-task runs, one per task, for SIGNAL (NULL without data). */
MsFigure *ms_figure_mia_roc (const MsAnalysisTable *a, int signal);
/* Canary exposure against repeat count, per run (NULL without canaries). */
MsFigure *ms_figure_canaries (const MsAnalysisTable *a);

char *ms_analysis_table_to_json (const MsAnalysisTable *a);

G_END_DECLS
