/* Statistics of memorization rates and scores: seeded RNG, Wilson and Newcombe intervals,
 * percentile bootstrap, means, correlations, ROC, canary exposure and length matching (see
 * ms-stats.h for the definitions; distributions are in ms-stats-dist.c). */
#include "analysis/ms-stats.h"
#include "analysis/ms-stats-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/ms-error.h"

/* ---- Random numbers ------------------------------------------------------------------------ */

void
ms_rng_init (MsRng *rng, guint64 seed)
{
  rng->state = seed;
}

guint64
ms_rng_next (MsRng *rng)
{
  guint64 z = (rng->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double
ms_rng_uniform (MsRng *rng)
{
  return (double) (ms_rng_next (rng) >> 11) * 0x1.0p-53;
}

guint64
ms_rng_below (MsRng *rng, guint64 n)
{
  g_return_val_if_fail (n > 0, 0);
  /* Rejection of the top partial block keeps every value equally likely. */
  guint64 limit = G_MAXUINT64 - G_MAXUINT64 % n;
  guint64 v;
  do
    v = ms_rng_next (rng);
  while (v >= limit);
  return v % n;
}

/* ---- Helpers ------------------------------------------------------------------------------- */

gboolean
ms_stats_check_level (double level, GError **error)
{
  if (level > 0 && level < 1)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
               "confidence level %g: expected a value in (0, 1)", level);
  return FALSE;
}

gboolean
ms_stats_check_finite (const char *what, const double *x, gsize n, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (x[i]))
      {
        g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                     "%s[%zu] = %g: expected a finite number", what, i, x[i]);
        return FALSE;
      }
  return TRUE;
}

static int
double_cmp (const void *pa, const void *pb)
{
  double a = *(const double *) pa, b = *(const double *) pb;
  return (a > b) - (a < b);
}

double
ms_stats_quantile_sorted (const double *sorted, gsize n, double q)
{
  if (n == 0)
    return NAN;
  double h = (double) (n - 1) * CLAMP (q, 0.0, 1.0);
  gsize lo = (gsize) floor (h);
  if (lo + 1 >= n)
    return sorted[n - 1];
  return sorted[lo] + (h - (double) lo) * (sorted[lo + 1] - sorted[lo]);
}

gboolean
ms_stats_percentile_interval (double *reps, gsize k, gsize b, double level, MsInterval *out,
                              GError **error)
{
  if (k * 2 < b)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "bootstrap: the statistic is undefined in %zu of %zu resamples", b - k, b);
      return FALSE;
    }
  qsort (reps, k, sizeof (double), double_cmp);
  out->lower = ms_stats_quantile_sorted (reps, k, (1 - level) / 2);
  out->upper = ms_stats_quantile_sorted (reps, k, (1 + level) / 2);
  return TRUE;
}

/* ---- Proportions --------------------------------------------------------------------------- */

static gboolean
check_counts (guint64 x, guint64 n, GError **error)
{
  if (n > 0 && x <= n)
    return TRUE;
  g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
               "proportion %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
               ": expected at least one sample and no more successes than samples", x, n);
  return FALSE;
}

gboolean
ms_stats_wilson (guint64 successes, guint64 n, double level, MsInterval *out, GError **error)
{
  if (!check_counts (successes, n, error) || !ms_stats_check_level (level, error))
    return FALSE;
  double z = ms_stats_normal_quantile ((1 + level) / 2), z2 = z * z, nn = (double) n;
  double p = (double) successes / nn;
  double denom = 1 + z2 / nn;
  double center = (p + z2 / (2 * nn)) / denom;
  double half = z / denom * sqrt (p * (1 - p) / nn + z2 / (4 * nn * nn));
  out->estimate = p;
  /* At p = 0 or 1 one bound is exactly 0 or 1; avoid a rounding hair beyond it. */
  out->lower = successes == 0 ? 0.0 : MAX (0.0, center - half);
  out->upper = successes == n ? 1.0 : MIN (1.0, center + half);
  return TRUE;
}

