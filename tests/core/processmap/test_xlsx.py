"""XLSX in the seed's template layout: writing, reading back, the seed's bare table, bad input."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslens.core.errors import (
    ConfigError,
    InputError,
    MissingColumnError,
    UnreadableFileError,
)
from opslens.core.processmap import (
    SEED_STEP_TITLES,
    STEP_TITLES,
    EcrsChange,
    ProcessHeader,
    ProcessSheet,
    Step,
    apply_ecrs,
    read_process_xlsx,
    summarize_steps,
    write_process_xlsx,
)
from opslens.core.processmap.model import clean_text

from . import SEED_HEADER, SEED_ROWS, seed_sheet, seed_steps

D = Decimal
HEADER_ZH = ["流程名称", "责任部门", "流程起点", "流程终点", "记录日期"]


def workbook(rows: list[list[Any]], *, formats: dict[str, str] | None = None) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` from A1 (None leaves a cell empty)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    for ref, number_format in (formats or {}).items():
        sheet[ref].number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bare_seed(*, prefix: bool = True, text_hours: bool = False) -> list[list[Any]]:
    """The seed's template as a user fills it in: header block, then the five columns."""
    rows: list[list[Any]] = [
        HEADER_ZH,
        ["采购申请审批流程", "采购部、财务部", "提交采购申请", "完成采购入库", "2024-05-20"],
        list(SEED_STEP_TITLES),
    ]
    for i, (name, role, inputs, outputs, hours) in enumerate(SEED_ROWS, start=1):
        cell: Any = str(hours) if text_hours else hours
        rows.append([f"{i}.{name}" if prefix else name, role, inputs, outputs, cell])
    return rows


def without_keys(sheet: ProcessSheet) -> tuple[object, ...]:
    return (sheet.header, sheet.version_label, tuple(replace(s, key="_") for s in sheet.steps))


def read_rows(rows: list[list[Any]], **formats: str) -> ProcessSheet:
    return read_process_xlsx(workbook(rows, formats=formats or None))


# ---------------------------------------------------------------------------------------- write


def test_written_workbook_has_the_seed_layout() -> None:
    steps = apply_ecrs(seed_steps(), EcrsChange("rearrange", "4", parallel_with="3"))
    steps = tuple(replace(s, return_rate=D("0.15")) if s.key == "5" else s for s in steps)
    sheet = ProcessSheet(header=SEED_HEADER, steps=steps, version_label="现状")
    book = openpyxl.load_workbook(io.BytesIO(write_process_xlsx(sheet)))
    ws = book.worksheets[0]
    assert ws.title == "流程梳理与优化表"
    values = [[c.value for c in row] for row in ws.iter_rows(max_col=12)]
    assert values[0][:6] == [*HEADER_ZH, "版本"]
    assert values[1][:4] == ["采购申请审批流程", "采购部、财务部", "提交采购申请", "完成采购入库"]
    assert values[1][5] == "现状"
    assert ws["E2"].value == datetime(2024, 5, 20) and ws["E2"].is_date
    assert ws["E2"].number_format == "yyyy-mm-dd"
    assert values[2] == [None] * 12
    assert (
        tuple(values[3][:5])
        == SEED_STEP_TITLES
        == ("流程步骤", "涉及角色", "输入内容", "输出内容", "耗时(小时)")
    )
    assert tuple(values[3]) == STEP_TITLES["zh"]
    assert values[3][5:] == [
        "所属部门",
        "最短耗时(小时)",
        "最长耗时(小时)",
        "退回率(%)",
        "表单/系统",
        "并行组",
        "备注",
    ]
    assert [row[0] for row in values[4:9]] == [
        "1.填写申请表",
        "2.部门经理审批",
        "3.采购部审核",
        "4.财务部复核",
        "5.总经理审批",
    ]
    assert [row[4] for row in values[4:9]] == [1, 24, 12, 12, 48]
    assert [row[10] for row in values[4:9]] == [None, None, 3, 3, None]  # only parallel steps
    assert values[8][8] == 15  # 退回率(%)
    assert values[9][0] == "合计" and values[9][4] == 85
    assert "各步骤耗时之和 97 小时" in values[9][11]
    assert values[10][0] == "瓶颈：总经理审批（48 小时，占总耗时 56.5%）"
    assert ws["A1"].font.b and ws["A4"].font.b and ws["E4"].font.b and ws["A10"].font.b
    assert ws.freeze_panes == "B5"
    assert ws.column_dimensions["A"].width >= 20 and ws.column_dimensions["C"].width >= 15


