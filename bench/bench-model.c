/* Forward, training-step and generation speed of memscope on a GPT-2 shape:
 *   build/bench/bench-model SHAPE B T [REPS]      e.g.  L=12,NH=12,C=768,V=50257,maxT=1024 4 64
 * prints "key value" lines (seconds are medians of REPS) that bench/compare.py sets against
 * PyTorch measured in the same run; also model FLOP utilisation against the device's own
 * measured peak GEMM rate. */
#include <stdio.h>
#include <stdlib.h>

#include "analysis/ms-attention.h"
#include "bench-util.h"
#include "model/ms-checkpoint.h"
#include "model/ms-generate.h"
#include "train/ms-optim.h"

typedef struct {
  MsGpt *gpt;
  MsAdamW *opt;
  int B, T;
  int *tokens;
  MsBlas *blas;
  MsBuffer *a, *b, *c;
  int n_new;
  gboolean no_cache;
  MsAttentionStats *att;   /* non-NULL: generation feeds attention statistics, as probing does */
} Ctx;

static void
must (gboolean ok, GError *error)
{
  if (!ok)
    {
      g_printerr ("bench-model: %s\n", error ? error->message : "failed");
      exit (1);
    }
}

static void
run_forward (gpointer p)
{
  Ctx *c = p;
  GError *error = NULL;
  must (ms_gpt_forward (c->gpt, c->tokens, NULL, c->tokens + 1, c->B, c->T, &error), error);
}

static void
run_step (gpointer p)
{
  Ctx *c = p;
  GError *error = NULL;
  must (ms_gpt_zero_grad (c->gpt, &error), error);
  must (ms_gpt_forward (c->gpt, c->tokens, NULL, c->tokens + 1, c->B, c->T, &error), error);
  must (ms_gpt_backward (c->gpt, 1.0f, &error), error);
  must (ms_adamw_step (c->opt, 1e-4, NULL, &error), error);
}

static void
run_generate (gpointer p)
{
  Ctx *c = p;
  GError *error = NULL;
  g_autofree const int **prompts = g_new (const int *, c->B);
  g_autofree int *lens = g_new (int, c->B), *out = g_new (int, c->B * c->n_new);
  g_autofree int *out_lens = g_new (int, c->B);
  for (int b = 0; b < c->B; b++)
    {
      prompts[b] = c->tokens + b * c->T;
      lens[b] = c->T;
    }
  MsGenerateOptions opt = { .max_new_tokens = c->n_new, .no_cache = c->no_cache };
  if (c->att)
    must (ms_attention_stats_reset_lens (c->att, c->B, lens, &error), error);
  must (ms_gpt_generate (c->gpt, c->B, prompts, lens, &opt, out, out_lens, &error), error);
  if (c->att)
    must (ms_attention_stats_read (c->att, out_lens, NULL, NULL, &error), error);
}

static void
run_peak (gpointer p)
{
  Ctx *c = p;
  ms_gemm (c->blas, FALSE, TRUE, 2048, 2048, 2048, 1.0f, c->a, 0, 2048, c->b, 0, 2048, 0.0f, c->c,
           0, 2048);
  ms_device_finish (ms_blas_device (c->blas), NULL);
}

/* FLOPs of one forward pass over (B, T): every GEMM, the attention included. */
static double
forward_flops (const MsGptConfig *cfg, int B, int T)
{
  double BT = (double) B * T, C = cfg->channels, L = cfg->num_layers;
  double per_layer = 2 * BT * C * (3 * C + C + 4 * C + 4 * C) + 4.0 * B * T * T * C;
  return L * per_layer + 2 * BT * C * cfg->padded_vocab_size;
}

