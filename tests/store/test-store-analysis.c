/* The analysis tables of schema version 2: rows written back exactly (NaN as NULL, blobs byte
 * for byte), a row stored again replaces the old one, the per-run counts, and deleting a run
 * removes its analyses with it. */
#include <math.h>
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store/analysis/round-trip", test_round_trip);
  return ms_test_run ();
}
