/* Every backward kernel in kernels/ twice: against a double-precision CPU reference of its
 * formula (accumulating into nonzero gradients where the kernel accumulates), and against
 * central differences of a double forward of the op it differentiates, for L = sum(w ⊙ f(x))
 * with random w. Also the gradient-norm partial sums and AdamW as torch.optim.AdamW. */
#include <math.h>
#include <string.h>

#include "kernel-check.h"

/* Central differences of a double forward are good to ~1e-8; the kernels' float gradients to
 * ~1e-5 of the gradient's scale. A wrong sign costs 1e-1 or more, a term 1% off about 1e-2. */
#define FD_TOL 1e-3

#define MEM(t) MS_ARG_MEM, (t)->buf, MS_ARG_INT, (t)->off

/* ---- cross-entropy ---------------------------------------------------------------------- */

typedef struct {
  double *x;           /* logits (N, Vp) */
  const int *targets;  /* (N) */
  int N, V, Vp;
  double scale;
} CeCtx;

/* L = scale * sum of the losses of the rows whose target is not ignored */
static double
ce_loss (gconstpointer p)
{
  const CeCtx *c = p;
  double L = 0;
  for (int n = 0; n < c->N; n++)
    {
      const double *x = c->x + (gsize) n * c->Vp;
      if (c->targets[n] < 0)
        continue;
      double mx = -INFINITY, sum = 0;
      for (int v = 0; v < c->V; v++)
        mx = MAX (mx, x[v]);
      for (int v = 0; v < c->V; v++)
        sum += exp (x[v] - mx);
      L += c->scale * (mx + log (sum) - x[c->targets[n]]);
    }
  return L;
}

/* The kernel's dlogits over LOGITS (N, Vp), in place; returns them. */
static float *
run_ce_backward (const char *kernel, const float *x0, const int *targets, int N, int V, int Vp,
                 double scale, const char *what)
{
  g_autoptr (KcTensor) logits = kc_tensor_new (x0, (gsize) N * Vp, 13);
  g_autoptr (MsBuffer) tg = kc_ints_new (targets, N);
  kc_run_rows (kernel, N, MEM (logits), MS_ARG_MEM, tg, MS_ARG_INT, N, MS_ARG_INT, V, MS_ARG_INT,
               Vp, MS_ARG_FLOAT, scale, MS_ARG_END);
  kc_finish ();
  return kc_tensor_read (logits, what);
}

static void
check_ce_backward (const char *kernel, int N, int V, int Vp, guint64 seed)
{
  MsTestRng r = { seed };
  const double scale = 0.37;
  g_autofree int *targets = g_new (int, N);
  g_autofree float *x0 = kc_make_logits (&r, N, V, Vp, targets);
  g_autofree char *what = g_strdup_printf ("%s N=%d V=%d Vp=%d", kernel, N, V, Vp);
  g_autofree float *got = run_ce_backward (kernel, x0, targets, N, V, Vp, scale, what);
  g_autofree double *want = g_new0 (double, (gsize) N * Vp);
  for (int n = 0; n < N; n++)
    {
      const float *x = x0 + (gsize) n * Vp;
      double *d = want + (gsize) n * Vp;
      if (targets[n] < 0)
        continue;
      double mx = -INFINITY, sum = 0;
      for (int v = 0; v < V; v++)
        mx = MAX (mx, x[v]);
      for (int v = 0; v < V; v++)
        sum += exp (x[v] - mx);
      for (int v = 0; v < V; v++)
        d[v] = (float) scale * (exp (x[v] - mx) / sum - (v == targets[n]));
    }
  kc_compare (what, got, want, (gsize) N * Vp, KC_NMSE_TRANS, 1e-6);
}

static void
check_ce_fd (const char *kernel, int N, int V, int Vp, guint64 seed)
{
  MsTestRng r = { seed };
  g_autofree float *x0 = kc_normal (&r, (gsize) N * Vp, 2.0f);
  g_autofree int *targets = g_new (int, N);
  for (int n = 0; n < N; n++)
    targets[n] = n == 1 ? -1 : (int) (ms_test_rng_u64 (&r) % V);
  const double scale = 1.0 / (N - 1);
  g_autofree char *what = g_strdup_printf ("%s N=%d V=%d", kernel, N, V);
  g_autofree float *grad = run_ce_backward (kernel, x0, targets, N, V, Vp, scale, what);
  g_autofree double *x = kc_widen (x0, (gsize) N * Vp);
  CeCtx ctx = { x, targets, N, V, Vp, scale };
  /* The targets of rows 0 and 2, a logit of the ignored row, the tail, a padding column. */
  const gsize extra[] = { targets[0], 2 * (gsize) Vp + targets[2], (gsize) Vp + 3, V - 1,
                          (gsize) Vp - 1 };
  g_autofree gsize *idx = kc_pick (&r, (gsize) N * Vp, 16, extra, G_N_ELEMENTS (extra));
  kc_check_fd (what, ce_loss, &ctx, x, grad, (gsize) N * Vp, idx, 16 + G_N_ELEMENTS (extra),
               FD_TOL);
}

