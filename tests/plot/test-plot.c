/* Charts against their own pixels: each is rendered to an image surface and measured there
 * (bar heights from pixels of the series colour, whiskers, the heatmap's brightest cell, "No
 * data", a Chinese title), and the pixels are checked against the geometry the library
 * reports for hit testing. Files: magic bytes and errors. */
#include "ms-test.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "common/ms-error.h"
#include "plot-examples.h"
#include "plot/ms-plot.h"

/* ---- rendering and pixel helpers ------------------------------------------------------------ */

typedef struct {
  cairo_surface_t *surface;
  MsPlotHits *hits;
  int w, h;
  const MsPlotTheme *theme;
} Canvas;

static Canvas
render (MsPlotKind kind, gconstpointer chart, int w, int h, const MsPlotTheme *theme)
{
  Canvas c = { cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h), ms_plot_hits_new (), w,
               h, theme ? theme : ms_plot_theme_light () };
  cairo_t *cr = cairo_create (c.surface);
  ms_plot_hits_attach (cr, c.hits);
  ms_plot_draw (cr, w, h, kind, chart, c.theme);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (c.surface);
  return c;
}

static void
canvas_free (Canvas *c)
{
  cairo_surface_destroy (c->surface);
  ms_plot_hits_free (c->hits);
}

static void
pixel (const Canvas *c, int x, int y, int rgb[3])
{
  g_assert_true (x >= 0 && x < c->w && y >= 0 && y < c->h);
  const guint8 *data = cairo_image_surface_get_data (c->surface);
  guint32 p = *(const guint32 *) (data + (gsize) y * cairo_image_surface_get_stride (c->surface)
                                  + 4 * x);
  rgb[0] = p >> 16 & 0xff;
  rgb[1] = p >> 8 & 0xff;
  rgb[2] = p & 0xff;
}

static int
dist (const int rgb[3], MsPlotRgb want)
{
  int d = 0;
  d = MAX (d, abs (rgb[0] - (int) lround (want.r * 255)));
  d = MAX (d, abs (rgb[1] - (int) lround (want.g * 255)));
  d = MAX (d, abs (rgb[2] - (int) lround (want.b * 255)));
  return d;
}

static gboolean
is_color (const Canvas *c, int x, int y, MsPlotRgb want, int tol)
{
  int rgb[3];
  pixel (c, x, y, rgb);
  return dist (rgb, want) <= tol;
}

/* Pixels in [x0, x1) × [y0, y1) that differ from the background by more than 24 levels. */
static int
count_ink (const Canvas *c, int x0, int y0, int x1, int y1)
{
  int n = 0;
  for (int y = MAX (y0, 0); y < MIN (y1, c->h); y++)
    for (int x = MAX (x0, 0); x < MIN (x1, c->w); x++)
      n += !is_color (c, x, y, c->theme->background, 24);
  return n;
}

static int
count_color (const Canvas *c, int x0, int y0, int x1, int y1, MsPlotRgb want, int tol)
{
  int n = 0;
  for (int y = MAX (y0, 0); y < MIN (y1, c->h); y++)
    for (int x = MAX (x0, 0); x < MIN (x1, c->w); x++)
      n += is_color (c, x, y, want, tol);
  return n;
}

/* The longest vertical run of WANT in column X: its first row and length. */
static int
column_run (const Canvas *c, int x, MsPlotRgb want, int tol, int *start)
{
  int best = 0, run = 0;
  *start = -1;
  for (int y = 0; y < c->h; y++)
    {
      run = is_color (c, x, y, want, tol) ? run + 1 : 0;
      if (run > best)
        {
          best = run;
          *start = y - run + 1;
        }
    }
  return best;
}

static const MsPlotItem *
find_item (const MsPlotHits *hits, MsPlotItemKind kind, int series, int index)
{
  for (guint i = 0; i < ms_plot_hits_count (hits); i++)
    {
      const MsPlotItem *it = ms_plot_hits_get (hits, i);
      if (it->kind == kind && (series < 0 || it->series == series)
          && (index < 0 || it->index == index))
        return it;
    }
  return NULL;
}

static int
count_items (const MsPlotHits *hits, MsPlotItemKind kind)
{
  int n = 0;
  for (guint i = 0; i < ms_plot_hits_count (hits); i++)
    n += ms_plot_hits_get (hits, i)->kind == kind;
  return n;
}

/* ---- bars ----------------------------------------------------------------------------------- */

