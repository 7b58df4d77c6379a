/* A writer killed with SIGKILL leaves a consistent store: a child process opens the store,
 * writes inside a transaction (large enough that SQLite spills uncommitted pages into the
 * write-ahead log) and kills itself; the parent reopens the store and finds it intact, with
 * everything committed before and nothing of the unfinished transaction. Also: two processes
 * writing the same store at once, and a report writer killed mid-file. */
#include "ms-test.h"
#include "store-fixture.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ms-atomic.h"
#include "common/ms-error.h"

enum { N_EXTRA = 3000 };

/* Child side: no test assertions (they would report from the wrong process). */
#define CHILD_CHECK(cond) do { if (!(cond)) _exit (3); } while (0)

static gint64
child_add (MsStore *store, gint64 run_id, gint64 sample_id, const char *text)
{
  gint32 tokens[64];
  for (int i = 0; i < 64; i++)
    tokens[i] = (gint32) (sample_id * 64 + i);
  MsStoreGenerationDef g = { run_id, sample_id, "target", 12, text, tokens, 64, text, tokens,
                             64, { TRUE, 1.0, 2000, 0, 0, TRUE, 1.0, 1.0, 1.0, 1.0, FALSE,
                                   FALSE } };
  return ms_store_add_generation (store, &g, NULL);
}

/* Forks; the child runs WORK and must be killed by SIGKILL. */
static void
run_killed_child (void (*work) (const char *path, gint64 run_id, const gint64 *samples),
                  const char *path, gint64 run_id, const gint64 *samples)
{
  fflush (stdout);
  fflush (stderr);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      work (path, run_id, samples);
      _exit (4);  /* not reached: the work kills itself */
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (!WIFSIGNALED (status))
    g_error ("the child exited with %d instead of being killed", WEXITSTATUS (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
}

static void
kill_mid_transaction (const char *path, gint64 run_id, const gint64 *samples)
{
  MsStore *store = ms_store_open (path, NULL);
  CHILD_CHECK (store != NULL);
  CHILD_CHECK (ms_store_begin (store, NULL));
  CHILD_CHECK (ms_store_set_run_status (store, run_id, MS_RUN_PROBING, NULL, NULL));
  /* Half of the run's generations, ~2 KiB of text each: more than SQLite's page cache, so
   * uncommitted pages reach the -wal file before the kill. */
  GString *text = g_string_new (NULL);
  for (int i = 0; i < N_EXTRA / 2; i++)
    {
      g_string_printf (text, "generation %d, \"quoted\", 中文 ", i);
      while (text->len < 2048)
        g_string_append (text, "memorized text ");
      CHILD_CHECK (child_add (store, run_id, samples[i], text->str) > 0);
    }
  raise (SIGKILL);
}

static void
kill_between_transactions (const char *path, gint64 run_id, const gint64 *samples)
{
  MsStore *store = ms_store_open (path, NULL);
  CHILD_CHECK (store != NULL);
  CHILD_CHECK (ms_store_begin (store, NULL));
  for (int i = 0; i < 100; i++)
    CHILD_CHECK (child_add (store, run_id, samples[i], "first batch") > 0);
  CHILD_CHECK (ms_store_commit (store, NULL));
  CHILD_CHECK (ms_store_begin (store, NULL));
  for (int i = 100; i < 200; i++)
    CHILD_CHECK (child_add (store, run_id, samples[i], "second batch") > 0);
  CHILD_CHECK (ms_store_set_run_status (store, run_id, MS_RUN_DONE, NULL, NULL));
  raise (SIGKILL);
}

static char *
query1 (MsStore *store, const char *sql)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStoreTable) t = ms_store_query (store, sql, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_rows, ==, 1);
  return g_strdup (t->cells[0] ? t->cells[0] : "NULL");
}

/* Every table's rows and the aggregates, as one text to compare before and after. */
static char *
snapshot (MsStore *store)
{
  g_autoptr (GError) error = NULL;
  GString *s = g_string_new (NULL);
  static const char *const tables[] = { "studies", "tasks", "runs", "curves", "samples",
                                        "generations", "scores", "meta" };
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", tables[i]);
      g_autofree char *n = query1 (store, sql);
      g_string_append_printf (s, "%s=%s ", tables[i], n);
    }
  g_autoptr (GPtrArray) agg = ms_store_aggregate (store, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < agg->len; i++)
    {
      MsStoreAggregate *a = agg->pdata[i];
      g_string_append_printf (s, "\n%s %s %s %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                              " %.17g", a->run, a->task, a->split, a->probe, a->n,
                              a->n_verbatim, a->mean_rouge_l);
    }
  g_autofree char *statuses = query1 (store, "SELECT group_concat(name || ':' || status) "
                                      "FROM runs");
  g_string_append_printf (s, "\n%s", statuses);
  return g_string_free (s, FALSE);
}

