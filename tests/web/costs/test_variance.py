"""差异额 = 实际 − 预算, 差异率 = 差异额 / 预算, as the month page shows them.

A line beyond its category's threshold (±10 % by default, strictly) is highlighted; a zero
budget has no ratio ("n/a") and any non-zero actual against it is flagged; the threshold is set
per category on the categories page.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from opslens.web.costs.models import CostLine, CostMonth
from tests.web.conftest import client_for
from tests.web.costs.conftest import add_line
from tests.web.costs.helpers import (
    ACTUAL,
    BUDGET,
    RATIO,
    VARIANCE,
    cost_rows,
    table,
    u,
)

SEED_FIGURES = {
    "A材料采购": ("500,000.00", "650,000.00", "+150,000", "+30%"),
    "销售人员绩效": ("200,000.00", "230,000.00", "+30,000", "+15%"),
    "招待费": ("30,000.00", "45,000.00", "+15,000", "+50%"),
    "设备水电费": ("80,000.00", "92,000.00", "+12,000", "+15%"),
}


def _rows(world: SimpleNamespace, who: str = "cfo") -> dict:
    response = client_for(world.users[who]).get(u("month", "2024-06"))
    assert response.status_code == 200
    return cost_rows(response.content)


def test_the_seed_rows_show_their_variance_and_are_highlighted(world: SimpleNamespace) -> None:
    rows = _rows(world)
    assert list(rows) == ["A材料采购", "销售人员绩效", "设备水电费", "招待费"]
    for sub_item, figures in SEED_FIGURES.items():
        row = rows[sub_item]
        assert (row.cells[BUDGET], row.cells[ACTUAL], row.cells[VARIANCE], row.cells[RATIO]) == (
            figures
        )
        assert "flagged" in row.classes, sub_item


def test_the_line_page_shows_the_variance_and_the_threshold(world: SimpleNamespace) -> None:
    line = world.lines["A材料采购"]
    html = client_for(world.users["owner"]).get(u("line", line.pk)).content.decode()
    assert 'data-testid="variance">+150,000<' in html
    assert 'data-testid="ratio">+30%<' in html
    assert "±10%" in html


def test_zero_budget_negative_actual_and_the_exact_threshold(world: SimpleNamespace) -> None:
    june, dept = world.june, world.org["采购部"]
    add_line(june, "未列预算", dept, budget=0, actual=5_000, cause="临时采购", cause_kind="")
    add_line(june, "零对零", dept, budget=0, actual=0)
    add_line(june, "退款冲销", dept, budget=10_000, actual=-2_000)
    add_line(june, "正好一成", dept, budget=100_000, actual=110_000)
    add_line(june, "正好减一成", dept, budget=100_000, actual=90_000)
    add_line(june, "略超一成", dept, budget=100_000, actual=110_001)
    rows = _rows(world, "owner")

    def shown(sub_item: str) -> tuple[str, str, bool]:
        row = rows[sub_item]
        return row.cells[VARIANCE], row.cells[RATIO], "flagged" in row.classes

    assert shown("未列预算") == ("+5,000", "n/a", True)
    assert shown("零对零") == ("0", "n/a", False)
    assert shown("退款冲销") == ("−12,000", "−120%", True)
    assert shown("正好一成") == ("+10,000", "+10%", False)
    assert shown("正好减一成") == ("−10,000", "−10%", False)
    assert shown("略超一成") == ("+10,001", "+10%", True)
    # the zero-budget line's own page and the overview render too
    line = CostLine.objects.get(sub_item="未列预算")
    page = client_for(world.users["owner"]).get(u("line", line.pk))
    assert page.status_code == 200 and 'data-testid="ratio">n/a<' in page.content.decode()
    assert client_for(world.users["owner"]).get(u("overview")).status_code == 200
    export = client_for(world.users["owner"]).get(u("export", "2024-06"))
    assert export.status_code == 200


def test_a_month_of_zero_budgets_only_renders(world: SimpleNamespace) -> None:
    """The totals have no ratio either: the overview and the month page still render."""
    may = CostMonth.objects.create(month=date(2024, 5, 1))
    add_line(may, "未列预算", world.org["采购部"], budget=0, actual=800)
    client = client_for(world.users["owner"])
    html = client.get(u("month", "2024-05")).content.decode()
    (total,) = [row for row in table(html, "cost-table") if "total-row" in row.classes]
    assert total.cells[3:5] == ["+800", "n/a"]
    overview = client.get(u("overview"))
    assert overview.status_code == 200


def test_only_flagged_lines_on_request(world: SimpleNamespace) -> None:
    add_line(world.june, "正好一成", world.org["采购部"], budget=100_000, actual=110_000)
    response = client_for(world.users["owner"]).get(u("month", "2024-06"), {"flagged": "1"})
    assert set(cost_rows(response.content)) == {"A材料采购"}


def test_a_category_threshold_unflags_within_it(world: SimpleNamespace) -> None:
    office = world.lines["招待费"].category
    client = client_for(world.users["cfo"])
    response = client.post(
        u("category_edit", office.pk),
        {"name": "办公费用", "nature": "indirect", "threshold": "60", "order": office.order},
    )
    assert response.status_code == 302
    rows = _rows(world)
    assert "flagged" not in rows["招待费"].classes
    assert rows["招待费"].cells[RATIO] == "+50%"
    assert "flagged" in rows["A材料采购"].classes  # other categories keep ±10 %
    line = world.lines["招待费"]
    assert "±60%" in client.get(u("line", line.pk)).content.decode()
    categories = client.get(u("categories")).content.decode()
    assert "±60%" in categories


def test_a_threshold_out_of_range_is_refused(world: SimpleNamespace) -> None:
    office = world.lines["招待费"].category
    response = client_for(world.users["cfo"]).post(
        u("category_edit", office.pk),
        {"name": "办公费用", "nature": "indirect", "threshold": "-5", "order": office.order},
    )
    assert response.status_code == 422
    office.refresh_from_db()
    assert office.threshold == 10
