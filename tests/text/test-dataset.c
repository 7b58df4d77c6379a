/* Task datasets and prompt templates: the committed fixture loads with the fields written out
 * by hand here; every malformed file is refused naming FILE:LINE; tokenized examples equal, id
 * for id and span for span, those of gpt-3-encoder (tests/fixtures/dataset/make-fixtures.js),
 * and each span decodes back to the record's text. */
#include "ms-test.h"
#include "text-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "common/ms-error.h"
#include "text/ms-dataset.h"

static char *
fixture_path (void)
{
  return ms_test_fixture ("dataset/tiny.jsonl");
}

/* The records of tiny.jsonl, written out by hand from the file. */
static const struct { const char *id, *input, *output; guint line; } tiny[] = {
  { "t0", "The cat sat on the mat.", "A cat sat.", 1 },
  { "t1", "Gr\xC3\xBC\xC3\x9F" "e aus K\xC3\xB6ln \xE2\x80\x94 \xE4\xBD\xA0\xE5\xA5\xBD!",
    "Greetings from Cologne.", 3 },
  { "t2", "line one\nline two\ttab \"quoted\"", "two lines", 4 },
  { "t3", "emoji \xF0\x9F\x98\x80 here", "", 5 },
  { "t4", "  leading spaces", " 12345 numbers's", 6 },
};

static void
test_load (void)
{
  g_autofree char *path = fixture_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MsTaskData) data = ms_task_data_load ("tiny", path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (data->name, ==, "tiny");
  g_assert_cmpstr (data->path, ==, path);
  g_assert_cmpuint (data->records->len, ==, G_N_ELEMENTS (tiny));
  for (guint i = 0; i < G_N_ELEMENTS (tiny); i++)
    {
      const MsRecord *r = g_ptr_array_index (data->records, i);
      g_assert_cmpstr (r->task, ==, "tiny");
      g_assert_cmpstr (r->id, ==, tiny[i].id);
      g_assert_cmpstr (r->input, ==, tiny[i].input);
      g_assert_cmpstr (r->output, ==, tiny[i].output);
      g_assert_cmpuint (r->line, ==, tiny[i].line);
    }
  /* sha256sum tests/fixtures/dataset/tiny.jsonl */
  g_assert_cmpstr (data->sha256, ==,
                   "f4192ce64a6e24f39b81d13f74300b17f0d80a9cdb13d9565c234458e1771397");
}

static char *
write_tmp (const char *name, const char *content, gssize len)
{
  text_test_write (ms_test_tmpdir (), name, content, len);
  return g_build_filename (ms_test_tmpdir (), name, NULL);
}

#define GOOD(id) "{\"task\": \"t\", \"input\": \"in\", \"output\": \"out\", \"id\": \"" id "\"}\n"

