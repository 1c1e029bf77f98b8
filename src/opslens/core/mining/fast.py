"""The fast engine: one DuckDB sort, then vectorised NumPy passes over the sorted instances.

DuckDB reads the (filtered) canonical events and sorts them once by case, start, end and file
position. Everything sequential — the directly-follows pairs, waiting times, case boundaries,
variant fingerprints — is then one vectorised NumPy pass over those arrays, and the grouped
statistics that need medians are parallel DuckDB aggregations over Arrow views of them. Its
figures equal the portable Ibis engine's (:mod:`opslens.core.mining.portable`); the tests run both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from opslens.core.errors import InsufficientDataError
from opslens.core.mining._assemble import Aggregates, StatsRow
from opslens.core.sql import quote_str

__all__ = ["aggregate_fast"]

_US = 1_000_000.0

# Stats of a BIGINT microsecond column ``d``, in seconds, in the StatsRow order.
_STATS_SQL = (
    "count(*), avg(d) / 1e6, quantile_cont(d, 0.5) / 1e6, min(d) / 1e6, max(d) / 1e6, "
    "sum(d) / 1e6, stddev_samp(d) / 1e6"
)

# An odd 64-bit multiplier for the polynomial fingerprints of the variants.
_P1 = np.uint64(0x9E3779B97F4A7C15)

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


_ENUM = "__opslens_activity"


def _inverse_odd(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Inverses modulo 2^64 of odd integers (Newton's iteration: 3, 6, …, 96 correct bits)."""
    x = values.copy()  # correct to 3 bits for odd values; each step doubles the bits
    two = np.uint64(2)
    with np.errstate(over="ignore"):
        for _ in range(5):
            x *= two - values * x
    return x


def _table(**columns: npt.NDArray[np.generic]) -> pa.Table:
    """An Arrow table viewing contiguous NumPy arrays (no copy, and no pandas import)."""
    arrays = []
    for values in columns.values():
        data = np.ascontiguousarray(values)
        arrays.append(
            pa.Array.from_buffers(
                pa.from_numpy_dtype(data.dtype), len(data), [None, pa.py_buffer(data)]
            )
        )
    return pa.Table.from_arrays(arrays, names=list(columns))


def _as_numpy(array: pa.Array) -> npt.NDArray[np.generic]:
    """A null-free fixed-width Arrow array as a NumPy view (no copy).

    ``pyarrow.Array.to_numpy`` imports pandas for its type mapping, which costs a CLI call
    0.4 s; a view on the data buffer needs nothing.
    """
    if array.null_count:
        raise AssertionError(f"unexpected nulls in a sorted {array.type} column")
    dtype = np.dtype(str(array.type))
    buffer = array.buffers()[1]
    return np.frombuffer(
        buffer, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    )


