/* The app's shared view of the results store: the chosen study, its runs and tasks, and the
 * study table built off the main thread. */
#include "memscope-data.h"
#include "memscope-views.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

void
memscope_data_clear (MemscopeData *d)
{
  g_clear_pointer (&d->store, ms_store_close);
  g_clear_pointer (&d->store_path, g_free);
  g_clear_pointer (&d->store_error, g_free);
  g_clear_pointer (&d->study, ms_store_study_free);
  g_clear_pointer (&d->runs, g_ptr_array_unref);
  g_clear_pointer (&d->tasks, g_ptr_array_unref);
  g_clear_pointer (&d->analysis, ms_analysis_table_free);
  g_clear_pointer (&d->analysis_error, g_free);
  g_clear_pointer (&d->table, ms_study_table_free);
  g_clear_pointer (&d->table_error, g_free);
  d->loading = FALSE;
  d->has_attention = d->has_sparse = d->has_membership = FALSE;
}

/* TRUE when the analysis TABLE holds a row of the study. Until the analyses have run (or in a
 * store older than their tables, which is an error here) the views say "not computed". */
static gboolean
study_has_rows (MsStore *store, gint64 study_id, const char *table)
{
  gboolean has;
  return ms_store_study_has_rows (store, study_id, table, &has, NULL) && has;
}

gboolean
memscope_data_read_study (MemscopeData *d, GError **error)
{
  g_clear_pointer (&d->runs, g_ptr_array_unref);
  g_clear_pointer (&d->tasks, g_ptr_array_unref);
  if (d->store == NULL || d->study == NULL)
    return TRUE;
  d->runs = ms_store_list_runs (d->store, d->study->id, error);
  if (d->runs == NULL)
    return FALSE;
  d->tasks = ms_store_list_tasks (d->store, d->study->id, error);
  if (d->tasks == NULL)
    return FALSE;
  gint64 id = d->study->id;
  d->has_attention = study_has_rows (d->store, id, "attention");
  d->has_sparse = study_has_rows (d->store, id, "sparse");
  d->has_membership = study_has_rows (d->store, id, "mia");
  return TRUE;
}

typedef struct {
  char *path, *study;
} TableJob;

static void
table_job_free (TableJob *job)
{
  g_free (job->path);
  g_free (job->study);
  g_free (job);
}

/* What the worker hands back: the analysis points into the table. */
typedef struct {
  MsStudyTable *table;
  MsAnalysisTable *analysis;
  char *analysis_error;
} TableResult;

static void
table_result_free (TableResult *r)
{
  ms_analysis_table_free (r->analysis);
  ms_study_table_free (r->table);
  g_free (r->analysis_error);
  g_free (r);
}

static void
table_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  TableJob *job = data;
  GError *error = NULL;
  g_autoptr (MsStore) store = ms_store_open_full (job->path, MS_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  MsStudyTable *table = ms_study_table_new (store, job->study, NULL, &error);
  if (table == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  TableResult *r = g_new0 (TableResult, 1);
  r->table = table;
  if (!g_cancellable_is_cancelled (cancellable))
    {
      r->analysis = ms_analysis_table_new (store, table, -1, &error);
      if (r->analysis == NULL)
        {
          r->analysis_error = g_strdup (error->message);
          g_clear_error (&error);
        }
    }
  g_task_return_pointer (task, r, (GDestroyNotify) table_result_free);
}

void
memscope_data_table_async (const char *store_path, const char *study,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  TableJob *job = g_new0 (TableJob, 1);
  job->path = g_strdup (store_path);
  job->study = g_strdup (study);
  g_task_set_task_data (task, job, (GDestroyNotify) table_job_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, table_thread);
}

MsStudyTable *
memscope_data_table_finish (GAsyncResult *result, MsAnalysisTable **analysis,
                            char **analysis_error, GError **error)
{
  TableResult *r = g_task_propagate_pointer (G_TASK (result), error);
  if (r == NULL)
    return NULL;
  MsStudyTable *table = r->table;
  *analysis = r->analysis;
  *analysis_error = r->analysis_error;
  g_free (r);
  return table;
}

int
memscope_data_find_run (const MemscopeData *d, const char *name)
{
  if (d->runs == NULL || name == NULL)
    return -1;
  for (guint i = 0; i < d->runs->len; i++)
    {
      const MsStoreRun *r = g_ptr_array_index (d->runs, i);
      if (g_strcmp0 (r->name, name) == 0)
        return (int) i;
    }
  return -1;
}

GtkWidget *
memscope_status_page_new (const char *icon, const char *title, const char *description)
{
  GtkWidget *page = adw_status_page_new ();
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), icon);
  adw_status_page_set_title (ADW_STATUS_PAGE (page), title);
  adw_status_page_set_description (ADW_STATUS_PAGE (page), description);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_widget_set_hexpand (page, TRUE);
  return page;
}

GtkWidget *
memscope_caption_new (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

GtkWidget *
memscope_drop_down_new (const char *const *strings, guint n, const char *a11y)
{
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (list, strings[i]);
  GtkWidget *dd = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (list)), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (dd), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  return dd;
}

void
memscope_widget_unparent_children (GtkWidget *widget)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (widget)) != NULL)
    gtk_widget_unparent (child);
}

GtkWidget *
memscope_card_new (GtkWidget *child)
{
  GtkWidget *frame = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_add_css_class (frame, "card");
  gtk_widget_add_css_class (frame, "chart-card");
  gtk_widget_set_hexpand (frame, TRUE);
  gtk_widget_set_vexpand (frame, TRUE);
  gtk_widget_set_overflow (frame, GTK_OVERFLOW_HIDDEN);
  gtk_box_append (GTK_BOX (frame), child);
  return frame;
}
