"""Filters on the shared real logs: the cases (and events) each filter keeps equal PM4Py's own
filter functions on the same log (PM4Py runs here as the oracle; ``bench/pm4py_figures.py``
loads the log the way the figures' oracle does).

Our bounds are inclusive: an event at the exact start or end of a range is in it, and a case of
exactly the minimum duration is kept. PM4Py's case-level time filters use strict comparisons at
the bounds, so against PM4Py the time bounds lie between two events; against the instances'
own times (pandas on PM4Py's instances) they are an event's exact time. Where PM4Py has no
equivalent (a case *started* in a range; time and duration filters on interval logs, where
PM4Py's filters see only the completion time), the expected cases are computed the same way.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import pytest

from opslens.core.eventlog import read_event_log
from opslens.core.mining import (
    ActivityFilter,
    AttributeFilter,
    CaseDurationFilter,
    Filter,
    TimeRangeFilter,
    VariantFilter,
    analyze,
)
from opslens.core.mining.filters import apply_filters
from tests.conftest import eventlog

pytestmark = pytest.mark.eventlogs

ATOMIC = ["running-example.xes", "receipt.xes.gz", "helpdesk.xes.gz"]
INTERVAL = ["repairExample.xes.gz", "bpic2012.xes.gz", "interval_event_log.csv"]  # start+complete
ENGINES = ["fast", "portable"]


@cache
def instances(name: str) -> Any:
    from pm4py_figures import ACT, CASE, load_instances  # bench/, on sys.path via tests/conftest

    df, _info = load_instances(str(eventlog(name)), tz_aware=True)  # PM4Py compares aware times
    return df.astype({CASE: object, ACT: object})  # PM4Py's variant filter needs plain strings


@cache
def raw_xes(name: str) -> Any:
    """The XES log as PM4Py reads it, attributes included (for the attribute filters)."""
    import pm4py

    return pm4py.read_xes(str(eventlog(name)), variant="iterparse", show_progress_bar=False)


def kept(name: str, filters: list[Filter]) -> tuple[set[str], int]:
    """Case ids and activity instances opslens keeps."""
    with read_event_log(eventlog(name)) as log:
        table = apply_filters(log.table, filters)
        ids = table.select("case_id").distinct().to_pyarrow().column(0).to_pylist()
        return set(ids), int(table.count().to_pyarrow().as_py())


def pm4py_kept(df: Any) -> tuple[set[str], int]:
    from pm4py_figures import CASE

    return set(df[CASE].astype(str)), len(df)


def utc(value: Any) -> datetime:
    import pandas as pd

    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


def between(name: str) -> tuple[Any, Any]:
    """Two moments halfway between consecutive event times, at a third and two thirds."""
    from pm4py_figures import END

    times = instances(name)[END].drop_duplicates().sort_values().reset_index(drop=True)
    i, j = len(times) // 3, 2 * len(times) // 3
    return (
        times.iloc[i] + (times.iloc[i + 1] - times.iloc[i]) / 2,
        times.iloc[j] + (times.iloc[j + 1] - times.iloc[j]) / 2,
    )


# ---------------------------------------------------------------------------------------------
# time ranges


@pytest.mark.parametrize("name", ATOMIC)
@pytest.mark.parametrize(
    ("mode", "pm4py_mode"),
    [
        ("intersecting", "traces_intersecting"),
        ("contained", "traces_contained"),
        ("trim", "events"),
    ],
)
def test_time_range_equals_pm4py(name: str, mode: Any, pm4py_mode: str) -> None:
    import pm4py

    lo, hi = (utc(t) for t in between(name))
    want = pm4py_kept(pm4py.filter_time_range(instances(name), lo, hi, mode=pm4py_mode))
    assert want[0] or name == "running-example.xes"  # 6 cases: none within the middle third
    assert kept(name, [TimeRangeFilter(lo, hi, mode=mode)]) == want


@pytest.mark.parametrize("name", ATOMIC + INTERVAL)
@pytest.mark.parametrize("mode", ["intersecting", "contained", "started", "trim"])
@pytest.mark.parametrize("bounds", ["last-first", "first-last"])
def test_time_range_by_the_instances_own_times(name: str, mode: Any, bounds: str) -> None:
    """Every mode, on interval logs too, by a case's first start and last end; the bounds are a
    case's exact first start or last end, so each mode's inclusive bounds are exercised."""
    from pm4py_figures import CASE, END, START

    df = instances(name)
    per_case = df.groupby(CASE).agg(first=(START, "min"), last=(END, "max"))
    firsts, lasts = per_case["first"].sort_values(), per_case["last"].sort_values()
    third, two_thirds = len(per_case) // 3, 2 * len(per_case) // 3
    if bounds == "last-first":  # a case ending exactly at lo, one starting exactly at hi
        lo, hi = lasts.iloc[third], firsts.iloc[two_thirds]
        if lo >= hi:  # every case overlaps every other (running-example): two cases' ends
            lo, hi = lasts.iloc[0], lasts.iloc[-1]
    else:  # a case starting exactly at lo, one ending exactly at hi
        lo, hi = firsts.iloc[third], lasts.iloc[two_thirds]
    assert lo < hi
    if mode == "intersecting":
        cases = per_case.index[(per_case["last"] >= lo) & (per_case["first"] <= hi)]
    elif mode == "contained":
        cases = per_case.index[(per_case["first"] >= lo) & (per_case["last"] <= hi)]
    elif mode == "started":
        cases = per_case.index[(per_case["first"] >= lo) & (per_case["first"] <= hi)]
    trimmed = (df[START] >= lo) & (df[END] <= hi)
    want = df[trimmed] if mode == "trim" else df[df[CASE].isin(cases)]
    assert kept(name, [TimeRangeFilter(utc(lo), utc(hi), mode=mode)]) == pm4py_kept(want)


# ---------------------------------------------------------------------------------------------
# variants, activities, attributes, case durations


@pytest.mark.parametrize("name", ATOMIC + INTERVAL)
@pytest.mark.parametrize("keep", [True, False])
def test_variants_equal_pm4py(name: str, keep: bool) -> None:
    import pm4py

    df = instances(name)
    counts = pm4py.get_variants(df)
    top = sorted(counts, key=lambda v: (-counts[v], v))[:3]
    want = pm4py_kept(pm4py.filter_variants(df, top, retain=keep))
    assert kept(name, [VariantFilter([list(v) for v in top], keep=keep)]) == want


@pytest.mark.parametrize("name", ATOMIC + INTERVAL)
@pytest.mark.parametrize("present", [True, False])
def test_activity_present_or_absent_equals_pm4py(name: str, present: bool) -> None:
    import pm4py

    from pm4py_figures import ACT

    df = instances(name)
    counts = df[ACT].value_counts()
    activity = counts.index[len(counts) // 2]  # neither in every case nor in none
    want = pm4py_kept(
        pm4py.filter_event_attribute_values(df, ACT, [activity], level="case", retain=present)
    )
    got = kept(name, [ActivityFilter(str(activity), present=present)])
    assert len(got[0]) > 0 and got == want


ATTRIBUTES = [
    ("receipt.xes.gz", "org:group", "org:group"),
    ("helpdesk.xes.gz", "resource", "org:resource"),
    ("running-example.xes", "resource", "org:resource"),
]  # atomic logs: PM4Py's raw events are our activity instances


@pytest.mark.parametrize(("name", "column", "pm4py_column"), ATTRIBUTES)
@pytest.mark.parametrize(
    ("level", "keep"), [("case", True), ("case", False), ("event", True), ("event", False)]
)
def test_attribute_values_equal_pm4py(
    name: str, column: str, pm4py_column: str, level: Any, keep: bool
) -> None:
    import pm4py

    df = raw_xes(name)
    values = df[pm4py_column].dropna().astype(str).value_counts().index[1:3].tolist()
    want = pm4py_kept(
        pm4py.filter_event_attribute_values(df, pm4py_column, values, level=level, retain=keep)
    )
    got = kept(name, [AttributeFilter(column, values, keep=keep, level=level)])
    assert got == want and (got[0] or not keep)  # running-example: both values in every case


@pytest.mark.parametrize("name", ATOMIC)
def test_case_duration_equals_pm4py(name: str) -> None:
    import pm4py

    from pm4py_figures import CASE, END

    df = instances(name)
    spans = df.groupby(CASE)[END].agg(lambda t: (t.max() - t.min()).total_seconds())
    spans = spans.sort_values().reset_index(drop=True)
    lo, hi = float(spans.iloc[len(spans) // 4]), float(spans.iloc[3 * len(spans) // 4])
    want = pm4py_kept(pm4py.filter_case_performance(df, lo, hi))
    assert kept(name, [CaseDurationFilter(lo, hi)]) == want


@pytest.mark.parametrize("name", INTERVAL)
def test_case_duration_of_interval_logs_spans_first_start_to_last_end(name: str) -> None:
    from pm4py_figures import CASE, END, START

    df = instances(name)
    per_case = df.groupby(CASE).agg(first=(START, "min"), last=(END, "max"))
    spans = (per_case["last"] - per_case["first"]).dt.total_seconds()
    ordered = spans.sort_values()
    lo, hi = float(ordered.iloc[len(ordered) // 4]), float(ordered.iloc[3 * len(ordered) // 4])
    want = pm4py_kept(df[df[CASE].isin(spans.index[(spans >= lo) & (spans <= hi)])])
    assert kept(name, [CaseDurationFilter(lo, hi)]) == want


# ---------------------------------------------------------------------------------------------
# filters composed, through the whole analysis, on both engines


@pytest.mark.parametrize("engine", ENGINES)
def test_composed_filters_give_pm4pys_figures_of_the_filtered_log(engine: str) -> None:
    """Two filters in a row, then the analysis: PM4Py's DFG, variants and end activities of its
    own filtered log."""
    import pm4py

    from pm4py_figures import ACT, CASE

    name = "receipt.xes.gz"
    df = instances(name)
    lo, hi = (utc(t) for t in between(name))
    counts = df[ACT].value_counts()
    activity = str(counts.index[len(counts) // 2])
    filtered = pm4py.filter_time_range(df, lo, hi, mode="traces_intersecting")
    filtered = pm4py.filter_event_attribute_values(filtered, ACT, [activity], level="case")
    dfg, starts, ends = pm4py.discover_dfg(filtered)
    variants = pm4py.get_variants(filtered)
    with read_event_log(eventlog(name)) as log:
        got = analyze(
            log,
            filters=[TimeRangeFilter(lo, hi), ActivityFilter(activity)],
            top_variants=len(variants),
            engine=engine,  # type: ignore[arg-type]
        ).to_dict()
    assert got["log"]["cases"] == filtered[CASE].nunique() > 0
    assert got["log"]["activity_instances"] == len(filtered)
    assert {(e["source"], e["target"]): e["frequency"] for e in got["dfg"]} == dict(dfg)
    assert got["start_activities"] == dict(starts) and got["end_activities"] == dict(ends)
    assert got["variants"]["count"] == len(variants)
    assert {tuple(v["activities"]): v["cases"] for v in got["variants"]["top"]} == dict(variants)
