/* memscope finetune: fine-tune a base model on one task or a mixture of tasks (JSONL). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/ms-progress.h"
#include "common/ms-mpi.h"
#include "ms-cli.h"
#include "ms-config.h"
#include "train/ms-finetune.h"

#define CMD "finetune"

static volatile gint cancel_flag;

static void
on_signal (int sig)
{
  g_atomic_int_set (&cancel_flag, 1);
}

static void
on_progress (const MsTrainProgress *p, gpointer user)
{
  MsProgress *bar = user;
  /* Test hook: die without warning after this step, to check that a resume is exact. */
  const char *kill_env = g_getenv ("MEMSCOPE_TEST_KILL_AFTER_STEP");
  if (kill_env && g_ascii_strtoll (kill_env, NULL, 10) == p->step)
    raise (SIGKILL);
  if (p->message)
    ms_progress_print (bar, "%s", p->message);
  ms_progress_update (bar, p->step, "step %d/%d | loss %.4f | lr %.2e | %.0f tok/s", p->step,
                      p->steps, p->stats->loss, p->stats->lr, p->tokens_per_second);
}

/* NAME=TRAIN.jsonl[,HELDOUT.jsonl] */
static gboolean
parse_task (const char *text, MsTaskSpec *t, GError **error)
{
  const char *eq = strchr (text, '=');
  if (eq == NULL || eq == text || eq[1] == '\0')
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "--task '%s': expected NAME=TRAIN.jsonl or NAME=TRAIN.jsonl,HELDOUT.jsonl", text);
      return FALSE;
    }
  t->name = g_strndup (text, eq - text);
  g_auto (GStrv) files = g_strsplit (eq + 1, ",", 2);
  t->train_path = g_strdup (files[0]);
  t->heldout_path = files[1] ? g_strdup (files[1]) : NULL;
  return TRUE;
}

/* Everything after parsing; returns the exit status (errors in ERROR give 1). */
static int
run (const MsCliCommon *common, MsTaskSpec *tasks, const char **names, int n,
     const MsFinetuneConfig *cfg, const char *base, const char *tokenizer, const char *out_dir,
     gboolean resume, GError **error)
{
  g_autoptr (MsBpe) bpe = ms_cli_load_tokenizer (tokenizer, error);
  if (bpe == NULL)
    return 1;
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (!ms_cli_open (common, &dev, &blas, error))
    return 1;
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, base, 0, error);
  if (gpt == NULL)
    return 1;
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  g_autoptr (MsProgress) bar = ms_progress_new (stderr, 0, 10.0);
  MsFinetuneResult result;
  const gboolean lead = ms_mpi_rank () == 0;  /* under mpirun, rank 0 alone reports */
  gboolean ok = ms_finetune_run (gpt, bpe, tasks, n, cfg, out_dir, resume,
                                 lead ? on_progress : NULL, bar,
                                 &cancel_flag, &result, error);
  ms_progress_finish (bar);
  if (!ok)
    {
      return g_error_matches (*error, MS_ERROR, MS_ERROR_CANCELLED) ? 130 : 1;
    }
  if (!lead)
    ;
  else if (common->json)
    g_print ("%s\n", result.record_json);
  else
    {
      for (int i = 0; i < n; i++)
        {
          g_autofree char *held = isnan (result.heldout_loss[i])
                                    ? g_strdup ("n/a (no held-out file)")
                                    : g_strdup_printf ("%.4f", result.heldout_loss[i]);
          g_printerr ("%-16s %6" G_GUINT64_FORMAT " examples, %8" G_GUINT64_FORMAT " tokens "
                      "trained, %" G_GUINT64_FORMAT " too long; held-out loss %s\n", names[i],
                      result.examples[i], result.tokens[i], result.skipped[i], held);
        }
      g_printerr ("%d steps in %.1f s; final training loss %.4f\n", result.steps, result.seconds,
                  result.final_loss);
      g_print ("%s/model.bin\n", out_dir);
    }
  ms_finetune_result_clear (&result);
  return 0;
}

