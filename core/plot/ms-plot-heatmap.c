/* Heatmap: a matrix in the viridis map with row and column labels (thinned and turned when
 * there are many, as for an attention map with a token on each axis) and a colour bar. The
 * cells are one image drawn without smoothing, so no seams appear between them. */
#include "ms-plot-private.h"

#include <math.h>

#define MAX_CELL_ITEMS 65536

static double
colorbar_width (MsDraw *d, MsAxis *cb, const char *caption)
{
  double s = d->s, w = 0;
  for (int i = 0; i < cb->n_ticks; i++)
    {
      g_autofree char *text = ms_axis_tick_label (cb, cb->ticks[i]);
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_TICK, text, 0, FALSE);
      double tw;
      ms_layout_size (l, &tw, NULL);
      g_object_unref (l);
      w = MAX (w, tw);
    }
  double total = 14 * s + 14 * s + 5 * s + w;
  if (caption && *caption)
    {
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_LABEL, caption, 0, FALSE);
      double th;
      ms_layout_size (l, NULL, &th);
      g_object_unref (l);
      total += th + 8 * s;
    }
  return total;
}

static void
draw_colorbar (MsDraw *d, const MsFrame *f, MsAxis *cb, const char *caption)
{
  cairo_t *cr = d->cr;
  double s = d->s, x = f->right + 14 * s, bw = 14 * s;
  cb->p0 = f->bottom;
  cb->p1 = f->top;
  cairo_pattern_t *grad = cairo_pattern_create_linear (0, f->bottom, 0, f->top);
  for (int i = 0; i <= 32; i++)
    {
      MsPlotRgb c = ms_plot_viridis (i / 32.0);
      cairo_pattern_add_color_stop_rgb (grad, i / 32.0, c.r, c.g, c.b);
    }
  cairo_set_source (cr, grad);
  cairo_rectangle (cr, x, f->top, bw, f->bottom - f->top);
  cairo_fill (cr);
  cairo_pattern_destroy (grad);

  ms_set_rgb (cr, d->t->axis);
  cairo_set_line_width (cr, s);
  double label_w = 0;
  for (int i = 0; i < cb->n_ticks; i++)
    {
      double y = ms_axis_px (cb, cb->ticks[i]);
      cairo_move_to (cr, x + bw, y);
      cairo_line_to (cr, x + bw + 3 * s, y);
      cairo_stroke (cr);
      g_autofree char *text = ms_axis_tick_label (cb, cb->ticks[i]);
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_TICK, text, 0, FALSE);
      double tw;
      ms_layout_size (l, &tw, NULL);
      label_w = MAX (label_w, tw);
      ms_draw_show (d, l, x + bw + 5 * s, y, 0, 0.5, 0, d->t->muted);
      g_object_unref (l);
    }
  if (caption && *caption)
    {
      /* Beside the tick labels, so it stays with the bar when square cells leave room. */
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_LABEL, caption,
                                       MAX (f->bottom - f->top, 20 * s), FALSE);
      ms_draw_show (d, l, x + bw + 5 * s + label_w + 8 * s, (f->top + f->bottom) / 2, 0.5, 0,
                    -G_PI / 2, d->t->text);
      g_object_unref (l);
    }
}

static void
draw_cells (MsDraw *d, const MsHeatmap *c, const MsFrame *f, double vmin, double vmax)
{
  cairo_t *cr = d->cr;
  int rows = c->n_rows, cols = c->n_cols;
  /* A raster target samples the cells itself; vector targets get each cell as a block of
   * pixels so that viewers that smooth images blur only the block edges. */
  int k = 1;
  if (cairo_surface_get_type (cairo_get_target (cr)) != CAIRO_SURFACE_TYPE_IMAGE)
    k = CLAMP ((int) floor (sqrt (4e6 / ((double) rows * cols))), 1, 8);
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, cols * k, rows * k);
  if (cairo_surface_status (img) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (img);
      return;
    }
  cairo_surface_flush (img);
  guint8 *data = cairo_image_surface_get_data (img);
  int stride = cairo_image_surface_get_stride (img);
  for (int r = 0; r < rows; r++)
    for (int col = 0; col < cols; col++)
      {
        double v = c->values[(gsize) r * cols + col];
        guint32 px = 0;  /* NaN: transparent, the canvas shows through */
        if (isfinite (v))
          {
            MsPlotRgb rgb = ms_plot_viridis ((v - vmin) / (vmax - vmin));
            px = 0xff000000u | (guint32) lround (rgb.r * 255) << 16
                 | (guint32) lround (rgb.g * 255) << 8 | (guint32) lround (rgb.b * 255);
          }
        for (int dy = 0; dy < k; dy++)
          {
            guint32 *line = (guint32 *) (data + (gsize) (r * k + dy) * stride);
            for (int dx = 0; dx < k; dx++)
              line[col * k + dx] = px;
          }
      }
  cairo_surface_mark_dirty (img);
  cairo_save (cr);
  cairo_rectangle (cr, f->left, f->top, f->right - f->left, f->bottom - f->top);
  cairo_clip (cr);
  cairo_translate (cr, f->left, f->top);
  cairo_scale (cr, (f->right - f->left) / (cols * k), (f->bottom - f->top) / (rows * k));
  cairo_set_source_surface (cr, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (img);
}

