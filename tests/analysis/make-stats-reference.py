#!/usr/bin/python3
"""Makes stats-reference.json for test-stats.c from scipy, statsmodels and scikit-learn (Debian's
python3-scipy 1.10, python3-statsmodels 0.13 and python3-sklearn 1.2; t quantiles from mpmath),
plus a few counting-based references written here (TPR at FPR, coarsened exact matching, sampled
exposure) and the exact resamples of the seeded bootstraps, drawn here with the same splitmix64
stream and index rules as core/analysis (SplitMix64 below).
Run: OMP_NUM_THREADS=2 /usr/bin/python3 tests/analysis/make-stats-reference.py \
       > tests/analysis/stats-reference.json"""
import json
import math
import sys

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import special, stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

MASK64 = (1 << 64) - 1
DEFAULT_SEED = 0x6d656d73636f7065  # ms_bootstrap_params_init: "memscope"


class SplitMix64:
    """ms_rng_* of core/analysis/ms-stats.c, written again from Steele, Lea & Flood (2014)."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        """ms_rng_below: rejection of the top partial block, then the remainder."""
        limit = MASK64 - MASK64 % n
        while True:
            v = self.next()
            if v < limit:
                return v % n

    def index(self, n):
        """The two-sample bootstrap's draw: the high word of the 128-bit product (Lemire)."""
        return (self.next() * n) >> 64


assert SplitMix64(0).next() == 0xE220A8397B1DCDAF  # Vigna's reference splitmix64.c


def welch(x, y, level):
    """Welch's interval of mean(x) - mean(y): statsmodels' tconfint_diff, the df also from the
    Welch-Satterthwaite formula and scipy's ttest_ind, the quantile from t_ppf_precise."""
    x, y = np.asarray(x), np.asarray(y)
    qx, qy = np.var(x, ddof=1) / len(x), np.var(y, ddof=1) / len(y)
    d = float(np.mean(x) - np.mean(y))
    se = math.sqrt(qx + qy)
    if se == 0:
        return {"x": list(x), "y": list(y), "level": level, "diff": d, "df": None,
                "lower": d, "upper": d}
    df = (qx + qy) ** 2 / (qx ** 2 / (len(x) - 1) + qy ** 2 / (len(y) - 1))
    tt = stats.ttest_ind(x, y, equal_var=False)
    assert abs(tt.statistic - d / se) < 1e-10 * abs(d / se)
    lo, hi = CompareMeans(DescrStatsW(x), DescrStatsW(y)).tconfint_diff(
        alpha=1 - level, usevar="unequal")
    t = t_ppf_precise((1 + level) / 2, df)
    assert abs(lo - (d - t * se)) < 1e-7 * t * se and abs(hi - (d + t * se)) < 1e-7 * t * se
    # the p-value of scipy's test, from the same df, pins the df independently of statsmodels
    assert abs(tt.pvalue - 2 * stats.t.sf(abs(d / se), df)) < 1e-10
    return {"x": [float(v) for v in x], "y": [float(v) for v in y], "level": level, "diff": d,
            "df": float(df), "lower": d - t * se, "upper": d + t * se}


def boot_mean_diff_exact(x, y, n_resamples, level, seed):
    """ms_stats_bootstrap_mean_diff's resamples: per resample len(x) indices into x and then
    len(y) into y from one stream; numpy's linear quantiles of the sorted differences."""
    rng = SplitMix64(seed)
    nx, ny = len(x), len(y)
    reps = []
    for _ in range(n_resamples):
        sx = math.fsum(x[rng.index(nx)] for _ in range(nx))
        sy = math.fsum(y[rng.index(ny)] for _ in range(ny))
        reps.append(sx / nx - sy / ny)
    return (float(np.quantile(reps, (1 - level) / 2)),
            float(np.quantile(reps, (1 + level) / 2)))


