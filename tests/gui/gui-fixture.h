/* A small study written with the store API for the app's tests: two tasks, a base model, two
 * single-task runs and a mixture, probed on training and held-out samples with both probes,
 * with scores that differ by run and task, training curves, and the analyses (membership
 * scores, attention statistics and maps, sparse codes, canaries). */
#pragma once

#include "store/ms-store.h"

/* Writes the study "quick" to a new store at PATH, and the same study without analyses as
 * "bare"; FALSE with ERROR on failure. */
gboolean gui_fixture_write (const char *path, GError **error);
