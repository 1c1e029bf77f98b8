"""Datasets: keep the upload, read its columns, import it as Parquet, analyse filters of it.

Every step that reads a whole file runs in the worker (:mod:`opslens.web.datasets.tasks`); the
request only streams the upload to disk (Django's temporary-file upload handler) and moves it
into the dataset's folder. Each step writes its files under a temporary name and renames them
when complete, and saves the dataset's status last: a worker that dies half-way leaves the
previous state and no partial result, and the step can simply run again.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.move import file_move_safe
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from opslens.core.errors import InputError, OpslensError, UnreadableFileError
from opslens.core.eventlog import ColumnMapping, read_event_log
from opslens.core.eventlog.log import EventLog
from opslens.core.eventlog.mapping import ROLES, suggest_mapping
from opslens.core.mining import (
    ActivityFilter,
    AttributeFilter,
    CaseDurationFilter,
    Filter,
    TimeRangeFilter,
    VariantFilter,
    analyze,
    restrict_log,
)
from opslens.web.datasets.models import EMPTY_SIDE, Analysis, Dataset

logger = logging.getLogger(__name__)

#: File name endings we accept, longest first (the stored file keeps the ending).
FORMATS = ("csv.gz", "xes.gz", "csv", "tsv", "txt", "xlsx", "parquet", "xes")
PREVIEW_ROWS = 20
CANONICAL = ColumnMapping(
    case="case_id", activity="activity", start="start", end="end", resource="resource"
)


def file_format(name: str) -> str | None:
    lower = name.lower()
    for ending in FORMATS:
        if lower.endswith("." + ending):
            return ending
    return None


# --- upload ---------------------------------------------------------------------------------


def accept_upload(upload: Any, dataset: Dataset) -> Dataset:
    """Store ``upload`` as the dataset's source file and queue the column inspection.

    ``dataset`` is unsaved, with its name, department, process and time zone set. The upload is
    already on disk (Django streams anything beyond 2.5 MB into a temporary file); it is moved,
    never read into memory. :class:`UnreadableFileError` for an empty file or an unknown type.
    """
    name = upload.name or "upload"
    fmt = file_format(name)
    if fmt is None:
        raise UnreadableFileError(
            _("unsupported file type; use CSV, XLSX, Parquet or XES (.gz)"), file=name
        )
    if not upload.size:
        raise UnreadableFileError(_("the file is empty"), file=name)
    dataset.source_name = name[:300]
    dataset.source_format = fmt
    dataset.source_size = upload.size
    dataset.status = Dataset.Status.UPLOADED
    with transaction.atomic():
        dataset.save()
        dataset.folder.mkdir(parents=True, exist_ok=True)
        target = dataset.source_path
        temporary = getattr(upload, "temporary_file_path", None)
        if temporary is not None:
            # Django's own storage does the same: a rename where it can, else a copy
            file_move_safe(temporary(), str(target), allow_overwrite=True)
            upload.close()  # the temporary file is gone; closing it says nothing
        else:
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        _enqueue("inspect_dataset", dataset.pk)
    return dataset


def _enqueue(task: str, *args: Any) -> None:
    def go() -> None:
        from opslens.web.datasets import tasks

        getattr(tasks, task).enqueue(*args)

    transaction.on_commit(go)


def _set(dataset: Dataset, **fields: Any) -> None:
    """Update fields without touching others (the page and the worker write the same row)."""
    for name, value in fields.items():
        setattr(dataset, name, value)
    Dataset.objects.filter(pk=dataset.pk).update(**fields)


def _analysis_failure(exc: BaseException) -> str:
    """What a failed analysis keeps as its error: a code for a comparison with an empty view
    (shown in the reader's language, see ``Analysis.error_text``), else the message."""
    from opslens.core.errors import EmptySliceError

    if isinstance(exc, EmptySliceError):
        return EMPTY_SIDE + exc.side
    return _failure(exc)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, OpslensError):
        return str(exc)
    return _("unexpected error (%(kind)s): %(detail)s") % {
        "kind": type(exc).__name__,
        "detail": str(exc)[:300],
    }


# --- step 1: the columns and the first rows -------------------------------------------------


