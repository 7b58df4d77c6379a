/* CSV as RFC 4180 has it, the one writer for every table memscope exports (`memscope results
 * --csv`, the app's table export): fields quoted only when they hold a comma, a quote or a
 * line break, quotes doubled, rows ended by CRLF; numbers with the C locale's decimal point so
 * that spreadsheets and scripts read them alike. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One field (NULL: empty), then SEP ("," between fields, "\r\n" at the end of a row). */
void ms_csv_field (GString *out, const char *text, const char *sep);
/* One number in %.6g (empty when not finite), then SEP. */
void ms_csv_number (GString *out, double value, const char *sep);

G_END_DECLS
