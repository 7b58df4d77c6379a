/* The main window. It owns the store connection and the study data the views show; the study
 * table is built off the main thread, so the window stays responsive while a large study is
 * read, and a study started in the Run view refreshes the views when it ends. */
#include "memscope-window.h"

#include <glib/gi18n.h>
#include <math.h>

#include "common/ms-error.h"
#include "memscope-chart.h"
#include "memscope-export.h"
#include "memscope-views.h"

const char *const memscope_view_names[] = { "overview", "samples", "attention", "sparse",
                                            "membership", "compare", "run", NULL };
#define N_VIEWS 7

struct _MemscopeWindow {
  AdwApplicationWindow parent;
  GtkWidget *switcher_title, *stack, *paned, *sidebar, *study_list, *run_list;
  GtkWidget *views[N_VIEWS];
  MemscopeData data;
  GCancellable *loading;
  gboolean ready;
  gboolean filling;          /* the lists are being refilled: ignore their selection */
};

G_DEFINE_FINAL_TYPE (MemscopeWindow, memscope_window, ADW_TYPE_APPLICATION_WINDOW)

enum { SIGNAL_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
update_views (MemscopeWindow *self)
{
  const MemscopeData *d = &self->data;
  memscope_overview_set_data (MEMSCOPE_OVERVIEW (self->views[0]), d);
  memscope_samples_set_data (MEMSCOPE_SAMPLES (self->views[1]), d);
  for (int i = 2; i <= 4; i++)
    memscope_analysis_set_data (MEMSCOPE_ANALYSIS (self->views[i]), d);
  memscope_compare_set_data (MEMSCOPE_COMPARE (self->views[5]), d);
  memscope_runner_set_data (MEMSCOPE_RUNNER (self->views[6]), d);
}

static void
set_ready (MemscopeWindow *self)
{
  self->ready = TRUE;
  g_signal_emit (self, signals[SIGNAL_READY], 0);
}

/* ---- The sidebar ------------------------------------------------------------------------------ */

static GtkWidget *
sidebar_row (const char *icon, const char *title, const char *subtitle, const char *tooltip)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  gtk_widget_add_css_class (box, "sidebar-row");
  if (icon != NULL)
    {
      GtkWidget *image = gtk_image_new_from_icon_name (icon);
      gtk_widget_set_valign (image, GTK_ALIGN_CENTER);
      gtk_box_append (GTK_BOX (box), image);
    }
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *t = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_label_set_ellipsize (GTK_LABEL (t), PANGO_ELLIPSIZE_MIDDLE);
  gtk_box_append (GTK_BOX (text), t);
  if (subtitle != NULL)
    {
      GtkWidget *s = gtk_label_new (subtitle);
      gtk_label_set_xalign (GTK_LABEL (s), 0);
      gtk_label_set_ellipsize (GTK_LABEL (s), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (s, "caption");
      gtk_widget_add_css_class (s, "dim-label");
      gtk_box_append (GTK_BOX (text), s);
    }
  gtk_box_append (GTK_BOX (box), text);
  GtkWidget *row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  if (tooltip != NULL)
    gtk_widget_set_tooltip_text (row, tooltip);
  return row;
}

static const char *
status_icon (MsRunState status)
{
  switch (status)
    {
    case MS_RUN_DONE:
      return "emblem-ok-symbolic";
    case MS_RUN_FAILED:
      return "dialog-error-symbolic";
    case MS_RUN_PENDING:
      return "content-loading-symbolic";
    default:
      return "media-playback-start-symbolic";
    }
}

static const char *
status_label (MsRunState status)
{
  switch (status)
    {
    case MS_RUN_DONE:
      return _("done");
    case MS_RUN_FAILED:
      return _("failed");
    case MS_RUN_PENDING:
      return _("pending");
    case MS_RUN_TRAINING:
      return _("training");
    case MS_RUN_TRAINED:
      return _("trained");
    default:
      return _("probing");
    }
}

static const char *
kind_label (const char *kind)
{
  if (g_strcmp0 (kind, "base") == 0)
    return _("Base model");
  if (g_strcmp0 (kind, "mixture") == 0)
    return _("Multi-task");
  return _("Single-task");
}

/* GTK 4.8 has no gtk_list_box_remove_all. */
static void
list_box_clear (GtkWidget *list)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (list), child);
}

