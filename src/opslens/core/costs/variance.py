"""Budget against actual: the variance of a cost line, the threshold rule, the month's analysis.

差异额 = 实际 − 预算 and 差异率 = 差异额 / 预算 are always computed, never typed in. A line whose
差异率 is beyond its category's threshold (default ±10 %) needs a cause (原因分析) and its kind —
controllable (主观) or uncontrollable (客观); until every such line has both, the month cannot
be closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from enum import StrEnum

from opslens.core.errors import ConfigError, InputError

__all__ = [
    "DEFAULT_CATEGORIES",
    "DEFAULT_THRESHOLD",
    "CategoryFigures",
    "CategorySpec",
    "CauseKind",
    "CostAnalysis",
    "CostLine",
    "CostNature",
    "CostVariance",
    "LineFigures",
    "analyze_costs",
    "compute_cost_variance",
    "needs_cause",
]

#: A variance beyond ±10 % of the budget needs a cause.
DEFAULT_THRESHOLD = Decimal("0.10")
_MAX_THRESHOLD = Decimal(10)
_CTX = Context(prec=28)


class CauseKind(StrEnum):
    """Whether the cause of a variance was in the department's hands."""

    CONTROLLABLE = "controllable"  # 主观 / 可控
    UNCONTROLLABLE = "uncontrollable"  # 客观 / 不可控


class CostNature(StrEnum):
    """Direct costs go into the product; indirect ones are overheads."""

    DIRECT = "direct"
    INDIRECT = "indirect"


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """A cost category, its nature and the variance ratio beyond which a line needs a cause."""

    name: str
    nature: CostNature
    threshold: Decimal = DEFAULT_THRESHOLD


#: The categories of the template: 原材料 and 人工 are direct, the rest indirect.
DEFAULT_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("原材料成本", CostNature.DIRECT),
    CategorySpec("人工成本", CostNature.DIRECT),
    CategorySpec("制造费用", CostNature.INDIRECT),
    CategorySpec("销售费用", CostNature.INDIRECT),
    CategorySpec("管理费用", CostNature.INDIRECT),
    CategorySpec("财务费用", CostNature.INDIRECT),
    CategorySpec("办公费用", CostNature.INDIRECT),
    CategorySpec("研发费用", CostNature.INDIRECT),
)


@dataclass(frozen=True, slots=True)
class CostVariance:
    """Budget, actual, variance (actual − budget) and ratio (variance / budget).

    ``ratio`` is ``None`` when the budget is zero: no ratio exists then.
    """

    budget: Decimal
    actual: Decimal
    variance: Decimal
    ratio: Decimal | None


def compute_cost_variance(budget: Decimal, actual: Decimal) -> CostVariance:
    """The variance of an actual amount against its budget.

    The budget must not be negative (:class:`InputError`); the actual may be (credits,
    refunds). With a zero budget the ratio is ``None``.
    """
    for name, value in (("budget", budget), ("actual", actual)):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InputError(f"{name} must be a finite Decimal", value=value)
    if budget < 0:
        raise InputError("budget must not be negative", value=budget)
    variance = _CTX.subtract(actual, budget)
    ratio = None if budget == 0 else _CTX.divide(variance, budget)
    return CostVariance(budget=budget, actual=actual, variance=variance, ratio=ratio)


def _check_threshold(threshold: Decimal, what: str = "threshold") -> None:
    if (
        not isinstance(threshold, Decimal)
        or not threshold.is_finite()
        or not 0 <= threshold < _MAX_THRESHOLD
    ):
        raise ConfigError(
            f"{what} must be a fraction from 0 up to (not including) 10 — 0.10 means 10 %; "
            f"got {threshold!r}"
        )


def needs_cause(variance: CostVariance, threshold: Decimal = DEFAULT_THRESHOLD) -> bool:
    """Whether a line's variance is beyond the threshold, so that it needs a cause.

    The test is strict: ``|ratio| > threshold``, so a variance of exactly 10 % against the
    default 0.10 is not flagged. With a zero budget any non-zero actual is flagged (an unbudgeted
    cost) and a zero actual is not. ``threshold`` is a fraction (0.10 for 10 %); a negative one,
    or one of 10 (1000 %) or more — most likely a percentage typed as a number — raises
    :class:`ConfigError`.
    """
    _check_threshold(threshold)
    if variance.ratio is None:
        return variance.actual != 0
    return abs(variance.ratio) > threshold


