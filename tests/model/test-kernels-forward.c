/* Every forward kernel in kernels/ against a separately written double-precision CPU
 * reference (ggml's test-backend-ops style): odd sizes, tensors at offsets inside guarded
 * buffers, segments and left padding, ties, -inf and huge logits; both row-kernel variants. */
#include <math.h>
#include <string.h>

#include "kernel-check.h"

#define MEM(t) MS_ARG_MEM, (t)->buf, MS_ARG_INT, (t)->off

/* ---- elementwise ----------------------------------------------------------------------- */

static void
test_fill (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 1 };
  const gsize sizes[] = { 1, 37, 1000 }, offs[] = { 0, 5, 129 };
  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      gsize n = sizes[k];
      g_autofree float *init = kc_normal (&r, n, 1.0f), *want = g_new (float, n);
      for (gsize i = 0; i < n; i++)
        want[i] = -2.75f;
      g_autoptr (KcTensor) x = kc_tensor_new (init, n, offs[k]);
      ms_run1 (dev, "fill", n, MEM (x), MS_ARG_INT, (int) n, MS_ARG_FLOAT, -2.75, MS_ARG_END);
      kc_finish ();
      g_autofree float *got = kc_tensor_read (x, "fill");
      g_autofree char *what = g_strdup_printf ("fill n=%zu off=%zu", n, offs[k]);
      kc_compare_exact (what, got, want, n);
    }
}

static void
test_axpby (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 2 };
  const gsize n = 1001;
  const double a = 0.7, b = -1.3;
  g_autofree float *x0 = kc_normal (&r, n, 1.0f), *y0 = kc_normal (&r, n, 2.0f);
  g_autoptr (KcTensor) x = kc_tensor_new (x0, n, 3);
  g_autoptr (KcTensor) y = kc_tensor_new (y0, n, 70);
  ms_run1 (dev, "axpby", n, MEM (x), MEM (y), MS_ARG_INT, (int) n, MS_ARG_FLOAT, a,
           MS_ARG_FLOAT, b, MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (y, "axpby y");
  g_autofree float *xs = kc_tensor_read (x, "axpby x");
  kc_compare_exact ("axpby leaves x", xs, x0, n);
  g_autofree double *want = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    want[i] = (double) (float) a * x0[i] + (double) (float) b * y0[i];
  kc_compare ("axpby n=1001", got, want, n, KC_NMSE_EXACT, 1e-5 * kc_max_abs (want, n));
}

static void
test_bias_add (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 3 };
  const int N = 65, OC = 111;
  g_autofree float *x0 = kc_normal (&r, N * OC, 1.0f), *b0 = kc_normal (&r, OC, 1.0f);
  g_autoptr (KcTensor) x = kc_tensor_new (x0, N * OC, 17);
  g_autoptr (KcTensor) bias = kc_tensor_new (b0, OC, 9);
  ms_run1 (dev, "bias_add", N * OC, MEM (x), MEM (bias), MS_ARG_INT, N, MS_ARG_INT, OC,
           MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (x, "bias_add");
  g_autofree double *want = g_new (double, N * OC);
  for (int i = 0; i < N * OC; i++)
    want[i] = (double) x0[i] + b0[i % OC];
  kc_compare ("bias_add N=65 OC=111", got, want, N * OC, KC_NMSE_EXACT, 1e-6);
}

static double
gelu (double x)
{
  return 0.5 * x * (1 + tanh (sqrt (2 / G_PI) * (x + 0.044715 * x * x * x)));
}

static void
test_bias_gelu_forward (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 4 };
  const int N = 7, OC = 4 * 37, n = N * OC;
  g_autofree float *h0 = kc_normal (&r, n, 3.0f), *b0 = kc_normal (&r, OC, 0.5f);
  /* Saturated tails, zero, and inputs whose cube dominates. */
  const float special[] = { -30, -10, -4, 0, 4, 10, 30 };
  for (guint k = 0; k < G_N_ELEMENTS (special); k++)
    h0[k * 53] = special[k] - b0[(k * 53) % OC];
  g_autoptr (KcTensor) h = kc_tensor_new (h0, n, 31);
  g_autoptr (KcTensor) g = kc_tensor_new (NULL, n, 4);
  g_autoptr (KcTensor) bias = kc_tensor_new (b0, OC, 2);
  ms_run1 (dev, "bias_gelu_forward", n, MEM (h), MEM (g), MEM (bias), MS_ARG_INT, N,
           MS_ARG_INT, OC, MS_ARG_END);
  kc_finish ();
  g_autofree float *got_h = kc_tensor_read (h, "bias_gelu_forward h");
  g_autofree float *got_g = kc_tensor_read (g, "bias_gelu_forward g");
  g_autofree double *want_h = g_new (double, n), *want_g = g_new (double, n);
  for (int i = 0; i < n; i++)
    {
      want_h[i] = (double) h0[i] + b0[i % OC];
      want_g[i] = gelu ((float) want_h[i]);
    }
  kc_compare ("bias_gelu_forward h (pre-activation)", got_h, want_h, n, KC_NMSE_EXACT, 1e-5);
  kc_compare ("bias_gelu_forward GELU", got_g, want_g, n, KC_NMSE_TRANS, 1e-5);
}

