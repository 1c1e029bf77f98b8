"""Importing KPI values from CSV/XLSX: upload → column mapping → all rows saved, or none.

The upload is kept in the data dir between the two steps (never in the session), read with
:func:`opslens.core.tabular.read_table` (UTF-8 or GB18030, comma/semicolon/tab, XLSX).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from opslens.core import kpi as core
from opslens.core.errors import InputError
from opslens.core.tabular import Table, parse_decimal, read_table, suggest_columns
from opslens.web.common import uploads
from opslens.web.kpis import services
from opslens.web.kpis.models import Kpi, Measurement

SYNONYMS = {
    "kpi_column": ["KPI", "指标", "指标名称", "KPI名称", "kpi name", "indicator", "metric"],
    "period_column": ["周期", "期间", "月份", "日期", "period", "month", "week", "date", "时间"],
    "value_column": ["实际值", "实际", "数值", "值", "value", "actual"],
    "note_column": ["备注", "说明", "原因", "note", "comment", "remark"],
}
FOLDER = "kpi-imports"


def stash(upload: Any) -> tuple[Table, str]:
    """Keep the upload and read it; returns the table and the token naming the kept file."""
    kept = uploads.keep(upload, FOLDER)
    try:
        table = read_table(kept.data, filename=kept.name)
    except InputError:
        discard(kept.token)
        raise
    return table, kept.token


def load(token: str) -> Table:
    kept = uploads.load(token, FOLDER)
    return read_table(kept.data, filename=kept.name)


def discard(token: str) -> None:
    uploads.discard(token, FOLDER)


def suggest(columns: tuple[str, ...]) -> dict[str, str]:
    return {k: v or "" for k, v in suggest_columns(columns, SYNONYMS).items()}


@dataclass
class Result:
    saved: int = 0
    errors: list[str] = field(default_factory=list)
    kpis: set[int] = field(default_factory=set)
    outcomes: list[services.Outcome] = field(default_factory=list)


def apply(table: Table, mapping: dict[str, Any], *, kpis: Any, user: Any) -> Result:
    """Check every row first; save all of them (then evaluate rules) only if none is wrong."""
    result = Result()
    by_name: dict[str, list[Kpi]] = {}
    for k in kpis.select_related("department"):
        by_name.setdefault(k.name, []).append(k)
    fixed: Kpi | None = mapping.get("kpi")
    rows: list[tuple[Kpi, core.Period, Decimal, str]] = []
    for row in table.rows:
        cells = row.cells
        where = {"file": table.filename, "row": row.number}
        try:
            if fixed is not None and not mapping.get("kpi_column"):
                kpi = fixed
            else:
                name = (cells.get(mapping["kpi_column"]) or "").strip()
                found = by_name.get(name, [])
                if len(found) != 1:
                    message = _("no KPI of this name that you may change")
                    if found:
                        message = _(
                            "KPIs of this name belong to %(departments)s; import their values "
                            "one KPI at a time"
                        ) % {"departments": "、".join(k.department.name for k in found)}
                    raise InputError(
                        message, column=mapping["kpi_column"], value=name or None, **where
                    )
                kpi = found[0]
            text = cells.get(mapping["period_column"])
            try:
                period = core.Period.parse(kpi.core_frequency, text or "")
            except InputError as exc:
                raise InputError(
                    exc.message, column=mapping["period_column"], value=text, **where
                ) from exc
            value = parse_decimal(
                cells.get(mapping["value_column"]), column=mapping["value_column"], **where
            )
            if value is None:
                raise InputError(_("no value"), column=mapping["value_column"], **where)
            note = (cells.get(mapping.get("note_column") or "") or "").strip()
        except InputError as exc:
            result.errors.append(str(exc))
            if len(result.errors) >= 50:
                break
            continue
        rows.append((kpi, period, value, note))
    if result.errors:
        return result
    if not rows:
        result.errors.append(_("%(file)s holds no rows to import.") % {"file": table.filename})
        return result
    with transaction.atomic():
        for kpi, period, value, note in rows:
            services.record_measurement(
                kpi,
                period,
                value,
                note=note,
                source=Measurement.Source.IMPORT,
                user=user,
                evaluate=False,
            )
            result.saved += 1
            result.kpis.add(kpi.pk)
        for kpi in Kpi.objects.filter(pk__in=result.kpis):
            result.outcomes.append(services.evaluate_rules(kpi))
    return result
