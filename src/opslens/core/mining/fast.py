"""The fast engine: one DuckDB sort, then vectorised NumPy passes over the sorted instances.

DuckDB reads the (filtered) canonical events and sorts them once by case, start, end and file
position. Everything sequential — the directly-follows pairs, waiting times, case boundaries,
variant fingerprints — is then one vectorised NumPy pass over those arrays, and every grouped
statistic is one parallel DuckDB aggregation over Arrow views of them. Its figures equal the
portable Ibis engine's (:mod:`opslens.core.mining.portable`); the tests run both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from opslens.core.errors import InsufficientDataError
from opslens.core.mining._assemble import Aggregates, StatsRow

__all__ = ["aggregate_fast"]

_US = 1_000_000.0

# Stats of a BIGINT microsecond column, in seconds, in the StatsRow order.
_STATS_SQL = (
    "count(*), avg(d) / 1e6, quantile_cont(d, 0.5) / 1e6, min(d) / 1e6, max(d) / 1e6, "
    "sum(d) / 1e6, stddev_samp(d) / 1e6"
)

# Two odd 64-bit multipliers for the polynomial fingerprints of the variants.
_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _stats_rows(con: duckdb.DuckDBPyConnection, sql: str) -> dict[int, StatsRow]:
    return {int(r[0]): tuple(r[1:]) for r in con.execute(sql).fetchall()}


def _powers(base: np.uint64, n: int) -> npt.NDArray[np.uint64]:
    out = np.empty(max(n, 1), dtype=np.uint64)
    out[0] = 1
    if n > 1:
        out[1:] = base
        with np.errstate(over="ignore"):
            np.multiply.accumulate(out, out=out)
    return out


def aggregate_fast(
    con: duckdb.DuckDBPyConnection, relation: str, *, _exact_order: bool = False
) -> Aggregates:
    """Compute the engine aggregates of the events in ``relation`` (a view or a subquery)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __names AS
        SELECT activity, CAST(row_number() OVER (ORDER BY activity) - 1 AS INTEGER) AS code
        FROM (SELECT DISTINCT activity FROM {relation})
        """
    )
    names = [r[0] for r in con.execute("SELECT activity FROM __names ORDER BY code").fetchall()]
    if not names:
        raise InsufficientDataError("no events are left to analyse (check the filters)")
    # Sorting by a 64-bit hash of the case id instead of the string is the biggest single saving;
    # a second, independent hash detects the (astronomically rare) collision of the first.
    if _exact_order:  # the fallback: a dense rank of the case id itself
        key, key2 = "dense_rank() OVER (ORDER BY e.case_id)", "0"
    else:
        key, key2 = "hash(e.case_id)", "hash(e.case_id || chr(31))"
    sorted_tbl = con.sql(
        f"""
        SELECT {key} AS h, {key2} AS h2, n.code AS a,
               epoch_us(e.start) AS s, epoch_us(e."end") AS t
        FROM (SELECT * FROM {relation}) AS e JOIN __names AS n USING (activity)
        ORDER BY h, e.start, e."end", e.row
        """
    ).to_arrow_table()
    h = sorted_tbl.column("h").to_numpy()
    h2 = sorted_tbl.column("h2").to_numpy()
    act = sorted_tbl.column("a").to_numpy()
    s = sorted_tbl.column("s").to_numpy()
    t = sorted_tbl.column("t").to_numpy()
    del sorted_tbl
    n = act.size
    new_case = np.empty(n, dtype=bool)
    new_case[0] = True
    np.not_equal(h[1:], h[:-1], out=new_case[1:])
    if np.any(~new_case[1:] & (h2[1:] != h2[:-1])):
        return aggregate_fast(con, relation, _exact_order=True)
    del h, h2
    starts = np.flatnonzero(new_case)
    n_cases = starts.size
    ends = np.empty(n_cases, dtype=np.int64)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    case_idx = np.cumsum(new_case, dtype=np.int32) - 1

    case_first = s[starts]  # rows are sorted by start within a case
    case_last = np.maximum.reduceat(t, starts)
    case_durations = (case_last - case_first) / _US

    start_counts = np.bincount(act[starts], minlength=len(names))
    end_counts = np.bincount(act[ends], minlength=len(names))

    # Directly-follows pairs: row i -> i+1 inside one case.
    same = ~new_case[1:]
    src = act[:-1][same]
    dst = act[1:][same]
    prev_end = t[:-1][same]
    edge_us = np.maximum(s[1:][same], prev_end) - prev_end
    edges_tbl = pa.table({"src": src, "dst": dst, "d": edge_us})
    con.register("__edges", edges_tbl)
    edge_rows = con.execute(
        f"SELECT src, dst, {_STATS_SQL} FROM __edges GROUP BY src, dst"
    ).fetchall()
    edges = [(int(r[0]), int(r[1]), tuple(r[2:])) for r in edge_rows]
    waiting = _stats_rows(con, f"SELECT dst, {_STATS_SQL} FROM __edges GROUP BY dst")
    con.unregister("__edges")
    del edges_tbl, src, dst, prev_end, edge_us

    inst_tbl = pa.table({"c": case_idx, "a": act, "d": t - s})
    con.register("__inst", inst_tbl)
    service = _stats_rows(con, f"SELECT a, {_STATS_SQL} FROM __inst GROUP BY a")
    per_activity = {
        int(a): (int(i), int(c), int(r))
        for a, i, c, r in con.execute(
            """
            SELECT a, sum(k), count(*), count(*) FILTER (WHERE k > 1)
            FROM (SELECT c, a, count(*) AS k FROM __inst GROUP BY c, a) GROUP BY a
            """
        ).fetchall()
    }
    con.unregister("__inst")
    del inst_tbl

    variant_rows, sequence = _variants(con, act, starts, ends, case_idx, case_last - case_first)

    first = datetime.fromtimestamp(int(s.min()) / _US, tz=UTC)
    last = datetime.fromtimestamp(int(t.max()) / _US, tz=UTC)
    return Aggregates(
        activity_names=names,
        instances=n,
        edges=edges,
        start_counts={i: int(c) for i, c in enumerate(start_counts) if c},
        end_counts={i: int(c) for i, c in enumerate(end_counts) if c},
        per_activity=per_activity,
        service=service,
        waiting=waiting,
        case_durations=case_durations,
        variant_count=len(variant_rows),
        variant_rows=variant_rows,
        variant_sequence=sequence,
        first=first,
        last=last,
    )


VariantRows = list[tuple[int, float, float, int]]


def _variants(
    con: duckdb.DuckDBPyConnection,
    act: npt.NDArray[np.int32],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    case_idx: npt.NDArray[np.int32],
    duration_us: npt.NDArray[np.int64],
) -> tuple[VariantRows, Callable[[int], tuple[int, ...]]]:
    """Group cases by their activity sequence: (cases, mean s, median s, representative case).

    Two 64-bit polynomial fingerprints per case group the cases in one vectorised pass; an exact
    check then compares every event with the same position of its group's representative, and
    falls back to grouping by the sequences themselves if a fingerprint ever collided.
    """
    n_cases = starts.size
    lengths = ends - starts + 1
    pos = np.arange(act.size, dtype=np.int64) - starts[case_idx]
    max_len = int(lengths.max())
    code = act.astype(np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        h1 = np.add.reduceat(code * _powers(_P1, max_len)[pos], starts)
        h2 = np.add.reduceat(code * _powers(_P2, max_len)[pos], starts)
    del code
    con.register(
        "__cases",
        pa.table(
            {"h1": h1, "h2": h2, "len": lengths, "case": np.arange(n_cases), "d": duration_us}
        ),
    )
    rows = con.execute(
        """
        SELECT count(*), avg(d) / 1e6, quantile_cont(d, 0.5) / 1e6, min("case")
        FROM __cases GROUP BY h1, h2, len
        """
    ).fetchall()
    reps = con.execute(
        'SELECT min("case") OVER (PARTITION BY h1, h2, len) AS rep FROM __cases ORDER BY "case"'
    ).fetchnumpy()["rep"]
    con.unregister("__cases")
    reps = np.asarray(reps, dtype=np.int64)

    def sequence(rep: int) -> tuple[int, ...]:
        return tuple(int(x) for x in act[starts[rep] : ends[rep] + 1])

    if np.array_equal(act[starts[reps][case_idx] + pos], act):
        return [(int(r[0]), float(r[1]), float(r[2]), int(r[3])) for r in rows], sequence

    groups: dict[tuple[int, ...], list[int]] = {}
    for case in range(n_cases):
        groups.setdefault(sequence(case), []).append(case)
    exact: VariantRows = []
    for members in groups.values():
        d = duration_us[np.asarray(members)] / _US
        exact.append((len(members), float(d.mean()), float(np.median(d)), members[0]))
    return exact, sequence
