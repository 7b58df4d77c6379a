/* Hidden-state capture: the rows gathered through the hidden hook (mean, last and every prompt
 * position; residual stream and MLP) against the model's own activation buffer read back and
 * gathered on the host, during a left-padded forward pass and during generation, with
 * attention statistics fed from the same passes; and codes of the captured rows equal codes
 * of the same rows uploaded from the host. */
#include <math.h>
#include <string.h>

#include "analysis/ms-attention.h"
#include "analysis/ms-capture.h"
#include "analysis/ms-sparse.h"
#include "gpt-reference.h"
#include "model/ms-generate.h"
#include "ms-test.h"

static const int lens[3] = { 33, 20, 7 };
enum { B = 3, T = 33 };

typedef struct {
  MsBlas *blas;
  MsGpt *gpt;
  int tokens[B * T];
  int starts[B];
  const int *prompts[B];
} Setup;

static void
setup (Setup *s)
{
  s->blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  s->gpt = ms_gpt_new (s->blas, &f->cfg, params, &error);
  g_assert_no_error (error);
  MsTestRng rng = { 42 };
  for (int b = 0; b < B; b++)
    {
      s->starts[b] = T - lens[b];
      for (int t = 0; t < T; t++)
        s->tokens[b * T + t] = t < s->starts[b] ? 0 : (int) (ms_test_rng_u64 (&rng) % f->cfg.vocab_size);
      s->prompts[b] = s->tokens + b * T + s->starts[b];
    }
  ms_ref_fixture_free (f);
}

static void
teardown (Setup *s)
{
  ms_gpt_free (s->gpt);
  ms_blas_free (s->blas);
}

/* The rows MODE should give from ACTS (B, T, d), and how many. */
static float *
expected_rows (const float *acts, const int *starts, int d, MsCaptureMode mode, int *n)
{
  float *out = g_new0 (float, (gsize) B * T * d);
  *n = 0;
  for (int b = 0; b < B; b++)
    {
      int lo = starts[b], hi = T;
      if (mode == MS_CAPTURE_TOKENS)
        for (int t = lo; t < hi; t++)
          memcpy (out + (gsize) (*n)++ * d, acts + ((gsize) b * T + t) * d, d * sizeof (float));
      else
        {
          float *o = out + (gsize) (*n)++ * d;
          for (int c = 0; c < d; c++)
            {
              double s = 0;
              for (int t = mode == MS_CAPTURE_LAST ? hi - 1 : lo; t < hi; t++)
                s += acts[((gsize) b * T + t) * d + c];
              o[c] = (float) (s / (mode == MS_CAPTURE_LAST ? 1 : hi - lo));
            }
        }
    }
  return out;
}

static void
check_mode (Setup *s, MsCaptureMode mode, MsHiddenKind kind, gboolean generate)
{
  const MsGptConfig *cfg = ms_gpt_config (s->gpt);
  MsDevice *dev = ms_gpt_device (s->gpt);
  const int layer = 1, d = kind == MS_HIDDEN_MLP ? 4 * cfg->channels : cfg->channels;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsHiddenCapture) cap = ms_hidden_capture_new (dev, layer, mode, d, &error);
  g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (dev, B, cfg->num_layers,
                                                             cfg->num_heads, 5, &error);
  g_assert_no_error (error);
  MsAnalysisHooks analysis = { .stats = acc, .capture = cap };
  MsGptHooks hooks = { .hidden_kind = kind };
  ms_analysis_hooks (&analysis, &hooks);
  ms_gpt_set_hooks (s->gpt, &hooks);
  const int ids[B] = { 70, 71, 72 };
  g_assert_true (ms_attention_stats_reset (acc, B, s->starts, NULL, &error));
  g_assert_true (ms_hidden_capture_batch_lens (cap, B, lens, ids, &error));
  if (generate)
    {
      int out[B * 4], out_lens[B];
      MsGenerateOptions opt = { .max_new_tokens = 4 };
      g_assert_true (ms_gpt_generate (s->gpt, B, s->prompts, lens, &opt, out, out_lens, &error));
    }
  else
    g_assert_true (ms_gpt_forward (s->gpt, s->tokens, s->starts, NULL, B, T, &error));
  g_assert_no_error (error);

  /* The model's own activations of the prompt pass. */
  int which = kind == MS_HIDDEN_MLP ? MS_ACT_FCH_GELU : MS_ACT_RESIDUAL3;
  g_autofree float *acts = g_new (float, (gsize) B * T * d);
  g_assert_true (ms_buffer_read (dev, ms_gpt_acts (s->gpt),
                                 ms_gpt_act_offset (s->gpt, which, layer) * sizeof (float), acts,
                                 (gsize) B * T * d * sizeof (float), &error));
  int n_want, n;
  g_autofree float *want = expected_rows (acts, s->starts, d, mode, &n_want);
  const MsBuffer *rows = ms_hidden_capture_rows (cap, &n);
  g_assert_cmpint (n, ==, n_want);
  g_autofree float *got = g_new (float, (gsize) n * d);
  g_assert_true (ms_buffer_read (dev, rows, 0, got, (gsize) n * d * sizeof (float), &error));
  g_autofree char *what = g_strdup_printf ("capture mode %d kind %d%s", mode, kind,
                                           generate ? " (generation)" : "");
  ms_test_assert_close (what, got, want, (gsize) n * d, 1e-5);
  const int *row_ids = ms_hidden_capture_sample_ids (cap);
  for (int i = 0, b = 0, left = mode == MS_CAPTURE_TOKENS ? lens[0] : 1; i < n; i++)
    {
      g_assert_cmpint (row_ids[i], ==, ids[b]);
      if (--left == 0 && ++b < B)
        left = mode == MS_CAPTURE_TOKENS ? lens[b] : 1;
    }
  /* The attention statistics fed from the same passes counted the prompts. */
  int counts[2 * B];
  g_assert_true (ms_attention_stats_read (acc, NULL, NULL, counts, &error));
  for (int b = 0; b < B; b++)
    g_assert_cmpint (counts[2 * b], ==, lens[b]);
  ms_gpt_set_hooks (s->gpt, NULL);
}

