"""The monthly 《KPI监控报告》: achievement against target and warning, 6-period trends,
anomalies with their causes and suggestions — as a page and as an XLSX workbook with charts."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from opslens.core import kpi as core
from opslens.web.common import clock
from opslens.web.kpis import services
from opslens.web.kpis.models import Alert, Kpi, Review, Status

TREND = 6


@dataclass(frozen=True)
class Row:
    kpi: Kpi
    point: services.Point | None  # the period the month is judged on
    previous: services.Point | None
    trend: list[services.Point]
    statuses: dict[str, int]  # finer KPIs: how their periods in the month went
    alerts: list[Alert]
    reviews: list[Review]

    @property
    def status(self) -> str:
        return self.point.status if self.point is not None else ""

    @property
    def change(self) -> Decimal | None:
        if self.point is None or self.previous is None:
            return None
        if self.point.value is None or self.previous.value in (None, 0):
            return None
        assert self.previous.value is not None
        return (self.point.value - self.previous.value) / abs(self.previous.value)

    @property
    def anomaly(self) -> bool:
        return (
            self.status in (Status.WARNING, Status.MISSED)
            or bool(self.alerts)
            or (self.statuses.get(Status.MISSED, 0) > 0)
            or self.missing
        )

    @property
    def due_date(self) -> date | None:
        return self.point.period.due_date(self.kpi.due_day) if self.point is not None else None

    @property
    def missing(self) -> bool:
        """The judged period has no value although it is past its due day."""
        if self.point is None or self.point.value is not None or self.due_date is None:
            return False
        return self.due_date < clock.today()

    @property
    def cause(self) -> str:
        parts = [r.cause for r in self.reviews if r.cause]
        if self.point is not None and self.point.note:
            parts.insert(0, self.point.note)
        return "；".join(dict.fromkeys(parts))

    @property
    def suggestion(self) -> str:
        return "；".join(dict.fromkeys(r.suggestion for r in self.reviews if r.suggestion))


@dataclass(frozen=True)
class Report:
    month: core.Period
    rows: list[Row]
    generated: datetime

    @property
    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in Status.values}
        counts[""] = 0
        for row in self.rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts

    @property
    def anomalies(self) -> list[Row]:
        return [r for r in self.rows if r.anomaly]

    def pie(self) -> dict[str, Any]:
        counts = self.counts
        labels = dict(Status.choices)
        return {
            "kind": "pie",
            "items": [
                {"name": str(labels[s]), "value": counts[s], "status": s}
                for s in Status.values
                if counts[s]
            ]
            + ([{"name": _("No value"), "value": counts[""], "status": ""}] if counts[""] else []),
        }


def _judged_period(kpi: Kpi, month: core.Period) -> core.Period | None:
    frequency = kpi.core_frequency
    if frequency in (core.Frequency.MONTHLY, core.Frequency.QUARTERLY, core.Frequency.YEARLY):
        period = core.Period.of(frequency, month.start)
        return period
    # daily and weekly KPIs: the last of their periods that ends inside the month, and not
    # after today (the current month is judged on what has happened so far)
    last_day = min(month.end, clock.today())
    period = core.Period.of(frequency, last_day)
    while period.end > last_day:
        period = period.previous()
    return period if period.end >= month.start else None


def build(month: core.Period, kpis: Iterable[Kpi]) -> Report:
    rows = []
    month_start = timezone.make_aware(datetime.combine(month.start, time.min))
    month_end = timezone.make_aware(datetime.combine(month.end, time.max))
    for kpi in kpis:
        judged = _judged_period(kpi, month)
        if judged is None:
            continue
        points = services.series(kpi, last=TREND, until=judged)
        point = points[-1] if points else None
        previous = points[-2] if len(points) > 1 else None
        statuses: dict[str, int] = {}
        if kpi.core_frequency in (core.Frequency.DAILY, core.Frequency.WEEKLY):
            for p in services.series(kpi, last=40, until=judged):
                if p.period.end >= month.start and p.status:
                    statuses[p.status] = statuses.get(p.status, 0) + 1
        alerts = list(
            Alert.objects.filter(
                rule__kpi=kpi, fired__gte=month_start, fired__lte=month_end
            ).select_related("rule", "review")
        )
        alerts += [
            a
            for a in Alert.objects.filter(rule__kpi=kpi).select_related("rule", "review")
            if a not in alerts and month.contains(a.period_start)
        ]
        reviews = list({a.review.pk: a.review for a in alerts if a.review is not None}.values())
        reviews += [
            r
            for r in kpi.reviews.filter(status=Review.Status.OPEN)
            if r not in reviews and r.opened <= month_end
        ]
        rows.append(Row(kpi, point, previous, points, statuses, alerts, reviews))
    return Report(month, rows, timezone.now())


def _missing_text(row: Row) -> str:
    if not row.missing or row.due_date is None:
        return ""
    return _("No value reported; it was due %(due)s.") % {"due": row.due_date.isoformat()}


def trend_chart(row: Row) -> dict[str, Any]:
    return services.chart_data(row.kpi, row.trend)


def to_xlsx(report: Report) -> bytes:
    """Overview, anomalies and trends (one native line chart per KPI) in one workbook."""
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill

    fills = {
        Status.MET: PatternFill("solid", fgColor="D3F9D8"),
        Status.WARNING: PatternFill("solid", fgColor="FFF3BF"),
        Status.MISSED: PatternFill("solid", fgColor="FFE3E3"),
    }
    labels = dict(Status.choices)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Overview")[:31]
    title = _("KPI monitoring report")
    if "KPI监控报告" not in title:
        title += " 《KPI监控报告》"  # the seed's name, for readers of the English file
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Month"), report.month.key])
    sheet.append([_("Generated"), timezone.localtime(report.generated).strftime("%Y-%m-%d %H:%M")])
    counts = report.counts
    sheet.append(
        [
            _("On target"),
            counts["met"],
            _("Warning"),
            counts["warning"],
            _("Off target"),
            counts["missed"],
        ]
    )
    sheet.append([])
    header = [
        _("KPI"),
        _("Level"),
        _("Department"),
        _("Owner"),
        _("Period"),
        _("Actual"),
        _("Unit"),
        _("Target"),
        _("Warning value"),
        _("Achievement"),
        _("Change vs previous"),
        _("Status"),
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in report.rows:
        p = row.point
        th = p.thresholds if p is not None else None
        sheet.append(
            [
                row.kpi.name,
                row.kpi.get_level_display(),
                row.kpi.department.name,
                row.kpi.owner.name if row.kpi.owner else "",
                p.period.key if p is not None else "",
                p.value if p is not None else None,
                row.kpi.unit,
                th.target if th is not None else None,
                th.warning if th is not None else None,
                p.achievement if p is not None else None,
                row.change,
                str(labels.get(row.status, _("No value"))),
            ]
        )
        current = sheet.max_row
        sheet.cell(current, 10).number_format = "0.0%"
        sheet.cell(current, 11).number_format = "+0.0%;-0.0%;0.0%"
        for col in (6, 8, 9):
            sheet.cell(current, col).number_format = "#,##0.####"
        if row.status in fills:
            sheet.cell(current, 12).fill = fills[Status(row.status)]
    widths = (22, 10, 12, 10, 10, 16, 8, 16, 16, 12, 14, 10)
    for column, width in zip("ABCDEFGHIJKL", widths, strict=True):
        sheet.column_dimensions[column].width = width

    anomalies = book.create_sheet(_("Anomalies")[:31])
    anomalies.append(
        [_("KPI"), _("Period"), _("Status"), _("Alerts"), _("Cause"), _("Suggestions")]
    )
    for cell in anomalies[1]:
        cell.font = Font(bold=True)
    for row in report.anomalies:
        anomalies.append(
            [
                row.kpi.name,
                row.point.period.key if row.point is not None else "",
                str(labels.get(row.status, _("No value"))),
                "；".join(f"{a.rule.name}（{a.streak}）" for a in row.alerts),
                _missing_text(row) or row.cause,
                row.suggestion,
            ]
        )
    for column, width in zip("ABCDEF", (22, 12, 10, 36, 50, 50), strict=True):
        anomalies.column_dimensions[column].width = width
    for line in anomalies.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    trends = book.create_sheet(_("Trends")[:31])
    top = 1
    for index, row in enumerate(report.rows):
        trends.cell(top, 1, row.kpi.name).font = Font(bold=True)
        trends.cell(top + 1, 1, _("Period"))
        trends.cell(top + 1, 2, _("Actual"))
        trends.cell(top + 1, 3, _("Target"))
        trends.cell(top + 1, 4, _("Warning value"))
        for offset, point in enumerate(row.trend):
            r = top + 2 + offset
            trends.cell(r, 1, point.period.key)
            trends.cell(r, 2, point.value)
            trends.cell(r, 3, point.thresholds.target if point.thresholds else None)
            trends.cell(r, 4, point.thresholds.warning if point.thresholds else None)
        last = top + 1 + len(row.trend)
        if row.trend:
            chart = LineChart()
            chart.title = row.kpi.name
            chart.height, chart.width = 6, 14
            data = Reference(trends, min_col=2, max_col=4, min_row=top + 1, max_row=last)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(trends, min_col=1, min_row=top + 2, max_row=last))
            trends.add_chart(chart, f"F{top}")
        top = max(last, top + 13) + 2
        del index
    trends.column_dimensions["A"].width = 14
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
