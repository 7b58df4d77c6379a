/* Line chart: series of (x, y) points such as loss curves (solid training, dashed
 * validation) or ROC curves over the chance diagonal; a log y axis, markers and shaded
 * interval bands are optional. NaN points break a line rather than bridging the gap. */
#include "ms-plot-private.h"

#include <math.h>

static gboolean
point_ok (const MsLineSeries *se, int i, const MsAxis *y)
{
  return se->x && se->y && isfinite (se->x[i]) && ms_axis_valid (y, se->y[i]);
}

void
ms_plot_lines (cairo_t *cr, double width, double height, const MsLineChart *c,
               const MsPlotTheme *theme)
{
  MsDraw d;
  ms_draw_begin (&d, cr, width, height, theme);
  int ns = c && c->series ? MAX (c->n_series, 0) : 0;
  MsAxis probe = { .log = c && c->log_y };

  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (int k = 0; k < ns; k++)
    {
      const MsLineSeries *se = &c->series[k];
      for (int i = 0; i < se->n; i++)
        {
          if (!point_ok (se, i, &probe))
            continue;
          xlo = MIN (xlo, se->x[i]);
          xhi = MAX (xhi, se->x[i]);
          ylo = MIN (ylo, se->y[i]);
          yhi = MAX (yhi, se->y[i]);
          if (se->lower && se->upper && ms_axis_valid (&probe, se->lower[i])
              && ms_axis_valid (&probe, se->upper[i]))
            {
              ylo = MIN (ylo, MIN (se->lower[i], se->upper[i]));
              yhi = MAX (yhi, MAX (se->lower[i], se->upper[i]));
            }
        }
    }
  if (!(xlo <= xhi))
    {
      ms_frame_draw_empty (&d, c ? c->title : NULL);
      ms_draw_end (&d);
      return;
    }

  g_autofree MsLegendEntry *legend = g_new0 (MsLegendEntry, MAX (ns, 1));
  int nl = 0;
  for (int k = 0; k < ns; k++)
    if (c->series[k].name && *c->series[k].name)
      legend[nl++] = (MsLegendEntry) {
        c->series[k].name,
        c->series[k].dashed ? MS_SWATCH_DASH : c->series[k].markers ? MS_SWATCH_LINE_POINT
                                                                     : MS_SWATCH_LINE,
        ms_series_color (d.t, c->series[k].color, k) };
  MsFrame f = {
    .title = c->title, .x_label = c->x_label, .y_label = c->y_label,
    .legend = legend, .n_legend = nl,
    .x = { .lo = xlo, .hi = xhi, .format = c->x_format },
    .y = { .lo = ylo, .hi = yhi, .log = c->log_y, .margin = 0.05, .format = c->y_format },
    .x_grid = TRUE, .y_grid = TRUE,
  };
  if (c->x_min < c->x_max)
    {
      f.x.lo = c->x_min;
      f.x.hi = c->x_max;
      f.x.fixed = TRUE;
    }
  if (c->y_min < c->y_max && (!c->log_y || c->y_min > 0))
    {
      f.y.lo = c->y_min;
      f.y.hi = c->y_max;
      f.y.fixed = TRUE;
    }
  ms_frame_layout (&d, &f);
  ms_frame_draw_back (&d, &f);

  double s = d.s;
  cairo_save (cr);
  ms_frame_clip (&d, &f);

  /* Bands first, so every line stays on top of every band. */
  for (int k = 0; k < ns; k++)
    {
      const MsLineSeries *se = &c->series[k];
      if (!se->lower || !se->upper)
        continue;
      ms_set_rgba (cr, ms_series_color (d.t, se->color, k), 0.18);
      int i = 0;
      while (i < se->n)
        {
          /* One closed shape per unbroken run of points. */
          int j = i;
          while (j < se->n && point_ok (se, j, &f.y) && ms_axis_valid (&f.y, se->lower[j])
                 && ms_axis_valid (&f.y, se->upper[j]))
            j++;
          if (j - i >= 2)
            {
              for (int p = i; p < j; p++)
                cairo_line_to (cr, ms_axis_px (&f.x, se->x[p]), ms_axis_px (&f.y, se->upper[p]));
              for (int p = j - 1; p >= i; p--)
                cairo_line_to (cr, ms_axis_px (&f.x, se->x[p]), ms_axis_px (&f.y, se->lower[p]));
              cairo_close_path (cr);
              cairo_fill (cr);
            }
          cairo_new_path (cr);
          i = j + 1;
        }
    }

  if (c->diagonal)
    {
      double a = MAX (f.x.lo, f.y.lo), b = MIN (f.x.hi, f.y.hi), dash[2] = { 5 * s, 3 * s };
      if (a < b && (!f.y.log || a > 0))
        {
          ms_set_rgb (cr, d.t->axis);
          cairo_set_line_width (cr, 1.2 * s);
          cairo_set_dash (cr, dash, 2, 0);
          cairo_move_to (cr, ms_axis_px (&f.x, a), ms_axis_px (&f.y, a));
          cairo_line_to (cr, ms_axis_px (&f.x, b), ms_axis_px (&f.y, b));
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
        }
    }

  cairo_set_line_width (cr, 2 * s);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (int k = 0; k < ns; k++)
    {
      const MsLineSeries *se = &c->series[k];
      double dash[2] = { 6 * s, 3.5 * s };
      cairo_set_dash (cr, dash, se->dashed ? 2 : 0, 0);
      ms_set_rgb (cr, ms_series_color (d.t, se->color, k));
      gboolean pen = FALSE;
      for (int i = 0; i < se->n; i++)
        {
          if (!point_ok (se, i, &f.y))
            {
              pen = FALSE;
              continue;
            }
          double x = ms_axis_px (&f.x, se->x[i]), y = ms_axis_px (&f.y, se->y[i]);
          if (pen)
            cairo_line_to (cr, x, y);
          else
            {
              /* A lone point between gaps would vanish as a line: a dot instead. */
              gboolean alone = i + 1 >= se->n || !point_ok (se, i + 1, &f.y);
              cairo_move_to (cr, x, y);
              if (alone)
                cairo_line_to (cr, x, y);
            }
          pen = TRUE;
        }
      cairo_stroke (cr);
    }
  cairo_set_dash (cr, NULL, 0, 0);

  double r = 3.2 * s;
  for (int k = 0; k < ns; k++)
    {
      const MsLineSeries *se = &c->series[k];
      MsPlotRgb col = ms_series_color (d.t, se->color, k);
      for (int i = 0; i < se->n; i++)
        {
          if (!point_ok (se, i, &f.y))
            continue;
          double x = ms_axis_px (&f.x, se->x[i]), y = ms_axis_px (&f.y, se->y[i]);
          if (se->markers)
            {
              cairo_arc (cr, x, y, r, 0, 2 * G_PI);
              ms_set_rgb (cr, col);
              cairo_fill_preserve (cr);
              ms_set_rgb (cr, d.t->background);
              cairo_set_line_width (cr, s);
              cairo_stroke (cr);
            }
          ms_draw_item (&d, MS_PLOT_ITEM_POINT, k, i, x - r, y - r, 2 * r, 2 * r, se->y[i]);
        }
    }
  cairo_restore (cr);

  ms_frame_draw_axes (&d, &f);
  ms_draw_end (&d);
}
