"""The demo company's projects (``opslens demo``, today 2024-09-10): SPEC.md T2's 新产品X上市项目
and the closed project opened from the procurement bottleneck."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from opslens.web.common.demo import load_demo
from opslens.web.processes.models import Step
from opslens.web.projects import services
from opslens.web.projects.models import Project, SupportRequest
from tests.web.conftest import client_for
from tests.web.projects.helpers import STATUS, tracker, u

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LAUNCH = "新产品X上市项目"

# SPEC.md T2: subtask → lead, supporting departments, milestone, status on 2024-07-15, risk
SEED = {
    "市场调研": ("市场部", [], date(2024, 6, 30), "done", []),
    "产品原型设计": ("研发部", ["市场部"], date(2024, 7, 20), "in_progress", ["市场部反馈延迟1天"]),
    "生产试制": ("生产部", ["研发部"], date(2024, 8, 10), "not_started", ["设备调试未完成"]),
    "营销方案制定": (
        "市场部",
        ["销售部"],
        date(2024, 8, 25),
        "in_progress",
        ["销售部渠道数据未提供"],
    ),
    "渠道铺货": ("销售部", ["物流部"], date(2024, 9, 1), "not_started", ["物流运力紧张"]),
}


@pytest.fixture(scope="module")
def company(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Loaded once for the module, inside a transaction rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(OPSLENS_TODAY="2024-09-10", PASSWORD_HASHERS=MD5):
            assert load_demo() is True
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _demo_today(company: None, db: None, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-09-10"


def _launch() -> Project:
    return Project.objects.get(name=LAUNCH)


def test_the_launch_project_is_the_seed_s_table() -> None:
    project = _launch()
    assert project.start_date == date(2024, 6, 1) and project.department.name == "市场部"
    assert project.response_hours == 24
    plan = services.project_plan(project)
    assert plan.error == ""
    assert [r.subtask.name for r in plan.rows] == list(SEED)
    for row in plan.rows:
        lead, supports, milestone, _status, risks = SEED[row.subtask.name]
        assert row.subtask.lead_department.name == lead, row.subtask.name
        assert row.subtask.responsible.department.name == lead, row.subtask.name
        assert [s.department.name for s in row.supports] == supports, row.subtask.name
        assert all(s.contribution for s in row.supports)
        assert row.subtask.milestone == milestone, row.subtask.name
        assert [r.description for r in row.risks] == risks, row.subtask.name
    deliverables = [r.subtask.deliverable for r in plan.rows]
    assert deliverables == ["市场调研报告", "产品原型图", "试产样品", "营销策划案", "首批上架清单"]
    after = {r.subtask.name: [p.name for p, _lag in r.predecessors] for r in plan.rows}
    assert after["生产试制"] == ["产品原型设计"]
    assert set(after["渠道铺货"]) == {"生产试制", "营销方案制定"}


def test_on_the_demo_s_today_only_the_rollout_lags(settings: Any) -> None:
    project = _launch()
    plan = services.project_plan(project)
    assert [r.subtask.name for r in plan.lagging] == ["渠道铺货"]
    rollout = plan.lagging[0]
    assert rollout.subtask.status == "blocked" and rollout.state.days_late == 9
    html = (
        client_for(get_user_model().objects.get(username="demo"))
        .get(project.get_absolute_url())
        .content.decode()
    )
    rows = tracker(html)
    assert [name for name, row in rows.items() if "lagging" in row.classes] == ["渠道铺货"]
    assert "Lagging +9" in rows["渠道铺货"].cells[STATUS]
    assert html.split('data-testid="lagging-count">')[1].startswith("1<")


def test_as_of_the_seed_s_day_the_statuses_are_the_seed_s() -> None:
    project = _launch()
    plan = services.project_plan(project, as_of=date(2024, 7, 15))
    assert [(r.subtask.name, r.subtask.status) for r in plan.rows] == [
        (name, spec[3]) for name, spec in SEED.items()
    ]
    assert plan.lagging == []
    # the risks of that day are all open
    assert all(r.status == "open" for row in plan.rows for r in row.risks)
    user = get_user_model().objects.get(username="demo")
    response = client_for(user).get(project.get_absolute_url(), {"as_of": "2024-07-15"})
    statuses = [r.cells[STATUS] for r in tracker(response.content).values()]
    assert statuses == ["Done", "In progress", "Not started", "In progress", "Not started"]


def test_the_request_to_logistics_climbed_two_levels() -> None:
    request = SupportRequest.objects.get(subtask__name="渠道铺货", department__name="物流部")
    assert request.is_open
    assert list(request.escalations.values_list("level", flat=True)) == [1, 2]
    # the marketing request was answered after the first level
    answered = SupportRequest.objects.get(subtask__name="营销方案制定")
    assert not answered.is_open
    assert list(answered.escalations.values_list("level", flat=True)) == [1]
    # raised 09-07 17:00: management is due 09-10 17:00, not at noon
    noon = timezone.make_aware(datetime(2024, 9, 10, 12))
    assert services.escalate_requests(now=noon) == 0
    nxt = request.next_escalation()
    assert nxt is not None and nxt.level == 3
    assert timezone.localtime(nxt.due_at) == timezone.make_aware(datetime(2024, 9, 10, 17))


def test_the_closed_pilot_project_has_its_guide_and_origin() -> None:
    pilot = Project.objects.get(name__startswith="采购审批提速")
    assert pilot.status == "closed"
    step = Step.objects.get(
        version__process__name="采购申请审批流程", version__kind="as_is", name="总经理审批"
    )
    assert (pilot.origin_kind, pilot.origin_ref) == ("bottleneck", step.pk)
    assert pilot.origin_url == step.get_absolute_url()
    guide = pilot.guides.get()
    assert guide.body.startswith("1. 先定规则再上系统")
    assert guide.body.splitlines()[-1].startswith("4. ")
    user = get_user_model().objects.get(username="demo")
    client = client_for(user)
    assert client.get(guide.get_absolute_url()).status_code == 200
    html = client.get(step.get_absolute_url()).content.decode()
    assert pilot.name in html.split('data-testid="open-project">')[1].split("</div>")[0]
    assert all(s.status == "done" for s in pilot.subtasks.all())
    assert client.get(u("retrospective", pilot.pk)).status_code == 200