static void
assert_intact (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);
  g_autofree char *check = query1 (store, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  g_autofree char *fk = query1 (store, "SELECT count(*) FROM pragma_foreign_key_check");
  g_assert_cmpstr (fk, ==, "0");
  g_autofree char *orphans = query1 (store, "SELECT count(*) FROM generations g WHERE NOT "
                                     "EXISTS (SELECT 1 FROM scores WHERE generation_id = g.id)");
  g_assert_cmpstr (orphans, ==, "0");
}

/* The fixture plus N_EXTRA committed samples for the killed run to probe. */
static void
prepare (const char *path, FixtureIds *ids, gint64 *samples)
{
  fixture_create (path, ids);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  MsStoreSampleDef *defs = g_new0 (MsStoreSampleDef, N_EXTRA);
  for (int i = 0; i < N_EXTRA; i++)
    {
      char *id = g_strdup_printf ("x%04d", i);
      g_ptr_array_add (keep, id);
      defs[i] = (MsStoreSampleDef) { ids->task_ids[1], "heldout", id, "in", "out", 1, 1 };
    }
  g_assert_true (ms_store_upsert_samples (store, defs, N_EXTRA, samples, &error));
  g_assert_no_error (error);
  g_free (defs);
}

static void
test_kill_mid_transaction (void)
{
  g_autofree char *path = g_build_filename (ms_test_tmpdir (), "kill-mid.sqlite", NULL);
  FixtureIds ids;
  g_autofree gint64 *samples = g_new (gint64, N_EXTRA);
  prepare (path, &ids, samples);
  g_autofree char *before = NULL;
  {
    g_autoptr (MsStore) store = ms_store_open (path, NULL);
    before = snapshot (store);
  }
  run_killed_child (kill_mid_transaction, path, ids.run_ids[2], samples);

  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_test_message ("write-ahead log left by the killed writer: %" G_GINT64_FORMAT " bytes",
                  (gint64) st.st_size);
  g_assert_cmpint (st.st_size, >, 1 << 20);  /* uncommitted pages did reach the disk */

  assert_intact (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);
  g_autofree char *after = snapshot (store);
  g_assert_cmpstr (after, ==, before);
  g_autofree char *mix = query1 (store, "SELECT count(*) FROM generations g JOIN runs r ON "
                                 "r.id = g.run_id WHERE r.name = 'mix/equal/s1'");
  g_assert_cmpstr (mix, ==, "0");
  g_autofree char *status = query1 (store, "SELECT status FROM runs WHERE name = "
                                    "'mix/equal/s1'");
  g_assert_cmpstr (status, ==, "failed");

  /* The store takes new writes, and the run can be probed from the start. */
  GHashTable *done = ms_store_probed_samples (store, ids.run_ids[2], "target", &error);
  g_assert_cmpuint (g_hash_table_size (done), ==, 0);
  g_hash_table_unref (done);
  g_assert_cmpint (child_add (store, ids.run_ids[2], samples[0], "after"), >, 0);
}

static void
test_kill_between_transactions (void)
{
  g_autofree char *path = g_build_filename (ms_test_tmpdir (), "kill-between.sqlite", NULL);
  FixtureIds ids;
  g_autofree gint64 *samples = g_new (gint64, N_EXTRA);
  prepare (path, &ids, samples);
  run_killed_child (kill_between_transactions, path, ids.run_ids[2], samples);

  assert_intact (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GHashTable) done = ms_store_probed_samples (store, ids.run_ids[2], "target",
                                                         &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (done), ==, 100);
  for (int i = 0; i < 200; i++)
    g_assert_cmpint (g_hash_table_contains (done, &samples[i]), ==, i < 100);
  g_autofree char *texts = query1 (store, "SELECT group_concat(DISTINCT text) FROM generations "
                                   "WHERE text LIKE '%batch'");
  g_assert_cmpstr (texts, ==, "first batch");
  g_autofree char *status = query1 (store, "SELECT status FROM runs WHERE name = "
                                    "'mix/equal/s1'");
  g_assert_cmpstr (status, ==, "failed");
  g_autofree char *total = query1 (store, "SELECT count(*) FROM results");
  g_assert_cmpstr (total, ==, "115");
}

/* Two processes (as MPI ranks would) write the same store at once, in small transactions:
 * the busy timeout makes each wait for the other, and nothing is lost. */
