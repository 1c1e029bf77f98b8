from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from opslens.web.projects.models import Guide, Project, Subtask, SupportRequest


class SubtaskInline(admin.TabularInline):
    model = Subtask
    extra = 0
    fields = ["position", "name", "lead_department", "responsible", "milestone", "status"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["name", "department", "owner", "start_date", "status"]
    list_filter = ["status", "department"]
    search_fields = ["name", "goal"]
    inlines = [SubtaskInline]


@admin.register(SupportRequest)
class SupportRequestAdmin(SimpleHistoryAdmin):
    list_display = ["subtask", "department", "raised_at", "answered_at"]
    list_filter = ["department"]


@admin.register(Guide)
class GuideAdmin(SimpleHistoryAdmin):
    list_display = ["title", "department", "published"]
