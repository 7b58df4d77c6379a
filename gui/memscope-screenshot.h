/* The snapshot option: once the window shows its study, render the window into a texture (the
 * window's own GSK renderer), save it as PNG, print where the charts and tables are, and quit. */
#pragma once

#include "memscope-window.h"

G_BEGIN_DECLS

/* Saves WINDOW as PATH when it is ready; prints "title", "view" and one line per chart
 * ("chart X Y W H"), table ("table …") and empty-state page ("empty …") on stdout, then quits
 * the application with status 0, or 1 on failure (also after TIMEOUT_S seconds). */
void memscope_screenshot_when_ready (MemscopeWindow *window, const char *view, const char *path,
                                     guint timeout_s);

G_END_DECLS
