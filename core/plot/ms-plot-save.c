/* Charts to files: the extension picks PNG, SVG or PDF; the bytes are gathered in memory and
 * the file replaced in one step, so a failed write never leaves half a picture behind. */
#include "ms-plot-private.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <string.h>

#include "common/ms-atomic.h"
#include "common/ms-error.h"

typedef enum { FMT_PNG, FMT_SVG, FMT_PDF } Format;

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
format_of (const char *path, Format *fmt, GError **error)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, G_DIR_SEPARATOR);
  if (dot && (slash == NULL || dot > slash))
    {
      if (g_ascii_strcasecmp (dot, ".png") == 0)
        return *fmt = FMT_PNG, TRUE;
      if (g_ascii_strcasecmp (dot, ".svg") == 0)
        return *fmt = FMT_SVG, TRUE;
      if (g_ascii_strcasecmp (dot, ".pdf") == 0)
        return *fmt = FMT_PDF, TRUE;
    }
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
               "%s: unknown chart format '%s'; expected a name ending in .png, .svg or .pdf",
               path, dot && (slash == NULL || dot > slash) ? dot : "");
  return FALSE;
}

gboolean
ms_plot_save (const char *path, double width, double height, MsPlotKind kind,
              gconstpointer chart, const MsPlotTheme *theme, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  Format fmt;
  if (!format_of (path, &fmt, error))
    return FALSE;
  /* Cairo's image surfaces stop at 32767 pixels a side. */
  if (!(width >= 1 && width <= 32767 && height >= 1 && height <= 32767))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: chart size %g × %g is out of range; expected 1 to 32767 on each side",
                   path, width, height);
      return FALSE;
    }

  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *surface = NULL;
  switch (fmt)
    {
    case FMT_PNG:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (width),
                                            (int) ceil (height));
      break;
    case FMT_SVG:
      surface = cairo_svg_surface_create_for_stream (append_bytes, bytes, width, height);
      cairo_svg_surface_set_document_unit (surface, CAIRO_SVG_UNIT_PX);
      break;
    case FMT_PDF:
      surface = cairo_pdf_surface_create_for_stream (append_bytes, bytes, width, height);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "memscope");
      break;
    }
  cairo_t *cr = cairo_create (surface);
  ms_plot_draw (cr, width, height, kind, chart, theme);
  cairo_status_t st = cairo_status (cr);
  cairo_destroy (cr);
  if (st == CAIRO_STATUS_SUCCESS && fmt == FMT_PNG)
    st = cairo_surface_write_to_png_stream (surface, append_bytes, bytes);
  cairo_surface_finish (surface);
  if (st == CAIRO_STATUS_SUCCESS)
    st = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: could not render the chart: %s", path,
                   cairo_status_to_string (st));
      return FALSE;
    }
  return ms_atomic_write (path, bytes->data, bytes->len, error);
}
