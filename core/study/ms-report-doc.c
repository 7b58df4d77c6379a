/* A small document model for the report, rendered to Markdown and to HTML with a little CSS
 * that follows the reader's light or dark preference. Figures are linked, not inlined: the
 * HTML shows figures/ID.svg (ID-dark.svg in dark mode), the Markdown figures/ID.png. */
#include "study/ms-report-private.h"

#include <math.h>
#include <string.h>

typedef enum {
  BLOCK_HEADING,
  BLOCK_SUBHEADING,
  BLOCK_PARAGRAPH,
  BLOCK_NOTE,
  BLOCK_LIST,
  BLOCK_TABLE,
  BLOCK_FIGURE,
} BlockKind;

typedef struct {
  BlockKind kind;
  char *text;          /* headings, paragraphs, notes; the figure's alt text */
  char *figure;        /* figure id */
  gboolean has_dark;
  GPtrArray *items;    /* list items (char *), or table rows (char ** strv), header first */
} Block;

struct _MsDoc {
  char *title;
  GPtrArray *blocks;
};

static void
block_free (Block *b)
{
  g_free (b->text);
  g_free (b->figure);
  if (b->items)
    g_ptr_array_unref (b->items);
  g_free (b);
}

MsDoc *
ms_doc_new (const char *title)
{
  MsDoc *d = g_new0 (MsDoc, 1);
  d->title = g_strdup (title);
  d->blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) block_free);
  return d;
}

void
ms_doc_free (MsDoc *d)
{
  if (d == NULL)
    return;
  g_free (d->title);
  g_ptr_array_unref (d->blocks);
  g_free (d);
}

static Block *
add (MsDoc *d, BlockKind kind, char *text)
{
  Block *b = g_new0 (Block, 1);
  b->kind = kind;
  b->text = text;
  g_ptr_array_add (d->blocks, b);
  return b;
}

static Block *
last (MsDoc *d)
{
  return d->blocks->len ? d->blocks->pdata[d->blocks->len - 1] : NULL;
}

void
ms_doc_heading (MsDoc *d, const char *text)
{
  add (d, BLOCK_HEADING, g_strdup (text));
}

void
ms_doc_subheading (MsDoc *d, const char *text)
{
  add (d, BLOCK_SUBHEADING, g_strdup (text));
}

void
ms_doc_paragraph (MsDoc *d, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  add (d, BLOCK_PARAGRAPH, g_strdup_vprintf (format, ap));
  va_end (ap);
}

void
ms_doc_note (MsDoc *d, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  add (d, BLOCK_NOTE, g_strdup_vprintf (format, ap));
  va_end (ap);
}

void
ms_doc_item (MsDoc *d, const char *format, ...)
{
  Block *b = last (d);
  if (b == NULL || b->kind != BLOCK_LIST)
    {
      b = add (d, BLOCK_LIST, NULL);
      b->items = g_ptr_array_new_with_free_func (g_free);
    }
  va_list ap;
  va_start (ap, format);
  g_ptr_array_add (b->items, g_strdup_vprintf (format, ap));
  va_end (ap);
}

void
ms_doc_table (MsDoc *d, const char *const *header)
{
  Block *b = add (d, BLOCK_TABLE, NULL);
  b->items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (b->items, g_strdupv ((char **) header));
}

void
ms_doc_row (MsDoc *d, const char *const *cells)
{
  Block *b = last (d);
  g_return_if_fail (b && b->kind == BLOCK_TABLE);
  g_ptr_array_add (b->items, g_strdupv ((char **) cells));
}

void
ms_doc_figure (MsDoc *d, const char *figure_id, const char *alt, gboolean has_dark)
{
  Block *b = add (d, BLOCK_FIGURE, g_strdup (alt));
  b->figure = g_strdup (figure_id);
  b->has_dark = has_dark;
}

/* ---- Markdown ------------------------------------------------------------------------------- */

/* Whether column C of table block B holds numbers (right-aligned): every data cell starts
 * with a digit or a sign, or is a placeholder. The first column is always text. */
static gboolean
numeric_column (const Block *b, int c)
{
  if (c == 0)
    return FALSE;
  for (guint r = 1; r < b->items->len; r++)
    {
      const char *x = ((char **) b->items->pdata[r])[c];
      if (x == NULL)
        return FALSE;
      if (!(g_ascii_isdigit (x[0]) || x[0] == '+' || x[0] == '-' || strcmp (x, "n/a") == 0
            || strcmp (x, "—") == 0 || g_str_has_prefix (x, "−")))
        return FALSE;
    }
  return TRUE;
}

/* Text in a table cell: no line breaks, and a '|' would end the cell. */
static void
md_cell (GString *out, const char *text)
{
  for (const char *p = text; *p; p++)
    {
      if (*p == '|')
        g_string_append (out, "\\|");
      else if (*p == '\n')
        g_string_append_c (out, ' ');
      else
        g_string_append_c (out, *p);
    }
}

