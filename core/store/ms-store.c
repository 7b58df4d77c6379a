/* Opening the results store: the file checks SQLite itself does late or not at all (not a
 * database, truncated), the connection settings (WAL, foreign keys, busy timeout), creating
 * the schema or migrating it by version, transactions, and the prepared-statement cache. */
#include "store/ms-store-private.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <math.h>
#include <string.h>

#include "common/ms-error.h"

/* ms-store-resources.c, generated from ms-store.gresource.xml */
GResource *ms_store_res_get_resource (void);
void ms_store_res_register_resource (void);

#define SCHEMA_RESOURCE "/org/memscope/store/schema.sql"
/* Other processes (MPI ranks, the app) may hold the write lock while they commit. */
#define BUSY_TIMEOUT_MS 60000

static gboolean exec_resource (MsStore *store, const char *name, GError **error);

/* Version 2 adds the analysis tables (analysis.sql). */
static gboolean
migrate_1_to_2 (MsStore *store, GError **error)
{
  return exec_resource (store, "/org/memscope/store/analysis.sql", error);
}

/* Version 3 records the host that ran each run beside its device (MPI studies). */
static gboolean
migrate_2_to_3 (MsStore *store, GError **error)
{
  char *msg = NULL;
  int rc = sqlite3_exec (store->db, "ALTER TABLE runs ADD COLUMN host TEXT", NULL, NULL, &msg);
  sqlite3_free (msg);
  if (rc != SQLITE_OK)
    ms_store_set_error (store, error, rc, "cannot add the runs' host column");
  return rc == SQLITE_OK;
}

static const MsStoreMigration builtin_migrations[] = {
  { 1, "analysis tables: mia, attention, attention_maps, sparse, canaries", migrate_1_to_2 },
  { 2, "the host of each run", migrate_2_to_3 },
};
static const MsStoreMigration *migrations = builtin_migrations;
static guint n_migrations = G_N_ELEMENTS (builtin_migrations);
static int target_version = MS_STORE_SCHEMA_VERSION;

void
ms_store_set_migrations_for_testing (const MsStoreMigration *steps, guint n, int target)
{
  migrations = steps ? steps : builtin_migrations;
  n_migrations = steps ? n : G_N_ELEMENTS (builtin_migrations);
  target_version = target > 0 ? target : MS_STORE_SCHEMA_VERSION;
}

char *
ms_store_default_path (void)
{
  const char *env = g_getenv ("MEMSCOPE_STORE");
  return g_strdup (env && *env ? env : "memscope.sqlite");
}

char *
ms_store_now (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

/* ---- Errors ------------------------------------------------------------------------------ */

const char *
ms_store_code_name (int rc)
{
  switch (rc)
    {
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "SQLITE_CONSTRAINT_FOREIGNKEY";
    case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
    case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
    case SQLITE_READONLY_DBMOVED: return "SQLITE_READONLY_DBMOVED";
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
    default: break;
    }
  static const char *const names[] = {
    "SQLITE_OK", "SQLITE_ERROR", "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT",
    "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT",
    "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTFOUND", "SQLITE_FULL", "SQLITE_CANTOPEN",
    "SQLITE_PROTOCOL", "SQLITE_EMPTY", "SQLITE_SCHEMA", "SQLITE_TOOBIG", "SQLITE_CONSTRAINT",
    "SQLITE_MISMATCH", "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_FORMAT",
    "SQLITE_RANGE", "SQLITE_NOTADB",
  };
  int primary = rc & 0xff;
  return primary >= 0 && primary < (int) G_N_ELEMENTS (names) ? names[primary] : "SQLITE_?";
}

static int
code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
      return MS_ERROR_FORMAT;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return MS_ERROR_INVALID;
    case SQLITE_ERROR:
      return MS_ERROR_INVALID;  /* SQL errors: a bad query */
    default:
      return MS_ERROR_IO;
    }
}

