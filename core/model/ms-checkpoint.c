/* llm.c's GPT-2 .bin checkpoints: reading (fp32 and bf16), atomic writing (fp32), GPT-2's random
 * initialization, and the format dispatch of ms_checkpoint_load (). Hugging Face imports live in
 * ms-safetensors.c. */
#include "model/ms-checkpoint.h"

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
#include "model/ms-checkpoint-io.h"

#define IO_BUFFER_BYTES MS_CKPT_IO_BUFFER_BYTES


/* ---- llm.c .bin ------------------------------------------------------------------------------ */

static const char *
other_llmc_magic (gint32 magic)
{
  switch (magic)
    {
    case 20240327: return " (an llm.c debug state file, not a model)";
    case 20240328: return " (an llm.c tokenizer file, not a model)";
    case 20240520: return " (an llm.c token data shard, not a model)";
    case 20240527: return " (an llm.c training state file, not a model)";
    default: return "";
    }
}

MsCheckpoint *
ms_checkpoint_load_llmc (const char *path, GError **error)
{
  guint64 file_size;
  FILE *f = ms_ckpt_open_read (path, &file_size, error);
  if (f == NULL)
    return NULL;
  /* Every auto-freed variable is declared before the first goto. */
  MsCheckpoint *ck = NULL;
  g_autoptr (GError) bad = NULL;
  gint32 header[256];
  if (file_size == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: empty file (expected an llm.c GPT-2 "
                   "checkpoint)", path);
      goto out;
    }
  if (file_size < MS_CHECKPOINT_HEADER_BYTES)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: truncated header (%" G_GUINT64_FORMAT
                   " bytes, expected at least %d)", path, file_size, MS_CHECKPOINT_HEADER_BYTES);
      goto out;
    }
  if (!ms_ckpt_read (f, header, sizeof header, path, 0, "header", error))
    goto out;
  for (int i = 0; i < 256; i++)
    header[i] = GINT32_FROM_LE (header[i]);
  if (header[0] != MS_CHECKPOINT_MAGIC)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: byte 0: wrong magic %d (expected %d, "
                   "an llm.c GPT-2 checkpoint)%s", path, header[0], MS_CHECKPOINT_MAGIC,
                   other_llmc_magic (header[0]));
      goto out;
    }
  int version = header[1];
  if (version != MS_CHECKPOINT_VERSION_FP32 && version != MS_CHECKPOINT_VERSION_BF16)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: byte 4: unsupported version %d "
                   "(expected 3 = fp32 or 5 = bf16, with padded vocabulary; re-export older "
                   "files with llm.c's train_gpt2.py)", path, version);
      goto out;
    }
  MsGptConfig cfg = {
    .max_seq_len = header[2], .vocab_size = header[3], .num_layers = header[4],
    .num_heads = header[5], .channels = header[6], .padded_vocab_size = header[7],
  };
  /* Refuse absurd sizes before any size arithmetic can overflow. */
  double estimate = (double) cfg.padded_vocab_size * cfg.channels
    + (double) cfg.max_seq_len * cfg.channels
    + (double) cfg.num_layers * (12.0 * cfg.channels * cfg.channels + 13.0 * cfg.channels);
  if (!ms_gpt_config_validate (&cfg, &bad))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: bytes 8-31: bad sizes in header: %s",
                   path, bad->message);
      goto out;
    }
  if (estimate > G_MAXINT32)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: bytes 8-31: bad sizes in header: "
                   "model too large (%.3g parameters)", path, estimate);
      goto out;
    }
  gsize offsets[MS_N_PARAMS];
  gsize n = ms_gpt_param_offsets (&cfg, offsets);
  gsize elem = version == MS_CHECKPOINT_VERSION_FP32 ? 4 : 2;
  guint64 want = MS_CHECKPOINT_HEADER_BYTES + (guint64) n * elem;
  if (file_size != want)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: file is %" G_GUINT64_FORMAT " bytes "
                   "but its header (maxT=%d V=%d Vp=%d L=%d NH=%d C=%d, %zu %s parameters) "
                   "needs %" G_GUINT64_FORMAT ": %s", path, file_size, cfg.max_seq_len,
                   cfg.vocab_size, cfg.padded_vocab_size, cfg.num_layers, cfg.num_heads,
                   cfg.channels, n, elem == 4 ? "fp32" : "bf16", want,
                   file_size < want ? "truncated tensors" : "trailing bytes after the tensors");
      goto out;
    }
  ck = ms_ckpt_alloc (&cfg, path, FALSE, error);  /* every element is read */
  if (ck == NULL)
    goto out;
  ck->format = MS_CHECKPOINT_LLMC;
  ck->version = version;
  ck->dtype = elem == 4 ? "fp32" : "bf16";
  ck->file_size = file_size;
  if (elem == 4)
    {
      if (!ms_ckpt_read (f, ck->params, n * 4, path, MS_CHECKPOINT_HEADER_BYTES, "tensors",
                         error))
        goto fail;
      ms_ckpt_f32_from_le (ck->params, n);
    }
  else
    {
      /* bf16 -> fp32 through a small buffer: no second copy of the model. */
      gsize chunk = IO_BUFFER_BYTES / 2;
      g_autofree guint16 *buf = g_new (guint16, chunk);
      for (gsize i = 0; i < n; i += chunk)
        {
          gsize m = MIN (chunk, n - i);
          if (!ms_ckpt_read (f, buf, m * 2, path, MS_CHECKPOINT_HEADER_BYTES + (guint64) i * 2,
                             "tensors", error))
            goto fail;
          ms_ckpt_bf16_to_f32 (buf, ck->params + i, m);
        }
    }
  goto out;

