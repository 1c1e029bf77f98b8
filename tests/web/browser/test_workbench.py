"""The workbench in headless Chromium against a live server: log in, map a process, see the
bottleneck, apply ECRS, export BPMN and XLSX, draw the swimlane, switch language.

Screenshots of every page visited land in $OPSLENS_SCREENSHOTS (when set) for a human to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from opslens.core.processmap import read_process_xlsx
from opslens.web.processes.models import Process
from tests.web.browser.conftest import Session, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

require_browser()

STEPS = [
    ("填写申请表", "申请人", "1"),
    ("部门经理审批", "部门经理", "24"),
    ("采购部审核", "采购专员", "12"),
    ("财务部复核", "财务经理", "12"),
    ("总经理审批", "总经理", "48"),
]


def test_map_a_process_find_the_bottleneck_apply_ecrs_and_export(
    browser: Any, live_server: Any, demo_company: None, tmp_path: Path
) -> None:
    s = Session(browser, live_server.url)
    s.login("caigou", "demo")  # head of 采购部
    page = s.page
    page.goto(live_server.url + "/processes/new/")
    page.fill("#id_name", "办公用品申领流程")
    page.check("input[name=departments] >> nth=0")  # 采购部 is the first department
    page.fill("#id_start_point", "提交申领单")
    page.fill("#id_end_point", "领用完成")
    page.click("main button[type=submit]")
    page.wait_for_selector("#step-add")
    for name, role, hours in STEPS:
        page.fill("#step-add #id_name", name)
        page.fill("#step-add #id_role", role)
        page.fill("#step-add #id_hours", hours)
        page.click("#step-add button[type=submit]")
        page.wait_for_selector(f"tr[data-step='{name}']")  # HTMX swapped the table in
    # The form was reset after each HTMX add, and the computed figures are on the page.
    assert page.input_value("#step-add #id_name") == ""
    assert page.inner_text("[data-testid=total-hours]").strip() == "97 h"
    assert page.inner_text("[data-testid=bottleneck]").strip() == "总经理审批"
    row = page.locator("tr.bottleneck")
    assert row.count() == 1 and "49.5%" in row.inner_text()
    s.shot("en-version")

    # A bad value comes back as a form error, and nothing is added.
    page.fill("#step-add #id_name", "复核")
    page.fill("#step-add #id_hours", "-3")
    page.eval_on_selector("#step-add #id_hours", "el => el.removeAttribute('min')")
    page.click("#step-add button[type=submit]")
    page.wait_for_selector("#step-add .errorlist")
    assert page.locator("tr[data-step]").count() == 5

    # ECRS: eliminate the GM approval into a new to-be version.
    page.click("[data-testid='ecrs-总经理审批']")
    page.select_option("#id_kind", "eliminate")
    page.fill("#id_note", "小额采购审批权限下放至部门经理")
    s.shot("en-ecrs")
    page.click("form.ecrs button[type=submit]")
    page.wait_for_selector("[data-testid=saving]")
    assert page.inner_text("[data-testid=total-hours]").strip() == "49 h"
    assert "48" in page.inner_text("[data-testid=saving]")
    assert page.locator("tr[data-step='总经理审批']").count() == 0
    s.shot("en-to-be")

    # Exports: BPMN with lanes, XLSX that reads back with the same steps.
    with page.expect_download() as info:
        page.click("[data-testid=export-bpmn]")
    bpmn = tmp_path / "p.bpmn"
    info.value.save_as(bpmn)
    tree = etree.parse(str(bpmn))
    ns = {"b": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    assert len(tree.findall(".//b:lane", ns)) == 4  # four roles remain
    assert {t.get("name") for t in tree.findall(".//b:userTask", ns)} == {
        n for n, _r, _h in STEPS[:4]
    }
    with page.expect_download() as info:
        page.click("[data-testid=export-xlsx]")
    xlsx = tmp_path / "p.xlsx"
    info.value.save_as(xlsx)
    sheet = read_process_xlsx(xlsx.read_bytes(), filename="p.xlsx")
    assert [st.name for st in sheet.steps] == [n for n, _r, _h in STEPS[:4]]
    assert sheet.header.name == "办公用品申领流程"

    # The swimlane is drawn by bpmn-js from our BPMN, without warnings.
    page.click("text=Swimlane")
    page.wait_for_selector("#swimlane[data-rendered]")
    assert page.get_attribute("#swimlane", "data-rendered") == "1"
    assert page.get_attribute("#swimlane", "data-warnings") == "0"
    assert page.locator("#swimlane .djs-element[data-element-id^='Lane']").count() >= 4
    s.shot("en-swimlane")

    assert s.errors == []
    assert s.offsite == []
    assert Process.objects.filter(name="办公用品申领流程").count() == 1


def test_outsider_sees_but_cannot_change(
    browser: Any, live_server: Any, demo_company: None
) -> None:
    s = Session(browser, live_server.url)
    s.login("xiaoshou", "demo")  # head of 销售部, not an owner of the procurement process
    process = Process.objects.get(name="采购申请审批流程")
    version = process.as_is
    assert version is not None
    s.page.goto(live_server.url + version.get_absolute_url())
    assert s.page.inner_text("[data-testid=bottleneck]").strip() == "总经理审批"
    assert s.page.locator("#step-add").count() == 0
    assert s.page.locator("text=ECRS").count() == 0
    response = s.page.goto(live_server.url + f"/processes/{process.pk}/edit/")
    assert response is not None and response.status == 403


def test_switch_language_and_screens_in_both_languages(
    browser: Any, live_server: Any, demo_company: None
) -> None:
    s = Session(browser, live_server.url, locale="en-US")
    s.login("demo", "demo")
    page = s.page
    nav = [a.inner_text().strip() for a in page.locator("nav.lifecycle a").all()]
    assert [item.lstrip("12345").strip() for item in nav] == [
        "Diagnose",
        "Design",
        "Pilot",
        "Standardize",
        "Monitor",
    ]
    process = Process.objects.get(name="采购申请审批流程")
    pages = {
        "home": "/",
        "processes": "/processes/",
        "version": process.as_is.get_absolute_url(),  # type: ignore[union-attr]
        "compare": f"/processes/{process.pk}/compare/",
        "step": f"/processes/{process.pk}/steps/{process.as_is.steps.last().pk}/",  # type: ignore[union-attr]
        "diagnose": "/diagnose/",
        "design": "/design/",
        "pilot": "/pilot/",
        "standardize": "/standardize/",
        "monitor": "/monitor/",
        "org": "/org/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        s.shot(f"en-{name}")
    with page.expect_navigation():  # the select submits its form: wait for the new page
        page.select_option("#lang-select", "zh-hans")
    assert "诊断" in page.locator("nav.lifecycle").inner_text()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    for name, path in pages.items():
        page.goto(live_server.url + path)
        s.shot(f"zh-{name}")
    page.goto(live_server.url + pages["version"])
    assert "瓶颈" in page.inner_text("#steps-table")
    assert s.errors == []
    assert s.offsite == []
