/* Attention statistics: hand-worked rows, random rows against a double CPU computation written
 * here, and the statistics of a (sharpened) random GPT-2's own attention, in a left-padded
 * forward pass and during greedy generation, against PyTorch
 * (tests/fixtures/analysis/make-attention.py). Each test runs both kernel variants (one
 * work-item per query, and one work-group per query as on GPUs). */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "analysis/ms-attention.h"
#include "gpt-reference.h"
#include "model/ms-generate.h"
#include "ms-test.h"

/* ---- an independent CPU reference ------------------------------------------------------ */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* The four statistics of P (N), in double: the Gini coefficient from the Lorenz curve,
 * G = 1 - (1/n) sum_i (L_{i-1} + L_i), with L_i the share of the i smallest values. */
static void
ref_stats (const float *p, int n, int k, double out[4])
{
  g_autofree double *s = g_new (double, n);
  double sum = 0, ent = 0;
  for (int i = 0; i < n; i++)
    {
      s[i] = p[i];
      sum += p[i];
      if (p[i] > 0)
        ent -= p[i] * log (p[i]);
    }
  qsort (s, n, sizeof *s, cmp_double);
  double top = 0, lorenz = 0, prev = 0, cum = 0;
  for (int i = 0; i < n; i++)
    {
      cum += s[i];
      lorenz += prev + cum / sum;
      prev = cum / sum;
      if (i >= n - k)
        top += s[i];
    }
  out[0] = n > 1 ? ent / log (n) : 0;
  out[1] = s[n - 1];
  out[2] = top;
  out[3] = 1 - lorenz / n;
}

/* Runs FN once per kernel variant of the device. */
static void
both_variants (void (*fn) (void))
{
  MsDevice *dev = ms_test_device ();
  gboolean saved = dev->rows_per_item;
  for (int v = 0; v < 2; v++)
    {
      dev->rows_per_item = v == 0;
      fn ();
    }
  dev->rows_per_item = saved;
}

static MsBuffer *
upload (const float *x, gsize n)
{
  g_autoptr (GError) error = NULL;
  MsDevice *dev = ms_test_device ();
  MsBuffer *buf = ms_buffer_new (dev, n * sizeof (float), &error);
  g_assert_no_error (error);
  g_assert_true (ms_buffer_write (dev, buf, 0, x, n * sizeof (float), &error));
  return buf;
}

static void
assert_stats (const char *what, const float *got, const double *want, double tol)
{
  static const char *names[4] = { "entropy", "max", "top-k", "gini" };
  for (int s = 0; s < 4; s++)
    if (!(fabs (got[s] - want[s]) <= tol))
      g_error ("%s: %s %.7f, want %.7f (tolerance %g)", what, names[s], got[s], want[s], tol);
}

/* ---- hand-worked rows -------------------------------------------------------------------- */

/* Seven rows of one query at position 3 (B = 7, NH = 1, Tq = 1, Tk = 4), each with its own
 * start so that it sees its last N keys; top-2 mass. The expected values are worked by hand:
 * e.g. (0.1, 0.2, 0.3, 0.4): H = 1.279854 / ln 4, Gini = (|pairs| sum 2.0) / (2 * 4 * 1). */
