"""Benchmark: opslens's lxml XES reader against r4pm (the Rust reader PM4Py uses).

Run by hand from the repository root::

    .venv/bin/python bench/xes_readers.py [--runs 3] [--no-probe] [FILE ...]

Without FILE arguments it reads every ``*.xes*`` in ``../shared/data/eventlogs``. Each read runs
in a fresh interpreter, readers alternating (lxml, r4pm, r4pm-parse, lxml, ...), so that each
child's peak resident set size can be taken from ``os.wait4`` and no reader profits from another's
warm caches. Reported per run: wall time of the read alone (imports excluded, measured inside the
child), CPU time of the child, peak RSS of the child, rows returned.

Readers:

* ``lxml`` - :func:`opslens.core.eventlog.xes.read_xes_table` (file to ``pyarrow.Table``);
* ``r4pm`` - ``r4pm.df.import_xes`` (file to polars DataFrame) then ``.to_arrow()``, the same
  product as ours; needs the ``polars`` package, which opslens does not depend on;
* ``r4pm-parse`` - ``r4pm.import_item("EventLog", path)``: parse into r4pm's Rust-side registry
  only, nothing reaches Python; a lower bound of r4pm's cost that needs no polars.

The probe section (skip with ``--no-probe``) writes small valid and broken logs to a temporary
folder and reports what each reader does with them (exception class, whether that class is an
``Exception`` at all, rows).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READERS = ("lxml", "r4pm", "r4pm-parse")
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "eventlogs"


# ------------------------------------------------------------------------------------------------
# child side: one read, result as one JSON line


def _child(reader: str, path: str) -> None:
    result: dict[str, object] = {"reader": reader}
    try:
        if reader == "lxml":
            import pyarrow as pa

            from opslens.core.eventlog.xes import read_xes_table

            # pyarrow imports pandas (when installed) on its first pa.array(list) call: a
            # one-time import cost per process, excluded like polars' import for r4pm below.
            pa.array(["warm-up"])
            start, cpu = time.perf_counter(), time.process_time()
            table = read_xes_table(path)
            rows = table.num_rows
        elif reader == "r4pm":
            import pyarrow  # noqa: F401  (imported before timing, as for lxml)
            from r4pm import df

            start, cpu = time.perf_counter(), time.process_time()
            frame, _meta = df.import_xes(path)
            table = frame.to_arrow()
            rows = table.num_rows
        else:
            import r4pm

            start, cpu = time.perf_counter(), time.process_time()
            item = r4pm.import_item("EventLog", path)
            rows = -1  # not visible from Python without polars
            r4pm.remove_item(item)
        result.update(
            wall_s=time.perf_counter() - start, cpu_s=time.process_time() - cpu, rows=rows
        )
    except BaseException as exc:  # r4pm panics are BaseException (pyo3 PanicException)
        result.update(
            error=type(exc).__name__,
            is_exception=isinstance(exc, Exception),
            message=" ".join(str(exc).split())[:160],
        )
    print(json.dumps(result), flush=True)


# ------------------------------------------------------------------------------------------------
# parent side


def _run_child(reader: str, path: Path) -> dict[str, object]:
    env = dict(os.environ, RUST_BACKTRACE="0")
    with subprocess.Popen(
        [sys.executable, __file__, "--child", reader, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    ) as proc:
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result: dict[str, object] = (
        json.loads(lines[-1])
        if lines
        else {"reader": reader, "error": f"child died (exit {proc.returncode})"}
    )
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux: KiB
    return result


def _measure(files: list[Path], runs: int) -> None:
    print(f"# machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {sys.platform}")
    print(f"# {runs} runs per reader and file, fresh interpreter per run, readers alternating\n")
    header = f"{'file':24} {'reader':11} {'run':>3} {'wall s':>8} {'cpu s':>8} {'RSS MiB':>8} rows"
    print(header)
    print("-" * len(header))
    summary: dict[tuple[str, str], list[dict[str, object]]] = {}
    for path in files:
        for run in range(1, runs + 1):
            for reader in READERS:
                res = _run_child(reader, path)
                summary.setdefault((path.name, reader), []).append(res)
                if "error" in res:
                    print(
                        f"{path.name:24} {reader:11} {run:>3} ERROR {res['error']}: "
                        f"{res.get('message', '')}"
                    )
                    continue
                print(
                    f"{path.name:24} {reader:11} {run:>3} {res['wall_s']:8.3f} "
                    f"{res['cpu_s']:8.3f} {res['peak_rss_mib']:8.1f} {res['rows']}"
                )
    print("\n# summary: median (min) wall seconds, median peak RSS MiB")
    print(f"{'file':24} " + " ".join(f"{r:>24}" for r in READERS))
    for path in files:
        cells = []
        for reader in READERS:
            ok = [r for r in summary[(path.name, reader)] if "error" not in r]
            if not ok:
                cells.append(f"{'error':>24}")
                continue
            walls = [float(r["wall_s"]) for r in ok]  # type: ignore[arg-type]
            rss = [float(r["peak_rss_mib"]) for r in ok]  # type: ignore[arg-type]
            cells.append(
                f"{statistics.median(walls):7.3f} ({min(walls):6.3f}) "
                f"{statistics.median(rss):6.0f}MiB".rjust(24)
            )
        print(f"{path.name:24} " + " ".join(cells))


_PROBES: dict[str, bytes] = {
    "global-without-scope.xes": (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
        b'<global><string key="concept:name" value="x"/></global>\n'
        b'<trace><string key="concept:name" value="c1"/>'
        b'<event><string key="concept:name" value="a"/>'
        b'<date key="time:timestamp" value="2020-01-01T00:00:00Z"/></event></trace>\n</log>\n'
    ),
    "self-closing-event.xes": (
        b'<log><trace><string key="concept:name" value="c1"/><event/>'
        b'<event><string key="concept:name" value="a"/></event></trace></log>'
    ),
    "malformed-tag-mismatch.xes": (
        b'<log><trace><event><string key="concept:name" value="a"></event></trace></log>'
    ),
    "missing-end-of-log.xes": (
        b'<log><trace><event><string key="concept:name" value="a"/></event></trace>'
    ),
    "bad-date.xes": (
        b'<log><trace><event><date key="time:timestamp" value="not a date"/></event></trace></log>'
    ),
    "bad-int.xes": b'<log><trace><event><int key="n" value="x1"/></event></trace></log>',
    "empty-trace.xes": (
        b'<log><trace/><trace><event><string key="concept:name" value="a"/></event></trace></log>'
    ),
    "external-entity.xes": (
        b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
        b'<log><trace><event><string key="concept:name" value="&x;"/></event></trace></log>'
    ),
}


def _probe() -> None:
    print("\n# probe: what each reader does with small valid and broken logs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = []
        for name, data in _PROBES.items():
            (folder / name).write_bytes(data)
            paths.append(folder / name)
        real = DEFAULT_DIR / "receipt.xes.gz"
        if real.exists():
            half = folder / "truncated-receipt.xes.gz"
            blob = real.read_bytes()
            half.write_bytes(blob[: len(blob) // 2])
            paths.append(half)
        plain = folder / "plain-text.xes.gz"
        plain.write_bytes(b"hello, not gzip\n")
        paths.append(plain)
        gz_empty = folder / "empty.xes.gz"
        gz_empty.write_bytes(gzip.compress(b""))
        paths.append(gz_empty)
        for path in paths:
            for reader in ("lxml", "r4pm"):
                res = _run_child(reader, path)
                if "error" in res:
                    kind = "Exception" if res.get("is_exception") else "BaseException ONLY"
                    outcome = f"raises {res['error']} ({kind}): {res.get('message', '')}"
                else:
                    outcome = f"returns {res['rows']} rows"
                print(f"{path.name:30} {reader:5} {outcome}"[:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-probe", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("READER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    files = args.files or sorted(DEFAULT_DIR.glob("*.xes*"))
    if not files:
        sys.exit(f"no XES files given and none found in {DEFAULT_DIR}")
    _measure(files, args.runs)
    if not args.no_probe:
        _probe()


if __name__ == "__main__":
    main()
