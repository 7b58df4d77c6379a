/* The per-sample memorization scores against hand-worked cases and independent references:
 * NLTK's sentence_bleu (tests/fixtures/scores/bleu-reference.json) and a separately written
 * Python LCS / longest-common-substring / ROUGE-L (text-reference.json); edge cases for empty
 * texts, Unicode, invalid UTF-8 and the 49/50-character verbatim threshold. */
#include "ms-test.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "common/ms-error.h"
#include "probe/ms-align.h"
#include "probe/ms-scores.h"

static JsonArray *
load_cases (const char *name, JsonParser **parser_out)
{
  g_autofree char *path = ms_test_fixture (name);
  g_autoptr (GError) error = NULL;
  JsonParser *parser = json_parser_new ();
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  *parser_out = parser;
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  return json_object_get_array_member (root, "cases");
}

static GBytes *
from_hex (const char *hex)
{
  gsize n = strlen (hex) / 2;
  guint8 *b = g_malloc (n + 1);
  for (gsize i = 0; i < n; i++)
    b[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) * 16
                     + g_ascii_xdigit_value (hex[2 * i + 1]));
  return g_bytes_new_take (b, n);
}

/* Compares WORDS (split with VOCAB) with the JSON array of expected strings. */
static void
assert_words (const MsWords *words, const MsVocab *vocab, JsonArray *want, const char *what)
{
  if (words->n_words != json_array_get_length (want))
    g_error ("%s: %zu words, want %u", what, words->n_words, json_array_get_length (want));
  for (gsize i = 0; i < words->n_words; i++)
    {
      const char *w = json_array_get_string_element (want, i);
      if (g_strcmp0 (ms_vocab_word (vocab, words->ids[i]), w) != 0)
        g_error ("%s: word %zu is '%s', want '%s'", what, i,
                 ms_vocab_word (vocab, words->ids[i]), w);
    }
}

/* ---- characters and words ------------------------------------------------------------------ */

static void
test_decode (void)
{
  g_autoptr (MsChars) empty = ms_chars_decode ("", -1);
  g_assert_cmpuint (empty->n_chars, ==, 0);
  g_assert_cmpuint (empty->byte_offsets[0], ==, 0);
  g_autoptr (MsChars) null = ms_chars_decode (NULL, 5);
  g_assert_cmpuint (null->n_chars, ==, 0);

  /* a, é (2 bytes), 中 (3), 🙂 (4) */
  g_autoptr (MsChars) u = ms_chars_decode ("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x99\x82", -1);
  g_assert_cmpuint (u->n_chars, ==, 4);
  gunichar want_u[] = { 'a', 0xE9, 0x4E2D, 0x1F642 };
  gsize want_off[] = { 0, 1, 3, 6, 10 };
  for (int i = 0; i < 4; i++)
    g_assert_cmpuint (u->chars[i], ==, want_u[i]);
  for (int i = 0; i < 5; i++)
    g_assert_cmpuint (u->byte_offsets[i], ==, want_off[i]);

  struct { const char *bytes; gssize len; gsize n; gunichar first, second; } cases[] = {
    { "\xff", -1, 1, MS_CHAR_INVALID + 0xff, 0 },
    { "a\xc3", -1, 2, 'a', MS_CHAR_INVALID + 0xc3 },                       /* truncated */
    { "\xe4\xb8\xe4\xb8\xad", -1, 3, MS_CHAR_INVALID + 0xe4, MS_CHAR_INVALID + 0xb8 },
    { "\xc0\xaf", -1, 2, MS_CHAR_INVALID + 0xc0, MS_CHAR_INVALID + 0xaf },  /* overlong '/' */
    { "\xed\xa0\x80", -1, 3, MS_CHAR_INVALID + 0xed, MS_CHAR_INVALID + 0xa0 }, /* surrogate */
    { "\xf4\x90\x80\x80", -1, 4, MS_CHAR_INVALID + 0xf4, MS_CHAR_INVALID + 0x90 }, /* > 10FFFF */
    { "\x80", -1, 1, MS_CHAR_INVALID + 0x80, 0 },
    { "a\0b", 3, 3, 'a', 0 },                                             /* NUL is a char */
  };
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (MsChars) c = ms_chars_decode (cases[k].bytes, cases[k].len);
      g_assert_cmpuint (c->n_chars, ==, cases[k].n);
      g_assert_cmpuint (c->chars[0], ==, cases[k].first);
      if (cases[k].n > 1)
        g_assert_cmpuint (c->chars[1], ==, cases[k].second);
    }
  /* After the two bad bytes the valid 中 is recovered. */
  g_autoptr (MsChars) r = ms_chars_decode ("\xe4\xb8\xe4\xb8\xad", -1);
  g_assert_cmpuint (r->chars[2], ==, 0x4E2D);
  g_assert_cmpuint (r->byte_offsets[2], ==, 2);
}

