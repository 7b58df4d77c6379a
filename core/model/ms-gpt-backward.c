/* The GPT-2 backward pass on the device, llm.c's gpt2_backward in reverse layer order, with
 * the attention's backward done by GEMMs per sequence (heads batched). Activation gradients
 * live in a few scratch tensors reused by every layer; parameter gradients accumulate. */
#include "ms-gpt-private.h"

#include <math.h>

/* Backward scratch, one buffer. */
enum {
  D_RES,    /* (N, C) gradient of the residual stream at the current layer boundary */
  D_LN,     /* (N, C) gradient of a LayerNorm's output */
  D_ATTY,   /* (N, C) */
  D_FCH,    /* (N, 4C) gradient of fch_gelu, then of fch */
  D_QKV,    /* (N, 3C) */
  D_ATT,    /* (B, NH, T, T) */
  D_N
};

static void
backward_layout (const MsGptConfig *cfg, int B, int T, gsize off[D_N + 1])
{
  gsize N = (gsize) B * T, C = cfg->channels;
  gsize sizes[D_N] = { N * C, N * C, N * C, N * 4 * C, N * 3 * C,
                       (gsize) B * cfg->num_heads * T * T };
  off[0] = 0;
  for (int i = 0; i < D_N; i++)
    off[i + 1] = off[i] + sizes[i];
}

MsBuffer *
ms_gpt_grads (MsGpt *gpt)
{
  return gpt->grads;
}

gboolean
ms_gpt_zero_grad (MsGpt *gpt, GError **error)
{
  if (gpt->grads == NULL
      && !(gpt->grads = ms_buffer_new (gpt->dev, gpt->n_params * sizeof (float), error)))
    return FALSE;
  ms_buffer_zero (gpt->dev, gpt->grads, 0, gpt->n_params * sizeof (float));
  return ms_device_check (gpt->dev, error);
}

/* dinp (N, IC) (+)= dout (N, OC) · W (OC, IC); dW += dout^T · inp; dbias += colsum(dout).
 * ACC_INP chooses between overwriting and accumulating into dinp. */
static void
matmul_backward (MsGpt *gpt, MsBuffer *dinp, gsize dio, gboolean acc_inp, const MsBuffer *dout,
                 gsize doo, const MsBuffer *inp, gsize io, int w, gsize wl, int bias, gsize bl,
                 int N, int IC, int OC)
{
  MsBuffer *p = gpt->params, *g = gpt->grads;
  if (dinp)
    ms_gemm (gpt->blas, FALSE, FALSE, N, IC, OC, 1.0f, dout, doo, OC, p, gpt->param_off[w] + wl,
             IC, acc_inp ? 1.0f : 0.0f, dinp, dio, IC);
  ms_gemm (gpt->blas, TRUE, FALSE, OC, IC, N, 1.0f, dout, doo, OC, inp, io, IC, 1.0f, g,
           gpt->param_off[w] + wl, IC);
  if (bias >= 0)
    ms_run1 (gpt->dev, "bias_backward", OC, MS_ARG_MEM, g, MS_ARG_INT,
             (int) (gpt->param_off[bias] + bl), MS_ARG_MEM, dout, MS_ARG_INT, (int) doo, MS_ARG_INT,
             N, MS_ARG_INT, OC, MS_ARG_END);
}

/* dinp += LayerNorm backward of dout; dw, db += their gradients. */
static void
layernorm_backward (MsGpt *gpt, MsBuffer *dinp, gsize dio, const MsBuffer *dout, gsize doo,
                    gsize inp, gsize mean, gsize rstd, int w, int b, gsize wl, int N, int C)
{
  MsBuffer *a = gpt->acts, *p = gpt->params, *g = gpt->grads;
  ms_run1 (gpt->dev, "layernorm_backward_input", N, MS_ARG_MEM, dinp, MS_ARG_INT, (int) dio,
           MS_ARG_MEM, dout, MS_ARG_INT, (int) doo, MS_ARG_MEM, a, MS_ARG_INT, (int) inp, MS_ARG_MEM,
           a, MS_ARG_INT, (int) mean, MS_ARG_MEM, a, MS_ARG_INT, (int) rstd, MS_ARG_MEM, p,
           MS_ARG_INT, (int) (gpt->param_off[w] + wl), MS_ARG_INT, N, MS_ARG_INT, C, MS_ARG_END);
  ms_run1 (gpt->dev, "layernorm_backward_params", C, MS_ARG_MEM, g, MS_ARG_INT,
           (int) (gpt->param_off[w] + wl), MS_ARG_MEM, g, MS_ARG_INT, (int) (gpt->param_off[b] + wl),
           MS_ARG_MEM, dout, MS_ARG_INT, (int) doo, MS_ARG_MEM, a, MS_ARG_INT, (int) inp, MS_ARG_MEM,
           a, MS_ARG_INT, (int) mean, MS_ARG_MEM, a, MS_ARG_INT, (int) rstd, MS_ARG_INT, N,
           MS_ARG_INT, C, MS_ARG_END);
}

