/* Atomic file replacement: temporary file, fsync, rename, fsync of the folder. */
#include "ms-atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ms-error.h"

struct _MsAtomicFile {
  char *path;
  char *tmp;
  FILE *f;
};

static void
set_io_error (GError **error, const char *file, const char *what, int err)
{
  g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: %s: %s", file, what, g_strerror (err));
}

MsAtomicFile *
ms_atomic_file_new (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  /* The folder must exist: a file name given by a user never creates folders (a typo in
   * --logits /data/runz/x.f32 would otherwise leave a tree behind). Callers that own a
   * folder (a run, a report) make it themselves. */
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: the folder %s does not exist", path, dir);
      return NULL;
    }
  g_autofree char *name = g_strdup_printf (".%s.tmp-XXXXXX", base);
  char *tmp = g_build_filename (dir, name, NULL);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      set_io_error (error, tmp, "cannot create a temporary file", errno);
      g_free (tmp);
      return NULL;
    }
  FILE *f = fdopen (fd, "wb");
  if (f == NULL)
    {
      int e = errno;
      close (fd);
      g_unlink (tmp);
      set_io_error (error, tmp, "fdopen failed", e);
      g_free (tmp);
      return NULL;
    }
  MsAtomicFile *af = g_new0 (MsAtomicFile, 1);
  af->path = g_strdup (path);
  af->tmp = tmp;
  af->f = f;
  return af;
}

gboolean
ms_atomic_file_write (MsAtomicFile *f, const void *data, gsize n, GError **error)
{
  if (n > 0 && fwrite (data, 1, n, f->f) != n)
    {
      set_io_error (error, f->tmp, "write failed", errno);
      return FALSE;
    }
  return TRUE;
}

void
ms_atomic_file_abort (MsAtomicFile *f)
{
  if (f == NULL)
    return;
  if (f->f)
    fclose (f->f);
  g_unlink (f->tmp);
  g_free (f->tmp);
  g_free (f->path);
  g_free (f);
}

gboolean
ms_atomic_file_commit (MsAtomicFile *f, GError **error)
{
  if (fflush (f->f) != 0 || fsync (fileno (f->f)) != 0)
    {
      set_io_error (error, f->tmp, "flushing to disk failed", errno);
      ms_atomic_file_abort (f);
      return FALSE;
    }
  int rc = fclose (f->f);
  f->f = NULL;
  if (rc != 0)
    {
      set_io_error (error, f->tmp, "close failed", errno);
      ms_atomic_file_abort (f);
      return FALSE;
    }
  if (g_rename (f->tmp, f->path) != 0)
    {
      int e = errno;
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot rename %s onto it: %s", f->path,
                   f->tmp, g_strerror (e));
      ms_atomic_file_abort (f);
      return FALSE;
    }
  /* Make the rename durable; failing here still leaves a complete file. */
  g_autofree char *dir = g_path_get_dirname (f->path);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      (void) fsync (dfd);
      close (dfd);
    }
  g_free (f->tmp);
  g_free (f->path);
  g_free (f);
  return TRUE;
}

gboolean
ms_atomic_write (const char *path, const void *data, gsize n, GError **error)
{
  MsAtomicFile *f = ms_atomic_file_new (path, error);
  if (f == NULL)
    return FALSE;
  if (!ms_atomic_file_write (f, data, n, error))
    {
      ms_atomic_file_abort (f);
      return FALSE;
    }
  return ms_atomic_file_commit (f, error);
}

/* The names ms_atomic_file_new gives its temporary files: ".NAME.tmp-" and six characters. */
static gboolean
is_temporary_name (const char *name)
{
  gsize n = strlen (name);
  const char *mark = g_strrstr (name, ".tmp-");
  return name[0] == '.' && mark != NULL && mark > name + 1 && (gsize) (mark - name) + 11 == n;
}

static void
sweep (const char *dir, int depth)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (is_temporary_name (name) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_unlink (path);
      else if (depth > 0 && g_file_test (path, G_FILE_TEST_IS_DIR)
               && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        sweep (path, depth - 1);
    }
}

struct _MsFolderLock {
  int fd;
};

MsFolderLock *
ms_folder_lock (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      set_io_error (error, dir, "cannot open the folder", errno);
      return NULL;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int e = errno;
      close (fd);
      if (e == EWOULDBLOCK)
        g_set_error (error, MS_ERROR, MS_ERROR_IO,
                     "%s: another memscope process is writing in this folder; wait for it to "
                     "end", dir);
      else
        set_io_error (error, dir, "cannot lock the folder", e);
      return NULL;
    }
  sweep (dir, 2);
  MsFolderLock *lock = g_new0 (MsFolderLock, 1);
  lock->fd = fd;
  return lock;
}

void
ms_folder_unlock (MsFolderLock *lock)
{
  if (lock == NULL)
    return;
  close (lock->fd);
  g_free (lock);
}
