/* The run view: starts a study from a spec on a chosen device, in a worker thread, and shows
 * its progress and loss curves live; it can be cancelled, and a later start continues where it
 * stopped. The runner's events arrive on the worker thread and are handed to the main loop
 * (g_main_context_invoke) before they touch a widget. When idle, the chart shows the training
 * loss of the chosen study's runs. */
#include "memscope-views.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "common/ms-error.h"
#include "common/ms-progress.h"
#include "memscope-chart.h"
#include "ms-config.h"
#include "runtime/ms-runtime.h"
#include "study/ms-study.h"

struct _MemscopeRunner {
  GtkWidget parent;
  GtkWidget *spec_row, *device_row, *store_row, *start, *cancel, *progress, *status, *log;
  GtkWidget *chart;
  char *spec_path, *store_path;
  GPtrArray *device_selectors;   /* "" (default), then device indices */
  gint cancel_flag;
  gboolean running;
  /* Live loss curves, one per run: names and (step, loss) points. */
  GPtrArray *names, *steps, *losses;
  guint redraw_id;
  const MemscopeData *data;
};

G_DEFINE_FINAL_TYPE (MemscopeRunner, memscope_runner, GTK_TYPE_WIDGET)

enum { SIGNAL_STUDY_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- The loss chart -------------------------------------------------------------------------- */

static void
curves_clear (MemscopeRunner *self)
{
  g_ptr_array_set_size (self->names, 0);
  g_ptr_array_set_size (self->steps, 0);
  g_ptr_array_set_size (self->losses, 0);
}

static void
curves_add (MemscopeRunner *self, const char *run, double step, double loss)
{
  guint i;
  for (i = 0; i < self->names->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->names, i), run) == 0)
      break;
  if (i == self->names->len)
    {
      g_ptr_array_add (self->names, g_strdup (run));
      g_ptr_array_add (self->steps, g_array_new (FALSE, FALSE, sizeof (double)));
      g_ptr_array_add (self->losses, g_array_new (FALSE, FALSE, sizeof (double)));
    }
  g_array_append_val (g_ptr_array_index (self->steps, i), step);
  g_array_append_val (g_ptr_array_index (self->losses, i), loss);
}

static void
curves_draw (MemscopeRunner *self, const char *title)
{
  /* The size of the report's loss curves (ms_figure_curves), should it be saved. */
  MsFigure *f = ms_figure_new (g_strdup ("training-loss"), g_strdup (title), MS_PLOT_LINES, 800,
                               460);
  guint n = self->names->len;
  MsLineSeries *series = ms_figure_own (f, g_new0 (MsLineSeries, MAX (n, 1)));
  for (guint i = 0; i < n; i++)
    {
      GArray *x = g_ptr_array_index (self->steps, i), *y = g_ptr_array_index (self->losses, i);
      double *xs = ms_figure_doubles (f, x->len), *ys = ms_figure_doubles (f, y->len);
      memcpy (xs, x->data, x->len * sizeof (double));
      memcpy (ys, y->data, y->len * sizeof (double));
      series[i] = (MsLineSeries) { .name = ms_figure_strdup (f, g_ptr_array_index (self->names, i)),
                                   .x = xs, .y = ys, .n = (int) x->len };
    }
  MsLineChart *c = ms_figure_own (f, g_new0 (MsLineChart, 1));
  *c = (MsLineChart) { .title = f->title, .x_label = _("Step"),
                       .y_label = _("Cross-entropy (nats/token)"), .series = series,
                       .n_series = (int) n };
  f->chart = c;
  memscope_chart_set_figure (MEMSCOPE_CHART (self->chart), f);
}

