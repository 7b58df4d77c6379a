/* The analysis views: attention and sparse codes set against memorization, and membership
 * inference with canary exposure. Each shows one chart at a time, chosen among those its study
 * has data for (the report's figures of ms-analysis.h), the numbers behind it in a table, and
 * says "not computed" while the study has no such analysis. For screenshots and tests, the
 * environment variable MEMSCOPE_ANALYSIS_CHART (a chart id: "attention-map", "mia-roc", ...)
 * picks the chart a view starts on. */
#include "memscope-views.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "memscope-analysis-tables.h"
#include "memscope-chart.h"
#include "memscope-export.h"
#include "probe/ms-mia.h"

typedef enum {
  CHART_ATTENTION_TASKS,
  CHART_ATTENTION_SCATTER,
  CHART_ATTENTION_HEADS,
  CHART_ATTENTION_MAP,
  CHART_SPARSE_TASKS,
  CHART_SPARSE_SCATTER,
  CHART_MIA_AUC,
  CHART_MIA_ROC,
  CHART_CANARIES,
  N_CHARTS
} Chart;

/* The ids are the figures' file stems, so an exported chart is named as the report's. */
static const char *const chart_ids[N_CHARTS] = {
  "attention-tasks", "attention-scatter", "attention-heads", "attention-map", "sparse-tasks",
  "sparse-scatter", "mia-auc", "mia-roc", "canaries",
};

struct _MemscopeAnalysis {
  GtkWidget parent;
  MemscopeAnalysisKind kind;
  GtkWidget *stack, *empty, *failed;
  GtkWidget *chart_dd, *signal_box, *signal_dd, *sample_box, *sample_dd;
  GtkWidget *chart, *caption, *table_card, *table_title, *grid;
  const MemscopeData *data;
  const MsAnalysisTable *seen;   /* the analysis the choices below were made for */
  Chart offered[N_CHARTS];       /* the charts in chart_dd, by position */
  guint n_offered;
  Chart want;                    /* the chart last chosen, kept when the study changes */
  GArray *maps;                  /* gint64: generation ids with a stored map, by sample_dd
                                  * position */
  gboolean filling;              /* the drop-downs are being refilled: no refresh */
};

G_DEFINE_FINAL_TYPE (MemscopeAnalysis, memscope_analysis, GTK_TYPE_WIDGET)

static const char *
chart_label (Chart c)
{
  switch (c)
    {
    case CHART_ATTENTION_TASKS: return _("Entropy per task");
    case CHART_ATTENTION_SCATTER: return _("Memorization against entropy");
    case CHART_ATTENTION_HEADS: return _("Layer × head correlations");
    case CHART_ATTENTION_MAP: return _("Attention map of one sample");
    case CHART_SPARSE_TASKS: return _("Active atoms per task");
    case CHART_SPARSE_SCATTER: return _("Memorization against active atoms");
    case CHART_MIA_AUC: return _("ROC AUC per task");
    case CHART_MIA_ROC: return _("ROC curves");
    case CHART_CANARIES: return _("Canary exposure");
    default: return "";
    }
}

