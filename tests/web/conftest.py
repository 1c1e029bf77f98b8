"""Shared web fixtures: the organisation and users in every role (healthchecks style).

``owner`` is the head of 采购部, ``colleague`` a member of 采购部 with a login, ``outsider`` the
head of 销售部, ``admin`` an operations admin, ``viewer`` a read-only user. ``procurement`` is
the seed's procurement approval process (owned by 采购部 and 财务部) with its five steps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from opslens.web.org.models import Department, Person, Role
from opslens.web.processes.models import Process, ProcessVersion, Step

SEED_STEPS = [
    ("填写申请表", "申请人", "采购需求明细", "纸质/电子申请表", "1"),
    ("部门经理审批", "部门经理", "申请表", "审批意见", "24"),
    ("采购部审核", "采购专员", "申请表、库存表", "审核结果", "12"),
    ("财务部复核", "财务经理", "申请表、预算表", "复核意见", "12"),
    ("总经理审批", "总经理", "申请表、审批意见", "最终审批结果", "48"),
]


def _login_person(name: str, dept: Department | None, role: str, username: str) -> Any:
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    Person.objects.create(name=name, department=dept, role=role, user=user)
    return user


@pytest.fixture
def org(db: None) -> dict[str, Department]:
    names = [
        ("caigou", "采购部"),
        ("caiwu", "财务部"),
        ("xiaoshou", "销售部"),
        ("yunying", "运营部"),
    ]
    return {name: Department.objects.create(code=code, name=name) for code, name in names}


@pytest.fixture
def owner(org: dict[str, Department]) -> Any:
    return _login_person("王强", org["采购部"], Role.HEAD, "owner")


@pytest.fixture
def colleague(org: dict[str, Department]) -> Any:
    return _login_person("马丽", org["采购部"], Role.MEMBER, "colleague")


@pytest.fixture
def outsider(org: dict[str, Department]) -> Any:
    return _login_person("杨帆", org["销售部"], Role.HEAD, "outsider")


@pytest.fixture
def admin(org: dict[str, Department]) -> Any:
    return _login_person("林晓", org["运营部"], Role.OPS_ADMIN, "opsadmin")


@pytest.fixture
def viewer(org: dict[str, Department]) -> Any:
    return _login_person("何总", None, Role.VIEWER, "viewer")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def procurement(org: dict[str, Department]) -> Process:
    process = Process.objects.create(
        name="采购申请审批流程", start_point="提交采购申请", end_point="完成采购入库"
    )
    process.departments.set([org["采购部"], org["财务部"]])
    version = ProcessVersion.objects.create(process=process, kind="as_is", label="现状")
    for position, (name, role, inp, out, hours) in enumerate(SEED_STEPS, start=1):
        Step.objects.create(
            version=version,
            position=position,
            stage=position,
            name=name,
            role=role,
            inputs=inp,
            outputs=out,
            hours=Decimal(hours),
        )
    return process


# --- added for the web test suite -----------------------------------------------------------


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """PBKDF2 with a million rounds costs ~0.3 s per user; MD5 keeps the suite fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with nothing cached: a rolled-back test's rows may reuse ids."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def finance(org: dict[str, Department]) -> Any:
    """A member of 财务部, the procurement process's second owning department."""
    return _login_person("李娜", org["财务部"], Role.MEMBER, "finance")


@pytest.fixture
def dept_viewer(org: dict[str, Department]) -> Any:
    """A viewer who sits in 采购部: the role, not the department, forbids editing."""
    return _login_person("赵六", org["采购部"], Role.VIEWER, "deptviewer")


@pytest.fixture
def to_be(procurement: Process) -> ProcessVersion:
    """A to-be version derived from the procurement process's as-is version."""
    from opslens.web.processes.services import derive_version

    assert procurement.as_is is not None
    return derive_version(procurement.as_is, label="优化方案")


@pytest.fixture
def analysis(procurement: Process, owner: Any) -> dict[str, Any]:
    """A 5-Why chain, a fishbone cause and a remedy on the as-is step 总经理审批."""
    from datetime import date

    from opslens.web.processes.models import FishboneCause, Remedy, WhyChain

    step = Step.objects.get(version__process=procurement, version__kind="as_is", name="总经理审批")
    why = WhyChain.objects.create(
        step=step,
        problem="总经理审批耗时48小时",
        why_1="申请单排队等待",
        why_2="总经理经常出差",
        root_cause="审批权限设置不合理",
    )
    fish = FishboneCause.objects.create(step=step, category="method", cause="小额也需总经理审批")
    remedy = Remedy.objects.create(
        step=step,
        what="调整审批额度",
        owner=owner.person,
        due_date=date(2030, 6, 30),
        verification="审批周期缩短至48小时以内",
    )
    return {"step": step, "why": why, "fish": fish, "remedy": remedy}


@pytest.fixture
def demo(db: None) -> None:
    """The demo company of ``opslens demo`` (its own departments: do not mix with ``org``)."""
    from opslens.web.common.demo import load_demo

    assert load_demo() is True


@pytest.fixture(scope="session", autouse=True)
def _private_data_dir(tmp_path_factory: Any) -> None:
    """Files the web app writes under DATA_DIR (datasets) go to this process's own temporary
    folder: never into the working copy, and never shared by two xdist workers whose separate
    databases both number their first dataset 1."""
    from django.conf import settings as django_settings

    django_settings.DATA_DIR = tmp_path_factory.mktemp("data")