void
ms_store_set_error (MsStore *store, GError **error, int rc, const char *what, ...)
{
  va_list ap;
  va_start (ap, what);
  g_autofree char *msg = g_strdup_vprintf (what, ap);
  va_end (ap);
  /* sqlite3_errmsg describes the last call on the connection: use it only when it is RC's. */
  const char *detail = store->db && sqlite3_extended_errcode (store->db) == rc
                       ? sqlite3_errmsg (store->db) : sqlite3_errstr (rc);
  int sys = store->db ? sqlite3_system_errno (store->db) : 0;
  if (sys != 0 && (rc & 0xff) != SQLITE_CONSTRAINT)
    g_set_error (error, MS_ERROR, code_for (rc), "%s: %s: %s (%s; %s)", store->path, msg,
                 detail, ms_store_code_name (rc), g_strerror (sys));
  else
    g_set_error (error, MS_ERROR, code_for (rc), "%s: %s: %s (%s)", store->path, msg, detail,
                 ms_store_code_name (rc));
}

/* ---- Statements -------------------------------------------------------------------------- */

sqlite3_stmt *
ms_store_stmt (MsStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (store->stmts, sql);
  if (stmt)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  int rc = sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      ms_store_set_error (store, error, rc, "cannot prepare \"%.60s…\"", sql);
      return NULL;
    }
  g_hash_table_insert (store->stmts, g_strdup (sql), stmt);
  return stmt;
}

gboolean
ms_store_step_done (MsStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db), "%s", what);
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

int
ms_store_bind_text (sqlite3_stmt *stmt, int i, const char *text)
{
  return text ? sqlite3_bind_text (stmt, i, text, -1, SQLITE_TRANSIENT)
              : sqlite3_bind_null (stmt, i);
}

char *
ms_store_column_dup (sqlite3_stmt *stmt, int i)
{
  const unsigned char *t = sqlite3_column_text (stmt, i);
  return t ? g_strndup ((const char *) t, sqlite3_column_bytes (stmt, i)) : NULL;
}

GHashTable *
ms_store_id_set (MsStore *store, sqlite3_stmt *stmt, const char *what, GError **error)
{
  GHashTable *set = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 *key = g_new (gint64, 1);
      *key = sqlite3_column_int64 (stmt, 0);
      g_hash_table_add (set, key);
    }
  if (rc != SQLITE_DONE)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db), "%s", what);
      g_clear_pointer (&set, g_hash_table_unref);
    }
  sqlite3_reset (stmt);
  return set;
}

double
ms_store_column_double (sqlite3_stmt *stmt, int i)
{
  return sqlite3_column_type (stmt, i) == SQLITE_NULL ? NAN : sqlite3_column_double (stmt, i);
}

/* Runs SQL (no parameters, no rows wanted) through the cache. */
static gboolean
exec_cached (MsStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store, sql, error);
  return stmt && ms_store_step_done (store, stmt, sql, error);
}

/* ---- Transactions ------------------------------------------------------------------------ */

gboolean
ms_store_begin (MsStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  /* SQLite rolls a whole transaction back by itself after some errors (full disk, I/O). A
   * savepoint opened then would start a new transaction and commit on its own: refuse. */
  if (store->depth > 0 && sqlite3_get_autocommit (store->db))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO,
                   "%s: the enclosing transaction was rolled back after an earlier error; "
                   "roll back and start again", store->path);
      return FALSE;
    }
  const char *sql = store->depth > 0 ? "SAVEPOINT ms_nested"
                    : store->read_only ? "BEGIN" : "BEGIN IMMEDIATE";
  if (!exec_cached (store, sql, error))
    return FALSE;
  store->depth++;
  return TRUE;
}

