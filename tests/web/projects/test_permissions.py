"""Who may change a project: its department's people and operations admins; the lead department
of a subtask changes that subtask (not the project); viewers and other departments get 403.
Every logged-in user reads every page; anonymous users are sent to the login."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from opslens.web.projects.models import Guide, Project, Retrospective, Subtask, SupportRequest
from tests.web.conftest import client_for
from tests.web.projects.helpers import form_data, u

EDITORS = ["owner", "colleague", "admin"]
REFUSED = ["outsider", "viewer"]


@pytest.fixture
def users(owner: Any, colleague: Any, outsider: Any, viewer: Any, admin: Any) -> dict[str, Any]:
    return {
        "owner": owner,
        "colleague": colleague,
        "outsider": outsider,
        "viewer": viewer,
        "admin": admin,
    }


def _project_data(plan: SimpleNamespace) -> dict[str, Any]:
    p = plan.project
    return {
        "name": p.name + "（改）",
        "department": p.department_id,
        "owner": p.owner_id,
        "start_date": "2024-06-03",
        "goal": p.goal,
        "response_hours": 24,
        "status": "active",
    }


def _create(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    data = _project_data(plan) | {"name": "新项目"}
    data.pop("status")
    return client.post(u("create"), data), lambda: Project.objects.filter(name="新项目").exists()


def _edit(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    response = client.post(u("edit", plan.project.pk), _project_data(plan))
    return response, lambda: Project.objects.filter(name="采购周期缩短项目（改）").exists()


def _subtask_edit(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    # the form as its owner sees it, posted by ``client``
    data = form_data(
        client_for(plan.project.owner.user), u("subtask_edit", plan.a.pk), "subtask-form"
    )
    data["name"] = "需求确认（改）"
    response = client.post(u("subtask_edit", plan.a.pk), data)
    return response, lambda: Subtask.objects.filter(name="需求确认（改）").exists()


def _subtask_new(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    data = form_data(
        client_for(plan.project.owner.user), u("subtask_new", plan.project.pk), "subtask-form"
    )
    data.update(
        name="新子任务",
        deliverable="清单",
        lead_department=plan.org["采购部"].pk,
        responsible=plan.project.owner_id,
        duration_days=1,
    )
    response = client.post(u("subtask_new", plan.project.pk), data)
    return response, lambda: Subtask.objects.filter(name="新子任务").exists()


def _subtask_delete(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    response = client.post(u("subtask_delete", plan.d.pk))
    return response, lambda: not Subtask.objects.filter(pk=plan.d.pk).exists()


def _status(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    response = client.post(u("subtask_status", plan.a.pk), {"status": "in_progress"})
    return response, lambda: Subtask.objects.get(pk=plan.a.pk).status == "in_progress"


def _request(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    response = client.post(
        u("request_new", plan.a.pk), {"department": plan.org["财务部"].pk, "message": "请支持"}
    )
    return response, lambda: SupportRequest.objects.exists()


def _retro(plan: SimpleNamespace, client: Client) -> tuple[Any, Callable[[], bool]]:
    response = client.post(
        u("retrospective", plan.project.pk), {"lessons": "先定规则", "publish": "1"}
    )
    return response, lambda: Retrospective.objects.exists() and Guide.objects.exists()


CHANGES = {
    "project create": _create,
    "project edit": _edit,
    "subtask new": _subtask_new,
    "subtask edit": _subtask_edit,
    "subtask delete": _subtask_delete,
    "subtask status": _status,
    "request new": _request,
    "retrospective": _retro,
}


@pytest.mark.parametrize("action", CHANGES)
@pytest.mark.parametrize("who", EDITORS)
def test_the_project_department_and_admins_change(
    plan: SimpleNamespace, users: dict[str, Any], action: str, who: str
) -> None:
    response, changed = CHANGES[action](plan, client_for(users[who]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert changed()


@pytest.mark.parametrize(
    ("action", "who"),
    # the outsider may create projects of 销售部: see the next test
    [(a, w) for a in CHANGES for w in REFUSED if (a, w) != ("project create", "outsider")],
)
def test_other_departments_and_viewers_get_403(
    plan: SimpleNamespace, users: dict[str, Any], action: str, who: str
) -> None:
    response, changed = CHANGES[action](plan, client_for(users[who]))
    assert response.status_code == 403
    assert not changed()


def test_an_outsider_creates_only_for_their_own_department(
    plan: SimpleNamespace, outsider: Any
) -> None:
    client = client_for(outsider)
    response, changed = _create(plan, client)  # for 采购部
    assert response.status_code == 200  # not a department the form offers
    assert not changed()
    data = _project_data(plan) | {"name": "新项目", "department": plan.org["销售部"].pk}
    assert client.post(u("create"), data).status_code == 302
    assert Project.objects.get(name="新项目").department.name == "销售部"


def test_the_edit_pages_answer_403_on_get(
    plan: SimpleNamespace, outsider: Any, viewer: Any
) -> None:
    for user in (outsider, viewer):
        client = client_for(user)
        for url in (
            u("edit", plan.project.pk),
            u("subtask_new", plan.project.pk),
            u("subtask_edit", plan.a.pk),
            u("subtask_delete", plan.a.pk),
        ):
            assert client.get(url).status_code == 403, (user, url)
    assert client_for(viewer).get(u("create")).status_code == 403


def test_the_lead_department_changes_its_subtask_not_the_project(
    plan: SimpleNamespace, outsider: Any
) -> None:
    """合同签订 is led by 销售部 (the outsider's department)."""
    client = client_for(outsider)
    assert client.get(u("subtask_edit", plan.c.pk)).status_code == 200
    response = client.post(u("subtask_status", plan.c.pk), {"status": "in_progress"})
    assert response.status_code == 302
    plan.c.refresh_from_db()
    assert plan.c.status == "in_progress"
    data = form_data(client, u("subtask_edit", plan.c.pk), "subtask-form")
    data["duration_days"] = "4"
    assert client.post(u("subtask_edit", plan.c.pk), data).status_code == 302
    plan.c.refresh_from_db()
    assert plan.c.duration_days == 4
    # but not the project, its other subtasks or its retrospective
    assert client.get(u("edit", plan.project.pk)).status_code == 403
    assert client.get(u("subtask_new", plan.project.pk)).status_code == 403
    assert client.post(u("subtask_status", plan.b.pk), {"status": "in_progress"}).status_code == 403
    html = client.get(u("detail", plan.project.pk)).content.decode()
    assert u("edit", plan.project.pk) not in html
    html = client.get(u("subtask", plan.c.pk)).content.decode()
    assert 'data-testid="status-form"' in html
    html = client.get(u("subtask", plan.b.pk)).content.decode()
    assert 'data-testid="status-form"' not in html


def _read_urls(plan: SimpleNamespace) -> list[str]:
    guide = Guide.objects.create(
        title="指南", body="1. 先定规则", department=plan.project.department, published="2024-06-30"
    )
    return [
        u("list"),
        u("list") + "?status=all",
        u("detail", plan.project.pk),
        u("detail", plan.project.pk) + "?as_of=2024-05-01",
        u("gantt", plan.project.pk),
        u("slip", plan.project.pk) + f"?subtask={plan.b.pk}&days=2",
        u("digest", plan.project.pk),
        u("retrospective", plan.project.pk),
        u("subtask", plan.a.pk),
        u("guides"),
        u("guide", guide.pk),
    ]


def test_every_logged_in_user_reads_every_page(
    plan: SimpleNamespace, users: dict[str, Any]
) -> None:
    urls = _read_urls(plan)
    for name, user in users.items():
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 200, (name, url)


def test_anonymous_users_go_to_the_login(plan: SimpleNamespace) -> None:
    client = Client()
    for url in _read_urls(plan):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    response = client.post(u("subtask_status", plan.a.pk), {"status": "done"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    plan.a.refresh_from_db()
    assert plan.a.status == "not_started"


def test_the_read_only_pages_hide_the_forms(plan: SimpleNamespace, viewer: Any) -> None:
    client = client_for(viewer)
    html = client.get(u("subtask", plan.a.pk)).content.decode()
    assert 'data-testid="status-form"' not in html and 'data-testid="request-form"' not in html
    html = client.get(u("retrospective", plan.project.pk)).content.decode()
    assert 'data-testid="retro-form"' not in html
