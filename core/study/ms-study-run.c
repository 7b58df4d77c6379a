/* Running a study: prepare the data and the store once, then each run in turn — fine-tune
 * (resumable from its folder), probe (resumable from the store), record — skipping what is
 * done. Progress goes to an event callback with per-run and whole-study figures. */
#include "ms-study.h"
#include "common/ms-json.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "analysis/ms-attention.h"
#include "analysis/ms-capture.h"
#include "analysis/ms-sparse.h"
#include "analysis/ms-stats.h"
#include "model/ms-checkpoint.h"
#include "probe/ms-mia.h"

/* One run of the grid. */
typedef struct {
  char *name;            /* "base", "single/qa/s1", "mix/all/s1" */
  const char *kind;      /* "base", "single", "mixture" */
  const MsStudyMixture *mixture;
  guint64 seed;
  int *tasks;            /* indices into spec->tasks: trained on (and probed) */
  int n_tasks;
  double cost;           /* work units, for the overall progress */
  gint64 id;             /* in the store */
} Run;

/* Per task: the probed samples with their store ids, and the training token count. */
typedef struct {
  MsTaskData *train, *heldout;
  GArray *train_ex, *heldout_ex;  /* MsExample of the probed samples */
  gint64 *train_ids, *heldout_ids;
  gint64 task_id;
  double train_tokens;            /* tokens of the records fine-tuned on */
  guint n_used;                   /* records fine-tuned on */
} TaskData;

typedef struct {
  const MsStudySpec *spec;
  MsStore *store;
  const MsStudyOptions *opt;
  MsBpe *bpe;
  TaskData *td;
  Run *runs;
  int n_runs;
  gint64 study_id;
  MsGpt *gpt;
  MsCheckpoint *base;
  double total_cost, done_cost;   /* of the runs still to do in this session */
  gint64 started;
  int current;                    /* index of the run in progress */
  const char *phase;
  double phase_cost, phase_from;  /* the current phase's share of its run's cost */
  /* Generations written since the last commit, so a kill loses at most a batch. */
  int pending;
  /* Canaries: the records added to the canary task, and the candidates they are ranked
   * among. */
  MsRecord *canaries;
  int *canary_repeats;
  int n_canaries;
  int canary_task;                /* index into spec->tasks, or -1 */
  char **candidates;              /* (n_candidates) secrets */
  int n_candidates;
  double probe_seconds;
} Study;

static void
emit (Study *s, MsStudyEventKind kind, int done, int total, double loss, double rate,
      const char *message)
{
  if (s->opt->on_event == NULL)
    return;
  double frac = total > 0 ? (double) done / total : 0.0;
  double now_done = s->done_cost + s->phase_from + s->phase_cost * frac;
  double overall = s->total_cost > 0 ? now_done / s->total_cost : 1.0;
  double elapsed = (g_get_monotonic_time () - s->started) / 1e6;
  double eta = now_done > 0 && elapsed > 5 ? elapsed * (s->total_cost - now_done) / now_done : -1;
  MsStudyEvent ev = { kind, s->runs[s->current].name, s->current + 1, s->n_runs, s->phase, done,
                      total, loss, rate, MIN (overall, 1.0), eta, message };
  s->opt->on_event (&ev, s->opt->user);
}

static void
runs_free (Run *runs, int n)
{
  for (int i = 0; i < n; i++)
    {
      g_free (runs[i].name);
      g_free (runs[i].tasks);
    }
  g_free (runs);
}

static int
spec_task (const MsStudySpec *spec, const char *name)
{
  for (int i = 0; i < spec->n_tasks; i++)
    if (strcmp (spec->tasks[i].name, name) == 0)
      return i;
  return -1;
}

/* The grid: the base model, then for each seed the single-task runs and the mixtures. */
static Run *
expand_runs (const MsStudySpec *spec, int *n)
{
  GArray *runs = g_array_new (FALSE, TRUE, sizeof (Run));
  Run base = { g_strdup ("base"), "base", NULL, 0, g_new (int, spec->n_tasks), spec->n_tasks };
  for (int i = 0; i < spec->n_tasks; i++)
    base.tasks[i] = i;
  g_array_append_val (runs, base);
  for (int s = 0; s < spec->n_seeds; s++)
    {
      for (int i = 0; i < spec->n_tasks; i++)
        {
          Run r = { g_strdup_printf ("single/%s/s%" G_GUINT64_FORMAT, spec->tasks[i].name,
                                     spec->seeds[s]), "single", NULL, spec->seeds[s],
                    g_new (int, 1), 1 };
          r.tasks[0] = i;
          g_array_append_val (runs, r);
        }
      for (int m = 0; m < spec->n_mixtures; m++)
        {
          const MsStudyMixture *mx = &spec->mixtures[m];
          int k = g_strv_length (mx->tasks);
          Run r = { g_strdup_printf ("mix/%s/s%" G_GUINT64_FORMAT, mx->name, spec->seeds[s]),
                    "mixture", mx, spec->seeds[s], g_new (int, k), k };
          for (int j = 0; j < k; j++)
            r.tasks[j] = spec_task (spec, mx->tasks[j]);
          g_array_append_val (runs, r);
        }
    }
  *n = runs->len;
  return (Run *) g_array_free (runs, FALSE);
}

GPtrArray *
ms_study_run_names (const MsStudySpec *spec)
{
  int n;
  Run *runs = expand_runs (spec, &n);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n; i++)
    g_ptr_array_add (names, g_strdup (runs[i].name));
  runs_free (runs, n);
  return names;
}

/* ---- data and store ------------------------------------------------------------------- */

static void
task_data_clear (TaskData *t)
{
  if (t->train_ex)
    g_array_unref (t->train_ex);
  if (t->heldout_ex)
    g_array_unref (t->heldout_ex);
  if (t->train)
    ms_task_data_free (t->train);
  if (t->heldout)
    ms_task_data_free (t->heldout);
  g_free (t->train_ids);
  g_free (t->heldout_ids);
}

static gboolean
store_samples (Study *s, TaskData *t, const char *split, GArray *ex, gint64 **ids_out,
               GError **error)
{
  g_autofree MsStoreSampleDef *defs = g_new0 (MsStoreSampleDef, MAX (ex->len, 1));
  for (guint i = 0; i < ex->len; i++)
    {
      const MsExample *e = &g_array_index (ex, MsExample, i);
      defs[i] = (MsStoreSampleDef) { t->task_id, split, e->record->id, e->record->input,
                                     e->record->output, e->input_end - e->input_start,
                                     e->output_end - e->output_start };
    }
  *ids_out = g_new (gint64, MAX (ex->len, 1));
  return ms_store_upsert_samples (s->store, defs, ex->len, *ids_out, error);
}