gboolean
ms_stats_newcombe_diff (guint64 x1, guint64 n1, guint64 x2, guint64 n2, double level,
                        MsInterval *out, GError **error)
{
  MsInterval a, b;
  if (!ms_stats_wilson (x1, n1, level, &a, error) || !ms_stats_wilson (x2, n2, level, &b, error))
    return FALSE;
  double d = a.estimate - b.estimate;
  out->estimate = d;
  out->lower = d - sqrt ((a.estimate - a.lower) * (a.estimate - a.lower)
                         + (b.upper - b.estimate) * (b.upper - b.estimate));
  out->upper = d + sqrt ((a.upper - a.estimate) * (a.upper - a.estimate)
                         + (b.estimate - b.lower) * (b.estimate - b.lower));
  return TRUE;
}

/* ---- Bootstrap ----------------------------------------------------------------------------- */

void
ms_bootstrap_params_init (MsBootstrapParams *p)
{
  p->n_resamples = 2000;
  p->level = MS_STATS_LEVEL;
  p->seed = 0x6d656d73636f7065ull;
}

gboolean
ms_stats_bootstrap (gsize n, MsStatFunc stat, gpointer user_data,
                    const MsBootstrapParams *params, MsInterval *out, GError **error)
{
  MsBootstrapParams defaults;
  if (params == NULL)
    {
      ms_bootstrap_params_init (&defaults);
      params = &defaults;
    }
  if (!ms_stats_check_level (params->level, error))
    return FALSE;
  if (n == 0 || params->n_resamples == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "bootstrap of %zu samples with %u resamples: expected at least one of each",
                   n, params->n_resamples);
      return FALSE;
    }
  g_autofree gsize *idx = g_new (gsize, n);
  for (gsize i = 0; i < n; i++)
    idx[i] = i;
  out->estimate = stat (idx, n, user_data);
  if (!isfinite (out->estimate))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "bootstrap: the statistic is undefined on the data itself");
      return FALSE;
    }

  MsRng rng;
  ms_rng_init (&rng, params->seed);
  g_autofree double *reps = g_new (double, params->n_resamples);
  gsize k = 0;
  for (guint b = 0; b < params->n_resamples; b++)
    {
      for (gsize i = 0; i < n; i++)
        idx[i] = (gsize) ms_rng_below (&rng, n);
      double v = stat (idx, n, user_data);
      if (isfinite (v))
        reps[k++] = v;
    }
  return ms_stats_percentile_interval (reps, k, params->n_resamples, params->level, out, error);
}

static double
mean_stat (const gsize *idx, gsize n, gpointer user_data)
{
  const double *x = user_data;
  double s = 0;
  for (gsize i = 0; i < n; i++)
    s += x[idx[i]];
  return s / (double) n;
}

gboolean
ms_stats_mean (const double *x, gsize n, MsCiMethod method, const MsBootstrapParams *params,
               MsInterval *out, GError **error)
{
  MsBootstrapParams defaults;
  if (params == NULL)
    {
      ms_bootstrap_params_init (&defaults);
      params = &defaults;
    }
  if (!ms_stats_check_finite ("x", x, n, error) || !ms_stats_check_level (params->level, error))
    return FALSE;
  if (method == MS_CI_BOOTSTRAP)
    return ms_stats_bootstrap (n, mean_stat, (gpointer) x, params, out, error);
  if (n < 2)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "t interval of a mean of %zu values: expected at least 2", n);
      return FALSE;
    }
  double m = 0, ss = 0;
  for (gsize i = 0; i < n; i++)
    m += x[i];
  m /= (double) n;
  for (gsize i = 0; i < n; i++)
    ss += (x[i] - m) * (x[i] - m);
  double se = sqrt (ss / (double) (n - 1) / (double) n);
  double t = ms_stats_t_quantile ((1 + params->level) / 2, (double) (n - 1));
  out->estimate = m;
  out->lower = m - t * se;
  out->upper = m + t * se;
  return TRUE;
}

/* ---- Correlations -------------------------------------------------------------------------- */

static gint
index_by_value (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const double *x = data;
  gsize a = *(const gsize *) pa, b = *(const gsize *) pb;
  if (x[a] != x[b])
    return x[a] < x[b] ? -1 : 1;
  return (a > b) - (a < b);
}

