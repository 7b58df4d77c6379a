/* The batch packer: exact token/target/task arrays for small hand-built cases, a separately
 * written packer as the reference over random mixtures, the masks, boundaries never crossed,
 * examples too long for T, the sequential pass, and exact resume. */
#include "ms-test.h"

#include <string.h>

#include "common/ms-error.h"
#include "train/ms-batcher.h"

#define EOT 99

static GArray *
new_examples (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (MsExample));
  g_array_set_clear_func (a, (GDestroyNotify) ms_example_clear);
  return a;
}

/* Appends an example of the tokens TOKS (N of them, the EOT included) with its output from
 * OUTPUT_START. */
static void
add_example (GArray *a, const guint32 *toks, int n, int output_start)
{
  MsExample ex = { 0 };
  ex.tokens = g_memdup2 (toks, n * sizeof (guint32));
  ex.n_tokens = n;
  ex.prompt_len = ex.output_start = output_start;
  ex.output_end = n - 1;
  g_array_append_val (a, ex);
}

/* Task TASK's example K of N tokens: 1000 * (TASK + 1) + 10 * K + position, then EOT; unique,
 * so each token tells its example. */
static void
add_coded (GArray *a, int task, int n, int output_start)
{
  g_autofree guint32 *t = g_new (guint32, n);
  int k = a->len;
  for (int i = 0; i < n - 1; i++)
    t[i] = 100000 * (task + 1) + 100 * k + i;
  t[n - 1] = EOT;
  add_example (a, t, n, output_start);
}

static MsMixer *
equal_mixer (GArray **ex, int n, guint64 seed)
{
  g_autofree gsize *sizes = g_new (gsize, n);
  for (int i = 0; i < n; i++)
    sizes[i] = ex[i]->len;
  MsMixerConfig cfg = { .strategy = MS_MIXER_EQUAL };
  g_autoptr (GError) error = NULL;
  MsMixer *m = ms_mixer_new (&cfg, sizes, n, seed, &error);
  g_assert_no_error (error);
  return m;
}

static void
assert_ints (const char *what, const int *got, const int *want, int n)
{
  for (int i = 0; i < n; i++)
    if (got[i] != want[i])
      g_error ("%s[%d] = %d, expected %d", what, i, got[i], want[i]);
}

/* Task 0: A = [10 11 12 E] (output from 2), B = [20 21 E] (output from 1);
 * task 1: C = [30 31 32 33 34 E] (output from 3). B = 2, T = 8, in order A B C:
 * A and B fill 7 positions of row 0, C (6) does not fit in the last one and opens row 1. */
