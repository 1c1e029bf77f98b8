"""Values past their due day: 净利润 is due before the 5th of the following month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from opslens.web.common.models import Notification
from opslens.web.kpis import services
from opslens.web.kpis.models import Kpi, Measurement, OverdueReminder
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure


@pytest.fixture
def profit(org: Any, owner: Any) -> Kpi:
    """净利润, monthly, due day 5, measured since January; January–June are in."""
    kpi = Kpi.objects.create(
        name="净利润",
        level="company",
        department=org["采购部"],
        owner=owner.person,
        unit="万元",
        frequency="monthly",
        due_day=5,
        target=Decimal(150),
        warning=Decimal(120),
        tracked_from=date(2024, 1, 1),
    )
    for month in range(1, 7):
        Measurement.objects.create(
            kpi=kpi, period_start=date(2024, month, 1), value=Decimal(150), source="form"
        )
    return kpi


def _overdue_rows(client: Any, url: str = "/kpis/overdue/") -> list[tuple[str, str]]:
    return [(d.kpi.name, d.period.key) for d in client.get(url).context["items"]]


def test_after_the_due_day_the_missing_month_is_listed(
    profit: Kpi, owner: Any, colleague: Any, settings: Any
) -> None:
    settings.OPSLENS_TODAY = "2024-08-06"
    client = client_for(colleague)
    response = client.get("/kpis/overdue/")
    assert [(d.kpi, d.period.key, d.due_date, d.days_late) for d in response.context["items"]] == [
        (profit, "2024-07", date(2024, 8, 5), 1)
    ]
    row = response.content.decode().split('data-testid="overdue"')[1]
    assert "净利润" in row and "2024-07" in row and "王强" in row
    # the owner sees it on the dashboard; the colleague does not owe it
    mine = client_for(owner).get("/kpis/")
    assert [(d.kpi, d.period.key) for d in mine.context["my_overdue"]] == [(profit, "2024-07")]
    assert "Values you owe" in mine.content.decode()
    theirs = client.get("/kpis/")
    assert theirs.context["my_overdue"] == []
    assert "Values you owe" not in theirs.content.decode()
    assert _overdue_rows(client, "/kpis/overdue/?mine=1") == []
    assert _overdue_rows(client_for(owner), "/kpis/overdue/?mine=1") == [("净利润", "2024-07")]
    # the KPI page flags it too
    assert client.get(f"/kpis/{profit.pk}/").context["overdue"][0].period.key == "2024-07"


@pytest.mark.parametrize("today", ["2024-07-31", "2024-08-04", "2024-08-05"])
def test_until_the_due_day_nothing_is_overdue(
    profit: Kpi, owner: Any, settings: Any, today: str
) -> None:
    settings.OPSLENS_TODAY = today
    assert _overdue_rows(client_for(owner)) == []
    assert client_for(owner).get("/kpis/").context["my_overdue"] == []


def test_entering_the_value_clears_it(profit: Kpi, owner: Any, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-08-20"
    client = client_for(owner)
    assert _overdue_rows(client) == [("净利润", "2024-07")]
    measure(client, profit, "2024-07", "140")
    assert _overdue_rows(client) == []


def test_every_missing_month_since_tracking_started(profit: Kpi, owner: Any, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-10-06"
    Measurement.objects.filter(kpi=profit, period_start=date(2024, 2, 1)).delete()
    rows = _overdue_rows(client_for(owner))
    assert rows == [
        ("净利润", "2024-02"),
        ("净利润", "2024-07"),
        ("净利润", "2024-08"),
        ("净利润", "2024-09"),
    ]
    Kpi.objects.filter(pk=profit.pk).update(tracked_from=date(2024, 8, 1))
    assert _overdue_rows(client_for(owner)) == [("净利润", "2024-08"), ("净利润", "2024-09")]


def test_inactive_and_computed_kpis_are_never_overdue(
    profit: Kpi, owner: Any, settings: Any
) -> None:
    settings.OPSLENS_TODAY = "2024-08-06"
    Kpi.objects.filter(pk=profit.pk).update(active=False)
    assert _overdue_rows(client_for(owner)) == []
    Kpi.objects.filter(pk=profit.pk).update(active=True, source_kind="cost_variance")
    assert _overdue_rows(client_for(owner)) == []


def test_a_weekly_kpi_is_due_days_after_the_week(sales: Kpi, owner: Any, settings: Any) -> None:
    # 销售额 (since 2024-W22) is due one day after each week ends (the Monday).
    settings.OPSLENS_TODAY = "2024-06-03"  # Monday of W23: W22 is due today
    assert _overdue_rows(client_for(owner)) == []
    settings.OPSLENS_TODAY = "2024-06-04"
    assert _overdue_rows(client_for(owner)) == [("销售额", "2024-W22")]


def test_reminders_are_sent_once(profit: Kpi, owner: Any, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-08-04"
    assert services.remind_overdue() == 0
    settings.OPSLENS_TODAY = "2024-08-06"
    assert services.remind_overdue() == 1
    note = Notification.objects.get()
    assert note.user == owner
    assert note.message == "净利润: the value for 2024-07 was due on 2024-08-05."
    assert note.url == f"/kpis/{profit.pk}/"
    assert services.remind_overdue() == 0
    assert Notification.objects.count() == 1
    assert list(OverdueReminder.objects.values_list("period_start", flat=True)) == [
        date(2024, 7, 1)
    ]
    # next month: one more, for August only
    settings.OPSLENS_TODAY = "2024-09-06"
    assert services.run_schedule()["reminded"] == 1
    assert Notification.objects.count() == 2


def test_reminders_go_to_the_department_head_without_an_owner(
    profit: Kpi, owner: Any, settings: Any
) -> None:
    Kpi.objects.filter(pk=profit.pk).update(owner=None)
    assert services.remind_overdue(today=date(2024, 8, 6)) == 1
    assert Notification.objects.get().user == owner  # head of 采购部


def test_an_overdue_review_is_reminded_once(sales: Kpi, owner: Any, settings: Any) -> None:
    from opslens.web.kpis.models import Review

    review = Review.objects.create(
        kpi=sales, title="启动销售复盘", owner=owner.person, due_date=date(2024, 6, 27)
    )
    settings.OPSLENS_TODAY = "2024-06-27"  # due today: not late yet
    assert services.run_schedule()["reviews"] == 0
    settings.OPSLENS_TODAY = "2024-06-28"
    assert services.run_schedule()["reviews"] == 1
    note = Notification.objects.get(user=owner, message__contains="启动销售复盘")
    assert "was due on 2024-06-27 and is still open" in note.message
    assert note.url == review.get_absolute_url()
    assert services.run_schedule()["reviews"] == 0  # once, not every quarter of an hour
    review.status = Review.Status.DONE
    review.cause = "缺货"
    review.save()
    settings.OPSLENS_TODAY = "2024-07-30"
    assert services.run_schedule()["reviews"] == 0
