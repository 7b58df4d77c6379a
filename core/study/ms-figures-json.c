/* The study table as JSON: what `memscope report --json` prints and the report folder's
 * results.json holds. Undefined numbers (no eligible sample, a one-value mean) are null, never
 * 0, so that "nothing to measure" cannot be read as "nothing memorized". */
#include "study/ms-figures-private.h"
#include "common/ms-json.h"

#include <json-glib/json-glib.h>
#include <math.h>

static void
add_interval (JsonBuilder *b, const char *name, const MsInterval *iv)
{
  json_builder_set_member_name (b, name);
  if (!isfinite (iv->estimate))
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  ms_json_add_number (b, "estimate", iv->estimate);
  ms_json_add_number (b, "lower", iv->lower);
  ms_json_add_number (b, "upper", iv->upper);
  json_builder_end_object (b);
}

static void
add_stat (JsonBuilder *b, const char *name, const MsStudyStat *s)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  ms_json_add_int (b, "n", s->n);
  if (s->successes >= 0)
    ms_json_add_int (b, "successes", s->successes);
  ms_json_add_number (b, "estimate", s->value.estimate);
  ms_json_add_number (b, "lower", s->value.lower);
  ms_json_add_number (b, "upper", s->value.upper);
  json_builder_end_object (b);
}

static const char *
group_kind_name (MsGroupKind k)
{
  return k == MS_GROUP_SINGLE ? "single" : k == MS_GROUP_MIXTURE ? "mixture" : "base";
}

static const char *
match_status_name (MsMatchStatus s)
{
  switch (s)
    {
    case MS_MATCH_OK: return "ok";
    case MS_MATCH_REFERENCE: return "reference";
    case MS_MATCH_NO_DATA: return "no_data";
    default: return "no_overlap";
    }
}

