/* Membership inference and canary exposure of a study, from the store, and their charts. */
#include "ms-analysis.h"
#include "common/ms-json.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "analysis/ms-stats.h"
#include "ms-figures-private.h"
#include "probe/ms-mia.h"

static void
mia_result_clear (gpointer p)
{
  MsMiaResult *r = p;
  g_free (r->fpr);
  g_free (r->tpr);
}

void
ms_analysis_table_free (MsAnalysisTable *a)
{
  if (a == NULL)
    return;
  g_clear_pointer (&a->mia, g_array_unref);
  g_clear_pointer (&a->canaries, g_array_unref);
  g_free (a->canary_task);
  ms_why_free (a->attention);
  ms_why_free (a->sparse);
  g_free (a->head_rho);
  g_free (a->matrix);
  g_free (a->sparse_run);
  g_free (a);
}

static int
run_index (const MsStudyTable *t, gint64 id)
{
  for (guint i = 0; i < t->runs->len; i++)
    if (((MsStoreRun *) t->runs->pdata[i])->id == id)
      return i;
  return -1;
}

static int
task_index (const MsStudyTable *t, gint64 id)
{
  for (int k = 0; k < t->n_tasks; k++)
    if (t->tasks[k].id == id)
      return k;
  return -1;
}

static double
cell (const MsStoreTable *q, guint row, guint col)
{
  const char *c = q->cells[row * q->n_columns + col];
  return c ? g_ascii_strtod (c, NULL) : NAN;
}

typedef struct {
  int run, task;
  GArray *scores[MS_MIA_N];   /* double */
  GArray *member;             /* gboolean */
} Group;

/* AUC of a stratified bootstrap resample: members and non-members resampled apart. */
static void
auc_interval (const double *s, const gboolean *pos, gsize n, double *lo, double *hi)
{
  const int B = 300;
  g_autofree double *aucs = g_new (double, B);
  g_autofree double *rs = g_new (double, n);
  g_autofree gboolean *rp = g_new (gboolean, n);
  g_autofree gsize *pi = g_new (gsize, n), *ni = g_new (gsize, n);
  gsize np = 0, nn = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (pos[i])
        pi[np++] = i;
      else
        ni[nn++] = i;
    }
  MsRng rng;
  ms_rng_init (&rng, 12345);
  int got = 0;
  for (int b = 0; b < B; b++)
    {
      for (gsize i = 0; i < np; i++)
        rs[i] = s[pi[ms_rng_below (&rng, np)]], rp[i] = TRUE;
      for (gsize i = 0; i < nn; i++)
        rs[np + i] = s[ni[ms_rng_below (&rng, nn)]], rp[np + i] = FALSE;
      g_autoptr (MsRoc) roc = ms_stats_roc (rs, rp, n, NULL);
      if (roc)
        aucs[got++] = roc->auc;
    }
  if (got < 10)
    {
      *lo = *hi = NAN;
      return;
    }
  /* Percentile interval. */
  for (int i = 1; i < got; i++)
    for (int j = i; j > 0 && aucs[j - 1] > aucs[j]; j--)
      {
        double tmp = aucs[j];
        aucs[j] = aucs[j - 1];
        aucs[j - 1] = tmp;
      }
  *lo = aucs[(int) floor (0.025 * (got - 1))];
  *hi = aucs[(int) ceil (0.975 * (got - 1))];
}

