/* The compare view: any two runs of the study side by side, per task, on training samples and
 * held-out controls, with the difference B − A and its 95% interval, the report's: Newcombe's
 * for rates, the two-sample bootstrap for means. By default A is the first single-task run and
 * B the first mixture. */
#include "memscope-views.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "analysis/ms-stats.h"
#include "memscope-export.h"
#include "memscope-chart.h"
#include "memscope-sample.h"

/* One side's statistic over the probes of one task and split. */
typedef struct {
  gint64 n, successes;       /* successes: rate measures */
  double sum;
  GArray *values;            /* double (n): the scores, for the interval of the difference */
} Acc;

typedef struct {
  double a, b, diff, lo, hi;
  gint64 na, nb;
} Cmp;

struct _MemscopeCompare {
  GtkWidget parent;
  GtkWidget *stack, *run_a, *run_b, *probe, *measure, *bars, *diff, *grid;
  const MemscopeData *data;
  GArray *cmp;               /* Cmp, (n_tasks, 2 splits) of the last refresh */
};

G_DEFINE_FINAL_TYPE (MemscopeCompare, memscope_compare, GTK_TYPE_WIDGET)

static double
score_of (const MsStoreScores *s, MsMeasure m)
{
  switch (m)
    {
    case MS_MEASURE_EXACT: return s->exact;
    case MS_MEASURE_VERBATIM: return s->verbatim;
    case MS_MEASURE_PARAPHRASE: return s->paraphrase;
    case MS_MEASURE_IDEA: return s->idea;
    case MS_MEASURE_ANY: return s->verbatim || s->paraphrase || s->idea;
    case MS_MEASURE_TOKEN_MATCH: return s->token_match;
    case MS_MEASURE_ROUGE_L: return s->rouge_l;
    case MS_MEASURE_BLEU: return s->bleu;
    case MS_MEASURE_ALIGN_GEN_COV: return s->align_gen_cov;
    case MS_MEASURE_LCS_CHARS: return (double) s->lcs_chars;
    default: return NAN;
    }
}

/* Accumulates run RUN_ID's probes of PROBE into ACC (n_tasks × 2), by task name. */
static void
accumulate (const MemscopeData *d, gint64 run_id, const char *probe, MsMeasure m, Acc *acc)
{
  MsStoreFilter f = { .run_id = run_id, .probe = probe };
  g_autoptr (MsStoreResults) res = ms_store_results (d->store, &f, NULL);
  if (res == NULL)
    return;
  for (gsize i = 0; i < res->n; i++)
    {
      const MsStoreResult *r = &res->rows[i];
      for (guint k = 0; k < d->tasks->len; k++)
        {
          const MsStoreTask *t = g_ptr_array_index (d->tasks, k);
          if (g_strcmp0 (t->name, r->task) != 0)
            continue;
          Acc *a = &acc[k * 2 + (g_strcmp0 (r->split, "heldout") == 0)];
          double v = score_of (&r->scores, m);
          a->n++;
          a->successes += v != 0;
          a->sum += v;
          if (a->values == NULL)
            a->values = g_array_new (FALSE, FALSE, sizeof (double));
          g_array_append_val (a->values, v);
        }
    }
}

static Cmp
compare (const Acc *a, const Acc *b, MsMeasure m)
{
  Cmp c = { NAN, NAN, NAN, NAN, NAN, a->n, b->n };
  if (a->n > 0)
    c.a = a->sum / (double) a->n;
  if (b->n > 0)
    c.b = b->sum / (double) b->n;
  if (a->n == 0 || b->n == 0)
    return c;
  c.diff = c.b - c.a;
  /* The function and settings the report's tables use for a difference of two independent
   * samples (Newcombe for rates, the two-sample bootstrap for means), so that the app and the
   * report give one interval for one difference. This view used to give Welch's t interval for
   * means, which could disagree with the report's. */
  MsBootstrapParams p;
  ms_bootstrap_params_init (&p);  /* = the table's defaults (ms_study_table_options_init) */
  MsInterval iv;
  if (ms_stats_diff_independent (ms_measure_is_rate (m), (const double *) b->values->data,
                                 b->values->len, (const double *) a->values->data,
                                 a->values->len, &p, &iv, NULL))
    {
      c.lo = iv.lower;
      c.hi = iv.upper;
    }
  return c;
}

