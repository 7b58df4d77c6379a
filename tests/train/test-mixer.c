/* The multi-task mixer: rates against numbers worked out by hand, task frequencies over many
 * draws within four standard errors of the rates, every example once per epoch (and uniform
 * first positions), orders independent of the interleaving, determinism, exact resume, and
 * refused configurations and states. */
#include "ms-test.h"

#include <math.h>
#include <string.h>

#include "common/ms-error.h"
#include "train/ms-mixer.h"

static const gsize sizes3[] = { 100, 400, 10000 };
static const double weights3[] = { 1, 0, 3 };

static MsMixer *
new_mixer (MsMixerStrategy s, double temperature, gsize cap, const double *w, const gsize *sizes,
           int n, guint64 seed)
{
  MsMixerConfig cfg = { .strategy = s, .temperature = temperature, .cap = cap, .weights = w };
  g_autoptr (GError) error = NULL;
  MsMixer *m = ms_mixer_new (&cfg, sizes, n, seed, &error);
  g_assert_no_error (error);
  return m;
}

static void
assert_rates (const MsMixer *m, const double *want)
{
  const double *r = ms_mixer_rates (m);
  for (int i = 0; i < ms_mixer_n_tasks (m); i++)
    g_assert_cmpfloat_with_epsilon (r[i], want[i], 1e-14);
}

/* sizes {100, 400, 10000}:
 *   proportional, cap 1000:  min = {100, 400, 1000} / 1500            = {1/15, 4/15, 2/3}
 *   proportional, no cap:    {100, 400, 10000} / 10500
 *   temperature 2, cap 1000: {sqrt 100, sqrt 400, sqrt 1000} = {10, 20, 31.6227766016837933}
 *                            / 61.6227766016837933
 *   equal:                   1/3 each
 *   weights {1, 0, 3}:       {1/4, 0, 3/4} */
static void
test_rates (void)
{
  g_autoptr (MsMixer) p = new_mixer (MS_MIXER_PROPORTIONAL, 0, 1000, NULL, sizes3, 3, 1);
  assert_rates (p, (double[]) { 1.0 / 15, 4.0 / 15, 2.0 / 3 });
  g_autoptr (MsMixer) pn = new_mixer (MS_MIXER_PROPORTIONAL, 0, 0, NULL, sizes3, 3, 1);
  assert_rates (pn, (double[]) { 0.0095238095238095247, 0.038095238095238099,
                                 0.95238095238095233 });
  g_autoptr (MsMixer) t = new_mixer (MS_MIXER_TEMPERATURE, 2, 1000, NULL, sizes3, 3, 1);
  assert_rates (t, (double[]) { 0.16227766016837933, 0.32455532033675866,
                                0.51316701949486199 });
  g_autoptr (MsMixer) e = new_mixer (MS_MIXER_EQUAL, 0, 0, NULL, sizes3, 3, 1);
  assert_rates (e, (double[]) { 1.0 / 3, 1.0 / 3, 1.0 / 3 });
  g_autoptr (MsMixer) w = new_mixer (MS_MIXER_WEIGHTS, 0, 0, weights3, sizes3, 3, 1);
  assert_rates (w, (double[]) { 0.25, 0, 0.75 });
  /* T = 1 is proportional; a huge T is equal; a tiny T puts all mass on the largest task
   * without overflowing (1000^(1/0.001) is far beyond a double). */
  g_autoptr (MsMixer) t1 = new_mixer (MS_MIXER_TEMPERATURE, 1, 1000, NULL, sizes3, 3, 1);
  assert_rates (t1, (double[]) { 1.0 / 15, 4.0 / 15, 2.0 / 3 });
  g_autoptr (MsMixer) tbig = new_mixer (MS_MIXER_TEMPERATURE, 1e9, 0, NULL, sizes3, 3, 1);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (ms_mixer_rates (tbig)[i], 1.0 / 3, 1e-8);
  g_autoptr (MsMixer) tsmall = new_mixer (MS_MIXER_TEMPERATURE, 1e-3, 0, NULL, sizes3, 3, 1);
  assert_rates (tsmall, (double[]) { 0, 0, 1 });
  /* A single task always has rate 1. */
  gsize one = 17;
  g_autoptr (MsMixer) single = new_mixer (MS_MIXER_PROPORTIONAL, 0, 0, NULL, &one, 1, 1);
  assert_rates (single, (double[]) { 1 });
}

