/* The PAN-style alignment on hand-built pairs whose answer is known by construction: a verbatim
 * copy (full coverage), a copied passage inside other text (its exact sentence span), a
 * paraphrased sentence (found, flagged paraphrase), two paraphrases far apart (two spans), a
 * summary (idea), unrelated texts (nothing), and empty, Unicode and invalid input. */
#include "ms-test.h"

#include <string.h>

#include "common/ms-error.h"
#include "probe/ms-align.h"

/* 8 sentences; the offsets below are of these sentences in this string. */
static const char quake[] =
  "A powerful earthquake struck the coastal city of Valparaiso early on Monday morning. "  /* 0 */
  "The quake measured magnitude seven according to the national seismology office. "      /* 85 */
  "Dozens of old buildings collapsed in the historic harbour district. "                  /* 165 */
  "Rescue teams searched the rubble for survivors throughout the night. "                 /* 233 */
  "Hospitals across the region reported hundreds of injured residents. "                  /* 302 */
  "The government declared a state of emergency and sent soldiers to help. "
  "Electricity and water supplies were cut in many neighbourhoods. "
  "Officials warned that strong aftershocks could follow during the coming week.";        /* 506 */
#define QUAKE_LEN 583

static MsAlignment *
align (const char *ref, const char *gen, const MsAlignParams *p)
{
  g_autoptr (GError) error = NULL;
  MsAlignment *al = ms_align (ref, -1, gen, -1, p, &error);
  g_assert_no_error (error);
  g_assert_nonnull (al);
  return al;
}

static void
assert_span (const MsAlignSpan *s, gsize r0, gsize r1, gsize g0, gsize g1)
{
  if (s->ref_start != r0 || s->ref_end != r1 || s->gen_start != g0 || s->gen_end != g1)
    g_error ("span ref [%zu, %zu) gen [%zu, %zu), want ref [%zu, %zu) gen [%zu, %zu)",
             s->ref_start, s->ref_end, s->gen_start, s->gen_end, r0, r1, g0, g1);
}

static void
test_sentences (void)
{
  const char *text = "Hello world. This is e.g. fine! Next one?\nLine two\n\n  Last one "
                     "\"quoted.\" "
                     "Then 3.14 stays. \xe4\xbb\x8a\xe5\xa4\xa9\xe5\xbe\x88\xe5\xa5\xbd\xe3\x80\x82"
                     "\xe6\x98\x8e\xe5\xa4\xa9\xe8\xa7\x81\xef\xbc\x81";  /* 今天很好。明天见！ */
  g_autoptr (MsChars) c = ms_chars_decode (text, -1);
  gsize n;
  g_autofree MsCharSpan *s = ms_align_sentences (c, &n);
  const gsize want[][2] = { { 0, 12 }, { 13, 31 }, { 32, 41 }, { 42, 50 }, { 54, 72 },
                            { 73, 89 }, { 90, 95 }, { 95, 99 } };
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (want));
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpuint (s[i].start, ==, want[i][0]);
      g_assert_cmpuint (s[i].end, ==, want[i][1]);
    }
  g_autoptr (MsChars) blank = ms_chars_decode (" \n\t \n", -1);
  g_autofree MsCharSpan *none = ms_align_sentences (blank, &n);
  g_assert_cmpuint (n, ==, 0);
  g_autoptr (MsChars) quake_c = ms_chars_decode (quake, -1);
  g_autofree MsCharSpan *q = ms_align_sentences (quake_c, &n);
  g_assert_cmpuint (n, ==, 8);
  g_assert_cmpuint (q[1].start, ==, 85);
  g_assert_cmpuint (q[7].end, ==, QUAKE_LEN);
}