static void
fill_runs (MemscopeWindow *self)
{
  self->filling = TRUE;
  list_box_clear (self->run_list);
  const MemscopeData *d = &self->data;
  for (guint i = 0; d->runs != NULL && i < d->runs->len; i++)
    {
      const MsStoreRun *r = g_ptr_array_index (d->runs, i);
      g_autofree char *sub = isfinite (r->final_loss)
                             ? g_strdup_printf (_("%s · %s · loss %.3f"), kind_label (r->kind),
                                                status_label (r->status), r->final_loss)
                             : g_strdup_printf ("%s · %s", kind_label (r->kind),
                                                status_label (r->status));
      GtkWidget *row = sidebar_row (status_icon (r->status), r->name, sub,
                                    r->error != NULL ? r->error : NULL);
      gtk_list_box_append (GTK_LIST_BOX (self->run_list), row);
    }
  self->filling = FALSE;
}

static void
on_table (GObject *source, GAsyncResult *result, gpointer user)
{
  g_autoptr (GError) error = NULL;
  MsAnalysisTable *analysis = NULL;
  char *analysis_error = NULL;
  MsStudyTable *table = memscope_data_table_finish (result, &analysis, &analysis_error, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  MemscopeWindow *self = user;
  self->data.loading = FALSE;
  self->data.table = table;
  self->data.analysis = analysis;
  self->data.analysis_error = analysis_error;
  if (table == NULL)
    self->data.table_error = g_strdup (error->message);
  update_views (self);
  set_ready (self);
}

static void
show_study (MemscopeWindow *self, const char *name)
{
  MemscopeData *d = &self->data;
  g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  g_clear_pointer (&d->study, ms_store_study_free);
  g_clear_pointer (&d->analysis, ms_analysis_table_free);
  g_clear_pointer (&d->analysis_error, g_free);
  g_clear_pointer (&d->table, ms_study_table_free);
  g_clear_pointer (&d->table_error, g_free);
  d->loading = FALSE;
  self->ready = FALSE;
  g_autoptr (GError) error = NULL;
  if (d->store != NULL && name != NULL)
    {
      d->study = ms_store_get_study (d->store, name, &error);
      if (d->study != NULL && !memscope_data_read_study (d, &error))
        g_clear_pointer (&d->study, ms_store_study_free);
      if (d->study == NULL)
        d->table_error = g_strdup (error->message);
    }
  else
    memscope_data_read_study (d, NULL);
  fill_runs (self);
  adw_view_switcher_title_set_title (ADW_VIEW_SWITCHER_TITLE (self->switcher_title),
                                     d->study != NULL ? d->study->name : _("Memscope"));
  if (d->study == NULL)
    {
      update_views (self);
      set_ready (self);
      return;
    }
  d->loading = TRUE;
  update_views (self);
  self->loading = g_cancellable_new ();
  memscope_data_table_async (d->store_path, d->study->name, self->loading, on_table, self);
}

static void
on_study_selected (GtkListBox *list, GtkListBoxRow *row, gpointer user)
{
  MemscopeWindow *self = user;
  if (self->filling || row == NULL)
    return;
  const char *name = g_object_get_data (G_OBJECT (row), "study");
  if (self->data.study == NULL || g_strcmp0 (self->data.study->name, name) != 0)
    show_study (self, name);
}

static void
on_run_activated (GtkListBox *list, GtkListBoxRow *row, gpointer user)
{
  MemscopeWindow *self = user;
  int i = gtk_list_box_row_get_index (row);
  if (self->data.runs == NULL || i < 0 || (guint) i >= self->data.runs->len)
    return;
  const MsStoreRun *r = g_ptr_array_index (self->data.runs, i);
  memscope_samples_select_run (MEMSCOPE_SAMPLES (self->views[1]), r->name);
  memscope_window_set_view (self, "samples");
}

void
memscope_window_open_store (MemscopeWindow *self, const char *path, const char *study)
{
  MemscopeData *d = &self->data;
  g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  memscope_data_clear (d);
  d->store_path = path != NULL ? g_strdup (path) : ms_store_default_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) studies = NULL;
  if (g_file_test (d->store_path, G_FILE_TEST_EXISTS))
    {
      d->store = ms_store_open_full (d->store_path, MS_STORE_OPEN_READ_ONLY, &error);
      /* A store written by an older memscope is upgraded once, which needs write access. */
      if (d->store == NULL && g_error_matches (error, MS_ERROR, MS_ERROR_MISMATCH))
        {
          g_clear_error (&error);
          d->store = ms_store_open_full (d->store_path, MS_STORE_OPEN_EXISTING, &error);
        }
      if (d->store != NULL)
        studies = ms_store_list_studies (d->store, &error);
      if (studies == NULL)
        d->store_error = g_strdup (error->message);
    }
  g_autofree char *base = g_path_get_basename (d->store_path);
  adw_view_switcher_title_set_subtitle (ADW_VIEW_SWITCHER_TITLE (self->switcher_title), base);

  self->filling = TRUE;
  list_box_clear (self->study_list);
  GtkListBoxRow *chosen = NULL;
  const char *chosen_name = NULL;
  for (guint i = 0; studies != NULL && i < studies->len; i++)
    {
      const MsStoreStudy *s = g_ptr_array_index (studies, i);
      g_autofree char *sub = g_strdup_printf (
          g_dngettext (NULL, "%d of %d run done · %d task", "%d of %d runs done · %d tasks",
                       (gulong) s->n_runs), (int) s->n_done, (int) s->n_runs, (int) s->n_tasks);
      GtkWidget *row = sidebar_row ("x-office-spreadsheet-symbolic", s->name, sub, NULL);
      g_object_set_data_full (G_OBJECT (row), "study", g_strdup (s->name), g_free);
      gtk_list_box_append (GTK_LIST_BOX (self->study_list), row);
      if (chosen == NULL || g_strcmp0 (s->name, study) == 0)
        {
          chosen = GTK_LIST_BOX_ROW (row);
          chosen_name = g_object_get_data (G_OBJECT (row), "study");
        }
    }
  if (chosen != NULL)
    gtk_list_box_select_row (GTK_LIST_BOX (self->study_list), chosen);
  self->filling = FALSE;
  if (study != NULL && g_strcmp0 (chosen_name, study) != 0 && d->store_error == NULL)
    d->store_error = g_strdup_printf (_("The store has no study “%s”."), study);
  show_study (self, chosen_name);
}