def auc_boot_exact(scores, labels, n_resamples, level, seed):
    """ms_stats_auc_bootstrap's resamples: the positives (ms_rng_below into the positives, in
    data order) then the negatives; each AUC from scikit-learn; the outer order statistics."""
    rng = SplitMix64(seed)
    pos = [s for s, l in zip(scores, labels) if l]
    neg = [s for s, l in zip(scores, labels) if not l]
    lab = [1] * len(pos) + [0] * len(neg)
    aucs = []
    for _ in range(n_resamples):
        rs = [pos[rng.below(len(pos))] for _ in pos] + [neg[rng.below(len(neg))] for _ in neg]
        aucs.append(roc_auc_score(lab, rs))
    aucs.sort()
    h = n_resamples - 1
    lo, hi = aucs[math.floor((1 - level) / 2 * h)], aucs[math.ceil((1 + level) / 2 * h)]
    assert lo == np.quantile(aucs, (1 - level) / 2, method="lower")
    assert hi == np.quantile(aucs, (1 + level) / 2, method="higher")
    return float(lo), float(hi)


def wilson_formula(x, n, level):
    z = stats.norm.ppf((1 + level) / 2)
    p = x / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return c - h, c + h


def t_ppf_precise(p, df):
    """Student t quantile to ~25 digits with mpmath (scipy 1.10's t.ppf is off by up to 1e-9 at
    df = 1 in the tails): solve P(T > t) = 1 - p with P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2."""
    mpmath.mp.dps = 40
    if p == 0.5:
        return 0.0
    q = mpmath.mpf(1 - p) if p > 0.5 else mpmath.mpf(p)
    df = mpmath.mpf(df)

    def tail(t):
        return mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2

    lo, hi = mpmath.mpf(0), mpmath.mpf(1)
    while tail(hi) > q:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if tail(mid) > q:
            lo = mid
        else:
            hi = mid
    t = float((lo + hi) / 2)
    assert abs(t - stats.t.ppf(max(p, 1 - p), float(df))) < 1e-8 * abs(t)
    return t if p > 0.5 else -t


def tpr_at_fpr(scores, labels, f):
    """Expected TPR of the randomized threshold rule whose FPR is exactly f: call s > t positive
    and s == t positive with probability q. Counting, not curve interpolation."""
    P = sum(labels)
    N = len(labels) - P
    best = 0.0
    for t in sorted(set(scores), reverse=True):
        neg_gt = sum(1 for s, l in zip(scores, labels) if s > t and not l)
        neg_eq = sum(1 for s, l in zip(scores, labels) if s == t and not l)
        pos_gt = sum(1 for s, l in zip(scores, labels) if s > t and l)
        pos_eq = sum(1 for s, l in zip(scores, labels) if s == t and l)
        lo, hi = neg_gt / N, (neg_gt + neg_eq) / N
        if lo <= f <= hi:
            q = 1.0 if neg_eq == 0 else (f * N - neg_gt) / neg_eq
            best = max(best, (pos_gt + q * pos_eq) / P)
    return best


def cem(len_a, y_a, len_b, y_b, width, origin):
    bins_a, bins_b = {}, {}
    for l, y in zip(len_a, y_a):
        bins_a.setdefault(math.floor((l - origin) / width), []).append(y)
    for l, y in zip(len_b, y_b):
        bins_b.setdefault(math.floor((l - origin) / width), []).append(y)
    common = sorted(set(bins_a) & set(bins_b))
    n_a = sum(len(bins_a[k]) for k in common)
    n_b = sum(len(bins_b[k]) for k in common)
    rate_a = sum(sum(bins_a[k]) for k in common) / n_a
    rate_b = sum(len(bins_a[k]) / n_a * np.mean(bins_b[k]) for k in common)
    return {"n_a": n_a, "n_b": n_b, "n_bins": len(common), "rate_a": rate_a, "rate_b": rate_b}