static void
test_verbatim_copy (void)
{
  g_assert_cmpuint (strlen (quake), ==, QUAKE_LEN);
  g_autoptr (MsAlignment) al = align (quake, quake, NULL);
  g_assert_cmpuint (al->n_spans, ==, 1);
  assert_span (&al->spans[0], 0, QUAKE_LEN, 0, QUAKE_LEN);
  g_assert_cmpfloat (al->gen_coverage, ==, 1.0);
  g_assert_cmpfloat (al->ref_coverage, ==, 1.0);
  g_assert_cmpuint (al->spans[0].shared_run, ==, QUAKE_LEN);
  g_assert_true (al->spans[0].verbatim);
  g_assert_cmpfloat_with_epsilon (al->spans[0].cosine, 1.0, 1e-12);
  g_assert_false (al->paraphrase);
  g_assert_false (al->idea);

  /* One copied sentence is enough (tf-idf must not zero the words both sentences share). */
  const char *one = "The patient has had a persistent cough for three weeks and mild fever at "
                    "night.";
  g_autoptr (MsAlignment) al1 = align (one, one, NULL);
  g_assert_cmpuint (al1->n_spans, ==, 1);
  assert_span (&al1->spans[0], 0, strlen (one), 0, strlen (one));
}

static void
test_copied_passage (void)
{
  /* Sentences 2-4 of the reference (characters 85..301) between unrelated sentences. */
  const char *intro = "We cooked pasta with fresh basil and garlic tonight. ";
  g_autofree char *passage = g_strndup (quake + 85, 301 - 85);
  g_autofree char *gen = g_strdup_printf ("%s%s Football results will be announced tomorrow "
                                          "afternoon.", intro, passage);
  gsize g0 = strlen (intro), g1 = g0 + strlen (passage);
  g_autoptr (MsAlignment) al = align (quake, gen, NULL);
  g_assert_cmpuint (al->n_spans, ==, 1);
  assert_span (&al->spans[0], 85, 301, g0, g1);
  g_assert_true (al->spans[0].verbatim);
  g_assert_false (al->paraphrase);
  g_assert_false (al->idea);
  g_assert_cmpfloat_with_epsilon (al->gen_coverage, (double) (g1 - g0) / strlen (gen), 1e-15);
  g_assert_cmpfloat_with_epsilon (al->ref_coverage, 216.0 / QUAKE_LEN, 1e-15);
  /* ASCII: byte offsets equal character offsets. */
  g_assert_cmpuint (al->spans[0].gen_byte_start, ==, g0);
  g_assert_cmpuint (al->spans[0].ref_byte_end, ==, 301);
}

static void
test_paraphrase (void)
{
  const char *ref = "The committee approved the new budget for public schools on Tuesday evening. "
                    "Teachers welcomed the decision after months of protests over low salaries. "
                    "The mayor said the funding would arrive in September.";
  const char *gen = "After several months of protests about low salaries, the teachers warmly "
                    "welcomed this decision. Meanwhile a cold front brought heavy snow to the "
                    "northern mountains.";
  g_autoptr (MsAlignment) al = align (ref, gen, NULL);
  g_assert_cmpuint (al->n_spans, ==, 1);
  /* Reference sentence 2 ("Teachers ... salaries.") against generation sentence 1. */
  assert_span (&al->spans[0], 77, 151, 0, 96);
  g_assert_false (al->spans[0].verbatim);
  g_assert_cmpuint (al->spans[0].shared_run, <, 50);
  g_assert_cmpfloat (al->spans[0].cosine, >, 0.34);
  g_assert_true (al->paraphrase);
  g_assert_false (al->idea);
  g_assert_cmpfloat_with_epsilon (al->gen_coverage, 96.0 / strlen (gen), 1e-15);
  g_assert_cmpfloat_with_epsilon (al->ref_coverage, 74.0 / strlen (ref), 1e-15);

  /* Two paraphrases five unrelated sentences apart (more than maxgap 4): two fragments. */
  const char *gen2 = "According to the national seismology office, the quake had a magnitude of "
                     "seven. My sister bakes bread every Sunday. The library opens at nine. Cats "
                     "enjoy sleeping in sunny windows. Tennis requires quick reflexes and "
                     "patience. Bicycles need regular maintenance. Strong aftershocks may follow "
                     "in the coming week, officials warned.";
  g_autoptr (MsAlignment) al2 = align (quake, gen2, NULL);
  g_assert_cmpuint (al2->n_spans, ==, 2);
  assert_span (&al2->spans[0], 85, 164, 0, 80);
  assert_span (&al2->spans[1], 506, QUAKE_LEN, 262, 329);
  g_assert_true (al2->paraphrase);
  g_assert_false (al2->idea);

  /* With the fragment minimum raised above the sentence lengths nothing is left. */
  MsAlignParams p;
  ms_align_params_init (&p);
  p.min_fragment_chars = 97;
  g_autoptr (MsAlignment) al3 = align (ref, gen, &p);
  g_assert_cmpuint (al3->n_spans, ==, 0);
  g_assert_false (al3->paraphrase);
}

