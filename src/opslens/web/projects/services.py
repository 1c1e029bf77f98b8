"""T2 orchestration: read projects, call :mod:`opslens.core.planning`, save and notify.

* :func:`project_plan` — the tracker table with the schedule (forward/backward pass, slack,
  critical path) and the computed 滞后, today or as of a past day (from the change history).
* :func:`gantt_data` — what the Gantt chart draws; :func:`slip_preview` — "if this slips N days".
* :func:`set_status` — a person's status change, with the actual dates it implies.
* :func:`raise_request`, :func:`answer_request`, :func:`escalate_requests` — support requests
  between departments and their three-level escalation, each level recorded and notified once.
* :func:`weekly_digest`, :func:`send_digests` — what moved, what is late, open requests.
* :func:`publish_guide` — a retrospective's lessons as a reusable guide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from opslens.core import planning as core
from opslens.core.errors import ConfigError
from opslens.web.common import clock
from opslens.web.common.services import notify
from opslens.web.org.models import CostAccess, Department, Person, Role
from opslens.web.projects.models import (
    Dependency,
    Escalation,
    Guide,
    Project,
    Retrospective,
    Risk,
    Subtask,
    Support,
    SupportRequest,
)

# --- the plan -------------------------------------------------------------------------------


@dataclass
class Row:
    """One subtask as the tracker shows it."""

    subtask: Subtask
    state: core.DisplayState
    scheduled: core.ScheduledTask | None = None
    supports: list[Support] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    predecessors: list[tuple[Subtask, int]] = field(default_factory=list)
    requests: list[SupportRequest] = field(default_factory=list)
    on_path: bool = False

    @property
    def open_requests(self) -> list[SupportRequest]:
        return [r for r in self.requests if r.is_open]

    @property
    def open_risks(self) -> list[Risk]:
        return [r for r in self.risks if r.status == Risk.Status.OPEN]

    @property
    def css(self) -> str:
        return " ".join(self.state.flags)


@dataclass
class Plan:
    project: Project
    rows: list[Row]
    schedule: core.Schedule | None
    error: str
    today: date
    as_of: date | None = None

    @property
    def lagging(self) -> list[Row]:
        return [r for r in self.rows if r.state.lagging]

    @property
    def blocked(self) -> list[Row]:
        return [r for r in self.rows if r.state.blocked]

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.subtask.status == Subtask.Status.DONE)

    @property
    def progress(self) -> float:
        return self.done / len(self.rows) if self.rows else 0.0

    @property
    def critical_names(self) -> list[str]:
        by_key = {r.subtask.key: r.subtask.name for r in self.rows}
        if self.schedule is None:
            return []
        return [by_key[k] for k in self.schedule.critical_path if k in by_key]

    @property
    def missed_milestones(self) -> list[Row]:
        return [
            r
            for r in self.rows
            if r.scheduled is not None
            and r.scheduled.misses_milestone
            and r.subtask.status != Subtask.Status.DONE
        ]


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) - timedelta(
        microseconds=1
    )


def _subtasks(project: Project, as_of: date | None) -> list[Subtask]:
    if as_of is None:
        return list(
            project.subtasks.select_related(
                "lead_department", "responsible", "responsible__department"
            ).prefetch_related(
                Prefetch("supports", queryset=Support.objects.select_related("department")),
                Prefetch("risks", queryset=Risk.objects.select_related("owner")),
                Prefetch(
                    "requests",
                    queryset=SupportRequest.objects.select_related(
                        "department", "raised_by", "answered_by"
                    ).prefetch_related("escalations"),
                ),
            )
        )
    moment = _end_of(as_of)
    rows = list(Subtask.history.as_of(moment).filter(project_id=project.pk))
    rows.sort(key=lambda s: (s.position, s.pk))
    return rows


def _links(project: Project, subtasks: Sequence[Subtask], as_of: date | None) -> list[Dependency]:
    keys = [s.pk for s in subtasks]
    if as_of is None:
        return list(Dependency.objects.filter(subtask_id__in=keys).order_by("id"))
    links = Dependency.history.as_of(_end_of(as_of)).filter(subtask_id__in=keys)
    return sorted(links, key=lambda d: d.pk)


def core_tasks(
    subtasks: Sequence[Subtask],
    links: Iterable[Dependency],
    *,
    extra: Iterable[Any] = (),
    today: date | None = None,
    workdays: bool = False,
) -> list[core.Task]:
    """``subtasks`` as core tasks; ``extra`` adds (subtask pk, predecessor pk, lag) links that
    are not saved yet (a form being checked).

    With ``today`` the tasks are a forecast: work that is not done cannot happen in the past,
    so a task not started starts no earlier than today, and one in progress keeps its actual
    start and lasts at least until today (its duration grows to the days elapsed).
    """
    deps: dict[int, list[core.Dependency]] = {s.pk: [] for s in subtasks}
    known = set(deps)
    for link in links:
        if link.subtask_id in known and link.predecessor_id in known:
            deps[link.subtask_id].append(core.Dependency(str(link.predecessor_id), link.lag_days))
    for subtask_id, predecessor_id, lag in extra:
        if subtask_id in known:
            deps[subtask_id].append(core.Dependency(str(predecessor_id), lag))
    tasks = [s.as_task(tuple(deps[s.pk])) for s in subtasks]
    if today is None:
        return tasks
    return [_forecast(task, today, workdays) for task in tasks]


def _forecast(task: core.Task, today: date, workdays: bool = False) -> core.Task:
    if task.is_done:
        return task
    if task.status is core.TaskStatus.NOT_STARTED or task.start is None:
        if task.start is not None and task.start >= today:
            return task
        return replace(task, start=today)
    # started: the bar keeps its actual start and lasts at least until today
    if task.start > today:
        return task
    if workdays:
        elapsed = sum(
            1
            for offset in range((today - task.start).days + 1)
            if (task.start + timedelta(days=offset)).weekday() < 5
        )
    else:
        elapsed = (today - task.start).days + 1
    if elapsed <= task.duration_days:
        return task
    return replace(task, duration_days=elapsed)


def project_plan(project: Project, *, as_of: date | None = None) -> Plan:
    """The tracker: every subtask with its schedule and computed state, today or ``as_of``."""
    today = as_of or clock.today()
    subtasks = _subtasks(project, as_of)
    links = _links(project, subtasks, as_of)
    by_pk = {s.pk: s for s in subtasks}
    error = ""
    schedule: core.Schedule | None = None
    try:
        tasks = core_tasks(
            subtasks,
            links,
            today=today if project.is_active else None,
            workdays=project.workdays,
        )
        schedule = schedule_of(project, tasks)
    except ConfigError as exc:
        error = str(exc)
        tasks = []
    rows = []
    for subtask in subtasks:
        task = subtask.as_task(())
        row = Row(subtask=subtask, state=core.task_state(task, today))
        if schedule is not None:
            row.scheduled = schedule.task(subtask.key)
            row.on_path = subtask.key in schedule.critical_path
        row.predecessors = [
            (by_pk[link.predecessor_id], link.lag_days)
            for link in links
            if link.subtask_id == subtask.pk and link.predecessor_id in by_pk
        ]
        if as_of is None:
            row.supports = list(subtask.supports.all())
            row.risks = list(subtask.risks.all())
            row.requests = list(subtask.requests.all())
        else:
            moment = _end_of(as_of)
            row.supports = list(
                Support.history.as_of(moment).filter(subtask_id=subtask.pk).order_by("id")
            )
            row.risks = list(Risk.history.as_of(moment).filter(subtask_id=subtask.pk))
        rows.append(row)
    return Plan(project, rows, schedule, error, today, as_of)


def schedule_of(project: Project, tasks: Sequence[core.Task]) -> core.Schedule:
    return core.schedule_tasks(tasks, project_start=project.start_date, workdays=project.workdays)


def check_links(
    subtask: Subtask, proposed: Sequence[tuple[int, int]]
) -> None:  # (predecessor pk, lag)
    """ConfigError naming the cycle when ``subtask`` following ``proposed`` would close one."""
    project = subtask.project
    subtasks = list(project.subtasks.all())
    if subtask.pk is None:
        return
    links = [link for link in Dependency.objects.filter(subtask__project=project)]
    links = [link for link in links if link.subtask_id != subtask.pk]
    extra = [(subtask.pk, pred, lag) for pred, lag in proposed]
    tasks = core_tasks(subtasks, links, extra=extra)
    cycle = core.find_cycle(tasks)
    if cycle:
        names = {str(s.pk): s.name for s in subtasks}
        raise ConfigError(" → ".join(names.get(k, k) for k in cycle))
    schedule_of(project, tasks)


def gantt_data(plan: Plan) -> dict[str, Any]:
    """Bars, milestones, dependency arrows, today and the critical path for the chart."""
    rows = []
    index = {}
    for i, row in enumerate(plan.rows):
        index[row.subtask.pk] = i
        item: dict[str, Any] = {
            "id": row.subtask.pk,
            "name": row.subtask.name,
            "lead": row.subtask.lead_department.name,
            "status": row.subtask.status,
            "status_label": row.subtask.get_status_display(),
            "lagging": row.state.lagging,
            "critical": bool(row.scheduled and row.scheduled.critical),
            "milestone": row.subtask.milestone.isoformat() if row.subtask.milestone else None,
            "url": row.subtask.get_absolute_url(),
        }
        if row.scheduled is not None:
            item["start"] = row.scheduled.earliest_start.isoformat()
            # bars end at the end of their last day
            item["end"] = (row.scheduled.earliest_finish + timedelta(days=1)).isoformat()
            item["slack"] = row.scheduled.total_slack
        rows.append(item)
    links = [
        {"from": index[pred.pk], "to": index[row.subtask.pk], "lag": lag}
        for row in plan.rows
        for pred, lag in row.predecessors
        if pred.pk in index
    ]
    return {
        "rows": rows,
        "links": links,
        "today": plan.today.isoformat(),
        "names": {
            "today": _("Today"),
            "milestone": _("Milestone"),
            "critical": _("Critical path"),
            "done": _("Done"),
            "planned": _("Planned"),
            "lagging": _("Lagging"),
            "slack": _("Slack (days)"),
        },
    }


def slip_preview(project: Project, subtask: Subtask, days: int) -> core.SlipPreview:
    subtasks = list(project.subtasks.all())
    links = list(Dependency.objects.filter(subtask__project=project))
    tasks = core_tasks(
        subtasks,
        links,
        today=clock.today() if project.is_active else None,
        workdays=project.workdays,
    )
    return core.preview_slip(
        tasks, subtask.key, days, project_start=project.start_date, workdays=project.workdays
    )


# --- status ---------------------------------------------------------------------------------


def set_status(subtask: Subtask, status: str, *, blocked_reason: str = "") -> Subtask:
    """Apply a person's status change with the actual dates it implies.

    Starting (进行中/受阻) records the actual start if none; 已完成 records the actual finish
    (today); leaving 已完成 clears it. ValidationError for a blocked status without a reason.
    """
    today = clock.today()
    subtask.status = status
    started = (Subtask.Status.IN_PROGRESS, Subtask.Status.BLOCKED, Subtask.Status.DONE)
    if status in started and subtask.actual_start is None:
        subtask.actual_start = today
    if status == Subtask.Status.DONE:
        if subtask.actual_finish is None:
            subtask.actual_finish = max(today, subtask.actual_start or today)
    else:
        subtask.actual_finish = None
    if status == Subtask.Status.BLOCKED:
        subtask.blocked_reason = blocked_reason or subtask.blocked_reason
    else:
        subtask.blocked_reason = ""  # the history keeps what blocked it
    subtask.full_clean()
    subtask.save()
    return subtask


# --- requests and escalation ----------------------------------------------------------------


def _users(people: Iterable[Person]) -> list[Person]:
    seen: set[int] = set()
    result = []
    for person in people:
        if person is not None and person.pk not in seen:
            seen.add(person.pk)
            result.append(person)
    return result


def department_contacts(department: Department) -> list[Person]:
    """Who answers for a department: its head(s), or its members when it has no head."""
    people = list(department.people.filter(role=Role.HEAD))
    if not people:
        people = list(department.people.filter(role__in=[Role.MEMBER, Role.ANALYST]))
    return people


def escalation_recipients(project: Project, level: int) -> list[Person]:
    if level == core.EscalationLevel.PROJECT_OWNER:
        return [project.owner]
    if level == core.EscalationLevel.COORDINATION_GROUP:
        people = list(project.coordinators.all())
        if not people:
            people = list(Person.objects.filter(role=Role.OPS_ADMIN))
        return people
    people = list(project.management.all())
    if not people:
        people = list(
            Person.objects.filter(department__cost_access=CostAccess.MANAGEMENT).exclude(
                role=Role.MEMBER
            )
        )
    return people


@transaction.atomic
def raise_request(
    subtask: Subtask, department: Department, message: str, by: Person | None
) -> SupportRequest:
    request = SupportRequest.objects.create(
        subtask=subtask,
        department=department,
        message=message,
        raised_by=by,
        raised_at=clock.now(),
    )
    hours = subtask.project.response_hours
    text = _(
        "%(project)s · %(subtask)s asks %(department)s for support (answer within %(hours)s h): "
        "%(message)s"
    ) % {
        "project": subtask.project.name,
        "subtask": subtask.name,
        "department": department.name,
        "hours": hours,
        "message": message,
    }
    for person in department_contacts(department):
        notify(person.user, text, request.get_absolute_url())
    return request


@transaction.atomic
def answer_request(request: SupportRequest, answer: str, by: Person | None) -> SupportRequest:
    answered = clock.now()
    # levels that fell due before the answer but that no worker run recorded yet are kept in
    # the record (nobody is told any more: the answer is there)
    _escalate(request, answered, notify_people=False)
    request.answer = answer
    request.answered_by = by
    request.answered_at = answered
    request.save()
    text = _("%(department)s answered the request on %(subtask)s: %(answer)s") % {
        "department": request.department.name,
        "subtask": request.subtask.name,
        "answer": answer,
    }
    for person in _users([request.raised_by, request.subtask.responsible]):
        notify(person.user, text, request.get_absolute_url())
    return request


def escalate_requests(now: datetime | None = None) -> int:
    """Record and notify every escalation level that open requests have reached by ``now``.

    Idempotent: a level is recorded once (a database constraint), so two workers, or a worker
    and a page, never notify twice. Returns how many levels were recorded.
    """
    now = now or clock.now()
    recorded = 0
    requests = SupportRequest.objects.filter(
        answered_at__isnull=True, subtask__project__status=Project.Status.ACTIVE
    ).select_related("subtask__project__owner", "department")
    for request in requests.prefetch_related("escalations"):
        recorded += _escalate(request, now)
    return recorded


def _escalate(request: SupportRequest, now: datetime, *, notify_people: bool = True) -> int:
    """Record the levels ``request`` has reached by ``now`` and are not recorded yet."""
    project = request.subtask.project
    done = {e.level for e in request.escalations.all()}
    steps = core.escalation_steps(
        request.raised_at, now, response_hours=float(project.response_hours)
    )
    recorded = 0
    for step in steps:
        if step.level in done:
            continue
        people = escalation_recipients(project, step.level)
        try:
            with transaction.atomic():
                Escalation.objects.create(
                    request=request,
                    level=step.level,
                    due_at=step.due_at,
                    recorded_at=now,
                    notified="、".join(p.name for p in people)[:500] if notify_people else "",
                )
                if notify_people:
                    _notify_escalation(request, step.level, people)
        except IntegrityError:  # another worker recorded it first
            continue
        recorded += 1
    return recorded


def _notify_escalation(request: SupportRequest, level: int, people: list[Person]) -> None:
    project = request.subtask.project
    text = _(
        "Escalated to %(level)s: %(department)s has not answered %(subtask)s "
        "(%(project)s) since %(raised)s: %(message)s"
    ) % {
        "level": Escalation.Level(int(level)).label,
        "department": request.department.name,
        "subtask": request.subtask.name,
        "project": project.name,
        "raised": timezone.localtime(request.raised_at).strftime("%Y-%m-%d %H:%M"),
        "message": request.message,
    }
    for person in _users([*people, *department_contacts(request.department)]):
        notify(person.user, text, request.get_absolute_url())


# --- weekly digest --------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChange:
    subtask: str
    old: str
    new: str
    when: datetime
    who: str


@dataclass
class Digest:
    project: Project
    week: str
    start: date
    end: date
    moved: list[StatusChange]
    finished: list[Subtask]
    late: list[Row]
    upcoming: list[Row]
    open_requests: list[SupportRequest]
    new_risks: list[Risk]


def week_key(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(key: str) -> date:
    """The Monday of ISO week ``key`` ("2024-W36"); ValueError when it is not one."""
    year, _sep, week = key.upper().partition("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def weekly_digest(project: Project, start: date) -> Digest:
    """What moved in the week from ``start`` (a Monday), what is late at its end, open requests."""
    end = start + timedelta(days=6)
    today = clock.today()
    as_of = end if end < today else None
    plan = project_plan(project, as_of=as_of)
    statuses = dict(Subtask.Status.choices)
    moved = []
    begin, finish = _end_of(start - timedelta(days=1)), _end_of(end)
    records = Subtask.history.filter(
        project_id=project.pk, history_date__gt=begin, history_date__lte=finish
    ).select_related("history_user__person")
    for record in records.order_by("history_date", "history_id"):
        previous = record.prev_record
        old = previous.status if previous is not None else None
        if record.history_type == "+" or old != record.status:
            user = record.history_user
            person = getattr(user, "person", None) if user is not None else None
            moved.append(
                StatusChange(
                    subtask=record.name,
                    old=str(statuses.get(old, "—")) if old else "—",
                    new=str(statuses.get(record.status, record.status)),
                    when=record.history_date,
                    who=person.name if person else (user.get_username() if user else "—"),
                )
            )
    next_week = end + timedelta(days=7)
    upcoming = [
        r
        for r in plan.rows
        if r.subtask.milestone
        and end < r.subtask.milestone <= next_week
        and r.subtask.status != Subtask.Status.DONE
    ]
    requests = SupportRequest.objects.filter(
        subtask__project=project, raised_at__lte=finish
    ).filter(Q(answered_at__isnull=True) | Q(answered_at__gt=finish))
    risks = Risk.history.filter(
        subtask__project=project,
        history_type="+",
        history_date__gt=begin,
        history_date__lte=finish,
    )
    return Digest(
        project=project,
        week=week_key(start),
        start=start,
        end=end,
        moved=moved,
        finished=[
            r.subtask
            for r in plan.rows
            if r.subtask.actual_finish and start <= r.subtask.actual_finish <= end
        ],
        late=plan.lagging,
        upcoming=upcoming,
        open_requests=list(
            requests.select_related("subtask", "department").prefetch_related("escalations")
        ),
        new_risks=[r.instance for r in risks],
    )


def send_digests(today: date | None = None) -> int:
    """Once per ISO week, tell each active project's owner and responsible people the digest."""
    today = today or clock.today()
    key = week_key(today)
    sent = 0
    for project in Project.objects.filter(status=Project.Status.ACTIVE).exclude(
        last_digest_week=key
    ):
        updated = Project.objects.filter(pk=project.pk).exclude(last_digest_week=key)
        if not updated.update(last_digest_week=key):
            continue  # another worker took it
        previous = today - timedelta(days=today.weekday() + 7)
        digest = weekly_digest(project, previous)
        text = _(
            "Weekly digest %(week)s · %(project)s: %(moved)s status changes, %(late)s late, "
            "%(requests)s open requests"
        ) % {
            "week": digest.week,
            "project": project.name,
            "moved": len(digest.moved),
            "late": len(digest.late),
            "requests": len(digest.open_requests),
        }
        from django.urls import reverse

        url = reverse("projects:digest", args=[project.pk]) + f"?week={digest.week}"
        people = [project.owner, *(s.responsible for s in project.subtasks.all())]
        for person in _users(people):
            notify(person.user, text, url, email=person.pk == project.owner_id)
        sent += 1
    return sent


