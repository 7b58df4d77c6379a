/* Internals shared by the chart files: one drawing session (cairo + Pango + theme + scale),
 * text, colours, item recording, legends, and the cartesian frame (title, legend, axes and the
 * plot rectangle sized from the extents of every label). */
#pragma once

#include <pango/pangocairo.h>

#include "ms-plot.h"

G_BEGIN_DECLS

/* ---- context carried on a cairo_t (hits, panels) ------------------------------------------ */

typedef enum {
  MS_SWATCH_BOX,
  MS_SWATCH_HATCH,
  MS_SWATCH_LINE,
  MS_SWATCH_DASH,
  MS_SWATCH_POINT,
  MS_SWATCH_LINE_POINT,
} MsSwatch;

typedef struct {
  const char *label;
  MsSwatch swatch;
  MsPlotRgb color;
} MsLegendEntry;

typedef struct {
  MsPlotHits *hits;      /* nullable */
  int panel;
  gboolean hide_legend;  /* a figure draws one shared legend */
  GArray *legend_out;    /* (MsLegendEntry) where hidden legends go, nullable */
  int depth;             /* nesting of figures, to stop runaway recursion */
} MsPlotCtx;

MsPlotCtx *ms_plot_ctx_get (cairo_t *cr);
/* The context of CR, created (and owned by CR) if it has none. */
MsPlotCtx *ms_plot_ctx_ensure (cairo_t *cr);

/* ---- drawing session ----------------------------------------------------------------------- */

typedef enum {
  MS_TEXT_TICK,
  MS_TEXT_NOTE,
  MS_TEXT_LEGEND,
  MS_TEXT_LABEL,
  MS_TEXT_TITLE,
  MS_TEXT_FIGURE_TITLE,
  MS_TEXT_CELL,
  MS_TEXT_N_STYLES
} MsTextStyle;

typedef struct {
  cairo_t *cr;
  const MsPlotTheme *t;
  double w, h;
  double s;              /* scale: every length below is multiplied by it */
  double pad;            /* outer margin */
  PangoContext *pango;
  PangoFontDescription *font[MS_TEXT_N_STYLES];
  MsPlotCtx *ctx;        /* nullable */
} MsDraw;

/* Saves CR, sets up text and paints the background (unless the theme is transparent). */
void ms_draw_begin (MsDraw *d, cairo_t *cr, double w, double h, const MsPlotTheme *t);
void ms_draw_end (MsDraw *d);
/* The scale a theme gets on a W × H canvas. */
double ms_draw_auto_scale (const MsPlotTheme *t, double w, double h);

/* A layout of TEXT (plain text, never markup). MAX_WIDTH > 0 ellipsizes at that width, or,
 * with WRAP, wraps words at it. */
PangoLayout *ms_draw_layout (MsDraw *d, MsTextStyle style, const char *text, double max_width,
                             gboolean wrap);
void ms_layout_size (PangoLayout *l, double *w, double *h);
/* Draws L so that the point (AX, AY) of its box (fractions: 0 left/top, 1 right/bottom) lands
 * on (X, Y), turned by ANGLE radians about that point. */
void ms_draw_show (MsDraw *d, PangoLayout *l, double x, double y, double ax, double ay,
                   double angle, MsPlotRgb c);
void ms_draw_text (MsDraw *d, MsTextStyle style, const char *text, double x, double y,
                   double ax, double ay, MsPlotRgb c);

void ms_set_rgb (cairo_t *cr, MsPlotRgb c);
void ms_set_rgba (cairo_t *cr, MsPlotRgb c, double a);
MsPlotRgb ms_rgb_mix (MsPlotRgb a, MsPlotRgb b, double t);
double ms_rgb_luminance (MsPlotRgb c);
MsPlotRgb ms_series_color (const MsPlotTheme *t, int color, int position);

/* Records an item (user-space box) when hits are attached. */
void ms_draw_item (MsDraw *d, MsPlotItemKind kind, int series, int index, double x, double y,
                   double w, double h, double value);
gboolean ms_draw_recording (const MsDraw *d);
/* "No data" centred in the box. */
void ms_draw_no_data (MsDraw *d, double x, double y, double w, double h);
/* A hatch of diagonal lines over the box, in the current source. */
void ms_draw_hatch (MsDraw *d, double x, double y, double w, double h);
void ms_draw_swatch (MsDraw *d, MsSwatch sw, MsPlotRgb c, double x, double y, double size);

/* ---- axes and frame ------------------------------------------------------------------------ */

typedef struct {
  /* set by the chart */
  double lo, hi;             /* data range; for categories 0..n_cats */
  gboolean log;
  gboolean nice;             /* extend the range to the outer ticks */
  gboolean fixed;            /* keep lo..hi as given */
  double margin;             /* fraction of the range added on each side (not with nice) */
  MsPlotFormat format;
  const char *const *cats;   /* categorical when n_cats > 0; NULL entries show their index */
  const char *const *notes;  /* (n_cats) small text under category labels, nullable */
  int n_cats;
  gboolean cat_vertical;     /* turn crowded category labels by 90° rather than 45° */
  /* computed by ms_frame_layout */
  int n_ticks;
  double ticks[MS_PLOT_MAX_TICKS];
  double step;
  double p0, p1;             /* pixel of lo and of hi */
  double angle;              /* category label turn, radians (0, -π/4 or -π/2) */
  int every;                 /* label every n-th category */
  double label_max;          /* ellipsize or wrap width of category labels */
  gboolean wrap;
} MsAxis;

double ms_axis_px (const MsAxis *a, double v);
gboolean ms_axis_valid (const MsAxis *a, double v);  /* finite and > 0 on a log axis */

typedef struct {
  const char *title, *x_label, *y_label;
  const MsLegendEntry *legend;
  int n_legend;
  MsAxis x, y;               /* a categorical y runs from the top down */
  gboolean x_grid, y_grid;
  gboolean no_axis_lines;    /* heatmaps */
  double reserve_right;      /* room right of the plot (a colour bar) */
  /* computed */
  double left, top, right, bottom;  /* the plot area */
  double legend_top;
  double title_top;
} MsFrame;

/* A legend laid out in centred rows across the canvas, from TOP; its height. */
double ms_legend_height (MsDraw *d, const MsLegendEntry *e, int n);
void ms_legend_draw (MsDraw *d, const MsLegendEntry *e, int n, double top, double cx);

/* Picks ticks and the plot area. */
void ms_frame_layout (MsDraw *d, MsFrame *f);
/* Title, legend and grid: what goes under the data. */
void ms_frame_draw_back (MsDraw *d, MsFrame *f);
/* Axis lines, tick and category labels, axis titles: what goes over the data. */
void ms_frame_draw_axes (MsDraw *d, MsFrame *f);
/* A frame with only a title, for "No data". */
void ms_frame_draw_empty (MsDraw *d, const char *title);
void ms_frame_clip (MsDraw *d, const MsFrame *f);

char *ms_axis_tick_label (const MsAxis *a, double v);
/* ms_plot_format_value with the notation (plain, k, M, e) chosen for MAGNITUDE, the largest
 * value on the same axis. */
void ms_plot_format_tick (double v, double step, double magnitude, MsPlotFormat format,
                          char *buf, gsize size);
/* Settles a numeric axis' range from the data range LO..HI (margin, nice extension, log) and
 * picks at most MAX_TICKS ticks; called again whenever the axis length changes. */
void ms_axis_ticks (MsAxis *a, double lo, double hi, int max_ticks);

G_END_DECLS
