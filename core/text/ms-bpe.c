/* The byte-level BPE tokenizer: tables built from a vocabulary and ranked merges, encoding
 * (pre-tokens, then merges by rank exactly as GPT-2's bpe() applies them, with a word cache)
 * and decoding. Files are read and written in ms-bpe-files.c, vocabularies learned in
 * ms-bpe-train.c. */
#include "text/ms-bpe-private.h"

#include <string.h>

#include "common/ms-error.h"

#define CACHE_MAX_WORD 256          /* longer words are rare and not cached */
#define CACHE_MAX_ENTRIES (1u << 20) /* then the cache starts over */
#define DEAD G_MAXUINT32

/* ---- GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68
 * bytes (controls, space, DEL, NBSP, soft hyphen) map in order to U+0100 upwards. */

static inline gboolean
byte_is_printable (guint b)
{
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

gunichar
ms_bpe_byte_to_char (guint8 b)
{
  if (byte_is_printable (b))
    return b;
  guint n = 0;
  for (guint i = 0; i < b; i++)
    n += !byte_is_printable (i);
  return 256 + n;
}

gint
ms_bpe_char_to_byte (gunichar c)
{
  if (c < 256)
    return byte_is_printable (c) ? (gint) c : -1;
  guint n = 0;
  for (guint b = 0; b < 256; b++)
    if (!byte_is_printable (b) && 256 + n++ == c)
      return b;
  return -1;
}

void
ms_bpe_append_byte_string (GString *s, const guint8 *bytes, gsize len)
{
  static gunichar map[256];
  static gsize ready;
  if (g_once_init_enter (&ready))
    {
      for (guint b = 0; b < 256; b++)
        map[b] = ms_bpe_byte_to_char (b);
      g_once_init_leave (&ready, 1);
    }
  for (gsize i = 0; i < len; i++)
    g_string_append_unichar (s, map[bytes[i]]);
}

/* ---- tables */

static inline guint64
pair_key (guint32 left, guint32 right)
{
  return ((guint64) left << 32) | right;
}

static inline guint
pair_hash (guint64 key)
{
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdull;
  key ^= key >> 33;
  return (guint) key;
}

guint32
ms_bpe_rank (const MsBpe *bpe, guint32 left, guint32 right)
{
  if (bpe->rank_keys == NULL)
    return MS_BPE_NO_RANK;
  guint64 key = pair_key (left, right);
  for (guint i = pair_hash (key) & bpe->rank_mask;; i = (i + 1) & bpe->rank_mask)
    {
      if (bpe->rank_keys[i] == key)
        return bpe->rank_vals[i];
      if (bpe->rank_keys[i] == G_MAXUINT64)
        return MS_BPE_NO_RANK;
    }
}

MsBpe *
ms_bpe_build (GPtrArray *tokens, GArray *merges, const char *where, guint first_line,
              GError **error)
{
  g_autoptr (MsBpe) bpe = g_new0 (MsBpe, 1);
  g_mutex_init (&bpe->cache_lock);
  bpe->n_vocab = tokens->len;
  bpe->eot = -1;
  bpe->tok_off = g_new (guint32, bpe->n_vocab + 1);
  gsize total = 0;
  for (guint i = 0; i < tokens->len; i++)
    {
      bpe->tok_off[i] = total;
      total += g_bytes_get_size (tokens->pdata[i]);
      if (total >= G_MAXUINT32)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: the vocabulary is too large", where);
          return NULL;
        }
    }
  bpe->tok_off[bpe->n_vocab] = total;
  bpe->tok_bytes = g_malloc (total + 1);
  for (guint32 b = 0; b < 256; b++)
    bpe->byte_id[b] = DEAD;
  for (guint i = 0; i < tokens->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (tokens->pdata[i], &len);
      if (len > 0)
        memcpy (bpe->tok_bytes + bpe->tok_off[i], data, len);
      if (len == 1)
        bpe->byte_id[data[0]] = i;
      if (len == strlen (MS_BPE_EOT_STRING) && memcmp (data, MS_BPE_EOT_STRING, len) == 0)
        bpe->eot = i;
    }
  for (guint b = 0; b < 256; b++)
    if (bpe->byte_id[b] == DEAD)
      {
        g_autoptr (GString) s = g_string_new (NULL);
        guint8 byte = b;
        ms_bpe_append_byte_string (s, &byte, 1);
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                     "%s: no token for byte 0x%02x (\"%s\"); a byte-level vocabulary needs all "
                     "256", where, b, s->str);
        return NULL;
      }

  bpe->n_merges = merges->len / 3;
  bpe->merge_left = g_new (guint32, bpe->n_merges + 1);
  bpe->merge_right = g_new (guint32, bpe->n_merges + 1);
  bpe->merge_result = g_new (guint32, bpe->n_merges + 1);
  guint cap = 16;
  while (cap < 2 * bpe->n_merges)
    cap *= 2;
  bpe->rank_mask = cap - 1;
  bpe->rank_keys = g_new (guint64, cap);
  bpe->rank_vals = g_new (guint32, cap);
  for (guint i = 0; i < cap; i++)
    bpe->rank_keys[i] = G_MAXUINT64;
  for (guint r = 0; r < bpe->n_merges; r++)
    {
      const guint32 *m = &g_array_index (merges, guint32, 3 * r);
      g_return_val_if_fail (m[0] < bpe->n_vocab && m[1] < bpe->n_vocab && m[2] < bpe->n_vocab,
                            NULL);
      bpe->merge_left[r] = m[0];
      bpe->merge_right[r] = m[1];
      bpe->merge_result[r] = m[2];
      guint64 key = pair_key (m[0], m[1]);
      guint i = pair_hash (key) & bpe->rank_mask;
      while (bpe->rank_keys[i] != G_MAXUINT64 && bpe->rank_keys[i] != key)
        i = (i + 1) & bpe->rank_mask;
      if (bpe->rank_keys[i] == key)
        {
          g_autofree char *l = ms_bpe_token_string (bpe, m[0]);
          g_autofree char *rr = ms_bpe_token_string (bpe, m[1]);
          if (first_line > 0)
            g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                         "%s:%u: merge \"%s %s\" repeats line %u", where, first_line + r, l, rr,
                         first_line + bpe->rank_vals[i]);
          else
            g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                         "%s: merge %u \"%s %s\" repeats merge %u", where, r, l, rr,
                         bpe->rank_vals[i]);
          return NULL;
        }
      bpe->rank_keys[i] = key;
      bpe->rank_vals[i] = r;
    }
  return g_steal_pointer (&bpe);
}

