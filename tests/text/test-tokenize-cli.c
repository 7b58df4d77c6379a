/* `memscope tokenize` (the built program, $MS_BUILD_ROOT/cli/memscope) against the library:
 * the ids it prints, its JSON, its shards, decoding, training, and its exit codes on errors. */
#include "ms-test.h"
#include "text-util.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "text/ms-shard.h"

typedef struct {
  int status;
  GBytes *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_bytes_unref);
  g_clear_pointer (&r->err, g_free);
}

/* Runs memscope tokenize ARGS... (NULL-terminated) with STDIN_DATA (may be NULL). */
static Run
run (GBytes *stdin_data, ...)
{
  g_autofree char *exe = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "cli", "memscope", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, exe);
  g_ptr_array_add (argv, "tokenize");
  va_list ap;
  va_start (ap, stdin_data);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_newv ((const char *const *) argv->pdata,
                                                 G_SUBPROCESS_FLAGS_STDIN_PIPE
                                                 | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                 | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  Run r = { 0 };
  g_autoptr (GBytes) err = NULL;
  g_autoptr (GBytes) none = g_bytes_new_static ("", 0);
  g_subprocess_communicate (p, stdin_data ? stdin_data : none, NULL, &r.out, &err, &error);
  g_assert_no_error (error);
  r.status = g_subprocess_get_exit_status (p);
  r.err = g_strndup (g_bytes_get_size (err) ? g_bytes_get_data (err, NULL) : "",
                     g_bytes_get_size (err));
  g_test_message ("exit %d, stderr: %s", r.status, r.err);
  return r;
}

static char *
gpt2_dir (void)
{
  return ms_test_fixture ("gpt2");
}

/* Text with a bit of everything, and invalid UTF-8. */
static const char doc_a[] = "Hello world! It's 2024.\n\n  Ünïcödé 中文 😀\tend  \xff\xfe!";
static const char doc_b[] = "def f(x):\n    return x  # done\n";

static GArray *
parse_line (GBytes *out)
{
  g_autofree char *s = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  g_assert_true (g_str_has_suffix (s, "\n"));
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_auto (GStrv) parts = g_strsplit (g_strstrip (s), " ", -1);
  for (guint i = 0; parts[i] && parts[i][0]; i++)
    {
      guint64 v;
      g_assert_true (g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT32, &v, NULL));
      guint32 id = v;
      g_array_append_val (ids, id);
    }
  return ids;
}

