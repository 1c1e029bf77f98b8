"""Import a month's cost table (月度成本分析表) from the user's CSV or workbook.

The columns are matched by their titles (:data:`COST_COLUMN_SYNONYMS`, overridable with an
explicit mapping). 差异额 and 差异率 are computed, never read: when the file has them and they
disagree with 预算/实际, the row gets a warning, not an error. Every bad cell becomes a
:class:`RowError` (the import does not stop at the first); only a file-level problem — an
unreadable file, a required column missing — raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from opslens.core.costs.variance import CauseKind
from opslens.core.errors import ConfigError, InputError, MissingColumnError
from opslens.core.tabular import (
    HEADER_SEARCH_ROWS,
    _Grid,
    _read_grid,
    _to_table,
    normalize_title,
    parse_date,
    parse_decimal,
    parse_percent,
    suggest_columns,
)

__all__ = [
    "COST_COLUMN_SYNONYMS",
    "COST_FIELDS",
    "REQUIRED_COST_FIELDS",
    "CostImport",
    "ImportedCostRow",
    "RowError",
    "parse_cause_kind",
    "read_cost_table",
]

#: The titles each field of the cost table goes by; the first is the template's own.
COST_COLUMN_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "category": ("成本类别", "类别", "费用类别", "科目", "成本科目", "Category", "Cost category"),
    "sub_item": ("子项", "明细", "项目", "费用项目", "子项目", "Sub-item", "Sub item", "Item"),
    "budget": ("预算(元)", "预算", "预算金额", "Budget"),
    "actual": ("实际(元)", "实际", "实际金额", "发生额", "实际发生额", "Actual"),
    "cause": ("原因分析", "原因", "差异原因", "Cause"),
    "measure": ("改进措施", "措施", "Measure", "Improvement"),
    "department": ("责任部门", "部门", "Department"),
    "owner": ("责任人", "负责人", "Owner"),
    "planned": ("计划完成", "计划完成时间", "完成日期", "计划完成日期", "Planned", "Due"),
    "cause_kind": ("原因类型", "主观客观", "主观/客观", "Cause kind", "Cause type"),
    "measure_status": ("措施状态", "整改状态", "Measure status", "Status"),
}
#: The fields of a cost line, in the template's column order.
COST_FIELDS: tuple[str, ...] = tuple(COST_COLUMN_SYNONYMS)
#: The fields without which the file cannot be imported.
REQUIRED_COST_FIELDS: tuple[str, ...] = ("category", "sub_item", "budget", "actual")
# Computed columns: read only to warn when the file's figures disagree with ours.
_CHECK_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "variance": ("差异额", "差异", "差额", "差异金额", "Variance"),
    "ratio": ("差异率", "差异比例", "差异百分比", "Variance %", "Variance ratio"),
}
_TOTAL_WORDS = {normalize_title(w) for w in ("合计", "总计", "小计", "Total", "Subtotal")}
_CAUSE_KINDS: Mapping[str, CauseKind] = {
    **dict.fromkeys(("主观", "可控", "controllable", "c"), CauseKind.CONTROLLABLE),
    **dict.fromkeys(("客观", "不可控", "uncontrollable", "u"), CauseKind.UNCONTROLLABLE),
}
_VARIANCE_TOLERANCE = Decimal("0.5")  # half a unit: the file may round to whole yuan
_RATIO_TOLERANCE = Decimal("0.005")  # half a percentage point: "+15%" for 15.4 %


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one row: its number in the file, the column title and the cell's text."""

    row: int
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [f"row {self.row}"]
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportedCostRow:
    """A cost line read from the file; ``row`` is its number there."""

    row: int
    category: str
    sub_item: str
    budget: Decimal
    actual: Decimal | None  # None: not reported yet (an empty 实际 cell)
    cause: str
    cause_kind: CauseKind | None
    measure: str
    department: str
    owner: str
    planned: date | None
    measure_status: str = ""


@dataclass(frozen=True, slots=True)
class CostImport:
    """What :func:`read_cost_table` found: the good rows, each bad cell, the warnings, and which
    column each field was read from (``None``: not in the file)."""

    filename: str
    rows: tuple[ImportedCostRow, ...]
    errors: tuple[RowError, ...]
    warnings: tuple[RowError, ...]
    mapping: Mapping[str, str | None]


def parse_cause_kind(
    text: str | None,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
) -> CauseKind | None:
    """The kind of a cause from its cell: 主观/可控/controllable or 客观/不可控/uncontrollable.

    Also read: the same with 原因 or 因素 after it, or with the other name in parentheses
    ("主观(可控)"). Empty gives ``None``; anything else raises :class:`InputError`.
    """
    if text is None or not text.strip():
        return None
    word = normalize_title(text)
    word = re.sub(r"\(.*\)$", "", word) or word
    word = re.sub(r"(原因|因素)$", "", word) or word
    kind = _CAUSE_KINDS.get(word)
    if kind is None:
        raise InputError(
            "expected 主观 (controllable) or 客观 (uncontrollable)",
            file=file,
            row=row,
            column=column,
            value=text,
        )
    return kind


