/* Reading results: studies, tasks and runs with their counts, curves, the rows of the
 * `results` view and their per-group aggregates, and one generation in full for the app. */
#include "store/ms-store-private.h"

#include <math.h>
#include <string.h>

#include "common/ms-error.h"

/* Sets the error for a step that ended in RC (neither ROW nor DONE). */
static gboolean
read_failed (MsStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
  ms_store_set_error (store, error, sqlite3_extended_errcode (store->db), "%s", what);
  sqlite3_reset (stmt);
  return FALSE;
}

/* ---- Filters ----------------------------------------------------------------------------- */

void
ms_store_filter_sql (const MsStoreFilter *filter, const char *prefix, GString *where)
{
  if (filter == NULL)
    return;
  static const char *const names[] = { "study", "run", "task", "split", "probe" };
  const char *values[] = { filter->study, filter->run, filter->task, filter->split,
                           filter->probe };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (values[i])
      g_string_append_printf (where, " AND %s%s = ?", prefix, names[i]);
  if (filter->run_id > 0)
    g_string_append_printf (where, " AND %srun_id = ?", prefix);
  if (filter->sample_id > 0)
    g_string_append_printf (where, " AND %ssample_id = ?", prefix);
}

void
ms_store_filter_bind (const MsStoreFilter *filter, sqlite3_stmt *stmt, int first)
{
  if (filter == NULL)
    return;
  const char *values[] = { filter->study, filter->run, filter->task, filter->split,
                           filter->probe };
  int i = first;
  for (guint k = 0; k < G_N_ELEMENTS (values); k++)
    if (values[k])
      sqlite3_bind_text (stmt, i++, values[k], -1, SQLITE_TRANSIENT);
  if (filter->run_id > 0)
    sqlite3_bind_int64 (stmt, i++, filter->run_id);
  if (filter->sample_id > 0)
    sqlite3_bind_int64 (stmt, i++, filter->sample_id);
}

/* ---- Studies ----------------------------------------------------------------------------- */

void
ms_store_study_free (MsStoreStudy *study)
{
  if (study == NULL)
    return;
  g_free (study->name);
  g_free (study->spec_path);
  g_free (study->spec_text);
  g_free (study->spec_sha256);
  g_free (study->settings_json);
  g_free (study->created);
  g_free (study->updated);
  g_free (study);
}

#define STUDY_SQL \
  "SELECT st.id, st.name, st.spec_path, st.spec_text, st.spec_sha256, st.settings_json, " \
  "st.created, st.updated, " \
  "(SELECT count(*) FROM runs r WHERE r.study_id = st.id), " \
  "(SELECT count(*) FROM runs r WHERE r.study_id = st.id AND r.status = 'done'), " \
  "(SELECT count(*) FROM runs r WHERE r.study_id = st.id AND r.status = 'failed'), " \
  "(SELECT count(*) FROM tasks t WHERE t.study_id = st.id), " \
  "(SELECT count(*) FROM generations g JOIN runs r ON r.id = g.run_id " \
  " WHERE r.study_id = st.id) FROM studies st"

static MsStoreStudy *
study_from_row (sqlite3_stmt *stmt)
{
  MsStoreStudy *s = g_new0 (MsStoreStudy, 1);
  s->id = sqlite3_column_int64 (stmt, 0);
  s->name = ms_store_column_dup (stmt, 1);
  s->spec_path = ms_store_column_dup (stmt, 2);
  s->spec_text = ms_store_column_dup (stmt, 3);
  s->spec_sha256 = ms_store_column_dup (stmt, 4);
  s->settings_json = ms_store_column_dup (stmt, 5);
  s->created = ms_store_column_dup (stmt, 6);
  s->updated = ms_store_column_dup (stmt, 7);
  s->n_runs = sqlite3_column_int64 (stmt, 8);
  s->n_done = sqlite3_column_int64 (stmt, 9);
  s->n_failed = sqlite3_column_int64 (stmt, 10);
  s->n_tasks = sqlite3_column_int64 (stmt, 11);
  s->n_generations = sqlite3_column_int64 (stmt, 12);
  return s;
}

