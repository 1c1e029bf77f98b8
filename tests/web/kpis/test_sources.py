"""Computed KPIs: 成本差异率 takes its monthly value from the T3 cost lines, filled in by the
worker's schedule (``services.run_schedule``), never typed in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from opslens.web.costs.models import CostCategory, CostLine, CostMonth
from opslens.web.costs.services import ensure_categories
from opslens.web.kpis import services
from opslens.web.kpis.models import AlertRule, Kpi, Measurement, Review
from opslens.web.org.models import Department
from tests.web.conftest import client_for

# The seed's June 2024 table: category, sub-item, department, budget, actual.
JUNE = [
    ("原材料成本", "A材料采购", "采购部", 500000, 650000),
    ("人工成本", "销售人员绩效", "销售部", 200000, 230000),
    ("办公费用", "招待费", "运营部", 30000, 45000),
    ("制造费用", "设备水电费", "运营部", 80000, 92000),
]


def _month(first: date, lines: list[tuple[str, str, str, int, int | None]], org: Any) -> CostMonth:
    ensure_categories()
    month = CostMonth.objects.create(month=first)
    for category, sub_item, dept, budget, actual in lines:
        CostLine.objects.create(
            month=month,
            category=CostCategory.objects.get(name=category),
            sub_item=sub_item,
            department=org[dept],
            budget=Decimal(budget),
            actual=Decimal(actual) if actual is not None else None,
        )
    return month


def _variance_kpi(
    org: dict[str, Department], owner: Any, name: str = "成本差异率", **config: str
) -> Kpi:
    return Kpi.objects.create(
        name=name,
        level="company",
        department=org["采购部"],
        owner=owner.person,
        unit="%",
        direction="lower",
        aggregation="average",
        frequency="monthly",
        due_day=8,
        source_kind="cost_variance",
        source_config=config,
        target=Decimal(5),
        warning=Decimal(10),
        tracked_from=date(2024, 6, 1),
    )


def _values(kpi: Kpi) -> dict[str, tuple[Decimal, str, str]]:
    return {m.period.key: (m.value, m.status, m.source) for m in kpi.measurements.all()}


def test_the_schedule_fills_each_finished_month_from_the_cost_lines(org: Any, owner: Any) -> None:
    kpi = _variance_kpi(org, owner)
    _month(date(2024, 6, 1), JUNE, org)
    _month(
        date(2024, 7, 1),
        [
            ("原材料成本", "A材料采购", "采购部", 500000, 540000),
            ("办公费用", "招待费", "运营部", 30000, 28000),
        ],
        org,
    )
    _month(date(2024, 8, 1), [("原材料成本", "A材料采购", "采购部", 500000, 525000)], org)
    _month(date(2024, 9, 1), [("原材料成本", "A材料采购", "采购部", 500000, 900000)], org)

    result = services.run_schedule(today=date(2024, 9, 10))

    assert result["computed"] == 3
    assert _values(kpi) == {
        # (1,017,000 − 810,000) / 810,000 = 25.56%: beyond the 10% warning value
        "2024-06": (Decimal("25.56"), "missed", "computed"),
        # (568,000 − 530,000) / 530,000 = 7.17%
        "2024-07": (Decimal("7.17"), "warning", "computed"),
        "2024-08": (Decimal("5.00"), "met", "computed"),
        # September is not over: no value yet
    }
    assert services.run_schedule(today=date(2024, 9, 10))["computed"] == 0


def test_a_department_and_category_filter(org: Any, owner: Any) -> None:
    procurement = _variance_kpi(org, owner, "采购成本差异率", department="caigou")
    office = _variance_kpi(org, owner, "办公费用差异率", category="办公费用")
    ops_office = _variance_kpi(
        org, owner, "运营部制造费用差异率", department="yunying", category="制造费用"
    )
    nothing = _variance_kpi(org, owner, "财务部差异率", department="caiwu")
    _month(date(2024, 6, 1), JUNE, org)
    services.run_schedule(today=date(2024, 7, 10))
    assert _values(procurement) == {"2024-06": (Decimal("30.00"), "missed", "computed")}
    assert _values(office) == {"2024-06": (Decimal("50.00"), "missed", "computed")}
    assert _values(ops_office) == {"2024-06": (Decimal("15.00"), "missed", "computed")}
    assert _values(nothing) == {}  # no budget: no value


def test_lines_without_actuals_do_not_count(org: Any, owner: Any) -> None:
    kpi = _variance_kpi(org, owner)
    _month(
        date(2024, 6, 1),
        [
            ("原材料成本", "A材料采购", "采购部", 500000, 550000),
            ("人工成本", "绩效", "销售部", 200000, None),
        ],
        org,
    )
    services.run_schedule(today=date(2024, 7, 10))
    assert _values(kpi)["2024-06"][0] == Decimal("10.00")


def test_a_computed_value_follows_later_cost_figures(org: Any, owner: Any) -> None:
    # The worker runs early in July while June's figures are still coming in.
    kpi = _variance_kpi(org, owner)
    june = _month(date(2024, 6, 1), JUNE[:1], org)
    services.run_schedule(today=date(2024, 7, 2))
    assert _values(kpi)["2024-06"][0] == Decimal("30.00")
    for category, sub_item, dept, budget, actual in JUNE[1:]:
        CostLine.objects.create(
            month=june,
            category=CostCategory.objects.get(name=category),
            sub_item=sub_item,
            department=org[dept],
            budget=Decimal(budget),
            actual=Decimal(actual),
        )
    assert services.run_schedule(today=date(2024, 7, 10))["computed"] == 1
    assert _values(kpi)["2024-06"] == (Decimal("25.56"), "missed", "computed")
    assert kpi.measurements.count() == 1


def test_a_value_entered_by_hand_is_not_overwritten(org: Any, owner: Any) -> None:
    kpi = _variance_kpi(org, owner)
    _month(date(2024, 6, 1), JUNE, org)
    Measurement.objects.create(
        kpi=kpi, period_start=date(2024, 6, 1), value=Decimal(3), source="form", status="met"
    )
    assert services.run_schedule(today=date(2024, 7, 10))["computed"] == 0
    assert _values(kpi) == {"2024-06": (Decimal(3), "met", "form")}


def test_the_schedule_evaluates_the_rules_of_computed_kpis(org: Any, owner: Any) -> None:
    kpi = _variance_kpi(org, owner)
    AlertRule.objects.create(
        kpi=kpi,
        name="成本差异率连续两月超过预警值",
        condition="beyond_warning",
        periods=2,
        action="成本复盘",
    )
    _month(date(2024, 6, 1), JUNE, org)
    _month(date(2024, 7, 1), [("原材料成本", "A材料采购", "采购部", 500000, 600000)], org)
    services.run_schedule(today=date(2024, 8, 10))
    review = Review.objects.get()
    assert review.title == "成本复盘（2024-06、2024-07）"
    assert review.owner == owner.person


def test_the_kpi_form_stores_the_source_settings(org: Any, owner: Any) -> None:
    data = {
        "name": "采购成本差异率",
        "level": "department",
        "department": org["采购部"].pk,
        "unit": "%",
        "direction": "lower",
        "aggregation": "average",
        "frequency": "monthly",
        "due_day": "8",
        "source_kind": "cost_variance",
        "cost_department": org["采购部"].pk,
        "cost_category": "原材料成本",
        "target": "5",
        "warning": "10",
        "tracked_from": "2024-06-01",
        "active": "on",
    }
    client = client_for(owner)
    assert client.post("/kpis/new/", data).status_code == 302
    kpi = Kpi.objects.get()
    assert (kpi.source_kind, kpi.source_config) == (
        "cost_variance",
        {"department": "caigou", "category": "原材料成本"},
    )
    form = client.get(f"/kpis/{kpi.pk}/edit/").context["form"]
    assert form.initial["cost_department"] == org["采购部"]
    assert form.initial["cost_category"] == "原材料成本"
    # back to manual: the settings go
    response = client.post(f"/kpis/{kpi.pk}/edit/", data | {"source_kind": "manual"})
    assert response.status_code == 302
    kpi.refresh_from_db()
    assert (kpi.source_kind, kpi.source_config) == ("manual", {})


@pytest.mark.parametrize("kind", ["nonsense", ""])
def test_an_unknown_source_is_a_form_error(org: Any, owner: Any, kind: str) -> None:
    data = {
        "name": "x",
        "level": "department",
        "department": org["采购部"].pk,
        "direction": "higher",
        "aggregation": "sum",
        "frequency": "monthly",
        "due_day": "5",
        "source_kind": kind,
        "tracked_from": "2024-06-01",
    }
    response = client_for(owner).post("/kpis/new/", data)
    assert response.status_code == 200
    assert "source_kind" in response.context["form"].errors
    assert not Kpi.objects.exists()
