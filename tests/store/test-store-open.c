/* Opening stores: schema versions (a newer store refused, migration steps applied exactly once,
 * a failing step leaving the store as it was), and bad files: not SQLite, truncated, corrupt,
 * empty, someone else's SQLite database, a folder, a missing file, a read-only location. The
 * files are prepared with SQLite directly, not through the store. */
#include "ms-test.h"
#include "store-fixture.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ms-error.h"
#include "store/ms-store-private.h"

static char *
tmp_path (const char *name)
{
  char *path = g_build_filename (ms_test_tmpdir (), name, NULL);
  g_unlink (path);
  return path;
}

/* Runs SQL on PATH with a plain SQLite connection. */
static void
raw_exec (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  char *msg = NULL;
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

/* The first column of the first row of SQL on PATH, as text ("" when no row). */
static char *
raw_value (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  char *v = sqlite3_step (stmt) == SQLITE_ROW
            ? g_strdup ((const char *) sqlite3_column_text (stmt, 0)) : g_strdup ("");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

static void
make_store (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);
}

static void
assert_error_names (GError *error, const char *path, const char *text)
{
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, text));
}

static void
test_new_store (void)
{
  g_autofree char *path = tmp_path ("new.sqlite");
  make_store (path);
  g_autofree char *version = raw_value (path, "SELECT value FROM meta WHERE key = "
                                        "'schema_version'");
  g_assert_cmpstr (version, ==, "3");
  g_autofree char *mode = raw_value (path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_autofree char *view = raw_value (path, "SELECT count(*) FROM sqlite_schema WHERE "
                                     "type = 'view' AND name = 'results'");
  g_assert_cmpstr (view, ==, "1");
  /* A reader leaves no -wal or -shm file behind, and its connection cannot write. */
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  {
    g_autoptr (GError) local = NULL;
    g_autoptr (MsStore) ro = ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &local);
    g_assert_no_error (local);
    g_autoptr (GPtrArray) studies = ms_store_list_studies (ro, &local);
    g_assert_no_error (local);
    g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
    g_assert_cmpint (sqlite3_exec (ro->db, "INSERT INTO meta VALUES ('k', 'v')", NULL, NULL,
                                   NULL), ==, SQLITE_READONLY);
  }
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (shm, G_FILE_TEST_EXISTS));

  /* The foreign keys are enforced on the store's connection. */
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  MsStoreTaskDef t = fixture_tasks[0];
  g_assert_cmpint (ms_store_upsert_task (store, 42, &t, &error), ==, 0);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY"));
}