GPtrArray *
ms_store_list_studies (MsStore *store, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store, STUDY_SQL " ORDER BY st.name", error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                              ms_store_study_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, study_from_row (stmt));
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot list the studies", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

MsStoreStudy *
ms_store_get_study (MsStore *store, const char *name, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store, STUDY_SQL " WHERE st.name = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      MsStoreStudy *s = study_from_row (stmt);
      sqlite3_reset (stmt);
      return s;
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the study", error), NULL;
  sqlite3_reset (stmt);
  g_autoptr (GPtrArray) all = ms_store_list_studies (store, error);
  if (all == NULL)
    return NULL;
  g_autoptr (GString) names = g_string_new (NULL);
  for (guint i = 0; i < all->len; i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "",
                            ((MsStoreStudy *) all->pdata[i])->name);
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: no study '%s' (%s%s)", store->path,
               name, all->len ? "studies: " : "the store has no studies yet", names->str);
  return NULL;
}

/* ---- Tasks ------------------------------------------------------------------------------- */

void
ms_store_task_free (MsStoreTask *task)
{
  if (task == NULL)
    return;
  g_free (task->name);
  g_free (task->train_path);
  g_free (task->heldout_path);
  g_free (task->train_sha256);
  g_free (task->heldout_sha256);
  g_free (task->template);
  g_free (task);
}

GPtrArray *
ms_store_list_tasks (MsStore *store, gint64 study_id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT t.id, t.study_id, t.name, t.train_path, t.heldout_path, t.train_sha256, "
    "t.heldout_sha256, t.template, t.n_train, t.n_heldout, "
    "(SELECT count(*) FROM samples s WHERE s.task_id = t.id AND s.split = 'train'), "
    "(SELECT count(*) FROM samples s WHERE s.task_id = t.id AND s.split = 'heldout') "
    "FROM tasks t WHERE t.study_id = ?1 ORDER BY t.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, study_id);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                              ms_store_task_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreTask *t = g_new0 (MsStoreTask, 1);
      t->id = sqlite3_column_int64 (stmt, 0);
      t->study_id = sqlite3_column_int64 (stmt, 1);
      t->name = ms_store_column_dup (stmt, 2);
      t->train_path = ms_store_column_dup (stmt, 3);
      t->heldout_path = ms_store_column_dup (stmt, 4);
      t->train_sha256 = ms_store_column_dup (stmt, 5);
      t->heldout_sha256 = ms_store_column_dup (stmt, 6);
      t->template = ms_store_column_dup (stmt, 7);
      t->n_train = sqlite3_column_int64 (stmt, 8);
      t->n_heldout = sqlite3_column_int64 (stmt, 9);
      t->n_samples_train = sqlite3_column_int64 (stmt, 10);
      t->n_samples_heldout = sqlite3_column_int64 (stmt, 11);
      g_ptr_array_add (out, t);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot list the tasks", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

/* ---- Runs -------------------------------------------------------------------------------- */

void
ms_store_run_free (MsStoreRun *run)
{
  if (run == NULL)
    return;
  g_free (run->name);
  g_free (run->kind);
  g_free (run->mixture);
  g_free (run->tasks_json);
  g_free (run->error);
  g_free (run->model_path);
  g_free (run->model_sha256);
  g_free (run->hyper_json);
  g_free (run->data_json);
  g_free (run->device);
  g_free (run->host);
  g_free (run->started);
  g_free (run->finished);
  g_free (run);
}

#define RUN_SQL \
  "SELECT r.id, r.study_id, r.name, r.kind, r.mixture, r.seed, r.tasks_json, r.status, " \
  "r.error, r.model_path, r.model_sha256, r.hyper_json, r.data_json, r.device, " \
  "r.train_seconds, r.probe_seconds, r.train_tokens, r.final_loss, r.started, r.finished, " \
  "(SELECT count(*) FROM generations g WHERE g.run_id = r.id), r.host FROM runs r"

static MsStoreRun *
run_from_row (sqlite3_stmt *stmt)
{
  MsStoreRun *r = g_new0 (MsStoreRun, 1);
  r->id = sqlite3_column_int64 (stmt, 0);
  r->study_id = sqlite3_column_int64 (stmt, 1);
  r->name = ms_store_column_dup (stmt, 2);
  r->kind = ms_store_column_dup (stmt, 3);
  r->mixture = ms_store_column_dup (stmt, 4);
  r->seed = sqlite3_column_int64 (stmt, 5);
  r->tasks_json = ms_store_column_dup (stmt, 6);
  /* The schema's CHECK admits only the state names. */
  if (!ms_run_state_parse ((const char *) sqlite3_column_text (stmt, 7), &r->status))
    r->status = MS_RUN_PENDING;
  r->error = ms_store_column_dup (stmt, 8);
  r->model_path = ms_store_column_dup (stmt, 9);
  r->model_sha256 = ms_store_column_dup (stmt, 10);
  r->hyper_json = ms_store_column_dup (stmt, 11);
  r->data_json = ms_store_column_dup (stmt, 12);
  r->device = ms_store_column_dup (stmt, 13);
  r->host = ms_store_column_dup (stmt, 21);
  r->train_seconds = ms_store_column_double (stmt, 14);
  r->probe_seconds = ms_store_column_double (stmt, 15);
  r->train_tokens = sqlite3_column_type (stmt, 16) == SQLITE_NULL
                    ? -1 : sqlite3_column_int64 (stmt, 16);
  r->final_loss = ms_store_column_double (stmt, 17);
  r->started = ms_store_column_dup (stmt, 18);
  r->finished = ms_store_column_dup (stmt, 19);
  r->n_generations = sqlite3_column_int64 (stmt, 20);
  return r;
}

GPtrArray *
ms_store_list_runs (MsStore *store, gint64 study_id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store, RUN_SQL " WHERE r.study_id = ?1 ORDER BY r.id",
                                      error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, study_id);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                              ms_store_run_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, run_from_row (stmt));
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot list the runs", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

