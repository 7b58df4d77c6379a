/* The frame every cartesian chart shares: title, legend, tick and category labels and axis
 * titles around a plot rectangle that takes what room the measured labels leave, so that
 * nothing is clipped at any canvas size. Crowded category labels wrap, then turn, then thin. */
#include "ms-plot-private.h"

#include <math.h>
#include <string.h>

#define SIN45 0.70710678118654752

/* ---- legend -------------------------------------------------------------------------------- */

typedef struct {
  double x, w;
  int row;
} Slot;

static double
swatch_width (const MsDraw *d, MsSwatch sw)
{
  return (sw == MS_SWATCH_LINE || sw == MS_SWATCH_DASH || sw == MS_SWATCH_LINE_POINT ? 22 : 11)
         * d->s;
}

/* Lays the entries out in rows no wider than AVAIL; returns the number of rows. */
static int
legend_rows (MsDraw *d, const MsLegendEntry *e, int n, double avail, Slot *slots, double *row_h)
{
  double s = d->s, gap = 20 * s, x = 0;
  int row = 0;
  *row_h = 0;
  for (int i = 0; i < n; i++)
    {
      double sw = swatch_width (d, e[i].swatch);
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_LEGEND, e[i].label, avail - sw - 6 * s, FALSE);
      double tw, th;
      ms_layout_size (l, &tw, &th);
      g_object_unref (l);
      double w = sw + 6 * s + tw;
      if (x > 0 && x + w > avail)
        {
          row++;
          x = 0;
        }
      slots[i] = (Slot) { x, w, row };
      x += w + gap;
      *row_h = MAX (*row_h, th);
    }
  return n > 0 ? row + 1 : 0;
}

double
ms_legend_height (MsDraw *d, const MsLegendEntry *e, int n)
{
  g_autofree Slot *slots = g_new (Slot, MAX (n, 1));
  double row_h;
  int rows = legend_rows (d, e, n, d->w - 2 * d->pad, slots, &row_h);
  return rows * row_h + MAX (rows - 1, 0) * 3 * d->s;
}

void
ms_legend_draw (MsDraw *d, const MsLegendEntry *e, int n, double top, double cx)
{
  double s = d->s, avail = d->w - 2 * d->pad;
  g_autofree Slot *slots = g_new (Slot, MAX (n, 1));
  double row_h;
  int rows = legend_rows (d, e, n, avail, slots, &row_h);
  for (int r = 0; r < rows; r++)
    {
      double rw = 0;
      for (int i = 0; i < n; i++)
        if (slots[i].row == r)
          rw = slots[i].x + slots[i].w;
      double x0 = CLAMP (cx - rw / 2, d->pad, d->w - d->pad - rw);
      double y = top + r * (row_h + 3 * s);
      for (int i = 0; i < n; i++)
        {
          if (slots[i].row != r)
            continue;
          double sw = swatch_width (d, e[i].swatch), x = x0 + slots[i].x;
          ms_draw_swatch (d, e[i].swatch, e[i].color, x, y + row_h / 2, 11 * s);
          PangoLayout *l = ms_draw_layout (d, MS_TEXT_LEGEND, e[i].label, avail - sw - 6 * s,
                                           FALSE);
          ms_draw_show (d, l, x + sw + 6 * s, y + row_h / 2, 0, 0.5, 0, d->t->text);
          g_object_unref (l);
          ms_draw_item (d, MS_PLOT_ITEM_LEGEND, i, -1, x, y, slots[i].w, row_h, NAN);
        }
    }
}

static gboolean
legend_shown (const MsDraw *d, const MsFrame *f)
{
  return f->n_legend > 0 && !(d->ctx && d->ctx->hide_legend);
}

/* ---- category labels ---------------------------------------------------------------------- */

static const char *
cat_text (const MsAxis *a, int i, char *buf, gsize size)
{
  if (a->cats && a->cats[i])
    return a->cats[i];
  g_snprintf (buf, size, "%d", i);
  return buf;
}

static double
text_width (MsDraw *d, MsTextStyle style, const char *text, double *h)
{
  PangoLayout *l = ms_draw_layout (d, style, text, 0, FALSE);
  double w;
  ms_layout_size (l, &w, h);
  g_object_unref (l);
  return w;
}

