/* The GPT-2 forward pass on the device, following llm.c's structure: parameters and
 * activations each in one buffer carved by offsets; GEMMs through MsBlas, everything else in
 * kernels/gpt.cl; nothing comes back to the host but the per-token losses. */
#include "ms-gpt-private.h"
#include "model/ms-checkpoint.h"

#include <math.h>
#include <string.h>


static void
act_sizes (const MsGptConfig *cfg, int B, int T, gsize sizes[MS_N_ACTS])
{
  gsize L = cfg->num_layers, C = cfg->channels, NH = cfg->num_heads, Vp = cfg->padded_vocab_size;
  gsize BT = (gsize) B * T;
  sizes[MS_ACT_ENCODED] = BT * C;
  sizes[MS_ACT_LN1] = L * BT * C;
  sizes[MS_ACT_LN1_MEAN] = L * BT;
  sizes[MS_ACT_LN1_RSTD] = L * BT;
  sizes[MS_ACT_QKV] = L * BT * 3 * C;
  sizes[MS_ACT_ATTY] = L * BT * C;
  sizes[MS_ACT_ATT] = L * B * NH * (gsize) T * T;
  sizes[MS_ACT_ATTPROJ] = L * BT * C;
  sizes[MS_ACT_RESIDUAL2] = L * BT * C;
  sizes[MS_ACT_LN2] = L * BT * C;
  sizes[MS_ACT_LN2_MEAN] = L * BT;
  sizes[MS_ACT_LN2_RSTD] = L * BT;
  sizes[MS_ACT_FCH] = L * BT * 4 * C;
  sizes[MS_ACT_FCH_GELU] = L * BT * 4 * C;
  sizes[MS_ACT_FCPROJ] = L * BT * C;
  sizes[MS_ACT_RESIDUAL3] = L * BT * C;
  sizes[MS_ACT_LNF] = BT * C;
  sizes[MS_ACT_LNF_MEAN] = BT;
  sizes[MS_ACT_LNF_RSTD] = BT;
  sizes[MS_ACT_LOGITS] = BT * Vp;
  sizes[MS_ACT_LOSSES] = BT;
}

MsGpt *
ms_gpt_new (MsBlas *blas, const MsGptConfig *cfg, const float *params, GError **error)
{
  if (!ms_gpt_config_validate (cfg, error))
    return NULL;
  g_autoptr (MsGpt) gpt = g_new0 (MsGpt, 1);
  gpt->cfg = *cfg;
  gpt->blas = blas;
  gpt->dev = ms_blas_device (blas);
  gpt->n_params = ms_gpt_param_offsets (cfg, gpt->param_off);
  gpt->params = ms_buffer_new (gpt->dev, gpt->n_params * sizeof (float), error);
  if (gpt->params == NULL)
    return NULL;
  if (params && !ms_gpt_write_params (gpt, params, error))
    return NULL;
  return g_steal_pointer (&gpt);
}

void
ms_gpt_free (MsGpt *gpt)
{
  if (gpt == NULL)
    return;
  ms_buffer_free (gpt->params);
  ms_buffer_free (gpt->acts);
  ms_buffer_free (gpt->tokens);
  ms_buffer_free (gpt->seg);
  ms_buffer_free (gpt->targets);
  ms_buffer_free (gpt->grads);
  ms_buffer_free (gpt->dacts);
  ms_buffer_free (gpt->partials);
  g_free (gpt->losses);
  g_free (gpt);
}

const MsGptConfig *ms_gpt_config (const MsGpt *gpt) { return &gpt->cfg; }
MsDevice *ms_gpt_device (const MsGpt *gpt) { return gpt->dev; }
MsBlas *ms_gpt_blas (const MsGpt *gpt) { return gpt->blas; }
gsize ms_gpt_num_params (const MsGpt *gpt) { return gpt->n_params; }
MsBuffer *ms_gpt_params (MsGpt *gpt) { return gpt->params; }
gsize ms_gpt_param_offset (const MsGpt *gpt, int which) { return gpt->param_off[which]; }
MsBuffer *ms_gpt_acts (MsGpt *gpt) { return gpt->acts; }
MsBuffer *ms_gpt_tokens_buffer (MsGpt *gpt) { return gpt->tokens; }
MsBuffer *ms_gpt_seg_buffer (MsGpt *gpt) { return gpt->seg; }
MsBuffer *ms_gpt_targets_buffer (MsGpt *gpt) { return gpt->targets; }
float ms_gpt_mean_loss (const MsGpt *gpt) { return gpt->mean_loss; }
const float *ms_gpt_losses (const MsGpt *gpt) { return gpt->losses; }
const MsGptHooks *ms_gpt_hooks (const MsGpt *gpt) { return gpt->has_hooks ? &gpt->hooks : NULL; }

