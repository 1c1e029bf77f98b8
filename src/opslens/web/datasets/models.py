"""Event-log datasets: an uploaded system export, stored as Parquet, and its cached analyses.

A :class:`Dataset` goes ``uploaded`` → ``inspecting`` (the worker reads the columns and the first
rows) → ``mapping`` (a person confirms which column is the case, the activity, the times) →
``importing`` (the worker validates every row and writes the canonical events as Parquet in the
data dir) → ``ready``; a failure anywhere leaves ``failed`` with the reason, and can be retried.
Each :class:`Analysis` is one filter of one dataset, computed by the worker and cached: the same
filter is never computed twice unless the dataset changes.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from opslens.web.org.models import Department


class Dataset(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        INSPECTING = "inspecting", _("Reading the columns")
        MAPPING = "mapping", _("Columns to confirm")
        IMPORTING = "importing", _("Importing")
        READY = "ready", pgettext_lazy("dataset", "Ready")
        FAILED = "failed", pgettext_lazy("dataset", "Failed")

    name = models.CharField(_("name"), max_length=200)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="datasets",
        help_text=_("Its people may change the dataset."),
    )
    process = models.ForeignKey(
        "processes.Process",
        verbose_name=_("process"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="datasets",
        help_text=_("The mapped process this log records, if any."),
    )
    description = models.TextField(_("description"), blank=True)
    source_name = models.CharField(_("file"), max_length=300, editable=False)
    source_format = models.CharField(_("format"), max_length=10, editable=False)
    source_size = models.BigIntegerField(_("size (bytes)"), default=0, editable=False)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Shanghai",
        help_text=_("Times without an offset are read in this zone."),
    )
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True, editable=False)
    preview = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    progress = models.PositiveSmallIntegerField(default=0, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)
    # what the import found
    events = models.BigIntegerField(null=True, blank=True, editable=False)
    activity_instances = models.BigIntegerField(null=True, blank=True, editable=False)
    cases = models.BigIntegerField(null=True, blank=True, editable=False)
    rejected_rows = models.BigIntegerField(null=True, blank=True, editable=False)
    lifecycle = models.CharField(max_length=10, blank=True, editable=False)
    first_event = models.DateTimeField(null=True, blank=True, editable=False)
    last_event = models.DateTimeField(null=True, blank=True, editable=False)
    activities = models.JSONField(default=list, blank=True, editable=False)
    attributes = models.JSONField(default=list, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    imported = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["progress", "preview"])

    class Meta:
        ordering = ["-created"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("datasets:detail", args=[self.pk])

    def owning_departments(self) -> set[int]:
        return {self.department_id}

    @property
    def folder(self) -> Path:
        return Path(settings.DATA_DIR) / "datasets" / str(self.pk)

    @property
    def source_path(self) -> Path:
        return self.folder / f"source.{self.source_format}"

    @property
    def events_path(self) -> Path:
        return self.folder / "events.parquet"

    @property
    def rejected_path(self) -> Path:
        return self.folder / "rejected.csv"

    @property
    def zone(self) -> str:
        """The dataset's time zone as an IANA name; ``UTC`` when the stored one is unknown."""
        try:
            return str(ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            return "UTC"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_busy(self) -> bool:
        return self.status in (
            self.Status.UPLOADED,
            self.Status.INSPECTING,
            self.Status.IMPORTING,
        )


EMPTY_SIDE = "empty-view:"  # Analysis.error of a comparison one of whose views is empty


class Analysis(models.Model):
    """The figures of one filter of a dataset, computed once by the worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", pgettext_lazy("analysis", "Running")
        DONE = "done", pgettext_lazy("analysis", "Done")
        FAILED = "failed", pgettext_lazy("analysis", "Failed")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="analyses")
    key = models.CharField(max_length=64)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("analysis")
        verbose_name_plural = _("analyses")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "key"], name="analysis_once_per_filter")
        ]

    def __str__(self) -> str:
        return f"{self.dataset} · {self.key[:8]}"

    @property
    def empty_side(self) -> str:
        """``"before"`` or ``"after"`` when a comparison failed because that view holds no case
        (retrying cannot help; other filters can), else ``""``."""
        side = self.error.removeprefix(EMPTY_SIDE) if self.error.startswith(EMPTY_SIDE) else ""
        return side if side in ("before", "after") else ""

    @property
    def error_text(self) -> str:
        """The failure as the reader's language says it."""
        if self.empty_side == "before":
            return str(_("View A holds no case: change its filters."))
        if self.empty_side == "after":
            return str(_("View B holds no case: change its filters."))
        return self.error