static double
widest_word (MsDraw *d, const char *text)
{
  g_auto (GStrv) words = g_strsplit (text, " ", -1);
  double w = 0;
  for (int i = 0; words[i]; i++)
    w = MAX (w, text_width (d, MS_TEXT_TICK, words[i], NULL));
  return w;
}

static double
notes_height (MsDraw *d, const MsAxis *a)
{
  if (a->notes == NULL)
    return 0;
  double h;
  text_width (d, MS_TEXT_NOTE, "n=0", &h);
  return h + 1 * d->s;
}

/* The layout of category I's label on a horizontal axis, set the way xcat_measure chose:
 * one line, two lines broken between words, or one line ellipsized for turning. */
static PangoLayout *
xcat_layout (MsDraw *d, const MsAxis *a, int i, double slot)
{
  char buf[32];
  const char *text = cat_text (a, i, buf, sizeof buf);
  if (a->wrap)
    return ms_draw_layout (d, MS_TEXT_TICK, text,
                           MAX (slot - 8 * d->s, widest_word (d, text)) + 0.5, TRUE);
  return ms_draw_layout (d, MS_TEXT_TICK, text, a->angle != 0 ? a->label_max : 0, FALSE);
}

/* Whether labels of widths W, centred on slots SLOT apart, keep GAP between neighbours. */
static gboolean
labels_fit (const double *w, int n, double slot, double gap)
{
  for (int i = 0; i + 1 < n; i++)
    if ((w[i] + w[i + 1]) / 2 + gap > slot)
      return FALSE;
  return n != 1 || w[0] <= slot * 1.6;
}

/* The widest of the labels shown when only every EVERY-th is. */
static double
shown_width (const double *w, int n, int every)
{
  double m = 0;
  for (int i = 0; i < n; i += every)
    m = MAX (m, w[i]);
  return m;
}

/* Settles how the labels of a horizontal category axis of LENGTH px are set; returns the
 * height they take below the axis and, in *OVER_L and *OVER_R, how far the first and the last
 * reach left and right of their slot centres. */
static double
xcat_measure (MsDraw *d, MsAxis *a, double length, double *over_l, double *over_r)
{
  int n = a->n_cats;
  double s = d->s, slot = length / n, lh = 0, gap = 12 * s, maxw = 0;
  g_autofree double *w = g_new (double, n);
  char buf[32];
  for (int i = 0; i < n; i++)
    {
      w[i] = text_width (d, MS_TEXT_TICK, cat_text (a, i, buf, sizeof buf), &lh);
      maxw = MAX (maxw, w[i]);
    }
  double nh = notes_height (d, a);
  a->every = 1;
  a->angle = 0;
  a->wrap = FALSE;
  a->label_max = 0;
  if (labels_fit (w, n, slot, gap))
    {
      *over_l = w[0] / 2;
      *over_r = w[n - 1] / 2;
      return nh + lh;
    }
  if (!a->cat_vertical)
    {
      /* Two lines, broken between words, before turning the text. */
      double block = 0;
      gboolean ok = TRUE;
      a->wrap = TRUE;
      for (int i = 0; i < n && ok; i++)
        {
          PangoLayout *l = xcat_layout (d, a, i, slot);
          double h;
          ms_layout_size (l, &w[i], &h);
          ok = pango_layout_get_line_count (l) <= 2;
          g_object_unref (l);
          block = MAX (block, h);
        }
      if (ok && labels_fit (w, n, slot, gap))
        {
          *over_l = w[0] / 2;
          *over_r = w[n - 1] / 2;
          return nh + block;
        }
      a->wrap = FALSE;
    }
  /* One line again, closer together: still better than turned text. */
  for (int i = 0; i < n; i++)
    w[i] = text_width (d, MS_TEXT_TICK, cat_text (a, i, buf, sizeof buf), NULL);
  if (labels_fit (w, n, slot, 5 * s))
    {
      *over_l = w[0] / 2;
      *over_r = w[n - 1] / 2;
      return nh + lh;
    }
  double cap = d->h * 0.28;
  if (a->cat_vertical)
    {
      a->angle = -G_PI / 2;
      a->every = MAX (1, (int) ceil (lh * 1.05 / slot));
      a->label_max = MIN (shown_width (w, n, a->every), cap);
      *over_l = *over_r = lh / 2;
      return nh + a->label_max + 2 * s;
    }
  a->angle = -G_PI / 4;
  a->every = MAX (1, (int) ceil (lh * 1.1 / (slot * SIN45)));
  a->label_max = MIN (shown_width (w, n, a->every), cap / SIN45);
  *over_l = MIN (w[0], a->label_max) * SIN45 + lh * SIN45 / 2;
  *over_r = lh * SIN45;
  return nh + (a->label_max + lh) * SIN45 + 2 * s;
}

