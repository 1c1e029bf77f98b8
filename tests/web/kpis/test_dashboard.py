"""The KPI dashboard: each KPI's latest period as a traffic light, grouped by level, with the
alerts firing and the open reviews."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from opslens.web.kpis.models import AlertRule, Kpi
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure


def test_cards_counts_alerts_and_reviews(
    org: Any, sales: Kpi, rule: AlertRule, owner: Any, admin: Any, viewer: Any
) -> None:
    revenue = Kpi.objects.create(
        name="营业收入",
        level="company",
        department=org["销售部"],
        frequency="monthly",
        target=Decimal(1500),
        warning=Decimal(1350),
        tracked_from=date(2024, 1, 1),
    )
    Kpi.objects.create(
        name="新客户数量",
        level="department",
        department=org["销售部"],
        frequency="monthly",
        tracked_from=date(2024, 1, 1),
    )
    Kpi.objects.create(name="停用指标", level="company", department=org["采购部"], active=False)
    client = client_for(owner)
    measure(client, sales, "2024-W23", 350)
    measure(client, sales, "2024-W24", 340)  # fires
    measure(client_for(admin), revenue, "2024-05", 1400)

    response = client_for(viewer).get("/kpis/")
    assert response.status_code == 200
    cards = {c.kpi.name: c for _label, members in response.context["groups"] for c in members}
    assert set(cards) == {"销售额", "营业收入", "新客户数量"}  # not the inactive one
    assert (cards["销售额"].status, cards["销售额"].firing, cards["销售额"].open_reviews) == (
        "missed",
        True,
        1,
    )
    assert cards["销售额"].latest.period.key == "2024-W24"
    assert cards["营业收入"].status == "warning"
    assert cards["新客户数量"].latest is None
    assert [label for label, _m in response.context["groups"]] == ["Company", "Department"]
    assert response.context["counts"] == {"met": 0, "warning": 1, "missed": 1}
    page = response.content.decode()
    assert 'data-testid="count-missed">1<' in page
    assert 'data-kpi="销售额" data-status="missed"' in page
    assert "启动销售复盘（2024-W23、2024-W24）" in page  # the open review
    assert [r.name for r in response.context["firing"]] == ["销售额连续两周低于预警值"]
    # the trend chart data is in the page
    chart = response.context["charts"][f"kpi-chart-{sales.pk}"]
    assert chart["labels"][-2:] == ["2024-W24", "2024-W25"]
    assert chart["values"][-2:] == [340.0, None]
    assert chart["target"][-1] == 400.0 and chart["warning"][-1] == 360.0

    by_level = client_for(viewer).get("/kpis/?level=company")
    assert [c.kpi.name for _l, m in by_level.context["groups"] for c in m] == ["营业收入"]
    by_dept = client_for(viewer).get("/kpis/?department=caigou")
    assert [c.kpi.name for _l, m in by_dept.context["groups"] for c in m] == ["销售额"]


def test_no_kpis_yet(org: Any, owner: Any, viewer: Any) -> None:
    assert "Define the first one." in client_for(owner).get("/kpis/").content.decode()
    page = client_for(viewer).get("/kpis/").content.decode()
    assert "No KPIs yet." in page and "Define the first one." not in page
