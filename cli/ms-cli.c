/* Option handling shared by the subcommands. */
#include "ms-cli.h"

#include <stdio.h>

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
