/* See gpt-reference.h. */
#include "gpt-reference.h"

#include <json-glib/json-glib.h>

#include "ms-test.h"

static const float spread[MS_N_PARAMS][2] = {
  { 0.04f, 0 }, { 0.02f, 0 }, { 0.1f, 1 }, { 0.1f, 0 }, { 0.04f, 0 }, { 0.02f, 0 },
  { 0.04f, 0 }, { 0.02f, 0 }, { 0.1f, 1 }, { 0.1f, 0 }, { 0.04f, 0 }, { 0.02f, 0 },
  { 0.04f, 0 }, { 0.02f, 0 }, { 0.1f, 1 }, { 0.1f, 0 },
};

static float
uniform_at (guint64 seed, guint64 i)
{
  guint64 z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  float u = (float) (z >> 40) / 16777216.0f;
  return u * 2.0f - 1.0f;
}

float *
ms_ref_params (const MsGptConfig *cfg, guint64 seed)
{
  gsize sizes[MS_N_PARAMS], offsets[MS_N_PARAMS];
  ms_gpt_param_sizes (cfg, sizes);
  gsize total = ms_gpt_param_offsets (cfg, offsets);
  float *p = g_new (float, total);
  for (int t = 0; t < MS_N_PARAMS; t++)
    for (gsize i = 0; i < sizes[t]; i++)
      {
        float scaled = uniform_at (seed, offsets[t] + i) * spread[t][0];
        p[offsets[t] + i] = scaled + spread[t][1];
      }
  return p;
}

static int
member_int (JsonObject *o, const char *name)
{
  return (int) json_object_get_int_member (o, name);
}

MsRefFixture *
ms_ref_fixture_load (const char *name)
{
  g_autofree char *json_name = g_strconcat ("model/", name, ".json", NULL);
  g_autofree char *path = ms_test_fixture (json_name);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  MsRefFixture *f = g_new0 (MsRefFixture, 1);
  f->cfg = (MsGptConfig) { member_int (o, "maxT"), member_int (o, "V"), member_int (o, "Vp"),
                           member_int (o, "L"), member_int (o, "NH"), member_int (o, "C") };
  f->seed = json_object_get_int_member (o, "seed");
  f->B = member_int (o, "B");
  f->T = member_int (o, "T");
  f->loss = json_object_get_double_member (o, "loss");
  JsonArray *toks = json_object_get_array_member (o, "tokens");
  g_assert_cmpuint (json_array_get_length (toks), ==, (guint) (f->B * f->T + 1));
  f->tokens = g_new (int, f->B * f->T + 1);
  for (int i = 0; i < f->B * f->T + 1; i++)
    f->tokens[i] = (int) json_array_get_int_element (toks, i);
  JsonArray *pos = json_object_get_array_member (o, "positions");
  f->n_positions = json_array_get_length (pos);
  f->positions = g_new (int, 2 * f->n_positions);
  for (int i = 0; i < f->n_positions; i++)
    {
      JsonArray *bt = json_array_get_array_element (pos, i);
      f->positions[2 * i] = json_array_get_int_element (bt, 0);
      f->positions[2 * i + 1] = json_array_get_int_element (bt, 1);
    }
  g_autofree char *lname = g_strconcat ("model/", json_object_get_string_member (o, "logits_file"), NULL);
  g_autofree char *lpath = ms_test_fixture (lname);
  gsize len = 0;
  g_file_get_contents (lpath, (char **) &f->logits, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, (gsize) f->n_positions * f->cfg.vocab_size * sizeof (float));
  return f;
}

void
ms_ref_fixture_free (MsRefFixture *f)
{
  g_free (f->tokens);
  g_free (f->positions);
  g_free (f->logits);
  g_free (f);
}
