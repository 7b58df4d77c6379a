/* GPT-2's pre-tokenizer regular expression, written out as a scanner over UTF-8 (see
 * ms_bpe_pretoken_end in ms-bpe.h for the expression and how invalid bytes are classed). The
 * reference is gpt-3-encoder's JavaScript, which runs the expression with the `u` flag, so on
 * code points, with JavaScript's \s. */
#include "text/ms-bpe.h"

#define INVALID_CHAR ((gunichar) 0xFFFFFFFFu)

/* Classes of the ASCII characters, filled on first use. */
static guint8 ascii_class[128];
static gsize ascii_class_ready;

static void
ascii_class_init (void)
{
  if (g_once_init_enter (&ascii_class_ready))
    {
      for (gunichar c = 0; c < 128; c++)
        {
          MsBpeClass k = MS_BPE_CLASS_OTHER;
          if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            k = MS_BPE_CLASS_LETTER;
          else if (c >= '0' && c <= '9')
            k = MS_BPE_CLASS_NUMBER;
          else if (c == ' ' || (c >= '\t' && c <= '\r'))
            k = MS_BPE_CLASS_SPACE;
          ascii_class[c] = k;
        }
      g_once_init_leave (&ascii_class_ready, 1);
    }
}

MsBpeClass
ms_bpe_char_class (gunichar c)
{
  if (c < 128)
    {
      ascii_class_init ();
      return ascii_class[c];
    }
  /* JavaScript's \s beyond ASCII: the Zs space separators, U+2028/9 and U+FEFF. GLib's
   * g_unichar_isspace leaves out U+000B and U+FEFF, so the set is spelled out. */
  switch (c)
    {
    case 0x00A0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000: case 0xFEFF:
      return MS_BPE_CLASS_SPACE;
    default:
      if (c >= 0x2000 && c <= 0x200A)
        return MS_BPE_CLASS_SPACE;
      break;
    }
  if (c == INVALID_CHAR)
    return MS_BPE_CLASS_OTHER;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
      return MS_BPE_CLASS_LETTER;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return MS_BPE_CLASS_NUMBER;
    default:
      return MS_BPE_CLASS_OTHER;
    }
}

/* Decodes the character at S[POS] (POS < LEN): stores it in *C and returns its length in
 * bytes. A byte that does not start a valid shortest-form sequence is INVALID_CHAR, length 1. */
static inline gsize
next_char (const guint8 *s, gsize len, gsize pos, gunichar *c)
{
  guint8 b0 = s[pos];
  if (b0 < 0x80)
    {
      *c = b0;
      return 1;
    }
  gsize n;
  gunichar v, min;
  if (b0 >= 0xC2 && b0 <= 0xDF)
    n = 2, v = b0 & 0x1F, min = 0x80;
  else if (b0 >= 0xE0 && b0 <= 0xEF)
    n = 3, v = b0 & 0x0F, min = 0x800;
  else if (b0 >= 0xF0 && b0 <= 0xF4)
    n = 4, v = b0 & 0x07, min = 0x10000;
  else
    {
      *c = INVALID_CHAR;
      return 1;
    }
  if (len - pos < n)
    {
      *c = INVALID_CHAR;
      return 1;
    }
  for (gsize i = 1; i < n; i++)
    {
      guint8 b = s[pos + i];
      if ((b & 0xC0) != 0x80)
        {
          *c = INVALID_CHAR;
          return 1;
        }
      v = (v << 6) | (b & 0x3F);
    }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    {
      *c = INVALID_CHAR;
      return 1;
    }
  *c = v;
  return n;
}

static inline MsBpeClass
class_at (const guint8 *s, gsize len, gsize pos, gsize *clen)
{
  if (s[pos] < 0x80)
    {
      *clen = 1;
      return ascii_class[s[pos]];
    }
  gunichar c;
  *clen = next_char (s, len, pos, &c);
  return ms_bpe_char_class (c);
}

/* End of the run of characters of class K that starts at POS. */
static inline gsize
run_end (const guint8 *s, gsize len, gsize pos, MsBpeClass k)
{
  while (pos < len)
    {
      gsize clen;
      if (class_at (s, len, pos, &clen) != k)
        break;
      pos += clen;
    }
  return pos;
}

gsize
ms_bpe_pretoken_end (const char *text, gsize len, gsize pos)
{
  const guint8 *s = (const guint8 *) text;
  g_return_val_if_fail (pos < len, len);
  ascii_class_init ();

  /* 's|'t|'re|'ve|'m|'ll|'d (lower case only, as in GPT-2) */
  if (s[pos] == '\'' && pos + 1 < len)
    {
      guint8 a = s[pos + 1];
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return pos + 2;
      if (pos + 2 < len)
        {
          guint8 b = s[pos + 2];
          if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return pos + 3;
        }
    }

  /*  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ with the leading space */
  gsize clen;
  if (s[pos] == ' ' && pos + 1 < len)
    {
      MsBpeClass k = class_at (s, len, pos + 1, &clen);
      if (k != MS_BPE_CLASS_SPACE)
        return run_end (s, len, pos + 1 + clen, k);
    }

  MsBpeClass k = class_at (s, len, pos, &clen);
  if (k != MS_BPE_CLASS_SPACE)
    return run_end (s, len, pos + clen, k);

  /* \s+(?!\S) | \s+ : a run of whitespace that ends the text is taken whole; otherwise it gives
   * up its last character (which then starts the next pre-token, e.g. " word"), unless the run
   * is a single character. */
  gsize last = pos, end = pos + clen;
  while (end < len)
    {
      gsize l;
      if (class_at (s, len, end, &l) != MS_BPE_CLASS_SPACE)
        break;
      last = end;
      end += l;
    }
  if (end == len || last == pos)
    return end;
  return last;
}