static void
test_summary (void)
{
  /* One generation sentence compressing reference sentences 3, 4 and 8. */
  const char *gen = "Old buildings collapsed, rescue teams searched for survivors, and officials "
                    "warned of strong aftershocks.";
  gsize gl = strlen (gen);
  g_autoptr (MsAlignment) al = align (quake, gen, NULL);
  g_assert_cmpuint (al->n_spans, ==, 1);
  assert_span (&al->spans[0], 165, QUAKE_LEN, 0, gl);
  g_assert_cmpuint (QUAKE_LEN - 165, >=, 3 * gl);  /* the summary heuristic's condition */
  g_assert_true (al->idea);
  g_assert_true (al->paraphrase);
  g_assert_cmpfloat (al->gen_coverage, ==, 1.0);
  g_assert_cmpfloat_with_epsilon (al->ref_coverage, (QUAKE_LEN - 165.0) / QUAKE_LEN, 1e-15);

  /* The heuristic, not the fragment, makes it an idea: a ratio of 5 does not fire. */
  MsAlignParams p;
  ms_align_params_init (&p);
  p.summary_ratio = 5;
  g_autoptr (MsAlignment) al2 = align (quake, gen, &p);
  g_assert_false (al2->idea);
  g_assert_cmpuint (al2->n_spans, ==, 1);

  /* The 50-character minimum applies to the generation side too (here 105 characters). */
  ms_align_params_init (&p);
  p.min_fragment_chars = gl + 1;
  g_autoptr (MsAlignment) al3 = align (quake, gen, &p);
  g_assert_cmpuint (al3->n_spans, ==, 0);
  g_assert_false (al3->idea);
}

/* Extension and filtering made visible: with fragment_cosine 0 every cluster passes validation
 * and with summary mode out of the way the spans are exactly the clusters. */
#define P0 "Early on Monday morning a powerful earthquake hit Valparaiso, the coastal city."
#define P1 "According to the national seismology office, the quake had a magnitude of seven."
#define P3 "Throughout the night, rescue teams searched through rubble looking for survivors."
#define P7 "Strong aftershocks may follow in the coming week, officials warned."
#define F4 "My sister bakes bread every Sunday. The library opens at nine. Cats enjoy sleeping " \
           "in sunny windows. Tennis requires quick reflexes and patience."