static void
test_residual_bias_forward (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 5 };
  const int N = 65, OC = 37, n = N * OC;
  g_autofree float *res0 = kc_normal (&r, n, 1.0f), *x0 = kc_normal (&r, n, 1.0f);
  g_autofree float *b0 = kc_normal (&r, OC, 1.0f), *o0 = kc_normal (&r, n, 1.0f);
  g_autoptr (KcTensor) out = kc_tensor_new (o0, n, 1);
  g_autoptr (KcTensor) res = kc_tensor_new (res0, n, 45);
  g_autoptr (KcTensor) x = kc_tensor_new (x0, n, 6);
  g_autoptr (KcTensor) bias = kc_tensor_new (b0, OC, 77);
  ms_run1 (dev, "residual_bias_forward", n, MEM (out), MEM (res), MEM (x), MEM (bias),
           MS_ARG_INT, N, MS_ARG_INT, OC, MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (out, "residual_bias_forward");
  g_autofree double *want = g_new (double, n);
  for (int i = 0; i < n; i++)
    want[i] = (double) res0[i] + x0[i] + b0[i % OC];
  kc_compare ("residual_bias_forward N=65 OC=37", got, want, n, KC_NMSE_EXACT, 1e-5);
}

/* ---- embeddings and LayerNorm ---------------------------------------------------------- */

