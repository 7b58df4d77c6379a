/* Writing results: studies, tasks, runs and their status, curves, samples, generations with
 * their scores. Each call is atomic (a savepoint inside the caller's transaction, if any);
 * arguments are checked first so that errors say what was wrong rather than which constraint
 * failed. */
#include "store/ms-store-private.h"

#include <math.h>
#include <string.h>

#include "common/ms-error.h"

static gboolean
one_of (const char *value, const char *const *allowed)
{
  for (; value && *allowed; allowed++)
    if (strcmp (value, *allowed) == 0)
      return TRUE;
  return FALSE;
}

static const char *const run_kinds[] = { "base", "single", "mixture", NULL };
static const char *const run_statuses[] = { "pending", "training", "trained", "probing", "done",
                                            "failed", NULL };

const char *
ms_run_state_name (MsRunState state)
{
  return (guint) state <= MS_RUN_FAILED ? run_statuses[state] : NULL;
}

gboolean
ms_run_state_parse (const char *name, MsRunState *state)
{
  for (int i = 0; name && run_statuses[i]; i++)
    if (strcmp (name, run_statuses[i]) == 0)
      {
        *state = (MsRunState) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
ms_run_state_has_model (MsRunState state)
{
  return state == MS_RUN_TRAINED || state == MS_RUN_PROBING;
}
static const char *const splits[] = { "train", "heldout", NULL };
static const char *const probes[] = { "input", "target", NULL };
static const char *const curve_kinds[] = { "train", "eval", NULL };

static gboolean
check_one_of (MsStore *store, const char *what, const char *value, const char *const *allowed,
              GError **error)
{
  if (one_of (value, allowed))
    return TRUE;
  g_autofree char *list = g_strjoinv (", ", (char **) allowed);
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: %s '%s': expected one of %s",
               store->path, what, value ? value : "(null)", list);
  return FALSE;
}

static gboolean
check_text (MsStore *store, const char *what, const char *value, GError **error)
{
  if (value && *value)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: %s is missing", store->path, what);
  return FALSE;
}

static gboolean
check_writable (MsStore *store, GError **error)
{
  if (!store->read_only)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: the store was opened read-only",
               store->path);
  return FALSE;
}

/* Steps a statement with RETURNING id and returns the id (0 with an error). */
static gint64
step_returning_id (MsStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc = sqlite3_step (stmt);
  gint64 id = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  if (rc == SQLITE_ROW)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db), "%s", what);
      id = 0;
    }
  sqlite3_reset (stmt);
  return id;
}

static gboolean
touch_study (MsStore *store, gint64 study_id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "UPDATE studies SET updated = ?1 WHERE id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  g_autofree char *now = ms_store_now ();
  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, study_id);
  return ms_store_step_done (store, stmt, "cannot update the study's time", error);
}

gint64
ms_store_upsert_study (MsStore *store, const MsStoreStudyDef *def, GError **error)
{
  if (!check_writable (store, error) || !check_text (store, "study name", def->name, error))
    return 0;
  if (def->spec_text == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: study '%s': spec text is missing",
                   store->path, def->name);
      return 0;
    }
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "INSERT INTO studies (name, spec_path, spec_text, spec_sha256, settings_json, created, "
    "updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
    "ON CONFLICT (name) DO UPDATE SET spec_path = excluded.spec_path, "
    "spec_text = excluded.spec_text, spec_sha256 = excluded.spec_sha256, "
    "settings_json = excluded.settings_json, updated = excluded.updated RETURNING id", error);
  if (stmt == NULL)
    return 0;
  g_autofree char *sha = def->spec_sha256 ? NULL
    : g_compute_checksum_for_string (G_CHECKSUM_SHA256, def->spec_text, -1);
  g_autofree char *now = ms_store_now ();
  sqlite3_bind_text (stmt, 1, def->name, -1, SQLITE_TRANSIENT);
  ms_store_bind_text (stmt, 2, def->spec_path);
  sqlite3_bind_text (stmt, 3, def->spec_text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, def->spec_sha256 ? def->spec_sha256 : sha, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, def->settings_json ? def->settings_json : "{}", -1,
                     SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, now, -1, SQLITE_TRANSIENT);
  g_autofree char *what = g_strdup_printf ("cannot store study '%s'", def->name);
  return step_returning_id (store, stmt, what, error);
}

