/* Import of Hugging Face GPT-2 checkpoints (model.safetensors + config.json) into llm.c's
 * parameter layout: Conv1D weights are transposed from HF's (in, out) to llm.c's (out, in),
 * F16/BF16 widened to float32, and the vocabulary padded with zero rows as llm.c does. */
#include "model/ms-checkpoint.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "common/ms-json.h"
#include <math.h>
#include <string.h>

#include "common/ms-error.h"
#include "model/ms-checkpoint-io.h"

/* safetensors' own reader refuses headers over 100 MB. */
#define MAX_HEADER_BYTES (100u << 20)
#define CHUNK_BYTES (1u << 20)

typedef enum { DT_F32, DT_F16, DT_BF16, DT_OTHER } Dtype;

typedef struct {
  char *name;          /* as in the file, e.g. "transformer.h.0.ln_1.weight" */
  Dtype dtype;
  char *dtype_name;
  int ndim;
  guint64 shape[8];
  guint64 begin, end;  /* byte range within the data section */
  gboolean used;
} Tensor;

static void
tensor_free (gpointer p)
{
  Tensor *t = p;
  g_free (t->name);
  g_free (t->dtype_name);
  g_free (t);
}

static gsize
dtype_size (const char *name)
{
  static const struct { const char *name; gsize size; } sizes[] = {
    { "F64", 8 }, { "F32", 4 }, { "F16", 2 }, { "BF16", 2 }, { "I64", 8 }, { "I32", 4 },
    { "I16", 2 }, { "I8", 1 }, { "U64", 8 }, { "U32", 4 }, { "U16", 2 }, { "U8", 1 },
    { "BOOL", 1 }, { "F8_E4M3", 1 }, { "F8_E5M2", 1 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (strcmp (name, sizes[i].name) == 0)
      return sizes[i].size;
  return 0;
}

static char *
shape_string (const guint64 *shape, int ndim)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* A non-negative JSON integer, or an error naming WHAT. */
static gboolean
json_uint (JsonNode *node, guint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64 || json_node_get_int (node) < 0)
    return FALSE;
  *out = (guint64) json_node_get_int (node);
  return TRUE;
}

/* A JSON string, or NULL for anything else (json-glib's own getters warn on other types). */
static const char *
json_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static int
compare_begin (gconstpointer a, gconstpointer b)
{
  const Tensor *x = *(Tensor *const *) a, *y = *(Tensor *const *) b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : strcmp (x->name, y->name);
}

/* Parses and checks the JSON header: every tensor's entry is well formed, its byte range lies
 * within the data section, matches its shape and dtype, and overlaps no other. Returns a table
 * keyed by name without the "transformer." prefix. */
static GHashTable *
parse_header (const char *path, const char *json, gsize len, guint64 data_len, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) jerr = NULL;
  if (!ms_json_parser_load (parser, json, (gssize) len, &jerr))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: invalid JSON header (bytes 8-%"
                   G_GUINT64_FORMAT "): %s", path, (guint64) len + 8, jerr->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: invalid JSON header: expected an "
                   "object of tensors", path);
      return NULL;
    }
  g_autoptr (GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        tensor_free);
  g_autoptr (GPtrArray) by_offset = g_ptr_array_new ();
  JsonObject *obj = json_node_get_object (root);
  g_autoptr (GList) members = json_object_get_members (obj);
  for (GList *m = members; m; m = m->next)
    {
      const char *name = m->data;
      if (strcmp (name, "__metadata__") == 0)
        continue;
      JsonNode *node = json_object_get_member (obj, name);
      JsonObject *t = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *dtype = t ? json_string (json_object_get_member (t, "dtype")) : NULL;
      JsonNode *shape_node = t ? json_object_get_member (t, "shape") : NULL;
      JsonNode *off_node = t ? json_object_get_member (t, "data_offsets") : NULL;
      JsonArray *shape = shape_node && JSON_NODE_HOLDS_ARRAY (shape_node)
        ? json_node_get_array (shape_node) : NULL;
      JsonArray *offs = off_node && JSON_NODE_HOLDS_ARRAY (off_node)
        ? json_node_get_array (off_node) : NULL;
      if (dtype == NULL || shape == NULL || offs == NULL || json_array_get_length (offs) != 2
          || json_array_get_length (shape) > G_N_ELEMENTS (((Tensor *) 0)->shape))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: header entry '%s': expected "
                       "{\"dtype\": string, \"shape\": [at most 8 integers], \"data_offsets\": "
                       "[begin, end]}", path, name);
          return NULL;
        }
      Tensor *ten = g_new0 (Tensor, 1);
      ten->name = g_strdup (name);
      ten->dtype_name = g_strdup (dtype);
      ten->dtype = strcmp (dtype, "F32") == 0 ? DT_F32 : strcmp (dtype, "F16") == 0 ? DT_F16
        : strcmp (dtype, "BF16") == 0 ? DT_BF16 : DT_OTHER;
      ten->ndim = (int) json_array_get_length (shape);
      const char *key = g_str_has_prefix (name, "transformer.") ? name + 12 : name;
      if (g_hash_table_contains (table, key))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor '%s' appears twice (with "
                       "and without the 'transformer.' prefix)", path, key);
          tensor_free (ten);
          return NULL;
        }
      g_hash_table_insert (table, g_strdup (key), ten);
      double numel = 1;
      for (int i = 0; i < ten->ndim; i++)
        {
          if (!json_uint (json_array_get_element (shape, i), &ten->shape[i]))
            {
              g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor '%s': shape[%d] is not "
                           "a non-negative integer", path, name, i);
              return NULL;
            }
          numel *= (double) ten->shape[i];
        }
      if (!json_uint (json_array_get_element (offs, 0), &ten->begin)
          || !json_uint (json_array_get_element (offs, 1), &ten->end))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor '%s': data_offsets must be "
                       "two non-negative integers", path, name);
          return NULL;
        }
      if (ten->begin > ten->end || ten->end > data_len)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor '%s': data_offsets [%"
                       G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] out of range (the data "
                       "section holds %" G_GUINT64_FORMAT " bytes)", path, name, ten->begin,
                       ten->end, data_len);
          return NULL;
        }
      gsize esize = dtype_size (dtype);
      if (esize && numel * esize != (double) (ten->end - ten->begin))
        {
          g_autofree char *s = shape_string (ten->shape, ten->ndim);
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor '%s': %s %s needs %.0f "
                       "bytes but data_offsets span %" G_GUINT64_FORMAT, path, name, dtype, s,
                       numel * esize, ten->end - ten->begin);
          return NULL;
        }
      g_ptr_array_add (by_offset, ten);
    }
  /* Sorted by start, a tensor overlaps an earlier one iff it starts before the furthest end
   * seen so far (empty tensors occupy nothing). */
  g_ptr_array_sort (by_offset, compare_begin);
  const Tensor *furthest = NULL;
  for (guint i = 0; i < by_offset->len; i++)
    {
      const Tensor *b = by_offset->pdata[i];
      if (b->begin == b->end)
        continue;
      if (furthest && b->begin < furthest->end)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensors '%s' [%" G_GUINT64_FORMAT
                       ", %" G_GUINT64_FORMAT ") and '%s' [%" G_GUINT64_FORMAT ", %"
                       G_GUINT64_FORMAT ") overlap", path, furthest->name, furthest->begin,
                       furthest->end, b->name, b->begin, b->end);
          return NULL;
        }
      if (furthest == NULL || b->end > furthest->end)
        furthest = b;
    }
  return g_steal_pointer (&table);
}

