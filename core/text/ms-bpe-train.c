/* Learning a byte-level BPE vocabulary: count the pre-token words of the corpus, then merge
 * the most frequent adjacent pair again and again over the table of distinct words, keeping
 * pair counts up to date incrementally (only the words that hold the merged pair are visited). */
#include "text/ms-bpe-private.h"

#include <string.h>

#include "common/ms-error.h"

#define MAX_VOCAB (1u << 24)

/* ---- a growing open-addressing map from 64-bit keys to 32-bit values */

typedef struct {
  guint64 *keys;  /* (mask + 1), G_MAXUINT64 = empty */
  guint32 *vals;
  guint mask, used;
} U64Map;

static inline guint
mix64 (guint64 k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  return (guint) (k ^ (k >> 33));
}

static void
u64map_init (U64Map *m, guint cap)
{
  m->keys = g_new (guint64, cap);
  m->vals = g_new (guint32, cap);
  m->mask = cap - 1;
  m->used = 0;
  memset (m->keys, 0xFF, cap * sizeof (guint64));
}

static void
u64map_clear (U64Map *m)
{
  g_clear_pointer (&m->keys, g_free);
  g_clear_pointer (&m->vals, g_free);
}

/* The slot of KEY: holds KEY, or is empty. */
static inline guint
u64map_slot (const U64Map *m, guint64 key)
{
  guint i = mix64 (key) & m->mask;
  while (m->keys[i] != key && m->keys[i] != G_MAXUINT64)
    i = (i + 1) & m->mask;
  return i;
}

static void
u64map_put (U64Map *m, guint64 key, guint32 val)
{
  if (2 * (m->used + 1) > m->mask + 1)
    {
      U64Map old = *m;
      u64map_init (m, 2 * (old.mask + 1));
      for (guint i = 0; i <= old.mask; i++)
        if (old.keys[i] != G_MAXUINT64)
          u64map_put (m, old.keys[i], old.vals[i]);
      u64map_clear (&old);
    }
  guint i = u64map_slot (m, key);
  m->used += m->keys[i] == G_MAXUINT64;
  m->keys[i] = key;
  m->vals[i] = val;
}

/* ---- word counts */

typedef struct {
  guint32 off, len;  /* word bytes in the key pool */
  guint64 count;
} WordEntry;

struct _MsBpeTrainer {
  GByteArray *pool;   /* bytes of the distinct words */
  GArray *words;      /* WordEntry */
  guint32 *slots;     /* (mask + 1) word index + 1, 0 = empty */
  guint64 *hashes;    /* (mask + 1) */
  guint mask;
  guint64 n_words;
};