def test_seed_total_row_reads_97_and_the_bottleneck_share_49_5() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(write_process_xlsx(seed_sheet()))).worksheets[0]
    assert (ws["A10"].value, ws["E10"].value, ws["L10"].value) == ("合计", 97, None)
    assert ws["A11"].value == "瓶颈：总经理审批（48 小时，占总耗时 49.5%）"


def test_english_titles() -> None:
    data = write_process_xlsx(seed_sheet(), lang="en")
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.title == "Process map"
    assert [c.value for c in ws[1]][:6] == [
        "Process name",
        "Departments",
        "Start point",
        "End point",
        "Record date",
        "Version",
    ]
    assert [c.value for c in ws[4]][:5] == ["Step", "Role", "Input", "Output", "Hours"]
    assert ws["A10"].value == "Total"
    assert ws["A11"].value == "Bottleneck: 总经理审批 (48 h, 49.5% of the total)"
    assert read_process_xlsx(data) == seed_sheet()
    with pytest.raises(ConfigError, match="unknown language"):
        write_process_xlsx(seed_sheet(), lang="fr")


def test_text_is_never_a_formula_and_escapes_survive() -> None:
    step = Step("1", "=SUM(A1:A9)", D(1), role="+cmd", inputs="_x0041_", note="@x\n-y")
    sheet = ProcessSheet(header=ProcessHeader(name="=HYPERLINK(1)"), steps=(step,))
    data = write_process_xlsx(sheet)
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["A5"].data_type == "s" and ws["A1"].data_type == "s"
    assert read_process_xlsx(data) == sheet


# ----------------------------------------------------------------------------------- round trip


def test_seed_round_trip() -> None:
    sheet = seed_sheet()
    back = read_process_xlsx(write_process_xlsx(sheet))
    assert back == sheet
    assert [s.key for s in back.steps] == ["1", "2", "3", "4", "5"]
    assert summarize_steps(back.steps).total_hours == 97


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("采购申请审批总经理部门流程.、。_x0123456789AZaz -=%()（）\n\t#")),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=12,
)
NAMES = st.one_of(st.sampled_from(["3D打印", "1.5倍检验", "2024", "1.", "v1.2.3", "合计"]), TEXT)
HOURS = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def sheets(draw: st.DrawFn) -> ProcessSheet:
    count = draw(st.integers(min_value=1, max_value=7))
    staged = draw(st.booleans())
    steps = []
    for i in range(count):
        hours = draw(HOURS)
        low = draw(st.none() | st.decimals(min_value=0, max_value=hours, places=2))
        high = draw(st.none() | st.decimals(min_value=hours, max_value=20_000, places=2))
        steps.append(
            Step(
                key=str(i),
                name=draw(NAMES.filter(clean_text)),
                hours=hours,
                role=draw(TEXT),
                department=draw(TEXT),
                inputs=draw(TEXT),
                outputs=draw(TEXT),
                hours_min=low,
                hours_max=high,
                return_rate=draw(st.none() | st.decimals(min_value=0, max_value=1, places=4)),
                system=draw(TEXT),
                stage=draw(st.integers(1, 4)) if staged else 0,
                note=draw(TEXT),
            )
        )
    header = ProcessHeader(
        name=draw(TEXT),
        departments=tuple(draw(st.lists(TEXT, max_size=3))),
        start_point=draw(TEXT),
        end_point=draw(TEXT),
        record_date=draw(st.none() | st.dates(date(1901, 1, 1), date(9999, 12, 31))),
    )
    return ProcessSheet(header=header, steps=tuple(steps), version_label=draw(TEXT))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets(), st.sampled_from(["zh", "en"]))
