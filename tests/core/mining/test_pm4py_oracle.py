"""Every shared real log: opslens's figures equal PM4Py's (PM4Py runs here, as the oracle).

PM4Py is AGPL and only a test/benchmark dependency; ``bench/pm4py_figures.py`` computes the
contract's figures with PM4Py's own functions. Both opslens engines are held to it.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest

from opslens.core.eventlog import read_event_log
from opslens.core.mining import analyze
from tests.conftest import eventlog

LOGS = [
    "running-example.xes",
    "running-example.csv",
    "receipt.xes.gz",
    "receipt.csv",
    "repairExample.xes.gz",
    "helpdesk.xes.gz",
    "bpic2012.xes.gz",
    "interval_event_log.csv",
]
TOP = 25

pytestmark = pytest.mark.eventlogs


@cache
def oracle(name: str) -> dict[str, Any]:
    from pm4py_figures import pm4py_figures  # bench/, put on sys.path by conftest

    return pm4py_figures(str(eventlog(name)), top=TOP)


@cache
def ours(name: str, engine: str) -> dict[str, Any]:
    with read_event_log(eventlog(name)) as log:
        return analyze(log, top_variants=TOP, engine=engine).to_dict()  # type: ignore[arg-type]


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def assert_stats(got: dict[str, Any] | None, want: dict[str, Any] | None, where: str) -> None:
    if want is None:
        assert got is None, f"{where}: expected null, got {got}"
        return
    assert got is not None, f"{where}: missing"
    for key, value in want.items():
        assert close(got[key], value), f"{where}.{key}: {got[key]} != PM4Py {value}"


ENGINES = ["fast", "portable"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LOGS)
def test_log_summary(name: str, engine: str) -> None:
    got, want = ours(name, engine)["log"], oracle(name)["log"]
    for key in (
        "events",
        "activity_instances",
        "cases",
        "activities",
        "lifecycle",
        "first",
        "last",
    ):
        assert got[key] == want[key], f"log.{key}: {got[key]} != PM4Py {want[key]}"
    assert got["rejected_rows"] == 0


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LOGS)
def test_dfg_frequencies_and_durations(name: str, engine: str) -> None:
    got = {(e["source"], e["target"]): e for e in ours(name, engine)["dfg"]}
    want = {(e["source"], e["target"]): e for e in oracle(name)["dfg"]}
    assert got.keys() == want.keys()
    for key, edge in want.items():
        assert got[key]["frequency"] == edge["frequency"], key
        assert_stats(got[key]["duration_s"], edge["duration_s"], f"dfg{key}")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LOGS)
def test_start_end_activities_and_rework(name: str, engine: str) -> None:
    got, want = ours(name, engine), oracle(name)
    assert got["start_activities"] == want["start_activities"]
    assert got["end_activities"] == want["end_activities"]
    assert got["rework_cases"] == want["rework_cases"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LOGS)
def test_variants(name: str, engine: str) -> None:
    got, want = ours(name, engine)["variants"], oracle(name)["variants"]
    assert got["count"] == want["count"]
    assert [v["activities"] for v in got["top"]] == [v["activities"] for v in want["top"]]
    for g, w in zip(got["top"], want["top"], strict=True):
        assert g["cases"] == w["cases"]
        assert close(g["share"], w["share"])
        assert_stats(g["duration_s"], w["duration_s"], f"variant {w['activities'][:3]}")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LOGS)
def test_case_durations(name: str, engine: str) -> None:
    assert_stats(
        ours(name, engine)["case_duration_s"], oracle(name)["case_duration_s"], "case_duration_s"
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", LOGS)
def test_activities_and_bottlenecks(name: str, engine: str) -> None:
    got, want = ours(name, engine), oracle(name)
    g_acts = {a["activity"]: a for a in got["activities"]}
    w_acts = {a["activity"]: a for a in want["activities"]}
    assert g_acts.keys() == w_acts.keys()
    for act, w in w_acts.items():
        g = g_acts[act]
        for key in ("instances", "cases", "rework_cases"):
            assert g[key] == w[key], f"{act}.{key}"
        assert_stats(g["service_s"], w["service_s"], f"{act}.service_s")
        assert_stats(g["waiting_s"], w["waiting_s"], f"{act}.waiting_s")
        assert close(g["share_of_time"], w["share_of_time"]), act
    g_b = [(b["kind"], b["name"]) for b in got["bottlenecks"]]
    w_b = [(b["kind"], b["name"]) for b in want["bottlenecks"]]
    assert g_b[:20] == w_b[:20]
    for g, w in zip(got["bottlenecks"], want["bottlenecks"], strict=True):
        for key in ("total_s", "share_of_time", "mean_s"):
            assert close(g[key], w[key]), (w["name"], key)
