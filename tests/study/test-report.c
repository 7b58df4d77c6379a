/* The study table and report against hand-worked numbers: a store built here with a base run,
 * three single-task runs (one with two seeds), one mixture and an unfinished run, whose scores
 * are chosen so that every rate, interval, difference and the length-matched comparison can be
 * worked out by hand (Wilson and Newcombe written out below, independently of ms-stats). Then
 * the report folder (figures in three formats, report.md/.html, results.json) and the
 * `memscope report` command, including an unknown study and one without finished runs. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "ms-test.h"
#include "study/ms-report.h"

#define N 100                         /* samples per task and split */
#define Z95 1.959963984540054         /* standard normal 0.975 quantile */
#define T99 1.9842169515086827        /* Student t 0.975 quantile, 99 df (tables) */

/* ---- The fixture store --------------------------------------------------------------------- */

typedef struct { int lo, hi; } Range;  /* [lo, hi) of sample indices */

typedef struct {
  const char *task, *run, *split;
  Range exact[2], verbatim[2], paraphrase, idea;
  gboolean tm_ramp;                   /* token_match = (i % 10) / 10 instead of the default */
} Flags;

static gboolean
in (const Range *r, int nr, int i)
{
  for (int k = 0; k < nr; k++)
    if (i >= r[k].lo && i < r[k].hi)
      return TRUE;
  return FALSE;
}

/* Target-probe flags. A = summ (long outputs), B = qa, C = sent (short outputs). B's exact
 * flags give 8/20 long and 12/80 short samples: the same rates per length as A's 24/60 and
 * 6/40, so A − B is entirely a length effect. */
static const Flags target_flags[] = {
  { "summ", "single/summ/s1", "train", { { 0, 24 }, { 60, 66 } }, { { 0, 40 } }, { 35, 50 },
    { 45, 55 }, TRUE },
  { "summ", "single/summ/s1", "heldout", { { 0, 5 } }, { { 0, 5 } } },
  { "summ", "mix/all/s1", "train", { { 0, 15 } }, { { 0, 15 } } },
  { "summ", "mix/all/s1", "heldout", { { 0, 4 } }, { { 0, 4 } } },
  { "summ", "base", "train", { { 0, 2 } }, { { 0, 2 } } },
  { "summ", "base", "heldout", { { 0, 1 } }, { { 0, 1 } } },
  { "qa", "single/qa/s1", "train", { { 0, 8 }, { 20, 32 } }, { { 0, 8 }, { 20, 32 } } },
  { "qa", "single/qa/s2", "train", { { 0, 8 }, { 20, 32 } }, { { 0, 8 }, { 20, 32 } } },
  { "qa", "single/qa/s1", "heldout", { { 0, 3 } }, { { 0, 3 } } },
  { "qa", "single/qa/s2", "heldout", { { 0, 3 } }, { { 0, 3 } } },
  { "qa", "mix/all/s1", "train", { { 0, 10 } }, { { 0, 10 } } },
  { "qa", "mix/all/s1", "heldout", { { 0, 2 } }, { { 0, 2 } } },
  { "qa", "base", "train", { { 0, 1 } }, { { 0, 1 } } },
  { "qa", "base", "heldout" },
  { "sent", "single/sent/s1", "train", { { 0, 2 } }, { { 0, 2 } } },
  { "sent", "single/sent/s1", "heldout" },
  { "sent", "mix/all/s1", "train", { { 0, 1 } }, { { 0, 1 } } },
  { "sent", "mix/all/s1", "heldout" },
  { "sent", "base", "train" },
  { "sent", "base", "heldout" },
  /* An unfinished run: its (perfect) generations must not count. */
  { "summ", "single/summ/s9", "train", { { 0, 100 } }, { { 0, 100 } } },
};

static int
output_tokens (const char *task, int i)
{
  if (strcmp (task, "summ") == 0)
    return i < 60 ? 200 : 10;
  if (strcmp (task, "qa") == 0)
    return i < 20 ? 200 : 10;
  return 3;
}

/* Input-probe eligibility: summ every sample, qa the first 60 train / 50 held-out, sent none. */
static gboolean
input_eligible (const char *task, const char *split, int i)
{
  if (strcmp (task, "summ") == 0)
    return TRUE;
  if (strcmp (task, "qa") == 0)
    return i < (strcmp (split, "train") == 0 ? 60 : 50);
  return FALSE;
}

static double
default_tm (gboolean exact, int i)
{
  return exact ? 1.0 : 0.2 * (i % 5) / 4.0;
}

static gint64 sample_ids[3][2][N];
static const char *const task_names[3] = { "summ", "qa", "sent" };

static int
task_index (const char *name)
{
  for (int k = 0; k < 3; k++)
    if (strcmp (task_names[k], name) == 0)
      return k;
  g_assert_not_reached ();
}