static void
test_modes (void)
{
  Setup s;
  setup (&s);
  for (int mode = MS_CAPTURE_MEAN; mode <= MS_CAPTURE_TOKENS; mode++)
    for (int kind = MS_HIDDEN_RESIDUAL; kind <= MS_HIDDEN_MLP; kind++)
      for (int gen = 0; gen < 2; gen++)
        check_mode (&s, mode, kind, gen);
  teardown (&s);
}

/* Hidden states of the wrong width (the hook's kind does not match): the pass fails. */
static void
test_wrong_width (void)
{
  Setup s;
  setup (&s);
  const MsGptConfig *cfg = ms_gpt_config (s.gpt);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsHiddenCapture) cap = ms_hidden_capture_new (ms_gpt_device (s.gpt), 0,
                                                           MS_CAPTURE_MEAN, cfg->channels,
                                                           &error);
  MsGptHooks hooks = { .hidden_kind = MS_HIDDEN_MLP };
  ms_hidden_capture_hooks (cap, &hooks);
  ms_gpt_set_hooks (s.gpt, &hooks);
  g_assert_true (ms_hidden_capture_batch (cap, B, s.starts, NULL, NULL, &error));
  g_assert_false (ms_gpt_forward (s.gpt, s.tokens, s.starts, NULL, B, T, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_null (ms_hidden_capture_new (ms_gpt_device (s.gpt), -1, MS_CAPTURE_MEAN, 4, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  int bad_split[B] = { 33, 33, 26 };  /* row 2 starts at 26: an empty prompt */
  g_assert_false (ms_hidden_capture_batch (cap, B, s.starts, bad_split, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  ms_gpt_set_hooks (s.gpt, NULL);
  teardown (&s);
}

/* Every prompt token's residual stream, captured over two batches, then coded: the same codes
 * as for the same rows uploaded from the host. */
static void
test_codes_of_captured_rows (void)
{
  Setup s;
  setup (&s);
  const MsGptConfig *cfg = ms_gpt_config (s.gpt);
  MsDevice *dev = ms_gpt_device (s.gpt);
  const int C = cfg->channels;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsHiddenCapture) cap = ms_hidden_capture_new (dev, 2, MS_CAPTURE_TOKENS, C, &error);
  MsGptHooks hooks = { 0 };
  ms_hidden_capture_hooks (cap, &hooks);
  ms_gpt_set_hooks (s.gpt, &hooks);
  for (int batch = 0; batch < 2; batch++)
    {
      g_assert_true (ms_hidden_capture_batch (cap, B, s.starts, NULL, NULL, &error));
      g_assert_true (ms_gpt_forward (s.gpt, s.tokens, s.starts, NULL, B, T, &error));
    }
  ms_gpt_set_hooks (s.gpt, NULL);
  int n;
  const MsBuffer *rows = ms_hidden_capture_rows (cap, &n);
  g_assert_cmpint (n, ==, 2 * (lens[0] + lens[1] + lens[2]));
  g_assert_cmpint (ms_hidden_capture_sample_ids (cap)[n - 1], ==, 2 * B - 1);
  g_autofree float *host = g_new (float, (gsize) n * C);
  g_assert_true (ms_buffer_read (dev, rows, 0, host, (gsize) n * C * sizeof (float), &error));

  MsSparseParams p;
  ms_sparse_params_init (&p);
  p.n_atoms = 48;
  p.epochs = 2;
  p.batch = 64;
  g_autoptr (MsDictionary) dict = ms_dictionary_learn (s.blas, rows, 0, n, C, &p, &error);
  g_assert_no_error (error);
  g_autoptr (MsBuffer) copy = ms_buffer_new (dev, (gsize) n * C * sizeof (float), &error);
  g_assert_true (ms_buffer_write (dev, copy, 0, host, (gsize) n * C * sizeof (float), &error));
  g_autofree MsSparseSample *a = g_new (MsSparseSample, n), *b = g_new (MsSparseSample, n);
  g_assert_true (ms_sparse_encode (dict, rows, 0, n, NULL, NULL, 0, a, NULL, &error));
  g_assert_true (ms_sparse_encode (dict, copy, 0, n, NULL, NULL, 0, b, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (a, n * sizeof *a, b, n * sizeof *b);
  double err = 0, active = 0;
  for (int i = 0; i < n; i++)
    err += a[i].rel_err / n, active += a[i].active / (double) n;
  g_test_message ("%d residual-stream rows of layer 2, 48 atoms: mean relative error %.3f, "
                  "%.2f active atoms", n, err, active);
  teardown (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/capture/modes", test_modes);
  g_test_add_func ("/capture/wrong-width", test_wrong_width);
  g_test_add_func ("/capture/codes-of-captured-rows", test_codes_of_captured_rows);
  return ms_test_run ();
}
