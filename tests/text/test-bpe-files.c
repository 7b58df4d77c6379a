/* Bad input for the tokenizer loader: every malformed encoder.json or vocab.bpe gets a clear
 * error naming the file (and the line, for vocab.bpe), and a small valid pair of files loads
 * and encodes as worked out by hand. */
#include "ms-test.h"
#include "text-util.h"

#include <string.h>

#include "common/ms-error.h"

#define GOOD_MERGES "#version: 0.2\na b\nab c\n"

/* A directory with ENCODER_EXTRA appended to the 256 byte tokens of encoder.json (NULL: no
 * encoder.json at all) and MERGES as vocab.bpe (NULL: none). */
static char *
make_dir (const char *name, const char *encoder_extra, const char *merges, gssize merges_len)
{
  char *dir = text_test_newdir (name);
  if (encoder_extra)
    {
      g_autoptr (GString) enc = text_test_byte_encoder ();
      g_string_append (enc, encoder_extra);
      text_test_write (dir, "encoder.json", enc->str, enc->len);
    }
  if (merges)
    text_test_write (dir, "vocab.bpe", merges, merges_len);
  return dir;
}

#define GOOD_EXTRA ", \"ab\": 256, \"abc\": 257, \"<|endoftext|>\": 258}"

static void
test_good_small (void)
{
  g_autofree char *dir = make_dir ("good", GOOD_EXTRA, GOOD_MERGES, -1);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBpe) bpe = ms_bpe_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_bpe_vocab_size (bpe), ==, 259);
  g_assert_cmpuint (ms_bpe_n_merges (bpe), ==, 2);
  g_assert_cmpint (ms_bpe_eot (bpe), ==, 258);
  /* "abcab c": pre-tokens "abcab", " c"; a=64 b=65 c=66 ' '=220 (GPT-2's byte ids). */
  GArray *ids = text_test_encode (bpe, "abcab c", 7);
  guint32 want[] = { 257, 256, 220, 66 };
  g_assert_cmpmem (ids->data, 4 * ids->len, want, sizeof want);
  g_array_unref (ids);
  /* Without the final newline the last merge still counts. */
  g_autofree char *dir2 = make_dir ("good-no-newline", GOOD_EXTRA, "#version: 0.2\na b\nab c", -1);
  g_autoptr (MsBpe) bpe2 = ms_bpe_load (dir2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_bpe_n_merges (bpe2), ==, 2);
}

typedef struct {
  const char *name;
  const char *encoder_extra;  /* NULL: no encoder.json */
  const char *merges;         /* NULL: no vocab.bpe */
  gssize merges_len;
  int code;                   /* MS_ERROR code, or -1 for a GLib file error */
  const char *file;           /* "encoder.json" or "vocab.bpe": the message names it */
  const char *what[3];        /* and holds these */
} BadCase;

