/* GEMM backends against OpenBLAS called directly on the same matrices, in one process:
 *   build/bench/bench-gemm [REPS]
 * prints GFLOP/s (median [min .. max] of REPS runs) and each backend's ratio to OpenBLAS. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-util.h"
#include "blas/ms-blas.h"

typedef struct {
  MsBlas *blas;
  MsDevice *dev;
  MsBuffer *a, *b, *c;
  float *ha, *hb, *hc;
  int m, n, k;
} Gemm;

static void
run_direct (gpointer p)
{
  Gemm *g = p;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, g->m, g->n, g->k, 1.0f, g->ha, g->k,
               g->hb, g->k, 0.0f, g->hc, g->n);
}

static void
run_backend (gpointer p)
{
  Gemm *g = p;
  ms_gemm (g->blas, FALSE, TRUE, g->m, g->n, g->k, 1.0f, g->a, 0, g->k, g->b, 0, g->k, 0.0f,
           g->c, 0, g->n);
  ms_device_finish (g->dev, NULL);
}

int
main (int argc, char **argv)
{
  int reps = argc > 1 ? atoi (argv[1]) : 7;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsDevice) dev = ms_device_open (NULL, &error);
  if (dev == NULL)
    {
      g_printerr ("bench-gemm: %s\n", error->message);
      return 1;
    }
  g_autofree char *desc = ms_device_describe (dev);
  const char *coretype = g_getenv ("OPENBLAS_CORETYPE");
  printf ("device: %s\nOpenBLAS: %s, OPENBLAS_CORETYPE=%s\n", desc, openblas_get_config (),
          coretype ? coretype : "(unset)");
  printf ("%-18s %-8s %26s %26s %8s\n", "m×n×k (NT)", "backend", "GFLOP/s backend",
          "GFLOP/s OpenBLAS direct", "ratio");
  const int sizes[][3] = { { 256, 256, 256 }, { 512, 512, 512 }, { 1024, 1024, 1024 },
                           { 256, 2304, 768 }, { 256, 768, 3072 }, { 256, 50304, 768 },
                           { 2048, 2048, 2048 } };
  MsBlasKind kinds[] = { MS_BLAS_HOST, MS_BLAS_CLBLAST };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      Gemm g = { .dev = dev, .m = sizes[s][0], .n = sizes[s][1], .k = sizes[s][2] };
      gsize na = (gsize) g.m * g.k, nb = (gsize) g.n * g.k, nc = (gsize) g.m * g.n;
      g.ha = g_new (float, na);
      g.hb = g_new (float, nb);
      g.hc = g_new (float, nc);
      for (gsize i = 0; i < na; i++)
        g.ha[i] = (float) (i % 17) / 17.0f;
      for (gsize i = 0; i < nb; i++)
        g.hb[i] = (float) (i % 13) / 13.0f;
      g.a = ms_buffer_new (dev, na * 4, &error);
      g.b = ms_buffer_new (dev, nb * 4, &error);
      g.c = ms_buffer_new (dev, nc * 4, &error);
      ms_buffer_write (dev, g.a, 0, g.ha, na * 4, &error);
      ms_buffer_write (dev, g.b, 0, g.hb, nb * 4, &error);
      double flops = 2.0 * g.m * g.n * g.k / 1e9;
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        {
          g.blas = ms_blas_new (dev, kinds[k], NULL);
          if (g.blas == NULL)
            continue;
          /* Interleave so that both see the same machine state. */
          MsTimes tb = ms_bench_time (run_backend, &g, 2, reps);
          MsTimes td = ms_bench_time (run_direct, &g, 1, reps);
          g_autofree char *rb = ms_bench_rate (&tb, flops), *rd = ms_bench_rate (&td, flops);
          g_autofree char *shape = g_strdup_printf ("%d×%d×%d", g.m, g.n, g.k);
          printf ("%-18s %-8s %26s %26s %7.2fx\n", shape,
                  kinds[k] == MS_BLAS_HOST ? "host" : "clblast", rb, rd, td.median / tb.median);
          ms_blas_free (g.blas);
        }
      ms_buffer_free (g.a);
      ms_buffer_free (g.b);
      ms_buffer_free (g.c);
      g_free (g.ha);
      g_free (g.hb);
      g_free (g.hc);
    }
  if (!ms_device_check (dev, &error))
    {
      g_printerr ("bench-gemm: %s\n", error->message);
      return 1;
    }
  return 0;
}
