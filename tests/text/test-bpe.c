/* GPT-2's tokenizer against GPT-2's own encoder (gpt-3-encoder, fixtures made by
 * tests/fixtures/text/make-reference.js): ~110 varied strings token for token, a few hundred
 * KB of real text by count and checksum, the pre-tokenizer's character classes for every code
 * point; hand-worked pre-tokens of invalid UTF-8; decode(encode(x)) == x on random bytes; and
 * save(load(GPT-2)) == GPT-2's files. */
#include "ms-test.h"
#include "text-util.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <zlib.h>

#include "common/ms-error.h"

static void
test_gpt2_load (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_assert_cmpuint (ms_bpe_vocab_size (bpe), ==, 50257);
  g_assert_cmpuint (ms_bpe_n_merges (bpe), ==, 50000);
  g_assert_cmpint (ms_bpe_eot (bpe), ==, 50256);
  /* Well-known GPT-2 ids. */
  g_assert_cmpint (ms_bpe_lookup (bpe, "\xc4\xa0the"), ==, 262);  /* "Ġthe" */
  g_assert_cmpint (ms_bpe_lookup (bpe, "!"), ==, 0);
  g_assert_cmpint (ms_bpe_lookup (bpe, "<|endoftext|>"), ==, 50256);
  g_assert_cmpint (ms_bpe_lookup (bpe, "no such token here"), ==, -1);
  g_autofree char *s = ms_bpe_token_string (bpe, 198);
  g_assert_cmpstr (s, ==, "\xc4\x8a");  /* "Ċ", the newline */
  gsize len;
  const guint8 *b = ms_bpe_token_bytes (bpe, 262, &len);
  g_assert_cmpmem (b, len, " the", 4);
  g_assert_null (ms_bpe_token_bytes (bpe, 50257, &len));
  /* Byte tokens: 0xFF is 'ÿ', id 94 + 12 + (0xFF - 0xAE) = 187; byte 0 is 'Ā', id 188. */
  GArray *ids = text_test_encode (bpe, "\xff\x00", 2);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_cmpuint (g_array_index (ids, guint32, 0), ==, 187);
  g_assert_cmpuint (g_array_index (ids, guint32, 1), ==, 188);
  g_array_unref (ids);
}