/* ---- config.json ---------------------------------------------------------------------------- */

static gboolean
config_int (JsonObject *obj, const char *key, const char *alt, const char *path, int *out,
            GError **error)
{
  const char *used = json_object_has_member (obj, key) ? key
    : alt && json_object_has_member (obj, alt) ? alt : NULL;
  if (used == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: missing key '%s'%s%s%s", path, key,
                   alt ? " (or '" : "", alt ? alt : "", alt ? "')" : "");
      return FALSE;
    }
  guint64 v;
  if (!json_uint (json_object_get_member (obj, used), &v) || v == 0 || v > (1u << 30))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: '%s' must be a positive integer "
                   "(at most 2^30)", path, used);
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

/* A boolean member; DEFAULT when absent, null or not a boolean. */
static gboolean
json_bool (JsonObject *obj, const char *key, gboolean def)
{
  JsonNode *node = json_object_get_member (obj, key);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return def;
  return json_node_get_boolean (node);
}

/* Reads the shape from config.json and refuses GPT-2 variants whose forward pass differs from
 * llm.c's: another LayerNorm epsilon, activation, MLP width or attention scaling. */
static gboolean
read_config (const char *path, MsGptConfig *cfg, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) jerr = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: missing (a Hugging Face "
                   "checkpoint needs its config.json beside model.safetensors)", path);
      return FALSE;
    }
  g_autofree char *text = NULL;
  gsize len = 0;
  GStatBuf st;
  /* A config.json is a few hundred bytes; one over 16 MiB is not one. */
  if (g_stat (path, &st) == 0 && st.st_size > (16 << 20))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: %lld bytes is too large for a "
                   "config.json (at most 16 MiB)", path, (long long) st.st_size);
      return FALSE;
    }
  if (!g_file_get_contents (path, &text, &len, error))
    return FALSE;
  if (!ms_json_parser_load (parser, text, (gssize) len, &jerr))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: invalid JSON: %s", path,
                   jerr->message);
      return FALSE;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: expected a JSON object", path);
      return FALSE;
    }
  JsonObject *obj = json_node_get_object (root);
  if (!config_int (obj, "n_embd", NULL, path, &cfg->channels, error)
      || !config_int (obj, "n_layer", NULL, path, &cfg->num_layers, error)
      || !config_int (obj, "n_head", NULL, path, &cfg->num_heads, error)
      || !config_int (obj, "vocab_size", NULL, path, &cfg->vocab_size, error)
      || !config_int (obj, "n_positions", "n_ctx", path, &cfg->max_seq_len, error))
    return FALSE;
  JsonNode *node = json_object_get_member (obj, "model_type");
  const char *model_type = node ? json_string (node) : "gpt2";
  if (model_type == NULL || strcmp (model_type, "gpt2") != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: model_type is '%s', expected 'gpt2'",
                   path, model_type ? model_type : "(not a string)");
      return FALSE;
    }
  node = json_object_get_member (obj, "layer_norm_epsilon");
  GType eps_type = node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : 0;
  double eps = node == NULL ? 1e-5 : eps_type == G_TYPE_DOUBLE || eps_type == G_TYPE_INT64
    ? json_node_get_double (node) : NAN;
  if (!(fabs (eps - 1e-5) <= 1e-12))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: layer_norm_epsilon is %g; memscope's "
                   "GPT-2 uses 1e-5", path, eps);
      return FALSE;
    }
  node = json_object_get_member (obj, "activation_function");
  const char *act = node ? json_string (node) : "gelu_new";
  if (act == NULL || (strcmp (act, "gelu_new") != 0 && strcmp (act, "gelu_pytorch_tanh") != 0))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: activation_function is '%s'; "
                   "memscope's GPT-2 uses the tanh GELU ('gelu_new')", path,
                   act ? act : "(not a string)");
      return FALSE;
    }
  JsonNode *inner = json_object_get_member (obj, "n_inner");
  guint64 n_inner;
  if (inner && !JSON_NODE_HOLDS_NULL (inner)
      && (!json_uint (inner, &n_inner) || n_inner != 4 * (guint64) cfg->channels))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: n_inner must be null or 4 * n_embd "
                   "(%d)", path, 4 * cfg->channels);
      return FALSE;
    }
  if (!json_bool (obj, "scale_attn_weights", TRUE)
      || json_bool (obj, "scale_attn_by_inverse_layer_idx", FALSE))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: attention scaling other than "
                   "1/sqrt(head size) is not supported", path);
      return FALSE;
    }
  /* llm.c pads the vocabulary for aligned GEMMs; the extra rows are zero. */
  gint64 vp = ((gint64) cfg->vocab_size + MS_CHECKPOINT_VOCAB_PAD - 1)
              / MS_CHECKPOINT_VOCAB_PAD * MS_CHECKPOINT_VOCAB_PAD;
  cfg->padded_vocab_size = (int) MIN (vp, G_MAXINT32);
  g_autoptr (GError) bad = NULL;
  if (!ms_gpt_config_validate (cfg, &bad))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: %s", path, bad->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- reading tensors ------------------------------------------------------------------------ */

