/* The GPT-2 backward pass against PyTorch autograd (float64) on random models of three
 * shapes and both GEMM backends: every tensor's gradient norm and 512 sampled elements. Also
 * gradient accumulation, determinism, ignored targets and the global norm. */
#include <json-glib/json-glib.h>
#include <math.h>

#include "gpt-reference.h"
#include "model/ms-gpt.h"
#include "ms-test.h"

static float *
run_backward (MsGpt *gpt, const MsRefFixture *f, float scale)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_gpt_zero_grad (gpt, &error));
  g_assert_true (ms_gpt_forward (gpt, f->tokens, NULL, f->tokens + 1, f->B, f->T, &error));
  g_assert_true (ms_gpt_backward (gpt, scale, &error));
  g_assert_no_error (error);
  float *g = g_new (float, ms_gpt_num_params (gpt));
  g_assert_true (ms_buffer_read (ms_gpt_device (gpt), ms_gpt_grads (gpt), 0, g,
                                 ms_gpt_num_params (gpt) * sizeof (float), &error));
  return g;
}

static void
check_grads (const char *name, MsBlasKind kind)
{
  g_autoptr (MsBlas) blas = ms_test_blas (kind);
  if (blas == NULL)
    return;
  MsRefFixture *f = ms_ref_fixture_load (name);
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  g_autofree float *grads = run_backward (gpt, f, 1.0f);

  g_autofree char *fname = g_strdup_printf ("model/%s.grad.json", name);
  g_autofree char *path = ms_test_fixture (fname);
  g_autoptr (JsonParser) parser = json_parser_new ();
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonArray *tensors = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "tensors");
  gsize sizes[MS_N_PARAMS], offsets[MS_N_PARAMS];
  ms_gpt_param_sizes (&f->cfg, sizes);
  ms_gpt_param_offsets (&f->cfg, offsets);
  double worst_norm = 0, worst_elem = 0;
  for (int t = 0; t < MS_N_PARAMS; t++)
    {
      JsonObject *o = json_array_get_object_element (tensors, t);
      g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, ms_gpt_param_name (t));
      const float *g = grads + offsets[t];
      double norm = 0;
      for (gsize i = 0; i < sizes[t]; i++)
        norm += (double) g[i] * g[i];
      norm = sqrt (norm);
      double want_norm = json_object_get_double_member (o, "norm");
      double rel = fabs (norm - want_norm) / want_norm;
      worst_norm = MAX (worst_norm, rel);
      if (rel > 1e-4)
        g_error ("%s %s: gradient norm %.8g, PyTorch %.8g", name, ms_gpt_param_name (t), norm,
                 want_norm);
      /* Elements: error relative to the tensor's RMS gradient. */
      double rms = want_norm / sqrt ((double) sizes[t]);
      JsonArray *idx = json_object_get_array_member (o, "index");
      JsonArray *val = json_object_get_array_member (o, "grad");
      for (guint i = 0; i < json_array_get_length (idx); i++)
        {
          gsize k = json_array_get_int_element (idx, i);
          double want = json_array_get_double_element (val, i);
          double err = fabs (g[k] - want) / rms;
          worst_elem = MAX (worst_elem, err);
          if (err > 1e-3)
            g_error ("%s %s[%zu]: gradient %.8g, PyTorch %.8g (RMS %.3g)", name,
                     ms_gpt_param_name (t), k, g[k], want, rms);
        }
    }
  g_test_message ("%s on %s: worst norm error %.2g relative, worst element error %.2g of RMS",
                  name, ms_blas_name (blas), worst_norm, worst_elem);
  ms_ref_fixture_free (f);
}

static void test_tiny_host (void) { check_grads ("tiny", MS_BLAS_HOST); }
static void test_tiny_clblast (void) { check_grads ("tiny", MS_BLAS_CLBLAST); }
static void test_small_host (void) { check_grads ("small", MS_BLAS_HOST); }
static void test_small_clblast (void) { check_grads ("small", MS_BLAS_CLBLAST); }
static void test_default_host (void) { check_grads ("default", MS_BLAS_HOST); }

/* Two backward passes with scale 0.5 accumulate to one with scale 1; the same inputs give
 * bitwise the same gradients; the global norm matches the host's sum. */
static void
test_accumulate_and_determinism (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  gsize n = ms_gpt_num_params (gpt);
  g_autofree float *one = run_backward (gpt, f, 1.0f);
  g_autofree float *again = run_backward (gpt, f, 1.0f);
  g_assert_cmpmem (one, n * sizeof (float), again, n * sizeof (float));

  g_assert_true (ms_gpt_zero_grad (gpt, &error));
  for (int i = 0; i < 2; i++)
    {
      g_assert_true (ms_gpt_forward (gpt, f->tokens, NULL, f->tokens + 1, f->B, f->T, &error));
      g_assert_true (ms_gpt_backward (gpt, 0.5f, &error));
    }
  g_autofree float *twice = g_new (float, n);
  g_assert_true (ms_buffer_read (ms_gpt_device (gpt), ms_gpt_grads (gpt), 0, twice,
                                 n * sizeof (float), &error));
  ms_test_assert_close ("accumulated halves", twice, one, n, 1e-6);

  double norm = 0, want = 0;
  g_assert_true (ms_gpt_grad_norm (gpt, 0xFFFF, &norm, &error));
  for (gsize i = 0; i < n; i++)
    want += (double) twice[i] * twice[i];
  g_assert_cmpfloat (fabs (norm - sqrt (want)) / sqrt (want), <, 1e-5);
  ms_ref_fixture_free (f);
}

