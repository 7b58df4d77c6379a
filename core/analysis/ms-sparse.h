/* Sparse coding of activations on the device: a dictionary of K unit atoms learnt from rows
 * X (N, d) by online dictionary learning, sparse codes of rows by FISTA, and the per-row and
 * per-task measures the sparse-coding account of memorization talks about (active atoms,
 * active atoms needed for a fixed reconstruction error, atoms specific to a task).
 *
 * Problem, per row x (after the dictionary's preprocessing, below):
 *     minimise over z (K):  1/2 |x - z D|^2 + lambda |z|_1,    D (K, d), |D_k| = 1.
 * Codes: FISTA (Beck & Teboulle 2009) from z = 0, a fixed number of iterations, step 1/L with
 * L the largest eigenvalue of D D^T (power iteration, 1% margin); gradients by two GEMMs,
 * (z D - x) D^T. Dictionary: Mairal, Bach, Ponce & Sapiro 2009 ("Online dictionary learning
 * for sparse coding"): for each mini-batch, codes under the current D, the statistics
 * A = beta A + Z^T Z / m and B = beta B + Z^T X / m (a running average of the mini-batches
 * until it spans MEMORY rows, exponential forgetting with that horizon after), then one pass
 * of block-coordinate descent over the atoms, each renormalised to unit norm. Atoms unused for a whole epoch are re-initialised from the rows that were
 * reconstructed worst in that epoch. Initial atoms: distinct random rows. Everything is
 * seeded: the same seed on the same device gives the same dictionary. */
#pragma once

#include "blas/ms-blas.h"

G_BEGIN_DECLS

#define MS_SPARSE_ACTIVE 1e-6   /* |z_k| above this: atom k is active */

typedef struct {
  int n_atoms;          /* K (no default: set it; e.g. 4 d) */
  float lambda;         /* L1 weight: 0.1 (rows are unit-norm by default, so it is relative) */
  int iters;            /* FISTA iterations per coding: 100 */
  int epochs;           /* passes over the rows: 10 */
  int batch;            /* mini-batch rows: 256 */
  int memory;           /* rows the statistics remember (beta = 1 - batch / memory): <= 0:
                         * min(max(2 batch, 10 K), max(N / 2, 2 batch)) */
  gboolean center;      /* subtract the mean row of the training rows: TRUE */
  gboolean unit_norm;   /* scale each row (after centering) to unit L2 norm: TRUE */
  guint64 seed;         /* 0x5ca75e */
} MsSparseParams;

void ms_sparse_params_init (MsSparseParams *params);

typedef struct _MsDictionary MsDictionary;

/* Learns a dictionary from the N rows of X (N, d) at element XO of buffer X. The dictionary
 * keeps the preprocessing (mean row, unit norm) and applies it to every row it codes later.
 * Fails on bad parameters (MS_ERROR_INVALID) and device errors. */
MsDictionary *ms_dictionary_learn (MsBlas *blas, const MsBuffer *x, gsize xo, int N, int d,
                                   const MsSparseParams *params, GError **error);
/* A dictionary from given ATOMS (K, d), each normalised to unit norm here; MEAN (d) is
 * subtracted from rows before coding (NULL: none); UNIT_NORM scales rows to unit norm.
 * LAMBDA and ITERS become the defaults of ms_sparse_encode(). */
MsDictionary *ms_dictionary_new (MsBlas *blas, const float *atoms, int K, int d,
                                 const float *mean, gboolean unit_norm, float lambda, int iters,
                                 GError **error);
void ms_dictionary_free (MsDictionary *dict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsDictionary, ms_dictionary_free)

int ms_dictionary_n_atoms (const MsDictionary *dict);
int ms_dictionary_dim (const MsDictionary *dict);
/* Copies the atoms (K, d) and, if MEAN is not NULL, the mean row (d; zeros without centering). */
gboolean ms_dictionary_read (MsDictionary *dict, float *atoms, float *mean, GError **error);
/* The power-iteration estimate of the largest eigenvalue of D D^T (the FISTA step is 1 / (1.01
 * times it)). */
gboolean ms_dictionary_lipschitz (MsDictionary *dict, double *lipschitz, GError **error);

/* What learning went through, per epoch. */
typedef struct {
  double objective;     /* mean over the epoch's rows of 1/2 |x - z D|^2 + lambda |z|_1 */
  double rel_err;       /* mean relative reconstruction error |x - z D| / |x| */
  double active;        /* mean active atoms per row */
  int resampled;        /* atoms re-initialised at the end of the epoch */
} MsSparseEpoch;

/* The epochs of the learning that made DICT (N_EPOCHS of them; none for ms_dictionary_new). */
const MsSparseEpoch *ms_dictionary_epochs (const MsDictionary *dict, int *n_epochs);

/* ---- codes --------------------------------------------------------------------------- */

/* Per row: relative reconstruction error |x - z D| / |x| (0 for a zero row), of the row after
 * preprocessing. */
typedef struct {
  int active;           /* atoms with |z_k| > MS_SPARSE_ACTIVE */
  float l1;             /* sum |z_k| */
  float rel_err;
  float lambda;         /* the L1 weight the codes were computed with */
} MsSparseSample;

typedef struct {
  float lambda;         /* <= 0: the dictionary's */
  int iters;            /* <= 0: the dictionary's */
  /* > 0: per row, the sparsest codes along the lasso path that reconstruct the row within
   * this relative error: a bisection on log lambda between |x| (z = 0) and 1e-4 |x| for the
   * largest lambda whose codes reach it (the reconstruction error grows with lambda), each
   * step warm-started from the last. The codes and statistics are those at the lambda found
   * (the smallest tried, if none reached the target: then rel_err > target tells). */
  float target_err;
  int search_steps;     /* bisection steps: <= 0: 10 */
  const int *labels;    /* (N) task of each row, 0 .. n_tasks - 1, for TASK_COUNTS; or NULL */
  int n_tasks;
  int chunk_rows;       /* rows coded at once: <= 0: as many as fit ~256 MiB of workspace */
} MsSparseEncodeOptions;

/* Codes the N rows of X (N, d) at element XO. Outputs, each optional: Z (N, K) at element ZO of
 * buffer Z (NULL: not kept), SAMPLES (N), and TASK_COUNTS (n_tasks, K): for each task the
 * number of its rows in which each atom is active (needs LABELS). OPT NULL: the defaults.
 * Rows are coded in chunks, so N may exceed what fits in the workspace at once. */
gboolean ms_sparse_encode (MsDictionary *dict, const MsBuffer *x, gsize xo, int N,
                           const MsSparseEncodeOptions *opt, MsBuffer *z, gsize zo,
                           MsSparseSample *samples, guint32 *task_counts, GError **error);

/* ---- task support ----------------------------------------------------------------------- */

typedef struct {
  int n_rows;
  int atoms_used;         /* the task's support: atoms active in >= MIN_FRAC of its rows (and
                           * in at least one) */
  double mean_active;     /* mean active atoms per row */
  int specific_atoms;     /* atoms of its support in no other task's support */
  double specific_fraction; /* specific_atoms / atoms_used (0 when the support is empty) */
} MsTaskSupport;

/* From the per-task atom counts (N_TASKS, K) of ms_sparse_encode and the rows per task
 * N_ROWS (N_TASKS): each task's support and the part of it no other task uses (an atom is
 * "used rarely" by a task when it is active in fewer than MIN_FRAC of that task's rows). */
void ms_sparse_task_support (const guint32 *counts, const int *n_rows, int n_tasks, int K,
                             double min_frac, MsTaskSupport *out);

G_END_DECLS
