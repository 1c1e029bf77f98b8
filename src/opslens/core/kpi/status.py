"""Targets, warning values and the status of one KPI value (达标 / 预警 / 未达标).

A KPI has a :class:`Direction`: *higher* is better (营业收入, 产品合格率), *lower* is better
(员工流失率, 首次响应时间), or the value should stay inside a *band* (库存周转天数). Its
:class:`Thresholds` hold the target (目标值) and the warning value (预警值); for a band they are
the low ends and ``target_high``/``warning_high`` the high ends.

:func:`classify_value` gives the :class:`Status` of one value; every boundary is inclusive: a
value exactly at the target is MET, exactly at the warning value is WARNING.
:func:`achievement_rate` gives the achievement (达成率) as a fraction (1 = 100%).

Contradictory thresholds raise :class:`~opslens.core.errors.ConfigError`; a value that is not a
finite number raises :class:`~opslens.core.errors.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from opslens.core.errors import ConfigError, InputError

__all__ = [
    "Direction",
    "Status",
    "Thresholds",
    "achievement_rate",
    "as_direction",
    "classify_value",
]


class Direction(StrEnum):
    """Which values are good: higher, lower, or inside a band."""

    HIGHER = "higher"
    LOWER = "lower"
    BAND = "band"


class Status(StrEnum):
    """The status of one value against its thresholds."""

    MET = "met"  # 达标
    WARNING = "warning"  # 预警
    MISSED = "missed"  # 未达标


def as_direction(direction: Direction | str) -> Direction:
    """``direction`` as a :class:`Direction`; ConfigError for an unknown one."""
    try:
        return Direction(direction)
    except ValueError:
        known = ", ".join(d.value for d in Direction)
        raise ConfigError(f"unknown KPI direction {direction!r}; expected one of {known}") from None


def _finite(value: Decimal, name: str) -> None:
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise ConfigError(f"the {name} must be a number, not {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ConfigError(f"the {name} must be a finite number, not {value}")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The target (目标值) and warning value (预警值) of a KPI for one period.

    For :attr:`Direction.BAND`, ``target`` and ``warning`` are the low ends and ``target_high``
    and ``warning_high`` the high ends (both required); for the other directions the high ends
    are ignored.
    """

    target: Decimal
    warning: Decimal
    target_high: Decimal | None = None
    warning_high: Decimal | None = None

    def validate(self, direction: Direction) -> None:
        """Raise :class:`ConfigError` when the thresholds contradict ``direction``.

        HIGHER needs ``warning ≤ target``; LOWER needs ``warning ≥ target``; BAND needs both
        high ends and ``warning ≤ target ≤ target_high ≤ warning_high``.
        """
        direction = as_direction(direction)
        _finite(self.target, "target")
        _finite(self.warning, "warning value")
        if direction is Direction.HIGHER:
            if self.warning > self.target:
                raise ConfigError(
                    f"when higher is better the warning value ({self.warning}) cannot be above "
                    f"the target ({self.target})"
                )
        elif direction is Direction.LOWER:
            if self.warning < self.target:
                raise ConfigError(
                    f"when lower is better the warning value ({self.warning}) cannot be below "
                    f"the target ({self.target})"
                )
        else:
            if self.target_high is None or self.warning_high is None:
                raise ConfigError(
                    "a band needs a high target and a high warning value besides the low ones"
                )
            _finite(self.target_high, "high target")
            _finite(self.warning_high, "high warning value")
            if not (self.warning <= self.target <= self.target_high <= self.warning_high):
                raise ConfigError(
                    "a band needs warning ≤ target ≤ high target ≤ high warning value, not "
                    f"{self.warning} / {self.target} / {self.target_high} / {self.warning_high}"
                )


def _check_value(value: Decimal) -> None:
    if (
        not isinstance(value, Decimal | int)
        or isinstance(value, bool)
        or (isinstance(value, Decimal) and not value.is_finite())
    ):
        raise InputError("a KPI value must be a finite number", value=value)


def classify_value(value: Decimal, direction: Direction, thresholds: Thresholds) -> Status:
    """The status of ``value``: MET (达标), WARNING (预警) or MISSED (未达标).

    HIGHER: ``value ≥ target`` is MET, ``value ≥ warning`` WARNING, else MISSED. LOWER: the
    mirror image (``≤``). BAND: inside ``[target, target_high]`` is MET, inside
    ``[warning, warning_high]`` WARNING, else MISSED. Boundaries are inclusive.

    The thresholds are validated first (:class:`ConfigError`); a value that is not a finite
    number raises :class:`InputError`.
    """
    direction = as_direction(direction)
    thresholds.validate(direction)
    _check_value(value)
    if direction is Direction.HIGHER:
        if value >= thresholds.target:
            return Status.MET
        return Status.WARNING if value >= thresholds.warning else Status.MISSED
    if direction is Direction.LOWER:
        if value <= thresholds.target:
            return Status.MET
        return Status.WARNING if value <= thresholds.warning else Status.MISSED
    assert thresholds.target_high is not None and thresholds.warning_high is not None
    if thresholds.target <= value <= thresholds.target_high:
        return Status.MET
    if thresholds.warning <= value <= thresholds.warning_high:
        return Status.WARNING
    return Status.MISSED


def achievement_rate(value: Decimal, target: Decimal, direction: Direction) -> Decimal | None:
    """The achievement (达成率) of ``value`` against ``target`` as a fraction (1 = 100%).

    HIGHER: ``value / target``; LOWER: ``target / value`` (half the allowed 流失率 is 200%).
    ``None`` when it has no meaning: for a BAND, and when the divisor is zero or negative (a
    loss of 50 against a planned loss of 100 is not "50% achieved").
    """
    direction = as_direction(direction)
    _check_value(value)
    _check_value(target)
    if direction is Direction.BAND:
        return None
    dividend, divisor = (value, target) if direction is Direction.HIGHER else (target, value)
    if divisor <= 0:
        return None
    return Decimal(dividend) / Decimal(divisor)
