"""Cost orchestration: read the ORM, call :mod:`opslens.core.costs`, save."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from opslens.core import costs as core
from opslens.web.common import clock
from opslens.web.common.permissions import can_edit
from opslens.web.costs.models import CostCategory, CostLine, CostMonth, states_a_measure
from opslens.web.org.models import Department, Person


def ensure_categories() -> None:
    """The seed's eight categories, created once; users add, rename and re-threshold them."""
    if CostCategory.objects.exists():
        return
    for order, spec in enumerate(core.DEFAULT_CATEGORIES):
        CostCategory.objects.create(
            name=spec.name, nature=spec.nature.value, threshold=spec.threshold * 100, order=order
        )


def to_core(line: CostLine) -> core.CostLine:
    return core.CostLine(
        key=str(line.pk),
        category=line.category.name,
        sub_item=line.sub_item,
        budget=line.budget,
        actual=line.actual if line.actual is not None else Decimal(0),
        department=line.department.name,
        cause=line.cause,
        cause_kind=core.CauseKind(line.cause_kind) if line.cause_kind else None,
    )


def thresholds() -> dict[str, Decimal]:
    return {c.name: c.threshold_ratio for c in CostCategory.objects.all()}


@dataclass(frozen=True)
class MonthView:
    month: CostMonth
    lines: list[CostLine]
    analysis: core.CostAnalysis
    figures: dict[int, core.LineFigures]
    unreported: list[CostLine]

    def figures_of(self, line: CostLine) -> core.LineFigures | None:
        return self.figures.get(line.pk)


def analyse(month: CostMonth, lines: Iterable[CostLine]) -> MonthView:
    lines = list(lines)
    reported = [line for line in lines if line.actual is not None]
    analysis = core.analyze_costs([to_core(line) for line in reported], thresholds())
    figures = {int(f.line.key): f for f in analysis.lines}
    unreported = [line for line in lines if line.actual is None]
    return MonthView(month, lines, analysis, figures, unreported)


@dataclass(frozen=True)
class CloseBlocker:
    line: CostLine
    reason: str


def close_blockers(month: CostMonth) -> list[CloseBlocker]:
    """Why ``month`` cannot be closed: lines without actuals, flagged lines without a cause."""
    lines = list(month.lines.select_related("category", "department"))
    view = analyse(month, lines)
    blockers = [CloseBlocker(line, _("no actual amount yet")) for line in view.unreported]
    by_pk = {line.pk: line for line in lines}
    for figures in view.analysis.blockers:
        line = by_pk[int(figures.line.key)]
        if not line.cause.strip():
            reason = _("beyond its threshold without a cause")
        else:
            reason = _("cause not classified as controllable or uncontrollable")
        blockers.append(CloseBlocker(line, reason))
    return blockers


def remind_blockers(month: CostMonth) -> int:
    """Notify, once per person, whoever must complete a line that blocks closing ``month``.

    The line's responsible person if they log in, else their department's head. Returns how
    many people were told.
    """
    from opslens.web.common.services import notify

    by_user: dict[Any, list[CloseBlocker]] = {}
    for blocker in close_blockers(month):
        line = blocker.line
        person = line.owner if line.owner is not None and line.owner.user_id else None
        person = person or line.department.head
        if person is None or person.user is None:
            continue
        by_user.setdefault(person.user, []).append(blocker)
    for user, blockers in by_user.items():
        items = "；".join(f"{b.line.category} · {b.line.sub_item}（{b.reason}）" for b in blockers)
        notify(
            user,
            _("Cost analysis %(month)s cannot be closed until you complete: %(items)s")
            % {"month": month.key, "items": items},
            month.get_absolute_url(),
        )
    return len(by_user)


def close_month(month: CostMonth, user: Any, summary: str = "") -> list[CloseBlocker]:
    """Close the month if nothing blocks it; returns the blockers (empty when closed)."""
    with transaction.atomic():
        month = CostMonth.objects.select_for_update().get(pk=month.pk)
        blockers = close_blockers(month)
        if blockers or not month.is_open:
            return blockers
        month.status = CostMonth.Status.CLOSED
        month.closed = clock.now()
        month.closed_by = user
        if summary:
            month.summary = summary
        month.save()
    return []


def reopen_month(month: CostMonth) -> None:
    month.status = CostMonth.Status.OPEN
    month.closed = None
    month.closed_by = None
    month.save()


