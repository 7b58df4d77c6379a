/* The report's automatically written findings: which tasks memorize most, whether that holds
 * against the held-out control and the base model, whether multi-task mixtures lowered it, and
 * whether task gaps survive matching on output length. Deliberately cautious: an interval that
 * includes zero is "no clear difference", overlapping intervals are "not clearly ordered". */
#include "study/ms-report-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdlib.h>

static gboolean
overlap (const MsInterval *a, const MsInterval *b)
{
  return a->lower <= b->upper && b->lower <= a->upper;
}

typedef struct {
  int task;
  double value;
} Ranked;

static int
by_value_desc (const void *pa, const void *pb)
{
  const Ranked *a = pa, *b = pb;
  return (a->value < b->value) - (a->value > b->value);
}

/* Joins "A (x)", "B (y)" as "A (x), B (y) and C (z)". */
static char *
join_list (GPtrArray *parts)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < parts->len; i++)
    {
      if (i > 0)
        g_string_append (s, i + 1 == parts->len ? _(" and ") : ", ");
      g_string_append (s, parts->pdata[i]);
    }
  return g_string_free (s, FALSE);
}

static void
ranking (MsDoc *doc, const MsStudyTable *t, int probe, MsMeasure m, int single)
{
  g_autofree Ranked *r = g_new0 (Ranked, MAX (t->n_tasks, 1));
  int n = 0;
  g_autoptr (GPtrArray) skipped = g_ptr_array_new ();
  for (int k = 0; k < t->n_tasks; k++)
    {
      const MsStudyRow *row = ms_study_table_row (t, k, single, probe, m);
      if (row && row->train.n > 0)
        r[n++] = (Ranked) { k, row->train.value.estimate };
      else
        g_ptr_array_add (skipped, t->tasks[k].name);
    }
  if (n == 0)
    {
      ms_doc_paragraph (doc, _("No single-task run has an eligible, scored sample for the %s "
                               "probe, so the tasks cannot be compared on it."),
                        ms_study_probe_name (probe));
      return;
    }
  qsort (r, n, sizeof (Ranked), by_value_desc);
  GString *s = g_string_new (NULL);
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n; i++)
    {
      const MsStudyRow *row = ms_study_table_row (t, r[i].task, single, probe, m);
      g_autofree char *v = ms_report_format_value (m, &row->train.value);
      g_ptr_array_add (parts, g_strdup_printf ("%s %s", t->tasks[r[i].task].name, v));
    }
  g_autofree char *list = join_list (parts);
  g_string_append_printf (s, _("Which tasks memorize most: with single-task fine-tuning, the "
                               "rate of “%s” on training samples, from highest to lowest, is "
                               "%s."), ms_measure_label (m), list);
  if (n >= 2)
    {
      const MsInterval *top = &ms_study_table_row (t, r[0].task, single, probe, m)->train.value;
      g_autoptr (GPtrArray) close = g_ptr_array_new ();
      for (int i = 1; i < n; i++)
        if (overlap (top, &ms_study_table_row (t, r[i].task, single, probe, m)->train.value))
          g_ptr_array_add (close, t->tasks[r[i].task].name);
      if (close->len == 0)
        g_string_append_printf (s, _(" The interval of %s does not overlap any other task's: "
                                     "by this measure it memorizes clearly the most."),
                                t->tasks[r[0].task].name);
      else
        {
          g_autofree char *names = join_list (close);
          g_string_append_printf (s, _(" The interval of %s overlaps that of %s, so which of "
                                       "these memorizes most is not clear."),
                                  t->tasks[r[0].task].name, names);
        }
    }
  if (skipped->len)
    {
      g_autofree char *names = join_list (skipped);
      g_string_append_printf (s, _(" Not ranked, because no sample was eligible for this probe "
                                   "(this is not a rate of zero): %s."), names);
    }
  if (m != MS_MEASURE_EXACT)
    {
      g_autoptr (GPtrArray) ex = g_ptr_array_new_with_free_func (g_free);
      for (int i = 0; i < n; i++)
        {
          const MsStudyRow *row = ms_study_table_row (t, r[i].task, single, probe,
                                                      MS_MEASURE_EXACT);
          g_autofree char *v = ms_report_format_value (MS_MEASURE_EXACT, &row->train.value);
          g_ptr_array_add (ex, g_strdup_printf ("%s %s", t->tasks[r[i].task].name, v));
        }
      g_autofree char *exl = join_list (ex);
      g_string_append_printf (s, _(" By the exact standard (the whole reference reproduced), "
                                   "the rates are %s."), exl);
    }
  ms_doc_paragraph (doc, "%s", s->str);
  g_string_free (s, TRUE);
}

