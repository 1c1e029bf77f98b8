"""The canonical event log: validated, mapped, lifecycle-paired, backed by DuckDB and Ibis.

:func:`read_event_log` reads a file; :func:`event_log_from_arrow` takes an in-memory table. Both
return an :class:`EventLog` whose ``events`` relation (and Ibis :attr:`EventLog.table`) has the
canonical columns of DESIGN.md — ``case_id``, ``activity``, ``start``, ``end`` (UTC instants),
``resource``, ``row`` — plus every other source column as an attribute. Rows without a case id,
an activity or a readable time are rejected, counted and listed, never silently dropped.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa

from opslens.core.errors import ConfigError, InsufficientDataError, UnreadableFileError
from opslens.core.eventlog.mapping import ColumnMapping, suggest_mapping
from opslens.core.eventlog.readers import (
    Format,
    RawSource,
    load_raw,
    no_events_message,
    use_csv_scan,
)
from opslens.core.sql import quote_ident as _q
from opslens.core.sql import quote_str as _s

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "MAX_LISTED_REJECTIONS",
    "EventLog",
    "RejectedRow",
    "default_timezone",
    "event_log_from_arrow",
    "read_event_log",
]

#: How many rejected rows are listed one by one; all of them are counted.
MAX_LISTED_REJECTIONS = 1000

# Text formats tried after DuckDB's own ISO 8601 cast (which handles offsets and `Z`).
_TEXT_FORMATS = (
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日 %H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d%H%M%S",
)

# A time of day followed by an offset or Z (a bare date like 2024-06-02 has no offset).
_OFFSET_AT_END = r":[0-9]{2}(\.[0-9]+)? ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"

# Formats with an offset that DuckDB's ISO 8601 cast does not take (a space before the offset).
_OFFSET_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S.%f %z",
    "%Y-%m-%d %H:%M %z",
    "%Y/%m/%d %H:%M:%S %z",
    "%Y/%m/%d %H:%M:%S%z",
    "%Y/%m/%d %H:%M %z",
)


def default_timezone() -> str:
    """The machine's IANA time zone name (``UTC`` when it cannot be told)."""
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name()
    except Exception:  # tzlocal raises several types on odd systems; UTC is the safe answer
        return "UTC"
    return name or "UTC"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """One source row left out of the analysis, and why."""

    file: str
    row: int
    column: str
    value: str | None
    reason: str

    def describe(self) -> str:
        shown = "(empty)" if self.value is None or self.value == "" else repr(self.value)
        return f"{self.file}, row {self.row}, column {self.column!r}, value {shown}: {self.reason}"