def inspect(dataset: Dataset) -> Dataset:
    """Read the columns and the first rows; suggest a mapping; the dataset waits for a person."""
    import duckdb

    from opslens.core.eventlog.readers import load_raw

    _set(dataset, status=Dataset.Status.INSPECTING, progress=10, error="")
    work = Path(tempfile.mkdtemp(prefix="opslens-inspect-"))
    con = duckdb.connect(str(work / "inspect.duckdb"))
    try:
        source, whole = _head(dataset, work)
        raw = load_raw(con, source, work)
        columns = [c for c in raw.columns if c != "__row"]
        quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        rows = con.execute(
            f"SELECT {quoted} FROM raw ORDER BY __row LIMIT {PREVIEW_ROWS}"
        ).fetchall()
        total = con.execute("SELECT count(*) FROM raw").fetchone()
        suggestion = suggest_mapping(columns)
    except Exception as exc:
        _set(dataset, status=Dataset.Status.FAILED, progress=0, error=_failure(exc))
        return dataset
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    preview = {
        "columns": columns,
        "rows": [["" if v is None else str(v) for v in row] for row in rows],
        "total_rows": int(total[0]) if total and whole else None,
    }
    _set(
        dataset,
        status=Dataset.Status.MAPPING,
        progress=100,
        preview=preview,
        mapping={k: v for k, v in suggestion.as_dict().items() if v},
    )
    return dataset


HEAD_BYTES = 4 * 2**20


def _head(dataset: Dataset, work: Path) -> tuple[Path, bool]:
    """The file to read the columns from, and whether it is the whole file: a text export
    larger than a few MB is cut after its last complete line within the first 4 MB, so that
    reading the columns of a file of several GB takes a moment, not a minute."""
    path = dataset.source_path
    if dataset.source_format not in ("csv", "tsv", "txt") or path.stat().st_size <= HEAD_BYTES:
        return path, True
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    cut = head.rfind(b"\n")
    if cut <= 0:
        return path, True
    target = work / f"head.{dataset.source_format}"
    target.write_bytes(head[: cut + 1])
    return target, False


# --- step 2: the import ---------------------------------------------------------------------


def confirm_mapping(dataset: Dataset, mapping: Mapping[str, str | None], tz: str) -> None:
    """A person confirmed the columns: queue the import."""
    _set(
        dataset,
        mapping={k: v for k, v in mapping.items() if v},
        timezone=tz,
        status=Dataset.Status.IMPORTING,
        progress=0,
        error="",
    )
    _enqueue("import_dataset", dataset.pk)


def import_events(dataset: Dataset) -> Dataset:
    """Validate every row, write the canonical events as Parquet and the rejected rows as CSV,
    record what was found, and run the first analysis on the events just read (no second read
    of the file or the Parquet)."""
    _set(dataset, status=Dataset.Status.IMPORTING, progress=5, error="")
    mapping = ColumnMapping(**{r: dataset.mapping.get(r) for r in ROLES})
    folder = dataset.folder
    events_tmp = folder / "events.parquet.part"
    rejected_tmp = folder / "rejected.csv.part"
    log: EventLog | None = None
    try:
        log = read_event_log(dataset.source_path, mapping, timezone=dataset.timezone)
        _set(dataset, progress=60)
        with rejected_tmp.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["file", "row", "column", "value", "reason"])
            for r in log.rejections:
                writer.writerow([dataset.source_name, r.row, r.column, r.value or "", r.reason])
        bounds = log.con.execute(
            'SELECT count(DISTINCT case_id), min(coalesce(start, "end")), max("end") FROM events'
        ).fetchone()
        assert bounds is not None
        found = {
            "events": log.events,
            "activity_instances": log.activity_instances,
            "rejected_rows": log.rejected_rows,
            "lifecycle": log.lifecycle,
            "activities": list(log.activity_names),
            "attributes": [a for a in log.attributes if a != "row"],
            "cases": int(bounds[0]),
            "first_event": bounds[1],
            "last_event": bounds[2],
        }
        os.replace(rejected_tmp, dataset.rejected_path)
        dataset.events_path.unlink(missing_ok=True)  # an earlier import's events are stale
    except Exception as exc:
        if log is not None:
            log.close()
        events_tmp.unlink(missing_ok=True)
        rejected_tmp.unlink(missing_ok=True)
        _set(dataset, status=Dataset.Status.FAILED, progress=0, error=_failure(exc))
        return dataset
    try:
        with transaction.atomic():
            dataset.analyses.all().delete()  # cached figures of an earlier import are stale
            shutil.rmtree(dataset.folder / "analyses", ignore_errors=True)
            _set(
                dataset,
                status=Dataset.Status.READY,
                progress=100,
                imported=timezone.now(),
                **found,
            )
            first = Analysis.objects.create(
                dataset=dataset, key=FilterSpec().key, filters=FilterSpec().as_dict()
            )

        def save_events() -> None:
            # after the first figures are on the page: the canonical events as Parquet, in
            # the file's order (ties in time keep it), for the views after a restart
            target = str(events_tmp).replace("'", "''")
            try:
                log.con.execute(
                    f"COPY (SELECT * EXCLUDE (row) FROM events) TO '{target}' "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )
                os.replace(events_tmp, dataset.events_path)
            except Exception as exc:
                events_tmp.unlink(missing_ok=True)
                _set(dataset, status=Dataset.Status.FAILED, progress=0, error=_failure(exc))
                raise

        compute(first, log=log, after_done=save_events)
    except BaseException:
        log.close()
        raise
    if dataset.events_path.exists():
        hot_log.keep(dataset, log)  # the next filter change starts from these events
    elif Dataset.objects.filter(pk=dataset.pk, status=Dataset.Status.FAILED).exists():
        log.close()  # saving the events failed: the page says why, "try again" imports again
        return dataset
    else:  # the first analysis failed before the events were saved: save them now
        try:
            save_events()
        except Exception:
            log.close()
            return dataset
        hot_log.keep(dataset, log)
    return dataset


