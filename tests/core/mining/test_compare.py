"""Before/after comparisons: compare_samples against SciPy and hand-computed cases."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom, mannwhitneyu

from opslens.core.errors import ConfigError, EmptySliceError, InputError, InsufficientDataError
from opslens.core.eventlog import ColumnMapping, EventLog, event_log_from_arrow, read_event_log
from opslens.core.mining import (
    MIN_SAMPLE_SIZE,
    RESAMPLE_MAX_N,
    ActivitySlice,
    SampleComparison,
    TimeRangeFilter,
    Verdict,
    compare_logs,
    compare_samples,
)
from opslens.core.mining.compare import _order_statistic_medians, _resampled_medians, _slice
from tests.conftest import eventlog

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


# --------------------------------------------------------------------------------------------
# compare_logs on a hand-built log

JAN = datetime(2024, 1, 1, tzinfo=UTC)
PILOT = datetime(2024, 1, 31, 12, tzinfo=UTC)
BEFORE = [TimeRangeFilter(end=PILOT, mode="started")]
AFTER = [TimeRangeFilter(start=PILOT, mode="started")]


def _t(day: int, minutes: int, month: int = 1) -> datetime:
    return datetime(2024, month, day, tzinfo=UTC) + timedelta(minutes=minutes)


# (case, activity, start, end): three January cases, two February ones.
HAND = [
    ("A1", "Submit", _t(1, 0), _t(1, 60)),
    ("A1", "Approve", _t(1, 180), _t(1, 300)),
    ("A2", "Submit", _t(2, 0), _t(2, 30)),
    ("A2", "Approve", _t(2, 60), _t(2, 120)),
    ("A2", "Approve", _t(2, 240), _t(2, 270)),  # rework
    ("A3", "Submit", _t(3, 0), _t(3, 60)),
    ("B1", "Approve", _t(1, 10, 2), _t(1, 40, 2)),  # starts before Submit ends: waits 0
    ("B1", "Submit", _t(1, 0, 2), _t(1, 15, 2)),
    ("B2", "Submit", _t(2, 0, 2), _t(2, 20, 2)),
    ("B2", "Approve", _t(2, 60, 2), _t(2, 90, 2)),
]


def _log(rows: list[tuple[str, str, datetime, datetime]], *, interval: bool = True) -> EventLog:
    columns: dict[str, pa.Array] = {
        "case": pa.array([r[0] for r in rows]),
        "activity": pa.array([r[1] for r in rows]),
        "end": pa.array([r[3] for r in rows], pa.timestamp("us", tz="UTC")),
    }
    if interval:
        columns["start"] = pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC"))
    mapping = ColumnMapping(
        case="case", activity="activity", end="end", start="start" if interval else None
    )
    return event_log_from_arrow(pa.table(columns), mapping, timezone="UTC")


def test_compare_logs_by_hand() -> None:
    with _log(HAND) as log:
        r = compare_logs(log, before=BEFORE, after=AFTER)
    assert r.lifecycle == "interval"
    assert (r.before.cases, r.before.activity_instances) == (3, 6)
    assert (r.after.cases, r.after.activity_instances) == (2, 4)
    assert (r.before.first, r.before.last) == (_t(1, 0), _t(3, 60))
    assert (r.after.first, r.after.last) == (_t(1, 0, 2), _t(2, 90, 2))

    # case durations: A1 5 h, A2 4.5 h, A3 1 h; B1 40 min, B2 90 min
    cd = r.case_duration
    assert (cd.n_before, cd.n_after) == (3, 2)
    assert cd.median_before == 16200.0 and cd.median_after == (2400.0 + 5400.0) / 2
    assert cd.mean_before == pytest.approx((18000 + 16200 + 3600) / 3)
    assert cd.median_difference == 3900.0 - 16200.0
    assert cd.verdict is Verdict.INSUFFICIENT

    assert [a.activity for a in r.activities] == ["Approve", "Submit"]  # 5 instances each
    approve = r.activity("Approve")
    assert approve.before == ActivitySlice(
        instances=3, cases=2, rework_cases=1, share=2 / 3, rework_rate=0.5
    )
    assert approve.after == ActivitySlice(
        instances=2, cases=2, rework_cases=0, share=1.0, rework_rate=0.0
    )
    assert approve.share_change == pytest.approx(1 / 3)
    assert approve.rework_rate_change == -0.5
    # service = end − start: 2 h, 1 h, 30 min before; 30 min, 30 min after
    assert approve.service is not None
    assert (approve.service.n_before, approve.service.n_after) == (3, 2)
    assert approve.service.median_before == 3600.0
    assert approve.service.mean_before == pytest.approx((7200 + 3600 + 1800) / 3)
    assert approve.service.median_after == 1800.0
    # waiting = max(start, previous end) − previous end: 2 h, 30 min, 2 h; 0 (overlap), 40 min
    assert approve.waiting is not None
    assert approve.waiting.median_before == 7200.0
    assert approve.waiting.mean_before == pytest.approx((7200 + 1800 + 7200) / 3)
    assert approve.waiting.median_after == 1200.0
    assert approve.waiting.mean_after == 1200.0

    submit = r.activity("Submit")
    assert submit.before == ActivitySlice(3, 3, 0, 1.0, 0.0)
    assert submit.after == ActivitySlice(2, 2, 0, 1.0, 0.0)
    assert submit.service is not None
    assert submit.service.median_before == 3600.0 and submit.service.median_after == 1050.0
    # Submit comes first in A1–A3 and B2 but second in B1: only one side has waiting times
    assert submit.waiting is None
    with pytest.raises(KeyError):
        r.activity("Reject")


def test_compare_logs_activity_in_one_slice_only() -> None:
    rows = [*HAND, ("B2", "Reject", _t(2, 100, 2), _t(2, 110, 2))]
    with _log(rows) as log:
        reject = compare_logs(log, before=BEFORE, after=AFTER).activity("Reject")
    assert reject.before == ActivitySlice(0, 0, 0, 0.0, None)
    assert reject.after == ActivitySlice(1, 1, 0, 0.5, 0.0)
    assert reject.rework_rate_change is None
    assert reject.service is None and reject.waiting is None


def test_compare_logs_atomic() -> None:
    with _log(HAND, interval=False) as log:
        r = compare_logs(log, before=BEFORE, after=AFTER)
        whole = compare_logs(log, before=[], after=AFTER)
    assert r.lifecycle == "atomic"
    # atomic: each event is its end time; A1 1:00 → 5:00, A2 0:30 → 4:30, A3 one event
    assert r.case_duration.median_before == 4 * 3600.0
    assert r.case_duration.mean_before == pytest.approx((4 * 3600 + 4 * 3600 + 0) / 3)
    approve = r.activity("Approve")
    assert approve.service is None  # atomic logs carry no service times
    assert approve.waiting is not None
    # Approve waits: A1 4 h, A2 1.5 h and 2.5 h; B1: Submit (0:15) before Approve (0:40): 25 min
    assert approve.waiting.median_before == 2.5 * 3600  # of 4 h, 1.5 h, 2.5 h
    assert approve.waiting.median_after == (25 * 60 + 70 * 60) / 2
    assert whole.before.cases == 5 and whole.before.activity_instances == 10


def test_compare_logs_matches_compare_samples() -> None:
    """The log comparison is compare_samples over the slices' arrays (with the same seed)."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(60):
        month = 1 if i < 30 else 2
        day = 1 + i % 28
        first = int(rng.integers(0, 600))
        wait = int(rng.integers(1, 300 if month == 1 else 60))
        rows.append((f"C{i}", "Submit", _t(day, first, month), _t(day, first + 10, month)))
        second = first + 10 + wait
        rows.append((f"C{i}", "Approve", _t(day, second, month), _t(day, second + 5, month)))
    with _log(rows) as log:
        r = compare_logs(log, before=BEFORE, after=AFTER, resamples=300, seed=3)
    before = [(rows[2 * i + 1][3] - rows[2 * i][2]).total_seconds() for i in range(30)]
    after = [(rows[2 * i + 1][3] - rows[2 * i][2]).total_seconds() for i in range(30, 60)]
    assert r.case_duration == compare_samples(before, after, resamples=300, seed=3)
    waits_b = [(rows[2 * i + 1][2] - rows[2 * i][3]).total_seconds() for i in range(30)]
    waits_a = [(rows[2 * i + 1][2] - rows[2 * i][3]).total_seconds() for i in range(30, 60)]
    approve = r.activity("Approve")
    assert approve.waiting == compare_samples(waits_b, waits_a, resamples=300, seed=3)
    assert approve.waiting is not None and approve.waiting.verdict is Verdict.FASTER
    assert r.case_duration.verdict is Verdict.FASTER


