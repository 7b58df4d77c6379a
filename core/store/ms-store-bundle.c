/* A run's results as one message. A worker of an MPI study gathers what a run produces in a
 * private store in memory and sends that database whole (sqlite3_serialize); the coordinator
 * attaches it and copies the run into the results store in one transaction, mapping ids by
 * what names them (task by name, sample by task, split and record, generation by run, sample
 * and probe), so the two stores need not agree on any row id. */
#include "store/ms-store-private.h"

#include <string.h>

#include "common/ms-error.h"

GBytes *
ms_store_serialize (MsStore *store, GError **error)
{
  sqlite3_int64 size = 0;
  unsigned char *data = sqlite3_serialize (store->db, "main", &size, 0);
  if (data == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot serialize the store (out of memory)",
                   store->path);
      return NULL;
    }
  return g_bytes_new_with_free_func (data, (gsize) size, sqlite3_free, data);
}

static gboolean
exec (MsStore *store, const char *sql, const char *what, GError **error)
{
  char *msg = NULL;
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, &msg);
  if (rc == SQLITE_OK)
    return TRUE;
  ms_store_set_error (store, error, rc, "%s", what);
  sqlite3_free (msg);
  return FALSE;
}

/* One integer from SQL with up to two bound integers; FALSE with an error when it fails. */
static gboolean
query_int (MsStore *store, const char *sql, gint64 a, gint64 b, gint64 *out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      if (sqlite3_bind_parameter_count (stmt) >= 1)
        sqlite3_bind_int64 (stmt, 1, a);
      if (sqlite3_bind_parameter_count (stmt) >= 2)
        sqlite3_bind_int64 (stmt, 2, b);
      rc = sqlite3_step (stmt);
      *out = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
      if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        rc = SQLITE_OK;
    }
  if (rc != SQLITE_OK)
    ms_store_set_error (store, error, rc, "cannot read the run's results");
  sqlite3_finalize (stmt);
  return rc == SQLITE_OK;
}

static gboolean
run_bound (MsStore *store, const char *sql, gint64 dst_run, gint64 src_run, const char *what,
           GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, dst_run);
      if (sqlite3_bind_parameter_count (stmt) >= 2)
        sqlite3_bind_int64 (stmt, 2, src_run);
      rc = sqlite3_step (stmt);
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
  if (rc != SQLITE_OK)
    ms_store_set_error (store, error, rc, "%s", what);
  sqlite3_finalize (stmt);
  return rc == SQLITE_OK;
}

/* The columns of TABLE as the store's schema has them, each as the bundle's row gives it: ids
 * that name rows of another table go through the maps, the run's own id is ?1, the generation's
 * id is left for SQLite to assign. */
static gboolean
copy_columns (MsStore *store, const char *table, GString *cols, GString *vals, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA main.table_info(%s)", table);
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, sql, -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *c = (const char *) sqlite3_column_text (stmt, 1);
      const char *v = NULL;
      g_autofree char *plain = NULL;
      rc = SQLITE_OK;
      if (strcmp (c, "id") == 0)
        continue;
      else if (strcmp (c, "run_id") == 0)
        v = "?1";
      else if (strcmp (c, "task_id") == 0)
        v = "(SELECT dst FROM temp.bundle_tasks WHERE src = x.task_id)";
      else if (strcmp (c, "sample_id") == 0)
        v = "(SELECT dst FROM temp.bundle_samples WHERE src = x.sample_id)";
      else if (strcmp (c, "generation_id") == 0)
        v = "(SELECT dst FROM temp.bundle_generations WHERE src = x.generation_id)";
      else
        v = plain = g_strdup_printf ("x.\"%s\"", c);
      g_string_append_printf (cols, "%s\"%s\"", cols->len ? ", " : "", c);
      g_string_append_printf (vals, "%s%s", vals->len ? ", " : "", v);
    }
  if (rc == SQLITE_DONE)
    rc = SQLITE_OK;
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    ms_store_set_error (store, error, rc, "cannot read the columns of %s", table);
  return rc == SQLITE_OK;
}

/* Copies the rows of TABLE that WHERE picks from the bundle (x), ordered by ORDER. */
static gboolean
copy_rows (MsStore *store, const char *table, const char *where, const char *order,
           gint64 dst_run, gint64 src_run, GError **error)
{
  g_autoptr (GString) cols = g_string_new (NULL), vals = g_string_new (NULL);
  if (!copy_columns (store, table, cols, vals, error))
    return FALSE;
  g_autofree char *sql = g_strdup_printf ("INSERT INTO main.%s (%s) SELECT %s FROM bundle.%s x "
                                          "WHERE %s ORDER BY %s", table, cols->str, vals->str,
                                          table, where, order);
  g_autofree char *what = g_strdup_printf ("cannot copy the run's %s", table);
  return run_bound (store, sql, dst_run, src_run, what, error);
}

