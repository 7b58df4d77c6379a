/* Fine-tuning on tasks: from JSONL files to a trained checkpoint, with the mixer, packing with
 * segments, held-out loss per task, exact resume and a record of the run. */
#include "ms-finetune.h"

#include "common/ms-mpi.h"
#include "common/ms-json.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/ms-atomic.h"
#include "ms-config.h"
#include "train/ms-batcher.h"
#include "train/ms-train-log.h"

void
ms_task_spec_clear (MsTaskSpec *t)
{
  g_clear_pointer (&t->name, g_free);
  g_clear_pointer (&t->train_path, g_free);
  g_clear_pointer (&t->heldout_path, g_free);
  g_clear_pointer (&t->template_text, g_free);
}

void
ms_finetune_config_init (MsFinetuneConfig *cfg)
{
  *cfg = (MsFinetuneConfig) { .B = 8, .T = 256, .grad_accum = 1, .epochs = 3.0,
                              .response_only = TRUE, .seed = 1 };
  cfg->schedule = (MsSchedule) { MS_SCHEDULE_LINEAR, 1e-3, 0, 0, 0.0 };
  ms_adamw_config_init (&cfg->adamw);
  cfg->mixer = (MsMixerConfig) { MS_MIXER_PROPORTIONAL, 1.0, 0, NULL };
}

void
ms_finetune_result_clear (MsFinetuneResult *r)
{
  g_clear_pointer (&r->heldout_loss, g_free);
  g_clear_pointer (&r->examples, g_free);
  g_clear_pointer (&r->tokens, g_free);
  g_clear_pointer (&r->skipped, g_free);
  g_clear_pointer (&r->record_json, g_free);
}

static int
task_index (const char *name, const char *const *names, int n)
{
  for (int i = 0; i < n; i++)
    if (g_strcmp0 (names[i], name) == 0)
      return i;
  return -1;
}

gboolean
ms_mixer_config_parse (const char *text, const char *const *task_names, int n_tasks,
                       MsMixerConfig *cfg, double **weights_out, GError **error)
{
  *cfg = (MsMixerConfig) { MS_MIXER_PROPORTIONAL, 1.0, 0, NULL };
  *weights_out = NULL;
  g_auto (GStrv) head = g_strsplit (text, ":", 2);
  /* An empty TEXT splits into no parts: parse "" for the strategy's own error. */
  char empty[] = "";
  if (!ms_mixer_strategy_parse (head[0] ? g_strstrip (head[0]) : empty, &cfg->strategy, error))
    return FALSE;
  g_autofree double *weights = NULL;
  gboolean any_weight = FALSE;
  if (cfg->strategy == MS_MIXER_WEIGHTS)
    weights = g_new0 (double, n_tasks);
  g_auto (GStrv) opts = head[1] ? g_strsplit (head[1], ",", -1) : g_new0 (char *, 1);
  for (char **o = opts; *o; o++)
    {
      g_auto (GStrv) kv = g_strsplit (g_strstrip (*o), "=", 2);
      char *end = NULL;
      double v = kv[1] ? g_ascii_strtod (kv[1], &end) : NAN;
      /* Weights, temperatures and caps are finite and not negative; a cap fits a gsize. */
      if (kv[1] == NULL || end == kv[1] || *end != '\0' || !(v >= 0 && v <= 1e15))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "mixer '%s': expected NAME=NUMBER (a number from 0 to 1e15), got '%s'",
                       text, *o);
          return FALSE;
        }
      if (cfg->strategy == MS_MIXER_WEIGHTS)
        {
          int k = task_index (kv[0], task_names, n_tasks);
          if (k < 0)
            {
              g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                           "mixer '%s': '%s' is not one of the tasks", text, kv[0]);
              return FALSE;
            }
          weights[k] = v;
          any_weight = any_weight || v > 0;
        }
      else if (g_ascii_strcasecmp (kv[0], "T") == 0 || g_ascii_strcasecmp (kv[0], "temperature") == 0)
        {
          if (v == 0)
            {
              g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                           "mixer '%s': the temperature must be above 0", text);
              return FALSE;
            }
          cfg->temperature = v;
        }
      else if (g_ascii_strcasecmp (kv[0], "cap") == 0)
        cfg->cap = (gsize) v;
      else
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "mixer '%s': unknown option '%s' (T=…, cap=… or, for weights, TASK=…)",
                       text, kv[0]);
          return FALSE;
        }
    }
  if (cfg->strategy == MS_MIXER_WEIGHTS && !any_weight)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "mixer '%s': give weights as weights:TASK=W,TASK=W, one above 0", text);
      return FALSE;
    }
  *weights_out = g_steal_pointer (&weights);
  cfg->weights = *weights_out;
  return TRUE;
}

