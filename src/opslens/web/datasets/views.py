"""Dataset views: thin — forms and services; all file work is the worker's."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from opslens.core.errors import InputError, OpslensError
from opslens.core.eventlog.mapping import ROLES
from opslens.web.common.permissions import can_create, can_edit, person_of, require_edit
from opslens.web.common.services import history_of
from opslens.web.datasets import services
from opslens.web.datasets.forms import ROLE_LABELS, DatasetForm, MappingForm, UploadForm
from opslens.web.datasets.models import Analysis, Dataset
from opslens.web.datasets.services import FilterSpec


def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = Dataset.objects.select_related("department", "process")
    return render(
        request,
        "datasets/list.html",
        {"datasets": datasets, "can_create": can_create(request.user)},
    )


def upload(request: HttpRequest) -> HttpResponse:
    if not can_create(request.user):
        raise PermissionDenied
    me = person_of(request.user)
    initial = {"department": me.department_id} if me is not None else {}
    form = UploadForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        dataset = form.save(commit=False)
        upload_file = form.cleaned_data["file"]
        if not dataset.name:
            dataset.name = Path(upload_file.name or "log").name[:200]
        dataset.created_by = request.user
        try:
            services.accept_upload(upload_file, dataset)
        except OpslensError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("Uploaded. The worker is reading the columns."))
            return redirect(dataset)
    return render(request, "datasets/upload.html", {"form": form})


def _dataset(pk: int) -> Dataset:
    return get_object_or_404(Dataset.objects.select_related("department", "process"), pk=pk)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = _dataset(pk)
    editable = can_edit(request.user, dataset)
    if dataset.status == Dataset.Status.MAPPING and editable:
        return redirect("datasets:mapping", pk=dataset.pk)
    context: dict[str, Any] = {
        "dataset": dataset,
        "can_edit": editable,
        "history": history_of([Dataset.history.filter(id=dataset.pk)]),
    }
    if dataset.is_ready:
        spec = FilterSpec.from_query(request.GET)
        context.update(_analysis_context(request, dataset, spec))
    return render(request, "datasets/detail.html", context)


def _analysis_context(request: HttpRequest, dataset: Dataset, spec: FilterSpec) -> dict[str, Any]:
    error = ""
    analysis = None
    try:
        services.core_filters(spec, dataset)  # a bad value is a message, not a queued failure
    except InputError as exc:
        error = str(exc)
    else:
        analysis = services.request_analysis(dataset, spec)
    result = analysis.result if analysis is not None and analysis.result else None
    variants = []
    if result:
        for v in result["variants"]["top"]:
            variants.append({**v, "query": spec.query(variant="→".join(v["activities"]))})
    charts = _charts(result) if result else None
    return {
        "charts": charts,
        "spec": spec,
        "filter_error": error,
        "analysis": analysis,
        "result": result,
        "variants": variants,
        "query": spec.query(),
        "lang": "zh" if (get_language() or "").startswith("zh") else "en",
        "attributes": ["resource", *dataset.attributes],
        "can_edit_process": dataset.process is not None and can_edit(request.user, dataset.process),
    }


def _hours(value: float) -> float:
    """Hours as a chart label reads them: 25351 h, 96.4 h (not 25350.65 h)."""
    return round(value) if abs(value) >= 100 else round(value, 1)


def _charts(result: dict[str, Any]) -> dict[str, Any] | None:
    more = result.get("extras")
    if not more:
        return None
    weeks = more["weeks"]
    resources = more["resources"][:15]
    return {
        "weeks": {
            "labels": [w[0][5:] for w in weeks],
            "series": [
                {"name": _("Events"), "values": [w[1] for w in weeks]},
                {"name": _("Cases started"), "values": [w[2] for w in weeks]},
            ],
            "unit": "",
        },
        "resources": {
            "labels": [r[0] for r in resources],
            "series": [{"name": _("Hours of work"), "values": [_hours(r[3]) for r in resources]}],
            "unit": "h",
        },
        "resource_rows": more["resources"],
        "height": 60 + 26 * len(resources),
    }


def compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two views of a dataset side by side (before/after a pilot), with the statistics."""
    dataset = _dataset(pk)
    if not dataset.is_ready:
        return redirect(dataset)
    before = FilterSpec.from_query(request.GET, prefix="a_")
    after = FilterSpec.from_query(request.GET, prefix="b_")
    error = ""
    analysis = None
    if not (before.empty and after.empty):
        try:
            services.core_filters(before, dataset)
            services.core_filters(after, dataset)
        except InputError as exc:
            error = str(exc)
        else:
            if before == after:
                error = _("The two views are the same: change the filters of one of them.")
            else:
                analysis = services.request_comparison(dataset, before, after)
    result = analysis.result if analysis is not None and analysis.result else None
    rows = []
    if result:
        for a in result["comparison"]["activities"]:
            for part in ("service_s", "waiting_s"):
                if a.get(part):
                    a[part]["p_text"] = services.p_text(a[part]["p_value"])
            rows.append(a)
        case = result["comparison"]["case_duration_s"]
        case["p_text"] = services.p_text(case["p_value"])
    recent = [
        (a, services.comparison_specs(a))
        for a in dataset.analyses.filter(filters__has_key="compare", status="done")[:10]
    ]
    return render(
        request,
        "datasets/compare.html",
        {
            "dataset": dataset,
            "before": before,
            "after": after,
            "error": error,
            "analysis": analysis,
            "result": result,
            "rows": rows,
            "headline": services.comparison_headline(result) if result else "",
            "recent": [
                (a, pair[0], pair[1], pair[0].query(prefix="a_") + "&" + pair[1].query(prefix="b_"))
                for a, pair in recent
                if pair is not None
            ],
            "can_edit": can_edit(request.user, dataset),
            "attributes": ["resource", *dataset.attributes],
        },
    )


