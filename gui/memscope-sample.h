/* One probed sample of the samples table: a row of the store's results view as a GObject, so
 * that GtkColumnView can sort it by property. */
#pragma once

#include <glib-object.h>

#include "store/ms-store.h"

G_BEGIN_DECLS

#define MEMSCOPE_TYPE_SAMPLE (memscope_sample_get_type ())
G_DECLARE_FINAL_TYPE (MemscopeSample, memscope_sample, MEMSCOPE, SAMPLE, GObject)

struct _MemscopeSample {
  GObject parent;
  char *run, *task, *split, *probe, *record;
  gint64 generation_id, output_tokens;
  MsStoreScores scores;
};

MemscopeSample *memscope_sample_new (const MsStoreResult *row);
/* Flagged by any measure (exact, verbatim, paraphrase or idea). */
gboolean memscope_sample_is_memorized (const MemscopeSample *self);
/* The strongest category, translated: "Exact", "Verbatim", "Paraphrase", "Idea" or "—". */
const char *memscope_sample_category (const MemscopeSample *self);
/* "Training" / "Held-out", translated. */
const char *memscope_split_label (const char *split);

G_END_DECLS
