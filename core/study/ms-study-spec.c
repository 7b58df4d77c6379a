/* Reading a study spec (.ini). Paths are relative to the spec's folder; unknown groups and
 * keys are errors, so that a typo does not silently fall back to a default. */
#include "ms-study.h"
#include "common/ms-json.h"

#include <json-glib/json-glib.h>
#include <string.h>

static const char *study_keys[] = { "name", "description", "base", "tokenizer", "artifacts",
                                    "seeds", NULL };
static const char *finetune_keys[] = { "epochs", "steps", "batch", "seq", "grad_accum", "lr",
                                       "schedule", "warmup", "min_lr_frac", "weight_decay",
                                       "decay", "grad_clip", "loss", "train_records",
                                       "eval_every", "save_every", NULL };
static const char *probe_keys[] = { "k", "n", "min_input", "target_max_new", "batch",
                                    "train_samples", "heldout_samples", NULL };
static const char *task_keys[] = { "train", "heldout", "template", "train_records", NULL };
static const char *mixture_keys[] = { "strategy", "tasks", "epochs", NULL };
static const char *canary_keys[] = { "task", "count", "repeats", "digits", "candidates",
                                     "prompt", "seed", NULL };
static const char *analysis_keys[] = { "mia", "mia_k", "attention", "attention_maps", "sparse",
                                       "sparse_layer", "sparse_atoms", "sparse_lambda",
                                       "sparse_error", NULL };
static const char *synthetic_keys[] = { "sparsity", "features", "lexicon", "active", "words",
                                        "seed", "train", "heldout", "template", NULL };

static gboolean
check_keys (GKeyFile *kf, const char *group, const char **allowed, const char *path,
            GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);
  for (char **k = keys; k && *k; k++)
    if (!g_strv_contains (allowed, *k))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) allowed);
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                     "%s: [%s] has an unknown key '%s' (known: %s)", path, group, *k, list);
        return FALSE;
      }
  return TRUE;
}

static char *
resolve (const char *dir, const char *p)
{
  if (p == NULL || *p == '\0')
    return NULL;
  if (g_path_is_absolute (p))
    return g_strdup (p);
  return g_canonicalize_filename (p, dir);
}

/* The largest value each integer key may take: far above any study that fits a machine, so
 * that a typo (batch = 2000000000) is refused when the spec is read instead of aborting an
 * allocation after an hour of work. Seeds and counts of candidates take any int; other keys
 * 2^24 unless named here. */
static int
int_key_max (const char *k)
{
  static const struct { const char *key; int max; } limits[] = {
    { "seed", G_MAXINT }, { "candidates", G_MAXINT }, { "auc_seed", G_MAXINT },
    { "batch", 4096 }, { "grad_accum", 4096 }, { "seq", 1 << 16 }, { "k", 1 << 16 },
    { "n", 1 << 16 }, { "target_max_new", 1 << 16 }, { "digits", 18 },
    { "sparse_atoms", 1 << 16 }, { "sparse_layer", 1 << 12 }, { "count", 1 << 16 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (limits); i++)
    if (strcmp (limits[i].key, k) == 0)
      return limits[i].max;
  return 1 << 24;
}

/* Names from a spec become folder names (memscope-runs/STUDY/single/TASK/...), so they must
 * be plain: letters, digits, '-', '_' and '.', not starting with '.', at most 64 bytes. */
static gboolean
check_name (const char *name, const char *what, const char *path, GError **error)
{
  gsize n = strlen (name);
  gboolean ok = n > 0 && n <= 64 && name[0] != '.';
  for (gsize i = 0; ok && i < n; i++)
    ok = g_ascii_isalnum (name[i]) || name[i] == '-' || name[i] == '_' || name[i] == '.';
  if (!ok)
    g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                 "%s: %s '%s' is not a plain name (letters, digits, '-', '_', '.'; not starting "
                 "with '.'; at most 64 bytes): it names a folder", path, what, name);
  return ok;
}