def status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel (polled by the page every second while work is under way)."""
    dataset = _dataset(pk)
    analysis = None
    if dataset.is_ready:
        key = request.GET.get("key", "")
        analysis = Analysis.objects.filter(dataset=dataset, key=key).first()
    done = (not dataset.is_busy) and (analysis is None or analysis.status in ("done", "failed"))
    response = render(
        request,
        "datasets/_progress.html",
        {"dataset": dataset, "analysis": analysis, "polling": not done},
    )
    if done and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = _dataset(pk)
    require_edit(request.user, dataset)
    columns = list(dataset.preview.get("columns", []))
    if not columns:
        messages.error(request, _("The columns have not been read yet."))
        return redirect(dataset)
    initial = {role: dataset.mapping.get(role, "") for role in ROLES}
    initial["timezone"] = dataset.timezone
    form = MappingForm(request.POST or None, columns=columns, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = {role: form.cleaned_data.get(role) or None for role in ROLES}
        services.confirm_mapping(dataset, chosen, form.cleaned_data["timezone"])
        messages.success(request, _("Importing: every row is checked; this page shows progress."))
        return redirect(dataset)
    suggested = {c: ROLE_LABELS[r] for r, c in dataset.mapping.items() if c}
    return render(
        request,
        "datasets/mapping.html",
        {
            "dataset": dataset,
            "form": form,
            "preview": dataset.preview,
            "suggested": suggested,
        },
    )


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = _dataset(pk)
    require_edit(request.user, dataset)
    form = DatasetForm(request.POST or None, instance=dataset, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Dataset saved."))
        return redirect(dataset)
    return render(request, "datasets/edit.html", {"dataset": dataset, "form": form})


def delete(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = _dataset(pk)
    require_edit(request.user, dataset)
    if request.method == "POST":
        folder = dataset.folder
        services.hot_log.forget(dataset.pk)
        dataset.delete()
        shutil.rmtree(folder, ignore_errors=True)
        messages.success(request, _("Dataset deleted."))
        return redirect("datasets:list")
    return render(request, "datasets/confirm_delete.html", {"dataset": dataset})


@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a failed step again: the analysis of a filter, or the dataset's import/inspection."""
    dataset = _dataset(pk)
    require_edit(request.user, dataset)
    key = request.POST.get("key", "")
    if key:
        analysis = get_object_or_404(Analysis, dataset=dataset, key=key)
        if analysis.status == Analysis.Status.FAILED:
            services.retry_analysis(analysis)
        return redirect(f"{dataset.get_absolute_url()}?{request.POST.get('query', '')}")
    if dataset.status == Dataset.Status.FAILED:
        if dataset.preview.get("columns") and dataset.mapping:
            services.confirm_mapping(dataset, dataset.mapping, dataset.timezone)
        else:
            from django.db import transaction

            with transaction.atomic():
                Dataset.objects.filter(pk=dataset.pk).update(
                    status=Dataset.Status.UPLOADED, error="", progress=0
                )
                services._enqueue("inspect_dataset", dataset.pk)
        messages.info(request, _("Trying again."))
    return redirect(dataset)


