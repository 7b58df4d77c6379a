/* Figures own their chart and everything it points to in one list of allocations, so that a
 * builder can fill a chart struct field by field and the report or the app frees it in one
 * call, whatever kind of chart it is. */
#include "plot/ms-figure.h"

#include <math.h>

MsFigure *
ms_figure_new (char *id, char *title, MsPlotKind kind, double width, double height)
{
  MsFigure *f = g_new0 (MsFigure, 1);
  f->owned = g_ptr_array_new_with_free_func (g_free);
  f->id = ms_figure_own (f, id);
  f->title = ms_figure_own (f, title);
  f->kind = kind;
  f->width = width;
  f->height = height;
  return f;
}

MsFigure *
ms_figure_new_empty (char *id, char *title, MsPlotKind kind, double width, double height)
{
  MsFigure *f = ms_figure_new (id, title, kind, width, height);
  gsize size = kind == MS_PLOT_LINES ? sizeof (MsLineChart)
               : kind == MS_PLOT_SCATTER ? sizeof (MsScatterChart)
               : kind == MS_PLOT_HEATMAP ? sizeof (MsHeatmap)
               : kind == MS_PLOT_DIST ? sizeof (MsDistChart)
               : kind == MS_PLOT_PANELS ? sizeof (MsPanelFigure) : sizeof (MsBarChart);
  gpointer chart = ms_figure_own (f, g_malloc0 (size));
  /* Every chart struct starts with its title, and zero counts draw the "No data" frame. */
  *(const char **) chart = f->title;
  f->chart = chart;
  return f;
}

void
ms_figure_free (MsFigure *f)
{
  if (f == NULL)
    return;
  g_ptr_array_unref (f->owned);
  g_free (f);
}

gpointer
ms_figure_own (MsFigure *f, gpointer memory)
{
  g_ptr_array_add (f->owned, memory);
  return memory;
}

double *
ms_figure_doubles (MsFigure *f, gsize n)
{
  double *v = ms_figure_own (f, g_new (double, MAX (n, 1)));
  for (gsize i = 0; i < MAX (n, 1); i++)
    v[i] = NAN;
  return v;
}

const char **
ms_figure_strings (MsFigure *f, gsize n)
{
  return ms_figure_own (f, g_new0 (const char *, MAX (n, 1)));
}

const char *
ms_figure_strdup (MsFigure *f, const char *s)
{
  return ms_figure_own (f, g_strdup (s));
}

const char *
ms_figure_printf (MsFigure *f, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  char *s = g_strdup_vprintf (format, ap);
  va_end (ap);
  return ms_figure_own (f, s);
}
