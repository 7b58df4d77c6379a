/* Both GEMM backends against a plain CPU triple loop in double precision: every transpose
 * combination, offsets, padded leading dimensions, beta, and strided batches. */
#include "ms-test.h"

#include <string.h>

typedef struct {
  gboolean ta, tb;
  int m, n, k, batch;
  float alpha, beta;
  int pad;  /* extra columns in every leading dimension */
} Case;

static void
reference (const Case *c, const float *a, gsize ao, int lda, gsize sa, const float *b, gsize bo,
           int ldb, gsize sb, float *out, gsize co, int ldc, gsize sc)
{
  for (int p = 0; p < c->batch; p++)
    for (int i = 0; i < c->m; i++)
      for (int j = 0; j < c->n; j++)
        {
          double s = 0;
          for (int l = 0; l < c->k; l++)
            {
              double x = c->ta ? a[ao + p * sa + (gsize) l * lda + i] : a[ao + p * sa + (gsize) i * lda + l];
              double y = c->tb ? b[bo + p * sb + (gsize) j * ldb + l] : b[bo + p * sb + (gsize) l * ldb + j];
              s += x * y;
            }
          float *o = &out[co + p * sc + (gsize) i * ldc + j];
          *o = (float) (c->alpha * s + c->beta * (double) *o);
        }
}

static void
run_case (MsBlas *blas, const Case *c)
{
  MsDevice *dev = ms_blas_device (blas);
  MsTestRng rng = { (guint64) (c->m * 131 + c->n * 17 + c->k + c->ta * 2 + c->tb) };
  int lda = (c->ta ? c->m : c->k) + c->pad, ldb = (c->tb ? c->k : c->n) + c->pad;
  int ldc = c->n + c->pad;
  gsize arows = c->ta ? c->k : c->m, brows = c->tb ? c->n : c->k;
  gsize sa = arows * lda + 3, sb = brows * ldb + 5, sc = (gsize) c->m * ldc + 7;
  gsize ao = 11, bo = 13, co = 17;
  gsize na = ao + sa * c->batch, nb = bo + sb * c->batch, nc = co + sc * c->batch;
  g_autofree float *a = g_new (float, na), *b = g_new (float, nb), *want = g_new (float, nc);
  g_autofree float *got = g_new (float, nc);
  ms_test_fill_normal (&rng, a, na, 1.0f);
  ms_test_fill_normal (&rng, b, nb, 1.0f);
  ms_test_fill_normal (&rng, want, nc, 1.0f);

  g_autoptr (GError) error = NULL;
  g_autoptr (MsBuffer) da = ms_buffer_new (dev, na * 4, &error);
  g_autoptr (MsBuffer) db = ms_buffer_new (dev, nb * 4, &error);
  g_autoptr (MsBuffer) dc = ms_buffer_new (dev, nc * 4, &error);
  g_assert_no_error (error);
  ms_buffer_write (dev, da, 0, a, na * 4, &error);
  ms_buffer_write (dev, db, 0, b, nb * 4, &error);
  ms_buffer_write (dev, dc, 0, want, nc * 4, &error);
  g_assert_no_error (error);

  ms_gemm_batched (blas, c->ta, c->tb, c->m, c->n, c->k, c->alpha, da, ao, lda, sa, db, bo, ldb,
                   sb, c->beta, dc, co, ldc, sc, c->batch);
  g_assert_true (ms_device_finish (dev, &error));
  g_assert_no_error (error);
  g_assert_true (ms_buffer_read (dev, dc, 0, got, nc * 4, &error));
  reference (c, a, ao, lda, sa, b, bo, ldb, sb, want, co, ldc, sc);
  /* float32 accumulation over K terms of unit variance: error grows like sqrt(K) * eps. */
  g_autofree char *what = g_strdup_printf ("%s %c%c m=%d n=%d k=%d batch=%d", ms_blas_name (blas),
                                           c->ta ? 'T' : 'N', c->tb ? 'T' : 'N', c->m, c->n,
                                           c->k, c->batch);
  ms_test_assert_close (what, got, want, nc, 2e-5 * (c->k + 10));
  g_assert_cmpfloat (ms_test_nmse (got, want, nc), <, 1e-10);
}

static void
run_all (MsBlasKind kind)
{
  g_autoptr (MsBlas) blas = ms_test_blas (kind);
  if (blas == NULL)
    return;
  const int shapes[][3] = { { 1, 1, 1 }, { 7, 5, 3 }, { 33, 17, 65 }, { 64, 96, 128 },
                            { 3, 130, 1 } };
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (int t = 0; t < 4; t++)
      {
        Case c = { t & 1, (t >> 1) & 1, shapes[s][0], shapes[s][1], shapes[s][2], 1, 1.0f, 0.0f, 0 };
        run_case (blas, &c);
        c.alpha = 0.5f, c.beta = -1.5f, c.pad = 3;
        run_case (blas, &c);
        c.batch = 4;
        run_case (blas, &c);
      }
}

static void
test_host (void)
{
  run_all (MS_BLAS_HOST);
}

static void
test_clblast (void)
{
  run_all (MS_BLAS_CLBLAST);
}

static void
test_bad_shapes (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsDevice *dev = ms_blas_device (blas);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBuffer) small = ms_buffer_new (dev, 16 * 4, &error);
  /* 4x4 times 4x4 fits; 5x4 does not. */
  ms_gemm (blas, FALSE, FALSE, 5, 4, 4, 1, small, 0, 4, small, 0, 4, 0, small, 0, 4);
  g_assert_false (ms_device_finish (dev, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "A (5×4"));
  g_clear_error (&error);
  ms_gemm (blas, FALSE, FALSE, 4, 4, 4, 1, small, 0, 3, small, 0, 4, 0, small, 0, 4);
  g_assert_false (ms_device_finish (dev, &error));
  g_assert_nonnull (strstr (error->message, "leading dimension"));
}

static void
test_kind_parse (void)
{
  MsBlasKind k;
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_blas_kind_parse ("CLBlast", &k, &error) && k == MS_BLAS_CLBLAST);
  g_assert_true (ms_blas_kind_parse ("host", &k, &error) && k == MS_BLAS_HOST);
  g_assert_false (ms_blas_kind_parse ("cublas", &k, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blas/host", test_host);
  g_test_add_func ("/blas/clblast", test_clblast);
  g_test_add_func ("/blas/bad-shapes", test_bad_shapes);
  g_test_add_func ("/blas/kind-parse", test_kind_parse);
  return ms_test_run ();
}
