/* The statistics library against scipy / statsmodels / scikit-learn
 * (tests/analysis/stats-reference.json, made by make-stats-reference.py, which also redraws the
 * seeded bootstraps' exact resamples), published splitmix64 outputs, and hand-worked cases. */
#include "ms-test.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "analysis/ms-stats.h"
#include "common/ms-error.h"

static JsonParser *ref_parser;

static JsonObject *
reference (void)
{
  if (ref_parser == NULL)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "analysis",
                                                     "stats-reference.json", NULL);
      g_autoptr (GError) error = NULL;
      ref_parser = json_parser_new ();
      g_assert_true (json_parser_load_from_file (ref_parser, path, &error));
      g_assert_no_error (error);
    }
  return json_node_get_object (json_parser_get_root (ref_parser));
}

static JsonArray *
ref_array (const char *name)
{
  return json_object_get_array_member (reference (), name);
}

static double
num (JsonArray *a, guint i)
{
  return json_array_get_double_element (a, i);
}

static double *
doubles (JsonArray *a, gsize *n)
{
  *n = json_array_get_length (a);
  double *x = g_new (double, *n + 1);
  for (gsize i = 0; i < *n; i++)
    x[i] = num (a, i);
  return x;
}

static void
assert_rel (const char *what, double got, double want, double rtol, double atol)
{
  if (!(fabs (got - want) <= atol + rtol * fabs (want)))
    g_error ("%s: got %.17g, want %.17g", what, got, want);
}

/* ---- RNG ----------------------------------------------------------------------------------- */

static void
test_rng (void)
{
  /* Published splitmix64 outputs (Vigna's reference splitmix64.c, seeds 0 and 1234567). */
  MsRng r;
  ms_rng_init (&r, 0);
  g_assert_cmphex (ms_rng_next (&r), ==, 0xe220a8397b1dcdafull);
  g_assert_cmphex (ms_rng_next (&r), ==, 0x6e789e6aa1b965f4ull);
  g_assert_cmphex (ms_rng_next (&r), ==, 0x06c45d188009454full);
  ms_rng_init (&r, 1234567);
  g_assert_cmphex (ms_rng_next (&r), ==, 0x599ed017fb08fc85ull);

  /* Uniform in [0, 1) and unbiased below n: counts of 100000 draws within 4% of 10000. */
  ms_rng_init (&r, 42);
  guint counts[10] = { 0 };
  double sum = 0;
  for (int i = 0; i < 100000; i++)
    {
      double u = ms_rng_uniform (&r);
      g_assert_true (u >= 0 && u < 1);
      sum += u;
      counts[ms_rng_below (&r, 10)]++;
    }
  for (int k = 0; k < 10; k++)
    g_assert_cmpuint (ABS ((int) counts[k] - 10000), <, 400);
  g_assert_cmpfloat (fabs (sum / 100000 - 0.5), <, 0.005);
  g_assert_cmpuint (ms_rng_below (&r, 1), ==, 0);
}

/* ---- distributions ------------------------------------------------------------------------- */

static void
test_distributions (void)
{
  JsonArray *a = ref_array ("normal_quantile");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      assert_rel ("normal quantile", ms_stats_normal_quantile (num (e, 0)), num (e, 1), 1e-13,
                  1e-14);
    }
  a = ref_array ("normal_cdf");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      assert_rel ("normal cdf", ms_stats_normal_cdf (num (e, 0)), num (e, 1), 1e-13, 1e-300);
    }
  a = ref_array ("t_quantile");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      assert_rel ("t quantile", ms_stats_t_quantile (num (e, 0), num (e, 1)), num (e, 2), 1e-13,
                  1e-14);
    }
  a = ref_array ("t_cdf");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      assert_rel ("t cdf", ms_stats_t_cdf (num (e, 0), num (e, 1)), num (e, 2), 1e-12, 1e-300);
    }
  a = ref_array ("betainc");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      assert_rel ("betainc", ms_stats_incomplete_beta (num (e, 0), num (e, 1), num (e, 2)),
                  num (e, 3), 1e-12, 1e-300);
    }
  g_assert_cmpfloat (ms_stats_normal_quantile (0.5), ==, 0.0);
  g_assert_true (isnan (ms_stats_normal_quantile (1.5)));
  g_assert_true (isnan (ms_stats_t_cdf (1, 0)));
  /* t with 1 df is Cauchy: quantile (0.75) = 1. */
  assert_rel ("cauchy", ms_stats_t_quantile (0.75, 1), 1.0, 1e-13, 0);
  assert_rel ("cauchy", ms_stats_t_quantile (0.025, 1), -tan (0.475 * G_PI), 1e-14, 0);
  assert_rel ("cauchy cdf", ms_stats_t_cdf (-3, 1), 0.5 + atan (-3.0) / G_PI, 1e-14, 0);
}

