"""Rich tables for ``opslens analyze`` (the default output): bottlenecks first."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from opslens.cli.format import count, human_duration, percent
from opslens.core.eventlog import EventLog
from opslens.core.mining import AnalysisResult

MAX_ROWS = 15


def print_tables(result: AnalysisResult, log: EventLog, console: Console) -> None:
    s = result.log
    first = s.first.strftime("%Y-%m-%d %H:%M UTC") if s.first else "–"
    last = s.last.strftime("%Y-%m-%d %H:%M UTC") if s.last else "–"
    console.print(
        f"[bold]{result.source}[/]: {count(s.cases)} cases, {count(s.activity_instances)} "
        f"activity instances ({s.lifecycle}) from {count(s.events)} events, "
        f"{count(s.activities)} activities, {first} – {last}",
        highlight=False,
    )
    if s.rejected_rows:
        console.print(f"[yellow]{count(s.rejected_rows)} rows left out:[/]", highlight=False)
        for r in log.rejections[:5]:
            console.print(f"  {r.describe()}", highlight=False, soft_wrap=True)
    if s.open_instances:
        console.print(f"{count(s.open_instances)} started activities never completed (left out)")

    if result.case_duration:
        cd = result.case_duration
        console.print(
            f"Case duration: mean {human_duration(cd.stats.mean)}, median "
            f"{human_duration(cd.stats.median)}, p90 {human_duration(cd.p90)}, max "
            f"{human_duration(cd.stats.max)}",
            highlight=False,
        )

    t = Table(title="Where does the time go — bottlenecks", title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("kind")
    t.add_column("name", overflow="fold")
    t.add_column("total", justify="right")
    t.add_column("share of case time", justify="right")
    t.add_column("mean", justify="right")
    for i, b in enumerate(result.bottlenecks[:MAX_ROWS], 1):
        t.add_row(
            str(i),
            b.kind,
            b.name,
            human_duration(b.total_s),
            percent(b.share_of_time),
            human_duration(b.mean_s),
        )
    console.print(t)

    t = Table(title="Activities", title_justify="left")
    for col, just in [
        ("activity", "left"),
        ("instances", "right"),
        ("cases", "right"),
        ("rework cases", "right"),
        ("mean service", "right"),
        ("mean waiting", "right"),
        ("share of time", "right"),
    ]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for a in result.activities:
        t.add_row(
            a.activity,
            count(a.instances),
            count(a.cases),
            count(a.rework_cases),
            human_duration(a.service.mean) if a.service else "–",
            human_duration(a.waiting.mean) if a.waiting else "–",
            percent(a.share_of_time),
        )
    console.print(t)

    shown = min(MAX_ROWS, len(result.dfg))
    t = Table(title=f"Directly-follows (top {shown} of {len(result.dfg)})", title_justify="left")
    for col, just in [
        ("from", "left"),
        ("to", "left"),
        ("frequency", "right"),
        ("mean", "right"),
        ("median", "right"),
        ("max", "right"),
    ]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for e in result.dfg[:MAX_ROWS]:
        t.add_row(
            e.source,
            e.target,
            count(e.frequency),
            human_duration(e.duration.mean),
            human_duration(e.duration.median),
            human_duration(e.duration.max),
        )
    console.print(t)

    v = result.variants
    t = Table(title=f"Variants (top {len(v.top)} of {count(v.count)})", title_justify="left")
    for col, just in [
        ("#", "right"),
        ("cases", "right"),
        ("share", "right"),
        ("mean duration", "right"),
        ("activities", "left"),
    ]:
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for i, var in enumerate(v.top, 1):
        t.add_row(
            str(i),
            count(var.cases),
            percent(var.share),
            human_duration(var.duration_mean),
            " → ".join(var.activities),
        )
    console.print(t)

    if result.rework_cases:
        console.print(
            "Rework (cases repeating an activity): "
            + ", ".join(f"{a} {count(n)}" for a, n in result.rework_cases.items()),
            highlight=False,
        )
