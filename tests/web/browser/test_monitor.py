"""KPI monitoring and monthly cost analysis in headless Chromium against a live server.

An owner types a weekly value that trips an alert rule, sees the alert and its review, closes
the review with its findings and checks the traffic light and the trend chart; finance closes
August 2024 after giving the missing cause; cost lines stay confidential by department. Every
KPI and cost page is photographed in Chinese and in English into $OPSLENS_SCREENSHOTS (a
temporary folder when unset) for a human to look at.
"""

from __future__ import annotations

import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from opslens.core import kpi as core
from opslens.web.common import clock
from opslens.web.costs.models import CostLine, CostMonth
from opslens.web.kpis import services
from opslens.web.kpis.models import AlertRule, Kpi, Review
from opslens.web.org.models import Department, Person, Role
from tests.web.browser.conftest import Session, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

require_browser()

TODAY = "2024-09-10"  # the demo company's "today": a Tuesday of 2024-W37
RULE = "销售额连续两周低于预警值"

# Every chart declared in the markup (a [data-chart] with its json_script) has drawn its <svg>.
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-chart]')]
    .filter((el) => document.getElementById(el.dataset.chart))
    .every((el) => el.querySelector('svg') !== null)"""


@pytest.fixture
def fixed_today(settings: Any) -> None:
    settings.OPSLENS_TODAY = TODAY


@pytest.fixture
def weekly_sales(transactional_db: None, fixed_today: None) -> Kpi:
    """销售额 of 销售部, weekly, target 400 / warning 360 万元, owned by xiaoshou (杨帆); the rule
    fires after 2 consecutive weeks below the warning value. W33 was on target, W34 below."""
    sales = Department.objects.create(code="xiaoshou", name="销售部")
    user = get_user_model().objects.create_user(username="xiaoshou", password="demo")
    head = Person.objects.create(name="杨帆", department=sales, role=Role.HEAD, user=user)
    kpi = Kpi.objects.create(
        name="销售额",
        level="department",
        department=sales,
        owner=head,
        unit="万元",
        direction="higher",
        aggregation="sum",
        frequency="weekly",
        due_day=1,
        data_source="CRM",
        target=Decimal(400),
        warning=Decimal(360),
        tracked_from=date(2024, 8, 12),
    )
    AlertRule.objects.create(
        kpi=kpi,
        name=RULE,
        condition="beyond_warning",
        periods=2,
        recovery="clear",
        recovery_periods=1,
        action="启动销售复盘",
        review_days=7,
    )
    for week, value in [("2024-W33", 412), ("2024-W34", 352)]:
        period = core.Period.parse(kpi.core_frequency, week)
        with clock.fixed(period.due_date(kpi.due_day)):
            services.record_measurement(kpi, period, Decimal(value), source="import")
    return kpi


@pytest.fixture
def demo(demo_company: None, fixed_today: None) -> None:
    """The demo company on its own "today" (2024-09-10)."""


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shots = os.environ.get("OPSLENS_SCREENSHOTS")
    return Path(shots) if shots else tmp_path_factory.mktemp("screenshots")


def _charts(page: Any) -> None:
    """Wait until every chart is drawn and its one-second entry animation has ended."""
    page.wait_for_function(CHARTS_DRAWN)
    if page.locator("[data-chart]").count():
        page.wait_for_timeout(1100)


def _texts(locator: Any) -> list[str]:
    return [t.strip() for t in locator.all_inner_texts()]


def _submit(page: Any, selector: str) -> Any:
    """Click a submit button and wait for the page it leads to; returns the POST's response."""
    with (
        page.expect_response(lambda r: r.request.method == "POST") as posted,
        page.expect_navigation(),
    ):
        page.click(selector)
    return posted.value