static void
add_header (JsonBuilder *b, const MsStudyTable *t)
{
  const MsStoreStudy *st = t->study;
  ms_json_add_string (b, "study", st->name);
  ms_json_add_string (b, "spec_path", st->spec_path);
  ms_json_add_string (b, "spec_sha256", st->spec_sha256);
  ms_json_add_embedded (b, "settings", st->settings_json);
  ms_json_add_string (b, "created", st->created);
  ms_json_add_string (b, "updated", st->updated);
  ms_json_add_number (b, "level", t->options.level);
  ms_json_add_string (b, "headline_measure", ms_measure_id (t->options.measure));
  ms_json_add_string (b, "default_probe", ms_study_probe_name (ms_study_table_default_probe (t)));
  ms_json_add_bool (b, "pooled_seeds", t->pooled_seeds);
  ms_json_add_int (b, "runs_total", t->n_runs);
  ms_json_add_int (b, "runs_finished", t->n_finished);
  ms_json_add_number (b, "length_bin_log2", t->options.length_bin_log2);
  ms_json_add_int (b, "bootstrap_resamples", t->options.boot.n_resamples);

  json_builder_set_member_name (b, "runs");
  json_builder_begin_array (b);
  for (guint i = 0; i < t->runs->len; i++)
    {
      const MsStoreRun *r = t->runs->pdata[i];
      json_builder_begin_object (b);
      ms_json_add_string (b, "name", r->name);
      ms_json_add_string (b, "kind", r->kind);
      ms_json_add_string (b, "mixture", r->mixture);
      ms_json_add_int (b, "seed", r->seed);
      ms_json_add_string (b, "status", ms_run_state_name (r->status));
      ms_json_add_embedded (b, "tasks", r->tasks_json);
      ms_json_add_number (b, "final_loss", r->final_loss);
      ms_json_add_number (b, "train_seconds", r->train_seconds);
      ms_json_add_number (b, "probe_seconds", r->probe_seconds);
      ms_json_add_int (b, "generations", r->n_generations);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "tasks");
  json_builder_begin_array (b);
  for (int k = 0; k < t->n_tasks; k++)
    {
      const MsStudyTask *tk = &t->tasks[k];
      json_builder_begin_object (b);
      ms_json_add_string (b, "name", tk->name);
      ms_json_add_int (b, "n_train", tk->n_train);
      ms_json_add_int (b, "n_heldout", tk->n_heldout);
      json_builder_set_member_name (b, "samples");
      json_builder_begin_object (b);
      ms_json_add_int (b, "train", tk->n_samples[MS_SPLIT_TRAIN]);
      ms_json_add_int (b, "heldout", tk->n_samples[MS_SPLIT_HELDOUT]);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "eligible");
      json_builder_begin_object (b);
      for (int p = 0; p < MS_STUDY_N_PROBES; p++)
        {
          json_builder_set_member_name (b, ms_study_probe_name (p));
          json_builder_begin_object (b);
          ms_json_add_int (b, "train", tk->eligible[p][MS_SPLIT_TRAIN]);
          ms_json_add_int (b, "heldout", tk->eligible[p][MS_SPLIT_HELDOUT]);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "groups");
  json_builder_begin_array (b);
  for (int g = 0; g < t->n_groups; g++)
    {
      const MsStudyGroup *gr = &t->groups[g];
      json_builder_begin_object (b);
      ms_json_add_string (b, "id", gr->id);
      ms_json_add_string (b, "kind", group_kind_name (gr->kind));
      ms_json_add_string (b, "mixture", gr->mixture);
      ms_json_add_string (b, "label", gr->label);
      json_builder_set_member_name (b, "runs");
      json_builder_begin_array (b);
      for (int i = 0; i < gr->n_runs; i++)
        json_builder_add_string_value (b, gr->runs[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "tasks");
      json_builder_begin_array (b);
      for (int k = 0; k < t->n_tasks; k++)
        if (gr->covers[k])
          json_builder_add_string_value (b, t->tasks[k].name);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

char *
ms_study_table_to_json (const MsStudyTable *t)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_header (b, t);

  /* Rows of the (task, group) pairs the group trained on (the base model: every task). */
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
  for (int k = 0; k < t->n_tasks; k++)
    for (int g = 0; g < t->n_groups; g++)
      {
        if (!t->groups[g].covers[k])
          continue;
        for (int p = 0; p < MS_STUDY_N_PROBES; p++)
          for (int m = 0; m < MS_N_MEASURES; m++)
            {
              const MsStudyRow *r = ms_study_table_row (t, k, g, p, m);
              json_builder_begin_object (b);
              ms_json_add_string (b, "task", t->tasks[k].name);
              ms_json_add_string (b, "group", t->groups[g].id);
              ms_json_add_string (b, "probe", ms_study_probe_name (p));
              ms_json_add_string (b, "measure", ms_measure_id (m));
              ms_json_add_string (b, "statistic", ms_measure_is_rate (m) ? "rate" : "mean");
              add_stat (b, "train", &r->train);
              add_stat (b, "heldout", &r->heldout);
              add_stat (b, "base", &r->base);
              add_interval (b, "minus_heldout", &r->minus_heldout);
              add_interval (b, "minus_base", &r->minus_base);
              add_interval (b, "minus_single", &r->minus_single);
              json_builder_end_object (b);
            }
      }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "length_matched");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "reference");
  json_builder_begin_object (b);
  for (int p = 0; p < MS_STUDY_N_PROBES; p++)
    ms_json_add_string (b, ms_study_probe_name (p),
                        t->reference[p] >= 0 ? t->tasks[t->reference[p]].name : NULL);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
  for (int p = 0; p < MS_STUDY_N_PROBES; p++)
    for (int m = 0; m < MS_N_MEASURES; m++)
      for (int k = 0; k < t->n_tasks; k++)
        {
          const MsStudyMatch *mt = ms_study_table_match (t, p, m, k);
          if (mt->reference < 0)
            continue;
          json_builder_begin_object (b);
          ms_json_add_string (b, "probe", ms_study_probe_name (p));
          ms_json_add_string (b, "measure", ms_measure_id (m));
          ms_json_add_string (b, "task", t->tasks[k].name);
          ms_json_add_string (b, "reference", t->tasks[mt->reference].name);
          ms_json_add_string (b, "status", match_status_name (mt->status));
          json_builder_set_member_name (b, "raw");
          json_builder_begin_object (b);
          ms_json_add_int (b, "n_task", mt->n_task);
          ms_json_add_int (b, "n_reference", mt->n_reference);
          ms_json_add_number (b, "task", mt->raw_task);
          ms_json_add_number (b, "reference", mt->raw_reference);
          add_interval (b, "diff", &mt->raw_diff);
          json_builder_end_object (b);
          json_builder_set_member_name (b, "matched");
          if (mt->status == MS_MATCH_OK)
            {
              json_builder_begin_object (b);
              ms_json_add_int (b, "n_task", (gint64) mt->matched.n_a);
              ms_json_add_int (b, "n_reference", (gint64) mt->matched.n_b);
              ms_json_add_int (b, "bins", (gint64) mt->matched.n_bins);
              ms_json_add_number (b, "task", mt->matched.rate_a);
              ms_json_add_number (b, "reference", mt->matched.rate_b);
              add_interval (b, "diff", &mt->matched.diff);
              json_builder_end_object (b);
            }
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "length_bins");
  json_builder_begin_array (b);
  for (guint i = 0; i < t->bins->len; i++)
    {
      const MsStudyBin *bin = &g_array_index (t->bins, MsStudyBin, i);
      json_builder_begin_object (b);
      ms_json_add_string (b, "task", t->tasks[bin->task].name);
      ms_json_add_string (b, "probe", ms_study_probe_name (bin->probe));
      ms_json_add_string (b, "measure", ms_measure_id (bin->measure));
      ms_json_add_int (b, "tokens_min", bin->lo);
      ms_json_add_int (b, "tokens_max", bin->hi);
      ms_json_add_int (b, "n", bin->stat.n);
      if (bin->stat.successes >= 0)
        ms_json_add_int (b, "successes", bin->stat.successes);
      ms_json_add_number (b, "estimate", bin->stat.value.estimate);
      ms_json_add_number (b, "lower", bin->stat.value.lower);
      ms_json_add_number (b, "upper", bin->stat.value.upper);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return ms_json_generate (gen);
}
