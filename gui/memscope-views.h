/* The app's views. Each is a widget that shows the window's MemscopeData (borrowed until the
 * next call of its set_data) and keeps its own controls. */
#pragma once

#include <gtk/gtk.h>

#include "memscope-data.h"

G_BEGIN_DECLS

#define MEMSCOPE_TYPE_OVERVIEW (memscope_overview_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeOverview, memscope_overview, MEMSCOPE, OVERVIEW, GtkWidget)
GtkWidget *memscope_overview_new (void);
void memscope_overview_set_data (MemscopeOverview *self, const MemscopeData *data);

#define MEMSCOPE_TYPE_SAMPLES (memscope_samples_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeSamples, memscope_samples, MEMSCOPE, SAMPLES, GtkWidget)
GtkWidget *memscope_samples_new (void);
void memscope_samples_set_data (MemscopeSamples *self, const MemscopeData *data);
/* Shows only the samples of RUN (NULL: every run). */
void memscope_samples_select_run (MemscopeSamples *self, const char *run);
void memscope_samples_focus_search (MemscopeSamples *self);

/* The analyses: attention statistics, sparse codes, membership inference. */
typedef enum {
  MEMSCOPE_ANALYSIS_ATTENTION,
  MEMSCOPE_ANALYSIS_SPARSE,
  MEMSCOPE_ANALYSIS_MEMBERSHIP,
} MemscopeAnalysisKind;

#define MEMSCOPE_TYPE_ANALYSIS (memscope_analysis_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeAnalysis, memscope_analysis, MEMSCOPE, ANALYSIS, GtkWidget)
GtkWidget *memscope_analysis_new (MemscopeAnalysisKind kind);
void memscope_analysis_set_data (MemscopeAnalysis *self, const MemscopeData *data);

#define MEMSCOPE_TYPE_COMPARE (memscope_compare_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeCompare, memscope_compare, MEMSCOPE, COMPARE, GtkWidget)
GtkWidget *memscope_compare_new (void);
void memscope_compare_set_data (MemscopeCompare *self, const MemscopeData *data);

#define MEMSCOPE_TYPE_RUNNER (memscope_runner_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeRunner, memscope_runner, MEMSCOPE, RUNNER, GtkWidget)
GtkWidget *memscope_runner_new (void);
void memscope_runner_set_data (MemscopeRunner *self, const MemscopeData *data);
/* The store a study started here writes to (and creates when missing). */
void memscope_runner_set_store_path (MemscopeRunner *self, const char *path);
gboolean memscope_runner_is_running (MemscopeRunner *self);
/* Emitted as signal "study-finished" (a study name, or NULL when it failed or was cancelled). */

/* Removes every child (the views' dispose). */
void memscope_widget_unparent_children (GtkWidget *widget);
/* A card holding CHILD (a chart), as GNOME apps frame content. */
GtkWidget *memscope_card_new (GtkWidget *child);

G_END_DECLS