char *
ms_doc_markdown (const MsDoc *d)
{
  GString *out = g_string_new (NULL);
  if (d->title)
    g_string_append_printf (out, "# %s\n\n", d->title);
  for (guint i = 0; i < d->blocks->len; i++)
    {
      const Block *b = d->blocks->pdata[i];
      switch (b->kind)
        {
        case BLOCK_HEADING:
          g_string_append_printf (out, "## %s\n\n", b->text);
          break;
        case BLOCK_SUBHEADING:
          g_string_append_printf (out, "### %s\n\n", b->text);
          break;
        case BLOCK_PARAGRAPH:
          g_string_append_printf (out, "%s\n\n", b->text);
          break;
        case BLOCK_NOTE:
          g_string_append_printf (out, "> %s\n\n", b->text);
          break;
        case BLOCK_LIST:
          for (guint k = 0; k < b->items->len; k++)
            g_string_append_printf (out, "- %s\n", (const char *) b->items->pdata[k]);
          g_string_append_c (out, '\n');
          break;
        case BLOCK_TABLE:
          for (guint r = 0; r < b->items->len; r++)
            {
              char **cells = b->items->pdata[r];
              g_string_append (out, "|");
              for (int c = 0; cells[c]; c++)
                {
                  g_string_append_c (out, ' ');
                  md_cell (out, cells[c]);
                  g_string_append (out, " |");
                }
              g_string_append_c (out, '\n');
              if (r == 0)
                {
                  g_string_append (out, "|");
                  for (int c = 0; cells[c]; c++)
                    g_string_append (out, numeric_column (b, c) ? "---:|" : ":---|");
                  g_string_append_c (out, '\n');
                }
            }
          g_string_append_c (out, '\n');
          break;
        case BLOCK_FIGURE:
          g_string_append_printf (out, "![%s](figures/%s.png)\n\n", b->text, b->figure);
          g_string_append_printf (out, "*%s* ([SVG](figures/%s.svg), [PDF](figures/%s.pdf))\n\n",
                                  b->text, b->figure, b->figure);
          break;
        }
    }
  return g_string_free (out, FALSE);
}

/* ---- HTML ---------------------------------------------------------------------------------- */

static void
html_text (GString *out, const char *text)
{
  g_autofree char *e = g_markup_escape_text (text, -1);
  g_string_append (out, e);
}

static const char css[] =
  ":root{color-scheme:light dark;--fg:#241f31;--muted:#5e5c64;--bg:#ffffff;--rule:#deddda;"
  "--stripe:#f6f5f4;--accent:#1c71d8}\n"
  "@media (prefers-color-scheme:dark){:root{--fg:#f2f2f2;--muted:#b0afb5;--bg:#1e1e1e;"
  "--rule:#3d3846;--stripe:#262626;--accent:#78aeed}}\n"
  "body{font:16px/1.55 system-ui,-apple-system,\"Segoe UI\",\"Noto Sans\",\"Noto Sans CJK SC\","
  "sans-serif;color:var(--fg);background:var(--bg);max-width:72rem;margin:2rem auto;"
  "padding:0 1.25rem}\n"
  "h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2.4rem;border-bottom:1px solid "
  "var(--rule);padding-bottom:.2rem}h3{margin-top:1.6rem}\n"
  "a{color:var(--accent)}p.note{color:var(--muted);font-size:.9rem;border-left:3px solid "
  "var(--rule);padding-left:.8rem}\n"
  ".table{overflow-x:auto}table{border-collapse:collapse;font-size:.88rem;"
  "font-variant-numeric:tabular-nums;margin:.6rem 0 1.2rem}\n"
  "th,td{padding:.3rem .6rem;border-bottom:1px solid var(--rule);text-align:right;"
  "white-space:nowrap}th.text,td.text{text-align:left}\n"
  "th{position:sticky;top:0;background:var(--bg)}tr:nth-child(even) td{background:"
  "var(--stripe)}\n"
  "figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border-radius:6px}\n"
  "figcaption{color:var(--muted);font-size:.9rem}\n";

