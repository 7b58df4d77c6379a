/* GPT-2's tokenizer files: encoder.json (an object of byte-level token strings to ids 0..N-1)
 * and vocab.bpe ("#version: 0.2", then one merge "LEFT RIGHT" per line, highest priority
 * first). Loading checks everything an encoder relies on; saving writes the files exactly as
 * OpenAI's are written, so load-then-save reproduces GPT-2's files byte for byte. */
#include "text/ms-bpe-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "common/ms-json.h"
#include <string.h>

#include "common/ms-error.h"

/* Reads PATH whole and checks that it is non-empty UTF-8. */
static char *
read_text (const char *path, const char *expected, gsize *len, GError **error)
{
  char *text = NULL;
  if (!g_file_get_contents (path, &text, len, error))
    return NULL;
  if (*len == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: empty file, expected %s", path,
                   expected);
      g_free (text);
      return NULL;
    }
  const char *nul = memchr (text, '\0', *len);
  if (nul != NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: a NUL byte at byte %zu", path,
                   (gsize) (nul - text));
      g_free (text);
      return NULL;
    }
  const char *end;
  if (!g_utf8_validate_len (text, *len, &end))
    {
      gsize off = end - text;
      guint line = 1;
      for (gsize i = 0; i < off; i++)
        line += text[i] == '\n';
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s:%u: invalid UTF-8 at byte %zu", path,
                   line, off);
      g_free (text);
      return NULL;
    }
  return text;
}

/* The bytes of byte-level token string STR, or NULL with an error naming WHERE. */
static GBytes *
string_to_bytes (const char *str, const char *where, GError **error)
{
  if (*str == '\0')
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: empty token string", where);
      return NULL;
    }
  GByteArray *b = g_byte_array_new ();
  for (const char *p = str; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gint byte = ms_bpe_char_to_byte (c);
      if (byte < 0)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: token \"%s\" has the character U+%04X, which is not one of GPT-2's "
                       "256 byte-level characters", where, str, c);
          g_byte_array_unref (b);
          return NULL;
        }
      guint8 v = byte;
      g_byte_array_append (b, &v, 1);
    }
  return g_byte_array_free_to_bytes (b);
}

/* Parses encoder.json into TOKENS (GBytes by id) and IDS (token string -> id + 1). */
static gboolean
load_encoder (const char *path, GPtrArray *tokens, GHashTable *ids, GError **error)
{
  gsize len;
  g_autofree char *text = read_text (path, "a JSON object of token strings to ids", &len, error);
  if (text == NULL)
    return FALSE;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) json_error = NULL;
  if (!ms_json_parser_load (parser, text, len, &json_error))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: invalid JSON: %s", path,
                   json_error->message);
      return FALSE;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s: expected a JSON object of token strings to ids", path);
      return FALSE;
    }
  JsonObject *obj = json_node_get_object (root);
  guint n = json_object_get_size (obj);
  g_ptr_array_set_size (tokens, n);
  g_autofree const char **names = g_new0 (const char *, n);
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_INT64)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: token \"%s\": expected an integer id", path, name);
          return FALSE;
        }
      gint64 id = json_node_get_int (value);
      if (id < 0 || id >= n)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: token \"%s\" has id %" G_GINT64_FORMAT ", expected 0 to %u (ids "
                       "number the %u tokens)", path, name, id, n - 1, n);
          return FALSE;
        }
      if (names[id] != NULL)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s: tokens \"%s\" and \"%s\" have the same id %" G_GINT64_FORMAT, path,
                       names[id], name, id);
          return FALSE;
        }
      names[id] = name;
      tokens->pdata[id] = string_to_bytes (name, path, error);
      if (tokens->pdata[id] == NULL)
        return FALSE;
      g_hash_table_insert (ids, g_strdup (name), GUINT_TO_POINTER ((guint) id + 1));
    }
  /* n members with distinct ids in [0, n) cover every id, unless JSON repeated a key (then
   * json-glib kept one member and an id is missing). */
  for (guint i = 0; i < n; i++)
    if (names[i] == NULL)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                     "%s: no token has id %u (a repeated key?); ids must be 0 to %u", path, i,
                     n - 1);
        return FALSE;
      }
  gboolean have[256] = { 0 };
  for (guint i = 0; i < n; i++)
    if (g_bytes_get_size (tokens->pdata[i]) == 1)
      have[*(const guint8 *) g_bytes_get_data (tokens->pdata[i], NULL)] = TRUE;
  for (guint b = 0; b < 256; b++)
    if (!have[b])
      {
        g_autoptr (GString) s = g_string_new (NULL);
        guint8 byte = b;
        ms_bpe_append_byte_string (s, &byte, 1);
        g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                     "%s: no token for byte 0x%02x (\"%s\"); a byte-level vocabulary needs all "
                     "256", path, b, s->str);
        return FALSE;
      }
  return TRUE;
}

/* For error messages: at most 60 characters of valid UTF-8 TEXT, control characters escaped. */
static char *
excerpt (const char *text)
{
  GString *s = g_string_new (NULL);
  guint n = 0;
  for (const char *p = text; *p; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);
      if (n == 60)
        {
          g_string_append (s, "…");
          break;
        }
      if (c == '\r')
        g_string_append (s, "\\r");
      else if (c == '\t')
        g_string_append (s, "\\t");
      else if (c < 0x20 || c == 0x7F)
        g_string_append_printf (s, "\\x%02x", c);
      else
        g_string_append_unichar (s, c);
    }
  return g_string_free (s, FALSE);
}

