/* Generation: greedy tokens equal PyTorch's greedy continuation, the same with and without the
 * KV cache, batched rows equal rows generated alone, stop tokens, seeded sampling. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "gpt-reference.h"
#include "model/ms-generate.h"
#include "ms-test.h"

typedef struct {
  int n;
  int *lens;
  int **prompts;
  int **want;   /* n_new greedy tokens per prompt, from PyTorch */
  int n_new;
} Cases;

static Cases *
load_cases (void)
{
  g_autofree char *path = ms_test_fixture ("model/small.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonArray *arr = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "greedy");
  Cases *c = g_new0 (Cases, 1);
  c->n = json_array_get_length (arr);
  c->lens = g_new (int, c->n);
  c->prompts = g_new (int *, c->n);
  c->want = g_new (int *, c->n);
  for (int i = 0; i < c->n; i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      JsonArray *p = json_object_get_array_member (o, "prompt");
      JsonArray *w = json_object_get_array_member (o, "tokens");
      c->lens[i] = json_array_get_length (p);
      c->n_new = json_array_get_length (w);
      c->prompts[i] = g_new (int, c->lens[i]);
      c->want[i] = g_new (int, c->n_new);
      for (int j = 0; j < c->lens[i]; j++)
        c->prompts[i][j] = json_array_get_int_element (p, j);
      for (int j = 0; j < c->n_new; j++)
        c->want[i][j] = json_array_get_int_element (w, j);
    }
  return c;
}

static void
cases_free (Cases *c)
{
  for (int i = 0; i < c->n; i++)
    {
      g_free (c->prompts[i]);
      g_free (c->want[i]);
    }
  g_free (c->prompts);
  g_free (c->want);
  g_free (c->lens);
  g_free (c);
}

static MsGpt *
small_model (MsBlas *blas)
{
  MsRefFixture *f = ms_ref_fixture_load ("small");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  MsGpt *gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  g_assert_no_error (error);
  ms_ref_fixture_free (f);
  return gpt;
}

static void
check_greedy (gboolean no_cache, MsBlasKind kind)
{
  g_autoptr (MsBlas) blas = ms_test_blas (kind);
  if (blas == NULL)
    return;
  g_autoptr (MsGpt) gpt = small_model (blas);
  Cases *c = load_cases ();
  MsGenerateOptions opt = { .max_new_tokens = c->n_new, .no_cache = no_cache };
  g_autofree int *out = g_new (int, c->n * c->n_new);
  g_autofree int *out_lens = g_new (int, c->n);
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_gpt_generate (gpt, c->n, (const int *const *) c->prompts, c->lens, &opt, out,
                                  out_lens, &error));
  g_assert_no_error (error);
  for (int i = 0; i < c->n; i++)
    {
      g_assert_cmpint (out_lens[i], ==, c->n_new);
      g_assert_cmpmem (out + i * c->n_new, c->n_new * sizeof (int), c->want[i],
                       c->n_new * sizeof (int));
    }
  /* Each row alone gives the same tokens as in the batch. */
  for (int i = 0; i < c->n; i++)
    {
      int one[64], one_len;
      const int *prompt[] = { c->prompts[i] };
      g_assert_true (ms_gpt_generate (gpt, 1, prompt, &c->lens[i], &opt, one, &one_len, &error));
      g_assert_cmpmem (one, one_len * sizeof (int), c->want[i], c->n_new * sizeof (int));
    }
  cases_free (c);
}

static void test_greedy_cache_host (void) { check_greedy (FALSE, MS_BLAS_HOST); }
static void test_greedy_nocache_host (void) { check_greedy (TRUE, MS_BLAS_HOST); }
static void test_greedy_cache_clblast (void) { check_greedy (FALSE, MS_BLAS_CLBLAST); }
static void test_greedy_nocache_clblast (void) { check_greedy (TRUE, MS_BLAS_CLBLAST); }

