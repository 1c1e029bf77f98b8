"""T5 — KPI monitoring (关键运营指标监控表) with alert rules.

A :class:`Kpi` is measured once per period of its frequency. Each period's target and warning
value come from a :class:`KpiTarget` for that period, or else from the KPI's standing target.
Targets decompose year → quarter → month; the check is :func:`opslens.core.kpi.check_decomposition`.
A :class:`Measurement`'s status (达标/预警/未达标) is computed by
:func:`opslens.core.kpi.classify_value`, never typed in. :class:`AlertRule` rows are evaluated
after every new measurement and by the worker's schedule; a firing opens one :class:`Review`
(复盘) for the KPI's owner and does not fire again while that review is open.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from opslens.core import kpi as core
from opslens.core.errors import ConfigError
from opslens.web.common import clock
from opslens.web.org.models import Department, Person

VALUE = {"max_digits": 20, "decimal_places": 4}


class Level(models.TextChoices):
    COMPANY = "company", _("Company")
    DEPARTMENT = "department", _("Department")
    PROJECT = "project", _("Project")


class Direction(models.TextChoices):
    HIGHER = core.Direction.HIGHER.value, _("Higher is better")
    LOWER = core.Direction.LOWER.value, _("Lower is better")
    BAND = core.Direction.BAND.value, _("Within a band")


class Frequency(models.TextChoices):
    DAILY = core.Frequency.DAILY.value, _("Daily")
    WEEKLY = core.Frequency.WEEKLY.value, _("Weekly")
    MONTHLY = core.Frequency.MONTHLY.value, _("Monthly")
    QUARTERLY = core.Frequency.QUARTERLY.value, _("Quarterly")
    YEARLY = core.Frequency.YEARLY.value, _("Yearly")


class Aggregation(models.TextChoices):
    SUM = core.Aggregation.SUM.value, _("Sum (amounts, counts)")
    AVERAGE = core.Aggregation.AVERAGE.value, _("Average (rates, scores)")
    LAST = core.Aggregation.LAST.value, _("Last value (stocks, levels)")


class Status(models.TextChoices):
    MET = core.Status.MET.value, _("On target")
    WARNING = core.Status.WARNING.value, _("Warning")
    MISSED = core.Status.MISSED.value, _("Off target")


class Kpi(models.Model):
    name = models.CharField(_("KPI name"), max_length=200)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="kpis",
        help_text=_("The department responsible; its people may edit the KPI."),
    )
    project = models.CharField(
        _("project"), max_length=200, blank=True, help_text=_("For project-level KPIs.")
    )
    owner = models.ForeignKey(
        Person,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kpis",
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    aggregation = models.CharField(
        _("aggregation"),
        max_length=8,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
        help_text=_("How shorter periods add up to longer ones (checks the target breakdown)."),
    )
    frequency = models.CharField(
        _("collection frequency"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
    )
    due_day = models.PositiveSmallIntegerField(
        _("due day"),
        default=5,
        validators=[MaxValueValidator(31)],
        help_text=_(
            "Monthly/quarterly/yearly: the day of the following month by which the value is "
            "due (5 = before the 5th). Daily/weekly: days after the period ends."
        ),
    )
    data_source = models.CharField(_("data source"), max_length=200, blank=True)
    source_kind = models.CharField(
        _("source kind"),
        max_length=40,
        default="manual",
        help_text=_("Where values come from: entered/imported, or computed by opslens."),
    )
    source_config = models.JSONField(_("source settings"), default=dict, blank=True)
    calculation = models.TextField(_("calculation method"), blank=True)
    baseline = models.DecimalField(_("baseline"), null=True, blank=True, **VALUE)
    target = models.DecimalField(
        _("standing target"),
        null=True,
        blank=True,
        help_text=_("Used for periods without a target of their own."),
        **VALUE,
    )
    warning = models.DecimalField(_("standing warning value"), null=True, blank=True, **VALUE)
    target_high = models.DecimalField(
        _("standing target (upper end)"), null=True, blank=True, **VALUE
    )
    warning_high = models.DecimalField(
        _("standing warning value (upper end)"), null=True, blank=True, **VALUE
    )
    tracked_from = models.DateField(
        _("measured since"),
        default=clock.today,
        help_text=_("Periods before this date are not expected to have a value."),
    )
    active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["level", "department__id", "name"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="kpi_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kpis:detail", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return {self.department_id}

    @property
    def core_direction(self) -> core.Direction:
        return core.Direction(self.direction)

    @property
    def core_frequency(self) -> core.Frequency:
        return core.Frequency(self.frequency)

    def standing_thresholds(self) -> core.Thresholds | None:
        if self.target is None or self.warning is None:
            return None
        return core.Thresholds(self.target, self.warning, self.target_high, self.warning_high)

    def period_of(self, day: date) -> core.Period:
        return core.Period.of(self.core_frequency, day)

    def clean(self) -> None:
        thresholds = self.standing_thresholds()
        if (self.target is None) != (self.warning is None):
            raise ValidationError(_("Give both the standing target and the warning value."))
        if thresholds is not None:
            try:
                thresholds.validate(self.core_direction)
            except ConfigError as exc:
                raise ValidationError(str(exc)) from exc
        try:
            self.period_of(clock.today()).due_date(self.due_day)
        except ConfigError as exc:
            raise ValidationError({"due_day": str(exc)}) from exc


class KpiTarget(models.Model):
    """The target and warning value of one period (a year, a quarter, a month, …)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets")
    frequency = models.CharField(_("period type"), max_length=10, choices=Frequency.choices)
    period_start = models.DateField(_("period start"))
    target = models.DecimalField(_("target"), **VALUE)
    warning = models.DecimalField(_("warning value"), **VALUE)
    target_high = models.DecimalField(_("target (upper end)"), null=True, blank=True, **VALUE)
    warning_high = models.DecimalField(
        _("warning value (upper end)"), null=True, blank=True, **VALUE
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "period_start", "frequency"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "frequency", "period_start"], name="kpi_target_unique_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period}"

    @property
    def period(self) -> core.Period:
        return core.Period(core.Frequency(self.frequency), self.period_start)

    def thresholds(self) -> core.Thresholds:
        return core.Thresholds(self.target, self.warning, self.target_high, self.warning_high)

    def owning_departments(self) -> set[int]:
        return self.kpi.owning_departments()