/* The run that STMT (already bound) finds, NULL without an error when there is none. */
static MsStoreRun *
one_run (MsStore *store, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);
  MsStoreRun *r = rc == SQLITE_ROW ? run_from_row (stmt) : NULL;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    read_failed (store, stmt, "cannot read the run", error);
  sqlite3_reset (stmt);
  return r;
}

MsStoreRun *
ms_store_get_run (MsStore *store, gint64 run_id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store, RUN_SQL " WHERE r.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  GError *local = NULL;
  MsStoreRun *r = one_run (store, stmt, &local);
  if (r == NULL && local == NULL)
    g_set_error (&local, MS_ERROR, MS_ERROR_INVALID, "%s: no run with id %" G_GINT64_FORMAT,
                 store->path, run_id);
  if (local)
    g_propagate_error (error, local);
  return r;
}

MsStoreRun *
ms_store_find_run (MsStore *store, gint64 study_id, const char *name, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    RUN_SQL " WHERE r.study_id = ?1 AND r.name = ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, study_id);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  return one_run (store, stmt, error);
}

/* ---- Curves ------------------------------------------------------------------------------ */

GArray *
ms_store_get_curve (MsStore *store, gint64 run_id, const char *kind, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT step, task_id, kind, loss FROM curves WHERE run_id = ?1 AND (?2 IS NULL OR "
    "kind = ?2) ORDER BY kind DESC, step, ifnull (task_id, 0)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, run_id);
  ms_store_bind_text (stmt, 2, kind);
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (MsStoreCurvePoint));
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreCurvePoint p = {
        .step = sqlite3_column_int64 (stmt, 0),
        .task_id = sqlite3_column_type (stmt, 1) == SQLITE_NULL
                   ? 0 : sqlite3_column_int64 (stmt, 1),
        .kind = g_intern_string ((const char *) sqlite3_column_text (stmt, 2)),
        .loss = sqlite3_column_double (stmt, 3),
      };
      g_array_append_val (out, p);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot read the curve", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

/* ---- The results view -------------------------------------------------------------------- */

#define RESULT_ORDER \
  " ORDER BY run_id, task_id, CASE split WHEN 'train' THEN 0 ELSE 1 END, probe"

void
ms_store_results_free (MsStoreResults *results)
{
  if (results == NULL)
    return;
  g_free (results->rows);
  if (results->strings)
    g_string_chunk_free (results->strings);
  g_free (results);
}

static const char *
chunk_text (GStringChunk *chunk, sqlite3_stmt *stmt, int i)
{
  const char *t = (const char *) sqlite3_column_text (stmt, i);
  return t ? g_string_chunk_insert_const (chunk, t) : NULL;
}

MsStoreResults *
ms_store_results (MsStore *store, const MsStoreFilter *filter, GError **error)
{
  g_autoptr (GString) sql = g_string_new (
    "SELECT study, run, run_kind, mixture, seed, task, split, record_id, input_tokens, "
    "output_tokens, probe, prompt_tokens, exact, token_match, lcs_chars, verbatim, rouge_l, "
    "bleu, align_gen_cov, align_ref_cov, paraphrase, idea, generation_id, sample_id, run_id, "
    "task_id FROM results WHERE 1");
  ms_store_filter_sql (filter, "", sql);
  g_string_append (sql, RESULT_ORDER ", sample_id");
  sqlite3_stmt *stmt = ms_store_stmt (store, sql->str, error);
  if (stmt == NULL)
    return NULL;
  ms_store_filter_bind (filter, stmt, 1);
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (MsStoreResult));
  GStringChunk *chunk = g_string_chunk_new (4096);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreResult r = {
        .study = chunk_text (chunk, stmt, 0),
        .run = chunk_text (chunk, stmt, 1),
        .run_kind = chunk_text (chunk, stmt, 2),
        .mixture = chunk_text (chunk, stmt, 3),
        .seed = sqlite3_column_int64 (stmt, 4),
        .task = chunk_text (chunk, stmt, 5),
        .split = chunk_text (chunk, stmt, 6),
        .record_id = chunk_text (chunk, stmt, 7),
        .input_tokens = sqlite3_column_int64 (stmt, 8),
        .output_tokens = sqlite3_column_int64 (stmt, 9),
        .probe = chunk_text (chunk, stmt, 10),
        .prompt_tokens = sqlite3_column_int64 (stmt, 11),
        .scores = {
          .exact = sqlite3_column_int (stmt, 12) != 0,
          .token_match = sqlite3_column_double (stmt, 13),
          .lcs_chars = sqlite3_column_int64 (stmt, 14),
          .verbatim = sqlite3_column_int (stmt, 15) != 0,
          .rouge_l = sqlite3_column_double (stmt, 16),
          .bleu = sqlite3_column_double (stmt, 17),
          .align_gen_cov = sqlite3_column_double (stmt, 18),
          .align_ref_cov = sqlite3_column_double (stmt, 19),
          .paraphrase = sqlite3_column_int (stmt, 20) != 0,
          .idea = sqlite3_column_int (stmt, 21) != 0,
        },
        .generation_id = sqlite3_column_int64 (stmt, 22),
        .sample_id = sqlite3_column_int64 (stmt, 23),
        .run_id = sqlite3_column_int64 (stmt, 24),
        .task_id = sqlite3_column_int64 (stmt, 25),
      };
      g_array_append_val (rows, r);
    }
  if (rc != SQLITE_DONE)
    {
      g_string_chunk_free (chunk);
      return read_failed (store, stmt, "cannot read the results", error), NULL;
    }
  sqlite3_reset (stmt);
  MsStoreResults *out = g_new0 (MsStoreResults, 1);
  out->n = rows->len;
  out->rows = (MsStoreResult *) g_array_free (g_steal_pointer (&rows), FALSE);
  out->strings = chunk;
  return out;
}