gint64
ms_store_upsert_task (MsStore *store, gint64 study_id, const MsStoreTaskDef *def,
                      GError **error)
{
  if (!check_writable (store, error) || !check_text (store, "task name", def->name, error))
    return 0;
  if (def->train_path == NULL || def->train_sha256 == NULL || def->template == NULL
      || def->n_train < 0 || def->n_heldout < 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: task '%s': train_path, train_sha256 and template are required and the "
                   "counts must not be negative", store->path, def->name);
      return 0;
    }
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "INSERT INTO tasks (study_id, name, train_path, heldout_path, train_sha256, heldout_sha256, "
    "template, n_train, n_heldout) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (study_id, name) DO UPDATE SET train_path = excluded.train_path, "
    "heldout_path = excluded.heldout_path, train_sha256 = excluded.train_sha256, "
    "heldout_sha256 = excluded.heldout_sha256, template = excluded.template, "
    "n_train = excluded.n_train, n_heldout = excluded.n_heldout RETURNING id", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, study_id);
  sqlite3_bind_text (stmt, 2, def->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, def->train_path, -1, SQLITE_TRANSIENT);
  ms_store_bind_text (stmt, 4, def->heldout_path);
  sqlite3_bind_text (stmt, 5, def->train_sha256, -1, SQLITE_TRANSIENT);
  ms_store_bind_text (stmt, 6, def->heldout_sha256);
  sqlite3_bind_text (stmt, 7, def->template, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, def->n_train);
  sqlite3_bind_int64 (stmt, 9, def->n_heldout);
  g_autofree char *what = g_strdup_printf ("cannot store task '%s' of study %" G_GINT64_FORMAT,
                                           def->name, study_id);
  return step_returning_id (store, stmt, what, error);
}

static gboolean
same_text (const char *a, const char *b)
{
  return g_strcmp0 (a, b) == 0;
}

gint64
ms_store_ensure_run (MsStore *store, gint64 study_id, const MsStoreRunDef *def,
                     gboolean *created, GError **error)
{
  if (created)
    *created = FALSE;
  if (!check_writable (store, error) || !check_text (store, "run name", def->name, error)
      || !check_one_of (store, "run kind", def->kind, run_kinds, error))
    return 0;
  if (strcmp (def->kind, "mixture") == 0 && (def->mixture == NULL || !*def->mixture))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: run '%s' is a mixture run without a mixture name", store->path,
                   def->name);
      return 0;
    }
  const char *tasks_json = def->tasks_json ? def->tasks_json : "[]";
  const char *hyper_json = def->hyper_json ? def->hyper_json : "{}";
  g_autofree char *what = NULL;  /* declared before any goto */
  if (!ms_store_begin (store, error))
    return 0;
  gint64 id = 0;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT id, kind, mixture, seed, tasks_json, hyper_json FROM runs "
    "WHERE study_id = ?1 AND name = ?2", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, study_id);
  sqlite3_bind_text (stmt, 2, def->name, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *field = NULL, *was = NULL, *now = NULL;
      char was_seed[24], now_seed[24];
      const char *kind = (const char *) sqlite3_column_text (stmt, 1);
      const char *mixture = (const char *) sqlite3_column_text (stmt, 2);
      const char *tasks = (const char *) sqlite3_column_text (stmt, 4);
      const char *hyper = (const char *) sqlite3_column_text (stmt, 5);
      g_snprintf (was_seed, sizeof was_seed, "%" G_GINT64_FORMAT,
                  (gint64) sqlite3_column_int64 (stmt, 3));
      g_snprintf (now_seed, sizeof now_seed, "%" G_GINT64_FORMAT, def->seed);
      if (!same_text (kind, def->kind))
        field = "kind", was = kind, now = def->kind;
      else if (!same_text (mixture, def->mixture))
        field = "mixture", was = mixture, now = def->mixture;
      else if (strcmp (was_seed, now_seed) != 0)
        field = "seed", was = was_seed, now = now_seed;
      else if (!same_text (tasks, tasks_json))
        field = "tasks_json", was = tasks, now = tasks_json;
      else if (!same_text (hyper, hyper_json))
        field = "hyper_json", was = hyper, now = hyper_json;
      if (field)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                       "%s: run '%s' exists with %s %s, the study now says %s (delete the run "
                       "to redo it)", store->path, def->name, field, was ? was : "NULL",
                       now ? now : "NULL");
          sqlite3_reset (stmt);
          goto fail;
        }
      id = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
      return ms_store_commit (store, error) ? id : 0;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      ms_store_set_error (store, error, rc, "cannot look up run '%s'", def->name);
      goto fail;
    }
  stmt = ms_store_stmt (store,
    "INSERT INTO runs (study_id, name, kind, mixture, seed, tasks_json, hyper_json) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, study_id);
  sqlite3_bind_text (stmt, 2, def->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, def->kind, -1, SQLITE_TRANSIENT);
  ms_store_bind_text (stmt, 4, def->mixture);
  sqlite3_bind_int64 (stmt, 5, def->seed);
  sqlite3_bind_text (stmt, 6, tasks_json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, hyper_json, -1, SQLITE_TRANSIENT);
  what = g_strdup_printf ("cannot create run '%s' of study %" G_GINT64_FORMAT, def->name,
                          study_id);
  id = step_returning_id (store, stmt, what, error);
  if (id == 0 || !touch_study (store, study_id, error))
    goto fail;
  if (!ms_store_commit (store, error))
    return 0;
  if (created)
    *created = TRUE;
  return id;

fail:
  ms_store_rollback (store);
  return 0;
}

