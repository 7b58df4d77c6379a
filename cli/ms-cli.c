/* Option handling shared by the subcommands. */
#include "ms-cli.h"

#include <stdio.h>
#include <string.h>

#include "model/ms-checkpoint.h"
#include "ms-config.h"

void
ms_cli_add_common (GOptionContext *ctx, MsCliCommon *common)
{
  GOptionEntry entries[] = {
    { "device", 'd', 0, G_OPTION_ARG_STRING, &common->device,
      "OpenCL device: index, type (gpu, cpu, gpu:1) or name substring; default $MEMSCOPE_DEVICE",
      "DEV" },
    { "blas", 0, 0, G_OPTION_ARG_STRING, &common->blas,
      "GEMM backend: auto, clblast or host (default $MEMSCOPE_BLAS, else auto)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &common->json, "Print machine-readable JSON", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &common->verbose, "Say more about what happens",
      NULL },
    { NULL }
  };
  g_option_context_add_main_entries (ctx, entries, NULL);
}

gboolean
ms_cli_parse (GOptionContext *ctx, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  if (g_option_context_parse (ctx, argc, argv, &error))
    return TRUE;
  g_printerr ("memscope: %s (see --help)\n", error->message);
  return FALSE;
}

gboolean
ms_cli_open (const MsCliCommon *common, MsDevice **dev, MsBlas **blas, GError **error)
{
  MsBlasKind kind;
  if (!ms_blas_kind_parse (common->blas, &kind, error))
    return FALSE;
  *dev = ms_device_open (common->device, error);
  if (*dev == NULL)
    return FALSE;
  if (blas)
    {
      *blas = ms_blas_new (*dev, kind, error);
      if (*blas == NULL)
        {
          g_clear_pointer (dev, ms_device_free);
          return FALSE;
        }
    }
  if (!common->json)
    {
      g_autofree char *desc = ms_device_describe (*dev);
      g_printerr ("device: %s%s%s\n", desc, blas ? ", GEMM: " : "",
                  blas ? ms_blas_name (*blas) : "");
      if (common->verbose)
        g_printerr ("kernels: %s (%s)\n", (*dev)->cache_path,
                    (*dev)->cache_hit ? "cached" : "built");
    }
  return TRUE;
}

int
ms_cli_fail (const char *cmd, GError *error)
{
  g_printerr ("memscope %s: %s\n", cmd, error ? error->message : "failed");
  if (error)
    g_error_free (error);
  return 1;
}

int
ms_cli_usage (const char *cmd, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_printerr ("memscope %s: %s (see memscope %s --help)\n", cmd, msg, cmd);
  return 2;
}

gboolean
ms_cli_parse_shape (const char *text, MsGptConfig *cfg, GError **error)
{
  *cfg = (MsGptConfig) { .max_seq_len = 256, .vocab_size = 8192, .num_layers = 4,
                         .num_heads = 4, .channels = 256 };
  int vp = 0;
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  for (char **p = parts; *p; p++)
    {
      g_auto (GStrv) kv = g_strsplit (g_strstrip (*p), "=", 2);
      guint64 v = 0;
      if (kv[0] == NULL || kv[1] == NULL
          || !g_ascii_string_to_unsigned (kv[1], 10, 1, G_MAXINT32, &v, NULL))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "model shape '%s': expected KEY=NUMBER pairs such as L=4,NH=4,C=256,"
                       "V=8192,maxT=256", text);
          return FALSE;
        }
      if (g_ascii_strcasecmp (kv[0], "L") == 0)
        cfg->num_layers = v;
      else if (g_ascii_strcasecmp (kv[0], "NH") == 0 || g_ascii_strcasecmp (kv[0], "H") == 0)
        cfg->num_heads = v;
      else if (g_ascii_strcasecmp (kv[0], "C") == 0)
        cfg->channels = v;
      else if (strcmp (kv[0], "V") == 0)
        cfg->vocab_size = v;
      else if (strcmp (kv[0], "Vp") == 0)
        vp = v;
      else if (g_ascii_strcasecmp (kv[0], "maxT") == 0)
        cfg->max_seq_len = v;
      else
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "model shape '%s': unknown key '%s' (L, NH, C, V, Vp, maxT)", text, kv[0]);
          return FALSE;
        }
    }
  cfg->padded_vocab_size = vp ? vp : (cfg->vocab_size + 127) / 128 * 128;
  return ms_gpt_config_validate (cfg, error);
}

MsGpt *
ms_cli_load_model (MsBlas *blas, const char *spec, guint64 seed, GError **error)
{
  g_autoptr (MsCheckpoint) ck = NULL;
  if (g_str_has_prefix (spec, "random:"))
    {
      MsGptConfig cfg;
      if (!ms_cli_parse_shape (spec + 7, &cfg, error))
        return NULL;
      if (!(ck = ms_checkpoint_new_random (&cfg, seed, error)))
        return NULL;
    }
  else if (!(ck = ms_checkpoint_load (spec, error)))
    return NULL;
  return ms_gpt_new (blas, &ck->cfg, ck->params, error);
}


MsBpe *
ms_cli_load_tokenizer (const char *dir, GError **error)
{
  if (dir != NULL)
    return ms_bpe_load (dir, error);
  const char *candidates[] = { MS_SOURCE_DATADIR "/tokenizer", MS_DATADIR "/tokenizer" };
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *enc = g_build_filename (candidates[i], MS_BPE_ENCODER_FILE, NULL);
      if (g_file_test (enc, G_FILE_TEST_EXISTS))
        return ms_bpe_load (candidates[i], error);
    }
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
               "no tokenizer found in %s or %s; pass --tokenizer DIR (a directory holding "
               MS_BPE_ENCODER_FILE " and " MS_BPE_MERGES_FILE ")", candidates[0], candidates[1]);
  return NULL;
}