static void
add_gen (MsStore *s, gint64 run, gint64 sample, const char *probe, gboolean exact,
         gboolean verbatim, gboolean para, gboolean idea, double tm)
{
  static const gint32 toks[3] = { 11, 12, 13 };
  MsStoreGenerationDef g = {
    .run_id = run, .sample_id = sample, .probe = probe, .prompt_tokens = 8,
    .reference = "the reference", .reference_tokens = toks, .n_reference_tokens = 3,
    .text = "the generation", .tokens = toks, .n_tokens = 3,
    .scores = { .exact = exact, .token_match = tm, .lcs_chars = exact ? 120 : 7,
                .verbatim = verbatim, .rouge_l = tm, .bleu = tm / 2,
                .align_gen_cov = verbatim ? 0.8 : 0, .paraphrase = para, .idea = idea },
  };
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (ms_store_add_generation (s, &g, &error), >, 0);
  g_assert_no_error (error);
}

static gint64
add_run (MsStore *s, gint64 study, const char *name, const char *kind, const char *mixture,
         gint64 seed, const char *tasks, const char *status)
{
  g_autoptr (GError) error = NULL;
  MsStoreRunDef def = { name, kind, mixture, seed, tasks, NULL };
  gint64 id = ms_store_ensure_run (s, study, &def, NULL, &error);
  g_assert_no_error (error);
  MsRunState state;
  g_assert_true (ms_run_state_parse (status, &state));
  g_assert_true (ms_store_set_run_status (s, id, state, NULL, &error));
  return id;
}

static char *store_path;

static void
build_store (void)
{
  g_autoptr (GError) error = NULL;
  store_path = g_build_filename (ms_test_tmpdir (), "study.sqlite", NULL);
  g_autoptr (MsStore) s = ms_store_open (store_path, &error);
  g_assert_no_error (error);
  g_assert_true (ms_store_begin (s, &error));
  MsStoreStudyDef sd = { "toy", "toy.ini", "[study]\nname=toy\n", NULL,
                         "{\"finetune\":{\"epochs\":3,\"loss\":\"response\"},"
                         "\"probe\":{\"k\":32,\"n\":32},\"seeds\":[1,2]}" };
  gint64 study = ms_store_upsert_study (s, &sd, &error);
  g_assert_no_error (error);
  gint64 task_ids[3];
  for (int k = 0; k < 3; k++)
    {
      MsStoreTaskDef td = { task_names[k], "t.jsonl", "h.jsonl", "aa", "bb", "{input}",
                            1000, 200 };
      task_ids[k] = ms_store_upsert_task (s, study, &td, &error);
      g_assert_no_error (error);
      for (int sp = 0; sp < 2; sp++)
        {
          MsStoreSampleDef defs[N];
          g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
          for (int i = 0; i < N; i++)
            {
              char *rid = g_strdup_printf ("%s-%d", task_names[k], i);
              g_ptr_array_add (keep, rid);
              defs[i] = (MsStoreSampleDef) { task_ids[k], sp ? "heldout" : "train", rid,
                                             "an input", "an output", 300,
                                             output_tokens (task_names[k], i) };
            }
          g_assert_true (ms_store_upsert_samples (s, defs, N, sample_ids[k][sp], &error));
        }
    }
  GHashTable *runs = g_hash_table_new (g_str_hash, g_str_equal);
  struct { const char *name, *kind, *mixture; gint64 seed; const char *tasks, *status; } rd[] = {
    { "base", "base", NULL, 0, "[]", "done" },
    { "single/summ/s1", "single", NULL, 1, "[\"summ\"]", "done" },
    { "single/qa/s1", "single", NULL, 1, "[\"qa\"]", "done" },
    { "single/qa/s2", "single", NULL, 2, "[\"qa\"]", "done" },
    { "single/sent/s1", "single", NULL, 1, "[\"sent\"]", "done" },
    { "mix/all/s1", "mixture", "all", 1, "[\"summ\",\"qa\",\"sent\"]", "done" },
    { "single/summ/s9", "single", NULL, 9, "[\"summ\"]", "probing" },
  };
  for (guint r = 0; r < G_N_ELEMENTS (rd); r++)
    g_hash_table_insert (runs, (gpointer) rd[r].name,
                         g_memdup2 ((gint64[]) { add_run (s, study, rd[r].name, rd[r].kind,
                                                          rd[r].mixture, rd[r].seed,
                                                          rd[r].tasks, rd[r].status) },
                                    sizeof (gint64)));
  for (guint f = 0; f < G_N_ELEMENTS (target_flags); f++)
    {
      const Flags *fl = &target_flags[f];
      int k = task_index (fl->task), sp = strcmp (fl->split, "train") == 0 ? 0 : 1;
      gint64 run = *(gint64 *) g_hash_table_lookup (runs, fl->run);
      for (int i = 0; i < N; i++)
        {
          gboolean ex = in (fl->exact, 2, i);
          double tm = fl->tm_ramp ? (i % 10) / 10.0 : default_tm (ex, i);
          add_gen (s, run, sample_ids[k][sp][i], "target", ex, in (fl->verbatim, 2, i),
                   in (&fl->paraphrase, 1, i), in (&fl->idea, 1, i), tm);
          /* Input probe: only eligible samples; summ's single-task run flags the first 10. */
          if (input_eligible (fl->task, fl->split, i))
            {
              gboolean iex = strcmp (fl->run, "single/summ/s1") == 0 && sp == 0 && i < 10;
              add_gen (s, run, sample_ids[k][sp][i], "input", iex, iex, FALSE, FALSE,
                       default_tm (iex, i));
            }
        }
    }
  /* A loss curve for one run. */
  MsStoreCurvePoint pts[60];
  int np = 0;
  for (int step = 1; step <= 50; step++)
    pts[np++] = (MsStoreCurvePoint) { step, 0, "train", 1 + 3 * exp (-step / 15.0) };
  for (int step = 10; step <= 50; step += 10)
    pts[np++] = (MsStoreCurvePoint) { step, task_ids[0], "eval", 1.3 + 2.5 * exp (-step / 20.0) };
  g_assert_true (ms_store_add_curve (s, *(gint64 *) g_hash_table_lookup (runs, "single/summ/s1"),
                                     pts, np, &error));
  g_assert_no_error (error);

  /* A second study with nothing finished. */
  MsStoreStudyDef ed = { "empty", NULL, "[study]\n", NULL, NULL };
  gint64 empty = ms_store_upsert_study (s, &ed, &error);
  MsStoreTaskDef td = { "summ", "t.jsonl", NULL, "aa", NULL, "{input}", 10, 0 };
  g_assert_cmpint (ms_store_upsert_task (s, empty, &td, &error), >, 0);
  add_run (s, empty, "base", "base", NULL, 0, "[]", "pending");
  g_assert_true (ms_store_commit (s, &error));
  g_assert_no_error (error);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, runs);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_free (v);
  g_hash_table_unref (runs);
}