static void
test_accepted (void)
{
  g_autoptr (GError) error = NULL;
  /* A byte order mark, one record, no newline at the end, blank lines of spaces before. */
  g_autofree char *bom = write_tmp ("bom.jsonl", "\xEF\xBB\xBF" "  \n\t\r\n" GOOD ("a")
                                    "{\"task\":\"t\",\"input\":\"\",\"output\":\"o\",\"id\":\"b\"}",
                                    -1);
  g_autoptr (MsTaskData) data = ms_task_data_load ("t", bom, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (data->records->len, ==, 2);
  const MsRecord *r0 = g_ptr_array_index (data->records, 0);
  const MsRecord *r1 = g_ptr_array_index (data->records, 1);
  g_assert_cmpuint (r0->line, ==, 3);
  g_assert_cmpstr (r0->output, ==, "out");
  g_assert_cmpuint (r1->line, ==, 4);
  g_assert_cmpstr (r1->input, ==, "");
}

typedef struct {
  const char *name;
  const char *content;
  gssize len;             /* -1: strlen */
  guint line;
  const char *what;       /* a substring of the message */
} BadCase;

static const BadCase bad_cases[] = {
  { "json.jsonl", GOOD ("a") "{\"task\": \"t\", \"input\": \n", -1, 2, "invalid JSON" },
  { "comma.jsonl", GOOD ("a") GOOD ("b") "{\"task\": \"t\",}\n", -1, 3, "invalid JSON" },
  { "two.jsonl", GOOD ("a") "{\"task\": \"t\", \"input\": \"i\", \"output\": \"o\", \"id\": \"b\"} "
    "{\"task\": \"t\"}\n", -1, 2, "after the JSON object at column 55" },
  { "array.jsonl", GOOD ("a") "\n[1, 2]\n", -1, 3, "found an array" },
  { "string.jsonl", "\"text\"\n", -1, 1, "found a string" },
  { "number.jsonl", GOOD ("a") "42", -1, 2, "found a number" },
  { "bool.jsonl", "true\n", -1, 1, "found a boolean" },
  { "word.jsonl", GOOD ("a") "  nonsense\n", -1, 2, "invalid JSON at column 3" },
  { "missing.jsonl", GOOD ("a") "{\"task\": \"t\", \"input\": \"i\", \"id\": \"b\"}\n", -1, 2,
    "missing key \"output\"" },
  { "nonstring.jsonl", "{\"task\": \"t\", \"input\": 5, \"output\": \"o\", \"id\": \"b\"}\n", -1,
    1, "key \"input\" is a number, expected a string" },
  { "null.jsonl", "{\"task\": \"t\", \"input\": \"i\", \"output\": \"o\", \"id\": null}\n", -1, 1,
    "key \"id\" is null" },
  { "object.jsonl", "{\"task\": {\"a\": 1}, \"input\": \"i\", \"output\": \"o\", \"id\": \"x\"}\n",
    -1, 1, "key \"task\" is an object" },
  { "utf8.jsonl", GOOD ("a") GOOD ("b") "{\"task\": \"t\", \"input\": \"caf\xE9\", \"output\": "
    "\"o\", \"id\": \"c\"}\n", -1, 3, "invalid UTF-8 at column 28" },
  { "overlong.jsonl", "{\"task\": \"t\", \"input\": \"\xC0\xAF\", \"output\": \"o\", "
    "\"id\": \"c\"}", -1, 1, "invalid UTF-8 at column 25" },
  { "surrogate.jsonl", GOOD ("a") "{\"task\": \"t\", \"input\": \"x\\ud800y\", \"output\": \"o\", "
    "\"id\": \"c\"}\n", -1, 2, "unpaired high surrogate \\uD800" },
  { "low.jsonl", "{\"task\": \"t\", \"input\": \"\\uDC00\", \"output\": \"o\", \"id\": \"c\"}\n",
    -1, 1, "unpaired low surrogate" },
  { "nulescape.jsonl", "{\"task\": \"t\", \"input\": \"a\\u0000b\", \"output\": \"o\", "
    "\"id\": \"c\"}\n", -1, 1, "NUL character (\\u0000)" },
  { "nulbyte.jsonl", GOOD ("a") "{\"task\": \"t\", \"input\": \"a\0b\", \"output\": \"o\", "
    "\"id\": \"c\"}\n", 57 + 56, 2, "NUL byte at column 26" },
  { "task.jsonl", GOOD ("a") GOOD ("b") "{\"task\": \"other\", \"input\": \"i\", "
    "\"output\": \"o\", \"id\": \"c\"}\n", -1, 3, "task \"other\" in a file loaded as task \"t\"" },
  { "dup.jsonl", GOOD ("a") GOOD ("x") "\n" GOOD ("b") GOOD ("x"), -1, 5,
    "duplicate id \"x\" (first on line 2)" },
  { "empty.jsonl", "", -1, 1, "no records: the file is empty" },
  { "blank.jsonl", "\n  \n\r\n", -1, 3, "no records: the file is blank" },
};

static void
test_bad (void)
{
  g_assert_cmpuint (strlen (GOOD ("a")), ==, 57);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      const BadCase *c = &bad_cases[i];
      g_autofree char *name = g_strconcat ("bad-", c->name, NULL);
      g_autofree char *path = write_tmp (name, c->content, c->len);
      g_autofree char *where = g_strdup_printf ("%s:%u: ", name, c->line);
      g_autoptr (GError) error = NULL;
      g_assert_null (ms_task_data_load ("t", path, &error));
      text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, path, where, c->what, NULL);
    }
}