/* The training loss (whole batch) of each run of the study in the store. */
static void
curves_from_store (MemscopeRunner *self)
{
  curves_clear (self);
  const MemscopeData *d = self->data;
  if (d != NULL && d->store != NULL && d->runs != NULL)
    for (guint i = 0; i < d->runs->len; i++)
      {
        const MsStoreRun *r = g_ptr_array_index (d->runs, i);
        g_autoptr (GArray) pts = ms_store_get_curve (d->store, r->id, "train", NULL);
        for (guint j = 0; pts != NULL && j < pts->len; j++)
          {
            const MsStoreCurvePoint *pt = &g_array_index (pts, MsStoreCurvePoint, j);
            if (pt->task_id == 0)
              curves_add (self, r->name, (double) pt->step, pt->loss);
          }
      }
  g_autofree char *title = d != NULL && d->study != NULL
                           ? g_strdup_printf (_("Training loss of the runs of “%s”"),
                                              d->study->name)
                           : g_strdup (_("Training loss"));
  curves_draw (self, title);
}

static gboolean
redraw_live (gpointer user)
{
  MemscopeRunner *self = user;
  self->redraw_id = 0;
  curves_draw (self, _("Training loss, live"));
  return G_SOURCE_REMOVE;
}

/* ---- Events from the worker thread ----------------------------------------------------------- */

typedef struct {
  MemscopeRunner *self;      /* a reference */
  MsStudyEventKind kind;
  char *run, *phase, *message;
  int run_index, n_runs, done, total;
  double loss, overall, eta;
} Event;

static void
event_free (gpointer data)
{
  Event *e = data;
  g_object_unref (e->self);
  g_free (e->run);
  g_free (e->phase);
  g_free (e->message);
  g_free (e);
}

static void
log_line (MemscopeRunner *self, const char *line)
{
  GtkTextBuffer *buf = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->log));
  GtkTextIter end;
  gtk_text_buffer_get_end_iter (buf, &end);
  gtk_text_buffer_insert (buf, &end, line, -1);
  gtk_text_buffer_insert (buf, &end, "\n", -1);
  gtk_text_buffer_get_end_iter (buf, &end);
  GtkTextMark *mark = gtk_text_buffer_create_mark (buf, NULL, &end, FALSE);
  gtk_text_view_scroll_mark_onscreen (GTK_TEXT_VIEW (self->log), mark);
  gtk_text_buffer_delete_mark (buf, mark);
}

static gboolean
deliver (gpointer data)
{
  Event *e = data;
  MemscopeRunner *self = e->self;
  g_autofree char *eta = ms_format_duration (e->eta);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress), CLAMP (e->overall, 0, 1));
  g_autofree char *where = g_strdup_printf (_("Run %d of %d: %s"), e->run_index, e->n_runs,
                                            e->run != NULL ? e->run : "");
  g_autofree char *text = NULL;
  switch (e->kind)
    {
    case MS_STUDY_EVENT_RUN_START:
      log_line (self, where);
      text = g_strdup (where);
      break;
    case MS_STUDY_EVENT_TRAIN_STEP:
      text = g_strdup_printf (_("%s — training step %d of %d, loss %.3f"), where, e->done,
                              e->total, e->loss);
      if (isfinite (e->loss))
        {
          curves_add (self, e->run, e->done, e->loss);
          if (self->redraw_id == 0)
            self->redraw_id = g_timeout_add (150, redraw_live, self);
        }
      break;
    case MS_STUDY_EVENT_PROBE:
      text = g_strdup_printf (_("%s — probing %d of %d"), where, e->done, e->total);
      break;
    case MS_STUDY_EVENT_RUN_DONE:
      {
        g_autofree char *line = g_strdup_printf (_("%s — done"), where);
        log_line (self, line);
        text = g_strdup (line);
        break;
      }
    default:
      break;
    }
  if (e->message != NULL)
    log_line (self, e->message);
  if (text != NULL)
    {
      g_autofree char *full = e->eta >= 0
                              ? g_strdup_printf (_("%s · %.0f%% of the study, %s left"), text,
                                                 100 * e->overall, eta)
                              : g_strdup_printf (_("%s · %.0f%% of the study"), text,
                                                 100 * e->overall);
      gtk_label_set_text (GTK_LABEL (self->status), full);
    }
  return G_SOURCE_REMOVE;
}