def test_any_sheet_round_trips(sheet: ProcessSheet, lang: str) -> None:
    back = read_process_xlsx(write_process_xlsx(sheet, lang=lang))
    assert without_keys(back) == without_keys(sheet)
    assert [s.key for s in back.steps] == [str(n) for n in range(1, len(sheet.steps) + 1)]
    for original, read in zip(sheet.steps, back.steps, strict=True):
        assert isinstance(read.hours, Decimal)
        assert read.return_rate is None or isinstance(read.return_rate, Decimal)
        assert read.return_rate == original.return_rate


# -------------------------------------------------------------------------- the seed's bare table


def test_reads_the_seeds_bare_table() -> None:
    sheet = read_rows(bare_seed())
    assert sheet.header == SEED_HEADER
    assert sheet.version_label == ""
    assert [s.name for s in sheet.steps] == [row[0] for row in SEED_ROWS]
    assert [s.key for s in sheet.steps] == ["1", "2", "3", "4", "5"]
    assert [s.stage for s in sheet.steps] == [1, 2, 3, 4, 5]
    assert sheet.steps[2].inputs == "申请表、库存表"
    summary = summarize_steps(sheet.steps)
    assert summary.total_hours == 97
    assert summary.bottleneck is not None and summary.bottleneck.name == "总经理审批"


def test_reads_names_without_numbers_and_hours_as_text() -> None:
    sheet = read_rows(bare_seed(prefix=False, text_hours=True))
    assert [s.name for s in sheet.steps][:2] == ["填写申请表", "部门经理审批"]
    assert [s.hours for s in sheet.steps] == [1, 24, 12, 12, 48]
    rows = bare_seed(prefix=False)
    rows[3][4] = "1.5"
    rows[4][4] = " 24 小时"
    rows[5][4] = "１２"  # full-width digits
    assert [s.hours for s in read_rows(rows).steps][:3] == [D("1.5"), 24, 12]


def test_numbers_are_kept_in_names_unless_every_name_is_numbered() -> None:
    rows = bare_seed(prefix=False)
    rows[3][0] = "3D打印"
    rows[4][0] = "1.5倍检验"
    sheet = read_rows(rows)
    assert [s.name for s in sheet.steps][:2] == ["3D打印", "1.5倍检验"]
    rows = bare_seed()
    rows[3][0] = "1、3D打印"
    assert read_rows(rows).steps[0].name == "3D打印"


def test_finds_the_table_below_blank_rows_and_in_english() -> None:
    rows: list[list[Any]] = [
        [],
        [],
        [None, "Process name", "Departments", "Start point", "End point", "Record date"],
        [None, "Purchase", "Buying, Finance", "request", "stock", date(2024, 5, 20)],
        [],
        [None, "Step", "Role", "Input", "Output", "Hours"],
        [None, "Fill in", "Applicant", "needs", "form", 1],
        [None, "Approve", "GM", "form", "decision", 2.5],
    ]
    sheet = read_rows(rows)
    assert sheet.header == ProcessHeader(
        name="Purchase",
        departments=("Buying", "Finance"),
        start_point="request",
        end_point="stock",
        record_date=date(2024, 5, 20),
    )
    assert [(s.name, s.role, s.hours) for s in sheet.steps] == [
        ("Fill in", "Applicant", 1),
        ("Approve", "GM", D("2.5")),
    ]


def test_header_values_beside_their_titles() -> None:
    rows: list[list[Any]] = [
        ["流程名称", "客户投诉处理流程"],
        ["记录日期", "2024年6月2日"],
        [],
        ["步骤", "耗时（小时）"],
        ["客服记录", 4.8],
    ]
    sheet = read_rows(rows)
    assert (sheet.header.name, sheet.header.record_date) == ("客户投诉处理流程", date(2024, 6, 2))
    assert sheet.steps[0].hours == D("4.8")


