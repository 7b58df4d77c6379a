/* memscope attention, memscope sparse, memscope mia: the analyses of a study, for one model and
 * one's own JSONL samples, outside a study. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/ms-attention.h"
#include "common/ms-json.h"
#include "analysis/ms-capture.h"
#include "analysis/ms-sparse.h"
#include "analysis/ms-stats.h"
#include "ms-cli.h"
#include "ms-config.h"
#include "probe/ms-mia.h"
#include "text/ms-dataset.h"

/* ---- shared: model, tokenizer and tokenized samples ------------------------------------- */

typedef struct {
  MsCliCommon common;
  char *model, *tokenizer, *template_text;
  int max_samples;
  int batch;
} Opts;

/* NAME=FILE or FILE (the name is then the file's first record's task). */
static GArray *
load_examples (const char *arg, MsBpe *bpe, const char *tpl_text, int max, int max_tokens,
               char **name_out, MsTaskData **data_out, GError **error)
{
  const char *eq = strchr (arg, '=');
  g_autofree char *path = g_strdup (eq ? eq + 1 : arg);
  g_autofree char *name = eq ? g_strndup (arg, eq - arg) : NULL;
  if (name == NULL)
    {
      /* The task named in the file. */
      g_autofree char *text = NULL;
      if (!g_file_get_contents (path, &text, NULL, error))
        return NULL;
      g_autoptr (JsonParser) p = json_parser_new ();
      char *nl = strchr (text, '\n');
      if (nl)
        *nl = '\0';
      if (!ms_json_parser_load (p, text, -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s:1: expected a JSON object", path);
          return NULL;
        }
      name = g_strdup (json_object_get_string_member_with_default (
        json_node_get_object (json_parser_get_root (p)), "task", "task"));
    }
  g_autofree char *unescaped = tpl_text ? ms_template_unescape (tpl_text) : NULL;
  g_autoptr (MsTemplate) tpl = ms_template_parse (unescaped ? unescaped : MS_TEMPLATE_DEFAULT,
                                                  error);
  MsTaskData *data = tpl ? ms_task_data_load (name, path, error) : NULL;
  if (data == NULL)
    return NULL;
  if (!ms_task_select (data, tpl, bpe, max_tokens, max, error))
    {
      ms_task_data_free (data);
      return NULL;
    }
  GArray *ex = ms_task_examples (data, tpl, bpe, error);
  if (ex == NULL)
    {
      ms_task_data_free (data);
      return NULL;
    }
  *name_out = g_steal_pointer (&name);
  *data_out = data;
  return ex;
}

static void
add_shared_options (GOptionContext *ctx, Opts *o)
{
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &o->model, "Checkpoint", "M" },
    { "tokenizer", 't', 0, G_OPTION_ARG_FILENAME, &o->tokenizer,
      "Tokenizer folder (default: the shipped one)", "DIR" },
    { "template", 0, 0, G_OPTION_ARG_STRING, &o->template_text,
      "Prompt template of the samples (default '{input}\\n=> {output}')", "TPL" },
    { "max", 0, 0, G_OPTION_ARG_INT, &o->max_samples, "At most N samples per file (0: all)", "N" },
    { "batch", 'B', 0, G_OPTION_ARG_INT, &o->batch, "Rows per forward pass (16)", "B" },
    { NULL }
  };
  g_option_context_add_main_entries (ctx, entries, NULL);
  ms_cli_add_common (ctx, &o->common);
}

static void
print_json (JsonBuilder *b)
{
  g_autofree char *s = ms_json_builder_to_string (b, TRUE);
  g_print ("%s\n", s);
}

/* Prefill passes over the prompts of EX, left-padded, B at a time; BEFORE gets each batch. */
typedef gboolean (*BatchFunc) (gpointer user, int B, const int *lens, int first, GError **error);

