"""Users' spreadsheets as text tables: formats, encodings, header search, cells, value parsing."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.errors import InputError, MissingColumnError, UnreadableFileError
from opslens.core.tabular import (
    ACCEPTED_EXTENSIONS,
    Table,
    normalize_title,
    parse_date,
    parse_decimal,
    parse_percent,
    read_table,
    suggest_columns,
)

D = Decimal
SEED_CSV = (
    "成本类别,子项,预算(元),实际(元)\n"
    '原材料成本,A材料采购,"500,000","650,000"\n'
    "人工成本,销售人员绩效,200000,230000\n"
)


def workbook(rows: list[list[Any]], *, sheet: str = "Sheet", extra: str | None = None) -> bytes:
    """An .xlsx whose sheet holds ``rows`` from A1 (None leaves a cell empty)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    if extra is not None:  # an empty sheet in front
        book.create_sheet(extra, 0)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cells(table: Table) -> list[dict[str, str | None]]:
    return [dict(row.cells) for row in table.rows]


# ---------------------------------------------------------------------------------------- CSV


def test_utf8_csv_with_quoted_thousands() -> None:
    table = read_table(SEED_CSV.encode(), filename="costs.csv")
    assert table.filename == "costs.csv"
    assert table.columns == ("成本类别", "子项", "预算(元)", "实际(元)")
    assert [row.number for row in table.rows] == [2, 3]
    assert table.rows[0].cells["预算(元)"] == "500,000"


def test_utf8_bom_is_dropped_from_the_first_title() -> None:
    table = read_table(b"\xef\xbb\xbf" + SEED_CSV.encode(), filename="costs.csv")
    assert table.columns[0] == "成本类别"


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_chinese_finance_export_in_gb18030(encoding: str) -> None:
    data = SEED_CSV.encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table = read_table(data, filename="财务导出.csv")
    assert table.columns == ("成本类别", "子项", "预算(元)", "实际(元)")
    assert table.rows[1].cells == {
        "成本类别": "人工成本",
        "子项": "销售人员绩效",
        "预算(元)": "200000",
        "实际(元)": "230000",
    }


def test_semicolon_csv_with_a_title_line_above_the_header() -> None:
    text = (
        "月度成本分析表 2024-06\n"
        "成本类别;子项;预算(元);实际(元)\n"
        "原材料成本;A材料采购;500000;650000\n"
        "人工成本;销售人员绩效;200000;230000\n"
    )
    table = read_table(text.encode(), filename="costs.csv")
    assert table.columns == ("成本类别", "子项", "预算(元)", "实际(元)")
    assert [row.number for row in table.rows] == [3, 4]
    assert table.rows[0].cells["实际(元)"] == "650000"


def test_tab_separated() -> None:
    text = "a\tb\tc\n1\t2\t3\n"
    table = read_table(text.encode(), filename="k.tsv")
    assert table.columns == ("a", "b", "c")
    assert cells(table) == [{"a": "1", "b": "2", "c": "3"}]


def test_blank_rows_are_skipped_and_numbers_stay_as_in_the_file() -> None:
    text = "a,b\n\n1,2\n ,  \n3,4\n"
    table = read_table(text.encode(), filename="x.txt")
    assert [row.number for row in table.rows] == [3, 5]


def test_cells_are_stripped_and_empty_cells_are_none() -> None:
    table = read_table("a,b,c\n  x  ,,\u3000\n".encode(), filename="x.csv")
    assert cells(table) == [{"a": "x", "b": None, "c": None}]


def test_short_and_long_rows() -> None:
    table = read_table(b"a,b\n1\n2,3,4\n", filename="x.csv")
    assert table.columns == ("a", "b", "C")  # data without a title is named by its letter
    assert cells(table) == [{"a": "1", "b": None, "C": None}, {"a": "2", "b": "3", "C": "4"}]