/* What the chart shows and how to read it, under the chart. */
static char *
chart_caption (MemscopeAnalysis *self, Chart c)
{
  const MsAnalysisTable *a = self->data->analysis;
  switch (c)
    {
    case CHART_ATTENTION_TASKS:
      return g_strdup (_("Entropy of the last layer's attention over the prompt, averaged over "
                         "heads and normalized so that 1 is attention spread evenly over every "
                         "earlier token: one point per training sample of the single-task "
                         "runs."));
    case CHART_ATTENTION_SCATTER:
    case CHART_SPARSE_SCATTER:
      return g_strdup_printf (_("One point per training sample: the measure against how much of "
                                "the sample its single-task run reproduced (token match, %s). "
                                "Spearman’s ρ with a 95%% paired-bootstrap interval; the line is "
                                "a least-squares fit."), ms_study_probe_label (a->probe));
    case CHART_ATTENTION_HEADS:
      return g_strdup (_("For each layer and head, Spearman’s ρ between that head’s attention "
                         "entropy and memorization over every training sample of the "
                         "single-task runs: dark where flatter attention goes with less "
                         "memorization, bright where it goes with more."));
    case CHART_ATTENTION_MAP:
      return g_strdup (_("Each row is a token of the probe, each column a token it can attend "
                         "to, the colour how much it does; later tokens are masked. Stored for "
                         "a few samples of each run."));
    case CHART_SPARSE_TASKS:
      return g_strdup_printf (_("Atoms of the dictionary learned on run “%s” needed to "
                                "reconstruct each training sample’s hidden states to the "
                                "study’s fixed error: fewer atoms, a simpler code."),
                              a->sparse_run != NULL ? a->sparse_run : "?");
    case CHART_MIA_AUC:
      /* xgettext:no-c-format */
      return g_strdup (_("How well the chosen score tells the training samples of a task from "
                         "its held-out samples: 0.5 is chance, 1 separates them perfectly. "
                         "Seeds of a run group are averaged; whiskers span their 95% "
                         "bootstrap intervals."));
    case CHART_MIA_ROC:
      return g_strdup (_("True against false positive rate of the chosen score on the "
                         "single-task runs, one curve per task; the diagonal is chance."));
    case CHART_CANARIES:
      return g_strdup (_("Random secrets inserted into the training data once or several "
                         "times: exposure is log2 of the candidate space minus log2 of the "
                         "secret’s rank among sampled candidates, so it saturates at the bound "
                         "in the title; the table also gives the normal-fit extrapolation."));
    default:
      return g_strdup ("");
    }
}

static Chart
selected_chart (MemscopeAnalysis *self)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->chart_dd));
  return i < self->n_offered ? self->offered[i] : N_CHARTS;
}

static int
selected_signal (MemscopeAnalysis *self)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->signal_dd));
  return i < MS_MIA_N ? (int) i : MS_MIA_LOSS;
}

/* The chart C of the analysis, or NULL (nothing to draw, or ERROR set: a stored attention map
 * that cannot be read). */
static MsFigure *
build_figure (MemscopeAnalysis *self, Chart c, MsPlotKind *kind, GError **error)
{
  const MsAnalysisTable *a = self->data->analysis;
  int signal = selected_signal (self);
  static const MsPlotKind kinds[N_CHARTS] = {
    MS_PLOT_DIST, MS_PLOT_SCATTER, MS_PLOT_HEATMAP, MS_PLOT_HEATMAP, MS_PLOT_DIST,
    MS_PLOT_SCATTER, MS_PLOT_BARS, MS_PLOT_LINES, MS_PLOT_LINES,
  };
  *kind = kinds[c];
  switch (c)
    {
    case CHART_ATTENTION_TASKS: return ms_figure_attention_tasks (a);
    case CHART_ATTENTION_SCATTER: return ms_figure_attention_scatter (a);
    case CHART_ATTENTION_HEADS: return ms_figure_attention_heads (a);
    case CHART_ATTENTION_MAP:
      {
        guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->sample_dd));
        if (i >= self->maps->len)
          return NULL;
        return ms_figure_attention_map (self->data->store,
                                        g_array_index (self->maps, gint64, i), error);
      }
    case CHART_SPARSE_TASKS: return ms_figure_sparse_tasks (a);
    case CHART_SPARSE_SCATTER: return ms_figure_sparse_scatter (a);
    case CHART_MIA_AUC: return ms_figure_mia_auc (a, signal);
    case CHART_MIA_ROC: return ms_figure_mia_roc (a, signal);
    case CHART_CANARIES: return ms_figure_canaries (a);
    default: return NULL;
    }
}

/* The table under the chart: the correlations of the view's measure, or the membership or
 * canary numbers of the chart shown. */