static void
test_crossentropy_backward (gconstpointer kernel)
{
  check_ce_backward (kernel, 9, 1000, 1024, 100);
  check_ce_backward (kernel, 8, 50257, 50304, 101);
  check_ce_backward (kernel, 8, 5, 8, 102);
  check_ce_backward (kernel, 8, 37, 37, 103);
  check_ce_fd (kernel, 5, 1000, 1024, 104);
  check_ce_fd (kernel, 3, 50257, 50304, 105);
  check_ce_fd (kernel, 4, 37, 40, 106);
}

/* ---- bias and GELU ---------------------------------------------------------------------- */

typedef struct {
  double *bias;      /* (OC) */
  const float *x;    /* (N, OC) */
  const float *w;    /* (N, OC) */
  int N, OC;
} BiasCtx;

/* L = sum(w ⊙ (x + bias)), bias_add's forward */
static double
bias_loss (gconstpointer p)
{
  const BiasCtx *c = p;
  double L = 0;
  for (int i = 0; i < c->N * c->OC; i++)
    L += c->w[i] * (c->x[i] + c->bias[i % c->OC]);
  return L;
}

static void
test_bias_backward (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 110 };
  const int N = 65, OC = 111;
  g_autofree float *dout0 = kc_normal (&r, N * OC, 1.0f), *db0 = kc_normal (&r, OC, 1.0f);
  g_autofree float *x0 = kc_normal (&r, N * OC, 1.0f), *b0 = kc_normal (&r, OC, 1.0f);
  g_autoptr (KcTensor) dout = kc_tensor_new (dout0, N * OC, 33);
  g_autoptr (KcTensor) dbias = kc_tensor_new (db0, OC, 4);      /* accumulates onto these */
  g_autoptr (KcTensor) dbias_z = kc_tensor_new (NULL, OC, 60);
  ms_run1 (dev, "bias_backward", OC, MEM (dbias), MEM (dout), MS_ARG_INT, N, MS_ARG_INT, OC,
           MS_ARG_END);
  ms_run1 (dev, "bias_backward", OC, MEM (dbias_z), MEM (dout), MS_ARG_INT, N, MS_ARG_INT, OC,
           MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (dbias, "bias_backward");
  g_autofree float *grad = kc_tensor_read (dbias_z, "bias_backward");
  g_autofree double *want = kc_widen (db0, OC);
  for (int i = 0; i < N * OC; i++)
    want[i % OC] += dout0[i];
  kc_compare ("bias_backward N=65 OC=111 (+=)", got, want, OC, KC_NMSE_EXACT, 1e-5);
  g_autofree double *bias = kc_widen (b0, OC);
  BiasCtx ctx = { bias, x0, dout0, N, OC };
  g_autofree gsize *idx = kc_pick (&r, OC, 12, (const gsize[]){ 0, OC - 1 }, 2);
  kc_check_fd ("bias_backward dbias", bias_loss, &ctx, bias, grad, OC, idx, 14, FD_TOL);
}

static double
gelu (double x)
{
  return 0.5 * x * (1 + tanh (sqrt (2 / G_PI) * (x + 0.044715 * x * x * x)));
}

typedef struct {
  double *h;
  const float *w;
  int n;
} GeluCtx;

static double
gelu_loss (gconstpointer p)
{
  const GeluCtx *c = p;
  double L = 0;
  for (int i = 0; i < c->n; i++)
    L += c->w[i] * gelu (c->h[i]);
  return L;
}

static void
test_gelu_backward (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 120 };
  const int n = 7 * 4 * 37;
  g_autofree float *h0 = kc_normal (&r, n, 2.0f), *w0 = kc_normal (&r, n, 1.0f);
  const float special[] = { -10, -5, -4, -0.75f, 0, 4, 5, 10 };
  gsize extra[G_N_ELEMENTS (special)];
  for (guint k = 0; k < G_N_ELEMENTS (special); k++)
    h0[extra[k] = k * 101] = special[k];
  g_autoptr (KcTensor) d = kc_tensor_new (w0, n, 9);
  g_autoptr (KcTensor) h = kc_tensor_new (h0, n, 26);
  ms_run1 (dev, "gelu_backward", n, MEM (d), MEM (h), MS_ARG_INT, n, MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (d, "gelu_backward");
  g_autofree double *want = g_new (double, n);
  const double k = sqrt (2 / G_PI);
  for (int i = 0; i < n; i++)
    {
      double x = h0[i], u = k * (x + 0.044715 * x * x * x), th = tanh (u);
      want[i] = w0[i] * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * k * (1 + 3 * 0.044715 * x * x));
    }
  kc_compare ("gelu_backward n=1036", got, want, n, KC_NMSE_TRANS, 1e-5 * kc_max_abs (want, n));
  g_autofree double *hd = kc_widen (h0, n);
  GeluCtx ctx = { hd, w0, n };
  g_autofree gsize *idx = kc_pick (&r, n, 24, extra, G_N_ELEMENTS (extra));
  kc_check_fd ("gelu_backward dh", gelu_loss, &ctx, hd, got, n, idx, 24 + G_N_ELEMENTS (extra),
               FD_TOL);
}

