"""The weekly digest from the change history, the tracker as of a past day, and the
retrospective published as a numbered guide."""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from opslens.web.common import clock
from opslens.web.common.models import Notification
from opslens.web.projects import services
from opslens.web.projects.models import (
    Dependency,
    Guide,
    Retrospective,
    Risk,
    Subtask,
    Support,
)
from tests.web.conftest import client_for
from tests.web.projects.helpers import STATUS, tracker, u


def _status(subtask: Subtask, day: date, status: str, who: Any, reason: str = "") -> None:
    """As the demo loader does: the change on ``day`` at 17:00, by ``who``."""
    subtask._history_date = timezone.make_aware(datetime.combine(day, time(17)))  # type: ignore[attr-defined]
    subtask._history_user = who  # type: ignore[attr-defined]
    with clock.fixed(day):
        services.set_status(subtask, status, blocked_reason=reason)


@pytest.fixture
def moved(plan: SimpleNamespace, colleague: Any, cfo: Any, settings: Any) -> SimpleNamespace:
    """Planned on 06-01 (the creation backdated in the history, as the demo loader does);
    W23 (06-03…06-09): 需求确认 started 06-03, done 06-06; W24: 供应商评估 started 06-10."""
    planned = timezone.make_aware(datetime(2024, 6, 1, 9))
    for model in (Subtask, Dependency, Support, Risk):
        model.history.filter(history_type="+").update(history_date=planned)  # type: ignore[attr-defined]
    _status(plan.a, date(2024, 6, 3), "in_progress", colleague)
    _status(plan.a, date(2024, 6, 6), "done", colleague)
    _status(plan.b, date(2024, 6, 10), "in_progress", cfo)
    settings.OPSLENS_TODAY = "2024-06-19"  # a Wednesday of W25
    return plan