class Measurement(models.Model):
    class Source(models.TextChoices):
        FORM = "form", _("Entered")
        IMPORT = "import", _("Imported")
        COMPUTED = "computed", _("Computed")

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField(_("period"))
    value = models.DecimalField(_("value"), **VALUE)
    note = models.TextField(
        _("note"), blank=True, help_text=_("Cause of a deviation, context, data caveats.")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, blank=True, editable=False
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    entered_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "period_start"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(fields=["kpi", "period_start"], name="measurement_unique")
        ]

    def __str__(self) -> str:
        from opslens.web.common.templatetags.opslens import number

        return f"{self.kpi} {self.period}: {number(self.value)}"

    @property
    def period(self) -> core.Period:
        return core.Period(self.kpi.core_frequency, self.period_start)

    def owning_departments(self) -> set[int]:
        return self.kpi.owning_departments()


class Webhook(models.Model):
    """A group-chat robot (DingTalk, Feishu/Lark, WeCom) or a generic JSON endpoint."""

    class Kind(models.TextChoices):
        DINGTALK = "dingtalk", _("DingTalk group robot")
        FEISHU = "feishu", _("Feishu / Lark group robot")
        WECOM = "wecom", _("WeCom group robot")
        GENERIC = "generic", _("Generic JSON")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk 加签 / Feishu 签名校验 secret, if the robot has one."),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="webhooks"
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["department__id", "name"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def owning_departments(self) -> set[int]:
        return {self.department_id}


class AlertRule(models.Model):
    class Condition(models.TextChoices):
        BEYOND_WARNING = core.ConditionKind.BEYOND_WARNING.value, _("Worse than the warning value")
        BEYOND_TARGET = core.ConditionKind.BEYOND_TARGET.value, _("Short of the target")
        CHANGE = core.ConditionKind.CHANGE.value, _("Worsened against the previous period by")

    class Recovery(models.TextChoices):
        CLEAR = core.RecoveryKind.CLEAR.value, _("The condition no longer holds")
        MET = core.RecoveryKind.MET.value, _("Back on target")

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("rule"), max_length=200)
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    change_pct = models.DecimalField(
        _("change (%)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("For the change condition, in percent: 20 means a change of 20 percent."),
    )
    periods = models.PositiveSmallIntegerField(
        _("consecutive periods"), default=1, validators=[MinValueValidator(1)]
    )
    recovery = models.CharField(
        _("recovers when"), max_length=10, choices=Recovery.choices, default=Recovery.CLEAR
    )
    recovery_periods = models.PositiveSmallIntegerField(
        _("for consecutive periods"), default=1, validators=[MinValueValidator(1)]
    )
    action = models.CharField(
        _("review action"),
        max_length=200,
        blank=True,
        help_text=_("What the owner must do, e.g. 启动销售复盘."),
    )
    review_days = models.PositiveSmallIntegerField(
        _("review due in (days)"), default=7, validators=[MinValueValidator(1)]
    )
    email = models.BooleanField(_("e-mail the owner"), default=True)
    webhooks = models.ManyToManyField(
        Webhook, verbose_name=_("webhooks"), blank=True, related_name="rules"
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    firing = models.BooleanField(_("firing"), default=False, editable=False)
    history = HistoricalRecords(m2m_fields=[webhooks])

    class Meta:
        ordering = ["kpi", "id"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name

    def owning_departments(self) -> set[int]:
        return self.kpi.owning_departments()

    def core_rule(self) -> core.AlertRule:
        return core.AlertRule(
            condition=core.ConditionKind(self.condition),
            periods=self.periods,
            change_pct=(self.change_pct / 100) if self.change_pct is not None else None,
            recovery=core.RecoveryKind(self.recovery),
            recovery_periods=self.recovery_periods,
        )

    def clean(self) -> None:
        try:
            self.core_rule().validate()
        except ConfigError as exc:
            raise ValidationError(str(exc)) from exc


class Review(models.Model):
    """A review action (复盘): opened by a firing rule or by hand, closed with its findings."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("review status", "Open")
        DONE = "done", pgettext_lazy("review status", "Done")

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="reviews")
    rule = models.ForeignKey(
        AlertRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    title = models.CharField(_("review item"), max_length=300)
    owner = models.ForeignKey(
        Person, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, blank=True
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.OPEN
    )
    cause = models.TextField(_("cause analysis"), blank=True)
    suggestion = models.TextField(_("improvement suggestions"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    opened = models.DateTimeField(auto_now_add=True)
    closed = models.DateTimeField(null=True, blank=True, editable=False)
    reminded = models.BooleanField(default=False, editable=False)  # told once it is overdue
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "due_date"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(status="open"),
                name="one_open_review_per_rule",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kpis:review", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return self.kpi.owning_departments()

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_date < clock.today()

    def clean(self) -> None:
        if self.status == self.Status.DONE and not self.cause.strip():
            raise ValidationError({"cause": _("State the cause before closing the review.")})
        if (
            self.status == self.Status.OPEN
            and self.rule_id is not None
            and Review.objects.filter(rule_id=self.rule_id, status=self.Status.OPEN)
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError(
                {"status": _("Its rule already has an open review: close that one first.")}
            )


class Alert(models.Model):
    """One firing of a rule: the periods that tripped it, its review and what was sent."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    period_start = models.DateField(_("period"))
    streak = models.CharField(_("periods"), max_length=300)
    value = models.DecimalField(_("value"), **VALUE)
    fired = models.DateTimeField(_("fired"), default=timezone.now)
    recovered = models.DateTimeField(_("recovered"), null=True, blank=True)
    recovered_period = models.DateField(null=True, blank=True)
    review = models.ForeignKey(
        Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )

    class Meta:
        ordering = ["-fired"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.rule} {self.streak}"

    @property
    def period(self) -> core.Period:
        return core.Period(self.rule.kpi.core_frequency, self.period_start)


class Delivery(models.Model):
    """What was sent for an alert, where, and whether it arrived."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=120)
    ok = models.BooleanField(_("delivered"), default=False)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")


class OverdueReminder(models.Model):
    """Sent once per KPI and period when a measurement is past its due day."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="reminders")
    period_start = models.DateField()
    sent = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kpi", "period_start"], name="reminder_unique")
        ]
