/* memscope pretrain: from text files to a GPT-2 (core/train/ms-pretrain.h does the work): a
 * tokenizer (given or trained here), packed token shards with a held-out split, training with
 * periodic validation, checkpoints, a log and a loss-curve picture. Everything lands in
 * --out-dir; --resume continues a killed run. */
#include <signal.h>
#include <stdio.h>

#include "common/ms-progress.h"
#include "ms-cli.h"
#include "train/ms-pretrain.h"

#define CMD "pretrain"

static volatile gint cancel_flag;

static void
on_signal (int sig)
{
  g_atomic_int_set (&cancel_flag, 1);
}

/* The status line starts with the first step (after a resume, at the step resumed), so that
 * its rate and ETA count only the steps of this process. */
typedef struct {
  MsProgress *bar;
  int first;
} Status;

static void
on_progress (const MsTrainProgress *p, gpointer user)
{
  Status *s = user;
  if (p->stats && s->bar == NULL)
    {
      s->first = p->step - 1;
      s->bar = ms_progress_new (stderr, p->steps - s->first, 10.0);
    }
  if (p->message && s->bar)
    ms_progress_print (s->bar, "%s", p->message);
  else if (p->message)
    g_printerr ("%s\n", p->message);
  if (p->stats)
    ms_progress_update (s->bar, p->step - s->first,
                        "step %d/%d | loss %.4f | lr %.2e | %.0f tok/s", p->step, p->steps,
                        p->stats->loss, p->stats->lr, p->tokens_per_second);
}

