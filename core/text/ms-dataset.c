/* Loading task datasets from JSONL files. json-glib parses each line; a small scanner first
 * checks what json-glib would let through silently (text after the object, "\u0000" and
 * unpaired surrogate escapes), so every malformed line is refused with its FILE:LINE. */
#include "text/ms-dataset.h"

#include <json-glib/json-glib.h>

#include "common/ms-json.h"
#include <stdarg.h>
#include <string.h>

#include "common/ms-error.h"

static const char *const record_keys[] = { "task", "input", "output", "id" };

static void
record_free (MsRecord *r)
{
  g_free (r->task);
  g_free (r->input);
  g_free (r->output);
  g_free (r->id);
  g_free (r);
}

void
ms_task_data_free (MsTaskData *data)
{
  if (data == NULL)
    return;
  g_free (data->name);
  g_free (data->path);
  g_clear_pointer (&data->records, g_ptr_array_unref);
  g_free (data);
}

static void fail (GError **error, const char *path, guint line, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

/* Sets a MS_ERROR_FORMAT error "PATH:LINE: message". */
static void
fail (GError **error, const char *path, guint line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s:%u: %s", path, line, msg);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
hex4 (const char *s)
{
  int v = 0;
  for (int k = 0; k < 4; k++)
    {
      int d = g_ascii_xdigit_value (s[k]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

typedef enum { SCAN_OK, SCAN_LEAVE, SCAN_ERROR } ScanResult;

/* Scans the JSON string at S[*I] == '"' and moves *I past its closing quote. Refuses the
 * escapes json-glib mishandles: \u0000 (it cuts the string there) and unpaired surrogates (it
 * reports an "unterminated string"). SCAN_LEAVE: unterminated or a bad escape, which json-glib
 * reports itself. */
static ScanResult
scan_string (const char *s, gsize len, gsize *i, const char *path, guint line, GError **error)
{
  gsize j = *i + 1;
  while (j < len)
    {
      if (s[j] == '"')
        {
          *i = j + 1;
          return SCAN_OK;
        }
      if (s[j] != '\\')
        {
          j++;
          continue;
        }
      if (j + 1 >= len)
        return SCAN_LEAVE;
      if (s[j + 1] != 'u')
        {
          j += 2;
          continue;
        }
      int cp = j + 6 <= len ? hex4 (s + j + 2) : -1;
      if (cp < 0)
        return SCAN_LEAVE;
      if (cp == 0)
        {
          fail (error, path, line, "a NUL character (\\u0000) in a string at column %zu", j + 1);
          return SCAN_ERROR;
        }
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        {
          fail (error, path, line, "invalid UTF-8 in a string: unpaired low surrogate \\u%04X "
                "at column %zu", (guint) cp, j + 1);
          return SCAN_ERROR;
        }
      if (cp >= 0xD800 && cp <= 0xDBFF)
        {
          int lo = j + 12 <= len && s[j + 6] == '\\' && s[j + 7] == 'u' ? hex4 (s + j + 8) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF)
            {
              fail (error, path, line, "invalid UTF-8 in a string: unpaired high surrogate "
                    "\\u%04X at column %zu", (guint) cp, j + 1);
              return SCAN_ERROR;
            }
          j += 12;
          continue;
        }
      j += 6;
    }
  return SCAN_LEAVE;
}

/* Finds the end *END of the object starting at S[START] == '{', checking its strings' escapes
 * on the way. SCAN_LEAVE: no end found (json-glib will say what is wrong). */
static ScanResult
scan_object (const char *s, gsize len, gsize start, gsize *end, const char *path, guint line,
             GError **error)
{
  int depth = 0;
  gsize i = start;
  while (i < len)
    {
      char c = s[i];
      if (c == '"')
        {
          ScanResult r = scan_string (s, len, &i, path, line, error);
          if (r != SCAN_OK)
            return r;
          continue;
        }
      if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && --depth == 0)
        {
          *end = i + 1;
          return SCAN_OK;
        }
      i++;
    }
  return SCAN_LEAVE;
}

static const char *
node_kind (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
    }
  GType t = json_node_get_value_type (node);
  if (t == G_TYPE_STRING)
    return "a string";
  if (t == G_TYPE_BOOLEAN)
    return "a boolean";
  return "a number";
}

/* What the JSON value starting at S (LEN bytes) is, when it is not an object; NULL when it is
 * no JSON value at all. */
static const char *
value_kind (const char *s, gsize len)
{
  static const struct { const char *word, *kind; } words[] = {
    { "true", "a boolean" }, { "false", "a boolean" }, { "null", "null" },
  };
  if (s[0] == '[')
    return "an array";
  if (s[0] == '"')
    return "a string";
  if (s[0] == '-' || g_ascii_isdigit (s[0]))
    return "a number";
  for (guint k = 0; k < G_N_ELEMENTS (words); k++)
    if (len >= strlen (words[k].word) && memcmp (s, words[k].word, strlen (words[k].word)) == 0)
      return words[k].kind;
  return NULL;
}

/* Rewrites json-glib's "<data>:1:COL: Parse error: ..." as "invalid JSON at column COL: ...". */
static void
fail_json (GError **error, const char *path, guint line, const GError *jerr)
{
  const char *msg = jerr->message;
  if (g_str_has_prefix (msg, "<data>:1:"))
    {
      char *end = NULL;
      guint64 col = g_ascii_strtoull (msg + 9, &end, 10);
      if (end != msg + 9 && g_str_has_prefix (end, ": "))
        {
          fail (error, path, line, "invalid JSON at column %" G_GUINT64_FORMAT ": %s "
                "(expected one JSON object per line)", col, end + 2);
          return;
        }
    }
  fail (error, path, line, "invalid JSON: %s (expected one JSON object per line)", msg);
}

/* Parses the non-blank line S[0..LEN) into a record, or NULL with an error. */
static MsRecord *
parse_line (JsonParser *parser, const char *s, gsize len, gsize start, const char *path,
            guint line, GError **error)
{
  if (s[start] != '{')
    {
      /* Said without json-glib, which leaks when a line holds several values. */
      const char *kind = value_kind (s + start, len - start);
      if (kind)
        fail (error, path, line, "expected a JSON object {\"task\", \"input\", \"output\", "
              "\"id\"}, found %s", kind);
      else
        fail (error, path, line, "invalid JSON at column %zu: unexpected character '%c' "
              "(expected one JSON object per line)", start + 1, s[start]);
      return NULL;
    }
  gsize obj_end = len;
  if (scan_object (s, len, start, &obj_end, path, line, error) == SCAN_ERROR)
    return NULL;
  /* Only the object goes to json-glib: it would ignore (and leak) what follows. */
  g_autoptr (GError) jerr = NULL;
  if (!ms_json_parser_load (parser, s, (gssize) obj_end, &jerr))
    {
      fail_json (error, path, line, jerr);
      return NULL;
    }
  for (gsize k = obj_end; k < len; k++)
    if (!is_space (s[k]))
      {
        fail (error, path, line, "unexpected text after the JSON object at column %zu "
              "(expected one record per line)", k + 1);
        return NULL;
      }
  JsonNode *root = json_parser_get_root (parser);
  g_return_val_if_fail (root != NULL && JSON_NODE_HOLDS_OBJECT (root), NULL);
  JsonObject *obj = json_node_get_object (root);
  const char *values[G_N_ELEMENTS (record_keys)];
  for (guint k = 0; k < G_N_ELEMENTS (record_keys); k++)
    {
      JsonNode *m = json_object_get_member (obj, record_keys[k]);
      if (m == NULL)
        {
          fail (error, path, line, "missing key \"%s\" (expected string members \"task\", "
                "\"input\", \"output\" and \"id\")", record_keys[k]);
          return NULL;
        }
      if (!JSON_NODE_HOLDS_VALUE (m) || json_node_get_value_type (m) != G_TYPE_STRING)
        {
          fail (error, path, line, "key \"%s\" is %s, expected a string", record_keys[k],
                node_kind (m));
          return NULL;
        }
      values[k] = json_node_get_string (m);
      /* The line was valid UTF-8 and its escapes checked; this guards json-glib itself. */
      if (!g_utf8_validate (values[k], -1, NULL))
        {
          fail (error, path, line, "invalid UTF-8 in the value of \"%s\"", record_keys[k]);
          return NULL;
        }
    }
  MsRecord *r = g_new0 (MsRecord, 1);
  r->task = g_strdup (values[0]);
  r->input = g_strdup (values[1]);
  r->output = g_strdup (values[2]);
  r->id = g_strdup (values[3]);
  r->line = line;
  return r;
}

/* Checks that LINE (LEN bytes) is UTF-8 without NUL bytes. */
static gboolean
check_utf8 (const char *s, gsize len, const char *path, guint line, GError **error)
{
  const char *end;
  if (g_utf8_validate_len (s, len, &end))
    return TRUE;
  gsize col = (gsize) (end - s) + 1;
  if (*end == '\0')
    fail (error, path, line, "a NUL byte at column %zu (expected UTF-8 text)", col);
  else
    fail (error, path, line, "invalid UTF-8 at column %zu (byte 0x%02X)", col,
          (guint) (guint8) *end);
  return FALSE;
}

MsTaskData *
ms_task_data_load (const char *name, const char *path, GError **error)
{
  g_return_val_if_fail (name != NULL && path != NULL, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;

  g_autoptr (MsTaskData) data = g_new0 (MsTaskData, 1);
  data->name = g_strdup (name);
  data->path = g_strdup (path);
  data->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
  g_autofree char *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) text,
                                                      len);
  g_strlcpy (data->sha256, sum, sizeof data->sha256);

  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);  /* id -> line */
  guint line = 0;
  for (gsize pos = 0; pos < len;)
    {
      line++;
      const char *nl = memchr (text + pos, '\n', len - pos);
      gsize end = nl ? (gsize) (nl - text) : len;
      const char *s = text + pos;
      gsize n = end - pos;
      pos = end + 1;
      if (n > MS_DATASET_MAX_LINE)
        {
          fail (error, path, line, "line of %zu bytes, longer than the limit of %zu",
                n, MS_DATASET_MAX_LINE);
          return NULL;
        }
      if (line == 1 && n >= 3 && memcmp (s, "\xEF\xBB\xBF", 3) == 0)
        {
          s += 3;
          n -= 3;
        }
      if (!check_utf8 (s, n, path, line, error))
        return NULL;
      gsize start = 0;
      while (start < n && is_space (s[start]))
        start++;
      if (start == n)
        continue;
      MsRecord *r = parse_line (parser, s, n, start, path, line, error);
      if (r == NULL)
        return NULL;
      g_ptr_array_add (data->records, r);
      if (strcmp (r->task, name) != 0)
        {
          fail (error, path, line, "record of task \"%s\" in a file loaded as task \"%s\"",
                r->task, name);
          return NULL;
        }
      gpointer first = g_hash_table_lookup (ids, r->id);
      if (first != NULL)
        {
          fail (error, path, line, "duplicate id \"%s\" (first on line %u)", r->id,
                GPOINTER_TO_UINT (first));
          return NULL;
        }
      g_hash_table_insert (ids, r->id, GUINT_TO_POINTER (line));
    }
  if (data->records->len == 0)
    {
      fail (error, path, MAX (line, 1), "no records: the file is %s, expected one JSON object "
            "per line", len == 0 ? "empty" : "blank");
      return NULL;
    }
  return g_steal_pointer (&data);
}
