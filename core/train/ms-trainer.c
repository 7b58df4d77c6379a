/* The training loop and its exact, atomic save and resume. */
#include "ms-trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "common/ms-atomic.h"
#include "common/ms-mpi.h"

static void
close_file (FILE *f)
{
  if (f)
    fclose (f);
}
typedef FILE MsFile;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsFile, close_file)

#define STATE_MAGIC "MSSTATE1"
#define STATE_VERSION 1
#define CHUNK_FLOATS (gsize) (4 << 20)

struct _MsTrainer {
  MsGpt *gpt;
  MsTrainConfig cfg;
  MsBatchSource source;
  char *fingerprint;
  MsAdamW *opt;
  int step;
  int *tokens, *targets, *task_of, *seg;   /* (B, T) host staging */
  double *task_loss;                 /* (n_tasks) */
  gint64 *task_tokens;
  int rank, ranks;                   /* this rank's slice of each step (0, 1 on one process) */
  float *grad_host;                  /* (n_params) staging for the all-reduce */
  double *sums;                      /* (2 + 2·n_tasks) loss, tokens, per-task sums, counts */
};

MsTrainer *
ms_trainer_new (MsGpt *gpt, const MsTrainConfig *cfg, MsBatchSource source,
                const char *fingerprint, GError **error)
{
  if (cfg->B < 1 || cfg->T < 1 || cfg->grad_accum < 1 || cfg->steps < 0 || cfg->n_tasks < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "training needs B, T, grad_accum and tasks ≥ 1 (got B=%d T=%d accum=%d)",
                   cfg->B, cfg->T, cfg->grad_accum);
      return NULL;
    }
  if (cfg->T > ms_gpt_config (gpt)->max_seq_len)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "T=%d is longer than the model's context of %d tokens", cfg->T,
                   ms_gpt_config (gpt)->max_seq_len);
      return NULL;
    }
  g_autoptr (MsTrainer) t = g_new0 (MsTrainer, 1);
  t->gpt = gpt;
  t->cfg = *cfg;
  t->source = source;
  t->fingerprint = g_strdup (fingerprint ? fingerprint : "");
  gsize bt = (gsize) cfg->B * cfg->T;
  t->tokens = g_new (int, bt);
  t->targets = g_new (int, bt);
  t->task_of = g_new (int, bt);
  t->seg = g_new (int, bt);
  t->task_loss = g_new0 (double, cfg->n_tasks);
  t->task_tokens = g_new0 (gint64, cfg->n_tasks);
  t->ranks = cfg->data_parallel ? ms_mpi_size () : 1;
  t->rank = cfg->data_parallel ? ms_mpi_rank () : 0;
  if (t->ranks > 1)
    {
      t->grad_host = g_new (float, ms_gpt_num_params (gpt));
      t->sums = g_new (double, 2 + 2 * cfg->n_tasks);
    }
  if (!(t->opt = ms_adamw_new (gpt, &cfg->adamw, error)) || !ms_gpt_zero_grad (gpt, error))
    return NULL;
  return g_steal_pointer (&t);
}

void
ms_trainer_free (MsTrainer *t)
{
  if (t == NULL)
    return;
  ms_adamw_free (t->opt);
  g_free (t->fingerprint);
  g_free (t->tokens);
  g_free (t->targets);
  g_free (t->task_of);
  g_free (t->seg);
  g_free (t->task_loss);
  g_free (t->task_tokens);
  g_free (t->grad_host);
  g_free (t->sums);
  g_free (t);
}

int ms_trainer_step_index (const MsTrainer *t) { return t->step; }
gboolean ms_trainer_done (const MsTrainer *t) { return t->step >= t->cfg.steps; }

/* Adds the per-token losses of the last forward to the per-task sums. */
static void
account_tasks (MsTrainer *t, const float *losses, int n, double *sum, gint64 *count)
{
  for (int i = 0; i < n; i++)
    if (t->targets[i] >= 0)
      {
        int k = CLAMP (t->task_of[i], 0, t->cfg.n_tasks - 1);
        sum[k] += losses[i];
        count[k]++;
      }
}

/* Sums the gradient buffer and the step's loss figures over the ranks. The gradients go through
 * the host: OpenCL buffers are not MPI memory, and on PoCL the copy is a memcpy. */