/* The width the labels of a vertical category axis of LENGTH px take. */
static double
ycat_measure (MsDraw *d, MsAxis *a, double length)
{
  int n = a->n_cats;
  double slot = length / n, lh = 0;
  g_autofree double *w = g_new (double, n);
  char buf[32];
  for (int i = 0; i < n; i++)
    w[i] = text_width (d, MS_TEXT_TICK, cat_text (a, i, buf, sizeof buf), &lh);
  a->angle = 0;
  a->label_max = d->w * 0.28;
  a->every = MAX (1, (int) ceil (lh * 1.02 / slot));
  return MIN (shown_width (w, n, a->every), a->label_max);
}

static double
widest_tick (MsDraw *d, const MsAxis *a, double *h, double *last_w)
{
  double w = 0;
  *h = 0;
  if (last_w)
    *last_w = 0;
  for (int i = 0; i < a->n_ticks; i++)
    {
      g_autofree char *text = ms_axis_tick_label (a, a->ticks[i]);
      double tw = text_width (d, MS_TEXT_TICK, text, h);
      w = MAX (w, tw);
      if (last_w && i == a->n_ticks - 1)
        *last_w = tw;
    }
  return w;
}

/* ---- layout --------------------------------------------------------------------------------- */

void
ms_frame_layout (MsDraw *d, MsFrame *f)
{
  double s = d->s, pad = d->pad, top = pad;
  f->title_top = top;
  if (f->title && *f->title)
    {
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_TITLE, f->title, d->w - 2 * pad, TRUE);
      double th;
      ms_layout_size (l, NULL, &th);
      g_object_unref (l);
      top += th + 8 * s;
    }
  f->legend_top = top;
  if (legend_shown (d, f))
    top += ms_legend_height (d, f->legend, f->n_legend) + 10 * s;
  else if (f->n_legend > 0 && d->ctx && d->ctx->legend_out)
    g_array_append_vals (d->ctx->legend_out, f->legend, f->n_legend);

  double left = pad, right = d->w - pad - f->reserve_right, bottom = d->h - pad, lh;
  if (f->x_label && *f->x_label)
    {
      text_width (d, MS_TEXT_LABEL, f->x_label, &lh);
      bottom -= lh + 6 * s;
    }
  if (f->y_label && *f->y_label)
    {
      text_width (d, MS_TEXT_LABEL, f->y_label, &lh);
      left += lh + 8 * s;
    }

  MsAxis *x = &f->x, *y = &f->y;
  double xlo = x->lo, xhi = x->hi, ylo = y->lo, yhi = y->hi;
  double L = left + 30 * s, R = right, T = top, B = bottom - 20 * s;
  for (int iter = 0; iter < 3; iter++)
    {
      /* Vertical axis: its labels' width sets the left edge. */
      double yw, th = 0;
      if (y->n_cats > 0)
        {
          y->lo = 0;
          y->hi = y->n_cats;
          yw = ycat_measure (d, y, B - T);
        }
      else
        {
          ms_axis_ticks (y, ylo, yhi, CLAMP ((int) ((B - T) / (44 * s)) + 1, 3, 10));
          yw = widest_tick (d, y, &th, NULL);
        }
      L = left + yw + 7 * s;
      T = y->n_cats > 0 ? top : MAX (top, pad + th / 2 + 2 * s);

      /* Horizontal axis: its labels' height sets the bottom edge. */
      if (x->n_cats > 0)
        {
          x->lo = 0;
          x->hi = x->n_cats;
          double over_l, over_r, half_slot = (R - L) / x->n_cats / 2;
          double block = xcat_measure (d, x, R - L, &over_l, &over_r);
          B = bottom - block - 6 * s;
          L = MAX (L, pad + over_l - half_slot);
          if (f->reserve_right <= 0)
            R = MIN (right, d->w - pad - MAX (0, over_r - half_slot));
        }
      else
        {
          int max = CLAMP ((int) ((R - L) / (70 * s)) + 1, 2, 12);
          double xw, xh, last_w;
          for (;;)
            {
              ms_axis_ticks (x, xlo, xhi, max);
              xw = widest_tick (d, x, &xh, &last_w);
              if (max <= 2 || (x->n_ticks - 1) * (xw + 16 * s) <= R - L)
                break;
              max--;
            }
          B = bottom - xh - 6 * s;
          /* The last label is centred on its tick and may reach past the plot's right edge. */
          if (x->n_ticks > 0 && f->reserve_right <= 0)
            {
              x->p0 = L;
              x->p1 = R;
              double gap_right = R - ms_axis_px (x, x->ticks[x->n_ticks - 1]);
              R = MIN (right, d->w - pad - MAX (0, last_w / 2 - gap_right));
            }
        }
    }
  f->left = L;
  f->right = MAX (R, L + 1);
  f->top = T;
  f->bottom = MAX (B, T + 1);
  x->p0 = f->left;
  x->p1 = f->right;
  if (y->n_cats > 0)
    {
      y->p0 = f->top;
      y->p1 = f->bottom;
    }
  else
    {
      y->p0 = f->bottom;
      y->p1 = f->top;
    }
}

