/* memscope-gtk: the desktop app over memscope's results store. Sets up the locale and the
 * message catalogue (the build tree's when run uninstalled) and runs the application. */
#include <glib/gi18n.h>
#include <locale.h>

#include "memscope-application.h"
#include "ms-config.h"

/* The catalogue folder: the build tree's po/ when this binary is the one in the build tree,
 * so that a translation can be tried without installing. */
static const char *
locale_dir (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  if (self != NULL && g_str_has_prefix (self, MS_BUILD_ROOT "/"))
    return MS_BUILD_LOCALEDIR;
  return MS_LOCALEDIR;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Numbers in specs and stores are read with '.' whatever the language. */
  setlocale (LC_NUMERIC, "C");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("Memscope"));

  g_autoptr (MemscopeApplication) app = memscope_application_new ();
  int status = g_application_run (G_APPLICATION (app), argc, argv);
  int shot = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (app), "memscope-exit-status"));
  return status != 0 ? status : shot;
}
