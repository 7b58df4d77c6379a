/* Writes a study's report folder: the figures in three formats (and dark SVGs), report.md and
 * report.html from one document model, and results.json. The text says what was run, what
 * could be measured (eligibility), what the numbers are and, cautiously, what they show. */
#include "study/ms-report.h"
#include "common/ms-json.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "common/ms-atomic.h"
#include "common/ms-error.h"
#include "ms-config.h"
#include "ms-report-private.h"
#include "probe/ms-mia.h"
#include "study/ms-analysis.h"
#include "study/ms-report-private.h"

void
ms_report_options_init (MsReportOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->probe = -1;
  opt->dark_figures = TRUE;
  opt->curves = TRUE;
}

/* A name that is safe as one path component. */
static char *
safe_name (const char *name)
{
  GString *s = g_string_new (NULL);
  for (const char *p = name; *p; p++)
    g_string_append_c (s, g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.'
                          ? *p : '_');
  if (s->len == 0 || strcmp (s->str, ".") == 0 || strcmp (s->str, "..") == 0)
    g_string_prepend_c (s, '_');
  return g_string_free (s, FALSE);
}

char *
ms_report_default_dir (const char *store_path, const char *study)
{
  g_autofree char *dir = g_path_get_dirname (store_path);
  g_autofree char *name = safe_name (study);
  return g_build_filename (dir, "reports", name, NULL);
}

/* ---- The study ----------------------------------------------------------------------------- */

/* "finetune: epochs 3, lr 0.0001, ..." lines from the settings JSON. */
static void
settings_items (MsDoc *doc, const char *json)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  if (!json || !ms_json_parser_load (p, json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    {
      ms_doc_item (doc, _("settings: %s"), json ? json : _("none recorded"));
      return;
    }
  JsonObject *o = json_node_get_object (json_parser_get_root (p));
  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *n = json_object_get_member (o, l->data);
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      if (JSON_NODE_HOLDS_OBJECT (n))
        {
          GString *s = g_string_new (NULL);
          JsonObject *sub = json_node_get_object (n);
          g_autoptr (GList) keys = json_object_get_members (sub);
          for (GList *k = keys; k; k = k->next)
            {
              json_generator_set_root (gen, json_object_get_member (sub, k->data));
              g_autofree char *v = ms_json_generate (gen);
              g_string_append_printf (s, "%s%s %s", s->len ? ", " : "", (char *) k->data, v);
            }
          ms_doc_item (doc, "%s: %s", (char *) l->data, s->str);
          g_string_free (s, TRUE);
        }
      else
        {
          json_generator_set_root (gen, n);
          g_autofree char *v = ms_json_generate (gen);
          ms_doc_item (doc, "%s: %s", (char *) l->data, v);
        }
    }
}

static char *
num_or_dash (double v, const char *format)
{
  return isfinite (v) ? g_strdup_printf (format, v) : g_strdup ("—");
}

