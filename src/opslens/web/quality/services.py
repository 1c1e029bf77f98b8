"""T4 orchestration: grade, move through the closed loop, remind, analyse, export.

The rules are :mod:`opslens.core.quality`'s; this module reads and writes the ORM around them.
Every date rule asks :mod:`opslens.web.common.clock`.
"""

from __future__ import annotations

import calendar
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opslens.core import quality as core
from opslens.core.errors import InputError
from opslens.web.common import clock
from opslens.web.org.models import Department, Person, Role
from opslens.web.quality.models import Level, Problem, ServiceStandard, Status

if TYPE_CHECKING:
    from opslens.web.projects.origins import ProjectOrigin

OPEN = [Status.FOUND, Status.IN_PROGRESS, Status.AWAITING_RECHECK]


def problems() -> QuerySet[Problem]:
    return Problem.objects.select_related(
        "standard",
        "standard__department",
        "department",
        "responsible",
        "inspector",
        "measure_owner",
        "rechecker",
    )


# --- standards ---------------------------------------------------------------------------


def add_default_standards() -> int:
    """Create the seed's seven standards (core ``DEFAULT_STANDARDS``) that are missing; their
    owner departments are matched by name (客服部, 售后部). Returns how many were created."""
    created = 0
    for std in core.DEFAULT_STANDARDS:
        if ServiceStandard.objects.filter(stage=std.stage, metric=std.metric).exists():
            continue
        ServiceStandard.objects.create(
            stage=std.stage,
            metric=std.metric,
            threshold=std.threshold,
            unit=std.unit,
            comparison=std.comparison.value,
            department=Department.objects.filter(name=std.department).first(),
        )
        created += 1
    return created


# --- grading -----------------------------------------------------------------------------


def rule_level(standard: ServiceStandard | None, observed: Decimal | None) -> core.Severity | None:
    """The level the rule gives; ``None`` without a standard or value, or when it is met."""
    if standard is None or observed is None:
        return None
    return core.grade_severity(standard.as_core(), observed)


# --- the closed loop -----------------------------------------------------------------------


