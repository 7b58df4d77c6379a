/* PAN 2014-style text alignment (seeding, extension, filtering, summary mode) of a generation
 * against its reference; see ms-align.h for what follows Sanchez-Perez et al. and what is
 * simplified. Documents here are a few sentences, so sentence vectors are dense. */
#include "probe/ms-align.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/ms-error.h"

void
ms_align_params_init (MsAlignParams *p)
{
  memset (p, 0, sizeof *p);
  p->seed_cosine = 0.30;
  p->seed_dice = 0.33;
  p->fragment_cosine = 0.34;
  p->gen_gap = 4;
  p->ref_gap = 4;
  p->gap_least = 0;
  p->gen_gap_summary = 24;
  p->ref_gap_summary = 24;
  p->summary_ratio = 3.0;
  p->min_sentence_words = 3;
  p->min_word_chars = 3;
  p->remove_stopwords = TRUE;
  p->min_fragment_chars = 50;
  p->verbatim_min_chars = MS_VERBATIM_MIN_CHARS;
}

static gboolean
check_unit (const char *name, double v, GError **error)
{
  if (v >= 0.0 && v <= 1.0)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
               "alignment parameter %s = %g: expected a value in [0, 1]", name, v);
  return FALSE;
}

gboolean
ms_align_params_check (const MsAlignParams *p, GError **error)
{
  if (!check_unit ("seed_cosine", p->seed_cosine, error)
      || !check_unit ("seed_dice", p->seed_dice, error)
      || !check_unit ("fragment_cosine", p->fragment_cosine, error))
    return FALSE;
  if (p->gap_least > MIN (p->gen_gap, p->ref_gap)
      || p->gap_least > MIN (p->gen_gap_summary, p->ref_gap_summary))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "alignment parameter gap_least = %u: expected at most every maxgap "
                   "(%u, %u, %u, %u)", p->gap_least, p->gen_gap, p->ref_gap,
                   p->gen_gap_summary, p->ref_gap_summary);
      return FALSE;
    }
  if (!(p->summary_ratio > 0.0) || !isfinite (p->summary_ratio))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "alignment parameter summary_ratio = %g: expected a positive number",
                   p->summary_ratio);
      return FALSE;
    }
  return TRUE;
}

/* ---- Sentences ----------------------------------------------------------------------------- */

static gboolean
is_space (gunichar c)
{
  return c < MS_CHAR_INVALID && g_unichar_isspace (c);
}

static gboolean
is_newline (gunichar c)
{
  return c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85 || c == 0x2028
         || c == 0x2029;
}

static gboolean
is_terminator (gunichar c)
{
  return c == '.' || c == '!' || c == '?' || c == 0x2026 /* … */ || c == 0x203D /* ‽ */;
}

static gboolean
is_cjk_terminator (gunichar c)
{
  return c == 0x3002 /* 。 */ || c == 0xFF01 /* ！ */ || c == 0xFF1F /* ？ */;
}

static gboolean
is_closer (gunichar c)
{
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == 0xBB /* » */
         || c == 0x2019 /* ’ */ || c == 0x201D /* ” */ || c == 0x300D /* 」 */
         || c == 0x300F /* 』 */ || c == 0xFF09 /* ） */;
}

static void
push_sentence (GArray *out, const MsChars *text, gsize start, gsize end)
{
  while (end > start && is_space (text->chars[end - 1]))
    end--;
  if (end > start)
    {
      MsCharSpan s = { start, end };
      g_array_append_val (out, s);
    }
}