static gboolean
prefill_prompts (MsGpt *gpt, GArray *ex, int B, BatchFunc before, gpointer user,
                 GError **error)
{
  for (guint start = 0; start < ex->len; start += B)
    {
      int rows = MIN ((guint) B, ex->len - start), Tp = 0;
      g_autofree int *lens = g_new (int, rows);
      for (int b = 0; b < rows; b++)
        Tp = MAX (Tp, lens[b] = g_array_index (ex, MsExample, start + b).prompt_len);
      g_autofree int *tokens = g_new0 (int, (gsize) rows * Tp), *starts = g_new (int, rows);
      for (int b = 0; b < rows; b++)
        {
          const MsExample *e = &g_array_index (ex, MsExample, start + b);
          starts[b] = Tp - lens[b];
          for (int t = 0; t < lens[b]; t++)
            tokens[b * Tp + starts[b] + t] = e->tokens[t];
        }
      if (!before (user, rows, lens, start, error)
          || !ms_gpt_forward (gpt, tokens, starts, NULL, rows, Tp, error))
        return FALSE;
    }
  return ms_device_finish (ms_gpt_device (gpt), error);
}

/* ---- memscope attention ------------------------------------------------------------------- */

typedef struct {
  MsAttentionStats *acc;
  const MsGptConfig *cfg;
  double *sum;     /* (L, NH, stats) */
  gint64 rows;
  float *means;
  int *counts;
} AttCtx;

static gboolean
att_before (gpointer user, int B, const int *lens, int first, GError **error)
{
  AttCtx *c = user;
  /* Read the previous batch first (the accumulator holds one batch). */
  return ms_attention_stats_reset_lens (c->acc, B, lens, error);
}

static gboolean
att_collect (AttCtx *c, int B, GError **error)
{
  int L = c->cfg->num_layers, NH = c->cfg->num_heads;
  if (!ms_attention_stats_read (c->acc, NULL, c->means, c->counts, error))
    return FALSE;
  for (int b = 0; b < B; b++)
    {
      for (int l = 0; l < L; l++)
        for (int h = 0; h < NH; h++)
          for (int k = 0; k < MS_ATT_N_STATS; k++)
            c->sum[(l * NH + h) * MS_ATT_N_STATS + k] +=
              c->means[((((gsize) b * L + l) * NH + h) * MS_ATT_N_PHASES + MS_ATT_PROMPT)
                       * MS_ATT_N_STATS + k];
      c->rows++;
    }
  return TRUE;
}