gboolean
ms_store_commit (MsStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL && store->depth > 0, FALSE);
  if (sqlite3_get_autocommit (store->db))
    {
      store->depth--;
      g_set_error (error, MS_ERROR, MS_ERROR_IO,
                   "%s: the transaction was rolled back after an earlier error", store->path);
      return FALSE;
    }
  if (store->depth > 1)
    {
      if (!exec_cached (store, "RELEASE ms_nested", error))
        {
          ms_store_rollback (store);
          return FALSE;
        }
      store->depth--;
      return TRUE;
    }
  if (!exec_cached (store, "COMMIT", error))
    {
      ms_store_rollback (store);
      return FALSE;
    }
  store->depth = 0;
  return TRUE;
}

void
ms_store_rollback (MsStore *store)
{
  g_return_if_fail (store != NULL);
  if (store->depth == 0)
    return;
  gboolean open = !sqlite3_get_autocommit (store->db);
  if (store->depth > 1)
    {
      if (open)
        {
          exec_cached (store, "ROLLBACK TO ms_nested", NULL);
          exec_cached (store, "RELEASE ms_nested", NULL);
        }
    }
  else if (open)
    exec_cached (store, "ROLLBACK", NULL);
  store->depth--;
}

guint
ms_store_transaction_depth (const MsStore *store)
{
  return store->depth;
}

/* ---- File checks ------------------------------------------------------------------------- */

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* SQLite reports a non-database only at the first read and a truncated file only when a
 * missing page is needed, possibly deep inside a later query: check the header up front. */
static gboolean
check_header (const char *path, goffset size, GError **error)
{
  if (size == 0)
    return TRUE;  /* SQLite treats an empty file as an empty database */
  guint8 h[100];
  FILE *f = g_fopen (path, "rb");
  if (f == NULL)
    {
      int e = errno;
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot read: %s", path, g_strerror (e));
      return FALSE;
    }
  gsize got = fread (h, 1, sizeof h, f);
  fclose (f);
  if (got < 16 || memcmp (h, "SQLite format 3", 16) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: not an SQLite database (byte 0: expected the header \"SQLite format "
                   "3\"); a results store is made by a study run", path);
      return FALSE;
    }
  if (got < sizeof h)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: truncated: %" G_GSIZE_FORMAT " bytes, shorter than an SQLite header "
                   "(100 bytes)", path, got);
      return FALSE;
    }
  guint32 page_size = (guint32) h[16] << 8 | h[17];
  if (page_size == 1)
    page_size = 65536;
  guint32 change_counter = be32 (h + 24), n_pages = be32 (h + 28), valid_for = be32 (h + 92);
  if (page_size < 512 || (page_size & (page_size - 1)) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: byte 16: page size %u is not a power of two from 512 to 65536", path,
                   page_size);
      return FALSE;
    }
  /* The page count is only trustworthy when written by the same change as the header, and
   * while a write-ahead log exists the file may legitimately lag behind it. */
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;
  gboolean wal_pending = g_stat (wal, &st) == 0 && st.st_size > 0;
  guint64 want = (guint64) n_pages * page_size;
  if (n_pages > 0 && valid_for == change_counter && !wal_pending && (guint64) size < want)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: truncated: the header counts %u pages of %u bytes (%" G_GUINT64_FORMAT
                   " bytes), the file has %" G_GINT64_FORMAT " bytes", path, n_pages,
                   page_size, want, (gint64) size);
      return FALSE;
    }
  return TRUE;
}

/* ---- Schema ------------------------------------------------------------------------------ */

