"""Who may read and change what, healthchecks style: every URL × every kind of user.

Everyone logged in reads everything; a process is changed only by operations admins and by the
heads, members and analysts of one of its departments (采购部 and 财务部 here). Everybody else
gets 403 and the database stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from opslens.core.processmap import write_process_xlsx
from opslens.web.org.models import Person
from opslens.web.processes.models import (
    EcrsChange,
    FishboneCause,
    Process,
    ProcessVersion,
    Remedy,
    Step,
    WhyChain,
)
from opslens.web.processes.services import sheet_of
from tests.web.conftest import client_for
from tests.web.helpers import XLSX_TYPE, snapshot, template_rows, upload, workbook

EDITORS = ["owner", "colleague", "finance", "admin"]
FORBIDDEN = ["outsider", "viewer", "dept_viewer"]
EVERYONE = EDITORS + FORBIDDEN


@pytest.fixture
def world(
    org: Any,
    owner: Any,
    colleague: Any,
    outsider: Any,
    admin: Any,
    viewer: Any,
    finance: Any,
    dept_viewer: Any,
    procurement: Process,
    to_be: ProcessVersion,
    analysis: dict[str, Any],
) -> SimpleNamespace:
    as_is = procurement.as_is
    assert as_is is not None
    steps = {s.name: s for s in as_is.steps.all()}
    return SimpleNamespace(
        org=org,
        p=procurement,
        as_is=as_is,
        to_be=to_be,
        steps=steps,
        gm=steps["总经理审批"],
        first=steps["填写申请表"],
        second=steps["部门经理审批"],
        why=analysis["why"],
        fish=analysis["fish"],
        remedy=analysis["remedy"],
        owner_person=owner.person,
    )


def _user(request: pytest.FixtureRequest, name: str) -> Any:
    return request.getfixturevalue(name)


def u(name: str, *args: Any) -> str:
    return reverse(f"processes:{name}", args=args)


# --- pages everyone reads ------------------------------------------------------------------

READ_PAGES: list[tuple[str, Callable[[Any], str]]] = [
    ("home", lambda w: reverse("home")),
    ("diagnose", lambda w: reverse("diagnose")),
    ("design", lambda w: reverse("design")),
    ("pilot", lambda w: reverse("pilot")),
    ("standardize", lambda w: reverse("standardize")),
    ("monitor", lambda w: reverse("monitor")),
    ("notifications", lambda w: reverse("notifications")),
    ("process-list", lambda w: u("list")),
    ("process-list-search", lambda w: u("list") + "?q=总经理"),
    ("process-list-dept", lambda w: u("list") + f"?departments={w.org['采购部'].pk}"),
    ("process", lambda w: u("detail", w.p.pk)),
    ("compare", lambda w: u("compare", w.p.pk)),
    ("version-as-is", lambda w: u("version", w.p.pk, w.as_is.pk)),
    ("version-to-be", lambda w: u("version", w.p.pk, w.to_be.pk)),
    ("swimlane", lambda w: u("swimlane", w.p.pk, w.as_is.pk)),
    ("swimlane-dept", lambda w: u("swimlane", w.p.pk, w.as_is.pk) + "?by=department"),
    ("export-xlsx", lambda w: u("export_xlsx", w.p.pk, w.as_is.pk)),
    ("export-bpmn", lambda w: u("export_bpmn", w.p.pk, w.as_is.pk)),
    ("export-bpmn-dept", lambda w: u("export_bpmn", w.p.pk, w.to_be.pk) + "?by=department"),
    ("step", lambda w: u("step", w.p.pk, w.gm.pk)),
    ("departments", lambda w: reverse("org:departments")),
    ("people", lambda w: reverse("org:people")),
    ("person", lambda w: reverse("org:person", args=[w.owner_person.pk])),
    ("department", lambda w: reverse("org:department", args=["caigou"])),
]


def _statuses(request: pytest.FixtureRequest, users: list[str], path: str) -> dict[str, int]:
    return {who: client_for(_user(request, who)).get(path).status_code for who in users}


@pytest.mark.parametrize(("page", "url"), READ_PAGES, ids=[p for p, _ in READ_PAGES])
def test_every_logged_in_user_reads_every_page(
    request: pytest.FixtureRequest, world: Any, page: str, url: Callable[[Any], str]
) -> None:
    statuses = _statuses(request, EVERYONE, url(world))
    assert statuses == dict.fromkeys(EVERYONE, 200), page


@pytest.mark.parametrize("who", EVERYONE)
def test_exports_are_real_files_for_everyone(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    client = client_for(_user(request, who))
    xlsx = client.get(u("export_xlsx", world.p.pk, world.as_is.pk))
    assert xlsx["Content-Type"] == XLSX_TYPE
    assert xlsx.content[:2] == b"PK"  # a zip container
    bpmn = client.get(u("export_bpmn", world.p.pk, world.as_is.pk))
    assert bpmn["Content-Type"].startswith("application/xml")
    assert b"<bpmn:definitions" in bpmn.content


@pytest.mark.parametrize("who", FORBIDDEN)
def test_read_pages_offer_no_editing_to_those_who_cannot_edit(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    client = client_for(_user(request, who))
    version = client.get(u("version", world.p.pk, world.as_is.pk)).content.decode()
    assert 'id="step-add"' not in version
    assert u("step_edit", world.p.pk, world.gm.pk) not in version
    detail = client.get(u("detail", world.p.pk)).content.decode()
    assert u("edit", world.p.pk) not in detail
    step = client.get(u("step", world.p.pk, world.gm.pk)).content.decode()
    assert u("why_new", world.p.pk, world.gm.pk) not in step


@pytest.mark.parametrize("who", EDITORS)
def test_read_pages_offer_editing_to_editors(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    client = client_for(_user(request, who))
    version = client.get(u("version", world.p.pk, world.as_is.pk)).content.decode()
    assert 'id="step-add"' in version
    assert u("step_edit", world.p.pk, world.gm.pk) in version
    detail = client.get(u("detail", world.p.pk)).content.decode()
    assert u("edit", world.p.pk) in detail
    step = client.get(u("step", world.p.pk, world.gm.pk)).content.decode()
    assert u("why_new", world.p.pk, world.gm.pk) in step


# --- forms: shown to editors only ----------------------------------------------------------

EDIT_FORMS: list[tuple[str, Callable[[Any], str]]] = [
    ("process-edit", lambda w: u("edit", w.p.pk)),
    ("process-delete", lambda w: u("delete", w.p.pk)),
    ("version-edit", lambda w: u("version_edit", w.p.pk, w.as_is.pk)),
    ("version-delete", lambda w: u("version_delete", w.p.pk, w.to_be.pk)),
    ("version-import", lambda w: u("version_import", w.p.pk, w.as_is.pk)),
    ("step-edit", lambda w: u("step_edit", w.p.pk, w.gm.pk)),
    ("step-ecrs", lambda w: u("step_ecrs", w.p.pk, w.gm.pk)),
    ("why-new", lambda w: u("why_new", w.p.pk, w.gm.pk)),
    ("why-edit", lambda w: u("why_edit", w.p.pk, w.gm.pk, w.why.pk)),
    ("fishbone-new", lambda w: u("fishbone_new", w.p.pk, w.gm.pk)),
    ("fishbone-edit", lambda w: u("fishbone_edit", w.p.pk, w.gm.pk, w.fish.pk)),
    ("remedy-new", lambda w: u("remedy_new", w.p.pk, w.gm.pk)),
    ("remedy-edit", lambda w: u("remedy_edit", w.p.pk, w.gm.pk, w.remedy.pk)),
]


@pytest.mark.parametrize(("form", "url"), EDIT_FORMS, ids=[f for f, _ in EDIT_FORMS])
def test_edit_forms_open_for_editors_only(
    request: pytest.FixtureRequest, world: Any, form: str, url: Callable[[Any], str]
) -> None:
    statuses = _statuses(request, EVERYONE, url(world))
    expected = {who: 200 if who in EDITORS else 403 for who in EVERYONE}
    assert statuses == expected, form


# --- state-changing endpoints --------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    url: Callable[[Any], str]
    data: Callable[[Any], dict[str, Any]]
    changed: Callable[[Any], None]  # asserts that the database really changed
    htmx: bool = False


def _import_file(w: Any) -> dict[str, Any]:
    sheet = sheet_of(w.as_is)
    steps = tuple(
        dc_replace(s, hours=Decimal(3)) if s.name == "填写申请表" else s for s in sheet.steps
    )
    return {"file": upload(write_process_xlsx(dc_replace(sheet, steps=steps)))}


def _process_data(name: str, w: Any) -> dict[str, Any]:
    return {
        "name": name,
        "departments": [w.org["采购部"].pk, w.org["财务部"].pk],
        "start_point": "提交采购申请",
        "end_point": "完成采购入库",
        "record_date": "2024-05-20",
    }


def _check_ecrs(w: Any) -> None:
    record = EcrsChange.objects.get()
    assert record.kind == "eliminate"
    assert record.version.kind == "to_be"
    assert record.version.pk != w.to_be.pk
    assert not record.version.steps.filter(name="总经理审批").exists()


def _check_moved(w: Any) -> None:
    w.second.refresh_from_db()
    w.first.refresh_from_db()
    assert (w.second.position, w.first.position) == (1, 2)


def _check_step_deleted(w: Any) -> None:
    assert not Step.objects.filter(pk=w.first.pk).exists()
    assert list(w.as_is.steps.values_list("position", flat=True)) == [1, 2, 3, 4]


ACTIONS = [
    Action(
        "process-edit",
        lambda w: u("edit", w.p.pk),
        lambda w: _process_data("采购申请审批流程（修订）", w),
        lambda w: Process.objects.get(pk=w.p.pk).name == "采购申请审批流程（修订）" or _fail(),
    ),
    Action(
        "process-delete",
        lambda w: u("delete", w.p.pk),
        lambda w: {},
        lambda w: not Process.objects.filter(pk=w.p.pk).exists() or _fail(),
    ),
    Action(
        "version-edit",
        lambda w: u("version_edit", w.p.pk, w.to_be.pk),
        lambda w: {"label": "方案 v2", "status": "pilot", "notes": "试点一个月"},
        lambda w: (
            ProcessVersion.objects.filter(pk=w.to_be.pk, label="方案 v2", status="pilot").exists()
            or _fail()
        ),
    ),
    Action(
        "version-derive",
        lambda w: u("derive", w.p.pk, w.as_is.pk),
        lambda w: {"label": "方案B"},
        lambda w: w.p.versions.get(label="方案B").steps.count() == 5 or _fail(),
    ),
    Action(
        "version-delete",
        lambda w: u("version_delete", w.p.pk, w.to_be.pk),
        lambda w: {},
        lambda w: not ProcessVersion.objects.filter(pk=w.to_be.pk).exists() or _fail(),
    ),
    Action(
        "version-import",
        lambda w: u("version_import", w.p.pk, w.as_is.pk),
        _import_file,
        lambda w: Step.objects.get(pk=w.first.pk).hours == 3 or _fail(),
    ),
    Action(
        "step-add",
        lambda w: u("step_add", w.p.pk, w.as_is.pk),
        lambda w: {"name": "归档", "hours": "2"},
        lambda w: w.as_is.steps.get(name="归档").position == 6 or _fail(),
    ),
    Action(
        "step-add-htmx",
        lambda w: u("step_add", w.p.pk, w.as_is.pk),
        lambda w: {"name": "归档", "hours": "2"},
        lambda w: w.as_is.steps.filter(name="归档").exists() or _fail(),
        htmx=True,
    ),
    Action(
        "step-edit",
        lambda w: u("step_edit", w.p.pk, w.first.pk),
        lambda w: {"name": "填写申请表", "role": "申请人", "hours": "2"},
        lambda w: Step.objects.get(pk=w.first.pk).hours == 2 or _fail(),
    ),
    Action(
        "step-delete",
        lambda w: u("step_delete", w.p.pk, w.first.pk),
        lambda w: {},
        _check_step_deleted,
    ),
    Action(
        "step-move",
        lambda w: u("step_move", w.p.pk, w.second.pk, "up"),
        lambda w: {},
        _check_moved,
    ),
    Action(
        "step-ecrs",
        lambda w: u("step_ecrs", w.p.pk, w.gm.pk),
        lambda w: {"target": "new", "kind": "eliminate"},
        _check_ecrs,
    ),
    Action(
        "why-new",
        lambda w: u("why_new", w.p.pk, w.gm.pk),
        lambda w: {"problem": "退回率高", "why_1": "信息不全"},
        lambda w: WhyChain.objects.filter(problem="退回率高", step=w.gm).exists() or _fail(),
    ),
    Action(
        "why-edit",
        lambda w: u("why_edit", w.p.pk, w.gm.pk, w.why.pk),
        lambda w: {"problem": "改过的问题", "why_1": "原因一"},
        lambda w: WhyChain.objects.get(pk=w.why.pk).problem == "改过的问题" or _fail(),
    ),
    Action(
        "why-delete",
        lambda w: u("child_delete", w.p.pk, w.gm.pk, "why", w.why.pk),
        lambda w: {},
        lambda w: not WhyChain.objects.filter(pk=w.why.pk).exists() or _fail(),
    ),
    Action(
        "fishbone-new",
        lambda w: u("fishbone_new", w.p.pk, w.gm.pk),
        lambda w: {"category": "man", "cause": "审批人出差"},
        lambda w: FishboneCause.objects.filter(cause="审批人出差").exists() or _fail(),
    ),
    Action(
        "fishbone-edit",
        lambda w: u("fishbone_edit", w.p.pk, w.gm.pk, w.fish.pk),
        lambda w: {"category": "method", "cause": "权限不合理", "is_root": "on"},
        lambda w: FishboneCause.objects.get(pk=w.fish.pk).is_root or _fail(),
    ),
    Action(
        "fishbone-delete",
        lambda w: u("child_delete", w.p.pk, w.gm.pk, "fishbone", w.fish.pk),
        lambda w: {},
        lambda w: not FishboneCause.objects.filter(pk=w.fish.pk).exists() or _fail(),
    ),
    Action(
        "remedy-new",
        lambda w: u("remedy_new", w.p.pk, w.gm.pk),
        lambda w: {
            "what": "上线OA审批",
            "owner": w.owner_person.pk,
            "due_date": "2030-01-31",
            "verification": "审批时效缩短50%",
            "status": "planned",
        },
        lambda w: Remedy.objects.filter(what="上线OA审批").exists() or _fail(),
    ),
    Action(
        "remedy-edit",
        lambda w: u("remedy_edit", w.p.pk, w.gm.pk, w.remedy.pk),
        lambda w: {
            "what": "调整审批额度",
            "owner": w.owner_person.pk,
            "due_date": "2030-06-30",
            "verification": "审批周期缩短至48小时以内",
            "status": "verified",
            "result": "平均审批周期47小时",
        },
        lambda w: Remedy.objects.get(pk=w.remedy.pk).status == "verified" or _fail(),
    ),
    Action(
        "remedy-delete",
        lambda w: u("child_delete", w.p.pk, w.gm.pk, "remedy", w.remedy.pk),
        lambda w: {},
        lambda w: not Remedy.objects.filter(pk=w.remedy.pk).exists() or _fail(),
    ),
]


def _fail() -> None:
    raise AssertionError("the database did not change")


def _post(client: Client, action: Action, world: Any) -> Any:
    extra = {"HTTP_HX_REQUEST": "true"} if action.htmx else {}
    return client.post(action.url(world), action.data(world), **extra)


@pytest.mark.parametrize("who", EDITORS)
@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_editors_change_the_process(
    request: pytest.FixtureRequest, world: Any, who: str, action: Action
) -> None:
    before = snapshot()
    response = _post(client_for(_user(request, who)), action, world)
    assert 200 <= response.status_code < 400, (action.name, who, response.status_code)
    if response.status_code == 200 and not action.htmx:
        raise AssertionError(f"{action.name}: the form was re-rendered, not saved")
    action.changed(world)
    assert snapshot() != before


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_others_get_403_and_nothing_changes(
    request: pytest.FixtureRequest, world: Any, action: Action
) -> None:
    before = snapshot()
    for who in FORBIDDEN:  # a 403 changes nothing, so one world serves every user
        response = _post(client_for(_user(request, who)), action, world)
        assert response.status_code == 403, (action.name, who, response.status_code)
        assert snapshot() == before, (action.name, who)


# --- creating a process -------------------------------------------------------------------


def _new_process(w: Any, department: str) -> dict[str, Any]:
    return {"name": "新流程", "departments": [w.org[department].pk], "record_date": "2024-06-01"}


@pytest.mark.parametrize("who", ["viewer", "dept_viewer"])
def test_viewers_cannot_create_or_import(
    request: pytest.FixtureRequest, world: Any, who: str
) -> None:
    client = client_for(_user(request, who))
    before = snapshot()
    assert client.get(u("create")).status_code == 403
    assert client.post(u("create"), _new_process(world, "采购部")).status_code == 403
    assert client.get(u("import")).status_code == 403
    data = {"file": upload(workbook(template_rows())), "departments": [world.org["采购部"].pk]}
    assert client.post(u("import"), data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "department"),
    [
        ("owner", "采购部"),
        ("colleague", "采购部"),
        ("finance", "财务部"),
        ("outsider", "销售部"),
        ("admin", "销售部"),
    ],
)
def test_creating_a_process_for_ones_own_department(
    request: pytest.FixtureRequest, world: Any, who: str, department: str
) -> None:
    user = _user(request, who)
    client = client_for(user)
    assert client.get(u("create")).status_code == 200
    response = client.post(u("create"), _new_process(world, department))
    assert response.status_code == 302
    process = Process.objects.get(name="新流程")
    assert response["Location"] == process.as_is.get_absolute_url()
    assert process.created_by == user
    assert [d.name for d in process.departments.all()] == [department]


def test_outsider_cannot_create_a_process_for_another_department(world: Any, outsider: Any):
    before = snapshot()
    response = client_for(outsider).post(u("create"), _new_process(world, "采购部"))
    assert response.status_code == 200
    assert "Include your own department" in response.content.decode()
    assert snapshot() == before


# --- anonymous -----------------------------------------------------------------------------

ANONYMOUS = (
    [(name, "get", url) for name, url in READ_PAGES]
    + [(name, "get", url) for name, url in EDIT_FORMS]
    + [("process-create", "get", lambda w: u("create")), ("import", "get", lambda w: u("import"))]
    + [(a.name, "post", a.url) for a in ACTIONS if not a.htmx]
    + [("process-create-post", "post", lambda w: u("create"))]
    + [("notification-read", "post", lambda w: reverse("notification_read", args=[1]))]
)


@pytest.mark.parametrize(
    ("name", "method", "url"), ANONYMOUS, ids=[f"{m}-{n}" for n, m, _ in ANONYMOUS]
)
def test_anonymous_users_are_sent_to_login(
    world: Any, name: str, method: str, url: Callable[[Any], str]
) -> None:
    before = snapshot()
    target = url(world)
    response = getattr(Client(), method)(target)
    assert response.status_code == 302, name
    assert response["Location"].startswith("/login/?next="), response["Location"]
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/login/"])
def test_public_pages_need_no_login(path: str) -> None:
    assert Client().get(path).status_code == 200


@pytest.mark.django_db
def test_login_with_a_password_then_the_home_page(owner: Any) -> None:
    client = Client()
    response = client.post("/login/", {"username": "owner", "password": "pw-owner"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "王强" in client.get("/").content.decode()


# --- notifications are private -------------------------------------------------------------


def test_a_user_marks_only_their_own_notification_read(world: Any, owner: Any, colleague: Any):
    from opslens.web.common.models import Notification

    note = Notification.objects.create(user=owner, message="请处理", url="/processes/")
    response = client_for(colleague).post(reverse("notification_read", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert not note.read
    response = client_for(owner).post(reverse("notification_read", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/processes/"
    note.refresh_from_db()
    assert note.read
    page = client_for(colleague).get(reverse("notifications")).content.decode()
    assert "请处理" not in page


def test_a_remedy_for_someone_without_login_is_fine(world: Any, owner: Any) -> None:
    nobody = Person.objects.create(name="钱程", department=world.org["采购部"])
    response = client_for(owner).post(
        u("remedy_new", world.p.pk, world.gm.pk),
        {
            "what": "培训",
            "owner": nobody.pk,
            "due_date": date(2030, 1, 1).isoformat(),
            "verification": "考试通过",
            "status": "planned",
        },
    )
    assert response.status_code == 302
    assert Remedy.objects.filter(what="培训", owner=nobody).exists()
