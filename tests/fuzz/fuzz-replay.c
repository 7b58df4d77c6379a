/* main () for a harness built without libFuzzer: runs every file named on the command line, or
 * held in a folder named there, through LLVMFuzzerTestOneInput once. A crash is the test's
 * failure; the seed corpus and every input that once crashed are replayed this way. */
#include "fuzz.h"

#include <stdio.h>

static int
by_name (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static int
replay (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &data, &len, &error))
    {
      g_printerr ("fuzz-replay: %s\n", error->message);
      return 1;
    }
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  return 0;
}

int
main (int argc, char **argv)
{
  int n = 0, bad = 0;
  for (int i = 1; i < argc; i++)
    {
      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          bad += replay (argv[i]);
          n++;
          continue;
        }
      g_autoptr (GDir) dir = g_dir_open (argv[i], 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      for (const char *name; dir && (name = g_dir_read_name (dir));)
        g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
      g_ptr_array_sort (names, by_name);
      for (guint j = 0; j < names->len; j++)
        {
          bad += replay (names->pdata[j]);
          n++;
        }
    }
  printf ("fuzz-replay: %d inputs, %d unreadable\n", n, bad);
  return bad || n == 0;
}
