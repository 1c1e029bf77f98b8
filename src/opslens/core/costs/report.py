"""The month's cost table as an Excel workbook in the seed's layout (T3 月度成本分析表).

Layout of the sheet::

    row 1   the title (月度成本分析表)
    row 2   月份 | 2024-06 | 范围 | the scope (when given) | 生成日期 | today
    row 3   a note: highlighted rows are beyond their threshold and need a cause
    row 4   empty
    row 5   成本类别 | 子项 | 预算(元) | 实际(元) | 差异额 | 差异率 | 原因分析 | 改进措施 | 责任部门
            | 责任人 | 计划完成                    (the seed's eleven columns)
            | 原因类型 | 措施状态                    (ours)
    row 6…  one row per line; flagged lines highlighted
    then    合计

差异额 and 差异率 are written as values (a formula has no value until Excel computes it, and
python-calamine reads only values); :func:`~opslens.core.costs.read_cost_table` reads the file
back, skipping the 合计 row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from opslens.core.costs.variance import CauseKind, compute_cost_variance

__all__ = ["CAUSE_KIND_TITLES", "REPORT_COLUMNS", "CostReportLine", "write_cost_xlsx"]

#: The header row of the written table: the seed's eleven columns, then 原因类型 and 措施状态.
REPORT_COLUMNS: tuple[str, ...] = (
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
    "原因类型",
    "措施状态",
)
#: How a cause kind is written in the table.
CAUSE_KIND_TITLES: dict[CauseKind, str] = {
    CauseKind.CONTROLLABLE: "主观",
    CauseKind.UNCONTROLLABLE: "客观",
}
_MONEY = "#,##0"
_SIGNED_MONEY = "+#,##0;-#,##0;0"
_RATIO = "+0%;-0%;0%"
_FIRST = 5  # the header row
_UNDERSCORE_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


@dataclass(frozen=True, slots=True)
class CostReportLine:
    """One line of the written table; ``flagged`` (decided by the caller) highlights it."""

    category: str
    sub_item: str
    budget: Decimal
    actual: Decimal | None  # None: not reported yet — written as an empty cell
    cause: str = ""
    cause_kind: CauseKind | None = None
    measure: str = ""
    department: str = ""
    owner: str = ""
    planned: date | None = None
    measure_status: str = ""
    flagged: bool = False


def write_cost_xlsx(
    target: Path | BinaryIO,
    *,
    month: str,
    lines: Sequence[CostReportLine],
    title: str = "月度成本分析表",
    scope: str = "",
) -> None:
    """Write the month's cost table to ``target`` (a path or a binary file) as .xlsx.

    Money is formatted ``#,##0`` (差异额 with its sign), 差异率 ``+0%;-0%;0%`` and "n/a" where
    the budget is zero; a 合计 row totals budget and actual. Text cells are always written as
    text, never as formulas. Raises :class:`~opslens.core.errors.InputError` for a line with a
    negative budget.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    book = Workbook()
    ws = book.active
    ws.title = "成本分析"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    flag_fill = PatternFill("solid", fgColor="FFF2CC")
    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(row: int, column: int, value: object, number_format: str | None = None) -> Any:
        cell = ws.cell(row=row, column=column)
        if isinstance(value, str):
            if value:
                cell.value = _UNDERSCORE_ESCAPE.sub("_x005F_", value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
        elif value is not None:
            cell.value = value
        if number_format is not None:
            cell.number_format = number_format
        return cell

    put(1, 1, title).font = Font(bold=True, size=14)
    put(2, 1, "月份").font = bold
    put(2, 2, month)
    column = 3
    if scope:
        put(2, 3, "范围").font = bold
        put(2, 4, scope)
        column = 5
    put(2, column, "生成日期").font = bold
    put(2, column + 1, date.today(), "yyyy-mm-dd")
    put(3, 1, "标黄的行差异率超出阈值，须填写原因分析与原因类型").font = Font(
        italic=True, color="7F7F7F"
    )

    for j, name in enumerate(REPORT_COLUMNS, start=1):
        cell = put(_FIRST, j, name)
        cell.font = bold
        cell.fill = head_fill
        cell.border = box
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    row = _FIRST
    for row, line in enumerate(lines, start=_FIRST + 1):
        variance = None
        if line.actual is not None:
            variance = compute_cost_variance(line.budget, line.actual)
        ratio: object = None
        if variance is not None:
            ratio = "n/a" if variance.ratio is None else variance.ratio
        values: list[tuple[object, str | None]] = [
            (line.category, None),
            (line.sub_item, None),
            (line.budget, _MONEY),
            (line.actual, _MONEY),
            (None if variance is None else variance.variance, _SIGNED_MONEY),
            (ratio, _RATIO),
            (line.cause, None),
            (line.measure, None),
            (line.department, None),
            (line.owner, None),
            (line.planned, "yyyy-mm-dd"),
            ("" if line.cause_kind is None else CAUSE_KIND_TITLES[line.cause_kind], None),
            (line.measure_status, None),
        ]
        for j, (value, number_format) in enumerate(values, start=1):
            cell = put(row, j, value, number_format)
            cell.border = box
            cell.alignment = wrap
            if line.flagged:
                cell.fill = flag_fill
        if line.flagged:
            ws.cell(row=row, column=6).font = Font(bold=True, color="C00000")

    reported = [line for line in lines if line.actual is not None]
    total = compute_cost_variance(
        sum((line.budget for line in reported), Decimal(0)),
        sum((line.actual for line in reported if line.actual is not None), Decimal(0)),
    )
    row += 1
    totals: list[tuple[int, object, str | None]] = [
        (1, "合计", None),
        (3, total.budget, _MONEY),
        (4, total.actual, _MONEY),
        (5, total.variance, _SIGNED_MONEY),
        (6, "n/a" if total.ratio is None else total.ratio, _RATIO),
    ]
    for j, value, number_format in totals:
        put(row, j, value, number_format).font = bold
    for j in range(1, len(REPORT_COLUMNS) + 1):
        ws.cell(row=row, column=j).border = box

    widths = (12, 16, 13, 13, 12, 9, 30, 30, 12, 10, 12, 10, 10)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=_FIRST, column=j).column_letter].width = width
    ws.freeze_panes = ws.cell(row=_FIRST + 1, column=3)
    book.save(target)