gboolean
ms_store_delete_run (MsStore *store, gint64 run_id, GError **error)
{
  if (!check_writable (store, error))
    return FALSE;
  sqlite3_stmt *stmt = ms_store_stmt (store, "DELETE FROM runs WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  return ms_store_step_done (store, stmt, "cannot delete the run", error);
}

/* Columns of ms_store_update_run, in the order of the MsRunFields bits. */
static const char *const update_columns[][2] = {
  { "status", "error" }, { "model_path", "model_sha256" }, { "device", "host" },
  { "train_seconds", NULL }, { "probe_seconds", NULL }, { "train_tokens", NULL },
  { "final_loss", NULL }, { "data_json", NULL }, { "started", NULL }, { "finished", NULL },
};

static void
bind_double_or_null (sqlite3_stmt *stmt, int i, double v)
{
  if (isfinite (v))
    sqlite3_bind_double (stmt, i, v);
  else
    sqlite3_bind_null (stmt, i);
}

gboolean
ms_store_update_run (MsStore *store, gint64 run_id, const MsStoreRunUpdate *u, GError **error)
{
  if (!check_writable (store, error))
    return FALSE;
  if ((u->set & MS_RUN_SET_STATUS)
      && !check_one_of (store, "run status", ms_run_state_name (u->status), run_statuses,
                        error))
    return FALSE;
  if (u->set == 0)
    return TRUE;
  /* At most 2^10 distinct statements, each prepared once and cached by its text. */
  g_autoptr (GString) sql = g_string_new ("UPDATE runs SET ");
  int n = 0;
  for (guint b = 0; b < G_N_ELEMENTS (update_columns); b++)
    if (u->set & (1u << b))
      for (int c = 0; c < 2 && update_columns[b][c]; c++)
        {
          n++;
          g_string_append_printf (sql, "%s%s = ?%d", n > 1 ? ", " : "", update_columns[b][c], n);
        }
  g_string_append_printf (sql, " WHERE id = ?%d", n + 1);

  g_autofree char *now = ms_store_now ();  /* declared before any goto */
  if (!ms_store_begin (store, error))
    return FALSE;
  sqlite3_stmt *stmt = ms_store_stmt (store, sql->str, error);
  if (stmt == NULL)
    goto fail;
  int i = 1;
  if (u->set & MS_RUN_SET_STATUS)
    {
      sqlite3_bind_text (stmt, i++, ms_run_state_name (u->status), -1, SQLITE_STATIC);
      ms_store_bind_text (stmt, i++, u->error);
    }
  if (u->set & MS_RUN_SET_MODEL)
    {
      ms_store_bind_text (stmt, i++, u->model_path);
      ms_store_bind_text (stmt, i++, u->model_sha256);
    }
  if (u->set & MS_RUN_SET_DEVICE)
    {
      ms_store_bind_text (stmt, i++, u->device);
      ms_store_bind_text (stmt, i++, u->host);
    }
  if (u->set & MS_RUN_SET_TRAIN_SECONDS)
    bind_double_or_null (stmt, i++, u->train_seconds);
  if (u->set & MS_RUN_SET_PROBE_SECONDS)
    bind_double_or_null (stmt, i++, u->probe_seconds);
  if (u->set & MS_RUN_SET_TRAIN_TOKENS)
    {
      if (u->train_tokens >= 0)
        sqlite3_bind_int64 (stmt, i++, u->train_tokens);
      else
        sqlite3_bind_null (stmt, i++);
    }
  if (u->set & MS_RUN_SET_FINAL_LOSS)
    bind_double_or_null (stmt, i++, u->final_loss);
  if (u->set & MS_RUN_SET_DATA_JSON)
    sqlite3_bind_text (stmt, i++, u->data_json ? u->data_json : "{}", -1, SQLITE_TRANSIENT);
  if (u->set & MS_RUN_SET_STARTED)
    ms_store_bind_text (stmt, i++, u->started);
  if (u->set & MS_RUN_SET_FINISHED)
    ms_store_bind_text (stmt, i++, u->finished);
  sqlite3_bind_int64 (stmt, i, run_id);
  if (!ms_store_step_done (store, stmt, "cannot update the run", error))
    goto fail;
  if (sqlite3_changes (store->db) != 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: no run with id %" G_GINT64_FORMAT,
                   store->path, run_id);
      goto fail;
    }
  stmt = ms_store_stmt (store, "UPDATE studies SET updated = ?1 "
                        "WHERE id = (SELECT study_id FROM runs WHERE id = ?2)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, run_id);
  if (!ms_store_step_done (store, stmt, "cannot update the study's time", error))
    goto fail;
  return ms_store_commit (store, error);

fail:
  ms_store_rollback (store);
  return FALSE;
}

gboolean
ms_store_set_run_status (MsStore *store, gint64 run_id, MsRunState status,
                         const char *message, GError **error)
{
  MsStoreRunUpdate u = { .set = MS_RUN_SET_STATUS, .status = status, .error = message };
  return ms_store_update_run (store, run_id, &u, error);
}

gboolean
ms_store_add_curve (MsStore *store, gint64 run_id, const MsStoreCurvePoint *points, gsize n,
                    GError **error)
{
  if (!check_writable (store, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!check_one_of (store, "curve kind", points[i].kind, curve_kinds, error))
      return FALSE;
    else if (!isfinite (points[i].loss))
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "%s: run %" G_GINT64_FORMAT ": the %s loss at step %" G_GINT64_FORMAT
                     " is not finite (%g)", store->path, run_id, points[i].kind,
                     points[i].step, points[i].loss);
        return FALSE;
      }
  if (!ms_store_begin (store, error))
    return FALSE;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "INSERT OR REPLACE INTO curves (run_id, step, task_id, kind, loss) "
    "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    goto fail;
  for (gsize i = 0; i < n; i++)
    {
      sqlite3_bind_int64 (stmt, 1, run_id);
      sqlite3_bind_int64 (stmt, 2, points[i].step);
      if (points[i].task_id > 0)
        sqlite3_bind_int64 (stmt, 3, points[i].task_id);
      else
        sqlite3_bind_null (stmt, 3);
      sqlite3_bind_text (stmt, 4, points[i].kind, -1, SQLITE_STATIC);
      sqlite3_bind_double (stmt, 5, points[i].loss);
      if (!ms_store_step_done (store, stmt, "cannot add a curve point", error))
        goto fail;
    }
  return ms_store_commit (store, error);

fail:
  ms_store_rollback (store);
  return FALSE;
}