static void
test_bars_pixels (void)
{
  const char *cats[] = { "high", "low", "none" };
  const double v[] = { 0.8, 0.4, NAN }, lo[] = { 0.7, 0.35, NAN }, hi[] = { 0.9, 0.45, NAN };
  MsBarSeries series[] = { { .name = "model", .values = v, .lower = lo, .upper = hi } };
  MsBarChart chart = { .title = "Bars", .categories = cats, .n_categories = 3,
                       .series = series, .n_series = 1 };
  Canvas c = render (MS_PLOT_BARS, &chart, 800, 500, NULL);
  MsPlotRgb blue = c.theme->palette[0];

  /* Scan every column for the tallest run of the series colour: two bars, the first twice as
   * tall as the second, standing on the same baseline. */
  int best[2] = { 0, 0 }, bottom[2] = { 0, 0 }, col[2] = { 0, 0 };
  for (int x = 0; x < c.w; x++)
    {
      int start, run = column_run (&c, x, blue, 3, &start);
      int which = x < c.w / 2 ? 0 : 1;
      if (run > best[which])
        {
          best[which] = run;
          bottom[which] = start + run;
          col[which] = x;
        }
    }
  g_assert_cmpint (best[0], >, 150);
  g_assert_cmpint (best[1], >, 75);
  /* 0.8 / 0.4: exactly 2 up to a pixel of antialiasing at each end. */
  g_assert_cmpfloat (fabs (best[0] - 2.0 * best[1]), <=, 3.0);
  g_assert_cmpint (abs (bottom[0] - bottom[1]), <=, 1);

  /* The reported geometry agrees with the pixels. */
  const MsPlotItem *b0 = find_item (c.hits, MS_PLOT_ITEM_BAR, 0, 0);
  const MsPlotItem *b1 = find_item (c.hits, MS_PLOT_ITEM_BAR, 0, 1);
  g_assert_nonnull (b0);
  g_assert_nonnull (b1);
  g_assert_null (find_item (c.hits, MS_PLOT_ITEM_BAR, 0, 2));  /* NaN: no bar */
  g_assert_cmpfloat (fabs (b0->height - best[0]), <=, 2.0);  /* antialiased ends */
  g_assert_cmpfloat (fabs (b1->height / b0->height - 0.5), <, 1e-9);
  g_assert_cmpfloat (col[0], >=, b0->x);
  g_assert_cmpfloat (col[0], <=, b0->x + b0->width);

  /* Whiskers: above the bar top a dark run of (0.9 − 0.8) / 0.8 of the bar's height, with a
   * cap at its end; nothing dark above the cap. */
  int cx = (int) (b0->x + b0->width / 2), top = bottom[0] - best[0];
  double px_per_unit = best[0] / 0.8;
  int dark = 0, y = top - 1;
  while (y > 0 && !is_color (&c, cx, y, c.theme->background, 60))
    dark++, y--;
  /* The run ends at the cap, whose stroke adds a pixel or two. */
  g_assert_cmpfloat (dark - 0.1 * px_per_unit, >=, -1);
  g_assert_cmpfloat (dark - 0.1 * px_per_unit, <=, 3);
  for (int k = 2; k < 30; k++)
    g_assert_true (is_color (&c, cx, y - k, c.theme->background, 60)
                   || is_color (&c, cx, y - k, c.theme->grid, 8));
  /* The cap: dark on both sides of the stem along the run's last rows. */
  int cap_l = 0, cap_r = 0;
  for (int x = cx - 12; x <= cx + 12; x++)
    for (int yy = y + 1; yy <= y + 2; yy++)
      if (!is_color (&c, x, yy, c.theme->background, 60))
        {
          cap_l += x < cx - 2;
          cap_r += x > cx + 2;
        }
  g_assert_cmpint (cap_l, >=, 2);
  g_assert_cmpint (cap_r, >=, 2);
  g_assert_nonnull (find_item (c.hits, MS_PLOT_ITEM_INTERVAL, 0, 0));
  g_assert_null (find_item (c.hits, MS_PLOT_ITEM_INTERVAL, 0, 2));

  /* Hit testing finds the bar under a point. */
  const MsPlotItem *hit = ms_plot_hits_find (c.hits, b1->x + b1->width / 2,
                                             b1->y + b1->height / 2, 4);
  g_assert_nonnull (hit);
  g_assert_cmpint (hit->kind, ==, MS_PLOT_ITEM_BAR);
  g_assert_cmpint (hit->index, ==, 1);
  g_assert_cmpfloat (hit->value, ==, 0.4);
  canvas_free (&c);
}

static void
test_bars_negative_control (void)
{
  const char *cats[] = { "up", "down" };
  const double a[] = { 0.3, -0.15 }, base[] = { 0.2, 0.1 };
  MsBarSeries series[] = { { .name = "corrected", .values = a },
                           { .name = "base", .values = base, .control = TRUE } };
  MsBarChart chart = { .categories = cats, .n_categories = 2, .series = series, .n_series = 2,
                       .has_reference = TRUE, .reference = 0.25, .format = MS_PLOT_FORMAT_PERCENT };
  Canvas c = render (MS_PLOT_BARS, &chart, 800, 500, NULL);
  const MsPlotItem *up = find_item (c.hits, MS_PLOT_ITEM_BAR, 0, 0);
  const MsPlotItem *down = find_item (c.hits, MS_PLOT_ITEM_BAR, 0, 1);
  g_assert_nonnull (up);
  g_assert_nonnull (down);
  /* The negative bar hangs from the baseline of the positive one, half as long. */
  g_assert_cmpfloat (fabs (down->y - (up->y + up->height)), <, 1e-6);
  g_assert_cmpfloat (fabs (down->height / up->height - 0.5), <, 1e-9);
  int start, run = column_run (&c, (int) (down->x + down->width / 2), c.theme->palette[0], 3,
                               &start);
  g_assert_cmpfloat (fabs (run - down->height), <=, 2.0);
  g_assert_cmpfloat (fabs (start - down->y), <=, 1.5);
  /* A zero line across the plot at the baseline. */
  const MsPlotItem *area = find_item (c.hits, MS_PLOT_ITEM_AREA, -1, -1);
  g_assert_nonnull (area);
  int zy = (int) floor (down->y), zero = 0;
  for (int x = (int) area->x + 2; x < area->x + area->width - 2; x++)
    zero += !is_color (&c, x, zy, c.theme->background, 40)
            || !is_color (&c, x, zy - 1, c.theme->background, 40);
  g_assert_cmpfloat (zero, >, 0.95 * (area->width - 4));

  /* The control bar is hatched: both its light fill and its full colour inside. */
  const MsPlotItem *ctl = find_item (c.hits, MS_PLOT_ITEM_BAR, 1, 0);
  g_assert_nonnull (ctl);
  MsPlotRgb full = c.theme->palette[1];
  int x0 = (int) ctl->x + 3, x1 = (int) (ctl->x + ctl->width) - 3;
  int y0 = (int) ctl->y + 3, y1 = (int) (ctl->y + ctl->height) - 3;
  int inside = (x1 - x0) * (y1 - y0), strong = count_color (&c, x0, y0, x1, y1, full, 40);
  g_assert_cmpint (strong, >, inside / 10);
  g_assert_cmpint (strong, <, inside * 2 / 3);

  /* The dashed reference line at 25%: halfway between 0 and the 30% bar's top, partly inked. */
  double ry = up->y + up->height - up->height * 0.25 / 0.3;
  int dashes = 0, gaps = 0;
  for (int x = (int) area->x + 1; x < area->x + area->width - 1; x++)
    {
      gboolean ink = FALSE;
      for (int yy = (int) floor (ry) - 1; yy <= (int) floor (ry) + 1; yy++)
        ink |= is_color (&c, x, yy, c.theme->muted, 40);
      dashes += ink;
      gaps += !ink;
    }
  /* 5 on, 3 off. */
  g_assert_cmpfloat (dashes, >, 0.5 * area->width);
  g_assert_cmpfloat (gaps, >, 0.25 * area->width);
  canvas_free (&c);
}

