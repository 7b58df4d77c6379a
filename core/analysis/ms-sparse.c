/* Sparse codes of rows under a dictionary, by FISTA on the device: the workspace, the step
 * size by power iteration, the per-row statistics, the search for the L1 weight that reaches
 * a target reconstruction error, and per-task atom supports. Learning is in ms-dictionary.c. */
#include "ms-sparse-private.h"

#include <math.h>
#include <string.h>

/* Rows coded at once: the workspace holds about this many floats at most. */
#define WORKSPACE_FLOATS (64u << 20)
#define POWER_ITERS 50
#define STEP_MARGIN 1.01

void
ms_sparse_params_init (MsSparseParams *params)
{
  *params = (MsSparseParams) { .n_atoms = 0, .lambda = 0.1f, .iters = 100, .epochs = 10,
                               .batch = 256, .center = TRUE, .unit_norm = TRUE,
                               .seed = 0x5ca75e };
}

MsDictionary *
ms_dictionary_alloc (MsBlas *blas, int K, int d, gboolean unit_norm, float lambda, int iters,
                     GError **error)
{
  if (K < 1 || d < 1 || (gsize) K * MAX (K, d) > G_MAXINT32 || !(lambda >= 0) || iters < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "a dictionary of %d atoms of dimension %d, lambda %g, %d iterations: need "
                   "K >= 1, d >= 1, lambda >= 0, iterations >= 1 (and K * max(K, d) < 2^31)",
                   K, d, lambda, iters);
      return NULL;
    }
  g_autoptr (MsDictionary) dict = g_new0 (MsDictionary, 1);
  dict->blas = blas;
  dict->dev = ms_blas_device (blas);
  dict->K = K;
  dict->d = d;
  dict->unit_norm = unit_norm;
  dict->lambda = lambda;
  dict->iters = iters;
  dict->epochs = g_array_new (FALSE, FALSE, sizeof (MsSparseEpoch));
  int m = MIN (K, d);
  if (!(dict->atoms = ms_buffer_new (dict->dev, (gsize) K * d * sizeof (float), error))
      || !(dict->mean = ms_buffer_new (dict->dev, d * sizeof (float), error))
      || !(dict->gram = ms_buffer_new (dict->dev, (gsize) m * m * sizeof (float), error))
      || !(dict->power = ms_buffer_new (dict->dev, (2 * m + 1) * sizeof (float), error)))
    return NULL;
  /* A fixed, generic start for the power iteration: 1 + i/m is orthogonal to no top
   * eigenvector in practice, and later calls start from the last vector. */
  g_autofree float *v = g_new (float, m);
  for (int i = 0; i < m; i++)
    v[i] = (1.0f + (float) i / m) / sqrtf (m);
  if (!ms_buffer_write (dict->dev, dict->power, 0, v, m * sizeof (float), error))
    return NULL;
  return g_steal_pointer (&dict);
}

MsDictionary *
ms_dictionary_new (MsBlas *blas, const float *atoms, int K, int d, const float *mean,
                   gboolean unit_norm, float lambda, int iters, GError **error)
{
  g_autoptr (MsDictionary) dict = ms_dictionary_alloc (blas, K, d, unit_norm, lambda, iters, error);
  if (dict == NULL)
    return NULL;
  g_autofree float *unit = g_new (float, (gsize) K * d);
  for (int k = 0; k < K; k++)
    {
      double ss = 0;
      for (int c = 0; c < d; c++)
        ss += (double) atoms[(gsize) k * d + c] * atoms[(gsize) k * d + c];
      if (!(ss > 0) || !isfinite (ss))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "atom %d of the dictionary is zero or not finite", k);
          return NULL;
        }
      for (int c = 0; c < d; c++)
        unit[(gsize) k * d + c] = (float) (atoms[(gsize) k * d + c] / sqrt (ss));
    }
  if (!ms_buffer_write (dict->dev, dict->atoms, 0, unit, (gsize) K * d * sizeof (float), error)
      || (mean && !ms_buffer_write (dict->dev, dict->mean, 0, mean, d * sizeof (float), error)))
    return NULL;
  return g_steal_pointer (&dict);
}

