/* memscope study: run a study spec end to end — fine-tunes, probes, the results store — and
 * write its report. A second run of the same spec skips what is done; Ctrl-C stops cleanly. */
#include <signal.h>
#include <stdio.h>

#include "common/ms-mpi.h"
#include "common/ms-progress.h"
#include "ms-cli.h"
#include "study/ms-report.h"
#include "study/ms-study.h"

#define CMD "study"

static volatile gint cancel_flag;

static void
on_signal (int sig)
{
  g_atomic_int_set (&cancel_flag, 1);
}

typedef struct {
  MsProgress *bar;
  int last_run;
} View;

static void
on_event (const MsStudyEvent *ev, gpointer user)
{
  View *v = user;
  g_autofree char *eta = ms_format_duration (ev->eta_seconds);
  switch (ev->kind)
    {
    case MS_STUDY_EVENT_RUN_START:
      ms_progress_print (v->bar, "[%d/%d] %s%s%s", ev->run_index, ev->n_runs, ev->run,
                         ev->message ? ": " : "", ev->message ? ev->message : "");
      break;
    case MS_STUDY_EVENT_TRAIN_STEP:
      if (ev->message)
        ms_progress_print (v->bar, "        %s", ev->message);
      ms_progress_update (v->bar, 0, "[%d/%d] %s: training step %d/%d | loss %.4f | %.0f tok/s "
                          "| study %.0f%%, ETA %s", ev->run_index, ev->n_runs, ev->run, ev->done,
                          ev->total, ev->loss, ev->tokens_per_second, 100 * ev->overall, eta);
      break;
    case MS_STUDY_EVENT_PROBE:
      ms_progress_update (v->bar, 0, "[%d/%d] %s: probing %d/%d | study %.0f%%, ETA %s",
                          ev->run_index, ev->n_runs, ev->run, ev->done, ev->total,
                          100 * ev->overall, eta);
      break;
    case MS_STUDY_EVENT_MESSAGE:
      ms_progress_print (v->bar, "        %s", ev->message);
      break;
    case MS_STUDY_EVENT_RUN_DONE:
      ms_progress_print (v->bar, "[%d/%d] %s: done%s%s (study %.0f%%, ETA %s)", ev->run_index,
                         ev->n_runs, ev->run, ev->message ? " " : "",
                         ev->message ? ev->message : "", 100 * ev->overall, eta);
      break;
    case MS_STUDY_EVENT_JOB:
      ms_progress_update (v->bar, 0, "%s | study %.0f%%, ETA %s", ev->message,
                          100 * ev->overall, eta);
      break;
    }
}

/* What the store holds for the spec's runs after this command: "all runs done" only when it
 * is true (with --run, the other runs may still be pending, and the line says which). */
static gboolean
print_summary (const MsStudySpec *spec, MsStore *store, const char *path, GError **error)
{
  g_autoptr (GPtrArray) names = ms_study_run_names (spec);
  g_autoptr (MsStoreStudy) study = ms_store_get_study (store, spec->name, error);
  if (study == NULL)
    return FALSE;
  g_autoptr (GString) pending = g_string_new (NULL);
  guint n_pending = 0;
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autoptr (MsStoreRun) run = ms_store_find_run (store, study->id, name, error);
      if (run == NULL && error && *error)
        return FALSE;
      if (run != NULL && run->status == MS_RUN_DONE)
        continue;
      if (n_pending++ < 6)
        g_string_append_printf (pending, "%s%s", pending->len ? ", " : "", name);
    }
  if (n_pending == 0)
    g_printerr ("study %s: all %u runs done (%s)\n", spec->name, names->len, path);
  else
    g_printerr ("study %s: %u of %u runs done; pending: %s%s (run without --run to do them)\n",
                spec->name, names->len - n_pending, names->len, pending->str,
                n_pending > 6 ? ", ..." : "");
  return TRUE;
}

static int study (int argc, char **argv);

/* Under mpirun or srun every rank runs this command: rank 0 coordinates and holds the store,
 * the others work (ms-study.h). A rank that fails ends the job, which would otherwise wait. */
int
ms_cmd_study (int argc, char **argv)
{
  GError *error = NULL;
  if (!ms_mpi_init (&error))
    return ms_cli_fail (CMD, error);
  int rc = study (argc, argv);
  if (rc != 0 && rc != 130 && ms_mpi_size () > 1)
    ms_mpi_abort (rc);
  ms_mpi_finalize ();
  return rc;
}