gboolean
ms_gpt_read_params (MsGpt *gpt, float *out, GError **error)
{
  return ms_buffer_read (gpt->dev, gpt->params, 0, out, gpt->n_params * sizeof (float), error);
}

gboolean
ms_gpt_write_params (MsGpt *gpt, const float *params, GError **error)
{
  return ms_buffer_write (gpt->dev, gpt->params, 0, params, gpt->n_params * sizeof (float),
                          error);
}

gboolean
ms_gpt_save (MsGpt *gpt, const char *path, GError **error)
{
  g_autofree float *params = g_new (float, gpt->n_params);
  return ms_gpt_read_params (gpt, params, error)
         && ms_checkpoint_save (path, &gpt->cfg, params, error);
}

void
ms_gpt_set_hooks (MsGpt *gpt, const MsGptHooks *hooks)
{
  gpt->has_hooks = hooks != NULL;
  if (hooks)
    gpt->hooks = *hooks;
}

gsize
ms_gpt_act_offset (const MsGpt *gpt, int which, int layer)
{
  gsize sizes[MS_N_ACTS];
  act_sizes (&gpt->cfg, gpt->B, gpt->T, sizes);
  gboolean per_layer = which >= MS_ACT_LN1 && which <= MS_ACT_RESIDUAL3;
  return gpt->act_off[which] + (per_layer ? layer * (sizes[which] / gpt->cfg.num_layers) : 0);
}

gboolean
ms_gpt_reserve (MsGpt *gpt, int B, int T, GError **error)
{
  if (B <= 0 || T <= 0 || T > gpt->cfg.max_seq_len)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "batch %d × %d tokens: need B ≥ 1 and 1 ≤ T ≤ %d (the model's context)", B,
                   T, gpt->cfg.max_seq_len);
      return FALSE;
    }
  if (!ms_gpt_batch_validate (B, T, error))
    return FALSE;
  /* The same sum in double first: it cannot wrap, so a huge batch is refused before any
   * gsize product below can overflow. */
  const MsGptConfig *c = &gpt->cfg;
  double BT = (double) B * T, estimate = BT * c->num_layers * (16.0 * c->channels + 4)
                                         + BT * c->num_layers * c->num_heads * T
                                         + BT * (2.0 * c->channels + c->padded_vocab_size + 3);
  if (estimate > G_MAXINT32)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "activations for B=%d T=%d need %.0f floats, over the 2^31 limit of kernel "
                   "offsets: use a smaller batch", B, T, estimate);
      return FALSE;
    }
  gsize sizes[MS_N_ACTS], total = 0;
  act_sizes (&gpt->cfg, B, T, sizes);
  for (int i = 0; i < MS_N_ACTS; i++)
    {
      gpt->act_off[i] = total;
      total += sizes[i];
    }
  if (total > G_MAXINT32)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "activations for B=%d T=%d need %zu floats, over the 2^31 limit of kernel "
                   "offsets: use a smaller batch", B, T, total);
      return FALSE;
    }
  if (total > gpt->acts_capacity)
    {
      /* Grow by half again at least, so that a sequence growing one token at a time does
       * not reallocate (and fault in) the whole buffer at every step. */
      gsize want = MAX (total, gpt->acts_capacity + gpt->acts_capacity / 2);
      if (want * sizeof (float) > gpt->dev->info->max_alloc_bytes)
        want = total;
      g_clear_pointer (&gpt->acts, ms_buffer_free);
      gpt->acts = ms_buffer_new (gpt->dev, want * sizeof (float), error);
      if (gpt->acts == NULL)
        {
          gpt->acts_capacity = 0;
          return FALSE;
        }
      gpt->acts_capacity = want;
    }
  gsize io = (gsize) B * T;
  if (io > gpt->io_capacity)
    {
      g_clear_pointer (&gpt->tokens, ms_buffer_free);
      g_clear_pointer (&gpt->targets, ms_buffer_free);
      g_clear_pointer (&gpt->seg, ms_buffer_free);
      gpt->io_capacity = 0;
      if (!(gpt->tokens = ms_buffer_new (gpt->dev, io * sizeof (int), error))
          || !(gpt->targets = ms_buffer_new (gpt->dev, io * sizeof (int), error))
          || !(gpt->seg = ms_buffer_new (gpt->dev, io * sizeof (int), error)))
        return FALSE;
      gpt->io_capacity = io;
      gpt->losses = g_renew (float, gpt->losses, io);
    }
  gpt->B = B;
  gpt->T = T;
  return TRUE;
}

