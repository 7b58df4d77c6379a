/* Helpers of the op-level kernel tests: guarded tensors, normalized comparisons and central
 * differences (see kernel-check.h). */
#include "kernel-check.h"

#include <math.h>
#include <string.h>

/* A quiet NaN with a payload no arithmetic produces. */
#define SENTINEL_BITS 0x7fc5a5a5u

KcTensor *
kc_tensor_new (const float *init, gsize n, gsize off)
{
  MsDevice *dev = ms_test_device ();
  KcTensor *t = g_new0 (KcTensor, 1);
  t->off = (int) off;
  t->n = n;
  t->total = off + n + KC_GUARD;
  g_autofree guint32 *host = g_new (guint32, t->total);
  for (gsize i = 0; i < t->total; i++)
    host[i] = SENTINEL_BITS;
  if (init)
    memcpy (host + off, init, n * sizeof (float));
  else
    memset (host + off, 0, n * sizeof (float));
  g_autoptr (GError) error = NULL;
  t->buf = ms_buffer_new (dev, t->total * sizeof (float), &error);
  g_assert_no_error (error);
  g_assert_true (ms_buffer_write (dev, t->buf, 0, host, t->total * sizeof (float), &error));
  return t;
}

float *
kc_tensor_read (const KcTensor *t, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint32 *host = g_new (guint32, t->total);
  g_assert_true (ms_buffer_read (ms_test_device (), t->buf, 0, host, t->total * sizeof (float),
                                 &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < t->total; i++)
    if ((i < (gsize) t->off || i >= t->off + t->n) && host[i] != SENTINEL_BITS)
      g_error ("%s: element %zd outside the tensor [%d, %zu) was overwritten (0x%08x)", what,
               (gssize) i - t->off, t->off, t->off + t->n, host[i]);
  float *out = g_new (float, t->n);
  memcpy (out, host + t->off, t->n * sizeof (float));
  return out;
}

void
kc_tensor_free (KcTensor *t)
{
  if (t == NULL)
    return;
  ms_buffer_free (t->buf);
  g_free (t);
}

MsBuffer *
kc_ints_new (const int *x, gsize n)
{
  g_autoptr (GError) error = NULL;
  MsBuffer *b = ms_buffer_new (ms_test_device (), MAX (n, 1) * sizeof (int), &error);
  g_assert_no_error (error);
  g_assert_true (ms_buffer_write (ms_test_device (), b, 0, x, n * sizeof (int), &error));
  return b;
}

void
kc_run_rows (const char *kernel, gsize rows, ...)
{
  va_list ap;
  va_start (ap, rows);
  if (g_str_has_suffix (kernel, "_cpu"))
    ms_run_valist (ms_test_device (), kernel, 1, (size_t[]){ rows }, NULL, ap);
  else
    ms_run_valist (ms_test_device (), kernel, 1, (size_t[]){ rows * 64 }, (size_t[]){ 64 }, ap);
  va_end (ap);
}

void
kc_finish (void)
{
  g_autoptr (GError) error = NULL;
  ms_device_finish (ms_test_device (), &error);
  g_assert_no_error (error);
}

float *
kc_normal (MsTestRng *r, gsize n, float scale)
{
  float *x = g_new (float, n);
  ms_test_fill_normal (r, x, n, scale);
  return x;
}

double *
kc_widen (const float *x, gsize n)
{
  double *d = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    d[i] = x[i];
  return d;
}

double
kc_max_abs (const double *x, gsize n)
{
  double m = 0;
  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (x[i]));
  return m;
}