/* ---- Actions ----------------------------------------------------------------------------------- */

static GtkWidget *
visible_view (MemscopeWindow *self)
{
  return adw_view_stack_get_visible_child (ADW_VIEW_STACK (self->stack));
}

static void
on_open_response (GtkNativeDialog *dialog, int response, gpointer user)
{
  MemscopeWindow *self = user;
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        memscope_window_open_store (self, path, NULL);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
open_store_action (GtkWidget *widget, const char *action, GVariant *param)
{
  MemscopeWindow *self = MEMSCOPE_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      _("Open a Results Store"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
      _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Results stores (SQLite)"));
  gtk_file_filter_add_suffix (filter, "sqlite");
  gtk_file_filter_add_suffix (filter, "db");
  gtk_file_filter_add_mime_type (filter, "application/vnd.sqlite3");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  GtkFileFilter *all = gtk_file_filter_new ();
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  g_object_unref (all);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), g_object_ref (self));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
reload_action (GtkWidget *widget, const char *action, GVariant *param)
{
  MemscopeWindow *self = MEMSCOPE_WINDOW (widget);
  g_autofree char *path = g_strdup (self->data.store_path);
  g_autofree char *study = self->data.study != NULL ? g_strdup (self->data.study->name) : NULL;
  memscope_window_open_store (self, path, study);
}

static void
export_chart_action (GtkWidget *widget, const char *action, GVariant *param)
{
  MemscopeWindow *self = MEMSCOPE_WINDOW (widget);
  MemscopeChart *chart = memscope_chart_find (visible_view (self));
  if (chart != NULL)
    memscope_chart_export (chart, g_variant_get_string (param, NULL));
}

static void
export_csv_action (GtkWidget *widget, const char *action, GVariant *param)
{
  memscope_view_export_csv (visible_view (MEMSCOPE_WINDOW (widget)));
}

static void
toggle_sidebar_action (GtkWidget *widget, const char *action, GVariant *param)
{
  MemscopeWindow *self = MEMSCOPE_WINDOW (widget);
  gtk_widget_set_visible (self->sidebar, !gtk_widget_get_visible (self->sidebar));
}

static void
view_action (GtkWidget *widget, const char *action, GVariant *param)
{
  memscope_window_set_view (MEMSCOPE_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
find_action (GtkWidget *widget, const char *action, GVariant *param)
{
  MemscopeWindow *self = MEMSCOPE_WINDOW (widget);
  memscope_window_set_view (self, "samples");
  memscope_samples_focus_search (MEMSCOPE_SAMPLES (self->views[1]));
}

static void
on_study_finished (MemscopeRunner *runner, const char *study, gpointer user)
{
  MemscopeWindow *self = user;
  g_autofree char *path = g_strdup (self->data.store_path);
  g_autofree char *keep = g_strdup (study != NULL ? study
                                    : self->data.study != NULL ? self->data.study->name : NULL);
  /* Reopen: the store may have been created by the run, and new runs are in it. */
  memscope_window_open_store (self, path, keep);
  memscope_window_set_view (self, "run");
}

/* ---- Life cycle -------------------------------------------------------------------------------- */

static void
memscope_window_dispose (GObject *object)
{
  MemscopeWindow *self = MEMSCOPE_WINDOW (object);
  g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  G_OBJECT_CLASS (memscope_window_parent_class)->dispose (object);
}

static void
memscope_window_finalize (GObject *object)
{
  MemscopeWindow *self = MEMSCOPE_WINDOW (object);
  memscope_data_clear (&self->data);
  G_OBJECT_CLASS (memscope_window_parent_class)->finalize (object);
}

static void
memscope_window_class_init (MemscopeWindowClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);
  oc->dispose = memscope_window_dispose;
  oc->finalize = memscope_window_finalize;
  signals[SIGNAL_READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_install_action (wc, "win.open-store", NULL, open_store_action);
  gtk_widget_class_install_action (wc, "win.reload", NULL, reload_action);
  gtk_widget_class_install_action (wc, "win.export-chart", "s", export_chart_action);
  gtk_widget_class_install_action (wc, "win.export-csv", NULL, export_csv_action);
  gtk_widget_class_install_action (wc, "win.toggle-sidebar", NULL, toggle_sidebar_action);
  gtk_widget_class_install_action (wc, "win.view", "s", view_action);
  gtk_widget_class_install_action (wc, "win.find", NULL, find_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-store", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F5, 0, "win.reload", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_r, GDK_CONTROL_MASK, "win.reload", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-chart",
                                       "s", "png");
  gtk_widget_class_add_binding_action (wc, GDK_KEY_e, GDK_CONTROL_MASK | GDK_ALT_MASK,
                                       "win.export-chart", "s", "svg");
  gtk_widget_class_add_binding_action (wc, GDK_KEY_e, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.export-csv", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F9, 0, "win.toggle-sidebar", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_f, GDK_CONTROL_MASK, "win.find", NULL);
  for (int i = 0; i < N_VIEWS; i++)
    gtk_widget_class_add_binding_action (wc, GDK_KEY_1 + i, GDK_ALT_MASK, "win.view", "s",
                                         memscope_view_names[i]);
}

static GtkWidget *
section_label (const char *text)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_add_css_class (l, "heading");
  gtk_widget_add_css_class (l, "sidebar-heading");
  return l;
}

static void
memscope_window_init (MemscopeWindow *self)
{
  gtk_window_set_title (GTK_WINDOW (self), _("Memscope: Memorization Explorer"));
  gtk_window_set_default_size (GTK_WINDOW (self), 1200, 800);
  gtk_window_set_icon_name (GTK_WINDOW (self), MS_APP_ID);

  GtkWidget *header = adw_header_bar_new ();
  self->switcher_title = adw_view_switcher_title_new ();
  adw_view_switcher_title_set_title (ADW_VIEW_SWITCHER_TITLE (self->switcher_title),
                                     _("Memscope"));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), self->switcher_title);

  GtkWidget *sidebar_button = gtk_toggle_button_new ();
  gtk_button_set_icon_name (GTK_BUTTON (sidebar_button), "sidebar-show-symbolic");
  gtk_widget_set_tooltip_text (sidebar_button, _("Show Sidebar"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (sidebar_button), TRUE);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), sidebar_button);
  GtkWidget *open = gtk_button_new_from_icon_name ("document-open-symbolic");
  gtk_widget_set_tooltip_text (open, _("Open a Results Store"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (open), "win.open-store");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), open);

  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenu) file = g_menu_new ();
  g_menu_append (file, _("_Open Results Store…"), "win.open-store");
  g_menu_append (file, _("_Reload"), "win.reload");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (file));
  g_autoptr (GMenu) export = g_menu_new ();
  g_menu_append (export, _("Save Chart as _PNG…"), "win.export-chart::png");
  g_menu_append (export, _("Save Chart as _SVG…"), "win.export-chart::svg");
  g_menu_append (export, _("Export Table as _CSV…"), "win.export-csv");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (export));
  g_autoptr (GMenu) help = g_menu_new ();
  g_menu_append (help, _("_Keyboard Shortcuts"), "win.show-help-overlay");
  g_menu_append (help, _("_About Memscope"), "app.about");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (help));
  GtkWidget *menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "open-menu-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), G_MENU_MODEL (menu));
  gtk_menu_button_set_primary (GTK_MENU_BUTTON (menu_button), TRUE);
  gtk_widget_set_tooltip_text (menu_button, _("Main Menu"));
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), menu_button);

  g_autoptr (GMenu) save = g_menu_new ();
  g_menu_append (save, _("Save Chart as _PNG…"), "win.export-chart::png");
  g_menu_append (save, _("Save Chart as _SVG…"), "win.export-chart::svg");
  g_menu_append (save, _("Export Table as _CSV…"), "win.export-csv");
  GtkWidget *save_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (save_button), "document-save-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (save_button), G_MENU_MODEL (save));
  gtk_widget_set_tooltip_text (save_button, _("Export"));
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), save_button);

  /* The sidebar: studies, then the chosen study's runs. */
  GtkWidget *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (side, "memscope-sidebar");
  gtk_box_append (GTK_BOX (side), section_label (_("Studies")));
  self->study_list = gtk_list_box_new ();
  gtk_widget_add_css_class (self->study_list, "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->study_list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Studies"), -1);
  gtk_box_append (GTK_BOX (side), self->study_list);
  gtk_box_append (GTK_BOX (side), section_label (_("Runs")));
  self->run_list = gtk_list_box_new ();
  gtk_widget_add_css_class (self->run_list, "navigation-sidebar");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->run_list), GTK_SELECTION_NONE);
  gtk_list_box_set_activate_on_single_click (GTK_LIST_BOX (self->run_list), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->run_list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Runs"), -1);
  gtk_widget_set_tooltip_text (self->run_list, NULL);
  gtk_box_append (GTK_BOX (side), self->run_list);
  self->sidebar = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->sidebar), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->sidebar), side);
  gtk_widget_set_size_request (self->sidebar, 250, -1);
  gtk_widget_add_css_class (self->sidebar, "sidebar-pane");
  g_object_bind_property (sidebar_button, "active", self->sidebar, "visible",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);

  /* The views. */
  self->stack = adw_view_stack_new ();
  gtk_widget_set_hexpand (self->stack, TRUE);
  self->views[0] = memscope_overview_new ();
  self->views[1] = memscope_samples_new ();
  self->views[2] = memscope_analysis_new (MEMSCOPE_ANALYSIS_ATTENTION);
  self->views[3] = memscope_analysis_new (MEMSCOPE_ANALYSIS_SPARSE);
  self->views[4] = memscope_analysis_new (MEMSCOPE_ANALYSIS_MEMBERSHIP);
  self->views[5] = memscope_compare_new ();
  self->views[6] = memscope_runner_new ();
  const char *titles[N_VIEWS] = { _("Overview"), _("Samples"), _("Attention"),
                                  _("Sparse Codes"), _("Membership"), _("Compare"), _("Run") };
  const char *icons[N_VIEWS] = { "view-continuous-symbolic", "view-list-symbolic",
                                 "view-grid-symbolic", "view-dual-symbolic",
                                 "security-medium-symbolic", "view-paged-symbolic",
                                 "media-playback-start-symbolic" };
  for (int i = 0; i < N_VIEWS; i++)
    adw_view_stack_add_titled_with_icon (ADW_VIEW_STACK (self->stack), self->views[i],
                                         memscope_view_names[i], titles[i], icons[i]);
  adw_view_switcher_title_set_stack (ADW_VIEW_SWITCHER_TITLE (self->switcher_title),
                                     ADW_VIEW_STACK (self->stack));
  GtkWidget *switcher_bar = adw_view_switcher_bar_new ();
  adw_view_switcher_bar_set_stack (ADW_VIEW_SWITCHER_BAR (switcher_bar),
                                   ADW_VIEW_STACK (self->stack));
  g_object_bind_property (self->switcher_title, "title-visible", switcher_bar, "reveal",
                          G_BINDING_SYNC_CREATE);

  GtkWidget *body = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_append (GTK_BOX (body), self->sidebar);
  gtk_box_append (GTK_BOX (body), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (body), self->stack);
  gtk_widget_set_vexpand (body, TRUE);

  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (content), header);
  gtk_box_append (GTK_BOX (content), body);
  gtk_box_append (GTK_BOX (content), switcher_bar);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), content);

  g_signal_connect (self->study_list, "row-selected", G_CALLBACK (on_study_selected), self);
  g_signal_connect (self->run_list, "row-activated", G_CALLBACK (on_run_activated), self);
  g_signal_connect (self->views[6], "study-finished", G_CALLBACK (on_study_finished), self);
}

MemscopeWindow *
memscope_window_new (GtkApplication *app)
{
  return g_object_new (MEMSCOPE_TYPE_WINDOW, "application", app, NULL);
}

gboolean
memscope_window_set_view (MemscopeWindow *self, const char *name)
{
  for (int i = 0; i < N_VIEWS; i++)
    if (g_strcmp0 (memscope_view_names[i], name) == 0)
      {
        adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (self->stack), name);
        return TRUE;
      }
  return FALSE;
}

GtkWidget *
memscope_window_get_view (MemscopeWindow *self, const char *name)
{
  for (int i = 0; i < N_VIEWS; i++)
    if (g_strcmp0 (memscope_view_names[i], name) == 0)
      return self->views[i];
  return NULL;
}

gboolean
memscope_window_is_ready (MemscopeWindow *self)
{
  return self->ready;
}
