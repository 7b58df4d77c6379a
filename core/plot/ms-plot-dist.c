/* Distribution plot: one box (Tukey), violin (Gaussian kernel density, Scott's bandwidth,
 * cut at the data's range and scaled to a common width) and/or strip of jittered points per
 * group, vertical or horizontal. */
#include "ms-plot-private.h"

#include <math.h>
#include <stdlib.h>

#define KDE_POINTS 96

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
quantile (const double *sorted, int n, double p)
{
  double pos = p * (n - 1);
  int i = (int) floor (pos);
  if (i >= n - 1)
    return sorted[n - 1];
  double f = pos - i;
  return sorted[i] + f * (sorted[i + 1] - sorted[i]);
}

/* The finite values, sorted; NULL when there are none. */
static double *
sorted_finite (const double *v, int n, int *m)
{
  *m = 0;
  if (v == NULL || n <= 0)
    return NULL;
  double *out = g_new (double, n);
  for (int i = 0; i < n; i++)
    if (isfinite (v[i]))
      out[(*m)++] = v[i];
  if (*m == 0)
    {
      g_free (out);
      return NULL;
    }
  qsort (out, *m, sizeof (double), cmp_double);
  return out;
}

gboolean
ms_plot_box_stats (const double *values, int n, MsBoxStats *out)
{
  int m;
  g_autofree double *v = sorted_finite (values, n, &m);
  *out = (MsBoxStats) { 0 };
  if (v == NULL)
    return FALSE;
  double sum = 0;
  for (int i = 0; i < m; i++)
    sum += v[i];
  out->n = m;
  out->min = v[0];
  out->max = v[m - 1];
  out->mean = sum / m;
  out->q1 = quantile (v, m, 0.25);
  out->median = quantile (v, m, 0.5);
  out->q3 = quantile (v, m, 0.75);
  double iqr = out->q3 - out->q1, lo = out->q1 - 1.5 * iqr, hi = out->q3 + 1.5 * iqr;
  out->whisker_lo = out->q1;
  out->whisker_hi = out->q3;
  for (int i = 0; i < m; i++)
    {
      if (v[i] >= lo && v[i] < out->whisker_lo)
        out->whisker_lo = v[i];
      if (v[i] <= hi && v[i] > out->whisker_hi)
        out->whisker_hi = v[i];
      out->n_outliers += v[i] < lo || v[i] > hi;
    }
  return TRUE;
}

/* Maps (position across the group's slot, value) to the canvas for either orientation. */
typedef struct {
  const MsFrame *f;
  gboolean horizontal;
} Map;

static void
map_pt (const Map *m, double pos, double v, double *x, double *y)
{
  if (m->horizontal)
    {
      *x = ms_axis_px (&m->f->x, v);
      *y = ms_axis_px (&m->f->y, pos);
    }
  else
    {
      *x = ms_axis_px (&m->f->x, pos);
      *y = ms_axis_px (&m->f->y, v);
    }
}

static void
path_to (cairo_t *cr, const Map *m, double pos, double v, gboolean move)
{
  double x, y;
  map_pt (m, pos, v, &x, &y);
  if (move)
    cairo_move_to (cr, x, y);
  else
    cairo_line_to (cr, x, y);
}

static void
rect_path (cairo_t *cr, const Map *m, double p0, double p1, double v0, double v1)
{
  path_to (cr, m, p0, v0, TRUE);
  path_to (cr, m, p1, v0, FALSE);
  path_to (cr, m, p1, v1, FALSE);
  path_to (cr, m, p0, v1, FALSE);
  cairo_close_path (cr);
}

static void
record_box (MsDraw *d, const Map *m, int g, double p0, double p1, double v0, double v1,
            double value)
{
  double xa, ya, xb, yb;
  map_pt (m, p0, v0, &xa, &ya);
  map_pt (m, p1, v1, &xb, &yb);
  ms_draw_item (d, MS_PLOT_ITEM_BOX, g, -1, MIN (xa, xb), MIN (ya, yb), fabs (xb - xa),
                fabs (yb - ya), value);
}