void
ms_dictionary_free (MsDictionary *dict)
{
  if (dict == NULL)
    return;
  MsBuffer *bufs[] = { dict->atoms, dict->mean, dict->gram, dict->power, dict->xp, dict->r,
                       dict->z, dict->y, dict->g, dict->lam, dict->stats, dict->labels };
  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
    ms_buffer_free (bufs[i]);
  if (dict->epochs)
    g_array_unref (dict->epochs);
  g_free (dict);
}

int ms_dictionary_n_atoms (const MsDictionary *dict) { return dict->K; }
int ms_dictionary_dim (const MsDictionary *dict) { return dict->d; }

const MsSparseEpoch *
ms_dictionary_epochs (const MsDictionary *dict, int *n_epochs)
{
  *n_epochs = dict->epochs->len;
  return (const MsSparseEpoch *) dict->epochs->data;
}

gboolean
ms_dictionary_read (MsDictionary *dict, float *atoms, float *mean, GError **error)
{
  return ms_buffer_read (dict->dev, dict->atoms, 0, atoms, (gsize) dict->K * dict->d * sizeof (float),
                         error)
         && (mean == NULL
             || ms_buffer_read (dict->dev, dict->mean, 0, mean, dict->d * sizeof (float), error));
}

gboolean
ms_sparse_update_lipschitz (MsDictionary *dict, GError **error)
{
  if (dict->lipschitz_ok)
    return TRUE;
  const int K = dict->K, d = dict->d, m = MIN (K, d);
  /* The nonzero eigenvalues of D D^T (K, K) and D^T D (d, d) are the same: use the smaller. */
  if (K <= d)
    ms_gemm (dict->blas, FALSE, TRUE, K, K, d, 1.0f, dict->atoms, 0, d, dict->atoms, 0, d, 0.0f,
             dict->gram, 0, K);
  else
    ms_gemm (dict->blas, TRUE, FALSE, d, d, K, 1.0f, dict->atoms, 0, d, dict->atoms, 0, d, 0.0f,
             dict->gram, 0, d);
  for (int it = 0; it < POWER_ITERS; it++)
    {
      ms_gemm (dict->blas, FALSE, FALSE, m, 1, m, 1.0f, dict->gram, 0, m, dict->power, 0, 1,
               0.0f, dict->power, m, 1);
      ms_run (dict->dev, "sparse_normalize_vec", 1, (size_t[]){ 64 }, (size_t[]){ 64 },
              MS_ARG_MEM, dict->power, MS_ARG_INT, 0, MS_ARG_MEM, dict->power, MS_ARG_INT, m,
              MS_ARG_MEM, dict->power, MS_ARG_INT, 2 * m, MS_ARG_INT, m, MS_ARG_END);
    }
  float norm;
  if (!ms_buffer_read (dict->dev, dict->power, 2 * m * sizeof (float), &norm, sizeof norm, error))
    return FALSE;
  if (!(norm > 0) || !isfinite (norm))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "the dictionary's Gram matrix has largest eigenvalue %g: are the atoms finite "
                   "and nonzero?", norm);
      return FALSE;
    }
  dict->lipschitz = norm;
  dict->lipschitz_ok = TRUE;
  return TRUE;
}

gboolean
ms_dictionary_lipschitz (MsDictionary *dict, double *lipschitz, GError **error)
{
  if (!ms_sparse_update_lipschitz (dict, error))
    return FALSE;
  *lipschitz = dict->lipschitz;
  return TRUE;
}

/* ---- the workspace and the coder ------------------------------------------------------- */

gboolean
ms_sparse_reserve (MsDictionary *dict, int rows, GError **error)
{
  if (rows <= dict->cap)
    return TRUE;
  MsBuffer **bufs[] = { &dict->xp, &dict->r, &dict->z, &dict->y, &dict->g, &dict->lam,
                        &dict->stats, &dict->labels };
  gsize per_row[] = { dict->d, dict->d, dict->K, dict->K, dict->K, 1, 4, 1 };
  dict->cap = 0;
  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
    {
      g_clear_pointer (bufs[i], ms_buffer_free);
      *bufs[i] = ms_buffer_new (dict->dev, (gsize) rows * per_row[i] * 4, error);
      if (*bufs[i] == NULL)
        return FALSE;
    }
  dict->cap = rows;
  return TRUE;
}

