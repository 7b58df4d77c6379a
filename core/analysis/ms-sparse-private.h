/* The inside of MsDictionary, shared by the coder (ms-sparse.c) and dictionary learning
 * (ms-dictionary.c): the atoms, the preprocessing, and a workspace of rows being coded. */
#pragma once

#include "ms-sparse.h"

struct _MsDictionary {
  MsBlas *blas;
  MsDevice *dev;
  int K, d;
  MsBuffer *atoms;        /* (K, d) unit rows */
  MsBuffer *mean;         /* (d) subtracted from rows (zeros without centering) */
  gboolean unit_norm;
  float lambda;
  int iters;
  guint64 seed;

  double lipschitz;       /* power-iteration estimate of the top eigenvalue of D D^T */
  gboolean lipschitz_ok;  /* FALSE once the atoms change */
  MsBuffer *gram;         /* (m, m), m = min(K, d): D D^T or D^T D */
  MsBuffer *power;        /* (2m + 1): v, w = gram v, |w| */

  /* Workspace for up to cap rows (tensors at offset 0 of their buffers). */
  int cap;
  MsBuffer *xp;           /* (cap, d) preprocessed rows */
  MsBuffer *r;            /* (cap, d) residuals z D - x */
  MsBuffer *z, *y, *g;    /* (cap, K) codes, FISTA's extrapolated point, gradient */
  MsBuffer *lam;          /* (cap) L1 weight per row */
  MsBuffer *stats;        /* (cap, 4) active, l1, |r|^2, |x|^2 */
  MsBuffer *labels;       /* int (cap) */

  GArray *epochs;         /* MsSparseEpoch */
};

/* A dictionary with zero atoms and mean, ready for ms-dictionary.c to fill. */
MsDictionary *ms_dictionary_alloc (MsBlas *blas, int K, int d, gboolean unit_norm, float lambda,
                                   int iters, GError **error);
/* Makes room for ROWS rows in the workspace. */
gboolean ms_sparse_reserve (MsDictionary *dict, int rows, GError **error);
/* Preprocesses N rows of x (N, d) at element XO into the workspace: rows N0.. or, with IDX
 * (an int buffer), rows idx[IO ..]. */
void ms_sparse_prep (MsDictionary *dict, const MsBuffer *x, gsize xo, const MsBuffer *idx,
                     int io, int n0, int n);
/* Fills the workspace's per-row L1 weights: LAM (N) from the host, or all equal to VALUE. */
gboolean ms_sparse_set_lambda (MsDictionary *dict, const float *lam, float value, int n,
                               GError **error);
/* Enqueues ITERS FISTA iterations over the first N workspace rows, from z = 0 or (WARM) from
 * the codes already there. Needs an up-to-date Lipschitz constant. */
void ms_sparse_fista (MsDictionary *dict, int n, int iters, gboolean warm);
/* r = z D - x for the first N rows, then their statistics, read into STATS (N, 4). */
gboolean ms_sparse_row_stats (MsDictionary *dict, int n, float *stats, GError **error);
/* One block-coordinate pass of the dictionary update over the atoms, given A (K, K) and
 * Bs (K, d); E (K, d) and dD (MS_SPARSE_BLOCK, d) are scratch. */
#define MS_SPARSE_BLOCK 32
void ms_sparse_update_atoms (MsDictionary *dict, const MsBuffer *A, const MsBuffer *Bs,
                             MsBuffer *E, MsBuffer *dD);
/* Recomputes the Lipschitz constant if the atoms changed. */
gboolean ms_sparse_update_lipschitz (MsDictionary *dict, GError **error);
