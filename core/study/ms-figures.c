/* Charts of a study built from its table: one measure with a chosen correction (the app's
 * overview), the main comparison per measure, the control- and baseline-corrected view, the
 * length-matched view, per-sample distributions, and a run's loss curves. */
#include "study/ms-figures-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#define COLOR_BASE 8      /* the palette's grey: controls */
#define COLOR_SINGLE 1

static const char **
task_names (MsFigure *f, const MsStudyTable *t)
{
  const char **names = ms_figure_strings (f, t->n_tasks);
  for (int k = 0; k < t->n_tasks; k++)
    names[k] = ms_figure_strdup (f, t->tasks[k].name);
  return names;
}

/* "n=120" under each task: the eligible training samples of PROBE ("none eligible" for 0). */
static const char **
eligible_notes (MsFigure *f, const MsStudyTable *t, int probe)
{
  const char **notes = ms_figure_strings (f, t->n_tasks);
  for (int k = 0; k < t->n_tasks; k++)
    {
      gint64 n = t->tasks[k].eligible[probe][MS_SPLIT_TRAIN];
      notes[k] = n > 0 ? ms_figure_printf (f, "n=%" G_GINT64_FORMAT, n)
                       : ms_figure_printf (f, "%s", _("n=0"));
    }
  return notes;
}

int
ms_study_group_color (const MsStudyTable *t, int g)
{
  if (t->groups[g].kind == MS_GROUP_BASE)
    return COLOR_BASE;
  if (t->groups[g].kind == MS_GROUP_SINGLE)
    return COLOR_SINGLE;
  /* Mixtures take the slots after the single-task blue, skipping the grey. */
  int mix = 0;
  for (int i = 0; i < g; i++)
    mix += t->groups[i].kind == MS_GROUP_MIXTURE;
  return 2 + mix % (MS_PLOT_PALETTE_SIZE - 2);
}

static MsPlotFormat
measure_format (MsMeasure m)
{
  return m == MS_MEASURE_LCS_CHARS ? MS_PLOT_FORMAT_AUTO : MS_PLOT_FORMAT_PERCENT;
}

static const char *
measure_axis (MsMeasure m)
{
  if (ms_measure_is_rate (m))
    return _("Flagged samples");
  return m == MS_MEASURE_LCS_CHARS ? _("Mean characters") : _("Mean score");
}

/* Bars per task of MEASURE as SHOW says, one series per group with finished runs. */
static MsBarChart *
group_bars (MsFigure *f, const MsStudyTable *t, int probe, MsMeasure m, MsStudyShow show)
{
  MsBarChart *c = ms_figure_own (f, g_new0 (MsBarChart, 1));
  MsBarSeries *series = ms_figure_own (f, g_new0 (MsBarSeries, MAX (t->n_groups, 1)));
  int ns = 0;
  for (int g = 0; g < t->n_groups; g++)
    {
      const MsStudyGroup *gr = &t->groups[g];
      /* The base model has no baseline of its own to subtract. */
      if (gr->n_runs == 0 || (show == MS_STUDY_SHOW_MINUS_BASE && gr->kind == MS_GROUP_BASE))
        continue;
      double *v = ms_figure_doubles (f, t->n_tasks), *lo = ms_figure_doubles (f, t->n_tasks);
      double *hi = ms_figure_doubles (f, t->n_tasks);
      for (int k = 0; k < t->n_tasks; k++)
        {
          const MsStudyRow *r = ms_study_table_row (t, k, g, probe, m);
          if (!gr->covers[k])
            continue;
          MsInterval iv = show == MS_STUDY_SHOW_RATE ? r->train.value
                          : show == MS_STUDY_SHOW_MINUS_HELDOUT ? r->minus_heldout
                          : r->minus_base;
          v[k] = iv.estimate;
          lo[k] = iv.lower;
          hi[k] = iv.upper;
        }
      series[ns++] = (MsBarSeries) {
        .name = gr->kind == MS_GROUP_BASE && show == MS_STUDY_SHOW_RATE
                ? ms_figure_printf (f, "%s", _("Base model (control)")) : gr->label,
        .values = v, .lower = lo, .upper = hi, .color = ms_study_group_color (t, g),
        .control = gr->kind == MS_GROUP_BASE,
      };
    }
  c->categories = task_names (f, t);
  c->annotations = eligible_notes (f, t, probe);
  c->n_categories = t->n_tasks;
  c->series = series;
  c->n_series = ns;
  c->format = measure_format (m);
  c->y_label = show == MS_STUDY_SHOW_RATE ? measure_axis (m) : _("Difference");
  if (show != MS_STUDY_SHOW_RATE)
    {
      c->has_reference = TRUE;
      c->reference = 0;
    }
  return c;
}