void
ms_stats_rank (const double *x, gsize n, double *ranks)
{
  g_autofree gsize *order = g_new (gsize, n + 1);
  for (gsize i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, n, sizeof (gsize), index_by_value, (gpointer) x);
  for (gsize i = 0; i < n;)
    {
      gsize j = i;
      while (j + 1 < n && x[order[j + 1]] == x[order[i]])
        j++;
      double r = 0.5 * (double) (i + j) + 1;  /* mean of ranks i+1 .. j+1 */
      for (gsize k = i; k <= j; k++)
        ranks[order[k]] = r;
      i = j + 1;
    }
}

/* Pearson r of x[idx], y[idx]; NaN when either is constant. */
static double
pearson_idx (const double *x, const double *y, const gsize *idx, gsize n)
{
  double mx = 0, my = 0;
  for (gsize i = 0; i < n; i++)
    mx += x[idx[i]], my += y[idx[i]];
  mx /= (double) n;
  my /= (double) n;
  double sxy = 0, sxx = 0, syy = 0;
  for (gsize i = 0; i < n; i++)
    {
      double dx = x[idx[i]] - mx, dy = y[idx[i]] - my;
      sxy += dx * dy, sxx += dx * dx, syy += dy * dy;
    }
  if (!(sxx > 0) || !(syy > 0))
    return NAN;
  return CLAMP (sxy / sqrt (sxx * syy), -1.0, 1.0);
}

typedef struct {
  const double *x, *y;
  double *bx, *by, *rx, *ry;  /* scratch for Spearman: (n) each */
  gsize *ident;
} CorrData;

static double
pearson_stat (const gsize *idx, gsize n, gpointer user_data)
{
  const CorrData *d = user_data;
  return pearson_idx (d->x, d->y, idx, n);
}

static double
spearman_stat (const gsize *idx, gsize n, gpointer user_data)
{
  const CorrData *d = user_data;
  /* Re-rank every resample: repeated draws create new ties. */
  for (gsize i = 0; i < n; i++)
    d->bx[i] = d->x[idx[i]], d->by[i] = d->y[idx[i]];
  ms_stats_rank (d->bx, n, d->rx);
  ms_stats_rank (d->by, n, d->ry);
  return pearson_idx (d->rx, d->ry, d->ident, n);
}

static gboolean
correlation (const double *x, const double *y, gsize n, gboolean spearman,
             const MsBootstrapParams *params, MsCorrelation *out, GError **error)
{
  if (n < 3)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "correlation of %zu pairs: expected at least 3", n);
      return FALSE;
    }
  if (!ms_stats_check_finite ("x", x, n, error) || !ms_stats_check_finite ("y", y, n, error))
    return FALSE;
  g_autofree double *scratch = g_new (double, 4 * n);
  g_autofree gsize *ident = g_new (gsize, n);
  for (gsize i = 0; i < n; i++)
    ident[i] = i;
  CorrData d = { x, y, scratch, scratch + n, scratch + 2 * n, scratch + 3 * n, ident };
  MsStatFunc stat = spearman ? spearman_stat : pearson_stat;
  if (isnan (stat (ident, n, &d)))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "correlation of %zu pairs: x or y is constant", n);
      return FALSE;
    }
  if (!ms_stats_bootstrap (n, stat, &d, params, &out->r, error))
    return FALSE;
  out->p_value = ms_stats_correlation_p_value (out->r.estimate, (double) n);
  out->n = n;
  return TRUE;
}

gboolean
ms_stats_pearson (const double *x, const double *y, gsize n, const MsBootstrapParams *params,
                  MsCorrelation *out, GError **error)
{
  return correlation (x, y, n, FALSE, params, out, error);
}

gboolean
ms_stats_spearman (const double *x, const double *y, gsize n, const MsBootstrapParams *params,
                   MsCorrelation *out, GError **error)
{
  return correlation (x, y, n, TRUE, params, out, error);
}

/* ---- ROC ----------------------------------------------------------------------------------- */

/* The positives of SCORES into *N_POS; fails on a NaN score or a missing class. */
static gboolean
roc_check (const double *scores, const gboolean *positive, gsize n, gsize *n_pos,
           GError **error)
{
  *n_pos = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (isnan (scores[i]))
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "ROC: score[%zu] is NaN: expected a number", i);
          return FALSE;
        }
      *n_pos += positive[i] != FALSE;
    }
  if (*n_pos == 0 || *n_pos == n)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "ROC of %zu positives and %zu negatives: expected both classes", *n_pos,
                   n - *n_pos);
      return FALSE;
    }
  return TRUE;
}

