/* The GPT-2 shape and the layout of its parameters in one flat float array, in llm.c's order
 * (the order of its .bin checkpoints). Host-only: no OpenCL here, so loaders and tools can use
 * it without a device. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int max_seq_len;        /* maxT: learned positions */
  int vocab_size;         /* V: real tokens */
  int padded_vocab_size;  /* Vp: rows of wte, V rounded up (llm.c pads to a multiple of 128) */
  int num_layers;         /* L */
  int num_heads;          /* NH */
  int channels;           /* C */
} MsGptConfig;

enum {
  MS_WTE, MS_WPE, MS_LN1W, MS_LN1B, MS_QKVW, MS_QKVB, MS_ATTPROJW, MS_ATTPROJB, MS_LN2W,
  MS_LN2B, MS_FCW, MS_FCB, MS_FCPROJW, MS_FCPROJB, MS_LNFW, MS_LNFB, MS_N_PARAMS
};

/* Element counts of the 16 tensors:
 *   wte (Vp, C), wpe (maxT, C), ln1w (L, C), ln1b (L, C), qkvw (L, 3C, C), qkvb (L, 3C),
 *   attprojw (L, C, C), attprojb (L, C), ln2w (L, C), ln2b (L, C), fcw (L, 4C, C),
 *   fcb (L, 4C), fcprojw (L, C, 4C), fcprojb (L, C), lnfw (C), lnfb (C). */
void ms_gpt_param_sizes (const MsGptConfig *cfg, gsize sizes[MS_N_PARAMS]);
/* Offsets of the 16 tensors in the flat array; returns the total element count. */
gsize ms_gpt_param_offsets (const MsGptConfig *cfg, gsize offsets[MS_N_PARAMS]);
const char *ms_gpt_param_name (int which);

/* Checks the shape is usable: positive sizes, C divisible by NH, V <= Vp. */
gboolean ms_gpt_config_validate (const MsGptConfig *cfg, GError **error);

/* The most tokens one batch may hold (B·T), so that B·T + 1 and token indices fit an int. */
#define MS_GPT_MAX_BATCH_TOKENS (1 << 28)
/* B and T positive and B·T within MS_GPT_MAX_BATCH_TOKENS, computed without overflow. */
gboolean ms_gpt_batch_validate (int B, int T, GError **error);

G_END_DECLS
