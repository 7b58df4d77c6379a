/* The MPI wrappers: MPI errors become GErrors naming the call and MPI's own message. */
#include "ms-mpi.h"

#include <limits.h>
#include <unistd.h>

#include "ms-config.h"
#include "ms-error.h"

#ifdef MS_HAVE_MPI
#include <mpi.h>
#define WITH_MPI 1
#else
#define WITH_MPI 0
#endif

static gboolean started;
static int world_rank, world_size = 1, local_rank, local_size = 1;
static char host[256];
static guint64 bytes_sent;

gboolean
ms_mpi_built (void)
{
  return WITH_MPI;
}

gboolean
ms_mpi_launched (void)
{
  /* Open MPI's mpirun, PMIx (srun --mpi=pmix, prterun), MPICH's Hydra and PMI-2 */
  static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                      "PMI_SIZE" };
  for (gsize i = 0; i < G_N_ELEMENTS (vars); i++)
    if (g_getenv (vars[i]))
      return TRUE;
  return FALSE;
}

static void
fallback_host (void)
{
  if (host[0] == '\0' && gethostname (host, sizeof host - 1) != 0)
    g_strlcpy (host, "localhost", sizeof host);
}

#if WITH_MPI
static gboolean
check (int rc, const char *call, GError **error)
{
  if (rc == MPI_SUCCESS)
    return TRUE;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string (rc, msg, &len) != MPI_SUCCESS)
    g_snprintf (msg, sizeof msg, "error %d", rc);
  g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s failed on rank %d (%s): %s", call, world_rank,
               host, msg);
  return FALSE;
}
#endif

gboolean
ms_mpi_init (GError **error)
{
  fallback_host ();
#if WITH_MPI
  if (started || !ms_mpi_launched ())
    return TRUE;
  int provided = 0;
  if (!check (MPI_Init_thread (NULL, NULL, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread",
              error))
    return FALSE;
  started = TRUE;
  MPI_Comm_set_errhandler (MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank (MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size (MPI_COMM_WORLD, &world_size);
  int len = 0;
  char name[MPI_MAX_PROCESSOR_NAME];
  if (MPI_Get_processor_name (name, &len) == MPI_SUCCESS && len > 0)
    g_strlcpy (host, name, sizeof host);
  MPI_Comm node;
  if (!check (MPI_Comm_split_type (MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank,
                                   MPI_INFO_NULL, &node), "MPI_Comm_split_type", error))
    return FALSE;
  MPI_Comm_rank (node, &local_rank);
  MPI_Comm_size (node, &local_size);
  MPI_Comm_free (&node);
#endif
  return TRUE;
}

void
ms_mpi_finalize (void)
{
#if WITH_MPI
  if (started)
    MPI_Finalize ();
#endif
  started = FALSE;
}

void
ms_mpi_abort (int code)
{
#if WITH_MPI
  if (started)
    MPI_Abort (MPI_COMM_WORLD, code);
#endif
}

int ms_mpi_rank (void) { return world_rank; }
int ms_mpi_size (void) { return world_size; }
int ms_mpi_local_rank (void) { return local_rank; }
int ms_mpi_local_size (void) { return local_size; }

const char *
ms_mpi_host (void)
{
  fallback_host ();
  return host;
}

guint64 ms_mpi_bytes_sent (void) { return bytes_sent; }

#if WITH_MPI
static gboolean
allreduce (void *buf, gsize n, gsize elem, MPI_Datatype type, GError **error)
{
  if (!started || world_size == 1)
    return TRUE;
  for (gsize i = 0; i < n; i += INT_MAX / 2)
    {
      int m = (int) MIN ((gsize) INT_MAX / 2, n - i);
      if (!check (MPI_Allreduce (MPI_IN_PLACE, (char *) buf + i * elem, m, type, MPI_SUM,
                                 MPI_COMM_WORLD), "MPI_Allreduce", error))
        return FALSE;
      bytes_sent += (guint64) m * elem;
    }
  return TRUE;
}
#endif

gboolean
ms_mpi_allreduce_sum_float (float *buf, gsize n, GError **error)
{
#if WITH_MPI
  return allreduce (buf, n, sizeof (float), MPI_FLOAT, error);
#else
  return TRUE;
#endif
}

gboolean
ms_mpi_allreduce_sum_double (double *buf, gsize n, GError **error)
{
#if WITH_MPI
  return allreduce (buf, n, sizeof (double), MPI_DOUBLE, error);
#else
  return TRUE;
#endif
}

gboolean
ms_mpi_barrier (GError **error)
{
#if WITH_MPI
  if (started && world_size > 1)
    return check (MPI_Barrier (MPI_COMM_WORLD), "MPI_Barrier", error);
#endif
  return TRUE;
}

#if !WITH_MPI
static gboolean
no_mpi (GError **error)
{
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "this memscope was built without MPI");
  return FALSE;
}
#endif

gboolean
ms_mpi_send (int dest, int tag, const void *data, gsize size, GError **error)
{
#if WITH_MPI
  if (size > INT_MAX)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "a message of %" G_GSIZE_FORMAT " bytes to "
                   "rank %d is more than one MPI message holds (%d bytes)", size, dest, INT_MAX);
      return FALSE;
    }
  bytes_sent += size;
  return check (MPI_Send (data, (int) size, MPI_BYTE, dest, tag, MPI_COMM_WORLD), "MPI_Send",
                error);
#else
  return no_mpi (error);
#endif
}

gboolean
ms_mpi_poll (int source, int tag, gboolean *waiting, int *from, int *got_tag, GError **error)
{
  *waiting = FALSE;
#if WITH_MPI
  int flag = 0;
  MPI_Status st;
  if (!check (MPI_Iprobe (source < 0 ? MPI_ANY_SOURCE : source, tag < 0 ? MPI_ANY_TAG : tag,
                          MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe", error))
    return FALSE;
  *waiting = flag != 0;
  if (flag && from)
    *from = st.MPI_SOURCE;
  if (flag && got_tag)
    *got_tag = st.MPI_TAG;
  return TRUE;
#else
  return no_mpi (error);
#endif
}

GBytes *
ms_mpi_recv (int source, int tag, int *from, int *got_tag, GError **error)
{
#if WITH_MPI
  MPI_Status st;
  int count = 0;
  if (!check (MPI_Probe (source < 0 ? MPI_ANY_SOURCE : source, tag < 0 ? MPI_ANY_TAG : tag,
                         MPI_COMM_WORLD, &st), "MPI_Probe", error)
      || !check (MPI_Get_count (&st, MPI_BYTE, &count), "MPI_Get_count", error))
    return NULL;
  guint8 *buf = g_malloc (MAX (count, 1));
  if (!check (MPI_Recv (buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
                        MPI_STATUS_IGNORE), "MPI_Recv", error))
    {
      g_free (buf);
      return NULL;
    }
  if (from)
    *from = st.MPI_SOURCE;
  if (got_tag)
    *got_tag = st.MPI_TAG;
  return g_bytes_new_take (buf, (gsize) count);
#else
  no_mpi (error);
  return NULL;
#endif
}
