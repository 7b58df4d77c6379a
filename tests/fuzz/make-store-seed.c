/* Writes the store fuzzer's seed: the store fixture of tests/store (a study, its tasks, runs,
 * samples, generations, scores and curves), checkpointed into one file with no -wal beside it.
 * Usage: make-store-seed PATH */
#include "store-fixture.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      g_printerr ("usage: make-store-seed PATH\n");
      return 2;
    }
  g_unlink (argv[1]);
  FixtureIds ids;
  fixture_create (argv[1], &ids);
  /* Back to a rollback journal, so the seed is the whole store in one file. */
  sqlite3 *db;
  if (sqlite3_open (argv[1], &db) != SQLITE_OK
      || sqlite3_exec (db, "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_printerr ("make-store-seed: %s: %s\n", argv[1], sqlite3_errmsg (db));
      return 1;
    }
  sqlite3_close (db);
  return 0;
}