/* The canaries and the candidates they are ranked among: random digit strings ("3 1 4 …")
 * from the spec's seed; candidates never equal a canary. */
static void
make_canaries (Study *s)
{
  const MsStudySpec *spec = s->spec;
  s->canary_task = -1;
  if (spec->canary_task == NULL)
    return;
  for (int i = 0; i < spec->n_tasks; i++)
    if (strcmp (spec->tasks[i].name, spec->canary_task) == 0)
      s->canary_task = i;
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) spec->canary_seed);
  s->n_canaries = spec->n_canary_repeats * spec->canary_count;
  s->canaries = g_new0 (MsRecord, s->n_canaries);
  s->canary_repeats = g_new (int, s->n_canaries);
  g_autoptr (GHashTable) taken = g_hash_table_new (g_str_hash, g_str_equal);
  GString *secret = g_string_new (NULL);
  for (int i = 0; i < s->n_canaries + spec->canary_candidates; i++)
    {
      do
        {
          g_string_truncate (secret, 0);
          for (int d = 0; d < spec->canary_digits; d++)
            g_string_append_printf (secret, "%s%d", d ? " " : "", g_rand_int_range (rand, 0, 10));
        }
      while (g_hash_table_contains (taken, secret->str));
      char *text = g_strdup (secret->str);
      g_hash_table_add (taken, text);
      if (i < s->n_canaries)
        {
          int r = spec->canary_repeats[i / spec->canary_count];
          s->canaries[i] = (MsRecord) { g_strdup (spec->canary_task), g_strdup (spec->canary_prompt),
                                        text, g_strdup_printf ("canary/r%d/%d", r,
                                                               i % spec->canary_count + 1) };
          s->canary_repeats[i] = r;
        }
      else
        {
          s->candidates = g_renew (char *, s->candidates, s->n_candidates + 1);
          s->candidates[s->n_candidates++] = text;
        }
    }
  g_string_free (secret, TRUE);
}

static void
free_canaries (Study *s)
{
  for (int i = 0; i < s->n_canaries; i++)
    {
      g_free (s->canaries[i].task);
      g_free (s->canaries[i].input);
      g_free (s->canaries[i].output);
      g_free (s->canaries[i].id);
    }
  g_free (s->canaries);
  g_free (s->canary_repeats);
  for (int i = 0; i < s->n_candidates; i++)
    g_free (s->candidates[i]);
  g_free (s->candidates);
}

/* Loads every task and tokenizes the probed samples, then writes the study, its tasks and
 * samples to the store in one transaction (taken only after the slow part, since it locks
 * the store against other writers). */
static gboolean
prepare (Study *s, GError **error)
{
  const MsStudySpec *spec = s->spec;
  s->td = g_new0 (TaskData, spec->n_tasks);
  for (int i = 0; i < spec->n_tasks; i++)
    {
      const MsTaskSpec *ts = &spec->tasks[i];
      TaskData *t = &s->td[i];
      g_autoptr (MsTemplate) tpl = ms_template_parse (ts->template_text ? ts->template_text
                                                                        : MS_TEMPLATE_DEFAULT,
                                                      error);
      if (tpl == NULL || !(t->train = ms_task_data_load (ts->name, ts->train_path, error)))
        return FALSE;
      if (ts->heldout_path && !(t->heldout = ms_task_data_load (ts->name, ts->heldout_path, error)))
        return FALSE;
      /* The training records used (those that fit a row), tokenized for the cost estimate;
       * the probed ones are the first of them, and the first held-out records that fit. */
      if (!ms_task_select (t->train, tpl, s->bpe, spec->finetune.T, ts->max_train, error)
          || (t->heldout && !ms_task_select (t->heldout, tpl, s->bpe, spec->finetune.T, 0, error)))
        return FALSE;
      t->n_used = t->train->records->len;
      g_autoptr (GArray) all = ms_task_examples (t->train, tpl, s->bpe, error);
      if (all == NULL)
        return FALSE;
      for (guint j = 0; j < all->len; j++)
        t->train_tokens += g_array_index (all, MsExample, j).n_tokens;
      if (t->train->records->len > (guint) spec->probe_train)
        g_ptr_array_set_size (t->train->records, spec->probe_train);
      if (!(t->train_ex = ms_task_examples (t->train, tpl, s->bpe, error)))
        return FALSE;
      if (t->heldout && t->heldout->records->len > (guint) spec->probe_heldout)
        g_ptr_array_set_size (t->heldout->records, spec->probe_heldout);
      if (t->heldout && !(t->heldout_ex = ms_task_examples (t->heldout, tpl, s->bpe, error)))
        return FALSE;
      if (!t->heldout_ex)
        t->heldout_ex = g_array_new (FALSE, FALSE, sizeof (MsExample));
    }

  g_autofree char *settings = ms_study_spec_settings_json (spec);
  MsStoreStudyDef sd = { spec->name, spec->path, spec->text, NULL, settings };
  if (!ms_store_begin (s->store, error))
    return FALSE;
  if ((s->study_id = ms_store_upsert_study (s->store, &sd, error)) <= 0)
    goto fail;
  for (int i = 0; i < spec->n_tasks; i++)
    {
      const MsTaskSpec *ts = &spec->tasks[i];
      TaskData *t = &s->td[i];
      MsStoreTaskDef def = { ts->name, ts->train_path, ts->heldout_path, t->train->sha256,
                             t->heldout ? t->heldout->sha256 : NULL,
                             ts->template_text ? ts->template_text : MS_TEMPLATE_DEFAULT,
                             t->n_used, t->heldout_ex->len };
      if ((t->task_id = ms_store_upsert_task (s->store, s->study_id, &def, error)) <= 0
          || !store_samples (s, t, "train", t->train_ex, &t->train_ids, error)
          || !store_samples (s, t, "heldout", t->heldout_ex, &t->heldout_ids, error))
        goto fail;
    }
  return ms_store_commit (s->store, error);
fail:
  ms_store_rollback (s->store);
  return FALSE;
}

