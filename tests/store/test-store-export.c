/* Exports of the results view parsed back: CSV with a separately written RFC 4180 reader (and
 * Python's csv module when /usr/bin/python3 is there), JSON and JSON lines with json-glib,
 * compared with the fixture's own values; texts with commas, quotes, CR/LF and non-ASCII;
 * invalid UTF-8; atomic writes; and the read-only SQL runner refusing writes. */
#include "ms-test.h"
#include "store-fixture.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "common/ms-error.h"

/* ---- An RFC 4180 reader, written for this test ------------------------------------------- */

/* Rows of fields (GPtrArray of GPtrArray of char*). Quoted fields may hold commas, doubled
 * quotes and line breaks; records end with CRLF (a bare LF is accepted too). */
static GPtrArray *
csv_parse (const char *text, gsize len)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  GString *field = g_string_new (NULL);
  gsize i = 0;
  gboolean quoted = FALSE, field_started = FALSE;
  while (i < len)
    {
      char c = text[i];
      if (quoted)
        {
          if (c == '"' && i + 1 < len && text[i + 1] == '"')
            {
              g_string_append_c (field, '"');
              i += 2;
            }
          else if (c == '"')
            {
              quoted = FALSE;
              i++;
            }
          else
            {
              g_string_append_c (field, c);
              i++;
            }
          continue;
        }
      if (c == '"')
        {
          g_assert_false (field_started);  /* a quote only opens a field */
          quoted = TRUE;
          field_started = TRUE;
          i++;
        }
      else if (c == ',')
        {
          g_ptr_array_add (row, g_strdup (field->str));
          g_string_truncate (field, 0);
          field_started = FALSE;
          i++;
        }
      else if (c == '\r' || c == '\n')
        {
          g_ptr_array_add (row, g_strdup (field->str));
          g_string_truncate (field, 0);
          field_started = FALSE;
          g_ptr_array_add (rows, row);
          row = g_ptr_array_new_with_free_func (g_free);
          i += (c == '\r' && i + 1 < len && text[i + 1] == '\n') ? 2 : 1;
        }
      else
        {
          g_string_append_c (field, c);
          field_started = TRUE;
          i++;
        }
    }
  g_assert_false (quoted);
  g_assert_cmpuint (row->len, ==, 0);  /* the file ends with a line break */
  g_assert_cmpuint (field->len, ==, 0);
  g_ptr_array_unref (row);
  g_string_free (field, TRUE);
  return rows;
}

static const char *
cell (GPtrArray *rows, guint r, guint c)
{
  GPtrArray *row = rows->pdata[r];
  g_assert_cmpuint (c, <, row->len);
  return row->pdata[c];
}

static int
column (GPtrArray *rows, const char *name)
{
  GPtrArray *header = rows->pdata[0];
  for (guint c = 0; c < header->len; c++)
    if (strcmp (header->pdata[c], name) == 0)
      return c;
  g_error ("no column %s", name);
}

/* The fixture generation of a row, by its generation id. */
static const FixtureGeneration *
generation_of (const FixtureIds *ids, gint64 generation_id)
{
  for (guint k = 0; k < G_N_ELEMENTS (fixture_generations); k++)
    if (ids->generation_ids[k] == generation_id)
      return &fixture_generations[k];
  g_error ("unknown generation %" G_GINT64_FORMAT, generation_id);
}

static char *
path_in_tmp (const char *name)
{
  char *path = g_build_filename (ms_test_tmpdir (), name, NULL);
  g_unlink (path);
  return path;
}

