"""Orchestration for T1: read the ORM, call opslens.core.processmap, save."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from opslens.core.errors import ConfigError
from opslens.core.processmap import (
    EcrsChange as CoreChange,
)
from opslens.core.processmap import (
    ProcessHeader,
    ProcessSheet,
    ProcessSummary,
    StepFigures,
    VersionComparison,
    apply_ecrs,
    compare_versions,
    summarize_steps,
)
from opslens.core.processmap import (
    Step as CoreStep,
)
from opslens.web.org.models import Department
from opslens.web.processes.models import EcrsChange, Process, ProcessVersion, Step

STEP_FIELDS = (
    "name",
    "role",
    "department",
    "inputs",
    "outputs",
    "hours",
    "hours_min",
    "hours_max",
    "system",
    "stage",
    "note",
)


@dataclass(frozen=True)
class StepRow:
    """A step with its computed figures, for the table."""

    step: Step
    figures: StepFigures


@dataclass(frozen=True)
class VersionTable:
    version: ProcessVersion
    rows: tuple[StepRow, ...]
    summary: ProcessSummary

    def chart(self) -> dict[str, Any]:
        """Step hours for the bar chart, the bottleneck highlighted."""
        return {
            "labels": [f"{row.step.position}. {row.step.name}" for row in self.rows],
            "series": [
                {
                    "name": str(self.version.label),
                    "values": [float(row.step.hours) for row in self.rows],
                    "highlight": [row.figures.is_bottleneck for row in self.rows],
                }
            ],
            "unit": "h",
        }

    @property
    def bottleneck(self) -> Step | None:
        for row in self.rows:
            if row.figures.is_bottleneck:
                return row.step
        return None


def version_table(version: ProcessVersion) -> VersionTable:
    steps = list(version.steps.all())
    summary = summarize_steps([s.to_core() for s in steps])
    by_key = {f.key: f for f in summary.steps}
    rows = tuple(StepRow(step, by_key[str(step.pk)]) for step in steps)
    return VersionTable(version, rows, summary)


def _step_kwargs(core: CoreStep, position: int) -> dict[str, Any]:
    return {
        "position": position,
        "stage": core.stage,
        "name": core.name,
        "role": core.role,
        "department": core.department,
        "inputs": core.inputs,
        "outputs": core.outputs,
        "hours": core.hours,
        "hours_min": core.hours_min,
        "hours_max": core.hours_max,
        "return_rate": None if core.return_rate is None else core.return_rate * 100,
        "system": core.system,
        "note": core.note,
    }


@transaction.atomic
def replace_steps(version: ProcessVersion, steps: list[CoreStep]) -> None:
    """Make the version's steps equal ``steps``: update by key, create new, delete missing.

    Keys that are database ids of this version's steps keep their rows (and so their root
    causes and history); other keys create rows.
    """
    existing = {str(s.pk): s for s in version.steps.all()}
    keep: set[str] = set()
    for position, core in enumerate(steps, start=1):
        kwargs = _step_kwargs(core, position)
        row = existing.get(core.key)
        if row is None:
            Step.objects.create(version=version, **kwargs)
            continue
        keep.add(core.key)
        changed = [name for name, value in kwargs.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, kwargs[name])
            row.save()
    for key, row in existing.items():
        if key not in keep:
            row.delete()


def renumber(version: ProcessVersion) -> None:
    """Positions 1..n in order and stages 1..k, keeping steps that share a stage together."""
    stages: dict[int, int] = {}
    for position, step in enumerate(version.steps.all(), start=1):
        key = step.stage if step.stage else -position  # stage 0: a sequential step of its own
        stage = stages.setdefault(key, len(stages) + 1)
        if (step.position, step.stage) != (position, stage):
            step.position, step.stage = position, stage
            step.save(update_fields=["position", "stage"])


def add_step(version: ProcessVersion, **fields: Any) -> Step:
    last = version.steps.aggregate(p=Max("position"), s=Max("stage"))
    step = Step(
        version=version,
        position=(last["p"] or 0) + 1,
        stage=(last["s"] or 0) + 1,
        **fields,
    )
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def move_step(step: Step, direction: int) -> None:
    steps = list(step.version.steps.all())
    index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = index + direction
    if not 0 <= other < len(steps):
        return
    core = [s.to_core() for s in steps]
    change = CoreChange(kind="rearrange", step_key=str(step.pk), position=other)
    replace_steps(step.version, list(apply_ecrs(core, change)))


@transaction.atomic
def derive_version(
    source: ProcessVersion, label: str = "", notes: str = "", status: str = ""
) -> ProcessVersion:
    """A new to-be version copying ``source``'s steps (root causes stay with the source)."""
    number = source.process.versions.filter(kind=ProcessVersion.Kind.TO_BE).count() + 1
    version = ProcessVersion.objects.create(
        process=source.process,
        kind=ProcessVersion.Kind.TO_BE,
        label=label or _("To-be %(number)d") % {"number": number},
        parent=source,
        notes=notes,
        status=status or ProcessVersion.Status.DRAFT,
    )
    for step in source.steps.all():
        kwargs = {name: getattr(step, name) for name in (*STEP_FIELDS, "return_rate", "position")}
        Step.objects.create(version=version, origin=step, **kwargs)
    return version