static void
cache_clear (MsBpeCache *c)
{
  g_clear_pointer (&c->slots, g_free);
  g_clear_pointer (&c->keys, g_byte_array_unref);
  g_clear_pointer (&c->vals, g_array_unref);
  c->mask = c->used = 0;
}

void
ms_bpe_free (MsBpe *bpe)
{
  if (bpe == NULL)
    return;
  g_free (bpe->tok_off);
  g_free (bpe->tok_bytes);
  g_free (bpe->merge_left);
  g_free (bpe->merge_right);
  g_free (bpe->merge_result);
  g_free (bpe->rank_keys);
  g_free (bpe->rank_vals);
  cache_clear (&bpe->cache);
  g_mutex_clear (&bpe->cache_lock);
  g_free (bpe);
}

guint
ms_bpe_vocab_size (const MsBpe *bpe)
{
  return bpe->n_vocab;
}

guint
ms_bpe_n_merges (const MsBpe *bpe)
{
  return bpe->n_merges;
}

gint
ms_bpe_eot (const MsBpe *bpe)
{
  return bpe->eot;
}

const guint8 *
ms_bpe_token_bytes (const MsBpe *bpe, guint id, gsize *len)
{
  if (id >= bpe->n_vocab)
    return NULL;
  *len = bpe->tok_off[id + 1] - bpe->tok_off[id];
  return bpe->tok_bytes + bpe->tok_off[id];
}

char *
ms_bpe_token_string (const MsBpe *bpe, guint id)
{
  gsize len;
  const guint8 *b = ms_bpe_token_bytes (bpe, id, &len);
  if (b == NULL)
    return NULL;
  GString *s = g_string_sized_new (2 * len + 1);
  ms_bpe_append_byte_string (s, b, len);
  return g_string_free (s, FALSE);
}

gint
ms_bpe_lookup (const MsBpe *bpe, const char *str)
{
  /* Rare (command line, tests): a linear scan keeps MsBpe free of a second map. */
  g_autoptr (GByteArray) want = g_byte_array_new ();
  for (const char *p = str; *p; p = g_utf8_next_char (p))
    {
      gint b = ms_bpe_char_to_byte (g_utf8_get_char (p));
      if (b < 0)
        return -1;
      guint8 byte = b;
      g_byte_array_append (want, &byte, 1);
    }
  for (guint i = 0; i < bpe->n_vocab; i++)
    if (bpe->tok_off[i + 1] - bpe->tok_off[i] == want->len
        && memcmp (bpe->tok_bytes + bpe->tok_off[i], want->data, want->len) == 0)
      return i;
  return -1;
}

/* ---- word cache (caller holds cache_lock) */