@functools.lru_cache(maxsize=64)
def _fixed_offset_since(timezone: str) -> tuple[datetime, int] | None:
    """``(local time, offset in seconds)``: from that local time on, ``timezone`` keeps one UTC
    offset for good (Asia/Shanghai since 1991), so naive times after it become instants by
    arithmetic instead of a time-zone conversion per value. ``None`` for zones that still
    change (daylight saving time) or cannot be read."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    day = timedelta(days=1)
    moment = datetime(2100, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    floor = datetime(1900, 1, 1, tzinfo=UTC)
    while moment > floor:
        earlier = moment - day
        if earlier.astimezone(zone).utcoffset() != offset:
            break
        moment = earlier
    if offset is None or moment.year >= 2099:
        return None
    # a day after the last change, so no local time from then on is ambiguous or skipped
    since = (moment + day).astimezone(zone).replace(tzinfo=None)
    return since, int(offset.total_seconds())


def _local_sql(naive: str, timezone: str) -> str:
    """SQL turning a naive TIMESTAMP expression (local time in ``timezone``) into TIMESTAMPTZ."""
    tz = _s(timezone)
    fixed = _fixed_offset_since(timezone)
    if fixed is None:
        return f"timezone({tz}, {naive})"
    since, offset = fixed
    epoch = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"
    shift = f"{epoch} + to_microseconds(epoch_us({naive}) - {offset}000000)"
    return (
        f"CASE WHEN {naive} >= TIMESTAMP '{since.isoformat(sep=' ')}' THEN {shift} "
        f"ELSE timezone({tz}, {naive}) END"
    )


def _timestamp_sql(column: str, dtype: str, timezone: str) -> str:
    """SQL turning a source column of ``dtype`` into TIMESTAMPTZ (NULL where unreadable).

    Values with an offset (or ``Z``) keep their instant; naive values are read in ``timezone``
    explicitly, so the result never depends on the connection's session time zone. A text value
    that cannot hold an offset (no ``Z`` and no sign after its tenth character) and that
    DuckDB's own cast reads — the common case — skips the slower tests.
    """
    c = _q(column)
    tz = _s(timezone)
    dt = dtype.upper()
    if dt.startswith("TIMESTAMP WITH TIME ZONE") or dt == "TIMESTAMPTZ":
        return c
    if dt.startswith("TIMESTAMP") or dt == "DATE":
        return f"timezone({tz}, CAST({c} AS TIMESTAMP))"
    excel = (
        "timezone({tz}, TIMESTAMP '1899-12-30' + "
        "to_microseconds(CAST(round({v} * 86400000000) AS BIGINT)))"
    )
    numeric = (
        "DOUBLE",
        "FLOAT",
        "DECIMAL",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "SMALLINT",
        "TINYINT",
        "UBIGINT",
        "UINTEGER",
        "REAL",
    )
    if any(dt.startswith(t) for t in numeric):
        v = f"CAST({c} AS DOUBLE)"
        return f"CASE WHEN {v} BETWEEN 1 AND 2958465 THEN {excel.format(tz=tz, v=v)} END"
    t = f"trim(CAST({c} AS VARCHAR))"
    fmts = "[" + ", ".join(_s(f) for f in _TEXT_FORMATS) + "]"
    zfmts = "[" + ", ".join(_s(f) for f in _OFFSET_FORMATS) + "]"
    num = f"TRY_CAST({t} AS DOUBLE)"
    raw = f"CAST({c} AS VARCHAR)"
    may_have_offset = (
        f"(contains({raw}, 'Z') OR contains({raw}, 'z') "
        f"OR contains(substr({raw}, 11), '+') OR contains(substr({raw}, 11), '-'))"
    )
    quick = f"TRY_CAST({raw} AS TIMESTAMP)"
    return (
        f"CASE WHEN {c} IS NULL THEN NULL "
        f"WHEN NOT {may_have_offset} AND {quick} IS NOT NULL "
        f"THEN {_local_sql(quick, timezone)} "
        f"WHEN {t} = '' THEN NULL "
        f"WHEN regexp_matches({t}, {_s(_OFFSET_AT_END)}) "
        f"THEN coalesce(TRY_CAST({t} AS TIMESTAMPTZ), try_strptime({t}, {zfmts})) "
        f"ELSE timezone({tz}, coalesce("
        f"TRY_CAST({t} AS TIMESTAMP), "
        f"try_strptime({t}, {fmts}), "
        f"CASE WHEN regexp_full_match({t}, '[0-9]+(\\.[0-9]+)?') AND {num} BETWEEN 1 AND 2958465 "
        f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round({num} * 86400000000) AS BIGINT))"
        f" END)) END"
    )


def _text_sql(column: str, dtype: str = "VARCHAR") -> str:
    """The column as text, NULL where empty or blank.

    Only values that start with a space or a control character are trimmed to test for blank,
    so the common case costs one byte comparison (this expression runs on every analysis).
    """
    v = _q(column) if dtype.upper() == "VARCHAR" else f"CAST({_q(column)} AS VARCHAR)"
    return (
        f"CASE WHEN {v} = '' OR (ascii({v}) <= 32 AND trim({v}, ' \t\r\n') = '') "
        f"THEN NULL ELSE {v} END"
    )


class EventLog:
    """A validated event log in canonical form.

    The ``events`` view on :attr:`con` holds one row per activity instance with the canonical
    columns; :attr:`table` is the same as an Ibis table. Call :meth:`close` (or use ``with``) to
    free the connection and the work directory early; otherwise that happens on collection.
    """

    def __init__(
        self,
        *,
        con: duckdb.DuckDBPyConnection,
        source: str,
        raw: RawSource,
        mapping: ColumnMapping,
        timezone: str,
        lifecycle: Literal["atomic", "interval"],
        events: int,
        activity_instances: int,
        rejected_rows: int,
        rejections: tuple[RejectedRow, ...],
        open_instances: int,
        attributes: tuple[str, ...],
        activity_names: tuple[str, ...],
        work_dir: Path | None,
        relation: str = "events",
    ) -> None:
        self.con = con
        self.source = source
        self.raw = raw
        self.mapping = mapping
        self.timezone = timezone
        self.lifecycle = lifecycle
        self.events = events
        self.activity_instances = activity_instances
        self.rejected_rows = rejected_rows
        self.rejections = rejections
        self.open_instances = open_instances
        self.attributes = attributes
        self.activity_names = activity_names
        self._work_dir = work_dir
        self.relation = relation
        self._ibis: Any = None
        self._owner: EventLog | None = None
        if work_dir is not None:
            self._finalizer = weakref.finalize(self, shutil.rmtree, work_dir, True)

    @property
    def table(self) -> ir.Table:
        """The canonical events as an Ibis table on this log's DuckDB connection."""
        import ibis

        if self._ibis is None:
            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis.table(self.relation)

    def canonical_column(self, name: str) -> str:
        """The events' column for a source column name (``处理人`` → ``resource``)."""
        for role, source in self.mapping.as_dict().items():
            if source == name and role in ("case", "activity", "start", "end", "resource"):
                return "case_id" if role == "case" else role
        return name

    def to_arrow(self) -> pa.Table:
        """The canonical events, in (case, start, end, row) order."""
        return self.con.sql(
            'SELECT * FROM events ORDER BY case_id, start, "end", row'
        ).to_arrow_table()

    def in_memory(self) -> EventLog:
        """This log with its events copied once into a table of its connection (which spills
        to the work directory past the memory budget), for many analyses of one file: each
        then reads typed columns instead of decoding the file again. Shares the connection;
        closing either closes both."""
        name = f"__events_in_memory_{id(self):x}"
        self.con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {self.relation}")
        twin = EventLog(
            con=self.con,
            source=self.source,
            raw=self.raw,
            mapping=self.mapping,
            timezone=self.timezone,
            lifecycle=self.lifecycle,
            events=self.events,
            activity_instances=self.activity_instances,
            rejected_rows=self.rejected_rows,
            rejections=self.rejections,
            open_instances=self.open_instances,
            attributes=self.attributes,
            activity_names=self.activity_names,
            work_dir=None,
            relation=name,
        )
        twin._owner = self  # the work directory lives as long as either
        return twin

    def close(self) -> None:
        self.con.close()
        if self._work_dir is not None:
            self._finalizer()
        if self._owner is not None:
            self._owner.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"EventLog({self.source!r}, events={self.events}, instances={self.activity_instances},"
            f" lifecycle={self.lifecycle!r}, rejected_rows={self.rejected_rows})"
        )


