/* Text as memorization scores and the alignment see it: UTF-8 decoded to characters without
 * ever failing, one word tokenization, and the longest shared character run. Shared by
 * ms-scores and ms-align, which both build on it and on nothing of each other's below it. */
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

/* A shared run of at least this many characters makes a sample verbatim memorized (the paper's
 * rule, after Lee et al. 2023). */
#define MS_VERBATIM_MIN_CHARS 50

/* Longest common substring of A and B in O(na * nb) time and O(min (na, nb)) memory. Among runs
 * of the longest length it returns the one that starts first in A, then first in B. Returns the
 * length (0, with both starts 0, when nothing is shared). */
gsize ms_chars_longest_shared_run (const gunichar *a, gsize na, const gunichar *b, gsize nb,
                                   gsize *a_start, gsize *b_start);
G_END_DECLS
