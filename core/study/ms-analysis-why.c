/* Why a model memorizes, from the store: attention statistics and sparse-code density of each
 * probed training sample set against how much of it the model reproduced, within each task
 * (per sample), over all tasks' samples, and across tasks (task means) — the paper's claim
 * was tested across tasks only; the reviewers asked for the per-sample test. */
#include "ms-analysis.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "common/ms-json.h"
#include <stdio.h>
#include <math.h>

#include "common/ms-error.h"
#include "ms-figures-private.h"

void
ms_why_free (MsWhy *w)
{
  if (w == NULL)
    return;
  g_free (w->values);
  g_free (w->memo);
  g_free (w->task);
  g_free (w->within);
  g_free (w->tasks);
  g_free (w);
}

static int
task_index (const MsStudyTable *t, gint64 id)
{
  for (int k = 0; k < t->n_tasks; k++)
    if (t->tasks[k].id == id)
      return k;
  return -1;
}

const char *
ms_why_stat_name (int stat)
{
  static const char *names[] = { "entropy", "max", "topk", "gini" };
  return stat >= 0 && stat < MS_WHY_N_STATS ? names[stat] : "?";
}

const char *
ms_why_score_name (int score)
{
  static const char *names[] = { "token_match", "lcs_chars", "rouge_l", "exact" };
  return score >= 0 && score < MS_WHY_N_SCORES ? names[score] : "?";
}

/* The fewest pairs a coefficient is computed from, and the fewest samples behind a task mean
 * that counts across tasks (the mean of one or two samples is not a task's). */
#define MIN_PAIRS 5

/* Spearman and Pearson with paired bootstrap intervals; undefined below MIN_PAIRS pairs or
 * when a side is constant (a task where nothing was memorized, say). */
static void
correlate (const double *x, const double *y, gsize n, MsWhyCorr *out)
{
  MsBootstrapParams p;
  ms_bootstrap_params_init (&p);
  p.n_resamples = 500;
  out->n = n;
  out->defined = n >= MIN_PAIRS && ms_stats_spearman (x, y, n, &p, &out->spearman, NULL)
                 && ms_stats_pearson (x, y, n, &p, &out->pearson, NULL);
}

/* Fills the correlations of W from its per-sample arrays. */
static void
summarise (MsWhy *w, int n_tasks)
{
  w->within = g_new0 (MsWhyCorr, n_tasks);
  w->tasks = g_new0 (MsWhyTask, n_tasks);
  g_autofree double *x = g_new (double, MAX (w->n, 1)), *y = g_new (double, MAX (w->n, 1));
  for (int k = 0; k < n_tasks; k++)
    {
      gsize m = 0;
      double sx = 0, sy = 0;
      for (gsize i = 0; i < w->n; i++)
        if (w->task[i] == k)
          {
            x[m] = w->values[i];
            y[m++] = w->memo[i];
            sx += w->values[i];
            sy += w->memo[i];
          }
      w->within[k].task = k;
      correlate (x, y, m, &w->within[k]);
      w->tasks[k] = (MsWhyTask) { m ? sx / m : NAN, m ? sy / m : NAN, m };
    }
  w->pooled.task = -1;
  correlate (w->values, w->memo, w->n, &w->pooled);
  gsize m = 0;
  for (int k = 0; k < n_tasks; k++)
    if (w->tasks[k].n >= MIN_PAIRS)
      {
        x[m] = w->tasks[k].measure;
        y[m++] = w->tasks[k].memorization;
      }
  w->across.task = -1;
  w->across.n = m;
  /* Only a handful of tasks: the coefficients and the t-approximation p-value are what count;
   * a bootstrap over so few points gives only a coarse interval. */
  MsBootstrapParams p;
  ms_bootstrap_params_init (&p);
  p.n_resamples = 200;
  w->across.defined = m >= 3 && ms_stats_spearman (x, y, m, &p, &w->across.spearman, NULL)
                      && ms_stats_pearson (x, y, m, &p, &w->across.pearson, NULL);
}

