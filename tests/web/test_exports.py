"""XLSX export and import (the seed's T1 template) and the BPMN 2.0 export."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
from django.urls import reverse
from lxml import etree

from opslens.core.processmap import BPMN_MODEL_NS, read_process_xlsx, write_process_xlsx
from opslens.web.processes.models import Process, ProcessVersion, Step, WhyChain
from tests.web.conftest import client_for
from tests.web.helpers import XLSX_TYPE, snapshot, template_rows, upload, workbook

NS = {"bpmn": BPMN_MODEL_NS}
STEP_COLUMNS = ("name", "role", "department", "inputs", "outputs", "hours", "position", "stage")


def u(name: str, *args: Any) -> str:
    return reverse(f"processes:{name}", args=args)


def rows(version: ProcessVersion) -> list[tuple[Any, ...]]:
    return list(version.steps.values_list(*STEP_COLUMNS))


def export(client: Any, process: Process, version: ProcessVersion) -> bytes:
    response = client.get(u("export_xlsx", process.pk, version.pk))
    assert response.status_code == 200
    return response.content


# --- XLSX export ---------------------------------------------------------------------------


def test_xlsx_export_is_a_named_attachment(procurement: Process, viewer: Any) -> None:
    as_is = procurement.as_is
    response = client_for(viewer).get(u("export_xlsx", procurement.pk, as_is.pk))
    assert response["Content-Type"] == XLSX_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''")
    filename = unquote(disposition.split("''", 1)[1])
    assert filename == "采购申请审批流程-现状.xlsx"
    disposition.encode("ascii")  # the header itself stays ASCII
    sheet = read_process_xlsx(response.content)
    assert sheet.header.name == "采购申请审批流程"
    assert sheet.header.departments == ("采购部", "财务部")
    assert [s.name for s in sheet.steps] == [s.name for s in as_is.steps.all()]
    assert sum(s.hours for s in sheet.steps) == 97


def test_reimport_the_export_as_a_new_process(procurement: Process, owner: Any) -> None:
    client = client_for(owner)
    as_is = procurement.as_is
    Step.objects.filter(version=as_is, name="采购部审核").update(
        hours_min=Decimal(8), hours_max=Decimal(15), return_rate=Decimal(15), system="库存台账"
    )
    data = export(client, procurement, as_is)
    response = client.post(u("import"), {"file": upload(data, "采购.xlsx")})
    assert response.status_code == 302
    copy = Process.objects.exclude(pk=procurement.pk).get()
    assert response["Location"] == copy.as_is.get_absolute_url()
    assert copy.name == procurement.name
    assert (copy.start_point, copy.end_point) == ("提交采购申请", "完成采购入库")
    assert set(copy.departments.values_list("name", flat=True)) == {"采购部", "财务部"}
    assert copy.created_by == owner
    assert rows(copy.as_is) == rows(as_is)
    original = as_is.steps.get(name="采购部审核")
    imported = copy.as_is.steps.get(name="采购部审核")
    for field in ("hours_min", "hours_max", "return_rate", "system"):
        assert getattr(imported, field) == getattr(original, field), field


def test_import_into_an_existing_version_keeps_matched_steps(
    procurement: Process, owner: Any
) -> None:
    client = client_for(owner)
    as_is = procurement.as_is
    gm = as_is.steps.get(name="总经理审批")
    chain = WhyChain.objects.create(step=gm, problem="审批慢", why_1="排队")
    first = as_is.steps.get(name="填写申请表")
    sheet = read_process_xlsx(export(client, procurement, as_is))
    steps = [
        replace(s, hours=Decimal(24)) if s.name == "总经理审批" else s
        for s in sheet.steps
        if s.name != "填写申请表"
    ]
    steps.append(replace(steps[-1], key="new", name="采购入库", hours=Decimal(2), stage=99))
    data = write_process_xlsx(replace(sheet, steps=tuple(steps)))
    response = client.post(
        u("version_import", procurement.pk, as_is.pk), {"file": upload(data, "new.xlsx")}
    )
    assert response.status_code == 302
    assert response["Location"] == as_is.get_absolute_url()
    assert [s.name for s in as_is.steps.all()] == [
        "部门经理审批",
        "采购部审核",
        "财务部复核",
        "总经理审批",
        "采购入库",
    ]
    gm_after = as_is.steps.get(name="总经理审批")
    assert gm_after.pk == gm.pk
    assert gm_after.hours == 24
    assert WhyChain.objects.get(pk=chain.pk).step_id == gm.pk
    assert not Step.objects.filter(pk=first.pk).exists()
    assert list(as_is.steps.values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_a_text_file_renamed_xlsx_is_a_form_error(org: Any, owner: Any) -> None:
    before = snapshot()
    response = client_for(owner).post(
        u("import"), {"file": upload(b"just some text\n", "fake.xlsx")}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["file"])
    assert "fake.xlsx" in errors
    assert "not a readable Excel workbook" in errors
    assert "fake.xlsx" in response.content.decode()
    assert snapshot() == before


def test_bad_hours_name_the_row_and_column(org: Any, owner: Any) -> None:
    steps = [
        ["1.提交报销单", "申请人", "发票", "报销单", 1],
        ["2.部门审批", "部门经理", "报销单", "审批意见", "abc"],
    ]
    before = snapshot()
    response = client_for(owner).post(
        u("import"), {"file": upload(workbook(template_rows(steps=steps)), "bad.xlsx")}
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["file"])
    assert "row 6" in errors
    assert "耗时(小时)" in errors
    assert "abc" in errors
    page = response.content.decode()
    assert "row 6" in page and "耗时(小时)" in page
    assert snapshot() == before


def test_a_sheet_without_the_hours_column_is_a_form_error(org: Any, owner: Any) -> None:
    before = snapshot()
    data = workbook([["流程步骤", "涉及角色"], ["提交", "申请人"]])
    response = client_for(owner).post(u("import"), {"file": upload(data, "nohours.xlsx")})
    assert response.status_code == 200
    assert "耗时(小时)" in " ".join(response.context["form"].errors["file"])
    assert snapshot() == before


def test_unknown_departments_are_named_unless_departments_are_chosen(org: Any, owner: Any) -> None:
    client = client_for(owner)
    data = workbook(template_rows(departments="采购部、研发部、法务部"))
    before = snapshot()
    response = client.post(u("import"), {"file": upload(data)})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["departments"])
    assert "研发部、法务部" in errors
    assert "采购部" not in errors.split(":", 1)[1].split(".")[0]
    assert snapshot() == before
    response = client.post(u("import"), {"file": upload(data), "departments": [org["采购部"].pk]})
    assert response.status_code == 302
    process = Process.objects.get(name="报销审批流程")
    assert list(process.departments.values_list("name", flat=True)) == ["采购部"]
    assert [(s.name, s.hours) for s in process.as_is.steps.all()] == [
        ("提交报销单", Decimal(1)),
        ("部门审批", Decimal(8)),
    ]


def test_import_must_include_the_importers_department(org: Any, owner: Any) -> None:
    before = snapshot()
    data = workbook(template_rows(departments="销售部"))
    response = client_for(owner).post(u("import"), {"file": upload(data)})
    assert response.status_code == 200
    assert "Include your own department" in " ".join(response.context["form"].errors["departments"])
    assert snapshot() == before


def test_version_import_with_unknown_departments_changes_nothing(
    procurement: Process, owner: Any
) -> None:
    before = snapshot()
    data = workbook(template_rows(name="改名", departments="研发部"))
    response = client_for(owner).post(
        u("version_import", procurement.pk, procurement.as_is.pk), {"file": upload(data)}
    )
    assert response.status_code == 200
    assert "研发部" in " ".join(response.context["form"].errors["file"])
    assert snapshot() == before


def test_version_import_cannot_take_the_process_away_from_the_importer(
    procurement: Process, owner: Any
) -> None:
    """The process form refuses to drop the editor's own department; the import must too."""
    before = snapshot()
    data = workbook(template_rows(name="采购申请审批流程", departments="销售部"))
    response = client_for(owner).post(
        u("version_import", procurement.pk, procurement.as_is.pk), {"file": upload(data)}
    )
    assert response.status_code == 200
    assert snapshot() == before
    assert set(procurement.departments.values_list("name", flat=True)) == {"采购部", "财务部"}