static void
test_concurrent_writers (void)
{
  g_autofree char *path = g_build_filename (ms_test_tmpdir (), "concurrent.sqlite", NULL);
  FixtureIds ids;
  g_autofree gint64 *samples = g_new (gint64, N_EXTRA);
  prepare (path, &ids, samples);
  pid_t pids[2];
  for (int w = 0; w < 2; w++)
    {
      fflush (stdout);
      fflush (stderr);
      pids[w] = fork ();
      g_assert_cmpint (pids[w], >=, 0);
      if (pids[w] == 0)
        {
          MsStore *store = ms_store_open (path, NULL);
          CHILD_CHECK (store != NULL);
          gint64 run = ids.run_ids[w == 0 ? 0 : 2];
          for (int b = 0; b < 20; b++)
            {
              CHILD_CHECK (ms_store_begin (store, NULL));
              for (int i = b * 25; i < (b + 1) * 25; i++)
                CHILD_CHECK (child_add (store, run, samples[i], "concurrent") > 0);
              CHILD_CHECK (ms_store_set_run_status (store, run, MS_RUN_PROBING, NULL, NULL));
              CHILD_CHECK (ms_store_commit (store, NULL));
            }
          ms_store_close (store);
          _exit (0);
        }
    }
  for (int w = 0; w < 2; w++)
    {
      int status = 0;
      g_assert_cmpint (waitpid (pids[w], &status, 0), ==, pids[w]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
  assert_intact (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_autofree char *n = query1 (store, "SELECT count(*) FROM generations WHERE text = "
                               "'concurrent'");
  g_assert_cmpstr (n, ==, "1000");
}

/* Run leases: a child holds run 1's lease; the parent sees the child's pid as its owner and
 * can take another run; once the child is SIGKILLed, the parent takes run 1 (the kernel freed
 * the lock: no stale owner). */
static void
test_run_lease (void)
{
  g_autofree char *path = g_build_filename (ms_test_tmpdir (), "lease.sqlite", NULL);
  FixtureIds ids;
  fixture_create (path, &ids);
  gint64 run = ids.run_ids[0], other = ids.run_ids[1];
  int ready[2];
  g_assert_cmpint (pipe (ready), ==, 0);
  fflush (stdout);
  fflush (stderr);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      MsStore *store = ms_store_open (path, NULL);
      int owner = 1;
      CHILD_CHECK (store && ms_store_lease_run (store, run, &owner, NULL) && owner == 0);
      CHILD_CHECK (write (ready[1], "x", 1) == 1);
      for (;;)
        pause ();
    }
  char c;
  g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStore) store = ms_store_open (path, &error);
  g_assert_no_error (error);
  int owner = 0;
  g_assert_true (ms_store_lease_run (store, run, &owner, &error));
  g_assert_cmpint (owner, ==, pid);
  g_assert_true (ms_store_lease_run (store, other, &owner, &error));
  g_assert_cmpint (owner, ==, 0);
  kill (pid, SIGKILL);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  g_assert_true (ms_store_lease_run (store, run, &owner, &error));
  g_assert_cmpint (owner, ==, 0);
  close (ready[0]);
  close (ready[1]);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* DIR's entries, sorted by name. */
static GPtrArray *
list_dir (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* A report writer killed while a figure is half-written: the next writer of the folder
 * removes the temporary file it left (and only that), and two writers never overlap. */
static void
test_report_writer_killed (void)
{
  g_autofree char *dir = g_build_filename (ms_test_tmpdir (), "report", NULL);
  g_autofree char *figs = g_build_filename (dir, "figures", NULL);
  g_assert_cmpint (g_mkdir_with_parents (figs, 0755), ==, 0);
  g_autofree char *kept = g_build_filename (figs, ".notes.tmp-x", NULL);
  g_autofree char *done = g_build_filename (figs, "done.png", NULL);
  g_assert_true (g_file_set_contents (kept, "mine", -1, NULL));
  g_assert_true (ms_atomic_write (done, "whole", 5, NULL));
  fflush (stdout);
  fflush (stderr);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      MsFolderLock *lock = ms_folder_lock (dir, NULL);
      g_autofree char *fig = g_build_filename (figs, "main.png", NULL);
      MsAtomicFile *f = lock ? ms_atomic_file_new (fig, NULL) : NULL;
      CHILD_CHECK (f != NULL && ms_atomic_file_write (f, "half", 4, NULL));
      raise (SIGKILL);
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  g_autoptr (GPtrArray) before = list_dir (figs);
  g_assert_cmpuint (before->len, ==, 3);  /* done.png, .notes.tmp-x, .main.png.tmp-?????? */
  g_autoptr (GError) error = NULL;
  g_autoptr (MsFolderLock) lock = ms_folder_lock (dir, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) after = list_dir (figs);
  g_assert_cmpuint (after->len, ==, 2);
  g_assert_cmpstr (after->pdata[0], ==, ".notes.tmp-x");
  g_assert_cmpstr (after->pdata[1], ==, "done.png");

  MsFolderLock *second = ms_folder_lock (dir, &error);
  g_assert_null (second);
  g_assert_error (error, MS_ERROR, MS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, dir));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/kill/mid-transaction", test_kill_mid_transaction);
  g_test_add_func ("/store/kill/between-transactions", test_kill_between_transactions);
  g_test_add_func ("/store/concurrent-writers", test_concurrent_writers);
  g_test_add_func ("/store/run-lease", test_run_lease);
  g_test_add_func ("/store/kill/report-writer", test_report_writer_killed);
  return ms_test_run ();
}