static gboolean
load_mia (MsAnalysisTable *a, MsStore *store, GError **error)
{
  const MsStudyTable *t = a->table;
  g_autofree char *sql = g_strdup_printf (
    "SELECT m.run_id, s.task_id, s.split = 'train', s.id, m.loss, m.min_k, m.zlib_ratio, "
    "r.kind = 'base' FROM mia m JOIN samples s ON s.id = m.sample_id JOIN runs r "
    "ON r.id = m.run_id WHERE r.study_id = %" G_GINT64_FORMAT " AND r.status = 'done' "
    "ORDER BY m.run_id, s.task_id, s.id", t->study->id);
  g_autoptr (MsStoreTable) q = ms_store_query (store, sql, error);
  if (q == NULL)
    return FALSE;
  /* The base model's loss of each sample: the reference of the ratio. */
  g_autoptr (GHashTable) base = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       g_free);
  for (guint i = 0; i < q->n_rows; i++)
    if (cell (q, i, 7) == 1)
      {
        gint64 *k = g_new (gint64, 1);
        double *v = g_new (double, 1);
        *k = (gint64) cell (q, i, 3);
        *v = cell (q, i, 4);
        g_hash_table_insert (base, k, v);
      }
  g_autoptr (GArray) groups = g_array_new (FALSE, TRUE, sizeof (Group));
  for (guint i = 0; i < q->n_rows; i++)
    {
      int run = run_index (t, (gint64) cell (q, i, 0)), task = task_index (t, (gint64) cell (q, i, 1));
      if (run < 0 || task < 0)
        continue;
      Group *g = groups->len ? &g_array_index (groups, Group, groups->len - 1) : NULL;
      if (g == NULL || g->run != run || g->task != task)
        {
          Group ng = { run, task };
          for (int sgn = 0; sgn < MS_MIA_N; sgn++)
            ng.scores[sgn] = g_array_new (FALSE, FALSE, sizeof (double));
          ng.member = g_array_new (FALSE, FALSE, sizeof (gboolean));
          g_array_append_val (groups, ng);
          g = &g_array_index (groups, Group, groups->len - 1);
        }
      gint64 sample = (gint64) cell (q, i, 3);
      MsMiaScores m = { cell (q, i, 4), cell (q, i, 5), cell (q, i, 6), 1 };
      const double *bl = g_hash_table_lookup (base, &sample);
      MsMiaScores b = { bl ? *bl : NAN, 0, 0, 1 };
      gboolean member = cell (q, i, 2) == 1;
      for (int sgn = 0; sgn < MS_MIA_N; sgn++)
        {
          double v = ms_mia_signal (sgn, &m, &b);
          g_array_append_val (g->scores[sgn], v);
        }
      g_array_append_val (g->member, member);
    }
  for (guint gi = 0; gi < groups->len; gi++)
    {
      Group *g = &g_array_index (groups, Group, gi);
      for (int sgn = 0; sgn < MS_MIA_N; sgn++)
        {
          /* Samples with an undefined signal (no base loss, no tokens) are left out. */
          g_autoptr (GArray) sv = g_array_new (FALSE, FALSE, sizeof (double));
          g_autoptr (GArray) pv = g_array_new (FALSE, FALSE, sizeof (gboolean));
          for (guint i = 0; i < g->member->len; i++)
            {
              double v = g_array_index (g->scores[sgn], double, i);
              if (isfinite (v))
                {
                  g_array_append_val (sv, v);
                  g_array_append_val (pv, g_array_index (g->member, gboolean, i));
                }
            }
          g_autoptr (MsRoc) roc = ms_stats_roc ((double *) sv->data, (gboolean *) pv->data,
                                                sv->len, NULL);
          if (roc == NULL)
            continue;  /* one class empty: no AUC */
          MsMiaResult r = { g->run, g->task, sgn, roc->auc, NAN, NAN,
                            ms_roc_tpr_at_fpr (roc, 0.01), roc->n_pos, roc->n_neg,
                            g_memdup2 (roc->fpr, roc->n_points * sizeof (double)),
                            g_memdup2 (roc->tpr, roc->n_points * sizeof (double)),
                            roc->n_points };
          auc_interval ((double *) sv->data, (gboolean *) pv->data, sv->len, &r.auc_lower,
                        &r.auc_upper);
          g_array_append_val (a->mia, r);
        }
      for (int sgn = 0; sgn < MS_MIA_N; sgn++)
        g_array_unref (g->scores[sgn]);
      g_array_unref (g->member);
    }
  return TRUE;
}