static void
test_scale (void)
{
  /* 1600×1000 is 800×500 drawn twice as large. */
  int n;
  const MsPlotExample *ex = ms_plot_examples (&n);
  Canvas a = render (ex[0].kind, ex[0].chart, 800, 500, NULL);
  Canvas b = render (ex[0].kind, ex[0].chart, 1600, 1000, NULL);
  g_assert_cmpuint (ms_plot_hits_count (a.hits), ==, ms_plot_hits_count (b.hits));
  for (guint i = 0; i < ms_plot_hits_count (a.hits); i++)
    {
      const MsPlotItem *p = ms_plot_hits_get (a.hits, i), *q = ms_plot_hits_get (b.hits, i);
      g_assert_cmpint (p->kind, ==, q->kind);
      g_assert_cmpfloat (fabs (2 * p->x - q->x), <, 1.5);
      g_assert_cmpfloat (fabs (2 * p->height - q->height), <, 1.5);
    }
  canvas_free (&a);
  canvas_free (&b);
}

/* ---- lines and scatter ---------------------------------------------------------------------- */

static void
test_lines (void)
{
  const double x[] = { 0, 1, 2, 3, 4 }, y[] = { 1, 10, NAN, 1000, 10000 };
  const double y2[] = { 2, 2, 2, 2, 2 };
  MsLineSeries series[] = { { .name = "loss", .x = x, .y = y, .n = 5, .markers = TRUE },
                            { .name = "flat", .x = x, .y = y2, .n = 5, .dashed = TRUE } };
  MsLineChart chart = { .title = "Log", .series = series, .n_series = 2, .log_y = TRUE };
  Canvas c = render (MS_PLOT_LINES, &chart, 800, 500, NULL);
  /* Four points of the first series (the NaN is skipped), each decade the same height on the
   * log axis. */
  const MsPlotItem *p[5];
  for (int i = 0; i < 5; i++)
    p[i] = find_item (c.hits, MS_PLOT_ITEM_POINT, 0, i);
  g_assert_null (p[2]);
  double decade = p[0]->y - p[1]->y;
  g_assert_cmpfloat (decade, >, 40);
  g_assert_cmpfloat (fabs ((p[1]->y - p[3]->y) - 2 * decade), <, 1e-6);
  g_assert_cmpfloat (fabs ((p[3]->y - p[4]->y) - decade), <, 1e-6);
  MsPlotRgb col = c.theme->palette[0];
  /* The line breaks at the NaN: no series colour in the column halfway to it... */
  int mid_x = (int) lround ((p[1]->x + p[3]->x) / 2 + p[1]->width / 2);
  int start;
  g_assert_cmpint (column_run (&c, mid_x, col, 40, &start), ==, 0);
  /* ...but the segment between the first two points is drawn. */
  int seg_x = (int) lround ((p[0]->x + p[1]->x) / 2 + p[0]->width / 2);
  g_assert_cmpint (column_run (&c, seg_x, col, 40, &start), >, 0);
  /* The marker: a disc of the series colour at the point. */
  g_assert_true (is_color (&c, (int) (p[1]->x + p[1]->width / 2), (int) (p[1]->y + p[1]->height / 2),
                           col, 10));
  /* The dashed flat line at y = 2: both inked and empty pixels along its row. */
  const MsPlotItem *f0 = find_item (c.hits, MS_PLOT_ITEM_POINT, 1, 0);
  const MsPlotItem *f4 = find_item (c.hits, MS_PLOT_ITEM_POINT, 1, 4);
  int fy = (int) lround (f0->y + f0->height / 2);
  int on = count_color (&c, (int) f0->x + 10, fy - 1, (int) f4->x - 10, fy + 2,
                        c.theme->palette[1], 40);
  int span = (int) (f4->x - f0->x) - 20;
  g_assert_cmpint (on, >, span / 2);
  g_assert_cmpint (on, <, span * 3 * 9 / 10);
  canvas_free (&c);

  /* ROC with the chance diagonal: the diagonal's pixels run corner to corner. */
  const double fpr[] = { 0, 0.1, 0.5, 1 }, tpr[] = { 0, 0.5, 0.9, 1 };
  MsLineSeries roc[] = { { .name = "roc", .x = fpr, .y = tpr, .n = 4 } };
  MsLineChart rc = { .series = roc, .n_series = 1, .diagonal = TRUE, .x_min = 0, .x_max = 1,
                     .y_min = 0, .y_max = 1 };
  c = render (MS_PLOT_LINES, &rc, 600, 600, NULL);
  const MsPlotItem *area = find_item (c.hits, MS_PLOT_ITEM_AREA, -1, -1);
  int hits_diag = 0;
  for (int k = 1; k < 20; k++)
    {
      double t = k / 20.0;
      int dx = (int) lround (area->x + t * area->width), dy = (int) lround (area->y + (1 - t) * area->height);
      for (int e = -1; e <= 1; e++)
        if (is_color (&c, dx, dy + e, c.theme->muted, 90))
          {
            hits_diag++;
            break;
          }
    }
  g_assert_cmpint (hits_diag, >=, 8);
  canvas_free (&c);
}

