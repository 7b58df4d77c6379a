/* Statistics for memorization reports: proportions with Wilson and Newcombe intervals, seeded
 * percentile bootstrap, means and differences of means, Pearson/Spearman correlations, ROC/AUC
 * with its bootstrap and TPR at low FPR, canary exposure, and a length-matched comparison of two
 * groups. Pure host code, deterministic: every interval of the report and the app is here. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- Random numbers ------------------------------------------------------------------------
 * splitmix64 (Steele, Lea & Flood 2014): one 64-bit word of state, every seed is good, and the
 * same seed gives the same stream on every platform. */
typedef struct {
  guint64 state;
} MsRng;

void ms_rng_init (MsRng *rng, guint64 seed);
guint64 ms_rng_next (MsRng *rng);
double ms_rng_uniform (MsRng *rng);             /* [0, 1), 53 random bits */
guint64 ms_rng_below (MsRng *rng, guint64 n);   /* uniform in [0, n), unbiased (n > 0) */

/* ---- Distributions (used for intervals and p-values) ---------------------------------------- */

double ms_stats_normal_cdf (double x);
double ms_stats_normal_quantile (double p);      /* inverse of the above, p in (0, 1) */
double ms_stats_t_cdf (double t, double df);     /* Student's t, df > 0 */
double ms_stats_t_quantile (double p, double df);
/* Regularized incomplete beta I_x(a, b) (continued fraction; relative error ~1e-14). */
double ms_stats_incomplete_beta (double a, double b, double x);
/* Two-sided p-value of a correlation coefficient R from N pairs under the t approximation
 * (t = r sqrt ((n - 2) / (1 - r^2)), n - 2 df); NaN unless n > 2 and |r| <= 1. */
double ms_stats_correlation_p_value (double r, double n);

/* ---- Intervals ---------------------------------------------------------------------------- */

typedef struct {
  double estimate;
  double lower, upper;
} MsInterval;

#define MS_STATS_LEVEL 0.95  /* the default confidence level */

/* A proportion SUCCESSES / N with the Wilson score interval at LEVEL (e.g. 0.95). Fails with
 * MS_ERROR_INVALID when N = 0, SUCCESSES > N or LEVEL is not in (0, 1). */
gboolean ms_stats_wilson (guint64 successes, guint64 n, double level, MsInterval *out,
                          GError **error);
/* p1 - p2 of two independent proportions (rate - held-out control, rate - base model) with
 * Newcombe's (1998, method 10) hybrid score interval, built from the two Wilson intervals:
 * [d - sqrt ((p1 - l1)^2 + (u2 - p2)^2), d + sqrt ((u1 - p1)^2 + (p2 - l2)^2)]. */
gboolean ms_stats_newcombe_diff (guint64 x1, guint64 n1, guint64 x2, guint64 n2, double level,
                                 MsInterval *out, GError **error);

/* ---- Percentile bootstrap ------------------------------------------------------------------ */

typedef struct {
  guint n_resamples;  /* 2000 */
  double level;       /* 0.95 */
  guint64 seed;       /* 0x6d656d73636f7065 ("memscope") */
} MsBootstrapParams;

void ms_bootstrap_params_init (MsBootstrapParams *params);

/* A statistic of the resample given by IDX: N indices into the caller's data, drawn with
 * replacement (the identity 0..N-1 for the point estimate). Paired data are resampled in pairs
 * by indexing both arrays with IDX. Return NaN where the statistic is undefined. */
typedef double (*MsStatFunc) (const gsize *idx, gsize n, gpointer user_data);

/* Percentile bootstrap: out->estimate = STAT on the data; the interval is the (1 - level) / 2
 * and (1 + level) / 2 quantiles of the resampled statistics (linear interpolation between order
 * statistics, numpy's default "linear" method). Resamples where STAT is NaN or infinite are left
 * out; fails when more than half are, or when N = 0 or the estimate itself is undefined.
 * Deterministic: the same SEED gives the same interval. PARAMS NULL: the defaults. */
gboolean ms_stats_bootstrap (gsize n, MsStatFunc stat, gpointer user_data,
                             const MsBootstrapParams *params, MsInterval *out, GError **error);

/* Quantile Q in [0, 1] of the SORTED values (numpy "linear": h = (n - 1) q). */
double ms_stats_quantile_sorted (const double *sorted, gsize n, double q);

typedef enum {
  MS_CI_T,          /* mean +- t_{(1+level)/2, n-1} * s / sqrt (n); needs n >= 2 */
  MS_CI_BOOTSTRAP,  /* percentile bootstrap of the mean */
} MsCiMethod;

