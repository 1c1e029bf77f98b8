"""``analyze`` (both engines) against the naive pure-Python reference in ``reference.py``.

Hypothesis draws small logs whose timestamps come from a handful of values, so ties, zero
durations, one-event cases and overlapping intervals are common; a second family draws
start/complete/schedule lifecycle logs in random order, with unmatched completes and unclosed
starts. Every figure of the contract is compared with tolerance 1e-9. The explicit examples at
the end pin the semantics with numbers one can check by hand (and check the reference too).
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opslens.core.eventlog import ColumnMapping, event_log_from_arrow
from opslens.core.mining import analyze

from .reference import (
    US,
    Row,
    analyze_reference,
    comparable,
    differences,
    to_datetime,
    to_instances,
)

ENGINES = ("fast", "portable")
# The portable engine compiles Ibis expressions per call (~0.4 s), the fast one is ~10x cheaper.
EXAMPLES = {"fast": 100, "portable": 25}

ACTIVITY_NAMES = (
    "A",
    "B",
    "a",
    "技术处理",
    "审批通过",
    "🚀 deploy",
    'say "hi"',
    "<b>&amp;",
    "l'été",
    "Z",
)
CASE_IDS = ("c1", "c2", "案例-3", "🧾4", "c<5>", "c6")
# A few instants (µs after 2024-01-01T00:00Z); dyadic fractions keep every sum exact in floats.
TIMES = (0, US // 4, US, 3 * US // 2, 60 * US, 3600 * US, 86_400 * US + US // 2)
TRANSITIONS = ("start", "complete", "start", "complete", "schedule", "Start", "COMPLETE")

TS = pa.timestamp("us", tz="UTC")


def build_table(rows: list[Row], *, start: bool, lifecycle: bool) -> pa.Table:
    columns = {
        "case": pa.array([r.case for r in rows], pa.string()),
        "activity": pa.array([r.activity for r in rows], pa.string()),
        "time": pa.array([to_datetime(r.end) for r in rows], TS),
    }
    if start:
        starts = [None if r.start is None else to_datetime(r.start) for r in rows]
        columns["start"] = pa.array(starts, TS)
    if lifecycle:
        columns["lc"] = pa.array([r.lifecycle for r in rows], pa.string())
    return pa.table(columns)


def run(rows: list[Row], engine: str, *, start: bool = False, lifecycle: bool = False) -> dict:
    table = build_table(rows, start=start, lifecycle=lifecycle)
    mapping = ColumnMapping(
        case="case",
        activity="activity",
        end="time",
        start="start" if start else None,
        lifecycle="lc" if lifecycle else None,
    )
    log = event_log_from_arrow(table, mapping, timezone="UTC")
    try:
        return analyze(log, top_variants=10, engine=engine).to_dict()
    finally:
        log.close()


def assert_matches_reference(rows: list[Row], engine: str, **columns: bool) -> None:
    expected = analyze_reference(rows, top_variants=10)
    actual = comparable(run(rows, engine, **columns))
    problems = differences(actual, expected)
    assert not problems, "\n".join([f"engine={engine}, rows={rows!r}", *problems])


# -- strategies --------------------------------------------------------------------------------


@st.composite
def plain_logs(draw: st.DrawFn, *, with_start: bool | None = None, rejects: bool = False):
    """(has start column, rows) of an atomic or interval log without lifecycle column."""
    names = draw(st.lists(st.sampled_from(ACTIVITY_NAMES), min_size=1, max_size=5, unique=True))
    case_ids = draw(st.lists(st.sampled_from(CASE_IDS), min_size=1, max_size=6, unique=True))
    if with_start is None:
        with_start = draw(st.booleans())
    rows = []
    for n in range(1, draw(st.integers(1, 30)) + 1):
        end = draw(st.sampled_from(TIMES))
        start = None
        if with_start:
            starts = TIMES if rejects else tuple(t for t in TIMES if t <= end)
            start = draw(st.none() | st.sampled_from(starts))
        case = draw(st.sampled_from(case_ids))
        rows.append(Row(n, case, draw(st.sampled_from(names)), end, start))
    return with_start, rows


@st.composite
def lifecycle_logs(draw: st.DrawFn) -> list[Row]:
    names = draw(st.lists(st.sampled_from(ACTIVITY_NAMES), min_size=1, max_size=5, unique=True))
    case_ids = draw(st.lists(st.sampled_from(CASE_IDS), min_size=1, max_size=6, unique=True))
    rows = []
    for n in range(1, draw(st.integers(1, 30)) + 1):
        case = draw(st.sampled_from(case_ids))
        activity = draw(st.sampled_from(names))
        end = draw(st.sampled_from(TIMES))
        rows.append(Row(n, case, activity, end, lifecycle=draw(st.sampled_from(TRANSITIONS))))
    return rows


def engine_settings(engine: str):
    return settings(
        max_examples=EXAMPLES[engine],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# -- properties --------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_plain_logs_match_reference(engine: str) -> None:
    @engine_settings(engine)
    @given(plain_logs())
    def check(log: tuple[bool, list[Row]]) -> None:
        with_start, rows = log
        assert_matches_reference(rows, engine, start=with_start)

    check()


@pytest.mark.parametrize("engine", ENGINES)
def test_lifecycle_logs_match_reference(engine: str) -> None:
    @engine_settings(engine)
    @given(lifecycle_logs())
    def check(rows: list[Row]) -> None:
        assume(to_instances(rows)[0])  # a log of unclosed starts only has nothing to analyse
        assert_matches_reference(rows, engine, lifecycle=True)

    check()


@pytest.mark.parametrize("engine", ENGINES)
def test_rejected_rows_are_counted_and_left_out(engine: str) -> None:
    @settings(engine_settings(engine), max_examples=max(10, EXAMPLES[engine] // 4))
    @given(plain_logs(with_start=True, rejects=True))
    def check(log: tuple[bool, list[Row]]) -> None:
        _, rows = log
        assume(to_instances(rows)[0])
        assert_matches_reference(rows, engine, start=True)

    check()


# -- examples checked by hand ------------------------------------------------------------------


def s(seconds: float) -> int:
    return round(seconds * US)


def one(value: float) -> dict[str, float | None]:
    return {"mean": value, "median": value, "min": value, "max": value, "sum": value, "stdev": None}


def both(rows: list[Row], **columns: bool) -> list[dict]:
    """The reference's and each engine's result, in the comparable shape."""
    return [analyze_reference(rows)] + [comparable(run(rows, e, **columns)) for e in ENGINES]


def test_example_tie_broken_by_row() -> None:
    # B and C share a timestamp: the table order (row) decides, whatever the row of A.
    rows = [Row(1, "c", "B", s(60)), Row(2, "c", "A", s(0)), Row(3, "c", "C", s(60))]
    for result in both(rows):
        assert result["variants"]["top"][0]["activities"] == ["A", "B", "C"]
        assert result["dfg"] == {
            ("A", "B"): {"frequency": 1, "duration_s": one(60.0)},
            ("B", "C"): {"frequency": 1, "duration_s": one(0.0)},
        }
        assert result["log"]["lifecycle"] == "atomic"
        assert result["activities"]["B"]["waiting_s"] == one(60.0)
        assert result["activities"]["C"]["waiting_s"] == one(0.0)
        assert result["activities"]["A"]["waiting_s"] is None
        assert result["activities"]["A"]["service_s"] is None
        assert result["case_duration_s"]["max"] == 60.0
        assert result["bottlenecks"] == [
            {
                "kind": "activity",
                "name": "B",
                "total_s": 60.0,
                "share_of_time": 1.0,
                "mean_s": 60.0,
            },
            {
                "kind": "transition",
                "name": "A → B",
                "total_s": 60.0,
                "share_of_time": 1.0,
                "mean_s": 60.0,
            },
        ]


def test_example_lifecycle_fifo() -> None:
    # start A@0, start A@10, complete A@20, complete A@30 -> A[0,20] and A[10,30]
    rows = [
        Row(1, "c", "A", s(0), lifecycle="start"),
        Row(2, "c", "A", s(10), lifecycle="start"),
        Row(3, "c", "A", s(20), lifecycle="complete"),
        Row(4, "c", "A", s(30), lifecycle="complete"),
    ]
    for result in both(rows, lifecycle=True):
        assert result["log"]["activity_instances"] == 2
        assert result["log"]["lifecycle"] == "interval"
        assert result["log"]["open_instances"] == 0
        a = result["activities"]["A"]
        assert a["service_s"] == {**one(20.0), "sum": 40.0, "stdev": 0.0}
        assert a["waiting_s"] == one(0.0)  # the second starts before the first ends
        assert a["rework_cases"] == 1
        assert a["share_of_time"] == pytest.approx(40 / 30)
        assert result["case_duration_s"]["max"] == 30.0
        assert result["dfg"] == {("A", "A"): {"frequency": 1, "duration_s": one(0.0)}}
        assert result["rework_cases"] == {"A": 1}


def test_example_complete_without_start_and_unclosed_start() -> None:
    rows = [
        Row(1, "c", "A", s(5), lifecycle="complete"),  # no open start: instance A[5,5]
        Row(2, "c", "B", s(10), lifecycle="START"),
        Row(3, "c", "B", s(20), lifecycle="Complete"),  # B[10,20]
        Row(4, "c", "C", s(30), lifecycle="start"),  # never closed: dropped, counted
        Row(5, "c", "B", s(1), lifecycle="schedule"),  # other transitions are dropped
    ]
    for result in both(rows, lifecycle=True):
        assert result["log"]["activity_instances"] == 2
        assert result["log"]["open_instances"] == 1
        assert result["log"]["first"] == "2024-01-01T00:00:05Z"
        assert result["log"]["last"] == "2024-01-01T00:00:20Z"
        assert result["variants"]["top"][0]["activities"] == ["A", "B"]
        assert result["dfg"] == {("A", "B"): {"frequency": 1, "duration_s": one(5.0)}}
        assert result["activities"]["A"]["service_s"] == one(0.0)
        assert result["activities"]["B"]["service_s"] == one(10.0)
        assert result["case_duration_s"]["max"] == 15.0


def test_example_overlapping_intervals_and_rejected_row() -> None:
    rows = [
        Row(1, "c", "A", s(100), start=s(0)),
        Row(2, "c", "B", s(80), start=s(50)),  # inside A: no waiting
        Row(3, "c", "C", s(200), start=s(120)),  # 20 s after A ends, 40 s after B ends
        Row(4, "c", "D", s(10), start=s(20)),  # start after end: rejected
    ]
    for result in both(rows, start=True):
        assert result["log"]["rejected_rows"] == 1
        assert result["log"]["lifecycle"] == "interval"
        assert result["variants"]["top"][0]["activities"] == ["A", "B", "C"]
        assert result["dfg"][("A", "B")]["duration_s"] == one(0.0)
        # max(C.start, B.end) - B.end: measured from B, the direct predecessor
        assert result["dfg"][("B", "C")]["duration_s"] == one(40.0)
        assert result["case_duration_s"]["max"] == 200.0


def test_example_variant_order() -> None:
    # two cases A,B; then one-case variants ordered by the activity tuple: ("A",) < ("B", "A")
    rows = [
        Row(1, "c1", "A", s(0)),
        Row(2, "c1", "B", s(1)),
        Row(3, "c2", "A", s(0)),
        Row(4, "c2", "B", s(3)),
        Row(5, "c3", "B", s(0)),
        Row(6, "c3", "A", s(0)),
        Row(7, "c4", "A", s(7)),
    ]
    for result in both(rows):
        assert result["variants"]["count"] == 3
        assert [v["activities"] for v in result["variants"]["top"]] == [
            ["A", "B"],
            ["A"],
            ["B", "A"],
        ]
        assert result["variants"]["top"][0]["share"] == 0.5
        assert result["variants"]["top"][0]["duration_s"] == {"mean": 2.0, "median": 2.0}
        assert result["start_activities"] == {"A": 3, "B": 1}
        assert result["end_activities"] == {"B": 2, "A": 2}
        assert result["case_duration_s"]["p90"] == pytest.approx(2.4)
