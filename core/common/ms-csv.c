/* See ms-csv.h. */
#include "ms-csv.h"

#include <math.h>
#include <string.h>

void
ms_csv_field (GString *out, const char *text, const char *sep)
{
  if (text == NULL)
    text = "";
  if (strpbrk (text, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = text; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, text);
  g_string_append (out, sep);
}

void
ms_csv_number (GString *out, double value, const char *sep)
{
  if (isfinite (value))
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.6g", value));
    }
  g_string_append (out, sep);
}