/* ---- Independent references ------------------------------------------------------------------ */

static void
wilson (double x, double n, double *lo, double *hi)
{
  double p = x / n, z2 = Z95 * Z95, d = 1 + z2 / n;
  double c = (p + z2 / (2 * n)) / d;
  double h = Z95 * sqrt (p * (1 - p) / n + z2 / (4 * n * n)) / d;
  *lo = c - h;
  *hi = c + h;
}

static void
newcombe (double x1, double n1, double x2, double n2, double *lo, double *hi)
{
  double l1, u1, l2, u2, p1 = x1 / n1, p2 = x2 / n2;
  wilson (x1, n1, &l1, &u1);
  wilson (x2, n2, &l2, &u2);
  *lo = p1 - p2 - sqrt ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
  *hi = p1 - p2 + sqrt ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
}

static void
check_rate (const MsStudyStat *s, gint64 x, gint64 n)
{
  g_assert_cmpint (s->n, ==, n);
  g_assert_cmpint (s->successes, ==, x);
  double lo, hi;
  wilson (x, n, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (s->value.estimate, (double) x / n, 1e-12);
  g_assert_cmpfloat_with_epsilon (s->value.lower, lo, 1e-9);
  g_assert_cmpfloat_with_epsilon (s->value.upper, hi, 1e-9);
}

static void
check_diff (const MsInterval *d, gint64 x1, gint64 n1, gint64 x2, gint64 n2)
{
  double lo, hi;
  newcombe (x1, n1, x2, n2, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (d->estimate, (double) x1 / n1 - (double) x2 / n2, 1e-12);
  g_assert_cmpfloat_with_epsilon (d->lower, lo, 1e-9);
  g_assert_cmpfloat_with_epsilon (d->upper, hi, 1e-9);
}

/* ---- The table ------------------------------------------------------------------------------ */

static MsStudyTable *
open_table (const char *study, const char *reference, GError **error)
{
  g_autoptr (MsStore) s = ms_store_open_full (store_path, MS_STORE_OPEN_READ_ONLY, error);
  g_assert_nonnull (s);
  MsStudyTableOptions opt;
  ms_study_table_options_init (&opt);
  opt.reference_task = reference;
  return ms_study_table_new (s, study, &opt, error);
}

static void
test_table (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStudyTable) t = open_table ("toy", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->n_tasks, ==, 3);
  g_assert_cmpint (t->n_runs, ==, 7);
  g_assert_cmpint (t->n_finished, ==, 6);
  g_assert_true (t->pooled_seeds);
  g_assert_cmpint (ms_study_table_default_probe (t), ==, 1);  /* loss on responses only */
  int A = ms_study_table_find_task (t, "summ"), B = ms_study_table_find_task (t, "qa");
  int C = ms_study_table_find_task (t, "sent");
  int single = ms_study_table_find_group (t, "single"), mix = ms_study_table_find_group (t,
                                                                                      "mix/all");
  int base = ms_study_table_find_group (t, "base");
  g_assert_cmpint (t->n_groups, ==, 3);
  g_assert_true (single >= 0 && mix >= 0 && base >= 0);
  g_assert_cmpint (t->groups[single].n_runs, ==, 4);  /* the unfinished run is left out */
  const int TG = 1, IN = 0;

  /* Eligibility: distinct samples with a generation. */
  g_assert_cmpint (t->tasks[A].eligible[TG][MS_SPLIT_TRAIN], ==, 100);
  g_assert_cmpint (t->tasks[A].eligible[IN][MS_SPLIT_HELDOUT], ==, 100);
  g_assert_cmpint (t->tasks[B].eligible[IN][MS_SPLIT_TRAIN], ==, 60);
  g_assert_cmpint (t->tasks[B].eligible[IN][MS_SPLIT_HELDOUT], ==, 50);
  g_assert_cmpint (t->tasks[C].eligible[IN][MS_SPLIT_TRAIN], ==, 0);
  g_assert_cmpint (t->tasks[C].n_samples[MS_SPLIT_TRAIN], ==, 100);

  /* Task A, exact, target probe: 30/100 train, 5/100 held-out, base 2/100, mixture 15/100. */
  const MsStudyRow *r = ms_study_table_row (t, A, single, TG, MS_MEASURE_EXACT);
  check_rate (&r->train, 30, 100);
  check_rate (&r->heldout, 5, 100);
  check_rate (&r->base, 2, 100);
  check_diff (&r->minus_heldout, 30, 100, 5, 100);
  check_diff (&r->minus_base, 30, 100, 2, 100);
  g_assert_true (isnan (r->minus_single.estimate));
  const MsStudyRow *rm = ms_study_table_row (t, A, mix, TG, MS_MEASURE_EXACT);
  check_rate (&rm->train, 15, 100);
  check_rate (&rm->heldout, 4, 100);
  check_diff (&rm->minus_single, 15, 100, 30, 100);
  g_assert_cmpfloat (rm->minus_single.upper, <, 0);  /* hand-worked: about -0.035 */
  check_diff (&rm->minus_base, 15, 100, 2, 100);
  const MsStudyRow *rb = ms_study_table_row (t, A, base, TG, MS_MEASURE_EXACT);
  check_rate (&rb->train, 2, 100);
  check_diff (&rb->minus_heldout, 2, 100, 1, 100);
  g_assert_true (isnan (rb->minus_base.estimate));

  /* 'any' = verbatim [0,40) ∪ paraphrase [35,50) ∪ idea [45,55): 55 samples. */
  check_rate (&ms_study_table_row (t, A, single, TG, MS_MEASURE_ANY)->train, 55, 100);
  check_rate (&ms_study_table_row (t, A, single, TG, MS_MEASURE_VERBATIM)->train, 40, 100);
  check_rate (&ms_study_table_row (t, A, single, TG, MS_MEASURE_PARAPHRASE)->train, 15, 100);
  check_rate (&ms_study_table_row (t, A, single, TG, MS_MEASURE_IDEA)->train, 10, 100);

  /* Two seeds of qa pooled: 2 × 20/100. */
  r = ms_study_table_row (t, B, single, TG, MS_MEASURE_EXACT);
  check_rate (&r->train, 40, 200);
  check_rate (&r->heldout, 6, 200);
  check_rate (&r->base, 1, 100);
  check_diff (&r->minus_base, 40, 200, 1, 100);

  /* Nothing eligible: n = 0 and NaN, never a rate of 0. */
  r = ms_study_table_row (t, C, single, IN, MS_MEASURE_EXACT);
  g_assert_cmpint (r->train.n, ==, 0);
  g_assert_true (isnan (r->train.value.estimate));
  g_assert_true (isnan (r->minus_heldout.estimate));
  check_rate (&ms_study_table_row (t, A, single, IN, MS_MEASURE_EXACT)->train, 10, 100);
  check_rate (&ms_study_table_row (t, B, single, IN, MS_MEASURE_EXACT)->train, 0, 120);

  /* Token match, a mean: (i % 10) / 10 has mean 0.45 and sample variance 0.0825 · 100/99. */
  r = ms_study_table_row (t, A, single, TG, MS_MEASURE_TOKEN_MATCH);
  g_assert_cmpint (r->train.successes, ==, -1);
  double half = T99 * sqrt (0.0825 * 100.0 / 99.0 / 100.0);
  g_assert_cmpfloat_with_epsilon (r->train.value.estimate, 0.45, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->train.value.lower, 0.45 - half, 1e-9);
  g_assert_cmpfloat_with_epsilon (r->train.value.upper, 0.45 + half, 1e-9);
  /* Held-out: 5 exact (1.0), the rest 0.2 (i % 5) / 4; the bootstrap difference is close to
   * the normal (Welch) interval. */
  double hs = 0, hss = 0;
  for (int i = 0; i < N; i++)
    {
      double v = default_tm (i < 5, i);
      hs += v;
      hss += v * v;
    }
  double hm = hs / N, hv = (hss - N * hm * hm) / (N - 1);
  double se = sqrt (0.0825 * 100.0 / 99.0 / N + hv / N);
  g_assert_cmpfloat_with_epsilon (r->minus_heldout.estimate, 0.45 - hm, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->minus_heldout.lower, 0.45 - hm - Z95 * se, 0.012);
  g_assert_cmpfloat_with_epsilon (r->minus_heldout.upper, 0.45 - hm + Z95 * se, 0.012);

  /* Lengths: qa is the reference? No: sent has the lowest 'any' rate (2%), and its outputs (3
   * tokens) share no bin with summ's (10, 200) or qa's: not comparable. */
  g_assert_cmpint (t->reference[TG], ==, C);
  const MsStudyMatch *m = ms_study_table_match (t, TG, MS_MEASURE_EXACT, A);
  g_assert_cmpint (m->status, ==, MS_MATCH_NO_OVERLAP);
  g_assert_cmpint (ms_study_table_match (t, TG, MS_MEASURE_EXACT, C)->status, ==,
                   MS_MATCH_REFERENCE);
  /* Bins of summ: [8, 15] holds 6/40, [128, 255] holds 24/60. */
  int found = 0;
  for (guint i = 0; i < t->bins->len; i++)
    {
      const MsStudyBin *b = &g_array_index (t->bins, MsStudyBin, i);
      if (b->task != A || b->probe != TG || b->measure != MS_MEASURE_EXACT)
        continue;
      if (b->lo == 8 && b->hi == 15)
        check_rate (&b->stat, 6, 40), found++;
      else if (b->lo == 128 && b->hi == 255)
        check_rate (&b->stat, 24, 60), found++;
      else
        g_assert_not_reached ();
    }
  g_assert_cmpint (found, ==, 2);
}

static void
test_length_matched (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStudyTable) t = open_table ("toy", "qa", &error);
  g_assert_no_error (error);
  int A = ms_study_table_find_task (t, "summ"), B = ms_study_table_find_task (t, "qa");
  g_assert_cmpint (t->reference[1], ==, B);
  const MsStudyMatch *m = ms_study_table_match (t, 1, MS_MEASURE_EXACT, A);
  g_assert_cmpint (m->status, ==, MS_MATCH_OK);
  /* Raw: 30/100 against 40/200 pooled; matched: qa reweighted to summ's 60/40 split of
   * lengths, 0.6 · 0.4 + 0.4 · 0.15 = 0.30, the same as summ: the gap was all length. */
  check_diff (&m->raw_diff, 30, 100, 40, 200);
  g_assert_cmpint (m->matched.n_bins, ==, 2);
  g_assert_cmpint (m->matched.n_a, ==, 100);
  g_assert_cmpint (m->matched.n_b, ==, 200);
  g_assert_cmpfloat_with_epsilon (m->matched.rate_a, 0.30, 1e-12);
  g_assert_cmpfloat_with_epsilon (m->matched.rate_b, 0.30, 1e-12);
  g_assert_cmpfloat_with_epsilon (m->matched.diff.estimate, 0, 1e-12);
  g_assert_cmpfloat (m->matched.diff.lower, <, 0);
  g_assert_cmpfloat (m->matched.diff.upper, >, 0);
  /* sent against qa: no length in common. */
  g_assert_cmpint (ms_study_table_match (t, 1, MS_MEASURE_EXACT,
                                         ms_study_table_find_task (t, "sent"))->status, ==,
                   MS_MATCH_NO_OVERLAP);

  g_autoptr (MsStudyTable) bad = open_table ("toy", "nosuchtask", &error);
  g_assert_null (bad);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "nosuchtask"));
}

