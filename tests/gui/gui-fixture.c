/* The app tests' study. Scores are made up but consistent (a verbatim sample has a shared run
 * of >= 50 characters at the stored positions), so every view has something to draw: the
 * single-task summarization run memorizes most, the mixture less, the base model least. */
#include "gui-fixture.h"

#include <math.h>
#include <string.h>

static const char *const tasks[2] = { "summarization", "sentiment" };
static const struct {
  const char *name, *kind, *mixture, *tasks_json;
  double strength;           /* how much this run memorizes, 0..1 */
} runs[4] = {
  { "base", "base", NULL, "[]", 0.05 },
  { "single/summarization/s1", "single", NULL, "[\"summarization\"]", 0.8 },
  { "single/sentiment/s1", "single", NULL, "[\"sentiment\"]", 0.3 },
  { "mix/both/s1", "mixture", "both", "[\"summarization\",\"sentiment\"]", 0.45 },
};

#define N_TRAIN 8
#define N_HELDOUT 4

static const char *const texts[] = {
  "The council approved the new budget for the harbour district after a long debate on Tuesday "
  "evening, and the mayor promised that the repairs would start before the winter storms.",
  "A quiet film about two sisters who run a bakery in a small town; the acting is wonderful and "
  "the ending made the whole audience cry, which nobody expected from a story this simple.",
  "Researchers measured the melting of the northern glacier over ten summers and found that the "
  "ice retreated twice as fast in the last three years as in the seven before them.",
  "The museum reopened its east wing with a collection of maps drawn by sailors who crossed the "
  "ocean in the sixteenth century, many of them shown to the public for the first time.",
};

gboolean
gui_fixture_write (const char *path, GError **error)
{
  g_autoptr (MsStore) store = ms_store_open (path, error);
  if (store == NULL)
    return FALSE;
  MsStoreStudyDef study = { .name = "quick", .spec_text = "[study]\nname = quick\n",
                            .settings_json = "{\"probe_k\":16,\"probe_n\":16}" };
  gint64 study_id = ms_store_upsert_study (store, &study, error);
  if (study_id == 0)
    return FALSE;
  gint64 task_ids[2];
  for (int t = 0; t < 2; t++)
    {
      MsStoreTaskDef def = { .name = tasks[t], .train_path = "train.jsonl",
                             .heldout_path = "heldout.jsonl", .train_sha256 = "00",
                             .heldout_sha256 = "11", .template = "{input}\n{output}",
                             .n_train = N_TRAIN, .n_heldout = N_HELDOUT };
      task_ids[t] = ms_store_upsert_task (store, study_id, &def, error);
      if (task_ids[t] == 0)
        return FALSE;
    }
  /* Samples: per task, training then held-out. */
  gint64 sample_ids[2][N_TRAIN + N_HELDOUT];
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < N_TRAIN + N_HELDOUT; i++)
      {
        gboolean held = i >= N_TRAIN;
        g_autofree char *rec = g_strdup_printf ("%s-%s-%d", tasks[t], held ? "h" : "t", i);
        const char *text = texts[(t + i) % G_N_ELEMENTS (texts)];
        MsStoreSampleDef s = { .task_id = task_ids[t], .split = held ? "heldout" : "train",
                               .record_id = rec, .input = text,
                               .output = t == 0 ? text + 40 : (i % 2 ? "positive" : "negative"),
                               .input_tokens = 40, .output_tokens = t == 0 ? 24 + 4 * i : 1 };
        if (!ms_store_upsert_samples (store, &s, 1, &sample_ids[t][i], error))
          return FALSE;
      }
  for (int r = 0; r < 4; r++)
    {
      MsStoreRunDef def = { .name = runs[r].name, .kind = runs[r].kind,
                            .mixture = runs[r].mixture, .seed = 1,
                            .tasks_json = runs[r].tasks_json, .hyper_json = "{}" };
      gint64 run_id = ms_store_ensure_run (store, study_id, &def, NULL, error);
      if (run_id == 0 || !ms_store_begin (store, error))
        return FALSE;
      for (int t = 0; t < 2; t++)
        for (int i = 0; i < N_TRAIN + N_HELDOUT; i++)
          for (int p = 0; p < 2; p++)
            {
              gboolean held = i >= N_TRAIN;
              /* Summarization memorizes more than sentiment; held-out samples and the base
               * model little; the score falls off along the samples. */
              double s = runs[r].strength * (t == 0 ? 1.0 : 0.5) * (held ? 0.25 : 1.0)
                         * (1.0 - 0.07 * (i % N_TRAIN)) * (p == 0 ? 0.8 : 1.0);
              const char *ref = texts[(t + i + 1) % G_N_ELEMENTS (texts)];
              gsize shared = (gsize) (s * 120);
              g_autofree char *gen = g_strdup_printf ("%.*s and then something else entirely",
                                                      (int) shared, ref);
              gint32 ref_tok[16], gen_tok[16];
              for (int k = 0; k < 16; k++)
                {
                  ref_tok[k] = 100 + k;
                  gen_tok[k] = k < (int) (s * 16) ? 100 + k : 900 + k;
                }
              MsStoreScores sc = {
                .exact = s > 0.7, .token_match = floor (s * 16) / 16, .lcs_chars = shared,
                .lcs_ref_start = 0, .lcs_gen_start = 0, .verbatim = shared >= 50,
                .rouge_l = MIN (1.0, s * 1.1), .bleu = s * s, .align_gen_cov = s,
                .align_ref_cov = s * 0.9, .paraphrase = s > 0.3 && shared < 50,
                .idea = s > 0.2 && s <= 0.3,
              };
              MsStoreGenerationDef g = {
                .run_id = run_id, .sample_id = sample_ids[t][i],
                .probe = p == 0 ? "input" : "target", .prompt_tokens = 16, .reference = ref,
                .reference_tokens = ref_tok, .n_reference_tokens = 16, .text = gen,
                .tokens = gen_tok, .n_tokens = 16, .scores = sc,
              };
              if (ms_store_add_generation (store, &g, error) == 0)
                return FALSE;
            }
      if (r > 0)
        {
          MsStoreCurvePoint pts[20];
          for (int k = 0; k < 20; k++)
            pts[k] = (MsStoreCurvePoint) { .step = k + 1, .task_id = 0, .kind = "train",
                                           .loss = 4.0 * exp (-0.1 * k) + 1.0 + 0.1 * r };
          if (!ms_store_add_curve (store, run_id, pts, 20, error))
            return FALSE;
        }
      MsStoreRunUpdate u = { .set = MS_RUN_SET_STATUS | MS_RUN_SET_FINAL_LOSS,
                             .status = "done", .final_loss = 1.5 + 0.1 * r };
      if (!ms_store_update_run (store, run_id, &u, error) || !ms_store_commit (store, error))
        return FALSE;
    }
  return TRUE;
}