fail:
  g_clear_pointer (&ck, ms_checkpoint_free);
out:
  fclose (f);
  return ck;
}

static gboolean
write_all (FILE *f, const void *buf, gsize n, const char *path, GError **error)
{
  if (n == 0 || fwrite (buf, 1, n, f) == n)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: write failed: %s", path, g_strerror (errno));
  return FALSE;
}

static gboolean
write_checkpoint (FILE *f, const char *tmp, const MsGptConfig *cfg, const float *params,
                  gsize n, GError **error)
{
  gint32 header[256] = { 0 };
  header[0] = MS_CHECKPOINT_MAGIC;
  header[1] = MS_CHECKPOINT_VERSION_FP32;
  header[2] = cfg->max_seq_len;
  header[3] = cfg->vocab_size;
  header[4] = cfg->num_layers;
  header[5] = cfg->num_heads;
  header[6] = cfg->channels;
  header[7] = cfg->padded_vocab_size;
  for (int i = 0; i < 8; i++)
    header[i] = GINT32_TO_LE (header[i]);
  if (!write_all (f, header, sizeof header, tmp, error))
    return FALSE;
#if G_BYTE_ORDER == G_BIG_ENDIAN
  guint32 buf[4096];
  for (gsize i = 0; i < n; i += G_N_ELEMENTS (buf))
    {
      gsize m = MIN (G_N_ELEMENTS (buf), n - i);
      memcpy (buf, params + i, m * 4);
      for (gsize j = 0; j < m; j++)
        buf[j] = GUINT32_TO_LE (buf[j]);
      if (!write_all (f, buf, m * 4, tmp, error))
        return FALSE;
    }
  return TRUE;
#else
  return write_all (f, params, n * 4, tmp, error);
#endif
}

