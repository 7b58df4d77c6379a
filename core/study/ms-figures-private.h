/* Shared between the table (ms-figures-table.c), its JSON and the chart builders: the per-probe
 * scores behind each statistic. Not installed. */
#pragma once

#include "study/ms-figures.h"

/* The scored probes of one (task, group, probe, split), pooled over the group's runs. */
typedef struct {
  GArray *sample_id;              /* gint64 */
  GArray *length;                 /* double: the sample's output tokens */
  GArray *values[MS_N_MEASURES];  /* double: 0/1 for rates */
} MsStudyCell;

typedef struct {
  MsStudyCell *cells;             /* (n_tasks, n_groups, MS_STUDY_N_PROBES, MS_N_SPLITS) */
  gsize n_cells;
} MsStudyTablePriv;

const MsStudyCell *ms_study_table_cell (const MsStudyTable *table, int task, int group,
                                        int probe, int split);

static inline gboolean
ms_interval_defined (const MsInterval *iv)
{
  return iv->lower == iv->lower && iv->upper == iv->upper;  /* not NaN */
}