int
main (int argc, char **argv)
{
  if (argc < 4)
    {
      g_printerr ("usage: bench-model SHAPE B T [REPS]\n");
      return 2;
    }
  int B = atoi (argv[2]), T = atoi (argv[3]), reps = argc > 4 ? atoi (argv[4]) : 5;
  GError *error = NULL;
  MsGptConfig cfg = { 0 };
  /* SHAPE as in `memscope train --model random:SHAPE`. */
  cfg = (MsGptConfig) { 256, 8192, 8192, 4, 4, 256 };
  g_auto (GStrv) parts = g_strsplit (argv[1], ",", -1);
  for (char **s = parts; *s; s++)
    {
      g_auto (GStrv) kv = g_strsplit (*s, "=", 2);
      int v = kv[1] ? atoi (kv[1]) : 0;
      if (!g_strcmp0 (kv[0], "L")) cfg.num_layers = v;
      else if (!g_strcmp0 (kv[0], "NH")) cfg.num_heads = v;
      else if (!g_strcmp0 (kv[0], "C")) cfg.channels = v;
      else if (!g_strcmp0 (kv[0], "V")) cfg.vocab_size = v;
      else if (!g_strcmp0 (kv[0], "maxT")) cfg.max_seq_len = v;
    }
  cfg.padded_vocab_size = (cfg.vocab_size + 127) / 128 * 128;
  must (ms_gpt_config_validate (&cfg, &error), error);

  g_autoptr (MsDevice) dev = ms_device_open (NULL, &error);
  must (dev != NULL, error);
  Ctx c = { .B = B, .T = T };
  c.blas = ms_blas_new (dev, MS_BLAS_AUTO, &error);
  must (c.blas != NULL, error);
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_new_random (&cfg, 1, NULL);
  c.gpt = ms_gpt_new (c.blas, &cfg, ck->params, &error);
  must (c.gpt != NULL, error);
  MsAdamWConfig acfg;
  ms_adamw_config_init (&acfg);
  c.opt = ms_adamw_new (c.gpt, &acfg, &error);
  must (c.opt != NULL, error);
  c.tokens = g_new (int, B * T + 1);
  for (int i = 0; i < B * T + 1; i++)
    c.tokens[i] = (i * 7919) % cfg.vocab_size;

  g_autofree char *desc = ms_device_describe (dev);
  const char *coretype = g_getenv ("OPENBLAS_CORETYPE");
  printf ("device %s\n", desc);
  printf ("gemm_backend %s\n", ms_blas_name (c.blas));
  printf ("openblas_coretype %s\n", coretype ? coretype : "unset");
  printf ("params %zu\n", ms_gpt_num_params (c.gpt));

  MsTimes fwd = ms_bench_time (run_forward, &c, 1, reps);
  printf ("forward_seconds %.6f %.6f %.6f\n", fwd.median, fwd.min, fwd.max);
  MsTimes step = ms_bench_time (run_step, &c, 1, reps);
  printf ("train_step_seconds %.6f %.6f %.6f\n", step.median, step.min, step.max);

  /* Generation: 32 new tokens after a prompt of T/2, with and without the KV cache. */
  c.n_new = 32;
  c.T = T / 2;
  MsTimes gen = ms_bench_time (run_generate, &c, 1, MAX (3, reps / 2));
  c.no_cache = TRUE;
  MsTimes gen_nc = ms_bench_time (run_generate, &c, 0, MAX (3, reps / 2));
  c.no_cache = FALSE;
  /* The same with attention statistics accumulated on the device, as every probe does. */
  c.att = ms_attention_stats_new (dev, B, cfg.num_layers, cfg.num_heads, MS_ATT_TOP_K_DEFAULT,
                                  &error);
  must (c.att != NULL, error);
  MsGptHooks hooks = { 0 };
  ms_attention_stats_hooks (c.att, &hooks);
  ms_gpt_set_hooks (c.gpt, &hooks);
  MsTimes gen_att = ms_bench_time (run_generate, &c, 1, MAX (3, reps / 2));
  ms_gpt_set_hooks (c.gpt, NULL);
  g_clear_pointer (&c.att, ms_attention_stats_free);
  c.T = T;
  printf ("generate_tokens_per_second %.1f\n", B * c.n_new / gen.median);
  printf ("generate_no_cache_tokens_per_second %.1f\n", B * c.n_new / gen_nc.median);
  printf ("generate_attention_stats_tokens_per_second %.1f\n", B * c.n_new / gen_att.median);

  gsize n = 2048 * 2048;
  c.a = ms_buffer_new (dev, n * 4, &error);
  c.b = ms_buffer_new (dev, n * 4, &error);
  c.c = ms_buffer_new (dev, n * 4, &error);
  MsTimes peak = ms_bench_time (run_peak, &c, 1, 5);
  double peak_gflops = 2.0 * 2048 * 2048 * 2048 / peak.min / 1e9;
  double train_gflops = 3 * forward_flops (&cfg, B, T) / step.median / 1e9;
  printf ("peak_gemm_gflops %.1f\n", peak_gflops);
  printf ("train_gflops %.1f\n", train_gflops);
  printf ("train_mfu %.3f\n", train_gflops / peak_gflops);
  printf ("forward_mfu %.3f\n", forward_flops (&cfg, B, T) / fwd.median / 1e9 / peak_gflops);
  return 0;
}
