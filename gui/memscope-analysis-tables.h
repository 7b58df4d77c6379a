/* The number tables of the analysis views, as grids of labels and as CSV: the correlations of a
 * "why" measure with memorization (within each task, pooled, across tasks), membership
 * inference per run and task, and canary exposure per run and repeat count. */
#pragma once

#include <gtk/gtk.h>

#include "study/ms-analysis.h"

G_BEGIN_DECLS

/* Each fill replaces GRID's children (a GtkGrid) with a header row and one row per entry. */

/* Rows: each task, every task's samples pooled, the task means across tasks. MEAN_HEADER names
 * the measure's column of task means ("Mean entropy"). */
void memscope_analysis_fill_why (GtkWidget *grid, const MsAnalysisTable *a, const MsWhy *w,
                                 const char *mean_header);
/* Rows: each run and task with a result for SIGNAL (an MsMiaSignal). */
void memscope_analysis_fill_mia (GtkWidget *grid, const MsAnalysisTable *a, int signal);
/* Rows: each run and repeat count. */
void memscope_analysis_fill_canaries (GtkWidget *grid, const MsAnalysisTable *a);

/* The same as CSV (RFC 4180, numbers in the C locale); the MIA table has every signal. */
void memscope_analysis_csv_why (GString *out, const MsAnalysisTable *a, const MsWhy *w);
void memscope_analysis_csv_mia (GString *out, const MsAnalysisTable *a);
void memscope_analysis_csv_canaries (GString *out, const MsAnalysisTable *a);

G_END_DECLS
