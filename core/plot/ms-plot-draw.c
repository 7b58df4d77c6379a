/* One drawing session: cairo state, Pango text set up identically for every surface (no
 * hinting, so PNG, SVG and PDF lay out alike), the scale, and the items recorded for hit
 * testing through a context that rides on the cairo_t. */
#include "ms-plot-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

/* ---- context on the cairo_t and hit recording -------------------------------------------- */

struct _MsPlotHits {
  GArray *items;         /* (MsPlotItem) */
  cairo_matrix_t to_user;  /* device -> user space at attach time */
};

static const cairo_user_data_key_t ctx_key;

MsPlotCtx *
ms_plot_ctx_get (cairo_t *cr)
{
  return cairo_get_user_data (cr, &ctx_key);
}

MsPlotCtx *
ms_plot_ctx_ensure (cairo_t *cr)
{
  MsPlotCtx *ctx = ms_plot_ctx_get (cr);
  if (ctx == NULL)
    {
      ctx = g_new0 (MsPlotCtx, 1);
      cairo_set_user_data (cr, &ctx_key, ctx, g_free);
    }
  return ctx;
}

MsPlotHits *
ms_plot_hits_new (void)
{
  MsPlotHits *hits = g_new0 (MsPlotHits, 1);
  hits->items = g_array_new (FALSE, FALSE, sizeof (MsPlotItem));
  cairo_matrix_init_identity (&hits->to_user);
  return hits;
}

void
ms_plot_hits_free (MsPlotHits *hits)
{
  if (hits == NULL)
    return;
  g_array_unref (hits->items);
  g_free (hits);
}

void
ms_plot_hits_attach (cairo_t *cr, MsPlotHits *hits)
{
  MsPlotCtx *ctx = ms_plot_ctx_ensure (cr);
  ctx->hits = hits;
  if (hits == NULL)
    return;
  g_array_set_size (hits->items, 0);
  cairo_get_matrix (cr, &hits->to_user);
  if (cairo_matrix_invert (&hits->to_user) != CAIRO_STATUS_SUCCESS)
    cairo_matrix_init_identity (&hits->to_user);
}

guint
ms_plot_hits_count (const MsPlotHits *hits)
{
  return hits ? hits->items->len : 0;
}

const MsPlotItem *
ms_plot_hits_get (const MsPlotHits *hits, guint i)
{
  g_return_val_if_fail (hits != NULL && i < hits->items->len, NULL);
  return &g_array_index (hits->items, MsPlotItem, i);
}

const MsPlotItem *
ms_plot_hits_find (const MsPlotHits *hits, double x, double y, double radius)
{
  if (hits == NULL)
    return NULL;
  const MsPlotItem *best = NULL, *inside = NULL;
  double best_d = radius * radius;
  for (guint i = 0; i < hits->items->len; i++)
    {
      const MsPlotItem *it = &g_array_index (hits->items, MsPlotItem, i);
      if (it->kind == MS_PLOT_ITEM_POINT)
        {
          double dx = x - (it->x + it->width / 2), dy = y - (it->y + it->height / 2);
          if (dx * dx + dy * dy <= best_d)
            {
              best_d = dx * dx + dy * dy;
              best = it;
            }
        }
      else if (it->kind != MS_PLOT_ITEM_AREA && it->kind != MS_PLOT_ITEM_TITLE
               && it->kind != MS_PLOT_ITEM_NO_DATA
               && x >= it->x && x <= it->x + it->width && y >= it->y && y <= it->y + it->height)
        inside = it;  /* the last drawn is on top */
    }
  return best ? best : inside;
}

gboolean
ms_draw_recording (const MsDraw *d)
{
  return d->ctx != NULL && d->ctx->hits != NULL;
}

void
ms_draw_item (MsDraw *d, MsPlotItemKind kind, int series, int index, double x, double y,
              double w, double h, double value)
{
  if (!ms_draw_recording (d))
    return;
  MsPlotHits *hits = d->ctx->hits;
  /* The bounding box of the four corners taken through the current transformation (panels
   * translate) and back into the user space of attach time. */
  double xs[4] = { x, x + w, x, x + w }, ys[4] = { y, y, y + h, y + h };
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  for (int i = 0; i < 4; i++)
    {
      cairo_user_to_device (d->cr, &xs[i], &ys[i]);
      cairo_matrix_transform_point (&hits->to_user, &xs[i], &ys[i]);
      x0 = MIN (x0, xs[i]);
      y0 = MIN (y0, ys[i]);
      x1 = MAX (x1, xs[i]);
      y1 = MAX (y1, ys[i]);
    }
  MsPlotItem it = { kind, d->ctx->panel, series, index, x0, y0, x1 - x0, y1 - y0, value };
  g_array_append_val (hits->items, it);
}

/* ---- session ---------------------------------------------------------------------------- */

