"""分级数据权限: every cost page, export and search shows a user only the lines they may read.

采购部 (owner, colleague, dept_viewer) reads A材料采购 only, 销售部 (outsider) 销售人员绩效 only;
finance (cfo, finance, finance_viewer), management (gm, gm_head) and the ops admin read all four;
a viewer without a department reads none. A line one may not read answers 404, whatever the URL.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from opslens.web.costs.services import open_month
from tests.web.conftest import client_for
from tests.web.costs.conftest import ALL, EVERYONE, SEED, SEES
from tests.web.costs.helpers import (
    SUB_ITEM,
    cost_rows,
    table,
    u,
    xlsx_lines,
    xlsx_rows,
)
from tests.web.helpers import XLSX_TYPE


def _money(amount: int) -> str:
    return f"{amount:,.2f}"


def _totals(who: str) -> tuple[int, int]:
    budget = sum(SEED[s][2] for s in SEES[who])
    actual = sum(SEED[s][3] for s in SEES[who])
    return budget, actual


def _assert_hidden(html: str, who: str) -> None:
    """Neither the sub-item nor the cause of a line ``who`` may not read is in the page."""
    for sub_item in ALL - SEES[who]:
        assert sub_item not in html, (who, sub_item)
        assert SEED[sub_item][4] not in html, (who, sub_item)


def test_overview_shows_only_the_readable_lines_and_their_totals(world: SimpleNamespace) -> None:
    for who in EVERYONE:
        response = client_for(world.users[who]).get(u("overview"))
        assert response.status_code == 200, who
        html = response.content.decode()
        _assert_hidden(html, who)
        (june,) = [row for row in table(html, "months") if row.cells[0] == "2024-06"]
        budget, actual = _totals(who)
        assert june.cells[2] == str(len(SEES[who])), who
        assert june.cells[3:5] == [_money(budget), _money(actual)], who
        top = {row.cells[0].split(" · ")[-1] for row in table(html, "top-over")[1:]}
        assert top == SEES[who] or (not SEES[who] and top == {"Nothing over budget."}), who


def test_the_finance_overview_totals_the_whole_company(world: SimpleNamespace) -> None:
    html = client_for(world.users["cfo"]).get(u("overview")).content.decode()
    (june,) = [row for row in table(html, "months") if row.cells[0] == "2024-06"]
    assert june.cells[3:7] == ["810,000.00", "1,017,000.00", "+207,000", "+25.6%"]
    owner = client_for(world.users["owner"]).get(u("overview")).content.decode()
    (june,) = [row for row in table(owner, "months") if row.cells[0] == "2024-06"]
    assert june.cells[3:7] == ["500,000.00", "650,000.00", "+150,000", "+30%"]
    assert "810,000" not in owner and "1,017,000" not in owner


def test_month_table_shows_only_the_readable_lines(world: SimpleNamespace) -> None:
    for who in EVERYONE:
        response = client_for(world.users[who]).get(u("month", "2024-06"))
        assert response.status_code == 200, who
        html = response.content.decode()
        assert set(cost_rows(html)) == SEES[who], who
        _assert_hidden(html, who)
        totals = [row for row in table(html, "cost-table") if "total-row" in row.classes]
        if SEES[who]:
            budget, actual = _totals(who)
            assert totals[0].cells[1:3] == [_money(budget), _money(actual)], who
        else:
            assert totals == [] and "No cost lines you may see." in html


SEARCHES = [
    ("采购", {"A材料采购"}),  # sub-item and department 采购部
    ("销售", {"销售人员绩效"}),  # sub-item and department 销售部
    ("空调", {"设备水电费"}),  # the cause
    ("审批制度", {"招待费"}),  # the measure
    ("人工成本", {"销售人员绩效"}),  # the category
    ("no-such-thing", set()),
]


@pytest.mark.parametrize(("q", "matches"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search_finds_only_readable_lines(
    world: SimpleNamespace, q: str, matches: set[str]
) -> None:
    for who in EVERYONE:
        response = client_for(world.users[who]).get(u("month", "2024-06"), {"q": q})
        assert response.status_code == 200, who
        html = response.content.decode()
        assert set(cost_rows(html)) == matches & SEES[who], (who, q)
        _assert_hidden(html, who)


def test_export_contains_only_the_readable_lines(world: SimpleNamespace) -> None:
    for who in EVERYONE:
        response = client_for(world.users[who]).get(u("export", "2024-06"))
        assert response.status_code == 200, who
        assert response["Content-Type"] == XLSX_TYPE
        lines = xlsx_lines(response.content)
        assert set(lines) == SEES[who], who
        total = xlsx_rows(response.content)[-1]
        budget, actual = _totals(who)
        assert total[0] == "合计" and (total[2], total[3]) == (budget, actual), who
        for row in lines.values():
            assert row[8] != "" and row[SUB_ITEM] in SEES[who]


def test_export_names_its_scope(world: SimpleNamespace) -> None:
    def scope(who: str) -> object:
        content = client_for(world.users[who]).get(u("export", "2024-06")).content
        return load_workbook(io.BytesIO(content)).active.cell(2, 4).value

    assert scope("owner") == "采购部"
    assert scope("outsider") == "销售部"
    assert scope("gm") == "all departments"


def test_line_pages_answer_404_for_lines_one_may_not_read(world: SimpleNamespace) -> None:
    for who in EVERYONE:
        client = client_for(world.users[who])
        for sub_item, line in world.lines.items():
            readable = sub_item in SEES[who]
            detail = client.get(u("line", line.pk))
            assert detail.status_code == (200 if readable else 404), (who, sub_item)
            if readable:
                assert SEED[sub_item][4] in detail.content.decode()
            for name in ("line_edit", "line_delete"):
                status = client.get(u(name, line.pk)).status_code
                if not readable:
                    assert status == 404, (who, name, sub_item)
                else:
                    assert status in (200, 403), (who, name, sub_item)


def test_monitor_shows_only_the_readable_cost_lines(world: SimpleNamespace) -> None:
    for who in EVERYONE:
        response = client_for(world.users[who]).get(reverse("monitor"))
        assert response.status_code == 200, who
        html = response.content.decode()
        _assert_hidden(html, who)
        for sub_item in SEES[who]:
            assert sub_item in html, (who, sub_item)


def test_trend_and_carry_over_links_stay_within_what_one_reads(world: SimpleNamespace) -> None:
    """The line page's trend and the carried-over line are as private as the line itself."""
    july = open_month(date(2024, 7, 1))
    july_line = july.lines.get(sub_item="A材料采购")
    july_line.actual = Decimal(590_000)
    july_line.save()
    html = client_for(world.users["owner"]).get(u("line", july_line.pk)).content.decode()
    trend = [row.cells for row in table(html, "trend")[1:]]
    assert [cells[0] for cells in trend] == ["2024-06", "2024-07"]
    outsider = client_for(world.users["outsider"])
    assert outsider.get(u("line", july_line.pk)).status_code == 404
    assert "A材料采购" not in outsider.get(u("month", "2024-07")).content.decode()


def test_anonymous_visitors_are_sent_to_the_login(world: SimpleNamespace) -> None:
    client = Client()
    line = world.lines["A材料采购"]
    for url in (u("overview"), u("month", "2024-06"), u("export", "2024-06"), u("line", line.pk)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login"), url
        assert "A材料采购".encode() not in response.content


def test_unknown_months_answer_404(world: SimpleNamespace) -> None:
    client = client_for(world.users["cfo"])
    for key in ("2024-05", "2024-13", "june"):
        assert client.get(u("month", key)).status_code == 404, key
        assert client.get(u("export", key)).status_code == 404, key