# --- filters --------------------------------------------------------------------------------

FILTER_KEYS = ("since", "until", "variant", "with", "without", "attr", "min_d", "max_d")


@dataclass(frozen=True)
class FilterSpec:
    """The filters of a page, as in its URL (so a filtered view can be shared)."""

    since: str = ""
    until: str = ""
    variant: tuple[str, ...] = ()  # activity sequence, "→"-joined in the URL
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()
    attr: tuple[str, ...] = ()  # "column=value"
    min_d: str = ""
    max_d: str = ""

    @classmethod
    def from_query(cls, query: Any, prefix: str = "") -> FilterSpec:
        def one(name: str) -> str:
            return str(query.get(prefix + name, "") or "").strip()

        def many(name: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in query.getlist(prefix + name) if v and v.strip())

        variant = one("variant")
        return cls(
            since=one("since"),
            until=one("until"),
            variant=tuple(variant.split("→")) if variant else (),
            with_=many("with"),
            without=many("without"),
            attr=many("attr"),
            min_d=one("min_d"),
            max_d=one("max_d"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in {
                "since": self.since,
                "until": self.until,
                "variant": "→".join(self.variant),
                "with": list(self.with_),
                "without": list(self.without),
                "attr": list(self.attr),
                "min_d": self.min_d,
                "max_d": self.max_d,
            }.items()
            if v
        }

    @property
    def key(self) -> str:
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def query(self, prefix: str = "", **override: Any) -> str:
        """The URL query string of these filters (``override`` replaces or, with None, drops)."""
        from urllib.parse import urlencode

        data = self.as_dict()
        for k, v in override.items():
            k = k.rstrip("_")
            if v is None:
                data.pop(k, None)
            else:
                data[k] = v
        pairs: list[tuple[str, str]] = []
        for k, v in data.items():
            k = prefix + k
            pairs += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
        return urlencode(pairs)

    @property
    def without_variant(self) -> str:
        return self.query(variant=None)

    @property
    def empty(self) -> bool:
        return not self.as_dict()

    @property
    def label(self) -> str:
        """The view in a few words, e.g. "2024-07-01 – … · with 技术处理 · 紧急程度=紧急"."""
        parts: list[str] = []
        if self.since or self.until:
            parts.append(f"{self.since or '…'} – {self.until or '…'}")
        if self.variant:
            parts.append(" → ".join(self.variant))
        parts += [_("with %(activity)s") % {"activity": a} for a in self.with_]
        parts += [_("without %(activity)s") % {"activity": a} for a in self.without]
        parts += list(self.attr)
        if self.min_d and self.max_d:
            parts.append(_("lasting %(low)s to %(high)s") % {"low": self.min_d, "high": self.max_d})
        elif self.max_d:
            parts.append(_("lasting at most %(high)s") % {"high": self.max_d})
        elif self.min_d:
            parts.append(_("lasting at least %(low)s") % {"low": self.min_d})
        return " · ".join(parts) or _("all cases")


def _day(text: str, tz: str, *, end: bool) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InputError(
            _("“%(value)s” is not a date; write it as 2024-06-01.") % {"value": text}
        ) from None
    moment = datetime.combine(day, dtime.max if end else dtime.min)
    return moment.replace(tzinfo=ZoneInfo(tz))


def core_filters(spec: FilterSpec, dataset: Dataset) -> list[Filter]:
    """The engine's filters for ``spec``; :class:`InputError` naming the bad value."""
    from opslens.cli.format import parse_duration

    tz = dataset.zone
    filters: list[Filter] = []
    if spec.since or spec.until:
        lo = _day(spec.since, tz, end=False) if spec.since else None
        hi = _day(spec.until, tz, end=True) if spec.until else None
        if lo and hi and lo > hi:
            raise InputError(_("The time range starts after it ends."))
        filters.append(TimeRangeFilter(lo, hi, mode="started"))
    if spec.variant:
        filters.append(VariantFilter([list(spec.variant)]))
    filters += [ActivityFilter(a, present=True) for a in spec.with_]
    filters += [ActivityFilter(a, present=False) for a in spec.without]
    for clause in spec.attr:
        column, sep, value = clause.partition("=")
        if not sep or column not in [*dataset.attributes, "resource"]:
            raise InputError(
                _("“%(value)s” is not COLUMN=VALUE with a column of this dataset.")
                % {"value": clause}
            )
        filters.append(AttributeFilter(column, [value]))
    if spec.min_d or spec.max_d:
        try:
            lo_s = parse_duration(spec.min_d) if spec.min_d else None
            hi_s = parse_duration(spec.max_d) if spec.max_d else None
        except ValueError:
            raise InputError(_("A case duration is a number of hours or 30min, 4h, 2d.")) from None
        filters.append(CaseDurationFilter(lo_s, hi_s))
    return filters


# --- analyses -------------------------------------------------------------------------------


def request_analysis(dataset: Dataset, filters: Mapping[str, Any] | FilterSpec) -> Analysis:
    """The cached analysis of this filter, or a new one queued for the worker."""
    spec = filters if isinstance(filters, FilterSpec) else FilterSpec()
    analysis, created = Analysis.objects.get_or_create(
        dataset=dataset, key=spec.key, defaults={"filters": spec.as_dict()}
    )
    if created:
        _enqueue("run_analysis", analysis.pk)
        analysis.refresh_from_db()  # a backend that runs tasks at once has run it already
    return analysis


def comparison_key(before: FilterSpec, after: FilterSpec) -> str:
    return hashlib.sha256(f"compare:{before.key}:{after.key}".encode()).hexdigest()


def request_comparison(dataset: Dataset, before: FilterSpec, after: FilterSpec) -> Analysis:
    """The cached before/after comparison of two views, or a new one queued for the worker."""
    analysis, created = Analysis.objects.get_or_create(
        dataset=dataset,
        key=comparison_key(before, after),
        defaults={"filters": {"compare": {"before": before.as_dict(), "after": after.as_dict()}}},
    )
    if created:
        _enqueue("run_analysis", analysis.pk)
        analysis.refresh_from_db()  # a backend that runs tasks at once has run it already
    return analysis


def comparison_specs(analysis: Analysis) -> tuple[FilterSpec, FilterSpec] | None:
    pair = analysis.filters.get("compare") if analysis.filters else None
    if not pair:
        return None
    return (
        FilterSpec.from_query(_Query(pair["before"])),
        FilterSpec.from_query(_Query(pair["after"])),
    )


def retry_analysis(analysis: Analysis) -> None:
    Analysis.objects.filter(pk=analysis.pk).update(
        status=Analysis.Status.QUEUED, progress=0, stage="", error="", result=None
    )
    _enqueue("run_analysis", analysis.pk)


def open_log(dataset: Dataset) -> EventLog:
    """The dataset's canonical events (the Parquet file) as an event log."""
    # the stored times are absolute; the zone is the one they are shown in
    return read_event_log(dataset.events_path, CANONICAL, timezone=dataset.zone)


class _HotLog:
    """The events of the dataset analysed last, kept open in memory by the process that runs
    the analyses (the worker), so that a filter change does not read and decode the Parquet
    again: one dataset at a time, replaced when another is analysed or its file changes."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._key: tuple[int, str, int] | None = None
        self._log: EventLog | None = None

    @staticmethod
    def _key_of(dataset: Dataset) -> tuple[int, str, int] | None:
        path = dataset.events_path
        try:
            return (dataset.pk, str(path), path.stat().st_mtime_ns)
        except OSError:
            return None

    def forget(self, dataset_pk: int) -> None:
        """Let go of a deleted dataset's events."""
        with self._lock:
            if self._key is not None and self._key[0] == dataset_pk:
                self.drop()

    @contextlib.contextmanager
    def use(self, dataset: Dataset) -> Iterator[EventLog]:
        with self._lock:
            key = self._key_of(dataset)
            if self._log is None or key is None or key != self._key:
                self.drop()
                if not dataset.events_path.exists():
                    raise InputError(
                        _(
                            "The events of this dataset were not saved (its import was "
                            "interrupted): import it again."
                        )
                    )
                log = open_log(dataset)
                try:
                    self._log = log.in_memory()
                    self._log.table.get_name()  # Ibis attached once per held log
                except BaseException:
                    log.close()
                    raise
                self._key = key
            assert self._log is not None
            yield self._log

    def keep(self, dataset: Dataset, log: EventLog) -> None:
        """Hold ``log`` (the import's, just read) as the dataset's events from now on."""
        with self._lock:
            self.drop()
            self._key, self._log = self._key_of(dataset), log
            log.table.get_name()  # Ibis attached now, while the page is read, not at a filter

    def drop(self) -> None:
        with self._lock:
            if self._log is not None:
                self._log.close()
            self._key, self._log = None, None


hot_log = _HotLog()


class _Query(dict):  # type: ignore[type-arg]
    def getlist(self, key: str) -> list[str]:
        value = self.get(key, [])
        return list(value) if isinstance(value, list) else [value]


def spec_of(analysis: Analysis) -> FilterSpec:
    return FilterSpec.from_query(_Query(analysis.filters))


def compute(
    analysis: Analysis,
    log: EventLog | None = None,
    after_done: Callable[[], None] | None = None,
) -> Analysis:
    """Run one analysis; its result is saved in one write at the end, or not at all. ``log``:
    the dataset's events already open (the import's), else the Parquet is read. ``after_done``
    runs once the figures are saved, before the swimlanes."""
    dataset = analysis.dataset

    def stage(progress: int, text: str) -> None:
        Analysis.objects.filter(pk=analysis.pk).update(progress=progress, stage=text)

    started = time.perf_counter()
    Analysis.objects.filter(pk=analysis.pk).update(
        status=Analysis.Status.RUNNING, started=timezone.now(), error="", progress=5
    )
    pair = comparison_specs(analysis)
    try:
        if pair is not None:
            payload = _compare(analysis, pair, stage)
            Analysis.objects.filter(pk=analysis.pk).update(
                status=Analysis.Status.DONE,
                progress=100,
                stage="",
                result=payload,
                finished=timezone.now(),
                seconds=time.perf_counter() - started,
            )
            analysis.refresh_from_db()
            return analysis
        filters = core_filters(spec_of(analysis), dataset)
        stage(15, "reading")
        with contextlib.nullcontext(log) if log is not None else hot_log.use(dataset) as events:
            stage(45, "analysing")
            view = restrict_log(events, filters)  # the filters applied once, for all
            try:
                result = analyze(view, top_variants=25)
                stage(75, "analysing")
                more = extras(view)
                stage(85, "drawing")
                result = replace(result, source=dataset.name)
                payload = json.loads(result.to_json(indent=None))
                payload["extras"] = more
                _write_reports(analysis, result)
                _save_result(analysis, result)
                Analysis.objects.filter(pk=analysis.pk).update(
                    status=Analysis.Status.DONE,
                    progress=100,
                    stage="",
                    result=payload,
                    finished=timezone.now(),
                    seconds=time.perf_counter() - started,
                )
                if after_done is not None:
                    after_done()
                # the page is complete; the swimlanes follow a moment later (a second view of
                # the same map, not worth making the first one wait for)
                _add_lanes(analysis, view, result, payload)
            finally:
                if view is not events:
                    events.con.execute(f"DROP TABLE IF EXISTS {view.relation}")
    except Exception as exc:
        Analysis.objects.filter(pk=analysis.pk).update(
            status=Analysis.Status.FAILED, error=_analysis_failure(exc), progress=0, result=None
        )
        analysis.refresh_from_db()
        return analysis
    analysis.refresh_from_db()
    return analysis


def _add_lanes(analysis: Analysis, view: EventLog, result: Any, payload: dict[str, Any]) -> None:
    """Each activity's dominant resource and department (the columns that make sense as
    lanes), kept with the analysis and drawn as swimlanes in its reports. A failure here
    leaves the analysis as it is, without lanes."""
    from opslens.core.mining.lanes import activity_lanes, lane_candidates

    try:
        columns = lane_columns(analysis.dataset)
        if columns is None:
            columns = lane_candidates(view)
        lanes = {c: activity_lanes(view, c) for c in columns}
        payload["lane_columns"] = columns
        payload["lanes"] = {c: lane.to_dict() for c, lane in lanes.items()}
        if lanes:
            _write_reports(analysis, result, lanes)
        Analysis.objects.filter(pk=analysis.pk).update(result=payload)
    except Exception:  # optional: the figures are already saved
        logger.exception("swimlanes of analysis %s", analysis.pk)


def lane_columns(dataset: Dataset) -> list[str] | None:
    """The dataset's lane columns, as found on its first (unfiltered) analysis."""
    first = Analysis.objects.filter(dataset=dataset, key=FilterSpec().key).first()
    if first is None or not first.result or "lane_columns" not in first.result:
        return None
    return [str(c) for c in first.result["lane_columns"]]


def lanes_of(analysis: Analysis) -> dict[str, Any]:
    """The analysis's swimlanes by column (:class:`ActivityLanes`), empty before they are in."""
    from opslens.core.mining.lanes import ActivityLanes

    found = (analysis.result or {}).get("lanes") or {}
    return {c: ActivityLanes.from_dict(d) for c, d in found.items()}


def result_path(analysis: Analysis) -> Path:
    return analysis.dataset.folder / "analyses" / f"{analysis.key}.result.pickle"


def _save_result(analysis: Analysis, result: Any) -> None:
    """The figures as the engine returned them (our own file), for exports such as BPMN."""
    path = result_path(analysis)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    part.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(part, path)


def load_result(analysis: Analysis) -> Any | None:
    path = result_path(analysis)
    try:
        return pickle.loads(path.read_bytes())  # our own file, written by compute()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return None


def bpmn_of(analysis: Analysis, *, min_frequency: int | None, lane: str, lang: str) -> bytes:
    """The analysis's process map as BPMN 2.0 (the paths the map shows, its swimlanes)."""
    from opslens.core.mining.bpmn_discovered import default_min_frequency, discovered_bpmn

    result = load_result(analysis)
    if result is None:
        raise FileNotFoundError(result_path(analysis))
    lanes = lanes_of(analysis).get(lane) if lane else None
    threshold = default_min_frequency(result) if min_frequency is None else max(0, min_frequency)
    return discovered_bpmn(
        result,
        min_frequency=threshold,
        lanes=lanes,
        lang="zh" if lang.startswith("zh") else "en",
        name=analysis.dataset.name,
    )


def _compare(analysis: Analysis, pair: tuple[FilterSpec, FilterSpec], stage: Any) -> Any:
    from opslens.core.mining import compare_logs

    dataset = analysis.dataset
    before, after = (core_filters(spec, dataset) for spec in pair)
    stage(15, "reading")
    with hot_log.use(dataset) as log:
        stage(45, "analysing")
        comparison = compare_logs(log, before=before, after=after)
    return {"comparison": json.loads(json.dumps(comparison.to_dict(), default=str))}


def extras(log: EventLog) -> dict[str, Any]:
    """What the figures of the contract do not hold: events and cases per week, and each
    resource's workload (instances, cases, hours of work) — for the page's charts. ``log`` is
    the view (see :func:`~opslens.core.mining.restrict_log`)."""
    relation = log.relation
    # Counted per quarter hour of absolute time first (integer keys, cheap), then the few
    # thousand quarter hours are put in the weeks of the log's zone (whose offsets are whole
    # quarter hours): the same weeks as truncating every event's time in the zone, 10× faster.
    weeks = log.con.execute(
        f"""
        WITH f AS (SELECT * FROM {relation} AS x),
        firsts AS (SELECT case_id, min(coalesce(start, "end")) AS t FROM f GROUP BY case_id),
        q AS (
          SELECT epoch("end")::BIGINT // 900 AS b, count(*) AS events, 0 AS started
          FROM f GROUP BY 1
          UNION ALL
          SELECT epoch(t)::BIGINT // 900, 0, count(*) FROM firsts GROUP BY 1)
        SELECT date_trunc('week', to_timestamp(b * 900))::DATE AS w,
               sum(events)::BIGINT, sum(started)::BIGINT
        FROM q GROUP BY w ORDER BY w
        """
    ).fetchall()
    resources = log.con.execute(
        f"""
        SELECT resource, count(*), count(DISTINCT case_id),
               sum(epoch("end") - epoch(coalesce(start, "end"))) / 3600.0
        FROM {relation} AS x WHERE resource IS NOT NULL
        GROUP BY resource ORDER BY 4 DESC, 2 DESC, resource LIMIT 30
        """
    ).fetchall()
    return {
        "weeks": [[w.isoformat(), int(e), int(c)] for w, e, c in weeks],
        "resources": [[r, int(n), int(c), round(float(h or 0), 2)] for r, n, c, h in resources],
    }


REPORT_LANGUAGES = ("zh", "en")


def report_path(analysis: Analysis, lang: str) -> Path:
    return analysis.dataset.folder / "analyses" / f"{analysis.key}.{lang}.html"


def _write_reports(analysis: Analysis, result: Any, lanes: Mapping[str, Any] | None = None) -> None:
    """The interactive process map and tables (the offline report) in both languages."""
    from opslens.core.report import render_html

    zone = analysis.dataset.zone  # times as the dataset's page shows them
    for lang in REPORT_LANGUAGES:
        path = report_path(analysis, lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        html = render_html(
            result, title=analysis.dataset.name, lang=lang, lanes=lanes or None, zone=zone
        )
        part.write_text(html, "utf-8")
        os.replace(part, path)


def cases_with(
    dataset: Dataset, *, activity: str = "", source: str = "", target: str = "", limit: int = 50
) -> list[dict[str, Any]]:
    """Cases that pass through an activity or a direct succession, longest first."""
    import duckdb

    if not dataset.events_path.exists():
        return []  # a moment after the first analysis, while the events are being saved
    path = str(dataset.events_path).replace("'", "''")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        base = f"read_parquet('{path}')"
        if activity:
            match = con.execute(
                f"SELECT DISTINCT case_id FROM {base} WHERE activity = ?", [activity]
            )
        else:
            match = con.execute(
                f"""
                SELECT DISTINCT case_id FROM (
                  SELECT case_id, activity,
                         lead(activity) OVER (PARTITION BY case_id
                                              ORDER BY coalesce(start, "end"), "end") AS nxt
                  FROM {base}) WHERE activity = ? AND nxt = ?
                """,
                [source, target],
            )
        ids = [r[0] for r in match.fetchall()]
        if not ids:
            return []
        con.register("wanted", __import__("pyarrow").table({"case_id": ids}))
        rows = con.execute(
            f"""
            SELECT e.case_id, count(*) AS n, min(coalesce(e.start, e."end")) AS first,
                   max(e."end") AS last,
                   string_agg(e.activity, ' → ' ORDER BY coalesce(e.start, e."end"), e."end")
            FROM {base} e JOIN wanted w USING (case_id)
            GROUP BY e.case_id ORDER BY last - first DESC, e.case_id LIMIT {int(limit)}
            """
        ).fetchall()
    finally:
        con.close()
    return [
        {
            "case": r[0],
            "events": r[1],
            "first": r[2],
            "last": r[3],
            "seconds": (r[3] - r[2]).total_seconds() if r[2] and r[3] else None,
            "path": r[4],
        }
        for r in rows
    ]


# --- the loop: T1 steps measured, T2 projects opened ----------------------------------------


@dataclass(frozen=True)
class Fill:
    filled: tuple[str, ...]
    steps_without_data: tuple[str, ...]
    activities_without_step: tuple[str, ...]


def _norm(name: str) -> str:
    return "".join(name.split()).casefold()


def fill_process(dataset: Dataset, analysis: Analysis) -> Fill:
    """Set each as-is step's measured hours and return rate from the analysis, matching steps
    to activities by name (spaces and case ignored). Assumed figures are left as they are."""
    from decimal import Decimal

    process = dataset.process
    version = process.as_is if process is not None else None
    if version is None or not analysis.result:
        return Fill((), (), ())
    stats = {_norm(a["activity"]): a for a in analysis.result["activities"]}
    used: set[str] = set()
    filled, missing = [], []
    now = timezone.now()
    for step in version.steps.all():
        found = stats.get(_norm(step.name))
        if found is None:
            missing.append(step.name)
            continue
        used.add(_norm(step.name))
        parts = [found.get("service_s"), found.get("waiting_s")]
        total = sum((p["sum"] for p in parts if p), 0.0)
        per_instance = total / found["instances"] if found["instances"] else 0.0
        step.measured_hours = Decimal(str(round(per_instance / 3600, 2)))
        cases = found["cases"] or 0
        step.measured_return_rate = (
            Decimal(str(round(100 * found["rework_cases"] / cases, 2))) if cases else None
        )
        step.measured_cases = cases
        step.measured_from = dataset
        step.measured_on = now
        step.save(
            update_fields=[
                "measured_hours",
                "measured_return_rate",
                "measured_cases",
                "measured_from",
                "measured_on",
            ]
        )
        filled.append(step.name)
    extra = [
        a["activity"] for a in analysis.result["activities"] if _norm(a["activity"]) not in used
    ]
    return Fill(tuple(filled), tuple(missing), tuple(extra))


def project_origin(pk: int, user: Any) -> Any:
    """The heaviest bottleneck of an analysed view as the origin of a T2 project."""
    from opslens.web.common.templatetags.opslens import hours_of, percent
    from opslens.web.projects.origins import OriginKind, ProjectOrigin

    analysis = Analysis.objects.select_related("dataset__department").filter(pk=pk).first()
    if analysis is None or not analysis.result:
        return None
    if "comparison" in analysis.result:
        return _comparison_origin(analysis)
    if not analysis.result.get("bottlenecks"):
        return None
    dataset = analysis.dataset
    top = analysis.result["bottlenecks"][0]
    spec = spec_of(analysis)
    values = {
        "dataset": dataset.name,
        "step": top["name"],
        "share": percent(top["share_of_time"]),
        "mean": hours_of(top["mean_s"]),
        "cases": analysis.result["log"]["cases"],
        "median": hours_of((analysis.result["case_duration_s"] or {}).get("median")),
    }
    summary = (
        _(
            "%(dataset)s: %(step)s takes %(share)s of the time (mean %(mean)s h); "
            "%(cases)s cases, median case duration %(median)s h."
        )
        % values
    )
    if not spec.empty:
        summary += " " + _("Filters: %(filters)s") % {"filters": spec.query()}
    head = dataset.department.head
    query = spec.query()
    return ProjectOrigin(
        kind=OriginKind.DATASET,
        ref=analysis.pk,
        label=f"{dataset.name} · {top['name']}",
        url=dataset.get_absolute_url() + (f"?{query}" if query else ""),
        summary=summary,
        name=_("Speed up %(step)s (%(dataset)s)") % values,
        department_id=dataset.department_id,
        owner_id=head.pk if head is not None else None,
        goal=_("Cut the time spent in %(step)s, measured in %(dataset)s.") % values,
    )


def comparison_headline(result: dict[str, Any]) -> str:
    """The comparison in one sentence for a manager, in the active language."""
    from opslens.web.common.templatetags.opslens import hours_of

    case = result["comparison"]["case_duration_s"]
    if case["verdict"] == "insufficient":
        return _("Too few cases on one side to compare.")
    values = {
        "before": hours_of(case["median_before"]),
        "after": hours_of(case["median_after"]),
        "change": f"{case['relative_change'] * 100:+.0f}%" if case["relative_change"] else "±0%",
        "p": p_text(case["p_value"]),
    }
    if case["verdict"] == "faster":
        text = _(
            "Median case duration went down from %(before)s h to %(after)s h (%(change)s), %(p)s."
        )
    elif case["verdict"] == "slower":
        text = _(
            "Median case duration went up from %(before)s h to %(after)s h (%(change)s), %(p)s."
        )
    else:
        text = _(
            "Median case duration %(before)s h before, %(after)s h after (%(change)s): "
            "no significant change, %(p)s."
        )
    return text % values


def p_text(p: float | None) -> str:
    if p is None:
        return "p = —"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _comparison_origin(analysis: Analysis) -> Any:
    from opslens.web.projects.origins import OriginKind, ProjectOrigin

    dataset = analysis.dataset
    pair = comparison_specs(analysis)
    assert pair is not None
    headline = comparison_headline(analysis.result)
    head = dataset.department.head
    url = reverse("datasets:compare", args=[dataset.pk])
    query = "&".join(q for q in (pair[0].query(prefix="a_"), pair[1].query(prefix="b_")) if q)
    return ProjectOrigin(
        kind=OriginKind.DATASET,
        ref=analysis.pk,
        label=_("%(dataset)s · before/after") % {"dataset": dataset.name},
        url=f"{url}?{query}" if query else url,
        summary=headline,
        name=_("Roll out what worked (%(dataset)s)") % {"dataset": dataset.name},
        department_id=dataset.department_id,
        owner_id=head.pk if head is not None else None,
        goal=_("Keep the gain measured in the comparison for all cases."),
    )