static void
on_event (const MsStudyEvent *ev, gpointer user)
{
  Event *e = g_new0 (Event, 1);
  e->self = g_object_ref (user);
  e->kind = ev->kind;
  e->run = g_strdup (ev->run);
  e->phase = g_strdup (ev->phase);
  e->message = g_strdup (ev->message);
  e->run_index = ev->run_index;
  e->n_runs = ev->n_runs;
  e->done = ev->done;
  e->total = ev->total;
  e->loss = ev->loss;
  e->overall = ev->overall;
  e->eta = ev->eta_seconds;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver, e, event_free);
}

/* ---- The worker ------------------------------------------------------------------------------ */

typedef struct {
  char *spec, *store, *device;
  char *study;               /* the spec's name, filled in by the worker */
  gint *cancel;
  MemscopeRunner *self;
} Job;

static void
job_free (Job *job)
{
  g_free (job->spec);
  g_free (job->store);
  g_free (job->device);
  g_free (job->study);
  g_free (job);
}

static void
run_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  GError *error = NULL;
  g_autoptr (MsStudySpec) spec = ms_study_spec_load (job->spec, &error);
  if (spec == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  job->study = g_strdup (spec->name);
  g_autoptr (MsStore) store = ms_store_open (job->store, &error);
  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  MsStudyOptions opt = { .device = *job->device != '\0' ? job->device : NULL,
                         .blas = MS_BLAS_AUTO, .on_event = on_event, .user = job->self,
                         .cancel = job->cancel };
  if (!ms_study_run (spec, store, &opt, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
set_running (MemscopeRunner *self, gboolean running)
{
  self->running = running;
  gtk_widget_set_sensitive (self->start, !running && self->spec_path != NULL);
  gtk_widget_set_sensitive (self->cancel, running);
  gtk_widget_set_sensitive (self->spec_row, !running);
  gtk_widget_set_sensitive (self->device_row, !running);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user)
{
  MemscopeRunner *self = user;
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  set_running (self, FALSE);
  gtk_widget_remove_css_class (self->status, "error");
  if (ok)
    {
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress), 1);
      gtk_label_set_text (GTK_LABEL (self->status), _("Finished: every run of the study is done."));
      log_line (self, _("Finished."));
    }
  else if (g_error_matches (error, MS_ERROR, MS_ERROR_CANCELLED))
    {
      gtk_label_set_text (GTK_LABEL (self->status),
                          _("Cancelled. What was done is kept; start again to continue."));
      log_line (self, _("Cancelled."));
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (self->status), error->message);
      gtk_widget_add_css_class (self->status, "error");
      log_line (self, error->message);
    }
  /* Cancelled and failed studies keep their finished runs: the views reload either way. */
  g_signal_emit (self, signals[SIGNAL_STUDY_FINISHED], 0, job->study);
  g_object_unref (self);
}

static void
on_start (GtkButton *button, gpointer user)
{
  MemscopeRunner *self = user;
  if (self->running || self->spec_path == NULL)
    return;
  Job *job = g_new0 (Job, 1);
  job->spec = g_strdup (self->spec_path);
  job->store = self->store_path != NULL ? g_strdup (self->store_path) : ms_store_default_path ();
  guint dev = adw_combo_row_get_selected (ADW_COMBO_ROW (self->device_row));
  job->device = g_strdup (dev < self->device_selectors->len
                          ? (const char *) g_ptr_array_index (self->device_selectors, dev) : "");
  g_atomic_int_set (&self->cancel_flag, 0);
  job->cancel = &self->cancel_flag;
  job->self = self;
  curves_clear (self);
  curves_draw (self, _("Training loss, live"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->log)), "", 0);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress), 0);
  gtk_label_set_text (GTK_LABEL (self->status), _("Starting…"));
  set_running (self, TRUE);
  g_autoptr (GTask) task = g_task_new (NULL, NULL, on_done, g_object_ref (self));
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_thread);
}

static void
on_cancel (GtkButton *button, gpointer user)
{
  MemscopeRunner *self = user;
  g_atomic_int_set (&self->cancel_flag, 1);
  gtk_label_set_text (GTK_LABEL (self->status), _("Cancelling after the current step…"));
  gtk_widget_set_sensitive (self->cancel, FALSE);
}

/* ---- The spec and the devices ---------------------------------------------------------------- */

