"""A project opened from a finding: the procurement bottleneck pre-fills the form and is linked
both ways; a cost variance stays confidential; an unknown finding is an error, not a crash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from opslens.web.costs.models import CostCategory, CostLine, CostMonth
from opslens.web.costs.services import ensure_categories
from opslens.web.org.models import Department
from opslens.web.processes.models import Process, Step
from opslens.web.projects.models import Project
from tests.web.conftest import client_for
from tests.web.projects.helpers import form_data, u


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_opened_from_the_procurement_bottleneck(
    procurement: Process, owner: Any, colleague: Any
) -> None:
    step = Step.objects.get(version__process=procurement, name="总经理审批")
    client = client_for(owner)
    url = u("create") + f"?origin=bottleneck&ref={step.pk}"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="origin"' in html and "采购申请审批流程 · 总经理审批" in html
    data = form_data(client, url, "")
    assert data["name"] == "Speed up 总经理审批 (采购申请审批流程)"
    assert data["goal"].startswith("Cut 总经理审批 from 48 h")
    assert "the bottleneck" in data["origin_summary"]
    assert (data["origin"], data["ref"]) == ("bottleneck", str(step.pk))
    assert data["department"] == str(procurement.departments.order_by("id").first().pk)
    assert data["deadline"] == "2024-08-18"  # today (2024-05-20) + 90 days

    response = client.post(u("create"), data)
    assert response.status_code == 302
    project = Project.objects.get()
    assert project.origin_kind == "bottleneck" and project.origin_ref == step.pk
    assert project.origin_label == "采购申请审批流程 · 总经理审批"
    assert project.origin_url == step.get_absolute_url()
    assert "the bottleneck" in project.origin_summary

    # the project links back; the step lists the project
    html = client.get(project.get_absolute_url()).content.decode()
    assert f'href="{step.get_absolute_url()}" data-testid="origin"' in html
    html = client_for(colleague).get(step.get_absolute_url()).content.decode()
    opened = html.split('data-testid="open-project">')[1].split("</div>")[0]
    assert project.name in opened and project.get_absolute_url() in opened


def test_a_step_without_a_project_offers_to_open_one(procurement: Process, owner: Any) -> None:
    step = Step.objects.get(version__process=procurement, name="总经理审批")
    html = client_for(owner).get(step.get_absolute_url()).content.decode()
    opened = html.split('data-testid="open-project">')[1].split("</div>")[0]
    assert "Improvement projects:" not in opened
    assert f"?origin=bottleneck&amp;ref={step.pk}" in opened


def _sales_line(org: dict[str, Department]) -> CostLine:
    ensure_categories()
    month = CostMonth.objects.create(month=date(2024, 6, 1))
    return CostLine.objects.create(
        month=month,
        category=CostCategory.objects.get(name="人工成本"),
        sub_item="销售人员绩效",
        department=org["销售部"],
        budget=Decimal(200_000),
        actual=Decimal(230_000),
    )


def test_a_cost_variance_the_user_may_not_read_is_refused(
    org: dict[str, Department], owner: Any, outsider: Any
) -> None:
    line = _sales_line(org)
    url = u("create") + f"?origin=cost_variance&ref={line.pk}"
    response = client_for(owner).get(url, follow=True)  # 采购部 does not read 销售部's lines
    assert response.redirect_chain == [(u("list"), 302)]
    assert _messages(response) == ["The finding to start from was not found."]
    assert (
        "230,000" not in response.content.decode()
        and "销售人员绩效" not in response.content.decode()
    )
    # posting it does not store it either
    response = client_for(owner).post(
        u("create"), {"origin": "cost_variance", "ref": line.pk, "name": "x"}
    )
    assert response.status_code == 302 and not Project.objects.exists()
    # its own department reads it
    response = client_for(outsider).get(url)
    assert response.status_code == 200
    assert "销售人员绩效" in response.content.decode()


def test_a_project_from_a_cost_line_hides_the_finding_from_others(
    org: dict[str, Department], outsider: Any, owner: Any
) -> None:
    line = _sales_line(org)
    client = client_for(outsider)
    url = u("create") + f"?origin=cost_variance&ref={line.pk}"
    response = client.post(u("create"), form_data(client, url, ""))
    assert response.status_code == 302
    project = Project.objects.get()
    assert project.origin_kind == "cost_variance" and project.origin_ref == line.pk
    assert 'data-testid="origin"' in client.get(project.get_absolute_url()).content.decode()
    html = client_for(owner).get(project.get_absolute_url()).content.decode()
    assert 'data-testid="origin"' not in html and project.origin_summary not in html


def test_an_unknown_finding_is_an_error_not_a_crash(owner: Any, procurement: Process) -> None:
    client = client_for(owner)
    for query in (
        "?origin=bottleneck&ref=999999",
        "?origin=bottleneck&ref=abc",
        "?origin=bottleneck",
        "?origin=nonsense&ref=1",
        "?origin=quality&ref=999999",
        "?origin=kpi_review&ref=999999",
    ):
        response = client.get(u("create") + query, follow=True)
        assert response.status_code == 200, query
        assert _messages(response) == ["The finding to start from was not found."], query
    assert not Project.objects.exists()
    # without an origin, a free project
    response = client.get(u("create"))
    assert response.status_code == 200 and 'data-testid="origin"' not in response.content.decode()
