from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from opslens.web.kpis.models import AlertRule, Kpi, KpiTarget, Measurement, Review, Webhook


class TargetInline(admin.TabularInline):
    model = KpiTarget
    extra = 0


@admin.register(Kpi)
class KpiAdmin(SimpleHistoryAdmin):
    list_display = ["name", "level", "department", "owner", "frequency", "direction", "active"]
    list_filter = ["level", "department", "frequency", "active"]
    search_fields = ["name"]
    inlines = [TargetInline]


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    list_display = ["kpi", "period_start", "value", "status", "source"]
    list_filter = ["status", "source", "kpi"]


@admin.register(AlertRule)
class AlertRuleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kpi", "condition", "periods", "enabled", "firing"]


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kpi", "owner", "due_date", "status"]
    list_filter = ["status"]


@admin.register(Webhook)
class WebhookAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "department", "enabled"]
    exclude = ["secret"]
