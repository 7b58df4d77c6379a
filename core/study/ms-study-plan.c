/* The run plan of a study: the grid of runs a spec asks for, the data each needs (tasks
 * loaded and tokenized, canaries made, all written to the store before the first run), what a
 * run records of its settings, and what each run costs for the progress estimate. */
#include "study/ms-study-private.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "common/ms-json.h"

void
study_runs_free (Run *runs, int n)
{
  for (int i = 0; i < n; i++)
    {
      g_free (runs[i].name);
      g_free (runs[i].tasks);
    }
  g_free (runs);
}

/* The grid: the base model, then for each seed the single-task runs and the mixtures. */
Run *
study_plan_runs (const MsStudySpec *spec, int *n)
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
            r.tasks[j] = ms_study_spec_task_index (spec, mx->tasks[j]);
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
  Run *runs = study_plan_runs (spec, &n);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n; i++)
    g_ptr_array_add (names, g_strdup (runs[i].name));
  study_runs_free (runs, n);
  return names;
}

/* ---- data and store ------------------------------------------------------------------- */

void
study_task_data_clear (TaskData *t)
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
void
study_make_canaries (Study *s)
{
  const MsStudySpec *spec = s->spec;
  s->canary_task = -1;
  if (spec->canary_task == NULL)
    return;
  s->canary_task = ms_study_spec_task_index (spec, spec->canary_task);
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

void
study_free_canaries (Study *s)
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
gboolean
study_prepare (Study *s, GError **error)
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

char *
study_run_hyper_json (const Study *s, const Run *r)
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

char *
study_run_tasks_json (const Study *s, const Run *r)
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

double
study_probe_cost (const Study *s, const Run *r)
{
  double c = 0;
  for (int i = 0; i < r->n_tasks; i++)
    {
      const TaskData *t = &s->td[r->tasks[i]];
      c += (t->train_ex->len + t->heldout_ex->len) * 2.0 * (s->spec->probe.n + 32);
    }
  return c * DECODE_COST;
}

double
study_train_cost (const Study *s, const Run *r)
{
  if (strcmp (r->kind, "base") == 0)
    return 0;
  double tokens = 0;
  for (int i = 0; i < r->n_tasks; i++)
    tokens += s->td[r->tasks[i]].train_tokens;
  double epochs = ms_study_spec_epochs (s->spec, r->mixture);
  return 3.0 * tokens * (s->spec->finetune.steps > 0 ? 1.0 : epochs);
}
