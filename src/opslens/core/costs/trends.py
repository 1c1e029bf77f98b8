"""Month-by-month follow-up: how a line's or a category's variance moves over the months.

A month where a line is absent is an explicit gap (``None``), never a zero: a sub-item that was
not budgeted in July did not come in on budget in July.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from opslens.core.costs.variance import CostLine, CostVariance, compute_cost_variance
from opslens.core.errors import ConfigError

__all__ = ["CategoryTrend", "LineTrend", "TrendPoint", "trend_by_category", "trend_by_line"]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """A month (its key, such as "2024-06") and the variance then; ``None`` when absent."""

    month: str
    variance: CostVariance | None


@dataclass(frozen=True, slots=True)
class LineTrend:
    """One line — a category's sub-item — across the months, one point per month."""

    category: str
    sub_item: str
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class CategoryTrend:
    """One category's totals across the months, one point per month."""

    category: str
    points: tuple[TrendPoint, ...]


Months = Sequence[tuple[str, Sequence[CostLine]]]


def _sorted_months(months: Months) -> list[tuple[str, Sequence[CostLine]]]:
    seen: set[str] = set()
    for key, _ in months:
        if key in seen:
            raise ConfigError(f"the month {key!r} is given twice")
        seen.add(key)
    return sorted(months, key=lambda month: month[0])


def _trend(
    months: Months, *, by_line: bool
) -> list[tuple[tuple[str, ...], tuple[TrendPoint, ...]]]:
    ordered = _sorted_months(months)
    totals: list[dict[tuple[str, ...], tuple[Decimal, Decimal]]] = []
    keys: dict[tuple[str, ...], None] = {}
    for _, lines in ordered:
        month: dict[tuple[str, ...], tuple[Decimal, Decimal]] = {}
        for line in lines:
            key: tuple[str, ...] = (line.category, line.sub_item) if by_line else (line.category,)
            budget, actual = month.get(key, (Decimal(0), Decimal(0)))
            month[key] = (budget + line.budget, actual + line.actual)
            keys.setdefault(key)
        totals.append(month)
    result: list[tuple[tuple[str, ...], tuple[TrendPoint, ...]]] = []
    for key in keys:
        points = []
        for (month_key, _), month in zip(ordered, totals, strict=True):
            amounts = month.get(key)
            variance = None if amounts is None else compute_cost_variance(*amounts)
            points.append(TrendPoint(month_key, variance))
        result.append((key, tuple(points)))
    return result


def trend_by_line(months: Months) -> tuple[LineTrend, ...]:
    """Each line's variance month by month.

    ``months`` holds (month key, that month's lines) in any order; the points are sorted by
    key, so keys must sort in time order ("2024-06", "2024-07"). Lines are matched across
    months by (category, sub-item); two lines with the same pair in one month are added
    together. Trends come in order of first appearance. Raises :class:`ConfigError` when a
    month key repeats and :class:`~opslens.core.errors.InputError` for a negative budget.
    """
    return tuple(
        LineTrend(category=key[0], sub_item=key[1], points=points)
        for key, points in _trend(months, by_line=True)
    )


def trend_by_category(months: Months) -> tuple[CategoryTrend, ...]:
    """Each category's total variance month by month (budgets and actuals summed per month).

    Same input and ordering as :func:`trend_by_line`; a month without any line of the category
    is a gap (``None``).
    """
    return tuple(
        CategoryTrend(category=key[0], points=points)
        for key, points in _trend(months, by_line=False)
    )
