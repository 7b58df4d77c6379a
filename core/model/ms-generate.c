/* Generation: a prefill over the left-padded prompts, then one decode step per token whose
 * attention reads the keys and values of earlier positions from a cache (L, B, maxT, 2C).
 * The decode step has its own small activations (one position per row) so that its GEMMs
 * multiply all B rows at once. */
#include "ms-generate.h"

#include <math.h>
#include <string.h>

/* Step activations, in one buffer. */
enum {
  S_X,       /* (B, C) residual stream */
  S_LN,      /* (B, C) */
  S_MEAN,    /* (B) */
  S_RSTD,    /* (B) */
  S_QKV,     /* (B, 3C) */
  S_ATT,     /* (L, B, NH, Tmax) */
  S_ATTY,    /* (B, C) */
  S_PROJ,    /* (B, C) */
  S_RES2,    /* (B, C) */
  S_FCH,     /* (B, 4C) */
  S_FCHG,    /* (B, 4C) */
  S_LOGITS,  /* (B, Vp) */
  S_N
};

typedef struct {
  MsGpt *gpt;
  MsDevice *dev;
  int B, Tmax;
  MsBuffer *cache;     /* (L, B, Tmax, 2C) */
  MsBuffer *step;      /* the S_* tensors */
  gsize off[S_N];
  MsBuffer *next;      /* int (B): tokens of this step */
  MsBuffer *seg;       /* int (B): where each row's sequence starts (decode steps) */
} GenState;

static void
gen_state_clear (GenState *s)
{
  ms_buffer_free (s->cache);
  ms_buffer_free (s->step);
  ms_buffer_free (s->next);
  ms_buffer_free (s->seg);
}

static gboolean
gen_state_init (GenState *s, MsGpt *gpt, int B, int Tmax, gboolean with_cache, GError **error)
{
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  gsize C = cfg->channels, L = cfg->num_layers, NH = cfg->num_heads;
  gsize sizes[S_N] = { B * C, B * C, B, B, B * 3 * C, L * B * NH * Tmax, B * C, B * C, B * C,
                       B * 4 * C, B * 4 * C, (gsize) B * cfg->padded_vocab_size };
  gsize total = 0;
  for (int i = 0; i < S_N; i++)
    {
      s->off[i] = total;
      total += sizes[i];
    }
  s->gpt = gpt;
  s->dev = ms_gpt_device (gpt);
  s->B = B;
  s->Tmax = Tmax;
  s->step = ms_buffer_new (s->dev, total * sizeof (float), error);
  s->next = s->step ? ms_buffer_new (s->dev, B * sizeof (int), error) : NULL;
  s->seg = s->next ? ms_buffer_new (s->dev, B * sizeof (int), error) : NULL;
  if (s->next && with_cache)
    s->cache = ms_buffer_new (s->dev, L * B * Tmax * 2 * C * sizeof (float), error);
  return s->seg && (!with_cache || s->cache);
}

/* Logits (B, Vp) of the last position of each row of the full activations (B, T). */
static void
logits_of_last (GenState *s, int T)
{
  const MsGptConfig *cfg = ms_gpt_config (s->gpt);
  int C = cfg->channels;
  MsGpt *gpt = s->gpt;
  ms_gemm (ms_gpt_blas (gpt), FALSE, TRUE, s->B, cfg->padded_vocab_size, C, 1.0f,
           ms_gpt_acts (gpt), ms_gpt_act_offset (gpt, MS_ACT_LNF, 0) + (gsize) (T - 1) * C,
           T * C, ms_gpt_params (gpt), ms_gpt_param_offset (gpt, MS_WTE), C, 0.0f, s->step,
           s->off[S_LOGITS], cfg->padded_vocab_size);
}

