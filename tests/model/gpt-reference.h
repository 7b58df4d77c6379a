/* Random GPT-2 parameters from the seeded stream that tests/fixtures/model/make_forward.py
 * uses, reproduced bit for bit, and the loading of its fixtures. */
#pragma once

#include "model/ms-gpt-config.h"

typedef struct {
  MsGptConfig cfg;
  guint64 seed;
  int B, T;
  int *tokens;        /* B*T + 1 */
  double loss;
  int n_positions;
  int *positions;     /* (n_positions, 2): b, t */
  float *logits;      /* (n_positions, V) */
} MsRefFixture;

float *ms_ref_params (const MsGptConfig *cfg, guint64 seed);
MsRefFixture *ms_ref_fixture_load (const char *name);
void ms_ref_fixture_free (MsRefFixture *f);