/* Sorts the tasks of GROUP by the sign of a difference: above, unclear, below. */
static void
split_by_sign (const MsStudyTable *t, int group, int probe, MsMeasure m, gsize offset,
               GPtrArray *above, GPtrArray *unclear, GPtrArray *below)
{
  for (int k = 0; k < t->n_tasks; k++)
    {
      if (!t->groups[group].covers[k])
        continue;
      const MsStudyRow *row = ms_study_table_row (t, k, group, probe, m);
      const MsInterval *d = (const MsInterval *) ((const char *) row + offset);
      if (!isfinite (d->estimate))
        continue;
      g_autofree char *v = ms_report_format_diff (m, d);
      char *item = g_strdup_printf ("%s (%s)", t->tasks[k].name, v);
      int sign = ms_report_sign (d);
      g_ptr_array_add (sign > 0 ? above : sign < 0 ? below : unclear, item);
    }
}

static void
append_groups (GString *s, GPtrArray *above, GPtrArray *unclear, GPtrArray *below,
               const char *above_text, const char *below_text)
{
  gboolean first = TRUE;
  GPtrArray *lists[] = { above, unclear, below };
  const char *texts[] = { above_text, _("no clear difference for"), below_text };
  for (int i = 0; i < 3; i++)
    if (lists[i]->len)
      {
        g_autofree char *l = join_list (lists[i]);
        g_string_append_printf (s, "%s%s %s", first ? "" : "; ", texts[i], l);
        first = FALSE;
      }
  g_string_append (s, first ? _("nothing to compare.") : ".");
}

static void
controls (MsDoc *doc, const MsStudyTable *t, int probe, MsMeasure m, int single, int base)
{
  g_autoptr (GPtrArray) a = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) u = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) b = g_ptr_array_new_with_free_func (g_free);
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, _("Against the controls (single-task runs, “%s”): compared with "
                               "held-out samples of the same runs, "), ms_measure_label (m));
  split_by_sign (t, single, probe, m, G_STRUCT_OFFSET (MsStudyRow, minus_heldout), a, u, b);
  append_groups (s, a, u, b, _("clearly higher on training samples for"),
                 _("lower on training samples for"));
  if (base >= 0)
    {
      g_ptr_array_set_size (a, 0);
      g_ptr_array_set_size (u, 0);
      g_ptr_array_set_size (b, 0);
      g_string_append (s, _(" Compared with the base model on the same training samples, "));
      split_by_sign (t, single, probe, m, G_STRUCT_OFFSET (MsStudyRow, minus_base), a, u, b);
      append_groups (s, a, u, b, _("clearly higher after fine-tuning for"),
                     _("lower after fine-tuning for"));
      /* The base model never saw either split: a difference means the splits differ. */
      g_autoptr (GPtrArray) odd = g_ptr_array_new_with_free_func (g_free);
      for (int k = 0; k < t->n_tasks; k++)
        {
          const MsStudyRow *row = ms_study_table_row (t, k, base, probe, m);
          if (ms_report_sign (&row->minus_heldout) != 0)
            {
              g_autofree char *v = ms_report_format_diff (m, &row->minus_heldout);
              g_ptr_array_add (odd, g_strdup_printf ("%s (%s)", t->tasks[k].name, v));
            }
        }
      if (odd->len)
        {
          g_autofree char *l = join_list (odd);
          g_string_append_printf (s, _(" Caution: the base model, which saw neither split, "
                                       "already scores training and held-out samples "
                                       "differently for %s; there the held-out control is not "
                                       "a like-for-like comparison."), l);
        }
    }
  else
    g_string_append (s, _(" The study has no finished base-model run, so there is no "
                          "baseline."));
  ms_doc_paragraph (doc, "%s", s->str);
  g_string_free (s, TRUE);
}

