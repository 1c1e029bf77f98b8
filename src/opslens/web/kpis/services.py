"""KPI orchestration: read the ORM, call :mod:`opslens.core.kpi`, save, notify."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from opslens.core import kpi as core
from opslens.web.common import clock
from opslens.web.common.services import notify
from opslens.web.kpis.models import (
    Alert,
    AlertRule,
    Kpi,
    KpiTarget,
    Measurement,
    OverdueReminder,
    Review,
)
from opslens.web.kpis.sources import compute_value, source_of

# --- thresholds and series ------------------------------------------------------------------


def thresholds_for(
    kpi: Kpi, period: core.Period, targets: dict[Any, KpiTarget] | None = None
) -> core.Thresholds | None:
    """The period's own target if one is set, else the KPI's standing target."""
    if targets is None:
        own = KpiTarget.objects.filter(
            kpi=kpi, frequency=period.frequency.value, period_start=period.start
        ).first()
    else:
        own = targets.get((period.frequency.value, period.start))
    if own is not None:
        return own.thresholds()
    return kpi.standing_thresholds()


def _targets(kpi: Kpi) -> dict[Any, KpiTarget]:
    return {(t.frequency, t.period_start): t for t in kpi.targets.all()}


def status_of(kpi: Kpi, value: Decimal, thresholds: core.Thresholds | None) -> str:
    if thresholds is None:
        return ""
    return core.classify_value(value, kpi.core_direction, thresholds).value


@dataclass(frozen=True)
class Point:
    period: core.Period
    value: Decimal | None
    thresholds: core.Thresholds | None
    status: str
    note: str
    measurement: Measurement | None
    achievement: Decimal | None


def series(kpi: Kpi, *, last: int | None = None, until: core.Period | None = None) -> list[Point]:
    """Every period from the first measurement (or ``tracked_from``) to ``until`` — gaps kept."""
    measurements = {m.period_start: m for m in kpi.measurements.all()}
    targets = _targets(kpi)
    frequency = kpi.core_frequency
    end = until or kpi.period_of(clock.today())
    if measurements:
        latest = max(measurements)
        if core.Period(frequency, latest) > end and until is None:
            end = core.Period(frequency, latest)
    first_day = min([*measurements, kpi.tracked_from]) if measurements else kpi.tracked_from
    start = kpi.period_of(first_day)
    if last is not None:
        start = max(start, end.shift(-(last - 1)))
    points: list[Point] = []
    period = start
    while period <= end and len(points) < 1000:
        m = measurements.get(period.start)
        th = thresholds_for(kpi, period, targets)
        value = m.value if m is not None else None
        rate = None
        if value is not None and th is not None:
            rate = core.achievement_rate(value, th.target, kpi.core_direction)
        points.append(
            Point(
                period=period,
                value=value,
                thresholds=th,
                status=status_of(kpi, value, th) if value is not None else "",
                note=m.note if m is not None else "",
                measurement=m,
                achievement=rate,
            )
        )
        period = period.next()
    return points


def observations(kpi: Kpi, *, last: int | None = None) -> list[core.Observation]:
    """The KPI's values with their thresholds, oldest first (only the ``last`` ones if given)."""
    targets = _targets(kpi)
    measurements = kpi.measurements.order_by("-period_start")
    if last is not None:
        measurements = measurements[:last]
    return [
        core.Observation(m.period, m.value, thresholds_for(kpi, m.period, targets))
        for m in list(measurements)[::-1]
    ]


def recompute_statuses(kpi: Kpi) -> None:
    """After a target change: every stored status follows the new thresholds."""
    targets = _targets(kpi)
    for m in kpi.measurements.all():
        status = status_of(kpi, m.value, thresholds_for(kpi, m.period, targets))
        if status != m.status:
            Measurement.objects.filter(pk=m.pk).update(status=status)


# --- measurements and rules -----------------------------------------------------------------


@dataclass
class Outcome:
    """What an evaluation did, for the page that triggered it."""

    fired: list[Alert] = field(default_factory=list)
    suppressed: list[AlertRule] = field(default_factory=list)
    recovered: list[AlertRule] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.fired += other.fired
        self.suppressed += other.suppressed
        self.recovered += other.recovered