static void
study_section (MsDoc *doc, const MsStudyTable *t, int probe, gboolean probe_chosen)
{
  const MsStoreStudy *st = t->study;
  ms_doc_heading (doc, _("The study"));
  ms_doc_paragraph (doc, _("Study “%s”: %d tasks, %d runs of which %d finished; unfinished "
                           "runs are left out. Spec %s (SHA-256 %.12s…), created %s, last "
                           "updated %s."),
                    st->name, t->n_tasks, t->n_runs, t->n_finished,
                    st->spec_path ? st->spec_path : _("(not recorded)"),
                    st->spec_sha256 ? st->spec_sha256 : "", st->created, st->updated);
  ms_doc_subheading (doc, _("Settings"));
  settings_items (doc, st->settings_json);
  ms_doc_subheading (doc, _("Runs"));
  const char *header[] = { _("Run"), _("Kind"), _("Seed"), _("Status"), _("Final loss"),
                           _("Training (s)"), _("Generations"), NULL };
  ms_doc_table (doc, header);
  for (guint i = 0; i < t->runs->len; i++)
    {
      const MsStoreRun *r = t->runs->pdata[i];
      g_autofree char *seed = g_strdup_printf ("%" G_GINT64_FORMAT, r->seed);
      g_autofree char *loss = num_or_dash (r->final_loss, "%.4f");
      g_autofree char *secs = num_or_dash (r->train_seconds, "%.0f");
      g_autofree char *gens = g_strdup_printf ("%" G_GINT64_FORMAT, r->n_generations);
      g_autofree char *kind = r->mixture ? g_strdup_printf ("%s (%s)", r->kind, r->mixture)
                                         : g_strdup (r->kind);
      const char *row[] = { r->name, kind, seed, ms_run_state_name (r->status), loss, secs, gens, NULL };
      ms_doc_row (doc, row);
    }
  GString *groups = g_string_new (NULL);
  for (int g = 0; g < t->n_groups; g++)
    g_string_append_printf (groups, "%s%s (%d %s)", g ? ", " : "", t->groups[g].label,
                            t->groups[g].n_runs,
                            ngettext ("finished run", "finished runs", t->groups[g].n_runs));
  ms_doc_paragraph (doc, _("Run groups compared: %s.%s"), groups->str,
                    t->pooled_seeds ? _(" Where a group has runs of several seeds, their "
                                        "probes are pooled into one sample (each text counts "
                                        "once per seed).") : "");
  g_string_free (groups, TRUE);
  ms_doc_paragraph (doc, probe == 1
                    ? _("Probe shown: target — the whole prompt is given and the greedy output "
                        "is compared with the training output.%s")
                    : _("Probe shown: input — the first k tokens of the input are given and "
                        "the greedy continuation is compared with the true rest of the input "
                        "(the paper's probe).%s"),
                    probe_chosen ? "" : (probe == 1
                                         ? _(" Chosen because the study trained on the response "
                                             "only, so its inputs were never training targets.")
                                         : _(" The default; use --probe target for the "
                                             "other.")));
}

static void
tasks_section (MsDoc *doc, const MsStudyTable *t, int probe)
{
  ms_doc_heading (doc, _("Tasks and eligible samples"));
  ms_doc_paragraph (doc, _("A sample is eligible for a probe when it is long enough for it (the "
                           "input probe needs k + n input tokens, the target probe a non-empty "
                           "output that fits the model); only eligible samples are probed and "
                           "counted. Numbers are distinct samples."));
  const char *header[] = { _("Task"), _("Fine-tuned on"), _("Held-out"), _("Probed train"),
                           _("Probed held-out"), _("Eligible input (train / held-out)"),
                           _("Eligible target (train / held-out)"), NULL };
  ms_doc_table (doc, header);
  for (int k = 0; k < t->n_tasks; k++)
    {
      const MsStudyTask *tk = &t->tasks[k];
      char c[6][64];
      g_snprintf (c[0], 64, "%" G_GINT64_FORMAT, tk->n_train);
      g_snprintf (c[1], 64, "%" G_GINT64_FORMAT, tk->n_heldout);
      g_snprintf (c[2], 64, "%" G_GINT64_FORMAT, tk->n_samples[MS_SPLIT_TRAIN]);
      g_snprintf (c[3], 64, "%" G_GINT64_FORMAT, tk->n_samples[MS_SPLIT_HELDOUT]);
      for (int p = 0; p < MS_STUDY_N_PROBES; p++)
        g_snprintf (c[4 + p], 64, "%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT,
                    tk->eligible[p][MS_SPLIT_TRAIN], tk->eligible[p][MS_SPLIT_HELDOUT]);
      const char *row[] = { tk->name, c[0], c[1], c[2], c[3], c[4], c[5], NULL };
      ms_doc_row (doc, row);
    }
  gboolean any = FALSE;
  for (int k = 0; k < t->n_tasks; k++)
    for (int p = 0; p < MS_STUDY_N_PROBES; p++)
      {
        const gint64 *e = t->tasks[k].eligible[p];
        if (e[MS_SPLIT_TRAIN] > 0 && e[MS_SPLIT_HELDOUT] > 0)
          continue;
        const char *which = e[MS_SPLIT_TRAIN] == 0 && e[MS_SPLIT_HELDOUT] == 0
                            ? _("training or held-out")
                            : e[MS_SPLIT_TRAIN] == 0 ? _("training") : _("held-out");
        ms_doc_item (doc, _("%s: 0 eligible %s samples for the %s probe%s — its rates are "
                            "“n/a”, not 0."),
                     t->tasks[k].name, which, ms_study_probe_name (p),
                     p == probe ? _(" (the probe shown)") : "");
        any = TRUE;
      }
  if (!any)
    ms_doc_paragraph (doc, _("Every task has eligible training and held-out samples for both "
                             "probes."));
}