/* One HF tensor and where it goes: ROWS x COLS floats at DST; a Conv1D weight is stored
 * transposed, (COLS, ROWS), in the file. */
typedef struct {
  const Tensor *t;
  float *dst;
  gsize rows, cols;
  gboolean transpose;
} Job;

static gboolean
add_job (GArray *jobs, GHashTable *table, const char *path, const char *name, float *dst,
         gsize rows, gsize cols, gboolean vector, gboolean transpose, GError **error)
{
  Tensor *t = g_hash_table_lookup (table, name);
  if (t == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: missing tensor '%s'", path, name);
      return FALSE;
    }
  t->used = TRUE;
  guint64 want[2] = { transpose ? cols : rows, transpose ? rows : cols };
  int want_ndim = vector ? 1 : 2;
  if (vector)
    want[0] = (guint64) rows * cols;
  if (t->ndim != want_ndim || t->shape[0] != want[0] || (!vector && t->shape[1] != want[1]))
    {
      g_autofree char *got_s = shape_string (t->shape, t->ndim);
      g_autofree char *want_s = shape_string (want, want_ndim);
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "%s: tensor '%s' has shape %s, expected "
                   "%s from config.json", path, t->name, got_s, want_s);
      return FALSE;
    }
  if (t->dtype == DT_OTHER)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor '%s': unsupported dtype '%s' "
                   "(expected F32, F16 or BF16)", path, t->name, t->dtype_name);
      return FALSE;
    }
  Job job = { t, dst, rows, cols, transpose };
  g_array_append_val (jobs, job);
  return TRUE;
}