void
ms_store_aggregate_free (MsStoreAggregate *agg)
{
  if (agg == NULL)
    return;
  g_free (agg->study);
  g_free (agg->run);
  g_free (agg->task);
  g_free (agg->split);
  g_free (agg->probe);
  g_free (agg);
}

GPtrArray *
ms_store_aggregate (MsStore *store, const MsStoreFilter *filter, GError **error)
{
  g_autoptr (GString) sql = g_string_new (
    "SELECT run_id, task_id, study, run, task, split, probe, count(*), sum(exact), "
    "sum(verbatim), sum(paraphrase), sum(idea), avg(token_match), avg(rouge_l), avg(bleu), "
    "avg(lcs_chars), avg(align_gen_cov), avg(align_ref_cov) FROM results WHERE 1");
  ms_store_filter_sql (filter, "", sql);
  g_string_append (sql, " GROUP BY run_id, task_id, split, probe" RESULT_ORDER);
  sqlite3_stmt *stmt = ms_store_stmt (store, sql->str, error);
  if (stmt == NULL)
    return NULL;
  ms_store_filter_bind (filter, stmt, 1);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                              ms_store_aggregate_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      MsStoreAggregate *a = g_new0 (MsStoreAggregate, 1);
      a->run_id = sqlite3_column_int64 (stmt, 0);
      a->task_id = sqlite3_column_int64 (stmt, 1);
      a->study = ms_store_column_dup (stmt, 2);
      a->run = ms_store_column_dup (stmt, 3);
      a->task = ms_store_column_dup (stmt, 4);
      a->split = ms_store_column_dup (stmt, 5);
      a->probe = ms_store_column_dup (stmt, 6);
      a->n = sqlite3_column_int64 (stmt, 7);
      a->n_exact = sqlite3_column_int64 (stmt, 8);
      a->n_verbatim = sqlite3_column_int64 (stmt, 9);
      a->n_paraphrase = sqlite3_column_int64 (stmt, 10);
      a->n_idea = sqlite3_column_int64 (stmt, 11);
      a->mean_token_match = sqlite3_column_double (stmt, 12);
      a->mean_rouge_l = sqlite3_column_double (stmt, 13);
      a->mean_bleu = sqlite3_column_double (stmt, 14);
      a->mean_lcs_chars = sqlite3_column_double (stmt, 15);
      a->mean_align_gen_cov = sqlite3_column_double (stmt, 16);
      a->mean_align_ref_cov = sqlite3_column_double (stmt, 17);
      g_ptr_array_add (out, a);
    }
  if (rc != SQLITE_DONE)
    return read_failed (store, stmt, "cannot aggregate the results", error), NULL;
  sqlite3_reset (stmt);
  return g_steal_pointer (&out);
}