static gboolean
load_canaries (MsAnalysisTable *a, MsStore *store, GError **error)
{
  const MsStudyTable *t = a->table;
  g_autofree char *sql = g_strdup_printf (
    "SELECT c.run_id, c.repeats, avg(c.exposure), min(c.exposure), max(c.exposure), "
    "avg(c.exposure_normal), max(c.space), max(c.candidates), count(*), "
    "(SELECT name FROM tasks WHERE id = c.task_id) FROM canaries c JOIN runs r "
    "ON r.id = c.run_id WHERE r.study_id = %" G_GINT64_FORMAT " AND r.status = 'done' "
    "GROUP BY c.run_id, c.repeats ORDER BY c.run_id, c.repeats", t->study->id);
  g_autoptr (MsStoreTable) q = ms_store_query (store, sql, error);
  if (q == NULL)
    return FALSE;
  for (guint i = 0; i < q->n_rows; i++)
    {
      int run = run_index (t, (gint64) cell (q, i, 0));
      if (run < 0)
        continue;
      double space = cell (q, i, 6), cands = cell (q, i, 7);
      MsCanaryResult c = { run, (int) cell (q, i, 1), (int) cell (q, i, 8), cell (q, i, 2),
                           cell (q, i, 3), cell (q, i, 4), cell (q, i, 5), log2 (space),
                           log2 (space / (cands + 1)) };
      g_array_append_val (a->canaries, c);
      if (a->canary_task == NULL && q->cells[i * q->n_columns + 9])
        a->canary_task = g_strdup (q->cells[i * q->n_columns + 9]);
    }
  return TRUE;
}

MsAnalysisTable *
ms_analysis_table_new (MsStore *store, const MsStudyTable *table, int probe, GError **error)
{
  g_autoptr (MsAnalysisTable) a = g_new0 (MsAnalysisTable, 1);
  a->table = table;
  a->probe = probe >= 0 ? probe : ms_study_table_default_probe (table);
  a->mia = g_array_new (FALSE, TRUE, sizeof (MsMiaResult));
  g_array_set_clear_func (a->mia, mia_result_clear);
  a->canaries = g_array_new (FALSE, TRUE, sizeof (MsCanaryResult));
  if (!load_mia (a, store, error) || !load_canaries (a, store, error)
      || !ms_analysis_load_why (a, store, error))
    return NULL;
  return g_steal_pointer (&a);
}

/* ---- charts ------------------------------------------------------------------------------ */

static const char *
signal_label (int signal)
{
  switch (signal)
    {
    case MS_MIA_LOSS: return _("loss");
    case MS_MIA_REFERENCE: return _("loss ratio to the base model");
    case MS_MIA_ZLIB: return _("zlib ratio");
    case MS_MIA_MIN_K: return _("Min-K% probability");
    default: return "?";
    }
}

static const MsStoreRun *
run_of (const MsAnalysisTable *a, int i)
{
  return a->table->runs->pdata[i];
}

/* The series of a run: "Single-task", the mixture's name, "Base model" (seeds share one). */
static char *
series_key (const MsStoreRun *r)
{
  if (strcmp (r->kind, "single") == 0)
    return g_strdup (_("Single-task"));
  if (strcmp (r->kind, "base") == 0)
    return g_strdup (_("Base model"));
  return g_strdup_printf (_("Mixture “%s”"), r->mixture ? r->mixture : "?");
}

