/* Checkpoints: llm.c .bin round trips, GPT-2's random init, the fixtures written by
 * tests/fixtures/checkpoint/make-fixtures.py (PyTorch/numpy, llm.c's write_model and hand-written
 * safetensors) checked value by value, every malformed input of the loaders, atomic saves, and
 * `memscope info`. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "common/ms-error.h"
#include "model/ms-checkpoint-io.h"
#include "model/ms-checkpoint.h"
#include "ms-test.h"

static char *
tmp_path (const char *name)
{
  return g_build_filename (ms_test_tmpdir (), name, NULL);
}

static GBytes *
read_bytes (const char *path)
{
  char *data;
  gsize len;
  g_autoptr (GError) error = NULL;
  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static void
write_bytes (const char *path, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

/* Loading PATH fails with DOMAIN/CODE and a message holding the path and WANT. */
static void
assert_load_fails (const char *path, GQuark domain, int code, const char *want)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_load (path, &error);
  g_assert_null (ck);
  g_assert_nonnull (error);
  if (!g_error_matches (error, domain, code) || strstr (error->message, want) == NULL
      || strstr (error->message, path) == NULL)
    g_error ("loading %s: want [%s %d] '%s', got [%s %d] '%s'", path,
             g_quark_to_string (domain), code, want, g_quark_to_string (error->domain),
             error->code, error->message);
}

/* ---- round trip and random init ------------------------------------------------------------ */

static void
test_roundtrip (void)
{
  MsTestRng rng = { 7 };
  for (int trial = 0; trial < 6; trial++)
    {
      int nh = 1 + (int) (ms_test_rng_u64 (&rng) % 4), v = 1 + (int) (ms_test_rng_u64 (&rng) % 300);
      MsGptConfig cfg = {
        .max_seq_len = 1 + (int) (ms_test_rng_u64 (&rng) % 16), .vocab_size = v,
        .padded_vocab_size = trial % 2 ? v : (v + 127) / 128 * 128,
        .num_layers = 1 + (int) (ms_test_rng_u64 (&rng) % 3), .num_heads = nh,
        .channels = nh * (1 + (int) (ms_test_rng_u64 (&rng) % 8)),
      };
      g_autoptr (MsCheckpoint) ck = ms_checkpoint_new_random (&cfg, 100 + trial, NULL);
      g_autofree char *path = tmp_path ("roundtrip.bin");
      g_autoptr (GError) error = NULL;
      g_assert_true (ms_checkpoint_save (path, &cfg, ck->params, &error));
      g_assert_no_error (error);

      /* The file itself, byte by byte, against llm.c's documented layout. */
      g_autoptr (GBytes) bytes = read_bytes (path);
      gsize len;
      const guchar *data = g_bytes_get_data (bytes, &len);
      g_assert_cmpuint (len, ==, 1024 + 4 * ck->n_params);
      gint32 header[256];
      memcpy (header, data, sizeof header);
      gint32 want[8] = { 20240326, 3, cfg.max_seq_len, cfg.vocab_size, cfg.num_layers,
                         cfg.num_heads, cfg.channels, cfg.padded_vocab_size };
      for (int i = 0; i < 256; i++)
        g_assert_cmpint (GINT32_FROM_LE (header[i]), ==, i < 8 ? want[i] : 0);
      g_assert_cmpmem (data + 1024, len - 1024, ck->params, 4 * ck->n_params);

      g_autoptr (MsCheckpoint) back = ms_checkpoint_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (&back->cfg, sizeof back->cfg, &cfg, sizeof cfg);
      g_assert_cmpuint (back->n_params, ==, ck->n_params);
      g_assert_cmpmem (back->params, 4 * back->n_params, ck->params, 4 * ck->n_params);
      g_assert_cmpint (back->format, ==, MS_CHECKPOINT_LLMC);
      g_assert_cmpint (back->version, ==, 3);
      g_assert_cmpstr (back->dtype, ==, "fp32");
      g_assert_cmpuint (back->file_size, ==, len);
    }
}

static void
assert_normal (const char *what, const float *x, gsize n, double std)
{
  MsTensorStats st;
  ms_checkpoint_tensor_stats (x, n, &st);
  /* Five standard errors of each estimate: mean, std, and the mass within one std. */
  double se = std / sqrt ((double) n), p = 0.682689;
  gsize within = 0;
  for (gsize i = 0; i < n; i++)
    within += fabs (x[i]) <= std;
  if (fabs (st.mean) > 5 * se || fabs (st.std / std - 1) > 5 / sqrt (2.0 * n)
      || fabs ((double) within / n - p) > 5 * sqrt (p * (1 - p) / n))
    g_error ("%s: mean %g std %g (want 0, %g), %.4f within 1 std (want 0.6827)", what, st.mean,
             st.std, std, (double) within / n);
}

