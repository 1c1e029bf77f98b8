"""Month-by-month trends: ordering, matching lines across months, explicit gaps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opslens.core.costs import (
    CostLine,
    TrendPoint,
    compute_cost_variance,
    trend_by_category,
    trend_by_line,
)
from opslens.core.errors import ConfigError

from . import seed_lines

D = Decimal


def line(category: str, sub_item: str, budget: int, actual: int) -> CostLine:
    return CostLine(f"{category}/{sub_item}", category, sub_item, D(budget), D(actual))


def test_seed_a_material_from_june_to_august() -> None:
    june = seed_lines()
    july = [line("原材料成本", "A材料采购", 500000, 600000)]
    august = [line("原材料成本", "A材料采购", 500000, 525000)]
    trends = trend_by_line([("2024-08", august), ("2024-06", june), ("2024-07", july)])
    material = next(t for t in trends if t.sub_item == "A材料采购")
    assert material.category == "原材料成本"
    assert [p.month for p in material.points] == ["2024-06", "2024-07", "2024-08"]
    ratios = [p.variance.ratio for p in material.points if p.variance is not None]
    assert ratios == [D("0.3"), D("0.2"), D("0.05")]


def test_missing_months_are_gaps_not_zeros() -> None:
    months = [
        (
            "2024-06",
            [line("办公费用", "招待费", 30000, 45000), line("办公费用", "快递费", 100, 90)],
        ),
        ("2024-07", [line("办公费用", "快递费", 100, 100)]),
        ("2024-08", [line("办公费用", "招待费", 30000, 31000)]),
    ]
    trends = trend_by_line(months)
    assert [(t.category, t.sub_item) for t in trends] == [
        ("办公费用", "招待费"),
        ("办公费用", "快递费"),
    ]
    hospitality = trends[0].points
    assert hospitality[1] == TrendPoint("2024-07", None)
    assert hospitality[2].variance == compute_cost_variance(D(30000), D(31000))
    courier = trends[1].points
    assert courier[2] == TrendPoint("2024-08", None)
    assert all(len(t.points) == 3 for t in trends)


def test_lines_are_matched_by_category_and_sub_item() -> None:
    months = [
        ("2024-06", [line("办公费用", "差旅费", 100, 120), line("销售费用", "差旅费", 50, 50)]),
        ("2024-07", [line("销售费用", "差旅费", 50, 80)]),
    ]
    trends = trend_by_line(months)
    assert [(t.category, t.sub_item) for t in trends] == [
        ("办公费用", "差旅费"),
        ("销售费用", "差旅费"),
    ]
    assert trends[0].points[1].variance is None
    sales = trends[1].points
    assert sales[1].variance is not None
    assert sales[1].variance.variance == D(30)


def test_duplicate_lines_in_a_month_are_added_together() -> None:
    months = [
        ("2024-06", [line("人工成本", "加班费", 100, 150), line("人工成本", "加班费", 200, 200)])
    ]
    (trend,) = trend_by_line(months)
    assert trend.points[0].variance == compute_cost_variance(D(300), D(350))


def test_trend_by_category_sums_each_month() -> None:
    months = [
        ("2024-07", [line("人工成本", "加班费", 100, 90)]),
        ("2024-06", seed_lines()),
        ("2024-08", []),
    ]
    trends = trend_by_category(months)
    assert [t.category for t in trends] == ["原材料成本", "人工成本", "办公费用", "制造费用"]
    labour = next(t for t in trends if t.category == "人工成本")
    assert [p.month for p in labour.points] == ["2024-06", "2024-07", "2024-08"]
    assert labour.points[0].variance == compute_cost_variance(D(200000), D(230000))
    assert labour.points[1].variance == compute_cost_variance(D(100), D(90))
    assert labour.points[2].variance is None
    material = trends[0]
    assert [p.variance is None for p in material.points] == [False, True, True]


def test_zero_budget_month_in_a_trend() -> None:
    (trend,) = trend_by_line([("2024-06", [line("研发费用", "试验", 0, 500)])])
    variance = trend.points[0].variance
    assert variance is not None
    assert variance.ratio is None


def test_no_months() -> None:
    assert trend_by_line([]) == ()
    assert trend_by_category([]) == ()


def test_a_month_given_twice() -> None:
    with pytest.raises(ConfigError, match="2024-06"):
        trend_by_line([("2024-06", []), ("2024-06", [])])