/* ---- data ------------------------------------------------------------------------------- */


typedef struct {
  MsTaskData **train, **heldout;   /* (n) */
  GArray **examples, **held;       /* (n) of MsExample */
  const char **names;
  int n;
} TaskSet;

static void
task_set_clear (TaskSet *s)
{
  for (int i = 0; i < s->n; i++)
    {
      if (s->examples && s->examples[i])
        g_array_unref (s->examples[i]);
      if (s->held && s->held[i])
        g_array_unref (s->held[i]);
      if (s->train && s->train[i])
        ms_task_data_free (s->train[i]);
      if (s->heldout && s->heldout[i])
        ms_task_data_free (s->heldout[i]);
    }
  g_free (s->examples);
  g_free (s->held);
  g_free (s->train);
  g_free (s->heldout);
  g_free (s->names);
}

/* Copies of the task's extra records (canaries), each as many times as asked, after the
 * selected ones: the copies are owned by DATA like its other records. */
static gboolean
add_extra (MsTaskData *data, const MsTaskSpec *t)
{
  for (int i = 0; i < t->n_extra; i++)
    for (int k = 0; k < t->extra_repeats[i]; k++)
      {
        MsRecord *r = g_new0 (MsRecord, 1);
        r->task = g_strdup (t->extra[i].task);
        r->input = g_strdup (t->extra[i].input);
        r->output = g_strdup (t->extra[i].output);
        r->id = g_strdup_printf ("%s#%d", t->extra[i].id, k + 1);
        g_ptr_array_add (data->records, r);
      }
  return TRUE;
}

static gboolean
load_tasks (const MsTaskSpec *tasks, int n, MsBpe *bpe, TaskSet *s, GError **error)
{
  s->n = n;
  s->train = g_new0 (MsTaskData *, n);
  s->heldout = g_new0 (MsTaskData *, n);
  s->examples = g_new0 (GArray *, n);
  s->held = g_new0 (GArray *, n);
  s->names = g_new0 (const char *, n);
  for (int i = 0; i < n; i++)
    {
      s->names[i] = tasks[i].name;
      for (int j = 0; j < i; j++)
        if (g_strcmp0 (tasks[i].name, tasks[j].name) == 0)
          {
            g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "task '%s' is given twice",
                         tasks[i].name);
            return FALSE;
          }
      g_autoptr (MsTemplate) tpl = ms_template_parse (tasks[i].template_text
                                                      ? tasks[i].template_text
                                                      : MS_TEMPLATE_DEFAULT, error);
      if (tpl == NULL)
        {
          g_prefix_error (error, "task '%s': ", tasks[i].name);
          return FALSE;
        }
      if (!(s->train[i] = ms_task_data_load (tasks[i].name, tasks[i].train_path, error))
          || !ms_task_select (s->train[i], tpl, bpe, tasks[i].max_tokens, tasks[i].max_train,
                              error)
          || !add_extra (s->train[i], &tasks[i])
          || !(s->examples[i] = ms_task_examples (s->train[i], tpl, bpe, error)))
        return FALSE;
      if (tasks[i].heldout_path)
        {
          if (!(s->heldout[i] = ms_task_data_load (tasks[i].name, tasks[i].heldout_path, error))
              || !ms_task_select (s->heldout[i], tpl, bpe, tasks[i].max_tokens,
                                  tasks[i].max_heldout, error))
            return FALSE;
          if (!(s->held[i] = ms_task_examples (s->heldout[i], tpl, bpe, error)))
            return FALSE;
        }
      else
        s->held[i] = g_array_new (FALSE, FALSE, sizeof (MsExample));
    }
  return TRUE;
}

