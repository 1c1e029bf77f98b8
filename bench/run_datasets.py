"""Datasets (issue 6): a large ticket export's first analysis, then filter changes.

    .venv/bin/python bench/run_datasets.py --cases 1200000 --peer

Generates the complaint-handling log (``opslens.samples.generate``, ~4.2 events a case) as CSV,
the way a ticket system exports it, then in a throwaway data dir and SQLite database runs the
dataset pipeline exactly as the worker does, timing each step:

1. **first analysis** = reading the columns (inspect) + the import (validate every row, write
   the canonical Parquet and the rejected rows, then the first analysis on the events just
   read: every figure, the weekly and resource extras, the report in two languages): what
   stands between the upload and the page showing the process map;
2. **filter changes**: three new views (a time range, an attribute value, a case duration),
   each computed from the stored Parquet as the worker does for a changed filter;
3. **compare**: the pilot months against the months before.

With ``--peer`` PM4Py (``bench/pm4py_figures.py``) computes the same figures from the same CSV in
a fresh process, once, for the ratio. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_200_000)
    parser.add_argument("--rounds", type=int, default=3, help="filter-change rounds")
    parser.add_argument("--peer", action="store_true", help="also time PM4Py once")
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    source = OUT / f"complaints-{args.cases}.csv"
    if not source.exists():
        from opslens.samples.generate import write_complaints

        started = time.perf_counter()
        write_complaints(source, cases=args.cases, seed=7)
        print(f"generated {source} in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    data = Path(tempfile.mkdtemp(prefix="opslens-bench-"))
    os.environ["OPSLENS_DATA_DIR"] = str(data)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opslens.web.settings")
    os.environ.setdefault("OPSLENS_SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from opslens.web.datasets import services
    from opslens.web.datasets.models import Analysis, Dataset
    from opslens.web.org.models import Department

    dept = Department.objects.create(code="kefu", name="客服部")
    dataset = Dataset.objects.create(
        name="bench",
        department=dept,
        timezone="Asia/Shanghai",
        source_name=source.name,
        source_format="csv",
        source_size=source.stat().st_size,
    )
    dataset.folder.mkdir(parents=True)
    os.link(source, dataset.source_path)

    from django.utils import timezone

    timings: dict[str, float] = {}
    wall0 = timezone.now()
    t0 = time.perf_counter()
    services.inspect(dataset)
    timings["inspect"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    services.import_events(dataset)  # validates, writes the Parquet, runs the first analysis
    dataset.refresh_from_db()
    assert dataset.status == "ready", dataset.error
    first = Analysis.objects.get(dataset=dataset)
    assert first.status == "done", first.error
    timings["import, first analysis, swimlanes"] = time.perf_counter() - t1
    timings["first analysis (of which)"] = first.seconds or 0.0
    assert first.finished is not None
    # the page shows the map once the analysis is done; the swimlanes follow
    timings["upload → map on the page"] = (first.finished - wall0).total_seconds()

    views = [
        services.FilterSpec(since="2024-07-01"),
        services.FilterSpec(attr=("紧急程度=紧急",)),
        services.FilterSpec(min_d="3d"),
    ]
    changes: list[float] = []  # in order: round 1 (time, attribute, duration), round 2, …
    for _round in range(args.rounds):
        for spec in views:
            Analysis.objects.filter(dataset=dataset, key=spec.key).delete()
            analysis = Analysis.objects.create(
                dataset=dataset, key=spec.key, filters=spec.as_dict()
            )
            services.compute(analysis)
            assert analysis.status == "done", analysis.error
            changes.append(analysis.seconds or 0.0)  # to the figures; the swimlanes follow
    before = services.FilterSpec(until="2024-06-30")
    after = services.FilterSpec(since="2024-07-01")
    comparison = Analysis.objects.create(
        dataset=dataset,
        key=services.comparison_key(before, after),
        filters={"compare": {"before": before.as_dict(), "after": after.as_dict()}},
    )
    t = time.perf_counter()
    services.compute(comparison)
    timings["compare"] = time.perf_counter() - t
    assert comparison.status == "done", comparison.error

    peer = None
    if args.peer:
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(HERE / "pm4py_figures.py"),
                str(source),
                "--case",
                "工单号",
                "--activity",
                "环节",
                "--timestamp",
                "结束时间",
                "--start",
                "开始时间",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        peer = time.perf_counter() - t

    load = os.getloadavg()
    print(
        f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {load[0]:.1f}; {dataset.events:,} events, {dataset.cases:,} cases, "
        f"CSV {source.stat().st_size / 2**20:.0f} MB\n"
    )
    print("| step | time |\n|---|---:|")
    for name in (
        "inspect",
        "import, first analysis, swimlanes",
        "first analysis (of which)",
        "upload → map on the page",
    ):
        print(f"| {name} | {timings[name]:.1f} s |")
    print(
        f"| filter change (median of {len(changes)}; min – max) | "
        f"{statistics.median(changes):.2f} s ({min(changes):.2f} – {max(changes):.2f}) |"
    )
    print(f"| compare before/after | {timings['compare']:.2f} s |")
    print("\nfilter changes in order: " + ", ".join(f"{c:.2f}" for c in changes), file=sys.stderr)
    if peer is not None:
        print(f"| PM4Py: the same figures from the same CSV | {peer:.1f} s |")
        ratio = peer / timings["upload → map on the page"]
        print(f"\nPM4Py / opslens first analysis: {ratio:.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