def test_entering_a_measurement_that_trips_an_alert(
    browser: Any, live_server: Any, weekly_sales: Kpi, shots_dir: Path
) -> None:
    kpi = weekly_sales
    s = Session(browser, live_server.url, shots=shots_dir)
    s.login("xiaoshou", "demo")
    page = s.page
    page.goto(live_server.url + kpi.get_absolute_url())
    # The earliest week that is due and missing is suggested.
    assert page.input_value("#id_period") == "2024-W35"
    page.fill("#id_period", "2024-W35")
    page.fill("#id_value", "338")
    page.fill("#id_note", "主力产品缺货,两家渠道商暂停进货")
    response = _submit(page, "[data-testid=save-measurement]")
    assert response.status == 302
    assert page.url == live_server.url + kpi.get_absolute_url()

    row = page.locator("tr[data-period='2024-W35']")
    assert row.locator(".status").inner_text().strip() == "Off target"
    assert row.locator(".status").get_attribute("class") == "status missed"
    assert "主力产品缺货" in row.inner_text()
    messages = " ".join(_texts(page.locator("ul.messages li")))
    assert "2024-W35 saved: Off target." in messages
    assert f"Alert “{RULE}” fired" in messages
    assert "review “启动销售复盘（2024-W34、2024-W35）” opened for 杨帆" in messages
    assert "firing" in page.locator(".rule").inner_text()
    review = Review.objects.get(kpi=kpi)
    assert review.title == "启动销售复盘（2024-W34、2024-W35）"
    link = page.locator(f"a[href='{review.get_absolute_url()}']")
    assert link.count() == 1 and link.inner_text().strip() == review.title
    _charts(page)
    assert page.locator("[data-chart=kpi-chart] svg path").count() > 3
    s.shot("monitor-alert-fired-en")

    # A period that cannot be read comes back as the form's error, and nothing is saved.
    page.fill("#id_period", "2024-W60")
    page.fill("#id_value", "300")
    response = _submit(page, "[data-testid=save-measurement]")
    assert response.status == 422
    error = page.locator(".field-period .errorlist")
    assert error.count() == 1 and error.inner_text().strip()
    assert "Traceback" not in page.content()
    assert page.locator("[data-testid=measurements] tr[data-period]").count() == 5  # W33 … W37
    assert kpi.measurements.count() == 3
    _charts(page)
    s.shot("monitor-bad-period-en")

    # The review: closing it needs the cause; with cause and suggestion it is done.
    link = page.locator(f"a[href='{review.get_absolute_url()}']")
    with page.expect_navigation():
        link.click()
    assert page.locator("main h1").inner_text().startswith(review.title)
    assert "W34、2024-W35" in page.locator("main").inner_text()  # the alert and its weeks
    page.select_option("#id_status", "done")
    response = _submit(page, "main form button[type=submit]")
    assert response.status == 422
    assert page.locator(".field-cause .errorlist").count() == 1
    page.fill("#id_cause", "主力产品缺货,两家渠道商暂停进货")
    page.fill("#id_suggestion", "补货到位前优先保障重点渠道;每周跟踪渠道库存")
    page.select_option("#id_status", "done")
    response = _submit(page, "main form button[type=submit]")
    assert response.status == 302
    assert page.locator("main h1 .status").inner_text().strip() == "Done"
    s.shot("monitor-review-done-en")
    review.refresh_from_db()
    assert review.status == Review.Status.DONE and review.closed is not None
    assert review.cause.startswith("主力产品缺货")

    # The dashboard: a red light for 销售额, the rule still firing, no open review, a trend.
    page.goto(live_server.url + "/kpis/")
    card = page.locator("[data-testid=kpi-card][data-kpi='销售额']")
    assert card.get_attribute("data-status") == "missed"
    assert card.locator(".light.missed").count() == 1
    assert "⚠" in card.locator("h3").inner_text()
    assert page.inner_text("[data-testid=count-missed]").strip() == "1"
    assert page.locator(f"a[href='{review.get_absolute_url()}']").count() == 0
    _charts(page)
    assert card.locator(".chart svg").count() == 1
    assert card.locator(".chart svg path").count() > 3
    s.shot("monitor-dashboard-en")
    assert s.errors == []
    assert s.offsite == []