MsFigure *
ms_figure_mia_auc (const MsAnalysisTable *a, int signal)
{
  const MsStudyTable *t = a->table;
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < a->mia->len; i++)
    {
      const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
      g_autofree char *k = series_key (run_of (a, r->run));
      if (r->signal == signal && !g_ptr_array_find_with_equal_func (keys, k, g_str_equal, NULL))
        g_ptr_array_add (keys, g_steal_pointer (&k));
    }
  if (keys->len == 0)
    return NULL;
  MsFigure *f = ms_fig_new (g_strdup_printf ("mia-auc-%s", ms_mia_signal_name (signal)),
                            g_strdup_printf (_("Membership inference by %s: ROC AUC, training "
                                               "against held-out samples"),
                                             signal_label (signal)),
                            MS_PLOT_BARS, 860, 460);
  int nk = keys->len;
  MsBarSeries *series = ms_fig_own (f, g_new0 (MsBarSeries, nk));
  const char **cats = ms_fig_strings (f, t->n_tasks);
  for (int k = 0; k < t->n_tasks; k++)
    cats[k] = ms_fig_own (f, g_strdup (t->tasks[k].name));
  for (int s = 0; s < nk; s++)
    {
      double *v = ms_fig_doubles (f, t->n_tasks), *lo = ms_fig_doubles (f, t->n_tasks);
      double *hi = ms_fig_doubles (f, t->n_tasks);
      int *count = g_newa (int, t->n_tasks);
      for (int k = 0; k < t->n_tasks; k++)
        {
          v[k] = 0;
          lo[k] = INFINITY;
          hi[k] = -INFINITY;
          count[k] = 0;
        }
      for (guint i = 0; i < a->mia->len; i++)
        {
          const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
          g_autofree char *key = series_key (run_of (a, r->run));
          if (r->signal != signal || strcmp (key, keys->pdata[s]) != 0)
            continue;
          /* Seeds: the mean AUC, and the widest of their intervals. */
          v[r->task] += r->auc;
          lo[r->task] = MIN (lo[r->task], r->auc_lower);
          hi[r->task] = MAX (hi[r->task], r->auc_upper);
          count[r->task]++;
        }
      for (int k = 0; k < t->n_tasks; k++)
        {
          v[k] = count[k] ? v[k] / count[k] : NAN;
          if (!count[k] || !isfinite (lo[k]))
            lo[k] = hi[k] = NAN;
        }
      const char *name = ms_fig_own (f, g_strdup (keys->pdata[s]));
      /* The colours of the main figure: single-task blue, base grey, mixtures after. */
      gboolean is_base = g_str_equal (name, _("Base model"));
      int color = is_base ? 8 : g_str_equal (name, _("Single-task")) ? 1 : 2 + s % 6;
      series[s] = (MsBarSeries) { .name = name, .values = v, .lower = lo, .upper = hi,
                                  .control = is_base, .color = color };
    }
  MsBarChart *c = ms_fig_own (f, g_new0 (MsBarChart, 1));
  *c = (MsBarChart) { .title = f->title, .x_label = _("Task"), .y_label = _("ROC AUC"),
                      .categories = cats, .n_categories = t->n_tasks, .series = series,
                      .n_series = nk, .has_reference = TRUE, .reference = 0.5,
                      .reference_label = _("chance"), .y_min = 0.0, .y_max = 1.0 };
  f->chart = c;
  return f;
}

MsFigure *
ms_figure_mia_roc (const MsAnalysisTable *a, int signal)
{
  const MsStudyTable *t = a->table;
  MsFigure *f = ms_fig_new (g_strdup_printf ("mia-roc-%s", ms_mia_signal_name (signal)),
                            g_strdup_printf (_("ROC of membership inference by %s "
                                               "(single-task runs)"), signal_label (signal)),
                            MS_PLOT_LINES, 640, 520);
  MsLineSeries *series = ms_fig_own (f, g_new0 (MsLineSeries, MAX (t->n_tasks, 1)));
  int n = 0;
  for (int k = 0; k < t->n_tasks; k++)
    for (guint i = 0; i < a->mia->len; i++)
      {
        const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
        if (r->signal != signal || r->task != k || strcmp (run_of (a, r->run)->kind, "single") != 0)
          continue;
        series[n++] = (MsLineSeries) {
          .name = ms_fig_printf (f, "%s (AUC %.2f)", t->tasks[k].name, r->auc),
          .x = ms_fig_own (f, g_memdup2 (r->fpr, r->n_points * sizeof (double))),
          .y = ms_fig_own (f, g_memdup2 (r->tpr, r->n_points * sizeof (double))),
          .n = (int) r->n_points, .color = k % MS_PLOT_PALETTE_SIZE + 1 };
        break;  /* the first seed */
      }
  if (n == 0)
    {
      ms_figure_free (f);
      return NULL;
    }
  MsLineChart *c = ms_fig_own (f, g_new0 (MsLineChart, 1));
  *c = (MsLineChart) { .title = f->title, .x_label = _("false positive rate"),
                       .y_label = _("true positive rate"), .series = series, .n_series = n,
                       .diagonal = TRUE, .x_min = 0, .x_max = 1, .y_min = 0, .y_max = 1 };
  f->chart = c;
  return f;
}

