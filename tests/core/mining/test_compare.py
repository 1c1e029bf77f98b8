"""Before/after comparisons: compare_samples against SciPy and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom, mannwhitneyu

from opslens.core.errors import ConfigError, InputError
from opslens.core.mining import (
    MIN_SAMPLE_SIZE,
    RESAMPLE_MAX_N,
    SampleComparison,
    Verdict,
    compare_samples,
)
from opslens.core.mining.compare import _order_statistic_medians, _resampled_medians

# --------------------------------------------------------------------------------------------
# compare_samples: hand-computed cases


def test_clear_shift_by_hand() -> None:
    before, after = [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]
    r = compare_samples(before, after)
    assert (r.n_before, r.n_after) == (5, 5)
    assert (r.mean_before, r.mean_after) == (3.0, 8.0)
    assert (r.median_before, r.median_after) == (3.0, 8.0)
    assert r.median_difference == 5.0
    assert r.relative_change == pytest.approx(5 / 3)
    # every before value is below every after value: U_before = 0, r = +1 (after larger)
    assert r.u_statistic == 0.0
    assert r.effect_size == 1.0
    # exact two-sided p: the two most extreme of C(10, 5) = 252 equally likely splits
    assert r.p_value == pytest.approx(2 / 252)
    # resampled medians lie in [1, 5] and [6, 10]: every difference is in [1, 9]
    assert r.ci_low is not None and r.ci_high is not None
    assert 1.0 <= r.ci_low <= r.ci_high <= 9.0
    assert r.ci_method == "resample"
    assert r.verdict is Verdict.SLOWER and r.significant


def test_faster_is_negative() -> None:
    r = compare_samples([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    assert r.median_difference == -5.0
    assert r.effect_size == -1.0
    assert r.ci_high is not None and r.ci_high < 0
    assert r.verdict is Verdict.FASTER


def test_ties_by_hand() -> None:
    before, after = [1, 1, 2, 2, 3], [2, 2, 3, 3, 4]
    r = compare_samples(before, after)
    # U_before: the 2s tie with two after-2s (2 × 0.5 each), the 3 beats two 2s and ties two 3s
    assert r.u_statistic == 5.0
    assert r.effect_size == pytest.approx(1 - 2 * 5 / 25)
    assert r.median_difference == 1.0
    want = mannwhitneyu(before, after, alternative="two-sided", method="auto")
    assert r.p_value == pytest.approx(float(want.pvalue), rel=1e-12)
    assert r.p_value is not None and r.p_value > 0.05
    assert r.verdict is Verdict.NO_CHANGE


def test_identical_samples_no_change() -> None:
    x = [3600.0, 7200.0, 0.0, 10.0, 86400.0, 3600.0, 5.0]
    r = compare_samples(x, list(reversed(x)))
    assert r.median_difference == 0.0
    assert r.effect_size == 0.0
    assert r.p_value == pytest.approx(1.0)
    assert r.ci_low is not None and r.ci_high is not None and r.ci_low <= 0.0 <= r.ci_high
    assert r.verdict is Verdict.NO_CHANGE and not r.significant


def test_all_zeros_no_change() -> None:
    r = compare_samples(np.zeros(50), np.zeros(60))
    assert r.p_value == 1.0
    assert (r.ci_low, r.ci_high) == (0.0, 0.0)
    assert r.median_difference == 0.0
    assert r.relative_change is None  # the before median is 0
    assert r.verdict is Verdict.NO_CHANGE


def test_clear_shift_large() -> None:
    rng = np.random.default_rng(1)
    before = rng.lognormal(np.log(96 * 3600), 0.5, 400)
    after = rng.lognormal(np.log(48 * 3600), 0.5, 300)
    r = compare_samples(before, after)
    assert r.verdict is Verdict.FASTER
    assert r.ci_low is not None and r.ci_high is not None
    assert r.ci_low < r.median_difference < r.ci_high < 0  # type: ignore[operator]
    assert r.p_value is not None and r.p_value < 1e-3
    assert r.effect_size is not None and r.effect_size < -0.5
    assert r.relative_change == pytest.approx(-0.5, abs=0.1)


@pytest.mark.parametrize(
    ("before", "after"),
    [([1, 2, 3, 4], [5, 6, 7, 8, 9]), ([1, 2, 3, 4, 5], [9]), ([], []), ([1, 2, 3, 4, 5], [])],
)
def test_tiny_samples_insufficient(before: list[float], after: list[float]) -> None:
    r = compare_samples(before, after)
    assert r.verdict is Verdict.INSUFFICIENT
    assert r.p_value is r.u_statistic is r.effect_size is r.ci_low is r.ci_high is None
    assert r.ci_method is None
    assert (r.n_before, r.n_after) == (len(before), len(after))
    if before:
        assert r.median_before == float(np.median(before))
    else:
        assert r.median_before is None and r.mean_before is None
    if not (before and after):
        assert r.median_difference is None and r.relative_change is None


def test_min_sample_size_is_the_threshold() -> None:
    assert MIN_SAMPLE_SIZE == 5
    n = MIN_SAMPLE_SIZE
    assert compare_samples(range(n), range(n)).verdict is Verdict.NO_CHANGE
    assert compare_samples(range(n - 1), range(n)).verdict is Verdict.INSUFFICIENT


def test_nan_dropped_all_nan_insufficient() -> None:
    r = compare_samples([math.nan] * 10, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert r.n_before == 0 and r.verdict is Verdict.INSUFFICIENT
    r = compare_samples([1, math.nan, 2, 3, 4, 5], np.array([1, 2, 3, 4, 5, np.nan]))
    assert (r.n_before, r.n_after) == (5, 5)
    assert r.verdict is Verdict.NO_CHANGE


def test_bad_input() -> None:
    with pytest.raises(InputError, match="infinite"):
        compare_samples([1, 2, math.inf], [1, 2, 3])
    with pytest.raises(InputError, match="before"):
        compare_samples(["a", "b"], [1, 2])  # type: ignore[list-item]
    with pytest.raises(ConfigError):
        compare_samples([1], [2], confidence=1.0)
    with pytest.raises(ConfigError):
        compare_samples([1], [2], resamples=0)


# --------------------------------------------------------------------------------------------
# compare_samples: against SciPy directly, reproducibility, the large-n path


@pytest.mark.parametrize("n", [(5, 7), (8, 8), (30, 45), (1200, 900)])
def test_against_scipy(n: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(n))
    before = np.round(rng.exponential(100, n[0]))  # rounding makes ties
    after = np.round(rng.exponential(80, n[1]))
    r = compare_samples(before, after)
    want = mannwhitneyu(before, after, alternative="two-sided", method="auto")
    assert r.u_statistic == float(want.statistic)
    assert r.p_value == pytest.approx(float(want.pvalue), rel=1e-12)
    # rank-biserial = Cliff's delta of after against before, counted pair by pair
    diff = np.sign(after[None, :] - before[:, None])
    assert r.effect_size == pytest.approx(float(diff.mean()), abs=1e-12)
    assert r.median_before == float(np.median(before))
    assert r.median_after == float(np.median(after))
    assert r.mean_after == pytest.approx(float(np.mean(after)), rel=1e-12)
    assert r.ci_method == ("resample" if max(n) <= RESAMPLE_MAX_N else "order-statistic")


def test_bootstrap_ci_by_hand() -> None:
    """The percentile CI is the quantile of (after* − before*) with before drawn first."""
    before = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 9.0])
    after = np.array([2.0, 0.0, 1.0, 3.0, 1.0, 2.0, 8.0])
    r = compare_samples(before, after, resamples=500, seed=42, confidence=0.9)
    rng = np.random.default_rng(42)
    b, a = np.sort(before), np.sort(after)
    mb = np.median(b[rng.integers(0, b.size, size=(500, b.size))], axis=1)
    ma = np.median(a[rng.integers(0, a.size, size=(500, a.size))], axis=1)
    lo, hi = np.quantile(ma - mb, [0.05, 0.95])
    assert (r.ci_low, r.ci_high) == (float(lo), float(hi))


def test_seeded_reproducibility() -> None:
    rng = np.random.default_rng(3)
    before, after = rng.exponential(10, 200), rng.exponential(9, 250)
    first = compare_samples(before, after, seed=7)
    assert compare_samples(before, after, seed=7) == first
    assert compare_samples(list(before), tuple(after), seed=7) == first
    other = compare_samples(before, after, seed=8)
    assert (other.ci_low, other.ci_high) != (first.ci_low, first.ci_high)
    assert other.p_value == first.p_value


@pytest.mark.parametrize("n", [11, 12])
def test_order_statistic_bootstrap_is_the_bootstrap(n: int) -> None:
    """Both samplers draw the median of a resample from the same distribution.

    For odd n the exact law is known: median* <= x_(j) iff at least k = (n+1)/2 of the n draws
    fall on the j smallest values, i.e. P = P(Binomial(n, j/n) >= k).
    """
    x = np.arange(1.0, n + 1)
    draws = 200_000
    plain = _resampled_medians(x, np.random.default_rng(1), draws)
    order = _order_statistic_medians(x, np.random.default_rng(2), draws)
    grid = np.arange(1.0, n + 1, 0.5)
    cdf_plain = np.searchsorted(np.sort(plain), grid, side="right") / draws
    cdf_order = np.searchsorted(np.sort(order), grid, side="right") / draws
    assert np.abs(cdf_plain - cdf_order).max() < 0.01
    if n % 2:
        k = (n + 1) // 2
        j = np.arange(1, n + 1)
        exact = binom.sf(k - 1, n, j / n)
        assert np.abs(cdf_order[::2] - exact).max() < 0.01
        assert np.abs(cdf_plain[::2] - exact).max() < 0.01


def test_large_samples_fast_path() -> None:
    rng = np.random.default_rng(5)
    before = rng.lognormal(10, 1, 200_000)
    after = rng.lognormal(10, 1, 150_000) * 0.97
    r = compare_samples(before, after)
    assert r.ci_method == "order-statistic"
    assert r.ci_low is not None and r.ci_high is not None
    assert r.ci_low < r.median_difference < r.ci_high  # type: ignore[operator]
    assert r.verdict is Verdict.FASTER


def test_to_dict() -> None:
    d = compare_samples([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).to_dict()
    assert d["verdict"] == "slower"
    assert d["n_before"] == 5 and len(d["ci"]) == 2
    assert compare_samples([], []).to_dict()["ci"] is None


durations = st.lists(
    st.one_of(st.just(0.0), st.floats(0, 1e7, allow_nan=False), st.integers(0, 20).map(float)),
    min_size=0,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(before=durations, after=durations)
def test_swap_negates(before: list[float], after: list[float]) -> None:
    r = compare_samples(before, after)
    s = compare_samples(after, before)
    assert (s.n_before, s.n_after) == (r.n_after, r.n_before)
    assert (s.verdict is Verdict.INSUFFICIENT) == (r.verdict is Verdict.INSUFFICIENT)
    if r.median_difference is None:
        assert s.median_difference is None
    else:
        assert s.median_difference == -r.median_difference
    if r.effect_size is None:
        assert s.effect_size is None
    else:
        assert s.effect_size == pytest.approx(-r.effect_size, abs=1e-12)
        assert s.p_value == pytest.approx(r.p_value, rel=1e-9, abs=1e-15)


def test_result_is_frozen() -> None:
    r = compare_samples([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    assert isinstance(r, SampleComparison)
    with pytest.raises(AttributeError):
        r.verdict = Verdict.FASTER  # type: ignore[misc]
