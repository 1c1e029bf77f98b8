"""滞后 is computed from the milestone and today, never set; a status change records the actual
dates it implies; a blocked subtask says what blocks it."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from opslens.web.common import clock
from opslens.web.projects import services
from opslens.web.projects.forms import StatusForm
from opslens.web.projects.models import Subtask
from tests.web.conftest import client_for
from tests.web.projects.helpers import STATUS, tracker, u


def _detail(client: Any, plan: SimpleNamespace) -> str:
    response = client.get(u("detail", plan.project.pk))
    assert response.status_code == 200
    return response.content.decode()


def _lagging_count(html: str) -> str:
    return html.split('data-testid="lagging-count">')[1].split("<")[0]


def test_not_lagging_on_the_milestone_day(plan: SimpleNamespace, owner: Any, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-06-05"  # 需求确认's milestone
    html = _detail(client_for(owner), plan)
    row = tracker(html)["需求确认"]
    assert "lagging" not in row.classes
    assert 'data-testid="lagging"' not in html
    assert _lagging_count(html) == "0"
    assert plan.a.state().lagging is False


def test_lagging_the_day_after_the_milestone(
    plan: SimpleNamespace, owner: Any, settings: Any
) -> None:
    settings.OPSLENS_TODAY = "2024-06-06"
    html = _detail(client_for(owner), plan)
    rows = tracker(html)
    assert "lagging" in rows["需求确认"].classes
    assert "Lagging +1" in rows["需求确认"].cells[STATUS]
    assert "lagging" not in rows["供应商评估"].classes
    assert html.count('data-testid="lagging"') == 1
    assert _lagging_count(html) == "1"
    assert [r.subtask.name for r in services.project_plan(plan.project).lagging] == ["需求确认"]
    assert [s.name for s in services.lagging_subtasks()] == ["需求确认"]
    # the list counts it too
    listing = client_for(owner).get(u("list")).content.decode()
    assert '<span class="gap">1</span>' in listing


def test_a_done_subtask_never_lags(plan: SimpleNamespace, owner: Any, settings: Any) -> None:
    with clock.fixed(date(2024, 6, 9)):  # 4 days after its milestone
        services.set_status(plan.a, Subtask.Status.DONE)
    settings.OPSLENS_TODAY = "2024-06-20"
    html = _detail(client_for(owner), plan)
    row = tracker(html)["需求确认"]
    assert "lagging" not in row.classes
    assert "finished_late" in row.classes
    assert "4 days late" in row.cells[STATUS]
    assert services.lagging_subtasks() == [plan.c, plan.b]  # milestones 06-10 and 06-14


def test_a_blocked_subtask_past_its_milestone_is_blocked_and_lagging(
    plan: SimpleNamespace, settings: Any
) -> None:
    with clock.fixed(date(2024, 6, 3)):
        services.set_status(plan.a, Subtask.Status.BLOCKED, blocked_reason="缺少需求清单")
    settings.OPSLENS_TODAY = "2024-06-07"
    state = plan.a.state()
    assert state.blocked and state.lagging and state.days_late == 2


def test_lagging_is_not_a_status_a_person_can_set(plan: SimpleNamespace, owner: Any) -> None:
    assert "lagging" not in dict(StatusForm().fields["status"].choices)
    client = client_for(owner)
    response = client.post(u("subtask_status", plan.a.pk), {"status": "lagging"}, follow=True)
    assert response.status_code == 200
    assert any("not one of the available choices" in str(m) for m in response.context["messages"])
    plan.a.refresh_from_db()
    assert plan.a.status == Subtask.Status.NOT_STARTED


def test_set_status_records_the_actual_dates(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    with clock.fixed(date(2024, 6, 4)):
        response = client.post(u("subtask_status", plan.a.pk), {"status": "in_progress"})
    assert response.status_code == 302
    plan.a.refresh_from_db()
    assert (plan.a.status, plan.a.actual_start, plan.a.actual_finish) == (
        "in_progress",
        date(2024, 6, 4),
        None,
    )
    with clock.fixed(date(2024, 6, 7)):
        client.post(u("subtask_status", plan.a.pk), {"status": "done"})
    plan.a.refresh_from_db()
    assert (plan.a.actual_start, plan.a.actual_finish) == (date(2024, 6, 4), date(2024, 6, 7))
    # reopened: the finish goes, the start stays
    with clock.fixed(date(2024, 6, 8)):
        client.post(u("subtask_status", plan.a.pk), {"status": "in_progress"})
    plan.a.refresh_from_db()
    assert (plan.a.actual_start, plan.a.actual_finish) == (date(2024, 6, 4), None)


def test_blocked_needs_a_reason(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    response = client.post(
        u("subtask_status", plan.a.pk), {"status": "blocked", "blocked_reason": ""}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Say what blocks it."]
    plan.a.refresh_from_db()
    assert plan.a.status == "not_started" and plan.a.actual_start is None
    with pytest.raises(ValidationError):
        services.set_status(plan.b, Subtask.Status.BLOCKED)
    plan.b.refresh_from_db()
    assert plan.b.status == "not_started"
    response = client.post(
        u("subtask_status", plan.a.pk), {"status": "blocked", "blocked_reason": "等待预算批复"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#request")  # asked to raise a request
    plan.a.refresh_from_db()
    assert (plan.a.status, plan.a.blocked_reason) == ("blocked", "等待预算批复")
    assert plan.a.actual_start == date(2024, 5, 20)


def test_leaving_blocked_clears_the_reason_and_the_history_keeps_it(
    plan: SimpleNamespace, owner: Any
) -> None:
    subtask = plan.a
    services.set_status(subtask, "blocked", blocked_reason="等待财务部付款记录")
    services.set_status(subtask, "in_progress")
    subtask.refresh_from_db()
    assert subtask.blocked_reason == ""
    reasons = set(subtask.history.values_list("blocked_reason", flat=True))
    assert "等待财务部付款记录" in reasons
    # blocking again without a reason is refused: no stale reason is reused
    with pytest.raises(ValidationError):
        services.set_status(subtask, "blocked")
