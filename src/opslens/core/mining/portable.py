"""The portable engine: every figure as Ibis expressions, so it runs on any Ibis backend.

This is the reference the fast engine is held to (the tests run both on every shared log) and
the path to scale-out backends (Spark, Trino, PostgreSQL …) that cannot run NumPy next to the
data. It issues one query per figure group; the fast engine does one sort instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np

from opslens.core.errors import InsufficientDataError
from opslens.core.mining._assemble import Aggregates, StatsRow

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["aggregate_portable"]

_US = 1_000_000.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _stat_exprs(d: ir.IntegerColumn) -> dict[str, Any]:
    return {
        "n": d.count(),
        "mean": d.mean(),
        "median": d.median(),
        "min": d.min(),
        "max": d.max(),
        "sum": d.sum(),
        "std": d.std(how="sample"),
    }


def _stats_row(r: dict[str, Any]) -> StatsRow:
    std = r["std"]
    return (
        int(r["n"]),
        float(r["mean"]) / _US,
        float(r["median"]) / _US,
        float(r["min"]) / _US,
        float(r["max"]) / _US,
        float(r["sum"]) / _US,
        None if std is None or int(r["n"]) < 2 else float(std) / _US,
    )


def _rows(expr: ir.Table) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()  # type: ignore[no-any-return]


def aggregate_portable(table: ir.Table) -> Aggregates:
    """Compute the engine aggregates of ``table`` (canonical events) with Ibis expressions."""
    epoch = ibis.literal(_EPOCH)
    t = table.mutate(
        s=table.start.delta(epoch, unit="microsecond"),
        e=table.end.delta(epoch, unit="microsecond"),
    )
    names = [r["activity"] for r in _rows(t.select("activity").distinct().order_by("activity"))]
    if not names:
        raise InsufficientDataError("no events are left to analyse (check the filters)")
    code = {name: i for i, name in enumerate(names)}

    w = ibis.window(group_by=t.case_id, order_by=[t.s, t.e, t.row])
    ordered = t.mutate(
        next_activity=t.activity.lead().over(w),
        next_s=t.s.lead().over(w),
        position=ibis.row_number().over(w),
        case_size=t.count().over(ibis.window(group_by=t.case_id)),
    )
    pairs = ordered.filter(ordered.position < ordered.case_size - 1)
    pairs = pairs.mutate(d=ibis.greatest(pairs.next_s, pairs.e) - pairs.e)
    edges = [
        (code[r["activity"]], code[r["next_activity"]], _stats_row(r))
        for r in _rows(
            pairs.group_by(["activity", "next_activity"]).aggregate(**_stat_exprs(pairs.d))
        )
    ]
    waiting = {
        code[r["next_activity"]]: _stats_row(r)
        for r in _rows(pairs.group_by("next_activity").aggregate(**_stat_exprs(pairs.d)))
    }
    firsts = ordered.filter(ordered.position == 0)
    lasts = ordered.filter(ordered.position == ordered.case_size - 1)
    start_counts = {
        code[r["activity"]]: int(r["n"])
        for r in _rows(firsts.group_by("activity").aggregate(n=firsts.count()))
    }
    end_counts = {
        code[r["activity"]]: int(r["n"])
        for r in _rows(lasts.group_by("activity").aggregate(n=lasts.count()))
    }
    inst = t.mutate(d=t.e - t.s)
    service = {
        code[r["activity"]]: _stats_row(r)
        for r in _rows(inst.group_by("activity").aggregate(**_stat_exprs(inst.d)))
    }
    per_case = t.group_by(["case_id", "activity"]).aggregate(k=t.count())
    per_activity = {
        code[r["activity"]]: (int(r["instances"]), int(r["cases"]), int(r["rework"]))
        for r in _rows(
            per_case.group_by("activity").aggregate(
                instances=per_case.k.sum(),
                cases=per_case.count(),
                rework=(per_case.k > 1).sum(),
            )
        )
    }
    cases = t.group_by("case_id").aggregate(
        d=t.e.max() - t.s.min(),
        seq=t.activity.collect(order_by=[t.s, t.e, t.row]),
    )
    durations = cases.select("d").to_pyarrow().column("d").to_numpy()
    case_durations = np.asarray(durations, dtype=np.int64) / _US
    variants = _rows(
        cases.group_by("seq").aggregate(
            n=cases.count(), mean=cases.d.mean(), median=cases.d.median()
        )
    )
    sequences = [tuple(code[a] for a in v["seq"]) for v in variants]
    variant_cases = np.array([int(v["n"]) for v in variants], dtype=np.int64)
    variant_mean = np.array([float(v["mean"]) / _US for v in variants], dtype=np.float64)
    variant_median = np.array([float(v["median"]) / _US for v in variants], dtype=np.float64)
    bounds = _rows(t.aggregate(first=t.s.min(), last=t.e.max(), n=t.count()))[0]
    return Aggregates(
        activity_names=names,
        instances=int(bounds["n"]),
        edges=edges,
        start_counts=start_counts,
        end_counts=end_counts,
        per_activity=per_activity,
        service=service,
        waiting=waiting,
        case_durations=case_durations,
        variant_cases=variant_cases,
        variant_mean=variant_mean,
        variant_median=variant_median,
        variant_key=np.arange(len(variants), dtype=np.int64),
        variant_sequence=lambda key: sequences[key],
        first=datetime.fromtimestamp(int(bounds["first"]) / _US, tz=UTC),
        last=datetime.fromtimestamp(int(bounds["last"]) / _US, tz=UTC),
    )