/* Empirical task frequencies over N draws are within 4 standard errors of the rates. */
static void
check_frequencies (MsMixer *m, int n_draws)
{
  int n = ms_mixer_n_tasks (m);
  g_autofree guint64 *hits = g_new0 (guint64, n);
  for (int k = 0; k < n_draws; k++)
    {
      int task;
      gsize index;
      ms_mixer_next (m, &task, &index);
      g_assert_cmpint (task, >=, 0);
      g_assert_cmpint (task, <, n);
      g_assert_cmpuint (index, <, ms_mixer_sizes (m)[task]);
      hits[task]++;
    }
  const double *r = ms_mixer_rates (m);
  for (int i = 0; i < n; i++)
    {
      g_assert_cmpuint (ms_mixer_counts (m)[i], ==, hits[i]);
      double p = (double) hits[i] / n_draws;
      double bound = 4 * sqrt (r[i] * (1 - r[i]) / n_draws);
      if (fabs (p - r[i]) > bound)
        g_error ("task %d: frequency %.6f, rate %.6f, bound %.6f", i, p, r[i], bound);
      if (r[i] == 0)
        g_assert_cmpuint (hits[i], ==, 0);
    }
}

static void
test_frequencies (void)
{
  const int n = 200000;
  gsize sizes5[] = { 3, 50, 1200, 7, 90000 };
  double w5[] = { 0.5, 2, 0, 1e-3, 1.5 };
  struct { MsMixerStrategy s; double t; gsize cap; const double *w; const gsize *sizes; int n; }
  cases[] = {
    { MS_MIXER_PROPORTIONAL, 0, 1000, NULL, sizes3, 3 },
    { MS_MIXER_PROPORTIONAL, 0, 0, NULL, sizes5, 5 },
    { MS_MIXER_TEMPERATURE, 2, 1000, NULL, sizes3, 3 },
    { MS_MIXER_TEMPERATURE, 3.5, 0, NULL, sizes5, 5 },
    { MS_MIXER_EQUAL, 0, 0, NULL, sizes5, 5 },
    { MS_MIXER_WEIGHTS, 0, 0, weights3, sizes3, 3 },
    { MS_MIXER_WEIGHTS, 0, 0, w5, sizes5, 5 },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (MsMixer) m = new_mixer (cases[c].s, cases[c].t, cases[c].cap, cases[c].w,
                                         cases[c].sizes, cases[c].n, 1000 + c);
      check_frequencies (m, n);
    }
}

/* Every example of a task appears once in each epoch of that task. */
static void
test_epochs (void)
{
  gsize sizes[] = { 5, 7, 3, 1 };
  g_autoptr (MsMixer) m = new_mixer (MS_MIXER_EQUAL, 0, 0, NULL, sizes, 4, 42);
  GArray *seq[4];
  for (int i = 0; i < 4; i++)
    seq[i] = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (int k = 0; k < 4000; k++)
    {
      int task;
      gsize index;
      ms_mixer_next (m, &task, &index);
      g_array_append_val (seq[task], index);
      g_assert_cmpuint (ms_mixer_epochs (m, task), ==, seq[task]->len / sizes[task]);
    }
  for (int i = 0; i < 4; i++)
    {
      gsize n = sizes[i];
      gboolean differ = FALSE;
      for (gsize e = 0; (e + 1) * n <= seq[i]->len; e++)
        {
          g_autofree int *seen = g_new0 (int, n);
          for (gsize k = 0; k < n; k++)
            seen[g_array_index (seq[i], gsize, e * n + k)]++;
          for (gsize k = 0; k < n; k++)
            g_assert_cmpint (seen[k], ==, 1);
          if (e > 0 && memcmp (&g_array_index (seq[i], gsize, e * n),
                               &g_array_index (seq[i], gsize, 0), n * sizeof (gsize)) != 0)
            differ = TRUE;
        }
      /* A new order each epoch (for more than one example). */
      g_assert_true (differ == (n > 1));
      g_array_unref (seq[i]);
    }
}