static void
test_missing_file (void)
{
  g_autofree char *path = g_build_filename (ms_test_tmpdir (), "no-such.jsonl", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_null (ms_task_data_load ("t", path, &error));
  text_test_assert_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT, path, NULL);
}

static void
test_long_line (void)
{
  /* Line 2 holds a string of exactly the limit: with its JSON around it the line is longer. */
  GString *s = g_string_new (GOOD ("a") "{\"task\": \"t\", \"input\": \"");
  gsize at = s->len;
  g_string_set_size (s, at + MS_DATASET_MAX_LINE);
  memset (s->str + at, 'x', MS_DATASET_MAX_LINE);
  g_string_append (s, "\", \"output\": \"o\", \"id\": \"b\"}\n");
  g_autofree char *path = write_tmp ("bad-long.jsonl", s->str, s->len);
  g_string_free (s, TRUE);
  g_autoptr (GError) error = NULL;
  g_assert_null (ms_task_data_load ("t", path, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "bad-long.jsonl:2: ",
                          "longer than the limit of 16777216", NULL);
}

static void
test_template_parse (void)
{
  static const struct { const char *text, *prefix, *middle, *suffix; } good[] = {
    { MS_TEMPLATE_DEFAULT, "", "\n=> ", "" },
    { "{input}{output}", "", "", "" },
    { "English: {input}\nGerman: {output}", "English: ", "\nGerman: ", "" },
    { "{ {input} } {x y} {} {{output}}", "{ ", " } {x y} {} {", "}" },
    { "<{input}|{output}|end {", "<", "|", "|end {" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (MsTemplate) t = ms_template_parse (good[i].text, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (ms_template_text (t), ==, good[i].text);
      g_assert_cmpstr (ms_template_prefix (t), ==, good[i].prefix);
      g_assert_cmpstr (ms_template_middle (t), ==, good[i].middle);
      g_assert_cmpstr (ms_template_suffix (t), ==, good[i].suffix);
    }
  g_autoptr (MsTemplate) t = ms_template_parse ("Q: {input} A:", NULL);
  g_assert_null (t);
  g_autoptr (MsTemplate) d = ms_template_parse ("Q: {input}\nA: {output}", NULL);
  g_autofree char *prompt = ms_template_render_prompt (d, "why?");
  g_assert_cmpstr (prompt, ==, "Q: why?\nA: ");

  static const struct { const char *text, *what; } bad[] = {
    { "just text", "no {input}" },
    { "{output} only", "{output} before {input} at byte 0" },
    { "{input} only\n", "no {output}" },
    { "{input} {input} {output}", "a second {input} at byte 8" },
    { "{input} {output} {output}", "a second {output} at byte 17" },
    { "{output} {input}", "{output} before {input}" },
    { "{input} {outputs} {output}", "unknown placeholder {outputs} at byte 8" },
    { "{Input} {output}", "unknown placeholder {Input}" },
    { "{input} {task}\n{output}", "unknown placeholder {task}" },
    { "", "no {input}" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_null (ms_template_parse (bad[i].text, &error));
      text_test_assert_error (&error, MS_ERROR, MS_ERROR_INVALID, "template \"", bad[i].what,
                              NULL);
    }
  /* The message shows the template with its newline escaped. */
  g_autoptr (GError) error = NULL;
  g_assert_null (ms_template_parse ("a\n{input}", &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_INVALID, "template \"a\\n{input}\"", NULL);
}

static void
test_unescape (void)
{
  static const char *cases[][2] = {
    { "{input}\\nTL;DR: {output}", "{input}\nTL;DR: {output}" },
    { "a\\tb\\r\\nc", "a\tb\r\nc" },
    { "back\\\\slash \\\\n", "back\\slash \\n" },
    { "\\x \\u1 \\", "\\x \\u1 \\" },
    { "plain", "plain" },
    { "", "" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = ms_template_unescape (cases[i][0]);
      g_assert_cmpstr (got, ==, cases[i][1]);
    }
}

static char *
decode (MsBpe *bpe, const guint32 *ids, int n)
{
  g_autoptr (GError) error = NULL;
  GByteArray *out = g_byte_array_new ();
  g_assert_true (ms_bpe_decode (bpe, ids, n, out, &error));
  g_assert_no_error (error);
  g_byte_array_append (out, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (out, FALSE);
}

static const MsRecord *
record_by_id (const MsTaskData *data, const char *id)
{
  for (guint i = 0; i < data->records->len; i++)
    {
      const MsRecord *r = g_ptr_array_index (data->records, i);
      if (strcmp (r->id, id) == 0)
        return r;
    }
  g_assert_not_reached ();
}

/* Each span of EX decodes to its text. */
static void
check_spans (MsBpe *bpe, const MsTemplate *t, const MsExample *ex)
{
  const MsRecord *r = ex->record;
  g_assert_cmpint (ex->output_start, ==, ex->prompt_len);
  g_assert_cmpuint (ex->tokens[ex->n_tokens - 1], ==, 50256);
  struct { int a, b; const char *want; } spans[] = {
    { 0, ex->input_start, ms_template_prefix (t) },
    { ex->input_start, ex->input_end, r->input },
    { ex->input_end, ex->prompt_len, ms_template_middle (t) },
    { ex->output_start, ex->output_end, r->output },
    { ex->output_end, ex->n_tokens - 1, ms_template_suffix (t) },
  };
  for (guint k = 0; k < G_N_ELEMENTS (spans); k++)
    {
      g_assert_cmpint (spans[k].a, <=, spans[k].b);
      g_autofree char *got = decode (bpe, ex->tokens + spans[k].a, spans[k].b - spans[k].a);
      g_assert_cmpstr (got, ==, spans[k].want);
    }
}

static void
test_examples_reference (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *path = fixture_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MsTaskData) data = ms_task_data_load ("tiny", path, &error);
  g_assert_no_error (error);
  g_autofree char *ref_path = ms_test_fixture ("dataset/examples-reference.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_file (parser, ref_path, &error));
  g_assert_no_error (error);
  JsonArray *refs = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (refs), ==, 4 * G_N_ELEMENTS (tiny));
  for (guint i = 0; i < json_array_get_length (refs); i++)
    {
      JsonObject *o = json_array_get_object_element (refs, i);
      g_autoptr (MsTemplate) t = ms_template_parse (json_object_get_string_member (o, "template"),
                                                    &error);
      g_assert_no_error (error);
      const MsRecord *r = record_by_id (data, json_object_get_string_member (o, "id"));
      g_assert_cmpuint (r->line, ==, json_object_get_int_member (o, "line"));
      MsExample ex;
      g_assert_true (ms_template_tokenize (t, bpe, r, &ex, &error));
      g_assert_no_error (error);
      JsonArray *ids = json_object_get_array_member (o, "tokens");
      g_assert_cmpint (ex.n_tokens, ==, json_array_get_length (ids));
      for (int k = 0; k < ex.n_tokens; k++)
        g_assert_cmpuint (ex.tokens[k], ==, json_array_get_int_element (ids, k));
      g_assert_cmpint (ex.input_start, ==, json_object_get_int_member (o, "input_start"));
      g_assert_cmpint (ex.input_end, ==, json_object_get_int_member (o, "input_end"));
      g_assert_cmpint (ex.prompt_len, ==, json_object_get_int_member (o, "prompt_len"));
      g_assert_cmpint (ex.output_end, ==, json_object_get_int_member (o, "output_end"));
      g_assert_true (ex.record == r);
      check_spans (bpe, t, &ex);
      ms_example_clear (&ex);
      g_assert_null (ex.tokens);
    }
}

static void
test_examples_hand (void)
{
  /* "Hello world" is [15496, 995] (GPT-2); "\n" 198, "=>" 14804, " " 220, "Hi" 17250. */
  MsBpe *bpe = text_test_gpt2 ();
  g_autoptr (MsTemplate) t = ms_template_parse (MS_TEMPLATE_DEFAULT, NULL);
  MsRecord r = { .task = "t", .input = "Hello world", .output = "Hi", .id = "1", .line = 7 };
  MsExample ex;
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_template_tokenize (t, bpe, &r, &ex, &error));
  guint32 want[] = { 15496, 995, 198, 14804, 220, 17250, 50256 };
  g_assert_cmpmem (ex.tokens, ex.n_tokens * sizeof (guint32), want, sizeof want);
  g_assert_cmpint (ex.input_start, ==, 0);
  g_assert_cmpint (ex.input_end, ==, 2);
  g_assert_cmpint (ex.prompt_len, ==, 5);
  g_assert_cmpint (ex.output_start, ==, 5);
  g_assert_cmpint (ex.output_end, ==, 6);
  ms_example_clear (&ex);
}

static void
test_task_examples (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *path = fixture_path ();
  g_autoptr (GError) error = NULL;
  g_autoptr (MsTaskData) data = ms_task_data_load ("tiny", path, &error);
  g_autoptr (MsTemplate) t = ms_template_parse ("Text: {input}\nSummary:{output}\n", &error);
  g_assert_no_error (error);
  g_autoptr (GArray) examples = ms_task_examples (data, t, bpe, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (examples->len, ==, G_N_ELEMENTS (tiny));
  for (guint i = 0; i < examples->len; i++)
    {
      const MsExample *ex = &g_array_index (examples, MsExample, i);
      g_assert_true (ex->record == g_ptr_array_index (data->records, i));
      check_spans (bpe, t, ex);
    }
}

static void
test_no_eot (void)
{
  g_autofree char *dir = text_test_newdir ("no-eot");
  GString *enc = text_test_byte_encoder ();
  g_string_append (enc, "}");
  text_test_write (dir, MS_BPE_ENCODER_FILE, enc->str, enc->len);
  g_string_free (enc, TRUE);
  text_test_write (dir, MS_BPE_MERGES_FILE, "#version: 0.2\n", -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBpe) bpe = ms_bpe_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ms_bpe_eot (bpe), ==, -1);
  g_autoptr (MsTemplate) t = ms_template_parse (MS_TEMPLATE_DEFAULT, NULL);
  MsRecord r = { .task = "t", .input = "a", .output = "b", .id = "1", .line = 1 };
  MsExample ex;
  g_assert_false (ms_template_tokenize (t, bpe, &r, &ex, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_INVALID, "<|endoftext|>", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/dataset/load", test_load);
  g_test_add_func ("/text/dataset/accepted", test_accepted);
  g_test_add_func ("/text/dataset/bad", test_bad);
  g_test_add_func ("/text/dataset/missing-file", test_missing_file);
  g_test_add_func ("/text/dataset/long-line", test_long_line);
  g_test_add_func ("/text/template/parse", test_template_parse);
  g_test_add_func ("/text/template/unescape", test_unescape);
  g_test_add_func ("/text/template/examples-reference", test_examples_reference);
  g_test_add_func ("/text/template/examples-hand", test_examples_hand);
  g_test_add_func ("/text/template/task-examples", test_task_examples);
  g_test_add_func ("/text/template/no-eot", test_no_eot);
  return ms_test_run ();
}