static void
test_words (void)
{
  g_autoptr (MsVocab) vocab = ms_vocab_new ();
  const char *text = "Don't STOP-believing, 3.14 Caf\xc3\xa9 "
                     "\xe4\xb8\xad\xe6\x96\x87\xf0\x9f\x99\x82ok";
  g_autoptr (MsChars) c = ms_chars_decode (text, -1);
  g_autoptr (MsWords) w = ms_words_split (c, vocab);
  const char *want[] = { "don", "t", "stop", "believing", "3", "14", "caf\xc3\xa9",
                         "\xe4\xb8\xad", "\xe6\x96\x87", "ok" };
  gsize want_start[] = { 0, 4, 6, 11, 22, 24, 27, 32, 33, 35 };
  g_assert_cmpuint (w->n_words, ==, G_N_ELEMENTS (want));
  for (gsize i = 0; i < w->n_words; i++)
    {
      g_assert_cmpstr (ms_vocab_word (vocab, w->ids[i]), ==, want[i]);
      g_assert_cmpuint (w->char_start[i], ==, want_start[i]);
    }
  g_assert_cmpuint (w->char_end[3], ==, 20);
  /* The same word gets the same id, in this text or another. */
  g_autoptr (MsChars) c2 = ms_chars_decode ("ok, DON", -1);
  g_autoptr (MsWords) w2 = ms_words_split (c2, vocab);
  g_assert_cmpuint (w2->ids[0], ==, w->ids[9]);
  g_assert_cmpuint (w2->ids[1], ==, w->ids[0]);
  g_assert_cmpuint (ms_vocab_size (vocab), ==, 10);
  /* Invalid bytes separate words; a decomposed accent stays in its word. */
  g_autoptr (MsChars) c3 = ms_chars_decode ("ab\xff" "cd nai\xcc\x88ve", -1);
  g_autoptr (MsWords) w3 = ms_words_split (c3, vocab);
  g_assert_cmpuint (w3->n_words, ==, 3);
  g_assert_cmpstr (ms_vocab_word (vocab, w3->ids[2]), ==, "nai\xcc\x88ve");
}

/* ---- token scores -------------------------------------------------------------------------- */

