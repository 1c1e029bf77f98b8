"""The T2 pages in headless Chromium against a live server, on the demo company's today.

The Gantt chart of 新产品X上市项目 is drawn as SVG with one bar per subtask, the milestone
diamonds and today's line; the "what if it slips" preview answers in place (htmx); the tracker
marks 渠道铺货 滞后; a subtask is marked blocked through its status form and a request raised.
Every T2 page is photographed in Chinese and in English into /tmp/shots/projects/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opslens.web.projects.models import Guide, Project, Subtask, SupportRequest
from tests.web.browser.conftest import Session, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

require_browser()

SHOTS = Path("/tmp/shots/projects")
LAUNCH = "新产品X上市项目"
BAR_COLOURS = {"#4dabf7", "#e03131", "#8ce99a", "#ffa8a8"}  # planned, critical, done, done+critical

# The Gantt's SVG: every filled shape with its colour, and the text labels.
SVG_SHAPES = """() => [...document.querySelectorAll(
    '[data-testid=gantt] svg path, [data-testid=gantt] svg rect')].map((e) => ({
        fill: (e.getAttribute('fill') || '').toLowerCase(),
        stroke: (e.getAttribute('stroke') || '').toLowerCase(),
        d: e.getAttribute('d') || ''}))"""
SVG_TEXTS = """() => [...document.querySelectorAll('[data-testid=gantt] svg text')]
    .map((e) => e.textContent)"""


@pytest.fixture
def demo(demo_company: None, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-09-10"


def _gantt(page: Any) -> None:
    page.wait_for_selector("[data-testid=gantt] svg")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=gantt] svg text').length > 5"
    )


def _pages(project: Project) -> list[tuple[str, str]]:
    rollout = project.subtasks.get(name="渠道铺货")
    pilot = Project.objects.get(name__startswith="采购审批提速")
    guide = Guide.objects.get(project=pilot)
    return [
        ("list", "/projects/"),
        ("tracker", project.get_absolute_url()),
        ("gantt", f"/projects/{project.pk}/gantt/"),
        ("subtask", rollout.get_absolute_url()),
        ("digest", f"/projects/{project.pk}/digest/?week=2024-W36"),
        ("retrospective", f"/projects/{pilot.pk}/retrospective/"),
        ("guide", guide.get_absolute_url()),
    ]


def test_gantt_tracker_slip_and_status(browser: Any, live_server: Any, demo: None) -> None:
    project = Project.objects.get(name=LAUNCH)
    base = live_server.url

    # photographs of every page, in both languages, before anything changes
    for locale, lang in [("zh-CN", "zh-hans"), ("en-US", "en")]:
        s = Session(browser, base, locale=locale, shots=SHOTS)
        s.login("demo", "demo")
        for name, url in _pages(project):
            response = s.page.goto(base + url)
            assert response is not None and response.status == 200, url
            if name == "gantt":
                _gantt(s.page)
            s.shot(f"projects-{name}-{lang}")
        assert s.errors == [] and s.offsite == []
        s.context.close()

    s = Session(browser, base, locale="en-US", shots=SHOTS)
    s.login("demo", "demo")
    page = s.page

    # the Gantt chart: one bar per subtask, the milestones, today's line
    page.goto(base + f"/projects/{project.pk}/gantt/")
    _gantt(page)
    shapes = page.evaluate(SVG_SHAPES)
    bars = [x for x in shapes if x["fill"] in BAR_COLOURS and x["stroke"] != "#fff"]
    assert len(bars) == project.subtasks.count() == 5, shapes
    diamonds = [x for x in shapes if x["stroke"] == "#fff" and x["fill"] in ("#5f3dc4", "#e03131")]
    assert len(diamonds) == 5, shapes
    assert sum(1 for x in diamonds if x["fill"] == "#e03131") == 1  # 渠道铺货's, past due
    texts = page.evaluate(SVG_TEXTS)
    assert any(t.startswith("Today 9-10") for t in texts), texts
    assert any("Lagging" in t for t in texts), texts
    for name in ["市场调研", "产品原型设计", "生产试制", "营销方案制定", "渠道铺货"]:
        assert any(name in t for t in texts), (name, texts)
    assert page.inner_text("[data-testid=critical-path]").strip().endswith("渠道铺货")

    # what if 渠道铺货 slips 3 days (htmx: the page stays, the preview appears)
    url = page.url
    page.select_option("#id_subtask", label="渠道铺货")
    page.fill("#id_days", "3")
    page.click("[data-testid=slip-form] button[type=submit]")
    page.wait_for_selector("#slip-result [data-testid=slip-preview]")
    assert page.url == url
    preview = page.inner_text("#slip-result")
    assert "If 渠道铺货 slips 3 days" in preview
    rows = page.locator("#slip-result tbody tr")
    assert rows.count() >= 1
    assert "渠道铺货" in rows.first.inner_text() and "+3" in rows.first.inner_text()
    s.shot("projects-slip-en")

    # the tracker: 渠道铺货 is 滞后
    page.goto(base + project.get_absolute_url())
    row = page.locator("tr[data-subtask='渠道铺货']")
    assert "lagging" in (row.get_attribute("class") or "").split()
    assert row.locator("[data-testid=lagging]").inner_text().strip() == "Lagging +9"
    assert page.locator("[data-testid=lagging]").count() == 1
    assert page.inner_text("[data-testid=lagging-count]").strip() == "1"

    # mark 营销方案制定 blocked through its status form, then ask 销售部 for support
    marketing = project.subtasks.get(name="营销方案制定")
    page.goto(base + marketing.get_absolute_url())
    form = page.locator("[data-testid=status-form]")
    form.locator("select[name=status]").select_option("blocked")
    # the reason of its earlier block (08-05) went with it: the field is empty, and so refused
    assert form.locator("textarea[name=blocked_reason]").input_value() == ""
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "Say what blocks it." in page.inner_text("ul.messages")
    marketing.refresh_from_db()
    assert marketing.status == "done"
    form = page.locator("[data-testid=status-form]")
    form.locator("select[name=status]").select_option("blocked")
    form.locator("textarea[name=blocked_reason]").fill("渠道预算待重新确认")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.endswith("#request")
    marketing.refresh_from_db()
    assert (marketing.status, marketing.blocked_reason) == ("blocked", "渠道预算待重新确认")
    assert marketing.actual_finish is None
    request_form = page.locator("[data-testid=request-form]")
    request_form.locator("select[name=department]").select_option(label="销售部")
    request_form.locator("textarea[name=message]").fill("请在明天前确认渠道预算")
    with page.expect_navigation():
        request_form.locator("button[type=submit]").click()
    assert "Request sent to 销售部; it must answer within 24 h." in page.inner_text("ul.messages")
    raised = SupportRequest.objects.get(subtask=marketing, message="请在明天前确认渠道预算")
    assert raised.department.name == "销售部" and raised.is_open
    assert page.locator(f"#request-{raised.pk}").count() == 1
    s.shot("projects-blocked-request-en")
    assert Subtask.objects.get(pk=marketing.pk).state().blocked
    assert s.errors == [] and s.offsite == []