void
ms_sparse_prep (MsDictionary *dict, const MsBuffer *x, gsize xo, const MsBuffer *idx, int io,
                int n0, int n)
{
  ms_run1 (dict->dev, "sparse_prep_rows", n, MS_ARG_MEM, dict->xp, MS_ARG_INT, 0, MS_ARG_MEM, x,
           MS_ARG_INT, (int) xo, MS_ARG_MEM, idx ? idx : dict->labels, MS_ARG_INT, io,
           MS_ARG_INT, idx != NULL, MS_ARG_INT, n0, MS_ARG_MEM, dict->mean, MS_ARG_INT,
           dict->unit_norm, MS_ARG_INT, n, MS_ARG_INT, dict->d, MS_ARG_END);
}

gboolean
ms_sparse_set_lambda (MsDictionary *dict, const float *lam, float value, int n, GError **error)
{
  g_autofree float *fill = NULL;
  if (lam == NULL)
    {
      fill = g_new (float, n);
      for (int i = 0; i < n; i++)
        fill[i] = value;
      lam = fill;
    }
  return ms_buffer_write (dict->dev, dict->lam, 0, lam, n * sizeof (float), error);
}

void
ms_sparse_fista (MsDictionary *dict, int n, int iters, gboolean warm)
{
  const int K = dict->K, d = dict->d;
  gsize zbytes = (gsize) n * K * sizeof (float);
  if (!warm)
    ms_buffer_zero (dict->dev, dict->z, 0, zbytes);
  ms_buffer_copy (dict->dev, dict->z, 0, dict->y, 0, zbytes);
  double inv_l = 1.0 / (STEP_MARGIN * dict->lipschitz), t = 1.0;
  for (int it = 0; it < iters; it++)
    {
      /* r (n, d) = y D - x;  g (n, K) = r D^T */
      ms_buffer_copy (dict->dev, dict->xp, 0, dict->r, 0, (gsize) n * d * sizeof (float));
      ms_gemm (dict->blas, FALSE, FALSE, n, d, K, 1.0f, dict->y, 0, K, dict->atoms, 0, d, -1.0f,
               dict->r, 0, d);
      ms_gemm (dict->blas, FALSE, TRUE, n, K, d, 1.0f, dict->r, 0, d, dict->atoms, 0, d, 0.0f,
               dict->g, 0, K);
      double t1 = (1.0 + sqrt (1.0 + 4.0 * t * t)) / 2.0;
      double momentum = (t - 1.0) / t1;
      t = t1;
      ms_run1 (dict->dev, "fista_step", (gsize) n * K, MS_ARG_MEM, dict->z, MS_ARG_MEM, dict->y,
               MS_ARG_MEM, dict->g, MS_ARG_MEM, dict->lam, MS_ARG_INT, n, MS_ARG_INT, K,
               MS_ARG_FLOAT, inv_l, MS_ARG_FLOAT, momentum, MS_ARG_END);
    }
}

gboolean
ms_sparse_row_stats (MsDictionary *dict, int n, float *stats, GError **error)
{
  const int K = dict->K, d = dict->d;
  ms_buffer_copy (dict->dev, dict->xp, 0, dict->r, 0, (gsize) n * d * sizeof (float));
  ms_gemm (dict->blas, FALSE, FALSE, n, d, K, 1.0f, dict->z, 0, K, dict->atoms, 0, d, -1.0f,
           dict->r, 0, d);
  ms_run1 (dict->dev, "sparse_row_stats", n, MS_ARG_MEM, dict->stats, MS_ARG_MEM, dict->z,
           MS_ARG_MEM, dict->r, MS_ARG_MEM, dict->xp, MS_ARG_INT, n, MS_ARG_INT, K, MS_ARG_INT, d,
           MS_ARG_END);
  return ms_buffer_read (dict->dev, dict->stats, 0, stats, (gsize) n * 4 * sizeof (float), error);
}