/* ---- the batch source over a batcher ------------------------------------------------------ */

typedef struct {
  MsBatcher *batcher;
  int eot;
  int *example_of;
} BatcherSource;

/* A new segment starts at a row's start and after every EOT: each example ends with one and
 * holds no other, and padding is EOT tokens (one-token segments). */
static void
segments_from_eot (const int *tokens, int B, int T, int eot, int *seg)
{
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      {
        int i = b * T + t;
        seg[i] = (t == 0 || tokens[i - 1] == eot) ? t : seg[i - 1];
      }
}

static gboolean
batcher_next (gpointer self, int B, int T, int *tokens, int *targets, int *task_of, int *seg,
              GError **error)
{
  BatcherSource *s = self;
  if (ms_batcher_next_full (s->batcher, tokens, targets, task_of, s->example_of) == 0)
    return FALSE;  /* sequential mode: done */
  segments_from_eot (tokens, B, T, s->eot, seg);
  return TRUE;
}

static GBytes *
batcher_save (gpointer self)
{
  return ms_batcher_save_state (((BatcherSource *) self)->batcher);
}

static gboolean
batcher_restore (gpointer self, GBytes *state, GError **error)
{
  return ms_batcher_restore_state (((BatcherSource *) self)->batcher, state, error);
}

static MsBatchSource
batcher_source (BatcherSource *s)
{
  return (MsBatchSource) { batcher_next, batcher_save, batcher_restore, s };
}

/* Steps for EPOCHS passes: replay the same mixer and packing on the host and count batches
 * until every task's trainable examples were drawn EPOCHS times on average. */
static gboolean
count_steps (const TaskSet *s, const MsFinetuneConfig *cfg, int eot, int *steps, GError **error)
{
  gsize *sizes = g_newa (gsize, s->n);
  for (int i = 0; i < s->n; i++)
    sizes[i] = s->examples[i]->len;
  MsMixer *mixer = ms_mixer_new (&cfg->mixer, sizes, s->n, cfg->seed, error);
  if (mixer == NULL)
    return FALSE;
  g_autoptr (MsBatcher) b = ms_batcher_new (s->examples, s->n, mixer, cfg->B, cfg->T,
                                            cfg->response_only, eot, error);
  if (b == NULL)
    return FALSE;
  double want = 0;
  const guint64 *skipped = ms_batcher_skipped (b);
  for (int i = 0; i < s->n; i++)
    want += cfg->epochs * (sizes[i] - skipped[i]);
  gsize bt = (gsize) cfg->B * cfg->T;
  g_autofree int *tok = g_new (int, bt), *tgt = g_new (int, bt);
  guint64 drawn = 0, batches = 0;
  while (drawn < want)
    {
      drawn += ms_batcher_next (b, tok, tgt, NULL);
      batches++;
    }
  *steps = MAX (1, (int) ((batches + cfg->grad_accum - 1) / cfg->grad_accum));
  return TRUE;
}

/* ---- the record ----------------------------------------------------------------------------- */

