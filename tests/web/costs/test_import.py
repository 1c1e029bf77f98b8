"""Importing a month from the finance system's CSV or workbook, all rows or none.

The seed's headers in a GB18030 CSV create the lines; importing again updates them; a bad cell
names its row and column and nothing is saved; so does a row the importer may not change or an
unknown category. A month's own export imports back with the same figures.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from opslens.web.costs.models import CostLine, CostMonth
from tests.web.conftest import client_for
from tests.web.costs.helpers import (
    SEED_HEADER,
    csv_upload,
    snapshot,
    u,
    xlsx_rows,
)
from tests.web.helpers import upload

SEED_ROWS = [
    [
        "原材料成本",
        "A材料采购",
        "500,000",
        "650,000",
        "市场价格上涨20%,采购量增加10%",
        "引入2家替代供应商,签订锁价协议",
        "采购部",
        "王强",
        "2024-07-31",
    ],
    [
        "人工成本",
        "销售人员绩效",
        "200,000",
        "230,000",
        "销售额超额20%,绩效提成增加",
        "无(客观业绩增长)",
        "销售部",
        "杨帆",
        "-",
    ],
    [
        "办公费用",
        "招待费",
        "30,000",
        "45,000",
        "新客户开发招待费超标",
        "制定《招待费分级审批制度》",
        "财务部",
        "*主任",
        "2024-07-15",
    ],
    [
        "制造费用",
        "设备水电费",
        "80,000",
        "92,000",
        "夏季空调使用增加,设备满负荷运转",
        "调整生产班次,避开峰电时段",
        "运营部",
        "*主任",
        "2024-08-01",
    ],
]


@pytest.fixture
def september(world: SimpleNamespace) -> CostMonth:
    """An empty open month (created directly: nothing carried over)."""
    return CostMonth.objects.create(month=date(2024, 9, 1))


def _import(world: SimpleNamespace, who: str, file: Any, key: str = "2024-09") -> Any:
    return client_for(world.users[who]).post(u("import", key), {"file": file}, follow=True)


def _figures(month: CostMonth) -> dict[str, tuple[Any, ...]]:
    return {
        line.sub_item: (line.category.name, line.department.name, line.budget, line.actual)
        for line in month.lines.select_related("category", "department")
    }


def test_a_gb18030_csv_with_the_seed_headers_creates_the_lines(
    world: SimpleNamespace, september: CostMonth
) -> None:
    response = _import(world, "cfo", csv_upload([SEED_HEADER, *SEED_ROWS]))
    assert response.redirect_chain == [(u("month", "2024-09"), 302)]
    html = response.content.decode()
    assert "4 lines added, 0 updated." in html
    assert "no person named “*主任” in 财务部; left empty" in html
    assert _figures(september) == {
        "A材料采购": ("原材料成本", "采购部", 500_000, 650_000),
        "销售人员绩效": ("人工成本", "销售部", 200_000, 230_000),
        "招待费": ("办公费用", "财务部", 30_000, 45_000),
        "设备水电费": ("制造费用", "运营部", 80_000, 92_000),
    }
    material = september.lines.get(sub_item="A材料采购")
    assert material.owner == world.users["owner"].person
    assert material.cause == "市场价格上涨20%,采购量增加10%"
    assert material.measure == "引入2家替代供应商,签订锁价协议"
    assert material.measure_status == CostLine.MeasureStatus.PLANNED
    assert material.planned_date == date(2024, 7, 31)
    sales = september.lines.get(sub_item="销售人员绩效")
    assert (sales.measure, sales.measure_status, sales.planned_date) == (
        "无(客观业绩增长)",
        "",
        None,
    )
    assert sales.owner == world.users["outsider"].person
    assert isinstance(material.budget, Decimal)


def test_importing_again_updates_instead_of_duplicating(
    world: SimpleNamespace, september: CostMonth
) -> None:
    _import(world, "cfo", csv_upload([SEED_HEADER, *SEED_ROWS]))
    ids = set(september.lines.values_list("pk", flat=True))
    rows = [list(row) for row in SEED_ROWS]
    rows[0][3] = "640,000"
    response = _import(world, "cfo", csv_upload([SEED_HEADER, *rows]))
    assert "0 lines added, 4 updated." in response.content.decode()
    assert set(september.lines.values_list("pk", flat=True)) == ids
    assert september.lines.get(sub_item="A材料采购").actual == 640_000


def test_a_reimport_keeps_what_the_file_does_not_carry(
    world: SimpleNamespace, september: CostMonth
) -> None:
    """The finance system knows the figures; the causes' kinds and the owners stay as entered."""
    _import(world, "cfo", csv_upload([SEED_HEADER, *SEED_ROWS]))
    september.lines.update(cause_kind=CostLine.CauseKind.UNCONTROLLABLE)
    # the same seed columns again: no 原因类型 column, so the kinds stay
    _import(world, "cfo", csv_upload([SEED_HEADER, *SEED_ROWS]))
    assert set(september.lines.values_list("cause_kind", flat=True)) == {"uncontrollable"}
    # only the figures and the department: causes, measures, owners, dates stay
    figures = [
        ["成本类别", "子项", "预算(元)", "实际(元)", "责任部门"],
        ["原材料成本", "A材料采购", "500000", "600000", "采购部"],
    ]
    response = _import(world, "cfo", csv_upload(figures))
    assert "0 lines added, 1 updated." in response.content.decode()
    material = september.lines.get(sub_item="A材料采购")
    assert material.actual == 600_000
    assert material.cause == "市场价格上涨20%,采购量增加10%"
    assert material.cause_kind == CostLine.CauseKind.UNCONTROLLABLE
    assert material.measure == "引入2家替代供应商,签订锁价协议"
    assert material.owner == world.users["owner"].person
    assert material.planned_date == date(2024, 7, 31)


