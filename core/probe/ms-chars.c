/* Characters and words of a text (see ms-chars.h): UTF-8 decoding that survives invalid bytes,
 * the shared word tokenization, and the longest shared character run. */
#include "probe/ms-chars.h"

#include <string.h>

/* ---- Characters ---------------------------------------------------------------------------- */

/* Decodes one character from S (N > 0 bytes left). A byte that does not start a well-formed
 * sequence becomes MS_CHAR_INVALID + byte and the decoder moves on by one byte; continuation
 * bytes can never start a sequence, so resynchronizing one byte later loses nothing. */
static gsize
decode_one (const guchar *s, gsize n, gunichar *out)
{
  guchar b = s[0];
  gsize len;
  gunichar c, min;

  if (b < 0x80)
    {
      *out = b;
      return 1;
    }
  if (b >= 0xC2 && b <= 0xDF)
    len = 2, c = b & 0x1F, min = 0x80;
  else if ((b & 0xF0) == 0xE0)
    len = 3, c = b & 0x0F, min = 0x800;
  else if (b >= 0xF0 && b <= 0xF4)
    len = 4, c = b & 0x07, min = 0x10000;
  else
    goto invalid;
  if (len > n)
    goto invalid;
  for (gsize i = 1; i < len; i++)
    {
      if ((s[i] & 0xC0) != 0x80)
        goto invalid;
      c = (c << 6) | (s[i] & 0x3F);
    }
  /* Overlong forms, UTF-16 surrogates and values past Unicode are not well-formed UTF-8. */
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    goto invalid;
  *out = c;
  return len;

invalid:
  *out = MS_CHAR_INVALID + b;
  return 1;
}

MsChars *
ms_chars_decode (const char *text, gssize len)
{
  MsChars *chars = g_new0 (MsChars, 1);
  gsize n = text == NULL ? 0 : len < 0 ? strlen (text) : (gsize) len;
  const guchar *s = (const guchar *) text;

  /* At most one character per byte. */
  chars->chars = g_new (gunichar, n + 1);
  chars->byte_offsets = g_new (gsize, n + 1);
  gsize pos = 0, k = 0;
  while (pos < n)
    {
      chars->byte_offsets[k] = pos;
      pos += decode_one (s + pos, n - pos, &chars->chars[k]);
      k++;
    }
  chars->byte_offsets[k] = n;
  chars->n_chars = k;
  return chars;
}

void
ms_chars_free (MsChars *chars)
{
  if (chars == NULL)
    return;
  g_free (chars->chars);
  g_free (chars->byte_offsets);
  g_free (chars);
}

/* ---- Words --------------------------------------------------------------------------------- */

struct _MsVocab {
  GHashTable *ids;   /* word -> id + 1 */
  GPtrArray *words;  /* id -> word (owned) */
};

MsVocab *
ms_vocab_new (void)
{
  MsVocab *vocab = g_new0 (MsVocab, 1);
  vocab->ids = g_hash_table_new (g_str_hash, g_str_equal);
  vocab->words = g_ptr_array_new_with_free_func (g_free);
  return vocab;
}

void
ms_vocab_free (MsVocab *vocab)
{
  if (vocab == NULL)
    return;
  g_hash_table_destroy (vocab->ids);
  g_ptr_array_unref (vocab->words);
  g_free (vocab);
}

guint32
ms_vocab_intern (MsVocab *vocab, const char *word)
{
  gpointer v = g_hash_table_lookup (vocab->ids, word);
  if (v != NULL)
    return GPOINTER_TO_UINT (v) - 1;
  char *copy = g_strdup (word);
  guint32 id = vocab->words->len;
  g_ptr_array_add (vocab->words, copy);
  g_hash_table_insert (vocab->ids, copy, GUINT_TO_POINTER (id + 1));
  return id;
}

const char *
ms_vocab_word (const MsVocab *vocab, guint32 id)
{
  g_return_val_if_fail (id < vocab->words->len, NULL);
  return g_ptr_array_index (vocab->words, id);
}

