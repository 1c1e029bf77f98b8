"""Opening the next month carries the lines over and follows the measures month by month.

Budgets are copied, actuals and causes start empty; a measure still planned or in progress
continues on the new line (linked to its origin), a done one does not. The line page shows the
variance month by month: A材料采购 +30 % in June, +18 % in July, +5 % in August.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from opslens.web.costs.models import CostLine, CostMonth
from tests.web.conftest import client_for
from tests.web.costs.helpers import ACTUAL, MEASURE, cost_rows, table, u


def _open(world: SimpleNamespace, key: str, carried: int = 4) -> CostMonth:
    response = client_for(world.users["cfo"]).post(u("month_new"), {"month": key}, follow=True)
    assert response.redirect_chain == [(u("month", key), 302)]
    assert f"{key} opened with {carried} lines carried over" in response.content.decode()
    return CostMonth.objects.get(month=date.fromisoformat(f"{key}-01"))


def _set_actual(month: CostMonth, sub_item: str, amount: int) -> CostLine:
    line = month.lines.get(sub_item=sub_item)
    line.actual = Decimal(amount)
    line.save()
    return line


def test_opening_july_copies_the_lines_and_the_open_measures(world: SimpleNamespace) -> None:
    july = _open(world, "2024-07")
    lines = {line.sub_item: line for line in july.lines.all()}
    assert set(lines) == set(world.lines)
    for sub_item, line in lines.items():
        june = world.lines[sub_item]
        assert (line.category, line.department, line.owner) == (
            june.category,
            june.department,
            june.owner,
        )
        assert line.budget == june.budget
        assert line.actual is None
        assert (line.cause, line.cause_kind) == ("", "")
        assert line.carried_from == june
    material, equipment = lines["A材料采购"], lines["设备水电费"]
    assert (material.measure, material.measure_status, material.planned_date) == (
        "引入2家替代供应商,签订锁价协议",
        CostLine.MeasureStatus.IN_PROGRESS,
        date(2024, 7, 31),
    )
    assert material.measure_department == world.org["采购部"]
    assert (equipment.measure, equipment.measure_status) == (
        "调整生产班次,避开峰电时段",
        CostLine.MeasureStatus.PLANNED,
    )
    for done in (lines["招待费"], lines["销售人员绩效"]):  # done, or no measure at all
        assert (done.measure, done.measure_status, done.planned_date) == ("", "", None)
        assert done.measure_department is None
    # June itself is untouched
    june = CostLine.objects.get(pk=world.lines["A材料采购"].pk)
    assert june.actual == 650_000 and june.cause


def test_the_new_month_page_shows_what_is_still_to_do(world: SimpleNamespace) -> None:
    _open(world, "2024-07")
    cfo = client_for(world.users["cfo"])
    html = cfo.get(u("month", "2024-07")).content.decode()
    rows = cost_rows(html)
    assert all(row.cells[ACTUAL] == "not reported" for row in rows.values())
    assert "carried over" in rows["A材料采购"].cells[MEASURE]
    assert rows["招待费"].cells[MEASURE] == ""
    assert html.count("no actual amount yet") == 4
    assert cfo.post(u("close", "2024-07")).status_code == 302
    assert CostMonth.objects.get(month=date(2024, 7, 1)).is_open
    overview = cfo.get(u("overview")).content.decode()
    assert "Corrective measures in progress" in overview
    # the owner sees their own carried measure, not the other departments'
    owner = client_for(world.users["owner"]).get(u("overview")).content.decode()
    assert "引入2家替代供应商" in owner and "调整生产班次" not in owner


def test_opening_an_existing_month_adds_nothing(world: SimpleNamespace) -> None:
    _open(world, "2024-07")
    count = CostLine.objects.count()
    client_for(world.users["cfo"]).post(u("month_new"), {"month": "2024-07"})
    assert CostLine.objects.count() == count
    bad = client_for(world.users["cfo"]).post(u("month_new"), {"month": "July"}, follow=True)
    assert "Choose a month." in bad.content.decode()
    assert CostMonth.objects.count() == 2


def test_the_line_page_follows_the_variance_month_by_month(world: SimpleNamespace) -> None:
    july = _open(world, "2024-07")
    _set_actual(july, "A材料采购", 590_000)
    august = _open(world, "2024-08")
    line = _set_actual(august, "A材料采购", 525_000)
    assert line.carried_from.carried_from == world.lines["A材料采购"]

    html = client_for(world.users["owner"]).get(u("line", line.pk)).content.decode()
    trend = [row.cells for row in table(html, "trend")[1:]]
    assert [(cells[0], cells[-1]) for cells in trend] == [
        ("2024-06", "+30%"),
        ("2024-07", "+18%"),
        ("2024-08", "+5%"),
    ]
    # the carried-over chain links back to July and June
    july_line = july.lines.get(sub_item="A材料采购")
    assert u("line", july_line.pk) in html and u("line", world.lines["A材料采购"].pk) in html
    # and June's page links forward to July
    june_page = client_for(world.users["owner"]).get(u("line", world.lines["A材料采购"].pk))
    assert u("line", july_line.pk) in june_page.content.decode()


def test_a_month_without_a_line_is_a_gap_in_the_trend(world: SimpleNamespace) -> None:
    july = _open(world, "2024-07")
    july.lines.filter(sub_item="A材料采购").delete()
    august = _open(world, "2024-08", carried=3)
    assert not august.lines.filter(sub_item="A材料采购").exists()
    september = CostMonth.objects.create(month=date(2024, 9, 1))
    line = CostLine.objects.create(
        month=september,
        category=world.lines["A材料采购"].category,
        sub_item="A材料采购",
        department=world.org["采购部"],
        budget=Decimal(500_000),
        actual=Decimal(510_000),
    )
    html = client_for(world.users["owner"]).get(u("line", line.pk)).content.decode()
    trend = [row.cells for row in table(html, "trend")[1:]]
    assert trend == [
        ["2024-06", "500,000.00", "650,000.00", "+30%"],
        ["2024-07", "no line this month"],
        ["2024-08", "no line this month"],
        ["2024-09", "500,000.00", "510,000.00", "+2%"],
    ]
