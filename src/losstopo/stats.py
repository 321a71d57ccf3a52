"""Correlations of metrics across models: Spearman with a bootstrap interval, partial Spearman, BH FDR.

Pairs where either value is NaN or infinite (a diverged model, a metric that failed) are dropped, and
every result reports the `n` it used. Ties get average ranks, as in `scipy.stats.spearmanr`. An
undefined correlation (fewer than 3 models, a constant variable, for the partial one fewer than 4 + k
models or x or y a rank-linear function of the k controls) is NaN, not an error, so that a table of
many pairs still gets made.

The interval is the percentile bootstrap over models: resample the (x, y) pairs with replacement,
recompute Spearman's rho, take the (1 - level)/2 and (1 + level)/2 quantiles. A resample in which x or
y is constant has no rho; it is skipped and not replaced, and `n_boot` reports the resamples used. We
chose it after measuring coverage on bivariate normal data (1,000 data sets each, 2,000 resamples):
at n = 30 the percentile interval covered the population rho 94.3-96.0% for Pearson r in 0, 0.3, 0.6,
0.8, 0.95, the Fisher-z interval with Bonett-Wright's variance 94.4-96.5% and BCa 93.7-96.8%; at
n = 10-15 the percentile interval covered 95.1-97.5% (conservative when rho is large), so the simpler
method is also the honest one here, and it needs no normal approximation of rho's distribution.

Two more effects for the findings (`losstopo.findings`), with the same percentile bootstrap: Cliff's
delta of two groups (resampled within each group) and the mean of paired differences (resampled over
pairs). `permutation_p_floor` and `sign_flip_p_floor` say whether a sample can carry evidence at all:
the smallest two-sided p-value an exact permutation test of the same design could reach with these
values, ties included (e.g. 2 / 4! = 0.083 for a rank correlation of 4 models, so no data of 4 models
can reject at 5%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats


@dataclass(frozen=True)
class SpearmanInterval:
    """Spearman's rho, its bootstrap interval at `level`, p-value against rho = 0, n, resamples used."""

    rho: float
    low: float
    high: float
    n: int
    p: float
    level: float
    n_boot: int


@dataclass(frozen=True)
class PartialSpearman:
    """Spearman's rho of x and y with z's ranks regressed out of both, its p-value and n."""

    rho: float
    p: float
    n: int


