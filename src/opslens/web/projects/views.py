"""T2 views: thin — forms and services only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opslens.core.errors import ConfigError
from opslens.web.common import clock
from opslens.web.common.permissions import (
    can_create,
    can_edit,
    can_edit_departments,
    person_of,
    require_edit,
)
from opslens.web.common.services import history_of
from opslens.web.projects import origins, services
from opslens.web.projects.forms import (
    AnswerForm,
    DependencyFormSet,
    ProjectForm,
    RequestForm,
    RetrospectiveForm,
    RiskFormSet,
    SlipForm,
    StatusForm,
    SubtaskForm,
    SupportFormSet,
)
from opslens.web.projects.models import (
    Dependency,
    Guide,
    Project,
    Retrospective,
    Risk,
    Subtask,
    Support,
    SupportRequest,
)


def project_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", Project.Status.ACTIVE)
    projects = Project.objects.select_related("owner", "department").annotate(
        n_subtasks=Count("subtasks", distinct=True),
        n_done=Count("subtasks", filter=Q(subtasks__status="done"), distinct=True),
        n_blocked=Count("subtasks", filter=Q(subtasks__status="blocked"), distinct=True),
        n_late=Count(
            "subtasks",
            filter=Q(subtasks__milestone__lt=clock.today()) & ~Q(subtasks__status="done"),
            distinct=True,
        ),
        n_requests=Count(
            "subtasks__requests",
            filter=Q(subtasks__requests__answered_at__isnull=True),
            distinct=True,
        ),
    )
    if status in Project.Status.values:
        projects = projects.filter(status=status)
    return render(
        request,
        "projects/list.html",
        {
            "projects": projects,
            "status": status,
            "statuses": Project.Status.choices,
            "can_create": can_create(request.user),
            "guides": Guide.objects.all()[:5],
        },
    )


def project_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    origin = None
    if pk is not None:
        project = get_object_or_404(Project, pk=pk)
        require_edit(request.user, project)
        initial: dict[str, Any] = {}
    else:
        if not can_create(request.user):
            raise PermissionDenied
        me = person_of(request.user)
        project = Project()
        initial = {"start_date": clock.today()}
        if me is not None:
            initial.update(owner=me.pk, department=me.department_id)
        kind = request.GET.get("origin") or request.POST.get("origin") or ""
        ref = request.GET.get("ref") or request.POST.get("ref")
        if kind:
            origin = origins.resolve(kind, ref, request.user)
            if origin is None:
                messages.error(request, _("The finding to start from was not found."))
                return redirect("projects:list")
            initial.update(
                name=origin.name,
                goal=origin.goal,
                deadline=origin.deadline,
                origin_summary=origin.summary,
            )
            if origin.department_id is not None and can_edit_departments(
                request.user, [origin.department_id]
            ):
                initial["department"] = origin.department_id
            if origin.owner_id is not None:
                initial["owner"] = origin.owner_id
    form = ProjectForm(request.POST or None, instance=project, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        if not can_edit_departments(request.user, [form.cleaned_data["department"].pk]):
            raise PermissionDenied
        with transaction.atomic():
            saved = form.save(commit=False)
            if origin is not None:
                saved.origin_kind = origin.kind
                saved.origin_ref = origin.ref
                saved.origin_label = origin.label
                saved.origin_url = origin.url
            saved.save()
            form.save_m2m()
        messages.success(request, _("Project saved."))
        return redirect(saved)
    return render(
        request,
        "projects/project_form.html",
        {"form": form, "project": project if pk else None, "origin": origin},
    )


def _as_of(request: HttpRequest) -> date | None:
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        messages.error(
            request,
            _("“%(value)s” is not a date; write it as 2024-07-21.") % {"value": raw},
        )
        return None
    return day if day < clock.today() else None


def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("owner", "department"), pk=pk)
    as_of = _as_of(request)
    plan = services.project_plan(project, as_of=as_of)
    subtask_ids = [r.subtask.pk for r in plan.rows]
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            "plan": plan,
            "as_of": as_of,
            "can_edit": can_edit(request.user, project) and as_of is None,
            "requests": SupportRequest.objects.filter(subtask__project=project)
            .select_related("subtask", "department", "raised_by", "answered_by")
            .prefetch_related("escalations"),
            "retro": Retrospective.objects.filter(project=project).first(),
            "guide": project.guides.first(),
            "history": history_of(
                [
                    Project.history.filter(id=project.pk),
                    Subtask.history.filter(project_id=project.pk),
                    Support.history.filter(subtask_id__in=subtask_ids),
                    Dependency.history.filter(subtask_id__in=subtask_ids),
                    Risk.history.filter(subtask_id__in=subtask_ids),
                ]
            ),
        },
    )


def gantt(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    as_of = _as_of(request)
    plan = services.project_plan(project, as_of=as_of)
    return render(
        request,
        "projects/gantt.html",
        {
            "project": project,
            "plan": plan,
            "as_of": as_of,
            "chart": services.gantt_data(plan),
            "slip_form": SlipForm(project=project),
            "height": max(220, 60 + 44 * len(plan.rows)),
        },
    )


def slip(request: HttpRequest, pk: int) -> HttpResponse:
    """The "if this slips N days" preview (a fragment for htmx, a page otherwise)."""
    project = get_object_or_404(Project, pk=pk)
    form = SlipForm(request.GET or None, project=project)
    preview = None
    error = ""
    if form.is_valid():
        try:
            preview = services.slip_preview(
                project, form.cleaned_data["subtask"], form.cleaned_data["days"]
            )
        except ConfigError as exc:
            error = str(exc)
    template = "projects/_slip.html" if request.htmx else "projects/slip.html"  # type: ignore[attr-defined]
    names = {str(s.pk): s.name for s in project.subtasks.all()}
    return render(
        request,
        template,
        {"project": project, "form": form, "preview": preview, "error": error, "names": names},
    )


def _subtask(pk: int) -> Subtask:
    return get_object_or_404(
        Subtask.objects.select_related("project", "lead_department", "responsible"), pk=pk
    )


def subtask_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subtask = _subtask(pk)
    plan = services.project_plan(subtask.project)
    row = next(r for r in plan.rows if r.subtask.pk == subtask.pk)
    me = person_of(request.user)
    requests = list(
        subtask.requests.select_related("department", "raised_by", "answered_by").prefetch_related(
            "escalations"
        )
    )
    return render(
        request,
        "projects/subtask.html",
        {
            "subtask": subtask,
            "project": subtask.project,
            "row": row,
            "plan": plan,
            "can_edit": can_edit(request.user, subtask),
            "status_form": StatusForm(
                initial={"status": subtask.status, "blocked_reason": subtask.blocked_reason}
            ),
            "request_form": RequestForm(subtask=subtask),
            "requests": [
                (r, r.is_open and can_edit_departments(request.user, [r.department_id]))
                for r in requests
            ],
            "successors": Dependency.objects.filter(predecessor=subtask).select_related("subtask"),
            "me": me,
            "history": history_of(
                [
                    Subtask.history.filter(id=subtask.pk),
                    Support.history.filter(subtask_id=subtask.pk),
                    Dependency.history.filter(subtask_id=subtask.pk),
                    Risk.history.filter(subtask_id=subtask.pk),
                    SupportRequest.history.filter(subtask_id=subtask.pk),
                ]
            ),
        },
    )


def subtask_form(request: HttpRequest, pk: int | None = None, project_pk: int | None = None) -> Any:
    if pk is not None:
        subtask = _subtask(pk)
        project = subtask.project
        require_edit(request.user, subtask)
    else:
        project = get_object_or_404(Project, pk=project_pk)
        require_edit(request.user, project)
        last = project.subtasks.order_by("-position").first()
        subtask = Subtask(project=project, position=(last.position + 1) if last else 1)
    data = request.POST or None
    form = SubtaskForm(data, instance=subtask)
    supports = SupportFormSet(data, instance=subtask, prefix="supports")
    dependencies = DependencyFormSet(data, instance=subtask, prefix="deps")
    risks = RiskFormSet(data, instance=subtask, prefix="risks")
    if request.method == "POST":
        valid = form.is_valid()
        # the formsets check against the lead department and project being saved
        supports.instance = form.instance
        valid = all([supports.is_valid(), dependencies.is_valid(), risks.is_valid()]) and valid
        if valid:
            with transaction.atomic():
                saved = form.save()
                for formset in (supports, dependencies, risks):
                    formset.instance = saved
                    formset.save()
            messages.success(request, _("Subtask saved."))
            return redirect(saved)
    return render(
        request,
        "projects/subtask_form.html",
        {
            "form": form,
            "formsets": [
                (_("Supporting departments"), supports),
                (_("Depends on (finish-to-start)"), dependencies),
                (_("Risks"), risks),
            ],
            "subtask": subtask if pk else None,
            "project": project,
        },
    )


@require_POST
def subtask_status(request: HttpRequest, pk: int) -> HttpResponse:
    subtask = _subtask(pk)
    require_edit(request.user, subtask)
    form = StatusForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(subtask)
    try:
        services.set_status(
            subtask, form.cleaned_data["status"], blocked_reason=form.cleaned_data["blocked_reason"]
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect(subtask)
    messages.success(
        request,
        _("%(subtask)s is now %(status)s.")
        % {"subtask": subtask.name, "status": subtask.get_status_display()},
    )
    if subtask.status == Subtask.Status.BLOCKED and not subtask.requests.filter(
        answered_at__isnull=True
    ):
        messages.info(request, _("Ask a department for support below: it must answer in time."))
        return redirect(subtask.get_absolute_url() + "#request")
    return redirect(subtask)


def subtask_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subtask = _subtask(pk)
    require_edit(request.user, subtask)
    if request.method == "POST":
        project = subtask.project
        subtask.delete()
        messages.success(request, _("Subtask deleted."))
        return redirect(project)
    return render(
        request,
        "projects/confirm_delete.html",
        {"object": subtask, "cancel": subtask.get_absolute_url()},
    )


@require_POST
def request_new(request: HttpRequest, pk: int) -> HttpResponse:
    subtask = _subtask(pk)
    require_edit(request.user, subtask)
    form = RequestForm(request.POST, subtask=subtask)
    if form.is_valid():
        raised = services.raise_request(
            subtask,
            form.cleaned_data["department"],
            form.cleaned_data["message"],
            person_of(request.user),
        )
        messages.success(
            request,
            _("Request sent to %(department)s; it must answer within %(hours)s h.")
            % {"department": raised.department.name, "hours": subtask.project.response_hours},
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(subtask.get_absolute_url() + "#requests")


@require_POST
def request_answer(request: HttpRequest, pk: int) -> HttpResponse:
    support_request = get_object_or_404(
        SupportRequest.objects.select_related("subtask__project", "department"), pk=pk
    )
    if not can_edit_departments(request.user, [support_request.department_id]):
        raise PermissionDenied
    if not support_request.is_open:
        messages.error(request, _("This request has been answered already."))
        return redirect(support_request.get_absolute_url())
    form = AnswerForm(request.POST)
    if form.is_valid():
        services.answer_request(
            support_request, form.cleaned_data["answer"], person_of(request.user)
        )
        messages.success(request, _("Answer recorded."))
    else:
        messages.error(request, _("Write the answer."))
    return redirect(support_request.get_absolute_url())


def digest(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    today = clock.today()
    current = today - timedelta(days=today.weekday())
    raw = request.GET.get("week", "").strip()
    start = current
    if raw:
        try:
            start = services.week_start(raw)
        except ValueError:
            messages.error(
                request, _("“%(value)s” is not a week; write it as 2024-W36.") % {"value": raw}
            )
    result = services.weekly_digest(project, start)
    previous = start - timedelta(days=7)
    following = start + timedelta(days=7)
    return render(
        request,
        "projects/digest.html",
        {
            "project": project,
            "digest": result,
            "previous": services.week_key(previous),
            "following": services.week_key(following) if following <= current else None,
        },
    )


def retrospective(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    retro = Retrospective.objects.filter(project=project).first() or Retrospective(project=project)
    editable = can_edit(request.user, project)
    form = RetrospectiveForm(request.POST or None, instance=retro)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if form.is_valid():
            saved = form.save(commit=False)
            saved.author = person_of(request.user)
            saved.save()
            if "publish" in request.POST:
                guide = services.publish_guide(saved, person_of(request.user))
                messages.success(request, _("Published as a guide."))
                return redirect(guide)
            messages.success(request, _("Retrospective saved."))
            return redirect("projects:retrospective", pk=project.pk)
    plan = services.project_plan(project)
    return render(
        request,
        "projects/retrospective.html",
        {
            "project": project,
            "form": form,
            "retro": retro if retro.pk else None,
            "can_edit": editable,
            "plan": plan,
            "late": [r for r in plan.rows if r.state.finished_late or r.state.lagging],
            "requests": SupportRequest.objects.filter(subtask__project=project)
            .select_related("subtask", "department")
            .prefetch_related("escalations"),
        },
    )


def guides(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "projects/guides.html",
        {"guides": Guide.objects.select_related("project", "department", "published_by")},
    )


def guide_detail(request: HttpRequest, pk: int) -> HttpResponse:
    guide = get_object_or_404(Guide.objects.select_related("project", "department"), pk=pk)
    return render(
        request,
        "projects/guide.html",
        {"guide": guide, "history": history_of([Guide.history.filter(id=guide.pk)])},
    )