def test_importing_the_seeds_bare_table_needs_a_process_name(org: Any, owner: Any) -> None:
    """A sheet with only the step table (no header block) must not make a nameless process."""
    data = workbook(
        [
            ["流程步骤", "涉及角色", "输入内容", "输出内容", "耗时(小时)"],
            ["1.填写申请表", "申请人", "采购需求明细", "申请表", 1],
            ["2.部门经理审批", "部门经理", "申请表", "审批意见", 24],
        ]
    )
    response = client_for(owner).post(
        u("import"), {"file": upload(data, "采购申请.xlsx"), "departments": [org["采购部"].pk]}
    )
    created = list(Process.objects.all())
    if response.status_code == 302:
        assert [p.name for p in created] != [""], "the imported process has an empty name"
    else:
        assert response.status_code == 200
        assert created == []


# --- BPMN ----------------------------------------------------------------------------------


def bpmn(client: Any, process: Process, version: ProcessVersion, query: str = "") -> Any:
    response = client.get(u("export_bpmn", process.pk, version.pk) + query)
    assert response.status_code == 200
    return response, etree.fromstring(response.content)


def test_bpmn_has_one_lane_per_role_and_every_task(procurement: Process, outsider: Any) -> None:
    as_is = procurement.as_is
    response, root = bpmn(client_for(outsider), procurement, as_is, "?by=role")
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert (
        unquote(response["Content-Disposition"].split("''", 1)[1]) == "采购申请审批流程-现状.bpmn"
    )
    lanes = [lane.get("name") for lane in root.iterfind(".//bpmn:lane", NS)]
    assert lanes == ["申请人", "部门经理", "采购专员", "财务经理", "总经理"]
    tasks = [task.get("name") for task in root.iterfind(".//bpmn:userTask", NS)]
    assert tasks == [s.name for s in as_is.steps.all()]
    process = root.find("bpmn:process", NS)
    assert process.get("name") == "采购申请审批流程 · 现状"
    start = root.find(".//bpmn:startEvent", NS)
    assert start.get("name") == "提交采购申请"
    assert root.find(".//bpmn:endEvent", NS).get("name") == "完成采购入库"
    # every task sits in exactly one lane
    refs = [ref.text for ref in root.iterfind(".//bpmn:flowNodeRef", NS)]
    task_ids = [task.get("id") for task in root.iterfind(".//bpmn:userTask", NS)]
    assert all(refs.count(task_id) == 1 for task_id in task_ids)