static void
test_csv (void)
{
  g_autofree char *db = path_in_tmp ("export.sqlite");
  FixtureIds ids;
  fixture_create (db, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open_full (db, MS_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_autofree char *csv = path_in_tmp ("results.csv");
  gsize n = 0;
  g_assert_true (ms_store_export (store, NULL, MS_EXPORT_CSV, MS_EXPORT_TEXTS, csv, &n,
                                  &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 15);

  g_autofree char *text = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (csv, &text, &len, NULL));
  g_assert_true (g_utf8_validate (text, len, NULL));
  g_assert_true (g_str_has_prefix (text, "study,run,run_kind,mixture,seed,task,split,"
                                   "record_id,input_tokens,output_tokens,probe,"
                                   "prompt_tokens,exact,token_match,"));
  g_assert_nonnull (strstr (text, ",generation_id,sample_id,run_id,task_id,input,output,"
                            "reference,generated\r\n"));
  g_autoptr (GPtrArray) rows = csv_parse (text, len);
  g_assert_cmpuint (rows->len, ==, 16);
  guint n_cols = ((GPtrArray *) rows->pdata[0])->len;
  g_assert_cmpuint (n_cols, ==, 30);
  int c_gen = column (rows, "generation_id"), c_run = column (rows, "run");
  int c_rec = column (rows, "record_id"), c_mix = column (rows, "mixture");
  int c_tm = column (rows, "token_match"), c_exact = column (rows, "exact");
  int c_lcs = column (rows, "lcs_chars"), c_rl = column (rows, "rouge_l");
  int c_in = column (rows, "input"), c_out = column (rows, "output");
  int c_ref = column (rows, "reference"), c_text = column (rows, "generated");
  for (guint r = 1; r < rows->len; r++)
    {
      g_assert_cmpuint (((GPtrArray *) rows->pdata[r])->len, ==, n_cols);
      const FixtureGeneration *g = generation_of (&ids, g_ascii_strtoll (cell (rows, r, c_gen),
                                                                        NULL, 10));
      const FixtureSample *s = &fixture_samples[fixture_sample_index (g->task, g->split,
                                                                      g->record_id)];
      g_assert_cmpstr (cell (rows, r, c_run), ==, g->run);
      g_assert_cmpstr (cell (rows, r, c_rec), ==, g->record_id);
      g_assert_cmpstr (cell (rows, r, c_mix), ==,
                       fixture_runs[fixture_run_index (g->run)].mixture ? "equal" : "");
      g_assert_cmpfloat (g_ascii_strtod (cell (rows, r, c_tm), NULL), ==, g->scores.token_match);
      g_assert_cmpfloat (g_ascii_strtod (cell (rows, r, c_rl), NULL), ==, g->scores.rouge_l);
      g_assert_cmpstr (cell (rows, r, c_exact), ==, g->scores.exact ? "1" : "0");
      g_assert_cmpint (g_ascii_strtoll (cell (rows, r, c_lcs), NULL, 10), ==,
                       g->scores.lcs_chars);
      g_assert_cmpstr (cell (rows, r, c_in), ==, s->input);
      g_assert_cmpstr (cell (rows, r, c_out), ==, s->output);
      g_assert_cmpstr (cell (rows, r, c_ref), ==, g->reference);
      g_assert_cmpstr (cell (rows, r, c_text), ==, g->text);
    }
  /* REAL columns keep a decimal point; the shortest text that reads back. */
  g_assert_nonnull (strstr (text, ",1.0,"));
  g_assert_nonnull (strstr (text, ",0.625,"));

  /* Python's csv module reads the same cells. */
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      const char *argv[] = { "/usr/bin/python3", "-c",
        "import csv, json, sys\n"
        "rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8', "
        "errors='strict')))\n"
        "sys.stdout.write(json.dumps(rows))\n", csv, NULL };
      g_autofree char *out = NULL;
      int status = 0;
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_autoptr (JsonParser) p = json_parser_new ();
      g_assert_true (json_parser_load_from_data (p, out, -1, &error));
      JsonArray *py = json_node_get_array (json_parser_get_root (p));
      g_assert_cmpuint (json_array_get_length (py), ==, rows->len);
      for (guint r = 0; r < rows->len; r++)
        {
          JsonArray *pr = json_array_get_array_element (py, r);
          g_assert_cmpuint (json_array_get_length (pr), ==, n_cols);
          for (guint c = 0; c < n_cols; c++)
            g_assert_cmpstr (json_array_get_string_element (pr, c), ==, cell (rows, r, c));
        }
    }
  else
    g_test_message ("no /usr/bin/python3: CSV checked with the test's own reader only");

  /* Filters, and the view's columns only. */
  g_autofree char *csv2 = path_in_tmp ("heldout.csv");
  MsStoreFilter f = { .study = "demo", .split = "heldout" };
  g_assert_true (ms_store_export (store, &f, MS_EXPORT_CSV, 0, csv2, &n, &error));
  g_assert_cmpuint (n, ==, 2);
  g_autofree char *text2 = NULL;
  g_assert_true (g_file_get_contents (csv2, &text2, &len, NULL));
  g_autoptr (GPtrArray) rows2 = csv_parse (text2, len);
  g_assert_cmpuint (rows2->len, ==, 3);
  g_assert_cmpuint (((GPtrArray *) rows2->pdata[0])->len, ==, 26);
  g_assert_cmpstr (cell (rows2, 1, column (rows2, "record_id")), ==, "h1");
  g_assert_cmpstr (cell (rows2, 2, column (rows2, "record_id")), ==, "h2");
}

static void
check_json_object (JsonObject *o, const FixtureIds *ids)
{
  const FixtureGeneration *g = generation_of (ids, json_object_get_int_member (o,
                                                                          "generation_id"));
  const FixtureSample *s = &fixture_samples[fixture_sample_index (g->task, g->split,
                                                                  g->record_id)];
  g_assert_cmpuint (json_object_get_size (o), ==, 30);
  g_assert_cmpstr (json_object_get_string_member (o, "study"), ==, "demo");
  g_assert_cmpstr (json_object_get_string_member (o, "run"), ==, g->run);
  g_assert_cmpstr (json_object_get_string_member (o, "record_id"), ==, g->record_id);
  JsonNode *mix = json_object_get_member (o, "mixture");
  if (fixture_runs[fixture_run_index (g->run)].mixture == NULL)
    g_assert_true (JSON_NODE_HOLDS_NULL (mix));
  /* Integers stay integers, REALs stay doubles (1.0, not 1). */
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (o, "exact")), ==,
                   G_TYPE_INT64);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (o, "token_match")), ==,
                   G_TYPE_DOUBLE);
  g_assert_cmpint (json_object_get_int_member (o, "exact"), ==, g->scores.exact);
  g_assert_cmpint (json_object_get_int_member (o, "idea"), ==, g->scores.idea);
  g_assert_cmpint (json_object_get_int_member (o, "lcs_chars"), ==, g->scores.lcs_chars);
  g_assert_cmpint (json_object_get_int_member (o, "input_tokens"), ==, s->input_tokens);
  g_assert_cmpfloat (json_object_get_double_member (o, "token_match"), ==,
                     g->scores.token_match);
  g_assert_cmpfloat (json_object_get_double_member (o, "bleu"), ==, g->scores.bleu);
  g_assert_cmpstr (json_object_get_string_member (o, "input"), ==, s->input);
  g_assert_cmpstr (json_object_get_string_member (o, "reference"), ==, g->reference);
  g_assert_cmpstr (json_object_get_string_member (o, "generated"), ==, g->text);
}

