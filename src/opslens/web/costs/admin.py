from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from opslens.web.costs.models import CostCategory, CostLine, CostMonth


@admin.register(CostCategory)
class CostCategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "nature", "threshold", "order"]


@admin.register(CostMonth)
class CostMonthAdmin(SimpleHistoryAdmin):
    list_display = ["month", "status", "closed"]


@admin.register(CostLine)
class CostLineAdmin(SimpleHistoryAdmin):
    list_display = ["month", "category", "sub_item", "department", "budget", "actual"]
    list_filter = ["month", "category", "department"]
