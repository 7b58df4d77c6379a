/* The memscope command: each subcommand is a function taking its own argv (argv[0] is the
 * subcommand's name) and returning the process exit status. Shared option handling lives in
 * ms-cli.c. */
#pragma once

#include <glib.h>

#include "blas/ms-blas.h"
#include "model/ms-gpt.h"
#include "text/ms-bpe.h"

typedef struct {
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} MsCommand;

/* Options every device-using subcommand takes. */
typedef struct {
  char *device;   /* --device */
  char *blas;     /* --blas */
  gboolean json;  /* --json */
  gboolean verbose;
} MsCliCommon;

/* Adds --device, --blas, --json and --verbose to CTX. */
void ms_cli_add_common (GOptionContext *ctx, MsCliCommon *common);
/* Parses argv with CTX; prints the error and returns FALSE on bad options. */
gboolean ms_cli_parse (GOptionContext *ctx, int *argc, char ***argv);
/* Opens the device and GEMM backend named by COMMON, printing what was chosen unless --json. */
gboolean ms_cli_open (const MsCliCommon *common, MsDevice **dev, MsBlas **blas, GError **error);
/* Prints "memscope CMD: MESSAGE" on stderr and returns the exit status 1. */
int ms_cli_fail (const char *cmd, GError *error);
/* Prints a usage error (bad or missing arguments) and returns the exit status 2. */
int ms_cli_usage (const char *cmd, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Loads a checkpoint (llm.c .bin or Hugging Face safetensors) onto the device; SPEC may also
 * be "random:L=4,NH=4,C=256,V=8192,maxT=256" for a freshly initialised model (seeded by SEED). */
MsGpt *ms_cli_load_model (MsBlas *blas, const char *spec, guint64 seed, GError **error);
/* The tokenizer in DIR, else the shipped one (MS_SOURCE_DATADIR, then MS_DATADIR). */
MsBpe *ms_cli_load_tokenizer (const char *dir, GError **error);
/* Parses "L=4,NH=4,C=256,V=8192,maxT=256" (V padded to a multiple of 128 unless Vp= is given). */
gboolean ms_cli_parse_shape (const char *text, MsGptConfig *cfg, GError **error);

int ms_cmd_devices (int argc, char **argv);
int ms_cmd_forward (int argc, char **argv);
int ms_cmd_generate (int argc, char **argv);
int ms_cmd_train (int argc, char **argv);
int ms_cmd_pretrain (int argc, char **argv);
int ms_cmd_finetune (int argc, char **argv);
int ms_cmd_study (int argc, char **argv);
int ms_cmd_synth (int argc, char **argv);
int ms_cmd_attention (int argc, char **argv);
int ms_cmd_sparse (int argc, char **argv);
int ms_cmd_mia (int argc, char **argv);
int ms_cmd_info (int argc, char **argv);
int ms_cmd_tokenize (int argc, char **argv);
int ms_cmd_results (int argc, char **argv);
int ms_cmd_report (int argc, char **argv);
int ms_cmd_gui (int argc, char **argv);
