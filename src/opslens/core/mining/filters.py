"""Filters over the canonical events, as Ibis expressions (so every engine and backend shares them).

Each filter is a frozen dataclass with an ``apply(table) -> table`` method; :func:`apply_filters`
applies several in order. Case-level filters keep or drop whole cases; ``TimeRangeFilter`` in
``"trim"`` mode keeps only the events inside the range.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from opslens.core.errors import ConfigError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "ActivityFilter",
    "AttributeFilter",
    "CaseDurationFilter",
    "Filter",
    "TimeRangeFilter",
    "VariantFilter",
    "apply_filters",
]


class Filter(Protocol):
    def apply(self, table: ir.Table) -> ir.Table: ...


def _case_ids(table: ir.Table, predicate: ir.BooleanColumn) -> ir.Table:
    return table.filter(predicate).select("case_id").distinct()


def _keep_cases(table: ir.Table, cases: ir.Table, keep: bool) -> ir.Table:
    if keep:
        return table.semi_join(cases, "case_id")
    return table.anti_join(cases, "case_id")


@dataclass(frozen=True, slots=True)
class TimeRangeFilter:
    """Cases (or events) by time. ``mode``:

    - ``"intersecting"``: cases with any activity between ``start`` and ``end``;
    - ``"contained"``: cases that start and end inside the range;
    - ``"started"``: cases that start inside the range;
    - ``"trim"``: only the events that lie inside the range.
    Either bound may be ``None`` (open). Bounds must be time-zone aware.
    """

    start: datetime | None = None
    end: datetime | None = None
    mode: Literal["intersecting", "contained", "started", "trim"] = "intersecting"

    def __post_init__(self) -> None:
        for bound in (self.start, self.end):
            if bound is not None and bound.tzinfo is None:
                raise ConfigError(
                    "time-range bounds need a time zone (e.g. 2024-06-01T00:00+08:00)"
                )
        if self.start and self.end and self.start > self.end:
            raise ConfigError("the time range starts after it ends")

    def apply(self, table: ir.Table) -> ir.Table:
        import ibis

        lo = ibis.literal(self.start) if self.start else None
        hi = ibis.literal(self.end) if self.end else None
        if self.mode == "trim":
            pred = ibis.literal(True)
            if lo is not None:
                pred &= table.start >= lo
            if hi is not None:
                pred &= table.end <= hi
            return table.filter(pred)
        bounds = table.group_by("case_id").aggregate(
            first_=table.start.min(), last_=table.end.max()
        )
        pred = ibis.literal(True)
        if self.mode == "intersecting":
            if lo is not None:
                pred &= bounds.last_ >= lo
            if hi is not None:
                pred &= bounds.first_ <= hi
        elif self.mode == "contained":
            if lo is not None:
                pred &= bounds.first_ >= lo
            if hi is not None:
                pred &= bounds.last_ <= hi
        elif self.mode == "started":
            if lo is not None:
                pred &= bounds.first_ >= lo
            if hi is not None:
                pred &= bounds.first_ <= hi
        else:
            raise ConfigError(f"unknown time-range mode {self.mode!r}")
        return table.semi_join(bounds.filter(pred).select("case_id"), "case_id")


@dataclass(frozen=True, slots=True)
class VariantFilter:
    """Keep (or drop) the cases whose activity sequence is one of ``variants``."""

    variants: Sequence[Sequence[str]]
    keep: bool = True

    def apply(self, table: ir.Table) -> ir.Table:
        import ibis

        seqs = table.group_by("case_id").aggregate(
            seq_=table.activity.collect(order_by=[table.start, table.end, table.row])
        )
        wanted = [ibis.literal(list(v), type="array<string>") for v in self.variants]
        if not wanted:
            return table if not self.keep else table.filter(ibis.literal(False))
        pred = ibis.or_(*[seqs.seq_ == w for w in wanted])
        return _keep_cases(table, seqs.filter(pred).select("case_id"), self.keep)


@dataclass(frozen=True, slots=True)
class AttributeFilter:
    """Cases with an event whose ``column`` is in ``values`` (``level="case"``), or only those
    events (``level="event"``); ``keep=False`` inverts."""

    column: str
    values: Iterable[str | int | float | bool]
    keep: bool = True
    level: Literal["case", "event"] = "case"

    def apply(self, table: ir.Table) -> ir.Table:
        if self.column not in table.columns:
            raise ConfigError(
                f"no column {self.column!r} to filter on (columns: {', '.join(table.columns)})"
            )
        values = list(self.values)
        col = table[self.column]
        pred = col.isin(values) if values else col.isnull() & col.notnull()
        if self.level == "event":
            return table.filter(pred if self.keep else ~pred | col.isnull())
        return _keep_cases(table, _case_ids(table, pred), self.keep)


@dataclass(frozen=True, slots=True)
class CaseDurationFilter:
    """Cases whose duration (last end − first start) lies in [min_s, max_s] seconds."""

    min_s: float | None = None
    max_s: float | None = None

    def apply(self, table: ir.Table) -> ir.Table:
        import ibis

        bounds = table.group_by("case_id").aggregate(
            d_=table.end.max().delta(table.start.min(), unit="microsecond")
        )
        pred = ibis.literal(True)
        if self.min_s is not None:
            pred &= bounds.d_ >= round(self.min_s * 1_000_000)
        if self.max_s is not None:
            pred &= bounds.d_ <= round(self.max_s * 1_000_000)
        return table.semi_join(bounds.filter(pred).select("case_id"), "case_id")


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """Cases in which ``activity`` occurs (``present=True``) or never occurs."""

    activity: str
    present: bool = True

    def apply(self, table: ir.Table) -> ir.Table:
        return _keep_cases(table, _case_ids(table, table.activity == self.activity), self.present)


def apply_filters(table: ir.Table, filters: Iterable[Filter]) -> ir.Table:
    for f in filters:
        table = f.apply(table)
    return table