static void
test_scatter (void)
{
  /* A 6 × 6 grid of points over the left 40% of the x range, in two groups, and one far point
   * at the bottom right: the top-right corner is the only empty one, so the note goes there. */
  double x[37], y[37];
  int g[37];
  for (int i = 0; i < 36; i++)
    {
      x[i] = (i % 6) * 0.6;
      y[i] = (i / 6) * 0.6;
      g[i] = i % 2;
    }
  x[36] = 8;
  y[36] = 0;
  g[36] = 0;
  const char *names[] = { "even", "odd" };
  MsScatterChart chart = { .x = x, .y = y, .n = 37, .group = g, .group_names = names,
                           .n_groups = 2, .fit_line = TRUE, .annotation = "ρ = 0.41" };
  Canvas c = render (MS_PLOT_SCATTER, &chart, 800, 500, NULL);
  g_assert_cmpint (count_items (c.hits, MS_PLOT_ITEM_POINT), ==, 37);
  /* Each point is drawn in its group's colour. */
  const MsPlotItem *p0 = find_item (c.hits, MS_PLOT_ITEM_POINT, 0, 0);
  const MsPlotItem *p1 = find_item (c.hits, MS_PLOT_ITEM_POINT, 1, 1);
  g_assert_true (count_color (&c, (int) p0->x, (int) p0->y, (int) (p0->x + p0->width),
                              (int) (p0->y + p0->height), c.theme->palette[0], 60) > 3);
  g_assert_true (count_color (&c, (int) p1->x, (int) p1->y, (int) (p1->x + p1->width),
                              (int) (p1->y + p1->height), c.theme->palette[1], 60) > 3);
  /* Legend: two groups and the fit line. */
  g_assert_cmpint (count_items (c.hits, MS_PLOT_ITEM_LEGEND), ==, 3);
  /* The fit line passes through the least-squares prediction at x = 6, where no point is:
   * map data to pixels with two reported points. */
  double slope, icpt;
  g_assert_true (ms_plot_least_squares (x, y, 37, &slope, &icpt));
  const MsPlotItem *a = find_item (c.hits, MS_PLOT_ITEM_POINT, -1, 0);
  const MsPlotItem *b = find_item (c.hits, MS_PLOT_ITEM_POINT, -1, 35);
  double sx = (b->x - a->x) / (x[35] - x[0]), sy = (b->y - a->y) / (y[35] - y[0]);
  int fx = (int) lround (a->x + a->width / 2 + (6 - x[0]) * sx);
  int fy = (int) lround (a->y + a->height / 2 + (icpt + slope * 6 - y[0]) * sy);
  int line = 0;
  for (int e = -2; e <= 2; e++)
    line += is_color (&c, fx, fy + e, c.theme->muted, 60);
  g_assert_cmpint (line, >, 0);
  /* The note sits in the top-right corner, the one without points; the text colour is nowhere
   * in the top-left one. */
  const MsPlotItem *area = find_item (c.hits, MS_PLOT_ITEM_AREA, -1, -1);
  int tr = count_ink (&c, (int) (area->x + area->width * 0.6), (int) area->y + 2,
                      (int) (area->x + area->width) - 2, (int) (area->y + area->height * 0.2));
  int tl = count_color (&c, (int) area->x + 2, (int) area->y + 2,
                        (int) (area->x + area->width * 0.4),
                        (int) (area->y + area->height * 0.2), c.theme->text, 30);
  g_assert_cmpint (tr, >, 100);
  g_assert_cmpint (tl, ==, 0);
  canvas_free (&c);
}

/* ---- heatmap -------------------------------------------------------------------------------- */

