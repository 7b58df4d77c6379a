/* GPT-2 on an OpenCL device: parameters in one device buffer carved by offsets (llm.c's
 * order), activations in another, a forward pass that never returns to the host except to
 * hand over losses, and hooks that give analysis code the attention probabilities and hidden
 * states of chosen layers. Generation with a KV cache lives in ms-generate.c. */
#pragma once

#include "blas/ms-blas.h"
#include "model/ms-gpt-config.h"

G_BEGIN_DECLS

/* Activations of a forward pass over (B, T), in this order in one buffer. */
enum {
  MS_ACT_ENCODED,   /* (B, T, C) */
  MS_ACT_LN1,       /* (L, B, T, C) */
  MS_ACT_LN1_MEAN,  /* (L, B, T) */
  MS_ACT_LN1_RSTD,  /* (L, B, T) */
  MS_ACT_QKV,       /* (L, B, T, 3C) */
  MS_ACT_ATTY,      /* (L, B, T, C) */
  MS_ACT_ATT,       /* (L, B, NH, T, T) attention probabilities */
  MS_ACT_ATTPROJ,   /* (L, B, T, C) */
  MS_ACT_RESIDUAL2, /* (L, B, T, C) */
  MS_ACT_LN2,       /* (L, B, T, C) */
  MS_ACT_LN2_MEAN,  /* (L, B, T) */
  MS_ACT_LN2_RSTD,  /* (L, B, T) */
  MS_ACT_FCH,       /* (L, B, T, 4C) */
  MS_ACT_FCH_GELU,  /* (L, B, T, 4C) */
  MS_ACT_FCPROJ,    /* (L, B, T, C) */
  MS_ACT_RESIDUAL3, /* (L, B, T, C) the residual stream after each layer */
  MS_ACT_LNF,       /* (B, T, C) */
  MS_ACT_LNF_MEAN,  /* (B, T) */
  MS_ACT_LNF_RSTD,  /* (B, T) */
  MS_ACT_LOGITS,    /* (B, T, Vp) */
  MS_ACT_LOSSES,    /* (B, T) */
  MS_N_ACTS
};

typedef struct _MsGpt MsGpt;

/* What a hook receives: a tensor in a device buffer, valid until the next forward. */
typedef struct {
  const MsBuffer *buf;
  gsize offset;         /* in floats */
  int layer;
  int B, NH, Tq, Tk;    /* attention: (B, NH, Tq, Tk), queries at key positions pos0.. */
  int T, C;             /* hidden: (B, T, C) */
  int pos0;
} MsGptTensor;

typedef enum {
  MS_HIDDEN_RESIDUAL,   /* the residual stream after the layer, (B, T, C) */
  MS_HIDDEN_MLP,        /* the MLP's GELU activations, (B, T, 4C) */
} MsHiddenKind;

/* Called while the forward pass is enqueued, after the layer's tensors are computed (in
 * queue order: a hook may enqueue its own kernels on the tensor). */
typedef struct {
  guint64 layers;                       /* bit l set: call the hooks for layer l */
  MsHiddenKind hidden_kind;
  void (*attention) (gpointer user, const MsGptTensor *att);
  void (*hidden) (gpointer user, const MsGptTensor *h);
  gpointer user;
} MsGptHooks;

MsGpt *ms_gpt_new (MsBlas *blas, const MsGptConfig *cfg, const float *params, GError **error);
void ms_gpt_free (MsGpt *gpt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsGpt, ms_gpt_free)

const MsGptConfig *ms_gpt_config (const MsGpt *gpt);
MsDevice *ms_gpt_device (const MsGpt *gpt);
MsBlas *ms_gpt_blas (const MsGpt *gpt);
gsize ms_gpt_num_params (const MsGpt *gpt);
/* The parameter buffer and the element offset of tensor WHICH (MS_WTE ...) in it. */
MsBuffer *ms_gpt_params (MsGpt *gpt);
gsize ms_gpt_param_offset (const MsGpt *gpt, int which);
/* Copies all parameters back to the host, in llm.c order. */
gboolean ms_gpt_read_params (MsGpt *gpt, float *out, GError **error);
gboolean ms_gpt_write_params (MsGpt *gpt, const float *params, GError **error);
/* Writes the parameters as an llm.c checkpoint (atomically, ms_checkpoint_save). */
gboolean ms_gpt_save (MsGpt *gpt, const char *path, GError **error);