def record_measurement(
    kpi: Kpi,
    period: core.Period,
    value: Decimal,
    *,
    note: str = "",
    source: str = Measurement.Source.FORM,
    user: Any = None,
    evaluate: bool = True,
) -> tuple[Measurement, Outcome]:
    """Save (or correct) one period's value; then evaluate the KPI's rules right away."""
    if period.frequency != kpi.core_frequency:
        period = core.Period.of(kpi.core_frequency, period.start)
    status = status_of(kpi, value, thresholds_for(kpi, period))
    with transaction.atomic():
        measurement, _created = Measurement.objects.update_or_create(
            kpi=kpi,
            period_start=period.start,
            defaults={
                "value": value,
                "note": note,
                "source": source,
                "status": status,
                "entered_by": user if getattr(user, "is_authenticated", False) else None,
            },
        )
        outcome = evaluate_rules(kpi) if evaluate else Outcome()
    return measurement, outcome


def evaluate_rules(kpi: Kpi, *, rules: Iterable[AlertRule] | None = None) -> Outcome:
    """Evaluate the KPI's enabled rules on the latest period (the stored state says if firing)."""
    outcome = Outcome()
    candidates = [r for r in (rules if rules is not None else kpi.rules.all()) if r.enabled]
    if not candidates:
        return outcome
    # A decision looks at the latest periods only: the window, and the one before for a change.
    window = max(max(r.periods, r.recovery_periods) for r in candidates) + 1
    obs = observations(kpi, last=window)
    if not obs:
        return outcome
    for rule in candidates:
        with transaction.atomic():
            rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
            decision = core.evaluate_alert(
                rule.core_rule(), kpi.core_direction, obs, active=rule.firing
            )
            if decision.fire:
                rule.firing = True
                rule.save(update_fields=["firing"])
                if rule.reviews.filter(status=Review.Status.OPEN).exists():
                    outcome.suppressed.append(rule)
                    continue
                outcome.fired.append(_fire(rule, decision, obs[-1]))
            elif decision.recover:
                rule.firing = False
                rule.save(update_fields=["firing"])
                Alert.objects.filter(rule=rule, recovered__isnull=True).update(
                    recovered=clock.now(), recovered_period=obs[-1].period.start
                )
                outcome.recovered.append(rule)
    return outcome


def _owner_user(kpi: Kpi) -> Any:
    if kpi.owner is not None and kpi.owner.user is not None:
        return kpi.owner.user
    head = kpi.department.head
    return head.user if head is not None else None


def _streak_text(periods: Sequence[core.Period]) -> str:
    """The periods of a streak — "2024-W35、2024-W36" — or its first and last when it is long."""
    if len(periods) > 5:
        return f"{periods[0].key} – {periods[-1].key} ({len(periods)})"
    return "、".join(p.key for p in periods)


def _fire(rule: AlertRule, decision: core.AlertDecision, last: core.Observation) -> Alert:
    kpi = rule.kpi
    keys = _streak_text(decision.streak)
    title = rule.action or _("Review %(kpi)s") % {"kpi": kpi.name}
    owner = kpi.owner or kpi.department.head
    review = Review.objects.create(
        kpi=kpi,
        rule=rule,
        title=f"{title}（{keys}）",
        owner=owner,
        due_date=clock.today() + timedelta(days=rule.review_days),
    )
    alert = Alert.objects.create(
        rule=rule,
        period_start=last.period.start,
        streak=keys,
        value=last.value if last.value is not None else Decimal(0),
        review=review,
        fired=clock.now(),
    )
    message = _("Alert on %(kpi)s: %(rule)s (%(periods)s). Review “%(review)s” due %(due)s.") % {
        "kpi": kpi.name,
        "rule": rule.name,
        "periods": keys,
        "review": review.title,
        "due": review.due_date.isoformat(),
    }
    user = _owner_user(kpi)
    if user is not None:
        notify(user, message, review.get_absolute_url(), email=rule.email)

    def deliver() -> None:
        from opslens.web.kpis.tasks import deliver_alert

        deliver_alert.enqueue(alert.pk)

    if rule.webhooks.filter(enabled=True).exists():
        transaction.on_commit(deliver)
    return alert


# --- due and overdue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    kpi: Kpi
    period: core.Period
    due_date: date

    @property
    def days_late(self) -> int:
        return (clock.today() - self.due_date).days


