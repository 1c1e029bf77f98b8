"""What both engines hand over, and the one place where it becomes an :class:`AnalysisResult`.

The fast (DuckDB + NumPy) and the portable (Ibis) engines compute the same raw aggregates —
per edge, per activity, per case, per variant — into :class:`Aggregates`; everything derived from
them (shares, bottleneck ranking, variant order, histogram, percentiles) is computed here once,
so the two engines cannot drift apart in the derived figures.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from opslens.core.mining.results import (
    ActivityStats,
    AnalysisResult,
    Bottleneck,
    CaseDurationStats,
    DfgEdge,
    DurationStats,
    Histogram,
    LogSummary,
    Variant,
    VariantSummary,
)

StatsRow = tuple[int, float, float, float, float, float, float | None]
"""count, mean, median, min, max, sum, stdev (seconds)."""

HISTOGRAM_BINS = 30


@dataclass(frozen=True, slots=True)
class Aggregates:
    activity_names: Sequence[str]  # index = activity code; sorted by name
    instances: int
    edges: Sequence[tuple[int, int, StatsRow]]  # (source code, target code, stats)
    start_counts: dict[int, int]
    end_counts: dict[int, int]
    per_activity: dict[int, tuple[int, int, int]]  # code -> (instances, cases, rework cases)
    service: dict[int, StatsRow]  # code -> service stats (interval logs only)
    waiting: dict[int, StatsRow]  # code -> waiting stats (instances with a predecessor)
    case_durations: npt.NDArray[np.float64]  # seconds, one per case
    variant_cases: npt.NDArray[np.int64]  # one entry per variant
    variant_mean: npt.NDArray[np.float64]  # seconds
    variant_median: npt.NDArray[np.float64]
    variant_key: npt.NDArray[np.int64]  # handed to variant_sequence
    variant_sequence: Callable[[int], tuple[int, ...]]  # key -> activity codes
    first: datetime | None
    last: datetime | None


def _stats(row: StatsRow) -> DurationStats:
    count, mean, median, mn, mx, total, stdev = row
    return DurationStats(
        count=int(count),
        mean=float(mean),
        median=float(median),
        min=float(mn),
        max=float(mx),
        sum=float(total),
        stdev=None if count < 2 or stdev is None else float(stdev),
    )


def stats_of(values: npt.NDArray[np.float64]) -> StatsRow:
    """Stats of a non-empty array the way the contract defines them (sample stdev)."""
    n = int(values.size)
    std = float(np.std(values, ddof=1)) if n >= 2 else None
    return (
        n,
        float(values.mean()),
        float(np.median(values)),
        float(values.min()),
        float(values.max()),
        float(values.sum()),
        std,
    )


def _histogram(durations: npt.NDArray[np.float64]) -> Histogram:
    if durations.size == 0:
        return Histogram(edges=(), counts=())
    lo, hi = float(durations.min()), float(durations.max())
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(durations, bins=HISTOGRAM_BINS, range=(lo, hi))
    return Histogram(edges=tuple(float(e) for e in edges), counts=tuple(int(c) for c in counts))


def _top_variants(agg: Aggregates, n_cases: int, top: int) -> tuple[Variant, ...]:
    """Top ``top`` variants by cases descending, ties by the activity sequence element-wise.

    Codes are assigned in name order, so comparing code tuples compares the names. Variants
    above the top-th count are in for sure; among those tied at it, the smallest sequences win,
    and only the tied ones have their sequences built.
    """
    counts = agg.variant_cases
    if top <= 0 or counts.size == 0:
        return ()
    if counts.size > top:
        threshold = int(np.partition(counts, counts.size - top)[counts.size - top])
        sure = np.flatnonzero(counts > threshold)
        tied = np.flatnonzero(counts == threshold)
        seq = agg.variant_sequence
        keys = agg.variant_key
        best_tied = heapq.nsmallest(top - sure.size, tied.tolist(), key=lambda i: seq(int(keys[i])))
        chosen = [*sure.tolist(), *best_tied]
    else:
        chosen = list(range(counts.size))
    ranked = sorted(
        ((-int(counts[i]), agg.variant_sequence(int(agg.variant_key[i])), i) for i in chosen),
        key=lambda x: (x[0], x[1]),
    )
    names = agg.activity_names
    return tuple(
        Variant(
            activities=tuple(names[c] for c in sequence),
            cases=-neg,
            share=-neg / n_cases,
            duration_mean=float(agg.variant_mean[i]),
            duration_median=float(agg.variant_median[i]),
        )
        for neg, sequence, i in ranked
    )


def assemble(
    agg: Aggregates,
    *,
    lifecycle: Literal["atomic", "interval"],
    events: int,
    rejected_rows: int,
    open_instances: int,
    top_variants: int,
    source: str | None,
) -> AnalysisResult:
    names = agg.activity_names
    durations = agg.case_durations
    n_cases = int(durations.size)
    total_case_time = float(durations.sum()) if n_cases else 0.0

    def share(x: float) -> float:
        return x / total_case_time if total_case_time > 0 else 0.0

    dfg = tuple(
        sorted(
            (DfgEdge(names[s], names[t], int(st[0]), _stats(st)) for s, t, st in agg.edges),
            key=lambda e: (-e.frequency, e.source, e.target),
        )
    )
    activities: list[ActivityStats] = []
    for code in sorted(agg.per_activity, key=lambda c: names[c]):
        inst, cases, rework = agg.per_activity[code]
        service = (
            _stats(agg.service[code]) if lifecycle == "interval" and code in agg.service else None
        )
        waiting = _stats(agg.waiting[code]) if code in agg.waiting else None
        total = (service.sum if service else 0.0) + (waiting.sum if waiting else 0.0)
        activities.append(
            ActivityStats(names[code], inst, cases, rework, service, waiting, share(total))
        )
    activities.sort(key=lambda a: (-a.instances, a.activity))

    bottlenecks: list[Bottleneck] = []
    for a in activities:
        if a.total_s > 0:
            bottlenecks.append(
                Bottleneck(
                    "activity", a.activity, a.total_s, share(a.total_s), a.total_s / a.instances
                )
            )
    for e in dfg:
        if e.duration.sum > 0:
            bottlenecks.append(
                Bottleneck(
                    "transition",
                    f"{e.source} → {e.target}",
                    e.duration.sum,
                    share(e.duration.sum),
                    e.duration.mean,
                )
            )
    bottlenecks.sort(key=lambda b: (-b.total_s, b.kind, b.name))

    case_duration = None
    if n_cases:
        case_duration = CaseDurationStats(
            stats=_stats(stats_of(durations)), p90=float(np.percentile(durations, 90))
        )
    return AnalysisResult(
        log=LogSummary(
            events=events,
            activity_instances=agg.instances,
            cases=n_cases,
            activities=len(agg.per_activity),
            lifecycle=lifecycle,
            first=agg.first,
            last=agg.last,
            rejected_rows=rejected_rows,
            open_instances=open_instances,
        ),
        dfg=dfg,
        start_activities={
            names[c]: n
            for c, n in sorted(agg.start_counts.items(), key=lambda kv: (-kv[1], names[kv[0]]))
        },
        end_activities={
            names[c]: n
            for c, n in sorted(agg.end_counts.items(), key=lambda kv: (-kv[1], names[kv[0]]))
        },
        activities=tuple(activities),
        case_duration=case_duration,
        case_duration_histogram=_histogram(durations),
        variants=VariantSummary(
            count=int(agg.variant_cases.size), top=_top_variants(agg, n_cases, top_variants)
        ),
        rework_cases={
            a.activity: a.rework_cases
            for a in sorted(activities, key=lambda a: (-a.rework_cases, a.activity))
            if a.rework_cases > 0
        },
        bottlenecks=tuple(bottlenecks),
        source=source,
    )
