/* The multi-task mixer: task rates, seeded draws (xoshiro256** seeded through splitmix64) and
 * per-task epoch permutations that depend only on (seed, task, epoch), so saving the generator
 * and each task's (epoch, cursor) is the whole state. */
#include "train/ms-mixer.h"

#include <math.h>
#include <string.h>

#include "common/ms-error.h"

#define STATE_MAGIC "MSMIXER1"
#define NO_EPOCH G_MAXUINT64

/* Stream keys keep the draw generator and the permutation generators apart. */
#define STREAM_DRAW 0x6d69786472617731ull
#define STREAM_PERM 0x6d69787065726d31ull

typedef struct { guint64 s[4]; } Rng;

struct _MsMixer {
  MsMixerStrategy strategy;
  double temperature;     /* 0 unless MS_MIXER_TEMPERATURE */
  gsize cap;              /* 0 unless proportional or temperature */
  double *weights;        /* (n) for MS_MIXER_WEIGHTS, else NULL */
  int n;
  gsize *sizes;           /* (n) */
  double *rates;          /* (n) */
  double *cum;            /* (n) cumulative rates, cum[last positive] = 1 */
  guint64 seed;
  Rng draw;
  guint64 *counts;        /* (n) examples drawn */
  guint64 *epoch;         /* (n) the epoch being drawn */
  gsize *cursor;          /* (n) position in that epoch's permutation */
  gsize **perm;           /* (n) the permutation of perm_epoch[i], built when first needed */
  guint64 *perm_epoch;    /* (n) NO_EPOCH when perm[i] is not built */
};

/* splitmix64's output function (Steele, Lea, Flood 2014; Vigna's constants). */
static guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static guint64
splitmix64 (guint64 *x)
{
  return mix64 (*x += 0x9E3779B97F4A7C15ull);
}

static void
rng_seed (Rng *r, guint64 key)
{
  guint64 x = key;
  for (int k = 0; k < 4; k++)
    r->s[k] = splitmix64 (&x);
}

static guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256** 1.0 (Blackman and Vigna 2018). */
static guint64
rng_next (Rng *r)
{
  guint64 *s = r->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static double
rng_uniform (Rng *r)
{
  return (double) (rng_next (r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, BOUND) without modulo bias (rejection of the short top range). */
static guint64
rng_below (Rng *r, guint64 bound)
{
  guint64 threshold = (0 - bound) % bound;
  for (;;)
    {
      guint64 x = rng_next (r);
      if (x >= threshold)
        return x % bound;
    }
}

const char *
ms_mixer_strategy_name (MsMixerStrategy s)
{
  switch (s)
    {
    case MS_MIXER_PROPORTIONAL:
      return "proportional";
    case MS_MIXER_TEMPERATURE:
      return "temperature";
    case MS_MIXER_EQUAL:
      return "equal";
    case MS_MIXER_WEIGHTS:
      return "weights";
    }
  return "unknown";
}

gboolean
ms_mixer_strategy_parse (const char *text, MsMixerStrategy *s, GError **error)
{
  for (int k = MS_MIXER_PROPORTIONAL; k <= MS_MIXER_WEIGHTS; k++)
    if (g_ascii_strcasecmp (text, ms_mixer_strategy_name (k)) == 0)
      {
        *s = k;
        return TRUE;
      }
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "unknown mixing strategy '%s' (expected "
               "proportional, temperature, equal or weights)", text);
  return FALSE;
}

/* Fills M->rates from the configuration (already checked). */
static void
compute_rates (MsMixer *m)
{
  double total = 0;
  switch (m->strategy)
    {
    case MS_MIXER_EQUAL:
      for (int i = 0; i < m->n; i++)
        m->rates[i] = 1.0 / m->n;
      return;
    case MS_MIXER_WEIGHTS:
      for (int i = 0; i < m->n; i++)
        total += m->weights[i];
      for (int i = 0; i < m->n; i++)
        m->rates[i] = m->weights[i] / total;
      return;
    case MS_MIXER_PROPORTIONAL:
    case MS_MIXER_TEMPERATURE:
      break;
    }
  /* min(n_i, K)^(1/T) in the log domain, scaled by the largest, so a small T cannot overflow. */
  double inv_t = m->strategy == MS_MIXER_TEMPERATURE ? 1.0 / m->temperature : 1.0;
  double top = -INFINITY;
  for (int i = 0; i < m->n; i++)
    {
      gsize c = m->cap > 0 ? MIN (m->sizes[i], m->cap) : m->sizes[i];
      m->rates[i] = inv_t * log ((double) c);
      top = MAX (top, m->rates[i]);
    }
  for (int i = 0; i < m->n; i++)
    {
      m->rates[i] = exp (m->rates[i] - top);
      total += m->rates[i];
    }
  for (int i = 0; i < m->n; i++)
    m->rates[i] /= total;
}

static void
compute_cumulative (MsMixer *m)
{
  double c = 0;
  int last = 0;
  for (int i = 0; i < m->n; i++)
    {
      c += m->rates[i];
      m->cum[i] = c;
      if (m->rates[i] > 0)
        last = i;
    }
  /* Rounding must not leave a gap above the last drawable task. */
  for (int i = last; i < m->n; i++)
    m->cum[i] = 1.0;
}

void
ms_mixer_free (MsMixer *m)
{
  if (m == NULL)
    return;
  for (int i = 0; i < m->n; i++)
    g_free (m->perm[i]);
  g_free (m->perm);
  g_free (m->perm_epoch);
  g_free (m->cursor);
  g_free (m->epoch);
  g_free (m->counts);
  g_free (m->cum);
  g_free (m->rates);
  g_free (m->sizes);
  g_free (m->weights);
  g_free (m);
}

MsMixer *
ms_mixer_new (const MsMixerConfig *cfg, const gsize *sizes, int n_tasks, guint64 seed,
              GError **error)
{
  g_return_val_if_fail (cfg != NULL, NULL);
  if (n_tasks < 1)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "a mixture needs at least one task "
                   "(got %d)", n_tasks);
      return NULL;
    }
  if (cfg->strategy < MS_MIXER_PROPORTIONAL || cfg->strategy > MS_MIXER_WEIGHTS)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "unknown mixing strategy %d",
                   (int) cfg->strategy);
      return NULL;
    }
  for (int i = 0; i < n_tasks; i++)
    if (sizes[i] == 0)
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "task %d of the mixture has no examples",
                     i);
        return NULL;
      }
  if (cfg->strategy == MS_MIXER_TEMPERATURE
      && !(cfg->temperature > 0 && isfinite (cfg->temperature)))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "mixing temperature %g: expected a "
                   "finite number > 0", cfg->temperature);
      return NULL;
    }
  if (cfg->strategy == MS_MIXER_WEIGHTS)
    {
      if (cfg->weights == NULL)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "mixing by weights needs one weight "
                       "per task (none given)");
          return NULL;
        }
      double total = 0;
      for (int i = 0; i < n_tasks; i++)
        {
          double w = cfg->weights[i];
          if (!(w >= 0 && isfinite (w)))
            {
              g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "weight %g of task %d: expected "
                           "a finite number >= 0", w, i);
              return NULL;
            }
          total += w;
        }
      if (!(total > 0 && isfinite (total)))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID, "the task weights sum to %g: "
                       "expected a finite sum > 0", total);
          return NULL;
        }
    }

  MsMixer *m = g_new0 (MsMixer, 1);
  m->strategy = cfg->strategy;
  /* Settings the strategy does not use are zeroed, so saved states compare only what counts. */
  m->temperature = cfg->strategy == MS_MIXER_TEMPERATURE ? cfg->temperature : 0;
  m->cap = cfg->strategy == MS_MIXER_PROPORTIONAL || cfg->strategy == MS_MIXER_TEMPERATURE
           ? cfg->cap : 0;
  if (cfg->strategy == MS_MIXER_WEIGHTS)
    m->weights = g_memdup2 (cfg->weights, n_tasks * sizeof (double));
  m->n = n_tasks;
  m->sizes = g_memdup2 (sizes, n_tasks * sizeof (gsize));
  m->rates = g_new (double, n_tasks);
  m->cum = g_new (double, n_tasks);
  m->seed = seed;
  m->counts = g_new0 (guint64, n_tasks);
  m->epoch = g_new0 (guint64, n_tasks);
  m->cursor = g_new0 (gsize, n_tasks);
  m->perm = g_new0 (gsize *, n_tasks);
  m->perm_epoch = g_new (guint64, n_tasks);
  for (int i = 0; i < n_tasks; i++)
    m->perm_epoch[i] = NO_EPOCH;
  compute_rates (m);
  compute_cumulative (m);
  rng_seed (&m->draw, mix64 (seed ^ STREAM_DRAW));
  return m;
}

