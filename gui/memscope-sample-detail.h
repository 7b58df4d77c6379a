/* The samples view's detail pane: one generation's prompt, true continuation and generated
 * text, with the longest run they share highlighted, and its scores. */
#pragma once

#include <gtk/gtk.h>

#include "store/ms-store.h"

G_BEGIN_DECLS

GtkWidget *memscope_sample_detail_new (void);
/* Shows the generation GENERATION_ID of STORE (0: nothing selected). */
void memscope_sample_detail_show (GtkWidget *detail, MsStore *store, gint64 generation_id);

G_END_DECLS
