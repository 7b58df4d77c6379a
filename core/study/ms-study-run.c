/* Running a study: prepare the data and the store once (ms-study-plan.c), then each run in
 * turn — fine-tune (resumable from its folder), probe (resumable from the store), the analyses
 * (ms-study-analyses.c), record — skipping what is done. Progress goes to an event callback
 * with per-run and whole-study figures. */
#include "study/ms-study-private.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "analysis/ms-attention.h"
#include "analysis/ms-capture.h"
#include "common/ms-json.h"
#include "common/ms-mpi.h"

void
study_emit (Study *s, MsStudyEventKind kind, int done, int total, double loss, double rate,
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

/* Test hook: MEMSCOPE_TEST_KILL="RUN:train:N" or "RUN:probe:N" kills the process without
 * warning once run RUN ("*": any) has taken N training steps or stored N probe results, to
 * check that a killed study resumes to the same results. Under mpirun,
 * MEMSCOPE_TEST_KILL_RANK=R limits it to rank R, and MEMSCOPE_TEST_KILL_SIGNAL=STOP freezes
 * the process instead (a worker that stops answering). */
static void
maybe_kill (const Study *s, const char *phase, int count)
{
  const char *spec = g_getenv ("MEMSCOPE_TEST_KILL");
  if (spec == NULL)
    return;
  const char *rank = g_getenv ("MEMSCOPE_TEST_KILL_RANK");
  if (rank && g_ascii_strtoll (rank, NULL, 10) != ms_mpi_rank ())
    return;
  g_auto (GStrv) parts = g_strsplit (spec, ":", 3);
  if (g_strv_length (parts) == 3
      && (strcmp (parts[0], "*") == 0 || strcmp (parts[0], s->runs[s->current].name) == 0)
      && strcmp (parts[1], phase) == 0 && g_ascii_strtoll (parts[2], NULL, 10) == count)
    raise (g_strcmp0 (g_getenv ("MEMSCOPE_TEST_KILL_SIGNAL"), "STOP") == 0 ? SIGSTOP : SIGKILL);
}

/* ---- training ----------------------------------------------------------------------------- */

static void
on_train_progress (const MsTrainProgress *p, gpointer user)
{
  Study *s = user;
  study_emit (s, MS_STUDY_EVENT_TRAIN_STEP, p->step, p->steps, p->stats->loss,
              p->tokens_per_second, p->message);
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
          int k = ms_study_spec_task_index (s->spec, n->data);
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
char *
study_run_dir (const Study *s, const Run *r)
{
  g_autofree char *safe = g_strdelimit (g_strdup (r->name), "/", '_');
  g_autofree char *store_dir = g_path_get_dirname (s->store_path);
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
  cfg.solo = TRUE;  /* under mpirun each worker trains its own run */
  cfg.epochs = ms_study_spec_epochs (s->spec, r->mixture);
  cfg.seed = r->seed;
  cfg.mixer_text = r->mixture ? r->mixture->mixer : "proportional";
  g_autofree double *weights = NULL;
  if (!ms_mixer_config_parse (cfg.mixer_text, names, r->n_tasks, &cfg.mixer, &weights, error))
    return FALSE;
  g_autofree char *dir = study_run_dir (s, r);
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
        .host = ms_mpi_host (),
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
  study_emit (c->s, MS_STUDY_EVENT_PROBE, c->done + done, c->total, NAN, NAN, NULL);
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
      g_autofree char *dir = study_run_dir (s, r);
      g_autofree char *model = g_build_filename (dir, "model.bin", NULL);
      g_autoptr (MsCheckpoint) ck = ms_checkpoint_load (model, error);
      if (ck == NULL || !ms_gpt_write_params (s->gpt, ck->params, error))
        return FALSE;
    }
  /* A run without training (the base model) records where it ran here. */
  g_autofree char *device = ms_device_describe (ms_gpt_device (s->gpt));
  gboolean base = strcmp (r->kind, "base") == 0;
  MsStoreRunUpdate u = { .set = MS_RUN_SET_STATUS | (base ? MS_RUN_SET_DEVICE : 0),
                         .status = MS_RUN_PROBING, .device = device, .host = ms_mpi_host () };
  if (!ms_store_update_run (s->store, r->id, &u, error))
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
      s->phase_cost = study_probe_cost (s, r) / 2;
      s->phase_from = study_train_cost (s, r) + k * s->phase_cost;
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

/* ---- the study -------------------------------------------------------------------------- */

gboolean
study_wanted (const MsStudyOptions *opt, const char *name)
{
  return !opt->only_runs_listed || (opt->runs && g_strv_contains (opt->runs, name));
}

/* Loads what every run needs, writes the study, its tasks and samples to S->store, and records
 * every run of the grid with what is left of it. */
gboolean
study_setup (Study *s, GError **error)
{
  const MsStudySpec *spec = s->spec;
  MsStore *store = s->store;
  if (!(s->bpe = ms_bpe_load (spec->tokenizer, error))
      || !(s->base = ms_checkpoint_load (spec->base_model, error)))
    return FALSE;
  if (ms_bpe_vocab_size (s->bpe) > (guint) s->base->cfg.vocab_size)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "%s has %u tokens but the base model %s only %d: they do not belong together",
                   spec->tokenizer, ms_bpe_vocab_size (s->bpe), spec->base_model,
                   s->base->cfg.vocab_size);
      return FALSE;
    }
  study_make_canaries (s);
  if (!ms_study_spec_make_synthetic (spec, error) || !study_prepare (s, error))
    return FALSE;
  s->runs = study_plan_runs (spec, &s->n_runs);
  for (int i = 0; i < s->n_runs; i++)
    {
      Run *r = &s->runs[i];
      g_autofree char *hyper = study_run_hyper_json (s, r);
      g_autofree char *tasks = study_run_tasks_json (s, r);
      MsStoreRunDef def = { r->name, r->kind, r->mixture ? r->mixture->name : NULL,
                            (gint64) r->seed, tasks, hyper };
      if ((r->id = ms_store_ensure_run (store, s->study_id, &def, NULL, error)) <= 0)
        {
          g_prefix_error (error, "study '%s', run %s: ", spec->name, r->name);
          return FALSE;
        }
      g_autoptr (MsStoreRun) stored = ms_store_get_run (store, r->id, error);
      if (stored == NULL)
        return FALSE;
      r->status = stored->status;
      r->cost = 0;
      if (stored->status != MS_RUN_DONE && study_wanted (s->opt, r->name))
        r->cost = (ms_run_state_has_model (stored->status) ? 0 : study_train_cost (s, r))
                  + study_probe_cost (s, r);
      s->total_cost += r->cost;
    }
  return TRUE;
}