static void
assert_all (const char *what, const float *x, gsize n, float v)
{
  for (gsize i = 0; i < n; i++)
    if (x[i] != v)
      g_error ("%s[%zu] = %g, want %g", what, i, x[i], v);
}

static void
test_random_init (void)
{
  MsGptConfig cfg = { .max_seq_len = 64, .vocab_size = 1000, .padded_vocab_size = 1024,
                      .num_layers = 4, .num_heads = 4, .channels = 64 };
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_new_random (&cfg, 42, NULL);
  gsize off[MS_N_PARAMS], size[MS_N_PARAMS];
  ms_gpt_param_offsets (&cfg, off);
  ms_gpt_param_sizes (&cfg, size);
  float *p = ck->params;
  gsize C = cfg.channels, V = cfg.vocab_size;
  assert_normal ("wte", p + off[MS_WTE], V * C, 0.02);
  assert_all ("wte padding", p + off[MS_WTE] + V * C, (cfg.padded_vocab_size - V) * C, 0.0f);
  assert_normal ("wpe", p + off[MS_WPE], size[MS_WPE], 0.02);
  assert_normal ("qkvw", p + off[MS_QKVW], size[MS_QKVW], 0.02);
  assert_normal ("fcw", p + off[MS_FCW], size[MS_FCW], 0.02);
  assert_normal ("attprojw", p + off[MS_ATTPROJW], size[MS_ATTPROJW], 0.02 / sqrt (8.0));
  assert_normal ("fcprojw", p + off[MS_FCPROJW], size[MS_FCPROJW], 0.02 / sqrt (8.0));
  int ones[] = { MS_LN1W, MS_LN2W, MS_LNFW };
  int zeros[] = { MS_LN1B, MS_QKVB, MS_ATTPROJB, MS_LN2B, MS_FCB, MS_FCPROJB, MS_LNFB };
  for (guint i = 0; i < G_N_ELEMENTS (ones); i++)
    assert_all (ms_gpt_param_name (ones[i]), p + off[ones[i]], size[ones[i]], 1.0f);
  for (guint i = 0; i < G_N_ELEMENTS (zeros); i++)
    assert_all (ms_gpt_param_name (zeros[i]), p + off[zeros[i]], size[zeros[i]], 0.0f);

  g_autoptr (MsCheckpoint) same = ms_checkpoint_new_random (&cfg, 42, NULL);
  g_autoptr (MsCheckpoint) other = ms_checkpoint_new_random (&cfg, 43, NULL);
  g_assert_cmpmem (same->params, 4 * same->n_params, p, 4 * ck->n_params);
  g_assert_true (memcmp (other->params, p, 4 * ck->n_params) != 0);
}