def test_bpmn_lanes_by_department(procurement: Process, viewer: Any) -> None:
    as_is = procurement.as_is
    departments = {
        "填写申请表": "申请部门",
        "部门经理审批": "申请部门",
        "采购部审核": "采购部",
        "财务部复核": "财务部",
        "总经理审批": "总经办",
    }
    for name, department in departments.items():
        Step.objects.filter(version=as_is, name=name).update(department=department)
    _, root = bpmn(client_for(viewer), procurement, as_is, "?by=department")
    lanes = [lane.get("name") for lane in root.iterfind(".//bpmn:lane", NS)]
    assert lanes == ["申请部门", "采购部", "财务部", "总经办"]
    assert {t.get("name") for t in root.iterfind(".//bpmn:userTask", NS)} == set(departments)
    # the default is lanes by role
    _, by_role = bpmn(client_for(viewer), procurement, as_is)
    assert len(by_role.findall(".//bpmn:lane", NS)) == 5


def test_bpmn_inline_for_the_swimlane_viewer(procurement: Process, viewer: Any) -> None:
    response, root = bpmn(client_for(viewer), procurement, procurement.as_is, "?inline=1")
    assert "Content-Disposition" not in response
    assert root.tag == f"{{{BPMN_MODEL_NS}}}definitions"
    page = client_for(viewer).get(u("swimlane", procurement.pk, procurement.as_is.pk))
    assert u("export_bpmn", procurement.pk, procurement.as_is.pk) + "?by=role&amp;inline=1" in (
        page.content.decode()
    )


def test_bpmn_of_a_parallel_to_be_version_has_gateways(
    procurement: Process, to_be: ProcessVersion, owner: Any
) -> None:
    client = client_for(owner)
    a, b = to_be.steps.get(name="采购部审核"), to_be.steps.get(name="财务部复核")
    client.post(
        u("step_ecrs", procurement.pk, b.pk),
        {"target": str(to_be.pk), "kind": "rearrange", "parallel_with": str(a.pk)},
    )
    _, root = bpmn(client, procurement, to_be)
    gateways = root.findall(".//bpmn:parallelGateway", NS)
    assert [g.get("gatewayDirection") for g in gateways] == ["Diverging", "Converging"]
    assert len(root.findall(".//bpmn:userTask", NS)) == 5


@pytest.mark.parametrize("kind", ["xlsx", "bpmn"])
def test_export_of_an_unknown_version_is_404(procurement: Process, viewer: Any, kind: str):
    response = client_for(viewer).get(u(f"export_{kind}", procurement.pk, 99999))
    assert response.status_code == 404


def test_a_parallel_to_be_version_round_trips_through_xlsx(
    procurement: Process, to_be: ProcessVersion, owner: Any
) -> None:
    client = client_for(owner)
    a, b = to_be.steps.get(name="采购部审核"), to_be.steps.get(name="财务部复核")
    client.post(
        u("step_ecrs", procurement.pk, b.pk),
        {"target": str(to_be.pk), "kind": "rearrange", "parallel_with": str(a.pk)},
    )
    data = export(client, procurement, to_be)
    response = client.post(u("import"), {"file": upload(data, "parallel.xlsx")})
    assert response.status_code == 302
    copy = Process.objects.exclude(pk=procurement.pk).get()
    assert copy.as_is.label == to_be.label
    assert rows(copy.as_is) == rows(to_be)
    page = client.get(copy.as_is.get_absolute_url()).content.decode()
    assert 'data-testid="total-hours">85 h<' in page