static void
test_token_scores (void)
{
  const gint32 ref[] = { 1, 2, 3 };
  const gint32 same[] = { 1, 2, 3 }, longer[] = { 1, 2, 3, 4, 5 }, shorter[] = { 1, 2 };
  const gint32 first_wrong[] = { 9, 2, 3 }, reversed[] = { 3, 2, 1 };
  g_assert_true (ms_score_exact (ref, 3, same, 3));
  g_assert_true (ms_score_exact (ref, 3, longer, 5));
  g_assert_false (ms_score_exact (ref, 3, shorter, 2));
  g_assert_false (ms_score_exact (ref, 3, first_wrong, 3));
  g_assert_false (ms_score_exact (ref, 3, NULL, 0));
  g_assert_false (ms_score_exact (NULL, 0, same, 3));
  g_assert_cmpfloat (ms_score_token_match (ref, 3, same, 3), ==, 1.0);
  g_assert_cmpfloat (ms_score_token_match (ref, 3, longer, 5), ==, 1.0);
  g_assert_cmpfloat_with_epsilon (ms_score_token_match (ref, 3, shorter, 2), 2.0 / 3, 1e-15);
  g_assert_cmpfloat_with_epsilon (ms_score_token_match (ref, 3, first_wrong, 3), 2.0 / 3, 1e-15);
  g_assert_cmpfloat_with_epsilon (ms_score_token_match (ref, 3, reversed, 3), 1.0 / 3, 1e-15);
  g_assert_cmpfloat (ms_score_token_match (ref, 3, NULL, 0), ==, 0.0);
  g_assert_cmpfloat (ms_score_token_match (NULL, 0, same, 3), ==, 0.0);
  /* Position matters: a shifted copy matches nowhere. */
  const gint32 shifted[] = { 0, 1, 2, 3 };
  g_assert_cmpfloat (ms_score_token_match (ref, 3, shifted, 4), ==, 0.0);
}

/* ---- longest shared run and ROUGE-L against the Python reference ---------------------------- */

static void
test_shared_run_hand (void)
{
  MsSharedRun run;
  ms_score_shared_run_str ("xxabcxxabcdxx", -1, "abcd abc", -1, &run);
  g_assert_cmpuint (run.length, ==, 4);
  g_assert_cmpuint (run.ref_start, ==, 7);
  g_assert_cmpuint (run.gen_start, ==, 0);
  /* Ties go to the earliest start in the reference, then in the generation. */
  ms_score_shared_run_str ("abab", -1, "baba", -1, &run);
  g_assert_cmpuint (run.length, ==, 3);
  g_assert_cmpuint (run.ref_start, ==, 0);
  g_assert_cmpuint (run.gen_start, ==, 1);
  /* Swapping the roles must give the mirrored answer (the shorter text is the inner loop). */
  ms_score_shared_run_str ("ab", -1, "xxxxab", -1, &run);
  g_assert_cmpuint (run.ref_start, ==, 0);
  g_assert_cmpuint (run.gen_start, ==, 4);
  ms_score_shared_run_str ("xxxxab", -1, "ab", -1, &run);
  g_assert_cmpuint (run.ref_start, ==, 4);
  g_assert_cmpuint (run.gen_start, ==, 0);
  /* Byte ranges of a run over multi-byte characters: "é中" in both. */
  ms_score_shared_run_str ("a\xc3\xa9\xe4\xb8\xad", -1, "\xc3\xa9\xe4\xb8\xadz", -1, &run);
  g_assert_cmpuint (run.length, ==, 2);
  g_assert_cmpuint (run.ref_byte_start, ==, 1);
  g_assert_cmpuint (run.ref_byte_end, ==, 6);
  g_assert_cmpuint (run.gen_byte_start, ==, 0);
  g_assert_cmpuint (run.gen_byte_end, ==, 5);
  ms_score_shared_run_str ("", -1, "", -1, &run);
  g_assert_cmpuint (run.length, ==, 0);
}