/* ---- drawing -------------------------------------------------------------------------------- */

static void
draw_title (MsDraw *d, const char *title, double top, double cx)
{
  if (title == NULL || *title == '\0')
    return;
  PangoLayout *l = ms_draw_layout (d, MS_TEXT_TITLE, title, d->w - 2 * d->pad, TRUE);
  double tw, th;
  ms_layout_size (l, &tw, &th);
  if (cx - tw / 2 < d->pad || cx + tw / 2 > d->w - d->pad)
    cx = d->w / 2;
  ms_draw_show (d, l, cx, top, 0.5, 0, 0, d->t->text);
  ms_draw_item (d, MS_PLOT_ITEM_TITLE, -1, -1, cx - tw / 2, top, tw, th, NAN);
  g_object_unref (l);
}

void
ms_frame_draw_back (MsDraw *d, MsFrame *f)
{
  cairo_t *cr = d->cr;
  double cx = (f->left + f->right) / 2;
  draw_title (d, f->title, f->title_top, cx);
  if (legend_shown (d, f))
    ms_legend_draw (d, f->legend, f->n_legend, f->legend_top, cx);
  ms_draw_item (d, MS_PLOT_ITEM_AREA, -1, -1, f->left, f->top, f->right - f->left,
                f->bottom - f->top, NAN);

  cairo_save (cr);
  ms_set_rgb (cr, d->t->grid);
  cairo_set_line_width (cr, d->s);
  if (f->y_grid && f->y.n_cats == 0)
    for (int i = 0; i < f->y.n_ticks; i++)
      {
        double y = ms_axis_px (&f->y, f->y.ticks[i]);
        cairo_move_to (cr, f->left, y);
        cairo_line_to (cr, f->right, y);
      }
  if (f->x_grid && f->x.n_cats == 0)
    for (int i = 0; i < f->x.n_ticks; i++)
      {
        double x = ms_axis_px (&f->x, f->x.ticks[i]);
        cairo_move_to (cr, x, f->top);
        cairo_line_to (cr, x, f->bottom);
      }
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_x_categories (MsDraw *d, const MsAxis *a, double top)
{
  double s = d->s, slot = (a->p1 - a->p0) / a->n_cats, nh = notes_height (d, a);
  for (int i = 0; i < a->n_cats; i++)
    {
      double x = ms_axis_px (a, i + 0.5);
      gboolean labelled = i % a->every == 0;
      PangoLayout *l = xcat_layout (d, a, i, slot);
      double lh;
      ms_layout_size (l, NULL, &lh);
      if (a->notes && a->notes[i] && (a->angle != 0 || labelled))
        {
          /* Under a level label; between the axis and a turned one. */
          PangoLayout *nl = ms_draw_layout (d, MS_TEXT_NOTE, a->notes[i], slot * 0.98, FALSE);
          ms_draw_show (d, nl, x, a->angle == 0 ? top + lh : top, 0.5, 0, 0, d->t->muted);
          g_object_unref (nl);
        }
      if (!labelled)
        ;
      else if (a->angle == 0)
        ms_draw_show (d, l, x, top, 0.5, 0, 0, d->t->text);
      else if (a->angle < -G_PI / 3)
        ms_draw_show (d, l, x, top + nh + 2 * s, 1, 0.5, a->angle, d->t->text);
      else
        ms_draw_show (d, l, x + lh * SIN45 / 2, top + nh + lh * SIN45 / 2 + 2 * s, 1, 0.5,
                      a->angle, d->t->text);
      g_object_unref (l);
    }
}

void
ms_frame_draw_axes (MsDraw *d, MsFrame *f)
{
  cairo_t *cr = d->cr;
  double s = d->s;
  const MsAxis *x = &f->x, *y = &f->y;
  gboolean both_numeric = x->n_cats == 0 && y->n_cats == 0;
  if (!f->no_axis_lines)
    {
      cairo_save (cr);
      ms_set_rgb (cr, d->t->axis);
      cairo_set_line_width (cr, s);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_SQUARE);
      if (x->n_cats > 0 || both_numeric)
        {
          cairo_move_to (cr, f->left, f->bottom);
          cairo_line_to (cr, f->right, f->bottom);
        }
      if (y->n_cats > 0 || both_numeric)
        {
          cairo_move_to (cr, f->left, f->top);
          cairo_line_to (cr, f->left, f->bottom);
        }
      cairo_stroke (cr);
      cairo_restore (cr);
    }

  char buf[32];
  if (y->n_cats > 0)
    for (int i = 0; i < y->n_cats; i += y->every)
      {
        PangoLayout *l = ms_draw_layout (d, MS_TEXT_TICK, cat_text (y, i, buf, sizeof buf),
                                         y->label_max, FALSE);
        ms_draw_show (d, l, f->left - 7 * s, ms_axis_px (y, i + 0.5), 1, 0.5, 0, d->t->text);
        g_object_unref (l);
      }
  else
    for (int i = 0; i < y->n_ticks; i++)
      {
        g_autofree char *text = ms_axis_tick_label (y, y->ticks[i]);
        ms_draw_text (d, MS_TEXT_TICK, text, f->left - 7 * s, ms_axis_px (y, y->ticks[i]), 1,
                      0.5, d->t->muted);
      }
  if (x->n_cats > 0)
    draw_x_categories (d, x, f->bottom + 6 * s);
  else
    for (int i = 0; i < x->n_ticks; i++)
      {
        g_autofree char *text = ms_axis_tick_label (x, x->ticks[i]);
        ms_draw_text (d, MS_TEXT_TICK, text, ms_axis_px (x, x->ticks[i]), f->bottom + 6 * s,
                      0.5, 0, d->t->muted);
      }

  if (f->x_label && *f->x_label)
    {
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_LABEL, f->x_label, d->w - 2 * d->pad, FALSE);
      double cx = (f->left + f->right) / 2, tw;
      ms_layout_size (l, &tw, NULL);
      cx = CLAMP (cx, d->pad + tw / 2, d->w - d->pad - tw / 2);
      ms_draw_show (d, l, cx, d->h - d->pad, 0.5, 1, 0, d->t->text);
      g_object_unref (l);
    }
  if (f->y_label && *f->y_label)
    {
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_LABEL, f->y_label,
                                       MAX (f->bottom - f->top, 20 * s), FALSE);
      ms_draw_show (d, l, d->pad, (f->top + f->bottom) / 2, 0.5, 0, -G_PI / 2, d->t->text);
      g_object_unref (l);
    }
}

void
ms_frame_draw_empty (MsDraw *d, const char *title)
{
  double top = d->pad;
  if (title && *title)
    {
      PangoLayout *l = ms_draw_layout (d, MS_TEXT_TITLE, title, d->w - 2 * d->pad, TRUE);
      double th;
      ms_layout_size (l, NULL, &th);
      g_object_unref (l);
      draw_title (d, title, top, d->w / 2);
      top += th + 8 * d->s;
    }
  ms_draw_no_data (d, d->pad, top, d->w - 2 * d->pad, MAX (d->h - d->pad - top, 1));
}

void
ms_frame_clip (MsDraw *d, const MsFrame *f)
{
  double m = d->s;
  cairo_rectangle (d->cr, f->left - m, f->top - m, f->right - f->left + 2 * m,
                   f->bottom - f->top + 2 * m);
  cairo_clip (d->cr);
}