const char *
ms_study_probe_label (int probe)
{
  return probe == 1 ? _("target probe") : _("input probe");
}

/* The probe said in full, for the report's figure titles. */
static const char *
probe_title (int probe)
{
  return probe == 1 ? _("target probe (prompt → training output)")
                    : _("input probe (input prefix → rest of the input)");
}

/* ---- 0. one measure, one correction ------------------------------------------------------- */

MsFigure *
ms_figure_overview (const MsStudyTable *t, int probe, MsMeasure m, MsStudyShow show)
{
  static const char *const show_ids[] = { "rate", "minus-heldout", "minus-base" };
  const char *label = ms_measure_label (m), *probe_label = ms_study_probe_label (probe);
  char *title;
  switch (show)
    {
    case MS_STUDY_SHOW_MINUS_HELDOUT:
      title = g_strdup_printf (_("%s above held-out samples (control), %s"), label, probe_label);
      break;
    case MS_STUDY_SHOW_MINUS_BASE:
      title = g_strdup_printf (_("%s above the base model (baseline), %s"), label, probe_label);
      break;
    default:
      /* TRANSLATORS: chart title: a measure ("Token match"), then the probe ("target probe") */
      title = g_strdup_printf (_("%s of training samples per task, %s"), label, probe_label);
      show = MS_STUDY_SHOW_RATE;
    }
  char *id = g_strdup_printf ("overview-%s-%s-%s", ms_measure_id (m), show_ids[show],
                              ms_study_probe_name (probe));
  MsFigure *f = ms_figure_new (id, title, MS_PLOT_BARS, 900, 520);
  MsBarChart *c = group_bars (f, t, probe, m, show);
  c->title = f->title;
  /* Alone rather than a panel among others, the chart names its axis. */
  c->x_label = _("Task");
  f->chart = c;
  return f;
}

/* ---- 1. the main figure ----------------------------------------------------------------- */

MsFigure *
ms_figure_main (const MsStudyTable *t, int probe)
{
  static const MsMeasure measures[] = { MS_MEASURE_EXACT, MS_MEASURE_VERBATIM,
                                        MS_MEASURE_PARAPHRASE, MS_MEASURE_ANY,
                                        MS_MEASURE_TOKEN_MATCH, MS_MEASURE_ROUGE_L };
  const int np = G_N_ELEMENTS (measures);
  char *title = g_strdup_printf (_("Memorization of training samples per task, %s"),
                                 probe_title (probe));
  MsFigure *f = ms_figure_new (g_strdup_printf ("main-%s", ms_study_probe_name (probe)), title,
                               MS_PLOT_PANELS, 1100, 1000);
  MsPlotPanel *panels = ms_figure_own (f, g_new0 (MsPlotPanel, np));
  for (int i = 0; i < np; i++)
    {
      MsBarChart *c = group_bars (f, t, probe, measures[i], MS_STUDY_SHOW_RATE);
      c->title = ms_measure_label (measures[i]);
      panels[i] = (MsPlotPanel) { MS_PLOT_BARS, c };
    }
  MsPanelFigure *pf = ms_figure_own (f, g_new0 (MsPanelFigure, 1));
  *pf = (MsPanelFigure) { .title = f->title, .panels = panels, .n_panels = np,
                          .n_columns = 2 };
  f->chart = pf;
  return f;
}

/* ---- 2. corrected for the held-out control and the base model ----------------------------- */

MsFigure *
ms_figure_corrected (const MsStudyTable *t, int probe)
{
  static const MsMeasure measures[] = { MS_MEASURE_EXACT, MS_MEASURE_VERBATIM, MS_MEASURE_ANY,
                                        MS_MEASURE_TOKEN_MATCH };
  const int nm = G_N_ELEMENTS (measures);
  char *title = g_strdup_printf (_("Above the controls: training minus held-out samples (left) "
                                   "and minus the base model (right), %s"), probe_title (probe));
  MsFigure *f = ms_figure_new (g_strdup_printf ("corrected-%s", ms_study_probe_name (probe)),
                               title, MS_PLOT_PANELS, 1100, 1300);
  /* A row per measure, so that the two corrections of a measure sit side by side. */
  MsPlotPanel *panels = ms_figure_own (f, g_new0 (MsPlotPanel, 2 * nm));
  for (int i = 0; i < nm; i++)
    for (int col = 0; col < 2; col++)
      {
        MsStudyShow show = col == 0 ? MS_STUDY_SHOW_MINUS_HELDOUT : MS_STUDY_SHOW_MINUS_BASE;
        MsBarChart *c = group_bars (f, t, probe, measures[i], show);
        c->title = ms_figure_printf (f, col == 0 ? _("%s − held-out") : _("%s − base model"),
                                     ms_measure_label (measures[i]));
        panels[2 * i + col] = (MsPlotPanel) { MS_PLOT_BARS, c };
      }
  MsPanelFigure *pf = ms_figure_own (f, g_new0 (MsPanelFigure, 1));
  *pf = (MsPanelFigure) { .title = f->title, .panels = panels, .n_panels = 2 * nm,
                          .n_columns = 2 };
  f->chart = pf;
  return f;
}

