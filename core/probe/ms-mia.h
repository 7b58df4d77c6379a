/* Membership-inference scores of samples under a model: the loss on the tokens trained on,
 * Min-K% probability (Shi et al. 2023), and the zlib ratio (Carlini et al. 2021); with the
 * base model's loss they also give the reference ratio (Carlini et al. 2021, Mireshghallah et
 * al. 2022). Computed with packed forward passes on the device; only per-token losses return. */
#pragma once

#include "model/ms-gpt.h"
#include "text/ms-dataset.h"

G_BEGIN_DECLS

typedef struct {
  double loss;        /* mean negative log-likelihood (nats) of the scored tokens */
  double min_k;       /* mean log-probability of the K% least likely scored tokens */
  double zlib_ratio;  /* total NLL in bits / zlib-compressed bits of the scored text */
  int n_tokens;       /* scored tokens */
} MsMiaScores;

/* Scores each example under GPT. RESPONSE_ONLY scores the output tokens and the final EOT (what
 * a response-only fine-tune trains on), else every token after the first. K_FRAC is Min-K%'s
 * fraction (0.2 in Shi et al.). Examples are packed into (B, T) rows as separate segments;
 * each must fit in T tokens. */
gboolean ms_mia_score (MsGpt *gpt, const MsExample *const *examples, int n, gboolean response_only,
                       double k_frac, int B, int T, MsMiaScores *out, GError **error);

/* The membership signals, oriented so that higher means "more likely a member". */
typedef enum {
  MS_MIA_LOSS,        /* − loss */
  MS_MIA_REFERENCE,   /* − loss / base model's loss */
  MS_MIA_ZLIB,        /* − zlib ratio */
  MS_MIA_MIN_K,       /* Min-K% log-probability */
  MS_MIA_N
} MsMiaSignal;

const char *ms_mia_signal_name (MsMiaSignal s);     /* "loss", "reference", "zlib", "min_k" */
double ms_mia_signal (MsMiaSignal s, const MsMiaScores *model, const MsMiaScores *base);

G_END_DECLS