def test_compare_logs_empty_slice() -> None:
    with _log(HAND) as log:
        with pytest.raises(InsufficientDataError, match="after slice") as raised:
            compare_logs(
                log, before=BEFORE, after=[TimeRangeFilter(start=datetime(2030, 1, 1, tzinfo=UTC))]
            )
        assert isinstance(raised.value, EmptySliceError) and raised.value.side == "after"
        with pytest.raises(EmptySliceError) as raised:
            compare_logs(
                log, before=[TimeRangeFilter(end=datetime(2000, 1, 1, tzinfo=UTC))], after=AFTER
            )
        assert raised.value.side == "before"
        with pytest.raises(ConfigError):
            compare_logs(log, before=BEFORE, after=AFTER, confidence=0)


def test_compare_logs_to_dict() -> None:
    with _log(HAND) as log:
        d = compare_logs(log, before=BEFORE, after=AFTER).to_dict()
    json.dumps(d)
    assert d["before"]["first"] == "2024-01-01T00:00:00Z"
    assert d["case_duration_s"]["verdict"] == "insufficient"
    assert d["activities"][0]["activity"] == "Approve"
    assert d["activities"][1]["waiting_s"] is None


# --------------------------------------------------------------------------------------------
# compare_logs on shared real logs: each slice's case durations equal PM4Py's


