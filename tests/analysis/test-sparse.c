/* Sparse coding: the FISTA step kernel against a CPU soft-threshold, the step size against a
 * CPU (Jacobi) eigenvalue, FISTA codes against a coordinate-descent lasso solver written here,
 * the search for a target reconstruction error, recovery of a planted dictionary, determinism
 * for a seed, per-task atom supports (hand-worked), and bad arguments. */
#include <math.h>
#include <string.h>

#include "analysis/ms-sparse-private.h"
#include "ms-test.h"

/* ---- independent CPU references ----------------------------------------------------------- */

static double
soft (double v, double t)
{
  return v > t ? v - t : v < -t ? v + t : 0;
}

/* Lasso by cyclic coordinate descent in double: min 1/2 |x - z D|^2 + lam |z|_1 with unit
 * atoms D (K, d), until no coordinate moves by more than 1e-13. */
static void
cd_lasso (const double *D, int K, int d, const double *x, double lam, double *z)
{
  g_autofree double *r = g_new (double, d);
  memcpy (r, x, d * sizeof (double));
  memset (z, 0, K * sizeof (double));
  for (int sweep = 0; sweep < 100000; sweep++)
    {
      double moved = 0;
      for (int k = 0; k < K; k++)
        {
          const double *a = D + (gsize) k * d;
          double rho = z[k];
          for (int c = 0; c < d; c++)
            rho += a[c] * r[c];
          double nz = soft (rho, lam), dz = nz - z[k];
          if (dz != 0)
            {
              for (int c = 0; c < d; c++)
                r[c] -= dz * a[c];
              z[k] = nz;
              moved = MAX (moved, fabs (dz));
            }
        }
      if (moved < 1e-13)
        break;
    }
}

/* 1/2 |x - z D|^2 + lam |z|_1, and |x - z D| / |x| in ERR. */
static double
objective (const double *D, int K, int d, const double *x, const double *z, double lam,
           double *err)
{
  double rr = 0, xx = 0, l1 = 0;
  for (int c = 0; c < d; c++)
    {
      double v = -x[c];
      for (int k = 0; k < K; k++)
        v += z[k] * D[(gsize) k * d + c];
      rr += v * v;
      xx += x[c] * x[c];
    }
  for (int k = 0; k < K; k++)
    l1 += fabs (z[k]);
  if (err)
    *err = xx > 0 ? sqrt (rr / xx) : 0;
  return 0.5 * rr + lam * l1;
}

/* The largest eigenvalue of the symmetric M (n, n) by cyclic Jacobi rotations (M is
 * destroyed). */
static double
jacobi_max_eigenvalue (double *M, int n)
{
  for (int sweep = 0; sweep < 100; sweep++)
    {
      double off = 0;
      for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++)
          off += M[p * n + q] * M[p * n + q];
      if (off < 1e-22)
        break;
      for (int p = 0; p < n; p++)
        for (int q = p + 1; q < n; q++)
          {
            double apq = M[p * n + q];
            if (fabs (apq) < 1e-300)
              continue;
            double theta = (M[q * n + q] - M[p * n + p]) / (2 * apq);
            double t = (theta >= 0 ? 1 : -1) / (fabs (theta) + sqrt (theta * theta + 1));
            double c = 1 / sqrt (t * t + 1), s = t * c;
            for (int k = 0; k < n; k++)
              {
                double mkp = M[k * n + p], mkq = M[k * n + q];
                M[k * n + p] = c * mkp - s * mkq;
                M[k * n + q] = s * mkp + c * mkq;
              }
            for (int k = 0; k < n; k++)
              {
                double mpk = M[p * n + k], mqk = M[q * n + k];
                M[p * n + k] = c * mpk - s * mqk;
                M[q * n + k] = s * mpk + c * mqk;
              }
          }
    }
  double mx = -INFINITY;
  for (int i = 0; i < n; i++)
    mx = MAX (mx, M[i * n + i]);
  return mx;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static MsBuffer *
upload (const void *x, gsize bytes)
{
  g_autoptr (GError) error = NULL;
  MsDevice *dev = ms_test_device ();
  MsBuffer *buf = ms_buffer_new (dev, bytes, &error);
  g_assert_no_error (error);
  g_assert_true (ms_buffer_write (dev, buf, 0, x, bytes, &error));
  return buf;
}