/* The 124M-class default shape: cache and no cache agree over 40 tokens for 6 prompts. */
static void
test_cache_equals_no_cache_default (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  MsRefFixture *f = ms_ref_fixture_load ("default");
  g_autofree float *params = ms_ref_params (&f->cfg, f->seed);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsGpt) gpt = ms_gpt_new (blas, &f->cfg, params, &error);
  const int n = 6, n_new = 40;
  int lens[6] = { 3, 17, 30, 1, 64, 8 };
  const int *prompts[6];
  for (int i = 0; i < n; i++)
    prompts[i] = f->tokens + 7 * i;
  int a[6 * 40], b[6 * 40], la[6], lb[6];
  MsGenerateOptions opt = { .max_new_tokens = n_new };
  g_assert_true (ms_gpt_generate (gpt, n, prompts, lens, &opt, a, la, &error));
  opt.no_cache = TRUE;
  g_assert_true (ms_gpt_generate (gpt, n, prompts, lens, &opt, b, lb, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (la, sizeof la, lb, sizeof lb);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  ms_ref_fixture_free (f);
}

static void
test_stop_tokens (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = small_model (blas);
  Cases *c = load_cases ();
  /* Stop on the first greedy token of prompt 0 that differs from its first one. */
  int stop = -1, at = -1;
  for (int j = 1; j < c->n_new && stop < 0; j++)
    if (c->want[0][j] != c->want[0][0])
      stop = c->want[0][j], at = j;
  g_assert_cmpint (stop, >=, 0);
  MsGenerateOptions opt = { .max_new_tokens = c->n_new, .stop_tokens = &stop, .n_stop_tokens = 1 };
  g_autofree int *out = g_new (int, c->n * c->n_new);
  g_autofree int *lens = g_new (int, c->n);
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_gpt_generate (gpt, c->n, (const int *const *) c->prompts, c->lens, &opt, out,
                                  lens, &error));
  g_assert_cmpint (lens[0], ==, at);
  g_assert_cmpmem (out, at * sizeof (int), c->want[0], at * sizeof (int));
  for (int i = 1; i < c->n; i++)
    {
      int expect = c->n_new;
      for (int j = 0; j < c->n_new; j++)
        if (c->want[i][j] == stop)
          {
            expect = j;
            break;
          }
      g_assert_cmpint (lens[i], ==, expect);
    }
  cases_free (c);
}

static void
test_sampling (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = small_model (blas);
  Cases *c = load_cases ();
  int n_new = c->n_new;
  g_autofree int *a = g_new (int, c->n * n_new), *b = g_new (int, c->n * n_new);
  g_autofree int *la = g_new (int, c->n), *lb = g_new (int, c->n);
  g_autoptr (GError) error = NULL;
  const int *const *prompts = (const int *const *) c->prompts;
  /* top-k 1 is greedy whatever the temperature. */
  MsGenerateOptions opt = { .max_new_tokens = n_new, .temperature = 1.5f, .top_k = 1, .seed = 9 };
  g_assert_true (ms_gpt_generate (gpt, c->n, prompts, c->lens, &opt, a, la, &error));
  for (int i = 0; i < c->n; i++)
    g_assert_cmpmem (a + i * n_new, n_new * sizeof (int), c->want[i], n_new * sizeof (int));
  /* Same seed, same tokens; another seed, other tokens (at a high temperature). */
  opt.top_k = 0;
  opt.temperature = 2.0f;
  g_assert_true (ms_gpt_generate (gpt, c->n, prompts, c->lens, &opt, a, la, &error));
  g_assert_true (ms_gpt_generate (gpt, c->n, prompts, c->lens, &opt, b, lb, &error));
  g_assert_cmpmem (a, c->n * n_new * sizeof (int), b, c->n * n_new * sizeof (int));
  opt.seed = 10;
  g_assert_true (ms_gpt_generate (gpt, c->n, prompts, c->lens, &opt, b, lb, &error));
  g_assert_true (memcmp (a, b, c->n * n_new * sizeof (int)) != 0);
  /* Top-k 5 never leaves the five best tokens of the first step: check via greedy's first
   * token being among them is weak, so check the set size instead over many seeds. */
  GHashTable *seen = g_hash_table_new (NULL, NULL);
  opt.top_k = 5;
  opt.max_new_tokens = 1;
  for (int s = 0; s < 200; s++)
    {
      opt.seed = s;
      int one, one_len;
      g_assert_true (ms_gpt_generate (gpt, 1, prompts, c->lens, &opt, &one, &one_len, &error));
      g_hash_table_add (seen, GINT_TO_POINTER (one));
    }
  g_assert_cmpuint (g_hash_table_size (seen), <=, 5);
  g_assert_cmpuint (g_hash_table_size (seen), >=, 2);
  g_hash_table_unref (seen);
  cases_free (c);
}

static void
test_too_long (void)
{
  g_autoptr (MsBlas) blas = ms_test_blas (MS_BLAS_AUTO);
  g_autoptr (MsGpt) gpt = small_model (blas);
  int prompt[60] = { 0 }, out[10], len;
  const int *prompts[] = { prompt };
  int lens[] = { 60 };
  MsGenerateOptions opt = { .max_new_tokens = 10 };
  g_autoptr (GError) error = NULL;
  g_assert_false (ms_gpt_generate (gpt, 1, prompts, lens, &opt, out, &len, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/generate/greedy/cache/host", test_greedy_cache_host);
  g_test_add_func ("/generate/greedy/no-cache/host", test_greedy_nocache_host);
  g_test_add_func ("/generate/greedy/cache/clblast", test_greedy_cache_clblast);
  g_test_add_func ("/generate/greedy/no-cache/clblast", test_greedy_nocache_clblast);
  g_test_add_func ("/generate/cache-equals-no-cache", test_cache_equals_no_cache_default);
  g_test_add_func ("/generate/stop-tokens", test_stop_tokens);
  g_test_add_func ("/generate/sampling", test_sampling);
  g_test_add_func ("/generate/too-long", test_too_long);
  return ms_test_run ();
}
