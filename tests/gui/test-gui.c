/* memscope-gtk end to end, under Xvfb: the app opens a store written by gui-fixture.c and saves
 * each view as PNG through its --screenshot option; each image must show what the view is for
 * (a chart's area well covered by non-background pixels, a filled table), every chart of the
 * analysis views must draw its data, a study without analyses must get the "not computed"
 * pages, the views must differ, and in LANG=zh_CN.UTF-8 the window title and the header must
 * be the Chinese ones, which needs the compiled catalogue. */
#include <cairo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui-fixture.h"
#include "ms-test.h"

static const char *app_path;
static char *store_path;
static const char *const views[] = { "overview", "samples", "attention", "sparse",
                                     "membership", "compare", "run" };

typedef struct {
  double r[4];               /* x, y, w, h */
} Rect;

typedef struct {
  char *png;
  char *title;
  GArray *charts, *tables, *empties;   /* Rect */
} Shot;

static void
shot_free (Shot *s)
{
  g_free (s->png);
  g_free (s->title);
  g_array_unref (s->charts);
  g_array_unref (s->tables);
  g_array_unref (s->empties);
  g_free (s);
}

/* Runs the app on VIEW of STUDY with LANG, starting an analysis view on CHART (NULL: its
 * default), and parses what it printed. */
static Shot *
take_full (const char *study, const char *view, const char *chart, const char *lang)
{
  Shot *s = g_new0 (Shot, 1);
  s->png = g_strdup_printf ("%s/%s-%s-%s-%s.png", ms_test_tmpdir (), study, view,
                            chart != NULL ? chart : "default", lang);
  s->charts = g_array_new (FALSE, FALSE, sizeof (Rect));
  s->tables = g_array_new (FALSE, FALSE, sizeof (Rect));
  s->empties = g_array_new (FALSE, FALSE, sizeof (Rect));
  const char *argv[] = { app_path, "--store", store_path, "--study", study, "--view", view,
                         "--screenshot", s->png, "--size", "1200x800", NULL };
  char **env = g_get_environ ();
  const char *locale = strcmp (lang, "en") == 0 ? "C.UTF-8" : lang;
  env = g_environ_setenv (env, "LANG", locale, TRUE);
  env = g_environ_setenv (env, "LC_ALL", locale, TRUE);
  env = g_environ_unsetenv (env, "LANGUAGE");
  env = g_environ_setenv (env, "GSK_RENDERER", "cairo", TRUE);
  env = g_environ_setenv (env, "NO_AT_BRIDGE", "1", TRUE);
  env = g_environ_setenv (env, "GDK_BACKEND", "x11", TRUE);
  /* Light style whatever the machine says, so that "background" is the same everywhere. */
  env = g_environ_setenv (env, "ADW_DEBUG_COLOR_SCHEME", "prefer-light", TRUE);
  if (chart != NULL)
    env = g_environ_setenv (env, "MEMSCOPE_ANALYSIS_CHART", chart, TRUE);
  else
    env = g_environ_unsetenv (env, "MEMSCOPE_ANALYSIS_CHART");
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;
  gboolean ok = g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                              &status, &error);
  g_strfreev (env);
  g_assert_no_error (error);
  g_assert_true (ok);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("memscope-gtk --view %s failed:\n%s\n%s", view, out, err);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    {
      Rect rc;
      double *r = rc.r;
      char kind[16];
      if (g_str_has_prefix (lines[i], "title "))
        s->title = g_strdup (lines[i] + 6);
      else if (sscanf (lines[i], "%15s %lf %lf %lf %lf", kind, &r[0], &r[1], &r[2], &r[3]) == 5)
        g_array_append_val (strcmp (kind, "chart") == 0 ? s->charts
                            : strcmp (kind, "table") == 0 ? s->tables : s->empties, rc);
    }
  g_assert_nonnull (s->title);
  return s;
}

static Shot *
take (const char *view, const char *lang)
{
  return take_full ("quick", view, NULL, lang);
}

/* The fraction of pixels in R (clipped to the image) that differ from the colour at R's top-left
 * corner, the region's background, by more than 48 in some channel. */