/* Mean of X with an interval; PARAMS gives the level (and the bootstrap settings). */
gboolean ms_stats_mean (const double *x, gsize n, MsCiMethod method,
                        const MsBootstrapParams *params, MsInterval *out, GError **error);

/* ---- Differences of two independent samples ---------------------------------------------
 * mean (X) - mean (Y) where X and Y come from different samples (a run and its held-out
 * control, two runs): nothing pairs X[i] with Y[i], and NX need not equal NY. All fail with
 * MS_ERROR_INVALID on a value that is not finite or a bad level. */

/* The plain mean of N >= 1 values, summed in order; the successes among 0/1 flags, a value
 * > 0.5 counting as one: the two conventions every rate and mean of the report rests on. */
double ms_stats_mean_of (const double *x, gsize n);
guint64 ms_stats_count_flagged (const double *x, gsize n);

/* Welch's t interval: d +- t_{(1+level)/2, df} sqrt (sx^2 / nx + sy^2 / ny), sample variances,
 * with the Welch-Satterthwaite df = (qx + qy)^2 / (qx^2 / (nx - 1) + qy^2 / (ny - 1)),
 * q = s^2 / n. Needs NX, NY >= 2; when both variances are 0 the interval is [d, d]. */
gboolean ms_stats_welch_diff (const double *x, gsize nx, const double *y, gsize ny,
                              double level, MsInterval *out, GError **error);
/* Percentile bootstrap (rule of ms_stats_bootstrap) that resamples X and Y each on its own.
 * Resample b draws NX indices into X and then NY into Y from one stream seeded with SEED; an
 * index below n is the high 64 bits of ms_rng_next () * n (Lemire 2019: no division, a bias of
 * at most n / 2^64), a few times faster than ms_rng_below, which matters in the study table.
 * Needs NX, NY >= 1; 0 resamples counts as 1. PARAMS NULL: the defaults. */
gboolean ms_stats_bootstrap_mean_diff (const double *x, gsize nx, const double *y, gsize ny,
                                       const MsBootstrapParams *params, MsInterval *out,
                                       GError **error);
/* The one interval memscope gives a difference of two independent samples, in the report's
 * tables and the app's compare view alike. IS_RATE: X and Y are 0/1 flags (a value > 0.5
 * counts as a success) and the interval is Newcombe's on the counts (ms_stats_newcombe_diff);
 * otherwise ms_stats_bootstrap_mean_diff. PARAMS gives the level of both; NULL: the defaults. */
gboolean ms_stats_diff_independent (gboolean is_rate, const double *x, gsize nx,
                                    const double *y, gsize ny, const MsBootstrapParams *params,
                                    MsInterval *out, GError **error);

/* ---- Correlations ------------------------------------------------------------------------- */

typedef struct {
  MsInterval r;    /* coefficient with its paired-bootstrap percentile interval */
  double p_value;  /* two-sided, t approximation: t = r sqrt ((n - 2) / (1 - r^2)), n - 2 df
                    * (exact for Pearson under bivariate normality; what scipy reports) */
  gsize n;
} MsCorrelation;

/* Fail with MS_ERROR_INVALID when n < 3, a value is not finite, or X or Y is constant. */
gboolean ms_stats_pearson (const double *x, const double *y, gsize n,
                           const MsBootstrapParams *params, MsCorrelation *out, GError **error);
/* Pearson on average ranks (ties get the mean of the ranks they span). */
gboolean ms_stats_spearman (const double *x, const double *y, gsize n,
                            const MsBootstrapParams *params, MsCorrelation *out, GError **error);
/* 1-based average ranks of X into RANKS. */
void ms_stats_rank (const double *x, gsize n, double *ranks);

/* ---- ROC ---------------------------------------------------------------------------------- */

/* Higher scores mean "more likely a member" (positive). One point per distinct score: at
 * threshold t everything with score >= t is called positive. Points run from (0, 0) at
 * threshold +inf to (1, 1); tied scores make one diagonal step. */
typedef struct {
  double *fpr, *tpr, *threshold;  /* (n_points) */
  gsize n_points;
  double auc;                     /* = P(pos > neg) + 0.5 P(pos = neg), Mann-Whitney U / (n+ n-) */
  gsize n_pos, n_neg;
} MsRoc;