void
ms_plot_heatmap (cairo_t *cr, double width, double height, const MsHeatmap *c,
                 const MsPlotTheme *theme)
{
  MsDraw d;
  ms_draw_begin (&d, cr, width, height, theme);
  int rows = c && c->values ? MAX (c->n_rows, 0) : 0, cols = c && c->values ? MAX (c->n_cols, 0) : 0;
  double lo = INFINITY, hi = -INFINITY;
  for (gsize i = 0; i < (gsize) rows * cols; i++)
    if (isfinite (c->values[i]))
      {
        lo = MIN (lo, c->values[i]);
        hi = MAX (hi, c->values[i]);
      }
  if (!(lo <= hi))
    {
      ms_frame_draw_empty (&d, c ? c->title : NULL);
      ms_draw_end (&d);
      return;
    }
  if (c->v_min < c->v_max)
    {
      lo = c->v_min;
      hi = c->v_max;
    }
  if (!(hi > lo))
    {
      double r = lo == 0 ? 1 : fabs (lo) * 0.1;
      lo -= r;
      hi += r;
    }
  double s = d.s;
  MsAxis cb = { .fixed = TRUE, .format = c->format };
  ms_axis_ticks (&cb, lo, hi, 6);

  MsFrame f = {
    .title = c->title, .x_label = c->x_label, .y_label = c->y_label,
    .x = { .cats = c->col_labels, .n_cats = cols, .cat_vertical = TRUE },
    .y = { .cats = c->row_labels, .n_cats = rows },
    .no_axis_lines = TRUE,
    .reserve_right = colorbar_width (&d, &cb, c->value_label),
  };
  ms_frame_layout (&d, &f);
  ms_axis_ticks (&cb, lo, hi, CLAMP ((int) ((f.bottom - f.top) / (40 * s)) + 1, 2, 8));
  if (c->square)
    {
      /* Equal cells: shrink the area to fit and centre the whole chart in the room. */
      double cell = MIN ((f.right - f.left) / cols, (f.bottom - f.top) / rows);
      double w = cell * cols, h = cell * rows, dy = ((f.bottom - f.top) - h) / 2;
      f.left += ((f.right - f.left) - w) / 2;
      f.right = f.left + w;
      f.title_top += dy;
      f.legend_top += dy;
      f.top += dy;
      f.bottom = f.top + h;
      f.x.p0 = f.left;
      f.x.p1 = f.right;
      f.y.p0 = f.top;
      f.y.p1 = f.bottom;
    }
  ms_frame_draw_back (&d, &f);
  draw_cells (&d, c, &f, lo, hi);

  double cw = (f.right - f.left) / cols, ch = (f.bottom - f.top) / rows;
  if (c->annotate)
    {
      /* Values in the cells only when the widest fits every cell. */
      double step = cb.step / 10, widest = 0, th = 0;
      for (gsize i = 0; i < (gsize) rows * cols; i++)
        {
          char buf[64];
          ms_plot_format_value (c->values[i], step, c->format, buf, sizeof buf);
          PangoLayout *l = ms_draw_layout (&d, MS_TEXT_CELL, buf, 0, FALSE);
          double tw;
          ms_layout_size (l, &tw, &th);
          g_object_unref (l);
          widest = MAX (widest, tw);
        }
      if (widest + 4 * s <= cw && th + 2 * s <= ch)
        for (int r = 0; r < rows; r++)
          for (int col = 0; col < cols; col++)
            {
              double v = c->values[(gsize) r * cols + col];
              if (!isfinite (v))
                continue;
              char buf[64];
              ms_plot_format_value (v, step, c->format, buf, sizeof buf);
              MsPlotRgb bg = ms_plot_viridis ((v - lo) / (hi - lo));
              MsPlotRgb fg = ms_rgb_luminance (bg) > 0.45 ? (MsPlotRgb) { 0.1, 0.1, 0.1 }
                                                           : (MsPlotRgb) { 1, 1, 1 };
              ms_draw_text (&d, MS_TEXT_CELL, buf, f.left + (col + 0.5) * cw,
                            f.top + (r + 0.5) * ch, 0.5, 0.5, fg);
            }
    }
  if ((gsize) rows * cols <= MAX_CELL_ITEMS)
    for (int r = 0; r < rows; r++)
      for (int col = 0; col < cols; col++)
        ms_draw_item (&d, MS_PLOT_ITEM_CELL, r, col, f.left + col * cw, f.top + r * ch, cw, ch,
                      c->values[(gsize) r * cols + col]);

  draw_colorbar (&d, &f, &cb, c->value_label);
  ms_frame_draw_axes (&d, &f);
  ms_draw_end (&d);
}