/* ---- One generation ---------------------------------------------------------------------- */

void
ms_store_generation_free (MsStoreGeneration *gen)
{
  if (gen == NULL)
    return;
  g_free (gen->run);
  g_free (gen->task);
  g_free (gen->split);
  g_free (gen->record_id);
  g_free (gen->input);
  g_free (gen->output);
  g_free (gen->probe);
  g_free (gen->reference);
  g_free (gen->reference_tokens);
  g_free (gen->text);
  g_free (gen->tokens);
  g_free (gen);
}

/* A little-endian int32 BLOB as a new array; FALSE when its size is not a multiple of 4. */
static gboolean
column_tokens (sqlite3_stmt *stmt, int i, gint32 **tokens, gsize *n)
{
  const guint8 *p = sqlite3_column_blob (stmt, i);
  gsize bytes = sqlite3_column_bytes (stmt, i);
  if (bytes % 4 != 0)
    return FALSE;
  *n = bytes / 4;
  *tokens = g_new (gint32, *n + 1);  /* never NULL, even when empty */
  for (gsize k = 0; k < *n; k++)
    (*tokens)[k] = (gint32) ((guint32) p[4 * k] | (guint32) p[4 * k + 1] << 8
                             | (guint32) p[4 * k + 2] << 16 | (guint32) p[4 * k + 3] << 24);
  return TRUE;
}