/* Fisher-Yates is uniform: over 40000 epochs of 4 examples, each example lands at each
 * position with frequency 1/4 within four standard errors. */
static void
test_permutation_uniform (void)
{
  gsize n = 4;
  const int epochs = 40000;
  g_autoptr (MsMixer) m = new_mixer (MS_MIXER_EQUAL, 0, 0, NULL, &n, 1, 7);
  int counts[4][4] = { { 0 } };
  for (int e = 0; e < epochs; e++)
    for (gsize pos = 0; pos < n; pos++)
      {
        int task;
        gsize index;
        ms_mixer_next (m, &task, &index);
        counts[pos][index]++;
      }
  double bound = 4 * sqrt (0.25 * 0.75 / epochs);
  for (int pos = 0; pos < 4; pos++)
    for (int v = 0; v < 4; v++)
      g_assert_cmpfloat (fabs ((double) counts[pos][v] / epochs - 0.25), <=, bound);
}

static void
draw_many (MsMixer *m, int n, int *tasks, gsize *indices)
{
  for (int k = 0; k < n; k++)
    ms_mixer_next (m, &tasks[k], &indices[k]);
}

/* Task I's order depends on (seed, task, epoch) only, not on the rates. */
static void
test_interleaving (void)
{
  gsize sizes[] = { 6, 11, 4 };
  double w[] = { 1, 5, 2 };
  g_autoptr (MsMixer) a = new_mixer (MS_MIXER_EQUAL, 0, 0, NULL, sizes, 3, 99);
  g_autoptr (MsMixer) b = new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 3, 99);
  GArray *sa[3], *sb[3];
  for (int i = 0; i < 3; i++)
    {
      sa[i] = g_array_new (FALSE, FALSE, sizeof (gsize));
      sb[i] = g_array_new (FALSE, FALSE, sizeof (gsize));
    }
  for (int k = 0; k < 3000; k++)
    {
      int task;
      gsize index;
      ms_mixer_next (a, &task, &index);
      g_array_append_val (sa[task], index);
      ms_mixer_next (b, &task, &index);
      g_array_append_val (sb[task], index);
    }
  for (int i = 0; i < 3; i++)
    {
      guint common = MIN (sa[i]->len, sb[i]->len);
      g_assert_cmpuint (common, >, 10 * sizes[i]);
      g_assert_cmpmem (sa[i]->data, common * sizeof (gsize), sb[i]->data,
                       common * sizeof (gsize));
      g_array_unref (sa[i]);
      g_array_unref (sb[i]);
    }
}

static void
test_determinism (void)
{
  enum { N = 2000 };
  int ta[N], tb[N], tc[N];
  gsize ia[N], ib[N], ic[N];
  g_autoptr (MsMixer) a = new_mixer (MS_MIXER_TEMPERATURE, 2, 1000, NULL, sizes3, 3, 5);
  g_autoptr (MsMixer) b = new_mixer (MS_MIXER_TEMPERATURE, 2, 1000, NULL, sizes3, 3, 5);
  g_autoptr (MsMixer) c = new_mixer (MS_MIXER_TEMPERATURE, 2, 1000, NULL, sizes3, 3, 6);
  draw_many (a, N, ta, ia);
  draw_many (b, N, tb, ib);
  draw_many (c, N, tc, ic);
  g_assert_cmpmem (ta, sizeof ta, tb, sizeof tb);
  g_assert_cmpmem (ia, sizeof ia, ib, sizeof ib);
  int same_task = 0, same_index = 0;
  for (int k = 0; k < N; k++)
    {
      same_task += ta[k] == tc[k];
      same_index += ta[k] == tc[k] && ia[k] == ic[k];
    }
  /* Independent streams agree on the task about sum r_i^2 = 0.39 of the time. */
  g_assert_cmpint (same_task, <, N * 6 / 10);
  g_assert_cmpint (same_index, <, N / 10);
}

