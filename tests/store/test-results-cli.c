/* `memscope results` (the built program, $MS_BUILD_ROOT/cli/memscope) on a store holding the
 * fixture study: the listings, --rates against the hand-computed groups, JSON, exports, SQL,
 * and its exit codes and messages on a missing store, an unknown study and a write in --sql. */
#include "ms-test.h"
#include "store-fixture.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

typedef struct {
  int status;
  char *out, *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

/* Runs memscope results ARGS... (NULL-terminated) in the temporary folder, with
 * MEMSCOPE_STORE set to STORE_ENV (NULL: unset). */
static Run
results (const char *store_env, ...)
{
  g_autofree char *exe = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "cli", "memscope", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, exe);
  g_ptr_array_add (argv, "results");
  va_list ap;
  va_start (ap, store_env);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (l, ms_test_tmpdir ());
  if (store_env)
    g_subprocess_launcher_setenv (l, "MEMSCOPE_STORE", store_env, TRUE);
  else
    g_subprocess_launcher_unsetenv (l, "MEMSCOPE_STORE");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_launcher_spawnv (l,
    (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  Run r = { 0 };
  g_subprocess_communicate_utf8 (p, NULL, NULL, &r.out, &r.err, &error);
  g_assert_no_error (error);
  r.status = g_subprocess_get_exit_status (p);
  g_test_message ("exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
  return r;
}

static char *store_path;

/* The whitespace-separated fields of the line of TEXT that starts with PREFIX... fields. */
static char **
line_fields (const char *text, const char *const *first)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char **f = g_strsplit_set (*l, " ", -1);
      /* drop empty fields (runs of spaces) */
      guint n = 0;
      for (guint i = 0; f[i]; i++)
        if (*f[i])
          f[n++] = f[i];
        else
          g_free (f[i]);
      f[n] = NULL;
      gboolean match = TRUE;
      for (guint i = 0; first[i] && match; i++)
        match = f[i] && strcmp (f[i], first[i]) == 0;
      if (match)
        return f;
      g_strfreev (f);
    }
  return NULL;
}

static void
test_listing (void)
{
  Run r = results (NULL, "--store", store_path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  static const char *const header[] = { "study", "done/runs", "failed", "tasks",
                                        "generations", "updated", NULL };
  g_auto (GStrv) h = line_fields (r.out, header);
  g_assert_nonnull (h);
  static const char *const demo[] = { "demo", NULL };
  g_auto (GStrv) d = line_fields (r.out, demo);
  g_assert_nonnull (d);
  g_assert_cmpstr (d[1], ==, "2/3");
  g_assert_cmpstr (d[2], ==, "1");
  g_assert_cmpstr (d[3], ==, "2");
  g_assert_cmpstr (d[4], ==, "15");
  g_assert_true (g_str_has_suffix (d[5], "Z"));
  run_clear (&r);

  /* $MEMSCOPE_STORE names the default store. */
  r = results (store_path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "demo"));
  run_clear (&r);

  r = results (NULL, "--store", store_path, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, r.out, -1, NULL));
  JsonArray *a = json_node_get_array (json_parser_get_root (p));
  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  JsonObject *o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "demo");
  g_assert_cmpint (json_object_get_int_member (o, "runs"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "done"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "generations"), ==, 15);
  run_clear (&r);
}

