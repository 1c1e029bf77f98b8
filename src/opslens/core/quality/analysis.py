"""The month's quality analysis (月度质量分析): Pareto, levels, repeat offenders, closing.

:func:`analyze_month` takes the inspections (any months; those whose inspection day falls in the
month are analysed) and gives a :class:`QualityMonth`:

* Pareto of problem types and of service stages (:func:`rank_pareto`): count, share and
  cumulative share, the most frequent first, ties by name; the *vital few* are the smallest
  head of the list whose cumulative share reaches 80 % — an item is vital when the share
  *before* it is below 80 %, so the first item always is.
* Counts by level, every :class:`Severity` present (zero included), MINOR first.
* Repeat offenders — one rule, within the month: a responsible person (by department and name)
  or a department with two or more problems found in the month. Persons are told apart by their
  department, since names such as ``*经理`` repeat across departments.
* Closing, as of a day (default: the month's last day): the problems closed by then and their
  average days from ``found_on`` to ``closed_on``; those still open, and those open past their
  deadline (the inspection's own, else :func:`default_deadline`).
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal
from enum import StrEnum
from types import MappingProxyType

from opslens.core.errors import ConfigError, InputError
from opslens.core.quality.rectification import RectificationStatus, default_deadline, is_overdue
from opslens.core.quality.severity import Severity

__all__ = [
    "DEFAULT_VITAL_SHARE",
    "Inspection",
    "InspectionMethod",
    "OffenderKind",
    "ParetoItem",
    "QualityMonth",
    "RepeatOffender",
    "analyze_month",
    "rank_pareto",
]

#: The vital few reach 80 % of all problems.
DEFAULT_VITAL_SHARE = Decimal("0.8")
_REPEAT_THRESHOLD = 2
_CTX = Context(prec=28)
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class InspectionMethod(StrEnum):
    """The seed's inspection methods (检查方式); :attr:`Inspection.method` may be any text."""

    MYSTERY_SHOPPER = "mystery_shopper"  # 神秘顾客检查
    SPOT_CHECK = "spot_check"  # 现场抽查
    SYSTEM_MONITORING = "system_monitoring"  # 系统数据监控
    SATISFACTION_SURVEY = "satisfaction_survey"  # 客户满意度调研


@dataclass(frozen=True, slots=True)
class Inspection:
    """One problem found by an inspection, as the monthly analysis needs it.

    ``key`` identifies it to the caller; ``day`` is the inspection date (it places the problem in
    a month), ``found_on`` the day the problem was found (the clock of its rectification),
    ``closed_on`` the day it was closed (``None`` while open) and ``deadline`` its rectification
    deadline (``None``: the level's default). ``severity`` is the recorded grade. A ``closed_on``
    before ``found_on`` raises :class:`InputError`.
    """

    key: str
    day: date
    stage: str
    method: str
    problem_type: str
    severity: Severity
    responsible: str
    department: str
    found_on: date
    closed_on: date | None
    deadline: date | None = None

    def __post_init__(self) -> None:
        if self.closed_on is not None and self.closed_on < self.found_on:
            raise InputError(
                f"inspection {self.key}: closed on {self.closed_on} before it was found on "
                f"{self.found_on}",
                column="closed_on",
                value=self.closed_on,
            )


@dataclass(frozen=True, slots=True)
class ParetoItem:
    """One bar of a Pareto chart: its count, share and cumulative share (fractions, 0.4 = 40 %)
    and whether it is one of the vital few."""

    name: str
    count: int
    share: Decimal
    cumulative_share: Decimal
    vital: bool


class OffenderKind(StrEnum):
    """Whether a repeat offender is a responsible person or a department."""

    PERSON = "person"  # 责任人
    DEPARTMENT = "department"  # 责任部门


@dataclass(frozen=True, slots=True)
class RepeatOffender:
    """A person or department with two or more problems in the month.

    ``responsible`` is empty for a department. ``keys`` are the inspections in the order of
    their day, ``problem_types`` the distinct types in name order.
    """

    kind: OffenderKind
    department: str
    responsible: str
    problems: int
    keys: tuple[str, ...]
    problem_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QualityMonth:
    """The month's quality analysis; see the module docstring for the rules.

    ``average_days_to_close`` is ``None`` when nothing was closed by ``as_of``;
    ``overdue_keys`` name the open problems past their deadline, earliest deadline first.
    """

    month: str
    as_of: date
    inspections: int
    problem_types: tuple[ParetoItem, ...]
    stages: tuple[ParetoItem, ...]
    by_severity: Mapping[Severity, int]
    repeat_offenders: tuple[RepeatOffender, ...]
    closed: int
    average_days_to_close: Decimal | None
    open: int
    overdue: int
    overdue_keys: tuple[str, ...]


