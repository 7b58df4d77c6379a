/* The BPE trainer: hand-worked corpora (merges and ids worked out on paper, and the
 * hug/pug/pun/bun/hugs example of the Hugging Face course), a naive trainer written separately
 * here (recounts every pair each merge) giving the same merges on real text, save -> load
 * round trips, determinism, and round trips of any bytes through a trained vocabulary. */
#include "ms-test.h"
#include "text-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "common/ms-error.h"

static MsBpe *
train (MsBpeTrainer *t, guint vocab_size)
{
  g_autoptr (GError) error = NULL;
  MsBpe *bpe = ms_bpe_trainer_train (t, vocab_size, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bpe);
  return bpe;
}

static char *
saved_merges (MsBpe *bpe, const char *name)
{
  g_autofree char *dir = text_test_newdir (name);
  g_autoptr (GError) error = NULL;
  g_assert_true (ms_bpe_save (bpe, dir, &error));
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "vocab.bpe", NULL);
  char *text = NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static void
assert_ids (MsBpe *bpe, const char *text, const guint32 *want, gsize n)
{
  GArray *ids = text_test_encode (bpe, text, strlen (text));
  g_assert_cmpmem (ids->data, ids->len * sizeof (guint32), want, n * sizeof (guint32));
  g_array_unref (ids);
}

/* One word "aaabdaaabac". Counts: aa 4 (overlapping), ab 2, bd da ba ac 1.
 * 1: (a, a) -> "aa" = 256; word: aa a b d aa a b a c; (aa, a) 2 and (a, b) 2 tie, "a" sorts
 *    before "aa": 2: (a, b) -> "ab" = 257; word: aa ab d aa ab a c
 * 3: (aa, ab) 2 -> "aaab" = 258; word: aaab d aaab a c; all pairs 1, left "a" first:
 * 4: (a, c) -> "ac" = 259; word: aaab d aaab ac; left "aaab" twice, right "ac" < "d":
 * 5: (aaab, ac) -> "aaabac" = 260. GPT-2's byte ids: a 64, b 65, c 66, d 67. */
static void
test_hand_worked (void)
{
  g_autoptr (MsBpeTrainer) t = ms_bpe_trainer_new ();
  ms_bpe_trainer_add_text (t, "aaabdaaabac", 11);
  g_assert_cmpuint (ms_bpe_trainer_n_words (t), ==, 1);

  g_autoptr (MsBpe) b3 = train (t, 260);
  g_assert_cmpuint (ms_bpe_vocab_size (b3), ==, 260);
  g_assert_cmpint (ms_bpe_eot (b3), ==, 259);
  g_autofree char *m3 = saved_merges (b3, "hand3");
  g_assert_cmpstr (m3, ==, "#version: 0.2\na a\na b\naa ab\n");
  assert_ids (b3, "aaabdaaabac", (guint32[]) { 258, 67, 258, 64, 66 }, 5);
  /* "abaa": (a, a) first (rank 0) -> a b aa; then (a, b) -> ab aa. */
  assert_ids (b3, "abaa", (guint32[]) { 257, 256 }, 2);
  assert_ids (b3, "aaaa", (guint32[]) { 256, 256 }, 2);

  g_autoptr (MsBpe) b5 = train (t, 262);
  g_autofree char *m5 = saved_merges (b5, "hand5");
  g_assert_cmpstr (m5, ==, "#version: 0.2\na a\na b\naa ab\na c\naaab ac\n");
  g_assert_cmpint (ms_bpe_eot (b5), ==, 261);
  assert_ids (b5, "aaabdaaabac", (guint32[]) { 258, 67, 260 }, 3);
  g_autofree char *s = ms_bpe_token_string (b5, 260);
  g_assert_cmpstr (s, ==, "aaabac");
}

/* The Hugging Face course's BPE example (chapter 6.5): words hug x10, pug x5, pun x12,
 * bun x4, hugs x5; its first merges are (u, g), (u, n), (h, ug). */
