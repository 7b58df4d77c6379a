/* Membership-inference scores against a plain recomputation: each example's loss from a
 * forward pass of that example alone, Min-K% and the zlib ratio from those per-token losses;
 * packing many examples into rows must not change them. Plus the signals' orientation. */
#include <math.h>
#include <string.h>
#include <zlib.h>

#include "../model/gpt-reference.h"
#include "ms-test.h"
#include "analysis/ms-stats.h"
#include "common/ms-json.h"
#include "probe/ms-mia.h"

static MsExample *
make_examples (const MsRefFixture *f, int n, MsRecord *records)
{
  MsExample *ex = g_new0 (MsExample, n);
  for (int i = 0; i < n; i++)
    {
      int len = 5 + (i * 7) % 23, in = 2 + i % 4;
      ex[i].tokens = g_new (guint32, len);
      for (int t = 0; t < len; t++)
        ex[i].tokens[t] = f->tokens[(i * 13 + t) % (f->B * f->T)];
      ex[i].n_tokens = len;
      ex[i].input_start = 0;
      ex[i].input_end = in;
      ex[i].prompt_len = ex[i].output_start = in + 1;
      ex[i].output_end = len - 1;
      records[i] = (MsRecord) { "t", g_strdup_printf ("input %d", i),
                                g_strdup_printf ("output text %d, %d", i, i * i), g_strdup_printf ("%d", i) };
      ex[i].record = &records[i];
    }
  return ex;
}

static void
check (gboolean response_only)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  const int n = 17;
  MsRecord records[17];
  MsExample *ex = make_examples (f, n, records);
  const MsExample *ptrs[17];
  for (int i = 0; i < n; i++)
    ptrs[i] = &ex[i];
  MsMiaScores got[17];
  g_assert_true (ms_mia_score (gpt, ptrs, n, response_only, 0.2, 3, 40, got, &error));
  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    {
      /* The example alone, unpacked. */
      int len = ex[i].n_tokens, first = response_only ? ex[i].output_start : 1;
      int tokens[64], targets[64];
      for (int t = 0; t < len; t++)
        {
          tokens[t] = ex[i].tokens[t];
          targets[t] = t + 1 < len && t + 1 >= first ? (int) ex[i].tokens[t + 1] : -1;
        }
      g_assert_true (ms_gpt_forward (gpt, tokens, NULL, targets, 1, len, &error));
      const float *l = ms_gpt_losses (gpt);
      double sum = 0, sorted[64];
      int m = 0;
      for (int t = 0; t < len; t++)
        if (targets[t] >= 0)
          {
            sum += l[t];
            sorted[m++] = l[t];
          }
      /* Min-K% by selection: the ceil(0.2 m) largest losses. */
      int k = MAX (1, (int) ceil (0.2 * m));
      double worst = 0;
      for (int j = 0; j < k; j++)
        {
          int best = j;
          for (int q = j + 1; q < m; q++)
            if (sorted[q] > sorted[best])
              best = q;
          double tmp = sorted[j];
          sorted[j] = sorted[best];
          sorted[best] = tmp;
          worst += sorted[j];
        }
      const char *text = response_only ? records[i].output
                                       : g_strconcat (records[i].input, "\n", records[i].output, NULL);
      uLongf zl = compressBound (strlen (text));
      Bytef buf[256];
      zl = sizeof buf;
      compress2 (buf, &zl, (const Bytef *) text, strlen (text), 9);
      g_assert_cmpint (got[i].n_tokens, ==, m);
      g_assert_cmpfloat (fabs (got[i].loss - sum / m), <, 1e-5);
      g_assert_cmpfloat (fabs (got[i].min_k - (-worst / k)), <, 1e-5);
      g_assert_cmpfloat (fabs (got[i].zlib_ratio - (sum / G_LN2) / (zl * 8.0)), <, 1e-6);
      if (!response_only)
        g_free ((char *) text);
    }
  /* Orientation: a lower loss is a stronger membership signal. */
  MsMiaScores a = { 1.0, -2.0, 0.5, 10 }, b = { 2.0, -3.0, 0.9, 10 }, base = { 4.0, 0, 0, 10 };
  g_assert_cmpfloat (ms_mia_signal (MS_MIA_LOSS, &a, NULL), >, ms_mia_signal (MS_MIA_LOSS, &b, NULL));
  g_assert_cmpfloat (ms_mia_signal (MS_MIA_REFERENCE, &a, &base), ==, -0.25);
  g_assert_cmpfloat (ms_mia_signal (MS_MIA_MIN_K, &a, NULL), >, ms_mia_signal (MS_MIA_MIN_K, &b, NULL));
  for (int i = 0; i < n; i++)
    {
      g_free (ex[i].tokens);
      g_free (records[i].input);
      g_free (records[i].output);
      g_free (records[i].id);
    }
  g_free (ex);
  ms_ref_fixture_free (f);
}

/* ROC AUC as a membership test: 1 when members are planted fully apart (every member's
 * signal above every non-member's), about 0.5 when the labels are random. */
static void
test_auc_planted_and_random (void)
{
  MsTestRng rng = { 42 };
  const gsize n = 2000;
  g_autofree double *score = g_new (double, n);
  g_autofree gboolean *member = g_new (gboolean, n);
  for (gsize i = 0; i < n; i++)
    {
      member[i] = i % 2;
      score[i] = ms_test_rng_normal (&rng) + (member[i] ? 10.0 : 0.0);
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (MsRoc) planted = ms_stats_roc (score, member, n, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (planted->auc, ==, 1.0);
  g_assert_cmpfloat (ms_roc_tpr_at_fpr (planted, 0.01), ==, 1.0);
  for (gsize i = 0; i < n; i++)
    member[i] = ms_test_rng_uniform (&rng) < 0.5;
  g_autoptr (MsRoc) random = ms_stats_roc (score, member, n, &error);
  /* The AUC of random labels has standard deviation about sqrt(1/(3n)) ≈ 0.013. */
  g_assert_cmpfloat (fabs (random->auc - 0.5), <, 0.05);
  g_test_message ("planted AUC %.3f, random-label AUC %.3f", planted->auc, random->auc);
}

static void
test_json_numbers (void)
{
  char text[] = "{\"a\" : 1e-08.0, \"b\" : \"1e5.0\", \"c\" : [2.5e+10.0, 3.0, 4e2.0]}";
  ms_json_mend_numbers (text);
  g_assert_cmpstr (text, ==, "{\"a\" : 1e-08, \"b\" : \"1e5.0\", \"c\" : [2.5e+10, 3.0, 4e2]}");
}

static void test_response_only (void) { check (TRUE); }
static void test_whole (void) { check (FALSE); }

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mia/response-only", test_response_only);
  g_test_add_func ("/mia/whole-sequence", test_whole);
  g_test_add_func ("/mia/auc-planted-and-random", test_auc_planted_and_random);
  g_test_add_func ("/mia/json-numbers", test_json_numbers);
  return ms_test_run ();
}