/* The stored sample (task, split, record) must be the one being stored again. */
static gboolean
check_same_sample (MsStore *store, const MsStoreSampleDef *s, gint64 *id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT id, input, output, input_tokens, output_tokens FROM samples "
    "WHERE task_id = ?1 AND split = ?2 AND record_id = ?3", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, s->task_id);
  sqlite3_bind_text (stmt, 2, s->split, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, s->record_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db),
                          "cannot look up sample '%s'", s->record_id);
      sqlite3_reset (stmt);
      return FALSE;
    }
  const char *what = NULL;
  if (!same_text ((const char *) sqlite3_column_text (stmt, 1), s->input))
    what = "input text";
  else if (!same_text ((const char *) sqlite3_column_text (stmt, 2), s->output))
    what = "output text";
  else if (sqlite3_column_int64 (stmt, 3) != s->input_tokens)
    what = "input token count";
  else if (sqlite3_column_int64 (stmt, 4) != s->output_tokens)
    what = "output token count";
  *id = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (what)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "%s: sample '%s' (%s split of task %" G_GINT64_FORMAT ") is stored with "
                   "another %s: the data changed under the study", store->path, s->record_id,
                   s->split, s->task_id, what);
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_store_upsert_samples (MsStore *store, const MsStoreSampleDef *samples, gsize n, gint64 *ids,
                         GError **error)
{
  if (!check_writable (store, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!check_one_of (store, "sample split", samples[i].split, splits, error)
        || !check_text (store, "sample record id", samples[i].record_id, error))
      return FALSE;
    else if (samples[i].input == NULL || samples[i].output == NULL)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: sample '%s' has no input or output",
                     store->path, samples[i].record_id);
        return FALSE;
      }
  if (!ms_store_begin (store, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      const MsStoreSampleDef *s = &samples[i];
      sqlite3_stmt *stmt = ms_store_stmt (store,
        "INSERT INTO samples (task_id, split, record_id, input, output, input_tokens, "
        "output_tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (task_id, split, record_id) DO NOTHING RETURNING id", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_int64 (stmt, 1, s->task_id);
      sqlite3_bind_text (stmt, 2, s->split, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, s->record_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, s->input, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, s->output, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 6, s->input_tokens);
      sqlite3_bind_int64 (stmt, 7, s->output_tokens);
      int rc = sqlite3_step (stmt);
      gint64 id = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
      if (rc == SQLITE_ROW)
        rc = sqlite3_step (stmt);
      if (rc != SQLITE_DONE)
        {
          ms_store_set_error (store, error, sqlite3_extended_errcode (store->db),
                              "cannot store sample '%s' of task %" G_GINT64_FORMAT,
                              s->record_id, s->task_id);
          sqlite3_reset (stmt);
          goto fail;
        }
      sqlite3_reset (stmt);
      if (id == 0 && !check_same_sample (store, s, &id, error))
        goto fail;
      ids[i] = id;
    }
  return ms_store_commit (store, error);

fail:
  ms_store_rollback (store);
  return FALSE;
}

/* Binds N int32 as a little-endian BLOB (an empty array as a zero-length BLOB, not NULL). */
static void
bind_tokens (sqlite3_stmt *stmt, int i, const gint32 *tokens, gsize n)
{
  if (n == 0)
    {
      sqlite3_bind_zeroblob (stmt, i, 0);
      return;
    }
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  sqlite3_bind_blob64 (stmt, i, tokens, (sqlite3_uint64) n * 4, SQLITE_TRANSIENT);
#else
  guint32 *le = g_new (guint32, n);
  for (gsize k = 0; k < n; k++)
    le[k] = GUINT32_TO_LE ((guint32) tokens[k]);
  sqlite3_bind_blob64 (stmt, i, le, (sqlite3_uint64) n * 4, g_free);
#endif
}

gint64
ms_store_add_generation (MsStore *store, const MsStoreGenerationDef *def, GError **error)
{
  if (!check_writable (store, error)
      || !check_one_of (store, "probe", def->probe, probes, error))
    return 0;
  const MsStoreScores *s = &def->scores;
  if (def->reference == NULL || def->text == NULL
      || (def->n_reference_tokens > 0 && def->reference_tokens == NULL)
      || (def->n_tokens > 0 && def->tokens == NULL))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: generation of sample %" G_GINT64_FORMAT " by run %" G_GINT64_FORMAT
                   ": reference, text and their tokens are required", store->path,
                   def->sample_id, def->run_id);
      return 0;
    }
  if (!isfinite (s->token_match) || !isfinite (s->rouge_l) || !isfinite (s->bleu)
      || !isfinite (s->align_gen_cov) || !isfinite (s->align_ref_cov))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: generation of sample %" G_GINT64_FORMAT " by run %" G_GINT64_FORMAT
                   ": a score is not finite", store->path, def->sample_id, def->run_id);
      return 0;
    }
  if (!ms_store_begin (store, error))
    return 0;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "INSERT INTO generations (run_id, sample_id, probe, prompt_tokens, reference, "
    "reference_tokens, text, tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, def->run_id);
  sqlite3_bind_int64 (stmt, 2, def->sample_id);
  sqlite3_bind_text (stmt, 3, def->probe, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, def->prompt_tokens);
  sqlite3_bind_text (stmt, 5, def->reference, -1, SQLITE_STATIC);
  bind_tokens (stmt, 6, def->reference_tokens, def->n_reference_tokens);
  sqlite3_bind_text (stmt, 7, def->text, -1, SQLITE_STATIC);
  bind_tokens (stmt, 8, def->tokens, def->n_tokens);
  int rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      rc = sqlite3_extended_errcode (store->db);
      if (rc == SQLITE_CONSTRAINT_UNIQUE)
        g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                     "%s: run %" G_GINT64_FORMAT " already has a '%s' generation of sample %"
                     G_GINT64_FORMAT, store->path, def->run_id, def->probe, def->sample_id);
      else
        ms_store_set_error (store, error, rc, "cannot store the generation of sample %"
                            G_GINT64_FORMAT " by run %" G_GINT64_FORMAT, def->sample_id,
                            def->run_id);
      sqlite3_reset (stmt);
      goto fail;
    }
  sqlite3_reset (stmt);
  gint64 id = sqlite3_last_insert_rowid (store->db);

  stmt = ms_store_stmt (store,
    "INSERT INTO scores (generation_id, exact, token_match, lcs_chars, lcs_ref_start, "
    "lcs_gen_start, verbatim, rouge_l, bleu, align_gen_cov, align_ref_cov, paraphrase, idea) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int (stmt, 2, s->exact ? 1 : 0);
  sqlite3_bind_double (stmt, 3, s->token_match);
  sqlite3_bind_int64 (stmt, 4, s->lcs_chars);
  sqlite3_bind_int64 (stmt, 5, s->lcs_ref_start);
  sqlite3_bind_int64 (stmt, 6, s->lcs_gen_start);
  sqlite3_bind_int (stmt, 7, s->verbatim ? 1 : 0);
  sqlite3_bind_double (stmt, 8, s->rouge_l);
  sqlite3_bind_double (stmt, 9, s->bleu);
  sqlite3_bind_double (stmt, 10, s->align_gen_cov);
  sqlite3_bind_double (stmt, 11, s->align_ref_cov);
  sqlite3_bind_int (stmt, 12, s->paraphrase ? 1 : 0);
  sqlite3_bind_int (stmt, 13, s->idea ? 1 : 0);
  if (!ms_store_step_done (store, stmt, "cannot store the scores", error))
    goto fail;
  return ms_store_commit (store, error) ? id : 0;

fail:
  ms_store_rollback (store);
  return 0;
}

gint64
ms_store_delete_generations (MsStore *store, gint64 run_id, const char *probe, GError **error)
{
  if (!check_writable (store, error)
      || (probe && !check_one_of (store, "probe", probe, probes, error)))
    return -1;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "DELETE FROM generations WHERE run_id = ?1 AND (?2 IS NULL OR probe = ?2)", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, run_id);
  ms_store_bind_text (stmt, 2, probe);
  if (!ms_store_step_done (store, stmt, "cannot delete the run's generations", error))
    return -1;
  return sqlite3_changes64 (store->db);
}

GHashTable *
ms_store_probed_samples (MsStore *store, gint64 run_id, const char *probe, GError **error)
{
  if (!check_one_of (store, "probe", probe, probes, error))
    return NULL;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT sample_id FROM generations WHERE run_id = ?1 AND probe = ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  sqlite3_bind_text (stmt, 2, probe, -1, SQLITE_STATIC);
  return ms_store_id_set (store, stmt, "cannot read the run's generations", error);
}
