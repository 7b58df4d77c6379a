/* Memorization measures for one probed sample: a reference continuation (the training suffix)
 * against a model's generation. Token level: exact k-extractable match and token-match fraction;
 * text level: longest shared character run (verbatim), ROUGE-L, BLEU, and (ms-align.h) PAN-style
 * alignment for paraphrase and idea overlap. Pure host code; no input text makes it fail. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- Characters --------------------------------------------------------------------------
 * Text is counted in characters = Unicode code points. A byte that does not belong to a
 * well-formed UTF-8 sequence (stray continuation byte, truncated or overlong sequence, encoded
 * surrogate, code point above U+10FFFF) counts as one character of its own, with the value
 * MS_CHAR_INVALID + byte: outside Unicode, so it only ever equals the same invalid byte. This is
 * what Python's bytes.decode ("utf-8", "surrogateescape") does, which the tests use as reference.
 * No Unicode normalization is applied (NFC and NFD spellings of a word differ). */
#define MS_CHAR_INVALID 0x110000u

typedef struct {
  gunichar *chars;      /* (n_chars) code points, or MS_CHAR_INVALID + byte */
  gsize *byte_offsets;  /* (n_chars + 1) byte offset of each character; the last is the length */
  gsize n_chars;
} MsChars;

/* Decodes LEN bytes of TEXT (LEN < 0: up to the NUL). NULL text is the empty string. A NUL byte
 * inside an explicit LEN is an ordinary character (U+0000). Never fails. */
MsChars *ms_chars_decode (const char *text, gssize len);
void ms_chars_free (MsChars *chars);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsChars, ms_chars_free)

/* ---- Words -------------------------------------------------------------------------------
 * The one word tokenization used by ROUGE-L, BLEU and the alignment:
 *  - a word is a maximal run of word characters: letters, digits and other numbers
 *    (g_unichar_isalnum: Unicode categories L*, Nd, Nl, No) and combining marks (Mn, Mc, Me, so
 *    that decomposed accents stay inside their word);
 *  - everything else separates words: spaces, punctuation, symbols, emoji, invalid bytes;
 *  - exception: a Han, Hiragana or Katakana character is a word on its own, because those
 *    scripts do not separate words with spaces (one token per character, as sacreBLEU's zh
 *    tokenizer does);
 *  - words are lower-cased per code point (g_unichar_tolower, without the special casings of
 *    Python's str.lower: "İ" becomes "i", not "i" + U+0307).
 * Words are interned in an MsVocab so that texts tokenized with the same vocab compare by id. */
typedef struct _MsVocab MsVocab;

MsVocab *ms_vocab_new (void);
void ms_vocab_free (MsVocab *vocab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsVocab, ms_vocab_free)
/* Id of WORD (UTF-8, already lower-cased), added when new. Ids count up from 0. */
guint32 ms_vocab_intern (MsVocab *vocab, const char *word);
const char *ms_vocab_word (const MsVocab *vocab, guint32 id);
guint32 ms_vocab_size (const MsVocab *vocab);

typedef struct {
  guint32 *ids;       /* (n_words) ids in the vocab the text was split with */
  gsize *char_start;  /* (n_words) first character of each word in the MsChars */
  gsize *char_end;    /* (n_words) one past its last character */
  gsize n_words;
} MsWords;

MsWords *ms_words_split (const MsChars *text, MsVocab *vocab);
void ms_words_free (MsWords *words);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsWords, ms_words_free)
/* TRUE for the characters that form one-character words (Han, Hiragana, Katakana). */
gboolean ms_char_is_ideographic (gunichar c);

/* ---- Token-level scores (token ids of the model's tokenizer) ------------------------------ */

/* Carlini et al. 2022 "k-extractable": the generation's first N_REF tokens equal the reference.
 * FALSE when the reference is empty (there is nothing to extract) or the generation shorter. */
gboolean ms_score_exact (const gint32 *ref, gsize n_ref, const gint32 *gen, gsize n_gen);
/* Biderman et al. 2023: fraction of positions i < N_REF with gen[i] == ref[i]; positions past
 * the end of the generation count as mismatches. 0 when the reference is empty. */
double ms_score_token_match (const gint32 *ref, gsize n_ref, const gint32 *gen, gsize n_gen);

/* ---- Longest shared character run (longest common substring) ----------------------------- */

/* A shared run of at least this many characters makes a sample verbatim memorized (the paper's
 * rule, after Lee et al. 2023). */
#define MS_VERBATIM_MIN_CHARS 50