/* Attention of the single-task runs' training samples for the probe, with each generation's
 * token match: the last layer's entropy averaged over heads, and per (layer, head). One point
 * per generation, so a sample probed by several seeds counts once per seed, as in the rates. */
static gboolean
load_attention (MsAnalysisTable *a, MsStore *store, GError **error)
{
  const MsStudyTable *t = a->table;
  g_autoptr (GArray) q = ms_store_study_attention (store, t->study->id,
                                                   ms_study_probe_name (a->probe), error);
  if (q == NULL)
    return FALSE;
  if (q->len == 0)
    return TRUE;
  const MsStoreAttentionRow *rows = (const MsStoreAttentionRow *) q->data;
  int L = 0, NH = 0;
  for (guint i = 0; i < q->len; i++)
    {
      L = MAX (L, rows[i].layer + 1);
      NH = MAX (NH, rows[i].head + 1);
    }
  a->n_layers = L;
  a->n_heads = NH;
  /* Generations in order; each has L × NH rows. */
  g_autoptr (GArray) ent = g_array_new (FALSE, FALSE, sizeof (double));   /* (n, L, NH) */
  MsWhy *w = g_new0 (MsWhy, 1);
  w->name = N_("attention entropy");
  w->probe = a->probe;
  GArray *vals = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *memo = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *task = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < q->len;)
    {
      gint64 gen = rows[i].generation_id;
      guint j = i;
      g_autofree double *grid = g_new (double, L * NH);
      for (int c = 0; c < L * NH; c++)
        grid[c] = NAN;
      while (j < q->len && rows[j].generation_id == gen)
        {
          grid[rows[j].layer * NH + rows[j].head] = rows[j].entropy;
          j++;
        }
      double last = 0;
      int n_last = 0;
      for (int h = 0; h < NH; h++)
        if (isfinite (grid[(L - 1) * NH + h]))
          last += grid[(L - 1) * NH + h], n_last++;
      int k = task_index (t, rows[i].task_id);
      double m = rows[i].token_match;
      if (n_last > 0 && k >= 0 && isfinite (m))
        {
          last /= n_last;
          g_array_append_val (vals, last);
          g_array_append_val (memo, m);
          g_array_append_val (task, k);
          g_array_append_vals (ent, grid, L * NH);
        }
      i = j;
    }
  w->n = vals->len;
  w->values = (double *) g_array_free (vals, FALSE);
  w->memo = (double *) g_array_free (memo, FALSE);
  w->task = (int *) g_array_free (task, FALSE);
  summarise (w, t->n_tasks);
  a->attention = w;
  /* Per head: pooled Spearman over every sample. */
  a->head_rho = g_new (double, L * NH);
  g_autofree double *x = g_new (double, MAX (w->n, 1));
  for (int c = 0; c < L * NH; c++)
    {
      gsize m = 0;
      g_autofree double *y = g_new (double, MAX (w->n, 1));
      for (gsize i = 0; i < w->n; i++)
        {
          double v = g_array_index (ent, double, i * L * NH + c);
          if (isfinite (v))
            {
              x[m] = v;
              y[m++] = w->memo[i];
            }
        }
      MsCorrelation r;
      MsBootstrapParams p;
      ms_bootstrap_params_init (&p);
      p.n_resamples = 50;
      a->head_rho[c] = m >= MIN_PAIRS && ms_stats_spearman (x, y, m, &p, &r, NULL)
                         ? r.r.estimate : NAN;
    }
  return TRUE;
}

/* Sparse codes: the run coding every task with one dictionary (a mixture, else the base
 * model); memorization from the single-task runs' generations of the same samples. */