static void
test_encode (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *tok = gpt2_dir ();
  g_autofree char *dir = text_test_newdir ("cli-encode");
  text_test_write (dir, "a.txt", doc_a, sizeof doc_a - 1);
  g_autofree char *a = g_build_filename (dir, "a.txt", NULL);
  g_autoptr (GArray) want = text_test_encode (bpe, doc_a, sizeof doc_a - 1);

  Run r = run (NULL, "--tokenizer", tok, a, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (GArray) got = parse_line (r.out);
  g_assert_cmpmem (got->data, 4 * got->len, want->data, 4 * want->len);
  run_clear (&r);

  /* the same from standard input */
  g_autoptr (GBytes) in = g_bytes_new_static (doc_a, sizeof doc_a - 1);
  r = run (in, "-t", tok, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (GArray) got2 = parse_line (r.out);
  g_assert_cmpmem (got2->data, 4 * got2->len, want->data, 4 * want->len);
  run_clear (&r);

  /* --json: the same ids and the tokens' byte-level strings */
  r = run (NULL, "-t", tok, "--json", a, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_data (parser, g_bytes_get_data (r.out, NULL), g_bytes_get_size (r.out),
                              &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (o, "n_tokens"), ==, want->len);
  JsonArray *ids = json_object_get_array_member (o, "ids");
  JsonArray *strs = json_object_get_array_member (o, "tokens");
  g_assert_cmpuint (json_array_get_length (ids), ==, want->len);
  for (guint i = 0; i < want->len; i++)
    {
      guint32 id = g_array_index (want, guint32, i);
      g_assert_cmpint (json_array_get_int_element (ids, i), ==, id);
      g_autofree char *s = ms_bpe_token_string (bpe, id);
      g_assert_cmpstr (json_array_get_string_element (strs, i), ==, s);
    }
  run_clear (&r);
}

static void
test_shard_and_decode (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *tok = gpt2_dir ();
  g_autofree char *dir = text_test_newdir ("cli-shard");
  text_test_write (dir, "a.txt", doc_a, sizeof doc_a - 1);
  text_test_write (dir, "b.txt", doc_b, sizeof doc_b - 1);
  g_autofree char *a = g_build_filename (dir, "a.txt", NULL);
  g_autofree char *b = g_build_filename (dir, "b.txt", NULL);
  g_autofree char *shard = g_build_filename (dir, "out.bin", NULL);

  Run r = run (NULL, "-t", tok, "--append-eot", "--shard", shard, a, b, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (g_bytes_get_size (r.out), ==, 0);
  run_clear (&r);
  g_autoptr (GArray) want = text_test_encode (bpe, doc_a, sizeof doc_a - 1);
  guint32 eot = 50256;
  g_array_append_val (want, eot);
  ms_bpe_encode (bpe, doc_b, sizeof doc_b - 1, want);
  g_array_append_val (want, eot);
  g_autoptr (GError) error = NULL;
  gsize n;
  g_autofree guint16 *got = ms_shard_read (shard, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, want->len);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpuint (got[i], ==, g_array_index (want, guint32, i));

  /* --decode --shard: the bytes of both files, each followed by the text <|endoftext|> */
  r = run (NULL, "-t", tok, "--decode", "--shard", shard, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autofree char *text = g_strconcat (doc_a, "<|endoftext|>", doc_b, "<|endoftext|>", NULL);
  gsize text_len = sizeof doc_a - 1 + sizeof doc_b - 1 + 26;  /* doc_a has no NUL */
  g_assert_cmpmem (g_bytes_get_data (r.out, NULL), g_bytes_get_size (r.out), text, text_len);
  run_clear (&r);

  /* --decode of printed ids, also given as a JSON array on standard input */
  GString *ids = g_string_new ("[");
  for (guint i = 0; i < want->len; i++)
    g_string_append_printf (ids, i ? ", %u" : "%u", g_array_index (want, guint32, i));
  g_string_append (ids, "]\n");
  g_autoptr (GBytes) in = g_string_free_to_bytes (ids);
  r = run (in, "-t", tok, "--decode", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpmem (g_bytes_get_data (r.out, NULL), g_bytes_get_size (r.out), text, text_len);
  run_clear (&r);
}

static void
test_train (void)
{
  g_autofree char *dir = text_test_newdir ("cli-train");
  GString *corpus = g_string_new (NULL);
  for (int i = 0; i < 50; i++)
    g_string_append_printf (corpus, "%s the cat sat on the mat %d times. %s", doc_b, i, doc_a);
  text_test_write (dir, "corpus.txt", corpus->str, corpus->len);
  g_autofree char *path = g_build_filename (dir, "corpus.txt", NULL);
  g_autofree char *out = g_build_filename (dir, "tok", NULL);

  Run r = run (NULL, "--train", "--vocab-size", "300", "--out", out, path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "merge"));
  g_assert_nonnull (strstr (r.err, "300 tokens"));
  run_clear (&r);

  /* The library, trained on the same text, saves the same files. */
  g_autoptr (MsBpeTrainer) t = ms_bpe_trainer_new ();
  ms_bpe_trainer_add_text (t, corpus->str, corpus->len);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBpe) bpe = ms_bpe_trainer_train (t, 300, NULL, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *lib = g_build_filename (dir, "lib", NULL);
  g_assert_true (ms_bpe_save (bpe, lib, &error));
  const char *names[] = { "encoder.json", "vocab.bpe" };
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *p1 = g_build_filename (out, names[i], NULL);
      g_autofree char *p2 = g_build_filename (lib, names[i], NULL);
      g_autofree char *c1 = NULL, *c2 = NULL;
      gsize l1, l2;
      g_file_get_contents (p1, &c1, &l1, &error);
      g_assert_no_error (error);
      g_file_get_contents (p2, &c2, &l2, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (c1, l1, c2, l2);
    }

  /* and encoding with the trained tokenizer matches the library */
  r = run (NULL, "--tokenizer", out, path, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (GArray) got = parse_line (r.out);
  g_autoptr (GArray) want = text_test_encode (bpe, corpus->str, corpus->len);
  g_assert_cmpmem (got->data, 4 * got->len, want->data, 4 * want->len);
  run_clear (&r);
  g_string_free (corpus, TRUE);
}

static void
test_errors (void)
{
  g_autofree char *tok = gpt2_dir ();
  g_autofree char *dir = text_test_newdir ("cli-errors");
  g_autofree char *missing = g_build_filename (dir, "no-such-tokenizer", NULL);
  Run r = run (NULL, "--tokenizer", missing, "/dev/null", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "no-such-tokenizer"));
  run_clear (&r);

  g_autofree char *nofile = g_build_filename (dir, "missing.txt", NULL);
  r = run (NULL, "-t", tok, nofile, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "missing.txt"));
  run_clear (&r);

  g_autoptr (GBytes) bad = g_bytes_new_static ("15496 99999999\n", 15);
  r = run (bad, "-t", tok, "--decode", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "99999999"));
  run_clear (&r);

  g_autoptr (GBytes) word = g_bytes_new_static ("15496 hello\n", 12);
  r = run (word, "-t", tok, "--decode", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "\"hello\" at byte 6"));
  run_clear (&r);

  r = run (NULL, "--train", "--vocab-size", "300", "/dev/null", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--out"));
  run_clear (&r);

  r = run (NULL, "--train", "--vocab-size", "100", "--out", dir, "/dev/null", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = run (NULL, "-t", tok, "--json", "--shard", "x.bin", "/dev/null", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = run (NULL, "--no-such-option", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_clear (&r);

  r = run (NULL, "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autofree char *help = g_strndup (g_bytes_get_data (r.out, NULL), g_bytes_get_size (r.out));
  g_assert_nonnull (strstr (help, "--append-eot"));
  run_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/tokenize-cli/encode", test_encode);
  g_test_add_func ("/text/tokenize-cli/shard-and-decode", test_shard_and_decode);
  g_test_add_func ("/text/tokenize-cli/train", test_train);
  g_test_add_func ("/text/tokenize-cli/errors", test_errors);
  return ms_test_run ();
}
