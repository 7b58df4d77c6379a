/* The synthetic sparse-coding family: words are unique to their feature, inputs use only the
 * words of active features, the output names the strongest feature of a support that grows
 * with s (all features: the strongest overall; one feature: always the same name or none),
 * files are deterministic and load as task data, and the splits share no sample. */
#include <glib/gstdio.h>
#include <string.h>

#include "ms-test.h"
#include "text/ms-dataset.h"
#include "text/ms-synthetic.h"

static void
test_words_unique (void)
{
  MsSynthConfig cfg;
  ms_synth_config_init (&cfg);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int j = 0; j < cfg.features; j++)
    for (int w = 0; w < cfg.lexicon; w++)
      {
        char *word = ms_synth_word (&cfg, j, w);
        g_assert_false (g_hash_table_contains (seen, word));
        g_hash_table_insert (seen, word, GINT_TO_POINTER (j + 1));
      }
}

static void
test_samples (void)
{
  MsSynthConfig cfg;
  ms_synth_config_init (&cfg);
  /* Word -> feature. */
  g_autoptr (GHashTable) owner = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int j = 0; j < cfg.features; j++)
    for (int w = 0; w < cfg.lexicon; w++)
      g_hash_table_insert (owner, ms_synth_word (&cfg, j, w), GINT_TO_POINTER (j + 1));
  g_autoptr (GString) in = g_string_new (NULL), out = g_string_new (NULL);
  double z[64];
  g_autofree char *only = NULL;
  int none_1 = 0, none_all = 0;
  for (int i = 0; i < 400; i++)
    {
      /* Everything about a sample but its label is independent of s. */
      ms_synth_sample (&cfg, cfg.features, 1000 + i, in, out, z);
      g_autofree char *input_all = g_strdup (in->str);
      int active = 0, best = -1;
      for (int j = 0; j < cfg.features; j++)
        if (z[j] > 0)
          {
            active++;
            if (best < 0 || z[j] > z[best])
              best = j;
          }
      g_assert_cmpint (active, ==, cfg.active);
      g_autofree char *best_name = ms_synth_feature_name (&cfg, best);
      g_assert_cmpstr (out->str, ==, best_name);
      none_all += strcmp (out->str, "none") == 0;
      g_auto (GStrv) words = g_strsplit (input_all, " ", -1);
      g_assert_cmpint (g_strv_length (words), ==, cfg.words);
      for (char **w = words; *w; w++)
        {
          char *word = g_strdup (*w);
          if (g_str_has_suffix (word, "."))
            word[strlen (word) - 1] = '\0';
          int j = GPOINTER_TO_INT (g_hash_table_lookup (owner, word)) - 1;
          g_assert_cmpint (j, >=, 0);
          g_assert_cmpfloat (z[j], >, 0);
          g_free (word);
        }
      ms_synth_sample (&cfg, 1, 1000 + i, in, out, z);
      g_assert_cmpstr (in->str, ==, input_all);
      if (strcmp (out->str, "none") == 0)
        none_1++;
      else if (only == NULL)
        only = g_strdup (out->str);
      else
        g_assert_cmpstr (out->str, ==, only);
    }
  /* One feature of 64, 6 active: about 6/64 of samples name it. */
  g_assert_cmpint (none_1, >, 300);
  g_assert_cmpint (none_all, ==, 0);
}

static void
test_files (void)
{
  MsSynthConfig cfg;
  ms_synth_config_init (&cfg);
  g_autofree char *a = g_build_filename (ms_test_tmpdir (), "a.jsonl", NULL);
  g_autofree char *b = g_build_filename (ms_test_tmpdir (), "b.jsonl", NULL);
  g_autofree char *a2 = g_build_filename (ms_test_tmpdir (), "a2.jsonl", NULL);
  g_autofree char *b2 = g_build_filename (ms_test_tmpdir (), "b2.jsonl", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_synth_write_task (&cfg, 4, "synth-s4", 50, 30, a, b, &error));
  g_assert_true (ms_synth_write_task (&cfg, 4, "synth-s4", 50, 30, a2, b2, &error));
  g_autofree char *ta = NULL, *ta2 = NULL;
  g_file_get_contents (a, &ta, NULL, NULL);
  g_file_get_contents (a2, &ta2, NULL, NULL);
  g_assert_cmpstr (ta, ==, ta2);
  g_autoptr (MsTaskData) train = ms_task_data_load ("synth-s4", a, &error);
  g_autoptr (MsTaskData) held = ms_task_data_load ("synth-s4", b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (train->records->len, ==, 50);
  g_assert_cmpuint (held->records->len, ==, 30);
  for (guint i = 0; i < train->records->len; i++)
    for (guint j = 0; j < held->records->len; j++)
      g_assert_cmpstr (((MsRecord *) train->records->pdata[i])->input, !=,
                       ((MsRecord *) held->records->pdata[j])->input);
  g_assert_false (ms_synth_write_task (&cfg, 65, "x", 5, 5, a, b, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/synthetic/words-unique", test_words_unique);
  g_test_add_func ("/synthetic/samples", test_samples);
  g_test_add_func ("/synthetic/files", test_files);
  return ms_test_run ();
}
