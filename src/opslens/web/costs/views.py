"""T3 views: thin — forms and services only. Every read goes through ``visible_lines``."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from opslens.core import costs as core
from opslens.core.errors import InputError, MissingColumnError
from opslens.core.tabular import read_table, suggest_columns
from opslens.web.common import clock, uploads
from opslens.web.common.permissions import can_create, can_edit, require_edit
from opslens.web.common.services import history_of
from opslens.web.costs import services
from opslens.web.costs.access import can_manage_months, sees_all, visible_lines
from opslens.web.costs.forms import (
    CategoryForm,
    CloseForm,
    CostMappingForm,
    ImportForm,
    LineForm,
    NewMonthForm,
)
from opslens.web.costs.models import CostCategory, CostLine, CostMonth

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(key: str) -> CostMonth:
    try:
        first = date.fromisoformat(f"{key}-01")
    except ValueError as exc:
        raise Http404 from exc
    return get_object_or_404(CostMonth, month=first)


def _line(request: HttpRequest, pk: int) -> CostLine:
    """A line the user may read — others answer 404, so their existence does not leak."""
    return get_object_or_404(visible_lines(request.user), pk=pk)


def overview(request: HttpRequest) -> HttpResponse:
    services.ensure_categories()
    lines = list(visible_lines(request.user))
    months = list(CostMonth.objects.all())
    rows = []
    for month in months:
        mine = [line for line in lines if line.month_id == month.pk]
        rows.append(services.analyse(month, mine))
    latest = rows[0] if rows else None
    trends = services.category_trends(lines)
    return render(
        request,
        "costs/overview.html",
        {
            "rows": rows,
            "latest": latest,
            "trends": trends,
            "chart": services.chart_categories(trends),
            "sees_all": sees_all(request.user),
            "can_manage": can_manage_months(request.user),
            "new_month": NewMonthForm(initial={"month": _next_month(months)}),
            "open_measures": [
                line
                for line in lines
                if line.measure_status in ("planned", "in_progress")
                and (latest is None or line.month_id == latest.month.pk)
            ],
        },
    )


def _next_month(months: list[CostMonth]) -> str:
    if not months:
        return clock.today().strftime("%Y-%m")
    last = months[0].month
    return (date(last.year + (last.month == 12), last.month % 12 + 1, 1)).strftime("%Y-%m")


def month_detail(request: HttpRequest, key: str) -> HttpResponse:
    month = _month(key)
    lines = visible_lines(request.user).filter(month=month)
    q = request.GET.get("q", "").strip()
    if q:
        lines = lines.filter(
            Q(sub_item__icontains=q)
            | Q(category__name__icontains=q)
            | Q(cause__icontains=q)
            | Q(measure__icontains=q)
            | Q(department__name__icontains=q)
        )
    flagged_only = request.GET.get("flagged") == "1"
    view = services.analyse(month, lines)
    shown = [
        line for line in view.lines if not flagged_only or (view.figures_of(line) or _no).flagged
    ]
    blockers = services.close_blockers(month) if can_manage_months(request.user) else []
    previous = CostMonth.objects.filter(month__lt=month.month).order_by("-month").first()
    following = CostMonth.objects.filter(month__gt=month.month).order_by("month").first()
    return render(
        request,
        "costs/month.html",
        {
            "month": month,
            "view": view,
            "shown": [
                (line, view.figures_of(line), can_edit(request.user, line)) for line in shown
            ],
            "q": q,
            "flagged_only": flagged_only,
            "blockers": blockers,
            "can_manage": can_manage_months(request.user),
            "can_add": month.is_open and can_create(request.user),
            "close_form": CloseForm(initial={"summary": month.summary}),
            "previous": previous,
            "following": following,
            "sees_all": sees_all(request.user),
            "history": history_of([CostMonth.history.filter(id=month.pk)]),
        },
    )


class _NoFigures:
    flagged = False


_no = _NoFigures()


def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk)
    visible = list(visible_lines(request.user))
    trend = services.line_trend(line, visible)
    chart = None
    if trend is not None:
        chart = {
            "labels": [p.month for p in trend.points],
            "series": [
                {
                    "name": _("Variance %"),
                    "values": [
                        float(p.variance.ratio * 100)
                        if p.variance is not None and p.variance.ratio is not None
                        else None
                        for p in trend.points
                    ],
                }
            ],
            "threshold": float(line.category.threshold),
            "unit": "%",
        }
    chain = []
    cursor: CostLine | None = line
    while cursor is not None and cursor.carried_from_id:
        cursor = visible_lines(request.user).filter(pk=cursor.carried_from_id).first()
        if cursor is not None:
            chain.append(cursor)
    return render(
        request,
        "costs/line.html",
        {
            "line": line,
            "variance": line.variance,
            "trend": trend,
            "chart": chart,
            "chain": chain,
            "later": list(visible_lines(request.user).filter(carried_from=line)),
            "can_edit": can_edit(request.user, line) and line.month.is_open,
            "history": history_of([CostLine.history.filter(id=line.pk)]),
        },
    )


def line_form(request: HttpRequest, key: str | None = None, pk: int | None = None) -> HttpResponse:
    if pk is not None:
        line = _line(request, pk)
        require_edit(request.user, line)
        month = line.month
    else:
        month = _month(key or "")
        if not can_create(request.user):
            raise PermissionDenied
        line = CostLine(month=month)
    if not month.is_open:
        messages.error(
            request, _("%(month)s is closed; reopen it to change lines.") % {"month": month.key}
        )
        return redirect(month)
    form = LineForm(request.POST or None, instance=line, user=request.user)
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        if not can_edit(request.user, candidate):
            raise PermissionDenied
        if (
            CostLine.objects.filter(
                month=month,
                category=candidate.category,
                sub_item=candidate.sub_item,
                department=candidate.department,
            )
            .exclude(pk=candidate.pk)
            .exists()
        ):
            form.add_error("sub_item", _("This month already has this line for the department."))
        else:
            candidate.save()
            messages.success(request, _("Saved."))
            if candidate.flagged and candidate.missing_cause:
                messages.warning(
                    request,
                    _("Beyond the ±%(t)s%% threshold: give a cause before the month closes.")
                    % {"t": f"{candidate.category.threshold.normalize():f}"},
                )
            return redirect(candidate)
    return render(
        request,
        "costs/line_form.html",
        {"form": form, "line": line if line.pk else None, "month": month},
        status=422 if form.errors else 200,
    )


def line_delete(request: HttpRequest, pk: int) -> HttpResponse:
    line = _line(request, pk)
    require_edit(request.user, line)
    if not line.month.is_open:
        raise PermissionDenied
    if request.method == "POST":
        month = line.month
        line.delete()
        messages.success(request, _("Line deleted."))
        return redirect(month)
    return render(request, "costs/confirm_delete.html", {"object": line, "month": line.month})


@require_POST
def month_new(request: HttpRequest) -> HttpResponse:
    if not can_manage_months(request.user):
        raise PermissionDenied
    form = NewMonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month."))
        return redirect("costs:overview")
    month = services.open_month(form.cleaned_data["month"])
    messages.success(
        request,
        _("%(month)s opened with %(count)d lines carried over; enter the actual amounts.")
        % {"month": month.key, "count": month.lines.count()},
    )
    return redirect(month)


@require_POST
def month_close(request: HttpRequest, key: str) -> HttpResponse:
    month = _month(key)
    if not can_manage_months(request.user):
        raise PermissionDenied
    form = CloseForm(request.POST)
    summary = form.cleaned_data["summary"] if form.is_valid() else ""
    blockers = services.close_month(month, request.user, summary)
    if blockers:
        messages.error(
            request,
            ngettext(
                "%(month)s cannot be closed yet: %(count)d line needs attention (listed below).",
                "%(month)s cannot be closed yet: %(count)d lines need attention (listed below).",
                len(blockers),
            )
            % {"month": month.key, "count": len(blockers)},
        )
    else:
        messages.success(request, _("%(month)s closed.") % {"month": month.key})
    return redirect(month)


@require_POST
def month_remind(request: HttpRequest, key: str) -> HttpResponse:
    """Ask the people responsible for the blocking lines for their figures and causes."""
    month = _month(key)
    if not can_manage_months(request.user):
        raise PermissionDenied
    told = services.remind_blockers(month)
    messages.success(
        request,
        ngettext(
            "%(count)d person was reminded in the app and by e-mail.",
            "%(count)d people were reminded in the app and by e-mail.",
            told,
        )
        % {"count": told},
    )
    return redirect(month)


@require_POST
def month_reopen(request: HttpRequest, key: str) -> HttpResponse:
    month = _month(key)
    if not can_manage_months(request.user):
        raise PermissionDenied
    services.reopen_month(month)
    messages.success(request, _("%(month)s reopened.") % {"month": month.key})
    return redirect(month)


def month_export(request: HttpRequest, key: str) -> HttpResponse:
    import io

    month = _month(key)
    view = services.analyse(month, visible_lines(request.user).filter(month=month))
    scope = _("all departments") if sees_all(request.user) else _visible_scope(view.lines)
    out = io.BytesIO()
    core.write_cost_xlsx(out, month=month.key, lines=services.report_lines(view), scope=scope)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    name = f"月度成本分析表-{month.key}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _visible_scope(lines: list[CostLine]) -> str:
    return "、".join(sorted({line.department.name for line in lines}))


IMPORTS = "cost-imports"


def month_import(request: HttpRequest, key: str) -> HttpResponse:
    """Upload → (column mapping, when the columns are not recognised) → all rows, or none."""
    month = _month(key)
    if not can_create(request.user):
        raise PermissionDenied
    if not month.is_open:
        messages.error(
            request, _("%(month)s is closed; reopen it to import.") % {"month": month.key}
        )
        return redirect(month)
    if request.method == "POST" and "token" in request.POST:
        return _import_mapped(request, month)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            kept = uploads.keep(form.cleaned_data["file"], IMPORTS)
        except InputError as exc:
            form.add_error("file", str(exc))
        else:
            try:
                result = core.read_cost_table(kept.data, filename=kept.name)
            except MissingColumnError as exc:
                return _mapping_page(request, month, kept, problem=str(exc))
            except InputError as exc:
                uploads.discard(kept.token, IMPORTS)
                form.add_error("file", str(exc))
            else:
                report = services.import_rows(month, result, request.user)
                if not report.errors:
                    uploads.discard(kept.token, IMPORTS)
                    return _imported(request, month, report)
                uploads.discard(kept.token, IMPORTS)
    return render(
        request,
        "costs/import.html",
        {"form": form, "month": month, "report": report},
        status=422 if form.errors or (report and report.errors) else 200,
    )


def _imported(
    request: HttpRequest, month: CostMonth, report: services.ImportReport
) -> HttpResponse:
    messages.success(
        request,
        _("%(created)d lines added, %(updated)d updated.")
        % {"created": report.created, "updated": report.updated},
    )
    for warning in report.warnings or []:
        messages.warning(request, warning)
    return redirect(month)


def _mapping_page(
    request: HttpRequest,
    month: CostMonth,
    kept: uploads.Kept,
    *,
    problem: str = "",
    mapping: CostMappingForm | None = None,
    report: services.ImportReport | None = None,
) -> HttpResponse:
    try:
        table = read_table(kept.data, filename=kept.name)
    except InputError as exc:
        uploads.discard(kept.token, IMPORTS)
        messages.error(request, str(exc))
        return redirect("costs:import", month.key)
    if mapping is None:
        suggested = suggest_columns(table.columns, core.COST_COLUMN_SYNONYMS)
        mapping = CostMappingForm(
            initial={"token": kept.token, **{f: c or "" for f, c in suggested.items()}},
            columns=list(table.columns),
        )
    return render(
        request,
        "costs/import_mapping.html",
        {
            "month": month,
            "mapping": mapping,
            "table": table,
            "preview": table.rows[:8],
            "problem": problem,
            "report": report,
        },
        status=422,
    )


def _import_mapped(request: HttpRequest, month: CostMonth) -> HttpResponse:
    try:
        kept = uploads.load(request.POST.get("token", ""), IMPORTS)
    except InputError as exc:
        messages.error(request, str(exc))
        return redirect("costs:import", month.key)
    try:
        columns = list(read_table(kept.data, filename=kept.name).columns)
    except InputError as exc:
        messages.error(request, str(exc))
        return redirect("costs:import", month.key)
    mapping = CostMappingForm(request.POST, columns=columns)
    report = None
    if mapping.is_valid():
        try:
            result = core.read_cost_table(kept.data, filename=kept.name, mapping=mapping.chosen())
        except InputError as exc:
            mapping.add_error(None, str(exc))
        else:
            report = services.import_rows(month, result, request.user)
            if not report.errors:
                uploads.discard(kept.token, IMPORTS)
                return _imported(request, month, report)
    return _mapping_page(request, month, kept, mapping=mapping, report=report)


def categories(request: HttpRequest, cid: int | None = None) -> HttpResponse:
    editable = can_manage_months(request.user)
    category = get_object_or_404(CostCategory, pk=cid) if cid else None
    if request.method == "POST" and not editable:
        raise PermissionDenied
    form = CategoryForm(request.POST or None, instance=category) if editable else None
    if request.method == "POST" and form is not None and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("costs:categories")
    return render(
        request,
        "costs/categories.html",
        {
            "categories": CostCategory.objects.all(),
            "form": form,
            "category": category,
            "can_edit": editable,
        },
        status=422 if form is not None and form.errors else 200,
    )
