/* Charts drawn with cairo and Pango onto any cairo_t of a given width × height: the GTK app
 * draws them on its widgets, the report command writes them to PNG, SVG and PDF. One code path
 * for both. Each chart is a plain struct of data and labels that the caller owns. */
#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

/* ---- theme ---------------------------------------------------------------------------- */

typedef struct {
  double r, g, b;  /* 0..1 */
} MsPlotRgb;

#define MS_PLOT_PALETTE_SIZE 8

typedef struct {
  MsPlotRgb background;    /* the canvas */
  MsPlotRgb text;          /* titles, axis labels, whiskers */
  MsPlotRgb muted;         /* tick labels, annotations, "No data" */
  MsPlotRgb grid;          /* grid lines */
  MsPlotRgb axis;          /* axis lines, zero and reference lines */
  MsPlotRgb palette[MS_PLOT_PALETTE_SIZE];  /* categorical, colour-blind safe (Okabe–Ito) */
  const char *font_family; /* a Pango family list; CJK falls back through fontconfig */
  double font_size;        /* tick label size in px at scale 1; other text is sized from it */
  double scale;            /* multiplies text, lines and margins; 0 = from the canvas size
                            * (1 at 800×500, 2 at 1600×1000), as for files; the GUI sets 1 */
  gboolean transparent;    /* leave the background unpainted (a widget paints its own) */
} MsPlotTheme;

/* Static themes (Adwaita-like light and dark); copy one to change fields. */
const MsPlotTheme *ms_plot_theme_light (void);
const MsPlotTheme *ms_plot_theme_dark (void);

/* The viridis colour map at T in [0, 1] (clamped; NaN gives the theme-independent grey). */
MsPlotRgb ms_plot_viridis (double t);

/* ---- common ---------------------------------------------------------------------------- */

typedef enum {
  MS_PLOT_FORMAT_AUTO,     /* 0.25, 1200, 12k, 1e−5 */
  MS_PLOT_FORMAT_PERCENT,  /* 0.25 is shown as 25% */
} MsPlotFormat;

/* Series colours: field `color` is a palette slot + 1; 0 picks the slot by the series'
 * position, so that zero-initialised structs get distinct colours. */

/* ---- 1. grouped bars with intervals ---------------------------------------------------- */

typedef struct {
  const char *name;              /* legend entry */
  const double *values;          /* (n_categories); NaN draws no bar */
  const double *lower, *upper;   /* (n_categories) interval ends, or NULL for no error bars */
  int color;
  gboolean control;              /* hatched and lighter: a control or reference series */
} MsBarSeries;

typedef struct {
  const char *title, *x_label, *y_label;
  const char *const *categories;   /* (n_categories) */
  const char *const *annotations;  /* (n_categories) small text under each category
                                    * ("n=120"), or NULL; a NULL entry shows nothing */
  int n_categories;
  const MsBarSeries *series;
  int n_series;
  MsPlotFormat format;
  gboolean has_reference;          /* a dashed line at value `reference` (chance, 0, ...) */
  double reference;
  const char *reference_label;
  double y_min, y_max;             /* fixed value range when y_min < y_max */
} MsBarChart;

/* ---- 3. lines ---------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  const double *x, *y;           /* (n); a NaN breaks the line */
  const double *lower, *upper;   /* (n) a shaded band around the line, or NULL */
  int n;
  int color;
  gboolean dashed;               /* e.g. validation next to a solid training curve */
  gboolean markers;
} MsLineSeries;

typedef struct {
  const char *title, *x_label, *y_label;
  const MsLineSeries *series;
  int n_series;
  gboolean log_y;                /* values <= 0 are skipped on a log axis */
  gboolean diagonal;             /* the line y = x (chance level of an ROC curve) */
  MsPlotFormat x_format, y_format;
  double x_min, x_max;           /* fixed ranges when min < max */
  double y_min, y_max;
} MsLineChart;

/* ---- 4. scatter -------------------------------------------------------------------------- */

typedef struct {
  const char *title, *x_label, *y_label;
  const double *x, *y;           /* (n); points with a NaN coordinate are skipped */
  int n;
  const int *group;              /* (n) group of each point in [0, n_groups), or NULL */
  const char *const *group_names;  /* (n_groups) legend entries, or NULL */
  int n_groups;
  gboolean fit_line;             /* least-squares line over all drawn points */
  const char *annotation;        /* a note in the emptiest corner, e.g. "Spearman ρ = 0.41" */
  MsPlotFormat x_format, y_format;
} MsScatterChart;

