/* memscope gui: opens the desktop app (memscope-gtk) with the same arguments. The app is looked
 * for beside this binary first (the build tree, or the same bin folder), then on $PATH. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ms-cli.h"

int
ms_cmd_gui (int argc, char **argv)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self != NULL ? g_path_get_dirname (self) : NULL;
  g_autofree char *beside = NULL;
  if (dir != NULL)
    {
      /* Installed: bin/memscope-gtk; build tree: cli/memscope and gui/memscope-gtk. */
      beside = g_build_filename (dir, "memscope-gtk", NULL);
      if (!g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
        {
          g_free (beside);
          beside = g_build_filename (dir, "..", "gui", "memscope-gtk", NULL);
        }
    }
  g_autofree char *path = beside != NULL && g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE)
                          ? g_strdup (beside) : g_find_program_in_path ("memscope-gtk");
  if (path == NULL)
    return ms_cli_usage ("gui", "memscope-gtk is not installed (memscope was built without "
                         "GTK 4 and libadwaita)");
  /* argv[0] is "gui"; the app gets its own name and the rest of the arguments. */
  char **args = g_new0 (char *, argc + 1);
  args[0] = path;
  for (int i = 1; i < argc; i++)
    args[i] = argv[i];
  execv (path, args);
  int e = errno;
  g_printerr ("memscope gui: cannot run %s: %s\n", path, g_strerror (e));
  g_free (args);
  return 1;
}
