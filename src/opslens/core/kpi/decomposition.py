"""Decomposition of a KPI target (目标分解): do the sub-period targets add up to the parent's?

A yearly target is split into quarters, a quarterly one into months. How the sub-period values
combine into the parent's is the KPI's :class:`Aggregation`: a sum (营业收入, 产量), an average
(产品合格率, 客户满意度) or the last value (库存, 市场占有率 at the period's end).
:func:`check_decomposition` compares the combination with the parent target. The seed's own
example does not add up: 2亿 split into 4,000万 + 4,500万 + 5,000万 + 5,500万 = 1.9亿.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from opslens.core.errors import ConfigError

__all__ = ["Aggregation", "DecompositionCheck", "check_decomposition"]


class Aggregation(StrEnum):
    """How the values of sub-periods combine into the value of the parent period."""

    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"


@dataclass(frozen=True, slots=True)
class DecompositionCheck:
    """The result of :func:`check_decomposition`.

    ``combined`` is the sub-period targets combined (0 when none is given); ``gap`` is
    ``combined − parent`` (negative: the split falls short); ``gap_ratio`` is
    ``gap / |parent|``, so its sign is the gap's even for a negative parent (``None`` when the
    parent is 0); ``missing`` counts the sub-periods without a target; ``consistent`` is true
    when none is missing and the gap is within the tolerance.
    """

    parent: Decimal
    combined: Decimal
    gap: Decimal
    gap_ratio: Decimal | None
    missing: int
    consistent: bool


def check_decomposition(
    parent: Decimal,
    children: Sequence[Decimal | None],
    aggregation: Aggregation,
    *,
    tolerance: Decimal = Decimal("0"),
) -> DecompositionCheck:
    """Check that the sub-period targets ``children`` combine to the ``parent`` target.

    The given children (``None`` = not set yet) are combined by ``aggregation``: their sum,
    their mean, or the last given one. The split is consistent when no child is missing and
    ``|combined − parent| ≤ tolerance × |parent|`` (``tolerance`` is relative, 0.01 = 1%; with
    the default 0 the match must be exact).

    ConfigError for no children at all, a negative tolerance or an unknown aggregation.
    """
    try:
        aggregation = Aggregation(aggregation)
    except ValueError:
        known = ", ".join(a.value for a in Aggregation)
        raise ConfigError(f"unknown aggregation {aggregation!r}; expected one of {known}") from None
    if not children:
        raise ConfigError("no sub-period targets to check against the parent target")
    if not tolerance.is_finite() or tolerance < 0:
        raise ConfigError(f"the tolerance must be zero or a positive fraction, not {tolerance}")
    given = [Decimal(child) for child in children if child is not None]
    missing = len(children) - len(given)
    if not given:
        combined = Decimal(0)
    elif aggregation is Aggregation.SUM:
        combined = sum(given, Decimal(0))
    elif aggregation is Aggregation.AVERAGE:
        combined = sum(given, Decimal(0)) / len(given)
    else:
        combined = given[-1]
    gap = combined - parent
    gap_ratio = None if parent == 0 else gap / abs(parent)
    consistent = missing == 0 and abs(gap) <= tolerance * abs(parent)
    return DecompositionCheck(
        parent=parent,
        combined=combined,
        gap=gap,
        gap_ratio=gap_ratio,
        missing=missing,
        consistent=consistent,
    )
