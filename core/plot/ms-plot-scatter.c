/* Scatter plot: points coloured by group, an optional least-squares line, and a note (a
 * correlation with its interval, say) set in whichever corner the points leave emptiest. */
#include "ms-plot-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

gboolean
ms_plot_least_squares (const double *x, const double *y, int n, double *slope,
                       double *intercept)
{
  double mx = 0, my = 0;
  int m = 0;
  for (int i = 0; i < n; i++)
    if (isfinite (x[i]) && isfinite (y[i]))
      {
        mx += x[i];
        my += y[i];
        m++;
      }
  if (m < 2)
    return FALSE;
  mx /= m;
  my /= m;
  /* Centred sums: no cancellation when x sits far from zero (training steps). */
  double sxx = 0, sxy = 0;
  for (int i = 0; i < n; i++)
    if (isfinite (x[i]) && isfinite (y[i]))
      {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
      }
  if (!(sxx > 0))
    return FALSE;
  *slope = sxy / sxx;
  *intercept = my - *slope * mx;
  return TRUE;
}

static int
group_of (const MsScatterChart *c, int i)
{
  return c->group ? c->group[i] : 0;
}

void
ms_plot_scatter (cairo_t *cr, double width, double height, const MsScatterChart *c,
                 const MsPlotTheme *theme)
{
  MsDraw d;
  ms_draw_begin (&d, cr, width, height, theme);
  int n = c && c->x && c->y ? MAX (c->n, 0) : 0;
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (int i = 0; i < n; i++)
    if (isfinite (c->x[i]) && isfinite (c->y[i]))
      {
        xlo = MIN (xlo, c->x[i]);
        xhi = MAX (xhi, c->x[i]);
        ylo = MIN (ylo, c->y[i]);
        yhi = MAX (yhi, c->y[i]);
      }
  if (!(xlo <= xhi))
    {
      ms_frame_draw_empty (&d, c ? c->title : NULL);
      ms_draw_end (&d);
      return;
    }

  double slope = 0, icpt = 0;
  gboolean fit = c->fit_line && ms_plot_least_squares (c->x, c->y, n, &slope, &icpt);
  int ng = c->group_names ? MAX (c->n_groups, 0) : 0;
  g_autofree MsLegendEntry *legend = g_new0 (MsLegendEntry, ng + 1);
  int nl = 0;
  for (int g = 0; g < ng; g++)
    if (c->group_names[g] && *c->group_names[g])
      legend[nl++] = (MsLegendEntry) { c->group_names[g], MS_SWATCH_POINT,
                                       ms_series_color (d.t, 0, g) };
  if (fit && nl > 0)
    legend[nl++] = (MsLegendEntry) { _("Least-squares fit"), MS_SWATCH_LINE, d.t->muted };

  MsFrame f = {
    .title = c->title, .x_label = c->x_label, .y_label = c->y_label,
    .legend = legend, .n_legend = nl,
    .x = { .lo = xlo, .hi = xhi, .margin = 0.05, .format = c->x_format },
    .y = { .lo = ylo, .hi = yhi, .margin = 0.05, .format = c->y_format },
    .x_grid = TRUE, .y_grid = TRUE,
  };
  ms_frame_layout (&d, &f);
  ms_frame_draw_back (&d, &f);

  double s = d.s, r = (n > 2000 ? 2.0 : n > 300 ? 2.8 : 3.8) * s;
  cairo_save (cr);
  ms_frame_clip (&d, &f);
  cairo_set_line_width (cr, 0.8 * s);
  for (int i = 0; i < n; i++)
    {
      if (!isfinite (c->x[i]) || !isfinite (c->y[i]))
        continue;
      double x = ms_axis_px (&f.x, c->x[i]), y = ms_axis_px (&f.y, c->y[i]);
      int g = group_of (c, i);
      cairo_arc (cr, x, y, r, 0, 2 * G_PI);
      ms_set_rgba (cr, ms_series_color (d.t, 0, g), 0.78);
      cairo_fill_preserve (cr);
      ms_set_rgba (cr, d.t->background, 0.9);
      cairo_stroke (cr);
      ms_draw_item (&d, MS_PLOT_ITEM_POINT, g, i, x - r, y - r, 2 * r, 2 * r, c->y[i]);
    }
  if (fit)
    {
      ms_set_rgb (cr, d.t->muted);
      cairo_set_line_width (cr, 1.6 * s);
      cairo_move_to (cr, f.left, ms_axis_px (&f.y, icpt + slope * f.x.lo));
      cairo_line_to (cr, f.right, ms_axis_px (&f.y, icpt + slope * f.x.hi));
      cairo_stroke (cr);
    }
  cairo_restore (cr);

  if (c->annotation && *c->annotation)
    {
      /* The corner whose box holds the fewest points (top left first on ties). */
      PangoLayout *l = ms_draw_layout (&d, MS_TEXT_LEGEND, c->annotation,
                                       (f.right - f.left) * 0.9, FALSE);
      double tw, th, m = 8 * s, bp = 5 * s;
      ms_layout_size (l, &tw, &th);
      double bw = tw + 2 * bp, bh = th + 2 * bp;
      double cx[4] = { f.left + m, f.right - m - bw, f.left + m, f.right - m - bw };
      double cy[4] = { f.top + m, f.top + m, f.bottom - m - bh, f.bottom - m - bh };
      int best = 0, best_n = G_MAXINT;
      for (int k = 0; k < 4; k++)
        {
          int cnt = 0;
          for (int i = 0; i < n; i++)
            {
              if (!isfinite (c->x[i]) || !isfinite (c->y[i]))
                continue;
              double x = ms_axis_px (&f.x, c->x[i]), y = ms_axis_px (&f.y, c->y[i]);
              cnt += x >= cx[k] - r && x <= cx[k] + bw + r && y >= cy[k] - r && y <= cy[k] + bh + r;
            }
          if (fit)
            {
              /* Count the fit line as points along it. */
              for (int j = 0; j <= 20; j++)
                {
                  double xv = f.x.lo + (f.x.hi - f.x.lo) * j / 20.0;
                  double x = ms_axis_px (&f.x, xv), y = ms_axis_px (&f.y, icpt + slope * xv);
                  cnt += 3 * (x >= cx[k] && x <= cx[k] + bw && y >= cy[k] && y <= cy[k] + bh);
                }
            }
          if (cnt < best_n)
            {
              best_n = cnt;
              best = k;
            }
        }
      double x0 = cx[best], y0 = cy[best], rad = 4 * s;
      cairo_new_sub_path (cr);
      cairo_arc (cr, x0 + bw - rad, y0 + rad, rad, -G_PI / 2, 0);
      cairo_arc (cr, x0 + bw - rad, y0 + bh - rad, rad, 0, G_PI / 2);
      cairo_arc (cr, x0 + rad, y0 + bh - rad, rad, G_PI / 2, G_PI);
      cairo_arc (cr, x0 + rad, y0 + rad, rad, G_PI, 3 * G_PI / 2);
      cairo_close_path (cr);
      ms_set_rgba (cr, d.t->background, 0.88);
      cairo_fill_preserve (cr);
      ms_set_rgb (cr, d.t->grid);
      cairo_set_line_width (cr, s);
      cairo_stroke (cr);
      ms_draw_show (&d, l, x0 + bp, y0 + bp, 0, 0, 0, d.t->text);
      g_object_unref (l);
    }

  ms_frame_draw_axes (&d, &f);
  ms_draw_end (&d);
}