static void
test_heatmap (void)
{
  double v[6 * 8];
  for (int i = 0; i < 48; i++)
    v[i] = 0.3 + 0.01 * ((i * 7) % 13);
  v[4 * 8 + 2] = 2.0;  /* the max */
  v[1 * 8 + 6] = -1.0; /* the min */
  v[3 * 8 + 3] = NAN;
  MsHeatmap chart = { .title = "Heat", .values = v, .n_rows = 6, .n_cols = 8,
                      .value_label = "value" };
  Canvas c = render (MS_PLOT_HEATMAP, &chart, 800, 500, ms_plot_theme_dark ());
  const MsPlotItem *area = find_item (c.hits, MS_PLOT_ITEM_AREA, -1, -1);
  g_assert_nonnull (area);
  /* The brightest and darkest pixels of the plot area, by luminance. */
  double hi = -1, lo = 1e9;
  int hx = 0, hy = 0, lx = 0, ly = 0;
  for (int y = (int) area->y + 1; y < area->y + area->height - 1; y++)
    for (int x = (int) area->x + 1; x < area->x + area->width - 1; x++)
      {
        int rgb[3];
        pixel (&c, x, y, rgb);
        double l = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
        if (l > hi)
          hi = l, hx = x, hy = y;
        if (l < lo && dist (rgb, c.theme->background) > 10)
          lo = l, lx = x, ly = y;
      }
  const MsPlotItem *hit = ms_plot_hits_find (c.hits, hx + 0.5, hy + 0.5, 0);
  g_assert_nonnull (hit);
  g_assert_cmpint (hit->kind, ==, MS_PLOT_ITEM_CELL);
  g_assert_cmpint (hit->series, ==, 4);
  g_assert_cmpint (hit->index, ==, 2);
  hit = ms_plot_hits_find (c.hits, lx + 0.5, ly + 0.5, 0);
  g_assert_cmpint (hit->series, ==, 1);
  g_assert_cmpint (hit->index, ==, 6);
  /* The extremes are viridis' ends. */
  g_assert_true (is_color (&c, hx, hy, ms_plot_viridis (1), 3));
  g_assert_true (is_color (&c, lx, ly, ms_plot_viridis (0), 3));
  /* The NaN cell shows the canvas. */
  const MsPlotItem *nan_cell = find_item (c.hits, MS_PLOT_ITEM_CELL, 3, 3);
  g_assert_true (is_color (&c, (int) (nan_cell->x + nan_cell->width / 2),
                           (int) (nan_cell->y + nan_cell->height / 2), c.theme->background, 2));
  /* A colour bar right of the cells: viridis' top colour near its top. */
  int bar = count_color (&c, (int) (area->x + area->width), (int) area->y, c.w,
                         (int) (area->y + 10), ms_plot_viridis (1), 12);
  g_assert_cmpint (bar, >, 20);
  canvas_free (&c);

  /* An attention map with 120 long token labels: labels are thinned, turned and kept inside
   * the canvas; the cells keep most of the room. */
  enum { N = 120 };
  static double attn[N * N];
  static char *tok[N];
  for (int i = 0; i < N; i++)
    {
      tok[i] = g_strdup_printf ("token_%03d_with_a_long_tail", i);
      for (int j = 0; j < N; j++)
        attn[i * N + j] = j <= i ? 1.0 / (i + 1) : NAN;
    }
  MsHeatmap am = { .values = attn, .n_rows = N, .n_cols = N, .row_labels = (const char **) tok,
                   .col_labels = (const char **) tok, .square = TRUE };
  c = render (MS_PLOT_HEATMAP, &am, 800, 800, NULL);
  area = find_item (c.hits, MS_PLOT_ITEM_AREA, -1, -1);
  g_assert_cmpfloat (area->width, >, 400);
  g_assert_cmpfloat (area->x, >, 0);
  g_assert_cmpfloat (area->x + area->width, <, 800);
  /* Labels left of and under the cells, nothing touching the canvas' edges. */
  g_assert_cmpint (count_ink (&c, 0, (int) area->y, (int) area->x - 2,
                              (int) (area->y + area->height)), >, 500);
  g_assert_cmpint (count_ink (&c, (int) area->x, (int) (area->y + area->height) + 2,
                              (int) (area->x + area->width), c.h), >, 500);
  g_assert_cmpint (count_ink (&c, 0, 0, c.w, 2) + count_ink (&c, 0, c.h - 2, c.w, c.h)
                   + count_ink (&c, 0, 0, 2, c.h), ==, 0);
  canvas_free (&c);
  for (int i = 0; i < N; i++)
    g_free (tok[i]);
}

/* ---- distributions -------------------------------------------------------------------------- */

static void
test_distribution (void)
{
  double a[10], b[10];
  for (int i = 0; i < 9; i++)
    a[i] = i + 1;
  a[9] = 100;
  for (int i = 0; i < 10; i++)
    b[i] = a[i] + 10;
  MsDistGroup groups[] = { { .name = "a", .values = a, .n = 10 },
                           { .name = "b", .values = b, .n = 10 } };
  for (int horizontal = 0; horizontal <= 1; horizontal++)
    {
      MsDistChart chart = { .groups = groups, .n_groups = 2, .horizontal = horizontal };
      Canvas c = render (MS_PLOT_DIST, &chart, 800, 500, NULL);
      const MsPlotItem *ba = find_item (c.hits, MS_PLOT_ITEM_BOX, 0, -1);
      const MsPlotItem *bb = find_item (c.hits, MS_PLOT_ITEM_BOX, 1, -1);
      g_assert_nonnull (ba);
      g_assert_nonnull (bb);
      g_assert_cmpfloat (ba->value, ==, 5.5);
      /* Boxes span the IQR (4.5): the same length, 10 / 4.5 box lengths apart. */
      double la = horizontal ? ba->width : ba->height, lb = horizontal ? bb->width : bb->height;
      double shift = horizontal ? bb->x - ba->x : ba->y - bb->y;
      g_assert_cmpfloat (fabs (la - lb), <, 1e-6);
      g_assert_cmpfloat (fabs (shift / la - 10 / 4.5), <, 1e-6);
      /* The box edge is drawn in the group's colour along the whole box. */
      MsPlotRgb col = c.theme->palette[0];
      int edge = horizontal ? count_color (&c, (int) ba->x, (int) ba->y - 1,
                                           (int) (ba->x + ba->width), (int) ba->y + 2, col, 40)
                            : count_color (&c, (int) ba->x - 1, (int) ba->y, (int) ba->x + 2,
                                           (int) (ba->y + ba->height), col, 40);
      g_assert_cmpfloat (edge, >, 0.8 * la);
      canvas_free (&c);
    }
  /* Violin and strip: one point per finite value. */
  a[3] = NAN;
  MsDistChart vs = { .groups = groups, .n_groups = 2,
                     .style = MS_PLOT_DIST_VIOLIN | MS_PLOT_DIST_STRIP };
  Canvas c = render (MS_PLOT_DIST, &vs, 800, 500, NULL);
  g_assert_cmpint (count_items (c.hits, MS_PLOT_ITEM_POINT), ==, 19);
  g_assert_cmpint (count_items (c.hits, MS_PLOT_ITEM_BOX), ==, 2);
  canvas_free (&c);
}

