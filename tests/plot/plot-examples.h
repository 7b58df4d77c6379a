/* Example charts with data shaped like memscope's results (tasks, mixtures, loss curves,
 * attention statistics), shared by the gallery and by the tests that render every kind. */
#pragma once

#include "plot/ms-plot.h"

typedef struct {
  const char *name;    /* file stem, e.g. "bars-memorization" */
  MsPlotKind kind;
  gconstpointer chart;
  double width, height;
} MsPlotExample;

/* The examples, built once; static storage, valid until exit. */
const MsPlotExample *ms_plot_examples (int *n);
