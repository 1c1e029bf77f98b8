from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from opslens.web.common.templatetags.opslens import hours, percent
from opslens.web.processes.models import Process
from opslens.web.processes.services import version_table


class ProcessTable(tables.Table):
    # Columns of model fields take the field's (translated) verbose name, capitalised.
    name = tables.Column(linkify=True)
    departments = tables.ManyToManyColumn(separator="、")
    record_date = tables.DateColumn()
    total = tables.Column(empty_values=(), orderable=False, verbose_name=_("As-is total"))
    bottleneck = tables.Column(empty_values=(), orderable=False, verbose_name=_("Bottleneck"))
    versions = tables.Column(empty_values=(), orderable=False, verbose_name=_("Versions"))

    class Meta:
        model = Process
        fields = ["name", "departments", "start_point", "end_point", "record_date"]
        sequence = ["name", "departments", "start_point", "end_point", "total", "bottleneck"]
        attrs = {"class": "grid"}

    def _table(self, record: Process) -> Any:
        cache = getattr(record, "_as_is_table", None)
        if cache is None:
            as_is = next((v for v in record.versions.all() if v.kind == "as_is"), None)
            cache = version_table(as_is) if as_is is not None else False
            record._as_is_table = cache  # type: ignore[attr-defined]
        return cache

    def render_total(self, record: Process) -> str:
        table = self._table(record)
        return f"{hours(table.summary.total_hours)} h" if table else "—"

    def render_bottleneck(self, record: Process) -> Any:
        table = self._table(record)
        if not table or table.bottleneck is None:
            return "—"
        figures = next(r.figures for r in table.rows if r.figures.is_bottleneck)
        return format_html(
            '<span class="bottleneck-tag">{}</span> {}',
            table.bottleneck.name,
            percent(figures.share),
        )

    def render_versions(self, record: Process) -> int:
        return len(record.versions.all())
