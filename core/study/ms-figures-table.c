/* The table of a study: every scored probe of its finished runs, pooled per task, run group,
 * probe and split, turned into rates and means with intervals, the held-out and base-model
 * controls, differences between them, and a comparison across tasks matched on output length. */
#include "study/ms-figures-private.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "common/ms-json.h"
#include <math.h>
#include <string.h>

#include "common/ms-error.h"

/* ---- Measures and probes ------------------------------------------------------------------ */

static const char *const measure_ids[MS_N_MEASURES] = {
  "exact", "verbatim", "paraphrase", "idea", "any", "token_match", "rouge_l", "bleu",
  "align_gen_cov", "lcs_chars",
};

const char *
ms_measure_id (MsMeasure m)
{
  return m >= 0 && m < MS_N_MEASURES ? measure_ids[m] : "?";
}

const char *
ms_measure_label (MsMeasure m)
{
  switch (m)
    {
    case MS_MEASURE_EXACT: return _("Exact extraction");
    case MS_MEASURE_VERBATIM: return _("Verbatim run ≥ 50 chars");
    case MS_MEASURE_PARAPHRASE: return _("Paraphrase");
    case MS_MEASURE_IDEA: return _("Idea");
    case MS_MEASURE_ANY: return _("Memorized (any kind)");
    case MS_MEASURE_TOKEN_MATCH: return _("Token match");
    case MS_MEASURE_ROUGE_L: return _("ROUGE-L");
    case MS_MEASURE_BLEU: return _("BLEU");
    case MS_MEASURE_ALIGN_GEN_COV: return _("Alignment coverage");
    case MS_MEASURE_LCS_CHARS: return _("Longest shared run (chars)");
    default: return "?";
    }
}

gboolean
ms_measure_is_rate (MsMeasure m)
{
  return m <= MS_MEASURE_ANY;
}

gboolean
ms_measure_parse (const char *id, MsMeasure *out, GError **error)
{
  for (int m = 0; m < MS_N_MEASURES; m++)
    if (id && strcmp (id, measure_ids[m]) == 0)
      {
        *out = (MsMeasure) m;
        return TRUE;
      }
  g_autofree char *all = g_strjoinv (", ", (char **) measure_ids);
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "unknown measure '%s' (expected one of: %s)",
               id ? id : "", all);
  return FALSE;
}

static const char *const probe_names[MS_STUDY_N_PROBES] = { "input", "target" };

const char *
ms_study_probe_name (int probe)
{
  return probe >= 0 && probe < MS_STUDY_N_PROBES ? probe_names[probe] : "?";
}

int
ms_study_probe_parse (const char *name)
{
  for (int p = 0; p < MS_STUDY_N_PROBES; p++)
    if (name && strcmp (name, probe_names[p]) == 0)
      return p;
  return -1;
}

void
ms_study_table_options_init (MsStudyTableOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->level = MS_STATS_LEVEL;
  ms_bootstrap_params_init (&opt->boot);
  opt->measure = MS_MEASURE_ANY;
  opt->length_bin_log2 = 1;
}

/* ---- Statistics -------------------------------------------------------------------------- */

static MsInterval
nan_interval (void)
{
  return (MsInterval) { NAN, NAN, NAN };
}

static gsize
cell_n (const MsStudyCell *c)
{
  return c ? c->sample_id->len : 0;
}

static const double *
cell_values (const MsStudyCell *c, MsMeasure m)
{
  return c ? (const double *) c->values[m]->data : NULL;
}

static void
stat_of (const double *v, gsize n, MsMeasure m, double level, MsStudyStat *out)
{
  out->n = (gint64) n;
  out->successes = -1;
  out->value = nan_interval ();
  if (n == 0)
    return;
  if (ms_measure_is_rate (m))
    {
      out->successes = (gint64) ms_stats_count_flagged (v, n);
      ms_stats_wilson ((guint64) out->successes, n, level, &out->value, NULL);
      return;
    }
  MsBootstrapParams p;
  ms_bootstrap_params_init (&p);
  p.level = level;
  if (n < 2)
    {
      out->value.estimate = v[0];
      return;
    }
  ms_stats_mean (v, n, MS_CI_T, &p, &out->value, NULL);
  /* Scores live in [0, 1] (lengths in [0, inf)); a t interval near the edge can cross it. */
  out->value.lower = MAX (out->value.lower, 0);
  if (m != MS_MEASURE_LCS_CHARS)
    out->value.upper = MIN (out->value.upper, 1);
}