/* ---- empty data, panels, files, text -------------------------------------------------------- */

static void
assert_no_data (MsPlotKind kind, gconstpointer chart)
{
  Canvas c = render (kind, chart, 640, 400, NULL);
  const MsPlotItem *nd = find_item (c.hits, MS_PLOT_ITEM_NO_DATA, -1, -1);
  g_assert_nonnull (nd);
  g_assert_null (find_item (c.hits, MS_PLOT_ITEM_AREA, -1, -1));
  /* The message is inked, in the muted colour, about the middle of the canvas. */
  g_assert_cmpint (count_color (&c, (int) nd->x, (int) nd->y, (int) (nd->x + nd->width) + 1,
                                (int) (nd->y + nd->height) + 1, c.theme->muted, 30), >, 20);
  g_assert_cmpfloat (fabs (nd->x + nd->width / 2 - 320), <, 2);
  canvas_free (&c);
}

static void
test_empty (void)
{
  const double nan3[] = { NAN, NAN, NAN };
  const char *cats[] = { "a", "b", "c" };
  MsBarSeries bs[] = { { .values = nan3, .lower = nan3, .upper = nan3 } };
  MsBarChart bars = { .categories = cats, .n_categories = 3, .series = bs, .n_series = 1 };
  assert_no_data (MS_PLOT_BARS, &bars);
  MsBarChart bars0 = { .title = "none" };
  assert_no_data (MS_PLOT_BARS, &bars0);
  MsLineSeries ls[] = { { .x = nan3, .y = nan3, .n = 3 }, { .n = 5 } };
  MsLineChart lines = { .series = ls, .n_series = 2 };
  assert_no_data (MS_PLOT_LINES, &lines);
  const double neg[] = { -1, 0, -3 }, x3[] = { 1, 2, 3 };
  MsLineSeries lneg[] = { { .x = x3, .y = neg, .n = 3 } };
  MsLineChart logneg = { .series = lneg, .n_series = 1, .log_y = TRUE };
  assert_no_data (MS_PLOT_LINES, &logneg);
  MsScatterChart sc = { .x = nan3, .y = x3, .n = 3 };
  assert_no_data (MS_PLOT_SCATTER, &sc);
  MsHeatmap hm = { .values = nan3, .n_rows = 1, .n_cols = 3 };
  assert_no_data (MS_PLOT_HEATMAP, &hm);
  MsHeatmap hm0 = { .n_rows = 4, .n_cols = 4 };
  assert_no_data (MS_PLOT_HEATMAP, &hm0);
  MsDistGroup dg[] = { { .values = nan3, .n = 3 }, { .n = 0 } };
  MsDistChart dc = { .groups = dg, .n_groups = 2 };
  assert_no_data (MS_PLOT_DIST, &dc);
  MsPanelFigure pf = { .title = "empty" };
  assert_no_data (MS_PLOT_PANELS, &pf);
  assert_no_data (MS_PLOT_BARS, NULL);
  assert_no_data ((MsPlotKind) 99, &bars);

  /* One value, one category, a constant series: drawn, not "No data", no division by zero. */
  const double one[] = { 0.5 };
  MsBarSeries b1[] = { { .values = one } };
  MsBarChart single = { .n_categories = 1, .series = b1, .n_series = 1 };
  Canvas c = render (MS_PLOT_BARS, &single, 300, 200, NULL);
  g_assert_nonnull (find_item (c.hits, MS_PLOT_ITEM_BAR, 0, 0));
  g_assert_null (find_item (c.hits, MS_PLOT_ITEM_NO_DATA, -1, -1));
  canvas_free (&c);
  const double flat[] = { 2, 2, 2 };
  MsLineSeries lf[] = { { .x = flat, .y = flat, .n = 3 } };
  MsLineChart lflat = { .series = lf, .n_series = 1 };
  c = render (MS_PLOT_LINES, &lflat, 300, 200, NULL);
  const MsPlotItem *p = find_item (c.hits, MS_PLOT_ITEM_POINT, 0, 0);
  g_assert_nonnull (p);
  g_assert_true (isfinite (p->x) && isfinite (p->y));
  canvas_free (&c);
}