gboolean
ms_checkpoint_save (const char *path, const MsGptConfig *cfg, const float *params,
                    GError **error)
{
  g_return_val_if_fail (path != NULL && cfg != NULL && params != NULL, FALSE);
  g_autoptr (GError) bad = NULL;
  if (!ms_gpt_config_validate (cfg, &bad))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "%s: not saved: %s", path, bad->message);
      return FALSE;
    }
  gsize offsets[MS_N_PARAMS];
  gsize n = ms_gpt_param_offsets (cfg, offsets);

  /* The temporary file lives beside PATH so that rename () is atomic (same file system). */
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl_name = g_strdup_printf (".%s.tmp-XXXXXX", base);
  g_autofree char *tmp = g_build_filename (dir, tmpl_name, NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: cannot create a "
                   "temporary file in %s: %s", path, dir, g_strerror (e));
      return FALSE;
    }
  FILE *f = fdopen (fd, "wb");
  if (f == NULL)
    {
      int e = errno;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: fdopen failed: %s", tmp, g_strerror (e));
      return FALSE;
    }
  setvbuf (f, NULL, _IOFBF, IO_BUFFER_BYTES);
  gboolean ok = write_checkpoint (f, tmp, cfg, params, n, error);
  if (ok && (fflush (f) != 0 || fsync (fileno (f)) != 0))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: flushing to disk failed: %s", tmp,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (fclose (f) != 0 && ok)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: close failed: %s", tmp,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (ok && g_rename (tmp, path) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot rename %s onto it: %s", path, tmp,
                   g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    {
      g_unlink (tmp);
      return FALSE;
    }
  /* Make the rename itself durable; a failure here leaves a complete file, so ignore it. */
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      (void) fsync (dfd);
      close (dfd);
    }
  return TRUE;
}

/* ---- random initialization ------------------------------------------------------------------ */

/* xoshiro256** seeded through splitmix64, and Box-Muller normals in double. */
typedef struct { guint64 s[4]; gboolean has_spare; double spare; } InitRng;

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
rng_next (InitRng *r)
{
  guint64 result = rotl (r->s[1] * 5, 7) * 9, t = r->s[1] << 17;
  r->s[2] ^= r->s[0];
  r->s[3] ^= r->s[1];
  r->s[1] ^= r->s[2];
  r->s[0] ^= r->s[3];
  r->s[2] ^= t;
  r->s[3] = rotl (r->s[3], 45);
  return result;
}

static double
rng_normal (InitRng *r)
{
  if (r->has_spare)
    {
      r->has_spare = FALSE;
      return r->spare;
    }
  double u1 = ((rng_next (r) >> 11) + 1.0) / 9007199254740993.0;  /* (0, 1] */
  double u2 = (rng_next (r) >> 11) / 9007199254740992.0;          /* [0, 1) */
  double rad = sqrt (-2.0 * log (u1));
  r->spare = rad * sin (2.0 * G_PI * u2);
  r->has_spare = TRUE;
  return rad * cos (2.0 * G_PI * u2);
}

static void
fill_normal (InitRng *r, float *x, gsize n, double std)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (std * rng_normal (r));
}

MsCheckpoint *
ms_checkpoint_new_random (const MsGptConfig *cfg, guint64 seed, GError **error)
{
  if (!ms_gpt_config_validate (cfg, error))
    return NULL;
  MsCheckpoint *ck = ms_ckpt_alloc (cfg, "random model", TRUE, error);
  if (ck == NULL)
    return NULL;
  ck->format = MS_CHECKPOINT_RANDOM;
  ck->dtype = "fp32";
  InitRng rng = { { 0 } };
  for (int i = 0; i < 4; i++)
    rng.s[i] = splitmix64 (&seed);

  gsize off[MS_N_PARAMS], size[MS_N_PARAMS];
  ms_gpt_param_offsets (cfg, off);
  ms_gpt_param_sizes (cfg, size);
  gsize C = cfg->channels;
  double std = 0.02, residual_std = 0.02 / sqrt (2.0 * cfg->num_layers);
  float *p = ck->params;
  /* Tensors in llm.c's order, so the stream of random numbers is fixed by the layout. Biases
   * stay at the zeros ms_ckpt_alloc () wrote, as do the padded rows of wte. */
  fill_normal (&rng, p + off[MS_WTE], (gsize) cfg->vocab_size * C, std);
  fill_normal (&rng, p + off[MS_WPE], size[MS_WPE], std);
  for (gsize i = 0; i < size[MS_LN1W]; i++)
    p[off[MS_LN1W] + i] = 1.0f;
  fill_normal (&rng, p + off[MS_QKVW], size[MS_QKVW], std);
  fill_normal (&rng, p + off[MS_ATTPROJW], size[MS_ATTPROJW], residual_std);
  for (gsize i = 0; i < size[MS_LN2W]; i++)
    p[off[MS_LN2W] + i] = 1.0f;
  fill_normal (&rng, p + off[MS_FCW], size[MS_FCW], std);
  fill_normal (&rng, p + off[MS_FCPROJW], size[MS_FCPROJW], residual_std);
  for (gsize i = 0; i < size[MS_LNFW]; i++)
    p[off[MS_LNFW] + i] = 1.0f;
  return ck;
}