static void
test_hand_sequential (void)
{
  GArray *ex[2] = { new_examples (), new_examples () };
  add_example (ex[0], (guint32[]) { 10, 11, 12, EOT }, 4, 2);
  add_example (ex[0], (guint32[]) { 20, 21, EOT }, 3, 1);
  add_example (ex[1], (guint32[]) { 30, 31, 32, 33, 34, EOT }, 6, 3);
  const int E = EOT;
  const int want_tokens[16] = { 10, 11, 12, E, 20, 21, E, E,
                                30, 31, 32, 33, 34, E, E, E };
  const int want_whole[16] = { 11, 12, E, -1, 21, E, -1, -1,
                               31, 32, 33, 34, E, -1, -1, -1 };
  const int want_resp[16] = { -1, 12, E, -1, 21, E, -1, -1,
                              -1, -1, 33, 34, E, -1, -1, -1 };
  const int want_task[16] = { 0, 0, 0, 0, 0, 0, 0, -1,
                              1, 1, 1, 1, 1, 1, -1, -1 };
  const int want_example[16] = { 0, 0, 0, 0, 1, 1, 1, -1,
                                 0, 0, 0, 0, 0, 0, -1, -1 };
  for (int ro = 0; ro <= 1; ro++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (MsBatcher) b = ms_batcher_new_sequential (ex, 2, 2, 8, ro, EOT, &error);
      g_assert_no_error (error);
      int tokens[16], targets[16], task_of[16], example_of[16];
      g_assert_cmpint (ms_batcher_next_full (b, tokens, targets, task_of, example_of), ==, 3);
      assert_ints ("tokens", tokens, want_tokens, 16);
      assert_ints ("targets", targets, ro ? want_resp : want_whole, 16);
      assert_ints ("task_of", task_of, want_task, 16);
      assert_ints ("example_of", example_of, want_example, 16);
      g_assert_cmpuint (ms_batcher_tokens_trained (b)[0], ==, ro ? 4 : 5);
      g_assert_cmpuint (ms_batcher_tokens_trained (b)[1], ==, ro ? 3 : 5);
      g_assert_cmpuint (ms_batcher_examples (b)[0], ==, 2);
      g_assert_cmpuint (ms_batcher_examples (b)[1], ==, 1);
      /* Done: padding only. */
      g_assert_cmpint (ms_batcher_next (b, tokens, targets, NULL), ==, 0);
      for (int i = 0; i < 16; i++)
        {
          g_assert_cmpint (tokens[i], ==, EOT);
          g_assert_cmpint (targets[i], ==, -1);
        }
    }
  /* Without packing each example has a row of its own. */
  g_autoptr (MsBatcher) b = ms_batcher_new_sequential (ex, 2, 2, 8, FALSE, EOT, NULL);
  ms_batcher_set_packing (b, FALSE);
  int tokens[16], targets[16], task_of[16];
  g_assert_cmpint (ms_batcher_next (b, tokens, targets, task_of), ==, 2);
  assert_ints ("tokens", tokens, (int[]) { 10, 11, 12, E, E, E, E, E,
                                           20, 21, E, E, E, E, E, E }, 16);
  assert_ints ("targets", targets, (int[]) { 11, 12, E, -1, -1, -1, -1, -1,
                                             21, E, -1, -1, -1, -1, -1, -1 }, 16);
  g_assert_cmpint (ms_batcher_next (b, tokens, targets, task_of), ==, 1);
  assert_ints ("tokens", tokens, (int[]) { 30, 31, 32, 33, 34, E, E, E,
                                           E, E, E, E, E, E, E, E }, 16);
  g_assert_cmpint (ms_batcher_next (b, tokens, targets, task_of), ==, 0);
  g_array_unref (ex[0]);
  g_array_unref (ex[1]);
}

/* One task of one example [5 6 E] (output from 2): the mixer can only give it, so rows of
 * T = 7 hold it twice and one padding position. */
static void
test_hand_mixer (void)
{
  GArray *ex[1] = { new_examples () };
  add_example (ex[0], (guint32[]) { 5, 6, EOT }, 3, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBatcher) b = ms_batcher_new (ex, 1, equal_mixer (ex, 1, 3), 2, 7, TRUE, EOT,
                                            &error);
  g_assert_no_error (error);
  g_array_unref (ex[0]);  /* the batcher holds a reference */
  const int E = EOT;
  for (int call = 0; call < 3; call++)
    {
      int tokens[14], targets[14], task_of[14];
      g_assert_cmpint (ms_batcher_next (b, tokens, targets, task_of), ==, 4);
      assert_ints ("tokens", tokens, (int[]) { 5, 6, E, 5, 6, E, E, 5, 6, E, 5, 6, E, E }, 14);
      assert_ints ("targets", targets, (int[]) { -1, E, -1, -1, E, -1, -1,
                                                 -1, E, -1, -1, E, -1, -1 }, 14);
      assert_ints ("task_of", task_of, (int[]) { 0, 0, 0, 0, 0, 0, -1,
                                                 0, 0, 0, 0, 0, 0, -1 }, 14);
    }
  g_assert_cmpuint (ms_batcher_tokens_trained (b)[0], ==, 12);
  g_assert_cmpuint (ms_batcher_examples (b)[0], ==, 12);
  /* 13 draws: the 13th did not fit in the last row and waits for the next batch. */
  g_assert_cmpuint (ms_mixer_counts (ms_batcher_mixer (b))[0], ==, 13);
  g_assert_cmpuint (ms_mixer_epochs (ms_batcher_mixer (b), 0), ==, 13);
}