static void
fill_table (MemscopeAnalysis *self, Chart c)
{
  const MsAnalysisTable *a = self->data->analysis;
  const MsWhy *w = self->kind == MEMSCOPE_ANALYSIS_ATTENTION ? a->attention
                   : self->kind == MEMSCOPE_ANALYSIS_SPARSE ? a->sparse : NULL;
  if (w != NULL)
    {
      g_autofree char *title = g_strdup_printf (
          /* TRANSLATORS: %s: a measure ("attention entropy"), then a probe ("target probe") */
          _("Correlation of %s with memorization (token match, %s) per training sample of "
            "the single-task runs"), _(w->name), ms_study_probe_label (w->probe));
      gtk_label_set_text (GTK_LABEL (self->table_title), title);
      memscope_analysis_fill_why (self->grid, a, w,
                                  self->kind == MEMSCOPE_ANALYSIS_ATTENTION
                                  ? _("Mean entropy") : _("Mean atoms"));
    }
  else if (self->kind == MEMSCOPE_ANALYSIS_MEMBERSHIP && c == CHART_CANARIES)
    {
      gtk_label_set_text (GTK_LABEL (self->table_title),
                          _("Canary exposure per run and number of insertions"));
      memscope_analysis_fill_canaries (self->grid, a);
    }
  else if (self->kind == MEMSCOPE_ANALYSIS_MEMBERSHIP)
    {
      GtkStringObject *s = gtk_drop_down_get_selected_item (GTK_DROP_DOWN (self->signal_dd));
      g_autofree char *title = g_strdup_printf (
          /* TRANSLATORS: %s: a score of the drop-down ("Loss", "zlib ratio") */
          _("Membership inference per run and task, training against held-out samples "
            "(score: %s)"), s != NULL ? gtk_string_object_get_string (s) : "");
      gtk_label_set_text (GTK_LABEL (self->table_title), title);
      memscope_analysis_fill_mia (self->grid, a, selected_signal (self));
    }
  else
    {
      /* Attention maps without statistics: nothing to correlate. */
      gtk_label_set_text (GTK_LABEL (self->table_title), "");
      memscope_widget_unparent_children (self->grid);
    }
}

static void
refresh (MemscopeAnalysis *self)
{
  if (self->filling || self->data == NULL || self->data->analysis == NULL)
    return;
  Chart c = selected_chart (self);
  if (c == N_CHARTS)
    return;
  self->want = c;
  gtk_widget_set_visible (self->sample_box, c == CHART_ATTENTION_MAP);
  /* The correlations are not about one sample's map, which needs the room. */
  gtk_widget_set_visible (self->table_card, c != CHART_ATTENTION_MAP);
  gtk_widget_set_sensitive (self->signal_box, c == CHART_MIA_AUC || c == CHART_MIA_ROC);
  MsPlotKind kind;
  g_autoptr (GError) error = NULL;
  MsFigure *fig = build_figure (self, c, &kind, &error);
  /* Nothing to draw: the chart's frame and "No data", titled as the drop-down names it. */
  if (fig == NULL)
    fig = ms_figure_new_empty (g_strdup (chart_ids[c]), g_strdup (chart_label (c)), kind, 800,
                               500);
  memscope_chart_set_figure (MEMSCOPE_CHART (self->chart), fig);
  /* Where the chart could not be read, the caption says why. */
  g_autofree char *caption = error != NULL ? g_strdup (error->message) : chart_caption (self, c);
  gtk_label_set_text (GTK_LABEL (self->caption), caption);
  fill_table (self, c);
}

static void
on_changed (GObject *dd, GParamSpec *pspec, gpointer user)
{
  refresh (MEMSCOPE_ANALYSIS (user));
}

static void
write_csv (GtkWidget *view, GString *out)
{
  MemscopeAnalysis *self = MEMSCOPE_ANALYSIS (view);
  const MsAnalysisTable *a = self->data != NULL ? self->data->analysis : NULL;
  switch (self->kind)
    {
    case MEMSCOPE_ANALYSIS_ATTENTION:
      memscope_analysis_csv_why (out, a, a != NULL ? a->attention : NULL);
      break;
    case MEMSCOPE_ANALYSIS_SPARSE:
      memscope_analysis_csv_why (out, a, a != NULL ? a->sparse : NULL);
      break;
    default:
      if (selected_chart (self) == CHART_CANARIES)
        memscope_analysis_csv_canaries (out, a);
      else
        memscope_analysis_csv_mia (out, a);
    }
}