static gboolean
allreduce_step (MsTrainer *t, double *loss, gint64 *tokens, GError **error)
{
  MsDevice *dev = ms_gpt_device (t->gpt);
  MsBuffer *grads = ms_gpt_grads (t->gpt);
  gsize bytes = ms_gpt_num_params (t->gpt) * sizeof (float);
  const int K = t->cfg.n_tasks;
  double *s = t->sums;
  s[0] = *loss;
  s[1] = (double) *tokens;
  for (int k = 0; k < K; k++)
    {
      s[2 + k] = t->task_loss[k];
      s[2 + K + k] = (double) t->task_tokens[k];
    }
  if (!ms_buffer_read (dev, grads, 0, t->grad_host, bytes, error)
      || !ms_mpi_allreduce_sum_float (t->grad_host, ms_gpt_num_params (t->gpt), error)
      || !ms_buffer_write (dev, grads, 0, t->grad_host, bytes, error)
      || !ms_mpi_allreduce_sum_double (s, 2 + 2 * K, error))
    return FALSE;
  *loss = s[0];
  *tokens = (gint64) s[1];
  for (int k = 0; k < K; k++)
    {
      t->task_loss[k] = s[2 + k];
      t->task_tokens[k] = (gint64) s[2 + K + k];
    }
  return TRUE;
}

gboolean
ms_trainer_step (MsTrainer *t, MsStepStats *stats, GError **error)
{
  gint64 start = g_get_monotonic_time ();
  const int B = t->cfg.B, T = t->cfg.T, accum = t->cfg.grad_accum;
  if (!ms_gpt_zero_grad (t->gpt, error))
    return FALSE;
  double loss = 0;
  gint64 tokens = 0;
  memset (t->task_loss, 0, t->cfg.n_tasks * sizeof (double));
  memset (t->task_tokens, 0, t->cfg.n_tasks * sizeof (gint64));
  for (int micro = 0; micro < accum; micro++)
    {
      if (!t->source.next (t->source.self, B, T, t->tokens, t->targets, t->task_of, t->seg,
                           error))
        {
          if (error && *error == NULL)
            g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "the training data ran out");
          return FALSE;
        }
      if (micro % t->ranks != t->rank)
        continue;  /* another rank's micro-batch: read to keep the sources in step */
      if (!ms_gpt_forward_segments (t->gpt, t->tokens, t->seg, t->targets, B, T, error))
        return FALSE;
      account_tasks (t, ms_gpt_losses (t->gpt), B * T, t->task_loss, t->task_tokens);
      gint64 n = 0;
      for (int i = 0; i < B * T; i++)
        n += t->targets[i] >= 0;
      if (n == 0)
        continue;  /* a batch of padding only: nothing to learn */
      tokens += n;
      loss += ms_gpt_mean_loss (t->gpt) / accum;
      if (!ms_gpt_backward (t->gpt, 1.0f / accum, error))
        return FALSE;
    }
  double allreduce_seconds = 0;
  guint64 allreduce_bytes = 0;
  if (t->ranks > 1)
    {
      gint64 t0 = g_get_monotonic_time ();
      guint64 b0 = ms_mpi_bytes_sent ();
      if (!allreduce_step (t, &loss, &tokens, error))
        return FALSE;
      allreduce_seconds = (g_get_monotonic_time () - t0) / 1e6;
      allreduce_bytes = ms_mpi_bytes_sent () - b0;
    }
  double lr = ms_schedule_lr (&t->cfg.schedule, t->step);
  double norm = 0;
  if (!ms_adamw_step (t->opt, lr, &norm, error))
    return FALSE;
  t->step++;
  if (stats)
    {
      for (int k = 0; k < t->cfg.n_tasks; k++)
        t->task_loss[k] = t->task_tokens[k] ? t->task_loss[k] / t->task_tokens[k] : NAN;
      *stats = (MsStepStats) { .step = t->step, .loss = loss, .grad_norm = norm, .lr = lr,
                               .tokens = tokens,
                               .seconds = (g_get_monotonic_time () - start) / 1e6,
                               .allreduce_seconds = allreduce_seconds,
                               .allreduce_bytes = allreduce_bytes,
                               .task_loss = t->task_loss, .task_tokens = t->task_tokens };
    }
  return TRUE;
}

/* ---- state ------------------------------------------------------------------------- */

