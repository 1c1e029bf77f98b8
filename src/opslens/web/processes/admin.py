from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from opslens.web.processes.models import (
    EcrsChange,
    FishboneCause,
    Process,
    ProcessVersion,
    Remedy,
    Step,
    WhyChain,
)


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["position", "stage", "name", "role", "department", "hours", "return_rate"]


@admin.register(Process)
class ProcessAdmin(SimpleHistoryAdmin):
    list_display = ["name", "start_point", "end_point", "record_date"]
    search_fields = ["name"]
    filter_horizontal = ["departments"]


@admin.register(ProcessVersion)
class ProcessVersionAdmin(SimpleHistoryAdmin):
    list_display = ["process", "label", "kind", "status"]
    list_filter = ["kind", "status"]
    inlines = [StepInline]


for model in (EcrsChange, WhyChain, FishboneCause, Remedy):
    admin.site.register(model, SimpleHistoryAdmin)