/* ---- 3. the length-matched view ------------------------------------------------------------ */

static const char *
bin_label (MsFigure *f, gint64 lo, gint64 hi)
{
  if (lo == hi)
    return ms_figure_printf (f, "%" G_GINT64_FORMAT, lo);
  return ms_figure_printf (f, "%" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, lo, hi);
}

MsFigure *
ms_figure_length (const MsStudyTable *t, int probe, MsMeasure m)
{
  char *title = g_strdup_printf (_("Is it the output length? %s of single-task runs, %s"),
                                 ms_measure_label (m), probe_title (probe));
  MsFigure *f = ms_figure_new (g_strdup_printf ("length-%s", ms_study_probe_name (probe)), title,
                               MS_PLOT_PANELS, 1200, 520);
  /* Left: the rate in each output-length bin, one series per task. */
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < t->bins->len; i++)
    {
      const MsStudyBin *b = &g_array_index (t->bins, MsStudyBin, i);
      if (b->probe != probe || b->measure != m)
        continue;
      guint j = 0;
      while (j < keys->len && g_array_index (keys, gint64, j) < b->lo)
        j++;
      if (j == keys->len || g_array_index (keys, gint64, j) != b->lo)
        g_array_insert_val (keys, j, b->lo);
    }
  int nb = (int) keys->len;
  MsBarChart *left = ms_figure_own (f, g_new0 (MsBarChart, 1));
  const char **cats = ms_figure_strings (f, nb);
  /* A series per task with data; a task keeps its colour whichever tasks have data. */
  MsBarSeries *series = ms_figure_own (f, g_new0 (MsBarSeries, MAX (t->n_tasks, 1)));
  g_autofree int *slot = g_new (int, MAX (t->n_tasks, 1));
  int ns = 0;
  for (int k = 0; k < t->n_tasks; k++)
    {
      slot[k] = -1;
      for (guint i = 0; i < t->bins->len && slot[k] < 0; i++)
        {
          const MsStudyBin *b = &g_array_index (t->bins, MsStudyBin, i);
          if (b->task == k && b->probe == probe && b->measure == m)
            slot[k] = ns++;
        }
      if (slot[k] >= 0)
        series[slot[k]] = (MsBarSeries) { .name = ms_figure_strdup (f, t->tasks[k].name),
                                          .values = ms_figure_doubles (f, nb),
                                          .lower = ms_figure_doubles (f, nb),
                                          .upper = ms_figure_doubles (f, nb), .color = 1 + k % 7 };
    }
  for (guint i = 0; i < t->bins->len; i++)
    {
      const MsStudyBin *b = &g_array_index (t->bins, MsStudyBin, i);
      if (b->probe != probe || b->measure != m)
        continue;
      int j = 0;
      while (g_array_index (keys, gint64, j) != b->lo)
        j++;
      cats[j] = bin_label (f, b->lo, b->hi);
      MsBarSeries *sr = &series[slot[b->task]];
      ((double *) sr->values)[j] = b->stat.value.estimate;
      ((double *) sr->lower)[j] = b->stat.value.lower;
      ((double *) sr->upper)[j] = b->stat.value.upper;
    }
  *left = (MsBarChart) {
    .title = _("By output length (training samples)"), .x_label = _("Output tokens"),
    .y_label = measure_axis (m), .categories = cats, .n_categories = nb, .series = series,
    .n_series = ns, .format = measure_format (m),
  };

  /* Right: each task minus the reference task, raw and matched on length. */
  int ref = t->reference[probe];
  MsBarChart *right = ms_figure_own (f, g_new0 (MsBarChart, 1));
  const char **rcats = ms_figure_strings (f, t->n_tasks);
  const char **notes = ms_figure_strings (f, t->n_tasks);
  double *raw = ms_figure_doubles (f, t->n_tasks), *raw_lo = ms_figure_doubles (f, t->n_tasks);
  double *raw_hi = ms_figure_doubles (f, t->n_tasks), *mat = ms_figure_doubles (f, t->n_tasks);
  double *mat_lo = ms_figure_doubles (f, t->n_tasks), *mat_hi = ms_figure_doubles (f, t->n_tasks);
  int nc = 0;
  for (int k = 0; ref >= 0 && k < t->n_tasks; k++)
    {
      const MsStudyMatch *mt = ms_study_table_match (t, probe, m, k);
      if (k == ref || mt->status == MS_MATCH_NO_DATA)
        continue;
      rcats[nc] = ms_figure_strdup (f, t->tasks[k].name);
      raw[nc] = mt->raw_diff.estimate;
      raw_lo[nc] = mt->raw_diff.lower;
      raw_hi[nc] = mt->raw_diff.upper;
      if (mt->status == MS_MATCH_OK)
        {
          mat[nc] = mt->matched.diff.estimate;
          mat_lo[nc] = mt->matched.diff.lower;
          mat_hi[nc] = mt->matched.diff.upper;
          notes[nc] = ms_figure_printf (f, ngettext ("%zu bin, n=%zu", "%zu bins, n=%zu",
                                                     mt->matched.n_bins),
                                        mt->matched.n_bins, mt->matched.n_a);
        }
      else
        notes[nc] = _("no overlap");
      nc++;
    }
  MsBarSeries *rs = ms_figure_own (f, g_new0 (MsBarSeries, 2));
  rs[0] = (MsBarSeries) { .name = _("Raw difference"), .values = raw, .lower = raw_lo,
                          .upper = raw_hi, .color = COLOR_BASE, .control = TRUE };
  rs[1] = (MsBarSeries) { .name = _("Length-matched difference"), .values = mat,
                          .lower = mat_lo, .upper = mat_hi, .color = COLOR_BASE };
  *right = (MsBarChart) {
    .title = ref >= 0
             ? ms_figure_printf (f, _("Minus the reference task “%s”"), t->tasks[ref].name)
             : _("Minus the reference task"),
    .y_label = _("Difference"), .categories = rcats, .annotations = notes, .n_categories = nc,
    .series = rs, .n_series = 2, .format = measure_format (m), .has_reference = TRUE,
  };
  MsPlotPanel *panels = ms_figure_own (f, g_new0 (MsPlotPanel, 2));
  panels[0] = (MsPlotPanel) { MS_PLOT_BARS, left };
  panels[1] = (MsPlotPanel) { MS_PLOT_BARS, right };
  MsPanelFigure *pf = ms_figure_own (f, g_new0 (MsPanelFigure, 1));
  *pf = (MsPanelFigure) { .title = f->title, .panels = panels, .n_panels = 2, .n_columns = 2,
                          .own_legends = TRUE };
  f->chart = pf;
  return f;
}

