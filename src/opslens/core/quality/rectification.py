"""Rectification (整改) by level and its closed loop: 发现 → 整改中 → 待复查 → 已关闭.

Handling by level (SPEC T4), as data: :func:`handling` gives the :class:`Measure` keys a level
calls for (the web translates them), :data:`RECTIFICATION_DAYS` the default number of calendar
days to fix it and :func:`requires_accountability` whether an accountability note (追责说明) is
needed to close.

=========  ====  =======================================================================
level      days  measures
=========  ====  =======================================================================
MINOR      1     verbal reminder — fixed the next day
GENERAL    3     整改单 (measure and deadline), supervised by the department head
SERIOUS    2     整改单 under the head, accountability, performance deduction, special
                 training, apology to the customer
MAJOR      1     as SERIOUS, the apology made in person
=========  ====  =======================================================================

The days are defaults the inspector may change. MINOR and GENERAL follow the SPEC ("fix next
day", "e.g. 3 days"); beyond GENERAL the graver the problem the sooner its first fix is due
(SERIOUS 2 days, MAJOR 1 day: the customer cannot wait for a standard 整改单 cycle). Longer work
that follows — the special training of the seed's MAJOR row, due after 5 days — gets an explicit
deadline.

The closed loop: :func:`next_statuses` lists the allowed moves (a failed recheck sends the item
back from 待复查 to 整改中); :func:`check_close` lists what still keeps an item from closing;
:func:`is_overdue` tells an open item past its deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from opslens.core.errors import ConfigError
from opslens.core.quality.severity import Severity
from opslens.core.quality.standards import ServiceStandard, meets_standard

__all__ = [
    "RECTIFICATION_DAYS",
    "CloseBlocker",
    "Handling",
    "Measure",
    "RectificationStatus",
    "check_close",
    "default_deadline",
    "handling",
    "is_overdue",
    "next_statuses",
    "requires_accountability",
]

#: Default calendar days from finding a problem to the rectification deadline, per level.
RECTIFICATION_DAYS: Mapping[Severity, int] = MappingProxyType(
    {Severity.MINOR: 1, Severity.GENERAL: 3, Severity.SERIOUS: 2, Severity.MAJOR: 1}
)


class Measure(StrEnum):
    """A handling measure of SPEC T4, as a key for the web to translate."""

    VERBAL_REMINDER = "verbal_reminder"  # 口头提醒
    RECTIFICATION_ORDER = "rectification_order"  # 整改单 (措施与期限)
    HEAD_SUPERVISION = "head_supervision"  # 部门负责人监督
    ACCOUNTABILITY = "accountability"  # 追责
    PERFORMANCE_DEDUCTION = "performance_deduction"  # 扣减绩效
    SPECIAL_TRAINING = "special_training"  # 专项培训
    CUSTOMER_APOLOGY = "customer_apology"  # 向客户致歉
    IN_PERSON_APOLOGY = "in_person_apology"  # 上门致歉


_SERIOUS_MEASURES = (
    Measure.RECTIFICATION_ORDER,
    Measure.HEAD_SUPERVISION,
    Measure.ACCOUNTABILITY,
    Measure.PERFORMANCE_DEDUCTION,
    Measure.SPECIAL_TRAINING,
)
_MEASURES: Mapping[Severity, tuple[Measure, ...]] = MappingProxyType(
    {
        Severity.MINOR: (Measure.VERBAL_REMINDER,),
        Severity.GENERAL: (Measure.RECTIFICATION_ORDER, Measure.HEAD_SUPERVISION),
        Severity.SERIOUS: (*_SERIOUS_MEASURES, Measure.CUSTOMER_APOLOGY),
        Severity.MAJOR: (*_SERIOUS_MEASURES, Measure.IN_PERSON_APOLOGY),
    }
)


@dataclass(frozen=True, slots=True)
class Handling:
    """How a level is handled: its measures, default days, and whether accountability is due."""

    severity: Severity
    measures: tuple[Measure, ...]
    days: int
    accountability: bool


def requires_accountability(severity: Severity) -> bool:
    """Whether closing a problem of this level needs an accountability note (SERIOUS, MAJOR)."""
    return Severity(severity).rank >= Severity.SERIOUS.rank


def handling(severity: Severity) -> Handling:
    """The measures, default days and accountability of a level (see the module's table)."""
    severity = Severity(severity)
    return Handling(
        severity=severity,
        measures=_MEASURES[severity],
        days=RECTIFICATION_DAYS[severity],
        accountability=requires_accountability(severity),
    )


def default_deadline(
    found_on: date, severity: Severity, days: Mapping[Severity, int] | None = None
) -> date:
    """The default deadline: ``found_on`` plus the level's days (calendar days).

    ``days`` replaces :data:`RECTIFICATION_DAYS` (a level it leaves out keeps its default); a
    count that is not a positive integer raises :class:`ConfigError`.
    """
    severity = Severity(severity)
    table = {**RECTIFICATION_DAYS, **(days or {})}
    count = table[severity]
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ConfigError(
            f"the rectification days of {severity.value} must be a positive integer, not {count!r}"
        )
    return found_on + timedelta(days=count)


class RectificationStatus(StrEnum):
    """Where a rectification stands in the closed loop."""

    FOUND = "found"  # 发现
    IN_PROGRESS = "in_progress"  # 整改中
    AWAITING_RECHECK = "awaiting_recheck"  # 待复查
    CLOSED = "closed"  # 已关闭


_NEXT: Mapping[RectificationStatus, tuple[RectificationStatus, ...]] = MappingProxyType(
    {
        RectificationStatus.FOUND: (RectificationStatus.IN_PROGRESS,),
        RectificationStatus.IN_PROGRESS: (RectificationStatus.AWAITING_RECHECK,),
        RectificationStatus.AWAITING_RECHECK: (
            RectificationStatus.CLOSED,
            RectificationStatus.IN_PROGRESS,
        ),
        RectificationStatus.CLOSED: (),
    }
)


def next_statuses(status: RectificationStatus) -> tuple[RectificationStatus, ...]:
    """The statuses a rectification may move to from ``status``.

    found → in_progress → awaiting_recheck → closed, and awaiting_recheck → in_progress when
    the recheck fails. Closed is final. Closing must also pass :func:`check_close`.
    """
    return _NEXT[RectificationStatus(status)]


class CloseBlocker(StrEnum):
    """Why a rectification may not be closed yet (keys for the web to translate)."""

    NO_RECHECK_RESULT = "no_recheck_result"  # 无复查结果
    NO_RECHECK_VALUE = "no_recheck_value"  # 可量化标准但无复查值
    STANDARD_STILL_MISSED = "standard_still_missed"  # 复查值仍未达标
    NO_ACCOUNTABILITY_NOTE = "no_accountability_note"  # 严重/重大缺追责说明


def check_close(
    *,
    severity: Severity,
    recheck_result: str,
    recheck_value: Decimal | None,
    standard: ServiceStandard | None,
    accountability_note: str,
) -> tuple[CloseBlocker, ...]:
    """What keeps a rectification from closing; an empty tuple means it may close.

    In this order: a blank recheck result; a measurable ``standard`` without a recheck value;
    a recheck value that still misses the standard; a SERIOUS or MAJOR problem without an
    accountability note. A recheck value without a standard is kept but not judged. A bad
    recheck value raises :class:`~opslens.core.errors.InputError`, an unusable standard
    :class:`ConfigError` (see :func:`deviation`). Whether the status allows closing is
    :func:`next_statuses`' business.
    """
    blockers: list[CloseBlocker] = []
    if not recheck_result.strip():
        blockers.append(CloseBlocker.NO_RECHECK_RESULT)
    if standard is not None:
        if recheck_value is None:
            blockers.append(CloseBlocker.NO_RECHECK_VALUE)
        elif not meets_standard(standard, recheck_value):
            blockers.append(CloseBlocker.STANDARD_STILL_MISSED)
    if requires_accountability(severity) and not accountability_note.strip():
        blockers.append(CloseBlocker.NO_ACCOUNTABILITY_NOTE)
    return tuple(blockers)


def is_overdue(deadline: date | None, status: RectificationStatus, today: date) -> bool:
    """Whether an item not yet closed is past its deadline (the deadline day itself is not).

    An item without a deadline is never overdue.
    """
    if deadline is None or RectificationStatus(status) is RectificationStatus.CLOSED:
        return False
    return today > deadline
