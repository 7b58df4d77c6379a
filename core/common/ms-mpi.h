/* MPI behind one small interface, so the rest of memscope reads the same with or without it:
 * built without MPI (meson -Dmpi=disabled) every call acts as a job of one rank. Used by
 * data-parallel training (gradient all-reduce) and the study's coordinator and workers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether this build has MPI. */
gboolean ms_mpi_built (void);
/* Whether this process was started by mpirun, mpiexec or srun (from the launcher's environment),
 * so a plain `memscope …` never initialises MPI. */
gboolean ms_mpi_launched (void);
/* Initialises MPI once (thread level FUNNELED) and makes errors return instead of aborting.
 * Without MPI, or when not launched by an MPI launcher, it succeeds as a job of one rank. */
gboolean ms_mpi_init (GError **error);
/* Finalises MPI if ms_mpi_init started it. */
void ms_mpi_finalize (void);
/* Ends the whole job after an error on one rank (MPI_Abort with CODE); a no-op without MPI. */
void ms_mpi_abort (int code);

int ms_mpi_rank (void);        /* 0 without MPI */
int ms_mpi_size (void);        /* 1 without MPI */
/* This rank's index among the ranks on its node (MPI_Comm_split_type SHARED), and their number. */
int ms_mpi_local_rank (void);
int ms_mpi_local_size (void);
/* The node's host name (the processor name MPI reports, or the host name). */
const char *ms_mpi_host (void);

/* In-place sums over all ranks; every rank gets the same result. Counts beyond INT_MAX are sent
 * in chunks. */
gboolean ms_mpi_allreduce_sum_float (float *buf, gsize n, GError **error);
gboolean ms_mpi_allreduce_sum_double (double *buf, gsize n, GError **error);
gboolean ms_mpi_barrier (GError **error);

/* Point-to-point messages of bytes, for the study's coordinator and workers: one message
 * each, at most INT_MAX bytes (a larger one is refused with an error saying so). TAG >= 0. */
gboolean ms_mpi_send (int dest, int tag, const void *data, gsize size, GError **error);
/* Whether a message waits from SOURCE (-1: any) with TAG (-1: any), without receiving it;
 * FROM and GOT_TAG say whose and which. FALSE with an error when MPI fails. */
gboolean ms_mpi_poll (int source, int tag, gboolean *waiting, int *from, int *got_tag,
                      GError **error);
/* Receives the next message from SOURCE (-1: any) with TAG (-1: any), waiting for it. */
GBytes *ms_mpi_recv (int source, int tag, int *from, int *got_tag, GError **error);

/* Bytes this rank has handed to MPI's collectives so far (the payload, not the wire traffic of
 * the algorithm), for the benchmark. */
guint64 ms_mpi_bytes_sent (void);

G_END_DECLS