def test_the_digest_lists_the_week_s_status_changes(moved: SimpleNamespace, owner: Any) -> None:
    digest = services.weekly_digest(moved.project, date(2024, 6, 3))
    assert digest.week == "2024-W23"
    assert [(m.subtask, m.old, m.new, m.who) for m in digest.moved] == [
        ("需求确认", "Not started", "In progress", "马丽"),
        ("需求确认", "In progress", "Done", "马丽"),
    ]
    assert [s.name for s in digest.finished] == ["需求确认"]
    # at the end of W23 (06-09) 合同签订 (milestone 06-10) is not late yet
    assert digest.late == []
    assert [r.subtask.name for r in digest.upcoming] == ["供应商评估", "合同签订"]

    response = client_for(owner).get(u("digest", moved.project.pk), {"week": "2024-W23"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2024-W23" in html.split('data-testid="week">')[1].split("</h2>")[0]
    table = html.split('data-testid="moved">')[1].split("</table>")[0]
    assert table.count("需求确认") == 2 and "供应商评估" not in table

    html = client_for(owner).get(u("digest", moved.project.pk), {"week": "2024-W24"}).content
    table = html.decode().split('data-testid="moved">')[1].split("</table>")[0]
    assert "供应商评估" in table and "需求确认" not in table


def test_the_digest_lists_what_is_late_at_the_week_s_end(
    moved: SimpleNamespace, owner: Any
) -> None:
    digest = services.weekly_digest(moved.project, date(2024, 6, 10))  # W24, ends 06-16
    assert [r.subtask.name for r in digest.late] == ["供应商评估", "合同签订"]
    html = client_for(owner).get(u("digest", moved.project.pk), {"week": "2024-W24"}).content
    late = html.decode().split('data-testid="late">')[1].split("</ul>")[0]
    assert "合同签订" in late and "Lagging +6" in late  # 06-16 − 06-10


def test_the_digest_defaults_to_this_week_and_survives_a_bad_week(
    moved: SimpleNamespace, owner: Any
) -> None:
    client = client_for(owner)
    response = client.get(u("digest", moved.project.pk))
    assert response.context["digest"].week == "2024-W25"
    assert response.context["following"] is None
    for bad in ("2024-W99", "last week", "2024-W", "0-W1"):
        response = client.get(u("digest", moved.project.pk), {"week": bad})
        assert response.status_code == 200, bad
        assert [str(m) for m in response.context["messages"]] == [
            f"“{bad}” is not a week; write it as 2024-W36."
        ], bad
        assert response.context["digest"].week == "2024-W25"


def test_new_risks_of_the_week(moved: SimpleNamespace) -> None:
    risk = Risk(subtask=moved.c, description="合同条款分歧")
    risk._history_date = timezone.make_aware(datetime(2024, 6, 12, 9))  # type: ignore[attr-defined]
    risk.save()
    assert [
        r.description for r in services.weekly_digest(moved.project, date(2024, 6, 10)).new_risks
    ] == ["合同条款分歧"]
    assert services.weekly_digest(moved.project, date(2024, 6, 3)).new_risks == []


def test_send_digests_once_per_iso_week(
    moved: SimpleNamespace, owner: Any, colleague: Any, outsider: Any
) -> None:
    assert services.send_digests(date(2024, 6, 19)) == 1
    note = Notification.objects.get(user=owner)
    assert note.message.startswith("Weekly digest 2024-W24 · 采购周期缩短项目: 1 status changes")
    assert note.url == u("digest", moved.project.pk) + "?week=2024-W24"
    # the responsible people hear it too, once each
    assert Notification.objects.filter(user=colleague).count() == 1
    assert Notification.objects.filter(user=outsider).count() == 1
    assert services.send_digests(date(2024, 6, 19)) == 0
    assert services.send_digests(date(2024, 6, 23)) == 0  # Sunday, same week
    assert Notification.objects.filter(user=owner).count() == 1
    assert services.send_digests(date(2024, 6, 24)) == 1  # Monday of W26
    assert Notification.objects.filter(user=owner).count() == 2
    moved.project.status = "closed"
    moved.project.save()
    assert services.send_digests(date(2024, 7, 1)) == 0


def test_the_tracker_as_of_a_past_day(moved: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    for day, expected in [
        ("2024-06-02", ["Not started", "Not started", "Not started", "Not started"]),
        ("2024-06-03", ["In progress", "Not started", "Not started", "Not started"]),
        ("2024-06-05", ["In progress", "Not started", "Not started", "Not started"]),
        ("2024-06-12", ["Done 1 day late", "In progress", "Not started", "Not started"]),
    ]:
        response = client.get(u("detail", moved.project.pk), {"as_of": day})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="as-of-note"' in html
        statuses = [r.cells[STATUS].split(" Lagging")[0] for r in tracker(html).values()]
        assert statuses == expected, day
    # on 06-12 the tracker judges 合同签订 (milestone 06-10) lagging, not on 06-05
    rows = tracker(client.get(u("detail", moved.project.pk), {"as_of": "2024-06-12"}).content)
    assert "lagging" in rows["合同签订"].classes and "Lagging +2" in rows["合同签订"].cells[STATUS]
    plan = services.project_plan(moved.project, as_of=date(2024, 6, 5))
    assert [r.subtask.name for r in plan.lagging] == []
    assert plan.rows[0].subtask.actual_start == date(2024, 6, 3)
    # before the plan existed, nothing
    rows = tracker(client.get(u("detail", moved.project.pk), {"as_of": "2024-05-31"}).content)
    assert rows == {}
    # today's tracker is unchanged
    rows = tracker(client.get(u("detail", moved.project.pk)).content)
    assert rows["需求确认"].cells[STATUS].startswith("Done")


def test_a_bad_as_of_date_is_a_message(moved: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    for bad in ("yesterday", "2024-13-01", "2024-06-31"):
        response = client.get(u("detail", moved.project.pk), {"as_of": bad})
        assert response.status_code == 200
        assert [str(m) for m in response.context["messages"]] == [
            f"“{bad}” is not a date; write it as 2024-07-21."
        ]
        assert response.context["as_of"] is None
        response = client.get(u("gantt", moved.project.pk), {"as_of": bad})
        assert response.status_code == 200
    # today or later: today's tracker
    response = client.get(u("detail", moved.project.pk), {"as_of": "2030-01-01"})
    assert response.status_code == 200 and response.context["as_of"] is None


def test_the_retrospective_is_published_as_a_numbered_guide(
    plan: SimpleNamespace, owner: Any, viewer: Any
) -> None:
    client = client_for(owner)
    lessons = "先定规则再上系统\n\n  每个子任务只设一个主责部门  \n超过24小时未回复即升级\n"
    response = client.post(
        u("retrospective", plan.project.pk),
        {"went_well": "并行推进", "to_improve": "测试不足", "lessons": lessons},
    )
    assert response.status_code == 302
    assert response["Location"] == u("retrospective", plan.project.pk)
    assert not Guide.objects.exists()
    retro = Retrospective.objects.get(project=plan.project)
    assert retro.author == owner.person

    response = client.post(
        u("retrospective", plan.project.pk),
        {"went_well": "并行推进", "to_improve": "测试不足", "lessons": lessons, "publish": "1"},
    )
    guide = Guide.objects.get()
    assert response["Location"] == guide.get_absolute_url()
    assert guide.body == (
        "1. 先定规则再上系统\n2. 每个子任务只设一个主责部门\n3. 超过24小时未回复即升级"
    )
    assert guide.title == "Cross-department collaboration guide: 采购周期缩短项目"
    assert guide.project == plan.project and guide.department == plan.project.department
    assert guide.published == date(2024, 5, 20) and guide.published_by == owner.person
    html = client_for(viewer).get(guide.get_absolute_url()).content.decode()
    body = html.split('data-testid="guide">')[1].split("</section>")[0]
    assert "1. 先定规则再上系统" in body and "3. 超过24小时未回复即升级" in body
    assert guide.title in client_for(viewer).get(u("guides")).content.decode()
    # publishing again updates the one guide
    client.post(u("retrospective", plan.project.pk), {"lessons": "只有一条", "publish": "1"})
    assert Guide.objects.get().body == "1. 只有一条"
    # the project page links it
    assert guide.get_absolute_url() in client.get(plan.project.get_absolute_url()).content.decode()


def test_a_retrospective_needs_lessons(plan: SimpleNamespace, owner: Any) -> None:
    response = client_for(owner).post(
        u("retrospective", plan.project.pk), {"went_well": "好", "publish": "1"}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Retrospective.objects.exists() and not Guide.objects.exists()
