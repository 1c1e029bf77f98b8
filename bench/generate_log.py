"""Generate a large synthetic event log for the benchmarks.

    python bench/generate_log.py --cases 1000000 --out bench/out/log.parquet [--csv F] [--seed 7]

The process is a complaint-handling / order-to-cash hybrid with 21 activities (Chinese and English
names mixed), simulated as a Markov chain so that it has what real logs have:

* rework loops (技术处理 → 复核 → 技术处理 again; 发送提醒 repeated; reopened tickets);
* optional branches (data checks, escalation, requests for information, surveys);
* ties: about 3 % of the events share their predecessor's timestamp;
* a few one-event cases (about 1.5 %);
* 200 resources in 8 departments, picked with a skewed workload;
* case starts spread over six months (working hours favoured) and lognormal waiting times.

About 7 events per case on average. Rows are not sorted: the case blocks are shuffled and about
3 % of the neighbouring events inside a case are swapped, so readers must sort.

Everything is vectorised with numpy; the Parquet file is written with pyarrow in row groups
(about 1 M cases / 7 M events in well under a minute).
Columns: ``case:concept:name`` (string), ``concept:name`` (string), ``time:timestamp``
(timestamp[us, UTC]), ``org:resource`` (string), ``department`` (string).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = ["ACTIVITIES", "expected_events_per_case", "generate_events", "write_log"]

# activity: (department, median waiting time before it in seconds, lognormal sigma)
ACTIVITIES: dict[str, tuple[str, float, float]] = {
    "创建工单": ("客服中心", 0, 0.0),
    "Receive complaint": ("Customer Service", 0, 0.0),
    "分派": ("客服中心", 25 * 60, 1.0),
    "Classify complaint": ("Customer Service", 40 * 60, 0.9),
    "Check customer data": ("Customer Service", 2 * 3600, 1.1),
    "技术处理": ("技术支持部", 6 * 3600, 1.3),
    "复核": ("质量管理部", 20 * 3600, 1.0),
    "Request information": ("Customer Service", 3 * 3600, 1.0),
    "Receive information": ("Customer Service", 3 * 86400, 1.1),
    "Escalate to L2": ("Engineering", 5 * 3600, 1.2),
    "审批": ("质量管理部", 12 * 3600, 1.0),
    "Create credit note": ("Finance", 1 * 86400, 0.9),
    "Issue refund": ("财务部", 2 * 86400, 0.8),
    "Ship replacement": ("Logistics", 1.5 * 86400, 0.9),
    "Send invoice": ("Finance", 8 * 3600, 1.0),
    "发送提醒": ("财务部", 14 * 86400, 0.5),
    "Receive payment": ("财务部", 9 * 86400, 0.9),
    "客户回访": ("客服中心", 2 * 86400, 1.0),
    "Customer survey": ("Marketing", 1 * 86400, 1.2),
    "关闭工单": ("客服中心", 4 * 3600, 1.4),
    "Reopen ticket": ("客服中心", 6 * 86400, 1.0),
}
NAMES = list(ACTIVITIES)
IDX = {name: i for i, name in enumerate(NAMES)}
END = len(NAMES)  # the absorbing state

# the first activity of a case
START_P = {"创建工单": 0.56, "Receive complaint": 0.44}
# next activity probabilities; "END" ends the case
TRANSITIONS: dict[str, dict[str, float]] = {
    "创建工单": {"分派": 0.75, "Classify complaint": 0.235, "END": 0.015},
    "Receive complaint": {"Classify complaint": 0.55, "分派": 0.435, "END": 0.015},
    "分派": {"技术处理": 0.72, "Check customer data": 0.23, "Escalate to L2": 0.05},
    "Classify complaint": {"技术处理": 0.5, "分派": 0.35, "Check customer data": 0.15},
    "Check customer data": {"技术处理": 0.85, "Request information": 0.15},
    "技术处理": {
        "复核": 0.58,
        "关闭工单": 0.17,
        "审批": 0.15,
        "Request information": 0.07,
        "Escalate to L2": 0.03,
    },
    "Request information": {"Receive information": 0.85, "关闭工单": 0.15},
    "Receive information": {"技术处理": 0.9, "复核": 0.1},
    "Escalate to L2": {"技术处理": 0.8, "复核": 0.2},
    "复核": {"技术处理": 0.2, "审批": 0.3, "客户回访": 0.15, "关闭工单": 0.35},
    "审批": {
        "Create credit note": 0.3,
        "Ship replacement": 0.3,
        "Send invoice": 0.2,
        "关闭工单": 0.2,
    },
    "Create credit note": {"Issue refund": 0.8, "关闭工单": 0.2},
    "Issue refund": {"客户回访": 0.4, "关闭工单": 0.6},
    "Ship replacement": {"客户回访": 0.3, "关闭工单": 0.7},
    "Send invoice": {"Receive payment": 0.7, "发送提醒": 0.3},
    "发送提醒": {"Receive payment": 0.75, "发送提醒": 0.15, "关闭工单": 0.1},
    "Receive payment": {"关闭工单": 0.85, "客户回访": 0.15},
    "客户回访": {"Customer survey": 0.3, "关闭工单": 0.7},
    "Customer survey": {"关闭工单": 1.0},
    "关闭工单": {"END": 0.96, "Reopen ticket": 0.04},
    "Reopen ticket": {"技术处理": 1.0},
}
DEPARTMENTS = sorted({dept for dept, _, _ in ACTIVITIES.values()})
N_RESOURCES = 200
TIE_SHARE = 0.03  # events with the same timestamp as their predecessor
SWAP_SHARE = 0.03  # neighbouring rows of a case written in the wrong order
MAX_STEPS = 80
EPOCH = np.datetime64("2025-01-01T00:00:00", "s")
SPAN_DAYS = 181
ROW_GROUP = 1 << 20


def _transition_cdf() -> np.ndarray:
    matrix = np.zeros((END, END + 1))
    for src, targets in TRANSITIONS.items():
        for tgt, p in targets.items():
            matrix[IDX[src], END if tgt == "END" else IDX[tgt]] = p
    assert np.allclose(matrix.sum(axis=1), 1.0), "transition rows must sum to 1"
    cdf = matrix.cumsum(axis=1)
    cdf[:, -1] = 1.0 + 1e-12
    return cdf


def expected_events_per_case() -> float:
    """Mean number of events per case of the chain (from its fundamental matrix)."""
    cdf = _transition_cdf()
    cdf[:, -1] = 1.0
    step = np.diff(cdf, axis=1, prepend=0.0)[:, :END]
    visits = np.linalg.inv(np.eye(END) - step)
    start = np.zeros(END)
    for name, p in START_P.items():
        start[IDX[name]] = p
    return float((start @ visits).sum())


def generate_events(n_cases: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Events as numpy arrays in file order: case (int), activity, resource, department (codes),
    timestamp (datetime64[s])."""
    rng = np.random.default_rng(seed)
    cdf = _transition_cdf()

    # walk all cases through the chain at once
    first = np.where(
        rng.random(n_cases) < START_P["创建工单"], IDX["创建工单"], IDX["Receive complaint"]
    ).astype(np.int8)
    cases_steps: list[np.ndarray] = []
    acts_steps: list[np.ndarray] = []
    active = np.arange(n_cases, dtype=np.int32)
    current = first
    for _ in range(MAX_STEPS):
        cases_steps.append(active)
        acts_steps.append(current)
        u = rng.random(active.size)
        nxt = np.empty(active.size, dtype=np.int64)
        for state in np.unique(current):
            here = current == state
            nxt[here] = np.searchsorted(cdf[state], u[here], side="right")
        keep = nxt != END
        active, current = active[keep], nxt[keep].astype(np.int8)
        if active.size == 0:
            break
    case = np.concatenate(cases_steps)
    act = np.concatenate(acts_steps)
    del cases_steps, acts_steps
    order = np.argsort(case, kind="stable")  # steps were appended in time order
    case, act = case[order], act[order]
    del order
    n = case.size
    first_of_case = np.ones(n, dtype=bool)
    first_of_case[1:] = case[1:] != case[:-1]

    # timestamps: case start (working hours favoured) + cumulated lognormal waits
    medians = np.array([ACTIVITIES[a][1] for a in NAMES])
    sigmas = np.array([ACTIVITIES[a][2] for a in NAMES])
    wait = medians[act] * np.exp(sigmas[act] * rng.standard_normal(n))
    wait = np.minimum(wait, 90 * 86400).astype(np.int64)
    wait[rng.random(n) < TIE_SHARE] = 0
    wait[first_of_case] = 0
    day = rng.integers(0, SPAN_DAYS, n_cases)
    second = np.clip(rng.normal(13.5 * 3600, 3 * 3600, n_cases), 0, 86399).astype(np.int64)
    case_start = day * 86400 + second
    cum = np.cumsum(wait)
    case_first_index = np.flatnonzero(first_of_case)
    offset = cum - np.repeat(cum[case_first_index], np.diff(np.append(case_first_index, n)))
    seconds = case_start[case] + offset
    del wait, cum, offset

    # resources: each department has its staff; workload is skewed (Zipf-like)
    dept_of_act = np.array([DEPARTMENTS.index(ACTIVITIES[a][0]) for a in NAMES], dtype=np.int8)
    staff = np.array_split(rng.permutation(N_RESOURCES), len(DEPARTMENTS))
    resource = np.empty(n, dtype=np.int16)
    dept = dept_of_act[act]
    for d, members in enumerate(staff):
        mask = dept == d
        weights = 1.0 / np.arange(1, members.size + 1) ** 0.8
        pick = rng.choice(members.size, size=int(mask.sum()), p=weights / weights.sum())
        resource[mask] = members[pick]

    # file order: shuffled case blocks, and some neighbours swapped inside a case
    rank = rng.permutation(n_cases)
    order = np.argsort(rank[case], kind="stable")
    case, act, seconds, resource, dept = (
        case[order],
        act[order],
        seconds[order],
        resource[order],
        dept[order],
    )
    del order
    swap = np.flatnonzero((case[1:] == case[:-1]) & (rng.random(n - 1) < SWAP_SHARE))
    swap = swap[np.diff(np.append(-2, swap)) > 1]  # no overlapping pairs
    for arr in (act, seconds, resource, dept):
        arr[swap], arr[swap + 1] = arr[swap + 1].copy(), arr[swap].copy()

    return {
        "case": case,
        "activity": act,
        "timestamp": EPOCH + seconds.astype("timedelta64[s]"),
        "resource": resource,
        "department": dept,
    }


