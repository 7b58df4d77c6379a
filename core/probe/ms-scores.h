/* Memorization measures for one probed sample: a reference continuation (the training suffix)
 * against a model's generation. Token level: exact k-extractable match and token-match fraction;
 * text level: longest shared character run (verbatim), ROUGE-L, BLEU, and (ms-align.h) PAN-style
 * alignment for paraphrase and idea overlap. Pure host code; no input text makes it fail. */
#pragma once

#include <glib.h>

#include "probe/ms-chars.h"

G_BEGIN_DECLS

/* ---- Token-level scores (token ids of the model's tokenizer) ------------------------------ */

/* Carlini et al. 2022 "k-extractable": the generation's first N_REF tokens equal the reference.
 * FALSE when the reference is empty (there is nothing to extract) or the generation shorter. */
gboolean ms_score_exact (const gint32 *ref, gsize n_ref, const gint32 *gen, gsize n_gen);
/* Biderman et al. 2023: fraction of positions i < N_REF with gen[i] == ref[i]; positions past
 * the end of the generation count as mismatches. 0 when the reference is empty. */
double ms_score_token_match (const gint32 *ref, gsize n_ref, const gint32 *gen, gsize n_gen);

/* ---- Longest shared character run (longest common substring) ----------------------------- */

/* MS_VERBATIM_MIN_CHARS: ms-chars.h. */
typedef struct {
  gsize length;                          /* characters */
  gsize ref_start, gen_start;            /* first character of the run in each text */
  gsize ref_byte_start, ref_byte_end;    /* the same run as byte ranges, end exclusive */
  gsize gen_byte_start, gen_byte_end;
} MsSharedRun;

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
