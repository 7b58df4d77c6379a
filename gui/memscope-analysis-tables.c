/* The analysis views' tables: the numbers behind their charts, with intervals, as label grids
 * for the screen and as CSV for export. Undefined numbers (too few samples, a constant measure)
 * show as a dash and export as empty fields. */
#include "memscope-analysis-tables.h"

#include <glib/gi18n.h>
#include <math.h>

#include "memscope-export.h"
#include "memscope-views.h"
#include "probe/ms-mia.h"

static void
cell (GtkWidget *grid, const char *text, int col, int row, gboolean numeric, gboolean header)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), numeric ? 1 : 0);
  gtk_label_set_selectable (GTK_LABEL (l), !header);
  gtk_widget_set_hexpand (l, !numeric);
  if (numeric)
    gtk_widget_add_css_class (l, "numeric");
  if (header)
    gtk_widget_add_css_class (l, "caption-heading");
  gtk_grid_attach (GTK_GRID (grid), l, col, row, 1, 1);
}

static void
header (GtkWidget *grid, const char *const *heads, int n, int first_numeric)
{
  memscope_widget_unparent_children (grid);
  for (int i = 0; i < n; i++)
    cell (grid, heads[i], i, 0, i >= first_numeric, TRUE);
}

/* V with FORMAT ("%.2f"), or a dash when it is not a number. */
static void
num (char *buf, gsize size, const char *format, double v)
{
  if (isfinite (v))
    g_snprintf (buf, size, format, v);
  else
    g_strlcpy (buf, "—", size);
}

static void
interval (char *buf, gsize size, const char *format, double lo, double hi)
{
  if (!isfinite (lo) || !isfinite (hi))
    {
      g_strlcpy (buf, "—", size);
      return;
    }
  char a[32], b[32];
  g_snprintf (a, sizeof a, format, lo);
  g_snprintf (b, sizeof b, format, hi);
  g_snprintf (buf, size, "%s … %s", a, b);
}

static void
p_value (char *buf, gsize size, double p)
{
  if (!isfinite (p))
    g_strlcpy (buf, "—", size);
  else if (p < 0.001)
    g_strlcpy (buf, "< 0.001", size);
  else
    g_snprintf (buf, size, "%.3f", p);
}

static const char *
run_name (const MsAnalysisTable *a, int run)
{
  const MsStoreRun *r = g_ptr_array_index (a->table->runs, run);
  return r->name;
}

/* Row K of the correlation table: a task (K >= 0), the pooled samples (-1), across tasks (-2). */
static const MsWhyCorr *
why_row (const MsWhy *w, int k)
{
  return k == -2 ? &w->across : k == -1 ? &w->pooled : &w->within[k];
}

/* "+0.41 [+0.12, +0.63]", the interval left out where it is undefined. */
static void
coefficient (char *buf, gsize size, const MsCorrelation *c, gboolean defined)
{
  if (!defined || !isfinite (c->r.estimate))
    g_strlcpy (buf, "—", size);
  else if (isfinite (c->r.lower) && isfinite (c->r.upper))
    g_snprintf (buf, size, "%+.2f [%+.2f, %+.2f]", c->r.estimate, c->r.lower, c->r.upper);
  else
    g_snprintf (buf, size, "%+.2f", c->r.estimate);
}