def _refused(response: Any, *fragments: str) -> str:
    assert response.status_code == 422
    assert response.redirect_chain == []
    html = response.content.decode()
    assert "Nothing was saved: fix these rows" in html
    for fragment in fragments:
        assert fragment in html, fragment
    return html


def test_a_bad_amount_names_row_and_column_and_saves_nothing(
    world: SimpleNamespace, september: CostMonth
) -> None:
    before = snapshot()
    rows = [list(row) for row in SEED_ROWS]
    rows[1][3] = "二十三万"
    html = _refused(_import(world, "cfo", csv_upload([SEED_HEADER, *rows])))
    assert "row 3, column &#x27;实际(元)&#x27;, value &#x27;二十三万&#x27;" in html
    assert snapshot() == before


def test_a_row_of_a_department_one_may_not_change_saves_nothing(
    world: SimpleNamespace, september: CostMonth
) -> None:
    before = snapshot()
    response = _import(world, "owner", csv_upload([SEED_HEADER, *SEED_ROWS[:2]]))
    _refused(response, "row 3: you may not change cost lines of 销售部")
    assert snapshot() == before
    # their own row alone goes in
    response = _import(world, "owner", csv_upload([SEED_HEADER, SEED_ROWS[0]]))
    assert "1 lines added, 0 updated." in response.content.decode()
    assert set(_figures(september)) == {"A材料采购"}


def test_an_unknown_category_or_department_saves_nothing(
    world: SimpleNamespace, september: CostMonth
) -> None:
    before = snapshot()
    rows = [list(row) for row in SEED_ROWS]
    rows[2][0] = "差旅费"
    rows[3][6] = "生产部"
    _refused(
        _import(world, "cfo", csv_upload([SEED_HEADER, *rows])),
        "row 4: category “差旅费” is not configured",
        "row 5: department “生产部” is unknown",
    )
    assert snapshot() == before


def test_a_file_without_the_required_columns_is_refused(
    world: SimpleNamespace, september: CostMonth
) -> None:
    before = snapshot()
    response = _import(
        world, "cfo", csv_upload([["成本类别", "子项", "预算(元)"], ["a", "b", "1"]])
    )
    assert response.status_code == 422
    assert "实际(元)" in response.content.decode()
    response = _import(world, "cfo", upload(b"not a spreadsheet", "costs.xlsx"))
    assert response.status_code == 422
    assert snapshot() == before