static void
mixtures (MsDoc *doc, const MsStudyTable *t, int probe, MsMeasure m, int single)
{
  gboolean any = FALSE;
  for (int g = 0; g < t->n_groups; g++)
    {
      const MsStudyGroup *gr = &t->groups[g];
      if (gr->kind != MS_GROUP_MIXTURE || gr->n_runs == 0)
        continue;
      any = TRUE;
      g_autoptr (GPtrArray) a = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) u = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) b = g_ptr_array_new_with_free_func (g_free);
      split_by_sign (t, g, probe, m, G_STRUCT_OFFSET (MsStudyRow, minus_single), a, u, b);
      GString *s = g_string_new (NULL);
      g_string_append_printf (s, _("Multi-task fine-tuning: the mixture “%s” against the "
                                   "single-task runs, on the same training samples ("
                                   "mixture − single-task, “%s”): "),
                              gr->mixture, ms_measure_label (m));
      if (single < 0 || a->len + u->len + b->len == 0)
        g_string_append (s, _("no task has results from both, so nothing can be said."));
      else
        {
          /* Lower memorization is the hoped-for outcome: list it first. */
          append_groups (s, b, u, a, _("clearly lower for"), _("clearly higher for"));
          g_string_append_printf (s, _(" Lower for %u of %u tasks. Both sides are measured on "
                                       "the same samples against the same base model, so "
                                       "correcting for the base model would not change these "
                                       "differences."), b->len, a->len + u->len + b->len);
        }
      ms_doc_paragraph (doc, "%s", s->str);
      g_string_free (s, TRUE);
    }
  if (!any)
    ms_doc_paragraph (doc, _("Multi-task fine-tuning: the study has no finished mixture run, "
                             "so whether mixing tasks lowers memorization is not answered "
                             "here."));
}

/* What a difference before (raw) and after length matching says, by the signs of their
 * intervals. */
static const char *
verdict (int before, int after)
{
  if (before > 0)
    return after > 0 ? _("the gap survives")
           : after == 0 ? _("no clear difference once lengths are matched")
           : _("the gap reverses once lengths are matched");
  if (before < 0)
    return after < 0 ? _("lower than the reference, also at equal lengths")
           : after == 0 ? _("lower before matching, no clear difference after")
           : _("higher once lengths are matched");
  return after == 0 ? _("no clear difference either way")
         : after > 0 ? _("a gap only appears when lengths are matched")
         : _("lower only when lengths are matched");
}

/* Whether tasks A and B have single-task training samples in a common length bin. */
static gboolean
share_lengths (const MsStudyTable *t, int probe, MsMeasure m, int a, int b)
{
  for (guint i = 0; i < t->bins->len; i++)
    {
      const MsStudyBin *x = &g_array_index (t->bins, MsStudyBin, i);
      if (x->task != a || x->probe != probe || x->measure != m)
        continue;
      for (guint j = 0; j < t->bins->len; j++)
        {
          const MsStudyBin *y = &g_array_index (t->bins, MsStudyBin, j);
          if (y->task == b && y->probe == probe && y->measure == m && y->lo == x->lo)
            return TRUE;
        }
    }
  return FALSE;
}