/* Far out in the tails GELU-tanh is 0 or x and its derivative exactly 0 or 1 in float (as
 * PyTorch computes it); the kernel's sech^2 = 1 - tanh^2 must not turn a tanh that stops one
 * ulp short of +-1 into an error that grows as x^3. */
static void
test_gelu_backward_saturated (void)
{
  MsDevice *dev = ms_test_device ();
  const float h0[] = { -1000, -100, -30, -12, 12, 30, 100, 1000 };
  const int n = G_N_ELEMENTS (h0);
  float w0[G_N_ELEMENTS (h0)];
  double want[G_N_ELEMENTS (h0)];
  for (int i = 0; i < n; i++)
    {
      w0[i] = 1.0f;
      want[i] = h0[i] > 0;
    }
  g_autoptr (KcTensor) d = kc_tensor_new (w0, n, 1);
  g_autoptr (KcTensor) h = kc_tensor_new (h0, n, 2);
  ms_run1 (dev, "gelu_backward", n, MEM (d), MEM (h), MS_ARG_INT, n, MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (d, "gelu_backward");
  for (int i = 0; i < n; i++)
    g_test_message ("gelu_backward at %g: %.9g, want %g", h0[i], got[i], want[i]);
  kc_compare ("gelu_backward |x| >= 12", got, want, n, KC_NMSE_EXACT, 1e-6);
}

/* ---- LayerNorm -------------------------------------------------------------------------- */

typedef struct {
  double *x, *w, *b;   /* (N, C), (C), (C) */
  const float *dy;     /* (N, C) */
  int N, C;
} LnCtx;

/* L = sum(dy ⊙ LayerNorm(x; w, b)) */
static double
ln_loss (gconstpointer p)
{
  const LnCtx *c = p;
  double L = 0;
  for (int n = 0; n < c->N; n++)
    {
      const double *x = c->x + (gsize) n * c->C;
      double m = 0, v = 0;
      for (int i = 0; i < c->C; i++)
        m += x[i];
      m /= c->C;
      for (int i = 0; i < c->C; i++)
        v += (x[i] - m) * (x[i] - m);
      double s = 1 / sqrt (v / c->C + 1e-5);
      for (int i = 0; i < c->C; i++)
        L += c->dy[n * c->C + i] * ((x[i] - m) * s * c->w[i] + c->b[i]);
    }
  return L;
}

static void
check_layernorm_backward (int N, int C, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  g_autofree float *x0 = g_new (float, N * C);
  for (int n = 0; n < N; n++)
    {
      float mu = 4 * ms_test_rng_uniform (&r) - 2, sd = 0.2f + 2 * ms_test_rng_uniform (&r);
      for (int c = 0; c < C; c++)
        x0[n * C + c] = n == 1 ? -0.375f : mu + sd * ms_test_rng_normal (&r);  /* constant row */
    }
  g_autofree float *w0 = kc_normal (&r, C, 1.0f), *b0 = kc_normal (&r, C, 1.0f);
  g_autofree float *dy0 = kc_normal (&r, N * C, 1.0f);
  g_autofree float *mean0 = g_new (float, N), *rstd0 = g_new (float, N);
  g_autofree double *mean = g_new (double, N), *rstd = g_new (double, N);
  for (int n = 0; n < N; n++)
    {
      double m = 0, v = 0;
      for (int c = 0; c < C; c++)
        m += x0[n * C + c];
      m /= C;
      for (int c = 0; c < C; c++)
        v += (x0[n * C + c] - m) * (x0[n * C + c] - m);
      mean0[n] = mean[n] = m;
      rstd0[n] = rstd[n] = 1 / sqrt (v / C + 1e-5);
    }
  g_autofree float *dx0 = kc_normal (&r, N * C, 1.0f), *dw0 = kc_normal (&r, C, 1.0f);
  g_autofree float *db0 = kc_normal (&r, C, 1.0f);
  g_autoptr (KcTensor) inp = kc_tensor_new (x0, N * C, 3);
  g_autoptr (KcTensor) w = kc_tensor_new (w0, C, 17);
  g_autoptr (KcTensor) dout = kc_tensor_new (dy0, N * C, 8);
  g_autoptr (KcTensor) mt = kc_tensor_new (mean0, N, 1);
  g_autoptr (KcTensor) st = kc_tensor_new (rstd0, N, 30);
  /* Twice: accumulating onto random gradients, and from zeros for the differences. */
  g_autoptr (KcTensor) dinp = kc_tensor_new (dx0, N * C, 5);
  g_autoptr (KcTensor) dw = kc_tensor_new (dw0, C, 2);
  g_autoptr (KcTensor) db = kc_tensor_new (db0, C, 44);
  g_autoptr (KcTensor) dinp_z = kc_tensor_new (NULL, N * C, 6);
  g_autoptr (KcTensor) dw_z = kc_tensor_new (NULL, C, 7);
  g_autoptr (KcTensor) db_z = kc_tensor_new (NULL, C, 8);
  for (int k = 0; k < 2; k++)
    {
      KcTensor *di = k ? dinp_z : dinp, *gw = k ? dw_z : dw, *gb = k ? db_z : db;
      ms_run1 (dev, "layernorm_backward_input", N, MEM (di), MEM (dout), MEM (inp), MEM (mt),
               MEM (st), MEM (w), MS_ARG_INT, N, MS_ARG_INT, C, MS_ARG_END);
      ms_run1 (dev, "layernorm_backward_params", C, MEM (gw), MEM (gb), MEM (dout), MEM (inp),
               MEM (mt), MEM (st), MS_ARG_INT, N, MS_ARG_INT, C, MS_ARG_END);
    }
  kc_finish ();
  g_autofree float *got_dx = kc_tensor_read (dinp, "layernorm_backward_input");
  g_autofree float *got_dw = kc_tensor_read (dw, "layernorm_backward_params dw");
  g_autofree float *got_db = kc_tensor_read (db, "layernorm_backward_params db");
  g_autofree float *gx = kc_tensor_read (dinp_z, "layernorm_backward_input");
  g_autofree float *gw = kc_tensor_read (dw_z, "layernorm_backward_params dw");
  g_autofree float *gb = kc_tensor_read (db_z, "layernorm_backward_params db");

  g_autofree double *want_dx = kc_widen (dx0, N * C), *want_dw = kc_widen (dw0, C);
  g_autofree double *want_db = kc_widen (db0, C);
  for (int n = 0; n < N; n++)
    {
      double dmean = 0, dnorm_mean = 0;
      for (int c = 0; c < C; c++)
        {
          double norm = (x0[n * C + c] - mean[n]) * rstd[n];
          double dnorm = (double) w0[c] * dy0[n * C + c];
          dmean += dnorm / C;
          dnorm_mean += dnorm * norm / C;
          want_dw[c] += dy0[n * C + c] * norm;
          want_db[c] += dy0[n * C + c];
        }
      for (int c = 0; c < C; c++)
        {
          double norm = (x0[n * C + c] - mean[n]) * rstd[n];
          double dnorm = (double) w0[c] * dy0[n * C + c];
          want_dx[n * C + c] += rstd[n] * (dnorm - dmean - norm * dnorm_mean);
        }
    }
  g_autofree char *w1 = g_strdup_printf ("layernorm_backward_input N=%d C=%d (+=)", N, C);
  g_autofree char *w2 = g_strdup_printf ("layernorm_backward_params N=%d C=%d dw (+=)", N, C);
  g_autofree char *w3 = g_strdup_printf ("layernorm_backward_params N=%d C=%d db (+=)", N, C);
  kc_compare (w1, got_dx, want_dx, N * C, KC_NMSE_TRANS, 1e-4 * kc_max_abs (want_dx, N * C));
  kc_compare (w2, got_dw, want_dw, C, KC_NMSE_TRANS, 1e-5 * kc_max_abs (want_dw, C));
  kc_compare (w3, got_db, want_db, C, KC_NMSE_EXACT, 1e-5 * kc_max_abs (want_db, C));

  g_autofree double *x = kc_widen (x0, N * C), *wd = kc_widen (w0, C), *bd = kc_widen (b0, C);
  LnCtx ctx = { x, wd, bd, dy0, N, C };
  const gsize extra[] = { C, C + 1, 2 * C - 1, N * C - 1 };  /* the constant row, the tail */
  g_autofree gsize *idx = kc_pick (&r, N * C, 24, extra, G_N_ELEMENTS (extra));
  g_autofree char *f1 = g_strdup_printf ("layernorm_backward_input C=%d dx", C);
  g_autofree char *f2 = g_strdup_printf ("layernorm_backward_params C=%d dw", C);
  g_autofree char *f3 = g_strdup_printf ("layernorm_backward_params C=%d db", C);
  kc_check_fd (f1, ln_loss, &ctx, x, gx, N * C, idx, 24 + G_N_ELEMENTS (extra), FD_TOL);
  g_autofree gsize *idc = kc_pick (&r, C, 16, (const gsize[]){ 0, C - 1 }, 2);
  kc_check_fd (f2, ln_loss, &ctx, wd, gw, C, idc, 18, FD_TOL);
  kc_check_fd (f3, ln_loss, &ctx, bd, gb, C, idc, 18, FD_TOL);
}

static void
test_layernorm_backward (void)
{
  check_layernorm_backward (65, 37, 130);
  check_layernorm_backward (3, 768, 131);
}

/* ---- attention softmax ------------------------------------------------------------------ */

typedef struct {
  double *s;           /* raw scores (B, NH, T, T) */
  double *scale;       /* one */
  const float *w;      /* (B, NH, T, T) */
  const int *seg;      /* (B, T) */
  int B, NH, T;
} SmCtx;

/* The causal softmax within segments of scale * s (attention_softmax with Tq = Tk = T). */
static void
softmax_rows (const SmCtx *c, double *p)
{
  const int T = c->T;
  for (int row = 0; row < c->B * c->NH * T; row++)
    {
      int i = row % T, b = row / (c->NH * T), first = MIN (c->seg[b * T + i], i);
      const double *s = c->s + (gsize) row * T;
      double *q = p + (gsize) row * T, mx = -INFINITY, sum = 0;
      for (int j = 0; j < T; j++)
        q[j] = 0;
      for (int j = first; j <= i; j++)
        mx = MAX (mx, *c->scale * s[j]);
      for (int j = first; j <= i; j++)
        sum += (q[j] = exp (*c->scale * s[j] - mx));
      for (int j = first; j <= i; j++)
        q[j] /= sum;
    }
}

static double
softmax_loss (gconstpointer p)
{
  const SmCtx *c = p;
  gsize n = (gsize) c->B * c->NH * c->T * c->T;
  g_autofree double *q = g_new (double, n);
  softmax_rows (c, q);
  double L = 0;
  for (gsize i = 0; i < n; i++)
    L += c->w[i] * q[i];
  return L;
}

static void
check_softmax_backward (int B, int NH, int T, const int *seg, double scale, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  const int rows = B * NH * T;
  const gsize n = (gsize) rows * T;
  g_autofree float *s0 = kc_normal (&r, n, 2.0f), *w0 = kc_normal (&r, n, 1.0f);
  g_autofree double *s = kc_widen (s0, n), *p = g_new (double, n);
  double sc = (float) scale;
  SmCtx ctx = { s, &sc, w0, seg, B, NH, T };
  softmax_rows (&ctx, p);
  g_autofree float *p0 = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    p0[i] = p[i];
  g_autoptr (KcTensor) datt = kc_tensor_new (w0, n, 14);
  g_autoptr (KcTensor) att = kc_tensor_new (p0, n, 3);
  ms_run1 (dev, "attention_softmax_backward", rows, MEM (datt), MEM (att), MS_ARG_INT, rows,
           MS_ARG_INT, T, MS_ARG_FLOAT, scale, MS_ARG_END);
  kc_finish ();
  g_autofree float *got = kc_tensor_read (datt, "attention_softmax_backward");
  g_autofree double *want = g_new (double, n);
  for (int row = 0; row < rows; row++)
    {
      const float *q = p0 + (gsize) row * T, *w = w0 + (gsize) row * T;
      double dot = 0;
      for (int j = 0; j < T; j++)
        dot += (double) q[j] * w[j];
      for (int j = 0; j < T; j++)
        want[(gsize) row * T + j] = sc * q[j] * (w[j] - dot);
    }
  g_autofree char *what = g_strdup_printf ("attention_softmax_backward B=%d NH=%d T=%d", B, NH, T);
  kc_compare (what, got, want, n, KC_NMSE_TRANS, 1e-5 * kc_max_abs (want, n));

  if (T == 1)
    return;  /* a query that sees one key: the gradient is exactly 0, checked above */
  /* dL/ds at random scores, at a masked one (0), at the last query's own key, and at the only
   * key of a query that starts a segment (a pad, say: 0 too, its softmax is constant). */
  gsize extra[3] = { 1, (gsize) T * T - 1, 0 };
  for (int bi = B * T - 1; bi >= 0; bi--)
    if (bi % T > 0 && seg[bi] == bi % T)
      extra[2] = ((gsize) (bi / T) * NH * T + bi % T) * T + bi % T;
  g_autofree gsize *idx = kc_pick (&r, n, 24, extra, G_N_ELEMENTS (extra));
  g_autofree char *f1 = g_strdup_printf ("attention_softmax_backward T=%d dscores", T);
  kc_check_fd (f1, softmax_loss, &ctx, s, got, n, idx, 24 + G_N_ELEMENTS (extra), FD_TOL);
  /* dL/dscale = sum_j s_j dL/d(scale s_j) = sum_j s_j d_j / scale */
  double dscale = 0;
  for (gsize i = 0; i < n; i++)
    if (p0[i] > 0)
      dscale += s0[i] * (double) got[i] / sc;
  float dscale_f = dscale;
  g_autofree char *f2 = g_strdup_printf ("attention_softmax_backward T=%d dscale", T);
  kc_check_fd (f2, softmax_loss, &ctx, &sc, &dscale_f, 1, (const gsize[]){ 0 }, 1, FD_TOL);
}

static void
test_attention_softmax_backward (void)
{
  const int seg7[] = { 0, 0, 0, 0, 0, 0, 0,
                       0, 1, 2, 3, 3, 3, 3,    /* left padding */
                       0, 0, 2, 2, 2, 5, 5 };  /* packed segments */
  check_softmax_backward (3, 2, 7, seg7, 1 / sqrt (13), 140);
  MsTestRng r = { 141 };
  int seg65[2 * 65];
  for (int b = 0; b < 2; b++)
    for (int t = 0; t < 65; t++)
      seg65[b * 65 + t] = t == 0 || ms_test_rng_uniform (&r) < 0.1f ? t : seg65[b * 65 + t - 1];
  check_softmax_backward (2, 3, 65, seg65, 0.125, 142);
  const int one[] = { 0 };
  check_softmax_backward (1, 2, 1, one, 0.5, 143);
}

/* ---- embeddings ------------------------------------------------------------------------- */

typedef struct {
  double *wte, *wpe;   /* (V, C), (P, C) */
  const float *dout;   /* (B, T, C) */
  const int *tokens, *seg;
  int B, T, C;
} EncCtx;

/* L = sum(dout ⊙ encoder_forward(wte, wpe)) at pos0 = 0 */
static double
enc_loss (gconstpointer p)
{
  const EncCtx *c = p;
  double L = 0;
  for (int bt = 0; bt < c->B * c->T; bt++)
    {
      int pos = MAX (bt % c->T - c->seg[bt], 0);
      for (int i = 0; i < c->C; i++)
        L += c->dout[bt * c->C + i] * (c->wte[c->tokens[bt] * c->C + i] + c->wpe[pos * c->C + i]);
    }
  return L;
}

static void
test_encoder_backward (void)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { 150 };
  const int B = 3, T = 7, C = 37, V = 11, P = 9;
  const int seg[] = { 0, 0, 0, 0, 0, 0, 0,
                      0, 1, 2, 3, 3, 3, 3,
                      0, 0, 2, 2, 2, 5, 5 };
  int tokens[3 * 7];
  for (int i = 0; i < B * T; i++)
    tokens[i] = (int) (ms_test_rng_u64 (&r) % 5);   /* few distinct: repeats must accumulate */
  tokens[4] = V - 1;
  g_autofree float *dout0 = kc_normal (&r, B * T * C, 1.0f);
  g_autofree float *gte0 = kc_normal (&r, V * C, 1.0f), *gpe0 = kc_normal (&r, P * C, 1.0f);
  g_autoptr (KcTensor) dout = kc_tensor_new (dout0, B * T * C, 21);
  g_autoptr (KcTensor) dwte = kc_tensor_new (gte0, V * C, 2);
  g_autoptr (KcTensor) dwpe = kc_tensor_new (gpe0, P * C, 39);
  g_autoptr (KcTensor) dwte_z = kc_tensor_new (NULL, V * C, 12);
  g_autoptr (KcTensor) dwpe_z = kc_tensor_new (NULL, P * C, 1);
  g_autoptr (MsBuffer) tok = kc_ints_new (tokens, B * T);
  g_autoptr (MsBuffer) sg = kc_ints_new (seg, B * T);
  ms_run1 (dev, "encoder_backward", C, MEM (dwte), MEM (dwpe), MEM (dout), MS_ARG_MEM, tok,
           MS_ARG_MEM, sg, MS_ARG_INT, B, MS_ARG_INT, T, MS_ARG_INT, C, MS_ARG_END);
  ms_run1 (dev, "encoder_backward", C, MEM (dwte_z), MEM (dwpe_z), MEM (dout), MS_ARG_MEM, tok,
           MS_ARG_MEM, sg, MS_ARG_INT, B, MS_ARG_INT, T, MS_ARG_INT, C, MS_ARG_END);
  kc_finish ();
  g_autofree float *got_te = kc_tensor_read (dwte, "encoder_backward dwte");
  g_autofree float *got_pe = kc_tensor_read (dwpe, "encoder_backward dwpe");
  g_autofree float *gte = kc_tensor_read (dwte_z, "encoder_backward dwte");
  g_autofree float *gpe = kc_tensor_read (dwpe_z, "encoder_backward dwpe");
  g_autofree double *want_te = kc_widen (gte0, V * C), *want_pe = kc_widen (gpe0, P * C);
  for (int bt = 0; bt < B * T; bt++)
    for (int c = 0; c < C; c++)
      {
        want_te[tokens[bt] * C + c] += dout0[bt * C + c];
        want_pe[MAX (bt % T - seg[bt], 0) * C + c] += dout0[bt * C + c];
      }
  kc_compare ("encoder_backward dwte (+=, repeated tokens)", got_te, want_te, V * C, KC_NMSE_EXACT,
              1e-5);
  kc_compare ("encoder_backward dwpe (+=, segments)", got_pe, want_pe, P * C, KC_NMSE_EXACT, 1e-5);
  g_autofree float *wte0 = kc_normal (&r, V * C, 1.0f), *wpe0 = kc_normal (&r, P * C, 1.0f);
  g_autofree double *wte = kc_widen (wte0, V * C), *wpe = kc_widen (wpe0, P * C);
  EncCtx ctx = { wte, wpe, dout0, tokens, seg, B, T, C };
  const gsize extra[] = { tokens[0] * C, tokens[1] * C + 5, (V - 1) * C + 36, 6 * C + 1 };
  g_autofree gsize *idx = kc_pick (&r, V * C, 16, extra, 4);
  kc_check_fd ("encoder_backward dwte", enc_loss, &ctx, wte, gte, V * C, idx, 20, FD_TOL);
  g_autofree gsize *idp = kc_pick (&r, 7 * C, 16, NULL, 0);   /* positions 0..6 are used */
  kc_check_fd ("encoder_backward dwpe", enc_loss, &ctx, wpe, gpe, P * C, idp, 16, FD_TOL);
}