/* ---- Choices ------------------------------------------------------------------------------ */

/* The probes of the study whose attention map is stored, as "run · record" in the sample
 * drop-down; a single-task run's first map is chosen, the run whose memorization the other
 * charts use. */
static void
fill_maps (MemscopeAnalysis *self)
{
  const MemscopeData *d = self->data;
  g_array_set_size (self->maps, 0);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint chosen = 0;
  /* A store older than the maps has no such table: no maps. */
  g_autoptr (GPtrArray) q = ms_store_study_attention_maps (d->store, d->study->id, NULL);
  gboolean both_probes = FALSE, have_single = FALSE;
  for (guint i = 0; q != NULL && i < q->len; i++)
    both_probes |= g_strcmp0 (((MsStoreMapEntry *) q->pdata[i])->probe,
                              ((MsStoreMapEntry *) q->pdata[0])->probe) != 0;
  for (guint i = 0; q != NULL && i < q->len; i++)
    {
      const MsStoreMapEntry *row = q->pdata[i];
      g_array_append_val (self->maps, row->generation_id);
      g_autofree char *label = both_probes
          ? g_strdup_printf ("%s · %s · %s", row->run, row->record_id,
                             ms_study_probe_label (g_strcmp0 (row->probe, "target") == 0))
          : g_strdup_printf ("%s · %s", row->run, row->record_id);
      gtk_string_list_append (names, label);
      if (!have_single && g_strcmp0 (row->run_kind, "single") == 0)
        chosen = i, have_single = TRUE;
    }
  gtk_drop_down_set_model (GTK_DROP_DOWN (self->sample_dd), G_LIST_MODEL (names));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->sample_dd), chosen);
}

static gboolean
chart_available (MemscopeAnalysis *self, Chart c)
{
  const MsAnalysisTable *a = self->data->analysis;
  switch (c)
    {
    case CHART_ATTENTION_TASKS:
    case CHART_ATTENTION_SCATTER:
      return a->attention != NULL && a->attention->n > 0;
    case CHART_ATTENTION_HEADS: return a->head_rho != NULL;
    case CHART_ATTENTION_MAP: return self->maps->len > 0;
    case CHART_SPARSE_TASKS:
    case CHART_SPARSE_SCATTER:
      return a->sparse != NULL && a->sparse->n > 0;
    case CHART_MIA_AUC:
    case CHART_MIA_ROC:
      return a->mia->len > 0;
    case CHART_CANARIES: return a->canaries->len > 0;
    default: return FALSE;
    }
}

/* Offers the charts of the view's kind that the analysis has data for, keeping the chart shown
 * when it is still offered; FALSE when there is none. */
static gboolean
fill_charts (MemscopeAnalysis *self)
{
  Chart keep = self->want;
  Chart first = self->kind == MEMSCOPE_ANALYSIS_ATTENTION ? CHART_ATTENTION_TASKS
                : self->kind == MEMSCOPE_ANALYSIS_SPARSE ? CHART_SPARSE_TASKS : CHART_MIA_AUC;
  Chart last = self->kind == MEMSCOPE_ANALYSIS_ATTENTION ? CHART_ATTENTION_MAP
               : self->kind == MEMSCOPE_ANALYSIS_SPARSE ? CHART_SPARSE_SCATTER : CHART_CANARIES;
  if (self->kind == MEMSCOPE_ANALYSIS_ATTENTION)
    fill_maps (self);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint chosen = 0;
  self->n_offered = 0;
  for (Chart c = first; c <= last; c++)
    if (chart_available (self, c))
      {
        if (c == keep)
          chosen = self->n_offered;
        self->offered[self->n_offered++] = c;
        gtk_string_list_append (names, chart_label (c));
      }
  gtk_drop_down_set_model (GTK_DROP_DOWN (self->chart_dd), G_LIST_MODEL (names));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->chart_dd), chosen);
  return self->n_offered > 0;
}