/* One new position per row at absolute position POS, reading the tokens in s->next. */
static void
decode_step (GenState *s, int pos)
{
  MsGpt *gpt = s->gpt;
  MsDevice *dev = s->dev;
  MsBlas *blas = ms_gpt_blas (gpt);
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  const int B = s->B, C = cfg->channels, NH = cfg->num_heads, L = cfg->num_layers;
  const int hs = C / NH, Tk = pos + 1, Vp = cfg->padded_vocab_size;
  MsBuffer *p = ms_gpt_params (gpt), *a = s->step;
#define P(x) ((int) ms_gpt_param_offset (gpt, x))
#define S(x) ((int) s->off[x])

  ms_run1 (dev, "encoder_forward", (gsize) B * C, MS_ARG_MEM, a, MS_ARG_INT, S (S_X), MS_ARG_MEM,
           s->next, MS_ARG_MEM, s->seg, MS_ARG_MEM, p, MS_ARG_INT, P (MS_WTE),
           MS_ARG_MEM, p, MS_ARG_INT, P (MS_WPE), MS_ARG_INT, B, MS_ARG_INT, 1, MS_ARG_INT, C,
           MS_ARG_INT, pos, MS_ARG_END);
  for (int l = 0; l < L; l++)
    {
      int cache = l * B * s->Tmax * 2 * C;
      int att = S (S_ATT) + l * B * NH * s->Tmax;
      ms_run1 (dev, "layernorm_forward", B, MS_ARG_MEM, a, MS_ARG_INT, S (S_LN), MS_ARG_MEM, a,
               MS_ARG_INT, S (S_MEAN), MS_ARG_MEM, a, MS_ARG_INT, S (S_RSTD), MS_ARG_MEM, a,
               MS_ARG_INT, S (S_X), MS_ARG_MEM, p, MS_ARG_INT, P (MS_LN1W) + l * C, MS_ARG_MEM, p,
               MS_ARG_INT, P (MS_LN1B) + l * C, MS_ARG_INT, B, MS_ARG_INT, C, MS_ARG_END);
      ms_gemm (blas, FALSE, TRUE, B, 3 * C, C, 1.0f, a, S (S_LN), C, p,
               P (MS_QKVW) + (gsize) l * 3 * C * C, C, 0.0f, a, S (S_QKV), 3 * C);
      ms_run1 (dev, "bias_add", (gsize) B * 3 * C, MS_ARG_MEM, a, MS_ARG_INT, S (S_QKV), MS_ARG_MEM,
               p, MS_ARG_INT, P (MS_QKVB) + l * 3 * C, MS_ARG_INT, B, MS_ARG_INT, 3 * C, MS_ARG_END);
      ms_run1 (dev, "kv_store", (gsize) B * 2 * C, MS_ARG_MEM, s->cache, MS_ARG_INT, cache,
               MS_ARG_MEM, a, MS_ARG_INT, S (S_QKV), MS_ARG_INT, B, MS_ARG_INT, 1, MS_ARG_INT, C,
               MS_ARG_INT, s->Tmax, MS_ARG_INT, pos, MS_ARG_END);
      ms_run1 (dev, "attention_decode_scores", (gsize) B * NH * Tk, MS_ARG_MEM, a, MS_ARG_INT, att,
               MS_ARG_MEM, a, MS_ARG_INT, S (S_QKV), MS_ARG_MEM, s->cache, MS_ARG_INT, cache,
               MS_ARG_INT, B, MS_ARG_INT, NH, MS_ARG_INT, hs, MS_ARG_INT, s->Tmax, MS_ARG_INT, Tk,
               MS_ARG_END);
      ms_run1 (dev, "attention_softmax", (gsize) B * NH, MS_ARG_MEM, a, MS_ARG_INT, att,
               MS_ARG_MEM, s->seg, MS_ARG_INT, B, MS_ARG_INT, NH, MS_ARG_INT, 1,
               MS_ARG_INT, Tk, MS_ARG_INT, pos, MS_ARG_FLOAT, 1.0 / sqrt (hs), MS_ARG_END);
      ms_run1 (dev, "attention_decode_values", (gsize) B * C, MS_ARG_MEM, a, MS_ARG_INT, S (S_ATTY),
               MS_ARG_MEM, a, MS_ARG_INT, att, MS_ARG_MEM, s->cache, MS_ARG_INT, cache, MS_ARG_INT, B,
               MS_ARG_INT, NH, MS_ARG_INT, hs, MS_ARG_INT, s->Tmax, MS_ARG_INT, Tk, MS_ARG_END);
      MsGptTensor att_t = { .buf = a, .offset = att, .layer = l, .B = B, .NH = NH, .Tq = 1,
                            .Tk = Tk, .T = 1, .C = C, .pos0 = pos };
      ms_gpt_call_hooks_attention (gpt, &att_t, l);

      ms_gemm (blas, FALSE, TRUE, B, C, C, 1.0f, a, S (S_ATTY), C, p,
               P (MS_ATTPROJW) + (gsize) l * C * C, C, 0.0f, a, S (S_PROJ), C);
      ms_run1 (dev, "residual_bias_forward", (gsize) B * C, MS_ARG_MEM, a, MS_ARG_INT, S (S_RES2),
               MS_ARG_MEM, a, MS_ARG_INT, S (S_X), MS_ARG_MEM, a, MS_ARG_INT, S (S_PROJ), MS_ARG_MEM,
               p, MS_ARG_INT, P (MS_ATTPROJB) + l * C, MS_ARG_INT, B, MS_ARG_INT, C, MS_ARG_END);
      ms_run1 (dev, "layernorm_forward", B, MS_ARG_MEM, a, MS_ARG_INT, S (S_LN), MS_ARG_MEM, a,
               MS_ARG_INT, S (S_MEAN), MS_ARG_MEM, a, MS_ARG_INT, S (S_RSTD), MS_ARG_MEM, a,
               MS_ARG_INT, S (S_RES2), MS_ARG_MEM, p, MS_ARG_INT, P (MS_LN2W) + l * C, MS_ARG_MEM, p,
               MS_ARG_INT, P (MS_LN2B) + l * C, MS_ARG_INT, B, MS_ARG_INT, C, MS_ARG_END);
      ms_gemm (blas, FALSE, TRUE, B, 4 * C, C, 1.0f, a, S (S_LN), C, p,
               P (MS_FCW) + (gsize) l * 4 * C * C, C, 0.0f, a, S (S_FCH), 4 * C);
      ms_run1 (dev, "bias_gelu_forward", (gsize) B * 4 * C, MS_ARG_MEM, a, MS_ARG_INT, S (S_FCH),
               MS_ARG_MEM, a, MS_ARG_INT, S (S_FCHG), MS_ARG_MEM, p, MS_ARG_INT, P (MS_FCB) + l * 4 * C,
               MS_ARG_INT, B, MS_ARG_INT, 4 * C, MS_ARG_END);
      ms_gemm (blas, FALSE, TRUE, B, C, 4 * C, 1.0f, a, S (S_FCHG), 4 * C, p,
               P (MS_FCPROJW) + (gsize) l * C * 4 * C, 4 * C, 0.0f, a, S (S_PROJ), C);
      /* The new residual stream overwrites x: its old value is no longer needed. */
      ms_run1 (dev, "residual_bias_forward", (gsize) B * C, MS_ARG_MEM, a, MS_ARG_INT, S (S_X),
               MS_ARG_MEM, a, MS_ARG_INT, S (S_RES2), MS_ARG_MEM, a, MS_ARG_INT, S (S_PROJ), MS_ARG_MEM,
               p, MS_ARG_INT, P (MS_FCPROJB) + l * C, MS_ARG_INT, B, MS_ARG_INT, C, MS_ARG_END);
      const MsGptHooks *hooks = ms_gpt_hooks (gpt);
      MsGptTensor h = { .buf = a, .layer = l, .B = B, .T = 1, .Tq = 1, .Tk = Tk, .NH = NH,
                        .pos0 = pos };
      if (hooks && hooks->hidden_kind == MS_HIDDEN_MLP)
        h.offset = S (S_FCHG), h.C = 4 * C;
      else
        h.offset = S (S_X), h.C = C;
      ms_gpt_call_hooks_hidden (gpt, &h, l);
    }
  ms_run1 (dev, "layernorm_forward", B, MS_ARG_MEM, a, MS_ARG_INT, S (S_LN), MS_ARG_MEM, a,
           MS_ARG_INT, S (S_MEAN), MS_ARG_MEM, a, MS_ARG_INT, S (S_RSTD), MS_ARG_MEM, a, MS_ARG_INT,
           S (S_X), MS_ARG_MEM, p, MS_ARG_INT, P (MS_LNFW), MS_ARG_MEM, p, MS_ARG_INT, P (MS_LNFB),
           MS_ARG_INT, B, MS_ARG_INT, C, MS_ARG_END);
  ms_gemm (blas, FALSE, TRUE, B, Vp, C, 1.0f, a, S (S_LN), C, p, P (MS_WTE), C, 0.0f, a,
           S (S_LOGITS), Vp);
#undef P
#undef S
}