static gboolean
load_sparse (MsAnalysisTable *a, MsStore *store, GError **error)
{
  const MsStudyTable *t = a->table;
  gint64 run_id;
  int layer;
  char *run_name;
  if (!ms_store_study_sparse_run (store, t->study->id, &run_id, &layer, &run_name, error))
    return FALSE;
  if (run_id == 0)
    return TRUE;
  a->sparse_run = run_name;
  /* One layer (the deepest the run coded); per sample, memorization averaged over the seeds
   * of its single-task runs. */
  g_autoptr (GArray) q = ms_store_sparse_memorization (store, run_id, layer,
                                                       ms_study_probe_name (a->probe), error);
  if (q == NULL)
    return FALSE;
  const MsStoreSparseRow *rows = (const MsStoreSparseRow *) q->data;
  MsWhy *w = g_new0 (MsWhy, 1);
  w->name = N_("active atoms at fixed error");
  w->probe = a->probe;
  w->values = g_new (double, MAX (q->len, 1));
  w->memo = g_new (double, MAX (q->len, 1));
  w->task = g_new (int, MAX (q->len, 1));
  for (guint i = 0; i < q->len; i++)
    {
      int k = task_index (t, rows[i].task_id);
      if (k < 0)
        continue;
      w->values[w->n] = rows[i].active_at_error;
      w->memo[w->n] = rows[i].token_match;
      w->task[w->n++] = k;
    }
  summarise (w, t->n_tasks);
  a->sparse = w;
  return TRUE;
}

/* Statistic ST and score SC of a row, in the order of ms_why_stat_name and ms_why_score_name. */
static double
mean_stat (const MsStoreAttentionMean *m, int st)
{
  const double v[MS_WHY_N_STATS] = { m->entropy, m->max, m->topk, m->gini };
  return v[st];
}

static double
mean_score (const MsStoreAttentionMean *m, int sc)
{
  const double v[MS_WHY_N_SCORES] = { m->token_match, m->lcs_chars, m->rouge_l, m->exact };
  return v[sc];
}

/* The matrix of every statistic against every score (last layer, mean over heads). */
static gboolean
load_matrix (MsAnalysisTable *a, MsStore *store, GError **error)
{
  const MsStudyTable *t = a->table;
  g_autoptr (GArray) q = ms_store_study_attention_means (store, t->study->id,
                                                         ms_study_probe_name (a->probe), error);
  if (q == NULL)
    return FALSE;
  if (q->len == 0)
    return TRUE;
  const MsStoreAttentionMean *rows = (const MsStoreAttentionMean *) q->data;
  a->matrix = g_new0 (MsWhyMatrix, 1);
  gsize n = q->len;
  g_autofree double *x = g_new (double, n), *y = g_new (double, n);
  for (int st = 0; st < MS_WHY_N_STATS; st++)
    for (int sc = 0; sc < MS_WHY_N_SCORES; sc++)
      {
        gsize m = 0;
        for (gsize i = 0; i < n; i++)
          {
            double v = mean_stat (&rows[i], st), w = mean_score (&rows[i], sc);
            if (isfinite (v) && isfinite (w))
              x[m] = v, y[m++] = w;
          }
        correlate (x, y, m, &a->matrix->pooled[st][sc]);
        /* Within tasks: the mean of the defined coefficients. */
        double sum = 0;
        int defined = 0;
        for (int k = 0; k < t->n_tasks; k++)
          {
            m = 0;
            for (gsize i = 0; i < n; i++)
              {
                double v = mean_stat (&rows[i], st), w = mean_score (&rows[i], sc);
                if (task_index (t, rows[i].task_id) == k && isfinite (v) && isfinite (w))
                  x[m] = v, y[m++] = w;
              }
            MsCorrelation r;
            MsBootstrapParams p;
            ms_bootstrap_params_init (&p);
            p.n_resamples = 20;
            if (m >= MIN_PAIRS && ms_stats_spearman (x, y, m, &p, &r, NULL))
              sum += r.r.estimate, defined++;
          }
        a->matrix->within_mean[st][sc] = defined ? sum / defined : NAN;
      }
  return TRUE;
}