static float *
download (MsBuffer *buf, gsize offset, gsize n)
{
  g_autoptr (GError) error = NULL;
  float *x = g_new (float, n);
  g_assert_true (ms_buffer_read (ms_test_device (), buf, offset, x, n * sizeof (float), &error));
  g_assert_no_error (error);
  return x;
}

static float *
random_atoms (MsTestRng *rng, int K, int d)
{
  float *D = g_new (float, (gsize) K * d);
  for (int k = 0; k < K; k++)
    {
      double ss = 0;
      for (int c = 0; c < d; c++)
        {
          float v = ms_test_rng_normal (rng);
          D[k * d + c] = v;
          ss += v * v;
        }
      for (int c = 0; c < d; c++)
        D[k * d + c] /= (float) sqrt (ss);
    }
  return D;
}

static double *
widen (const float *x, gsize n)
{
  double *y = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    y[i] = x[i];
  return y;
}

/* A planted problem: N rows x = z D* + noise with S nonzeros per row (random atoms, signs and
 * magnitudes in [0.5, 1.5]), D* (K, d) unit atoms. Returns X; D* in *PLANTED. */
static float *
planted_rows (MsTestRng *rng, int N, int K, int d, int S, float noise, float **planted)
{
  float *D = random_atoms (rng, K, d);
  float *X = g_new0 (float, (gsize) N * d);
  for (int i = 0; i < N; i++)
    {
      int chosen[8];
      for (int s = 0; s < S; s++)
        {
          gboolean again;
          do
            {
              chosen[s] = ms_test_rng_u64 (rng) % K;
              again = FALSE;
              for (int t = 0; t < s; t++)
                again |= chosen[t] == chosen[s];
            }
          while (again);
          float a = (0.5f + ms_test_rng_uniform (rng)) * (ms_test_rng_u64 (rng) & 1 ? 1 : -1);
          for (int c = 0; c < d; c++)
            X[(gsize) i * d + c] += a * D[chosen[s] * d + c];
        }
      for (int c = 0; c < d; c++)
        X[(gsize) i * d + c] += noise * ms_test_rng_normal (rng);
    }
  *planted = D;
  return X;
}

/* ---- the FISTA step kernel --------------------------------------------------------------- */

static void
test_fista_step (void)
{
  MsDevice *dev = ms_test_device ();
  const int N = 7, K = 37;
  MsTestRng rng = { 11 };
  g_autofree float *y = g_new (float, N * K), *g = g_new (float, N * K);
  g_autofree float *z = g_new (float, N * K), *lam = g_new (float, N);
  ms_test_fill_normal (&rng, y, N * K, 1);
  ms_test_fill_normal (&rng, g, N * K, 1);
  ms_test_fill_normal (&rng, z, N * K, 1);
  for (int i = 0; i < N; i++)
    lam[i] = 0.2f * i;
  /* Hand-worked: row 0 with lambda 0 is a plain gradient step; soft(3, 1) = 2 etc. below. */
  const float hand_y[5] = { 3, -3, 0.5f, -0.5f, 0 };
  memcpy (y + 5 * K, hand_y, sizeof hand_y);
  memset (g + 5 * K, 0, 5 * sizeof (float));
  lam[5] = 2.0f;  /* threshold lam / L = 1 with inv_l 0.5 */
  const float inv_l = 0.5f, momentum = 0.3f;
  g_autoptr (MsBuffer) bz = upload (z, N * K * 4), by = upload (y, N * K * 4);
  g_autoptr (MsBuffer) bg = upload (g, N * K * 4), bl = upload (lam, N * 4);
  ms_run1 (dev, "fista_step", N * K, MS_ARG_MEM, bz, MS_ARG_MEM, by, MS_ARG_MEM, bg, MS_ARG_MEM, bl,
           MS_ARG_INT, N, MS_ARG_INT, K, MS_ARG_FLOAT, (double) inv_l, MS_ARG_FLOAT,
           (double) momentum, MS_ARG_END);
  g_autofree float *gz = download (bz, 0, N * K), *gy = download (by, 0, N * K);
  g_autofree float *wz = g_new (float, N * K), *wy = g_new (float, N * K);
  for (int i = 0; i < N * K; i++)
    {
      double s = soft (y[i] - inv_l * g[i], lam[i / K] * inv_l);
      wz[i] = (float) s;
      wy[i] = (float) (s + momentum * (s - z[i]));
    }
  ms_test_assert_close ("fista z", gz, wz, N * K, 1e-6);
  ms_test_assert_close ("fista y", gy, wy, N * K, 1e-6);
  const float hand_z[5] = { 2, -2, 0, 0, 0 };
  ms_test_assert_close ("soft threshold by hand", gz + 5 * K, hand_z, 5, 1e-7);
}

