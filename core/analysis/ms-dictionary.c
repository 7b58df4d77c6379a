/* Online dictionary learning (Mairal et al. 2009) on the device: mini-batches of shuffled
 * rows are coded by FISTA under the current atoms, their statistics A = Z^T Z and B = Z^T X
 * are accumulated with forgetting, and one block-coordinate pass updates the atoms. Atoms
 * no row used during an epoch are re-initialised from the worst-reconstructed rows. */
#include "ms-sparse-private.h"

#include <math.h>
#include <string.h>

#include "analysis/ms-stats.h"


typedef struct {
  float err;   /* |x - z D|^2 of the row */
  int row;
} Worst;

static int
by_err_desc (const void *a, const void *b)
{
  const Worst *x = a, *y = b;
  if (x->err != y->err)
    return x->err < y->err ? 1 : -1;
  return x->row - y->row;
}

static void
shuffle (int *perm, int n, MsRng *rng)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) ms_rng_below (rng, (guint64) i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
}

/* Sets atoms ATOMS[i] to the preprocessed, unit-norm rows ROWS[i] of x (N rows). */
static gboolean
atoms_from_rows (MsDictionary *dict, const MsBuffer *x, gsize xo, const int *atoms,
                 const int *rows, int n, GError **error)
{
  g_autoptr (MsBuffer) idx = ms_buffer_new (dict->dev, n * sizeof (int), error);
  if (idx == NULL || !ms_buffer_write (dict->dev, idx, 0, rows, n * sizeof (int), error))
    return FALSE;
  for (int i = 0; i < n; i++)
    ms_run1 (dict->dev, "sparse_prep_rows", 1, MS_ARG_MEM, dict->atoms, MS_ARG_INT,
             atoms[i] * dict->d, MS_ARG_MEM, x, MS_ARG_INT, (int) xo, MS_ARG_MEM, idx, MS_ARG_INT,
             i, MS_ARG_INT, 1, MS_ARG_INT, 0, MS_ARG_MEM, dict->mean, MS_ARG_INT, 1, MS_ARG_INT, 1,
             MS_ARG_INT, dict->d, MS_ARG_END);
  dict->lipschitz_ok = FALSE;
  return ms_device_finish (dict->dev, error);
}

/* Initial atoms: K distinct random rows (unit norm after preprocessing); when there are fewer
 * rows than atoms, the rest are random Gaussian directions. */
static gboolean
init_atoms (MsDictionary *dict, const MsBuffer *x, gsize xo, int N, MsRng *rng, GError **error)
{
  const int K = dict->K, d = dict->d, from_rows = MIN (K, N);
  g_autofree int *perm = g_new (int, N), *atoms = g_new (int, from_rows);
  for (int i = 0; i < N; i++)
    perm[i] = i;
  shuffle (perm, N, rng);
  for (int k = 0; k < from_rows; k++)
    atoms[k] = k;
  if (!atoms_from_rows (dict, x, xo, atoms, perm, from_rows, error))
    return FALSE;
  if (K > N)
    {
      gsize n = (gsize) (K - N) * d;
      g_autofree float *g = g_new (float, n);
      for (int k = 0; k < K - N; k++)
        {
          double ss = 0;
          for (int c = 0; c < d; c++)
            {
              /* Box-Muller from two uniforms in (0, 1] and [0, 1) */
              double u1 = 1.0 - ms_rng_uniform (rng), u2 = ms_rng_uniform (rng);
              double v = sqrt (-2.0 * log (u1)) * cos (2 * G_PI * u2);
              g[(gsize) k * d + c] = (float) v;
              ss += v * v;
            }
          for (int c = 0; c < d; c++)
            g[(gsize) k * d + c] /= (float) sqrt (ss);
        }
      if (!ms_buffer_write (dict->dev, dict->atoms, (gsize) N * d * sizeof (float), g,
                            n * sizeof (float), error))
        return FALSE;
    }
  return TRUE;
}

/* One block-coordinate pass over the atoms (the kernel's comment has the update), in blocks
 * of MS_SPARSE_BLOCK atoms: the sums A D of the atoms after a block come from E = A D,
 * computed by a GEMM before the pass and corrected by one after each block, so the sequential
 * part of the pass costs K * MS_SPARSE_BLOCK * d instead of K^2 d. */