/* ---- 5. per-sample distributions ----------------------------------------------------------- */

MsFigure *
ms_figure_distribution (const MsStudyTable *t, int probe)
{
  static const MsMeasure measures[] = { MS_MEASURE_TOKEN_MATCH, MS_MEASURE_LCS_CHARS };
  char *title = g_strdup_printf (_("Per-sample scores of single-task runs, training against "
                                   "held-out samples, %s"), probe_title (probe));
  MsFigure *f = ms_figure_new (g_strdup_printf ("distribution-%s", ms_study_probe_name (probe)),
                               title, MS_PLOT_PANELS, 1200, MAX (440, 120 + 50 * t->n_tasks));
  int single = ms_study_table_group_of_kind (t, MS_GROUP_SINGLE);
  MsPlotPanel *panels = ms_figure_own (f, g_new0 (MsPlotPanel, 2));
  for (int i = 0; i < 2; i++)
    {
      MsDistGroup *groups = ms_figure_own (f, g_new0 (MsDistGroup, MAX (2 * t->n_tasks, 1)));
      int ng = 0;
      for (int k = 0; k < t->n_tasks; k++)
        for (int s = 0; s < MS_N_SPLITS; s++)
          {
            gsize n = 0;
            const double *v = ms_study_table_values (t, k, single, probe, s, measures[i], &n);
            if (n == 0)
              continue;
            groups[ng++] = (MsDistGroup) {
              .name = ms_figure_printf (f, s == MS_SPLIT_TRAIN ? _("%s · train")
                                                               : _("%s · held-out"),
                                        t->tasks[k].name),
              .values = ms_figure_own (f, g_memdup2 (v, n * sizeof (double))), .n = (int) n,
              .color = s == MS_SPLIT_TRAIN ? COLOR_SINGLE : COLOR_BASE,
            };
          }
      MsDistChart *c = ms_figure_own (f, g_new0 (MsDistChart, 1));
      *c = (MsDistChart) { .title = ms_measure_label (measures[i]),
                           .value_label = measures[i] == MS_MEASURE_LCS_CHARS
                                          ? _("Characters") : _("Score"),
                           .groups = groups,
                           .n_groups = ng, .style = MS_PLOT_DIST_BOX | MS_PLOT_DIST_STRIP,
                           .horizontal = TRUE, .format = measure_format (measures[i]) };
      panels[i] = (MsPlotPanel) { MS_PLOT_DIST, c };
    }
  MsPanelFigure *pf = ms_figure_own (f, g_new0 (MsPanelFigure, 1));
  *pf = (MsPanelFigure) { .title = f->title, .panels = panels, .n_panels = 2, .n_columns = 2 };
  f->chart = pf;
  return f;
}