int
ms_cmd_attention (int argc, char **argv)
{
  Opts o = { .batch = 16 };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("FILE.jsonl… - attention statistics of samples");
  add_shared_options (ctx, &o);
  g_option_context_set_description (ctx,
    "For each task file, the mean over its samples' prompt positions of each head's normalized\n"
    "entropy, largest probability, top-5 mass and Gini coefficient of attention, computed on\n"
    "the device during the forward pass. FILE may be NAME=FILE.\n\n"
    "Example:\n  memscope attention -m runs/qa/model.bin --template 'Q: {input}\\nA: {output}' "
    "data/tasks/qa.train.jsonl");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (o.model == NULL || argc < 2)
    return ms_cli_usage ("attention", "--model and at least one task FILE are required");
  GError *error = NULL;
  g_autoptr (MsBpe) bpe = ms_cli_load_tokenizer (o.tokenizer, &error);
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (bpe == NULL || !ms_cli_open (&o.common, &dev, &blas, &error))
    return ms_cli_fail ("attention", error);
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, o.model, 0, &error);
  if (gpt == NULL)
    return ms_cli_fail ("attention", error);
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  int L = cfg->num_layers, NH = cfg->num_heads;
  g_autoptr (JsonBuilder) jb = json_builder_new ();
  json_builder_begin_array (jb);
  for (int f = 1; f < argc; f++)
    {
      g_autofree char *name = NULL;
      g_autoptr (MsTaskData) data = NULL;
      g_autoptr (GArray) ex = load_examples (argv[f], bpe, o.template_text, o.max_samples,
                                             cfg->max_seq_len, &name, &data, &error);
      if (ex == NULL)
        return ms_cli_fail ("attention", error);
      g_autoptr (MsAttentionStats) acc = ms_attention_stats_new (dev, o.batch, L, NH,
                                                                 MS_ATT_TOP_K_DEFAULT, &error);
      if (acc == NULL)
        return ms_cli_fail ("attention", error);
      g_autofree double *sum = g_new0 (double, L * NH * MS_ATT_N_STATS);
      g_autofree float *means = g_new (float, (gsize) o.batch * L * NH * MS_ATT_N_PHASES * MS_ATT_N_STATS);
      g_autofree int *counts = g_new (int, o.batch * MS_ATT_N_PHASES);
      AttCtx c = { acc, cfg, sum, 0, means, counts };
      MsGptHooks hooks = { 0 };
      ms_attention_stats_hooks (acc, &hooks);
      ms_gpt_set_hooks (gpt, &hooks);
      /* One batch at a time: collect each before the next resets the accumulator. */
      for (guint start = 0; start < ex->len; start += o.batch)
        {
          int rows = MIN ((guint) o.batch, ex->len - start);
          GArray one = { (gchar *) &g_array_index (ex, MsExample, start), rows };
          if (!prefill_prompts (gpt, &one, o.batch, att_before, &c, &error)
              || !att_collect (&c, rows, &error))
            return ms_cli_fail ("attention", error);
        }
      ms_gpt_set_hooks (gpt, NULL);
      static const char *stat_names[] = { "entropy", "max", "topk", "gini" };
      if (!o.common.json)
        {
          g_print ("%s: %" G_GINT64_FORMAT " samples; mean over prompt positions "
                   "(entropy / max / top-5 / Gini)\n", name, c.rows);
          for (int l = 0; l < L; l++)
            {
              g_print ("  layer %2d:", l);
              for (int h = 0; h < NH; h++)
                {
                  const double *v = sum + (l * NH + h) * MS_ATT_N_STATS;
                  g_print ("  h%d %.3f/%.3f/%.3f/%.3f", h, v[0] / c.rows, v[1] / c.rows,
                           v[2] / c.rows, v[3] / c.rows);
                }
              g_print ("\n");
            }
          continue;
        }
      json_builder_begin_object (jb);
      ms_json_add_string (jb, "task", name);
      ms_json_add_int (jb, "samples", c.rows);
      json_builder_set_member_name (jb, "heads");
      json_builder_begin_array (jb);
      for (int l = 0; l < L; l++)
        for (int h = 0; h < NH; h++)
          {
            json_builder_begin_object (jb);
            ms_json_add_int (jb, "layer", l);
            ms_json_add_int (jb, "head", h);
            for (int k = 0; k < MS_ATT_N_STATS; k++)
              ms_json_add_number (jb, stat_names[k], sum[(l * NH + h) * MS_ATT_N_STATS + k] / c.rows);
            json_builder_end_object (jb);
          }
      json_builder_end_array (jb);
      json_builder_end_object (jb);
    }
  json_builder_end_array (jb);
  if (o.common.json)
    print_json (jb);
  return 0;
}

/* ---- memscope sparse ---------------------------------------------------------------------- */

typedef struct {
  MsHiddenCapture *cap;
  int id0;
} CapCtx;

static gboolean
cap_before (gpointer user, int B, const int *lens, int first, GError **error)
{
  CapCtx *c = user;
  g_autofree int *ids = g_new (int, B);
  for (int b = 0; b < B; b++)
    ids[b] = c->id0 + first + b;
  return ms_hidden_capture_batch_lens (c->cap, B, lens, ids, error);
}