/* The chart structs carry the table's numbers. */
static void
test_figures (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStudyTable) t = open_table ("toy", "qa", &error);
  g_assert_no_error (error);
  int A = ms_study_table_find_task (t, "summ"), C = ms_study_table_find_task (t, "sent");

  g_autoptr (MsFigure) main_fig = ms_figure_main (t, 1);
  g_assert_cmpint (main_fig->kind, ==, MS_PLOT_PANELS);
  g_assert_cmpstr (main_fig->id, ==, "main-target");
  const MsPanelFigure *pf = main_fig->chart;
  g_assert_cmpint (pf->n_panels, ==, 6);
  const MsBarChart *exact = pf->panels[0].chart;   /* exact extraction */
  g_assert_cmpint (exact->n_categories, ==, 3);
  g_assert_cmpint (exact->n_series, ==, 3);          /* single, mixture, base */
  g_assert_cmpfloat_with_epsilon (exact->series[0].values[A], 0.30, 1e-12);
  g_assert_cmpfloat_with_epsilon (exact->series[1].values[A], 0.15, 1e-12);
  g_assert_cmpfloat_with_epsilon (exact->series[2].values[A], 0.02, 1e-12);
  g_assert_true (exact->series[2].control);
  g_assert_false (exact->series[0].control);
  g_assert_cmpstr (exact->annotations[A], ==, "n=100");
  /* The input probe: nothing eligible for sent, so no bar (NaN) and n=0. */
  g_autoptr (MsFigure) main_in = ms_figure_main (t, 0);
  const MsBarChart *ex_in = ((const MsPanelFigure *) main_in->chart)->panels[0].chart;
  g_assert_true (isnan (ex_in->series[0].values[C]));
  g_assert_cmpstr (ex_in->annotations[C], ==, "n=0");

  g_autoptr (MsFigure) corr = ms_figure_corrected (t, 1);
  const MsPanelFigure *cf = corr->chart;
  const MsBarChart *c0 = cf->panels[0].chart, *c1 = cf->panels[1].chart;
  const MsStudyRow *r = ms_study_table_row (t, A, ms_study_table_find_group (t, "single"), 1,
                                            MS_MEASURE_EXACT);
  g_assert_cmpfloat (c0->series[0].values[A], ==, r->minus_heldout.estimate);
  g_assert_cmpfloat (c0->series[0].upper[A], ==, r->minus_heldout.upper);
  g_assert_cmpfloat (c1->series[0].lower[A], ==, r->minus_base.lower);
  g_assert_cmpint (c1->n_series, ==, 2);             /* no base series against itself */
  g_assert_true (c0->has_reference && c0->reference == 0);

  /* Length view against qa: summ's matched difference is 0, sent has no overlap. */
  g_autoptr (MsFigure) len = ms_figure_length (t, 1, MS_MEASURE_EXACT);
  const MsBarChart *right = ((const MsPanelFigure *) len->chart)->panels[1].chart;
  g_assert_cmpint (right->n_categories, ==, 2);
  g_assert_cmpstr (right->categories[0], ==, "summ");
  g_assert_cmpfloat_with_epsilon (right->series[1].values[0], 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (right->series[0].values[0], 0.30 - 0.20, 1e-12);
  g_assert_true (isnan (right->series[1].values[1]));
  g_assert_cmpstr (right->annotations[1], ==, "no overlap");
  const MsBarChart *left = ((const MsPanelFigure *) len->chart)->panels[0].chart;
  g_assert_cmpint (left->n_categories, ==, 3);       /* bins 2–3, 8–15, 128–255 */
  g_assert_cmpstr (left->categories[0], ==, "2–3");
  g_assert_cmpfloat_with_epsilon (left->series[A].values[2], 0.4, 1e-12);

  g_autoptr (MsFigure) dist = ms_figure_distribution (t, 1);
  const MsDistChart *d0 = ((const MsPanelFigure *) dist->chart)->panels[0].chart;
  g_assert_cmpint (d0->n_groups, ==, 6);             /* 3 tasks × train, held-out */
  g_assert_cmpint (d0->groups[2].n, ==, 200);        /* qa · train, two seeds pooled */

  /* Loss curves: the training curve (50 steps) and summ's evaluation (5 points). */
  g_autoptr (MsStore) s = ms_store_open_full (store_path, MS_STORE_OPEN_READ_ONLY, &error);
  g_autoptr (MsStoreRun) run = ms_store_find_run (s, t->study->id, "single/summ/s1", &error);
  g_assert_nonnull (run);
  g_autoptr (MsFigure) cv = ms_figure_curves (s, run->id, &error);
  g_assert_no_error (error);
  const MsLineChart *lc = cv->chart;
  g_assert_cmpint (lc->n_series, ==, 2);
  g_assert_cmpint (lc->series[0].n, ==, 50);
  g_assert_cmpfloat_with_epsilon (lc->series[0].y[0], 1 + 3 * exp (-1 / 15.0), 1e-12);
  g_assert_cmpint (lc->series[1].n, ==, 5);
  g_assert_true (lc->series[1].dashed);
  g_assert_null (ms_figure_curves (s, 999999, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStudyTable) none = open_table ("nope", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "'nope'"));
  g_clear_error (&error);

  g_autoptr (MsStudyTable) t = open_table ("empty", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->n_finished, ==, 0);
  g_assert_true (isnan (ms_study_table_row (t, 0, 0, 0, MS_MEASURE_EXACT)->train.value.estimate));
  /* Charts of an empty table build (and show "No data"). */
  g_autoptr (MsFigure) f = ms_figure_main (t, 0);
  g_assert_nonnull (f->chart);
  g_autoptr (MsStore) s = ms_store_open_full (store_path, MS_STORE_OPEN_READ_ONLY, &error);
  MsReportOptions opt;
  ms_report_options_init (&opt);
  g_autofree char *dir = g_build_filename (ms_test_tmpdir (), "empty-report", NULL);
  opt.out_dir = dir;
  g_assert_false (ms_report_write (s, t, &opt, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no finished runs"));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* ---- The report folder ---------------------------------------------------------------------- */

static char *report_dir;

static gboolean
has_magic (const char *path, const char *magic, gsize n, gsize at_most)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  if (at_most == 0)
    return len >= n && memcmp (data, magic, n) == 0;
  return g_strstr_len (data, MIN (len, at_most), magic) != NULL;
}

static JsonObject *
find_row (JsonArray *rows, const char *task, const char *group, const char *probe,
          const char *measure)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *o = json_array_get_object_element (rows, i);
      if (strcmp (json_object_get_string_member (o, "task"), task) == 0
          && strcmp (json_object_get_string_member (o, "group"), group) == 0
          && strcmp (json_object_get_string_member (o, "probe"), probe) == 0
          && strcmp (json_object_get_string_member (o, "measure"), measure) == 0)
        return o;
    }
  return NULL;
}

