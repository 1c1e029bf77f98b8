"""Frozen result types of the analysis and their JSON rendering (``opslens.analysis/1``).

Every figure the engine computes lands in one of these dataclasses; JSON, Rich tables and the
HTML report are renderings of them. Durations are in seconds (float).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "SCHEMA",
    "ActivityStats",
    "AnalysisResult",
    "Bottleneck",
    "CaseDurationStats",
    "DfgEdge",
    "DurationStats",
    "Histogram",
    "LogSummary",
    "Variant",
    "VariantSummary",
]

SCHEMA = "opslens.analysis/1"


def _num(value: float | None) -> float | None:
    """JSON-safe float: NaN and infinities become ``None``; integral floats stay floats."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Statistics of a set of durations in seconds; ``stdev`` is the sample one (n−1)."""

    count: int
    mean: float
    median: float
    min: float
    max: float
    sum: float
    stdev: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "mean": _num(self.mean),
            "median": _num(self.median),
            "min": _num(self.min),
            "max": _num(self.max),
            "sum": _num(self.sum),
            "stdev": _num(self.stdev),
        }


@dataclass(frozen=True, slots=True)
class CaseDurationStats:
    """Case-duration statistics (seconds) with the 90th percentile (linear interpolation)."""

    stats: DurationStats
    p90: float

    def to_dict(self) -> dict[str, float | None]:
        out = self.stats.to_dict()
        out["p90"] = _num(self.p90)
        return out


@dataclass(frozen=True, slots=True)
class Histogram:
    """Equal-width histogram: ``edges`` has one more element than ``counts``."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]

    def to_dict(self) -> dict[str, list[float] | list[int]]:
        return {"edges": list(self.edges), "counts": list(self.counts)}


@dataclass(frozen=True, slots=True)
class LogSummary:
    events: int
    activity_instances: int
    cases: int
    activities: int
    lifecycle: Literal["atomic", "interval"]
    first: datetime | None
    last: datetime | None
    rejected_rows: int
    open_instances: int = 0

    def to_dict(self) -> dict[str, Any]:
        def iso(ts: datetime | None) -> str | None:
            if ts is None:
                return None
            return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")

        return {
            "events": self.events,
            "activity_instances": self.activity_instances,
            "cases": self.cases,
            "activities": self.activities,
            "lifecycle": self.lifecycle,
            "first": iso(self.first),
            "last": iso(self.last),
            "rejected_rows": self.rejected_rows,
            "open_instances": self.open_instances,
        }


@dataclass(frozen=True, slots=True)
class DfgEdge:
    source: str
    target: str
    frequency: int
    duration: DurationStats

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "frequency": self.frequency,
            "duration_s": self.duration.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class ActivityStats:
    """Per activity: instances, cases, rework cases, service and waiting time, share of time.

    ``waiting`` covers the instances that have a predecessor in their case (time from the
    predecessor's end to this instance's start, never negative); ``service`` is ``None`` for
    atomic logs, where no activity has a duration. ``share_of_time`` is (waiting + service) of all
    instances over the sum of all case durations.
    """

    activity: str
    instances: int
    cases: int
    rework_cases: int
    service: DurationStats | None
    waiting: DurationStats | None
    share_of_time: float

    @property
    def total_s(self) -> float:
        return (self.service.sum if self.service else 0.0) + (
            self.waiting.sum if self.waiting else 0.0
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "instances": self.instances,
            "cases": self.cases,
            "rework_cases": self.rework_cases,
            "service_s": self.service.to_dict() if self.service else None,
            "waiting_s": self.waiting.to_dict() if self.waiting else None,
            "share_of_time": _num(self.share_of_time),
        }


@dataclass(frozen=True, slots=True)
class Variant:
    activities: tuple[str, ...]
    cases: int
    share: float
    duration_mean: float
    duration_median: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "activities": list(self.activities),
            "cases": self.cases,
            "share": _num(self.share),
            "duration_s": {"mean": _num(self.duration_mean), "median": _num(self.duration_median)},
        }


@dataclass(frozen=True, slots=True)
class VariantSummary:
    count: int
    top: tuple[Variant, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "top": [v.to_dict() for v in self.top]}


@dataclass(frozen=True, slots=True)
class Bottleneck:
    """One place where time goes: an activity (its waiting + service) or a transition."""

    kind: Literal["activity", "transition"]
    name: str
    total_s: float
    share_of_time: float
    mean_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "total_s": _num(self.total_s),
            "share_of_time": _num(self.share_of_time),
            "mean_s": _num(self.mean_s),
        }


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """Everything ``opslens analyze`` reports about one (filtered) event log."""

    log: LogSummary
    dfg: tuple[DfgEdge, ...]
    start_activities: Mapping[str, int]
    end_activities: Mapping[str, int]
    activities: tuple[ActivityStats, ...]
    case_duration: CaseDurationStats | None
    case_duration_histogram: Histogram
    variants: VariantSummary
    rework_cases: Mapping[str, int]
    bottlenecks: tuple[Bottleneck, ...]
    source: str | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "source": self.source,
            "log": self.log.to_dict(),
            "dfg": [e.to_dict() for e in self.dfg],
            "start_activities": dict(self.start_activities),
            "end_activities": dict(self.end_activities),
            "activities": [a.to_dict() for a in self.activities],
            "case_duration_s": self.case_duration.to_dict() if self.case_duration else None,
            "case_duration_histogram": self.case_duration_histogram.to_dict(),
            "variants": self.variants.to_dict(),
            "rework_cases": dict(self.rework_cases),
            "bottlenecks": [b.to_dict() for b in self.bottlenecks],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