/* The meta 'schema_version' value, 0 when the row is missing (*HAS_META FALSE: no meta table). */
static gboolean
read_version (MsStore *store, int *version, gboolean *has_meta, GError **error)
{
  *version = 0;
  *has_meta = FALSE;
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db),
                          "cannot read the schema");
      sqlite3_reset (stmt);
      return FALSE;
    }
  *has_meta = sqlite3_column_int (stmt, 0) > 0;
  sqlite3_reset (stmt);
  if (!*has_meta)
    return TRUE;
  stmt = ms_store_stmt (store, "SELECT value FROM meta WHERE key = 'schema_version'", error);
  if (stmt == NULL)
    return FALSE;
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *v = (const char *) sqlite3_column_text (stmt, 0);
      gint64 n = 0;
      if (v == NULL || !g_ascii_string_to_signed (v, 10, 0, G_MAXINT, &n, NULL))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: meta 'schema_version' is '%s', expected a whole number",
                       store->path, v ? v : "NULL");
          sqlite3_reset (stmt);
          return FALSE;
        }
      *version = (int) n;
    }
  else if (rc != SQLITE_DONE)
    {
      ms_store_set_error (store, error, sqlite3_extended_errcode (store->db),
                          "cannot read the schema version");
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
write_version (MsStore *store, int version, GError **error)
{
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", error);
  if (stmt == NULL)
    return FALSE;
  char v[16];
  g_snprintf (v, sizeof v, "%d", version);
  sqlite3_bind_text (stmt, 1, v, -1, SQLITE_TRANSIENT);
  return ms_store_step_done (store, stmt, "cannot write the schema version", error);
}

/* Runs the SQL of an embedded resource. */
static gboolean
exec_resource (MsStore *store, const char *name, GError **error)
{
  static gsize registered = 0;
  if (g_once_init_enter (&registered))
    {
      ms_store_res_register_resource ();
      g_once_init_leave (&registered, 1);
    }
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) sql = g_resource_lookup_data (ms_store_res_get_resource (), name, 0, &local);
  if (sql == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: the embedded schema is missing: %s",
                   store->path, local->message);
      return FALSE;
    }
  g_autofree char *text = g_strndup (g_bytes_get_data (sql, NULL), g_bytes_get_size (sql));
  char *msg = NULL;
  int rc = sqlite3_exec (store->db, text, NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, MS_ERROR, code_for (rc), "%s: cannot create the schema: %s (%s)",
                   store->path, msg ? msg : sqlite3_errstr (rc), ms_store_code_name (rc));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

/* A new store: the schema of every version, then meta. */
static gboolean
create_schema (MsStore *store, GError **error)
{
  if (!exec_resource (store, SCHEMA_RESOURCE, error)
      || (target_version >= 2
          && !exec_resource (store, "/org/memscope/store/analysis.sql", error)))
    return FALSE;
  g_autofree char *now = ms_store_now ();
  sqlite3_stmt *stmt = ms_store_stmt (store,
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('created', ?1), ('created_by', ?2)",
    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, "memscope", -1, SQLITE_STATIC);
  return ms_store_step_done (store, stmt, "cannot write meta", error)
         && write_version (store, target_version, error);
}

static const MsStoreMigration *
find_migration (int from)
{
  for (guint i = 0; i < n_migrations; i++)
    if (migrations[i].from == from)
      return &migrations[i];
  return NULL;
}

/* What the database holds before this store touches it: the schema version and whether it has
 * a meta table (as read_version), and whether it has any schema object at all (*EMPTY: a new
 * file). Opening checks this twice, before the pragmas and again before the schema. */
static gboolean
read_state (MsStore *store, int *version, gboolean *has_meta, gboolean *empty, GError **error)
{
  if (!read_version (store, version, has_meta, error))
    return FALSE;
  sqlite3_stmt *stmt = ms_store_stmt (store, "SELECT count(*) FROM sqlite_schema", error);
  if (stmt == NULL)
    return FALSE;
  int n_objects = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int (stmt, 0) : 0;
  sqlite3_reset (stmt);
  *empty = n_objects == 0;
  return TRUE;
}

/* A database with tables but no meta table belongs to someone else: refused before any pragma
 * or write touches it (journal_mode = WAL alone rewrites the file's header). */
static gboolean
refuse_foreign (MsStore *store, GError **error)
{
  int version;
  gboolean has_meta, empty;
  if (!read_state (store, &version, &has_meta, &empty, error))
    return FALSE;
  if (!empty && !has_meta)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: an SQLite database but not a memscope results store (no 'meta' table); "
                   "it was left as it was", store->path);
      return FALSE;
    }
  return TRUE;
}

