"""Alert rules on a KPI series (预警规则): when to raise an alert and when it is over.

An :class:`AlertRule` names a condition that one period may hold — the value is beyond the
warning value (status MISSED), beyond the target (status not MET), or it changed against the
previous period by at least ``change_pct`` in the bad direction — and how many consecutive
periods must hold it before the alert fires. The seed's rule "销售额连续两周低于预警值,需启动
销售复盘" is a weekly, higher-is-better KPI with ``AlertRule(ConditionKind.BEYOND_WARNING,
periods=2)``.

An alert fires once and stays active, however long the condition holds, until it recovers:
``recovery_periods`` consecutive periods in which the condition no longer holds
(:attr:`RecoveryKind.CLEAR`) or the status is back to MET (:attr:`RecoveryKind.MET`). After a
recovery a new alert needs ``periods`` fresh periods.

"Consecutive" is strict: a period missing from the series, or a period where the answer cannot
be told (no value, no thresholds, no usable previous value), breaks a streak.
:func:`scan_alerts` replays a whole history; :func:`evaluate_alert` decides for the latest
period given the stored state, and agrees with the replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Literal

from opslens.core.errors import ConfigError
from opslens.core.kpi.periods import Period
from opslens.core.kpi.status import Direction, Status, Thresholds, as_direction, classify_value

__all__ = [
    "AlertDecision",
    "AlertEvent",
    "AlertEventKind",
    "AlertRule",
    "AlertScan",
    "ConditionKind",
    "Observation",
    "RecoveryKind",
    "condition_holds",
    "evaluate_alert",
    "recovery_holds",
    "scan_alerts",
]

#: What happened to an alert in one period.
AlertEventKind = Literal["fire", "recover"]


class ConditionKind(StrEnum):
    """What one period must show for an alert rule to count it."""

    BEYOND_WARNING = "beyond_warning"  # status MISSED: worse than the warning value
    BEYOND_TARGET = "beyond_target"  # status not MET: worse than the target
    CHANGE = "change"  # changed by ≥ change_pct against the previous period, the bad way


class RecoveryKind(StrEnum):
    """What one period must show to count towards the end of an active alert."""

    CLEAR = "clear"  # the condition no longer holds
    MET = "met"  # the status is back to MET


@dataclass(frozen=True, slots=True)
class AlertRule:
    """An alert rule: ``condition`` held in ``periods`` consecutive periods fires the alert;
    ``recovery`` passed in ``recovery_periods`` consecutive periods ends it.

    ``change_pct`` is the threshold of a CHANGE condition as a positive fraction (0.2 = 20%).
    """

    condition: ConditionKind
    periods: int = 1
    change_pct: Decimal | None = None
    recovery: RecoveryKind = RecoveryKind.CLEAR
    recovery_periods: int = 1

    def validate(self) -> None:
        """Raise :class:`ConfigError` for an unknown condition or recovery, fewer than one
        period, or a CHANGE condition without a positive ``change_pct``."""
        try:
            condition = ConditionKind(self.condition)
        except ValueError:
            known = ", ".join(c.value for c in ConditionKind)
            raise ConfigError(
                f"unknown alert condition {self.condition!r}; expected one of {known}"
            ) from None
        try:
            RecoveryKind(self.recovery)
        except ValueError:
            known = ", ".join(r.value for r in RecoveryKind)
            raise ConfigError(
                f"unknown alert recovery {self.recovery!r}; expected one of {known}"
            ) from None
        for name, count in (("periods", self.periods), ("recovery_periods", self.recovery_periods)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ConfigError(f"an alert rule needs {name} of at least 1, not {count!r}")
        pct = self.change_pct
        usable = (
            isinstance(pct, Decimal | int)
            and not isinstance(pct, bool)
            and Decimal(pct).is_finite()
            and pct > 0
        )
        if condition is ConditionKind.CHANGE and not usable:
            raise ConfigError(
                "a change alert needs a positive change percentage (a fraction: 0.2 = 20%), "
                f"not {self.change_pct}"
            )


@dataclass(frozen=True, slots=True)
class Observation:
    """A KPI's value in one period (``None`` = not reported) and the thresholds that applied
    (``None`` = none set)."""

    period: Period
    value: Decimal | None
    thresholds: Thresholds | None


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert fired or recovered in ``period``; ``streak`` holds the consecutive periods
    (ending with ``period``) that justified it."""

    kind: AlertEventKind
    period: Period
    streak: tuple[Period, ...]