/* ---- step size --------------------------------------------------------------------------- */

static void
check_lipschitz (int K, int d)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsTestRng rng = { 100 + K };
  g_autofree float *D = random_atoms (&rng, K, d);
  /* A common direction makes the top eigenvalue stand out less than for pure noise. */
  g_autoptr (GError) error = NULL;
  g_autoptr (MsDictionary) dict = ms_dictionary_new (blas, D, K, d, NULL, FALSE, 0.1f, 10, &error);
  g_assert_no_error (error);
  double L;
  g_assert_true (ms_dictionary_lipschitz (dict, &L, &error));
  g_assert_no_error (error);
  g_autofree double *M = g_new0 (double, d * d);
  for (int a = 0; a < d; a++)
    for (int b = 0; b < d; b++)
      for (int k = 0; k < K; k++)
        M[a * d + b] += (double) D[k * d + a] * D[k * d + b];
  double want = jacobi_max_eigenvalue (M, d);
  g_test_message ("K %d, d %d: power iteration %.6f, Jacobi %.6f", K, d, L, want);
  g_assert_cmpfloat (fabs (L - want) / want, <=, 1e-3);
}

static void
test_lipschitz (void)
{
  check_lipschitz (40, 20);   /* D^T D, the smaller Gram matrix */
  check_lipschitz (12, 30);   /* D D^T */
}

/* ---- FISTA against coordinate descent --------------------------------------------------- */

/* Codes of random rows (and, with PREP, of rows centred by a given mean and scaled to unit
 * norm by the dictionary) against the CD solver on the same (preprocessed) rows. */
static void
check_codes (gboolean prep)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  const int N = 9, K = 40, d = 20;
  const float lam = 0.05f;
  MsTestRng rng = { 5 + prep };
  g_autofree float *D0 = random_atoms (&rng, K, d);
  g_autofree float *X = g_new (float, N * d), *mean = g_new (float, d);
  ms_test_fill_normal (&rng, X, N * d, prep ? 3.0f : 0.5f);
  ms_test_fill_normal (&rng, mean, d, 1.0f);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsDictionary) dict = ms_dictionary_new (blas, D0, K, d, prep ? mean : NULL, prep,
                                                     lam, 3000, &error);
  g_assert_no_error (error);
  g_autofree float *Df = g_new (float, K * d);
  g_assert_true (ms_dictionary_read (dict, Df, NULL, &error));
  g_autofree double *D = widen (Df, K * d);
  /* X sits at an offset inside a larger buffer, and so do the codes. */
  g_autofree float *padded = g_new0 (float, N * d + 13);
  memcpy (padded + 13, X, N * d * sizeof (float));
  g_autoptr (MsBuffer) bx = upload (padded, (N * d + 13) * 4);
  g_autoptr (MsBuffer) bz = ms_buffer_new (ms_test_device (), (N * K + 5) * 4, &error);
  MsSparseSample samples[9];
  /* Two rows per chunk: the chunking must not change anything. */
  MsSparseEncodeOptions opt = { .chunk_rows = 2 };
  g_assert_true (ms_sparse_encode (dict, bx, 13, N, &opt, bz, 5, samples, NULL, &error));
  g_assert_no_error (error);
  g_autofree float *Zf = download (bz, 5 * 4, N * K);
  double worst_obj = 0, worst_z = 0;
  for (int i = 0; i < N; i++)
    {
      double x[20], zc[40], zg[40], ss = 0;
      for (int c = 0; c < d; c++)
        {
          x[c] = X[i * d + c] - (prep ? mean[c] : 0);
          ss += x[c] * x[c];
        }
      for (int c = 0; prep && c < d; c++)
        x[c] /= sqrt (ss);
      cd_lasso (D, K, d, x, lam, zc);
      for (int k = 0; k < K; k++)
        zg[k] = Zf[i * K + k];
      double err_c, err_g;
      double oc = objective (D, K, d, x, zc, lam, &err_c);
      double og = objective (D, K, d, x, zg, lam, &err_g);
      worst_obj = MAX (worst_obj, fabs (og - oc) / oc);
      int active = 0;
      double l1 = 0;
      for (int k = 0; k < K; k++)
        {
          worst_z = MAX (worst_z, fabs (zg[k] - zc[k]));
          active += fabs (zg[k]) > MS_SPARSE_ACTIVE;
          l1 += fabs (zg[k]);
        }
      g_assert_cmpint (samples[i].active, ==, active);
      g_assert_cmpfloat (fabs (samples[i].l1 - l1), <=, 1e-5 * MAX (l1, 1));
      g_assert_cmpfloat (fabs (samples[i].rel_err - err_g), <=, 1e-5);
      g_assert_cmpfloat (samples[i].lambda, ==, lam);
    }
  g_test_message ("%s: worst relative objective gap %.2e, worst code difference %.2e",
                  prep ? "centred, unit-norm rows" : "raw rows", worst_obj, worst_z);
  g_assert_cmpfloat (worst_obj, <=, 1e-5);
  g_assert_cmpfloat (worst_z, <=, 2e-3);
}