MsFigure *
ms_figure_canaries (const MsAnalysisTable *a)
{
  if (a->canaries->len == 0)
    return NULL;
  MsFigure *f = ms_fig_new (g_strdup ("canaries"),
                            g_strdup_printf (_("Exposure of canaries inserted into “%s” (by "
                                               "sampled rank, above %.1f bits means the secret "
                                               "outranked every sampled candidate)"),
                                             a->canary_task ? a->canary_task : "?",
                                             g_array_index (a->canaries, MsCanaryResult,
                                                            0).saturation),
                            MS_PLOT_LINES, 760, 460);
  /* One series per run, over its repeat counts. */
  MsLineSeries *series = ms_fig_own (f, g_new0 (MsLineSeries, a->canaries->len));
  int n = 0;
  for (guint i = 0; i < a->canaries->len;)
    {
      const MsCanaryResult *c0 = &g_array_index (a->canaries, MsCanaryResult, i);
      guint j = i;
      while (j < a->canaries->len && g_array_index (a->canaries, MsCanaryResult, j).run == c0->run)
        j++;
      int m = j - i;
      double *x = ms_fig_doubles (f, m), *y = ms_fig_doubles (f, m);
      double *lo = ms_fig_doubles (f, m), *hi = ms_fig_doubles (f, m);
      for (int k = 0; k < m; k++)
        {
          const MsCanaryResult *c = &g_array_index (a->canaries, MsCanaryResult, i + k);
          x[k] = c->repeats;
          y[k] = c->exposure_mean;
          lo[k] = c->exposure_min;
          hi[k] = c->exposure_max;
        }
      const MsStoreRun *r = run_of (a, c0->run);
      series[n++] = (MsLineSeries) { .name = ms_fig_own (f, g_strdup (r->name)), .x = x, .y = y,
                                     .lower = lo, .upper = hi, .n = m, .markers = TRUE,
                                     .dashed = strcmp (r->kind, "base") == 0 };
      i = j;
    }
  MsLineChart *c = ms_fig_own (f, g_new0 (MsLineChart, 1));
  *c = (MsLineChart) { .title = f->title, .x_label = _("times the canary was in the training data"),
                       .y_label = _("exposure (bits)"),
                       .series = series, .n_series = n, .y_min = 0 };
  f->chart = c;
  return f;
}