int
ms_cmd_sparse (int argc, char **argv)
{
  Opts o = { .batch = 16 };
  int layer = -1, atoms = 256;
  double lambda = 0.1, target = 0.2;
  GOptionEntry entries[] = {
    { "layer", 0, 0, G_OPTION_ARG_INT, &layer, "Hidden layer (default: the last)", "L" },
    { "atoms", 0, 0, G_OPTION_ARG_INT, &atoms, "Dictionary atoms (256)", "K" },
    { "lambda", 0, 0, G_OPTION_ARG_DOUBLE, &lambda, "L1 weight (0.1)", "X" },
    { "error", 0, 0, G_OPTION_ARG_DOUBLE, &target, "Fixed relative reconstruction error (0.2)", "E" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("FILE.jsonl… - sparse codes of hidden states");
  g_option_context_add_main_entries (ctx, entries, NULL);
  add_shared_options (ctx, &o);
  g_option_context_set_description (ctx,
    "Learns one dictionary on the mean residual stream of the prompts of every sample of every\n"
    "task file (FISTA codes, online dictionary learning, on the device), then reports per task:\n"
    "atoms used, mean active atoms at the fixed reconstruction error, and the share of its\n"
    "atoms no other task uses. FILE may be NAME=FILE.\n\n"
    "Example:\n  memscope sparse -m data/base/model.bin --max 200 data/tasks/qa.train.jsonl "
    "data/tasks/dialogue.train.jsonl");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (o.model == NULL || argc < 2 || atoms < 2 || target <= 0)
    return ms_cli_usage ("sparse", "--model and task FILEs are required (and --atoms ≥ 2, --error > 0)");
  GError *error = NULL;
  g_autoptr (MsBpe) bpe = ms_cli_load_tokenizer (o.tokenizer, &error);
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (bpe == NULL || !ms_cli_open (&o.common, &dev, &blas, &error))
    return ms_cli_fail ("sparse", error);
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, o.model, 0, &error);
  if (gpt == NULL)
    return ms_cli_fail ("sparse", error);
  const MsGptConfig *cfg = ms_gpt_config (gpt);
  if (layer < 0 || layer >= cfg->num_layers)
    layer = cfg->num_layers - 1;
  int n_tasks = argc - 1;
  g_autoptr (MsHiddenCapture) cap = ms_hidden_capture_new (dev, layer, MS_CAPTURE_MEAN,
                                                           cfg->channels, &error);
  if (cap == NULL)
    return ms_cli_fail ("sparse", error);
  MsGptHooks hooks = { .hidden_kind = MS_HIDDEN_RESIDUAL };
  ms_hidden_capture_hooks (cap, &hooks);
  ms_gpt_set_hooks (gpt, &hooks);
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto (GStrv) names = g_new0 (char *, n_tasks + 1);
  g_autofree int *rows_per_task = g_new0 (int, n_tasks);
  for (int f = 0; f < n_tasks; f++)
    {
      g_autoptr (MsTaskData) data = NULL;
      g_autoptr (GArray) ex = load_examples (argv[f + 1], bpe, o.template_text, o.max_samples,
                                             cfg->max_seq_len, &names[f], &data, &error);
      CapCtx c = { cap, (int) labels->len };
      if (ex == NULL || !prefill_prompts (gpt, ex, o.batch, cap_before, &c, &error))
        return ms_cli_fail ("sparse", error);
      for (guint i = 0; i < ex->len; i++)
        g_array_append_val (labels, f);
      rows_per_task[f] = ex->len;
    }
  ms_gpt_set_hooks (gpt, NULL);
  int n = 0;
  const MsBuffer *x = ms_hidden_capture_rows (cap, &n);
  MsSparseParams params;
  ms_sparse_params_init (&params);
  params.n_atoms = atoms;
  params.lambda = lambda;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (MsDictionary) dict = ms_dictionary_learn (blas, x, 0, n, cfg->channels, &params,
                                                       &error);
  if (dict == NULL)
    return ms_cli_fail ("sparse", error);
  g_autofree MsSparseSample *samples = g_new (MsSparseSample, n);
  g_autofree guint32 *counts = g_new0 (guint32, (gsize) n_tasks * atoms);
  MsSparseEncodeOptions eo = { .target_err = target, .labels = (int *) labels->data,
                               .n_tasks = n_tasks };
  if (!ms_sparse_encode (dict, x, 0, n, &eo, NULL, 0, samples, counts, &error))
    return ms_cli_fail ("sparse", error);
  g_autofree MsTaskSupport *sup = g_new (MsTaskSupport, n_tasks);
  ms_sparse_task_support (counts, rows_per_task, n_tasks, atoms, 0.05, sup);
  g_autofree double *active = g_new0 (double, n_tasks);
  for (int i = 0; i < n; i++)
    active[g_array_index (labels, int, i)] += samples[i].active;
  g_autoptr (JsonBuilder) jb = json_builder_new ();
  json_builder_begin_array (jb);
  if (!o.common.json)
    g_print ("dictionary: %d atoms on %d rows of layer %d in %.1f s\n%-16s %6s %12s %12s %10s\n",
             atoms, n, layer, (g_get_monotonic_time () - t0) / 1e6, "task", "rows",
             "atoms used", "active@err", "specific");
  for (int f = 0; f < n_tasks; f++)
    {
      double mean_active = rows_per_task[f] ? active[f] / rows_per_task[f] : NAN;
      if (!o.common.json)
        {
          g_print ("%-16s %6d %12d %12.2f %9.0f%%\n", names[f], rows_per_task[f],
                   sup[f].atoms_used, mean_active, 100 * sup[f].specific_fraction);
          continue;
        }
      json_builder_begin_object (jb);
      ms_json_add_string (jb, "task", names[f]);
      ms_json_add_int (jb, "rows", rows_per_task[f]);
      ms_json_add_int (jb, "atoms_used", sup[f].atoms_used);
      ms_json_add_number (jb, "active_at_error", mean_active);
      ms_json_add_number (jb, "specific_fraction", sup[f].specific_fraction);
      json_builder_end_object (jb);
    }
  json_builder_end_array (jb);
  if (o.common.json)
    print_json (jb);
  return 0;
}

/* ---- memscope mia ------------------------------------------------------------------------- */

int
ms_cmd_mia (int argc, char **argv)
{
  Opts o = { .batch = 16 };
  g_autofree char *base = NULL, *members = NULL, *nonmembers = NULL;
  gboolean whole = FALSE;
  double k_frac = 0.2;
  GOptionEntry entries[] = {
    { "base", 0, 0, G_OPTION_ARG_FILENAME, &base,
      "The model before fine-tuning, for the reference ratio", "B" },
    { "members", 0, 0, G_OPTION_ARG_FILENAME, &members, "Training samples (JSONL)", "FILE" },
    { "nonmembers", 0, 0, G_OPTION_ARG_FILENAME, &nonmembers, "Held-out samples (JSONL)", "FILE" },
    { "whole-sequence", 0, 0, G_OPTION_ARG_NONE, &whole,
      "Score every token, not only the output (for whole-sequence fine-tunes)", NULL },
    { "min-k", 0, 0, G_OPTION_ARG_DOUBLE, &k_frac, "Min-K%'s fraction (0.2)", "F" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- membership inference: members against held-out");
  g_option_context_add_main_entries (ctx, entries, NULL);
  add_shared_options (ctx, &o);
  g_option_context_set_description (ctx,
    "ROC AUC and TPR at 1% FPR of each signal (loss, reference ratio with --base, zlib ratio,\n"
    "Min-K% probability) at telling MEMBERS from NONMEMBERS.\n\n"
    "Example:\n  memscope mia -m runs/qa/model.bin --base data/base/model.bin \\\n"
    "      --members data/tasks/qa.train.jsonl --nonmembers data/tasks/qa.heldout.jsonl --max 200");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (o.model == NULL || members == NULL || nonmembers == NULL)
    return ms_cli_usage ("mia", "--model, --members and --nonmembers are required");
  GError *error = NULL;
  g_autoptr (MsBpe) bpe = ms_cli_load_tokenizer (o.tokenizer, &error);
  g_autoptr (MsDevice) dev = NULL;
  g_autoptr (MsBlas) blas = NULL;
  if (bpe == NULL || !ms_cli_open (&o.common, &dev, &blas, &error))
    return ms_cli_fail ("mia", error);
  g_autoptr (MsGpt) gpt = ms_cli_load_model (blas, o.model, 0, &error);
  if (gpt == NULL)
    return ms_cli_fail ("mia", error);
  int T = ms_gpt_config (gpt)->max_seq_len;
  g_autofree char *n1 = NULL, *n2 = NULL;
  g_autoptr (MsTaskData) d1 = NULL, d2 = NULL;
  g_autoptr (GArray) e1 = load_examples (members, bpe, o.template_text, o.max_samples, T, &n1,
                                         &d1, &error);
  g_autoptr (GArray) e2 = e1 ? load_examples (nonmembers, bpe, o.template_text, o.max_samples,
                                              T, &n2, &d2, &error) : NULL;
  if (e2 == NULL)
    return ms_cli_fail ("mia", error);
  int n = e1->len + e2->len;
  g_autofree const MsExample **ptrs = g_new (const MsExample *, n);
  g_autofree gboolean *member = g_new (gboolean, n);
  for (int i = 0; i < n; i++)
    {
      ptrs[i] = i < (int) e1->len ? &g_array_index (e1, MsExample, i)
                                  : &g_array_index (e2, MsExample, i - e1->len);
      member[i] = i < (int) e1->len;
    }
  g_autofree MsMiaScores *sc = g_new (MsMiaScores, n), *bs = g_new (MsMiaScores, n);
  if (!ms_mia_score (gpt, ptrs, n, !whole, k_frac, o.batch, T, sc, &error))
    return ms_cli_fail ("mia", error);
  if (base)
    {
      g_autoptr (MsGpt) bg = ms_cli_load_model (blas, base, 0, &error);
      if (bg == NULL || !ms_mia_score (bg, ptrs, n, !whole, k_frac, o.batch, T, bs, &error))
        return ms_cli_fail ("mia", error);
    }
  g_autoptr (JsonBuilder) jb = json_builder_new ();
  json_builder_begin_array (jb);
  if (!o.common.json)
    g_print ("%u members, %u non-members\n%-10s %8s %14s\n", e1->len, e2->len, "signal", "AUC",
             "TPR@1%FPR");
  g_autofree double *v = g_new (double, n);
  g_autofree gboolean *pos = g_new (gboolean, n);
  for (int sgn = 0; sgn < MS_MIA_N; sgn++)
    {
      if (sgn == MS_MIA_REFERENCE && base == NULL)
        continue;
      int m = 0;
      for (int i = 0; i < n; i++)
        {
          double x = ms_mia_signal (sgn, &sc[i], base ? &bs[i] : NULL);
          if (isfinite (x))
            {
              v[m] = x;
              pos[m++] = member[i];
            }
        }
      g_autoptr (MsRoc) roc = ms_stats_roc (v, pos, m, &error);
      if (roc == NULL)
        return ms_cli_fail ("mia", error);
      double tpr = ms_roc_tpr_at_fpr (roc, 0.01);
      if (!o.common.json)
        {
          g_print ("%-10s %8.3f %14.3f\n", ms_mia_signal_name (sgn), roc->auc, tpr);
          continue;
        }
      json_builder_begin_object (jb);
      ms_json_add_string (jb, "signal", ms_mia_signal_name (sgn));
      ms_json_add_number (jb, "auc", roc->auc);
      ms_json_add_number (jb, "tpr_at_1pct_fpr", tpr);
      json_builder_end_object (jb);
    }
  json_builder_end_array (jb);
  if (o.common.json)
    print_json (jb);
  return 0;
}