static inline guint64
bytes_hash (const guint8 *s, gsize n)
{
  guint64 h = 0xcbf29ce484222325ull;
  for (gsize i = 0; i < n; i++)
    h = (h ^ s[i]) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

static MsBpeCacheSlot *
cache_find (MsBpeCache *c, const guint8 *w, gsize n, guint64 h)
{
  if (c->slots == NULL)
    return NULL;
  for (guint i = h & c->mask;; i = (i + 1) & c->mask)
    {
      MsBpeCacheSlot *s = &c->slots[i];
      if (s->key_len == 0)
        return s;
      if (s->hash == h && s->key_len == n && memcmp (c->keys->data + s->key_off, w, n) == 0)
        return s;
    }
}

static void
cache_insert (MsBpeCache *c, const guint8 *w, gsize n, guint64 h, const guint32 *ids,
              guint n_ids)
{
  if (c->used >= CACHE_MAX_ENTRIES)
    cache_clear (c);
  if (c->slots == NULL || 2 * (c->used + 1) > c->mask + 1)
    {
      guint cap = c->slots ? 2 * (c->mask + 1) : 4096;
      MsBpeCacheSlot *old = c->slots;
      guint old_cap = c->slots ? c->mask + 1 : 0;
      c->slots = g_new0 (MsBpeCacheSlot, cap);
      c->mask = cap - 1;
      for (guint i = 0; i < old_cap; i++)
        if (old[i].key_len > 0)
          {
            guint j = old[i].hash & c->mask;
            while (c->slots[j].key_len > 0)
              j = (j + 1) & c->mask;
            c->slots[j] = old[i];
          }
      g_free (old);
      if (c->keys == NULL)
        {
          c->keys = g_byte_array_new ();
          c->vals = g_array_new (FALSE, FALSE, sizeof (guint32));
        }
    }
  MsBpeCacheSlot *s = cache_find (c, w, n, h);
  if (s->key_len > 0)
    return;
  s->hash = h;
  s->key_off = c->keys->len;
  s->key_len = n;
  s->val_off = c->vals->len;
  s->val_len = n_ids;
  g_byte_array_append (c->keys, w, n);
  g_array_append_vals (c->vals, ids, n_ids);
  c->used++;
}

/* ---- BPE of one word */

typedef struct {
  guint32 *id;     /* (cap) token of each symbol; DEAD once merged into its left neighbour */
  gint32 *next, *prev;
  guint64 *heap;   /* (3 * cap) min-heap of rank << 32 | position of the pair's left symbol */
  guint32 *touched;
  gsize cap;
} Scratch;

static void
scratch_reserve (Scratch *sc, gsize n)
{
  if (n <= sc->cap)
    return;
  sc->cap = MAX (n, 2 * sc->cap);
  sc->id = g_renew (guint32, sc->id, sc->cap);
  sc->next = g_renew (gint32, sc->next, sc->cap);
  sc->prev = g_renew (gint32, sc->prev, sc->cap);
  sc->heap = g_renew (guint64, sc->heap, 3 * sc->cap + 4);
  sc->touched = g_renew (guint32, sc->touched, sc->cap);
}

static void
scratch_free (Scratch *sc)
{
  g_free (sc->id);
  g_free (sc->next);
  g_free (sc->prev);
  g_free (sc->heap);
  g_free (sc->touched);
}

static inline void
heap_push (guint64 *h, gsize *n, guint64 v)
{
  gsize i = (*n)++;
  while (i > 0 && h[(i - 1) / 2] > v)
    {
      h[i] = h[(i - 1) / 2];
      i = (i - 1) / 2;
    }
  h[i] = v;
}

static inline guint64
heap_pop (guint64 *h, gsize *n)
{
  guint64 top = h[0], v = h[--(*n)];
  gsize i = 0;
  for (;;)
    {
      gsize c = 2 * i + 1;
      if (c >= *n)
        break;
      if (c + 1 < *n && h[c + 1] < h[c])
        c++;
      if (h[c] >= v)
        break;
      h[i] = h[c];
      i = c;
    }
  if (*n > 0)
    h[i] = v;
  return top;
}

/* GPT-2's bpe(): while some adjacent pair has a rank, take the lowest rank and merge all its
 * occurrences left to right. Done with a heap of pairs instead of rescanning the word, so long
 * words cost O(n log n); stale heap entries are recognised by checking the symbols. */
static void
bpe_word (const MsBpe *bpe, const guint8 *w, gsize n, Scratch *sc, GArray *out)
{
  scratch_reserve (sc, n);
  guint32 *id = sc->id;
  gint32 *next = sc->next, *prev = sc->prev;
  gsize hn = 0;
  for (gsize i = 0; i < n; i++)
    {
      id[i] = bpe->byte_id[w[i]];
      next[i] = i + 1 < n ? (gint32) (i + 1) : -1;
      prev[i] = (gint32) i - 1;
    }
  for (gsize i = 0; i + 1 < n; i++)
    {
      guint32 r = ms_bpe_rank (bpe, id[i], id[i + 1]);
      if (r != MS_BPE_NO_RANK)
        heap_push (sc->heap, &hn, ((guint64) r << 32) | i);
    }
  while (hn > 0)
    {
      guint32 r = sc->heap[0] >> 32;
      guint32 left = bpe->merge_left[r], right = bpe->merge_right[r];
      gsize n_touched = 0;
      /* Entries of one rank pop in position order: this is the left-to-right pass. A repeated
       * or stale entry fails the check of the two symbols (a merged symbol is never LEFT). */
      while (hn > 0 && (sc->heap[0] >> 32) == r)
        {
          gint32 p = (gint32) (heap_pop (sc->heap, &hn) & 0xFFFFFFFFu);
          gint32 j = next[p];
          if (j < 0 || id[p] != left || id[j] != right)
            continue;
          id[p] = bpe->merge_result[r];
          id[j] = DEAD;
          next[p] = next[j];
          if (next[j] >= 0)
            prev[next[j]] = p;
          sc->touched[n_touched++] = p;
        }
      for (gsize t = 0; t < n_touched; t++)
        {
          gint32 p = sc->touched[t];
          if (prev[p] >= 0)
            {
              guint32 r2 = ms_bpe_rank (bpe, id[prev[p]], id[p]);
              if (r2 != MS_BPE_NO_RANK)
                heap_push (sc->heap, &hn, ((guint64) r2 << 32) | (guint32) prev[p]);
            }
          if (next[p] >= 0)
            {
              guint32 r2 = ms_bpe_rank (bpe, id[p], id[next[p]]);
              if (r2 != MS_BPE_NO_RANK)
                heap_push (sc->heap, &hn, ((guint64) r2 << 32) | (guint32) p);
            }
        }
    }
  for (gint32 p = 0; p >= 0; p = next[p])
    g_array_append_val (out, id[p]);
}

static void
encode_word (MsBpe *bpe, const guint8 *w, gsize n, Scratch *sc, GArray *out)
{
  if (n == 1)
    {
      g_array_append_val (out, bpe->byte_id[w[0]]);
      return;
    }
  gboolean cacheable = n <= CACHE_MAX_WORD;
  guint64 h = 0;
  if (cacheable)
    {
      h = bytes_hash (w, n);
      g_mutex_lock (&bpe->cache_lock);
      MsBpeCacheSlot *s = cache_find (&bpe->cache, w, n, h);
      if (s != NULL && s->key_len > 0)
        {
          g_array_append_vals (out, &g_array_index (bpe->cache.vals, guint32, s->val_off),
                               s->val_len);
          g_mutex_unlock (&bpe->cache_lock);
          return;
        }
      g_mutex_unlock (&bpe->cache_lock);
    }
  guint start = out->len;
  bpe_word (bpe, w, n, sc, out);
  if (cacheable)
    {
      g_mutex_lock (&bpe->cache_lock);
      cache_insert (&bpe->cache, w, n, h, &g_array_index (out, guint32, start), out->len - start);
      g_mutex_unlock (&bpe->cache_lock);
    }
}

void
ms_bpe_encode (MsBpe *bpe, const char *text, gsize len, GArray *ids)
{
  g_return_if_fail (g_array_get_element_size (ids) == sizeof (guint32));
  Scratch sc = { 0 };
  const guint8 *s = (const guint8 *) text;
  for (gsize pos = 0; pos < len;)
    {
      gsize end = ms_bpe_pretoken_end (text, len, pos);
      encode_word (bpe, s + pos, end - pos, &sc, ids);
      pos = end;
    }
  scratch_free (&sc);
}

gboolean
ms_bpe_decode (const MsBpe *bpe, const guint32 *ids, gsize n, GByteArray *out, GError **error)
{
  for (gsize i = 0; i < n; i++)
    {
      if (ids[i] >= bpe->n_vocab)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "token %u at position %zu is not in the vocabulary (%u tokens)", ids[i], i,
                       bpe->n_vocab);
          return FALSE;
        }
      g_byte_array_append (out, bpe->tok_bytes + bpe->tok_off[ids[i]],
                           bpe->tok_off[ids[i] + 1] - bpe->tok_off[ids[i]]);
    }
  return TRUE;
}