static void
test_json (void)
{
  g_autofree char *db = path_in_tmp ("export-json.sqlite");
  FixtureIds ids;
  fixture_create (db, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (db, &error);
  g_assert_no_error (error);

  g_autofree char *json = path_in_tmp ("results.json");
  gsize n = 0;
  g_assert_true (ms_store_export (store, NULL, MS_EXPORT_JSON, MS_EXPORT_TEXTS, json, &n,
                                  &error));
  g_assert_cmpuint (n, ==, 15);
  g_autoptr (JsonParser) p = json_parser_new ();
  g_assert_true (json_parser_load_from_file (p, json, &error));
  g_assert_no_error (error);
  JsonArray *arr = json_node_get_array (json_parser_get_root (p));
  g_assert_cmpuint (json_array_get_length (arr), ==, 15);
  for (guint i = 0; i < 15; i++)
    check_json_object (json_array_get_object_element (arr, i), &ids);

  g_autofree char *jsonl = path_in_tmp ("results.jsonl");
  g_assert_true (ms_store_export (store, NULL, MS_EXPORT_JSON_LINES, MS_EXPORT_TEXTS, jsonl,
                                  &n, &error));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (jsonl, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 16);  /* 15 lines and the empty end */
  g_assert_cmpstr (lines[15], ==, "");
  for (guint i = 0; i < 15; i++)
    {
      g_autoptr (JsonParser) lp = json_parser_new ();
      g_assert_true (json_parser_load_from_data (lp, lines[i], -1, &error));
      check_json_object (json_node_get_object (json_parser_get_root (lp)), &ids);
    }

  /* No rows: an empty array, a header-only CSV. */
  MsStoreFilter none = { .run = "nothing" };
  g_assert_true (ms_store_export (store, &none, MS_EXPORT_JSON, 0, json, &n, &error));
  g_assert_cmpuint (n, ==, 0);
  g_autofree char *empty = NULL;
  g_assert_true (g_file_get_contents (json, &empty, NULL, NULL));
  g_assert_cmpstr (empty, ==, "[]\n");

  /* Generated text need not be valid UTF-8 (a token cut inside a character): exports
   * replace the bad bytes with U+FFFD. */
  gint32 tok = 7;
  MsStoreGenerationDef g = { ids.run_ids[2], ids.sample_ids[0], "target", 3, "ok", &tok, 1,
                             "bad \xe4\xb8 end", &tok, 1, { 0 } };
  g_assert_cmpint (ms_store_add_generation (store, &g, &error), >, 0);
  MsStoreFilter mix = { .run = "mix/equal/s1" };
  g_assert_true (ms_store_export (store, &mix, MS_EXPORT_JSON, MS_EXPORT_TEXTS, json, &n,
                                  &error));
  g_autoptr (JsonParser) bp = json_parser_new ();
  g_assert_true (json_parser_load_from_file (bp, json, &error));
  g_assert_no_error (error);
  JsonObject *o = json_array_get_object_element (json_node_get_array (json_parser_get_root (bp)),
                                                 0);
  const char *fixed = json_object_get_string_member (o, "generated");
  g_assert_true (g_str_has_prefix (fixed, "bad \xef\xbf\xbd") && g_str_has_suffix (fixed, " end"));
  g_assert_null (strchr (fixed, '\xe4'));
}

static void
test_atomic (void)
{
  g_autofree char *db = path_in_tmp ("export-atomic.sqlite");
  FixtureIds ids;
  fixture_create (db, &ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open_full (db, MS_STORE_OPEN_READ_ONLY, &error);

  /* A failed export leaves the old file whole. */
  g_autofree char *out = path_in_tmp ("keep.csv");
  g_assert_true (g_file_set_contents (out, "old contents\n", -1, NULL));
  g_assert_false (ms_store_query_export (store, "SELECT 1/0.0, abs(-9223372036854775808)",
                                         MS_EXPORT_CSV, out, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_autofree char *kept = NULL;
  g_assert_true (g_file_get_contents (out, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "old contents\n");
  g_autoptr (GDir) dir = g_dir_open (ms_test_tmpdir (), 0, NULL);
  for (const char *name; (name = g_dir_read_name (dir));)
    g_assert_false (g_str_has_prefix (name, ".keep.csv.tmp"));

  /* A folder that cannot be made. */
  g_autofree char *blocked = g_build_filename (db, "sub", "x.csv", NULL);
  g_assert_false (ms_store_export (store, NULL, MS_EXPORT_CSV, 0, blocked, NULL, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_IO);
  g_clear_error (&error);

  /* Query export of computed values: NULL, text, blob, integer and double. */
  g_assert_true (ms_store_query_export (store,
    "SELECT NULL AS a, 'x,\"y\"' AS b, x'00ff' AS c, 7 AS d, 0.1 + 0.2 AS e, 1e300 * 1e300 AS f",
    MS_EXPORT_CSV, out, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (out, &csv, NULL, NULL));
  g_assert_cmpstr (csv, ==,
                   "a,b,c,d,e,f\r\n,\"x,\"\"y\"\"\",x'00ff',7,0.30000000000000004,inf\r\n");
  g_assert_true (ms_store_query_export (store,
    "SELECT NULL AS a, 'tab\there' AS b, 2.5 AS c, 1e300 * 1e300 AS f", MS_EXPORT_JSON_LINES,
    out, NULL, &error));
  g_autofree char *jl = NULL;
  g_assert_true (g_file_get_contents (out, &jl, NULL, NULL));
  g_assert_cmpstr (jl, ==, "{\"a\":null,\"b\":\"tab\\there\",\"c\":2.5,\"f\":null}\n");
}

static void
test_query (void)
{
  g_autofree char *db = path_in_tmp ("query.sqlite");
  FixtureIds ids;
  fixture_create (db, &ids);
  g_autoptr (GError) error = NULL;
  /* Opened read-write on purpose: the refusals must not depend on a read-only file. */
  g_autoptr (MsStore) store = ms_store_open (db, &error);
  g_assert_no_error (error);

  g_autoptr (MsStoreTable) t = ms_store_query (store,
    "SELECT run, count(*) AS n, avg(verbatim) AS v, NULL AS nil FROM results "
    "GROUP BY run ORDER BY run;", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_columns, ==, 4);
  g_assert_cmpuint (t->n_rows, ==, 2);
  g_assert_cmpstr (t->columns[1], ==, "n");
  g_assert_false (t->numeric[0]);
  g_assert_true (t->numeric[1] && t->numeric[2] && t->numeric[3]);
  g_assert_cmpstr (t->cells[0], ==, "base");
  g_assert_cmpstr (t->cells[1], ==, "7");
  g_assert_cmpstr (t->cells[2], ==, "0.0");
  g_assert_null (t->cells[3]);
  g_assert_cmpstr (t->cells[4], ==, "single/summarization/s1");
  g_assert_cmpstr (t->cells[5], ==, "8");
  g_assert_cmpstr (t->cells[6], ==, "0.5");  /* 4 of 8 verbatim */

  static const char *const refused[] = {
    "DELETE FROM runs",
    "UPDATE scores SET exact = 1",
    "INSERT INTO meta VALUES ('x', 'y')",
    "DROP TABLE generations",
    "CREATE TABLE t (x)",
    "SELECT 1; DELETE FROM runs",
    "ATTACH DATABASE 'other.sqlite' AS o",
    "PRAGMA foreign_keys = OFF",
    "PRAGMA journal_mode = DELETE",
    "BEGIN",
    "VACUUM",
    "",
    "   -- only a comment",
  };
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_assert_null (ms_store_query (store, refused[i], &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, db));
      if (i < 11)  /* the statements, not the empty ones */
        g_assert_nonnull (strstr (error->message, "is refused"));
      g_test_message ("%s -> %s", refused[i], error->message);
      g_clear_error (&error);
    }
  g_assert_null (ms_store_query (store, "SELEKT 1", &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (ms_store_query_export (store, "DELETE FROM runs", MS_EXPORT_CSV, "-", NULL,
                                         &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  /* Nothing changed, and the connection still writes normally (no authorizer left over). */
  g_autoptr (MsStoreTable) c = ms_store_query (store,
    "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM generations)", &error);
  g_assert_cmpstr (c->cells[0], ==, "3");
  g_assert_cmpstr (c->cells[1], ==, "15");
  g_assert_cmpuint (ms_store_transaction_depth (store), ==, 0);
  g_assert_true (ms_store_set_run_status (store, ids.run_ids[2], MS_RUN_PENDING, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (MsStoreTable) pragma = ms_store_query (store, "PRAGMA foreign_keys", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pragma->cells[0], ==, "1");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/export/csv", test_csv);
  g_test_add_func ("/store/export/json", test_json);
  g_test_add_func ("/store/export/atomic", test_atomic);
  g_test_add_func ("/store/query", test_query);
  return ms_test_run ();
}
