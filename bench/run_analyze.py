"""Benchmark ``opslens analyze`` against PM4Py and a DuckDB read-and-sort baseline.

    python bench/run_analyze.py [--events 7000000] [--rounds 3] [--check] [--markdown]

Generates the synthetic log once (``bench/generate_log.py``, into ``bench/out/``, which is not
committed), then runs, alternating within each round, each in a fresh subprocess:

* ``opslens``: ``opslens analyze FILE --format json --out /dev/null``;
* ``pm4py``:   ``python bench/pm4py_figures.py FILE`` (the same figures, computed with PM4Py);
* ``duckdb``:  DuckDB reading the file and sorting it by case and time into an Arrow table in
  memory (``SELECT * FROM read_parquet(FILE) ORDER BY case, time``): the floor for any tool
  that has to put the events of a case in order.

For each run: wall time, and peak memory (the larger of the peak resident set of the process
tree, sampled every 20 ms with psutil, and the child's ``ru_maxrss`` from ``wait4``). The
table shows medians and the ratios PM4Py/opslens (time and memory) and opslens/DuckDB (time).
``--check`` compares the figures of the two JSON outputs to a relative 1e-9; ``--markdown``
prints a table for docs/benchmarks.md with the machine it ran on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
TOOLS = ("opslens", "pm4py", "duckdb")
REL_TOL = 1e-9

DUCKDB_SORT = """
import sys, duckdb
path, kind = sys.argv[1], sys.argv[2]
reader = "read_parquet" if kind == "parquet" else "read_csv"
con = duckdb.connect()
rel = con.sql(
    f'SELECT * FROM {reader}(?) ORDER BY "case:concept:name", "time:timestamp"',
    params=[path],
)
table = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
print(table.num_rows)
"""


@dataclass
class Run:
    tool: str
    round: int
    seconds: float
    peak_bytes: int
    returncode: int
    stderr: str = ""
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# measuring one subprocess


def measure(cmd: list[str], *, stdout: Any = subprocess.DEVNULL, timeout: float) -> Run:
    """Run ``cmd``; wall time and peak memory of its process tree."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=stdout, stderr=err)
        peak = 0
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            try:
                root = psutil.Process(proc.pid)
            except psutil.Error:
                return
            while not done.is_set():
                total = 0
                try:
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    break
                for p in procs:
                    with contextlib.suppress(psutil.Error):  # it may just have exited
                        total += p.memory_info().rss
                peak = max(peak, total)
                done.wait(0.02)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        done.set()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not Popen
        # ru_maxrss is in KiB on Linux
        peak = max(peak, usage.ru_maxrss * 1024)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Run("", 0, seconds, peak, proc.returncode, stderr)


# --------------------------------------------------------------------------------------------
# the log


def ensure_log(events: int, seed: int, kind: str) -> Path:
    sys.path.insert(0, str(BENCH))
    import generate_log

    per_case = generate_log.expected_events_per_case()
    cases = max(1, round(events / per_case))
    OUT.mkdir(parents=True, exist_ok=True)
    stem = f"log-{events}-s{seed}"
    parquet = OUT / f"{stem}.parquet"
    csv = OUT / f"{stem}.csv"
    target = parquet if kind == "parquet" else csv
    if not target.exists():
        cmd = [
            sys.executable,
            str(BENCH / "generate_log.py"),
            "--cases",
            str(cases),
            "--out",
            str(parquet),
            "--seed",
            str(seed),
        ]
        if kind == "csv":
            cmd += ["--csv", str(csv)]
        print(f"generating {target.name} ({cases:,} cases) ...", flush=True)
        subprocess.run(cmd, check=True)
    return target


