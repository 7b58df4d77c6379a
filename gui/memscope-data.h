/* What every view of the app shows: the open results store, the chosen study with its runs and
 * tasks, and the study table (built in a worker thread, since it can take seconds). The window
 * owns it and hands each view a borrowed pointer that stays valid until the next update. */
#pragma once

#include <gtk/gtk.h>

#include "store/ms-store.h"
#include "study/ms-analysis.h"
#include "study/ms-figures.h"

G_BEGIN_DECLS

typedef struct {
  MsStore *store;            /* the window's read connection, or NULL: no store open */
  char *store_path;
  char *store_error;         /* why the store could not be opened, or NULL */
  MsStoreStudy *study;       /* NULL: the store holds no study */
  GPtrArray *runs;           /* MsStoreRun*, in creation order */
  GPtrArray *tasks;          /* MsStoreTask* */
  MsStudyTable *table;       /* NULL while loading or when it failed */
  char *table_error;
  /* Membership inference, canaries, attention and sparse codes against memorization: built
   * after the table in the same worker; it points into the table, so it goes first. */
  MsAnalysisTable *analysis; /* NULL while loading or when it failed */
  char *analysis_error;
  gboolean loading;          /* the table is being built */
  /* The analyses others add to the store: TRUE once the store holds their tables with rows. */
  gboolean has_attention, has_sparse, has_membership;
} MemscopeData;

void memscope_data_clear (MemscopeData *data);

/* Reads the runs and tasks of data->study and which analyses the store holds. */
gboolean memscope_data_read_study (MemscopeData *data, GError **error);

/* Builds the study table of STUDY in a worker thread, with its own read-only connection to
 * STORE_PATH (an MsStore is not thread-safe), and then its analysis table. */
void memscope_data_table_async (const char *store_path, const char *study,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
/* The study table, or NULL with ERROR. *ANALYSIS gets the analysis table, or NULL with the
 * reason in *ANALYSIS_ERROR (the study table is still good without it). */
MsStudyTable *memscope_data_table_finish (GAsyncResult *result, MsAnalysisTable **analysis,
                                          char **analysis_error, GError **error);

/* The run's index in data->runs, or -1. */
int memscope_data_find_run (const MemscopeData *data, const char *name);
/* A status page (the GNOME empty state) for a view with nothing to show. */
GtkWidget *memscope_status_page_new (const char *icon, const char *title,
                                     const char *description);
/* A label for a toolbar ("Measure"), dimmed like GNOME's captions. */
GtkWidget *memscope_caption_new (const char *text);
/* A drop-down of translated strings (N of them). */
GtkWidget *memscope_drop_down_new (const char *const *strings, guint n, const char *a11y);

G_END_DECLS
