"""The lifecycle pages and the home page carry the KPI and cost picture (demo company, 2024-09-10).

Home lists what the user owes the loop; Diagnose shows where the money goes; Pilot shows the
project KPIs; Monitor shows KPI statuses, firing rules, open reviews and the month's costs. Cost
figures on these pages obey the same confidentiality as the cost pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from opslens.web.common.demo import load_demo


@pytest.fixture
def demo(db: None, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-09-10"
    settings.LANGUAGE_CODE = "en"
    load_demo()


def login(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_home_lists_what_the_sales_head_owes(demo: None) -> None:
    page = login("xiaoshou").get("/").content.decode()
    todo = page.split('data-testid="my-todo"')[1].split("</ul>")[0]
    assert "启动销售复盘（2024-W35、2024-W36）" in todo  # the open review
    assert "销售人员绩效" in todo  # the August line beyond its threshold without a cause
    assert "A材料采购" not in todo  # 采购部's line is not his


def test_home_lists_the_overdue_value_for_its_owner(demo: None) -> None:
    from opslens.web.kpis.models import Kpi
    from opslens.web.org.models import Person

    assert "净利润 · 2024-08" not in login("caiwu").get("/").content.decode()
    Kpi.objects.filter(name="净利润").update(owner=Person.objects.get(user__username="caiwu"))
    todo = login("caiwu").get("/").content.decode().split('data-testid="my-todo"')[1]
    assert "净利润 · 2024-08" in todo.split("</ul>")[0]  # due 2024-09-05, still missing


def test_diagnose_shows_where_the_money_goes_within_the_users_cost_access(demo: None) -> None:
    finance = login("caiwu").get("/diagnose/").content.decode()
    assert "Where the money goes" in finance
    assert "销售人员绩效" in finance and "+18%" in finance
    sales = login("xiaoshou").get("/diagnose/").content.decode()
    assert "销售人员绩效" in sales
    purchasing = login("caigou").get("/diagnose/").content.decode()
    assert "销售人员绩效" not in purchasing  # another department's cost line stays hidden


def test_pilot_shows_the_project_kpi_against_its_baseline(demo: None) -> None:
    page = login("viewer").get("/pilot/").content.decode()
    assert "Project KPIs" in page
    row = page.split("采购审批周期")[1].split("</tr>")[0]
    assert "97" in row and "52" in row and "49" in row


def test_monitor_shows_kpis_alerts_and_the_months_costs(demo: None) -> None:
    page = login("demo").get("/monitor/").content.decode()
    assert "销售额连续两周低于预警值" in page  # the firing rule
    assert "启动销售复盘" in page
    assert "2024-08" in page and "+7.6%" in page  # August's total variance, all departments
    own = login("caigou").get("/monitor/").content.decode()
    assert "+7.6%" not in own  # 采购部 sees only its own lines' total
    assert "+5%" in own
