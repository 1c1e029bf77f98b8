"""Support requests and their escalation on a controllable clock: the project owner after the
response time, the coordination group (or the operations admins) after twice, management after
three times; each level recorded and notified once; an answer stops what is not yet due."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from opslens.web.common.models import Notification
from opslens.web.org.models import CostAccess, Department, Role
from opslens.web.projects import services
from opslens.web.projects.models import Escalation, SupportRequest
from tests.web.conftest import _login_person, client_for
from tests.web.projects.helpers import u

H = timedelta(hours=1)


@pytest.fixture
def gm(org: dict[str, Department]) -> Any:
    """The head of 总经办, the management department: level 3 when the project names no one."""
    office = Department.objects.create(
        code="zongjingban", name="总经办", cost_access=CostAccess.MANAGEMENT
    )
    return _login_person("何总", office, Role.HEAD, "gm")


def _raise(
    plan: SimpleNamespace, owner: Any, message: str = "请提供供应商付款记录"
) -> SupportRequest:
    response = client_for(owner).post(
        u("request_new", plan.a.pk), {"department": plan.org["财务部"].pk, "message": message}
    )
    assert response.status_code == 302
    return SupportRequest.objects.get(message=message)


def _notes(user: Any, request: SupportRequest) -> int:
    return Notification.objects.filter(user=user, url=request.get_absolute_url()).count()


def _levels(request: SupportRequest) -> list[int]:
    return list(request.escalations.order_by("level").values_list("level", flat=True))


def test_raising_a_request_notifies_the_department_asked(
    plan: SimpleNamespace, owner: Any, cfo: Any
) -> None:
    request = _raise(plan, owner)
    assert request.subtask == plan.a and request.raised_by == owner.person
    assert timezone.localdate(request.raised_at).isoformat() == "2024-05-20"  # workbench today
    assert _notes(cfo.person.user, request) == 1
    assert "answer within 24 h" in Notification.objects.get(user=cfo).message
    assert _notes(owner, request) == 0


def test_three_levels_each_at_its_time_and_once(
    plan: SimpleNamespace, owner: Any, cfo: Any, admin: Any, gm: Any, colleague: Any
) -> None:
    request = _raise(plan, owner)
    raised: datetime = request.raised_at

    assert services.escalate_requests(now=raised + 24 * H - timedelta(minutes=1)) == 0
    assert _levels(request) == [] and _notes(owner, request) == 0

    # level 1 at exactly the response time: the project owner
    assert services.escalate_requests(now=raised + 24 * H) == 1
    assert _levels(request) == [1]
    assert _notes(owner, request) == 1
    assert _notes(admin, request) == 0 and _notes(gm, request) == 0
    level1 = request.escalations.get(level=1)
    assert level1.due_at == raised + 24 * H and level1.notified == "王强"
    assert services.escalate_requests(now=raised + 30 * H) == 0  # idempotent
    assert _notes(owner, request) == 1

    # level 2: no coordination group named, so the operations admins
    assert services.escalate_requests(now=raised + 48 * H) == 1
    assert _levels(request) == [1, 2]
    assert _notes(admin, request) == 1 and _notes(owner, request) == 1
    assert _notes(colleague, request) == 0
    assert request.escalations.get(level=2).notified == "林晓"

    # level 3: no management named, so the management department's heads
    assert services.escalate_requests(now=raised + 72 * H) == 1
    assert _levels(request) == [1, 2, 3]
    assert _notes(gm, request) == 1
    assert request.escalations.get(level=3).notified == "何总"

    # nothing above management
    assert services.escalate_requests(now=raised + 96 * H) == 0
    assert services.escalate_requests(now=raised + 1000 * H) == 0
    assert Escalation.objects.count() == 3
    # the department asked hears of every level (plus the request itself)
    assert _notes(cfo, request) == 1 + 3


def test_a_late_worker_records_every_level_reached_at_once(
    plan: SimpleNamespace, owner: Any, admin: Any
) -> None:
    request = _raise(plan, owner)
    assert services.escalate_requests(now=request.raised_at + 50 * H) == 2
    assert _levels(request) == [1, 2]
    assert [e.due_at - request.raised_at for e in request.escalations.all()] == [24 * H, 48 * H]


def test_named_coordinators_and_management_are_notified(
    plan: SimpleNamespace, owner: Any, admin: Any, colleague: Any, viewer: Any, gm: Any
) -> None:
    plan.project.coordinators.set([colleague.person])
    plan.project.management.set([viewer.person])
    request = _raise(plan, owner)
    services.escalate_requests(now=request.raised_at + 72 * H)
    assert _notes(colleague, request) == 1 and _notes(viewer, request) == 1
    assert _notes(admin, request) == 0 and _notes(gm, request) == 0


def test_the_response_time_comes_from_the_project(
    plan: SimpleNamespace, owner: Any, admin: Any
) -> None:
    plan.project.response_hours = 8
    plan.project.save()
    request = _raise(plan, owner)
    assert services.escalate_requests(now=request.raised_at + 8 * H - timedelta(seconds=1)) == 0
    assert services.escalate_requests(now=request.raised_at + 8 * H) == 1
    assert services.escalate_requests(now=request.raised_at + 16 * H) == 1
    assert _levels(request) == [1, 2]
    assert request.next_escalation().due_at == request.raised_at + 24 * H  # type: ignore[union-attr]


def test_an_answer_stops_further_levels(
    plan: SimpleNamespace, owner: Any, cfo: Any, admin: Any, settings: Any
) -> None:
    request = _raise(plan, owner)
    services.escalate_requests(now=request.raised_at + 24 * H)
    settings.OPSLENS_TODAY = "2024-05-21"  # within the second day: before level 2 is due
    response = client_for(cfo).post(u("request_answer", request.pk), {"answer": "已发送付款记录"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.answer == "已发送付款记录" and request.answered_by == cfo.person
    assert request.answered_at is not None
    assert request.answered_at < request.raised_at + 48 * H
    assert services.escalate_requests(now=request.raised_at + 100 * H) == 0
    assert _levels(request) == [1]
    assert _notes(admin, request) == 0
    # the one who asked and the responsible person hear the answer
    assert _notes(owner, request) == 1 + 1
    assert _notes(plan.a.responsible.user, request) == 1
    # answered once: a second answer is refused
    response = client_for(cfo).post(
        u("request_answer", request.pk), {"answer": "again"}, follow=True
    )
    assert "This request has been answered already." in [
        str(m) for m in response.context["messages"]
    ]
    request.refresh_from_db()
    assert request.answer == "已发送付款记录"


def test_only_the_department_asked_or_an_admin_answers(
    plan: SimpleNamespace,
    owner: Any,
    colleague: Any,
    outsider: Any,
    viewer: Any,
    finance: Any,
    admin: Any,
) -> None:
    request = _raise(plan, owner)
    for user in (owner, colleague, outsider, viewer):
        response = client_for(user).post(u("request_answer", request.pk), {"answer": "x"})
        assert response.status_code == 403, user
    request.refresh_from_db()
    assert request.is_open
    # a member of the department asked may answer; so may an operations admin
    assert (
        client_for(finance).post(u("request_answer", request.pk), {"answer": "好"}).status_code
        == 302
    )
    request.refresh_from_db()
    assert request.answered_by == finance.person
    other = _raise(plan, owner, "第二个请求")
    assert (
        client_for(admin).post(u("request_answer", other.pk), {"answer": "已协调"}).status_code
        == 302
    )
    other.refresh_from_db()
    assert not other.is_open


def test_an_empty_answer_is_refused(plan: SimpleNamespace, owner: Any, cfo: Any) -> None:
    request = _raise(plan, owner)
    response = client_for(cfo).post(u("request_answer", request.pk), {"answer": ""}, follow=True)
    assert "Write the answer." in [str(m) for m in response.context["messages"]]
    request.refresh_from_db()
    assert request.is_open


def test_a_request_to_the_lead_department_itself_is_refused(
    plan: SimpleNamespace, owner: Any
) -> None:
    response = client_for(owner).post(
        u("request_new", plan.a.pk), {"department": plan.org["采购部"].pk, "message": "自己"}
    )
    assert response.status_code == 302
    assert not SupportRequest.objects.exists()


def test_a_closed_project_does_not_escalate(plan: SimpleNamespace, owner: Any) -> None:
    request = _raise(plan, owner)
    plan.project.status = "closed"
    plan.project.save()
    assert services.escalate_requests(now=request.raised_at + 100 * H) == 0


def test_the_subtask_page_shows_the_escalation(plan: SimpleNamespace, owner: Any, cfo: Any) -> None:
    request = _raise(plan, owner)
    services.escalate_requests(now=request.raised_at + 30 * H)
    html = client_for(cfo).get(u("subtask", plan.a.pk)).content.decode()
    cell = html.split('data-testid="escalation">')[1].split("</td>")[0]
    assert "Project owner" in cell and "notified 王强" in cell and "next:" in cell
    assert f'data-testid="answer-{request.pk}"' in html  # 财务部 may answer here
    html = client_for(owner).get(u("subtask", plan.a.pk)).content.decode()
    assert f'data-testid="answer-{request.pk}"' not in html


def test_a_late_answer_keeps_the_levels_already_due_without_telling_anyone(
    plan: SimpleNamespace, owner: Any, cfo: Any, admin: Any
) -> None:
    """No worker ran between the request and a late answer: the levels that fell due before
    the answer are still recorded (the request did go unanswered that long), nobody is told."""
    from unittest import mock

    request = _raise(plan, owner)
    raised: datetime = request.raised_at
    late = raised + 50 * H  # after level 2 (+48 h), before level 3 (+72 h)
    with mock.patch("opslens.web.projects.services.clock.now", return_value=late):
        services.answer_request(request, "已提供", cfo.person)
    assert _levels(request) == [1, 2]
    assert request.answered_at == late
    assert all(e.notified == "" for e in request.escalations.all())
    escalated = Notification.objects.filter(message__startswith="Escalated")
    assert not escalated.exists()
    assert _notes(admin, request) == 0
    assert _notes(owner, request) == 1  # the answer itself, to the person who asked
    # and the worker adds nothing later: the request is answered
    assert services.escalate_requests(now=raised + 200 * H) == 0
