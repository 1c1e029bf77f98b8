"""The ``opslens`` command line (Typer + Rich). Thin: parse, call ``opslens.core``, print."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from opslens import __version__

if TYPE_CHECKING:
    from opslens.core.eventlog import ColumnMapping, EventLog
    from opslens.core.mining import Filter
    from opslens.core.mining.lanes import ActivityLanes

app = typer.Typer(
    name="opslens",
    help="opslens — operations-optimization workbench: from a raw system log to the bottleneck.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


class Language(StrEnum):
    en = "en"
    zh = "zh"


def fail(message: str, code: int = 2) -> NoReturn:
    """One clear line on stderr, then exit (2 for bad input)."""
    err.print(f"[bold red]opslens: error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opslens {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """opslens — operations-optimization workbench."""


def _parse_time(text: str, option: str, tz: str) -> datetime:
    from zoneinfo import ZoneInfo

    try:
        value = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        fail(f"{option}: {text!r} is not a date or time (use 2024-06-01 or 2024-06-01T08:00+08:00)")
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value


@app.command()
def analyze(
    log: Annotated[
        Path,
        typer.Argument(help="Event log: CSV, XLSX, Parquet, XES or XES.gz.", show_default=False),
    ],
    case: Annotated[str | None, typer.Option("--case", help="Case-id column.")] = None,
    activity: Annotated[str | None, typer.Option("--activity", help="Activity column.")] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Start-time column (interval logs).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", "--timestamp", help="Event-time (end) column.")
    ] = None,
    resource: Annotated[str | None, typer.Option("--resource", help="Resource column.")] = None,
    lifecycle: Annotated[
        str | None,
        typer.Option("--lifecycle", help="Lifecycle-transition column (start/complete)."),
    ] = None,
    instance: Annotated[
        str | None,
        typer.Option("--instance", help="Activity-instance id column for lifecycle pairing."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            "--tz",
            help="Zone of times without offset, and of the times the HTML report shows "
            "(default: this machine's).",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file instead of standard output."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="How many variants to list.")] = 10,
    lang: Annotated[
        Language,
        typer.Option("--lang", help="Language of the HTML report and of the BPMN's texts."),
    ] = Language.en,
    bpmn: Annotated[
        Path | None,
        typer.Option(
            "--bpmn",
            help="Also write the discovered process map as BPMN 2.0 (with its diagram) to this "
            "file, with the paths the HTML map shows by default.",
        ),
    ] = None,
    lanes: Annotated[
        str | None,
        typer.Option(
            "--lanes",
            help="Swimlanes by this column (resource, or a department column) in the HTML map "
            "(shown when it opens) and in the BPMN (one lane per value).",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only cases active on or after this time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only cases active on or before this time.")
    ] = None,
    with_activity: Annotated[
        list[str] | None,
        typer.Option("--with-activity", help="Only cases containing this activity (repeatable)."),
    ] = None,
    without_activity: Annotated[
        list[str] | None,
        typer.Option("--without-activity", help="Only cases without this activity (repeatable)."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only cases with an event where COLUMN=VALUE (repeatable)."),
    ] = None,
    min_duration: Annotated[
        str | None,
        typer.Option("--min-case-duration", help="Only cases at least this long (e.g. 4h, 2d)."),
    ] = None,
    max_duration: Annotated[
        str | None,
        typer.Option("--max-case-duration", help="Only cases at most this long (e.g. 4h, 2d)."),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="fast (DuckDB + NumPy) or portable (pure Ibis).", hidden=True
        ),
    ] = "fast",
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of unexpected errors.")
    ] = False,
) -> None:
    """Analyse an event log: DFG, activities, waiting/service time, variants, rework, bottlenecks.

    Columns are recognised from their names (English, Chinese, XES/PM4Py); name them with the
    mapping options when they are not. Rows without a case, an activity or a readable time are
    left out and reported. Output: Rich tables (default), the opslens.analysis/1 JSON, or one
    self-contained HTML report with an interactive process map. --bpmn also writes the map as
    BPMN 2.0; --lanes draws swimlanes (each activity in the lane of its most frequent value).
    """
    from opslens.core.errors import OpslensError

    try:
        from opslens.core.eventlog import ColumnMapping

        mapping = ColumnMapping(
            case=case,
            activity=activity,
            start=start,
            end=end,
            resource=resource,
            lifecycle=lifecycle,
            instance=instance,
        )
        _analyze(
            log,
            mapping,
            timezone,
            fmt,
            out,
            top,
            lang,
            since,
            until,
            with_activity or [],
            without_activity or [],
            where or [],
            min_duration,
            max_duration,
            engine,
            bpmn,
            lanes,
        )
    except OpslensError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except typer.Exit:
        raise
    except Exception as exc:  # the last line of defence: never a traceback for the user
        if debug:
            raise
        fail(f"unexpected {type(exc).__name__}: {exc} (run again with --debug for details)", 1)


def _analyze(
    log_path: Path,
    mapping: ColumnMapping,
    timezone: str | None,
    fmt: OutputFormat,
    out: Path | None,
    top: int,
    lang: Language,
    since: str | None,
    until: str | None,
    with_activity: list[str],
    without_activity: list[str],
    where: list[str],
    min_duration: str | None,
    max_duration: str | None,
    engine: str,
    bpmn_path: Path | None = None,
    lane_column: str | None = None,
) -> None:
    from opslens.cli.format import parse_duration
    from opslens.cli.progress import phases
    from opslens.core.eventlog import default_timezone, read_event_log
    from opslens.core.mining import (
        ActivityFilter,
        AttributeFilter,
        CaseDurationFilter,
        TimeRangeFilter,
        analyze,
    )

    tz = timezone or default_timezone()
    filters: list[Filter] = []
    if since or until:
        filters.append(
            TimeRangeFilter(
                _parse_time(since, "--since", tz) if since else None,
                _parse_time(until, "--until", tz) if until else None,
            )
        )
    filters += [ActivityFilter(a, present=True) for a in with_activity]
    filters += [ActivityFilter(a, present=False) for a in without_activity]
    clauses = []
    for clause in where:
        column, sep, value = clause.partition("=")
        if not sep or not column.strip():
            fail(f"--where: {clause!r} is not COLUMN=VALUE")
        clauses.append((column.strip(), value.strip()))
    if min_duration or max_duration:
        try:
            lo = parse_duration(min_duration) if min_duration else None
            hi = parse_duration(max_duration) if max_duration else None
        except ValueError:
            fail(
                "--min-case-duration/--max-case-duration: use a number of seconds or 30min, 4h, 2d"
            )
        filters.append(CaseDurationFilter(lo, hi))

    show_progress = fmt is not OutputFormat.table or out is not None or sys.stdout.isatty()
    with phases(log_path, enabled=show_progress) as progress:
        progress.step("reading")
        log = read_event_log(log_path, mapping, timezone=tz)
        filters += [AttributeFilter(log.canonical_column(c), [v]) for c, v in clauses]
        progress.step("analysing")
        if engine not in ("fast", "portable"):
            fail(f"--engine: {engine!r} is not fast or portable")
        result = analyze(log, filters=filters, top_variants=top, engine=engine)  # type: ignore[arg-type]
        lanes = _lanes(log, filters, lane_column) if lane_column is not None else None
        progress.step("writing")
        if fmt is OutputFormat.json:
            text = result.to_json()
        elif fmt is OutputFormat.html:
            from opslens.core.report import render_html

            shown = {lane_column: lanes} if lanes is not None and lane_column is not None else {}
            text = render_html(
                result,
                lang=lang.value,
                lanes=shown,
                show_lanes=next(iter(shown), None),
                zone=tz,
            )
        else:
            text = None
        if bpmn_path is not None:
            from opslens.core.mining.bpmn_discovered import default_min_frequency, discovered_bpmn

            document = discovered_bpmn(
                result,
                min_frequency=default_min_frequency(result),
                lanes=lanes,
                lang=lang.value,
            )
            try:
                bpmn_path.write_bytes(document)
            except OSError as exc:
                fail(f"--bpmn: cannot write {bpmn_path}: {exc.strerror}")
            err.print(f"opslens: wrote {bpmn_path}", highlight=False, soft_wrap=True)
        elif lanes is not None and fmt is not OutputFormat.html:
            err.print(
                "[yellow]opslens: --lanes draws swimlanes in the HTML report (-f html) and in "
                "--bpmn only[/]",
                highlight=False,
                soft_wrap=True,
            )
    if log.rejected_rows:
        first = log.rejections[0].describe() if log.rejections else ""
        err.print(
            f"[yellow]opslens: {log.rejected_rows:,} of {log.rejected_rows + log.events:,} rows "
            f"were left out[/] (first: {first})",
            highlight=False,
            soft_wrap=True,
        )
    if text is None:
        from opslens.cli.tables import print_tables

        if out is not None:
            with out.open("w", encoding="utf-8") as fh:
                print_tables(result, log, Console(file=fh, width=160))
        else:
            print_tables(result, log, Console())
        return
    if out is None or str(out) == "-":
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}")
        err.print(f"opslens: wrote {out}", highlight=False)


def _lanes(log: EventLog, filters: list[Filter], column: str) -> ActivityLanes:
    """The lanes of ``column`` over the analysed events; an unknown column fails with the
    columns that make sense as lanes."""
    from opslens.core.errors import MissingColumnError
    from opslens.core.mining import restrict_log
    from opslens.core.mining.lanes import activity_lanes, lane_candidates

    view = restrict_log(log, filters) if filters else log
    try:
        return activity_lanes(view, column)
    except MissingColumnError:
        candidates = lane_candidates(view)
        available = ", ".join(candidates) if candidates else "none"
        fail(
            f"--lanes: {log.source} has no column {column!r}; "
            f"columns that make sense as lanes: {available}"
        )


# The web commands (demo, serve, worker, manage) register themselves on `app`.
from opslens.cli import web as _web  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    app()
