from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from opslens.web.org.models import Department, Person


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ["name", "title", "department", "role", "user"]
    list_filter = ["role", "department"]
    search_fields = ["name", "title"]