double
ms_draw_auto_scale (const MsPlotTheme *t, double w, double h)
{
  if (t->scale > 0)
    return t->scale;
  /* Like a figure at a fixed size in inches rendered at a higher dpi: 1600×1000 looks like
   * 800×500, twice as sharp. Small canvases keep text legible. */
  return CLAMP (sqrt (MAX (w, 1) * MAX (h, 1) / (800.0 * 500.0)), 0.8, 4.0);
}

void
ms_draw_begin (MsDraw *d, cairo_t *cr, double w, double h, const MsPlotTheme *t)
{
  static const struct { double size; PangoWeight weight; } styles[MS_TEXT_N_STYLES] = {
    [MS_TEXT_TICK] = { 1.0, PANGO_WEIGHT_NORMAL },
    [MS_TEXT_NOTE] = { 0.9, PANGO_WEIGHT_NORMAL },
    [MS_TEXT_LEGEND] = { 1.0, PANGO_WEIGHT_NORMAL },
    [MS_TEXT_LABEL] = { 1.08, PANGO_WEIGHT_NORMAL },
    [MS_TEXT_TITLE] = { 1.25, PANGO_WEIGHT_BOLD },
    [MS_TEXT_FIGURE_TITLE] = { 1.45, PANGO_WEIGHT_BOLD },
    [MS_TEXT_CELL] = { 0.85, PANGO_WEIGHT_NORMAL },
  };
  if (t == NULL)
    t = ms_plot_theme_light ();
  *d = (MsDraw) { .cr = cr, .t = t, .w = MAX (w, 1), .h = MAX (h, 1) };
  d->s = ms_draw_auto_scale (t, d->w, d->h);
  d->pad = 14 * d->s;
  d->ctx = ms_plot_ctx_get (cr);
  cairo_save (cr);
  cairo_new_path (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_dash (cr, NULL, 0, 0);
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);

  d->pango = pango_cairo_create_context (cr);
  cairo_font_options_t *fo = cairo_font_options_create ();
  cairo_font_options_set_hint_metrics (fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_antialias (fo, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options (d->pango, fo);
  /* Unrounded glyph positions: text measures the same on every surface and at every scale. */
  pango_context_set_round_glyph_positions (d->pango, FALSE);
  cairo_font_options_destroy (fo);
  double base = (t->font_size > 0 ? t->font_size : 12.0) * d->s;
  for (int i = 0; i < MS_TEXT_N_STYLES; i++)
    {
      d->font[i] = pango_font_description_from_string (t->font_family ? t->font_family
                                                                         : "sans-serif");
      pango_font_description_set_absolute_size (d->font[i], base * styles[i].size * PANGO_SCALE);
      pango_font_description_set_weight (d->font[i], styles[i].weight);
    }

  if (!t->transparent)
    {
      ms_set_rgb (cr, t->background);
      cairo_rectangle (cr, 0, 0, d->w, d->h);
      cairo_fill (cr);
    }
}

void
ms_draw_end (MsDraw *d)
{
  for (int i = 0; i < MS_TEXT_N_STYLES; i++)
    pango_font_description_free (d->font[i]);
  g_object_unref (d->pango);
  cairo_restore (d->cr);
}

/* ---- text --------------------------------------------------------------------------------- */

PangoLayout *
ms_draw_layout (MsDraw *d, MsTextStyle style, const char *text, double max_width, gboolean wrap)
{
  PangoLayout *l = pango_layout_new (d->pango);
  pango_layout_set_font_description (l, d->font[style]);
  pango_layout_set_text (l, text ? text : "", -1);
  if (max_width > 0)
    {
      pango_layout_set_width (l, (int) (max_width * PANGO_SCALE));
      if (wrap)
        {
          pango_layout_set_wrap (l, PANGO_WRAP_WORD_CHAR);
          pango_layout_set_alignment (l, PANGO_ALIGN_CENTER);
        }
      else
        pango_layout_set_ellipsize (l, PANGO_ELLIPSIZE_END);
    }
  /* Labels stay one line: a newline token in an attention map shows as a glyph. */
  if (!wrap)
    pango_layout_set_single_paragraph_mode (l, TRUE);
  return l;
}

void
ms_layout_size (PangoLayout *l, double *w, double *h)
{
  PangoRectangle logical;
  pango_layout_get_extents (l, NULL, &logical);
  /* A wrapped layout is as wide as its width; report the text's own width instead. */
  PangoRectangle line;
  double widest = 0;
  PangoLayoutIter *it = pango_layout_get_iter (l);
  do
    {
      pango_layout_iter_get_line_extents (it, NULL, &line);
      widest = MAX (widest, (double) line.width);
    }
  while (pango_layout_iter_next_line (it));
  pango_layout_iter_free (it);
  if (w)
    *w = widest / PANGO_SCALE;
  if (h)
    *h = (double) logical.height / PANGO_SCALE;
}

void
ms_draw_show (MsDraw *d, PangoLayout *l, double x, double y, double ax, double ay, double angle,
              MsPlotRgb c)
{
  PangoRectangle logical;
  pango_layout_get_extents (l, NULL, &logical);
  double lw = (double) logical.width / PANGO_SCALE, lh = (double) logical.height / PANGO_SCALE;
  double lx = (double) logical.x / PANGO_SCALE, ly = (double) logical.y / PANGO_SCALE;
  /* Layouts with a width report their box at the width; the lines sit centred in it. */
  double tw;
  ms_layout_size (l, &tw, NULL);
  if (pango_layout_get_width (l) > 0 && pango_layout_get_alignment (l) == PANGO_ALIGN_CENTER)
    {
      lx += (lw - tw) / 2;
      lw = tw;
    }
  cairo_t *cr = d->cr;
  cairo_save (cr);
  cairo_translate (cr, x, y);
  if (angle != 0)
    cairo_rotate (cr, angle);
  cairo_translate (cr, -lx - ax * lw, -ly - ay * lh);
  ms_set_rgb (cr, c);
  pango_cairo_update_layout (cr, l);
  pango_cairo_show_layout (cr, l);
  cairo_restore (cr);
}

void
ms_draw_text (MsDraw *d, MsTextStyle style, const char *text, double x, double y, double ax,
              double ay, MsPlotRgb c)
{
  PangoLayout *l = ms_draw_layout (d, style, text, 0, FALSE);
  ms_draw_show (d, l, x, y, ax, ay, 0, c);
  g_object_unref (l);
}

/* ---- marks -------------------------------------------------------------------------------- */

void
ms_draw_no_data (MsDraw *d, double x, double y, double w, double h)
{
  PangoLayout *l = ms_draw_layout (d, MS_TEXT_LABEL, _("No data"), 0, FALSE);
  double tw, th;
  ms_layout_size (l, &tw, &th);
  ms_draw_show (d, l, x + w / 2, y + h / 2, 0.5, 0.5, 0, d->t->muted);
  ms_draw_item (d, MS_PLOT_ITEM_NO_DATA, -1, -1, x + w / 2 - tw / 2, y + h / 2 - th / 2, tw, th,
                NAN);
  g_object_unref (l);
}

void
ms_draw_hatch (MsDraw *d, double x, double y, double w, double h)
{
  cairo_t *cr = d->cr;
  double gap = 5 * d->s;
  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  cairo_set_line_width (cr, 1.1 * d->s);
  /* Lines of slope +1 in screen space, anchored to the canvas so neighbours line up. */
  double start = floor ((x - h - y) / gap) * gap;
  for (double c = start; c <= x + w - y + gap; c += gap)
    {
      cairo_move_to (cr, c + y, y);
      cairo_line_to (cr, c + y + h, y + h);
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

void
ms_draw_swatch (MsDraw *d, MsSwatch sw, MsPlotRgb c, double x, double y, double size)
{
  /* (X, Y) is the left end of the swatch's vertical centre; lines are 2 × SIZE long. */
  cairo_t *cr = d->cr;
  double s = d->s;
  cairo_save (cr);
  switch (sw)
    {
    case MS_SWATCH_BOX:
      ms_set_rgb (cr, c);
      cairo_rectangle (cr, x, y - size / 2, size, size);
      cairo_fill (cr);
      break;
    case MS_SWATCH_HATCH:
      ms_set_rgb (cr, ms_rgb_mix (c, d->t->background, 0.7));
      cairo_rectangle (cr, x, y - size / 2, size, size);
      cairo_fill (cr);
      ms_set_rgb (cr, c);
      ms_draw_hatch (d, x, y - size / 2, size, size);
      cairo_set_line_width (cr, s);
      cairo_rectangle (cr, x + 0.5 * s, y - size / 2 + 0.5 * s, size - s, size - s);
      cairo_stroke (cr);
      break;
    case MS_SWATCH_LINE:
    case MS_SWATCH_DASH:
    case MS_SWATCH_LINE_POINT:
      ms_set_rgb (cr, c);
      cairo_set_line_width (cr, 2 * s);
      if (sw == MS_SWATCH_DASH)
        {
          double dash[2] = { 4.5 * s, 2.5 * s };
          cairo_set_dash (cr, dash, 2, 0);
        }
      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x + 2 * size, y);
      cairo_stroke (cr);
      if (sw == MS_SWATCH_LINE_POINT)
        {
          cairo_arc (cr, x + size, y, 3 * s, 0, 2 * G_PI);
          cairo_fill (cr);
        }
      break;
    case MS_SWATCH_POINT:
      ms_set_rgb (cr, c);
      cairo_arc (cr, x + size / 2, y, size * 0.4, 0, 2 * G_PI);
      cairo_fill (cr);
      break;
    }
  cairo_restore (cr);
}