def main():
    rng = np.random.default_rng(12345)
    out = {"tool": "scipy %s, statsmodels %s" % (scipy.__version__, statsmodels.__version__)}

    out["normal_quantile"] = [[p, float(stats.norm.ppf(p))] for p in
                              [1e-12, 1e-6, 0.001, 0.02, 0.025, 0.1, 0.3, 0.5, 0.8, 0.975, 0.99,
                               0.999999]]
    out["normal_cdf"] = [[x, float(stats.norm.cdf(x))] for x in [-8, -3.2, -1.96, -0.5, 0, 0.7,
                                                                 1.644853627, 4]]
    out["t_quantile"] = [[p, df, t_ppf_precise(p, df)]
                         for df in [1, 2, 3.5, 10, 29, 1000]
                         for p in [0.005, 0.025, 0.3, 0.5, 0.9, 0.975, 0.9995]]
    out["t_cdf"] = [[t, df, float(stats.t.cdf(t, df))]
                    for df in [1, 4, 17.5, 200] for t in [-40, -2.5, -0.3, 0, 1, 2.2, 9]]
    out["betainc"] = [[a, b, x, float(special.betainc(a, b, x))]
                      for a, b, x in [(0.5, 0.5, 0.3), (2, 3, 0.4), (10, 0.5, 0.95),
                                      (0.7, 12, 0.01), (50, 40, 0.55), (1, 1, 0.25)]]

    out["wilson"] = []
    for x, n in [(0, 10), (10, 10), (1, 10), (5, 10), (37, 250), (0, 1), (1, 1), (999, 1000),
                 (3, 10000), (500, 1000)]:
        for level in (0.95, 0.9):
            lo, hi = proportion_confint(x, n, alpha=1 - level, method="wilson")
            flo, fhi = wilson_formula(x, n, level)
            assert abs(lo - flo) < 1e-12 and abs(hi - fhi) < 1e-12
            out["wilson"].append([x, n, level, float(lo), float(hi)])

    out["newcombe"] = []
    for x1, n1, x2, n2 in [(37, 250, 12, 250), (5, 100, 5, 100), (0, 50, 3, 60),
                           (10, 10, 0, 10), (120, 1000, 80, 1200), (1, 7, 6, 9)]:
        lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff",
                                            alpha=0.05)
        out["newcombe"].append([x1, n1, x2, n2, float(lo), float(hi)])

    out["mean_t"] = []
    for data in [[1.0, 2.0, 3.0, 4.0, 10.0], [0.5, 0.5], [3.3, -1.2, 0.0, 2.2, 7.1, 5.5, -4.0],
                 list(rng.normal(2.0, 3.0, 40))]:
        data = [float(v) for v in data]
        m = float(np.mean(data))
        se = float(stats.sem(data))
        if se == 0:
            lo = hi = m
        else:
            # scipy's t.interval, with the quantile from t_ppf_precise (see there)
            lo, hi = stats.t.interval(0.95, len(data) - 1, loc=m, scale=se)
            t = t_ppf_precise(0.975, len(data) - 1)
            assert abs(lo - (m - t * se)) < 1e-7 * abs(t * se)
            lo, hi = m - t * se, m + t * se
        out["mean_t"].append({"x": data, "mean": m, "lower": float(lo), "upper": float(hi)})

    corr_sets = []
    x = rng.normal(size=60)
    corr_sets.append((x, 0.6 * x + rng.normal(size=60)))
    corr_sets.append(([1, 2, 2, 3, 4, 4, 4, 5, 6, 7], [2, 1, 3, 3, 5, 4, 6, 6, 6, 9]))  # ties
    corr_sets.append(([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]))                               # r = -1
    corr_sets.append(([0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1], [0.1, 0.3, 0.9, 0.4, 0.8, 0.2, 0.7,
                                                             0.5, 0.1, 0.6, 0.95, 0.3]))
    x = rng.uniform(size=25)
    corr_sets.append((x, np.exp(3 * x) + rng.normal(scale=2, size=25)))
    out["correlation"] = []
    for x, y in corr_sets:
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        pr = stats.pearsonr(x, y)
        sr = stats.spearmanr(x, y)
        entry = {"x": x, "y": y, "pearson": float(pr[0]), "pearson_p": float(pr[1]),
                 "spearman": float(sr[0]), "spearman_p": float(sr[1]),
                 "ranks_x": [float(v) for v in stats.rankdata(x)]}
        if abs(pr[0]) < 0.999:
            bp = stats.bootstrap((x, y), lambda a, b: stats.pearsonr(a, b)[0], paired=True,
                                 vectorized=False, method="percentile", n_resamples=4000,
                                 random_state=1)
            ci = [float(bp.confidence_interval.low), float(bp.confidence_interval.high)]
            if all(math.isfinite(v) for v in ci):  # scipy gives NaN if a resample is constant
                entry["pearson_boot"] = ci
            bs = stats.bootstrap((x, y), lambda a, b: stats.spearmanr(a, b)[0], paired=True,
                                 vectorized=False, method="percentile", n_resamples=4000,
                                 random_state=2)
            ci = [float(bs.confidence_interval.low), float(bs.confidence_interval.high)]
            if all(math.isfinite(v) for v in ci):
                entry["spearman_boot"] = ci
        out["correlation"].append(entry)

    # p of a correlation r from n pairs, I_{1-r^2}((n-2)/2, 1/2), to 40 digits with mpmath
    mpmath.mp.dps = 40
    out["corr_p"] = []
    for r, n in [(1e-5, 1e6), (0.3, 50), (0.999, 10), (0.05, 100000), (-0.2, 30), (0.9, 4)]:
        rr = mpmath.mpf(r)
        pv = mpmath.betainc(mpmath.mpf(n - 2) / 2, mpmath.mpf(1) / 2, 0, 1 - rr * rr,
                            regularized=True)
        out["corr_p"].append([r, n, float(pv)])

    out["roc"] = []
    roc_sets = [([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1],
                 [1, 1, 0, 1, 1, 0, 0, 1, 0, 0])]
    s = np.round(rng.normal(size=200), 1)  # rounding makes many ties
    lab = (rng.uniform(size=200) < 1 / (1 + np.exp(-1.5 * s))).astype(int)
    roc_sets.append((list(s), list(lab)))
    roc_sets.append(([1, 1, 1, 0, 0, 0, 2, 2], [1, 0, 1, 0, 0, 1, 1, 1]))
    for scores, labels in roc_sets:
        scores = [float(v) for v in scores]
        labels = [int(v) for v in labels]
        pos = [v for v, l in zip(scores, labels) if l]
        neg = [v for v, l in zip(scores, labels) if not l]
        u = stats.mannwhitneyu(pos, neg, alternative="two-sided").statistic
        fprs = [0.0, 0.01, 0.05, 0.1, 0.25, 0.333, 0.5, 0.9]
        out["roc"].append({"scores": scores, "labels": labels,
                           "auc": float(u) / (len(pos) * len(neg)),
                           "tpr_at": [[f, tpr_at_fpr(scores, labels, f)] for f in fprs]})

    la = list(rng.integers(1, 200, 120).astype(float))
    ya = [float(rng.uniform() < 0.2 + l / 400) for l in la]
    lb = list(rng.integers(50, 400, 150).astype(float))
    yb = [float(rng.uniform() < 0.1 + l / 800) for l in lb]
    out["length_match"] = {"len_a": la, "score_a": ya, "len_b": lb, "score_b": yb,
                           "width": 25.0, "origin": 3.0}
    out["length_match"].update(cem(la, ya, lb, yb, 25.0, 3.0))

    sample = [float(v) for v in rng.normal(5.0, 1.5, 500)]
    canary = 1.2
    frac = sum(1 for v in sample if v <= canary) / len(sample)
    m, sd = float(np.mean(sample)), float(np.std(sample, ddof=1))
    pn = float(stats.norm.cdf((canary - m) / sd))
    space = 2.0 ** 30
    out["exposure_sampled"] = {
        "sample": sample, "canary": canary, "space": space, "fraction": frac,
        "empirical": math.log2(space) - math.log2(1 + frac * (space - 1)),
        "normal": math.log2(space) - math.log2(1 + pn * (space - 1))}

    # Added after the others with a stream of their own, which leaves the data above as it was.
    drng = np.random.default_rng(2718)

    # Differences of two independent samples. Welch: unequal sizes and variances, where the
    # Welch-Satterthwaite df (about 4) is far from the pooled one (63); one side constant (df
    # = n_y - 1); small samples; another level; both constant.
    out["welch"] = [
        welch(drng.normal(1.0, 4.0, 5), drng.normal(0.2, 0.5, 60), 0.95),
        welch(drng.normal(0.0, 1.0, 12), drng.normal(0.3, 1.2, 12), 0.95),
        welch([0.4, 0.4, 0.4, 0.4], list(drng.uniform(size=9)), 0.95),
        welch([1.0, 2.5], [0.0, 3.0, 1.0], 0.9),
        welch([2.0, 2.0], [1.0, 1.0, 1.0], 0.95),
    ]

    # The two-sample bootstrap of mean(x) - mean(y): the exact resamples (defaults: 2000,
    # 0.95, the "memscope" seed), and scipy's percentile bootstrap (its own stream, 20000
    # resamples, both samples resampled independently) to agree within Monte Carlo error.
    # The second set pairs y[i] with x[i] (y = x + small noise): a paired resampling would give an
    # interval some 30 times narrower.
    xb = drng.normal(0.6, 0.2, 40)
    yb = drng.exponential(0.3, 25)
    xp = drng.normal(0.0, 1.0, 30)
    yp = xp + drng.normal(0.0, 0.05, 30)
    out["boot_mean_diff"] = []
    for x, y, n_res, level, seed in [(xb, yb, 2000, 0.95, DEFAULT_SEED),
                                     (xp, yp, 2000, 0.95, DEFAULT_SEED),
                                     (xb[:3], yb[:1], 500, 0.9, 7)]:
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        lo, hi = boot_mean_diff_exact(x, y, n_res, level, seed)
        entry = {"x": x, "y": y, "n_resamples": n_res, "level": level, "seed": "%d" % seed,
                 "diff": float(np.mean(x) - np.mean(y)), "lower": lo, "upper": hi}
        if len(y) > 1:
            sb = stats.bootstrap((x, y), lambda a, b, axis: a.mean(axis) - b.mean(axis),
                                 paired=False, vectorized=True, method="percentile",
                                 n_resamples=20000, confidence_level=level, random_state=3)
            entry["scipy"] = [float(sb.confidence_interval.low),
                              float(sb.confidence_interval.high)]
            entry["scipy_se"] = float(sb.standard_error)
        out["boot_mean_diff"].append(entry)
    # The choice the report and the app share: 0/1 flags go to Newcombe (statsmodels).
    fa = [float(v) for v in drng.uniform(size=80) < 0.3]
    fb = [float(v) for v in drng.uniform(size=50) < 0.1]
    lo, hi = confint_proportions_2indep(sum(fa), len(fa), sum(fb), len(fb), method="newcomb",
                                        compare="diff", alpha=0.05)
    out["diff_rates"] = {"x": fa, "y": fb, "lower": float(lo), "upper": float(hi)}

    # The AUC with its stratified bootstrap: scikit-learn's AUC, the exact resamples of the MIA
    # table's settings (300, seed 12345), and scipy's percentile bootstrap resampling the two
    # classes independently (10000 resamples) against ours with 4000.
    out["auc_boot"] = []
    for scores, labels in roc_sets[:2]:
        scores = [float(v) for v in scores]
        labels = [int(v) for v in labels]
        lo, hi = auc_boot_exact(scores, labels, 300, 0.95, 12345)
        pos = np.array([v for v, l in zip(scores, labels) if l])
        neg = np.array([v for v, l in zip(scores, labels) if not l])

        def auc_stat(p, q):
            return roc_auc_score([1] * len(p) + [0] * len(q), np.concatenate([p, q]))

        sb = stats.bootstrap((pos, neg), auc_stat, paired=False, vectorized=False,
                             method="percentile", n_resamples=10000, random_state=4)
        out["auc_boot"].append({
            "scores": scores, "labels": labels, "auc": float(roc_auc_score(labels, scores)),
            "lower": lo, "upper": hi,
            "scipy": [float(sb.confidence_interval.low), float(sb.confidence_interval.high)],
            "scipy_se": float(sb.standard_error)})

    json.dump(out, sys.stdout, indent=0, allow_nan=False)
    sys.stdout.write("\n")


main()