gboolean
study_open_model (Study *s, const char *device, GError **error)
{
  return (s->dev = ms_device_open (device, error))
         && (s->blas = ms_blas_new (s->dev, s->opt->blas, error))
         && (s->gpt = ms_gpt_new (s->blas, &s->base->cfg, s->base->params, error));
}

gboolean
study_do_run (Study *s, Run *r, gboolean trained, GError **error)
{
  GError *local = NULL;
  if (strcmp (r->kind, "base") != 0 && !trained)
    {
      s->phase = "training";
      s->phase_cost = study_train_cost (s, r);
      if (!train_run (s, r, &local))
        goto failed;
    }
  if (!probe_run (s, r, &local) || !study_finish_run (s, r, &local))
    goto failed;
  return TRUE;
failed:
  if (!g_error_matches (local, MS_ERROR, MS_ERROR_CANCELLED))
    {
      /* Recorded so that the store shows what went wrong; a later call retries. */
      ms_store_set_run_status (s->store, r->id, MS_RUN_FAILED, local->message, NULL);
      g_prefix_error (&local, "run %s: ", r->name);
    }
  else
    ms_store_set_run_status (s->store, r->id, strcmp (r->kind, "base") != 0 && !trained
                                              ? MS_RUN_PENDING : MS_RUN_TRAINED, NULL, NULL);
  g_propagate_error (error, local);
  return FALSE;
}

void
study_clear (Study *s)
{
  if (s->td)
    for (int i = 0; i < s->spec->n_tasks; i++)
      study_task_data_clear (&s->td[i]);
  g_clear_pointer (&s->td, g_free);
  study_free_canaries (s);
  study_runs_free (s->runs, s->n_runs);
  s->runs = NULL;
  g_clear_pointer (&s->gpt, ms_gpt_free);
  g_clear_pointer (&s->blas, ms_blas_free);
  g_clear_pointer (&s->dev, ms_device_free);
  g_clear_pointer (&s->base, ms_checkpoint_free);
  g_clear_pointer (&s->bpe, ms_bpe_free);
}

/* One process, one device: each run in turn. */
static gboolean
run_here (Study *s, GError **error)
{
  MsStore *store = s->store;
  const MsStudyOptions *opt = s->opt;
  if (!study_open_model (s, opt->device, error))
    return FALSE;
  for (s->current = 0; s->current < s->n_runs; s->current++)
    {
      Run *r = &s->runs[s->current];
      g_autoptr (MsStoreRun) stored = ms_store_get_run (store, r->id, error);
      if (stored == NULL)
        return FALSE;
      s->phase = "done";
      s->phase_cost = s->phase_from = 0;
      if (stored->status == MS_RUN_DONE || !study_wanted (opt, r->name))
        {
          study_emit (s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN,
                      study_wanted (opt, r->name) ? "already done" : "not selected");
          continue;
        }
      /* Another process sharing the store may be on this run: leave it to that process. */
      int owner = 0;
      if (!ms_store_lease_run (store, r->id, &owner, error))
        return FALSE;
      if (owner != 0)
        {
          g_autofree char *why = g_strdup_printf ("being run by process %d on this machine",
                                                  owner);
          study_emit (s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN, why);
          continue;
        }
      /* Read again under the lease: the other process may have finished it meanwhile. */
      g_clear_pointer (&stored, ms_store_run_free);
      if (!(stored = ms_store_get_run (store, r->id, error)))
        return FALSE;
      if (stored->status == MS_RUN_DONE)
        {
          ms_store_release_run (store, r->id);
          study_emit (s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN, "already done");
          continue;
        }
      study_emit (s, MS_STUDY_EVENT_RUN_START, 0, 0, NAN, NAN, NULL);
      gboolean ok = study_do_run (s, r, ms_run_state_has_model (stored->status), error);
      ms_store_release_run (store, r->id);
      if (!ok)
        return FALSE;
      s->done_cost += r->cost;
      s->phase_cost = s->phase_from = 0;
      study_emit (s, MS_STUDY_EVENT_RUN_DONE, 0, 0, NAN, NAN, NULL);
    }
  return TRUE;
}

gboolean
ms_study_run (const MsStudySpec *spec, MsStore *store, const MsStudyOptions *opt,
              GError **error)
{
  /* Under mpirun rank 0 coordinates and holds the store; the other ranks hold none. */
  if (ms_mpi_size () > 1)
    return study_run_mpi (spec, store, opt, error);
  g_return_val_if_fail (store != NULL, FALSE);
  Study s = { .spec = spec, .store = store, .opt = opt, .started = g_get_monotonic_time (),
              .store_path = ms_store_path (store) };
  gboolean ok = study_setup (&s, error) && run_here (&s, error);
  study_clear (&s);
  return ok;
}