char *
ms_doc_html (const MsDoc *d)
{
  GString *out = g_string_new ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                               "<meta charset=\"utf-8\">\n"
                               "<meta name=\"viewport\" content=\"width=device-width, "
                               "initial-scale=1\">\n<title>");
  html_text (out, d->title ? d->title : "");
  g_string_append_printf (out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
  if (d->title)
    {
      g_string_append (out, "<h1>");
      html_text (out, d->title);
      g_string_append (out, "</h1>\n");
    }
  for (guint i = 0; i < d->blocks->len; i++)
    {
      const Block *b = d->blocks->pdata[i];
      switch (b->kind)
        {
        case BLOCK_HEADING:
        case BLOCK_SUBHEADING:
          {
            const char *h = b->kind == BLOCK_HEADING ? "h2" : "h3";
            g_string_append_printf (out, "<%s>", h);
            html_text (out, b->text);
            g_string_append_printf (out, "</%s>\n", h);
            break;
          }
        case BLOCK_PARAGRAPH:
        case BLOCK_NOTE:
          g_string_append (out, b->kind == BLOCK_NOTE ? "<p class=\"note\">" : "<p>");
          html_text (out, b->text);
          g_string_append (out, "</p>\n");
          break;
        case BLOCK_LIST:
          g_string_append (out, "<ul>\n");
          for (guint k = 0; k < b->items->len; k++)
            {
              g_string_append (out, "<li>");
              html_text (out, b->items->pdata[k]);
              g_string_append (out, "</li>\n");
            }
          g_string_append (out, "</ul>\n");
          break;
        case BLOCK_TABLE:
          g_string_append (out, "<div class=\"table\"><table>\n");
          for (guint r = 0; r < b->items->len; r++)
            {
              char **cells = b->items->pdata[r];
              const char *tag = r == 0 ? "th" : "td";
              g_string_append (out, r == 0 ? "<thead><tr>" : "<tr>");
              for (int c = 0; cells[c]; c++)
                {
                  g_string_append_printf (out, numeric_column (b, c) ? "<%s>"
                                          : "<%s class=\"text\">", tag);
                  html_text (out, cells[c]);
                  g_string_append_printf (out, "</%s>", tag);
                }
              g_string_append (out, r == 0 ? "</tr></thead>\n<tbody>\n" : "</tr>\n");
            }
          g_string_append (out, "</tbody></table></div>\n");
          break;
        case BLOCK_FIGURE:
          {
            g_autofree char *id = g_markup_escape_text (b->figure, -1);
            g_autofree char *alt = g_markup_escape_text (b->text, -1);
            g_string_append (out, "<figure><picture>");
            if (b->has_dark)
              g_string_append_printf (out, "<source srcset=\"figures/%s-dark.svg\" "
                                      "media=\"(prefers-color-scheme: dark)\">", id);
            g_string_append_printf (out, "<img src=\"figures/%s.svg\" alt=\"%s\"></picture>"
                                    "<figcaption>%s (<a href=\"figures/%s.png\">PNG</a>, "
                                    "<a href=\"figures/%s.svg\">SVG</a>, "
                                    "<a href=\"figures/%s.pdf\">PDF</a>)</figcaption></figure>\n",
                                    id, alt, alt, id, id, id);
            break;
          }
        }
    }
  g_string_append (out, "</body>\n</html>\n");
  return g_string_free (out, FALSE);
}

/* ---- Numbers --------------------------------------------------------------------------------- */

static gboolean
defined (const MsInterval *iv)
{
  return isfinite (iv->estimate);
}

char *
ms_report_format_value (MsMeasure m, const MsInterval *iv)
{
  if (!defined (iv))
    return g_strdup ("n/a");
  gboolean ci = isfinite (iv->lower) && isfinite (iv->upper);
  if (ms_measure_is_rate (m))
    return ci ? g_strdup_printf ("%.1f%% [%.1f, %.1f]", 100 * iv->estimate, 100 * iv->lower,
                                 100 * iv->upper)
              : g_strdup_printf ("%.1f%%", 100 * iv->estimate);
  if (m == MS_MEASURE_LCS_CHARS)
    return ci ? g_strdup_printf ("%.1f [%.1f, %.1f]", iv->estimate, iv->lower, iv->upper)
              : g_strdup_printf ("%.1f", iv->estimate);
  return ci ? g_strdup_printf ("%.3f [%.3f, %.3f]", iv->estimate, iv->lower, iv->upper)
            : g_strdup_printf ("%.3f", iv->estimate);
}

char *
ms_report_format_diff (MsMeasure m, const MsInterval *iv)
{
  if (!defined (iv))
    return g_strdup ("n/a");
  gboolean ci = isfinite (iv->lower) && isfinite (iv->upper);
  if (ms_measure_is_rate (m))
    return ci ? g_strdup_printf ("%+.1f pp [%+.1f, %+.1f]", 100 * iv->estimate,
                                 100 * iv->lower, 100 * iv->upper)
              : g_strdup_printf ("%+.1f pp", 100 * iv->estimate);
  const char *f = m == MS_MEASURE_LCS_CHARS ? "%+.1f [%+.1f, %+.1f]" : "%+.3f [%+.3f, %+.3f]";
  if (!ci)
    return g_strdup_printf (m == MS_MEASURE_LCS_CHARS ? "%+.1f" : "%+.3f", iv->estimate);
  return g_strdup_printf (f, iv->estimate, iv->lower, iv->upper);
}

int
ms_report_sign (const MsInterval *iv)
{
  if (!(isfinite (iv->lower) && isfinite (iv->upper)))
    return 0;
  return iv->lower > 0 ? 1 : iv->upper < 0 ? -1 : 0;
}
