/* See ms-pretrain.h. */
#include "train/ms-pretrain.h"

#include <string.h>

#include "common/ms-error.h"
#include "text/ms-shard.h"
#include "train/ms-train-log.h"

void
ms_pretrain_config_init (MsPretrainConfig *cfg)
{
  *cfg = (MsPretrainConfig) { .vocab_size = 8192, .B = 8, .T = 128, .grad_accum = 1,
                              .steps = 1000, .val_every = 50, .eval_every = 100,
                              .eval_batches = 20, .save_every = 100, .seed = 1 };
  cfg->schedule = (MsSchedule) { MS_SCHEDULE_COSINE, 1e-3, 50, 1000, 0.1 };
  ms_adamw_config_init (&cfg->adamw);
  cfg->adamw.weight_decay = 0.1;
  cfg->adamw.grad_clip = 1.0;
}

void
ms_pretrain_data_clear (MsPretrainData *d)
{
  g_clear_pointer (&d->bpe, ms_bpe_free);
  g_clear_pointer (&d->train, g_free);
  g_clear_pointer (&d->val, g_free);
  d->n_train = d->n_val = 0;
}

static void
say (MsTrainProgressFunc progress, gpointer user, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
say (MsTrainProgressFunc progress, gpointer user, const char *format, ...)
{
  if (progress == NULL)
    return;
  va_list ap;
  va_start (ap, format);
  g_autofree char *line = g_strdup_vprintf (format, ap);
  va_end (ap);
  MsTrainProgress p = { .message = line };
  progress (&p, user);
}

/* Documents are separated by blank lines; each is encoded on its own and ends with EOT. Every
 * VAL_EVERY-th document (counting from a seeded offset) goes to the held-out split. */
static gboolean
tokenize_files (MsBpe *bpe, char **files, int val_every, guint64 seed, GArray *train,
                GArray *val, GError **error)
{
  guint32 eot = ms_bpe_eot (bpe);
  guint64 doc = seed % MAX (val_every, 1);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (char **f = files; *f; f++)
    {
      g_autofree char *text = NULL;
      gsize len;
      if (!g_file_get_contents (*f, &text, &len, error))
        return FALSE;
      const char *p = text, *end = text + len;
      while (p < end)
        {
          const char *q = g_strstr_len (p, end - p, "\n\n");
          const char *stop = q ? q : end;
          while (p < stop && (*p == '\n'))
            p++;
          if (stop > p)
            {
              g_array_set_size (ids, 0);
              ms_bpe_encode (bpe, p, stop - p, ids);
              g_array_append_val (ids, eot);
              GArray *into = (val_every > 0 && doc++ % val_every == 0) ? val : train;
              for (guint i = 0; i < ids->len; i++)
                {
                  guint16 t = g_array_index (ids, guint32, i);
                  g_array_append_val (into, t);
                }
            }
          p = q ? q + 2 : end;
        }
    }
  return TRUE;
}

static gboolean
write_shard (const char *path, GArray *tokens, GError **error)
{
  g_autofree guint32 *wide = g_new (guint32, MAX (tokens->len, 1));
  for (guint i = 0; i < tokens->len; i++)
    wide[i] = g_array_index (tokens, guint16, i);
  return ms_shard_write (path, wide, tokens->len, error);
}

gboolean
ms_pretrain_prepare (const MsPretrainConfig *cfg, const char *out_dir, gboolean resume,
                     MsTrainProgressFunc progress, gpointer user, MsPretrainData *data,
                     GError **error)
{
  memset (data, 0, sizeof *data);
  if (cfg->files == NULL || cfg->files[0] == NULL || cfg->vocab_size < 257)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "pretraining needs at least one text file and a vocabulary of at least 257");
      return FALSE;
    }
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot create it", out_dir);
      return FALSE;
    }
  g_autofree char *tok_dir = cfg->tokenizer ? g_strdup (cfg->tokenizer)
                                            : g_build_filename (out_dir, "tokenizer", NULL);
  g_autofree char *encoder = g_build_filename (tok_dir, MS_BPE_ENCODER_FILE, NULL);
  if (cfg->tokenizer == NULL && !(resume && g_file_test (encoder, G_FILE_TEST_EXISTS)))
    {
      g_autoptr (MsBpeTrainer) trainer = ms_bpe_trainer_new ();
      for (char **f = cfg->files; *f; f++)
        if (!ms_bpe_trainer_add_file (trainer, *f, error))
          return FALSE;
      say (progress, user, "training a tokenizer of %d tokens on %" G_GUINT64_FORMAT " words …",
           cfg->vocab_size, ms_bpe_trainer_n_words (trainer));
      g_autoptr (MsBpe) trained = ms_bpe_trainer_train (trainer, cfg->vocab_size, NULL, NULL,
                                                        error);
      if (trained == NULL || !ms_bpe_save (trained, tok_dir, error))
        return FALSE;
    }
  if (!(data->bpe = ms_bpe_load (tok_dir, error)))
    return FALSE;
  if (ms_bpe_eot (data->bpe) < 0 || ms_bpe_vocab_size (data->bpe) > MS_SHARD_MAX_TOKEN + 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: the tokenizer needs %s and at most 65536 tokens", tok_dir,
                   MS_BPE_EOT_STRING);
      ms_pretrain_data_clear (data);
      return FALSE;
    }

  /* Token shards, kept for a resume: re-encoding is deterministic but not free. */
  g_autofree char *train_path = g_build_filename (out_dir, "train.bin", NULL);
  g_autofree char *val_path = g_build_filename (out_dir, "val.bin", NULL);
  if (resume && g_file_test (train_path, G_FILE_TEST_EXISTS))
    {
      if (!(data->train = ms_shard_read (train_path, &data->n_train, error))
          || !(data->val = ms_shard_read (val_path, &data->n_val, error)))
        {
          ms_pretrain_data_clear (data);
          return FALSE;
        }
      return TRUE;
    }
  g_autoptr (GArray) tr = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_autoptr (GArray) va = g_array_new (FALSE, FALSE, sizeof (guint16));
  gint64 t0 = g_get_monotonic_time ();
  if (!tokenize_files (data->bpe, cfg->files, cfg->val_every, cfg->seed, tr, va, error)
      || !write_shard (train_path, tr, error) || !write_shard (val_path, va, error))
    {
      ms_pretrain_data_clear (data);
      return FALSE;
    }
  say (progress, user, "tokenized into %u training and %u held-out tokens in %.1f s", tr->len,
       va->len, (g_get_monotonic_time () - t0) / 1e6);
  data->n_train = tr->len;
  data->n_val = va->len;
  data->train = (guint16 *) g_array_free (g_steal_pointer (&tr), FALSE);
  data->val = (guint16 *) g_array_free (g_steal_pointer (&va), FALSE);
  return TRUE;
}

