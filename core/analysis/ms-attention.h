/* Attention statistics computed on the device while a model runs: per sample, layer, head and
 * phase (prompt or generated positions), the mean over query positions of four summaries of
 * each query's attention distribution. Only these small means come back to the host; full
 * attention maps are captured only for the (row, layer, head) triples asked for. */
#pragma once

#include "model/ms-gpt.h"

G_BEGIN_DECLS

/* The four summaries of one query's attention p over its n visible keys (they sum to 1):
 *  - MS_ATT_ENTROPY: normalized entropy -sum p log p / log n, 0 when n = 1;
 *  - MS_ATT_MAX: the largest probability;
 *  - MS_ATT_TOPK: the mass of the k largest probabilities (1 when n <= k);
 *  - MS_ATT_GINI: the Gini coefficient of the n probabilities, with the usual (mean absolute
 *    difference) definition G = sum_ij |p_i - p_j| / (2 n sum_i p_i), computed from the values
 *    sorted ascending as G = sum_i (2i - n + 1) p_(i) / (n sum_i p_i), i = 0..n-1. Uniform: 0;
 *    one-hot: (n - 1) / n; n = 1: 0. */
enum {
  MS_ATT_ENTROPY,
  MS_ATT_MAX,
  MS_ATT_TOPK,
  MS_ATT_GINI,
  MS_ATT_N_STATS
};

/* Query positions before a row's split are its prompt; from the split on, generated. */
enum {
  MS_ATT_PROMPT,
  MS_ATT_GENERATED,
  MS_ATT_N_PHASES
};

#define MS_ATT_TOP_K_DEFAULT 5

typedef struct _MsAttentionStats MsAttentionStats;

/* An accumulator for up to MAX_B rows of a model with L layers and NH heads; TOP_K (>= 1) is
 * the k of the top-k mass. */
MsAttentionStats *ms_attention_stats_new (MsDevice *dev, int max_b, int L, int NH, int top_k,
                                          GError **error);
void ms_attention_stats_free (MsAttentionStats *acc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAttentionStats, ms_attention_stats_free)

/* Starts a new batch of B rows (B <= MAX_B). STARTS (B) is the position of each row's first
 * real token (left padding before it: those queries are excluded), NULL for all 0. SPLIT (B)
 * is the first position of each row counted as generated, NULL for the end of the first
 * pass that follows (the prefill of ms_gpt_generate: everything it runs is prompt, every
 * later step is generated; a lone ms_gpt_forward then counts entirely as prompt). Each
 * position counts once per layer: a pass adds only positions beyond those earlier passes
 * covered, so the recomputation of the whole sequence at every step (no_cache generation)
 * adds only its new position. Fails (FALSE) on bad arguments. */
gboolean ms_attention_stats_reset (MsAttentionStats *acc, int B, const int *starts,
                                   const int *split, GError **error);
/* The same for B prompts of lengths LENS left-padded to the longest, as ms_gpt_generate lays
 * them out: starts[b] = max(lens) - lens[b], split = max(lens). */
gboolean ms_attention_stats_reset_lens (MsAttentionStats *acc, int B, const int *lens,
                                        GError **error);

/* Adds the attention probabilities of one layer, (B, NH, Tq, Tk) as a hook hands them over:
 * enqueues kernels only. Errors (a tensor that does not fit the accumulator) become the
 * device's sticky error, so the forward pass that called the hook reports them. */
void ms_attention_stats_add (MsAttentionStats *acc, const MsGptTensor *att);

/* Fills HOOKS so that a model's passes feed ACC: every layer, the attention hook only (the
 * hidden hook is left as it was, so that callers can install their own beside it). */
void ms_attention_stats_hooks (MsAttentionStats *acc, MsGptHooks *hooks);

/* Means over query positions, MEANS (B, L, NH, MS_ATT_N_PHASES, MS_ATT_N_STATS), and the
 * number of queries counted, COUNTS (B, MS_ATT_N_PHASES), the same for every layer that had
 * passes (either may be NULL). Generated positions are numbered g = position - split; GEN_LENS
 * (B), if given, keeps only g < GEN_LENS[b]: pass ms_gpt_generate's OUT_LENS, so that a row
 * that stopped early does not count the steps it ran for the others (a token counts once it
 * has been fed back, so the last token of a generation never does: n new tokens give at most
 * n - 1 generated queries). A phase without queries, or a layer without passes, has NaN
 * means. Waits for the device. */
gboolean ms_attention_stats_read (MsAttentionStats *acc, const int *gen_lens, float *means,
                                  int *counts, GError **error);

/* ---- full attention maps ------------------------------------------------------------- */

typedef struct {
  int row, layer, head;
} MsAttentionMapSpec;

typedef struct _MsAttentionMaps MsAttentionMaps;

/* Captures the attention maps of the N (row, layer, head) triples in WHICH over positions
 * 0 .. MAX_T - 1: the prefill's rows and then one row per generation step, at their absolute
 * positions in the (left-padded) batch. For heatmaps of chosen samples. */
MsAttentionMaps *ms_attention_maps_new (MsDevice *dev, int max_t, int n,
                                        const MsAttentionMapSpec *which, GError **error);
void ms_attention_maps_free (MsAttentionMaps *maps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAttentionMaps, ms_attention_maps_free)

/* Clears the maps for a new batch. */
void ms_attention_maps_reset (MsAttentionMaps *maps);
/* Copies the rows of the triples of ATT's layer (enqueued; errors are sticky). */
void ms_attention_maps_add (MsAttentionMaps *maps, const MsGptTensor *att);
/* Fills HOOKS' attention hook, for the layers of the triples. */
void ms_attention_maps_hooks (MsAttentionMaps *maps, MsGptHooks *hooks);
/* Map I: OUT (T, T) holds row q of the attention of position q over keys 0..T-1, where T is
 * the number of positions seen since the reset (*T_OUT, may be NULL); OUT must have room for
 * MAX_T * MAX_T floats. Rows of positions that never came are 0. Waits for the device. */
gboolean ms_attention_maps_read (MsAttentionMaps *maps, int i, float *out, int *t_out,
                                 GError **error);

/* Reads one (row, head) map of a hook's tensor right away: OUT (Tq, Tk). A blocking read,
 * for a hook that wants one map of one pass without an MsAttentionMaps. */
gboolean ms_attention_read_map (MsDevice *dev, const MsGptTensor *att, int row, int head,
                                float *out, GError **error);

G_END_DECLS