gboolean
ms_analysis_load_why (MsAnalysisTable *a, MsStore *store, GError **error)
{
  if (!load_matrix (a, store, error))
    return FALSE;
  return load_attention (a, store, error) && load_sparse (a, store, error);
}

/* ---- charts ------------------------------------------------------------------------------ */

static MsFigure *
dist_figure (const MsAnalysisTable *a, const MsWhy *w, const char *id, const char *title,
             const char *value_label)
{
  const MsStudyTable *t = a->table;
  MsFigure *f = ms_figure_new (g_strdup (id), g_strdup (title), MS_PLOT_DIST, 760, 440);
  MsDistGroup *groups = ms_figure_own (f, g_new0 (MsDistGroup, MAX (t->n_tasks, 1)));
  int n = 0;
  for (int k = 0; k < t->n_tasks; k++)
    {
      double *v = ms_figure_doubles (f, w->n);
      int m = 0;
      for (gsize i = 0; i < w->n; i++)
        if (w->task[i] == k)
          v[m++] = w->values[i];
      if (m == 0)
        continue;
      groups[n++] = (MsDistGroup) { .name = ms_figure_own (f, g_strdup (t->tasks[k].name)),
                                    .values = v, .n = m, .color = k % MS_PLOT_PALETTE_SIZE + 1 };
    }
  MsDistChart *c = ms_figure_own (f, g_new0 (MsDistChart, 1));
  *c = (MsDistChart) { .title = f->title, .group_label = _("Task"), .value_label = value_label,
                       .groups = groups, .n_groups = n,
                       .style = MS_PLOT_DIST_BOX | MS_PLOT_DIST_STRIP };
  f->chart = c;
  return f;
}

static MsFigure *
scatter_figure (const MsAnalysisTable *a, const MsWhy *w, const char *id, const char *title,
                const char *x_label)
{
  const MsStudyTable *t = a->table;
  MsFigure *f = ms_figure_new (g_strdup (id), g_strdup (title), MS_PLOT_SCATTER, 760, 480);
  const char **names = ms_figure_strings (f, t->n_tasks);
  for (int k = 0; k < t->n_tasks; k++)
    names[k] = ms_figure_own (f, g_strdup (t->tasks[k].name));
  const char *note = w->pooled.defined
    ? ms_figure_printf (f, _("Spearman ρ = %.2f [%.2f, %.2f], n = %zu"), w->pooled.spearman.r.estimate,
                     w->pooled.spearman.r.lower, w->pooled.spearman.r.upper, w->n)
    : _("too few samples for a correlation");
  MsScatterChart *c = ms_figure_own (f, g_new0 (MsScatterChart, 1));
  *c = (MsScatterChart) { .title = f->title, .x_label = x_label,
                          .y_label = a->probe == 0 ? _("token match (input probe)")
                                                   : _("token match (target probe)"),
                          .x = w->values, .y = w->memo, .n = (int) w->n, .group = w->task,
                          .group_names = names, .n_groups = t->n_tasks, .fit_line = TRUE,
                          .annotation = note, .y_format = MS_PLOT_FORMAT_PERCENT };
  f->chart = c;
  return f;
}

MsFigure *
ms_figure_attention_tasks (const MsAnalysisTable *a)
{
  if (!a->attention || a->attention->n == 0)
    return NULL;
  return dist_figure (a, a->attention, "attention-tasks",
                      _("Attention entropy of the last layer per task (single-task runs, "
                        "training samples)"), _("normalized entropy (1 = uniform)"));
}

MsFigure *
ms_figure_attention_scatter (const MsAnalysisTable *a)
{
  if (!a->attention || a->attention->n == 0)
    return NULL;
  return scatter_figure (a, a->attention, "attention-scatter",
                         _("Memorization against attention entropy, per sample"),
                         _("normalized entropy of the last layer (mean over heads)"));
}