static void
test_panels (void)
{
  int n;
  const MsPlotExample *ex = ms_plot_examples (&n);
  const MsPlotExample *fig = NULL;
  for (int i = 0; i < n; i++)
    if (ex[i].kind == MS_PLOT_PANELS)
      fig = &ex[i];
  g_assert_nonnull (fig);
  const MsPanelFigure *pf = fig->chart;
  Canvas c = render (MS_PLOT_PANELS, pf, 1200, 800, NULL);
  /* Four plot areas in a 2 × 2 grid, each tagged with its panel, none overlapping. */
  const MsPlotItem *areas[4] = { NULL };
  for (guint i = 0; i < ms_plot_hits_count (c.hits); i++)
    {
      const MsPlotItem *it = ms_plot_hits_get (c.hits, i);
      if (it->kind == MS_PLOT_ITEM_AREA)
        {
          g_assert_cmpint (it->panel, >=, 0);
          g_assert_cmpint (it->panel, <, 4);
          areas[it->panel] = it;
        }
    }
  for (int i = 0; i < 4; i++)
    g_assert_nonnull (areas[i]);
  g_assert_cmpfloat (areas[1]->x, >, areas[0]->x + areas[0]->width);
  g_assert_cmpfloat (areas[2]->y, >, areas[0]->y + areas[0]->height);
  g_assert_cmpfloat (fabs (areas[2]->x - areas[0]->x), <, 1);
  /* One shared legend of the three series, above the panels. */
  g_assert_cmpint (count_items (c.hits, MS_PLOT_ITEM_LEGEND), ==, 3);
  const MsPlotItem *leg = find_item (c.hits, MS_PLOT_ITEM_LEGEND, -1, -1);
  g_assert_cmpfloat (leg->y + leg->height, <, areas[0]->y);
  /* Bars are tagged with their panel. */
  int bars_in_3 = 0;
  for (guint i = 0; i < ms_plot_hits_count (c.hits); i++)
    bars_in_3 += ms_plot_hits_get (c.hits, i)->kind == MS_PLOT_ITEM_BAR
                 && ms_plot_hits_get (c.hits, i)->panel == 3;
  g_assert_cmpint (bars_in_3, ==, 15);
  canvas_free (&c);

  MsPanelFigure own = *pf;
  own.own_legends = TRUE;
  own.n_columns = 4;
  c = render (MS_PLOT_PANELS, &own, 1600, 500, NULL);
  g_assert_cmpint (count_items (c.hits, MS_PLOT_ITEM_LEGEND), ==, 12);
  canvas_free (&c);
}

static void
test_every_example (void)
{
  /* Every example in both themes: drawn, its plot area well inked. */
  int n;
  const MsPlotExample *ex = ms_plot_examples (&n);
  for (int i = 0; i < n; i++)
    for (int dark = 0; dark <= 1; dark++)
      {
        Canvas c = render (ex[i].kind, ex[i].chart, (int) ex[i].width, (int) ex[i].height,
                           dark ? ms_plot_theme_dark () : ms_plot_theme_light ());
        g_assert_true (is_color (&c, 1, 1, c.theme->background, 0));
        const MsPlotItem *area = find_item (c.hits, MS_PLOT_ITEM_AREA, -1, -1);
        if (g_str_equal (ex[i].name, "empty"))
          g_assert_null (area);
        else
          {
            g_assert_nonnull (area);
            int ink = count_ink (&c, (int) area->x, (int) area->y, (int) (area->x + area->width),
                                 (int) (area->y + area->height));
            if (ink < area->width * area->height * 0.03)
              g_error ("%s: only %d inked pixels in the plot area", ex[i].name, ink);
          }
        canvas_free (&c);
      }
}

static void
test_cjk_title (void)
{
  /* Pango finds a font for every character of the Chinese title (no missing-glyph boxes). */
  const MsPlotTheme *t = ms_plot_theme_light ();
  const char *title = "各任务的逐字记忆率（单任务与多任务微调）";
  PangoFontMap *fm = pango_cairo_font_map_get_default ();
  PangoContext *pc = pango_font_map_create_context (fm);
  PangoLayout *l = pango_layout_new (pc);
  PangoFontDescription *fd = pango_font_description_from_string (t->font_family);
  pango_layout_set_font_description (l, fd);
  pango_layout_set_text (l, title, -1);
  g_assert_cmpint (pango_layout_get_unknown_glyphs_count (l), ==, 0);
  pango_font_description_free (fd);
  g_object_unref (l);
  g_object_unref (pc);

  /* Rendered: the title's box holds ink across its width. */
  const char *cats[] = { "摘要", "对话" };
  const double v[] = { 0.4, 0.2 };
  MsBarSeries s[] = { { .name = "单任务", .values = v } };
  MsBarChart chart = { .title = title, .categories = cats, .n_categories = 2, .series = s,
                       .n_series = 1 };
  Canvas c = render (MS_PLOT_BARS, &chart, 800, 500, NULL);
  const MsPlotItem *ti = find_item (c.hits, MS_PLOT_ITEM_TITLE, -1, -1);
  g_assert_nonnull (ti);
  /* 20 characters of at least 15 px each. */
  g_assert_cmpfloat (ti->width, >, 20 * 12);
  int ink = count_color (&c, (int) ti->x, (int) ti->y, (int) (ti->x + ti->width),
                         (int) (ti->y + ti->height), c.theme->text, 60);
  g_assert_cmpint (ink, >, 600);
  /* Ink in each fifth of the title, so it is not one blob. */
  for (int k = 0; k < 5; k++)
    g_assert_cmpint (count_ink (&c, (int) (ti->x + ti->width * k / 5), (int) ti->y,
                                (int) (ti->x + ti->width * (k + 1) / 5), (int) (ti->y + ti->height)),
                     >, 60);
  canvas_free (&c);
}