@dataclass(frozen=True, slots=True)
class AlertScan:
    """The replay of a whole series by :func:`scan_alerts`.

    ``events`` in time order; ``active`` whether an alert is active after the last period;
    ``streak`` the number of consecutive periods, ending at ``last_period``, that held the
    condition (since the last recovery); ``recovery_streak`` the number of consecutive periods
    of an active alert that passed the recovery test; ``last_period`` the latest period seen.
    """

    events: tuple[AlertEvent, ...]
    active: bool
    streak: int
    recovery_streak: int
    last_period: Period | None


@dataclass(frozen=True, slots=True)
class AlertDecision:
    """What to do for the latest period: fire, recover or neither (never both); ``streak`` holds
    the periods that justified the decision (empty when neither)."""

    fire: bool
    recover: bool
    streak: tuple[Period, ...]


def _consecutive(earlier: Period, later: Period) -> bool:
    return (
        earlier.frequency == later.frequency
        and earlier < later
        and earlier.next() == later  # never overflows: a later period exists
    )


def _status(direction: Direction, observation: Observation) -> Status | None:
    if observation.value is None or observation.thresholds is None:
        return None
    return classify_value(observation.value, direction, observation.thresholds)


def condition_holds(
    rule: AlertRule,
    direction: Direction,
    current: Observation,
    previous: Observation | None,
) -> bool | None:
    """Whether ``current`` holds the rule's condition; ``None`` when it cannot be told.

    BEYOND_WARNING: the status is MISSED; BEYOND_TARGET: the status is not MET (both cannot be
    told without a value or thresholds). CHANGE: with ``ratio = (current − previous) /
    |previous|``, higher-is-better holds when ``ratio ≤ −change_pct``, lower-is-better when
    ``ratio ≥ change_pct``, a band when ``|ratio| ≥ change_pct``; it cannot be told without a
    value, or when ``previous`` is missing, not the period just before, without a value or 0.
    """
    rule.validate()
    direction = as_direction(direction)
    if current.value is None:
        return None
    condition = ConditionKind(rule.condition)
    if condition is not ConditionKind.CHANGE:
        status = _status(direction, current)
        if status is None:
            return None
        if condition is ConditionKind.BEYOND_WARNING:
            return status is Status.MISSED
        return status is not Status.MET
    if (
        previous is None
        or previous.value is None
        or previous.value == 0
        or not _consecutive(previous.period, current.period)
    ):
        return None
    assert rule.change_pct is not None
    ratio = (current.value - previous.value) / abs(previous.value)
    if direction is Direction.HIGHER:
        return ratio <= -rule.change_pct
    if direction is Direction.LOWER:
        return ratio >= rule.change_pct
    return abs(ratio) >= rule.change_pct


def recovery_holds(
    rule: AlertRule,
    direction: Direction,
    current: Observation,
    previous: Observation | None,
) -> bool | None:
    """Whether ``current`` passes the rule's recovery test; ``None`` when it cannot be told.

    CLEAR: the condition does not hold (see :func:`condition_holds`); MET: the status is MET
    (cannot be told without a value or thresholds).
    """
    rule.validate()
    if RecoveryKind(rule.recovery) is RecoveryKind.CLEAR:
        holds = condition_holds(rule, direction, current, previous)
        return None if holds is None else not holds
    status = _status(as_direction(direction), current)
    return None if status is None else status is Status.MET


