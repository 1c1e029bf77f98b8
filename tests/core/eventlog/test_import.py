"""Import: formats, encodings, delimiters, column mapping, timestamps, validation, lifecycle."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opslens.core.errors import (
    ConfigError,
    InsufficientDataError,
    MissingColumnError,
    UnreadableFileError,
)
from opslens.core.eventlog import (
    ColumnMapping,
    detect_encoding,
    event_log_from_arrow,
    read_event_log,
    suggest_mapping,
)

CN_HEADER = "工单号,环节,开始时间,结束时间,处理人,部门\n"
CN_ROWS = (
    "T001,客服记录,2024/6/2 9:00,2024/6/2 10:00,张三,客服部\n"
    "T001,技术处理,2024/6/2 11:00,2024/6/3 15:00,李四,技术部\n"
    "T002,客服记录,2024/6/2 9:30,2024/6/2 9:45,张三,客服部\n"
)


def events(log) -> list[dict]:
    return log.to_arrow().to_pylist()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- encodings and delimiters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b"")],
)
def test_chinese_csv_in_every_encoding(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(prefix + (CN_HEADER + CN_ROWS).encode(encoding))
    log = read_event_log(path, timezone="Asia/Shanghai")
    assert log.mapping == ColumnMapping(
        case="工单号", activity="环节", start="开始时间", end="结束时间", resource="处理人"
    )
    rows = events(log)
    assert [r["activity"] for r in rows] == ["客服记录", "技术处理", "客服记录"]
    assert rows[1]["start"] == utc(2024, 6, 2, 3, 0)  # 11:00 in Shanghai is 03:00 UTC
    assert rows[1]["end"] == utc(2024, 6, 3, 7, 0)
    assert rows[0]["resource"] == "张三"
    assert rows[0]["部门"] == "客服部"  # 部门 stays an attribute
    assert log.lifecycle == "interval"


def test_detect_encoding() -> None:
    assert detect_encoding("订单号".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa,b") == "utf-8-sig"
    assert detect_encoding("订单号,环节".encode("gbk")) == "gb18030"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "log.csv"
    text = "case,activity,timestamp\nc1,A,2024-06-02 15:00\nc1,B,2024-06-02 16:00\n"
    path.write_text(text.replace(",", delimiter), encoding="utf-8")
    log = read_event_log(path, timezone="UTC")
    assert [r["activity"] for r in events(log)] == ["A", "B"]


def test_quoted_fields_with_delimiters_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        'case,activity,timestamp\nc1,"Check, then\napprove",2024-06-02 15:00\n', encoding="utf-8"
    )
    assert events(read_event_log(path, timezone="UTC"))[0]["activity"] == "Check, then\napprove"


def test_invalid_gbk_byte_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    body = (CN_HEADER + CN_ROWS).encode("gbk") * 8000
    path.write_bytes(body + b"T9,\x81\x20bad,2024-01-01,2024-01-01,x,y\n")
    with pytest.raises(UnreadableFileError) as err:
        read_event_log(path)
    assert str(path) in str(err.value)
    assert err.value.row is not None and err.value.row > 8000 * 4


# --- timestamps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-02T15:00:00+08:00", utc(2024, 6, 2, 7, 0)),
        ("2024-06-02T07:00:00Z", utc(2024, 6, 2, 7, 0)),
        ("2024-06-02T15:00:00.250+08:00", utc(2024, 6, 2, 7, 0, 0, 250000)),
        ("2024-06-02 15:00", utc(2024, 6, 2, 7, 0)),
        ("2024-06-02 15:00:30", utc(2024, 6, 2, 7, 0, 30)),
        ("2024/6/2 15:00", utc(2024, 6, 2, 7, 0)),
        ("2024年6月2日 15:00", utc(2024, 6, 2, 7, 0)),
        ("2024年6月2日", utc(2024, 6, 1, 16, 0)),
        ("2024-06-02", utc(2024, 6, 1, 16, 0)),  # a date alone is local midnight, not UTC
        ("2024-06-02 15:00:00 +0800", utc(2024, 6, 2, 7, 0)),
        ("45445.625", utc(2024, 6, 2, 7, 0)),  # Excel serial number of 2024-06-02 15:00
        ("45445", utc(2024, 6, 1, 16, 0)),
    ],
)
def test_timestamp_formats(tmp_path: Path, text: str, expected: datetime) -> None:
    path = tmp_path / "log.csv"
    path.write_text(f"case,activity,time\nc1,A,{text}\n", encoding="utf-8")
    log = read_event_log(path, timezone="Asia/Shanghai")
    assert log.rejected_rows == 0
    assert events(log)[0]["end"] == expected


def test_naive_times_take_the_configured_zone(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time\nc1,A,2024-01-15 12:00\n", encoding="utf-8")
    assert events(read_event_log(path, timezone="Europe/Berlin"))[0]["end"] == utc(2024, 1, 15, 11)
    assert events(read_event_log(path, timezone="UTC"))[0]["end"] == utc(2024, 1, 15, 12)


def test_zone_does_not_depend_on_the_session(tmp_path: Path) -> None:
    """Ibis sets its connection to UTC; naive times must still be read in the log's zone."""
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time\nc1,A,2024-01-15 12:00\n", encoding="utf-8")
    log = read_event_log(path, timezone="Asia/Shanghai")
    before = events(log)[0]["end"]
    _ = log.table  # connects Ibis to the same DuckDB connection
    log.con.execute("SET TimeZone = 'America/New_York'")
    assert events(log)[0]["end"] == before == utc(2024, 1, 15, 4)


