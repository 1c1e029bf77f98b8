"""Alert rules evaluated when a value is entered: "销售额连续两周低于预警值,需启动销售复盘".

One bad week is not enough; the second consecutive one fires once, opens one review (复盘) for
the KPI's owner due in ``review_days`` and notifies the owner; more bad weeks do not fire again.
After a recovery a fresh streak fires again — unless the previous review is still open, which
suppresses the new alert. A week without a value breaks the streak.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from opslens.web.common.models import Notification
from opslens.web.kpis import services
from opslens.web.kpis.models import Alert, AlertRule, Kpi, Measurement, Review
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure, messages_of

TODAY = date(2024, 6, 20)


def _week(client: Any, kpi: Kpi, key: str, value: int) -> Any:
    response = measure(client, kpi, key, value)
    assert response.status_code == 302, key
    return response


def test_one_bad_week_does_not_fire(sales: Kpi, rule: AlertRule, owner: Any) -> None:
    client = client_for(owner)
    _week(client, sales, "2024-W22", 410)
    _week(client, sales, "2024-W23", 350)
    assert not Alert.objects.exists()
    assert not Review.objects.exists()
    assert not Notification.objects.exists()
    rule.refresh_from_db()
    assert not rule.firing


def test_a_warning_week_is_not_below_the_warning_value(
    sales: Kpi, rule: AlertRule, owner: Any
) -> None:
    client = client_for(owner)
    _week(client, sales, "2024-W22", 350)
    _week(client, sales, "2024-W23", 360)  # exactly the warning value: 预警, not below it
    assert not Alert.objects.exists()


def test_the_second_consecutive_bad_week_fires_once(
    sales: Kpi, rule: AlertRule, owner: Any, colleague: Any
) -> None:
    client = client_for(colleague)  # the colleague enters; the owner is told
    _week(client, sales, "2024-W22", 350)
    response = client.post(
        f"/kpis/{sales.pk}/measure/", {"period": "2024-W23", "value": "340"}, follow=True
    )
    alert = Alert.objects.get()
    assert alert.rule == rule
    assert alert.streak == "2024-W22、2024-W23"
    assert alert.period_start == date(2024, 6, 3)
    assert alert.value == 340
    review = Review.objects.get()
    assert alert.review == review
    assert review.rule == rule and review.kpi == sales
    assert review.title == "启动销售复盘（2024-W22、2024-W23）"
    assert review.owner == owner.person
    assert review.status == "open"
    assert review.due_date == TODAY + timedelta(days=7)
    note = Notification.objects.get()
    assert note.user == owner
    assert note.url == f"/kpis/reviews/{review.pk}/"
    assert "销售额" in note.message and "2024-W22、2024-W23" in note.message
    assert "2024-06-27" in note.message
    rule.refresh_from_db()
    assert rule.firing
    shown = " ".join(messages_of(response))
    assert "Alert “销售额连续两周低于预警值” fired" in shown
    assert "王强" in shown  # the owner the review was opened for
    # the KPI page shows the alert and the review
    page = client.get(f"/kpis/{sales.pk}/").content.decode()
    assert "⚠ 销售额连续两周低于预警值" in page
    assert review.get_absolute_url() in page


def test_a_third_bad_week_does_not_fire_again(sales: Kpi, rule: AlertRule, owner: Any) -> None:
    client = client_for(owner)
    for key, value in [("2024-W22", 350), ("2024-W23", 340), ("2024-W24", 330)]:
        _week(client, sales, key, value)
    assert Alert.objects.count() == 1
    assert Review.objects.count() == 1
    assert Notification.objects.count() == 1


def test_after_the_review_is_closed_and_recovery_a_new_streak_fires(
    sales: Kpi, rule: AlertRule, owner: Any
) -> None:
    client = client_for(owner)
    _week(client, sales, "2024-W20", 350)
    _week(client, sales, "2024-W21", 340)
    first = Alert.objects.get()
    review = first.review
    response = client.post(
        f"/kpis/reviews/{review.pk}/",
        {
            "title": review.title,
            "owner": owner.person.pk,
            "due_date": review.due_date.isoformat(),
            "status": "done",
            "cause": "主力产品缺货",
            "suggestion": "提前备货",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "done" and review.closed is not None

    recovered = client.post(
        f"/kpis/{sales.pk}/measure/", {"period": "2024-W22", "value": "420"}, follow=True
    )
    assert "“销售额连续两周低于预警值” has recovered." in messages_of(recovered)
    first.refresh_from_db()
    assert first.recovered is not None and first.recovered_period == date(2024, 5, 27)
    rule.refresh_from_db()
    assert not rule.firing

    _week(client, sales, "2024-W23", 350)
    assert Alert.objects.count() == 1  # a fresh streak needs two weeks again
    _week(client, sales, "2024-W24", 345)
    assert Alert.objects.count() == 2
    second = Alert.objects.exclude(pk=first.pk).get()
    assert second.streak == "2024-W23、2024-W24"
    assert second.review is not None and second.review != review
    assert second.review.status == "open"
    assert Review.objects.filter(status="open").count() == 1
    assert Notification.objects.filter(user=owner).count() == 2


def test_while_the_review_is_open_a_new_streak_is_suppressed(
    sales: Kpi, rule: AlertRule, owner: Any
) -> None:
    client = client_for(owner)
    _week(client, sales, "2024-W20", 350)
    _week(client, sales, "2024-W21", 340)
    _week(client, sales, "2024-W22", 420)  # recovers; the review stays open
    _week(client, sales, "2024-W23", 350)
    response = client_for(owner).post(  # a fresh session: only this request's messages
        f"/kpis/{sales.pk}/measure/", {"period": "2024-W24", "value": "345"}, follow=True
    )
    assert Alert.objects.count() == 1
    assert Review.objects.count() == 1
    assert Notification.objects.count() == 1
    shown = " ".join(messages_of(response))
    assert "its review is still open, so no new alert" in shown
    assert "fired" not in shown
    rule.refresh_from_db()
    assert rule.firing  # the condition holds; it is only the review that is not duplicated


def test_a_missing_week_breaks_the_streak(sales: Kpi, rule: AlertRule, owner: Any) -> None:
    client = client_for(owner)
    _week(client, sales, "2024-W21", 350)
    _week(client, sales, "2024-W23", 340)  # W22 has no value
    assert not Alert.objects.exists()
    _week(client, sales, "2024-W24", 330)  # W23 and W24 are consecutive
    assert Alert.objects.get().streak == "2024-W23、2024-W24"


def test_a_disabled_rule_does_not_fire(sales: Kpi, rule: AlertRule, owner: Any) -> None:
    AlertRule.objects.filter(pk=rule.pk).update(enabled=False)
    client = client_for(owner)
    _week(client, sales, "2024-W22", 350)
    _week(client, sales, "2024-W23", 340)
    assert not Alert.objects.exists()


def test_without_an_owner_the_department_head_gets_the_review(
    sales: Kpi, rule: AlertRule, owner: Any, colleague: Any
) -> None:
    Kpi.objects.filter(pk=sales.pk).update(owner=colleague.person)
    client = client_for(owner)
    _week(client, sales, "2024-W22", 350)
    _week(client, sales, "2024-W23", 340)
    assert Review.objects.get().owner == colleague.person
    assert Notification.objects.get().user == colleague
    Alert.objects.all().delete()
    Review.objects.all().delete()
    Notification.objects.all().delete()
    AlertRule.objects.filter(pk=rule.pk).update(firing=False)
    Kpi.objects.filter(pk=sales.pk).update(owner=None)
    _week(client, sales, "2024-W24", 330)
    assert Review.objects.get().owner == owner.person  # head of 采购部
    assert Notification.objects.get().user == owner


def test_a_new_rule_is_evaluated_when_saved(sales: Kpi, owner: Any) -> None:
    client = client_for(owner)
    _week(client, sales, "2024-W22", 350)
    _week(client, sales, "2024-W23", 340)
    response = client.post(
        f"/kpis/{sales.pk}/rules/new/",
        {
            "name": "连续两周低于预警值",
            "condition": "beyond_warning",
            "periods": "2",
            "recovery": "clear",
            "recovery_periods": "1",
            "action": "启动销售复盘",
            "review_days": "3",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.due_date == TODAY + timedelta(days=3)


def test_a_rule_saved_disabled_is_not_evaluated(sales: Kpi, owner: Any) -> None:
    client = client_for(owner)
    _week(client, sales, "2024-W22", 350)
    _week(client, sales, "2024-W23", 340)
    data = {
        "name": "连续两周低于预警值",
        "condition": "beyond_warning",
        "periods": "2",
        "recovery": "clear",
        "recovery_periods": "1",
        "review_days": "7",
    }  # "enabled" unchecked
    assert client.post(f"/kpis/{sales.pk}/rules/new/", data).status_code == 302
    rule = AlertRule.objects.get()
    assert not rule.enabled and not rule.firing
    assert not Alert.objects.exists()
    assert not Review.objects.exists()
    # enabling it evaluates it
    data["enabled"] = "on"
    assert client.post(f"/kpis/{sales.pk}/rules/{rule.pk}/", data).status_code == 302
    assert Alert.objects.count() == 1


def test_a_long_streak_still_fits_the_alert_and_review(org: Any, owner: Any) -> None:
    """A daily KPI whose rule needs 40 days: the streak and the title must fit their columns."""
    quality = Kpi.objects.create(
        name="产品合格率",
        level="department",
        department=org["采购部"],
        owner=owner.person,
        unit="%",
        frequency="daily",
        due_day=1,
        target=Decimal("99.5"),
        warning=Decimal(99),
        tracked_from=date(2024, 5, 1),
    )
    AlertRule.objects.create(
        kpi=quality,
        name="合格率连续40天低于预警值",
        condition="beyond_warning",
        periods=40,
        action="质量异常复盘" * 30,  # 180 characters
    )
    for day in range(40):
        Measurement.objects.create(
            kpi=quality,
            period_start=date(2024, 5, 1) + timedelta(days=day),
            value=Decimal("98.5"),
            source="import",
        )
    outcome = services.evaluate_rules(quality)
    (alert,) = outcome.fired
    alert.full_clean()  # every value fits its column (PostgreSQL refuses what does not)
    alert.review.full_clean()
    assert "2024-05-01" in alert.streak and "2024-06-09" in alert.streak
    assert "2024-05-01" in alert.review.title and "2024-06-09" in alert.review.title


def test_a_change_rule_needs_its_percentage(sales: Kpi, owner: Any) -> None:
    response = client_for(owner).post(
        f"/kpis/{sales.pk}/rules/new/",
        {
            "name": "环比下降",
            "condition": "change",
            "periods": "1",
            "recovery": "clear",
            "recovery_periods": "1",
            "review_days": "7",
        },
    )
    assert response.status_code == 200
    assert "change_pct" in response.context["form"].errors
    assert not AlertRule.objects.exists()


# --- reviews ----------------------------------------------------------------------------------


def _review(sales: Kpi, rule: AlertRule, owner: Any) -> Review:
    return Review.objects.create(
        kpi=sales, rule=rule, title="启动销售复盘", owner=owner.person, due_date=TODAY
    )


def test_a_review_cannot_be_closed_without_a_cause(sales: Kpi, rule: AlertRule, owner: Any) -> None:
    review = _review(sales, rule, owner)
    data = {
        "title": review.title,
        "owner": owner.person.pk,
        "due_date": "2024-06-20",
        "status": "done",
        "cause": "   ",
        "suggestion": "加强备货",
    }
    response = client_for(owner).post(f"/kpis/reviews/{review.pk}/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["cause"] == [
        "State the cause before closing the review."
    ]
    review.refresh_from_db()
    assert review.status == "open" and review.closed is None and review.suggestion == ""


def test_reopening_a_review_clears_its_closing_time(
    sales: Kpi, rule: AlertRule, owner: Any
) -> None:
    review = _review(sales, rule, owner)
    data = {
        "title": review.title,
        "owner": owner.person.pk,
        "due_date": "2024-06-20",
        "status": "done",
        "cause": "缺货",
    }
    client = client_for(owner)
    assert client.post(f"/kpis/reviews/{review.pk}/", data).status_code == 302
    review.refresh_from_db()
    assert review.closed is not None
    assert client.post(f"/kpis/reviews/{review.pk}/", data | {"status": "open"}).status_code == 302
    review.refresh_from_db()
    assert review.status == "open" and review.closed is None


def test_an_overdue_review_is_marked(sales: Kpi, rule: AlertRule, owner: Any) -> None:
    review = _review(sales, rule, owner)
    Review.objects.filter(pk=review.pk).update(due_date=date(2020, 1, 1))
    page = client_for(owner).get(f"/kpis/reviews/{review.pk}/").content.decode()
    assert 'class="tag overdue"' in page


def test_opening_a_review_by_hand(sales: Kpi, owner: Any) -> None:
    client = client_for(owner)
    form = client.get(f"/kpis/{sales.pk}/reviews/new/").context["form"]
    assert form.initial["due_date"] == TODAY + timedelta(days=7)
    response = client.post(
        f"/kpis/{sales.pk}/reviews/new/",
        {"title": "季度复盘", "owner": owner.person.pk, "due_date": "2024-07-01", "status": "open"},
    )
    review = Review.objects.get()
    assert response["Location"] == f"/kpis/reviews/{review.pk}/"
    assert (review.kpi, review.rule, review.title) == (sales, None, "季度复盘")


def test_a_closed_review_cannot_be_reopened_beside_the_rules_open_one(
    sales: Kpi, rule: AlertRule, owner: Any
) -> None:
    closed = Review.objects.create(
        kpi=sales,
        rule=rule,
        title="第一次复盘",
        owner=owner.person,
        due_date=TODAY,
        status="done",
        cause="缺货",
    )
    Review.objects.create(
        kpi=sales, rule=rule, title="第二次复盘", owner=owner.person, due_date=TODAY
    )
    data = {
        "title": closed.title,
        "owner": owner.person.pk,
        "due_date": "2024-06-20",
        "status": "open",
        "cause": "缺货",
    }
    response = client_for(owner).post(f"/kpis/reviews/{closed.pk}/", data)
    assert response.status_code == 422
    assert response.context["form"].errors
    closed.refresh_from_db()
    assert closed.status == "done"