def test_duplicate_titles_get_suffixes() -> None:
    table = read_table("金额,金额,金额,备注\n1,2,3,x\n".encode(), filename="x.csv")
    assert table.columns == ("金额", "金额 (2)", "金额 (3)", "备注")
    assert table.rows[0].cells["金额 (3)"] == "3"


def test_reads_a_path(tmp_path: Path) -> None:
    path = tmp_path / "costs.csv"
    path.write_bytes(SEED_CSV.encode("gb18030"))
    table = read_table(path, filename="costs.csv")
    assert len(table.rows) == 2


def test_missing_path_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no such file") as err:
        read_table(tmp_path / "nope.csv", filename="nope.csv")
    assert err.value.file == "nope.csv"


@pytest.mark.parametrize("data", [b"", b"   \n\n", b",,,\n,,\n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(UnreadableFileError) as err:
        read_table(data, filename="empty.csv")
    assert err.value.file == "empty.csv"


def test_unknown_extension_names_the_file_and_the_accepted_types() -> None:
    with pytest.raises(UnreadableFileError) as err:
        read_table(b"a,b\n1,2\n", filename="report.pdf")
    assert err.value.file == "report.pdf"
    for suffix in ACCEPTED_EXTENSIONS:
        assert suffix in str(err.value)


def test_undecodable_bytes() -> None:
    with pytest.raises(UnreadableFileError, match="encoding") as err:
        read_table(b"a,b\n\xff\xfe\xfa\xff,1\n", filename="bad.csv")
    assert err.value.file == "bad.csv"


def test_a_workbook_named_csv_is_read_as_a_workbook() -> None:
    table = read_table(workbook([["a", "b"], [1, 2]]), filename="export.csv")
    assert cells(table) == [{"a": "1", "b": "2"}]


# ------------------------------------------------------------------------------------ workbooks


def test_xlsx_with_a_title_row_above_the_header() -> None:
    data = workbook(
        [
            ["月度成本分析表 2024-06"],
            [],
            ["成本类别", "子项", "预算(元)", "实际(元)", "计划完成", "差异率"],
            ["原材料成本", "A材料采购", 500000, 650000.0, date(2024, 7, 31), 0.3],
            [],
            ["人工成本", "销售人员绩效", 200000, 230000, None, 0.15],
        ]
    )
    table = read_table(data, filename="costs.xlsx")
    assert table.columns == ("成本类别", "子项", "预算(元)", "实际(元)", "计划完成", "差异率")
    assert [row.number for row in table.rows] == [4, 6]  # Excel's row numbers
    first = table.rows[0].cells
    assert first["实际(元)"] == "650000"  # not "650000.0"
    assert first["差异率"] == "0.3"
    assert first["计划完成"] == "2024-07-31"
    assert table.rows[1].cells["计划完成"] is None


def test_xlsx_header_away_from_a1() -> None:
    data = workbook([[], [None, None, "a", "b"], [None, None, "x", 2]])
    table = read_table(data, filename="x.xlsx")
    assert table.columns == ("a", "b")
    assert table.rows[0].number == 3
    assert cells(table) == [{"a": "x", "b": "2"}]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (650000.0, "650000"),
        (0.1 + 0.2, "0.3"),
        (1234.5, "1234.5"),
        (-0.25, "-0.25"),
        (1e20, "100000000000000000000"),
        (True, "TRUE"),
        (datetime(2024, 7, 31, 8, 30), "2024-07-31 08:30:00"),
        (datetime(2024, 7, 31), "2024-07-31"),
        (time(8, 30), "08:30:00"),
        ("  text  ", "text"),
        ("   ", None),
    ],
)
def test_workbook_cells_as_text(value: object, text: str | None) -> None:
    table = read_table(workbook([["h", "k"], [value, "x"]]), filename="x.xlsx")
    assert table.rows[0].cells["h"] == text