static void
test_stats (void)
{
  /* Hand-worked: mean 2.5, population variance 1.25 over the finite values. */
  float x[] = { 1, 2, 3, 4, NAN, INFINITY };
  MsTensorStats st;
  ms_checkpoint_tensor_stats (x, G_N_ELEMENTS (x), &st);
  g_assert_cmpfloat_with_epsilon (st.mean, 2.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (st.std, sqrt (1.25), 1e-12);
  g_assert_cmpfloat (st.min, ==, 1);
  g_assert_cmpfloat (st.max, ==, 4);
  g_assert_cmpuint (st.n, ==, 6);
  g_assert_cmpuint (st.n_nonfinite, ==, 2);
}

static void
test_half (void)
{
  /* Hand-worked IEEE half and bfloat16 values, including the edges of the half format. */
  guint16 h[] = { 0x3c00, 0xc000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x3555, 0x8000, 0x7c00,
                  0xfc00, 0x7e00 };
  float want[] = { 1, -2, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, 65504, 0.333251953125f, -0.0f,
                   INFINITY, -INFINITY, NAN };
  float got[G_N_ELEMENTS (h)];
  for (guint i = 0; i < G_N_ELEMENTS (h); i++)
    h[i] = GUINT16_TO_LE (h[i]);
  ms_ckpt_f16_to_f32 (h, got, G_N_ELEMENTS (h));
  for (guint i = 0; i < G_N_ELEMENTS (h) - 1; i++)
    if (memcmp (&got[i], &want[i], 4) != 0)
      g_error ("half 0x%04x: got %.9g, want %.9g", GUINT16_FROM_LE (h[i]), got[i], want[i]);
  g_assert_true (isnan (got[G_N_ELEMENTS (h) - 1]));
  guint16 b[] = { GUINT16_TO_LE (0x3f80), GUINT16_TO_LE (0xc040), GUINT16_TO_LE (0x3ea0) };
  float bwant[] = { 1, -3, 0.3125f }, bgot[3];
  ms_ckpt_bf16_to_f32 (b, bgot, 3);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (bgot[i], ==, bwant[i]);
}

/* ---- fixtures from make-fixtures.py --------------------------------------------------------- */

static JsonObject *
expected_json (JsonParser *parser)
{
  g_autofree char *path = ms_test_fixture ("checkpoint/expected.json");
  g_autoptr (GError) error = NULL;
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static MsCheckpoint *
load_fixture (const char *name)
{
  g_autofree char *rel = g_build_filename ("checkpoint", name, NULL);
  g_autofree char *path = ms_test_fixture (rel);
  g_autoptr (GError) error = NULL;
  MsCheckpoint *ck = ms_checkpoint_load (path, &error);
  g_assert_no_error (error);
  return ck;
}

static void
test_fixtures (void)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *all = expected_json (parser);
  const char *names[] = { "llmc-fp32.bin", "llmc-bf16.bin", "hf-prefixed", "hf-f16",
                          "hf-bf16/gpt2-tiny.safetensors" };
  for (guint f = 0; f < G_N_ELEMENTS (names); f++)
    {
      JsonObject *exp = json_object_get_object_member (all, names[f]);
      g_assert_nonnull (exp);
      g_autoptr (MsCheckpoint) ck = load_fixture (names[f]);
      g_test_message ("%s: %s", names[f], ck->dtype);
      g_assert_cmpint (ck->format, ==, strcmp (json_object_get_string_member (exp, "format"),
                                               "llmc") == 0 ? MS_CHECKPOINT_LLMC
                                                            : MS_CHECKPOINT_SAFETENSORS);
      g_assert_cmpint (ck->cfg.max_seq_len, ==, json_object_get_int_member (exp, "max_seq_len"));
      g_assert_cmpint (ck->cfg.vocab_size, ==, json_object_get_int_member (exp, "vocab_size"));
      g_assert_cmpint (ck->cfg.padded_vocab_size, ==,
                       json_object_get_int_member (exp, "padded_vocab_size"));
      g_assert_cmpint (ck->cfg.num_layers, ==, json_object_get_int_member (exp, "num_layers"));
      g_assert_cmpint (ck->cfg.num_heads, ==, json_object_get_int_member (exp, "num_heads"));
      g_assert_cmpint (ck->cfg.channels, ==, json_object_get_int_member (exp, "channels"));
      g_assert_cmpuint (ck->n_params, ==, json_object_get_int_member (exp, "n_params"));
      double sum = 0, sum_sq = 0;
      for (gsize i = 0; i < ck->n_params; i++)
        {
          sum += ck->params[i];
          sum_sq += (double) ck->params[i] * ck->params[i];
        }
      g_assert_cmpfloat_with_epsilon (sum, json_object_get_double_member (exp, "sum"), 1e-9);
      g_assert_cmpfloat_with_epsilon (sum_sq, json_object_get_double_member (exp, "sum_sq"),
                                      1e-9);
      JsonArray *samples = json_object_get_array_member (exp, "samples");
      for (guint i = 0; i < json_array_get_length (samples); i++)
        {
          JsonObject *s = json_array_get_object_element (samples, i);
          gint64 index = json_object_get_int_member (s, "index");
          float want = (float) json_object_get_double_member (s, "value");
          g_assert_cmpint (index, <, (gint64) ck->n_params);
          if (ck->params[index] != want)
            g_error ("%s: %s (llm.c index %" G_GINT64_FORMAT ") = %.9g, want %.9g", names[f],
                     json_object_get_string_member (s, "what"), index, ck->params[index], want);
        }
    }

  /* The same model through different files: exact where the rounding is the same. */
  g_autoptr (MsCheckpoint) fp32 = load_fixture ("llmc-fp32.bin");
  g_autoptr (MsCheckpoint) bf16 = load_fixture ("llmc-bf16.bin");
  g_autoptr (MsCheckpoint) hf32 = load_fixture ("hf-prefixed/model.safetensors");
  g_autoptr (MsCheckpoint) hf16 = load_fixture ("hf-f16");
  g_autoptr (MsCheckpoint) hfbf16 = load_fixture ("hf-bf16/gpt2-tiny.safetensors");
  g_assert_cmpmem (hf32->params, 4 * hf32->n_params, fp32->params, 4 * fp32->n_params);
  g_assert_cmpmem (hfbf16->params, 4 * hfbf16->n_params, bf16->params, 4 * bf16->n_params);
  g_assert_cmpstr (hf16->dtype, ==, "f16");
  g_assert_cmpstr (bf16->dtype, ==, "bf16");
  g_assert_cmpint (bf16->version, ==, 5);
  ms_test_assert_close ("f16 vs fp32", hf16->params, fp32->params, fp32->n_params, 1e-3);
  ms_test_assert_close ("bf16 vs fp32", bf16->params, fp32->params, fp32->n_params, 1e-2);
  g_assert_true (ms_test_max_abs (hf16->params, fp32->params, fp32->n_params) > 0);
}

/* ---- malformed llm.c files ------------------------------------------------------------------ */

/* A copy of llmc-fp32.bin with header int I set to V (I < 0: unchanged), cut or extended by
 * DELTA bytes. */
static char *
bad_bin (const char *name, int i, gint32 v, gssize delta)
{
  g_autofree char *src = ms_test_fixture ("checkpoint/llmc-fp32.bin");
  g_autoptr (GBytes) good = read_bytes (src);
  gsize len;
  const guchar *data = g_bytes_get_data (good, &len);
  gsize new_len = (gsize) ((gssize) len + delta);
  g_autofree guchar *buf = g_malloc0 (MAX (new_len, len));
  memcpy (buf, data, len);
  if (i >= 0)
    {
      gint32 le = GINT32_TO_LE (v);
      memcpy (buf + 4 * i, &le, 4);
    }
  char *path = tmp_path (name);
  write_bytes (path, buf, new_len);
  return path;
}

static void
test_bad_llmc (void)
{
  g_autofree char *missing = tmp_path ("no-such-model.bin");
  assert_load_fails (missing, G_FILE_ERROR, G_FILE_ERROR_NOENT, "cannot open");
  g_autofree char *empty = tmp_path ("empty.bin");
  write_bytes (empty, "", 0);
  assert_load_fails (empty, MS_ERROR, MS_ERROR_FORMAT, "empty file");
  struct { const char *name; int i; gint32 v; gssize delta; const char *want; } cases[] = {
    { "short-header.bin", -1, 0, 100 - 12416, "truncated header (100 bytes" },
    { "magic.bin", 0, 20240327 ^ 0x100, 0, "wrong magic" },
    { "tokenizer.bin", 0, 20240328, 0, "tokenizer file" },
    { "version.bin", 1, 7, 0, "unsupported version 7" },
    { "cut.bin", -1, 0, -4, "truncated tensors" },
    { "cut-bf16.bin", 1, 5, 0, "trailing bytes" },  /* fp32 data under a bf16 header */
    { "trailing.bin", -1, 0, 4, "trailing bytes" },
    { "negative.bin", 6, -8, 0, "must be positive" },
    { "zero-layers.bin", 4, 0, 0, "must be positive" },
    { "heads.bin", 5, 3, 0, "multiple of heads" },
    { "vocab.bin", 3, 200, 0, "larger than its padded size" },
    { "huge.bin", 4, 1000000000, 0, "too large" },
    { "huge-c.bin", 6, 1 << 30, 0, "too large" },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *path = bad_bin (cases[c].name, cases[c].i, cases[c].v, cases[c].delta);
      assert_load_fails (path, MS_ERROR, MS_ERROR_FORMAT, cases[c].want);
    }
}

/* ---- malformed safetensors and config.json -------------------------------------------------- */

typedef void (*EditHeader) (JsonObject *header, GByteArray *data);
typedef void (*EditConfig) (JsonObject *config);

/* A copy of hf-prefixed/ in a fresh directory NAME, with its JSON header and config edited. */
static char *
bad_hf (const char *name, EditHeader edit_header, EditConfig edit_config)
{
  g_autofree char *src = ms_test_fixture ("checkpoint/hf-prefixed/model.safetensors");
  g_autofree char *src_cfg = ms_test_fixture ("checkpoint/hf-prefixed/config.json");
  g_autoptr (GBytes) good = read_bytes (src);
  gsize len;
  const guchar *bytes = g_bytes_get_data (good, &len);
  guint64 n;
  memcpy (&n, bytes, 8);
  n = GUINT64_FROM_LE (n);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_data (parser, (const char *) bytes + 8, (gssize) n, &error);
  g_assert_no_error (error);
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_byte_array_append (data, bytes + 8 + n, (guint) (len - 8 - n));
  if (edit_header)
    edit_header (json_node_get_object (json_parser_get_root (parser)), data);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, json_parser_get_root (parser));
  gsize json_len;
  g_autofree char *json = json_generator_to_data (gen, &json_len);

  char *dir = tmp_path (name);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autofree char *st = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE ((guint64) json_len);
  g_byte_array_append (out, (const guint8 *) &le, 8);
  g_byte_array_append (out, (const guint8 *) json, (guint) json_len);
  g_byte_array_append (out, data->data, data->len);
  write_bytes (st, out->data, out->len);

  g_autoptr (JsonParser) cparser = json_parser_new ();
  json_parser_load_from_file (cparser, src_cfg, &error);
  g_assert_no_error (error);
  if (edit_config)
    edit_config (json_node_get_object (json_parser_get_root (cparser)));
  g_autoptr (JsonGenerator) cgen = json_generator_new ();
  json_generator_set_root (cgen, json_parser_get_root (cparser));
  g_autofree char *cfg_path = g_build_filename (dir, "config.json", NULL);
  json_generator_to_file (cgen, cfg_path, &error);
  g_assert_no_error (error);
  return dir;
}