/* A - B of measure M on two cells, as independent samples: Newcombe for rates, the two-sample
 * bootstrap for means (ms_stats_diff_independent, the app's compare view's interval too). */
static MsInterval
cell_diff (const MsStudyCell *a, const MsStudyCell *b, MsMeasure m, const MsStudyTableOptions *o)
{
  MsInterval out;
  /* o->boot.level is o->level (ms_study_table_new). */
  if (!ms_stats_diff_independent (ms_measure_is_rate (m), cell_values (a, m), cell_n (a),
                                  cell_values (b, m), cell_n (b), &o->boot, &out, NULL))
    out = nan_interval ();
  return out;
}

/* ---- Reading the store -------------------------------------------------------------------- */

static void
cell_init (MsStudyCell *c)
{
  c->sample_id = g_array_new (FALSE, FALSE, sizeof (gint64));
  c->length = g_array_new (FALSE, FALSE, sizeof (double));
  for (int m = 0; m < MS_N_MEASURES; m++)
    c->values[m] = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
cell_clear (MsStudyCell *c)
{
  if (c->sample_id == NULL)
    return;
  g_array_unref (c->sample_id);
  g_array_unref (c->length);
  for (int m = 0; m < MS_N_MEASURES; m++)
    g_array_unref (c->values[m]);
}

static void
cell_add (MsStudyCell *c, const MsStoreResult *r)
{
  const MsStoreScores *s = &r->scores;
  double v[MS_N_MEASURES] = {
    [MS_MEASURE_EXACT] = s->exact ? 1 : 0,
    [MS_MEASURE_VERBATIM] = s->verbatim ? 1 : 0,
    [MS_MEASURE_PARAPHRASE] = s->paraphrase ? 1 : 0,
    [MS_MEASURE_IDEA] = s->idea ? 1 : 0,
    [MS_MEASURE_ANY] = (s->verbatim || s->paraphrase || s->idea) ? 1 : 0,
    [MS_MEASURE_TOKEN_MATCH] = s->token_match,
    [MS_MEASURE_ROUGE_L] = s->rouge_l,
    [MS_MEASURE_BLEU] = s->bleu,
    [MS_MEASURE_ALIGN_GEN_COV] = s->align_gen_cov,
    [MS_MEASURE_LCS_CHARS] = (double) s->lcs_chars,
  };
  double len = (double) r->output_tokens;
  g_array_append_val (c->sample_id, r->sample_id);
  g_array_append_val (c->length, len);
  for (int m = 0; m < MS_N_MEASURES; m++)
    g_array_append_val (c->values[m], v[m]);
}

static MsStudyTablePriv *
priv_of (const MsStudyTable *t)
{
  return t->priv;
}

const MsStudyCell *
ms_study_table_cell (const MsStudyTable *t, int task, int group, int probe, int split)
{
  if (task < 0 || task >= t->n_tasks || group < 0 || group >= t->n_groups || probe < 0
      || probe >= MS_STUDY_N_PROBES || split < 0 || split >= MS_N_SPLITS)
    return NULL;
  gsize i = (((gsize) task * t->n_groups + group) * MS_STUDY_N_PROBES + probe) * MS_N_SPLITS
            + split;
  return &priv_of (t)->cells[i];
}

static MsStudyCell *
cell_mut (MsStudyTable *t, int task, int group, int probe, int split)
{
  return (MsStudyCell *) ms_study_table_cell (t, task, group, probe, split);
}

const MsStudyRow *
ms_study_table_row (const MsStudyTable *t, int task, int group, int probe, MsMeasure m)
{
  if (task < 0 || task >= t->n_tasks || group < 0 || group >= t->n_groups || probe < 0
      || probe >= MS_STUDY_N_PROBES || m < 0 || m >= MS_N_MEASURES)
    return NULL;
  return &t->rows[(((gsize) task * t->n_groups + group) * MS_STUDY_N_PROBES + probe)
                  * MS_N_MEASURES + m];
}

const MsStudyMatch *
ms_study_table_match (const MsStudyTable *t, int probe, MsMeasure m, int task)
{
  if (task < 0 || task >= t->n_tasks || probe < 0 || probe >= MS_STUDY_N_PROBES || m < 0
      || m >= MS_N_MEASURES)
    return NULL;
  return &t->matches[((gsize) probe * MS_N_MEASURES + m) * t->n_tasks + task];
}

const double *
ms_study_table_values (const MsStudyTable *t, int task, int group, int probe, int split,
                       MsMeasure m, gsize *n)
{
  const MsStudyCell *c = ms_study_table_cell (t, task, group, probe, split);
  *n = cell_n (c);
  return *n && m >= 0 && m < MS_N_MEASURES ? cell_values (c, m) : NULL;
}

int
ms_study_table_find_task (const MsStudyTable *t, const char *name)
{
  for (int i = 0; i < t->n_tasks; i++)
    if (name && strcmp (t->tasks[i].name, name) == 0)
      return i;
  return -1;
}

int
ms_study_table_find_group (const MsStudyTable *t, const char *id)
{
  for (int i = 0; i < t->n_groups; i++)
    if (id && strcmp (t->groups[i].id, id) == 0)
      return i;
  return -1;
}

int
ms_study_table_group_of_kind (const MsStudyTable *t, MsGroupKind kind)
{
  for (int i = 0; i < t->n_groups; i++)
    if (t->groups[i].kind == kind)
      return i;
  return -1;
}

int
ms_study_table_default_probe (const MsStudyTable *t)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (t->study && t->study->settings_json
      && ms_json_parser_load (parser, t->study->settings_json, -1, NULL))
    {
      JsonNode *root = json_parser_get_root (parser);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
      JsonObject *ft = o && json_object_has_member (o, "finetune")
                       && JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "finetune"))
                       ? json_object_get_object_member (o, "finetune") : NULL;
      const char *loss = ft ? json_object_get_string_member_with_default (ft, "loss", NULL)
                            : NULL;
      if (loss && strcmp (loss, "response") == 0)
        return 1;
    }
  return 0;
}

