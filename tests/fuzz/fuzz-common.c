/* What every harness shares: a scratch folder, writing an input there, splitting it in two. */
#include "fuzz.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

static char *scratch;
static GHashTable *paths;

static void
remove_scratch (void)
{
  if (scratch)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", scratch);
      if (system (cmd) != 0)
        g_printerr ("fuzz: could not remove %s\n", scratch);
    }
}

/* A GLib critical or error is a bug the fuzzer must see as a crash: abort (), which libFuzzer
 * catches and saves the input for, not the SIGTRAP of G_BREAKPOINT, which it does not. */
static void
log_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer user)
{
  g_log_default_handler (domain, level, message, user);
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    abort ();
}

const char *
fuzz_dir (void)
{
  if (scratch == NULL)
    {
      g_log_set_default_handler (log_handler, NULL);
      g_autoptr (GError) error = NULL;
      scratch = g_dir_make_tmp ("memscope-fuzz-XXXXXX", &error);
      if (scratch == NULL)
        g_error ("fuzz: no scratch folder: %s", error->message);
      paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      atexit (remove_scratch);
    }
  return scratch;
}

const char *
fuzz_write (const char *name, const uint8_t *data, size_t size)
{
  char *path = g_hash_table_lookup (paths ? paths : (fuzz_dir (), paths), name);
  if (path == NULL)
    {
      path = g_build_filename (fuzz_dir (), name, NULL);
      g_autofree char *parent = g_path_get_dirname (path);
      g_mkdir_with_parents (parent, 0700);
      g_hash_table_insert (paths, g_strdup (name), path);
    }
  /* Written in place, without the fsync and rename of g_file_set_contents: thousands a
   * second. */
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    g_error ("fuzz: %s: %s", path, g_strerror (errno));
  for (size_t done = 0; done < size;)
    {
      ssize_t w = write (fd, data + done, size - done);
      if (w < 0 && errno != EINTR)
        g_error ("fuzz: %s: %s", path, g_strerror (errno));
      done += w > 0 ? (size_t) w : 0;
    }
  close (fd);
  return path;
}

void
fuzz_split (const uint8_t *data, size_t size, const uint8_t **a, size_t *a_size,
            const uint8_t **b, size_t *b_size)
{
  const uint8_t *nul = size ? memchr (data, 0, size) : NULL;
  *a = data;
  *a_size = nul ? (size_t) (nul - data) : size;
  *b = nul ? nul + 1 : data + size;
  *b_size = nul ? size - *a_size - 1 : 0;
}
