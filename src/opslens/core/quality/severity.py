"""Problem severity (问题等级): the rule's grade, the inspector's choice, and both kept.

:func:`grade_severity` grades an observation against a standard by its :func:`deviation`:

=============================  ===================
deviation (share over)          grade
=============================  ===================
≤ 0 (the standard is met)       ``None``
> 0 and ≤ 10 %                  MINOR (轻微)
> 10 % and ≤ 30 %               GENERAL (一般)
> 30 %                          SERIOUS (严重)
=============================  ===================

The upper bound of each band belongs to it: exactly 10 % is MINOR, exactly 30 % is GENERAL.
MAJOR (重大: a wrong solution, a lost customer) is never graded by rule — a person chooses it.

:func:`record_severity` records the grade: the rule's unless the inspector chooses another, in
which case a reason is required and both are kept in a :class:`Grading` (the seed's first row:
40 s against ≤ 30 s is +33 %, the rule says SERIOUS, the inspector recorded GENERAL).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from opslens.core.errors import ConfigError, InputError
from opslens.core.quality.standards import ServiceStandard, deviation

__all__ = [
    "GENERAL_LIMIT",
    "MINOR_LIMIT",
    "Grading",
    "Severity",
    "grade_severity",
    "record_severity",
]

#: A miss up to and including 10 % of the threshold is MINOR.
MINOR_LIMIT = Decimal("0.10")
#: A miss above 10 % up to and including 30 % is GENERAL; beyond it SERIOUS.
GENERAL_LIMIT = Decimal("0.30")


class Severity(StrEnum):
    """The level of a quality problem, from MINOR to MAJOR; :attr:`rank` orders them."""

    MINOR = "minor"  # 轻微
    GENERAL = "general"  # 一般
    SERIOUS = "serious"  # 严重
    MAJOR = "major"  # 重大

    @property
    def rank(self) -> int:
        """1 for MINOR up to 4 for MAJOR: compare severities by rank, never by value."""
        return _RANK[self]


_RANK = {Severity.MINOR: 1, Severity.GENERAL: 2, Severity.SERIOUS: 3, Severity.MAJOR: 4}


def _as_severity(value: Severity | str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        known = ", ".join(s.value for s in Severity)
        raise InputError(f"unknown severity; expected one of {known}", value=value) from None


def grade_severity(standard: ServiceStandard, observed: Decimal) -> Severity | None:
    """The severity the rule gives ``observed`` against ``standard``; ``None`` when it is met.

    See the module's table: ≤ 10 % over → MINOR, ≤ 30 % → GENERAL, beyond → SERIOUS, each
    bound included in the lower grade. Never MAJOR. Raises like :func:`deviation`.
    """
    miss = deviation(standard, observed)
    if miss <= 0:
        return None
    if miss <= MINOR_LIMIT:
        return Severity.MINOR
    if miss <= GENERAL_LIMIT:
        return Severity.GENERAL
    return Severity.SERIOUS


@dataclass(frozen=True, slots=True)
class Grading:
    """The rule's grade (``None`` without a standard or when it was met), the recorded one, and
    the reason given for the recorded grade (empty when none was needed or given)."""

    rule: Severity | None
    recorded: Severity
    override_reason: str

    @property
    def overridden(self) -> bool:
        """Whether the inspector recorded a grade other than the rule's."""
        return self.rule is not None and self.recorded is not self.rule


def record_severity(rule: Severity | None, chosen: Severity | None, reason: str = "") -> Grading:
    """The grade to record from the rule's grade and the inspector's choice.

    * No choice: the rule's grade is recorded; when there is no rule grade either (no standard
      applies, or it was met) :class:`ConfigError` — such an inspection needs a chosen grade.
    * A choice other than the rule's grade (an override, up or down) needs a non-blank reason,
      else :class:`InputError`.
    * MAJOR always needs a reason (what the customer lost, what was wrong), whatever the rule
      says; with one it may always be chosen.
    * A choice where there is no rule grade (a qualitative problem) needs no reason except MAJOR.

    The reason is kept stripped; both grades are kept in the :class:`Grading`.
    """
    reason = reason.strip()
    if rule is not None:
        rule = _as_severity(rule)
    if chosen is None:
        if rule is None:
            raise ConfigError(
                "no rule grade applies (no standard, or the standard was met): "
                "choose a severity for this inspection"
            )
        return Grading(rule=rule, recorded=rule, override_reason=reason)
    chosen = _as_severity(chosen)
    if not reason:
        if chosen is Severity.MAJOR:
            raise InputError("a MAJOR (重大) problem needs a reason: the loss or wrong solution")
        if rule is not None and chosen is not rule:
            raise InputError(
                f"recording {chosen.value} instead of the rule's {rule.value} needs a reason"
            )
    return Grading(rule=rule, recorded=chosen, override_reason=reason)
