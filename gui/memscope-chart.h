/* A widget that draws one core/plot chart (the same structs the reports save to files) in the
 * system's light or dark style, with tooltips from the chart's hit items, an accessible name
 * and description, and a context menu to save the chart as PNG or SVG. */
#pragma once

#include <gtk/gtk.h>

#include "plot/ms-figure.h"

G_BEGIN_DECLS

#define MEMSCOPE_TYPE_CHART (memscope_chart_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeChart, memscope_chart, MEMSCOPE, CHART, GtkWidget)

GtkWidget *memscope_chart_new (void);

/* Shows FIG (taken over: freed when it is replaced or the widget goes; NULL clears). Its title
 * names the chart for screen readers, its id is the file name offered on export, and a bar
 * chart's numbers become the accessible description. */
void memscope_chart_set_figure (MemscopeChart *self, MsFigure *fig);
gboolean memscope_chart_has_chart (MemscopeChart *self);
const char *memscope_chart_get_title (MemscopeChart *self);

/* Saves the chart as it is now to PATH (.png or .svg; PNG at twice the widget's size), in the
 * light theme on an opaque background, as the reports are. */
gboolean memscope_chart_save (MemscopeChart *self, const char *path, GError **error);
/* Asks for a file name (FORMAT "png" or "svg") and saves; errors go to a dialog. */
void memscope_chart_export (MemscopeChart *self, const char *format);

/* The tooltip text of ITEM of a chart (memscope-chart-tooltip.c); NULL when there is none. */
char *memscope_chart_tooltip_text (MsPlotKind kind, gconstpointer chart, const MsPlotItem *item);
/* A sentence for screen readers on what a chart shows: each series' value per category of a
 * bar chart; NULL for other kinds. */
char *memscope_chart_describe (MsPlotKind kind, gconstpointer chart);

/* The first chart with something to show inside WIDGET's tree, or NULL. */
MemscopeChart *memscope_chart_find (GtkWidget *widget);

G_END_DECLS
