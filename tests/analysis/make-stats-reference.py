#!/usr/bin/python3
"""Makes stats-reference.json for test-stats.c from scipy and statsmodels (Debian's
python3-scipy 1.10 and python3-statsmodels 0.13; t quantiles from mpmath), plus a few counting-based references written
here (TPR at FPR, coarsened exact matching, sampled exposure).
Run: /usr/bin/python3 tests/analysis/make-stats-reference.py > tests/analysis/stats-reference.json"""
import json
import math
import sys

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import special, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint


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

    json.dump(out, sys.stdout, indent=0, allow_nan=False)
    sys.stdout.write("\n")


main()
