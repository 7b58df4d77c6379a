/* Internals of MsBpe shared by the tokenizer (ms-bpe.c), its file format (ms-bpe-files.c) and
 * the trainer (ms-bpe-train.c). Not part of the library's API. */
#pragma once

#include "text/ms-bpe.h"

/* Cache of encoded words: word bytes -> ids, open addressing. Keys and values live in two
 * growing pools; the whole cache is dropped when it gets too big. */
typedef struct {
  guint64 hash;
  guint32 key_off, key_len;  /* into keys */
  guint32 val_off, val_len;  /* into vals */
} MsBpeCacheSlot;

typedef struct {
  MsBpeCacheSlot *slots;  /* (mask + 1); key_len == 0 marks an empty slot */
  guint mask, used;
  GByteArray *keys;
  GArray *vals;           /* guint32 */
} MsBpeCache;

struct _MsBpe {
  guint n_vocab;
  guint32 *tok_off;       /* (n_vocab + 1) offsets of each token's bytes into tok_bytes */
  guint8 *tok_bytes;
  guint32 byte_id[256];   /* the single-byte token of each byte */
  gint eot;

  guint n_merges;         /* merge r (its rank) joins left[r] and right[r] into result[r] */
  guint32 *merge_left, *merge_right, *merge_result;
  guint64 *rank_keys;     /* (rank_mask + 1) open addressing: (left << 32 | right) -> rank */
  guint32 *rank_vals;
  guint rank_mask;

  GMutex cache_lock;
  MsBpeCache cache;
};

#define MS_BPE_NO_RANK G_MAXUINT32

/* Builds an MsBpe from token byte strings (GBytes, id = index) and merges (a guint32 array
 * of triples left, right, result in rank order). The caller has checked that token strings are distinct
 * and that each merge's result is the concatenation of its parts; this checks that every byte
 * has a token and that no pair is merged twice. Errors name WHERE and, when FIRST_LINE > 0,
 * the line of the merge (merge r on line FIRST_LINE + r). Takes no ownership. */
MsBpe *ms_bpe_build (GPtrArray *tokens, GArray *merges, const char *where, guint first_line,
                     GError **error);
guint32 ms_bpe_rank (const MsBpe *bpe, guint32 left, guint32 right);

/* GPT-2's reversible map from bytes to printable characters (bytes_to_unicode). */
gunichar ms_bpe_byte_to_char (guint8 b);
/* The byte of C, or -1 when C is not one of the 256 characters. */
gint ms_bpe_char_to_byte (gunichar c);
/* Appends the byte-level string of BYTES to S. */
void ms_bpe_append_byte_string (GString *s, const guint8 *bytes, gsize len);
