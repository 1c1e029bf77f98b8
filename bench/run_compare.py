"""Time ``opslens.core.mining.compare_logs`` and ``compare_samples`` on large inputs (issue 6).

    python bench/run_compare.py [--events 5000000] [--seed 7] [--rounds 3] [--samples 1000000]

1. Generates (once) the synthetic log ``bench/out/log-{events}-s{seed}.parquet`` with
   ``bench/generate_log.py`` (the same file ``bench/run_analyze.py`` uses), reads it once with
   ``read_event_log`` (timed apart), then runs ``compare_logs`` ``--rounds`` times in this
   process: *before* = cases started up to the median instance start, *after* = cases
   started after it (``TimeRangeFilter(mode="started")``), default 2,000 resamples.
2. Times ``compare_samples`` on two lognormal samples of ``--samples`` values each (the
   large-n path: Mann–Whitney via SciPy and the order-statistic bootstrap).

Prints the medians and one line for ``docs/benchmarks.md``. Run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=1_000_000, help="values per side")
    parser.add_argument("--file", default=None, help="an existing log instead of the generated")
    args = parser.parse_args(argv)

    from opslens.core.eventlog import read_event_log
    from opslens.core.mining import TimeRangeFilter, compare_logs, compare_samples
    from run_analyze import ensure_log

    path = Path(args.file) if args.file else ensure_log(args.events, args.seed, "parquet")
    print(f"load average before: {os.getloadavg()}", flush=True)

    t0 = time.perf_counter()
    log = read_event_log(path, timezone="UTC")
    read_s = time.perf_counter() - t0
    # the median instance start: about half the cases start on either side
    row = log.con.execute("SELECT epoch_us(quantile_disc(start, 0.5)) FROM events").fetchone()
    assert row is not None
    pivot = datetime.fromtimestamp(row[0] / 1e6, tz=UTC)
    before = [TimeRangeFilter(end=pivot, mode="started")]
    after = [TimeRangeFilter(start=pivot, mode="started")]
    print(
        f"{path.name}: {log.activity_instances:,} instances, read in {read_s:.1f} s; "
        f"pivot {pivot.isoformat()}",
        flush=True,
    )

    times = []
    result = None
    for i in range(args.rounds):
        t0 = time.perf_counter()
        result = compare_logs(log, before=before, after=after)
        times.append(time.perf_counter() - t0)
        print(f"  compare_logs round {i + 1}: {times[-1]:.2f} s", flush=True)
    assert result is not None
    cd = result.case_duration
    print(
        f"  before {result.before.cases:,} cases, after {result.after.cases:,}; median case "
        f"duration {cd.median_before:.0f} s -> {cd.median_after:.0f} s, p = {cd.p_value:.3g}, "
        f"r = {cd.effect_size:.3f}, {cd.verdict.value}; {len(result.activities)} activities"
    )

    rng = np.random.default_rng(1)
    a = rng.lognormal(12, 1, args.samples)
    b = rng.lognormal(12, 1, args.samples) * 0.99
    sample_times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        compare_samples(a, b)
        sample_times.append(time.perf_counter() - t0)
    log.close()
    print(f"load average after: {os.getloadavg()}")

    ml, ms = statistics.median(times), statistics.median(sample_times)
    print(
        f"\n| {log.activity_instances:,} instances, {result.before.cases:,} + "
        f"{result.after.cases:,} cases, {len(result.activities)} activities | "
        f"`compare_logs` {ml:.2f} s (median of {args.rounds}) | "
        f"`compare_samples` {args.samples:,} per side {ms:.2f} s | read {read_s:.1f} s |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