static void
test_hf_course (void)
{
  g_autoptr (MsBpeTrainer) t = ms_bpe_trainer_new ();
  const struct { const char *w; int n; } corpus[] = {
    { "hug", 10 }, { "pug", 5 }, { "pun", 12 }, { "bun", 4 }, { "hugs", 5 } };
  for (guint i = 0; i < G_N_ELEMENTS (corpus); i++)
    for (int k = 0; k < corpus[i].n; k++)
      ms_bpe_trainer_add_text (t, corpus[i].w, strlen (corpus[i].w));
  g_assert_cmpuint (ms_bpe_trainer_n_words (t), ==, 36);
  g_assert_cmpuint (ms_bpe_trainer_n_distinct (t), ==, 5);
  g_autoptr (MsBpe) bpe = train (t, 260);
  g_autofree char *m = saved_merges (bpe, "hf");
  g_assert_cmpstr (m, ==, "#version: 0.2\nu g\nu n\nh ug\n");
  /* "hugs" -> hug s; "bug" -> b ug (GPT-2 byte ids: s 82, b 65). */
  assert_ids (bpe, "hugs", (guint32[]) { 258, 82 }, 2);
  assert_ids (bpe, "bug", (guint32[]) { 65, 256 }, 2);
}

/* ---- a naive trainer, written apart from the library's: words as arrays of token strings,
 * every pair recounted from scratch before each merge. */

typedef struct {
  GPtrArray *syms;  /* GBytes */
  guint64 count;
} NaiveWord;

static int
naive_cmp (GBytes *a, GBytes *b)
{
  gsize la, lb;
  const guint8 *pa = g_bytes_get_data (a, &la), *pb = g_bytes_get_data (b, &lb);
  for (gsize i = 0; i < la && i < lb; i++)
    if (pa[i] != pb[i])
      return pa[i] < pb[i] ? -1 : 1;
  return la == lb ? 0 : la < lb ? -1 : 1;
}

/* The merges, "LEFT RIGHT" in byte-level strings as vocab.bpe writes them. */
static GPtrArray *
naive_train (GPtrArray *texts, guint n_merges)
{
  g_autoptr (GHashTable) counts = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                         (GDestroyNotify) g_bytes_unref, NULL);
  for (guint i = 0; i < texts->len; i++)
    {
      const char *text = texts->pdata[i];
      gsize len = strlen (text);
      for (gsize pos = 0; pos < len;)
        {
          gsize end = ms_bpe_pretoken_end (text, len, pos);
          GBytes *w = g_bytes_new (text + pos, end - pos);
          gpointer old = g_hash_table_lookup (counts, w);
          g_hash_table_replace (counts, w, GSIZE_TO_POINTER (GPOINTER_TO_SIZE (old) + 1));
          pos = end;
        }
    }
  GArray *words = g_array_new (FALSE, FALSE, sizeof (NaiveWord));
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init (&it, counts);
  while (g_hash_table_iter_next (&it, &key, &val))
    {
      NaiveWord w = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref),
                      GPOINTER_TO_SIZE (val) };
      gsize len;
      const guint8 *d = g_bytes_get_data (key, &len);
      for (gsize i = 0; i < len; i++)
        g_ptr_array_add (w.syms, g_bytes_new (d + i, 1));
      g_array_append_val (words, w);
    }
  GPtrArray *merges = g_ptr_array_new_with_free_func (g_free);
  for (guint m = 0; m < n_merges; m++)
    {
      /* pair key: left bytes + right bytes with the split point in front */
      g_autoptr (GHashTable) pairs = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                            (GDestroyNotify) g_bytes_unref, g_free);
      for (guint w = 0; w < words->len; w++)
        {
          NaiveWord *nw = &g_array_index (words, NaiveWord, w);
          for (guint i = 0; i + 1 < nw->syms->len; i++)
            {
              gsize la, lb;
              const guint8 *a = g_bytes_get_data (nw->syms->pdata[i], &la);
              const guint8 *b = g_bytes_get_data (nw->syms->pdata[i + 1], &lb);
              GByteArray *k = g_byte_array_new ();
              guint32 split = la;
              g_byte_array_append (k, (guint8 *) &split, 4);
              g_byte_array_append (k, a, la);
              g_byte_array_append (k, b, lb);
              GBytes *kb = g_byte_array_free_to_bytes (k);
              guint64 *c = g_hash_table_lookup (pairs, kb);
              if (c == NULL)
                {
                  c = g_new0 (guint64, 1);
                  g_hash_table_insert (pairs, g_bytes_ref (kb), c);
                }
              *c += nw->count;
              g_bytes_unref (kb);
            }
        }
      GBytes *best_l = NULL, *best_r = NULL;
      guint64 best = 0;
      g_hash_table_iter_init (&it, pairs);
      while (g_hash_table_iter_next (&it, &key, &val))
        {
          gsize len;
          const guint8 *d = g_bytes_get_data (key, &len);
          guint32 split;
          memcpy (&split, d, 4);
          GBytes *l = g_bytes_new (d + 4, split), *r = g_bytes_new (d + 4 + split, len - 4 - split);
          guint64 c = *(guint64 *) val;
          gboolean better = best_l == NULL || c > best
                            || (c == best && (naive_cmp (l, best_l) < 0
                                              || (naive_cmp (l, best_l) == 0
                                                  && naive_cmp (r, best_r) < 0)));
          if (better)
            {
              g_clear_pointer (&best_l, g_bytes_unref);
              g_clear_pointer (&best_r, g_bytes_unref);
              best_l = l;
              best_r = r;
              best = c;
            }
          else
            {
              g_bytes_unref (l);
              g_bytes_unref (r);
            }
        }
      if (best_l == NULL)
        break;
      GString *line = g_string_new (NULL);
      gsize la, lb;
      const guint8 *a = g_bytes_get_data (best_l, &la), *b = g_bytes_get_data (best_r, &lb);
      for (gsize i = 0; i < la; i++)
        g_string_append_unichar (line, text_test_byte_char (a[i]));
      g_string_append_c (line, ' ');
      for (gsize i = 0; i < lb; i++)
        g_string_append_unichar (line, text_test_byte_char (b[i]));
      g_ptr_array_add (merges, g_string_free (line, FALSE));
      GByteArray *joined = g_byte_array_new ();
      g_byte_array_append (joined, a, la);
      g_byte_array_append (joined, b, lb);
      GBytes *j = g_byte_array_free_to_bytes (joined);
      for (guint w = 0; w < words->len; w++)
        {
          GPtrArray *s = g_array_index (words, NaiveWord, w).syms;
          GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
          for (guint i = 0; i < s->len;)
            if (i + 1 < s->len && g_bytes_equal (s->pdata[i], best_l)
                && g_bytes_equal (s->pdata[i + 1], best_r))
              {
                g_ptr_array_add (out, g_bytes_ref (j));
                i += 2;
              }
            else
              g_ptr_array_add (out, g_bytes_ref (s->pdata[i++]));
          g_ptr_array_unref (s);
          g_array_index (words, NaiveWord, w).syms = out;
        }
      g_bytes_unref (j);
      g_bytes_unref (best_l);
      g_bytes_unref (best_r);
    }
  for (guint w = 0; w < words->len; w++)
    g_ptr_array_unref (g_array_index (words, NaiveWord, w).syms);
  g_array_unref (words);
  return merges;
}