static gboolean
check_tokens (const MsGpt *gpt, const int *tokens, gsize n, GError **error)
{
  int V = gpt->cfg.vocab_size;
  for (gsize i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= V)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "token %d at position %zu is outside the model's vocabulary (0 to %d)",
                     tokens[i], i, V - 1);
        return FALSE;
      }
  return TRUE;
}

gboolean
ms_gpt_upload_segments (MsGpt *gpt, const int *tokens, const int *seg, int B, int T,
                        GError **error)
{
  if (!check_tokens (gpt, tokens, (gsize) B * T, error))
    return FALSE;
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      {
        int s = seg[b * T + t];
        /* A segment starts at or before its positions, and segments do not interleave. */
        if (s < 0 || s > t || (t > 0 && s != t && s != seg[b * T + t - 1]))
          {
            g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                         "row %d position %d: segment start %d is not a valid start", b, t, s);
            return FALSE;
          }
      }
  gsize bytes = (gsize) B * T * sizeof (int);
  return ms_buffer_write (gpt->dev, gpt->tokens, 0, tokens, bytes, error)
         && ms_buffer_write (gpt->dev, gpt->seg, 0, seg, bytes, error);
}

gboolean
ms_gpt_upload_inputs (MsGpt *gpt, const int *tokens, const int *starts, int B, int T,
                      GError **error)
{
  /* Left padding as segments: the row is one segment from starts[b]; each pad is its own. */
  g_autofree int *seg = g_new (int, (gsize) B * T);
  for (int b = 0; b < B; b++)
    {
      int s = starts ? starts[b] : 0;
      if (s < 0 || s >= T)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "row %d starts at %d, outside 0..%d", b,
                       s, T - 1);
          return FALSE;
        }
      for (int t = 0; t < T; t++)
        seg[b * T + t] = t < s ? t : s;
    }
  return ms_gpt_upload_segments (gpt, tokens, seg, B, T, error);
}

void
ms_gpt_call_hooks_attention (MsGpt *gpt, const MsGptTensor *t, int layer)
{
  if (gpt->has_hooks && gpt->hooks.attention && (gpt->hooks.layers >> layer & 1))
    gpt->hooks.attention (gpt->hooks.user, t);
}

void
ms_gpt_call_hooks_hidden (MsGpt *gpt, const MsGptTensor *t, int layer)
{
  if (gpt->has_hooks && gpt->hooks.hidden && (gpt->hooks.layers >> layer & 1))
    gpt->hooks.hidden (gpt->hooks.user, t);
}