static JsonObject *
entry (JsonObject *header, const char *name)
{
  JsonObject *t = json_object_get_object_member (header, name);
  g_assert_nonnull (t);
  return t;
}

static void
set_pair (JsonObject *t, const char *member, gint64 a, gint64 b)
{
  JsonArray *arr = json_array_new ();
  json_array_add_int_element (arr, a);
  if (b >= 0)
    json_array_add_int_element (arr, b);
  json_object_set_array_member (t, member, arr);
}

static gint64
offset_of (JsonObject *t, int i)
{
  return json_array_get_int_element (json_object_get_array_member (t, "data_offsets"), i);
}

static void
drop_fc_bias (JsonObject *h, GByteArray *d)
{
  json_object_remove_member (h, "transformer.h.1.mlp.c_fc.bias");
}

static void
transpose_fc (JsonObject *h, GByteArray *d)
{
  set_pair (entry (h, "transformer.h.0.mlp.c_fc.weight"), "shape", 32, 8);
}

static void
shape_vs_bytes (JsonObject *h, GByteArray *d)
{
  set_pair (entry (h, "transformer.h.0.mlp.c_fc.weight"), "shape", 8, 31);
}

static void
int_dtype (JsonObject *h, GByteArray *d)
{
  json_object_set_string_member (entry (h, "transformer.wte.weight"), "dtype", "I32");
}

