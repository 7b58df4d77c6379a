/* The small study the store tests write and read back: two tasks, three runs, nine samples,
 * fifteen scored generations whose per-group counts and means are worked out by hand in
 * store-fixture.c, curves, and texts with commas, quotes, newlines and non-ASCII characters. */
#pragma once

#include "store/ms-store.h"

typedef struct {
  const char *run;            /* run name */
  const char *task, *split;
  const char *record_id;
  const char *probe;
  gint64 prompt_tokens;
  const char *reference, *text;
  gint32 ref_tokens[4];
  gsize n_ref_tokens;
  gint32 tokens[5];
  gsize n_tokens;
  MsStoreScores scores;
} FixtureGeneration;

typedef struct {
  const char *task, *split, *record_id, *input, *output;
  gint64 input_tokens, output_tokens;
} FixtureSample;

/* Hand-computed aggregate of one (run, task, split, probe) group. */
typedef struct {
  const char *run, *task, *split, *probe;
  gint64 n, n_exact, n_verbatim, n_paraphrase, n_idea;
  double mean_token_match, mean_rouge_l, mean_bleu, mean_lcs_chars;
} FixtureGroup;

extern const MsStoreStudyDef fixture_study;
extern const MsStoreTaskDef fixture_tasks[2];
extern const MsStoreRunDef fixture_runs[3];
extern const FixtureSample fixture_samples[9];
extern const FixtureGeneration fixture_generations[15];
extern const FixtureGroup fixture_groups[5];   /* every group, in the store's order */

typedef struct {
  gint64 study_id;
  gint64 task_ids[2];
  gint64 run_ids[3];
  gint64 sample_ids[9];
  gint64 generation_ids[15];
} FixtureIds;

/* Writes the whole fixture (statuses, curves included) into STORE; fails the test on error. */
void fixture_fill (MsStore *store, FixtureIds *ids);
/* A new store at PATH holding the fixture. */
void fixture_create (const char *path, FixtureIds *ids);
/* Index of the fixture run / sample with that name. */
guint fixture_run_index (const char *name);
guint fixture_sample_index (const char *task, const char *split, const char *record_id);
