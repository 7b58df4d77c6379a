/* The GPT-2 forward pass against PyTorch (float64) on random models of four shapes, the
 * largest GPT-2 124M's, on every GEMM backend the device allows; plus left padding and hooks. */
#include <math.h>

#include "gpt-reference.h"
#include "model/ms-gpt.h"
#include "ms-test.h"

static void
check_fixture (const char *name, MsBlasKind kind, double logit_tol)
{
  g_autoptr (MsBlas) blas = ms_test_blas (kind);
  if (blas == NULL)
    return;
  MsRefFixture *f = ms_ref_fixture_load (name);
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  g_assert_no_error (error);

  int B = f->B, T = f->T, V = f->cfg.vocab_size;
  g_assert_true (ms_gpt_forward (gpt, f->tokens, NULL, f->tokens + 1, B, T, &error));
  g_assert_no_error (error);
  double rel = fabs (ms_gpt_mean_loss (gpt) - f->loss) / f->loss;
  g_test_message ("%s on %s: loss %.7f, PyTorch %.7f, relative error %.2g", name,
                  ms_blas_name (blas), ms_gpt_mean_loss (gpt), f->loss, rel);
  g_assert_cmpfloat (rel, <=, 1e-5);

  g_autofree float *logits = g_new (float, (gsize) B * T * V);
  g_assert_true (ms_gpt_read_logits (gpt, logits, &error));
  double worst = 0;
  for (int i = 0; i < f->n_positions; i++)
    {
      int b = f->positions[2 * i], t = f->positions[2 * i + 1];
      const float *got = logits + ((gsize) b * T + t) * V;
      worst = MAX (worst, ms_test_max_abs (got, f->logits + (gsize) i * V, V));
      g_autofree char *what = g_strdup_printf ("%s logits[%d, %d]", name, b, t);
      ms_test_assert_close (what, got, f->logits + (gsize) i * V, V, logit_tol);
    }
  g_test_message ("%s on %s: max abs logit error %.3g (bound %.0e)", name, ms_blas_name (blas),
                  worst, logit_tol);
  ms_ref_fixture_free (f);
}

static void test_tiny_host (void) { check_fixture ("tiny", MS_BLAS_HOST, 1e-4); }
static void test_tiny_clblast (void) { check_fixture ("tiny", MS_BLAS_CLBLAST, 1e-4); }
static void test_small_host (void) { check_fixture ("small", MS_BLAS_HOST, 1e-4); }
static void test_small_clblast (void) { check_fixture ("small", MS_BLAS_CLBLAST, 1e-4); }
static void test_default_host (void) { check_fixture ("default", MS_BLAS_HOST, 1e-4); }
static void test_default_clblast (void) { check_fixture ("default", MS_BLAS_CLBLAST, 1e-4); }
static void test_124m_host (void) { check_fixture ("gpt2-124M", MS_BLAS_HOST, 1e-2); }
static void test_124m_clblast (void) { check_fixture ("gpt2-124M", MS_BLAS_CLBLAST, 1e-2); }

/* A row padded on the left gives the logits of the same row unpadded. */
static void
test_left_padding (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  int T = 20, pad = 7, V = f->cfg.vocab_size;
  g_autofree float *plain = g_new (float, (gsize) T * V);
  g_autofree float *padded = g_new (float, (gsize) 2 * (T + pad) * V);
  g_assert_true (ms_gpt_forward (gpt, f->tokens, NULL, NULL, 1, T, &error));
  g_assert_true (ms_gpt_read_logits (gpt, plain, &error));
  /* Row 0: 7 pad tokens (any id), then the row; row 1: the row, then 7 more tokens. */
  int tokens[2 * 27], starts[2] = { pad, 0 };
  for (int t = 0; t < T + pad; t++)
    {
      tokens[t] = t < pad ? 3 * t + 1 : f->tokens[t - pad];
      tokens[T + pad + t] = f->tokens[t];
    }
  g_assert_true (ms_gpt_forward (gpt, tokens, starts, NULL, 2, T + pad, &error));
  g_assert_no_error (error);
  g_assert_true (ms_gpt_read_logits (gpt, padded, &error));
  ms_test_assert_close ("left-padded row", padded + (gsize) pad * V, plain, (gsize) T * V, 1e-4);
  ms_test_assert_close ("right-extended row", padded + (gsize) (T + pad) * V, plain,
                        (gsize) T * V, 1e-4);
  ms_ref_fixture_free (f);
}