/* Mann-Whitney AUC from the ascending average RANKS of the scores: (R+ - n+ (n+ + 1) / 2) /
 * (n+ n-), with R+ the positives' rank sum. */
static double
auc_of_ranks (const double *ranks, const gboolean *positive, gsize n, gsize n_pos)
{
  double rank_sum = 0;
  for (gsize i = 0; i < n; i++)
    if (positive[i])
      rank_sum += ranks[i];
  double np = (double) n_pos, nn = (double) (n - n_pos);
  return (rank_sum - np * (np + 1) / 2) / (np * nn);
}

MsRoc *
ms_stats_roc (const double *scores, const gboolean *positive, gsize n, GError **error)
{
  gsize n_pos;
  if (!roc_check (scores, positive, n, &n_pos, error))
    return NULL;

  MsRoc *roc = g_new0 (MsRoc, 1);
  roc->n_pos = n_pos;
  roc->n_neg = n - n_pos;
  roc->fpr = g_new (double, n + 1);
  roc->tpr = g_new (double, n + 1);
  roc->threshold = g_new (double, n + 1);
  roc->fpr[0] = roc->tpr[0] = 0;
  roc->threshold[0] = INFINITY;
  roc->n_points = 1;

  /* Ascending ranks give the AUC (Mann-Whitney); walking them from the top gives the curve. */
  g_autofree double *ranks = g_new (double, n);
  g_autofree gsize *order = g_new (gsize, n);
  ms_stats_rank (scores, n, ranks);
  for (gsize i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, n, sizeof (gsize), index_by_value, (gpointer) scores);
  roc->auc = auc_of_ranks (ranks, positive, n, n_pos);
  double np = (double) roc->n_pos, nn = (double) roc->n_neg;

  gsize tp = 0, fp = 0;
  for (gsize i = n; i > 0;)
    {
      double t = scores[order[i - 1]];
      while (i > 0 && scores[order[i - 1]] == t)
        {
          if (positive[order[i - 1]])
            tp++;
          else
            fp++;
          i--;
        }
      roc->fpr[roc->n_points] = (double) fp / nn;
      roc->tpr[roc->n_points] = (double) tp / np;
      roc->threshold[roc->n_points] = t;
      roc->n_points++;
    }
  return roc;
}

void
ms_roc_free (MsRoc *roc)
{
  if (roc == NULL)
    return;
  g_free (roc->fpr);
  g_free (roc->tpr);
  g_free (roc->threshold);
  g_free (roc);
}

double
ms_roc_tpr_at_fpr (const MsRoc *roc, double f)
{
  if (isnan (f))
    return NAN;
  if (f >= 1)
    return 1.0;
  f = MAX (f, 0.0);
  /* k = the last point with fpr <= f; fpr and tpr never decrease along the curve. */
  gsize k = 0;
  while (k + 1 < roc->n_points && roc->fpr[k + 1] <= f)
    k++;
  if (roc->fpr[k] == f || k + 1 == roc->n_points)
    return roc->tpr[k];
  double w = (f - roc->fpr[k]) / (roc->fpr[k + 1] - roc->fpr[k]);
  return roc->tpr[k] + w * (roc->tpr[k + 1] - roc->tpr[k]);
}