static GPtrArray *
sample_texts (void)
{
  g_autofree char *path = ms_test_fixture ("text/samples.json");
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonArray *a = json_node_get_array (json_parser_get_root (parser));
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (a); i++)
    g_ptr_array_add (texts, g_strdup (json_array_get_string_element (a, i)));
  return texts;
}

static MsBpeTrainer *
sample_trainer (GPtrArray *texts)
{
  MsBpeTrainer *t = ms_bpe_trainer_new ();
  for (guint i = 0; i < texts->len; i++)
    ms_bpe_trainer_add_text (t, texts->pdata[i], strlen (texts->pdata[i]));
  return t;
}

static void
test_naive_reference (void)
{
  g_autoptr (GPtrArray) texts = sample_texts ();
  const guint n_merges = 400;
  g_autoptr (GPtrArray) want = naive_train (texts, n_merges);
  g_assert_cmpuint (want->len, ==, n_merges);
  g_autoptr (MsBpeTrainer) t = sample_trainer (texts);
  g_autoptr (MsBpe) bpe = train (t, 256 + n_merges + 1);
  g_autofree char *got = saved_merges (bpe, "naive");
  g_auto (GStrv) lines = g_strsplit (got, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, n_merges + 2);
  for (guint i = 0; i < n_merges; i++)
    if (strcmp (lines[i + 1], want->pdata[i]) != 0)
      g_error ("merge %u: \"%s\", the naive trainer has \"%s\"", i, lines[i + 1],
               (char *) want->pdata[i]);
  /* No merge here made a string twice, so every merge added a token. */
  g_assert_cmpuint (ms_bpe_vocab_size (bpe), ==, 256 + n_merges + 1);
}