/* Least-squares y = intercept + slope·x over the pairs where both are finite; FALSE when
 * fewer than two such pairs or all x are equal. */
gboolean ms_plot_least_squares (const double *x, const double *y, int n, double *slope,
                                double *intercept);

/* ---- 5. heatmap -------------------------------------------------------------------------- */

typedef struct {
  const char *title, *x_label, *y_label;
  const char *value_label;       /* caption of the colour bar */
  const double *values;          /* (n_rows, n_cols) row-major; NaN cells stay blank */
  int n_rows, n_cols;
  const char *const *row_labels; /* (n_rows) top to bottom, or NULL for 0, 1, 2 ... */
  const char *const *col_labels; /* (n_cols) left to right, or NULL */
  double v_min, v_max;           /* colour range when v_min < v_max, else the data's */
  MsPlotFormat format;
  gboolean annotate;             /* the value inside each cell where it fits */
  gboolean square;               /* square cells (attention maps) */
} MsHeatmap;

/* ---- 6. distributions -------------------------------------------------------------------- */

typedef enum {
  MS_PLOT_DIST_BOX = 1 << 0,     /* Tukey box: quartiles, 1.5 IQR whiskers, outliers */
  MS_PLOT_DIST_VIOLIN = 1 << 1,  /* Gaussian kernel density, Scott's bandwidth */
  MS_PLOT_DIST_STRIP = 1 << 2,   /* every value as a jittered point */
} MsDistStyle;

typedef struct {
  const char *name;
  const double *values;          /* (n); NaN skipped */
  int n;
  int color;
} MsDistGroup;

typedef struct {
  const char *title, *group_label, *value_label;
  const MsDistGroup *groups;
  int n_groups;
  MsDistStyle style;             /* flags; 0 means a box plot */
  gboolean horizontal;           /* groups down the side, values across */
  MsPlotFormat format;
} MsDistChart;

typedef struct {
  int n;                         /* finite values */
  double min, max, mean;
  double q1, median, q3;         /* linear interpolation (numpy's default percentile) */
  double whisker_lo, whisker_hi; /* furthest values within 1.5 IQR of the box */
  int n_outliers;
} MsBoxStats;

/* FALSE when VALUES has no finite value. */
gboolean ms_plot_box_stats (const double *values, int n, MsBoxStats *out);

/* ---- 2. several charts in a grid ------------------------------------------------------- */

typedef enum {
  MS_PLOT_BARS,       /* const MsBarChart * */
  MS_PLOT_LINES,      /* const MsLineChart * */
  MS_PLOT_SCATTER,    /* const MsScatterChart * */
  MS_PLOT_HEATMAP,    /* const MsHeatmap * */
  MS_PLOT_DIST,       /* const MsDistChart * */
  MS_PLOT_PANELS,     /* const MsPanelFigure * */
} MsPlotKind;

typedef struct {
  MsPlotKind kind;
  gconstpointer chart;           /* its title is the panel's title */
} MsPlotPanel;

typedef struct {
  const char *title;
  const MsPlotPanel *panels;
  int n_panels;
  int n_columns;                 /* 0 = a grid about as wide as the canvas' aspect suggests */
  gboolean own_legends;          /* default: one legend for all, the union of the panels'
                                  * entries by name, under the title */
} MsPanelFigure;

/* ---- drawing -------------------------------------------------------------------------- */

/* Each draws the whole chart into the rectangle (0, 0, WIDTH, HEIGHT) of CR's user space and
 * leaves CR's state as it found it; THEME NULL is the light theme. Empty data, or only NaN,
 * shows "No data" (translated through gettext); nothing crashes on zero counts or NULL label
 * arrays. The caller owns every array and string; nothing is kept after the call. */
void ms_plot_bars (cairo_t *cr, double width, double height, const MsBarChart *chart,
                   const MsPlotTheme *theme);
void ms_plot_lines (cairo_t *cr, double width, double height, const MsLineChart *chart,
                    const MsPlotTheme *theme);
