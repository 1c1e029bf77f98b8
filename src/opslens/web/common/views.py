"""The home page, the lifecycle pages, notifications and the health check."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from opslens import __version__
from opslens.web.common import clock
from opslens.web.common.models import Notification
from opslens.web.common.permissions import person_of
from opslens.web.processes.models import Process, ProcessVersion, Remedy, Step
from opslens.web.processes.services import compare, version_table


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with a small JSON once the app and its database answer; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse(
            {"status": "error", "database": "unavailable", "detail": type(exc).__name__},
            status=503,
        )
    return JsonResponse(
        {"status": "ok", "database": connection.vendor, "version": __version__},
    )


def _open_remedies():  # type: ignore[no-untyped-def]
    return Remedy.objects.filter(
        status__in=[Remedy.Status.PLANNED, Remedy.Status.IN_PROGRESS]
    ).select_related("owner", "owner__department", "step__version__process")


def home(request: HttpRequest) -> HttpResponse:
    me = person_of(request.user)
    processes = Process.objects.prefetch_related("departments")
    mine = processes.filter(departments=me.department) if me and me.department else processes.none()
    remedies = _open_remedies()
    my_remedies = remedies.filter(owner=me) if me else remedies.none()
    as_is = ProcessVersion.objects.filter(kind="as_is").select_related("process")
    bottlenecks = []
    for version in as_is[:50]:
        table = version_table(version)
        if table.bottleneck is not None:
            share = next(r.figures.share for r in table.rows if r.figures.is_bottleneck)
            bottlenecks.append((version, table.bottleneck, share, table.summary.total_hours))
    bottlenecks.sort(key=lambda item: item[2], reverse=True)
    return render(
        request,
        "common/home.html",
        {
            "me": me,
            "my_processes": mine[:10],
            "my_remedies": my_remedies[:10],
            "bottlenecks": bottlenecks[:8],
            "counts": {
                "processes": processes.count(),
                "to_be": ProcessVersion.objects.filter(kind="to_be").count(),
                "open_remedies": remedies.count(),
                "overdue": remedies.filter(due_date__lt=clock.today()).count(),
            },
            "notifications": request.user.notifications.all()[:5],  # type: ignore[attr-defined]
            **_my_monitoring(request, me),
        },
    )


def _my_monitoring(request: HttpRequest, me: object) -> dict[str, object]:
    """What the user owes the loop: KPI values past due, open reviews, cost causes."""
    from opslens.web.costs.access import visible_lines
    from opslens.web.kpis.models import Kpi, Review
    from opslens.web.kpis.services import overdue

    if me is None:
        return {}
    kpis = Kpi.objects.filter(active=True, owner=me).select_related("department")
    lines = visible_lines(request.user).filter(month__status="open", actual__isnull=False)
    lines = lines.filter(Q(owner=me) | Q(department__people=me, department__people__role="head"))
    from opslens.web.projects.models import Subtask
    from opslens.web.projects.services import lagging_subtasks, open_requests_for
    from opslens.web.quality.services import open_rectifications_for

    mine = Subtask.objects.filter(responsible=me, project__status="active").exclude(status="done")
    late = {s.pk for s in lagging_subtasks(mine)}
    subtasks = sorted(
        mine.select_related("project", "lead_department"),
        key=lambda s: (s.pk not in late, s.milestone or date.max),
    )
    return {
        "my_due": overdue(kpis),
        "my_reviews": Review.objects.filter(status=Review.Status.OPEN, owner=me),
        "my_cost_causes": [line for line in lines.distinct() if line.missing_cause],
        "my_subtasks": [(s, s.pk in late) for s in subtasks[:10]],
        "my_requests": open_requests_for(me)
        if getattr(me, "role", "") in ("head", "member", "analyst")
        else [],
        "my_rectifications": list(open_rectifications_for(me)[:10]),
    }


def diagnose(request: HttpRequest) -> HttpResponse:
    """诊断: every as-is map with its bottleneck, and the root-cause work on steps."""
    rows = []
    for version in ProcessVersion.objects.filter(kind="as_is").select_related("process"):
        table = version_table(version)
        rows.append(table)
    analysed = (
        Step.objects.filter(Q(why_chains__isnull=False) | Q(fishbone__isnull=False))
        .distinct()
        .select_related("version__process")
    )
    from opslens.web.costs.access import visible_lines
    from opslens.web.costs.models import CostMonth
    from opslens.web.costs.services import analyse

    costs = None
    month = CostMonth.objects.filter(lines__actual__isnull=False).distinct().first()
    if month is not None:
        costs = analyse(month, visible_lines(request.user).filter(month=month))
    return render(
        request, "common/diagnose.html", {"tables": rows, "analysed": analysed, "costs": costs}
    )


def _to_be_rows(status: str | None) -> list[tuple[ProcessVersion, object]]:
    versions = ProcessVersion.objects.filter(kind="to_be").select_related("process", "parent")
    if status is not None:
        versions = versions.filter(status=status)
    rows = []
    for version in versions:
        base = version.process.as_is
        rows.append((version, compare(base, version) if base is not None else None))
    return rows


def design(request: HttpRequest) -> HttpResponse:
    """设计: to-be versions being designed, their ECRS log and planned remedies."""
    return render(
        request,
        "common/design.html",
        {
            "rows": _to_be_rows(ProcessVersion.Status.DRAFT),
            "remedies": _open_remedies().filter(status=Remedy.Status.PLANNED)[:50],
        },
    )


def pilot(request: HttpRequest) -> HttpResponse:
    """试点: versions in pilot and the remedies being carried out."""
    return render(
        request,
        "common/pilot.html",
        {
            "pilot_kpis": _project_kpis(),
            "projects": _active_projects(),
            "rows": _to_be_rows(ProcessVersion.Status.PILOT),
            "remedies": _open_remedies().filter(status=Remedy.Status.IN_PROGRESS)[:50],
        },
    )


def _active_projects() -> list[object]:
    from opslens.web.projects.models import Project
    from opslens.web.projects.services import project_plan

    active = Project.objects.filter(status=Project.Status.ACTIVE).select_related(
        "owner", "department"
    )
    return [project_plan(p) for p in active[:20]]


def _project_kpis() -> list[object]:
    from opslens.web.kpis.models import Kpi, Level
    from opslens.web.kpis.services import cards

    kpis = Kpi.objects.filter(active=True, level=Level.PROJECT).select_related("department")
    return list(cards(kpis.prefetch_related("measurements", "targets", "rules", "reviews")))


def standardize(request: HttpRequest) -> HttpResponse:
    """推广: the versions adopted as the standard way of working."""
    standards = ProcessVersion.objects.filter(status=ProcessVersion.Status.STANDARD).select_related(
        "process"
    )
    rows = []
    for version in standards:
        base = version.process.as_is
        cmp = compare(base, version) if base is not None and base.pk != version.pk else None
        rows.append((version, version_table(version), cmp))
    return render(request, "common/standardize.html", {"rows": rows})


def monitor(request: HttpRequest) -> HttpResponse:
    """监控: every remedy with its owner, due date and verification; overdue ones first."""
    today = clock.today()
    remedies = Remedy.objects.select_related(
        "owner", "owner__department", "step__version__process"
    ).order_by("status", "due_date")
    open_ = [r for r in remedies if r.status in (Remedy.Status.PLANNED, Remedy.Status.IN_PROGRESS)]
    done = [r for r in remedies if r not in open_]
    open_.sort(key=lambda r: (not r.is_overdue, r.due_date))
    from opslens.web.costs.access import visible_lines
    from opslens.web.costs.models import CostMonth
    from opslens.web.costs.services import analyse
    from opslens.web.kpis.models import AlertRule, Kpi, Review
    from opslens.web.kpis.services import cards, overdue

    kpis = list(
        Kpi.objects.filter(active=True)
        .select_related("department", "owner")
        .prefetch_related("measurements", "targets", "rules", "reviews")
    )
    kpi_cards = cards(kpis)
    month = CostMonth.objects.first()
    costs = None
    if month is not None:
        costs = analyse(month, visible_lines(request.user).filter(month=month))
    return render(
        request,
        "common/monitor.html",
        {
            "open": open_,
            "done": done,
            "today": today,
            "kpi_counts": {
                s: sum(1 for c in kpi_cards if c.status == s) for s in ("met", "warning", "missed")
            },
            "off_target": [c for c in kpi_cards if c.status in ("warning", "missed")],
            "firing": AlertRule.objects.filter(firing=True, enabled=True).select_related("kpi"),
            "reviews": Review.objects.filter(status=Review.Status.OPEN).select_related(
                "kpi", "owner"
            ),
            "due": overdue(kpis),
            "costs": costs,
            **_execution(),
        },
    )


def _execution() -> dict[str, object]:
    """T2 and T4 on the monitor: subtasks past their milestone, requests that escalated,
    rectifications past their deadline."""
    from opslens.web.projects.models import SupportRequest
    from opslens.web.projects.services import lagging_subtasks
    from opslens.web.quality.services import overdue_rectifications

    escalated = (
        SupportRequest.objects.filter(answered_at__isnull=True, escalations__isnull=False)
        .distinct()
        .select_related("subtask__project", "department")
        .prefetch_related("escalations")
    )
    return {
        "lagging": lagging_subtasks(),
        "escalated": escalated,
        "overdue_rectifications": list(overdue_rectifications()[:20]),
    }


def notifications(request: HttpRequest) -> HttpResponse:
    items = request.user.notifications.all()[:100]  # type: ignore[attr-defined]
    return render(request, "common/notifications.html", {"items": items})


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    note.read = True
    note.save(update_fields=["read"])
    if note.url:
        return redirect(note.url)
    return redirect("notifications")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: what the login may do, and whom to ask (the operations admins)."""
    from opslens.web.org.models import Person, Role

    admins = Person.objects.filter(role=Role.OPS_ADMIN, user__is_active=True).select_related(
        "department"
    )
    reason = str(exception) if exception is not None and str(exception) else ""
    context = {"reason": reason, "admins": list(admins[:5])}
    return render(request, "403.html", context, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 inside the workbench's frame, in the user's language."""
    return render(request, "404.html", {"path": request.path}, status=404)
