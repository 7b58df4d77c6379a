/* Export of a view's table to CSV: each view that shows a table registers a writer that fills
 * the CSV text; the window asks for the file and writes it atomically. */
#pragma once

#include <gtk/gtk.h>

#include "common/ms-csv.h"

G_BEGIN_DECLS

/* Appends the view's table as CSV (RFC 4180: header row, CRLF, quotes where needed). */
typedef void (*MemscopeCsvWriter) (GtkWidget *view, GString *out);

void memscope_view_set_csv (GtkWidget *view, MemscopeCsvWriter writer, const char *stem);
gboolean memscope_view_has_csv (GtkWidget *view);
/* Writes the view's CSV to PATH (atomically). */
gboolean memscope_view_save_csv (GtkWidget *view, const char *path, GError **error);
/* Asks for a file name and saves; errors go to a dialog. */
void memscope_view_export_csv (GtkWidget *view);


G_END_DECLS
