"""Reading the cost pages and files back: table rows, workbooks, CSV uploads, DB snapshots."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from opslens.web.common.models import Notification
from opslens.web.costs.models import CostCategory, CostLine, CostMonth
from opslens.web.org.models import Department

SEED_HEADER = [
    "成本类别",
    "子项",
    "预算(元)",
    "实际(元)",
    "原因分析",
    "改进措施",
    "责任部门",
    "责任人",
    "计划完成",
]
REPORT_HEADER = [
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
]
HEADER_ROW = 5  # the export's header row


def u(name: str, *args: Any) -> str:
    return reverse(f"costs:{name}", args=args)


class Row:
    """A table row: its attributes and the text of each cell."""

    def __init__(self, attrs: dict[str, str]) -> None:
        self.attrs = attrs
        self.cells: list[str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def __repr__(self) -> str:
        return f"Row({self.attrs!r}, {self.cells!r})"


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[dict[str, str], list[Row]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables.append((values, []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append(Row(values))
        elif tag in ("td", "th") and self.tables and self.tables[-1][1]:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].cells.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(html: str | bytes, testid: str) -> list[Row]:
    """The rows of the table ``data-testid=testid`` (the header row included)."""
    parser = _Tables()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    for attrs, rows in parser.tables:
        if attrs.get("data-testid") == testid:
            return rows
    raise AssertionError(f"no table {testid!r} in the page")


def cost_rows(html: str | bytes) -> dict[str, Row]:
    """The month page's cost lines by sub-item."""
    return {
        row.attrs["data-line"]: row for row in table(html, "cost-table") if "data-line" in row.attrs
    }


# month table columns
CATEGORY, SUB_ITEM, BUDGET, ACTUAL, VARIANCE, RATIO, CAUSE, MEASURE, DEPARTMENT = range(9)


def xlsx_rows(content: bytes) -> list[list[Any]]:
    """The export's rows from the header down (the 合计 row included)."""
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]


def xlsx_lines(content: bytes) -> dict[str, list[Any]]:
    """The export's lines by sub-item (header and 合计 left out)."""
    rows = xlsx_rows(content)[1:]
    return {row[1]: row for row in rows if row[0] != "合计"}


def csv_upload(rows: list[list[Any]], *, encoding: str = "gb18030", name: str = "成本.csv") -> Any:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def line_data(line: CostLine, **changes: Any) -> dict[str, Any]:
    """The line form's fields as the page would post them."""
    data: dict[str, Any] = {
        "category": line.category_id,
        "sub_item": line.sub_item,
        "department": line.department_id,
        "owner": line.owner_id or "",
        "budget": line.budget,
        "actual": "" if line.actual is None else line.actual,
        "cause": line.cause,
        "cause_kind": line.cause_kind,
        "measure": line.measure,
        "measure_department": line.measure_department_id or "",
        "measure_owner": line.measure_owner_id or "",
        "planned_date": line.planned_date or "",
        "measure_status": line.measure_status,
    }
    data.update(changes)
    return data


def snapshot() -> dict[str, Any]:
    """Every row of the cost tables and the departments' cost access: proof nothing changed."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (CostMonth, CostLine, CostCategory, Department, Notification)
    }
