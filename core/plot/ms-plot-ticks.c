/* Tick positions (1-2-5 steps on linear axes, decades on log axes) and the numbers written at
 * them, with as many decimals as the tick step needs and no more. */
#include "ms-plot-private.h"

#include <math.h>
#include <string.h>

#define EPS 1e-9

static int
count_inside (double lo, double hi, double step)
{
  return (int) (floor (hi / step + EPS) - ceil (lo / step - EPS)) + 1;
}

static int
fill_ticks (double lo, double hi, double step, double *ticks, int max)
{
  double k0 = ceil (lo / step - EPS), k1 = floor (hi / step + EPS);
  int n = 0;
  for (double k = k0; k <= k1 && n < max; k++)
    {
      double v = k * step;
      ticks[n++] = fabs (v) < step * EPS ? 0.0 : v;
    }
  return n;
}

/* The smallest 1-2-5 step that puts at most MAX_TICKS ticks inside [LO, HI], or, with
 * EXTEND, at most MAX_TICKS once the range is widened to the ticks around it. */
static double
nice_step (double lo, double hi, int max_ticks, gboolean extend)
{
  static const double mult[3] = { 1, 2, 5 };
  double span = hi - lo;
  double mag = pow (10, floor (log10 (span / MAX (max_ticks, 1)))) / 10;
  for (int e = 0; e < 40; e++, mag *= 10)
    for (int m = 0; m < 3; m++)
      {
        double step = mult[m] * mag;
        int n = extend ? (int) (ceil (hi / step - EPS) - floor (lo / step + EPS)) + 1
                       : count_inside (lo, hi, step);
        if (n <= max_ticks)
          return step;
      }
  return span;
}

int
ms_plot_nice_ticks (double lo, double hi, int max_ticks, double *ticks, double *step)
{
  max_ticks = CLAMP (max_ticks, 2, MS_PLOT_MAX_TICKS);
  if (!isfinite (lo) || !isfinite (hi) || hi <= lo)
    {
      if (step)
        *step = 0;
      if (isfinite (lo))
        {
          ticks[0] = lo;
          return 1;
        }
      return 0;
    }
  double st = nice_step (lo, hi, max_ticks, FALSE);
  if (step)
    *step = st;
  return fill_ticks (lo, hi, st, ticks, max_ticks);
}

/* Widens [*LO, *HI] to the ticks around it. */
static double
nice_extend (double *lo, double *hi, int max_ticks)
{
  /* A range across zero needs a tick below, at and above zero. */
  double st = nice_step (*lo, *hi, MAX (max_ticks, *lo < 0 && *hi > 0 ? 3 : 2), TRUE);
  *lo = floor (*lo / st + EPS) * st;
  *hi = ceil (*hi / st - EPS) * st;
  return st;
}

int
ms_plot_log_ticks (double lo, double hi, int max_ticks, double *ticks)
{
  static const double sets[3][10] = { { 1, 0 }, { 1, 2, 5, 0 }, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0 } };
  max_ticks = CLAMP (max_ticks, 2, MS_PLOT_MAX_TICKS);
  if (!(lo > 0) || !(hi > lo) || !isfinite (hi))
    return 0;
  int d0 = (int) floor (log10 (lo) + EPS), d1 = (int) ceil (log10 (hi) - EPS);
  /* Many decades: every k-th power of ten. */
  int decades = d1 - d0 + 1;
  if (decades > max_ticks)
    {
      int every = (decades + max_ticks - 1) / max_ticks, n = 0;
      for (int e = d0; e <= d1 && n < max_ticks; e++)
        if (e % every == 0 && pow (10, e) >= lo * (1 - EPS) && pow (10, e) <= hi * (1 + EPS))
          ticks[n++] = pow (10, e);
      return n;
    }
  /* The sparsest set that gives at least three ticks and fits; a set with too many is thinned
   * to every k-th tick, keeping the powers of ten where it can. */
  int best_n = 0;
  double tmp[3 * MS_PLOT_MAX_TICKS];
  for (int s = 0; s < 3; s++)
    {
      int n = 0;
      for (int e = d0; e <= d1; e++)
        for (int m = 0; m < 10 && sets[s][m] > 0; m++)
          {
            double v = sets[s][m] * pow (10, e);
            if (v >= lo * (1 - EPS) && v <= hi * (1 + EPS) && n < 3 * MS_PLOT_MAX_TICKS)
              tmp[n++] = v;
          }
      if (n > max_ticks)
        {
          int every = (n + max_ticks - 1) / max_ticks, phase = 0, k = 0;
          for (int i = 0; i < n; i++)
            if (fabs (log10 (tmp[i]) - round (log10 (tmp[i]))) < 1e-9)
              {
                phase = i % every;
                break;
              }
          for (int i = phase; i < n && k < max_ticks; i += every)
            ticks[k++] = tmp[i];
          return k >= 2 || best_n == 0 ? k : best_n;
        }
      memcpy (ticks, tmp, n * sizeof (double));
      best_n = n;
      if (n >= 3)
        return n;
    }
  if (best_n >= 2)
    return best_n;
  /* Less than a decade and no 1..9 ticks to speak of: linear ticks, still placed on the log
   * scale. */
  return ms_plot_nice_ticks (lo, hi, max_ticks, ticks, NULL);
}

