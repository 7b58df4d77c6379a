/* The analysis views: attention statistics, sparse codes of activations, membership inference.
 * Their data comes from analyses that write their own tables to the store; until a study has
 * them, each view says so and what it will show, and keeps its layout (controls and chart
 * cards) ready for the data. */
#include "memscope-views.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "memscope-chart.h"
#include "memscope-figures.h"

#define MAX_CHARTS 3

struct _MemscopeAnalysis {
  GtkWidget parent;
  MemscopeAnalysisKind kind;
  GtkWidget *stack;
  GtkWidget *charts[MAX_CHARTS];
  int n_charts;
};

G_DEFINE_FINAL_TYPE (MemscopeAnalysis, memscope_analysis, GTK_TYPE_WIDGET)

static void
memscope_analysis_dispose (GObject *object)
{
  memscope_widget_unparent_children (GTK_WIDGET (object));
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
}

/* An empty chart of KIND titled TITLE: it draws its frame and "No data" until filled. */
static void
empty_chart (MemscopeChart *chart, MsPlotKind kind, const char *title, const char *stem)
{
  gsize size = kind == MS_PLOT_HEATMAP ? sizeof (MsHeatmap)
               : kind == MS_PLOT_LINES ? sizeof (MsLineChart)
               : kind == MS_PLOT_DIST ? sizeof (MsDistChart) : sizeof (MsBarChart);
  MemscopePlot *p = memscope_plot_new (kind, size, stem);
  p->title = g_strdup (title);
  /* Every chart struct starts with its title. */
  *(const char **) p->chart = p->title;
  memscope_chart_set_plot (chart, p);
}

static GtkWidget *
build_content (MemscopeAnalysis *self, const char *const *controls, const char *const *choices[],
               const guint *n_choices, int n_controls, const MsPlotKind *kinds,
               const char *const *titles, const char *const *stems, int n_charts)
{
  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_add_css_class (page, "view-page");
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  for (int i = 0; i < n_controls; i++)
    {
      if (i > 0)
        {
          GtkWidget *sp = gtk_separator_new (GTK_ORIENTATION_VERTICAL);
          gtk_widget_add_css_class (sp, "spacer");
          gtk_box_append (GTK_BOX (bar), sp);
        }
      gtk_box_append (GTK_BOX (bar), memscope_caption_new (controls[i]));
      gtk_box_append (GTK_BOX (bar), memscope_drop_down_new (choices[i], n_choices[i],
                                                              controls[i]));
    }
  gtk_box_append (GTK_BOX (page), bar);
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_homogeneous (GTK_GRID (grid), TRUE);
  gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
  gtk_widget_set_vexpand (grid, TRUE);
  for (int i = 0; i < n_charts && i < MAX_CHARTS; i++)
    {
      self->charts[i] = memscope_chart_new ();
      empty_chart (MEMSCOPE_CHART (self->charts[i]), kinds[i], titles[i], stems[i]);
      /* The first chart spans the top row; the others share the bottom one. */
      if (i == 0)
        gtk_grid_attach (GTK_GRID (grid), memscope_card_new (self->charts[i]), 0, 0,
                         n_charts > 1 ? n_charts - 1 : 1, 1);
      else
        gtk_grid_attach (GTK_GRID (grid), memscope_card_new (self->charts[i]), i - 1, 1, 1, 1);
    }
  self->n_charts = n_charts;
  gtk_box_append (GTK_BOX (page), grid);
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
  GtkWidget *content;
  switch (kind)
    {
    case MEMSCOPE_ANALYSIS_ATTENTION:
      {
        icon = "view-grid-symbolic";
        title = _("Attention Not Computed for This Study");
        description = _("Studies that run the attention analysis record, for every probed "
                        "sample, layer and head, the entropy, maximum, top-k mass and Gini "
                        "coefficient of the attention. This view then shows their distribution "
                        "per task, a layer × head map and one sample's attention map.");
        const char *controls[] = { _("Statistic"), _("Positions") };
        const char *stats[] = { _("Entropy"), _("Maximum"), _("Top-k mass"), _("Gini") };
        const char *phases[] = { _("Prompt"), _("Generated") };
        const char *const *choices[] = { stats, phases };
        const guint n[] = { 4, 2 };
        const MsPlotKind kinds[] = { MS_PLOT_DIST, MS_PLOT_HEATMAP, MS_PLOT_HEATMAP };
        const char *titles[] = { _("Attention statistic per task"), _("Layer × head"),
                                 _("Attention map of one sample") };
        const char *stems[] = { "attention-tasks", "attention-heads", "attention-map" };
        content = build_content (self, controls, choices, n, 2, kinds, titles, stems, 3);
        break;
      }
    case MEMSCOPE_ANALYSIS_SPARSE:
      {
        icon = "view-dual-symbolic";
        title = _("Sparse Codes Not Computed for This Study");
        description = _("Studies that run the sparse-coding analysis learn a dictionary on the "
                        "model's activations and encode every probed sample with it. This view "
                        "then shows how sparse each task's codes are and how many atoms each "
                        "task uses.");
        const char *controls[] = { _("Layer") };
        const char *layers[] = { _("Last block") };
        const char *const *choices[] = { layers };
        const guint n[] = { 1 };
        const MsPlotKind kinds[] = { MS_PLOT_DIST, MS_PLOT_BARS, MS_PLOT_LINES };
        const char *titles[] = { _("Active atoms per sample, by task"), _("Atoms used per task"),
                                 _("Dictionary learning") };
        const char *stems[] = { "sparse-activity", "sparse-support", "sparse-learning" };
        content = build_content (self, controls, choices, n, 1, kinds, titles, stems, 3);
        break;
      }
    default:
      {
        icon = "security-medium-symbolic";
        title = _("Membership Inference Not Computed for This Study");
        /* xgettext:no-c-format */
        description = _("Studies that run membership inference score every probed sample by "
                        "its loss, the ratio to a reference model, the zlib ratio and Min-K% "
                        "probability. This view then shows how well each score tells training "
                        "samples from held-out ones.");
        const char *controls[] = { _("Score") };
        const char *scores[] = { _("Loss"), _("Reference ratio"), _("zlib ratio"),
                                 /* xgettext:no-c-format */
                                 _("Min-K% probability") };
        const char *const *choices[] = { scores };
        const guint n[] = { 4 };
        const MsPlotKind kinds[] = { MS_PLOT_LINES, MS_PLOT_DIST };
        const char *titles[] = { _("ROC curve per task"),
                                 _("Scores of training and held-out samples") };
        const char *stems[] = { "membership-roc", "membership-scores" };
        content = build_content (self, controls, choices, n, 1, kinds, titles, stems, 2);
        break;
      }
    }
  gtk_stack_add_named (GTK_STACK (self->stack), memscope_status_page_new (icon, title,
                                                                          description),
                       "empty");
  gtk_stack_add_named (GTK_STACK (self->stack), content, "content");
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
  return GTK_WIDGET (self);
}

void
memscope_analysis_set_data (MemscopeAnalysis *self, const MemscopeData *d)
{
  gboolean present = FALSE;
  if (d != NULL && d->study != NULL)
    present = self->kind == MEMSCOPE_ANALYSIS_ATTENTION ? d->has_attention
              : self->kind == MEMSCOPE_ANALYSIS_SPARSE ? d->has_sparse : d->has_membership;
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), present ? "content" : "empty");
}
