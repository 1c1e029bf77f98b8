"""T3 — the monthly cost analysis (月度成本分析表).

A :class:`CostMonth` holds budget lines (:class:`CostLine`): category, sub-item, budget and
actual in 元 (Decimal), the department and person responsible. Variance and variance % are
computed by :mod:`opslens.core.costs`, never typed in. Lines beyond their category's threshold
need a cause — controllable (主观) or uncontrollable (客观) — before the month can be closed.
Corrective measures carry over into the next month, so their effect shows month by month.

Cost lines are confidential by department (分级数据权限): see :mod:`opslens.web.costs.access`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from opslens.core import costs as core
from opslens.web.org.models import Department, Person

MONEY = {"max_digits": 16, "decimal_places": 2}


class CostCategory(models.Model):
    class Nature(models.TextChoices):
        DIRECT = core.CostNature.DIRECT.value, _("Direct")
        INDIRECT = core.CostNature.INDIRECT.value, _("Indirect")

    name = models.CharField(pgettext_lazy("cost", "category"), max_length=100, unique=True)
    nature = models.CharField(_("nature"), max_length=10, choices=Nature.choices)
    threshold = models.DecimalField(
        _("threshold (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(999))],
        help_text=_("Variances beyond ± this percentage need a cause."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("cost category")
        verbose_name_plural = _("cost categories")

    def __str__(self) -> str:
        return self.name

    @property
    def threshold_ratio(self) -> Decimal:
        return self.threshold / 100


class CostMonth(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("month status", "Open")
        CLOSED = "closed", pgettext_lazy("month status", "Closed")

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.OPEN
    )
    closed = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    summary = models.TextField(_("monthly summary"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-month"]
        verbose_name = _("cost month")
        verbose_name_plural = _("cost months")

    def __str__(self) -> str:
        return self.key

    @property
    def key(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def get_absolute_url(self) -> str:
        return reverse("costs:month", args=[self.key])

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            self.month = self.month.replace(day=1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def states_a_measure(text: str) -> bool:
    """Whether ``text`` is a measure: "无", "-", "—" and "无(客观业绩增长)" say there is none."""
    text = text.strip()
    return bool(text) and text not in ("无", "-", "—") and not text.startswith(("无(", "无（"))


class CostLine(models.Model):
    class CauseKind(models.TextChoices):
        CONTROLLABLE = core.CauseKind.CONTROLLABLE.value, _("Controllable (主观)")
        UNCONTROLLABLE = core.CauseKind.UNCONTROLLABLE.value, _("Uncontrollable (客观)")

    class MeasureStatus(models.TextChoices):
        NONE = "", _("No measure")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    month = models.ForeignKey(CostMonth, on_delete=models.CASCADE, related_name="lines")
    category = models.ForeignKey(
        CostCategory,
        verbose_name=pgettext_lazy("cost", "category"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    sub_item = models.CharField(_("sub-item"), max_length=200)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="cost_lines",
    )
    owner = models.ForeignKey(
        Person,
        verbose_name=_("responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cost_lines",
    )
    budget = models.DecimalField(
        _("budget (元)"), validators=[MinValueValidator(Decimal(0))], **MONEY
    )
    actual = models.DecimalField(
        _("actual (元)"),
        null=True,
        blank=True,
        help_text=_("Empty until the month's figures are in."),
        **MONEY,
    )
    cause = models.TextField(_("cause analysis"), blank=True)
    cause_kind = models.CharField(
        _("cause type"), max_length=16, choices=CauseKind.choices, blank=True
    )
    measure = models.TextField(_("corrective measure"), blank=True)
    measure_department = models.ForeignKey(
        Department,
        verbose_name=_("measure: responsible department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cost_measures",
    )
    measure_owner = models.ForeignKey(
        Person,
        verbose_name=_("measure: responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cost_measures",
    )
    planned_date = models.DateField(_("planned completion"), null=True, blank=True)
    measure_status = models.CharField(
        _("measure status"),
        max_length=12,
        choices=MeasureStatus.choices,
        blank=True,
        default="",
    )
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        editable=False,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["month", "category__order", "category__id", "department__id", "id"]
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "category", "sub_item", "department"], name="cost_line_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.category} · {self.sub_item}"

    def get_absolute_url(self) -> str:
        return reverse("costs:line", args=[self.pk])

    def owning_departments(self) -> set[int]:
        from opslens.web.org.models import CostAccess

        finance = set(
            Department.objects.filter(cost_access=CostAccess.FINANCE).values_list("id", flat=True)
        )
        return {self.department_id, *finance}

    @property
    def variance(self) -> core.CostVariance | None:
        if self.actual is None:
            return None
        return core.compute_cost_variance(self.budget, self.actual)

    @property
    def flagged(self) -> bool:
        variance = self.variance
        if variance is None:
            return False
        return core.needs_cause(variance, self.category.threshold_ratio)

    @property
    def missing_cause(self) -> bool:
        return self.flagged and (not self.cause.strip() or not self.cause_kind)

    @property
    def is_overdue(self) -> bool:
        from opslens.web.common import clock

        return (
            self.month.is_open  # a closed month's measures are frozen as they were at closing
            and self.planned_date is not None
            and self.measure_status in (self.MeasureStatus.PLANNED, self.MeasureStatus.IN_PROGRESS)
            and self.planned_date < clock.today()
        )

    def clean(self) -> None:
        if not self.measure_status and states_a_measure(self.measure):
            self.measure_status = self.MeasureStatus.PLANNED
        if self.measure_status and not self.measure.strip():
            raise ValidationError({"measure": _("Describe the measure, or set no measure.")})
        if self.cause_kind and not self.cause.strip():
            raise ValidationError({"cause": _("Describe the cause.")})
