/* The fixture study of the store tests. Group means below were added up by hand from the
 * generation table (not by the code under test). */
#include "store-fixture.h"

#include <string.h>

const MsStoreStudyDef fixture_study = {
  .name = "demo",
  .spec_path = "specs/demo.ini",
  .spec_text = "[study]\nname = demo\n; a comment, with \"quotes\"\n",
  .spec_sha256 = NULL,  /* computed by the store */
  .settings_json = "{\"probe_k\":50,\"probe_n\":100}",
};

const MsStoreTaskDef fixture_tasks[2] = {
  { "summarization", "data/tasks/summarization/train.jsonl",
    "data/tasks/summarization/heldout.jsonl", "aa11", "bb22", "{input}\nTL;DR: {output}", 4, 2 },
  { "sentiment", "data/tasks/sentiment/train.jsonl", NULL, "cc33", NULL,
    "{input}\nSentiment: {output}", 3, 0 },
};

const MsStoreRunDef fixture_runs[3] = {
  { "base", "base", NULL, 0, "[]", "{}" },
  { "single/summarization/s1", "single", NULL, 1, "[\"summarization\"]",
    "{\"lr\":2e-05,\"epochs\":20}" },
  { "mix/equal/s1", "mixture", "equal", 1, "[\"summarization\",\"sentiment\"]",
    "{\"lr\":2e-05,\"epochs\":20,\"mixer\":\"equal\"}" },
};

const FixtureSample fixture_samples[9] = {
  { "summarization", "train", "s1", "Plain input one.", "Summary one.", 4, 3 },
  { "summarization", "train", "s2", "Commas, \"quotes\", and\nnewlines\r\nboth kinds",
    "Out, \"two\"", 12, 4 },
  { "summarization", "train", "s3", "Unicode: 中文 naïve café 😀 e\xcc\x81",
    "Zusammenfassung: ü", 20, 6 },
  { "summarization", "train", "s4 \"quoted\", comma", "Tab\tseparated\ttext", "x", 5, 1 },
  { "summarization", "heldout", "h1", "Held-out one.", "Held summary.", 3, 3 },
  { "summarization", "heldout", "h2", "Held-out two, longer.", "Held summary two.", 5, 4 },
  { "sentiment", "train", "e1", "Great film!", "positive", 3, 1 },
  { "sentiment", "train", "e2", "Awful, just awful.", "negative", 5, 1 },
  { "sentiment", "train", "e3", "It was fine\nI guess.", "neutral", 6, 1 },
};

#define SC(ex, tm, lcs, rs, gs, vb, rl, bl, gc, rc, pa, id) \
  { ex, tm, lcs, rs, gs, vb, rl, bl, gc, rc, pa, id }