def _ordered(series: Sequence[Observation]) -> tuple[Observation, ...]:
    """The series sorted by period; ConfigError for mixed frequencies or a repeated period."""
    frequencies = {observation.period.frequency for observation in series}
    if len(frequencies) > 1:
        shown = ", ".join(sorted(frequencies))
        raise ConfigError(f"a KPI series must have one frequency, not a mix of {shown}")
    ordered = tuple(sorted(series, key=lambda observation: observation.period))
    for earlier, later in pairwise(ordered):
        if earlier.period == later.period:
            raise ConfigError(f"the period {later.period} appears more than once in the series")
    return ordered


def scan_alerts(rule: AlertRule, direction: Direction, series: Sequence[Observation]) -> AlertScan:
    """Replay the whole ``series`` (any order) and list when the alert fired and recovered.

    Starting inactive, each period that holds the condition extends the firing streak; when it
    reaches ``rule.periods`` the alert fires (once) and becomes active. While active, each
    period that passes the recovery test extends the recovery streak and one that fails resets
    it; when it reaches ``rule.recovery_periods`` the alert recovers and a new alert needs
    ``rule.periods`` fresh periods. A gap in the series, or a period where the answer cannot be
    told, resets both streaks.

    ConfigError for an invalid rule, mixed frequencies or a repeated period.
    """
    rule.validate()
    direction = as_direction(direction)
    ordered = _ordered(series)
    events: list[AlertEvent] = []
    active = False
    firing: list[Period] = []
    recovering: list[Period] = []
    previous: Observation | None = None
    for current in ordered:
        if previous is not None and not _consecutive(previous.period, current.period):
            firing.clear()
            recovering.clear()
        if condition_holds(rule, direction, current, previous):
            firing.append(current.period)
        else:
            firing.clear()
        if not active:
            if len(firing) >= rule.periods:
                events.append(AlertEvent("fire", current.period, tuple(firing[-rule.periods :])))
                active = True
        else:
            if recovery_holds(rule, direction, current, previous):
                recovering.append(current.period)
            else:
                recovering.clear()
            if len(recovering) >= rule.recovery_periods:
                events.append(AlertEvent("recover", current.period, tuple(recovering)))
                active = False
                firing.clear()
                recovering.clear()
        previous = current
    return AlertScan(
        events=tuple(events),
        active=active,
        streak=len(firing),
        recovery_streak=len(recovering),
        last_period=ordered[-1].period if ordered else None,
    )


def evaluate_alert(
    rule: AlertRule,
    direction: Direction,
    series: Sequence[Observation],
    *,
    active: bool,
    since: Period | None = None,
) -> AlertDecision:
    """Decide for the latest period of ``series`` (any order), given whether the alert is
    ``active``.

    Not active: fire when the last ``rule.periods`` periods are consecutive and each holds the
    condition. Active: recover when the last ``rule.recovery_periods`` periods are consecutive
    and each passes the recovery test. Periods up to and including ``since`` (the period of the
    last stored fire or recovery, when known) do not count, so that a decision made period by
    period equals :func:`scan_alerts`; without it a period from before the last event may count
    where one period can both hold the condition and pass the recovery test (a CHANGE
    condition with MET recovery).

    ConfigError for an invalid rule, mixed frequencies or a repeated period.
    """
    rule.validate()
    direction = as_direction(direction)
    ordered = _ordered(series)
    needed = rule.recovery_periods if active else rule.periods
    nothing = AlertDecision(fire=False, recover=False, streak=())
    if len(ordered) < needed:
        return nothing
    first = len(ordered) - needed
    window = ordered[first:]
    if since is not None and since.frequency != window[0].period.frequency:
        raise ConfigError(
            f"since ({since}) is a {since.frequency} period but the series is "
            f"{window[0].period.frequency}"
        )
    if since is not None and window[0].period <= since:
        return nothing
    if not all(_consecutive(a.period, b.period) for a, b in pairwise(window)):
        return nothing
    test = recovery_holds if active else condition_holds
    for index in range(first, len(ordered)):
        previous = ordered[index - 1] if index > 0 else None
        if test(rule, direction, ordered[index], previous) is not True:
            return nothing
    streak = tuple(observation.period for observation in window)
    return AlertDecision(fire=not active, recover=active, streak=streak)