/* The task names of a run's tasks_json; NULL when it is not an array of strings. */
static char **
run_task_names (const MsStoreRun *r)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!r->tasks_json || !ms_json_parser_load (parser, r->tasks_json, -1, NULL))
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  JsonArray *a = json_node_get_array (root);
  GStrvBuilder *b = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
        g_strv_builder_add (b, json_node_get_string (e));
    }
  char **out = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return out;
}

static int
group_of_run (const MsStudyTable *t, const MsStoreRun *r)
{
  if (strcmp (r->kind, "single") == 0)
    return ms_study_table_group_of_kind (t, MS_GROUP_SINGLE);
  if (strcmp (r->kind, "base") == 0)
    return ms_study_table_group_of_kind (t, MS_GROUP_BASE);
  for (int i = 0; i < t->n_groups; i++)
    if (t->groups[i].kind == MS_GROUP_MIXTURE
        && g_strcmp0 (t->groups[i].mixture, r->mixture ? r->mixture : "") == 0)
      return i;
  return -1;
}

/* The groups, from every run of the study (finished or not, so that the columns do not come
 * and go as a study progresses): single, the mixtures by name, base. */
static void
make_groups (MsStudyTable *t)
{
  gboolean has_single = FALSE, has_base = FALSE;
  g_autoptr (GPtrArray) mixtures = g_ptr_array_new ();
  for (guint i = 0; i < t->runs->len; i++)
    {
      const MsStoreRun *r = t->runs->pdata[i];
      if (strcmp (r->kind, "single") == 0)
        has_single = TRUE;
      else if (strcmp (r->kind, "base") == 0)
        has_base = TRUE;
      else
        {
          const char *m = r->mixture ? r->mixture : "";
          gboolean seen = FALSE;
          for (guint k = 0; k < mixtures->len && !seen; k++)
            seen = strcmp (mixtures->pdata[k], m) == 0;
          if (!seen)
            g_ptr_array_add (mixtures, (gpointer) m);
        }
    }
  t->n_groups = (has_single ? 1 : 0) + (int) mixtures->len + (has_base ? 1 : 0);
  t->groups = g_new0 (MsStudyGroup, MAX (t->n_groups, 1));
  int g = 0;
  if (has_single)
    t->groups[g++] = (MsStudyGroup) { g_strdup ("single"), MS_GROUP_SINGLE, NULL,
                                      g_strdup (_("Single-task")) };
  for (guint k = 0; k < mixtures->len; k++)
    {
      const char *m = mixtures->pdata[k];
      t->groups[g++] = (MsStudyGroup) { g_strdup_printf ("mix/%s", m), MS_GROUP_MIXTURE,
                                        g_strdup (m),
                                        g_strdup_printf (_("Mixture “%s”"), m) };
    }
  if (has_base)
    t->groups[g++] = (MsStudyGroup) { g_strdup ("base"), MS_GROUP_BASE, NULL,
                                      g_strdup (_("Base model")) };
  for (g = 0; g < t->n_groups; g++)
    t->groups[g].covers = g_new0 (gboolean, MAX (t->n_tasks, 1));

  g_autofree GPtrArray **names = g_new0 (GPtrArray *, MAX (t->n_groups, 1));
  for (g = 0; g < t->n_groups; g++)
    names[g] = g_ptr_array_new ();
  for (guint i = 0; i < t->runs->len; i++)
    {
      const MsStoreRun *r = t->runs->pdata[i];
      g = group_of_run (t, r);
      if (g < 0)
        continue;
      if (t->groups[g].kind == MS_GROUP_BASE)
        for (int k = 0; k < t->n_tasks; k++)
          t->groups[g].covers[k] = TRUE;
      else
        {
          g_auto (GStrv) tasks = run_task_names (r);
          for (int j = 0; tasks && tasks[j]; j++)
            {
              int k = ms_study_table_find_task (t, tasks[j]);
              if (k >= 0)
                t->groups[g].covers[k] = TRUE;
            }
        }
      if (r->status == MS_RUN_DONE)
        g_ptr_array_add (names[g], g_strdup (r->name));
    }
  for (g = 0; g < t->n_groups; g++)
    {
      t->groups[g].n_runs = (int) names[g]->len;
      g_ptr_array_add (names[g], NULL);
      t->groups[g].runs = (char **) g_ptr_array_free (names[g], FALSE);
    }
}

