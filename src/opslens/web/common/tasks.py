"""Background tasks (django-tasks, database backend; run by ``opslens worker``)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from opslens.web.common.models import Notification


@task()
def email_notification(notification_id: int) -> bool:
    """E-mail one in-app notification to its user, once. Returns whether a mail went out."""
    note = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if note is None or note.emailed or not note.user.email:
        return False
    body = note.message
    if note.url:
        body += "\n\n" + note.url
    send_mail(
        subject=f"[opslens] {note.message[:80]}",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[note.user.email],
    )
    Notification.objects.filter(pk=note.pk).update(emailed=True)
    return True
