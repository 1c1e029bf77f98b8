"""Who may change quality records: every POST × every kind of user, healthchecks style.

A finding is changed by operations admins and by the heads, members and analysts of its
responsible department — and of its inspector's department, when an inspector is named.
Standards belong to their owner department; the recommended set is added by ops admins only.
Everybody else gets 403 and the database stays as it was. Everybody logged in reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from opslens.web.common.models import Notification
from opslens.web.org.models import Department
from opslens.web.quality.models import Problem, ServiceStandard, Status
from tests.web.conftest import client_for
from tests.web.quality.conftest import form_data, u

USERS = ["owner", "colleague", "dept_viewer", "outsider", "viewer", "admin"]
EDITORS = {"owner", "colleague", "admin"}


def _snapshot() -> dict[str, Any]:
    return {
        "problems": list(Problem.objects.order_by("pk").values()),
        "standards": list(ServiceStandard.objects.order_by("pk").values()),
        "notifications": Notification.objects.count(),
    }


@dataclass
class Action:
    name: str
    post: Callable[[Client, Any], Any]
    allowed: set[str]
    ok: int = 302


def _edit(client: Client, w: Any) -> Any:
    return client.post(
        u("problem_edit", w.problem.pk),
        form_data(
            standard=w.problem.standard,
            observed="45",
            responsible=w.owner.person,
            department=w.org["采购部"],
            measure="调整排班",
            deadline="2024-09-20",
        ),
    )


def _recheck(client: Client, w: Any) -> Any:
    Problem.objects.filter(pk=w.problem.pk).update(status=Status.AWAITING_RECHECK)
    return client.post(
        u("problem_recheck", w.problem.pk),
        {"recheck_result": "抽查25秒接听", "recheck_on": "2024-09-10", "recheck_value": "25"},
    )


def _fail(client: Client, w: Any) -> Any:
    Problem.objects.filter(pk=w.problem.pk).update(status=Status.AWAITING_RECHECK)
    return client.post(
        u("problem_recheck", w.problem.pk),
        {"recheck_result": "仍38秒", "recheck_on": "2024-09-10", "action": "fail"},
    )


ACTIONS = [
    Action(
        "create",
        lambda c, w: c.post(
            u("problem_new"),
            form_data(chosen_level="minor", department=w.org["采购部"], responsible=w.owner.person),
        ),
        EDITORS,
    ),
    Action("edit", _edit, EDITORS),
    Action("delete", lambda c, w: c.post(u("problem_delete", w.problem.pk)), EDITORS),
    Action(
        "move",
        lambda c, w: c.post(u("problem_move", w.problem.pk), {"to": "awaiting_recheck"}),
        EDITORS,
    ),
    Action("recheck-close", _recheck, EDITORS),
    Action("recheck-fail", _fail, EDITORS),
    Action(
        "standard-new",
        lambda c, w: c.post(
            u("standards"),
            {
                "stage": "采购咨询",
                "metric": "回复时长",
                "comparison": "at_most",
                "threshold": "2",
                "unit": "小时",
                "department": w.org["采购部"].pk,
                "active": "on",
            },
        ),
        EDITORS,
    ),
    Action(
        "standard-edit",
        lambda c, w: c.post(
            u("standard_edit", w.standard.pk),
            {
                "stage": w.standard.stage,
                "metric": w.standard.metric,
                "comparison": "at_most",
                "threshold": "3",
                "unit": "小时",
                "department": w.org["采购部"].pk,
                "active": "on",
            },
        ),
        EDITORS,
    ),
    Action("standards-defaults", lambda c, w: c.post(u("standards_defaults")), {"admin"}),
]


@pytest.fixture
def world(
    org: dict[str, Department],
    owner: Any,
    colleague: Any,
    dept_viewer: Any,
    outsider: Any,
    viewer: Any,
    admin: Any,
    problem: Problem,
) -> Any:
    from types import SimpleNamespace

    # a standard owned by 采购部 (the template's are owned by departments this org lacks)
    standard = ServiceStandard.objects.create(
        stage="采购咨询", metric="审批回复", threshold=2, unit="小时", department=org["采购部"]
    )
    ServiceStandard.objects.filter(metric="问题解决率").delete()  # one recommended is missing
    users = {
        "owner": owner,
        "colleague": colleague,
        "dept_viewer": dept_viewer,
        "outsider": outsider,
        "viewer": viewer,
        "admin": admin,
    }
    return SimpleNamespace(org=org, owner=owner, users=users, problem=problem, standard=standard)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
@pytest.mark.parametrize("who", USERS)
def test_every_change_is_guarded(world: Any, action: Action, who: str) -> None:
    before = _snapshot()
    if action.name.startswith("recheck"):
        Problem.objects.filter(pk=world.problem.pk).update(status=Status.AWAITING_RECHECK)
        before = _snapshot()
    response = action.post(client_for(world.users[who]), world)
    if who in action.allowed:
        assert response.status_code == action.ok, response.content.decode()[:3000]
        assert _snapshot() != before
    else:
        assert response.status_code == 403
        after = _snapshot()
        if action.name.startswith("recheck"):
            # the test itself moved the problem to 待复查; nothing else changed
            assert after == before
        else:
            assert after == before


@pytest.mark.parametrize("who", USERS)
def test_everyone_reads_and_edit_pages_are_guarded(world: Any, who: str) -> None:
    client = client_for(world.users[who])
    pk = world.problem.pk
    for url in [
        u("dashboard"),
        u("problem", pk),
        u("standards"),
        u("analysis", "2024-09"),
        u("export", "2024-09"),
        u("grading"),
    ]:
        assert client.get(url).status_code == 200, url
    expected = 200 if who in EDITORS else 403
    assert client.get(u("problem_edit", pk)).status_code == expected
    assert client.get(u("problem_delete", pk)).status_code == expected
    can_create = who in EDITORS | {"outsider"}
    assert client.get(u("problem_new")).status_code == (200 if can_create else 403)
    page = client.get(u("problem", pk)).content.decode()
    assert ('data-testid="move-awaiting_recheck"' in page) == (who in EDITORS)


def test_anonymous_users_are_sent_to_login(world: Any) -> None:
    response = Client().get(u("dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_inspector_records_for_another_department(world: Any) -> None:
    """The outsider (销售部) inspects 采购部: as the named inspector, their department shares
    the finding with the responsible department."""
    outsider = world.users["outsider"]
    response = client_for(outsider).post(
        u("problem_new"),
        form_data(
            chosen_level="minor",
            department=world.org["采购部"],
            responsible=world.owner.person,
            inspector=outsider.person,
        ),
    )
    assert response.status_code == 302
    found = Problem.objects.exclude(pk=world.problem.pk).get()
    assert found.owning_departments() == {world.org["采购部"].pk, world.org["销售部"].pk}
    # the inspector may only be someone of the user's own department
    response = client_for(outsider).post(
        u("problem_new"),
        form_data(
            chosen_level="minor",
            department=world.org["采购部"],
            responsible=world.owner.person,
            inspector=world.owner.person,
        ),
    )
    assert response.status_code == 422
    assert "inspector" in response.context["form"].errors