void
ms_sparse_update_atoms (MsDictionary *dict, const MsBuffer *A, const MsBuffer *Bs, MsBuffer *E,
                        MsBuffer *dD)
{
  const int K = dict->K, d = dict->d;
  /* E (K, d) = A D */
  ms_gemm (dict->blas, FALSE, FALSE, K, d, K, 1.0f, A, 0, K, dict->atoms, 0, d, 0.0f, E, 0, d);
  for (int j0 = 0; j0 < K; j0 += MS_SPARSE_BLOCK)
    {
      int nb = MIN (MS_SPARSE_BLOCK, K - j0), rest = K - j0 - nb;
      ms_run (dict->dev, "sparse_dict_block", 1, (size_t[]){ 64 }, (size_t[]){ 64 }, MS_ARG_MEM,
              dict->atoms, MS_ARG_MEM, A, MS_ARG_MEM, Bs, MS_ARG_MEM, E, MS_ARG_MEM, dD,
              MS_ARG_INT, K, MS_ARG_INT, d, MS_ARG_INT, j0, MS_ARG_INT, nb, MS_ARG_END);
      /* E[later atoms] += A[later atoms, block] dD (nb, d) */
      if (rest > 0)
        ms_gemm (dict->blas, FALSE, FALSE, rest, d, nb, 1.0f, A, (gsize) (j0 + nb) * K + j0, K,
                 dD, 0, d, 1.0f, E, (gsize) (j0 + nb) * d, d);
    }
  dict->lipschitz_ok = FALSE;
}