def open_month(first_day: date) -> CostMonth:
    """Create a month; lines carry over from the latest earlier month with their open measures.

    Budgets are copied as a starting point (edit them), actuals start empty, causes start empty;
    a measure still planned or in progress continues on the new line, linked to its origin.
    """
    first_day = first_day.replace(day=1)
    with transaction.atomic():
        month, created = CostMonth.objects.get_or_create(month=first_day)
        if not created:
            return month
        previous = CostMonth.objects.filter(month__lt=first_day).order_by("-month").first()
        if previous is None:
            return month
        for line in previous.lines.all():
            open_measure = line.measure_status in (
                CostLine.MeasureStatus.PLANNED,
                CostLine.MeasureStatus.IN_PROGRESS,
            )
            CostLine.objects.create(
                month=month,
                category=line.category,
                sub_item=line.sub_item,
                department=line.department,
                owner=line.owner,
                budget=line.budget,
                measure=line.measure if open_measure else "",
                measure_department=line.measure_department if open_measure else None,
                measure_owner=line.measure_owner if open_measure else None,
                planned_date=line.planned_date if open_measure else None,
                measure_status=line.measure_status if open_measure else "",
                carried_from=line,
            )
    return month


def line_trend(line: CostLine, visible: Iterable[CostLine]) -> core.LineTrend | None:
    """This line's variance month by month (same category, sub-item and department).

    A month between the first and the last without the line is an explicit gap.
    """
    same = [
        other
        for other in visible
        if other.category_id == line.category_id
        and other.sub_item == line.sub_item
        and other.department_id == line.department_id
    ]
    months = dict(_months(same))
    if months:
        first, last = (date.fromisoformat(f"{key}-01") for key in (min(months), max(months)))
        for month in CostMonth.objects.filter(month__gt=first, month__lt=last):
            months.setdefault(month.key, [])
    trends = core.trend_by_line(sorted(months.items()))
    return trends[0] if trends else None


def _months(lines: Iterable[CostLine]) -> list[tuple[str, list[core.CostLine]]]:
    months: dict[str, list[core.CostLine]] = {}
    for line in lines:
        if line.actual is None:
            continue
        months.setdefault(line.month.key, []).append(to_core(line))
    return sorted(months.items())


def category_trends(lines: Iterable[CostLine]) -> tuple[core.CategoryTrend, ...]:
    return core.trend_by_category(_months(lines))


def line_trends(lines: Iterable[CostLine]) -> tuple[core.LineTrend, ...]:
    return core.trend_by_line(_months(lines))


# --- import / export ------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] | None = None
    warnings: list[str] | None = None


# optional fields: the line's field → the imported field it comes from
_IMPORTED_FROM = {
    "owner": "owner",
    "cause": "cause",
    "cause_kind": "cause_kind",
    "measure": "measure",
    "planned_date": "planned",
}


def import_rows(month: CostMonth, result: core.CostImport, user: Any) -> ImportReport:
    """Save imported rows into ``month`` — all of them, or none when any row is wrong."""
    errors = [str(e) for e in result.errors]
    warnings = [str(w) for w in result.warnings]
    categories = {c.name: c for c in CostCategory.objects.all()}
    departments = {d.name: d for d in Department.objects.all()}
    planned: list[tuple[Any, dict[str, Any]]] = []
    for row in result.rows:
        category = categories.get(row.category)
        if category is None:
            errors.append(
                _("row %(row)d: category “%(value)s” is not configured (%(known)s)")
                % {"row": row.row, "value": row.category, "known": "、".join(categories)}
            )
            continue
        department = departments.get(row.department)
        if department is None:
            errors.append(
                _("row %(row)d: department “%(value)s” is unknown")
                % {"row": row.row, "value": row.department or "—"}
            )
            continue
        probe = CostLine(month=month, category=category, department=department)
        if not can_edit(user, probe):
            errors.append(
                _("row %(row)d: you may not change cost lines of %(dept)s")
                % {"row": row.row, "dept": department.name}
            )
            continue
        owner = _person(row.owner, department)
        if row.owner and owner is None:
            warnings.append(
                _("row %(row)d: no person named “%(name)s” in %(dept)s; left empty")
                % {"row": row.row, "name": row.owner, "dept": department.name}
            )
        values = {
            "owner": owner,
            "budget": row.budget,
            "actual": row.actual,
            "cause": row.cause,
            "cause_kind": row.cause_kind.value if row.cause_kind else "",
            "measure": row.measure,
            "planned_date": row.planned,
        }
        # a column the file does not have leaves what was entered in the workbench alone
        values = {
            key: value
            for key, value in values.items()
            if key not in _IMPORTED_FROM or result.mapping.get(_IMPORTED_FROM[key]) is not None
        }
        if states_a_measure(row.measure):
            values["measure_department"] = department
            values["measure_owner"] = owner
            values["measure_status"] = CostLine.MeasureStatus.PLANNED
        planned.append(((category, row.sub_item, department), values))
    report = ImportReport(errors=errors, warnings=warnings)
    if errors:
        return report
    with transaction.atomic():
        for (category, sub_item, department), values in planned:
            line = CostLine.objects.filter(
                month=month, category=category, sub_item=sub_item, department=department
            ).first()
            if line is None:
                CostLine.objects.create(
                    month=month,
                    category=category,
                    sub_item=sub_item,
                    department=department,
                    **values,
                )
                report.created += 1
            else:
                for key, value in values.items():
                    if key.startswith("measure_") and line.measure_status:
                        continue  # an existing measure's progress is not reset by a re-import
                    setattr(line, key, value)
                line.save()
                report.updated += 1
    return report


