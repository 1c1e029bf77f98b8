"""Service quality (T4) in headless Chromium against a live server.

The head of 客服部 opens an overdue rectification of the demo, reports it rectified, tries to
close it without a recheck (the errors say what is missing), records the recheck and closes it.
The dashboard, a problem page and the monthly analysis with its Pareto charts are photographed
in English and in Chinese into $OPSLENS_SCREENSHOTS/quality (default /tmp/shots/quality) for a
human to look at.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from opslens.web.quality.models import Problem, Status
from tests.web.browser.conftest import Session, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

require_browser()

SHOTS = Path(os.environ.get("OPSLENS_SCREENSHOTS", "/tmp/shots")) / "quality"

PARETO_DRAWN = """() => [...document.querySelectorAll('[data-pareto]')]
    .every((el) => el.querySelector('svg') !== null)"""


@pytest.fixture
def quality_demo(transactional_db: None, settings: Any) -> dict[str, Any]:
    from opslens.web.quality import demo
    from tests.web.quality.conftest import minimal_company

    settings.OPSLENS_TODAY = "2024-09-10"
    depts, heads = minimal_company()
    with translation.override("zh-hans"):
        demo.load(depts, heads)
    return {"depts": depts, "heads": heads}


def _submit(page: Any, selector: str) -> Any:
    with (
        page.expect_response(lambda r: r.request.method == "POST") as posted,
        page.expect_navigation(),
    ):
        page.click(selector)
    return posted.value


def _closed_label() -> str:
    with translation.override("zh-hans"):
        return str(Status.CLOSED.label)  # 已关闭 once the catalog has it


def test_closing_a_rectification_needs_its_recheck(
    browser: Any, live_server: Any, quality_demo: dict[str, Any]
) -> None:
    problem = Problem.objects.get(inspected_on=date(2024, 8, 20))  # 36 s, overdue, 整改中
    s = Session(browser, live_server.url, locale="zh-CN", shots=SHOTS)
    s.login("kefu", "demo")
    page = s.page
    page.goto(live_server.url + "/quality/")
    row = page.locator(f'tr[data-problem="{problem.pk}"]')
    assert "overdue-row" in (row.get_attribute("class") or "")
    row.locator("td.desc a").first.click()
    page.wait_for_url(live_server.url + problem.get_absolute_url())
    assert page.locator('[data-testid="overdue"]').count() == 1

    _submit(page, '[data-testid="move-awaiting_recheck"]')
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_RECHECK

    response = _submit(page, '[data-testid="close"]')
    assert response.status == 422
    errors = page.locator("#recheck .errorlist li").all_inner_texts()
    assert len(errors) == 2, errors  # no result, no value at recheck (the standard is ≤ 30 秒)
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_RECHECK

    page.fill("#id_recheck_result", "9月10日抽查,平均28秒接听")
    page.fill("#id_recheck_value", "28")
    response = _submit(page, '[data-testid="close"]')
    assert response.status == 302
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED and problem.recheck_value == 28
    assert page.locator('h1 [data-testid="status"]').inner_text().strip() == _closed_label()
    assert page.locator('[data-testid="recheck-result"]').inner_text() == "9月10日抽查,平均28秒接听"
    assert s.errors == [] and s.offsite == []


def test_screenshots_in_both_languages(
    browser: Any, live_server: Any, quality_demo: dict[str, Any]
) -> None:
    first = Problem.objects.get(inspected_on=date(2024, 6, 5))
    pages = {
        "dashboard": "/quality/",
        "problem-40s": first.get_absolute_url(),
        "analysis-2024-06": "/quality/analysis/2024-06/",
        "analysis-2024-08": "/quality/analysis/2024-08/",
        "standards": "/quality/standards/",
        "new-inspection": "/quality/problems/new/",
    }
    for lang, locale in (("en", "en-US"), ("zh", "zh-CN")):
        s = Session(browser, live_server.url, locale=locale, shots=SHOTS)
        s.login("zhijian", "demo")
        page = s.page
        assert page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-hans")
        for name, path in pages.items():
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, path
            if page.locator("[data-pareto]").count():
                page.wait_for_function(PARETO_DRAWN)
                page.wait_for_timeout(1100)
            if name == "new-inspection":
                page.select_option("#id_standard", label="客服响应 · 电话接听 ≤ 30 秒")
                page.fill("#id_observed", "40")
                page.locator("#id_observed").dispatch_event("change")
                page.wait_for_selector('[data-testid="preview-rule"]')
            s.shot(f"{name}-{lang}")
        assert s.errors == [], s.errors
        assert s.offsite == []
        s.context.close()