/* ---- gradient norm and AdamW ------------------------------------------------------------ */

/* partial[g] = the sum of squares of x's slice g of ceil(n / groups) elements */
static void
check_sum_squares (int n, int groups, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  g_autofree float *x0 = kc_normal (&r, n, 1.5f);
  g_autoptr (KcTensor) x = kc_tensor_new (x0, n, 37);
  g_autoptr (KcTensor) part = kc_tensor_new (NULL, groups, 5);
  ms_run (dev, "sum_squares", 1, (size_t[]){ (size_t) groups * 64 }, (size_t[]){ 64 },
          MEM (part), MEM (x), MS_ARG_INT, n, MS_ARG_END);
  kc_finish ();
  g_autofree char *what = g_strdup_printf ("sum_squares n=%d groups=%d partials", n, groups);
  g_autofree float *got = kc_tensor_read (part, what);
  g_autofree double *want = g_new0 (double, groups);
  int chunk = (n + groups - 1) / groups;
  double total = 0, got_total = 0;
  for (int i = 0; i < n; i++)
    want[i / chunk] += (double) x0[i] * x0[i];
  for (int g = 0; g < groups; g++)
    {
      total += want[g];
      got_total += got[g];
    }
  kc_compare (what, got, want, groups, KC_NMSE_EXACT, 1e-5 * kc_max_abs (want, groups));
  g_assert_cmpfloat (fabs (got_total - total), <=, 1e-6 * total);
}

