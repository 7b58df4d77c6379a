/* The results store: an SQLite file that may be corrupt, foreign or a store with odd contents.
 * A store that opens is read through every reader the report and the app use. */
#include "fuzz.h"
#include "store/ms-store.h"

#include <glib/gstdio.h>

/* Every reader answers with a value or an error, never both, never neither. */
#define ANSWERED(v) g_assert (((v) == NULL) != (error == NULL))

static void
read_study (MsStore *store, const MsStoreStudy *study)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tasks = ms_store_list_tasks (store, study->id, &error);
  ANSWERED (tasks);
  g_clear_error (&error);
  g_autoptr (GPtrArray) runs = ms_store_list_runs (store, study->id, &error);
  ANSWERED (runs);
  g_clear_error (&error);
  for (guint i = 0; runs && i < runs->len; i++)
    {
      const MsStoreRun *run = runs->pdata[i];
      g_autoptr (GArray) curve = ms_store_get_curve (store, run->id, "train", &error);
      ANSWERED (curve);
      g_clear_error (&error);
    }
  MsStoreFilter filter = { .study = study->name };
  g_autoptr (MsStoreResults) results = ms_store_results (store, &filter, &error);
  ANSWERED (results);
  g_clear_error (&error);
  for (gsize i = 0; results && i < results->n && i < 8; i++)
    {
      g_autoptr (MsStoreGeneration) gen
        = ms_store_get_generation (store, results->rows[i].generation_id, &error);
      ANSWERED (gen);
      g_clear_error (&error);
    }
  g_autoptr (GPtrArray) agg = ms_store_aggregate (store, &filter, &error);
  ANSWERED (agg);
  g_clear_error (&error);
  g_autofree char *csv = g_build_filename (fuzz_dir (), "export.csv", NULL);
  ms_store_export (store, &filter, MS_EXPORT_CSV, MS_EXPORT_TEXTS, csv, NULL, &error);
  g_clear_error (&error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = fuzz_write ("store.sqlite", data, size);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_unlink (wal);
  g_unlink (shm);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open_full (path, MS_STORE_OPEN_EXISTING, &error);
  g_assert ((store == NULL) != (error == NULL));
  if (store == NULL)
    return 0;
  g_autoptr (GPtrArray) studies = ms_store_list_studies (store, &error);
  ANSWERED (studies);
  for (guint i = 0; studies && i < studies->len; i++)
    read_study (store, studies->pdata[i]);
  return 0;
}
