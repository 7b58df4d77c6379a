/* memscope pretrain: from text files to a GPT-2: a tokenizer (given or trained here), packed
 * token shards with a held-out split, training with periodic validation, checkpoints, a log
 * and a loss-curve picture. Everything lands in --out-dir; --resume continues a killed run. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/ms-progress.h"
#include "ms-cli.h"
#include "text/ms-bpe.h"
#include "text/ms-shard.h"
#include "train/ms-train-log.h"

#define CMD "pretrain"

static volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  stop_requested = sig;
}

/* Documents are separated by blank lines; each is encoded on its own and ends with EOT. Every
 * VAL_EVERY-th document (counting from a seeded offset) goes to the held-out split. */
static gboolean
tokenize_files (MsBpe *bpe, char **files, int val_every, guint64 seed, GArray *train,
                GArray *val, GError **error)
{
  guint32 eot = ms_bpe_eot (bpe);
  guint64 doc = seed % MAX (val_every, 1);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (char **f = files; *f; f++)
    {
      g_autofree char *text = NULL;
      gsize len;
      if (!g_file_get_contents (*f, &text, &len, error))
        return FALSE;
      const char *p = text, *end = text + len;
      while (p < end)
        {
          const char *q = g_strstr_len (p, end - p, "\n\n");
          const char *stop = q ? q : end;
          while (p < stop && (*p == '\n'))
            p++;
          if (stop > p)
            {
              g_array_set_size (ids, 0);
              ms_bpe_encode (bpe, p, stop - p, ids);
              g_array_append_val (ids, eot);
              GArray *into = (val_every > 0 && doc++ % val_every == 0) ? val : train;
              for (guint i = 0; i < ids->len; i++)
                {
                  guint16 t = g_array_index (ids, guint32, i);
                  g_array_append_val (into, t);
                }
            }
          p = q ? q + 2 : end;
        }
    }
  return TRUE;
}

static gboolean
write_shard (const char *path, GArray *tokens, GError **error)
{
  g_autofree guint32 *wide = g_new (guint32, MAX (tokens->len, 1));
  for (guint i = 0; i < tokens->len; i++)
    wide[i] = g_array_index (tokens, guint16, i);
  return ms_shard_write (path, wide, tokens->len, error);
}

/* Validation: up to MAX_BATCHES consecutive, non-overlapping windows of the held-out tokens. */
typedef struct {
  const guint16 *tokens;
  gsize n, pos;
  int batches, max_batches;
} ValSource;

static gboolean
val_next (gpointer self, int B, int T, int *tokens, int *targets, int *task_of, int *seg,
          GError **error)
{
  ValSource *v = self;
  gsize span = (gsize) B * T;
  if (v->batches >= v->max_batches || v->pos + span + 1 > v->n)
    return FALSE;
  for (gsize i = 0; i < span; i++)
    {
      tokens[i] = v->tokens[v->pos + i];
      targets[i] = v->tokens[v->pos + i + 1];
      task_of[i] = 0;
      seg[i] = 0;
    }
  v->pos += span;
  v->batches++;
  return TRUE;
}

static gboolean
validate (MsGpt *gpt, const guint16 *tokens, gsize n, int B, int T, int max_batches,
          double *loss, GError **error)
{
  ValSource v = { tokens, n, 0, 0, max_batches };
  MsBatchSource src = { val_next, NULL, NULL, &v };
  gint64 count;
  return ms_evaluate (gpt, src, B, T, 1, loss, &count, error);
}

