/* Typed reads of one study's analysis rows for core/study, the report and the app (attention
 * statistics and maps, sparse codes, membership scores, canaries, the sample search), so that
 * the store stays the only place that speaks SQL; ms-store-read.c reads the results. */
#include "store/ms-store-private.h"

#include <string.h>

#include "common/ms-error.h"

/* Sets the error for a step that ended in neither ROW nor DONE, and resets STMT. */
static gboolean
read_failed (MsStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
  ms_store_set_error (store, error, sqlite3_extended_errcode (store->db), "%s", what);
  sqlite3_reset (stmt);
  return FALSE;
}

/* A probe name reaches SQL only as a bound value, but a typo would silently match nothing:
 * refuse it instead. */
static gboolean
check_probe (MsStore *store, const char *probe, GError **error)
{
  if (g_strcmp0 (probe, "input") == 0 || g_strcmp0 (probe, "target") == 0)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: probe '%s': expected input or target",
               store->path, probe ? probe : "(null)");
  return FALSE;
}

/* The statement for SQL with the study and the status of finished runs bound as ?1 and ?2 (and
 * PROBE as ?3 when not NULL), the binding every study reader here starts with. */
static sqlite3_stmt *
study_stmt (MsStore *store, const char *sql, gint64 study_id, const char *probe,
            GError **error)
{
  if (probe != NULL && !check_probe (store, probe, error))
    return NULL;
  sqlite3_stmt *stmt = ms_store_stmt (store, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, study_id);
  sqlite3_bind_text (stmt, 2, ms_run_state_name (MS_RUN_DONE), -1, SQLITE_STATIC);
  if (probe != NULL)
    sqlite3_bind_text (stmt, 3, probe, -1, SQLITE_STATIC);
  return stmt;
}

/* ---- Attention statistics ---------------------------------------------------------------- */