/* The tables a run owns, in an order that keeps every reference valid. */
static const struct {
  const char *table, *where, *order;
} run_tables[] = {
  { "curves", "x.run_id = ?2", "x.rowid" },
  { "generations", "x.run_id = ?2", "x.id" },
  { "scores", "x.generation_id IN (SELECT src FROM temp.bundle_generations)", "x.rowid" },
  { "attention", "x.generation_id IN (SELECT src FROM temp.bundle_generations)", "x.rowid" },
  { "attention_maps", "x.generation_id IN (SELECT src FROM temp.bundle_generations)",
    "x.rowid" },
  { "mia", "x.run_id = ?2", "x.rowid" },
  { "sparse", "x.run_id = ?2", "x.rowid" },
  { "canaries", "x.run_id = ?2", "x.rowid" },
};

/* Everything between ATTACH and DETACH: the maps, the checks, the copies. */
static gboolean
import_attached (MsStore *store, gint64 run_id, const char *run_name, gboolean with_training,
                 const char *sender, GError **error)
{
  gint64 version = 0, study = 0, src_run = 0, missing = 0, changed = 0;
  if (!query_int (store, "SELECT CAST(value AS INTEGER) FROM bundle.meta WHERE key = "
                  "'schema_version'", 0, 0, &version, error)
      || !query_int (store, "SELECT study_id FROM main.runs WHERE id = ?1", run_id, 0, &study,
                     error))
    return FALSE;
  if (version != MS_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "%s: the results of run %s from %s are "
                   "in schema version %" G_GINT64_FORMAT ", this store's is %d (another "
                   "memscope version on that node?)", store->path, run_name, sender, version,
                   MS_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (store->db, "SELECT id FROM bundle.runs WHERE name = ?1", -1,
                               &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, run_name, -1, SQLITE_TRANSIENT);
      src_run = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    }
  sqlite3_finalize (stmt);
  if (src_run <= 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: the results sent by %s hold no run "
                   "%s", store->path, sender, run_name);
      return FALSE;
    }
  /* Tasks by name (the same data, by hash), samples by task, split and record. */
  if (!exec (store,
             "CREATE TEMP TABLE bundle_tasks (src INTEGER PRIMARY KEY, dst INTEGER);"
             "CREATE TEMP TABLE bundle_samples (src INTEGER PRIMARY KEY, dst INTEGER);"
             "CREATE TEMP TABLE bundle_generations (src INTEGER PRIMARY KEY, dst INTEGER);",
             "cannot make the id maps", error))
    return FALSE;
  if (!run_bound (store, "INSERT INTO temp.bundle_tasks SELECT bt.id, t.id FROM bundle.tasks bt "
                  "JOIN main.tasks t ON t.study_id = ?1 AND t.name = bt.name AND "
                  "t.train_sha256 = bt.train_sha256 AND t.n_train = bt.n_train", study, 0,
                  "cannot map the tasks", error)
      || !run_bound (store, "INSERT INTO temp.bundle_samples SELECT bs.id, s.id FROM "
                     "bundle.samples bs JOIN temp.bundle_tasks m ON m.src = bs.task_id JOIN "
                     "main.samples s ON s.task_id = m.dst AND s.split = bs.split AND "
                     "s.record_id = bs.record_id AND s.input = bs.input AND s.output = "
                     "bs.output", study, 0, "cannot map the samples", error))
    return FALSE;
  /* Every sample the run refers to must be the coordinator's: a node with other data files
   * would otherwise mix two studies in one. */
  if (!query_int (store, "SELECT (SELECT count(*) FROM bundle.generations g WHERE g.run_id = ?1 "
                  "AND g.sample_id NOT IN (SELECT src FROM temp.bundle_samples)) + (SELECT "
                  "count(*) FROM bundle.mia m WHERE m.run_id = ?1 AND m.sample_id NOT IN "
                  "(SELECT src FROM temp.bundle_samples)) + (SELECT count(*) FROM bundle.sparse "
                  "p WHERE p.run_id = ?1 AND p.sample_id NOT IN (SELECT src FROM "
                  "temp.bundle_samples))", src_run, 0, &missing, error))
    return FALSE;
  if (missing > 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "%s: run %s from %s refers to %"
                   G_GINT64_FORMAT " samples this store does not hold: that node's task files "
                   "differ from the coordinator's", store->path, run_name, sender, missing);
      return FALSE;
    }
  /* What the store held of the run (an earlier, interrupted attempt) gives way to the run as
   * done; the delete cascades to scores, attention statistics and maps. */
  static const char *const clear[] = { "curves", "generations", "mia", "sparse", "canaries" };
  for (gsize i = with_training ? 0 : 1; i < G_N_ELEMENTS (clear); i++)
    {
      g_autofree char *sql = g_strdup_printf ("DELETE FROM main.%s WHERE run_id = ?1", clear[i]);
      if (!run_bound (store, sql, run_id, 0, "cannot clear the run's earlier results", error))
        return FALSE;
    }
  for (gsize i = with_training ? 0 : 1; i < G_N_ELEMENTS (run_tables); i++)
    {
      if (!copy_rows (store, run_tables[i].table, run_tables[i].where, run_tables[i].order,
                      run_id, src_run, error))
        return FALSE;
      if (i == 1
          && !run_bound (store, "INSERT INTO temp.bundle_generations SELECT bg.id, g.id FROM "
                         "bundle.generations bg JOIN temp.bundle_samples m ON m.src = "
                         "bg.sample_id JOIN main.generations g ON g.run_id = ?1 AND g.sample_id "
                         "= m.dst AND g.probe = bg.probe WHERE bg.run_id = ?2", run_id, src_run,
                         "cannot map the generations", error))
        return FALSE;
    }
  /* The run's own record, as the worker finished it (its training as the store has it when
   * the worker did not train). */
  const char *update = with_training
    ? "UPDATE main.runs SET (status, error, model_path, model_sha256, data_json, device, host, "
      "train_seconds, probe_seconds, train_tokens, final_loss, started, finished) = (SELECT "
      "status, error, model_path, model_sha256, data_json, device, host, train_seconds, "
      "probe_seconds, train_tokens, final_loss, started, finished FROM bundle.runs WHERE id = "
      "?2) WHERE id = ?1"
    : "UPDATE main.runs SET (status, error, probe_seconds, finished) = (SELECT status, error, "
      "probe_seconds, finished FROM bundle.runs WHERE id = ?2) WHERE id = ?1";
  if (!run_bound (store, update, run_id, src_run, "cannot record the run", error))
    return FALSE;
  changed = sqlite3_changes (store->db);
  if (changed != 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: no run %" G_GINT64_FORMAT " to record "
                   "run %s in", store->path, run_id, run_name);
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_store_import_run (MsStore *store, gint64 run_id, const char *run_name, GBytes *bundle,
                     gboolean with_training, const char *sender, GError **error)
{
  g_return_val_if_fail (store->depth == 0, FALSE);  /* ATTACH needs no open transaction */
  if (store->read_only)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: opened read-only", store->path);
      return FALSE;
    }
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bundle, &size);
  /* SQLite's own check of the header, before anything is read from the pages. */
  if (size < 100 || memcmp (data, "SQLite format 3", 16) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: the results of run %s sent by %s are "
                   "not an SQLite database (%" G_GSIZE_FORMAT " bytes)", store->path, run_name,
                   sender, size);
      return FALSE;
    }
  if (!exec (store, "ATTACH ':memory:' AS bundle", "cannot attach the run's results", error))
    return FALSE;
  unsigned char *copy = sqlite3_malloc64 (size);
  int rc = copy ? SQLITE_OK : SQLITE_NOMEM;
  if (copy)
    {
      memcpy (copy, data, size);
      rc = sqlite3_deserialize (store->db, "bundle", copy, size, size,
                                SQLITE_DESERIALIZE_FREEONCLOSE);
    }
  gboolean ok = FALSE;
  if (rc != SQLITE_OK)
    ms_store_set_error (store, error, rc, "cannot read the results of run %s sent by %s",
                        run_name, sender);
  else if (ms_store_begin (store, error))
    {
      ok = import_attached (store, run_id, run_name, with_training, sender, error);
      if (ok)
        ok = ms_store_commit (store, error);
      else
        ms_store_rollback (store);
    }
  /* DROP of the temp maps and DETACH free what the import held; a failure here loses nothing
   * committed. */
  exec (store, "DROP TABLE IF EXISTS temp.bundle_tasks; DROP TABLE IF EXISTS temp.bundle_samples;"
        "DROP TABLE IF EXISTS temp.bundle_generations", "cannot drop the id maps", NULL);
  exec (store, "DETACH bundle", "cannot detach the run's results", NULL);
  return ok;
}