@transaction.atomic
def apply_change(
    version: ProcessVersion, change: CoreChange, *, user: Any, note: str
) -> EcrsChange:
    """Apply one ECRS change to a to-be version's steps and record it (ConfigError if invalid)."""
    steps = list(version.steps.all())
    names = {str(s.pk): s.name for s in steps}
    before = summarize_steps([s.to_core() for s in steps]).total_hours
    new_steps = apply_ecrs([s.to_core() for s in steps], change)
    limits = {f.name: f.max_length for f in Step._meta.get_fields() if getattr(f, "max_length", 0)}
    for step in new_steps:
        if len(step.name) > limits["name"]:
            raise ConfigError(
                _("The merged step name is longer than %(limit)d characters; give a new name.")
                % {"limit": limits["name"]}
            )
        for field in ("role", "department", "inputs", "outputs", "system", "note"):
            if len(getattr(step, field)) > limits[field]:
                raise ConfigError(
                    _("The merged %(field)s is longer than %(limit)d characters.")
                    % {"field": Step._meta.get_field(field).verbose_name, "limit": limits[field]}
                )
    after = summarize_steps(new_steps).total_hours
    replace_steps(version, list(new_steps))
    return EcrsChange.objects.create(
        version=version,
        kind=change.kind,
        step_name=names.get(change.step_key, change.step_key)[:200],
        other_step_name=names.get(change.other_key or "", "")[:200],
        detail=_clip(describe_change(change, names), 300),
        note=note,
        hours_before=before,
        hours_after=after,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_change(change: CoreChange, names: dict[str, str]) -> str:
    name = names.get(change.step_key, change.step_key)
    if change.kind == "eliminate":
        return _("%(step)s removed") % {"step": name}
    if change.kind == "combine":
        other = names.get(change.other_key or "", "")
        merged = change.new_name or f"{name} + {other}"
        return _("%(a)s and %(b)s merged into %(merged)s") % {
            "a": name,
            "b": other,
            "merged": merged,
        }
    if change.kind == "simplify":
        return _("%(step)s now takes %(hours)s h") % {"step": name, "hours": change.new_hours}
    if change.parallel_with:
        other = names.get(change.parallel_with, change.parallel_with)
        return _("%(step)s runs in parallel with %(other)s") % {"step": name, "other": other}
    return _("%(step)s moved to position %(position)s") % {
        "step": name,
        "position": (change.position or 0) + 1,
    }


def compare(before: ProcessVersion, after: ProcessVersion) -> VersionComparison:
    """Side by side. A to-be step is matched to the step it was copied from (through any
    number of derived versions); merged steps keep the first step's identity."""
    before_steps = [s.to_core() for s in before.steps.all()]
    before_ids = {int(s.key) for s in before_steps}
    origins = dict(
        Step.objects.filter(version__process=before.process).values_list("id", "origin_id")
    )
    after_steps = []
    for step in after.steps.all():
        cursor: int | None = step.pk
        seen: set[int] = set()
        while cursor is not None and cursor not in before_ids and cursor not in seen:
            seen.add(cursor)
            cursor = origins.get(cursor)
        key = str(cursor) if cursor in before_ids else f"new-{step.pk}"
        after_steps.append(_with_key(step.to_core(), key))
    return compare_versions(before_steps, after_steps)


def _with_key(step: CoreStep, key: str) -> CoreStep:
    from dataclasses import replace

    return replace(step, key=key)


# --- XLSX -----------------------------------------------------------------------------------


def sheet_of(version: ProcessVersion) -> ProcessSheet:
    process = version.process
    return ProcessSheet(
        header=ProcessHeader(
            name=process.name,
            departments=tuple(d.name for d in process.departments.order_by("id")),
            start_point=process.start_point,
            end_point=process.end_point,
            record_date=process.record_date,
        ),
        steps=tuple(s.to_core() for s in version.steps.all()),
        version_label=version.label,
    )


class UnknownDepartmentError(ValueError):
    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(", ".join(names))


def departments_named(names: tuple[str, ...]) -> list[Department]:
    found = {d.name: d for d in Department.objects.filter(name__in=names)}
    missing = [n for n in names if n not in found]
    if missing:
        raise UnknownDepartmentError(missing)
    return [found[n] for n in names]


@transaction.atomic
def create_from_sheet(
    sheet: ProcessSheet, *, user: Any, departments: list[Department] | None = None
) -> Process:
    header = sheet.header
    depts = departments if departments is not None else departments_named(header.departments)
    process = Process(
        name=header.name,
        start_point=header.start_point,
        end_point=header.end_point,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if header.record_date is not None:
        process.record_date = header.record_date
    process.save()
    process.departments.set(depts)
    version = ProcessVersion.objects.create(
        process=process,
        kind=ProcessVersion.Kind.AS_IS,
        label=sheet.version_label or _("As-is"),
    )
    for position, core in enumerate(sheet.steps, start=1):
        Step.objects.create(version=version, **_step_kwargs(core, position))
    return process


@transaction.atomic
def load_sheet_into(version: ProcessVersion, sheet: ProcessSheet) -> None:
    """Replace a version's steps (and the process header) with an imported sheet."""
    process = version.process
    header = sheet.header
    process.name = header.name or process.name
    process.start_point = header.start_point
    process.end_point = header.end_point
    if header.record_date is not None:
        process.record_date = header.record_date
    process.save()
    if header.departments:
        process.departments.set(departments_named(header.departments))
    # Imported rows are matched to existing steps by name so root causes survive a re-import.
    existing = {s.name: str(s.pk) for s in version.steps.all()}
    steps = [
        _with_key(core, existing.get(core.name, f"new-{i}")) for i, core in enumerate(sheet.steps)
    ]
    replace_steps(version, steps)


def hours_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def project_origin(pk: int, user: Any) -> Any:
    """A step as the origin of an improvement project (T2): its hours and share of the total."""
    from datetime import timedelta

    from opslens.web.common import clock
    from opslens.web.common.templatetags.opslens import hours, percent
    from opslens.web.projects.origins import OriginKind, ProjectOrigin

    step = Step.objects.select_related("version__process").filter(pk=pk).first()
    if step is None:
        return None
    table = version_table(step.version)
    figures = table.summary.figures(str(step.pk))
    process = step.version.process
    department = process.departments.order_by("id").first()
    head = department.head if department is not None else None
    values = {
        "process": process.name,
        "step": step.name,
        "hours": hours(step.hours),
        "total": hours(table.summary.total_hours),
        "share": percent(figures.share),
    }
    if figures.is_bottleneck:
        summary = _(
            "%(process)s · %(step)s takes %(hours)s h of %(total)s h (%(share)s): the bottleneck."
        )
    else:
        summary = _("%(process)s · %(step)s takes %(hours)s h of %(total)s h (%(share)s).")
    return ProjectOrigin(
        kind=OriginKind.BOTTLENECK,
        ref=step.pk,
        label=f"{process.name} · {step.name}",
        url=step.get_absolute_url(),
        summary=summary % values,
        name=_("Speed up %(step)s (%(process)s)") % values,
        department_id=department.pk if department is not None else None,
        owner_id=head.pk if head is not None else None,
        goal=_("Cut %(step)s from %(hours)s h so that %(process)s no longer waits on it.") % values,
        deadline=clock.today() + timedelta(days=90),
    )