static void
test_text_reference (void)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonArray *cases = load_cases ("scores/text-reference.json", &parser);
  g_assert_cmpuint (json_array_get_length (cases), >=, 40);
  for (guint k = 0; k < json_array_get_length (cases); k++)
    {
      JsonObject *c = json_array_get_object_element (cases, k);
      g_autoptr (GBytes) rb = from_hex (json_object_get_string_member (c, "ref_hex"));
      g_autoptr (GBytes) gb = from_hex (json_object_get_string_member (c, "gen_hex"));
      gsize rn, gn;
      const char *r = g_bytes_get_data (rb, &rn), *g = g_bytes_get_data (gb, &gn);
      g_autofree char *what = g_strdup_printf ("text case %u", k);

      g_autoptr (MsVocab) vocab = ms_vocab_new ();
      g_autoptr (MsChars) rc = ms_chars_decode (r, rn);
      g_autoptr (MsChars) gc = ms_chars_decode (g, gn);
      g_assert_cmpint (rc->n_chars, ==, json_object_get_int_member (c, "ref_chars"));
      g_assert_cmpint (gc->n_chars, ==, json_object_get_int_member (c, "gen_chars"));

      MsSharedRun run;
      ms_score_shared_run (rc, gc, &run);
      if ((gint64) run.length != json_object_get_int_member (c, "run_length")
          || (gint64) run.ref_start != json_object_get_int_member (c, "run_ref_start")
          || (gint64) run.gen_start != json_object_get_int_member (c, "run_gen_start"))
        g_error ("%s: run %zu at (%zu, %zu), want %" G_GINT64_FORMAT " at (%" G_GINT64_FORMAT
                 ", %" G_GINT64_FORMAT ")", what, run.length, run.ref_start, run.gen_start,
                 json_object_get_int_member (c, "run_length"),
                 json_object_get_int_member (c, "run_ref_start"),
                 json_object_get_int_member (c, "run_gen_start"));
      g_assert_cmpuint (run.ref_byte_end - run.ref_byte_start, <=, 4 * run.length);
      g_assert_cmpuint (run.ref_byte_start, ==, rc->byte_offsets[run.ref_start]);

      g_autoptr (MsWords) rw = ms_words_split (rc, vocab);
      g_autoptr (MsWords) gw = ms_words_split (gc, vocab);
      assert_words (rw, vocab, json_object_get_array_member (c, "ref_words"), what);
      assert_words (gw, vocab, json_object_get_array_member (c, "gen_words"), what);
      MsRougeL rl;
      ms_score_rouge_l (rw, gw, &rl);
      g_assert_cmpint (rl.lcs_words, ==, json_object_get_int_member (c, "lcs_words"));
      g_assert_cmpfloat_with_epsilon (rl.precision, json_object_get_double_member (c, "rouge_p"),
                                      1e-14);
      g_assert_cmpfloat_with_epsilon (rl.recall, json_object_get_double_member (c, "rouge_r"),
                                      1e-14);
      g_assert_cmpfloat_with_epsilon (rl.f1, json_object_get_double_member (c, "rouge_f1"),
                                      1e-14);
    }
}

static void
test_rouge_hand (void)
{
  MsRougeL rl;
  /* The classic ROUGE-L example: LCS "police killed" or "the gunman", 2 of 4 words each way. */
  ms_score_rouge_l_str ("police killed the gunman", -1, "the gunman police killed", -1, &rl);
  g_assert_cmpuint (rl.lcs_words, ==, 2);
  g_assert_cmpfloat (rl.f1, ==, 0.5);
  /* 3 of 4 generation words, 3 of 6 reference words: P = 3/4, R = 1/2, F = 0.6. */
  ms_score_rouge_l_str ("a b c d e f", -1, "a x c e", -1, &rl);
  g_assert_cmpuint (rl.lcs_words, ==, 3);
  g_assert_cmpfloat_with_epsilon (rl.precision, 0.75, 1e-15);
  g_assert_cmpfloat_with_epsilon (rl.recall, 0.5, 1e-15);
  g_assert_cmpfloat_with_epsilon (rl.f1, 0.6, 1e-15);
  ms_score_rouge_l_str ("Same TEXT here.", -1, "same text, here", -1, &rl);
  g_assert_cmpfloat (rl.f1, ==, 1.0);
  ms_score_rouge_l_str ("", -1, "", -1, &rl);
  g_assert_cmpfloat (rl.f1, ==, 0.0);
  ms_score_rouge_l_str ("words here", -1, "!!! ??? 🙂", -1, &rl);
  g_assert_cmpfloat (rl.f1, ==, 0.0);
}

/* ---- BLEU ---------------------------------------------------------------------------------- */