gboolean
ms_stats_auc_bootstrap (const double *scores, const gboolean *positive, gsize n,
                        const MsBootstrapParams *params, MsInterval *out, GError **error)
{
  MsBootstrapParams defaults;
  if (params == NULL)
    {
      ms_bootstrap_params_init (&defaults);
      params = &defaults;
    }
  gsize n_pos;
  if (!ms_stats_check_level (params->level, error)
      || !roc_check (scores, positive, n, &n_pos, error))
    return FALSE;
  if (params->n_resamples == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "AUC bootstrap with no resample: expected at least one");
      return FALSE;
    }
  gsize n_neg = n - n_pos;
  g_autofree double *ranks = g_new (double, n);
  ms_stats_rank (scores, n, ranks);
  out->estimate = auc_of_ranks (ranks, positive, n, n_pos);

  /* A resample holds its positives first: the labels are the same in every one. */
  g_autofree gsize *pi = g_new (gsize, n_pos), *ni = g_new (gsize, n_neg);
  g_autofree gboolean *rp = g_new (gboolean, n);
  g_autofree double *rs = g_new (double, n);
  for (gsize i = 0, kp = 0, kn = 0; i < n; i++)
    {
      if (positive[i])
        pi[kp++] = i;
      else
        ni[kn++] = i;
      rp[i] = i < n_pos;
    }
  guint nb = params->n_resamples;
  g_autofree double *aucs = g_new (double, nb);
  MsRng rng;
  ms_rng_init (&rng, params->seed);
  for (guint b = 0; b < nb; b++)
    {
      for (gsize i = 0; i < n_pos; i++)
        rs[i] = scores[pi[ms_rng_below (&rng, n_pos)]];
      for (gsize i = 0; i < n_neg; i++)
        rs[n_pos + i] = scores[ni[ms_rng_below (&rng, n_neg)]];
      ms_stats_rank (rs, n, ranks);
      aucs[b] = auc_of_ranks (ranks, rp, n, n_pos);
    }
  qsort (aucs, nb, sizeof (double), double_cmp);
  double h = (double) (nb - 1);
  out->lower = aucs[(gsize) floor ((1 - params->level) / 2 * h)];
  out->upper = aucs[(gsize) ceil ((1 + params->level) / 2 * h)];
  return TRUE;
}

/* ---- Exposure ------------------------------------------------------------------------------ */

double
ms_stats_exposure (double n_candidates, double rank)
{
  if (!(rank >= 1) || !(rank <= n_candidates))
    return NAN;
  return log2 (n_candidates) - log2 (rank);
}

guint64
ms_stats_canary_rank (double canary, const double *others, gsize n, gboolean lower_is_better)
{
  guint64 rank = 1;
  for (gsize i = 0; i < n; i++)
    rank += lower_is_better ? others[i] <= canary : others[i] >= canary;
  return rank;
}

gboolean
ms_stats_exposure_sampled (double canary, const double *sample, gsize n, double space_size,
                           gboolean lower_is_better, MsExposureEstimate *out, GError **error)
{
  if (n < 2 || !(space_size >= 1) || !isfinite (space_size) || !isfinite (canary))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "sampled exposure: %zu samples, space of %g, canary %g: expected at least "
                   "2 samples, a space of at least 1 and a finite canary score",
                   n, space_size, canary);
      return FALSE;
    }
  if (!ms_stats_check_finite ("sample", sample, n, error))
    return FALSE;
  double m = 0, ss = 0;
  for (gsize i = 0; i < n; i++)
    m += sample[i];
  m /= (double) n;
  for (gsize i = 0; i < n; i++)
    ss += (sample[i] - m) * (sample[i] - m);
  double sd = sqrt (ss / (double) (n - 1));

  out->fraction = (double) (ms_stats_canary_rank (canary, sample, n, lower_is_better) - 1)
                  / (double) n;
  double p_normal;
  if (sd > 0)
    {
      double z = (canary - m) / sd;
      p_normal = 0.5 * erfc ((lower_is_better ? -z : z) / G_SQRT2);  /* P(Z <= z) or P(Z >= z) */
    }
  else
    p_normal = (lower_is_better ? canary >= m : canary <= m) ? 1.0 : 0.0;
  double lg = log2 (space_size);
  out->empirical = lg - log1p (out->fraction * (space_size - 1)) / G_LN2;
  out->normal = lg - log1p (p_normal * (space_size - 1)) / G_LN2;
  return TRUE;
}

/* ---- Length matching ----------------------------------------------------------------------- */

void
ms_match_params_init (MsMatchParams *p, double bin_width)
{
  p->bin_width = bin_width;
  p->bin_origin = 0;
  ms_bootstrap_params_init (&p->boot);
}

typedef struct {
  gint64 bin;
  double score;
} Item;

static int
item_cmp (const void *pa, const void *pb)
{
  const Item *a = pa, *b = pb;
  if (a->bin != b->bin)
    return a->bin < b->bin ? -1 : 1;
  return double_cmp (&a->score, &b->score);
}