static void test_codes (void) { check_codes (FALSE); }
static void test_codes_prep (void) { check_codes (TRUE); }

/* ---- the dictionary update ---------------------------------------------------------------- */

/* One pass of the blocked update (K = 80: blocks of 32, 32 and 16, one unused atom) against
 * plain Gauss-Seidel block-coordinate descent on the CPU, in double. */
static void
test_dict_update (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsDevice *dev = ms_test_device ();
  const int K = 80, d = 40, m = 200;
  MsTestRng rng = { 31 };
  g_autofree float *D0 = random_atoms (&rng, K, d);
  g_autofree float *Z = g_new (float, m * K), *X = g_new (float, m * d);
  ms_test_fill_normal (&rng, X, m * d, 1);
  for (int i = 0; i < m * K; i++)
    Z[i] = ms_test_rng_uniform (&rng) < 0.1f ? ms_test_rng_normal (&rng) : 0;
  for (int i = 0; i < m; i++)
    Z[i * K + 45] = 0;  /* atom 45 unused: A_jj = 0, left alone */
  g_autofree double *A = g_new0 (double, K * K), *Bs = g_new0 (double, K * d);
  for (int i = 0; i < m; i++)
    for (int a = 0; a < K; a++)
      {
        for (int b = 0; b < K; b++)
          A[a * K + b] += (double) Z[i * K + a] * Z[i * K + b] / m;
        for (int c = 0; c < d; c++)
          Bs[a * d + c] += (double) Z[i * K + a] * X[i * d + c] / m;
      }
  g_autofree float *Af = g_new (float, K * K), *Bf = g_new (float, K * d);
  for (int i = 0; i < K * K; i++)
    Af[i] = (float) A[i];
  for (int i = 0; i < K * d; i++)
    Bf[i] = (float) Bs[i];
  g_autoptr (GError) error = NULL;
  g_autoptr (MsDictionary) dict = ms_dictionary_new (blas, D0, K, d, NULL, FALSE, 0.1f, 10, &error);
  g_assert_no_error (error);
  g_autofree float *Dstart = g_new (float, K * d);
  g_assert_true (ms_dictionary_read (dict, Dstart, NULL, &error));
  g_autoptr (MsBuffer) bA = upload (Af, K * K * 4), bB = upload (Bf, K * d * 4);
  g_autoptr (MsBuffer) E = ms_buffer_new (dev, K * d * 4, &error);
  g_autoptr (MsBuffer) dD = ms_buffer_new (dev, MS_SPARSE_BLOCK * d * 4, &error);
  ms_sparse_update_atoms (dict, bA, bB, E, dD);
  g_autofree float *got = g_new (float, K * d);
  g_assert_true (ms_dictionary_read (dict, got, NULL, &error));
  g_assert_no_error (error);

  g_autofree double *D = widen (Dstart, K * d);
  for (int j = 0; j < K; j++)
    {
      if (A[j * K + j] <= 0)
        continue;
      double u[40], ss = 0;
      for (int c = 0; c < d; c++)
        {
          double s = 0;
          for (int k = 0; k < K; k++)
            s += A[j * K + k] * D[k * d + c];
          u[c] = D[j * d + c] + (Bs[j * d + c] - s) / A[j * K + j];
          ss += u[c] * u[c];
        }
      for (int c = 0; c < d; c++)
        D[j * d + c] = u[c] / sqrt (ss);
    }
  g_autofree float *want = g_new (float, K * d);
  for (int i = 0; i < K * d; i++)
    want[i] = (float) D[i];
  ms_test_assert_close ("dictionary update", got, want, K * d, 1e-4);
  ms_test_assert_close ("unused atom", got + 45 * d, Dstart + 45 * d, d, 0);
}

