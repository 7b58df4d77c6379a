/* Progress lines for terminals and for logs. */
#include "ms-progress.h"

#include <stdarg.h>
#include <unistd.h>

struct _MsProgress {
  FILE *out;
  gint64 total;
  double plain_interval;
  gboolean tty;
  gint64 start, last_draw;
  char *status;      /* the current status line, redrawn after permanent lines */
};

MsProgress *
ms_progress_new (FILE *out, gint64 total, double plain_interval)
{
  MsProgress *p = g_new0 (MsProgress, 1);
  p->out = out;
  p->total = total;
  p->plain_interval = plain_interval;
  p->tty = isatty (fileno (out)) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  p->start = g_get_monotonic_time ();
  p->last_draw = 0;
  return p;
}

void
ms_progress_free (MsProgress *p)
{
  if (p == NULL)
    return;
  g_free (p->status);
  g_free (p);
}

gboolean ms_progress_is_tty (const MsProgress *p) { return p->tty; }

double
ms_progress_elapsed (const MsProgress *p)
{
  return (g_get_monotonic_time () - p->start) / 1e6;
}

double
ms_progress_eta (const MsProgress *p, gint64 done)
{
  if (done <= 0 || p->total <= 0)
    return -1;
  return ms_progress_elapsed (p) * (p->total - done) / done;
}

char *
ms_format_duration (double seconds)
{
  if (!(seconds >= 0) || seconds > 1e7)
    return g_strdup ("?");
  long s = (long) (seconds + 0.5);
  if (s >= 3600)
    return g_strdup_printf ("%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%ld:%02ld", s / 60, s % 60);
}

static void
draw (MsProgress *p)
{
  if (p->tty && p->status)
    {
      fprintf (p->out, "\r\033[K%s", p->status);
      fflush (p->out);
    }
}

void
ms_progress_update (MsProgress *p, gint64 done, const char *format, ...)
{
  gint64 now = g_get_monotonic_time ();
  gboolean last = p->total > 0 && done >= p->total;
  double interval = p->tty ? 0.2 : p->plain_interval;
  if (!last && p->last_draw && (now - p->last_draw) / 1e6 < interval)
    return;
  p->last_draw = now;
  va_list ap;
  va_start (ap, format);
  g_autofree char *text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_autofree char *eta = ms_format_duration (ms_progress_eta (p, done));
  g_autofree char *elapsed = ms_format_duration (ms_progress_elapsed (p));
  g_free (p->status);
  if (p->total > 0)
    p->status = g_strdup_printf ("[%3.0f%%] %s | %s elapsed, ETA %s", 100.0 * done / p->total,
                                 text, elapsed, eta);
  else
    p->status = g_strdup_printf ("%s | %s elapsed", text, elapsed);
  if (p->tty)
    draw (p);
  else
    {
      fprintf (p->out, "%s\n", p->status);
      fflush (p->out);
    }
}

void
ms_progress_print (MsProgress *p, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *text = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (p->tty)
    fprintf (p->out, "\r\033[K");
  fprintf (p->out, "%s\n", text);
  draw (p);
  fflush (p->out);
}

void
ms_progress_finish (MsProgress *p)
{
  if (p->tty && p->status)
    fprintf (p->out, "\r\033[K%s\n", p->status);
  fflush (p->out);
}
