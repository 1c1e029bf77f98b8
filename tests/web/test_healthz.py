"""/healthz, and the lifecycle pages (诊断 设计 试点 推广 监控) over the demo company."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from opslens.web.processes.models import Process, ProcessVersion


@pytest.mark.django_db
def test_healthz_answers_json_without_login() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["database"] == connection.vendor
    assert body["database"] in ("sqlite", "postgresql")
    assert body["version"]
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_get_only() -> None:
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_reports_a_broken_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "error",
        "database": "unavailable",
        "detail": "RuntimeError",
    }


# --- the lifecycle pages over the demo company ---------------------------------------------


@pytest.fixture
def client(demo: None) -> Client:
    client = Client()
    assert client.login(username="viewer", password="demo")
    return client


def page(client: Client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, title: str) -> str:
    """The card whose heading is ``title``."""
    start = html.index(f"<h2>{title}</h2>")
    return html[start : html.index("</section>", start)]


def test_diagnose_lists_as_is_maps_and_analysed_steps(client: Client) -> None:
    html = page(client, "diagnose")
    maps = section(html, "As-is processes")
    procurement = re.search(r"<tr><td><a[^>]*>采购申请审批流程</a>.*?</tr>", maps, flags=re.S)
    assert procurement is not None
    row = procurement.group(0)
    assert ">97<" in row and "总经理审批" in row and "49.5%" in row
    complaints = re.search(r"<tr><td><a[^>]*>客户投诉处理流程</a>.*?</tr>", maps, flags=re.S)
    assert complaints is not None
    assert ">48<" in complaints.group(0) and "技术处理" in complaints.group(0)
    analysed = section(html, "Root-cause analyses")
    assert "采购申请审批流程 · 总经理审批" in analysed
    assert "客户投诉处理流程 · 技术处理" in analysed


def test_design_lists_draft_to_be_versions_and_planned_remedies(client: Client) -> None:
    html = page(client, "design")
    drafts = section(html, "To-be versions in draft")
    draft = ProcessVersion.objects.get(process__name="客户投诉处理流程", kind="to_be")
    assert draft.label in drafts
    assert "−16.3 h" in drafts  # 48 h → 31.7 h
    pilot = ProcessVersion.objects.get(process__name="采购申请审批流程", kind="to_be")
    assert pilot.label not in drafts
    planned = section(html, "Planned remedies")
    assert "建立采购与财务共享数据台账" in planned
    assert "工单系统按紧急程度和工程师负荷自动分配优先级" in planned
    assert "上线OA采购审批模块" not in planned  # in progress, not planned


def test_pilot_lists_the_procurement_to_be_version(client: Client) -> None:
    html = page(client, "pilot")
    versions = section(html, "Versions in pilot")
    pilot = ProcessVersion.objects.get(process__name="采购申请审批流程", kind="to_be")
    assert pilot.get_absolute_url() in versions
    assert pilot.label in versions
    assert "−48 h (49.5%)" in versions
    assert "客户投诉处理流程" not in versions
    remedies = section(html, "Remedies in progress")
    assert "上线OA采购审批模块" in remedies
    assert "建立采购与财务共享数据台账" not in remedies


def test_standardize_lists_standard_versions(client: Client) -> None:
    html = page(client, "standardize")
    assert "No standard version yet" in html
    draft = ProcessVersion.objects.get(process__name="客户投诉处理流程", kind="to_be")
    draft.status = ProcessVersion.Status.STANDARD
    draft.save()
    html = page(client, "standardize")
    assert draft.get_absolute_url() in html
    assert "−16.3 h" in html
    assert reverse("processes:export_bpmn", args=[draft.process_id, draft.pk]) in html


def test_monitor_shows_the_overdue_remedy_first(client: Client) -> None:
    html = page(client, "monitor")
    open_ = section(html, "Open remedies")
    rows = re.findall(r"<tr>(.*?)</tr>", open_, flags=re.S)[1:]
    assert len(rows) == 3
    assert "建立采购与财务共享数据台账" in rows[0]
    assert '<span class="tag overdue">overdue</span>' in rows[0]
    assert all("overdue" not in row for row in rows[1:])
    done = section(html, "Done and verified")
    assert "调整审批额度" in done
    assert "2024年7—9月平均审批周期48小时" in done


def test_home_shows_counts_and_bottlenecks(demo: None) -> None:
    client = Client()
    client.login(username="caigou", password="demo")
    html = client.get("/").content.decode()
    assert "王强" in html
    assert Process.objects.count() == 2
    bottlenecks = section(html, "Bottlenecks")
    # sorted by share: 总经理审批 (49.5%) after 技术处理 (60%)
    assert bottlenecks.index("技术处理") < bottlenecks.index("总经理审批")
    assert "60.0%" in bottlenecks and "49.5%" in bottlenecks
    mine = section(html, "My remedies")
    assert "调整审批额度" not in mine  # verified, no longer open
    assert "采购申请审批流程" in mine  # my department's processes
