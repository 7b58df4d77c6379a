/* Data-parallel training under `mpirun -np 2`: the gradient all-reduce by hand (1 + 2 = 3 on
 * every element), ten steps over two ranks against the same ten steps in one process at the
 * same global batch (losses within 1e-5 relative), the two-rank run repeated bit for bit, and
 * a two-rank run saved at step 5 and resumed, bit for bit equal to an uninterrupted one. */
#include <math.h>
#include <string.h>

#include "../model/gpt-reference.h"
#include "common/ms-mpi.h"
#include "ms-test.h"
#include "train/ms-trainer.h"

#define STEPS 10
#define ACCUM 4

typedef struct {
  double loss[STEPS];
  gint64 tokens[STEPS];
  float *params;
  guint64 bytes;     /* all-reduce payload of the last step */
} Trace;

static guint16 *stream;
static gsize stream_len;

/* Trains a fresh copy of the seeded model for STEPS steps; with STATE, saves after step 5,
 * throws the trainer away and resumes from the file. */
static void
train (gboolean data_parallel, const char *state, Trace *out)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *init = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, init, &error);
  g_assert_no_error (error);
  MsTrainConfig cfg = { .B = 2, .T = 16, .grad_accum = ACCUM, .steps = STEPS, .n_tasks = 1,
                        .schedule = { MS_SCHEDULE_COSINE, 3e-3, 2, STEPS, 0.1 },
                        .data_parallel = data_parallel };
  ms_adamw_config_init (&cfg.adamw);
  cfg.adamw.weight_decay = 0.1;
  cfg.adamw.grad_clip = 1.0;
  g_autoptr (MsTokenSource) src = ms_token_source_new (stream, stream_len, cfg.B, cfg.T, &error);
  g_assert_no_error (error);
  g_autoptr (MsTrainer) t = ms_trainer_new (gpt, &cfg, ms_token_source_as_batch_source (src),
                                            "dp-test", &error);
  g_assert_no_error (error);
  while (!ms_trainer_done (t))
    {
      MsStepStats st;
      g_assert_true (ms_trainer_step (t, &st, &error));
      g_assert_no_error (error);
      out->loss[st.step - 1] = st.loss;
      out->tokens[st.step - 1] = st.tokens;
      out->bytes = st.allreduce_bytes;
      if (state && st.step == 5)
        {
          g_assert_true (ms_trainer_save_state (t, state, &error));
          g_clear_pointer (&t, ms_trainer_free);
          g_clear_pointer (&src, ms_token_source_free);
          src = ms_token_source_new (stream, stream_len, cfg.B, cfg.T, &error);
          t = ms_trainer_new (gpt, &cfg, ms_token_source_as_batch_source (src), "dp-test", &error);
          g_assert_no_error (error);
          g_assert_true (ms_trainer_load_state (t, state, &error));
          g_assert_no_error (error);
          g_assert_cmpint (ms_trainer_step_index (t), ==, 5);
        }
    }
  out->params = g_new (float, ms_gpt_num_params (gpt));
  g_assert_true (ms_gpt_read_params (gpt, out->params, &error));
  ms_ref_fixture_free (f);
}

static void
test_allreduce (void)
{
  g_assert_cmpint (ms_mpi_size (), ==, 2);
  float x[1000];
  double d[3];
  for (int i = 0; i < 1000; i++)
    x[i] = (float) (ms_mpi_rank () + 1) * (float) i;
  for (int i = 0; i < 3; i++)
    d[i] = ms_mpi_rank () == 0 ? 0.25 : 1e10;
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_mpi_allreduce_sum_float (x, 1000, &error));
  g_assert_true (ms_mpi_allreduce_sum_double (d, 3, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 1000; i++)
    g_assert_cmpfloat (x[i], ==, 3.0f * i);
  g_assert_cmpfloat (d[2], ==, 1e10 + 0.25);
  g_assert_cmpint (ms_mpi_local_size (), ==, 2);
  g_assert_cmpint (ms_mpi_local_rank (), ==, ms_mpi_rank ());
}

