/* The app tests' studies. Scores are made up but consistent (a verbatim sample has a shared run
 * of >= 50 characters at the stored positions), so every view has something to draw: the
 * single-task summarization run memorizes most, the mixture less, the base model least. The
 * analyses follow the same strengths: training samples have a lower loss than held-out ones
 * the more a run memorizes, attention entropy falls and sparse codes grow with memorization,
 * canaries inserted more often are more exposed. */
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

/* How much run R memorizes sample I of task T under probe P (0 input, 1 target), 0..1. */
static double
strength_of (int r, int t, int i, int p)
{
  gboolean held = i >= N_TRAIN;
  return runs[r].strength * (t == 0 ? 1.0 : 0.5) * (held ? 0.25 : 1.0)
         * (1.0 - 0.07 * (i % N_TRAIN)) * (p == 0 ? 0.8 : 1.0);
}

/* A small deterministic wobble in [0, 1) so that no measure is a function of another. */
static double
jitter (int a, int b, int c)
{
  return (double) ((a * 7 + b * 13 + c * 5) % 11) / 11.0;
}

static gboolean
write_analyses (MsStore *store, const gint64 *run_ids, const gint64 *task_ids,
                gint64 sample_ids[2][N_TRAIN + N_HELDOUT],
                gint64 gen_ids[4][2][N_TRAIN + N_HELDOUT][2], GError **error)
{
  /* Membership scores of every run; the base run's loss is the reference ratio's. */
  g_autoptr (GArray) mia = g_array_new (FALSE, FALSE, sizeof (MsStoreMia));
  for (int r = 0; r < 4; r++)
    for (int t = 0; t < 2; t++)
      for (int i = 0; i < N_TRAIN + N_HELDOUT; i++)
        {
          double loss = 3.0 - (i < N_TRAIN ? 1.5 * strength_of (r, t, i, 1) : 0)
                        + 0.4 * jitter (r, t, i);
          MsStoreMia m = { run_ids[r], sample_ids[t][i], loss, -1.5 * loss, 0.3 + loss / 10,
                           24 };
          g_array_append_val (mia, m);
        }
  if (!ms_store_add_mia (store, (MsStoreMia *) mia->data, mia->len, error))
    return FALSE;

  /* Attention statistics of every probe: 2 layers × 2 heads, prompt positions. Entropy falls
   * with memorization in three heads and rises in one, so the head map has both signs. */
  g_autoptr (GArray) att = g_array_new (FALSE, FALSE, sizeof (MsStoreAttention));
  for (int r = 0; r < 4; r++)
    for (int t = 0; t < 2; t++)
      for (int i = 0; i < N_TRAIN + N_HELDOUT; i++)
        for (int p = 0; p < 2; p++)
          for (int l = 0; l < 2; l++)
            for (int h = 0; h < 2; h++)
              {
                double s = strength_of (r, t, i, p), w = 0.05 * jitter (i, l, h + t);
                double e = l == 0 && h == 1 ? 0.4 + 0.4 * s + w : 0.95 - 0.5 * s - w;
                MsStoreAttention a = { gen_ids[r][t][i][p], l, h, "prompt", e, 1 - e,
                                       1.2 - e, 1 - e, 16 };
                g_array_append_val (att, a);
              }
  if (!ms_store_add_attention (store, (MsStoreAttention *) att->data, att->len, error))
    return FALSE;

  /* Full maps (mean over heads, head -1) of the first two training samples of each task under
   * every fine-tuned run: causal attention that decays with distance. */
  enum { T = 8 };
  static const char *tokens = "[\"The\",\" council\",\" approved\",\" the\",\" new\","
                              "\" budget\",\" for\",\" the\"]";
  float map[T * T];
  for (int q = 0; q < T; q++)
    {
      double z = 0;
      for (int k = 0; k <= q; k++)
        z += exp (-(q - k) / 2.0);
      for (int k = 0; k < T; k++)
        map[q * T + k] = k <= q ? (float) (exp (-(q - k) / 2.0) / z) : 0.0f;
    }
  g_autoptr (GArray) maps = g_array_new (FALSE, FALSE, sizeof (MsStoreAttentionMap));
  for (int r = 1; r < 4; r++)
    for (int t = 0; t < 2; t++)
      for (int i = 0; i < 2; i++)
        {
          MsStoreAttentionMap m = { gen_ids[r][t][i][0], 1, -1, T, T, tokens, map };
          g_array_append_val (maps, m);
        }
  if (!ms_store_add_attention_maps (store, (MsStoreAttentionMap *) maps->data, maps->len,
                                    error))
    return FALSE;

  /* Sparse codes under the mixture's dictionary: more atoms for what the single-task runs
   * memorize more. */
  g_autoptr (GArray) sparse = g_array_new (FALSE, FALSE, sizeof (MsStoreSparse));
  static const gint32 support[] = { 3, 7, 11, 19, 23, 42 };
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < N_TRAIN + N_HELDOUT; i++)
      {
        double s = strength_of (1 + t, t, i, 0);
        double atoms = 4 + 20 * s + 2 * jitter (t, i, 3);
        MsStoreSparse sp = { run_ids[3], sample_ids[t][i], 1, atoms * 1.2, atoms, 3.5, 0.1,
                             support, G_N_ELEMENTS (support) };
        g_array_append_val (sparse, sp);
      }
  if (!ms_store_add_sparse (store, (MsStoreSparse *) sparse->data, sparse->len, error))
    return FALSE;

  /* Canaries in summarization, inserted once or 8 times, under the base model, its
   * single-task run and the mixture: exposure grows with repeats and the run's strength. */
  g_autoptr (GArray) canaries = g_array_new (FALSE, FALSE, sizeof (MsStoreCanary));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  static const int canary_runs[] = { 0, 1, 3 };
  for (guint k = 0; k < G_N_ELEMENTS (canary_runs); k++)
    for (int rep = 0; rep < 2; rep++)
      for (int c = 0; c < 2; c++)
        {
          int r = canary_runs[k], repeats = rep == 0 ? 1 : 8;
          double space = 1e6, cands = 200;
          /* Exposure from the sampled rank among the candidates and the secret. */
          double want = 1 + runs[r].strength * repeats + 0.5 * c;
          gint64 rank = (gint64) MAX (1, round ((cands + 1) / pow (2, want)));
          double exposure = log2 ((cands + 1) / (double) rank);
          char *name = g_strdup_printf ("canary-%d-%d", repeats, c);
          g_ptr_array_add (names, name);
          MsStoreCanary cn = { run_ids[r], task_ids[0], name, "482913", repeats, 20 - exposure,
                               rank, (gint64) cands, space, exposure, exposure + 0.5 };
          g_array_append_val (canaries, cn);
        }
  return ms_store_add_canaries (store, (MsStoreCanary *) canaries->data, canaries->len, error);
}

