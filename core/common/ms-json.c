/* See ms-json.h. */
#include "ms-json.h"

#include <math.h>
#include <string.h>

void
ms_json_mend_numbers (char *text)
{
  char *out = text;
  gboolean in_string = FALSE, escaped = FALSE, in_exponent = FALSE;
  for (const char *p = text; *p; p++)
    {
      char c = *p;
      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          *out++ = c;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      if (c == 'e' || c == 'E')
        in_exponent = out > text && g_ascii_isdigit (out[-1]);
      else if (in_exponent && c == '.' && p[1] == '0' && !g_ascii_isdigit (p[2]))
        {
          p++;  /* drop ".0" */
          in_exponent = FALSE;
          continue;
        }
      else if (!g_ascii_isdigit (c) && c != '-' && c != '+')
        in_exponent = FALSE;
      *out++ = c;
    }
  *out = '\0';
}

char *
ms_json_to_string (JsonNode *node, gboolean pretty)
{
  char *text = json_to_string (node, pretty);
  ms_json_mend_numbers (text);
  return text;
}

char *
ms_json_builder_to_string (JsonBuilder *builder, gboolean pretty)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  return ms_json_to_string (root, pretty);
}

char *
ms_json_generate (JsonGenerator *gen)
{
  char *text = json_generator_to_data (gen, NULL);
  ms_json_mend_numbers (text);
  return text;
}

int
ms_json_depth (const char *text, gsize len, int limit)
{
  int depth = 0, deepest = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < len && text[i] != '\0'; i++)
    {
      char c = text[i];
      if (in_string)
        {
          if (c == '\\')
            i++;                        /* the escaped character cannot end the string */
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > deepest && (deepest = depth) > limit)
            return deepest;             /* no need to read further */
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return deepest;
}

gboolean
ms_json_parser_load (JsonParser *parser, const char *text, gssize len, GError **error)
{
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  if (ms_json_depth (text, n, MS_JSON_MAX_DEPTH) > MS_JSON_MAX_DEPTH)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   "nested more than %d levels deep", MS_JSON_MAX_DEPTH);
      return FALSE;
    }
  return json_parser_load_from_data (parser, text, (gssize) n, error);
}

void
ms_json_add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
ms_json_add_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

void
ms_json_add_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  if (v == NULL)
    json_builder_add_null_value (b);
  else if (g_utf8_validate (v, -1, NULL))
    json_builder_add_string_value (b, v);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (v, -1);
      json_builder_add_string_value (b, valid);
    }
}

void
ms_json_add_bool (JsonBuilder *b, const char *name, gboolean v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, v);
}

void
ms_json_add_embedded (JsonBuilder *b, const char *name, const char *text)
{
  json_builder_set_member_name (b, name);
  g_autoptr (JsonParser) p = json_parser_new ();
  if (text && ms_json_parser_load (p, text, -1, NULL))
    json_builder_add_value (b, json_node_copy (json_parser_get_root (p)));
  else if (text)
    json_builder_add_string_value (b, text);
  else
    json_builder_add_null_value (b);
}
