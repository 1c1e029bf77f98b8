"""T1 views: thin — forms and services only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from opslens.core.errors import ConfigError, InputError
from opslens.core.processmap import EcrsChange as CoreChange
from opslens.core.processmap import export_bpmn, read_process_xlsx, write_process_xlsx
from opslens.web.common.permissions import (
    can_create,
    can_edit,
    can_edit_departments,
    require_edit,
)
from opslens.web.common.services import history_of, notify
from opslens.web.processes import services
from opslens.web.processes.filters import ProcessFilter
from opslens.web.processes.forms import (
    DeriveForm,
    EcrsForm,
    FishboneForm,
    ImportForm,
    ProcessForm,
    RemedyForm,
    StepForm,
    VersionForm,
    WhyChainForm,
)
from opslens.web.processes.models import (
    FishboneCause,
    Process,
    ProcessVersion,
    Remedy,
    Step,
    WhyChain,
)
from opslens.web.processes.tables import ProcessTable

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _process(pk: int) -> Process:
    return get_object_or_404(Process.objects.prefetch_related("departments"), pk=pk)


def _version(process: Process, vid: int) -> ProcessVersion:
    return get_object_or_404(ProcessVersion, pk=vid, process=process)


def _step(process: Process, sid: int) -> Step:
    return get_object_or_404(
        Step.objects.select_related("version"), pk=sid, version__process=process
    )


def _download_name(process: Process, version: ProcessVersion, ext: str) -> str:
    base = slugify(f"{process.name}-{version.label}", allow_unicode=True) or "process"
    return f"{base}.{ext}"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- processes ------------------------------------------------------------------------------


def process_list(request: HttpRequest) -> HttpResponse:
    queryset = Process.objects.prefetch_related("departments", "versions__steps")
    flt = ProcessFilter(request.GET, queryset=queryset)
    table = ProcessTable(flt.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "processes/list.html",
        {"filter": flt, "table": table, "can_create": can_create(request.user)},
    )


def process_create(request: HttpRequest) -> HttpResponse:
    if not can_create(request.user):
        raise PermissionDenied
    form = ProcessForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            process = form.save(commit=False)
            process.created_by = request.user
            process.save()
            form.save_m2m()
            version = ProcessVersion.objects.create(
                process=process, kind=ProcessVersion.Kind.AS_IS, label=_("As-is")
            )
        messages.success(request, _("Process created. Add its steps below."))
        return redirect(version)
    return render(request, "processes/process_form.html", {"form": form})


def process_detail(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    versions = list(process.versions.all())
    tables = [services.version_table(v) for v in versions]
    as_is = next((t for t in tables if t.version.kind == ProcessVersion.Kind.AS_IS), None)
    savings = []
    if as_is is not None:
        for table in tables:
            if table.version.kind == ProcessVersion.Kind.TO_BE:
                cmp = services.compare(as_is.version, table.version)
                savings.append((table, cmp))
    # Through the historical tables, so deleted versions and steps (and their root causes) show.
    version_ids = set(
        ProcessVersion.history.filter(process_id=process.pk).values_list("id", flat=True)
    )
    step_ids = set(Step.history.filter(version_id__in=version_ids).values_list("id", flat=True))
    history = history_of(
        [
            Process.history.filter(id=process.pk),
            ProcessVersion.history.filter(process_id=process.pk),
            Step.history.filter(version_id__in=version_ids),
            WhyChain.history.filter(step_id__in=step_ids),
            FishboneCause.history.filter(step_id__in=step_ids),
            Remedy.history.filter(step_id__in=step_ids),
        ]
    )
    return render(
        request,
        "processes/detail.html",
        {
            "process": process,
            "tables": tables,
            "as_is": as_is,
            "savings": savings,
            "history": history,
            "can_edit": can_edit(request.user, process),
        },
    )


def process_edit(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    require_edit(request.user, process)
    form = ProcessForm(request.POST or None, instance=process, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect(process)
    return render(request, "processes/process_form.html", {"form": form, "process": process})


def process_delete(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    require_edit(request.user, process)
    if request.method == "POST":
        name = process.name
        process.delete()
        messages.success(request, _("Process “%(name)s” deleted.") % {"name": name})
        return redirect("processes:list")
    return render(request, "processes/confirm_delete.html", {"object": process, "process": process})


def process_import(request: HttpRequest) -> HttpResponse:
    if not can_create(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sheet = read_process_xlsx(upload.read(), filename=upload.name)
        except InputError as exc:
            form.add_error("file", str(exc))
        else:
            departments = _import_departments(form, sheet.header.departments, request.user)
            if not sheet.header.name:
                form.add_error(
                    "file",
                    _(
                        "%(file)s has no process name: fill 流程名称 in the header block "
                        "(export any process for an example)."
                    )
                    % {"file": upload.name},
                )
            elif departments is not None:
                process = services.create_from_sheet(
                    sheet, user=request.user, departments=departments
                )
                messages.success(
                    request,
                    _("Imported “%(name)s” with %(count)d steps.")
                    % {"name": process.name, "count": len(sheet.steps)},
                )
                return redirect(process.as_is)
    return render(request, "processes/import.html", {"form": form})


def _import_departments(form: ImportForm, names: tuple[str, ...], user: Any) -> list[Any] | None:
    from opslens.web.common.permissions import editable_department_ids

    chosen = list(form.cleaned_data.get("departments") or [])
    if not chosen:
        try:
            chosen = services.departments_named(names)
        except services.UnknownDepartmentError as exc:
            form.add_error(
                "departments",
                _(
                    "The file names departments this company does not have: %(names)s. "
                    "Choose the responsible departments."
                )
                % {"names": "、".join(exc.names)},
            )
            return None
    if not chosen:
        form.add_error("departments", _("Choose the responsible departments."))
        return None
    allowed = editable_department_ids(user)
    if allowed is not None and not allowed & {d.pk for d in chosen}:
        form.add_error(
            "departments",
            _("Include your own department: you could not edit this process otherwise."),
        )
        return None
    return chosen


# --- versions -------------------------------------------------------------------------------


def version_detail(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    table = services.version_table(version)
    comparison = None
    if version.parent_id is not None and version.parent is not None:
        comparison = services.compare(version.parent, version)
    editable = can_edit(request.user, process)
    return render(
        request,
        "processes/version.html",
        {
            "process": process,
            "version": version,
            "table": table,
            "comparison": comparison,
            "ecrs_changes": version.ecrs_changes.select_related("created_by"),
            "versions": process.versions.all(),
            "can_edit": editable,
            "step_form": StepForm() if editable else None,
        },
    )


def version_edit(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    require_edit(request.user, process)
    form = VersionForm(request.POST or None, instance=version)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect(version)
    return render(
        request,
        "processes/version_form.html",
        {"form": form, "process": process, "version": version},
    )


@require_POST
def version_derive(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    source = _version(process, vid)
    require_edit(request.user, process)
    form = DeriveForm(request.POST)
    label = form.cleaned_data["label"] if form.is_valid() else ""
    version = services.derive_version(source, label=label)
    messages.success(request, _("To-be version “%(label)s” created.") % {"label": version.label})
    return redirect(version)


def version_delete(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    require_edit(request.user, process)
    if version.kind == ProcessVersion.Kind.AS_IS:
        messages.error(
            request, _("The as-is version cannot be deleted; delete the process instead.")
        )
        return redirect(version)
    if request.method == "POST":
        version.delete()
        messages.success(request, _("Version deleted."))
        return redirect(process)
    return render(request, "processes/confirm_delete.html", {"object": version, "process": process})


def version_import(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    require_edit(request.user, process)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sheet = read_process_xlsx(upload.read(), filename=upload.name)
            if sheet.header.departments:
                named = services.departments_named(sheet.header.departments)
                if not can_edit_departments(request.user, [d.pk for d in named]):
                    raise PermissionDenied
            services.load_sheet_into(version, sheet)
        except PermissionDenied:
            form.add_error(
                "file",
                _(
                    "The file's 责任部门 leave out your department: you could not edit this "
                    "process afterwards. Add your department to the file."
                ),
            )
        except InputError as exc:
            form.add_error("file", str(exc))
        except services.UnknownDepartmentError as exc:
            form.add_error(
                "file",
                _("The file names departments this company does not have: %(names)s.")
                % {"names": "、".join(exc.names)},
            )
        else:
            messages.success(request, _("Steps replaced from %(file)s.") % {"file": upload.name})
            return redirect(version)
    return render(
        request,
        "processes/import.html",
        {"form": form, "process": process, "version": version},
    )


def export_xlsx(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    data = write_process_xlsx(services.sheet_of(version))
    response = HttpResponse(data, content_type=XLSX_TYPE)
    return _attachment(response, _download_name(process, version, "xlsx"))


def export_bpmn_view(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    lane_by = "department" if request.GET.get("by") == "department" else "role"
    xml = export_bpmn(
        f"{process.name} · {version.label}",
        version.core_steps(),
        lane_by=lane_by,
        start_label=process.start_point,
        end_label=process.end_point,
        process_id=f"Process_{process.pk}_{version.pk}",
    )
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    if request.GET.get("inline") == "1":
        return response
    return _attachment(response, _download_name(process, version, "bpmn"))


def swimlane(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    lane_by = "department" if request.GET.get("by") == "department" else "role"
    return render(
        request,
        "processes/swimlane.html",
        {
            "process": process,
            "version": version,
            "lane_by": lane_by,
            "bpmn_url": reverse("processes:export_bpmn", args=[process.pk, version.pk])
            + f"?by={lane_by}&inline=1",
            "table": services.version_table(version),
        },
    )


def compare_view(request: HttpRequest, pk: int) -> HttpResponse:
    process = _process(pk)
    versions = list(process.versions.all())
    if len(versions) < 2:
        messages.info(request, _("Derive a to-be version first to compare."))
        return redirect(process)
    by_id = {str(v.pk): v for v in versions}
    before = by_id.get(request.GET.get("a", "")) or versions[0]
    after = by_id.get(request.GET.get("b", "")) or versions[-1]
    comparison = services.compare(before, after)
    chart = {
        "labels": [row.name for row in comparison.rows],
        "series": [
            {
                "name": str(before.label),
                "values": [float(row.hours_before or 0) for row in comparison.rows],
            },
            {
                "name": str(after.label),
                "values": [float(row.hours_after or 0) for row in comparison.rows],
            },
        ],
        "unit": "h",
    }
    return render(
        request,
        "processes/compare.html",
        {
            "process": process,
            "versions": versions,
            "before": before,
            "after": after,
            "comparison": comparison,
            "chart": chart,
            "before_table": services.version_table(before),
            "after_table": services.version_table(after),
        },
    )


# --- steps ----------------------------------------------------------------------------------


def _render_table(
    request: HttpRequest, process: Process, version: ProcessVersion, error: str = ""
) -> HttpResponse:
    return render(
        request,
        "processes/_step_table.html",
        {
            "process": process,
            "version": version,
            "table": services.version_table(version),
            "can_edit": True,
            "table_error": error,
        },
    )


@require_POST
def step_add(request: HttpRequest, pk: int, vid: int) -> HttpResponse:
    process = _process(pk)
    version = _version(process, vid)
    require_edit(request.user, process)
    form = StepForm(request.POST)
    if form.is_valid():
        step = form.save(commit=False)
        services.add_step(version, **{f: getattr(step, f) for f in form.Meta.fields})
        if request.htmx:
            response = _render_table(request, process, version)
            response["HX-Trigger"] = "stepAdded"
            return response
        messages.success(request, _("Step added."))
        return redirect(version)
    if request.htmx:
        response = render(
            request,
            "processes/_step_add_form.html",
            {"process": process, "version": version, "step_form": form},
            status=422,
        )
        response["HX-Retarget"] = "#step-add"
        response["HX-Reswap"] = "outerHTML"
        return response
    table = services.version_table(version)
    return render(
        request,
        "processes/version.html",
        {
            "process": process,
            "version": version,
            "table": table,
            "versions": process.versions.all(),
            "can_edit": True,
            "step_form": form,
        },
        status=422,
    )


def step_edit(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    process = _process(pk)
    step = _step(process, sid)
    require_edit(request.user, process)
    form = StepForm(request.POST or None, instance=step)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Step “%(name)s” saved.") % {"name": step.name})
        return redirect(step.version)
    return render(
        request,
        "processes/step_form.html",
        {"form": form, "process": process, "version": step.version, "step": step},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
def step_delete(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    process = _process(pk)
    step = _step(process, sid)
    require_edit(request.user, process)
    version = step.version
    with transaction.atomic():
        step.delete()
        services.renumber(version)
    if request.htmx:
        return _render_table(request, process, version)
    messages.success(request, _("Step deleted."))
    return redirect(version)


@require_POST
def step_move(request: HttpRequest, pk: int, sid: int, direction: str) -> HttpResponse:
    process = _process(pk)
    step = _step(process, sid)
    require_edit(request.user, process)
    try:
        services.move_step(step, -1 if direction == "up" else 1)
    except ConfigError as exc:
        messages.error(request, str(exc))
        if request.htmx:
            response = _render_table(request, process, step.version, error=str(exc))
            response.status_code = 422
            return response
    if request.htmx:
        return _render_table(request, process, step.version)
    return redirect(step.version)


def step_detail(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    """The root-cause page of a step: 5-Why, fishbone, remedies."""
    process = _process(pk)
    step = _step(process, sid)
    editable = can_edit(request.user, process)
    table = services.version_table(step.version)
    figures = next(r.figures for r in table.rows if r.step.pk == step.pk)
    fishbone = {
        key: [c for c in step.fishbone.all() if c.category == key]
        for key, _label in FishboneCause.Category.choices
    }
    history = history_of(
        [
            Step.history.filter(id=step.pk),
            WhyChain.history.filter(step_id=step.pk),
            FishboneCause.history.filter(step_id=step.pk),
            Remedy.history.filter(step_id=step.pk),
        ]
    )
    return render(
        request,
        "processes/step.html",
        {
            "process": process,
            "version": step.version,
            "step": step,
            "figures": figures,
            "summary": table.summary,
            "fishbone": [
                (key, label, fishbone[key]) for key, label in FishboneCause.Category.choices
            ],
            "why_form": WhyChainForm() if editable else None,
            "fish_form": FishboneForm() if editable else None,
            "remedy_form": RemedyForm() if editable else None,
            "remedies": step.remedies.select_related("owner", "owner__department"),
            "history": history,
            "can_edit": editable,
        },
    )


def _child_form(
    request: HttpRequest,
    pk: int,
    sid: int,
    form_class: type[Any],
    model: type[Any],
    cid: int | None,
    title: str,
) -> HttpResponse:
    process = _process(pk)
    step = _step(process, sid)
    require_edit(request.user, process)
    instance = get_object_or_404(model, pk=cid, step=step) if cid else None
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.step = step
        is_new_owner = isinstance(obj, Remedy) and (
            instance is None or "owner" in form.changed_data
        )
        obj.save()
        if is_new_owner and obj.owner.user is not None:
            notify(
                obj.owner.user,
                _("Remedy assigned to you: %(what)s (due %(due)s)")
                % {"what": obj.what, "due": obj.due_date.isoformat()},
                url=reverse("processes:step", args=[process.pk, step.pk]),
            )
        messages.success(request, _("Saved."))
        return redirect(
            reverse("processes:step", args=[process.pk, step.pk]) + f"#{model.__name__.lower()}"
        )
    return render(
        request,
        "processes/child_form.html",
        {"form": form, "process": process, "version": step.version, "step": step, "title": title},
        status=422 if request.method == "POST" else 200,
    )


def why_form(request: HttpRequest, pk: int, sid: int, cid: int | None = None) -> HttpResponse:
    return _child_form(request, pk, sid, WhyChainForm, WhyChain, cid, _("5-Why chain"))


def fishbone_form(request: HttpRequest, pk: int, sid: int, cid: int | None = None) -> HttpResponse:
    return _child_form(request, pk, sid, FishboneForm, FishboneCause, cid, _("Fishbone cause"))


def remedy_form(request: HttpRequest, pk: int, sid: int, cid: int | None = None) -> HttpResponse:
    return _child_form(request, pk, sid, RemedyForm, Remedy, cid, _("Remedy"))


@require_POST
def child_delete(request: HttpRequest, pk: int, sid: int, kind: str, cid: int) -> HttpResponse:
    process = _process(pk)
    step = _step(process, sid)
    require_edit(request.user, process)
    model = {"why": WhyChain, "fishbone": FishboneCause, "remedy": Remedy}.get(kind)
    if model is None:
        raise PermissionDenied
    get_object_or_404(model, pk=cid, step=step).delete()
    messages.success(request, _("Deleted."))
    return redirect("processes:step", process.pk, step.pk)


def step_ecrs(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    """Apply one ECRS change to a step, into a to-be version."""
    process = _process(pk)
    step = _step(process, sid)
    require_edit(request.user, process)
    form = EcrsForm(request.POST or None, step=step)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                target, key_map = _ecrs_target(step, data["target"])
                change = CoreChange(
                    kind=data["kind"],
                    step_key=key_map[str(step.pk)],
                    note=data["note"],
                    other_key=key_map.get(data["other"]) if data["kind"] == "combine" else None,
                    position=(data["position"] - 1)
                    if data["kind"] == "rearrange" and data["position"]
                    else None,
                    parallel_with=key_map.get(data["parallel_with"])
                    if data["kind"] == "rearrange" and data["parallel_with"]
                    else None,
                    new_hours=data["new_hours"]
                    if data["kind"] in ("simplify", "combine")
                    else None,
                    new_name=data["new_name"] or None,
                )
                record = services.apply_change(target, change, user=request.user, note=data["note"])
        except (ConfigError, KeyError) as exc:
            message = (
                str(exc)
                if isinstance(exc, ConfigError)
                else _("The chosen steps are not both in the target version.")
            )
            form.add_error(None, message)
        else:
            messages.success(
                request,
                _("%(change)s — total %(before)s h → %(after)s h.")
                % {
                    "change": record.detail,
                    "before": services.hours_text(record.hours_before),
                    "after": services.hours_text(record.hours_after),
                },
            )
            return redirect(target)
    return render(
        request,
        "processes/ecrs_form.html",
        {"form": form, "process": process, "version": step.version, "step": step},
        status=422 if request.method == "POST" else 200,
    )


def _ecrs_target(step: Step, target: str) -> tuple[ProcessVersion, dict[str, str]]:
    """The to-be version to change, and a map from the source version's step ids to its own."""
    source = step.version
    if target == EcrsForm.NEW:
        version = services.derive_version(source)
    else:
        version = get_object_or_404(
            ProcessVersion, pk=int(target), process=source.process, kind=ProcessVersion.Kind.TO_BE
        )
    if version.pk == source.pk:
        return version, {str(s.pk): str(s.pk) for s in version.steps.all()}
    source_ids = set(source.steps.values_list("id", flat=True))
    origins = dict(
        Step.objects.filter(version__process=source.process).values_list("id", "origin_id")
    )
    key_map: dict[str, str] = {}
    for copy in version.steps.all():
        cursor, seen = copy.origin_id, set()
        while cursor is not None and cursor not in source_ids and cursor not in seen:
            seen.add(cursor)
            cursor = origins.get(cursor)
        if cursor is not None and cursor in source_ids:
            key_map.setdefault(str(cursor), str(copy.pk))
    return version, key_map