/* Random examples over 3 tasks, lengths 1..14 with T = 12 (so some never fit). */
static void
random_examples (GArray **ex, int n_tasks, guint64 seed)
{
  MsTestRng rng = { seed };
  for (int i = 0; i < n_tasks; i++)
    {
      ex[i] = new_examples ();
      int count = 5 + (int) (ms_test_rng_u64 (&rng) % 20);
      for (int k = 0; k < count; k++)
        {
          int n = 1 + (int) (ms_test_rng_u64 (&rng) % 14);
          add_coded (ex[i], i, n, (int) (ms_test_rng_u64 (&rng) % n));
        }
    }
}

/* The reference packer, written separately: the stream of fitting examples in the twin
 * mixer's order, laid greedily into rows. */
typedef struct {
  GArray **ex;
  MsMixer *mixer;
  int T;
  gboolean ro;
  int have, task;   /* an example taken from the stream but not yet placed */
  gsize index;
} RefPacker;

static void
ref_batch (RefPacker *r, int B, int *tokens, int *targets, int *task_of)
{
  for (int i = 0; i < B * r->T; i++)
    {
      tokens[i] = EOT;
      targets[i] = -1;
      task_of[i] = -1;
    }
  for (int row = 0; row < B; row++)
    {
      int used = 0;
      for (;;)
        {
          while (!r->have)
            {
              ms_mixer_next (r->mixer, &r->task, &r->index);
              r->have = g_array_index (r->ex[r->task], MsExample, r->index).n_tokens <= r->T;
            }
          const MsExample *e = &g_array_index (r->ex[r->task], MsExample, r->index);
          if (used + e->n_tokens > r->T)
            break;
          int *tk = tokens + row * r->T + used, *tg = targets + row * r->T + used;
          for (int j = 0; j < e->n_tokens; j++)
            {
              tk[j] = e->tokens[j];
              task_of[row * r->T + used + j] = r->task;
              if (j + 1 < e->n_tokens && (!r->ro || j + 1 >= e->output_start))
                tg[j] = e->tokens[j + 1];
            }
          used += e->n_tokens;
          r->have = FALSE;
        }
    }
}

/* Every kept target predicts the next token of the same example. */
static void
check_boundaries (const int *tokens, const int *targets, const int *task_of, int B, int T)
{
  for (int row = 0; row < B; row++)
    for (int t = 0; t < T; t++)
      {
        int i = row * T + t;
        if (targets[i] < 0)
          continue;
        g_assert_cmpint (t + 1, <, T);
        g_assert_cmpint (tokens[i], !=, EOT);
        g_assert_cmpint (targets[i], ==, tokens[i + 1]);
        g_assert_cmpint (task_of[i], ==, task_of[i + 1]);
        /* Same example: the coded tokens share their example number (or the next is EOT). */
        if (tokens[i + 1] != EOT)
          g_assert_cmpint (tokens[i] / 100, ==, tokens[i + 1] / 100);
      }
}

