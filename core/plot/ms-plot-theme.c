/* The light and dark themes (GNOME Adwaita greys, Okabe–Ito categorical colours, which stay
 * distinct under the common colour-vision deficiencies) and the viridis colour map. */
#include "ms-plot-private.h"

#include <math.h>

#include "ms-plot-viridis.h"

#define RGB(hex) { ((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0, ((hex) & 0xff) / 255.0 }

/* Pango walks the list per character, so Latin text gets the first installed family and CJK
 * falls through to Noto CJK (Simplified Chinese forms first). */
#define MS_PLOT_FONTS "Adwaita Sans, Inter, Cantarell, DejaVu Sans, Noto Sans CJK SC, sans-serif"

static const MsPlotTheme light = {
  .background = RGB (0xffffff),
  .text = RGB (0x241f31),
  .muted = RGB (0x5e5c64),
  .grid = RGB (0xe6e5e8),
  .axis = RGB (0x9a9996),
  /* Okabe–Ito, ordered so that the first four are the most distinct; yellow (weak on white)
   * and grey come last. */
  .palette = { RGB (0x0072b2), RGB (0xe69f00), RGB (0x009e73), RGB (0xd55e00),
               RGB (0xcc79a7), RGB (0x56b4e9), RGB (0xd4c300), RGB (0x5e5c64) },
  .font_family = MS_PLOT_FONTS,
  .font_size = 12.0,
  .scale = 0,
  .transparent = FALSE,
};

static const MsPlotTheme dark = {
  .background = RGB (0x1e1e1e),
  .text = RGB (0xf2f2f2),
  .muted = RGB (0xb0afb5),
  .grid = RGB (0x353538),
  .axis = RGB (0x77767b),
  /* The same hues, lifted where the original is too dark on a dark canvas. */
  .palette = { RGB (0x3d9be0), RGB (0xf0a722), RGB (0x1fb589), RGB (0xf0702a),
               RGB (0xdb8ebb), RGB (0x8fd0f5), RGB (0xf0e442), RGB (0xc0bfbc) },
  .font_family = MS_PLOT_FONTS,
  .font_size = 12.0,
  .scale = 0,
  .transparent = FALSE,
};

const MsPlotTheme *
ms_plot_theme_light (void)
{
  return &light;
}

const MsPlotTheme *
ms_plot_theme_dark (void)
{
  return &dark;
}

MsPlotRgb
ms_plot_viridis (double t)
{
  if (isnan (t))
    return (MsPlotRgb) { 0.5, 0.5, 0.5 };
  t = CLAMP (t, 0.0, 1.0) * 255.0;
  int i = (int) floor (t);
  if (i >= 255)
    i = 254;
  double f = t - i;
  const guint8 *a = ms_viridis_table[i], *b = ms_viridis_table[i + 1];
  return (MsPlotRgb) { ((1 - f) * a[0] + f * b[0]) / 255.0, ((1 - f) * a[1] + f * b[1]) / 255.0,
                       ((1 - f) * a[2] + f * b[2]) / 255.0 };
}

MsPlotRgb
ms_series_color (const MsPlotTheme *t, int color, int position)
{
  int slot = color > 0 ? color - 1 : position;
  slot %= MS_PLOT_PALETTE_SIZE;
  if (slot < 0)
    slot += MS_PLOT_PALETTE_SIZE;
  return t->palette[slot];
}

MsPlotRgb
ms_rgb_mix (MsPlotRgb a, MsPlotRgb b, double t)
{
  return (MsPlotRgb) { a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t };
}

double
ms_rgb_luminance (MsPlotRgb c)
{
  return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

void
ms_set_rgb (cairo_t *cr, MsPlotRgb c)
{
  cairo_set_source_rgb (cr, c.r, c.g, c.b);
}

void
ms_set_rgba (cairo_t *cr, MsPlotRgb c, double a)
{
  cairo_set_source_rgba (cr, c.r, c.g, c.b, a);
}