def test_a_table_without_header_block() -> None:
    sheet = read_rows([list(SEED_STEP_TITLES), ["受理", "客服", "", "", 2]])
    assert sheet.header == ProcessHeader(name="")
    assert sheet.steps[0].name == "受理"


def test_stops_at_the_total_row_and_at_the_first_empty_row() -> None:
    rows = bare_seed()
    rows.append(["合计", None, None, None, 97])
    rows.append(["6.不是步骤", "", "", "", 5])
    assert len(read_rows(rows).steps) == 5
    rows = bare_seed()
    rows.append([])
    rows.append(["6.备注行", "", "", "", "abc"])
    assert len(read_rows(rows).steps) == 5


def test_parallel_groups_by_label() -> None:
    rows: list[list[Any]] = [
        ["流程步骤", "耗时(小时)", "并行组"],
        ["受理", 1, None],
        ["核实", 5, "A"],
        ["查询", 3, "A"],
        ["回访", 2, None],
        ["补录", 4, "A"],
    ]
    sheet = read_rows(rows)
    assert [(s.name, s.stage) for s in sheet.steps] == [
        ("受理", 1),
        ("核实", 2),
        ("查询", 2),
        ("补录", 2),
        ("回访", 3),
    ]
    assert [s.key for s in sheet.steps] == ["1", "2", "3", "4", "5"]
    assert summarize_steps(sheet.steps).total_hours == 1 + 5 + 2
    blank = read_rows([["流程步骤", "耗时(小时)", "并行组"], ["a", 1, None], ["b", 2, None]])
    assert [s.stage for s in blank.steps] == [1, 2]


def test_return_rates_as_numbers_text_and_percent_cells() -> None:
    rows: list[list[Any]] = [
        ["流程步骤", "耗时(小时)", "退回率(%)"],
        ["a", 1, 15],
        ["b", 1, "3%"],
        ["c", 1, 0.15],  # formatted as a percentage below: shows 15%
        ["d", 1, 0.5],  # a plain 0.5 in a (%) column is half a percent
        ["e", 1, None],
    ]
    sheet = read_rows(rows, C4="0%")
    assert [s.return_rate for s in sheet.steps] == [
        D("0.15"),
        D("0.03"),
        D("0.15"),
        D("0.005"),
        None,
    ]
    assert (
        summarize_steps(sheet.steps).return_rate
        == (D("0.15") + D("0.03") + D("0.15") + D("0.005")) / 4
    )


def test_reads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "采购流程.xlsx"
    path.write_bytes(write_process_xlsx(seed_sheet()))
    assert read_process_xlsx(path) == seed_sheet()
    assert read_process_xlsx(str(path)) == seed_sheet()


# ------------------------------------------------------------------------------------ bad input


def test_hours_that_are_not_a_number() -> None:
    rows = bare_seed()
    rows[4][4] = "abc"
    with pytest.raises(InputError, match="expected a number of hours") as caught:
        read_process_xlsx(workbook(rows), filename="采购.xlsx")
    error = caught.value
    assert (error.file, error.row, error.column, error.value) == (
        "采购.xlsx",
        5,
        "耗时(小时)",
        "abc",
    )
    assert str(error).startswith("采购.xlsx, row 5, column '耗时(小时)', value 'abc': ")