def test_sheet_by_name_and_first_non_empty_sheet_by_default() -> None:
    data = workbook([["a", "b"], [1, 2]], sheet="数据", extra="封面")
    assert cells(read_table(data, filename="x.xlsx")) == [{"a": "1", "b": "2"}]
    assert cells(read_table(data, filename="x.xlsx", sheet="数据")) == [{"a": "1", "b": "2"}]
    with pytest.raises(InputError, match="数据"):  # the message lists the sheets
        read_table(data, filename="x.xlsx", sheet="missing")


def test_not_a_workbook() -> None:
    with pytest.raises(UnreadableFileError, match="workbook") as err:
        read_table(b"this is not a zip file", filename="x.xlsx")
    assert err.value.file == "x.xlsx"


# ------------------------------------------------------------------------------- header search


def test_required_titles_find_the_header_loosely() -> None:
    text = "月份,2024-06\n\n 成本类别 ,子项,预算（元）,实际 (元)\n原材料成本,A,1,2\n"
    table = read_table(
        text.encode(), filename="x.csv", required=["成本类别", "预算(元)", "实际(元)"]
    )
    assert table.columns == ("成本类别", "子项", "预算（元）", "实际 (元)")
    assert table.rows[0].number == 4


def test_without_required_the_first_row_with_two_cells_is_the_header() -> None:
    text = "月度成本分析表 2024-06\n,\nx,y\n1,2\n"
    table = read_table(text.encode(), filename="x.csv")
    assert table.columns == ("x", "y")


def test_single_column_table() -> None:
    table = read_table(b"name\nA\nB\n", filename="x.csv")
    assert table.columns == ("name",)
    assert [row.cells["name"] for row in table.rows] == ["A", "B"]


def test_missing_required_titles_lists_them_and_the_columns_found() -> None:
    with pytest.raises(MissingColumnError) as err:
        read_table(SEED_CSV.encode(), filename="x.csv", required=["成本类别", "预算金额", "原因"])
    message = str(err.value)
    assert "预算金额" in message and "原因" in message
    assert "成本类别, 子项, 预算(元), 实际(元)" in message
    assert err.value.column == "预算金额"
    assert err.value.row == 1
    assert err.value.file == "x.csv"


def test_header_beyond_the_search_window_is_not_found() -> None:
    text = "".join(f"note {i}\n" for i in range(25)) + "a,b\n1,2\n"
    with pytest.raises(MissingColumnError):
        read_table(text.encode(), filename="x.csv", required=["a"])


def test_explicit_header_row() -> None:
    text = "x,y\na,b\n1,2\n"
    table = read_table(text.encode(), filename="x.csv", header_row=2)
    assert table.columns == ("a", "b")
    assert cells(table) == [{"a": "1", "b": "2"}]
    with pytest.raises(MissingColumnError):
        read_table(text.encode(), filename="x.csv", header_row=2, required=["x"])
    with pytest.raises(InputError, match="header row"):
        read_table(text.encode(), filename="x.csv", header_row=9)


# ------------------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500,000", D(500000)),
        ("500000.00", D("500000.00")),
        ("¥500,000", D(500000)),
        ("￥ 1,234.50", D("1234.50")),
        ("500,000元", D(500000)),
        ("+150,000", D(150000)),
        ("-30,000", D(-30000)),
        ("−30,000", D(-30000)),  # the minus sign
        ("(1,000)", D(-1000)),
        ("（1,000）", D(-1000)),
        ("１２３", D(123)),
        ("1.5万", D(15000)),
        ("1.5万元", D(15000)),
        ("2亿", D(200_000_000)),
        ("-¥500", D(-500)),
        ("¥-500", D(-500)),
        ("RMB 800", D(800)),
        ("0", D(0)),
        (".5", D("0.5")),
    ],
)
def test_parse_decimal(text: str, value: Decimal) -> None:
    parsed = parse_decimal(text)
    assert parsed == value
    assert isinstance(parsed, Decimal)


