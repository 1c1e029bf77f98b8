"""Tests of the XES reader: shared real logs (against PM4Py), hostile and broken input, typing."""

from __future__ import annotations

import functools
import gzip
import warnings
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslens.core.errors import InsufficientDataError, OpslensError, UnreadableFileError
from opslens.core.eventlog.xes import read_xes_table
from tests.conftest import eventlog

TIMESTAMP = pa.timestamp("us", tz="UTC")


@functools.cache
def shared_table(name: str) -> pa.Table:
    """A shared log read once per test session (tables are immutable)."""
    return read_xes_table(eventlog(name))


def xes(body: str, *, head: str = "") -> bytes:
    """A small XES document around ``body`` (traces, globals ...)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{head}'
        f'<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n{body}\n</log>\n'
    ).encode()


def event(**attributes: str) -> str:
    return (
        "<event>"
        + "".join(f'<string key="{key}" value="{value}"/>' for key, value in attributes.items())
        + "</event>"
    )


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def generated_log(traces: int, events_per_trace: int) -> bytes:
    body = []
    for case in range(traces):
        events = "".join(
            f'<event><string key="concept:name" value="activity {step}"/>'
            f'<date key="time:timestamp" value="2024-01-01T{step % 24:02d}:00:00.000+08:00"/>'
            f"</event>"
            for step in range(events_per_trace)
        )
        body.append(f'<trace><string key="concept:name" value="case {case}"/>{events}</trace>')
    return xes("\n".join(body))


def assert_unreadable(path: Path, *fragments: str) -> UnreadableFileError:
    with pytest.raises(UnreadableFileError) as caught:
        read_xes_table(path)
    message = str(caught.value)
    assert str(path) in message
    assert caught.value.file == str(path)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return caught.value


# ------------------------------------------------------------------------------------------------
# the shared real logs

SHARED = [
    ("running-example.xes", 42, 6),
    ("receipt.xes.gz", 8_577, 1_434),
    ("repairExample.xes.gz", 11_855, 1_104),
    ("helpdesk.xes.gz", 21_348, 4_580),
    ("bpic2012.xes.gz", 262_200, 13_087),
]


@pytest.mark.eventlogs
@pytest.mark.parametrize(("name", "events", "cases"), SHARED)
def test_shared_log_counts_and_types(name: str, events: int, cases: int) -> None:
    table = shared_table(name)
    assert table.num_rows == events
    assert len(table.column("case:concept:name").unique()) == cases
    assert table.column("row").to_pylist() == list(range(1, events + 1))
    assert table.schema.field("time:timestamp").type == TIMESTAMP
    assert table.column("time:timestamp").null_count == 0
    assert table.schema.field("concept:name").type == pa.string()
    assert table.column("concept:name").null_count == 0


@pytest.mark.eventlogs
def test_bpic2012_values_and_case_attributes() -> None:
    table = shared_table("bpic2012.xes.gz")
    first = table.slice(0, 1).to_pylist()[0]
    # <date key="time:timestamp" value="2011-10-01T00:38:44.546+02:00"/>
    assert first["time:timestamp"] == datetime(2011, 9, 30, 22, 38, 44, 546000, tzinfo=UTC)
    assert first["case:REG_DATE"] == datetime(2011, 9, 30, 22, 38, 44, 546000, tzinfo=UTC)
    assert first["case:concept:name"] == "173688"
    assert first["case:AMOUNT_REQ"] == "20000"
    assert first["concept:name"] == "A_SUBMITTED"
    assert first["lifecycle:transition"] == "COMPLETE"
    assert first["org:resource"] == "112"
    assert set(table.column("lifecycle:transition").unique().to_pylist()) == {
        "SCHEDULE",
        "START",
        "COMPLETE",
    }


@pytest.mark.eventlogs
def test_receipt_reads_concept_instance_and_both_dst_offsets() -> None:
    table = read_xes_table(eventlog("receipt.xes.gz"))
    assert "concept:instance" in table.column_names
    assert table.schema.field("case:startdate").type == TIMESTAMP


def pm4py_frame(path: Path) -> object:
    import pm4py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # variant given explicitly: pm4py's default picks r4pm.df, which fails without polars
        return pm4py.read_xes(str(path), variant="iterparse", show_progress_bar=False)


def instants_per_case(cases: list[str], moments: list[datetime]) -> dict[str, list[datetime]]:
    grouped: dict[str, list[datetime]] = defaultdict(list)
    for case, moment in zip(cases, moments, strict=True):
        grouped[case].append(moment)
    return {case: sorted(values) for case, values in grouped.items()}


@pytest.mark.eventlogs
@pytest.mark.parametrize("name", ["running-example.xes", "receipt.xes.gz", "repairExample.xes.gz"])
def test_timestamps_equal_pm4py(name: str) -> None:
    path = eventlog(name)
    frame = pm4py_frame(path)
    ours = read_xes_table(path)
    assert ours.num_rows == len(frame)  # type: ignore[arg-type]
    theirs_utc = [
        stamp.to_pydatetime().astimezone(UTC)
        for stamp in frame["time:timestamp"]  # type: ignore[index]
    ]
    ours_utc = ours.column("time:timestamp").to_pylist()
    # pm4py may sort events within a case: compare the UTC instants as multisets per case
    assert instants_per_case(ours.column("case:concept:name").to_pylist(), ours_utc) == (
        instants_per_case(list(frame["case:concept:name"]), theirs_utc)  # type: ignore[index]
    )
    # and the activities too
    assert sorted(ours.column("concept:name").to_pylist()) == sorted(
        frame["concept:name"]  # type: ignore[index]
    )


def comparable(value: object) -> object:
    """One cell as a plain value: UTC datetimes, None for pandas' missing markers."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if type(value).__name__ == "NaTType":
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