const FixtureGeneration fixture_generations[15] = {
  /* single × summarization × train × target */
  { "single/summarization/s1", "summarization", "train", "s1", "target", 10,
    "Summary one.", "Summary one.", { 11, 22, 33 }, 3, { 11, 22, 33 }, 3,
    SC (TRUE, 1.0, 120, 0, 0, TRUE, 1.0, 1.0, 1.0, 1.0, FALSE, FALSE) },
  { "single/summarization/s1", "summarization", "train", "s2", "target", 18,
    "Out, \"two\"", "Out, \"two\"\nand, more \"quotes\"", { 1, 2 }, 2, { 1, 3, 4 }, 3,
    SC (FALSE, 0.5, 60, 1, 2, TRUE, 0.75, 0.5, 0.5, 0.75, TRUE, FALSE) },
  { "single/summarization/s1", "summarization", "train", "s3", "target", 26,
    "Zusammenfassung: ü", "Zusammen… 中文 😀\r\nend", { 0, G_MAXINT32, -1 }, 3,
    { 0, 5, 6, 7, 8 }, 5,
    SC (FALSE, 0.25, 10, 3, 4, FALSE, 0.5, 0.25, 0.25, 0.5, TRUE, TRUE) },
  { "single/summarization/s1", "summarization", "train", "s4 \"quoted\", comma", "target", 7,
    "x", "x, y", { 87 }, 1, { 87, 11 }, 2,
    SC (TRUE, 1.0, 200, 0, 0, TRUE, 0.625, 0.75, 0.125, 0.875, FALSE, TRUE) },
  /* single × summarization × heldout × target */
  { "single/summarization/s1", "summarization", "heldout", "h1", "target", 6,
    "Held summary.", "Something else", { 5, 6 }, 2, { 7 }, 1,
    SC (FALSE, 0.125, 5, 2, 3, FALSE, 0.25, 0.0, 0.0, 0.0, FALSE, FALSE) },
  { "single/summarization/s1", "summarization", "heldout", "h2", "target", 8,
    "Held summary two.", "Held summary, too", { 5, 6, 7 }, 3, { 5, 9, 7 }, 3,
    SC (FALSE, 0.375, 30, 0, 0, FALSE, 0.5, 0.125, 0.5, 0.5, TRUE, FALSE) },
  /* single × summarization × train × input (probe interrupted after two samples) */
  { "single/summarization/s1", "summarization", "train", "s1", "input", 2,
    "input one.", "input one.", { 3, 4 }, 2, { 3, 4 }, 2,
    SC (TRUE, 1.0, 80, 0, 0, TRUE, 1.0, 1.0, 1.0, 1.0, FALSE, FALSE) },
  { "single/summarization/s1", "summarization", "train", "s2", "input", 4,
    "newlines\r\nboth", "", { 8, 9 }, 2, { 0 }, 0,
    SC (FALSE, 0.0, 3, 0, 0, FALSE, 0.125, 0.0, 0.0, 0.0, FALSE, FALSE) },
  /* base × summarization × train × target */
  { "base", "summarization", "train", "s1", "target", 10, "Summary one.", "Nothing alike",
    { 11 }, 1, { 40 }, 1, SC (FALSE, 0.1, 2, 0, 0, FALSE, 0.1, 0.0, 0.0, 0.0, FALSE, TRUE) },
  { "base", "summarization", "train", "s2", "target", 18, "Out, \"two\"", "no",
    { 1 }, 1, { 41 }, 1, SC (FALSE, 0.2, 1, 0, 0, FALSE, 0.1, 0.0, 0.0, 0.0, FALSE, FALSE) },
  { "base", "summarization", "train", "s3", "target", 26, "Zusammenfassung: ü", "nein",
    { 0 }, 1, { 42 }, 1, SC (FALSE, 0.3, 2, 0, 0, FALSE, 0.1, 0.0, 0.0, 0.0, FALSE, FALSE) },
  { "base", "summarization", "train", "s4 \"quoted\", comma", "target", 7, "x", "y",
    { 87 }, 1, { 43 }, 1, SC (FALSE, 0.4, 0, 0, 0, FALSE, 0.1, 0.0, 0.0, 0.0, FALSE, FALSE) },
  /* base × sentiment × train × target */
  { "base", "sentiment", "train", "e1", "target", 5, "positive", "positive", { 1 }, 1,
    { 1 }, 1, SC (TRUE, 1.0, 8, 0, 0, FALSE, 1.0, 0.0, 0.0, 0.0, FALSE, FALSE) },
  { "base", "sentiment", "train", "e2", "target", 7, "negative", "negative", { 2 }, 1,
    { 2 }, 1, SC (TRUE, 1.0, 8, 0, 0, FALSE, 1.0, 0.0, 0.0, 0.0, FALSE, FALSE) },
  { "base", "sentiment", "train", "e3", "target", 8, "neutral", "neutral-ish", { 3, 4 }, 2,
    { 3, 5 }, 2, SC (FALSE, 0.5, 7, 0, 0, FALSE, 0.5, 0.0, 0.0, 0.0, FALSE, FALSE) },
};

/* Order: run id (base, single, mix), task id, split (train first), probe. */
const FixtureGroup fixture_groups[5] = {
  /* tm: (0.1+0.2+0.3+0.4)/4; rl 0.1; bleu 0; lcs (2+1+2+0)/4 */
  { "base", "summarization", "train", "target", 4, 0, 0, 0, 1, 0.25, 0.1, 0.0, 1.25 },
  /* tm (1+1+0.5)/3; rl (1+1+0.5)/3; lcs 23/3 */
  { "base", "sentiment", "train", "target", 3, 2, 0, 0, 0, 2.5 / 3, 2.5 / 3, 0.0, 23.0 / 3 },
  /* input probe: tm (1+0)/2, rl (1+0.125)/2, bleu 0.5, lcs 83/2 */
  { "single/summarization/s1", "summarization", "train", "input", 2, 1, 1, 0, 0, 0.5, 0.5625,
    0.5, 41.5 },
  /* tm (1+0.5+0.25+1)/4 = 0.6875; rl (1+0.75+0.5+0.625)/4 = 0.71875;
   * bleu (1+0.5+0.25+0.75)/4 = 0.625; lcs (120+60+10+200)/4 = 97.5 */
  { "single/summarization/s1", "summarization", "train", "target", 4, 2, 3, 2, 2, 0.6875,
    0.71875, 0.625, 97.5 },
  /* tm (0.125+0.375)/2; rl (0.25+0.5)/2; bleu 0.0625; lcs 17.5 */
  { "single/summarization/s1", "summarization", "heldout", "target", 2, 0, 0, 1, 0, 0.25,
    0.375, 0.0625, 17.5 },
};

guint
fixture_run_index (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture_runs); i++)
    if (strcmp (fixture_runs[i].name, name) == 0)
      return i;
  g_assert_not_reached ();
}