static void
test_two_ranks_vs_one (void)
{
  Trace one = { 0 }, dp = { 0 }, again = { 0 }, resumed = { 0 };
  train (FALSE, NULL, &one);
  train (TRUE, NULL, &dp);
  train (TRUE, NULL, &again);
  g_autofree char *state = g_build_filename (ms_test_tmpdir (), "dp.state", NULL);
  train (TRUE, state, &resumed);
  gsize n = 0;
  {
    MsRefFixture *f = ms_ref_fixture_load ("small");
    g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
    g_autofree float *p = ms_ref_params (&f->cfg, f->seed);
    g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, p, NULL);
    n = ms_gpt_num_params (gpt);
    ms_ref_fixture_free (f);
  }
  double worst = 0;
  for (int s = 0; s < STEPS; s++)
    {
      double rel = fabs (dp.loss[s] - one.loss[s]) / fabs (one.loss[s]);
      worst = MAX (worst, rel);
      if (rel > 1e-5)
        g_error ("rank %d step %d: loss %.9g on 2 ranks, %.9g on one", ms_mpi_rank (), s + 1,
                 dp.loss[s], one.loss[s]);
      g_assert_cmpint (dp.tokens[s], ==, one.tokens[s]);
    }
  /* the parameters after ten steps agree to float rounding too */
  double nmse = ms_test_nmse (dp.params, one.params, n);
  g_assert_cmpfloat (nmse, <, 1e-10);
  /* and moved: ten steps at lr 3e-3 change them well beyond rounding */
  g_autofree float *init = NULL;
  {
    MsRefFixture *f = ms_ref_fixture_load ("small");
    init = ms_ref_params (&f->cfg, f->seed);
    ms_ref_fixture_free (f);
  }
  g_assert_cmpfloat (ms_test_nmse (dp.params, init, n), >, 1e-6);
  /* a step sends the gradients (4 bytes a parameter) and loss, tokens, one task's sums (4 doubles) */
  g_assert_cmpuint (dp.bytes, ==, 4 * n + 4 * 8);
  g_assert_cmpuint (one.bytes, ==, 0);
  g_assert_cmpint (memcmp (dp.loss, again.loss, sizeof dp.loss), ==, 0);
  g_assert_cmpint (memcmp (dp.params, again.params, n * sizeof (float)), ==, 0);
  g_assert_cmpint (memcmp (dp.loss, resumed.loss, sizeof dp.loss), ==, 0);
  g_assert_cmpint (memcmp (dp.params, resumed.params, n * sizeof (float)), ==, 0);
  /* every rank ends with the same parameters: their sum is twice rank 0's */
  g_autofree float *sum = g_memdup2 (dp.params, n * sizeof (float));
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_mpi_allreduce_sum_float (sum, n, &error));
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (sum[i], ==, 2.0f * dp.params[i]);
  g_test_message ("rank %d: 10 losses on 2 ranks within %.2g relative of one process "
                  "(first %.6f, last %.6f), parameters %.2g nmse; repeat and resume bit for bit",
                  ms_mpi_rank (), worst, dp.loss[0], dp.loss[STEPS - 1], nmse);
  g_free (one.params);
  g_free (dp.params);
  g_free (again.params);
  g_free (resumed.params);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  if (!ms_mpi_init (&error))
    g_error ("%s", error->message);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  MsTestRng rng = { 14 };
  stream_len = (gsize) STEPS * ACCUM * 2 * 16 + 1;
  stream = g_new (guint16, stream_len);
  for (gsize i = 0; i < stream_len; i++)
    stream[i] = (guint16) (ms_test_rng_u64 (&rng) % (guint64) f->cfg.vocab_size);
  ms_ref_fixture_free (f);
  g_test_add_func ("/mpi/allreduce", test_allreduce);
  g_test_add_func ("/mpi/data-parallel", test_two_ranks_vs_one);
  int rc = ms_test_run ();
  g_free (stream);
  ms_mpi_finalize ();
  return rc;
}
