/* The chart widget's words: tooltips, the names and values behind a hit item of a chart (a
 * bar's series and category, a point's coordinates, a heatmap cell, a box's summary), and the
 * description a screen reader gives of a bar chart. */
#include "memscope-chart.h"

#include <glib/gi18n.h>
#include <math.h>

static void
fmt (double v, MsPlotFormat format, char *buf, gsize size)
{
  if (!isfinite (v))
    g_strlcpy (buf, "—", size);
  else
    ms_plot_format_value (v, 0, format, buf, size);
}

static char *
bar_text (const MsBarChart *c, const MsPlotItem *it)
{
  if (it->series < 0 || it->series >= c->n_series || it->index < 0
      || it->index >= c->n_categories)
    return NULL;
  const MsBarSeries *s = &c->series[it->series];
  const char *cat = c->categories != NULL ? c->categories[it->index] : "";
  char v[32], lo[32], hi[32];
  fmt (s->values[it->index], c->format, v, sizeof v);
  if (s->lower != NULL && s->upper != NULL && isfinite (s->lower[it->index]))
    {
      fmt (s->lower[it->index], c->format, lo, sizeof lo);
      fmt (s->upper[it->index], c->format, hi, sizeof hi);
      /* TRANSLATORS: a bar's tooltip: series, category, value and its 95% interval */
      return g_strdup_printf (_("%s · %s\n%s  (95%% interval %s to %s)"), s->name ? s->name : "",
                              cat ? cat : "", v, lo, hi);
    }
  return g_strdup_printf ("%s · %s\n%s", s->name ? s->name : "", cat ? cat : "", v);
}

static char *
line_text (const MsLineChart *c, const MsPlotItem *it)
{
  if (it->series < 0 || it->series >= c->n_series)
    return NULL;
  const MsLineSeries *s = &c->series[it->series];
  if (it->index < 0 || it->index >= s->n)
    return NULL;
  char x[32], y[32];
  fmt (s->x[it->index], c->x_format, x, sizeof x);
  fmt (s->y[it->index], c->y_format, y, sizeof y);
  return g_strdup_printf ("%s\n%s = %s, %s = %s", s->name ? s->name : "",
                          c->x_label ? c->x_label : "x", x, c->y_label ? c->y_label : "y", y);
}

static char *
scatter_text (const MsScatterChart *c, const MsPlotItem *it)
{
  if (it->index < 0 || it->index >= c->n)
    return NULL;
  char x[32], y[32];
  fmt (c->x[it->index], c->x_format, x, sizeof x);
  fmt (c->y[it->index], c->y_format, y, sizeof y);
  const char *group = "";
  if (c->group != NULL && c->group_names != NULL)
    {
      int g = c->group[it->index];
      if (g >= 0 && g < c->n_groups)
        group = c->group_names[g];
    }
  return g_strdup_printf ("%s%s%s = %s, %s = %s", group, *group ? "\n" : "",
                          c->x_label ? c->x_label : "x", x, c->y_label ? c->y_label : "y", y);
}

static char *
heatmap_text (const MsHeatmap *c, const MsPlotItem *it)
{
  char v[32];
  fmt (it->value, c->format, v, sizeof v);
  g_autofree char *row = c->row_labels != NULL && it->series >= 0 && it->series < c->n_rows
                         ? g_strdup (c->row_labels[it->series])
                         : g_strdup_printf ("%d", it->series);
  g_autofree char *col = c->col_labels != NULL && it->index >= 0 && it->index < c->n_cols
                         ? g_strdup (c->col_labels[it->index])
                         : g_strdup_printf ("%d", it->index);
  return g_strdup_printf ("%s %s, %s %s\n%s", c->y_label ? c->y_label : "", row,
                          c->x_label ? c->x_label : "", col, v);
}

static char *
dist_text (const MsDistChart *c, const MsPlotItem *it)
{
  if (it->series < 0 || it->series >= c->n_groups)
    return NULL;
  const MsDistGroup *g = &c->groups[it->series];
  MsBoxStats st;
  if (!ms_plot_box_stats (g->values, g->n, &st))
    return NULL;
  char med[32], q1[32], q3[32], mean[32];
  fmt (st.median, c->format, med, sizeof med);
  fmt (st.q1, c->format, q1, sizeof q1);
  fmt (st.q3, c->format, q3, sizeof q3);
  fmt (st.mean, c->format, mean, sizeof mean);
  return g_strdup_printf (_("%s\nmedian %s (quartiles %s to %s), mean %s, n = %d"),
                          g->name ? g->name : "", med, q1, q3, mean, st.n);
}

char *
memscope_chart_tooltip_text (MsPlotKind kind, gconstpointer chart, const MsPlotItem *item)
{
  if (chart == NULL || item == NULL)
    return NULL;
  if (kind == MS_PLOT_PANELS)
    {
      const MsPanelFigure *f = chart;
      if (item->panel < 0 || item->panel >= f->n_panels)
        return NULL;
      const MsPlotPanel *p = &f->panels[item->panel];
      MsPlotItem inner = *item;
      inner.panel = 0;
      return memscope_chart_tooltip_text (p->kind, p->chart, &inner);
    }
  switch (item->kind)
    {
    case MS_PLOT_ITEM_BAR:
    case MS_PLOT_ITEM_INTERVAL:
      return kind == MS_PLOT_BARS ? bar_text (chart, item) : NULL;
    case MS_PLOT_ITEM_POINT:
      if (kind == MS_PLOT_LINES)
        return line_text (chart, item);
      if (kind == MS_PLOT_SCATTER)
        return scatter_text (chart, item);
      if (kind == MS_PLOT_DIST)
        {
          const MsDistChart *c = chart;
          if (item->series < 0 || item->series >= c->n_groups)
            return NULL;
          char v[32];
          fmt (item->value, c->format, v, sizeof v);
          return g_strdup_printf ("%s\n%s", c->groups[item->series].name, v);
        }
      return NULL;
    case MS_PLOT_ITEM_CELL:
      return kind == MS_PLOT_HEATMAP ? heatmap_text (chart, item) : NULL;
    case MS_PLOT_ITEM_BOX:
      return kind == MS_PLOT_DIST ? dist_text (chart, item) : NULL;
    default:
      return NULL;
    }
}

char *
memscope_chart_describe (MsPlotKind kind, gconstpointer chart)
{
  if (kind != MS_PLOT_BARS || chart == NULL)
    return NULL;
  const MsBarChart *c = chart;
  GString *s = g_string_new (NULL);
  for (int i = 0; i < c->n_series; i++)
    {
      const MsBarSeries *se = &c->series[i];
      g_string_append_printf (s, "%s: ", se->name ? se->name : "");
      for (int k = 0; k < c->n_categories; k++)
        {
          char v[32];
          fmt (se->values[k], c->format, v, sizeof v);
          g_string_append_printf (s, "%s %s%s", c->categories ? c->categories[k] : "", v,
                                  k + 1 < c->n_categories ? ", " : ". ");
        }
    }
  return g_string_free (s, FALSE);
}
