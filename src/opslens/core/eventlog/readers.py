"""Source readers: turn a CSV, XLSX, Parquet or XES(.gz) file into a raw DuckDB relation.

Every reader yields the same thing — a relation named ``raw`` on the log's DuckDB connection with
the file's columns (CSV and XLSX cells as text) and ``__row``, the record's position: the
spreadsheet row for CSV and XLSX (the header is row 1, so the first record is row 2), the 1-based
record number for Parquet and XES. A CSV file is not copied: ``raw`` reads it where it is, and the
log parses it in one parallel pass (:attr:`RawSource.scans`) into a table that the connection's
buffer manager spills to the work directory past its memory limit; XES is streamed into Parquet
files there, chunk by chunk, so a file larger than memory never has to fit in it.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import os
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO, Literal

import duckdb
import pyarrow as pa

from opslens.core.errors import InsufficientDataError, UnreadableFileError
from opslens.core.sql import quote_str

__all__ = [
    "Format",
    "RawSource",
    "detect_encoding",
    "detect_format",
    "load_raw",
    "no_events_message",
    "use_csv_scan",
]

Format = Literal["csv", "xlsx", "parquet", "xes"]

_SAMPLE = 1 << 20  # 1 MiB is plenty to tell the encoding and the delimiter


@dataclass(frozen=True, slots=True)
class RawSource:
    """What a reader found: the format, the columns, the encoding (text formats)."""

    format: Format
    columns: tuple[str, ...]
    encoding: str | None = None
    delimiter: str | None = None
    #: CSV only: the table expressions that read the file, to try in this order. The log parses
    #: the file in one pass over the first that succeeds; its table's ``rowid`` is the record's
    #: position, so ``__row`` is ``rowid + 2``. (``raw`` numbers the records with a serial
    #: window, for the rare look-up of a rejected row's text.)
    scans: tuple[str, ...] = ()


def detect_format(path: Path) -> Format:
    """Tell the format from the content first (magic bytes), then from the suffix."""
    with path.open("rb") as fh:
        head = fh.read(8)
    name = path.name.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\x1f\x8b"):
        if name.endswith((".csv.gz", ".txt.gz", ".tsv.gz")):
            return "csv"
        if name.endswith((".xes.gz", ".xml.gz")):
            return "xes"
        raise UnreadableFileError(
            "this is a gzip file; name it .xes.gz or .csv.gz to say what it holds", file=str(path)
        )
    if name.endswith((".xes", ".xml")):
        return "xes"
    if name.endswith(".gz"):
        raise UnreadableFileError("the file ends in .gz but is not gzip-compressed", file=str(path))
    if name.endswith((".xlsx", ".xlsm")):
        raise UnreadableFileError(
            "the file ends in .xlsx but is not an Excel workbook", file=str(path)
        )
    if name.endswith(".parquet"):
        raise UnreadableFileError("the file ends in .parquet but is not Parquet", file=str(path))
    if name.endswith(".xls"):
        raise UnreadableFileError(
            "old .xls workbooks are not supported; save as .xlsx or CSV", file=str(path)
        )
    stripped = head.lstrip()
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<log"):
        return "xes"
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """Tell a text sample's encoding: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030.

    Chinese Excel and WPS exports are GBK, which GB18030 contains. A sample cut in the middle of a
    multi-byte character is trimmed to its last complete line first.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= _SAMPLE and b"\n" in sample:
        sample = sample[: sample.rfind(b"\n") + 1]
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UnreadableFileError(
        "cannot tell the text encoding (tried UTF-8 and GB18030/GBK); save the file as UTF-8"
    )


