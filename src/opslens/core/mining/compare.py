"""Before/after comparison of two samples of durations, and of two slices of one event log.

:func:`compare_samples` compares two samples of durations (seconds): sizes, means, medians, the
median difference *after − before* with a percentile bootstrap confidence interval, the two-sided
Mann–Whitney U test (SciPy) and the rank-biserial correlation as the effect size, summed up in a
:class:`Verdict`. :func:`compare_logs` cuts two slices out of one :class:`EventLog` with two lists
of filters (for example the months before and after a pilot) and compares their case durations
and, per activity, service and waiting times, rework rates and the share of cases.

Conventions (also in ``docs/analysis.md``, "Comparing two slices"):

* every difference is **after − before**; a negative difference means *after* is shorter;
* the effect size is the rank-biserial correlation ``r = 1 − 2·U_before / (n_before · n_after)``,
  where ``U_before`` is the Mann–Whitney U of the *before* sample (pairs in which the before
  value is larger, ties counting one half). It equals Cliff's delta of *after* against *before*,
  ``P(after > before) − P(after < before)``: in [−1, 1], **negative = after is smaller (faster)**;
* smaller durations are better: :attr:`Verdict.FASTER` means after is significantly shorter.

The numbers only: the wording ("the median fell from 96 h to 48 h, p < 0.001") belongs to the web
layer and its translations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from opslens.core.errors import ConfigError, EmptySliceError, InputError, InsufficientDataError

if TYPE_CHECKING:
    from opslens.core.eventlog import EventLog
    from opslens.core.mining.filters import Filter

if TYPE_CHECKING:
    pass

__all__ = [
    "MIN_SAMPLE_SIZE",
    "RESAMPLE_MAX_N",
    "ActivityComparison",
    "ActivitySlice",
    "LogComparison",
    "SampleComparison",
    "SliceSummary",
    "Verdict",
    "compare_logs",
    "compare_samples",
]

#: Fewer values than this on either side gives :attr:`Verdict.INSUFFICIENT` (no test, no CI).
MIN_SAMPLE_SIZE = 5

#: Up to this many values per side the bootstrap resamples the values themselves; above it, it
#: draws each resample's median directly from the order statistics (the same distribution).
RESAMPLE_MAX_N = 1000

_US = 1_000_000.0

# Values drawn per chunk of the plain resampling (bounds the memory to 16 MB of indices).
_CHUNK = 1 << 21

FloatArray = npt.NDArray[np.float64]
CiMethod = Literal["resample", "order-statistic"]


class Verdict(StrEnum):
    """The one-word outcome of a comparison of durations (smaller is better).

    ``FASTER`` / ``SLOWER``: the Mann–Whitney test is significant at ``alpha = 1 − confidence``
    (0.05 by default) *and* the bootstrap CI of the median difference excludes 0 (below 0:
    faster; above: slower). ``NO_CHANGE``: either condition fails. ``INSUFFICIENT``: fewer than
    :data:`MIN_SAMPLE_SIZE` values on either side (after dropping NaN).
    """

    FASTER = "faster"
    SLOWER = "slower"
    NO_CHANGE = "no_change"
    INSUFFICIENT = "insufficient"


@dataclass(frozen=True, slots=True)
class SampleComparison:
    """Two samples of durations (seconds), *before* and *after*, compared.

    ``median_difference`` = median(after) − median(before) and ``relative_change`` = that
    difference / median(before) (``None`` when the before median is 0). ``ci_low``/``ci_high``
    bound the median difference (percentile bootstrap, ``confidence`` level, ``resamples``
    draws, ``ci_method`` says how). ``u_statistic`` is the Mann–Whitney U of the *before* sample,
    ``p_value`` the two-sided p-value, ``effect_size`` the rank-biserial correlation
    1 − 2U/(n_before·n_after) (negative = after smaller). Medians interpolate between the two
    middle values. Test, CI and effect are ``None`` when the verdict is ``INSUFFICIENT``; means and
    medians are ``None`` only for an empty side.
    """

    n_before: int
    n_after: int
    mean_before: float | None
    mean_after: float | None
    median_before: float | None
    median_after: float | None
    median_difference: float | None
    relative_change: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    resamples: int
    ci_method: CiMethod | None
    u_statistic: float | None
    p_value: float | None
    effect_size: float | None
    verdict: Verdict

    @property
    def significant(self) -> bool:
        """True for ``FASTER`` and ``SLOWER``."""
        return self.verdict in (Verdict.FASTER, Verdict.SLOWER)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_before": self.n_before,
            "n_after": self.n_after,
            "mean_before": self.mean_before,
            "mean_after": self.mean_after,
            "median_before": self.median_before,
            "median_after": self.median_after,
            "median_difference": self.median_difference,
            "relative_change": self.relative_change,
            "ci": None if self.ci_low is None else [self.ci_low, self.ci_high],
            "confidence": self.confidence,
            "resamples": self.resamples,
            "ci_method": self.ci_method,
            "u_statistic": self.u_statistic,
            "p_value": self.p_value,
            "effect_size": self.effect_size,
            "verdict": self.verdict.value,
        }


def _clean(values: Sequence[float] | npt.ArrayLike, side: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InputError(f"the {side} sample is not a sequence of numbers ({exc})") from None
    array = array[~np.isnan(array)]
    if np.isinf(array).any():
        raise InputError(f"the {side} sample holds an infinite value")
    return array


def _median_of_sorted(x: FloatArray) -> float:
    n = x.size
    mid = n // 2
    return float(x[mid]) if n % 2 else float((x[mid - 1] + x[mid]) / 2)


def _resampled_medians(x: FloatArray, rng: np.random.Generator, resamples: int) -> FloatArray:
    """Medians of ``resamples`` resamples (with replacement) of ``x``, drawn plainly."""
    n = x.size
    out = np.empty(resamples, dtype=np.float64)
    rows = max(1, _CHUNK // n)
    for lo in range(0, resamples, rows):
        hi = min(resamples, lo + rows)
        idx = rng.integers(0, n, size=(hi - lo, n))
        out[lo:hi] = np.median(x[idx], axis=1)
    return out


def _order_statistic_medians(
    sorted_x: FloatArray, rng: np.random.Generator, resamples: int
) -> FloatArray:
    """The same bootstrap distribution as :func:`_resampled_medians`, in O(resamples).

    A resample draws indices ``floor(n·U)`` with U uniform on [0, 1); as ``sorted_x`` is sorted,
    its k-th smallest value is ``sorted_x[floor(n·U_(k))]``, where U_(k), the k-th of n uniform
    order statistics, is Beta(k, n + 1 − k). For even n the next one is
    U_(k+1) = U_(k) + (1 − U_(k))·Beta(1, n − k) (the least of the n − k draws above U_(k)).
    So each resample's median is drawn exactly, without drawing the n values.
    """
    n = sorted_x.size
    k = (n + 1) // 2  # 1-based rank of the (lower) middle value
    u = rng.beta(k, n + 1 - k, size=resamples)
    lower = sorted_x[np.minimum((u * n).astype(np.int64), n - 1)]
    if n % 2:
        return lower
    u2 = u + (1.0 - u) * rng.beta(1, n - k, size=resamples)
    upper = sorted_x[np.minimum((u2 * n).astype(np.int64), n - 1)]
    return (lower + upper) / 2


def _bootstrap_medians(
    sorted_x: FloatArray, rng: np.random.Generator, resamples: int, method: CiMethod
) -> FloatArray:
    if method == "resample":
        return _resampled_medians(sorted_x, rng, resamples)
    return _order_statistic_medians(sorted_x, rng, resamples)


def compare_samples(
    before: Sequence[float] | npt.ArrayLike,
    after: Sequence[float] | npt.ArrayLike,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int | None = 0,
) -> SampleComparison:
    """Compare two samples of durations in seconds (any sequences or NumPy arrays).

    NaN values are dropped (a side left empty is reported, not raised: the verdict is
    ``INSUFFICIENT`` below :data:`MIN_SAMPLE_SIZE` values per side); infinite values raise
    :class:`~opslens.core.errors.InputError`. The bootstrap CI of the median difference is the
    percentile interval of ``resamples`` differences of medians, each side resampled
    independently from ``numpy.random.default_rng(seed)`` (the before side first): plainly up to
    :data:`RESAMPLE_MAX_N` values per side, above that by drawing each resample's median from its
    exact order-statistic distribution (same distribution, O(resamples) after one sort).
    The test is ``scipy.stats.mannwhitneyu(before, after, alternative="two-sided",
    method="auto")`` (exact for small samples without ties, else normal with tie and continuity
    corrections).
    """
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must lie strictly between 0 and 1, not {confidence}")
    if resamples < 1:
        raise ConfigError(f"resamples must be at least 1, not {resamples}")
    b = np.sort(_clean(before, "before"))
    a = np.sort(_clean(after, "after"))
    n_b, n_a = int(b.size), int(a.size)
    med_b = _median_of_sorted(b) if n_b else None
    med_a = _median_of_sorted(a) if n_a else None
    diff = med_a - med_b if med_a is not None and med_b is not None else None
    ci_low: float | None = None
    ci_high: float | None = None
    u: float | None = None
    p: float | None = None
    effect: float | None = None
    method: CiMethod | None = None
    verdict = Verdict.INSUFFICIENT
    if n_b >= MIN_SAMPLE_SIZE and n_a >= MIN_SAMPLE_SIZE:
        u, p = _mann_whitney(b, a)
        effect = 1.0 - 2.0 * u / (n_b * n_a)
        method = "resample" if max(n_b, n_a) <= RESAMPLE_MAX_N else "order-statistic"
        rng = np.random.default_rng(seed)
        medians_b = _bootstrap_medians(b, rng, resamples, method)  # the before side first
        diffs = _bootstrap_medians(a, rng, resamples, method) - medians_b
        alpha = 1.0 - confidence
        ci_low, ci_high = (float(q) for q in np.quantile(diffs, [alpha / 2, 1.0 - alpha / 2]))
        if p < alpha and (ci_high < 0 or ci_low > 0):
            verdict = Verdict.FASTER if ci_high < 0 else Verdict.SLOWER
        else:
            verdict = Verdict.NO_CHANGE
    return SampleComparison(
        n_before=n_b,
        n_after=n_a,
        mean_before=float(b.mean()) if n_b else None,
        mean_after=float(a.mean()) if n_a else None,
        median_before=med_b,
        median_after=med_a,
        median_difference=diff,
        relative_change=diff / med_b if diff is not None and med_b else None,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=confidence,
        resamples=resamples,
        ci_method=method,
        u_statistic=u,
        p_value=p,
        effect_size=effect,
        verdict=verdict,
    )


def _mann_whitney(before: FloatArray, after: FloatArray) -> tuple[float, float]:
    """U of ``before`` and the two-sided p-value (1 when no value differs from another)."""
    from scipy.stats import mannwhitneyu

    test = mannwhitneyu(before, after, alternative="two-sided", method="auto")
    p = float(test.pvalue)
    return float(test.statistic), 1.0 if math.isnan(p) else p


# --------------------------------------------------------------------------------------------
# two slices of one event log


@dataclass(frozen=True, slots=True)
class SliceSummary:
    """One slice of the log: its cases, activity instances and first / last instants."""

    cases: int
    activity_instances: int
    first: datetime
    last: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "activity_instances": self.activity_instances,
            "first": self.first.isoformat().replace("+00:00", "Z"),
            "last": self.last.isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True, slots=True)
class ActivitySlice:
    """One activity in one slice.

    ``cases``: cases containing it; ``share`` = cases / the slice's cases; ``rework_cases``:
    cases with more than one instance of it; ``rework_rate`` = rework_cases / cases (``None``
    when it does not occur in the slice).
    """

    instances: int
    cases: int
    rework_cases: int
    share: float
    rework_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instances": self.instances,
            "cases": self.cases,
            "rework_cases": self.rework_cases,
            "share": self.share,
            "rework_rate": self.rework_rate,
        }


@dataclass(frozen=True, slots=True)
class ActivityComparison:
    """One activity, before and after.

    ``service``: service times (end − start of its instances; interval logs only);
    ``waiting``: waiting times (the incoming edge duration of each instance that has a
    predecessor in its case, as in ``activities[].waiting_s``). Each is ``None`` unless both
    slices have such values (and then its verdict may still be ``INSUFFICIENT``).
    """

    activity: str
    before: ActivitySlice
    after: ActivitySlice
    service: SampleComparison | None
    waiting: SampleComparison | None

    @property
    def share_change(self) -> float:
        """after.share − before.share (in shares, not percentage points)."""
        return self.after.share - self.before.share

    @property
    def rework_rate_change(self) -> float | None:
        """after.rework_rate − before.rework_rate, ``None`` unless both sides have the activity."""
        if self.before.rework_rate is None or self.after.rework_rate is None:
            return None
        return self.after.rework_rate - self.before.rework_rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "share_change": self.share_change,
            "rework_rate_change": self.rework_rate_change,
            "service_s": None if self.service is None else self.service.to_dict(),
            "waiting_s": None if self.waiting is None else self.waiting.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class LogComparison:
    """Two slices of one event log compared (see :func:`compare_logs`).

    ``activities`` holds every activity that occurs in either slice, by instances in both slices
    descending, then name.
    """

    lifecycle: Literal["atomic", "interval"]
    before: SliceSummary
    after: SliceSummary
    case_duration: SampleComparison
    activities: tuple[ActivityComparison, ...]

    def activity(self, name: str) -> ActivityComparison:
        """The comparison of one activity (``KeyError`` when it occurs in neither slice)."""
        for a in self.activities:
            if a.activity == name:
                return a
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lifecycle": self.lifecycle,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "case_duration_s": self.case_duration.to_dict(),
            "activities": [a.to_dict() for a in self.activities],
        }


@dataclass(frozen=True, slots=True)
class _Slice:
    summary: SliceSummary
    case_durations: FloatArray  # seconds, one per case
    counts: dict[int, tuple[int, int, int]]  # code -> (instances, cases, rework cases)
    service: dict[int, FloatArray]  # code -> seconds (interval logs only)
    waiting: dict[int, FloatArray]  # code -> seconds (instances with a predecessor)


def _by_code(codes: npt.NDArray[np.integer], values: FloatArray, n: int) -> dict[int, FloatArray]:
    """Split ``values`` by activity code (one stable radix sort; no loop over the values)."""
    if codes.size == 0:
        return {}
    order = np.argsort(codes.astype(np.uint16) if n <= 65536 else codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n + 1))
    ordered = values[order]
    return {c: ordered[bounds[c] : bounds[c + 1]] for c in range(n) if bounds[c + 1] > bounds[c]}


def _slice(log: EventLog, filters: list[Filter], side: str) -> _Slice:
    """The raw arrays of one slice, computed exactly as the fast engine computes them.

    The filtered events are sorted once in DuckDB by case, start, end and row
    (:func:`opslens.core.mining.fast._sorted_instances`, the engine's own sort); case durations,
    service times, waiting times (the incoming edge max(b.start, a.end) − a.end) and the
    per-activity counts are then vectorised NumPy passes over the sorted arrays.
    """
    from opslens.core.mining.fast import _activity_enum, _cases_per_activity, _sorted_instances

    con = log.con
    names = list(log.activity_names)
    n_act = len(names)
    atomic = log.lifecycle == "atomic"
    relation = log.relation
    rows: int | None = log.activity_instances
    if filters:
        import ibis

        from opslens.core.mining.filters import apply_filters

        expr = apply_filters(log.table, filters)
        relation, rows = f"({ibis.to_sql(expr, dialect='duckdb')}) AS __filtered", None
    _activity_enum(con, names)
    try:
        got = _sorted_instances(
            con, relation, atomic=atomic, exact=False, rows=rows
        ) or _sorted_instances(con, relation, atomic=atomic, exact=True, rows=rows)
    except InsufficientDataError:
        raise EmptySliceError(side) from None
    assert got is not None
    act, s, t, new_case = got
    starts = np.flatnonzero(new_case)
    case_first = s[starts]  # sorted by start within a case
    case_last = np.maximum.reduceat(t, starts)
    durations = (case_last - case_first) / _US
    case_idx = np.cumsum(new_case, dtype=np.int32) - 1
    counts = _cases_per_activity(act, case_idx, n_act)

    follows = ~new_case[1:]  # row i + 1 has a predecessor in its case
    prev_end = t[:-1][follows]
    waiting_us = np.maximum(s[1:][follows], prev_end) - prev_end
    waiting = _by_code(act[1:][follows], waiting_us / _US, n_act)
    service = {} if atomic else _by_code(act, (t - s) / _US, n_act)
    summary = SliceSummary(
        cases=int(starts.size),
        activity_instances=int(act.size),
        first=datetime.fromtimestamp(int(case_first.min()) / _US, tz=UTC),
        last=datetime.fromtimestamp(int(case_last.max()) / _US, tz=UTC),
    )
    return _Slice(summary, durations, counts, service, waiting)


def _activity_slice(counts: tuple[int, int, int] | None, cases: int) -> ActivitySlice:
    instances, with_it, rework = counts or (0, 0, 0)
    return ActivitySlice(
        instances=instances,
        cases=with_it,
        rework_cases=rework,
        share=with_it / cases if cases else 0.0,
        rework_rate=rework / with_it if with_it else None,
    )


def compare_logs(
    log: EventLog,
    *,
    before: Iterable[Filter],
    after: Iterable[Filter],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int | None = 0,
) -> LogComparison:
    """Compare two slices of ``log``, each cut out by a list of filters applied in order.

    For example ``before=[TimeRangeFilter(end=pilot, mode="started")]`` and
    ``after=[TimeRangeFilter(start=pilot, mode="started")]``. The definitions are the analysis
    contract's (``docs/analysis.md``): case duration = max(end) − min(start) per case; service
    time = end − start of an instance (interval logs only); waiting time = the incoming edge
    duration max(b.start, a.end) − a.end of each instance with a predecessor; rework cases =
    cases with more than one instance of the activity. The case durations, and per activity the
    service and waiting times where both slices have some, are compared with
    :func:`compare_samples` (``confidence``, ``resamples`` and ``seed`` are handed to it).

    Raises :class:`~opslens.core.errors.EmptySliceError` (an ``InsufficientDataError`` naming
    the side) when a slice holds no events.
    The two slices may overlap; each is analysed on its own.
    """
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must lie strictly between 0 and 1, not {confidence}")
    first = _slice(log, list(before), "before")
    second = _slice(log, list(after), "after")
    names = log.activity_names

    def cmp(b: FloatArray, a: FloatArray) -> SampleComparison:
        return compare_samples(b, a, confidence=confidence, resamples=resamples, seed=seed)

    activities = []
    for code in set(first.counts) | set(second.counts):
        service = waiting = None
        if code in first.service and code in second.service:
            service = cmp(first.service[code], second.service[code])
        if code in first.waiting and code in second.waiting:
            waiting = cmp(first.waiting[code], second.waiting[code])
        activities.append(
            ActivityComparison(
                activity=names[code],
                before=_activity_slice(first.counts.get(code), first.summary.cases),
                after=_activity_slice(second.counts.get(code), second.summary.cases),
                service=service,
                waiting=waiting,
            )
        )
    activities.sort(key=lambda a: (-(a.before.instances + a.after.instances), a.activity))
    return LogComparison(
        lifecycle=log.lifecycle,
        before=first.summary,
        after=second.summary,
        case_duration=cmp(first.case_durations, second.case_durations),
        activities=tuple(activities),
    )
