/* Ten AdamW steps on a random GPT-2 (and two on a tiny one) against torch.optim.AdamW
 * (float32): each loss within 1e-4 relative, for plain AdamW and for weight decay on matrices
 * with gradient clipping. Also the schedules against their formulas. */
#include <json-glib/json-glib.h>
#include <math.h>

#include "../model/gpt-reference.h"
#include "ms-test.h"
#include "train/ms-optim.h"

static void
check_run (JsonObject *root, JsonObject *run)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load (json_object_get_string_member (root, "shape"));
  g_assert_cmpint (json_object_get_int_member (root, "seed"), ==, f->seed);
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  int B = json_object_get_int_member (root, "B"), T = json_object_get_int_member (root, "T");
  int steps = json_object_get_int_member (root, "steps");
  JsonArray *toks = json_object_get_array_member (root, "tokens");
  g_autofree int *stream = g_new (int, json_array_get_length (toks));
  for (guint i = 0; i < json_array_get_length (toks); i++)
    stream[i] = json_array_get_int_element (toks, i);

  MsAdamWConfig cfg;
  ms_adamw_config_init (&cfg);
  cfg.weight_decay = json_object_get_double_member (run, "weight_decay");
  cfg.grad_clip = json_object_get_double_member (run, "grad_clip");
  double lr = json_object_get_double_member (run, "lr");
  g_autoptr (MsAdamW) opt = ms_adamw_new (gpt, &cfg, &error);
  g_assert_no_error (error);
  JsonArray *losses = json_object_get_array_member (run, "losses");
  JsonArray *norms = json_object_get_array_member (run, "norms");
  double worst = 0;
  for (int s = 0; s < steps; s++)
    {
      const int *x = stream + s * B * T;
      g_assert_true (ms_gpt_zero_grad (gpt, &error));
      g_assert_true (ms_gpt_forward (gpt, x, NULL, x + 1, B, T, &error));
      g_assert_true (ms_gpt_backward (gpt, 1.0f, &error));
      double norm;
      g_assert_true (ms_adamw_step (opt, lr, &norm, &error));
      g_assert_no_error (error);
      double want = json_array_get_double_element (losses, s);
      double rel = fabs (ms_gpt_mean_loss (gpt) - want) / want;
      worst = MAX (worst, rel);
      if (rel > 1e-4)
        g_error ("%s step %d: loss %.7f, PyTorch %.7f", json_object_get_string_member (run, "label"),
                 s + 1, ms_gpt_mean_loss (gpt), want);
      if (json_array_get_length (norms) > 0)
        g_assert_cmpfloat (fabs (norm - json_array_get_double_element (norms, s))
                           / json_array_get_double_element (norms, s), <, 1e-3);
    }
  g_test_message ("%s: %d losses within %.2g relative of PyTorch (last %.5f)",
                  json_object_get_string_member (run, "label"), steps, worst, ms_gpt_mean_loss (gpt));
  g_assert_cmpint (ms_adamw_steps (opt), ==, steps);
  ms_ref_fixture_free (f);
}

static void
test_trace (gconstpointer fixture)
{
  g_autofree char *path = ms_test_fixture (fixture);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonArray *runs = json_object_get_array_member (root, "runs");
  for (guint i = 0; i < json_array_get_length (runs); i++)
    check_run (root, json_array_get_object_element (runs, i));
}

static void
test_schedules (void)
{
  MsSchedule s = { MS_SCHEDULE_COSINE, 1e-3, 10, 110, 0.1 };
  g_assert_cmpfloat (fabs (ms_schedule_lr (&s, 0) - 1e-4), <, 1e-12);
  g_assert_cmpfloat (fabs (ms_schedule_lr (&s, 9) - 1e-3), <, 1e-12);
  g_assert_cmpfloat (fabs (ms_schedule_lr (&s, 10) - 1e-3), <, 1e-12);
  g_assert_cmpfloat (fabs (ms_schedule_lr (&s, 60) - 0.55e-3), <, 1e-12);   /* half way */
  g_assert_cmpfloat (fabs (ms_schedule_lr (&s, 110) - 1e-4), <, 1e-12);
  g_assert_cmpfloat (fabs (ms_schedule_lr (&s, 500) - 1e-4), <, 1e-12);
  s.kind = MS_SCHEDULE_LINEAR;
  g_assert_cmpfloat (fabs (ms_schedule_lr (&s, 35) - (1e-3 - 0.25 * 0.9e-3)), <, 1e-12);
  s.kind = MS_SCHEDULE_CONSTANT;
  s.warmup_steps = 0;
  g_assert_cmpfloat (ms_schedule_lr (&s, 0), ==, 1e-3);
  g_assert_cmpfloat (ms_schedule_lr (&s, 1000), ==, 1e-3);
  MsScheduleKind k;
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_schedule_kind_parse ("Cosine", &k, &error) && k == MS_SCHEDULE_COSINE);
  g_assert_false (ms_schedule_kind_parse ("step", &k, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/adamw/trace-vs-pytorch", "model/train-trace.json", test_trace);
  /* Two steps of the tiny shape: what tests/oclgrind/run.sh trains on the simulated GPU. */
  g_test_add_data_func ("/adamw/tiny-trace", "model/train-trace-tiny.json", test_trace);
  g_test_add_func ("/adamw/schedules", test_schedules);
  return ms_test_run ();
}