def _memory_budget() -> str:
    """A quarter of this machine's memory, at least 1 GiB (``OPSLENS_MEMORY_LIMIT`` overrides)."""
    given = os.environ.get("OPSLENS_MEMORY_LIMIT", "").strip()
    if given:
        return given
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(1024, total // 4 // 2**20)}MB"


def _connect(timezone: str, work_dir: Path | None) -> duckdb.DuckDBPyConnection:
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "true",
    }
    if work_dir is not None:
        # Tables made from text sources are buffer-managed: past this budget DuckDB spills
        # their blocks to the work directory, so a file larger than memory never has to fit.
        config["memory_limit"] = _memory_budget()
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = false")
    try:
        con.execute(f"SET TimeZone = {_s(timezone)}")
    except duckdb.Error:
        con.close()
        raise ConfigError(
            f"unknown time zone {timezone!r} (use an IANA name like Asia/Shanghai)"
        ) from None
    if work_dir is not None:
        con.execute(f"SET temp_directory = {_s(str(work_dir / 'spill'))}")
    return con


def read_event_log(
    path: str | Path,
    mapping: ColumnMapping | None = None,
    *,
    timezone: str | None = None,
    format: Format | None = None,
) -> EventLog:
    """Read an event log from CSV, XLSX, Parquet or XES(.gz) into canonical form.

    ``mapping`` overrides the automatic suggestion role by role. Naive timestamps are read in
    ``timezone`` (default: the machine's). Raises :class:`~opslens.core.errors.InputError`
    subclasses for unusable input and :class:`~opslens.core.errors.InsufficientDataError` when no
    valid event is left.
    """
    path = Path(path)
    tz = timezone or default_timezone()
    work_dir = Path(tempfile.mkdtemp(prefix="opslens-"))
    con: duckdb.DuckDBPyConnection | None = None
    try:
        con = _connect(tz, work_dir)
        raw = load_raw(con, path, work_dir, format)
        log = _canonicalise(con, raw, str(path), mapping, tz, work_dir)
    except duckdb.OutOfMemoryException:
        if con is not None:
            con.close()
        shutil.rmtree(work_dir, ignore_errors=True)
        raise ConfigError(
            f"{path}: not enough memory to read this file within the budget of "
            f"{_memory_budget()} (set OPSLENS_MEMORY_LIMIT higher)"
        ) from None
    except BaseException:
        if con is not None:
            con.close()
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    return log