/* One kernel per op; P(x) is a parameter tensor's offset, A(x, l) an activation's. */
void
ms_gpt_enqueue_body (MsGpt *gpt, int B, int T)
{
  MsDevice *dev = gpt->dev;
  MsBuffer *p = gpt->params, *a = gpt->acts;
  const int C = gpt->cfg.channels, NH = gpt->cfg.num_heads, L = gpt->cfg.num_layers;
  const int hs = C / NH, N = B * T;
#define P(x) ((int) gpt->param_off[x])
#define A(x, l) ((int) ms_gpt_act_offset (gpt, (x), (l)))

  ms_run1 (dev, "encoder_forward", (gsize) N * C, MS_ARG_MEM, a, MS_ARG_INT, A (MS_ACT_ENCODED, 0),
           MS_ARG_MEM, gpt->tokens, MS_ARG_MEM, gpt->seg, MS_ARG_MEM, p, MS_ARG_INT, P (MS_WTE),
           MS_ARG_MEM, p, MS_ARG_INT, P (MS_WPE), MS_ARG_INT, B, MS_ARG_INT, T, MS_ARG_INT, C,
           MS_ARG_INT, 0, MS_ARG_END);

  for (int l = 0; l < L; l++)
    {
      int residual = l == 0 ? A (MS_ACT_ENCODED, 0) : A (MS_ACT_RESIDUAL3, l - 1);
      int ln1 = A (MS_ACT_LN1, l), qkv = A (MS_ACT_QKV, l), atty = A (MS_ACT_ATTY, l);
      int att = A (MS_ACT_ATT, l), attproj = A (MS_ACT_ATTPROJ, l);
      int res2 = A (MS_ACT_RESIDUAL2, l), ln2 = A (MS_ACT_LN2, l), fch = A (MS_ACT_FCH, l);
      int fchg = A (MS_ACT_FCH_GELU, l), fcproj = A (MS_ACT_FCPROJ, l);
      int res3 = A (MS_ACT_RESIDUAL3, l);

      ms_run1 (dev, "layernorm_forward", N, MS_ARG_MEM, a, MS_ARG_INT, ln1, MS_ARG_MEM, a,
               MS_ARG_INT, A (MS_ACT_LN1_MEAN, l), MS_ARG_MEM, a, MS_ARG_INT, A (MS_ACT_LN1_RSTD, l),
               MS_ARG_MEM, a, MS_ARG_INT, residual, MS_ARG_MEM, p, MS_ARG_INT, P (MS_LN1W) + l * C,
               MS_ARG_MEM, p, MS_ARG_INT, P (MS_LN1B) + l * C, MS_ARG_INT, N, MS_ARG_INT, C,
               MS_ARG_END);
      /* qkv (N, 3C) = ln1 (N, C) · qkvw^T (C, 3C) + qkvb */
      ms_gemm (gpt->blas, FALSE, TRUE, N, 3 * C, C, 1.0f, a, ln1, C, p,
               P (MS_QKVW) + (gsize) l * 3 * C * C, C, 0.0f, a, qkv, 3 * C);
      ms_run1 (dev, "bias_add", (gsize) N * 3 * C, MS_ARG_MEM, a, MS_ARG_INT, qkv, MS_ARG_MEM, p,
               MS_ARG_INT, P (MS_QKVB) + l * 3 * C, MS_ARG_INT, N, MS_ARG_INT, 3 * C, MS_ARG_END);

      /* Per sequence, all heads at once: scores (NH, T, T) = Q K^T, softmax, y = att V. */
      for (int b = 0; b < B; b++)
        {
          gsize q0 = qkv + (gsize) b * T * 3 * C;
          ms_gemm_batched (gpt->blas, FALSE, TRUE, T, T, hs, 1.0f, a, q0, 3 * C, hs, a, q0 + C,
                           3 * C, hs, 0.0f, a, att + (gsize) b * NH * T * T, T, (gsize) T * T, NH);
        }
      ms_run1 (dev, "attention_softmax", (gsize) B * NH * T, MS_ARG_MEM, a, MS_ARG_INT, att,
               MS_ARG_MEM, gpt->seg, MS_ARG_INT, B, MS_ARG_INT, NH, MS_ARG_INT, T, MS_ARG_INT, T,
               MS_ARG_INT, 0, MS_ARG_FLOAT, 1.0 / sqrt (hs), MS_ARG_END);
      for (int b = 0; b < B; b++)
        ms_gemm_batched (gpt->blas, FALSE, FALSE, T, hs, T, 1.0f, a, att + (gsize) b * NH * T * T,
                         T, (gsize) T * T, a, qkv + (gsize) b * T * 3 * C + 2 * C, 3 * C, hs, 0.0f,
                         a, atty + (gsize) b * T * C, C, hs, NH);
      MsGptTensor att_t = { .buf = a, .offset = att, .layer = l, .B = B, .NH = NH, .Tq = T,
                            .Tk = T, .T = T, .C = C };
      ms_gpt_call_hooks_attention (gpt, &att_t, l);

      /* residual2 = residual + atty · attprojw^T + attprojb */
      ms_gemm (gpt->blas, FALSE, TRUE, N, C, C, 1.0f, a, atty, C, p,
               P (MS_ATTPROJW) + (gsize) l * C * C, C, 0.0f, a, attproj, C);
      ms_run1 (dev, "residual_bias_forward", (gsize) N * C, MS_ARG_MEM, a, MS_ARG_INT, res2,
               MS_ARG_MEM, a, MS_ARG_INT, residual, MS_ARG_MEM, a, MS_ARG_INT, attproj, MS_ARG_MEM,
               p, MS_ARG_INT, P (MS_ATTPROJB) + l * C, MS_ARG_INT, N, MS_ARG_INT, C, MS_ARG_END);

      ms_run1 (dev, "layernorm_forward", N, MS_ARG_MEM, a, MS_ARG_INT, ln2, MS_ARG_MEM, a,
               MS_ARG_INT, A (MS_ACT_LN2_MEAN, l), MS_ARG_MEM, a, MS_ARG_INT, A (MS_ACT_LN2_RSTD, l),
               MS_ARG_MEM, a, MS_ARG_INT, res2, MS_ARG_MEM, p, MS_ARG_INT, P (MS_LN2W) + l * C,
               MS_ARG_MEM, p, MS_ARG_INT, P (MS_LN2B) + l * C, MS_ARG_INT, N, MS_ARG_INT, C,
               MS_ARG_END);
      /* fch (N, 4C) = ln2 · fcw^T + fcb; fch_gelu = GELU(fch) */
      ms_gemm (gpt->blas, FALSE, TRUE, N, 4 * C, C, 1.0f, a, ln2, C, p,
               P (MS_FCW) + (gsize) l * 4 * C * C, C, 0.0f, a, fch, 4 * C);
      ms_run1 (dev, "bias_gelu_forward", (gsize) N * 4 * C, MS_ARG_MEM, a, MS_ARG_INT, fch,
               MS_ARG_MEM, a, MS_ARG_INT, fchg, MS_ARG_MEM, p, MS_ARG_INT, P (MS_FCB) + l * 4 * C,
               MS_ARG_INT, N, MS_ARG_INT, 4 * C, MS_ARG_END);
      /* residual3 = residual2 + fch_gelu · fcprojw^T + fcprojb */
      ms_gemm (gpt->blas, FALSE, TRUE, N, C, 4 * C, 1.0f, a, fchg, 4 * C, p,
               P (MS_FCPROJW) + (gsize) l * C * 4 * C, 4 * C, 0.0f, a, fcproj, C);
      ms_run1 (dev, "residual_bias_forward", (gsize) N * C, MS_ARG_MEM, a, MS_ARG_INT, res3,
               MS_ARG_MEM, a, MS_ARG_INT, res2, MS_ARG_MEM, a, MS_ARG_INT, fcproj, MS_ARG_MEM, p,
               MS_ARG_INT, P (MS_FCPROJB) + l * C, MS_ARG_INT, N, MS_ARG_INT, C, MS_ARG_END);

      MsGptTensor h = { .buf = a, .layer = l, .B = B, .T = T, .Tq = T, .Tk = T, .NH = NH };
      if (gpt->has_hooks && gpt->hooks.hidden_kind == MS_HIDDEN_MLP)
        h.offset = fchg, h.C = 4 * C;
      else
        h.offset = res3, h.C = C;
      ms_gpt_call_hooks_hidden (gpt, &h, l);
    }

  ms_run1 (dev, "layernorm_forward", N, MS_ARG_MEM, a, MS_ARG_INT, A (MS_ACT_LNF, 0), MS_ARG_MEM,
           a, MS_ARG_INT, A (MS_ACT_LNF_MEAN, 0), MS_ARG_MEM, a, MS_ARG_INT, A (MS_ACT_LNF_RSTD, 0),
           MS_ARG_MEM, a, MS_ARG_INT, A (MS_ACT_RESIDUAL3, L - 1), MS_ARG_MEM, p, MS_ARG_INT,
           P (MS_LNFW), MS_ARG_MEM, p, MS_ARG_INT, P (MS_LNFB), MS_ARG_INT, N, MS_ARG_INT, C,
           MS_ARG_END);
#undef P
#undef A
}