char *
ms_analysis_table_to_json (const MsAnalysisTable *a)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "membership_inference");
  json_builder_begin_array (b);
  for (guint i = 0; i < a->mia->len; i++)
    {
      const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
      json_builder_begin_object (b);
      ms_json_add_string (b, "run", run_of (a, r->run)->name);
      ms_json_add_string (b, "task", a->table->tasks[r->task].name);
      ms_json_add_string (b, "signal", ms_mia_signal_name (r->signal));
      const char *names[] = { "auc", "auc_lower", "auc_upper", "tpr_at_1pct_fpr" };
      double vals[] = { r->auc, r->auc_lower, r->auc_upper, r->tpr_at_1 };
      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        ms_json_add_number (b, names[k], vals[k]);
      ms_json_add_int (b, "members", r->n_members);
      ms_json_add_int (b, "nonmembers", r->n_nonmembers);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "canaries");
  json_builder_begin_array (b);
  for (guint i = 0; i < a->canaries->len; i++)
    {
      const MsCanaryResult *c = &g_array_index (a->canaries, MsCanaryResult, i);
      json_builder_begin_object (b);
      ms_json_add_string (b, "run", run_of (a, c->run)->name);
      ms_json_add_int (b, "repeats", c->repeats);
      ms_json_add_int (b, "canaries", c->n);
      const char *names[] = { "exposure_mean", "exposure_min", "exposure_max",
                              "exposure_normal_mean", "max_exposure", "sampled_rank_saturation" };
      double vals[] = { c->exposure_mean, c->exposure_min, c->exposure_max, c->normal_mean,
                        c->max_exposure, c->saturation };
      for (guint k = 0; k < G_N_ELEMENTS (names); k++)
        ms_json_add_number (b, names[k], vals[k]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (a->matrix)
    {
      json_builder_set_member_name (b, "attention_matrix");
      json_builder_begin_array (b);
      for (int st = 0; st < MS_WHY_N_STATS; st++)
        for (int sc = 0; sc < MS_WHY_N_SCORES; sc++)
          {
            const MsWhyCorr *c = &a->matrix->pooled[st][sc];
            json_builder_begin_object (b);
            ms_json_add_string (b, "statistic", ms_why_stat_name (st));
            ms_json_add_string (b, "score", ms_why_score_name (sc));
            ms_json_add_int (b, "n", c->n);
            if (c->defined)
              {
                const MsCorrelation *cs[2] = { &c->spearman, &c->pearson };
                const char *names[2] = { "spearman", "pearson" };
                for (int k = 0; k < 2; k++)
                  {
                    json_builder_set_member_name (b, names[k]);
                    json_builder_begin_object (b);
                    ms_json_add_number (b, "r", cs[k]->r.estimate);
                    ms_json_add_number (b, "lower", cs[k]->r.lower);
                    ms_json_add_number (b, "upper", cs[k]->r.upper);
                    ms_json_add_number (b, "p_value", cs[k]->p_value);
                    json_builder_end_object (b);
                  }
              }
            if (isfinite (a->matrix->within_mean[st][sc]))
              ms_json_add_number (b, "mean_within_task_spearman", a->matrix->within_mean[st][sc]);
            json_builder_end_object (b);
          }
      json_builder_end_array (b);
    }
  const MsWhy *whys[2] = { a->attention, a->sparse };
  const char *keys[2] = { "attention", "sparse_codes" };
  for (int wi = 0; wi < 2; wi++)
    {
      const MsWhy *w = whys[wi];
      if (w == NULL)
        continue;
      json_builder_set_member_name (b, keys[wi]);
      json_builder_begin_object (b);
      ms_json_add_string (b, "measure", w->name);
      ms_json_add_string (b, "probe", ms_study_probe_name (w->probe));
      json_builder_set_member_name (b, "correlations");
      json_builder_begin_array (b);
      for (int k = -2; k < a->table->n_tasks; k++)
        {
          const MsWhyCorr *c = k == -2 ? &w->across : k == -1 ? &w->pooled : &w->within[k];
          json_builder_begin_object (b);
          ms_json_add_string (b, "samples_of", k == -2 ? "across tasks" : k == -1 ? "pooled" : a->table->tasks[k].name);
          ms_json_add_int (b, "n", c->n);
          if (c->defined)
            {
              ms_json_add_number (b, "spearman", c->spearman.r.estimate);
              ms_json_add_number (b, "lower", c->spearman.r.lower);
              ms_json_add_number (b, "upper", c->spearman.r.upper);
              ms_json_add_number (b, "p_value", c->spearman.p_value);
              ms_json_add_number (b, "pearson", c->pearson.r.estimate);
              ms_json_add_number (b, "pearson_lower", c->pearson.r.lower);
              ms_json_add_number (b, "pearson_upper", c->pearson.r.upper);
            }
          if (k >= 0)
            {
              ms_json_add_number (b, "mean_measure", isfinite (w->tasks[k].measure) ? w->tasks[k].measure : 0);
              ms_json_add_number (b, "mean_memorization", isfinite (w->tasks[k].memorization) ? w->tasks[k].memorization : 0);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return ms_json_builder_to_string (b, TRUE);
}
