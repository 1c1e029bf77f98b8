"""The demo company (``opslens demo``): logins, the two T1 processes and their figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from opslens.core.processmap import as_percent
from opslens.web.common.demo import DEPARTMENTS, load_demo
from opslens.web.common.permissions import can_edit, is_ops_admin
from opslens.web.org.models import Department, Person, Role
from opslens.web.processes.models import (
    EcrsChange,
    FishboneCause,
    Process,
    ProcessVersion,
    Remedy,
    Step,
    WhyChain,
)
from opslens.web.processes.services import compare, version_table
from tests.web.helpers import snapshot

pytestmark = pytest.mark.usefixtures("demo")

HEADS = [
    ("caigou", "采购部"),
    ("caiwu", "财务部"),
    ("shichang", "市场部"),
    ("yanfa", "研发部"),
    ("shengchan", "生产部"),
    ("xiaoshou", "销售部"),
    ("wuliu", "物流部"),
    ("kefu", "客服部"),
    ("shouhou", "售后部"),
    ("xingzheng", "行政部"),
    ("zhijian", "质检部"),
    ("jishu", "技术部"),
]


def versions(name: str) -> tuple[ProcessVersion, ProcessVersion]:
    process = Process.objects.get(name=name)
    as_is = process.versions.get(kind="as_is")
    to_be = process.versions.get(kind="to_be")
    return as_is, to_be


def test_the_twelve_departments_and_their_heads() -> None:
    assert [(code, name) for code, name, _head, _title in DEPARTMENTS] == HEADS
    for code, name in HEADS:
        dept = Department.objects.get(code=code)
        assert dept.name == name
        head = dept.head
        assert head is not None and head.role == Role.HEAD
        assert head.user is not None and head.user.username == code


@pytest.mark.parametrize(("username", "dept"), [*HEADS, ("demo", "运营部"), ("analyst", "运营部")])
def test_every_demo_login_works_with_password_demo(username: str, dept: str) -> None:
    client = Client()
    assert client.login(username=username, password="demo")
    assert not Client().login(username=username, password="wrong")
    user = get_user_model().objects.get(username=username)
    assert user.person.department.name == dept
    assert client.get("/").status_code == 200


def test_demo_is_the_operations_admin_and_viewer_reads_only() -> None:
    demo = get_user_model().objects.get(username="demo")
    assert demo.person.role == Role.OPS_ADMIN
    assert is_ops_admin(demo)
    viewer = get_user_model().objects.get(username="viewer")
    assert viewer.person.role == Role.VIEWER
    assert Client().login(username="viewer", password="demo")
    process = Process.objects.get(name="采购申请审批流程")
    assert not can_edit(viewer, process)
    assert can_edit(get_user_model().objects.get(username="caiwu"), process)
    assert not can_edit(get_user_model().objects.get(username="xiaoshou"), process)


def test_procurement_as_is_figures() -> None:
    as_is, _ = versions("采购申请审批流程")
    process = as_is.process
    assert set(process.departments.values_list("name", flat=True)) == {"采购部", "财务部"}
    assert (process.start_point, process.end_point) == ("提交采购申请", "完成采购入库")
    assert str(process.record_date) == "2024-05-20"
    table = version_table(as_is)
    assert [r.step.name for r in table.rows] == [
        "填写申请表",
        "部门经理审批",
        "采购部审核",
        "财务部复核",
        "总经理审批",
    ]
    assert [r.step.hours for r in table.rows] == [1, 24, 12, 12, 48]
    assert table.summary.total_hours == 97
    assert table.bottleneck is not None and table.bottleneck.name == "总经理审批"
    share = next(r.figures.share for r in table.rows if r.figures.is_bottleneck)
    assert share == Decimal(48) / Decimal(97)
    assert as_percent(share) == Decimal("49.5")


def test_procurement_to_be_is_in_pilot_at_49_hours() -> None:
    as_is, to_be = versions("采购申请审批流程")
    assert to_be.parent == as_is
    assert to_be.status == ProcessVersion.Status.PILOT
    assert version_table(to_be).summary.total_hours == 49
    assert not to_be.steps.filter(name="总经理审批").exists()
    change = EcrsChange.objects.get(version=to_be)
    assert (change.kind, change.step_name) == ("eliminate", "总经理审批")
    assert (change.hours_before, change.hours_after) == (97, 49)
    cmp = compare(as_is, to_be)
    assert cmp.saving_hours == 48


def test_procurement_root_causes() -> None:
    as_is, _ = versions("采购申请审批流程")
    gm = as_is.steps.get(name="总经理审批")
    chain = WhyChain.objects.get(step=gm)
    assert len(chain.whys) == 5
    assert chain.root_cause == "审批权限设置不合理"
    causes = FishboneCause.objects.filter(step=gm)
    assert set(causes.values_list("category", flat=True)) == {
        "man",
        "machine",
        "material",
        "method",
        "environment",
        "measurement",
    }
    assert list(causes.filter(is_root=True).values_list("category", flat=True)) == ["method"]
    statuses = {r.status for r in Remedy.objects.filter(step__version=as_is)}
    assert statuses == {"verified", "in_progress", "planned"}
    overdue = [r for r in Remedy.objects.all() if r.is_overdue]
    assert [r.what for r in overdue] == ["建立采购与财务共享数据台账，避免重复录入"]


def test_complaint_process_figures() -> None:
    as_is, to_be = versions("客户投诉处理流程")
    table = version_table(as_is)
    assert [r.step.name for r in table.rows] == ["客服记录", "投诉分级", "技术处理", "反馈客户"]
    assert table.summary.total_hours == 48
    assert table.bottleneck is not None and table.bottleneck.name == "技术处理"
    share = next(r.figures.share for r in table.rows if r.figures.is_bottleneck)
    assert as_percent(share) == Decimal(60)  # 28.8 h of 48 h
    assert as_is.steps.get(name="反馈客户").return_rate == 30
    assert set(as_is.process.departments.values_list("name", flat=True)) == {
        "客服部",
        "技术部",
        "售后部",
    }
    assert version_table(to_be).summary.total_hours == Decimal("31.7")  # 4.8 + 0.5 + 14.4 + 12
    assert to_be.status == ProcessVersion.Status.DRAFT
    assert list(to_be.ecrs_changes.values_list("kind", flat=True)) == ["simplify", "simplify"]


def test_loading_twice_creates_nothing_new() -> None:
    users = get_user_model().objects.count()
    people = Person.objects.count()
    departments = Department.objects.count()
    steps = Step.objects.count()
    before = snapshot()
    assert load_demo() is False
    assert snapshot() == before
    assert (get_user_model().objects.count(), Person.objects.count()) == (users, people)
    assert (Department.objects.count(), Step.objects.count()) == (departments, steps)
    assert departments == 14  # the twelve, 运营部 and 总经办


def test_demo_history_names_the_operations_admin() -> None:
    client = Client()
    client.login(username="caigou", password="demo")
    process = Process.objects.get(name="采购申请审批流程")
    page = client.get(process.get_absolute_url()).content.decode()
    history = page[page.index('id="history"') :]
    assert "林晓" in history
