/* Memorization scores of one sample: UTF-8 decoding that survives invalid bytes, the shared word
 * tokenization, exact and token-match scores, longest shared character run, ROUGE-L and BLEU.
 * The PAN-style alignment lives in ms-align.c; ms_sample_scores_compute ties them together. */
#include "probe/ms-scores.h"

#include <math.h>
#include <string.h>

#include "common/ms-error.h"
#include "probe/ms-align.h"

/* ---- Token-level scores -------------------------------------------------------------------- */

gboolean
ms_score_exact (const gint32 *ref, gsize n_ref, const gint32 *gen, gsize n_gen)
{
  if (n_ref == 0 || n_gen < n_ref)
    return FALSE;
  return memcmp (ref, gen, n_ref * sizeof (gint32)) == 0;
}

double
ms_score_token_match (const gint32 *ref, gsize n_ref, const gint32 *gen, gsize n_gen)
{
  if (n_ref == 0)
    return 0.0;
  gsize m = MIN (n_ref, n_gen), hits = 0;
  for (gsize i = 0; i < m; i++)
    hits += ref[i] == gen[i];
  return (double) hits / (double) n_ref;
}

/* ---- Longest shared run -------------------------------------------------------------------- */

void
ms_score_shared_run (const MsChars *ref, const MsChars *gen, MsSharedRun *out)
{
  memset (out, 0, sizeof *out);
  out->length = ms_chars_longest_shared_run (ref->chars, ref->n_chars, gen->chars, gen->n_chars,
                                             &out->ref_start, &out->gen_start);
  out->ref_byte_start = ref->byte_offsets[out->ref_start];
  out->ref_byte_end = ref->byte_offsets[out->ref_start + out->length];
  out->gen_byte_start = gen->byte_offsets[out->gen_start];
  out->gen_byte_end = gen->byte_offsets[out->gen_start + out->length];
}

void
ms_score_shared_run_str (const char *ref, gssize ref_len, const char *gen, gssize gen_len,
                         MsSharedRun *out)
{
  g_autoptr (MsChars) r = ms_chars_decode (ref, ref_len);
  g_autoptr (MsChars) g = ms_chars_decode (gen, gen_len);
  ms_score_shared_run (r, g, out);
}

/* ---- ROUGE-L ------------------------------------------------------------------------------- */

static gsize
lcs_length (const guint32 *a, gsize na, const guint32 *b, gsize nb)
{
  if (nb > na)
    return lcs_length (b, nb, a, na);
  if (nb == 0)
    return 0;
  /* prev/cur: LCS of a[0..i) with b[0..j), two rows over the shorter text. */
  gsize *prev = g_new0 (gsize, nb + 1), *cur = g_new0 (gsize, nb + 1);
  for (gsize i = 1; i <= na; i++)
    {
      for (gsize j = 1; j <= nb; j++)
        cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : MAX (prev[j], cur[j - 1]);
      gsize *t = prev;
      prev = cur;
      cur = t;
    }
  gsize len = prev[nb];
  g_free (prev);
  g_free (cur);
  return len;
}

void
ms_score_rouge_l (const MsWords *ref, const MsWords *gen, MsRougeL *out)
{
  memset (out, 0, sizeof *out);
  out->lcs_words = lcs_length (ref->ids, ref->n_words, gen->ids, gen->n_words);
  if (out->lcs_words == 0)
    return;
  out->precision = (double) out->lcs_words / (double) gen->n_words;
  out->recall = (double) out->lcs_words / (double) ref->n_words;
  out->f1 = 2.0 * out->precision * out->recall / (out->precision + out->recall);
}

void
ms_score_rouge_l_str (const char *ref, gssize ref_len, const char *gen, gssize gen_len,
                      MsRougeL *out)
{
  g_autoptr (MsVocab) vocab = ms_vocab_new ();
  g_autoptr (MsChars) rc = ms_chars_decode (ref, ref_len);
  g_autoptr (MsChars) gc = ms_chars_decode (gen, gen_len);
  g_autoptr (MsWords) rw = ms_words_split (rc, vocab);
  g_autoptr (MsWords) gw = ms_words_split (gc, vocab);
  ms_score_rouge_l (rw, gw, out);
}

/* ---- BLEU ---------------------------------------------------------------------------------- */

typedef struct {
  const guint32 *ids;
  gsize n;  /* n-gram order */
} NgramCtx;

static int
ngram_cmp (const guint32 *a, const guint32 *b, gsize n)
{
  for (gsize k = 0; k < n; k++)
    if (a[k] != b[k])
      return a[k] < b[k] ? -1 : 1;
  return 0;
}

static gint
ngram_pos_cmp (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const NgramCtx *ctx = data;
  gsize a = *(const gsize *) pa, b = *(const gsize *) pb;
  int c = ngram_cmp (ctx->ids + a, ctx->ids + b, ctx->n);
  return c != 0 ? c : (a > b) - (a < b);
}

/* Start positions of the n-grams of IDS, sorted so that equal n-grams are adjacent. */
static gsize *
sorted_ngrams (const guint32 *ids, gsize len, gsize n, gsize *count)
{
  *count = len >= n ? len - n + 1 : 0;
  gsize *pos = g_new (gsize, *count + 1);
  for (gsize i = 0; i < *count; i++)
    pos[i] = i;
  NgramCtx ctx = { ids, n };
  g_qsort_with_data (pos, *count, sizeof (gsize), ngram_pos_cmp, &ctx);
  return pos;
}