/* Typed getters that name the file, group and key in errors; absent keys keep DEFAULT. */
static gboolean
get_int (GKeyFile *kf, const char *g, const char *k, int min, int *out, const char *path,
         GError **error)
{
  if (!g_key_file_has_key (kf, g, k, NULL))
    return TRUE;
  int max = int_key_max (k);
  g_autofree char *raw = g_key_file_get_value (kf, g, k, NULL);
  char *end = NULL;
  gint64 v = raw ? g_ascii_strtoll (g_strstrip (raw), &end, 10) : 0;
  if (raw == NULL || end == raw || *end != '\0' || v < min || v > max)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: [%s] %s = %s: expected an integer from %d to %d", path, g, k,
                   raw ? raw : "", min, max);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

static gboolean
get_double (GKeyFile *kf, const char *g, const char *k, double min, double *out,
            const char *path, GError **error)
{
  if (!g_key_file_has_key (kf, g, k, NULL))
    return TRUE;
  g_autoptr (GError) local = NULL;
  double v = g_key_file_get_double (kf, g, k, &local);
  /* 1e6 bounds every rate, fraction and epoch count a study can mean; inf and nan fail. */
  if (local || !(v >= min) || !(v <= 1e6))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: [%s] %s: expected a number from %g to 1e6", path, g, k, min);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

/* A list written "a, b, c" or "a; b; c" (GKeyFile's own separator is ';'). */
static char **
get_list (GKeyFile *kf, const char *g, const char *k)
{
  g_autofree char *raw = g_key_file_get_value (kf, g, k, NULL);
  if (raw == NULL)
    return NULL;
  /* Not g_regex_split_simple: it answers NULL for a value that is not UTF-8. */
  g_auto (GStrv) parts = g_strsplit_set (raw, ",;", -1);
  GPtrArray *out = g_ptr_array_new ();
  for (char **p = parts; *p; p++)
    if (*g_strstrip (*p) != '\0')
      g_ptr_array_add (out, g_strdup (*p));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static char *
get_string (GKeyFile *kf, const char *g, const char *k)
{
  char *s = g_key_file_get_string (kf, g, k, NULL);
  if (s)
    g_strstrip (s);
  return s;
}

void
ms_study_spec_free (MsStudySpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->path);
  g_free (spec->text);
  g_free (spec->name);
  g_free (spec->description);
  g_free (spec->base_model);
  g_free (spec->tokenizer);
  g_free (spec->artifacts);
  g_free (spec->seeds);
  for (int i = 0; i < spec->n_tasks; i++)
    ms_task_spec_clear (&spec->tasks[i]);
  g_free (spec->tasks);
  for (int i = 0; i < spec->n_mixtures; i++)
    {
      g_free (spec->mixtures[i].name);
      g_free (spec->mixtures[i].mixer);
      g_strfreev (spec->mixtures[i].tasks);
    }
  g_free (spec->mixtures);
  g_free (spec->synth_s);
  g_free (spec->canary_task);
  g_free (spec->canary_repeats);
  g_free (spec->canary_prompt);
  g_free (spec);
}

int
ms_study_spec_task_index (const MsStudySpec *spec, const char *name)
{
  for (int i = 0; i < spec->n_tasks; i++)
    if (strcmp (spec->tasks[i].name, name) == 0)
      return i;
  return -1;
}

static gboolean
get_bool (GKeyFile *kf, const char *g, const char *k, gboolean *out, const char *path,
          GError **error)
{
  if (!g_key_file_has_key (kf, g, k, NULL))
    return TRUE;
  g_autoptr (GError) local = NULL;
  gboolean v = g_key_file_get_boolean (kf, g, k, &local);
  if (local)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: [%s] %s: expected true or false",
                   path, g, k);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
load_canaries (GKeyFile *kf, MsStudySpec *spec, GError **error)
{
  const char *g = "canaries", *p = spec->path;
  spec->canary_count = 4;
  spec->canary_digits = 6;
  spec->canary_candidates = 1000;
  int seed = 7;
  if (!check_keys (kf, g, canary_keys, p, error)
      || !get_int (kf, g, "count", 1, &spec->canary_count, p, error)
      || !get_int (kf, g, "digits", 1, &spec->canary_digits, p, error)
      || !get_int (kf, g, "candidates", 2, &spec->canary_candidates, p, error)
      || !get_int (kf, g, "seed", 0, &seed, p, error))
    return FALSE;
  spec->canary_seed = seed;
  spec->canary_task = get_string (kf, g, "task");
  spec->canary_prompt = get_string (kf, g, "prompt");
  if (spec->canary_prompt == NULL)
    spec->canary_prompt = g_strdup ("The secret number is");
  if (spec->canary_digits > 15)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: [canaries] digits: at most 15", p);
      return FALSE;
    }
  g_auto (GStrv) list = get_list (kf, g, "repeats");
  spec->n_canary_repeats = list ? g_strv_length (list) : 3;
  spec->canary_repeats = g_new (int, MAX (spec->n_canary_repeats, 1));
  for (int i = 0; i < spec->n_canary_repeats; i++)
    {
      guint64 v = (guint64[]) { 1, 4, 16 }[MIN (i, 2)];
      if (list && !g_ascii_string_to_unsigned (list[i], 10, 1, 100000, &v, NULL))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: [canaries] repeats: '%s' is not a positive integer", p, list[i]);
          return FALSE;
        }
      spec->canary_repeats[i] = v;
    }
  return TRUE;
}