typedef struct {
  char magic[8];
  guint32 version;
  gint32 cfg[6];           /* maxT, V, Vp, L, NH, C */
  gint64 step;
  gint64 adam_t;
  guint64 n_params;
  guint32 fingerprint_len;
  guint32 source_len;
} StateHeader;

static void
cfg_ints (const MsGptConfig *c, gint32 out[6])
{
  gint32 v[6] = { c->max_seq_len, c->vocab_size, c->padded_vocab_size, c->num_layers,
                  c->num_heads, c->channels };
  memcpy (out, v, sizeof v);
}

/* Streams a device buffer into F through a host chunk, updating the CRC. */
static gboolean
write_buffer (MsTrainer *t, MsAtomicFile *f, MsBuffer *buf, gsize n, uLong *crc, float *chunk,
              GError **error)
{
  MsDevice *dev = ms_gpt_device (t->gpt);
  for (gsize i = 0; i < n; i += CHUNK_FLOATS)
    {
      gsize m = MIN (CHUNK_FLOATS, n - i);
      if (!ms_buffer_read (dev, buf, i * sizeof (float), chunk, m * sizeof (float), error)
          || !ms_atomic_file_write (f, chunk, m * sizeof (float), error))
        return FALSE;
      *crc = crc32 (*crc, (const Bytef *) chunk, m * sizeof (float));
    }
  return TRUE;
}

gboolean
ms_trainer_save_state (MsTrainer *t, const char *path, GError **error)
{
  g_autoptr (GBytes) src = t->source.save_state (t->source.self);
  gsize src_len = 0;
  const void *src_data = g_bytes_get_data (src, &src_len);
  StateHeader h = { .version = STATE_VERSION, .step = t->step, .adam_t = ms_adamw_steps (t->opt),
                    .n_params = ms_gpt_num_params (t->gpt),
                    .fingerprint_len = strlen (t->fingerprint), .source_len = src_len };
  memcpy (h.magic, STATE_MAGIC, 8);
  cfg_ints (ms_gpt_config (t->gpt), h.cfg);

  g_autoptr (MsAtomicFile) f = ms_atomic_file_new (path, error);
  if (f == NULL)
    return FALSE;
  uLong crc = crc32 (0, Z_NULL, 0);
  crc = crc32 (crc, (const Bytef *) &h, sizeof h);
  crc = crc32 (crc, (const Bytef *) t->fingerprint, h.fingerprint_len);
  crc = crc32 (crc, src_data, src_len);
  g_autofree float *chunk = g_new (float, CHUNK_FLOATS);
  if (!ms_atomic_file_write (f, &h, sizeof h, error)
      || !ms_atomic_file_write (f, t->fingerprint, h.fingerprint_len, error)
      || !ms_atomic_file_write (f, src_data, src_len, error)
      || !write_buffer (t, f, ms_gpt_params (t->gpt), h.n_params, &crc, chunk, error)
      || !write_buffer (t, f, ms_adamw_m (t->opt), h.n_params, &crc, chunk, error)
      || !write_buffer (t, f, ms_adamw_v (t->opt), h.n_params, &crc, chunk, error))
    return FALSE;
  guint32 crc32v = (guint32) crc;
  if (!ms_atomic_file_write (f, &crc32v, sizeof crc32v, error))
    return FALSE;
  return ms_atomic_file_commit (g_steal_pointer (&f), error);
}