/* ---- the target reconstruction error ----------------------------------------------------- */

static void
test_target_error (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  const int N = 24, K = 32, d = 64;
  const float target = 0.2f;
  MsTestRng rng = { 77 };
  g_autofree float *planted = NULL;
  g_autofree float *X = planted_rows (&rng, N, K, d, 3, 0.02f, &planted);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsDictionary) dict = ms_dictionary_new (blas, planted, K, d, NULL, TRUE, 0.1f, 300,
                                                     &error);
  g_assert_no_error (error);
  g_autofree double *D = widen (planted, K * d);
  g_autoptr (MsBuffer) bx = upload (X, N * d * 4);
  MsSparseSample samples[24];
  MsSparseEncodeOptions opt = { .target_err = target, .search_steps = 12 };
  g_assert_true (ms_sparse_encode (dict, bx, 0, N, &opt, NULL, 0, samples, NULL, &error));
  g_assert_no_error (error);
  double mean_active = 0;
  for (int i = 0; i < N; i++)
    {
      double x[64], z[32], ss = 0, err;
      for (int c = 0; c < d; c++)
        ss += (double) X[i * d + c] * X[i * d + c];
      for (int c = 0; c < d; c++)
        x[c] = X[i * d + c] / sqrt (ss);
      /* Reached (within FISTA's accuracy), and the least sparse-penalised lambda that does:
       * the exact lasso at that lambda reaches it, at a lambda 3% larger it does not. */
      g_assert_cmpfloat (samples[i].rel_err, <=, target + 2e-3);
      cd_lasso (D, K, d, x, samples[i].lambda, z);
      objective (D, K, d, x, z, samples[i].lambda, &err);
      g_assert_cmpfloat (err, <=, target + 2e-3);
      cd_lasso (D, K, d, x, samples[i].lambda * 1.03, z);
      objective (D, K, d, x, z, samples[i].lambda * 1.03, &err);
      g_assert_cmpfloat (err, >=, target - 2e-3);
      mean_active += samples[i].active / (double) N;
    }
  g_test_message ("planted 3-sparse rows at relative error %.2f: %.2f active atoms on average",
                  target, mean_active);
  /* At 20% error the codes need about the 3 planted atoms, not many more. */
  g_assert_cmpfloat (mean_active, >=, 1.5);
  g_assert_cmpfloat (mean_active, <=, 6);
}

/* ---- dictionary learning ----------------------------------------------------------------- */

/* Learns K = 32 atoms from 2000 planted rows (every ZERO_EVERY-th row zero, when > 0) in
 * EPOCHS epochs and
 * measures the recovery rate: the fraction of planted atoms with a learnt atom at
 * |cosine| >= 0.95. */
static MsDictionary *
learn_planted (MsBlas *blas, guint64 seed, int zero_every, int epochs, float **planted_out,
               double *recovery)
{
  const int N = 2000, K = 32, d = 64;
  MsTestRng rng = { 2024 };
  float *planted;
  g_autofree float *X = planted_rows (&rng, N, K, d, 3, 0.01f, &planted);
  for (int i = 0; zero_every > 0 && i < N; i += zero_every)
    memset (X + (gsize) i * d, 0, d * sizeof (float));
  g_autoptr (MsBuffer) bx = upload (X, (gsize) N * d * 4);
  MsSparseParams p;
  ms_sparse_params_init (&p);
  p.n_atoms = K;
  p.lambda = 0.05f;
  p.iters = 60;
  p.epochs = epochs;
  p.batch = 128;
  p.seed = seed;
  p.center = zero_every == 0;  /* zero rows stay zero, and so do atoms started from them */
  g_autoptr (GError) error = NULL;
  MsDictionary *dict = ms_dictionary_learn (blas, bx, 0, N, d, &p, &error);
  g_assert_no_error (error);
  g_autofree float *D = g_new (float, K * d);
  g_assert_true (ms_dictionary_read (dict, D, NULL, &error));
  int found = 0;
  for (int a = 0; a < K; a++)
    {
      double best = 0;
      for (int b = 0; b < K; b++)
        {
          double dot = 0;
          for (int c = 0; c < d; c++)
            dot += (double) planted[a * d + c] * D[b * d + c];
          best = MAX (best, fabs (dot));
        }
      found += best >= 0.95;
    }
  *recovery = (double) found / K;
  *planted_out = planted;
  return dict;
}