static void
test_bleu_hand (void)
{
  g_assert_cmpfloat_with_epsilon (ms_score_bleu_str ("the cat sat on the mat", -1,
                                                     "The cat sat on the mat.", -1), 1.0, 1e-15);
  /* Three identical words: no 4-gram, so p4 = 0.1 / max (1, 0) and BLEU = 0.1^(1/4). */
  g_assert_cmpfloat_with_epsilon (ms_score_bleu_str ("one two three", -1, "one two three", -1),
                                  pow (0.1, 0.25), 1e-15);
  /* A 4-word prefix of 8: every p_n = 1, BP = exp (1 - 8/4). */
  g_assert_cmpfloat_with_epsilon (ms_score_bleu_str ("a b c d e f g h", -1, "a b c d", -1),
                                  exp (-1.0), 1e-15);
  /* One substitution in 8 words: p = 7/8, 5/7, 3/6, 1/5 (a b c d x f g h). */
  g_assert_cmpfloat_with_epsilon (ms_score_bleu_str ("a b c d e f g h", -1, "a b c d x f g h", -1),
                                  pow (7.0 / 8 * 5.0 / 7 * 3.0 / 6 * 1.0 / 5, 0.25), 1e-15);
  /* Brevity: 4 of 7 words, all n-grams match, BP = exp (1 - 7/4). */
  g_assert_cmpfloat_with_epsilon (ms_score_bleu_str ("the the the the the the the", -1,
                                                     "the the the the", -1), exp (-0.75), 1e-15);
  /* Clipping: "the" x4 against one "the": p1 = 1/4, then 0.1/3, 0.1/2, 0.1/1; c > r, BP = 1. */
  g_assert_cmpfloat_with_epsilon (ms_score_bleu_str ("the cat", -1, "the the the the", -1),
                                  pow (0.25 * 0.1 / 3 * 0.1 / 2 * 0.1, 0.25), 1e-15);
  g_assert_cmpfloat (ms_score_bleu_str ("the cat", -1, "", -1), ==, 0.0);
  g_assert_cmpfloat (ms_score_bleu_str ("", -1, "the cat", -1), ==, 0.0);
  g_assert_cmpfloat (ms_score_bleu_str ("the cat", -1, "dogs bark", -1), ==, 0.0);
  g_assert_cmpfloat (ms_score_bleu_str ("\xff\xfe", 2, "\xff\xfe", 2), ==, 0.0);
}

static void
test_bleu_nltk (void)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonArray *cases = load_cases ("scores/bleu-reference.json", &parser);
  g_assert_cmpuint (json_array_get_length (cases), >=, 50);
  guint nonzero = 0;
  for (guint k = 0; k < json_array_get_length (cases); k++)
    {
      JsonObject *c = json_array_get_object_element (cases, k);
      const char *r = json_object_get_string_member (c, "ref");
      const char *g = json_object_get_string_member (c, "gen");
      g_autofree char *what = g_strdup_printf ("bleu case %u (%s)", k,
                                               json_object_get_string_member (c, "kind"));
      g_autoptr (MsVocab) vocab = ms_vocab_new ();
      g_autoptr (MsChars) rc = ms_chars_decode (r, -1);
      g_autoptr (MsChars) gc = ms_chars_decode (g, -1);
      g_autoptr (MsWords) rw = ms_words_split (rc, vocab);
      g_autoptr (MsWords) gw = ms_words_split (gc, vocab);
      assert_words (rw, vocab, json_object_get_array_member (c, "ref_words"), what);
      assert_words (gw, vocab, json_object_get_array_member (c, "gen_words"), what);
      double want = json_object_get_double_member (c, "bleu"), got = ms_score_bleu (rw, gw);
      if (fabs (got - want) > 1e-12)
        g_error ("%s: BLEU %.15g, NLTK %.15g", what, got, want);
      nonzero += want > 0 && want < 1;
    }
  g_assert_cmpuint (nonzero, >=, 30);  /* the fixture exercises more than the 0/1 extremes */
}

