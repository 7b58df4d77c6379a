/* AdamW and learning-rate schedules. The update follows torch.optim.AdamW's arithmetic, so
 * that a run can be compared step for step with PyTorch. */
#include "ms-optim.h"

#include <math.h>

struct _MsAdamW {
  MsGpt *gpt;
  MsAdamWConfig cfg;
  MsBuffer *m, *v;     /* like the parameters */
  gint64 t;
};

double
ms_schedule_lr (const MsSchedule *s, int step)
{
  if (s->warmup_steps > 0 && step < s->warmup_steps)
    return s->lr * (step + 1) / s->warmup_steps;
  if (s->kind == MS_SCHEDULE_CONSTANT)
    return s->lr;
  int span = s->total_steps - s->warmup_steps;
  double frac = span > 0 ? (double) (step - s->warmup_steps) / span : 1.0;
  frac = CLAMP (frac, 0.0, 1.0);
  double min_lr = s->lr * s->min_lr_frac;
  if (s->kind == MS_SCHEDULE_LINEAR)
    return s->lr + (min_lr - s->lr) * frac;
  return min_lr + 0.5 * (s->lr - min_lr) * (1.0 + cos (G_PI * frac));
}

gboolean
ms_schedule_kind_parse (const char *text, MsScheduleKind *kind, GError **error)
{
  static const char *names[] = { "constant", "linear", "cosine" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *kind = i;
        return TRUE;
      }
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
               "unknown learning-rate schedule '%s' (expected constant, linear or cosine)", text);
  return FALSE;
}

const char *
ms_schedule_kind_name (MsScheduleKind kind)
{
  return kind == MS_SCHEDULE_LINEAR ? "linear" : kind == MS_SCHEDULE_COSINE ? "cosine" : "constant";
}

void
ms_adamw_config_init (MsAdamWConfig *cfg)
{
  *cfg = (MsAdamWConfig) { .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.0,
                           .decay_all = FALSE, .grad_clip = 0.0 };
}

MsAdamW *
ms_adamw_new (MsGpt *gpt, const MsAdamWConfig *cfg, GError **error)
{
  g_autoptr (MsAdamW) opt = g_new0 (MsAdamW, 1);
  opt->gpt = gpt;
  opt->cfg = *cfg;
  gsize bytes = ms_gpt_num_params (gpt) * sizeof (float);
  MsDevice *dev = ms_gpt_device (gpt);
  if (!(opt->m = ms_buffer_new (dev, bytes, error)) || !(opt->v = ms_buffer_new (dev, bytes, error)))
    return NULL;
  return g_steal_pointer (&opt);
}

void
ms_adamw_free (MsAdamW *opt)
{
  if (opt == NULL)
    return;
  ms_buffer_free (opt->m);
  ms_buffer_free (opt->v);
  g_free (opt);
}

static gboolean
is_matrix (int which)
{
  return which == MS_WTE || which == MS_WPE || which == MS_QKVW || which == MS_ATTPROJW
         || which == MS_FCW || which == MS_FCPROJW;
}

gboolean
ms_adamw_step (MsAdamW *opt, double lr, double *grad_norm, GError **error)
{
  MsGpt *gpt = opt->gpt;
  MsBuffer *grads = ms_gpt_grads (gpt);
  if (grads == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "AdamW step without gradients");
      return FALSE;
    }
  double norm = 0;
  if (!ms_gpt_grad_norm (gpt, 0xFFFF, &norm, error))
    return FALSE;
  if (grad_norm)
    *grad_norm = norm;
  if (!isfinite (norm))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "the gradient norm is %g at step %" G_GINT64_FORMAT
                   ": training diverged (try a lower learning rate or --grad-clip)",
                   norm, opt->t + 1);
      return FALSE;
    }
  /* As torch.nn.utils.clip_grad_norm_: scale by min(1, clip / (norm + 1e-6)). */
  double scale = opt->cfg.grad_clip > 0 ? MIN (1.0, opt->cfg.grad_clip / (norm + 1e-6)) : 1.0;

  opt->t++;
  double bc1 = 1.0 - pow (opt->cfg.beta1, (double) opt->t);
  double bc2_sqrt = sqrt (1.0 - pow (opt->cfg.beta2, (double) opt->t));
  gsize sizes[MS_N_PARAMS];
  ms_gpt_param_sizes (ms_gpt_config (gpt), sizes);
  for (int t = 0; t < MS_N_PARAMS; t++)
    {
      double wd = (opt->cfg.decay_all || is_matrix (t)) ? opt->cfg.weight_decay : 0.0;
      ms_run1 (ms_gpt_device (gpt), "adamw_update", sizes[t], MS_ARG_MEM, ms_gpt_params (gpt),
               MS_ARG_MEM, grads, MS_ARG_MEM, opt->m, MS_ARG_MEM, opt->v, MS_ARG_INT,
               (int) ms_gpt_param_offset (gpt, t), MS_ARG_INT, (int) sizes[t], MS_ARG_FLOAT, lr,
               MS_ARG_FLOAT, opt->cfg.beta1, MS_ARG_FLOAT, opt->cfg.beta2, MS_ARG_FLOAT,
               opt->cfg.eps, MS_ARG_FLOAT, wd, MS_ARG_FLOAT, bc1, MS_ARG_FLOAT, bc2_sqrt,
               MS_ARG_FLOAT, scale, MS_ARG_END);
    }
  return ms_device_check (ms_gpt_device (gpt), error);
}

gint64 ms_adamw_steps (const MsAdamW *opt) { return opt->t; }
MsBuffer *ms_adamw_m (MsAdamW *opt) { return opt->m; }
MsBuffer *ms_adamw_v (MsAdamW *opt) { return opt->v; }
void ms_adamw_set_steps (MsAdamW *opt, gint64 steps) { opt->t = steps; }
