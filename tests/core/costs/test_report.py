"""The cost table as .xlsx in the seed's layout: layout, formats, highlight, round trip."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from opslens.core.costs import (
    REPORT_COLUMNS,
    CauseKind,
    CostReportLine,
    read_cost_table,
    write_cost_xlsx,
)
from opslens.core.errors import InputError

from . import seed_report_lines

D = Decimal
SEED_TITLES = (
    "成本类别",
    "子项",
    "预算(元)",
    "实际(元)",
    "差异额",
    "差异率",
    "原因分析",
    "改进措施",
    "责任部门",
    "责任人",
    "计划完成",
)


def written(lines: tuple[CostReportLine, ...] | list[CostReportLine], **kw: str) -> bytes:
    out = io.BytesIO()
    write_cost_xlsx(out, month="2024-06", lines=lines, **kw)
    return out.getvalue()


def sheet(data: bytes) -> Worksheet:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert isinstance(ws, Worksheet)
    return ws


def row_values(ws: Worksheet, row: int) -> list[object]:
    return [ws.cell(row=row, column=c).value for c in range(1, len(REPORT_COLUMNS) + 1)]


def test_layout_of_the_seed_june_table() -> None:
    ws = sheet(written(seed_report_lines(), scope="全公司"))
    assert ws["A1"].value == "月度成本分析表"
    assert [ws.cell(row=2, column=c).value for c in range(1, 6)] == [
        "月份",
        "2024-06",
        "范围",
        "全公司",
        "生成日期",
    ]
    assert ws["F2"].value.date() == date.today()
    assert tuple(row_values(ws, 5)) == REPORT_COLUMNS
    assert REPORT_COLUMNS[:11] == SEED_TITLES
    assert REPORT_COLUMNS[11:] == ("原因类型", "措施状态")
    first = row_values(ws, 6)
    assert first[0:2] == ["原材料成本", "A材料采购"]
    assert [D(str(v)) for v in first[2:6]] == [D(500000), D(650000), D(150000), D("0.3")]
    assert first[10].date() == date(2024, 7, 31)
    assert first[11:] == ["客观", "进行中"]
    assert row_values(ws, 7)[10] is None  # no planned date
    total = row_values(ws, 10)
    assert total[0] == "合计"
    assert [D(str(v)) for v in total[2:5]] == [D(810000), D(1017000), D(207000)]
    assert D(str(total[5])) == pytest.approx(D(207000) / D(810000))
    assert ws.max_row == 10


def test_number_formats() -> None:
    ws = sheet(written(seed_report_lines()))
    assert ws["C6"].number_format == "#,##0"
    assert ws["D6"].number_format == "#,##0"
    assert ws["E6"].number_format == "+#,##0;-#,##0;0"
    assert ws["F6"].number_format == "+0%;-0%;0%"
    assert ws["K6"].number_format == "yyyy-mm-dd"
    assert ws["C10"].number_format == "#,##0"


def test_without_scope_the_header_block_is_shorter() -> None:
    ws = sheet(written(seed_report_lines()))
    assert [ws.cell(row=2, column=c).value for c in range(1, 4)] == ["月份", "2024-06", "生成日期"]


def test_zero_budget_ratio_is_na() -> None:
    line = CostReportLine("研发费用", "试验", D(0), D(500))
    ws = sheet(written([line]))
    assert ws["F6"].value == "n/a"
    assert ws["F7"].value == "n/a"  # the total has no budget either


def test_flagged_lines_are_highlighted() -> None:
    lines = list(seed_report_lines())
    lines[1] = replace(lines[1], flagged=False)
    ws = sheet(written(lines))
    fills = [ws.cell(row=r, column=1).fill.fgColor.rgb for r in (6, 7, 8)]
    assert fills[0] == fills[2] != fills[1]
    assert ws["F6"].font.color.rgb.endswith("C00000")


def test_text_that_looks_like_a_formula_stays_text() -> None:
    line = CostReportLine("办公费用", "=SUM(A1:A9)", D(1), D(1), cause="+1 开头的原因")
    data = written([line])
    ws = sheet(data)
    assert ws["B6"].value == "=SUM(A1:A9)"
    assert ws["B6"].data_type == "s"
    (row,) = read_cost_table(data, filename="x.xlsx").rows
    assert (row.sub_item, row.cause) == ("=SUM(A1:A9)", "+1 开头的原因")


def test_custom_title() -> None:
    ws = sheet(written(seed_report_lines(), title="6月成本分析"))
    assert ws["A1"].value == "6月成本分析"


def test_negative_budget_is_refused() -> None:
    with pytest.raises(InputError, match="negative"):
        written([CostReportLine("办公费用", "x", D(-1), D(0))])


def test_writes_to_a_path(tmp_path: Path) -> None:
    path = tmp_path / "june.xlsx"
    write_cost_xlsx(path, month="2024-06", lines=seed_report_lines())
    result = read_cost_table(path, filename=path.name)
    assert len(result.rows) == 4


# ------------------------------------------------------------------------------- round trip


def test_round_trip_reads_the_same_lines_and_skips_the_total() -> None:
    lines = [
        *seed_report_lines(),
        CostReportLine("研发费用", "试验", D(0), D("1234.56"), cause_kind=CauseKind.CONTROLLABLE),
        CostReportLine("财务费用", "利息收入", D(100), D(-250), owner="*会计"),
        CostReportLine(
            "管理费用", "办公用品 2024", D("999.99"), D("1000.01"), planned=date(2025, 1, 2)
        ),
    ]
    result = read_cost_table(written(lines, scope="全公司"), filename="june.xlsx")
    assert result.errors == ()
    assert result.warnings == ()  # our own 差异额/差异率 agree, the 合计 row is not a line
    assert len(result.rows) == len(lines)
    assert [r.row for r in result.rows] == list(range(6, 6 + len(lines)))
    for row, line in zip(result.rows, lines, strict=True):
        assert (
            row.category,
            row.sub_item,
            row.budget,
            row.actual,
            row.cause,
            row.cause_kind,
            row.measure,
            row.department,
            row.owner,
            row.planned,
            row.measure_status,
        ) == (
            line.category,
            line.sub_item,
            line.budget,
            line.actual,
            line.cause,
            line.cause_kind,
            line.measure,
            line.department,
            line.owner,
            line.planned,
            line.measure_status,
        )
    assert result.mapping["cause_kind"] == "原因类型"
    assert result.mapping["measure_status"] == "措施状态"


def test_a_line_not_reported_yet_is_written_empty_and_reads_back_empty() -> None:
    lines = [
        CostReportLine("原材料成本", "A材料采购", D(500000), D(525000)),
        CostReportLine("人工成本", "销售人员绩效", D(200000), None),
    ]
    data = written(lines)
    ws = sheet(data)
    assert row_values(ws, 7)[2:6] == [200000, None, None, None]  # no actual, no variance
    assert row_values(ws, 8)[2:6] == [500000, 525000, 25000, 0.05]  # 合计 of reported lines only
    result = read_cost_table(data, filename="august.xlsx")
    assert result.errors == ()
    assert [r.actual for r in result.rows] == [D(525000), None]
