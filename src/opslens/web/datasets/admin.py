from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from opslens.web.datasets.models import Analysis, Dataset


@admin.register(Dataset)
class DatasetAdmin(SimpleHistoryAdmin):
    list_display = ["name", "department", "status", "events", "cases", "created"]
    list_filter = ["status", "department"]


@admin.register(Analysis)
class AnalysisAdmin(admin.ModelAdmin):
    list_display = ["dataset", "key", "status", "seconds", "created"]
    list_filter = ["status"]