static gboolean
load_analysis (GKeyFile *kf, MsStudySpec *spec, GError **error)
{
  const char *g = "analysis", *p = spec->path;
  spec->mia = TRUE;
  spec->mia_k = 0.2;
  spec->attention = TRUE;
  spec->attention_maps = 2;
  spec->sparse = FALSE;
  spec->sparse_layer = -1;
  spec->sparse_atoms = 512;
  spec->sparse_lambda = 0.1;
  spec->sparse_error = 0.2;
  if (!g_key_file_has_group (kf, g))
    return TRUE;
  return check_keys (kf, g, analysis_keys, p, error)
         && get_bool (kf, g, "mia", &spec->mia, p, error)
         && get_double (kf, g, "mia_k", 0.001, &spec->mia_k, p, error)
         && get_bool (kf, g, "attention", &spec->attention, p, error)
         && get_int (kf, g, "attention_maps", 0, &spec->attention_maps, p, error)
         && get_bool (kf, g, "sparse", &spec->sparse, p, error)
         && get_int (kf, g, "sparse_layer", -1, &spec->sparse_layer, p, error)
         && get_int (kf, g, "sparse_atoms", 2, &spec->sparse_atoms, p, error)
         && get_double (kf, g, "sparse_lambda", 0, &spec->sparse_lambda, p, error)
         && get_double (kf, g, "sparse_error", 0.001, &spec->sparse_error, p, error);
}

static gboolean
load_finetune (GKeyFile *kf, MsStudySpec *spec, int *train_records, GError **error)
{
  const char *g = "finetune", *p = spec->path;
  MsFinetuneConfig *f = &spec->finetune;
  if (!g_key_file_has_group (kf, g))
    return TRUE;
  if (!check_keys (kf, g, finetune_keys, p, error))
    return FALSE;
  g_autofree char *schedule = get_string (kf, g, "schedule");
  g_autofree char *loss = get_string (kf, g, "loss");
  g_autofree char *decay = get_string (kf, g, "decay");
  if (!get_double (kf, g, "epochs", 0.01, &f->epochs, p, error)
      || !get_int (kf, g, "steps", 0, &f->steps, p, error)
      || !get_int (kf, g, "batch", 1, &f->B, p, error)
      || !get_int (kf, g, "seq", 2, &f->T, p, error)
      || !get_int (kf, g, "grad_accum", 1, &f->grad_accum, p, error)
      || !get_double (kf, g, "lr", 1e-12, &f->schedule.lr, p, error)
      || !get_int (kf, g, "warmup", 0, &f->schedule.warmup_steps, p, error)
      || !get_double (kf, g, "min_lr_frac", 0, &f->schedule.min_lr_frac, p, error)
      || !get_double (kf, g, "weight_decay", 0, &f->adamw.weight_decay, p, error)
      || !get_double (kf, g, "grad_clip", 0, &f->adamw.grad_clip, p, error)
      || !get_int (kf, g, "train_records", 0, train_records, p, error)
      || !get_int (kf, g, "eval_every", 0, &f->eval_every, p, error)
      || !get_int (kf, g, "save_every", 0, &f->save_every, p, error))
    return FALSE;
  if (schedule && !ms_schedule_kind_parse (schedule, &f->schedule.kind, error))
    {
      g_prefix_error (error, "%s: [finetune] schedule: ", p);
      return FALSE;
    }
  if (loss && strcmp (loss, "response") != 0 && strcmp (loss, "sequence") != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: [finetune] loss: expected 'response' or 'sequence', got '%s'", p, loss);
      return FALSE;
    }
  f->response_only = loss == NULL || strcmp (loss, "response") == 0;
  if (decay && strcmp (decay, "all") != 0 && strcmp (decay, "matrices") != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: [finetune] decay: expected 'all' or 'matrices', got '%s'", p, decay);
      return FALSE;
    }
  f->adamw.decay_all = decay && strcmp (decay, "all") == 0;
  return TRUE;
}