static double
ink (cairo_surface_t *img, const double *r)
{
  int w = cairo_image_surface_get_width (img), h = cairo_image_surface_get_height (img);
  int stride = cairo_image_surface_get_stride (img);
  const guint8 *data = cairo_image_surface_get_data (img);
  int x0 = CLAMP ((int) r[0] + 2, 0, w - 1), y0 = CLAMP ((int) r[1] + 2, 0, h - 1);
  int x1 = CLAMP ((int) (r[0] + r[2]) - 2, 0, w), y1 = CLAMP ((int) (r[1] + r[3]) - 2, 0, h);
  const guint8 *bg = data + y0 * stride + x0 * 4;
  gint64 n = 0, differ = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        const guint8 *p = data + y * stride + x * 4;
        n++;
        for (int c = 0; c < 3; c++)
          if (abs ((int) p[c] - (int) bg[c]) > 48)
            {
              differ++;
              break;
            }
      }
  return n > 0 ? (double) differ / (double) n : 0;
}

static cairo_surface_t *
load (const char *png)
{
  cairo_surface_t *img = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (img), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (img), >=, 1000);
  g_assert_cmpint (cairo_image_surface_get_height (img), >=, 700);
  return img;
}

/* A checksum of the pixels, to tell images apart. */
static guint
pixels_hash (cairo_surface_t *img)
{
  gsize n = (gsize) cairo_image_surface_get_stride (img) * cairo_image_surface_get_height (img);
  g_autoptr (GBytes) b = g_bytes_new (cairo_image_surface_get_data (img), n);
  return g_bytes_hash (b);
}

static void
test_views (void)
{
  guint hashes[G_N_ELEMENTS (views)];
  for (guint v = 0; v < G_N_ELEMENTS (views); v++)
    {
      Shot *s = take (views[v], "C.UTF-8");
      cairo_surface_t *img = load (s->png);
      hashes[v] = pixels_hash (img);
      g_test_message ("%s: %u charts, %u tables, %u empty pages", views[v], s->charts->len,
                      s->tables->len, s->empties->len);
      if (strcmp (views[v], "samples") == 0)
        {
          g_assert_cmpuint (s->tables->len, ==, 1);
          /* 192 rows of text in the table. */
          double frac = ink (img, g_array_index (s->tables, Rect, 0).r);
          g_test_message ("samples: table ink %.3f", frac);
          g_assert_cmpfloat (frac, >, 0.03);
        }
      else
        {
          g_assert_cmpuint (s->charts->len, >=, 1);
          g_assert_cmpuint (s->empties->len, ==, 0);
          for (guint c = 0; c < s->charts->len; c++)
            {
              const double *r = g_array_index (s->charts, Rect, c).r;
              g_assert_cmpfloat (r[2], >, 300);
              g_assert_cmpfloat (r[3], >, 200);
              double frac = ink (img, r);
              g_test_message ("%s: chart %u ink %.3f", views[v], c, frac);
              /* Bars, lines, axes and labels: a blank chart has none, "No data" about 0.1%. */
              g_assert_cmpfloat (frac, >, 0.02);
            }
        }
      cairo_surface_destroy (img);
      shot_free (s);
    }
  for (guint a = 0; a < G_N_ELEMENTS (views); a++)
    for (guint b = a + 1; b < G_N_ELEMENTS (views); b++)
      if (hashes[a] == hashes[b])
        g_error ("views %s and %s gave the same image", views[a], views[b]);
}

/* Every chart of the analysis views, each drawn from the fixture's analysis tables: the chart
 * and not the "not computed" page, its area well covered (boxes and points, bars, curves, a
 * heatmap's cells). Charts each view must offer, and the least ink each must show: a chart
 * drawing "No data" has about 0.1%. */
static void
test_analysis_charts (void)
{
  static const struct {
    const char *view, *chart;
    double min_ink;
  } charts[] = {
    { "attention", "attention-tasks", 0.03 },
    { "attention", "attention-scatter", 0.015 },
    { "attention", "attention-heads", 0.3 },
    { "attention", "attention-map", 0.1 },
    { "sparse", "sparse-tasks", 0.03 },
    { "sparse", "sparse-scatter", 0.015 },
    { "membership", "mia-auc", 0.1 },
    { "membership", "mia-roc", 0.015 },
    { "membership", "canaries", 0.02 },
  };
  guint hashes[G_N_ELEMENTS (charts)];
  for (guint i = 0; i < G_N_ELEMENTS (charts); i++)
    {
      Shot *s = take_full ("quick", charts[i].view, charts[i].chart, "C.UTF-8");
      cairo_surface_t *img = load (s->png);
      hashes[i] = pixels_hash (img);
      g_assert_cmpuint (s->empties->len, ==, 0);
      g_assert_cmpuint (s->charts->len, ==, 1);
      const double *r = g_array_index (s->charts, Rect, 0).r;
      g_assert_cmpfloat (r[2], >, 300);
      g_assert_cmpfloat (r[3], >, 200);
      double frac = ink (img, r);
      g_test_message ("%s %s: chart ink %.3f", charts[i].view, charts[i].chart, frac);
      g_assert_cmpfloat (frac, >, charts[i].min_ink);
      cairo_surface_destroy (img);
      shot_free (s);
    }
  /* Each choice drew a different chart. */
  for (guint a = 0; a < G_N_ELEMENTS (charts); a++)
    for (guint b = a + 1; b < G_N_ELEMENTS (charts); b++)
      if (hashes[a] == hashes[b])
        g_error ("charts %s and %s gave the same image", charts[a].chart, charts[b].chart);
}

