/* Writes every example chart in the light and the dark theme to a folder, to look at:
 *   build/tests/plot/plot-gallery [FOLDER]   (default: plot-gallery)
 * PNG at the example's size and at twice that, plus SVG and PDF of the light theme. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "plot-examples.h"

int
main (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "plot-gallery";
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      fprintf (stderr, "plot-gallery: cannot create %s\n", dir);
      return 1;
    }
  int n;
  const MsPlotExample *ex = ms_plot_examples (&n);
  static const struct { const char *name, *ext; double zoom; gboolean dark; } outs[] = {
    { "light", "png", 1, FALSE }, { "dark", "png", 1, TRUE }, { "light@2x", "png", 2, FALSE },
    { "light", "svg", 1, FALSE }, { "light", "pdf", 1, FALSE },
  };
  int written = 0;
  for (int i = 0; i < n; i++)
    for (gsize k = 0; k < G_N_ELEMENTS (outs); k++)
      {
        g_autofree char *file = g_strdup_printf ("%s-%s.%s", ex[i].name, outs[k].name,
                                                 outs[k].ext);
        g_autofree char *path = g_build_filename (dir, file, NULL);
        g_autoptr (GError) error = NULL;
        const MsPlotTheme *theme = outs[k].dark ? ms_plot_theme_dark () : ms_plot_theme_light ();
        if (!ms_plot_save (path, ex[i].width * outs[k].zoom, ex[i].height * outs[k].zoom,
                           ex[i].kind, ex[i].chart, theme, &error))
          {
            fprintf (stderr, "plot-gallery: %s\n", error->message);
            return 1;
          }
        written++;
      }
  printf ("plot-gallery: wrote %d files to %s\n", written, dir);
  return 0;
}