/* The study NAME: its tasks, samples, runs with their probes and curves, and with ANALYSES the
 * rows of the analysis tables. */
static gboolean
write_study (MsStore *store, const char *name, gboolean analyses, GError **error)
{
  g_autofree char *spec = g_strdup_printf ("[study]\nname = %s\n", name);
  MsStoreStudyDef study = { .name = name, .spec_text = spec,
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
  gint64 run_ids[4], gen_ids[4][2][N_TRAIN + N_HELDOUT][2];
  for (int r = 0; r < 4; r++)
    {
      MsStoreRunDef def = { .name = runs[r].name, .kind = runs[r].kind,
                            .mixture = runs[r].mixture, .seed = 1,
                            .tasks_json = runs[r].tasks_json, .hyper_json = "{}" };
      gint64 run_id = run_ids[r] = ms_store_ensure_run (store, study_id, &def, NULL, error);
      if (run_id == 0 || !ms_store_begin (store, error))
        return FALSE;
      for (int t = 0; t < 2; t++)
        for (int i = 0; i < N_TRAIN + N_HELDOUT; i++)
          for (int p = 0; p < 2; p++)
            {
              /* Summarization memorizes more than sentiment; held-out samples and the base
               * model little; the score falls off along the samples. */
              double s = strength_of (r, t, i, p);
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
              gen_ids[r][t][i][p] = ms_store_add_generation (store, &g, error);
              if (gen_ids[r][t][i][p] == 0)
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
                             .status = MS_RUN_DONE, .final_loss = 1.5 + 0.1 * r };
      if (!ms_store_update_run (store, run_id, &u, error) || !ms_store_commit (store, error))
        return FALSE;
    }
  return !analyses || write_analyses (store, run_ids, task_ids, sample_ids, gen_ids, error);
}

gboolean
gui_fixture_write (const char *path, GError **error)
{
  g_autoptr (MsStore) store = ms_store_open (path, error);
  return store != NULL && write_study (store, "quick", TRUE, error)
         && write_study (store, "bare", FALSE, error);
}