static gboolean
read_results (MsStudyTable *t, MsStore *store, GError **error)
{
  MsStoreFilter filter = { .study = t->study->name };
  g_autoptr (MsStoreResults) res = ms_store_results (store, &filter, error);
  if (res == NULL)
    return FALSE;
  g_autoptr (GHashTable) run_group = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                            g_free, NULL);
  for (guint i = 0; i < t->runs->len; i++)
    {
      const MsStoreRun *r = t->runs->pdata[i];
      int g = group_of_run (t, r);
      if (g >= 0 && r->status == MS_RUN_DONE)
        g_hash_table_insert (run_group, g_memdup2 (&r->id, sizeof r->id), GINT_TO_POINTER (g + 1));
    }
  /* Distinct eligible samples per (task, probe, split). */
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (gsize i = 0; i < res->n; i++)
    {
      const MsStoreResult *r = &res->rows[i];
      int g = GPOINTER_TO_INT (g_hash_table_lookup (run_group, &r->run_id)) - 1;
      int task = -1;
      for (int k = 0; k < t->n_tasks && task < 0; k++)
        if (t->tasks[k].id == r->task_id)
          task = k;
      int probe = ms_study_probe_parse (r->probe);
      int split = strcmp (r->split, "train") == 0 ? MS_SPLIT_TRAIN : MS_SPLIT_HELDOUT;
      if (g < 0 || task < 0 || probe < 0)
        continue;
      cell_add (cell_mut (t, task, g, probe, split), r);
      char *key = g_strdup_printf ("%d/%d/%d/%" G_GINT64_FORMAT, task, probe, split,
                                   r->sample_id);
      if (g_hash_table_add (seen, key))
        t->tasks[task].eligible[probe][split]++;
    }
  return TRUE;
}

