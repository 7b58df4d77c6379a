/* One GEMM interface over device buffers, with two backends: CLBlast for any OpenCL device,
 * and the host's BLAS (OpenBLAS) for CPU devices whose buffers are host memory (zero-copy),
 * where OpenBLAS is 3-10x faster than any OpenCL GEMM. Row-major throughout. */
#pragma once

#include "runtime/ms-runtime.h"

G_BEGIN_DECLS

typedef enum {
  MS_BLAS_AUTO,
  MS_BLAS_CLBLAST,
  MS_BLAS_HOST,
} MsBlasKind;

typedef struct _MsBlas MsBlas;

/* KIND MS_BLAS_AUTO takes $MEMSCOPE_BLAS ("clblast", "host") if set, else the host backend where
 * the device allows it, else CLBlast. Asking for the host backend on a device that cannot use it
 * is an error. */
MsBlas *ms_blas_new (MsDevice *dev, MsBlasKind kind, GError **error);
void ms_blas_free (MsBlas *blas);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsBlas, ms_blas_free)

gboolean ms_blas_kind_parse (const char *text, MsBlasKind *kind, GError **error);
const char *ms_blas_name (const MsBlas *blas);
MsBlasKind ms_blas_kind (const MsBlas *blas);
/* Whether the host backend can run on DEV (a CPU device with zero-copy buffers). */
gboolean ms_blas_host_usable (const MsDevice *dev);
MsDevice *ms_blas_device (const MsBlas *blas);

/* For each of BATCH problems i: C_i = alpha * op(A_i) * op(B_i) + beta * C_i, where op(A_i) is
 * M×K, op(B_i) is K×N, C_i is M×N, all row-major; X_i starts at element XO + i * SX of buffer X
 * and has leading dimension LDX. Enqueued in order with the device's kernels; errors are
 * sticky on the device. */
void ms_gemm_batched (MsBlas *blas, gboolean trans_a, gboolean trans_b, int m, int n, int k,
                      float alpha, const MsBuffer *a, gsize ao, int lda, gsize sa,
                      const MsBuffer *b, gsize bo, int ldb, gsize sb, float beta,
                      MsBuffer *c, gsize co, int ldc, gsize sc, int batch);

static inline void
ms_gemm (MsBlas *blas, gboolean trans_a, gboolean trans_b, int m, int n, int k, float alpha,
         const MsBuffer *a, gsize ao, int lda, const MsBuffer *b, gsize bo, int ldb, float beta,
         MsBuffer *c, gsize co, int ldc)
{
  ms_gemm_batched (blas, trans_a, trans_b, m, n, k, alpha, a, ao, lda, 0, b, bo, ldb, 0, beta,
                   c, co, ldc, 0, 1);
}

/* ---- backends (internal) ------------------------------------------------------------- */

typedef struct {
  gboolean ta, tb;
  int m, n, k;
  float alpha, beta;
  const MsBuffer *a, *b;
  MsBuffer *c;
  gsize ao, bo, co, sa, sb, sc;
  int lda, ldb, ldc, batch;
} MsGemmCall;

void ms_blas_clblast_gemm (MsDevice *dev, const MsGemmCall *g);
void ms_blas_host_gemm (MsDevice *dev, const MsGemmCall *g);

G_END_DECLS