static void
test_report (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStudyTable) t = open_table ("toy", NULL, &error);
  g_autoptr (MsStore) s = ms_store_open_full (store_path, MS_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  MsReportOptions opt;
  ms_report_options_init (&opt);
  report_dir = g_build_filename (ms_test_tmpdir (), "report", NULL);
  opt.out_dir = report_dir;
  g_autofree char *html_path = NULL;
  g_assert_true (ms_report_write (s, t, &opt, &html_path, &error));
  g_assert_no_error (error);
  g_autofree char *want_html = g_build_filename (report_dir, "report.html", NULL);
  g_assert_cmpstr (html_path, ==, want_html);

  /* Every figure in three formats (the default probe is target here). */
  const char *figs[] = { "main-target", "corrected-target", "length-target",
                         "distribution-target", "curves-single_summ_s1" };
  for (guint i = 0; i < G_N_ELEMENTS (figs); i++)
    {
      g_autofree char *png = g_strdup_printf ("%s/figures/%s.png", report_dir, figs[i]);
      g_autofree char *svg = g_strdup_printf ("%s/figures/%s.svg", report_dir, figs[i]);
      g_autofree char *pdf = g_strdup_printf ("%s/figures/%s.pdf", report_dir, figs[i]);
      g_assert_true (has_magic (png, "\x89PNG\r\n\x1a\n", 8, 0));
      g_assert_true (has_magic (svg, "<svg", 4, 400));
      g_assert_true (has_magic (pdf, "%PDF-", 5, 0));
    }

  /* The texts name every task and the eligibility counts. */
  g_autofree char *md = NULL, *html = NULL;
  g_autofree char *md_path = g_build_filename (report_dir, "report.md", NULL);
  g_assert_true (g_file_get_contents (md_path, &md, NULL, NULL));
  g_assert_true (g_file_get_contents (html_path, &html, NULL, NULL));
  const char *texts[2] = { md, html };
  for (int i = 0; i < 2; i++)
    {
      const char *x = texts[i];
      for (int k = 0; k < 3; k++)
        g_assert_nonnull (strstr (x, task_names[k]));
      g_assert_nonnull (strstr (x, "60 / 50"));    /* qa, input probe */
      g_assert_nonnull (strstr (x, "100 / 100"));
      g_assert_nonnull (strstr (x, "0 / 0"));      /* sent, input probe */
      g_assert_nonnull (strstr (x, "sent: 0 eligible training or held-out samples for the input probe"));
      g_assert_nonnull (strstr (x, "30.0% [21.9, 39.6]"));  /* summ, exact */
      g_assert_nonnull (strstr (x, "clearly lower for summ"));   /* mixture − single */
      g_assert_nonnull (strstr (x, "memorizes clearly the most"));
      g_assert_nonnull (strstr (x, "not comparable"));
    }
  g_assert_nonnull (strstr (md, "](figures/main-target.png)"));
  g_assert_nonnull (strstr (html, "<img src=\"figures/main-target.svg\""));
  g_assert_nonnull (strstr (html, "prefers-color-scheme: dark"));

  /* results.json parses and agrees with the table. */
  g_autofree char *json_path = g_build_filename (report_dir, "results.json", NULL);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_file (p, json_path, &error));
  JsonObject *root = json_node_get_object (json_parser_get_root (p));
  g_assert_cmpstr (json_object_get_string_member (root, "study"), ==, "toy");
  JsonArray *rows = json_object_get_array_member (root, "rows");
  JsonObject *o = find_row (rows, "summ", "single", "target", "exact");
  g_assert_nonnull (o);
  JsonObject *tr = json_object_get_object_member (o, "train");
  const MsStudyRow *r = ms_study_table_row (t, 0, ms_study_table_find_group (t, "single"), 1,
                                            MS_MEASURE_EXACT);
  g_assert_cmpint (json_object_get_int_member (tr, "n"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (tr, "successes"), ==, 30);
  g_assert_cmpfloat (json_object_get_double_member (tr, "lower"), ==, r->train.value.lower);
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (o, "minus_heldout"), "upper"), ==,
                     r->minus_heldout.upper);
  /* Undefined is null, not 0; a mixture that covers a task has a row. */
  o = find_row (rows, "sent", "single", "input", "exact");
  g_assert_true (json_object_get_null_member (json_object_get_object_member (o, "train"),
                                              "estimate"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "train"), "n"),
                   ==, 0);
  g_assert_nonnull (find_row (rows, "qa", "mix/all", "target", "any"));
  JsonObject *tasks0 = json_array_get_object_element (json_object_get_array_member (root,
                                                                                     "tasks"), 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                     json_object_get_object_member (tasks0, "eligible"), "input"), "train"),
                   ==, 60);
}

