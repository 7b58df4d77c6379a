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

typedef struct {
  int run, task;
  GArray *scores[MS_MIA_N];   /* double */
  GArray *member;             /* gboolean */
} Group;

/* The AUC's interval in the MIA table: a stratified bootstrap (members and non-members
 * resampled apart) of 300 resamples with its own seed, NaN where the ROC is undefined. */
static void
auc_interval (const double *s, const gboolean *pos, gsize n, double *lo, double *hi)
{
  const MsBootstrapParams p = { .n_resamples = 300, .level = 0.95, .seed = 12345 };
  MsInterval iv;
  if (!ms_stats_auc_bootstrap (s, pos, n, &p, &iv, NULL))
    iv.lower = iv.upper = NAN;
  *lo = iv.lower;
  *hi = iv.upper;
}

static gboolean
load_mia (MsAnalysisTable *a, MsStore *store, GError **error)
{
  const MsStudyTable *t = a->table;
  g_autoptr (GArray) q = ms_store_study_mia (store, t->study->id, error);
  if (q == NULL)
    return FALSE;
  const MsStoreMiaRow *rows = (const MsStoreMiaRow *) q->data;
  /* The base model's loss of each sample: the reference of the ratio. */
  g_autoptr (GHashTable) base = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       g_free);
  for (guint i = 0; i < q->len; i++)
    if (rows[i].base)
      {
        gint64 *k = g_new (gint64, 1);
        double *v = g_new (double, 1);
        *k = rows[i].sample_id;
        *v = rows[i].loss;
        g_hash_table_insert (base, k, v);
      }
  g_autoptr (GArray) groups = g_array_new (FALSE, TRUE, sizeof (Group));
  for (guint i = 0; i < q->len; i++)
    {
      int run = run_index (t, rows[i].run_id), task = task_index (t, rows[i].task_id);
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
      gint64 sample = rows[i].sample_id;
      MsMiaScores m = { rows[i].loss, rows[i].min_k, rows[i].zlib_ratio, 1 };
      const double *bl = g_hash_table_lookup (base, &sample);
      MsMiaScores b = { bl ? *bl : NAN, 0, 0, 1 };
      gboolean member = rows[i].member;
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
  g_autoptr (GPtrArray) q = ms_store_study_canaries (store, t->study->id, error);
  if (q == NULL)
    return FALSE;
  for (guint i = 0; i < q->len; i++)
    {
      const MsStoreCanaryGroup *g = q->pdata[i];
      int run = run_index (t, g->run_id);
      if (run < 0)
        continue;
      double space = g->max_space, cands = (double) g->max_candidates;
      MsCanaryResult c = { run, g->repeats, (int) g->n, g->mean_exposure, g->min_exposure,
                           g->max_exposure, g->mean_exposure_normal, log2 (space),
                           log2 (space / (cands + 1)) };
      g_array_append_val (a->canaries, c);
      if (a->canary_task == NULL && g->task)
        a->canary_task = g_strdup (g->task);
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
  MsFigure *f = ms_figure_new (g_strdup_printf ("mia-auc-%s", ms_mia_signal_name (signal)),
                            g_strdup_printf (_("Membership inference by %s: ROC AUC, training "
                                               "against held-out samples"),
                                             signal_label (signal)),
                            MS_PLOT_BARS, 860, 460);
  int nk = keys->len;
  MsBarSeries *series = ms_figure_own (f, g_new0 (MsBarSeries, nk));
  const char **cats = ms_figure_strings (f, t->n_tasks);
  for (int k = 0; k < t->n_tasks; k++)
    cats[k] = ms_figure_own (f, g_strdup (t->tasks[k].name));
  for (int s = 0; s < nk; s++)
    {
      double *v = ms_figure_doubles (f, t->n_tasks), *lo = ms_figure_doubles (f, t->n_tasks);
      double *hi = ms_figure_doubles (f, t->n_tasks);
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
      const char *name = ms_figure_own (f, g_strdup (keys->pdata[s]));
      /* The colours of the main figure: single-task blue, base grey, mixtures after. */
      gboolean is_base = g_str_equal (name, _("Base model"));
      int color = is_base ? 8 : g_str_equal (name, _("Single-task")) ? 1 : 2 + s % 6;
      series[s] = (MsBarSeries) { .name = name, .values = v, .lower = lo, .upper = hi,
                                  .control = is_base, .color = color };
    }
  MsBarChart *c = ms_figure_own (f, g_new0 (MsBarChart, 1));
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
  MsFigure *f = ms_figure_new (g_strdup_printf ("mia-roc-%s", ms_mia_signal_name (signal)),
                            g_strdup_printf (_("ROC of membership inference by %s "
                                               "(single-task runs)"), signal_label (signal)),
                            MS_PLOT_LINES, 640, 520);
  MsLineSeries *series = ms_figure_own (f, g_new0 (MsLineSeries, MAX (t->n_tasks, 1)));
  int n = 0;
  for (int k = 0; k < t->n_tasks; k++)
    for (guint i = 0; i < a->mia->len; i++)
      {
        const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
        if (r->signal != signal || r->task != k || strcmp (run_of (a, r->run)->kind, "single") != 0)
          continue;
        series[n++] = (MsLineSeries) {
          .name = ms_figure_printf (f, "%s (AUC %.2f)", t->tasks[k].name, r->auc),
          .x = ms_figure_own (f, g_memdup2 (r->fpr, r->n_points * sizeof (double))),
          .y = ms_figure_own (f, g_memdup2 (r->tpr, r->n_points * sizeof (double))),
          .n = (int) r->n_points, .color = k % MS_PLOT_PALETTE_SIZE + 1 };
        break;  /* the first seed */
      }
  if (n == 0)
    {
      ms_figure_free (f);
      return NULL;
    }
  MsLineChart *c = ms_figure_own (f, g_new0 (MsLineChart, 1));
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
  MsFigure *f = ms_figure_new (g_strdup ("canaries"),
                            g_strdup_printf (_("Exposure of canaries inserted into “%s” (by "
                                               "sampled rank, above %.1f bits means the secret "
                                               "outranked every sampled candidate)"),
                                             a->canary_task ? a->canary_task : "?",
                                             g_array_index (a->canaries, MsCanaryResult,
                                                            0).saturation),
                            MS_PLOT_LINES, 760, 460);
  /* One series per run, over its repeat counts. */
  MsLineSeries *series = ms_figure_own (f, g_new0 (MsLineSeries, a->canaries->len));
  int n = 0;
  for (guint i = 0; i < a->canaries->len;)
    {
      const MsCanaryResult *c0 = &g_array_index (a->canaries, MsCanaryResult, i);
      guint j = i;
      while (j < a->canaries->len && g_array_index (a->canaries, MsCanaryResult, j).run == c0->run)
        j++;
      int m = j - i;
      double *x = ms_figure_doubles (f, m), *y = ms_figure_doubles (f, m);
      double *lo = ms_figure_doubles (f, m), *hi = ms_figure_doubles (f, m);
      for (int k = 0; k < m; k++)
        {
          const MsCanaryResult *c = &g_array_index (a->canaries, MsCanaryResult, i + k);
          x[k] = c->repeats;
          y[k] = c->exposure_mean;
          lo[k] = c->exposure_min;
          hi[k] = c->exposure_max;
        }
      const MsStoreRun *r = run_of (a, c0->run);
      series[n++] = (MsLineSeries) { .name = ms_figure_own (f, g_strdup (r->name)), .x = x, .y = y,
                                     .lower = lo, .upper = hi, .n = m, .markers = TRUE,
                                     .dashed = strcmp (r->kind, "base") == 0 };
      i = j;
    }
  MsLineChart *c = ms_figure_own (f, g_new0 (MsLineChart, 1));
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
