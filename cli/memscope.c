/* memscope: measure memorization in fine-tuned language models. The entry point dispatches to
 * one subcommand per file (cmd-*.c). */
#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ms-cli.h"
#include "ms-config.h"

static const MsCommand commands[] = {
  { "study", "Run a memorization study (fine-tunes, probes, results store)", ms_cmd_study },
  { "devices", "List OpenCL devices and what memscope can do with them", ms_cmd_devices },
  { "forward", "Run a forward pass over a token shard and print the loss", ms_cmd_forward },
  { "generate", "Continue a prompt with a model (greedy, temperature, top-k)", ms_cmd_generate },
  { "train", "Train a model on an llm.c token shard (AdamW on the device)", ms_cmd_train },
  { "pretrain", "Pretrain a GPT-2 on text files (tokenizer, shards, validation, curves)",
    ms_cmd_pretrain },
  { "finetune", "Fine-tune a model on tasks (JSONL), alone or as a multi-task mixture",
    ms_cmd_finetune },
  { "attention", "Attention statistics (entropy, max, top-k, Gini) of samples' prompts",
    ms_cmd_attention },
  { "sparse", "Sparse codes of samples' hidden states: atoms per task at a fixed error",
    ms_cmd_sparse },
  { "mia", "Membership inference: AUC of loss, reference, zlib, Min-K% signals",
    ms_cmd_mia },
  { "synth", "Write the synthetic sparse-coding task family (JSONL)", ms_cmd_synth },
  { "info", "Describe a GPT-2 checkpoint, or convert one to llm.c .bin", ms_cmd_info },
  { "tokenize", "Encode or decode text with a BPE tokenizer, write llm.c shards, train one",
    ms_cmd_tokenize },
  { "results", "List what a results store holds: studies, runs, rates; SQL; CSV/JSON export",
    ms_cmd_results },
  { "report", "Write a study's report: figures, report.html/.md, results.json", ms_cmd_report },
  { "gui", "Open the desktop app on a results store (memscope-gtk)", ms_cmd_gui },
};

/* The message catalogue: the build tree's po/ when this is the binary in the build tree. */
static const char *
locale_dir (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  if (self != NULL && g_str_has_prefix (self, MS_BUILD_ROOT "/"))
    return MS_BUILD_LOCALEDIR;
  return MS_LOCALEDIR;
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: memscope COMMAND [OPTION…]\n\n"
                "Measure memorization in fine-tuned GPT-style language models.\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'memscope COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  setlocale (LC_NUMERIC, "C");  /* numbers in output are read by scripts */
  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("memscope %s\n", MS_VERSION);
      return 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        /* So that --help and errors read "memscope CMD". */
        g_autofree char *prgname = g_strdup_printf ("memscope %s", commands[i].name);
        g_set_prgname (prgname);
        return commands[i].run (argc - 1, argv + 1);
      }
  g_printerr ("memscope: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
