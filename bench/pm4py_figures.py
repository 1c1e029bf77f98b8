"""The PM4Py oracle: the figures of ``opslens analyze --format json``, computed with PM4Py.

Used two ways:

* by the tests, as the reference opslens must equal (to a relative 1e-9) on the shared logs;
* by ``bench/run_analyze.py``, as "the PM4Py script computing the same figures".

Run it as a script::

    python bench/pm4py_figures.py LOG [--top N] [--timings] > out.json

PM4Py does the work for the figures PM4Py itself defines — the DFG (frequencies and edge-duration
statistics), start and end activities, variants, rework, case durations, event counts per
activity — and pandas/numpy only glue them into the ``opslens.analysis/1`` layout (service and
waiting statistics, shares of time, bottlenecks). PM4Py is AGPL: this file lives in ``bench/``,
is imported only by benchmarks and tests, and never by ``src/``.

Semantics (see DESIGN.md, "Data contracts"):

* load: XES through ``pm4py.read_xes`` (the ``iterparse`` importer, as a DataFrame); CSV and
  Parquet through pandas; then ``pm4py.format_dataframe``. Timestamps are UTC; naive timestamps
  are taken as UTC (PM4Py's rule). The position in the file is kept in ``@@file_row``.
* lifecycle: when ``lifecycle:transition`` holds both ``start`` and ``complete``, events are paired
  by ``interval_lifecycle.to_interval`` (per case, activity and ``concept:instance``; oldest open
  start first; other transitions dropped); otherwise each event is one instance (start = end),
  unless the file has an explicit ``start_timestamp`` column (an interval log).
* order within a case: start, then end, then file position.

Time zones: PM4Py's default DataFrame columns are tz-aware UTC. Its performance DFG takes
``numpy.maximum`` of two such columns, which pandas evaluates element by element on Timestamp
objects (about 3x slower on large logs). Unless ``tz_aware=True`` (``--tz-aware``), the columns
are handed to PM4Py as naive UTC: the same instants, the same figures, PM4Py's fast path.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["load_instances", "pm4py_figures"]

CASE = "case:concept:name"
ACT = "concept:name"
END = "time:timestamp"
START = "start_timestamp"
LIFE = "lifecycle:transition"
INST = "concept:instance"
ROW = "@@file_row"
MATCHED_START_ROW = "@@startevent_" + ROW  # set by to_interval on instances that had a start

SCHEMA = "opslens.analysis/1"


def _pm4py() -> Any:
    """Import PM4Py quietly (its welcome banner and deprecation chatter go to stderr anyway)."""
    sys._pm4py_welcome_shown = True  # type: ignore[attr-defined]  # the banner's own guard
    warnings.filterwarnings("ignore", module="pm4py")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, message=".*r4pm.*")
    import pm4py

    return pm4py


# --------------------------------------------------------------------------------------------
# loading


def _read_raw(
    path: str, case: str, activity: str, timestamp: str, start: str | None
) -> pd.DataFrame:
    """The file's rows, in file order, with the XES column names and ``@@file_row``."""
    pm4py = _pm4py()
    name = os.path.basename(path).lower()
    if name.endswith((".xes", ".xes.gz")):
        # The default importer is r4pm, which needs polars; iterparse is PM4Py's own lxml parser.
        # As a DataFrame, the rows come trace by trace, event by event: file order.
        raw = pm4py.read_xes(path, variant="iterparse", show_progress_bar=False)
    elif name.endswith((".parquet", ".pq")):
        raw = pd.read_parquet(path)
    elif name.endswith((".csv", ".csv.gz", ".txt")):
        raw = pd.read_csv(path, dtype={case: str}, low_memory=False)
    else:
        raise SystemExit(f"{path}: unknown log format (want .xes, .xes.gz, .csv or .parquet)")

    start = start or (START if START in raw.columns else None)
    rename = {case: CASE, activity: ACT, timestamp: END}
    if start:
        rename[start] = START
    missing = [c for c in rename if c not in raw.columns]
    if missing:
        raise SystemExit(f"{path}: missing column(s) {missing}; columns are {list(raw.columns)}")
    keep = list(rename) + [c for c in (LIFE, INST) if c in raw.columns and c not in rename]
    df = raw[keep].rename(columns=rename)
    df[ROW] = np.arange(len(df), dtype=np.int64)
    # Parse text timestamps strictly as ISO 8601 to UTC (format_dataframe would try "mixed",
    # which parses element by element); already-typed columns are left to format_dataframe.
    for col in (END, START):
        if col in df.columns and not pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
    return df


