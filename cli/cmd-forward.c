/* memscope forward: one forward pass over the start of an llm.c token shard, printing the
 * loss (and writing the logits), the way llm.c's test harness checks a model. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "common/ms-atomic.h"
#include "ms-cli.h"
#include "text/ms-shard.h"

#define CMD "forward"

int
ms_cmd_forward (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autofree char *model = NULL, *tokens_path = NULL, *logits_path = NULL;
  int B = 4, T = 64;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Checkpoint (llm.c .bin or HF folder)", "M" },
    { "tokens", 0, 0, G_OPTION_ARG_FILENAME, &tokens_path, "llm.c token shard", "SHARD" },
    { "batch", 'B', 0, G_OPTION_ARG_INT, &B, "Batch size (default 4)", "B" },
    { "seq", 'T', 0, G_OPTION_ARG_INT, &T, "Sequence length (default 64)", "T" },
    { "logits", 0, 0, G_OPTION_ARG_FILENAME, &logits_path,
      "Write the logits as float32 little-endian, shape (B, T, V)", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- run a forward pass and print the loss");
  g_option_context_add_main_entries (ctx, entries, NULL);
  ms_cli_add_common (ctx, &common);
  g_option_context_set_description (ctx,
    "Takes the first B·T+1 tokens of SHARD: inputs are the first B·T, targets the same shifted\n"
    "by one. The last line printed is 'loss: <value>' (the mean cross-entropy).\n\n"
    "Example:\n  memscope forward --model gpt2.bin --tokens val.bin -B 4 -T 64 --logits out.f32");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (model == NULL || tokens_path == NULL)
    return ms_cli_usage (CMD, "--model and --tokens are required");
  if (B < 1 || T < 1)
    return ms_cli_usage (CMD, "-B and -T must be at least 1");

  GError *error = NULL;
  gsize n = 0;
  g_autofree guint16 *shard = ms_shard_read (tokens_path, &n, &error);
  if (shard == NULL)
    return ms_cli_fail (CMD, error);
  if (!ms_gpt_batch_validate (B, T, &error))
    return ms_cli_fail (CMD, error);
  if (n < (gsize) B * T + 1)
    return ms_cli_fail (CMD, g_error_new (MS_ERROR, MS_ERROR_INVALID,
                                          "%s: %zu tokens, but B·T+1 = %d are needed",
                                          tokens_path, n, B * T + 1));
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (!ms_cli_open (&common, &dev, &blas, &error))
    return ms_cli_fail (CMD, error);
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, model, 0, &error);
  if (gpt == NULL)
    return ms_cli_fail (CMD, error);
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  g_autofree int *x = g_new (int, (gsize) B * T + 1);
  for (gsize i = 0; i < (gsize) B * T + 1; i++)
    {
      if (shard[i] >= cfg->vocab_size)
        return ms_cli_fail (CMD, g_error_new (MS_ERROR, MS_ERROR_MISMATCH,
                                              "%s: token %u at %zu is outside the model's "
                                              "vocabulary of %d (another tokenizer?)",
                                              tokens_path, shard[i], i, cfg->vocab_size));
      x[i] = shard[i];
    }
  gint64 start = g_get_monotonic_time ();
  if (!ms_gpt_forward (gpt, x, NULL, x + 1, B, T, &error))
    return ms_cli_fail (CMD, error);
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  if (logits_path)
    {
      gsize count = (gsize) B * T * cfg->vocab_size;
      g_autofree float *logits = g_new (float, count);
      if (!ms_gpt_read_logits (gpt, logits, &error)
          || !ms_atomic_write (logits_path, logits, count * sizeof (float), &error))
        return ms_cli_fail (CMD, error);
    }
  if (common.json)
    g_print ("{\"loss\": %.9g, \"B\": %d, \"T\": %d, \"seconds\": %.6f, \"tokens_per_second\": %.1f}\n",
             ms_gpt_mean_loss (gpt), B, T, seconds, B * T / seconds);
  else
    {
      g_printerr ("%d×%d tokens in %.3f s (%.0f tokens/s)\n", B, T, seconds, B * T / seconds);
      g_print ("loss: %.9g\n", ms_gpt_mean_loss (gpt));
    }
  return 0;
}