def log_facts(path: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    parquet = path.with_suffix(".parquet")
    meta = pq.ParquetFile(parquet).metadata
    import pyarrow.compute as pc

    cases = pc.count_distinct(
        pq.read_table(parquet, columns=["case:concept:name"])["case:concept:name"]
    ).as_py()
    return {"events": meta.num_rows, "cases": cases, "bytes": path.stat().st_size}


def warm_cache(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


# --------------------------------------------------------------------------------------------
# the tools


def opslens_command() -> tuple[list[str] | None, str]:
    """The opslens console script, and why not when it is not usable yet."""
    exe = Path(sys.executable).with_name("opslens")
    binary = str(exe) if exe.exists() else shutil.which("opslens")
    if not binary:
        return None, "the `opslens` console script is not installed in this environment"
    try:
        probe = subprocess.run(
            [binary, "analyze", "--help"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"`opslens analyze --help` failed: {exc}"
    if probe.returncode != 0:
        last = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return None, f"`opslens analyze --help` exits {probe.returncode}: {last[0]}"
    return [binary], ""


def commands(
    log: Path, kind: str, opslens: list[str] | None, json_out: dict[str, Path]
) -> dict[str, list[str]]:
    cmds: dict[str, list[str]] = {}
    if opslens:
        cmds["opslens"] = [
            *opslens,
            "analyze",
            str(log),
            "--format",
            "json",
            "--out",
            str(json_out.get("opslens", os.devnull)),
        ]
    cmds["pm4py"] = [
        sys.executable,
        str(BENCH / "pm4py_figures.py"),
        str(log),
        "--timings",
        "--out",
        str(json_out.get("pm4py", os.devnull)),
    ]
    cmds["duckdb"] = [sys.executable, "-c", DUCKDB_SORT, str(log), kind]
    return cmds


# --------------------------------------------------------------------------------------------
# comparing the figures


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)
    return a == b


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Differences between the opslens and PM4Py figures (empty when they agree)."""
    bad: list[str] = []

    def stats(where: str, got: Any, want: Any) -> None:
        if want is None or got is None:
            if want is not got:
                bad.append(f"{where}: {got} != PM4Py {want}")
            return
        for key, value in want.items():
            if not _close(got.get(key), value):
                bad.append(f"{where}.{key}: {got.get(key)} != PM4Py {value}")

    for key in ("events", "activity_instances", "cases", "activities", "lifecycle"):
        if ours["log"].get(key) != theirs["log"].get(key):
            bad.append(f"log.{key}: {ours['log'].get(key)} != PM4Py {theirs['log'].get(key)}")
    got = {(e["source"], e["target"]): e for e in ours["dfg"]}
    want = {(e["source"], e["target"]): e for e in theirs["dfg"]}
    for key in sorted(want.keys() ^ got.keys()):
        bad.append(f"dfg edge {key} only in {'PM4Py' if key in want else 'opslens'}")
    for key in sorted(want.keys() & got.keys()):
        if got[key]["frequency"] != want[key]["frequency"]:
            bad.append(f"dfg{key}.frequency: {got[key]['frequency']} != {want[key]['frequency']}")
        stats(f"dfg{key}", got[key]["duration_s"], want[key]["duration_s"])
    for key in ("start_activities", "end_activities", "rework_cases"):
        if ours[key] != theirs[key]:
            bad.append(f"{key} differ")
    stats("case_duration_s", ours["case_duration_s"], theirs["case_duration_s"])
    gv, wv = ours["variants"], theirs["variants"]
    if gv["count"] != wv["count"]:
        bad.append(f"variants.count: {gv['count']} != PM4Py {wv['count']}")
    for i, (g, w) in enumerate(zip(gv["top"], wv["top"], strict=False)):
        if g["activities"] != w["activities"] or g["cases"] != w["cases"]:
            bad.append(f"variants.top[{i}]: {g['cases']} x {g['activities'][:4]}... differs")
            continue
        if not _close(g["share"], w["share"]):
            bad.append(f"variants.top[{i}].share: {g['share']} != {w['share']}")
        stats(f"variants.top[{i}].duration_s", g["duration_s"], w["duration_s"])
    if len(gv["top"]) != len(wv["top"]):
        bad.append(f"variants.top: {len(gv['top'])} != PM4Py {len(wv['top'])} entries")
    ga = {a["activity"]: a for a in ours["activities"]}
    for name, w in {a["activity"]: a for a in theirs["activities"]}.items():
        g = ga.get(name)
        if g is None:
            bad.append(f"activity {name} missing")
            continue
        for key in ("instances", "cases", "rework_cases"):
            if g[key] != w[key]:
                bad.append(f"activity {name}.{key}: {g[key]} != {w[key]}")
        stats(f"activity {name}.waiting_s", g["waiting_s"], w["waiting_s"])
        stats(f"activity {name}.service_s", g["service_s"], w["service_s"])
    return bad


# --------------------------------------------------------------------------------------------
# reporting


def median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    logical = os.cpu_count() or 0
    physical = psutil.cpu_count(logical=False) or logical
    return {
        "cpu": model,
        "cores": f"{physical} physical / {logical} logical",
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "opslens": version("opslens"),
        "pm4py": version("pm4py"),
        "duckdb": version("duckdb"),
        "pandas": version("pandas"),
        "pyarrow": version("pyarrow"),
    }


def fmt_mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a and b else "n/a"


def summarise(runs: dict[str, list[Run]]) -> dict[str, dict[str, float]]:
    out = {}
    for tool, rs in runs.items():
        ok = [r for r in rs if r.returncode == 0]
        if ok:
            out[tool] = {
                "seconds": median(ok, "seconds"),
                "min": min(r.seconds for r in ok),
                "max": max(r.seconds for r in ok),
                "peak": median(ok, "peak_bytes"),
                "n": len(ok),
            }
    return out


def print_table(summary: dict[str, dict[str, float]]) -> None:
    print()
    print(f"{'tool':<10}{'median s':>10}{'min s':>9}{'max s':>9}{'peak memory':>14}{'runs':>6}")
    for tool in TOOLS:
        if tool in summary:
            s = summary[tool]
            print(
                f"{tool:<10}{s['seconds']:>10.2f}{s['min']:>9.2f}{s['max']:>9.2f}"
                f"{fmt_mb(s['peak']):>14}{int(s['n']):>6}"
            )
    o, p, d = (summary.get(t) for t in TOOLS)
    print()
    print(f"PM4Py / opslens time:   {ratio(p and p['seconds'], o and o['seconds'])}")
    print(f"PM4Py / opslens memory: {ratio(p and p['peak'], o and o['peak'])}")
    print(f"opslens / DuckDB sort:  {ratio(o and o['seconds'], d and d['seconds'])}")


def print_markdown(
    summary: dict[str, dict[str, float]], facts: dict[str, Any], args: argparse.Namespace
) -> None:
    m = machine()
    labels = {
        "opslens": "`opslens analyze --format json`",
        "pm4py": "PM4Py, the same figures (`bench/pm4py_figures.py`)",
        "duckdb": "DuckDB: read + sort by case, time (floor)",
    }
    o, p, d = (summary.get(t) for t in TOOLS)
    print()
    origin = (
        f"`{args.file.name}`"
        if args.file
        else f"synthetic, `bench/generate_log.py --seed {args.seed}`"
    )
    print(
        f"Log: {origin} ({args.kind}), {facts['events']:,} events, {facts['cases']:,} cases, "
        f"{facts['bytes'] / 2**20:,.0f} MB on disk. "
        f"Median of {args.rounds} alternating rounds, each run a fresh process "
        f"({datetime.now(UTC):%Y-%m-%d})."
    )
    print()
    print("| tool | wall time (median) | min – max | peak memory (median) |")
    print("|---|---:|---:|---:|")
    for tool in TOOLS:
        if tool in summary:
            s = summary[tool]
            print(
                f"| {labels[tool]} | {s['seconds']:.1f} s | {s['min']:.1f} – {s['max']:.1f} s "
                f"| {fmt_mb(s['peak'])} |"
            )
    print()
    print(
        f"PM4Py / opslens: **{ratio(p and p['seconds'], o and o['seconds'])}** the time, "
        f"**{ratio(p and p['peak'], o and o['peak'])}** the memory. "
        f"opslens / DuckDB sort: **{ratio(o and o['seconds'], d and d['seconds'])}**."
    )
    print()
    print(
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}; Python "
        f"{m['python']}; opslens {m['opslens']}, pm4py {m['pm4py']}, duckdb {m['duckdb']}, "
        f"pandas {m['pandas']}, pyarrow {m['pyarrow']}. "
        f"Load average during the run: {args.load_before} → {args.load_after}."
    )


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=7_000_000, help="log size (7,000,000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (7)")
    parser.add_argument("--kind", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--file", type=Path, help="benchmark this log instead of generating one")
    parser.add_argument(
        "--only", default=",".join(TOOLS), help="comma-separated tools to run (all)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="per run, seconds (1800)")
    parser.add_argument("--check", action="store_true", help="compare opslens and PM4Py figures")
    parser.add_argument("--markdown", action="store_true", help="print a docs/benchmarks table")
    args = parser.parse_args(argv)

    wanted = [t for t in args.only.split(",") if t]
    unknown = set(wanted) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tool(s) {sorted(unknown)}; choose from {TOOLS}")

    log = args.file if args.file else ensure_log(args.events, args.seed, args.kind)
    if args.file:
        args.kind = "csv" if log.suffix.lower() == ".csv" else "parquet"
    facts = (
        log_facts(log)
        if log.suffix == ".parquet" or log.with_suffix(".parquet").exists()
        else {"events": 0, "cases": 0, "bytes": log.stat().st_size}
    )
    print(f"log: {log} ({facts['events']:,} events, {facts['cases']:,} cases)")

    opslens, why = opslens_command() if "opslens" in wanted else (None, "")
    if "opslens" in wanted and opslens is None:
        print(f"NOTE: opslens is not benchmarked: {why}.", file=sys.stderr)
        print("      Rerun this script once `opslens analyze` exists.", file=sys.stderr)

    json_out: dict[str, Path] = {}
    if args.check:
        OUT.mkdir(parents=True, exist_ok=True)
        json_out = {t: OUT / f"{log.stem}.{t}.json" for t in ("opslens", "pm4py")}
    cmds = {t: c for t, c in commands(log, args.kind, opslens, json_out).items() if t in wanted}

    warm_cache(log)
    args.load_before = "/".join(f"{x:.1f}" for x in os.getloadavg())
    runs: dict[str, list[Run]] = {t: [] for t in cmds}
    for r in range(1, args.rounds + 1):
        for tool, cmd in cmds.items():
            run = measure(cmd, timeout=args.timeout)
            run.tool, run.round = tool, r
            runs[tool].append(run)
            status = "ok" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
            print(
                f"round {r} {tool:<8} {run.seconds:8.2f} s {fmt_mb(run.peak_bytes):>10}  {status}",
                flush=True,
            )
            if tool == "pm4py":
                for line in run.stderr.splitlines():
                    if line.startswith("pm4py_figures:"):
                        print(f"         {line}")
            if run.returncode != 0:
                tail = "\n".join(run.stderr.strip().splitlines()[-5:])
                print(f"         {tail}", file=sys.stderr)
    args.load_after = "/".join(f"{x:.1f}" for x in os.getloadavg())

    summary = summarise(runs)
    print_table(summary)
    print(f"load average: {args.load_before} before, {args.load_after} after")

    status = 0
    if args.check:
        paths = [json_out[t] for t in ("opslens", "pm4py")]
        if all(p.exists() and p.stat().st_size for p in paths):
            ours, theirs = (json.loads(p.read_text(encoding="utf-8")) for p in paths)
            bad = compare(ours, theirs)
            if bad:
                status = 1
                print(f"\ncheck: {len(bad)} mismatch(es) between opslens and PM4Py:")
                for line in bad[:50]:
                    print(f"  {line}")
            else:
                print(f"\ncheck: opslens and PM4Py agree (relative {REL_TOL:g}).")
        else:
            status = 1
            print("\ncheck: skipped, both opslens and PM4Py JSON outputs are needed.")
    if args.markdown:
        print_markdown(summary, facts, args)
    if any(r.returncode != 0 for rs in runs.values() for r in rs):
        status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