gboolean
ms_gpt_backward (MsGpt *gpt, float loss_scale, GError **error)
{
  if (gpt->acts == NULL || gpt->n_targets == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "backward needs a forward pass with at least one target first");
      return FALSE;
    }
  if (gpt->grads == NULL && !ms_gpt_zero_grad (gpt, error))
    return FALSE;
  const int B = gpt->B, T = gpt->T, N = B * T;
  const int C = gpt->cfg.channels, NH = gpt->cfg.num_heads, L = gpt->cfg.num_layers;
  const int V = gpt->cfg.vocab_size, Vp = gpt->cfg.padded_vocab_size, hs = C / NH;
  gsize d[D_N + 1];
  backward_layout (&gpt->cfg, B, T, d);
  if (d[D_N] > gpt->dacts_capacity)
    {
      g_clear_pointer (&gpt->dacts, ms_buffer_free);
      gpt->dacts_capacity = 0;
      if (!(gpt->dacts = ms_buffer_new (gpt->dev, d[D_N] * sizeof (float), error)))
        return FALSE;
      gpt->dacts_capacity = d[D_N];
    }
  MsDevice *dev = gpt->dev;
  MsBuffer *a = gpt->acts, *da = gpt->dacts, *g = gpt->grads;
#define A(x, l) ms_gpt_act_offset (gpt, (x), (l))

  /* Logits become their own gradient, in place. */
  gsize logits = A (MS_ACT_LOGITS, 0);
  ms_run_rows (dev, "crossentropy_backward", N, MS_ARG_MEM, a, MS_ARG_INT, (int) logits, MS_ARG_MEM, gpt->targets, MS_ARG_INT, N,
          MS_ARG_INT, V, MS_ARG_INT, Vp, MS_ARG_FLOAT, (double) loss_scale / gpt->n_targets,
          MS_ARG_END);
  /* The tied output layer: dlnf = dlogits · wte, dwte += dlogits^T · lnf. */
  matmul_backward (gpt, da, d[D_LN], FALSE, a, logits, a, A (MS_ACT_LNF, 0), MS_WTE, 0, -1, 0, N,
                   C, Vp);
  ms_buffer_zero (dev, da, d[D_RES] * sizeof (float), (gsize) N * C * sizeof (float));
  layernorm_backward (gpt, da, d[D_RES], da, d[D_LN], A (MS_ACT_RESIDUAL3, L - 1),
                      A (MS_ACT_LNF_MEAN, 0), A (MS_ACT_LNF_RSTD, 0), MS_LNFW, MS_LNFB, 0, N, C);

  for (int l = L - 1; l >= 0; l--)
    {
      gsize residual = l == 0 ? A (MS_ACT_ENCODED, 0) : A (MS_ACT_RESIDUAL3, l - 1);
      gsize lC = (gsize) l * C;
      /* D_RES holds d residual3[l]. The MLP: residual3 = residual2 + fcproj(gelu(fc(ln2))). */
      matmul_backward (gpt, da, d[D_FCH], FALSE, da, d[D_RES], a, A (MS_ACT_FCH_GELU, l),
                       MS_FCPROJW, lC * 4 * C, MS_FCPROJB, lC, N, 4 * C, C);
      ms_run1 (dev, "gelu_backward", (gsize) N * 4 * C, MS_ARG_MEM, da, MS_ARG_INT, (int) d[D_FCH],
               MS_ARG_MEM, a, MS_ARG_INT, (int) A (MS_ACT_FCH, l), MS_ARG_INT, N * 4 * C, MS_ARG_END);
      matmul_backward (gpt, da, d[D_LN], FALSE, da, d[D_FCH], a, A (MS_ACT_LN2, l), MS_FCW,
                       lC * 4 * C, MS_FCB, 4 * lC, N, C, 4 * C);
      layernorm_backward (gpt, da, d[D_RES], da, d[D_LN], A (MS_ACT_RESIDUAL2, l),
                          A (MS_ACT_LN2_MEAN, l), A (MS_ACT_LN2_RSTD, l), MS_LN2W, MS_LN2B, lC,
                          N, C);
      /* D_RES holds d residual2. Attention: residual2 = residual + attproj(attention(ln1)). */
      matmul_backward (gpt, da, d[D_ATTY], FALSE, da, d[D_RES], a, A (MS_ACT_ATTY, l),
                       MS_ATTPROJW, lC * C, MS_ATTPROJB, lC, N, C, C);
      gsize qkv = A (MS_ACT_QKV, l), att = A (MS_ACT_ATT, l);
      for (int b = 0; b < B; b++)
        {
          gsize q0 = qkv + (gsize) b * T * 3 * C, dq0 = d[D_QKV] + (gsize) b * T * 3 * C;
          gsize y0 = d[D_ATTY] + (gsize) b * T * C, a0 = (gsize) b * NH * T * T;
          /* datt = dy · V^T and dV = att^T · dy, per head. */
          ms_gemm_batched (gpt->blas, FALSE, TRUE, T, T, hs, 1.0f, da, y0, C, hs, a, q0 + 2 * C,
                           3 * C, hs, 0.0f, da, d[D_ATT] + a0, T, (gsize) T * T, NH);
          ms_gemm_batched (gpt->blas, TRUE, FALSE, T, hs, T, 1.0f, a, att + a0, T, (gsize) T * T,
                           da, y0, C, hs, 0.0f, da, dq0 + 2 * C, 3 * C, hs, NH);
        }
      ms_run1 (dev, "attention_softmax_backward", (gsize) B * NH * T, MS_ARG_MEM, da, MS_ARG_INT,
               (int) d[D_ATT], MS_ARG_MEM, a, MS_ARG_INT, (int) att, MS_ARG_INT, B * NH * T,
               MS_ARG_INT, T, MS_ARG_FLOAT, 1.0 / sqrt (hs), MS_ARG_END);
      for (int b = 0; b < B; b++)
        {
          gsize q0 = qkv + (gsize) b * T * 3 * C, dq0 = d[D_QKV] + (gsize) b * T * 3 * C;
          gsize a0 = d[D_ATT] + (gsize) b * NH * T * T;
          /* dQ = dscores · K and dK = dscores^T · Q, per head. */
          ms_gemm_batched (gpt->blas, FALSE, FALSE, T, hs, T, 1.0f, da, a0, T, (gsize) T * T, a,
                           q0 + C, 3 * C, hs, 0.0f, da, dq0, 3 * C, hs, NH);
          ms_gemm_batched (gpt->blas, TRUE, FALSE, T, hs, T, 1.0f, da, a0, T, (gsize) T * T, a,
                           q0, 3 * C, hs, 0.0f, da, dq0 + C, 3 * C, hs, NH);
        }
      matmul_backward (gpt, da, d[D_LN], FALSE, da, d[D_QKV], a, A (MS_ACT_LN1, l), MS_QKVW,
                       lC * 3 * C, MS_QKVB, 3 * lC, N, C, 3 * C);
      layernorm_backward (gpt, da, d[D_RES], da, d[D_LN], residual, A (MS_ACT_LN1_MEAN, l),
                          A (MS_ACT_LN1_RSTD, l), MS_LN1W, MS_LN1B, lC, N, C);
    }

  ms_run1 (dev, "encoder_backward", C, MS_ARG_MEM, g, MS_ARG_INT, (int) gpt->param_off[MS_WTE],
           MS_ARG_MEM, g, MS_ARG_INT, (int) gpt->param_off[MS_WPE], MS_ARG_MEM, da, MS_ARG_INT,
           (int) d[D_RES], MS_ARG_MEM, gpt->tokens, MS_ARG_MEM, gpt->seg, MS_ARG_INT, B,
           MS_ARG_INT, T, MS_ARG_INT, C, MS_ARG_END);
