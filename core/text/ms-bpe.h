/* Byte-level BPE tokenizer in the format of GPT-2 (encoder.json + vocab.bpe): load, encode,
 * decode, save, and train a new vocabulary on text. Encoding equals OpenAI's GPT-2 encoder token
 * for token on valid UTF-8 and round-trips any bytes (see ms_bpe_pretoken_end for invalid UTF-8). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_BPE_ENCODER_FILE "encoder.json"
#define MS_BPE_MERGES_FILE "vocab.bpe"
#define MS_BPE_EOT_STRING "<|endoftext|>"

typedef struct _MsBpe MsBpe;

/* Loads DIR/encoder.json and DIR/vocab.bpe. */
MsBpe *ms_bpe_load (const char *dir, GError **error);
MsBpe *ms_bpe_load_files (const char *encoder_path, const char *merges_path, GError **error);
/* Writes DIR/encoder.json and DIR/vocab.bpe (DIR is created; each file replaced atomically). */
gboolean ms_bpe_save (const MsBpe *bpe, const char *dir, GError **error);
void ms_bpe_free (MsBpe *bpe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsBpe, ms_bpe_free)

guint ms_bpe_vocab_size (const MsBpe *bpe);
guint ms_bpe_n_merges (const MsBpe *bpe);
/* The id of <|endoftext|>, or -1 when the vocabulary has none. */
gint ms_bpe_eot (const MsBpe *bpe);
/* The bytes of token ID (not NUL-terminated), or NULL when ID is out of range. */
const guint8 *ms_bpe_token_bytes (const MsBpe *bpe, guint id, gsize *len);
/* Token ID as written in encoder.json ("Ġthe"; byte-level, always valid UTF-8), or NULL. */
char *ms_bpe_token_string (const MsBpe *bpe, guint id);
/* The id of the token whose encoder.json string is STR, or -1. */
gint ms_bpe_lookup (const MsBpe *bpe, const char *str);

/* Appends the ids (guint32) of TEXT[0..LEN) to IDS. Never fails: every byte sequence has an
 * encoding. Safe to call from several threads on one MsBpe (the word cache is locked). */
void ms_bpe_encode (MsBpe *bpe, const char *text, gsize len, GArray *ids);
/* Appends the bytes of IDS[0..N) to OUT; fails (MS_ERROR_INVALID) on an id out of range. */
gboolean ms_bpe_decode (const MsBpe *bpe, const guint32 *ids, gsize n, GByteArray *out,
                        GError **error);

/* GPT-2's pre-tokenizer, the regular expression
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * run on code points, written out by hand. \s is JavaScript's whitespace set, \p{L} and \p{N}
 * the letter and number general categories from GLib's Unicode tables (code points that are
 * newer than GLib's Unicode version count as "other"). Invalid UTF-8: every byte
 * that does not start a valid, complete, shortest-form sequence (no surrogates, at most
 * U+10FFFF) is one character of its own in the "other" class [^\s\p{L}\p{N}], so it joins
 * punctuation runs. Returns the end (> POS) of the pre-token that starts at POS < LEN. */
gsize ms_bpe_pretoken_end (const char *text, gsize len, gsize pos);

/* The character classes the pre-tokenizer uses, for a code point. */
typedef enum {
  MS_BPE_CLASS_LETTER,  /* \p{L} */
  MS_BPE_CLASS_NUMBER,  /* \p{N} */
  MS_BPE_CLASS_SPACE,   /* JavaScript's \s */
  MS_BPE_CLASS_OTHER,
} MsBpeClass;
MsBpeClass ms_bpe_char_class (gunichar c);

/* Training: count the pre-token words of the texts first, then learn merges over the
 * word-frequency table. The result has the 256 byte tokens (in GPT-2's order, so ids 0-255 are
 * GPT-2's), one token per merge, and <|endoftext|> as the last id. Ties between pairs of equal
 * count go to the pair whose (left bytes, right bytes) sorts first (memcmp, shorter first). */
typedef struct _MsBpeTrainer MsBpeTrainer;
typedef void (*MsBpeProgressFunc) (const char *message, gpointer user_data);

MsBpeTrainer *ms_bpe_trainer_new (void);
void ms_bpe_trainer_free (MsBpeTrainer *trainer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsBpeTrainer, ms_bpe_trainer_free)
/* Counts the words of TEXT (a document: pre-tokens never cross its ends). */
void ms_bpe_trainer_add_text (MsBpeTrainer *trainer, const char *text, gsize len);
gboolean ms_bpe_trainer_add_file (MsBpeTrainer *trainer, const char *path, GError **error);
/* Distinct words and total words counted so far. */
guint64 ms_bpe_trainer_n_distinct (const MsBpeTrainer *trainer);
guint64 ms_bpe_trainer_n_words (const MsBpeTrainer *trainer);
/* Learns merges until the vocabulary has VOCAB_SIZE tokens (>= 257) or no adjacent pair is
 * left (then the vocabulary is smaller; PROGRESS says so). A merge whose string is already a
 * token (made by another split) adds a merge but no token. PROGRESS, if given, gets a line
 * about once a second. The trainer can go on counting and train again afterwards. */
MsBpe *ms_bpe_trainer_train (MsBpeTrainer *trainer, guint vocab_size,
                             MsBpeProgressFunc progress, gpointer user_data, GError **error);

G_END_DECLS
