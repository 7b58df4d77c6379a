/* What the statistics files (ms-stats.c, ms-stats-diff.c) share and the API does not show: the
 * argument checks with their messages, and the percentile step of every bootstrap. */
#pragma once

#include "analysis/ms-stats.h"

G_BEGIN_DECLS

/* FALSE with MS_ERROR_INVALID unless LEVEL is in (0, 1). */
gboolean ms_stats_check_level (double level, GError **error);
/* FALSE with MS_ERROR_INVALID naming WHAT[i] at the first value that is not finite. */
gboolean ms_stats_check_finite (const char *what, const double *x, gsize n, GError **error);
/* Sorts the K finite replicates of B resamples into out->lower and out->upper, the
 * (1 -+ level) / 2 quantiles (ms_stats_quantile_sorted); fails when more than half are missing. */
gboolean ms_stats_percentile_interval (double *reps, gsize k, gsize b, double level,
                                       MsInterval *out, GError **error);

G_END_DECLS
