"""The T3 cost world: the seed's June 2024 on the shared test organisation.

Cost data is confidential by department (分级数据权限). On top of ``tests/web/conftest.py``:
财务部 is the *finance* department (``cfo`` its head, ``finance`` a member, ``finance_viewer`` a
viewer), 总经办 the *management* department (``gm`` a viewer, ``gm_head`` its head). The seed's
four June lines are mapped onto the fixture departments: A材料采购 → 采购部, 销售人员绩效 → 销售部,
招待费 (行政部 in the seed) → 财务部, 设备水电费 (生产部 in the seed) → 运营部.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from opslens.web.costs.models import CostCategory, CostLine, CostMonth
from opslens.web.costs.services import ensure_categories
from opslens.web.org.models import CostAccess, Department, Role
from tests.web.conftest import _login_person

C = CostLine.CauseKind
S = CostLine.MeasureStatus

# sub-item → category, department, budget, actual, cause, cause kind, measure, status, planned
SEED = {
    "A材料采购": (
        "原材料成本",
        "采购部",
        500_000,
        650_000,
        "市场价格上涨20%,采购量增加10%",
        C.UNCONTROLLABLE,
        "引入2家替代供应商,签订锁价协议",
        S.IN_PROGRESS,
        date(2024, 7, 31),
    ),
    "销售人员绩效": (
        "人工成本",
        "销售部",
        200_000,
        230_000,
        "销售额超额20%,绩效提成增加",
        C.UNCONTROLLABLE,
        "无(客观业绩增长)",
        S.NONE,
        None,
    ),
    "招待费": (
        "办公费用",
        "财务部",
        30_000,
        45_000,
        "新客户开发招待费超标",
        C.CONTROLLABLE,
        "制定《招待费分级审批制度》",
        S.DONE,
        date(2024, 7, 15),
    ),
    "设备水电费": (
        "制造费用",
        "运营部",
        80_000,
        92_000,
        "夏季空调使用增加,设备满负荷运转",
        C.UNCONTROLLABLE,
        "调整生产班次,避开峰电时段",
        S.PLANNED,
        date(2024, 8, 1),
    ),
}
ALL = set(SEED)

# Who reads which of the June lines.
SEES = {
    "owner": {"A材料采购"},
    "colleague": {"A材料采购"},
    "dept_viewer": {"A材料采购"},
    "outsider": {"销售人员绩效"},
    "viewer": set(),
    "cfo": ALL,
    "finance": ALL,
    "finance_viewer": ALL,
    "gm": ALL,
    "gm_head": ALL,
    "admin": ALL,
}
EVERYONE = list(SEES)


@pytest.fixture
def cost_org(org: dict[str, Department]) -> dict[str, Department]:
    Department.objects.filter(pk=org["财务部"].pk).update(cost_access=CostAccess.FINANCE)
    org["财务部"].refresh_from_db()
    org["总经办"] = Department.objects.create(
        code="zongjingban", name="总经办", cost_access=CostAccess.MANAGEMENT
    )
    ensure_categories()
    return org


@pytest.fixture
def cfo(cost_org: dict[str, Department]) -> Any:
    return _login_person("钱总监", cost_org["财务部"], Role.HEAD, "cfo")


@pytest.fixture
def finance_viewer(cost_org: dict[str, Department]) -> Any:
    return _login_person("孙会计", cost_org["财务部"], Role.VIEWER, "finance_viewer")


@pytest.fixture
def gm(cost_org: dict[str, Department]) -> Any:
    return _login_person("何总", cost_org["总经办"], Role.VIEWER, "gm")


@pytest.fixture
def gm_head(cost_org: dict[str, Department]) -> Any:
    return _login_person("秘书长", cost_org["总经办"], Role.HEAD, "gm_head")


def category(name: str) -> CostCategory:
    return CostCategory.objects.get(name=name)


def add_line(month: CostMonth, sub_item: str, department: Department, **values: Any) -> CostLine:
    """A line; ``category`` by name (default 管理费用), amounts as ints."""
    values.setdefault("budget", 0)
    values["category"] = category(values.pop("category", "管理费用"))
    for key in ("budget", "actual"):
        if values.get(key) is not None:
            values[key] = Decimal(values[key])
    return CostLine.objects.create(month=month, sub_item=sub_item, department=department, **values)


@pytest.fixture
def june(cost_org: dict[str, Department], owner: Any, outsider: Any) -> CostMonth:
    """June 2024 with the seed's four lines, every cause classified: it can close."""
    month = CostMonth.objects.create(month=date(2024, 6, 1))
    people = {"采购部": owner.person, "销售部": outsider.person}
    for sub_item, spec in SEED.items():
        cat, dept, budget, actual, cause, kind, measure, status, planned = spec
        department = cost_org[dept]
        add_line(
            month,
            sub_item,
            department,
            category=cat,
            budget=budget,
            actual=actual,
            cause=cause,
            cause_kind=kind,
            measure=measure,
            measure_status=status,
            measure_department=department if status else None,
            planned_date=planned,
            owner=people.get(dept),
        )
    return month


@pytest.fixture
def world(
    cost_org: dict[str, Department],
    june: CostMonth,
    owner: Any,
    colleague: Any,
    dept_viewer: Any,
    outsider: Any,
    viewer: Any,
    cfo: Any,
    finance: Any,
    finance_viewer: Any,
    gm: Any,
    gm_head: Any,
    admin: Any,
) -> SimpleNamespace:
    users = {
        "owner": owner,
        "colleague": colleague,
        "dept_viewer": dept_viewer,
        "outsider": outsider,
        "viewer": viewer,
        "cfo": cfo,
        "finance": finance,
        "finance_viewer": finance_viewer,
        "gm": gm,
        "gm_head": gm_head,
        "admin": admin,
    }
    lines = {line.sub_item: line for line in june.lines.all()}
    return SimpleNamespace(org=cost_org, june=june, users=users, lines=lines)
