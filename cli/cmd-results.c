/* memscope results: what a results store holds (studies; a study's runs and tasks; its
 * memorization rates per run, task, split and probe), read-only SQL over it, and exports of the
 * `results` view as CSV or JSON. It never creates or changes a store. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ms-cli.h"
#include "common/ms-json.h"
#include "common/ms-error.h"
#include "store/ms-store.h"

/* ---- Tables on the terminal -------------------------------------------------------------- */

#define CELL_MAX_WIDTH 60

typedef struct {
  guint n_columns;
  GPtrArray *cells;        /* char*, row-major, the header first */
  gboolean *right;         /* (n_columns) right-aligned (numbers) */
} Table;

static Table *
table_new (guint n_columns, const char *const *header, const gboolean *right)
{
  Table *t = g_new0 (Table, 1);
  t->n_columns = n_columns;
  t->cells = g_ptr_array_new_with_free_func (g_free);
  t->right = g_new0 (gboolean, n_columns);
  for (guint c = 0; c < n_columns; c++)
    {
      g_ptr_array_add (t->cells, g_strdup (header[c]));
      t->right[c] = right ? right[c] : FALSE;
    }
  return t;
}

static void
table_free (Table *t)
{
  g_ptr_array_unref (t->cells);
  g_free (t->right);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Table, table_free)

/* Adds a cell (copied; NULL shows as "-"). */
static void
table_add (Table *t, const char *text)
{
  g_ptr_array_add (t->cells, g_strdup (text ? text : "-"));
}

static void table_addf (Table *t, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
table_addf (Table *t, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (t->cells, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

/* One line, valid UTF-8, at most CELL_MAX_WIDTH columns wide; *WIDTH its display width. */
static char *
cell_clean (const char *text, guint *width)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_new (NULL);
  guint w = 0;
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      if (ch == '\n' || ch == '\r' || ch == '\t')
        ch = ' ';
      guint cw = g_unichar_iszerowidth (ch) ? 0 : g_unichar_iswide (ch) ? 2 : 1;
      if (w + cw > CELL_MAX_WIDTH - 1 && *g_utf8_next_char (p) != '\0')
        {
          g_string_append (out, "…");
          w++;
          break;
        }
      g_string_append_unichar (out, ch);
      w += cw;
    }
  *width = w;
  return g_string_free (out, FALSE);
}

static void
table_print (Table *t)
{
  guint n_cells = t->cells->len, n_cols = t->n_columns;
  g_autofree guint *widths = g_new0 (guint, n_cols);
  g_autofree guint *cell_w = g_new0 (guint, n_cells);
  g_autoptr (GPtrArray) clean = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_cells; i++)
    {
      g_ptr_array_add (clean, cell_clean (t->cells->pdata[i], &cell_w[i]));
      widths[i % n_cols] = MAX (widths[i % n_cols], cell_w[i]);
    }
  g_autoptr (GString) line = g_string_new (NULL);
  for (guint i = 0; i < n_cells; i++)
    {
      guint c = i % n_cols, pad = widths[c] - cell_w[i];
      if (c > 0)
        g_string_append (line, "  ");
      if (t->right[c])
        g_string_append_printf (line, "%*s%s", (int) pad, "", (char *) clean->pdata[i]);
      else if (c + 1 < n_cols)
        g_string_append_printf (line, "%s%*s", (char *) clean->pdata[i], (int) pad, "");
      else
        g_string_append (line, clean->pdata[i]);
      if (c + 1 == n_cols)
        {
          g_print ("%s\n", line->str);
          g_string_truncate (line, 0);
        }
    }
}

/* ---- Formatting -------------------------------------------------------------------------- */

static char *
fmt_seconds (double s)
{
  if (!isfinite (s))
    return g_strdup ("-");
  if (s < 60)
    return g_strdup_printf ("%.1fs", s);
  gint64 t = (gint64) (s + 0.5);
  if (t < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m%02" G_GINT64_FORMAT "s", t / 60, t % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", t / 3600,
                          t / 60 % 60);
}