/* A study whose store has no analysis rows: each analysis view says so, with its icon and
 * text, and shows no chart. */
static void
test_not_computed (void)
{
  static const char *const analyses[] = { "attention", "sparse", "membership" };
  for (guint v = 0; v < G_N_ELEMENTS (analyses); v++)
    {
      Shot *s = take_full ("bare", analyses[v], NULL, "C.UTF-8");
      cairo_surface_t *img = load (s->png);
      g_assert_cmpuint (s->empties->len, >=, 1);
      g_assert_cmpuint (s->charts->len, ==, 0);
      double frac = ink (img, g_array_index (s->empties, Rect, 0).r);
      g_test_message ("bare %s: empty page ink %.3f", analyses[v], frac);
      g_assert_cmpfloat (frac, >, 0.002);
      cairo_surface_destroy (img);
      shot_free (s);
    }
}

static void
test_chinese (void)
{
  /* The locale must exist for LANG to select the catalogue (setup.sh generates it). */
  const char *had = setlocale (LC_ALL, NULL);
  g_autofree char *saved = g_strdup (had);
  gboolean have = setlocale (LC_ALL, "zh_CN.UTF-8") != NULL;
  setlocale (LC_ALL, saved);
  if (!have)
    {
      g_test_skip ("the zh_CN.UTF-8 locale is not generated (setup.sh does it)");
      return;
    }
  Shot *en = take ("overview", "en"), *zh = take ("overview", "zh_CN.UTF-8");
  g_assert_cmpstr (en->title, ==, "Memscope: Memorization Explorer");
  /* The translation in po/zh_CN.po: only the compiled catalogue gives it. */
  g_assert_cmpstr (zh->title, ==, "Memscope：记忆探查器");
  /* The view switcher, the controls and the chart's title and legend are translated: the top
   * of the window differs between the two, and the chart differs too. */
  cairo_surface_t *a = load (en->png), *b = load (zh->png);
  int w = cairo_image_surface_get_width (a), stride = cairo_image_surface_get_stride (a);
  g_assert_cmpint (cairo_image_surface_get_width (b), ==, w);
  const guint8 *pa = cairo_image_surface_get_data (a), *pb = cairo_image_surface_get_data (b);
  gint64 differ = 0, n = 0;
  for (int y = 0; y < 110; y++)
    for (int x = 0; x < w; x++, n++)
      differ += memcmp (pa + y * stride + x * 4, pb + y * stride + x * 4, 3) != 0;
  g_test_message ("header pixels that differ: %.3f", (double) differ / n);
  g_assert_cmpfloat ((double) differ / n, >, 0.01);
  g_assert_cmpuint (zh->charts->len, >=, 1);
  g_assert_cmpfloat (ink (b, g_array_index (zh->charts, Rect, 0).r), >, 0.02);
  cairo_surface_destroy (a);
  cairo_surface_destroy (b);
  shot_free (en);
  shot_free (zh);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: test-gui PATH-TO-memscope-gtk\n");
      return 2;
    }
  app_path = argv[1];
  if (g_getenv ("DISPLAY") == NULL)
    {
      g_printerr ("test-gui: no X display (run it under xvfb-run)\n");
      return 77;
    }
  store_path = g_build_filename (ms_test_tmpdir (), "gui-store.sqlite", NULL);
  g_autoptr (GError) error = NULL;
  if (!gui_fixture_write (store_path, &error))
    g_error ("fixture: %s", error->message);
  g_test_add_func ("/gui/views", test_views);
  g_test_add_func ("/gui/analysis-charts", test_analysis_charts);
  g_test_add_func ("/gui/not-computed", test_not_computed);
  g_test_add_func ("/gui/chinese", test_chinese);
  int status = ms_test_run ();
  g_free (store_path);
  return status;
}