class TransitionError(Exception):
    """A status move the closed loop does not allow; ``messages`` say why (translated)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def start_blockers(problem: Problem) -> list[str]:
    reasons = []
    if not problem.measure.strip():
        reasons.append(_("Describe the rectification measure first."))
    return reasons


def move(problem: Problem, to: str) -> Problem:
    """Move ``problem`` to status ``to``: 发现 → 整改中 → 待复查. Closing and a failed recheck go
    through :func:`close` and :func:`fail_recheck`, which need the recheck."""
    allowed = problem.next_statuses()
    if to not in allowed or to == Status.CLOSED:
        raise TransitionError(
            [
                _("A rectification cannot move from %(old)s to %(new)s.")
                % {"old": problem.get_status_display(), "new": Status(to).label}
            ]
        )
    if to == Status.IN_PROGRESS and problem.status == Status.FOUND:
        reasons = start_blockers(problem)
        if reasons:
            raise TransitionError(reasons)
    problem.status = to
    problem.save()
    return problem


def close_blockers(
    problem: Problem,
    *,
    recheck_result: str,
    recheck_value: Decimal | None,
    accountability: str,
) -> tuple[core.CloseBlocker, ...]:
    return core.check_close(
        severity=problem.severity,
        recheck_result=recheck_result,
        recheck_value=recheck_value,
        standard=problem.standard.as_core() if problem.standard else None,
        accountability_note=accountability,
    )


BLOCKER_FIELDS = {
    core.CloseBlocker.NO_RECHECK_RESULT: "recheck_result",
    core.CloseBlocker.NO_RECHECK_VALUE: "recheck_value",
    core.CloseBlocker.STANDARD_STILL_MISSED: "recheck_value",
    core.CloseBlocker.NO_ACCOUNTABILITY_NOTE: "accountability",
}


def blocker_message(blocker: core.CloseBlocker, problem: Problem) -> str:
    if blocker is core.CloseBlocker.NO_RECHECK_RESULT:
        return _("Record the recheck result before closing.")
    standard = problem.standard
    if blocker is core.CloseBlocker.NO_RECHECK_VALUE and standard is not None:
        return _("The standard %(rule)s is measurable: enter the value found at the recheck.") % {
            "rule": standard.rule
        }
    if blocker is core.CloseBlocker.STANDARD_STILL_MISSED and standard is not None:
        return _(
            "The value at the recheck still misses the standard %(rule)s: the rectification "
            "has not worked yet."
        ) % {"rule": standard.rule}
    return _("A %(level)s problem needs an accountability note (问责) before it closes.") % {
        "level": problem.get_level_display()
    }


def _recheck(problem: Problem, data: dict[str, Any]) -> None:
    problem.recheck_result = data.get("recheck_result", "") or ""
    problem.recheck_on = data.get("recheck_on") or clock.today()
    problem.rechecker = data.get("rechecker")
    problem.recheck_value = data.get("recheck_value")
    problem.accountability = data.get("accountability", "") or ""


def close(problem: Problem, data: dict[str, Any]) -> tuple[core.CloseBlocker, ...]:
    """Record the recheck and close; nothing is saved when something blocks (returned)."""
    if problem.status != Status.AWAITING_RECHECK:
        raise TransitionError([_("Only a rectification awaiting its recheck can be closed.")])
    blockers = close_blockers(
        problem,
        recheck_result=data.get("recheck_result", "") or "",
        recheck_value=data.get("recheck_value"),
        accountability=data.get("accountability", "") or "",
    )
    if blockers:
        return blockers
    _recheck(problem, data)
    problem.status = Status.CLOSED
    problem.closed_on = problem.recheck_on
    problem.save()
    return ()


def fail_recheck(problem: Problem, data: dict[str, Any]) -> Problem:
    """The recheck found the problem still there: record it and go back to 整改中."""
    if problem.status != Status.AWAITING_RECHECK:
        raise TransitionError([_("Only a rectification awaiting its recheck can be rechecked.")])
    if not (data.get("recheck_result") or "").strip():
        raise TransitionError([_("Say what the recheck found.")])
    _recheck(problem, data)
    problem.status = Status.IN_PROGRESS
    new_deadline = data.get("new_deadline")
    if new_deadline:
        problem.deadline = new_deadline
        problem.overdue_notified_on = None
    problem.save()
    return problem


# --- overdue -------------------------------------------------------------------------------


def overdue_rectifications(today: date | None = None) -> QuerySet[Problem]:
    """Open rectifications past their deadline (the deadline day itself is not), oldest first."""
    today = today or clock.today()
    return (
        problems()
        .filter(status__in=OPEN, deadline__lt=today)
        .order_by("deadline", "inspected_on", "id")
    )


def open_rectifications_for(person: Person | None) -> QuerySet[Problem]:
    """Rectifications not closed that ``person`` is responsible for (the measure's responsible
    person, or the problem's when the measure names nobody), deadline first."""
    if person is None:
        return Problem.objects.none()
    return (
        problems()
        .filter(status__in=OPEN)
        .filter(Q(measure_owner=person) | Q(measure_owner__isnull=True, responsible=person))
        .order_by("deadline", "id")
    )


def _recipients(problem: Problem) -> list[Any]:
    users = []
    for person in (problem.rectifier, problem.department.head):
        if person is not None and person.user_id and person.user not in users:
            users.append(person.user)
    return users


def notify_overdue_rectifications(today: date | None = None) -> int:
    """Tell the responsible person and the department head, once per item, that a rectification
    is past its deadline (in the app and by e-mail). Returns how many notifications were sent.

    Each item remembers the day it was reported; a new deadline (a failed recheck) re-arms it.
    """
    from opslens.web.common.services import notify

    today = today or clock.today()
    sent = 0
    for problem in overdue_rectifications(today).filter(overdue_notified_on__isnull=True):
        with transaction.atomic():
            locked = (
                Problem.objects.select_for_update()
                .filter(pk=problem.pk, overdue_notified_on__isnull=True)
                .update(overdue_notified_on=today)
            )
            if not locked:
                continue
            message = _(
                "Quality rectification overdue since %(deadline)s: %(stage)s · %(problem)s "
                "(%(level)s, %(department)s)"
            ) % {
                "deadline": problem.deadline.isoformat(),
                "stage": problem.stage,
                "problem": problem.description[:120],
                "level": problem.get_level_display(),
                "department": problem.department.name,
            }
            for user in _recipients(problem):
                notify(user, message, problem.get_absolute_url())
                sent += 1
    return sent


# --- monthly analysis -----------------------------------------------------------------------


def month_bounds(key: str) -> tuple[date, date]:
    """``YYYY-MM`` → its first and last day; :class:`InputError` otherwise."""
    try:
        year, month = (int(part) for part in key.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        raise InputError("a month must be written YYYY-MM, e.g. 2024-06", value=key) from None
    if len(key) != 7:
        raise InputError("a month must be written YYYY-MM, e.g. 2024-06", value=key)
    return first, date(year, month, calendar.monthrange(year, month)[1])


def as_core(problem: Problem) -> core.Inspection:
    return core.Inspection(
        key=str(problem.pk),
        day=problem.inspected_on,
        stage=problem.stage,
        method=problem.method,
        problem_type=problem.problem_type,
        severity=problem.severity,
        responsible=problem.responsible.name if problem.responsible else "",
        department=problem.department.name,
        found_on=problem.inspected_on,
        closed_on=problem.closed_on,
        deadline=problem.deadline,
    )


@dataclass(frozen=True)
class MonthView:
    """The month's analysis with what the page needs around it."""

    key: str
    first: date
    last: date
    analysis: core.QualityMonth
    problems: list[Problem]
    open_now: int
    overdue_now: int
    by_key: dict[str, Problem]

    @property
    def levels(self) -> list[tuple[str, str, int]]:
        return [
            (lv.value, str(lv.label), self.analysis.by_severity[core.Severity(lv.value)])
            for lv in Level
        ]

    @property
    def overdue_problems(self) -> list[Problem]:
        return [self.by_key[k] for k in self.analysis.overdue_keys if k in self.by_key]

    @property
    def average_days(self) -> Decimal | None:
        avg = self.analysis.average_days_to_close
        return None if avg is None else avg.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def problems_of_type(self, name: str) -> list[Problem]:
        return [p for p in self.problems if p.problem_type.strip() == name]


def analyse_month(key: str, *, as_of: date | None = None) -> MonthView:
    """The month's analysis as of ``as_of`` (default: the month's last day, or today while the
    month runs); open and overdue also as of today."""
    first, last = month_bounds(key)
    today = clock.today()
    if as_of is None:
        as_of = last if today > last or today < first else today
    rows = list(problems().filter(inspected_on__range=(first, last)).order_by("inspected_on", "id"))
    analysis = core.analyze_month([as_core(p) for p in rows], key, as_of=as_of)
    return MonthView(
        key=key,
        first=first,
        last=last,
        analysis=analysis,
        problems=rows,
        open_now=sum(1 for p in rows if not p.is_closed),
        overdue_now=sum(1 for p in rows if p.is_overdue),
        by_key={str(p.pk): p for p in rows},
    )


def pareto_chart(items: Iterable[core.ParetoItem], names: dict[str, str]) -> dict[str, Any]:
    items = list(items)
    return {
        "labels": [i.name or "—" for i in items],
        "counts": [i.count for i in items],
        "cumulative": [float((i.cumulative_share * 100).quantize(Decimal("0.1"))) for i in items],
        "vital": [i.vital for i in items],
        "names": names,
    }


# --- summaries and the project origin -------------------------------------------------------


def finding_summary(problem: Problem) -> str:
    """客服响应 · 40 秒 vs 电话接听 ≤ 30 秒 (+33 %), 严重 by rule, 一般 recorded."""
    parts = [problem.stage]
    standard = problem.standard
    miss = problem.deviation
    if standard is not None and problem.observed is not None:
        text = _("%(observed)s vs %(rule)s") % {
            "observed": problem.observed_text,
            "rule": standard.rule,
        }
        if miss is not None:
            pct = (miss * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            text += f" ({'+' if pct > 0 else ''}{pct} %)"
        parts.append(text)
    else:
        parts.append(problem.problem_type)
    grade = []
    if problem.rule_level:
        grade.append(_("%(level)s by rule") % {"level": problem.get_rule_level_display()})
    if not problem.rule_level or problem.overridden:
        grade.append(_("%(level)s recorded") % {"level": problem.get_level_display()})
    return " · ".join(parts) + ", " + ", ".join(grade)


def project_origin(pk: int, user: Any) -> ProjectOrigin | None:
    """The quality problem ``pk`` as the origin of an improvement project (systemic fix)."""
    from opslens.web.projects.origins import ProjectOrigin

    problem = problems().filter(pk=pk).first()
    if problem is None:
        return None
    head = problem.department.head
    standard = problem.standard
    if standard is not None:
        goal = _(
            "Bring %(metric)s of %(stage)s within the standard %(rule)s for good, and no repeat "
            "of %(type)s in the three months after the fix."
        ) % {
            "metric": standard.metric,
            "stage": problem.stage,
            "rule": standard.rule,
            "type": problem.problem_type,
        }
    else:
        goal = _(
            "Remove the cause of %(type)s in %(stage)s: no repeat found by inspection in the "
            "three months after the fix."
        ) % {"type": problem.problem_type, "stage": problem.stage}
    return ProjectOrigin(
        kind="quality",
        ref=problem.pk,
        label=f"{problem.inspected_on:%Y-%m-%d} {problem.stage} · {problem.problem_type}",
        url=problem.get_absolute_url(),
        summary=finding_summary(problem),
        name=_("Systemic fix: %(type)s in %(stage)s")
        % {"type": problem.problem_type, "stage": problem.stage},
        department_id=problem.department_id,
        owner_id=head.pk if head is not None else None,
        goal=goal,
        deadline=None,
    )


# --- export -----------------------------------------------------------------------------------

XLSX_COLUMNS = [
    "检查日期",
    "服务环节",
    "检查方式",
    "问题描述",
    "等级",
    "责任人/部门",
    "整改措施",
    "计划完成",
    "整改状态",
    "复查结果",
]


def responsible_text(problem: Problem) -> str:
    person = problem.responsible
    if person is None:
        return problem.department.name
    who = person.title or person.name
    if person.title and person.name not in person.title:
        who = f"{person.name}({person.title})"
    return f"{problem.department.name}/{who}"


def write_xlsx(rows: Iterable[Problem], *, title: str) -> bytes:
    """The seed's table (服务质量检查与改进表) in its column layout, with the rule's level and
    the accountability note as extra columns to the right."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    extra = ["规则等级", "等级说明", "问题类型", "问责", "关闭日期"]
    sheet.append([*XLSX_COLUMNS, *extra])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F1")
    labels_zh = {
        "level": dict(LEVEL_ZH),
        "method": dict(METHOD_ZH),
        "status": dict(STATUS_ZH),
    }
    for p in rows:
        sheet.append(
            [
                p.inspected_on,
                p.stage,
                labels_zh["method"].get(p.method, p.method),
                p.description,
                labels_zh["level"].get(p.level, p.level),
                responsible_text(p),
                p.measure,
                p.deadline,
                labels_zh["status"].get(p.status, p.status),
                p.recheck_result,
                labels_zh["level"].get(p.rule_level, ""),
                p.level_reason,
                p.problem_type,
                p.accountability,
                p.closed_on,
            ]
        )
    widths = [12, 14, 14, 40, 8, 18, 36, 12, 10, 28, 10, 28, 14, 24, 12]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        row[0].number_format = "yyyy-mm-dd"
        row[7].number_format = "yyyy-mm-dd"
        row[14].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The seed's own words in the export (a Chinese template, whatever the user's language).
LEVEL_ZH = [("minor", "轻微"), ("general", "一般"), ("serious", "严重"), ("major", "重大")]
METHOD_ZH = [
    ("mystery_shopper", "神秘顾客检查"),
    ("spot_check", "现场抽查"),
    ("system_monitoring", "系统数据监控"),
    ("satisfaction_survey", "客户满意度调研"),
]
STATUS_ZH = [
    ("found", "发现"),
    ("in_progress", "整改中"),
    ("awaiting_recheck", "待复查"),
    ("closed", "已关闭"),
]


def handling_lines(level: str) -> list[str]:
    """The level's handling (SPEC T4) as translated sentences."""
    info = core.handling(core.Severity(level))
    texts = {
        core.Measure.VERBAL_REMINDER: _("Verbal reminder; fixed the next day"),
        core.Measure.RECTIFICATION_ORDER: _(
            "Rectification order (整改单) with measure and deadline"
        ),
        core.Measure.HEAD_SUPERVISION: _("Supervised by the department head"),
        core.Measure.ACCOUNTABILITY: _("Accountability (问责)"),
        core.Measure.PERFORMANCE_DEDUCTION: _("Performance deduction"),
        core.Measure.SPECIAL_TRAINING: _("Special training"),
        core.Measure.CUSTOMER_APOLOGY: _("Apology to the customer"),
        core.Measure.IN_PERSON_APOLOGY: _("Apology to the customer in person"),
    }
    lines = [str(texts.get(m, m.value)) for m in info.measures]
    lines.append(
        ngettext(
            "Default deadline: %(days)d day after the inspection",
            "Default deadline: %(days)d days after the inspection",
            info.days,
        )
        % {"days": info.days}
    )
    return lines


def editors_department_ids(user: Any) -> set[int] | None:
    from opslens.web.common.permissions import editable_department_ids

    return editable_department_ids(user)


def inspector_choices(user: Any) -> QuerySet[Person]:
    """Whom ``user`` may name as inspector: anyone for ops admins, else people of their own
    department (the inspector's department then also owns the finding)."""
    allowed = editors_department_ids(user)
    people = Person.objects.select_related("department").exclude(role=Role.VIEWER)
    if allowed is None:
        return people
    return people.filter(department_id__in=allowed)
