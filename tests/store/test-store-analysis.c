/* The analysis tables of schema version 2: rows written back exactly (NaN as NULL, blobs byte
 * for byte), a row stored again replaces the old one, the per-run counts, and deleting a run
 * removes its analyses with it; and the typed study readers over them. */
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "ms-test.h"
#include "store-fixture.h"

static MsStoreTable *
query (MsStore *store, const char *sql)
{
  g_autoptr (GError) error = NULL;
  MsStoreTable *t = ms_store_query (store, sql, &error);
  g_assert_no_error (error);
  return t;
}

static void
test_round_trip (void)
{
  g_autofree char *path = g_build_filename (ms_test_tmpdir (), "analysis.sqlite", NULL);
  FixtureIds ids;
  fixture_create (path, &ids);
  g_autoptr (GError) error = NULL;
  MsStore *store = ms_store_open (path, &error);
  g_assert_no_error (error);
  gint64 run = ids.run_ids[1], s0 = ids.sample_ids[0], s1 = ids.sample_ids[1];

  MsStoreMia mia[2] = { { run, s0, 1.25, -3.5, 0.75, 12 }, { run, s1, 2.5, NAN, 0.5, 7 } };
  ms_store_add_mia (store, mia, 2, &error);
  g_assert_no_error (error);
  mia[0].loss = 1.0;  /* stored again: replaces */
  g_assert_true (ms_store_add_mia (store, mia, 1, &error));
  g_assert_cmpint (ms_store_count (store, "mia", run, &error), ==, 2);
  g_autoptr (MsStoreTable) t = query (store, "SELECT loss, min_k, zlib_ratio, n_tokens FROM mia "
                                             "ORDER BY sample_id");
  g_assert_cmpuint (t->n_rows, ==, 2);
  g_assert_cmpfloat (g_ascii_strtod (t->cells[0], NULL), ==, 1.0);
  g_assert_cmpfloat (g_ascii_strtod (t->cells[1], NULL), ==, -3.5);
  g_assert_null (t->cells[5]);  /* NaN stored as NULL */
  g_assert_cmpstr (t->cells[7], ==, "7");

  MsStoreAttention att[2] = { { ids.generation_ids[0], 0, 1, "prompt", 0.5, 0.25, 0.75, 0.125, 9 },
                              { ids.generation_ids[0], 0, 1, "generated", 0.4, 0.3, 0.8, 0.2, 3 } };
  g_assert_true (ms_store_add_attention (store, att, 2, &error));
  g_autoptr (MsStoreTable) ta = query (store, "SELECT phase, entropy, gini, queries FROM attention "
                                              "ORDER BY phase");
  g_assert_cmpuint (ta->n_rows, ==, 2);
  g_assert_cmpstr (ta->cells[0], ==, "generated");
  g_assert_cmpstr (ta->cells[7], ==, "9");

  float map[6] = { 1, 0, 0.5, 0.5, 0.25, 0.75 };
  MsStoreAttentionMap m = { ids.generation_ids[0], 1, 2, 3, 2, "[\"a\",\"b\"]", map };
  g_assert_true (ms_store_add_attention_maps (store, &m, 1, &error));
  g_autoptr (MsStoreTable) tm = query (store, "SELECT rows, cols, length(data), hex(data) FROM "
                                              "attention_maps");
  g_assert_cmpstr (tm->cells[2], ==, "24");
  g_autofree char *hex = NULL;
  {
    GString *h = g_string_new (NULL);
    for (gsize i = 0; i < sizeof map; i++)
      g_string_append_printf (h, "%02X", ((guint8 *) map)[i]);
    hex = g_string_free (h, FALSE);
  }
  g_assert_cmpstr (tm->cells[3], ==, hex);

  gint32 support[3] = { 4, 17, 250 };
  MsStoreSparse sp = { run, s0, 2, 3.5, NAN, 1.75, 0.1, support, 3 };
  g_assert_true (ms_store_add_sparse (store, &sp, 1, &error));
  g_assert_cmpint (ms_store_count (store, "sparse", run, &error), ==, 1);

  MsStoreCanary c = { run, ids.task_ids[0], "canary/r4/1", "3 1 4 1 5 9", 4, 12.5, 3, 999, 1e6,
                      8.4, 9.1 };
  g_assert_true (ms_store_add_canaries (store, &c, 1, &error));
  g_autoptr (MsStoreTable) tc = query (store, "SELECT secret, rank, exposure FROM canaries");
  g_assert_cmpstr (tc->cells[0], ==, "3 1 4 1 5 9");
  g_assert_cmpstr (tc->cells[1], ==, "3");

  g_assert_cmpint (ms_store_count (store, "nope; DROP TABLE runs", run, &error), ==, -1);
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  /* Deleting the run takes its analyses with it (the generation 0 belongs to run 0). */
  g_assert_true (ms_store_delete_run (store, run, &error));
  g_assert_cmpint (ms_store_count (store, "mia", run, &error), ==, 0);
  g_assert_cmpint (ms_store_count (store, "sparse", run, &error), ==, 0);
  g_assert_cmpint (ms_store_count (store, "canaries", run, &error), ==, 0);
  ms_store_close (store);
}

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