/* Density on KDE_POINTS values from the minimum to the maximum, scaled to a peak of 1. */
static gboolean
kde (const double *v, int n, double *dens)
{
  double mean = 0, var = 0;
  for (int i = 0; i < n; i++)
    mean += v[i];
  mean /= n;
  for (int i = 0; i < n; i++)
    var += (v[i] - mean) * (v[i] - mean);
  if (n < 2 || !(var > 0))
    return FALSE;
  double bw = sqrt (var / (n - 1)) * pow (n, -0.2), peak = 0;
  for (int j = 0; j < KDE_POINTS; j++)
    {
      double x = v[0] + (v[n - 1] - v[0]) * j / (KDE_POINTS - 1.0), sum = 0;
      for (int i = 0; i < n; i++)
        {
          double z = (x - v[i]) / bw;
          sum += exp (-0.5 * z * z);
        }
      dens[j] = sum;
      peak = MAX (peak, sum);
    }
  for (int j = 0; j < KDE_POINTS; j++)
    dens[j] /= peak;
  return TRUE;
}

static double
jitter (int i)
{
  guint32 h = (guint32) i * 2654435761u;
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  return (h & 0xffff) / 65535.0 - 0.5;
}

void
ms_plot_distribution (cairo_t *cr, double width, double height, const MsDistChart *c,
                      const MsPlotTheme *theme)
{
  MsDraw d;
  ms_draw_begin (&d, cr, width, height, theme);
  int ng = c && c->groups ? MAX (c->n_groups, 0) : 0;
  g_autofree MsBoxStats *st = g_new0 (MsBoxStats, MAX (ng, 1));
  double lo = INFINITY, hi = -INFINITY;
  for (int g = 0; g < ng; g++)
    if (ms_plot_box_stats (c->groups[g].values, c->groups[g].n, &st[g]))
      {
        lo = MIN (lo, st[g].min);
        hi = MAX (hi, st[g].max);
      }
  if (!(lo <= hi))
    {
      ms_frame_draw_empty (&d, c ? c->title : NULL);
      ms_draw_end (&d);
      return;
    }
  MsDistStyle style = c->style ? c->style : MS_PLOT_DIST_BOX;
  gboolean box = style & MS_PLOT_DIST_BOX, violin = style & MS_PLOT_DIST_VIOLIN;
  gboolean strip = style & MS_PLOT_DIST_STRIP;

  g_autofree const char **names = g_new0 (const char *, ng);
  g_autofree char **notes = g_new0 (char *, ng + 1);
  for (int g = 0; g < ng; g++)
    {
      names[g] = c->groups[g].name;
      notes[g] = g_strdup_printf ("n=%d", st[g].n);
    }
  MsAxis cats = { .cats = names, .n_cats = ng, .notes = c->horizontal ? NULL
                                                                       : (const char *const *) notes };
  MsAxis vals = { .lo = lo, .hi = hi, .margin = 0.05, .format = c->format };
  MsFrame f = {
    .title = c->title,
    .x_label = c->horizontal ? c->value_label : c->group_label,
    .y_label = c->horizontal ? c->group_label : c->value_label,
    .x = c->horizontal ? vals : cats,
    .y = c->horizontal ? cats : vals,
    .x_grid = c->horizontal, .y_grid = !c->horizontal,
  };
  ms_frame_layout (&d, &f);
  ms_frame_draw_back (&d, &f);
  Map m = { &f, c->horizontal };

  double s = d.s;
  double slot_px = c->horizontal ? (f.bottom - f.top) / ng : (f.right - f.left) / ng;
  double half = 0.4;              /* half width of a violin or box, in slots */
  if (box && !violin)
    half = 0.25;
  cairo_save (cr);
  ms_frame_clip (&d, &f);
  for (int g = 0; g < ng; g++)
    {
      const MsBoxStats *b = &st[g];
      if (b->n == 0)
        continue;
      MsPlotRgb col = ms_series_color (d.t, c->groups[g].color, g);
      double mid = g + 0.5;
      int n;
      g_autofree double *v = sorted_finite (c->groups[g].values, c->groups[g].n, &n);

      if (violin)
        {
          double dens[KDE_POINTS];
          if (kde (v, n, dens))
            {
              for (int j = 0; j < KDE_POINTS; j++)
                path_to (cr, &m, mid + half * dens[j], v[0] + (v[n - 1] - v[0]) * j / (KDE_POINTS - 1.0),
                         j == 0);
              for (int j = KDE_POINTS - 1; j >= 0; j--)
                path_to (cr, &m, mid - half * dens[j], v[0] + (v[n - 1] - v[0]) * j / (KDE_POINTS - 1.0),
                         FALSE);
              cairo_close_path (cr);
            }
          else
            rect_path (cr, &m, mid - half, mid + half, b->min, b->max);
          ms_set_rgb (cr, ms_rgb_mix (col, d.t->background, 0.25));
          cairo_fill_preserve (cr);
          ms_set_rgb (cr, col);
          cairo_set_line_width (cr, 1.2 * s);
          cairo_stroke (cr);
          if (!box)
            record_box (&d, &m, g, mid - half, mid + half, b->min, b->max, b->median);
        }

      if (box && violin)
        {
          /* seaborn's inner box: whisker line, thick IQR bar, a dot at the median. */
          double x0, y0;
          ms_set_rgba (cr, d.t->text, 0.85);
          cairo_set_line_width (cr, 1.3 * s);
          path_to (cr, &m, mid, b->whisker_lo, TRUE);
          path_to (cr, &m, mid, b->whisker_hi, FALSE);
          cairo_stroke (cr);
          cairo_set_line_width (cr, MIN (6 * s, slot_px * 0.08));
          path_to (cr, &m, mid, b->q1, TRUE);
          path_to (cr, &m, mid, b->q3, FALSE);
          cairo_stroke (cr);
          map_pt (&m, mid, b->median, &x0, &y0);
          ms_set_rgb (cr, d.t->background);
          cairo_arc (cr, x0, y0, MIN (2.6 * s, slot_px * 0.035), 0, 2 * G_PI);
          cairo_fill (cr);
          record_box (&d, &m, g, mid - half, mid + half, b->min, b->max, b->median);
        }
      else if (box)
        {
          rect_path (cr, &m, mid - half, mid + half, b->q1, b->q3);
          ms_set_rgb (cr, ms_rgb_mix (col, d.t->background, strip ? 0.8 : 0.55));
          cairo_fill_preserve (cr);
          ms_set_rgb (cr, col);
          cairo_set_line_width (cr, 1.3 * s);
          cairo_stroke (cr);
          /* Whiskers with caps. */
          path_to (cr, &m, mid, b->q1, TRUE);
          path_to (cr, &m, mid, b->whisker_lo, FALSE);
          path_to (cr, &m, mid, b->q3, TRUE);
          path_to (cr, &m, mid, b->whisker_hi, FALSE);
          path_to (cr, &m, mid - half / 2, b->whisker_lo, TRUE);
          path_to (cr, &m, mid + half / 2, b->whisker_lo, FALSE);
          path_to (cr, &m, mid - half / 2, b->whisker_hi, TRUE);
          path_to (cr, &m, mid + half / 2, b->whisker_hi, FALSE);
          cairo_stroke (cr);
          ms_set_rgb (cr, ms_rgb_mix (col, d.t->text, 0.45));
          cairo_set_line_width (cr, 2.4 * s);
          path_to (cr, &m, mid - half, b->median, TRUE);
          path_to (cr, &m, mid + half, b->median, FALSE);
          cairo_stroke (cr);
          if (!strip)
            {
              ms_set_rgb (cr, col);
              cairo_set_line_width (cr, 1.1 * s);
              double lo_f = b->q1 - 1.5 * (b->q3 - b->q1), hi_f = b->q3 + 1.5 * (b->q3 - b->q1);
              for (int i = 0; i < n; i++)
                if (v[i] < lo_f || v[i] > hi_f)
                  {
                    double x, y;
                    map_pt (&m, mid, v[i], &x, &y);
                    cairo_new_sub_path (cr);
                    cairo_arc (cr, x, y, 2.6 * s, 0, 2 * G_PI);
                  }
              cairo_stroke (cr);
            }
          record_box (&d, &m, g, mid - half, mid + half, b->q1, b->q3, b->median);
        }

      if (strip)
        {
          const double *raw = c->groups[g].values;
          double spread = violin ? half * 0.5 : box ? half * 0.9 : 0.3;
          double r = (n > 500 ? 1.6 : 2.3) * s;
          MsPlotRgb pc = violin ? ms_rgb_mix (col, d.t->text, 0.55) : col;
          for (int i = 0; i < c->groups[g].n; i++)
            {
              if (!isfinite (raw[i]))
                continue;
              double x, y;
              map_pt (&m, mid + spread * 2 * jitter (i + 7919 * g), raw[i], &x, &y);
              cairo_arc (cr, x, y, r, 0, 2 * G_PI);
              ms_set_rgba (cr, pc, 0.6);
              cairo_fill (cr);
              ms_draw_item (&d, MS_PLOT_ITEM_POINT, g, i, x - r, y - r, 2 * r, 2 * r, raw[i]);
            }
          if (!box && !violin)
            record_box (&d, &m, g, mid - spread, mid + spread, b->min, b->max, b->median);
        }
    }
  cairo_restore (cr);

  ms_frame_draw_axes (&d, &f);
  ms_draw_end (&d);
  for (int g = 0; g < ng; g++)
    g_free (notes[g]);
}
