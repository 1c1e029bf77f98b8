"""T4 — service quality inspection and improvement (服务质量检查与改进表).

A :class:`ServiceStandard` is a quantified standard of a service stage (电话接听 ≤ 30 秒). A
:class:`Problem` is one finding of an inspection — a row of the seed's table: when, which stage,
how it was inspected, what was wrong, how grave, who is responsible — and carries its
rectification (整改) through the closed loop 发现 → 整改中 → 待复查 → 已关闭 with the recheck
(复查) and, for 严重/重大, the accountability note (问责).

The level is graded by rule (:func:`opslens.core.quality.grade_severity`) when a standard and an
observed value are given; the inspector may record another level with a reason, and both are
kept (``rule_level`` and ``level``). Dates ask the workbench clock.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from opslens.core import quality as core
from opslens.core.errors import ConfigError, InputError
from opslens.web.common import clock
from opslens.web.org.models import Department, Person

VALUE = {"max_digits": 14, "decimal_places": 4}


class ClockedHistory(models.Model):
    """Dates the change history by the workbench clock when it is fixed (the demo replays its
    months that way, and a fixed "today" shows in the header)."""

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if clock.is_fixed():
            self._history_date = clock.now()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Comparison(models.TextChoices):
    AT_MOST = core.Comparison.AT_MOST.value, _("at most (≤)")
    AT_LEAST = core.Comparison.AT_LEAST.value, _("at least (≥)")


class Level(models.TextChoices):
    """问题等级, mildest first."""

    MINOR = core.Severity.MINOR.value, pgettext_lazy("severity", "Minor")
    GENERAL = core.Severity.GENERAL.value, pgettext_lazy("severity", "General")
    SERIOUS = core.Severity.SERIOUS.value, pgettext_lazy("severity", "Serious")
    MAJOR = core.Severity.MAJOR.value, pgettext_lazy("severity", "Major")


class Method(models.TextChoices):
    """检查方式."""

    MYSTERY_SHOPPER = core.InspectionMethod.MYSTERY_SHOPPER.value, _("Mystery shopper")
    SPOT_CHECK = core.InspectionMethod.SPOT_CHECK.value, _("On-site spot check")
    SYSTEM_MONITORING = core.InspectionMethod.SYSTEM_MONITORING.value, _("System data monitoring")
    SATISFACTION_SURVEY = (
        core.InspectionMethod.SATISFACTION_SURVEY.value,
        _("Customer satisfaction survey"),
    )


class Status(models.TextChoices):
    """整改状态: the closed loop."""

    FOUND = core.RectificationStatus.FOUND.value, pgettext_lazy("rectification", "Found")
    IN_PROGRESS = (
        core.RectificationStatus.IN_PROGRESS.value,
        pgettext_lazy("rectification", "In rectification"),
    )
    AWAITING_RECHECK = (
        core.RectificationStatus.AWAITING_RECHECK.value,
        pgettext_lazy("rectification", "Awaiting recheck"),
    )
    CLOSED = core.RectificationStatus.CLOSED.value, pgettext_lazy("rectification", "Closed")


class ServiceStandard(ClockedHistory):
    """A quantified service standard (服务标准): ``metric`` of ``stage`` ≤ or ≥ ``threshold``."""

    stage = models.CharField(_("service stage"), max_length=100)
    metric = models.CharField(_("metric"), max_length=100)
    comparison = models.CharField(
        _("comparison"), max_length=10, choices=Comparison.choices, default=Comparison.AT_MOST
    )
    threshold = models.DecimalField(
        _("threshold"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("In the unit below: 30 for 30 秒, 95 for 95 %."),
        **VALUE,
    )
    unit = models.CharField(_("unit"), max_length=20, help_text=_("秒, 分钟, 小时, 分, %…"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("owner department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_standards",
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive standards are not offered for new findings."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["stage", "id"]
        verbose_name = _("service standard")
        verbose_name_plural = _("service standards")
        constraints = [
            models.UniqueConstraint(fields=["stage", "metric"], name="quality_standard_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stage} · {self.rule}"

    @property
    def sign(self) -> str:
        return "≤" if self.comparison == Comparison.AT_MOST else "≥"

    @property
    def rule(self) -> str:
        """电话接听 ≤ 30 秒."""
        return f"{self.metric} {self.sign} {self.threshold_text}"

    @property
    def threshold_text(self) -> str:
        return format_value(self.threshold, self.unit)

    def get_absolute_url(self) -> str:
        return reverse("quality:standard_edit", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return {self.department_id} if self.department_id else set()

    def as_core(self) -> core.ServiceStandard:
        return core.ServiceStandard(
            stage=self.stage,
            metric=self.metric,
            threshold=Decimal(self.threshold),
            unit=self.unit,
            comparison=core.Comparison(self.comparison),
            department=self.department.name if self.department_id and self.department else "",
        )


def format_value(value: Decimal | None, unit: str = "") -> str:
    """40.0000 秒 → "40 秒", 95 % → "95 %", 4.5000 分 → "4.5 分"."""
    if value is None:
        return "—"
    text = f"{Decimal(value).normalize():f}"
    return f"{text} {unit}".strip()


class Problem(ClockedHistory):
    """One inspection finding (a row of 服务质量检查与改进表) with its rectification."""

    # --- the inspection ------------------------------------------------------------------
    inspected_on = models.DateField(_("inspection date"))
    stage = models.CharField(_("service stage"), max_length=100)
    method = models.CharField(_("inspection method"), max_length=24, choices=Method.choices)
    standard = models.ForeignKey(
        ServiceStandard,
        verbose_name=_("service standard"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problems",
    )
    observed = models.DecimalField(
        _("observed value"),
        null=True,
        blank=True,
        help_text=_("In the standard's unit; required when a standard is chosen."),
        **VALUE,
    )
    description = models.TextField(_("problem description"))
    problem_type = models.CharField(
        _("problem type"),
        max_length=60,
        help_text=_("A short, reused name for the monthly Pareto, e.g. 响应速度慢."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="quality_problems",
    )
    responsible = models.ForeignKey(
        Person,
        verbose_name=_("responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_problems",
    )
    inspector = models.ForeignKey(
        Person,
        verbose_name=_("inspector"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_inspections",
    )
    # --- the level: the rule's and the recorded one ------------------------------------------
    rule_level = models.CharField(
        _("level by rule"), max_length=10, choices=Level.choices, blank=True, editable=False
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    level_reason = models.TextField(
        _("reason for the level"),
        blank=True,
        help_text=_("Required to record a level other than the rule's, and for a major problem."),
    )
    # --- the rectification ---------------------------------------------------------------------
    measure = models.TextField(_("rectification measure"), blank=True)
    measure_owner = models.ForeignKey(
        Person,
        verbose_name=_("rectification: responsible person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_rectifications",
    )
    deadline = models.DateField(
        _("planned completion"),
        help_text=_("Empty: the level's default from the inspection date."),
    )
    status = models.CharField(
        _("rectification status"), max_length=20, choices=Status.choices, default=Status.FOUND
    )
    # --- the recheck and accountability ----------------------------------------------------------
    recheck_result = models.TextField(_("recheck result"), blank=True)
    recheck_on = models.DateField(_("recheck date"), null=True, blank=True)
    rechecker = models.ForeignKey(
        Person,
        verbose_name=_("rechecked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_rechecks",
    )
    recheck_value = models.DecimalField(_("value at recheck"), null=True, blank=True, **VALUE)
    accountability = models.TextField(
        _("accountability (问责)"),
        blank=True,
        help_text=_("Required to close a serious or major problem."),
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    overdue_notified_on = models.DateField(
        _("overdue reminder sent"), null=True, blank=True, editable=False
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-inspected_on", "-id"]
        verbose_name = _("quality problem")
        verbose_name_plural = _("quality problems")
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.inspected_on:%Y-%m-%d} {self.stage} · {self.problem_type}"

    def get_absolute_url(self) -> str:
        return reverse("quality:problem", args=[self.pk])

    def owning_departments(self) -> set[int]:
        owners = {self.department_id}
        if self.inspector_id and self.inspector is not None and self.inspector.department_id:
            owners.add(self.inspector.department_id)
        return owners

    def save(self, *args: object, **kwargs: object) -> None:
        if self.deadline is None and self.inspected_on and self.level:
            self.deadline = core.default_deadline(self.inspected_on, core.Severity(self.level))
        super().save(*args, **kwargs)

    # --- derived -------------------------------------------------------------------------
    @property
    def severity(self) -> core.Severity:
        return core.Severity(self.level)

    @property
    def rule_severity(self) -> core.Severity | None:
        return core.Severity(self.rule_level) if self.rule_level else None

    @property
    def overridden(self) -> bool:
        return bool(self.rule_level) and self.rule_level != self.level

    @property
    def core_status(self) -> core.RectificationStatus:
        return core.RectificationStatus(self.status)

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def is_overdue(self) -> bool:
        return core.is_overdue(self.deadline, self.core_status, clock.today())

    @property
    def days_overdue(self) -> int:
        return (clock.today() - self.deadline).days if self.is_overdue else 0

    @property
    def deviation(self) -> Decimal | None:
        """The relative miss of the observed value (1/3 for 40 s against ≤ 30 s)."""
        if self.standard is None or self.observed is None:
            return None
        try:
            return core.deviation(self.standard.as_core(), Decimal(self.observed))
        except (ConfigError, InputError):
            return None

    @property
    def observed_text(self) -> str:
        return format_value(self.observed, self.standard.unit if self.standard else "")

    @property
    def recheck_value_text(self) -> str:
        return format_value(self.recheck_value, self.standard.unit if self.standard else "")

    @property
    def rectifier(self) -> Person | None:
        """Who carries out the rectification: its own responsible person, else the problem's."""
        return self.measure_owner or self.responsible

    @property
    def handling(self) -> core.Handling:
        return core.handling(self.severity)

    @property
    def default_deadline(self) -> date:
        return core.default_deadline(self.inspected_on, self.severity)

    @property
    def month_key(self) -> str:
        return self.inspected_on.strftime("%Y-%m")

    def next_statuses(self) -> tuple[str, ...]:
        return tuple(s.value for s in core.next_statuses(self.core_status))