static void
past_end (JsonObject *h, GByteArray *d)
{
  JsonObject *t = entry (h, "transformer.ln_f.bias");
  set_pair (t, "data_offsets", d->len - 28, d->len + 4);
}

static void
overlap (JsonObject *h, GByteArray *d)
{
  JsonObject *w = entry (h, "transformer.ln_f.weight"), *b = entry (h, "transformer.ln_f.bias");
  set_pair (b, "data_offsets", offset_of (w, 0) + 4, offset_of (w, 1) + 4);
}

static void
extra_layer (JsonObject *h, GByteArray *d)
{
  JsonObject *t = json_object_new ();
  json_object_set_string_member (t, "dtype", "F32");
  set_pair (t, "shape", 0, -1);
  set_pair (t, "data_offsets", 0, 0);
  json_object_set_object_member (h, "transformer.h.2.ln_1.weight", t);
}

static void
untied_head (JsonObject *h, GByteArray *d)
{
  JsonObject *head = entry (h, "lm_head.weight");
  gint64 b = offset_of (head, 0), e = offset_of (head, 1), at = d->len;
  g_byte_array_append (d, d->data + b, (guint) (e - b));
  d->data[at + 4 * 77] ^= 1;  /* row 9, column 5 of (50, 8) */
  set_pair (head, "data_offsets", at, at + e - b);
}

static void
no_offsets (JsonObject *h, GByteArray *d)
{
  json_object_remove_member (entry (h, "transformer.wpe.weight"), "data_offsets");
}

static void
twice (JsonObject *h, GByteArray *d)
{
  JsonObject *t = json_object_new ();
  json_object_set_string_member (t, "dtype", "F32");
  set_pair (t, "shape", 0, -1);
  set_pair (t, "data_offsets", 0, 0);
  json_object_set_object_member (h, "ln_f.bias", t);
}