static guint64
rng_next (guint64 *state)
{
  guint64 z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

typedef struct {
  float logit;
  int id;
} Candidate;

static int
by_logit_desc (const void *a, const void *b)
{
  const Candidate *x = a, *y = b;
  if (x->logit != y->logit)
    return x->logit < y->logit ? 1 : -1;
  return x->id - y->id;
}

/* Samples one token from a row of logits with temperature and top-k, on the host. */
static int
sample_row (const float *logits, int V, const MsGenerateOptions *opt, guint64 *rng,
            Candidate *scratch)
{
  for (int v = 0; v < V; v++)
    scratch[v] = (Candidate) { logits[v], v };
  int k = opt->top_k > 0 && opt->top_k < V ? opt->top_k : V;
  qsort (scratch, V, sizeof *scratch, by_logit_desc);
  double sum = 0, mx = scratch[0].logit;
  g_autofree double *w = g_new (double, k);
  for (int i = 0; i < k; i++)
    sum += w[i] = exp ((scratch[i].logit - mx) / opt->temperature);
  double u = (rng_next (rng) >> 11) * (1.0 / 9007199254740992.0) * sum;
  for (int i = 0; i < k; i++)
    if ((u -= w[i]) < 0)
      return scratch[i].id;
  return scratch[k - 1].id;
}

/* The next token of every row, from the logits in the step buffer. */
static gboolean
pick_next (GenState *s, const MsGenerateOptions *opt, guint64 *rng, int *next, GError **error)
{
  const MsGptConfig *cfg = ms_gpt_config (s->gpt);
  int V = cfg->vocab_size, Vp = cfg->padded_vocab_size;
  if (opt->temperature <= 0)
    {
      ms_run_rows (s->dev, "argmax_rows", s->B, MS_ARG_MEM, s->next, MS_ARG_MEM, s->step, MS_ARG_INT, (int) s->off[S_LOGITS],
              MS_ARG_INT, s->B, MS_ARG_INT, V, MS_ARG_INT, Vp, MS_ARG_END);
      return ms_buffer_read (s->dev, s->next, 0, next, s->B * sizeof (int), error);
    }
  g_autofree float *logits = g_new (float, (gsize) s->B * Vp);
  g_autofree Candidate *scratch = g_new (Candidate, V);
  if (!ms_buffer_read (s->dev, s->step, s->off[S_LOGITS] * sizeof (float), logits,
                       (gsize) s->B * Vp * sizeof (float), error))
    return FALSE;
  for (int b = 0; b < s->B; b++)
    next[b] = sample_row (logits + (gsize) b * Vp, V, opt, rng, scratch);
  return ms_buffer_write (s->dev, s->next, 0, next, s->B * sizeof (int), error);
}

static gboolean
is_stop (const MsGenerateOptions *opt, int token)
{
  for (int i = 0; i < opt->n_stop_tokens; i++)
    if (opt->stop_tokens[i] == token)
      return TRUE;
  return FALSE;
}

gboolean
ms_gpt_generate (MsGpt *gpt, int B, const int *const *prompts, const int *lens,
                 const MsGenerateOptions *opt, int *out, int *out_lens, GError **error)
{
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  int Tp = 0;
  for (int b = 0; b < B; b++)
    {
      if (lens[b] < 1)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "prompt %d is empty", b);
          return FALSE;
        }
      Tp = MAX (Tp, lens[b]);
    }
  int n_new = opt->max_new_tokens, Tmax = Tp + n_new;
  if (B < 1 || n_new < 1 || Tmax > cfg->max_seq_len)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "a prompt of %d tokens plus %d new ones does not fit the model's context "
                   "of %d (or the batch is empty)", Tp, n_new, cfg->max_seq_len);
      return FALSE;
    }

  /* The left-padded batch, grown by one column per step when there is no cache. */
  int width = opt->no_cache ? Tmax : Tp;
  g_autofree int *tokens = g_new0 (int, (gsize) B * width);
  g_autofree int *starts = g_new (int, B);
  g_autofree int *next = g_new (int, B);
  g_autofree gboolean *done = g_new0 (gboolean, B);
  for (int b = 0; b < B; b++)
    {
      starts[b] = Tp - lens[b];
      memcpy (tokens + (gsize) b * width + starts[b], prompts[b], lens[b] * sizeof (int));
      out_lens[b] = 0;
    }

  GenState s = { 0 };
  gboolean ok = FALSE;
  guint64 rng = opt->seed;
  /* Reserving the longest pass first keeps later passes from reallocating. */
  if (!gen_state_init (&s, gpt, B, Tmax, !opt->no_cache, error)
      || !ms_gpt_reserve (gpt, B, opt->no_cache ? Tmax : Tp, error)
      || !ms_buffer_write (s.dev, s.seg, 0, starts, B * sizeof (int), error))
    goto out;

  int T = Tp;
  for (int step = 0; step < n_new; step++)
    {
      if (step == 0 || opt->no_cache)
        {
          /* Prefill, or a full recomputation over the T tokens so far. */
          g_autofree int *batch = g_new (int, (gsize) B * T);
          for (int b = 0; b < B; b++)
            memcpy (batch + (gsize) b * T, tokens + (gsize) b * width, T * sizeof (int));
          if (!ms_gpt_reserve (gpt, B, T, error)
              || !ms_gpt_upload_inputs (gpt, batch, starts, B, T, error))
            goto out;
          ms_gpt_enqueue_body (gpt, B, T);
          logits_of_last (&s, T);
          if (!opt->no_cache)
            for (int l = 0; l < cfg->num_layers; l++)
              ms_run1 (s.dev, "kv_store", (gsize) B * T * 2 * cfg->channels, MS_ARG_MEM, s.cache,
                       MS_ARG_INT, l * B * Tmax * 2 * cfg->channels, MS_ARG_MEM, ms_gpt_acts (gpt),
                       MS_ARG_INT, (int) ms_gpt_act_offset (gpt, MS_ACT_QKV, l), MS_ARG_INT, B,
                       MS_ARG_INT, T, MS_ARG_INT, cfg->channels, MS_ARG_INT, Tmax, MS_ARG_INT, 0,
                       MS_ARG_END);
        }
      else
        decode_step (&s, T - 1);
      if (!pick_next (&s, opt, &rng, next, error))
        goto out;

      gboolean all_done = TRUE;
      for (int b = 0; b < B; b++)
        {
          if (!done[b] && is_stop (opt, next[b]))
            done[b] = TRUE;
          if (!done[b])
            out[(gsize) b * n_new + out_lens[b]++] = next[b];
          all_done &= done[b];
          if (opt->no_cache)
            tokens[(gsize) b * width + T] = next[b];
        }
      T++;
      if (all_done)
        break;
    }
  ok = ms_device_check (s.dev, error);
out:
  gen_state_clear (&s);
  return ok;
}
