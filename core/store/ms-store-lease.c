/* Run leases: which process is working on a run of a shared store. A lease is a POSIX record
 * lock on one byte (the run's id) of a file beside the store, so the kernel releases it when
 * the process ends in any way, SIGKILL included: no expiry, no stale owner to clean up. The
 * store lives on one machine's local disk (SQLite is not for network file systems), so a
 * local lock sees every process that can open it. */
#include "store/ms-store.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/ms-error.h"
#include "store/ms-store-private.h"

static gboolean
open_leases (MsStore *store, GError **error)
{
  if (store->lease_fd >= 0)
    return TRUE;
  g_autofree char *path = g_strconcat (store->path, "-leases", NULL);
  store->lease_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (store->lease_fd < 0)
    {
      int e = errno;
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot open the run leases: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_store_lease_run (MsStore *store, gint64 run_id, int *owner_pid, GError **error)
{
  g_return_val_if_fail (run_id > 0, FALSE);
  *owner_pid = 0;
  if (store->read_only)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "%s: opened read-only, so no run can be taken", store->path);
      return FALSE;
    }
  if (!open_leases (store, error))
    return FALSE;
  struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = run_id, .l_len = 1 };
  if (fcntl (store->lease_fd, F_SETLK, &lk) == 0)
    return TRUE;
  int e = errno;
  if (e != EACCES && e != EAGAIN)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s-leases: cannot lock run %" G_GINT64_FORMAT
                   ": %s", store->path, run_id, g_strerror (e));
      return FALSE;
    }
  struct flock who = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = run_id, .l_len = 1 };
  if (fcntl (store->lease_fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
    *owner_pid = who.l_pid;
  else
    *owner_pid = -1;              /* released between the two calls: taken next time */
  return TRUE;
}

void
ms_store_release_run (MsStore *store, gint64 run_id)
{
  if (store->lease_fd < 0)
    return;
  struct flock lk = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = run_id, .l_len = 1 };
  (void) fcntl (store->lease_fd, F_SETLK, &lk);
}
