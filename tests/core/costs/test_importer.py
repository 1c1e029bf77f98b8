"""Importing a month's cost table: the seed's June table as CSV and XLSX, mappings, bad cells."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from opslens.core.costs import (
    COST_FIELDS,
    CauseKind,
    ImportedCostRow,
    RowError,
    parse_cause_kind,
    read_cost_table,
)
from opslens.core.errors import ConfigError, InputError, MissingColumnError, UnreadableFileError

from . import SEED_JUNE, seed_csv

D = Decimal
HEADER = ["成本类别", "子项", "预算(元)", "实际(元)"]


def workbook(rows: list[list[Any]], *, merge: str | None = None) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` from A1 (None leaves a cell empty)."""
    book = openpyxl.Workbook()
    ws = book.active
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def assert_seed_rows(rows: tuple[ImportedCostRow, ...], first_row: int) -> None:
    assert len(rows) == len(SEED_JUNE)
    for i, (row, seed) in enumerate(zip(rows, SEED_JUNE, strict=True)):
        category, sub_item, budget, actual, cause, measure, department, owner, planned = seed
        assert row == ImportedCostRow(
            row=first_row + i,
            category=category,
            sub_item=sub_item,
            budget=D(budget),
            actual=D(actual),
            cause=cause,
            cause_kind=None,
            measure=measure,
            department=department,
            owner=owner,
            planned=planned,
        )


# ------------------------------------------------------------------------------- the seed


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_seed_june_csv(encoding: str) -> None:
    result = read_cost_table(seed_csv().encode(encoding), filename="2024-06.csv")
    assert result.filename == "2024-06.csv"
    assert result.errors == ()
    assert result.warnings == ()  # the typed 差异额/差异率 agree with 预算/实际
    assert_seed_rows(result.rows, first_row=3)  # row 1 is the title, row 2 the header
    assert result.mapping == {
        "category": "成本类别",
        "sub_item": "子项",
        "budget": "预算(元)",
        "actual": "实际(元)",
        "cause": "原因分析",
        "measure": "改进措施",
        "department": "责任部门",
        "owner": "责任人",
        "planned": "计划完成",
        "cause_kind": None,
        "measure_status": None,
    }
    assert tuple(result.mapping) == COST_FIELDS


def test_seed_june_semicolon_csv() -> None:
    result = read_cost_table(seed_csv(delimiter=";").encode("gb18030"), filename="june.csv")
    assert result.errors == ()
    assert_seed_rows(result.rows, first_row=3)


def test_seed_june_xlsx_with_a_title_row_above_the_header() -> None:
    rows: list[list[Any]] = [
        ["月度成本分析表"],
        ["月份", "2024-06"],
        [],
        [*HEADER, "差异率", "计划完成"],
    ]
    for category, sub_item, budget, actual, *_, planned in SEED_JUNE:
        rows.append(
            [category, sub_item, budget, float(actual), (actual - budget) / budget, planned]
        )
    rows.append(["合计", None, 810000, 1017000, 0.2556, None])
    result = read_cost_table(workbook(rows), filename="june.xlsx")
    assert result.errors == result.warnings == ()
    assert [r.row for r in result.rows] == [5, 6, 7, 8]
    assert [(r.budget, r.actual) for r in result.rows] == [
        (D(500000), D(650000)),
        (D(200000), D(230000)),
        (D(30000), D(45000)),
        (D(80000), D(92000)),
    ]
    assert [r.planned for r in result.rows] == [s[-1] for s in SEED_JUNE]


# ---------------------------------------------------------------------------------- bad cells


def test_bad_money_cell_is_reported_with_its_row_and_column() -> None:
    data = csv_bytes(
        [
            ["月度成本分析表 2024-06"],
            HEADER,
            ["原材料成本", "A材料采购", "500000", "650000"],
            ["人工成本", "销售人员绩效", "abc", "230000"],
            ["办公费用", "招待费", "30000", "45000"],
        ]
    )
    result = read_cost_table(data, filename="june.csv")
    assert result.errors == (RowError(4, "预算(元)", "abc", "not a number"),)
    assert str(result.errors[0]) == "row 4, column '预算(元)', value 'abc': not a number"
    assert [r.sub_item for r in result.rows] == ["A材料采购", "招待费"]


def test_every_bad_cell_is_collected() -> None:
    data = csv_bytes(
        [
            [*HEADER, "计划完成", "原因类型"],
            ["原材料成本", "A材料采购", "5O0000", "x", "2024-13-01", "也许"],
            ["", "", "-100", "", "", ""],
            ["人工成本", "", "100", "", "", ""],
        ]
    )
    result = read_cost_table(data, filename="bad.csv")
    assert result.rows == ()
    assert [(e.row, e.column, e.value) for e in result.errors] == [
        (2, "预算(元)", "5O0000"),
        (2, "实际(元)", "x"),
        (2, "原因类型", "也许"),
        (2, "计划完成", "2024-13-01"),
        # row 3: the category comes from row 2 (a merged cell), the sub-item does not
        (3, "子项", None),
        (3, "预算(元)", "-100"),
        (4, "子项", None),
    ]
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(3, "预算(元)")] == "the budget must not be negative"
    assert messages[(2, "计划完成")] == "no such calendar date"
    assert str(result.errors[4]) == "row 3, column '子项': the sub-item is empty"


