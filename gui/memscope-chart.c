/* The chart widget: draws a core/plot chart with cairo inside the GTK snapshot, follows the
 * light/dark style, answers tooltips through the plot's hit items, and saves what it shows. */
#include "memscope-chart.h"

#include <adwaita.h>
#include <glib/gi18n.h>

struct _MemscopeChart {
  GtkWidget parent;
  MsFigure *fig;              /* what is shown, or NULL */
  MsPlotHits *hits;
  GtkWidget *menu;
};

G_DEFINE_FINAL_TYPE (MemscopeChart, memscope_chart, GTK_TYPE_WIDGET)

static MsPlotTheme
screen_theme (void)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  MsPlotTheme theme = *(dark ? ms_plot_theme_dark () : ms_plot_theme_light ());
  theme.scale = 1;
  theme.transparent = TRUE;
  return theme;
}

static void
memscope_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  MemscopeChart *self = MEMSCOPE_CHART (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  if (self->fig == NULL || w < 8 || h < 8)
    return;
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  MsPlotTheme theme = screen_theme ();
  ms_plot_hits_attach (cr, self->hits);
  ms_plot_draw (cr, w, h, self->fig->kind, self->fig->chart, &theme);
  ms_plot_hits_attach (cr, NULL);
  cairo_destroy (cr);
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  gpointer user)
{
  MemscopeChart *self = MEMSCOPE_CHART (widget);
  if (self->fig == NULL || keyboard)
    return FALSE;
  const MsPlotItem *item = ms_plot_hits_find (self->hits, x, y, 6);
  if (item == NULL)
    return FALSE;
  g_autofree char *text = memscope_chart_tooltip_text (self->fig->kind, self->fig->chart, item);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  gtk_tooltip_set_tip_area (tooltip, &(GdkRectangle) { (int) item->x, (int) item->y,
                                                       MAX (1, (int) item->width),
                                                       MAX (1, (int) item->height) });
  return TRUE;
}

static void
on_secondary_click (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user)
{
  MemscopeChart *self = user;
  if (self->fig == NULL)
    return;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu),
                               &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

static void
save_action (GtkWidget *widget, const char *action, GVariant *param)
{
  memscope_chart_export (MEMSCOPE_CHART (widget), g_variant_get_string (param, NULL));
}

static void
on_dark_changed (AdwStyleManager *manager, GParamSpec *pspec, gpointer user)
{
  gtk_widget_queue_draw (GTK_WIDGET (user));
}

static void
memscope_chart_dispose (GObject *object)
{
  MemscopeChart *self = MEMSCOPE_CHART (object);
  g_clear_pointer (&self->menu, gtk_widget_unparent);
  g_clear_pointer (&self->fig, ms_figure_free);
  G_OBJECT_CLASS (memscope_chart_parent_class)->dispose (object);
}

static void
memscope_chart_finalize (GObject *object)
{
  MemscopeChart *self = MEMSCOPE_CHART (object);
  ms_plot_hits_free (self->hits);
  G_OBJECT_CLASS (memscope_chart_parent_class)->finalize (object);
}

static void
memscope_chart_size_allocate (GtkWidget *widget, int w, int h, int baseline)
{
  MemscopeChart *self = MEMSCOPE_CHART (widget);
  if (self->menu != NULL)
    gtk_popover_present (GTK_POPOVER (self->menu));
}

static void
memscope_chart_class_init (MemscopeChartClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);
  oc->dispose = memscope_chart_dispose;
  oc->finalize = memscope_chart_finalize;
  wc->snapshot = memscope_chart_snapshot;
  wc->size_allocate = memscope_chart_size_allocate;
  gtk_widget_class_set_css_name (wc, "chart");
  gtk_widget_class_set_accessible_role (wc, GTK_ACCESSIBLE_ROLE_IMG);
  gtk_widget_class_install_action (wc, "chart.save", "s", save_action);
}