def test_unknown_time_zone_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time\nc1,A,2024-01-15 12:00\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        read_event_log(path, timezone="Mars/Olympus")


# --- validation -----------------------------------------------------------------------------


def test_bad_rows_are_rejected_counted_and_listed(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "case,activity,time\n"
        "c1,A,2024-06-02 15:00\n"  # row 2: fine
        ",B,2024-06-02 16:00\n"  # row 3: no case
        "c1,,2024-06-02 16:00\n"  # row 4: no activity
        "c1,C,not a date\n"  # row 5: unreadable time
        "c1,D,\n"  # row 6: no time
        "c2,A,2024-06-03 09:00\n",  # row 7: fine
        encoding="utf-8",
    )
    log = read_event_log(path, timezone="UTC")
    assert log.events == 2
    assert log.rejected_rows == 4
    listed = [(r.row, r.column, r.value, r.reason) for r in log.rejections]
    assert listed == [
        (3, "case", None, "no case id"),
        (4, "activity", None, "no activity"),
        (5, "time", "not a date", "no readable time"),
        (6, "time", None, "no readable time"),
    ]
    assert all(r.file == str(path) for r in log.rejections)
    assert "row 5" in log.rejections[2].describe()
    assert [r["case_id"] for r in events(log)] == ["c1", "c2"]


def test_start_after_end_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "case,activity,start,end\nc1,A,2024-06-02 15:00,2024-06-02 14:00\n"
        "c1,B,2024-06-02 15:00,2024-06-02 16:00\n",
        encoding="utf-8",
    )
    log = read_event_log(path, timezone="UTC")
    assert log.rejected_rows == 1
    assert log.rejections[0].reason == "the start time is after the end time"


def test_every_row_invalid_is_insufficient_data(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time\nc1,A,yesterday\nc2,B,soon\n", encoding="utf-8")
    with pytest.raises(InsufficientDataError, match="yesterday"):
        read_event_log(path, timezone="UTC")


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", UnreadableFileError, "empty"),
        (b"   \n\n", UnreadableFileError, "empty"),
        (b"case,activity,time\n", InsufficientDataError, "no events"),
        (b"\xff\xfe\x00\x00garbage\x00\x81\x82", InsufficientDataError, "no events"),
    ],
)
def test_empty_and_garbage_files(tmp_path: Path, content: bytes, error: type, message: str) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    with pytest.raises(error, match=message):
        read_event_log(path, timezone="UTC")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="no such file"):
        read_event_log(tmp_path / "nope.csv")
    with pytest.raises(UnreadableFileError, match="folder"):
        read_event_log(tmp_path)


