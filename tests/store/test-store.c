/* The results store's writers and readers: the fixture study written and read back field by
 * field, per-group aggregates against hand-computed numbers, resuming (probed samples,
 * deleting generations, replaced curve points), nested transactions, refused writes, and the
 * time to insert 10,000 generations in one transaction (reported, not asserted). */
#include "ms-test.h"
#include "store-fixture.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "common/ms-error.h"

static char *
fresh_path (const char *name)
{
  char *path = g_build_filename (ms_test_tmpdir (), name, NULL);
  g_unlink (path);
  return path;
}

static void
assert_tokens (const gint32 *got, gsize n_got, const gint32 *want, gsize n_want)
{
  g_assert_cmpuint (n_got, ==, n_want);
  for (gsize i = 0; i < n_want; i++)
    g_assert_cmpint (got[i], ==, want[i]);
}

static void
assert_scores (const MsStoreScores *got, const MsStoreScores *want, gboolean positions)
{
  g_assert_cmpint (got->exact, ==, want->exact);
  g_assert_cmpfloat (got->token_match, ==, want->token_match);
  g_assert_cmpint (got->lcs_chars, ==, want->lcs_chars);
  if (positions)
    {
      g_assert_cmpint (got->lcs_ref_start, ==, want->lcs_ref_start);
      g_assert_cmpint (got->lcs_gen_start, ==, want->lcs_gen_start);
    }
  g_assert_cmpint (got->verbatim, ==, want->verbatim);
  g_assert_cmpfloat (got->rouge_l, ==, want->rouge_l);
  g_assert_cmpfloat (got->bleu, ==, want->bleu);
  g_assert_cmpfloat (got->align_gen_cov, ==, want->align_gen_cov);
  g_assert_cmpfloat (got->align_ref_cov, ==, want->align_ref_cov);
  g_assert_cmpint (got->paraphrase, ==, want->paraphrase);
  g_assert_cmpint (got->idea, ==, want->idea);
}

