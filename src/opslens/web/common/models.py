"""Shared models: in-app notifications (e-mail goes out from the worker)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(_("message"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    read = models.BooleanField(_("read"), default=False)
    emailed = models.BooleanField(_("e-mailed"), default=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.message
