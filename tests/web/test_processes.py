"""T1 in the browser's place: create a process, add steps, ECRS into to-be versions, compare."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from opslens.web.processes.models import EcrsChange, Process, ProcessVersion, Step
from opslens.web.processes.services import derive_version, version_table
from tests.web.conftest import client_for
from tests.web.helpers import snapshot


def u(name: str, *args: Any) -> str:
    return reverse(f"processes:{name}", args=args)


def names(version: ProcessVersion) -> list[str]:
    return list(version.steps.values_list("name", flat=True))


def total(version: ProcessVersion) -> Decimal:
    return version_table(version).summary.total_hours


def steps_of(process: Process) -> dict[str, Step]:
    assert process.as_is is not None
    return {s.name: s for s in process.as_is.steps.all()}


def text(response: Any) -> str:
    return response.content.decode()


# --- creating a process --------------------------------------------------------------------


def test_create_a_process_creates_its_as_is_version_and_opens_it(org: Any, owner: Any) -> None:
    response = client_for(owner).post(
        u("create"),
        {
            "name": "报销审批流程",
            "departments": [org["采购部"].pk, org["财务部"].pk],
            "start_point": "提交报销单",
            "end_point": "完成付款",
            "record_date": "2024-05-20",
            "description": "试点",
        },
    )
    process = Process.objects.get(name="报销审批流程")
    version = process.versions.get()
    assert version.kind == ProcessVersion.Kind.AS_IS
    assert response.status_code == 302
    assert response["Location"] == u("version", process.pk, version.pk)
    assert set(process.departments.values_list("name", flat=True)) == {"采购部", "财务部"}
    assert str(process.record_date) == "2024-05-20"
    page = text(client_for(owner).get(response["Location"]))
    assert "报销审批流程" in page
    assert 'id="step-add"' in page


def test_a_head_must_include_their_own_department(org: Any, owner: Any) -> None:
    before = snapshot()
    response = client_for(owner).post(
        u("create"),
        {"name": "销售流程", "departments": [org["销售部"].pk], "record_date": "2024-05-20"},
    )
    assert response.status_code == 200
    assert "Include your own department" in text(response)
    assert snapshot() == before


def test_a_process_needs_a_name_and_a_department(org: Any, admin: Any) -> None:
    response = client_for(admin).post(u("create"), {"record_date": "2024-05-20"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"name", "departments"}
    assert not Process.objects.exists()


def test_a_head_cannot_edit_their_department_out_of_a_process(
    procurement: Process, org: Any, owner: Any
) -> None:
    response = client_for(owner).post(
        u("edit", procurement.pk),
        {"name": procurement.name, "departments": [org["财务部"].pk], "record_date": "2024-05-20"},
    )
    assert response.status_code == 200
    assert "Include your own department" in text(response)
    assert set(procurement.departments.values_list("name", flat=True)) == {"采购部", "财务部"}


# --- steps ---------------------------------------------------------------------------------


def test_the_version_page_shows_the_seed_figures(procurement: Process, viewer: Any) -> None:
    as_is = procurement.as_is
    page = text(client_for(viewer).get(u("version", procurement.pk, as_is.pk)))
    assert '<div class="v" data-testid="total-hours">97 h</div>' in page
    assert '<div class="v" data-testid="bottleneck">总经理审批</div>' in page
    assert "49.5%" in page
    # the bottleneck row is marked, and only that one
    assert page.count('class="bottleneck" data-step=') == 1
    assert 'class="bottleneck" data-step="总经理审批"' in page


def test_add_a_step_with_a_plain_post(procurement: Process, owner: Any) -> None:
    as_is = procurement.as_is
    response = client_for(owner).post(
        u("step_add", procurement.pk, as_is.pk),
        {"name": "采购入库", "role": "仓管员", "hours": "3", "return_rate": "2.5"},
    )
    assert response.status_code == 302
    assert response["Location"] == u("version", procurement.pk, as_is.pk)
    step = as_is.steps.get(name="采购入库")
    assert (step.position, step.stage, step.hours, step.return_rate) == (
        6,
        6,
        Decimal(3),
        Decimal("2.5"),
    )
    assert total(as_is) == 100


def test_add_a_step_with_htmx_returns_the_table_partial(procurement: Process, colleague: Any):
    as_is = procurement.as_is
    response = client_for(colleague).post(
        u("step_add", procurement.pk, as_is.pk),
        {"name": "采购入库", "hours": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="steps-table">')
    assert "<html" not in body
    assert "采购入库" in body
    assert 'data-testid="total-hours">100 h<' in body
    assert response["HX-Trigger"] == "stepAdded"
    assert as_is.steps.count() == 6


def test_invalid_hours_with_htmx_answer_422_and_retarget_the_form(
    procurement: Process, owner: Any
) -> None:
    before = snapshot()
    response = client_for(owner).post(
        u("step_add", procurement.pk, procurement.as_is.pk),
        {"name": "采购入库", "hours": "abc"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#step-add"
    assert response["HX-Reswap"] == "outerHTML"
    body = text(response)
    assert 'id="step-add"' in body
    assert "Enter a number." in body
    assert 'value="采购入库"' in body  # what was typed is kept
    assert snapshot() == before


def test_invalid_step_without_htmx_rerenders_the_page_with_422(
    procurement: Process, owner: Any
) -> None:
    before = snapshot()
    response = client_for(owner).post(
        u("step_add", procurement.pk, procurement.as_is.pk), {"name": "", "hours": "-1"}
    )
    assert response.status_code == 422
    errors = response.context["step_form"].errors
    assert set(errors) == {"name", "hours"}
    assert "<html" in text(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "error_field", "message"),
    [
        (
            {"hours": "10", "hours_min": "12"},
            "hours_min",
            "The minimum cannot exceed the most likely duration.",
        ),
        (
            {"hours": "10", "hours_max": "8"},
            "hours_max",
            "The maximum cannot be below the most likely duration.",
        ),
        ({"hours": "10", "return_rate": "120"}, "return_rate", "less than or equal to 100"),
    ],
)
def test_step_edit_rejects_inconsistent_hours(
    procurement: Process, owner: Any, fields: dict[str, str], error_field: str, message: str
) -> None:
    step = steps_of(procurement)["采购部审核"]
    before = snapshot()
    response = client_for(owner).post(
        u("step_edit", procurement.pk, step.pk), {"name": "采购部审核", **fields}
    )
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[error_field])
    assert snapshot() == before


def test_step_add_rejects_min_above_likely(procurement: Process, owner: Any) -> None:
    before = snapshot()
    response = client_for(owner).post(
        u("step_add", procurement.pk, procurement.as_is.pk),
        {"name": "验收", "hours": "2", "hours_min": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "The minimum cannot exceed the most likely duration." in text(response)
    assert snapshot() == before


def test_three_point_estimate_shows_pert(procurement: Process, owner: Any) -> None:
    step = steps_of(procurement)["采购部审核"]
    response = client_for(owner).post(
        u("step_edit", procurement.pk, step.pk),
        {"name": "采购部审核", "hours": "12", "hours_min": "6", "hours_max": "30"},
    )
    assert response.status_code == 302
    page = text(client_for(owner).get(response["Location"]))
    assert "6–30 · PERT 14" in page  # (6 + 4×12 + 30) / 6 = 14


def test_move_a_step_up_and_down(procurement: Process, owner: Any) -> None:
    as_is = procurement.as_is
    client = client_for(owner)
    step = steps_of(procurement)["财务部复核"]
    response = client.post(u("step_move", procurement.pk, step.pk, "up"))
    assert response.status_code == 302
    assert names(as_is) == ["填写申请表", "部门经理审批", "财务部复核", "采购部审核", "总经理审批"]
    assert list(as_is.steps.values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    response = client.post(u("step_move", procurement.pk, step.pk, "down"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="steps-table"' in text(response)
    assert names(as_is) == ["填写申请表", "部门经理审批", "采购部审核", "财务部复核", "总经理审批"]
    # the first step cannot go further up, the last one no further down
    first, last = as_is.steps.first(), as_is.steps.last()
    client.post(u("step_move", procurement.pk, first.pk, "up"))
    client.post(u("step_move", procurement.pk, last.pk, "down"))
    assert names(as_is)[0] == "填写申请表"
    assert names(as_is)[-1] == "总经理审批"
    assert total(as_is) == 97


def test_delete_a_step_renumbers_positions_and_stages(procurement: Process, owner: Any) -> None:
    as_is = procurement.as_is
    step = steps_of(procurement)["部门经理审批"]
    response = client_for(owner).post(u("step_delete", procurement.pk, step.pk))
    assert response.status_code == 302
    assert not Step.objects.filter(pk=step.pk).exists()
    rows = list(as_is.steps.values_list("name", "position", "stage"))
    assert rows == [
        ("填写申请表", 1, 1),
        ("采购部审核", 2, 2),
        ("财务部复核", 3, 3),
        ("总经理审批", 4, 4),
    ]
    assert total(as_is) == 73


def test_delete_a_step_with_htmx_returns_the_table(procurement: Process, owner: Any) -> None:
    step = steps_of(procurement)["总经理审批"]
    response = client_for(owner).post(
        u("step_delete", procurement.pk, step.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = text(response)
    assert 'id="steps-table"' in body
    assert 'data-testid="total-hours">49 h<' in body
    assert 'data-testid="bottleneck">部门经理审批<' in body


# --- ECRS ----------------------------------------------------------------------------------


def ecrs(client: Any, process: Process, step: Step, **data: Any) -> Any:
    return client.post(u("step_ecrs", process.pk, step.pk), {"target": "new", **data})


def only_to_be(process: Process) -> ProcessVersion:
    return process.versions.get(kind=ProcessVersion.Kind.TO_BE)


def test_eliminate_the_bottleneck_into_a_new_to_be_version(procurement: Process, owner: Any):
    as_is = procurement.as_is
    before = list(as_is.steps.values())
    gm = steps_of(procurement)["总经理审批"]
    response = ecrs(client_for(owner), procurement, gm, kind="eliminate", note="权限下放")
    to_be = only_to_be(procurement)
    assert response.status_code == 302
    assert response["Location"] == to_be.get_absolute_url()
    assert to_be.parent == as_is
    assert names(to_be) == ["填写申请表", "部门经理审批", "采购部审核", "财务部复核"]
    assert total(to_be) == 49
    change = EcrsChange.objects.get()
    assert (change.version, change.kind, change.step_name) == (to_be, "eliminate", "总经理审批")
    assert (change.hours_before, change.hours_after) == (97, 49)
    assert change.note == "权限下放"
    assert change.created_by == owner
    # the as-is version is never changed by ECRS
    assert list(as_is.steps.values()) == before
    assert total(as_is) == 97
    page = text(client_for(owner).get(response["Location"]))
    assert "总经理审批 removed" in page
    assert 'data-testid="saving">saves 48 h (49.5%)<' in page


def test_combine_two_steps(procurement: Process, owner: Any) -> None:
    steps = steps_of(procurement)
    response = ecrs(
        client_for(owner),
        procurement,
        steps["部门经理审批"],
        kind="combine",
        other=steps["采购部审核"].pk,
    )
    assert response.status_code == 302
    to_be = only_to_be(procurement)
    assert names(to_be) == ["填写申请表", "部门经理审批 + 采购部审核", "财务部复核", "总经理审批"]
    merged = to_be.steps.get(position=2)
    assert merged.hours == 36
    assert merged.role == "部门经理、采购专员"
    assert merged.origin == steps["部门经理审批"]
    assert total(to_be) == 97
    change = EcrsChange.objects.get()
    assert (change.kind, change.other_step_name) == ("combine", "采购部审核")


def test_combine_with_a_new_duration_and_name(procurement: Process, owner: Any) -> None:
    steps = steps_of(procurement)
    ecrs(
        client_for(owner),
        procurement,
        steps["采购部审核"],
        kind="combine",
        other=steps["财务部复核"].pk,
        new_hours="16",
        new_name="联合审核",
    )
    to_be = only_to_be(procurement)
    assert to_be.steps.get(name="联合审核").hours == 16
    assert total(to_be) == 89
    assert EcrsChange.objects.get().hours_after == 89


def test_simplify_a_step(procurement: Process, owner: Any) -> None:
    gm = steps_of(procurement)["总经理审批"]
    ecrs(client_for(owner), procurement, gm, kind="simplify", new_hours="8")
    to_be = only_to_be(procurement)
    assert to_be.steps.get(name="总经理审批").hours == 8
    assert total(to_be) == 57
    assert version_table(to_be).bottleneck.name == "部门经理审批"
    change = EcrsChange.objects.get()
    assert (change.hours_before, change.hours_after) == (97, 57)
    assert change.detail == "总经理审批 now takes 8 h"


def test_rearrange_to_a_position(procurement: Process, owner: Any) -> None:
    gm = steps_of(procurement)["总经理审批"]
    response = ecrs(client_for(owner), procurement, gm, kind="rearrange", position="1")
    assert response.status_code == 302
    to_be = only_to_be(procurement)
    assert names(to_be) == ["总经理审批", "填写申请表", "部门经理审批", "采购部审核", "财务部复核"]
    assert list(to_be.steps.values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    assert total(to_be) == 97


def test_rearrange_in_parallel_shortens_the_elapsed_time(procurement: Process, owner: Any):
    steps = steps_of(procurement)
    response = ecrs(
        client_for(owner),
        procurement,
        steps["财务部复核"],
        kind="rearrange",
        parallel_with=steps["采购部审核"].pk,
    )
    assert response.status_code == 302
    to_be = only_to_be(procurement)
    rows = list(to_be.steps.values_list("name", "stage"))
    assert rows == [
        ("填写申请表", 1),
        ("部门经理审批", 2),
        ("采购部审核", 3),
        ("财务部复核", 3),
        ("总经理审批", 4),
    ]
    assert total(to_be) == 85
    change = EcrsChange.objects.get()
    assert (change.hours_before, change.hours_after) == (97, 85)
    assert change.detail == "财务部复核 runs in parallel with 采购部审核"
    page = text(client_for(owner).get(to_be.get_absolute_url()))
    assert 'data-testid="total-hours">85 h<' in page
    assert "work content (sum of steps)" in page  # 97 h of work, 85 h elapsed


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "combine"}, "other", "Choose the step to merge with."),
        ({"kind": "simplify"}, "new_hours", "Give the new duration."),
        ({"kind": "rearrange"}, "position", "Give a new position or a step to run in parallel"),
        ({"kind": "simplify", "new_hours": "-1"}, "new_hours", "greater than or equal to 0"),
        ({"kind": "teleport"}, "kind", "Select a valid choice"),
    ],
)
def test_invalid_ecrs_is_a_form_error_and_changes_nothing(
    procurement: Process, owner: Any, data: dict[str, str], field: str, message: str
) -> None:
    before = snapshot()
    gm = steps_of(procurement)["总经理审批"]
    response = ecrs(client_for(owner), procurement, gm, **data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "simplify", "new_hours": "60"}, "cannot make it longer"),
        ({"kind": "rearrange", "position": "9"}, "positions go from 0 to 4"),
        ({"kind": "eliminate", "new_name": "x"}, "takes no new_name"),
    ],
)
def test_impossible_ecrs_is_a_form_error_and_creates_no_version(
    procurement: Process, owner: Any, data: dict[str, str], message: str
) -> None:
    before = snapshot()
    gm = steps_of(procurement)["总经理审批"]
    response = ecrs(client_for(owner), procurement, gm, **data)
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].non_field_errors())
    assert snapshot() == before  # the new to-be version was rolled back too


def test_ecrs_on_a_to_be_step_changes_that_version_in_place(
    procurement: Process, to_be: ProcessVersion, owner: Any
) -> None:
    client = client_for(owner)
    copy = to_be.steps.get(name="总经理审批")
    form = client.get(u("step_ecrs", procurement.pk, copy.pk)).context["form"]
    assert [value for value, _label in form.fields["target"].choices] == [str(to_be.pk)]
    response = client.post(
        u("step_ecrs", procurement.pk, copy.pk),
        {"target": str(to_be.pk), "kind": "simplify", "new_hours": "24"},
    )
    assert response.status_code == 302
    assert response["Location"] == to_be.get_absolute_url()
    assert procurement.versions.count() == 2
    copy.refresh_from_db()
    assert copy.hours == 24
    assert total(to_be) == 73
    assert total(procurement.as_is) == 97
    # a second change on the same version
    other = to_be.steps.get(name="财务部复核")
    client.post(
        u("step_ecrs", procurement.pk, copy.pk),
        {"target": str(to_be.pk), "kind": "combine", "other": str(other.pk)},
    )
    assert total(to_be) == 73
    assert list(to_be.ecrs_changes.values_list("kind", "hours_before", "hours_after")) == [
        ("simplify", Decimal(97), Decimal(73)),
        ("combine", Decimal(73), Decimal(73)),
    ]


def test_ecrs_from_an_as_is_step_into_an_existing_to_be_version(
    procurement: Process, to_be: ProcessVersion, owner: Any
) -> None:
    steps = steps_of(procurement)
    client = client_for(owner)
    response = client.post(
        u("step_ecrs", procurement.pk, steps["总经理审批"].pk),
        {"target": str(to_be.pk), "kind": "eliminate"},
    )
    assert response.status_code == 302
    assert procurement.versions.count() == 2
    assert total(to_be) == 49
    # the step is gone from that version now: a second change on it cannot be applied
    before = snapshot()
    response = client.post(
        u("step_ecrs", procurement.pk, steps["总经理审批"].pk),
        {"target": str(to_be.pk), "kind": "simplify", "new_hours": "1"},
    )
    assert response.status_code == 422
    assert "not both in the target version" in text(response)
    assert snapshot() == before


# --- versions and comparison ---------------------------------------------------------------


def test_compare_page_numbers(procurement: Process, owner: Any) -> None:
    client = client_for(owner)
    gm = steps_of(procurement)["总经理审批"]
    ecrs(client, procurement, gm, kind="eliminate")
    to_be = only_to_be(procurement)
    response = client.get(u("compare", procurement.pk))
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert (comparison.total_before, comparison.total_after) == (97, 49)
    assert comparison.saving_hours == 48
    page = text(response)
    assert 'data-testid="compare-saving">−48 h<' in page
    assert "saving 49.5%" in page
    row = next(r for r in comparison.rows if r.name == "总经理审批")
    assert (row.hours_before, row.hours_after) == (48, None)
    # explicit choice of the two versions, the other way round
    swapped = client.get(u("compare", procurement.pk) + f"?a={to_be.pk}&b={procurement.as_is.pk}")
    assert swapped.context["comparison"].saving_hours == -48


def test_compare_without_a_to_be_version_redirects(procurement: Process, viewer: Any) -> None:
    response = client_for(viewer).get(u("compare", procurement.pk))
    assert response.status_code == 302
    assert response["Location"] == u("detail", procurement.pk)


def test_process_page_lists_versions_with_savings(procurement: Process, owner: Any) -> None:
    gm = steps_of(procurement)["总经理审批"]
    ecrs(client_for(owner), procurement, gm, kind="eliminate")
    page = text(client_for(owner).get(u("detail", procurement.pk)))
    assert "−48 h (49.5%)" in page


def test_derive_then_delete_a_to_be_version(procurement: Process, owner: Any) -> None:
    client = client_for(owner)
    as_is = procurement.as_is
    response = client.post(u("derive", procurement.pk, as_is.pk), {"label": "方案A"})
    to_be = procurement.versions.get(label="方案A")
    assert response["Location"] == to_be.get_absolute_url()
    assert (to_be.kind, to_be.status, to_be.parent) == ("to_be", "draft", as_is)
    assert names(to_be) == names(as_is)
    assert all(s.origin is not None and s.origin.version == as_is for s in to_be.steps.all())
    # derive without a label numbers the version
    client.post(u("derive", procurement.pk, as_is.pk))
    assert procurement.versions.filter(label="To-be 2").exists()
    assert client.get(u("version_delete", procurement.pk, to_be.pk)).status_code == 200
    response = client.post(u("version_delete", procurement.pk, to_be.pk))
    assert response.status_code == 302
    assert response["Location"] == u("detail", procurement.pk)
    assert not ProcessVersion.objects.filter(pk=to_be.pk).exists()
    assert as_is.steps.count() == 5


def test_the_as_is_version_cannot_be_deleted(procurement: Process, admin: Any) -> None:
    as_is = procurement.as_is
    before = snapshot()
    client = client_for(admin)
    assert client.get(u("version_delete", procurement.pk, as_is.pk)).status_code == 302
    response = client.post(u("version_delete", procurement.pk, as_is.pk))
    assert response.status_code == 302
    assert response["Location"] == as_is.get_absolute_url()
    assert snapshot() == before
    page = text(client.get(response["Location"]))
    assert "The as-is version cannot be deleted" in page


def test_edit_a_version_status(procurement: Process, to_be: ProcessVersion, owner: Any):
    response = client_for(owner).post(
        u("version_edit", procurement.pk, to_be.pk),
        {"label": "方案", "status": "standard", "notes": "全面推行"},
    )
    assert response.status_code == 302
    to_be.refresh_from_db()
    assert (to_be.label, to_be.status, to_be.notes) == ("方案", "standard", "全面推行")


def test_delete_a_process(procurement: Process, to_be: ProcessVersion, owner: Any) -> None:
    client = client_for(owner)
    assert "采购申请审批流程" in text(client.get(u("delete", procurement.pk)))
    response = client.post(u("delete", procurement.pk))
    assert response["Location"] == u("list")
    assert not Process.objects.exists()
    assert not Step.objects.exists()


def test_process_list_filters(procurement: Process, org: Any, outsider: Any) -> None:
    client = client_for(outsider)
    listed = text(client.get(u("list")))
    assert "采购申请审批流程" in listed
    assert "97 h" in listed
    assert "总经理审批" in listed
    found = text(client.get(u("list") + "?q=财务部复核"))
    assert "采购申请审批流程" in found
    missing = text(client.get(u("list") + "?q=不存在的步骤"))
    assert "采购申请审批流程" not in missing
    by_dept = text(client.get(u("list") + f"?departments={org['销售部'].pk}"))
    assert "采购申请审批流程" not in by_dept


def test_move_a_step_next_to_parallel_steps_does_not_crash(
    procurement: Process, owner: Any
) -> None:
    """采购部审核 ∥ 财务部复核 share a stage; moving 总经理审批 up lands inside that pair."""
    steps = steps_of(procurement)
    client = client_for(owner)
    ecrs(
        client,
        procurement,
        steps["财务部复核"],
        kind="rearrange",
        parallel_with=steps["采购部审核"].pk,
    )
    to_be = only_to_be(procurement)
    gm = to_be.steps.get(name="总经理审批")
    response = client.post(u("step_move", procurement.pk, gm.pk, "up"))
    assert response.status_code in (200, 302, 422)
    assert set(names(to_be)) == {
        "填写申请表",
        "部门经理审批",
        "采购部审核",
        "财务部复核",
        "总经理审批",
    }
    assert sorted(to_be.steps.values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_a_to_be_version_derived_from_a_to_be_version_compares_with_the_as_is(
    procurement: Process, to_be: ProcessVersion, owner: Any
) -> None:
    gm = to_be.steps.get(name="总经理审批")
    client = client_for(owner)
    client.post(
        u("step_ecrs", procurement.pk, gm.pk),
        {"target": str(to_be.pk), "kind": "simplify", "new_hours": "24"},
    )
    grandchild = derive_version(to_be, label="二期")
    response = client.get(
        u("compare", procurement.pk) + f"?a={procurement.as_is.pk}&b={grandchild.pk}"
    )
    comparison = response.context["comparison"]
    row = next(r for r in comparison.rows if r.name == "总经理审批")
    assert (row.hours_before, row.hours_after) == (48, 24)
    assert len(comparison.rows) == 5
    assert re.search(r'data-testid="compare-saving">−24 h<', text(response))


def test_ecrs_from_the_as_is_into_a_to_be_version_derived_from_a_to_be_version(
    procurement: Process, to_be: ProcessVersion, owner: Any
) -> None:
    """The form offers every to-be version as a target; each must accept the as-is step."""
    grandchild = derive_version(to_be, label="二期")
    gm = steps_of(procurement)["总经理审批"]
    client = client_for(owner)
    form = client.get(u("step_ecrs", procurement.pk, gm.pk)).context["form"]
    assert str(grandchild.pk) in [value for value, _label in form.fields["target"].choices]
    response = client.post(
        u("step_ecrs", procurement.pk, gm.pk),
        {"target": str(grandchild.pk), "kind": "eliminate"},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert total(grandchild) == 49
    assert total(to_be) == 97


def test_a_superuser_without_a_person_edits_everything(procurement: Process, db: None) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = client_for(root)
    page = client.get(u("version", procurement.pk, procurement.as_is.pk)).content.decode()
    assert 'id="step-add"' in page
    assert client.get("/").status_code == 200
    response = client.post(
        u("step_add", procurement.pk, procurement.as_is.pk), {"name": "归档", "hours": "1"}
    )
    assert response.status_code == 302
    assert procurement.as_is.steps.count() == 6


def test_an_analyst_of_an_owning_department_edits(procurement: Process, org: Any) -> None:
    from django.contrib.auth import get_user_model

    from opslens.web.org.models import Person, Role

    user = get_user_model().objects.create_user("ana", password="pw")
    Person.objects.create(name="郑宇", department=org["财务部"], role=Role.ANALYST, user=user)
    step = steps_of(procurement)["财务部复核"]
    response = client_for(user).post(
        u("step_edit", procurement.pk, step.pk), {"name": "财务部复核", "hours": "6"}
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.hours == 6


def test_combining_two_long_step_names_does_not_crash(procurement: Process, owner: Any) -> None:
    """Step names may hold 200 characters; the ECRS log's detail only 300 (PostgreSQL enforces)."""
    as_is = procurement.as_is
    a = as_is.steps.get(name="采购部审核")
    b = as_is.steps.get(name="财务部复核")
    Step.objects.filter(pk=a.pk).update(name="采购部审核库存与供应商资质" * 6)  # 78 characters
    Step.objects.filter(pk=b.pk).update(name="财务部复核预算与付款条件" * 7)  # 84 characters
    response = ecrs(client_for(owner), procurement, a, kind="combine", other=str(b.pk))
    assert response.status_code in (302, 422)
    if response.status_code == 302:  # merged as "A + B", 165 characters: a valid step name
        change = EcrsChange.objects.get()
        assert len(change.detail) <= EcrsChange._meta.get_field("detail").max_length
        merged = only_to_be(procurement).steps.get(position=3)
        assert (
            merged.name == f"{'采购部审核库存与供应商资质' * 6} + {'财务部复核预算与付款条件' * 7}"
        )