static void
hand_rows (void)
{
  MsDevice *dev = ms_test_device ();
  const int B = 7, Tk = 4;
  const float rows[7][4] = {
    { 0, 0, 0, 1 },                 /* n = 1 */
    { 0.25f, 0.25f, 0.25f, 0.25f },  /* uniform, n = 4 */
    { 0, 0, 1, 0 },                 /* one-hot, n = 4 */
    { 0.3f, 0.1f, 0.4f, 0.2f },     /* n = 4, unsorted */
    { 0, 0, 0.25f, 0.75f },         /* n = 2 */
    { 0, 0.2f, 0.6f, 0.2f },        /* n = 3 */
    { 0, 0, 0, 1 },                 /* a pad: its row starts after it */
  };
  const int starts[7] = { 3, 0, 0, 0, 2, 1, 4 };
  const double want[6][4] = {
    { 0, 1, 1, 0 },
    { 1, 0.25, 0.5, 0 },
    { 0, 1, 1, 0.75 },
    { 1.2798542258336676 / 1.3862943611198906, 0.4, 0.7, 0.25 },
    { 0.8112781244591328, 0.75, 1, 0.25 },
    { 0.9502705392332347 / 1.0986122886681098, 0.6, 0.8, 0.8 / 3 },
  };
  g_autoptr (MsBuffer) att = upload (&rows[0][0], B * Tk);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (dev, 8, 1, 1, 2, &error);
  g_assert_no_error (error);
  g_assert_true (ms_attention_stats_reset (acc, B, starts, NULL, &error));
  MsGptTensor t = { .buf = att, .offset = 0, .layer = 0, .B = B, .NH = 1, .Tq = 1, .Tk = Tk,
                    .pos0 = 3 };
  ms_attention_stats_add (acc, &t);
  float means[7 * 8];
  int counts[7 * 2];
  g_assert_true (ms_attention_stats_read (acc, NULL, means, counts, &error));
  g_assert_no_error (error);
  for (int b = 0; b < 6; b++)
    {
      g_autofree char *what = g_strdup_printf ("hand row %d", b);
      assert_stats (what, means + b * 8, want[b], 1e-6);
      g_assert_cmpint (counts[2 * b], ==, 1);
      g_assert_cmpint (counts[2 * b + 1], ==, 0);
      g_assert_true (isnan (means[b * 8 + 4]));  /* no generated queries */
    }
  /* The pad row counts nothing. */
  g_assert_cmpint (counts[12], ==, 0);
  g_assert_true (isnan (means[6 * 8]));
}

static void test_hand (void) { both_variants (hand_rows); }

/* ---- random rows ------------------------------------------------------------------------- */

/* A "prefill" of B = 2 rows, NH heads over T keys (rows start at 0 and 37 or 5): random
 * distributions, some with exact zeros, some one-hot, some uniform; then two single-query
 * "decode" passes at positions T and T + 1 whose keys grow to T + 2 (generated phase). */
