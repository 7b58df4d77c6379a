/* Inside the results store: the connection, the cache of prepared statements, error helpers
 * shared by ms-store*.c, and the migration table (with a hook for tests). */
#pragma once

#include <sqlite3.h>

#include "store/ms-store.h"

G_BEGIN_DECLS

struct _MsStore {
  sqlite3 *db;
  char *path;
  gboolean read_only;
  guint depth;          /* transaction nesting: 0 = none, 1 = BEGIN, > 1 = savepoints */
  GHashTable *stmts;    /* SQL text -> sqlite3_stmt*, prepared once per store */
  int lease_fd;         /* PATH-leases, opened on the first lease; -1 until then */
};

/* The cached statement for SQL, reset and with its bindings cleared; NULL with an error when
 * SQL does not prepare. Callers sqlite3_reset it when done, so no read stays open. */
sqlite3_stmt *ms_store_stmt (MsStore *store, const char *sql, GError **error);
/* Sets "PATH: WHAT: sqlite's message (SQLITE_CODE)" with a code that fits RC. */
void ms_store_set_error (MsStore *store, GError **error, int rc, const char *what, ...)
  G_GNUC_PRINTF (4, 5);
/* Steps STMT to the end (a write), then resets it; FALSE with an error naming WHAT. */
gboolean ms_store_step_done (MsStore *store, sqlite3_stmt *stmt, const char *what,
                             GError **error);
/* The name of an SQLite result code ("SQLITE_BUSY", "SQLITE_CONSTRAINT_UNIQUE"). */
const char *ms_store_code_name (int rc);

/* The first column of every row of STMT (bound, not yet stepped) as a set of gint64 (keys
 * owned), then resets it; NULL with an error naming WHAT. */
GHashTable *ms_store_id_set (MsStore *store, sqlite3_stmt *stmt, const char *what,
                             GError **error);
/* Binds TEXT or NULL. */
int ms_store_bind_text (sqlite3_stmt *stmt, int i, const char *text);
/* A column's text as a new string, NULL for SQL NULL. */
char *ms_store_column_dup (sqlite3_stmt *stmt, int i);
/* A REAL column, NaN for SQL NULL. */
double ms_store_column_double (sqlite3_stmt *stmt, int i);

/* Appends " AND col = ?" for each member of FILTER that is set, to WHERE (which starts with
 * " WHERE 1"), each column prefixed by PREFIX ("" or "r."); bind_filter binds them in the same
 * order from parameter FIRST on. */
void ms_store_filter_sql (const MsStoreFilter *filter, const char *prefix, GString *where);
void ms_store_filter_bind (const MsStoreFilter *filter, sqlite3_stmt *stmt, int first);

/* Migrations: step FROM turns a store of schema version FROM into version FROM + 1, inside the
 * transaction that then records the new version. schema.sql always creates the newest version
 * directly. When v2 comes: add { 1, "what changed", migrate_1_to_2 } to the table in
 * ms-store.c and bump MS_STORE_SCHEMA_VERSION. */
typedef struct {
  int from;
  const char *description;
  gboolean (*apply) (MsStore *store, GError **error);
} MsStoreMigration;

/* Tests only: replaces the migration table and the version new stores get (TARGET). Passing
 * NULL, 0, 0 restores the built-in ones. */
void ms_store_set_migrations_for_testing (const MsStoreMigration *steps, guint n, int target);

G_END_DECLS