static int
decimals_for (double step)
{
  for (int d = 0; d <= 8; d++)
    {
      double x = step * pow (10, d);
      if (fabs (x - round (x)) < 1e-6 * MAX (1, x))
        return d;
    }
  return 8;
}

static void
strip_zeros (char *s)
{
  char *dot = strchr (s, '.');
  if (dot == NULL)
    return;
  char *end = s + strlen (s) - 1;
  while (end > dot && *end == '0')
    *end-- = '\0';
  if (end == dot)
    *end = '\0';
}

void
ms_plot_format_value (double v, double step, MsPlotFormat format, char *buf, gsize size)
{
  ms_plot_format_tick (v, step, fabs (v), format, buf, size);
}

void
ms_plot_format_tick (double v, double step, double magnitude, MsPlotFormat format, char *buf,
                     gsize size)
{
  if (!isfinite (v))
    {
      g_strlcpy (buf, isnan (v) ? "NaN" : v > 0 ? "∞" : "−∞", size);
      return;
    }
  const char *suffix = "";
  if (format == MS_PLOT_FORMAT_PERCENT)
    {
      v *= 100;
      step *= 100;
      magnitude *= 100;
      suffix = "%";
    }
  if (!isfinite (step) || step < 0)
    step = 0;
  if (step > 0 && fabs (v) < step * 1e-6)
    v = 0;
  double av = fabs (v);
  char num[64];
  /* The notation follows the largest label on the axis (MAGNITUDE), so that an axis never
   * mixes 8000 with 10k. */
  double mag = MAX (fabs (magnitude), av);
  if (mag >= 1e4 && (step == 0 || step >= 1000) && mag < 1e15)
    {
      /* Thousands and millions the way training logs count steps: 12k, 1.5M, 2G. */
      double unit = 1e3;
      const char *u = "k";
      if (mag >= 1e9 && (step == 0 || step >= 1e8))
        unit = 1e9, u = "G";
      else if (mag >= 1e6 && (step == 0 || step >= 1e5))
        unit = 1e6, u = "M";
      int dm = step > 0 ? MIN (decimals_for (step / unit), 3)
                        : CLAMP (2 - (int) floor (log10 (MAX (av / unit, 1e-9))), 0, 3);
      g_snprintf (num, sizeof num, "%.*f", dm, av / unit);
      if (step == 0)
        strip_zeros (num);
      g_strlcat (num, u, sizeof num);
    }
  else if (av > 0 && (mag >= 1e15 || (mag >= 1e6 && step > 0 && step < 1000)
                      || (mag < 1e-4 && step < 1e-4)))
    {
      /* Scientific, written 2.5e−5. */
      int e = (int) floor (log10 (av));
      double mant = av / pow (10, e);
      if (mant >= 9.9995)
        {
          mant /= 10;
          e++;
        }
      int dm = step > 0 ? MIN (decimals_for (step / pow (10, e)), 3) : 2;
      g_snprintf (num, sizeof num, "%.*f", dm, mant);
      strip_zeros (num);
      g_snprintf (num + strlen (num), sizeof num - strlen (num), "e%s%d", e < 0 ? "−" : "",
                  ABS (e));
    }
  else if (step > 0)
    g_snprintf (num, sizeof num, "%.*f", MIN (decimals_for (step), 8), av);
  else
    {
      /* Three significant digits. */
      int d = av > 0 ? CLAMP (2 - (int) floor (log10 (av)), 0, 8) : 0;
      g_snprintf (num, sizeof num, "%.*f", d, av);
      strip_zeros (num);
    }
  /* "-0" after rounding is 0. */
  gboolean zero = TRUE;
  for (const char *p = num; *p && *p != 'e'; p++)
    if (*p >= '1' && *p <= '9')
      zero = FALSE;
  g_snprintf (buf, size, "%s%s%s", v < 0 && !zero ? "−" : "", num, suffix);
}

