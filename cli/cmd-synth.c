/* memscope synth: write the synthetic sparse-coding task family as JSONL files. */
#include <stdio.h>

#include "ms-cli.h"
#include "text/ms-synthetic.h"

#define CMD "synth"

int
ms_cmd_synth (int argc, char **argv)
{
  MsSynthConfig cfg;
  ms_synth_config_init (&cfg);
  g_autofree char *out = NULL, *sparsity = NULL;
  int n_train = 256, n_heldout = 128;
  gint64 seed = 1;
  GOptionEntry entries[] = {
    { "out-dir", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where the files go", "DIR" },
    { "sparsity", 's', 0, G_OPTION_ARG_STRING, &sparsity,
      "Support sizes s of the tasks, e.g. 1,4,16 (default 1,2,4,8,16)", "LIST" },
    { "features", 0, 0, G_OPTION_ARG_INT, &cfg.features, "Latent features F (64)", "F" },
    { "lexicon", 0, 0, G_OPTION_ARG_INT, &cfg.lexicon, "Words per feature (6)", "N" },
    { "active", 0, 0, G_OPTION_ARG_INT, &cfg.active, "Active features per sample m (6)", "M" },
    { "words", 0, 0, G_OPTION_ARG_INT, &cfg.words, "Words per input (40)", "N" },
    { "train", 0, 0, G_OPTION_ARG_INT, &n_train, "Training samples per task (256)", "N" },
    { "heldout", 0, 0, G_OPTION_ARG_INT, &n_heldout, "Held-out samples per task (128)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the family (1)", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- write synthetic sparse-coding tasks");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "Inputs are words drawn from D·z, z sparse over F latent features (each with its own\n"
    "made-up words); the output names the feature with the largest weight among the first s\n"
    "of a fixed order. A study can sweep s (the [synthetic] group of a spec) to see whether\n"
    "memorization rises with the number of features the output depends on.\n\n"
    "Writes synth-sS.train.jsonl and synth-sS.heldout.jsonl for each s.");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (out == NULL)
    return ms_cli_usage (CMD, "--out-dir is required");
  cfg.seed = seed;
  g_auto (GStrv) list = g_strsplit (sparsity ? sparsity : "1,2,4,8,16", ",", -1);
  for (char **p = list; *p; p++)
    {
      guint64 s;
      if (!g_ascii_string_to_unsigned (g_strstrip (*p), 10, 1, G_MAXINT, &s, NULL))
        return ms_cli_usage (CMD, "--sparsity: '%s' is not a positive integer", *p);
      g_autofree char *name = g_strdup_printf ("synth-s%" G_GUINT64_FORMAT, s);
      g_autofree char *train = g_strdup_printf ("%s/%s.train.jsonl", out, name);
      g_autofree char *held = g_strdup_printf ("%s/%s.heldout.jsonl", out, name);
      GError *error = NULL;
      if (!ms_synth_write_task (&cfg, s, name, n_train, n_heldout, train, held, &error))
        return ms_cli_fail (CMD, error);
      g_print ("%s\n%s\n", train, held);
    }
  return 0;
}
