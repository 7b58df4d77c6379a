/* Training logs as JSON lines, and their loss-curve chart. */
#include "ms-train-log.h"
#include "common/ms-json.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

#include "plot/ms-plot.h"

struct _MsTrainLog {
  FILE *f;
  char *path;
};

MsTrainLog *
ms_train_log_open (const char *path, GError **error)
{
  FILE *f = fopen (path, "a");
  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path,
                   g_strerror (e));
      return NULL;
    }
  MsTrainLog *log = g_new0 (MsTrainLog, 1);
  log->f = f;
  log->path = g_strdup (path);
  return log;
}

void
ms_train_log_close (MsTrainLog *log)
{
  if (log == NULL)
    return;
  fclose (log->f);
  g_free (log->path);
  g_free (log);
}

static gboolean
write_node (MsTrainLog *log, JsonBuilder *b, GError **error)
{
  g_autofree char *line = ms_json_builder_to_string (b, FALSE);
  if (fprintf (log->f, "%s\n", line) < 0 || fflush (log->f) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: write failed", log->path);
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_train_log_step (MsTrainLog *log, const MsStepStats *st, const char *const *tasks,
                   int n_tasks, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ms_json_add_int (b, "step", st->step);
  ms_json_add_number (b, "loss", st->loss);
  ms_json_add_number (b, "lr", st->lr);
  ms_json_add_number (b, "norm", st->grad_norm);
  ms_json_add_int (b, "tokens", st->tokens);
  ms_json_add_number (b, "seconds", st->seconds);
  if (st->allreduce_bytes > 0)  /* data-parallel: the all-reduce's share of the step */
    {
      ms_json_add_number (b, "allreduce_seconds", st->allreduce_seconds);
      ms_json_add_int (b, "allreduce_bytes", (gint64) st->allreduce_bytes);
    }
  if (tasks && n_tasks > 1)
    {
      json_builder_set_member_name (b, "tasks");
      json_builder_begin_object (b);
      for (int k = 0; k < n_tasks; k++)
        if (st->task_tokens[k] > 0)
          ms_json_add_number (b, tasks[k], st->task_loss[k]);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return write_node (log, b, error);
}

gboolean
ms_train_log_eval (MsTrainLog *log, int step, const double *loss, const char *const *names,
                   int n, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  ms_json_add_int (b, "step", step);
  json_builder_set_member_name (b, "eval");
  json_builder_begin_object (b);
  for (int k = 0; k < n; k++)
    ms_json_add_number (b, names[k], loss[k]);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return write_node (log, b, error);
}

/* Curves keyed by name: x and y arrays, the last value kept per step. */
typedef struct {
  char *name;
  GArray *x, *y;
  gboolean eval;
} Curve;

static void
curve_free (gpointer p)
{
  Curve *c = p;
  g_free (c->name);
  g_array_unref (c->x);
  g_array_unref (c->y);
  g_free (c);
}

static Curve *
curve_for (GPtrArray *curves, const char *name, gboolean eval)
{
  for (guint i = 0; i < curves->len; i++)
    {
      Curve *c = curves->pdata[i];
      if (c->eval == eval && g_strcmp0 (c->name, name) == 0)
        return c;
    }
  Curve *c = g_new0 (Curve, 1);
  c->name = g_strdup (name);
  c->eval = eval;
  c->x = g_array_new (FALSE, FALSE, sizeof (double));
  c->y = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (curves, c);
  return c;
}

/* A resumed run repeats steps: a step at or before the last one replaces the tail. */
static void
curve_add (Curve *c, double x, double y)
{
  while (c->x->len > 0 && g_array_index (c->x, double, c->x->len - 1) >= x)
    {
      g_array_set_size (c->x, c->x->len - 1);
      g_array_set_size (c->y, c->y->len - 1);
    }
  g_array_append_val (c->x, x);
  g_array_append_val (c->y, y);
}

/* Exponential moving average, as TensorBoard's smoothing slider (0.6). */
static void
smooth (GArray *y, double weight)
{
  double last = NAN;
  for (guint i = 0; i < y->len; i++)
    {
      double *v = &g_array_index (y, double, i);
      if (!isfinite (*v))
        continue;
      last = isfinite (last) ? weight * last + (1 - weight) * *v : *v;
      *v = last;
    }
}

gboolean
ms_train_log_plot (const char *log_path, const char *out_path, const char *title,
                   GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (log_path, &text, NULL, error))
    return FALSE;
  g_autoptr (GPtrArray) curves = g_ptr_array_new_with_free_func (curve_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  for (guint i = 0; lines[i]; i++)
    {
      if (*lines[i] == '\0')
        continue;
      if (!ms_json_parser_load (parser, lines[i], -1, NULL))
        continue;  /* a line cut by a crash: skip it */
      JsonNode *root = json_parser_get_root (parser);
      if (!JSON_NODE_HOLDS_OBJECT (root))
        continue;
      JsonObject *o = json_node_get_object (root);
      double step = json_object_get_int_member_with_default (o, "step", 0);
      const char *group = json_object_has_member (o, "eval") ? "eval"
                          : json_object_has_member (o, "tasks") ? "tasks" : NULL;
      if (json_object_has_member (o, "loss") && !json_object_has_member (o, "tasks"))
        curve_add (curve_for (curves, "training", FALSE), step,
                   json_object_get_double_member_with_default (o, "loss", NAN));
      if (group)
        {
          JsonObject *m = json_object_get_object_member (o, group);
          g_autoptr (GList) names = json_object_get_members (m);
          for (GList *l = names; l; l = l->next)
            {
              JsonNode *v = json_object_get_member (m, l->data);
              if (JSON_NODE_HOLDS_VALUE (v))
                curve_add (curve_for (curves, l->data, g_str_equal (group, "eval")), step,
                           json_node_get_double (v));
            }
        }
    }
  if (curves->len == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: no training records", log_path);
      return FALSE;
    }
  /* Training curves solid and smoothed, held-out ones dashed with markers, one colour per
   * name so a task's two curves match. */
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autofree MsLineSeries *series = g_new0 (MsLineSeries, curves->len);
  g_autofree char **labels = g_new0 (char *, curves->len);
  for (guint i = 0; i < curves->len; i++)
    {
      Curve *c = curves->pdata[i];
      guint slot = 0;
      while (slot < names->len && g_strcmp0 (names->pdata[slot], c->name) != 0)
        slot++;
      if (slot == names->len)
        g_ptr_array_add (names, c->name);
      if (!c->eval)
        smooth (c->y, 0.6);
      labels[i] = g_strdup_printf ("%s%s", c->name, c->eval ? " (held-out)" : "");
      series[i] = (MsLineSeries) { .name = labels[i], .x = (double *) c->x->data,
                                   .y = (double *) c->y->data, .n = c->x->len,
                                   .color = slot % MS_PLOT_PALETTE_SIZE + 1, .dashed = c->eval,
                                   .markers = c->eval };
    }
  MsLineChart chart = { .title = title ? title : "Loss", .x_label = "step",
                        .y_label = "cross-entropy (nats per token)", .series = series,
                        .n_series = curves->len };
  gboolean ok = ms_plot_save (out_path, 900, 540, MS_PLOT_LINES, &chart, NULL, error);
  for (guint i = 0; i < curves->len; i++)
    g_free (labels[i]);
  return ok;
}
