/* Training batches from tokenized examples: rows of T tokens packed with whole examples in the
 * mixer's order, next-token targets that never cross an example, and the loss mask
 * (response-only or whole sequence). Also a sequential mode for evaluation. */
#pragma once

#include <glib.h>

#include "text/ms-dataset.h"
#include "train/ms-mixer.h"

G_BEGIN_DECLS

typedef struct _MsBatcher MsBatcher;

/* A batcher over EXAMPLES[i] (a GArray of MsExample for task i; the batcher takes a reference,
 * so release yours with g_array_unref, not g_array_free, and do not change the examples while
 * the batcher lives) drawing from MIXER, which the batcher takes over
 * and frees (also when this fails). Each row of a (B, T) batch is filled with whole examples
 * back to back; an example that does not fit in the rest of a row starts the next row (the
 * rest is padding: token EOT, target -1, task -1). Examples longer than T never fit: they are
 * skipped (ms_batcher_skipped). Targets: tokens[t+1] of the same example; an example's last
 * position (its EOT) has target -1. RESPONSE_ONLY keeps only the targets that are output
 * tokens or the final EOT. Fails (MS_ERROR_INVALID) on bad sizes, a mixer that does not match
 * the examples, or a task with a positive rate none of whose examples fits in T. */
MsBatcher *ms_batcher_new (GArray **examples, int n_tasks, MsMixer *mixer, int B, int T,
                           gboolean response_only, int eot, GError **error);
/* For evaluation: every example of EXAMPLES[0], then of EXAMPLES[1], ..., once, in order. */
MsBatcher *ms_batcher_new_sequential (GArray **examples, int n_tasks, int B, int T,
                                      gboolean response_only, int eot, GError **error);
void ms_batcher_free (MsBatcher *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsBatcher, ms_batcher_free)

/* Packing (the default) puts as many examples in a row as fit; without it each row holds one
 * example and padding. Set it before the first batch. */
void ms_batcher_set_packing (MsBatcher *b, gboolean pack);

/* Fills TOKENS, TARGETS and TASK_OF (each (B, T); TASK_OF may be NULL) with the next batch and
 * returns the number of examples in it. Sequential mode: returns 0 (and padding) when every
 * example has been given. */
int ms_batcher_next (MsBatcher *b, int *tokens, int *targets, int *task_of);
/* The same, and EXAMPLE_OF (B, T; may be NULL) receives the index of each position's example
 * within its task's array (-1 for padding), for per-example losses. */
int ms_batcher_next_full (MsBatcher *b, int *tokens, int *targets, int *task_of,
                          int *example_of);

int ms_batcher_B (const MsBatcher *b);
int ms_batcher_T (const MsBatcher *b);
/* The mixer (NULL in sequential mode), owned by the batcher. */
MsMixer *ms_batcher_mixer (MsBatcher *b);
/* Per task: targets emitted that are not ignored (the tokens the loss is taken over). */
const guint64 *ms_batcher_tokens_trained (const MsBatcher *b);
/* Per task: examples put into batches. */
const guint64 *ms_batcher_examples (const MsBatcher *b);
/* Per task: distinct examples longer than T, which are never used. */
const guint64 *ms_batcher_skipped (const MsBatcher *b);

/* The state (the mixer's state or the sequential cursor, the example carried over to the next
 * row, and the counters) as bytes, and back; the stream then continues exactly as if never
 * interrupted. B may differ on restore; T, the masking, packing, EOT and the examples must
 * not (MS_ERROR_MISMATCH); bytes that are not a batcher state give MS_ERROR_FORMAT. */
GBytes *ms_batcher_save_state (const MsBatcher *b);
gboolean ms_batcher_restore_state (MsBatcher *b, GBytes *state, GError **error);

G_END_DECLS