static const BadCase bad_cases[] = {
  { "no-encoder", NULL, GOOD_MERGES, -1, -1, "encoder.json", { NULL } },
  { "no-merges", GOOD_EXTRA, NULL, -1, -1, "vocab.bpe", { NULL } },
  { "encoder-not-json", ", \"ab\": 256", GOOD_MERGES, -1, MS_ERROR_FORMAT, "encoder.json",
    { "invalid JSON" } },
  { "encoder-string-id", ", \"ab\": \"256\"}", GOOD_MERGES, -1, MS_ERROR_FORMAT, "encoder.json",
    { "\"ab\"", "integer" } },
  { "encoder-float-id", ", \"ab\": 256.5}", GOOD_MERGES, -1, MS_ERROR_FORMAT, "encoder.json",
    { "\"ab\"", "integer" } },
  { "encoder-nested", ", \"ab\": [256]}", GOOD_MERGES, -1, MS_ERROR_FORMAT, "encoder.json",
    { "\"ab\"", "integer" } },
  { "encoder-id-range", ", \"ab\": 256, \"abc\": 999}", GOOD_MERGES, -1, MS_ERROR_FORMAT,
    "encoder.json", { "\"abc\"", "999" } },
  { "encoder-negative", ", \"ab\": -1}", GOOD_MERGES, -1, MS_ERROR_FORMAT, "encoder.json",
    { "-1" } },
  { "encoder-duplicate-id", ", \"ab\": 256, \"abc\": 256}", GOOD_MERGES, -1, MS_ERROR_FORMAT,
    "encoder.json", { "same id 256", "\"ab\"", "\"abc\"" } },
  { "encoder-repeated-key", ", \"ab\": 256, \"ab\": 257}", GOOD_MERGES, -1, MS_ERROR_FORMAT,
    "encoder.json", { NULL } },
  { "encoder-bad-char", ", \"a b\": 256}", GOOD_MERGES, -1, MS_ERROR_FORMAT, "encoder.json",
    { "\"a b\"", "U+0020" } },
  { "encoder-empty-token", ", \"\": 256}", GOOD_MERGES, -1, MS_ERROR_FORMAT, "encoder.json",
    { "empty token" } },
  { "merges-empty", GOOD_EXTRA, "", 0, MS_ERROR_FORMAT, "vocab.bpe", { "empty file" } },
  { "merges-no-header", GOOD_EXTRA, "a b\nab c\n", -1, MS_ERROR_FORMAT, "vocab.bpe:1:",
    { "#version" } },
  { "merges-one-token", GOOD_EXTRA, "#version: 0.2\na b\nabc\n", -1, MS_ERROR_FORMAT,
    "vocab.bpe:3:", { "two tokens", "\"abc\"" } },
  { "merges-three-tokens", GOOD_EXTRA, "#version: 0.2\na b c\n", -1, MS_ERROR_FORMAT,
    "vocab.bpe:2:", { "two tokens" } },
  { "merges-two-spaces", GOOD_EXTRA, "#version: 0.2\na  b\n", -1, MS_ERROR_FORMAT,
    "vocab.bpe:2:", { "two tokens" } },
  { "merges-blank-line", GOOD_EXTRA, "#version: 0.2\na b\n\nab c\n", -1, MS_ERROR_FORMAT,
    "vocab.bpe:3:", { "two tokens" } },
  { "merges-crlf", GOOD_EXTRA, "#version: 0.2\r\na b\r\n", -1, MS_ERROR_MISMATCH,
    "vocab.bpe:2:", { "\"b\\r\"", "not in" } },
  { "merges-unknown-token", GOOD_EXTRA, "#version: 0.2\na b\nab xy\nab c\n", -1,
    MS_ERROR_MISMATCH, "vocab.bpe:3:", { "names the token \"xy\"", "encoder.json" } },
  { "merges-unknown-result", GOOD_EXTRA, "#version: 0.2\na b\nb c\n", -1, MS_ERROR_MISMATCH,
    "vocab.bpe:3:", { "\"bc\"", "makes" } },
  { "merges-duplicate", GOOD_EXTRA, "#version: 0.2\na b\nab c\na b\n", -1, MS_ERROR_FORMAT,
    "vocab.bpe:4:", { "repeats line 2" } },
  { "merges-invalid-utf8", GOOD_EXTRA, "#version: 0.2\na b\nab \xff\n", -1, MS_ERROR_FORMAT,
    "vocab.bpe:3:", { "invalid UTF-8", "byte 21" } },
  { "merges-nul", GOOD_EXTRA, "#version: 0.2\na b\0\n", 19, MS_ERROR_FORMAT, "vocab.bpe",
    { "NUL" } },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *dir = make_dir (c->name, c->encoder_extra, c->merges, c->merges_len);
  GError *error = NULL;
  MsBpe *bpe = ms_bpe_load (dir, &error);
  g_assert_null (bpe);
  if (c->code < 0)
    text_test_assert_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT, c->file, NULL);
  else
    text_test_assert_error (&error, MS_ERROR, c->code, c->file, c->what[0] ? c->what[0] : "",
                            c->what[1] ? c->what[1] : "", c->what[2] ? c->what[2] : "", NULL);
}

/* Cases that need the 256 byte tokens changed, so written out whole. */
static void
test_bad_whole (void)
{
  GError *error = NULL;
  g_autofree char *dir = text_test_newdir ("whole");
  text_test_write (dir, "vocab.bpe", "#version: 0.2\n", -1);

  text_test_write (dir, "encoder.json", "", 0);
  g_assert_null (ms_bpe_load (dir, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "encoder.json", "empty file", NULL);

  text_test_write (dir, "encoder.json", "[\"a\", \"b\"]", -1);
  g_assert_null (ms_bpe_load (dir, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "encoder.json", "JSON object", NULL);

  text_test_write (dir, "encoder.json", "42", -1);
  g_assert_null (ms_bpe_load (dir, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "encoder.json", "JSON object", NULL);

  text_test_write (dir, "encoder.json", "{\"a\": 0, \"b\xc3\": 1}", -1);
  g_assert_null (ms_bpe_load (dir, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "encoder.json:1:", "invalid UTF-8",
                          "byte 11", NULL);

  /* Only 255 byte tokens: byte 0x0A ("Ċ", id 198 in GPT-2's order) is missing. */
  g_autoptr (GString) enc = text_test_byte_encoder ();
  char *nl = strstr (enc->str, "\"\xc4\x8a\": 198");
  g_assert_nonnull (nl);
  memcpy (nl, "\"ab\":", 5);  /* same length: "Ċ" is 2 bytes */
  g_string_append (enc, "}");
  text_test_write (dir, "encoder.json", enc->str, enc->len);
  g_assert_null (ms_bpe_load (dir, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "encoder.json", "byte 0x0a", NULL);

  g_autofree char *file = g_build_filename (dir, "vocab.bpe", NULL);
  g_assert_null (ms_bpe_load (file, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_IO, "not a directory", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-dir", NULL);
  g_assert_null (ms_bpe_load (missing, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_IO, "no-such-dir", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/bpe-files/good-small", test_good_small);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/text/bpe-files/bad/%s", bad_cases[i].name);
      g_test_add_data_func (path, &bad_cases[i], test_bad);
    }
  g_test_add_func ("/text/bpe-files/bad-whole", test_bad_whole);
  return ms_test_run ();
}
