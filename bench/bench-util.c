/* See bench-util.h. */
#include "bench-util.h"

#include <stdlib.h>

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

MsTimes
ms_bench_time (void (*fn) (gpointer), gpointer user, int warmup, int reps)
{
  for (int i = 0; i < warmup; i++)
    fn (user);
  g_autofree double *t = g_new (double, reps);
  for (int i = 0; i < reps; i++)
    {
      gint64 start = g_get_monotonic_time ();
      fn (user);
      t[i] = (g_get_monotonic_time () - start) / 1e6;
    }
  qsort (t, reps, sizeof *t, cmp_double);
  return (MsTimes) { t[0], t[reps / 2], t[reps - 1], reps };
}

char *
ms_bench_rate (const MsTimes *t, double work)
{
  return g_strdup_printf ("%.1f [%.1f .. %.1f]", work / t->median, work / t->max, work / t->min);
}
