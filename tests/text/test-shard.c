/* llm.c token shards: the bytes written are checked against the format written out by hand
 * (header int32[256] = 20240520, 1, count; uint16 LE tokens), read back, and every malformed
 * file is refused with an error naming it; failed writes leave no file behind. */
#include "ms-test.h"
#include "text-util.h"

#include <string.h>

#include "common/ms-error.h"
#include "text/ms-shard.h"

static char *
path_in_tmp (const char *name)
{
  return g_build_filename (ms_test_tmpdir (), name, NULL);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  guint n = 0;
  while (g_dir_read_name (d))
    n++;
  return n;
}

static void
test_layout (void)
{
  g_autofree char *dir = text_test_newdir ("layout");
  g_autofree char *path = g_build_filename (dir, "a.bin", NULL);
  guint32 tokens[] = { 0, 1, 50256, 65535, 258 };
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_shard_write (path, tokens, 5, &error));
  g_assert_no_error (error);
  g_autofree guint8 *data = NULL;
  gsize len;
  g_file_get_contents (path, (char **) &data, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 1024 + 10);
  guint8 want_head[12] = { 0x88, 0xD8, 0x34, 0x01,  /* 20240520 = 0x0134D888 */
                           1, 0, 0, 0, 5, 0, 0, 0 };
  g_assert_cmpmem (data, 12, want_head, 12);
  for (gsize i = 12; i < 1024; i++)
    g_assert_cmpuint (data[i], ==, 0);
  guint8 want_tokens[10] = { 0, 0, 1, 0, 0x50, 0xC4, 0xFF, 0xFF, 0x02, 0x01 };
  g_assert_cmpmem (data + 1024, 10, want_tokens, 10);
  g_assert_cmpuint (count_entries (dir), ==, 1);  /* no temporary file left */

  gsize n = 0;
  g_autofree guint16 *back = ms_shard_read (path, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (back[i], ==, tokens[i]);
}

static void
test_roundtrip (void)
{
  g_autofree char *path = path_in_tmp ("big.bin");
  MsTestRng rng = { 3 };
  gsize n = 100003;
  g_autofree guint32 *tokens = g_new (guint32, n);
  for (gsize i = 0; i < n; i++)
    tokens[i] = ms_test_rng_u64 (&rng) % 65536;
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_shard_write (path, tokens, n, &error));
  gsize got_n;
  g_autofree guint16 *got = ms_shard_read (path, &got_n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got_n, ==, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpuint (got[i], ==, tokens[i]);
  /* Overwrite with an empty shard. */
  g_assert_true (ms_shard_write (path, NULL, 0, &error));
  g_autofree guint16 *none = ms_shard_read (path, &got_n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got_n, ==, 0);
}

static void
test_write_bad (void)
{
  g_autofree char *dir = text_test_newdir ("write-bad");
  g_autofree char *path = g_build_filename (dir, "x.bin", NULL);
  guint32 tokens[] = { 5, 65536 };
  GError *error = NULL;
  g_assert_false (ms_shard_write (path, tokens, 2, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_INVALID, "x.bin", "65536", "position 1",
                          NULL);
  g_assert_cmpuint (count_entries (dir), ==, 0);

  /* An existing shard survives a failed write. */
  g_assert_true (ms_shard_write (path, tokens, 1, &error));
  g_assert_false (ms_shard_write (path, tokens, 2, &error));
  g_clear_error (&error);
  gsize n;
  g_autofree guint16 *old = ms_shard_read (path, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  g_autofree char *nodir = g_build_filename (dir, "missing", "x.bin", NULL);
  g_assert_false (ms_shard_write (nodir, tokens, 1, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_IO, "missing", NULL);
}

/* Writes a shard by hand: the header's first fields, TOKEN_BYTES zero bytes after it, and
 * only the first TOTAL bytes of that when TOTAL >= 0. */
static char *
write_raw (const char *name, gint32 magic, gint32 version, gint32 count, gsize token_bytes,
           gssize total)
{
  gsize size = 1024 + token_bytes;
  g_autofree guint8 *data = g_malloc0 (size);
  gint32 head[3] = { GINT32_TO_LE (magic), GINT32_TO_LE (version), GINT32_TO_LE (count) };
  memcpy (data, head, sizeof head);
  char *path = path_in_tmp (name);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, (char *) data, total >= 0 ? (gsize) total : size, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_read_bad (void)
{
  GError *error = NULL;
  gsize n;
  g_assert_null (ms_shard_read ("/nonexistent/shard.bin", &n, &error));
  text_test_assert_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "/nonexistent/shard.bin",
                          NULL);

  g_autofree char *empty = write_raw ("empty.bin", 0, 0, 0, 0, 0);
  g_assert_null (ms_shard_read (empty, &n, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "empty.bin", "truncated", NULL);

  g_autofree char *head = write_raw ("head.bin", MS_SHARD_MAGIC, 1, 0, 0, 1000);
  g_assert_null (ms_shard_read (head, &n, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "head.bin", "truncated", "1000",
                          NULL);

  g_autofree char *magic = write_raw ("magic.bin", 20240801, 1, 2, 4, -1);
  g_assert_null (ms_shard_read (magic, &n, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "magic.bin", "magic 20240801",
                          NULL);

  g_autofree char *version = write_raw ("version.bin", MS_SHARD_MAGIC, 2, 2, 8, -1);
  g_assert_null (ms_shard_read (version, &n, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "version.bin", "version 2", NULL);

  g_autofree char *cut = write_raw ("cut.bin", MS_SHARD_MAGIC, 1, 10, 19, -1);
  g_assert_null (ms_shard_read (cut, &n, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "cut.bin", "10 tokens", "19 bytes",
                          "truncated", NULL);

  g_autofree char *extra = write_raw ("extra.bin", MS_SHARD_MAGIC, 1, 10, 22, -1);
  g_assert_null (ms_shard_read (extra, &n, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "extra.bin", "10 tokens",
                          "22 bytes", NULL);

  g_autofree char *neg = write_raw ("negative.bin", MS_SHARD_MAGIC, 1, -4, 0, -1);
  g_assert_null (ms_shard_read (neg, &n, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_FORMAT, "negative.bin", "-4 tokens", NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/shard/layout", test_layout);
  g_test_add_func ("/text/shard/roundtrip", test_roundtrip);
  g_test_add_func ("/text/shard/write-bad", test_write_bad);
  g_test_add_func ("/text/shard/read-bad", test_read_bad);
  return ms_test_run ();
}