static inline guint64
word_hash (const guint8 *s, gsize n)
{
  guint64 h = 0xcbf29ce484222325ull;
  for (gsize i = 0; i < n; i++)
    h = (h ^ s[i]) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

MsBpeTrainer *
ms_bpe_trainer_new (void)
{
  MsBpeTrainer *t = g_new0 (MsBpeTrainer, 1);
  t->pool = g_byte_array_new ();
  t->words = g_array_new (FALSE, FALSE, sizeof (WordEntry));
  t->mask = 4095;
  t->slots = g_new0 (guint32, t->mask + 1);
  t->hashes = g_new0 (guint64, t->mask + 1);
  return t;
}

void
ms_bpe_trainer_free (MsBpeTrainer *t)
{
  if (t == NULL)
    return;
  g_byte_array_unref (t->pool);
  g_array_unref (t->words);
  g_free (t->slots);
  g_free (t->hashes);
  g_free (t);
}

static void
count_word (MsBpeTrainer *t, const guint8 *w, gsize n)
{
  guint64 h = word_hash (w, n);
  guint i = h & t->mask;
  for (;; i = (i + 1) & t->mask)
    {
      guint32 s = t->slots[i];
      if (s == 0)
        break;
      WordEntry *e = &g_array_index (t->words, WordEntry, s - 1);
      if (t->hashes[i] == h && e->len == n && memcmp (t->pool->data + e->off, w, n) == 0)
        {
          e->count++;
          return;
        }
    }
  WordEntry e = { t->pool->len, n, 1 };
  g_byte_array_append (t->pool, w, n);
  g_array_append_val (t->words, e);
  t->slots[i] = t->words->len;
  t->hashes[i] = h;
  if (2 * t->words->len > t->mask + 1)
    {
      guint cap = 2 * (t->mask + 1);
      guint32 *slots = g_new0 (guint32, cap);
      guint64 *hashes = g_new0 (guint64, cap);
      for (guint k = 0; k <= t->mask; k++)
        if (t->slots[k] != 0)
          {
            guint j = t->hashes[k] & (cap - 1);
            while (slots[j] != 0)
              j = (j + 1) & (cap - 1);
            slots[j] = t->slots[k];
            hashes[j] = t->hashes[k];
          }
      g_free (t->slots);
      g_free (t->hashes);
      t->slots = slots;
      t->hashes = hashes;
      t->mask = cap - 1;
    }
}

void
ms_bpe_trainer_add_text (MsBpeTrainer *t, const char *text, gsize len)
{
  for (gsize pos = 0; pos < len;)
    {
      gsize end = ms_bpe_pretoken_end (text, len, pos);
      count_word (t, (const guint8 *) text + pos, end - pos);
      t->n_words++;
      pos = end;
    }
}

gboolean
ms_bpe_trainer_add_file (MsBpeTrainer *t, const char *path, GError **error)
{
  g_autoptr (GMappedFile) f = g_mapped_file_new (path, FALSE, error);
  if (f == NULL)
    return FALSE;
  ms_bpe_trainer_add_text (t, g_mapped_file_get_contents (f), g_mapped_file_get_length (f));
  return TRUE;
}

guint64
ms_bpe_trainer_n_distinct (const MsBpeTrainer *t)
{
  return t->words->len;
}

guint64
ms_bpe_trainer_n_words (const MsBpeTrainer *t)
{
  return t->n_words;
}

/* ---- the merge loop */

typedef struct {
  guint32 left, right;
  gint64 count;        /* weighted by word frequency */
  GArray *words;       /* guint32 indices of words that hold (or held) the pair */
  guint32 changed_at;  /* last merge that changed count */
} Pair;

typedef struct {
  gint64 count;
  guint32 pair;
} HeapEntry;

typedef struct {
  GPtrArray *tokens;   /* GBytes by id */
  GArray *pairs;       /* Pair */
  U64Map pair_index;   /* left << 32 | right -> index into pairs */
  HeapEntry *heap;
  gsize heap_len, heap_cap;
  GArray *changed;     /* guint32 pair indices changed by the current merge */
  guint32 merge;       /* number of the current merge */
} State;

static int
bytes_cmp (GBytes *a, GBytes *b)
{
  gsize la, lb;
  const guint8 *da = g_bytes_get_data (a, &la), *db = g_bytes_get_data (b, &lb);
  int c = memcmp (da, db, MIN (la, lb));
  return c != 0 ? c : (la > lb) - (la < lb);
}

/* TRUE when heap entry A must be taken before B: larger count, then smaller bytes. */
static gboolean
before (const State *st, const HeapEntry *a, const HeapEntry *b)
{
  if (a->count != b->count)
    return a->count > b->count;
  const Pair *pa = &g_array_index (st->pairs, Pair, a->pair);
  const Pair *pb = &g_array_index (st->pairs, Pair, b->pair);
  int c = bytes_cmp (st->tokens->pdata[pa->left], st->tokens->pdata[pb->left]);
  if (c == 0)
    c = bytes_cmp (st->tokens->pdata[pa->right], st->tokens->pdata[pb->right]);
  return c < 0;
}

static void
heap_push (State *st, gint64 count, guint32 pair)
{
  if (st->heap_len == st->heap_cap)
    {
      st->heap_cap = MAX (1024, 2 * st->heap_cap);
      st->heap = g_renew (HeapEntry, st->heap, st->heap_cap);
    }
  HeapEntry v = { count, pair };
  gsize i = st->heap_len++;
  while (i > 0 && before (st, &v, &st->heap[(i - 1) / 2]))
    {
      st->heap[i] = st->heap[(i - 1) / 2];
      i = (i - 1) / 2;
    }
  st->heap[i] = v;
}

static HeapEntry
heap_pop (State *st)
{
  HeapEntry top = st->heap[0], v = st->heap[--st->heap_len];
  gsize i = 0, n = st->heap_len;
  for (;;)
    {
      gsize c = 2 * i + 1;
      if (c >= n)
        break;
      if (c + 1 < n && before (st, &st->heap[c + 1], &st->heap[c]))
        c++;
      if (!before (st, &st->heap[c], &v))
        break;
      st->heap[i] = st->heap[c];
      i = c;
    }
  if (n > 0)
    st->heap[i] = v;
  return top;
}

/* Adds DELTA to the count of pair (LEFT, RIGHT) in word W. */
static void
pair_add (State *st, guint32 left, guint32 right, gint64 delta, guint32 w)
{
  guint64 key = ((guint64) left << 32) | right;
  guint slot = u64map_slot (&st->pair_index, key);
  guint32 idx;
  if (st->pair_index.keys[slot] == key)
    idx = st->pair_index.vals[slot];
  else
    {
      Pair p = { left, right, 0, g_array_new (FALSE, FALSE, sizeof (guint32)), G_MAXUINT32 };
      idx = st->pairs->len;
      g_array_append_val (st->pairs, p);
      u64map_put (&st->pair_index, key, idx);
    }
  Pair *p = &g_array_index (st->pairs, Pair, idx);
  p->count += delta;
  if (delta > 0 && (p->words->len == 0
                    || g_array_index (p->words, guint32, p->words->len - 1) != w))
    g_array_append_val (p->words, w);
  if (p->changed_at != st->merge)
    {
      p->changed_at = st->merge;
      g_array_append_val (st->changed, idx);
    }
}

static void
state_clear (State *st)
{
  for (guint i = 0; i < st->pairs->len; i++)
    {
      Pair *p = &g_array_index (st->pairs, Pair, i);
      if (p->words)
        g_array_unref (p->words);
    }
  g_array_unref (st->pairs);
  g_array_unref (st->changed);
  u64map_clear (&st->pair_index);
  g_free (st->heap);
}

static void
say (MsBpeProgressFunc progress, gpointer user_data, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
say (MsBpeProgressFunc progress, gpointer user_data, const char *format, ...)
{
  if (progress == NULL)
    return;
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  progress (msg, user_data);
}

MsBpe *
ms_bpe_trainer_train (MsBpeTrainer *t, guint vocab_size, MsBpeProgressFunc progress,
                      gpointer user_data, GError **error)
{
  if (vocab_size < 257 || vocab_size > MAX_VOCAB)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "vocabulary size %u: expected 257 (256 bytes + <|endoftext|>) to %u",
                   vocab_size, MAX_VOCAB);
      return NULL;
    }
  gint64 t0 = g_get_monotonic_time ();
  State st = { 0 };
  st.tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  st.pairs = g_array_new (FALSE, FALSE, sizeof (Pair));
  st.changed = g_array_new (FALSE, FALSE, sizeof (guint32));
  u64map_init (&st.pair_index, 1u << 16);
  g_autoptr (GHashTable) token_ids = g_hash_table_new (g_bytes_hash, g_bytes_equal);

  /* GPT-2's byte order: ids rise with the byte-level character of each byte. */
  guint8 byte_of_id[256];
  guint n_bytes = 0;
  for (guint b = 0; b < 256; b++)
    if (ms_bpe_byte_to_char (b) < 256)
      byte_of_id[n_bytes++] = b;
  for (guint b = 0; b < 256; b++)
    if (ms_bpe_byte_to_char (b) >= 256)
      byte_of_id[n_bytes++] = b;
  guint32 id_of_byte[256];
  for (guint i = 0; i < 256; i++)
    {
      GBytes *tok = g_bytes_new (&byte_of_id[i], 1);
      g_ptr_array_add (st.tokens, tok);
      g_hash_table_insert (token_ids, tok, GUINT_TO_POINTER (i + 1));
      id_of_byte[byte_of_id[i]] = i;
    }

  /* Words as symbol sequences, one pool; each word shrinks in place as merges apply. */
  guint n_words = t->words->len;
  g_autofree guint32 *sym = g_new (guint32, MAX (t->pool->len, 1));
  g_autofree guint32 *seen = g_new (guint32, MAX (n_words, 1));
  for (guint i = 0; i < t->pool->len; i++)
    sym[i] = id_of_byte[t->pool->data[i]];
  GArray *words = g_array_copy (t->words);
  st.merge = 0;
  for (guint w = 0; w < n_words; w++)
    {
      const WordEntry *e = &g_array_index (words, WordEntry, w);
      seen[w] = G_MAXUINT32;
      for (guint i = 0; i + 1 < e->len; i++)
        pair_add (&st, sym[e->off + i], sym[e->off + i + 1], e->count, w);
    }
  for (guint i = 0; i < st.pairs->len; i++)
    heap_push (&st, g_array_index (st.pairs, Pair, i).count, i);
  g_array_set_size (st.changed, 0);
  say (progress, user_data, "%u distinct words of %" G_GUINT64_FORMAT ", %u pairs; merging",
       n_words, t->n_words, st.pairs->len);

  g_autoptr (GArray) merges = g_array_new (FALSE, FALSE, sizeof (guint32));
  gint64 last_report = g_get_monotonic_time ();
  while (st.tokens->len < vocab_size - 1 && st.heap_len > 0)
    {
      HeapEntry top = heap_pop (&st);
      Pair *p = &g_array_index (st.pairs, Pair, top.pair);
      if (top.count != p->count || p->count <= 0)
        continue;  /* stale: the pair's count changed since this entry was pushed */
      guint32 a = p->left, b = p->right;
      gint64 count = p->count;
      GBytes *ba = st.tokens->pdata[a], *bb = st.tokens->pdata[b];
      GByteArray *joined = g_byte_array_sized_new (g_bytes_get_size (ba) + g_bytes_get_size (bb));
      g_byte_array_append (joined, g_bytes_get_data (ba, NULL), g_bytes_get_size (ba));
      g_byte_array_append (joined, g_bytes_get_data (bb, NULL), g_bytes_get_size (bb));
      GBytes *tok = g_byte_array_free_to_bytes (joined);
      guint32 c = GPOINTER_TO_UINT (g_hash_table_lookup (token_ids, tok));
      if (c == 0)
        {
          /* A new string; one made before by another split of it keeps its id. */
          c = st.tokens->len;
          g_ptr_array_add (st.tokens, tok);
          g_hash_table_insert (token_ids, tok, GUINT_TO_POINTER (c + 1));
        }
      else
        {
          c--;
          g_bytes_unref (tok);
        }
      guint32 m[3] = { a, b, c };
      g_array_append_vals (merges, m, 3);
      st.merge = merges->len / 3;

      /* Merge every occurrence, left to right, in every word that holds the pair, moving the
       * counts of the neighbouring pairs: (x, a) -> (x, c) and (b, y) -> (c, y). */
      GArray *list = p->words;
      p->words = g_array_new (FALSE, FALSE, sizeof (guint32));
      for (guint k = 0; k < list->len; k++)
        {
          guint32 w = g_array_index (list, guint32, k);
          if (seen[w] == st.merge)
            continue;
          seen[w] = st.merge;
          WordEntry *e = &g_array_index (words, WordEntry, w);
          guint32 *s = sym + e->off;
          gint64 f = e->count;
          guint out = 0;
          for (guint i = 0; i < e->len;)
            if (i + 1 < e->len && s[i] == a && s[i + 1] == b)
              {
                if (out > 0)
                  {
                    pair_add (&st, s[out - 1], a, -f, w);
                    pair_add (&st, s[out - 1], c, f, w);
                  }
                if (i + 2 < e->len)
                  {
                    pair_add (&st, b, s[i + 2], -f, w);
                    pair_add (&st, c, s[i + 2], f, w);
                  }
                s[out++] = c;
                i += 2;
              }
            else
              s[out++] = s[i++];
          e->len = out;
        }
      g_array_unref (list);
      /* No occurrence is left: left-to-right merging leaves no adjacent (a, b). */
      p = &g_array_index (st.pairs, Pair, top.pair);
      p->count = 0;
      for (guint k = 0; k < st.changed->len; k++)
        {
          guint32 idx = g_array_index (st.changed, guint32, k);
          const Pair *q = &g_array_index (st.pairs, Pair, idx);
          if (q->count > 0)
            heap_push (&st, q->count, idx);
        }
      g_array_set_size (st.changed, 0);

      gint64 now = g_get_monotonic_time ();
      if (progress && (now - last_report > G_USEC_PER_SEC || st.tokens->len + 1 >= vocab_size))
        {
          g_autoptr (GString) s = g_string_new (NULL);
          ms_bpe_append_byte_string (s, g_bytes_get_data (st.tokens->pdata[c], NULL),
                                     g_bytes_get_size (st.tokens->pdata[c]));
          say (progress, user_data, "merge %u: %u/%u tokens, \"%s\" (count %" G_GINT64_FORMAT
               "), %.1f s", st.merge, st.tokens->len + 1, vocab_size, s->str, count,
               (now - t0) / 1e6);
          last_report = now;
        }
    }
  if (st.tokens->len < vocab_size - 1)
    say (progress, user_data, "no pair left to merge: the vocabulary has %u tokens, not %u",
         st.tokens->len + 1, vocab_size);

  /* A learned token lies inside one pre-token, and "<|endoftext|>" spans several, so it is
   * always new here. */
  GBytes *eot = g_bytes_new_static (MS_BPE_EOT_STRING, strlen (MS_BPE_EOT_STRING));
  g_assert (g_hash_table_lookup (token_ids, eot) == NULL);
  g_ptr_array_add (st.tokens, eot);

  MsBpe *bpe = ms_bpe_build (st.tokens, merges, "trained vocabulary", 0, error);
  g_array_unref (words);
  g_ptr_array_unref (st.tokens);
  state_clear (&st);
  return bpe;
}
