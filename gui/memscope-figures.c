/* The overview's chart (one measure per task, raw or corrected by the held-out control or the
 * base-model baseline) and the owner of the chart structs the views build. */
#include "memscope-figures.h"

#include <glib/gi18n.h>
#include <math.h>

#define COLOR_BASE 8
#define COLOR_SINGLE 1

MemscopePlot *
memscope_plot_new (MsPlotKind kind, gsize chart_size, const char *stem)
{
  MemscopePlot *p = g_new0 (MemscopePlot, 1);
  p->kind = kind;
  p->owned = g_ptr_array_new_with_free_func (g_free);
  p->chart = memscope_plot_own (p, g_malloc0 (chart_size));
  p->stem = g_strdup (stem);
  return p;
}

void
memscope_plot_free (MemscopePlot *p)
{
  if (p == NULL)
    return;
  g_ptr_array_unref (p->owned);
  g_free (p->title);
  g_free (p->stem);
  g_free (p);
}

gpointer
memscope_plot_own (MemscopePlot *p, gpointer memory)
{
  g_ptr_array_add (p->owned, memory);
  return memory;
}

double *
memscope_plot_doubles (MemscopePlot *p, gsize n)
{
  double *v = memscope_plot_own (p, g_new (double, MAX (n, 1)));
  for (gsize i = 0; i < MAX (n, 1); i++)
    v[i] = NAN;
  return v;
}

const char *
memscope_plot_strdup (MemscopePlot *p, const char *s)
{
  return memscope_plot_own (p, g_strdup (s));
}

const char *
memscope_plot_printf (MemscopePlot *p, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  char *s = g_strdup_vprintf (format, ap);
  va_end (ap);
  return memscope_plot_own (p, s);
}

void
memscope_chart_set_plot (MemscopeChart *chart, MemscopePlot *p)
{
  if (p == NULL)
    memscope_chart_set (chart, MS_PLOT_BARS, NULL, NULL, NULL, NULL, NULL);
  else
    memscope_chart_set (chart, p->kind, p->chart, p, (GDestroyNotify) memscope_plot_free,
                        p->title, p->stem);
}

const char *
memscope_probe_label (int probe)
{
  return probe == 1 ? _("target probe") : _("input probe");
}

int
memscope_group_color (const MsStudyTable *t, int g)
{
  if (t->groups[g].kind == MS_GROUP_BASE)
    return COLOR_BASE;
  if (t->groups[g].kind == MS_GROUP_SINGLE)
    return COLOR_SINGLE;
  /* Mixtures take the slots after the single-task blue, skipping the grey (as the report). */
  int mix = 0;
  for (int i = 0; i < g; i++)
    mix += t->groups[i].kind == MS_GROUP_MIXTURE;
  return 2 + mix % (MS_PLOT_PALETTE_SIZE - 2);
}