/* ---- one sample ---------------------------------------------------------------------------- */

#define SHARED "the quick brown fox jumps over the lazy dog near the riverbank today"

static void
test_sample (void)
{
  g_autoptr (GError) error = NULL;
  MsSampleScores s;
  const gint32 toks[] = { 10, 11, 12, 13 }, gen_toks[] = { 10, 11, 99 };
  const char *ref = "The committee approved the new budget for public schools on Tuesday evening. "
                    "Teachers welcomed the decision after months of protests.";

  /* A verbatim copy: everything at its maximum. */
  g_assert_true (ms_sample_scores_compute (toks, 4, toks, 4, ref, -1, ref, -1, NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_true (s.exact);
  g_assert_cmpfloat (s.token_match, ==, 1.0);
  g_assert_cmpuint (s.lcs_chars, ==, strlen (ref));
  g_assert_true (s.verbatim);
  g_assert_cmpfloat_with_epsilon (s.rouge_l_f1, 1.0, 1e-15);
  g_assert_cmpfloat_with_epsilon (s.bleu, 1.0, 1e-15);
  g_assert_cmpfloat (s.align_gen_cov, ==, 1.0);
  g_assert_cmpfloat (s.align_ref_cov, ==, 1.0);
  g_assert_false (s.paraphrase);
  g_assert_false (s.idea);
  g_assert_cmpint (ms_sample_category (&s), ==, MS_MEMO_VERBATIM);
  g_assert_cmpstr (ms_memo_category_name (ms_sample_category (&s)), ==, "verbatim");

  /* An empty generation: all zero, nothing flagged. */
  g_assert_true (ms_sample_scores_compute (toks, 4, NULL, 0, ref, -1, "", 0, NULL, &s, &error));
  g_assert_false (s.exact);
  g_assert_cmpfloat (s.token_match, ==, 0.0);
  g_assert_cmpuint (s.lcs_chars, ==, 0);
  g_assert_cmpfloat (s.rouge_l_f1 + s.bleu + s.align_gen_cov + s.align_ref_cov, ==, 0.0);
  g_assert_false (s.verbatim || s.paraphrase || s.idea);
  g_assert_cmpint (ms_sample_category (&s), ==, MS_MEMO_NONE);

  /* The verbatim threshold: a 49-character shared run is not verbatim, 50 is. */
  g_autofree char *r49 = g_strdup_printf ("AAAA%.49sZZZZ", SHARED);
  g_autofree char *g49 = g_strdup_printf ("QQ%.49sWW", SHARED);
  g_autofree char *r50 = g_strdup_printf ("AAAA%.50sZZZZ", SHARED);
  g_autofree char *g50 = g_strdup_printf ("QQ%.50sWW", SHARED);
  g_assert_true (ms_sample_scores_compute (toks, 4, gen_toks, 3, r49, -1, g49, -1, NULL, &s,
                                           &error));
  g_assert_cmpuint (s.lcs_chars, ==, 49);
  g_assert_false (s.verbatim);
  g_assert_cmpfloat_with_epsilon (s.token_match, 0.5, 1e-15);
  g_assert_true (ms_sample_scores_compute (toks, 4, gen_toks, 3, r50, -1, g50, -1, NULL, &s,
                                           &error));
  g_assert_cmpuint (s.lcs_chars, ==, 50);
  g_assert_true (s.verbatim);
  g_assert_cmpuint (s.run.ref_start, ==, 4);
  g_assert_cmpuint (s.run.gen_start, ==, 2);

  /* Unicode counts characters: 50 CJK characters (150 bytes) shared are verbatim. */
  GString *cjk = g_string_new (NULL);
  for (int i = 0; i < 50; i++)
    g_string_append_unichar (cjk, 0x4E00 + (gunichar) (i * 37 % 500));
  g_autofree char *rc = g_strdup_printf ("\xf0\x9f\x99\x82%s\xf0\x9f\x99\x82", cjk->str);
  g_assert_true (ms_sample_scores_compute (NULL, 0, NULL, 0, rc, -1, cjk->str, -1, NULL, &s,
                                           &error));
  g_assert_cmpuint (s.lcs_chars, ==, 50);
  g_assert_true (s.verbatim);
  g_assert_cmpuint (s.run.ref_byte_start, ==, 4);
  g_assert_cmpuint (s.run.ref_byte_end, ==, 154);
  g_string_free (cjk, TRUE);

  /* Invalid UTF-8 anywhere is scored, not rejected. */
  const char bad[] = "\xff\xfe broken \xc3 text \xed\xa0\x80 with \xf4\x90\x80\x80 bytes.";
  g_assert_true (ms_sample_scores_compute (NULL, 0, NULL, 0, bad, sizeof bad - 1, bad,
                                           sizeof bad - 1, NULL, &s, &error));
  g_assert_cmpuint (s.lcs_chars, ==, 37);  /* 2+8+1+6+3+6+4+7 characters */
  g_assert_cmpfloat_with_epsilon (s.rouge_l_f1, 1.0, 1e-15);

  /* Bad alignment parameters are the only failure. */
  MsAlignParams p;
  ms_align_params_init (&p);
  p.seed_cosine = 1.5;
  g_assert_false (ms_sample_scores_compute (toks, 4, toks, 4, ref, -1, ref, -1, &p, &s, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "seed_cosine"));
}

/* A planted 120-character run in two 3000-character random texts is found where it was put:
 * exercises the O(n m) loop at the sizes the probe sees. */
static void
test_long_texts (void)
{
  MsTestRng rng = { 99 };
  GString *a = g_string_new (NULL), *b = g_string_new (NULL), *run = g_string_new (NULL);
  for (int i = 0; i < 120; i++)
    g_string_append_unichar (run, 0x3B1 + (gunichar) (ms_test_rng_u64 (&rng) % 24));  /* Greek */
  for (int i = 0; i < 1700; i++)
    g_string_append_c (a, (char) ('a' + ms_test_rng_u64 (&rng) % 26));
  g_string_append (a, run->str);
  for (int i = 0; i < 1180; i++)
    g_string_append_c (a, (char) ('a' + ms_test_rng_u64 (&rng) % 26));
  for (int i = 0; i < 333; i++)
    g_string_append_c (b, (char) ('a' + ms_test_rng_u64 (&rng) % 26));
  g_string_append (b, run->str);
  for (int i = 0; i < 2547; i++)
    g_string_append_c (b, (char) ('a' + ms_test_rng_u64 (&rng) % 26));
  MsSharedRun r;
  ms_score_shared_run_str (a->str, -1, b->str, -1, &r);
  g_assert_cmpuint (r.length, ==, 120);
  g_assert_cmpuint (r.ref_start, ==, 1700);
  g_assert_cmpuint (r.gen_start, ==, 333);
  g_assert_cmpuint (r.ref_byte_start, ==, 1700);
  g_assert_cmpuint (r.ref_byte_end, ==, 1700 + 240);
  g_string_free (a, TRUE);
  g_string_free (b, TRUE);
  g_string_free (run, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/scores/decode", test_decode);
  g_test_add_func ("/scores/words", test_words);
  g_test_add_func ("/scores/token", test_token_scores);
  g_test_add_func ("/scores/shared-run", test_shared_run_hand);
  g_test_add_func ("/scores/text-reference", test_text_reference);
  g_test_add_func ("/scores/rouge-l", test_rouge_hand);
  g_test_add_func ("/scores/bleu", test_bleu_hand);
  g_test_add_func ("/scores/bleu-nltk", test_bleu_nltk);
  g_test_add_func ("/scores/sample", test_sample);
  g_test_add_func ("/scores/long-texts", test_long_texts);
  return ms_test_run ();
}