def overdue(kpis: Iterable[Kpi], *, today: date | None = None, limit: int = 12) -> list[Due]:
    """Periods past their due day without a value, newest first per KPI (at most ``limit``)."""
    today = today or clock.today()
    found: list[Due] = []
    for kpi in kpis:
        if not kpi.active or source_of(kpi).computed:
            continue
        have = {m.period_start for m in kpi.measurements.all()}  # prefetched by the pages
        period = kpi.period_of(today)
        first = kpi.period_of(kpi.tracked_from)
        late: list[Due] = []
        while period >= first and len(late) < limit:
            due = period.due_date(kpi.due_day)
            if due < today and period.start not in have:
                late.append(Due(kpi, period, due))
            period = period.previous()
        found.extend(late)
    found.sort(key=lambda d: (d.due_date, d.kpi.name))
    return found


def remind_overdue(*, today: date | None = None) -> int:
    """Notify each owner once per KPI and period that is past due. Returns reminders sent."""
    sent = 0
    kpis = Kpi.objects.filter(active=True).select_related("owner__user", "department")
    for due in overdue(kpis, today=today):
        _reminder, created = OverdueReminder.objects.get_or_create(
            kpi=due.kpi, period_start=due.period.start
        )
        if not created:
            continue
        user = _owner_user(due.kpi)
        if user is not None:
            notify(
                user,
                _("%(kpi)s: the value for %(period)s was due on %(due)s.")
                % {"kpi": due.kpi.name, "period": due.period.key, "due": due.due_date.isoformat()},
                due.kpi.get_absolute_url(),
            )
            sent += 1
    return sent


def remind_overdue_reviews(*, today: date | None = None) -> int:
    """Tell each open review's owner once that it is past its due date. Returns how many."""
    today = today or clock.today()
    sent = 0
    late = Review.objects.filter(status=Review.Status.OPEN, reminded=False, due_date__lt=today)
    for review in late.select_related("owner__user", "kpi"):
        user = review.owner.user if review.owner is not None else None
        if user is not None:
            notify(
                user,
                _("The review “%(title)s” was due on %(due)s and is still open.")
                % {"title": review.title, "due": review.due_date.isoformat()},
                review.get_absolute_url(),
            )
            sent += 1
        Review.objects.filter(pk=review.pk).update(reminded=True)
    return sent


def compute_sources(*, today: date | None = None) -> int:
    """Fill computed KPIs for every finished period: a missing value, or a computed one whose
    source has changed since (figures still coming in). Values entered or imported by people
    stay. Returns values saved."""
    today = today or clock.today()
    saved = 0
    for kpi in Kpi.objects.filter(active=True):
        source = source_of(kpi)
        if not source.computed:
            continue
        stored = {m.period_start: m for m in kpi.measurements.all()}
        period = kpi.period_of(kpi.tracked_from)
        current = kpi.period_of(today)
        while period < current:
            old = stored.get(period.start)
            if old is None or old.source == Measurement.Source.COMPUTED:
                value = compute_value(kpi, period)
                if value is not None and (old is None or value != old.value):
                    record_measurement(
                        kpi, period, value, source=Measurement.Source.COMPUTED, evaluate=False
                    )
                    saved += 1
            period = period.next()
        evaluate_rules(kpi)
    return saved


def run_schedule(*, today: date | None = None) -> dict[str, int]:
    """What the worker does on its schedule: computed sources, every rule, overdue reminders."""
    computed = compute_sources(today=today)
    fired = 0
    for kpi in Kpi.objects.filter(active=True):
        fired += len(evaluate_rules(kpi).fired)
    reminded = remind_overdue(today=today)
    reviews = remind_overdue_reviews(today=today)
    from opslens.web.projects.services import run_schedule as run_projects
    from opslens.web.quality.services import notify_overdue_rectifications

    projects = run_projects(today=today)
    rectifications = notify_overdue_rectifications(today=today)
    return {
        "computed": computed,
        "fired": fired,
        "reminded": reminded,
        "reviews": reviews,
        **projects,
        "rectifications": rectifications,
    }


# --- targets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    parent: core.Period
    parent_target: Decimal | None
    children: tuple[tuple[core.Period, Decimal | None], ...]
    check: core.DecompositionCheck | None


def decomposition(kpi: Kpi, year: int) -> list[Breakdown]:
    """Year → quarters and each quarter → months, each with its consistency check."""
    targets = _targets(kpi)
    aggregation = core.Aggregation(kpi.aggregation)

    def target(period: core.Period) -> Decimal | None:
        t = targets.get((period.frequency.value, period.start))
        return t.target if t is not None else None

    year_period = core.Period(core.Frequency.YEARLY, date(year, 1, 1))
    result = []
    for parent, child_frequency in [(year_period, core.Frequency.QUARTERLY)] + [
        (q, core.Frequency.MONTHLY) for q in year_period.children(core.Frequency.QUARTERLY)
    ]:
        children = tuple((c, target(c)) for c in parent.children(child_frequency))
        parent_target = target(parent)
        check = None
        if parent_target is not None and any(v is not None for _c, v in children):
            check = core.check_decomposition(parent_target, [v for _c, v in children], aggregation)
        result.append(Breakdown(parent, parent_target, children, check))
    return result