MemscopePlot *
memscope_plot_overview (const MsStudyTable *t, int probe, MsMeasure m, MemscopeShow show)
{
  g_autofree char *stem = g_strdup_printf ("overview-%s-%s-%s", ms_measure_id (m),
                                           show == MEMSCOPE_SHOW_RATE ? "rate"
                                           : show == MEMSCOPE_SHOW_MINUS_HELDOUT ? "minus-heldout"
                                           : "minus-base", ms_study_probe_name (probe));
  MemscopePlot *p = memscope_plot_new (MS_PLOT_BARS, sizeof (MsBarChart), stem);
  MsBarChart *c = p->chart;
  int nt = t->n_tasks;
  MsBarSeries *series = memscope_plot_own (p, g_new0 (MsBarSeries, MAX (t->n_groups, 1)));
  int ns = 0;
  for (int g = 0; g < t->n_groups; g++)
    {
      const MsStudyGroup *gr = &t->groups[g];
      /* The base model has no baseline of its own to subtract. */
      if (gr->n_runs == 0 || (show == MEMSCOPE_SHOW_MINUS_BASE && gr->kind == MS_GROUP_BASE))
        continue;
      double *v = memscope_plot_doubles (p, nt), *lo = memscope_plot_doubles (p, nt);
      double *hi = memscope_plot_doubles (p, nt);
      for (int k = 0; k < nt; k++)
        {
          const MsStudyRow *r = ms_study_table_row (t, k, g, probe, m);
          if (r == NULL || !gr->covers[k])
            continue;
          MsInterval iv = show == MEMSCOPE_SHOW_RATE ? r->train.value
                          : show == MEMSCOPE_SHOW_MINUS_HELDOUT ? r->minus_heldout
                          : r->minus_base;
          v[k] = iv.estimate;
          lo[k] = iv.lower;
          hi[k] = iv.upper;
        }
      series[ns++] = (MsBarSeries) {
        .name = gr->kind == MS_GROUP_BASE && show == MEMSCOPE_SHOW_RATE
                ? _("Base model (control)") : gr->label,
        .values = v, .lower = lo, .upper = hi, .color = memscope_group_color (t, g),
        .control = gr->kind == MS_GROUP_BASE,
      };
    }
  const char **cats = memscope_plot_own (p, g_new0 (const char *, MAX (nt, 1)));
  const char **notes = memscope_plot_own (p, g_new0 (const char *, MAX (nt, 1)));
  for (int k = 0; k < nt; k++)
    {
      cats[k] = t->tasks[k].name;
      gint64 n = t->tasks[k].eligible[probe][MS_SPLIT_TRAIN];
      notes[k] = memscope_plot_printf (p, "n=%" G_GINT64_FORMAT, n);
    }
  const char *label = ms_measure_label (m);
  switch (show)
    {
    case MEMSCOPE_SHOW_RATE:
      /* TRANSLATORS: chart title: a measure ("Token match"), then the probe ("target probe") */
      p->title = g_strdup_printf (_("%s of training samples per task, %s"), label,
                                  memscope_probe_label (probe));
      break;
    case MEMSCOPE_SHOW_MINUS_HELDOUT:
      p->title = g_strdup_printf (_("%s above held-out samples (control), %s"), label,
                                  memscope_probe_label (probe));
      break;
    case MEMSCOPE_SHOW_MINUS_BASE:
      p->title = g_strdup_printf (_("%s above the base model (baseline), %s"), label,
                                  memscope_probe_label (probe));
      break;
    }
  c->title = p->title;
  c->categories = cats;
  c->annotations = notes;
  c->n_categories = nt;
  c->series = series;
  c->n_series = ns;
  c->format = m == MS_MEASURE_LCS_CHARS ? MS_PLOT_FORMAT_AUTO : MS_PLOT_FORMAT_PERCENT;
  c->x_label = _("Task");
  if (show == MEMSCOPE_SHOW_RATE)
    c->y_label = ms_measure_is_rate (m) ? _("Flagged samples")
                 : m == MS_MEASURE_LCS_CHARS ? _("Mean characters") : _("Mean score");
  else
    {
      c->y_label = _("Difference");
      c->has_reference = TRUE;
      c->reference = 0;
    }
  return p;
}

char *
memscope_plot_describe_bars (const MsBarChart *c)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; i < c->n_series; i++)
    {
      const MsBarSeries *se = &c->series[i];
      g_string_append_printf (s, "%s: ", se->name ? se->name : "");
      for (int k = 0; k < c->n_categories; k++)
        {
          char v[32];
          if (isfinite (se->values[k]))
            ms_plot_format_value (se->values[k], 0, c->format, v, sizeof v);
          else
            g_strlcpy (v, "—", sizeof v);
          g_string_append_printf (s, "%s %s%s", c->categories ? c->categories[k] : "", v,
                                  k + 1 < c->n_categories ? ", " : ". ");
        }
    }
  return g_string_free (s, FALSE);
}