/* ---- proportions --------------------------------------------------------------------------- */

static void
test_proportions (void)
{
  g_autoptr (GError) error = NULL;
  MsInterval ci;
  JsonArray *a = ref_array ("wilson");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      g_assert_true (ms_stats_wilson ((guint64) num (e, 0), (guint64) num (e, 1), num (e, 2), &ci,
                                      &error));
      g_assert_no_error (error);
      assert_rel ("wilson lower", ci.lower, num (e, 3), 1e-12, 1e-15);
      assert_rel ("wilson upper", ci.upper, num (e, 4), 1e-12, 1e-15);
      g_assert_cmpfloat (ci.estimate, ==, num (e, 0) / num (e, 1));
    }
  /* Hand-worked: 0 of 10 at 95%: [0, z^2 / (n + z^2)] = [0, 0.27753...]. */
  g_assert_true (ms_stats_wilson (0, 10, 0.95, &ci, NULL));
  double z = 1.959963984540054;
  assert_rel ("wilson 0/10", ci.upper, z * z / (10 + z * z), 1e-14, 0);
  g_assert_cmpfloat (ci.lower, ==, 0.0);

  a = ref_array ("newcombe");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      g_assert_true (ms_stats_newcombe_diff ((guint64) num (e, 0), (guint64) num (e, 1),
                                             (guint64) num (e, 2), (guint64) num (e, 3), 0.95,
                                             &ci, &error));
      assert_rel ("newcombe lower", ci.lower, num (e, 4), 1e-12, 1e-15);
      assert_rel ("newcombe upper", ci.upper, num (e, 5), 1e-12, 1e-15);
      double d = num (e, 0) / num (e, 1) - num (e, 2) / num (e, 3);
      assert_rel ("newcombe estimate", ci.estimate, d, 1e-15, 1e-15);
    }

  g_assert_false (ms_stats_wilson (0, 0, 0.95, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_wilson (11, 10, 0.95, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_wilson (1, 10, 1.0, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_newcombe_diff (1, 10, 0, 0, 0.95, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* ---- bootstrap and means ------------------------------------------------------------------- */

static double
first_index_stat (const gsize *idx, gsize n, gpointer user_data)
{
  guint *hits = user_data;
  for (gsize i = 0; i < n; i++)
    hits[idx[i]]++;
  return (double) idx[0];
}

static double
nan_stat (const gsize *idx, gsize n, gpointer user_data)
{
  return idx[0] == 0 && n > 1 && idx[1] == 1 ? 1.0 : NAN;
}

static void
test_bootstrap (void)
{
  /* numpy's "linear" quantile: [1, 2, 3, 4] at 0.25 is 1.75, at 0.9 is 3.7. */
  const double s[] = { 1, 2, 3, 4 };
  assert_rel ("quantile", ms_stats_quantile_sorted (s, 4, 0.25), 1.75, 1e-15, 0);
  assert_rel ("quantile", ms_stats_quantile_sorted (s, 4, 0.9), 3.7, 1e-15, 0);
  g_assert_cmpfloat (ms_stats_quantile_sorted (s, 4, 1.0), ==, 4.0);
  g_assert_cmpfloat (ms_stats_quantile_sorted (s, 1, 0.3), ==, 1.0);

  /* Resampling draws every index equally often, and the same seed repeats the interval. */
  MsBootstrapParams bp;
  ms_bootstrap_params_init (&bp);
  bp.n_resamples = 500;
  guint hits[20] = { 0 };
  MsInterval a;
  g_assert_true (ms_stats_bootstrap (20, first_index_stat, hits, &bp, &a, NULL));
  for (int i = 0; i < 20; i++)
    g_assert_cmpuint (ABS ((int) hits[i] - 501), <, 100);  /* 500 x 20 / 20 + the identity */
  g_assert_cmpfloat (a.estimate, ==, 0.0);
  g_assert_cmpfloat (a.lower, <=, 1.0);   /* idx[0] is uniform on 0..19 */
  g_assert_cmpfloat (a.upper, >=, 18.0);

  /* The mean of 400 normal values: the percentile interval is close to mean +- 1.96 s / sqrt n. */
  MsTestRng rng = { 3 };
  double x[400];
  for (int i = 0; i < 400; i++)
    x[i] = 10 + 2 * ms_test_rng_normal (&rng);
  MsInterval t, boot, boot2;
  g_assert_true (ms_stats_mean (x, 400, MS_CI_T, NULL, &t, NULL));
  g_assert_true (ms_stats_mean (x, 400, MS_CI_BOOTSTRAP, NULL, &boot, NULL));
  g_assert_true (ms_stats_mean (x, 400, MS_CI_BOOTSTRAP, NULL, &boot2, NULL));
  g_assert_cmpfloat (boot.lower, ==, boot2.lower);
  g_assert_cmpfloat (boot.upper, ==, boot2.upper);
  g_assert_cmpfloat (boot.estimate, ==, t.estimate);
  double half = t.upper - t.estimate;
  assert_rel ("bootstrap lower", boot.lower, t.lower, 0, 0.12 * half);
  assert_rel ("bootstrap upper", boot.upper, t.upper, 0, 0.12 * half);
  ms_bootstrap_params_init (&bp);
  bp.seed = 7;
  g_assert_true (ms_stats_mean (x, 400, MS_CI_BOOTSTRAP, &bp, &boot2, NULL));
  g_assert_cmpfloat (boot.lower, !=, boot2.lower);

  /* A statistic undefined in most resamples is an error, not a silent interval. */
  g_autoptr (GError) error = NULL;
  g_assert_false (ms_stats_bootstrap (10, nan_stat, NULL, NULL, &a, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_bootstrap (0, nan_stat, NULL, NULL, &a, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

static void
test_mean (void)
{
  JsonArray *a = ref_array ("mean_t");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      gsize n;
      g_autofree double *x = doubles (json_object_get_array_member (o, "x"), &n);
      MsInterval ci;
      g_assert_true (ms_stats_mean (x, n, MS_CI_T, NULL, &ci, NULL));
      assert_rel ("mean", ci.estimate, json_object_get_double_member (o, "mean"), 1e-14, 1e-15);
      assert_rel ("mean lower", ci.lower, json_object_get_double_member (o, "lower"), 1e-12, 1e-14);
      assert_rel ("mean upper", ci.upper, json_object_get_double_member (o, "upper"), 1e-12, 1e-14);
    }
  g_autoptr (GError) error = NULL;
  const double one = 3, bad[] = { 1, NAN };
  MsInterval ci;
  g_assert_false (ms_stats_mean (&one, 1, MS_CI_T, NULL, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_mean (bad, 2, MS_CI_T, NULL, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "x[1]"));
}

/* ---- differences of two independent samples ------------------------------------------------ */

static double
get_num (JsonObject *o, const char *name)
{
  return json_object_get_double_member (o, name);
}

/* Members "x" and "y" of O: the samples of a difference. */
static double *
two_samples (JsonObject *o, gsize *nx, double **y, gsize *ny)
{
  *y = doubles (json_object_get_array_member (o, "y"), ny);
  return doubles (json_object_get_array_member (o, "x"), nx);
}

static void
test_welch (void)
{
  JsonArray *a = ref_array ("welch");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      gsize nx, ny;
      g_autofree double *y = NULL;
      g_autofree double *x = two_samples (o, &nx, &y, &ny);
      MsInterval ci;
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_stats_welch_diff (x, nx, y, ny, get_num (o, "level"), &ci, &error));
      g_assert_no_error (error);
      /* The first set has df 4.0 where the pooled df is 63: t 2.78 against 2.00, far outside
       * these bounds; the third has one constant side, df = n_y - 1. */
      assert_rel ("welch estimate", ci.estimate, get_num (o, "diff"), 1e-13, 1e-15);
      assert_rel ("welch lower", ci.lower, get_num (o, "lower"), 1e-12, 1e-14);
      assert_rel ("welch upper", ci.upper, get_num (o, "upper"), 1e-12, 1e-14);
    }
  g_autoptr (GError) error = NULL;
  const double x[] = { 1, 2, 3 }, bad[] = { 1, NAN, 3 };
  MsInterval ci;
  g_assert_false (ms_stats_welch_diff (x, 3, x, 1, 0.95, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_welch_diff (x, 3, bad, 3, 0.95, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "y[1]"));
  g_clear_error (&error);
  g_assert_false (ms_stats_welch_diff (x, 3, x, 3, 1.0, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

static void
test_bootstrap_mean_diff (void)
{
  JsonArray *a = ref_array ("boot_mean_diff");
  guint loose = 0;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      gsize nx, ny;
      g_autofree double *y = NULL;
      g_autofree double *x = two_samples (o, &nx, &y, &ny);
      MsBootstrapParams bp = {
        .n_resamples = (guint) json_object_get_int_member (o, "n_resamples"),
        .level = get_num (o, "level"),
        .seed = g_ascii_strtoull (json_object_get_string_member (o, "seed"), NULL, 10),
      };
      MsInterval ci, same;
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_stats_bootstrap_mean_diff (x, nx, y, ny, &bp, &ci, &error));
      g_assert_no_error (error);
      /* The exact resamples, redrawn in Python: any other stream, index rule, order of the two
       * samples or quantile rule fails here. The sums differ only in rounding (fsum there). */
      double scale = fabs (get_num (o, "upper") - get_num (o, "lower"));
      assert_rel ("mean diff estimate", ci.estimate, get_num (o, "diff"), 1e-13, 1e-15);
      assert_rel ("mean diff lower", ci.lower, get_num (o, "lower"), 0, 1e-12 * scale);
      assert_rel ("mean diff upper", ci.upper, get_num (o, "upper"), 0, 1e-12 * scale);
      /* The shared choice for means is this very bootstrap. */
      g_assert_true (ms_stats_diff_independent (FALSE, x, nx, y, ny, &bp, &same, NULL));
      g_assert_cmpfloat (same.lower, ==, ci.lower);
      g_assert_cmpfloat (same.upper, ==, ci.upper);
      if (json_object_has_member (o, "scipy"))
        {
          /* scipy's own stream (20000 resamples) against our 2000: the 2.5% quantile of B
           * resamples has a Monte Carlo SD of about sqrt (.025 .975 / B) / phi (1.96) = 0.06
           * bootstrap SEs at B = 2000; 0.25 SE is four of those. The second set is paired by
           * construction (y = x + noise): resampling pairs would give an interval 30 times
           * narrower and fail by far. */
          JsonArray *sc = json_object_get_array_member (o, "scipy");
          double tol = 0.25 * get_num (o, "scipy_se");
          assert_rel ("mean diff vs scipy lower", ci.lower, num (sc, 0), 0, tol);
          assert_rel ("mean diff vs scipy upper", ci.upper, num (sc, 1), 0, tol);
          loose++;
        }
    }
  g_assert_cmpuint (loose, ==, 2);

  /* Rates go to Newcombe on the counts of flags > 0.5 (statsmodels' reference). */
  JsonObject *o = json_object_get_object_member (reference (), "diff_rates");
  gsize nx, ny;
  g_autofree double *fy = NULL;
  g_autofree double *fx = two_samples (o, &nx, &fy, &ny);
  MsInterval ci, nc;
  g_assert_true (ms_stats_diff_independent (TRUE, fx, nx, fy, ny, NULL, &ci, NULL));
  assert_rel ("rates lower", ci.lower, get_num (o, "lower"), 1e-12, 1e-15);
  assert_rel ("rates upper", ci.upper, get_num (o, "upper"), 1e-12, 1e-15);
  guint64 kx = 0, ky = 0;
  for (gsize i = 0; i < nx; i++)
    kx += fx[i] > 0.5;
  for (gsize i = 0; i < ny; i++)
    ky += fy[i] > 0.5;
  g_assert_true (ms_stats_newcombe_diff (kx, nx, ky, ny, MS_STATS_LEVEL, &nc, NULL));
  g_assert_cmpfloat (ci.lower, ==, nc.lower);
  g_assert_cmpfloat (ci.upper, ==, nc.upper);
  /* ... and not to the bootstrap, whose interval of the same flags differs. */
  g_assert_true (ms_stats_diff_independent (FALSE, fx, nx, fy, ny, NULL, &nc, NULL));
  g_assert_cmpfloat (ci.lower, !=, nc.lower);

  g_autoptr (GError) error = NULL;
  const double x[] = { 1, 2, 3 }, inf[] = { 1, INFINITY };
  g_assert_false (ms_stats_bootstrap_mean_diff (x, 3, x, 0, NULL, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_bootstrap_mean_diff (inf, 2, x, 3, NULL, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "x[1]"));
  g_clear_error (&error);
  g_assert_false (ms_stats_diff_independent (TRUE, x, 0, x, 3, NULL, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* ---- correlations -------------------------------------------------------------------------- */

static void
test_correlation (void)
{
  JsonArray *a = ref_array ("correlation");
  guint boot_checked = 0;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      gsize n, ny, nr;
      g_autofree double *x = doubles (json_object_get_array_member (o, "x"), &n);
      g_autofree double *y = doubles (json_object_get_array_member (o, "y"), &ny);
      g_autofree double *want_ranks = doubles (json_object_get_array_member (o, "ranks_x"), &nr);
      g_autofree double *ranks = g_new (double, n);
      ms_stats_rank (x, n, ranks);
      for (gsize k = 0; k < n; k++)
        g_assert_cmpfloat (ranks[k], ==, want_ranks[k]);

      MsBootstrapParams bp;
      ms_bootstrap_params_init (&bp);
      bp.n_resamples = 4000;
      MsCorrelation pc, sc;
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_stats_pearson (x, y, n, &bp, &pc, &error));
      g_assert_no_error (error);
      g_assert_true (ms_stats_spearman (x, y, n, &bp, &sc, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (pc.n, ==, n);
      /* scipy's p-values go through its beta distribution, good to ~1e-9; corr_p below checks
       * ours to 1e-12 against mpmath. */
      double (*get) (JsonObject *, const char *) = json_object_get_double_member;
      assert_rel ("pearson", pc.r.estimate, get (o, "pearson"), 1e-12, 1e-14);
      assert_rel ("spearman", sc.r.estimate, get (o, "spearman"), 1e-12, 1e-14);
      assert_rel ("pearson p", pc.p_value, get (o, "pearson_p"), 1e-8, 1e-15);
      assert_rel ("spearman p", sc.p_value, get (o, "spearman_p"), 1e-8, 1e-15);
      g_assert_cmpfloat (pc.r.lower, <=, pc.r.estimate);
      g_assert_cmpfloat (pc.r.upper, >=, pc.r.estimate);
      g_assert_cmpfloat (sc.r.lower, <=, sc.r.upper);
      if (json_object_has_member (o, "pearson_boot"))
        {
          /* Different random streams: agree to Monte Carlo error of 4000 resamples. */
          JsonArray *bci = json_object_get_array_member (o, "pearson_boot");
          assert_rel ("pearson bootstrap lower", pc.r.lower, num (bci, 0), 0, 0.03);
          assert_rel ("pearson bootstrap upper", pc.r.upper, num (bci, 1), 0, 0.03);
          boot_checked++;
        }
      if (json_object_has_member (o, "spearman_boot"))
        {
          JsonArray *bci = json_object_get_array_member (o, "spearman_boot");
          assert_rel ("spearman bootstrap lower", sc.r.lower, num (bci, 0), 0, 0.03);
          assert_rel ("spearman bootstrap upper", sc.r.upper, num (bci, 1), 0, 0.03);
          boot_checked++;
        }
    }
  g_assert_cmpuint (boot_checked, >=, 6);

  /* p-values to 40 digits (mpmath), including small r with many pairs, where 1 - r^2 must not be
   * rounded before the power (n - 2) / 2. Hand value: r = 0.9, n = 4 gives 1 - sqrt (0.19). */
  a = ref_array ("corr_p");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonArray *e = json_array_get_array_element (a, i);
      double pv = ms_stats_correlation_p_value (num (e, 0), num (e, 1));
      assert_rel ("correlation p", pv, num (e, 2), 1e-12, 1e-300);
    }
  assert_rel ("p of r = 0.9, n = 4", ms_stats_correlation_p_value (0.9, 4), 0.1, 1e-14, 0);
  g_assert_cmpfloat (ms_stats_correlation_p_value (1.0, 10), ==, 0.0);
  g_assert_true (isnan (ms_stats_correlation_p_value (0.5, 2)));

  g_autoptr (GError) error = NULL;
  MsCorrelation c;
  const double x[] = { 1, 2, 3, 4 }, flat[] = { 5, 5, 5, 5 }, inf[] = { 1, INFINITY, 2, 3 };
  g_assert_false (ms_stats_pearson (x, flat, 4, NULL, &c, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_spearman (x, x, 2, NULL, &c, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_stats_spearman (x, inf, 4, NULL, &c, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* ---- ROC ----------------------------------------------------------------------------------- */

static void
test_roc_hand (void)
{
  /* Scores 4 > 3 = 3 > 2 > 1 with labels +, +-, -, + (the tie holds one of each). */
  const double s[] = { 4, 3, 3, 2, 1 };
  const gboolean pos[] = { TRUE, TRUE, FALSE, FALSE, TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (MsRoc) roc = ms_stats_roc (s, pos, 5, &error);
  g_assert_no_error (error);
  const double fpr[] = { 0, 0, 0.5, 1, 1 }, tpr[] = { 0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 1 };
  const double thr[] = { INFINITY, 4, 3, 2, 1 };
  g_assert_cmpuint (roc->n_points, ==, 5);
  for (int i = 0; i < 5; i++)
    {
      assert_rel ("fpr", roc->fpr[i], fpr[i], 0, 1e-15);
      assert_rel ("tpr", roc->tpr[i], tpr[i], 0, 1e-15);
      g_assert_cmpfloat (roc->threshold[i], ==, thr[i]);
    }
  /* Pairs (pos, neg): (4,3)=1 (4,2)=1 (3,3)=.5 (3,2)=1 (1,3)=0 (1,2)=0 -> 3.5 / 6. */
  assert_rel ("auc", roc->auc, 3.5 / 6, 1e-15, 0);
  /* Trapezoid area under the points equals the Mann-Whitney AUC. */
  double area = 0;
  for (gsize i = 1; i < roc->n_points; i++)
    area += (roc->fpr[i] - roc->fpr[i - 1]) * (roc->tpr[i] + roc->tpr[i - 1]) / 2;
  assert_rel ("trapezoid", area, roc->auc, 1e-15, 0);
  g_assert_cmpuint (roc->n_pos, ==, 3);
  g_assert_cmpuint (roc->n_neg, ==, 2);
  /* TPR at FPR: at 0 the vertical run's top (1/3); halfway along the tie's diagonal, 1/2. */
  assert_rel ("tpr@0", ms_roc_tpr_at_fpr (roc, 0), 1.0 / 3, 1e-15, 0);
  assert_rel ("tpr@-1", ms_roc_tpr_at_fpr (roc, -1), 1.0 / 3, 1e-15, 0);
  assert_rel ("tpr@.25", ms_roc_tpr_at_fpr (roc, 0.25), 0.5, 1e-15, 0);
  assert_rel ("tpr@.5", ms_roc_tpr_at_fpr (roc, 0.5), 2.0 / 3, 1e-15, 0);
  assert_rel ("tpr@.75", ms_roc_tpr_at_fpr (roc, 0.75), 2.0 / 3, 1e-15, 0);
  g_assert_cmpfloat (ms_roc_tpr_at_fpr (roc, 1), ==, 1.0);

  const gboolean all[] = { TRUE, TRUE, TRUE, TRUE, TRUE };
  g_assert_null (ms_stats_roc (s, all, 5, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  const double with_nan[] = { 1, NAN, 2, 3, 4 };
  g_assert_null (ms_stats_roc (with_nan, pos, 5, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* The scores of a reference set, and its 0/1 labels as flags into *POS. */
static double *
roc_set (JsonObject *o, gsize *n, gboolean **pos)
{
  gsize nl;
  double *s = doubles (json_object_get_array_member (o, "scores"), n);
  g_autofree double *l = doubles (json_object_get_array_member (o, "labels"), &nl);
  g_assert_cmpuint (nl, ==, *n);
  *pos = g_new (gboolean, *n + 1);
  for (gsize k = 0; k < *n; k++)
    (*pos)[k] = l[k] != 0;
  return s;
}

static void
test_roc_reference (void)
{
  JsonArray *a = ref_array ("roc");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      gsize n;
      g_autofree gboolean *pos = NULL;
      g_autofree double *s = roc_set (o, &n, &pos);
      g_autoptr (MsRoc) roc = ms_stats_roc (s, pos, n, NULL);
      g_assert_nonnull (roc);
      assert_rel ("mann-whitney auc", roc->auc, json_object_get_double_member (o, "auc"), 1e-14, 0);
      JsonArray *at = json_object_get_array_member (o, "tpr_at");
      for (guint k = 0; k < json_array_get_length (at); k++)
        {
          JsonArray *e = json_array_get_array_element (at, k);
          assert_rel ("tpr at fpr", ms_roc_tpr_at_fpr (roc, num (e, 0)), num (e, 1), 1e-12, 1e-14);
        }
    }
}

static void
test_auc_bootstrap (void)
{
  JsonArray *a = ref_array ("auc_boot");
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);
      gsize n;
      g_autofree gboolean *pos = NULL;
      g_autofree double *s = roc_set (o, &n, &pos);
      /* The MIA table's settings: the exact resamples redrawn in Python, each AUC from
       * scikit-learn, the outer order statistics (numpy "lower" and "higher"). */
      const MsBootstrapParams mia = { .n_resamples = 300, .level = 0.95, .seed = 12345 };
      MsInterval ci;
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_stats_auc_bootstrap (s, pos, n, &mia, &ci, &error));
      g_assert_no_error (error);
      assert_rel ("sklearn auc", ci.estimate, get_num (o, "auc"), 1e-14, 0);
      assert_rel ("auc lower", ci.lower, get_num (o, "lower"), 1e-13, 0);
      assert_rel ("auc upper", ci.upper, get_num (o, "upper"), 1e-13, 0);
      /* scipy's percentile bootstrap resampling the two classes independently (10000) against
       * ours with 4000 (its own stream): within 0.25 bootstrap SE, four Monte Carlo SDs. The
       * first set has 10 scores and AUC steps of 1/25, more than that: checked exactly only. */
      if (n < 100)
        continue;
      MsBootstrapParams bp;
      ms_bootstrap_params_init (&bp);
      bp.n_resamples = 4000;
      g_assert_true (ms_stats_auc_bootstrap (s, pos, n, &bp, &ci, NULL));
      JsonArray *sc = json_object_get_array_member (o, "scipy");
      double tol = 0.25 * get_num (o, "scipy_se");
      assert_rel ("auc vs scipy lower", ci.lower, num (sc, 0), 0, tol);
      assert_rel ("auc vs scipy upper", ci.upper, num (sc, 1), 0, tol);
    }
  g_autoptr (GError) error = NULL;
  const double s[] = { 1, 2, 3 };
  const gboolean all[] = { TRUE, TRUE, TRUE }, pos[] = { TRUE, FALSE, TRUE };
  MsInterval ci;
  g_assert_false (ms_stats_auc_bootstrap (s, all, 3, NULL, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  const MsBootstrapParams none = { .n_resamples = 0, .level = 0.95, .seed = 1 };
  g_assert_false (ms_stats_auc_bootstrap (s, pos, 3, &none, &ci, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* ---- exposure ------------------------------------------------------------------------------ */

static void
test_exposure (void)
{
  g_assert_cmpfloat (ms_stats_exposure (1 << 20, 1), ==, 20.0);
  g_assert_cmpfloat (ms_stats_exposure (1024, 32), ==, 5.0);
  g_assert_cmpfloat (ms_stats_exposure (1024, 1024), ==, 0.0);
  g_assert_true (isnan (ms_stats_exposure (1024, 0)));
  g_assert_true (isnan (ms_stats_exposure (10, 11)));

  /* Perplexities: the canary at 2.0 beats 3 of 5 others, ties count against it. */
  const double others[] = { 1.0, 2.5, 3.0, 2.0, 4.0 };
  g_assert_cmpuint (ms_stats_canary_rank (2.0, others, 5, TRUE), ==, 3);
  g_assert_cmpuint (ms_stats_canary_rank (2.0, others, 5, FALSE), ==, 5);
  g_assert_cmpuint (ms_stats_canary_rank (0.5, others, 5, TRUE), ==, 1);
  assert_rel ("exposure of rank 3 of 6", ms_stats_exposure (6, 3), 1.0, 1e-15, 0);

  JsonObject *o = json_object_get_object_member (reference (), "exposure_sampled");
  gsize n;
  g_autofree double *sample = doubles (json_object_get_array_member (o, "sample"), &n);
  MsExposureEstimate e;
  g_assert_true (ms_stats_exposure_sampled (json_object_get_double_member (o, "canary"), sample, n,
                                            json_object_get_double_member (o, "space"), TRUE, &e,
                                            NULL));
  assert_rel ("fraction", e.fraction, json_object_get_double_member (o, "fraction"), 1e-15, 0);
  assert_rel ("empirical", e.empirical, json_object_get_double_member (o, "empirical"), 1e-12, 0);
  assert_rel ("normal", e.normal, json_object_get_double_member (o, "normal"), 1e-9, 0);
  /* A canary better than the whole sample saturates the empirical estimate at log2 (space). */
  g_assert_true (ms_stats_exposure_sampled (-100, sample, n, 1024, TRUE, &e, NULL));
  g_assert_cmpfloat (e.empirical, ==, 10.0);
  g_assert_cmpfloat (e.normal, >, 9.99);

  g_autoptr (GError) error = NULL;
  g_assert_false (ms_stats_exposure_sampled (1, sample, 1, 1024, TRUE, &e, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* ---- length matching ----------------------------------------------------------------------- */

static void
test_length_matched (void)
{
  /* Hand-worked: width 10. Bin 0: A {1, 0}, B {0}. Bin 1: A {1}, B {1, 1, 0, 0}. Bin 5: A only.
   * rate_a = 2/3; rate_b = 2/3 * 0 + 1/3 * 0.5 = 1/6; diff = 0.5. */
  const double la[] = { 1, 5, 12, 55 }, ya[] = { 1, 0, 1, 1 };
  const double lb[] = { 9, 10, 11, 18, 19, 30 }, yb[] = { 0, 1, 1, 0, 0, 1 };
  MsMatchParams p;
  ms_match_params_init (&p, 10);
  MsMatchResult r, r2;
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_stats_length_matched (la, ya, 4, lb, yb, 6, &p, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_a, ==, 3);
  g_assert_cmpuint (r.n_b, ==, 5);
  g_assert_cmpuint (r.n_bins, ==, 2);
  assert_rel ("rate a", r.rate_a, 2.0 / 3, 1e-15, 0);
  assert_rel ("rate b", r.rate_b, 1.0 / 6, 1e-15, 0);
  assert_rel ("diff", r.diff.estimate, 0.5, 1e-15, 0);
  g_assert_cmpfloat (r.diff.lower, <=, 0.5);
  g_assert_cmpfloat (r.diff.upper, >=, 0.5);
  g_assert_true (ms_stats_length_matched (la, ya, 4, lb, yb, 6, &p, &r2, NULL));
  g_assert_cmpfloat (r.diff.lower, ==, r2.diff.lower);

  /* Against the Python CEM on random data. */
  JsonObject *o = json_object_get_object_member (reference (), "length_match");
  gsize na, nb, k;
  g_autofree double *len_a = doubles (json_object_get_array_member (o, "len_a"), &na);
  g_autofree double *sc_a = doubles (json_object_get_array_member (o, "score_a"), &k);
  g_autofree double *len_b = doubles (json_object_get_array_member (o, "len_b"), &nb);
  g_autofree double *sc_b = doubles (json_object_get_array_member (o, "score_b"), &k);
  ms_match_params_init (&p, json_object_get_double_member (o, "width"));
  p.bin_origin = json_object_get_double_member (o, "origin");
  g_assert_true (ms_stats_length_matched (len_a, sc_a, na, len_b, sc_b, nb, &p, &r, NULL));
  g_assert_cmpint (r.n_a, ==, json_object_get_int_member (o, "n_a"));
  g_assert_cmpint (r.n_b, ==, json_object_get_int_member (o, "n_b"));
  g_assert_cmpint (r.n_bins, ==, json_object_get_int_member (o, "n_bins"));
  assert_rel ("cem rate a", r.rate_a, json_object_get_double_member (o, "rate_a"), 1e-13, 0);
  assert_rel ("cem rate b", r.rate_b, json_object_get_double_member (o, "rate_b"), 1e-13, 0);
  /* Width of the stratified bootstrap vs the analytic SE of the weighted difference. */
  double var = 0;
  for (gsize i = 0; i < na; i++)
    {
      /* Each bin once: at its first sample of group A. */
      gint64 bin = (gint64) floor ((len_a[i] - p.bin_origin) / p.bin_width);
      gboolean first = TRUE;
      for (gsize j = 0; j < i; j++)
        first &= (gint64) floor ((len_a[j] - p.bin_origin) / p.bin_width) != bin;
      if (!first)
        continue;
      double sa = 0, sb = 0, ca = 0, cb = 0;
      for (gsize j = 0; j < na; j++)
        if ((gint64) floor ((len_a[j] - p.bin_origin) / p.bin_width) == bin)
          sa += sc_a[j], ca++;
      for (gsize j = 0; j < nb; j++)
        if ((gint64) floor ((len_b[j] - p.bin_origin) / p.bin_width) == bin)
          sb += sc_b[j], cb++;
      if (cb == 0)
        continue;
      double pa = sa / ca, pb = sb / cb, w = ca / (double) r.n_a;
      var += w * w * (pa * (1 - pa) / ca + pb * (1 - pb) / cb);
    }
  double width = r.diff.upper - r.diff.lower, want = 2 * 1.959964 * sqrt (var);
  assert_rel ("bootstrap width vs analytic", width, want, 0.15, 0);

  g_autoptr (GError) e2 = NULL;
  const double far[] = { 1000, 2000 };
  g_assert_false (ms_stats_length_matched (la, ya, 4, far, yb, 2, &p, &r, &e2));
  g_assert_error (e2, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&e2);
  ms_match_params_init (&p, 0);
  g_assert_false (ms_stats_length_matched (la, ya, 4, lb, yb, 6, &p, &r, &e2));
  g_assert_error (e2, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&e2);
  ms_match_params_init (&p, 10);
  const double nan_len[] = { 1, NAN, 3, 4 };
  g_assert_false (ms_stats_length_matched (nan_len, ya, 4, lb, yb, 6, &p, &r, &e2));
  g_assert_error (e2, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (e2->message, "len_a[1]"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats/rng", test_rng);
  g_test_add_func ("/stats/distributions", test_distributions);
  g_test_add_func ("/stats/proportions", test_proportions);
  g_test_add_func ("/stats/bootstrap", test_bootstrap);
  g_test_add_func ("/stats/mean", test_mean);
  g_test_add_func ("/stats/welch", test_welch);
  g_test_add_func ("/stats/bootstrap-mean-diff", test_bootstrap_mean_diff);
  g_test_add_func ("/stats/correlation", test_correlation);
  g_test_add_func ("/stats/roc", test_roc_hand);
  g_test_add_func ("/stats/roc-reference", test_roc_reference);
  g_test_add_func ("/stats/auc-bootstrap", test_auc_bootstrap);
  g_test_add_func ("/stats/exposure", test_exposure);
  g_test_add_func ("/stats/length-matched", test_length_matched);
  int rc = ms_test_run ();
  g_clear_object (&ref_parser);
  return rc;
}
