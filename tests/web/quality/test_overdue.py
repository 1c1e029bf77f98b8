"""Overdue rectifications: highlighted in the lists, reported once to the responsible person and
the department head, and the services the home and monitor pages use."""

from __future__ import annotations

from datetime import date
from typing import Any

from opslens.web.common.models import Notification
from opslens.web.org.models import Department
from opslens.web.quality import services
from opslens.web.quality.models import Problem, Status
from tests.web.conftest import client_for
from tests.web.quality.conftest import make_problem, u


def test_overdue_is_highlighted(owner: Any, org: dict[str, Department]) -> None:
    late = make_problem(org["采购部"], deadline=date(2024, 9, 9), status=Status.IN_PROGRESS)
    due_today = make_problem(org["采购部"], deadline=date(2024, 9, 10), description="今日到期")
    closed = make_problem(
        org["采购部"], deadline=date(2024, 9, 1), status=Status.CLOSED, description="已关闭"
    )
    assert late.is_overdue and not due_today.is_overdue and not closed.is_overdue
    client = client_for(owner)
    page = client.get(u("dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert html.count('class="overdue-row"') == 1
    assert f'class="overdue-row" data-problem="{late.pk}"' in html
    assert "overdue 1 day" in html
    assert page.context["overdue_count"] == 1
    only = client.get(u("dashboard"), {"overdue": "on"})
    assert [p.pk for p in only.context["rows"]] == [late.pk]
    detail = client.get(late.get_absolute_url()).content.decode()
    assert 'data-testid="overdue"' in detail


def test_overdue_notified_once_to_responsible_and_head(
    owner: Any, colleague: Any, org: dict[str, Department]
) -> None:
    late = make_problem(
        org["采购部"],
        responsible=colleague.person,
        deadline=date(2024, 9, 5),
        status=Status.IN_PROGRESS,
    )
    make_problem(org["采购部"], deadline=date(2024, 9, 20), description="未到期")
    assert services.notify_overdue_rectifications() == 2
    notes = Notification.objects.order_by("user__username")
    assert [n.user for n in notes] == [colleague, owner]  # responsible, then the head
    assert all(n.url == late.get_absolute_url() for n in notes)
    assert "2024-09-05" in notes[0].message
    late.refresh_from_db()
    assert late.overdue_notified_on == date(2024, 9, 10)
    assert services.notify_overdue_rectifications() == 0
    # the other one, later: no responsible person, so its department's head alone
    assert services.notify_overdue_rectifications(date(2024, 9, 30)) == 1
    assert Notification.objects.count() == 3


def test_the_measure_owner_is_told_rather_than_the_finder(
    owner: Any, colleague: Any, org: dict[str, Department]
) -> None:
    make_problem(
        org["采购部"],
        responsible=owner.person,
        measure_owner=colleague.person,
        deadline=date(2024, 9, 1),
    )
    assert services.notify_overdue_rectifications() == 2
    assert {n.user for n in Notification.objects.all()} == {owner, colleague}


def test_a_new_deadline_in_the_form_rearms_the_reminder(
    owner: Any, org: dict[str, Department]
) -> None:
    problem = make_problem(
        org["采购部"],
        responsible=owner.person,
        level="minor",
        deadline=date(2024, 9, 3),
        overdue_notified_on=date(2024, 9, 4),
    )
    data = {
        "inspected_on": "2024-09-02",
        "method": "mystery_shopper",
        "stage": "客服响应",
        "problem_type": "响应速度慢",
        "description": "来电等待过久",
        "responsible": owner.person.pk,
        "chosen_level": "minor",
        "measure": "增加人员",
        "deadline": "2024-09-12",
    }
    assert client_for(owner).post(u("problem_edit", problem.pk), data).status_code == 302
    problem.refresh_from_db()
    assert problem.deadline == date(2024, 9, 12) and problem.overdue_notified_on is None


def test_open_and_overdue_services(owner: Any, colleague: Any, org: dict[str, Department]) -> None:
    mine = make_problem(org["采购部"], responsible=owner.person, deadline=date(2024, 9, 1))
    delegated = make_problem(
        org["采购部"],
        responsible=colleague.person,
        measure_owner=owner.person,
        deadline=date(2024, 9, 30),
    )
    make_problem(
        org["采购部"],
        responsible=owner.person,
        measure_owner=colleague.person,
        deadline=date(2024, 10, 15),
    )
    make_problem(org["采购部"], responsible=owner.person, status=Status.CLOSED)
    assert list(services.open_rectifications_for(owner.person)) == [mine, delegated]
    assert list(services.open_rectifications_for(None)) == []
    assert list(services.overdue_rectifications()) == [mine]
    assert list(services.overdue_rectifications(date(2024, 10, 1))) == [mine, delegated]
    page = client_for(owner).get(u("dashboard"))
    assert list(page.context["mine"]) == [mine, delegated]


def test_problem_without_deadline_gets_the_levels_default(org: dict[str, Department]) -> None:
    problem = make_problem(org["采购部"], level="serious", inspected_on=date(2024, 6, 8))
    assert problem.deadline == date(2024, 6, 10)
    assert Problem.objects.get(pk=problem.pk).is_overdue
