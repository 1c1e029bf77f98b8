"""Who may read and change KPIs, healthchecks style: every kpis URL × every kind of user.

Everyone logged in reads every page; a KPI (its values, targets, rules, reviews) and a webhook are
changed only by the people of their department (采购部 here: ``owner`` and ``colleague``) and by
operations admins. ``outsider`` (head of 销售部) and ``viewer`` get 403 on every change, and the
database stays as it was. Anonymous users are sent to the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opslens.web.kpis.models import AlertRule, Kpi, KpiTarget, Measurement, Review, Webhook
from tests.web.conftest import client_for
from tests.web.kpis.conftest import snapshot

EDITORS = ["owner", "colleague", "admin"]
FORBIDDEN = ["outsider", "viewer"]
EVERYONE = EDITORS + FORBIDDEN


@pytest.fixture
def world(
    org: Any,
    owner: Any,
    colleague: Any,
    outsider: Any,
    admin: Any,
    viewer: Any,
    sales: Kpi,
    rule: AlertRule,
) -> SimpleNamespace:
    m = Measurement.objects.create(
        kpi=sales,
        period_start=date(2024, 6, 3),
        value=Decimal(380),
        source="form",
        status="warning",
    )
    KpiTarget.objects.create(
        kpi=sales,
        frequency="weekly",
        period_start=date(2024, 6, 10),
        target=Decimal(420),
        warning=Decimal(380),
    )
    review = Review.objects.create(
        kpi=sales, rule=rule, title="启动销售复盘", owner=owner.person, due_date=date(2024, 6, 27)
    )
    hook = Webhook.objects.create(
        name="采购群", kind="generic", url="http://127.0.0.1:9/hook", department=org["采购部"]
    )
    rule.webhooks.add(hook)
    return SimpleNamespace(org=org, kpi=sales, m=m, rule=rule, review=review, hook=hook)


def _user(request: pytest.FixtureRequest, name: str) -> Any:
    return request.getfixturevalue(name)


def _statuses(request: pytest.FixtureRequest, users: list[str], path: str) -> dict[str, int]:
    return {who: client_for(_user(request, who)).get(path).status_code for who in users}


# --- pages everyone reads -------------------------------------------------------------------

READ_PAGES: list[tuple[str, Callable[[Any], str]]] = [
    ("dashboard", lambda w: "/kpis/"),
    ("dashboard-level", lambda w: "/kpis/?level=department"),
    ("dashboard-dept", lambda w: "/kpis/?department=caigou"),
    ("overdue", lambda w: "/kpis/overdue/"),
    ("overdue-mine", lambda w: "/kpis/overdue/?mine=1"),
    ("report-latest", lambda w: "/kpis/report/"),
    ("report", lambda w: "/kpis/report/2024-06/"),
    ("report-xlsx", lambda w: "/kpis/report/2024-06/export.xlsx"),
    ("webhooks", lambda w: "/kpis/webhooks/"),
    ("detail", lambda w: f"/kpis/{w.kpi.pk}/"),
    ("detail-year", lambda w: f"/kpis/{w.kpi.pk}/?year=2023"),
    ("targets", lambda w: f"/kpis/{w.kpi.pk}/targets/"),
    ("review", lambda w: f"/kpis/reviews/{w.review.pk}/"),
]


@pytest.mark.parametrize(("page", "url"), READ_PAGES, ids=[p for p, _ in READ_PAGES])
def test_every_logged_in_user_reads_every_page(
    request: pytest.FixtureRequest, world: Any, page: str, url: Callable[[Any], str]
) -> None:
    before = snapshot()
    assert _statuses(request, EVERYONE, url(world)) == dict.fromkeys(EVERYONE, 200), page
    assert snapshot() == before


@pytest.mark.parametrize("who", FORBIDDEN)
def test_read_pages_offer_no_editing_to_those_who_cannot_edit(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    client = client_for(_user(request, who))
    detail = client.get(f"/kpis/{world.kpi.pk}/")
    page = detail.content.decode()
    assert detail.context["form"] is None
    assert f"/kpis/{world.kpi.pk}/measure/" not in page
    assert f"/kpis/{world.kpi.pk}/edit/" not in page
    assert f"/kpis/{world.kpi.pk}/rules/new/" not in page
    targets = client.get(f"/kpis/{world.kpi.pk}/targets/").content.decode()
    assert 'name="t_2024"' not in targets
    review = client.get(f"/kpis/reviews/{world.review.pk}/")
    assert review.context["form"] is None
    hooks = client.get("/kpis/webhooks/").content.decode()
    assert f"/kpis/webhooks/{world.hook.pk}/test/" not in hooks


@pytest.mark.parametrize("who", EDITORS)
def test_read_pages_offer_editing_to_editors(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    client = client_for(_user(request, who))
    page = client.get(f"/kpis/{world.kpi.pk}/").content.decode()
    assert f"/kpis/{world.kpi.pk}/measure/" in page
    assert f"/kpis/{world.kpi.pk}/edit/" in page
    targets = client.get(f"/kpis/{world.kpi.pk}/targets/").content.decode()
    assert 'name="t_2024"' in targets
    review = client.get(f"/kpis/reviews/{world.review.pk}/")
    assert review.context["form"] is not None
    hooks = client.get("/kpis/webhooks/").content.decode()
    assert f"/kpis/webhooks/{world.hook.pk}/test/" in hooks


# --- forms: shown to editors only -----------------------------------------------------------

EDIT_FORMS: list[tuple[str, Callable[[Any], str]]] = [
    ("kpi-edit", lambda w: f"/kpis/{w.kpi.pk}/edit/"),
    ("kpi-delete", lambda w: f"/kpis/{w.kpi.pk}/delete/"),
    ("rule-new", lambda w: f"/kpis/{w.kpi.pk}/rules/new/"),
    ("rule-edit", lambda w: f"/kpis/{w.kpi.pk}/rules/{w.rule.pk}/"),
    ("review-new", lambda w: f"/kpis/{w.kpi.pk}/reviews/new/"),
    ("webhook-edit", lambda w: f"/kpis/webhooks/{w.hook.pk}/"),
]


@pytest.mark.parametrize(("form", "url"), EDIT_FORMS, ids=[f for f, _ in EDIT_FORMS])
def test_edit_forms_open_for_editors_only(
    request: pytest.FixtureRequest, world: Any, form: str, url: Callable[[Any], str]
) -> None:
    expected = {who: 200 if who in EDITORS else 403 for who in EVERYONE}
    assert _statuses(request, EVERYONE, url(world)) == expected, form


CREATE_FORMS = ["/kpis/new/", "/kpis/import/", "/kpis/webhooks/new/"]


@pytest.mark.parametrize("url", CREATE_FORMS)
def test_create_forms_open_to_everyone_who_may_edit_some_department(
    request: pytest.FixtureRequest, world: Any, url: str
) -> None:
    # The outsider heads 销售部, so he may create KPIs and webhooks for it; viewers never.
    expected = {who: 403 if who == "viewer" else 200 for who in EVERYONE}
    assert _statuses(request, EVERYONE, url) == expected


POST_ONLY: list[Callable[[Any], str]] = [
    lambda w: f"/kpis/{w.kpi.pk}/measure/",
    lambda w: f"/kpis/{w.kpi.pk}/measure/{w.m.pk}/delete/",
    lambda w: f"/kpis/{w.kpi.pk}/rules/{w.rule.pk}/delete/",
    lambda w: f"/kpis/webhooks/{w.hook.pk}/test/",
    lambda w: f"/kpis/webhooks/{w.hook.pk}/delete/",
]


@pytest.mark.parametrize("who", ["owner", "admin", "outsider"])
def test_changes_are_never_made_by_a_get(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    before = snapshot()
    client = client_for(_user(request, who))
    assert [client.get(url(world)).status_code for url in POST_ONLY] == [405] * len(POST_ONLY)
    assert snapshot() == before


# --- state-changing endpoints ---------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    url: Callable[[Any], str]
    data: Callable[[Any], dict[str, Any]]
    changed: Callable[[Any], bool]  # true once the database really changed


def _kpi_data(w: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "name": "销售额",
        "level": "department",
        "department": w.org["采购部"].pk,
        "owner": w.kpi.owner_id,
        "unit": "万元",
        "direction": "higher",
        "aggregation": "sum",
        "frequency": "weekly",
        "due_day": "1",
        "source_kind": "manual",
        "target": "400",
        "warning": "360",
        "tracked_from": "2024-05-27",
        "active": "on",
    }
    return data | extra


def _rule_data(**extra: Any) -> dict[str, Any]:
    data = {
        "name": "销售额低于目标",
        "condition": "beyond_target",
        "periods": "3",
        "recovery": "clear",
        "recovery_periods": "1",
        "action": "复盘",
        "review_days": "5",
        "enabled": "on",
    }
    return data | extra


def _review_data(w: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "title": "手动复盘",
        "owner": w.kpi.owner_id,
        "due_date": "2024-07-01",
        "status": "open",
    }
    return data | extra


ACTIONS = [
    Action(
        "kpi-edit",
        lambda w: f"/kpis/{w.kpi.pk}/edit/",
        lambda w: _kpi_data(w, unit="元"),
        lambda w: Kpi.objects.get(pk=w.kpi.pk).unit == "元",
    ),
    Action(
        "kpi-delete",
        lambda w: f"/kpis/{w.kpi.pk}/delete/",
        lambda w: {},
        lambda w: not Kpi.objects.filter(pk=w.kpi.pk).exists(),
    ),
    Action(
        "measure",
        lambda w: f"/kpis/{w.kpi.pk}/measure/",
        lambda w: {"period": "2024-W24", "value": "410"},
        lambda w: w.kpi.measurements.filter(period_start=date(2024, 6, 10)).exists(),
    ),
    Action(
        "measure-delete",
        lambda w: f"/kpis/{w.kpi.pk}/measure/{w.m.pk}/delete/",
        lambda w: {},
        lambda w: not Measurement.objects.filter(pk=w.m.pk).exists(),
    ),
    Action(
        "targets",
        lambda w: f"/kpis/{w.kpi.pk}/targets/?year=2024",
        lambda w: {"t_2024": "20000", "w_2024": "18000"},
        lambda w: w.kpi.targets.filter(frequency="yearly", target=20000).exists(),
    ),
    Action(
        "rule-new",
        lambda w: f"/kpis/{w.kpi.pk}/rules/new/",
        lambda w: _rule_data(),
        lambda w: AlertRule.objects.filter(name="销售额低于目标").exists(),
    ),
    Action(
        "rule-edit",
        lambda w: f"/kpis/{w.kpi.pk}/rules/{w.rule.pk}/",
        lambda w: _rule_data(name="改过的规则", condition="beyond_warning", periods="2"),
        lambda w: AlertRule.objects.get(pk=w.rule.pk).name == "改过的规则",
    ),
    Action(
        "rule-delete",
        lambda w: f"/kpis/{w.kpi.pk}/rules/{w.rule.pk}/delete/",
        lambda w: {},
        lambda w: not AlertRule.objects.filter(pk=w.rule.pk).exists(),
    ),
    Action(
        "review-new",
        lambda w: f"/kpis/{w.kpi.pk}/reviews/new/",
        lambda w: _review_data(w),
        lambda w: Review.objects.filter(title="手动复盘", kpi=w.kpi).exists(),
    ),
    Action(
        "review-edit",
        lambda w: f"/kpis/reviews/{w.review.pk}/",
        lambda w: _review_data(
            w, title="启动销售复盘", status="done", cause="主力产品缺货", suggestion="补货"
        ),
        lambda w: Review.objects.get(pk=w.review.pk).status == "done",
    ),
    Action(
        "webhook-edit",
        lambda w: f"/kpis/webhooks/{w.hook.pk}/",
        lambda w: {
            "name": "采购群(新)",
            "kind": "generic",
            "url": "http://127.0.0.1:9/hook",
            "department": w.org["采购部"].pk,
            "enabled": "on",
        },
        lambda w: Webhook.objects.get(pk=w.hook.pk).name == "采购群(新)",
    ),
    Action(
        "webhook-delete",
        lambda w: f"/kpis/webhooks/{w.hook.pk}/delete/",
        lambda w: {},
        lambda w: not Webhook.objects.filter(pk=w.hook.pk).exists(),
    ),
]


@pytest.mark.parametrize("who", EDITORS)
@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_editors_change_kpis(
    request: pytest.FixtureRequest, world: Any, who: str, action: Action
) -> None:
    before = snapshot()
    response = client_for(_user(request, who)).post(action.url(world), action.data(world))
    assert response.status_code == 302, (action.name, who, response.status_code)
    assert action.changed(world), action.name
    assert snapshot() != before


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_others_get_403_and_nothing_changes(
    request: pytest.FixtureRequest, world: Any, action: Action
) -> None:
    before = snapshot()
    for who in FORBIDDEN:  # a 403 changes nothing, so one world serves every user
        response = client_for(_user(request, who)).post(action.url(world), action.data(world))
        assert response.status_code == 403, (action.name, who, response.status_code)
        assert snapshot() == before, (action.name, who)
        assert not action.changed(world)


@pytest.mark.parametrize("who", EDITORS)
def test_editors_may_send_a_test_message(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    # Port 9 on 127.0.0.1 is closed: the test fails quickly and says so, nothing is stored.
    before = snapshot()
    response = client_for(_user(request, who)).post(
        f"/kpis/webhooks/{world.hook.pk}/test/", follow=True
    )
    assert response.redirect_chain == [("/kpis/webhooks/", 302)]
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Test message to 采购群 failed: cannot reach 127.0.0.1:9" in text
    assert snapshot() == before


@pytest.mark.parametrize("who", FORBIDDEN)
def test_others_may_not_send_a_test_message(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    response = client_for(_user(request, who)).post(f"/kpis/webhooks/{world.hook.pk}/test/")
    assert response.status_code == 403


# --- creating -------------------------------------------------------------------------------


def test_viewer_cannot_create_import_or_add_webhooks(world: Any, viewer: Any) -> None:
    client = client_for(viewer)
    before = snapshot()
    new_kpi = _kpi_data(world, name="新指标")
    assert client.post("/kpis/new/", new_kpi).status_code == 403
    hook = {"name": "x", "kind": "generic", "url": "http://127.0.0.1:9/", "enabled": "on"}
    hook["department"] = world.org["采购部"].pk
    assert client.post("/kpis/webhooks/new/", hook).status_code == 403
    upload = SimpleUploadedFile("v.csv", "指标名称,月份,实际值\n销售额,2024-W24,1\n".encode())
    assert client.post("/kpis/import/", {"file": upload}).status_code == 403
    assert client.post("/kpis/import/", {"token": "0" * 32 + ".csv"}).status_code == 403
    assert snapshot() == before


def test_outsider_cannot_create_for_another_department(world: Any, outsider: Any) -> None:
    client = client_for(outsider)
    before = snapshot()
    response = client.post("/kpis/new/", _kpi_data(world, name="新指标"))
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    hook = {
        "name": "别人的群",
        "kind": "generic",
        "url": "http://127.0.0.1:9/",
        "department": world.org["采购部"].pk,
        "enabled": "on",
    }
    response = client.post("/kpis/webhooks/new/", hook)
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "department"),
    [("owner", "采购部"), ("colleague", "采购部"), ("outsider", "销售部"), ("admin", "销售部")],
)
def test_creating_a_kpi_for_ones_own_department(
    request: pytest.FixtureRequest, world: Any, who: str, department: str
) -> None:
    client = client_for(_user(request, who))
    data = _kpi_data(world, name="新客户数量", department=world.org[department].pk)
    response = client.post("/kpis/new/", data)
    assert response.status_code == 302
    kpi = Kpi.objects.get(name="新客户数量")
    assert response["Location"] == f"/kpis/{kpi.pk}/"
    assert kpi.department.name == department


# --- anonymous ------------------------------------------------------------------------------

ANONYMOUS = (
    [(name, "get", url) for name, url in READ_PAGES]
    + [(name, "get", url) for name, url in EDIT_FORMS]
    + [(url, "get", lambda w, url=url: url) for url in CREATE_FORMS]
    + [(url, "post", lambda w, url=url: url) for url in CREATE_FORMS]
    + [(a.name, "post", a.url) for a in ACTIONS]
    + [("webhook-test", "post", lambda w: f"/kpis/webhooks/{w.hook.pk}/test/")]
)


@pytest.mark.parametrize(
    ("name", "method", "url"), ANONYMOUS, ids=[f"{m}-{n}" for n, m, _ in ANONYMOUS]
)
def test_anonymous_users_are_sent_to_login(
    world: Any, name: str, method: str, url: Callable[[Any], str]
) -> None:
    before = snapshot()
    response = getattr(Client(), method)(url(world))
    assert response.status_code == 302, name
    assert response["Location"].startswith("/login/?next="), response["Location"]
    assert snapshot() == before