def event_log_from_arrow(
    table: pa.Table,
    mapping: ColumnMapping | None = None,
    *,
    timezone: str = "UTC",
    source: str = "<memory>",
) -> EventLog:
    """Build an :class:`EventLog` from an in-memory Arrow table (the file readers' twin)."""
    con = _connect(timezone, None)
    try:
        if "__row" not in table.column_names:
            table = table.append_column("__row", pa.array(range(1, table.num_rows + 1), pa.int64()))
        con.register("raw_arrow", table)
        con.execute("CREATE OR REPLACE VIEW raw AS SELECT * FROM raw_arrow")
        cols = tuple(c for c in table.column_names if c != "__row")
        if table.num_rows == 0:
            raise InsufficientDataError(f"{source}: the table holds no events")
        return _canonicalise(con, RawSource("parquet", cols), source, mapping, timezone, None)
    except BaseException:
        con.close()
        raise


def _canonicalise(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    source: str,
    mapping: ColumnMapping | None,
    timezone: str,
    work_dir: Path | None,
) -> EventLog:
    suggested = suggest_mapping(raw.columns)
    chosen = suggested.merged(mapping) if mapping is not None else suggested
    chosen.validate(list(raw.columns), file=source)
    assert chosen.case and chosen.activity and chosen.end  # validate() guarantees these
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE raw)").fetchall())

    end_sql = _timestamp_sql(chosen.end, types[chosen.end], timezone)
    start_sql = (
        _timestamp_sql(chosen.start, types[chosen.start], timezone) if chosen.start else "NULL"
    )
    resource_sql = (
        _text_sql(chosen.resource, types[chosen.resource])
        if chosen.resource
        else "CAST(NULL AS VARCHAR)"
    )
    lifecycle_sql = (
        f"lower(trim(CAST({_q(chosen.lifecycle)} AS VARCHAR)))" if chosen.lifecycle else "NULL"
    )
    instance_sql = (
        _text_sql(chosen.instance, types[chosen.instance])
        if chosen.instance
        else "CAST(NULL AS VARCHAR)"
    )
    attributes = tuple(c for c in raw.columns if c not in set(chosen.used_columns()))
    attr_sql = "".join(f", {_q(a)}" for a in attributes)
    start_given = (
        f"{_q(chosen.start)} IS NOT NULL AND trim(CAST({_q(chosen.start)} AS VARCHAR)) <> ''"
        if chosen.start
        else "false"
    )

    # One row per source row, with parsed values and the first reason to reject it (if any).
    select = f"""
        SELECT *,
          CASE
            WHEN case_id IS NULL THEN 'case'
            WHEN activity IS NULL THEN 'activity'
            WHEN "end" IS NULL THEN 'end'
            WHEN start IS NULL AND start_given THEN 'start'
            WHEN start IS NOT NULL AND start > "end" THEN 'start_after_end'
          END AS __problem
        FROM (
          SELECT __ROW_PLACEHOLDER__
                 {_text_sql(chosen.case, types[chosen.case])} AS case_id,
                 {_text_sql(chosen.activity, types[chosen.activity])} AS activity,
                 {start_sql} AS start,
                 {end_sql} AS "end",
                 {resource_sql} AS resource,
                 {lifecycle_sql} AS __lifecycle,
                 {instance_sql} AS __instance,
                 {start_given} AS start_given
                 {attr_sql}
          FROM __SOURCE_PLACEHOLDER__
        )
        """
    if raw.scans:
        _parse_csv(con, raw, select, source)
    else:
        con.execute("CREATE OR REPLACE VIEW parsed AS " + _fill(select, "__row AS row,", "raw"))
    stats = con.execute(
        """
        SELECT count(*) FILTER (WHERE __problem IS NULL),
               count(*) FILTER (WHERE __problem IS NOT NULL),
               count(*) FILTER (WHERE __problem IS NULL AND __lifecycle = 'start'),
               count(*) FILTER (WHERE __problem IS NULL AND __lifecycle = 'complete'),
               list(DISTINCT activity) FILTER (WHERE __problem IS NULL)
        FROM parsed
        """
    ).fetchall()[0]
    assert stats is not None
    valid, rejected, n_start, n_complete = (int(x) for x in stats[:4])
    if valid + rejected == 0:
        raise InsufficientDataError(no_events_message(source))
    activity_names = tuple(sorted(stats[4] or ()))
    rejections = _list_rejections(con, chosen, source) if rejected else ()
    if valid == 0:
        first = rejections[0].describe() if rejections else ""
        raise InsufficientDataError(
            f"{source}: none of the {rejected} rows is a valid event (case id, activity and a "
            f"readable time are needed); first problem: {first}"
        )

    open_instances = 0
    paired = bool(chosen.lifecycle and n_start and n_complete)
    if paired:
        lifecycle: Literal["atomic", "interval"] = "interval"
        open_instances = _pair_lifecycle(con)
    else:
        has_start = chosen.start is not None and con.execute(
            "SELECT count(*) FROM parsed WHERE __problem IS NULL AND start IS NOT NULL "
            'AND start <> "end"'
        ).fetchall()[0] != (0,)
        lifecycle = "interval" if has_start else "atomic"
        con.execute(
            f"""
            CREATE OR REPLACE VIEW events AS
            SELECT case_id, activity, coalesce(start, "end") AS start, "end", resource,
                   row{attr_sql}
            FROM parsed WHERE __problem IS NULL
            """
        )
    if paired:
        instances = int(con.execute("SELECT count(*) FROM __pairs").fetchall()[0][0])
    else:
        instances = valid  # one instance per valid row
    if instances == 0:
        raise InsufficientDataError(
            f"{source}: no activity instance is complete (every start lacks its complete)"
        )
    return EventLog(
        con=con,
        source=source,
        raw=raw,
        mapping=chosen,
        timezone=timezone,
        lifecycle=lifecycle,
        events=valid,
        activity_instances=instances,
        rejected_rows=rejected,
        rejections=rejections,
        open_instances=open_instances,
        attributes=attributes,
        activity_names=activity_names,
        work_dir=work_dir,
    )


