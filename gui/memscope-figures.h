/* Charts the app draws beyond the report's figures: one measure per task with a chosen
 * correction (the overview), and a small owner for chart structs built by the views. */
#pragma once

#include "memscope-chart.h"

G_BEGIN_DECLS

/* A chart struct with everything it points to. */
typedef struct {
  MsPlotKind kind;
  gpointer chart;            /* an MsBarChart, MsLineChart, ... by KIND (owned) */
  char *title, *stem;
  GPtrArray *owned;
} MemscopePlot;

MemscopePlot *memscope_plot_new (MsPlotKind kind, gsize chart_size, const char *stem);
void memscope_plot_free (MemscopePlot *plot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MemscopePlot, memscope_plot_free)
gpointer memscope_plot_own (MemscopePlot *plot, gpointer memory);
double *memscope_plot_doubles (MemscopePlot *plot, gsize n);     /* filled with NaN */
const char *memscope_plot_strdup (MemscopePlot *plot, const char *s);
const char *memscope_plot_printf (MemscopePlot *plot, const char *format, ...)
  G_GNUC_PRINTF (2, 3);
/* Shows PLOT in CHART (taken over; NULL clears). */
void memscope_chart_set_plot (MemscopeChart *chart, MemscopePlot *plot);

/* What the overview's bars show. */
typedef enum {
  MEMSCOPE_SHOW_RATE,           /* the statistic on training samples */
  MEMSCOPE_SHOW_MINUS_HELDOUT,  /* minus the same runs on held-out samples (control) */
  MEMSCOPE_SHOW_MINUS_BASE,     /* minus the base model on the same samples (baseline) */
} MemscopeShow;

/* MEASURE per task, every run group (single-task, each mixture, the base model) side by side
 * with 95% intervals and the eligible n under each task. */
MemscopePlot *memscope_plot_overview (const MsStudyTable *table, int probe, MsMeasure measure,
                                      MemscopeShow show);
/* A sentence for screen readers: each group's value per task. */
char *memscope_plot_describe_bars (const MsBarChart *chart);

/* "input probe" / "target probe", translated. */
const char *memscope_probe_label (int probe);
/* Colour slot of a run group, as the report's figures colour them. */
int memscope_group_color (const MsStudyTable *table, int group);

G_END_DECLS