static void
length (MsDoc *doc, const MsStudyTable *t, int probe, MsMeasure m)
{
  int ref = t->reference[probe];
  if (ref < 0)
    {
      ms_doc_paragraph (doc, _("Output length: no task has eligible single-task results, so "
                               "there is no length-matched comparison."));
      return;
    }
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, _("Output length: each task against %s (%s), single-task runs, "
                               "“%s”, before and after matching on output length: "),
                          t->tasks[ref].name,
                          t->options.reference_task ? _("the chosen reference")
                                                    : _("the task with the lowest rate"),
                          ms_measure_label (m));
  int clear_before = 0, clear_after = 0, lost = 0, no_overlap = 0, n = 0;
  for (int k = 0; k < t->n_tasks; k++)
    {
      const MsStudyMatch *mt = ms_study_table_match (t, probe, m, k);
      if (k == ref || mt->status == MS_MATCH_NO_DATA)
        continue;
      g_autofree char *raw = ms_report_format_diff (m, &mt->raw_diff);
      int before = ms_report_sign (&mt->raw_diff);
      clear_before += before > 0;
      g_string_append_printf (s, "%s%s ", n++ ? "; " : "", t->tasks[k].name);
      if (mt->status == MS_MATCH_NO_OVERLAP)
        {
          no_overlap += before > 0;
          g_string_append_printf (s, _("%s raw, not comparable after matching (no output "
                                       "length in common)"), raw);
          continue;
        }
      g_autofree char *mat = ms_report_format_diff (m, &mt->matched.diff);
      int after = ms_report_sign (&mt->matched.diff);
      clear_after += before > 0 && after > 0;
      lost += before > 0 && after <= 0;
      g_string_append_printf (s, ngettext ("%s raw, %s matched (%zu length bin) — %s",
                                           "%s raw, %s matched (%zu length bins) — %s",
                                           mt->matched.n_bins),
                              raw, mat, mt->matched.n_bins, verdict (before, after));
    }
  if (n == 0)
    g_string_append (s, _("no other task to compare."));
  else
    {
      g_string_append_printf (s, _(". Of %d tasks clearly above the reference before matching, "
                                   "%d stay clearly above after it, %d show no clear "
                                   "difference once lengths are matched, and for %d these data "
                                   "cannot separate the task from its output length."),
                              clear_before, clear_after, lost, no_overlap);
      /* Suggest a reference that shares lengths with more tasks. */
      int best = -1, best_count = -1, ref_count = 0;
      for (int c = 0; c < t->n_tasks; c++)
        {
          int count = 0;
          for (int k = 0; k < t->n_tasks; k++)
            if (k != c && share_lengths (t, probe, m, c, k))
              count++;
          if (c == ref)
            ref_count = count;
          if (count > best_count)
            best = c, best_count = count;
        }
      if (no_overlap > 0 && best >= 0 && best != ref && best_count > ref_count)
        g_string_append_printf (s, _(" %s shares output lengths with %d other tasks (%s with "
                                     "%d): a report with --reference %s compares more of them."),
                                t->tasks[best].name, best_count, t->tasks[ref].name, ref_count,
                                t->tasks[best].name);
    }
  ms_doc_paragraph (doc, "%s", s->str);
  g_string_free (s, TRUE);
}

void
ms_report_findings (MsDoc *doc, const MsStudyTable *t, int probe)
{
  MsMeasure m = t->options.measure;
  int single = ms_study_table_group_of_kind (t, MS_GROUP_SINGLE);
  int base = ms_study_table_group_of_kind (t, MS_GROUP_BASE);
  if (base >= 0 && t->groups[base].n_runs == 0)
    base = -1;
  if (single < 0 || t->groups[single].n_runs == 0)
    ms_doc_paragraph (doc, _("The study has no finished single-task run yet, so tasks cannot "
                             "be compared."));
  else
    {
      ranking (doc, t, probe, m, single);
      controls (doc, t, probe, m, single, base);
    }
  mixtures (doc, t, probe, m, single);
  if (single >= 0 && t->groups[single].n_runs > 0)
    length (doc, t, probe, m);
  ms_doc_note (doc, _("How to read this: intervals are %.0f%% intervals; “clearly” means the "
                      "interval of a difference excludes zero, and an interval that includes "
                      "zero is reported as no clear difference, not as no effect. %s"
                      "Differences treat their two sides as independent samples, which is "
                      "conservative for the base-model comparison (same samples). These are "
                      "descriptions of this study's models and data, not general claims."),
               100 * t->options.level,
               t->pooled_seeds ? _("Runs of several seeds are pooled: each sample counts once "
                                   "per seed, so the intervals reflect sampling of texts more "
                                   "than variation between seeds. ") : "");
}
