/* The "why" analyses (ms_analysis_table_new: attention entropy and sparse-code density against
 * memorization) against references computed here, independently of ms-stats: average ranks by
 * counting, Pearson by its two-pass definition, Spearman as Pearson on those ranks. A store
 * built here holds five tasks (a, b, c, e with 6 to 12 training samples, d with 3), a base run,
 * single-task runs (b with two seeds) and a mixture, with planted token matches, attention
 * statistics (2 layers × 2 heads) and sparse codes, plus rows the analyses must leave out
 * (held-out samples, the target probe, base and mixture generations, the first layer, the
 * base run's sparse codes and the mixture's codes of a shallower layer, the second seed's
 * generations without attention, and a deeper model's attention in another study). Checked for
 * both measures: n, the per-task means, within-task, pooled and across-task (task means)
 * Spearman and Pearson, that every bootstrap interval holds its estimate, that a task of 3 samples has
 * no within-task coefficient and no point across tasks; and the matrix's entropy × token match
 * cell (pooled and mean within-task Spearman). */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ms-test.h"
#include "study/ms-analysis.h"

#define N_TASKS 5
#define MAX_N 12
#define N_HELDOUT 3
#define TOL 1e-9

/* Per task, per training sample (all values dyadic, so that sums and means over two heads or
 * two seeds are exact): the last layer's prompt entropy averaged over heads (/64), the token
 * match of the input probe under the single-task run's first seed (/32) and under a second
 * seed (b only, /32, no attention recorded: it counts for the sparse codes only), and the
 * mixture's active atoms at the fixed error. */
typedef struct {
  const char *name;
  int n;
  int entropy[MAX_N], tm[MAX_N], tm2[MAX_N], atoms[MAX_N];
  gboolean seed2;
} TaskData;

static const TaskData tasks[N_TASKS] = {
  /* Low entropy, much memorized; strongly negative within, with ties on both sides. */
  { "a", 10, { 19, 22, 26, 26, 32, 35, 38, 42, 45, 51 },
    { 29, 27, 22, 24, 19, 19, 13, 14, 6, 3 }, { 0 },
    { 20, 22, 25, 25, 28, 30, 31, 35, 36, 40 }, FALSE },
  /* Middling, a weak relation; two seeds. */
  { "b", 8, { 32, 35, 38, 42, 45, 48, 51, 54 },
    { 10, 3, 13, 6, 6, 16, 10, 14 }, { 3, 10, 6, 13, 0, 10, 16, 8 },
    { 30, 28, 33, 29, 31, 35, 30, 34 }, TRUE },
  /* High entropy, little memorized. */
  { "c", 12, { 45, 48, 48, 51, 52, 54, 56, 58, 59, 61, 62, 63 },
    { 6, 2, 5, 3, 3, 0, 3, 4, 1, 0, 2, 1 }, { 0 },
    { 40, 42, 41, 45, 44, 47, 46, 48, 50, 49, 52, 51 }, FALSE },
  /* Too few samples for a within-task coefficient, and for its mean to count across tasks
   * (where it would break the order of the others). */
  { "d", 3, { 29, 32, 35 }, { 16, 18, 13 }, { 0 }, { 26, 24, 27 }, FALSE },
  /* Between a and b in entropy, between b and c in memorization. */
  { "e", 6, { 36, 38, 40, 41, 42, 43 }, { 9, 4, 8, 6, 7, 8 }, { 0 },
    { 36, 39, 37, 40, 38, 38 }, FALSE },
};

static double
entropy_of (int k, int i)
{
  return tasks[k].entropy[i] / 64.0;
}

/* Memorization as the attention sees it (the generation with attention: seed 1) and as the
 * sparse codes see it (the mean over the single-task runs' generations). */
static double
tm_of (int k, int i)
{
  return tasks[k].tm[i] / 32.0;
}

static double
memo_of (int k, int i)
{
  return tasks[k].seed2 ? (tasks[k].tm[i] + tasks[k].tm2[i]) / 64.0 : tm_of (k, i);
}

/* ---- The fixture store --------------------------------------------------------------------- */