static void
set_spec (MemscopeRunner *self, const char *path)
{
  g_free (self->spec_path);
  self->spec_path = g_strdup (path);
  g_autofree char *base = path != NULL ? g_path_get_basename (path) : NULL;
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->spec_row),
                               base != NULL ? base : _("No spec chosen"));
  set_running (self, self->running);
}

static void
on_spec_response (GtkNativeDialog *dialog, int response, gpointer user)
{
  MemscopeRunner *self = user;
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      set_spec (self, path);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
on_choose_spec (GtkButton *button, gpointer user)
{
  MemscopeRunner *self = user;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      _("Choose a Study Spec"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Study specs (.ini)"));
  gtk_file_filter_add_suffix (filter, "ini");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  /* The shipped specs, from the source tree or the installed data folder. */
  const char *dirs[] = { MS_SOURCE_DATADIR "/studies", MS_DATADIR "/studies" };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (g_file_test (dirs[i], G_FILE_TEST_IS_DIR))
      {
        g_autoptr (GFile) dir = g_file_new_for_path (dirs[i]);
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), dir, NULL);
        break;
      }
  g_signal_connect (dialog, "response", G_CALLBACK (on_spec_response), g_object_ref (self));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
devices_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *devices = ms_devices_list (&error);
  if (devices == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, devices, (GDestroyNotify) g_ptr_array_unref);
}

static void
on_devices (GObject *source, GAsyncResult *result, gpointer user)
{
  MemscopeRunner *self = user;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = g_task_propagate_pointer (G_TASK (result), &error);
  GtkStringList *names = GTK_STRING_LIST (adw_combo_row_get_model (ADW_COMBO_ROW (self->device_row)));
  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      const MsDeviceInfo *info = g_ptr_array_index (devices, i);
      g_autofree char *name = g_strdup_printf ("%s (%s)", g_strstrip (info->name),
                                               ms_device_type_name (info->type));
      gtk_string_list_append (names, name);
      g_ptr_array_add (self->device_selectors, g_strdup_printf ("%u", info->index));
    }
  if (devices == NULL || devices->len == 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->device_row),
                                 error != NULL ? error->message : _("No OpenCL device found"));
  g_object_unref (self);
}

/* ---- Life cycle ------------------------------------------------------------------------------ */

static void
memscope_runner_dispose (GObject *object)
{
  MemscopeRunner *self = MEMSCOPE_RUNNER (object);
  g_clear_handle_id (&self->redraw_id, g_source_remove);
  memscope_widget_unparent_children (GTK_WIDGET (object));
  G_OBJECT_CLASS (memscope_runner_parent_class)->dispose (object);
}

static void
memscope_runner_finalize (GObject *object)
{
  MemscopeRunner *self = MEMSCOPE_RUNNER (object);
  g_free (self->spec_path);
  g_free (self->store_path);
  g_ptr_array_unref (self->device_selectors);
  g_ptr_array_unref (self->names);
  g_ptr_array_unref (self->steps);
  g_ptr_array_unref (self->losses);
  G_OBJECT_CLASS (memscope_runner_parent_class)->finalize (object);
}

