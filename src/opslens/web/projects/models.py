"""T2 — the cross-department task tracker (跨部门协作任务追踪表).

A :class:`Project` (owner, start date, SMART goal, origin) holds :class:`Subtask` rows: a
deliverable, exactly one lead department and one first responsible person (责任到人), any
number of :class:`Support` departments each stating what they give and by when, a milestone
(关键节点) with a buffer, finish-to-start :class:`Dependency` links with a lag, a status set by
people (未开始 / 进行中 / 已完成 / 受阻) and :class:`Risk` rows. 滞后 is computed by
:mod:`opslens.core.planning`, never set. A blocked subtask raises a :class:`SupportRequest` to a
department; unanswered within the project's response time it escalates (:class:`Escalation`)
to the project owner, the coordination group, then management. A :class:`Retrospective` (复盘)
closes the project, and its lessons can be published as a :class:`Guide`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from opslens.core import planning as core
from opslens.web.common import clock
from opslens.web.org.models import Department, Person
from opslens.web.projects.origins import OriginKind


class Project(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("project status", "Active")
        CLOSED = "closed", pgettext_lazy("project status", "Closed")

    name = models.CharField(_("project name"), max_length=200)
    department = models.ForeignKey(
        Department,
        verbose_name=_("owning department"),
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("Its people may change the project and every subtask."),
    )
    owner = models.ForeignKey(
        Person,
        verbose_name=_("project owner"),
        on_delete=models.PROTECT,
        related_name="owned_projects",
        help_text=_("First level of escalation for unanswered requests."),
    )
    start_date = models.DateField(_("start date"))
    goal = models.TextField(
        _("goal"), help_text=_("Specific, measurable, achievable, relevant, time-bound.")
    )
    deliverable = models.CharField(_("deliverable"), max_length=300, blank=True)
    measure = models.CharField(
        _("measure of success"),
        max_length=300,
        blank=True,
        help_text=_("The metric and the value that proves the goal is met."),
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    response_hours = models.PositiveIntegerField(
        _("response time for requests (hours)"),
        default=int(core.DEFAULT_RESPONSE_HOURS),
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_(
            "A department asked for support must answer within this time; unanswered, the "
            "request escalates to the project owner, then the coordination group, then "
            "management."
        ),
    )
    workdays = models.BooleanField(
        _("count working days"),
        default=False,
        help_text=_("Durations, lags and buffers in working days (Monday to Friday)."),
    )
    coordinators = models.ManyToManyField(
        Person,
        verbose_name=_("coordination group"),
        related_name="coordinated_projects",
        blank=True,
        help_text=_("Second level of escalation (跨部门协调小组)."),
    )
    management = models.ManyToManyField(
        Person,
        verbose_name=_("management"),
        related_name="sponsored_projects",
        blank=True,
        help_text=_("Third level of escalation. Empty: the management department's people."),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    origin_kind = models.CharField(
        _("origin"), max_length=16, choices=OriginKind.choices, blank=True, default=""
    )
    origin_ref = models.PositiveIntegerField(null=True, blank=True, editable=False)
    origin_label = models.CharField(_("origin"), max_length=300, blank=True, editable=False)
    origin_url = models.CharField(max_length=300, blank=True, editable=False)
    origin_summary = models.TextField(_("finding"), blank=True)
    last_digest_week = models.CharField(max_length=10, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[coordinators, management])

    class Meta:
        ordering = ["-start_date", "name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return {self.department_id}

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Subtask(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = core.TaskStatus.NOT_STARTED.value, _("Not started")
        IN_PROGRESS = core.TaskStatus.IN_PROGRESS.value, pgettext_lazy("task", "In progress")
        DONE = core.TaskStatus.DONE.value, pgettext_lazy("task", "Done")
        BLOCKED = core.TaskStatus.BLOCKED.value, _("Blocked")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="subtasks")
    position = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("subtask"), max_length=200)
    deliverable = models.CharField(_("deliverable"), max_length=300)
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        related_name="led_subtasks",
        help_text=_("Exactly one department leads."),
    )
    responsible = models.ForeignKey(
        Person,
        verbose_name=_("first responsible person"),
        on_delete=models.PROTECT,
        related_name="subtasks",
        help_text=_("A person of the lead department (责任到人)."),
    )
    duration_days = models.PositiveIntegerField(
        _("planned duration (days)"),
        default=1,
        validators=[MaxValueValidator(3650)],
    )
    planned_start = models.DateField(
        _("planned start"),
        null=True,
        blank=True,
        help_text=_("Not before this day; empty: as soon as its predecessors finish."),
    )
    milestone = models.DateField(_("milestone"), null=True, blank=True)
    buffer_days = models.PositiveSmallIntegerField(
        _("buffer (days)"),
        default=1,
        validators=[MaxValueValidator(365)],
        help_text=_("Margin to keep before the milestone."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED
    )
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_finish = models.DateField(_("actual finish"), null=True, blank=True)
    blocked_reason = models.TextField(_("what blocks it"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "position", "id"]
        verbose_name = _("subtask")
        verbose_name_plural = _("subtasks")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:subtask", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return {self.project.department_id, self.lead_department_id}

    @property
    def key(self) -> str:
        return str(self.pk)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.responsible_id
            and self.lead_department_id
            and self.responsible.department_id != self.lead_department_id
        ):
            errors["responsible"] = _(
                "%(person)s is not in %(department)s: the first responsible person belongs to "
                "the lead department."
            ) % {"person": self.responsible.name, "department": self.lead_department.name}
        if self.actual_finish and self.status != self.Status.DONE:
            errors["actual_finish"] = _("Only a done subtask has an actual finish.")
        if self.actual_finish and self.actual_start and self.actual_finish < self.actual_start:
            errors["actual_finish"] = _("The actual finish is before the actual start.")
        if self.status == self.Status.BLOCKED and not self.blocked_reason.strip():
            errors["blocked_reason"] = _("Say what blocks it.")
        if errors:
            raise ValidationError(errors)

    def state(self) -> core.DisplayState:
        """Status and the computed flags (滞后, finished late) on the workbench's today."""
        return core.task_state(self.as_task(()), clock.today())

    def as_task(self, dependencies: tuple[core.Dependency, ...]) -> core.Task:
        status = core.TaskStatus(self.status)
        start = self.actual_start or self.planned_start
        finish = self.actual_finish if status is core.TaskStatus.DONE else None
        if finish is not None and start is not None and finish < start:
            start = None
        return core.Task(
            key=self.key,
            name=self.name,
            duration_days=self.duration_days,
            dependencies=dependencies,
            milestone=self.milestone,
            buffer_days=self.buffer_days,
            status=status,
            start=start,
            finish=finish,
        )