int
ms_mixer_n_tasks (const MsMixer *m)
{
  return m->n;
}

const gsize *
ms_mixer_sizes (const MsMixer *m)
{
  return m->sizes;
}

const double *
ms_mixer_rates (const MsMixer *m)
{
  return m->rates;
}

const guint64 *
ms_mixer_counts (const MsMixer *m)
{
  return m->counts;
}

guint64
ms_mixer_epochs (const MsMixer *m, int task)
{
  g_return_val_if_fail (task >= 0 && task < m->n, 0);
  return m->epoch[task];
}

/* Builds task I's permutation for its current epoch: Fisher-Yates from a generator keyed by
 * (seed, task, epoch) only. */
static void
build_perm (MsMixer *m, int i)
{
  gsize n = m->sizes[i];
  if (m->perm[i] == NULL)
    m->perm[i] = g_new (gsize, n);
  gsize *p = m->perm[i];
  for (gsize k = 0; k < n; k++)
    p[k] = k;
  Rng r;
  rng_seed (&r, mix64 (mix64 (mix64 (m->seed ^ STREAM_PERM) + (guint64) i) + m->epoch[i]));
  for (gsize k = n - 1; k > 0; k--)
    {
      gsize j = (gsize) rng_below (&r, (guint64) k + 1);
      gsize t = p[k];
      p[k] = p[j];
      p[j] = t;
    }
  m->perm_epoch[i] = m->epoch[i];
}

void
ms_mixer_next (MsMixer *m, int *task, gsize *index)
{
  double u = rng_uniform (&m->draw);
  int i = 0;
  while (i < m->n - 1 && !(u < m->cum[i]))
    i++;
  if (m->perm_epoch[i] != m->epoch[i])
    build_perm (m, i);
  *task = i;
  *index = m->perm[i][m->cursor[i]];
  m->counts[i]++;
  if (++m->cursor[i] == m->sizes[i])
    {
      m->cursor[i] = 0;
      m->epoch[i]++;
    }
}

/* State bytes: all fields little-endian 64-bit. */
static void
put_u64 (GByteArray *b, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &le, 8);
}

static guint64
double_bits (double d)
{
  guint64 v;
  memcpy (&v, &d, 8);
  return v;
}

GBytes *
ms_mixer_save_state (const MsMixer *m)
{
  GByteArray *b = g_byte_array_new ();
  g_byte_array_append (b, (const guint8 *) STATE_MAGIC, 8);
  put_u64 (b, (guint64) m->n);
  put_u64 (b, (guint64) m->strategy);
  put_u64 (b, double_bits (m->temperature));
  put_u64 (b, (guint64) m->cap);
  put_u64 (b, m->seed);
  for (int i = 0; i < m->n; i++)
    {
      put_u64 (b, (guint64) m->sizes[i]);
      put_u64 (b, m->weights ? double_bits (m->weights[i]) : 0);
    }
  for (int k = 0; k < 4; k++)
    put_u64 (b, m->draw.s[k]);
  for (int i = 0; i < m->n; i++)
    {
      put_u64 (b, m->epoch[i]);
      put_u64 (b, (guint64) m->cursor[i]);
      put_u64 (b, m->counts[i]);
    }
  return g_byte_array_free_to_bytes (b);
}