/* Brings the store to target_version: creates the schema in an empty database, applies the
 * migration steps to an older one, all in one transaction so a failure changes nothing. */
static gboolean
prepare_schema (MsStore *store, GError **error)
{
  int version;
  gboolean has_meta, empty;
  if (!read_state (store, &version, &has_meta, &empty, error))
    return FALSE;
  if (!empty && !has_meta)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: an SQLite database but not a memscope results store (no 'meta' table)",
                   store->path);
      return FALSE;
    }
  if (!empty && version > target_version)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                   "%s: the store has schema version %d, newer than this memscope reads "
                   "(version %d); use a newer memscope", store->path, version, target_version);
      return FALSE;
    }
  if (!empty && version == target_version)
    return TRUE;
  if (store->read_only)
    {
      if (empty)
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                     "%s: an empty database, not a results store (a study run creates one)",
                     store->path);
      else
        g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                     "%s: the store has schema version %d; open it once for writing (a study "
                     "run does) to upgrade it to version %d", store->path, version,
                     target_version);
      return FALSE;
    }

  if (!ms_store_begin (store, error))
    return FALSE;
  /* Another process may have created or migrated it while we waited for the lock. */
  if (!read_version (store, &version, &has_meta, error))
    goto fail;
  if (!has_meta)
    {
      if (!create_schema (store, error))
        goto fail;
      return ms_store_commit (store, error);
    }
  while (version < target_version)
    {
      const MsStoreMigration *m = find_migration (version);
      if (m == NULL)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                       "%s: no migration from schema version %d to %d", store->path, version,
                       target_version);
          goto fail;
        }
      g_debug ("%s: migrating schema version %d -> %d (%s)", store->path, version,
               version + 1, m->description);
      if (!m->apply (store, error) || !write_version (store, version + 1, error))
        goto fail;
      version++;
    }
  return ms_store_commit (store, error);

fail:
  ms_store_rollback (store);
  return FALSE;
}

