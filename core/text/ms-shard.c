/* Reading and writing llm.c token shards. Writes go to a temporary file that is renamed into
 * place, so a reader never sees half a shard. */
#include "text/ms-shard.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ms-error.h"

#define HEADER_BYTES (MS_SHARD_HEADER_INTS * sizeof (gint32))

static gboolean
io_error (GError **error, const char *path, const char *what, int err)
{
  g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: %s: %s", path, what, g_strerror (err));
  return FALSE;
}

gboolean
ms_shard_write (const char *path, const guint32 *tokens, gsize n, GError **error)
{
  if (n > G_MAXINT32)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: %zu tokens do not fit one shard (at most %d)", path, n, G_MAXINT32);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    if (tokens[i] > MS_SHARD_MAX_TOKEN)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "%s: token %u at position %zu does not fit a uint16 shard (vocabulary "
                     "above 65536)", path, tokens[i], i);
        return FALSE;
      }

  g_autofree char *tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  int fd = g_mkstemp (tmp);
  if (fd < 0)
    return io_error (error, path, "cannot create a temporary file beside it", errno);
  FILE *f = fdopen (fd, "wb");
  if (f == NULL)
    {
      int err = errno;
      close (fd);
      g_unlink (tmp);
      return io_error (error, tmp, "cannot open", err);
    }
  gint32 header[MS_SHARD_HEADER_INTS] = { 0 };
  header[0] = GINT32_TO_LE (MS_SHARD_MAGIC);
  header[1] = GINT32_TO_LE (MS_SHARD_VERSION);
  header[2] = GINT32_TO_LE ((gint32) n);
  int err = 0;
  gboolean ok = fwrite (header, sizeof header, 1, f) == 1;
  guint16 buf[4096];
  for (gsize i = 0; ok && i < n; i += G_N_ELEMENTS (buf))
    {
      gsize m = MIN (G_N_ELEMENTS (buf), n - i);
      for (gsize k = 0; k < m; k++)
        buf[k] = GUINT16_TO_LE ((guint16) tokens[i + k]);
      ok = fwrite (buf, sizeof (guint16), m, f) == m;
    }
  if (!ok)
    err = errno;
  if (ok && (fflush (f) != 0 || fsync (fileno (f)) != 0 || fchmod (fileno (f), 0644) != 0))
    {
      ok = FALSE;
      err = errno;
    }
  if (fclose (f) != 0 && ok)
    {
      ok = FALSE;
      err = errno;
    }
  if (ok && g_rename (tmp, path) != 0)
    {
      ok = FALSE;
      err = errno;
    }
  if (!ok)
    {
      g_unlink (tmp);
      return io_error (error, path, "cannot write the shard", err);
    }
  return TRUE;
}

guint16 *
ms_shard_read (const char *path, gsize *n, GError **error)
{
  g_autoptr (GMappedFile) f = g_mapped_file_new (path, FALSE, error);
  if (f == NULL)
    return NULL;
  gsize size = g_mapped_file_get_length (f);
  const char *data = g_mapped_file_get_contents (f);
  if (size < HEADER_BYTES)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: truncated: %zu bytes, an llm.c token shard starts with a %zu-byte "
                   "header", path, size, (gsize) HEADER_BYTES);
      return NULL;
    }
  gint32 header[3];
  memcpy (header, data, sizeof header);
  gint32 magic = GINT32_FROM_LE (header[0]), version = GINT32_FROM_LE (header[1]);
  gint32 count = GINT32_FROM_LE (header[2]);
  if (magic != MS_SHARD_MAGIC)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: not an llm.c token shard: magic %d, expected %d", path, magic,
                   MS_SHARD_MAGIC);
      return NULL;
    }
  if (version != MS_SHARD_VERSION)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: token shard version %d, only version %d (uint16 tokens) is supported",
                   path, version, MS_SHARD_VERSION);
      return NULL;
    }
  if (count < 0 || (size - HEADER_BYTES) != (gsize) count * sizeof (guint16))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: the header says %d tokens (%" G_GUINT64_FORMAT " bytes) but %zu bytes "
                   "follow it%s", path, count, (guint64) MAX (count, 0) * 2, size - HEADER_BYTES,
                   (size - HEADER_BYTES) < (gsize) MAX (count, 0) * 2 ? " (truncated)" : "");
      return NULL;
    }
  guint16 *tokens = g_new (guint16, MAX (count, 1));
  memcpy (tokens, data + HEADER_BYTES, (gsize) count * sizeof (guint16));
  for (gint32 i = 0; i < count; i++)
    tokens[i] = GUINT16_FROM_LE (tokens[i]);
  *n = count;
  return tokens;
}