@pytest.mark.eventlogs
@pytest.mark.parametrize("name", ["running-example.xes", "receipt.xes.gz"])
def test_every_column_equals_pm4py(name: str) -> None:
    path = eventlog(name)
    frame = pm4py_frame(path)
    ours = read_xes_table(path)
    columns = list(frame.columns)  # type: ignore[attr-defined]
    assert sorted(columns) == sorted(c for c in ours.column_names if c != "row")
    theirs_rows = Counter(
        tuple(comparable(cell) for cell in row)
        for row in frame[columns].itertuples(index=False)  # type: ignore[index]
    )
    ours_rows = Counter(zip(*(ours.column(c).to_pylist() for c in columns), strict=True))
    assert ours_rows == theirs_rows


# ------------------------------------------------------------------------------------------------
# hostile input: entities, DTDs


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE log [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<log><trace><string key="concept:name" value="&lol9;"/>
<event><string key="concept:name" value="&lol9;"/></event></trace></log>
"""


def test_billion_laughs_is_rejected_without_expansion(tmp_path: Path) -> None:
    path = write(tmp_path, "laughs.xes", BILLION_LAUGHS.encode())
    assert_unreadable(path, "DOCTYPE declares XML entities", "lol")


def test_billion_laughs_inside_gzip_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "laughs.xes.gz", gzip.compress(BILLION_LAUGHS.encode()))
    assert_unreadable(path, "entities")


def test_external_entity_is_neither_read_nor_expanded(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", b"TOP-SECRET-CONTENT")
    for target in ("file:///etc/passwd", secret.as_uri()):
        path = write(
            tmp_path,
            "xxe.xes",
            f'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY x SYSTEM "{target}">]>\n'
            '<log><trace><event><string key="concept:name" value="a"/>'
            "<string key='leak' value='&x;'/></event></trace></log>".encode(),
        )
        error = assert_unreadable(path, "entities (x)")
        assert "TOP-SECRET" not in str(error)
        assert "root:" not in str(error)


def test_external_entity_in_element_content_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "xxe2.xes",
        b'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<log><trace><event><string key="concept:name" value="a">&x;</string></event>'
        b"</trace></log>",
    )
    assert_unreadable(path, "entities")


def test_parameter_entity_is_rejected(tmp_path: Path) -> None:
    dtd = write(tmp_path, "evil.dtd", b'<!ENTITY e "SECRET">')
    path = write(
        tmp_path,
        "pe.xes",
        f'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]>\n'
        '<log><trace><event><string key="concept:name" value="a"/></event></trace></log>'.encode(),
    )
    # only "p" is declared: had libxml2 fetched evil.dtd, "e" would be listed too (it is, when
    # lxml's collect_ids=False is passed - the reader must not pass it)
    assert_unreadable(path, "entities (p)")


def test_external_dtd_is_not_loaded_and_rejected(tmp_path: Path) -> None:
    dtd = write(tmp_path, "evil.dtd", b'<!ENTITY e "SECRET">')
    for system in (dtd.as_uri(), "http://127.0.0.1:9/evil.dtd"):
        path = write(
            tmp_path,
            "extdtd.xes",
            (
                f'<?xml version="1.0"?>\n<!DOCTYPE log SYSTEM "{system}">\n'
                '<log><trace><event><string key="concept:name" value="&e;"/></event></trace></log>'
            ).encode(),
        )
        error = assert_unreadable(path, "external DTD")
        assert "SECRET" not in str(error)


def test_doctype_without_entities_is_accepted(tmp_path: Path) -> None:
    for doctype in ("<!DOCTYPE log>", "<!DOCTYPE log [<!ELEMENT log ANY>]>"):
        path = write(
            tmp_path,
            "doctype.xes",
            xes(f"<trace>{event(**{'concept:name': 'a'})}</trace>", head=doctype + "\n"),
        )
        assert read_xes_table(path).column("concept:name").to_pylist() == ["a"]


# ------------------------------------------------------------------------------------------------
# broken input


def test_missing_file(tmp_path: Path) -> None:
    assert_unreadable(tmp_path / "nope.xes", "no such file")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.xes"
    folder.mkdir()
    assert_unreadable(folder, "directory")


def test_empty_file(tmp_path: Path) -> None:
    assert_unreadable(write(tmp_path, "empty.xes", b""), "empty")


def test_empty_gzip(tmp_path: Path) -> None:
    assert_unreadable(write(tmp_path, "empty.xes.gz", gzip.compress(b"")), "empty")


def test_whitespace_only(tmp_path: Path) -> None:
    assert_unreadable(write(tmp_path, "blank.xes", b"  \n\n "), "only blanks")


def test_binary_garbage(tmp_path: Path) -> None:
    garbage = bytes((index * 73 + 11) % 256 for index in range(4096))
    assert_unreadable(write(tmp_path, "garbage.xes", garbage), "not an XML document")


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    data = (
        b'<?xml version="1.0"?>\n<log>\n<trace>\n'
        b'<event><string key="concept:name" value="a"></event>\n</trace>\n</log>\n'
    )
    assert_unreadable(write(tmp_path, "bad.xes", data), "malformed XML at line 4", "mismatch")


def test_malformed_xml_late_in_a_big_file(tmp_path: Path) -> None:
    data = generated_log(300, 10).replace(b"</trace>\n<trace>", b"</trace>\n<trace", 1)
    assert_unreadable(write(tmp_path, "late.xes", data), "malformed XML at line")


def test_truncated_xml(tmp_path: Path) -> None:
    data = generated_log(50, 5)
    assert_unreadable(write(tmp_path, "cut.xes", data[: len(data) // 2]), "malformed XML")


def test_invalid_utf8(tmp_path: Path) -> None:
    data = xes("<trace>" + event(**{"concept:name": "a"}) + "</trace>").replace(b"a", b"\xff\xfe")
    assert_unreadable(write(tmp_path, "latin.xes", data), "malformed XML at line")


def test_truncated_gzip(tmp_path: Path) -> None:
    whole = gzip.compress(generated_log(400, 10))
    path = write(tmp_path, "cut.xes.gz", whole[: len(whole) // 2])
    assert_unreadable(path, "gzip data is truncated")


@pytest.mark.eventlogs
def test_truncated_real_gzip(tmp_path: Path) -> None:
    whole = eventlog("receipt.xes.gz").read_bytes()
    path = write(tmp_path, "receipt.xes.gz", whole[: len(whole) // 2])
    assert_unreadable(path, "truncated")


def test_corrupt_gzip(tmp_path: Path) -> None:
    whole = bytearray(gzip.compress(generated_log(100, 10)))
    whole[len(whole) // 2 : len(whole) // 2 + 64] = bytes(64)
    assert_unreadable(write(tmp_path, "corrupt.xes.gz", bytes(whole)), "gzip")


def test_gz_name_with_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path, "plain.xes.gz", b"this is not gzip at all\n")
    assert_unreadable(path, ".gz", "not gzip")


def test_gz_name_with_plain_xes(tmp_path: Path) -> None:
    path = write(tmp_path, "plain.XES.GZ", xes("<trace>" + event(a="b") + "</trace>"))
    assert_unreadable(path, "not gzip")


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path: Path) -> None:
    data = gzip.compress(xes("<trace>" + event(**{"concept:name": "a"}) + "</trace>"))
    table = read_xes_table(write(tmp_path, "compressed.xes", data))
    assert table.column("concept:name").to_pylist() == ["a"]


def test_not_an_xes_root(tmp_path: Path) -> None:
    path = write(tmp_path, "page.xes", b"<html><body><p>hello</p></body></html>")
    assert_unreadable(path, "not an XES log", "<html>")


def test_no_events_is_insufficient_data(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "noevents.xes",
        xes('<trace><string key="concept:name" value="c"/></trace><trace/>'),
    )
    with pytest.raises(InsufficientDataError) as caught:
        read_xes_table(path)
    assert str(path) in str(caught.value)


def test_events_outside_traces_do_not_count(tmp_path: Path) -> None:
    path = write(tmp_path, "outside.xes", xes(event(**{"concept:name": "lonely"})))
    with pytest.raises(InsufficientDataError):
        read_xes_table(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_no_other_exception_escapes(tmp_path: Path, data: st.DataObject) -> None:
    original = bytearray(
        xes(
            '<global><string key="concept:name" value="x"/></global>'
            '<trace><string key="concept:name" value="c"/><int key="n" value="3"/>'
            '<event><string key="concept:name" value="a &amp; b"/>'
            '<date key="time:timestamp" value="2020-01-01T00:00:00.000+01:00"/>'
            '<boolean key="ok" value="true"/><float key="f" value="1.5"/></event></trace>'
        )
    )
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(original) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            original[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del original[at : at + data.draw(st.integers(1, 40))]
        else:
            original[at:at] = data.draw(st.binary(min_size=1, max_size=20))
    compress = data.draw(st.booleans())
    blob = gzip.compress(bytes(original)) if compress else bytes(original)
    path = write(tmp_path, "fuzz.xes.gz" if compress else "fuzz.xes", blob)
    try:
        table = read_xes_table(path)
    except OpslensError:
        return
    assert table.num_rows >= 1
    assert table.column_names[-1] == "row"


# ------------------------------------------------------------------------------------------------
# structure and typing


def test_global_without_scope_is_accepted(tmp_path: Path) -> None:
    body = (
        '<global><string key="concept:name" value="x"/></global>\n'
        '<global scope="trace"><string key="concept:name" value="x"/></global>\n'
        '<trace><string key="concept:name" value="c1"/>'
        '<event><string key="concept:name" value="a"/>'
        '<date key="time:timestamp" value="2020-01-01T00:00:00Z"/></event></trace>'
    )
    table = read_xes_table(write(tmp_path, "noscope.xes", xes(body)))
    assert table.to_pylist() == [
        {
            "concept:name": "a",
            "time:timestamp": datetime(2020, 1, 1, tzinfo=UTC),
            "case:concept:name": "c1",
            "row": 1,
        }
    ]


def test_types_of_every_xes_value_element(tmp_path: Path) -> None:
    body = (
        '<trace><string key="concept:name" value="c1"/><int key="AMOUNT" value="20000"/>'
        '<float key="rate" value="0.5"/><boolean key="vip" value="true"/>'
        '<date key="opened" value="2020-01-01T08:00:00+08:00"/><id key="uid" value="u-1"/>'
        '<event><string key="concept:name" value="a"/><int key="n" value="-7"/>'
        '<float key="x" value="1.5E3"/><boolean key="b" value="false"/><id key="i" value="e-1"/>'
        '<date key="time:timestamp" value="2020-01-01T00:00:00.123456Z"/></event></trace>'
    )
    table = read_xes_table(write(tmp_path, "types.xes", xes(body)))
    schema = {field.name: field.type for field in table.schema}
    assert schema == {
        "concept:name": pa.string(),
        "n": pa.int64(),
        "x": pa.float64(),
        "b": pa.bool_(),
        "i": pa.string(),
        "time:timestamp": TIMESTAMP,
        "case:concept:name": pa.string(),
        "case:AMOUNT": pa.int64(),
        "case:rate": pa.float64(),
        "case:vip": pa.bool_(),
        "case:opened": TIMESTAMP,
        "case:uid": pa.string(),
        "row": pa.int64(),
    }
    row = table.to_pylist()[0]
    assert row["n"] == -7
    assert row["x"] == 1500.0
    assert row["b"] is False
    assert row["time:timestamp"] == datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert row["case:AMOUNT"] == 20000
    assert row["case:vip"] is True
    assert row["case:opened"] == datetime(2020, 1, 1, tzinfo=UTC)


def test_column_order_and_missing_values(tmp_path: Path) -> None:
    body = (
        '<trace><string key="concept:name" value="c1"/>'
        '<event><string key="concept:name" value="a"/></event>'
        '<event><string key="concept:name" value="b"/><string key="org:resource" value="r"/>'
        "</event></trace>"
        '<trace><string key="concept:name" value="c2"/><string key="region" value="north"/>'
        '<event><string key="org:resource" value="s"/></event></trace>'
    )
    table = read_xes_table(write(tmp_path, "missing.xes", xes(body)))
    assert table.column_names == [
        "concept:name",
        "org:resource",
        "case:concept:name",
        "case:region",
        "row",
    ]
    assert table.column("concept:name").to_pylist() == ["a", "b", None]
    assert table.column("org:resource").to_pylist() == [None, "r", "s"]
    assert table.column("case:concept:name").to_pylist() == ["c1", "c1", "c2"]
    assert table.column("case:region").to_pylist() == [None, None, "north"]
    assert table.column("row").to_pylist() == [1, 2, 3]


def test_mixed_attribute_types_become_text_as_written(tmp_path: Path) -> None:
    body = (
        "<trace>"
        '<event><int key="x" value="5"/><date key="t" value="2020-01-01T00:00:00+01:00"/></event>'
        '<event><string key="x" value="five"/><string key="t" value="soon"/></event>'
        '<event><float key="x" value="5.50"/><boolean key="t" value="true"/></event>'
        "</trace>"
    )
    table = read_xes_table(write(tmp_path, "mixed.xes", xes(body)))
    assert table.schema.field("x").type == pa.string()
    assert table.column("x").to_pylist() == ["5", "five", "5.50"]
    assert table.column("t").to_pylist() == ["2020-01-01T00:00:00+01:00", "soon", "true"]


def test_values_not_of_their_declared_type_become_text(tmp_path: Path) -> None:
    body = (
        "<trace>"
        '<event><int key="i" value="1"/><float key="f" value="1.5"/><boolean key="b" value="true"/>'
        '<date key="d" value="2020-01-01T00:00:00Z"/></event>'
        '<event><int key="i" value="0x10"/><float key="f" value="1,5"/>'
        '<boolean key="b" value="yes"/><date key="d" value="2020-13-45T00:00:00Z"/></event>'
        "</trace>"
    )
    table = read_xes_table(write(tmp_path, "wrong.xes", xes(body)))
    assert table.to_pydict() == {
        "i": ["1", "0x10"],
        "f": ["1.5", "1,5"],
        "b": ["true", "yes"],
        "d": ["2020-01-01T00:00:00Z", "2020-13-45T00:00:00Z"],
        "row": [1, 2],
    }


def test_number_and_boolean_lexical_forms(tmp_path: Path) -> None:
    body = (
        "<trace>"
        '<event><int key="i" value="+5"/><float key="f" value="INF"/><boolean key="b" value="1"/>'
        "</event>"
        '<event><int key="i" value=" 7 "/><float key="f" value="-INF"/>'
        '<boolean key="b" value="FALSE"/></event>'
        '<event><int key="i" value="-9223372036854775808"/><float key="f" value=".5e-1"/>'
        '<boolean key="b" value="0"/></event>'
        '<event><int key="big" value="9223372036854775808"/><float key="f" value="NaN"/></event>'
        "</trace>"
    )
    table = read_xes_table(write(tmp_path, "lexical.xes", xes(body)))
    assert table.column("i").to_pylist() == [5, 7, -9223372036854775808, None]
    floats = table.column("f").to_pylist()
    assert floats[:3] == [float("inf"), float("-inf"), 0.05]
    assert floats[3] != floats[3]  # NaN
    assert table.column("b").to_pylist() == [True, False, False, None]
    # beyond int64: kept as written
    assert table.column("big").to_pylist() == [None, None, None, "9223372036854775808"]


def test_dates_with_z_offsets_and_without_offset(tmp_path: Path) -> None:
    values = [
        "2020-06-01T12:00:00Z",
        "2020-06-01T12:00:00.000+08:00",
        "2020-06-01T12:00:00",  # no offset: taken as UTC
        "2011-10-01T00:38:44.546+02:00",
        "2020-06-01T12:00:00.1234567-05:30",  # sub-microsecond digits: truncated
        "2020-06-01",  # date only: midnight UTC
        "2020-06-01T12:00:00+0800",
    ]
    body = (
        "<trace>"
        + "".join(
            f'<event><date key="time:timestamp" value="{value}"/></event>' for value in values
        )
        + "</trace>"
    )
    table = read_xes_table(write(tmp_path, "dates.xes", xes(body)))
    assert table.schema.field("time:timestamp").type == TIMESTAMP
    assert table.column("time:timestamp").to_pylist() == [
        datetime(2020, 6, 1, 12, 0, tzinfo=UTC),
        datetime(2020, 6, 1, 4, 0, tzinfo=UTC),
        datetime(2020, 6, 1, 12, 0, tzinfo=UTC),
        datetime(2011, 9, 30, 22, 38, 44, 546000, tzinfo=UTC),
        datetime(2020, 6, 1, 17, 30, 0, 123456, tzinfo=UTC),
        datetime(2020, 6, 1, 0, 0, tzinfo=UTC),
        datetime(2020, 6, 1, 4, 0, tzinfo=UTC),
    ]


def test_dates_all_without_offset_take_the_fast_path_and_are_utc(tmp_path: Path) -> None:
    body = (
        "<trace>"
        + "".join(
            f'<event><date key="time:timestamp" value="2020-06-01T{hour:02d}:00:00.5"/></event>'
            for hour in range(24)
        )
        + "</trace>"
    )
    table = read_xes_table(write(tmp_path, "naive.xes", xes(body)))
    assert table.column("time:timestamp").to_pylist() == [
        datetime(2020, 6, 1, hour, 0, 0, 500000, tzinfo=UTC) for hour in range(24)
    ]


def test_chinese_keys_and_values(tmp_path: Path) -> None:
    body = (
        '<trace><string key="concept:name" value="订单-001"/><string key="部门" value="采购部"/>'
        '<event><string key="concept:name" value="审批"/><string key="负责人" value="张伟"/>'
        "</event></trace>"
    )
    table = read_xes_table(write(tmp_path, "中文.xes", xes(body)))
    assert table.to_pylist() == [
        {
            "concept:name": "审批",
            "负责人": "张伟",
            "case:concept:name": "订单-001",
            "case:部门": "采购部",
            "row": 1,
        }
    ]


def test_gbk_encoded_file(tmp_path: Path) -> None:
    text = (
        '<?xml version="1.0" encoding="GBK"?>\n<log><trace>'
        '<event><string key="concept:name" value="审批"/></event></trace></log>'
    )
    table = read_xes_table(write(tmp_path, "gbk.xes", text.encode("gbk")))
    assert table.column("concept:name").to_pylist() == ["审批"]


def test_escaped_characters_are_decoded(tmp_path: Path) -> None:
    body = (
        '<trace><string key="a&amp;b" value="x &amp; y"/>'
        '<event><string key="concept:name" value="R&amp;D &lt;1&gt; &quot;q&quot; &#20013; '
        '&#38; &amp;#38; &amp;amp;"/></event></trace>'
    )
    table = read_xes_table(write(tmp_path, "escaped.xes", xes(body)))
    assert table.to_pylist() == [
        {
            "concept:name": 'R&D <1> "q" 中 & &#38; &amp;',
            "case:a&b": "x & y",
            "row": 1,
        }
    ]


def test_lists_containers_nested_and_log_level_attributes_are_ignored(tmp_path: Path) -> None:
    body = (
        '<string key="creator" value="someone"/>'
        '<float key="meta" value="1.0"><float key="nested" value="2.0"/></float>'
        '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>'
        '<classifier name="Activity" keys="concept:name"/>'
        '<trace><string key="concept:name" value="c">'
        '<string key="meta-of-trace-attribute" value="m"/></string>'
        '<list key="l"><values><string key="item" value="1"/></values></list>'
        '<event><string key="concept:name" value="a"><string key="meta" value="m"/></string>'
        '<container key="c"><string key="inner" value="2"/></container>'
        '<list key="l2"/><!-- comment --><?pi data?></event></trace>'
    )
    table = read_xes_table(write(tmp_path, "ignored.xes", xes(body)))
    assert table.to_pylist() == [{"concept:name": "a", "case:concept:name": "c", "row": 1}]


def test_trace_attributes_after_events_and_empty_events(tmp_path: Path) -> None:
    body = (
        "<trace><event/>"
        '<event><string key="concept:name" value="a"/></event>'
        '<string key="concept:name" value="late"/></trace>'
    )
    table = read_xes_table(write(tmp_path, "late.xes", xes(body)))
    assert table.to_pylist() == [
        {"concept:name": None, "case:concept:name": "late", "row": 1},
        {"concept:name": "a", "case:concept:name": "late", "row": 2},
    ]


def test_no_namespace_and_foreign_namespace(tmp_path: Path) -> None:
    plain = b'<log><trace><event><string key="concept:name" value="a"/></event></trace></log>'
    prefixed = (
        b'<x:log xmlns:x="urn:other"><x:trace><x:event><x:string key="concept:name" value="b"/>'
        b"</x:event></x:trace></x:log>"
    )
    assert read_xes_table(write(tmp_path, "plain.xes", plain)).column(0).to_pylist() == ["a"]
    assert read_xes_table(write(tmp_path, "ns.xes", prefixed)).column(0).to_pylist() == ["b"]


def test_name_clashes_keep_row_and_case_columns(tmp_path: Path) -> None:
    body = (
        '<trace><string key="concept:name" value="c"/>'
        '<event><string key="row" value="mine"/><string key="case:concept:name" value="ev"/>'
        "</event></trace>"
    )
    table = read_xes_table(write(tmp_path, "clash.xes", xes(body)))
    assert table.to_pylist() == [
        {
            "event:row": "mine",
            "event:case:concept:name": "ev",
            "case:concept:name": "c",
            "row": 1,
        }
    ]


def test_repeated_key_in_one_event_last_wins_and_missing_value_is_null(tmp_path: Path) -> None:
    body = (
        '<trace><event><string key="x" value="first"/><string key="x" value="second"/>'
        '<string key="y"/><string value="no key"/></event></trace>'
    )
    table = read_xes_table(write(tmp_path, "repeat.xes", xes(body)))
    assert table.to_pylist() == [{"x": "second", "y": None, "row": 1}]


def test_accepts_pathlike_and_str(tmp_path: Path) -> None:
    path = write(tmp_path, "p.xes", xes("<trace>" + event(a="1") + "</trace>"))
    assert read_xes_table(path).equals(read_xes_table(str(path)))


def test_large_generated_gzip_log(tmp_path: Path) -> None:
    path = write(tmp_path, "big.xes.gz", gzip.compress(generated_log(2_000, 10)))
    table = read_xes_table(path)
    assert table.num_rows == 20_000
    assert len(table.column("case:concept:name").unique()) == 2_000
    assert table.column("time:timestamp")[0].as_py() == datetime(2023, 12, 31, 16, tzinfo=UTC)