/* Fails with MS_ERROR_INVALID when a class is empty or a score is NaN. */
MsRoc *ms_stats_roc (const double *scores, const gboolean *positive, gsize n, GError **error);
void ms_roc_free (MsRoc *roc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsRoc, ms_roc_free)
/* TPR at FPR = F on the piecewise-linear ROC through the points above (linear interpolation
 * between neighbouring thresholds, the expected TPR of a randomized threshold); where several
 * points share FPR = F, the highest TPR. F <= 0 gives the TPR reached with no false positive. */
double ms_roc_tpr_at_fpr (const MsRoc *roc, double fpr);
/* The AUC of ms_stats_roc in out->estimate with a stratified percentile bootstrap interval:
 * each resample draws the n+ positives and then the n- negatives with replacement from their own
 * class (ms_rng_below, in that order), so both classes keep their sizes. The bounds are the outer
 * order statistics of the B sorted resampled AUCs, sorted[floor (q (B - 1))] at
 * q = (1 - level) / 2 and sorted[ceil (q (B - 1))] at q = (1 + level) / 2 (numpy's "lower" and
 * "higher" quantiles): never narrower than the linear rule. Fails as ms_stats_roc does, or
 * with no resample. PARAMS NULL: the defaults (the report's MIA table uses 300 resamples and
 * seed 12345). */
gboolean ms_stats_auc_bootstrap (const double *scores, const gboolean *positive, gsize n,
                                 const MsBootstrapParams *params, MsInterval *out,
                                 GError **error);

/* ---- Canary exposure (Carlini et al. 2019, "The Secret Sharer") ----------------------------- */

/* exposure = log2 (n_candidates) - log2 (rank), rank counted from 1; NaN unless
 * 1 <= rank <= n_candidates. */
double ms_stats_exposure (double n_candidates, double rank);
/* Rank of the canary among itself and the N other candidates: 1 + the number of others that
 * score better; ties count as better (conservative: never overstates exposure). LOWER_IS_BETTER
 * for perplexities and losses. */
guint64 ms_stats_canary_rank (double canary, const double *others, gsize n,
                              gboolean lower_is_better);

typedef struct {
  double empirical;    /* from the fraction of the sample that scores at least as well */
  double normal;       /* from a normal fitted to the sample (Carlini et al. fit a skew normal) */
  double fraction;     /* that empirical fraction */
} MsExposureEstimate;

/* Exposure when the candidate space (SPACE_SIZE candidates) is too large to rank: from a random
 * SAMPLE of N candidate scores, with P the estimated probability that a random candidate scores
 * at least as well as the canary, the expected rank is 1 + P (SPACE_SIZE - 1) and the exposure
 * log2 (SPACE_SIZE) - log2 (1 + P (SPACE_SIZE - 1)). The empirical P saturates at about
 * log2 (SPACE_SIZE / N); the normal tail extrapolates beyond. Needs N >= 2. */
gboolean ms_stats_exposure_sampled (double canary, const double *sample, gsize n,
                                    double space_size, gboolean lower_is_better,
                                    MsExposureEstimate *out, GError **error);

/* ---- Length-matched comparison ------------------------------------------------------------ */

/* Coarsened exact matching (Iacus, King & Porro 2012) on length: lengths fall in bins
 * [origin + k width, origin + (k + 1) width); only bins holding samples of both groups are kept.
 * Group A's rate is the mean score of its matched samples; group B's is reweighted to A's bin
 * distribution (sum over bins of nA_bin / nA * mean B score in the bin), so the difference
 * compares like lengths with like ("effect on A" weighting). Scores are 0/1 flags or any number.
 * The interval is a percentile bootstrap that resamples within each (group, bin) cell. */
typedef struct {
  double bin_width;          /* > 0, e.g. 16 tokens */
  double bin_origin;         /* 0 */
  MsBootstrapParams boot;
} MsMatchParams;

void ms_match_params_init (MsMatchParams *params, double bin_width);

typedef struct {
  gsize n_a, n_b;            /* matched samples of each group */
  gsize n_bins;              /* bins that hold both groups */
  double rate_a, rate_b;     /* as above */
  MsInterval diff;           /* rate_a - rate_b */
} MsMatchResult;

/* Fails when a length or score is not finite, the width is not positive, or no bin holds both
 * groups. */
gboolean ms_stats_length_matched (const double *len_a, const double *score_a, gsize n_a,
                                  const double *len_b, const double *score_b, gsize n_b,
                                  const MsMatchParams *params, MsMatchResult *out,
                                  GError **error);

G_END_DECLS