def _fill(select: str, row: str, source: str) -> str:
    return select.replace("__ROW_PLACEHOLDER__", row).replace("__SOURCE_PLACEHOLDER__", source)


def _parse_csv(con: duckdb.DuckDBPyConnection, raw: RawSource, select: str, source: str) -> None:
    """Parse a CSV file in one parallel pass into a table; its ``rowid`` is the record's
    position (a table keeps insertion order), so the spreadsheet row is ``rowid + 2``."""
    for i, scan in enumerate(raw.scans):
        try:
            con.execute("CREATE OR REPLACE TABLE __parsed AS " + _fill(select, "", scan))
            break
        except duckdb.OutOfMemoryException:
            raise  # reported by read_event_log, with the budget
        except duckdb.Error as exc:
            if i == len(raw.scans) - 1:
                raise UnreadableFileError(
                    f"not a readable CSV file: {' '.join(str(exc).split())[:300]}", file=source
                ) from None
            use_csv_scan(con, raw.scans[i + 1])  # rejected rows are looked up the same way
    con.execute(
        "CREATE OR REPLACE VIEW parsed AS SELECT CAST(rowid + 2 AS BIGINT) AS row, * FROM __parsed"
    )


_REASONS = {
    "case": ("case", "no case id"),
    "activity": ("activity", "no activity"),
    "end": ("end", "no readable time"),
    "start": ("start", "the start time is not readable"),
    "start_after_end": ("start", "the start time is after the end time"),
}