MsFigure *
ms_figure_attention_heads (const MsAnalysisTable *a)
{
  if (!a->head_rho)
    return NULL;
  MsFigure *f = ms_figure_new (g_strdup ("attention-heads"),
                            g_strdup (_("Spearman ρ of each head's attention entropy with "
                                        "memorization")), MS_PLOT_HEATMAP, 620, 420);
  const char **rows = ms_figure_strings (f, a->n_layers), **cols = ms_figure_strings (f, a->n_heads);
  for (int l = 0; l < a->n_layers; l++)
    rows[l] = ms_figure_printf (f, _("layer %d"), l);
  for (int h = 0; h < a->n_heads; h++)
    cols[h] = ms_figure_printf (f, _("head %d"), h);
  MsHeatmap *c = ms_figure_own (f, g_new0 (MsHeatmap, 1));
  *c = (MsHeatmap) { .title = f->title, .x_label = _("head"), .y_label = _("layer"),
                     .value_label = _("Spearman ρ"), .values = a->head_rho,
                     .n_rows = a->n_layers, .n_cols = a->n_heads, .row_labels = rows,
                     .col_labels = cols, .v_min = -1, .v_max = 1, .annotate = TRUE };
  f->chart = c;
  return f;
}

MsFigure *
ms_figure_sparse_tasks (const MsAnalysisTable *a)
{
  if (!a->sparse || a->sparse->n == 0)
    return NULL;
  g_autofree char *title = g_strdup_printf (_("Atoms needed to reconstruct the hidden state "
                                              "(run %s, training samples)"), a->sparse_run);
  return dist_figure (a, a->sparse, "sparse-tasks", title, _("active atoms at the fixed error"));
}

MsFigure *
ms_figure_sparse_scatter (const MsAnalysisTable *a)
{
  if (!a->sparse || a->sparse->n == 0)
    return NULL;
  return scatter_figure (a, a->sparse, "sparse-scatter",
                         _("Memorization against sparse-code density, per sample"),
                         _("active atoms at the fixed reconstruction error"));
}

MsFigure *
ms_figure_attention_map (MsStore *store, gint64 generation_id, GError **error)
{
  /* The store checks the blob against the shape (MS_ERROR_FORMAT naming the store). */
  g_autoptr (MsStoreAttentionMapData) m = ms_store_get_attention_map (store, generation_id,
                                                                      error);
  if (m == NULL)
    return NULL;
  int rows = m->rows, cols = m->cols;
  /* The title's msgid takes the layer as text. */
  char layer[16];
  g_snprintf (layer, sizeof layer, "%d", m->layer);
  MsFigure *f = ms_figure_new (g_strdup ("attention-map"),
                            g_strdup_printf (_("Attention of layer %s over “%s” (run %s, mean over "
                                               "heads)"), layer, m->record_id, m->run),
                            MS_PLOT_HEATMAP, 720, 720);
  double *v = ms_figure_doubles (f, (gsize) rows * cols);
  /* Masked (future) keys are exactly zero: blank rather than the colour of zero. */
  for (gsize i = 0; i < (gsize) rows * cols; i++)
    v[i] = (i % cols) > (i / cols) ? NAN : m->data[i];
  JsonParser *parser = json_parser_new ();
  const char **labels = ms_figure_strings (f, MAX (rows, cols));
  if (ms_json_parser_load (parser, m->tokens_json, -1, NULL))
    {
      JsonArray *arr = json_node_get_array (json_parser_get_root (parser));
      for (int i = 0; i < MAX (rows, cols) && i < (int) json_array_get_length (arr); i++)
        labels[i] = ms_figure_own (f, g_strdup (json_array_get_string_element (arr, i)));
    }
  g_object_unref (parser);
  MsHeatmap *c = ms_figure_own (f, g_new0 (MsHeatmap, 1));
  *c = (MsHeatmap) { .title = f->title, .x_label = _("key (attended) token"),
                     .y_label = _("query token"), .value_label = _("attention probability"),
                     .values = v, .n_rows = rows, .n_cols = cols, .row_labels = labels,
                     .col_labels = labels, .square = TRUE };
  f->chart = c;
  return f;
}