REAL = ["receipt.xes.gz", "helpdesk.xes.gz", "repairExample.xes.gz", "interval_event_log.csv"]


@pytest.mark.eventlogs
@pytest.mark.parametrize("name", REAL)
def test_case_durations_equal_pm4py(name: str) -> None:
    import pandas as pd
    import pm4py

    from pm4py_figures import ACT, CASE, END, START, load_instances  # bench/, on sys.path

    path = eventlog(name)
    df, info = load_instances(str(path))
    first = df.groupby(CASE)[START].min()
    pivot = first.sort_values().iloc[len(first) // 2]  # a case start: it lies in both slices
    parts = {"before": first.index[first <= pivot], "after": first.index[first >= pivot]}
    cut = pd.Timestamp(pivot).tz_localize("UTC").to_pydatetime()

    with read_event_log(path) as log:
        r = compare_logs(
            log,
            before=[TimeRangeFilter(end=cut, mode="started")],
            after=[TimeRangeFilter(start=cut, mode="started")],
        )
        arrays = {
            "before": _slice(log, [TimeRangeFilter(end=cut, mode="started")], "before"),
            "after": _slice(log, [TimeRangeFilter(start=cut, mode="started")], "after"),
        }
    assert r.lifecycle == info["lifecycle"]
    for side, cases in parts.items():
        sub = df[df[CASE].isin(cases)]
        if info["lifecycle"] == "interval":  # the lifecycle form: start times as events too
            sub = pd.concat(
                [sub[[CASE, ACT, START]].rename(columns={START: END}), sub[[CASE, ACT, END]]],
                ignore_index=True,
            ).sort_values([CASE, END], kind="stable")
        sub = sub.copy()
        sub.attrs = {}  # PM4Py would read its start-time key from them
        want = np.sort(
            np.asarray(
                pm4py.get_all_case_durations(sub, case_id_key=CASE, timestamp_key=END), float
            )
        )
        got = np.sort(arrays[side].case_durations)
        assert got.size == want.size == len(cases)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
        summary = getattr(r, side)
        assert summary.cases == len(cases)
        stats = r.case_duration
        median = stats.median_before if side == "before" else stats.median_after
        assert median == pytest.approx(float(np.median(want)), rel=1e-9)
    assert r.case_duration.verdict is not Verdict.INSUFFICIENT
