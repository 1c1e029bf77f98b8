"""The T4 world on the shared test organisation (tests/web/conftest.py).

``standards`` are the template's seven (core ``DEFAULT_STANDARDS``); ``answer`` is
电话接听 ≤ 30 秒, ``satisfaction`` 客户满意度 ≥ 4.5 分. ``problem`` is a finding of 采购部
(``owner``'s department; ``colleague`` works there too) in rectification; ``demo_world`` is
the quality demo on a minimal organisation built here (its own departments, not ``org``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from opslens.web.org.models import Department, Person, Role
from opslens.web.quality import services
from opslens.web.quality.models import Problem, ServiceStandard, Status

TODAY = "2024-09-10"


@pytest.fixture(autouse=True)
def fixed_today(settings: Any) -> None:
    settings.OPSLENS_TODAY = TODAY


@pytest.fixture
def standards(db: None) -> dict[str, ServiceStandard]:
    services.add_default_standards()
    return {s.metric: s for s in ServiceStandard.objects.all()}


@pytest.fixture
def answer(standards: dict[str, ServiceStandard]) -> ServiceStandard:
    return standards["电话接听"]


@pytest.fixture
def satisfaction(standards: dict[str, ServiceStandard]) -> ServiceStandard:
    return standards["客户满意度"]


def u(name: str, *args: Any) -> str:
    return reverse(f"quality:{name}", args=args)


def form_data(**values: Any) -> dict[str, Any]:
    """A complete new-inspection POST; keyword arguments replace fields (None drops one)."""
    data: dict[str, Any] = {
        "inspected_on": "2024-09-02",
        "method": "mystery_shopper",
        "stage": "客服响应",
        "standard": "",
        "observed": "",
        "problem_type": "响应速度慢",
        "description": "来电等待过久",
        "department": "",
        "responsible": "",
        "inspector": "",
        "chosen_level": "",
        "level_reason": "",
        "measure": "",
        "measure_owner": "",
        "deadline": "",
    }
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value.pk if hasattr(value, "pk") else value
    return data


def make_problem(department: Department, **fields: Any) -> Problem:
    fields.setdefault("inspected_on", date(2024, 9, 2))
    fields.setdefault("stage", "客服响应")
    fields.setdefault("method", "mystery_shopper")
    fields.setdefault("description", "来电等待过久")
    fields.setdefault("problem_type", "响应速度慢")
    fields.setdefault("level", "general")
    fields.setdefault("measure", "增加高峰期人员")
    return Problem.objects.create(department=department, **fields)


@pytest.fixture
def problem(org: dict[str, Department], owner: Any, answer: ServiceStandard) -> Problem:
    """40 s against ≤ 30 s: serious by rule, recorded general with a reason; in rectification."""
    return make_problem(
        org["采购部"],
        standard=answer,
        observed=Decimal(40),
        rule_level="serious",
        level="general",
        level_reason="首次发生",
        responsible=owner.person,
        status=Status.IN_PROGRESS,
        deadline=date(2024, 9, 20),
    )


def minimal_company() -> tuple[dict[str, Department], dict[str, Person]]:
    """The departments the quality demo needs, each with a head who logs in."""
    from django.contrib.auth import get_user_model

    depts: dict[str, Department] = {}
    heads: dict[str, Person] = {}
    for code, name, head, title in [  # as in opslens.web.common.demo
        ("kefu", "客服部", "黄丽", "客服部经理"),
        ("shouhou", "售后部", "周杰", "售后部主管"),
        ("wuliu", "物流部", "赵磊", "物流部经理"),
        ("jishu", "技术部", "孙浩", "技术部经理"),
        ("zhijian", "质检部", "徐静", "质检部经理"),
    ]:
        depts[name] = Department.objects.create(code=code, name=name)
        user = get_user_model().objects.create_user(username=code, password="demo")
        heads[name] = Person.objects.create(
            name=head, title=title, department=depts[name], role=Role.HEAD, user=user
        )
    return depts, heads


@pytest.fixture
def demo_world(db: None) -> tuple[dict[str, Department], dict[str, Person]]:
    from django.utils import translation

    from opslens.web.quality import demo

    depts, heads = minimal_company()
    with translation.override("zh-hans"):
        demo.load(depts, heads)
    return depts, heads