MsFigure *
ms_figure_synthetic_sweep (const MsStudyTable *t, int probe)
{
  g_autoptr (GArray) tasks = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) svals = g_array_new (FALSE, FALSE, sizeof (double));
  for (int k = 0; k < t->n_tasks; k++)
    {
      int sv;
      if (sscanf (t->tasks[k].name, "synth-s%d", &sv) == 1)
        {
          double d = sv;
          g_array_append_val (tasks, k);
          g_array_append_val (svals, d);
        }
    }
  int single = -1, base = -1;
  for (int g = 0; g < t->n_groups; g++)
    {
      if (t->groups[g].kind == MS_GROUP_SINGLE)
        single = g;
      if (t->groups[g].kind == MS_GROUP_BASE)
        base = g;
    }
  if (tasks->len < 2 || single < 0)
    return NULL;
  MsFigure *f = ms_figure_new (g_strdup_printf ("synthetic-sweep-%s", ms_study_probe_name (probe)),
                            g_strdup_printf (_("Memorization against the number s of features "
                                               "the output depends on (%s probe)"),
                                             ms_study_probe_name (probe)),
                            MS_PLOT_PANELS, 980, 420);
  static const MsMeasure measures[] = { MS_MEASURE_TOKEN_MATCH, MS_MEASURE_EXACT,
                                        MS_MEASURE_LCS_CHARS };
  int np = G_N_ELEMENTS (measures), n = tasks->len;
  MsPlotPanel *panels = ms_figure_own (f, g_new0 (MsPlotPanel, np));
  for (int p = 0; p < np; p++)
    {
      MsLineSeries *series = ms_figure_own (f, g_new0 (MsLineSeries, 3));
      const char *names[3] = { _("training samples"), _("held-out samples"), _("base model") };
      for (int k = 0; k < 3; k++)
        {
          double *x = ms_figure_doubles (f, n), *y = ms_figure_doubles (f, n);
          double *lo = ms_figure_doubles (f, n), *hi = ms_figure_doubles (f, n);
          for (int i = 0; i < n; i++)
            {
              int task = g_array_index (tasks, int, i);
              const MsStudyRow *r = ms_study_table_row (t, task, k == 2 && base >= 0 ? base : single,
                                                        probe, measures[p]);
              const MsStudyStat *st = k == 1 ? &r->heldout : &r->train;
              x[i] = g_array_index (svals, double, i);
              y[i] = st->value.estimate;
              lo[i] = st->value.lower;
              hi[i] = st->value.upper;
            }
          series[k] = (MsLineSeries) { .name = names[k], .x = x, .y = y, .lower = lo,
                                       .upper = hi, .n = n, .markers = TRUE, .dashed = k > 0,
                                       .color = k + 1 };
        }
      MsLineChart *c = ms_figure_own (f, g_new0 (MsLineChart, 1));
      *c = (MsLineChart) { .title = ms_measure_label (measures[p]),
                           .x_label = _("s (features the output depends on)"),
                           .y_label = ms_measure_label (measures[p]), .series = series,
                           .n_series = base >= 0 ? 3 : 2,
                           .y_format = ms_measure_is_rate (measures[p])
                                       || measures[p] == MS_MEASURE_TOKEN_MATCH
                                       ? MS_PLOT_FORMAT_PERCENT : MS_PLOT_FORMAT_AUTO };
      panels[p] = (MsPlotPanel) { MS_PLOT_LINES, c };
    }
  MsPanelFigure *pf = ms_figure_own (f, g_new0 (MsPanelFigure, 1));
  *pf = (MsPanelFigure) { .title = f->title, .panels = panels, .n_panels = np, .n_columns = np };
  f->chart = pf;
  return f;
}