static int
study (int argc, char **argv)
{
  MsCliCommon common = { 0 };
  g_autofree char *store_path = NULL;
  g_auto (GStrv) runs = NULL;
  gboolean list = FALSE, no_report = FALSE;
  double worker_timeout = 0;
  GOptionEntry entries[] = {
    { "store", 's', 0, G_OPTION_ARG_FILENAME, &store_path,
      "Results store (default $MEMSCOPE_STORE, else ./memscope.sqlite)", "FILE" },
    { "run", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &runs, "Only this run (repeatable)", "NAME" },
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List the runs the spec expands to", NULL },
    { "no-report", 0, 0, G_OPTION_ARG_NONE, &no_report,
      "Do not write the report at the end (memscope report writes it any time)", NULL },
    { "worker-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &worker_timeout,
      "Under mpirun: end the job when a busy rank says nothing for this many seconds (default "
      "$MEMSCOPE_WORKER_TIMEOUT, else 600)", "S" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("SPEC.ini - run a memorization study");
  g_option_context_add_main_entries (ctx, entries, NULL);
  ms_cli_add_common (ctx, &common);
  g_option_context_set_description (ctx,
    "A study fine-tunes the base model on each task alone and on each mixture (× seeds), probes\n"
    "every model and the base model for memorized training data (input and target extraction,\n"
    "on training samples and held-out controls), and stores every sample's result. Runs already\n"
    "done are skipped; an interrupted run resumes where it stopped.\n\n"
    "Under mpirun (or srun) the runs are spread over the ranks, one device each; rank 0 alone\n"
    "writes the store, which belongs on its local disk.\n\n"
    "Example:\n  memscope study data/studies/default.ini && memscope report default\n"
    "  mpirun -np 2 memscope study data/studies/default.ini");
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (argc != 2)
    return ms_cli_usage (CMD, "give one SPEC.ini");
  GError *error = NULL;
  g_autoptr (MsStudySpec) spec = ms_study_spec_load (argv[1], &error);
  if (spec == NULL)
    return ms_cli_fail (CMD, error);
  if (list)
    {
      g_autoptr (GPtrArray) names = ms_study_run_names (spec);
      for (guint i = 0; i < names->len; i++)
        g_print ("%s\n", (char *) names->pdata[i]);
      return 0;
    }
  MsBlasKind blas;
  if (!ms_blas_kind_parse (common.blas, &blas, &error))
    return ms_cli_fail (CMD, error);
  g_autofree char *path = store_path ? g_strdup (store_path) : ms_store_default_path ();
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  MsStudyOptions opt = { .device = common.device, .blas = blas, .cancel = &cancel_flag,
                         .only_runs_listed = runs != NULL, .runs = (const char *const *) runs,
                         .store_path = path, .worker_timeout = worker_timeout };
  if (ms_mpi_rank () != 0)
    {
      /* A worker: no store, no output; what goes wrong goes to the coordinator. */
      if (!ms_study_run (spec, NULL, &opt, &error))
        return ms_cli_fail (CMD, error);
      return 0;
    }
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  if (store == NULL)
    return ms_cli_fail (CMD, error);
  g_printerr ("study %s: %d tasks, %d mixtures, %d seeds; store %s", spec->name, spec->n_tasks,
              spec->n_mixtures, spec->n_seeds, path);
  if (ms_mpi_size () > 1)
    g_printerr ("; %d MPI ranks", ms_mpi_size ());
  g_printerr ("\n");
  g_autoptr (MsProgress) bar = ms_progress_new (stderr, 0, 15.0);
  View view = { bar, 0 };
  opt.on_event = on_event;
  opt.user = &view;
  gboolean ok = ms_study_run (spec, store, &opt, &error);
  ms_progress_finish (bar);
  if (!ok)
    {
      if (g_error_matches (error, MS_ERROR, MS_ERROR_CANCELLED))
        {
          g_printerr ("memscope study: interrupted; run the same command again to continue\n");
          g_clear_error (&error);
          return 130;
        }
      return ms_cli_fail (CMD, error);
    }
  if (!print_summary (spec, store, path, &error))
    return ms_cli_fail (CMD, error);
  if (no_report || runs)
    return 0;
  /* The report, as `memscope report` writes it; its path is the last line. */
  MsStudyTableOptions topt;
  ms_study_table_options_init (&topt);
  g_autoptr (MsStudyTable) table = ms_study_table_new (store, spec->name, &topt, &error);
  if (table == NULL)
    return ms_cli_fail (CMD, error);
  MsReportOptions ropt;
  ms_report_options_init (&ropt);
  g_autofree char *dir = ms_report_default_dir (path, spec->name);
  ropt.out_dir = dir;
  g_autofree char *html = NULL;
  if (!ms_report_write (store, table, &ropt, &html, &error))
    return ms_cli_fail (CMD, error);
  g_autofree char *absolute = g_canonicalize_filename (html, NULL);
  g_print ("%s\n", absolute);
  return 0;
}
