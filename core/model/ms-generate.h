/* Batched generation from GPT-2: prompts of different lengths are left-padded into one batch,
 * the prompt runs as one forward pass (the prefill), then each new token costs one step over
 * a KV cache. Greedy decoding, temperature and top-k sampling, stop tokens. */
#pragma once

#include "model/ms-gpt.h"

G_BEGIN_DECLS

typedef struct {
  int max_new_tokens;
  float temperature;        /* 0: greedy (argmax on the device) */
  int top_k;                /* 0: the whole vocabulary */
  guint64 seed;             /* for sampling */
  const int *stop_tokens;   /* generation of a row ends after one of these (not kept) */
  int n_stop_tokens;
  gboolean no_cache;        /* recompute the whole sequence each step (for checks, benches) */
} MsGenerateOptions;

/* Continues B prompts (PROMPTS[b] has LENS[b] ≥ 1 tokens). Writes up to max_new_tokens tokens
 * per row to OUT (B, max_new_tokens) and their count to OUT_LENS (B). The longest prompt plus
 * max_new_tokens must fit the model's context. Hooks installed on GPT see the prefill (T =
 * longest prompt) and then every step (Tq = 1). */
gboolean ms_gpt_generate (MsGpt *gpt, int B, const int *const *prompts, const int *lens,
                          const MsGenerateOptions *opt, int *out, int *out_lens, GError **error);

G_END_DECLS
