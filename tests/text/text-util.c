/* Helpers shared by the tests of core/text. */
#include "text-util.h"

#include <stdarg.h>
#include <string.h>

#include "ms-test.h"

MsBpe *
text_test_gpt2 (void)
{
  static MsBpe *gpt2;
  if (gpt2 == NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *dir = ms_test_fixture ("gpt2");
      gpt2 = ms_bpe_load (dir, &error);
      g_assert_no_error (error);
    }
  return gpt2;
}

GArray *
text_test_encode (MsBpe *bpe, const char *text, gsize len)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  ms_bpe_encode (bpe, text, len, ids);
  return ids;
}

void
text_test_write (const char *dir, const char *name, const char *content, gssize len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_file_set_contents (path, content, len, &error);
  g_assert_no_error (error);
}

char *
text_test_newdir (const char *name)
{
  char *dir = g_build_filename (ms_test_tmpdir (), name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return dir;
}

gunichar
text_test_byte_char (guint8 b)
{
  /* Python: bs = list(range(ord("!"), ord("~")+1)) + list(range(ord("¡"), ord("¬")+1))
   *            + list(range(ord("®"), ord("ÿ")+1)); the rest get 256, 257, ... in order. */
  gunichar next = 256;
  for (guint x = 0; x < 256; x++)
    {
      gboolean kept = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE;
      if (x == b)
        return kept ? x : next;
      if (!kept)
        next++;
    }
  g_assert_not_reached ();
}

GString *
text_test_byte_encoder (void)
{
  /* GPT-2 numbers the bytes in the order of their characters. */
  GString *s = g_string_new ("{");
  guint id = 0;
  for (gunichar c = 0x21; c < 256 + 68; c++)
    for (guint b = 0; b < 256; b++)
      if (text_test_byte_char (b) == c)
        {
          g_string_append_printf (s, "%s\"", id ? ", " : "");
          if (c == '"' || c == '\\')
            g_string_append_c (s, '\\');
          g_string_append_unichar (s, c);
          g_string_append_printf (s, "\": %u", id++);
        }
  g_assert_cmpuint (id, ==, 256);
  return s;
}

void
text_test_assert_error (GError **perror, GQuark domain, int code, ...)
{
  GError *error = *perror;
  g_assert_nonnull (error);
  if (error->domain != domain || error->code != code)
    g_error ("expected error %s:%d, got %s:%d: %s", g_quark_to_string (domain), code,
             g_quark_to_string (error->domain), error->code, error->message);
  va_list ap;
  va_start (ap, code);
  for (const char *want = va_arg (ap, const char *); want; want = va_arg (ap, const char *))
    if (strstr (error->message, want) == NULL)
      g_error ("error message \"%s\" lacks \"%s\"", error->message, want);
  va_end (ap);
  g_test_message ("expected error: %s", error->message);
  g_clear_error (perror);
}