static void
test_resume (void)
{
  enum { N = 3000, AT = 1234 };
  int ta[N], tb[N];
  gsize ia[N], ib[N];
  double w[] = { 1, 2, 3 };
  gsize sizes[] = { 13, 29, 5 };
  g_autoptr (MsMixer) a = new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 3, 77);
  draw_many (a, AT, ta, ia);
  g_autoptr (GBytes) state = ms_mixer_save_state (a);
  guint64 counts_at[3];
  memcpy (counts_at, ms_mixer_counts (a), sizeof counts_at);
  draw_many (a, N - AT, ta + AT, ia + AT);

  /* A fresh mixer, and one that has drawn on its own first, both continue like A. */
  for (int pre = 0; pre <= 500; pre += 500)
    {
      g_autoptr (MsMixer) b = new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 3, 77);
      draw_many (b, pre, tb, ib);
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_mixer_restore_state (b, state, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (ms_mixer_counts (b), sizeof counts_at, counts_at, sizeof counts_at);
      draw_many (b, N - AT, tb + AT, ib + AT);
      g_assert_cmpmem (ta + AT, (N - AT) * sizeof (int), tb + AT, (N - AT) * sizeof (int));
      g_assert_cmpmem (ia + AT, (N - AT) * sizeof (gsize), ib + AT, (N - AT) * sizeof (gsize));
      g_assert_cmpmem (ms_mixer_counts (a), 3 * sizeof (guint64), ms_mixer_counts (b),
                       3 * sizeof (guint64));
      for (int i = 0; i < 3; i++)
        g_assert_cmpuint (ms_mixer_epochs (a, i), ==, ms_mixer_epochs (b, i));
    }
}