int
ms_cmd_pretrain (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autofree char *out_dir = NULL, *tokenizer = NULL, *model = NULL, *schedule = NULL;
  g_auto (GStrv) files = NULL;
  int vocab_size = 8192, B = 8, T = 128, steps = 1000, accum = 1, warmup = 50;
  int eval_every = 100, eval_batches = 20, save_every = 100, val_every = 50;
  double lr = 1e-3, wd = 0.1, clip = 1.0, min_lr_frac = 0.1;
  gint64 seed = 1;
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
  if (B < 1 || T < 2 || steps < 1 || accum < 1 || eval_every < 1 || vocab_size < 257)
    return ms_cli_usage (CMD, "B ≥ 1, T ≥ 2, steps ≥ 1, --vocab-size ≥ 257 are required");

  GError *error = NULL;
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    return ms_cli_fail (CMD, g_error_new (MS_ERROR, MS_ERROR_IO, "%s: cannot create it", out_dir));
  g_autofree char *tok_dir = tokenizer ? g_strdup (tokenizer)
                                       : g_build_filename (out_dir, "tokenizer", NULL);
  g_autofree char *train_path = g_build_filename (out_dir, "train.bin", NULL);
  g_autofree char *val_path = g_build_filename (out_dir, "val.bin", NULL);
  g_autofree char *model_path = g_build_filename (out_dir, "model.bin", NULL);
  g_autofree char *state_path = g_build_filename (out_dir, "model.bin.state", NULL);
  g_autofree char *log_path = g_build_filename (out_dir, "log.jsonl", NULL);

  /* 1. The tokenizer. */
  g_autofree char *encoder = g_build_filename (tok_dir, "encoder.json", NULL);
  if (tokenizer == NULL && !(resume && g_file_test (encoder, G_FILE_TEST_EXISTS)))
    {
      g_autoptr (MsBpeTrainer) trainer = ms_bpe_trainer_new ();
      for (char **f = files; *f; f++)
        if (!ms_bpe_trainer_add_file (trainer, *f, &error))
          return ms_cli_fail (CMD, error);
      g_printerr ("training a tokenizer of %d tokens on %" G_GUINT64_FORMAT " words …\n",
                  vocab_size, ms_bpe_trainer_n_words (trainer));
      g_autoptr (MsBpe) trained = ms_bpe_trainer_train (trainer, vocab_size, NULL, NULL, &error);
      if (trained == NULL || !ms_bpe_save (trained, tok_dir, &error))
        return ms_cli_fail (CMD, error);
    }
  g_autoptr (MsBpe) bpe = ms_bpe_load (tok_dir, &error);
  if (bpe == NULL)
    return ms_cli_fail (CMD, error);
  if (ms_bpe_eot (bpe) < 0 || ms_bpe_vocab_size (bpe) > MS_SHARD_MAX_TOKEN + 1)
    return ms_cli_fail (CMD, g_error_new (MS_ERROR, MS_ERROR_INVALID,
                                          "%s: the tokenizer needs %s and at most 65536 tokens",
                                          tok_dir, MS_BPE_EOT_STRING));

  /* 2. Token shards (kept for a resume: re-encoding is deterministic but not free). */
  gsize n_train = 0, n_val = 0;
  g_autofree guint16 *train = NULL, *val = NULL;
  if (resume && g_file_test (train_path, G_FILE_TEST_EXISTS))
    {
      if (!(train = ms_shard_read (train_path, &n_train, &error))
          || !(val = ms_shard_read (val_path, &n_val, &error)))
        return ms_cli_fail (CMD, error);
    }
  else
    {
      g_autoptr (GArray) tr = g_array_new (FALSE, FALSE, sizeof (guint16));
      g_autoptr (GArray) va = g_array_new (FALSE, FALSE, sizeof (guint16));
      gint64 t0 = g_get_monotonic_time ();
      if (!tokenize_files (bpe, files, val_every, seed, tr, va, &error)
          || !write_shard (train_path, tr, &error) || !write_shard (val_path, va, &error))
        return ms_cli_fail (CMD, error);
      g_printerr ("tokenized into %u training and %u held-out tokens in %.1f s\n", tr->len,
                  va->len, (g_get_monotonic_time () - t0) / 1e6);
      n_train = tr->len;
      n_val = va->len;
      train = (guint16 *) g_array_free (g_steal_pointer (&tr), FALSE);
      val = (guint16 *) g_array_free (g_steal_pointer (&va), FALSE);
    }

  /* 3. The model and the trainer. */
  MsTrainConfig cfg = { .B = B, .T = T, .grad_accum = accum, .steps = steps, .n_tasks = 1 };
  cfg.schedule = (MsSchedule) { MS_SCHEDULE_COSINE, lr, warmup, steps, min_lr_frac };
  if (schedule && !ms_schedule_kind_parse (schedule, &cfg.schedule.kind, &error))
    return ms_cli_fail (CMD, error);
  ms_adamw_config_init (&cfg.adamw);
  cfg.adamw.weight_decay = wd;
  cfg.adamw.grad_clip = clip;
  g_autoptr (MsTokenSource) source = ms_token_source_new (train, n_train, B, T, &error);
  if (source == NULL)
    return ms_cli_fail (CMD, error);
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (!ms_cli_open (&common, &dev, &blas, &error))
    return ms_cli_fail (CMD, error);
  g_autofree char *spec = model ? g_strdup (model)
                                : g_strdup_printf ("random:L=4,NH=4,C=256,maxT=256,V=%u",
                                                   ms_bpe_vocab_size (bpe));
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, spec, seed, &error);
  if (gpt == NULL)
    return ms_cli_fail (CMD, error);
  if ((guint) ms_gpt_config (gpt)->vocab_size < ms_bpe_vocab_size (bpe))
    return ms_cli_fail (CMD, g_error_new (MS_ERROR, MS_ERROR_MISMATCH,
                                          "the model's vocabulary (%d) is smaller than the "
                                          "tokenizer's (%u)", ms_gpt_config (gpt)->vocab_size,
                                          ms_bpe_vocab_size (bpe)));
  g_autofree char *fingerprint = g_strdup_printf (
    "pretrain tokens=%zu val=%zu model=%s seed=%" G_GINT64_FORMAT " B=%d T=%d accum=%d "
    "steps=%d lr=%g schedule=%s warmup=%d min_lr_frac=%g wd=%g clip=%g", n_train, n_val, spec,
    seed, B, T, accum, steps, lr, ms_schedule_kind_name (cfg.schedule.kind), warmup,
    min_lr_frac, wd, clip);
  g_autoptr (MsTrainer) trainer = ms_trainer_new (gpt, &cfg,
                                                  ms_token_source_as_batch_source (source),
                                                  fingerprint, &error);
  if (trainer == NULL)
    return ms_cli_fail (CMD, error);
  if (resume && g_file_test (state_path, G_FILE_TEST_EXISTS))
    {
      if (!ms_trainer_load_state (trainer, state_path, &error))
        return ms_cli_fail (CMD, error);
      g_printerr ("resumed at step %d of %d\n", ms_trainer_step_index (trainer), steps);
    }
  g_autoptr (MsTrainLog) log = ms_train_log_open (log_path, &error);
  if (log == NULL)
    return ms_cli_fail (CMD, error);
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);

  /* 4. Train. */
  g_autoptr (MsProgress) progress = ms_progress_new (stderr, steps - ms_trainer_step_index (trainer), 10.0);
  int first = ms_trainer_step_index (trainer);
  gint64 tokens = 0;
  const char *names[] = { "all" };
  while (!ms_trainer_done (trainer) && !stop_requested)
    {
      MsStepStats st;
      if (!ms_trainer_step (trainer, &st, &error) || !ms_train_log_step (log, &st, NULL, 1, &error))
        return ms_cli_fail (CMD, error);
      tokens += (gint64) B * T * accum;
      ms_progress_update (progress, st.step - first,
                          "step %d/%d | loss %.4f | lr %.2e | %.0f tok/s", st.step, steps,
                          st.loss, st.lr, tokens / ms_progress_elapsed (progress));
      if (st.step % eval_every == 0 || st.step == steps)
        {
          double vloss;
          if (!validate (gpt, val, n_val, B, T, eval_batches, &vloss, &error)
              || !ms_train_log_eval (log, st.step, &vloss, names, 1, &error)
              || !ms_gpt_save (gpt, model_path, &error))
            return ms_cli_fail (CMD, error);
          ms_progress_print (progress, "step %d: training loss %.4f, held-out loss %.4f",
                             st.step, st.loss, vloss);
        }
      if (st.step % save_every == 0 && st.step < steps
          && !ms_trainer_save_state (trainer, state_path, &error))
        return ms_cli_fail (CMD, error);
    }
  ms_progress_finish (progress);
  if (!ms_trainer_save_state (trainer, state_path, &error))
    return ms_cli_fail (CMD, error);
  if (stop_requested)
    {
      g_printerr ("interrupted at step %d; continue with --resume\n",
                  ms_trainer_step_index (trainer));
      return 130;
    }
  g_autofree char *png = g_build_filename (out_dir, "loss.png", NULL);
  g_autofree char *svg = g_build_filename (out_dir, "loss.svg", NULL);
  if (!ms_train_log_plot (log_path, png, "Pretraining loss", &error)
      || !ms_train_log_plot (log_path, svg, "Pretraining loss", &error))
    return ms_cli_fail (CMD, error);
  g_print ("%s\n", model_path);
  return 0;
}