GArray *
ms_store_study_attention (MsStore *store, gint64 study_id, const char *probe, GError **error)
{
  sqlite3_stmt *stmt = study_stmt (store,
    "SELECT g.id, s.task_id, a.layer, a.head, a.entropy, sc.token_match FROM attention a "
    "JOIN generations g ON g.id = a.generation_id JOIN samples s ON s.id = g.sample_id "
    "JOIN scores sc ON sc.generation_id = g.id JOIN runs r ON r.id = g.run_id "
    "WHERE r.study_id = ?1 AND r.status = ?2 AND r.kind = 'single' "
    "AND s.split = 'train' AND g.probe = ?3 AND a.phase = 'prompt' "
    "ORDER BY g.id, a.layer, a.head", study_id, probe, error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (MsStoreAttentionRow));
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreAttentionRow r = {
        .generation_id = sqlite3_column_int64 (stmt, 0),
        .task_id = sqlite3_column_int64 (stmt, 1),
        .layer = sqlite3_column_int (stmt, 2),
        .head = sqlite3_column_int (stmt, 3),
        .entropy = ms_store_column_double (stmt, 4),
        .token_match = ms_store_column_double (stmt, 5),
      };
      g_array_append_val (out, r);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the attention statistics", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

GArray *
ms_store_study_attention_means (MsStore *store, gint64 study_id, const char *probe,
                                GError **error)
{
  /* "The last layer" is the deepest any run of the study recorded, whatever its status or
   * kind: the subquery filters on the study only, as the analysis always has. */
  sqlite3_stmt *stmt = study_stmt (store,
    "SELECT g.id, s.task_id, avg(a.entropy), avg(a.max), avg(a.topk), avg(a.gini), "
    "sc.token_match, sc.lcs_chars, sc.rouge_l, sc.exact FROM attention a JOIN generations g "
    "ON g.id = a.generation_id JOIN samples s ON s.id = g.sample_id JOIN scores sc "
    "ON sc.generation_id = g.id JOIN runs r ON r.id = g.run_id WHERE r.study_id = ?1 "
    "AND r.status = ?2 AND r.kind = 'single' AND s.split = 'train' AND g.probe = ?3 "
    "AND a.phase = 'prompt' AND a.layer = (SELECT max(a2.layer) FROM attention a2 "
    "JOIN generations g2 ON g2.id = a2.generation_id JOIN runs r2 ON r2.id = g2.run_id "
    "WHERE r2.study_id = ?1) GROUP BY g.id ORDER BY g.id", study_id, probe, error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (MsStoreAttentionMean));
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreAttentionMean m = {
        .generation_id = sqlite3_column_int64 (stmt, 0),
        .task_id = sqlite3_column_int64 (stmt, 1),
        .entropy = ms_store_column_double (stmt, 2),
        .max = ms_store_column_double (stmt, 3),
        .topk = ms_store_column_double (stmt, 4),
        .gini = ms_store_column_double (stmt, 5),
        .token_match = ms_store_column_double (stmt, 6),
        .lcs_chars = ms_store_column_double (stmt, 7),
        .rouge_l = ms_store_column_double (stmt, 8),
        .exact = ms_store_column_double (stmt, 9),
      };
      g_array_append_val (out, m);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the attention means", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

/* ---- Attention maps ---------------------------------------------------------------------- */

void
ms_store_attention_map_data_free (MsStoreAttentionMapData *map)
{
  if (map == NULL)
    return;
  g_free (map->tokens_json);
  g_free (map->record_id);
  g_free (map->run);
  g_free (map->data);
  g_free (map);
}

MsStoreAttentionMapData *
ms_store_get_attention_map (MsStore *store, gint64 generation_id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT m.layer, m.head, m.rows, m.cols, m.tokens, m.data, s.record_id, r.name FROM "
    "attention_maps m JOIN generations g ON g.id = m.generation_id JOIN samples s "
    "ON s.id = g.sample_id JOIN runs r ON r.id = g.run_id WHERE m.generation_id = ?1 "
    "ORDER BY m.head LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, generation_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    return read_failed (store, stmt, "cannot read the attention map", error), NULL;
  g_autoptr (MsStoreAttentionMapData) m = g_new0 (MsStoreAttentionMapData, 1);
  m->generation_id = generation_id;
  m->layer = sqlite3_column_int (stmt, 0);
  m->head = sqlite3_column_int (stmt, 1);
  gint64 rows = sqlite3_column_int64 (stmt, 2), cols = sqlite3_column_int64 (stmt, 3);
  const guint8 *p = sqlite3_column_blob (stmt, 5);
  gsize bytes = sqlite3_column_bytes (stmt, 5);
  /* The shape is checked before it sizes anything: a map written by a broken or foreign
   * writer must not make the app read past its blob. */
  if (rows <= 0 || cols <= 0 || rows > G_MAXINT || cols > G_MAXINT
      || (guint64) rows * (guint64) cols * 4 != bytes)
    {
      sqlite3_reset (stmt);
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: attention map of generation %" G_GINT64_FORMAT " has the wrong size: "
                   "%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " cells need 4 bytes each, the "
                   "blob has %" G_GSIZE_FORMAT, store->path, generation_id, rows, cols, bytes);
      return NULL;
    }
  m->rows = (int) rows;
  m->cols = (int) cols;
  m->tokens_json = ms_store_column_dup (stmt, 4);
  m->record_id = ms_store_column_dup (stmt, 6);
  m->run = ms_store_column_dup (stmt, 7);
  gsize n = (gsize) rows * (gsize) cols;
  m->data = g_new (float, n);
  /* float32 little-endian whatever the host, as the writer stores it. */
  for (gsize i = 0; i < n; i++)
    {
      guint32 bits = (guint32) p[4 * i] | (guint32) p[4 * i + 1] << 8
                     | (guint32) p[4 * i + 2] << 16 | (guint32) p[4 * i + 3] << 24;
      memcpy (&m->data[i], &bits, sizeof bits);
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&m);
}

void
ms_store_map_entry_free (MsStoreMapEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->run);
  g_free (entry->run_kind);
  g_free (entry->record_id);
  g_free (entry->probe);
  g_free (entry);
}

GPtrArray *
ms_store_study_attention_maps (MsStore *store, gint64 study_id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT m.generation_id, r.name, s.record_id, g.probe, r.kind FROM attention_maps m "
    "JOIN generations g ON g.id = m.generation_id JOIN samples s ON s.id = g.sample_id "
    "JOIN runs r ON r.id = g.run_id WHERE r.study_id = ?1 "
    "GROUP BY m.generation_id ORDER BY r.id, s.task_id, s.id, g.probe", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, study_id);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                              ms_store_map_entry_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreMapEntry *e = g_new0 (MsStoreMapEntry, 1);
      e->generation_id = sqlite3_column_int64 (stmt, 0);
      e->run = ms_store_column_dup (stmt, 1);
      e->record_id = ms_store_column_dup (stmt, 2);
      e->probe = ms_store_column_dup (stmt, 3);
      e->run_kind = ms_store_column_dup (stmt, 4);
      g_ptr_array_add (out, e);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot list the attention maps", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

