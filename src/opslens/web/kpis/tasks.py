"""KPI background tasks: webhook deliveries and the schedule (run by ``opslens worker``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from opslens.core.kpi import Period
from opslens.core.webhooks import WebhookKind, WebhookMessage, build_webhook_request, send_webhook
from opslens.web.common.templatetags.opslens import number
from opslens.web.kpis.models import Alert, Delivery


def alert_message(alert: Alert, base_url: str = "") -> WebhookMessage:
    rule = alert.rule
    kpi = rule.kpi
    period = Period(kpi.core_frequency, alert.period_start)
    lines = [
        _("KPI: %(kpi)s (%(dept)s)") % {"kpi": kpi.name, "dept": kpi.department.name},
        _("Rule: %(rule)s") % {"rule": rule.name},
        _("Periods: %(periods)s") % {"periods": alert.streak},
        _("Latest value (%(period)s): %(value)s %(unit)s")
        % {"period": period.key, "value": number(alert.value), "unit": kpi.unit},
    ]
    if alert.review is not None:
        owner = alert.review.owner.name if alert.review.owner else "—"
        lines.append(
            _("Review: %(title)s, owner %(owner)s, due %(due)s")
            % {"title": alert.review.title, "owner": owner, "due": alert.review.due_date}
        )
    url = ""
    if alert.review is not None and base_url:
        url = base_url.rstrip("/") + alert.review.get_absolute_url()
    return WebhookMessage(
        title=_("KPI alert: %(kpi)s") % {"kpi": kpi.name},
        lines=tuple(lines),
        url=url,
        event="kpi.alert.fired",
        data={
            "kpi": kpi.name,
            "rule": rule.name,
            "period": period.key,
            "value": format(alert.value.normalize(), "f"),
            "department": kpi.department.name,
        },
        link_text=_("Open in opslens"),
    )


@task()
def deliver_alert(alert_id: int) -> int:
    """Post an alert to its rule's webhooks. Returns how many arrived; each try is recorded."""
    alert = (
        Alert.objects.select_related("rule__kpi__department", "review__owner")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None:
        return 0
    delivered = 0
    with translation.override(settings.LANGUAGE_CODE):
        message = alert_message(alert, getattr(settings, "OPSLENS_BASE_URL", ""))
        for hook in alert.rule.webhooks.filter(enabled=True):
            channel = f"{hook.get_kind_display()}: {hook.name}"[:120]
            try:
                request = build_webhook_request(
                    WebhookKind(hook.kind), hook.url, message, secret=hook.secret
                )
            except ValueError as exc:
                Delivery.objects.create(
                    alert=alert, channel=channel, ok=False, detail=str(exc)[:500]
                )
                continue
            result = send_webhook(request)
            detail = result.error or f"HTTP {result.status}"
            Delivery.objects.create(alert=alert, channel=channel, ok=result.ok, detail=detail[:500])
            delivered += int(result.ok)
    return delivered


@task()
def run_schedule() -> dict[str, Any]:
    """The periodic job: computed KPIs, every rule, overdue reminders; escalations of
    unanswered support requests and weekly project digests; overdue rectifications."""
    from opslens.web.kpis.services import run_schedule as run

    return run()