#undef A
  return ms_device_check (dev, error);
}

#define NORM_GROUPS 256

gboolean
ms_gpt_grad_norm (MsGpt *gpt, guint32 mask, double *norm, GError **error)
{
  if (gpt->grads == NULL)
    {
      *norm = 0;
      return TRUE;
    }
  if (gpt->partials == NULL
      && !(gpt->partials = ms_buffer_new (gpt->dev, MS_N_PARAMS * NORM_GROUPS * sizeof (float),
                                          error)))
    return FALSE;
  gsize sizes[MS_N_PARAMS];
  ms_gpt_param_sizes (&gpt->cfg, sizes);
  /* One launch per tensor, each into its own slice of partial sums; one read for all. */
  for (int t = 0; t < MS_N_PARAMS; t++)
    if (mask >> t & 1)
      ms_run (gpt->dev, "sum_squares", 1, (size_t[]){ NORM_GROUPS * 64 }, (size_t[]){ 64 },
              MS_ARG_MEM, gpt->partials, MS_ARG_INT, t * NORM_GROUPS, MS_ARG_MEM, gpt->grads,
              MS_ARG_INT, (int) gpt->param_off[t], MS_ARG_INT, (int) sizes[t], MS_ARG_END);
  float part[MS_N_PARAMS * NORM_GROUPS];
  if (!ms_buffer_read (gpt->dev, gpt->partials, 0, part, sizeof part, error))
    return FALSE;
  *norm = 0;
  for (int t = 0; t < MS_N_PARAMS; t++)
    for (int i = 0; mask >> t & 1 && i < NORM_GROUPS; i++)
      *norm += part[t * NORM_GROUPS + i];
  *norm = sqrt (*norm);
  return TRUE;
}