static void
test_restore_mismatch (void)
{
  double w[] = { 1, 2, 3 };
  gsize sizes[] = { 13, 29, 5 };
  g_autoptr (MsMixer) a = new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 3, 77);
  int t[100];
  gsize idx[100];
  draw_many (a, 100, t, idx);
  g_autoptr (GBytes) state = ms_mixer_save_state (a);

  gsize other_sizes[] = { 13, 30, 5 };
  double other_w[] = { 1, 2, 4 };
  struct { MsMixer *m; const char *what; } cases[] = {
    { new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, other_sizes, 3, 77), "task 1 had 29 examples" },
    { new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 2, 77), "for 3 tasks, this mixer has 2" },
    { new_mixer (MS_MIXER_EQUAL, 0, 0, NULL, sizes, 3, 77), "strategy weights" },
    { new_mixer (MS_MIXER_WEIGHTS, 0, 0, other_w, sizes, 3, 77), "weight of task 2" },
    { new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 3, 78), "seed 77" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (ms_mixer_restore_state (cases[c].m, state, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
      g_assert_nonnull (strstr (error->message, cases[c].what));
      ms_mixer_free (cases[c].m);
    }

  /* Truncated, extended, wrong magic, impossible cursor: refused, the mixer untouched. */
  gsize len;
  const guint8 *p = g_bytes_get_data (state, &len);
  g_autoptr (MsMixer) b = new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 3, 77);
  g_autoptr (MsMixer) twin = new_mixer (MS_MIXER_WEIGHTS, 0, 0, w, sizes, 3, 77);
  g_autofree guint8 *buf = g_malloc (len + 8);
  memcpy (buf, p, len);
  memset (buf + len, 0, 8);
  gsize cuts[] = { 0, 7, 30, len - 1, len + 8 };
  for (guint c = 0; c < G_N_ELEMENTS (cuts); c++)
    {
      g_autoptr (GBytes) bad = g_bytes_new (buf, cuts[c]);
      g_autoptr (GError) error = NULL;
      g_assert_false (ms_mixer_restore_state (b, bad, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
    }
  buf[0] = 'X';
  g_autoptr (GBytes) magic = g_bytes_new (buf, len);
  g_autoptr (GError) error = NULL;
  g_assert_false (ms_mixer_restore_state (b, magic, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  g_clear_error (&error);
  buf[0] = p[0];
  /* The last task's cursor (the second-last u64) set past its 5 examples. */
  buf[len - 16] = 9;
  g_autoptr (GBytes) cursor = g_bytes_new (buf, len);
  g_assert_false (ms_mixer_restore_state (b, cursor, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  int tb[50], tt[50];
  gsize ib[50], it[50];
  draw_many (b, 50, tb, ib);
  draw_many (twin, 50, tt, it);
  g_assert_cmpmem (tb, sizeof tb, tt, sizeof tt);
  g_assert_cmpmem (ib, sizeof ib, it, sizeof it);
}

static void
test_bad_config (void)
{
  gsize sizes[] = { 10, 20 };
  gsize with_empty[] = { 10, 0 };
  double neg[] = { 1, -0.5 }, zero[] = { 0, 0 }, nan_w[] = { 1, NAN }, inf_w[] = { 1, INFINITY };
  struct { MsMixerStrategy s; double t; const double *w; const gsize *sizes; int n;
           const char *what; } cases[] = {
    { MS_MIXER_EQUAL, 0, NULL, sizes, 0, "at least one task" },
    { MS_MIXER_PROPORTIONAL, 0, NULL, with_empty, 2, "task 1 of the mixture has no examples" },
    { MS_MIXER_WEIGHTS, 0, neg, sizes, 2, "weight -0.5 of task 1" },
    { MS_MIXER_WEIGHTS, 0, nan_w, sizes, 2, "of task 1" },
    { MS_MIXER_WEIGHTS, 0, inf_w, sizes, 2, "of task 1" },
    { MS_MIXER_WEIGHTS, 0, zero, sizes, 2, "sum to 0" },
    { MS_MIXER_WEIGHTS, 0, NULL, sizes, 2, "one weight per task" },
    { MS_MIXER_TEMPERATURE, 0, NULL, sizes, 2, "temperature 0" },
    { MS_MIXER_TEMPERATURE, -1, NULL, sizes, 2, "temperature -1" },
    { MS_MIXER_TEMPERATURE, NAN, NULL, sizes, 2, "temperature" },
    { MS_MIXER_TEMPERATURE, INFINITY, NULL, sizes, 2, "temperature" },
    { (MsMixerStrategy) 9, 0, NULL, sizes, 2, "unknown mixing strategy 9" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      MsMixerConfig cfg = { .strategy = cases[c].s, .temperature = cases[c].t,
                            .weights = cases[c].w };
      g_autoptr (GError) error = NULL;
      g_assert_null (ms_mixer_new (&cfg, cases[c].sizes, cases[c].n, 1, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
      if (strstr (error->message, cases[c].what) == NULL)
        g_error ("case %u: \"%s\" lacks \"%s\"", c, error->message, cases[c].what);
    }
}

static void
test_strategy_parse (void)
{
  static const struct { const char *text; MsMixerStrategy s; } names[] = {
    { "proportional", MS_MIXER_PROPORTIONAL }, { "temperature", MS_MIXER_TEMPERATURE },
    { "equal", MS_MIXER_EQUAL }, { "weights", MS_MIXER_WEIGHTS }, { "Equal", MS_MIXER_EQUAL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      MsMixerStrategy s = 99;
      g_assert_true (ms_mixer_strategy_parse (names[i].text, &s, NULL));
      g_assert_cmpint (s, ==, names[i].s);
    }
  g_assert_cmpstr (ms_mixer_strategy_name (MS_MIXER_TEMPERATURE), ==, "temperature");
  g_autoptr (GError) error = NULL;
  MsMixerStrategy s;
  g_assert_false (ms_mixer_strategy_parse ("uniform", &s, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "'uniform'"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/mixer/rates", test_rates);
  g_test_add_func ("/train/mixer/frequencies", test_frequencies);
  g_test_add_func ("/train/mixer/epochs", test_epochs);
  g_test_add_func ("/train/mixer/permutation-uniform", test_permutation_uniform);
  g_test_add_func ("/train/mixer/interleaving", test_interleaving);
  g_test_add_func ("/train/mixer/determinism", test_determinism);
  g_test_add_func ("/train/mixer/resume", test_resume);
  g_test_add_func ("/train/mixer/restore-mismatch", test_restore_mismatch);
  g_test_add_func ("/train/mixer/bad-config", test_bad_config);
  g_test_add_func ("/train/mixer/strategy-parse", test_strategy_parse);
  return ms_test_run ();
}