static gboolean
load_merges (const char *path, const char *encoder_path, GHashTable *ids, GArray *merges,
             GError **error)
{
  gsize len;
  g_autofree char *text = read_text (path, "a '#version' line, then merges", &len, error);
  if (text == NULL)
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  if (!g_str_has_prefix (lines[0], "#version"))
    {
      g_autofree char *got = excerpt (lines[0]);
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                   "%s:1: expected the header '#version: 0.2', got \"%s\"", path, got);
      return FALSE;
    }
  guint n_lines = g_strv_length (lines);
  if (n_lines > 1 && lines[n_lines - 1][0] == '\0')
    n_lines--;  /* the newline that ends the last line */
  for (guint i = 1; i < n_lines; i++)
    {
      const char *line = lines[i];
      const char *space = strchr (line, ' ');
      if (space == NULL || space == line || space[1] == '\0' || strchr (space + 1, ' ') != NULL)
        {
          g_autofree char *got = excerpt (line);
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT,
                       "%s:%u: expected a merge: two tokens separated by one space, got \"%s\"",
                       path, i + 1, got);
          return FALSE;
        }
      g_autofree char *left = g_strndup (line, space - line);
      const char *right = space + 1;
      g_autofree char *joined = g_strconcat (left, right, NULL);
      const char *parts[3] = { left, right, joined };
      guint32 m[3];
      for (guint k = 0; k < 3; k++)
        {
          guint v = GPOINTER_TO_UINT (g_hash_table_lookup (ids, parts[k]));
          if (v == 0)
            {
              g_autofree char *shown = excerpt (line), *part = excerpt (parts[k]);
              g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH,
                           k < 2 ? "%s:%u: merge \"%s\" names the token \"%s\", which is not "
                                   "in %s"
                                 : "%s:%u: merge \"%s\" makes the token \"%s\", which is not "
                                   "in %s",
                           path, i + 1, shown, part, encoder_path);
              return FALSE;
            }
          m[k] = v - 1;
        }
      g_array_append_vals (merges, m, 3);
    }
  return TRUE;
}

MsBpe *
ms_bpe_load_files (const char *encoder_path, const char *merges_path, GError **error)
{
  g_autoptr (GPtrArray) tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GArray) merges = g_array_new (FALSE, FALSE, sizeof (guint32));
  if (!load_encoder (encoder_path, tokens, ids, error))
    return NULL;
  if (!load_merges (merges_path, encoder_path, ids, merges, error))
    return NULL;
  return ms_bpe_build (tokens, merges, merges_path, 2, error);
}

MsBpe *
ms_bpe_load (const char *dir, GError **error)
{
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: not a directory (expected one holding "
                   MS_BPE_ENCODER_FILE " and " MS_BPE_MERGES_FILE ")", dir);
      return NULL;
    }
  g_autofree char *enc = g_build_filename (dir, MS_BPE_ENCODER_FILE, NULL);
  g_autofree char *mer = g_build_filename (dir, MS_BPE_MERGES_FILE, NULL);
  return ms_bpe_load_files (enc, mer, error);
}

/* Appends STR as a JSON string the way Python's json.dumps writes it (ASCII, \uXXXX). */
static void
append_json_string (GString *out, const char *str)
{
  g_string_append_c (out, '"');
  for (const char *p = str; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c >= 0x20 && c < 0x7F)
        g_string_append_c (out, c);
      else  /* byte-level strings stay in the BMP */
        g_string_append_printf (out, "\\u%04x", c);
    }
  g_string_append_c (out, '"');
}

static gboolean
write_file (const char *path, GString *data, GError **error)
{
  g_autoptr (GError) e = NULL;
  if (g_file_set_contents_full (path, data->str, data->len, G_FILE_SET_CONTENTS_CONSISTENT,
                                0644, &e))
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s", e->message);
  return FALSE;
}

gboolean
ms_bpe_save (const MsBpe *bpe, const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int err = errno;
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot create the directory: %s", dir,
                   g_strerror (err));
      return FALSE;
    }
  g_autoptr (GString) enc = g_string_sized_new (20 * bpe->n_vocab + 2);
  g_string_append_c (enc, '{');
  for (guint i = 0; i < bpe->n_vocab; i++)
    {
      g_autofree char *s = ms_bpe_token_string (bpe, i);
      if (i > 0)
        g_string_append (enc, ", ");
      append_json_string (enc, s);
      g_string_append_printf (enc, ": %u", i);
    }
  g_string_append_c (enc, '}');

  g_autoptr (GString) mer = g_string_sized_new (12 * bpe->n_merges + 16);
  g_string_append (mer, "#version: 0.2\n");
  for (guint r = 0; r < bpe->n_merges; r++)
    {
      gsize len;
      const guint8 *b = ms_bpe_token_bytes (bpe, bpe->merge_left[r], &len);
      ms_bpe_append_byte_string (mer, b, len);
      g_string_append_c (mer, ' ');
      b = ms_bpe_token_bytes (bpe, bpe->merge_right[r], &len);
      ms_bpe_append_byte_string (mer, b, len);
      g_string_append_c (mer, '\n');
    }

  g_autofree char *enc_path = g_build_filename (dir, MS_BPE_ENCODER_FILE, NULL);
  g_autofree char *mer_path = g_build_filename (dir, MS_BPE_MERGES_FILE, NULL);
  return write_file (enc_path, enc, error) && write_file (mer_path, mer, error);
}
