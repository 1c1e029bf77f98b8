from django.contrib import admin

from opslens.web.common.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "message", "created", "read", "emailed"]
    list_filter = ["read", "emailed"]