/* ---- dispatch and description --------------------------------------------------------------- */

MsCheckpoint *
ms_checkpoint_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_DIR) || g_str_has_suffix (path, ".safetensors"))
    return ms_checkpoint_load_safetensors (path, error);
  /* Sniff the first bytes: llm.c's magic, or safetensors' u64 header length followed by '{'. */
  guint64 size;
  FILE *f = ms_ckpt_open_read (path, &size, error);
  if (f == NULL)
    return NULL;
  guchar head[9] = { 0 };
  gsize got = fread (head, 1, sizeof head, f);
  fclose (f);
  gint32 magic = (gint32) ((guint32) head[0] | (guint32) head[1] << 8 | (guint32) head[2] << 16
                           | (guint32) head[3] << 24);
  if (got == sizeof head && magic != MS_CHECKPOINT_MAGIC && head[8] == '{')
    return ms_checkpoint_load_safetensors (path, error);
  return ms_checkpoint_load_llmc (path, error);
}

char *
ms_checkpoint_describe_format (const MsCheckpoint *ck)
{
  switch (ck->format)
    {
    case MS_CHECKPOINT_LLMC:
      return g_strdup_printf ("llm.c .bin v%d (%s)", ck->version, ck->dtype);
    case MS_CHECKPOINT_SAFETENSORS:
      return g_strdup_printf ("Hugging Face safetensors (%s)", ck->dtype);
    case MS_CHECKPOINT_RANDOM:
    default:
      return g_strdup ("random initialization (fp32)");
    }
}

int
ms_checkpoint_param_shape (const MsGptConfig *cfg, int which, gsize shape[3])
{
  gsize Vp = cfg->padded_vocab_size, C = cfg->channels, L = cfg->num_layers;
  gsize maxT = cfg->max_seq_len;
  shape[0] = shape[1] = shape[2] = 0;
  switch (which)
    {
    case MS_WTE: shape[0] = Vp; shape[1] = C; return 2;
    case MS_WPE: shape[0] = maxT; shape[1] = C; return 2;
    case MS_QKVW: shape[0] = L; shape[1] = 3 * C; shape[2] = C; return 3;
    case MS_QKVB: shape[0] = L; shape[1] = 3 * C; return 2;
    case MS_ATTPROJW: shape[0] = L; shape[1] = C; shape[2] = C; return 3;
    case MS_FCW: shape[0] = L; shape[1] = 4 * C; shape[2] = C; return 3;
    case MS_FCB: shape[0] = L; shape[1] = 4 * C; return 2;
    case MS_FCPROJW: shape[0] = L; shape[1] = C; shape[2] = 4 * C; return 3;
    case MS_LNFW:
    case MS_LNFB: shape[0] = C; return 1;
    case MS_LN1W: case MS_LN1B: case MS_ATTPROJB: case MS_LN2W: case MS_LN2B: case MS_FCPROJB:
      shape[0] = L; shape[1] = C; return 2;
    default:
      g_return_val_if_reached (0);
    }
}

void
ms_checkpoint_tensor_stats (const float *x, gsize n, MsTensorStats *st)
{
  /* Two passes in double: the mean first, then the spread around it (no cancellation). */
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  gsize finite = 0;
  for (gsize i = 0; i < n; i++)
    if (isfinite (x[i]))
      {
        sum += x[i];
        lo = MIN (lo, x[i]);
        hi = MAX (hi, x[i]);
        finite++;
      }
  double mean = finite ? sum / finite : NAN, ss = 0;
  for (gsize i = 0; i < n; i++)
    if (isfinite (x[i]))
      ss += (x[i] - mean) * (x[i] - mean);
  st->n = n;
  st->n_nonfinite = n - finite;
  st->mean = mean;
  st->std = finite ? sqrt (ss / finite) : NAN;
  st->min = finite ? lo : NAN;
  st->max = finite ? hi : NAN;
}
