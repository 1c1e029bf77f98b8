"""A deliberately naive pure-Python reference of the ``opslens.analysis/1`` figures.

It exists only to be compared with :func:`opslens.core.mining.analyze` in property tests, so it
favours being obviously right over being fast: plain lists and dicts, times as integer
microseconds (exact arithmetic until the final conversion to seconds), one small function per
definition. It shares no code with ``src/opslens/core/mining``.

The output has the shape of ``AnalysisResult.to_dict()`` with two changes that make the
comparison independent of list order: ``dfg`` is a dict keyed by ``(source, target)`` and
``activities`` a dict keyed by activity name (neither repeats the key inside the value).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""Time zero of the integer-microsecond times used below."""

US = 1_000_000


def to_datetime(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def iso(us: int) -> str:
    return to_datetime(us).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Row:
    """One input row; ``row`` is its 1-based position in the table."""

    row: int
    case: str
    activity: str
    end: int
    start: int | None = None
    lifecycle: str | None = None


@dataclass(frozen=True)
class Instance:
    case: str
    activity: str
    start: int
    end: int
    row: int


# -- rows -> activity instances ----------------------------------------------------------------


def is_rejected(r: Row) -> bool:
    return r.start is not None and r.start > r.end


def wants_pairing(rows: list[Row]) -> bool:
    """Pairing happens when the lifecycle values include both ``start`` and ``complete``."""
    values = {(r.lifecycle or "").lower() for r in rows}
    return "start" in values and "complete" in values


def pair_lifecycle(rows: list[Row]) -> tuple[list[Instance], int]:
    """FIFO pairing per (case, activity); returns the instances and the unclosed starts."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        groups.setdefault((r.case, r.activity), []).append(r)
    instances: list[Instance] = []
    unclosed = 0
    for (case, activity), group in groups.items():
        open_starts: list[Row] = []  # oldest first
        for r in sorted(group, key=lambda r: (r.end, r.row)):
            transition = (r.lifecycle or "").lower()
            if transition == "start":
                open_starts.append(r)
            elif transition == "complete":
                if open_starts:
                    opened = open_starts.pop(0)
                    instances.append(Instance(case, activity, opened.end, r.end, r.row))
                else:
                    instances.append(Instance(case, activity, r.end, r.end, r.row))
            # any other transition is dropped
        unclosed += len(open_starts)
    return instances, unclosed


def to_instances(rows: list[Row]) -> tuple[list[Instance], int, bool]:
    """(instances, open instances, whether lifecycle pairing happened) of the accepted rows."""
    rows = [r for r in rows if not is_rejected(r)]
    if wants_pairing(rows):
        instances, unclosed = pair_lifecycle(rows)
        return instances, unclosed, True
    instances = [
        Instance(r.case, r.activity, r.end if r.start is None else r.start, r.end, r.row)
        for r in rows
    ]
    return instances, 0, False


# -- statistics --------------------------------------------------------------------------------


def seconds(us: int) -> float:
    return us / US


def stats(durations_us: list[int]) -> dict[str, float | None]:
    xs = [seconds(d) for d in durations_us]
    return {
        "mean": statistics.fmean(xs),
        "median": float(statistics.median(xs)),
        "min": min(xs),
        "max": max(xs),
        "sum": math.fsum(xs),
        "stdev": statistics.stdev(xs) if len(xs) >= 2 else None,
    }


def p90(durations_us: list[int]) -> float:
    """numpy.percentile(xs, 90) with the default linear interpolation."""
    xs = sorted(seconds(d) for d in durations_us)
    position = (len(xs) - 1) * 0.9
    lo = math.floor(position)
    hi = math.ceil(position)
    return xs[lo] + (xs[hi] - xs[lo]) * (position - lo)


# -- the analysis ------------------------------------------------------------------------------


def analyze_reference(rows: list[Row], *, top_variants: int = 10) -> dict:
    instances, open_instances, paired = to_instances(rows)
    assert instances, "the reference needs at least one activity instance"

    # cases, each as its instances in (start, end, row) order
    cases: dict[str, list[Instance]] = {}
    for inst in instances:
        cases.setdefault(inst.case, []).append(inst)
    for case_id in cases:
        cases[case_id].sort(key=lambda i: (i.start, i.end, i.row))

    interval = paired or any(i.start != i.end for i in instances)
    names = sorted({i.activity for i in instances})

    # directly-follows pairs with their duration: max(b.start, a.end) - a.end
    edges: dict[tuple[str, str], list[int]] = {}
    waiting: dict[str, list[int]] = {a: [] for a in names}
    for seq in cases.values():
        for a, b in pairwise(seq):
            gap = max(b.start, a.end) - a.end
            edges.setdefault((a.activity, b.activity), []).append(gap)
            waiting[b.activity].append(gap)

    case_duration = {
        case_id: max(i.end for i in seq) - min(i.start for i in seq)
        for case_id, seq in cases.items()
    }
    total_case_time = seconds(sum(case_duration.values()))

    def share(total_s: float) -> float:
        return total_s / total_case_time if total_case_time else 0.0

    # rework: cases where an activity has more than one instance
    rework = Counter()
    for seq in cases.values():
        for activity, n in Counter(i.activity for i in seq).items():
            if n > 1:
                rework[activity] += 1

    activities = {}
    totals: dict[str, float] = {}
    for a in names:
        mine = [i for i in instances if i.activity == a]
        service = [i.end - i.start for i in mine]
        service_sum = seconds(sum(service)) if interval else 0.0
        waiting_sum = seconds(sum(waiting[a]))
        totals[a] = service_sum + waiting_sum
        activities[a] = {
            "instances": len(mine),
            "cases": len({i.case for i in mine}),
            "rework_cases": rework[a],
            "service_s": stats(service) if interval else None,
            "waiting_s": stats(waiting[a]) if waiting[a] else None,
            "share_of_time": share(totals[a]),
        }

    # variants
    by_sequence: dict[tuple[str, ...], list[str]] = {}
    for case_id, seq in cases.items():
        by_sequence.setdefault(tuple(i.activity for i in seq), []).append(case_id)
    ranked = sorted(by_sequence.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    top = [
        {
            "activities": list(sequence),
            "cases": len(case_ids),
            "share": len(case_ids) / len(cases),
            "duration_s": {
                "mean": statistics.fmean(seconds(case_duration[c]) for c in case_ids),
                "median": float(statistics.median(seconds(case_duration[c]) for c in case_ids)),
            },
        }
        for sequence, case_ids in ranked[:top_variants]
    ]

    # bottlenecks, kept with exact microsecond totals for the ordering
    candidates = []
    for a in names:
        service_us = sum(i.end - i.start for i in instances if i.activity == a) if interval else 0
        total_us = service_us + sum(waiting[a])
        if total_us > 0:
            n = activities[a]["instances"]
            candidates.append((total_us, "activity", a, seconds(total_us) / n))
    for (a, b), gaps in edges.items():
        if sum(gaps) > 0:
            candidates.append((sum(gaps), "transition", f"{a} → {b}", stats(gaps)["mean"]))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    bottlenecks = [
        {
            "kind": kind,
            "name": name,
            "total_s": seconds(total_us),
            "share_of_time": share(seconds(total_us)),
            "mean_s": mean_s,
        }
        for total_us, kind, name, mean_s in candidates
    ]

    durations = list(case_duration.values())
    return {
        "log": {
            "cases": len(cases),
            "activity_instances": len(instances),
            "activities": len(names),
            "first": iso(min(i.start for i in instances)),
            "last": iso(max(i.end for i in instances)),
            "lifecycle": "interval" if interval else "atomic",
            "rejected_rows": sum(1 for r in rows if is_rejected(r)),
            "open_instances": open_instances,
        },
        "dfg": {
            key: {"frequency": len(gaps), "duration_s": stats(gaps)} for key, gaps in edges.items()
        },
        "start_activities": dict(Counter(seq[0].activity for seq in cases.values())),
        "end_activities": dict(Counter(seq[-1].activity for seq in cases.values())),
        "activities": activities,
        "case_duration_s": {**stats(durations), "p90": p90(durations)},
        "variants": {"count": len(by_sequence), "top": top},
        "rework_cases": dict(rework),
        "bottlenecks": bottlenecks,
    }


def comparable(result: dict) -> dict:
    """``AnalysisResult.to_dict()`` reshaped like :func:`analyze_reference`'s output."""
    dfg = {(e["source"], e["target"]): e for e in result["dfg"]}
    acts = {a["activity"]: a for a in result["activities"]}
    assert len(dfg) == len(result["dfg"]), "repeated DFG edge"
    assert len(acts) == len(result["activities"]), "repeated activity"
    log_keys = (
        "cases",
        "activity_instances",
        "activities",
        "first",
        "last",
        "lifecycle",
        "rejected_rows",
        "open_instances",
    )
    return {
        "log": {k: result["log"][k] for k in log_keys},
        "dfg": {
            k: {"frequency": e["frequency"], "duration_s": e["duration_s"]} for k, e in dfg.items()
        },
        "start_activities": result["start_activities"],
        "end_activities": result["end_activities"],
        "activities": {k: {f: v for f, v in a.items() if f != "activity"} for k, a in acts.items()},
        "case_duration_s": result["case_duration_s"],
        "variants": result["variants"],
        "rework_cases": result["rework_cases"],
        "bottlenecks": result["bottlenecks"],
    }


def differences(actual: object, expected: object, path: str = "") -> list[str]:
    """Every place where ``actual`` and ``expected`` differ (floats with rel/abs tolerance 1e-9)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual), key=repr):
            where = f"{path}[{key!r}]"
            if key not in actual:
                out.append(f"{where}: missing, expected {expected[key]!r}")
            elif key not in expected:
                out.append(f"{where}: unexpected {actual[key]!r}")
            else:
                out.extend(differences(actual[key], expected[key], where))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(actual) != len(expected):
            return [f"{path}: length {len(actual)} != {len(expected)}: {actual!r} vs {expected!r}"]
        out = []
        for n, (a, e) in enumerate(zip(actual, expected, strict=True)):
            out.extend(differences(a, e, f"{path}[{n}]"))
        return out
    if isinstance(expected, float) and isinstance(actual, int | float) and actual is not None:
        if isinstance(actual, bool) or not math.isclose(
            actual, expected, rel_tol=1e-9, abs_tol=1e-9
        ):
            return [f"{path}: {actual!r} != {expected!r}"]
        return []
    if type(actual) is not type(expected) or actual != expected:
        return [f"{path}: {actual!r} != {expected!r}"]
    return []