@require_POST
def fill_process(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the linked process's measured step times from this view of the dataset."""
    dataset = _dataset(pk)
    if dataset.process is None:
        raise Http404
    require_edit(request.user, dataset.process)
    key = request.POST.get("key", "")
    analysis = get_object_or_404(Analysis, dataset=dataset, key=key, status="done")
    fill = services.fill_process(dataset, analysis)
    if fill.filled:
        messages.success(
            request,
            _("Measured times set for %(steps)s.") % {"steps": "、".join(fill.filled)},
        )
    if fill.steps_without_data:
        messages.warning(
            request,
            _("No activity of this name in the dataset: %(steps)s.")
            % {"steps": "、".join(fill.steps_without_data)},
        )
    version = dataset.process.as_is
    return redirect(version.get_absolute_url() if version else dataset.process.get_absolute_url())


def rejected(request: HttpRequest, pk: int) -> FileResponse:
    dataset = _dataset(pk)
    if not dataset.rejected_path.exists():
        raise Http404
    return FileResponse(
        dataset.rejected_path.open("rb"),
        as_attachment=True,
        filename=f"{dataset.name}-rejected-rows.csv",
        content_type="text/csv; charset=utf-8",
    )


@xframe_options_sameorigin
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The interactive process map and tables of one filter, shown in the dataset page."""
    dataset = _dataset(pk)
    spec = FilterSpec.from_query(request.GET)
    analysis = Analysis.objects.filter(dataset=dataset, key=spec.key, status="done").first()
    if analysis is None:
        raise Http404
    lang = request.GET.get("lang", "zh")
    path = services.report_path(analysis, lang if lang in services.REPORT_LANGUAGES else "zh")
    if not path.exists():
        raise Http404
    return HttpResponse(path.read_text("utf-8"), content_type="text/html; charset=utf-8")


def bpmn(request: HttpRequest, pk: int) -> HttpResponse:
    """The process map of one filter as BPMN 2.0: the paths the map shows (``min``, else the
    map's default), swimlanes by ``lanes`` (a lane column) when given."""
    dataset = _dataset(pk)
    spec = FilterSpec.from_query(request.GET)
    analysis = Analysis.objects.filter(dataset=dataset, key=spec.key, status="done").first()
    if analysis is None:
        raise Http404
    try:
        least = int(request.GET["min"]) if request.GET.get("min") else None
    except ValueError:
        least = None
    lane = request.GET.get("lanes", "")
    try:
        data = services.bpmn_of(
            analysis, min_frequency=least, lane=lane, lang=request.LANGUAGE_CODE or "zh"
        )
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    name = f"{dataset.name}{'-' + lane if lane else ''}.bpmn"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def cases(request: HttpRequest, pk: int) -> HttpResponse:
    """The cases through an activity or a direct succession (a fragment for the page)."""
    dataset = _dataset(pk)
    if not dataset.is_ready:
        raise Http404
    activity = request.GET.get("activity", "")
    source, target = request.GET.get("source", ""), request.GET.get("target", "")
    rows = (
        services.cases_with(dataset, activity=activity, source=source, target=target)
        if activity or (source and target)
        else []
    )
    return render(
        request,
        "datasets/_cases.html",
        {
            "dataset": dataset,
            "rows": rows,
            "activity": activity,
            "source": source,
            "target": target,
        },
    )
