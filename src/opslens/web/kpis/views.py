"""T5 views: thin — forms and services only."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opslens.core import kpi as core
from opslens.core.errors import InputError
from opslens.core.webhooks import WebhookKind, WebhookMessage, build_webhook_request, send_webhook
from opslens.web.common import clock
from opslens.web.common.permissions import (
    can_create,
    can_edit,
    editable_department_ids,
    person_of,
    require_edit,
)
from opslens.web.common.services import history_of
from opslens.web.kpis import imports, report, services
from opslens.web.kpis.forms import (
    ImportForm,
    KpiForm,
    MappingForm,
    MeasurementForm,
    ReviewForm,
    RuleForm,
    TargetsForm,
    WebhookForm,
)
from opslens.web.kpis.models import (
    Alert,
    AlertRule,
    Kpi,
    KpiTarget,
    Level,
    Measurement,
    Review,
    Webhook,
)
from opslens.web.org.models import Department

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kpi(pk: int) -> Kpi:
    return get_object_or_404(Kpi.objects.select_related("department", "owner"), pk=pk)


def _kpis() -> Any:
    return (
        Kpi.objects.filter(active=True)
        .select_related("department", "owner")
        .prefetch_related("measurements", "targets", "rules", "reviews")
    )


def dashboard(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    dept = request.GET.get("department", "")
    every = list(_kpis())  # one set of queries for the cards and the overdue values
    kpis = [
        k
        for k in every
        if (level not in Level.values or k.level == level)
        and (not dept or k.department.code == dept)
    ]
    cards = services.cards(kpis)
    groups = []
    for value, label in Level.choices:
        members = [c for c in cards if c.kpi.level == value]
        if members:
            groups.append((label, members))
    me = person_of(request.user)
    mine = services.overdue([k for k in every if me is not None and k.owner_id == me.pk])
    counts = {
        status: sum(1 for c in cards if c.status == status)
        for status in ("met", "warning", "missed")
    }
    return render(
        request,
        "kpis/dashboard.html",
        {
            "groups": groups,
            "counts": counts,
            "level": level,
            "levels": Level.choices,
            "department": dept,
            "departments": Department.objects.filter(kpis__isnull=False).distinct(),
            "my_overdue": mine,
            "open_reviews": Review.objects.filter(status=Review.Status.OPEN).select_related(
                "kpi", "owner"
            ),
            "firing": AlertRule.objects.filter(firing=True, enabled=True).select_related("kpi"),
            "can_create": can_create(request.user),
            "charts": {
                f"kpi-chart-{c.kpi.pk}": services.chart_data(c.kpi, c.points) for c in cards
            },
        },
    )


def kpi_create(request: HttpRequest) -> HttpResponse:
    if not can_create(request.user):
        raise PermissionDenied
    form = KpiForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        kpi = form.save()
        messages.success(request, _("KPI created. Set its targets and alert rules below."))
        return redirect(kpi)
    return render(request, "kpis/kpi_form.html", {"form": form})


def kpi_detail(request: HttpRequest, pk: int, form: MeasurementForm | None = None) -> HttpResponse:
    kpi = _kpi(pk)
    points = services.series(kpi, last=24)
    editable = can_edit(request.user, kpi)
    year = _year(request)
    rules = list(kpi.rules.prefetch_related("webhooks"))
    alerts = Alert.objects.filter(rule__kpi=kpi).select_related("rule", "review")[:20]
    history = history_of(
        [
            Kpi.history.filter(id=kpi.pk),
            KpiTarget.history.filter(kpi_id=kpi.pk),
            Measurement.history.filter(kpi_id=kpi.pk),
            AlertRule.history.filter(kpi_id=kpi.pk),
            Review.history.filter(kpi_id=kpi.pk),
        ]
    )
    if form is None and editable:
        form = MeasurementForm(kpi=kpi, initial={"period": _suggest_period(kpi)})
    return render(
        request,
        "kpis/detail.html",
        {
            "kpi": kpi,
            "points": list(reversed(points)),
            "chart": services.chart_data(kpi, points),
            "breakdown": services.decomposition(kpi, year),
            "year": year,
            "rules": rules,
            "alerts": alerts,
            "reviews": kpi.reviews.select_related("owner"),
            "overdue": services.overdue([kpi]),
            "history": history,
            "can_edit": editable,
            "form": form,
        },
        status=422 if form is not None and form.errors else 200,
    )


def _year(request: HttpRequest) -> int:
    """The ``?year=`` asked for, or this year when there is none or it is not a year."""
    text = request.GET.get("year", "")
    if text.isdigit() and 1 <= int(text) <= 9999:
        return int(text)
    return clock.today().year


def _suggest_period(kpi: Kpi) -> str:
    """The earliest period that is due and missing; else the first finished period without a
    value after the latest one measured; else the current period — never one already measured."""
    late = services.overdue([kpi])
    if late:
        return late[0].period.key
    have = set(kpi.measurements.values_list("period_start", flat=True))
    period = kpi.period_of(clock.today()).previous()
    if period.start in have:
        period = period.next()
    while period.start in have:
        period = period.next()
    return period.key


def kpi_edit(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _kpi(pk)
    require_edit(request.user, kpi)
    form = KpiForm(request.POST or None, instance=kpi, user=request.user)
    if request.method == "POST" and form.is_valid():
        kpi = form.save()
        services.recompute_statuses(kpi)
        messages.success(request, _("Saved."))
        return redirect(kpi)
    return render(request, "kpis/kpi_form.html", {"form": form, "kpi": kpi})


def kpi_delete(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _kpi(pk)
    require_edit(request.user, kpi)
    if request.method == "POST":
        name = kpi.name
        kpi.delete()
        messages.success(request, _("KPI “%(name)s” deleted.") % {"name": name})
        return redirect("kpis:dashboard")
    return render(request, "kpis/confirm_delete.html", {"object": kpi, "kpi": kpi})


@require_POST
def measurement_add(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _kpi(pk)
    require_edit(request.user, kpi)
    form = MeasurementForm(request.POST, kpi=kpi)
    if not form.is_valid():
        return kpi_detail(request, pk, form=form)
    period = form.cleaned_data["period"]
    measurement, outcome = services.record_measurement(
        kpi,
        period,
        form.cleaned_data["value"],
        note=form.cleaned_data["note"],
        user=request.user,
    )
    status = measurement.get_status_display() or _("no target")
    messages.success(
        request,
        _("%(period)s saved: %(status)s.") % {"period": period.key, "status": status},
    )
    _report_outcome(request, outcome)
    return redirect(kpi)


def _report_outcome(request: HttpRequest, outcome: services.Outcome) -> None:
    for alert in outcome.fired:
        messages.warning(
            request,
            _("Alert “%(rule)s” fired; review “%(review)s” opened for %(owner)s.")
            % {
                "rule": alert.rule.name,
                "review": alert.review.title if alert.review else "",
                "owner": alert.review.owner.name if alert.review and alert.review.owner else "—",
            },
        )
    for rule in outcome.suppressed:
        messages.info(
            request,
            _("“%(rule)s” holds again; its review is still open, so no new alert.")
            % {"rule": rule.name},
        )
    for rule in outcome.recovered:
        messages.success(request, _("“%(rule)s” has recovered.") % {"rule": rule.name})


@require_POST
def measurement_delete(request: HttpRequest, pk: int, mid: int) -> HttpResponse:
    kpi = _kpi(pk)
    require_edit(request.user, kpi)
    measurement = get_object_or_404(Measurement, pk=mid, kpi=kpi)
    key = measurement.period.key
    measurement.delete()
    messages.success(request, _("Value for %(period)s deleted.") % {"period": key})
    return redirect(kpi)


def targets(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _kpi(pk)
    editable = can_edit(request.user, kpi)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    year = _year(request)
    form = TargetsForm(request.POST or None, kpi=kpi, year=year)
    if request.method == "POST" and form.is_valid():
        changed = services.save_targets(kpi, form.rows())
        messages.success(request, _("%(count)d targets saved.") % {"count": changed})
        return redirect(f"{request.path}?year={year}")
    return render(
        request,
        "kpis/targets.html",
        {
            "kpi": kpi,
            "form": form,
            "year": year,
            "breakdown": services.decomposition(kpi, year),
            "can_edit": editable,
        },
        status=422 if form.errors else 200,
    )


def rule_form(request: HttpRequest, pk: int, rid: int | None = None) -> HttpResponse:
    kpi = _kpi(pk)
    require_edit(request.user, kpi)
    rule = get_object_or_404(AlertRule, pk=rid, kpi=kpi) if rid else None
    form = RuleForm(request.POST or None, instance=rule, kpi=kpi)
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        outcome = services.evaluate_rules(kpi, rules=[rule])
        _report_outcome(request, outcome)
        messages.success(request, _("Rule saved and evaluated."))
        return redirect(kpi)
    return render(request, "kpis/rule_form.html", {"form": form, "kpi": kpi, "rule": rule})


@require_POST
def rule_delete(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    kpi = _kpi(pk)
    require_edit(request.user, kpi)
    get_object_or_404(AlertRule, pk=rid, kpi=kpi).delete()
    messages.success(request, _("Rule deleted."))
    return redirect(kpi)


def review_detail(request: HttpRequest, rid: int) -> HttpResponse:
    review = get_object_or_404(Review.objects.select_related("kpi", "owner", "rule"), pk=rid)
    editable = can_edit(request.user, review)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    form = ReviewForm(request.POST or None, instance=review) if editable else None
    if request.method == "POST" and form is not None and form.is_valid():
        review = form.save(commit=False)
        from django.utils import timezone

        if review.status == Review.Status.DONE and review.closed is None:
            review.closed = timezone.now()
        elif review.status == Review.Status.OPEN:
            review.closed = None
        review.save()
        messages.success(request, _("Saved."))
        return redirect(review)
    return render(
        request,
        "kpis/review.html",
        {
            "review": review,
            "kpi": review.kpi,
            "form": form,
            "alerts": review.alerts.prefetch_related("deliveries"),
            "history": history_of([Review.history.filter(id=review.pk)]),
            "can_edit": editable,
        },
        status=422 if form is not None and form.errors else 200,
    )


def review_new(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = _kpi(pk)
    require_edit(request.user, kpi)
    from datetime import timedelta

    initial = {"owner": kpi.owner, "due_date": clock.today() + timedelta(days=7)}
    form = ReviewForm(request.POST or None, initial=initial, instance=Review(kpi=kpi))
    if request.method == "POST" and form.is_valid():
        review = form.save()
        messages.success(request, _("Review opened."))
        return redirect(review)
    return render(request, "kpis/review_form.html", {"form": form, "kpi": kpi})


def overdue_list(request: HttpRequest) -> HttpResponse:
    me = person_of(request.user)
    items = services.overdue(_kpis())
    mine_only = request.GET.get("mine") == "1"
    if mine_only:
        items = [d for d in items if me is not None and d.kpi.owner_id == me.pk]
    return render(
        request,
        "kpis/overdue.html",
        {"items": items, "mine_only": mine_only, "today": clock.today()},
    )


# --- import ---------------------------------------------------------------------------------


def import_view(request: HttpRequest) -> HttpResponse:
    if not can_create(request.user):
        raise PermissionDenied
    allowed = editable_department_ids(request.user)
    kpis = Kpi.objects.all() if allowed is None else Kpi.objects.filter(department__in=allowed)
    if request.method == "POST" and "token" in request.POST:
        return _import_mapping(request, kpis)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload: UploadedFile = form.cleaned_data["file"]
        try:
            table, token = imports.stash(upload)
        except InputError as exc:
            form.add_error("file", str(exc))
        else:
            mapping = MappingForm(
                initial={"token": token, **imports.suggest(table.columns)},
                columns=list(table.columns),
                kpis=kpis,
            )
            return render(
                request,
                "kpis/import_mapping.html",
                {"mapping": mapping, "table": table, "preview": table.rows[:8]},
            )
    return render(request, "kpis/import.html", {"form": form}, status=422 if form.errors else 200)


def _import_mapping(request: HttpRequest, kpis: Any) -> HttpResponse:
    token = request.POST.get("token", "")
    try:
        table = imports.load(token)
    except InputError as exc:
        messages.error(request, str(exc))
        return redirect("kpis:import")
    mapping = MappingForm(request.POST, columns=list(table.columns), kpis=kpis)
    result = None
    if mapping.is_valid():
        result = imports.apply(table, mapping.cleaned_data, kpis=kpis, user=request.user)
        if not result.errors:
            imports.discard(token)
            messages.success(
                request,
                _("%(count)d values imported for %(kpis)d KPIs.")
                % {"count": result.saved, "kpis": len(result.kpis)},
            )
            for outcome in result.outcomes:
                _report_outcome(request, outcome)
            return redirect("kpis:dashboard")
    return render(
        request,
        "kpis/import_mapping.html",
        {"mapping": mapping, "table": table, "preview": table.rows[:8], "result": result},
        status=422,
    )


# --- report ---------------------------------------------------------------------------------


def _month(text: str | None) -> core.Period:
    if text:
        try:
            return core.Period.parse(core.Frequency.MONTHLY, text)
        except InputError:
            pass
    return core.Period.of(core.Frequency.MONTHLY, clock.today()).previous()


def report_view(request: HttpRequest, month: str | None = None) -> HttpResponse:
    period = _month(month or request.GET.get("month"))
    data = report.build(period, _kpis())
    charts = {f"trend-{row.kpi.pk}": report.trend_chart(row) for row in data.rows}
    return render(request, "kpis/report.html", {"report": data, "month": period, "charts": charts})


def report_xlsx(request: HttpRequest, month: str) -> HttpResponse:
    period = _month(month)
    data = report.build(period, _kpis())
    response = HttpResponse(report.to_xlsx(data), content_type=XLSX_TYPE)
    from urllib.parse import quote

    name = f"KPI监控报告-{period.key}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


# --- webhooks -------------------------------------------------------------------------------


def webhook_list(request: HttpRequest) -> HttpResponse:
    hooks = Webhook.objects.select_related("department").prefetch_related(
        Prefetch("rules", queryset=AlertRule.objects.select_related("kpi"))
    )
    return render(
        request,
        "kpis/webhooks.html",
        {"hooks": hooks, "can_create": can_create(request.user)},
    )


def webhook_form(request: HttpRequest, hid: int | None = None) -> HttpResponse:
    hook = get_object_or_404(Webhook, pk=hid) if hid else None
    if hook is not None:
        require_edit(request.user, hook)
    elif not can_create(request.user):
        raise PermissionDenied
    form = WebhookForm(request.POST or None, instance=hook, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("kpis:webhooks")
    return render(request, "kpis/webhook_form.html", {"form": form, "hook": hook})


@require_POST
def webhook_test(request: HttpRequest, hid: int) -> HttpResponse:
    hook = get_object_or_404(Webhook, pk=hid)
    require_edit(request.user, hook)
    message = WebhookMessage(
        title=_("opslens test message"),
        lines=(_("This robot will receive KPI alerts from opslens."),),
        event="opslens.test",
    )
    try:
        result = send_webhook(
            build_webhook_request(WebhookKind(hook.kind), hook.url, message, secret=hook.secret)
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("kpis:webhooks")
    if result.ok:
        messages.success(request, _("Test message delivered to %(name)s.") % {"name": hook.name})
    else:
        messages.error(
            request,
            _("Test message to %(name)s failed: %(error)s")
            % {"name": hook.name, "error": result.error},
        )
    return redirect("kpis:webhooks")


@require_POST
def webhook_delete(request: HttpRequest, hid: int) -> HttpResponse:
    hook = get_object_or_404(Webhook, pk=hid)
    require_edit(request.user, hook)
    hook.delete()
    messages.success(request, _("Webhook deleted."))
    return redirect("kpis:webhooks")


def _today() -> date:
    return clock.today()