static int
compare_job (gconstpointer a, gconstpointer b)
{
  const Job *x = a, *y = b;
  return x->t->begin < y->t->begin ? -1 : x->t->begin > y->t->begin;
}

/* Reads N elements of tensor T, starting at its element FIRST, as floats into OUT, converting
 * through SCRATCH (CHUNK_BYTES). Seeks only when not already there, so sequential calls
 * stream through the stdio buffer. */
static gboolean
read_floats (FILE *f, const char *path, guint64 data_start, const Tensor *t, gsize first,
             float *out, gsize n, void *scratch, GError **error)
{
  gsize esize = t->dtype == DT_F32 ? 4 : 2;
  guint64 at = data_start + t->begin + (guint64) first * esize;
  if ((guint64) ftello (f) != at && !ms_ckpt_seek (f, at, path, error))
    return FALSE;
  if (t->dtype == DT_F32)
    {
      if (!ms_ckpt_read (f, out, n * 4, path, at, t->name, error))
        return FALSE;
      ms_ckpt_f32_from_le (out, n);
      return TRUE;
    }
  gsize chunk = CHUNK_BYTES / 2;
  for (gsize i = 0; i < n; i += chunk)
    {
      gsize m = MIN (chunk, n - i);
      if (!ms_ckpt_read (f, scratch, m * 2, path, at + i * 2, t->name, error))
        return FALSE;
      if (t->dtype == DT_F16)
        ms_ckpt_f16_to_f32 (scratch, out + i, m);
      else
        ms_ckpt_bf16_to_f32 (scratch, out + i, m);
    }
  return TRUE;
}

/* DST (rows, cols) = SRC (cols, rows) transposed, in tiles that stay in cache. */
static void
transpose (float *dst, const float *src, gsize rows, gsize cols)
{
  enum { TILE = 32 };
  for (gsize r0 = 0; r0 < rows; r0 += TILE)
    for (gsize c0 = 0; c0 < cols; c0 += TILE)
      for (gsize r = r0; r < MIN (r0 + TILE, rows); r++)
        for (gsize c = c0; c < MIN (c0 + TILE, cols); c++)
          dst[r * cols + c] = src[c * rows + r];
}

static const char *
dtype_label (Dtype d)
{
  return d == DT_F32 ? "fp32" : d == DT_F16 ? "f16" : "bf16";
}

/* A tied lm_head is a copy of wte; an untied one would need an output matrix we do not have. */
static gboolean
check_lm_head (FILE *f, const char *path, guint64 data_start, GHashTable *table,
               const MsCheckpoint *ck, void *scratch, GError **error)
{
  Tensor *t = g_hash_table_lookup (table, "lm_head.weight");
  if (t == NULL)
    return TRUE;
  t->used = TRUE;
  gsize V = ck->cfg.vocab_size, C = ck->cfg.channels;
  if (t->ndim != 2 || t->shape[0] != V || t->shape[1] != C || t->dtype == DT_OTHER)
    {
      g_autofree char *s = shape_string (t->shape, t->ndim);
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor 'lm_head.weight' (%s %s) is "
                   "not a copy of wte (untied output embeddings are not supported)", path,
                   t->dtype_name, s);
      return FALSE;
    }
  /* Compare a block of rows at a time, read sequentially through a small buffer. */
  gsize block = MAX (1, CHUNK_BYTES / 4 / C);
  g_autofree float *rows = g_new (float, block * C);
  for (gsize r = 0; r < V; r += block)
    {
      gsize m = MIN (block, V - r);
      if (!read_floats (f, path, data_start, t, r * C, rows, m * C, scratch, error))
        return FALSE;
      for (gsize i = 0; i < m; i++)
        if (memcmp (rows + i * C, ck->params + (r + i) * C, C * sizeof (float)) != 0)
          {
            g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: tensor 'lm_head.weight' "
                         "differs from wte at row %zu (untied output embeddings are not "
                         "supported)", path, r + i);
            return FALSE;
          }
    }
  return TRUE;
}