static void
test_sum_squares (void)
{
  check_sum_squares (1000, 256, 160);    /* the last groups get nothing */
  check_sum_squares (100003, 256, 161);
  check_sum_squares (37, 256, 162);
  check_sum_squares (5000, 7, 163);
  check_sum_squares (2048, 256, 164);    /* n a multiple of the groups */
}

/* AdamW steps T from the kernel's own state, each against torch.optim.AdamW written out in
 * double: p *= 1 - lr wd; m, v moments of g = grad * grad_scale; p -= lr / bc1 * m / (sqrt(v) /
 * sqrt(bc2) + eps). */
static void
check_adamw (double lr, double wd, double grad_scale, guint64 seed)
{
  MsDevice *dev = ms_test_device ();
  MsTestRng r = { seed };
  const int n = 1001, off = 29;
  const double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
  g_autofree float *p0 = kc_normal (&r, n, 1.0f);
  g_autoptr (KcTensor) p = kc_tensor_new (p0, n, off);
  g_autoptr (KcTensor) m = kc_tensor_new (NULL, n, off);
  g_autoptr (KcTensor) v = kc_tensor_new (NULL, n, off);
  g_autofree float *m0 = g_new0 (float, n), *v0 = g_new0 (float, n);
  const gint64 steps[] = { 1, 2, 3, 1000 };
  for (guint k = 0; k < G_N_ELEMENTS (steps); k++)
    {
      gint64 t = steps[k];
      g_autofree float *g0 = kc_normal (&r, n, 0.1f);
      for (int i = 0; i + 5 < n; i += 10)
        {
          g0[i] = 0;                     /* decay and momentum alone */
          g0[i + 5] = copysignf (1e-9f, g0[i + 5]);   /* where eps matters */
        }
      g_autoptr (KcTensor) grad = kc_tensor_new (g0, n, off);
      double bc1 = 1 - pow (beta1, (double) t), bc2 = 1 - pow (beta2, (double) t);
      ms_run1 (dev, "adamw_update", n, MS_ARG_MEM, p->buf, MS_ARG_MEM, grad->buf, MS_ARG_MEM,
               m->buf, MS_ARG_MEM, v->buf, MS_ARG_INT, off, MS_ARG_INT, n, MS_ARG_FLOAT, lr,
               MS_ARG_FLOAT, beta1, MS_ARG_FLOAT, beta2, MS_ARG_FLOAT, eps, MS_ARG_FLOAT, wd,
               MS_ARG_FLOAT, bc1, MS_ARG_FLOAT, sqrt (bc2), MS_ARG_FLOAT, grad_scale, MS_ARG_END);
      kc_finish ();
      g_autofree float *got_p = kc_tensor_read (p, "adamw_update p");
      g_autofree float *got_m = kc_tensor_read (m, "adamw_update m");
      g_autofree float *got_v = kc_tensor_read (v, "adamw_update v");
      g_autofree float *gs = kc_tensor_read (grad, "adamw_update grad");
      kc_compare_exact ("adamw_update leaves grad", gs, g0, n);
      g_autofree double *want_m = g_new (double, n), *want_v = g_new (double, n);
      g_autofree double *want_dp = g_new (double, n);
      g_autofree float *got_dp = g_new (float, n);
      for (int i = 0; i < n; i++)
        {
          double g = (double) g0[i] * grad_scale;
          want_m[i] = beta1 * m0[i] + (1 - beta1) * g;
          want_v[i] = beta2 * v0[i] + (1 - beta2) * g * g;
          double decayed = p0[i] * (1 - lr * wd);
          double np = decayed - lr / bc1 * want_m[i] / (sqrt (want_v[i]) / sqrt (bc2) + eps);
          want_dp[i] = np - p0[i];
          got_dp[i] = got_p[i] - p0[i];
        }
      g_autofree char *tag = g_strdup_printf ("adamw_update t=%" G_GINT64_FORMAT " wd=%g", t, wd);
      g_autofree char *w1 = g_strconcat (tag, " step", NULL);
      g_autofree char *w2 = g_strconcat (tag, " m", NULL);
      g_autofree char *w3 = g_strconcat (tag, " v", NULL);
      /* The step is known to the rounding of p (1e-7 of |p| against a step of ~lr). */
      kc_compare (w1, got_dp, want_dp, n, 1e-6, 1e-6);
      kc_compare (w2, got_m, want_m, n, KC_NMSE_EXACT, 1e-6 * kc_max_abs (want_m, n));
      kc_compare (w3, got_v, want_v, n, KC_NMSE_EXACT, 1e-6 * kc_max_abs (want_v, n));
      memcpy (p0, got_p, n * sizeof (float));
      memcpy (m0, got_m, n * sizeof (float));
      memcpy (v0, got_v, n * sizeof (float));
    }
}

static void
test_adamw_update (void)
{
  check_adamw (1e-2, 0.1, 0.6, 170);
  check_adamw (3e-4, 0.0, 1.0, 171);
}

void
kc_add_backward_tests (void)
{
  g_test_add_data_func ("/kernels/backward/crossentropy_backward", "crossentropy_backward",
                        test_crossentropy_backward);
  g_test_add_data_func ("/kernels/backward/crossentropy_backward_cpu", "crossentropy_backward_cpu",
                        test_crossentropy_backward);
  g_test_add_func ("/kernels/backward/bias_backward", test_bias_backward);
  g_test_add_func ("/kernels/backward/gelu_backward", test_gelu_backward);
  g_test_add_func ("/kernels/backward/gelu_backward/saturated", test_gelu_backward_saturated);
  g_test_add_func ("/kernels/backward/layernorm_backward", test_layernorm_backward);
  g_test_add_func ("/kernels/backward/attention_softmax_backward", test_attention_softmax_backward);
  g_test_add_func ("/kernels/backward/encoder_backward", test_encoder_backward);
  g_test_add_func ("/kernels/backward/sum_squares", test_sum_squares);
  g_test_add_func ("/kernels/backward/adamw_update", test_adamw_update);
}
