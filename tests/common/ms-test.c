/* Implementation of the shared test helpers. */
#include "ms-test.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>

static MsDevice *test_device;
static char *tmp_dir;

static void
cleanup (void)
{
  if (tmp_dir)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);
      if (system (cmd) != 0)
        g_printerr ("could not remove %s\n", tmp_dir);
      g_clear_pointer (&tmp_dir, g_free);
    }
}

int
ms_test_run (void)
{
  int rc = g_test_run ();
  /* Here, not in an atexit handler: exit runs thread_local destructors first, and an OpenCL
   * runtime may keep its per-thread state there (Oclgrind does), so OpenCL calls made later
   * touch freed memory. */
  g_clear_pointer (&test_device, ms_device_free);
  return rc;
}

MsDevice *
ms_test_device (void)
{
  if (test_device == NULL)
    {
      g_autoptr (GError) error = NULL;
      test_device = ms_device_open (NULL, &error);
      g_assert_no_error (error);
      atexit (cleanup);
    }
  return test_device;
}

MsBlas *
ms_test_blas (MsBlasKind kind)
{
  MsDevice *dev = ms_test_device ();
  if (kind == MS_BLAS_HOST && !ms_blas_host_usable (dev))
    {
      g_test_skip ("the host GEMM backend is not usable on this device");
      return NULL;
    }
  g_autoptr (GError) error = NULL;
  MsBlas *blas = ms_blas_new (dev, kind, &error);
  g_assert_no_error (error);
  return blas;
}

guint64
ms_test_rng_u64 (MsTestRng *r)
{
  guint64 z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float
ms_test_rng_uniform (MsTestRng *r)
{
  return (ms_test_rng_u64 (r) >> 40) / 16777216.0f;
}

float
ms_test_rng_normal (MsTestRng *r)
{
  float u1 = ms_test_rng_uniform (r), u2 = ms_test_rng_uniform (r);
  return sqrtf (-2.0f * logf (u1 + 1e-12f)) * cosf (6.2831853f * u2);
}

void
ms_test_fill_normal (MsTestRng *r, float *x, gsize n, float scale)
{
  for (gsize i = 0; i < n; i++)
    x[i] = scale * ms_test_rng_normal (r);
}

double
ms_test_nmse (const float *got, const float *want, gsize n)
{
  double num = 0, den = 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = (double) got[i] - want[i];
      num += d * d;
      den += (double) want[i] * want[i];
    }
  return den > 0 ? num / den : num;
}

double
ms_test_max_abs (const float *got, const float *want, gsize n)
{
  double worst = 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) got[i] - want[i]);
      if (!(d <= worst))  /* also catches NaN */
        worst = isnan (d) ? INFINITY : d;
    }
  return worst;
}

void
ms_test_assert_close (const char *what, const float *got, const float *want, gsize n, double tol)
{
  gsize worst_i = 0;
  double worst = 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) got[i] - want[i]);
      if (isnan (d) || d > worst)
        {
          worst = isnan (d) ? INFINITY : d;
          worst_i = i;
        }
    }
  if (worst > tol)
    g_error ("%s: max abs error %.3g > %.3g at [%zu]: got %.8g, want %.8g", what, worst, tol,
             worst_i, got[worst_i], want[worst_i]);
}

char *
ms_test_fixture (const char *name)
{
  /* $MS_FIXTURES (set by meson test) wins, so fixtures can be regenerated elsewhere. */
  const char *dir = g_getenv ("MS_FIXTURES");
  if (dir == NULL)
    dir = MS_FIXTURES_DIR;
  return g_build_filename (dir, name, NULL);
}

const char *
ms_test_tmpdir (void)
{
  if (tmp_dir == NULL)
    {
      g_autoptr (GError) error = NULL;
      tmp_dir = g_dir_make_tmp ("memscope-test-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (cleanup);
    }
  return tmp_dir;
}