static void
test_reference (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *path = ms_test_fixture ("text/reference.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonArray *cases = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (cases), >=, 100);
  guint n_ids = 0;
  for (guint c = 0; c < json_array_get_length (cases); c++)
    {
      JsonObject *o = json_array_get_object_element (cases, c);
      const char *text = json_object_get_string_member (o, "text");
      JsonArray *want = json_object_get_array_member (o, "ids");
      GArray *got = text_test_encode (bpe, text, strlen (text));
      guint n = json_array_get_length (want);
      for (guint i = 0; i < MAX (n, got->len); i++)
        {
          gint64 w = i < n ? json_array_get_int_element (want, i) : -1;
          gint64 g = i < got->len ? (gint64) g_array_index (got, guint32, i) : -1;
          if (w != g)
            g_error ("case %u %s: id %u is %" G_GINT64_FORMAT ", GPT-2 gives %" G_GINT64_FORMAT
                     " (%u ids, GPT-2 %u)", c, g_strescape (text, NULL), i, g, w, got->len, n);
        }
      GByteArray *back = g_byte_array_new ();
      ms_bpe_decode (bpe, (guint32 *) got->data, got->len, back, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (back->data, back->len, text, strlen (text));
      g_byte_array_unref (back);
      n_ids += n;
      g_array_unref (got);
    }
  g_test_message ("%u strings, %u ids equal", json_array_get_length (cases), n_ids);
}

static char *
sha256_hex (const void *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

/* The big real text: the files of reference-big.json concatenated, or NULL when this system
 * does not have them as they were (then the test is skipped). */
static GByteArray *
big_text (JsonObject *ref)
{
  GByteArray *text = g_byte_array_new ();
  JsonArray *files = json_object_get_array_member (ref, "files");
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      const char *f = json_array_get_string_element (files, i);
      gzFile gz = gzopen (f, "rb");  /* reads plain files as they are */
      if (gz == NULL)
        {
          g_test_message ("%s is missing", f);
          g_byte_array_unref (text);
          return NULL;
        }
      guint8 buf[65536];
      int n;
      while ((n = gzread (gz, buf, sizeof buf)) > 0)
        g_byte_array_append (text, buf, n);
      gzclose (gz);
    }
  g_autofree char *sha = sha256_hex (text->data, text->len);
  if (strcmp (sha, json_object_get_string_member (ref, "text_sha256")) != 0)
    {
      g_test_message ("the files differ from those the reference was made from");
      g_byte_array_unref (text);
      return NULL;
    }
  return text;
}

static void
test_reference_big (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *path = ms_test_fixture ("text/reference-big.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonObject *ref = json_node_get_object (json_parser_get_root (parser));
  g_autoptr (GByteArray) text = big_text (ref);
  if (text == NULL)
    {
      g_test_skip ("the real text of reference-big.json is not on this system");
      return;
    }
  /* A fresh tokenizer, so the word cache starts empty as it would for a user. */
  g_autofree char *dir = ms_test_fixture ("gpt2");
  g_autoptr (MsBpe) fresh = ms_bpe_load (dir, &error);
  g_assert_no_error (error);
  gint64 t0 = g_get_monotonic_time ();
  GArray *ids = text_test_encode (fresh, (const char *) text->data, text->len);
  gint64 t1 = g_get_monotonic_time ();
  g_test_message ("%u bytes -> %u ids in %.1f ms (%.1f MB/s, cold cache)", text->len, ids->len,
                  (t1 - t0) / 1e3, text->len / (double) (t1 - t0));
  g_assert_cmpint (ids->len, ==, json_object_get_int_member (ref, "n_ids"));
  JsonArray *first = json_object_get_array_member (ref, "first_ids");
  for (guint i = 0; i < json_array_get_length (first); i++)
    g_assert_cmpint (g_array_index (ids, guint32, i), ==, json_array_get_int_element (first, i));
  g_autofree guint32 *le = g_new (guint32, ids->len);
  for (guint i = 0; i < ids->len; i++)
    le[i] = GUINT32_TO_LE (g_array_index (ids, guint32, i));
  g_autofree char *sha = sha256_hex (le, 4 * (gsize) ids->len);
  g_assert_cmpstr (sha, ==, json_object_get_string_member (ref, "ids_sha256"));
  /* The same text again with the shared, warm tokenizer gives the same ids. */
  GArray *again = text_test_encode (bpe, (const char *) text->data, text->len);
  g_assert_cmpmem (again->data, 4 * again->len, ids->data, 4 * ids->len);
  g_array_unref (again);
  g_array_unref (ids);
}

/* Every code point: our class against JavaScript's (node's ICU) where GLib knows the code
 * point. Code points GLib's older Unicode leaves unassigned are "other" for us and may be
 * letters in the newer table; they are counted, not failed. */
static void
test_unicode_classes (void)
{
  g_autofree char *path = ms_test_fixture ("text/unicode-classes.txt");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *js = g_malloc (0x110000);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  gunichar start = 0;
  char k = 0;
  for (guint i = 0; lines[i]; i++)
    {
      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      char *end;
      gunichar s = g_ascii_strtoull (lines[i], &end, 16);
      if (k)
        memset (js + start, k, s - start);
      start = s;
      k = end[1];
    }
  memset (js + start, k, 0x110000 - start);
  static const char names[] = { 'L', 'N', 'S', 'O' };
  guint checked = 0, newer = 0;
  for (gunichar c = 0; c < 0x110000; c++)
    {
      if (c >= 0xD800 && c <= 0xDFFF)
        continue;
      char ours = names[ms_bpe_char_class (c)];
      if (g_unichar_type (c) == G_UNICODE_UNASSIGNED)
        {
          g_assert_cmpint (ours, ==, 'O');
          newer += js[c] != 'O';
          continue;
        }
      if (ours != js[c])
        g_error ("U+%04X: class %c, JavaScript says %c", c, ours, js[c]);
      checked++;
    }
  g_test_message ("%u code points agree; %u unassigned in GLib's Unicode have a class in "
                  "JavaScript's newer one", checked, newer);
  g_assert_cmpuint (checked, >, 250000);
}

/* The pre-tokens of TEXT joined with '|'. */
static char *
pretokens (const char *text, gsize len)
{
  GString *s = g_string_new (NULL);
  for (gsize pos = 0; pos < len;)
    {
      gsize end = ms_bpe_pretoken_end (text, len, pos);
      g_assert_cmpuint (end, >, pos);
      g_assert_cmpuint (end, <=, len);
      if (pos > 0)
        g_string_append_c (s, '|');
      g_string_append_len (s, text + pos, end - pos);
      pos = end;
    }
  return g_string_free (s, FALSE);
}

static void
check_pretokens (const char *text, gssize len, const char *want)
{
  g_autofree char *got = pretokens (text, len < 0 ? strlen (text) : (gsize) len);
  if (strcmp (got, want) != 0)
    g_error ("pre-tokens of \"%s\": \"%s\", expected \"%s\"", g_strescape (text, NULL),
             g_strescape (got, NULL), g_strescape (want, NULL));
}

static void
test_pretokens (void)
{
  /* Valid text, worked by hand from the expression (and agreeing with the reference ids). */
  check_pretokens ("Hello world", -1, "Hello| world");
  check_pretokens ("it's IT'S", -1, "it|'s| IT|'|S");
  check_pretokens ("a  b", -1, "a| | b");
  check_pretokens ("a \n\nb  ", -1, "a| \n|\n|b|  ");
  check_pretokens ("x\n y", -1, "x|\n| y");
  check_pretokens (" 123abc!!  ?", -1, " 123|abc|!!| | ?");
  check_pretokens ("caf\xc3\xa9\xcc\x81s", -1, "caf\xc3\xa9|\xcc\x81|s");  /* U+0301 is Mn */
  /* Invalid UTF-8: each bad byte is an "other" character of its own. */
  check_pretokens ("ab\xff" "cd", -1, "ab|\xff|cd");
  check_pretokens ("!\xff?", -1, "!\xff?");
  check_pretokens (" \xfe", -1, " \xfe");
  check_pretokens ("x\xe4\xb8", -1, "x|\xe4\xb8");                 /* truncated U+4E2D */
  check_pretokens ("\xe4\xb8\xad\xe4\xb8", -1, "\xe4\xb8\xad|\xe4\xb8");
  check_pretokens ("a\xc0\xaf" "b", -1, "a|\xc0\xaf|b");             /* overlong '/' */
  check_pretokens ("a\xed\xa0\x80" "b", -1, "a|\xed\xa0\x80|b");     /* a surrogate */
  check_pretokens ("a\xf4\x90\x80\x80" "b", -1, "a|\xf4\x90\x80\x80|b"); /* above U+10FFFF */
  check_pretokens ("a\x80" "b", -1, "a|\x80|b");                     /* lone continuation */
  check_pretokens ("a\0b", 3, "a|\0|b");
  check_pretokens ("  \xff", -1, " | \xff");
}

static void
check_roundtrip (MsBpe *bpe, const guint8 *text, gsize len)
{
  GArray *ids = text_test_encode (bpe, (const char *) text, len);
  GByteArray *back = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_bpe_decode (bpe, (guint32 *) ids->data, ids->len, back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back->data, back->len, text, len);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpuint (g_array_index (ids, guint32, i), <, ms_bpe_vocab_size (bpe));
  g_byte_array_unref (back);
  g_array_unref (ids);
}

static void
test_roundtrip_random (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  MsTestRng rng = { 42 };
  static const char *pieces[] = { "the", " ", "  ", "\n", "\t", "'s", "'", "é", "中", "😀",
                                  "\xcc\x81", "123", "!?", "\xe2\x80\xa8", "\xef\xbb\xbf" };
  for (int round = 0; round < 400; round++)
    {
      gsize len = ms_test_rng_u64 (&rng) % 600;
      g_autofree guint8 *text = g_malloc (len + 8);
      int mode = round % 4;
      gsize n = 0;
      while (n < len)
        {
          guint64 r = ms_test_rng_u64 (&rng);
          if (mode == 0)  /* any bytes */
            text[n++] = r & 0xFF;
          else if (mode == 1)  /* mostly ASCII with bad bytes */
            text[n++] = (r & 0xF0) == 0 ? 0x80 + (r >> 8) % 128 : 0x20 + (r >> 8) % 95;
          else  /* valid pieces, cut anywhere (mode 3 also breaks some bytes) */
            {
              const char *p = pieces[(r >> 8) % G_N_ELEMENTS (pieces)];
              gsize pl = MIN (strlen (p), len - n);
              memcpy (text + n, p, pl);
              if (mode == 3 && (r & 7) == 0)
                text[n] ^= 0x40;
              n += pl;
            }
        }
      check_roundtrip (bpe, text, len);
    }
  /* Every byte value alone and all 65536 byte pairs. */
  for (guint a = 0; a < 256; a++)
    for (guint b = 0; b < 256; b++)
      {
        guint8 t[2] = { a, b };
        check_roundtrip (bpe, t, 2);
      }
}

static void
test_roundtrip_samples (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *path = ms_test_fixture ("text/samples.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonArray *samples = json_node_get_array (json_parser_get_root (parser));
  GString *all = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (samples); i++)
    {
      const char *s = json_array_get_string_element (samples, i);
      check_roundtrip (bpe, (const guint8 *) s, strlen (s));
      g_string_append (all, s);
      g_string_append_c (all, '\xff');  /* an invalid byte between them */
    }
  check_roundtrip (bpe, (const guint8 *) all->str, all->len);
  g_string_free (all, TRUE);
}

/* Over a million distinct words: the word cache fills up and starts over on the way. */
static void
test_many_words (void)
{
  g_autofree char *dir = ms_test_fixture ("gpt2");
  g_autoptr (GError) error = NULL;
  g_autoptr (MsBpe) bpe = ms_bpe_load (dir, &error);
  g_assert_no_error (error);
  const guint n_words = 1200000;
  GString *text = g_string_sized_new (7 * n_words);
  for (guint i = 0; i < n_words; i++)
    {
      char w[7] = " aaaaa";
      for (guint k = 0, v = i; k < 5; k++, v /= 26)
        w[5 - k] = 'a' + v % 26;
      g_string_append_len (text, w, 6);
    }
  GArray *ids = text_test_encode (bpe, text->str, text->len);
  g_autoptr (GByteArray) back = g_byte_array_new ();
  g_assert_true (ms_bpe_decode (bpe, (guint32 *) ids->data, ids->len, back, &error));
  g_assert_cmpmem (back->data, back->len, text->str, text->len);
  /* The first words again, now that the cache has started over, and with a fresh tokenizer. */
  GArray *head = text_test_encode (bpe, text->str, 6000);
  g_autoptr (MsBpe) fresh = ms_bpe_load (dir, &error);
  GArray *head2 = text_test_encode (fresh, text->str, 6000);
  g_assert_cmpmem (head->data, 4 * head->len, ids->data, 4 * head->len);
  g_assert_cmpmem (head2->data, 4 * head2->len, head->data, 4 * head->len);
  g_array_unref (head);
  g_array_unref (head2);
  g_array_unref (ids);
  g_string_free (text, TRUE);
}

/* Several threads encoding with one tokenizer get what one thread gets. */
typedef struct {
  MsBpe *bpe;
  GPtrArray *texts;
  GPtrArray *want;  /* GArray per text */
  guint offset;
} ThreadJob;

static gpointer
encode_all (gpointer data)
{
  ThreadJob *job = data;
  for (guint round = 0; round < 20; round++)
    for (guint k = 0; k < job->texts->len; k++)
      {
        guint i = (k + job->offset + round) % job->texts->len;
        const char *s = job->texts->pdata[i];
        GArray *got = text_test_encode (job->bpe, s, strlen (s));
        GArray *want = job->want->pdata[i];
        if (got->len != want->len
            || (got->len > 0 && memcmp (got->data, want->data, 4 * got->len) != 0))
          return GINT_TO_POINTER (1);
        g_array_unref (got);
      }
  return NULL;
}

static void
test_threads (void)
{
  g_autofree char *path = ms_test_fixture ("text/samples.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonArray *samples = json_node_get_array (json_parser_get_root (parser));
  g_autoptr (GPtrArray) texts = g_ptr_array_new ();
  g_autoptr (GPtrArray) want = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < json_array_get_length (samples); i++)
    {
      const char *s = json_array_get_string_element (samples, i);
      g_ptr_array_add (texts, (char *) s);
      g_ptr_array_add (want, text_test_encode (text_test_gpt2 (), s, strlen (s)));
    }
  g_autofree char *dir = ms_test_fixture ("gpt2");
  g_autoptr (MsBpe) shared = ms_bpe_load (dir, &error);  /* a cold cache, filled by all */
  g_assert_no_error (error);
  ThreadJob jobs[4];
  GThread *threads[4];
  for (guint t = 0; t < 4; t++)
    {
      jobs[t] = (ThreadJob) { shared, texts, want, t * 29 };
      threads[t] = g_thread_new ("encode", encode_all, &jobs[t]);
    }
  for (guint t = 0; t < 4; t++)
    g_assert_null (g_thread_join (threads[t]));
}

static void
test_decode_bad (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  guint32 ids[] = { 15496, 50257 };
  GByteArray *out = g_byte_array_new ();
  GError *error = NULL;
  g_assert_false (ms_bpe_decode (bpe, ids, 2, out, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_INVALID, "50257", "position 1", NULL);
  g_byte_array_unref (out);
}

/* Loading then saving GPT-2 gives OpenAI's files back byte for byte. */
static void
test_save_identical (void)
{
  MsBpe *bpe = text_test_gpt2 ();
  g_autofree char *dir = text_test_newdir ("gpt2-saved");
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_bpe_save (bpe, dir, &error));
  g_assert_no_error (error);
  const char *names[] = { "encoder.json", "vocab.bpe" };
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *fixture = g_build_filename ("gpt2", names[i], NULL);
      g_autofree char *orig_path = ms_test_fixture (fixture);
      g_autofree char *saved_path = g_build_filename (dir, names[i], NULL);
      g_autofree char *orig = NULL, *saved = NULL;
      gsize lo, ls;
      g_file_get_contents (orig_path, &orig, &lo, &error);
      g_assert_no_error (error);
      g_file_get_contents (saved_path, &saved, &ls, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (saved, ls, orig, lo);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/bpe/gpt2-load", test_gpt2_load);
  g_test_add_func ("/text/bpe/reference", test_reference);
  g_test_add_func ("/text/bpe/reference-big", test_reference_big);
  g_test_add_func ("/text/bpe/unicode-classes", test_unicode_classes);
  g_test_add_func ("/text/bpe/pretokens", test_pretokens);
  g_test_add_func ("/text/bpe/roundtrip-random", test_roundtrip_random);
  g_test_add_func ("/text/bpe/roundtrip-samples", test_roundtrip_samples);
  g_test_add_func ("/text/bpe/many-words", test_many_words);
  g_test_add_func ("/text/bpe/threads", test_threads);
  g_test_add_func ("/text/bpe/decode-bad", test_decode_bad);
  g_test_add_func ("/text/bpe/save-identical", test_save_identical);
  return ms_test_run ();
}
