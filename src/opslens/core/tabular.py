"""Users' own spreadsheets as text tables: finance exports, KPI measurement sheets, cost tables.

:func:`read_table` reads a CSV (UTF-8 with or without BOM, or GB18030/GBK as Chinese finance
systems and WPS export it; comma, semicolon or tab delimited) or a workbook (.xlsx, .xlsm, .xls,
.ods, read with python-calamine) into a :class:`Table` of text cells. The header row is found
by its titles, so a title line such as "月度成本分析表 2024-06" above it is skipped; every row
keeps its number as the user sees it in Excel or a text editor, so that a message can point at
the exact cell.

Cells stay text; :func:`parse_decimal`, :func:`parse_percent` and :func:`parse_date` read the
ways people write money ("¥500,000", "1.5万", "(1,000)"), percentages ("+30%") and dates
("2024年7月31日") and raise :class:`~opslens.core.errors.InputError` naming the file, row,
column and value otherwise. :func:`suggest_columns` matches a file's titles to the fields an
import needs.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from opslens.core.errors import (
    InputError,
    MissingColumnError,
    UnreadableFileError,
)
from opslens.core.eventlog.readers import _sniff_delimiter, detect_encoding

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "HEADER_SEARCH_ROWS",
    "Table",
    "TableRow",
    "normalize_title",
    "parse_date",
    "parse_decimal",
    "parse_percent",
    "read_table",
    "suggest_columns",
]

_TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
_BOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
#: The file name endings :func:`read_table` accepts.
ACCEPTED_EXTENSIONS: tuple[str, ...] = _TEXT_EXTENSIONS + _BOOK_EXTENSIONS
#: How many non-blank rows from the top :func:`read_table` searches for the header row.
HEADER_SEARCH_ROWS = 20

_SAMPLE = 1 << 20
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


@dataclass(frozen=True, slots=True)
class TableRow:
    """One data row: its number in the file (1-based, as Excel or an editor shows it) and its
    cells by column title — text, stripped, ``None`` when empty."""

    number: int
    cells: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Table:
    """A spreadsheet read as text: the column titles (unique) and the non-blank rows below."""

    filename: str
    columns: tuple[str, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True, slots=True)
class _Grid:
    """Every row of a sheet as text cells, with its number in the file; blank rows included."""

    filename: str
    rows: tuple[tuple[int, tuple[str | None, ...]], ...]


# ---------------------------------------------------------------------------------- titles


def normalize_title(title: str) -> str:
    """A title compared loosely: full-width forms to half-width (NFKC), case folded, no spaces.

    ``"预算（元）"``, ``"预算 (元)"`` and ``"预算(元)"`` all become ``"预算(元)"``.
    """
    text = unicodedata.normalize("NFKC", title).casefold()
    return re.sub(r"\s+", "", text)


def suggest_columns(
    columns: Sequence[str], synonyms: Mapping[str, Sequence[str]]
) -> dict[str, str | None]:
    """Map each field of ``synonyms`` (field → titles it goes by) to the best matching column.

    A column whose normalised title (:func:`normalize_title`) equals one of a field's synonyms
    wins first (fields in the order given, synonyms in the order given); then a column whose
    title contains a synonym, the longest synonym first (so "原因类型说明" goes to the field
    known as 原因类型 rather than to the one known as 原因). Each column is used at most once;
    a field without a match maps to ``None``.
    """
    normal = [normalize_title(c) for c in columns]
    used: set[int] = set()
    found: dict[str, str | None] = dict.fromkeys(synonyms)
    for field, words in synonyms.items():
        for word in (normalize_title(w) for w in words):
            index = next(
                (i for i, n in enumerate(normal) if n == word and word and i not in used), None
            )
            if index is not None:
                found[field] = columns[index]
                used.add(index)
                break
    candidates: list[tuple[int, int, int, str]] = []
    for order, (field, words) in enumerate(synonyms.items()):
        if found[field] is not None:
            continue
        for word in (normalize_title(w) for w in words):
            if not word:
                continue
            for i, n in enumerate(normal):
                if i not in used and word in n:
                    candidates.append((-len(word), order, i, field))
    for _, _, index, field in sorted(candidates):
        if found[field] is None and index not in used:
            found[field] = columns[index]
            used.add(index)
    return found


# ------------------------------------------------------------------------------------ read


def read_table(
    source: Path | bytes,
    *,
    filename: str,
    sheet: str | None = None,
    header_row: int | None = None,
    required: Sequence[str] = (),
) -> Table:
    """Read a CSV or a workbook into a :class:`Table` of text cells.

    The format comes from ``filename``'s extension (see :data:`ACCEPTED_EXTENSIONS`);
    ``filename`` also names the file in error messages. ``sheet`` picks a workbook's sheet by
    name (default: the first one that is not empty). ``header_row`` is the header's row number
    (1-based); without it the header is the first row, among the first
    :data:`HEADER_SEARCH_ROWS` non-blank ones, that holds every ``required`` title (compared
    with :func:`normalize_title`), or, with no ``required`` titles, the first row with at least
    two filled cells. Rows below the header
    that are entirely blank are skipped; titles that repeat get a suffix (``"金额 (2)"``); a
    column without a title that holds data is named by its letter (``"F"``).

    Raises :class:`UnreadableFileError` (unknown type, not readable, empty),
    :class:`MissingColumnError` (required titles missing: it lists them and the columns found)
    or :class:`InputError` (no such sheet, no such header row).
    """
    grid = _read_grid(source, filename=filename, sheet=sheet)
    if header_row is None:
        index = _find_header(grid, required)
    else:
        index = next((i for i, (n, _) in enumerate(grid.rows) if n == header_row), -1)
        if index < 0 or not any(grid.rows[index][1]):
            raise InputError(
                "the header row is empty or beyond the data", file=filename, row=header_row
            )
        _check_required(grid, index, required)
    return _to_table(grid, index)


def _read_grid(source: Path | bytes, *, filename: str, sheet: str | None) -> _Grid:
    """The sheet or CSV as text rows; raises :class:`UnreadableFileError` when it cannot."""
    suffix = Path(filename).suffix.lower()
    if suffix not in ACCEPTED_EXTENSIONS:
        accepted = ", ".join(ACCEPTED_EXTENSIONS)
        raise UnreadableFileError(
            f"unsupported file type {suffix or '(none)'!r}; accepted: {accepted}", file=filename
        )
    if isinstance(source, bytes | bytearray):
        raw = bytes(source)
    else:
        try:
            raw = Path(source).read_bytes()
        except FileNotFoundError:
            raise UnreadableFileError("no such file", file=filename) from None
        except OSError as exc:
            raise UnreadableFileError(
                f"the file cannot be read: {exc.strerror}", file=filename
            ) from None
    if not raw.strip():
        raise UnreadableFileError("the file is empty", file=filename)
    if suffix in _BOOK_EXTENSIONS or raw.startswith(_WORKBOOK_MAGIC):
        rows = _book_rows(raw, filename, sheet)
    else:
        rows = _csv_rows(raw, filename)
    if not any(any(cells) for _, cells in rows):
        raise UnreadableFileError("the file holds no rows", file=filename)
    return _Grid(filename, tuple(rows))


def _csv_rows(raw: bytes, filename: str) -> list[tuple[int, tuple[str | None, ...]]]:
    try:
        encoding = detect_encoding(raw[:_SAMPLE])
    except UnreadableFileError as exc:
        raise UnreadableFileError(exc.message, file=filename) from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnreadableFileError(
            f"byte {raw[exc.start : exc.start + 1]!r} is not valid {encoding}",
            file=filename,
            row=line,
        ) from None
    text = text.removeprefix("\ufeff")
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    while len(lines) > 1 and not any(d in lines[0] for d in ",;\t|"):
        lines.pop(0)  # a title line above the header says nothing about the delimiter
    delimiter = _sniff_delimiter("\n".join(lines))
    rows: list[tuple[int, tuple[str | None, ...]]] = []
    try:
        for number, record in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            rows.append((number, tuple(_clean(value) for value in record)))
    except csv.Error as exc:
        raise UnreadableFileError(
            f"not a readable CSV file: {exc}", file=filename, row=len(rows) + 1
        ) from None
    return rows


def _book_rows(
    raw: bytes, filename: str, sheet: str | None
) -> list[tuple[int, tuple[str | None, ...]]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        names: list[str] = list(book.sheet_names)
    except Exception as exc:  # calamine raises its own types (CalamineError, ZipError, …)
        raise UnreadableFileError(
            f"not a readable workbook (.xlsx, .xls, .ods): {_first_line(exc)}", file=filename
        ) from None
    if not names:
        raise UnreadableFileError("the workbook has no sheet", file=filename)
    if sheet is not None and sheet not in names:
        raise InputError(
            f"the workbook has no sheet {sheet!r}; its sheets: {', '.join(names)}",
            file=filename,
        )
    wanted = [sheet] if sheet is not None else names
    first: list[tuple[int, tuple[str | None, ...]]] | None = None
    for name in wanted:
        try:
            values: list[list[Any]] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise UnreadableFileError(
                f"the sheet {name!r} cannot be read: {_first_line(exc)}", file=filename
            ) from None
        rows = [
            (number, tuple(_clean(v) for v in row)) for number, row in enumerate(values, start=1)
        ]
        if any(any(cells) for _, cells in rows):
            return rows
        if first is None:
            first = rows
    return first or []


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _clean(value: object) -> str | None:
    """A cell as text: stripped, ``None`` when empty; numbers without float noise, dates ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        # Excel keeps 15 significant digits: 0.30000000000000004 is the 0.3 the user typed.
        number = Decimal(format(value, ".15g"))
        text = format(number, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    text = str(value).strip()
    return text or None


def _find_header(grid: _Grid, required: Sequence[str]) -> int:
    top = [i for i, (_, cells) in enumerate(grid.rows) if any(cells)][:HEADER_SEARCH_ROWS]
    if not required:
        for i in top:
            if sum(1 for c in grid.rows[i][1] if c) >= 2:
                return i
        return top[0]
    wanted = [normalize_title(t) for t in required]
    best, best_count = top[0], -1
    for i in top:
        have = {normalize_title(c) for c in grid.rows[i][1] if c}
        count = sum(1 for w in wanted if w in have)
        if count == len(wanted):
            return i
        if count > best_count:
            best, best_count = i, count
    _check_required(grid, best, required)
    return best  # pragma: no cover - _check_required raised


def _check_required(grid: _Grid, index: int, required: Sequence[str]) -> None:
    number, cells = grid.rows[index]
    have = {normalize_title(c) for c in cells if c}
    missing = [t for t in required if normalize_title(t) not in have]
    if missing:
        found = ", ".join(c for c in cells if c) or "(none)"
        raise MissingColumnError(
            f"missing column(s) {', '.join(missing)}; the columns found: {found}",
            file=grid.filename,
            row=number,
            column=missing[0],
        )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _unique_titles(titles: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for title in titles:
        candidate, n = title, 1
        while candidate in seen:
            n += 1
            candidate = f"{title} ({n})"
        seen.add(candidate)
        result.append(candidate)
    return result


def _to_table(grid: _Grid, header_index: int) -> Table:
    header = grid.rows[header_index][1]
    body = [(n, cells) for n, cells in grid.rows[header_index + 1 :] if any(cells)]
    width = max([len(header), *(len(cells) for _, cells in body)])
    keep: list[int] = []
    titles: list[str] = []
    for j in range(width):
        title = header[j] if j < len(header) else None
        if title is None and not any(j < len(cells) and cells[j] for _, cells in body):
            continue
        keep.append(j)
        titles.append(title if title is not None else _column_letter(j))
    columns = _unique_titles(titles)
    rows = tuple(
        TableRow(
            number=n,
            cells={
                title: (cells[j] if j < len(cells) else None)
                for j, title in zip(keep, columns, strict=True)
            },
        )
        for n, cells in body
    )
    return Table(filename=grid.filename, columns=tuple(columns), rows=rows)


# ---------------------------------------------------------------------------------- values

_CURRENCY_PREFIX = re.compile(r"^(?:rmb|cny|[¥$€£])", re.IGNORECASE)
_CURRENCY_SUFFIX = re.compile(r"(?:rmb|cny|元|块)$", re.IGNORECASE)
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+")
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_NO_DATE = {"-", "—", "——", "–", "无", "/", "n/a", "na", "none"}
_ISO_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _where(
    message: str, text: str, file: str | None, row: int | None, column: str | None
) -> InputError:
    return InputError(message, file=file, row=row, column=column, value=text)


def _plain(number: Decimal) -> Decimal:
    """The same number without an exponent form: 1.5 × 10 000 gives 15000, not 1.5E+4."""
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def _signed_number(text: str, *, scales: bool) -> Decimal | None:
    """The number in ``text`` (already NFKC, no spaces), or ``None`` when it is not one."""
    negative = False
    if len(text) > 2 and text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    sign = text[:1] in ("+", "-")  # one sign, before or after the currency symbol
    if sign:
        negative, text = negative != (text[0] == "-"), text[1:]
    text = _CURRENCY_PREFIX.sub("", text, count=1)
    if not sign and text[:1] in ("+", "-"):
        negative, text = negative != (text[0] == "-"), text[1:]
    text = _CURRENCY_SUFFIX.sub("", text, count=1)
    scale = None
    if scales and text[-1:] in _SCALE:
        scale, text = _SCALE[text[-1]], text[:-1]
    if not _NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return None
    if scale is not None:
        number = _plain(number * scale)
    return -number if negative else number


def _normal_value(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("−", "-")
    return re.sub(r"\s+", "", text)


def parse_decimal(
    text: str | None,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
) -> Decimal | None:
    """An amount of money (or any number) as written by people, ``None`` when empty.

    Accepts thousands separators ("500,000"), currency signs and units ("¥500,000",
    "￥ 1,234.50", "500,000元"), explicit signs ("+150,000", "-30,000"), accounting negatives
    ("(1,000)"), full-width digits ("１２３") and the Chinese scales 万 (×10,000) and 亿
    (×100,000,000): "1.5万" is 15000. Anything else raises :class:`InputError` with the
    ``file``, ``row``, ``column`` and the text as its value.
    """
    if text is None or not text.strip():
        return None
    number = _signed_number(_normal_value(text), scales=True)
    if number is None:
        raise _where("not a number", text, file, row, column)
    return number


def parse_percent(
    text: str | None,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
) -> Decimal | None:
    """A ratio as a fraction, ``None`` when empty: "30%" and "+15%" give 0.30 and 0.15.

    A number without a % sign is already a fraction ("0.3" gives 0.3) — which is how a
    spreadsheet cell formatted as a percentage holds it. Anything else raises
    :class:`InputError` with the ``file``, ``row``, ``column`` and the text as its value.
    """
    if text is None or not text.strip():
        return None
    value = _normal_value(text)
    percent = value.endswith("%")
    number = _signed_number(value[:-1] if percent else value, scales=False)
    if number is None:
        raise _where("not a percentage", text, file, row, column)
    return number.scaleb(-2) if percent else number


def parse_date(
    text: str | None,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
) -> date | None:
    """A calendar date as written by people, ``None`` when empty or marked as none.

    Accepts "2024-07-31", "2024/7/31", "2024.7.31", "2024年7月31日", "20240731" and a time
    after the date ("2024-07-31 08:00", as a workbook's date-time cell reads); "-", "—" and "无"
    mean no date. Anything else, or a day that does not exist (2024-02-30), raises
    :class:`InputError` with the ``file``, ``row``, ``column`` and the text as its value.
    """
    if text is None or not text.strip():
        return None
    value = unicodedata.normalize("NFKC", text).strip()
    if value.casefold() in _NO_DATE:
        return None
    match = _ISO_DATE.fullmatch(value) or _COMPACT_DATE.fullmatch(value)
    if match is None:
        raise _where("not a date; expected a date such as 2024-07-31", text, file, row, column)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _where("no such calendar date", text, file, row, column) from None