gboolean
ms_store_study_best_map (MsStore *store, gint64 study_id, gint64 *generation_id,
                         GError **error)
{
  *generation_id = 0;
  /* Unlike the readers above, runs of any status count: this is the report's choice of the
   * one map it shows, and it never filtered on the status. */
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT m.generation_id FROM attention_maps m JOIN generations g ON g.id = "
    "m.generation_id JOIN runs r ON r.id = g.run_id JOIN scores sc ON sc.generation_id "
    "= g.id WHERE r.study_id = ?1 AND r.kind = 'single' ORDER BY "
    "sc.token_match DESC, g.id LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, study_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *generation_id = sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot find the study's attention maps", error);
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
ms_store_find_generation (MsStore *store, gint64 run_id, gint64 sample_id, const char *probe,
                          gint64 *generation_id, gint64 *n_maps, GError **error)
{
  *generation_id = 0;
  *n_maps = 0;
  if (!check_probe (store, probe, error))
    return FALSE;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT g.id, (SELECT count(*) FROM attention_maps m WHERE m.generation_id = g.id) "
    "FROM generations g WHERE g.run_id = ?1 AND g.sample_id = ?2 AND g.probe = ?3", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int64 (stmt, 2, sample_id);
  sqlite3_bind_text (stmt, 3, probe, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *generation_id = sqlite3_column_int64 (stmt, 0);
      *n_maps = sqlite3_column_int64 (stmt, 1);
    }
  else if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the generation", error);
  sqlite3_reset (stmt);
  return TRUE;
}

/* ---- Sparse codes ------------------------------------------------------------------------ */

gboolean
ms_store_study_sparse_run (MsStore *store, gint64 study_id, gint64 *run_id, int *layer,
                           char **run_name, GError **error)
{
  *run_id = 0;
  *layer = 0;
  *run_name = NULL;
  /* The run that codes every task with one dictionary: a mixture, else the base model (a
   * single-task run only when neither has codes). */
  sqlite3_stmt *stmt = study_stmt (store,
    "SELECT r.id, max(sp.layer), r.name FROM sparse sp JOIN runs r ON r.id = sp.run_id "
    "WHERE r.study_id = ?1 AND r.status = ?2 GROUP BY r.id "
    "ORDER BY r.kind = 'mixture' DESC, r.kind = 'base' DESC, r.id LIMIT 1", study_id, NULL,
    error);
  if (stmt == NULL)
    return FALSE;
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *run_id = sqlite3_column_int64 (stmt, 0);
      *layer = sqlite3_column_int (stmt, 1);
      *run_name = ms_store_column_dup (stmt, 2);
    }
  else if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot find the study's sparse codes", error);
  sqlite3_reset (stmt);
  return TRUE;
}

GArray *
ms_store_sparse_memorization (MsStore *store, gint64 run_id, int layer, const char *probe,
                              GError **error)
{
  if (!check_probe (store, probe, error))
    return NULL;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT sp.sample_id, s.task_id, sp.active_at_error, avg(sc.token_match) FROM sparse sp "
    "JOIN samples s ON s.id = sp.sample_id "
    "JOIN generations g ON g.sample_id = s.id AND g.probe = ?3 "
    "JOIN runs gr ON gr.id = g.run_id AND gr.kind = 'single' AND gr.status = ?4 "
    "JOIN scores sc ON sc.generation_id = g.id "
    "WHERE sp.run_id = ?1 AND sp.layer = ?2 AND s.split = 'train' "
    "AND sp.active_at_error IS NOT NULL GROUP BY sp.sample_id ORDER BY sp.sample_id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_int (stmt, 2, layer);
  sqlite3_bind_text (stmt, 3, probe, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, ms_run_state_name (MS_RUN_DONE), -1, SQLITE_STATIC);
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (MsStoreSparseRow));
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreSparseRow r = {
        .sample_id = sqlite3_column_int64 (stmt, 0),
        .task_id = sqlite3_column_int64 (stmt, 1),
        .active_at_error = ms_store_column_double (stmt, 2),
        .token_match = ms_store_column_double (stmt, 3),
      };
      g_array_append_val (out, r);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the sparse codes", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

/* ---- Membership inference and canaries --------------------------------------------------- */