static gboolean
read_exact (FILE *f, void *dst, gsize n, const char *path, const char *what, GError **error)
{
  if (n > 0 && fread (dst, 1, n, f) != n)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: truncated while reading the %s", path,
                   what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_buffer (MsTrainer *t, FILE *f, const char *path, const char *what, MsBuffer *buf, gsize n,
             uLong *crc, float *chunk, GError **error)
{
  MsDevice *dev = ms_gpt_device (t->gpt);
  for (gsize i = 0; i < n; i += CHUNK_FLOATS)
    {
      gsize m = MIN (CHUNK_FLOATS, n - i);
      if (!read_exact (f, chunk, m * sizeof (float), path, what, error)
          || !ms_buffer_write (dev, buf, i * sizeof (float), chunk, m * sizeof (float), error))
        return FALSE;
      *crc = crc32 (*crc, (const Bytef *) chunk, m * sizeof (float));
    }
  return TRUE;
}

gboolean
ms_trainer_load_state (MsTrainer *t, const char *path, GError **error)
{
  g_autoptr (MsFile) f = fopen (path, "rb");
  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  StateHeader h;
  if (!read_exact (f, &h, sizeof h, path, "header", error))
    return FALSE;
  if (memcmp (h.magic, STATE_MAGIC, 8) != 0 || h.version != STATE_VERSION)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: not a memscope training state (wrong magic or version)", path);
      return FALSE;
    }
  gint32 mine[6];
  cfg_ints (ms_gpt_config (t->gpt), mine);
  if (memcmp (mine, h.cfg, sizeof mine) != 0 || h.n_params != ms_gpt_num_params (t->gpt))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "%s: saved for a model of shape maxT=%d V=%d L=%d NH=%d C=%d, not this one",
                   path, h.cfg[0], h.cfg[1], h.cfg[3], h.cfg[4], h.cfg[5]);
      return FALSE;
    }
  if (h.fingerprint_len > (1u << 20) || h.source_len > (1u << 30))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: corrupt header", path);
      return FALSE;
    }
  g_autofree char *fp = g_malloc0 (h.fingerprint_len + 1);
  g_autofree guint8 *src = g_malloc (h.source_len + 1);
  if (!read_exact (f, fp, h.fingerprint_len, path, "run description", error)
      || !read_exact (f, src, h.source_len, path, "data position", error))
    return FALSE;
  if (strcmp (fp, t->fingerprint) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "%s: saved by a different run; saved: %s; now: %s", path, fp, t->fingerprint);
      return FALSE;
    }
  uLong crc = crc32 (0, Z_NULL, 0);
  crc = crc32 (crc, (const Bytef *) &h, sizeof h);
  crc = crc32 (crc, (const Bytef *) fp, h.fingerprint_len);
  crc = crc32 (crc, src, h.source_len);
  g_autofree float *chunk = g_new (float, CHUNK_FLOATS);
  if (!read_buffer (t, f, path, "parameters", ms_gpt_params (t->gpt), h.n_params, &crc, chunk, error)
      || !read_buffer (t, f, path, "first moments", ms_adamw_m (t->opt), h.n_params, &crc, chunk, error)
      || !read_buffer (t, f, path, "second moments", ms_adamw_v (t->opt), h.n_params, &crc, chunk, error))
    return FALSE;
  guint32 stored;
  if (!read_exact (f, &stored, sizeof stored, path, "checksum", error))
    return FALSE;
  if (stored != (guint32) crc || fgetc (f) != EOF)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: checksum mismatch or trailing bytes: the file is corrupt", path);
      return FALSE;
    }
  g_autoptr (GBytes) src_bytes = g_bytes_new (src, h.source_len);
  if (!t->source.restore_state (t->source.self, src_bytes, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  t->step = (int) h.step;
  ms_adamw_set_steps (t->opt, h.adam_t);
  return TRUE;
}

gboolean
ms_evaluate (MsGpt *gpt, MsBatchSource source, int B, int T, int n_tasks, double *loss,
             gint64 *count, GError **error)
{
  gsize bt = (gsize) B * T;
  g_autofree int *tokens = g_new (int, bt), *targets = g_new (int, bt), *task_of = g_new (int, bt);
  g_autofree int *seg = g_new (int, bt);
  memset (loss, 0, n_tasks * sizeof (double));
  memset (count, 0, n_tasks * sizeof (gint64));
  for (;;)
    {
      GError *local = NULL;
      if (!source.next (source.self, B, T, tokens, targets, task_of, seg, &local))
        {
          if (local)
            {
              g_propagate_error (error, local);
              return FALSE;
            }
          break;  /* the source is exhausted */
        }
      if (!ms_gpt_forward_segments (gpt, tokens, seg, targets, B, T, error))
        return FALSE;
      const float *l = ms_gpt_losses (gpt);
      for (gsize i = 0; i < bt; i++)
        if (targets[i] >= 0)
          {
            int k = CLAMP (task_of[i], 0, n_tasks - 1);
            loss[k] += l[i];
            count[k]++;
          }
    }
  for (int k = 0; k < n_tasks; k++)
    loss[k] = count[k] ? loss[k] / count[k] : NAN;
  return TRUE;
}
