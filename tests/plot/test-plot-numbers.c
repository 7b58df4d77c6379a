/* The numbers behind the charts against hand-worked cases: 1-2-5 and log ticks, tick labels
 * (decimals from the step, percentages, k/M, scientific), box-plot statistics (numpy's
 * percentile values) and least squares. */
#include <glib.h>
#include <math.h>

#include "plot/ms-plot.h"

static void
check_ticks (double lo, double hi, int max, double want_step, const double *want, int n_want)
{
  double ticks[MS_PLOT_MAX_TICKS], step;
  int n = ms_plot_nice_ticks (lo, hi, max, ticks, &step);
  g_assert_cmpint (n, ==, n_want);
  g_assert_cmpfloat_with_epsilon (step, want_step, 1e-12);
  for (int i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (ticks[i], want[i], 1e-12);
}

static void
test_ticks (void)
{
  check_ticks (0, 1, 6, 0.2, (double[]) { 0, 0.2, 0.4, 0.6, 0.8, 1 }, 6);
  check_ticks (0, 0.87, 6, 0.2, (double[]) { 0, 0.2, 0.4, 0.6, 0.8 }, 5);
  check_ticks (-0.13, 0.42, 6, 0.1, (double[]) { -0.1, 0, 0.1, 0.2, 0.3, 0.4 }, 6);
  check_ticks (0, 14750, 8, 2000, (double[]) { 0, 2000, 4000, 6000, 8000, 10000, 12000, 14000 },
               8);
  /* 0.02 would give six ticks, one too many. */
  check_ticks (3.2, 3.3, 5, 0.05, (double[]) { 3.2, 3.25, 3.3 }, 3);
  check_ticks (-7, -3, 3, 2, (double[]) { -6, -4 }, 2);

  double t[MS_PLOT_MAX_TICKS];
  int n = ms_plot_log_ticks (0.15, 6, 10, t);
  g_assert_cmpint (n, ==, 5);
  const double want125[] = { 0.2, 0.5, 1, 2, 5 };
  for (int i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (t[i], want125[i], 1e-12);
  n = ms_plot_log_ticks (1e-5, 1, 10, t);
  g_assert_cmpint (n, ==, 6);
  g_assert_cmpfloat_with_epsilon (t[0], 1e-5, 1e-18);
  /* 25 decades, at most 8 ticks: every 4th power of ten. */
  n = ms_plot_log_ticks (1e-12, 1e12, 8, t);
  g_assert_cmpint (n, ==, 7);
  g_assert_cmpfloat_with_epsilon (t[1], 1e-8, 1e-20);

  /* Degenerate ranges never crash. */
  g_assert_cmpint (ms_plot_nice_ticks (NAN, 1, 5, t, NULL), ==, 0);
  g_assert_cmpint (ms_plot_nice_ticks (2, 2, 5, t, NULL), ==, 1);
  g_assert_cmpint (ms_plot_log_ticks (-1, 10, 5, t), ==, 0);
}

static void
check_format (double v, double step, MsPlotFormat f, const char *want)
{
  char buf[64];
  ms_plot_format_value (v, step, f, buf, sizeof buf);
  g_assert_cmpstr (buf, ==, want);
}

static void
test_format (void)
{
  check_format (0.25, 0.05, MS_PLOT_FORMAT_AUTO, "0.25");
  check_format (1, 0.2, MS_PLOT_FORMAT_AUTO, "1.0");
  check_format (0.25, 0.05, MS_PLOT_FORMAT_PERCENT, "25%");
  check_format (-0.05, 0.05, MS_PLOT_FORMAT_PERCENT, "−5%");
  check_format (0.125, 0.025, MS_PLOT_FORMAT_PERCENT, "12.5%");
  check_format (12000, 2000, MS_PLOT_FORMAT_AUTO, "12k");
  check_format (1500000, 500000, MS_PLOT_FORMAT_AUTO, "1.5M");
  check_format (2.5e-5, 5e-6, MS_PLOT_FORMAT_AUTO, "2.5e−5");
  check_format (-1e-17, 0.1, MS_PLOT_FORMAT_AUTO, "0.0");
  check_format (3, 1, MS_PLOT_FORMAT_AUTO, "3");
  check_format (NAN, 1, MS_PLOT_FORMAT_AUTO, "NaN");
  /* No step: three significant digits. */
  check_format (0.012345, 0, MS_PLOT_FORMAT_AUTO, "0.0123");
  check_format (123.456, 0, MS_PLOT_FORMAT_AUTO, "123");
}

/* ---- statistics ----------------------------------------------------------------------------- */

static void
test_box_stats (void)
{
  /* numpy: np.percentile([1..9, 100], [25, 50, 75]) = 3.25, 5.5, 7.75; IQR 4.5, upper fence
   * 14.5, so 100 is the one outlier and the upper whisker stops at 9. */
  const double v[] = { 7, 2, 100, 1, NAN, 9, 3, 8, 4, 6, 5 };
  MsBoxStats b;
  g_assert_true (ms_plot_box_stats (v, G_N_ELEMENTS (v), &b));
  g_assert_cmpint (b.n, ==, 10);
  g_assert_cmpfloat_with_epsilon (b.q1, 3.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (b.median, 5.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (b.q3, 7.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (b.whisker_lo, 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (b.whisker_hi, 9, 1e-12);
  g_assert_cmpfloat_with_epsilon (b.mean, 14.5, 1e-12);
  g_assert_cmpint (b.n_outliers, ==, 1);
  const double one[] = { 4 };
  g_assert_true (ms_plot_box_stats (one, 1, &b));
  g_assert_cmpfloat (b.q1, ==, 4);
  g_assert_cmpfloat (b.q3, ==, 4);
  const double nans[] = { NAN, NAN };
  g_assert_false (ms_plot_box_stats (nans, 2, &b));
  g_assert_false (ms_plot_box_stats (NULL, 0, &b));
}

static void
test_least_squares (void)
{
  /* x = 0..3, y = 1, 3, 2, 5: Sxx = 5, Sxy = 5.5, so slope 1.1 and intercept 2.75 − 1.65. */
  const double x[] = { 0, 1, 2, NAN, 3 }, y[] = { 1, 3, 2, 7, 5 };
  double slope, icpt;
  g_assert_true (ms_plot_least_squares (x, y, 5, &slope, &icpt));
  g_assert_cmpfloat_with_epsilon (slope, 1.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (icpt, 1.1, 1e-12);
  /* Far from zero, where uncentred sums lose digits: y = 2x + 1 at x ≈ 1e8. */
  double bx[3] = { 1e8, 1e8 + 1, 1e8 + 2 }, by[3];
  for (int i = 0; i < 3; i++)
    by[i] = 2 * bx[i] + 1;
  g_assert_true (ms_plot_least_squares (bx, by, 3, &slope, &icpt));
  g_assert_cmpfloat_with_epsilon (slope, 2, 1e-9);
  const double same[] = { 1, 1, 1 };
  g_assert_false (ms_plot_least_squares (same, y, 3, &slope, &icpt));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plot/ticks", test_ticks);
  g_test_add_func ("/plot/format", test_format);
  g_test_add_func ("/plot/box-stats", test_box_stats);
  g_test_add_func ("/plot/least-squares", test_least_squares);
  return g_test_run ();
}
