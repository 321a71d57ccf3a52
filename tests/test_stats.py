"""Correlation statistics against hand computations, naive formulas and simulated coverage."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from losstopo.stats import (
    benjamini_hochberg,
    cliffs_delta,
    cliffs_delta_interval,
    mean_interval,
    partial_spearman,
    permutation_p_floor,
    sign_flip_p_floor,
    spearman_interval,
)


def test_benjamini_hochberg_by_hand():
    """m = 5 (the NaN does not count). Sorted 0.005 0.01 0.03 0.04 0.5 times 5/rank: 0.025 0.025 0.05 0.05
    0.5, already non-decreasing. In the second case the step-up lifts nothing but lowers the first two:
    0.02 * 3, 0.03 * 3/2, 0.035 * 3/3 = 0.06, 0.045, 0.035 become 0.035 each."""
    adjusted = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.5]))
    np.testing.assert_allclose(adjusted, [0.025, 0.05, 0.05, 0.025, np.nan, 0.5], rtol=1e-15)
    np.testing.assert_allclose(benjamini_hochberg([0.02, 0.03, 0.035]), [0.035] * 3, rtol=1e-15)
    assert np.isnan(benjamini_hochberg([np.nan, np.nan])).all()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        benjamini_hochberg([0.2, 1.5])


def test_benjamini_hochberg_equals_naive_definition_and_procedure():
    """With ties and NaNs: adjusted p_i = min over observed t >= p_i of m t / #{p <= t}; rejecting where
    adjusted <= q is BH's step-up procedure (reject p <= p_(k), k the largest i with p_(i) <= i q / m);
    and scipy's false_discovery_control agrees on the values that are not NaN."""
    rng = np.random.default_rng(0)
    p = np.round(np.concatenate([rng.uniform(0, 0.05, 15), rng.uniform(0, 1, 25)]), 3)
    p[[3, 17, 30]] = np.nan
    adjusted = benjamini_hochberg(p)
    valid = p[~np.isnan(p)]
    m = valid.size
    naive = [min(m * t / np.sum(valid <= t) for t in valid if t >= pi) for pi in valid]
    np.testing.assert_allclose(adjusted[~np.isnan(p)], naive, rtol=1e-14)
    assert np.isnan(adjusted[[3, 17, 30]]).all()
    np.testing.assert_allclose(adjusted[~np.isnan(p)], stats.false_discovery_control(valid), rtol=1e-14)
    ranked = np.sort(valid)
    for q in (0.01, 0.05, 0.1, 0.2):
        passing = np.flatnonzero(ranked <= np.arange(1, m + 1) * q / m)
        rejected = valid <= ranked[passing[-1]] if passing.size else np.zeros(m, dtype=bool)
        np.testing.assert_array_equal(adjusted[~np.isnan(p)] <= q, rejected)