static char *
run_hyper_json (const Study *s, const Run *r)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "study");
  g_autofree char *settings = ms_study_spec_settings_json (s->spec);
  JsonNode *node = json_from_string (settings, NULL);
  /* What this run depends on: not the other mixtures of the spec, so that adding one to a
   * study leaves its finished runs valid. */
  json_object_remove_member (json_node_get_object (node), "mixtures");
  json_builder_add_value (b, node);
  ms_json_add_string (b, "mixer", r->mixture ? r->mixture->mixer : "");
  if (r->mixture && r->mixture->epochs > 0)
    ms_json_add_number (b, "epochs", r->mixture->epochs);
  ms_json_add_int (b, "seed", (gint64) r->seed);
  json_builder_end_object (b);
  return ms_json_builder_to_string (b, FALSE);
}

static char *
run_tasks_json (const Study *s, const Run *r)
{
  if (strcmp (r->kind, "base") == 0)
    return g_strdup ("[]");
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (int i = 0; i < r->n_tasks; i++)
    json_builder_add_string_value (b, s->spec->tasks[r->tasks[i]].name);
  json_builder_end_array (b);
  return ms_json_builder_to_string (b, FALSE);
}

/* Work units: one unit is a token's forward pass in a full training batch. A training token
 * costs three (forward and backward). A generated token costs far more than one: decoding
 * runs one position at a time, far from the GEMM peak, and the analyses after probing (scoring
 * every sample's likelihood, sparse codes) add to it; 5 matches the default study on a CPU,
 * where probing and analyses took a quarter of the time of training. */
#define DECODE_COST 5.0

static double
probe_cost (const Study *s, const Run *r)
{
  double c = 0;
  for (int i = 0; i < r->n_tasks; i++)
    {
      const TaskData *t = &s->td[r->tasks[i]];
      c += (t->train_ex->len + t->heldout_ex->len) * 2.0 * (s->spec->probe.n + 32);
    }
  return c * DECODE_COST;
}

static double
train_cost (const Study *s, const Run *r)
{
  if (strcmp (r->kind, "base") == 0)
    return 0;
  double tokens = 0;
  for (int i = 0; i < r->n_tasks; i++)
    tokens += s->td[r->tasks[i]].train_tokens;
  double epochs = ms_study_spec_epochs (s->spec, r->mixture);
  return 3.0 * tokens * (s->spec->finetune.steps > 0 ? 1.0 : epochs);
}

/* Test hook: MEMSCOPE_TEST_KILL="RUN:train:N" or "RUN:probe:N" kills the process without
 * warning once run RUN has taken N training steps or stored N probe results, to check that a
 * killed study resumes to the same results. */
static void
maybe_kill (const Study *s, const char *phase, int count)
{
  const char *spec = g_getenv ("MEMSCOPE_TEST_KILL");
  if (spec == NULL)
    return;
  g_auto (GStrv) parts = g_strsplit (spec, ":", 3);
  if (g_strv_length (parts) == 3 && strcmp (parts[0], s->runs[s->current].name) == 0
      && strcmp (parts[1], phase) == 0 && g_ascii_strtoll (parts[2], NULL, 10) == count)
    raise (SIGKILL);
}

/* ---- training ----------------------------------------------------------------------------- */

static void
on_train_progress (const MsTrainProgress *p, gpointer user)
{
  Study *s = user;
  emit (s, MS_STUDY_EVENT_TRAIN_STEP, p->step, p->steps, p->stats->loss, p->tokens_per_second,
        p->message);
  maybe_kill (s, "train", p->step);
}

static char *
file_sha256 (const char *path, GError **error)
{
  g_autoptr (GMappedFile) f = g_mapped_file_new (path, FALSE, error);
  if (f == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) g_mapped_file_get_contents (f),
                                      g_mapped_file_get_length (f));
}

/* The run's training curves from its log, into the store (a resumed run's log repeats steps;
 * the store keeps the last value of each). */
static gboolean
store_curves (Study *s, Run *r, const char *log_path, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (log_path, &text, NULL, error))
    return FALSE;
  g_autoptr (GArray) points = g_array_new (FALSE, FALSE, sizeof (MsStoreCurvePoint));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  for (char **l = lines; *l; l++)
    {
      if (**l == '\0' || !ms_json_parser_load (parser, *l, -1, NULL))
        continue;
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      gint64 step = json_object_get_int_member_with_default (o, "step", 0);
      gboolean eval = json_object_has_member (o, "eval");
      if (!eval && json_object_has_member (o, "loss"))
        {
          MsStoreCurvePoint p = { step, 0, "train",
                                  json_object_get_double_member_with_default (o, "loss", NAN) };
          if (isfinite (p.loss))
            g_array_append_val (points, p);
        }
      const char *group = eval ? "eval" : "tasks";
      JsonObject *m = json_object_has_member (o, group)
                      ? json_object_get_object_member (o, group) : NULL;
      g_autoptr (GList) names = m ? json_object_get_members (m) : NULL;
      for (GList *n = names; n; n = n->next)
        {
          int k = spec_task (s->spec, n->data);
          JsonNode *v = json_object_get_member (m, n->data);
          if (k < 0 || !JSON_NODE_HOLDS_VALUE (v))
            continue;
          MsStoreCurvePoint p = { step, s->td[k].task_id, eval ? "eval" : "train",
                                  json_node_get_double (v) };
          if (isfinite (p.loss))
            g_array_append_val (points, p);
        }
    }
  return ms_store_add_curve (s->store, r->id, (MsStoreCurvePoint *) points->data, points->len,
                             error);
}

/* Run folders: ARTIFACTS/STUDY/RUN, by default beside the store in memscope-runs/. */
static char *
run_dir (const Study *s, const Run *r)
{
  g_autofree char *safe = g_strdelimit (g_strdup (r->name), "/", '_');
  g_autofree char *store_dir = g_path_get_dirname (ms_store_path (s->store));
  g_autofree char *fallback = g_build_filename (store_dir, "memscope-runs", NULL);
  return g_build_filename (s->spec->artifacts ? s->spec->artifacts : fallback, s->spec->name,
                           safe, NULL);
}