/* ---- Computing ------------------------------------------------------------------------------ */

static void
compute_rows (MsStudyTable *t)
{
  const MsStudyTableOptions *o = &t->options;
  int single = ms_study_table_group_of_kind (t, MS_GROUP_SINGLE);
  int base = ms_study_table_group_of_kind (t, MS_GROUP_BASE);
  for (int k = 0; k < t->n_tasks; k++)
    for (int g = 0; g < t->n_groups; g++)
      for (int p = 0; p < MS_STUDY_N_PROBES; p++)
        for (int m = 0; m < MS_N_MEASURES; m++)
          {
            MsStudyRow *row = (MsStudyRow *) ms_study_table_row (t, k, g, p, m);
            const MsStudyCell *tr = ms_study_table_cell (t, k, g, p, MS_SPLIT_TRAIN);
            const MsStudyCell *ho = ms_study_table_cell (t, k, g, p, MS_SPLIT_HELDOUT);
            const MsStudyCell *bs = ms_study_table_cell (t, k, base, p, MS_SPLIT_TRAIN);
            const MsStudyCell *sg = ms_study_table_cell (t, k, single, p, MS_SPLIT_TRAIN);
            *row = (MsStudyRow) { .task = k, .group = g, .probe = p, .measure = m };
            stat_of (cell_values (tr, m), cell_n (tr), m, o->level, &row->train);
            stat_of (cell_values (ho, m), cell_n (ho), m, o->level, &row->heldout);
            stat_of (cell_values (bs, m), cell_n (bs), m, o->level, &row->base);
            row->minus_heldout = cell_diff (tr, ho, m, o);
            row->minus_base = g != base ? cell_diff (tr, bs, m, o) : nan_interval ();
            row->minus_single = t->groups[g].kind == MS_GROUP_MIXTURE
                                ? cell_diff (tr, sg, m, o) : nan_interval ();
          }
}

/* log2 of the output length (at least 1 token), the scale the length bins are cut on. */
static double
log_length (double tokens)
{
  return log2 (MAX (tokens, 1.0));
}

static void
compute_bins (MsStudyTable *t)
{
  int single = ms_study_table_group_of_kind (t, MS_GROUP_SINGLE);
  double w = t->options.length_bin_log2;
  for (int p = 0; p < MS_STUDY_N_PROBES; p++)
    for (int m = 0; m < MS_N_MEASURES; m++)
      for (int k = 0; k < t->n_tasks; k++)
        {
          const MsStudyCell *c = ms_study_table_cell (t, k, single, p, MS_SPLIT_TRAIN);
          gsize n = cell_n (c);
          if (n == 0)
            continue;
          const double *len = (const double *) c->length->data, *v = cell_values (c, m);
          gint64 bmin = G_MAXINT64, bmax = G_MININT64;
          for (gsize i = 0; i < n; i++)
            {
              gint64 b = (gint64) floor (log_length (len[i]) / w);
              bmin = MIN (bmin, b);
              bmax = MAX (bmax, b);
            }
          g_autofree double *sel = g_new (double, n);
          for (gint64 b = bmin; b <= bmax; b++)
            {
              gsize ns = 0;
              for (gsize i = 0; i < n; i++)
                if ((gint64) floor (log_length (len[i]) / w) == b)
                  sel[ns++] = v[i];
              if (ns == 0)
                continue;
              MsStudyBin bin = { .task = k, .probe = p, .measure = m };
              /* Integer token counts whose log2 falls in [b w, (b + 1) w). */
              bin.lo = b <= 0 ? 0 : (gint64) ceil (exp2 ((double) b * w));
              bin.hi = (gint64) ceil (exp2 ((double) (b + 1) * w)) - 1;
              stat_of (sel, ns, m, t->options.level, &bin.stat);
              g_array_append_val (t->bins, bin);
            }
        }
}

