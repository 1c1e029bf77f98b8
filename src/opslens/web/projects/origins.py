"""Where an improvement project comes from: a finding elsewhere in the workbench.

A T2 project is free, or opened from a bottleneck (a T1 step, or one measured in a dataset), a
KPI review (T5), a cost variance (T3) or a quality problem (T4). The page that holds the finding
links to ``/projects/new/?origin=<kind>&ref=<pk>``; the form is then filled from
:func:`resolve`, and the project keeps the finding's label, link and numbers — so the project
page links back, and the finding's page lists the projects opened from it.

Each kind has a provider ``(pk, user) → ProjectOrigin | None``: ``None`` when the record does not
exist or the user may not read it (cost lines are confidential).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class OriginKind(models.TextChoices):
    FREE = "", _("Free (no origin)")
    BOTTLENECK = "bottleneck", _("Process bottleneck")
    KPI_REVIEW = "kpi_review", _("KPI review")
    COST_VARIANCE = "cost_variance", _("Cost variance")
    QUALITY = "quality", _("Quality problem")
    DATASET = "dataset", _("Bottleneck measured in a dataset")


@dataclass(frozen=True)
class ProjectOrigin:
    """A finding a project can be opened from.

    ``label`` names the record ("采购申请审批流程 · 总经理审批"), ``url`` is its page,
    ``summary`` the finding with its numbers ("48 h of 97 h, 49.5 %"); the rest pre-fills the
    new project's form: a suggested name, the department that owns the finding, an owner, a
    goal and a deadline.
    """

    kind: str
    ref: int
    label: str
    url: str
    summary: str
    name: str = ""
    department_id: int | None = None
    owner_id: int | None = None
    goal: str = ""
    deadline: date | None = None


Provider = Callable[[int, Any], ProjectOrigin | None]


def _provider(kind: str) -> Provider | None:
    if kind == OriginKind.BOTTLENECK:
        from opslens.web.processes.services import project_origin as bottleneck

        return bottleneck
    if kind == OriginKind.KPI_REVIEW:
        from opslens.web.kpis.services import project_origin as review

        return review
    if kind == OriginKind.COST_VARIANCE:
        from opslens.web.costs.services import project_origin as variance

        return variance
    if kind == OriginKind.QUALITY:
        from opslens.web.quality.services import project_origin as problem

        return problem
    if kind == OriginKind.DATASET:
        from opslens.web.datasets.services import project_origin as measured

        return measured
    return None


def resolve(kind: str, ref: Any, user: Any) -> ProjectOrigin | None:
    """The finding ``kind``/``ref`` as ``user`` may see it, or ``None``."""
    provider = _provider(kind)
    if provider is None:
        return None
    try:
        pk = int(ref)
    except (TypeError, ValueError):
        return None
    return provider(pk, user)
