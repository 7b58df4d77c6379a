/* Figures of several charts in a grid (one panel per measure, say) under one title and one
 * legend gathered from the panels, and ms_plot_draw, which draws any chart by its kind. */
#include "ms-plot-private.h"

#include <math.h>
#include <string.h>

#define MAX_DEPTH 3

void
ms_plot_draw (cairo_t *cr, double width, double height, MsPlotKind kind, gconstpointer chart,
              const MsPlotTheme *theme)
{
  switch (kind)
    {
    case MS_PLOT_BARS:
      ms_plot_bars (cr, width, height, chart, theme);
      return;
    case MS_PLOT_LINES:
      ms_plot_lines (cr, width, height, chart, theme);
      return;
    case MS_PLOT_SCATTER:
      ms_plot_scatter (cr, width, height, chart, theme);
      return;
    case MS_PLOT_HEATMAP:
      ms_plot_heatmap (cr, width, height, chart, theme);
      return;
    case MS_PLOT_DIST:
      ms_plot_distribution (cr, width, height, chart, theme);
      return;
    case MS_PLOT_PANELS:
      ms_plot_panels (cr, width, height, chart, theme);
      return;
    }
  /* An unknown kind draws an empty chart rather than reading CHART as the wrong type. */
  MsDraw d;
  ms_draw_begin (&d, cr, width, height, theme);
  ms_frame_draw_empty (&d, NULL);
  ms_draw_end (&d);
}

/* Columns for N panels whose cells come closest to a 3:2 landscape shape. */
static int
auto_columns (int n, double w, double h)
{
  int best = 1;
  double best_err = INFINITY;
  for (int cols = 1; cols <= n; cols++)
    {
      int rows = (n + cols - 1) / cols;
      double err = fabs (log ((w / cols) / (h / rows) / 1.5));
      /* Empty cells are wasted room. */
      err += 0.15 * (rows * cols - n);
      if (err < best_err)
        {
          best_err = err;
          best = cols;
        }
    }
  return best;
}

/* The legend entries every panel would draw, once each by label. */
static GArray *
gather_legend (const MsPanelFigure *fig, double cw, double ch, const MsPlotTheme *theme,
               int depth)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (MsLegendEntry));
  cairo_surface_t *scratch = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (scratch);
  MsPlotCtx *ctx = ms_plot_ctx_ensure (cr);
  ctx->hide_legend = TRUE;
  ctx->legend_out = all;
  ctx->depth = depth;
  for (int i = 0; i < fig->n_panels; i++)
    if (fig->panels[i].chart)
      ms_plot_draw (cr, cw, ch, fig->panels[i].kind, fig->panels[i].chart, theme);
  cairo_destroy (cr);
  cairo_surface_destroy (scratch);

  GArray *out = g_array_new (FALSE, FALSE, sizeof (MsLegendEntry));
  for (guint i = 0; i < all->len; i++)
    {
      const MsLegendEntry *e = &g_array_index (all, MsLegendEntry, i);
      gboolean seen = FALSE;
      for (guint j = 0; j < out->len && !seen; j++)
        seen = g_strcmp0 (g_array_index (out, MsLegendEntry, j).label, e->label) == 0;
      if (!seen)
        g_array_append_val (out, *e);
    }
  g_array_unref (all);
  return out;
}

void
ms_plot_panels (cairo_t *cr, double width, double height, const MsPanelFigure *fig,
                const MsPlotTheme *theme)
{
  MsDraw d;
  ms_draw_begin (&d, cr, width, height, theme);
  MsPlotCtx *ctx = ms_plot_ctx_ensure (cr);
  d.ctx = ctx;
  int n = fig && fig->panels ? MAX (fig->n_panels, 0) : 0;
  if (n == 0 || ctx->depth >= MAX_DEPTH)
    {
      ms_frame_draw_empty (&d, fig ? fig->title : NULL);
      ms_draw_end (&d);
      return;
    }

  double s = d.s, pad = d.pad, top = pad * 0.8;
  if (fig->title && *fig->title)
    {
      PangoLayout *l = ms_draw_layout (&d, MS_TEXT_FIGURE_TITLE, fig->title, d.w - 2 * pad, TRUE);
      double tw, th;
      ms_layout_size (l, &tw, &th);
      ms_draw_show (&d, l, d.w / 2, top, 0.5, 0, 0, d.t->text);
      ms_draw_item (&d, MS_PLOT_ITEM_TITLE, -1, -1, d.w / 2 - tw / 2, top, tw, th, NAN);
      g_object_unref (l);
      top += th + 6 * s;
    }

  /* Panels are laid out at the figure's scale, a little smaller, so that their text matches
   * across the grid whatever the cell size. */
  MsPlotTheme sub = *d.t;
  sub.scale = s * (n > 1 ? 0.8 : 1.0);
  sub.transparent = TRUE;
  int cols = fig->n_columns > 0 ? MIN (fig->n_columns, n) : auto_columns (n, d.w, d.h - top);
  int rows = (n + cols - 1) / cols;

  g_autoptr (GArray) legend = NULL;
  if (!fig->own_legends)
    {
      double lh_guess = 0;
      legend = gather_legend (fig, (d.w - pad) / cols, (d.h - top) / rows, &sub, ctx->depth + 1);
      if (legend->len > 0)
        {
          lh_guess = ms_legend_height (&d, (const MsLegendEntry *) legend->data, legend->len);
          ms_legend_draw (&d, (const MsLegendEntry *) legend->data, legend->len, top, d.w / 2);
          top += lh_guess + 4 * s;
        }
    }

  double x0 = pad * 0.4, cw = (d.w - 2 * x0) / cols, ch = (d.h - top - pad * 0.4) / rows;
  int saved_panel = ctx->panel;
  gboolean saved_hide = ctx->hide_legend;
  GArray *saved_out = ctx->legend_out;
  ctx->depth++;
  for (int i = 0; i < n; i++)
    {
      if (fig->panels[i].chart == NULL)
        continue;
      double px = x0 + (i % cols) * cw, py = top + (i / cols) * ch;
      ctx->panel = i;
      ctx->hide_legend = !fig->own_legends;
      ctx->legend_out = NULL;
      cairo_save (cr);
      cairo_translate (cr, px, py);
      cairo_rectangle (cr, 0, 0, cw, ch);
      cairo_clip (cr);
      ms_plot_draw (cr, cw, ch, fig->panels[i].kind, fig->panels[i].chart, &sub);
      cairo_restore (cr);
    }
  ctx->depth--;
  ctx->panel = saved_panel;
  ctx->hide_legend = saved_hide;
  ctx->legend_out = saved_out;
  ms_draw_end (&d);
}