class Support(models.Model):
    """A supporting department (配合部门): what it gives and by when."""

    subtask = models.ForeignKey(Subtask, on_delete=models.CASCADE, related_name="supports")
    department = models.ForeignKey(
        Department,
        verbose_name=_("supporting department"),
        on_delete=models.PROTECT,
        related_name="supported_subtasks",
    )
    contribution = models.CharField(
        _("what it gives"),
        max_length=300,
        help_text=_("e.g. user requirements within 3 working days"),
    )
    due_date = models.DateField(_("by when"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["subtask", "id"]
        verbose_name = _("supporting department")
        verbose_name_plural = _("supporting departments")
        constraints = [
            models.UniqueConstraint(fields=["subtask", "department"], name="support_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.contribution}"

    def owning_departments(self) -> set[int]:
        return self.subtask.owning_departments()


class Dependency(models.Model):
    """Finish-to-start: the subtask starts ``lag_days`` after the predecessor finishes."""

    subtask = models.ForeignKey(Subtask, on_delete=models.CASCADE, related_name="dependencies")
    predecessor = models.ForeignKey(
        Subtask,
        verbose_name=_("after"),
        on_delete=models.CASCADE,
        related_name="successor_links",
    )
    lag_days = models.IntegerField(
        _("lag (days)"),
        default=0,
        validators=[MinValueValidator(-365), MaxValueValidator(365)],
        help_text=_("Days to wait after the predecessor's finish; negative to overlap."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["subtask", "id"]
        verbose_name = _("dependency")
        verbose_name_plural = _("dependencies")
        constraints = [
            models.UniqueConstraint(fields=["subtask", "predecessor"], name="dependency_unique")
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.subtask}"

    def owning_departments(self) -> set[int]:
        return self.subtask.owning_departments()

    def clean(self) -> None:
        if self.subtask_id and self.predecessor_id:
            if self.subtask_id == self.predecessor_id:
                raise ValidationError({"predecessor": _("A subtask cannot follow itself.")})
            if self.predecessor.project_id != self.subtask.project_id:
                raise ValidationError(
                    {"predecessor": _("The predecessor belongs to another project.")}
                )


class Risk(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("risk", "Open")
        CLOSED = "closed", pgettext_lazy("risk", "Closed")

    subtask = models.ForeignKey(Subtask, on_delete=models.CASCADE, related_name="risks")
    description = models.CharField(_("risk"), max_length=300)
    owner = models.ForeignKey(
        Person,
        verbose_name=_("risk owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risks",
    )
    mitigation = models.CharField(_("mitigation"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.OPEN
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["subtask", "id"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")

    def __str__(self) -> str:
        return self.description

    def owning_departments(self) -> set[int]:
        return self.subtask.owning_departments()


class SupportRequest(models.Model):
    """A blocked subtask asks a department for support; escalates while unanswered."""

    subtask = models.ForeignKey(Subtask, on_delete=models.CASCADE, related_name="requests")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department asked"),
        on_delete=models.PROTECT,
        related_name="support_requests",
    )
    message = models.TextField(_("what is needed"))
    raised_by = models.ForeignKey(
        Person,
        verbose_name=_("raised by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="raised_requests",
    )
    raised_at = models.DateTimeField(_("raised"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        Person,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_requests",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")

    def __str__(self) -> str:
        return f"{self.subtask} → {self.department}"

    def get_absolute_url(self) -> str:
        return reverse("projects:subtask", args=[self.subtask_id]) + f"#request-{self.pk}"

    def owning_departments(self) -> set[int]:
        """The department asked answers; the project's people may change the request."""
        return {self.department_id, *self.subtask.owning_departments()}

    @property
    def is_open(self) -> bool:
        return self.answered_at is None

    @property
    def level(self) -> int:
        levels = [e.level for e in self.escalations.all()]
        return max(levels, default=0)

    @property
    def last_escalation(self) -> Escalation | None:
        """The highest level reached (from the prefetched escalations)."""
        return max(self.escalations.all(), key=lambda e: e.level, default=None)

    def next_escalation(self) -> core.EscalationStep | None:
        """The next level this request reaches if it stays unanswered."""
        if not self.is_open or self.level >= core.EscalationLevel.MANAGEMENT:
            return None
        level = core.EscalationLevel(self.level + 1)
        due = core.escalation_due(self.raised_at, level, self.subtask.project.response_hours)
        return core.EscalationStep(level=level, due_at=due)


class Escalation(models.Model):
    """One level an unanswered request reached: recorded once, its people notified once."""

    class Level(models.IntegerChoices):
        PROJECT_OWNER = core.EscalationLevel.PROJECT_OWNER.value, _("Project owner")
        COORDINATION_GROUP = (
            core.EscalationLevel.COORDINATION_GROUP.value,
            _("Coordination group"),
        )
        MANAGEMENT = core.EscalationLevel.MANAGEMENT.value, _("Management")

    request = models.ForeignKey(
        SupportRequest, on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    due_at = models.DateTimeField(_("due"))
    recorded_at = models.DateTimeField(_("recorded"))
    notified = models.CharField(_("notified"), max_length=500, blank=True)

    class Meta:
        ordering = ["request", "level"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["request", "level"], name="escalation_once")]

    def __str__(self) -> str:
        return f"{self.request} · {self.get_level_display()}"


class Retrospective(models.Model):
    """复盘: what went well, what to improve, the lessons to keep."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="retrospective")
    went_well = models.TextField(_("what went well"), blank=True)
    to_improve = models.TextField(_("what to improve"), blank=True)
    lessons = models.TextField(
        _("lessons"),
        help_text=_("One lesson per line: what to do next time. Published as a guide."),
    )
    author = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("retrospective")
        verbose_name_plural = _("retrospectives")

    def __str__(self) -> str:
        return str(self.project)

    def owning_departments(self) -> set[int]:
        return self.project.owning_departments()


class Guide(models.Model):
    """A reusable cross-department collaboration guide (跨部门协作指南)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("guide"))
    project = models.ForeignKey(
        Project,
        verbose_name=_("from project"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guides",
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="guides", verbose_name=_("department")
    )
    published_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published = models.DateField(_("published"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published", "-id"]
        verbose_name = _("guide")
        verbose_name_plural = _("guides")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:guide", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return {self.department_id}