def test_mapping_names_a_column_that_is_not_there(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time\nc1,A,2024-06-02 15:00\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="'Ticket'") as err:
        read_event_log(path, ColumnMapping(case="Ticket"))
    assert err.value.column == "Ticket"


def test_unrecognisable_headers_ask_for_flags(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("foo,bar,baz\n1,2,3\n", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="--case"):
        read_event_log(path)


def test_explicit_mapping_overrides_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "case,activity,step,time\nc1,A,S1,2024-06-02 15:00\nc1,B,S2,2024-06-02 16:00\n",
        encoding="utf-8",
    )
    log = read_event_log(path, ColumnMapping(activity="step"), timezone="UTC")
    assert [r["activity"] for r in events(log)] == ["S1", "S2"]
    assert "activity" in log.attributes


def test_one_column_for_two_roles_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time\nc1,A,2024-06-02 15:00\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="several roles"):
        read_event_log(path, ColumnMapping(activity="case"))


# --- mapping suggestions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            ["案例号", "活动", "开始时间", "完成时间", "负责人"],
            ColumnMapping("案例号", "活动", "开始时间", "完成时间", "负责人"),
        ),
        (["单号", "步骤", "时间", "操作人"], ColumnMapping("单号", "步骤", None, "时间", "操作人")),
        (["订单号", "节点", "时间"], ColumnMapping("订单号", "节点", None, "时间")),
        (
            [
                "case:concept:name",
                "concept:name",
                "time:timestamp",
                "start_timestamp",
                "org:resource",
                "lifecycle:transition",
                "concept:instance",
            ],
            ColumnMapping(
                "case:concept:name",
                "concept:name",
                "start_timestamp",
                "time:timestamp",
                "org:resource",
                "lifecycle:transition",
                "concept:instance",
            ),
        ),
        (
            ["Case ID", "Activity", "Start Time", "End Time", "Resource"],
            ColumnMapping("Case ID", "Activity", "Start Time", "End Time", "Resource"),
        ),
        (
            ["case:startdate", "case:concept:name", "concept:name", "time:timestamp"],
            ColumnMapping("case:concept:name", "concept:name", None, "time:timestamp"),
        ),
    ],
)
def test_suggest_mapping(columns: list[str], expected: ColumnMapping) -> None:
    assert suggest_mapping(columns) == expected


# --- other formats --------------------------------------------------------------------------