static void
test_reference (void)
{
  const int B = 3, T = 12, n_tasks = 3;
  for (int ro = 0; ro <= 1; ro++)
    {
      GArray *ex[3];
      random_examples (ex, n_tasks, 11 + ro);
      g_autoptr (GError) error = NULL;
      g_autoptr (MsBatcher) b = ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 5), B, T,
                                                ro, EOT, &error);
      g_assert_no_error (error);
      g_autoptr (MsMixer) twin = equal_mixer (ex, n_tasks, 5);
      RefPacker ref = { .ex = ex, .mixer = twin, .T = T, .ro = ro };
      guint64 long_ones[3] = { 0 }, trained[3] = { 0 }, placed[3] = { 0 };
      for (int i = 0; i < n_tasks; i++)
        for (guint k = 0; k < ex[i]->len; k++)
          long_ones[i] += g_array_index (ex[i], MsExample, k).n_tokens > T;
      g_assert_cmpmem (ms_batcher_skipped (b), sizeof long_ones, long_ones, sizeof long_ones);
      g_assert_cmpuint (long_ones[0] + long_ones[1] + long_ones[2], >, 0);
      for (int step = 0; step < 50; step++)
        {
          int tokens[36], targets[36], task_of[36], rt[36], rg[36], rk[36];
          int n = ms_batcher_next (b, tokens, targets, task_of);
          ref_batch (&ref, B, rt, rg, rk);
          assert_ints ("tokens", tokens, rt, B * T);
          assert_ints ("targets", targets, rg, B * T);
          assert_ints ("task_of", task_of, rk, B * T);
          check_boundaries (tokens, targets, task_of, B, T);
          int eots = 0;
          for (int i = 0; i < B * T; i++)
            {
              if (targets[i] >= 0)
                trained[task_of[i]]++;
              if (task_of[i] >= 0 && tokens[i] == EOT)
                {
                  eots++;
                  placed[task_of[i]]++;
                }
            }
          g_assert_cmpint (n, ==, eots);
        }
      g_assert_cmpmem (ms_batcher_tokens_trained (b), sizeof trained, trained, sizeof trained);
      g_assert_cmpmem (ms_batcher_examples (b), sizeof placed, placed, sizeof placed);
      for (int i = 0; i < n_tasks; i++)
        g_array_unref (ex[i]);
    }
}

static void
test_sequential_covers (void)
{
  const int B = 2, T = 12, n_tasks = 3;
  GArray *ex[3];
  random_examples (ex, n_tasks, 21);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBatcher) b = ms_batcher_new_sequential (ex, n_tasks, B, T, FALSE, EOT, &error);
  g_assert_no_error (error);
  /* Every fitting example once, in order (task by task), by its first token. */
  GArray *order = g_array_new (FALSE, FALSE, sizeof (int));
  int tokens[24], targets[24], task_of[24], example_of[24];
  int batches = 0;
  while (ms_batcher_next_full (b, tokens, targets, task_of, example_of) > 0)
    {
      batches++;
      check_boundaries (tokens, targets, task_of, B, T);
      for (int i = 0; i < B * T; i++)
        if (task_of[i] >= 0 && (i % T == 0 || example_of[i - 1] != example_of[i]
                                || task_of[i - 1] != task_of[i]))
          {
            int id = task_of[i] * 1000 + example_of[i];
            g_array_append_val (order, id);
          }
      g_assert_cmpint (batches, <, 1000);
    }
  GArray *want = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < n_tasks; i++)
    {
      guint64 fits = 0;
      for (guint k = 0; k < ex[i]->len; k++)
        if (g_array_index (ex[i], MsExample, k).n_tokens <= T)
          {
            int id = i * 1000 + (int) k;
            g_array_append_val (want, id);
            fits++;
          }
      g_assert_cmpuint (ms_batcher_examples (b)[i], ==, fits);
      g_assert_cmpuint (ms_batcher_skipped (b)[i], ==, ex[i]->len - fits);
    }
  assert_ints ("order", (int *) order->data, (int *) want->data, want->len);
  g_assert_cmpuint (order->len, ==, want->len);
  g_array_unref (order);
  g_array_unref (want);
  /* Still done. */
  g_assert_cmpint (ms_batcher_next (b, tokens, targets, task_of), ==, 0);
  for (int i = 0; i < n_tasks; i++)
    g_array_unref (ex[i]);
}