/* ---- Life cycle --------------------------------------------------------------------------- */

static void
memscope_analysis_dispose (GObject *object)
{
  MemscopeAnalysis *self = MEMSCOPE_ANALYSIS (object);
  memscope_widget_unparent_children (GTK_WIDGET (object));
  g_clear_pointer (&self->maps, g_array_unref);
  G_OBJECT_CLASS (memscope_analysis_parent_class)->dispose (object);
}

static void
memscope_analysis_class_init (MemscopeAnalysisClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = memscope_analysis_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
memscope_analysis_init (MemscopeAnalysis *self)
{
  self->maps = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->want = N_CHARTS;
  const char *env = g_getenv ("MEMSCOPE_ANALYSIS_CHART");
  for (int c = 0; env != NULL && c < N_CHARTS; c++)
    if (g_strcmp0 (env, chart_ids[c]) == 0)
      self->want = (Chart) c;
}

static GtkWidget *
labelled (const char *caption, GtkWidget *control)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *sp = gtk_separator_new (GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class (sp, "spacer");
  gtk_box_append (GTK_BOX (box), sp);
  gtk_box_append (GTK_BOX (box), memscope_caption_new (caption));
  gtk_box_append (GTK_BOX (box), control);
  return box;
}

/* The controls, the chart, its caption and the table. */
static GtkWidget *
build_content (MemscopeAnalysis *self)
{
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_add_css_class (page, "view-page");
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  const char *none[] = { "—" };
  self->chart_dd = memscope_drop_down_new (none, 1, _("Chart"));
  gtk_box_append (GTK_BOX (bar), memscope_caption_new (_("Chart")));
  gtk_box_append (GTK_BOX (bar), self->chart_dd);
  const char *signals[MS_MIA_N] = { _("Loss"), _("Reference ratio"), _("zlib ratio"),
                                    /* xgettext:no-c-format */
                                    _("Min-K% probability") };
  self->signal_dd = memscope_drop_down_new (signals, MS_MIA_N, _("Score"));
  self->signal_box = labelled (_("Score"), self->signal_dd);
  gtk_widget_set_visible (self->signal_box, self->kind == MEMSCOPE_ANALYSIS_MEMBERSHIP);
  gtk_box_append (GTK_BOX (bar), self->signal_box);
  self->sample_dd = memscope_drop_down_new (none, 1, _("Sample"));
  self->sample_box = labelled (_("Sample"), self->sample_dd);
  gtk_widget_set_visible (self->sample_box, FALSE);
  gtk_box_append (GTK_BOX (bar), self->sample_box);
  gtk_box_append (GTK_BOX (page), bar);

  self->chart = memscope_chart_new ();
  gtk_box_append (GTK_BOX (page), memscope_card_new (self->chart));
  self->caption = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->caption), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->caption), 0);
  gtk_widget_add_css_class (self->caption, "dim-label");
  gtk_widget_add_css_class (self->caption, "caption");
  gtk_box_append (GTK_BOX (page), self->caption);

  GtkWidget *card = self->table_card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "table-card");
  self->table_title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->table_title), 0);
  gtk_label_set_wrap (GTK_LABEL (self->table_title), TRUE);
  gtk_widget_add_css_class (self->table_title, "caption-heading");
  gtk_box_append (GTK_BOX (card), self->table_title);
  self->grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (self->grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (self->grid), 4);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  /* A long table (many runs × tasks) scrolls rather than squeezing the chart. */
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroll), 180);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), self->grid);
  gtk_box_append (GTK_BOX (card), scroll);
  gtk_box_append (GTK_BOX (page), card);

  g_signal_connect (self->chart_dd, "notify::selected", G_CALLBACK (on_changed), self);
  g_signal_connect (self->signal_dd, "notify::selected", G_CALLBACK (on_changed), self);
  g_signal_connect (self->sample_dd, "notify::selected", G_CALLBACK (on_changed), self);
  return page;
}