static gboolean
is_ignored_buffer (const char *key)
{
  /* The causal mask buffers older transformers versions saved with the weights. */
  return g_str_has_prefix (key, "h.") && (g_str_has_suffix (key, ".attn.bias")
                                          || g_str_has_suffix (key, ".attn.masked_bias"));
}

static char *
resolve_paths (const char *path, char **config_path, GError **error)
{
  char *st_path;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      st_path = g_build_filename (path, "model.safetensors", NULL);
      if (!g_file_test (st_path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *index = g_build_filename (path, "model.safetensors.index.json",
                                                     NULL);
          g_autofree char *pt = g_build_filename (path, "pytorch_model.bin", NULL);
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: missing%s", st_path,
                       g_file_test (index, G_FILE_TEST_EXISTS)
                       ? " (sharded safetensors checkpoints are not supported)"
                       : g_file_test (pt, G_FILE_TEST_EXISTS)
                       ? " (only safetensors is read, not pytorch_model.bin)"
                       : " (a Hugging Face GPT-2 directory holds model.safetensors and "
                         "config.json)");
          g_free (st_path);
          return NULL;
        }
    }
  else
    st_path = g_strdup (path);
  g_autofree char *dir = g_path_get_dirname (st_path);
  *config_path = g_build_filename (dir, "config.json", NULL);
  return st_path;
}