def test_closing_a_month(browser: Any, live_server: Any, demo: None, shots_dir: Path) -> None:
    august = CostMonth.objects.get(month=date(2024, 8, 1))
    s = Session(browser, live_server.url, shots=shots_dir)
    s.login("caiwu", "demo")  # head of 财务部 (finance)
    page = s.page
    page.goto(live_server.url + "/costs/2024-08/")
    assert page.inner_text("[data-testid=month-status]").strip() == "Open"
    blockers = _texts(page.locator("[data-testid=blockers] li"))
    assert len(blockers) == 1
    assert "销售人员绩效" in blockers[0] and "without a cause" in blockers[0]
    assert page.locator("tr[data-line='销售人员绩效'].flagged").count() == 1

    # Closing is refused while the blocker is there.
    _submit(page, "[data-testid=close-month]")
    assert page.url == live_server.url + "/costs/2024-08/"
    errors = " ".join(_texts(page.locator("ul.messages li.error")))
    assert "2024-08 cannot be closed yet: 1 line" in errors
    assert page.inner_text("[data-testid=month-status]").strip() == "Open"
    assert page.locator("[data-testid=blockers] li").count() == 1
    s.shot("costs-close-refused-en")

    # Give the cause and its kind.
    with page.expect_navigation():
        page.click("[data-testid=blockers] a")
    page.fill("#id_cause", "8月新签两家大客户,销售额超额完成,绩效提成随之增加")
    page.select_option("#id_cause_kind", "uncontrollable")
    response = _submit(page, "main form button[type=submit]")
    assert response.status == 302
    assert "8月新签两家大客户" in page.inner_text("main")
    assert "Uncontrollable (客观)" in page.inner_text("main")

    page.goto(live_server.url + "/costs/2024-08/")
    assert page.locator("[data-testid=blockers]").count() == 0
    assert page.locator("#close .ok-check").count() == 1
    page.fill("#id_summary", "A材料差异率降至5%;销售人员绩效超支为业绩增长所致(客观)。")
    _submit(page, "[data-testid=close-month]")
    assert page.inner_text("[data-testid=month-status]").strip() == "Closed"
    assert "2024-08 closed." in " ".join(_texts(page.locator("ul.messages li")))
    assert page.locator("#close h2").inner_text().strip() == "Closed"
    assert page.locator("tr[data-line] a.btn").count() == 0  # closed lines cannot be edited
    s.shot("costs-closed-en")
    august.refresh_from_db()
    assert august.status == CostMonth.Status.CLOSED and august.summary.startswith("A材料")
    assert s.errors == []
    assert s.offsite == []

    # 销售部 sees its own line only.
    sales = Session(browser, live_server.url, shots=shots_dir)
    sales.login("xiaoshou", "demo")
    sales.page.goto(live_server.url + "/costs/2024-08/")
    rows = sales.page.locator("[data-testid=cost-table] tr[data-line]")
    assert [r.get_attribute("data-line") for r in rows.all()] == ["销售人员绩效"]
    assert "A材料采购" not in sales.page.content()
    assert "采购部" not in sales.page.inner_text("[data-testid=cost-table]")

    # 采购部 cannot open 销售部's line: 404, so its existence does not leak.
    line = CostLine.objects.get(month=august, sub_item="销售人员绩效")
    buyer = Session(browser, live_server.url, shots=shots_dir)
    buyer.login("caigou", "demo")
    for path in (f"/costs/lines/{line.pk}/", f"/costs/lines/{line.pk}/edit/"):
        response = buyer.page.goto(live_server.url + path)
        assert response is not None and response.status == 404, path
        assert "销售人员绩效" not in buyer.page.content()


# Latin words that may stand in a Chinese page: names, units, formats, brands.
ALLOWED_LATIN = {
    "opslens",
    "KPI",
    "KPIs",
    "XLSX",
    "CSV",
    "CRM",
    "MES",
    "HR",
    "OA",
    "DingTalk",
    "Feishu",
    "Lark",
    "WeCom",
    "JSON",
    "webhook",
    "Webhook",
    "ECRS",
    "BPMN",
    "n/a",
}
CJK = re.compile(r"[\u4e00-\u9fff]")

# In Chinese, these elements must read in Chinese (the exact word where the domain fixes it).
ZH_CHECKS: dict[str, list[tuple[str, str | None]]] = {
    "kpi-dashboard": [
        ("main h1", None),
        ("[data-kpi='销售额'] .status", "未达标"),
        ("[data-kpi='营业收入'] .status", "达标"),
    ],
    "kpi-detail-sales": [
        ("[data-testid=measurements] tr[data-period='2024-W36'] .status", "未达标"),
        ("[data-testid=measurements] tr[data-period='2024-W34'] .status", "预警"),
        ("[data-testid=save-measurement]", None),
    ],
    "kpi-report-2024-08": [("main h1", None)],
    "cost-overview": [("main h1", None)],
    "cost-month-2024-06": [("[data-testid=month-status]", None)],
}


def _latin_phrases(text: str) -> set[str]:
    """Runs of Latin words (within one line or cell) that are not allowed names or units."""
    found = set()
    for phrase in re.findall(r"[A-Za-z][A-Za-z'’]+(?: [A-Za-z][A-Za-z'’]+)*", text):
        if phrase in ALLOWED_LATIN or re.fullmatch(r"W\d*|Q\d*", phrase):
            continue
        found.add(phrase)
    return found