def _list_rejections(
    con: duckdb.DuckDBPyConnection, mapping: ColumnMapping, source: str
) -> tuple[RejectedRow, ...]:
    columns = {
        "case": mapping.case,
        "activity": mapping.activity,
        "end": mapping.end,
        "start": mapping.start,
    }
    value_sql = ", ".join(
        f"CAST(r.{_q(c)} AS VARCHAR) AS {_q('v_' + role)}" for role, c in columns.items() if c
    )
    rows = con.execute(
        f"""
        SELECT p.__problem, p.row, {value_sql}
        FROM parsed p JOIN raw r ON r.__row = p.row
        WHERE p.__problem IS NOT NULL ORDER BY p.row LIMIT {MAX_LISTED_REJECTIONS}
        """
    ).fetchall()
    names = ["v_" + role for role, c in columns.items() if c]
    out = []
    for problem, row, *values in rows:
        role, reason = _REASONS[problem]
        by_role = dict(zip(names, values, strict=True))
        column = columns[role] or role
        out.append(RejectedRow(source, int(row), column, by_role.get("v_" + role), reason))
    return tuple(out)


def _pair_lifecycle(con: duckdb.DuckDBPyConnection) -> int:
    """Pair start and complete events into activity instances (DESIGN.md, "Lifecycle").

    Per case, activity and instance id, in (time, row) order, a ``complete`` closes the oldest
    open ``start``; a ``complete`` with none open starts at its own time; other transitions are
    dropped. With ``bal`` the running (starts − completes), the completes that found nothing open
    so far number ``-min(0, min(bal))``, so a complete is matched exactly when that count does
    not grow at it, and the k-th matched complete takes the k-th start. Returns the number of
    starts that never complete (open instances).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE __lc AS
        WITH ev AS (
          SELECT row, case_id, activity, coalesce(__instance, '') AS inst, "end" AS t,
                 __lifecycle = 'start' AS is_start
          FROM parsed WHERE __problem IS NULL AND __lifecycle IN ('start', 'complete')
        ), b AS (
          SELECT *,
            sum(CASE WHEN is_start THEN 1 ELSE -1 END) OVER w AS bal,
            sum(CASE WHEN is_start THEN 1 ELSE 0 END) OVER w AS n_start,
            sum(CASE WHEN is_start THEN 0 ELSE 1 END) OVER w AS n_complete
          FROM ev
          WINDOW w AS (PARTITION BY case_id, activity, inst ORDER BY t, row
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        )
        SELECT *, -least(0, min(bal) OVER w) AS unmatched
        FROM b
        WINDOW w AS (PARTITION BY case_id, activity, inst ORDER BY t, row
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE __pairs AS
        WITH c AS (
          SELECT row, case_id, activity, inst, t, n_complete - unmatched AS k,
                 unmatched > coalesce(lag(unmatched) OVER w, 0) AS alone
          FROM __lc
          WINDOW w AS (PARTITION BY case_id, activity, inst ORDER BY t, row)
          QUALIFY NOT is_start
        ), s AS (
          SELECT case_id, activity, inst, n_start AS k, t FROM __lc WHERE is_start
        )
        SELECT c.row, CASE WHEN c.alone THEN c.t ELSE s.t END AS start, NOT c.alone AS matched
        FROM c LEFT JOIN s
          ON NOT c.alone AND s.case_id = c.case_id AND s.activity = c.activity
             AND s.inst = c.inst AND s.k = c.k
        """
    )
    con.execute(
        """
        CREATE OR REPLACE VIEW events AS
        SELECT p.case_id, p.activity, q.start, p."end", p.resource, p.row,
               p.* EXCLUDE (case_id, activity, start, "end", resource, row, __lifecycle,
                            __instance, start_given, __problem)
        FROM parsed p JOIN __pairs q ON q.row = p.row
        WHERE p.__problem IS NULL
        """
    )
    opened = con.execute(
        "SELECT (SELECT count(*) FROM __lc WHERE is_start)"
        " - (SELECT count(*) FROM __pairs WHERE matched)"
    ).fetchall()[0]
    return max(0, int(opened[0])) if opened else 0