/* seg (B, T): where each position's segment starts, in key positions. */
static void
check_encoder (const char *name, int B, int T, int C, int pos0, const int *seg, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  const int V = 29, P = 16;
  g_autofree int *tokens = g_new (int, B * T);
  for (int i = 0; i < B * T; i++)
    tokens[i] = i % 5 == 3 ? tokens[i - 1] : (int) (ms_test_rng_u64 (&r) % V);
  tokens[0] = V - 1;
  g_autofree float *wte0 = kc_normal (&r, V * C, 1.0f), *wpe0 = kc_normal (&r, P * C, 0.5f);
  g_autofree float *out0 = kc_normal (&r, B * T * C, 1.0f);
  g_autoptr (KcTensor) out = kc_tensor_new (out0, B * T * C, 3);
  g_autoptr (KcTensor) wte = kc_tensor_new (wte0, V * C, 11);
  g_autoptr (KcTensor) wpe = kc_tensor_new (wpe0, P * C, 5);
  g_autoptr (MsBuffer) tok = kc_ints_new (tokens, B * T);
  g_autoptr (MsBuffer) sg = kc_ints_new (seg, B * T);
  ms_run1 (dev, "encoder_forward", B * T * C, MEM (out), MS_ARG_MEM, tok, MS_ARG_MEM, sg,
           MEM (wte), MEM (wpe), MS_ARG_INT, B, MS_ARG_INT, T, MS_ARG_INT, C, MS_ARG_INT, pos0,
           MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (out, name);
  g_autofree double *want = g_new (double, B * T * C);
  for (int bt = 0; bt < B * T; bt++)
    {
      int pos = pos0 + bt % T - seg[bt];
      g_assert_true (pos >= 0 && pos < P);
      for (int c = 0; c < C; c++)
        want[bt * C + c] = (double) wte0[tokens[bt] * C + c] + wpe0[pos * C + c];
    }
  kc_compare (name, got, want, B * T * C, KC_NMSE_EXACT, 1e-6);
}

static void
test_encoder_forward (void)
{
  /* A whole row, a left-padded row (pads are one-token segments), two packed segments. */
  const int seg[] = { 0, 0, 0, 0, 0, 0, 0,
                      0, 1, 2, 3, 3, 3, 3,
                      0, 0, 2, 2, 2, 5, 5 };
  check_encoder ("encoder_forward B=3 T=7 C=37 segments", 3, 7, 37, 0, seg, 10);
  check_encoder ("encoder_forward B=3 T=7 C=37 pos0=4", 3, 7, 37, 4, seg, 11);
  const int dec[] = { 0, 4, 9, 2 };
  check_encoder ("encoder_forward decode T=1 C=77 pos0=9", 4, 1, 77, 9, dec, 12);
}

static void
check_layernorm (int N, int C, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  g_autofree float *x0 = g_new (float, N * C);
  for (int n = 0; n < N; n++)
    {
      float mu = 6 * ms_test_rng_uniform (&r) - 3, sd = 0.1f + 3 * ms_test_rng_uniform (&r);
      for (int c = 0; c < C; c++)
        x0[n * C + c] = n == 1 ? 0.625f : mu + sd * ms_test_rng_normal (&r);  /* row 1: constant */
    }
  g_autofree float *w0 = kc_normal (&r, C, 1.0f), *b0 = kc_normal (&r, C, 1.0f);
  g_autoptr (KcTensor) out = kc_tensor_new (NULL, N * C, 7);
  g_autoptr (KcTensor) mean = kc_tensor_new (NULL, N, 2);
  g_autoptr (KcTensor) rstd = kc_tensor_new (NULL, N, 13);
  g_autoptr (KcTensor) inp = kc_tensor_new (x0, N * C, 21);
  g_autoptr (KcTensor) w = kc_tensor_new (w0, C, 1);
  g_autoptr (KcTensor) b = kc_tensor_new (b0, C, 40);
  ms_run1 (dev, "layernorm_forward", N, MEM (out), MEM (mean), MEM (rstd), MEM (inp), MEM (w),
           MEM (b), MS_ARG_INT, N, MS_ARG_INT, C, MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (out, "layernorm_forward out");
  g_autofree float *got_m = kc_tensor_read (mean, "layernorm_forward mean");
  g_autofree float *got_s = kc_tensor_read (rstd, "layernorm_forward rstd");
  g_autofree double *want = g_new (double, N * C), *want_m = g_new (double, N);
  g_autofree double *want_s = g_new (double, N);
  for (int n = 0; n < N; n++)
    {
      const float *x = x0 + n * C;
      double m = 0, v = 0;
      for (int c = 0; c < C; c++)
        m += x[c];
      m /= C;
      for (int c = 0; c < C; c++)
        v += (x[c] - m) * (x[c] - m);
      double s = 1 / sqrt (v / C + 1e-5);
      for (int c = 0; c < C; c++)
        want[n * C + c] = (x[c] - m) * s * w0[c] + b0[c];
      want_m[n] = m;
      want_s[n] = s;
    }
  g_autofree char *w1 = g_strdup_printf ("layernorm_forward N=%d C=%d out", N, C);
  g_autofree char *w2 = g_strdup_printf ("layernorm_forward N=%d C=%d mean", N, C);
  g_autofree char *w3 = g_strdup_printf ("layernorm_forward N=%d C=%d rstd", N, C);
  kc_compare (w1, got, want, N * C, KC_NMSE_TRANS, 1e-5 * kc_max_abs (want, N * C));
  kc_compare (w2, got_m, want_m, N, KC_NMSE_EXACT, 1e-5);
  kc_compare (w3, got_s, want_s, N, KC_NMSE_TRANS, 1e-6 * kc_max_abs (want_s, N));
}

static void
test_layernorm_forward (void)
{
  check_layernorm (65, 37, 20);
  check_layernorm (3, 768, 21);
  check_layernorm (1, 1, 22);
}

/* ---- attention ------------------------------------------------------------------------- */

/* scores (B, NH, Tq, Tk) -> causal softmax within each query's segment; seg (B, Tq). */
static void
check_softmax (const char *name, int B, int NH, int Tq, int Tk, int pos0, const int *seg,
               double scale, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  const int rows = B * NH * Tq, n = rows * Tk;
  g_autofree float *s0 = kc_normal (&r, n, 3.0f);
  g_autofree double *want = g_new0 (double, n);
  for (int row = 0; row < rows; row++)
    {
      int i = row % Tq, b = row / (NH * Tq), last = pos0 + i;
      int first = MIN (seg[b * Tq + i], last);
      g_assert_cmpint (last, <, Tk);
      float *s = s0 + (gsize) row * Tk;
      /* Masked scores are huge: a kernel that lets one in loses every other probability. */
      for (int j = 0; j < Tk; j++)
        if (j < first || j > last)
          s[j] = 1e30f;
      if (row % 5 == 1 && first < last)
        s[first] = -INFINITY;            /* a key that gets exactly zero */
      if (row % 7 == 2)
        for (int j = first; j <= last; j++)
          s[j] *= 1e4f;                  /* large scores: needs the max subtracted */
      double mx = -INFINITY, sum = 0;
      for (int j = first; j <= last; j++)
        mx = MAX (mx, (double) (float) scale * s[j]);
      for (int j = first; j <= last; j++)
        sum += exp ((double) (float) scale * s[j] - mx);
      for (int j = first; j <= last; j++)
        want[(gsize) row * Tk + j] = exp ((double) (float) scale * s[j] - mx) / sum;
    }
  g_autoptr (KcTensor) att = kc_tensor_new (s0, n, 19);
  g_autoptr (MsBuffer) sg = kc_ints_new (seg, B * Tq);
  ms_run1 (dev, "attention_softmax", rows, MEM (att), MS_ARG_MEM, sg, MS_ARG_INT, B,
           MS_ARG_INT, NH, MS_ARG_INT, Tq, MS_ARG_INT, Tk, MS_ARG_INT, pos0, MS_ARG_FLOAT, scale,
           MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (att, name);
  kc_compare (name, got, want, n, KC_NMSE_TRANS, 1e-6);
}

static void
test_attention_softmax (void)
{
  const int seg7[] = { 0, 0, 0, 0, 0, 0, 0,
                       0, 1, 2, 3, 3, 3, 3,    /* left padding: pads see only themselves */
                       0, 0, 2, 2, 2, 5, 5 };  /* three packed segments */
  check_softmax ("attention_softmax B=3 NH=2 T=7 segments", 3, 2, 7, 7, 0, seg7,
                 1 / sqrt (13), 30);
  MsTestRng r = { 31 };
  int seg65[2 * 65];
  for (int b = 0; b < 2; b++)
    for (int t = 0; t < 65; t++)
      seg65[b * 65 + t] = t == 0 || ms_test_rng_uniform (&r) < 0.1f ? t : seg65[b * 65 + t - 1];
  check_softmax ("attention_softmax B=2 NH=3 T=65 random segments", 2, 3, 65, 65, 0, seg65,
                 0.125, 32);
  const int dec[] = { 0, 4, 9, 2 };
  check_softmax ("attention_softmax decode Tq=1 Tk=10 pos0=9", 4, 3, 1, 10, 9, dec, 0.3, 33);
  /* A chunk of 4 queries after 7 cached positions; row 1 starts two one-token segments. */
  const int chunk[] = { 0, 0, 0, 0, 7, 8, 8, 8 };
  check_softmax ("attention_softmax chunk Tq=4 Tk=11 pos0=7", 2, 2, 4, 11, 7, chunk, 0.7, 34);
  const int one[] = { 0, 0 };
  check_softmax ("attention_softmax T=1", 2, 1, 1, 1, 0, one, 1.0, 35);
}

/* cache (B, maxT, 2C) <- the keys and values of qkv (B, Tq, 3C) at pos0 .. pos0 + Tq - 1 */
static void
check_kv_store (int B, int Tq, int C, int maxT, int pos0, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  const int nc = B * maxT * 2 * C, nq = B * Tq * 3 * C;
  g_autofree float *c0 = kc_normal (&r, nc, 1.0f), *q0 = kc_normal (&r, nq, 1.0f);
  g_autoptr (KcTensor) cache = kc_tensor_new (c0, nc, 23);
  g_autoptr (KcTensor) qkv = kc_tensor_new (q0, nq, 8);
  ms_run1 (dev, "kv_store", B * Tq * 2 * C, MEM (cache), MEM (qkv), MS_ARG_INT, B, MS_ARG_INT, Tq,
           MS_ARG_INT, C, MS_ARG_INT, maxT, MS_ARG_INT, pos0, MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (cache, "kv_store");
  for (int b = 0; b < B; b++)
    for (int t = 0; t < Tq; t++)
      memcpy (c0 + ((gsize) b * maxT + pos0 + t) * 2 * C, q0 + ((gsize) b * Tq + t) * 3 * C + C,
              2 * C * sizeof (float));
  g_autofree char *what = g_strdup_printf ("kv_store B=%d Tq=%d C=%d maxT=%d pos0=%d", B, Tq, C,
                                           maxT, pos0);
  kc_compare_exact (what, got, c0, nc);
}

static void
test_kv_store (void)
{
  check_kv_store (2, 3, 37, 9, 4, 40);
  check_kv_store (3, 1, 37, 9, 8, 41);
  check_kv_store (1, 7, 13, 7, 0, 42);
}

/* att (B, NH, Tk) = q · k against the cache, then y (B, C) = att · v. Only the first Tk cached
 * positions and only the q part of qkv may be read: the rest holds NaN. */
static void
check_decode (int B, int NH, int hs, int maxT, int Tk, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  const int C = NH * hs, nq = B * 3 * C, nc = B * maxT * 2 * C, na = B * NH * Tk;
  g_autofree float *q0 = kc_normal (&r, nq, 1.0f), *c0 = kc_normal (&r, nc, 1.0f);
  g_autofree float *p0 = g_new (float, na), *cv = g_memdup2 (c0, nc * sizeof (float));
  for (int b = 0; b < B; b++)
    {
      for (int i = C; i < 3 * C; i++)
        q0[b * 3 * C + i] = NAN;
      for (int j = Tk; j < maxT; j++)
        for (int i = 0; i < 2 * C; i++)
          c0[((gsize) b * maxT + j) * 2 * C + i] = cv[((gsize) b * maxT + j) * 2 * C + i] = NAN;
      /* The scores read only keys, the values pass only values. */
      for (int j = 0; j < maxT; j++)
        for (int i = 0; i < C; i++)
          {
            cv[((gsize) b * maxT + j) * 2 * C + i] = NAN;
            c0[((gsize) b * maxT + j) * 2 * C + C + i] = NAN;
          }
    }
  for (int i = 0; i < na; i++)
    p0[i] = ms_test_rng_uniform (&r);
  g_autoptr (KcTensor) qkv = kc_tensor_new (q0, nq, 5);
  g_autoptr (KcTensor) cache = kc_tensor_new (c0, nc, 12);
  g_autoptr (KcTensor) cache_v = kc_tensor_new (cv, nc, 12);
  g_autoptr (KcTensor) att = kc_tensor_new (NULL, na, 3);
  g_autoptr (KcTensor) probs = kc_tensor_new (p0, na, 29);
  g_autoptr (KcTensor) y = kc_tensor_new (NULL, B * C, 10);
  ms_run1 (dev, "attention_decode_scores", na, MEM (att), MEM (qkv), MEM (cache), MS_ARG_INT, B,
           MS_ARG_INT, NH, MS_ARG_INT, hs, MS_ARG_INT, maxT, MS_ARG_INT, Tk, MS_ARG_END);
  ms_run1 (dev, "attention_decode_values", B * C, MEM (y), MEM (probs), MEM (cache_v),
           MS_ARG_INT, B, MS_ARG_INT, NH, MS_ARG_INT, hs, MS_ARG_INT, maxT, MS_ARG_INT, Tk,
           MS_ARG_END);
  kc_finish ();
  g_autofree float *got_s = kc_tensor_read (att, "attention_decode_scores");
  g_autofree float *got_y = kc_tensor_read (y, "attention_decode_values");
  g_autofree double *want_s = g_new (double, na), *want_y = g_new (double, B * C);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++)
      for (int j = 0; j < Tk; j++)
        {
          double s = 0;
          for (int d = 0; d < hs; d++)
            s += (double) q0[b * 3 * C + h * hs + d]
                 * c0[((gsize) b * maxT + j) * 2 * C + h * hs + d];
          want_s[(b * NH + h) * Tk + j] = s;
        }
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      {
        double s = 0;
        for (int j = 0; j < Tk; j++)
          s += (double) p0[(b * NH + c / hs) * Tk + j] * cv[((gsize) b * maxT + j) * 2 * C + C + c];
        want_y[b * C + c] = s;
      }
  g_autofree char *w1 = g_strdup_printf ("attention_decode_scores NH=%d hs=%d Tk=%d", NH, hs, Tk);
  g_autofree char *w2 = g_strdup_printf ("attention_decode_values NH=%d hs=%d Tk=%d", NH, hs, Tk);
  kc_compare (w1, got_s, want_s, na, KC_NMSE_EXACT, 1e-5 * kc_max_abs (want_s, na));
  kc_compare (w2, got_y, want_y, B * C, KC_NMSE_EXACT, 1e-5 * kc_max_abs (want_y, B * C));
}

static void
test_attention_decode (void)
{
  check_decode (3, 3, 13, 12, 9, 50);
  check_decode (2, 2, 7, 12, 1, 51);
  check_decode (2, 4, 16, 12, 12, 52);
}

/* ---- cross-entropy and argmax (both row-kernel variants) ------------------------------- */

static void
check_crossentropy_forward (const char *kernel, int N, int V, int Vp, guint64 seed)
{
  MsTestRng r = { seed };
  g_autofree int *targets = g_new (int, N);
  g_autofree float *x0 = kc_make_logits (&r, N, V, Vp, targets);
  g_autoptr (KcTensor) logits = kc_tensor_new (x0, (gsize) N * Vp, 13);
  g_autoptr (KcTensor) losses = kc_tensor_new (NULL, N, 7);
  g_autoptr (MsBuffer) tg = kc_ints_new (targets, N);
  kc_run_rows (kernel, N, MEM (losses), MEM (logits), MS_ARG_MEM, tg, MS_ARG_INT, N, MS_ARG_INT,
               V, MS_ARG_INT, Vp, MS_ARG_END);
  kc_finish ();
  g_autofree char *what = g_strdup_printf ("%s N=%d V=%d Vp=%d", kernel, N, V, Vp);
  g_autofree float *got = kc_tensor_read (losses, what);
  g_autofree float *xs = kc_tensor_read (logits, what);
  g_assert_true (memcmp (xs, x0, (gsize) N * Vp * sizeof (float)) == 0);
  g_autofree double *want = g_new (double, N);
  for (int n = 0; n < N; n++)
    {
      const float *x = x0 + (gsize) n * Vp;
      double mx = -INFINITY, sum = 0;
      for (int v = 0; v < V; v++)
        mx = MAX (mx, x[v]);
      for (int v = 0; v < V; v++)
        sum += exp (x[v] - mx);
      want[n] = targets[n] < 0 ? 0 : mx + log (sum) - x[targets[n]];
    }
  /* A row whose loss is ~1e4 (a 1e4 logit off the target) carries float rounding of 1e4 and
   * would swamp the others' normalized error: those rows get a relative bound of their own. */
  g_autofree float *got_small = g_new (float, N), *got_big = g_new (float, N);
  g_autofree double *want_small = g_new (double, N), *want_big = g_new (double, N);
  int ns = 0, nb = 0;
  for (int n = 0; n < N; n++)
    if (fabs (want[n]) < 100)
      got_small[ns] = got[n], want_small[ns++] = want[n];
    else
      got_big[nb] = got[n], want_big[nb++] = want[n];
  kc_compare (what, got_small, want_small, ns, KC_NMSE_TRANS, 1e-5);
  if (nb > 0)
    {
      g_autofree char *big = g_strdup_printf ("%s (loss ~1e4)", what);
      kc_compare (big, got_big, want_big, nb, KC_NMSE_TRANS, 1e-6 * kc_max_abs (want_big, nb));
    }
  if (N > 2 && V > 1)
    g_assert_cmpfloat (fabs (got[2] - log (V)), <, 1e-5 * log (V));
}

static void
test_crossentropy_forward (gconstpointer kernel)
{
  check_crossentropy_forward (kernel, 9, 1000, 1024, 60);
  check_crossentropy_forward (kernel, 8, 50257, 50304, 61);
  check_crossentropy_forward (kernel, 8, 5, 8, 62);
  check_crossentropy_forward (kernel, 8, 37, 37, 63);
  check_crossentropy_forward (kernel, 1, 1, 1, 64);
}

static void
check_argmax (const char *kernel, int N, int V, int Vp, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  g_autofree float *x0 = kc_normal (&r, (gsize) N * Vp, 1.0f);
  for (int n = 0; n < N; n++)
    {
      float *row = x0 + (gsize) n * Vp;
      int a = (int) (ms_test_rng_u64 (&r) % V), b = (int) (ms_test_rng_u64 (&r) % V);
      switch (n % 9)
        {
        case 1:
          for (int v = 0; v < V; v++)
            row[v] = -0.5f;              /* all tied: index 0 */
          break;
        case 2:
          row[a] = row[b] = 100.0f;      /* a tie anywhere: the lower index */
          break;
        case 3:
          if (a + 64 < V)
            row[a] = row[a + 64] = 100.0f;  /* a tie within one lane of the 64-wide form */
          if (a + 16 < V)
            row[a + 16] = 100.0f;           /* and within one float16 lane */
          break;
        case 4:
          for (int v = 0; v < V; v++)
            row[v] = -INFINITY;
          row[V - 1] = -1e30f;           /* the only finite one, in the tail */
          break;
        case 5:
          row[V - 1] = 50.0f;
          break;
        case 6:
          for (int v = 0; v < V; v++)
            row[v] = -INFINITY;          /* nothing finite: index 0 */
          break;
        case 7:
          row[a] = 3e38f;
          break;
        case 8:
          row[0] = 100.0f;
          row[V - 1] = 100.0f;
          break;
        }
      for (int v = V; v < Vp; v++)
        row[v] = INFINITY;               /* padding never wins */
    }
  g_autoptr (KcTensor) logits = kc_tensor_new (x0, (gsize) N * Vp, 6);
  const int guard = 17;
  g_autofree int *out0 = g_new (int, N + guard);
  for (int i = 0; i < N + guard; i++)
    out0[i] = -7777;
  g_autoptr (MsBuffer) out = kc_ints_new (out0, N + guard);
  kc_run_rows (kernel, N, MS_ARG_MEM, out, MEM (logits), MS_ARG_INT, N, MS_ARG_INT, V,
               MS_ARG_INT, Vp, MS_ARG_END);
  kc_finish ();
  g_autofree int *got = g_new (int, N + guard);
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_buffer_read (dev, out, 0, got, (N + guard) * sizeof (int), &error));
  for (int n = 0; n < N; n++)
    {
      const float *row = x0 + (gsize) n * Vp;
      int best = 0;
      for (int v = 1; v < V; v++)
        if (row[v] > row[best])
          best = v;
      if (got[n] != best)
        g_error ("%s N=%d V=%d Vp=%d row %d (case %d): argmax %d (%g), want %d (%g)", kernel, N,
                 V, Vp, n, n % 9, got[n], got[n] >= 0 && got[n] < Vp ? row[got[n]] : NAN, best,
                 row[best]);
    }
  for (int i = N; i < N + guard; i++)
    g_assert_cmpint (got[i], ==, -7777);
  g_test_message ("%s N=%d V=%d Vp=%d: all %d rows exact", kernel, N, V, Vp, N);
}

static void
test_argmax (gconstpointer kernel)
{
  check_argmax (kernel, 18, 1000, 1024, 70);
  check_argmax (kernel, 9, 50257, 50304, 71);
  check_argmax (kernel, 9, 5, 8, 72);
  check_argmax (kernel, 9, 37, 40, 73);
  check_argmax (kernel, 9, 130, 130, 74);
}

void
kc_add_forward_tests (void)
{
  g_test_add_func ("/kernels/forward/fill", test_fill);
  g_test_add_func ("/kernels/forward/axpby", test_axpby);
  g_test_add_func ("/kernels/forward/bias_add", test_bias_add);
  g_test_add_func ("/kernels/forward/bias_gelu_forward", test_bias_gelu_forward);
  g_test_add_func ("/kernels/forward/residual_bias_forward", test_residual_bias_forward);
  g_test_add_func ("/kernels/forward/encoder_forward", test_encoder_forward);
  g_test_add_func ("/kernels/forward/layernorm_forward", test_layernorm_forward);
  g_test_add_func ("/kernels/forward/attention_softmax", test_attention_softmax);
  g_test_add_func ("/kernels/forward/kv_store", test_kv_store);
  g_test_add_func ("/kernels/forward/attention_decode", test_attention_decode);
  g_test_add_data_func ("/kernels/forward/crossentropy_forward", "crossentropy_forward",
                        test_crossentropy_forward);
  g_test_add_data_func ("/kernels/forward/crossentropy_forward_cpu", "crossentropy_forward_cpu",
                        test_crossentropy_forward);
  g_test_add_data_func ("/kernels/forward/argmax_rows", "argmax_rows", test_argmax);
  g_test_add_data_func ("/kernels/forward/argmax_rows_cpu", "argmax_rows_cpu", test_argmax);
}