static void
test_save (void)
{
  int n;
  const MsPlotExample *ex = ms_plot_examples (&n);
  static const struct { const char *ext, *magic; gsize len; } formats[] = {
    { "png", "\x89PNG\r\n\x1a\n", 8 }, { "PNG", "\x89PNG", 4 }, { "svg", "<?xml", 5 },
    { "pdf", "%PDF-", 5 },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (formats); k++)
    {
      g_autofree char *path = g_strdup_printf ("%s/chart-%zu.%s", ms_test_tmpdir (), k,
                                               formats[k].ext);
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_plot_save (path, 640, 400, ex[0].kind, ex[0].chart, NULL, &error));
      g_assert_no_error (error);
      g_autofree char *data = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (path, &data, &len, NULL));
      g_assert_cmpuint (len, >, 2000);
      g_assert_cmpint (memcmp (data, formats[k].magic, formats[k].len), ==, 0);
      if (g_str_equal (formats[k].ext, "svg"))
        {
          g_assert_nonnull (strstr (data, "<svg"));
          g_assert_nonnull (strstr (data, "width=\"640"));
        }
    }
  /* The PNG has the asked size and the theme's background. */
  g_autofree char *png = g_strdup_printf ("%s/chart-0.png", ms_test_tmpdir ());
  cairo_surface_t *img = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (img), ==, 640);
  g_assert_cmpint (cairo_image_surface_get_height (img), ==, 400);
  cairo_surface_destroy (img);

  g_autoptr (GError) error = NULL;
  g_autofree char *bad = g_strdup_printf ("%s/chart.jpeg", ms_test_tmpdir ());
  g_assert_false (ms_plot_save (bad, 640, 400, ex[0].kind, ex[0].chart, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "chart.jpeg"));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_autofree char *noext = g_strdup_printf ("%s/dir.png/chart", ms_test_tmpdir ());
  g_assert_false (ms_plot_save (noext, 640, 400, ex[0].kind, ex[0].chart, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_autofree char *nodir = g_strdup_printf ("%s/missing/chart.pdf", ms_test_tmpdir ());
  g_assert_false (ms_plot_save (nodir, 640, 400, ex[0].kind, ex[0].chart, NULL, &error));
  /* Charts go through the atomic writer, which names the file and the missing folder. */
  g_assert_error (error, MS_ERROR, MS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "chart.pdf"));
  g_assert_nonnull (strstr (error->message, "does not exist"));
  g_clear_error (&error);
  g_autofree char *zero = g_strdup_printf ("%s/zero.png", ms_test_tmpdir ());
  g_assert_false (ms_plot_save (zero, 0, 400, ex[0].kind, ex[0].chart, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_plot_save (zero, NAN, 400, ex[0].kind, ex[0].chart, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

static void
test_hits_transform (void)
{
  /* Items come back in the user space of attach time, whatever the drawing did after. */
  const char *cats[] = { "a" };
  const double v[] = { 1 };
  MsBarSeries s[] = { { .values = v } };
  MsBarChart chart = { .categories = cats, .n_categories = 1, .series = s, .n_series = 1 };
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 800, 1000);
  cairo_t *cr = cairo_create (surf);
  g_autoptr (MsPlotHits) plain = ms_plot_hits_new ();
  g_autoptr (MsPlotHits) moved = ms_plot_hits_new ();
  ms_plot_hits_attach (cr, plain);
  ms_plot_bars (cr, 400, 300, &chart, NULL);
  /* Attached after a scale: items in the scaled space, so equal to the plain ones. */
  cairo_scale (cr, 2, 2);
  ms_plot_hits_attach (cr, moved);
  ms_plot_bars (cr, 400, 300, &chart, NULL);
  ms_plot_hits_attach (cr, NULL);
  g_assert_cmpuint (ms_plot_hits_count (plain), ==, ms_plot_hits_count (moved));
  for (guint i = 0; i < ms_plot_hits_count (plain); i++)
    {
      const MsPlotItem *a = ms_plot_hits_get (plain, i), *b = ms_plot_hits_get (moved, i);
      g_assert_cmpfloat (fabs (a->x - b->x), <, 1e-9);
      g_assert_cmpfloat (fabs (a->height - b->height), <, 1e-9);
    }
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_destroy (surf);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plot/bars/pixels", test_bars_pixels);
  g_test_add_func ("/plot/bars/negative-control", test_bars_negative_control);
  g_test_add_func ("/plot/scale", test_scale);
  g_test_add_func ("/plot/lines", test_lines);
  g_test_add_func ("/plot/scatter", test_scatter);
  g_test_add_func ("/plot/heatmap", test_heatmap);
  g_test_add_func ("/plot/distribution", test_distribution);
  g_test_add_func ("/plot/empty", test_empty);
  g_test_add_func ("/plot/panels", test_panels);
  g_test_add_func ("/plot/examples", test_every_example);
  g_test_add_func ("/plot/cjk-title", test_cjk_title);
  g_test_add_func ("/plot/save", test_save);
  g_test_add_func ("/plot/hits-transform", test_hits_transform);
  return ms_test_run ();
}