static gboolean
train_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  g_autofree MsTaskSpec *tasks = g_new0 (MsTaskSpec, r->n_tasks);
  g_autofree const char **names = g_new0 (const char *, r->n_tasks);
  for (int i = 0; i < r->n_tasks; i++)
    {
      tasks[i] = spec->tasks[r->tasks[i]];  /* borrowed: not cleared */
      names[i] = tasks[i].name;
      tasks[i].max_heldout = spec->probe_heldout;
      tasks[i].max_tokens = spec->finetune.T;
      if (r->tasks[i] == s->canary_task)
        {
          tasks[i].extra = s->canaries;
          tasks[i].extra_repeats = s->canary_repeats;
          tasks[i].n_extra = s->n_canaries;
        }
    }
  MsFinetuneConfig cfg = spec->finetune;
  cfg.epochs = ms_study_spec_epochs (s->spec, r->mixture);
  cfg.seed = r->seed;
  cfg.mixer_text = r->mixture ? r->mixture->mixer : "proportional";
  g_autofree double *weights = NULL;
  if (!ms_mixer_config_parse (cfg.mixer_text, names, r->n_tasks, &cfg.mixer, &weights, error))
    return FALSE;
  g_autofree char *dir = run_dir (s, r);
  g_autofree char *started = ms_store_now ();
  MsStoreRunUpdate u = { .set = MS_RUN_SET_STATUS | MS_RUN_SET_STARTED, .status = MS_RUN_TRAINING,
                         .started = started };
  if (!ms_store_update_run (s->store, r->id, &u, error)
      || !ms_gpt_write_params (s->gpt, s->base->params, error))
    return FALSE;
  MsFinetuneResult res;
  if (!ms_finetune_run (s->gpt, s->bpe, tasks, r->n_tasks, &cfg, dir, TRUE, on_train_progress,
                        s, s->opt->cancel, &res, error))
    return FALSE;
  g_autofree char *model = g_build_filename (dir, "model.bin", NULL);
  g_autofree char *log = g_build_filename (dir, "log.jsonl", NULL);
  g_autofree char *sha = file_sha256 (model, error);
  g_autofree char *device = ms_device_describe (ms_gpt_device (s->gpt));
  gboolean ok = sha != NULL && ms_store_begin (s->store, error);
  if (ok)
    {
      MsStoreRunUpdate done = {
        .set = MS_RUN_SET_STATUS | MS_RUN_SET_MODEL | MS_RUN_SET_DEVICE | MS_RUN_SET_TRAIN_SECONDS
               | MS_RUN_SET_TRAIN_TOKENS | MS_RUN_SET_FINAL_LOSS | MS_RUN_SET_DATA_JSON,
        .status = MS_RUN_TRAINED, .model_path = model, .model_sha256 = sha, .device = device,
        .train_seconds = res.seconds, .train_tokens = res.train_tokens,
        .final_loss = res.final_loss, .data_json = res.record_json };
      ok = store_curves (s, r, log, error) && ms_store_update_run (s->store, r->id, &done, error)
           && ms_store_commit (s->store, error);
      if (!ok)
        ms_store_rollback (s->store);
    }
  ms_finetune_result_clear (&res);
  return ok;
}

/* ---- probing -------------------------------------------------------------------------------- */

typedef struct {
  Study *s;
  Run *r;
  const char *probe;
  int done, total;
  int stored;
  /* Attention statistics of the batch in flight: (B, L, NH, phases, stats), (B, phases). */
  MsAttentionStats *att;
  float *att_means;
  int *att_counts;
} ProbeCtx;

static gboolean
before_batch (gpointer user, int B, const MsProbeItem *const *items, const int *lens,
              GError **error)
{
  ProbeCtx *c = user;
  return !c->att || ms_attention_stats_reset_lens (c->att, B, lens, error);
}

static gboolean
after_batch (gpointer user, int B, const int *out_lens, GError **error)
{
  ProbeCtx *c = user;
  return !c->att || ms_attention_stats_read (c->att, out_lens, c->att_means, c->att_counts, error);
}

/* The attention statistics of one probed row, as store rows. */
static gboolean
store_attention (ProbeCtx *c, int row, gint64 generation_id, GError **error)
{
  const MsGptConfig *cfg = ms_gpt_config (c->s->gpt);
  int L = cfg->num_layers, NH = cfg->num_heads;
  g_autofree MsStoreAttention *rows = g_new (MsStoreAttention, L * NH * MS_ATT_N_PHASES);
  int n = 0;
  for (int l = 0; l < L; l++)
    for (int h = 0; h < NH; h++)
      for (int ph = 0; ph < MS_ATT_N_PHASES; ph++)
        {
          int queries = c->att_counts[row * MS_ATT_N_PHASES + ph];
          if (queries == 0)
            continue;
          const float *m = c->att_means + ((((gsize) row * L + l) * NH + h) * MS_ATT_N_PHASES + ph)
                                          * MS_ATT_N_STATS;
          rows[n++] = (MsStoreAttention) { generation_id, l, h,
                                           ph == MS_ATT_PROMPT ? "prompt" : "generated",
                                           m[MS_ATT_ENTROPY], m[MS_ATT_MAX], m[MS_ATT_TOPK],
                                           m[MS_ATT_GINI], queries };
        }
  return ms_store_add_attention (c->s->store, rows, n, error);
}

static gboolean
on_probe_result (const MsProbeResult *p, gpointer user, GError **error)
{
  ProbeCtx *c = user;
  Study *s = c->s;
  if (s->pending == 0 && !ms_store_begin (s->store, error))
    return FALSE;
  const MsSampleScores *sc = &p->scores;
  MsStoreGenerationDef g = {
    c->r->id, p->item->id, c->probe, p->prompt_len, p->reference_text, p->reference,
    p->ref_len, p->generated_text, p->generated, p->gen_len,
    { sc->exact, sc->token_match, sc->lcs_chars, sc->run.ref_start, sc->run.gen_start,
      sc->verbatim, sc->rouge_l_f1, sc->bleu, sc->align_gen_cov, sc->align_ref_cov,
      sc->paraphrase, sc->idea } };
  gint64 gen_id = ms_store_add_generation (s->store, &g, error);
  if (gen_id <= 0 || (c->att && !store_attention (c, p->row, gen_id, error)))
    {
      ms_store_rollback (s->store);
      s->pending = 0;
      return FALSE;
    }
  /* Commit every 64 results: a kill loses at most those, and a resume redoes them. */
  if (++s->pending >= 64)
    {
      s->pending = 0;
      if (!ms_store_commit (s->store, error))
        return FALSE;
    }
  maybe_kill (s, "probe", ++c->stored);
  return TRUE;
}

static void
on_probe_progress (int done, int total, gpointer user)
{
  ProbeCtx *c = user;
  emit (c->s, MS_STUDY_EVENT_PROBE, c->done + done, c->total, NAN, NAN, NULL);
}

