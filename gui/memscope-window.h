/* The main window: a header bar with the view switcher, a sidebar with the store's studies and
 * the chosen study's runs, and the views. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MEMSCOPE_TYPE_WINDOW (memscope_window_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeWindow, memscope_window, MEMSCOPE, WINDOW, AdwApplicationWindow)

/* View names, in switcher order: "overview", "samples", "attention", "sparse", "membership",
 * "compare", "run". */
extern const char *const memscope_view_names[];

MemscopeWindow *memscope_window_new (GtkApplication *app);
/* Opens the store at PATH (NULL: ms_store_default_path ()) and shows STUDY (NULL: the first). */
void memscope_window_open_store (MemscopeWindow *self, const char *path, const char *study);
/* FALSE when NAME is not a view. */
gboolean memscope_window_set_view (MemscopeWindow *self, const char *name);
GtkWidget *memscope_window_get_view (MemscopeWindow *self, const char *name);
/* TRUE once the chosen study (or the lack of one) is shown in full; "ready" is emitted then. */
gboolean memscope_window_is_ready (MemscopeWindow *self);

G_END_DECLS