static double
rate (gint64 k, gint64 n)
{
  return n > 0 ? (double) k / n : NAN;
}

static void
print_json (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  g_autofree char *text = ms_json_generate (gen);
  g_print ("%s\n", text);
}

/* ---- Listings ---------------------------------------------------------------------------- */

static int
list_studies (MsStore *store, gboolean json)
{
  GError *error = NULL;
  g_autoptr (GPtrArray) studies = ms_store_list_studies (store, &error);
  if (studies == NULL)
    return ms_cli_fail ("results", error);
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_array (b);
      for (guint i = 0; i < studies->len; i++)
        {
          MsStoreStudy *s = studies->pdata[i];
          json_builder_begin_object (b);
          ms_json_add_string (b, "name", s->name);
          ms_json_add_int (b, "runs", s->n_runs);
          ms_json_add_int (b, "done", s->n_done);
          ms_json_add_int (b, "failed", s->n_failed);
          ms_json_add_int (b, "tasks", s->n_tasks);
          ms_json_add_int (b, "generations", s->n_generations);
          ms_json_add_string (b, "spec_path", s->spec_path);
          ms_json_add_string (b, "spec_sha256", s->spec_sha256);
          ms_json_add_string (b, "created", s->created);
          ms_json_add_string (b, "updated", s->updated);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      print_json (b);
      return 0;
    }
  if (studies->len == 0)
    {
      g_print ("%s: no studies yet\n", ms_store_path (store));
      return 0;
    }
  static const char *const header[] = { "study", "done/runs", "failed", "tasks",
                                        "generations", "updated" };
  static const gboolean right[] = { FALSE, TRUE, TRUE, TRUE, TRUE, FALSE };
  g_autoptr (Table) t = table_new (G_N_ELEMENTS (header), header, right);
  for (guint i = 0; i < studies->len; i++)
    {
      MsStoreStudy *s = studies->pdata[i];
      table_add (t, s->name);
      table_addf (t, "%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, s->n_done, s->n_runs);
      table_addf (t, "%" G_GINT64_FORMAT, s->n_failed);
      table_addf (t, "%" G_GINT64_FORMAT, s->n_tasks);
      table_addf (t, "%" G_GINT64_FORMAT, s->n_generations);
      table_add (t, s->updated);
    }
  table_print (t);
  return 0;
}

static void
json_run (JsonBuilder *b, const MsStoreRun *r)
{
  json_builder_begin_object (b);
  ms_json_add_int (b, "id", r->id);
  ms_json_add_string (b, "name", r->name);
  ms_json_add_string (b, "kind", r->kind);
  ms_json_add_string (b, "mixture", r->mixture);
  ms_json_add_int (b, "seed", r->seed);
  ms_json_add_string (b, "tasks_json", r->tasks_json);
  ms_json_add_string (b, "status", ms_run_state_name (r->status));
  ms_json_add_string (b, "error", r->error);
  ms_json_add_string (b, "model_path", r->model_path);
  ms_json_add_string (b, "model_sha256", r->model_sha256);
  ms_json_add_string (b, "hyper_json", r->hyper_json);
  ms_json_add_string (b, "data_json", r->data_json);
  ms_json_add_string (b, "device", r->device);
  ms_json_add_number (b, "train_seconds", r->train_seconds);
  ms_json_add_number (b, "probe_seconds", r->probe_seconds);
  json_builder_set_member_name (b, "train_tokens");
  if (r->train_tokens >= 0)
    json_builder_add_int_value (b, r->train_tokens);
  else
    json_builder_add_null_value (b);
  ms_json_add_number (b, "final_loss", r->final_loss);
  ms_json_add_string (b, "started", r->started);
  ms_json_add_string (b, "finished", r->finished);
  ms_json_add_int (b, "generations", r->n_generations);
  json_builder_end_object (b);
}

static void
json_task (JsonBuilder *b, const MsStoreTask *t)
{
  json_builder_begin_object (b);
  ms_json_add_int (b, "id", t->id);
  ms_json_add_string (b, "name", t->name);
  ms_json_add_string (b, "train_path", t->train_path);
  ms_json_add_string (b, "heldout_path", t->heldout_path);
  ms_json_add_string (b, "train_sha256", t->train_sha256);
  ms_json_add_string (b, "heldout_sha256", t->heldout_sha256);
  ms_json_add_string (b, "template", t->template);
  ms_json_add_int (b, "n_train", t->n_train);
  ms_json_add_int (b, "n_heldout", t->n_heldout);
  ms_json_add_int (b, "samples_train", t->n_samples_train);
  ms_json_add_int (b, "samples_heldout", t->n_samples_heldout);
  json_builder_end_object (b);
}

static int
show_study (MsStore *store, const MsStoreStudy *study, gboolean json)
{
  GError *error = NULL;
  g_autoptr (GPtrArray) runs = ms_store_list_runs (store, study->id, &error);
  g_autoptr (GPtrArray) tasks = runs ? ms_store_list_tasks (store, study->id, &error) : NULL;
  if (tasks == NULL)
    return ms_cli_fail ("results", error);
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ms_json_add_string (b, "study", study->name);
      ms_json_add_string (b, "spec_path", study->spec_path);
      ms_json_add_string (b, "spec_sha256", study->spec_sha256);
      ms_json_add_string (b, "settings_json", study->settings_json);
      ms_json_add_string (b, "created", study->created);
      ms_json_add_string (b, "updated", study->updated);
      json_builder_set_member_name (b, "runs");
      json_builder_begin_array (b);
      for (guint i = 0; i < runs->len; i++)
        json_run (b, runs->pdata[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "tasks");
      json_builder_begin_array (b);
      for (guint i = 0; i < tasks->len; i++)
        json_task (b, tasks->pdata[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
      return 0;
    }
  g_print ("study %s: %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " runs done, updated %s\n"
           "spec %s, sha256 %s\n\n", study->name, study->n_done, study->n_runs,
           study->updated, study->spec_path ? study->spec_path : "(text only)",
           study->spec_sha256);
  static const char *const rh[] = { "run", "kind", "seed", "status", "train tokens",
                                    "train time", "final loss", "generations" };
  static const gboolean rr[] = { FALSE, FALSE, TRUE, FALSE, TRUE, TRUE, TRUE, TRUE };
  g_autoptr (Table) t = table_new (G_N_ELEMENTS (rh), rh, rr);
  for (guint i = 0; i < runs->len; i++)
    {
      MsStoreRun *r = runs->pdata[i];
      g_autofree char *time = fmt_seconds (r->train_seconds);
      table_add (t, r->name);
      if (r->mixture)
        table_addf (t, "%s (%s)", r->kind, r->mixture);
      else
        table_add (t, r->kind);
      table_addf (t, "%" G_GINT64_FORMAT, r->seed);
      table_add (t, ms_run_state_name (r->status));
      if (r->train_tokens >= 0)
        table_addf (t, "%" G_GINT64_FORMAT, r->train_tokens);
      else
        table_add (t, NULL);
      table_add (t, time);
      if (isfinite (r->final_loss))
        table_addf (t, "%.4f", r->final_loss);
      else
        table_add (t, NULL);
      table_addf (t, "%" G_GINT64_FORMAT, r->n_generations);
    }
  if (runs->len)
    table_print (t);
  else
    g_print ("no runs yet\n");

  static const char *const th[] = { "task", "train records", "held-out records",
                                    "probed train", "probed held-out" };
  static const gboolean tr[] = { FALSE, TRUE, TRUE, TRUE, TRUE };
  g_autoptr (Table) tt = table_new (G_N_ELEMENTS (th), th, tr);
  for (guint i = 0; i < tasks->len; i++)
    {
      MsStoreTask *k = tasks->pdata[i];
      table_add (tt, k->name);
      table_addf (tt, "%" G_GINT64_FORMAT, k->n_train);
      table_addf (tt, "%" G_GINT64_FORMAT, k->n_heldout);
      table_addf (tt, "%" G_GINT64_FORMAT, k->n_samples_train);
      table_addf (tt, "%" G_GINT64_FORMAT, k->n_samples_heldout);
    }
  g_print ("\n");
  if (tasks->len)
    table_print (tt);
  else
    g_print ("no tasks yet\n");
  gboolean first = TRUE;
  for (guint i = 0; i < runs->len; i++)
    {
      MsStoreRun *r = runs->pdata[i];
      if (r->error == NULL)
        continue;
      g_print ("%s  %s: %s\n", first ? "\nerrors:\n" : "", r->name, r->error);
      first = FALSE;
    }
  return 0;
}

static int
show_rates (MsStore *store, const MsStoreFilter *filter, gboolean json)
{
  GError *error = NULL;
  g_autoptr (GPtrArray) groups = ms_store_aggregate (store, filter, &error);
  if (groups == NULL)
    return ms_cli_fail ("results", error);
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_array (b);
      for (guint i = 0; i < groups->len; i++)
        {
          MsStoreAggregate *a = groups->pdata[i];
          json_builder_begin_object (b);
          ms_json_add_string (b, "study", a->study);
          ms_json_add_string (b, "run", a->run);
          ms_json_add_string (b, "task", a->task);
          ms_json_add_string (b, "split", a->split);
          ms_json_add_string (b, "probe", a->probe);
          ms_json_add_int (b, "n", a->n);
          ms_json_add_int (b, "n_exact", a->n_exact);
          ms_json_add_int (b, "n_verbatim", a->n_verbatim);
          ms_json_add_int (b, "n_paraphrase", a->n_paraphrase);
          ms_json_add_int (b, "n_idea", a->n_idea);
          ms_json_add_number (b, "exact", rate (a->n_exact, a->n));
          ms_json_add_number (b, "verbatim", rate (a->n_verbatim, a->n));
          ms_json_add_number (b, "paraphrase", rate (a->n_paraphrase, a->n));
          ms_json_add_number (b, "idea", rate (a->n_idea, a->n));
          ms_json_add_number (b, "token_match", a->mean_token_match);
          ms_json_add_number (b, "rouge_l", a->mean_rouge_l);
          ms_json_add_number (b, "bleu", a->mean_bleu);
          ms_json_add_number (b, "lcs_chars", a->mean_lcs_chars);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      print_json (b);
      return 0;
    }
  if (groups->len == 0)
    {
      g_print ("no scored generations match\n");
      return 0;
    }
  static const char *const header[] = { "run", "task", "split", "probe", "n", "exact",
                                        "verbatim", "paraphrase", "idea", "token_match",
                                        "rouge_l" };
  static const gboolean right[] = { FALSE, FALSE, FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE,
                                    TRUE, TRUE };
  g_autoptr (Table) t = table_new (G_N_ELEMENTS (header), header, right);
  for (guint i = 0; i < groups->len; i++)
    {
      MsStoreAggregate *a = groups->pdata[i];
      table_add (t, a->run);
      table_add (t, a->task);
      table_add (t, a->split);
      table_add (t, a->probe);
      table_addf (t, "%" G_GINT64_FORMAT, a->n);
      table_addf (t, "%.3f", rate (a->n_exact, a->n));
      table_addf (t, "%.3f", rate (a->n_verbatim, a->n));
      table_addf (t, "%.3f", rate (a->n_paraphrase, a->n));
      table_addf (t, "%.3f", rate (a->n_idea, a->n));
      table_addf (t, "%.3f", a->mean_token_match);
      table_addf (t, "%.3f", a->mean_rouge_l);
    }
  table_print (t);
  return 0;
}

static int
run_sql (MsStore *store, const char *sql)
{
  GError *error = NULL;
  g_autoptr (MsStoreTable) q = ms_store_query (store, sql, &error);
  if (q == NULL)
    return ms_cli_fail ("results", error);
  g_autoptr (Table) t = table_new (q->n_columns, (const char *const *) q->columns, q->numeric);
  for (gsize i = 0; i < (gsize) q->n_rows * q->n_columns; i++)
    table_add (t, q->cells[i] ? q->cells[i] : "NULL");
  table_print (t);
  g_printerr ("(%u row%s)\n", q->n_rows, q->n_rows == 1 ? "" : "s");
  return 0;
}

/* ---- Options ----------------------------------------------------------------------------- */

typedef struct {
  gboolean json;           /* --json given */
  char *json_file;         /* --json=FILE */
} JsonOpt;

static gboolean
json_option (const char *name, const char *value, gpointer data, GError **error)
{
  JsonOpt *o = data;
  o->json = TRUE;
  g_free (o->json_file);
  o->json_file = value && *value ? g_strdup (value) : NULL;
  return TRUE;
}

static gboolean
looks_like_json_file (const char *arg)
{
  return strcmp (arg, "-") == 0 || g_str_has_suffix (arg, ".json")
         || g_str_has_suffix (arg, ".jsonl") || g_str_has_suffix (arg, ".ndjson");
}

/* GOption would take any next argument (a STUDY) as the optional value of --json: join
 * "--json out.json" into "--json=out.json" and make a bare --json "--json=" (no file).
 * Returns every argument as a new string; the array owns them. */
static GPtrArray *
join_json_file (int argc, char **argv)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0 && i + 1 < argc && looks_like_json_file (argv[i + 1]))
        {
          g_ptr_array_add (out, g_strconcat ("--json=", argv[i + 1], NULL));
          i++;
        }
      else if (strcmp (argv[i], "--json") == 0)
        g_ptr_array_add (out, g_strdup ("--json="));
      else
        g_ptr_array_add (out, g_strdup (argv[i]));
    }
  return out;
}

