"""What every page needs: the lifecycle navigation, the user's person and notifications."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from opslens.web.common import clock
from opslens.web.common.permissions import can_create, is_ops_admin, person_of

LIFECYCLE = [
    ("diagnose", _("Diagnose"), "诊断"),
    ("design", _("Design"), "设计"),
    ("pilot", _("Pilot"), "试点"),
    ("standardize", _("Standardize"), "推广"),
    ("monitor", _("Monitor"), "监控"),
]


def workbench(request: HttpRequest) -> dict[str, Any]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match and match.namespace == "" else ""
    section = match.namespace if match else ""
    nav = [
        {"key": key, "label": label, "url": reverse(key), "active": current == key}
        for key, label, _zh in LIFECYCLE
    ]
    unread = request.user.notifications.filter(read=False).count()  # type: ignore[attr-defined]
    return {
        "nav_lifecycle": nav,
        "nav_section": section,
        "me": person_of(request.user),
        "me_is_admin": is_ops_admin(request.user),
        "can_create_records": can_create(request.user),
        "unread_notifications": unread,
        "clock_fixed": clock.is_fixed(),
        "clock_today": clock.today(),
    }