/* [synthetic]: tasks "synth-sS" for each support size S, generated into the user's cache in
 * a folder named by the family's settings. */
static gboolean
load_synthetic (GKeyFile *kf, MsStudySpec *spec, int train_records, GError **error)
{
  const char *g = "synthetic", *p = spec->path;
  ms_synth_config_init (&spec->synth);
  spec->synth_train = train_records > 0 ? train_records : 256;
  spec->synth_heldout = 128;
  int seed = 1;
  if (!check_keys (kf, g, synthetic_keys, p, error)
      || !get_int (kf, g, "features", 1, &spec->synth.features, p, error)
      || !get_int (kf, g, "lexicon", 1, &spec->synth.lexicon, p, error)
      || !get_int (kf, g, "active", 1, &spec->synth.active, p, error)
      || !get_int (kf, g, "words", 1, &spec->synth.words, p, error)
      || !get_int (kf, g, "seed", 0, &seed, p, error)
      || !get_int (kf, g, "train", 1, &spec->synth_train, p, error)
      || !get_int (kf, g, "heldout", 0, &spec->synth_heldout, p, error))
    return FALSE;
  spec->synth.seed = seed;
  g_auto (GStrv) list = get_list (kf, g, "sparsity");
  if (list == NULL || list[0] == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: [synthetic] needs sparsity, a list of support sizes such as 1, 4, 16", p);
      return FALSE;
    }
  g_autofree char *tpl = get_string (kf, g, "template");
  g_autofree char *dir = g_strdup_printf ("%s/memscope/synthetic/F%d-L%d-m%d-w%d-seed%d-n%d-%d",
                                          g_get_user_cache_dir (), spec->synth.features,
                                          spec->synth.lexicon, spec->synth.active,
                                          spec->synth.words, seed, spec->synth_train,
                                          spec->synth_heldout);
  spec->n_synth = g_strv_length (list);
  spec->synth_s = g_new (int, spec->n_synth);
  spec->tasks = g_new0 (MsTaskSpec, spec->n_synth);
  spec->n_tasks = spec->n_synth;
  for (int i = 0; i < spec->n_synth; i++)
    {
      guint64 v;
      if (!g_ascii_string_to_unsigned (list[i], 10, 1, spec->synth.features, &v, NULL))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: [synthetic] sparsity: '%s' is not between 1 and features (%d)", p,
                       list[i], spec->synth.features);
          return FALSE;
        }
      spec->synth_s[i] = v;
      MsTaskSpec *t = &spec->tasks[i];
      t->name = g_strdup_printf ("synth-s%d", (int) v);
      t->train_path = g_strdup_printf ("%s/%s.train.jsonl", dir, t->name);
      t->heldout_path = spec->synth_heldout > 0 ? g_strdup_printf ("%s/%s.heldout.jsonl", dir,
                                                                   t->name) : NULL;
      t->template_text = ms_template_unescape (tpl ? tpl : "{input}\nFeature: {output}");
      t->max_train = spec->synth_train;
    }
  return TRUE;
}

gboolean
ms_study_spec_make_synthetic (const MsStudySpec *spec, GError **error)
{
  for (int i = 0; i < spec->n_synth; i++)
    {
      const MsTaskSpec *t = &spec->tasks[i];
      if (g_file_test (t->train_path, G_FILE_TEST_EXISTS)
          && (!t->heldout_path || g_file_test (t->heldout_path, G_FILE_TEST_EXISTS)))
        continue;
      g_autofree char *held = t->heldout_path ? g_strdup (t->heldout_path)
                                              : g_strconcat (t->train_path, ".unused", NULL);
      if (!ms_synth_write_task (&spec->synth, spec->synth_s[i], t->name, spec->synth_train,
                                spec->synth_heldout, t->train_path, held, error))
        return FALSE;
    }
  return TRUE;
}