static guint64
get_u64 (const guint8 *p, gsize k)
{
  guint64 v;
  memcpy (&v, p + 8 + 8 * k, 8);
  return GUINT64_FROM_LE (v);
}

gboolean
ms_mixer_restore_state (MsMixer *m, GBytes *state, GError **error)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (state, &len);
  if (len < 8 + 6 * 8 || memcmp (p, STATE_MAGIC, 8) != 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "not a mixer state (%zu bytes, expected "
                   "the magic %s)", len, STATE_MAGIC);
      return FALSE;
    }
  guint64 n = get_u64 (p, 0);
  if (n != (guint64) m->n)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "the mixer state is for %" G_GUINT64_FORMAT
                   " tasks, this mixer has %d", n, m->n);
      return FALSE;
    }
  gsize want = 8 + 8 * (5 + 2 * n + 4 + 3 * n);
  if (len != want)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "mixer state of %zu bytes, expected %zu "
                   "for %d tasks", len, want, m->n);
      return FALSE;
    }
  MsMixerStrategy s = (MsMixerStrategy) get_u64 (p, 1);
  if ((guint64) s != (guint64) m->strategy || get_u64 (p, 2) != double_bits (m->temperature)
      || get_u64 (p, 3) != (guint64) m->cap)
    {
      double t;
      guint64 tb = get_u64 (p, 2);
      memcpy (&t, &tb, 8);
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "the mixer state was saved with strategy "
                   "%s (temperature %g, cap %" G_GUINT64_FORMAT "), this mixer uses %s "
                   "(temperature %g, cap %zu)", ms_mixer_strategy_name (s), t, get_u64 (p, 3),
                   ms_mixer_strategy_name (m->strategy), m->temperature, m->cap);
      return FALSE;
    }
  if (get_u64 (p, 4) != m->seed)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "the mixer state was saved with seed %"
                   G_GUINT64_FORMAT ", this mixer has seed %" G_GUINT64_FORMAT, get_u64 (p, 4),
                   m->seed);
      return FALSE;
    }
  for (int i = 0; i < m->n; i++)
    {
      guint64 size = get_u64 (p, 5 + 2 * i);
      if (size != (guint64) m->sizes[i])
        {
          g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "task %d had %" G_GUINT64_FORMAT
                       " examples in the saved mixer state, it has %zu now", i, size,
                       m->sizes[i]);
          return FALSE;
        }
      if (get_u64 (p, 6 + 2 * i) != (m->weights ? double_bits (m->weights[i]) : 0))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_MISMATCH, "the weight of task %d differs from "
                       "the saved mixer state", i);
          return FALSE;
        }
    }
  gsize at = 5 + 2 * n + 4;
  for (int i = 0; i < m->n; i++)
    {
      guint64 epoch = get_u64 (p, at + 3 * i), cursor = get_u64 (p, at + 3 * i + 1);
      guint64 count = get_u64 (p, at + 3 * i + 2);
      if (cursor >= m->sizes[i] || count != epoch * m->sizes[i] + cursor)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_FORMAT, "mixer state: task %d is at epoch %"
                       G_GUINT64_FORMAT ", example %" G_GUINT64_FORMAT " of %zu after %"
                       G_GUINT64_FORMAT " draws, which cannot be", i, epoch, cursor,
                       m->sizes[i], count);
          return FALSE;
        }
    }
  for (int k = 0; k < 4; k++)
    m->draw.s[k] = get_u64 (p, 5 + 2 * n + k);
  for (int i = 0; i < m->n; i++)
    {
      m->epoch[i] = get_u64 (p, at + 3 * i);
      m->cursor[i] = (gsize) get_u64 (p, at + 3 * i + 1);
      m->counts[i] = get_u64 (p, at + 3 * i + 2);
      m->perm_epoch[i] = NO_EPOCH;  /* rebuilt from (seed, task, epoch) when next needed */
    }
  return TRUE;
}
