/* The host backend: on a CPU device whose buffers are host memory, the fastest GEMM is the
 * host's own BLAS called on those very pointers. The queue is drained first, since the call
 * runs on this thread rather than in the queue. */
#include "ms-blas.h"

#include <cblas.h>

void
ms_blas_host_gemm (MsDevice *dev, const MsGemmCall *g)
{
  if (!ms_device_cl_ok (dev, clFinish (dev->queue), "clFinish (before host GEMM)"))
    return;
  const float *a = (const float *) g->a->host + g->ao;
  const float *b = (const float *) g->b->host + g->bo;
  float *c = (float *) g->c->host + g->co;
  for (int i = 0; i < g->batch; i++)
    cblas_sgemm (CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                 g->tb ? CblasTrans : CblasNoTrans, g->m, g->n, g->k, g->alpha,
                 a + i * g->sa, g->lda, b + i * g->sb, g->ldb, g->beta, c + i * g->sc, g->ldc);
}
