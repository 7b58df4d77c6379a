/* memscope report: a study's report folder (figures, report.md, report.html, results.json)
 * from the results store, or with --json its table of rates on standard output. */
#include <stdio.h>
#include <string.h>

#include "ms-cli.h"
#include "study/ms-report.h"

int
ms_cmd_report (int argc, char **argv)
{
  g_autofree char *out = NULL, *store_path = NULL, *probe = NULL, *measure = NULL;
  g_autofree char *reference = NULL;
  gboolean json = FALSE, no_dark = FALSE;
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "Report folder (default: reports/STUDY beside the store)", "DIR" },
    { "store", 's', 0, G_OPTION_ARG_FILENAME, &store_path,
      "Results store (default: $MEMSCOPE_STORE, else memscope.sqlite)", "FILE" },
    { "probe", 'p', 0, G_OPTION_ARG_STRING, &probe,
      "Probe the figures show: input or target (default: target when the study trained on "
      "responses only, else input)", "PROBE" },
    { "measure", 'm', 0, G_OPTION_ARG_STRING, &measure,
      "Headline measure of the findings and the length view (default: any)", "NAME" },
    { "reference", 'r', 0, G_OPTION_ARG_STRING, &reference,
      "Reference task of the length-matched comparison (default: the lowest rate)", "TASK" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print the table as JSON (as results.json) instead of writing the report", NULL },
    { "no-dark", 0, 0, G_OPTION_ARG_NONE, &no_dark, "Do not write dark-mode SVGs", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("STUDY");
  g_option_context_set_summary (ctx, "Write the report of a study: figures (PNG, SVG, PDF), "
                                "report.md, report.html and results.json. Prints the path of "
                                "report.html last.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!ms_cli_parse (ctx, &argc, &argv))
    return 2;
  if (argc != 2)
    return ms_cli_usage ("report", "expected one study name (see --help)");

  MsStudyTableOptions topt;
  ms_study_table_options_init (&topt);
  g_autoptr (GError) bad = NULL;
  if (measure && !ms_measure_parse (measure, &topt.measure, &bad))
    return ms_cli_usage ("report", "--measure: %s", bad->message);
  int p = -1;
  if (probe && (p = ms_study_probe_parse (probe)) < 0)
    return ms_cli_usage ("report", "--probe '%s': expected input or target", probe);
  topt.reference_task = reference;

  GError *error = NULL;
  if (store_path == NULL)
    store_path = ms_store_default_path ();
  g_autoptr (MsStore) store = ms_store_open_full (store_path, MS_STORE_OPEN_READ_ONLY, &error);
  if (store == NULL)
    return ms_cli_fail ("report", error);
  g_autoptr (MsStudyTable) table = ms_study_table_new (store, argv[1], &topt, &error);
  if (table == NULL)
    return ms_cli_fail ("report", error);
  if (json)
    {
      g_autofree char *text = ms_study_table_to_json (table);
      fputs (text, stdout);
      fputc ('\n', stdout);
      return 0;
    }

  MsReportOptions ropt;
  ms_report_options_init (&ropt);
  g_autofree char *dir = out ? g_strdup (out) : ms_report_default_dir (store_path, argv[1]);
  ropt.out_dir = dir;
  ropt.probe = p;
  ropt.dark_figures = !no_dark;
  g_autofree char *html = NULL;
  if (!ms_report_write (store, table, &ropt, &html, &error))
    return ms_cli_fail ("report", error);
  g_printerr ("memscope report: %d tasks, %d of %d runs finished, probe %s\n", table->n_tasks,
              table->n_finished, table->n_runs,
              ms_study_probe_name (p >= 0 ? p : ms_study_table_default_probe (table)));
  printf ("%s\n", html);
  return 0;
}