def _transcode(path: Path, encoding: str, target: Path) -> None:
    """Stream ``path`` from ``encoding`` into UTF-8 at ``target``, naming the line of a bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with _open_binary(path) as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 22):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_line = line + chunk[: exc.start].count(b"\n")
                raise UnreadableFileError(
                    f"byte {chunk[exc.start : exc.start + 1]!r} is not valid {encoding}",
                    file=str(path),
                    row=bad_line,
                ) from None
            line += chunk.count(b"\n")
            dst.write(text)
        try:
            dst.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            raise UnreadableFileError(
                f"the file ends in the middle of a {encoding} character", file=str(path)
            ) from None


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _open_binary(path: Path) -> BinaryIO:
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else path.open("rb")  # type: ignore[return-value]


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path, work_dir: Path) -> RawSource:
    try:
        with _open_binary(path) as fh:
            sample = fh.read(_SAMPLE)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableFileError(f"cannot decompress: {exc}", file=str(path)) from None
    if not sample.strip():
        raise UnreadableFileError("the file is empty", file=str(path))
    try:
        encoding = detect_encoding(sample)
    except UnreadableFileError as exc:
        raise UnreadableFileError(exc.message, file=str(path)) from None
    source = path
    if encoding not in ("utf-8", "utf-8-sig"):
        source = work_dir / "transcoded.csv"
        _transcode(path, encoding, source)
        sample_text = source.open(encoding="utf-8").read(_SAMPLE)
    else:
        sample_text = sample.decode("utf-8-sig", errors="ignore")
    delimiter = _sniff_delimiter(sample_text)
    common = (
        f"{quote_str(str(source))}, all_varchar = true, header = true, "
        f"delim = {quote_str(delimiter)}, quote = '\"', escape = '\"', sample_size = 20480"
    )
    # The parallel reader first; rows with missing trailing fields need null padding, which
    # DuckDB only combines with quoted newlines in its serial reader.
    scans: tuple[str, ...] = (
        f"read_csv({common}, strict_mode = false)",
        f"read_csv({common}, strict_mode = false, null_padding = true, parallel = false)",
    )
    for i, scan in enumerate(scans):
        try:
            use_csv_scan(con, scan)
            cols = _columns(con)  # sniffs the dialect and the header, reads no further
            any_record = con.execute(f"SELECT 1 FROM {scan} LIMIT 1").fetchall()
            scans = scans[i:]
            break
        except duckdb.OutOfMemoryException:
            raise  # the log reports it, with its budget
        except duckdb.Error as exc:
            if i == len(scans) - 1:
                raise UnreadableFileError(
                    f"not a readable CSV file: {' '.join(str(exc).split())[:300]}", file=str(path)
                ) from None
    if not any_record:
        raise InsufficientDataError(no_events_message(path))
    return RawSource("csv", cols, encoding=encoding, delimiter=delimiter, scans=scans)


def use_csv_scan(con: duckdb.DuckDBPyConnection, scan: str) -> None:
    """Point ``raw`` at a CSV table expression, its records numbered as spreadsheet rows."""
    con.execute(
        f"CREATE OR REPLACE VIEW raw AS SELECT row_number() OVER () + 1 AS __row, * FROM {scan}"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _columns(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    rel = con.sql("SELECT * FROM raw LIMIT 0")
    return tuple(c for c in rel.columns if c != "__row")


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _load_xlsx(con: duckdb.DuckDBPyConnection, path: Path) -> RawSource:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        names = workbook.sheet_names
        if not names:
            raise UnreadableFileError("the workbook has no sheet", file=str(path))
        rows = workbook.get_sheet_by_name(names[0]).to_python(skip_empty_area=False)
    except UnreadableFileError:
        raise
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        Exception,
    ) as exc:  # calamine raises its own types
        raise UnreadableFileError(
            f"not a readable Excel workbook: {_first_line(exc)}",
            file=str(path),
        ) from None
    # Skip leading blank rows; the first non-blank row is the header.
    start = 0
    while start < len(rows) and all(c in (None, "") for c in rows[start]):
        start += 1
    if start == len(rows):
        raise UnreadableFileError("the first sheet is empty", file=str(path))
    header = [
        str(c).strip() if c not in (None, "") else f"column{i}" for i, c in enumerate(rows[start])
    ]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            seen[name] += 1
            header[i] = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
    data = rows[start + 1 :]
    columns: dict[str, list[str | None]] = {h: [] for h in header}
    row_numbers: list[int] = []
    for offset, values in enumerate(data):
        if all(c in (None, "") for c in values):
            continue
        row_numbers.append(start + offset + 2)
        for i, h in enumerate(header):
            columns[h].append(_cell_text(values[i]) if i < len(values) else None)
    table = pa.table(
        {
            "__row": pa.array(row_numbers, pa.int64()),
            **{h: pa.array(v, pa.string()) for h, v in columns.items()},
        }
    )
    con.register("raw_arrow", table)
    con.execute("CREATE OR REPLACE VIEW raw AS SELECT * FROM raw_arrow")
    return RawSource("xlsx", tuple(header))


def _load_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> RawSource:
    try:
        con.execute(
            "CREATE OR REPLACE VIEW raw AS SELECT (file_row_number + 1)::BIGINT AS __row, "
            f"* EXCLUDE (file_row_number) FROM read_parquet({quote_str(str(path))}, "
            "file_row_number = true)"
        )
        cols = _columns(con)
    except duckdb.Error as exc:
        raise UnreadableFileError(
            f"not a readable Parquet file: {str(exc).splitlines()[0]}", file=str(path)
        ) from None
    return RawSource("parquet", cols)


#: XES is streamed to Parquet in chunks of this many events, so memory stays bounded.
XES_CHUNK_ROWS = 500_000


def _load_xes(con: duckdb.DuckDBPyConnection, path: Path, work_dir: Path) -> RawSource:
    import pyarrow.parquet as pq

    from opslens.core.eventlog.xes import read_xes_chunks

    files: list[Path] = []

    def write(table: pa.Table) -> None:
        names = ["__row" if c == "row" else c for c in table.column_names]
        target = work_dir / f"xes-{len(files):05d}.parquet"
        pq.write_table(table.rename_columns(names), target)
        files.append(target)

    read_xes_chunks(path, write, XES_CHUNK_ROWS)
    listed = ", ".join(quote_str(str(f)) for f in files)
    # Chunks may disagree on a key's type (int in one, text in another): union_by_name widens.
    con.execute(
        "CREATE OR REPLACE VIEW raw AS SELECT * FROM "
        f"read_parquet([{listed}], union_by_name = true)"
    )
    return RawSource("xes", _columns(con))


def load_raw(
    con: duckdb.DuckDBPyConnection, path: Path, work_dir: Path, fmt: Format | None = None
) -> RawSource:
    """Create the ``raw`` relation for ``path`` on ``con``; raise our errors for any failure."""
    if not path.exists():
        raise UnreadableFileError("no such file", file=str(path))
    if path.is_dir():
        raise UnreadableFileError("this is a folder, not a file", file=str(path))
    if not os.access(path, os.R_OK):
        raise UnreadableFileError("the file cannot be read (permission denied)", file=str(path))
    if path.stat().st_size == 0:
        raise UnreadableFileError("the file is empty", file=str(path))
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        raw = _load_csv(con, path, work_dir)
    elif fmt == "xlsx":
        raw = _load_xlsx(con, path)
    elif fmt == "parquet":
        raw = _load_parquet(con, path)
    else:
        raw = _load_xes(con, path, work_dir)
    if fmt == "csv":
        return raw  # counted by the one pass that parses it
    count = con.execute("SELECT count(*) FROM raw").fetchall()[0]
    if not count or count[0] == 0:
        raise InsufficientDataError(no_events_message(path))
    return raw


def no_events_message(path: Path | str) -> str:
    return f"{path}: the file holds no events (only a header or nothing)"
