/* The inside of MsGpt, shared by the forward pass, generation and the backward pass. */
#pragma once

#include "ms-gpt.h"

struct _MsGpt {
  MsGptConfig cfg;
  MsDevice *dev;
  MsBlas *blas;
  MsBuffer *params;                  /* all 16 tensors, llm.c order */
  gsize param_off[MS_N_PARAMS];
  gsize n_params;

  int B, T;                          /* activations are laid out for this (B, T) */
  gsize acts_capacity;               /* floats allocated in acts */
  MsBuffer *acts;
  gsize act_off[MS_N_ACTS];
  MsBuffer *tokens, *seg, *targets;  /* int32 (B, T) each: tokens, segment starts, targets */
  gsize io_capacity;                 /* ints allocated in tokens and targets */
  float *losses;                     /* host copy (B, T) */
  float mean_loss;
  int n_targets;                     /* targets not ignored in the last forward */

  MsBuffer *grads;                   /* like params; allocated by the first backward */
  MsBuffer *dacts;                   /* backward scratch, laid out by backward_layout() */
  gsize dacts_capacity;
  MsBuffer *partials;                /* per-work-group partial sums (norms) */

  MsGptHooks hooks;
  gboolean has_hooks;
};