static void
random_rows_t (int T, int top_k, int NH)
{
  MsDevice *dev = ms_test_device ();
  const int B = 2, starts[2] = { 0, T > 100 ? 37 : 5 };
  MsTestRng rng = { 1234 + T };
  gsize n_att = (gsize) B * NH * T * T;
  g_autofree float *att = g_new0 (float, n_att);
  g_autofree double *want = g_new0 (double, B * NH * 8);
  int n_prompt[2] = { 0, 0 };
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++)
      for (int i = 0; i < T; i++)
        {
          float *row = att + (((gsize) b * NH + h) * T + i) * T;
          if (i < starts[b])
            {
              row[i] = 1;  /* a pad sees itself */
              continue;
            }
          int first = starts[b], n = i - first + 1, kind = (i + h) % 5;
          double sum = 0;
          for (int j = 0; j < n; j++)
            {
              float u = ms_test_rng_uniform (&rng);
              float v = kind == 0 ? 1.0f : kind == 1 ? (j == (i * 7) % n ? 1.0f : 0.0f)
                        : kind == 2 ? (u < 0.3f ? 0.0f : expf (4 * u)) : expf (8 * u * u);
              row[first + j] = v;
              sum += v;
            }
          if (sum == 0)
            row[i] = 1, sum = 1;
          for (int j = 0; j < n; j++)
            row[first + j] = (float) (row[first + j] / sum);
          double s[4];
          ref_stats (row + first, n, top_k, s);
          for (int q = 0; q < 4; q++)
            want[(b * NH + h) * 8 + q] += s[q];
          if (h == 0)
            n_prompt[b]++;
        }
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++)
      for (int q = 0; q < 4; q++)
        want[(b * NH + h) * 8 + q] /= n_prompt[b];

  /* Two decode steps: (B, NH, 1, Tk) with Tk = T + 1, T + 2. */
  int Tk[2] = { T + 1, T + 2 };
  float *step[2];  /* freed below: g_autofree on an array freed one of the two */
  for (int st = 0; st < 2; st++)
    {
      step[st] = g_new0 (float, B * NH * Tk[st]);
      for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
          {
            float *row = step[st] + (b * NH + h) * Tk[st];
            int first = starts[b], n = Tk[st] - first;
            double sum = 0;
            for (int j = 0; j < n; j++)
              sum += row[first + j] = expf (3 * ms_test_rng_normal (&rng));
            for (int j = 0; j < n; j++)
              row[first + j] = (float) (row[first + j] / sum);
            double s[4];
            ref_stats (row + first, n, top_k, s);
            for (int q = 0; q < 4; q++)
              want[(b * NH + h) * 8 + 4 + q] += s[q] / 2;
          }
    }

  g_autoptr (GError) error = NULL;
  g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (dev, B, 2, NH, top_k, &error);
  g_assert_no_error (error);
  g_assert_true (ms_attention_stats_reset (acc, B, starts, NULL, &error));
  g_autoptr (MsBuffer) buf = upload (att, n_att);
  /* Layer 1 only: layer 0 never has a pass and must come back as NaN. */
  MsGptTensor t = { .buf = buf, .layer = 1, .B = B, .NH = NH, .Tq = T, .Tk = T, .pos0 = 0 };
  ms_attention_stats_add (acc, &t);
  for (int st = 0; st < 2; st++)
    {
      g_autoptr (MsBuffer) sb = upload (step[st], B * NH * Tk[st]);
      MsGptTensor d = { .buf = sb, .layer = 1, .B = B, .NH = NH, .Tq = 1, .Tk = Tk[st],
                        .pos0 = T + st };
      ms_attention_stats_add (acc, &d);
    }
  g_free (step[0]);
  g_free (step[1]);
  g_autofree float *means = g_new (float, 2 * 2 * NH * 8);
  int counts[4];
  g_assert_true (ms_attention_stats_read (acc, NULL, means, counts, &error));
  g_assert_no_error (error);
  for (int b = 0; b < B; b++)
    {
      g_assert_cmpint (counts[2 * b], ==, n_prompt[b]);
      g_assert_cmpint (counts[2 * b + 1], ==, 2);
      for (int h = 0; h < NH; h++)
        {
          const float *got = means + ((b * 2 + 1) * NH + h) * 8;
          g_autofree char *what = g_strdup_printf ("T %d row %d head %d prompt", T, b, h);
          assert_stats (what, got, want + (b * NH + h) * 8, 2e-5);
          g_autofree char *gw = g_strdup_printf ("T %d row %d head %d generated", T, b, h);
          assert_stats (gw, got + 4, want + (b * NH + h) * 8 + 4, 2e-5);
          g_assert_true (isnan (means[(b * 2 * NH + h) * 8]));  /* layer 0 */
        }
    }
}

static void random_rows (void) { random_rows_t (150, 5, 3); random_rows_t (17, 1, 3); }
static void test_random_rows (void) { both_variants (random_rows); }

/* A prefill long enough to take two launches of the statistics kernel (its sorting space
 * holds 2^22 floats: 2048 rows of 2048; here 2 × 1100 query rows). */
static void
chunked (void)
{
  random_rows_t (1100, 5, 1);
}

static void test_chunked (void) { both_variants (chunked); }

/* ---- the model's own attention against PyTorch -------------------------------------------- */

typedef struct {
  JsonParser *parser;
  JsonObject *root;
  int top_k;
  double qk_scale;
} Fixture;

static Fixture *
fixture_load (void)
{
  Fixture *f = g_new0 (Fixture, 1);
  g_autofree char *path = ms_test_fixture ("analysis/attention.json");
  g_autoptr (GError) error = NULL;
  f->parser = json_parser_new ();
  json_parser_load_from_file (f->parser, path, &error);
  g_assert_no_error (error);
  f->root = json_node_get_object (json_parser_get_root (f->parser));
  f->top_k = json_object_get_int_member (f->root, "top_k");
  f->qk_scale = json_object_get_double_member (f->root, "qk_scale");
  return f;
}

static void
fixture_free (Fixture *f)
{
  g_object_unref (f->parser);
  g_free (f);
}