/* ---- Tables of numbers --------------------------------------------------------------------- */

static void
measure_table (MsDoc *doc, const MsStudyTable *t, int probe, MsMeasure m)
{
  ms_doc_subheading (doc, ms_measure_label (m));
  const char *header[] = { _("Task"), _("Run group"), _("n (probes)"), _("Training samples"),
                           _("Held-out (control)"), _("Base model (baseline)"),
                           _("− held-out"), _("− base"), _("− single-task"), NULL };
  ms_doc_table (doc, header);
  for (int k = 0; k < t->n_tasks; k++)
    for (int g = 0; g < t->n_groups; g++)
      {
        if (!t->groups[g].covers[k])
          continue;
        const MsStudyRow *r = ms_study_table_row (t, k, g, probe, m);
        if (r->train.n == 0)
          continue;
        g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT, r->train.n);
        g_autofree char *tr = ms_report_format_value (m, &r->train.value);
        g_autofree char *ho = ms_report_format_value (m, &r->heldout.value);
        g_autofree char *bs = ms_report_format_value (m, &r->base.value);
        g_autofree char *d1 = ms_report_format_diff (m, &r->minus_heldout);
        g_autofree char *d2 = ms_report_format_diff (m, &r->minus_base);
        g_autofree char *d3 = ms_report_format_diff (m, &r->minus_single);
        const char *row[] = { t->tasks[k].name, t->groups[g].label, n, tr, ho, bs,
                              t->groups[g].kind == MS_GROUP_BASE ? "—" : d1,
                              t->groups[g].kind == MS_GROUP_BASE ? "—" : d2,
                              t->groups[g].kind == MS_GROUP_MIXTURE ? d3 : "—", NULL };
        if (t->groups[g].kind == MS_GROUP_BASE)
          row[6] = d1;  /* the base model's own train - held-out: the sanity check */
        ms_doc_row (doc, row);
      }
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  for (int k = 0; k < t->n_tasks; k++)
    if (t->tasks[k].eligible[probe][MS_SPLIT_TRAIN] == 0)
      g_ptr_array_add (none, t->tasks[k].name);
  if (none->len)
    {
      g_ptr_array_add (none, NULL);
      g_autofree char *names = g_strjoinv (", ", (char **) none->pdata);
      ms_doc_paragraph (doc, _("No eligible training sample for this probe, so no row (n/a, "
                               "not 0): %s."), names);
    }
}

static void
length_section (MsDoc *doc, const MsStudyTable *t, int probe, const char *fig_id)
{
  MsMeasure m = t->options.measure;
  ms_doc_heading (doc, _("Is it the output length?"));
  ms_doc_paragraph (doc, _("Long-output tasks may look more memorized only because their "
                           "outputs are longer. Each sample's length is its number of output "
                           "tokens (for both probes: the reviewers' confound is the task's "
                           "output length). Lengths are cut into bins of a factor of %.3g "
                           "(1, 2–3, 4–7, 8–15, … tokens for a factor of 2). Left: the "
                           "single-task rate within each bin, per task; where tasks share a "
                           "bin, like lengths are compared with like. Right: each task minus "
                           "a reference task, raw and after coarsened exact matching (Iacus, "
                           "King & Porro 2012): only bins holding samples of both tasks are "
                           "kept, and the reference task's samples are reweighted to the "
                           "task's distribution over those bins. The matched interval is a "
                           "percentile bootstrap (%u resamples) within bins. Tasks with no "
                           "length in common cannot be compared this way, and the report says "
                           "so instead of guessing."),
                    exp2 (t->options.length_bin_log2), t->options.boot.n_resamples);
  ms_doc_figure (doc, fig_id, _("Rates by output length, and differences between tasks before "
                                "and after length matching"), TRUE);
  int ref = t->reference[probe];
  if (ref < 0)
    return;
  const char *header[] = { _("Task"), _("Rate"), _("Reference rate"), _("Raw difference"),
                           _("Length-matched difference"), _("Bins"), _("Matched n"), NULL };
  ms_doc_table (doc, header);
  for (int k = 0; k < t->n_tasks; k++)
    {
      const MsStudyMatch *mt = ms_study_table_match (t, probe, m, k);
      if (mt->status == MS_MATCH_NO_DATA)
        continue;
      MsInterval a = { mt->raw_task, NAN, NAN }, b = { mt->raw_reference, NAN, NAN };
      g_autofree char *va = ms_report_format_value (m, &a);
      g_autofree char *vb = ms_report_format_value (m, &b);
      g_autofree char *raw = ms_report_format_diff (m, &mt->raw_diff);
      g_autofree char *mat = NULL, *bins = NULL, *nm = NULL;
      if (mt->status == MS_MATCH_OK)
        {
          mat = ms_report_format_diff (m, &mt->matched.diff);
          bins = g_strdup_printf ("%zu", mt->matched.n_bins);
          nm = g_strdup_printf ("%zu / %zu", mt->matched.n_a, mt->matched.n_b);
        }
      else
        {
          mat = g_strdup (mt->status == MS_MATCH_REFERENCE ? _("(reference)")
                          : mt->status == MS_MATCH_NO_DATA ? _("no data")
                          : _("not comparable: no common lengths"));
          bins = g_strdup ("—");
          nm = g_strdup ("—");
        }
      const char *row[] = { t->tasks[k].name, va, vb, k == ref ? "—" : raw, mat, bins, nm,
                            NULL };
      ms_doc_row (doc, row);
    }
}