void ms_plot_scatter (cairo_t *cr, double width, double height, const MsScatterChart *chart,
                      const MsPlotTheme *theme);
void ms_plot_heatmap (cairo_t *cr, double width, double height, const MsHeatmap *chart,
                      const MsPlotTheme *theme);
void ms_plot_distribution (cairo_t *cr, double width, double height, const MsDistChart *chart,
                           const MsPlotTheme *theme);
void ms_plot_panels (cairo_t *cr, double width, double height, const MsPanelFigure *figure,
                     const MsPlotTheme *theme);
/* Any of the above by KIND. */
void ms_plot_draw (cairo_t *cr, double width, double height, MsPlotKind kind,
                   gconstpointer chart, const MsPlotTheme *theme);

/* Writes the chart to PATH; the format follows the extension (.png, .svg, .pdf; any case).
 * PNG and SVG are WIDTH × HEIGHT pixels, PDF WIDTH × HEIGHT points. The file is replaced
 * atomically: on failure nothing is left half-written. */
gboolean ms_plot_save (const char *path, double width, double height, MsPlotKind kind,
                       gconstpointer chart, const MsPlotTheme *theme, GError **error);

/* ---- what is where (hit testing for the GUI, geometry for tests) ------------------------ */

typedef enum {
  MS_PLOT_ITEM_AREA,      /* a chart's plot area (data rectangle) */
  MS_PLOT_ITEM_TITLE,     /* a chart's or figure's title text */
  MS_PLOT_ITEM_LEGEND,    /* a legend entry; series = entry position */
  MS_PLOT_ITEM_BAR,       /* series, index = category, value */
  MS_PLOT_ITEM_INTERVAL,  /* a bar's error bar: series, index; y..y+height spans it */
  MS_PLOT_ITEM_POINT,     /* a line or scatter point, strip value: series/group, index */
  MS_PLOT_ITEM_CELL,      /* a heatmap cell: series = row, index = column, value */
  MS_PLOT_ITEM_BOX,       /* a distribution's box or violin: series = group, value = median */
  MS_PLOT_ITEM_NO_DATA,   /* the "No data" message */
} MsPlotItemKind;

typedef struct {
  MsPlotItemKind kind;
  int panel;              /* panel position in a figure, else 0 */
  int series, index;
  double x, y, width, height;  /* in CR's user space at ms_plot_hits_attach time */
  double value;
} MsPlotItem;

typedef struct _MsPlotHits MsPlotHits;

MsPlotHits *ms_plot_hits_new (void);
void ms_plot_hits_free (MsPlotHits *hits);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsPlotHits, ms_plot_hits_free)

/* Every later ms_plot_* drawing on CR records its items into HITS (cleared here), until
 * HITS is detached with NULL. Coordinates are in CR's user space as it is now. */
void ms_plot_hits_attach (cairo_t *cr, MsPlotHits *hits);
guint ms_plot_hits_count (const MsPlotHits *hits);
const MsPlotItem *ms_plot_hits_get (const MsPlotHits *hits, guint i);
/* The item under (X, Y): the nearest point within RADIUS, else the last-drawn bar, interval,
 * cell, box or legend entry containing it, else NULL. */
const MsPlotItem *ms_plot_hits_find (const MsPlotHits *hits, double x, double y,
                                     double radius);

/* ---- building blocks, exposed for tests ------------------------------------------------- */

#define MS_PLOT_MAX_TICKS 32

/* Ticks at multiples of 1, 2 or 5 × 10^k inside [LO, HI], at most MAX_TICKS (≤ 32) of them and
 * as many as possible; returns the count and the step. */
int ms_plot_nice_ticks (double lo, double hi, int max_ticks, double *ticks, double *step);
/* Ticks on a log axis inside [LO, HI] (LO > 0): powers of ten (every k-th when there are too
 * many), else the sparsest of 1-2-5 or 1..9 per decade that gives three ticks, else linear
 * 1-2-5 ticks. */
int ms_plot_log_ticks (double lo, double hi, int max_ticks, double *ticks);
/* V as a tick label for ticks STEP apart (STEP <= 0: 3 significant digits). */
void ms_plot_format_value (double v, double step, MsPlotFormat format, char *buf, gsize size);

G_END_DECLS