static const MsStoreRun *
run_at (const MemscopeData *d, GtkWidget *dd)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (dd));
  if (d == NULL || d->runs == NULL || i >= d->runs->len)
    return NULL;
  return g_ptr_array_index (d->runs, i);
}

static void
fmt_value (double v, MsMeasure m, char *buf, gsize size)
{
  if (!isfinite (v))
    g_strlcpy (buf, "—", size);
  else if (m == MS_MEASURE_LCS_CHARS)
    g_snprintf (buf, size, "%.1f", v);
  else
    g_snprintf (buf, size, "%.1f%%", 100 * v);
}

static void
grid_label (GtkWidget *grid, const char *text, int col, int row, gboolean numeric,
            gboolean header)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), numeric ? 1 : 0);
  if (numeric)
    gtk_widget_add_css_class (l, "numeric");
  if (header)
    gtk_widget_add_css_class (l, "heading");
  gtk_grid_attach (GTK_GRID (grid), l, col, row, 1, 1);
}

static void
fill_grid (MemscopeCompare *self, const MsStoreRun *ra, const MsStoreRun *rb, MsMeasure m)
{
  memscope_widget_unparent_children (self->grid);
  const char *heads[] = { _("Task"), _("Split"), "A", "B", _("B − A"),
                          /* xgettext:no-c-format */
                          _("95% interval") };
  for (int i = 0; i < 6; i++)
    grid_label (self->grid, heads[i], i, 0, i >= 2, TRUE);
  const MemscopeData *d = self->data;
  for (guint k = 0; k < d->tasks->len; k++)
    for (int s = 0; s < 2; s++)
      {
        const Cmp *c = &g_array_index (self->cmp, Cmp, k * 2 + s);
        int row = 1 + (int) k * 2 + s;
        char a[32], b[32], diff[32], lo[32], hi[32], iv[80];
        fmt_value (c->a, m, a, sizeof a);
        fmt_value (c->b, m, b, sizeof b);
        fmt_value (c->diff, m, diff, sizeof diff);
        fmt_value (c->lo, m, lo, sizeof lo);
        fmt_value (c->hi, m, hi, sizeof hi);
        if (isfinite (c->lo))
          g_snprintf (iv, sizeof iv, "%s … %s", lo, hi);
        else
          g_strlcpy (iv, "—", sizeof iv);
        grid_label (self->grid, s == 0 ? ((MsStoreTask *) g_ptr_array_index (d->tasks, k))->name
                                       : "", 0, row, FALSE, FALSE);
        grid_label (self->grid, memscope_split_label (s == 0 ? "train" : "heldout"), 1, row,
                    FALSE, FALSE);
        grid_label (self->grid, a, 2, row, TRUE, FALSE);
        grid_label (self->grid, b, 3, row, TRUE, FALSE);
        grid_label (self->grid, diff, 4, row, TRUE, FALSE);
        grid_label (self->grid, iv, 5, row, TRUE, FALSE);
      }
}

