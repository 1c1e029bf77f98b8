"""Sanity checks of the PM4Py oracle (bench/pm4py_figures.py) against figures derived by hand.

The oracle is what opslens's numbers are compared with; these tests make sure a change to it (or
to PM4Py) that breaks its semantics is caught: expected values come from plain Python over the
CSV, not from PM4Py.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

import pm4py_figures as oracle  # bench/, put on sys.path by conftest
from tests.conftest import eventlog


def _log(name: str) -> str:
    return str(eventlog(name))


def _edges(result: dict) -> dict[tuple[str, str], dict]:
    return {(e["source"], e["target"]): e for e in result["dfg"]}


@pytest.fixture(scope="module")
def running_example() -> dict:
    return oracle.pm4py_figures(_log("running-example.csv"), top=10)


@pytest.mark.eventlogs
def test_running_example_counts(running_example: dict) -> None:
    log = running_example["log"]
    assert (log["events"], log["activity_instances"], log["cases"], log["activities"]) == (
        42,
        42,
        6,
        8,
    )
    assert log["lifecycle"] == "atomic"
    assert log["first"] == "2010-12-30T10:02:00Z"
    assert running_example["start_activities"] == {"register request": 6}
    assert running_example["end_activities"] == {"pay compensation": 3, "reject request": 3}
    assert running_example["variants"]["count"] == 6
    assert running_example["rework_cases"] == {
        "check ticket": 2,
        "decide": 2,
        "examine casually": 1,
        "reinitiate request": 1,
    }


@pytest.mark.eventlogs
def test_running_example_dfg_matches_plain_python(running_example: dict) -> None:
    """Directly-follows pairs and their durations, recomputed from the CSV by hand."""
    by_case: dict[str, list[tuple[datetime, int, str]]] = defaultdict(list)
    with open(_log("running-example.csv"), newline="", encoding="utf-8") as fh:
        for row_number, row in enumerate(csv.DictReader(fh)):
            ts = datetime.fromisoformat(row["time:timestamp"])
            by_case[row["case:concept:name"]].append((ts, row_number, row["concept:name"]))
    frequency: Counter[tuple[str, str]] = Counter()
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    case_durations = []
    for events in by_case.values():
        events.sort()
        case_durations.append((events[-1][0] - events[0][0]).total_seconds())
        for (t1, _, a), (t2, _, b) in pairwise(events):
            frequency[(a, b)] += 1
            durations[(a, b)].append((t2 - t1).total_seconds())

    edges = _edges(running_example)
    assert {k: e["frequency"] for k, e in edges.items()} == dict(frequency)
    assert edges[("check ticket", "decide")]["frequency"] == 6
    pay = edges[("decide", "pay compensation")]["duration_s"]
    assert pay["sum"] == 1542480.0 == sum(durations[("decide", "pay compensation")])
    assert pay["median"] == 521400.0
    assert edges[("check ticket", "decide")]["duration_s"]["median"] == 129300.0
    for key, values in durations.items():
        stats = edges[key]["duration_s"]
        assert math.isclose(stats["mean"], sum(values) / len(values), rel_tol=1e-12)
        assert stats["min"] == min(values)
        assert stats["max"] == max(values)
        if len(values) == 1:
            assert stats["stdev"] is None  # PM4Py's NaN becomes null
    cd = running_example["case_duration_s"]
    assert cd["sum"] == sum(case_durations) == 5801340.0
    assert cd["max"] == 1576440.0
    assert cd["median"] == 815940.0  # (779580 + 852300) / 2


@pytest.mark.eventlogs
def test_running_example_xes_equals_csv(running_example: dict) -> None:
    from_xes = oracle.pm4py_figures(_log("running-example.xes"), top=10)
    for key in ("log", "dfg", "start_activities", "end_activities", "activities", "variants"):
        assert from_xes[key] == running_example[key], key
    assert from_xes["case_duration_s"] == running_example["case_duration_s"]


@pytest.mark.eventlogs
def test_oracle_shortcuts_equal_pm4py_public_api() -> None:
    """The oracle calls the functions behind pm4py.get_variants / get_all_case_durations."""
    import pm4py

    df, _ = oracle.load_instances(_log("receipt.csv"))
    result = oracle.pm4py_figures(_log("receipt.csv"), top=1000)
    variants = pm4py.get_variants(df)
    assert result["variants"]["count"] == len(variants) == 116
    assert {tuple(v["activities"]): v["cases"] for v in result["variants"]["top"]} == {
        tuple(k): n for k, n in variants.items()
    }
    durations = pm4py.get_all_case_durations(df)
    assert len(durations) == result["log"]["cases"] == 1434
    assert math.isclose(result["case_duration_s"]["sum"], math.fsum(durations), rel_tol=1e-12)
    assert result["case_duration_s"]["max"] == max(durations)
    assert result["rework_cases"] == pm4py.get_rework_cases_per_activity(df)


@pytest.mark.eventlogs
def test_repair_example_pairs_lifecycle() -> None:
    result = oracle.pm4py_figures(_log("repairExample.xes.gz"))
    log = result["log"]
    assert log["lifecycle"] == "interval"
    assert log["events"] == 11855
    assert log["activity_instances"] == 7733  # one per complete
    assert log["open_instances"] == 1  # 4122 starts, 4121 matched
    assert log["cases"] == 1104
    assert all(a["service_s"] is not None for a in result["activities"])


@pytest.mark.eventlogs
def test_interval_log_case_duration_uses_starts() -> None:
    path = _log("interval_event_log.csv")
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            case = row["case:concept:name"]
            start = datetime.fromisoformat(row["start_timestamp"])
            end = datetime.fromisoformat(row["time:timestamp"])
            first[case] = min(first.get(case, start), start)
            last[case] = max(last.get(case, end), end)
    expected = sorted((last[c] - first[c]).total_seconds() for c in first)
    result = oracle.pm4py_figures(path)
    cd = result["case_duration_s"]
    assert result["log"]["lifecycle"] == "interval"
    assert cd["min"] == expected[0]
    assert cd["max"] == expected[-1]
    assert math.isclose(cd["sum"], math.fsum(expected), rel_tol=1e-12)


@pytest.mark.eventlogs
@pytest.mark.slow
def test_bpic2012_shape() -> None:
    result = oracle.pm4py_figures(_log("bpic2012.xes.gz"))
    log = result["log"]
    assert (log["events"], log["cases"], log["lifecycle"]) == (262200, 13087, "interval")
    assert log["activity_instances"] == 164506  # COMPLETE events; SCHEDULE dropped
    assert result["start_activities"] == {"A_SUBMITTED": 13087}


def test_ties_keep_file_order_and_rows_are_sorted(tmp_path: Path) -> None:
    """Equal timestamps keep file order; rows out of time order are sorted; pairing is FIFO."""
    path = tmp_path / "ties.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp,lifecycle:transition\n"
        "c1,B,2024-01-01T10:00:00Z,start\n"
        "c1,A,2024-01-01T09:00:00Z,start\n"  # out of order in the file
        "c1,A,2024-01-01T09:30:00Z,complete\n"
        "c1,B,2024-01-01T11:00:00Z,complete\n"
        "c1,C,2024-01-01T11:00:00Z,complete\n"  # no start: instance of zero length
        "c1,D,2024-01-01T12:00:00Z,start\n"  # never completed: open
        "c2,X,2024-01-02T08:00:00Z,start\n"
        "c2,X,2024-01-02T08:10:00Z,start\n"
        "c2,X,2024-01-02T09:00:00Z,complete\n"  # closes the 08:00 start (oldest first)
        "c2,Y,2024-01-02T09:00:00Z,complete\n"
        "c2,X,2024-01-02T09:30:00Z,complete\n"
        "c3,Q,2024-01-03T08:00:00Z,complete\n"  # equal times: file order decides
        "c3,P,2024-01-03T08:00:00Z,complete\n"
        "c4,P,2024-01-03T08:00:00Z,complete\n"
        "c4,Q,2024-01-03T08:00:00Z,complete\n",
        encoding="utf-8",
    )
    result = oracle.pm4py_figures(str(path))
    log = result["log"]
    assert (log["events"], log["activity_instances"], log["open_instances"]) == (15, 10, 1)
    variants = {tuple(v["activities"]): v["cases"] for v in result["variants"]["top"]}
    # c2: X(08:00-09:00), X(08:10-09:30), Y(09:00-09:00): by start, then end
    assert variants == {("A", "B", "C"): 1, ("X", "X", "Y"): 1, ("P", "Q"): 1, ("Q", "P"): 1}
    edges = _edges(result)
    assert edges[("A", "B")]["duration_s"]["sum"] == 1800.0  # B starts 30 min after A ends
    assert edges[("B", "C")]["duration_s"]["sum"] == 0.0  # C starts when B ends
    assert edges[("X", "X")]["duration_s"]["sum"] == 0.0  # overlap counts as no wait
    assert edges[("X", "Y")]["duration_s"]["sum"] == 0.0
    service = {a["activity"]: a["service_s"] for a in result["activities"]}
    assert service["X"]["sum"] == 3600.0 + 4800.0
    assert service["C"]["sum"] == 0.0
    # c1: 09:00-11:00 (the open D does not count), c2: 08:00-09:30, c3 and c4: 0
    assert result["case_duration_s"]["sum"] == 7200.0 + 5400.0
    assert result["start_activities"] == {"P": 1, "Q": 1, "A": 1, "X": 1}
