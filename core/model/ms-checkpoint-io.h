/* Helpers shared by the checkpoint readers (ms-checkpoint.c, ms-safetensors.c), defined in
 * ms-checkpoint-io.c below both of them; not part of the library's API. */
#pragma once

#include <stdio.h>

/* stdio buffer of checkpoint reads and writes. */
#define MS_CKPT_IO_BUFFER_BYTES (1 << 20)

#include "model/ms-checkpoint.h"

/* Opens PATH for buffered reading; fails unless it is a regular file. *SIZE gets its length. */
FILE *ms_ckpt_open_read (const char *path, guint64 *size, GError **error);
/* Reads exactly N bytes at the current position; AT and WHAT go into the error message. */
gboolean ms_ckpt_read (FILE *f, void *buf, gsize n, const char *path, guint64 at,
                       const char *what, GError **error);
gboolean ms_ckpt_seek (FILE *f, guint64 at, const char *path, GError **error);
/* A new checkpoint owning an array for CFG (which must be valid), zero-filled when ZERO, or NULL
 * with an MS_ERROR_IO error when the memory is not there. */
MsCheckpoint *ms_ckpt_alloc (const MsGptConfig *cfg, const char *path, gboolean zero,
                             GError **error);

/* Element conversions to float32 (from little-endian storage). */
void ms_ckpt_f32_from_le (float *x, gsize n);
void ms_ckpt_bf16_to_f32 (const guint16 *src, float *dst, gsize n);
void ms_ckpt_f16_to_f32 (const guint16 *src, float *dst, gsize n);