int
ms_cmd_finetune (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autofree char *base = NULL, *tokenizer = NULL, *out_dir = NULL, *mix = NULL;
  g_autofree char *schedule = NULL;
  g_auto (GStrv) task_args = NULL, templates = NULL;
  MsFinetuneConfig cfg;
  ms_finetune_config_init (&cfg);
  double epochs = 3.0, lr = 1e-3, wd = 0.0, clip = 1.0, min_lr_frac = 0.0;
  int warmup = 0, max_train = 0, max_heldout = 200;
  gint64 seed = 1;
  gboolean whole = FALSE, resume = FALSE, decay_all = FALSE;
  GOptionEntry entries[] = {
    { "base", 'm', 0, G_OPTION_ARG_FILENAME, &base, "Base model (llm.c .bin or HF folder)", "M" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer,
      "Tokenizer folder (default: the shipped one)", "DIR" },
    { "task", 0, 0, G_OPTION_ARG_STRING_ARRAY, &task_args,
      "A task: NAME=TRAIN.jsonl[,HELDOUT.jsonl]; repeat for a mixture", "SPEC" },
    { "template", 0, 0, G_OPTION_ARG_STRING_ARRAY, &templates,
      "Prompt template of a task: NAME='{input}\\nTL;DR: {output}' (default '{input}\\n=> "
      "{output}')", "NAME=TPL" },
    { "mix", 0, 0, G_OPTION_ARG_STRING, &mix,
      "Mixer: proportional[:cap=K], temperature:T=2[,cap=K], equal, weights:A=2,B=1 "
      "(default proportional)", "MIXER" },
    { "epochs", 0, 0, G_OPTION_ARG_DOUBLE, &epochs, "Passes over the data (3)", "E" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &cfg.steps, "Steps instead of epochs", "N" },
    { "max-train", 0, 0, G_OPTION_ARG_INT, &max_train, "Use the first N records of each task", "N" },
    { "max-heldout", 0, 0, G_OPTION_ARG_INT, &max_heldout,
      "Held-out records per task for the validation loss (200)", "N" },
    { "batch", 'B', 0, G_OPTION_ARG_INT, &cfg.B, "Batch size (8)", "B" },
    { "seq", 'T', 0, G_OPTION_ARG_INT, &cfg.T, "Row length; examples are packed (256)", "T" },
    { "grad-accum", 0, 0, G_OPTION_ARG_INT, &cfg.grad_accum, "Micro-batches per step (1)", "K" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Peak learning rate (1e-3)", "LR" },
    { "schedule", 0, 0, G_OPTION_ARG_STRING, &schedule, "constant, linear, cosine (linear)", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Warmup steps (0)", "N" },
    { "min-lr-frac", 0, 0, G_OPTION_ARG_DOUBLE, &min_lr_frac, "Final lr / peak lr (0)", "F" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &wd, "AdamW weight decay (0)", "WD" },
    { "decay-all", 0, 0, G_OPTION_ARG_NONE, &decay_all, "Decay all parameters, not only matrices", NULL },
    { "grad-clip", 0, 0, G_OPTION_ARG_DOUBLE, &clip, "Global norm clip (1; 0 = off)", "NORM" },
    { "whole-sequence", 0, 0, G_OPTION_ARG_NONE, &whole,
      "Loss on the whole sequence, not only on the response", NULL },
    { "eval-every", 0, 0, G_OPTION_ARG_INT, &cfg.eval_every, "Held-out loss every N steps", "N" },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &cfg.save_every, "Save the state every N steps", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Mixer and order seed (1)", "S" },
    { "out-dir", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "Where the results go", "DIR" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, "Continue the run in --out-dir", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- fine-tune on tasks, alone or mixed");
  g_option_context_add_main_entries (ctx, entries, NULL);
  ms_cli_add_common (ctx, &common);
  g_option_context_set_description (ctx,
    "Task files are JSON lines {\"task\", \"input\", \"output\", \"id\"}. Examples are packed into\n"
    "rows of T tokens as separate segments (each attends only to itself). Writes to --out-dir:\n"
    "model.bin, model.bin.state (for --resume), log.jsonl, loss.png and record.json (data\n"
    "hashes, settings, per-task examples and tokens trained, held-out losses, device).\n\n"
    "Examples:\n"
    "  memscope finetune --base data/base/model.bin --out-dir runs/sum \\\n"
    "      --task summarization=data/tasks/summarization.train.jsonl,data/tasks/summarization.heldout.jsonl\n"
    "  memscope finetune --base data/base/model.bin --out-dir runs/mix --mix temperature:T=2 \\\n"
    "      --task qa=data/tasks/qa.train.jsonl --task sentiment=data/tasks/sentiment.train.jsonl");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (base == NULL || out_dir == NULL || task_args == NULL)
    return ms_cli_usage (CMD, "--base, --out-dir and at least one --task are required");
  if (cfg.B < 1 || cfg.T < 2 || cfg.grad_accum < 1 || !(lr > 0) || !(epochs > 0))
    return ms_cli_usage (CMD, "B ≥ 1, T ≥ 2, --grad-accum ≥ 1, --lr > 0, --epochs > 0");

  GError *error = NULL;
  int n = g_strv_length (task_args);
  g_autofree MsTaskSpec *tasks = g_new0 (MsTaskSpec, n);
  g_autofree const char **names = g_new0 (const char *, n);
  int rc = 1;
  g_autofree double *weights = NULL;
  for (int i = 0; i < n; i++)
    {
      if (!parse_task (task_args[i], &tasks[i], &error))
        goto done;
      tasks[i].max_train = max_train;
      tasks[i].max_heldout = max_heldout;
      names[i] = tasks[i].name;
    }
  for (char **t = templates; t && *t; t++)
    {
      const char *eq = strchr (*t, '=');
      int k = -1;
      for (int i = 0; eq && i < n; i++)
        if (strlen (names[i]) == (gsize) (eq - *t) && strncmp (names[i], *t, eq - *t) == 0)
          k = i;
      if (k < 0)
        {
          rc = ms_cli_usage (CMD, "--template '%s': expected NAME=TEMPLATE with NAME a --task", *t);
          goto done;
        }
      tasks[k].template_text = ms_template_unescape (eq + 1);
    }
  cfg.epochs = epochs;
  cfg.schedule.lr = lr;
  cfg.schedule.warmup_steps = warmup;
  cfg.schedule.min_lr_frac = min_lr_frac;
  if (schedule && !ms_schedule_kind_parse (schedule, &cfg.schedule.kind, &error))
    goto done;
  cfg.adamw.weight_decay = wd;
  cfg.adamw.decay_all = decay_all;
  cfg.adamw.grad_clip = clip;
  cfg.response_only = !whole;
  cfg.seed = seed;
  cfg.mixer_text = mix ? mix : "proportional";
  if (!ms_mixer_config_parse (cfg.mixer_text, names, n, &cfg.mixer, &weights, &error))
    goto done;

  /* started by mpirun or srun: one run, data-parallel over the ranks (see ms-trainer.h) */
  if (!ms_mpi_init (&error))
    goto done;
  rc = run (&common, tasks, names, n, &cfg, base, tokenizer, out_dir, resume, &error);
  if (rc == 130)
    {
      /* Interrupted: the state is saved, say so without calling it a failure. */
      g_printerr ("memscope %s: %s\n", CMD, error->message);
      g_clear_error (&error);
    }
done:
  if (error)
    rc = ms_cli_fail (CMD, error);
  if (rc != 0 && ms_mpi_size () > 1)
    ms_mpi_abort (rc);  /* the other ranks wait in an all-reduce that will not come */
  ms_mpi_finalize ();
  for (int i = 0; i < n; i++)
    ms_task_spec_clear (&tasks[i]);
  return rc;
}