/* ---- 4. loss curves ----------------------------------------------------------------------- */

MsFigure *
ms_figure_curves (MsStore *store, gint64 run_id, GError **error)
{
  g_autoptr (MsStoreRun) run = ms_store_get_run (store, run_id, error);
  if (run == NULL)
    return NULL;
  g_autoptr (GArray) pts = ms_store_get_curve (store, run_id, NULL, error);
  if (pts == NULL)
    return NULL;
  g_autoptr (GPtrArray) tasks = ms_store_list_tasks (store, run->study_id, error);
  if (tasks == NULL)
    return NULL;
  MsFigure *f = ms_figure_new (g_strdup ("curves"),
                               g_strdup_printf (_("Loss of run “%s”"), run->name),
                               MS_PLOT_LINES, 800, 460);
  /* One series per (kind, task), in the order the store returns them (train first). */
  g_autoptr (GArray) keys = g_array_new (FALSE, FALSE, sizeof (gint64));  /* task*2 + eval */
  for (guint i = 0; i < pts->len; i++)
    {
      const MsStoreCurvePoint *p = &g_array_index (pts, MsStoreCurvePoint, i);
      gint64 key = p->task_id * 2 + (strcmp (p->kind, "eval") == 0);
      guint j = 0;
      while (j < keys->len && g_array_index (keys, gint64, j) != key)
        j++;
      if (j == keys->len)
        g_array_append_val (keys, key);
    }
  int ns = (int) keys->len;
  MsLineSeries *series = ms_figure_own (f, g_new0 (MsLineSeries, MAX (ns, 1)));
  for (int j = 0; j < ns; j++)
    {
      gint64 key = g_array_index (keys, gint64, j), task_id = key / 2;
      gboolean eval = key % 2;
      const char *task = NULL;
      int task_index = 0;
      for (guint k = 0; k < tasks->len; k++)
        if (((MsStoreTask *) tasks->pdata[k])->id == task_id)
          task = ((MsStoreTask *) tasks->pdata[k])->name, task_index = (int) k + 1;
      int n = 0;
      for (guint i = 0; i < pts->len; i++)
        {
          const MsStoreCurvePoint *p = &g_array_index (pts, MsStoreCurvePoint, i);
          n += p->task_id * 2 + (strcmp (p->kind, "eval") == 0) == key;
        }
      double *x = ms_figure_doubles (f, n), *y = ms_figure_doubles (f, n);
      int c = 0;
      for (guint i = 0; i < pts->len; i++)
        {
          const MsStoreCurvePoint *p = &g_array_index (pts, MsStoreCurvePoint, i);
          if (p->task_id * 2 + (strcmp (p->kind, "eval") == 0) != key)
            continue;
          x[c] = (double) p->step;
          y[c++] = p->loss;
        }
      const char *name;
      if (task)
        name = ms_figure_printf (f, eval ? _("%s, evaluation") : _("%s, training"), task);
      else
        name = eval ? _("Evaluation") : _("Training");
      series[j] = (MsLineSeries) { .name = name, .x = x, .y = y, .n = n, .dashed = eval,
                                   .markers = eval && n <= 40,
                                   .color = task ? 2 + (task_index - 1) % 6
                                                 : (eval ? 2 : COLOR_SINGLE) };
    }
  MsLineChart *c = ms_figure_own (f, g_new0 (MsLineChart, 1));
  *c = (MsLineChart) { .title = f->title, .x_label = _("Step"),
                       .y_label = _("Cross-entropy (nats/token)"), .series = series,
                       .n_series = ns, .log_y = TRUE };
  f->chart = c;
  return f;
}
