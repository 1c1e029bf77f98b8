"""Datasets in headless Chromium against a live server: upload a ticket-system export, confirm
the columns, see the process map, filter by a variant and an attribute, compare the pilot
months with the months before, and open an improvement project from the comparison. The
worker's steps run at once (django-tasks' immediate backend) so the test needs no worker."""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from opslens.samples.generate import write_complaints
from opslens.web.datasets.models import Analysis, Dataset
from opslens.web.org.models import Department, Person, Role
from opslens.web.processes.models import Process, ProcessVersion, Step
from opslens.web.projects.models import Project
from tests.web.browser.conftest import Session, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

require_browser()

SHOTS = Path(os.environ.get("OPSLENS_SCREENSHOTS") or tempfile.mkdtemp()) / "datasets"


@pytest.fixture
def setting(settings: Any, tmp_path: Path) -> Path:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path / "data"
    service = Department.objects.create(code="kefu", name="客服部")
    user = get_user_model().objects.create_user(username="kefu", password="demo")
    Person.objects.create(name="黄丽", department=service, role=Role.HEAD, user=user)
    process = Process.objects.create(name="客户投诉处理流程")
    process.departments.set([service])
    version = ProcessVersion.objects.create(process=process, kind="as_is", label="现状")
    for i, (name, hours) in enumerate(
        [("客服记录", "4.8"), ("投诉分级", "2.4"), ("技术处理", "28.8"), ("反馈客户", "12")], 1
    ):
        Step.objects.create(version=version, position=i, stage=i, name=name, hours=Decimal(hours))
    path = tmp_path / "工单系统导出.csv"
    write_complaints(path, cases=600, seed=3)
    return path


def test_upload_map_filter_compare_and_open_a_project(
    browser: Any, live_server: Any, setting: Path
) -> None:
    base = live_server.url
    s = Session(browser, base, locale="en-US", shots=SHOTS)
    s.login("kefu", "demo")
    page = s.page

    # upload: the columns and the first rows come back with the engine's suggestions
    page.goto(base + "/datasets/new/")
    page.set_input_files("input[name=file]", str(setting))
    page.select_option("select[name=process]", label="客户投诉处理流程")
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_url("**/mapping/")
    assert "工单号" in page.inner_text("[data-testid=preview] thead")
    assert page.input_value("select[name=case]") == "工单号"
    assert page.input_value("select[name=activity]") == "环节"
    assert page.input_value("select[name=end]") == "结束时间"
    s.shot("mapping-en")
    page.click("[data-testid=mapping-form] button[type=submit]")

    # the first analysis: bottlenecks, the process map in its frame, variants, charts
    page.wait_for_selector("[data-testid=report]")
    dataset = Dataset.objects.get()
    assert dataset.status == Dataset.Status.READY and dataset.rejected_rows == 0
    assert "技术处理" in page.inner_text("[data-testid=bottlenecks] .bottleneck-tag")
    frame = page.frame_locator("[data-testid=report]")
    frame.locator("#map-svg g.nodes").first.wait_for()
    assert frame.locator("#map-svg g.nodes > g").count() >= 4
    page.wait_for_function("() => document.querySelector('[data-testid=weeks-chart] svg') !== null")
    s.shot("dataset-en")

    # click an activity on the map: the cases through it are listed beside the bottlenecks
    assert page.locator("[data-testid=cases-hint]").is_visible()  # says what the box is for
    node = frame.locator("#map-svg g.nodes > g", has_text="技术处理").first
    node.click()
    box = page.locator("[data-testid=cases-box]")
    box.locator("tbody tr").first.wait_for()
    assert box.locator("tbody tr").count() > 0
    assert page.locator("[data-testid=cases-hint]").count() == 0
    assert page.input_value("#case-activity") == "技术处理"

    # the map as drawn, as SVG and as PNG
    with page.expect_download() as svg_download:
        frame.locator("#map-svg-download").click()
    svg_text = Path(svg_download.value.path()).read_text(encoding="utf-8")
    assert svg_text.startswith("<svg") and "技术处理" in svg_text
    assert svg_download.value.suggested_filename.endswith(".svg")
    with page.expect_download() as png_download:
        frame.locator("#map-png-download").click()
    png = Path(png_download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000

    # swimlanes by department; the BPMN download follows what the map shows
    frame.locator("#lane-select").select_option("部门")
    page.wait_for_function("() => document.getElementById('bpmn-link').href.includes('lanes=')")
    s.shot("dataset-lanes-en")
    with page.expect_download() as bpmn_download:
        page.click("[data-testid=bpmn-link]")
    assert bpmn_download.value.suggested_filename.endswith(".bpmn")
    bpmn = Path(bpmn_download.value.path()).read_text(encoding="utf-8")
    assert "laneSet" in bpmn and "技术部" in bpmn and "技术处理" in bpmn

    # click a variant: the view keeps only its cases, and the address says so
    first = page.locator("[data-testid=variants] tbody tr").first
    cases = int(first.locator("td").nth(2).inner_text().replace(",", ""))
    first.locator("a").click()
    page.wait_for_selector("[data-testid=result-kpis]")
    assert "variant=" in page.url
    shown = page.inner_text("[data-testid=result-kpis] .kpi .v").replace(",", "")
    assert int(shown.split()[0]) == cases

    # an attribute filter from the form
    page.goto(base + dataset.get_absolute_url())
    page.fill("#attr", "紧急程度=紧急")
    page.click("[data-testid=filters] button[type=submit]")
    page.wait_for_selector("[data-testid=result-kpis]")
    assert "attr=" in page.url
    urgent = int(page.inner_text("[data-testid=result-kpis] .kpi .v").split()[0].replace(",", ""))
    assert 0 < urgent < dataset.cases

    # compare the pilot months with the months before
    page.click("[data-testid=compare-link]")
    page.fill("#a_until", "2024-06-30")
    page.fill("#b_since", "2024-07-01")
    page.click("[data-testid=compare-form] button[type=submit]")
    page.wait_for_selector("[data-testid=headline]")
    assert "went down" in page.inner_text("[data-testid=headline]")
    row = page.locator("[data-testid=compare-steps] tr[data-activity='技术处理']")
    assert "faster" in row.inner_text()
    s.shot("compare-en")

    # open an improvement project from the comparison
    page.click("[data-testid=headline] [data-testid=open-project] a.btn")
    page.wait_for_url("**/projects/new/**")
    assert "went down" in page.input_value("#id_origin_summary")
    page.click("form[method=post] button[type=submit].btn >> nth=-1")
    page.wait_for_selector("[data-testid=origin]")
    project = Project.objects.get()
    comparison = Analysis.objects.get(dataset=dataset, filters__has_key="compare")
    assert (project.origin_kind, project.origin_ref) == ("dataset", comparison.pk)
    assert s.errors == [] and s.offsite == []

    # the same pages in Chinese, for a person to look at
    zh = Session(browser, base, locale="zh-CN", shots=SHOTS)
    zh.login("kefu", "demo")
    for name, url in [
        ("dataset-zh", dataset.get_absolute_url()),
        ("compare-zh", f"/datasets/{dataset.pk}/compare/?a_until=2024-06-30&b_since=2024-07-01"),
    ]:
        zh.page.goto(base + url)
        zh.page.wait_for_timeout(500)
        zh.shot(name)
    assert zh.errors == [] and zh.offsite == []
