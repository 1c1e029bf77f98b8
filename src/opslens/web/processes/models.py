"""T1 — the process mapping & optimization table (现有流程梳理与优化表).

A :class:`Process` has versions: one as-is (现状) version and any number of to-be (优化后)
versions derived from it by ECRS changes. A version holds ordered :class:`Step` rows; totals,
shares and the bottleneck are computed by :mod:`opslens.core.processmap`, never typed in. Root
causes hang off a step: 5-Why chains, fishbone causes (人/机/料/法/环/测) and remedies stating
改什么/谁负责/何时完成/如何验证.
"""

from __future__ import annotations

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

from opslens.core.processmap import Step as CoreStep
from opslens.web.common import clock
from opslens.web.org.models import Department, Person

HOURS = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class Process(models.Model):
    name = models.CharField(_("process name"), max_length=200)
    departments = models.ManyToManyField(
        Department, verbose_name=_("responsible departments"), related_name="processes"
    )
    start_point = models.CharField(_("start point"), max_length=200, blank=True)
    end_point = models.CharField(_("end point"), max_length=200, blank=True)
    record_date = models.DateField(_("record date"), default=timezone.localdate)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[departments])

    class Meta:
        ordering = ["-record_date", "name"]
        verbose_name = _("process")
        verbose_name_plural = _("processes")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("processes:detail", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return set(self.departments.values_list("id", flat=True))

    @property
    def as_is(self) -> ProcessVersion | None:
        return self.versions.filter(kind=ProcessVersion.Kind.AS_IS).order_by("id").first()


class ProcessVersion(models.Model):
    class Kind(models.TextChoices):
        AS_IS = "as_is", _("As-is")
        TO_BE = "to_be", _("To-be")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PILOT = "pilot", _("In pilot")
        STANDARD = "standard", _("Standard")
        RETIRED = "retired", _("Retired")

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="versions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.AS_IS)
    label = models.CharField(_("label"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("derived from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    notes = models.TextField(_("notes"), blank=True)
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["process", "id"]
        verbose_name = _("process version")
        verbose_name_plural = _("process versions")

    def __str__(self) -> str:
        return f"{self.process.name} · {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("processes:version", args=[self.process_id, self.pk])

    def owning_departments(self) -> set[int]:
        return self.process.owning_departments()

    def core_steps(self) -> list[CoreStep]:
        return [step.to_core() for step in self.steps.all()]


class Step(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("position"), default=0)
    stage = models.PositiveIntegerField(
        _("stage"),
        default=0,
        help_text=_("Steps with the same stage run in parallel."),
    )
    name = models.CharField(_("step"), max_length=200)
    role = models.CharField(pgettext_lazy("process step", "role"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    inputs = models.CharField(_("input"), max_length=300, blank=True)
    outputs = models.CharField(_("output"), max_length=300, blank=True)
    hours = models.DecimalField(_("hours"), **HOURS)  # type: ignore[arg-type]
    hours_min = models.DecimalField(_("min hours"), null=True, blank=True, **HOURS)  # type: ignore[arg-type]
    hours_max = models.DecimalField(_("max hours"), null=True, blank=True, **HOURS)  # type: ignore[arg-type]
    return_rate = models.DecimalField(
        _("return / error rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    system = models.CharField(_("form or system"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    measured_hours = models.DecimalField(
        _("measured hours"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Mean time per instance (waiting and work) in the linked dataset."),
        **HOURS,  # type: ignore[arg-type]
    )
    measured_return_rate = models.DecimalField(
        _("measured return rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    measured_cases = models.PositiveIntegerField(null=True, blank=True, editable=False)
    measured_from = models.ForeignKey(
        "datasets.Dataset",
        verbose_name=_("measured in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="measured_steps",
    )
    measured_on = models.DateTimeField(_("measured on"), null=True, blank=True, editable=False)
    origin = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        editable=False,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "position", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("processes:step", args=[self.version.process_id, self.pk])

    def owning_departments(self) -> set[int]:
        return self.version.owning_departments()

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.hours_min is not None and self.hours is not None and self.hours_min > self.hours:
            errors["hours_min"] = _("The minimum cannot exceed the most likely duration.")
        if self.hours_max is not None and self.hours is not None and self.hours_max < self.hours:
            errors["hours_max"] = _("The maximum cannot be below the most likely duration.")
        if errors:
            raise ValidationError(errors)

    def to_core(self) -> CoreStep:
        return CoreStep(
            key=str(self.pk),
            name=self.name,
            hours=self.hours,
            role=self.role,
            department=self.department,
            inputs=self.inputs,
            outputs=self.outputs,
            hours_min=self.hours_min,
            hours_max=self.hours_max,
            return_rate=None if self.return_rate is None else self.return_rate / 100,
            system=self.system,
            stage=self.stage,
            note=self.note,
        )


class EcrsChange(models.Model):
    """One ECRS decision applied to a to-be version (the version's design log)."""

    class Kind(models.TextChoices):
        ELIMINATE = "eliminate", _("Eliminate (取消)")
        COMBINE = "combine", _("Combine (合并)")
        REARRANGE = "rearrange", _("Rearrange (重排)")
        SIMPLIFY = "simplify", _("Simplify (简化)")

    version = models.ForeignKey(
        ProcessVersion, on_delete=models.CASCADE, related_name="ecrs_changes"
    )
    kind = models.CharField(_("ECRS"), max_length=10, choices=Kind.choices)
    step_name = models.CharField(_("step"), max_length=200)
    other_step_name = models.CharField(_("other step"), max_length=200, blank=True)
    detail = models.CharField(_("change"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    hours_before = models.DecimalField(_("total before (h)"), max_digits=12, decimal_places=2)
    hours_after = models.DecimalField(_("total after (h)"), max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "id"]
        verbose_name = _("ECRS change")
        verbose_name_plural = _("ECRS changes")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.step_name}"

    def owning_departments(self) -> set[int]:
        return self.version.owning_departments()


class WhyChain(models.Model):
    """A 5-Why chain from a visible problem down to its root cause."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="why_chains")
    problem = models.CharField(_("problem"), max_length=300)
    why_1 = models.CharField(_("why 1"), max_length=300)
    why_2 = models.CharField(_("why 2"), max_length=300, blank=True)
    why_3 = models.CharField(_("why 3"), max_length=300, blank=True)
    why_4 = models.CharField(_("why 4"), max_length=300, blank=True)
    why_5 = models.CharField(_("why 5"), max_length=300, blank=True)
    root_cause = models.CharField(_("root cause"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["step", "id"]
        verbose_name = _("5-Why chain")
        verbose_name_plural = _("5-Why chains")

    def __str__(self) -> str:
        return self.problem

    @property
    def whys(self) -> list[str]:
        return [w for w in (self.why_1, self.why_2, self.why_3, self.why_4, self.why_5) if w]

    def owning_departments(self) -> set[int]:
        return self.step.owning_departments()

    def clean(self) -> None:
        whys = [self.why_1, self.why_2, self.why_3, self.why_4, self.why_5]
        seen_gap = False
        for number, why in enumerate(whys, start=1):
            if not why:
                seen_gap = True
            elif seen_gap:
                raise ValidationError({f"why_{number}": _("Fill the whys in order, without gaps.")})


class FishboneCause(models.Model):
    class Category(models.TextChoices):
        MAN = "man", _("Man (人)")
        MACHINE = "machine", _("Machine (机)")
        MATERIAL = "material", _("Material (料)")
        METHOD = "method", _("Method (法)")
        ENVIRONMENT = "environment", _("Environment (环)")
        MEASUREMENT = "measurement", _("Measurement (测)")

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="fishbone")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    cause = models.CharField(_("cause"), max_length=300)
    is_root = models.BooleanField(_("root cause"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["step", "category", "id"]
        verbose_name = _("fishbone cause")
        verbose_name_plural = _("fishbone causes")

    def __str__(self) -> str:
        return self.cause

    def owning_departments(self) -> set[int]:
        return self.step.owning_departments()


class Remedy(models.Model):
    """改什么 / 谁负责 / 何时完成 / 如何验证."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        VERIFIED = "verified", _("Verified")

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="remedies")
    what = models.CharField(_("what changes"), max_length=300)
    owner = models.ForeignKey(
        Person, verbose_name=_("responsible"), on_delete=models.PROTECT, related_name="remedies"
    )
    due_date = models.DateField(_("due date"))
    verification = models.CharField(
        _("how it is verified"),
        max_length=300,
        help_text=_("The metric and the value that proves it, e.g. approval time −50%."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    result = models.CharField(_("verified result"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("remedy")
        verbose_name_plural = _("remedies")

    def __str__(self) -> str:
        return self.what

    def owning_departments(self) -> set[int]:
        return self.step.owning_departments()

    @property
    def is_overdue(self) -> bool:
        open_ = self.status in (self.Status.PLANNED, self.Status.IN_PROGRESS)
        return open_ and self.due_date < clock.today()

    def clean(self) -> None:
        if self.status == self.Status.VERIFIED and not self.result:
            raise ValidationError(
                {"result": _("State the measured result before marking the remedy verified.")}
            )