static void
test_recovery (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autofree float *planted = NULL;
  double recovery;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (MsDictionary) dict = learn_planted (blas, 1, 0, 8, &planted, &recovery);
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  int n;
  const MsSparseEpoch *ep = ms_dictionary_epochs (dict, &n);
  g_assert_cmpint (n, ==, 8);
  for (int e = 0; e < n; e++)
    g_test_message ("epoch %d: objective %.5f, relative error %.4f, %.2f active, %d resampled", e,
                    ep[e].objective, ep[e].rel_err, ep[e].active, ep[e].resampled);
  g_test_message ("planted dictionary (K=32, d=64, 3-sparse, 2000 rows): recovery rate %.3f "
                  "(atoms matched at |cos| >= 0.95), learnt in %.2f s", recovery, secs);
  g_assert_cmpfloat (recovery, >=, 0.9);
  /* Learning lowered the objective. */
  g_assert_cmpfloat (ep[n - 1].objective, <, ep[0].objective);
}

/* Half the rows are zero: about half the initial atoms are zero and unused, and must be
 * re-initialised from badly reconstructed rows for the planted atoms to be found. */
static void
test_dead_atoms (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autofree float *planted = NULL;
  double recovery;
  g_autoptr (MsDictionary) dict = learn_planted (blas, 1, 2, 8, &planted, &recovery);
  int n;
  const MsSparseEpoch *ep = ms_dictionary_epochs (dict, &n);
  g_test_message ("half the rows zero: %d atoms re-initialised after the first epoch, "
                  "recovery rate %.3f", ep[0].resampled, recovery);
  g_assert_cmpint (ep[0].resampled, >=, 5);
  g_assert_cmpint (ep[n - 1].resampled, ==, 0);  /* never after the last epoch */
  g_assert_cmpfloat (recovery, >=, 0.9);
}

static void
test_determinism (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autofree float *p1 = NULL, *p2 = NULL, *p3 = NULL;
  double r;
  g_autoptr (MsDictionary) a = learn_planted (blas, 7, 0, 2, &p1, &r);
  g_autoptr (MsDictionary) b = learn_planted (blas, 7, 0, 2, &p2, &r);
  g_autoptr (MsDictionary) c = learn_planted (blas, 8, 0, 2, &p3, &r);
  g_autoptr (GError) error = NULL;
  g_autofree float *da = g_new (float, 32 * 64), *db = g_new (float, 32 * 64);
  g_autofree float *dc = g_new (float, 32 * 64);
  g_assert_true (ms_dictionary_read (a, da, NULL, &error));
  g_assert_true (ms_dictionary_read (b, db, NULL, &error));
  g_assert_true (ms_dictionary_read (c, dc, NULL, &error));
  g_assert_cmpmem (da, 32 * 64 * 4, db, 32 * 64 * 4);
  g_assert_true (memcmp (da, dc, 32 * 64 * 4) != 0);
}

/* ---- task supports ----------------------------------------------------------------------- */