def load_instances(
    path: str,
    *,
    case: str = CASE,
    activity: str = ACT,
    timestamp: str = END,
    start: str | None = None,
    tz_aware: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Activity instances of a log as a PM4Py DataFrame, ordered by case, start, end, file row.

    Returns the DataFrame (columns ``case:concept:name``, ``concept:name``, ``start_timestamp``,
    ``time:timestamp``, ``@@file_row``; PM4Py's ``attrs`` set; timestamps UTC, naive unless
    ``tz_aware``) and facts about the loading: ``events`` (rows read), ``rejected_rows``,
    ``lifecycle``, ``open_instances``.
    """
    pm4py = _pm4py()
    raw = _read_raw(path, case, activity, timestamp, start)
    events = len(raw)
    df = pm4py.format_dataframe(
        raw,
        case_id=CASE,
        activity_key=ACT,
        timestamp_key=END,
        start_timestamp_key=START,
    )  # UTC, string case ids and activities; sorted by case, time:timestamp, file position
    del raw
    rejected = events - len(df)
    info: dict[str, Any] = {"events": events, "rejected_rows": rejected, "open_instances": 0}

    transitions: set[str] = set()
    if LIFE in df.columns:
        transitions = {str(t).lower() for t in df[LIFE].dropna().unique()}
    if {"start", "complete"} <= transitions:
        df, info["open_instances"] = _pair_lifecycle(df)
        info["lifecycle"] = "interval"
    elif START in df.columns:
        df[START] = df[START].fillna(df[END])
        info["lifecycle"] = "interval"
    else:
        # format_dataframe sorted by (case, time:timestamp, position in the frame it was given),
        # and that frame was in file order: with start = end this is already our order.
        df[START] = df[END]
        info["lifecycle"] = "atomic"
        return _utc(df[[CASE, ACT, START, END, ROW]], tz_aware), info

    df = df.sort_values([CASE, START, END, ROW], kind="stable").reset_index(drop=True)
    out = df[[CASE, ACT, START, END, ROW]].copy()
    out.attrs = dict(df.attrs)
    return _utc(out, tz_aware), info


def _utc(df: pd.DataFrame, tz_aware: bool) -> pd.DataFrame:
    """Timestamps as UTC: tz-aware (PM4Py's default) or naive (PM4Py's fast path)."""
    for col in (START, END):
        series = df[col]
        if series.dt.tz is None:
            series = series.dt.tz_localize("UTC")
        else:
            series = series.dt.tz_convert("UTC")
        df[col] = series if tz_aware else series.dt.tz_localize(None)
    return df


def _pair_lifecycle(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Pair start/complete events with PM4Py's ``interval_lifecycle.to_interval``."""
    pm4py = _pm4py()
    from pm4py.objects.log.util import interval_lifecycle, sorting

    cols = [CASE, ACT, END, LIFE, ROW]
    if INST in df.columns and df[INST].notna().any():
        # Events without an instance id form their own group per activity (None would be
        # the key in to_interval; NaN would never equal itself).
        df = df.assign(**{INST: df[INST].astype(object).where(df[INST].notna(), "\0none")})
        cols.append(INST)
    n_starts = int((df[LIFE].astype(str).str.lower() == "start").sum())

    lifecycle_df = df[cols].sort_values([CASE, END, ROW], kind="stable")
    log = pm4py.convert_to_event_log(lifecycle_df, case_id_key=CASE)
    log = sorting.sort_timestamp(log, timestamp_key=END)  # stable within each trace
    interval_log = interval_lifecycle.to_interval(log)
    out = pm4py.convert_to_dataframe(interval_log)
    for col in (START, END):
        out[col] = pd.to_datetime(out[col], utc=True)
    matched = int(out[MATCHED_START_ROW].notna().sum()) if MATCHED_START_ROW in out else 0
    out[CASE] = out[CASE].astype("string")
    out[ACT] = out[ACT].astype("string")
    return out, n_starts - matched


# --------------------------------------------------------------------------------------------
# statistics glue


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _stats(values: Iterable[float] | np.ndarray) -> dict[str, float | None] | None:
    """mean, median, min, max, sum, sample stdev (null below 2 values); None if empty."""
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return None
    return {
        "mean": _num(a.mean()),
        "median": _num(np.median(a)),
        "min": _num(a.min()),
        "max": _num(a.max()),
        "sum": _num(a.sum()),
        "stdev": _num(a.std(ddof=1)) if a.size > 1 else None,
    }


def _iso(ts: pd.Timestamp) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    return ts.to_pydatetime().isoformat().replace("+00:00", "Z")


def _counts(mapping: Mapping[Any, Any]) -> dict[str, int]:
    """A {name: count} map as plain types, by count descending then name."""
    items = [(str(k), int(v)) for k, v in mapping.items() if int(v) > 0]
    return dict(sorted(items, key=lambda kv: (-kv[1], kv[0])))


def _share(part: float, whole: float) -> float | None:
    return _num(part / whole) if whole else None


# --------------------------------------------------------------------------------------------
# the figures


def pm4py_figures(
    path: str,
    *,
    top: int = 10,
    case: str = CASE,
    activity: str = ACT,
    timestamp: str = END,
    start: str | None = None,
    tz_aware: bool = False,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Compute the ``opslens.analysis/1`` figures of the log at ``path`` with PM4Py.

    ``top`` is the number of variants listed; ``case``/``activity``/``timestamp``/``start`` name
    the file's columns; ``tz_aware`` hands PM4Py tz-aware columns (its default, slower) instead
    of naive UTC; ``timings``, if given, receives the seconds spent in each phase.
    """
    pm4py = _pm4py()
    from pm4py.algo.discovery.dfg.adapters.pandas import df_statistics
    from pm4py.objects.log.util import pandas_numpy_variants
    from pm4py.statistics.traces.generic.pandas import case_statistics

    clock = time.perf_counter()
    marks: dict[str, float] = timings if timings is not None else {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        marks[name] = now - clock
        clock = now

    df, info = load_instances(
        path, case=case, activity=activity, timestamp=timestamp, start=start, tz_aware=tz_aware
    )
    interval = info["lifecycle"] == "interval"
    lap("load")

    # --- DFG: frequencies, start and end activities (pm4py.discover_dfg) -----------------------
    # discover_dfg sorts by (case, start_timestamp, time:timestamp) itself, stably, so rows
    # with equal times keep the frame's order: file position.
    dfg_freq, start_acts, end_acts = pm4py.discover_dfg(
        df, activity_key=ACT, timestamp_key=END, case_id_key=CASE
    )
    lap("discover_dfg")

    # --- DFG durations: max(next.start, this.end) - this.end, all statistics -------------------
    perf_args = {
        "measure": "performance",
        "activity_key": ACT,
        "case_id_glue": CASE,
        "start_timestamp_key": START,
        "timestamp_key": END,
    }
    dfg_perf = df_statistics.get_dfg_graph(df, perf_aggregation_key="all", **perf_args)
    lap("performance_dfg")
    # the same durations, unaggregated: the waiting time of each edge's target instance
    dfg_raw = df_statistics.get_dfg_graph(df, perf_aggregation_key="raw_values", **perf_args)
    lap("performance_dfg_raw")

    # --- variants: pm4py.get_variants on a DataFrame is pandas_numpy_variants.apply, whose
    #     second result maps each case to its variant (needed for per-variant durations)
    variants_count, case_variant = pandas_numpy_variants.apply(
        df, parameters={"pm4py:param:case_id_key": CASE, "pm4py:param:activity_key": ACT}
    )
    lap("variants")

    # --- case durations: pm4py.get_all_case_durations = sorted caseDuration of
    #     get_cases_description, i.e. last event's time - first event's time, by frame order.
    #     For interval logs add the start events (the lifecycle form), so that this is
    #     max(end) - min(start).
    if interval:
        lifecycle_form = pd.concat(
            [
                df[[CASE, START]].rename(columns={START: END}),
                df[[CASE, END]],
            ],
            ignore_index=True,
        ).sort_values([CASE, END], kind="stable")
    else:
        lifecycle_form = df[[CASE, END]]
    cases_description = case_statistics.get_cases_description(
        lifecycle_form,
        parameters={
            case_statistics.Parameters.CASE_ID_KEY: CASE,
            case_statistics.Parameters.TIMESTAMP_KEY: END,
            case_statistics.Parameters.ENABLE_SORT: False,
        },
    )
    del lifecycle_form
    case_duration = {str(c): float(d["caseDuration"]) for c, d in cases_description.items()}
    del cases_description
    lap("case_durations")

    # --- rework and per-activity counts ---------------------------------------------------------
    case_act = df[[CASE, ACT, END]]  # PM4Py checks that a timestamp column is present
    rework = pm4py.get_rework_cases_per_activity(case_act, activity_key=ACT, case_id_key=CASE)
    instances = pm4py.get_event_attribute_values(case_act, ACT, case_id_key=CASE)
    act_cases = pm4py.get_event_attribute_values(
        case_act, ACT, count_once_per_case=True, case_id_key=CASE
    )
    lap("rework_activities")

    # --- glue: JSON layout ----------------------------------------------------------------------
    durations = np.fromiter(case_duration.values(), dtype=np.float64, count=len(case_duration))
    total_time = float(durations.sum()) if durations.size else 0.0
    n_cases = len(case_duration)
    case_stats = _stats(durations)
    if case_stats is not None:
        case_stats["p90"] = _num(np.percentile(durations, 90))

    dfg = []
    for (src, tgt), freq in dfg_freq.items():
        perf = dfg_perf[(src, tgt)]
        dfg.append(
            {
                "source": str(src),
                "target": str(tgt),
                "frequency": int(freq),
                "duration_s": {
                    k: _num(perf[k]) for k in ("mean", "median", "min", "max", "sum", "stdev")
                },
            }
        )
    dfg.sort(key=lambda e: (-e["frequency"], e["source"], e["target"]))

    # variants: by cases descending, ties by the activity tuple
    per_variant: dict[tuple[str, ...], list[float]] = defaultdict(list)
    for c, variant in case_variant.items():
        per_variant[variant].append(case_duration[str(c)])
    ranked = sorted(
        ((tuple(str(a) for a in v), int(n), v) for v, n in variants_count.items()),
        key=lambda t: (-t[1], t[0]),
    )
    top_variants = []
    for acts, n, key in ranked[:top]:
        d = np.asarray(per_variant[key], dtype=np.float64)
        top_variants.append(
            {
                "activities": list(acts),
                "cases": n,
                "share": _share(n, n_cases),
                "duration_s": {"mean": _num(d.mean()), "median": _num(np.median(d))},
            }
        )

    # waiting per target activity, from the raw edge durations
    waiting_values: dict[str, list[np.ndarray]] = defaultdict(list)
    for (_src, tgt), values in dfg_raw.items():
        waiting_values[str(tgt)].append(np.asarray(values, dtype=np.float64))
    waiting = {a: _stats(np.concatenate(v)) for a, v in waiting_values.items()}

    service: dict[str, dict[str, float | None] | None] = {}
    if interval:
        svc = (df[END] - df[START]).dt.total_seconds().to_numpy(dtype=np.float64)
        acts_arr = df[ACT].to_numpy(dtype=object)
        order = np.argsort(acts_arr, kind="stable")
        names, starts = np.unique(acts_arr[order], return_index=True)
        for name, chunk in zip(names, np.split(svc[order], starts[1:]), strict=True):
            service[str(name)] = _stats(chunk)

    rework_map = _counts(rework)
    activities = []
    bottlenecks = []
    for act, n in instances.items():
        act = str(act)
        svc_stats = service.get(act)
        wait_stats = waiting.get(act)
        total = (svc_stats["sum"] if svc_stats else 0.0) + (
            wait_stats["sum"] if wait_stats else 0.0
        )
        activities.append(
            {
                "activity": act,
                "instances": int(n),
                "cases": int(act_cases[act]),
                "rework_cases": rework_map.get(act, 0),
                "service_s": svc_stats,
                "waiting_s": wait_stats,
                "share_of_time": _share(total, total_time),
            }
        )
        if total:
            bottlenecks.append(
                {
                    "kind": "activity",
                    "name": act,
                    "total_s": _num(total),
                    "share_of_time": _share(total, total_time),
                    "mean_s": _num(total / int(n)),
                }
            )
    activities.sort(key=lambda a: (-a["instances"], a["activity"]))
    for edge in dfg:
        total = edge["duration_s"]["sum"]
        if total:
            bottlenecks.append(
                {
                    "kind": "transition",
                    "name": f"{edge['source']} → {edge['target']}",
                    "total_s": total,
                    "share_of_time": _share(total, total_time),
                    "mean_s": edge["duration_s"]["mean"],
                }
            )
    bottlenecks.sort(key=lambda b: (-b["total_s"], b["kind"], b["name"]))

    result = {
        "schema": SCHEMA,
        "source": os.path.basename(path),
        "oracle": f"pm4py {pm4py.__version__}",
        "log": {
            "events": info["events"],
            "activity_instances": len(df),
            "cases": n_cases,
            "activities": len(instances),
            "lifecycle": info["lifecycle"],
            "first": _iso(df[START].min()) if len(df) else None,
            "last": _iso(df[END].max()) if len(df) else None,
            "rejected_rows": info["rejected_rows"],
            "open_instances": info["open_instances"],
        },
        "dfg": dfg,
        "start_activities": _counts(start_acts),
        "end_activities": _counts(end_acts),
        "activities": activities,
        "case_duration_s": case_stats,
        "variants": {"count": len(variants_count), "top": top_variants},
        "rework_cases": rework_map,
        "bottlenecks": bottlenecks,
    }
    lap("glue")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", help="event log: .xes, .xes.gz, .csv or .parquet")
    parser.add_argument("--top", type=int, default=10, help="number of top variants (10)")
    parser.add_argument("--case", default=CASE, help=f"case id column ({CASE})")
    parser.add_argument("--activity", default=ACT, help=f"activity column ({ACT})")
    parser.add_argument("--timestamp", default=END, help=f"end timestamp column ({END})")
    parser.add_argument("--start", default=None, help=f"start timestamp column ({START} if any)")
    parser.add_argument("--out", default="-", help="output file (- for stdout)")
    parser.add_argument(
        "--tz-aware",
        action="store_true",
        help="give PM4Py tz-aware UTC columns (its default; slower) instead of naive UTC",
    )
    parser.add_argument("--timings", action="store_true", help="print phase timings to stderr")
    args = parser.parse_args(argv)

    marks: dict[str, float] = {}
    result = pm4py_figures(
        args.log,
        top=args.top,
        case=args.case,
        activity=args.activity,
        timestamp=args.timestamp,
        start=args.start,
        tz_aware=args.tz_aware,
        timings=marks,
    )
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    if args.timings:
        total = sum(marks.values())
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in marks.items())
        print(f"pm4py_figures: {total:.2f}s ({parts})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