MsDictionary *
ms_dictionary_learn (MsBlas *blas, const MsBuffer *x, gsize xo, int N, int d,
                     const MsSparseParams *params, GError **error)
{
  const MsSparseParams *p = params;
  if (N < 1 || d < 1 || p->epochs < 1 || p->batch < 1 || (gsize) N * d > G_MAXINT32
      || (xo + (gsize) N * d) * sizeof (float) > x->bytes)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "dictionary learning over %d rows of %d at element %zu of a buffer of %zu "
                   "bytes, %d epochs, batches of %d: need rows inside the buffer, fewer than "
                   "2^31 values, and at least one epoch and one row per batch",
                   N, d, xo, x->bytes, p->epochs, p->batch);
      return NULL;
    }
  g_autoptr (MsDictionary) dict = ms_dictionary_alloc (blas, p->n_atoms, d, p->unit_norm,
                                                       p->lambda, p->iters, error);
  if (dict == NULL)
    return NULL;
  MsDevice *dev = dict->dev;
  const int K = dict->K, batch = MIN (p->batch, N);
  double memory = p->memory > 0 ? p->memory
                                : MIN (MAX (2.0 * batch, 10.0 * K), MAX (N / 2.0, 2.0 * batch));
  memory = MAX (memory, batch);
  dict->seed = p->seed;
  MsRng rng;
  ms_rng_init (&rng, p->seed);
  if (p->center)
    ms_run1 (dev, "sparse_column_mean", d, MS_ARG_MEM, dict->mean, MS_ARG_MEM, x, MS_ARG_INT,
             (int) xo, MS_ARG_INT, N, MS_ARG_INT, d, MS_ARG_END);
  if (!init_atoms (dict, x, xo, N, &rng, error))
    return NULL;

  g_autoptr (MsBuffer) A = ms_buffer_new (dev, (gsize) K * K * sizeof (float), error);
  g_autoptr (MsBuffer) Bs = A ? ms_buffer_new (dev, (gsize) K * d * sizeof (float), error) : NULL;
  g_autoptr (MsBuffer) E = Bs ? ms_buffer_new (dev, (gsize) K * d * sizeof (float), error) : NULL;
  g_autoptr (MsBuffer) dD = E ? ms_buffer_new (dev, (gsize) MS_SPARSE_BLOCK * d * sizeof (float),
                                               error) : NULL;
  g_autoptr (MsBuffer) usage = dD ? ms_buffer_new (dev, K * sizeof (guint32), error) : NULL;
  g_autoptr (MsBuffer) idx = usage ? ms_buffer_new (dev, N * sizeof (int), error) : NULL;
  if (idx == NULL || !ms_sparse_reserve (dict, batch, error)
      || !ms_sparse_set_lambda (dict, NULL, p->lambda, batch, error))
    return NULL;
  g_autofree int *perm = g_new (int, N);
  g_autofree Worst *worst = g_new (Worst, N);
  g_autofree float *stats = g_new (float, (gsize) batch * 4);
  g_autofree guint32 *used = g_new (guint32, K);
  for (int i = 0; i < N; i++)
    perm[i] = i;

  long step = 0;
  for (int epoch = 0; epoch < p->epochs; epoch++)
    {
      shuffle (perm, N, &rng);
      if (!ms_buffer_write (dev, idx, 0, perm, N * sizeof (int), error))
        return NULL;
      ms_buffer_zero (dev, usage, 0, K * sizeof (guint32));
      MsSparseEpoch rec = { 0 };
      for (int n0 = 0; n0 < N; n0 += batch, step++)
        {
          int m = MIN (batch, N - n0);
          ms_sparse_prep (dict, x, xo, idx, n0, 0, m);
          if (!ms_sparse_update_lipschitz (dict, error))
            return NULL;
          ms_sparse_fista (dict, m, p->iters, FALSE);
          if (!ms_sparse_row_stats (dict, m, stats, error))
            return NULL;
          ms_run1 (dev, "sparse_atom_counts", K, MS_ARG_MEM, usage, MS_ARG_MEM, dict->z,
                   MS_ARG_MEM, dict->labels, MS_ARG_INT, 0, MS_ARG_INT, m, MS_ARG_INT, K,
                   MS_ARG_INT, 1, MS_ARG_END);
          /* Forgetting: a plain average of the mini-batches so far, until it spans MEMORY rows;
           * from then on exponential, the last MEMORY rows weighing most. Statistics from the
           * codes of early dictionaries fade; with Mairal's (2010, Sec. 3.4) schedule, whose
           * memory is batch^2 rows, recovery of a planted dictionary stalled at 60-80%. */
          float beta = (float) MIN ((double) step / (step + 1), 1.0 - (double) m / memory);
          /* A (K, K) = beta A + Z^T Z / m;  Bs (K, d) = beta Bs + Z^T X / m */
          ms_gemm (blas, TRUE, FALSE, K, K, m, 1.0f / m, dict->z, 0, K, dict->z, 0, K, beta, A, 0,
                   K);
          ms_gemm (blas, TRUE, FALSE, K, d, m, 1.0f / m, dict->z, 0, K, dict->xp, 0, d, beta, Bs,
                   0, d);
          ms_sparse_update_atoms (dict, A, Bs, E, dD);
          dict->lipschitz_ok = FALSE;
          for (int i = 0; i < m; i++)
            {
              const float *s = stats + 4 * i;
              rec.objective += 0.5 * s[2] + p->lambda * s[1];
              rec.rel_err += s[3] > 0 ? sqrt (s[2] / s[3]) : 0;
              rec.active += s[0];
              worst[n0 + i] = (Worst) { s[2], perm[n0 + i] };
            }
        }
      rec.objective /= N;
      rec.rel_err /= N;
      rec.active /= N;

      /* Atoms no row used this epoch start again from the rows reconstructed worst (not
       * after the last epoch: the dictionary returned is the one trained). */
      if (epoch + 1 < p->epochs)
        {
          if (!ms_buffer_read (dev, usage, 0, used, K * sizeof (guint32), error))
            return NULL;
          g_autofree int *dead = g_new (int, K), *rows = g_new (int, K);
          int n_dead = 0;
          qsort (worst, N, sizeof *worst, by_err_desc);
          for (int k = 0; k < K && n_dead < N; k++)
            if (used[k] == 0)
              {
                dead[n_dead] = k;
                rows[n_dead] = worst[n_dead].row;
                n_dead++;
              }
          if (n_dead > 0 && !atoms_from_rows (dict, x, xo, dead, rows, n_dead, error))
            return NULL;
          for (int i = 0; i < n_dead; i++)
            ms_run1 (dev, "sparse_reset_atom", MAX (K, d), MS_ARG_MEM, A, MS_ARG_MEM, Bs,
                     MS_ARG_INT, K, MS_ARG_INT, d, MS_ARG_INT, dead[i], MS_ARG_END);
          rec.resampled = n_dead;
        }
      g_array_append_val (dict->epochs, rec);
      g_debug ("dictionary epoch %d: objective %.5f, relative error %.4f, %.2f active atoms, "
               "%d atoms re-initialised", epoch, rec.objective, rec.rel_err, rec.active,
               rec.resampled);
    }
  if (!ms_device_finish (dev, error))
    return NULL;
  return g_steal_pointer (&dict);
}