def test_parse_decimal_keeps_no_exponent_after_a_scale() -> None:
    assert str(parse_decimal("1.5万")) == "15000"
    assert str(parse_decimal("2亿")) == "200000000"


@pytest.mark.parametrize("text", [None, "", "   "])
def test_parse_decimal_empty(text: str | None) -> None:
    assert parse_decimal(text) is None


@pytest.mark.parametrize(
    "text", ["abc", "1,2,3", "1,5", "30%", "1e5", "--5", "+-5", ".", "万", "¥", "(5", "5 5 万万"]
)
def test_parse_decimal_rejects(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_decimal(text, file="f.csv", row=7, column="预算(元)")
    assert (err.value.file, err.value.row, err.value.column, err.value.value) == (
        "f.csv",
        7,
        "预算(元)",
        text,
    )
    assert str(err.value) == f"f.csv, row 7, column '预算(元)', value {text!r}: not a number"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_parse_decimal_reads_what_it_is_given(value: Decimal) -> None:
    assert parse_decimal(f"{value:,f}") == value
    assert parse_decimal(f"¥{value:f}") == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30%", D("0.30")),
        ("+15%", D("0.15")),
        ("-5.5%", D("-0.055")),
        ("３０％", D("0.30")),
        ("0.3", D("0.3")),
        ("0", D(0)),
        (" ", None),
        (None, None),
    ],
)
def test_parse_percent(text: str | None, value: Decimal | None) -> None:
    assert parse_percent(text) == value


@pytest.mark.parametrize("text", ["abc", "%", "30%%", "1.5万"])
def test_parse_percent_rejects(text: str) -> None:
    with pytest.raises(InputError, match="not a percentage") as err:
        parse_percent(text, row=3, column="差异率")
    assert err.value.row == 3


@pytest.mark.parametrize(
    "text",
    ["2024-07-31", "2024/7/31", "2024.7.31", "2024年7月31日", "20240731", "2024-07-31 08:00:00"],
)
def test_parse_date(text: str) -> None:
    assert parse_date(text) == date(2024, 7, 31)


@pytest.mark.parametrize("text", [None, "", "-", "—", "无"])
def test_parse_date_none(text: str | None) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(("text", "message"), [("2024-02-30", "no such"), ("next week", "date")])
def test_parse_date_rejects(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        parse_date(text, file="f.xlsx", row=4, column="计划完成")
    assert (err.value.row, err.value.column, err.value.value) == (4, "计划完成", text)


# --------------------------------------------------------------------------- column suggestion


def test_normalize_title() -> None:
    assert normalize_title(" 预算（元） ") == normalize_title("预算 (元)") == "预算(元)"
    assert normalize_title("Budget") == "budget"


SYNONYMS = {
    "budget": ("预算(元)", "预算", "预算金额"),
    "actual": ("实际(元)", "实际", "实际金额", "发生额"),
    "cause": ("原因分析", "原因"),
    "cause_kind": ("原因类型", "主观客观"),
}


def test_suggest_columns_exact_first() -> None:
    columns = ["预算（元）", "本月发生额", "原因", "原因类型"]
    assert suggest_columns(columns, SYNONYMS) == {
        "budget": "预算（元）",
        "actual": "本月发生额",  # contains a synonym
        "cause": "原因",
        "cause_kind": "原因类型",
    }


def test_suggest_columns_prefers_the_longest_contained_synonym() -> None:
    columns = ["原因类型说明", "原因分析说明"]
    found = suggest_columns(columns, SYNONYMS)
    assert found["cause_kind"] == "原因类型说明"
    assert found["cause"] == "原因分析说明"


def test_suggest_columns_uses_each_column_once() -> None:
    found = suggest_columns(["预算"], {"a": ("预算",), "b": ("预算",)})
    assert found == {"a": "预算", "b": None}


def test_suggest_columns_without_a_match() -> None:
    assert suggest_columns(["x", "y"], SYNONYMS) == dict.fromkeys(SYNONYMS)