static void
test_extension (void)
{
  MsAlignParams p;
  ms_align_params_init (&p);
  p.fragment_cosine = 0;
  p.summary_ratio = 1e9;

  /* maxgap 4: paraphrases of reference sentences 2 and 4 with 4 unrelated sentences between
   * them in the generation are one fragment; with 5 between they are two. */
  const char *g4 = P1 " " F4 " " P3;
  g_autoptr (MsAlignment) a4 = align (quake, g4, &p);
  g_assert_cmpuint (a4->n_seeds, ==, 2);
  g_assert_cmpuint (a4->n_spans, ==, 1);
  assert_span (&a4->spans[0], 85, 301, 0, strlen (g4));
  const char *g5 = P1 " " F4 " Bicycles need regular maintenance. " P3;
  g_autoptr (MsAlignment) a5 = align (quake, g5, &p);
  g_assert_cmpuint (a5->n_spans, ==, 2);
  assert_span (&a5->spans[0], 85, 164, 0, strlen (P1));
  assert_span (&a5->spans[1], 233, 301, strlen (g5) - strlen (P3), strlen (g5));

  /* Adjacent in the generation but 6 sentences apart in the reference: the first clustering
   * pass (generation side) keeps them together, the reference side must still split them. */
  const char *gb = P0 " " P7;
  g_autoptr (MsAlignment) b = align (quake, gb, &p);
  g_assert_cmpuint (b->n_spans, ==, 2);
  assert_span (&b->spans[0], 0, 84, 0, strlen (P0));
  assert_span (&b->spans[1], 506, QUAKE_LEN, strlen (P0) + 1, strlen (gb));

  /* One generation sentence seeding with reference sentences 1 and 8: two fragments overlap on
   * the generation side and the better one (sentence 1, six shared words) is kept. */
  const char *gc = "A powerful earthquake struck Valparaiso on Monday morning and officials warned "
                   "of aftershocks.";
  g_autoptr (MsAlignment) c = align (quake, gc, &p);
  g_assert_cmpuint (c->n_seeds, ==, 2);
  g_assert_cmpuint (c->n_spans, ==, 1);
  assert_span (&c->spans[0], 0, 84, 0, strlen (gc));

  /* Validation: with the default threshold, three long unrelated sentences between the two
   * paraphrases drown the joint fragment's cosine at maxgap 4 and 3; the re-split at maxgap 2
   * validates the two paraphrases on their own. */
  const char *gv = P1 " My younger sister bakes delicious sourdough bread with rosemary, olives, "
    "walnuts, raisins and honey every Sunday afternoon. The public library downtown opens at "
    "nine, offering novels, magazines, newspapers, comics, atlases, recipes and free wireless "
    "internet. Lazy cats enjoy sleeping in sunny windows, chasing butterflies, climbing "
    "bookshelves, scratching sofas and ignoring visitors. " P3;
  g_autoptr (MsAlignment) v = align (quake, gv, NULL);
  g_assert_cmpuint (v->n_spans, ==, 2);
  assert_span (&v->spans[0], 85, 164, 0, strlen (P1));
  assert_span (&v->spans[1], 233, 301, strlen (gv) - strlen (P3), strlen (gv));
  g_assert_cmpfloat (v->spans[0].cosine, >, 0.34);

  /* Reference coverage is a union: spans [85, 164) and [85, 232) cover 147 characters. */
  const char *gu = P1 " " F4 " Bicycles need regular maintenance. " P1 " In the historic harbour "
                   "district, dozens of old buildings fell down.";
  g_autoptr (MsAlignment) u = align (quake, gu, NULL);
  g_assert_cmpuint (u->n_spans, ==, 2);
  g_assert_cmpuint (u->spans[1].ref_start, ==, 85);
  g_assert_cmpuint (u->spans[1].ref_end, ==, 232);
  g_assert_cmpfloat_with_epsilon (u->ref_coverage, 147.0 / QUAKE_LEN, 1e-15);
}

/* Seeding needs both measures: repeating the two shared words lifts the tf-idf cosine to about
 * 0.5, but the word sets overlap with Dice 2 * 2 / (3 + 10) = 0.31 < 0.33. */
static void
test_seeding (void)
{
  const char *ref = "Valparaiso earthquake damage.";
  const char *gen = "Valparaiso, Valparaiso, Valparaiso: earthquake, earthquake, earthquake; "
                    "bridges ports schools markets roads stadiums hotels airports.";
  g_autoptr (MsAlignment) a = align (ref, gen, NULL);
  g_assert_cmpuint (a->n_seeds, ==, 0);
  MsAlignParams p;
  ms_align_params_init (&p);
  p.seed_dice = 0.30;
  g_autoptr (MsAlignment) b = align (ref, gen, &p);
  g_assert_cmpuint (b->n_seeds, ==, 1);
  p.seed_cosine = 0.6;
  g_autoptr (MsAlignment) c = align (ref, gen, &p);
  g_assert_cmpuint (c->n_seeds, ==, 0);
}

/* Sentences with fewer than 3 kept words join the next sentence. */
static void
test_annex (void)
{
  const char *t = "Prices rose. The central bank raised interest rates again on Thursday "
                  "afternoon.";
  g_autoptr (MsAlignment) a = align (t, t, NULL);
  g_assert_cmpuint (a->n_ref_sentences, ==, 1);
  g_assert_cmpuint (a->n_gen_sentences, ==, 1);
  g_assert_cmpuint (a->n_spans, ==, 1);
  assert_span (&a->spans[0], 0, strlen (t), 0, strlen (t));
  MsAlignParams p;
  ms_align_params_init (&p);
  p.min_sentence_words = 1;
  g_autoptr (MsAlignment) b = align (t, t, &p);
  g_assert_cmpuint (b->n_ref_sentences, ==, 2);
  /* Stopwords and short words do not count: "It is so." has none left and is dropped. */
  const char *so = "It is so. The central bank raised interest rates again.";
  g_autoptr (MsAlignment) c = align (so, "", NULL);
  g_assert_cmpuint (c->n_ref_sentences, ==, 1);
  p.remove_stopwords = FALSE;
  p.min_word_chars = 1;
  g_autoptr (MsAlignment) d = align (so, "", &p);
  g_assert_cmpuint (d->n_ref_sentences, ==, 2);
  /* A last sentence without words is dropped rather than kept as an empty vector. */
  g_autoptr (MsAlignment) e = align ("The central bank raised interest rates again. Ok!", "", NULL);
  g_assert_cmpuint (e->n_ref_sentences, ==, 1);
}

