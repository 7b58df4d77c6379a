/* The CLBlast backend: works on every OpenCL device. CLBlast compiles and caches its kernels
 * on first use per device (seconds on PoCL), so the first call of a process is slow. */
#include "ms-blas.h"

#include <clblast_c.h>

static const char *
status_name (CLBlastStatusCode s)
{
  switch (s)
    {
    case CLBlastNotImplemented: return "CLBlastNotImplemented";
    case CLBlastInvalidMatrixA: return "CLBlastInvalidMatrixA";
    case CLBlastInvalidMatrixB: return "CLBlastInvalidMatrixB";
    case CLBlastInvalidMatrixC: return "CLBlastInvalidMatrixC";
    case CLBlastInvalidVectorX: return "CLBlastInvalidVectorX";
    case CLBlastInvalidVectorY: return "CLBlastInvalidVectorY";
    case CLBlastInvalidDimension: return "CLBlastInvalidDimension";
    case CLBlastInvalidLeadDimA: return "CLBlastInvalidLeadDimA";
    case CLBlastInvalidLeadDimB: return "CLBlastInvalidLeadDimB";
    case CLBlastInvalidLeadDimC: return "CLBlastInvalidLeadDimC";
    case CLBlastInvalidIncrementX: return "CLBlastInvalidIncrementX";
    case CLBlastInvalidIncrementY: return "CLBlastInvalidIncrementY";
    case CLBlastInsufficientMemoryA: return "CLBlastInsufficientMemoryA";
    case CLBlastInsufficientMemoryB: return "CLBlastInsufficientMemoryB";
    case CLBlastInsufficientMemoryC: return "CLBlastInsufficientMemoryC";
    case CLBlastInsufficientMemoryX: return "CLBlastInsufficientMemoryX";
    case CLBlastInsufficientMemoryY: return "CLBlastInsufficientMemoryY";
    case CLBlastInvalidBatchCount: return "CLBlastInvalidBatchCount";
    case CLBlastInvalidOverrideKernel: return "CLBlastInvalidOverrideKernel";
    case CLBlastMissingOverrideParameter: return "CLBlastMissingOverrideParameter";
    case CLBlastInvalidLocalMemUsage: return "CLBlastInvalidLocalMemUsage";
    case CLBlastNoHalfPrecision: return "CLBlastNoHalfPrecision";
    case CLBlastNoDoublePrecision: return "CLBlastNoDoublePrecision";
    case CLBlastInvalidVectorScalar: return "CLBlastInvalidVectorScalar";
    case CLBlastInsufficientMemoryScalar: return "CLBlastInsufficientMemoryScalar";
    case CLBlastDatabaseError: return "CLBlastDatabaseError";
    case CLBlastUnknownError: return "CLBlastUnknownError";
    case CLBlastUnexpectedError: return "CLBlastUnexpectedError";
    default: return ms_cl_error_name ((cl_int) s);  /* CLBlast passes OpenCL errors through */
    }
}

static void
clear_cache (void)
{
  CLBlastClearCache ();
}

void
ms_blas_clblast_gemm (MsDevice *dev, const MsGemmCall *g)
{
  dev->release_caches = clear_cache;
  CLBlastTranspose ta = g->ta ? CLBlastTransposeYes : CLBlastTransposeNo;
  CLBlastTranspose tb = g->tb ? CLBlastTransposeYes : CLBlastTransposeNo;
  CLBlastStatusCode s;
  if (g->batch == 1)
    s = CLBlastSgemm (CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a->mem, g->ao,
                      g->lda, g->b->mem, g->bo, g->ldb, g->beta, g->c->mem, g->co, g->ldc,
                      &dev->queue, NULL);
  else
    s = CLBlastSgemmStridedBatched (CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha,
                                    g->a->mem, g->ao, g->lda, g->sa, g->b->mem, g->bo, g->ldb,
                                    g->sb, g->beta, g->c->mem, g->co, g->ldc, g->sc, g->batch,
                                    &dev->queue, NULL);
  if (s != CLBlastSuccess)
    ms_device_fail (dev, g_error_new (MS_ERROR, MS_ERROR_BLAS,
                                      "CLBlastSgemm%s(%d×%d×%d) failed: %s",
                                      g->batch == 1 ? "" : "StridedBatched", g->m, g->n, g->k,
                                      status_name (s)));
}