/* Ignored targets (-1) contribute nothing: a batch with the second half of each row ignored
 * gives the gradient of the loss over the first halves only, which equals the gradient of a
 * forward over the first halves alone (causal attention: later tokens cannot matter). */
static void
test_ignored_targets (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  gsize n = ms_gpt_num_params (gpt);
  int B = f->B, T = f->T, H = T / 2;
  g_autofree int *targets = g_new (int, B * T);
  g_autofree int *half_tokens = g_new (int, B * H), *half_targets = g_new (int, B * H);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      {
        targets[b * T + t] = t < H ? f->tokens[b * T + t + 1] : -1;
        if (t < H)
          {
            half_tokens[b * H + t] = f->tokens[b * T + t];
            half_targets[b * H + t] = f->tokens[b * T + t + 1];
          }
      }
  g_autofree float *a = g_new (float, n), *b = g_new (float, n);
  g_assert_true (ms_gpt_zero_grad (gpt, &error));
  g_assert_true (ms_gpt_forward (gpt, f->tokens, NULL, targets, B, T, &error));
  float loss_masked = ms_gpt_mean_loss (gpt);
  g_assert_true (ms_gpt_backward (gpt, 1.0f, &error));
  g_assert_true (ms_buffer_read (ms_gpt_device (gpt), ms_gpt_grads (gpt), 0, a, n * 4, &error));
  g_assert_true (ms_gpt_zero_grad (gpt, &error));
  g_assert_true (ms_gpt_forward (gpt, half_tokens, NULL, half_targets, B, H, &error));
  g_assert_cmpfloat (fabs (loss_masked - ms_gpt_mean_loss (gpt)), <, 1e-5);
  g_assert_true (ms_gpt_backward (gpt, 1.0f, &error));
  g_assert_true (ms_buffer_read (ms_gpt_device (gpt), ms_gpt_grads (gpt), 0, b, n * 4, &error));
  g_assert_no_error (error);
  ms_test_assert_close ("masked second halves", a, b, n, 1e-6);
  ms_ref_fixture_free (f);
}

/* The gradient of a row packed with two segments equals the sum of each sequence's gradient
 * alone, weighted by its share of the targets (the packed loss is the mean over both). */
static void
test_segments (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  gsize n = ms_gpt_num_params (gpt);
  int n1 = 13, n2 = 20, T = n1 + n2;
  const int *x1 = f->tokens, *x2 = f->tokens + 50;
  int tokens[33], targets[33], seg[33];
  for (int t = 0; t < T; t++)
    {
      gboolean first = t < n1;
      tokens[t] = first ? x1[t] : x2[t - n1];
      /* The last position of each segment has no next token within it. */
      targets[t] = first ? (t + 1 < n1 ? x1[t + 1] : -1) : (t + 1 < T ? x2[t - n1 + 1] : -1);
      seg[t] = first ? 0 : n1;
    }
  g_autofree float *packed = g_new (float, n), *apart = g_new (float, n);
  g_assert_true (ms_gpt_zero_grad (gpt, &error));
  g_assert_true (ms_gpt_forward_segments (gpt, tokens, seg, targets, 1, T, &error));
  g_assert_true (ms_gpt_backward (gpt, 1.0f, &error));
  g_assert_true (ms_buffer_read (ms_gpt_device (gpt), ms_gpt_grads (gpt), 0, packed, n * 4, &error));
  g_assert_true (ms_gpt_zero_grad (gpt, &error));
  int total = (n1 - 1) + (n2 - 1);
  g_assert_true (ms_gpt_forward (gpt, tokens, NULL, targets, 1, n1, &error));
  g_assert_true (ms_gpt_backward (gpt, (float) (n1 - 1) / total, &error));
  g_assert_true (ms_gpt_forward (gpt, tokens + n1, NULL, targets + n1, 1, n2, &error));
  g_assert_true (ms_gpt_backward (gpt, (float) (n2 - 1) / total, &error));
  g_assert_true (ms_buffer_read (ms_gpt_device (gpt), ms_gpt_grads (gpt), 0, apart, n * 4, &error));
  g_assert_no_error (error);
  ms_test_assert_close ("packed gradients", packed, apart, n, 1e-5);
  ms_ref_fixture_free (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/backward/tiny/host", test_tiny_host);
  g_test_add_func ("/backward/tiny/clblast", test_tiny_clblast);
  g_test_add_func ("/backward/small/host", test_small_host);
  g_test_add_func ("/backward/small/clblast", test_small_clblast);
  g_test_add_func ("/backward/default/host", test_default_host);
  g_test_add_func ("/backward/accumulate-determinism", test_accumulate_and_determinism);
  g_test_add_func ("/backward/ignored-targets", test_ignored_targets);
  g_test_add_func ("/backward/segments", test_segments);
  return ms_test_run ();
}
