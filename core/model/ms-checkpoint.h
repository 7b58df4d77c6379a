/* GPT-2 parameters on the host: llm.c's .bin checkpoints (native format, read and written),
 * Hugging Face GPT-2 safetensors (imported), and GPT-2's random initialization. Parameters are
 * always one flat float32 array in llm.c's order (ms-gpt-config.h). */
#pragma once

#include <glib.h>

#include "model/ms-gpt-config.h"

G_BEGIN_DECLS

/* llm.c's model file: int32 header[256] (magic, version, maxT, V, L, NH, C, Vp, zeros), then the
 * 16 tensors of ms_gpt_param_offsets () back to back, little-endian. */
#define MS_CHECKPOINT_MAGIC 20240326
#define MS_CHECKPOINT_VERSION_FP32 3
#define MS_CHECKPOINT_VERSION_BF16 5
#define MS_CHECKPOINT_HEADER_BYTES 1024
/* llm.c pads the vocabulary (rows of wte) to a multiple of this, with zero rows. */
#define MS_CHECKPOINT_VOCAB_PAD 128

typedef enum {
  MS_CHECKPOINT_LLMC,         /* llm.c .bin */
  MS_CHECKPOINT_SAFETENSORS,  /* Hugging Face GPT-2: model.safetensors + config.json */
  MS_CHECKPOINT_RANDOM,       /* made by ms_checkpoint_new_random () */
} MsCheckpointFormat;

typedef struct {
  MsGptConfig cfg;
  float *params;              /* (n_params) in llm.c order, see ms_gpt_param_offsets () */
  gsize n_params;
  MsCheckpointFormat format;
  int version;                /* llm.c header version (3 or 5); 0 for other formats */
  const char *dtype;          /* element type stored in the file: "fp32", "bf16", "f16", "mixed" */
  char *path;                 /* the file read (model.safetensors when given a directory) */
  guint64 file_size;          /* bytes of that file */
} MsCheckpoint;

/* Loads a checkpoint, detecting the format: an llm.c .bin (version 3 fp32, or version 5 bf16
 * widened to fp32), a Hugging Face directory holding model.safetensors + config.json, or a
 * .safetensors file with config.json beside it. Memory: the float array, plus one transposed
 * tensor and a small buffer for imports.
 * Errors: G_FILE_ERROR when the file cannot be opened; MS_ERROR_FORMAT for malformed or
 * unsupported contents; MS_ERROR_MISMATCH when tensor shapes disagree with config.json;
 * MS_ERROR_IO for read or allocation failures. Messages start with the file's path. */
MsCheckpoint *ms_checkpoint_load (const char *path, GError **error);
/* The two loaders ms_checkpoint_load () dispatches to. PATH of the second may be a directory. */
MsCheckpoint *ms_checkpoint_load_llmc (const char *path, GError **error);
MsCheckpoint *ms_checkpoint_load_safetensors (const char *path, GError **error);

/* Writes an llm.c version-3 (fp32) .bin. Atomic: a temporary file in the same directory is
 * written, flushed to disk and renamed over PATH; on any error it is removed and PATH is left
 * as it was. PARAMS holds ms_gpt_param_offsets (CFG) floats. */
gboolean ms_checkpoint_save (const char *path, const MsGptConfig *cfg, const float *params,
                             GError **error);

/* GPT-2's initialization as llm.c and nanoGPT do it: weights and embeddings normal(0, 0.02),
 * the residual projections (attprojw, fcprojw) normal(0, 0.02 / sqrt(2 L)), biases 0,
 * LayerNorm weights 1; the padded rows of wte (V..Vp-1) are 0. Deterministic in SEED.
 * Returns NULL with ERROR set when CFG fails ms_gpt_config_validate () or its parameters
 * cannot be allocated. */
MsCheckpoint *ms_checkpoint_new_random (const MsGptConfig *cfg, guint64 seed, GError **error);
void ms_checkpoint_free (MsCheckpoint *ck);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsCheckpoint, ms_checkpoint_free)

/* "llm.c .bin v3 (fp32)", "safetensors (F16)", ...: for messages and `memscope info`. */
char *ms_checkpoint_describe_format (const MsCheckpoint *ck);

/* The shape of tensor WHICH (MS_WTE ...) as llm.c stores it, outermost first: e.g. qkvw is
 * (L, 3C, C). Returns the number of dimensions (1 to 3). */
int ms_checkpoint_param_shape (const MsGptConfig *cfg, int which, gsize shape[3]);

typedef struct {
  double mean, std, min, max;  /* std: population (divide by n); over finite values */
  gsize n, n_nonfinite;        /* elements, and how many of them are NaN or infinite */
} MsTensorStats;

void ms_checkpoint_tensor_stats (const float *x, gsize n, MsTensorStats *stats);

G_END_DECLS
