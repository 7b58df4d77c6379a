/* Reading checkpoint files, shared by the llm.c loader (ms-checkpoint.c) and the Hugging Face
 * import (ms-safetensors.c): buffered reads that name the file and offset in errors, the
 * parameter array, and the dtype conversions. Both loaders sit above this file. */
#include "model/ms-checkpoint-io.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ms-error.h"

#define IO_BUFFER_BYTES MS_CKPT_IO_BUFFER_BYTES

/* ---- shared I/O helpers -------------------------------------------------------------------- */

FILE *
ms_ckpt_open_read (const char *path, guint64 *size, GError **error)
{
  FILE *f = g_fopen (path, "rb");
  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: cannot open: %s",
                   path, g_strerror (e));
      return NULL;
    }
  struct stat st;
  if (fstat (fileno (f), &st) != 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: cannot stat: %s",
                   path, g_strerror (e));
      fclose (f);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: not a regular file", path);
      fclose (f);
      return NULL;
    }
  /* Large reads bypass the stdio buffer; a big one still helps the small header reads and the
   * chunked conversions. */
  setvbuf (f, NULL, _IOFBF, IO_BUFFER_BYTES);
  *size = (guint64) st.st_size;
  return f;
}

gboolean
ms_ckpt_read (FILE *f, void *buf, gsize n, const char *path, guint64 at, const char *what,
              GError **error)
{
  gsize got = n == 0 ? 0 : fread (buf, 1, n, f);
  if (got == n)
    return TRUE;
  if (ferror (f))
    g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: byte %" G_GUINT64_FORMAT ": reading %s "
                 "failed: %s", path, at, what, g_strerror (errno));
  else
    g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: byte %" G_GUINT64_FORMAT ": truncated "
                 "%s (%zu of %zu bytes)", path, at, what, got, n);
  return FALSE;
}

gboolean
ms_ckpt_seek (FILE *f, guint64 at, const char *path, GError **error)
{
  if (at <= G_MAXINT64 && fseeko (f, (off_t) at, SEEK_SET) == 0)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot seek to byte %" G_GUINT64_FORMAT
               ": %s", path, at, g_strerror (errno));
  return FALSE;
}

/* The float array of a whole model. Large ones are aligned to 2 MiB and marked for transparent
 * huge pages: on first touch, 4 KiB page faults otherwise cost more than reading the file
 * (measured 3.1-3.7 s against 0.1 s for GPT-2 124M from the page cache). Freed with g_free (). */
static float *
alloc_params (gsize n)
{
  gsize bytes = n * sizeof (float), huge = 2u << 20;
  if (n > G_MAXSIZE / sizeof (float))
    return NULL;
  if (bytes < 2 * huge)
    return g_try_malloc_n (MAX (n, 1), sizeof (float));
  void *p = NULL;
  if (posix_memalign (&p, huge, bytes) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  (void) madvise (p, bytes / huge * huge, MADV_HUGEPAGE);  /* only a hint */
#endif
  return p;
}

MsCheckpoint *
ms_ckpt_alloc (const MsGptConfig *cfg, const char *path, gboolean zero,
               GError **error)
{
  gsize offsets[MS_N_PARAMS];
  gsize n = ms_gpt_param_offsets (cfg, offsets);
  float *params = alloc_params (n);
  if (params == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot allocate %.1f MiB for %zu "
                   "parameters", path ? path : "checkpoint", n * 4.0 / 1048576.0, n);
      return NULL;
    }
  if (zero)
    memset (params, 0, n * sizeof (float));
  MsCheckpoint *ck = g_new0 (MsCheckpoint, 1);
  ck->cfg = *cfg;
  ck->params = params;
  ck->n_params = n;
  ck->path = g_strdup (path);
  return ck;
}

/* The counterpart of ms_ckpt_alloc (), so that both loaders free what they made here. */
void
ms_checkpoint_free (MsCheckpoint *ck)
{
  if (ck == NULL)
    return;
  g_free (ck->params);
  g_free (ck->path);
  g_free (ck);
}

void
ms_ckpt_f32_from_le (float *x, gsize n)
{
#if G_BYTE_ORDER == G_BIG_ENDIAN
  guint32 *u = (guint32 *) x;
  for (gsize i = 0; i < n; i++)
    u[i] = GUINT32_FROM_LE (u[i]);
#else
  (void) x;
  (void) n;
#endif
}

void
ms_ckpt_bf16_to_f32 (const guint16 *src, float *dst, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      guint32 u = (guint32) GUINT16_FROM_LE (src[i]) << 16;
      memcpy (&dst[i], &u, 4);
    }
}

void
ms_ckpt_f16_to_f32 (const guint16 *src, float *dst, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      guint32 h = GUINT16_FROM_LE (src[i]);
      guint32 sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
      if (exp == 0x1f)              /* inf, nan */
        u = sign | 0x7f800000u | (man << 13);
      else if (exp != 0)            /* normal: rebias 15 -> 127 */
        u = sign | ((exp + 112) << 23) | (man << 13);
      else if (man == 0)            /* signed zero */
        u = sign;
      else                          /* subnormal: exact as man * 2^-24 */
        {
          float v = ldexpf ((float) man, -24);
          memcpy (&u, &v, 4);
          u |= sign;
        }
      memcpy (&dst[i], &u, 4);
    }
}