void
ms_gpt_enqueue_logits (MsGpt *gpt, int B, int T)
{
  const int C = gpt->cfg.channels, Vp = gpt->cfg.padded_vocab_size;
  ms_gemm (gpt->blas, FALSE, TRUE, B * T, Vp, C, 1.0f, gpt->acts,
           ms_gpt_act_offset (gpt, MS_ACT_LNF, 0), C, gpt->params, gpt->param_off[MS_WTE], C,
           0.0f, gpt->acts, ms_gpt_act_offset (gpt, MS_ACT_LOGITS, 0), Vp);
}

static gboolean forward_uploaded (MsGpt *gpt, const int *targets, int B, int T, GError **error);

gboolean
ms_gpt_forward (MsGpt *gpt, const int *tokens, const int *starts, const int *targets, int B,
                int T, GError **error)
{
  return ms_device_check (gpt->dev, error) && ms_gpt_reserve (gpt, B, T, error)
         && ms_gpt_upload_inputs (gpt, tokens, starts, B, T, error)
         && forward_uploaded (gpt, targets, B, T, error);
}

gboolean
ms_gpt_forward_segments (MsGpt *gpt, const int *tokens, const int *seg, const int *targets,
                         int B, int T, GError **error)
{
  return ms_device_check (gpt->dev, error) && ms_gpt_reserve (gpt, B, T, error)
         && ms_gpt_upload_segments (gpt, tokens, seg, B, T, error)
         && forward_uploaded (gpt, targets, B, T, error);
}

