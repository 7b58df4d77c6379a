/* The multi-task mixer: which task, and which of its examples, comes next in a fine-tuning
 * stream. Task rates follow T5 (Raffel et al. 2020, section 3.5.2): examples-proportional with
 * a cap, temperature-scaled, equal, or explicit weights. A single-task run is a mixer with one
 * task. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MS_MIXER_PROPORTIONAL,  /* r_i ∝ min(n_i, K) (K = cap; 0 = no cap) */
  MS_MIXER_TEMPERATURE,   /* r_i ∝ min(n_i, K)^(1/T): T = 1 proportional, T -> inf equal */
  MS_MIXER_EQUAL,         /* r_i = 1/N */
  MS_MIXER_WEIGHTS,       /* r_i ∝ w_i (nonnegative, finite, not all zero) */
} MsMixerStrategy;

typedef struct {
  MsMixerStrategy strategy;
  double temperature;     /* MS_MIXER_TEMPERATURE only; > 0 and finite */
  gsize cap;              /* MS_MIXER_PROPORTIONAL and _TEMPERATURE; 0 = no cap */
  const double *weights;  /* MS_MIXER_WEIGHTS only: one per task (copied) */
} MsMixerConfig;

typedef struct _MsMixer MsMixer;

/* A mixer over N_TASKS tasks of SIZES[i] >= 1 examples. Randomness: task draws come from a
 * xoshiro256** generator seeded through splitmix64 from SEED; the order of task i's examples
 * in its epoch e is a Fisher-Yates shuffle of 0..n_i-1 by a xoshiro256** generator seeded
 * from (SEED, i, e) alone, so it does not depend on how the tasks interleave. Errors:
 * MS_ERROR_INVALID for a bad configuration. */
MsMixer *ms_mixer_new (const MsMixerConfig *cfg, const gsize *sizes, int n_tasks, guint64 seed,
                       GError **error);
void ms_mixer_free (MsMixer *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsMixer, ms_mixer_free)

int ms_mixer_n_tasks (const MsMixer *m);
const gsize *ms_mixer_sizes (const MsMixer *m);
/* The sampling rate of each task (they sum to 1). */
const double *ms_mixer_rates (const MsMixer *m);
/* The next example: a task drawn by the rates, then that task's next example index in its
 * own order (a fresh permutation each epoch: every example once per epoch of its task). */
void ms_mixer_next (MsMixer *m, int *task, gsize *index);
/* Examples drawn per task so far. */
const guint64 *ms_mixer_counts (const MsMixer *m);
/* Completed passes over TASK's examples (counts[task] / n_task, rounded down). */
guint64 ms_mixer_epochs (const MsMixer *m, int task);

/* The whole state (configuration, seed, generator, per-task cursors, epochs and counts) as
 * bytes, and back: after a restore the stream continues exactly as if never interrupted.
 * Restoring fails with MS_ERROR_MISMATCH when the task count, sizes, configuration or seed
 * differ, MS_ERROR_FORMAT when the bytes are not a mixer state; M is unchanged then. */
GBytes *ms_mixer_save_state (const MsMixer *m);
gboolean ms_mixer_restore_state (MsMixer *m, GBytes *state, GError **error);

/* "proportional", "temperature", "equal", "weights". */
gboolean ms_mixer_strategy_parse (const char *text, MsMixerStrategy *s, GError **error);
const char *ms_mixer_strategy_name (MsMixerStrategy s);

G_END_DECLS