def spearman_interval(x: np.ndarray, y: np.ndarray, n_boot: int = 2000, level: float = 0.95,
                      seed: int = 0) -> SpearmanInterval:
    """rho of (x, y) with a percentile-bootstrap interval over models, skipping constant resamples."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    x, y = _finite_pairs(x, y)
    n = x.size
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return SpearmanInterval(np.nan, np.nan, np.nan, n, np.nan, level, 0)
    result = stats.spearmanr(x, y)
    picks = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    rho = _row_correlation(stats.rankdata(x[picks], axis=1), stats.rankdata(y[picks], axis=1))
    rho = rho[np.isfinite(rho)]
    low, high = np.quantile(rho, [(1 - level) / 2, (1 + level) / 2]) if rho.size else (np.nan, np.nan)
    return SpearmanInterval(float(result.statistic), float(low), float(high), n, float(result.pvalue), level,
                            int(rho.size))


@dataclass(frozen=True)
class EffectInterval:
    """An effect, its percentile-bootstrap interval at `level`, the units it used and the resamples."""

    value: float
    low: float
    high: float
    n: int
    level: float
    n_boot: int


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """Cliff's delta P(A > B) - P(A < B) over every pair of an a and a b value (the rank-biserial
    correlation of Mann-Whitney's U): +1 when every a exceeds every b, 0 for no shift; NaN if a group is
    empty. Non-finite values are dropped."""
    a, b = _finite(a), _finite(b)
    if not (a.size and b.size):
        return np.nan
    return float(_deltas(a[None], b[None])[0])


def cliffs_delta_interval(a: np.ndarray, b: np.ndarray, n_boot: int = 2000, level: float = 0.95,
                          seed: int = 0) -> EffectInterval:
    """Cliff's delta of a against b with a percentile-bootstrap interval, each group resampled within itself
    (the group sizes stay fixed); n is the size of both groups together."""
    _check_bootstrap(n_boot, level)
    a, b = _finite(a), _finite(b)
    n = a.size + b.size
    if not (a.size and b.size):
        return EffectInterval(np.nan, np.nan, np.nan, n, level, 0)
    rng = np.random.default_rng(seed)
    picks_a, picks_b = rng.integers(0, a.size, (n_boot, a.size)), rng.integers(0, b.size, (n_boot, b.size))
    chunk = max(1, 2**22 // (a.size * b.size))
    deltas = np.concatenate([_deltas(a[picks_a[i:i + chunk]], b[picks_b[i:i + chunk]])
                             for i in range(0, n_boot, chunk)])
    low, high = np.quantile(deltas, [(1 - level) / 2, (1 + level) / 2])
    return EffectInterval(cliffs_delta(a, b), float(low), float(high), n, level, n_boot)


def mean_interval(d: np.ndarray, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> EffectInterval:
    """The mean of d (e.g. paired differences) with a percentile-bootstrap interval over its values."""
    _check_bootstrap(n_boot, level)
    d = _finite(d)
    if d.size == 0:
        return EffectInterval(np.nan, np.nan, np.nan, 0, level, 0)
    means = d[np.random.default_rng(seed).integers(0, d.size, (n_boot, d.size))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return EffectInterval(float(d.mean()), float(low), float(high), d.size, level, n_boot)


def permutation_p_floor(x: np.ndarray, y: np.ndarray, direction: int = 1) -> float:
    """The smallest two-sided p-value an exact permutation test of x against y could give with these values:
    2 x (the share of the n! pairings that reach the most extreme rank agreement in `direction`, +1
    concordant, -1 discordant), ties included. Holds for any rank statistic of the pairs (Spearman's rho,
    and with a 0/1 group label as x, Mann-Whitney's U or Cliff's delta). Non-finite pairs are dropped.

    The extreme is unique as a table of counts of (x tie group, y tie group) pairs, the one that fills the
    groups in sorted order (north-west corner rule); the pairings that give table N number
    prod(m_i!) prod(k_j!) / prod(N_ij!), m and k the tie-group sizes of x and y."""
    x, y = _finite_pairs(x, y)
    if x.size == 0:
        return 1.0
    m = np.unique(x, return_counts=True)[1]
    k = np.unique(y, return_counts=True)[1]
    if direction < 0:
        k = k[::-1]
    table, rows, cols = [], list(m), list(k)
    i = j = 0
    while i < len(rows) and j < len(cols):
        take = min(rows[i], cols[j])
        table.append(take)
        rows[i], cols[j] = rows[i] - take, cols[j] - take
        i, j = i + (rows[i] == 0), j + (cols[j] == 0)
    log_count = special.gammaln(m + 1).sum() + special.gammaln(k + 1).sum()
    log_count -= special.gammaln(np.array(table) + 1).sum()
    return float(min(1.0, 2 * np.exp(log_count - special.gammaln(x.size + 1))))


def sign_flip_p_floor(d: np.ndarray) -> float:
    """The smallest two-sided p-value an exact sign-flip test of paired differences d could give:
    2 / 2^m, m the number of non-zero finite differences (zeros do not change under a flip)."""
    m = int(np.count_nonzero(_finite(d)))
    return float(min(1.0, 2.0 ** (1 - m)))


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate); NaNs stay NaN and do not count in m."""
    p = np.asarray(p_values, dtype=np.float64)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {p[(p < 0) | (p > 1)]}")
    adjusted = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    m = int(valid.sum())
    if m == 0:
        return adjusted
    order = np.argsort(p[valid], kind="stable")
    scaled = p[valid][order] * m / np.arange(1, m + 1)
    step_up = np.minimum.accumulate(scaled[::-1])[::-1]
    values = np.empty(m)
    values[order] = step_up
    adjusted[valid] = values
    return adjusted


def partial_spearman(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> PartialSpearman:
    """Spearman's rho of x and y controlling for z ([n] or [n, k]): residual ranks, t-test, n - 2 - k dof."""
    z = np.asarray(z, dtype=np.float64)
    z = z.reshape(len(z), -1)
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if not len(x) == len(y) == len(z):
        raise ValueError(f"x, y and z need one value per model, got {len(x)}, {len(y)} and {len(z)}")
    keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(z).all(axis=1)
    x, y, z = x[keep], y[keep], z[keep]
    n, dof = x.size, x.size - 2 - z.shape[1]
    if dof < 1:
        return PartialSpearman(np.nan, np.nan, n)
    design = np.column_stack([np.ones(n), stats.rankdata(z, axis=0)])
    residuals = []
    for ranks in (stats.rankdata(x), stats.rankdata(y)):
        residual = ranks - design @ np.linalg.lstsq(design, ranks, rcond=None)[0]
        if np.ptp(ranks) == 0 or np.linalg.norm(residual) <= 1e-9 * np.linalg.norm(ranks - ranks.mean()):
            return PartialSpearman(np.nan, np.nan, n)  # constant, or a rank-linear function of z
        residuals.append(residual)
    rho = float(_row_correlation(residuals[0][None], residuals[1][None])[0])
    t = rho * np.sqrt(dof / max(1.0 - rho**2, np.finfo(float).tiny))
    return PartialSpearman(rho, float(2 * stats.t.sf(abs(t), dof)), n)


def _check_bootstrap(n_boot: int, level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    return values[np.isfinite(values)]


def _deltas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cliff's delta of each row of a [r, n_a] against the same row of b [r, n_b]."""
    return np.sign(a[:, :, None] - b[:, None, :]).mean(axis=(1, 2))


def _finite_pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y as flat float arrays of equal length, without the pairs where either is not finite."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    if x.size != y.size:
        raise ValueError(f"x and y need one value per model, got {x.size} and {y.size}")
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _row_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of a and b [rows, n]; NaN for a row where either is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    norm = np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    return np.divide((a * b).sum(axis=1), norm, out=np.full(len(a), np.nan), where=norm > 0)
