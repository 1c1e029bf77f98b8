"""The T2 world on the shared test organisation (tests/web/conftest.py).

``plan`` is a project of 采购部 (owner 王强, head of 采购部) starting Monday 2024-06-03, with four
subtasks and finish-to-start links, one with a lag of +2 days::

    需求确认 (采购部, 3 d) ──+2──▶ 供应商评估 (财务部, 5 d) ──▶ 到货验收 (采购部, 2 d)
            └──────────────────▶ 合同签订 (销售部, 2 d) ────────┘

Earliest dates: 需求确认 06-03…06-05, 供应商评估 06-08…06-12, 合同签订 06-06…06-07, 到货验收
06-13…06-14. The critical path is 需求确认 → 供应商评估 → 到货验收; 合同签订 has 5 days of slack.
Today is 2024-05-20 unless a test says otherwise (before the start: the forecast moves nothing).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from opslens.web.org.models import Department, Role
from opslens.web.projects.models import Dependency, Project, Risk, Subtask, Support
from tests.web.conftest import _login_person

START = date(2024, 6, 3)
BEFORE = "2024-05-20"


@pytest.fixture(autouse=True)
def _today(settings: Any) -> None:
    settings.OPSLENS_TODAY = BEFORE


@pytest.fixture
def cfo(org: dict[str, Department]) -> Any:
    """The head of 财务部: answers requests to 财务部."""
    return _login_person("钱总监", org["财务部"], Role.HEAD, "cfo")


@pytest.fixture
def plan(
    org: dict[str, Department], owner: Any, colleague: Any, outsider: Any, cfo: Any
) -> SimpleNamespace:
    project = Project.objects.create(
        name="采购周期缩短项目",
        department=org["采购部"],
        owner=owner.person,
        start_date=START,
        goal="6月底前采购周期从97小时降到48小时",
        deadline=date(2024, 6, 30),
    )

    def sub(position: int, name: str, dept: str, person: Any, days: int, **kw: Any) -> Subtask:
        return Subtask.objects.create(
            project=project,
            position=position,
            name=name,
            deliverable=name + "报告",
            lead_department=org[dept],
            responsible=person.person,
            duration_days=days,
            **kw,
        )

    a = sub(1, "需求确认", "采购部", colleague, 3, planned_start=START, milestone=date(2024, 6, 5))
    b = sub(2, "供应商评估", "财务部", cfo, 5, milestone=date(2024, 6, 14))
    c = sub(3, "合同签订", "销售部", outsider, 2, milestone=date(2024, 6, 10))
    d = sub(4, "到货验收", "采购部", owner, 2, milestone=date(2024, 6, 20))
    Dependency.objects.create(subtask=b, predecessor=a, lag_days=2)
    Dependency.objects.create(subtask=c, predecessor=a)
    Dependency.objects.create(subtask=d, predecessor=b)
    Dependency.objects.create(subtask=d, predecessor=c)
    Support.objects.create(subtask=b, department=org["采购部"], contribution="提供供应商名单")
    Risk.objects.create(subtask=b, description="供应商资料不全", owner=cfo.person)
    return SimpleNamespace(project=project, a=a, b=b, c=c, d=d, org=org)