@pytest.mark.parametrize(
    ("column", "value", "title", "message"),
    [
        (4, -24, "耗时(小时)", "cannot be negative"),
        (4, "-1.5", "耗时(小时)", "cannot be negative"),
        (4, None, "耗时(小时)", "has no duration"),
        (4, True, "耗时(小时)", "expected a number of hours"),
        (4, datetime(2024, 1, 1), "耗时(小时)", "expected a number of hours"),
        (4, "NaN", "耗时(小时)", "expected a number of hours"),
        (0, None, "流程步骤", "has no step name"),
        (0, "2.", "流程步骤", "has a number but no name"),
        (5, 101, "退回率(%)", "between 0 and 100"),
        (5, "150%", "退回率(%)", "between 0 and 100"),
        (5, -1, "退回率(%)", "between 0 and 100"),
        (5, "high", "退回率(%)", "expected a percentage"),
        (6, 30, "最短耗时(小时)", "longer than the usual duration"),
        (7, 10, "最长耗时(小时)", "shorter than the usual duration"),
        (7, "x", "最长耗时(小时)", "expected a number of hours"),
    ],
)
def test_bad_cells_name_the_file_row_and_column(
    column: int, value: object, title: str, message: str
) -> None:
    rows = bare_seed()
    rows[2] = [*SEED_STEP_TITLES, "退回率(%)", "最短耗时(小时)", "最长耗时(小时)"]
    for row in rows[3:]:
        row.extend([None, None, None])
    rows[4][column] = value  # the second step, Excel row 5
    with pytest.raises(InputError, match=message) as caught:
        read_process_xlsx(workbook(rows), filename="t1.xlsx")
    error = caught.value
    assert (error.file, error.row, error.column) == ("t1.xlsx", 5, title)
    assert "t1.xlsx, row 5, column " + repr(title) in str(error)


def test_a_bad_record_date() -> None:
    rows = bare_seed()
    rows[1][4] = "下周一"
    with pytest.raises(InputError, match="expected a date") as caught:
        read_process_xlsx(workbook(rows))
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        "upload.xlsx",
        2,
        "记录日期",
    )
    rows[1][4] = "2024-02-30"
    with pytest.raises(InputError, match="no such calendar date") as caught:
        read_process_xlsx(workbook(rows))
    assert (caught.value.row, caught.value.column) == (2, "记录日期")


def test_a_table_without_steps() -> None:
    with pytest.raises(InputError, match="has no steps") as caught:
        read_process_xlsx(workbook([*bare_seed()[:3], ["合计", None, None, None, 0]]))
    assert type(caught.value) is InputError
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        "upload.xlsx",
        4,
        "流程步骤",
    )


def test_missing_columns() -> None:
    rows = [["流程步骤", "涉及角色"], ["a", "b"]]
    with pytest.raises(MissingColumnError, match="no 耗时\\(小时\\) column") as caught:
        read_process_xlsx(workbook(rows), filename="x.xlsx")
    assert (caught.value.file, caught.value.row, caught.value.column) == ("x.xlsx", 1, "耗时(小时)")
    with pytest.raises(MissingColumnError, match="no 流程步骤 column") as caught:
        read_process_xlsx(workbook([[None], ["涉及角色", "耗时(小时)"], ["a", 1]]))
    assert (caught.value.row, caught.value.column) == (2, "流程步骤")
    with pytest.raises(MissingColumnError, match="no step table found") as caught:
        read_process_xlsx(workbook([["name", "value"], ["a", 1]]))
    assert caught.value.column == "流程步骤"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"step,hours\na,1\n", "not a readable Excel workbook"),
        (b"PK\x03\x04 truncated zip", "not a readable Excel workbook"),
    ],
)
def test_unreadable_files(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableFileError, match=message) as caught:
        read_process_xlsx(data, filename="bad.xlsx")
    assert caught.value.file == "bad.xlsx"
    assert str(caught.value).startswith("bad.xlsx: ")


def test_a_truncated_workbook_and_an_empty_sheet(tmp_path: Path) -> None:
    data = write_process_xlsx(seed_sheet())
    with pytest.raises(UnreadableFileError, match="not a readable Excel workbook"):
        read_process_xlsx(data[: len(data) // 2])
    with pytest.raises(UnreadableFileError, match="is empty"):
        read_process_xlsx(workbook([]))
    with pytest.raises(UnreadableFileError, match="no such file") as caught:
        read_process_xlsx(tmp_path / "missing.xlsx")
    assert caught.value.file == "missing.xlsx"