/* Validation: up to MAX_BATCHES consecutive, non-overlapping windows of the held-out tokens. */
typedef struct {
  const guint16 *tokens;
  gsize n, pos;
  int batches, max_batches;
} ValSource;

static gboolean
val_next (gpointer self, int B, int T, int *tokens, int *targets, int *task_of, int *seg,
          GError **error)
{
  ValSource *v = self;
  gsize span = (gsize) B * T;
  if (v->batches >= v->max_batches || v->pos + span + 1 > v->n)
    return FALSE;
  for (gsize i = 0; i < span; i++)
    {
      tokens[i] = v->tokens[v->pos + i];
      targets[i] = v->tokens[v->pos + i + 1];
      task_of[i] = 0;
      seg[i] = 0;
    }
  v->pos += span;
  v->batches++;
  return TRUE;
}

static gboolean
validate (MsGpt *gpt, const MsPretrainData *data, const MsPretrainConfig *cfg, double *loss,
          GError **error)
{
  ValSource v = { data->val, data->n_val, 0, 0, cfg->eval_batches };
  MsBatchSource src = { val_next, NULL, NULL, &v };
  gint64 count;
  return ms_evaluate (gpt, src, cfg->B, cfg->T, 1, loss, &count, error);
}

gboolean
ms_pretrain_run (MsGpt *gpt, const MsPretrainData *data, const MsPretrainConfig *cfg,
                 const char *model, const char *out_dir, gboolean resume,
                 MsTrainProgressFunc progress, gpointer user, volatile gint *cancel,
                 GError **error)
{
  if (cfg->B < 1 || cfg->T < 2 || cfg->steps < 1 || cfg->grad_accum < 1 || cfg->eval_every < 1
      || cfg->save_every < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "pretraining needs B ≥ 1, T ≥ 2, and "
                   "steps, grad_accum, eval_every and save_every ≥ 1");
      return FALSE;
    }
  if ((guint) ms_gpt_config (gpt)->vocab_size < ms_bpe_vocab_size (data->bpe))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "the model's vocabulary (%d) is smaller than the tokenizer's (%u)",
                   ms_gpt_config (gpt)->vocab_size, ms_bpe_vocab_size (data->bpe));
      return FALSE;
    }
  g_autofree char *model_path = g_build_filename (out_dir, "model.bin", NULL);
  g_autofree char *state_path = g_build_filename (out_dir, "model.bin.state", NULL);
  g_autofree char *log_path = g_build_filename (out_dir, "log.jsonl", NULL);

  MsTrainConfig tc = { .B = cfg->B, .T = cfg->T, .grad_accum = cfg->grad_accum,
                       .steps = cfg->steps, .n_tasks = 1, .schedule = cfg->schedule,
                       .adamw = cfg->adamw };
  tc.schedule.total_steps = cfg->steps;
  g_autoptr (MsTokenSource) source = ms_token_source_new (data->train, data->n_train, cfg->B,
                                                          cfg->T, error);
  if (source == NULL)
    return FALSE;
  const MsSchedule *sc = &tc.schedule;
  g_autofree char *fingerprint = g_strdup_printf (
    "pretrain tokens=%zu val=%zu model=%s seed=%" G_GINT64_FORMAT " B=%d T=%d accum=%d "
    "steps=%d lr=%g schedule=%s warmup=%d min_lr_frac=%g wd=%g clip=%g", data->n_train,
    data->n_val, model, (gint64) cfg->seed, cfg->B, cfg->T, cfg->grad_accum, cfg->steps,
    sc->lr, ms_schedule_kind_name (sc->kind), sc->warmup_steps, sc->min_lr_frac,
    cfg->adamw.weight_decay, cfg->adamw.grad_clip);
  g_autoptr (MsTrainer) trainer = ms_trainer_new (gpt, &tc,
                                                  ms_token_source_as_batch_source (source),
                                                  fingerprint, error);
  if (trainer == NULL)
    return FALSE;
  if (resume && g_file_test (state_path, G_FILE_TEST_EXISTS))
    {
      if (!ms_trainer_load_state (trainer, state_path, error))
        return FALSE;
      say (progress, user, "resumed at step %d of %d", ms_trainer_step_index (trainer),
           cfg->steps);
    }
  g_autoptr (MsTrainLog) log = ms_train_log_open (log_path, error);
  if (log == NULL)
    return FALSE;

  const int first = ms_trainer_step_index (trainer);
  const gint64 start = g_get_monotonic_time ();
  gint64 tokens = 0;
  const char *names[] = { "all" };
  while (!ms_trainer_done (trainer) && !(cancel && g_atomic_int_get (cancel)))
    {
      MsStepStats st;
      if (!ms_trainer_step (trainer, &st, error)
          || !ms_train_log_step (log, &st, NULL, 1, error))
        return FALSE;
      tokens += (gint64) cfg->B * cfg->T * cfg->grad_accum;
      g_autofree char *message = NULL;
      if (st.step % cfg->eval_every == 0 || st.step == cfg->steps)
        {
          double vloss;
          if (!validate (gpt, data, cfg, &vloss, error)
              || !ms_train_log_eval (log, st.step, &vloss, names, 1, error)
              || !ms_gpt_save (gpt, model_path, error))
            return FALSE;
          message = g_strdup_printf ("step %d: training loss %.4f, held-out loss %.4f",
                                     st.step, st.loss, vloss);
        }
      if (progress)
        {
          double elapsed = (g_get_monotonic_time () - start) / 1e6;
          MsTrainProgress p = { st.step, cfg->steps, &st, tokens / MAX (elapsed, 1e-9),
                                elapsed * (cfg->steps - st.step) / MAX (st.step - first, 1),
                                message };
          progress (&p, user);
        }
      if (st.step % cfg->save_every == 0 && st.step < cfg->steps
          && !ms_trainer_save_state (trainer, state_path, error))
        return FALSE;
    }
  if (!ms_trainer_save_state (trainer, state_path, error))
    return FALSE;
  if (!ms_trainer_done (trainer))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_CANCELLED,
                   "interrupted at step %d; continue with --resume",
                   ms_trainer_step_index (trainer));
      return FALSE;
    }
  g_autofree char *png = g_build_filename (out_dir, "loss.png", NULL);
  g_autofree char *svg = g_build_filename (out_dir, "loss.svg", NULL);
  return ms_train_log_plot (log_path, png, "Pretraining loss", error)
         && ms_train_log_plot (log_path, svg, "Pretraining loss", error);
}
