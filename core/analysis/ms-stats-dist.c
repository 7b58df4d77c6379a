/* The few distribution functions the statistics need: the normal CDF and quantile, Student's t
 * CDF and quantile, and the regularized incomplete beta they rest on. Double precision, checked
 * against scipy.stats in tests/analysis. */
#include "analysis/ms-stats.h"

#include <math.h>

double
ms_stats_normal_cdf (double x)
{
  return 0.5 * erfc (-x / G_SQRT2);
}

/* Acklam's rational approximation (relative error 1.2e-9) polished by one Halley step on erfc,
 * which brings it to full double precision. */
double
ms_stats_normal_quantile (double p)
{
  static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
                              -2.759285104469687e+02, 1.383577518672690e+02,
                              -3.066479806614716e+01, 2.506628277459239e+00 };
  static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
                              -1.556989798598866e+02, 6.680131188771972e+01,
                              -1.328068155288572e+01 };
  static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
                              -2.400758277161838e+00, -2.549732539343734e+00,
                              4.374664141464968e+00, 2.938163982698783e+00 };
  static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
                              2.445134137142996e+00, 3.754408661907416e+00 };
  const double p_low = 0.02425;

  if (isnan (p) || p < 0 || p > 1)
    return NAN;
  if (p == 0)
    return -INFINITY;
  if (p == 1)
    return INFINITY;

  double x;
  if (p < p_low)
    {
      double q = sqrt (-2 * log (p));
      x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
  else if (p <= 1 - p_low)
    {
      double q = p - 0.5, r = q * q;
      x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
          / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
  else
    {
      double q = sqrt (-2 * log1p (-p));
      x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
  /* Halley step; in the upper tail work with the upper tail probability to keep precision. */
  double e = p > 0.5 ? -(0.5 * erfc (x / G_SQRT2) - (1 - p)) : 0.5 * erfc (-x / G_SQRT2) - p;
  double u = e * sqrt (2 * G_PI) * exp (x * x / 2);
  return x - u / (1 + x * u / 2);
}

/* Continued fraction of the incomplete beta (modified Lentz). */
static double
beta_cf (double a, double b, double x)
{
  const double tiny = 1e-300, eps = 1e-16;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (fabs (d) < tiny)
    d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; m++)
    {
      int m2 = 2 * m;
      double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
      d = 1 + aa * d;
      if (fabs (d) < tiny)
        d = tiny;
      c = 1 + aa / c;
      if (fabs (c) < tiny)
        c = tiny;
      d = 1 / d;
      h *= d * c;
      aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
      d = 1 + aa * d;
      if (fabs (d) < tiny)
        d = tiny;
      c = 1 + aa / c;
      if (fabs (c) < tiny)
        c = tiny;
      d = 1 / d;
      double del = d * c;
      h *= del;
      if (fabs (del - 1) < eps)
        break;
    }
  return h;
}

/* Stirling's correction lgamma(x) - ((x - 1/2) ln x - x + ln (2 pi) / 2), for x >= 10, where the
 * next term of the series is below 3e-17. */
static double
stirling_delta (double x)
{
  double r = 1 / x, r2 = r * r;
  return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188
         - r2 * (691.0 / 360360 - r2 / 156))))));
}

/* ln B(a, b). When the larger argument q is large, lgamma (q) - lgamma (p + q) is taken from
 * Stirling's series as -((q - 1/2) log1p (p / q) + p ln (p + q) - p + delta (p + q) - delta (q)):
 * subtracting two lgamma values near 2600 (a t with 1000 df) would lose 13 digits' worth of
 * absolute precision before the exp. */
static double
log_beta (double a, double b)
{
  double p = MIN (a, b), q = MAX (a, b);
  if (q < 10)
    return lgamma (p) + lgamma (q) - lgamma (p + q);
  double d = (q - 0.5) * log1p (p / q) + p * log (p + q) - p + stirling_delta (p + q)
             - stirling_delta (q);
  return lgamma (p) - d;
}

/* I_x(a, b) with Y = 1 - x given separately, so that callers who know 1 - x exactly (the t
 * distribution, correlations) do not lose it to rounding when x is near 1. */
static double
ibeta (double a, double b, double x, double y)
{
  if (x <= 0)
    return 0;
  if (y <= 0)
    return 1;
  double lx = x < 0.5 ? log (x) : log1p (-y), ly = y < 0.5 ? log (y) : log1p (-x);
  double lbt = a * lx + b * ly - log_beta (a, b);
  /* The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry
   * I_x(a, b) = 1 - I_{1-x}(b, a) on the other side. */
  if (x < (a + 1) / (a + b + 2))
    return exp (lbt) * beta_cf (a, b, x) / a;
  return 1 - exp (lbt) * beta_cf (b, a, y) / b;
}

double
ms_stats_incomplete_beta (double a, double b, double x)
{
  if (isnan (x) || isnan (a) || isnan (b) || a <= 0 || b <= 0)
    return NAN;
  return ibeta (a, b, x, 1 - x);
}

/* P(T > t) for t >= 0: I_{df / (df + t^2)}(df / 2, 1 / 2) / 2. */
static double
t_upper_tail (double t, double df)
{
  double t2 = t * t;
  return 0.5 * ibeta (df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

double
ms_stats_correlation_p_value (double r, double n)
{
  if (isnan (r) || !(n > 2) || fabs (r) > 1)
    return NAN;
  /* t = r sqrt ((n - 2) / (1 - r^2)) has df / (df + t^2) = 1 - r^2 exactly. */
  return ibeta ((n - 2) / 2, 0.5, 1 - r * r, r * r);
}

double
ms_stats_t_cdf (double t, double df)
{
  if (isnan (t) || !(df > 0))
    return NAN;
  if (isinf (t))
    return t > 0 ? 1.0 : 0.0;
  return t >= 0 ? 1 - t_upper_tail (t, df) : t_upper_tail (-t, df);
}

double
ms_stats_t_quantile (double p, double df)
{
  if (isnan (p) || p < 0 || p > 1 || !(df > 0))
    return NAN;
  if (p == 0.5)
    return 0;
  if (p < 0.5)
    return -ms_stats_t_quantile (1 - p, df);
  if (p == 1)
    return INFINITY;
  /* Bisection on the upper tail, which is monotone and keeps its precision. */
  double q = 1 - p, lo = 0, hi = 1;
  while (t_upper_tail (hi, df) > q && hi < 1e300)
    lo = hi, hi *= 2;
  for (int it = 0; it < 2000 && hi - lo > 1e-15 * hi; it++)
    {
      double mid = 0.5 * (lo + hi);
      if (t_upper_tail (mid, df) > q)
        lo = mid;
      else
        hi = mid;
    }
  return 0.5 * (lo + hi);
}
