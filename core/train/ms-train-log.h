/* The record of a training run as JSON lines (one per step, one per evaluation) and its
 * picture: the loss curves, training and held-out, per task when there are tasks. */
#pragma once

#include "train/ms-trainer.h"

G_BEGIN_DECLS

typedef struct _MsTrainLog MsTrainLog;

/* Appends to PATH (created if missing): a resumed run continues the same log; the plot keeps
 * the last record of each step. */
MsTrainLog *ms_train_log_open (const char *path, GError **error);
void ms_train_log_close (MsTrainLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTrainLog, ms_train_log_close)

/* {"step":…,"loss":…,"lr":…,"norm":…,"tokens":…,"seconds":…,"tasks":{NAME: loss…}} */
gboolean ms_train_log_step (MsTrainLog *log, const MsStepStats *st, const char *const *tasks,
                            int n_tasks, GError **error);
/* {"step":…,"eval":{NAME: loss…}} */
gboolean ms_train_log_eval (MsTrainLog *log, int step, const double *loss,
                            const char *const *names, int n, GError **error);

/* Draws the curves of the log at LOG_PATH into OUT_PATH (.png, .svg or .pdf). */
gboolean ms_train_log_plot (const char *log_path, const char *out_path, const char *title,
                            GError **error);

G_END_DECLS