MsCheckpoint *
ms_checkpoint_load_safetensors (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autofree char *config_path = NULL;
  g_autofree char *st_path = resolve_paths (path, &config_path, error);
  if (st_path == NULL)
    return NULL;
  guint64 file_size;
  FILE *f = ms_ckpt_open_read (st_path, &file_size, error);
  if (f == NULL)
    return NULL;
  MsCheckpoint *ck = NULL;
  g_autoptr (GHashTable) table = NULL;
  g_autoptr (GArray) jobs = g_array_new (FALSE, FALSE, sizeof (Job));
  g_autofree char *json = NULL;
  g_autofree void *scratch = NULL;
  g_autofree float *tmp = NULL;
  guint64 header_len;

  if (file_size == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: empty file (expected safetensors)",
                   st_path);
      goto out;
    }
  if (file_size < 8)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: truncated header (%" G_GUINT64_FORMAT
                   " bytes, expected at least 8)", st_path, file_size);
      goto out;
    }
  if (!ms_ckpt_read (f, &header_len, 8, st_path, 0, "header length", error))
    goto out;
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > file_size - 8 || header_len > MAX_HEADER_BYTES)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "%s: byte 0: header length %"
                   G_GUINT64_FORMAT " is beyond the file (%" G_GUINT64_FORMAT " bytes)%s",
                   st_path, header_len, file_size,
                   header_len > MAX_HEADER_BYTES ? " or over the 100 MB limit" : "");
      goto out;
    }
  json = g_malloc (header_len + 1);
  if (!ms_ckpt_read (f, json, header_len, st_path, 8, "JSON header", error))
    goto out;
  json[header_len] = '\0';
  guint64 data_start = 8 + header_len;
  table = parse_header (st_path, json, header_len, file_size - data_start, error);
  if (table == NULL)
    goto out;
  g_clear_pointer (&json, g_free);

  MsGptConfig cfg;
  if (!read_config (config_path, &cfg, error))
    goto out;
  ck = ms_ckpt_alloc (&cfg, st_path, FALSE, error);
  if (ck == NULL)
    goto out;
  ck->format = MS_CHECKPOINT_SAFETENSORS;
  ck->file_size = file_size;

  /* Map every llm.c tensor to its HF source(s). */
  gsize off[MS_N_PARAMS];
  ms_gpt_param_offsets (&cfg, off);
  gsize V = cfg.vocab_size, C = cfg.channels, maxT = cfg.max_seq_len;
  float *p = ck->params;
  /* The tensors below cover every element but the padded rows of wte, which llm.c zeroes. */
  memset (p + off[MS_WTE] + V * C, 0, (cfg.padded_vocab_size - V) * C * sizeof (float));
  if (!add_job (jobs, table, st_path, "wte.weight", p + off[MS_WTE], V, C, FALSE, FALSE, error)
      || !add_job (jobs, table, st_path, "wpe.weight", p + off[MS_WPE], maxT, C, FALSE, FALSE,
                   error))
    goto fail;
  static const struct { const char *name; int which; gsize rows, cols; gboolean weight; } per[] = {
    /* rows and cols in units of C; weights are HF Conv1D, stored (cols, rows) */
    { "ln_1.weight", MS_LN1W, 1, 1, FALSE }, { "ln_1.bias", MS_LN1B, 1, 1, FALSE },
    { "attn.c_attn.weight", MS_QKVW, 3, 1, TRUE }, { "attn.c_attn.bias", MS_QKVB, 3, 1, FALSE },
    { "attn.c_proj.weight", MS_ATTPROJW, 1, 1, TRUE },
    { "attn.c_proj.bias", MS_ATTPROJB, 1, 1, FALSE },
    { "ln_2.weight", MS_LN2W, 1, 1, FALSE }, { "ln_2.bias", MS_LN2B, 1, 1, FALSE },
    { "mlp.c_fc.weight", MS_FCW, 4, 1, TRUE }, { "mlp.c_fc.bias", MS_FCB, 4, 1, FALSE },
    { "mlp.c_proj.weight", MS_FCPROJW, 1, 4, TRUE },
    { "mlp.c_proj.bias", MS_FCPROJB, 1, 1, FALSE },
  };
  gsize max_transposed = 0;
  for (int l = 0; l < cfg.num_layers; l++)
    for (guint i = 0; i < G_N_ELEMENTS (per); i++)
      {
        char name[64];
        g_snprintf (name, sizeof name, "h.%d.%s", l, per[i].name);
        gsize rows = per[i].rows * C, cols = per[i].weight ? per[i].cols * C : 1;
        float *dst = p + off[per[i].which] + (gsize) l * rows * cols;
        if (!add_job (jobs, table, st_path, name, dst, rows, cols, !per[i].weight,
                      per[i].weight, error))
          goto fail;
        if (per[i].weight)
          max_transposed = MAX (max_transposed, rows * cols);
      }
  if (!add_job (jobs, table, st_path, "ln_f.weight", p + off[MS_LNFW], C, 1, TRUE, FALSE, error)
      || !add_job (jobs, table, st_path, "ln_f.bias", p + off[MS_LNFB], C, 1, TRUE, FALSE,
                   error))
    goto fail;

  /* Anything else would be silently dropped: refuse it, except known buffers. */
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Tensor *t = value;
      if (!t->used && !is_ignored_buffer (key) && strcmp (key, "lm_head.weight") != 0)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "%s: unexpected tensor '%s' (not "
                       "part of a GPT-2 with n_layer=%d as config.json says)", st_path, t->name,
                       cfg.num_layers);
          goto fail;
        }
    }

  /* Read in file order so the disk streams; one transposed tensor is the only extra memory. */
  g_array_sort (jobs, compare_job);
  scratch = g_malloc (CHUNK_BYTES);
  tmp = g_try_malloc_n (MAX (max_transposed, 1), sizeof (float));
  if (tmp == NULL)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_IO, "%s: cannot allocate %zu floats", st_path,
                   max_transposed);
      goto fail;
    }
  Dtype first = ((Job *) jobs->data)->t->dtype;
  gboolean mixed = FALSE;
  for (guint j = 0; j < jobs->len; j++)
    {
      const Job *job = &g_array_index (jobs, Job, j);
      gsize n = job->rows * job->cols;
      mixed |= job->t->dtype != first;
      if (!read_floats (f, st_path, data_start, job->t, 0, job->transpose ? tmp : job->dst, n,
                        scratch, error))
        goto fail;
      if (job->transpose)
        transpose (job->dst, tmp, job->rows, job->cols);
    }
  ck->dtype = mixed ? "mixed" : dtype_label (first);
  if (!check_lm_head (f, st_path, data_start, table, ck, scratch, error))
    goto fail;
  goto out;

fail:
  g_clear_pointer (&ck, ms_checkpoint_free);
out:
  fclose (f);
  return ck;
}