double
kc_compare (const char *what, const float *got, const double *want, gsize n, double nmse_tol,
            double abs_tol)
{
  double num = 0, den = 0, worst = 0;
  gsize worst_i = 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = fabs (got[i] - want[i]);
      if (isnan (d))
        d = INFINITY;
      num += d * d;
      den += want[i] * want[i];
      if (d > worst)
        {
          worst = d;
          worst_i = i;
        }
    }
  double nmse = den > 0 ? num / den : num;
  g_test_message ("%-44s NMSE %.2e  max abs %.2e  (n = %zu)", what, nmse, worst, n);
  if (!(nmse <= nmse_tol) || !(worst <= abs_tol))
    g_error ("%s: NMSE %.3g (bound %.3g), max abs error %.3g (bound %.3g) at [%zu]: got %.9g, "
             "want %.9g", what, nmse, nmse_tol, worst, abs_tol, worst_i, got[worst_i],
             want[worst_i]);
  return nmse;
}

void
kc_compare_exact (const char *what, const float *got, const float *want, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (memcmp (got + i, want + i, sizeof (float)) != 0)
      g_error ("%s: element %zu is %.9g, want exactly %.9g", what, i, got[i], want[i]);
  g_test_message ("%-44s bitwise equal  (n = %zu)", what, n);
}

double
kc_check_fd (const char *what, KcLossFn loss, gconstpointer ctx, double *x, const float *grad,
             gsize n, const gsize *idx, guint count, double tol)
{
  double rms = 0;
  for (gsize i = 0; i < n; i++)
    rms += (double) grad[i] * grad[i];
  rms = sqrt (rms / MAX (n, 1));
  g_assert_cmpfloat (rms, >, 0);
  double worst = 0;
  for (guint k = 0; k < count; k++)
    {
      gsize i = idx[k];
      double x0 = x[i], h = 1e-4 * MAX (1.0, fabs (x0));
      x[i] = x0 + h;
      double up = loss (ctx);
      x[i] = x0 - h;
      double down = loss (ctx);
      x[i] = x0;
      double fd = (up - down) / (2 * h);
      double err = fabs (grad[i] - fd) / (fabs (fd) + 0.01 * rms);
      if (isnan (err))
        err = INFINITY;
      if (err > tol)
        g_error ("%s: d/dx[%zu] is %.9g, central difference %.9g (error %.3g of |fd| + rms / 100, "
                 "rms %.3g, bound %.3g)", what, i, grad[i], fd, err, rms, tol);
      worst = MAX (worst, err);
    }
  g_test_message ("%-44s finite differences: worst error %.2e at %u points", what, worst, count);
  return worst;
}

float *
kc_make_logits (MsTestRng *r, int N, int V, int Vp, int *targets)
{
  float *x = kc_normal (r, (gsize) N * Vp, 2.0f);
  for (int n = 0; n < N; n++)
    {
      float *row = x + (gsize) n * Vp;
      int t = (int) (ms_test_rng_u64 (r) % V);
      int spike = (int) (ms_test_rng_u64 (r) % V);
      switch (n % 8)
        {
        case 1:
          t = -1;                          /* ignored */
          break;
        case 2:
          for (int v = 0; v < V; v++)
            row[v] = 3.5f;                 /* all equal: loss log V */
          break;
        case 3:
          row[spike] = 1e4f;               /* exp would overflow without the max */
          break;
        case 4:
          row[spike] = 1e4f;
          t = spike;
          break;
        case 5:
          for (int v = 0; v < V; v += 3)
            if (v != t)
              row[v] = -INFINITY;          /* masked logits */
          break;
        case 6:
          t = V - 1;                       /* the tail past the last full vector */
          break;
        case 7:
          t = 0;
          break;
        }
      for (int v = V; v < Vp; v++)
        row[v] = 1e30f;
      targets[n] = t;
    }
  return x;
}

gsize *
kc_pick (MsTestRng *r, gsize n, guint count, const gsize *extra, guint extra_n)
{
  gsize *idx = g_new (gsize, count + extra_n);
  for (guint k = 0; k < count; k++)
    idx[k] = ms_test_rng_u64 (r) % n;
  for (guint k = 0; k < extra_n; k++)
    {
      g_assert_cmpuint (extra[k], <, n);
      idx[count + k] = extra[k];
    }
  return idx;
}