static void
test_unrelated (void)
{
  const char *pairs[][2] = {
    { quake, "Stock markets in Asia fell sharply after the central bank raised interest rates "
             "again. Analysts expect further volatility in the coming months." },
    { "The patient has had a persistent cough for three weeks and mild fever at night. I "
      "recommend a chest X-ray and a blood test.",
      "Our football team won the championship after a dramatic penalty shootout. Fans "
      "celebrated in the streets until morning." },
    { "Der Ausschuss hat den neuen Haushalt f\xc3\xbcr \xc3\xb6" "ffentliche Schulen am Dienstag "
      "genehmigt. Die Lehrer begr\xc3\xbc\xc3\x9ftten die Entscheidung nach monatelangen "
      "Protesten.",
      "Quantum chromodynamics describes strong interactions between quarks and gluons. Bananas "
      "are yellow fruits rich in potassium." },
  };
  for (gsize k = 0; k < G_N_ELEMENTS (pairs); k++)
    {
      g_autoptr (MsAlignment) al = align (pairs[k][0], pairs[k][1], NULL);
      g_assert_cmpuint (al->n_seeds, ==, 0);
      g_assert_cmpuint (al->n_spans, ==, 0);
      g_assert_cmpfloat (al->gen_coverage + al->ref_coverage, ==, 0.0);
      g_assert_false (al->paraphrase || al->idea);
    }
}