def _person(name: str, department: Department) -> Person | None:
    if not name:
        return None
    return (
        Person.objects.filter(name=name, department=department).first()
        or Person.objects.filter(name=name).first()
    )


def report_lines(view: MonthView) -> list[core.CostReportLine]:
    rows = []
    for line in view.lines:
        figures = view.figures_of(line)
        rows.append(
            core.CostReportLine(
                category=line.category.name,
                sub_item=line.sub_item,
                budget=line.budget,
                actual=line.actual,
                cause=line.cause,
                cause_kind=core.CauseKind(line.cause_kind) if line.cause_kind else None,
                measure=line.measure,
                department=line.department.name,
                owner=line.owner.name if line.owner else "",
                planned=line.planned_date,
                measure_status=line.get_measure_status_display() if line.measure_status else "",
                flagged=bool(figures and figures.flagged),
            )
        )
    return rows


def chart_categories(trends: Sequence[core.CategoryTrend]) -> dict[str, Any]:
    months = sorted({p.month for t in trends for p in t.points})
    series = []
    for trend in trends:
        by_month = {p.month: p.variance for p in trend.points}
        series.append(
            {
                "name": trend.category,
                "values": [
                    float(v.ratio * 100) if v is not None and v.ratio is not None else None
                    for v in (by_month.get(m) for m in months)
                ],
            }
        )
    return {"labels": months, "series": series, "unit": "%"}


def project_origin(pk: int, user: Any) -> Any:
    """A cost line's variance as the origin of an improvement project (T2); only for a user
    who may read the line (cost data is confidential)."""
    from datetime import timedelta

    from opslens.web.common.templatetags.opslens import money, signed_money, signed_percent
    from opslens.web.costs.access import visible_lines
    from opslens.web.projects.origins import OriginKind, ProjectOrigin

    line = visible_lines(user).filter(pk=pk).select_related("category", "month").first()
    if line is None:
        return None
    variance = line.variance
    values = {
        "month": line.month.key,
        "item": f"{line.category} · {line.sub_item}",
        "sub_item": line.sub_item,
        "budget": money(line.budget),
    }
    summary = _("%(month)s %(item)s: budget %(budget)s 元") % values
    if variance is not None:
        values.update(
            actual=money(variance.actual),
            variance=signed_money(variance.variance),
            ratio=signed_percent(variance.ratio) if variance.ratio is not None else "n/a",
        )
        summary = (
            _(
                "%(month)s %(item)s: budget %(budget)s 元, actual %(actual)s 元, variance "
                "%(variance)s 元 (%(ratio)s)"
            )
            % values
        )
    if line.cause:
        summary += "\n" + line.cause
    owner = line.owner or line.department.head
    return ProjectOrigin(
        kind=OriginKind.COST_VARIANCE,
        ref=line.pk,
        label=f"{line.month.key} {line.category} · {line.sub_item}",
        url=line.get_absolute_url(),
        summary=summary,
        name=_("Bring %(sub_item)s back within budget") % values,
        department_id=line.department_id,
        owner_id=owner.pk if owner is not None else None,
        goal=_("%(sub_item)s within its budget threshold again.") % values,
        deadline=clock.today() + timedelta(days=90),
    )