def run_schedule(now: datetime | None = None, today: date | None = None) -> dict[str, int]:
    """The worker's part for projects: escalations and the weekly digests."""
    return {"escalated": escalate_requests(now), "digests": send_digests(today)}


# --- retrospective and guides ---------------------------------------------------------------


def publish_guide(retro: Retrospective, by: Person | None) -> Guide:
    project = retro.project
    title = _("Cross-department collaboration guide: %(project)s") % {"project": project.name}
    parts = [line.strip() for line in retro.lessons.splitlines() if line.strip()]
    body = "\n".join(f"{i}. {line}" for i, line in enumerate(parts, start=1))
    guide = Guide.objects.filter(project=project).first()
    if guide is None:
        guide = Guide(project=project, department=project.department)
    guide.title = title
    guide.body = body
    guide.published_by = by
    guide.published = clock.today()
    guide.save()
    return guide


# --- lists for other pages ------------------------------------------------------------------


def lagging_subtasks(queryset: QuerySet[Subtask] | None = None) -> list[Subtask]:
    """Open subtasks of active projects past their milestone (滞后), latest milestone last."""
    today = clock.today()
    queryset = queryset if queryset is not None else Subtask.objects.all()
    rows = queryset.filter(project__status=Project.Status.ACTIVE, milestone__lt=today).exclude(
        status=Subtask.Status.DONE
    )
    return list(
        rows.select_related("project", "lead_department", "responsible").order_by("milestone")
    )


def open_requests_for(person: Person) -> QuerySet[SupportRequest]:
    """Requests waiting for an answer from ``person``'s department."""
    if person.department_id is None:
        return SupportRequest.objects.none()
    return SupportRequest.objects.filter(
        answered_at__isnull=True, department_id=person.department_id
    ).select_related("subtask__project", "department")