static void
test_round_trip (void)
{
  g_autofree char *path = fresh_path ("round-trip.sqlite");
  FixtureIds ids;
  fixture_create (path, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);

  /* Studies, with their counts. */
  g_autoptr (GPtrArray) studies = ms_store_list_studies (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (studies->len, ==, 1);
  MsStoreStudy *st = studies->pdata[0];
  g_assert_cmpint (st->id, ==, ids.study_id);
  g_assert_cmpstr (st->name, ==, fixture_study.name);
  g_assert_cmpstr (st->spec_path, ==, fixture_study.spec_path);
  g_assert_cmpstr (st->spec_text, ==, fixture_study.spec_text);
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                        fixture_study.spec_text, -1);
  g_assert_cmpstr (st->spec_sha256, ==, sha);
  g_assert_cmpstr (st->settings_json, ==, fixture_study.settings_json);
  g_assert_cmpint (st->n_runs, ==, 3);
  g_assert_cmpint (st->n_done, ==, 2);
  g_assert_cmpint (st->n_failed, ==, 1);
  g_assert_cmpint (st->n_tasks, ==, 2);
  g_assert_cmpint (st->n_generations, ==, 15);
  g_assert_true (g_str_has_suffix (st->created, "Z") && strlen (st->created) == 20);
  g_assert_cmpstr (st->updated, >=, st->created);

  g_autoptr (MsStoreStudy) st2 = ms_store_get_study (store, "demo", &error);
  g_assert_no_error (error);
  g_assert_cmpint (st2->id, ==, ids.study_id);
  g_assert_null (ms_store_get_study (store, "nope", &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no study 'nope'"));
  g_assert_nonnull (strstr (error->message, "demo"));
  g_clear_error (&error);

  /* Tasks. */
  g_autoptr (GPtrArray) tasks = ms_store_list_tasks (store, ids.study_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tasks->len, ==, 2);
  const gint64 want_samples[2][2] = { { 4, 2 }, { 3, 0 } };
  for (guint i = 0; i < 2; i++)
    {
      MsStoreTask *t = tasks->pdata[i];
      const MsStoreTaskDef *d = &fixture_tasks[i];
      g_assert_cmpint (t->id, ==, ids.task_ids[i]);
      g_assert_cmpint (t->study_id, ==, ids.study_id);
      g_assert_cmpstr (t->name, ==, d->name);
      g_assert_cmpstr (t->train_path, ==, d->train_path);
      g_assert_cmpstr (t->heldout_path, ==, d->heldout_path);
      g_assert_cmpstr (t->train_sha256, ==, d->train_sha256);
      g_assert_cmpstr (t->heldout_sha256, ==, d->heldout_sha256);
      g_assert_cmpstr (t->template, ==, d->template);
      g_assert_cmpint (t->n_train, ==, d->n_train);
      g_assert_cmpint (t->n_heldout, ==, d->n_heldout);
      g_assert_cmpint (t->n_samples_train, ==, want_samples[i][0]);
      g_assert_cmpint (t->n_samples_heldout, ==, want_samples[i][1]);
    }

  /* Runs, every column. */
  g_autoptr (GPtrArray) runs = ms_store_list_runs (store, ids.study_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 3);
  const gint64 want_gens[3] = { 7, 8, 0 };
  for (guint i = 0; i < 3; i++)
    {
      MsStoreRun *r = runs->pdata[i];
      const MsStoreRunDef *d = &fixture_runs[i];
      g_assert_cmpint (r->id, ==, ids.run_ids[i]);
      g_assert_cmpstr (r->name, ==, d->name);
      g_assert_cmpstr (r->kind, ==, d->kind);
      g_assert_cmpstr (r->mixture, ==, d->mixture);
      g_assert_cmpint (r->seed, ==, d->seed);
      g_assert_cmpstr (r->tasks_json, ==, d->tasks_json);
      g_assert_cmpstr (r->hyper_json, ==, d->hyper_json);
      g_assert_cmpint (r->n_generations, ==, want_gens[i]);
    }
  MsStoreRun *base = runs->pdata[0], *single = runs->pdata[1], *mix = runs->pdata[2];
  g_assert_cmpint (base->status, ==, MS_RUN_DONE);
  g_assert_null (base->error);
  g_assert_null (base->model_path);
  g_assert_true (isnan (base->train_seconds) && isnan (base->final_loss));
  g_assert_cmpint (base->train_tokens, ==, -1);
  g_assert_cmpstr (base->data_json, ==, "{}");
  g_assert_null (base->started);
  g_assert_cmpint (single->status, ==, MS_RUN_DONE);
  g_assert_cmpstr (single->model_path, ==, "runs/single-summarization-s1/model.bin");
  g_assert_cmpstr (single->model_sha256, ==, "dd44");
  g_assert_cmpstr (single->device, ==, "pthread-cpu (PoCL)");
  g_assert_cmpfloat (single->train_seconds, ==, 75.5);
  g_assert_cmpfloat (single->probe_seconds, ==, 12.25);
  g_assert_cmpint (single->train_tokens, ==, 12345);
  g_assert_cmpfloat (single->final_loss, ==, 2.25);
  g_assert_cmpstr (single->data_json, ==, "{\"summarization\":{\"examples\":4}}");
  g_assert_cmpstr (single->started, ==, "2024-05-01T10:00:00Z");
  g_assert_cmpstr (single->finished, ==, "2024-05-01T10:01:28Z");
  g_assert_cmpint (mix->status, ==, MS_RUN_FAILED);
  g_assert_cmpstr (mix->error, ==, "out of device memory, \"CL_OUT_OF_RESOURCES\"");

  g_autoptr (MsStoreRun) by_id = ms_store_get_run (store, ids.run_ids[2], &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_id->name, ==, "mix/equal/s1");
  g_autoptr (MsStoreRun) by_name = ms_store_find_run (store, ids.study_id, "base", &error);
  g_assert_no_error (error);
  g_assert_cmpint (by_name->id, ==, ids.run_ids[0]);
  g_assert_null (ms_store_find_run (store, ids.study_id, "absent", &error));
  g_assert_no_error (error);
  g_assert_null (ms_store_get_run (store, 999, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  /* Curves: train first, by step. */
  g_autoptr (GArray) curve = ms_store_get_curve (store, ids.run_ids[1], NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (curve->len, ==, 4);
  const MsStoreCurvePoint *p = (const MsStoreCurvePoint *) curve->data;
  g_assert_cmpstr (p[0].kind, ==, "train");
  g_assert_cmpint (p[0].step, ==, 1);
  g_assert_cmpint (p[0].task_id, ==, 0);
  g_assert_cmpfloat (p[0].loss, ==, 3.0);
  g_assert_cmpint (p[2].step, ==, 3);
  g_assert_cmpfloat (p[2].loss, ==, 2.5);
  g_assert_cmpstr (p[3].kind, ==, "eval");
  g_assert_cmpint (p[3].task_id, ==, ids.task_ids[0]);
  g_assert_cmpfloat (p[3].loss, ==, 2.625);
  g_autoptr (GArray) evals = ms_store_get_curve (store, ids.run_ids[1], "eval", &error);
  g_assert_cmpuint (evals->len, ==, 1);

  /* Every generation in full. */
  for (guint i = 0; i < G_N_ELEMENTS (fixture_generations); i++)
    {
      const FixtureGeneration *fg = &fixture_generations[i];
      const FixtureSample *fs = &fixture_samples[fixture_sample_index (fg->task, fg->split,
                                                                       fg->record_id)];
      g_autoptr (MsStoreGeneration) g = ms_store_get_generation (store, ids.generation_ids[i],
                                                                 &error);
      g_assert_no_error (error);
      g_assert_cmpint (g->id, ==, ids.generation_ids[i]);
      g_assert_cmpint (g->run_id, ==, ids.run_ids[fixture_run_index (fg->run)]);
      g_assert_cmpstr (g->run, ==, fg->run);
      g_assert_cmpstr (g->task, ==, fg->task);
      g_assert_cmpstr (g->split, ==, fg->split);
      g_assert_cmpstr (g->record_id, ==, fg->record_id);
      g_assert_cmpstr (g->input, ==, fs->input);
      g_assert_cmpstr (g->output, ==, fs->output);
      g_assert_cmpint (g->input_tokens, ==, fs->input_tokens);
      g_assert_cmpint (g->output_tokens, ==, fs->output_tokens);
      g_assert_cmpstr (g->probe, ==, fg->probe);
      g_assert_cmpint (g->prompt_tokens, ==, fg->prompt_tokens);
      g_assert_cmpstr (g->reference, ==, fg->reference);
      g_assert_cmpstr (g->text, ==, fg->text);
      assert_tokens (g->reference_tokens, g->n_reference_tokens, fg->ref_tokens,
                     fg->n_ref_tokens);
      assert_tokens (g->tokens, g->n_tokens, fg->tokens, fg->n_tokens);
      g_assert_nonnull (g->tokens);
      assert_scores (&g->scores, &fg->scores, TRUE);
    }
  g_assert_null (ms_store_get_generation (store, 12345, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  /* The token BLOBs are little-endian int32, byte for byte. */
  g_autofree char *q = g_strdup_printf ("SELECT hex(reference_tokens) FROM generations "
                                        "WHERE id = %" G_GINT64_FORMAT, ids.generation_ids[2]);
  g_autoptr (MsStoreTable) hex = ms_store_query (store, q, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hex->cells[0], ==, "00000000FFFFFF7FFFFFFFFF");
}

static const FixtureGroup *
find_group (const char *run, const char *task, const char *split, const char *probe)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture_groups); i++)
    {
      const FixtureGroup *g = &fixture_groups[i];
      if (!strcmp (g->run, run) && !strcmp (g->task, task) && !strcmp (g->split, split)
          && !strcmp (g->probe, probe))
        return g;
    }
  return NULL;
}

static void
assert_group (const MsStoreAggregate *a, const FixtureGroup *w)
{
  g_assert_cmpstr (a->run, ==, w->run);
  g_assert_cmpstr (a->task, ==, w->task);
  g_assert_cmpstr (a->split, ==, w->split);
  g_assert_cmpstr (a->probe, ==, w->probe);
  g_assert_cmpint (a->n, ==, w->n);
  g_assert_cmpint (a->n_exact, ==, w->n_exact);
  g_assert_cmpint (a->n_verbatim, ==, w->n_verbatim);
  g_assert_cmpint (a->n_paraphrase, ==, w->n_paraphrase);
  g_assert_cmpint (a->n_idea, ==, w->n_idea);
  g_assert_cmpfloat_with_epsilon (a->mean_token_match, w->mean_token_match, 1e-12);
  g_assert_cmpfloat_with_epsilon (a->mean_rouge_l, w->mean_rouge_l, 1e-12);
  g_assert_cmpfloat_with_epsilon (a->mean_bleu, w->mean_bleu, 1e-12);
  g_assert_cmpfloat_with_epsilon (a->mean_lcs_chars, w->mean_lcs_chars, 1e-12);
}

static void
test_aggregates (void)
{
  g_autofree char *path = fresh_path ("aggregates.sqlite");
  FixtureIds ids;
  fixture_create (path, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);

  g_autoptr (GPtrArray) all = ms_store_aggregate (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, G_N_ELEMENTS (fixture_groups));
  for (guint i = 0; i < all->len; i++)
    assert_group (all->pdata[i], &fixture_groups[i]);  /* also checks the order */
  MsStoreAggregate *a0 = all->pdata[0];
  g_assert_cmpstr (a0->study, ==, "demo");
  g_assert_cmpint (a0->run_id, ==, ids.run_ids[0]);
  g_assert_cmpint (a0->task_id, ==, ids.task_ids[0]);
  /* Alignment coverage of the single run's train/target group: (1+0.5+0.25+0.125)/4 and
   * (1+0.75+0.5+0.875)/4. */
  MsStoreAggregate *a3 = all->pdata[3];
  g_assert_cmpfloat_with_epsilon (a3->mean_align_gen_cov, 0.46875, 1e-12);
  g_assert_cmpfloat_with_epsilon (a3->mean_align_ref_cov, 0.78125, 1e-12);

  /* Filters. */
  MsStoreFilter f = { .study = "demo", .split = "heldout" };
  g_autoptr (GPtrArray) held = ms_store_aggregate (store, &f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (held->len, ==, 1);
  assert_group (held->pdata[0], find_group ("single/summarization/s1", "summarization",
                                            "heldout", "target"));
  MsStoreFilter f2 = { .run = "base", .task = "sentiment", .probe = "target" };
  g_autoptr (GPtrArray) sent = ms_store_aggregate (store, &f2, &error);
  g_assert_cmpuint (sent->len, ==, 1);
  assert_group (sent->pdata[0], find_group ("base", "sentiment", "train", "target"));
  MsStoreFilter none = { .study = "other" };
  g_autoptr (GPtrArray) empty = ms_store_aggregate (store, &none, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->len, ==, 0);

  /* Per-sample rows: every fixture generation once, matching field by field. */
  g_autoptr (MsStoreResults) rows = ms_store_results (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->n, ==, G_N_ELEMENTS (fixture_generations));
  gboolean seen[G_N_ELEMENTS (fixture_generations)] = { 0 };
  for (gsize i = 0; i < rows->n; i++)
    {
      const MsStoreResult *r = &rows->rows[i];
      guint k = 0;
      while (k < G_N_ELEMENTS (fixture_generations) && ids.generation_ids[k] != r->generation_id)
        k++;
      g_assert_cmpuint (k, <, G_N_ELEMENTS (fixture_generations));
      g_assert_false (seen[k]);
      seen[k] = TRUE;
      const FixtureGeneration *fg = &fixture_generations[k];
      guint si = fixture_sample_index (fg->task, fg->split, fg->record_id);
      guint ri = fixture_run_index (fg->run);
      g_assert_cmpstr (r->study, ==, "demo");
      g_assert_cmpstr (r->run, ==, fg->run);
      g_assert_cmpstr (r->run_kind, ==, fixture_runs[ri].kind);
      g_assert_cmpstr (r->mixture, ==, fixture_runs[ri].mixture);
      g_assert_cmpint (r->seed, ==, fixture_runs[ri].seed);
      g_assert_cmpstr (r->task, ==, fg->task);
      g_assert_cmpstr (r->split, ==, fg->split);
      g_assert_cmpstr (r->record_id, ==, fg->record_id);
      g_assert_cmpint (r->input_tokens, ==, fixture_samples[si].input_tokens);
      g_assert_cmpint (r->output_tokens, ==, fixture_samples[si].output_tokens);
      g_assert_cmpstr (r->probe, ==, fg->probe);
      g_assert_cmpint (r->prompt_tokens, ==, fg->prompt_tokens);
      assert_scores (&r->scores, &fg->scores, FALSE);
      g_assert_cmpint (r->sample_id, ==, ids.sample_ids[si]);
      g_assert_cmpint (r->run_id, ==, ids.run_ids[ri]);
      /* rows come grouped in the aggregate order */
      if (i > 0)
        g_assert_cmpint (r->run_id, >=, rows->rows[i - 1].run_id);
    }
  MsStoreFilter one = { .sample_id = ids.sample_ids[0] };
  g_autoptr (MsStoreResults) across = ms_store_results (store, &one, &error);
  g_assert_cmpuint (across->n, ==, 3);  /* s1: single target + input, base target */
}

static void
test_resume (void)
{
  g_autofree char *path = fresh_path ("resume.sqlite");
  FixtureIds ids;
  fixture_create (path, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);

  /* Ensuring the same study, task, run and samples again gives the same ids. */
  g_assert_cmpint (ms_store_upsert_study (store, &fixture_study, &error), ==, ids.study_id);
  g_assert_cmpint (ms_store_upsert_task (store, ids.study_id, &fixture_tasks[1], &error), ==,
                   ids.task_ids[1]);
  gboolean created = TRUE;
  g_assert_cmpint (ms_store_ensure_run (store, ids.study_id, &fixture_runs[2], &created,
                                        &error), ==, ids.run_ids[2]);
  g_assert_false (created);
  MsStoreSampleDef s = { ids.task_ids[1], "train", "e2", fixture_samples[7].input,
                         fixture_samples[7].output, 5, 1 };
  gint64 sid = 0;
  g_assert_true (ms_store_upsert_samples (store, &s, 1, &sid, &error));
  g_assert_cmpint (sid, ==, ids.sample_ids[7]);
  g_assert_no_error (error);

  /* The interrupted input probe of the single run has s1 and s2. */
  g_autoptr (GHashTable) done = ms_store_probed_samples (store, ids.run_ids[1], "input",
                                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (done), ==, 2);
  g_assert_true (g_hash_table_contains (done, &ids.sample_ids[0]));
  g_assert_true (g_hash_table_contains (done, &ids.sample_ids[1]));
  g_assert_false (g_hash_table_contains (done, &ids.sample_ids[2]));
  g_autoptr (GHashTable) target = ms_store_probed_samples (store, ids.run_ids[1], "target",
                                                           &error);
  g_assert_cmpuint (g_hash_table_size (target), ==, 6);

  /* Redoing the input probe: its generations (and their scores) go, the target ones stay. */
  g_assert_cmpint (ms_store_delete_generations (store, ids.run_ids[1], "input", &error), ==, 2);
  g_autoptr (MsStoreTable) left = ms_store_query (store,
    "SELECT (SELECT count(*) FROM generations), (SELECT count(*) FROM scores)", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (left->cells[0], ==, "13");
  g_assert_cmpstr (left->cells[1], ==, "13");
  g_assert_cmpint (ms_store_delete_generations (store, ids.run_ids[0], NULL, &error), ==, 7);

  /* A resumed training writes its last steps again: they replace the stored points. */
  MsStoreCurvePoint again[] = { { 3, 0, "train", 2.4375 }, { 4, 0, "train", 2.375 } };
  g_assert_true (ms_store_add_curve (store, ids.run_ids[1], again, 2, &error));
  g_autoptr (GArray) curve = ms_store_get_curve (store, ids.run_ids[1], "train", &error);
  g_assert_cmpuint (curve->len, ==, 4);
  g_assert_cmpfloat (g_array_index (curve, MsStoreCurvePoint, 2).loss, ==, 2.4375);
  g_assert_cmpfloat (g_array_index (curve, MsStoreCurvePoint, 3).loss, ==, 2.375);

  /* Deleting a run takes its generations and curves along. */
  g_assert_true (ms_store_delete_run (store, ids.run_ids[1], &error));
  g_autoptr (MsStoreTable) gone = ms_store_query (store,
    "SELECT (SELECT count(*) FROM generations), (SELECT count(*) FROM scores), "
    "(SELECT count(*) FROM curves), (SELECT count(*) FROM runs)", &error);
  g_assert_cmpstr (gone->cells[0], ==, "0");
  g_assert_cmpstr (gone->cells[1], ==, "0");
  g_assert_cmpstr (gone->cells[2], ==, "0");
  g_assert_cmpstr (gone->cells[3], ==, "2");
}

static void
test_refused_writes (void)
{
  g_autofree char *path = fresh_path ("refused.sqlite");
  FixtureIds ids;
  fixture_create (path, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);

  MsStoreRunDef bad_kind = { "r", "multi", NULL, 0, NULL, NULL };
  g_assert_cmpint (ms_store_ensure_run (store, ids.study_id, &bad_kind, NULL, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "run kind 'multi'"));
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  MsStoreRunDef no_mix = { "r", "mixture", NULL, 0, NULL, NULL };
  g_assert_cmpint (ms_store_ensure_run (store, ids.study_id, &no_mix, NULL, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  /* The same run name with another definition. */
  MsStoreRunDef changed = fixture_runs[1];
  changed.hyper_json = "{\"lr\":1e-04,\"epochs\":20}";
  g_assert_cmpint (ms_store_ensure_run (store, ids.study_id, &changed, NULL, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "hyper_json"));
  g_clear_error (&error);
  changed = fixture_runs[1];
  changed.seed = 2;
  g_assert_cmpint (ms_store_ensure_run (store, ids.study_id, &changed, NULL, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "seed 1"));
  g_clear_error (&error);

  g_assert_false (ms_store_set_run_status (store, ids.run_ids[0], (MsRunState) 99, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_store_set_run_status (store, 999, MS_RUN_DONE, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no run with id 999"));
  g_clear_error (&error);

  /* A sample whose text changed under the study. */
  MsStoreSampleDef s = { ids.task_ids[0], "train", "s1", "Plain input ONE.", "Summary one.", 4,
                         3 };
  gint64 sid;
  g_assert_false (ms_store_upsert_samples (store, &s, 1, &sid, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "input text"));
  g_clear_error (&error);
  MsStoreSampleDef bad_split = { ids.task_ids[0], "test", "s9", "a", "b", 1, 1 };
  g_assert_false (ms_store_upsert_samples (store, &bad_split, 1, &sid, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  /* A second generation of the same (run, sample, probe); a NaN score; a bad probe. */
  gint32 tok = 1;
  MsStoreGenerationDef g = { ids.run_ids[1], ids.sample_ids[0], "target", 10, "a", &tok, 1,
                             "b", &tok, 1, { 0 } };
  g_assert_cmpint (ms_store_add_generation (store, &g, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "already has a 'target' generation"));
  g_clear_error (&error);
  g.sample_id = ids.sample_ids[2];
  g.probe = "input";
  g.scores.rouge_l = NAN;
  g_assert_cmpint (ms_store_add_generation (store, &g, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g.scores.rouge_l = 0;
  g.probe = "suffix";
  g_assert_cmpint (ms_store_add_generation (store, &g, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g.probe = "input";
  g.run_id = 999;  /* no such run: the foreign key refuses it, and nothing is left behind */
  g_assert_cmpint (ms_store_add_generation (store, &g, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY"));
  g_clear_error (&error);

  MsStoreCurvePoint nan_point = { 9, 0, "train", NAN };
  g_assert_false (ms_store_add_curve (store, ids.run_ids[1], &nan_point, 1, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  g_autoptr (MsStoreTable) count = ms_store_query (store,
    "SELECT count(*) FROM generations", &error);
  g_assert_cmpstr (count->cells[0], ==, "15");

  /* A read-only store refuses every writer. */
  g_autoptr (MsStore) ro = ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_true (ms_store_is_read_only (ro));
  g_assert_cmpint (ms_store_upsert_study (ro, &fixture_study, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "read-only"));
  g_clear_error (&error);
}

static gint64
count_rows (MsStore *store, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStoreTable) t = ms_store_query (store, sql, &error);
  g_assert_no_error (error);
  return g_ascii_strtoll (t->cells[0], NULL, 10);
}

static void
test_transactions (void)
{
  g_autofree char *path = fresh_path ("transactions.sqlite");
  FixtureIds ids;
  fixture_create (path, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  gint64 before = count_rows (store, "curves");

  MsStoreCurvePoint a = { 100, 0, "train", 1.0 }, b = { 101, 0, "train", 1.0 };
  g_assert_true (ms_store_begin (store, &error));
  g_assert_true (ms_store_add_curve (store, ids.run_ids[1], &a, 1, &error));
  g_assert_true (ms_store_begin (store, &error));           /* nested: a savepoint */
  g_assert_cmpuint (ms_store_transaction_depth (store), ==, 2);
  g_assert_true (ms_store_add_curve (store, ids.run_ids[1], &b, 1, &error));
  ms_store_rollback (store);                                /* undoes b only */
  g_assert_cmpuint (ms_store_transaction_depth (store), ==, 1);
  g_assert_cmpint (count_rows (store, "curves"), ==, before + 1);
  g_assert_true (ms_store_commit (store, &error));
  g_assert_cmpuint (ms_store_transaction_depth (store), ==, 0);
  g_assert_cmpint (count_rows (store, "curves"), ==, before + 1);

  /* A failing writer inside the caller's transaction undoes only its own part. */
  g_assert_true (ms_store_begin (store, &error));
  g_assert_true (ms_store_add_curve (store, ids.run_ids[1], &b, 1, &error));
  MsStoreCurvePoint bad[] = { { 102, 0, "train", 1.0 }, { 103, 0, "dev", 1.0 } };
  g_assert_false (ms_store_add_curve (store, ids.run_ids[1], bad, 2, &error));
  g_clear_error (&error);
  g_assert_cmpuint (ms_store_transaction_depth (store), ==, 1);
  ms_store_rollback (store);                                /* and the whole unit goes */
  g_assert_cmpint (count_rows (store, "curves"), ==, before + 1);

  /* Other connections do not see uncommitted work. */
  g_assert_true (ms_store_begin (store, &error));
  g_assert_true (ms_store_add_curve (store, ids.run_ids[1], &b, 1, &error));
  g_autoptr (MsStore) reader = ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (reader, "curves"), ==, before + 1);
  g_assert_true (ms_store_commit (store, &error));
  g_assert_cmpint (count_rows (reader, "curves"), ==, before + 2);
}

/* The study runner writes a run's generations in one transaction: time 10,000 of them. */
static void
test_bulk_insert (void)
{
  g_autofree char *path = fresh_path ("bulk.sqlite");
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);
  gint64 study = ms_store_upsert_study (store, &fixture_study, &error);
  gint64 task = ms_store_upsert_task (store, study, &fixture_tasks[0], &error);
  gint64 run = ms_store_ensure_run (store, study, &fixture_runs[1], NULL, &error);
  g_assert_no_error (error);
  enum { N = 10000 };
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  MsStoreSampleDef *defs = g_new0 (MsStoreSampleDef, N);
  for (guint i = 0; i < N; i++)
    {
      char *id = g_strdup_printf ("r%05u", i);
      char *text = g_strdup_printf ("Sample %u: %s", i, "lorem ipsum dolor sit amet, "
                                    "consectetur adipiscing elit, sed do eiusmod tempor");
      g_ptr_array_add (strings, id);
      g_ptr_array_add (strings, text);
      defs[i] = (MsStoreSampleDef) { task, "train", id, text, text, 30, 30 };
    }
  g_autofree gint64 *ids = g_new (gint64, N);
  g_assert_true (ms_store_upsert_samples (store, defs, N, ids, &error));
  g_assert_no_error (error);
  gint32 ref[64], gen[100];
  for (guint i = 0; i < 64; i++)
    ref[i] = i * 7;
  for (guint i = 0; i < 100; i++)
    gen[i] = i * 7;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (ms_store_begin (store, &error));
  for (guint i = 0; i < N; i++)
    {
      MsStoreGenerationDef g = { run, ids[i], "input", 50, defs[i].input, ref, 64,
                                 defs[i].output, gen, 100,
                                 { i % 2, 0.5, 60, 1, 2, TRUE, 0.5, 0.25, 0.5, 0.5, FALSE,
                                   FALSE } };
      if (ms_store_add_generation (store, &g, &error) <= 0)
        g_assert_no_error (error);
    }
  g_assert_true (ms_store_commit (store, &error));
  double seconds = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("10,000 generations with scores in one transaction: %.3f s", seconds);
  g_printerr ("# bulk insert: 10,000 generations with scores in one transaction: %.3f s\n",
              seconds);
  g_assert_cmpint (count_rows (store, "scores"), ==, N);
  MsStoreFilter f = { .run_id = run };
  t0 = g_get_monotonic_time ();
  g_autoptr (GPtrArray) agg = ms_store_aggregate (store, &f, &error);
  g_printerr ("# aggregate over them: %.3f s\n", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpuint (agg->len, ==, 1);
  MsStoreAggregate *a = agg->pdata[0];
  g_assert_cmpint (a->n, ==, N);
  g_assert_cmpint (a->n_exact, ==, N / 2);
  g_free (defs);
}

static void
test_default_path (void)
{
  g_setenv ("MEMSCOPE_STORE", "/data/results.sqlite", TRUE);
  g_autofree char *a = ms_store_default_path ();
  g_assert_cmpstr (a, ==, "/data/results.sqlite");
  g_setenv ("MEMSCOPE_STORE", "", TRUE);
  g_autofree char *b = ms_store_default_path ();
  g_assert_cmpstr (b, ==, "memscope.sqlite");
  g_unsetenv ("MEMSCOPE_STORE");
  g_autofree char *c = ms_store_default_path ();
  g_assert_cmpstr (c, ==, "memscope.sqlite");
  g_autofree char *now = ms_store_now ();
  g_assert_cmpuint (strlen (now), ==, 20);
  g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", now, 0, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/round-trip", test_round_trip);
  g_test_add_func ("/store/aggregates", test_aggregates);
  g_test_add_func ("/store/resume", test_resume);
  g_test_add_func ("/store/refused-writes", test_refused_writes);
  g_test_add_func ("/store/transactions", test_transactions);
  g_test_add_func ("/store/bulk-insert", test_bulk_insert);
  g_test_add_func ("/store/default-path", test_default_path);
  return ms_test_run ();
}