void
memscope_analysis_fill_why (GtkWidget *grid, const MsAnalysisTable *a, const MsWhy *w,
                            const char *mean_header)
{
  /* TRANSLATORS: the first column of the correlation table: whose samples (a task's, all
   * tasks' pooled, the task means) */
  const char *heads[] = { _("Samples"), "n",
                          /* xgettext:no-c-format */
                          _("Spearman ρ [95% interval]"), _("p-value"),
                          /* xgettext:no-c-format */
                          _("Pearson r [95% interval]"), mean_header, _("Mean token match") };
  header (grid, heads, G_N_ELEMENTS (heads), 1);
  int n_tasks = a->table->n_tasks, row = 1;
  /* Each task, then every task's samples pooled (-1), then the task means (-2). */
  for (int i = 0; i < n_tasks + 2; i++, row++)
    {
      int k = i < n_tasks ? i : n_tasks - i - 1;
      const MsWhyCorr *c = why_row (w, k);
      char n[32], rho[80], p[32], r[80], mean[32] = "", memo[32] = "";
      g_snprintf (n, sizeof n, "%" G_GSIZE_FORMAT, c->n);
      coefficient (rho, sizeof rho, &c->spearman, c->defined);
      p_value (p, sizeof p, c->defined ? c->spearman.p_value : NAN);
      coefficient (r, sizeof r, &c->pearson, c->defined);
      g_autofree char *label = NULL;
      if (k >= 0)
        {
          num (mean, sizeof mean, "%.3g", w->tasks[k].measure);
          num (memo, sizeof memo, "%.1f%%", 100 * w->tasks[k].memorization);
          label = g_strdup (a->table->tasks[k].name);
        }
      else
        label = g_strdup (k == -1 ? _("All tasks pooled") : _("Across tasks (means, n ≥ 5)"));
      const char *cells[] = { label, n, rho, p, r, mean, memo };
      for (guint j = 0; j < G_N_ELEMENTS (cells); j++)
        cell (grid, cells[j], j, row, j > 0, FALSE);
    }
}

void
memscope_analysis_fill_mia (GtkWidget *grid, const MsAnalysisTable *a, int signal)
{
  const char *heads[] = { _("Run"), _("Task"), _("Training"), _("Held-out"), _("ROC AUC"),
                          /* xgettext:no-c-format */
                          _("95% interval"),
                          /* xgettext:no-c-format */
                          _("TPR at 1% FPR") };
  header (grid, heads, G_N_ELEMENTS (heads), 2);
  int row = 1;
  for (guint i = 0; i < a->mia->len; i++)
    {
      const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
      if (r->signal != signal)
        continue;
      char members[32], non[32], auc[32], iv[80], tpr[32];
      g_snprintf (members, sizeof members, "%" G_GINT64_FORMAT, r->n_members);
      g_snprintf (non, sizeof non, "%" G_GINT64_FORMAT, r->n_nonmembers);
      num (auc, sizeof auc, "%.3f", r->auc);
      interval (iv, sizeof iv, "%.3f", r->auc_lower, r->auc_upper);
      num (tpr, sizeof tpr, "%.1f%%", 100 * r->tpr_at_1);
      const char *cells[] = { run_name (a, r->run), a->table->tasks[r->task].name, members, non,
                              auc, iv, tpr };
      for (guint c = 0; c < G_N_ELEMENTS (cells); c++)
        cell (grid, cells[c], c, row, c >= 2, FALSE);
      row++;
    }
}

void
memscope_analysis_fill_canaries (GtkWidget *grid, const MsAnalysisTable *a)
{
  const char *heads[] = { _("Run"), _("Repeats"), _("Canaries"), _("Mean exposure"),
                          _("Range"), _("Normal fit") };
  header (grid, heads, G_N_ELEMENTS (heads), 1);
  for (guint i = 0; i < a->canaries->len; i++)
    {
      const MsCanaryResult *c = &g_array_index (a->canaries, MsCanaryResult, i);
      char rep[32], n[32], mean[32], range[80], normal[32];
      g_snprintf (rep, sizeof rep, "%d", c->repeats);
      g_snprintf (n, sizeof n, "%d", c->n);
      /* TRANSLATORS: exposure in bits, e.g. "7.6 bits" */
      num (mean, sizeof mean, _("%.1f bits"), c->exposure_mean);
      interval (range, sizeof range, "%.1f", c->exposure_min, c->exposure_max);
      num (normal, sizeof normal, _("%.1f bits"), c->normal_mean);
      const char *cells[] = { run_name (a, c->run), rep, n, mean, range, normal };
      for (guint k = 0; k < G_N_ELEMENTS (cells); k++)
        cell (grid, cells[k], k, (int) i + 1, k >= 1, FALSE);
    }
}

static void
csv_header (GString *out, const char *const *heads, guint n)
{
  for (guint i = 0; i < n; i++)
    ms_csv_field (out, heads[i], i + 1 < n ? "," : "\r\n");
}