static gboolean
probe_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  int maxT = ms_gpt_config (s->gpt)->max_seq_len;
  if (strcmp (r->kind, "base") == 0)
    {
      if (!ms_gpt_write_params (s->gpt, s->base->params, error))
        return FALSE;
    }
  else
    {
      g_autofree char *dir = run_dir (s, r);
      g_autofree char *model = g_build_filename (dir, "model.bin", NULL);
      g_autoptr (MsCheckpoint) ck = ms_checkpoint_load (model, error);
      if (ck == NULL || !ms_gpt_write_params (s->gpt, ck->params, error))
        return FALSE;
    }
  if (!ms_store_set_run_status (s->store, r->id, MS_RUN_PROBING, NULL, error))
    return FALSE;
  gint64 start = g_get_monotonic_time ();
  const MsProbeKind kinds[] = { MS_PROBE_INPUT, MS_PROBE_TARGET };
  /* Items per probe kind, leaving out samples probed before an interruption. */
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      const char *probe = ms_probe_kind_name (kinds[k]);
      g_autoptr (GHashTable) done = ms_store_probed_samples (s->store, r->id, probe, error);
      if (done == NULL)
        return FALSE;
      g_autoptr (GArray) items = g_array_new (FALSE, FALSE, sizeof (MsProbeItem));
      for (int i = 0; i < r->n_tasks; i++)
        {
          TaskData *t = &s->td[r->tasks[i]];
          GArray *sets[2] = { t->train_ex, t->heldout_ex };
          gint64 *ids[2] = { t->train_ids, t->heldout_ids };
          for (int j = 0; j < 2; j++)
            for (guint e = 0; e < sets[j]->len; e++)
              {
                const MsExample *ex = &g_array_index (sets[j], MsExample, e);
                if (!ms_probe_eligible (ex, kinds[k], &spec->probe, maxT)
                    || g_hash_table_contains (done, &ids[j][e]))
                  continue;
                MsProbeItem it = { ex, kinds[k], ids[j][e] };
                g_array_append_val (items, it);
              }
        }
      ProbeCtx ctx = { s, r, probe, 0, items->len };
      g_autoptr (MsAttentionStats) att = NULL;
      g_autofree float *means = NULL;
      g_autofree int *counts = NULL;
      if (spec->attention)
        {
          const MsGptConfig *cfg = ms_gpt_config (s->gpt);
          int B = spec->probe.batch;
          if (!(att = ms_attention_stats_new (ms_gpt_device (s->gpt), B, cfg->num_layers,
                                              cfg->num_heads, MS_ATT_TOP_K_DEFAULT, error)))
            return FALSE;
          means = g_new (float, (gsize) B * cfg->num_layers * cfg->num_heads * MS_ATT_N_PHASES
                                * MS_ATT_N_STATS);
          counts = g_new (int, B * MS_ATT_N_PHASES);
          ctx.att = att;
          ctx.att_means = means;
          ctx.att_counts = counts;
          MsGptHooks hooks = { 0 };
          ms_attention_stats_hooks (att, &hooks);
          ms_gpt_set_hooks (s->gpt, &hooks);
        }
      MsProbeObserver observer = { before_batch, after_batch, &ctx };
      s->phase = "probing";
      s->phase_cost = probe_cost (s, r) / 2;
      s->phase_from = train_cost (s, r) + k * s->phase_cost;
      s->pending = 0;
      gboolean ok = ms_probe_run (s->gpt, s->bpe, (MsProbeItem *) items->data, items->len,
                                  &spec->probe, on_probe_result, on_probe_progress, &ctx,
                                  &observer, s->opt->cancel, error);
      ms_gpt_set_hooks (s->gpt, NULL);
      if (s->pending > 0)
        {
          /* Keep what was probed before an error or a cancel, too. */
          s->pending = 0;
          GError **sink = ok ? error : NULL;
          if (!ms_store_commit (s->store, sink) && ok)
            return FALSE;
        }
      if (!ok)
        return FALSE;
    }
  s->probe_seconds = (g_get_monotonic_time () - start) / 1e6;
  return TRUE;
}

/* ---- analyses after probing ----------------------------------------------------------- */

/* Membership-inference scores of every probed sample of the run's tasks. */
static gboolean
mia_run (Study *s, Run *r, GError **error)
{
  gint64 have = ms_store_count (s->store, "mia", r->id, error);
  if (have < 0)
    return FALSE;
  g_autoptr (GPtrArray) ex = g_ptr_array_new ();
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (int i = 0; i < r->n_tasks; i++)
    {
      TaskData *t = &s->td[r->tasks[i]];
      for (guint e = 0; e < t->train_ex->len; e++)
        {
          g_ptr_array_add (ex, &g_array_index (t->train_ex, MsExample, e));
          g_array_append_val (ids, t->train_ids[e]);
        }
      for (guint e = 0; e < t->heldout_ex->len; e++)
        {
          g_ptr_array_add (ex, &g_array_index (t->heldout_ex, MsExample, e));
          g_array_append_val (ids, t->heldout_ids[e]);
        }
    }
  if (have >= (gint64) ex->len)
    return TRUE;
  s->phase = "membership inference";
  emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, "membership inference scores");
  g_autofree MsMiaScores *scores = g_new (MsMiaScores, MAX (ex->len, 1));
  const MsFinetuneConfig *f = &s->spec->finetune;
  if (!ms_mia_score (s->gpt, (const MsExample *const *) ex->pdata, ex->len, f->response_only,
                     s->spec->mia_k, f->B, f->T, scores, error))
    return FALSE;
  g_autofree MsStoreMia *rows = g_new (MsStoreMia, MAX (ex->len, 1));
  for (guint i = 0; i < ex->len; i++)
    rows[i] = (MsStoreMia) { r->id, g_array_index (ids, gint64, i), scores[i].loss,
                             scores[i].min_k, scores[i].zlib_ratio, scores[i].n_tokens };
  return ms_store_add_mia (s->store, rows, ex->len, error);
}

/* Exposure of each canary under the run: its secret's NLL after the prompt, ranked among the
 * sampled candidates, and extrapolated to the whole candidate space. */
