/* The overview: memorization per task, single-task and multi-task runs side by side with their
 * intervals, for a chosen measure, probe and correction (raw, minus the held-out control, minus
 * the base-model baseline), and the report's own figures (all measures, output length,
 * per-sample distributions). */
#include "memscope-views.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "memscope-chart.h"
#include "memscope-export.h"

/* The first three are the corrections of the one-measure chart (MsStudyShow). */
enum {
  SHOW_RATE = MS_STUDY_SHOW_RATE,
  SHOW_MINUS_HELDOUT = MS_STUDY_SHOW_MINUS_HELDOUT,
  SHOW_MINUS_BASE = MS_STUDY_SHOW_MINUS_BASE,
  SHOW_ALL,
  SHOW_ALL_CORRECTED,
  SHOW_LENGTH,
  SHOW_DISTRIBUTION,
  N_SHOW
};

struct _MemscopeOverview {
  GtkWidget parent;
  GtkWidget *stack, *empty;
  GtkWidget *measure, *show, *probe, *chart, *caption;
  const MemscopeData *data;
  const MsStudyTable *table_seen;  /* the table whose default probe was applied */
};

G_DEFINE_FINAL_TYPE (MemscopeOverview, memscope_overview, GTK_TYPE_WIDGET)

static MsMeasure
selected_measure (MemscopeOverview *self)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->measure));
  return i < MS_N_MEASURES ? (MsMeasure) i : MS_MEASURE_TOKEN_MATCH;
}

static const char *
caption_text (int show)
{
  switch (show)
    {
    case SHOW_RATE:
      /* xgettext:no-c-format */
      return _("Each bar pools every finished seed of a run group; whiskers are 95% intervals "
               "(Wilson for rates, Student's t for means). Hatched bars: the base model before "
               "fine-tuning, probed on the same training samples.");
    case SHOW_MINUS_HELDOUT:
      return _("Training samples minus held-out samples of the same runs: what fine-tuning on a "
               "sample added beyond what the task itself makes predictable (Newcombe intervals "
               "for rates, bootstrap for means).");
    case SHOW_MINUS_BASE:
      return _("Training samples minus the base model on the same samples: what the model "
               "could already produce before fine-tuning is taken out.");
    case SHOW_LENGTH:
      return _("Single-task rates per output-length bin, and each task minus the reference "
               "task, raw and matched on output length: is the gap between tasks only a gap "
               "in output length?");
    case SHOW_DISTRIBUTION:
      return _("Per-sample scores of the single-task runs: training samples against held-out "
               "samples, every probe a point.");
    default:
      return _("The report's figure: every measure side by side.");
    }
}

static void
refresh (MemscopeOverview *self)
{
  const MemscopeData *d = self->data;
  MemscopeChart *chart = MEMSCOPE_CHART (self->chart);
  if (d == NULL || d->table == NULL)
    {
      memscope_chart_set_figure (chart, NULL);
      return;
    }
  const MsStudyTable *t = d->table;
  int probe = (int) gtk_drop_down_get_selected (GTK_DROP_DOWN (self->probe)) == 1 ? 1 : 0;
  int show = (int) gtk_drop_down_get_selected (GTK_DROP_DOWN (self->show));
  MsMeasure m = selected_measure (self);
  gtk_widget_set_sensitive (self->measure, show <= SHOW_MINUS_BASE || show == SHOW_LENGTH);
  gtk_label_set_text (GTK_LABEL (self->caption), caption_text (show));
  switch (show)
    {
    case SHOW_ALL:
      memscope_chart_set_figure (chart, ms_figure_main (t, probe));
      break;
    case SHOW_ALL_CORRECTED:
      memscope_chart_set_figure (chart, ms_figure_corrected (t, probe));
      break;
    case SHOW_LENGTH:
      memscope_chart_set_figure (chart, ms_figure_length (t, probe, m));
      break;
    case SHOW_DISTRIBUTION:
      memscope_chart_set_figure (chart, ms_figure_distribution (t, probe));
      break;
    default:
      memscope_chart_set_figure (chart, ms_figure_overview (t, probe, m, (MsStudyShow) show));
    }
}

static void
on_changed (GObject *dd, GParamSpec *pspec, gpointer user)
{
  refresh (MEMSCOPE_OVERVIEW (user));
}

/* The table behind the chart: every task × group of the chosen probe and measure. */
static void
write_csv (GtkWidget *view, GString *out)
{
  MemscopeOverview *self = MEMSCOPE_OVERVIEW (view);
  const MsStudyTable *t = self->data != NULL ? self->data->table : NULL;
  static const char *const head[] = { "task", "group", "probe", "measure", "n", "value",
                                      "lower", "upper", "heldout", "base", "minus_heldout",
                                      "minus_heldout_lower", "minus_heldout_upper", "minus_base",
                                      "minus_base_lower", "minus_base_upper" };
  for (guint i = 0; i < G_N_ELEMENTS (head); i++)
    ms_csv_field (out, head[i], i + 1 < G_N_ELEMENTS (head) ? "," : "\r\n");
  if (t == NULL)
    return;
  int probe = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->probe)) == 1 ? 1 : 0;
  MsMeasure m = selected_measure (self);
  for (int k = 0; k < t->n_tasks; k++)
    for (int g = 0; g < t->n_groups; g++)
      {
        const MsStudyRow *r = ms_study_table_row (t, k, g, probe, m);
        if (r == NULL || t->groups[g].n_runs == 0 || !t->groups[g].covers[k])
          continue;
        ms_csv_field (out, t->tasks[k].name, ",");
        ms_csv_field (out, t->groups[g].id, ",");
        ms_csv_field (out, ms_study_probe_name (probe), ",");
        ms_csv_field (out, ms_measure_id (m), ",");
        ms_csv_number (out, (double) r->train.n, ",");
        ms_csv_number (out, r->train.value.estimate, ",");
        ms_csv_number (out, r->train.value.lower, ",");
        ms_csv_number (out, r->train.value.upper, ",");
        ms_csv_number (out, r->heldout.value.estimate, ",");
        ms_csv_number (out, r->base.value.estimate, ",");
        ms_csv_number (out, r->minus_heldout.estimate, ",");
        ms_csv_number (out, r->minus_heldout.lower, ",");
        ms_csv_number (out, r->minus_heldout.upper, ",");
        ms_csv_number (out, r->minus_base.estimate, ",");
        ms_csv_number (out, r->minus_base.lower, ",");
        ms_csv_number (out, r->minus_base.upper, "\r\n");
      }
}