GtkWidget *
memscope_analysis_new (MemscopeAnalysisKind kind)
{
  MemscopeAnalysis *self = g_object_new (MEMSCOPE_TYPE_ANALYSIS, NULL);
  self->kind = kind;
  self->stack = gtk_stack_new ();
  gtk_widget_set_parent (self->stack, GTK_WIDGET (self));
  const char *icon, *title, *description;
  switch (kind)
    {
    case MEMSCOPE_ANALYSIS_ATTENTION:
      icon = "view-grid-symbolic";
      title = _("Attention Not Computed for This Study");
      description = _("Studies that run the attention analysis record, for every probed "
                      "sample, layer and head, the entropy, maximum, top-k mass and Gini "
                      "coefficient of the attention. This view then shows their distribution "
                      "per task, a layer × head map and one sample's attention map.");
      break;
    case MEMSCOPE_ANALYSIS_SPARSE:
      icon = "view-dual-symbolic";
      title = _("Sparse Codes Not Computed for This Study");
      description = _("Studies that run the sparse-coding analysis learn a dictionary on the "
                      "model's activations and encode every probed sample with it. This view "
                      "then shows how sparse each task's codes are and how that goes with "
                      "memorization.");
      break;
    default:
      icon = "security-medium-symbolic";
      title = _("Membership Inference Not Computed for This Study");
      /* xgettext:no-c-format */
      description = _("Studies that run membership inference score every probed sample by "
                      "its loss, the ratio to a reference model, the zlib ratio and Min-K% "
                      "probability. This view then shows how well each score tells training "
                      "samples from held-out ones.");
      break;
    }
  self->empty = memscope_status_page_new (icon, title, description);
  gtk_stack_add_named (GTK_STACK (self->stack), self->empty, "empty");
  self->failed = memscope_status_page_new ("dialog-warning-symbolic",
                                           _("The Analyses Could Not Be Read"), "");
  gtk_stack_add_named (GTK_STACK (self->stack), self->failed, "failed");

  GtkWidget *loading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_valign (loading, GTK_ALIGN_CENTER);
  GtkWidget *spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_box_append (GTK_BOX (loading), spinner);
  gtk_box_append (GTK_BOX (loading), memscope_caption_new (_("Reading the study…")));
  gtk_stack_add_named (GTK_STACK (self->stack), loading, "loading");

  gtk_stack_add_named (GTK_STACK (self->stack), build_content (self), "content");
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
  static const char *const stems[] = { "attention", "sparse-codes", "membership" };
  memscope_view_set_csv (GTK_WIDGET (self), write_csv, stems[kind]);
  return GTK_WIDGET (self);
}

void
memscope_analysis_set_data (MemscopeAnalysis *self, const MemscopeData *d)
{
  self->data = d;
  gboolean present = FALSE;
  if (d != NULL && d->study != NULL)
    present = self->kind == MEMSCOPE_ANALYSIS_ATTENTION ? d->has_attention
              : self->kind == MEMSCOPE_ANALYSIS_SPARSE ? d->has_sparse : d->has_membership;
  const MsAnalysisTable *a = present ? d->analysis : NULL;
  if (a == NULL)
    {
      /* The charts borrow from the analysis, which is about to go or has gone. */
      memscope_chart_set_figure (MEMSCOPE_CHART (self->chart), NULL);
      memscope_widget_unparent_children (self->grid);
      self->seen = NULL;
      const char *page = !present ? "empty" : d->loading ? "loading" : "failed";
      if (g_str_equal (page, "failed"))
        adw_status_page_set_description (ADW_STATUS_PAGE (self->failed),
                                         d->analysis_error != NULL ? d->analysis_error
                                         : d->table_error);
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), page);
      return;
    }
  if (a != self->seen)
    {
      self->filling = TRUE;
      gboolean any = fill_charts (self);
      self->filling = FALSE;
      self->seen = a;
      if (!any)
        {
          /* Rows in the tables, but none that the analysis uses (no single-task run, say). */
          memscope_chart_set_figure (MEMSCOPE_CHART (self->chart), NULL);
          gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
          return;
        }
      refresh (self);
    }
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), self->n_offered > 0 ? "content"
                                                                                : "empty");
}
