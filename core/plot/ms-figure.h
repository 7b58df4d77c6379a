/* A figure: one chart struct of ms-plot.h together with everything it points to, its file stem,
 * title and a size it looks good at. The report saves figures and the app draws them; both build
 * them the same way, allocating each array and string through the figure that keeps it alive. */
#pragma once

#include <glib.h>

#include "plot/ms-plot.h"

G_BEGIN_DECLS

typedef struct {
  const char *id;            /* a file stem: "main-input", "training-loss", ... */
  const char *title;         /* the chart's title (translated) */
  MsPlotKind kind;
  gconstpointer chart;       /* an MsBarChart, MsPanelFigure, ... by KIND (owned) */
  double width, height;      /* a size it looks good at, in px at scale 1 */
  /*< private >*/
  GPtrArray *owned;
} MsFigure;

/* A figure of KIND without a chart yet (set fig->chart to memory it owns); it takes ID and
 * TITLE (g_free'd with it), so builders can pass g_strdup_printf straight in. */
MsFigure *ms_figure_new (char *id, char *title, MsPlotKind kind, double width, double height);
/* A figure whose chart has nothing but its title: it draws its frame and "No data". */
MsFigure *ms_figure_new_empty (char *id, char *title, MsPlotKind kind, double width,
                               double height);
void ms_figure_free (MsFigure *fig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsFigure, ms_figure_free)

/* MEMORY (from g_malloc) is freed with the figure; returns it. */
gpointer ms_figure_own (MsFigure *fig, gpointer memory);
/* N doubles, NaN (no bar, a break in a line) until filled. */
double *ms_figure_doubles (MsFigure *fig, gsize n);
/* N string pointers, NULL until filled. */
const char **ms_figure_strings (MsFigure *fig, gsize n);
const char *ms_figure_strdup (MsFigure *fig, const char *s);
const char *ms_figure_printf (MsFigure *fig, const char *format, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