/* Installs hooks for later forward passes (NULL removes them); the struct is copied. */
void ms_gpt_set_hooks (MsGpt *gpt, const MsGptHooks *hooks);

/* Runs the forward pass over TOKENS (B, T). STARTS (B), if given, marks where each row's real
 * tokens begin (left padding). With TARGETS (B, T; negative = ignored) it also computes the
 * per-token losses and waits for them; the mean is ms_gpt_mean_loss(). Without targets the
 * pass is only enqueued. */
gboolean ms_gpt_forward (MsGpt *gpt, const int *tokens, const int *starts, const int *targets,
                         int B, int T, GError **error);
/* The same over packed rows: SEG (B, T) gives for each position the position where its
 * segment starts; segments attend only within themselves and count positions from 0, so each
 * example packed in a row is computed as if alone. */
gboolean ms_gpt_forward_segments (MsGpt *gpt, const int *tokens, const int *seg,
                                  const int *targets, int B, int T, GError **error);
/* Mean loss over the targets of the last forward that had targets (ignored ones excluded). */
float ms_gpt_mean_loss (const MsGpt *gpt);
/* Per-token losses (B, T) of that forward (0 where the target was ignored). */
const float *ms_gpt_losses (const MsGpt *gpt);
/* Copies the logits of the last forward to OUT (B, T, V): the real vocabulary only. */
gboolean ms_gpt_read_logits (MsGpt *gpt, float *out, GError **error);

/* The activation buffer and the element offset of activation WHICH for layer LAYER (0 for
 * activations without a layer axis), as laid out for the last forward's (B, T). */
MsBuffer *ms_gpt_acts (MsGpt *gpt);
gsize ms_gpt_act_offset (const MsGpt *gpt, int which, int layer);

/* ---- training ------------------------------------------------------------------------ */

/* Accumulates (+=) into the gradient buffer the gradients of LOSS_SCALE × the mean loss of the
 * last forward pass (which must have had targets), for that pass's (B, T). */
gboolean ms_gpt_backward (MsGpt *gpt, float loss_scale, GError **error);
/* Sets all gradients to zero (allocating the gradient buffer on first use). */
gboolean ms_gpt_zero_grad (MsGpt *gpt, GError **error);
/* The gradient buffer, laid out like the parameters; NULL before the first backward. */
MsBuffer *ms_gpt_grads (MsGpt *gpt);
/* Global L2 norm of the gradients of the tensors in MASK (bit i = tensor i), from partial sums
 * reduced on the device and added up on the host in a fixed order. */
gboolean ms_gpt_grad_norm (MsGpt *gpt, guint32 mask, double *norm, GError **error);

/* ---- internal: shared with ms-generate.c and the backward pass ------------------------ */

/* Ensures activations for (B, T) exist; reallocates only when the size grows. */
gboolean ms_gpt_reserve (MsGpt *gpt, int B, int T, GError **error);
/* Uploads tokens (B, T) and their segments: from row starts (B, zeros when NULL; left
 * padding), or given per position (B, T). */
gboolean ms_gpt_upload_inputs (MsGpt *gpt, const int *tokens, const int *starts, int B, int T,
                               GError **error);
gboolean ms_gpt_upload_segments (MsGpt *gpt, const int *tokens, const int *seg, int B, int T,
                                 GError **error);
MsBuffer *ms_gpt_tokens_buffer (MsGpt *gpt);
MsBuffer *ms_gpt_seg_buffer (MsGpt *gpt);
MsBuffer *ms_gpt_targets_buffer (MsGpt *gpt);
/* Enqueues the layers and the final LayerNorm over the uploaded inputs. */
void ms_gpt_enqueue_body (MsGpt *gpt, int B, int T);
/* Enqueues logits = lnf · wte^T for all (B, T) positions. */
void ms_gpt_enqueue_logits (MsGpt *gpt, int B, int T);
void ms_gpt_call_hooks_attention (MsGpt *gpt, const MsGptTensor *t, int layer);
void ms_gpt_call_hooks_hidden (MsGpt *gpt, const MsGptTensor *t, int layer);
const MsGptHooks *ms_gpt_hooks (const MsGpt *gpt);

G_END_DECLS