def _activity_enum(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> None:
    """The log's activity names, in name order, as a DuckDB ENUM type (made once per log).

    Sorting and fetching a one- or two-byte enum code instead of the activity string makes the
    one big sort narrower, and the code is already in name order (variant ties compare names).
    """
    exists = con.execute(
        "SELECT count(*) FROM duckdb_types() WHERE type_name = ?", [_ENUM]
    ).fetchall()[0][0]
    if not exists:
        con.execute(f"CREATE TYPE {_ENUM} AS ENUM ({', '.join(quote_str(n) for n in names)})")


Codes = npt.NDArray[np.integer]
Sorted = tuple[Codes, IntArray, IntArray, npt.NDArray[np.bool_]]


def _sorted_instances(
    con: duckdb.DuckDBPyConnection, relation: str, *, atomic: bool, exact: bool, rows: int | None
) -> Sorted | None:
    """One scan and one sort: activity codes, start, end, new-case flags, in case order.

    Sorting by a 64-bit hash of the case id instead of the string is the biggest single saving;
    a second, independent hash detects the (astronomically rare) collision of the first, and
    then this returns ``None`` so that the caller sorts by the case id itself. In an atomic log
    start equals end, so one time column is fetched and sorted on.
    """
    if exact:
        key, key2 = "dense_rank() OVER (ORDER BY case_id)", "0"
    else:
        key, key2 = "hash(case_id)", "hash(case_id || chr(31))"
    start = "" if atomic else "epoch_us(start) AS s, "
    order = 'h, "end", row' if atomic else 'h, start, "end", row'
    reader = con.sql(
        f"""
        SELECT {key} AS h, {key2} AS h2, enum_code(CAST(activity AS {_ENUM})) AS a,
               {start}epoch_us("end") AS t
        FROM {relation}
        ORDER BY {order}
        """
    ).to_arrow_reader(1 << 20)
    # Stream the sorted rows into NumPy batch by batch, so the result never exists twice; with
    # the row count known the arrays are allocated once and filled in place.
    chunks: dict[str, list[npt.NDArray[np.generic]]] = {}
    filled: dict[str, npt.NDArray[np.generic]] = {}
    offset = 0
    for batch in reader:
        for name, column in zip(batch.schema.names, batch.columns, strict=True):
            values = _as_numpy(column)
            if rows is not None:
                if name not in filled:
                    filled[name] = np.empty(rows, dtype=values.dtype)
                filled[name][offset : offset + values.size] = values
            else:
                chunks.setdefault(name, []).append(values)
        offset += batch.num_rows
    if offset == 0:
        raise InsufficientDataError("no events are left to analyse (check the filters)")
    if rows is not None and offset != rows:
        raise AssertionError(f"expected {rows} sorted rows, got {offset}")

    def take(name: str) -> npt.NDArray[np.generic]:
        if rows is not None:
            return filled.pop(name)
        parts = chunks.pop(name)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    h = take("h")
    h2 = take("h2")
    new_case = np.empty(h.size, dtype=bool)
    new_case[0] = True
    np.not_equal(h[1:], h[:-1], out=new_case[1:])
    if not exact and np.any(~new_case[1:] & (h2[1:] != h2[:-1])):
        return None
    del h, h2
    t = take("t").astype(np.int64, copy=False)
    s = t if atomic else take("s").astype(np.int64, copy=False)
    codes: Codes = take("a")  # type: ignore[assignment]  # enum codes: unsigned integers
    return codes, s, t, new_case


def aggregate_fast(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    names: Sequence[str],
    *,
    atomic: bool = False,
    rows: int | None = None,
) -> Aggregates:
    """Compute the engine aggregates of the events in ``relation`` (a view or a subquery).

    ``names`` are all activity names of the log, sorted; ``atomic`` says that every instance has
    start = end, which saves a column and a sort key; ``rows``, when known, is the number of
    instances in ``relation`` (the sorted arrays are then allocated once).
    """
    names = list(names)
    _activity_enum(con, names)
    got = _sorted_instances(
        con, relation, atomic=atomic, exact=False, rows=rows
    ) or _sorted_instances(con, relation, atomic=atomic, exact=True, rows=rows)
    assert got is not None
    act, s, t, new_case = got
    n = act.size
    n_act = len(names)
    starts = np.flatnonzero(new_case)
    n_cases = starts.size
    ends = np.empty(n_cases, dtype=np.int64)
    ends[:-1] = starts[1:] - 1
    ends[-1] = n - 1
    case_idx = np.cumsum(new_case, dtype=np.int32) - 1

    case_first = s[starts]  # rows are sorted by start within a case
    case_last = t[ends] if atomic else np.maximum.reduceat(t, starts)
    duration_us = case_last - case_first

    start_counts = np.bincount(act[starts], minlength=n_act)
    end_counts = np.bincount(act[ends], minlength=n_act)

    # Directly-follows pairs, row i -> i+1 inside one case: zero-copy shifted views handed to one
    # parallel DuckDB aggregation (per edge, and per target activity for the waiting time).
    con.register(
        "__fast_pairs",
        _table(
            src=act[:-1],
            dst=act[1:],
            prev_end=t[:-1],
            next_start=s[1:],
            new=new_case[1:].view(np.uint8),  # bytes, zero-copy (Arrow packs bools)
        ),
    )
    try:
        pair_rows = con.execute(
            f"""
            SELECT src, dst, {_STATS_SQL}
            FROM (SELECT src, dst, greatest(next_start, prev_end) - prev_end AS d
                  FROM __fast_pairs WHERE new = 0)
            GROUP BY GROUPING SETS ((src, dst), (dst))
            """
        ).fetchall()
    finally:
        con.unregister("__fast_pairs")
    edges = [(int(r[0]), int(r[1]), tuple(r[2:])) for r in pair_rows if r[0] is not None]
    waiting = {int(r[1]): tuple(r[2:]) for r in pair_rows if r[0] is None}

    service: dict[int, StatsRow] = {}
    if not atomic:
        con.register("__fast_inst", _table(a=act, s=s, t=t))
        try:
            service = _stats_rows(
                con,
                f"SELECT a, {_STATS_SQL} FROM (SELECT a, t - s AS d FROM __fast_inst) GROUP BY a",
            )
        finally:
            con.unregister("__fast_inst")

    per_activity = _cases_per_activity(act, case_idx, n_act)
    variant_rows, sequence = _variants(con, act, starts, ends, duration_us)

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
    act: Codes, case_idx: npt.NDArray[np.int32], n_act: int
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
    first = np.empty(a.size, dtype=bool)  # first instance of its (activity, case) run
    first[0] = True
    np.not_equal(a[1:], a[:-1], out=first[1:])
    first[1:] |= c[1:] != c[:-1]
    second = ~first[1:] & first[:-1]  # the second instance of a run: one per rework case
    instances = np.bincount(a, minlength=n_act)
    cases = np.bincount(a[first], minlength=n_act)
    rework = np.bincount(a[1:][second], minlength=n_act)
    return {
        i: (int(instances[i]), int(cases[i]), int(rework[i])) for i in range(n_act) if instances[i]
    }


VariantColumns = tuple[IntArray, npt.NDArray[np.float64], npt.NDArray[np.float64], IntArray]


def _variants(
    con: duckdb.DuckDBPyConnection,
    act: Codes,
    starts: IntArray,
    ends: IntArray,
    duration_us: IntArray,
) -> tuple[VariantColumns, Callable[[int], tuple[int, ...]]]:
    """Group cases by activity sequence: cases, mean s, median s, representative case.

    A 64-bit polynomial fingerprint per case (with the case length) groups the cases in one
    vectorised pass; an exact check then compares every event with the same position in its
    group's representative, and falls back to grouping by the sequences themselves if a
    fingerprint ever collided.
    """
    n_cases = starts.size
    lengths = ends - starts + 1
    # sum over a case of code_i * P^(i - start) = P^-start * sum of code_i * P^i (mod 2^64):
    # one global power table and one inverse per case, no per-event position gather.
    with np.errstate(over="ignore"):
        weighted = act.astype(np.uint64)
        weighted += np.uint64(1)
        power = _powers(_P1, act.size)
        weighted *= power
        h1 = np.add.reduceat(weighted, starts)
        h1 *= _inverse_odd(power[starts])
    del weighted, power
    con.register(
        "__fast_cases",
        _table(h1=h1, n=lengths, c=np.arange(n_cases), d=duration_us),
    )
    try:
        groups = con.execute(
            """
            CREATE OR REPLACE TEMP TABLE __fast_variants AS
            SELECT h1, n, count(*) AS cases, avg(d) / 1e6 AS mean,
                   quantile_cont(d, 0.5) / 1e6 AS median, min(c) AS rep
            FROM __fast_cases GROUP BY h1, n
            """
        )
        rep_of_case = con.execute(
            "SELECT v.rep FROM __fast_cases c JOIN __fast_variants v USING (h1, n) ORDER BY c.c"
        ).fetchnumpy()["rep"]
        cols = con.execute("SELECT cases, mean, median, rep FROM __fast_variants").fetchnumpy()
    finally:
        con.unregister("__fast_cases")
    del groups
    reps = np.asarray(rep_of_case, dtype=np.int64)

    def sequence(rep: int) -> tuple[int, ...]:
        return tuple(int(x) for x in act[starts[rep] : ends[rep] + 1])

    shift = np.repeat(starts[reps] - starts, lengths)
    shift += np.arange(act.size, dtype=np.int64)  # each event's twin in its representative
    if np.array_equal(act[shift], act):
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
