"""Escalation of a support request between departments (seed 001: 部门 → 协调小组 → 管理层).

A blocked subtask raises a request to another department, which must answer within the
project's response time (default 24 hours). Unanswered, the request escalates one
:class:`EscalationLevel` per response time: to the project owner at ``raised_at + 1 ×
response``, to the cross-department coordination group at ``+ 2 ×``, to management at ``+ 3 ×``;
never further.

Boundaries: a level is reached *at* its due time (``now ≥ due``), and an answer stops every level
due *after* it: one given exactly at a level's due time comes too late for that level. Asking
about a moment before the request was raised gives :attr:`EscalationLevel.NONE`.

All datetimes must be time-zone aware (naive ones raise
:class:`~opslens.core.errors.ConfigError`): a request raised in Shanghai and answered from a
server in UTC must still compare correctly. Due times keep ``raised_at``'s time zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from opslens.core.errors import ConfigError

__all__ = [
    "DEFAULT_RESPONSE_HOURS",
    "EscalationLevel",
    "EscalationStep",
    "escalation_due",
    "escalation_level",
    "escalation_steps",
]

#: The seed's response time for a request between departments.
DEFAULT_RESPONSE_HOURS = 24.0


class EscalationLevel(IntEnum):
    """How far an unanswered request has gone up."""

    NONE = 0  # with the department asked
    PROJECT_OWNER = 1  # 项目负责人
    COORDINATION_GROUP = 2  # 跨部门协调小组
    MANAGEMENT = 3  # 管理层


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """One level an unanswered request reached, and when it became due."""

    level: EscalationLevel
    due_at: datetime


def _aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ConfigError(f"{name} must be a datetime, not {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigError(f"{name} must be time-zone aware, not the naive {value.isoformat()}")


def _hours(response_hours: float) -> timedelta:
    if (
        isinstance(response_hours, bool)
        or not isinstance(response_hours, int | float)
        or not math.isfinite(response_hours)
        or response_hours <= 0
    ):
        raise ConfigError(
            f"the response time must be a positive number of hours, not {response_hours!r}"
        )
    return timedelta(hours=response_hours)


def _level(level: EscalationLevel | int) -> EscalationLevel:
    if isinstance(level, bool):
        raise ConfigError(f"unknown escalation level {level!r}")
    try:
        return EscalationLevel(level)
    except ValueError:
        raise ConfigError(f"unknown escalation level {level!r}; expected 0 to 3") from None


def escalation_due(
    raised_at: datetime,
    level: EscalationLevel | int,
    response_hours: float = DEFAULT_RESPONSE_HOURS,
) -> datetime:
    """When an unanswered request raised at ``raised_at`` reaches ``level``.

    ``raised_at + level × response_hours``; :attr:`EscalationLevel.NONE` is ``raised_at``.
    """
    _aware(raised_at, "raised_at")
    return raised_at + _level(level) * _hours(response_hours)


def escalation_steps(
    raised_at: datetime,
    now: datetime,
    *,
    response_hours: float = DEFAULT_RESPONSE_HOURS,
    answered_at: datetime | None = None,
) -> tuple[EscalationStep, ...]:
    """Every level (from PROJECT_OWNER up) the request has reached by ``now``, in order.

    A level is reached when ``now ≥`` its due time and the request was not answered before that
    time. The web records and notifies each step once, keyed by its level.
    """
    _aware(raised_at, "raised_at")
    _aware(now, "now")
    if answered_at is not None:
        _aware(answered_at, "answered_at")
        if answered_at < raised_at:
            raise ConfigError(
                f"the answer ({answered_at.isoformat()}) comes before the request "
                f"({raised_at.isoformat()})"
            )
    step = _hours(response_hours)
    steps: list[EscalationStep] = []
    for level in EscalationLevel:
        if level is EscalationLevel.NONE:
            continue
        due = raised_at + level * step
        if due > now or (answered_at is not None and answered_at < due):
            break
        steps.append(EscalationStep(level=level, due_at=due))
    return tuple(steps)


def escalation_level(
    raised_at: datetime,
    now: datetime,
    *,
    response_hours: float = DEFAULT_RESPONSE_HOURS,
    answered_at: datetime | None = None,
) -> EscalationLevel:
    """The highest level the request has reached by ``now`` (NONE to MANAGEMENT).

    See :func:`escalation_steps` for the rule; the result is its last step's level.
    """
    steps = escalation_steps(raised_at, now, response_hours=response_hours, answered_at=answered_at)
    return steps[-1].level if steps else EscalationLevel.NONE
