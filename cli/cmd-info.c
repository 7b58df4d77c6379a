/* memscope info: what a GPT-2 checkpoint holds (shape, size, format, per-tensor statistics),
 * and conversion of any readable checkpoint (e.g. a Hugging Face import) to an llm.c .bin. */
#include <json-glib/json-glib.h>
#include <math.h>

#include "ms-cli.h"
#include "common/ms-json.h"
#include "model/ms-checkpoint.h"

static void
shape_text (const MsGptConfig *cfg, int which, GString *out, JsonBuilder *b)
{
  gsize shape[3];
  int nd = ms_checkpoint_param_shape (cfg, which, shape);
  if (b)
    json_builder_begin_array (b);
  g_string_append_c (out, '(');
  for (int d = 0; d < nd; d++)
    {
      g_string_append_printf (out, "%s%zu", d ? ", " : "", shape[d]);
      if (b)
        json_builder_add_int_value (b, (gint64) shape[d]);
    }
  g_string_append_c (out, ')');
  if (b)
    json_builder_end_array (b);
}

static void
print_json (const MsCheckpoint *ck, const char *format, gsize real_params, gboolean tensors,
            const char *converted)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gsize off[MS_N_PARAMS], size[MS_N_PARAMS];
  ms_gpt_param_offsets (&ck->cfg, off);
  ms_gpt_param_sizes (&ck->cfg, size);
  json_builder_begin_object (b);
  ms_json_add_string (b, "path", ck->path);
  ms_json_add_string (b, "format", ck->format == MS_CHECKPOINT_LLMC ? "llmc" : ck->format == MS_CHECKPOINT_SAFETENSORS ? "safetensors" : "random");
  ms_json_add_string (b, "description", format);
  ms_json_add_int (b, "version", ck->version);
  ms_json_add_string (b, "dtype", ck->dtype);
  ms_json_add_int (b, "file_size", (gint64) ck->file_size);
  ms_json_add_int (b, "max_seq_len", ck->cfg.max_seq_len);
  ms_json_add_int (b, "vocab_size", ck->cfg.vocab_size);
  ms_json_add_int (b, "padded_vocab_size", ck->cfg.padded_vocab_size);
  ms_json_add_int (b, "num_layers", ck->cfg.num_layers);
  ms_json_add_int (b, "num_heads", ck->cfg.num_heads);
  ms_json_add_int (b, "channels", ck->cfg.channels);
  ms_json_add_int (b, "parameters", (gint64) ck->n_params);
  ms_json_add_int (b, "parameters_unpadded", (gint64) real_params);
  if (converted)
    ms_json_add_string (b, "converted_to", converted);
  if (tensors)
    {
      json_builder_set_member_name (b, "tensors");
      json_builder_begin_array (b);
      for (int i = 0; i < MS_N_PARAMS; i++)
        {
          MsTensorStats st;
          ms_checkpoint_tensor_stats (ck->params + off[i], size[i], &st);
          g_autoptr (GString) ignored = g_string_new (NULL);
          json_builder_begin_object (b);
          ms_json_add_string (b, "name", ms_gpt_param_name (i));
          json_builder_set_member_name (b, "shape");
          shape_text (&ck->cfg, i, ignored, b);
          ms_json_add_int (b, "offset", (gint64) off[i]);
          ms_json_add_number (b, "mean", st.mean);
          ms_json_add_number (b, "std", st.std);
          ms_json_add_number (b, "min", st.min);
          ms_json_add_number (b, "max", st.max);
          ms_json_add_int (b, "nonfinite", (gint64) st.n_nonfinite);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  g_autofree char *text = ms_json_generate (gen);
  g_print ("%s\n", text);
}

static void
print_text (const MsCheckpoint *ck, const char *format, gsize real_params, gboolean tensors)
{
  const MsGptConfig *c = &ck->cfg;
  g_print ("file:        %s\n", ck->path);
  g_print ("format:      %s\n", format);
  g_print ("file size:   %" G_GUINT64_FORMAT " bytes (%.1f MiB)\n", ck->file_size,
           ck->file_size / 1048576.0);
  g_print ("shape:       maxT=%d V=%d Vp=%d L=%d NH=%d C=%d\n", c->max_seq_len, c->vocab_size,
           c->padded_vocab_size, c->num_layers, c->num_heads, c->channels);
  g_print ("parameters:  %zu (%zu without the %d padded vocabulary rows)\n", ck->n_params,
           real_params, c->padded_vocab_size - c->vocab_size);
  if (!tensors)
    return;
  gsize off[MS_N_PARAMS], size[MS_N_PARAMS];
  ms_gpt_param_offsets (c, off);
  ms_gpt_param_sizes (c, size);
  g_print ("\n%-9s %-18s %12s %12s %12s %12s\n", "tensor", "shape", "mean", "std", "min", "max");
  for (int i = 0; i < MS_N_PARAMS; i++)
    {
      MsTensorStats st;
      ms_checkpoint_tensor_stats (ck->params + off[i], size[i], &st);
      g_autoptr (GString) shape = g_string_new (NULL);
      shape_text (c, i, shape, NULL);
      g_print ("%-9s %-18s %12.5g %12.5g %12.5g %12.5g", ms_gpt_param_name (i), shape->str,
               st.mean, st.std, st.min, st.max);
      if (st.n_nonfinite)
        g_print ("  (%zu NaN/inf)", st.n_nonfinite);
      g_print ("\n");
    }
}

int
ms_cmd_info (int argc, char **argv)
{
  gboolean json = FALSE, tensors = FALSE;
  g_autofree char *convert = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print machine-readable JSON", NULL },
    { "tensors", 't', 0, G_OPTION_ARG_NONE, &tensors,
      "Also print each tensor's shape, mean, std, min and max", NULL },
    { "convert", 0, 0, G_OPTION_ARG_FILENAME, &convert,
      "Write the checkpoint as an llm.c .bin (version 3, fp32) to OUT.bin", "OUT.bin" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("CHECKPOINT - describe a GPT-2 "
                                                         "checkpoint");
  g_option_context_set_description (ctx,
    "CHECKPOINT is an llm.c .bin (version 3 fp32 or 5 bf16), a Hugging Face GPT-2 directory\n"
    "holding model.safetensors and config.json, or a .safetensors file with config.json\n"
    "beside it (F32, F16 or BF16). Hugging Face weights are transposed into llm.c's layout\n"
    "and the vocabulary padded to a multiple of 128.\n\n"
    "Import a Hugging Face model for memscope:\n"
    "  memscope info --convert gpt2_124M.bin path/to/gpt2/");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (argc != 2)
    return ms_cli_usage ("info", argc < 2 ? "missing CHECKPOINT" : "give one CHECKPOINT");

  GError *error = NULL;
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_load (argv[1], &error);
  if (ck == NULL)
    return ms_cli_fail ("info", error);
  if (convert && !ms_checkpoint_save (convert, &ck->cfg, ck->params, &error))
    return ms_cli_fail ("info", error);

  g_autofree char *format = ms_checkpoint_describe_format (ck);
  gsize real_params = ck->n_params
    - (gsize) (ck->cfg.padded_vocab_size - ck->cfg.vocab_size) * ck->cfg.channels;
  if (json)
    print_json (ck, format, real_params, tensors, convert);
  else
    {
      print_text (ck, format, real_params, tensors);
      if (convert)
        g_print ("\nwrote %s (llm.c .bin v3, fp32, %zu bytes)\n", convert,
                 (gsize) MS_CHECKPOINT_HEADER_BYTES + ck->n_params * 4);
    }
  return 0;
}