MsCharSpan *
ms_align_sentences (const MsChars *text, gsize *n_sentences)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (MsCharSpan));
  const gunichar *c = text->chars;
  gsize n = text->n_chars, i = 0, start = 0;
  gboolean open = FALSE;

  while (i < n)
    {
      if (!open)
        {
          if (is_space (c[i]))
            {
              i++;
              continue;
            }
          open = TRUE;
          start = i;
        }
      if (is_newline (c[i]))
        {
          push_sentence (out, text, start, i);
          open = FALSE;
          i++;
          continue;
        }
      if (!is_terminator (c[i]) && !is_cjk_terminator (c[i]))
        {
          i++;
          continue;
        }
      gboolean cjk = FALSE;
      gsize j = i;
      while (j < n && (is_terminator (c[j]) || is_cjk_terminator (c[j])))
        cjk |= is_cjk_terminator (c[j++]);
      while (j < n && is_closer (c[j]))
        j++;
      gboolean ends = cjk || j == n;
      if (!ends && is_space (c[j]))
        {
          /* "e.g. this" and "approx. ten" go on; a capital, digit or anything else starts anew. */
          gsize k = j;
          while (k < n && is_space (c[k]) && !is_newline (c[k]))
            k++;
          ends = k == n || is_newline (c[k]) || c[k] >= MS_CHAR_INVALID
                 || !g_unichar_islower (c[k]);
        }
      if (ends)
        {
          push_sentence (out, text, start, j);
          open = FALSE;
        }
      i = j;
    }
  if (open)
    push_sentence (out, text, start, n);
  *n_sentences = out->len;
  return (MsCharSpan *) g_array_free (out, FALSE);
}

/* ---- Sentence vectors ---------------------------------------------------------------------- */

static const char *const stopwords[] = {  /* NLTK's English list, sorted for bsearch */
  "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are",
  "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
  "by", "can", "did", "do", "does", "doing", "don", "down", "during", "each", "few", "for",
  "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
  "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
  "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
  "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same", "she",
  "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them",
  "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
  "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
  "who", "whom", "why", "will", "with", "you", "your", "yours", "yourself", "yourselves"
};

