/* The application object: options (--store, --study, --view, --screenshot, --size), the
 * actions with their keyboard shortcuts, and the about window. */
#include "memscope-application.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "memscope-screenshot.h"
#include "memscope-window.h"
#include "ms-config.h"

struct _MemscopeApplication {
  AdwApplication parent;
  char *store, *study, *view, *screenshot, *size;
};

G_DEFINE_FINAL_TYPE (MemscopeApplication, memscope_application, ADW_TYPE_APPLICATION)

static int
memscope_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  MemscopeApplication *self = MEMSCOPE_APPLICATION (app);
  if (g_variant_dict_contains (options, "version"))
    {
      printf ("memscope-gtk %s\n", MS_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "store", "^ay", &self->store);
  g_variant_dict_lookup (options, "study", "s", &self->study);
  g_variant_dict_lookup (options, "view", "s", &self->view);
  g_variant_dict_lookup (options, "screenshot", "^ay", &self->screenshot);
  g_variant_dict_lookup (options, "size", "s", &self->size);
  if (self->view != NULL)
    {
      gboolean known = FALSE;
      for (int i = 0; memscope_view_names[i] != NULL; i++)
        known |= g_strcmp0 (memscope_view_names[i], self->view) == 0;
      if (!known)
        {
          g_autofree char *names = g_strjoinv (", ", (char **) memscope_view_names);
          g_printerr (_("memscope-gtk: unknown view “%s” (views: %s)\n"), self->view, names);
          return 2;
        }
    }
  /* A screenshot is a separate process that must not hand its work to a running instance,
   * and neither must a window asked for a given store. */
  if (self->screenshot != NULL || self->store != NULL)
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
  return -1;
}

static void
memscope_application_activate (GApplication *app)
{
  MemscopeApplication *self = MEMSCOPE_APPLICATION (app);
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (active != NULL)
    {
      gtk_window_present (active);
      return;
    }
  MemscopeWindow *win = memscope_window_new (GTK_APPLICATION (app));
  int w = 0, h = 0;
  if (self->size != NULL && sscanf (self->size, "%dx%d", &w, &h) == 2 && w > 100 && h > 100)
    gtk_window_set_default_size (GTK_WINDOW (win), w, h);
  if (self->view != NULL)
    memscope_window_set_view (win, self->view);
  if (self->screenshot != NULL)
    {
      /* A still image: no transition may be caught half-way. */
      g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
    }
  if (self->screenshot != NULL)
    memscope_screenshot_when_ready (win, self->view != NULL ? self->view : "overview",
                                    self->screenshot, 60);
  gtk_window_present (GTK_WINDOW (win));
  memscope_window_open_store (win, self->store, self->study);
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer user)
{
  g_application_quit (G_APPLICATION (user));
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer user)
{
  GtkApplication *app = GTK_APPLICATION (user);
  GtkWidget *about = adw_about_window_new ();
  gtk_window_set_transient_for (GTK_WINDOW (about), gtk_application_get_active_window (app));
  adw_about_window_set_application_name (ADW_ABOUT_WINDOW (about), _("Memscope"));
  adw_about_window_set_application_icon (ADW_ABOUT_WINDOW (about), MS_APP_ID);
  adw_about_window_set_version (ADW_ABOUT_WINDOW (about), MS_VERSION);
  adw_about_window_set_developer_name (ADW_ABOUT_WINDOW (about), _("The memscope authors"));
  adw_about_window_set_comments (ADW_ABOUT_WINDOW (about),
                                 _("How much of their fine-tuning data do language models "
                                   "memorize, task by task, and does multi-task fine-tuning "
                                   "help? Memscope fine-tunes GPT-2 models on any OpenCL device, "
                                   "probes them for memorized training text and shows the "
                                   "results."));
  adw_about_window_set_license_type (ADW_ABOUT_WINDOW (about), GTK_LICENSE_MIT_X11);
  /* TRANSLATORS: your name, shown in the about window */
  adw_about_window_set_translator_credits (ADW_ABOUT_WINDOW (about), _("translator-credits"));
  gtk_window_present (GTK_WINDOW (about));
}

static void
memscope_application_startup (GApplication *app)
{
  G_APPLICATION_CLASS (memscope_application_parent_class)->startup (app);
  static const GActionEntry entries[] = {
    { "quit", quit_action, NULL, NULL, NULL, { 0 } },
    { "about", about_action, NULL, NULL, NULL, { 0 } },
  };
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  GtkApplication *gapp = GTK_APPLICATION (app);
  gtk_application_set_accels_for_action (gapp, "app.quit", (const char *[]) { "<Ctrl>q", NULL });
  gtk_application_set_accels_for_action (gapp, "window.close",
                                         (const char *[]) { "<Ctrl>w", NULL });
  gtk_application_set_accels_for_action (gapp, "win.show-help-overlay",
                                         (const char *[]) { "<Ctrl>question", "F1", NULL });
}

static void
memscope_application_finalize (GObject *object)
{
  MemscopeApplication *self = MEMSCOPE_APPLICATION (object);
  g_free (self->store);
  g_free (self->study);
  g_free (self->view);
  g_free (self->screenshot);
  g_free (self->size);
  G_OBJECT_CLASS (memscope_application_parent_class)->finalize (object);
}

static void
memscope_application_class_init (MemscopeApplicationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = memscope_application_finalize;
  G_APPLICATION_CLASS (klass)->handle_local_options = memscope_application_handle_local_options;
  G_APPLICATION_CLASS (klass)->activate = memscope_application_activate;
  G_APPLICATION_CLASS (klass)->startup = memscope_application_startup;
}

static void
memscope_application_init (MemscopeApplication *self)
{
  static const GOptionEntry options[] = {
    { "store", 's', 0, G_OPTION_ARG_FILENAME, NULL,
      N_("The results store to open (default: $MEMSCOPE_STORE or memscope.sqlite)"),
      N_("FILE") },
    { "study", 0, 0, G_OPTION_ARG_STRING, NULL, N_("The study to show first"), N_("NAME") },
    { "view", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The view to show: overview, samples, attention, sparse, membership, compare, run"),
      N_("VIEW") },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Save the window as a PNG image once the study is shown, then quit"), N_("FILE") },
    { "size", 0, 0, G_OPTION_ARG_STRING, NULL, N_("The window size (default 1200x800)"),
      N_("WxH") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and quit"), NULL },
    { NULL },
  };
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Explore memorization studies of fine-tuned "
                                              "language models."));
}

MemscopeApplication *
memscope_application_new (void)
{
  return g_object_new (MEMSCOPE_TYPE_APPLICATION, "application-id", MS_APP_ID,
                       "resource-base-path", "/org/memscope/Memscope",
                       "flags", G_APPLICATION_DEFAULT_FLAGS, NULL);
}