/* Two sequences packed into one row as segments give the logits each gives alone. */
static void
test_segments (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  int V = f->cfg.vocab_size, n1 = 11, n2 = 17, n3 = 5, T = n1 + n2 + n3;
  const int *x1 = f->tokens, *x2 = f->tokens + 40, *x3 = f->tokens + 70;
  g_autofree float *alone = g_new (float, (gsize) n2 * V), *packed = g_new (float, (gsize) T * V);
  int tokens[33], seg[33];
  for (int t = 0; t < T; t++)
    {
      tokens[t] = t < n1 ? x1[t] : t < n1 + n2 ? x2[t - n1] : x3[t - n1 - n2];
      seg[t] = t < n1 ? 0 : t < n1 + n2 ? n1 : n1 + n2;
    }
  g_assert_true (ms_gpt_forward_segments (gpt, tokens, seg, NULL, 1, T, &error));
  g_assert_no_error (error);
  g_assert_true (ms_gpt_read_logits (gpt, packed, &error));
  const int *xs[3] = { x1, x2, x3 };
  int ns[3] = { n1, n2, n3 }, at = 0;
  for (int k = 0; k < 3; k++)
    {
      g_assert_true (ms_gpt_forward (gpt, xs[k], NULL, NULL, 1, ns[k], &error));
      g_assert_true (ms_gpt_read_logits (gpt, alone, &error));
      ms_test_assert_close ("packed segment", packed + (gsize) at * V, alone, (gsize) ns[k] * V,
                            1e-4);
      at += ns[k];
    }
  /* Segments that interleave are refused. */
  seg[n1 + 3] = 0;
  g_assert_false (ms_gpt_forward_segments (gpt, tokens, seg, NULL, 1, T, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  ms_ref_fixture_free (f);
}

typedef struct {
  int calls_att, calls_hidden;
  double row_sum_error;
  double above_diagonal;
} HookSeen;

static void
on_attention (gpointer user, const MsGptTensor *t)
{
  HookSeen *seen = user;
  seen->calls_att++;
  MsDevice *dev = ms_test_device ();
  gsize n = (gsize) t->B * t->NH * t->Tq * t->Tk;
  g_autofree float *p = g_new (float, n);
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_buffer_read (dev, t->buf, t->offset * 4, p, n * 4, &error));
  for (gsize r = 0; r < n / t->Tk; r++)
    {
      int i = r % t->Tq;
      double s = 0;
      for (int j = 0; j < t->Tk; j++)
        {
          s += p[r * t->Tk + j];
          if (j > i)
            seen->above_diagonal += fabs (p[r * t->Tk + j]);
        }
      seen->row_sum_error = MAX (seen->row_sum_error, fabs (s - 1.0));
    }
}

static void
on_hidden (gpointer user, const MsGptTensor *t)
{
  ((HookSeen *) user)->calls_hidden++;
  g_assert_cmpint (t->C, ==, 64);
}

static void
test_hooks (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  HookSeen seen = { 0 };
  MsGptHooks hooks = { .layers = 0x5, .attention = on_attention, .hidden = on_hidden,
                       .user = &seen };
  ms_gpt_set_hooks (gpt, &hooks);
  g_assert_true (ms_gpt_forward (gpt, f->tokens, NULL, f->tokens + 1, f->B, f->T, &error));
  g_assert_cmpint (seen.calls_att, ==, 2);  /* layers 0 and 2 */
  g_assert_cmpint (seen.calls_hidden, ==, 2);
  g_assert_cmpfloat (seen.row_sum_error, <, 1e-5);
  g_assert_cmpfloat (seen.above_diagonal, ==, 0.0);
  /* Hooks change nothing in the result. */
  g_assert_cmpfloat (fabs (ms_gpt_mean_loss (gpt) - f->loss) / f->loss, <=, 1e-5);
  ms_gpt_set_hooks (gpt, NULL);
  ms_ref_fixture_free (f);
}

static void
test_bad_inputs (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("tiny");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  int tokens[4] = { 1, 2, 61, 3 };
  g_assert_false (ms_gpt_forward (gpt, tokens, NULL, NULL, 1, 4, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  int many[17] = { 0 };
  g_assert_false (ms_gpt_forward (gpt, many, NULL, NULL, 1, 17, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  ms_ref_fixture_free (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/forward/tiny/host", test_tiny_host);
  g_test_add_func ("/forward/tiny/clblast", test_tiny_clblast);
  g_test_add_func ("/forward/small/host", test_small_host);
  g_test_add_func ("/forward/small/clblast", test_small_clblast);
  g_test_add_func ("/forward/default/host", test_default_host);
  g_test_add_func ("/forward/default/clblast", test_default_clblast);
  g_test_add_func ("/forward/gpt2-124M/host", test_124m_host);
  g_test_add_func ("/forward/gpt2-124M/clblast", test_124m_clblast);
  g_test_add_func ("/forward/left-padding", test_left_padding);
  g_test_add_func ("/forward/hooks", test_hooks);
  g_test_add_func ("/forward/segments", test_segments);
  g_test_add_func ("/forward/bad-inputs", test_bad_inputs);
  return ms_test_run ();
}