typedef struct {
  gsize length;                          /* characters */
  gsize ref_start, gen_start;            /* first character of the run in each text */
  gsize ref_byte_start, ref_byte_end;    /* the same run as byte ranges, end exclusive */
  gsize gen_byte_start, gen_byte_end;
} MsSharedRun;

/* Longest common substring of A and B in O(na * nb) time and O(min (na, nb)) memory. Among runs
 * of the longest length it returns the one that starts first in A, then first in B. Returns the
 * length (0, with both starts 0, when nothing is shared). */
gsize ms_chars_longest_shared_run (const gunichar *a, gsize na, const gunichar *b, gsize nb,
                                   gsize *a_start, gsize *b_start);
void ms_score_shared_run (const MsChars *ref, const MsChars *gen, MsSharedRun *out);
void ms_score_shared_run_str (const char *ref, gssize ref_len, const char *gen, gssize gen_len,
                              MsSharedRun *out);

/* ---- ROUGE-L and BLEU over words (tokenization above) ------------------------------------ */

typedef struct {
  gsize lcs_words;   /* length of the longest common subsequence of words */
  double precision;  /* lcs / generation words */
  double recall;     /* lcs / reference words */
  double f1;         /* 2PR / (P + R), i.e. ROUGE-L F with beta = 1; 0 when P + R = 0 */
} MsRougeL;

/* P, R and F1 are 0 when either text has no words (as the rouge-score package does). */
void ms_score_rouge_l (const MsWords *ref, const MsWords *gen, MsRougeL *out);
void ms_score_rouge_l_str (const char *ref, gssize ref_len, const char *gen, gssize gen_len,
                           MsRougeL *out);

/* Sentence-level BLEU-4 of the generation against the single reference, as NLTK 3.8's
 * sentence_bleu (weights 1/4 each) with SmoothingFunction(epsilon=0.1).method1:
 *   p_n = clipped matching n-grams / max (1, generation n-grams); a p_n with no match becomes
 *   0.1 / max (1, generation n-grams); BLEU = BP * exp (sum_n log (p_n) / 4), where
 *   BP = 1 if c > r, else exp (1 - r / c), c and r the generation and reference word counts.
 * It is 0 when no unigram matches (in particular for an empty generation or reference). */
#define MS_BLEU_EPSILON 0.1
double ms_score_bleu (const MsWords *ref, const MsWords *gen);
double ms_score_bleu_str (const char *ref, gssize ref_len, const char *gen, gssize gen_len);

/* ---- All scores of one sample ------------------------------------------------------------ */

typedef struct _MsAlignParams MsAlignParams;  /* ms-align.h */

typedef struct {
  gboolean exact;        /* ms_score_exact on the token ids */
  double token_match;    /* ms_score_token_match */
  gsize lcs_chars;       /* longest shared character run */
  gboolean verbatim;     /* lcs_chars >= MS_VERBATIM_MIN_CHARS */
  MsSharedRun run;       /* where that run is */
  double rouge_l_f1, rouge_l_p, rouge_l_r;
  double bleu;
  double align_gen_cov;  /* fraction of generation characters inside aligned spans */
  double align_ref_cov;  /* fraction of reference characters inside aligned spans */
  gboolean paraphrase;   /* an aligned span pair exists that holds no verbatim run */
  gboolean idea;         /* the alignment's summary mode fired */
  guint n_align_spans;
} MsSampleScores;

/* Computes every score of one sample: token ids for the exact and token-match scores, the
 * decoded texts of the same reference and generation for the rest. PARAMS may be NULL for the
 * defaults of ms_align_params_init. Fails (FALSE, MS_ERROR_INVALID) only on invalid PARAMS.
 * The flags are not exclusive; ms_sample_category gives the one-label view. */
gboolean ms_sample_scores_compute (const gint32 *ref_tokens, gsize n_ref_tokens,
                                   const gint32 *gen_tokens, gsize n_gen_tokens,
                                   const char *ref_text, gssize ref_len,
                                   const char *gen_text, gssize gen_len,
                                   const MsAlignParams *params, MsSampleScores *out,
                                   GError **error);

/* Lee et al. 2023's plagiarism types as one label, strongest first: a sample that is verbatim
 * is not also counted as paraphrase or idea. */
typedef enum {
  MS_MEMO_NONE,
  MS_MEMO_IDEA,
  MS_MEMO_PARAPHRASE,
  MS_MEMO_VERBATIM,
} MsMemoCategory;

MsMemoCategory ms_sample_category (const MsSampleScores *scores);
const char *ms_memo_category_name (MsMemoCategory category);  /* "none", "idea", ... */

G_END_DECLS