/* ---- Figures ------------------------------------------------------------------------------ */

/* The figure at its own size at scale 1 as SVG and PDF, and twice as sharp as PNG (the
 * same layout: the scale is fixed rather than derived from the canvas). */
static gboolean
save_figure (const char *dir, const MsFigure *f, gboolean dark, GError **error)
{
  static const char *const exts[] = { "png", "svg", "pdf" };
  for (guint i = 0; i < G_N_ELEMENTS (exts) + (dark ? 1 : 0); i++)
    {
      gboolean is_dark = i == G_N_ELEMENTS (exts), png = i == 0;
      MsPlotTheme theme = *(is_dark ? ms_plot_theme_dark () : ms_plot_theme_light ());
      theme.scale = png ? 2 : 1;
      g_autofree char *name = is_dark ? g_strdup_printf ("%s-dark.svg", f->id)
                                      : g_strdup_printf ("%s.%s", f->id, exts[i]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (!ms_plot_save (path, f->width * theme.scale, f->height * theme.scale, f->kind,
                         f->chart, &theme, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
write_text (const char *dir, const char *name, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return ms_atomic_write (path, text, strlen (text), error);
}

/* Membership inference and canaries, when the study recorded them. */
static gboolean
analysis_sections (MsDoc *doc, MsStore *store, const MsAnalysisTable *a, const char *figdir,
                   gboolean dark, GError **error)
{
  if (a->mia->len > 0)
    {
      ms_doc_heading (doc, _("Membership inference"));
      ms_doc_paragraph (doc, _("Can an attacker tell the training samples from held-out ones by "
                               "the model's likelihood of them? ROC AUC of each signal, training "
                               "(members) against held-out (non-members) samples of the same "
                               "task, with a stratified bootstrap interval; 0.5 is chance. The "
                               "base model saw neither, so its AUC measures how different the "
                               "two splits are to begin with."));
      const int signals[] = { MS_MIA_LOSS, MS_MIA_REFERENCE };
      for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
        {
          g_autoptr (MsFigure) f = ms_figure_mia_auc (a, signals[i]);
          if (f && !save_figure (figdir, f, dark, error))
            return FALSE;
          if (f)
            ms_doc_figure (doc, f->id, f->title, dark);
        }
      g_autoptr (MsFigure) roc = ms_figure_mia_roc (a, MS_MIA_REFERENCE);
      if (roc && !save_figure (figdir, roc, dark, error))
        return FALSE;
      if (roc)
        ms_doc_figure (doc, roc->id, roc->title, dark);
      const char *header[] = { _("run"), _("task"), _("signal"), _("AUC"), _("TPR at 1% FPR"),
                               _("members / non-members"), NULL };
      ms_doc_table (doc, header);
      for (guint i = 0; i < a->mia->len; i++)
        {
          const MsMiaResult *r = &g_array_index (a->mia, MsMiaResult, i);
          g_autofree char *auc = g_strdup_printf ("%.3f [%.3f, %.3f]", r->auc, r->auc_lower,
                                                  r->auc_upper);
          g_autofree char *tpr = g_strdup_printf ("%.3f", r->tpr_at_1);
          g_autofree char *n = g_strdup_printf ("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT,
                                                r->n_members, r->n_nonmembers);
          const char *row[] = { ((MsStoreRun *) a->table->runs->pdata[r->run])->name,
                                a->table->tasks[r->task].name, ms_mia_signal_name (r->signal),
                                auc, tpr, n, NULL };
          ms_doc_row (doc, row);
        }
    }
  const MsWhy *whys[2] = { a->attention, a->sparse };
  for (int wi = 0; wi < 2; wi++)
    {
      const MsWhy *w = whys[wi];
      if (w == NULL || w->n == 0)
        continue;
      if (wi == 0)
        {
          ms_doc_heading (doc, _("Attention and memorization"));
          ms_doc_paragraph (doc, _("The paper found high-memorization tasks spreading their "
                                   "attention more uniformly over the input, measured across "
                                   "tasks only. Here each probed training sample's attention "
                                   "over its prompt (last layer, normalized entropy averaged "
                                   "over heads: 1 is uniform) is set against how much of it the "
                                   "single-task model reproduced (token match of the %s probe): "
                                   "within each task, over all samples, and across tasks (task "
                                   "means)."), ms_study_probe_name (a->probe));
        }
      else
        {
          ms_doc_heading (doc, _("Sparse codes and memorization"));
          ms_doc_paragraph (doc, _("The paper explains task disparity with sparse coding: tasks "
                                   "whose outputs depend on many input features must encode "
                                   "more of the input. Here a dictionary is learned on the "
                                   "hidden states of the last layer (run %s, one dictionary for "
                                   "every task), and each sample's mean hidden state is coded "
                                   "with as few atoms as reach the fixed reconstruction error; "
                                   "that density is set against memorization as above."),
                            a->sparse_run);
        }
      g_autoptr (MsFigure) f1 = wi == 0 ? ms_figure_attention_tasks (a) : ms_figure_sparse_tasks (a);
      g_autoptr (MsFigure) f2 = wi == 0 ? ms_figure_attention_scatter (a)
                                        : ms_figure_sparse_scatter (a);
      g_autoptr (MsFigure) f3 = wi == 0 ? ms_figure_attention_heads (a) : NULL;
      /* One sample's map: the most reproduced training sample among those with a map. */
      g_autoptr (MsFigure) f4 = NULL;
      if (wi == 0)
        {
          gint64 best;
          if (!ms_store_study_best_map (store, a->table->study->id, &best, error))
            return FALSE;
          if (best > 0 && !(f4 = ms_figure_attention_map (store, best, error)) && error && *error)
            return FALSE;
        }
      MsFigure *figs[4] = { f1, f2, f3, f4 };
      for (int k = 0; k < 4; k++)
        if (figs[k])
          {
            if (!save_figure (figdir, figs[k], dark, error))
              return FALSE;
            ms_doc_figure (doc, figs[k]->id, figs[k]->title, dark);
          }
      const char *header[] = { _("samples of"), _("n"),
                               /* xgettext:no-c-format */
                               _("Spearman ρ [95% interval]"),
                               _("p (t approximation)"),
                               /* xgettext:no-c-format */
                               _("Pearson r [95% interval]"), NULL };
      ms_doc_table (doc, header);
      for (int k = -2; k < a->table->n_tasks; k++)
        {
          const MsWhyCorr *c = k == -2 ? &w->across : k == -1 ? &w->pooled : &w->within[k];
          const char *who = k == -2 ? _("across tasks (means of tasks with ≥ 5 samples)")
                            : k == -1 ? _("all tasks pooled") : a->table->tasks[k].name;
          g_autofree char *n = g_strdup_printf ("%zu", c->n);
          g_autofree char *rho = c->defined
            ? g_strdup_printf ("%+.2f [%+.2f, %+.2f]", c->spearman.r.estimate,
                               c->spearman.r.lower, c->spearman.r.upper)
            : g_strdup (_("n/a"));
          g_autofree char *pv = c->defined ? g_strdup_printf ("%.3g", c->spearman.p_value)
                                           : g_strdup (_("n/a"));
          g_autofree char *pr = c->defined
            ? g_strdup_printf ("%+.2f [%+.2f, %+.2f]", c->pearson.r.estimate,
                               c->pearson.r.lower, c->pearson.r.upper)
            : g_strdup (_("n/a"));
          const char *row[] = { who, n, rho, pv, pr, NULL };
          ms_doc_row (doc, row);
        }
      if (wi == 0 && a->matrix)
        {
          ms_doc_paragraph (doc, _("Every statistic of the last layer against every "
                                   "memorization score: Spearman ρ over all training samples "
                                   "of the single-task runs, and in brackets the mean of the "
                                   "within-task coefficients."));
          const char *mh[] = { _("statistic"), "token_match", "lcs_chars", "rouge_l", "exact",
                               NULL };
          ms_doc_table (doc, mh);
          for (int st = 0; st < MS_WHY_N_STATS; st++)
            {
              char *cells[MS_WHY_N_SCORES];
              for (int sc = 0; sc < MS_WHY_N_SCORES; sc++)
                {
                  const MsWhyCorr *c = &a->matrix->pooled[st][sc];
                  double wm = a->matrix->within_mean[st][sc];
                  cells[sc] = c->defined
                    ? g_strdup_printf ("%+.2f (%+.2f)", c->spearman.r.estimate, wm)
                    : g_strdup (_("n/a"));
                }
              const char *row[] = { ms_why_stat_name (st), cells[0], cells[1], cells[2],
                                    cells[3], NULL };
              ms_doc_row (doc, row);
              for (int sc = 0; sc < MS_WHY_N_SCORES; sc++)
                g_free (cells[sc]);
            }
        }
    }
  if (a->canaries->len > 0)
    {
      ms_doc_heading (doc, _("Canaries"));
      ms_doc_paragraph (doc, _("Random secrets were added to the training data of “%s” a "
                               "chosen number of times (Carlini et al. 2019). Exposure = "
                               "log2 (candidates) − log2 (rank of the secret among them by the "
                               "model's likelihood): 0 means the model prefers it no more than "
                               "a random candidate; the maximum means it ranks first. The rank "
                               "is measured among sampled candidates, so it saturates (see the "
                               "axis); the extrapolated column fits a normal distribution to the "
                               "candidates' likelihoods, as Carlini et al. do."),
                        a->canary_task ? a->canary_task : "?");
      g_autoptr (MsFigure) f = ms_figure_canaries (a);
      if (f && !save_figure (figdir, f, dark, error))
        return FALSE;
      if (f)
        ms_doc_figure (doc, f->id, f->title, dark);
      const char *header[] = { _("run"), _("repeats"), _("canaries"),
                               _("exposure (sampled rank)"), _("exposure (extrapolated)"),
                               _("maximum"), NULL };
      ms_doc_table (doc, header);
      for (guint i = 0; i < a->canaries->len; i++)
        {
          const MsCanaryResult *c = &g_array_index (a->canaries, MsCanaryResult, i);
          g_autofree char *rep = g_strdup_printf ("%d", c->repeats);
          g_autofree char *n = g_strdup_printf ("%d", c->n);
          g_autofree char *e = g_strdup_printf ("%.2f [%.2f, %.2f]", c->exposure_mean,
                                                c->exposure_min, c->exposure_max);
          g_autofree char *en = g_strdup_printf ("%.2f", c->normal_mean);
          g_autofree char *mx = g_strdup_printf ("%.1f", c->max_exposure);
          const char *row[] = { ((MsStoreRun *) a->table->runs->pdata[c->run])->name, rep, n, e,
                                en, mx, NULL };
          ms_doc_row (doc, row);
        }
    }
  return TRUE;
}

char *
ms_report_findings_markdown (const MsStudyTable *t, int probe)
{
  g_autoptr (MsDoc) doc = ms_doc_new (NULL);
  ms_report_findings (doc, t, probe);
  return ms_doc_markdown (doc);
}

gboolean
ms_report_write (MsStore *store, const MsStudyTable *t, const MsReportOptions *opt,
                 char **html_path, GError **error)
{
  MsReportOptions defaults;
  if (opt == NULL)
    {
      ms_report_options_init (&defaults);
      opt = &defaults;
    }
  if (opt->out_dir == NULL || opt->probe >= MS_STUDY_N_PROBES)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "report: expected an output folder and a probe of 0 (input) or 1 (target)");
      return FALSE;
    }
  if (t->n_finished == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "study '%s' has no finished runs yet (%d %s, none done): nothing to report; "
                   "run the study first", t->study->name, t->n_runs,
                   t->n_runs == 1 ? "run" : "runs");
      return FALSE;
    }
  int probe = opt->probe >= 0 ? opt->probe : ms_study_table_default_probe (t);
  g_autofree char *figdir = g_build_filename (opt->out_dir, "figures", NULL);
  if (g_mkdir_with_parents (figdir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: cannot create the "
                   "report folder: %s", figdir, g_strerror (e));
      return FALSE;
    }
  /* One writer at a time; what a killed one left half-written is swept away. */
  g_autoptr (MsFolderLock) lock = ms_folder_lock (opt->out_dir, error);
  if (lock == NULL)
    return FALSE;

  g_autoptr (GPtrArray) figs = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_figure_free);
  MsFigure *main_fig = ms_figure_main (t, probe);
  MsFigure *corr_fig = ms_figure_corrected (t, probe);
  MsFigure *len_fig = ms_figure_length (t, probe, t->options.measure);
  MsFigure *dist_fig = ms_figure_distribution (t, probe);
  g_ptr_array_add (figs, main_fig);
  g_ptr_array_add (figs, corr_fig);
  g_ptr_array_add (figs, len_fig);
  g_ptr_array_add (figs, dist_fig);
  for (guint i = 0; i < figs->len; i++)
    if (!save_figure (figdir, figs->pdata[i], opt->dark_figures, error))
      return FALSE;

  /* Loss curves of the finished runs that recorded them. */
  g_autoptr (GPtrArray) curves = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_figure_free);
  for (guint i = 0; opt->curves && i < t->runs->len; i++)
    {
      const MsStoreRun *r = t->runs->pdata[i];
      if (r->status != MS_RUN_DONE || strcmp (r->kind, "base") == 0)
        continue;
      MsFigure *f = ms_figure_curves (store, r->id, error);
      if (f == NULL)
        return FALSE;
      const MsLineChart *lc = f->chart;
      if (lc->n_series == 0)
        {
          ms_figure_free (f);
          continue;
        }
      g_autofree char *safe = safe_name (r->name);
      char *id = g_strdup_printf ("curves-%s", safe);
      g_ptr_array_add (f->owned, id);
      f->id = id;
      g_ptr_array_add (curves, f);
      if (!save_figure (figdir, f, FALSE, error))
        return FALSE;
    }

  g_autoptr (MsAnalysisTable) analysis = ms_analysis_table_new (store, t, probe, error);
  if (analysis == NULL)
    return FALSE;

  g_autofree char *title = g_strdup_printf (_("Memorization report: %s"), t->study->name);
  g_autoptr (MsDoc) doc = ms_doc_new (title);
  g_autofree char *now = ms_store_now ();
  ms_doc_note (doc, _("Written %s by memscope %s from the results store %s; every number and "
                      "figure here can be regenerated with `memscope report %s`. The full "
                      "table is in results.json."),
               now, MS_VERSION, ms_store_path (store), t->study->name);
  study_section (doc, t, probe, opt->probe >= 0);
  tasks_section (doc, t, probe);

  ms_doc_heading (doc, _("Findings"));
  ms_report_findings (doc, t, probe);

  ms_doc_heading (doc, _("Memorization per task"));
  ms_doc_paragraph (doc, _("Rates (for flags) and means (for scores) on training samples, per "
                           "task and run group, with 95%% intervals (Wilson for rates, t for "
                           "means). The hatched grey bars are the base model before "
                           "fine-tuning on the same samples. n under each task is the number "
                           "of eligible training samples."));
  ms_doc_figure (doc, main_fig->id, main_fig->title, TRUE);

  ms_doc_heading (doc, _("Above the controls"));
  ms_doc_paragraph (doc, _("Left: training minus held-out samples of the same runs — what the "
                           "model does on texts it was trained on beyond what it does on "
                           "similar texts it never saw. Right: training-sample rate minus the "
                           "base model's on the same samples — what fine-tuning added. "
                           "Intervals: Newcombe's hybrid score interval for rates, a bootstrap "
                           "for means. The base model's own train − held-out (hatched, left) "
                           "should be near zero: it saw neither split."));
  ms_doc_figure (doc, corr_fig->id, corr_fig->title, TRUE);

  length_section (doc, t, probe, len_fig->id);

  ms_doc_heading (doc, _("Per-task table"));
  ms_doc_paragraph (doc, _("Probe: %s. Differences are in percentage points (pp) for rates. "
                           "“n/a”: no eligible sample, so nothing was measured. BLEU, "
                           "alignment coverage and the other probe are in results.json."),
                    ms_study_probe_name (probe));
  static const MsMeasure shown[] = { MS_MEASURE_EXACT, MS_MEASURE_VERBATIM,
                                     MS_MEASURE_PARAPHRASE, MS_MEASURE_IDEA, MS_MEASURE_ANY,
                                     MS_MEASURE_TOKEN_MATCH, MS_MEASURE_ROUGE_L,
                                     MS_MEASURE_LCS_CHARS };
  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    measure_table (doc, t, probe, shown[i]);

  ms_doc_heading (doc, _("Per-sample scores"));
  ms_doc_paragraph (doc, _("Every probe of the single-task runs: training (blue) against "
                           "held-out (grey) samples. A memorizing model separates the two."));
  ms_doc_figure (doc, dist_fig->id, dist_fig->title, TRUE);

  if (curves->len)
    {
      ms_doc_heading (doc, _("Training curves"));
      for (guint i = 0; i < curves->len; i++)
        {
          const MsFigure *f = curves->pdata[i];
          ms_doc_figure (doc, f->id, f->title, FALSE);
        }
    }

  g_autoptr (MsFigure) sweep = ms_figure_synthetic_sweep (t, probe);
  if (sweep)
    {
      if (!save_figure (figdir, sweep, opt->dark_figures, error))
        return FALSE;
      ms_doc_heading (doc, _("The synthetic sweep"));
      ms_doc_paragraph (doc, _("The study's synthetic tasks share their inputs and differ only in "
                               "the number s of latent features the output depends on. If the "
                               "sparse-coding explanation holds, memorization of the training "
                               "samples rises with s while the held-out control stays flat."));
      ms_doc_figure (doc, sweep->id, sweep->title, opt->dark_figures);
    }
  if (analysis && !analysis_sections (doc, store, analysis, figdir, opt->dark_figures, error))
    return FALSE;

  ms_doc_heading (doc, _("Method"));
  ms_doc_item (doc, _("exact: the generation reproduces the whole reference (Carlini et al. "
                      "2022); token match: fraction of matching token positions (Biderman et "
                      "al. 2023)."));
  ms_doc_item (doc, _("verbatim: generation and reference share a run of at least 50 "
                      "characters; paraphrase and idea: the PAN-style text alignment of Lee et "
                      "al. 2023 as the paper uses it; any: verbatim, paraphrase or idea (the "
                      "paper's memorization rate)."));
  ms_doc_item (doc, _("Rates: Wilson score intervals; differences of rates: Newcombe (1998, "
                      "method 10); means: t intervals; differences of means: percentile "
                      "bootstrap, each side resampled on its own (%u resamples, fixed seed)."),
               t->options.boot.n_resamples);
  ms_doc_item (doc, _("Only finished runs count. Samples too short for a probe are not "
                      "eligible and are not counted as unmemorized."));

  g_autofree char *md = ms_doc_markdown (doc);
  g_autofree char *html = ms_doc_html (doc);
  g_autofree char *json = ms_study_table_to_json (t);
  g_autofree char *ajson = analysis ? ms_analysis_table_to_json (analysis) : NULL;
  if ((ajson && !write_text (opt->out_dir, "analysis.json", ajson, error))
      || !write_text (opt->out_dir, "results.json", json, error)
      || !write_text (opt->out_dir, "report.md", md, error)
      || !write_text (opt->out_dir, "report.html", html, error))
    return FALSE;
  if (html_path)
    *html_path = g_build_filename (opt->out_dir, "report.html", NULL);
  return TRUE;
}
