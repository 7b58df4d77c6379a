/* CSV export of the views' tables. Numbers are written with the C locale's decimal point so
 * that spreadsheets and scripts read them alike. */
#include "memscope-export.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "common/ms-atomic.h"

void
memscope_view_set_csv (GtkWidget *view, MemscopeCsvWriter writer, const char *stem)
{
  g_object_set_data (G_OBJECT (view), "memscope-csv", (gpointer) writer);
  g_object_set_data_full (G_OBJECT (view), "memscope-csv-stem", g_strdup (stem), g_free);
}

gboolean
memscope_view_has_csv (GtkWidget *view)
{
  return view != NULL && g_object_get_data (G_OBJECT (view), "memscope-csv") != NULL;
}

gboolean
memscope_view_save_csv (GtkWidget *view, const char *path, GError **error)
{
  MemscopeCsvWriter writer = (MemscopeCsvWriter) g_object_get_data (G_OBJECT (view),
                                                                   "memscope-csv");
  g_return_val_if_fail (writer != NULL, FALSE);
  g_autoptr (GString) out = g_string_new (NULL);
  writer (view, out);
  return ms_atomic_write (path, out->str, out->len, error);
}

static void
on_response (GtkNativeDialog *dialog, int response, gpointer user)
{
  GtkWidget *view = user;
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;
      if (path != NULL && !memscope_view_save_csv (view, path, &error))
        {
          GtkRoot *root = gtk_widget_get_root (view);
          GtkWidget *d = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                 _("Could Not Export the Table"),
                                                 error->message);
          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (d), "close", _("_Close"));
          gtk_window_present (GTK_WINDOW (d));
        }
    }
  g_object_unref (dialog);
  g_object_unref (view);
}

void
memscope_view_export_csv (GtkWidget *view)
{
  if (!memscope_view_has_csv (view))
    return;
  GtkRoot *root = gtk_widget_get_root (view);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      _("Export Table as CSV"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  const char *stem = g_object_get_data (G_OBJECT (view), "memscope-csv-stem");
  g_autofree char *name = g_strdup_printf ("%s.csv", stem != NULL ? stem : "table");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_response), g_object_ref (view));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}
