/* memscope train: AdamW on consecutive windows of an llm.c token shard, one line per step,
 * with atomic training-state saves and exact resume. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <zlib.h>

#include "common/ms-progress.h"
#include "ms-cli.h"
#include "text/ms-shard.h"
#include "train/ms-trainer.h"

#define CMD "train"

static volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  stop_requested = sig;
}

int
ms_cmd_train (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autofree char *model = NULL, *tokens_path = NULL, *out = NULL, *state = NULL;
  g_autofree char *schedule = NULL;
  int B = 4, T = 64, steps = 10, accum = 1, warmup = 0, save_every = 0;
  double lr = 1e-3, wd = 0.0, clip = 0.0, min_lr_frac = 0.0;
  gint64 seed = 0;
  gboolean decay_all = FALSE, resume = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
      "Initial checkpoint, or random:L=4,NH=4,C=256,V=8192,maxT=256", "M" },
    { "tokens", 0, 0, G_OPTION_ARG_FILENAME, &tokens_path, "llm.c token shard", "SHARD" },
    { "batch", 'B', 0, G_OPTION_ARG_INT, &B, "Batch size (default 4)", "B" },
    { "seq", 'T', 0, G_OPTION_ARG_INT, &T, "Sequence length (default 64)", "T" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Optimizer steps (default 10)", "N" },
    { "grad-accum", 0, 0, G_OPTION_ARG_INT, &accum, "Micro-batches per step (default 1)", "K" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Peak learning rate (default 1e-3)", "LR" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &schedule,
      "constant, linear or cosine (default constant)", "NAME" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Linear warmup steps (default 0)", "N" },
    { "min-lr-frac", 0, 0, G_OPTION_ARG_DOUBLE, &min_lr_frac,
      "Final learning rate of linear/cosine decay, as a fraction of --lr (default 0)", "F" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &wd, "AdamW weight decay (default 0)", "WD" },
    { "decay-all", 0, 0, G_OPTION_ARG_NONE, &decay_all,
      "Decay every parameter, not only the matrices", NULL },
    { "grad-clip", 0, 0, G_OPTION_ARG_DOUBLE, &clip,
      "Clip the global gradient norm (default 0 = off)", "NORM" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of a random:… initialisation", "S" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the trained model here (llm.c .bin)", "OUT" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &state,
      "Training-state file for resuming (default OUT.state when saving)", "FILE" },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &save_every,
      "Save the training state every N steps (default: only at the end or on Ctrl-C)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue from the training state", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- train a GPT-2 on a token shard");
  g_option_context_add_main_entries (ctx, entries, NULL);
  ms_cli_add_common (ctx, &common);
  g_option_context_set_description (ctx,
    "Reads consecutive windows of B·T+1 tokens from SHARD (wrapping at its end), and prints one\n"
    "line per step with 'step <n>' and 'loss <value>'. With --weight-decay 0 and --grad-clip 0\n"
    "this is plain AdamW (betas 0.9, 0.999, eps 1e-8), as torch.optim.AdamW.\n"
    "Ctrl-C saves the training state; --resume continues it to the same parameters, bit for\n"
    "bit, as an uninterrupted run.\n\n"
    "Example:\n  memscope train --model gpt2.bin --tokens train.bin -B 4 -T 64 --steps 100 \\\n"
    "      --lr 3e-4 --out tuned.bin --save-every 20");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (model == NULL || tokens_path == NULL)
    return ms_cli_usage (CMD, "--model and --tokens are required");
  if (B < 1 || T < 1 || steps < 0 || accum < 1 || !(lr > 0) || wd < 0 || clip < 0)
    return ms_cli_usage (CMD, "B, T, --grad-accum ≥ 1, --steps ≥ 0, --lr > 0, --weight-decay "
                              "and --grad-clip ≥ 0 are required");
  if (state == NULL && out && (save_every > 0 || resume))
    state = g_strconcat (out, ".state", NULL);
  if ((resume || save_every > 0) && state == NULL)
    return ms_cli_usage (CMD, "--resume and --save-every need --state FILE or --out OUT");

  GError *error = NULL;
  MsTrainConfig cfg = { .B = B, .T = T, .grad_accum = accum, .steps = steps, .n_tasks = 1 };
  cfg.schedule = (MsSchedule) { MS_SCHEDULE_CONSTANT, lr, warmup, steps, min_lr_frac };
  if (schedule && !ms_schedule_kind_parse (schedule, &cfg.schedule.kind, &error))
    return ms_cli_fail (CMD, error);
  ms_adamw_config_init (&cfg.adamw);
  cfg.adamw.weight_decay = wd;
  cfg.adamw.decay_all = decay_all;
  cfg.adamw.grad_clip = clip;

  gsize n = 0;
  g_autofree guint16 *shard = ms_shard_read (tokens_path, &n, &error);
  if (shard == NULL)
    return ms_cli_fail (CMD, error);
  g_autoptr (MsTokenSource) source = ms_token_source_new (shard, n, B, T, &error);
  if (source == NULL)
    {
      g_prefix_error (&error, "%s: ", tokens_path);
      return ms_cli_fail (CMD, error);
    }
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (!ms_cli_open (&common, &dev, &blas, &error))
    return ms_cli_fail (CMD, error);
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, model, seed, &error);
  if (gpt == NULL)
    return ms_cli_fail (CMD, error);
  for (gsize i = 0; i < n; i++)
    if (shard[i] >= ms_gpt_config (gpt)->vocab_size)
      return ms_cli_fail (CMD, g_error_new (MS_ERROR, MS_ERROR_MISMATCH,
                                            "%s: token %u at %zu is outside the model's "
                                            "vocabulary of %d (a different tokenizer?)",
                                            tokens_path, shard[i], i,
                                            ms_gpt_config (gpt)->vocab_size));

  /* What makes two runs the same run: the data and every setting that changes the numbers. */
  g_autofree char *fingerprint = g_strdup_printf (
    "tokens=%zu crc32=%08lx B=%d T=%d accum=%d steps=%d lr=%g schedule=%s warmup=%d "
    "min_lr_frac=%g wd=%g decay_all=%d clip=%g", n,
    crc32 (0, (const Bytef *) shard, n * sizeof (guint16)), B, T, accum, steps, lr,
    ms_schedule_kind_name (cfg.schedule.kind), warmup, min_lr_frac, wd, decay_all, clip);
  g_autoptr (MsTrainer) trainer = ms_trainer_new (gpt, &cfg,
                                                  ms_token_source_as_batch_source (source),
                                                  fingerprint, &error);
  if (trainer == NULL)
    return ms_cli_fail (CMD, error);
  if (resume && g_file_test (state, G_FILE_TEST_EXISTS))
    {
      if (!ms_trainer_load_state (trainer, state, &error))
        return ms_cli_fail (CMD, error);
      g_printerr ("resumed from %s at step %d of %d\n", state, ms_trainer_step_index (trainer),
                  steps);
    }
  else if (resume)
    g_printerr ("no training state at %s yet: starting from step 0\n", state);

  if (state)
    {
      signal (SIGINT, on_signal);
      signal (SIGTERM, on_signal);
    }
  /* Test hook: die without warning after this step, to check that a resume is exact. */
  const char *kill_env = g_getenv ("MEMSCOPE_TEST_KILL_AFTER_STEP");
  int kill_after = kill_env ? (int) g_ascii_strtoll (kill_env, NULL, 10) : -1;

  gint64 start = g_get_monotonic_time (), tokens_done = 0;
  int first = ms_trainer_step_index (trainer);
  while (!ms_trainer_done (trainer) && !stop_requested)
    {
      MsStepStats st;
      if (!ms_trainer_step (trainer, &st, &error))
        return ms_cli_fail (CMD, error);
      tokens_done += (gint64) B * T * accum;
      double elapsed = (g_get_monotonic_time () - start) / 1e6;
      double rate = tokens_done / elapsed;
      g_autofree char *eta = ms_format_duration ((steps - st.step) * elapsed / (st.step - first));
      g_print ("step %d/%d | loss %.6f | norm %.4f | lr %.3e | %.0f ms | %.0f tok/s | ETA %s\n",
               st.step, steps, st.loss, st.grad_norm, st.lr, st.seconds * 1000, rate, eta);
      if (save_every > 0 && st.step % save_every == 0 && st.step < steps
          && !ms_trainer_save_state (trainer, state, &error))
        return ms_cli_fail (CMD, error);
      if (st.step == kill_after)
        raise (SIGKILL);
    }
  if (stop_requested)
    {
      if (!ms_trainer_save_state (trainer, state, &error))
        return ms_cli_fail (CMD, error);
      g_printerr ("interrupted at step %d: state saved to %s (continue with --resume)\n",
                  ms_trainer_step_index (trainer), state);
      return 130;
    }
  if (state && !ms_trainer_save_state (trainer, state, &error))
    return ms_cli_fail (CMD, error);
  if (out && !ms_gpt_save (gpt, out, &error))
    return ms_cli_fail (CMD, error);
  double elapsed = (g_get_monotonic_time () - start) / 1e6;
  g_printerr ("%d steps in %.1f s (%.0f tokens/s)%s%s\n", steps - first, elapsed,
              tokens_done / MAX (elapsed, 1e-9), out ? ", model written to " : "", out ? out : "");
  return 0;
}