def test_xlsx_with_typed_and_text_cells(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工单号", "环节", "结束时间"])
    ws.append(["T1", "客服记录", datetime(2024, 6, 2, 15, 0)])
    ws.append(["T1", "技术处理", "2024年6月3日 09:30"])
    ws.append([None, None, None])  # a blank row in the middle is skipped
    ws.append(["T2", "客服记录", 45445.625])
    ws.append(["T3", "客服记录", "soon"])
    wb.save(path)
    log = read_event_log(path, timezone="Asia/Shanghai")
    rows = events(log)
    assert [(r["case_id"], r["end"]) for r in rows] == [
        ("T1", utc(2024, 6, 2, 7, 0)),
        ("T1", utc(2024, 6, 3, 1, 30)),
        ("T2", utc(2024, 6, 2, 7, 0)),
    ]
    assert log.rejected_rows == 1
    assert log.rejections[0].row == 6  # the spreadsheet row a user sees


def test_parquet_with_native_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    table = pa.table(
        {
            "case:concept:name": ["c1", "c1", None],
            "concept:name": ["A", "B", "C"],
            "time:timestamp": pa.array(
                [utc(2024, 1, 1, 8), utc(2024, 1, 1, 9), utc(2024, 1, 1, 10)],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    pq.write_table(table, path)
    log = read_event_log(path)
    assert [r["activity"] for r in events(log)] == ["A", "B"]
    assert log.rejected_rows == 1 and log.rejections[0].row == 3


def test_gzipped_csv(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress((CN_HEADER + CN_ROWS).encode("gbk")))
    log = read_event_log(path, timezone="Asia/Shanghai")
    assert [r["activity"] for r in events(log)] == ["客服记录", "技术处理", "客服记录"]


def test_short_rows_are_padded_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time,note\nc1,A,2024-06-02 15:00\nc1,B,2024-06-02 16:00,x\n")
    log = read_event_log(path, timezone="UTC")
    assert [r["activity"] for r in events(log)] == ["A", "B"]


def test_file_type_is_told_by_content_not_suffix(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    pq.write_table(pa.table({"case": ["c"], "activity": ["A"], "time": ["2024-01-01"]}), path)
    assert read_event_log(path, timezone="UTC").events == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("log.xlsx", b"not a zip", "not an Excel workbook"),
        ("log.parquet", b"not parquet", "not Parquet"),
        ("log.gz", b"not gzip", "not gzip"),
        ("log.dat.gz", gzip.compress(b"case,activity,time\n"), "name it .xes.gz or .csv.gz"),
        ("log.csv.gz", gzip.compress(b"case,activity,time\nc1,A,2024-01-01\n")[:30], "decompress"),
        ("log.xls", b"\xd0\xcf\x11\xe0", ".xlsx"),
    ],
)
def test_wrong_file_types(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=message):
        read_event_log(path)


def test_corrupt_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["case", "activity", "time"])
    wb.save(good)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(UnreadableFileError, match=r"bad\.xlsx"):
        read_event_log(bad)


# --- lifecycle ------------------------------------------------------------------------------


def _lifecycle_log(rows: list[tuple[str, str, str, int]]) -> list[dict]:
    table = pa.table(
        {
            "case": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "lc": [r[2] for r in rows],
            "time": pa.array([utc(2024, 1, 1, r[3]) for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )
    log = event_log_from_arrow(table, ColumnMapping(lifecycle="lc"))
    return log, events(log)


def test_lifecycle_pairs_fifo_and_drops_other_transitions() -> None:
    log, rows = _lifecycle_log(
        [
            ("c1", "A", "start", 1),
            ("c1", "A", "schedule", 1),
            ("c1", "A", "START", 2),
            ("c1", "A", "complete", 3),  # closes the 01:00 start (oldest)
            ("c1", "A", "Complete", 5),  # closes the 02:00 start
            ("c1", "B", "complete", 6),  # no start: an instant at 06:00
            ("c1", "C", "start", 7),  # never completes: open, dropped
        ]
    )
    assert log.lifecycle == "interval"
    assert log.open_instances == 1
    assert log.events == 7
    assert [(r["activity"], r["start"].hour, r["end"].hour, r["row"]) for r in rows] == [
        ("A", 1, 3, 4),
        ("A", 2, 5, 5),
        ("B", 6, 6, 6),
    ]


def test_complete_before_any_start_is_its_own_instance() -> None:
    _, rows = _lifecycle_log(
        [("c1", "A", "complete", 1), ("c1", "A", "start", 2), ("c1", "A", "complete", 4)]
    )
    assert [(r["start"].hour, r["end"].hour) for r in rows] == [(1, 1), (2, 4)]


def test_only_complete_events_are_atomic() -> None:
    log, rows = _lifecycle_log([("c1", "A", "complete", 1), ("c1", "B", "complete", 2)])
    assert log.lifecycle == "atomic"
    assert [r["start"] == r["end"] for r in rows] == [True, True]


def test_row_numbers_follow_the_file_on_a_large_csv(tmp_path: Path) -> None:
    """The parallel CSV reader must still number rows in file order (errors cite them)."""
    path = tmp_path / "big.csv"
    n = 300_000
    with path.open("w", encoding="utf-8") as fh:
        fh.write("case,activity,time,line\n")
        for i in range(n):
            fh.write(f"c{i % 997},A{i % 7},2024-01-01 00:00:{i % 60:02d},{i + 2}\n")
    log = read_event_log(path, timezone="UTC")
    mismatched = log.con.execute(
        "SELECT count(*) FROM events WHERE row <> CAST(line AS BIGINT)"
    ).fetchall()[0][0]
    assert log.events == n
    assert mismatched == 0


# --- XES streamed in chunks -------------------------------------------------------------------


@pytest.mark.eventlogs
def test_xes_in_small_chunks_gives_the_same_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """XES goes to Parquet in chunks (bounded memory); the chunking must not change anything."""
    import opslens.core.eventlog.readers as readers
    from opslens.core.mining import analyze
    from tests.conftest import eventlog

    path = eventlog("repairExample.xes.gz")
    whole = analyze(read_event_log(path)).to_dict()
    monkeypatch.setattr(readers, "XES_CHUNK_ROWS", 500)
    chunked_log = read_event_log(path)
    files = sorted(p.name for p in chunked_log._work_dir.glob("xes-*.parquet"))  # type: ignore[union-attr]
    assert len(files) > 20
    assert analyze(chunked_log).to_dict() == whole


def test_xes_key_with_different_types_in_different_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import opslens.core.eventlog.readers as readers

    monkeypatch.setattr(readers, "XES_CHUNK_ROWS", 1)
    path = tmp_path / "mixed.xes"
    path.write_text(
        '<log xes.version="1.0">'
        '<trace><string key="concept:name" value="c1"/>'
        '<event><string key="concept:name" value="A"/><int key="cost" value="5"/>'
        '<date key="time:timestamp" value="2024-06-02T15:00:00+08:00"/></event></trace>'
        '<trace><string key="concept:name" value="c2"/>'
        '<event><string key="concept:name" value="B"/><string key="cost" value="high"/>'
        '<date key="time:timestamp" value="2024-06-03T15:00:00+08:00"/></event></trace>'
        "</log>",
        encoding="utf-8",
    )
    rows = events(read_event_log(path))
    assert [(r["case_id"], r["cost"], r["row"]) for r in rows] == [
        ("c1", "5", 1),
        ("c2", "high", 2),
    ]
    assert rows[0]["end"] == utc(2024, 6, 2, 7, 0)


@pytest.mark.parametrize(
    "zone", ["Asia/Shanghai", "Asia/Kathmandu", "America/New_York", "Africa/Casablanca", "UTC"]
)
def test_naive_times_are_the_zones_instants_before_and_after_its_last_change(
    tmp_path: Path, zone: str
) -> None:
    """Naive times after a zone's last offset change are converted by arithmetic, earlier ones
    (Shanghai's summer time until 1991, New York's every year) by the zone's rules: both give the
    instant Python's zoneinfo gives, also for ISO text with an offset and for ``Z``."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    naive = [
        datetime(1988, 7, 1, 12, 0),  # Shanghai in summer time (+9)
        datetime(1991, 9, 16, 0, 30),
        datetime(1991, 9, 17, 12, 0),
        datetime(1992, 1, 1, 0, 0),
        datetime(2024, 3, 10, 12, 0),  # New York: the day summer time starts
        datetime(2024, 6, 2, 9, 0, 5, 123456),
        datetime(2024, 11, 3, 12, 0),
    ]
    lines = [f"c{i},A,{d.isoformat(sep=' ')}" for i, d in enumerate(naive)]
    lines += ["z1,A,2024-06-02T09:00:00Z", "z2,A,2024-06-02 09:00:00+05:45"]
    path = tmp_path / "log.csv"
    path.write_text("case,activity,time\n" + "\n".join(lines) + "\n", encoding="utf-8")
    with read_event_log(path, timezone=zone) as log:
        got = {r["case_id"]: r["end"] for r in events(log)}
    for i, d in enumerate(naive):
        assert got[f"c{i}"] == d.replace(tzinfo=tz).astimezone(UTC), (zone, d)
    assert got["z1"] == utc(2024, 6, 2, 9)
    assert got["z2"] == utc(2024, 6, 2, 9) - timedelta(hours=5, minutes=45)
