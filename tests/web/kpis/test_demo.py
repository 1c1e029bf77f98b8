"""The demo company's KPIs (``opslens demo``, today 2024-09-10): SPEC.md T5's examples."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings

from opslens.web.common.demo import load_demo
from opslens.web.kpis import services
from opslens.web.kpis.models import Alert, AlertRule, Kpi, Review
from tests.web.conftest import client_for

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def company(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Loaded once for the module (it takes seconds), inside a transaction rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(OPSLENS_TODAY="2024-09-10", PASSWORD_HASHERS=MD5):
            assert load_demo() is True
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _demo_today(company: None, db: None, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-09-10"


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def test_kpis_of_every_level_with_eight_months_of_history() -> None:
    by_dept: dict[str, list[str]] = {}
    for kpi in Kpi.objects.select_related("department"):
        by_dept.setdefault(kpi.department.name, []).append(kpi.name)
    company_level = set(Kpi.objects.filter(level="company").values_list("name", flat=True))
    assert {"营业收入", "净利润", "客户满意度", "员工流失率"} <= company_level
    assert {"销售额", "新客户数量", "客户复购率", "销售费用率"} <= set(by_dept["销售部"])
    assert {"产量", "设备利用率", "人均产值"} <= set(by_dept["生产部"])
    assert "产品合格率" in by_dept["质检部"]
    assert Kpi.objects.filter(level="project").exists()
    for name in ["营业收入", "客户满意度", "员工流失率", "销售额", "产量", "产品合格率"]:
        kpi = Kpi.objects.get(name=name)
        months = {m.period_start.replace(day=1) for m in kpi.measurements.all()}
        assert len(months) >= 8, name
        assert all(m.status for m in kpi.measurements.all()), name  # every value judged


def test_revenue_breakdown_does_not_add_up() -> None:
    revenue = Kpi.objects.get(name="营业收入")
    year = services.decomposition(revenue, 2024)[0]
    assert year.parent_target == Decimal(20000)
    assert year.check is not None and not year.check.consistent
    assert year.check.combined == Decimal(19000)
    assert year.check.gap == Decimal(-1000)
    page = client_for(_user("viewer")).get(f"/kpis/{revenue.pk}/targets/?year=2024")
    row = page.content.decode().split('<tr data-period="2024">')[1].split("</tr>")[0]
    assert "−1,000" in row and "(−5%)" in row and "does not add up" in row
    # the demo's monthly split does add up to each quarter
    assert all(
        b.check is not None and b.check.consistent
        for b in services.decomposition(revenue, 2024)[1:]
    )


def test_the_sales_rule_fired_for_the_last_two_weeks() -> None:
    rule = AlertRule.objects.get(kpi__name="销售额")
    assert rule.firing
    latest = Alert.objects.filter(rule=rule).order_by("-period_start").first()
    assert latest is not None and latest.streak == "2024-W35、2024-W36"
    review = Review.objects.get(rule=rule, status="open")
    assert latest.review == review
    assert review.title == "启动销售复盘（2024-W35、2024-W36）"
    assert review.owner is not None and review.owner.name == "杨帆"
    # fired when W36's value came in, on its due day (Monday 9 September): 7 days to review
    assert review.due_date == date(2024, 9, 16)
    # one bad week alone (清明, 2024-W14) did not fire
    assert not Alert.objects.filter(rule=rule, streak__contains="2024-W14").exists()


def test_the_quality_rule_fired_in_may_and_recovered() -> None:
    alert = Alert.objects.get(rule__kpi__name="产品合格率")
    assert alert.streak == "2024-05-14、2024-05-15、2024-05-16"
    assert alert.recovered is not None
    assert alert.review is not None and alert.review.status == "done" and alert.review.cause


def test_net_profit_for_august_is_overdue() -> None:
    profit = Kpi.objects.get(name="净利润")
    assert profit.owner is not None and profit.owner.name == "孙悦"
    late = services.overdue([profit])
    assert [(d.period.key, d.due_date, d.days_late) for d in late] == [
        ("2024-08", date(2024, 9, 5), 5)
    ]
    # the head of 财务部 sees it in the list of values due
    rows = client_for(_user("caiwu")).get("/kpis/overdue/").context["items"]
    assert any(d.kpi == profit and d.period.key == "2024-08" for d in rows)


def test_the_cost_variance_kpi_is_computed() -> None:
    kpi = Kpi.objects.get(name="成本差异率")
    keys = {m.period.key: m.source for m in kpi.measurements.all()}
    assert keys == {"2024-06": "computed", "2024-07": "computed", "2024-08": "computed"}


def test_the_monthly_reports() -> None:
    client = client_for(_user("viewer"))
    august = client.get("/kpis/report/2024-08/").context["report"]
    assert len(august.rows) == Kpi.objects.filter(active=True).count()
    rows = {row.kpi.name: row for row in august.rows}
    assert rows["营业收入"].point.value == 1705 and rows["营业收入"].status == "met"
    assert rows["净利润"].status == ""  # not reported yet
    september = client.get("/kpis/report/2024-09/").context["report"]
    sales = next(row for row in september.anomalies if row.kpi.name == "销售额")
    assert [a.streak for a in sales.alerts] == ["2024-W35、2024-W36"]
    assert [r.title for r in sales.reviews] == ["启动销售复盘（2024-W35、2024-W36）"]
    assert sales.statuses == {"missed": 2}  # W35 and W36 end in September