static char *store_path;

static gint64
add_run (MsStore *s, gint64 study, const char *name, const char *kind, const char *mixture,
         gint64 seed, const char *task_list)
{
  g_autoptr (GError) error = NULL;
  MsStoreRunDef def = { name, kind, mixture, seed, task_list, NULL };
  gint64 id = ms_store_ensure_run (s, study, &def, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ms_store_set_run_status (s, id, MS_RUN_DONE, NULL, &error));
  return id;
}

static gint64
add_gen (MsStore *s, gint64 run, gint64 sample, const char *probe, double tm)
{
  static const gint32 toks[3] = { 11, 12, 13 };
  MsStoreGenerationDef g = {
    .run_id = run, .sample_id = sample, .probe = probe, .prompt_tokens = 8,
    .reference = "the reference", .reference_tokens = toks, .n_reference_tokens = 3,
    .text = "the generation", .tokens = toks, .n_tokens = 3,
    .scores = { .exact = tm == 1.0, .token_match = tm, .lcs_chars = (gint64) (40 * tm),
                .rouge_l = tm, .bleu = tm / 2 },
  };
  g_autoptr (GError) error = NULL;
  gint64 id = ms_store_add_generation (s, &g, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* Attention rows of one generation: layer 1 (the last) has heads LAST ± an offset that varies
 * with the sample, so only their mean is LAST; layer 0 is unrelated to anything. */
static void
add_attention (MsStore *s, gint64 gen, double last, int i)
{
  double off = (1 + i % 3) / 128.0, first = 0.1 + ((i * 7) % 11) / 16.0;
  MsStoreAttention rows[4] = {
    { gen, 0, 0, "prompt", first, 0.5, 0.7, 0.3, 8 },
    { gen, 0, 1, "prompt", 1.0 - first / 2, 0.4, 0.6, 0.35, 8 },
    { gen, 1, 0, "prompt", last + off, 1 - last, 1.1 - last, 0.9 - last, 8 },
    { gen, 1, 1, "prompt", last - off, 1.05 - last, 1.2 - last, 0.8 - last, 8 },
  };
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_store_add_attention (s, rows, G_N_ELEMENTS (rows), &error));
  g_assert_no_error (error);
}

static void
add_sparse_layer (MsStore *s, gint64 run, gint64 sample, int layer, double atoms)
{
  static const gint32 support[] = { 1, 4, 9 };
  MsStoreSparse sp = { run, sample, layer, atoms * 1.5, atoms, 2.0, 0.1, support,
                       G_N_ELEMENTS (support) };
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_store_add_sparse (s, &sp, 1, &error));
  g_assert_no_error (error);
}

static void
add_sparse (MsStore *s, gint64 run, gint64 sample, double atoms)
{
  add_sparse_layer (s, run, sample, 1, atoms);
}