/* The study readers: a map read back float for float with what its figure names, a map whose
 * blob or shape does not fit refused with the store's path, the finished-run filter, probe
 * names checked, and the text search taking quotes and wildcards literally (expected hits
 * found by hand in store-fixture.c). */
static void
test_study_readers (void)
{
  g_autofree char *path = g_build_filename (ms_test_tmpdir (), "readers.sqlite", NULL);
  FixtureIds ids;
  fixture_create (path, &ids);
  g_autoptr (GError) error = NULL;
  MsStore *store = ms_store_open (path, &error);
  g_assert_no_error (error);
  gint64 base = ids.run_ids[0], single = ids.run_ids[1], mix = ids.run_ids[2];
  gint64 gen = ids.generation_ids[0];  /* single × s1 × target */

  float map[6] = { 1, 0, 0.5, 0.5, 0.25, -0.75 };
  MsStoreAttentionMap m = { gen, 1, -1, 3, 2, "[\"a\",\"b\",\"c\"]", map };
  g_assert_true (ms_store_add_attention_maps (store, &m, 1, &error));
  {
    g_autoptr (MsStoreAttentionMapData) got = ms_store_get_attention_map (store, gen, &error);
    g_assert_no_error (error);
    g_assert_nonnull (got);
    g_assert_cmpint (got->layer, ==, 1);
    g_assert_cmpint (got->head, ==, -1);
    g_assert_cmpint (got->rows, ==, 3);
    g_assert_cmpint (got->cols, ==, 2);
    g_assert_cmpmem (got->data, 6 * sizeof (float), map, sizeof map);
    g_assert_cmpstr (got->tokens_json, ==, "[\"a\",\"b\",\"c\"]");
    g_assert_cmpstr (got->record_id, ==, "s1");
    g_assert_cmpstr (got->run, ==, "single/summarization/s1");
  }
  /* A generation without a map: none, and no error. */
  g_assert_null (ms_store_get_attention_map (store, ids.generation_ids[1], &error));
  g_assert_no_error (error);

  gint64 best = -1, found = -1, n_maps = -1;
  g_assert_true (ms_store_study_best_map (store, ids.study_id, &best, &error));
  g_assert_cmpint (best, ==, gen);
  g_assert_true (ms_store_find_generation (store, single, ids.sample_ids[0], "target", &found,
                                           &n_maps, &error));
  g_assert_cmpint (found, ==, gen);
  g_assert_cmpint (n_maps, ==, 1);
  /* h1 was probed with the target probe only. */
  g_assert_true (ms_store_find_generation (store, single, ids.sample_ids[4], "input", &found,
                                           &n_maps, &error));
  g_assert_cmpint (found, ==, 0);
  g_assert_false (ms_store_find_generation (store, single, ids.sample_ids[4], "inptu", &found,
                                            &n_maps, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr (GPtrArray) entries = ms_store_study_attention_maps (store, ids.study_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 1);
  const MsStoreMapEntry *e = entries->pdata[0];
  g_assert_cmpint (e->generation_id, ==, gen);
  g_assert_cmpstr (e->run_kind, ==, "single");
  g_assert_cmpstr (e->probe, ==, "target");

  /* Membership rows of the finished runs only: the mixture failed. */
  MsStoreMia mia[3] = { { single, ids.sample_ids[4], 2.5, -1, 0.5, 3 },
                        { single, ids.sample_ids[0], 1.5, NAN, 0.25, 4 },
                        { mix, ids.sample_ids[0], 9, 9, 9, 9 } };
  g_assert_true (ms_store_add_mia (store, mia, 3, &error));
  g_autoptr (GArray) rows = ms_store_study_mia (store, ids.study_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  const MsStoreMiaRow *r0 = &g_array_index (rows, MsStoreMiaRow, 0);
  const MsStoreMiaRow *r1 = &g_array_index (rows, MsStoreMiaRow, 1);
  g_assert_cmpint (r0->sample_id, ==, ids.sample_ids[0]);  /* by sample id */
  g_assert_true (r0->member);
  g_assert_false (r0->base);
  g_assert_cmpfloat (r0->loss, ==, 1.5);
  g_assert_true (isnan (r0->min_k));
  g_assert_cmpint (r1->sample_id, ==, ids.sample_ids[4]);
  g_assert_false (r1->member);
  g_assert_cmpint (r1->task_id, ==, ids.task_ids[0]);

  gboolean has = TRUE;
  g_assert_true (ms_store_study_has_rows (store, ids.study_id, "mia", &has, &error));
  g_assert_true (has);
  g_assert_true (ms_store_study_has_rows (store, ids.study_id, "sparse", &has, &error));
  g_assert_false (has);
  g_assert_false (ms_store_study_has_rows (store, ids.study_id, "runs; --", &has, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (ms_store_study_attention (store, ids.study_id, "targets", &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);

  /* Search: a quoted word is in the references of single and base s2; SQL's wildcards and a
   * lone quote match nothing; case is ignored (two references "Summary one."). */
  static const struct { const char *text; int n; int gen[2]; } searches[] = {
    { "\"two\"", 2, { 1, 9 } }, { "SUMMARY ONE", 2, { 0, 8 } }, { "%", 0 }, { "_", 0 },
    { "O'", 0 }, { "'); DROP TABLE runs; --", 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
    {
      g_autoptr (GHashTable) hits = ms_store_study_search (store, ids.study_id,
                                                           searches[i].text, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_hash_table_size (hits), ==, searches[i].n);
      for (int k = 0; k < searches[i].n; k++)
        g_assert_true (g_hash_table_contains (hits, &ids.generation_ids[searches[i].gen[k]]));
    }
  g_assert_cmpint (ms_store_count (store, "mia", base, &error), ==, 0);
  ms_store_close (store);

  /* A blob shorter than its shape, then a shape of no cells: refused, naming the store. */
  static const char *const broken[] = {
    "UPDATE attention_maps SET data = substr (data, 1, 20)",
    "UPDATE attention_maps SET data = zeroblob (24), rows = 0",
  };
  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      raw_exec (path, broken[i]);
      store = ms_store_open (path, &error);
      g_assert_no_error (error);
      g_assert_null (ms_store_get_attention_map (store, gen, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, "wrong size"));
      g_clear_error (&error);
      ms_store_close (store);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/analysis/round-trip", test_round_trip);
  g_test_add_func ("/store/analysis/study-readers", test_study_readers);
  return ms_test_run ();
}
