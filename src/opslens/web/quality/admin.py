from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from opslens.web.quality.models import Problem, ServiceStandard


@admin.register(ServiceStandard)
class ServiceStandardAdmin(SimpleHistoryAdmin):
    list_display = ["stage", "metric", "comparison", "threshold", "unit", "department", "active"]
    list_filter = ["active", "department"]


@admin.register(Problem)
class ProblemAdmin(SimpleHistoryAdmin):
    list_display = ["inspected_on", "stage", "problem_type", "level", "department", "status"]
    list_filter = ["status", "level", "department", "method"]
    date_hierarchy = "inspected_on"