def save_targets(kpi: Kpi, rows: Sequence[tuple[core.Period, core.Thresholds | None]]) -> int:
    """Set each period's thresholds; ``None`` removes that period's own target."""
    changed = 0
    with transaction.atomic():
        for period, thresholds in rows:
            key = {"kpi": kpi, "frequency": period.frequency.value, "period_start": period.start}
            if thresholds is None:
                deleted, _d = KpiTarget.objects.filter(**key).delete()
                changed += deleted
                continue
            values = {
                "target": thresholds.target,
                "warning": thresholds.warning,
                "target_high": thresholds.target_high,
                "warning_high": thresholds.warning_high,
            }
            obj, created = KpiTarget.objects.get_or_create(**key, defaults=values)
            if created:
                changed += 1
            elif any(getattr(obj, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(obj, name, value)
                obj.save()
                changed += 1
        recompute_statuses(kpi)
    return changed


# --- dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    kpi: Kpi
    points: list[Point]
    latest: Point | None
    firing: bool
    open_reviews: int

    @property
    def status(self) -> str:
        return self.latest.status if self.latest is not None else ""


def cards(kpis: Iterable[Kpi], *, periods: int = 8) -> list[Card]:
    result = []
    for kpi in kpis:
        points = series(kpi, last=periods)
        latest = next((p for p in reversed(points) if p.value is not None), None)
        result.append(
            Card(
                kpi=kpi,
                points=points,
                latest=latest,
                firing=any(r.firing for r in kpi.rules.all()),
                open_reviews=sum(1 for r in kpi.reviews.all() if r.status == Review.Status.OPEN),
            )
        )
    return result


def chart_data(kpi: Kpi, points: Sequence[Point]) -> dict[str, Any]:
    """What the trend chart needs: values, target and warning lines, statuses."""

    def num(value: Decimal | None) -> float | None:
        return float(value) if value is not None else None

    return {
        "labels": [p.period.key for p in points],
        "values": [num(p.value) for p in points],
        "status": [p.status for p in points],
        "target": [num(p.thresholds.target) if p.thresholds else None for p in points],
        "warning": [num(p.thresholds.warning) if p.thresholds else None for p in points],
        "target_high": [num(p.thresholds.target_high) if p.thresholds else None for p in points],
        "warning_high": [num(p.thresholds.warning_high) if p.thresholds else None for p in points],
        "unit": kpi.unit,
        "names": {
            "value": _("Actual"),
            "target": _("Target"),
            "warning": _("Warning value"),
        },
    }


def project_origin(pk: int, user: Any) -> Any:
    """A KPI review (复盘) as the origin of an improvement project (T2)."""
    from opslens.web.common.templatetags.opslens import number
    from opslens.web.projects.origins import OriginKind, ProjectOrigin

    review = Review.objects.select_related("kpi__department", "kpi__owner", "owner").filter(pk=pk)
    found = review.first()
    if found is None:
        return None
    kpi = found.kpi
    points = series(kpi, last=1)
    latest = points[-1] if points else None
    values = {"kpi": kpi.name, "unit": kpi.unit, "title": found.title}
    summary = found.title
    if latest is not None and latest.value is not None:
        values.update(period=latest.period.key, value=number(latest.value))
        summary += " · " + _("%(kpi)s %(period)s: %(value)s %(unit)s") % values
        if latest.thresholds is not None and latest.thresholds.target is not None:
            values["target"] = number(latest.thresholds.target)
            summary += " " + _("(target %(target)s %(unit)s)") % values
    if found.cause:
        summary += "\n" + found.cause
    owner = found.owner or kpi.owner
    return ProjectOrigin(
        kind=OriginKind.KPI_REVIEW,
        ref=found.pk,
        label=f"{kpi.name} · {found.title}",
        url=found.get_absolute_url(),
        summary=summary.strip(),
        name=_("Bring %(kpi)s back on target") % values,
        department_id=kpi.department_id,
        owner_id=owner.pk if owner is not None else None,
        goal=_("%(kpi)s on target again, and kept there for three periods.") % values,
        deadline=found.due_date + timedelta(days=90),
    )
