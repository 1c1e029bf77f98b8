"""The subtask form: dependencies that close a cycle are refused with the cycle named, the
first responsible person belongs to the lead department, the lead department does not support
itself, a subtask cannot follow itself; the project form's dates."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from opslens.web.projects.forms import DependencyFormSet
from opslens.web.projects.models import Dependency, Subtask, Support
from tests.web.conftest import client_for
from tests.web.projects.helpers import add_dependency, form_data, u


def _edit(client: Any, subtask: Subtask) -> dict[str, Any]:
    return form_data(client, u("subtask_edit", subtask.pk), "subtask-form")


def test_the_unchanged_form_saves(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    data = _edit(client, plan.d)
    assert data["deps-TOTAL_FORMS"] == "3" and data["deps-INITIAL_FORMS"] == "2"
    response = client.post(u("subtask_edit", plan.d.pk), data)
    assert response.status_code == 302
    assert set(plan.d.dependencies.values_list("predecessor__name", flat=True)) == {
        "供应商评估",
        "合同签订",
    }


def test_a_dependency_closing_a_cycle_is_refused_with_the_cycle_named(
    plan: SimpleNamespace, owner: Any
) -> None:
    client = client_for(owner)
    data = add_dependency(_edit(client, plan.a), plan.b.pk, 1)
    before = Dependency.objects.count()
    response = client.post(u("subtask_edit", plan.a.pk), data)
    assert response.status_code == 200
    html = response.content.decode()
    errors = html.split('data-testid="deps-errors">')[1].split("</ul>")[0]
    assert "These dependencies form a cycle: 需求确认 → 供应商评估 → 需求确认" in errors
    assert Dependency.objects.count() == before
    assert not plan.a.dependencies.exists()


def test_a_longer_cycle_is_named_through_every_subtask(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    data = add_dependency(_edit(client, plan.a), plan.d.pk)
    response = client.post(u("subtask_edit", plan.a.pk), data)
    assert response.status_code == 200
    assert "需求确认 → 供应商评估 → 到货验收 → 需求确认" in response.content.decode()
    assert not plan.a.dependencies.exists()


def test_a_valid_dependency_with_a_lag_saves(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    data = add_dependency(_edit(client, plan.c), plan.b.pk, -1)
    response = client.post(u("subtask_edit", plan.c.pk), data)
    assert response.status_code == 302
    assert {(d.predecessor.name, d.lag_days) for d in plan.c.dependencies.all()} == {
        ("需求确认", 0),
        ("供应商评估", -1),
    }


def test_deleting_a_dependency_through_the_form(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    data = _edit(client, plan.d)
    data["deps-0-DELETE"] = "on"
    assert client.post(u("subtask_edit", plan.d.pk), data).status_code == 302
    assert plan.d.dependencies.count() == 1


def test_a_subtask_cannot_follow_itself(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    data = _edit(client, plan.a)
    # the form does not offer it
    formset = DependencyFormSet(instance=plan.a, prefix="deps")
    assert plan.a not in formset.forms[0].fields["predecessor"].queryset
    data = add_dependency(data, plan.a.pk)
    response = client.post(u("subtask_edit", plan.a.pk), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not plan.a.dependencies.exists()


def test_the_same_predecessor_twice_is_refused(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    data = add_dependency(_edit(client, plan.d), plan.b.pk)
    response = client.post(u("subtask_edit", plan.d.pk), data)
    assert response.status_code == 200
    errors = response.content.decode().split('data-testid="deps-errors">')[1].split("</ul>")[0]
    assert "duplicate" in errors and "predecessor" in errors
    assert plan.d.dependencies.count() == 2


def test_the_responsible_person_belongs_to_the_lead_department(
    plan: SimpleNamespace, owner: Any, outsider: Any
) -> None:
    client = client_for(owner)
    data = _edit(client, plan.a)
    data["responsible"] = str(outsider.person.pk)  # 杨帆 of 销售部; the lead is 采购部
    response = client.post(u("subtask_edit", plan.a.pk), data)
    assert response.status_code == 200
    html = response.content.decode()
    field = html.split('class="field-responsible"')[1].split('<div class="field-')[0]
    assert "杨帆 is not in 采购部" in field
    plan.a.refresh_from_db()
    assert plan.a.responsible.name == "马丽"  # unchanged


def test_the_lead_department_is_not_a_supporting_department(
    plan: SimpleNamespace, owner: Any
) -> None:
    client = client_for(owner)
    data = _edit(client, plan.a)
    index = int(data["supports-INITIAL_FORMS"])
    data[f"supports-{index}-department"] = str(plan.org["采购部"].pk)
    data[f"supports-{index}-contribution"] = "自己支持自己"
    response = client.post(u("subtask_edit", plan.a.pk), data)
    assert response.status_code == 200
    assert "The lead department leads; it does not support itself." in response.content.decode()
    assert not Support.objects.filter(subtask=plan.a).exists()
    # another department supports
    data[f"supports-{index}-department"] = str(plan.org["财务部"].pk)
    assert client.post(u("subtask_edit", plan.a.pk), data).status_code == 302
    assert list(plan.a.supports.values_list("department__name", flat=True)) == ["财务部"]


def test_changing_the_lead_to_a_supporting_department_is_refused(
    plan: SimpleNamespace, owner: Any, cfo: Any
) -> None:
    """供应商评估 is supported by 采购部: making 采购部 its lead is refused in the same post."""
    client = client_for(owner)
    data = _edit(client, plan.b)
    data["lead_department"] = str(plan.org["采购部"].pk)
    data["responsible"] = str(owner.person.pk)
    response = client.post(u("subtask_edit", plan.b.pk), data)
    assert response.status_code == 200
    assert "The lead department leads; it does not support itself." in response.content.decode()
    plan.b.refresh_from_db()
    assert plan.b.lead_department.name == "财务部"


def test_a_new_subtask_is_saved_with_its_rows(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    data = form_data(client, u("subtask_new", plan.project.pk), "subtask-form")
    assert data["position"] == "5"
    data.update(
        name="付款结算",
        deliverable="付款凭证",
        lead_department=str(plan.org["财务部"].pk),
        responsible=str(plan.b.responsible_id),
        duration_days="2",
        milestone="2024-06-25",
    )
    data = add_dependency(data, plan.d.pk, 1)
    data["risks-0-description"] = "发票延迟"
    response = client.post(u("subtask_new", plan.project.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Subtask.objects.get(name="付款结算")
    assert [(d.predecessor.name, d.lag_days) for d in new.dependencies.all()] == [("到货验收", 1)]
    assert list(new.risks.values_list("description", flat=True)) == ["发票延迟"]


def test_project_form_refuses_a_deadline_before_the_start(
    plan: SimpleNamespace, owner: Any
) -> None:
    client = client_for(owner)
    data = form_data(client, u("edit", plan.project.pk), "")
    data["deadline"] = "2024-05-01"
    response = client.post(u("edit", plan.project.pk), data)
    assert response.status_code == 200
    assert "The deadline is before the start date." in response.content.decode()
    plan.project.refresh_from_db()
    assert str(plan.project.deadline) == "2024-06-30"