static int
str_cmp (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
is_stopword (const char *w)
{
  return bsearch (&w, stopwords, G_N_ELEMENTS (stopwords), sizeof (char *), str_cmp) != NULL;
}

/* One document: its sentences after annexing, as dense tf (later tf-idf) rows. */
typedef struct {
  GArray *spans;   /* MsCharSpan per sentence */
  GArray *tokens;  /* guint: kept words per sentence */
  GPtrArray *rows; /* double[V] per sentence */
} Doc;

typedef struct {
  const MsAlignParams *p;
  guint V;                /* content words of both documents */
  Doc gen, ref;
  double *cos;            /* (n_gen, n_ref) sentence cosines */
  guint n_gen, n_ref;
} Ctx;

static void
doc_clear (Doc *d)
{
  g_clear_pointer (&d->spans, g_array_unref);
  g_clear_pointer (&d->tokens, g_array_unref);
  g_clear_pointer (&d->rows, g_ptr_array_unref);
}

/* Sentences and tf rows of one document; CONTENT maps vocab ids to column + 1 and grows. */
static void
doc_build (Doc *d, const MsChars *text, const MsWords *words, const MsVocab *vocab,
           const MsAlignParams *p, GHashTable *content, guint max_cols)
{
  gsize n_sent;
  g_autofree MsCharSpan *sents = ms_align_sentences (text, &n_sent);
  d->spans = g_array_new (FALSE, FALSE, sizeof (MsCharSpan));
  d->tokens = g_array_new (FALSE, FALSE, sizeof (guint));
  d->rows = g_ptr_array_new_with_free_func (g_free);

  gsize w = 0;
  for (gsize s = 0; s < n_sent; s++)
    {
      double *row = g_new0 (double, max_cols);
      guint kept = 0;
      for (; w < words->n_words && words->char_start[w] < sents[s].end; w++)
        {
          if (words->char_start[w] < sents[s].start)
            continue;  /* cannot happen: words never straddle white space */
          const char *word = ms_vocab_word (vocab, words->ids[w]);
          gsize len = words->char_end[w] - words->char_start[w];
          gboolean ideograph = len == 1
                               && ms_char_is_ideographic (text->chars[words->char_start[w]]);
          gboolean dropped = len < p->min_word_chars
                             || (p->remove_stopwords && is_stopword (word));
          if (!ideograph && dropped)
            continue;
          gpointer key = GUINT_TO_POINTER (words->ids[w] + 1);
          guint col = GPOINTER_TO_UINT (g_hash_table_lookup (content, key));
          if (col == 0)
            {
              col = g_hash_table_size (content) + 1;
              g_hash_table_insert (content, key, GUINT_TO_POINTER (col));
            }
          row[col - 1] += 1.0;
          kept++;
        }
      if (kept == 0)  /* the original drops sentences without words */
        {
          g_free (row);
          continue;
        }
      g_array_append_val (d->spans, sents[s]);
      g_array_append_val (d->tokens, kept);
      g_ptr_array_add (d->rows, row);
    }

  /* Annex short sentences to the next one (the last one stays as it is, as in the original). */
  guint i = 0;
  while (d->spans->len > 0 && i + 1 < d->spans->len)
    {
      guint ti = g_array_index (d->tokens, guint, i);
      if (ti >= p->min_sentence_words)
        {
          i++;
          continue;
        }
      double *a = g_ptr_array_index (d->rows, i), *b = g_ptr_array_index (d->rows, i + 1);
      for (guint k = 0; k < max_cols; k++)
        b[k] += a[k];
      g_array_index (d->tokens, guint, i + 1) += ti;
      MsCharSpan *spans = (MsCharSpan *) d->spans->data;
      spans[i + 1].start = spans[i].start;
      g_array_remove_index (d->spans, i);
      g_array_remove_index (d->tokens, i);
      g_ptr_array_remove_index (d->rows, i);
    }
}

static double
cosine (const double *a, const double *b, guint n)
{
  double ab = 0, aa = 0, bb = 0;
  for (guint k = 0; k < n; k++)
    {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
  return aa > 0 && bb > 0 ? ab / sqrt (aa * bb) : 0.0;
}

static double
dice (const double *a, const double *b, guint n)
{
  guint na = 0, nb = 0, both = 0;
  for (guint k = 0; k < n; k++)
    {
      na += a[k] > 0;
      nb += b[k] > 0;
      both += a[k] > 0 && b[k] > 0;
    }
  return na + nb > 0 ? 2.0 * both / (na + nb) : 0.0;
}

/* ---- Extension ----------------------------------------------------------------------------- */

typedef struct {
  guint gen, ref;  /* sentence indices */
} Seed;

typedef struct {
  guint g0, g1, r0, r1;  /* first and last sentence on each side */
  double cosine;
} Frag;

static int
seed_cmp_gen (const void *pa, const void *pb)
{
  const Seed *a = pa, *b = pb;
  if (a->gen != b->gen)
    return a->gen < b->gen ? -1 : 1;
  return (a->ref > b->ref) - (a->ref < b->ref);
}

static int
seed_cmp_ref (const void *pa, const void *pb)
{
  const Seed *a = pa, *b = pb;
  if (a->ref != b->ref)
    return a->ref < b->ref ? -1 : 1;
  return (a->gen > b->gen) - (a->gen < b->gen);
}

/* Splits SEEDS into runs of adjacent sentences on SIDE (0 generation, 1 reference), then splits
 * each run on the other side, and so on until a side no longer splits (the original's
 * clustering(); FIRST forces the second side to be tried even when the first did not split).
 * Appends each cluster to OUT as a GArray of Seed. */
static void
cluster (const Seed *seeds, guint n, int side, guint gap_gen, guint gap_ref, gboolean first,
         GPtrArray *out)
{
  if (n == 0)
    return;
  g_autofree Seed *s = g_memdup2 (seeds, n * sizeof (Seed));
  qsort (s, n, sizeof (Seed), side == 0 ? seed_cmp_gen : seed_cmp_ref);
  guint gap = side == 0 ? gap_gen : gap_ref;

  /* Group boundaries: sentence distance - 1 > gap. */
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (guint));
  guint zero = 0;
  g_array_append_val (starts, zero);
  for (guint i = 1; i < n; i++)
    {
      guint a = side == 0 ? s[i - 1].gen : s[i - 1].ref, b = side == 0 ? s[i].gen : s[i].ref;
      if (b - a > gap + 1)
        g_array_append_val (starts, i);
    }
  guint n_groups = starts->len;
  g_array_append_val (starts, n);
  for (guint k = 0; k < n_groups; k++)
    {
      guint a = g_array_index (starts, guint, k), b = g_array_index (starts, guint, k + 1);
      if (n_groups <= 1 && !first)
        {
          GArray *c = g_array_sized_new (FALSE, FALSE, sizeof (Seed), b - a);
          g_array_append_vals (c, s + a, b - a);
          g_ptr_array_add (out, c);
        }
      else
        cluster (s + a, b - a, 1 - side, gap_gen, gap_ref, FALSE, out);
    }
  g_array_unref (starts);
}

static double
fragment_cosine (const Ctx *x, const Frag *f)
{
  g_autofree double *g = g_new0 (double, x->V), *r = g_new0 (double, x->V);
  for (guint s = f->g0; s <= f->g1; s++)
    for (guint k = 0; k < x->V; k++)
      g[k] += ((double *) g_ptr_array_index (x->gen.rows, s))[k];
  for (guint s = f->r0; s <= f->r1; s++)
    for (guint k = 0; k < x->V; k++)
      r[k] += ((double *) g_ptr_array_index (x->ref.rows, s))[k];
  return cosine (g, r, x->V);
}

/* Keeps clusters whose fragment passes the cosine threshold; re-splits the others with a gap
 * one smaller on both sides until gap_least (the original's validation()). */
static void
validate (const Ctx *x, GArray *seeds, guint gap_gen, guint gap_ref, GArray *out)
{
  const Seed *s = (const Seed *) seeds->data;
  Frag f = { G_MAXUINT, 0, G_MAXUINT, 0, 0 };
  for (guint i = 0; i < seeds->len; i++)
    {
      f.g0 = MIN (f.g0, s[i].gen), f.g1 = MAX (f.g1, s[i].gen);
      f.r0 = MIN (f.r0, s[i].ref), f.r1 = MAX (f.r1, s[i].ref);
    }
  f.cosine = fragment_cosine (x, &f);
  if (f.cosine > x->p->fragment_cosine)
    {
      g_array_append_val (out, f);
      return;
    }
  if (gap_gen <= x->p->gap_least || gap_ref <= x->p->gap_least)
    return;
  g_autoptr (GPtrArray) sub = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  cluster (s, seeds->len, 0, gap_gen - 1, gap_ref - 1, TRUE, sub);
  for (guint k = 0; k < sub->len; k++)
    validate (x, g_ptr_array_index (sub, k), gap_gen - 1, gap_ref - 1, out);
}

/* ---- Filtering ----------------------------------------------------------------------------- */

/* The original's quality of fragment A where it overlaps fragment B on the generation side. */
static double
overlap_quality (const Ctx *x, const Frag *a, const Frag *b)
{
  double ol = 0, nol = 0;
  guint n_ol = 0, n_nol = 0;
  for (guint s = a->g0; s <= a->g1; s++)
    {
      double best = 0;
      for (guint r = a->r0; r <= a->r1; r++)
        best = MAX (best, x->cos[(gsize) s * x->n_ref + r]);
      if (s >= b->g0 && s <= b->g1)
        ol += best, n_ol++;
      else
        nol += best, n_nol++;
    }
  double q = n_ol ? ol / n_ol : 0.0;
  if (n_nol)
    q += (1 - q) * nol / n_nol;
  return q;
}

static int
frag_cmp (const void *pa, const void *pb)
{
  const Frag *a = pa, *b = pb;
  if (a->g0 != b->g0)
    return a->g0 < b->g0 ? -1 : 1;
  if (a->g1 != b->g1)
    return a->g1 < b->g1 ? -1 : 1;
  if (a->r0 != b->r0)
    return a->r0 < b->r0 ? -1 : 1;
  return (a->r1 > b->r1) - (a->r1 < b->r1);
}

static gsize
span_chars (const Doc *d, guint first, guint last)
{
  return g_array_index (d->spans, MsCharSpan, last).end
         - g_array_index (d->spans, MsCharSpan, first).start;
}

/* Seeds -> validated fragments -> one fragment per generation region -> long enough ones. */
static GArray *
extend_and_filter (const Ctx *x, const Seed *seeds, guint n_seeds, guint gap_gen, guint gap_ref)
{
  g_autoptr (GPtrArray) clusters = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  cluster (seeds, n_seeds, 0, gap_gen, gap_ref, TRUE, clusters);
  g_autoptr (GArray) frags = g_array_new (FALSE, FALSE, sizeof (Frag));
  for (guint k = 0; k < clusters->len; k++)
    validate (x, g_ptr_array_index (clusters, k), gap_gen, gap_ref, frags);
  if (frags->len > 1)
    qsort (frags->data, frags->len, sizeof (Frag), frag_cmp);

  GArray *kept = g_array_new (FALSE, FALSE, sizeof (Frag));
  for (guint i = 0; i < frags->len; i++)
    {
      Frag *c = &g_array_index (frags, Frag, i);
      Frag *k = kept->len ? &g_array_index (kept, Frag, kept->len - 1) : NULL;
      if (k == NULL || c->g0 > k->g1)
        {
          g_array_append_val (kept, *c);
          continue;
        }
      double qk = overlap_quality (x, k, c), qc = overlap_quality (x, c, k);
      gboolean take;
      if (qk > 0.99 && qc > 0.99)
        take = c->g1 - c->g0 > k->g1 - k->g0;
      else
        take = qc > qk;
      if (take)
        *k = *c;
    }

  GArray *res = g_array_new (FALSE, FALSE, sizeof (Frag));
  for (guint i = 0; i < kept->len; i++)
    {
      Frag *f = &g_array_index (kept, Frag, i);
      if (span_chars (&x->gen, f->g0, f->g1) >= x->p->min_fragment_chars
          && span_chars (&x->ref, f->r0, f->r1) >= x->p->min_fragment_chars)
        g_array_append_val (res, *f);
    }
  g_array_unref (kept);
  return res;
}

/* ---- Putting it together ------------------------------------------------------------------- */

static int
span_start_cmp (const void *pa, const void *pb)
{
  const MsCharSpan *a = pa, *b = pb;
  return (a->start > b->start) - (a->start < b->start);
}

/* Characters covered by the union of SPANS (sorted in place). */
static gsize
union_length (MsCharSpan *spans, guint n)
{
  qsort (spans, n, sizeof (MsCharSpan), span_start_cmp);
  gsize total = 0, cur_start = 0, cur_end = 0;
  for (guint i = 0; i < n; i++)
    {
      if (i == 0 || spans[i].start > cur_end)
        {
          total += cur_end - cur_start;
          cur_start = spans[i].start;
          cur_end = spans[i].end;
        }
      else
        cur_end = MAX (cur_end, spans[i].end);
    }
  return total + (cur_end - cur_start);
}

void
ms_alignment_free (MsAlignment *al)
{
  if (al == NULL)
    return;
  g_free (al->spans);
  g_free (al);
}

MsAlignment *
ms_align_texts (const MsChars *ref, const MsWords *ref_words, const MsChars *gen,
                const MsWords *gen_words, const MsVocab *vocab, const MsAlignParams *params,
                GError **error)
{
  MsAlignParams defaults;
  if (params == NULL)
    {
      ms_align_params_init (&defaults);
      params = &defaults;
    }
  if (!ms_align_params_check (params, error))
    return NULL;

  Ctx x = { .p = params };
  g_autoptr (GHashTable) content = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint max_cols = (guint) (ref_words->n_words + gen_words->n_words) + 1;
  doc_build (&x.ref, ref, ref_words, vocab, params, content, max_cols);
  doc_build (&x.gen, gen, gen_words, vocab, params, content, max_cols);
  x.V = g_hash_table_size (content);
  x.n_gen = x.gen.spans->len;
  x.n_ref = x.ref.spans->len;

  /* Smoothed idf over all sentences of both documents (see ms-align.h for why smoothed). */
  g_autofree double *idf = g_new0 (double, x.V + 1);
  Doc *docs[2] = { &x.ref, &x.gen };
  for (int d = 0; d < 2; d++)
    for (guint s = 0; s < docs[d]->rows->len; s++)
      for (guint k = 0; k < x.V; k++)
        idf[k] += ((double *) g_ptr_array_index (docs[d]->rows, s))[k] > 0;
  double N = x.n_gen + x.n_ref;
  for (guint k = 0; k < x.V; k++)
    idf[k] = log ((1.0 + N) / (1.0 + idf[k])) + 1.0;
  for (int d = 0; d < 2; d++)
    for (guint s = 0; s < docs[d]->rows->len; s++)
      for (guint k = 0; k < x.V; k++)
        ((double *) g_ptr_array_index (docs[d]->rows, s))[k] *= idf[k];

  /* Seeding. */
  x.cos = g_new0 (double, (gsize) x.n_gen * x.n_ref + 1);
  g_autoptr (GArray) seeds = g_array_new (FALSE, FALSE, sizeof (Seed));
  for (guint g = 0; g < x.n_gen; g++)
    for (guint r = 0; r < x.n_ref; r++)
      {
        const double *a = g_ptr_array_index (x.gen.rows, g), *b = g_ptr_array_index (x.ref.rows, r);
        double c = x.cos[(gsize) g * x.n_ref + r] = cosine (a, b, x.V);
        if (c >= params->seed_cosine && dice (a, b, x.V) >= params->seed_dice)
          {
            Seed s = { g, r };
            g_array_append_val (seeds, s);
          }
      }

  g_autoptr (GArray) frags = extend_and_filter (&x, (Seed *) seeds->data, seeds->len,
                                                params->gen_gap, params->ref_gap);
  g_autoptr (GArray) summary = extend_and_filter (&x, (Seed *) seeds->data, seeds->len,
                                                  params->gen_gap_summary,
                                                  params->ref_gap_summary);
  gsize sum_gen = 0, sum_ref = 0;
  for (guint i = 0; i < summary->len; i++)
    {
      Frag *f = &g_array_index (summary, Frag, i);
      sum_gen += span_chars (&x.gen, f->g0, f->g1);
      sum_ref += span_chars (&x.ref, f->r0, f->r1);
    }

  MsAlignment *al = g_new0 (MsAlignment, 1);
  al->n_seeds = seeds->len;
  al->n_gen_sentences = x.n_gen;
  al->n_ref_sentences = x.n_ref;
  al->idea = sum_ref > 0 && (double) sum_ref >= params->summary_ratio * (double) sum_gen;
  GArray *result = al->idea ? summary : frags;

  al->n_spans = result->len;
  al->spans = g_new0 (MsAlignSpan, result->len + 1);
  g_autofree MsCharSpan *gen_cov = g_new (MsCharSpan, result->len + 1);
  g_autofree MsCharSpan *ref_cov = g_new (MsCharSpan, result->len + 1);
  for (guint i = 0; i < result->len; i++)
    {
      const Frag *f = &g_array_index (result, Frag, i);
      MsAlignSpan *sp = &al->spans[i];
      sp->gen_start = g_array_index (x.gen.spans, MsCharSpan, f->g0).start;
      sp->gen_end = g_array_index (x.gen.spans, MsCharSpan, f->g1).end;
      sp->ref_start = g_array_index (x.ref.spans, MsCharSpan, f->r0).start;
      sp->ref_end = g_array_index (x.ref.spans, MsCharSpan, f->r1).end;
      sp->gen_byte_start = gen->byte_offsets[sp->gen_start];
      sp->gen_byte_end = gen->byte_offsets[sp->gen_end];
      sp->ref_byte_start = ref->byte_offsets[sp->ref_start];
      sp->ref_byte_end = ref->byte_offsets[sp->ref_end];
      sp->cosine = f->cosine;
      sp->shared_run = ms_chars_longest_shared_run (ref->chars + sp->ref_start,
                                                    sp->ref_end - sp->ref_start,
                                                    gen->chars + sp->gen_start,
                                                    sp->gen_end - sp->gen_start, NULL, NULL);
      sp->verbatim = sp->shared_run >= params->verbatim_min_chars;
      al->paraphrase |= !sp->verbatim;
      gen_cov[i] = (MsCharSpan) { sp->gen_start, sp->gen_end };
      ref_cov[i] = (MsCharSpan) { sp->ref_start, sp->ref_end };
    }
  if (gen->n_chars > 0)
    al->gen_coverage = (double) union_length (gen_cov, result->len) / (double) gen->n_chars;
  if (ref->n_chars > 0)
    al->ref_coverage = (double) union_length (ref_cov, result->len) / (double) ref->n_chars;

  g_free (x.cos);
  doc_clear (&x.gen);
  doc_clear (&x.ref);
  return al;
}

MsAlignment *
ms_align (const char *ref, gssize ref_len, const char *gen, gssize gen_len,
          const MsAlignParams *params, GError **error)
{
  g_autoptr (MsVocab) vocab = ms_vocab_new ();
  g_autoptr (MsChars) rc = ms_chars_decode (ref, ref_len);
  g_autoptr (MsChars) gc = ms_chars_decode (gen, gen_len);
  g_autoptr (MsWords) rw = ms_words_split (rc, vocab);
  g_autoptr (MsWords) gw = ms_words_split (gc, vocab);
  return ms_align_texts (rc, rw, gc, gw, vocab, params, error);
}