def _title_of(field: str, mapping: Mapping[str, str]) -> str:
    return mapping.get(field) or COST_COLUMN_SYNONYMS[field][0]


def _check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(mapping) - set(COST_FIELDS))
    if unknown:
        raise ConfigError(
            f"unknown field(s) in the column mapping: {', '.join(unknown)}; "
            f"known: {', '.join(COST_FIELDS)}"
        )
    chosen = {field: title for field, title in mapping.items() if title}
    by_column: dict[str, str] = {}
    for field, title in chosen.items():
        other = by_column.setdefault(normalize_title(title), field)
        if other != field:
            raise ConfigError(f"the column {title!r} is mapped to both {other} and {field}")
    return chosen


def _resolve(columns: tuple[str, ...], chosen: Mapping[str, str]) -> dict[str, str | None]:
    """Field → column: the explicit choices where they name a column, suggestions elsewhere."""
    normal = {normalize_title(c): c for c in columns}
    resolved: dict[str, str | None] = {}
    taken: set[str] = set()
    for field, title in chosen.items():
        column = title if title in columns else normal.get(normalize_title(title))
        resolved[field] = column
        if column is not None:
            taken.add(column)
    free = [c for c in columns if c not in taken]
    wanted = {**COST_COLUMN_SYNONYMS, **_CHECK_SYNONYMS}
    for field in chosen:
        del wanted[field]
    resolved.update(suggest_columns(free, wanted))
    return resolved


def _find_header(grid: _Grid, chosen: Mapping[str, str]) -> int:
    needed = set(REQUIRED_COST_FIELDS) | set(chosen)
    top = [i for i, (_, cells) in enumerate(grid.rows) if any(cells)][:HEADER_SEARCH_ROWS]
    best, best_count = top[0], -1
    for i in top:
        titles = tuple(dict.fromkeys(c for c in grid.rows[i][1] if c))
        resolved = _resolve(titles, chosen)
        count = sum(1 for f in needed if resolved.get(f) is not None)
        if count == len(needed):
            return i
        if count > best_count:
            best, best_count = i, count
    number, cells = grid.rows[best]
    titles = tuple(dict.fromkeys(c for c in cells if c))
    resolved = _resolve(titles, chosen)
    missing = [_title_of(f, chosen) for f in COST_FIELDS if f in needed and not resolved.get(f)]
    raise MissingColumnError(
        f"missing column(s) {', '.join(missing)}; the columns found: "
        f"{', '.join(titles) or '(none)'}",
        file=grid.filename,
        row=number,
        column=missing[0],
    )


def _is_total(text: str | None) -> bool:
    return text is not None and normalize_title(text).rstrip(":") in _TOTAL_WORDS


def _signed(number: Decimal) -> str:
    return f"{number:+,f}"


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).quantize(Decimal('0.1')):+f}%"


def read_cost_table(
    source: Path | bytes,
    *,
    filename: str,
    mapping: Mapping[str, str] | None = None,
) -> CostImport:
    """Read a month's cost lines from a CSV or a workbook (formats as for
    :func:`~opslens.core.tabular.read_table`).

    The header is the first of the top rows that has a column for each required field
    (:data:`REQUIRED_COST_FIELDS`), so title rows above it are skipped. ``mapping`` (field →
    column title, an empty title leaving the field out) overrides the suggested columns.
    A 合计/总计/小计 row is skipped; an empty 成本类别 cell takes the category of the row above
    (a merged cell); a row without a sub-item, budget or actual is skipped with a warning.
    Each bad cell gives a :class:`RowError` in ``errors`` and keeps its row out of ``rows``.

    Raises :class:`~opslens.core.errors.UnreadableFileError` (unreadable or empty),
    :class:`MissingColumnError` (a required or mapped column missing: it names them and the
    columns found), :class:`ConfigError` (a mapping naming an unknown field, or one column for
    two fields) or :class:`InputError` (nothing below the header).
    """
    chosen = _check_mapping(mapping or {})
    grid = _read_grid(source, filename=filename, sheet=None)
    header = _find_header(grid, chosen)
    table = _to_table(grid, header)
    resolved = _resolve(table.columns, chosen)
    columns = {field: column for field, column in resolved.items() if column is not None}

    rows: list[ImportedCostRow] = []
    errors: list[RowError] = []
    warnings: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    last_category: str | None = None
    for line in table.rows:
        cells = {field: line.cells.get(column) for field, column in columns.items()}
        first = next((v for v in line.cells.values() if v is not None), None)
        if any(_is_total(text) for text in (first, cells.get("category"), cells.get("sub_item"))):
            last_category = None
            continue
        if not any(cells.get(f) for f in ("sub_item", "budget", "actual")):
            warnings.append(
                RowError(line.number, None, first, "skipped: no sub-item, budget or actual")
            )
            continue
        if cells.get("category") is None:
            cells["category"] = last_category
        else:
            last_category = cells["category"]
        row, problems = _read_row(line.number, cells, columns)
        errors.extend(problems)
        if row is None:
            continue
        warnings.extend(_check_computed(row, cells, columns))
        pair = (row.category, row.sub_item)
        if pair in seen:
            message = f"the same category and sub-item as row {seen[pair]}"
            warnings.append(RowError(row.row, columns["sub_item"], row.sub_item, message))
        seen.setdefault(pair, row.row)
        rows.append(row)
    if not rows and not errors:
        raise InputError(
            "no cost lines below the header", file=filename, row=grid.rows[header][0] + 1
        )
    return CostImport(
        filename=filename,
        rows=tuple(rows),
        errors=tuple(errors),
        warnings=tuple(warnings),
        mapping={field: resolved.get(field) for field in COST_FIELDS},
    )