static void
test_edge_input (void)
{
  g_autoptr (MsAlignment) e = align ("", "", NULL);
  g_assert_cmpuint (e->n_spans + e->n_gen_sentences + e->n_ref_sentences, ==, 0);
  g_autoptr (MsAlignment) e2 = align (quake, "", NULL);
  g_assert_cmpuint (e2->n_spans, ==, 0);
  g_assert_cmpfloat (e2->ref_coverage, ==, 0.0);
  g_autoptr (MsAlignment) e3 = align ("", quake, NULL);
  g_assert_cmpuint (e3->n_spans, ==, 0);
  g_autoptr (MsAlignment) e4 = align ("!!! ... ??? \xf0\x9f\x99\x82", "... \xf0\x9f\x99\x82", NULL);
  g_assert_cmpuint (e4->n_spans, ==, 0);

  /* Chinese (three sentences, 59 characters): ideographs are words, so a copy is found with full
   * coverage. */
  const char *zh = "\xe4\xbb\x8a\xe5\xa4\xa9\xe5\xa4\xa9\xe6\xb0\x94\xe5\xbe\x88\xe5\xa5\xbd\xef"
                   "\xbc\x8c\xe6\x88\x91\xe4\xbb\xac\xe4\xb8\x80\xe8\xb5\xb7\xe5\x8e\xbb\xe5\x85"
                   "\xac\xe5\x9b\xad\xe6\x95\xa3\xe6\xad\xa5\xe5\x90\xa7\xe3\x80\x82\xe5\x85\xac"
                   "\xe5\x9b\xad\xe9\x87\x8c\xe6\x9c\x89\xe5\xbe\x88\xe5\xa4\x9a\xe7\xbe\x8e\xe4"
                   "\xb8\xbd\xe7\x9a\x84\xe8\x8a\xb1\xe5\x92\x8c\xe9\xab\x98\xe5\xa4\xa7\xe7\x9a"
                   "\x84\xe6\xa0\x91\xe6\x9c\xa8\xe3\x80\x82\xe5\xad\xa9\xe5\xad\x90\xe4\xbb\xac"
                   "\xe5\x9c\xa8\xe8\x8d\x89\xe5\x9c\xb0\xe4\xb8\x8a\xe5\xbf\xab\xe4\xb9\x90\xe5"
                   "\x9c\xb0\xe7\x8e\xa9\xe8\x80\x8d\xef\xbc\x8c\xe8\x80\x81\xe4\xba\xba\xe4\xbb"
                   "\xac\xe5\x9d\x90\xe5\x9c\xa8\xe9\x95\xbf\xe6\xa4\x85\xe4\xb8\x8a\xe8\x81\x8a"
                   "\xe5\xa4\xa9\xe3\x80\x82";
  g_autoptr (MsAlignment) z = align (zh, zh, NULL);
  g_assert_cmpuint (z->n_ref_sentences, ==, 3);
  g_assert_cmpuint (z->n_spans, ==, 1);
  g_assert_cmpuint (z->spans[0].gen_end, ==, g_utf8_strlen (zh, -1));
  g_assert_cmpuint (z->spans[0].gen_byte_end, ==, strlen (zh));
  g_assert_cmpfloat (z->gen_coverage, ==, 1.0);

  /* Invalid UTF-8 inside a copied text: still aligned, offsets count bad bytes as characters.
   * The two leading bad bytes are not white space, so they open the first sentence; the
   * trailing one is a sentence of its own without words, outside every fragment. */
  g_autofree char *bad = g_strdup_printf ("\xff\xfe %s \xc3", quake);
  g_autoptr (MsAlignment) b = align (bad, bad, NULL);
  g_assert_cmpuint (b->n_spans, ==, 1);
  assert_span (&b->spans[0], 0, 3 + QUAKE_LEN, 0, 3 + QUAKE_LEN);
  g_assert_cmpfloat_with_epsilon (b->gen_coverage, (QUAKE_LEN + 3.0) / (QUAKE_LEN + 5), 1e-15);
  /* Arbitrary bytes never crash. */
  MsTestRng rng = { 5 };
  for (int t = 0; t < 50; t++)
    {
      char junk[300];
      for (gsize i = 0; i < sizeof junk; i++)
        junk[i] = (char) (ms_test_rng_u64 (&rng) % 7 == 0 ? '.' : ms_test_rng_u64 (&rng));
      g_autoptr (GError) error = NULL;
      g_autoptr (MsAlignment) j = ms_align (junk, sizeof junk, junk, sizeof junk / 2, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (j->gen_coverage, <=, 1.0);
    }
}

static void
test_params (void)
{
  MsAlignParams p;
  ms_align_params_init (&p);
  g_assert_cmpfloat (p.seed_cosine, ==, 0.30);
  g_assert_cmpfloat (p.seed_dice, ==, 0.33);
  g_assert_cmpuint (p.min_fragment_chars, ==, 50);
  g_assert_true (ms_align_params_check (&p, NULL));

  const char *fields[] = { "seed_dice", "fragment_cosine", "gap_least", "summary_ratio" };
  for (gsize k = 0; k < G_N_ELEMENTS (fields); k++)
    {
      ms_align_params_init (&p);
      switch (k)
        {
        case 0: p.seed_dice = -0.1; break;
        case 1: p.fragment_cosine = 2; break;
        case 2: p.gap_least = 5; break;
        default: p.summary_ratio = 0; break;
        }
      g_autoptr (GError) error = NULL;
      g_assert_null (ms_align ("a", -1, "a", -1, &p, &error));
      g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, fields[k]));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/align/sentences", test_sentences);
  g_test_add_func ("/align/verbatim-copy", test_verbatim_copy);
  g_test_add_func ("/align/copied-passage", test_copied_passage);
  g_test_add_func ("/align/paraphrase", test_paraphrase);
  g_test_add_func ("/align/summary", test_summary);
  g_test_add_func ("/align/extension", test_extension);
  g_test_add_func ("/align/seeding", test_seeding);
  g_test_add_func ("/align/annex", test_annex);
  g_test_add_func ("/align/unrelated", test_unrelated);
  g_test_add_func ("/align/edge-input", test_edge_input);
  g_test_add_func ("/align/params", test_params);
  return ms_test_run ();
}