static void
build_store (void)
{
  g_autoptr (GError) error = NULL;
  store_path = g_build_filename (ms_test_tmpdir (), "why.sqlite", NULL);
  g_autoptr (MsStore) s = ms_store_open (store_path, &error);
  g_assert_no_error (error);
  g_assert_true (ms_store_begin (s, &error));
  MsStoreStudyDef sd = { "why", "why.ini", "[study]\nname=why\n", NULL,
                         "{\"finetune\":{\"epochs\":3,\"loss\":\"response\"},"
                         "\"probe\":{\"k\":32,\"n\":32},\"seeds\":[1,2]}" };
  gint64 study = ms_store_upsert_study (s, &sd, &error);
  g_assert_no_error (error);
  gint64 base = add_run (s, study, "base", "base", NULL, 0, "[]");
  gint64 mix = add_run (s, study, "mix/all/s1", "mixture", "all", 1,
                        "[\"a\",\"b\",\"c\",\"d\",\"e\"]");
  for (int k = 0; k < N_TASKS; k++)
    {
      const TaskData *td = &tasks[k];
      MsStoreTaskDef def = { td->name, "t.jsonl", "h.jsonl", "aa", "bb", "{input}", 100, 20 };
      gint64 task = ms_store_upsert_task (s, study, &def, &error);
      g_assert_no_error (error);
      gint64 train[MAX_N], heldout[N_HELDOUT];
      for (int sp = 0; sp < 2; sp++)
        {
          int n = sp ? N_HELDOUT : td->n;
          MsStoreSampleDef defs[MAX_N];
          g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
          for (int i = 0; i < n; i++)
            {
              char *rid = g_strdup_printf ("%s-%d", td->name, i);
              g_ptr_array_add (keep, rid);
              defs[i] = (MsStoreSampleDef) { task, sp ? "heldout" : "train", rid, "an input",
                                             "an output", 300, 20 };
            }
          g_assert_true (ms_store_upsert_samples (s, defs, n, sp ? heldout : train, &error));
          g_assert_no_error (error);
        }
      g_autofree char *run_name = g_strdup_printf ("single/%s/s1", td->name);
      g_autofree char *run_tasks = g_strdup_printf ("[\"%s\"]", td->name);
      gint64 single = add_run (s, study, run_name, "single", NULL, 1, run_tasks);
      gint64 single2 = 0;
      if (td->seed2)
        {
          g_autofree char *name2 = g_strdup_printf ("single/%s/s2", td->name);
          single2 = add_run (s, study, name2, "single", NULL, 2, run_tasks);
        }
      for (int i = 0; i < td->n; i++)
        {
          /* What counts: the single-task run's input probe of a training sample. */
          add_attention (s, add_gen (s, single, train[i], "input", tm_of (k, i)),
                         entropy_of (k, i), i);
          if (single2)
            add_gen (s, single2, train[i], "input", td->tm2[i] / 32.0);
          add_sparse (s, mix, train[i], td->atoms[i]);
          /* What must not: the target probe, the base model and the mixture (perfect token
           * matches with extreme entropy), and the base run's sparse codes. */
          add_attention (s, add_gen (s, single, train[i], "target", 1.0), 0.01, i);
          add_attention (s, add_gen (s, base, train[i], "input", 1.0), 0.02, i);
          add_attention (s, add_gen (s, mix, train[i], "input", 1.0), 0.03, i);
          add_sparse (s, base, train[i], 200 - td->atoms[i]);
          /* Nor a shallower layer the mixture also coded: the deepest one counts. */
          add_sparse_layer (s, mix, train[i], 0, 1000 + i);
        }
      /* Held-out samples: probed by the single-task run, with attention and sparse codes. */
      for (int i = 0; i < N_HELDOUT; i++)
        {
          add_attention (s, add_gen (s, single, heldout[i], "input", 1.0), 0.04, i);
          add_sparse (s, mix, heldout[i], 500 + i);
        }
    }
  /* Another study in the same store, of a deeper model: its layers are not this study's. */
  MsStoreStudyDef dd = { "deep", "deep.ini", "[study]\nname=deep\n", NULL, "{}" };
  gint64 deep = ms_store_upsert_study (s, &dd, &error);
  g_assert_no_error (error);
  MsStoreTaskDef dt = { "a", "t.jsonl", NULL, "aa", NULL, "{input}", 1, 0 };
  gint64 deep_task = ms_store_upsert_task (s, deep, &dt, &error), deep_sample;
  g_assert_no_error (error);
  MsStoreSampleDef ds = { deep_task, "train", "a-0", "an input", "an output", 300, 20 };
  g_assert_true (ms_store_upsert_samples (s, &ds, 1, &deep_sample, &error));
  gint64 deep_run = add_run (s, deep, "single/a/s1", "single", NULL, 1, "[\"a\"]");
  MsStoreAttention deep_row = { add_gen (s, deep_run, deep_sample, "input", 0.5), 5, 0,
                                "prompt", 0.5, 0.5, 0.5, 0.5, 8 };
  g_assert_true (ms_store_add_attention (s, &deep_row, 1, &error));
  g_assert_true (ms_store_commit (s, &error));
  g_assert_no_error (error);
}

/* ---- Independent references ---------------------------------------------------------------- */

