/* memscope generate: continue prompts with a model, greedily or by sampling, with the KV cache
 * (or without it, to compare). */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "ms-config.h"
#include "common/ms-json.h"
#include "model/ms-generate.h"
#include "ms-cli.h"
#include "text/ms-bpe.h"

#define CMD "generate"

int
ms_cmd_generate (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autofree char *model = NULL, *tokenizer = NULL;
  g_auto (GStrv) prompts = NULL, stops = NULL;
  int n_new = 50, top_k = 0;
  double temperature = 0.0;
  gint64 seed = 0;
  gboolean no_cache = FALSE, raw = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Checkpoint (llm.c .bin or HF folder)", "M" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &tokenizer,
      "Tokenizer folder (encoder.json, vocab.bpe); default the shipped one", "DIR" },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING_ARRAY, &prompts,
      "A prompt; repeat for a batch (default: standard input)", "TEXT" },
    { "max-new-tokens", 'n', 0, G_OPTION_ARG_INT, &n_new, "Tokens to generate (default 50)", "N" },
    { "temperature", 0, 0, G_OPTION_ARG_DOUBLE, &temperature,
      "Sampling temperature; 0 = greedy (default)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Sample among the K most likely tokens", "K" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Sampling seed (default 0)", "S" },
    { "stop", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stops,
      "Stop a row at this token (text of one token, or #ID); <|endoftext|> always stops", "TOK" },
    { "no-cache", 0, 0, G_OPTION_ARG_NONE, &no_cache,
      "Recompute the whole sequence at every step instead of using the KV cache", NULL },
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw, "Print only the generated text", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- continue prompts with a model");
  g_option_context_add_main_entries (ctx, entries, NULL);
  ms_cli_add_common (ctx, &common);
  g_option_context_set_description (ctx,
    "Examples:\n  memscope generate -m data/base/model.bin -p 'The package provides' -n 40\n"
    "  memscope generate -m model.bin -p 'First' -p 'Second prompt' --temperature 0.8 --top-k 40 --json");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (model == NULL)
    return ms_cli_usage (CMD, "--model is required");
  if (n_new < 1 || temperature < 0 || top_k < 0)
    return ms_cli_usage (CMD, "--max-new-tokens ≥ 1, --temperature ≥ 0 and --top-k ≥ 0");

  GError *error = NULL;
  g_autoptr (MsBpe) bpe = ms_cli_load_tokenizer (tokenizer, &error);
  if (bpe == NULL)
    return ms_cli_fail (CMD, error);
  if (prompts == NULL)
    {
      g_autoptr (GIOChannel) in = g_io_channel_unix_new (0);
      g_autofree char *text = NULL;
      gsize len;
      if (g_io_channel_read_to_end (in, &text, &len, &error) != G_IO_STATUS_NORMAL)
        return ms_cli_fail (CMD, error);
      prompts = g_new0 (char *, 2);
      prompts[0] = g_steal_pointer (&text);
    }
  int B = g_strv_length (prompts);

  g_autoptr (GArray) stop_ids = g_array_new (FALSE, FALSE, sizeof (int));
  int eot = ms_bpe_eot (bpe);
  if (eot >= 0)
    g_array_append_val (stop_ids, eot);
  for (char **s = stops; s && *s; s++)
    {
      gint64 id = -1;
      if ((*s)[0] == '#')
        id = g_ascii_strtoll (*s + 1, NULL, 10);
      else
        {
          g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
          ms_bpe_encode (bpe, *s, strlen (*s), ids);
          if (ids->len == 1)
            id = g_array_index (ids, guint32, 0);
        }
      if (id < 0 || id >= ms_bpe_vocab_size (bpe))
        return ms_cli_usage (CMD, "--stop '%s' is not one token (use #ID for an id)", *s);
      int v = (int) id;
      g_array_append_val (stop_ids, v);
    }

  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (!ms_cli_open (&common, &dev, &blas, &error))
    return ms_cli_fail (CMD, error);
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, model, 0, &error);
  if (gpt == NULL)
    return ms_cli_fail (CMD, error);
  if (ms_bpe_vocab_size (bpe) > (guint) ms_gpt_config (gpt)->vocab_size)
    return ms_cli_fail (CMD, g_error_new (MS_ERROR, MS_ERROR_MISMATCH,
                                          "the tokenizer has %u tokens but the model only %d: "
                                          "they do not belong together",
                                          ms_bpe_vocab_size (bpe), ms_gpt_config (gpt)->vocab_size));

  g_autofree int **ids = g_new0 (int *, B);
  g_autofree int *lens = g_new (int, B);
  for (int b = 0; b < B; b++)
    {
      g_autoptr (GArray) enc = g_array_new (FALSE, FALSE, sizeof (guint32));
      ms_bpe_encode (bpe, prompts[b], strlen (prompts[b]), enc);
      if (enc->len == 0)
        return ms_cli_usage (CMD, "prompt %d is empty", b + 1);
      lens[b] = enc->len;
      ids[b] = g_new (int, enc->len);
      for (guint i = 0; i < enc->len; i++)
        ids[b][i] = g_array_index (enc, guint32, i);
    }
  MsGenerateOptions opt = { .max_new_tokens = n_new, .temperature = temperature,
                            .top_k = top_k, .seed = seed, .stop_tokens = (int *) stop_ids->data,
                            .n_stop_tokens = stop_ids->len, .no_cache = no_cache };
  g_autofree int *out = g_new (int, (gsize) B * n_new);
  g_autofree int *out_lens = g_new (int, B);
  gint64 start = g_get_monotonic_time ();
  gboolean ok = ms_gpt_generate (gpt, B, (const int *const *) ids, lens, &opt, out, out_lens,
                                 &error);
  double seconds = (g_get_monotonic_time () - start) / 1e6;
  for (int b = 0; b < B; b++)
    g_free (ids[b]);
  if (!ok)
    return ms_cli_fail (CMD, error);

  gint64 total = 0;
  g_autoptr (JsonBuilder) jb = json_builder_new ();
  json_builder_begin_array (jb);
  for (int b = 0; b < B; b++)
    {
      total += out_lens[b];
      g_autoptr (GByteArray) text = g_byte_array_new ();
      g_autofree guint32 *u = g_new (guint32, MAX (out_lens[b], 1));
      for (int i = 0; i < out_lens[b]; i++)
        u[i] = out[(gsize) b * n_new + i];
      if (!ms_bpe_decode (bpe, u, out_lens[b], text, &error))
        return ms_cli_fail (CMD, error);
      g_byte_array_append (text, (const guint8 *) "", 1);
      if (common.json)
        {
          json_builder_begin_object (jb);
          ms_json_add_string (jb, "prompt", prompts[b]);
          /* Token boundaries may split UTF-8 sequences: the helper keeps the JSON valid. */
          ms_json_add_string (jb, "completion", (const char *) text->data);
          json_builder_set_member_name (jb, "tokens");
          json_builder_begin_array (jb);
          for (int i = 0; i < out_lens[b]; i++)
            json_builder_add_int_value (jb, u[i]);
          json_builder_end_array (jb);
          json_builder_end_object (jb);
        }
      else if (raw)
        g_print ("%s\n", text->data);
      else
        g_print ("%s%s%s\n", prompts[b], (const char *) text->data, b + 1 < B ? "\n---" : "");
    }
  json_builder_end_array (jb);
  if (common.json)
    {
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = json_builder_get_root (jb);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      g_autofree char *s = ms_json_generate (gen);
      g_print ("%s\n", s);
    }
  else
    g_printerr ("%" G_GINT64_FORMAT " tokens in %.2f s (%.1f tokens/s, %s)\n", total, seconds,
                total / MAX (seconds, 1e-9), no_cache ? "no KV cache" : "KV cache");
  return 0;
}