def rank_pareto(
    names: Iterable[str], vital_share: Decimal = DEFAULT_VITAL_SHARE
) -> tuple[ParetoItem, ...]:
    """The Pareto ranking of ``names`` (one per problem; blanks stripped, kept as ``""``).

    Ordered by count descending, ties by name; shares are count / total and the cumulative
    share is the running count / total, so the last is exactly 1. An item is vital while the
    cumulative share before it is below ``vital_share`` (a fraction in (0, 1], else
    :class:`ConfigError`).
    """
    if not isinstance(vital_share, Decimal) or not 0 < vital_share <= 1:
        raise ConfigError(f"the vital share must be a fraction in (0, 1], not {vital_share!r}")
    counts = Counter(name.strip() for name in names)
    total = sum(counts.values())
    items: list[ParetoItem] = []
    running = 0
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        before = _CTX.divide(Decimal(running), Decimal(total))
        running += count
        items.append(
            ParetoItem(
                name=name,
                count=count,
                share=_CTX.divide(Decimal(count), Decimal(total)),
                cumulative_share=_CTX.divide(Decimal(running), Decimal(total)),
                vital=before < vital_share,
            )
        )
    return tuple(items)


def _month_bounds(month: str) -> tuple[date, date]:
    match = _MONTH.fullmatch(month.strip()) if isinstance(month, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
        raise InputError("a month must be written YYYY-MM, e.g. 2024-06", value=month)
    year, number = int(match[1]), int(match[2])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def _offenders(inspections: list[Inspection]) -> tuple[RepeatOffender, ...]:
    groups: dict[tuple[OffenderKind, str, str], list[Inspection]] = {}
    for item in inspections:
        department, person = item.department.strip(), item.responsible.strip()
        if person:
            groups.setdefault((OffenderKind.PERSON, department, person), []).append(item)
        if department:
            groups.setdefault((OffenderKind.DEPARTMENT, department, ""), []).append(item)
    offenders = [
        RepeatOffender(
            kind=kind,
            department=department,
            responsible=person,
            problems=len(items),
            keys=tuple(i.key for i in items),
            problem_types=tuple(sorted({i.problem_type.strip() for i in items})),
        )
        for (kind, department, person), items in groups.items()
        if len(items) >= _REPEAT_THRESHOLD
    ]
    kind_order = {OffenderKind.PERSON: 0, OffenderKind.DEPARTMENT: 1}
    offenders.sort(key=lambda o: (-o.problems, kind_order[o.kind], o.department, o.responsible))
    return tuple(offenders)


def analyze_month(
    inspections: Iterable[Inspection],
    month: str,
    *,
    as_of: date | None = None,
    vital_share: Decimal = DEFAULT_VITAL_SHARE,
    deadline_days: Mapping[Severity, int] | None = None,
) -> QualityMonth:
    """Analyse the problems found in ``month`` (``YYYY-MM``; else :class:`InputError`).

    ``as_of`` (default: the month's last day, so that a past month's report does not change)
    is the day of the report: only problems inspected by then count, and a problem counts as
    closed when ``closed_on`` is on or before it, else as open, and as overdue when open past
    its deadline. It may be after the month (a late report) but not before the month starts
    (:class:`ConfigError`). ``vital_share`` is passed to :func:`rank_pareto`, ``deadline_days``
    to :func:`default_deadline` for problems without their own deadline. A month without
    problems gives empty rankings, zero counts and no average.
    """
    first, last = _month_bounds(month)
    as_of = last if as_of is None else as_of
    if as_of < first:
        raise ConfigError(f"the analysis day {as_of} is before the month {month} starts")
    until = min(last, as_of)
    chosen = sorted(
        (i for i in inspections if first <= i.day <= until), key=lambda i: (i.day, i.key)
    )

    by_severity = dict.fromkeys(Severity, 0)
    for item in chosen:
        by_severity[Severity(item.severity)] += 1

    closed_days = [
        (i.closed_on - i.found_on).days
        for i in chosen
        if i.closed_on is not None and i.closed_on <= as_of
    ]
    average = (
        _CTX.divide(Decimal(sum(closed_days)), Decimal(len(closed_days))) if closed_days else None
    )

    open_items = [i for i in chosen if i.closed_on is None or i.closed_on > as_of]
    overdue: list[tuple[date, str]] = []
    for item in open_items:
        deadline = item.deadline or default_deadline(item.found_on, item.severity, deadline_days)
        if is_overdue(deadline, RectificationStatus.IN_PROGRESS, as_of):
            overdue.append((deadline, item.key))
    overdue.sort()

    return QualityMonth(
        month=f"{first.year:04d}-{first.month:02d}",
        as_of=as_of,
        inspections=len(chosen),
        problem_types=rank_pareto((i.problem_type for i in chosen), vital_share),
        stages=rank_pareto((i.stage for i in chosen), vital_share),
        by_severity=MappingProxyType(by_severity),
        repeat_offenders=_offenders(chosen),
        closed=len(closed_days),
        average_days_to_close=average,
        open=len(open_items),
        overdue=len(overdue),
        overdue_keys=tuple(key for _, key in overdue),
    )