static gboolean
canary_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  gboolean trained_on = FALSE;
  for (int i = 0; i < r->n_tasks; i++)
    trained_on |= r->tasks[i] == s->canary_task;
  if (s->canary_task < 0 || (!trained_on && strcmp (r->kind, "base") != 0))
    return TRUE;
  gint64 have = ms_store_count (s->store, "canaries", r->id, error);
  if (have < 0 || have >= s->n_canaries)
    return have >= 0;
  s->phase = "canaries";
  emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, "canary exposure");
  const MsTaskSpec *ts = &spec->tasks[s->canary_task];
  g_autoptr (MsTemplate) tpl = ms_template_parse (ts->template_text ? ts->template_text
                                                                    : MS_TEMPLATE_DEFAULT, error);
  if (tpl == NULL)
    return FALSE;
  int n = s->n_canaries + s->n_candidates;
  g_autofree MsRecord *recs = g_new0 (MsRecord, n);
  g_autofree MsExample *ex = g_new0 (MsExample, n);
  g_autofree const MsExample **ptrs = g_new (const MsExample *, n);
  gboolean ok = TRUE;
  for (int i = 0; i < n && ok; i++)
    {
      recs[i] = i < s->n_canaries ? s->canaries[i]
                                  : (MsRecord) { spec->canary_task, spec->canary_prompt,
                                                 s->candidates[i - s->n_canaries], "candidate" };
      ok = ms_template_tokenize (tpl, s->bpe, &recs[i], &ex[i], error);
      ptrs[i] = &ex[i];
    }
  g_autofree MsMiaScores *sc = g_new (MsMiaScores, n);
  g_autofree double *nll = g_new (double, n);
  if (ok)
    ok = ms_mia_score (s->gpt, ptrs, n, TRUE, 0.2, spec->finetune.B, spec->finetune.T, sc, error);
  for (int i = 0; ok && i < n; i++)
    nll[i] = sc[i].loss * sc[i].n_tokens;
  g_autofree MsStoreCanary *rows = g_new0 (MsStoreCanary, MAX (s->n_canaries, 1));
  double space = pow (10.0, spec->canary_digits);
  for (int i = 0; ok && i < s->n_canaries; i++)
    {
      const double *cand = nll + s->n_canaries;
      guint64 rank = ms_stats_canary_rank (nll[i], cand, s->n_candidates, TRUE);
      MsExposureEstimate est;
      if (!ms_stats_exposure_sampled (nll[i], cand, s->n_candidates, space, TRUE, &est, error))
        {
          ok = FALSE;
          break;
        }
      rows[i] = (MsStoreCanary) { r->id, s->td[s->canary_task].task_id, s->canaries[i].id,
                                  s->canaries[i].output, s->canary_repeats[i], nll[i], rank,
                                  s->n_candidates, space, est.empirical, est.normal };
    }
  for (int i = 0; i < n; i++)
    ms_example_clear (&ex[i]);
  return ok && ms_store_add_canaries (s->store, rows, s->n_canaries, error);
}

/* Sparse codes of the run's hidden states: the prompts of every probed sample go through the
 * model once (prefill only) while a hook keeps the mean residual stream of the chosen layer per
 * sample; a dictionary is learned on those rows, then each row is coded at the study's L1
 * weight and, separately, with as few atoms as reach the study's fixed relative error. */
static gboolean
sparse_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  gint64 have = ms_store_count (s->store, "sparse", r->id, error);
  if (have != 0)
    return have > 0;
  const MsGptConfig *cfg = ms_gpt_config (s->gpt);
  int layer = spec->sparse_layer < 0 ? cfg->num_layers - 1
                                     : MIN (spec->sparse_layer, cfg->num_layers - 1);
  s->phase = "sparse codes";
  emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, "sparse codes of the hidden states");
  g_autoptr (GPtrArray) ex = g_ptr_array_new ();
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; i < r->n_tasks; i++)
    {
      TaskData *t = &s->td[r->tasks[i]];
      GArray *sets[2] = { t->train_ex, t->heldout_ex };
      gint64 *sids[2] = { t->train_ids, t->heldout_ids };
      for (int j = 0; j < 2; j++)
        for (guint e = 0; e < sets[j]->len; e++)
          {
            g_ptr_array_add (ex, &g_array_index (sets[j], MsExample, e));
            int id = (int) sids[j][e];
            g_array_append_val (ids, id);
            g_array_append_val (labels, i);
          }
    }
  int N = ex->len;
  if (N < 2)
    return TRUE;
  g_autoptr (MsHiddenCapture) cap = ms_hidden_capture_new (ms_gpt_device (s->gpt), layer,
                                                           MS_CAPTURE_MEAN, cfg->channels, error);
  if (cap == NULL)
    return FALSE;
  MsGptHooks hooks = { .hidden_kind = MS_HIDDEN_RESIDUAL };
  ms_hidden_capture_hooks (cap, &hooks);
  ms_gpt_set_hooks (s->gpt, &hooks);
  int B = spec->probe.batch;
  gboolean ok = TRUE;
  for (int start = 0; ok && start < N; start += B)
    {
      int rows = MIN (B, N - start), Tp = 0;
      g_autofree int *lens = g_new (int, rows);
      for (int b = 0; b < rows; b++)
        {
          const MsExample *e = ex->pdata[start + b];
          lens[b] = e->prompt_len;
          Tp = MAX (Tp, lens[b]);
        }
      g_autofree int *tokens = g_new0 (int, (gsize) rows * Tp);
      g_autofree int *starts = g_new (int, rows);
      for (int b = 0; b < rows; b++)
        {
          const MsExample *e = ex->pdata[start + b];
          starts[b] = Tp - lens[b];
          for (int t = 0; t < lens[b]; t++)
            tokens[b * Tp + starts[b] + t] = e->tokens[t];
        }
      ok = ms_hidden_capture_batch_lens (cap, rows, lens, (int *) ids->data + start, error)
           && ms_gpt_forward (s->gpt, tokens, starts, NULL, rows, Tp, error);
    }
  ms_gpt_set_hooks (s->gpt, NULL);
  if (!ok || !ms_device_finish (ms_gpt_device (s->gpt), error))
    return FALSE;
  int n_rows = 0;
  const MsBuffer *x = ms_hidden_capture_rows (cap, &n_rows);
  MsSparseParams params;
  ms_sparse_params_init (&params);
  params.n_atoms = spec->sparse_atoms;
  params.lambda = spec->sparse_lambda;
  g_autoptr (MsDictionary) dict = ms_dictionary_learn (ms_gpt_blas (s->gpt), x, 0, n_rows,
                                                       cfg->channels, &params, error);
  if (dict == NULL)
    return FALSE;
  int K = spec->sparse_atoms;
  g_autoptr (MsBuffer) z = ms_buffer_new (ms_gpt_device (s->gpt), (gsize) n_rows * K * sizeof (float),
                                          error);
  g_autofree MsSparseSample *plain = g_new (MsSparseSample, n_rows);
  g_autofree MsSparseSample *fixed = g_new (MsSparseSample, n_rows);
  MsSparseEncodeOptions at_lambda = { 0 }, at_error = { .target_err = spec->sparse_error };
  g_autofree float *codes = g_new (float, (gsize) n_rows * K);
  if (z == NULL || !ms_sparse_encode (dict, x, 0, n_rows, &at_lambda, z, 0, plain, NULL, error)
      || !ms_buffer_read (ms_gpt_device (s->gpt), z, 0, codes, (gsize) n_rows * K * sizeof (float),
                          error)
      || !ms_sparse_encode (dict, x, 0, n_rows, &at_error, NULL, 0, fixed, NULL, error))
    return FALSE;
  const int *row_ids = ms_hidden_capture_sample_ids (cap);
  g_autofree MsStoreSparse *out = g_new0 (MsStoreSparse, n_rows);
  g_autofree gint32 *support = g_new (gint32, (gsize) n_rows * K);
  for (int i = 0; i < n_rows; i++)
    {
      gsize n_sup = 0;
      for (int k = 0; k < K; k++)
        if (fabsf (codes[(gsize) i * K + k]) > 1e-6f)
          support[(gsize) i * K + n_sup++] = k;
      out[i] = (MsStoreSparse) { r->id, row_ids[i], layer, plain[i].active, fixed[i].active,
                                 plain[i].l1, plain[i].rel_err, support + (gsize) i * K, n_sup };
    }
  return ms_store_add_sparse (s->store, out, n_rows, error);
}