static void
refresh (MemscopeCompare *self)
{
  const MemscopeData *d = self->data;
  const MsStoreRun *ra = run_at (d, self->run_a), *rb = run_at (d, self->run_b);
  if (d == NULL || d->tasks == NULL || ra == NULL || rb == NULL)
    return;
  guint nt = d->tasks->len;
  MsMeasure m = (MsMeasure) gtk_drop_down_get_selected (GTK_DROP_DOWN (self->measure));
  if (m >= MS_N_MEASURES)
    m = MS_MEASURE_TOKEN_MATCH;
  const char *probe = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->probe)) == 1
                      ? "target" : "input";
  g_autofree Acc *acc_a = g_new0 (Acc, MAX (nt, 1) * 2);
  g_autofree Acc *acc_b = g_new0 (Acc, MAX (nt, 1) * 2);
  accumulate (d, ra->id, probe, m, acc_a);
  accumulate (d, rb->id, probe, m, acc_b);
  g_array_set_size (self->cmp, 0);
  for (guint i = 0; i < nt * 2; i++)
    {
      Cmp c = compare (&acc_a[i], &acc_b[i], m);
      g_array_append_val (self->cmp, c);
      g_clear_pointer (&acc_a[i].values, g_array_unref);
      g_clear_pointer (&acc_b[i].values, g_array_unref);
    }

  MsPlotFormat format = m == MS_MEASURE_LCS_CHARS ? MS_PLOT_FORMAT_AUTO : MS_PLOT_FORMAT_PERCENT;
  /* Side by side: A and B on training samples, their held-out controls hatched. */
  char *title = g_strdup_printf (_("%s: A against B, %s"), ms_measure_label (m),
                                 ms_study_probe_label (g_strcmp0 (probe, "target") == 0));
  MsFigure *p = ms_figure_new (g_strdup ("compare"), title, MS_PLOT_BARS, 900, 500);
  MsBarSeries *series = ms_figure_own (p, g_new0 (MsBarSeries, 4));
  const char **cats = ms_figure_strings (p, nt);
  for (int s = 0; s < 4; s++)
    {
      gboolean is_b = s % 2 == 1, held = s >= 2;
      double *v = ms_figure_doubles (p, nt), *lo = ms_figure_doubles (p, nt);
      double *hi = ms_figure_doubles (p, nt);
      for (guint k = 0; k < nt; k++)
        {
          const Acc *a = &(is_b ? acc_b : acc_a)[k * 2 + held];
          if (a->n == 0)
            continue;
          v[k] = a->sum / (double) a->n;
          MsInterval iv;
          if (ms_measure_is_rate (m)
              && ms_stats_wilson ((guint64) a->successes, (guint64) a->n, 0.95, &iv, NULL))
            {
              lo[k] = iv.lower;
              hi[k] = iv.upper;
            }
        }
      const char *name = is_b ? rb->name : ra->name;
      series[s] = (MsBarSeries) {
        .name = held ? ms_figure_printf (p, _("%s · held-out"), name)
                     : ms_figure_strdup (p, name),
        .values = v, .lower = ms_measure_is_rate (m) ? lo : NULL,
        .upper = ms_measure_is_rate (m) ? hi : NULL, .color = is_b ? 2 : 1, .control = held,
      };
    }
  for (guint k = 0; k < nt; k++)
    cats[k] = ms_figure_strdup (p, ((MsStoreTask *) g_ptr_array_index (d->tasks, k))->name);
  MsBarChart *c = ms_figure_own (p, g_new0 (MsBarChart, 1));
  *c = (MsBarChart) { .title = p->title, .x_label = _("Task"),
                      .y_label = ms_measure_label (m), .categories = cats, .n_categories = nt,
                      .series = series, .n_series = 4, .format = format };
  p->chart = c;
  memscope_chart_set_figure (MEMSCOPE_CHART (self->bars), p);

  /* The difference per task, training and held-out samples. */
  MsFigure *q = ms_figure_new (g_strdup ("compare-difference"),
                               /* xgettext:no-c-format */
                               g_strdup (_("B − A per task, with 95% intervals")),
                               MS_PLOT_BARS, 900, 500);
  MsBarSeries *ds = ms_figure_own (q, g_new0 (MsBarSeries, 2));
  const char **dcats = ms_figure_strings (q, nt);
  for (int s = 0; s < 2; s++)
    {
      double *v = ms_figure_doubles (q, nt), *lo = ms_figure_doubles (q, nt);
      double *hi = ms_figure_doubles (q, nt);
      for (guint k = 0; k < nt; k++)
        {
          const Cmp *cm = &g_array_index (self->cmp, Cmp, k * 2 + s);
          v[k] = cm->diff;
          lo[k] = cm->lo;
          hi[k] = cm->hi;
        }
      ds[s] = (MsBarSeries) { .name = s == 0 ? _("Training samples") : _("Held-out samples"),
                              .values = v, .lower = lo, .upper = hi, .color = s == 0 ? 3 : 8,
                              .control = s == 1 };
    }
  for (guint k = 0; k < nt; k++)
    dcats[k] = cats[k] != NULL ? ms_figure_strdup (q, cats[k]) : "";
  MsBarChart *dc = ms_figure_own (q, g_new0 (MsBarChart, 1));
  *dc = (MsBarChart) { .title = q->title, .x_label = _("Task"), .y_label = _("Difference"),
                       .categories = dcats, .n_categories = nt, .series = ds, .n_series = 2,
                       .format = format, .has_reference = TRUE, .reference = 0 };
  q->chart = dc;
  memscope_chart_set_figure (MEMSCOPE_CHART (self->diff), q);
  fill_grid (self, ra, rb, m);
}