static double
rel_err (const float *s)
{
  return s[3] > 0 ? sqrt (s[2] / s[3]) : (s[2] > 0 ? INFINITY : 0.0);
}

/* Per row of the chunk: the bisection on log lambda for the largest lambda whose codes reach
 * TARGET, leaving the codes at that lambda in the workspace; LAM (n) gets the lambdas. */
static gboolean
search_lambda (MsDictionary *dict, int n, float target, int steps, int iters, float *lam,
               float *stats, GError **error)
{
  g_autofree double *lo = g_new (double, n), *hi = g_new (double, n);
  /* |x| from the codes z = 0; no lambda above |x| >= max_k |<D_k, x>| has nonzero codes. */
  ms_buffer_zero (dict->dev, dict->z, 0, (gsize) n * dict->K * sizeof (float));
  if (!ms_sparse_row_stats (dict, n, stats, error))
    return FALSE;
  for (int i = 0; i < n; i++)
    {
      hi[i] = MAX (sqrt (stats[4 * i + 3]), 1e-30);
      lo[i] = 1e-4 * hi[i];
    }
  for (int s = 0; s <= steps; s++)
    {
      for (int i = 0; i < n; i++)
        lam[i] = (float) (s < steps ? sqrt (lo[i] * hi[i]) : lo[i]);
      if (!ms_sparse_set_lambda (dict, lam, 0, n, error))
        return FALSE;
      ms_sparse_fista (dict, n, iters, TRUE);
      if (!ms_sparse_row_stats (dict, n, stats, error))
        return FALSE;
      for (int i = 0; s < steps && i < n; i++)
        {
          if (rel_err (stats + 4 * i) <= target)
            lo[i] = lam[i];
          else
            hi[i] = lam[i];
        }
    }
  return TRUE;
}