/* ---- axes ----------------------------------------------------------------------------------- */

gboolean
ms_axis_valid (const MsAxis *a, double v)
{
  return isfinite (v) && (!a->log || v > 0);
}

double
ms_axis_px (const MsAxis *a, double v)
{
  double lo = a->lo, hi = a->hi;
  if (a->log)
    {
      lo = log10 (lo);
      hi = log10 (hi);
      v = v > 0 ? log10 (v) : lo - (hi - lo);  /* far off the low end; clipped */
    }
  if (!(hi > lo))
    return (a->p0 + a->p1) / 2;
  return a->p0 + (v - lo) / (hi - lo) * (a->p1 - a->p0);
}

char *
ms_axis_tick_label (const MsAxis *a, double v)
{
  char buf[64];
  double mag = 0;
  for (int i = 0; i < a->n_ticks && !a->log; i++)
    mag = MAX (mag, fabs (a->ticks[i]));
  ms_plot_format_tick (v, a->log ? 0 : a->step, mag, a->format, buf, sizeof buf);
  return g_strdup (buf);
}

void
ms_axis_ticks (MsAxis *a, double lo, double hi, int max_ticks)
{
  if (a->log)
    {
      if (!(lo > 0) || !isfinite (hi) || !(hi >= lo))
        lo = 1, hi = 10;
      double l0 = log10 (lo), l1 = log10 (hi);
      if (l1 - l0 < 1e-9)
        l0 -= 0.5, l1 += 0.5;
      if (!a->fixed)
        {
          double m = (l1 - l0) * a->margin;
          l0 -= m;
          l1 += m;
        }
      a->lo = pow (10, l0);
      a->hi = pow (10, l1);
      a->step = 0;
      a->n_ticks = ms_plot_log_ticks (a->lo, a->hi, max_ticks, a->ticks);
      return;
    }
  if (!isfinite (lo) || !isfinite (hi) || hi < lo)
    lo = 0, hi = 1;
  if (hi - lo <= 1e-12 * MAX (fabs (lo), fabs (hi)))
    {
      /* One value: show it in the middle of a sensible range. */
      double r = lo == 0 ? 1 : fabs (lo) * 0.5;
      if (a->nice && lo == 0)
        hi = 1;
      else
        lo -= r, hi += r;
    }
  if (!a->fixed && a->nice)
    {
      /* Out to the ticks around the data, unless so few ticks fit that this would waste much
       * of the axis; then a small margin. */
      double l = lo, h = hi, st = nice_extend (&l, &h, max_ticks);
      if (h - l <= 1.6 * (hi - lo))
        {
          a->lo = l;
          a->hi = h;
          a->step = st;
          a->n_ticks = fill_ticks (l, h, st, a->ticks, MS_PLOT_MAX_TICKS);
          return;
        }
      double m = (hi - lo) * 0.05;
      lo = lo < 0 ? lo - m : lo;
      hi = hi > 0 ? hi + m : hi;
    }
  else if (!a->fixed)
    {
      double m = (hi - lo) * a->margin;
      lo -= m;
      hi += m;
    }
  a->lo = lo;
  a->hi = hi;
  a->n_ticks = ms_plot_nice_ticks (lo, hi, max_ticks, a->ticks, &a->step);
}