static void
test_save_load (void)
{
  g_autoptr (GPtrArray) texts = sample_texts ();
  g_autoptr (MsBpeTrainer) t = sample_trainer (texts);
  g_autoptr (MsBpe) bpe = train (t, 700);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = text_test_newdir ("trained");
  g_assert_true (ms_bpe_save (bpe, dir, &error));
  g_autoptr (MsBpe) back = ms_bpe_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ms_bpe_vocab_size (back), ==, 700);
  g_assert_cmpint (ms_bpe_eot (back), ==, 699);
  g_assert_cmpuint (ms_bpe_n_merges (back), ==, ms_bpe_n_merges (bpe));
  for (guint i = 0; i < 700; i++)
    {
      gsize la, lb;
      const guint8 *a = ms_bpe_token_bytes (bpe, i, &la), *b = ms_bpe_token_bytes (back, i, &lb);
      g_assert_cmpmem (a, la, b, lb);
    }
  gsize n_bytes = 0, n_ids = 0;
  for (guint i = 0; i < texts->len; i++)
    {
      const char *s = texts->pdata[i];
      GArray *x = text_test_encode (bpe, s, strlen (s)), *y = text_test_encode (back, s, strlen (s));
      g_assert_cmpmem (x->data, 4 * x->len, y->data, 4 * y->len);
      n_bytes += strlen (s);
      n_ids += x->len;
      g_array_unref (x);
      g_array_unref (y);
    }
  g_test_message ("%zu bytes of training text -> %zu ids", n_bytes, n_ids);
  g_assert_cmpuint (10 * n_ids, <, 7 * n_bytes);  /* it compresses (half the text is random) */
  /* Determinism: a second trainer over the same texts writes the same files. */
  g_autoptr (MsBpeTrainer) t2 = sample_trainer (texts);
  g_autoptr (MsBpe) bpe2 = train (t2, 700);
  g_autofree char *dir2 = text_test_newdir ("trained-again");
  g_assert_true (ms_bpe_save (bpe2, dir2, &error));
  const char *names[] = { "encoder.json", "vocab.bpe" };
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *p1 = g_build_filename (dir, names[i], NULL);
      g_autofree char *p2 = g_build_filename (dir2, names[i], NULL);
      g_autofree char *c1 = NULL, *c2 = NULL;
      gsize l1, l2;
      g_file_get_contents (p1, &c1, &l1, &error);
      g_assert_no_error (error);
      g_file_get_contents (p2, &c2, &l2, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (c1, l1, c2, l2);
    }
  /* Any bytes, also ones never seen in training, round-trip. */
  MsTestRng rng = { 7 };
  for (int round = 0; round < 200; round++)
    {
      gsize len = ms_test_rng_u64 (&rng) % 300;
      g_autofree guint8 *text = g_malloc (len + 1);
      for (gsize i = 0; i < len; i++)
        text[i] = ms_test_rng_u64 (&rng) % (round % 2 ? 256 : 128);
      GArray *ids = text_test_encode (back, (const char *) text, len);
      g_autoptr (GByteArray) dec = g_byte_array_new ();
      g_assert_true (ms_bpe_decode (back, (guint32 *) ids->data, ids->len, dec, &error));
      g_assert_cmpmem (dec->data, dec->len, text, len);
      g_array_unref (ids);
    }
}

static void
test_small_corpus (void)
{
  g_autoptr (MsBpeTrainer) t = ms_bpe_trainer_new ();
  ms_bpe_trainer_add_text (t, "ab", 2);
  g_autoptr (MsBpe) bpe = train (t, 1000);  /* runs out of pairs after one merge */
  g_assert_cmpuint (ms_bpe_vocab_size (bpe), ==, 258);
  g_assert_cmpint (ms_bpe_eot (bpe), ==, 257);

  g_autoptr (MsBpeTrainer) empty = ms_bpe_trainer_new ();
  g_autoptr (MsBpe) bytes_only = train (empty, 300);
  g_assert_cmpuint (ms_bpe_vocab_size (bytes_only), ==, 257);
  g_assert_cmpuint (ms_bpe_n_merges (bytes_only), ==, 0);
  assert_ids (bytes_only, "ab", (guint32[]) { 64, 65 }, 2);
}

static void
test_bad (void)
{
  g_autoptr (MsBpeTrainer) t = ms_bpe_trainer_new ();
  GError *error = NULL;
  g_assert_null (ms_bpe_trainer_train (t, 256, NULL, NULL, &error));
  text_test_assert_error (&error, MS_ERROR, MS_ERROR_INVALID, "256", NULL);
  g_assert_false (ms_bpe_trainer_add_file (t, "/nonexistent/corpus.txt", &error));
  text_test_assert_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "/nonexistent/corpus.txt",
                          NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/bpe-train/hand-worked", test_hand_worked);
  g_test_add_func ("/text/bpe-train/hf-course", test_hf_course);
  g_test_add_func ("/text/bpe-train/naive-reference", test_naive_reference);
  g_test_add_func ("/text/bpe-train/save-load", test_save_load);
  g_test_add_func ("/text/bpe-train/small-corpus", test_small_corpus);
  g_test_add_func ("/text/bpe-train/bad", test_bad);
  return ms_test_run ();
}