static void
memscope_chart_init (MemscopeChart *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  self->hits = ms_plot_hits_new ();
  gtk_widget_set_hexpand (w, TRUE);
  gtk_widget_set_vexpand (w, TRUE);
  gtk_widget_set_size_request (w, 320, 220);
  gtk_widget_set_has_tooltip (w, TRUE);
  g_signal_connect (w, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);

  g_autoptr (GMenu) menu = g_menu_new ();
  g_menu_append (menu, _("Save Chart as PNG…"), "chart.save::png");
  g_menu_append (menu, _("Save Chart as SVG…"), "chart.save::svg");
  self->menu = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_popover_set_has_arrow (GTK_POPOVER (self->menu), FALSE);
  gtk_widget_set_halign (self->menu, GTK_ALIGN_START);
  gtk_widget_set_parent (self->menu, w);

  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (w, GTK_EVENT_CONTROLLER (click));

  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (on_dark_changed), self, 0);
}

GtkWidget *
memscope_chart_new (void)
{
  return g_object_new (MEMSCOPE_TYPE_CHART, NULL);
}

void
memscope_chart_set_figure (MemscopeChart *self, MsFigure *fig)
{
  g_return_if_fail (MEMSCOPE_IS_CHART (self));
  g_clear_pointer (&self->fig, ms_figure_free);
  self->fig = fig;
  g_autofree char *description = fig != NULL ? memscope_chart_describe (fig->kind, fig->chart)
                                             : NULL;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  fig != NULL && fig->title != NULL ? fig->title
                                  : _("Empty chart"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description != NULL ? description : "", -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
memscope_chart_has_chart (MemscopeChart *self)
{
  return self->fig != NULL;
}

const char *
memscope_chart_get_title (MemscopeChart *self)
{
  return self->fig != NULL ? self->fig->title : NULL;
}

gboolean
memscope_chart_save (MemscopeChart *self, const char *path, GError **error)
{
  if (self->fig == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The chart is empty"));
      return FALSE;
    }
  /* At least the size the reports use, so that a small pane still gives a readable file;
   * the theme's scale follows the canvas size as it does for the report's files. */
  double w = MAX (gtk_widget_get_width (GTK_WIDGET (self)), 800);
  double h = MAX (gtk_widget_get_height (GTK_WIDGET (self)), 500);
  gboolean png = g_str_has_suffix (path, ".png") || g_str_has_suffix (path, ".PNG");
  if (png)
    {
      w *= 2;
      h *= 2;
    }
  return ms_plot_save (path, w, h, self->fig->kind, self->fig->chart, ms_plot_theme_light (),
                       error);
}

static void
show_error (GtkWidget *widget, const char *heading, const char *message)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_save_response (GtkNativeDialog *dialog, int response, gpointer user)
{
  MemscopeChart *self = user;
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;
      if (path != NULL && !memscope_chart_save (self, path, &error))
        show_error (GTK_WIDGET (self), _("Could Not Save the Chart"), error->message);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

void
memscope_chart_export (MemscopeChart *self, const char *format)
{
  if (self->fig == NULL)
    return;
  gboolean svg = g_strcmp0 (format, "svg") == 0;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      svg ? _("Save Chart as SVG") : _("Save Chart as PNG"),
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
      _("_Cancel"));
  const char *stem = self->fig->id != NULL ? self->fig->id : "chart";
  g_autofree char *name = g_strdup_printf ("%s.%s", stem, svg ? "svg" : "png");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, svg ? _("SVG images") : _("PNG images"));
  gtk_file_filter_add_suffix (filter, svg ? "svg" : "png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), g_object_ref (self));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

MemscopeChart *
memscope_chart_find (GtkWidget *widget)
{
  if (MEMSCOPE_IS_CHART (widget) && memscope_chart_has_chart (MEMSCOPE_CHART (widget))
      && gtk_widget_get_mapped (widget))
    return MEMSCOPE_CHART (widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      MemscopeChart *found = memscope_chart_find (c);
      if (found != NULL)
        return found;
    }
  return NULL;
}