MsStoreGeneration *
ms_store_get_generation (MsStore *store, gint64 generation_id, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT g.id, g.run_id, g.sample_id, s.task_id, r.name, t.name, s.split, s.record_id, "
    "s.input, s.output, s.input_tokens, s.output_tokens, g.probe, g.prompt_tokens, "
    "g.reference, g.reference_tokens, g.text, g.tokens, sc.exact, sc.token_match, "
    "sc.lcs_chars, sc.lcs_ref_start, sc.lcs_gen_start, sc.verbatim, sc.rouge_l, sc.bleu, "
    "sc.align_gen_cov, sc.align_ref_cov, sc.paraphrase, sc.idea "
    "FROM generations g JOIN samples s ON s.id = g.sample_id JOIN tasks t ON t.id = s.task_id "
    "JOIN runs r ON r.id = g.run_id LEFT JOIN scores sc ON sc.generation_id = g.id "
    "WHERE g.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, generation_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: no generation with id %" G_GINT64_FORMAT, store->path, generation_id);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    return read_failed (store, stmt, "cannot read the generation", error), NULL;
  g_autoptr (MsStoreGeneration) g = g_new0 (MsStoreGeneration, 1);
  g->id = sqlite3_column_int64 (stmt, 0);
  g->run_id = sqlite3_column_int64 (stmt, 1);
  g->sample_id = sqlite3_column_int64 (stmt, 2);
  g->task_id = sqlite3_column_int64 (stmt, 3);
  g->run = ms_store_column_dup (stmt, 4);
  g->task = ms_store_column_dup (stmt, 5);
  g->split = ms_store_column_dup (stmt, 6);
  g->record_id = ms_store_column_dup (stmt, 7);
  g->input = ms_store_column_dup (stmt, 8);
  g->output = ms_store_column_dup (stmt, 9);
  g->input_tokens = sqlite3_column_int64 (stmt, 10);
  g->output_tokens = sqlite3_column_int64 (stmt, 11);
  g->probe = ms_store_column_dup (stmt, 12);
  g->prompt_tokens = sqlite3_column_int64 (stmt, 13);
  g->reference = ms_store_column_dup (stmt, 14);
  g->text = ms_store_column_dup (stmt, 16);
  if (!column_tokens (stmt, 15, &g->reference_tokens, &g->n_reference_tokens)
      || !column_tokens (stmt, 17, &g->tokens, &g->n_tokens))
    {
      sqlite3_reset (stmt);
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: generation %" G_GINT64_FORMAT ": a token BLOB is not a whole number "
                   "of int32", store->path, generation_id);
      return NULL;
    }
  MsStoreScores *s = &g->scores;
  s->exact = sqlite3_column_int (stmt, 18) != 0;
  s->token_match = ms_store_column_double (stmt, 19);
  s->lcs_chars = sqlite3_column_int64 (stmt, 20);
  s->lcs_ref_start = sqlite3_column_int64 (stmt, 21);
  s->lcs_gen_start = sqlite3_column_int64 (stmt, 22);
  s->verbatim = sqlite3_column_int (stmt, 23) != 0;
  s->rouge_l = ms_store_column_double (stmt, 24);
  s->bleu = ms_store_column_double (stmt, 25);
  s->align_gen_cov = ms_store_column_double (stmt, 26);
  s->align_ref_cov = ms_store_column_double (stmt, 27);
  s->paraphrase = sqlite3_column_int (stmt, 28) != 0;
  s->idea = sqlite3_column_int (stmt, 29) != 0;
  sqlite3_reset (stmt);
  return g_steal_pointer (&g);
}