SCHEMA = pa.schema(
    [
        ("case:concept:name", pa.string()),
        ("concept:name", pa.string()),
        ("time:timestamp", pa.timestamp("us", tz="UTC")),
        ("org:resource", pa.string()),
        ("department", pa.string()),
    ]
)


def _strings(codes: np.ndarray, labels: pa.Array) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes), labels).dictionary_decode()


def write_log(events: dict[str, np.ndarray], out: str, csv: str | None = None) -> tuple[int, int]:
    """Write the events to Parquet (and CSV); returns (cases, events)."""
    n_cases = int(events["case"].max()) + 1
    case_ids = pa.array([f"WO{i:07d}" for i in range(n_cases)], pa.string())
    activities = pa.array(NAMES, pa.string())
    resources = pa.array([f"R{i:03d}" for i in range(N_RESOURCES)], pa.string())
    departments = pa.array(DEPARTMENTS, pa.string())
    n = events["case"].size
    for path in (out, csv):
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    writer = pq.ParquetWriter(out, SCHEMA, compression="zstd")
    csv_writer = (
        pacsv.CSVWriter(csv, SCHEMA, write_options=pacsv.WriteOptions(quoting_style="needed"))
        if csv
        else None
    )
    try:
        for lo in range(0, n, ROW_GROUP):
            hi = min(lo + ROW_GROUP, n)
            table = pa.Table.from_arrays(
                [
                    _strings(events["case"][lo:hi], case_ids),
                    _strings(events["activity"][lo:hi], activities),
                    pa.array(events["timestamp"][lo:hi].astype("datetime64[us]")).cast(
                        SCHEMA.field("time:timestamp").type
                    ),
                    _strings(events["resource"][lo:hi], resources),
                    _strings(events["department"][lo:hi], departments),
                ],
                schema=SCHEMA,
            )
            writer.write_table(table, row_group_size=ROW_GROUP)
            if csv_writer is not None:
                csv_writer.write_table(table)
    finally:
        writer.close()
        if csv_writer is not None:
            csv_writer.close()
    return n_cases, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, required=True, help="number of cases")
    parser.add_argument("--out", required=True, help="Parquet file to write")
    parser.add_argument("--csv", default=None, help="also write the same rows as CSV")
    parser.add_argument("--seed", type=int, default=7, help="random seed (7)")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    t0 = time.perf_counter()
    events = generate_events(args.cases, seed=args.seed)
    t1 = time.perf_counter()
    n_cases, n_events = write_log(events, args.out, args.csv)
    t2 = time.perf_counter()
    print(
        f"{args.out}: {n_cases:,} cases, {n_events:,} events "
        f"({n_events / n_cases:.2f} per case); generated in {t1 - t0:.1f}s, "
        f"written in {t2 - t1:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