def _read_row(
    number: int, cells: Mapping[str, str | None], columns: Mapping[str, str]
) -> tuple[ImportedCostRow | None, list[RowError]]:
    """The row's cost line, or ``None`` and a :class:`RowError` for each bad cell."""
    problems: list[RowError] = []

    def problem(field: str, value: str | None, message: str) -> None:
        problems.append(RowError(number, columns.get(field), value, message))

    def failed(field: str, exc: InputError) -> None:
        problem(field, None if exc.value is None else str(exc.value), exc.message)

    category, sub_item = cells.get("category"), cells.get("sub_item")
    if category is None:
        problem("category", None, "the cost category is empty")
    if sub_item is None:
        problem("sub_item", None, "the sub-item is empty")
    amounts: dict[str, Decimal] = {}
    for field, what in (("budget", "budget"), ("actual", "actual amount")):
        text = cells.get(field)
        try:
            value = parse_decimal(text)
        except InputError as exc:
            failed(field, exc)
            continue
        if value is None:
            if field == "budget":  # an empty 实际 is a line whose figure is not in yet
                problem(field, None, f"the {what} is empty")
        elif field == "budget" and value < 0:
            problem(field, text, "the budget must not be negative")
        else:
            amounts[field] = value
    cause_kind: CauseKind | None = None
    planned: date | None = None
    try:
        cause_kind = parse_cause_kind(cells.get("cause_kind"))
    except InputError as exc:
        failed("cause_kind", exc)
    try:
        planned = parse_date(cells.get("planned"))
    except InputError as exc:
        failed("planned", exc)
    if problems or category is None or sub_item is None:
        return None, problems
    row = ImportedCostRow(
        row=number,
        category=category,
        sub_item=sub_item,
        budget=amounts["budget"],
        actual=amounts.get("actual"),
        cause=cells.get("cause") or "",
        cause_kind=cause_kind,
        measure=cells.get("measure") or "",
        department=cells.get("department") or "",
        owner=cells.get("owner") or "",
        planned=planned,
        measure_status=cells.get("measure_status") or "",
    )
    return row, problems


def _check_computed(
    row: ImportedCostRow, cells: Mapping[str, str | None], columns: Mapping[str, str]
) -> list[RowError]:
    """Warnings for a 差异额/差异率 cell that disagrees with 实际 − 预算 (unreadable: ignored)."""
    found: list[RowError] = []
    if row.actual is None:
        return found
    variance = row.actual - row.budget
    text = cells.get("variance")
    try:
        typed = parse_decimal(text)
    except InputError:
        typed = None
    if typed is not None and abs(typed - variance) > _VARIANCE_TOLERANCE:
        found.append(
            RowError(
                row.row,
                columns["variance"],
                text,
                f"does not match 实际 − 预算 = {_signed(variance)}; the computed value is used",
            )
        )
    text = cells.get("ratio")
    try:
        ratio = parse_percent(text)
    except InputError:
        ratio = None
    if ratio is not None and row.budget != 0:
        expected = variance / row.budget
        if (
            abs(ratio - expected) > _RATIO_TOLERANCE
            and abs(ratio / 100 - expected) > _RATIO_TOLERANCE
        ):
            found.append(
                RowError(
                    row.row,
                    columns["ratio"],
                    text,
                    f"does not match (实际 − 预算) / 预算 = {_percent(expected)}; "
                    "the computed value is used",
                )
            )
    return found