/* Full attention maps of a few training samples per task (for heatmaps): the last layer's
 * attention over the sample's training text (prompt and output), averaged over heads, stored
 * with the sample's target probe. */
typedef struct {
  MsDevice *dev;
  int layer, T, NH;
  float *map;        /* (T, T) */
  GError *error;
} MapCtx;

static void
on_map_attention (gpointer user, const MsGptTensor *att)
{
  MapCtx *m = user;
  if (att->layer != m->layer || m->error)
    return;
  g_autofree float *one = g_new (float, (gsize) m->T * m->T);
  memset (m->map, 0, (gsize) m->T * m->T * sizeof (float));
  for (int h = 0; h < m->NH; h++)
    {
      if (!ms_attention_read_map (m->dev, att, 0, h, one, &m->error))
        return;
      for (gsize i = 0; i < (gsize) m->T * m->T; i++)
        m->map[i] += one[i] / m->NH;
    }
}

static gboolean
maps_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  const MsGptConfig *cfg = ms_gpt_config (s->gpt);
  const int max_t = 96;
  for (int i = 0; i < r->n_tasks; i++)
    {
      TaskData *t = &s->td[r->tasks[i]];
      for (guint e = 0, done = 0; e < t->train_ex->len && done < (guint) spec->attention_maps; e++)
        {
          const MsExample *ex = &g_array_index (t->train_ex, MsExample, e);
          g_autofree char *sql = g_strdup_printf (
            "SELECT g.id, (SELECT count(*) FROM attention_maps m WHERE m.generation_id = g.id) "
            "FROM generations g WHERE g.run_id = %" G_GINT64_FORMAT " AND g.sample_id = %"
            G_GINT64_FORMAT " AND g.probe = 'target'", r->id, t->train_ids[e]);
          g_autoptr (MsStoreTable) q = ms_store_query (s->store, sql, error);
          if (q == NULL)
            return FALSE;
          if (q->n_rows == 0)
            continue;  /* not probed (too long): try the next sample */
          done++;
          if (g_strcmp0 (q->cells[1], "0") != 0)
            continue;  /* stored before an interruption */
          int T = MIN (ex->n_tokens - 1, max_t);
          g_autofree int *tokens = g_new (int, T);
          for (int k = 0; k < T; k++)
            tokens[k] = ex->tokens[k];
          g_autofree float *map = g_new0 (float, (gsize) T * T);
          MapCtx mc = { ms_gpt_device (s->gpt), cfg->num_layers - 1, T, cfg->num_heads, map };
          MsGptHooks hooks = { .layers = 1ull << mc.layer, .attention = on_map_attention,
                               .user = &mc };
          ms_gpt_set_hooks (s->gpt, &hooks);
          gboolean ok = ms_gpt_forward (s->gpt, tokens, NULL, NULL, 1, T, error)
                        && ms_device_finish (ms_gpt_device (s->gpt), error);
          ms_gpt_set_hooks (s->gpt, NULL);
          if (mc.error)
            {
              g_propagate_error (error, mc.error);
              return FALSE;
            }
          if (!ok)
            return FALSE;
          /* The axis labels: each token's text. */
          g_autoptr (JsonBuilder) b = json_builder_new ();
          json_builder_begin_array (b);
          for (int k = 0; k < T; k++)
            {
              g_autoptr (GByteArray) bytes = g_byte_array_new ();
              guint32 id = tokens[k];
              if (!ms_bpe_decode (s->bpe, &id, 1, bytes, error))
                return FALSE;
              g_byte_array_append (bytes, (const guint8 *) "", 1);
              g_autofree char *valid = g_utf8_make_valid ((const char *) bytes->data, -1);
              json_builder_add_string_value (b, valid);
            }
          json_builder_end_array (b);
          g_autofree char *labels = ms_json_builder_to_string (b, FALSE);
          MsStoreAttentionMap row = { g_ascii_strtoll (q->cells[0], NULL, 10), mc.layer, -1, T,
                                      T, labels, map };
          if (!ms_store_add_attention_maps (s->store, &row, 1, error))
            return FALSE;
        }
    }
  return TRUE;
}

typedef gboolean (*AnalysisFunc) (Study *s, Run *r, GError **error);

