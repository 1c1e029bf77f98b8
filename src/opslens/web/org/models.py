"""The organisation: departments, people (not everyone has a login) and their roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    OPS_ADMIN = "ops_admin", _("Operations admin")
    ANALYST = "analyst", _("Analyst")
    HEAD = "head", _("Department head")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class CostAccess(models.TextChoices):
    """How far a department sees cost data (分级数据权限)."""

    OWN = "own", _("Own department's cost lines")
    FINANCE = "finance", _("Finance: reads and edits every cost line, closes months")
    MANAGEMENT = "management", _("Management: reads every cost line")


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    description = models.TextField(_("description"), blank=True)
    cost_access = models.CharField(
        _("cost data access"), max_length=12, choices=CostAccess.choices, default=CostAccess.OWN
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:department", args=[self.code])

    @property
    def head(self) -> Person | None:
        return self.people.filter(role=Role.HEAD).order_by("id").first()

    def owning_departments(self) -> set[int]:
        return {self.pk}


class Person(models.Model):
    """Someone in the company. ``user`` is set only for people who log in."""

    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="people",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["department__id", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.name}（{self.department}）" if self.department else self.name

    def get_absolute_url(self) -> str:
        return reverse("org:person", args=[self.pk])