gboolean
ms_sparse_encode (MsDictionary *dict, const MsBuffer *x, gsize xo, int N,
                  const MsSparseEncodeOptions *opt, MsBuffer *z, gsize zo,
                  MsSparseSample *samples, guint32 *task_counts, GError **error)
{
  static const MsSparseEncodeOptions defaults = { 0 };
  if (opt == NULL)
    opt = &defaults;
  const int K = dict->K, d = dict->d;
  float lambda = opt->lambda > 0 ? opt->lambda : dict->lambda;
  int iters = opt->iters > 0 ? opt->iters : dict->iters;
  int steps = opt->search_steps > 0 ? opt->search_steps : 10;
  if (N < 1 || (gsize) N * d > G_MAXINT32 || !(opt->target_err >= 0)
      || (task_counts && (opt->labels == NULL || opt->n_tasks < 1)))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "sparse codes of %d rows (target error %g, %s labels for task counts): "
                   "need 1 to 2^31 / d rows, a target >= 0 and labels with counts", N,
                   opt->target_err, opt->labels ? "with" : "without");
      return FALSE;
    }
  for (int i = 0; task_counts && i < N; i++)
    if (opt->labels[i] < 0 || opt->labels[i] >= opt->n_tasks)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "row %d has task label %d, outside 0 .. %d", i, opt->labels[i],
                     opt->n_tasks - 1);
        return FALSE;
      }
  if ((xo + (gsize) N * d) * sizeof (float) > x->bytes)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%d rows of %d at element %zu are beyond a buffer of %zu bytes", N, d, xo,
                   x->bytes);
      return FALSE;
    }
  if (z && (zo + (gsize) N * K) * sizeof (float) > z->bytes)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "codes of %d rows × %d atoms at element %zu do not fit a buffer of %zu bytes",
                   N, K, zo, z->bytes);
      return FALSE;
    }
  gsize fit = MAX (WORKSPACE_FLOATS / (3 * K + 2 * d + 6), 1u);
  int chunk = (int) MIN ((gsize) N, opt->chunk_rows > 0 ? (gsize) opt->chunk_rows : fit);
  g_autoptr (MsBuffer) counts = NULL;
  if (task_counts)
    {
      gsize bytes = (gsize) opt->n_tasks * K * sizeof (guint32);
      if (!(counts = ms_buffer_new (dict->dev, bytes, error)))
        return FALSE;
      ms_buffer_zero (dict->dev, counts, 0, bytes);
    }
  if (!ms_sparse_reserve (dict, chunk, error) || !ms_sparse_update_lipschitz (dict, error))
    return FALSE;
  g_autofree float *stats = g_new (float, (gsize) chunk * 4);
  g_autofree float *lam = g_new (float, chunk);
  for (int n0 = 0; n0 < N; n0 += chunk)
    {
      int n = MIN (chunk, N - n0);
      ms_sparse_prep (dict, x, xo, NULL, 0, n0, n);
      if (opt->target_err > 0)
        {
          if (!search_lambda (dict, n, opt->target_err, steps, iters, lam, stats, error))
            return FALSE;
        }
      else
        {
          for (int i = 0; i < n; i++)
            lam[i] = lambda;
          if (!ms_sparse_set_lambda (dict, lam, 0, n, error))
            return FALSE;
          ms_sparse_fista (dict, n, iters, FALSE);
          if (!ms_sparse_row_stats (dict, n, stats, error))
            return FALSE;
        }
      for (int i = 0; samples && i < n; i++)
        samples[n0 + i] = (MsSparseSample) { .active = (int) stats[4 * i], .l1 = stats[4 * i + 1],
                                             .rel_err = (float) rel_err (stats + 4 * i),
                                             .lambda = lam[i] };
      if (z)
        ms_buffer_copy (dict->dev, dict->z, 0, z, (zo + (gsize) n0 * K) * sizeof (float),
                        (gsize) n * K * sizeof (float));
      if (task_counts)
        {
          if (!ms_buffer_write (dict->dev, dict->labels, 0, opt->labels + n0, n * sizeof (int),
                                error))
            return FALSE;
          ms_run1 (dict->dev, "sparse_atom_counts", (gsize) opt->n_tasks * K, MS_ARG_MEM, counts,
                   MS_ARG_MEM, dict->z, MS_ARG_MEM, dict->labels, MS_ARG_INT, 1, MS_ARG_INT, n,
                   MS_ARG_INT, K, MS_ARG_INT, opt->n_tasks, MS_ARG_END);
        }
    }
  if (task_counts
      && !ms_buffer_read (dict->dev, counts, 0, task_counts,
                          (gsize) opt->n_tasks * K * sizeof (guint32), error))
    return FALSE;
  return ms_device_finish (dict->dev, error);
}

/* ---- task support ------------------------------------------------------------------------ */

void
ms_sparse_task_support (const guint32 *counts, const int *n_rows, int n_tasks, int K,
                        double min_frac, MsTaskSupport *out)
{
  /* in[t * K + k]: atom k is in task t's support */
  g_autofree gboolean *in = g_new0 (gboolean, (gsize) n_tasks * K);
  for (int t = 0; t < n_tasks; t++)
    for (int k = 0; k < K; k++)
      {
        guint32 c = counts[(gsize) t * K + k];
        in[(gsize) t * K + k] = c > 0 && c >= min_frac * n_rows[t];
      }
  for (int t = 0; t < n_tasks; t++)
    {
      MsTaskSupport *o = &out[t];
      double total = 0;
      *o = (MsTaskSupport) { .n_rows = n_rows[t] };
      for (int k = 0; k < K; k++)
        {
          total += counts[(gsize) t * K + k];
          if (!in[(gsize) t * K + k])
            continue;
          o->atoms_used++;
          gboolean elsewhere = FALSE;
          for (int u = 0; u < n_tasks && !elsewhere; u++)
            elsewhere = u != t && in[(gsize) u * K + k];
          o->specific_atoms += !elsewhere;
        }
      o->mean_active = n_rows[t] > 0 ? total / n_rows[t] : 0;
      o->specific_fraction = o->atoms_used > 0 ? (double) o->specific_atoms / o->atoms_used : 0;
    }
}