static void
test_resume (void)
{
  const int B = 2, T = 12, n_tasks = 3, N = 12;
  GArray *ex[3];
  random_examples (ex, n_tasks, 31);
  int want_tokens[12][24], want_targets[12][24];
  {
    g_autoptr (MsBatcher) a = ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 8), B, T,
                                              TRUE, EOT, NULL);
    for (int s = 0; s < N; s++)
      ms_batcher_next (a, want_tokens[s], want_targets[s], NULL);
  }
  for (int at = 0; at < N; at++)
    {
      g_autoptr (MsBatcher) a = ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 8), B, T,
                                                TRUE, EOT, NULL);
      int tokens[24], targets[24];
      for (int s = 0; s < at; s++)
        ms_batcher_next (a, tokens, targets, NULL);
      g_autoptr (GBytes) state = ms_batcher_save_state (a);
      /* A fresh batcher with a fresh mixer continues like the uninterrupted one. */
      g_autoptr (MsBatcher) b = ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 8), B, T,
                                                TRUE, EOT, NULL);
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_batcher_restore_state (b, state, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (ms_batcher_tokens_trained (a), 3 * sizeof (guint64),
                       ms_batcher_tokens_trained (b), 3 * sizeof (guint64));
      for (int s = at; s < N; s++)
        {
          ms_batcher_next (b, tokens, targets, NULL);
          assert_ints ("tokens", tokens, want_tokens[s], B * T);
          assert_ints ("targets", targets, want_targets[s], B * T);
        }
    }
  /* Sequential: resume mid-pass. */
  g_autoptr (MsBatcher) s1 = ms_batcher_new_sequential (ex, n_tasks, B, T, FALSE, EOT, NULL);
  int tk[24], tg[24], t2[24], g2[24];
  ms_batcher_next (s1, tk, tg, NULL);
  g_autoptr (GBytes) st = ms_batcher_save_state (s1);
  g_autoptr (MsBatcher) s2 = ms_batcher_new_sequential (ex, n_tasks, B, T, FALSE, EOT, NULL);
  g_assert_true (ms_batcher_restore_state (s2, st, NULL));
  int n1, n2;
  do
    {
      n1 = ms_batcher_next (s1, tk, tg, NULL);
      n2 = ms_batcher_next (s2, t2, g2, NULL);
      g_assert_cmpint (n1, ==, n2);
      assert_ints ("tokens", t2, tk, B * T);
      assert_ints ("targets", g2, tg, B * T);
    }
  while (n1 > 0);
  for (int i = 0; i < n_tasks; i++)
    g_array_unref (ex[i]);
}

