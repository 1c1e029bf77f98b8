"""The fast engine: one DuckDB sort, then vectorised NumPy passes over the sorted instances.

DuckDB reads the (filtered) canonical events and sorts them once by case, start, end and file
position. Everything sequential — the directly-follows pairs, waiting times, case boundaries,
variant fingerprints — is then one vectorised NumPy pass over those arrays, and the grouped
statistics that need medians are parallel DuckDB aggregations over Arrow views of them. Its
figures equal the portable Ibis engine's (:mod:`opslens.core.mining.portable`); the tests run both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from opslens.core.errors import InsufficientDataError
from opslens.core.mining._assemble import Aggregates, StatsRow

__all__ = ["aggregate_fast"]

_US = 1_000_000.0

# Stats of a BIGINT microsecond column ``d``, in seconds, in the StatsRow order.
_STATS_SQL = (
    "count(*), avg(d) / 1e6, quantile_cont(d, 0.5) / 1e6, min(d) / 1e6, max(d) / 1e6, "
    "sum(d) / 1e6, stddev_samp(d) / 1e6"
)

# Two odd 64-bit multipliers for the polynomial fingerprints of the variants.
_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)

IntArray = npt.NDArray[np.int64]


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


def _column(table: pa.Table, name: str) -> npt.NDArray[np.generic]:
    values: npt.NDArray[np.generic] = (
        table.column(name).combine_chunks().to_numpy(zero_copy_only=False)
    )
    return values


def _sorted_instances(
    con: duckdb.DuckDBPyConnection, relation: str, exact: bool
) -> tuple[list[str], npt.NDArray[np.int32], IntArray, IntArray, npt.NDArray[np.bool_]] | None:
    """One scan and one sort: activity codes (in name order), start, end, new-case flags.

    Sorting by a 64-bit hash of the case id instead of the string is the biggest single saving;
    a second, independent hash detects the (astronomically rare) collision of the first, and
    then this returns ``None`` so that the caller sorts by the case id itself.
    """
    if exact:
        key, key2 = "dense_rank() OVER (ORDER BY case_id)", "0"
    else:
        key, key2 = "hash(case_id)", "hash(case_id || chr(31))"
    table = con.sql(
        f"""
        SELECT {key} AS h, {key2} AS h2, activity AS a,
               epoch_us(start) AS s, epoch_us("end") AS t
        FROM {relation}
        ORDER BY h, start, "end", row
        """
    ).to_arrow_table()
    if table.num_rows == 0:
        raise InsufficientDataError("no events are left to analyse (check the filters)")
    encoded = pc.dictionary_encode(table.column("a").combine_chunks())
    dictionary = encoded.dictionary.to_pylist()
    names = sorted(dictionary)
    rank = np.empty(len(dictionary), dtype=np.int32)
    position = {name: i for i, name in enumerate(names)}
    for i, name in enumerate(dictionary):
        rank[i] = position[name]
    act = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    h = _column(table, "h")
    h2 = _column(table, "h2")
    s = _column(table, "s").astype(np.int64, copy=False)
    t = _column(table, "t").astype(np.int64, copy=False)
    del table, encoded
    n = act.size
    new_case = np.empty(n, dtype=bool)
    new_case[0] = True
    np.not_equal(h[1:], h[:-1], out=new_case[1:])
    if not exact and np.any(~new_case[1:] & (h2[1:] != h2[:-1])):
        return None
    return names, act, s, t, new_case


def aggregate_fast(con: duckdb.DuckDBPyConnection, relation: str) -> Aggregates:
    """Compute the engine aggregates of the events in ``relation`` (a view or a subquery)."""
    got = _sorted_instances(con, relation, exact=False) or _sorted_instances(
        con, relation, exact=True
    )
    assert got is not None
    names, act, s, t, new_case = got
    n = act.size
    n_act = len(names)
    starts = np.flatnonzero(new_case)
    n_cases = starts.size
    ends = np.empty(n_cases, dtype=np.int64)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    case_idx = np.cumsum(new_case, dtype=np.int32) - 1

    case_first = s[starts]  # rows are sorted by start within a case
    case_last = np.maximum.reduceat(t, starts)
    duration_us = case_last - case_first

    start_counts = np.bincount(act[starts], minlength=n_act)
    end_counts = np.bincount(act[ends], minlength=n_act)

    # Directly-follows pairs: row i -> i+1 inside one case.
    same = ~new_case[1:]
    prev_end = t[:-1][same]
    edges_tbl = pa.table(
        {
            "src": act[:-1][same],
            "dst": act[1:][same],
            "d": np.maximum(s[1:][same], prev_end) - prev_end,
        }
    )
    del prev_end, same
    con.register("__edges", edges_tbl)
    try:
        edge_rows = con.execute(
            f"SELECT src, dst, {_STATS_SQL} FROM __edges GROUP BY src, dst"
        ).fetchall()
        waiting = _stats_rows(con, f"SELECT dst, {_STATS_SQL} FROM __edges GROUP BY dst")
    finally:
        con.unregister("__edges")
    del edges_tbl
    edges = [(int(r[0]), int(r[1]), tuple(r[2:])) for r in edge_rows]

    con.register("__inst", pa.table({"a": act, "d": t - s}))
    try:
        service = _stats_rows(con, f"SELECT a, {_STATS_SQL} FROM __inst GROUP BY a")
    finally:
        con.unregister("__inst")

    per_activity = _cases_per_activity(act, case_idx, n_act)
    variant_rows, sequence = _variants(con, act, starts, ends, case_idx, duration_us)

    return Aggregates(
        activity_names=names,
        instances=n,
        edges=edges,
        start_counts={i: int(c) for i, c in enumerate(start_counts) if c},
        end_counts={i: int(c) for i, c in enumerate(end_counts) if c},
        per_activity=per_activity,
        service=service,
        waiting=waiting,
        case_durations=duration_us / _US,
        variant_cases=variant_rows[0],
        variant_mean=variant_rows[1],
        variant_median=variant_rows[2],
        variant_key=variant_rows[3],
        variant_sequence=sequence,
        first=datetime.fromtimestamp(int(case_first.min()) / _US, tz=UTC),
        last=datetime.fromtimestamp(int(case_last.max()) / _US, tz=UTC),
    )


def _cases_per_activity(
    act: npt.NDArray[np.int32], case_idx: npt.NDArray[np.int32], n_act: int
) -> dict[int, tuple[int, int, int]]:
    """Per activity: instances, cases containing it, cases with more than one instance.

    A stable sort by activity keeps the case order inside each activity (a linear-time radix
    sort for up to 65,536 activities), so (activity, case) runs are contiguous.
    """
    small = act.astype(np.uint16) if n_act <= 65536 else act
    order = np.argsort(small, kind="stable")
    a = act[order]
    c = case_idx[order]
    del order
    boundary = np.empty(a.size, dtype=bool)
    boundary[0] = True
    boundary[1:] = (a[1:] != a[:-1]) | (c[1:] != c[:-1])
    run_starts = np.flatnonzero(boundary)
    run_lengths = np.diff(np.append(run_starts, a.size))
    run_act = a[run_starts]
    instances = np.bincount(a, minlength=n_act)
    cases = np.bincount(run_act, minlength=n_act)
    rework = np.bincount(run_act, weights=run_lengths > 1, minlength=n_act).astype(np.int64)
    return {
        i: (int(instances[i]), int(cases[i]), int(rework[i])) for i in range(n_act) if instances[i]
    }


VariantColumns = tuple[IntArray, npt.NDArray[np.float64], npt.NDArray[np.float64], IntArray]


def _variants(
    con: duckdb.DuckDBPyConnection,
    act: npt.NDArray[np.int32],
    starts: IntArray,
    ends: IntArray,
    case_idx: npt.NDArray[np.int32],
    duration_us: IntArray,
) -> tuple[VariantColumns, Callable[[int], tuple[int, ...]]]:
    """Group cases by activity sequence: cases, mean s, median s, representative case.

    Two 64-bit polynomial fingerprints per case group the cases in one vectorised pass; an exact
    check then compares every event with the same position in its group's representative, and
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
        pa.table({"h1": h1, "h2": h2, "n": lengths, "c": np.arange(n_cases), "d": duration_us}),
    )
    try:
        groups = con.execute(
            """
            CREATE OR REPLACE TEMP TABLE __variants AS
            SELECT h1, h2, n, count(*) AS cases, avg(d) / 1e6 AS mean,
                   quantile_cont(d, 0.5) / 1e6 AS median, min(c) AS rep
            FROM __cases GROUP BY h1, h2, n
            """
        )
        rep_of_case = con.execute(
            "SELECT v.rep FROM __cases c JOIN __variants v USING (h1, h2, n) ORDER BY c.c"
        ).fetchnumpy()["rep"]
        cols = con.execute("SELECT cases, mean, median, rep FROM __variants").fetchnumpy()
    finally:
        con.unregister("__cases")
    del groups
    reps = np.asarray(rep_of_case, dtype=np.int64)

    def sequence(rep: int) -> tuple[int, ...]:
        return tuple(int(x) for x in act[starts[rep] : ends[rep] + 1])

    if np.array_equal(act[starts[reps][case_idx] + pos], act):
        return (
            np.asarray(cols["cases"], dtype=np.int64),
            np.asarray(cols["mean"], dtype=np.float64),
            np.asarray(cols["median"], dtype=np.float64),
            np.asarray(cols["rep"], dtype=np.int64),
        ), sequence

    groups_by_seq: dict[tuple[int, ...], list[int]] = {}
    for case in range(n_cases):
        groups_by_seq.setdefault(sequence(case), []).append(case)
    members = list(groups_by_seq.values())
    d = [duration_us[np.asarray(m)] / _US for m in members]
    return (
        np.array([len(m) for m in members], dtype=np.int64),
        np.array([x.mean() for x in d], dtype=np.float64),
        np.array([np.median(x) for x in d], dtype=np.float64),
        np.array([m[0] for m in members], dtype=np.int64),
    ), sequence
