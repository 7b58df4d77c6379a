/* The report of a study: a folder with every figure as PNG, SVG and PDF, report.md,
 * report.html (self-contained apart from its figures, light and dark) and results.json (the
 * table). Everything in it is derived from the store and can be regenerated; each file is
 * written atomically. */
#pragma once

#include "study/ms-figures.h"

G_BEGIN_DECLS

typedef struct {
  const char *out_dir;       /* the report folder (created) */
  int probe;                 /* the probe the figures show; -1: ms_study_table_default_probe */
  gboolean dark_figures;     /* also figures/ID-dark.svg for readers in dark mode (TRUE) */
  gboolean curves;           /* a loss-curve figure per finished run that recorded one (TRUE) */
} MsReportOptions;

void ms_report_options_init (MsReportOptions *opt);

/* <folder of STORE_PATH>/reports/<study name, made safe for a file name>. Free with g_free. */
char *ms_report_default_dir (const char *store_path, const char *study);

/* Writes the report of TABLE into opt->out_dir. A study without finished runs is an
 * MS_ERROR_INVALID that says so (nothing is written). HTML_PATH (may be NULL) receives the
 * path of report.html. STORE is read for the loss curves. */
gboolean ms_report_write (MsStore *store, const MsStudyTable *table, const MsReportOptions *opt,
                          char **html_path, GError **error);

/* The findings paragraphs for PROBE as Markdown (what the report's "Findings" section says),
 * for the app. Free with g_free. */
char *ms_report_findings_markdown (const MsStudyTable *table, int probe);

G_END_DECLS