GArray *
ms_store_study_mia (MsStore *store, gint64 study_id, GError **error)
{
  sqlite3_stmt *stmt = study_stmt (store,
    "SELECT m.run_id, s.task_id, s.split = 'train', s.id, m.loss, m.min_k, m.zlib_ratio, "
    "r.kind = 'base' FROM mia m JOIN samples s ON s.id = m.sample_id JOIN runs r "
    "ON r.id = m.run_id WHERE r.study_id = ?1 AND r.status = ?2 "
    "ORDER BY m.run_id, s.task_id, s.id", study_id, NULL, error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (MsStoreMiaRow));
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreMiaRow r = {
        .run_id = sqlite3_column_int64 (stmt, 0),
        .task_id = sqlite3_column_int64 (stmt, 1),
        .member = sqlite3_column_int (stmt, 2) == 1,
        .sample_id = sqlite3_column_int64 (stmt, 3),
        .loss = ms_store_column_double (stmt, 4),
        .min_k = ms_store_column_double (stmt, 5),
        .zlib_ratio = ms_store_column_double (stmt, 6),
        .base = sqlite3_column_int (stmt, 7) == 1,
      };
      g_array_append_val (out, r);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the membership scores", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

void
ms_store_canary_group_free (MsStoreCanaryGroup *group)
{
  if (group == NULL)
    return;
  g_free (group->task);
  g_free (group);
}

GPtrArray *
ms_store_study_canaries (MsStore *store, gint64 study_id, GError **error)
{
  sqlite3_stmt *stmt = study_stmt (store,
    "SELECT c.run_id, c.repeats, avg(c.exposure), min(c.exposure), max(c.exposure), "
    "avg(c.exposure_normal), max(c.space), max(c.candidates), count(*), "
    "(SELECT name FROM tasks WHERE id = c.task_id) FROM canaries c JOIN runs r "
    "ON r.id = c.run_id WHERE r.study_id = ?1 AND r.status = ?2 "
    "GROUP BY c.run_id, c.repeats ORDER BY c.run_id, c.repeats", study_id, NULL, error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                              ms_store_canary_group_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreCanaryGroup *c = g_new0 (MsStoreCanaryGroup, 1);
      c->run_id = sqlite3_column_int64 (stmt, 0);
      c->repeats = sqlite3_column_int (stmt, 1);
      c->mean_exposure = ms_store_column_double (stmt, 2);
      c->min_exposure = ms_store_column_double (stmt, 3);
      c->max_exposure = ms_store_column_double (stmt, 4);
      c->mean_exposure_normal = ms_store_column_double (stmt, 5);
      c->max_space = ms_store_column_double (stmt, 6);
      c->max_candidates = sqlite3_column_int64 (stmt, 7);
      c->n = sqlite3_column_int64 (stmt, 8);
      c->task = ms_store_column_dup (stmt, 9);
      g_ptr_array_add (out, c);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the canaries", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

/* ---- The app ----------------------------------------------------------------------------- */

gboolean
ms_store_study_has_rows (MsStore *store, gint64 study_id, const char *table, gboolean *has,
                         GError **error)
{
  *has = FALSE;
  /* TABLE picks one of these fixed statements; it never becomes SQL text. */
  static const char *const names[] = { "attention", "sparse", "mia" };
  static const char *const sql[] = {
    "SELECT 1 FROM attention a JOIN generations g ON g.id = a.generation_id "
    "JOIN runs r ON r.id = g.run_id WHERE r.study_id = ?1 LIMIT 1",
    "SELECT 1 FROM sparse s JOIN runs r ON r.id = s.run_id WHERE r.study_id = ?1 LIMIT 1",
    "SELECT 1 FROM mia m JOIN runs r ON r.id = m.run_id WHERE r.study_id = ?1 LIMIT 1",
  };
  guint k = 0;
  while (k < G_N_ELEMENTS (names) && g_strcmp0 (table, names[k]) != 0)
    k++;
  if (k == G_N_ELEMENTS (names))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: no analysis table '%s' (attention, sparse or mia)", store->path,
                   table ? table : "(null)");
      return FALSE;
    }
  sqlite3_stmt *stmt = ms_store_stmt (store, sql[k], error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, study_id);
  int rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the analysis tables", error);
  *has = rc == SQLITE_ROW;
  sqlite3_reset (stmt);
  return TRUE;
}

GHashTable *
ms_store_study_search (MsStore *store, gint64 study_id, const char *text, GError **error)
{
  /* instr () takes the text as it is: quotes, % and _ match themselves, and binding it keeps
   * whatever the user types out of the SQL. */
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT g.id FROM generations g JOIN samples s ON s.id = g.sample_id "
    "JOIN runs r ON r.id = g.run_id WHERE r.study_id = ?1 AND ("
    "instr (lower (s.input), lower (?2)) > 0 OR instr (lower (g.reference), lower (?2)) > 0"
    " OR instr (lower (g.text), lower (?2)) > 0)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, study_id);
  sqlite3_bind_text (stmt, 2, text ? text : "", -1, SQLITE_TRANSIENT);
  return ms_store_id_set (store, stmt, "cannot search the study's texts", error);
}