static void
test_study (void)
{
  Run r = results (NULL, "--store", store_path, "demo", NULL);
  g_assert_cmpint (r.status, ==, 0);
  static const char *const single[] = { "single/summarization/s1", NULL };
  g_auto (GStrv) s = line_fields (r.out, single);
  g_assert_nonnull (s);
  /* name kind seed status tokens time loss generations */
  g_assert_cmpstr (s[1], ==, "single");
  g_assert_cmpstr (s[2], ==, "1");
  g_assert_cmpstr (s[3], ==, "done");
  g_assert_cmpstr (s[4], ==, "12345");
  g_assert_cmpstr (s[5], ==, "1m16s");   /* 75.5 s */
  g_assert_cmpstr (s[6], ==, "2.2500");
  g_assert_cmpstr (s[7], ==, "8");
  static const char *const mix[] = { "mix/equal/s1", "mixture", "(equal)", "1", "failed", NULL };
  g_auto (GStrv) m = line_fields (r.out, mix);
  g_assert_nonnull (m);
  static const char *const task[] = { "summarization", "4", "2", "4", "2", NULL };
  g_auto (GStrv) t = line_fields (r.out, task);
  g_assert_nonnull (t);
  static const char *const task2[] = { "sentiment", "3", "0", "3", "0", NULL };
  g_auto (GStrv) t2 = line_fields (r.out, task2);
  g_assert_nonnull (t2);
  g_assert_nonnull (strstr (r.out, "mix/equal/s1: out of device memory"));
  run_clear (&r);

  r = results (NULL, "--json", "demo", "--store", store_path, NULL);  /* not a file name */
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, r.out, -1, NULL));
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  g_assert_cmpstr (json_object_get_string_member (o, "study"), ==, "demo");
  JsonArray *runs = json_object_get_array_member (o, "runs");
  g_assert_cmpuint (json_array_get_length (runs), ==, 3);
  JsonObject *r1 = json_array_get_object_element (runs, 1);
  g_assert_cmpfloat (json_object_get_double_member (r1, "final_loss"), ==, 2.25);
  g_assert_cmpint (json_object_get_int_member (r1, "train_tokens"), ==, 12345);
  g_assert_true (json_object_get_null_member (json_array_get_object_element (runs, 0),
                                              "final_loss"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "tasks")), ==, 2);
  run_clear (&r);
  g_autofree char *stray = g_build_filename (ms_test_tmpdir (), "demo", NULL);
  g_assert_false (g_file_test (stray, G_FILE_TEST_EXISTS));
}

static void
test_rates (void)
{
  Run r = results (NULL, "--store", store_path, "demo", "--rates", NULL);
  g_assert_cmpint (r.status, ==, 0);
  static const char *const header[] = { "run", "task", "split", "probe", "n", "exact",
                                        "verbatim", "paraphrase", "idea", "token_match",
                                        "rouge_l", NULL };
  g_auto (GStrv) h = line_fields (r.out, header);
  g_assert_nonnull (h);
  guint n_lines = 0;
  for (const char *c = r.out; *c; c++)
    n_lines += *c == '\n';
  g_assert_cmpuint (n_lines, ==, 1 + G_N_ELEMENTS (fixture_groups));
  for (guint i = 0; i < G_N_ELEMENTS (fixture_groups); i++)
    {
      const FixtureGroup *g = &fixture_groups[i];
      const char *key[] = { g->run, g->task, g->split, g->probe, NULL };
      g_auto (GStrv) f = line_fields (r.out, key);
      g_assert_nonnull (f);
      g_assert_cmpint (g_ascii_strtoll (f[4], NULL, 10), ==, g->n);
      const double want[] = { (double) g->n_exact / g->n, (double) g->n_verbatim / g->n,
                              (double) g->n_paraphrase / g->n, (double) g->n_idea / g->n,
                              g->mean_token_match, g->mean_rouge_l };
      for (guint k = 0; k < G_N_ELEMENTS (want); k++)
        g_assert_cmpfloat_with_epsilon (g_ascii_strtod (f[5 + k], NULL), want[k], 0.0005);
    }
  run_clear (&r);

  /* Filters and JSON. */
  r = results (NULL, "--store", store_path, "demo", "--rates", "--split", "heldout", "--json",
               NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, r.out, -1, NULL));
  JsonArray *a = json_node_get_array (json_parser_get_root (p));
  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  JsonObject *o = json_array_get_object_element (a, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "run"), ==, "single/summarization/s1");
  g_assert_cmpint (json_object_get_int_member (o, "n"), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (o, "paraphrase"), ==, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (o, "rouge_l"), ==, 0.375);
  run_clear (&r);
}