static void
on_changed (GObject *dd, GParamSpec *pspec, gpointer user)
{
  refresh (MEMSCOPE_COMPARE (user));
}

static void
write_csv (GtkWidget *view, GString *out)
{
  MemscopeCompare *self = MEMSCOPE_COMPARE (view);
  const MemscopeData *d = self->data;
  const MsStoreRun *ra = run_at (d, self->run_a), *rb = run_at (d, self->run_b);
  static const char *const head[] = { "task", "split", "run_a", "n_a", "a", "run_b", "n_b", "b",
                                      "b_minus_a", "lower", "upper" };
  for (guint i = 0; i < G_N_ELEMENTS (head); i++)
    ms_csv_field (out, head[i], i + 1 < G_N_ELEMENTS (head) ? "," : "\r\n");
  if (ra == NULL || rb == NULL || d->tasks == NULL || self->cmp->len < d->tasks->len * 2)
    return;
  for (guint k = 0; k < d->tasks->len; k++)
    for (int s = 0; s < 2; s++)
      {
        const Cmp *c = &g_array_index (self->cmp, Cmp, k * 2 + s);
        ms_csv_field (out, ((MsStoreTask *) g_ptr_array_index (d->tasks, k))->name, ",");
        ms_csv_field (out, s == 0 ? "train" : "heldout", ",");
        ms_csv_field (out, ra->name, ",");
        ms_csv_number (out, (double) c->na, ",");
        ms_csv_number (out, c->a, ",");
        ms_csv_field (out, rb->name, ",");
        ms_csv_number (out, (double) c->nb, ",");
        ms_csv_number (out, c->b, ",");
        ms_csv_number (out, c->diff, ",");
        ms_csv_number (out, c->lo, ",");
        ms_csv_number (out, c->hi, "\r\n");
      }
}

static void
memscope_compare_dispose (GObject *object)
{
  MemscopeCompare *self = MEMSCOPE_COMPARE (object);
  memscope_widget_unparent_children (GTK_WIDGET (object));
  g_clear_pointer (&self->cmp, g_array_unref);
  G_OBJECT_CLASS (memscope_compare_parent_class)->dispose (object);
}