static void cfg_no_heads (JsonObject *c) { json_object_remove_member (c, "n_head"); }
static void cfg_no_ctx (JsonObject *c) { json_object_remove_member (c, "n_positions"); }
static void cfg_eps (JsonObject *c)
{
  json_object_set_double_member (c, "layer_norm_epsilon", 1e-6);
}
static void cfg_relu (JsonObject *c)
{
  json_object_set_string_member (c, "activation_function", "relu");
}
static void cfg_act_type (JsonObject *c)
{
  json_object_set_int_member (c, "activation_function", 3);
}
static void cfg_3_layers (JsonObject *c) { json_object_set_int_member (c, "n_layer", 3); }
static void cfg_1_layer (JsonObject *c) { json_object_set_int_member (c, "n_layer", 1); }
static void cfg_wide (JsonObject *c) { json_object_set_int_member (c, "n_embd", 16); }
static void cfg_heads (JsonObject *c) { json_object_set_int_member (c, "n_head", 3); }
static void cfg_neg (JsonObject *c) { json_object_set_int_member (c, "vocab_size", -5); }
static void cfg_neo (JsonObject *c) { json_object_set_string_member (c, "model_type", "gpt_neo"); }

static void
test_bad_safetensors (void)
{
  struct {
    const char *name;
    EditHeader h;
    EditConfig c;
    gboolean names_config;  /* the message starts with config.json's path, else the data's */
    int code;
    const char *want;
  } cases[] = {
    { "st-missing", drop_fc_bias, NULL, FALSE, MS_ERROR_FORMAT,
      "missing tensor 'h.1.mlp.c_fc.bias'" },
    { "st-shape", transpose_fc, NULL, FALSE, MS_ERROR_MISMATCH,
      "'transformer.h.0.mlp.c_fc.weight' has shape [32, 8], expected [8, 32]" },
    { "st-bytes", shape_vs_bytes, NULL, FALSE, MS_ERROR_FORMAT, "F32 [8, 31] needs 992 bytes" },
    { "st-dtype", int_dtype, NULL, FALSE, MS_ERROR_FORMAT,
      "'transformer.wte.weight': unsupported dtype 'I32'" },
    { "st-range", past_end, NULL, FALSE, MS_ERROR_FORMAT, "out of range" },
    { "st-overlap", overlap, NULL, FALSE, MS_ERROR_FORMAT, "overlap" },
    { "st-extra", extra_layer, NULL, FALSE, MS_ERROR_MISMATCH,
      "unexpected tensor 'transformer.h.2.ln_1.weight'" },
    { "st-untied", untied_head, NULL, FALSE, MS_ERROR_FORMAT, "differs from wte at row 9" },
    { "st-entry", no_offsets, NULL, FALSE, MS_ERROR_FORMAT,
      "header entry 'transformer.wpe.weight'" },
    { "st-twice", twice, NULL, FALSE, MS_ERROR_FORMAT, "'ln_f.bias' appears twice" },
    { "cfg-heads", NULL, cfg_no_heads, TRUE, MS_ERROR_FORMAT, "missing key 'n_head'" },
    { "cfg-ctx", NULL, cfg_no_ctx, TRUE, MS_ERROR_FORMAT,
      "missing key 'n_positions' (or 'n_ctx')" },
    { "cfg-eps", NULL, cfg_eps, TRUE, MS_ERROR_FORMAT, "layer_norm_epsilon is 1e-06" },
    { "cfg-relu", NULL, cfg_relu, TRUE, MS_ERROR_FORMAT, "activation_function is 'relu'" },
    { "cfg-act-type", NULL, cfg_act_type, TRUE, MS_ERROR_FORMAT, "activation_function" },
    { "cfg-3-layers", NULL, cfg_3_layers, FALSE, MS_ERROR_FORMAT,
      "missing tensor 'h.2.ln_1.weight'" },
    { "cfg-1-layer", NULL, cfg_1_layer, FALSE, MS_ERROR_MISMATCH,
      "unexpected tensor 'transformer.h.1." },
    { "cfg-wide", NULL, cfg_wide, FALSE, MS_ERROR_MISMATCH,
      "'transformer.wte.weight' has shape [50, 8], expected [50, 16]" },
    { "cfg-nh", NULL, cfg_heads, TRUE, MS_ERROR_FORMAT, "multiple of heads" },
    { "cfg-neg", NULL, cfg_neg, TRUE, MS_ERROR_FORMAT, "'vocab_size' must be a positive integer" },
    { "cfg-neo", NULL, cfg_neo, TRUE, MS_ERROR_FORMAT, "model_type is 'gpt_neo'" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = bad_hf (cases[i].name, cases[i].h, cases[i].c);
      g_autofree char *st = g_build_filename (dir, "model.safetensors", NULL);
      g_autofree char *cfg = g_build_filename (dir, "config.json", NULL);
      g_test_message ("case %s", cases[i].name);
      assert_load_fails (dir, MS_ERROR, cases[i].code, cases[i].want);
      /* the message names the file at fault */
      g_autoptr (GError) error = NULL;
      g_autoptr (MsCheckpoint) ck = ms_checkpoint_load (dir, &error);
      g_assert_true (g_str_has_prefix (error->message, cases[i].names_config ? cfg : st));
    }

  /* An unedited copy loads: the cases above fail for their edit, not for the copying. */
  g_autofree char *same = bad_hf ("st-same", NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_load (same, &error);
  g_assert_no_error (error);

  /* Damage to the container itself. */
  g_autofree char *st = g_build_filename (same, "model.safetensors", NULL);
  g_autoptr (GBytes) good = read_bytes (st);
  gsize len;
  const guchar *bytes = g_bytes_get_data (good, &len);
  g_autofree guchar *buf = g_memdup2 (bytes, len);
  g_autofree char *dir = tmp_path ("st-container");
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *cfg_src = g_build_filename (same, "config.json", NULL);
  g_autoptr (GBytes) cfg = read_bytes (cfg_src);
  g_autofree char *cfg_path = g_build_filename (dir, "config.json", NULL);
  write_bytes (cfg_path, g_bytes_get_data (cfg, NULL), g_bytes_get_size (cfg));

  write_bytes (path, buf, 0);
  assert_load_fails (path, MS_ERROR, MS_ERROR_FORMAT, "empty file");
  write_bytes (path, buf, 5);
  assert_load_fails (path, MS_ERROR, MS_ERROR_FORMAT, "truncated header (5 bytes");
  guint64 huge = GUINT64_TO_LE ((guint64) len);
  memcpy (buf, &huge, 8);
  write_bytes (path, buf, len);
  g_autofree char *beyond = g_strdup_printf ("header length %zu is beyond the file", len);
  assert_load_fails (path, MS_ERROR, MS_ERROR_FORMAT, beyond);
  memcpy (buf, bytes, len);
  buf[8] = ']';  /* the opening brace */
  write_bytes (path, buf, len);
  assert_load_fails (path, MS_ERROR, MS_ERROR_FORMAT, "invalid JSON header");
  memcpy (buf, bytes, len);
  guint64 one = GUINT64_TO_LE (2);
  memcpy (buf, &one, 8);
  memcpy (buf + 8, "[]", 2);
  write_bytes (path, buf, len);
  assert_load_fails (path, MS_ERROR, MS_ERROR_FORMAT, "expected an object of tensors");
  write_bytes (path, bytes, len - 1);  /* the last tensor loses a byte */
  assert_load_fails (path, MS_ERROR, MS_ERROR_FORMAT, "out of range");

  /* Missing files: config.json, model.safetensors in a directory. */
  write_bytes (path, bytes, len);
  g_assert_cmpint (g_unlink (cfg_path), ==, 0);
  assert_load_fails (dir, G_FILE_ERROR, G_FILE_ERROR_NOENT, "config.json: missing");
  g_autofree char *bf16_dir = ms_test_fixture ("checkpoint/hf-bf16");
  assert_load_fails (bf16_dir, G_FILE_ERROR, G_FILE_ERROR_NOENT, "model.safetensors: missing");
}

/* ---- atomic saves --------------------------------------------------------------------------- */

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (g_dir_read_name (d))
    n++;
  return n;
}

static void
test_save_errors (void)
{
  MsGptConfig cfg = { .max_seq_len = 4, .vocab_size = 10, .padded_vocab_size = 128,
                      .num_layers = 1, .num_heads = 2, .channels = 4 };
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_new_random (&cfg, 1, NULL);
  g_autofree char *dir = tmp_path ("save");
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autoptr (GError) error = NULL;

  g_autofree char *nodir = g_build_filename (dir, "nope", "x.bin", NULL);
  g_assert_false (ms_checkpoint_save (nodir, &cfg, ck->params, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, nodir));
  g_clear_error (&error);

  /* rename () onto a non-empty directory fails after the data is written: no temp file stays */
  g_autofree char *target = g_build_filename (dir, "busy.bin", NULL);
  g_autofree char *inside = g_build_filename (target, "x", NULL);
  g_assert_cmpint (g_mkdir_with_parents (target, 0755), ==, 0);
  write_bytes (inside, "x", 1);
  g_assert_false (ms_checkpoint_save (target, &cfg, ck->params, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "cannot rename"));
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  /* A good file is replaced whole, or not at all. */
  g_autofree char *good = g_build_filename (dir, "good.bin", NULL);
  g_assert_true (ms_checkpoint_save (good, &cfg, ck->params, &error));
  g_assert_no_error (error);
  g_autoptr (GBytes) before = read_bytes (good);
  MsGptConfig bad = cfg;
  bad.num_heads = 3;
  g_assert_false (ms_checkpoint_save (good, &bad, ck->params, &error));
  g_assert_error (error, MS_ERROR, MS_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr (GBytes) after = read_bytes (good);
  g_assert_true (g_bytes_equal (before, after));
  g_autoptr (MsCheckpoint) other = ms_checkpoint_new_random (&cfg, 2, NULL);
  g_assert_true (ms_checkpoint_save (good, &cfg, other->params, &error));
  g_autoptr (MsCheckpoint) back = ms_checkpoint_load (good, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->params, 4 * back->n_params, other->params, 4 * other->n_params);
  g_assert_cmpuint (count_entries (dir), ==, 2);
}

/* ---- memscope info -------------------------------------------------------------------------- */

static int
run_memscope (const char *const *args, char **out, char **err)
{
  const char *root = g_getenv ("MS_BUILD_ROOT");
  g_assert_nonnull (root);
  g_autofree char *exe = g_build_filename (root, "cli", "memscope", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, exe);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status;
  g_autoptr (GError) error = NULL;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_cli (void)
{
  g_autofree char *fp32 = ms_test_fixture ("checkpoint/llmc-fp32.bin");
  g_autofree char *hf = ms_test_fixture ("checkpoint/hf-prefixed");
  g_autofree char *out = NULL, *err = NULL;
  const char *text_args[] = { "info", "--tensors", hf, NULL };
  g_assert_cmpint (run_memscope (text_args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "shape:       maxT=8 V=50 Vp=128 L=2 NH=2 C=8\n"));
  g_assert_nonnull (strstr (out, "parameters:  2848 (2224 without"));
  g_assert_nonnull (strstr (out, "safetensors (fp32)"));
  g_assert_nonnull (strstr (out, "\nqkvw      (2, 24, 8)  "));
  g_assert_nonnull (strstr (out, "\nfcprojw   (2, 8, 32)  "));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --json, and --convert of the HF model gives exactly the file llm.c's write_model wrote */
  g_autofree char *conv = tmp_path ("converted.bin");
  const char *json_args[] = { "info", "--json", "--tensors", "--convert", conv, hf, NULL };
  g_assert_cmpint (run_memscope (json_args, &out, &err), ==, 0);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (o, "padded_vocab_size"), ==, 128);
  g_assert_cmpint (json_object_get_int_member (o, "num_heads"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "parameters"), ==, 2848);
  g_assert_cmpint (json_object_get_int_member (o, "file_size"), ==, 13568);
  JsonArray *tensors = json_object_get_array_member (o, "tensors");
  g_assert_cmpuint (json_array_get_length (tensors), ==, 16);
  JsonObject *lnfw = json_array_get_object_element (tensors, MS_LNFW);
  g_assert_cmpstr (json_object_get_string_member (lnfw, "name"), ==, "lnfw");
  g_autoptr (MsCheckpoint) ck = ms_checkpoint_load (fp32, &error);
  g_assert_no_error (error);
  MsTensorStats st;
  gsize off[MS_N_PARAMS];
  ms_gpt_param_offsets (&ck->cfg, off);
  ms_checkpoint_tensor_stats (ck->params + off[MS_LNFW], 8, &st);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (lnfw, "mean"), st.mean, 1e-12);
  g_autoptr (GBytes) a = read_bytes (conv);
  g_autoptr (GBytes) b = read_bytes (fp32);
  g_assert_true (g_bytes_equal (a, b));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* errors: one line naming the file, exit status 1; usage errors exit 2 */
  g_autofree char *missing = tmp_path ("missing.bin");
  const char *bad_args[] = { "info", missing, NULL };
  g_assert_cmpint (run_memscope (bad_args, &out, &err), ==, 1);
  g_assert_true (g_str_has_prefix (err, "memscope info: "));
  g_assert_nonnull (strstr (err, missing));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  const char *usage_args[] = { "info", NULL };
  g_assert_cmpint (run_memscope (usage_args, &out, &err), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/checkpoint/roundtrip", test_roundtrip);
  g_test_add_func ("/checkpoint/random-init", test_random_init);
  g_test_add_func ("/checkpoint/stats", test_stats);
  g_test_add_func ("/checkpoint/half", test_half);
  g_test_add_func ("/checkpoint/fixtures", test_fixtures);
  g_test_add_func ("/checkpoint/bad-llmc", test_bad_llmc);
  g_test_add_func ("/checkpoint/bad-safetensors", test_bad_safetensors);
  g_test_add_func ("/checkpoint/save-errors", test_save_errors);
  g_test_add_func ("/checkpoint/cli", test_cli);
  return ms_test_run ();
}