/* 1-based average ranks: below X[i] are LESS values, EQUAL (itself included) tie with it, so it
 * spans ranks LESS + 1 .. LESS + EQUAL. */
static void
ref_ranks (const double *x, int n, double *r)
{
  for (int i = 0; i < n; i++)
    {
      int less = 0, equal = 0;
      for (int j = 0; j < n; j++)
        {
          if (x[j] < x[i])
            less++;
          else if (x[j] == x[i])
            equal++;
        }
      r[i] = less + (equal + 1) / 2.0;
    }
}

static double
ref_pearson (const double *x, const double *y, int n)
{
  double mx = 0, my = 0;
  for (int i = 0; i < n; i++)
    {
      mx += x[i];
      my += y[i];
    }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; i++)
    {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
  g_assert_cmpfloat (sxx, >, 0);   /* the fixture has no constant side */
  g_assert_cmpfloat (syy, >, 0);
  return sxy / sqrt (sxx * syy);
}

static double
ref_spearman (const double *x, const double *y, int n)
{
  double rx[64], ry[64];
  g_assert_cmpint (n, <=, 64);
  ref_ranks (x, n, rx);
  ref_ranks (y, n, ry);
  return ref_pearson (rx, ry, n);
}

static void
check_interval (const MsInterval *r)
{
  g_assert_cmpfloat (r->lower, <=, r->estimate);
  g_assert_cmpfloat (r->estimate, <=, r->upper);
}

/* A defined coefficient pair against the references on X, Y. */
static void
check_corr (const char *what, const MsWhyCorr *c, const double *x, const double *y, int n)
{
  double rho = ref_spearman (x, y, n), r = ref_pearson (x, y, n);
  g_test_message ("%s: n = %d, Spearman %.6f (want %.6f), Pearson %.6f (want %.6f)", what, n,
                  c->spearman.r.estimate, rho, c->pearson.r.estimate, r);
  g_assert_cmpuint (c->n, ==, n);
  g_assert_true (c->defined);
  g_assert_cmpfloat_with_epsilon (c->spearman.r.estimate, rho, TOL);
  g_assert_cmpfloat_with_epsilon (c->pearson.r.estimate, r, TOL);
  check_interval (&c->spearman.r);
  check_interval (&c->pearson.r);
}

/* ---- The analyses -------------------------------------------------------------------------- */

static MsStore *store;
static MsStudyTable *table;
static MsAnalysisTable *analysis;