int
ms_cmd_pretrain (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autofree char *out_dir = NULL, *tokenizer = NULL, *model = NULL, *schedule = NULL;
  g_auto (GStrv) files = NULL;
  MsPretrainConfig cfg;
  ms_pretrain_config_init (&cfg);
  int vocab_size = cfg.vocab_size, B = cfg.B, T = cfg.T, steps = cfg.steps;
  int accum = cfg.grad_accum, warmup = cfg.schedule.warmup_steps, eval_every = cfg.eval_every;
  int eval_batches = cfg.eval_batches, save_every = cfg.save_every, val_every = cfg.val_every;
  double lr = cfg.schedule.lr, wd = cfg.adamw.weight_decay, clip = cfg.adamw.grad_clip;
  double min_lr_frac = cfg.schedule.min_lr_frac;
  gint64 seed = (gint64) cfg.seed;
  gboolean resume = FALSE;
  GOptionEntry entries[] = {
    { "out-dir", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Where everything goes", "DIR" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer,
      "Use this tokenizer folder (default: train one of --vocab-size on the text)", "DIR" },
    { "vocab-size", 0, 0, G_OPTION_ARG_INT, &vocab_size, "Size of a trained tokenizer (8192)", "N" },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model,
      "Start from this checkpoint, or random:SHAPE (default random:L=4,NH=4,C=256,maxT=256 "
      "with V = the tokenizer's)", "M" },
    { "batch", 'B', 0, G_OPTION_ARG_INT, &B, "Batch size (8)", "B" },
    { "seq", 'T', 0, G_OPTION_ARG_INT, &T, "Sequence length (128)", "T" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Optimizer steps (1000)", "N" },
    { "grad-accum", 0, 0, G_OPTION_ARG_INT, &accum, "Micro-batches per step (1)", "K" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Peak learning rate (1e-3)", "LR" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &schedule, "constant, linear or cosine (cosine)", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Warmup steps (50)", "N" },
    { "min-lr-frac", 0, 0, G_OPTION_ARG_DOUBLE, &min_lr_frac, "Final lr / peak lr (0.1)", "F" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &wd, "On matrices (0.1)", "WD" },
    { "grad-clip", 0, 0, G_OPTION_ARG_DOUBLE, &clip, "Global norm clip (1.0; 0 = off)", "NORM" },
    { "val-every", 0, 0, G_OPTION_ARG_INT, &val_every,
      "Hold out every Nth document for validation (50)", "N" },
    { "eval-every", 0, 0, G_OPTION_ARG_INT, &eval_every, "Validate every N steps (100)", "N" },
    { "eval-batches", 0, 0, G_OPTION_ARG_INT, &eval_batches, "Batches per validation (20)", "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &save_every, "Save state every N steps (100)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the initialisation and split (1)", "S" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue the run in --out-dir", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "FILE…" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- pretrain a GPT-2 on text");
  g_option_context_add_main_entries (ctx, entries, NULL);
  ms_cli_add_common (ctx, &common);
  g_option_context_set_description (ctx,
    "Writes to --out-dir: tokenizer/ (when trained here), train.bin and val.bin (llm.c shards),\n"
    "model.bin (updated at every validation), model.bin.state (for --resume), log.jsonl and\n"
    "loss.png/.svg. Documents are separated by blank lines.\n\n"
    "Example (the shipped base model):\n"
    "  memscope pretrain --out-dir data/base --vocab-size 8192 --steps 3000 data/corpus/general.txt");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (out_dir == NULL || files == NULL || files[0] == NULL)
    return ms_cli_usage (CMD, "--out-dir and at least one text FILE are required");
  if (B < 1 || T < 2 || steps < 1 || accum < 1 || eval_every < 1 || save_every < 1
      || vocab_size < 257)
    return ms_cli_usage (CMD, "B ≥ 1, T ≥ 2, steps ≥ 1, --vocab-size ≥ 257 are required");

  GError *error = NULL;
  cfg.files = files;
  cfg.tokenizer = tokenizer;
  cfg.vocab_size = vocab_size;
  cfg.B = B;
  cfg.T = T;
  cfg.grad_accum = accum;
  cfg.steps = steps;
  cfg.schedule = (MsSchedule) { MS_SCHEDULE_COSINE, lr, warmup, steps, min_lr_frac };
  if (schedule && !ms_schedule_kind_parse (schedule, &cfg.schedule.kind, &error))
    return ms_cli_fail (CMD, error);
  cfg.adamw.weight_decay = wd;
  cfg.adamw.grad_clip = clip;
  cfg.val_every = val_every;
  cfg.eval_every = eval_every;
  cfg.eval_batches = eval_batches;
  cfg.save_every = save_every;
  cfg.seed = (guint64) seed;

  Status status = { NULL, 0 };
  MsPretrainData data;
  if (!ms_pretrain_prepare (&cfg, out_dir, resume, on_progress, &status, &data, &error))
    return ms_cli_fail (CMD, error);
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  g_autofree char *spec = model ? g_strdup (model)
                                : g_strdup_printf ("random:L=4,NH=4,C=256,maxT=256,V=%u",
                                                   ms_bpe_vocab_size (data.bpe));
  g_autoptr (MsGpt) gpt = NULL;
  gboolean ok = ms_cli_open (&common, &dev, &blas, &error)
                && (gpt = ms_cli_load_model (blas, spec, seed, &error)) != NULL;
  if (ok)
    {
      signal (SIGINT, on_signal);
      signal (SIGTERM, on_signal);
      ok = ms_pretrain_run (gpt, &data, &cfg, spec, out_dir, resume, on_progress, &status,
                            &cancel_flag, &error);
    }
  if (status.bar)
    {
      ms_progress_finish (status.bar);
      ms_progress_free (status.bar);
    }
  ms_pretrain_data_clear (&data);
  if (!ok)
    {
      if (!g_error_matches (error, MS_ERROR, MS_ERROR_CANCELLED))
        return ms_cli_fail (CMD, error);
      g_printerr ("%s\n", error->message);
      g_error_free (error);
      return 130;
    }
  g_autofree char *model_path = g_build_filename (out_dir, "model.bin", NULL);
  g_print ("%s\n", model_path);
  return 0;
}