int
ms_cmd_results (int argc, char **argv)
{
  g_autofree char *store_path = NULL, *sql = NULL, *csv = NULL;
  g_autofree char *run = NULL, *task = NULL, *split = NULL, *probe = NULL;
  gboolean rates = FALSE, lines = FALSE, texts = FALSE;
  JsonOpt json = { 0 };
  GOptionEntry entries[] = {
    { "store", 's', 0, G_OPTION_ARG_FILENAME, &store_path,
      "The results store (default $MEMSCOPE_STORE, else memscope.sqlite)", "FILE" },
    { "rates", 'r', 0, G_OPTION_ARG_NONE, &rates,
      "Memorization rates per run, task, split and probe", NULL },
    { "sql", 0, 0, G_OPTION_ARG_STRING, &sql, "Run one read-only SQL statement", "QUERY" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &csv,
      "Export the results view (or --sql rows) as CSV ('-': stdout)", "FILE" },
    { "json", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, json_option,
      "Print JSON; with FILE (.json, .jsonl or '-', or --json=FILE) export like --csv",
      "[FILE]" },
    { "lines", 0, 0, G_OPTION_ARG_NONE, &lines,
      "JSON export as one object per line (the default for .jsonl files)", NULL },
    { "texts", 0, 0, G_OPTION_ARG_NONE, &texts,
      "Exports also carry input, output, reference and generated texts", NULL },
    { "run", 0, 0, G_OPTION_ARG_STRING, &run, "Only this run", "NAME" },
    { "task", 0, 0, G_OPTION_ARG_STRING, &task, "Only this task", "NAME" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "Only this split: train or heldout", "SPLIT" },
    { "probe", 0, 0, G_OPTION_ARG_STRING, &probe, "Only this probe: input or target", "PROBE" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("[STUDY] - read a results store");
  GOptionGroup *main_group = g_option_group_new (NULL, NULL, NULL, &json, NULL);
  g_option_group_add_entries (main_group, entries);
  g_option_context_set_main_group (ctx, main_group);
  g_option_context_set_description (ctx,
    "Without STUDY: the studies in the store. With STUDY: its runs and tasks; with --rates,\n"
    "the share of probed samples memorized exactly, verbatim, as paraphrase or as idea, and\n"
    "the mean token match and ROUGE-L, per run, task, split and probe. The store is opened\n"
    "read-only; a study run (memscope study SPEC.ini) creates and fills it.\n\n"
    "Examples:\n"
    "  memscope results\n"
    "  memscope results demo --rates --split train\n"
    "  memscope results demo --json > demo.json\n"
    "  memscope results demo --csv demo.csv --texts --probe target\n"
    "  memscope results --json rows.jsonl --run base\n"
    "  memscope results --sql \"SELECT run, avg(verbatim) FROM results GROUP BY run\"\n");
  /* GOption reorders the array it parses: parse a shallow copy, free the originals. */
  g_autoptr (GPtrArray) args = join_json_file (argc, argv);
  int n_args = args->len;
  g_autofree char **parse_argv = g_new0 (char *, args->len + 1);
  memcpy (parse_argv, args->pdata, args->len * sizeof (char *));
  char **pv = parse_argv;
  int status = 0;
  if (!ms_cli_parse (ctx, &n_args, &pv))
    status = 2;
  g_autofree char *json_file = g_steal_pointer (&json.json_file);
  if (status)
    return status;
  if (n_args > 2)
    return ms_cli_usage ("results", "one STUDY at most, got '%s' and '%s'", pv[1], pv[2]);
  const char *study_name = n_args == 2 ? pv[1] : NULL;
  if (split && strcmp (split, "train") != 0 && strcmp (split, "heldout") != 0)
    return ms_cli_usage ("results", "--split '%s': expected train or heldout", split);
  if (probe && strcmp (probe, "input") != 0 && strcmp (probe, "target") != 0)
    return ms_cli_usage ("results", "--probe '%s': expected input or target", probe);
  if (csv && json_file)
    return ms_cli_usage ("results", "--csv and --json FILE: one export at a time");
  const char *export_path = csv ? csv : json_file;
  if (sql && (study_name || rates || run || task || split || probe))
    return ms_cli_usage ("results", "--sql takes no STUDY, --rates or filters (put them in "
                         "the query)");
  if (rates && export_path)
    return ms_cli_usage ("results", "--rates prints to standard output (add --json for JSON)");

  if (store_path == NULL)
    store_path = ms_store_default_path ();
  GError *error = NULL;
  g_autoptr (MsStore) store = ms_store_open_full (store_path, MS_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_printerr ("memscope results: %s: no results store there. A study run creates one "
                      "(memscope study SPEC.ini); name another with --store FILE or "
                      "$MEMSCOPE_STORE.\n", store_path);
          g_error_free (error);
          return 1;
        }
      return ms_cli_fail ("results", error);
    }

  MsExportFormat format = csv ? MS_EXPORT_CSV
    : lines || (json_file && (g_str_has_suffix (json_file, ".jsonl")
                              || g_str_has_suffix (json_file, ".ndjson")))
    ? MS_EXPORT_JSON_LINES : MS_EXPORT_JSON;
  if (sql)
    {
      if (export_path == NULL && !json.json)
        return run_sql (store, sql);
      gsize n = 0;
      if (!ms_store_query_export (store, sql, format, export_path ? export_path : "-", &n,
                                  &error))
        return ms_cli_fail ("results", error);
      if (export_path && strcmp (export_path, "-") != 0)
        g_printerr ("%s: %" G_GSIZE_FORMAT " rows\n", export_path, n);
      return 0;
    }

  g_autoptr (MsStoreStudy) study = NULL;
  if (study_name && (study = ms_store_get_study (store, study_name, &error)) == NULL)
    return ms_cli_fail ("results", error);
  MsStoreFilter filter = { .study = study_name, .run = run, .task = task, .split = split,
                           .probe = probe };
  if (export_path)
    {
      gsize n = 0;
      if (!ms_store_export (store, &filter, format, texts ? MS_EXPORT_TEXTS : 0, export_path,
                            &n, &error))
        return ms_cli_fail ("results", error);
      if (strcmp (export_path, "-") != 0)
        g_printerr ("%s: %" G_GSIZE_FORMAT " rows\n", export_path, n);
      return 0;
    }
  if (rates)
    return show_rates (store, &filter, json.json);
  if (run || task || split || probe)
    return ms_cli_usage ("results", "--run, --task, --split and --probe go with --rates or an "
                         "export");
  return study ? show_study (store, study, json.json) : list_studies (store, json.json);
}
