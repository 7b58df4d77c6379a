/* The synthetic sparse-coding task family: made-up words, sparse codes, nested supports. */
#include "ms-synthetic.h"
#include "common/ms-json.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "common/ms-atomic.h"
#include "common/ms-error.h"

typedef struct {
  guint64 s;
} Rng;

static guint64
rng_next (Rng *r)
{
  guint64 z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double
rng_uniform (Rng *r)
{
  return (rng_next (r) >> 11) * (1.0 / 9007199254740992.0);
}

static guint64
rng_below (Rng *r, guint64 n)
{
  return rng_next (r) % n;  /* n is tiny against 2^64: the bias is negligible */
}

void
ms_synth_config_init (MsSynthConfig *cfg)
{
  *cfg = (MsSynthConfig) { .features = 64, .lexicon = 6, .active = 6, .words = 40, .seed = 1 };
}

/* Word W of feature J: two or three syllables, unique across the family (the index is
 * spelled into the syllables, so two indices never give the same word). */
static void
append_word (GString *out, const MsSynthConfig *cfg, int j, int w)
{
  static const char *onsets[] = { "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t",
                                  "v", "z", "ch", "sh" };
  static const char *vowels[] = { "a", "e", "i", "o", "u", "ai", "ou", "ei" };
  guint64 id = (guint64) j * cfg->lexicon + w;
  /* A fixed scramble of the index, so neighbouring features do not look alike. */
  guint64 x = (id * 0x9E3779B1u + cfg->seed * 7919) % 65536;
  for (int k = 0; k < 2; k++)
    {
      g_string_append (out, onsets[x % 16]);
      x /= 16;
      g_string_append (out, vowels[x % 8]);
      x /= 8;
    }
  /* The last syllable carries what is left of the index and the rest of it. */
  g_string_append (out, onsets[(x + id / 2048) % 16]);
  g_string_append (out, vowels[(id / 128) % 8]);
  g_string_append_printf (out, "%s", (id / 16384) ? "n" : "");
}

char *
ms_synth_word (const MsSynthConfig *cfg, int j, int w)
{
  GString *s = g_string_new (NULL);
  append_word (s, cfg, j, w);
  return g_string_free (s, FALSE);
}

char *
ms_synth_feature_name (const MsSynthConfig *cfg, int j)
{
  return ms_synth_word (cfg, j, 0);
}

/* The family's support order: a seeded permutation of the features; S_s is its first s. */
static void
support_order (const MsSynthConfig *cfg, int *order)
{
  Rng r = { cfg->seed ^ 0x5F99u };
  for (int j = 0; j < cfg->features; j++)
    order[j] = j;
  for (int j = cfg->features - 1; j > 0; j--)
    {
      int k = rng_below (&r, j + 1), t = order[j];
      order[j] = order[k];
      order[k] = t;
    }
}

void
ms_synth_sample (const MsSynthConfig *cfg, int s, guint64 sample_seed, GString *input,
                 GString *output, double *z)
{
  int F = cfg->features, m = MIN (cfg->active, F);
  Rng r = { sample_seed };
  memset (z, 0, F * sizeof (double));
  /* m distinct active features with weights in [0.5, 2). */
  for (int k = 0; k < m; k++)
    {
      int j;
      do
        j = rng_below (&r, F);
      while (z[j] > 0);
      z[j] = 0.5 + 1.5 * rng_uniform (&r);
    }
  double total = 0;
  for (int j = 0; j < F; j++)
    total += z[j];
  g_string_truncate (input, 0);
  for (int w = 0; w < cfg->words; w++)
    {
      /* A word from D·z: a feature by its weight, then a word of its lexicon. */
      double u = rng_uniform (&r) * total;
      int j = 0;
      while (j < F - 1 && (z[j] == 0 || (u -= z[j]) >= 0))
        j++;
      if (w > 0)
        g_string_append_c (input, ' ');
      append_word (input, cfg, j, rng_below (&r, cfg->lexicon));
    }
  g_string_append_c (input, '.');
  g_autofree int *order = g_new (int, F);
  support_order (cfg, order);
  int best = -1;
  for (int k = 0; k < MIN (s, F); k++)
    if (z[order[k]] > 0 && (best < 0 || z[order[k]] > z[best]))
      best = order[k];
  g_string_truncate (output, 0);
  if (best < 0)
    g_string_append (output, "none");
  else
    append_word (output, cfg, best, 0);
}

static gboolean
write_split (const MsSynthConfig *cfg, int s, const char *name, int n, guint64 salt,
             const char *path, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL), in = g_string_new (NULL);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree double *z = g_new (double, cfg->features);
  for (int i = 0; i < n; i++)
    {
      ms_synth_sample (cfg, s, cfg->seed * 1000003 + salt + (guint64) i * 7919, in, out, z);
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      ms_json_add_string (b, "task", name);
      ms_json_add_string (b, "input", in->str);
      ms_json_add_string (b, "output", out->str);
      g_autofree char *id = g_strdup_printf ("%s/%s:%d", name, salt ? "heldout" : "train", i);
      ms_json_add_string (b, "id", id);
      json_builder_end_object (b);
      g_autofree char *line = ms_json_builder_to_string (b, FALSE);
      g_string_append_printf (text, "%s\n", line);
    }
  return ms_atomic_write (path, text->str, text->len, error);
}

gboolean
ms_synth_write_task (const MsSynthConfig *cfg, int s, const char *name, int n_train,
                     int n_heldout, const char *train_path, const char *heldout_path,
                     GError **error)
{
  if (cfg->features < 1 || cfg->lexicon < 1 || cfg->active < 1 || cfg->words < 1 || s < 1
      || s > cfg->features || n_train < 1 || n_heldout < 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "synthetic task: need features, lexicon, active, words ≥ 1 and 1 ≤ s ≤ "
                   "features (%d), got s = %d", cfg->features, s);
      return FALSE;
    }
  /* Held-out samples use another stream (salt), so the splits cannot share a sample. */
  return write_split (cfg, s, name, n_train, 0, train_path, error)
         && write_split (cfg, s, name, n_heldout, 0x40000000, heldout_path, error);
}
