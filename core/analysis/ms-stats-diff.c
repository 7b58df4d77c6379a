/* Differences of two independent samples: Welch's t interval, the two-sample percentile
 * bootstrap of a difference of means, and the choice between Newcombe and that bootstrap that
 * the report's tables and the app's compare view share (definitions in ms-stats.h), with the
 * plain mean and flag count they rest on. */
#include "analysis/ms-stats.h"
#include "analysis/ms-stats-private.h"

#include <math.h>

#include "common/ms-error.h"

double
ms_stats_mean_of (const double *x, gsize n)
{
  double s = 0;
  for (gsize i = 0; i < n; i++)
    s += x[i];
  return s / (double) n;
}

guint64
ms_stats_count_flagged (const double *x, gsize n)
{
  guint64 k = 0;
  for (gsize i = 0; i < n; i++)
    k += x[i] > 0.5;
  return k;
}

/* Checks both samples: finite values, at least MIN_N of each. */
static gboolean
check_samples (const char *what, const double *x, gsize nx, const double *y, gsize ny,
               gsize min_n, GError **error)
{
  if (nx < min_n || ny < min_n)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s of samples of %zu and %zu values: expected at least %zu in each", what,
                   nx, ny, min_n);
      return FALSE;
    }
  return ms_stats_check_finite ("x", x, nx, error) && ms_stats_check_finite ("y", y, ny, error);
}

gboolean
ms_stats_welch_diff (const double *x, gsize nx, const double *y, gsize ny, double level,
                     MsInterval *out, GError **error)
{
  if (!ms_stats_check_level (level, error)
      || !check_samples ("Welch interval", x, nx, y, ny, 2, error))
    return FALSE;
  double mx = ms_stats_mean_of (x, nx), my = ms_stats_mean_of (y, ny), ssx = 0, ssy = 0;
  for (gsize i = 0; i < nx; i++)
    ssx += (x[i] - mx) * (x[i] - mx);
  for (gsize i = 0; i < ny; i++)
    ssy += (y[i] - my) * (y[i] - my);
  double qx = ssx / (double) (nx - 1) / (double) nx, qy = ssy / (double) (ny - 1) / (double) ny;
  double se = sqrt (qx + qy);
  out->estimate = mx - my;
  if (!(se > 0))
    {
      out->lower = out->upper = out->estimate;
      return TRUE;
    }
  /* df from the shares of the variance, which cannot underflow as qx^2 can. */
  double wx = qx / (qx + qy), wy = qy / (qx + qy);
  double df = 1 / (wx * wx / (double) (nx - 1) + wy * wy / (double) (ny - 1));
  double t = ms_stats_t_quantile ((1 + level) / 2, df);
  out->lower = out->estimate - t * se;
  out->upper = out->estimate + t * se;
  return TRUE;
}

/* An index below N from the high word of a 64 × 64-bit product (see ms-stats.h). */
static inline gsize
index_below (MsRng *rng, gsize n)
{
  return (gsize) (((unsigned __int128) ms_rng_next (rng) * n) >> 64);
}

gboolean
ms_stats_bootstrap_mean_diff (const double *x, gsize nx, const double *y, gsize ny,
                              const MsBootstrapParams *params, MsInterval *out, GError **error)
{
  MsBootstrapParams defaults;
  if (params == NULL)
    {
      ms_bootstrap_params_init (&defaults);
      params = &defaults;
    }
  if (!ms_stats_check_level (params->level, error)
      || !check_samples ("bootstrap of a difference of means", x, nx, y, ny, 1, error))
    return FALSE;
  out->estimate = ms_stats_mean_of (x, nx) - ms_stats_mean_of (y, ny);
  guint nb = MAX (params->n_resamples, 1u);
  g_autofree double *reps = g_new (double, nb);
  MsRng rng;
  ms_rng_init (&rng, params->seed);
  gsize k = 0;
  for (guint b = 0; b < nb; b++)
    {
      double sx = 0, sy = 0;
      for (gsize i = 0; i < nx; i++)
        sx += x[index_below (&rng, nx)];
      for (gsize i = 0; i < ny; i++)
        sy += y[index_below (&rng, ny)];
      double v = sx / (double) nx - sy / (double) ny;
      if (isfinite (v))  /* only sums that overflow are not */
        reps[k++] = v;
    }
  return ms_stats_percentile_interval (reps, k, nb, params->level, out, error);
}

gboolean
ms_stats_diff_independent (gboolean is_rate, const double *x, gsize nx, const double *y,
                           gsize ny, const MsBootstrapParams *params, MsInterval *out,
                           GError **error)
{
  MsBootstrapParams defaults;
  if (params == NULL)
    {
      ms_bootstrap_params_init (&defaults);
      params = &defaults;
    }
  if (!is_rate)
    return ms_stats_bootstrap_mean_diff (x, nx, y, ny, params, out, error);
  if (!check_samples ("difference of rates", x, nx, y, ny, 1, error))
    return FALSE;
  return ms_stats_newcombe_diff (ms_stats_count_flagged (x, nx), nx,
                                 ms_stats_count_flagged (y, ny), ny, params->level, out, error);
}
