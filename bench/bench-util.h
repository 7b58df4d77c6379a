/* Timing helpers shared by the benchmarks: repeat a measurement, report min/median/max. */
#pragma once

#include <glib.h>

typedef struct {
  double min, median, max;
  int n;
} MsTimes;

/* Runs FN(USER) REPS times after WARMUP untimed runs; seconds per run. */
MsTimes ms_bench_time (void (*fn) (gpointer), gpointer user, int warmup, int reps);
/* "12.3 [11.9 .. 13.0]" of VALUE / each time (so a rate), with FORMAT for each number. */
char *ms_bench_rate (const MsTimes *t, double work);