/* ---- Open and close ---------------------------------------------------------------------- */

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static gboolean
pragma (MsStore *store, const char *sql, GError **error)
{
  char *msg = NULL;
  int rc = sqlite3_exec (store->db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, MS_ERROR, code_for (rc), "%s: %s: %s (%s)", store->path, sql,
                   msg ? msg : sqlite3_errstr (rc), ms_store_code_name (rc));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

/* Switches the store to WAL. Changing the journal mode needs the file to itself, and SQLite
 * answers SQLITE_BUSY at once, without its busy handler, while another process is creating the
 * same store: so this retries, up to the busy timeout. */
static gboolean
use_wal (MsStore *store, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) BUSY_TIMEOUT_MS * 1000;
  for (;;)
    {
      int rc = sqlite3_exec (store->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
      if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
        break;
      if (g_get_monotonic_time () > deadline)
        break;
      g_usleep (10000);
    }
  return pragma (store, "PRAGMA journal_mode = WAL", error);
}

MsStore *
ms_store_open (const char *path, GError **error)
{
  return ms_store_open_full (path, MS_STORE_OPEN_CREATE, error);
}

MsStore *
ms_store_open_full (const char *path, MsStoreOpenFlags flags, GError **error)
{
  g_return_val_if_fail (path != NULL && *path, NULL);
  gboolean read_only = (flags & MS_STORE_OPEN_READ_ONLY) != 0;
  gboolean must_exist = read_only || (flags & MS_STORE_OPEN_EXISTING);
  gboolean memory = (flags & MS_STORE_OPEN_MEMORY) != 0;
  GStatBuf st;
  gboolean exists = !memory && g_stat (path, &st) == 0;
  if (memory)
    read_only = must_exist = FALSE;
  else if (!exists)
    {
      int e = errno;
      if (e != ENOENT)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: %s", path, g_strerror (e));
          return NULL;
        }
      if (must_exist)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                       "%s: no results store there (a study run creates one: memscope study "
                       "SPEC.ini)", path);
          return NULL;
        }
    }
  else if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: not a regular file", path);
      return NULL;
    }
  else if (!check_header (path, st.st_size, error))
    return NULL;

  /* SQLite keeps the -wal and -shm files beside the store and says only "unable to open
   * database file" when it cannot create them. */
  g_autofree char *dir = g_path_get_dirname (path);
  if (!memory && !read_only && g_access (dir, W_OK | X_OK) != 0)
    {
      int e = errno;
      g_set_error (error, MS_ERROR, MS_ERROR_IO,
                   "%s: cannot write in its folder %s (the store keeps its -wal and -shm "
                   "files there): %s%s", path, dir, g_strerror (e),
                   exists ? "; it can be opened read-only" : "");
      return NULL;
    }

  MsStore *store = g_new0 (MsStore, 1);
  store->path = g_strdup (path);
  store->read_only = read_only;
  store->lease_fd = -1;
  store->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_stmt);
  /* A reader that may write the file opens it read-write with query_only set: SQLite then
   * removes the -wal and -shm files when the last connection closes, which a read-only
   * connection cannot do. */
  gboolean query_only = read_only && g_access (path, W_OK) == 0
                        && g_access (dir, W_OK | X_OK) == 0;
  int oflags = !read_only ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
               : query_only ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
  /* On read-only media (a folder nobody can write) a WAL store left closed has no -wal and
   * -shm files, and SQLite cannot make the -shm it needs: open it immutable, which is exact
   * since no process can change it there. A -wal left by a killed writer still goes to
   * SQLite, so its transactions are not ignored. */
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *uri = NULL;
  if (read_only && !query_only && g_access (dir, W_OK | X_OK) != 0
      && !g_file_test (wal, G_FILE_TEST_EXISTS) && !g_file_test (shm, G_FILE_TEST_EXISTS))
    {
      g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);
      uri = g_strconcat ("file:", escaped, "?immutable=1", NULL);
      oflags |= SQLITE_OPEN_URI;
    }
  int rc = sqlite3_open_v2 (memory ? ":memory:" : uri ? uri : path, &store->db, oflags, NULL);
  if (rc != SQLITE_OK)
    {
      ms_store_set_error (store, error, rc, read_only ? "cannot open the store"
                          : "cannot open or create the store");
      ms_store_close (store);
      return NULL;
    }
  sqlite3_extended_result_codes (store->db, 1);
  sqlite3_busy_timeout (store->db, BUSY_TIMEOUT_MS);
  if (!read_only && sqlite3_db_readonly (store->db, "main") == 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO,
                   "%s: cannot write the store (no write permission); it can be opened "
                   "read-only", path);
      ms_store_close (store);
      return NULL;
    }
  /* synchronous=NORMAL with WAL: a killed process loses nothing committed, a power cut at
   * most the last transactions, and the file stays consistent either way. */
  if (!refuse_foreign (store, error)
      || (query_only && !pragma (store, "PRAGMA query_only = ON", error))
      || !pragma (store, "PRAGMA foreign_keys = ON", error)
      || (!read_only && !memory && !use_wal (store, error))
      || (!read_only && !pragma (store, "PRAGMA synchronous = NORMAL", error))
      || !prepare_schema (store, error))
    {
      ms_store_close (store);
      return NULL;
    }
  return store;
}

void
ms_store_close (MsStore *store)
{
  if (store == NULL)
    return;
  while (store->depth > 0)
    ms_store_rollback (store);
  g_clear_pointer (&store->stmts, g_hash_table_destroy);
  if (store->lease_fd >= 0)
    close (store->lease_fd);      /* releases every lease this process holds */
  sqlite3_close_v2 (store->db);
  g_free (store->path);
  g_free (store);
}

const char *
ms_store_path (const MsStore *store)
{
  return store->path;
}

gboolean
ms_store_is_read_only (const MsStore *store)
{
  return store->read_only;
}
