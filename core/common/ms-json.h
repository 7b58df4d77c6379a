/* JSON text from json-glib nodes, with json-glib 1.6's number bug mended: it writes doubles in
 * exponent form with a ".0" after the exponent ("1e-08.0"), which no JSON parser accepts. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* As json_to_string (), but valid JSON. */
char *ms_json_to_string (JsonNode *node, gboolean pretty);
/* The builder's root as text (ms_json_to_string). */
char *ms_json_builder_to_string (JsonBuilder *builder, gboolean pretty);
/* json_generator_to_data (), mended. */
char *ms_json_generate (JsonGenerator *gen);
/* Mends TEXT in place (outside strings, "<digits>e<exponent>.0" loses its ".0"). */
void ms_json_mend_numbers (char *text);

/* Members of the object being built, one call each. Numbers that are not finite are written
 * as null (JSON has no NaN: "nothing to measure" must not read as 0); a NULL string is null,
 * and a string that is not valid UTF-8 is mended (U+FFFD) so that the text stays JSON. */
void ms_json_add_int (JsonBuilder *b, const char *name, gint64 v);
void ms_json_add_number (JsonBuilder *b, const char *name, double v);
void ms_json_add_string (JsonBuilder *b, const char *name, const char *v);
void ms_json_add_bool (JsonBuilder *b, const char *name, gboolean v);
/* TEXT parsed when it is JSON, else as a string; NULL is null. */
void ms_json_add_embedded (JsonBuilder *b, const char *name, const char *text);

/* json-glib parses recursively with no limit of its own, so a file nested 100,000 levels
 * deep overflows the stack. Every JSON memscope reads goes through ms_json_parser_load (),
 * which refuses more than MS_JSON_MAX_DEPTH levels before json-glib sees the text. */
#define MS_JSON_MAX_DEPTH 64
/* The deepest nesting of arrays and objects in TEXT (LEN bytes, strings skipped), counted up
 * to the first level past LIMIT. */
int ms_json_depth (const char *text, gsize len, int limit);
/* json_parser_load_from_data () after the depth check (LEN -1: nul-terminated). The error is
 * a JSON_PARSER_ERROR; callers prefix the file name. */
gboolean ms_json_parser_load (JsonParser *parser, const char *text, gssize len, GError **error);

G_END_DECLS