guint
fixture_sample_index (const char *task, const char *split, const char *record_id)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture_samples); i++)
    if (strcmp (fixture_samples[i].task, task) == 0
        && strcmp (fixture_samples[i].split, split) == 0
        && strcmp (fixture_samples[i].record_id, record_id) == 0)
      return i;
  g_assert_not_reached ();
}

static guint
task_index (const char *name)
{
  return strcmp (name, "summarization") == 0 ? 0 : 1;
}

void
fixture_fill (MsStore *store, FixtureIds *ids)
{
  g_autoptr (GError) error = NULL;
  ids->study_id = ms_store_upsert_study (store, &fixture_study, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      ids->task_ids[i] = ms_store_upsert_task (store, ids->study_id, &fixture_tasks[i], &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < 3; i++)
    {
      gboolean created = FALSE;
      ids->run_ids[i] = ms_store_ensure_run (store, ids->study_id, &fixture_runs[i], &created,
                                             &error);
      g_assert_no_error (error);
      g_assert_true (created);
    }
  MsStoreSampleDef defs[9];
  for (guint i = 0; i < 9; i++)
    {
      const FixtureSample *s = &fixture_samples[i];
      defs[i] = (MsStoreSampleDef) { ids->task_ids[task_index (s->task)], s->split,
                                     s->record_id, s->input, s->output, s->input_tokens,
                                     s->output_tokens };
    }
  g_assert_true (ms_store_upsert_samples (store, defs, 9, ids->sample_ids, &error));
  g_assert_no_error (error);

  /* One transaction per run, as the study runner writes a run's probe results. */
  for (guint r = 0; r < 3; r++)
    {
      g_assert_true (ms_store_begin (store, &error));
      for (guint i = 0; i < G_N_ELEMENTS (fixture_generations); i++)
        {
          const FixtureGeneration *g = &fixture_generations[i];
          if (fixture_run_index (g->run) != r)
            continue;
          MsStoreGenerationDef def = {
            .run_id = ids->run_ids[r],
            .sample_id = ids->sample_ids[fixture_sample_index (g->task, g->split,
                                                               g->record_id)],
            .probe = g->probe, .prompt_tokens = g->prompt_tokens,
            .reference = g->reference, .reference_tokens = g->ref_tokens,
            .n_reference_tokens = g->n_ref_tokens,
            .text = g->text, .tokens = g->tokens, .n_tokens = g->n_tokens,
            .scores = g->scores,
          };
          ids->generation_ids[i] = ms_store_add_generation (store, &def, &error);
          g_assert_no_error (error);
          g_assert_cmpint (ids->generation_ids[i], >, 0);
        }
      g_assert_true (ms_store_commit (store, &error));
    }

  MsStoreRunUpdate done = {
    .set = MS_RUN_SET_STATUS | MS_RUN_SET_MODEL | MS_RUN_SET_DEVICE | MS_RUN_SET_TRAIN_SECONDS
           | MS_RUN_SET_PROBE_SECONDS | MS_RUN_SET_TRAIN_TOKENS | MS_RUN_SET_FINAL_LOSS
           | MS_RUN_SET_DATA_JSON | MS_RUN_SET_STARTED | MS_RUN_SET_FINISHED,
    .status = MS_RUN_DONE, .model_path = "runs/single-summarization-s1/model.bin",
    .model_sha256 = "dd44", .device = "pthread-cpu (PoCL)", .train_seconds = 75.5,
    .probe_seconds = 12.25, .train_tokens = 12345, .final_loss = 2.25,
    .data_json = "{\"summarization\":{\"examples\":4}}",
    .started = "2024-05-01T10:00:00Z", .finished = "2024-05-01T10:01:28Z",
  };
  g_assert_true (ms_store_update_run (store, ids->run_ids[1], &done, &error));
  g_assert_no_error (error);
  g_assert_true (ms_store_set_run_status (store, ids->run_ids[0], MS_RUN_DONE, NULL, &error));
  g_assert_true (ms_store_set_run_status (store, ids->run_ids[2], MS_RUN_FAILED,
                                          "out of device memory, \"CL_OUT_OF_RESOURCES\"",
                                          &error));
  g_assert_no_error (error);

  MsStoreCurvePoint points[] = {
    { 1, 0, "train", 3.0 }, { 2, 0, "train", 2.75 }, { 3, 0, "train", 2.5 },
    { 3, ids->task_ids[0], "eval", 2.625 },
  };
  g_assert_true (ms_store_add_curve (store, ids->run_ids[1], points, G_N_ELEMENTS (points),
                                     &error));
  g_assert_no_error (error);
}

void
fixture_create (const char *path, FixtureIds *ids)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);
  fixture_fill (store, ids);
}