static void
memscope_runner_class_init (MemscopeRunnerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = memscope_runner_dispose;
  G_OBJECT_CLASS (klass)->finalize = memscope_runner_finalize;
  gtk_widget_class_set_layout_manager_type (GTK_WIDGET_CLASS (klass), GTK_TYPE_BIN_LAYOUT);
  signals[SIGNAL_STUDY_FINISHED] = g_signal_new ("study-finished", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                 G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
memscope_runner_init (MemscopeRunner *self)
{
  self->device_selectors = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->device_selectors, g_strdup (""));
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  self->losses = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);

  GtkWidget *page = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  gtk_widget_add_css_class (page, "view-page");
  gtk_widget_set_parent (page, GTK_WIDGET (self));

  GtkWidget *side = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_size_request (side, 340, -1);
  gtk_widget_set_hexpand (side, FALSE);
  GtkWidget *group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("New Study Run"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Runs every run of the spec that the store does not "
                                           "hold yet."));
  self->spec_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->spec_row), _("Spec"));
  GtkWidget *choose = gtk_button_new_from_icon_name ("document-open-symbolic");
  gtk_widget_set_valign (choose, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (choose, "flat");
  gtk_widget_set_tooltip_text (choose, _("Choose a study spec"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (choose), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Choose a study spec"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self->spec_row), choose);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (self->spec_row), choose);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), self->spec_row);

  self->device_row = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->device_row), _("Device"));
  g_autoptr (GtkStringList) devs = gtk_string_list_new (NULL);
  gtk_string_list_append (devs, _("Default"));
  adw_combo_row_set_model (ADW_COMBO_ROW (self->device_row), G_LIST_MODEL (devs));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), self->device_row);

  self->store_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->store_row), _("Results store"));
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self->store_row), 2);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), self->store_row);
  gtk_box_append (GTK_BOX (side), group);

  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  self->cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_widget_add_css_class (self->cancel, "destructive-action");
  self->start = gtk_button_new_with_mnemonic (_("_Start"));
  gtk_widget_add_css_class (self->start, "suggested-action");
  gtk_box_append (GTK_BOX (buttons), self->cancel);
  gtk_box_append (GTK_BOX (buttons), self->start);
  gtk_box_append (GTK_BOX (side), buttons);

  self->progress = gtk_progress_bar_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Study progress"), -1);
  gtk_box_append (GTK_BOX (side), self->progress);
  self->status = gtk_label_new (_("Choose a spec, then start. The app stays usable while the "
                                  "study runs."));
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_widget_add_css_class (self->status, "dim-label");
  gtk_box_append (GTK_BOX (side), self->status);

  GtkWidget *log_title = gtk_label_new (_("Log"));
  gtk_label_set_xalign (GTK_LABEL (log_title), 0);
  gtk_widget_add_css_class (log_title, "heading");
  gtk_box_append (GTK_BOX (side), log_title);
  self->log = gtk_text_view_new ();
  gtk_text_view_set_editable (GTK_TEXT_VIEW (self->log), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (self->log), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (self->log), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (self->log), 8);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (self->log), 8);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->log), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Log"), -1);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), self->log);
  gtk_widget_set_vexpand (scroll, TRUE);
  GtkWidget *frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), scroll);
  gtk_box_append (GTK_BOX (side), frame);
  gtk_box_append (GTK_BOX (page), side);

  self->chart = memscope_chart_new ();
  gtk_box_append (GTK_BOX (page), memscope_card_new (self->chart));

  g_signal_connect (choose, "clicked", G_CALLBACK (on_choose_spec), self);
  g_signal_connect (self->start, "clicked", G_CALLBACK (on_start), self);
  g_signal_connect (self->cancel, "clicked", G_CALLBACK (on_cancel), self);
  set_spec (self, NULL);
  set_running (self, FALSE);

  g_autoptr (GTask) task = g_task_new (NULL, NULL, on_devices, g_object_ref (self));
  g_task_run_in_thread (task, devices_thread);
}

GtkWidget *
memscope_runner_new (void)
{
  return g_object_new (MEMSCOPE_TYPE_RUNNER, NULL);
}

void
memscope_runner_set_store_path (MemscopeRunner *self, const char *path)
{
  g_free (self->store_path);
  self->store_path = path != NULL ? g_strdup (path) : ms_store_default_path ();
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->store_row), self->store_path);
}

void
memscope_runner_set_data (MemscopeRunner *self, const MemscopeData *d)
{
  self->data = d;
  if (d != NULL && d->store_path != NULL)
    memscope_runner_set_store_path (self, d->store_path);
  else if (self->store_path == NULL)
    memscope_runner_set_store_path (self, NULL);
  /* The spec the chosen study was run from, when it is still there. */
  if (self->spec_path == NULL && d != NULL && d->study != NULL && d->study->spec_path != NULL
      && g_file_test (d->study->spec_path, G_FILE_TEST_IS_REGULAR))
    set_spec (self, d->study->spec_path);
  if (!self->running)
    curves_from_store (self);
}

gboolean
memscope_runner_is_running (MemscopeRunner *self)
{
  return self->running;
}