@dataclass(frozen=True, slots=True)
class CostLine:
    """One line of the month's cost table: a sub-item of a category with budget and actual.

    ``key`` identifies the line to the caller (a database id, a row number).
    """

    key: str
    category: str
    sub_item: str
    budget: Decimal
    actual: Decimal
    department: str = ""
    cause: str = ""
    cause_kind: CauseKind | None = None


@dataclass(frozen=True, slots=True)
class LineFigures:
    """A line with its variance, the threshold it was held to, and what the rule says.

    ``missing_cause`` is true for a flagged line without a cause text or a cause kind.
    """

    line: CostLine
    variance: CostVariance
    threshold: Decimal
    flagged: bool
    missing_cause: bool


@dataclass(frozen=True, slots=True)
class CategoryFigures:
    """A category's totals: budget, actual, their variance, and how many lines were flagged."""

    category: str
    budget: Decimal
    actual: Decimal
    variance: CostVariance
    lines: int
    flagged: int


@dataclass(frozen=True, slots=True)
class CostAnalysis:
    """The month's cost analysis.

    ``lines`` in input order; ``categories`` by first appearance; ``flagged`` the lines beyond
    their threshold; ``blockers`` the flagged lines still missing a cause text or a cause kind
    (the month cannot be closed while there are any); ``top_over_budget`` the lines over budget,
    the largest overrun first.
    """

    lines: tuple[LineFigures, ...]
    categories: tuple[CategoryFigures, ...]
    total: CostVariance
    flagged: tuple[LineFigures, ...]
    blockers: tuple[LineFigures, ...]
    top_over_budget: tuple[LineFigures, ...]

    @property
    def can_close(self) -> bool:
        """Whether every flagged line has a cause and a cause kind."""
        return not self.blockers


def _line_variance(line: CostLine) -> CostVariance:
    try:
        return compute_cost_variance(line.budget, line.actual)
    except InputError as exc:
        raise InputError(
            f"line {line.key} ({line.category} / {line.sub_item}): {exc.message}",
            value=exc.value,
        ) from None


def analyze_costs(
    lines: Sequence[CostLine],
    thresholds: Mapping[str, Decimal] | None = None,
    default_threshold: Decimal = DEFAULT_THRESHOLD,
) -> CostAnalysis:
    """Apply the threshold rule to every line and total the month by category.

    A line is held to ``thresholds[category]`` when given, else to ``default_threshold``
    (see :func:`needs_cause` for the rule and the valid thresholds). ``top_over_budget`` orders
    the lines with a positive variance by amount descending, then by ratio descending (an
    unbudgeted line, whose ratio is ``None``, first), then by key.

    Raises :class:`ConfigError` for a bad threshold and :class:`InputError` for a line with a
    negative budget.
    """
    thresholds = dict(thresholds or {})
    _check_threshold(default_threshold, "the default threshold")
    for category, value in thresholds.items():
        _check_threshold(value, f"the threshold of {category!r}")

    figures: list[LineFigures] = []
    for line in lines:
        variance = _line_variance(line)
        threshold = thresholds.get(line.category, default_threshold)
        flagged = needs_cause(variance, threshold)
        missing = flagged and (not line.cause.strip() or line.cause_kind is None)
        figures.append(LineFigures(line, variance, threshold, flagged, missing))

    by_category: dict[str, list[LineFigures]] = {}
    for item in figures:
        by_category.setdefault(item.line.category, []).append(item)
    categories = []
    for category, items in by_category.items():
        budget = sum((i.line.budget for i in items), Decimal(0))
        actual = sum((i.line.actual for i in items), Decimal(0))
        categories.append(
            CategoryFigures(
                category=category,
                budget=budget,
                actual=actual,
                variance=compute_cost_variance(budget, actual),
                lines=len(items),
                flagged=sum(1 for i in items if i.flagged),
            )
        )
    total = compute_cost_variance(
        sum((f.line.budget for f in figures), Decimal(0)),
        sum((f.line.actual for f in figures), Decimal(0)),
    )
    over = sorted(
        (f for f in figures if f.variance.variance > 0),
        key=lambda f: (
            -f.variance.variance,
            f.variance.ratio is not None,
            -(f.variance.ratio or 0),
            f.line.key,
        ),
    )
    return CostAnalysis(
        lines=tuple(figures),
        categories=tuple(categories),
        total=total,
        flagged=tuple(f for f in figures if f.flagged),
        blockers=tuple(f for f in figures if f.missing_cause),
        top_over_budget=tuple(over),
    )