static void
compute_matches (MsStudyTable *t)
{
  int single = ms_study_table_group_of_kind (t, MS_GROUP_SINGLE);
  const MsStudyTableOptions *o = &t->options;
  MsMatchParams mp;
  ms_match_params_init (&mp, o->length_bin_log2);
  mp.boot = o->boot;
  for (int p = 0; p < MS_STUDY_N_PROBES; p++)
    {
      /* The reference: named, or the lowest headline rate of a task with eligible samples. */
      int ref = t->reference_name ? ms_study_table_find_task (t, t->reference_name) : -1;
      if (t->reference_name == NULL)
        {
          double best = INFINITY;
          for (int k = 0; k < t->n_tasks; k++)
            {
              const MsStudyRow *row = ms_study_table_row (t, k, single, p, o->measure);
              if (row && row->train.n > 0 && row->train.value.estimate < best)
                best = row->train.value.estimate, ref = k;
            }
        }
      t->reference[p] = ref;
      for (int m = 0; m < MS_N_MEASURES; m++)
        for (int k = 0; k < t->n_tasks; k++)
          {
            MsStudyMatch *mt = (MsStudyMatch *) ms_study_table_match (t, p, m, k);
            *mt = (MsStudyMatch) { .task = k, .reference = ref, .probe = p, .measure = m,
                                   .raw_task = NAN, .raw_reference = NAN,
                                   .raw_diff = nan_interval () };
            mt->matched.rate_a = mt->matched.rate_b = NAN;
            mt->matched.diff = nan_interval ();
            const MsStudyCell *a = ms_study_table_cell (t, k, single, p, MS_SPLIT_TRAIN);
            const MsStudyCell *b = ms_study_table_cell (t, ref, single, p, MS_SPLIT_TRAIN);
            mt->n_task = (gint64) cell_n (a);
            mt->n_reference = (gint64) cell_n (b);
            if (mt->n_task > 0)
              mt->raw_task = ms_stats_mean_of (cell_values (a, m), cell_n (a));
            if (mt->n_reference > 0)
              mt->raw_reference = ms_stats_mean_of (cell_values (b, m), cell_n (b));
            if (k == ref)
              {
                mt->status = MS_MATCH_REFERENCE;
                continue;
              }
            if (mt->n_task == 0 || mt->n_reference == 0)
              {
                mt->status = MS_MATCH_NO_DATA;
                continue;
              }
            mt->raw_diff = cell_diff (a, b, m, o);
            gsize na = cell_n (a), nb = cell_n (b);
            g_autofree double *la = g_new (double, na), *lb = g_new (double, nb);
            for (gsize i = 0; i < na; i++)
              la[i] = log_length (g_array_index (a->length, double, i));
            for (gsize i = 0; i < nb; i++)
              lb[i] = log_length (g_array_index (b->length, double, i));
            if (ms_stats_length_matched (la, cell_values (a, m), na, lb, cell_values (b, m), nb,
                                         &mp, &mt->matched, NULL))
              mt->status = MS_MATCH_OK;
            else
              {
                /* No bin holds both (the other failures cannot happen on finite scores). */
                mt->status = MS_MATCH_NO_OVERLAP;
                mt->matched = (MsMatchResult) { .rate_a = NAN, .rate_b = NAN,
                                                .diff = nan_interval () };
              }
          }
    }
}

/* ---- Building and freeing --------------------------------------------------------------- */

