/* The report as a list of blocks (headings, paragraphs, lists, tables, figures) rendered both
 * as Markdown and as self-contained HTML, so that the two files always say the same. Text is
 * plain UTF-8; each renderer escapes it. Not installed. */
#pragma once

#include "study/ms-figures.h"

typedef struct _MsDoc MsDoc;

MsDoc *ms_doc_new (const char *title);
void ms_doc_free (MsDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsDoc, ms_doc_free)

void ms_doc_heading (MsDoc *doc, const char *text);            /* a section (level 2) */
void ms_doc_subheading (MsDoc *doc, const char *text);         /* level 3 */
void ms_doc_paragraph (MsDoc *doc, const char *format, ...) G_GNUC_PRINTF (2, 3);
void ms_doc_note (MsDoc *doc, const char *format, ...) G_GNUC_PRINTF (2, 3);  /* small print */
/* A bullet list: items are added to the last list until another block starts. */
void ms_doc_item (MsDoc *doc, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* A table: header cells (NULL-terminated), then rows of the same width. */
void ms_doc_table (MsDoc *doc, const char *const *header);
void ms_doc_row (MsDoc *doc, const char *const *cells);
/* A figure: FIGURE_ID is the file stem under figures/; ALT names it. HAS_DARK: a
 * FIGURE_ID-dark.svg exists for dark mode. */
void ms_doc_figure (MsDoc *doc, const char *figure_id, const char *alt, gboolean has_dark);

char *ms_doc_markdown (const MsDoc *doc);
char *ms_doc_html (const MsDoc *doc);

/* ---- Number formats shared by the report's tables and its findings ---------------------- */

/* "30.0% [21.9, 39.6]" for a rate, "0.412 [0.380, 0.444]" for a mean, "n/a" when undefined. */
char *ms_report_format_value (MsMeasure m, const MsInterval *iv);
/* "+25.0 pp [15.5, 34.0]" for rates, "+0.120 [0.05, 0.19]" for means, "n/a" when undefined. */
char *ms_report_format_diff (MsMeasure m, const MsInterval *iv);
/* -1, 0 or +1: the interval lies below 0, includes 0 (or is undefined), lies above 0. */
int ms_report_sign (const MsInterval *iv);

/* The findings paragraphs for PROBE (cautious: an interval that includes 0 is "no clear
 * difference"). */
void ms_report_findings (MsDoc *doc, const MsStudyTable *table, int probe);