static char *
make_record (const TaskSet *s, const MsTaskSpec *tasks, const MsFinetuneConfig *cfg,
             MsBatcher *batcher, MsGpt *gpt, const MsFinetuneResult *r, int steps)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tasks");
  json_builder_begin_array (b);
  for (int i = 0; i < s->n; i++)
    {
      json_builder_begin_object (b);
      ms_json_add_string (b, "name", tasks[i].name);
      ms_json_add_string (b, "train", tasks[i].train_path);
      ms_json_add_string (b, "train_sha256", s->train[i]->sha256);
      ms_json_add_int (b, "train_records", s->examples[i]->len);
      if (s->heldout[i])
        {
          ms_json_add_string (b, "heldout", tasks[i].heldout_path);
          ms_json_add_string (b, "heldout_sha256", s->heldout[i]->sha256);
          ms_json_add_int (b, "heldout_records", s->held[i]->len);
          ms_json_add_number (b, "heldout_loss", r->heldout_loss[i]);
        }
      ms_json_add_string (b, "template", tasks[i].template_text ? tasks[i].template_text : MS_TEMPLATE_DEFAULT);
      ms_json_add_number (b, "mixer_rate", ms_mixer_rates (ms_batcher_mixer (batcher))[i]);
      ms_json_add_int (b, "examples_trained", r->examples[i]);
      ms_json_add_int (b, "tokens_trained", r->tokens[i]);
      ms_json_add_int (b, "skipped_too_long", r->skipped[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "settings");
  json_builder_begin_object (b);
  ms_json_add_int (b, "B", cfg->B);
  ms_json_add_int (b, "T", cfg->T);
  ms_json_add_int (b, "grad_accum", cfg->grad_accum);
  ms_json_add_number (b, "epochs", cfg->epochs);
  ms_json_add_int (b, "steps", steps);
  ms_json_add_number (b, "lr", cfg->schedule.lr);
  ms_json_add_string (b, "schedule", ms_schedule_kind_name (cfg->schedule.kind));
  ms_json_add_int (b, "warmup", cfg->schedule.warmup_steps);
  ms_json_add_number (b, "min_lr_frac", cfg->schedule.min_lr_frac);
  ms_json_add_number (b, "weight_decay", cfg->adamw.weight_decay);
  ms_json_add_string (b, "decay", cfg->adamw.decay_all ? "all" : "matrices");
  ms_json_add_number (b, "grad_clip", cfg->adamw.grad_clip);
  ms_json_add_number (b, "beta1", cfg->adamw.beta1);
  ms_json_add_number (b, "beta2", cfg->adamw.beta2);
  ms_json_add_number (b, "eps", cfg->adamw.eps);
  ms_json_add_string (b, "loss", cfg->response_only ? "response" : "sequence");
  ms_json_add_string (b, "mixer", cfg->mixer_text ? cfg->mixer_text
                                                  : ms_mixer_strategy_name (cfg->mixer.strategy));
  ms_json_add_int (b, "seed", (gint64) cfg->seed);
  ms_json_add_string (b, "packing", "segments");
  json_builder_end_object (b);
  g_autofree char *device = ms_device_describe (ms_gpt_device (gpt));
  ms_json_add_string (b, "device", device);
  ms_json_add_string (b, "gemm", ms_blas_name (ms_gpt_blas (gpt)));
  ms_json_add_string (b, "memscope", MS_VERSION);
  ms_json_add_int (b, "train_tokens", r->train_tokens);
  ms_json_add_number (b, "train_seconds", r->seconds);
  ms_json_add_number (b, "final_loss", r->final_loss);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return ms_json_generate (gen);
}

/* ---- the run ---------------------------------------------------------------------------- */

static gboolean
evaluate_heldout (MsGpt *gpt, const TaskSet *s, const MsFinetuneConfig *cfg, int eot,
                  double *loss, GError **error)
{
  gboolean any = FALSE;
  for (int i = 0; i < s->n; i++)
    any |= s->held[i]->len > 0;
  for (int i = 0; !any && i < s->n; i++)
    loss[i] = NAN;
  if (!any)
    return TRUE;
  g_autoptr (MsBatcher) b = ms_batcher_new_sequential (s->held, s->n, cfg->B, cfg->T,
                                                       cfg->response_only, eot, error);
  if (b == NULL)
    return FALSE;
  BatcherSource src = { b, eot, g_new (int, (gsize) cfg->B * cfg->T) };
  g_autofree gint64 *count = g_new (gint64, s->n);
  gboolean ok = ms_evaluate (gpt, batcher_source (&src), cfg->B, cfg->T, s->n, loss, count,
                             error);
  g_free (src.example_of);
  return ok;
}

gboolean
ms_finetune_run (MsGpt *gpt, MsBpe *bpe, const MsTaskSpec *tasks, int n_tasks,
                 const MsFinetuneConfig *cfg_in, const char *out_dir, gboolean resume,
                 MsTrainProgressFunc progress, gpointer user, volatile gint *cancel,
                 MsFinetuneResult *result, GError **error)
{
  memset (result, 0, sizeof *result);
  MsFinetuneConfig cfg = *cfg_in;
  int eot = ms_bpe_eot (bpe);
  if (n_tasks < 1 || eot < 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   n_tasks < 1 ? "fine-tuning needs at least one task"
                               : "the tokenizer has no <|endoftext|> token");
      return FALSE;
    }
  if (ms_bpe_vocab_size (bpe) > (guint) ms_gpt_config (gpt)->vocab_size)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "the tokenizer has %u tokens but the model only %d: they do not belong "
                   "together", ms_bpe_vocab_size (bpe), ms_gpt_config (gpt)->vocab_size);
      return FALSE;
    }
  TaskSet s = { 0 };
  g_autoptr (MsTrainer) trainer = NULL;
  g_autoptr (MsTrainLog) log = NULL;
  g_autoptr (MsBatcher) batcher = NULL;
  BatcherSource src = { 0 };
  g_autofree char *fingerprint = NULL, *model_path = NULL, *state_path = NULL;
  g_autofree char *log_path = NULL, *record_path = NULL, *png = NULL;
  gboolean ok = FALSE;
  int steps = cfg.steps;
  if (!load_tasks (tasks, n_tasks, bpe, &s, error))
    goto out;
  if (steps <= 0 && !count_steps (&s, &cfg, eot, &steps, error))
    goto out;
  cfg.schedule.total_steps = steps;

  gsize *sizes = g_newa (gsize, n_tasks);
  for (int i = 0; i < n_tasks; i++)
    sizes[i] = s.examples[i]->len;
  MsMixer *mixer = ms_mixer_new (&cfg.mixer, sizes, n_tasks, cfg.seed, error);
  if (mixer == NULL
      || !(batcher = ms_batcher_new (s.examples, n_tasks, mixer, cfg.B, cfg.T,
                                     cfg.response_only, eot, error)))
    goto out;
  src = (BatcherSource) { batcher, eot, g_new (int, (gsize) cfg.B * cfg.T) };

  /* Everything that changes the numbers, for refusing a resume of another run. */
  GString *fp = g_string_new ("finetune");
  for (int i = 0; i < n_tasks; i++)
    {
      g_string_append_printf (fp, " %s:%s:%u:%s", tasks[i].name, s.train[i]->sha256,
                              s.examples[i]->len,
                              tasks[i].template_text ? tasks[i].template_text : "");
      for (int k = 0; k < tasks[i].n_extra; k++)
        g_string_append_printf (fp, "+%s*%d", tasks[i].extra[k].output,
                                tasks[i].extra_repeats[k]);
    }
  g_string_append_printf (fp, " B=%d T=%d accum=%d steps=%d lr=%g sched=%s warmup=%d min=%g "
                              "wd=%g all=%d clip=%g resp=%d mixer=%s seed=%" G_GUINT64_FORMAT,
                          cfg.B, cfg.T, cfg.grad_accum, steps, cfg.schedule.lr,
                          ms_schedule_kind_name (cfg.schedule.kind), cfg.schedule.warmup_steps,
                          cfg.schedule.min_lr_frac, cfg.adamw.weight_decay, cfg.adamw.decay_all,
                          cfg.adamw.grad_clip, cfg.response_only,
                          cfg.mixer_text ? cfg.mixer_text : "", cfg.seed);
  fingerprint = g_string_free (fp, FALSE);
  MsTrainConfig tcfg = { .B = cfg.B, .T = cfg.T, .grad_accum = cfg.grad_accum, .steps = steps,
                         .schedule = cfg.schedule, .adamw = cfg.adamw, .n_tasks = n_tasks,
                         .data_parallel = !cfg.solo };
  /* Under mpirun every rank trains (data-parallel, identical parameters); rank 0 alone writes
   * the files, the others read a saved state on resume. */
  const gboolean writer = cfg.solo || ms_mpi_rank () == 0;
  if (!(trainer = ms_trainer_new (gpt, &tcfg, batcher_source (&src), fingerprint, error)))
    goto out;

  if (writer && g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot create the folder", out_dir);
      goto out;
    }
  model_path = g_build_filename (out_dir, "model.bin", NULL);
  state_path = g_build_filename (out_dir, "model.bin.state", NULL);
  log_path = g_build_filename (out_dir, "log.jsonl", NULL);
  if (resume && g_file_test (state_path, G_FILE_TEST_EXISTS))
    {
      if (!ms_trainer_load_state (trainer, state_path, error))
        goto out;
    }
  else if (writer)
    g_unlink (log_path);  /* a fresh run starts a fresh log */
  if (writer && !(log = ms_train_log_open (log_path, error)))
    goto out;

  result->heldout_loss = g_new (double, n_tasks);
  for (int i = 0; i < n_tasks; i++)
    result->heldout_loss[i] = NAN;
  gint64 start = g_get_monotonic_time ();
  int first = ms_trainer_step_index (trainer);
  gint64 tokens_done = 0;
  while (!ms_trainer_done (trainer))
    {
      if (cancel && g_atomic_int_get (cancel))
        {
          if (!writer || ms_trainer_save_state (trainer, state_path, error))
            g_set_error (error, MS_ERROR, MS_ERROR_CANCELLED,
                         "cancelled at step %d of %d (state saved; resume to continue)",
                         ms_trainer_step_index (trainer), steps);
          goto out;
        }
      MsStepStats st;
      if (!ms_trainer_step (trainer, &st, error)
          || (log && !ms_train_log_step (log, &st, s.names, n_tasks, error)))
        goto out;
      tokens_done += st.tokens;
      result->final_loss = st.loss;
      double elapsed = (g_get_monotonic_time () - start) / 1e6;
      char *message = NULL;
      if ((cfg.eval_every > 0 && st.step % cfg.eval_every == 0) || st.step == steps)
        {
          if (!evaluate_heldout (gpt, &s, &cfg, eot, result->heldout_loss, error)
              || (log && !ms_train_log_eval (log, st.step, result->heldout_loss, s.names,
                                             n_tasks, error)))
            goto out;
          GString *m = g_string_new (NULL);
          g_string_append_printf (m, "step %d: held-out loss", st.step);
          for (int i = 0; i < n_tasks; i++)
            if (isfinite (result->heldout_loss[i]))
              g_string_append_printf (m, " %s %.4f", s.names[i], result->heldout_loss[i]);
          message = g_string_free (m, FALSE);
        }
      if (progress)
        {
          MsTrainProgress p = { st.step, steps, &st, tokens_done / MAX (elapsed, 1e-9),
                                   elapsed * (steps - st.step) / MAX (st.step - first, 1),
                                   message };
          progress (&p, user);
        }
      g_free (message);
      if (writer && cfg.save_every > 0 && st.step % cfg.save_every == 0 && st.step < steps
          && !ms_trainer_save_state (trainer, state_path, error))
        goto out;
    }
  result->steps = steps;
  result->seconds = (g_get_monotonic_time () - start) / 1e6;
  result->examples = g_memdup2 (ms_batcher_examples (batcher), n_tasks * sizeof (guint64));
  result->tokens = g_memdup2 (ms_batcher_tokens_trained (batcher), n_tasks * sizeof (guint64));
  result->skipped = g_memdup2 (ms_batcher_skipped (batcher), n_tasks * sizeof (guint64));
  for (int i = 0; i < n_tasks; i++)
    result->train_tokens += result->tokens[i];
  result->record_json = make_record (&s, tasks, &cfg, batcher, gpt, result, steps);
  record_path = g_build_filename (out_dir, "record.json", NULL);
  png = g_build_filename (out_dir, "loss.png", NULL);
  if (writer
      && (!ms_gpt_save (gpt, model_path, error)
      || !ms_trainer_save_state (trainer, state_path, error)
      || !ms_atomic_write (record_path, result->record_json, strlen (result->record_json), error)
      || !ms_train_log_plot (log_path, png, "Fine-tuning loss", error)))
    goto out;
  ok = TRUE;
out:
  g_free (src.example_of);
  g_clear_pointer (&trainer, ms_trainer_free);
  g_clear_pointer (&batcher, ms_batcher_free);
  task_set_clear (&s);
  if (!ok)
    ms_finetune_result_clear (result);
  return ok;
}