MsStudySpec *
ms_study_spec_load (const char *path, GError **error)
{
  g_autoptr (MsStudySpec) spec = g_new0 (MsStudySpec, 1);
  spec->path = g_canonicalize_filename (path, NULL);
  gsize len;
  if (!g_file_get_contents (path, &spec->text, &len, error))
    return NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  if (!g_key_file_load_from_data (kf, spec->text, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: %s", path, local->message);
      return NULL;
    }
  g_autofree char *dir = g_path_get_dirname (spec->path);
  const char *p = spec->path;

  if (!g_key_file_has_group (kf, "study"))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: no [study] group", p);
      return NULL;
    }
  if (!check_keys (kf, "study", study_keys, p, error))
    return NULL;
  spec->name = get_string (kf, "study", "name");
  spec->description = get_string (kf, "study", "description");
  g_autofree char *base = get_string (kf, "study", "base");
  g_autofree char *tok = get_string (kf, "study", "tokenizer");
  g_autofree char *artifacts = get_string (kf, "study", "artifacts");
  if (spec->name == NULL || *spec->name == '\0' || base == NULL || tok == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: [study] needs name, base (the base model) and tokenizer", p);
      return NULL;
    }
  if (!check_name (spec->name, "[study] name", p, error))
    return NULL;
  spec->base_model = resolve (dir, base);
  spec->tokenizer = resolve (dir, tok);
  spec->artifacts = resolve (dir, artifacts);
  g_auto (GStrv) seeds = get_list (kf, "study", "seeds");
  spec->n_seeds = seeds ? g_strv_length (seeds) : 1;
  spec->seeds = g_new (guint64, MAX (spec->n_seeds, 1));
  for (int i = 0; seeds && i < spec->n_seeds; i++)
    if (!g_ascii_string_to_unsigned (seeds[i], 10, 0, G_MAXINT64, &spec->seeds[i], NULL))
      spec->n_seeds = 0;
  if (spec->n_seeds == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: [study] seeds: expected a list of integers such as 1, 2, 3", p);
      return NULL;
    }
  if (!seeds)
    spec->seeds[0] = 1;

  ms_finetune_config_init (&spec->finetune);
  int train_records = 0;
  if (!load_finetune (kf, spec, &train_records, error))
    return NULL;
  ms_probe_config_init (&spec->probe);
  spec->probe_train = 100;
  spec->probe_heldout = 100;
  if (g_key_file_has_group (kf, "probe")
      && (!check_keys (kf, "probe", probe_keys, p, error)
          || !get_int (kf, "probe", "k", 1, &spec->probe.k, p, error)
          || !get_int (kf, "probe", "n", 1, &spec->probe.n, p, error)
          || !get_int (kf, "probe", "min_input", 0, &spec->probe.min_input, p, error)
          || !get_int (kf, "probe", "target_max_new", 1, &spec->probe.target_max_new, p, error)
          || !get_int (kf, "probe", "batch", 1, &spec->probe.batch, p, error)
          || !get_int (kf, "probe", "train_samples", 0, &spec->probe_train, p, error)
          || !get_int (kf, "probe", "heldout_samples", 0, &spec->probe_heldout, p, error)))
    return NULL;

  if (!load_analysis (kf, spec, error)
      || (g_key_file_has_group (kf, "canaries") && !load_canaries (kf, spec, error)))
    return NULL;

  /* The synthetic family first: its tasks come before the others. */
  if (g_key_file_has_group (kf, "synthetic") && !load_synthetic (kf, spec, train_records, error))
    return NULL;

  /* Tasks and mixtures, in file order. */
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);
  GArray *tasks = g_array_new (FALSE, TRUE, sizeof (MsTaskSpec));
  g_array_append_vals (tasks, spec->tasks, spec->n_tasks);
  g_clear_pointer (&spec->tasks, g_free);
  GArray *mixtures = g_array_new (FALSE, TRUE, sizeof (MsStudyMixture));
  gboolean ok = TRUE;
  for (char **g = groups; ok && *g; g++)
    {
      if (g_str_has_prefix (*g, "task:"))
        {
          MsTaskSpec t = { .name = g_strdup (*g + 5), .max_train = train_records };
          g_autofree char *train = get_string (kf, *g, "train");
          g_autofree char *held = get_string (kf, *g, "heldout");
          g_autofree char *tpl = get_string (kf, *g, "template");
          t.train_path = resolve (dir, train);
          t.heldout_path = resolve (dir, held);
          t.template_text = tpl ? ms_template_unescape (tpl) : NULL;
          g_array_append_val (tasks, t);
          ok = check_keys (kf, *g, task_keys, p, error)
               && get_int (kf, *g, "train_records", 0,
                           &g_array_index (tasks, MsTaskSpec, tasks->len - 1).max_train, p, error);
          if (ok && (t.train_path == NULL || *t.name == '\0'))
            {
              g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: [%s] needs a name and train", p,
                           *g);
              ok = FALSE;
            }
          ok = ok && check_name (t.name, "task", p, error);
        }
      else if (g_str_has_prefix (*g, "mixture:"))
        {
          MsStudyMixture m = { .name = g_strdup (*g + 8) };
          ok = check_name (m.name, "mixture", p, error);
          m.mixer = get_string (kf, *g, "strategy");
          if (m.mixer == NULL)
            m.mixer = g_strdup ("proportional");
          m.tasks = get_list (kf, *g, "tasks");
          ok = ok && get_double (kf, *g, "epochs", 0.01, &m.epochs, p, error);
          g_array_append_val (mixtures, m);
          ok = ok && check_keys (kf, *g, mixture_keys, p, error);
        }
      else if (!g_strv_contains ((const char *[]) { "study", "finetune", "probe", "synthetic",
                                                    "canaries", "analysis", NULL }, *g))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: unknown group [%s] (expected study, finetune, probe, analysis, "
                       "canaries, synthetic, task:NAME, mixture:NAME)", p, *g);
          ok = FALSE;
        }
    }
  spec->n_tasks = tasks->len;
  spec->tasks = (MsTaskSpec *) g_array_free (tasks, FALSE);
  spec->n_mixtures = mixtures->len;
  spec->mixtures = (MsStudyMixture *) g_array_free (mixtures, FALSE);
  if (!ok)
    return NULL;
  if (spec->n_tasks == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: no [task:NAME] group", p);
      return NULL;
    }
  for (int i = 0; i < spec->n_tasks; i++)
    if (ms_study_spec_task_index (spec, spec->tasks[i].name) != i)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: task '%s' is defined twice", p,
                     spec->tasks[i].name);
        return NULL;
      }
  if (g_key_file_has_group (kf, "canaries"))
    {
      if (spec->canary_task == NULL)
        spec->canary_task = g_strdup (spec->tasks[spec->n_synth < spec->n_tasks
                                                  ? spec->n_synth : 0].name);
      if (ms_study_spec_task_index (spec, spec->canary_task) < 0)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: [canaries] task: unknown task '%s'",
                       p, spec->canary_task);
          return NULL;
        }
    }
  for (int m = 0; m < spec->n_mixtures; m++)
    {
      MsStudyMixture *mx = &spec->mixtures[m];
      if (mx->tasks == NULL || mx->tasks[0] == NULL)
        {
          /* Default: every task. */
          g_strfreev (mx->tasks);
          mx->tasks = g_new0 (char *, spec->n_tasks + 1);
          for (int i = 0; i < spec->n_tasks; i++)
            mx->tasks[i] = g_strdup (spec->tasks[i].name);
        }
      for (char **t = mx->tasks; *t; t++)
        if (ms_study_spec_task_index (spec, *t) < 0)
          {
            g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                         "%s: [mixture:%s] names an unknown task '%s'", p, mx->name, *t);
            return NULL;
          }
      /* Check the mixer text now rather than after hours of other runs. */
      MsMixerConfig mc;
      g_autofree double *w = NULL;
      if (!ms_mixer_config_parse (mx->mixer, (const char *const *) mx->tasks,
                                  g_strv_length (mx->tasks), &mc, &w, error))
        {
          g_prefix_error (error, "%s: [mixture:%s] strategy: ", p, mx->name);
          return NULL;
        }
    }
  return g_steal_pointer (&spec);
}

