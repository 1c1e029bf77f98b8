"""The monthly 《KPI监控报告》: every KPI with its status, anomalies with their causes and
suggestions, 6-period trends — as a page and as an XLSX workbook with line charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from openpyxl.chart import LineChart

from opslens.web.kpis.models import AlertRule, Kpi, Review
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def august(settings: Any, org: Any, owner: Any, sales: Kpi, rule: AlertRule) -> dict[str, Kpi]:
    """Four KPIs of 采购部 with values up to August 2024, entered as they came in."""
    settings.OPSLENS_TODAY = "2024-09-10"
    client = client_for(owner)
    revenue = Kpi.objects.create(
        name="营业收入",
        level="company",
        department=org["采购部"],
        owner=owner.person,
        unit="万元",
        frequency="monthly",
        target=Decimal(1500),
        warning=Decimal(1350),
        tracked_from=date(2024, 1, 1),
    )
    turnover = Kpi.objects.create(
        name="员工流失率",
        level="company",
        department=org["采购部"],
        unit="%",
        direction="lower",
        aggregation="average",
        frequency="monthly",
        target=Decimal(2),
        warning=Decimal(3),
        tracked_from=date(2024, 1, 1),
    )
    output = Kpi.objects.create(
        name="产量",
        level="department",
        department=org["采购部"],
        unit="件",
        frequency="monthly",
        target=Decimal(50000),
        warning=Decimal(45000),
        tracked_from=date(2024, 1, 1),
    )
    for month, value in [(3, 1420), (4, 1530), (5, 1480), (6, 1550), (7, 1600)]:
        measure(client, revenue, f"2024-{month:02d}", value)
    measure(client, revenue, "2024-08", 1400, "两家大客户回款推迟")
    measure(client, turnover, "2024-07", "1.7")
    measure(client, turnover, "2024-08", "3.4")
    measure(client, output, "2024-07", 52800)  # August missing
    for week, value in [("2024-W32", 420), ("2024-W33", 410), ("2024-W34", 352), ("2024-W35", 338)]:
        measure(client, sales, week, value)
    review = Review.objects.get()
    review.cause = "主力产品缺货,两家渠道商暂停进货"
    review.suggestion = "提高安全库存;与渠道商签订保供协议"
    review.save()
    return {"revenue": revenue, "turnover": turnover, "output": output, "sales": sales}


def test_the_report_page_lists_every_kpi_with_its_status(
    august: dict[str, Kpi], viewer: Any
) -> None:
    response = client_for(viewer).get("/kpis/report/2024-08/")
    assert response.status_code == 200
    report = response.context["report"]
    assert report.month.key == "2024-08"
    rows = {row.kpi.name: (row.point.period.key, row.status) for row in report.rows}
    assert rows == {
        "营业收入": ("2024-08", "warning"),
        "员工流失率": ("2024-08", "missed"),
        "产量": ("2024-08", ""),
        "销售额": ("2024-W34", "missed"),  # the last week that ends in August
    }
    assert report.counts["met"] == 0
    assert report.counts["warning"] == 1 and report.counts["missed"] == 2 and report.counts[""] == 1
    table = response.content.decode().split('data-testid="report-table"')[1].split("</table>")[0]
    for name in rows:
        assert name in table
    assert "Warning" in table and "Off target" in table and "no value" in table
    assert "93.3%" in table  # 营业收入: 1,400 of 1,500
    assert "−12.5%" in table  # 营业收入 against July's 1,600
    page = response.content.decode()
    anomalies = page.split("<h2>Anomalies</h2>")[1].split("</section>")[0]
    assert "销售额连续两周低于预警值（2024-W34、2024-W35）" in anomalies
    assert "主力产品缺货,两家渠道商暂停进货" in anomalies
    assert "提高安全库存;与渠道商签订保供协议" in anomalies
    assert "两家大客户回款推迟" in anomalies  # the value's note is a cause too
    # the anomalies: off target or warning, an alert, or a value missing after its due day
    # (产量's August value was due on 2024-09-05)
    expected = {"营业收入", "员工流失率", "销售额", "产量"}
    assert {row.kpi.name for row in report.anomalies} == expected
    assert "No value reported; it was due 09/05/2024." in anomalies


def test_the_report_defaults_to_last_month(august: dict[str, Kpi], owner: Any) -> None:
    response = client_for(owner).get("/kpis/report/")
    assert response.context["month"].key == "2024-08"
    assert client_for(owner).get("/kpis/report/nonsense/").context["month"].key == "2024-08"
    july = client_for(owner).get("/kpis/report/2024年7月/").context["report"]
    assert {r.kpi.name: r.status for r in july.rows}["营业收入"] == "met"


def test_the_xlsx_holds_the_overview_the_anomalies_and_trend_charts(
    august: dict[str, Kpi], viewer: Any
) -> None:
    response = client_for(viewer).get("/kpis/report/2024-08/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert unquote(response["Content-Disposition"]).endswith("KPI监控报告-2024-08.xlsx")
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["Overview", "Anomalies", "Trends"]

    overview = book["Overview"]
    cells = list(overview.iter_rows(values_only=True))
    assert cells[1][:2] == ("Month", "2024-08")
    header = next(i for i, row in enumerate(cells) if row[0] == "KPI")
    assert cells[header][:6] == ("KPI", "Level", "Department", "Owner", "Period", "Actual")
    body = {row[0]: row for row in cells[header + 1 :] if row[0]}
    assert set(body) == {"营业收入", "员工流失率", "产量", "销售额"}
    revenue = body["营业收入"]
    assert revenue[4:9] == ("2024-08", 1400, "万元", 1500, 1350)
    assert revenue[9] == pytest.approx(1400 / 1500)
    assert revenue[10] == pytest.approx(-0.125)
    assert revenue[11] == "Warning"
    assert body["员工流失率"][11] == "Off target"
    assert body["产量"][11] == "No value" and body["产量"][5] is None
    assert body["销售额"][4] == "2024-W34"

    anomalies = [row for row in book["Anomalies"].iter_rows(values_only=True)]
    assert anomalies[0] == ("KPI", "Period", "Status", "Alerts", "Cause", "Suggestions")
    found = {row[0]: row for row in anomalies[1:]}
    assert set(found) == {"营业收入", "员工流失率", "销售额", "产量"}
    assert found["产量"][2:5] == ("No value", None, "No value reported; it was due 2024-09-05.")
    sales = found["销售额"]
    assert sales[3] == "销售额连续两周低于预警值（2024-W34、2024-W35）"
    assert sales[4] == "主力产品缺货,两家渠道商暂停进货"
    assert sales[5] == "提高安全库存;与渠道商签订保供协议"
    assert found["营业收入"][4] == "两家大客户回款推迟"

    trends = book["Trends"]
    charts = trends._charts
    assert len(charts) == 4
    assert all(isinstance(chart, LineChart) for chart in charts)
    values = [row for row in trends.iter_rows(values_only=True) if row[0]]
    start = values.index(("营业收入", None, None, None))
    assert values[start + 1][:4] == ("Period", "Actual", "Target", "Warning value")
    assert [row[:2] for row in values[start + 2 : start + 8]] == [
        ("2024-03", 1420),
        ("2024-04", 1530),
        ("2024-05", 1480),
        ("2024-06", 1550),
        ("2024-07", 1600),
        ("2024-08", 1400),
    ]


def test_an_empty_month_still_makes_a_workbook(org: Any, owner: Any) -> None:
    response = client_for(owner).get("/kpis/report/2023-01/export.xlsx")
    book = load_workbook(BytesIO(response.content))
    assert book["Trends"]._charts == []
    page = client_for(owner).get("/kpis/report/2023-01/")
    assert "No anomalies this month." in page.content.decode()


def test_a_value_missing_after_its_due_day_is_an_anomaly(db: None, settings: Any) -> None:
    """The demo's 净利润 has no August value (due 2024-09-05): the report says so."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from opslens.web.common.demo import load_demo

    settings.OPSLENS_TODAY = "2024-09-10"
    load_demo()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username="viewer"))
    page = client.get("/kpis/report/2024-08/").content.decode()
    anomaly = page.split("净利润 · 2024-08")[1].split("</div>")[0]
    assert "No value reported; it was due 09/05/2024." in anomaly
    book = load_workbook(BytesIO(client.get("/kpis/report/2024-08/export.xlsx").content))
    rows = [[c.value for c in r] for r in book.worksheets[1].iter_rows(min_row=2)]
    profit = next(r for r in rows if r[0] == "净利润")
    assert profit[1] == "2024-08"
    assert profit[4] == "No value reported; it was due 2024-09-05."
