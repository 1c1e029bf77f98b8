"""T4 views: thin — forms and services only. Everyone logged in reads; changes follow
:mod:`opslens.web.common.permissions` (403 otherwise)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from opslens.core import quality as core
from opslens.core.errors import ConfigError, InputError
from opslens.web.common import clock
from opslens.web.common.permissions import (
    can_create,
    can_edit,
    can_edit_departments,
    is_ops_admin,
    require_edit,
)
from opslens.web.common.services import history_of
from opslens.web.quality import services
from opslens.web.quality.forms import FilterForm, ProblemForm, RecheckForm, StandardForm
from opslens.web.quality.models import Level, Problem, ServiceStandard, Status

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _problem(pk: int) -> Problem:
    return get_object_or_404(services.problems(), pk=pk)


def _suggestions() -> dict[str, list[str]]:
    stages = set(ServiceStandard.objects.values_list("stage", flat=True))
    stages |= set(Problem.objects.values_list("stage", flat=True).distinct())
    types = Problem.objects.values_list("problem_type", flat=True).distinct()
    return {"stages": sorted(stages), "problem_types": sorted(set(types))}


def dashboard(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    rows = services.problems()
    month_key = ""
    if form.is_valid():
        data = form.cleaned_data
        if data["month"]:
            first = data["month"].replace(day=1)
            month_key = first.strftime("%Y-%m")
            _first, last = services.month_bounds(month_key)
            rows = rows.filter(inspected_on__range=(first, last))
        if data["stage"]:
            rows = rows.filter(stage__icontains=data["stage"].strip())
        if data["level"]:
            rows = rows.filter(level=data["level"])
        if data["status"] == "open":
            rows = rows.filter(status__in=services.OPEN)
        elif data["status"]:
            rows = rows.filter(status=data["status"])
        if data["department"]:
            rows = rows.filter(department=data["department"])
        if data["method"]:
            rows = rows.filter(method=data["method"])
        if data["overdue"]:
            rows = rows.filter(status__in=services.OPEN, deadline__lt=clock.today())
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(
            Q(description__icontains=q)
            | Q(problem_type__icontains=q)
            | Q(measure__icontains=q)
            | Q(recheck_result__icontains=q)
        )
    shown = list(rows[:500])
    all_open = Problem.objects.filter(status__in=services.OPEN)
    this_month = clock.today().strftime("%Y-%m")
    return render(
        request,
        "quality/dashboard.html",
        {
            "form": form,
            "q": q,
            "rows": shown,
            "truncated": len(shown) == 500,
            "open_count": all_open.count(),
            "overdue_count": services.overdue_rectifications().count(),
            "awaiting_recheck": all_open.filter(status=Status.AWAITING_RECHECK).count(),
            "this_month": this_month,
            "month_key": month_key,
            "export_month": month_key or this_month,
            "can_add": can_create(request.user),
            "mine": services.open_rectifications_for(getattr(request.user, "person", None))
            if hasattr(request.user, "person")
            else [],
            "standards_count": ServiceStandard.objects.filter(active=True).count(),
        },
    )


def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(pk)
    editable = can_edit(request.user, problem)
    recheck = None
    if editable and problem.status == Status.AWAITING_RECHECK:
        recheck = RecheckForm(problem=problem, user=request.user)
    return _detail(request, problem, recheck=recheck)


def _detail(
    request: HttpRequest,
    problem: Problem,
    *,
    recheck: RecheckForm | None = None,
    status: int = 200,
) -> HttpResponse:
    editable = can_edit(request.user, problem)
    moves = []
    if editable:
        for target in problem.next_statuses():
            if target == Status.IN_PROGRESS and problem.status == Status.FOUND:
                moves.append((target, _("Start rectification")))
            elif target == Status.AWAITING_RECHECK:
                moves.append((target, _("Rectified — request the recheck")))
    others = (
        services.problems()
        .filter(department=problem.department, problem_type=problem.problem_type)
        .exclude(pk=problem.pk)
        .order_by("-inspected_on")[:10]
    )
    return render(
        request,
        "quality/problem.html",
        {
            "problem": problem,
            "can_edit": editable,
            "moves": moves,
            "recheck": recheck,
            "handling": services.handling_lines(problem.level),
            "rule_handling": services.handling_lines(problem.rule_level)
            if problem.overridden
            else None,
            "summary": services.finding_summary(problem),
            "start_blockers": services.start_blockers(problem)
            if problem.status == Status.FOUND
            else [],
            "similar": list(others),
            "statuses": Status.choices,
            "done_statuses": Status.values[: Status.values.index(problem.status)],
            "can_create": can_create(request.user),
            "history": history_of([Problem.history.filter(id=problem.pk)]),
        },
        status=status,
    )


def problem_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is not None:
        problem = _problem(pk)
        require_edit(request.user, problem)
        if problem.is_closed:
            messages.error(request, _("A closed problem is archived and cannot be changed."))
            return redirect(problem)
    else:
        if not can_create(request.user):
            raise PermissionDenied
        problem = Problem()
    form = ProblemForm(request.POST or None, instance=problem, user=request.user)
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        if not can_edit(request.user, candidate):
            raise PermissionDenied
        candidate.save()
        messages.success(request, _("Saved."))
        if candidate.overridden:
            messages.info(
                request,
                _("Recorded as %(level)s; the rule's grade %(rule)s is kept beside it.")
                % {
                    "level": candidate.get_level_display(),
                    "rule": candidate.get_rule_level_display(),
                },
            )
        return redirect(candidate)
    return render(
        request,
        "quality/problem_form.html",
        {"form": form, "problem": problem if problem.pk else None, **_suggestions()},
        status=422 if form.errors else 200,
    )


def grading_preview(request: HttpRequest) -> HttpResponse:
    """The rule's grade, the level to record, the default deadline and the handling for the
    values typed so far (the form asks while the inspector types)."""
    standard = None
    if request.GET.get("standard", "").isdigit():
        standard = ServiceStandard.objects.filter(pk=int(request.GET["standard"])).first()
    rule = None
    problem_text = ""
    try:
        observed: Decimal | None = Decimal(request.GET.get("observed", "").strip() or "x")
    except InvalidOperation:
        observed = None
    try:
        rule = services.rule_level(standard, observed)
    except (InputError, ConfigError):
        problem_text = _("Enter a value of zero or more.")
    chosen = request.GET.get("chosen_level") or ""
    level = chosen or (rule.value if rule else "")
    try:
        day = date.fromisoformat(request.GET.get("inspected_on", ""))
    except ValueError:
        day = clock.today()
    miss = None
    if standard is not None and observed is not None and not problem_text:
        miss = core.deviation(standard.as_core(), observed)
    return render(
        request,
        "quality/_grading.html",
        {
            "standard": standard,
            "observed": observed,
            "miss": miss,
            "rule": Level(rule.value).label if rule else "",
            "met": standard is not None
            and observed is not None
            and rule is None
            and not problem_text,
            "level": Level(level).label if level else "",
            "overridden": bool(chosen and rule and chosen != rule.value),
            "deadline": core.default_deadline(day, core.Severity(level)) if level else None,
            "handling": services.handling_lines(level) if level else [],
            "problem_text": problem_text,
        },
    )


def problem_delete(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(pk)
    require_edit(request.user, problem)
    if request.method == "POST":
        problem.delete()
        messages.success(request, _("Problem deleted."))
        return redirect("quality:dashboard")
    return render(request, "quality/confirm_delete.html", {"object": problem})


@require_POST
def problem_move(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(pk)
    require_edit(request.user, problem)
    target = request.POST.get("to", "")
    if target not in Status.values:
        messages.error(request, _("Unknown status."))
        return redirect(problem)
    try:
        services.move(problem, target)
    except services.TransitionError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, _("Status: %(status)s.") % {"status": problem.get_status_display()}
        )
    return redirect(problem)


@require_POST
def problem_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(pk)
    require_edit(request.user, problem)
    if problem.status != Status.AWAITING_RECHECK:
        messages.error(request, _("Only a rectification awaiting its recheck can be rechecked."))
        return redirect(problem)
    form = RecheckForm(request.POST, problem=problem, user=request.user)
    action = request.POST.get("action", "close")
    if form.is_valid():
        data = form.cleaned_data
        if action == "fail":
            try:
                services.fail_recheck(problem, data)
            except services.TransitionError as exc:
                for text in exc.messages:
                    form.add_error("recheck_result", text)
            else:
                messages.warning(
                    request,
                    _("The recheck failed: back to rectification (%(status)s).")
                    % {"status": problem.get_status_display()},
                )
                return redirect(problem)
        else:
            blockers = services.close(problem, data)
            if not blockers:
                messages.success(request, _("Rechecked and closed."))
                return redirect(problem)
            form.add_blockers(blockers)
    problem.refresh_from_db()
    return _detail(request, problem, recheck=form, status=422)


def standards(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    standard = get_object_or_404(ServiceStandard, pk=pk) if pk else None
    if standard is not None:
        editable = can_edit(request.user, standard)
    else:
        editable = can_create(request.user)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    if request.method == "POST" and not _may_own(request.user, request.POST.get("department")):
        raise PermissionDenied
    form = (
        StandardForm(request.POST or None, instance=standard, user=request.user)
        if editable
        else None
    )
    if request.method == "POST" and form is not None and form.is_valid():
        candidate = form.save(commit=False)
        if not can_edit(request.user, candidate):
            raise PermissionDenied
        candidate.save()
        messages.success(request, _("Saved."))
        return redirect("quality:standards")
    rows = ServiceStandard.objects.select_related("department").order_by("-active", "stage", "id")
    return render(
        request,
        "quality/standards.html",
        {
            "standards": [(s, can_edit(request.user, s)) for s in rows],
            "form": form,
            "standard": standard,
            "can_add_defaults": is_ops_admin(request.user),
            "missing_defaults": [
                s
                for s in core.DEFAULT_STANDARDS
                if not ServiceStandard.objects.filter(stage=s.stage, metric=s.metric).exists()
            ],
        },
        status=422 if form is not None and form.errors else 200,
    )


@require_POST
def standards_defaults(request: HttpRequest) -> HttpResponse:
    if not is_ops_admin(request.user):
        raise PermissionDenied
    created = services.add_default_standards()
    messages.success(
        request,
        ngettext(
            "%(count)d recommended standard added.",
            "%(count)d recommended standards added.",
            created,
        )
        % {"count": created},
    )
    return redirect("quality:standards")


def _may_own(user: object, department: str | None) -> bool:
    """Whether ``user`` may make a standard owned by the posted department (403 otherwise)."""
    if not (department or "").isdigit():
        return is_ops_admin(user)  # a standard without owner department is the admins'
    return can_edit_departments(user, [int(department or 0)])


def analysis_index(request: HttpRequest) -> HttpResponse:
    key = request.GET.get("month", "").strip()
    if not key:
        key = clock.today().strftime("%Y-%m")
    try:
        services.month_bounds(key)
    except InputError:
        messages.error(request, _("A month is written YYYY-MM, e.g. 2024-06."))
        key = clock.today().strftime("%Y-%m")
    return redirect("quality:analysis", key)


def _month_key(key: str) -> str:
    try:
        services.month_bounds(key)
    except InputError as exc:
        raise Http404 from exc
    return key


def _shift(first: date, months: int) -> str:
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def analysis(request: HttpRequest, key: str) -> HttpResponse:
    key = _month_key(key)
    view = services.analyse_month(key)
    result = view.analysis
    names = {"count": _("Problems"), "cumulative": _("Cumulative share")}
    months = sorted(
        {d.strftime("%Y-%m") for d in Problem.objects.dates("inspected_on", "month")},
        reverse=True,
    )
    type_rows = [(item, view.problems_of_type(item.name)[:1]) for item in result.problem_types]
    return render(
        request,
        "quality/analysis.html",
        {
            "view": view,
            "result": result,
            "type_rows": [(item, first[0] if first else None) for item, first in type_rows],
            "types_chart": services.pareto_chart(result.problem_types, names),
            "stages_chart": services.pareto_chart(result.stages, names),
            "previous": _shift(view.first, -1),
            "following": _shift(view.first, 1),
            "months": months,
            "levels": view.levels,
            "is_current": view.first <= clock.today() <= view.last,
        },
    )


def export(request: HttpRequest, key: str) -> HttpResponse:
    key = _month_key(key)
    first, last = services.month_bounds(key)
    rows = (
        services.problems().filter(inspected_on__range=(first, last)).order_by("inspected_on", "id")
    )
    data = services.write_xlsx(rows, title=f"服务质量检查与改进表 {key}")
    response = HttpResponse(data, content_type=XLSX_TYPE)
    name = f"服务质量检查与改进表-{key}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