/* Matches of generation n-grams, each clipped to its count in the reference. */
static gsize
clipped_matches (const MsWords *ref, const MsWords *gen, gsize n, gsize *gen_total)
{
  gsize nr, ng, hits = 0;
  g_autofree gsize *r = sorted_ngrams (ref->ids, ref->n_words, n, &nr);
  g_autofree gsize *g = sorted_ngrams (gen->ids, gen->n_words, n, &ng);
  gsize i = 0, j = 0;
  while (i < nr && j < ng)
    {
      int c = ngram_cmp (ref->ids + r[i], gen->ids + g[j], n);
      if (c < 0)
        i++;
      else if (c > 0)
        j++;
      else
        {
          gsize ci = 0, cj = 0;
          const guint32 *key = gen->ids + g[j];
          while (i < nr && ngram_cmp (ref->ids + r[i], key, n) == 0)
            i++, ci++;
          while (j < ng && ngram_cmp (gen->ids + g[j], key, n) == 0)
            j++, cj++;
          hits += MIN (ci, cj);
        }
    }
  *gen_total = ng;
  return hits;
}

double
ms_score_bleu (const MsWords *ref, const MsWords *gen)
{
  double log_sum = 0;
  for (gsize n = 1; n <= 4; n++)
    {
      gsize total;
      gsize hits = clipped_matches (ref, gen, n, &total);
      double denom = (double) MAX (total, 1);
      if (hits == 0 && n == 1)
        return 0.0;
      log_sum += 0.25 * log (hits == 0 ? MS_BLEU_EPSILON / denom : (double) hits / denom);
    }
  double c = (double) gen->n_words, r = (double) ref->n_words;
  double bp = c > r ? 1.0 : exp (1.0 - r / c);  /* c > 0: some unigram matched */
  return bp * exp (log_sum);
}

double
ms_score_bleu_str (const char *ref, gssize ref_len, const char *gen, gssize gen_len)
{
  g_autoptr (MsVocab) vocab = ms_vocab_new ();
  g_autoptr (MsChars) rc = ms_chars_decode (ref, ref_len);
  g_autoptr (MsChars) gc = ms_chars_decode (gen, gen_len);
  g_autoptr (MsWords) rw = ms_words_split (rc, vocab);
  g_autoptr (MsWords) gw = ms_words_split (gc, vocab);
  return ms_score_bleu (rw, gw);
}

/* ---- One sample ---------------------------------------------------------------------------- */

gboolean
ms_sample_scores_compute (const gint32 *ref_tokens, gsize n_ref_tokens,
                          const gint32 *gen_tokens, gsize n_gen_tokens,
                          const char *ref_text, gssize ref_len,
                          const char *gen_text, gssize gen_len,
                          const MsAlignParams *params, MsSampleScores *out, GError **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (ref_tokens != NULL || n_ref_tokens == 0, FALSE);
  g_return_val_if_fail (gen_tokens != NULL || n_gen_tokens == 0, FALSE);
  memset (out, 0, sizeof *out);

  MsAlignParams defaults;
  if (params == NULL)
    {
      ms_align_params_init (&defaults);
      params = &defaults;
    }
  if (!ms_align_params_check (params, error))
    return FALSE;

  out->exact = ms_score_exact (ref_tokens, n_ref_tokens, gen_tokens, n_gen_tokens);
  out->token_match = ms_score_token_match (ref_tokens, n_ref_tokens, gen_tokens, n_gen_tokens);

  g_autoptr (MsVocab) vocab = ms_vocab_new ();
  g_autoptr (MsChars) rc = ms_chars_decode (ref_text, ref_len);
  g_autoptr (MsChars) gc = ms_chars_decode (gen_text, gen_len);
  g_autoptr (MsWords) rw = ms_words_split (rc, vocab);
  g_autoptr (MsWords) gw = ms_words_split (gc, vocab);

  ms_score_shared_run (rc, gc, &out->run);
  out->lcs_chars = out->run.length;
  out->verbatim = out->lcs_chars >= MS_VERBATIM_MIN_CHARS;

  MsRougeL rouge;
  ms_score_rouge_l (rw, gw, &rouge);
  out->rouge_l_f1 = rouge.f1;
  out->rouge_l_p = rouge.precision;
  out->rouge_l_r = rouge.recall;
  out->bleu = ms_score_bleu (rw, gw);

  g_autoptr (MsAlignment) al = ms_align_texts (rc, rw, gc, gw, vocab, params, error);
  if (al == NULL)
    return FALSE;
  out->align_gen_cov = al->gen_coverage;
  out->align_ref_cov = al->ref_coverage;
  out->paraphrase = al->paraphrase;
  out->idea = al->idea;
  out->n_align_spans = al->n_spans;
  return TRUE;
}

MsMemoCategory
ms_sample_category (const MsSampleScores *scores)
{
  if (scores->verbatim)
    return MS_MEMO_VERBATIM;
  if (scores->paraphrase)
    return MS_MEMO_PARAPHRASE;
  if (scores->idea)
    return MS_MEMO_IDEA;
  return MS_MEMO_NONE;
}

const char *
ms_memo_category_name (MsMemoCategory category)
{
  switch (category)
    {
    case MS_MEMO_NONE: return "none";
    case MS_MEMO_IDEA: return "idea";
    case MS_MEMO_PARAPHRASE: return "paraphrase";
    case MS_MEMO_VERBATIM: return "verbatim";
    }
  return "unknown";
}