MsStudyTable *
ms_study_table_new (MsStore *store, const char *name, const MsStudyTableOptions *opt,
                    GError **error)
{
  MsStudyTableOptions defaults;
  if (opt == NULL)
    {
      ms_study_table_options_init (&defaults);
      opt = &defaults;
    }
  if (!(opt->level > 0 && opt->level < 1) || !(opt->length_bin_log2 > 0)
      || opt->measure < 0 || opt->measure >= MS_N_MEASURES)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "study table options: level %g must be in (0, 1), the length bin width %g "
                   "positive", opt->level, opt->length_bin_log2);
      return NULL;
    }
  MsStoreStudy *study = ms_store_get_study (store, name, error);
  if (study == NULL)
    return NULL;
  g_autoptr (MsStudyTable) t = g_new0 (MsStudyTable, 1);
  t->study = study;
  t->options = *opt;
  t->options.boot.level = opt->level;
  t->reference_name = g_strdup (opt->reference_task);
  t->options.reference_task = t->reference_name;
  t->bins = g_array_new (FALSE, TRUE, sizeof (MsStudyBin));
  MsStudyTablePriv *priv = g_new0 (MsStudyTablePriv, 1);
  t->priv = priv;

  g_autoptr (GPtrArray) tasks = ms_store_list_tasks (store, study->id, error);
  if (tasks == NULL || !(t->runs = ms_store_list_runs (store, study->id, error)))
    return NULL;
  t->n_tasks = (int) tasks->len;
  t->tasks = g_new0 (MsStudyTask, MAX (t->n_tasks, 1));
  for (int k = 0; k < t->n_tasks; k++)
    {
      const MsStoreTask *st = tasks->pdata[k];
      MsStudyTask *tk = &t->tasks[k];
      tk->name = g_strdup (st->name);
      tk->id = st->id;
      tk->n_train = st->n_train;
      tk->n_heldout = st->n_heldout;
      tk->n_samples[MS_SPLIT_TRAIN] = st->n_samples_train;
      tk->n_samples[MS_SPLIT_HELDOUT] = st->n_samples_heldout;
    }
  if (t->reference_name && ms_study_table_find_task (t, t->reference_name) < 0)
    {
      g_autoptr (GString) names = g_string_new (NULL);
      for (int k = 0; k < t->n_tasks; k++)
        g_string_append_printf (names, "%s%s", k ? ", " : "", t->tasks[k].name);
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "study '%s' has no task '%s' to use as the reference (tasks: %s)",
                   study->name, t->reference_name, names->str);
      return NULL;
    }
  t->n_runs = (int) t->runs->len;
  for (guint i = 0; i < t->runs->len; i++)
    t->n_finished += ((MsStoreRun *) t->runs->pdata[i])->status == MS_RUN_DONE;
  make_groups (t);
  for (int g = 0; g < t->n_groups; g++)
    t->pooled_seeds |= t->groups[g].n_runs > 1;

  priv->n_cells = (gsize) t->n_tasks * t->n_groups * MS_STUDY_N_PROBES * MS_N_SPLITS;
  priv->cells = g_new0 (MsStudyCell, MAX (priv->n_cells, 1));
  for (gsize i = 0; i < priv->n_cells; i++)
    cell_init (&priv->cells[i]);
  t->rows = g_new0 (MsStudyRow, MAX ((gsize) t->n_tasks * t->n_groups * MS_STUDY_N_PROBES
                                     * MS_N_MEASURES, 1));
  t->matches = g_new0 (MsStudyMatch, MAX ((gsize) MS_STUDY_N_PROBES * MS_N_MEASURES
                                          * t->n_tasks, 1));
  if (!read_results (t, store, error))
    return NULL;
  compute_rows (t);
  compute_bins (t);
  compute_matches (t);
  return g_steal_pointer (&t);
}

void
ms_study_table_free (MsStudyTable *t)
{
  if (t == NULL)
    return;
  MsStudyTablePriv *priv = t->priv;
  if (priv)
    {
      for (gsize i = 0; i < priv->n_cells; i++)
        cell_clear (&priv->cells[i]);
      g_free (priv->cells);
      g_free (priv);
    }
  for (int k = 0; k < t->n_tasks; k++)
    g_free (t->tasks[k].name);
  g_free (t->tasks);
  for (int g = 0; g < t->n_groups; g++)
    {
      g_free (t->groups[g].id);
      g_free (t->groups[g].mixture);
      g_free (t->groups[g].label);
      g_strfreev (t->groups[g].runs);
      g_free (t->groups[g].covers);
    }
  g_free (t->groups);
  g_free (t->rows);
  g_free (t->matches);
  if (t->bins)
    g_array_unref (t->bins);
  if (t->runs)
    g_ptr_array_unref (t->runs);
  ms_store_study_free (t->study);
  g_free (t->reference_name);
  g_free (t);
}