static void
test_newer_version (void)
{
  g_autofree char *path = tmp_path ("v99.sqlite");
  make_store (path);
  raw_exec (path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  g_autoptr (GError) error = NULL;
  g_assert_null (ms_store_open (path, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  assert_error_names (error, path, "schema version 99, newer than this memscope reads "
                      "(version 3)");
  g_clear_error (&error);
  g_assert_null (ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  g_clear_error (&error);
  g_autofree char *after = raw_value (path, "SELECT value FROM meta WHERE key = "
                                      "'schema_version'");
  g_assert_cmpstr (after, ==, "99");

  raw_exec (path, "UPDATE meta SET value = 'one' WHERE key = 'schema_version'");
  g_assert_null (ms_store_open (path, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  assert_error_names (error, path, "expected a whole number");
}

static int fake_runs, second_runs;

/* A v0 -> v1 step: marks the store so the test can see it ran, and counts calls. */
static gboolean
fake_step (MsStore *store, GError **error)
{
  fake_runs++;
  char *msg = NULL;
  if (sqlite3_exec (store->db, "CREATE TABLE fake_v1 (x); INSERT INTO meta VALUES "
                    "('fake_step', 'ran')", NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "fake step: %s", msg);
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

static gboolean
second_step (MsStore *store, GError **error)
{
  second_runs++;
  /* Steps run in order: the first one's table is there. */
  return sqlite3_exec (store->db, "ALTER TABLE fake_v1 ADD COLUMN y", NULL, NULL, NULL)
         == SQLITE_OK;
}

static gboolean
failing_step (MsStore *store, GError **error)
{
  sqlite3_exec (store->db, "CREATE TABLE half_done (x)", NULL, NULL, NULL);
  g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: the step failed on purpose", store->path);
  return FALSE;
}

static void
test_migration (void)
{
  g_autofree char *path = tmp_path ("v0.sqlite");
  make_store (path);
  raw_exec (path, "UPDATE meta SET value = '0' WHERE key = 'schema_version'");
  g_autoptr (GError) error = NULL;

  /* Read-only: an old store is not upgraded, and says how to. */
  g_assert_null (ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  assert_error_names (error, path, "open it once for writing");
  g_clear_error (&error);

  /* No step for version 0. */
  ms_store_set_migrations_for_testing (NULL, 0, 1);
  g_assert_null (ms_store_open (path, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
  assert_error_names (error, path, "no migration from schema version 0 to 1");
  g_clear_error (&error);

  /* A failing step changes nothing. */
  static const MsStoreMigration failing[] = { { 0, "fails", failing_step } };
  ms_store_set_migrations_for_testing (failing, 1, 1);
  g_assert_null (ms_store_open (path, &error));
  assert_error_names (error, path, "failed on purpose");
  g_clear_error (&error);
  g_autofree char *v0 = raw_value (path, "SELECT value FROM meta WHERE key = "
                                   "'schema_version'");
  g_assert_cmpstr (v0, ==, "0");
  g_autofree char *half = raw_value (path, "SELECT count(*) FROM sqlite_schema WHERE "
                                     "name = 'half_done'");
  g_assert_cmpstr (half, ==, "0");

  /* The step is applied once, and not again on the next open. */
  static const MsStoreMigration steps[] = { { 0, "fake v0 -> v1", fake_step } };
  ms_store_set_migrations_for_testing (steps, 1, 1);
  fake_runs = 0;
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (MsStore) store = ms_store_open (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (fake_runs, ==, 1);
    }
  g_autofree char *v1 = raw_value (path, "SELECT value FROM meta WHERE key = "
                                   "'schema_version'");
  g_assert_cmpstr (v1, ==, "1");
  g_autofree char *mark = raw_value (path, "SELECT value FROM meta WHERE key = 'fake_step'");
  g_assert_cmpstr (mark, ==, "ran");

  /* Steps chain: 1 -> 2 -> 3 in one open. */
  static const MsStoreMigration chain[] = {
    { 2, "third", second_step }, { 1, "second", fake_step },
  };
  raw_exec (path, "DROP TABLE fake_v1; DELETE FROM meta WHERE key = 'fake_step'");
  fake_runs = second_runs = 0;
  ms_store_set_migrations_for_testing (chain, 2, 3);
  {
    g_autoptr (MsStore) store = ms_store_open (path, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (fake_runs, ==, 1);
  g_assert_cmpint (second_runs, ==, 1);
  g_autofree char *v3 = raw_value (path, "SELECT value FROM meta WHERE key = "
                                   "'schema_version'");
  g_assert_cmpstr (v3, ==, "3");

  /* Back to the built-in table: a store one version past it is too new. */
  raw_exec (path, "UPDATE meta SET value = '4' WHERE key = 'schema_version'");
  ms_store_set_migrations_for_testing (NULL, 0, 0);
  g_assert_null (ms_store_open (path, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_MISMATCH);
}

static void
test_not_sqlite (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = tmp_path ("notes.sqlite");
  g_assert_true (g_file_set_contents (text, "study,run\nthis is a CSV file, not a database\n",
                                      -1, NULL));
  g_assert_null (ms_store_open (text, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  assert_error_names (error, text, "not an SQLite database");
  g_clear_error (&error);
  g_assert_null (ms_store_open_full (text, MS_STORE_OPEN_READ_ONLY, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  g_clear_error (&error);
  g_autofree char *content = NULL;
  g_assert_true (g_file_get_contents (text, &content, NULL, NULL));
  g_assert_true (g_str_has_prefix (content, "study,run\n"));  /* left alone */

  g_autofree char *tiny = tmp_path ("tiny.sqlite");
  g_assert_true (g_file_set_contents_full (tiny, "SQLite format 3\0\x10\x00", 18,
                                           G_FILE_SET_CONTENTS_NONE, 0644, NULL));
  g_assert_null (ms_store_open (tiny, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  assert_error_names (error, tiny, "truncated: 18 bytes");
  g_clear_error (&error);

  /* An SQLite database of something else. */
  g_autofree char *other = tmp_path ("other.sqlite");
  raw_exec (other, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('a')");
  g_autofree char *bytes_before = NULL;
  gsize len_before = 0;
  g_assert_true (g_file_get_contents (other, &bytes_before, &len_before, NULL));
  g_assert_null (ms_store_open (other, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  assert_error_names (error, other, "not a memscope results store");
  g_clear_error (&error);
  g_autofree char *tables = raw_value (other, "SELECT group_concat(name) FROM sqlite_schema");
  g_assert_cmpstr (tables, ==, "contacts");  /* no schema added to it */
  /* Not a byte changed: refused before journal_mode = WAL, which rewrites the header. */
  g_autofree char *bytes_after = NULL;
  gsize len_after = 0;
  g_assert_true (g_file_get_contents (other, &bytes_after, &len_after, NULL));
  g_assert_cmpmem (bytes_before, len_before, bytes_after, len_after);
  g_autofree char *wal = g_strconcat (other, "-wal", NULL);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));

  /* An empty file is an empty database: a new store read-write, refused read-only. */
  g_autofree char *empty = tmp_path ("empty.sqlite");
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_null (ms_store_open_full (empty, MS_STORE_OPEN_READ_ONLY, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  assert_error_names (error, empty, "not a results store");
  g_clear_error (&error);
  make_store (empty);

  /* A folder. */
  g_assert_null (ms_store_open (ms_test_tmpdir (), &error));
  assert_error_names (error, ms_test_tmpdir (), "not a regular file");
}

static void
test_truncated (void)
{
  g_autofree char *path = tmp_path ("truncated.sqlite");
  FixtureIds ids;
  fixture_create (path, &ids);  /* closed: the log is checkpointed into the file */
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_autofree char *data = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >=, 8 * 4096);
  g_assert_true (g_file_set_contents (path, data, len / 2, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_null (ms_store_open (path, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  assert_error_names (error, path, "truncated: the header counts");
  g_clear_error (&error);
  g_assert_null (ms_store_open_full (path, MS_STORE_OPEN_READ_ONLY, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  g_clear_error (&error);

  /* Garbage over every page after the first: refused when read, never a crash. */
  memset (data + 4096, 0xa5, len - 4096);
  g_assert_true (g_file_set_contents (path, data, len, NULL));
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_autoptr (GPtrArray) studies = store ? ms_store_list_studies (store, &error) : NULL;
  g_assert_null (studies);
  g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
  assert_error_names (error, path, "malformed");
}

static void
test_locations (void)
{
  g_autoptr (GError) error = NULL;
  /* Missing: an error for readers, and no file made. */
  g_autofree char *missing = tmp_path ("missing.sqlite");
  g_assert_null (ms_store_open_full (missing, MS_STORE_OPEN_READ_ONLY, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  assert_error_names (error, missing, "no results store there");
  g_clear_error (&error);
  g_assert_null (ms_store_open_full (missing, MS_STORE_OPEN_EXISTING, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  /* Below a regular file. */
  g_autofree char *file = tmp_path ("plain.txt");
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_autofree char *below = g_build_filename (file, "store.sqlite", NULL);
  g_assert_null (ms_store_open (below, &error));
  assert_error_names (error, below, "");
  g_clear_error (&error);

  /* A location nobody may write: a folder without write permission, or /sys for root. */
  if (getuid () == 0)
    {
      const char *sys = "/sys/memscope-test.sqlite";
      g_assert_null (ms_store_open (sys, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_IO);
      assert_error_names (error, sys, "cannot open or create the store");
      g_clear_error (&error);
      g_test_message ("running as root: file permission cases skipped");
      return;
    }
  g_autofree char *dir = tmp_path ("locked");
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_autofree char *inside = g_build_filename (dir, "store.sqlite", NULL);
  make_store (inside);
  g_assert_cmpint (g_chmod (inside, 0444), ==, 0);
  g_assert_null (ms_store_open (inside, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_IO);
  assert_error_names (error, inside, "cannot write the store");
  g_clear_error (&error);
  {
    g_autoptr (MsStore) ro = ms_store_open_full (inside, MS_STORE_OPEN_READ_ONLY, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
  g_autofree char *fresh = g_build_filename (dir, "fresh.sqlite", NULL);
  g_assert_null (ms_store_open (fresh, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_IO);
  assert_error_names (error, fresh, "cannot write in its folder");
  g_clear_error (&error);
  g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));
  /* A writable store in a folder that is not: it cannot keep its log there. */
  g_assert_cmpint (g_chmod (inside, 0644), ==, 0);
  g_assert_null (ms_store_open (inside, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_IO);
  assert_error_names (error, inside, "it can be opened read-only");
  g_clear_error (&error);
  {
    g_autoptr (MsStore) ro = ms_store_open_full (inside, MS_STORE_OPEN_READ_ONLY, &error);
    g_assert_no_error (error);
    g_autoptr (GPtrArray) none = ms_store_list_studies (ro, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (none->len, ==, 0);
  }
  g_chmod (dir, 0755);
  g_chmod (inside, 0644);
}

/* The real steps from version 1: a store made before the analysis tables gets them, then the
 * runs' host column, each once. */
static void
test_migration_1_to_2 (void)
{
  g_autofree char *path = tmp_path ("v1.sqlite");
  make_store (path);
  raw_exec (path, "DROP TABLE mia; DROP TABLE attention; DROP TABLE attention_maps; "
                  "DROP TABLE sparse; DROP TABLE canaries; ALTER TABLE runs DROP COLUMN host; "
                  "UPDATE meta SET value = '1' WHERE key = 'schema_version'");
  g_autoptr (GError) error = NULL;
  MsStore *store = ms_store_open (path, &error);
  g_assert_no_error (error);
  ms_store_close (store);
  g_autofree char *version = raw_value (path, "SELECT value FROM meta WHERE key = "
                                        "'schema_version'");
  g_assert_cmpstr (version, ==, "3");
  g_autofree char *host = raw_value (path, "SELECT count(*) FROM pragma_table_info('runs') "
                                     "WHERE name = 'host'");
  g_assert_cmpstr (host, ==, "1");
  g_autofree char *tables = raw_value (path, "SELECT count(*) FROM sqlite_schema WHERE type = "
                                       "'table' AND name IN ('mia', 'attention', "
                                       "'attention_maps', 'sparse', 'canaries')");
  g_assert_cmpstr (tables, ==, "5");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/open/new", test_new_store);
  g_test_add_func ("/store/open/newer-version", test_newer_version);
  g_test_add_func ("/store/open/migration-1-to-2", test_migration_1_to_2);
  g_test_add_func ("/store/open/migration", test_migration);
  g_test_add_func ("/store/open/not-sqlite", test_not_sqlite);
  g_test_add_func ("/store/open/truncated", test_truncated);
  g_test_add_func ("/store/open/locations", test_locations);
  return ms_test_run ();
}