guint32
ms_vocab_size (const MsVocab *vocab)
{
  return vocab->words->len;
}

gboolean
ms_char_is_ideographic (gunichar c)
{
  if (c >= MS_CHAR_INVALID)
    return FALSE;
  GUnicodeScript script = g_unichar_get_script (c);
  return script == G_UNICODE_SCRIPT_HAN || script == G_UNICODE_SCRIPT_HIRAGANA
         || script == G_UNICODE_SCRIPT_KATAKANA;
}

static gboolean
is_word_char (gunichar c)
{
  return c < MS_CHAR_INVALID && (g_unichar_isalnum (c) || g_unichar_ismark (c));
}

MsWords *
ms_words_split (const MsChars *text, MsVocab *vocab)
{
  MsWords *words = g_new0 (MsWords, 1);
  gsize n = text->n_chars, cap = n / 2 + 1;  /* words are separated, except ideographs */
  words->ids = g_new (guint32, cap);
  words->char_start = g_new (gsize, cap);
  words->char_end = g_new (gsize, cap);
  GString *buf = g_string_new (NULL);

  gsize i = 0;
  while (i < n)
    {
      gunichar c = text->chars[i];
      if (!is_word_char (c))
        {
          i++;
          continue;
        }
      gsize start = i;
      if (ms_char_is_ideographic (c))
        i++;
      else
        while (i < n && is_word_char (text->chars[i]) && !ms_char_is_ideographic (text->chars[i]))
          i++;
      g_string_truncate (buf, 0);
      for (gsize j = start; j < i; j++)
        g_string_append_unichar (buf, g_unichar_tolower (text->chars[j]));
      if (words->n_words == cap)
        {
          cap *= 2;
          words->ids = g_renew (guint32, words->ids, cap);
          words->char_start = g_renew (gsize, words->char_start, cap);
          words->char_end = g_renew (gsize, words->char_end, cap);
        }
      words->ids[words->n_words] = ms_vocab_intern (vocab, buf->str);
      words->char_start[words->n_words] = start;
      words->char_end[words->n_words] = i;
      words->n_words++;
    }
  g_string_free (buf, TRUE);
  return words;
}

void
ms_words_free (MsWords *words)
{
  if (words == NULL)
    return;
  g_free (words->ids);
  g_free (words->char_start);
  g_free (words->char_end);
  g_free (words);
}

/* ---- Longest shared run -------------------------------------------------------------------- */

gsize
ms_chars_longest_shared_run (const gunichar *a, gsize na, const gunichar *b, gsize nb,
                             gsize *a_start, gsize *b_start)
{
  /* row[j] = length of the common suffix of outer[0..i) and inner[0..j); one row of the
   * shorter text suffices when the row is updated from right to left. */
  gboolean swap = nb > na;
  const gunichar *outer = swap ? b : a, *inner = swap ? a : b;
  gsize n_outer = swap ? nb : na, n_inner = swap ? na : nb;
  gsize best = 0, best_a = 0, best_b = 0;

  if (n_inner > 0)
    {
      gsize *row = g_new0 (gsize, n_inner + 1);
      for (gsize i = 1; i <= n_outer; i++)
        {
          gunichar c = outer[i - 1];
          for (gsize j = n_inner; j >= 1; j--)
            {
              if (inner[j - 1] != c)
                {
                  row[j] = 0;
                  continue;
                }
              gsize len = row[j] = row[j - 1] + 1;
              if (len < best)
                continue;
              gsize sa = (swap ? j : i) - len, sb = (swap ? i : j) - len;
              if (len > best || sa < best_a || (sa == best_a && sb < best_b))
                best = len, best_a = sa, best_b = sb;
            }
        }
      g_free (row);
    }
  if (a_start)
    *a_start = best_a;
  if (b_start)
    *b_start = best_b;
  return best;
}