def test_a_utf8_csv_imports_too(world: SimpleNamespace, september: CostMonth) -> None:
    response = _import(world, "cfo", csv_upload([SEED_HEADER, *SEED_ROWS], encoding="utf-8-sig"))
    assert "4 lines added, 0 updated." in response.content.decode()


def test_the_export_imports_back_with_the_same_figures(world: SimpleNamespace) -> None:
    cfo = client_for(world.users["cfo"])
    exported = cfo.get(u("export", "2024-06")).content
    october = CostMonth.objects.create(month=date(2024, 10, 1))
    response = _import(world, "cfo", upload(exported, "月度成本分析表-2024-06.xlsx"), "2024-10")
    assert "4 lines added, 0 updated." in response.content.decode()
    assert _figures(october) == _figures(world.june)
    fields = ("cause", "cause_kind", "measure", "owner_id", "planned_date")
    for june in world.june.lines.all():
        copy = october.lines.get(sub_item=june.sub_item, department=june.department)
        assert [getattr(copy, f) for f in fields] == [getattr(june, f) for f in fields]
    again = cfo.get(u("export", "2024-10")).content
    # the same table, up to the cause type (措施状态 is the new month's own)
    assert [row[:12] for row in xlsx_rows(again)] == [row[:12] for row in xlsx_rows(exported)]


def test_a_department_export_imports_back_into_its_own_lines(world: SimpleNamespace) -> None:
    owner = client_for(world.users["owner"])
    exported = owner.get(u("export", "2024-06")).content
    october = CostMonth.objects.create(month=date(2024, 10, 1))
    response = _import(world, "owner", upload(exported, "export.xlsx"), "2024-10")
    assert "1 lines added, 0 updated." in response.content.decode()
    assert _figures(october) == {"A材料采购": ("原材料成本", "采购部", 500_000, 650_000)}


def test_unrecognised_columns_are_mapped_by_the_user(
    world: SimpleNamespace, settings: Any, tmp_path: Any
) -> None:
    """An export whose headers opslens does not know: the columns are chosen, then imported."""
    settings.MEDIA_ROOT = tmp_path
    header = ["费用大类", "明细科目", "本月预算数", "本月实发数", "承担部门"]
    rows = [["管理费用", "办公用品", "1,000", "1,250", "采购部"]]
    cfo = client_for(world.users["cfo"])
    first = cfo.post(u("import", "2024-06"), {"file": csv_upload([header, *rows])})
    assert first.status_code == 422
    page = first.content.decode()
    assert "Some columns were not recognised" in page
    assert "办公用品" in page  # the preview shows the file's first rows
    token = first.context["mapping"].initial["token"]
    assert list(tmp_path.joinpath("cost-imports").glob(token))  # kept between the steps
    mapping = {
        "token": token,
        "category": "费用大类",
        "sub_item": "明细科目",
        "budget": "本月预算数",
        "actual": "本月实发数",
        "department": "承担部门",
    }
    # one column for two fields is refused, and nothing is saved
    before = snapshot()
    twice = cfo.post(u("import", "2024-06"), {**mapping, "actual": "本月预算数"})
    assert twice.status_code == 422
    assert "Each column can hold one field only: 本月预算数" in twice.content.decode()
    assert snapshot() == before
    done = cfo.post(u("import", "2024-06"), mapping)
    assert done.status_code == 302
    line = CostLine.objects.get(sub_item="办公用品")
    assert (line.budget, line.actual, line.department.name) == (1000, 1250, "采购部")
    assert line.flagged  # +25% against the 10% threshold of 管理费用
    assert not list(tmp_path.joinpath("cost-imports").glob(token))  # discarded once saved
    # the token is spent: posting it again is a clear message, not a crash
    again = cfo.post(u("import", "2024-06"), mapping, follow=True)
    assert "the upload has expired; upload the file again" in again.content.decode()