static void
test_task_support (void)
{
  /* Hand-worked: three tasks, six atoms. With min_frac 0.2 the supports are {0, 1}, {0, 2} and
   * {4, 5} (atom 3 is used in 1 of task 0's 10 rows: rarely); atom 0 is shared. */
  const guint32 counts[18] = { 10, 5, 0, 1, 0, 0,
                               8, 0, 3, 0, 0, 0,
                               0, 0, 0, 0, 5, 1 };
  const int n_rows[3] = { 10, 10, 5 };
  MsTaskSupport s[3];
  ms_sparse_task_support (counts, n_rows, 3, 6, 0.2, s);
  g_assert_cmpint (s[0].atoms_used, ==, 2);
  g_assert_cmpint (s[0].specific_atoms, ==, 1);
  g_assert_cmpfloat (s[0].specific_fraction, ==, 0.5);
  g_assert_cmpfloat (fabs (s[0].mean_active - 1.6), <, 1e-12);
  g_assert_cmpint (s[1].atoms_used, ==, 2);
  g_assert_cmpfloat (s[1].specific_fraction, ==, 0.5);
  g_assert_cmpfloat (fabs (s[1].mean_active - 1.1), <, 1e-12);
  g_assert_cmpint (s[2].atoms_used, ==, 2);
  g_assert_cmpfloat (s[2].specific_fraction, ==, 1.0);
  g_assert_cmpfloat (fabs (s[2].mean_active - 1.2), <, 1e-12);
  g_assert_cmpint (s[2].n_rows, ==, 5);
  /* Any use counts with min_frac 0: task 0's support is {0, 1, 3}, two of them its own. */
  ms_sparse_task_support (counts, n_rows, 3, 6, 0, s);
  g_assert_cmpint (s[0].atoms_used, ==, 3);
  g_assert_cmpint (s[0].specific_atoms, ==, 2);

  /* The device's counts equal counts of the codes it returns. */
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  const int N = 40, K = 32, d = 64, T = 3;
  MsTestRng rng = { 9 };
  g_autofree float *planted = NULL;
  g_autofree float *X = planted_rows (&rng, N, K, d, 3, 0.02f, &planted);
  int labels[40];
  for (int i = 0; i < N; i++)
    labels[i] = (i * 7) % T;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsDictionary) dict = ms_dictionary_new (blas, planted, K, d, NULL, TRUE, 0.1f, 100,
                                                     &error);
  g_autoptr (MsBuffer) bx = upload (X, N * d * 4);
  g_autoptr (MsBuffer) bz = ms_buffer_new (ms_test_device (), N * K * 4, &error);
  guint32 got[3 * 32], want[3 * 32] = { 0 };
  MsSparseEncodeOptions opt = { .labels = labels, .n_tasks = T, .chunk_rows = 16 };
  g_assert_true (ms_sparse_encode (dict, bx, 0, N, &opt, bz, 0, NULL, got, &error));
  g_assert_no_error (error);
  g_autofree float *Z = download (bz, 0, N * K);
  for (int i = 0; i < N; i++)
    for (int k = 0; k < K; k++)
      want[labels[i] * K + k] += fabsf (Z[i * K + k]) > MS_SPARSE_ACTIVE;
  g_assert_cmpmem (got, sizeof got, want, sizeof want);
}

/* ---- bad arguments ----------------------------------------------------------------------- */

