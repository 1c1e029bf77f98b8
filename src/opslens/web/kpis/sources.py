"""Where a KPI's values come from — a registry that other modules extend.

``manual`` KPIs are entered in a form or imported from CSV/XLSX. A computed source is a function
``(kpi, period) -> Decimal | None`` that the worker calls for every finished period without a
value. Built in: ``cost_variance`` (the month's cost variance % from the T3 cost analysis, for
the whole company, one department and/or one category). Event-log metrics register here too::

    register_source("my_metric", _("My metric"), compute=my_function)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from opslens.core import kpi as core

if TYPE_CHECKING:
    from opslens.web.kpis.models import Kpi

Compute = Callable[["Kpi", core.Period], Decimal | None]


@dataclass(frozen=True)
class Source:
    key: str
    label: Any
    compute: Compute | None = None

    @property
    def computed(self) -> bool:
        return self.compute is not None


SOURCES: dict[str, Source] = {}


def register_source(key: str, label: Any, compute: Compute | None = None) -> Source:
    source = Source(key, label, compute)
    SOURCES[key] = source
    return source


def source_of(kpi: Kpi) -> Source:
    return SOURCES.get(kpi.source_kind) or SOURCES["manual"]


def source_choices() -> list[tuple[str, Any]]:
    return [(s.key, s.label) for s in SOURCES.values()]


def compute_value(kpi: Kpi, period: core.Period) -> Decimal | None:
    source = source_of(kpi)
    if source.compute is None:
        return None
    return source.compute(kpi, period)


def _cost_variance(kpi: Kpi, period: core.Period) -> Decimal | None:
    """Σ(actual − budget) / Σ budget × 100 over the month's cost lines (None without budget)."""
    from django.db.models import Sum

    from opslens.web.costs.models import CostLine

    if period.frequency != core.Frequency.MONTHLY:
        return None
    lines = CostLine.objects.filter(month__month=period.start, actual__isnull=False)
    config = kpi.source_config or {}
    if config.get("department"):
        lines = lines.filter(department__code=config["department"])
    if config.get("category"):
        lines = lines.filter(category__name=config["category"])
    totals = lines.aggregate(budget=Sum("budget"), actual=Sum("actual"))
    if not totals["budget"]:
        return None
    ratio = (totals["actual"] - totals["budget"]) / totals["budget"] * 100
    return ratio.quantize(Decimal("0.01"))


register_source("manual", _("Entered or imported"))
register_source("cost_variance", _("Cost variance % (monthly cost analysis)"), _cost_variance)