static void
memscope_overview_dispose (GObject *object)
{
  memscope_widget_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (memscope_overview_parent_class)->dispose (object);
}

static void
memscope_overview_class_init (MemscopeOverviewClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = memscope_overview_dispose;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
}

static void
memscope_overview_init (MemscopeOverview *self)
{
  self->stack = gtk_stack_new ();
  gtk_widget_set_parent (self->stack, GTK_WIDGET (self));

  self->empty = memscope_status_page_new ("view-list-bullet-symbolic", _("No Study"),
                                          _("Open a results store that holds a study."));
  gtk_stack_add_named (GTK_STACK (self->stack), self->empty, "empty");

  GtkWidget *loading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_valign (loading, GTK_ALIGN_CENTER);
  GtkWidget *spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_box_append (GTK_BOX (loading), spinner);
  gtk_box_append (GTK_BOX (loading), memscope_caption_new (_("Reading the study…")));
  gtk_stack_add_named (GTK_STACK (self->stack), loading, "loading");

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_add_css_class (box, "view-page");
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_add_css_class (bar, "toolbar-row");

  const char *measures[MS_N_MEASURES];
  for (int i = 0; i < MS_N_MEASURES; i++)
    measures[i] = ms_measure_label ((MsMeasure) i);
  self->measure = memscope_drop_down_new (measures, MS_N_MEASURES, _("Measure"));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->measure), MS_MEASURE_TOKEN_MATCH);
  const char *shows[N_SHOW] = {
    _("Raw rates"), _("Minus held-out (control)"), _("Minus base model (baseline)"),
    _("All measures"), _("All measures, corrected"), _("By output length"),
    _("Per-sample scores"),
  };
  self->show = memscope_drop_down_new (shows, N_SHOW, _("Show"));
  const char *probes[2] = { _("Input probe"), _("Target probe") };
  self->probe = memscope_drop_down_new (probes, 2, _("Probe"));

  gtk_box_append (GTK_BOX (bar), memscope_caption_new (_("Measure")));
  gtk_box_append (GTK_BOX (bar), self->measure);
  GtkWidget *sp1 = gtk_separator_new (GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class (sp1, "spacer");
  gtk_box_append (GTK_BOX (bar), sp1);
  gtk_box_append (GTK_BOX (bar), memscope_caption_new (_("Show")));
  gtk_box_append (GTK_BOX (bar), self->show);
  GtkWidget *sp2 = gtk_separator_new (GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class (sp2, "spacer");
  gtk_box_append (GTK_BOX (bar), sp2);
  gtk_box_append (GTK_BOX (bar), memscope_caption_new (_("Probe")));
  gtk_box_append (GTK_BOX (bar), self->probe);
  gtk_box_append (GTK_BOX (box), bar);

  self->chart = memscope_chart_new ();
  gtk_box_append (GTK_BOX (box), memscope_card_new (self->chart));
  self->caption = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->caption), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->caption), 0);
  gtk_widget_add_css_class (self->caption, "dim-label");
  gtk_widget_add_css_class (self->caption, "caption");
  gtk_box_append (GTK_BOX (box), self->caption);
  gtk_stack_add_named (GTK_STACK (self->stack), box, "content");

  g_signal_connect (self->measure, "notify::selected", G_CALLBACK (on_changed), self);
  g_signal_connect (self->show, "notify::selected", G_CALLBACK (on_changed), self);
  g_signal_connect (self->probe, "notify::selected", G_CALLBACK (on_changed), self);
  memscope_view_set_csv (GTK_WIDGET (self), write_csv, "overview");
}

GtkWidget *
memscope_overview_new (void)
{
  return g_object_new (MEMSCOPE_TYPE_OVERVIEW, NULL);
}

void
memscope_overview_set_data (MemscopeOverview *self, const MemscopeData *d)
{
  self->data = d;
  if (d == NULL || d->study == NULL || (d->table == NULL && !d->loading))
    {
      adw_status_page_set_title (ADW_STATUS_PAGE (self->empty),
                                 d != NULL && d->table_error != NULL
                                 ? _("The Study Could Not Be Read") : _("No Study"));
      adw_status_page_set_description (ADW_STATUS_PAGE (self->empty),
                                       d != NULL && d->table_error != NULL ? d->table_error
                                       : _("Open a results store that holds a study, or "
                                           "start one in the Run view."));
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
      memscope_chart_set_figure (MEMSCOPE_CHART (self->chart), NULL);
      return;
    }
  if (d->table == NULL)
    {
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "loading");
      return;
    }
  if (self->table_seen != d->table)
    {
      /* A new study: start on the probe its report shows first. */
      self->table_seen = d->table;
      g_signal_handlers_block_by_func (self->probe, on_changed, self);
      gtk_drop_down_set_selected (GTK_DROP_DOWN (self->probe),
                                  (guint) ms_study_table_default_probe (d->table));
      g_signal_handlers_unblock_by_func (self->probe, on_changed, self);
    }
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "content");
  refresh (self);
}
