/* PAN-style text alignment between a reference (the training text, PAN's "source") and a
 * generation (PAN's "suspicious" document), after Sanchez-Perez, Sidorov & Gelbukh, the PAN 2014
 * text-alignment winner, as used by Lee et al. 2023 and the paper for paraphrase and idea overlap.
 *
 * What follows the original (masp1988's pan14 code, v2.0, and its CLEF 2015 paper):
 *  - sentences as tf-idf vectors over words; idf over all sentences of both documents; sentences
 *    with fewer than 3 kept words are annexed to the next sentence (the original's rssent = 0);
 *  - seeding: every (generation sentence, reference sentence) pair with cosine >= 0.30 and Dice
 *    coefficient of the word sets >= 0.33 (the paper's values; the original code compares with
 *    > and takes the thresholds th1, th2, th3 as parameters);
 *  - extension: seeds are clustered by sentence adjacency (two sentences are adjacent when at
 *    most maxgap sentences lie between them), alternating between the generation side and the
 *    reference side until a side no longer splits; a cluster is a fragment from its first to its
 *    last seed sentence on each side; a fragment whose summed tf-idf vectors have cosine <= 0.34
 *    is re-clustered with maxgap - 1, down to 0 (maxgap 4, least 0, as the original);
 *  - filtering: fragments that overlap on the generation side are resolved by the original's
 *    quality (per generation sentence, the best cosine to a reference sentence of the fragment;
 *    the mean over the shared sentences plus (1 - that) times the mean over the others; near ties
 *    above 0.99 go to the longer fragment); fragments shorter than 50 characters on either side
 *    are dropped (the paper's minimum; the original used 150 for PAN's long documents);
 *  - summary mode: the extension and filtering rerun with maxgap 24 on both sides (the original's
 *    code sets both to src_gap_summary = 24); when the summary fragments cover at least 3 times
 *    as many reference characters as generation characters, summary mode fires (flag `idea`) and
 *    its fragments are the result.
 *
 * What is simplified or different, and why:
 *  - no paraphrase classifier (Lee et al. add one with a > 0.5 score): `paraphrase` only says that
 *    an aligned fragment pair of >= 50 characters per side exists whose longest shared character
 *    run is shorter than the verbatim threshold, i.e. the overlap is not just a copied run;
 *  - no Punkt sentence splitter and no Treebank tokenizer: sentences end at line breaks, after
 *    . ! ? … (and closing quotes or brackets) followed by white space and a character that is
 *    not a lower-case letter, and right after 。！？; words are ms_words_split's words;
 *  - no stemming; stopwords (NLTK's 127-word English list) are removed (the original keeps them
 *    by default, rem_sw = 0, and leaves them to the idf) and words of fewer than 3 characters are
 *    dropped (the original's len > 2), except Han/Kana one-character words;
 *  - idf is smoothed, ln ((1 + N) / (1 + df)) + 1 (scikit-learn's smooth_idf), not ln (N / df):
 *    our texts have a handful of sentences, and the original weight gives 0 to every word that
 *    occurs in all sentences, so a one-sentence verbatim copy would have cosine 0 and go unseen;
 *  - the original's verbatim sub-mode (word-level common substrings >= 256 characters replacing
 *    the fragments) is left out: verbatim memorization is decided by the shared character run
 *    (ms-scores.h); overlap resolution is one greedy sweep in generation order; a failed re-split
 *    does not discard the fragments already accepted (it does in the original's validation()).
 * Offsets are characters of ms_chars_decode (code points; an invalid byte is one character). */
#pragma once

#include <glib.h>

#include "probe/ms-chars.h"

G_BEGIN_DECLS

typedef struct _MsAlignParams MsAlignParams;

struct _MsAlignParams {
  double seed_cosine;        /* 0.30: minimum cosine of a seed sentence pair */
  double seed_dice;          /* 0.33: minimum Dice coefficient of a seed pair's word sets */
  double fragment_cosine;    /* 0.34: a fragment passes validation above this cosine */
  guint gen_gap, ref_gap;    /* 4, 4: maxgap in sentences */
  guint gap_least;           /* 0: the smallest maxgap validation may fall back to */
  guint gen_gap_summary;     /* 24 */
  guint ref_gap_summary;     /* 24 */
  double summary_ratio;      /* 3: reference chars >= ratio * generation chars fires summary */
  guint min_sentence_words;  /* 3: shorter sentences are annexed to the next one */
  guint min_word_chars;      /* 3: shorter words are ignored (one-character ideographs kept) */
  gboolean remove_stopwords; /* TRUE */
  guint min_fragment_chars;  /* 50: per side */
  guint verbatim_min_chars;  /* 50: a fragment holding a shared run this long is verbatim */
};

void ms_align_params_init (MsAlignParams *params);
/* FALSE with MS_ERROR_INVALID naming the field when a value is out of range. */
gboolean ms_align_params_check (const MsAlignParams *params, GError **error);

typedef struct {
  gsize start, end;  /* characters, end exclusive */
} MsCharSpan;

/* The sentences of TEXT by the rule above, without leading and trailing white space; a text
 * of white space only has none. Returns a new array of *N_SENTENCES spans. */
MsCharSpan *ms_align_sentences (const MsChars *text, gsize *n_sentences);

typedef struct {
  gsize ref_start, ref_end, gen_start, gen_end;  /* characters, end exclusive */
  gsize ref_byte_start, ref_byte_end, gen_byte_start, gen_byte_end;
  double cosine;       /* tf-idf cosine of the two fragments */
  gsize shared_run;    /* longest shared character run inside the two spans */
  gboolean verbatim;   /* shared_run >= verbatim_min_chars */
} MsAlignSpan;

typedef struct {
  MsAlignSpan *spans;    /* (n_spans) in generation order */
  guint n_spans;
  double gen_coverage;   /* characters of the generation inside some span / all of them */
  double ref_coverage;   /* the same for the reference */
  gboolean paraphrase;   /* some span is not verbatim */
  gboolean idea;         /* summary mode fired */
  guint n_seeds;
  guint n_ref_sentences, n_gen_sentences;  /* after annexing short ones */
} MsAlignment;

void ms_alignment_free (MsAlignment *alignment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsAlignment, ms_alignment_free)

/* Aligns GEN against REF (UTF-8, LEN < 0 for NUL-terminated). PARAMS NULL: the defaults. Returns
 * NULL only for invalid PARAMS. Empty or unrelated texts give an alignment with no spans. */
MsAlignment *ms_align (const char *ref, gssize ref_len, const char *gen, gssize gen_len,
                       const MsAlignParams *params, GError **error);
/* The same on texts already decoded and split with one VOCAB (what ms_sample_scores_compute
 * does, to tokenize once). */
MsAlignment *ms_align_texts (const MsChars *ref, const MsWords *ref_words, const MsChars *gen,
                             const MsWords *gen_words, const MsVocab *vocab,
                             const MsAlignParams *params, GError **error);

G_END_DECLS