def correlated(n: int, r: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n draws of a standard bivariate normal with Pearson correlation r."""
    x, e = rng.standard_normal((2, n))
    return x, r * x + np.sqrt(1 - r**2) * e


def test_partial_spearman_equals_rank_correlation_matrix_formula():
    """One control: (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2)) of the 3x3 Spearman matrix, t-test
    with n - 3 dof. Two controls: -P_xy / sqrt(P_xx P_yy) of the inverse 4x4 Spearman matrix, n - 4 dof."""
    rng = np.random.default_rng(1)
    n = 25
    z = rng.standard_normal((n, 2))
    x = z[:, 0] + 0.5 * rng.standard_normal(n) + 0.3 * z[:, 1]
    y = np.exp(z[:, 0] + 0.7 * rng.standard_normal(n)) - 0.4 * z[:, 1]
    r = stats.spearmanr(np.column_stack([x, y, z[:, 0]])).statistic
    expected = (r[0, 1] - r[0, 2] * r[1, 2]) / np.sqrt((1 - r[0, 2] ** 2) * (1 - r[1, 2] ** 2))
    t = expected * np.sqrt((n - 3) / (1 - expected**2))
    result = partial_spearman(x, y, z[:, 0])
    assert result.rho == pytest.approx(expected, rel=1e-12)
    assert result.p == pytest.approx(2 * stats.t.sf(abs(t), n - 3), rel=1e-10)
    assert result.n == n

    precision = np.linalg.inv(stats.spearmanr(np.column_stack([x, y, z])).statistic)
    expected = -precision[0, 1] / np.sqrt(precision[0, 0] * precision[1, 1])
    t = expected * np.sqrt((n - 4) / (1 - expected**2))
    result = partial_spearman(x, y, z)
    assert result.rho == pytest.approx(expected, rel=1e-12)
    assert result.p == pytest.approx(2 * stats.t.sf(abs(t), n - 4), rel=1e-10)


def test_partial_spearman_drops_nonfinite_rows_and_flags_undefined():
    rng = np.random.default_rng(2)
    x, y = correlated(20, 0.5, rng)
    z = rng.standard_normal(20)
    x_gaps = x.copy()
    x_gaps[[2, 9]] = [np.nan, np.inf]
    keep = np.isfinite(x_gaps)
    assert partial_spearman(x_gaps, y, z) == partial_spearman(x[keep], y[keep], z[keep])
    assert partial_spearman(x_gaps, y, z).n == 18
    assert np.isnan(partial_spearman(np.exp(z), y, z).rho)  # x is a monotone function of z: nothing left
    assert np.isnan(partial_spearman(np.ones(20), y, z).rho)
    assert np.isnan(partial_spearman(x[:3], y[:3], z[:3]).p)


def test_spearman_interval_point_estimate_ties_and_constant_resamples():
    """rho and p are scipy's (average ranks for ties); with x = 0 0 0 0 1 many resamples miss the 1 and
    are skipped, so fewer than n_boot are used; constant or too short data give NaN, not an error."""
    x, y = np.array([0.0, 0.0, 0.0, 0.0, 1.0]), np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    result = spearman_interval(x, y, n_boot=1000, seed=3)
    reference = stats.spearmanr(x, y)
    assert (result.rho, result.p, result.n) == (reference.statistic, reference.pvalue, 5)
    expected_used = 1000 * (1 - 0.8**5)  # a resample misses the single 1 with probability (4/5)^5
    assert abs(result.n_boot - expected_used) < 4 * np.sqrt(1000 * 0.8**5 * (1 - 0.8**5))
    assert result.low <= result.rho <= result.high
    assert np.isnan(spearman_interval(np.ones(8), np.arange(8.0)).rho)
    assert spearman_interval([1.0, np.nan, 2.0, 3.0], [1.0, 2.0, np.nan, 3.0]).n == 2
    again = spearman_interval(x, y, n_boot=1000, seed=3)
    assert (again.low, again.high) == (result.low, result.high)


def test_spearman_interval_covers_the_population_rho():
    """Acceptance: 200 data sets of n = 30 from a bivariate normal with Pearson r = 0.6, whose population
    Spearman rho is (6 / pi) asin(r / 2) = 0.5819. The count of 95% intervals that contain it is binomial
    (200, c); for an honest c = 0.95 its standard error is sqrt(0.95 * 0.05 / 200) = 0.0154, so the band
    0.95 +- 3 s.e. = [0.904, 0.996] fails an honest method about 3 times in 1,000 (the seeds are fixed,
    so this test is deterministic). It catches gross errors (pairs broken apart, wrong quantiles); a small
    bias of a few points would pass, which is why the method was chosen on 1,000-set simulations at
    several r and n (recorded in losstopo.stats: the percentile interval covered 94.3-96.0% at n = 30)."""
    rng = np.random.default_rng(2024)
    r = 0.6
    population = 6 / np.pi * np.arcsin(r / 2)
    hits = 0
    for i in range(200):
        x, y = correlated(30, r, rng)
        interval = spearman_interval(x, y, n_boot=2000, seed=i)
        hits += interval.low <= population <= interval.high
    assert 0.904 <= hits / 200 <= 0.996, hits / 200


def test_cliffs_delta_equals_pair_count_and_mann_whitney():
    """delta = (#{a > b} - #{a < b}) / (n_a n_b) counted pair by pair, = 2 U / (n_a n_b) - 1 with scipy's U
    (ties count half); NaNs are dropped, an empty group gives NaN."""
    rng = np.random.default_rng(5)
    a, b = np.round(rng.normal(0.5, 1, 9), 1), np.round(rng.normal(0, 1, 7), 1)
    naive = sum(int(ai > bj) - int(ai < bj) for ai in a for bj in b) / (a.size * b.size)
    assert cliffs_delta(a, b) == pytest.approx(naive, abs=1e-15)
    u = stats.mannwhitneyu(a, b).statistic
    assert cliffs_delta(a, b) == pytest.approx(2 * u / (a.size * b.size) - 1, abs=1e-14)
    assert cliffs_delta(np.append(a, np.nan), b) == cliffs_delta(a, b)
    assert cliffs_delta([5.0, 6.0], [1.0, 2.0, 3.0]) == 1.0 and np.isnan(cliffs_delta([], b))


def test_bootstrap_intervals_equal_a_naive_loop_over_the_same_resamples():
    """The vectorised resamples equal a loop that draws the same indices (group a's, then group b's, as the
    functions do) and recomputes the statistic one resample at a time."""
    rng = np.random.default_rng(6)
    a, b, d = rng.normal(1, 1, 6), rng.normal(0, 1, 5), rng.normal(0.3, 1, 9)
    result = cliffs_delta_interval(a, b, n_boot=300, seed=11)
    draw = np.random.default_rng(11)
    picks_a, picks_b = draw.integers(0, 6, (300, 6)), draw.integers(0, 5, (300, 5))
    naive = [sum(int(x > y) - int(x < y) for x in a[pa] for y in b[pb]) / 30
             for pa, pb in zip(picks_a, picks_b)]
    assert (result.low, result.high) == pytest.approx(tuple(np.quantile(naive, [0.025, 0.975])), abs=1e-12)
    assert (result.value, result.n, result.n_boot) == (cliffs_delta(a, b), 11, 300)
    result = mean_interval(d, n_boot=300, seed=12)
    picks = np.random.default_rng(12).integers(0, 9, (300, 9))
    naive = [np.mean(d[p]) for p in picks]
    assert (result.low, result.high) == pytest.approx(tuple(np.quantile(naive, [0.025, 0.975])), abs=1e-12)
    assert result.value == pytest.approx(d.mean()) and result.n == 9
    assert np.isnan(mean_interval([np.nan]).value) and np.isnan(cliffs_delta_interval([1.0], []).low)


def enumerated_floor(x: np.ndarray, y: np.ndarray, direction: int) -> float:
    """2 x the share of all n! pairings of y with x whose Spearman rho reaches the extreme in `direction`."""
    rhos = np.array([stats.spearmanr(x, np.array(p)).statistic for p in itertools.permutations(y)])
    extreme = rhos.max() if direction > 0 else rhos.min()
    return min(1.0, 2 * np.mean(np.abs(rhos - extreme) < 1e-9))


@pytest.mark.parametrize(("x", "y"), [
    ([1, 2, 3, 4], [5, 6, 7, 8]),                        # no ties: 2 / 4! = 0.083
    ([1, 2, 3, 4, 5], [0, 2, 1, 4, 3]),                  # 2 / 5! = 0.017
    ([1, 1, 2, 2, 3, 3], [0, 0, 0, 0, 0, 1]),            # one non-zero value: 2 x 2 / 6
    ([1, 1, 2, 3, 3, 3], [4, 5, 5, 6, 6, 7]),            # ties in both
    ([0, 0, 0, 1, 1, 1], [1.0, 2.0, 2.0, 3.0, 4.0, 5.0]),  # two groups of 3 (Mann-Whitney): 2 / C(6, 3)
    ([0, 0, 0, 0, 1, 1, 1], [3, 1, 2, 2, 5, 4, 6]),      # two groups of 4 and 3 with a tie
])
def test_permutation_p_floor_equals_enumeration(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    for direction in (1, -1):
        expected = enumerated_floor(x, y, direction)
        assert permutation_p_floor(x, y, direction) == pytest.approx(expected, rel=1e-9)


def test_p_floors_of_the_standard_designs():
    """No ties: 2 / n! for a rank correlation, 2 / C(n_a + n_b, n_a) for two groups; 2 / 2^m for m non-zero
    paired differences (checked against every sign pattern of a mean of differences)."""
    assert permutation_p_floor(np.arange(5.0), np.arange(5.0)) == pytest.approx(2 / 120)
    assert permutation_p_floor(np.r_[np.zeros(4), np.ones(4)], np.arange(8.0)) == pytest.approx(2 / 70)
    assert permutation_p_floor(np.ones(6), np.arange(6.0)) == 1.0
    d = np.array([0.5, 1.0, 0.0, 2.0, 0.5])
    means = [np.mean(d * np.array(s)) for s in itertools.product([-1, 1], repeat=d.size)]
    assert sign_flip_p_floor(d) == pytest.approx(2 * np.mean(np.isclose(means, max(means))))
    assert sign_flip_p_floor(d) == 2 / 16 and sign_flip_p_floor([1.0] * 6) == 2 / 64