def test_screens_in_chinese_and_english(
    browser: Any, live_server: Any, demo: None, shots_dir: Path
) -> None:
    revenue = Kpi.objects.get(name="营业收入")
    sales = Kpi.objects.get(name="销售额")
    line = CostLine.objects.get(month__month=date(2024, 8, 1), sub_item="A材料采购")
    pages = {
        "kpi-dashboard": "/kpis/",
        "kpi-detail-revenue": revenue.get_absolute_url(),
        "kpi-detail-sales": sales.get_absolute_url(),
        "kpi-targets": f"/kpis/{revenue.pk}/targets/",
        "kpi-report-2024-08": "/kpis/report/2024-08/",
        "kpi-webhooks": "/kpis/webhooks/",
        "cost-overview": "/costs/",
        "cost-month-2024-06": "/costs/2024-06/",
        "cost-line-a-material-2024-08": line.get_absolute_url(),
    }
    s = Session(browser, live_server.url, locale="en-US", shots=shots_dir)
    s.login("demo", "demo")
    page = s.page
    latin_in_chinese: dict[str, set[str]] = {}
    untranslated: list[str] = []
    for lang in ("en", "zh"):
        if lang == "zh":
            page.goto(live_server.url + "/kpis/")
            with page.expect_navigation():
                page.select_option("#lang-select", "zh-hans")
        assert page.locator("html").get_attribute("lang") == ("zh-hans" if lang == "zh" else "en")
        for name, path in pages.items():
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, path
            _charts(page)
            s.shot(f"{name}-{lang}")
            if lang == "en":
                continue
            for selector, expected in ZH_CHECKS.get(name, []):
                text = page.locator(selector).first.inner_text().strip()
                if (expected is None and not CJK.search(text)) or expected not in (None, text):
                    untranslated.append(f"{path} {selector}: {text!r}")
            found = _latin_phrases(page.inner_text("main"))
            if found:
                latin_in_chinese[name] = found
    (shots_dir / "latin-in-chinese-pages.txt").write_text(
        "".join(f"{k}: {' | '.join(sorted(v))}\n" for k, v in latin_in_chinese.items()), "utf-8"
    )

    # What the screens must show, whatever the language.
    page.goto(live_server.url + revenue.get_absolute_url())
    assert page.locator("[data-testid=breakdown] tr[data-period='2024']").count() == 1
    assert page.locator("[data-testid=breakdown] tr[data-period='2024-Q3']").count() == 1
    page.goto(live_server.url + sales.get_absolute_url())
    assert page.locator("h1 .alarm").inner_text().strip() == f"⚠ {RULE}"
    assert page.locator("a:has-text('启动销售复盘（2024-W35、2024-W36）')").count() == 1
    page.goto(live_server.url + line.get_absolute_url())
    trend = page.locator("[data-testid=trend] tbody tr")
    assert [r.locator("td").first.inner_text() for r in trend.all()] == [
        "2024-06",
        "2024-07",
        "2024-08",
    ]
    assert [r.locator("td").last.inner_text() for r in trend.all()] == ["+30%", "+18%", "+5%"]
    assert s.errors == []
    assert s.offsite == []
    assert untranslated == []


def test_years_and_targets_read_as_plain_numbers(
    browser: Any, live_server: Any, demo: None, shots_dir: Path
) -> None:
    """A year is 2024 (not 2,024) and a target 20000 (not 2E+4), in headings, links and inputs."""
    revenue = Kpi.objects.get(name="营业收入")
    s = Session(browser, live_server.url, shots=shots_dir)
    s.login("caiwu", "demo")  # 财务部 owns 营业收入: the targets are inputs
    page = s.page
    page.goto(live_server.url + revenue.get_absolute_url())
    heading = page.locator("section:has([data-testid=breakdown]) h2").inner_text()
    assert heading.strip().endswith("2024"), heading
    page.goto(live_server.url + f"/kpis/{revenue.pk}/targets/")
    assert _texts(page.locator(".page-head .actions a")) == ["← 2023", "2025 →"]
    assert page.locator("main section.card h2").nth(1).inner_text().strip() == "2024"
    values = [field.input_value() for field in page.locator("table.targets-grid input").all()]
    assert len(values) == 2 * 17  # target and warning value of the year, 4 quarters, 12 months
    assert [v for v in values if "E" in v.upper()] == []
    assert [Decimal(v) for v in values[:2]] == [20000, 18000]
    assert s.errors == []