static Item *
make_items (const char *group, const double *len, const double *score, gsize n,
            const MsMatchParams *p, GError **error)
{
  if (!ms_stats_check_finite (group[0] == 'A' ? "len_a" : "len_b", len, n, error)
      || !ms_stats_check_finite (group[0] == 'A' ? "score_a" : "score_b", score, n, error))
    return NULL;
  Item *items = g_new (Item, n + 1);
  for (gsize i = 0; i < n; i++)
    {
      double k = floor ((len[i] - p->bin_origin) / p->bin_width);
      if (fabs (k) > 4e18)
        {
          g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                       "length %g of group %s: too far from the bin origin", len[i], group);
          g_free (items);
          return NULL;
        }
      items[i] = (Item) { (gint64) k, score[i] };
    }
  qsort (items, n, sizeof (Item), item_cmp);
  return items;
}

typedef struct {
  gsize a0, na, b0, nb;  /* ranges of the bin in the sorted item arrays */
} Cell;

/* rate_a and reweighted rate_b of the matched cells; RNG non-NULL draws a stratified resample. */
static void
matched_rates (const Item *a, const Item *b, const Cell *cells, gsize n_cells, gsize total_a,
               MsRng *rng, double *rate_a, double *rate_b)
{
  double sa = 0, sb = 0;
  for (gsize c = 0; c < n_cells; c++)
    {
      const Cell *cell = &cells[c];
      double ya = 0, yb = 0;
      for (gsize i = 0; i < cell->na; i++)
        ya += a[cell->a0 + (rng ? ms_rng_below (rng, cell->na) : i)].score;
      for (gsize i = 0; i < cell->nb; i++)
        yb += b[cell->b0 + (rng ? ms_rng_below (rng, cell->nb) : i)].score;
      sa += ya;
      sb += (double) cell->na * yb / (double) cell->nb;
    }
  *rate_a = sa / (double) total_a;
  *rate_b = sb / (double) total_a;
}

gboolean
ms_stats_length_matched (const double *len_a, const double *score_a, gsize n_a,
                         const double *len_b, const double *score_b, gsize n_b,
                         const MsMatchParams *params, MsMatchResult *out, GError **error)
{
  if (!(params->bin_width > 0) || !isfinite (params->bin_width)
      || !isfinite (params->bin_origin))
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "length matching: bin width %g, origin %g: expected a positive width and a "
                   "finite origin", params->bin_width, params->bin_origin);
      return FALSE;
    }
  if (!ms_stats_check_level (params->boot.level, error))
    return FALSE;
  g_autofree Item *a = make_items ("A", len_a, score_a, n_a, params, error);
  if (a == NULL)
    return FALSE;
  g_autofree Item *b = make_items ("B", len_b, score_b, n_b, params, error);
  if (b == NULL)
    return FALSE;

  g_autoptr (GArray) cells = g_array_new (FALSE, FALSE, sizeof (Cell));
  gsize i = 0, j = 0;
  memset (out, 0, sizeof *out);
  while (i < n_a && j < n_b)
    {
      if (a[i].bin < b[j].bin)
        i++;
      else if (a[i].bin > b[j].bin)
        j++;
      else
        {
          Cell c = { i, 0, j, 0 };
          gint64 bin = a[i].bin;
          while (i < n_a && a[i].bin == bin)
            i++, c.na++;
          while (j < n_b && b[j].bin == bin)
            j++, c.nb++;
          out->n_a += c.na;
          out->n_b += c.nb;
          g_array_append_val (cells, c);
        }
    }
  out->n_bins = cells->len;
  if (cells->len == 0)
    {
      g_set_error (error, MS_ERROR, MS_ERROR_INVALID,
                   "length matching: no length bin of width %g holds samples of both groups "
                   "(%zu and %zu samples)", params->bin_width, n_a, n_b);
      return FALSE;
    }

  const Cell *cv = (const Cell *) cells->data;
  matched_rates (a, b, cv, cells->len, out->n_a, NULL, &out->rate_a, &out->rate_b);
  out->diff.estimate = out->rate_a - out->rate_b;

  guint n_boot = MAX (params->boot.n_resamples, 1u);
  g_autofree double *reps = g_new (double, n_boot);
  MsRng rng;
  ms_rng_init (&rng, params->boot.seed);
  for (guint r = 0; r < n_boot; r++)
    {
      double ra, rb;
      matched_rates (a, b, cv, cells->len, out->n_a, &rng, &ra, &rb);
      reps[r] = ra - rb;
    }
  return ms_stats_percentile_interval (reps, n_boot, n_boot, params->boot.level, &out->diff, error);
}
