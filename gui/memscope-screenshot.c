/* Headless screenshots of a view: the tests render each view under Xvfb and count the chart's
 * pixels, and gui/screenshots/ is made the same way. */
#include "memscope-screenshot.h"

#include <stdio.h>

#include "memscope-chart.h"

typedef struct {
  MemscopeWindow *window;
  char *view, *path;
  int frames;
  guint timeout_id;
  gboolean done;
} Shot;

static void
finish (Shot *shot, int status)
{
  if (shot->done)
    return;
  shot->done = TRUE;
  g_clear_handle_id (&shot->timeout_id, g_source_remove);
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (shot->window)));
  if (status != 0)
    fprintf (stderr, "memscope-gtk: the screenshot failed\n");
  g_object_set_data (G_OBJECT (app), "memscope-exit-status", GINT_TO_POINTER (status));
  gtk_window_destroy (GTK_WINDOW (shot->window));
}

/* Where each chart, table and empty-state page of the visible view is, in window pixels. */
static void
print_regions (GtkWidget *root, GtkWidget *w)
{
  if (!gtk_widget_get_mapped (w))
    return;
  const char *what = MEMSCOPE_IS_CHART (w) ? "chart" : GTK_IS_COLUMN_VIEW (w) ? "table"
                     : ADW_IS_STATUS_PAGE (w) ? "empty" : NULL;
  if (what != NULL)
    {
      graphene_rect_t b;
      if (gtk_widget_compute_bounds (w, root, &b))
        printf ("%s %.0f %.0f %.0f %.0f\n", what, b.origin.x, b.origin.y, b.size.width,
                b.size.height);
      if (!ADW_IS_STATUS_PAGE (w))
        return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    print_regions (root, c);
}

static gboolean
take (GtkWidget *widget, GdkFrameClock *clock, gpointer user)
{
  Shot *shot = user;
  /* A few frames after the study is shown, so that every view has laid out and drawn. */
  if (!memscope_window_is_ready (shot->window) || ++shot->frames < 4)
    return G_SOURCE_CONTINUE;
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (widget));
  if (w <= 0 || h <= 0 || renderer == NULL)
    return G_SOURCE_CONTINUE;
  GdkPaintable *paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snap = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snap, w, h);
  GskRenderNode *node = gtk_snapshot_free_to_node (snap);
  g_object_unref (paintable);
  /* Nothing drawn yet (the window is still being mapped): wait for a later frame. */
  if (node == NULL)
    return G_SOURCE_CONTINUE;
  GdkTexture *texture = gsk_renderer_render_texture (renderer, node,
                                                     &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);
  gboolean ok = texture != NULL && gdk_texture_save_to_png (texture, shot->path);
  if (!ok)
    fprintf (stderr, "memscope-gtk: could not write %s (%d × %d)\n", shot->path, w, h);
  g_clear_object (&texture);
  if (ok)
    {
      printf ("title %s\n", gtk_window_get_title (GTK_WINDOW (widget)));
      printf ("view %s\n", shot->view);
      printf ("size %d %d\n", w, h);
      print_regions (widget, memscope_window_get_view (shot->window, shot->view));
      fflush (stdout);
    }
  finish (shot, ok ? 0 : 1);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer user)
{
  Shot *shot = user;
  shot->timeout_id = 0;
  fprintf (stderr, "memscope-gtk: the study was not shown within the time limit\n");
  finish (shot, 1);
  return G_SOURCE_REMOVE;
}

static void
shot_free (gpointer data)
{
  Shot *shot = data;
  g_clear_handle_id (&shot->timeout_id, g_source_remove);
  g_free (shot->view);
  g_free (shot->path);
  g_free (shot);
}

void
memscope_screenshot_when_ready (MemscopeWindow *window, const char *view, const char *path,
                                guint timeout_s)
{
  Shot *shot = g_new0 (Shot, 1);
  shot->window = window;
  shot->view = g_strdup (view);
  shot->path = g_strdup (path);
  g_object_set_data_full (G_OBJECT (window), "memscope-shot", shot, shot_free);
  shot->timeout_id = g_timeout_add_seconds (timeout_s, on_timeout, shot);
  gtk_widget_add_tick_callback (GTK_WIDGET (window), take, shot, NULL);
}
