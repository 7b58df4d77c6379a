/* AdamW on the device and learning-rate schedules. Moments live on the device next to the
 * parameters; one step returns only the gradient norm. */
#pragma once

#include "model/ms-gpt.h"

G_BEGIN_DECLS

typedef enum {
  MS_SCHEDULE_CONSTANT,
  MS_SCHEDULE_LINEAR,    /* linear warmup, then linear decay to min_lr_frac · lr */
  MS_SCHEDULE_COSINE,    /* linear warmup, then cosine decay to min_lr_frac · lr */
} MsScheduleKind;

typedef struct {
  MsScheduleKind kind;
  double lr;             /* peak learning rate */
  int warmup_steps;      /* linear from lr / warmup_steps up to lr (all kinds, 0 = none) */
  int total_steps;       /* where the decay ends */
  double min_lr_frac;
} MsSchedule;

/* The learning rate of step STEP (counted from 0). */
double ms_schedule_lr (const MsSchedule *s, int step);
gboolean ms_schedule_kind_parse (const char *text, MsScheduleKind *kind, GError **error);
const char *ms_schedule_kind_name (MsScheduleKind kind);

typedef struct {
  double beta1, beta2, eps;
  double weight_decay;
  gboolean decay_all;    /* FALSE: decay only the matrices (wte, wpe and the four weights) */
  double grad_clip;      /* clip the global gradient norm to this; 0 = off */
} MsAdamWConfig;

/* torch.optim.AdamW's defaults except weight decay 0: betas (0.9, 0.999), eps 1e-8. */
void ms_adamw_config_init (MsAdamWConfig *cfg);

typedef struct _MsAdamW MsAdamW;

MsAdamW *ms_adamw_new (MsGpt *gpt, const MsAdamWConfig *cfg, GError **error);
void ms_adamw_free (MsAdamW *opt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAdamW, ms_adamw_free)

/* Applies one update with learning rate LR from the gradients in the model's gradient buffer.
 * GRAD_NORM (optional) receives the global gradient norm before clipping. */
gboolean ms_adamw_step (MsAdamW *opt, double lr, double *grad_norm, GError **error);
/* Updates taken so far (the t of the bias corrections). */
gint64 ms_adamw_steps (const MsAdamW *opt);
/* The first and second moments (laid out like the parameters), and the step counter, for
 * saving and restoring a run. */
MsBuffer *ms_adamw_m (MsAdamW *opt);
MsBuffer *ms_adamw_v (MsAdamW *opt);
void ms_adamw_set_steps (MsAdamW *opt, gint64 steps);

G_END_DECLS
