"""The process table as an Excel workbook in the seed's template layout (T1 现有流程梳理与优化表).

Layout of the first sheet ("流程梳理与优化表")::

    row 1   流程名称 | 责任部门 | 流程起点 | 流程终点 | 记录日期 | 版本
    row 2   the values (departments joined by 、, the date as a real Excel date)
    row 3   empty
    row 4   流程步骤 | 涉及角色 | 输入内容 | 输出内容 | 耗时(小时)      (the seed's five columns)
            | 所属部门 | 最短耗时(小时) | 最长耗时(小时) | 退回率(%) | 表单/系统 | 并行组 | 备注
    row 5…  one row per step; the step cell reads "1.填写申请表"
    then    合计 with the elapsed hours, and a note naming the bottleneck

:func:`write_process_xlsx` writes it with openpyxl; :func:`read_process_xlsx` reads it back
with python-calamine, and also reads the seed's bare table: the step table is found by its titles
(Chinese or English), the header block by its titles above it (a row of titles with the values
below, or title/value pairs side by side), and reading stops at 合计 or the first empty row.
A 并行组 cell groups the steps that run in parallel (steps with the same label share a stage;
a step without one runs alone); without that column the steps run one after another.
退回率(%) holds percentages (15 means 15 %); a cell formatted as a percentage in Excel (0.15
shown as 15%) is read as what it shows.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Context, Decimal, InvalidOperation
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from opslens.core.errors import (
    ConfigError,
    InputError,
    MissingColumnError,
    UnreadableFileError,
)
from opslens.core.processmap.figures import as_percent, format_hours, summarize_steps
from opslens.core.processmap.model import (
    ProcessHeader,
    ProcessSheet,
    Step,
    order_steps,
)

__all__ = [
    "HEADER_TITLES",
    "SEED_STEP_TITLES",
    "SHEET_TITLES",
    "STEP_TITLES",
    "read_process_xlsx",
    "write_process_xlsx",
]

Lang = Literal["zh", "en"]

SHEET_TITLES: dict[str, str] = {"zh": "流程梳理与优化表", "en": "Process map"}
_HEADER_FIELDS = ("name", "departments", "start_point", "end_point", "record_date", "version")
HEADER_TITLES: dict[str, tuple[str, ...]] = {
    "zh": ("流程名称", "责任部门", "流程起点", "流程终点", "记录日期", "版本"),
    "en": ("Process name", "Departments", "Start point", "End point", "Record date", "Version"),
}
_STEP_FIELDS = (
    "name",
    "role",
    "inputs",
    "outputs",
    "hours",
    "department",
    "hours_min",
    "hours_max",
    "return_rate",
    "system",
    "stage",
    "note",
)
STEP_TITLES: dict[str, tuple[str, ...]] = {
    "zh": (
        "流程步骤",
        "涉及角色",
        "输入内容",
        "输出内容",
        "耗时(小时)",
        "所属部门",
        "最短耗时(小时)",
        "最长耗时(小时)",
        "退回率(%)",
        "表单/系统",
        "并行组",
        "备注",
    ),
    "en": (
        "Step",
        "Role",
        "Input",
        "Output",
        "Hours",
        "Department",
        "Min hours",
        "Max hours",
        "Return rate (%)",
        "Form/System",
        "Parallel group",
        "Note",
    ),
}
#: The five columns of the seed's template.
SEED_STEP_TITLES: tuple[str, ...] = STEP_TITLES["zh"][:5]
_TOTAL = {"zh": "合计", "en": "Total"}


def _norm(title: object) -> str:
    """A title compared loosely: NFKC (full-width to half-width), lower case, no spaces."""
    text = unicodedata.normalize("NFKC", str(title)).lower()
    return re.sub(r"\s+", "", text).rstrip(":")


def _aliases(
    fields: Sequence[str], titles: dict[str, tuple[str, ...]], extra: dict[str, str]
) -> dict[str, str]:
    table: dict[str, str] = {}
    for names in titles.values():
        for field, title in zip(fields, names, strict=True):
            table[_norm(title)] = field
    for field, words in extra.items():
        for word in words.split("|"):
            table[_norm(word)] = field
    return table


_STEP_ALIASES = _aliases(
    _STEP_FIELDS,
    STEP_TITLES,
    {
        "name": "步骤|步骤名称|流程环节|环节|Steps|Step name|Activity",
        "role": "角色|责任角色|Roles",
        "inputs": "输入|Inputs",
        "outputs": "输出|Outputs",
        "hours": (
            "耗时|耗时(h)|用时(小时)|时长(小时)|Hours (h)|Duration (h)|Duration (hours)|Duration"
        ),
        "department": "部门|Dept",
        "hours_min": "最短耗时|Min hours (h)|Minimum hours",
        "hours_max": "最长耗时|Max hours (h)|Maximum hours",
        "return_rate": "退回率|Return rate",
        "system": "表单|系统|表单/系统名称|System|Form",
        "stage": "并行|Group|Stage",
        "note": "说明|Notes|Remark|Remarks|Comment",
    },
)
_HEADER_ALIASES = _aliases(
    _HEADER_FIELDS,
    HEADER_TITLES,
    {
        "name": "Process",
        "departments": "Department|Departments responsible|Responsible departments",
        "start_point": "起点|Start",
        "end_point": "终点|End",
        "record_date": "日期|Date",
        "version": "版本号|Version label",
    },
)
_TOTAL_WORDS = {_norm(w) for w in ("合计", "总计", "总耗时", "Total", "Sum")}
_PREFIX = re.compile(r"\d+[.．、]")
_UNDERSCORE_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_CTX = Context(prec=28)
_HOUR_UNITS = ("小时", "hours", "hour", "hrs", "h")


# --------------------------------------------------------------------------------------- write


def write_process_xlsx(sheet: ProcessSheet, *, lang: Lang = "zh") -> bytes:
    """The sheet as an XLSX workbook (bytes) in the template layout, titles in ``lang``."""
    if lang not in SHEET_TITLES:
        raise ConfigError(f"unknown language {lang!r}; expected 'zh' or 'en'")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    summary = summarize_steps(sheet.steps)
    book = Workbook()
    ws = book.active
    ws.title = SHEET_TITLES[lang]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")

    def text(row: int, column: int, value: str) -> Any:
        cell = ws.cell(row=row, column=column)
        if value:
            cell.value = _UNDERSCORE_ESCAPE.sub("_x005F_", value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell

    def number(row: int, column: int, value: Decimal | int | None) -> Any:
        cell = ws.cell(row=row, column=column)
        if value is not None:
            cell.value = value
        return cell

    def titles(row: int, names: Sequence[str]) -> None:
        for column, title in enumerate(names, start=1):
            cell = text(row, column, title)
            cell.font = bold
            cell.fill = fill
            cell.border = box
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    header = sheet.header
    titles(1, HEADER_TITLES[lang])
    values = (
        header.name,
        "、".join(header.departments),
        header.start_point,
        header.end_point,
        None,
        sheet.version_label,
    )
    for column, value in enumerate(values, start=1):
        cell = text(2, column, value) if value is not None else ws.cell(row=2, column=column)
        cell.border = box
        cell.alignment = wrap
    if header.record_date is not None:
        date_cell = ws.cell(row=2, column=5, value=header.record_date)
        date_cell.number_format = "yyyy-mm-dd"

    first = 4
    titles(first, STEP_TITLES[lang])
    group_size: dict[int, int] = {}
    for step in sheet.steps:
        group_size[step.stage] = group_size.get(step.stage, 0) + 1
    row = first
    for index, step in enumerate(sheet.steps, start=1):
        row = first + index
        cells = [
            text(row, 1, f"{index}.{step.name}"),
            text(row, 2, step.role),
            text(row, 3, step.inputs),
            text(row, 4, step.outputs),
            number(row, 5, step.hours),
            text(row, 6, step.department),
            number(row, 7, step.hours_min),
            number(row, 8, step.hours_max),
            number(row, 9, None if step.return_rate is None else step.return_rate * 100),
            text(row, 10, step.system),
            number(row, 11, step.stage if group_size[step.stage] > 1 else None),
            text(row, 12, step.note),
        ]
        for cell in cells:
            cell.border = box
            cell.alignment = wrap

    row += 1
    total_cell = text(row, 1, _TOTAL[lang])
    hours_cell = number(row, 5, summary.total_hours)
    total_cell.font = hours_cell.font = bold
    if summary.work_hours != summary.total_hours:
        work = format_hours(summary.work_hours)
        text(
            row,
            12,
            f"并行步骤按最长者计；各步骤耗时之和 {work} 小时"
            if lang == "zh"
            else f"parallel steps count once (the longest); all steps add up to {work} h",
        )
    bottleneck = summary.bottleneck
    if bottleneck is not None:
        hours = format_hours(bottleneck.hours)
        share = format_hours(as_percent(bottleneck.share))
        text(
            row + 1,
            1,
            f"瓶颈：{bottleneck.name}（{hours} 小时，占总耗时 {share}%）"
            if lang == "zh"
            else f"Bottleneck: {bottleneck.name} ({hours} h, {share}% of the total)",
        ).font = Font(bold=True, color="C00000")

    widths = (26, 14, 22, 22, 11, 14, 14, 14, 11, 16, 9, 24)
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=column).column_letter].width = width
    ws.freeze_panes = ws.cell(row=first + 1, column=2)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------- read


@dataclass(frozen=True, slots=True)
class _Column:
    index: int
    title: str


def read_process_xlsx(
    data: bytes | str | os.PathLike[str], *, filename: str = "upload.xlsx"
) -> ProcessSheet:
    """Read a process table (our layout or the seed's bare one) from bytes or a path.

    ``filename`` names the file in error messages (for a path, its name is used unless one is
    given). Step keys are assigned as "1", "2", … in process order.

    Raises :class:`UnreadableFileError` (missing, empty, not a workbook),
    :class:`MissingColumnError` (no 流程步骤 or 耗时(小时) column) or :class:`InputError` (no
    steps, or a bad cell), each naming the file, the Excel row (1-based) and the column title.
    """
    if isinstance(data, bytes | bytearray):
        raw = bytes(data)
    else:
        path = Path(data)
        if filename == "upload.xlsx":
            filename = path.name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise UnreadableFileError("no such file", file=filename) from None
        except OSError as exc:
            raise UnreadableFileError(
                f"the file cannot be read: {exc.strerror}", file=filename
            ) from None
    if not raw:
        raise UnreadableFileError("the file is empty", file=filename)
    sheet_name, rows = _load_rows(raw, filename)
    header_index, columns = _find_step_table(rows, filename)
    header, version = _read_header(rows[:header_index], filename)
    steps = _read_steps(rows, header_index, columns, filename, raw, sheet_name)
    return ProcessSheet(header=header, steps=steps, version_label=version)


def _load_rows(raw: bytes, filename: str) -> tuple[str, list[list[Any]]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(BytesIO(raw))
        names: list[str] = list(book.sheet_names)
        if not names:
            raise UnreadableFileError("the workbook has no sheet", file=filename)
        known = [n for n in names if n in SHEET_TITLES.values()]
        name = known[0] if known else names[0]
        rows: list[list[Any]] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except UnreadableFileError:
        raise
    except Exception as exc:  # calamine raises its own types (CalamineError, ZipError, …)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableFileError(
            f"not a readable Excel workbook (.xlsx): {message}", file=filename
        ) from None
    if not any(not _blank(cell) for row in rows for cell in row):
        raise UnreadableFileError(f"the sheet {name!r} is empty", file=filename)
    return name, rows


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(row: Sequence[Any], index: int) -> Any:
    return row[index] if index < len(row) else None


def _find_step_table(rows: list[list[Any]], filename: str) -> tuple[int, dict[str, _Column]]:
    only_name: tuple[int, str] | None = None
    only_hours: int | None = None
    for i, row in enumerate(rows):
        columns: dict[str, _Column] = {}
        for j, value in enumerate(row):
            if isinstance(value, str) and value.strip():
                field = _STEP_ALIASES.get(_norm(value))
                if field is not None and field not in columns:
                    columns[field] = _Column(j, value.strip())
        if "name" in columns and "hours" in columns:
            return i, columns
        if "name" in columns and only_name is None:
            only_name = (i, columns["name"].title)
        if "hours" in columns and only_hours is None:
            only_hours = i
    hours_title, name_title = SEED_STEP_TITLES[4], SEED_STEP_TITLES[0]
    if only_name is not None:
        raise MissingColumnError(
            f"the step table has no {hours_title} column (durations in hours)",
            file=filename,
            row=only_name[0] + 1,
            column=hours_title,
        )
    if only_hours is not None:
        raise MissingColumnError(
            f"the step table has no {name_title} column (step names)",
            file=filename,
            row=only_hours + 1,
            column=name_title,
        )
    raise MissingColumnError(
        f"no step table found: no row holds the titles {name_title} and {hours_title}",
        file=filename,
        column=name_title,
    )


def _read_header(rows: list[list[Any]], filename: str) -> tuple[ProcessHeader, str]:
    found: dict[str, tuple[int, int, str]] = {}
    counts: list[int] = []
    for i, row in enumerate(rows):
        count = 0
        for j, value in enumerate(row):
            if isinstance(value, str) and value.strip():
                field = _HEADER_ALIASES.get(_norm(value))
                if field is not None:
                    count += 1
                    found.setdefault(field, (i, j, value.strip()))
        counts.append(count)
    values: dict[str, str] = {}
    record_date: date | None = None
    for field, (i, j, title) in found.items():
        # A row of titles has its values below; a lone title has its value to its right.
        if counts[i] >= 2:
            r, c = i + 1, j
            value = _cell(rows[r], c) if r < len(rows) else None
        else:
            r, c = i, j + 1
            value = _cell(rows[r], c)
        if field == "record_date":
            record_date = _date(value, filename=filename, row=r + 1, column=title)
        else:
            values[field] = _text(value)
    header = ProcessHeader(
        name=values.get("name", ""),
        departments=(values.get("departments", ""),),
        start_point=values.get("start_point", ""),
        end_point=values.get("end_point", ""),
        record_date=record_date,
    )
    return header, values.get("version", "")


@dataclass(frozen=True, slots=True)
class _Row:
    number: int  # the Excel row
    values: dict[str, Any]


def _read_steps(
    rows: list[list[Any]],
    header_index: int,
    columns: dict[str, _Column],
    filename: str,
    raw: bytes,
    sheet_name: str,
) -> tuple[Step, ...]:
    found: list[_Row] = []
    for i in range(header_index + 1, len(rows)):
        cells = rows[i]
        filled = [value for value in cells if not _blank(value)]
        if not filled:
            break
        if isinstance(filled[0], str) and _norm(filled[0]) in _TOTAL_WORDS:
            break
        found.append(_Row(i + 1, {f: _cell(cells, c.index) for f, c in columns.items()}))
    name_title = columns["name"].title
    if not found:
        raise InputError(
            "the step table has no steps: the row under its titles is empty",
            file=filename,
            row=header_index + 2,
            column=name_title,
        )

    def fail(message: str, row: _Row, field: str, value: object) -> InputError:
        return InputError(
            message, file=filename, row=row.number, column=columns[field].title, value=value
        )

    names = [_text(r.values["name"]) for r in found]
    for row, name in zip(found, names, strict=True):
        if not name:
            raise fail("this row has no step name", row, "name", None)
    if all(_PREFIX.match(name) for name in names):
        names = [_PREFIX.sub("", name, count=1).strip() for name in names]
        for row, name in zip(found, names, strict=True):
            if not name:
                raise fail("the step has a number but no name", row, "name", row.values["name"])

    percent_rows: set[int] = set()
    if "return_rate" in columns and any(
        isinstance(r.values["return_rate"], int | float) for r in found
    ):
        percent_rows = _percent_formatted(
            raw, sheet_name, columns["return_rate"].index, [r.number for r in found]
        )

    stages = _stages(found) if "stage" in columns else list(range(1, len(found) + 1))
    steps: list[Step] = []
    for row, name, stage in zip(found, names, stages, strict=True):
        parsed: dict[str, Decimal | None] = {}
        for field in ("hours", "hours_min", "hours_max"):
            if field in columns:
                try:
                    parsed[field] = _number(row.values[field], units=_HOUR_UNITS)
                except _Unreadable:
                    raise fail(
                        "expected a number of hours, such as 1.5", row, field, row.values[field]
                    ) from None
        hours = parsed["hours"]
        if hours is None:
            raise fail("the step has no duration in hours", row, "hours", None)
        rate = None
        if "return_rate" in columns:
            cell = row.values["return_rate"]
            try:
                percent = _number(cell, units=("%",))
            except _Unreadable:
                raise fail(
                    "expected a percentage such as 15 or 15%", row, "return_rate", cell
                ) from None
            if percent is not None:
                if row.number in percent_rows:
                    percent *= 100
                if not 0 <= percent <= 100:
                    raise fail(
                        "the return rate must be between 0 and 100 (%)", row, "return_rate", cell
                    )
                rate = _CTX.divide(percent, Decimal(100))
        try:
            steps.append(
                Step(
                    key=str(row.number),
                    name=name,
                    hours=hours,
                    role=_text(row.values.get("role")),
                    department=_text(row.values.get("department")),
                    inputs=_text(row.values.get("inputs")),
                    outputs=_text(row.values.get("outputs")),
                    hours_min=parsed.get("hours_min"),
                    hours_max=parsed.get("hours_max"),
                    return_rate=rate,
                    system=_text(row.values.get("system")),
                    stage=stage,
                    note=_text(row.values.get("note")),
                )
            )
        except InputError as exc:
            field = exc.column if exc.column in columns else "name"
            cell = row.values[field]
            raise fail(exc.message, row, field, None if _blank(cell) else cell) from None
    return tuple(replace(step, key=str(n)) for n, step in enumerate(order_steps(steps), start=1))


def _stages(found: list[_Row]) -> list[int]:
    """Stages from the 并行组 labels: equal labels share a stage, a blank label runs alone."""
    labels = [_text(r.values["stage"]) for r in found]
    if not any(labels):
        return list(range(1, len(found) + 1))
    stage_of: dict[str, int] = {}
    stages: list[int] = []
    for label in labels:
        if label in stage_of:
            stages.append(stage_of[label])
            continue
        stages.append(max(stages, default=0) + 1)
        if label:
            stage_of[label] = stages[-1]
    return stages


class _Unreadable(Exception):
    """A cell holds no readable number."""


def _number(value: object, *, units: Sequence[str]) -> Decimal | None:
    """A Decimal from a number or numeric text (a unit suffix allowed), None when blank.

    Raises :class:`_Unreadable` for anything else.
    """
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Unreadable
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _Unreadable
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    text = unicodedata.normalize("NFKC", value).strip().lower()
    for unit in units:
        if text.endswith(unit):
            text = text[: -len(unit)].strip()
            break
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Unreadable from None
    if not number.is_finite():
        raise _Unreadable
    return number


def _text(value: object) -> str:
    """A cell as text; whole numbers lose their ".0" (2024.0 → "2024")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _date(value: object, *, filename: str, row: int, column: str) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        return date(1899, 12, 30) + timedelta(days=int(value))  # an unformatted Excel date
    if isinstance(value, str):
        match = _DATE.fullmatch(unicodedata.normalize("NFKC", value).strip())
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:  # e.g. 2024-02-30
                raise InputError(
                    "no such calendar date", file=filename, row=row, column=column, value=value
                ) from None
    raise InputError(
        "expected a date such as 2024-05-20", file=filename, row=row, column=column, value=value
    )


def _scales_percent(number_format: str) -> bool:
    """Whether an Excel number format shows the value × 100 with a % sign."""
    unquoted = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in unquoted


def _percent_formatted(raw: bytes, sheet_name: str, column: int, rows: list[int]) -> set[int]:
    """The Excel rows whose cell in ``column`` is formatted as a percentage (best effort).

    calamine gives values without formats, so openpyxl reads the formats of that one column;
    when it cannot (a format other than .xlsx), no cell counts as a percentage.
    """
    from openpyxl import load_workbook

    wanted = set(rows)
    first, last = min(rows), max(rows)
    found: set[int] = set()
    try:
        book = load_workbook(BytesIO(raw), read_only=True)
        try:
            sheet = book[sheet_name]
            cells = sheet.iter_rows(
                min_row=first, max_row=last, min_col=column + 1, max_col=column + 1
            )
            for offset, (cell,) in enumerate(cells):
                number_format = getattr(cell, "number_format", None) or ""
                if first + offset in wanted and _scales_percent(str(number_format)):
                    found.add(first + offset)
        finally:
            book.close()
    except Exception:  # not an .xlsx openpyxl understands: keep the values as they are
        return set()
    return found