/* ---- The command ------------------------------------------------------------------------------ */

static int
run_cli (const char *const *args, char **out, char **err)
{
  const char *build = g_getenv ("MS_BUILD_ROOT");
  if (build == NULL)
    {
      g_test_skip ("MS_BUILD_ROOT is not set");
      return -1;
    }
  g_autofree char *exe = g_build_filename (build, "cli", "memscope", NULL);
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, exe);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
  g_ptr_array_unref (argv);
  return g_spawn_check_wait_status (status, NULL) ? 0 : WEXITSTATUS (status);
}

static void
test_cli (void)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *json_args[] = { "report", "toy", "--store", store_path, "--json", NULL };
  if (run_cli (json_args, &out, &err) < 0)
    return;
  g_autofree char *json_path = g_build_filename (report_dir, "results.json", NULL);
  g_autofree char *want = NULL;
  g_assert_true (g_file_get_contents (json_path, &want, NULL, NULL));
  g_autofree char *with_nl = g_strconcat (want, "\n", NULL);
  g_assert_cmpstr (out, ==, with_nl);

  g_free (out), g_free (err);
  g_autofree char *dir = g_build_filename (ms_test_tmpdir (), "cli-report", NULL);
  const char *args[] = { "report", "toy", "--store", store_path, "--out", dir, "--probe",
                         "input", NULL };
  g_assert_cmpint (run_cli (args, &out, &err), ==, 0);
  g_autofree char *html = g_build_filename (dir, "report.html", NULL);
  g_autofree char *last = g_strdup_printf ("%s\n", html);
  g_assert_true (g_str_has_suffix (out, last));
  g_autofree char *fig = g_build_filename (dir, "figures", "main-input.pdf", NULL);
  g_assert_true (has_magic (fig, "%PDF-", 5, 0));

  g_free (out), g_free (err);
  const char *unknown[] = { "report", "nope", "--store", store_path, "--json", NULL };
  g_assert_cmpint (run_cli (unknown, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "'nope'"));
  g_assert_nonnull (strstr (err, "toy"));  /* lists the studies there are */

  g_free (out), g_free (err);
  g_autofree char *edir = g_build_filename (ms_test_tmpdir (), "cli-empty", NULL);
  const char *empty[] = { "report", "empty", "--store", store_path, "--out", edir, NULL };
  g_assert_cmpint (run_cli (empty, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "no finished runs"));

  g_free (out), g_free (err);
  const char *bad[] = { "report", "toy", "--store", store_path, "--probe", "middle", NULL };
  g_assert_cmpint (run_cli (bad, &out, &err), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  build_store ();
  g_test_add_func ("/report/table", test_table);
  g_test_add_func ("/report/length-matched", test_length_matched);
  g_test_add_func ("/report/figures", test_figures);
  g_test_add_func ("/report/errors", test_errors);
  g_test_add_func ("/report/folder", test_report);
  g_test_add_func ("/report/cli", test_cli);
  int rc = ms_test_run ();
  g_free (store_path);
  g_free (report_dir);
  return rc;
}
