/* Files written all or nothing: data goes to a temporary file beside the target, which is
 * flushed to disk and renamed over it only when complete. A crash or an error at any moment
 * leaves either the old file or the whole new one, never a mix. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct _MsAtomicFile MsAtomicFile;

/* Opens a temporary file in PATH's folder (created if missing). */
MsAtomicFile *ms_atomic_file_new (const char *path, GError **error);
/* Appends N bytes; errors name the temporary file. */
gboolean ms_atomic_file_write (MsAtomicFile *f, const void *data, gsize n, GError **error);
/* Flushes, syncs, and renames the temporary file over the target; frees F either way (on
 * failure the temporary file is removed). */
gboolean ms_atomic_file_commit (MsAtomicFile *f, GError **error);
/* Removes the temporary file and frees F. */
void ms_atomic_file_abort (MsAtomicFile *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAtomicFile, ms_atomic_file_abort)

/* The whole of DATA to PATH, atomically. */
gboolean ms_atomic_write (const char *path, const void *data, gsize n, GError **error);

/* A folder one writer at a time rewrites (a report): an exclusive lock on DIR that the
 * kernel drops when the process ends, however it ends. While it is held, the temporary
 * files in DIR and its sub-folders are a killed writer's, and are removed. Fails, naming DIR,
 * when another process holds the lock. */
typedef struct _MsFolderLock MsFolderLock;
MsFolderLock *ms_folder_lock (const char *dir, GError **error);
void ms_folder_unlock (MsFolderLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsFolderLock, ms_folder_unlock)

G_END_DECLS