void
memscope_analysis_csv_why (GString *out, const MsAnalysisTable *a, const MsWhy *w)
{
  static const char *const heads[] = { "measure", "probe", "samples_of", "n", "spearman",
                                       "spearman_lower", "spearman_upper", "p_value", "pearson",
                                       "pearson_lower", "pearson_upper", "mean_measure",
                                       "mean_memorization" };
  csv_header (out, heads, G_N_ELEMENTS (heads));
  if (w == NULL)
    return;
  for (int i = 0; i < a->table->n_tasks + 2; i++)
    {
      /* Tasks first, then pooled (-1), then across tasks (-2). */
      int k = i < a->table->n_tasks ? i : a->table->n_tasks - i - 1;
      const MsWhyCorr *c = why_row (w, k);
      ms_csv_field (out, w->name, ",");
      ms_csv_field (out, ms_study_probe_name (w->probe), ",");
      ms_csv_field (out, k >= 0 ? a->table->tasks[k].name
                               : k == -1 ? "pooled" : "across tasks", ",");
      ms_csv_number (out, (double) c->n, ",");
      ms_csv_number (out, c->defined ? c->spearman.r.estimate : NAN, ",");
      ms_csv_number (out, c->defined ? c->spearman.r.lower : NAN, ",");
      ms_csv_number (out, c->defined ? c->spearman.r.upper : NAN, ",");
      ms_csv_number (out, c->defined ? c->spearman.p_value : NAN, ",");
      ms_csv_number (out, c->defined ? c->pearson.r.estimate : NAN, ",");
      ms_csv_number (out, c->defined ? c->pearson.r.lower : NAN, ",");
      ms_csv_number (out, c->defined ? c->pearson.r.upper : NAN, ",");
      ms_csv_number (out, k >= 0 ? w->tasks[k].measure : NAN, ",");
      ms_csv_number (out, k >= 0 ? w->tasks[k].memorization : NAN, "\r\n");
    }
}

void
memscope_analysis_csv_mia (GString *out, const MsAnalysisTable *a)
{
  static const char *const heads[] = { "run", "task", "signal", "members", "nonmembers", "auc",
                                       "auc_lower", "auc_upper", "tpr_at_1pct_fpr" };
  csv_header (out, heads, G_N_ELEMENTS (heads));
  for (guint i = 0; a != NULL && i < a->mia->len; i++)
    {
      const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
      ms_csv_field (out, run_name (a, r->run), ",");
      ms_csv_field (out, a->table->tasks[r->task].name, ",");
      ms_csv_field (out, ms_mia_signal_name ((MsMiaSignal) r->signal), ",");
      ms_csv_number (out, (double) r->n_members, ",");
      ms_csv_number (out, (double) r->n_nonmembers, ",");
      ms_csv_number (out, r->auc, ",");
      ms_csv_number (out, r->auc_lower, ",");
      ms_csv_number (out, r->auc_upper, ",");
      ms_csv_number (out, r->tpr_at_1, "\r\n");
    }
}

void
memscope_analysis_csv_canaries (GString *out, const MsAnalysisTable *a)
{
  static const char *const heads[] = { "run", "repeats", "canaries", "exposure_mean",
                                       "exposure_min", "exposure_max", "exposure_normal_mean",
                                       "max_exposure", "sampled_rank_saturation" };
  csv_header (out, heads, G_N_ELEMENTS (heads));
  for (guint i = 0; a != NULL && i < a->canaries->len; i++)
    {
      const MsCanaryResult *c = &g_array_index (a->canaries, MsCanaryResult, i);
      ms_csv_field (out, run_name (a, c->run), ",");
      ms_csv_number (out, c->repeats, ",");
      ms_csv_number (out, c->n, ",");
      ms_csv_number (out, c->exposure_mean, ",");
      ms_csv_number (out, c->exposure_min, ",");
      ms_csv_number (out, c->exposure_max, ",");
      ms_csv_number (out, c->normal_mean, ",");
      ms_csv_number (out, c->max_exposure, ",");
      ms_csv_number (out, c->saturation, "\r\n");
    }
}