/* Runs the analyses the spec asks for, and says what each cost. */
static gboolean
finish_run (Study *s, Run *r, GError **error)
{
  const MsStudySpec *spec = s->spec;
  struct { const char *name; gboolean on; AnalysisFunc fn; } steps[] = {
    { "attention maps", spec->attention && spec->attention_maps > 0, maps_run },
    { "membership inference", spec->mia, mia_run },
    { "canaries", spec->canary_task != NULL, canary_run },
    { "sparse codes", spec->sparse, sparse_run },
  };
  GString *cost = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      if (!steps[i].on)
        continue;
      gint64 t0 = g_get_monotonic_time ();
      if (!steps[i].fn (s, r, error))
        {
          g_string_free (cost, TRUE);
          return FALSE;
        }
      g_string_append_printf (cost, "%s%s %.1f s", cost->len ? ", " : "", steps[i].name,
                              (g_get_monotonic_time () - t0) / 1e6);
    }
  if (cost->len)
    {
      g_autofree char *m = g_strdup_printf ("analyses: %s", cost->str);
      emit (s, MS_STUDY_EVENT_MESSAGE, 0, 0, NAN, NAN, m);
    }
  g_string_free (cost, TRUE);
  g_autofree char *finished = ms_store_now ();
  MsStoreRunUpdate u = { .set = MS_RUN_SET_STATUS | MS_RUN_SET_PROBE_SECONDS | MS_RUN_SET_FINISHED,
                         .status = MS_RUN_DONE, .probe_seconds = s->probe_seconds,
                         .finished = finished };
  return ms_store_update_run (s->store, r->id, &u, error);
}

/* ---- the study -------------------------------------------------------------------------- */

static gboolean
wanted (const MsStudyOptions *opt, const char *name)
{
  return !opt->only_runs_listed || (opt->runs && g_strv_contains (opt->runs, name));
}

gboolean
ms_study_run (const MsStudySpec *spec, MsStore *store, const MsStudyOptions *opt,
              GError **error)
{
  Study s = { .spec = spec, .store = store, .opt = opt, .started = g_get_monotonic_time () };
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  gboolean ok = FALSE;
  if (!(s.bpe = ms_bpe_load (spec->tokenizer, error))
      || !(s.base = ms_checkpoint_load (spec->base_model, error)))
    goto out;
  if (ms_bpe_vocab_size (s.bpe) > (guint) s.base->cfg.vocab_size)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "%s has %u tokens but the base model %s only %d: they do not belong together",
                   spec->tokenizer, ms_bpe_vocab_size (s.bpe), spec->base_model,
                   s.base->cfg.vocab_size);
      goto out;
    }
  make_canaries (&s);
  if (!ms_study_spec_make_synthetic (spec, error) || !prepare (&s, error))
    goto out;
  s.runs = expand_runs (spec, &s.n_runs);
  for (int i = 0; i < s.n_runs; i++)
    {
      Run *r = &s.runs[i];
      g_autofree char *hyper = run_hyper_json (&s, r);
      g_autofree char *tasks = run_tasks_json (&s, r);
      MsStoreRunDef def = { r->name, r->kind, r->mixture ? r->mixture->name : NULL,
                            (gint64) r->seed, tasks, hyper };
      if ((r->id = ms_store_ensure_run (store, s.study_id, &def, NULL, error)) <= 0)
        {
          g_prefix_error (error, "study '%s', run %s: ", spec->name, r->name);
          goto out;
        }
      g_autoptr (MsStoreRun) stored = ms_store_get_run (store, r->id, error);
      if (stored == NULL)
        goto out;
      r->cost = 0;
      if (stored->status != MS_RUN_DONE && wanted (opt, r->name))
        r->cost = (ms_run_state_has_model (stored->status) ? 0 : train_cost (&s, r)) + probe_cost (&s, r);
      s.total_cost += r->cost;
    }

  if (!(dev = ms_device_open (opt->device, error)) || !(blas = ms_blas_new (dev, opt->blas, error))
      || !(s.gpt = ms_gpt_new (blas, &s.base->cfg, s.base->params, error)))
    goto out;
  for (s.current = 0; s.current < s.n_runs; s.current++)
    {
      Run *r = &s.runs[s.current];
      g_autoptr (MsStoreRun) stored = ms_store_get_run (store, r->id, error);
      if (stored == NULL)
        goto out;
      s.phase = "done";
      s.phase_cost = s.phase_from = 0;
      if (stored->status == MS_RUN_DONE || !wanted (opt, r->name))
        {
          emit (&s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN,
                wanted (opt, r->name) ? "already done" : "not selected");
          continue;
        }
      /* Another process sharing the store may be on this run: leave it to that process. */
      int owner = 0;
      if (!ms_store_lease_run (store, r->id, &owner, error))
        goto out;
      if (owner != 0)
        {
          g_autofree char *why = g_strdup_printf ("being run by process %d on this machine",
                                                  owner);
          emit (&s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN, why);
          continue;
        }
      /* Read again under the lease: the other process may have finished it meanwhile. */
      g_clear_pointer (&stored, ms_store_run_free);
      if (!(stored = ms_store_get_run (store, r->id, error)))
        goto out;
      if (stored->status == MS_RUN_DONE)
        {
          ms_store_release_run (store, r->id);
          emit (&s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN, "already done");
          continue;
        }
      emit (&s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN, NULL);
      gboolean trained = ms_run_state_has_model (stored->status);
      GError *local = NULL;
      if (strcmp (r->kind, "base") != 0 && !trained)
        {
          s.phase = "training";
          s.phase_cost = train_cost (&s, r);
          if (!train_run (&s, r, &local))
            goto failed;
        }
      if (!probe_run (&s, r, &local) || !finish_run (&s, r, &local))
        goto failed;
      s.done_cost += r->cost;
      s.phase_cost = s.phase_from = 0;
      ms_store_release_run (store, r->id);
      emit (&s, MS_STUDY_EVENT_RUN_DONE, 0, 0, NAN, NAN, NULL);
      continue;
    failed:
      ms_store_release_run (store, r->id);
      if (!g_error_matches (local, MS_ERROR, MS_ERROR_CANCELLED))
        {
          /* Recorded so that the store shows what went wrong; a later call retries. */
          ms_store_set_run_status (store, r->id, MS_RUN_FAILED, local->message, NULL);
          g_prefix_error (&local, "run %s: ", r->name);
        }
      else
        ms_store_set_run_status (store, r->id, strcmp (r->kind, "base") != 0 && !trained
                                               ? MS_RUN_PENDING : MS_RUN_TRAINED, NULL, NULL);
      g_propagate_error (error, local);
      goto out;
    }
  ok = TRUE;
out:
  if (s.td)
    for (int i = 0; i < spec->n_tasks; i++)
      task_data_clear (&s.td[i]);
  g_free (s.td);
  free_canaries (&s);
  runs_free (s.runs, s.n_runs);
  g_clear_pointer (&s.gpt, ms_gpt_free);
  g_clear_pointer (&s.base, ms_checkpoint_free);
  g_clear_pointer (&s.bpe, ms_bpe_free);
  return ok;
}
