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

G_END_DECLS
