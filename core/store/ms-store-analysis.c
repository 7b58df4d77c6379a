/* Writing the analyses of schema version 2 (analysis.sql): membership-inference scores,
 * attention statistics and maps, sparse codes and canaries. Each call stores its rows in one
 * transaction; a row stored again (same key) replaces the old one, so a resumed run can redo
 * an analysis it was interrupted in. */
#include "ms-store-private.h"

#include "common/ms-error.h"

#include <math.h>

typedef void (*BindRow) (sqlite3_stmt *stmt, gconstpointer row);

static gboolean
insert_rows (MsStore *store, const char *sql, gconstpointer rows, gsize row_size, gsize n,
             BindRow bind, const char *what, GError **error)
{
  if (store->read_only)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: the store was opened read-only",
                   store->path);
      return FALSE;
    }
  if (!ms_store_begin (store, error))
    return FALSE;
  sqlite3_stmt *stmt = ms_store_stmt (store, sql, error);
  if (stmt == NULL)
    goto fail;
  for (gsize i = 0; i < n; i++)
    {
      bind (stmt, (const char *) rows + i * row_size);
      if (!ms_store_step_done (store, stmt, what, error))
        goto fail;
    }
  return ms_store_commit (store, error);
fail:
  ms_store_rollback (store);
  return FALSE;
}

/* NaN and infinities are stored as NULL (an undefined statistic, not a number). */
static void
bind_real (sqlite3_stmt *stmt, int i, double v)
{
  if (isfinite (v))
    sqlite3_bind_double (stmt, i, v);
  else
    sqlite3_bind_null (stmt, i);
}

static void
bind_mia (sqlite3_stmt *stmt, gconstpointer p)
{
  const MsStoreMia *r = p;
  sqlite3_bind_int64 (stmt, 1, r->run_id);
  sqlite3_bind_int64 (stmt, 2, r->sample_id);
  bind_real (stmt, 3, r->loss);
  bind_real (stmt, 4, r->min_k);
  bind_real (stmt, 5, r->zlib_ratio);
  sqlite3_bind_int64 (stmt, 6, r->n_tokens);
}

gboolean
ms_store_add_mia (MsStore *store, const MsStoreMia *rows, gsize n, GError **error)
{
  return insert_rows (store, "INSERT OR REPLACE INTO mia (run_id, sample_id, loss, min_k, "
                             "zlib_ratio, n_tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                      rows, sizeof *rows, n, bind_mia, "cannot add membership scores", error);
}

static void
bind_attention (sqlite3_stmt *stmt, gconstpointer p)
{
  const MsStoreAttention *r = p;
  sqlite3_bind_int64 (stmt, 1, r->generation_id);
  sqlite3_bind_int (stmt, 2, r->layer);
  sqlite3_bind_int (stmt, 3, r->head);
  sqlite3_bind_text (stmt, 4, r->phase, -1, SQLITE_STATIC);
  bind_real (stmt, 5, r->entropy);
  bind_real (stmt, 6, r->max);
  bind_real (stmt, 7, r->topk);
  bind_real (stmt, 8, r->gini);
  sqlite3_bind_int64 (stmt, 9, r->queries);
}

gboolean
ms_store_add_attention (MsStore *store, const MsStoreAttention *rows, gsize n, GError **error)
{
  return insert_rows (store, "INSERT OR REPLACE INTO attention (generation_id, layer, head, "
                             "phase, entropy, max, topk, gini, queries) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                      rows, sizeof *rows, n, bind_attention, "cannot add attention statistics",
                      error);
}

static void
bind_map (sqlite3_stmt *stmt, gconstpointer p)
{
  const MsStoreAttentionMap *r = p;
  sqlite3_bind_int64 (stmt, 1, r->generation_id);
  sqlite3_bind_int (stmt, 2, r->layer);
  sqlite3_bind_int (stmt, 3, r->head);
  sqlite3_bind_int (stmt, 4, r->rows);
  sqlite3_bind_int (stmt, 5, r->cols);
  sqlite3_bind_text (stmt, 6, r->tokens_json, -1, SQLITE_STATIC);
  sqlite3_bind_blob64 (stmt, 7, r->data, (sqlite3_uint64) r->rows * r->cols * sizeof (float),
                       SQLITE_STATIC);
}

gboolean
ms_store_add_attention_maps (MsStore *store, const MsStoreAttentionMap *rows, gsize n,
                             GError **error)
{
  return insert_rows (store, "INSERT OR REPLACE INTO attention_maps (generation_id, layer, "
                             "head, rows, cols, tokens, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      rows, sizeof *rows, n, bind_map, "cannot add an attention map", error);
}

static void
bind_sparse (sqlite3_stmt *stmt, gconstpointer p)
{
  const MsStoreSparse *r = p;
  sqlite3_bind_int64 (stmt, 1, r->run_id);
  sqlite3_bind_int64 (stmt, 2, r->sample_id);
  sqlite3_bind_int (stmt, 3, r->layer);
  bind_real (stmt, 4, r->active);
  bind_real (stmt, 5, r->active_at_error);
  bind_real (stmt, 6, r->l1);
  bind_real (stmt, 7, r->rel_error);
  sqlite3_bind_blob64 (stmt, 8, r->support ? (const void *) r->support : "",
                       r->n_support * sizeof (gint32), SQLITE_STATIC);
}

gboolean
ms_store_add_sparse (MsStore *store, const MsStoreSparse *rows, gsize n, GError **error)
{
  return insert_rows (store, "INSERT OR REPLACE INTO sparse (run_id, sample_id, layer, active, "
                             "active_at_error, l1, rel_error, support) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                      rows, sizeof *rows, n, bind_sparse, "cannot add sparse codes", error);
}

static void
bind_canary (sqlite3_stmt *stmt, gconstpointer p)
{
  const MsStoreCanary *r = p;
  sqlite3_bind_int64 (stmt, 1, r->run_id);
  sqlite3_bind_int64 (stmt, 2, r->task_id);
  sqlite3_bind_text (stmt, 3, r->canary, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 4, r->repeats);
  sqlite3_bind_text (stmt, 5, r->secret, -1, SQLITE_STATIC);
  bind_real (stmt, 6, r->nll);
  sqlite3_bind_int64 (stmt, 7, r->rank);
  sqlite3_bind_int64 (stmt, 8, r->candidates);
  sqlite3_bind_double (stmt, 9, r->space);
  bind_real (stmt, 10, r->exposure);
  bind_real (stmt, 11, r->exposure_normal);
}

gboolean
ms_store_add_canaries (MsStore *store, const MsStoreCanary *rows, gsize n, GError **error)
{
  return insert_rows (store, "INSERT OR REPLACE INTO canaries (run_id, task_id, canary, "
                             "repeats, secret, nll, rank, candidates, space, exposure, "
                             "exposure_normal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                      rows, sizeof *rows, n, bind_canary, "cannot add canaries", error);
}

gint64
ms_store_count (MsStore *store, const char *table, gint64 run_id, GError **error)
{
  /* TABLE is one of ours, never user input: checked against the list. */
  static const char *known[] = { "mia", "sparse", "canaries", NULL };
  if (!g_strv_contains (known, table))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: no per-run table '%s'", store->path,
                   table);
      return -1;
    }
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE run_id = ?1", table);
  sqlite3_stmt *stmt = ms_store_stmt (store, sql, error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, run_id);
  gint64 n = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
  sqlite3_reset (stmt);
  return n;
}