def test_an_empty_actual_is_a_line_not_reported_yet() -> None:
    data = csv_bytes([HEADER, ["原材料成本", "A材料采购", "500000", ""]])
    result = read_cost_table(data, filename="july.csv")
    assert result.errors == ()
    assert result.rows[0].budget == Decimal(500000)
    assert result.rows[0].actual is None


def test_first_row_without_a_category() -> None:
    result = read_cost_table(csv_bytes([HEADER, ["", "A", "1", "2"]]), filename="x.csv")
    assert result.errors == (RowError(2, "成本类别", None, "the cost category is empty"),)


def test_negative_actuals_are_allowed() -> None:
    data = csv_bytes([HEADER, ["财务费用", "利息收入", "0", "(1,200)"]])
    (row,) = read_cost_table(data, filename="x.csv").rows
    assert row.actual == D(-1200)


def test_money_written_in_many_ways() -> None:
    data = csv_bytes(
        [
            HEADER,
            ["原材料成本", "A", "¥500000", "65万"],
            ["原材料成本", "B", "1,234.50元", "１２３４.５"],
        ]
    )
    rows = read_cost_table(data, filename="x.csv").rows
    assert [(r.budget, r.actual) for r in rows] == [
        (D(500000), D(650000)),
        (D("1234.5"), D("1234.5")),
    ]


# ------------------------------------------------------------------------- computed columns


def test_inconsistent_computed_columns_give_warnings_not_errors() -> None:
    data = csv_bytes(
        [
            [*HEADER, "差异额", "差异率"],
            ["原材料成本", "A材料采购", "500000", "650000", "+100000", "+30%"],
            ["人工成本", "销售人员绩效", "200000", "230000", "30000", "+25%"],
            ["办公费用", "招待费", "30000", "45000", "15000", "50"],  # 50 meaning 50 %
            ["制造费用", "设备水电费", "80000", "92000", "12000.4", "0.15"],  # rounding, a fraction
            ["研发费用", "试验", "0", "500", "500", "n/a"],  # no ratio: nothing to check
            ["财务费用", "手续费", "100", "100", "#VALUE!", "—"],  # unreadable: ignored
        ]
    )
    result = read_cost_table(data, filename="x.csv")
    assert result.errors == ()
    assert len(result.rows) == 6
    assert [(w.row, w.column, w.value) for w in result.warnings] == [
        (2, "差异额", "+100000"),
        (3, "差异率", "+25%"),
    ]
    assert "+150,000" in result.warnings[0].message
    assert "+15.0%" in result.warnings[1].message
    assert result.rows[0].actual - result.rows[0].budget == D(150000)


# ---------------------------------------------------------------------------- skipped rows


def test_total_rows_and_notes() -> None:
    data = workbook(
        [
            HEADER,
            ["原材料成本", "A材料采购", 500000, 650000],
            [None, "B材料采购", 100000, 90000],  # merged category cell
            ["小计", None, 600000, 740000],
            ["人工成本", "加班费", 100, 100],
            ["合计", None, 600100, 740100],
            [],
            ["说明：超出±10%的项目须填写原因"],
        ],
        merge="A2:A3",
    )
    result = read_cost_table(data, filename="x.xlsx")
    assert result.errors == ()
    assert [(r.row, r.category, r.sub_item) for r in result.rows] == [
        (2, "原材料成本", "A材料采购"),
        (3, "原材料成本", "B材料采购"),
        (5, "人工成本", "加班费"),
    ]
    assert [(w.row, w.message) for w in result.warnings] == [
        (8, "skipped: no sub-item, budget or actual")
    ]


def test_total_in_the_sub_item_column() -> None:
    data = csv_bytes([HEADER, ["原材料成本", "A", "1", "2"], ["", "总计", "1", "2"]])
    result = read_cost_table(data, filename="x.csv")
    assert len(result.rows) == 1
    assert result.errors == result.warnings == ()


def test_duplicate_lines_are_warned_about() -> None:
    data = csv_bytes([HEADER, ["办公费用", "招待费", "1", "2"], ["办公费用", "招待费", "3", "4"]])
    result = read_cost_table(data, filename="x.csv")
    assert len(result.rows) == 2
    assert [(w.row, w.column) for w in result.warnings] == [(3, "子项")]
    assert "row 2" in result.warnings[0].message


# ---------------------------------------------------------------------------------- columns


