/* Choosing a GEMM backend and checking every call's shapes against its buffers before it
 * reaches a backend, so a wrong offset is an error message instead of corrupted memory. */
#include "ms-blas.h"

struct _MsBlas {
  MsDevice *dev;
  MsBlasKind kind;
};

gboolean
ms_blas_host_usable (const MsDevice *dev)
{
  return (dev->info->type & CL_DEVICE_TYPE_CPU) && dev->zero_copy;
}

gboolean
ms_blas_kind_parse (const char *text, MsBlasKind *kind, GError **error)
{
  if (text == NULL || *text == '\0' || g_ascii_strcasecmp (text, "auto") == 0)
    *kind = MS_BLAS_AUTO;
  else if (g_ascii_strcasecmp (text, "clblast") == 0)
    *kind = MS_BLAS_CLBLAST;
  else if (g_ascii_strcasecmp (text, "host") == 0 || g_ascii_strcasecmp (text, "openblas") == 0)
    *kind = MS_BLAS_HOST;
  else
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "unknown GEMM backend '%s' (expected auto, clblast or host)", text);
      return FALSE;
    }
  return TRUE;
}

MsBlas *
ms_blas_new (MsDevice *dev, MsBlasKind kind, GError **error)
{
  if (kind == MS_BLAS_AUTO)
    {
      const char *env = g_getenv ("MEMSCOPE_BLAS");
      g_autoptr (GError) local = NULL;
      if (!ms_blas_kind_parse (env, &kind, &local))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "MEMSCOPE_BLAS: %s", local->message);
          return NULL;
        }
    }
  if (kind == MS_BLAS_AUTO)
    kind = ms_blas_host_usable (dev) ? MS_BLAS_HOST : MS_BLAS_CLBLAST;
  if (kind == MS_BLAS_HOST && !ms_blas_host_usable (dev))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "the host GEMM backend needs a CPU device whose buffers are host memory; "
                   "%s is not one (use clblast)", dev->info->name);
      return NULL;
    }
  MsBlas *blas = g_new0 (MsBlas, 1);
  blas->dev = dev;
  blas->kind = kind;
  return blas;
}

void
ms_blas_free (MsBlas *blas)
{
  g_free (blas);
}

const char *
ms_blas_name (const MsBlas *blas)
{
  return blas->kind == MS_BLAS_HOST ? "host (OpenBLAS)" : "CLBlast";
}

MsBlasKind
ms_blas_kind (const MsBlas *blas)
{
  return blas->kind;
}

MsDevice *
ms_blas_device (const MsBlas *blas)
{
  return blas->dev;
}

/* Last element touched by a ROWS×COLS row-major matrix with leading dimension LD, repeated
 * BATCH times at STRIDE, plus one: the number of floats the call needs from its offset. */
static gboolean
fits (MsDevice *dev, const char *name, const MsBuffer *buf, gsize off, int rows, int cols, int ld,
      gsize stride, int batch)
{
  if (ld < cols || ld < 1)
    {
      ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_INVALID,
                                        "gemm: leading dimension of %s is %d, below its %d columns",
                                        name, ld, cols));
      return FALSE;
    }
  gsize need = off + (gsize) (batch - 1) * stride + (gsize) (rows - 1) * ld + cols;
  if (need * sizeof (float) > buf->bytes)
    {
      ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_INVALID,
                                        "gemm: %s (%d×%d, ld %d, offset %zu, batch %d) reaches "
                                        "element %zu of a buffer of %zu",
                                        name, rows, cols, ld, off, batch, need,
                                        buf->bytes / sizeof (float)));
      return FALSE;
    }
  return TRUE;
}

void
ms_gemm_batched (MsBlas *blas, gboolean trans_a, gboolean trans_b, int m, int n, int k,
                 float alpha, const MsBuffer *a, gsize ao, int lda, gsize sa,
                 const MsBuffer *b, gsize bo, int ldb, gsize sb, float beta,
                 MsBuffer *c, gsize co, int ldc, gsize sc, int batch)
{
  MsDevice *dev = blas->dev;
  if (dev->sticky || m == 0 || n == 0 || batch == 0)
    return;
  if (m < 0 || n < 0 || k < 0 || batch < 0)
    {
      ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_INVALID,
                                        "gemm: negative size m=%d n=%d k=%d batch=%d", m, n, k,
                                        batch));
      return;
    }
  if (k > 0 && (!fits (dev, "A", a, ao, trans_a ? k : m, trans_a ? m : k, lda, sa, batch)
                || !fits (dev, "B", b, bo, trans_b ? n : k, trans_b ? k : n, ldb, sb, batch)))
    return;
  if (!fits (dev, "C", c, co, m, n, ldc, sc, batch))
    return;
  MsGemmCall g = { trans_a, trans_b, m, n, k, alpha, beta, a, b, c, ao, bo, co, sa, sb, sc,
                   lda, ldb, ldc, batch };
  if (blas->kind == MS_BLAS_HOST)
    ms_blas_host_gemm (dev, &g);
  else
    ms_blas_clblast_gemm (dev, &g);
}