/* The fixture's model: the "small" random GPT-2 with its query and key weights scaled. */
static MsGpt *
sharpened_model (MsBlas *blas, const Fixture *fx)
{
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  gsize off[MS_N_PARAMS];
  ms_gpt_param_offsets (&f->cfg, off);
  int L = f->cfg.num_layers, C = f->cfg.channels;
  for (int l = 0; l < L; l++)
    for (gsize i = 0; i < (gsize) 2 * C * C; i++)
      params[off[MS_QKVW] + (gsize) l * 3 * C * C + i] *= (float) fx->qk_scale;
  g_autoptr (GError) error = NULL;
  MsGpt *gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  g_assert_no_error (error);
  ms_ref_fixture_free (f);
  return gpt;
}

static double
json_at (JsonArray *a, int n, const int *idx)
{
  for (int i = 0; i < n - 1; i++)
    a = json_array_get_array_element (a, idx[i]);
  return json_array_get_double_element (a, idx[n - 1]);
}

static int *
json_ints (JsonArray *a, int *n)
{
  *n = json_array_get_length (a);
  int *x = g_new (int, *n);
  for (int i = 0; i < *n; i++)
    x[i] = json_array_get_int_element (a, i);
  return x;
}

static void
padded_forward (void)
{
  Fixture *fx = fixture_load ();
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = sharpened_model (blas, fx);
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  const int L = cfg->num_layers, NH = cfg->num_heads;
  JsonObject *pad = json_object_get_object_member (fx->root, "padded");
  int T = json_object_get_int_member (pad, "T"), B;
  g_autofree int *starts = json_ints (json_object_get_array_member (pad, "starts"), &B);
  g_autofree int *lens = json_ints (json_object_get_array_member (pad, "lens"), &B);
  JsonArray *rows = json_object_get_array_member (pad, "tokens");
  g_autofree int *tokens = g_new (int, B * T);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      tokens[b * T + t] = json_array_get_int_element (json_array_get_array_element (rows, b), t);

  g_autoptr (GError) error = NULL;
  g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (ms_gpt_device (gpt), 4, L, NH,
                                                             fx->top_k, &error);
  g_assert_no_error (error);
  g_assert_true (ms_attention_stats_reset (acc, B, starts, NULL, &error));
  MsGptHooks hooks = { 0 };
  ms_attention_stats_hooks (acc, &hooks);
  ms_gpt_set_hooks (gpt, &hooks);
  g_assert_true (ms_gpt_forward (gpt, tokens, starts, NULL, B, T, &error));
  g_assert_no_error (error);
  g_autofree float *means = g_new (float, B * L * NH * 8);
  g_autofree int *counts = g_new (int, B * 2);
  g_assert_true (ms_attention_stats_read (acc, NULL, means, counts, &error));
  g_assert_no_error (error);
  JsonArray *stats = json_object_get_array_member (pad, "stats");
  double worst = 0;
  for (int b = 0; b < B; b++)
    {
      g_assert_cmpint (counts[2 * b], ==, lens[b]);
      g_assert_cmpint (counts[2 * b + 1], ==, 0);
      for (int l = 0; l < L; l++)
        for (int h = 0; h < NH; h++)
          {
            double want[4];
            for (int s = 0; s < 4; s++)
              {
                want[s] = json_at (stats, 4, (int[]){ b, l, h, s });
                worst = MAX (worst, fabs (want[s] - means[((b * L + l) * NH + h) * 8 + s]));
              }
            g_autofree char *what = g_strdup_printf ("row %d layer %d head %d", b, l, h);
            assert_stats (what, means + ((b * L + l) * NH + h) * 8, want, 1e-4);
            g_assert_true (isnan (means[((b * L + l) * NH + h) * 8 + 4]));
          }
    }
  g_test_message ("padded forward: largest difference from PyTorch %.2e", worst);
  ms_gpt_set_hooks (gpt, NULL);

  /* A batch that does not fit the accumulator fails the forward pass, with a message. */
  g_assert_true (ms_attention_stats_reset (acc, B - 1, starts, NULL, &error));
  ms_gpt_set_hooks (gpt, &hooks);
  g_assert_false (ms_gpt_forward (gpt, tokens, starts, NULL, B, T, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_test_message ("%s", error->message);
  fixture_free (fx);
}

static void test_padded_forward (void) { both_variants (padded_forward); }

typedef struct {
  int n, n_new;
  int *lens;
  int **prompts;
  int **tokens;
} GenCases;

static GenCases *
gen_cases (JsonObject *gen)
{
  JsonArray *cases = json_object_get_array_member (gen, "cases");
  GenCases *c = g_new0 (GenCases, 1);
  c->n = json_array_get_length (cases);
  c->n_new = json_object_get_int_member (gen, "n_new");
  c->lens = g_new (int, c->n);
  c->prompts = g_new (int *, c->n);
  c->tokens = g_new (int *, c->n);
  for (int i = 0; i < c->n; i++)
    {
      JsonObject *o = json_array_get_object_element (cases, i);
      int n;
      c->prompts[i] = json_ints (json_object_get_array_member (o, "prompt"), &c->lens[i]);
      c->tokens[i] = json_ints (json_object_get_array_member (o, "tokens"), &n);
      g_assert_cmpint (n, ==, c->n_new);
    }
  return c;
}

static void
gen_cases_free (GenCases *c)
{
  for (int i = 0; i < c->n; i++)
    {
      g_free (c->prompts[i]);
      g_free (c->tokens[i]);
    }
  g_free (c->prompts);
  g_free (c->tokens);
  g_free (c->lens);
  g_free (c);
}

/* Greedy generation with the statistics hooked in, with and without the KV cache, compared
 * with PyTorch's per-step statistics: all fed-back positions, then only the first LIMIT[b]. */
static void
generation (void)
{
  Fixture *fx = fixture_load ();
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = sharpened_model (blas, fx);
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  const int L = cfg->num_layers, NH = cfg->num_heads;
  JsonObject *gen = json_object_get_object_member (fx->root, "generate");
  JsonArray *cases = json_object_get_array_member (gen, "cases");
  GenCases *c = gen_cases (gen);
  const int B = c->n, n_new = c->n_new;
  g_autoptr (GError) error = NULL;
  g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (ms_gpt_device (gpt), B, L, NH,
                                                             fx->top_k, &error);
  g_assert_no_error (error);
  MsGptHooks hooks = { 0 };
  ms_attention_stats_hooks (acc, &hooks);
  ms_gpt_set_hooks (gpt, &hooks);
  g_autofree int *out = g_new (int, B * n_new), *out_lens = g_new (int, B);
  g_autofree float *means = g_new (float, B * L * NH * 8);
  int counts[16];
  const int limits[2][4] = { { 99, 99, 99, 99 }, { 3, 11, 0, 5 } };
  double worst = 0;
  for (int no_cache = 0; no_cache < 2; no_cache++)
    {
      MsGenerateOptions opt = { .max_new_tokens = n_new, .no_cache = no_cache };
      g_assert_true (ms_attention_stats_reset_lens (acc, B, c->lens, &error));
      g_assert_true (ms_gpt_generate (gpt, B, (const int *const *) c->prompts, c->lens, &opt,
                                      out, out_lens, &error));
      g_assert_no_error (error);
      for (int b = 0; b < B; b++)
        {
          g_assert_cmpint (out_lens[b], ==, n_new);
          g_assert_cmpmem (out + b * n_new, n_new * sizeof (int), c->tokens[b],
                           n_new * sizeof (int));
        }
      for (int lim = 0; lim < 2; lim++)
        {
          g_assert_true (ms_attention_stats_read (acc, lim ? limits[1] : out_lens, means, counts,
                                                  &error));
          g_assert_no_error (error);
          for (int b = 0; b < B; b++)
            {
              JsonObject *o = json_array_get_object_element (cases, b);
              JsonArray *ps = json_object_get_array_member (o, "prompt_stats");
              JsonArray *steps = json_object_get_array_member (o, "steps");
              /* The last new token is never fed back: n_new - 1 generated queries. */
              int ng = MIN (n_new - 1, limits[lim][b]);
              g_assert_cmpint (counts[2 * b], ==, c->lens[b]);
              g_assert_cmpint (counts[2 * b + 1], ==, ng);
              for (int l = 0; l < L; l++)
                for (int h = 0; h < NH; h++)
                  {
                    const float *got = means + ((b * L + l) * NH + h) * 8;
                    double want[4], wg[4] = { 0, 0, 0, 0 };
                    for (int s = 0; s < 4; s++)
                      {
                        want[s] = json_at (ps, 3, (int[]){ l, h, s });
                        for (int g = 0; g < ng; g++)
                          wg[s] += json_at (steps, 4, (int[]){ l, h, g, s }) / ng;
                        worst = MAX (worst, fabs (got[s] - want[s]));
                        if (ng > 0)
                          worst = MAX (worst, fabs (got[4 + s] - wg[s]));
                      }
                    g_autofree char *what = g_strdup_printf ("case %d layer %d head %d%s", b, l,
                                                             h, no_cache ? " (no cache)" : "");
                    assert_stats (what, got, want, 1e-4);
                    if (ng > 0)
                      assert_stats (what, got + 4, wg, 1e-4);
                    else
                      g_assert_true (isnan (got[4]));
                  }
            }
        }
    }
  g_test_message ("generation: largest difference from PyTorch %.2e", worst);
  ms_gpt_set_hooks (gpt, NULL);
  gen_cases_free (c);
  fixture_free (fx);
}

static void test_generation (void) { both_variants (generation); }

/* The full map of one (case, layer, head) during generation, and the same map read inside a
 * hook of a plain forward pass over the case's whole sequence, against PyTorch. */
typedef struct {
  int layer, head, n;
  float *got;
} MapHook;

static void
read_map_hook (gpointer user, const MsGptTensor *att)
{
  MapHook *m = user;
  g_autoptr (GError) error = NULL;
  if (att->layer == m->layer)
    g_assert_true (ms_attention_read_map (ms_test_device (), att, 0, m->head, m->got, &error));
  g_assert_no_error (error);
}

static void
test_maps (void)
{
  Fixture *fx = fixture_load ();
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = sharpened_model (blas, fx);
  JsonObject *gen = json_object_get_object_member (fx->root, "generate");
  JsonObject *mo = json_object_get_object_member (gen, "map");
  JsonArray *values = json_object_get_array_member (mo, "values");
  int which = json_object_get_int_member (mo, "case");
  int layer = json_object_get_int_member (mo, "layer"), head = json_object_get_int_member (mo, "head");
  int n = json_object_get_int_member (mo, "n");
  GenCases *c = gen_cases (gen);
  const int B = c->n, n_new = c->n_new;
  int width = 0;
  for (int b = 0; b < B; b++)
    width = MAX (width, c->lens[b]);
  int start = width - c->lens[which];
  g_assert_cmpint (n, ==, c->lens[which] + n_new - 1);

  g_autoptr (GError) error = NULL;
  MsAttentionMapSpec spec = { which, layer, head };
  int max_t = width + n_new;
  g_autoptr (MsAttentionMaps) maps = ms_attention_maps_new (ms_gpt_device (gpt), max_t, 1, &spec,
                                                            &error);
  g_assert_no_error (error);
  MsGptHooks hooks = { 0 };
  ms_attention_maps_hooks (maps, &hooks);
  ms_gpt_set_hooks (gpt, &hooks);
  ms_attention_maps_reset (maps);
  g_autofree int *out = g_new (int, B * n_new), *out_lens = g_new (int, B);
  MsGenerateOptions opt = { .max_new_tokens = n_new };
  g_assert_true (ms_gpt_generate (gpt, B, (const int *const *) c->prompts, c->lens, &opt, out,
                                  out_lens, &error));
  g_autofree float *map = g_new (float, max_t * max_t);
  int T;
  g_assert_true (ms_attention_maps_read (maps, 0, map, &T, &error));
  g_assert_no_error (error);
  g_assert_cmpint (T, ==, width + n_new - 1);
  double worst = 0;
  for (int q = 0; q < n; q++)
    for (int k = 0; k < T; k++)
      {
        double want = k >= start ? json_array_get_double_element (values, q * n + k - start) : 0;
        double got = map[(start + q) * T + k];
        worst = MAX (worst, fabs (got - want));
      }
  g_test_message ("captured map: largest difference from PyTorch %.2e", worst);
  g_assert_cmpfloat (worst, <=, 1e-5);

  /* The case's whole sequence in one forward pass; the map read inside the hook. */
  g_autofree int *seq = g_new (int, n);
  memcpy (seq, c->prompts[which], c->lens[which] * sizeof (int));
  memcpy (seq + c->lens[which], c->tokens[which], (n - c->lens[which]) * sizeof (int));
  MapHook mh = { layer, head, n, g_new (float, n * n) };
  MsGptHooks h2 = { .layers = 1u << layer, .attention = read_map_hook, .user = &mh };
  ms_gpt_set_hooks (gpt, &h2);
  g_assert_true (ms_gpt_forward (gpt, seq, NULL, NULL, 1, n, &error));
  g_assert_no_error (error);
  worst = 0;
  for (int i = 0; i < n * n; i++)
    worst = MAX (worst, fabs (mh.got[i] - json_array_get_double_element (values, i)));
  g_assert_cmpfloat (worst, <=, 1e-5);
  g_free (mh.got);
  ms_gpt_set_hooks (gpt, NULL);
  gen_cases_free (c);
  fixture_free (fx);
}

static void
test_bad_arguments (void)
{
  MsDevice *dev = ms_test_device ();
  g_autoptr (GError) error = NULL;
  g_assert_null (ms_attention_stats_new (dev, 0, 2, 2, 5, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (ms_attention_stats_new (dev, 2, 2, 2, 0, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (dev, 2, 2, 2, 5, &error);
  g_assert_no_error (error);
  g_assert_false (ms_attention_stats_reset (acc, 3, NULL, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  int starts[2] = { 4, 0 }, split[2] = { 3, 3 };
  g_assert_false (ms_attention_stats_reset (acc, 2, starts, split, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  MsAttentionMapSpec bad = { 0, -1, 0 };
  g_assert_null (ms_attention_maps_new (dev, 8, 1, &bad, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

/* Performance only (-m perf): the cost of the statistics during generation from the 124M
 * shape, B = 16 prompts of 50 tokens, 50 new tokens: the time per step with and without the
 * hooks, median of 5. */
static double
generate_seconds (MsGpt *gpt, int B, const int *const *prompts, const int *lens, int n_new)
{
  g_autofree int *out = g_new (int, B * n_new), *out_lens = g_new (int, B);
  MsGenerateOptions opt = { .max_new_tokens = n_new };
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (ms_gpt_generate (gpt, B, prompts, lens, &opt, out, out_lens, &error));
  return (g_get_monotonic_time () - t0) / 1e6;
}

static int
cmp_dbl (const void *a, const void *b)
{
  return cmp_double (a, b);
}

static void
test_perf_generation (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("gpt2-124M");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  g_assert_no_error (error);
  const int B = 16, len = 50, n_new = 50;
  g_autofree int *tokens = g_new (int, B * len);
  const int *prompts[16];
  int lens[16];
  MsTestRng rng = { 7 };
  for (int i = 0; i < B * len; i++)
    tokens[i] = ms_test_rng_u64 (&rng) % f->cfg.vocab_size;
  for (int b = 0; b < B; b++)
    prompts[b] = tokens + b * len, lens[b] = len - b % 3;
  g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (ms_gpt_device (gpt), B,
                                                             f->cfg.num_layers,
                                                             f->cfg.num_heads, 5, &error);
  MsGptHooks hooks = { 0 };
  ms_attention_stats_hooks (acc, &hooks);
  double plain[5], hooked[5];
  generate_seconds (gpt, B, prompts, lens, n_new);  /* warm-up */
  for (int r = 0; r < 5; r++)
    {
      ms_gpt_set_hooks (gpt, NULL);
      plain[r] = generate_seconds (gpt, B, prompts, lens, n_new);
      ms_gpt_set_hooks (gpt, &hooks);
      g_assert_true (ms_attention_stats_reset_lens (acc, B, lens, &error));
      hooked[r] = generate_seconds (gpt, B, prompts, lens, n_new);
      g_assert_true (ms_attention_stats_read (acc, NULL, NULL, NULL, &error));
    }
  qsort (plain, 5, sizeof (double), cmp_dbl);
  qsort (hooked, 5, sizeof (double), cmp_dbl);
  g_test_message ("124M shape, B=%d, prompt %d, %d new tokens: %.1f ms/token plain "
                  "(min %.1f max %.1f), %.1f ms/token with attention statistics (min %.1f max "
                  "%.1f)", B, len, n_new, 1e3 * plain[2] / n_new, 1e3 * plain[0] / n_new,
                  1e3 * plain[4] / n_new, 1e3 * hooked[2] / n_new, 1e3 * hooked[0] / n_new,
                  1e3 * hooked[4] / n_new);
  ms_gpt_set_hooks (gpt, NULL);

  /* The statistics alone on decode-step tensors of that shape, prompt 50: 50 steps × 12
   * layers, and a prefill of 50 queries per row. */
  const int L = f->cfg.num_layers, NH = f->cfg.num_heads, Tmax = len + n_new;
  g_autofree float *att = g_new0 (float, (gsize) B * NH * Tmax);
  for (int i = 0; i < B * NH * Tmax; i++)
    att[i] = ms_test_rng_uniform (&rng);
  g_autoptr (MsBuffer) buf = ms_buffer_new (ms_gpt_device (gpt), (gsize) B * NH * len * len * 4,
                                            &error);
  g_assert_true (ms_buffer_write (ms_gpt_device (gpt), buf, 0, att,
                                  (gsize) B * NH * Tmax * 4, &error));
  double steps[5], prefill[5];
  for (int r = 0; r < 5; r++)
    {
      g_assert_true (ms_attention_stats_reset_lens (acc, B, lens, &error));
      gint64 t0 = g_get_monotonic_time ();
      for (int l = 0; l < L; l++)
        {
          MsGptTensor t = { .buf = buf, .layer = l, .B = B, .NH = NH, .Tq = len, .Tk = len };
          ms_attention_stats_add (acc, &t);
        }
      g_assert_true (ms_device_finish (ms_gpt_device (gpt), &error));
      gint64 t1 = g_get_monotonic_time ();
      for (int st = 0; st < n_new; st++)
        for (int l = 0; l < L; l++)
          {
            MsGptTensor t = { .buf = buf, .layer = l, .B = B, .NH = NH, .Tq = 1,
                              .Tk = len + st + 1, .pos0 = len + st };
            ms_attention_stats_add (acc, &t);
          }
      g_assert_true (ms_device_finish (ms_gpt_device (gpt), &error));
      prefill[r] = (t1 - t0) / 1e3;
      steps[r] = (g_get_monotonic_time () - t1) / 1e3 / n_new;
    }
  qsort (steps, 5, sizeof (double), cmp_dbl);
  qsort (prefill, 5, sizeof (double), cmp_dbl);
  g_test_message ("statistics alone, B=%d, %d layers × %d heads: %.2f ms per decode step "
                  "(min %.2f max %.2f), %.1f ms per prefill of %d (min %.1f max %.1f)", B, L,
                  NH, steps[2], steps[0], steps[4], prefill[2], len, prefill[0], prefill[4]);
  ms_ref_fixture_free (f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/attention/hand", test_hand);
  g_test_add_func ("/attention/random-rows", test_random_rows);
  g_test_add_func ("/attention/chunked", test_chunked);
  g_test_add_func ("/attention/padded-forward", test_padded_forward);
  g_test_add_func ("/attention/generation", test_generation);
  g_test_add_func ("/attention/maps", test_maps);
  g_test_add_func ("/attention/bad-arguments", test_bad_arguments);
  if (g_test_perf ())
    g_test_add_func ("/attention/perf-generation", test_perf_generation);
  return ms_test_run ();
}