static void
open_analysis (void)
{
  g_autoptr (GError) error = NULL;
  store = ms_store_open_full (store_path, MS_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  MsStudyTableOptions opt;
  ms_study_table_options_init (&opt);
  table = ms_study_table_new (store, "why", &opt, &error);
  g_assert_no_error (error);
  g_assert_cmpint (table->n_tasks, ==, N_TASKS);
  analysis = ms_analysis_table_new (store, table, 0 /* input probe */, &error);
  g_assert_no_error (error);
  g_assert_nonnull (analysis);
  g_assert_cmpint (analysis->probe, ==, 0);
}

/* W against the references, the per-sample measure being VALUE (k, i) and memorization MEMO. */
static void
check_why (const char *what, const MsWhy *w, double (*value) (int, int),
           double (*memo) (int, int))
{
  g_assert_nonnull (w);
  double px[N_TASKS * MAX_N], py[N_TASKS * MAX_N], mx[N_TASKS], my[N_TASKS];
  int pooled = 0, n_means = 0;
  for (int k = 0; k < N_TASKS; k++)
    {
      const TaskData *td = &tasks[k];
      int t = ms_study_table_find_task (table, td->name);
      g_assert_cmpint (t, >=, 0);
      double x[MAX_N], y[MAX_N], sx = 0, sy = 0;
      for (int i = 0; i < td->n; i++)
        {
          x[i] = px[pooled] = value (k, i);
          y[i] = py[pooled++] = memo (k, i);
          sx += x[i];
          sy += y[i];
        }
      g_assert_cmpuint (w->tasks[t].n, ==, td->n);
      g_assert_cmpfloat_with_epsilon (w->tasks[t].measure, sx / td->n, 1e-12);
      g_assert_cmpfloat_with_epsilon (w->tasks[t].memorization, sy / td->n, 1e-12);
      if (td->n >= 5)
        {
          mx[n_means] = sx / td->n;
          my[n_means++] = sy / td->n;
        }
      g_autofree char *label = g_strdup_printf ("%s, within %s", what, td->name);
      if (td->n >= 5)
        check_corr (label, &w->within[t], x, y, td->n);
      else
        {
          g_assert_cmpuint (w->within[t].n, ==, td->n);
          g_assert_false (w->within[t].defined);
        }
    }
  g_assert_cmpuint (w->n, ==, pooled);
  g_autofree char *pooled_label = g_strdup_printf ("%s, pooled", what);
  check_corr (pooled_label, &w->pooled, px, py, pooled);
  /* Across tasks: the means of the tasks with at least 5 samples (not d). */
  g_assert_cmpint (n_means, ==, N_TASKS - 1);
  g_autofree char *across_label = g_strdup_printf ("%s, across tasks", what);
  check_corr (across_label, &w->across, mx, my, n_means);
}

static double
atoms_of (int k, int i)
{
  return tasks[k].atoms[i];
}

static void
test_attention (void)
{
  const MsWhy *w = analysis->attention;
  check_why ("attention", w, entropy_of, tm_of);
  g_assert_cmpint (analysis->n_layers, ==, 2);
  g_assert_cmpint (analysis->n_heads, ==, 2);
  /* The planted relation itself, so that a fixture change cannot make the checks vacuous:
   * across tasks the ranks of the means give rho = -0.8, and Pearson is not 0. */
  g_assert_cmpfloat_with_epsilon (w->across.spearman.r.estimate, -0.8, TOL);
  g_assert_cmpfloat (w->across.pearson.r.estimate, <, -0.5);
}

static void
test_sparse (void)
{
  g_assert_cmpstr (analysis->sparse_run, ==, "mix/all/s1");
  const MsWhy *w = analysis->sparse;
  check_why ("sparse", w, atoms_of, memo_of);
  g_assert_cmpfloat (w->across.pearson.r.estimate, <, -0.5);
}

/* The matrix's entropy × token match cell: the same pairs as the attention's. */
static void
test_matrix (void)
{
  const MsWhyMatrix *m = analysis->matrix;
  g_assert_nonnull (m);
  double px[N_TASKS * MAX_N], py[N_TASKS * MAX_N], within = 0;
  int pooled = 0, defined = 0;
  for (int k = 0; k < N_TASKS; k++)
    {
      double x[MAX_N], y[MAX_N];
      for (int i = 0; i < tasks[k].n; i++)
        {
          x[i] = px[pooled] = entropy_of (k, i);
          y[i] = py[pooled++] = tm_of (k, i);
        }
      if (tasks[k].n >= 5)
        {
          within += ref_spearman (x, y, tasks[k].n);
          defined++;
        }
    }
  const MsWhyCorr *c = &m->pooled[0][0];
  g_assert_cmpstr (ms_why_stat_name (0), ==, "entropy");
  g_assert_cmpstr (ms_why_score_name (0), ==, "token_match");
  g_assert_true (c->defined);
  g_assert_cmpuint (c->n, ==, pooled);
  g_assert_cmpfloat_with_epsilon (c->spearman.r.estimate, ref_spearman (px, py, pooled), TOL);
  g_assert_cmpfloat_with_epsilon (c->spearman.r.estimate,
                                  analysis->attention->pooled.spearman.r.estimate, TOL);
  g_assert_cmpfloat_with_epsilon (m->within_mean[0][0], within / defined, TOL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  build_store ();
  open_analysis ();
  g_test_add_func ("/analysis-why/attention", test_attention);
  g_test_add_func ("/analysis-why/sparse", test_sparse);
  g_test_add_func ("/analysis-why/matrix", test_matrix);
  int rc = ms_test_run ();
  ms_analysis_table_free (analysis);
  ms_study_table_free (table);
  ms_store_close (store);
  g_free (store_path);
  return rc;
}