static void
test_restore_mismatch (void)
{
  const int n_tasks = 3;
  GArray *ex[3], *other[3];
  random_examples (ex, n_tasks, 41);
  random_examples (other, n_tasks, 41);
  /* Same sizes, one token changed. */
  g_array_index (other[2], MsExample, 0).tokens[0] += 1;
  g_autoptr (MsBatcher) a = ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 8), 2, 12,
                                            FALSE, EOT, NULL);
  int tokens[48], targets[48];
  ms_batcher_next (a, tokens, targets, NULL);
  g_autoptr (GBytes) state = ms_batcher_save_state (a);

  struct { MsBatcher *b; int code; const char *what; } cases[] = {
    { ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 8), 2, 13, FALSE, EOT, NULL),
      MS_ERROR_MISMATCH, "sequence length T 12" },
    { ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 8), 2, 12, TRUE, EOT, NULL),
      MS_ERROR_MISMATCH, "response-only" },
    { ms_batcher_new (other, n_tasks, equal_mixer (other, n_tasks, 8), 2, 12, FALSE, EOT, NULL),
      MS_ERROR_MISMATCH, "other examples" },
    { ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 9), 2, 12, FALSE, EOT, NULL),
      MS_ERROR_MISMATCH, "seed 8" },
    { ms_batcher_new_sequential (ex, n_tasks, 2, 12, FALSE, EOT, NULL),
      MS_ERROR_MISMATCH, "mixing batcher" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_assert_nonnull (cases[c].b);
      g_autoptr (GError) error = NULL;
      g_assert_false (ms_batcher_restore_state (cases[c].b, state, &error));
      g_assert_error (error, MS_ERROR, cases[c].code);
      if (strstr (error->message, cases[c].what) == NULL)
        g_error ("case %u: \"%s\" lacks \"%s\"", c, error->message, cases[c].what);
      ms_batcher_free (cases[c].b);
    }
  /* A different B is fine: rows continue where they were. */
  g_autoptr (MsBatcher) wide = ms_batcher_new (ex, n_tasks, equal_mixer (ex, n_tasks, 8), 4, 12,
                                               FALSE, EOT, NULL);
  g_assert_true (ms_batcher_restore_state (wide, state, NULL));
  int wt[48], wg[48];
  ms_batcher_next (wide, wt, wg, NULL);
  ms_batcher_next (a, tokens, targets, NULL);
  ms_batcher_next (a, tokens + 24, targets + 24, NULL);
  assert_ints ("tokens", wt, tokens, 48);

  gsize len;
  const guint8 *p = g_bytes_get_data (state, &len);
  gsize cuts[] = { 0, 5, 40, len - 1 };
  for (guint c = 0; c < G_N_ELEMENTS (cuts); c++)
    {
      g_autoptr (GBytes) bad = g_bytes_new (p, cuts[c]);
      g_autoptr (GError) error = NULL;
      g_assert_false (ms_batcher_restore_state (wide, bad, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
    }
  for (int i = 0; i < n_tasks; i++)
    {
      g_array_unref (ex[i]);
      g_array_unref (other[i]);
    }
}

static void
test_bad_new (void)
{
  GArray *ex[2] = { new_examples (), new_examples () };
  add_coded (ex[0], 0, 3, 1);
  add_coded (ex[0], 0, 9, 1);
  add_coded (ex[1], 1, 9, 2);
  add_coded (ex[1], 1, 10, 2);
  struct { int B, T, eot; const char *what; } sizes[] = {
    { 0, 8, EOT, "B = 0" }, { 2, 1, EOT, "T = 1" }, { 2, 8, -1, "EOT -1" },
    { 2, 8, 7, "not a tokenized example ending in EOT 7" },
    { 2, 8, EOT, "all 2 examples of task 1 are longer than the sequence length T = 8" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (sizes); c++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_null (ms_batcher_new (ex, 2, equal_mixer (ex, 2, 1), sizes[c].B, sizes[c].T, FALSE,
                                     sizes[c].eot, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
      if (strstr (error->message, sizes[c].what) == NULL)
        g_error ("case %u: \"%s\" lacks \"%s\"", c, error->message, sizes[c].what);
    }
  /* A task of rate 0 may be all too long; the sequential pass skips such tasks too. */
  double w[] = { 1, 0 };
  gsize n[] = { 2, 2 };
  MsMixerConfig cfg = { .strategy = MS_MIXER_WEIGHTS, .weights = w };
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBatcher) ok = ms_batcher_new (ex, 2, ms_mixer_new (&cfg, n, 2, 1, NULL), 2, 8,
                                             FALSE, EOT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_batcher_skipped (ok)[0], ==, 1);
  g_assert_cmpuint (ms_batcher_skipped (ok)[1], ==, 2);
  g_autoptr (MsBatcher) seq = ms_batcher_new_sequential (ex, 2, 1, 8, FALSE, EOT, &error);
  g_assert_no_error (error);
  int tokens[8], targets[8];
  g_assert_cmpint (ms_batcher_next (seq, tokens, targets, NULL), ==, 1);
  g_assert_cmpint (ms_batcher_next (seq, tokens, targets, NULL), ==, 0);
  /* A mixer for other sizes. */
  gsize wrong[] = { 2, 3 };
  MsMixerConfig eq = { .strategy = MS_MIXER_EQUAL };
  g_assert_null (ms_batcher_new (ex, 2, ms_mixer_new (&eq, wrong, 2, 1, NULL), 2, 16, FALSE, EOT,
                                 &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "task 1 has 2 examples but its mixer was made for 3"));
  g_clear_error (&error);
  g_assert_null (ms_batcher_new (ex, 1, equal_mixer (ex, 2, 1), 2, 16, FALSE, EOT, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_array_unref (ex[0]);
  g_array_unref (ex[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/batcher/hand-sequential", test_hand_sequential);
  g_test_add_func ("/train/batcher/hand-mixer", test_hand_mixer);
  g_test_add_func ("/train/batcher/reference", test_reference);
  g_test_add_func ("/train/batcher/sequential-covers", test_sequential_covers);
  g_test_add_func ("/train/batcher/resume", test_resume);
  g_test_add_func ("/train/batcher/restore-mismatch", test_restore_mismatch);
  g_test_add_func ("/train/batcher/bad-new", test_bad_new);
  return ms_test_run ();
}