static void
test_bad_arguments (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (GError) error = NULL;
  float atoms[8] = { 1, 0, 0, 1, 0, 0, 1, 1 };
  g_assert_null (ms_dictionary_new (blas, atoms, 0, 2, NULL, FALSE, 0.1f, 10, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (ms_dictionary_new (blas, atoms, 4, 2, NULL, FALSE, 0.1f, 10, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);  /* atom 2 is zero */
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  atoms[4] = 1;
  g_autoptr (MsDictionary) dict = ms_dictionary_new (blas, atoms, 4, 2, NULL, FALSE, 0.1f, 10,
                                                     &error);
  g_assert_no_error (error);
  float x[6] = { 1, 2, 3, 4, 5, 6 };
  g_autoptr (MsBuffer) bx = upload (x, sizeof x);
  int labels[3] = { 0, 1, 2 };
  guint32 counts[8];
  MsSparseEncodeOptions opt = { .labels = labels, .n_tasks = 2 };
  g_assert_false (ms_sparse_encode (dict, bx, 0, 3, &opt, NULL, 0, NULL, counts, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);  /* label 2 of 2 tasks */
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_false (ms_sparse_encode (dict, bx, 1, 3, NULL, NULL, 0, NULL, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);  /* 3 rows of 2 from element 1 of 6 */
  g_clear_error (&error);
  g_autoptr (MsBuffer) small = ms_buffer_new (ms_test_device (), 8 * 4, &error);
  g_assert_false (ms_sparse_encode (dict, bx, 0, 3, NULL, small, 0, NULL, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);  /* 3 × 4 codes in 8 floats */
  g_clear_error (&error);
  MsSparseParams p;
  ms_sparse_params_init (&p);
  g_assert_null (ms_dictionary_learn (blas, bx, 0, 3, 2, &p, &error));  /* n_atoms 0 */
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  p.n_atoms = 4;
  g_assert_null (ms_dictionary_learn (blas, bx, 2, 3, 2, &p, &error));  /* past the end */
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* ---- performance only (-m perf) ---------------------------------------------------------- */

static void
test_perf (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  const int N = 4096, K = 1024, d = 256;
  MsTestRng rng = { 3 };
  g_autofree float *D = random_atoms (&rng, K, d);
  g_autofree float *X = g_new (float, (gsize) N * d);
  ms_test_fill_normal (&rng, X, (gsize) N * d, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsDictionary) dict = ms_dictionary_new (blas, D, K, d, NULL, TRUE, 0.1f, 100, &error);
  g_autoptr (MsBuffer) bx = upload (X, (gsize) N * d * 4);
  g_autofree MsSparseSample *samples = g_new (MsSparseSample, N);
  double t[5];
  for (int r = 0; r < 5; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_assert_true (ms_sparse_encode (dict, bx, 0, N, NULL, NULL, 0, samples, NULL, &error));
      t[r] = (g_get_monotonic_time () - t0) / 1e6;
    }
  double lo = t[0], hi = t[0], sum = 0;
  for (int r = 0; r < 5; r++)
    lo = MIN (lo, t[r]), hi = MAX (hi, t[r]), sum += t[r];
  g_test_message ("FISTA N=%d d=%d K=%d, 100 iterations: %.2f s mean (min %.2f, max %.2f)", N,
                  d, K, sum / 5, lo, hi);
  /* The reference in the same run: the 200 GEMMs of those iterations alone. */
  {
    MsDevice *dev = ms_test_device ();
    g_autoptr (MsBuffer) zb = ms_buffer_new (dev, (gsize) N * K * 4, &error);
    g_autoptr (MsBuffer) gb = ms_buffer_new (dev, (gsize) N * K * 4, &error);
    g_autoptr (MsBuffer) rb = ms_buffer_new (dev, (gsize) N * d * 4, &error);
    g_autoptr (MsBuffer) db = upload (D, (gsize) K * d * 4);
    gint64 t0 = g_get_monotonic_time ();
    for (int it = 0; it < 100; it++)
      {
        ms_gemm (blas, FALSE, FALSE, N, d, K, 1.0f, zb, 0, K, db, 0, d, -1.0f, rb, 0, d);
        ms_gemm (blas, FALSE, TRUE, N, K, d, 1.0f, rb, 0, d, db, 0, d, 0.0f, gb, 0, K);
      }
    g_assert_true (ms_device_finish (dev, &error));
    double gs = (g_get_monotonic_time () - t0) / 1e6;
    g_test_message ("the same 200 GEMMs alone (%s): %.2f s, %.1f GFLOP/s", ms_blas_name (blas),
                    gs, 200.0 * 2 * N * (double) d * K / gs / 1e9);
  }
  MsSparseEncodeOptions opt = { .target_err = 0.2f, .iters = 50 };
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (ms_sparse_encode (dict, bx, 0, 1024, &opt, NULL, 0, samples, NULL, &error));
  g_test_message ("target error 0.2, 1024 rows, 10 steps × 50 iterations: %.2f s",
                  (g_get_monotonic_time () - t0) / 1e6);
  MsSparseParams p;
  ms_sparse_params_init (&p);
  p.n_atoms = K;
  p.epochs = 1;
  t0 = g_get_monotonic_time ();
  g_autoptr (MsDictionary) learnt = ms_dictionary_learn (blas, bx, 0, N, d, &p, &error);
  g_assert_no_error (error);
  g_test_message ("dictionary learning, one epoch over N=%d (batches of 256, 100 iterations): "
                  "%.2f s", N, (g_get_monotonic_time () - t0) / 1e6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sparse/fista-step", test_fista_step);
  g_test_add_func ("/sparse/lipschitz", test_lipschitz);
  g_test_add_func ("/sparse/codes", test_codes);
  g_test_add_func ("/sparse/codes-preprocessed", test_codes_prep);
  g_test_add_func ("/sparse/dict-update", test_dict_update);
  g_test_add_func ("/sparse/target-error", test_target_error);
  g_test_add_func ("/sparse/recovery", test_recovery);
  g_test_add_func ("/sparse/dead-atoms", test_dead_atoms);
  g_test_add_func ("/sparse/determinism", test_determinism);
  g_test_add_func ("/sparse/task-support", test_task_support);
  g_test_add_func ("/sparse/bad-arguments", test_bad_arguments);
  if (g_test_perf ())
    g_test_add_func ("/sparse/perf", test_perf);
  return ms_test_run ();
}