char *
ms_study_spec_settings_json (const MsStudySpec *s)
{
  const MsFinetuneConfig *f = &s->finetune;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "finetune");
  json_builder_begin_object (b);
  ms_json_add_number (b, "epochs", f->epochs);
  ms_json_add_int (b, "steps", f->steps);
  ms_json_add_int (b, "batch", f->B);
  ms_json_add_int (b, "seq", f->T);
  ms_json_add_int (b, "grad_accum", f->grad_accum);
  ms_json_add_number (b, "lr", f->schedule.lr);
  ms_json_add_string (b, "schedule", ms_schedule_kind_name (f->schedule.kind));
  ms_json_add_int (b, "warmup", f->schedule.warmup_steps);
  ms_json_add_number (b, "min_lr_frac", f->schedule.min_lr_frac);
  ms_json_add_number (b, "weight_decay", f->adamw.weight_decay);
  ms_json_add_string (b, "decay", f->adamw.decay_all ? "all" : "matrices");
  ms_json_add_number (b, "grad_clip", f->adamw.grad_clip);
  ms_json_add_string (b, "loss", f->response_only ? "response" : "sequence");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "probe");
  json_builder_begin_object (b);
  ms_json_add_int (b, "k", s->probe.k);
  ms_json_add_int (b, "n", s->probe.n);
  ms_json_add_int (b, "min_input", s->probe.min_input);
  ms_json_add_int (b, "target_max_new", s->probe.target_max_new);
  ms_json_add_int (b, "train_samples", s->probe_train);
  ms_json_add_int (b, "heldout_samples", s->probe_heldout);
  json_builder_end_object (b);
  if (s->n_synth > 0)
    {
      json_builder_set_member_name (b, "synthetic");
      json_builder_begin_object (b);
      ms_json_add_int (b, "features", s->synth.features);
      ms_json_add_int (b, "lexicon", s->synth.lexicon);
      ms_json_add_int (b, "active", s->synth.active);
      ms_json_add_int (b, "words", s->synth.words);
      ms_json_add_int (b, "seed", (gint64) s->synth.seed);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "analysis");
  json_builder_begin_object (b);
  ms_json_add_bool (b, "mia", s->mia);
  ms_json_add_number (b, "mia_k", s->mia_k);
  ms_json_add_bool (b, "attention", s->attention);
  ms_json_add_bool (b, "sparse", s->sparse);
  if (s->sparse)
    {
      ms_json_add_int (b, "sparse_layer", s->sparse_layer);
      ms_json_add_int (b, "sparse_atoms", s->sparse_atoms);
      ms_json_add_number (b, "sparse_lambda", s->sparse_lambda);
      ms_json_add_number (b, "sparse_error", s->sparse_error);
    }
  json_builder_end_object (b);
  if (s->canary_task)
    {
      json_builder_set_member_name (b, "canaries");
      json_builder_begin_object (b);
      ms_json_add_string (b, "task", s->canary_task);
      ms_json_add_int (b, "count", s->canary_count);
      json_builder_set_member_name (b, "repeats");
      json_builder_begin_array (b);
      for (int i = 0; i < s->n_canary_repeats; i++)
        json_builder_add_int_value (b, s->canary_repeats[i]);
      json_builder_end_array (b);
      ms_json_add_int (b, "digits", s->canary_digits);
      ms_json_add_int (b, "candidates", s->canary_candidates);
      ms_json_add_string (b, "prompt", s->canary_prompt);
      ms_json_add_int (b, "seed", (gint64) s->canary_seed);
      json_builder_end_object (b);
    }
  if (s->n_mixtures > 0)
    {
      json_builder_set_member_name (b, "mixtures");
      json_builder_begin_object (b);
      for (int m = 0; m < s->n_mixtures; m++)
        {
          json_builder_set_member_name (b, s->mixtures[m].name);
          json_builder_begin_object (b);
          ms_json_add_string (b, "strategy", s->mixtures[m].mixer);
          ms_json_add_number (b, "epochs", ms_study_spec_epochs (s, &s->mixtures[m]));
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  ms_json_add_string (b, "base", s->base_model);
  ms_json_add_string (b, "tokenizer", s->tokenizer);
  json_builder_set_member_name (b, "seeds");
  json_builder_begin_array (b);
  for (int i = 0; i < s->n_seeds; i++)
    json_builder_add_int_value (b, (gint64) s->seeds[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return ms_json_builder_to_string (b, FALSE);
}

double
ms_study_spec_epochs (const MsStudySpec *spec, const MsStudyMixture *mixture)
{
  return mixture && mixture->epochs > 0 ? mixture->epochs : spec->finetune.epochs;
}