static void
memscope_compare_class_init (MemscopeCompareClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = memscope_compare_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
memscope_compare_init (MemscopeCompare *self)
{
  self->cmp = g_array_new (FALSE, TRUE, sizeof (Cmp));
  self->stack = gtk_stack_new ();
  gtk_widget_set_parent (self->stack, GTK_WIDGET (self));
  gtk_stack_add_named (GTK_STACK (self->stack),
                       memscope_status_page_new ("view-dual-symbolic", _("Nothing to Compare"),
                                                 _("Comparisons need a study with at least two "
                                                   "runs.")), "empty");
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_add_css_class (page, "view-page");
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  const char *none[] = { "—" };
  self->run_a = memscope_drop_down_new (none, 1, _("Run A"));
  self->run_b = memscope_drop_down_new (none, 1, _("Run B"));
  const char *measures[MS_N_MEASURES];
  for (int i = 0; i < MS_N_MEASURES; i++)
    measures[i] = ms_measure_label ((MsMeasure) i);
  self->measure = memscope_drop_down_new (measures, MS_N_MEASURES, _("Measure"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->measure), MS_MEASURE_TOKEN_MATCH);
  const char *probes[2] = { _("Input probe"), _("Target probe") };
  self->probe = memscope_drop_down_new (probes, 2, _("Probe"));
  GtkWidget *items[] = { memscope_caption_new ("A"), self->run_a, memscope_caption_new ("B"),
                         self->run_b, NULL, memscope_caption_new (_("Measure")), self->measure,
                         NULL, memscope_caption_new (_("Probe")), self->probe };
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      GtkWidget *w = items[i];
      if (w == NULL)
        {
          w = gtk_separator_new (GTK_ORIENTATION_VERTICAL);
          gtk_widget_add_css_class (w, "spacer");
        }
      gtk_box_append (GTK_BOX (bar), w);
    }
  gtk_box_append (GTK_BOX (page), bar);

  GtkWidget *charts = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_box_set_homogeneous (GTK_BOX (charts), TRUE);
  gtk_widget_set_vexpand (charts, TRUE);
  self->bars = memscope_chart_new ();
  self->diff = memscope_chart_new ();
  gtk_box_append (GTK_BOX (charts), memscope_card_new (self->bars));
  gtk_box_append (GTK_BOX (charts), memscope_card_new (self->diff));
  gtk_box_append (GTK_BOX (page), charts);

  self->grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (self->grid), 24);
  gtk_grid_set_row_spacing (GTK_GRID (self->grid), 4);
  gtk_widget_add_css_class (self->grid, "compare-table");
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "table-card");
  gtk_box_append (GTK_BOX (card), self->grid);
  gtk_box_append (GTK_BOX (page), card);
  gtk_stack_add_named (GTK_STACK (self->stack), page, "content");

  g_signal_connect (self->run_a, "notify::selected", G_CALLBACK (on_changed), self);
  g_signal_connect (self->run_b, "notify::selected", G_CALLBACK (on_changed), self);
  g_signal_connect (self->measure, "notify::selected", G_CALLBACK (on_changed), self);
  g_signal_connect (self->probe, "notify::selected", G_CALLBACK (on_changed), self);
  memscope_view_set_csv (GTK_WIDGET (self), write_csv, "compare");
}

GtkWidget *
memscope_compare_new (void)
{
  return g_object_new (MEMSCOPE_TYPE_COMPARE, NULL);
}

void
memscope_compare_set_data (MemscopeCompare *self, const MemscopeData *d)
{
  self->data = d;
  if (d == NULL || d->runs == NULL || d->runs->len < 2 || d->tasks == NULL)
    {
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
      return;
    }
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint a = 0, b = 1;
  gboolean have_single = FALSE, have_mix = FALSE;
  for (guint i = 0; i < d->runs->len; i++)
    {
      const MsStoreRun *r = g_ptr_array_index (d->runs, i);
      gtk_string_list_append (names, r->name);
      if (!have_single && g_strcmp0 (r->kind, "single") == 0)
        a = i, have_single = TRUE;
      if (!have_mix && g_strcmp0 (r->kind, "mixture") == 0)
        b = i, have_mix = TRUE;
    }
  if (a == b)
    b = a == 0 ? 1 : 0;
  g_signal_handlers_block_by_func (self->run_a, on_changed, self);
  g_signal_handlers_block_by_func (self->run_b, on_changed, self);
  gtk_drop_down_set_model (GTK_DROP_DOWN (self->run_a), G_LIST_MODEL (names));
  gtk_drop_down_set_model (GTK_DROP_DOWN (self->run_b), G_LIST_MODEL (names));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->run_a), a);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->run_b), b);
  if (d->table != NULL)
    gtk_drop_down_set_selected (GTK_DROP_DOWN (self->probe),
                                (guint) ms_study_table_default_probe (d->table));
  g_signal_handlers_unblock_by_func (self->run_a, on_changed, self);
  g_signal_handlers_unblock_by_func (self->run_b, on_changed, self);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "content");
  refresh (self);
}
