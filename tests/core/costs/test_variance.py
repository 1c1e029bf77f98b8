"""Variance, the threshold rule and the month's analysis, on the seed's June table and edges."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.costs import (
    DEFAULT_CATEGORIES,
    DEFAULT_THRESHOLD,
    CauseKind,
    CostLine,
    CostNature,
    CostVariance,
    analyze_costs,
    compute_cost_variance,
    needs_cause,
)
from opslens.core.errors import ConfigError, InputError

from . import seed_lines

D = Decimal


def line(
    key: str, budget: int, actual: int, *, category: str = "办公费用", sub_item: str = ""
) -> CostLine:
    return CostLine(key, category, sub_item or f"item {key}", D(budget), D(actual))


# ------------------------------------------------------------------------------ the seed


def test_seed_june_variances() -> None:
    figures = {f.line.sub_item: f.variance for f in analyze_costs(seed_lines()).lines}
    assert figures["A材料采购"] == CostVariance(D(500000), D(650000), D(150000), D("0.3"))
    assert figures["销售人员绩效"].variance == D(30000)
    assert figures["销售人员绩效"].ratio == D("0.15")
    assert figures["招待费"].variance == D(15000)
    assert figures["招待费"].ratio == D("0.5")
    assert figures["设备水电费"].variance == D(12000)
    assert figures["设备水电费"].ratio == D("0.15")


def test_seed_june_every_line_is_flagged() -> None:
    analysis = analyze_costs(seed_lines())
    assert [f.flagged for f in analysis.lines] == [True] * 4
    assert [f.line.key for f in analysis.flagged] == ["1", "2", "3", "4"]
    assert analysis.blockers == ()
    assert analysis.can_close
    assert analysis.total == CostVariance(D(810000), D(1017000), D(207000), D(207000) / D(810000))
    # the largest overrun first
    assert [f.line.sub_item for f in analysis.top_over_budget] == [
        "A材料采购",
        "销售人员绩效",
        "招待费",
        "设备水电费",
    ]


def test_seed_august_follow_up_is_within_the_threshold() -> None:
    # August: A材料 unit price −15 %, the variance falls from 30 % to 5 %.
    august = compute_cost_variance(D(500000), D(525000))
    assert august.ratio == D("0.05")
    assert not needs_cause(august)


def test_flagged_lines_without_a_cause_or_a_kind_block_the_month() -> None:
    lines = list(seed_lines())
    lines[0] = replace(lines[0], cause="  ")
    lines[2] = replace(lines[2], cause_kind=None)
    analysis = analyze_costs(lines)
    assert [f.line.key for f in analysis.blockers] == ["1", "3"]
    assert [f.missing_cause for f in analysis.lines] == [True, False, True, False]
    assert not analysis.can_close


def test_unflagged_lines_need_no_cause() -> None:
    analysis = analyze_costs([line("1", 1000, 1050)])
    assert analysis.lines[0].flagged is False
    assert analysis.lines[0].missing_cause is False
    assert analysis.blockers == ()


# --------------------------------------------------------------------------- the variance


def test_zero_budget() -> None:
    variance = compute_cost_variance(D(0), D(500))
    assert variance.variance == D(500)
    assert variance.ratio is None
    assert needs_cause(variance)  # an unbudgeted cost
    assert not needs_cause(compute_cost_variance(D(0), D(0)))


def test_negative_actual_is_a_credit() -> None:
    variance = compute_cost_variance(D(1000), D(-200))
    assert variance.variance == D(-1200)
    assert variance.ratio == D("-1.2")
    assert needs_cause(variance)
    assert needs_cause(compute_cost_variance(D(0), D(-1)))


def test_negative_budget_is_an_input_error() -> None:
    with pytest.raises(InputError, match="budget must not be negative") as err:
        compute_cost_variance(D(-1), D(0))
    assert err.value.value == D(-1)


def test_negative_budget_in_an_analysis_names_the_line() -> None:
    with pytest.raises(InputError, match="招待费"):
        analyze_costs([line("9", -5, 0, sub_item="招待费")])


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), 5])
def test_non_decimal_or_non_finite_amounts(value: object) -> None:
    with pytest.raises(InputError):
        compute_cost_variance(value, D(1))  # type: ignore[arg-type]


def test_under_budget_is_flagged_too() -> None:
    assert needs_cause(compute_cost_variance(D(1000), D(850)))  # −15 %


@given(
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2),
)
def test_variance_is_actual_minus_budget(budget: Decimal, actual: Decimal) -> None:
    variance = compute_cost_variance(budget, actual)
    assert variance.variance == actual - budget
    if budget:
        assert variance.ratio is not None
        assert abs(variance.ratio * budget - variance.variance) < D("1e-15") * max(1, budget)
    else:
        assert variance.ratio is None


# -------------------------------------------------------------------------- the threshold


@pytest.mark.parametrize(
    ("actual", "flagged"),
    [(1100, False), (900, False), (1101, True), (899, True), (1000, False), ("1100.01", True)],
)
def test_exactly_at_the_threshold_is_not_flagged(actual: int | str, flagged: bool) -> None:
    assert needs_cause(compute_cost_variance(D(1000), D(actual))) is flagged


def test_custom_threshold() -> None:
    variance = compute_cost_variance(D(1000), D(1150))
    assert needs_cause(variance, D("0.10"))
    assert not needs_cause(variance, D("0.20"))
    assert needs_cause(compute_cost_variance(D(1000), D(1001)), D(0))
    assert not needs_cause(compute_cost_variance(D(1000), D(1000)), D(0))


@pytest.mark.parametrize("threshold", [D("-0.01"), D(10), D(15), D("NaN"), 0.1])
def test_bad_thresholds(threshold: object) -> None:
    with pytest.raises(ConfigError, match="threshold"):
        needs_cause(compute_cost_variance(D(1), D(1)), threshold)  # type: ignore[arg-type]


def test_per_category_thresholds() -> None:
    lines = [
        line("1", 1000, 1150, category="原材料成本"),  # +15 %
        line("2", 1000, 1150, category="办公费用"),  # +15 %
        line("3", 1000, 1060, category="财务费用"),  # +6 %
    ]
    analysis = analyze_costs(
        lines,
        thresholds={"原材料成本": D("0.20"), "财务费用": D("0.05")},
    )
    assert [(f.threshold, f.flagged) for f in analysis.lines] == [
        (D("0.20"), False),
        (DEFAULT_THRESHOLD, True),
        (D("0.05"), True),
    ]
    loose = analyze_costs(lines, default_threshold=D("0.5"))
    assert [f.flagged for f in loose.lines] == [False, False, False]


def test_bad_category_threshold_names_the_category() -> None:
    with pytest.raises(ConfigError, match="原材料成本"):
        analyze_costs([], thresholds={"原材料成本": D(20)})
    with pytest.raises(ConfigError, match="default"):
        analyze_costs([], default_threshold=D(-1))


# ------------------------------------------------------------------------------ analysis


def test_categories_in_order_of_first_appearance() -> None:
    lines = [
        line("1", 100, 150, category="人工成本"),
        line("2", 100, 100, category="办公费用"),
        line("3", 200, 190, category="人工成本"),
        line("4", 0, 0, category="研发费用"),
    ]
    categories = analyze_costs(lines).categories
    assert [c.category for c in categories] == ["人工成本", "办公费用", "研发费用"]
    labour = categories[0]
    assert (labour.budget, labour.actual, labour.lines, labour.flagged) == (D(300), D(340), 2, 1)
    assert labour.variance == compute_cost_variance(D(300), D(340))
    assert categories[2].variance.ratio is None


def test_empty_month() -> None:
    analysis = analyze_costs([])
    assert analysis.lines == analysis.categories == analysis.flagged == ()
    assert analysis.total == CostVariance(D(0), D(0), D(0), None)
    assert analysis.can_close


def test_top_over_budget_ordering() -> None:
    lines = [
        line("b", 1000, 1500),  # +500, +50 %
        line("a", 2000, 2500),  # +500, +25 %
        line("c", 100, 50),  # under budget: left out
        line("d", 0, 500),  # +500, no ratio (unbudgeted): first of the three
        line("e", 10, 20),  # +10
        line("f", 100, 100),  # on budget: left out
        line("g", 20, 30),  # +10, +50 %: same as e but a lower ratio
        line("h", 10, 20),  # +10, +100 %: ties with e, key breaks the tie
    ]
    top = analyze_costs(lines).top_over_budget
    assert [f.line.key for f in top] == ["d", "b", "a", "e", "h", "g"]


def test_input_order_is_kept() -> None:
    lines = [line(k, 100, 100) for k in "zyx"]
    assert [f.line.key for f in analyze_costs(lines).lines] == ["z", "y", "x"]


def test_cause_kind_values() -> None:
    assert CauseKind.CONTROLLABLE == "controllable"
    assert CauseKind.UNCONTROLLABLE == "uncontrollable"
    assert CauseKind("controllable") is CauseKind.CONTROLLABLE


def test_default_categories() -> None:
    natures = {spec.name: spec.nature for spec in DEFAULT_CATEGORIES}
    assert natures == {
        "原材料成本": CostNature.DIRECT,
        "人工成本": CostNature.DIRECT,
        "制造费用": CostNature.INDIRECT,
        "销售费用": CostNature.INDIRECT,
        "管理费用": CostNature.INDIRECT,
        "财务费用": CostNature.INDIRECT,
        "办公费用": CostNature.INDIRECT,
        "研发费用": CostNature.INDIRECT,
    }
    assert all(spec.threshold == D("0.10") for spec in DEFAULT_CATEGORIES)
    assert [spec.name for spec in DEFAULT_CATEGORIES][:2] == ["原材料成本", "人工成本"]
