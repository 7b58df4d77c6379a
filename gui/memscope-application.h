/* The application: command-line options, actions and their shortcuts, the about window, and the
 * headless screenshot mode the tests and the committed screenshots use. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define MEMSCOPE_TYPE_APPLICATION (memscope_application_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeApplication, memscope_application, MEMSCOPE, APPLICATION,
                      AdwApplication)

MemscopeApplication *memscope_application_new (void);

G_END_DECLS
