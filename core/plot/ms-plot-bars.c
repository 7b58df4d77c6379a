/* Grouped bar chart: categories along the bottom, one bar per series in each group, drawn
 * from zero (so negative corrected rates hang below it), with interval whiskers, hatched
 * control series and an optional dashed reference line. */
#include "ms-plot-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

static double
at (const double *v, int i)
{
  return v ? v[i] : NAN;
}

void
ms_plot_bars (cairo_t *cr, double width, double height, const MsBarChart *c,
              const MsPlotTheme *theme)
{
  MsDraw d;
  ms_draw_begin (&d, cr, width, height, theme);
  int nc = c ? MAX (c->n_categories, 0) : 0;
  int ns = c && c->series ? MAX (c->n_series, 0) : 0;

  double lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < nc; i++)
      {
        double v = at (c->series[k].values, i);
        if (!isfinite (v))
          continue;
        double l = at (c->series[k].lower, i), u = at (c->series[k].upper, i);
        lo = MIN (lo, v);
        hi = MAX (hi, v);
        if (isfinite (l) && isfinite (u))
          {
            lo = MIN (lo, MIN (l, u));
            hi = MAX (hi, MAX (l, u));
          }
      }
  if (!(lo <= hi))
    {
      ms_frame_draw_empty (&d, c ? c->title : NULL);
      ms_draw_end (&d);
      return;
    }
  /* Bars start at zero, so zero is always on the axis. */
  lo = MIN (lo, 0);
  hi = MAX (hi, 0);
  if (c->has_reference && isfinite (c->reference))
    {
      lo = MIN (lo, c->reference);
      hi = MAX (hi, c->reference);
    }

  g_autofree MsLegendEntry *legend = g_new0 (MsLegendEntry, MAX (ns, 1));
  int nl = 0;
  for (int k = 0; k < ns; k++)
    if (c->series[k].name && *c->series[k].name)
      legend[nl++] = (MsLegendEntry) { c->series[k].name,
                                       c->series[k].control ? MS_SWATCH_HATCH : MS_SWATCH_BOX,
                                       ms_series_color (d.t, c->series[k].color, k) };
  /* One unnamed series needs no legend. */
  MsFrame f = {
    .title = c->title, .x_label = c->x_label, .y_label = c->y_label,
    .legend = legend, .n_legend = nl,
    .x = { .cats = c->categories, .notes = c->annotations, .n_cats = nc },
    .y = { .lo = lo, .hi = hi, .nice = TRUE, .format = c->format },
    .y_grid = TRUE,
  };
  if (c->y_min < c->y_max)
    {
      f.y.lo = c->y_min;
      f.y.hi = c->y_max;
      f.y.fixed = TRUE;
    }
  ms_frame_layout (&d, &f);
  ms_frame_draw_back (&d, &f);

  double s = d.s, slot = (f.right - f.left) / nc;
  double group = slot * (ns == 1 ? 0.62 : 0.8), bw = group / ns;
  double inset = MIN (bw * 0.08, 1.2 * s);
  double y0 = CLAMP (ms_axis_px (&f.y, 0), f.top, f.bottom);
  cairo_save (cr);
  ms_frame_clip (&d, &f);

  for (int k = 0; k < ns; k++)
    {
      const MsBarSeries *se = &c->series[k];
      MsPlotRgb col = ms_series_color (d.t, se->color, k);
      for (int i = 0; i < nc; i++)
        {
          double v = at (se->values, i);
          if (!isfinite (v))
            continue;
          double x = f.left + i * slot + (slot - group) / 2 + k * bw + inset, w = bw - 2 * inset;
          double y1 = CLAMP (ms_axis_px (&f.y, v), f.top - s, f.bottom + s);
          double top = MIN (y0, y1), h = fabs (y1 - y0);
          ms_set_rgb (cr, se->control ? ms_rgb_mix (col, d.t->background, 0.72) : col);
          cairo_rectangle (cr, x, top, w, h);
          cairo_fill (cr);
          if (se->control)
            {
              ms_set_rgb (cr, col);
              ms_draw_hatch (&d, x, top, w, h);
              cairo_set_line_width (cr, s);
              cairo_rectangle (cr, x + s / 2, top + s / 2, MAX (w - s, 0), MAX (h - s, 0));
              cairo_stroke (cr);
            }
          ms_draw_item (&d, MS_PLOT_ITEM_BAR, k, i, x, top, w, h, v);
        }
    }

  /* A category without any bar says so, rather than passing for a rate of zero. */
  for (int i = 0; i < nc; i++)
    {
      gboolean any = FALSE;
      for (int k = 0; k < ns && !any; k++)
        any = isfinite (at (c->series[k].values, i));
      if (!any)
        /* TRANSLATORS: a bar chart's category with no value (nothing was measured). */
        ms_draw_text (&d, MS_TEXT_NOTE, C_("chart", "n/a"), f.left + (i + 0.5) * slot,
                      y0 - 3 * s, 0.5, 1, d.t->muted);
    }

  /* The zero line, when the axis runs below zero. */
  if (f.y.lo < 0 && f.y.hi > 0)
    {
      ms_set_rgb (cr, d.t->axis);
      cairo_set_line_width (cr, s);
      cairo_move_to (cr, f.left, y0);
      cairo_line_to (cr, f.right, y0);
      cairo_stroke (cr);
    }

  /* Whiskers over the bars, in the text colour so they read on every series colour. */
  cairo_set_line_width (cr, 1.4 * s);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  for (int k = 0; k < ns; k++)
    {
      const MsBarSeries *se = &c->series[k];
      for (int i = 0; i < nc; i++)
        {
          double v = at (se->values, i), l = at (se->lower, i), u = at (se->upper, i);
          if (!isfinite (v) || !isfinite (l) || !isfinite (u))
            continue;
          double cx = f.left + i * slot + (slot - group) / 2 + (k + 0.5) * bw;
          double cap = MIN (bw * 0.22, 5 * s);
          double yl = ms_axis_px (&f.y, MIN (l, u)), yu = ms_axis_px (&f.y, MAX (l, u));
          ms_set_rgba (cr, d.t->text, 0.85);
          cairo_move_to (cr, cx, yl);
          cairo_line_to (cr, cx, yu);
          cairo_move_to (cr, cx - cap, yl);
          cairo_line_to (cr, cx + cap, yl);
          cairo_move_to (cr, cx - cap, yu);
          cairo_line_to (cr, cx + cap, yu);
          cairo_stroke (cr);
          ms_draw_item (&d, MS_PLOT_ITEM_INTERVAL, k, i, cx - cap, yu, 2 * cap, yl - yu, v);
        }
    }

  if (c->has_reference && isfinite (c->reference))
    {
      double y = ms_axis_px (&f.y, c->reference), dash[2] = { 5 * s, 3 * s };
      /* A halo of the canvas colour keeps the dashes visible across bars of any colour. */
      cairo_set_dash (cr, dash, 2, 0);
      for (int pass = 0; pass < 2; pass++)
        {
          if (pass == 0)
            ms_set_rgba (cr, d.t->background, 0.8);
          else
            ms_set_rgb (cr, d.t->muted);
          cairo_set_line_width (cr, (pass == 0 ? 3.4 : 1.3) * s);
          cairo_move_to (cr, f.left, y);
          cairo_line_to (cr, f.right, y);
          cairo_stroke (cr);
        }
      cairo_set_dash (cr, NULL, 0, 0);
      if (c->reference_label && *c->reference_label)
        ms_draw_text (&d, MS_TEXT_NOTE, c->reference_label, f.right - 3 * s, y - 2 * s, 1, 1,
                      d.t->muted);
    }
  cairo_restore (cr);

  ms_frame_draw_axes (&d, &f);
  ms_draw_end (&d);
}