static gboolean
forward_uploaded (MsGpt *gpt, const int *targets, int B, int T, GError **error)
{
  const int N = B * T, V = gpt->cfg.vocab_size;
  for (int i = 0; targets && i < N; i++)
    if (targets[i] >= V)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "target %d at position %d is outside the vocabulary (0 to %d)", targets[i],
                     i, V - 1);
        return FALSE;
      }
  ms_gpt_enqueue_body (gpt, B, T);
  ms_gpt_enqueue_logits (gpt, B, T);
  if (targets == NULL)
    return ms_device_check (gpt->dev, error);

  if (!ms_buffer_write (gpt->dev, gpt->targets, 0, targets, (gsize) N * sizeof (int), error))
    return FALSE;
  ms_run_rows (gpt->dev, "crossentropy_forward", N, MS_ARG_MEM, gpt->acts, MS_ARG_INT, (int) ms_gpt_act_offset (gpt, MS_ACT_LOSSES, 0),
          MS_ARG_MEM, gpt->acts, MS_ARG_INT, (int) ms_gpt_act_offset (gpt, MS_ACT_LOGITS, 0),
          MS_ARG_MEM, gpt->targets, MS_ARG_INT, N, MS_ARG_INT, V, MS_ARG_INT,
          gpt->cfg.padded_vocab_size, MS_ARG_END);
  if (!ms_buffer_read (gpt->dev, gpt->acts, ms_gpt_act_offset (gpt, MS_ACT_LOSSES, 0) * 4,
                       gpt->losses, (gsize) N * sizeof (float), error))
    return FALSE;
  double sum = 0;
  int counted = 0;
  for (int i = 0; i < N; i++)
    if (targets[i] >= 0)
      {
        sum += gpt->losses[i];
        counted++;
      }
  gpt->mean_loss = counted ? (float) (sum / counted) : 0.0f;
  gpt->n_targets = counted;
  return TRUE;
}

gboolean
ms_gpt_read_logits (MsGpt *gpt, float *out, GError **error)
{
  const int V = gpt->cfg.vocab_size, Vp = gpt->cfg.padded_vocab_size;
  gsize base = ms_gpt_act_offset (gpt, MS_ACT_LOGITS, 0) * sizeof (float);
  if (V == Vp)
    return ms_buffer_read (gpt->dev, gpt->acts, base, out,
                           (gsize) gpt->B * gpt->T * V * sizeof (float), error);
  /* Read whole padded rows and squeeze out the padding on the host. */
  gsize rows = (gsize) gpt->B * gpt->T;
  g_autofree float *tmp = g_new (float, rows * Vp);
  if (!ms_buffer_read (gpt->dev, gpt->acts, base, tmp, rows * Vp * sizeof (float), error))
    return FALSE;
  for (gsize r = 0; r < rows; r++)
    memcpy (out + r * V, tmp + r * Vp, V * sizeof (float));
  return TRUE;
}