static void
test_sql_and_exports (void)
{
  Run r = results (NULL, "--store", store_path, "--sql",
                   "SELECT run, count(*) AS n FROM results GROUP BY run ORDER BY run", NULL);
  g_assert_cmpint (r.status, ==, 0);
  static const char *const base[] = { "base", "7", NULL };
  g_auto (GStrv) b = line_fields (r.out, base);
  g_assert_nonnull (b);
  static const char *const single[] = { "single/summarization/s1", "8", NULL };
  g_auto (GStrv) s = line_fields (r.out, single);
  g_assert_nonnull (s);
  run_clear (&r);

  r = results (NULL, "--store", store_path, "--sql", "DELETE FROM generations", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "memscope results: "));
  g_assert_nonnull (strstr (r.err, "read-only"));
  run_clear (&r);
  r = results (NULL, "--store", store_path, "--sql", "SELECT count(*) FROM generations", NULL);
  g_assert_nonnull (strstr (r.out, "15"));
  run_clear (&r);

  g_autofree char *csv = g_build_filename (ms_test_tmpdir (), "cli.csv", NULL);
  r = results (NULL, "--store", store_path, "demo", "--csv", csv, "--probe", "input",
               "--texts", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "2 rows"));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "study,run,"));
  g_assert_nonnull (strstr (text, ",input,output,reference,generated\r\n"));
  g_assert_nonnull (strstr (text, "\"newlines\r\nboth\""));
  run_clear (&r);

  /* --json FILE exports; .jsonl gives one object per line. */
  r = results (NULL, "--store", store_path, "--json", "rows.jsonl", "--run", "base", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autofree char *jl_path = g_build_filename (ms_test_tmpdir (), "rows.jsonl", NULL);
  g_autofree char *jl = NULL;
  g_assert_true (g_file_get_contents (jl_path, &jl, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (jl, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 8);
  g_assert_true (g_str_has_prefix (lines[0], "{\"study\":\"demo\",\"run\":\"base\""));
  run_clear (&r);
}

static void
test_errors (void)
{
  /* A missing store: exit 1, how to make one, and no file created. */
  Run r = results (NULL, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "memscope.sqlite: no results store there"));
  g_assert_nonnull (strstr (r.err, "memscope study"));
  g_autofree char *made = g_build_filename (ms_test_tmpdir (), "memscope.sqlite", NULL);
  g_assert_false (g_file_test (made, G_FILE_TEST_EXISTS));
  run_clear (&r);

  r = results (NULL, "--store", store_path, "nostudy", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "no study 'nostudy'"));
  g_assert_nonnull (strstr (r.err, "studies: demo"));
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);

  g_autofree char *bad = g_build_filename (ms_test_tmpdir (), "bad.sqlite", NULL);
  g_assert_true (g_file_set_contents (bad, "not a database\n", -1, NULL));
  r = results (NULL, "--store", bad, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "not an SQLite database"));
  run_clear (&r);

  r = results (NULL, "--store", store_path, "--split", "test", "--rates", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = results (NULL, "--store", store_path, "a", "b", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = results (NULL, "--bogus", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);
  r = results (NULL, "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Examples:"));
  run_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  store_path = g_build_filename (ms_test_tmpdir (), "cli-store.sqlite", NULL);
  FixtureIds ids;
  fixture_create (store_path, &ids);
  g_test_add_func ("/store/cli/listing", test_listing);
  g_test_add_func ("/store/cli/study", test_study);
  g_test_add_func ("/store/cli/rates", test_rates);
  g_test_add_func ("/store/cli/sql-and-exports", test_sql_and_exports);
  g_test_add_func ("/store/cli/errors", test_errors);
  int status = ms_test_run ();
  g_free (store_path);
  return status;
}
