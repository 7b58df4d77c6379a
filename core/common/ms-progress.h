/* Progress of long work: on a terminal, one status line rewritten in place (at most a few
 * times a second); when piped, plain lines at a steady interval, so logs stay readable. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct _MsProgress MsProgress;

/* TOTAL units of work (0 if unknown); status goes to OUT. When OUT is not a terminal, a plain
 * line is printed at most every PLAIN_INTERVAL seconds. */
MsProgress *ms_progress_new (FILE *out, gint64 total, double plain_interval);
void ms_progress_free (MsProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsProgress, ms_progress_free)

/* DONE units finished (counted since ms_progress_new or the last reset); the status text
 * follows, then "ETA h:mm:ss" computed from the rate since the start. */
void ms_progress_update (MsProgress *p, gint64 done, const char *format, ...) G_GNUC_PRINTF (3, 4);
/* A permanent line (the status line is cleared first and redrawn after). */
void ms_progress_print (MsProgress *p, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* Ends the status line. */
void ms_progress_finish (MsProgress *p);
/* Seconds since creation, and the estimated seconds left for DONE of TOTAL. */
double ms_progress_elapsed (const MsProgress *p);
double ms_progress_eta (const MsProgress *p, gint64 done);
gboolean ms_progress_is_tty (const MsProgress *p);

/* "1:02:03" or "2:03"; "?" for a negative or absurd value. */
char *ms_format_duration (double seconds);

G_END_DECLS