def test_required_column_missing() -> None:
    data = csv_bytes(
        [["月度成本分析表"], ["成本类别", "子项", "预算(元)", "备注"], ["a", "b", "1", ""]]
    )
    with pytest.raises(MissingColumnError) as err:
        read_cost_table(data, filename="x.csv")
    message = str(err.value)
    assert "实际(元)" in message
    assert "成本类别, 子项, 预算(元), 备注" in message
    assert (err.value.file, err.value.row, err.value.column) == ("x.csv", 2, "实际(元)")


def test_other_titles_are_recognised() -> None:
    data = csv_bytes(
        [
            [
                "费用类别",
                "费用项目",
                "预算金额",
                "发生额",
                "原因",
                "措施",
                "部门",
                "负责人",
                "完成日期",
                "主观/客观",
            ],
            [
                "销售费用",
                "广告费",
                "1000",
                "1200",
                "投放增加",
                "复盘",
                "市场部",
                "*经理",
                "2024/7/1",
                "可控",
            ],
        ]
    )
    result = read_cost_table(data, filename="x.csv")
    (row,) = result.rows
    assert (row.category, row.sub_item, row.budget, row.actual) == (
        "销售费用",
        "广告费",
        1000,
        1200,
    )
    assert (row.cause, row.measure, row.department, row.owner) == (
        "投放增加",
        "复盘",
        "市场部",
        "*经理",
    )
    assert row.planned == date(2024, 7, 1)
    assert row.cause_kind is CauseKind.CONTROLLABLE


def test_english_titles() -> None:
    data = csv_bytes(
        [
            ["Category", "Sub-item", "Budget", "Actual", "Cause kind"],
            ["a", "b", "1", "2", "uncontrollable"],
        ]
    )
    (row,) = read_cost_table(data, filename="x.csv").rows
    assert (row.category, row.sub_item, row.cause_kind) == ("a", "b", CauseKind.UNCONTROLLABLE)


def test_mapping_overrides_the_suggestion() -> None:
    data = csv_bytes(
        [
            ["类别", "名称", "年初预算", "本月实际", "预算"],
            ["办公费用", "招待费", "30000", "45000", "1"],
        ]
    )
    result = read_cost_table(
        data,
        filename="x.csv",
        mapping={"sub_item": "名称", "budget": "年初预算", "actual": "本月实际", "owner": ""},
    )
    (row,) = result.rows
    assert (row.sub_item, row.budget, row.actual) == ("招待费", D(30000), D(45000))
    assert result.mapping["budget"] == "年初预算"
    assert result.mapping["category"] == "类别"
    assert result.mapping["owner"] is None


def test_mapping_is_matched_loosely() -> None:
    data = csv_bytes([["类别", "子项", "预算（元）", "实际"], ["a", "b", "1", "2"]])
    result = read_cost_table(data, filename="x.csv", mapping={"budget": "预算(元)"})
    assert result.mapping["budget"] == "预算（元）"


def test_mapped_column_missing() -> None:
    with pytest.raises(MissingColumnError, match="年初预算"):
        read_cost_table(
            csv_bytes([HEADER, ["a", "b", "1", "2"]]),
            filename="x.csv",
            mapping={"budget": "年初预算"},
        )


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"amount": "预算(元)"}, "unknown field"),
        ({"budget": "预算(元)", "actual": "预算（元）"}, "both"),
    ],
)
def test_bad_mapping(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read_cost_table(
            csv_bytes([HEADER, ["a", "b", "1", "2"]]), filename="x.csv", mapping=mapping
        )


# ------------------------------------------------------------------------------ file level


def test_nothing_below_the_header() -> None:
    with pytest.raises(InputError, match="no cost lines") as err:
        read_cost_table(csv_bytes([HEADER, ["合计", "", "0", "0"]]), filename="x.csv")
    assert err.value.row == 2


def test_unreadable_file() -> None:
    with pytest.raises(UnreadableFileError):
        read_cost_table(b"", filename="x.csv")
    with pytest.raises(UnreadableFileError):
        read_cost_table(b"not a workbook", filename="x.xlsx")


# ------------------------------------------------------------------------------- cause kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("主观", CauseKind.CONTROLLABLE),
        ("可控", CauseKind.CONTROLLABLE),
        ("Controllable", CauseKind.CONTROLLABLE),
        ("主观原因", CauseKind.CONTROLLABLE),
        ("主观（可控）", CauseKind.CONTROLLABLE),
        ("客观", CauseKind.UNCONTROLLABLE),
        ("不可控", CauseKind.UNCONTROLLABLE),
        ("uncontrollable", CauseKind.UNCONTROLLABLE),
        ("客观因素", CauseKind.UNCONTROLLABLE),
        (" ", None),
        (None, None),
    ],
)
def test_parse_cause_kind(text: str | None, kind: CauseKind | None) -> None:
    assert parse_cause_kind(text) is kind


def test_parse_cause_kind_rejects() -> None:
    with pytest.raises(InputError, match="主观") as err:
        parse_cause_kind("其他", row=3, column="原因类型")
    assert (err.value.row, err.value.column, err.value.value) == (3, "原因类型", "其他")
