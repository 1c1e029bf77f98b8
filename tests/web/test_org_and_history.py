"""The organisation pages and the change history shown on every record's page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.urls import reverse

from opslens.web.org.models import Person, Role
from opslens.web.processes.models import Process, Remedy, Step
from tests.web.conftest import client_for


def u(name: str, *args: Any) -> str:
    return reverse(f"processes:{name}", args=args)


def history_section(page: str) -> str:
    """The HTML of the change-history card."""
    start = page.index('id="history"')
    return page[start : page.index("</section>", start)]


def history_cells(page: str) -> list[list[str]]:
    """The history table's rows as [when, who, record, what], newest first."""
    section = history_section(page)
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)[1:]
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]
        for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows)
    ]


def history_rows(page: str) -> list[str]:
    """The history table's rows as plain text, newest first."""
    section = history_section(page)
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)[1:]  # skip the header row
    texts = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    return [t.replace(" :", ":") for t in texts]


# --- organisation --------------------------------------------------------------------------


def test_departments_list_heads_people_and_processes(
    procurement: Process, owner: Any, colleague: Any, viewer: Any
) -> None:
    page = client_for(viewer).get(reverse("org:departments")).content.decode()
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S) if "采购部" in r)
    assert "王强" in row  # the head
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "1"]  # people, processes


def test_department_page(procurement: Process, owner: Any, colleague: Any, viewer: Any) -> None:
    response = client_for(viewer).get(reverse("org:department", args=["caigou"]))
    page = response.content.decode()
    assert "王强" in page and "马丽" in page
    assert procurement.get_absolute_url() in page
    assert client_for(viewer).get(reverse("org:department", args=["nope"])).status_code == 404


def test_people_and_person_pages(procurement: Process, owner: Any, viewer: Any) -> None:
    gm = Step.objects.get(version=procurement.as_is, name="总经理审批")
    Remedy.objects.create(
        step=gm,
        what="调整审批额度",
        owner=owner.person,
        due_date=date(2030, 1, 1),
        verification="v",
    )
    nobody = Person.objects.create(
        name="钱程", role=Role.MEMBER, department=owner.person.department
    )
    client = client_for(viewer)
    people = client.get(reverse("org:people")).content.decode()
    assert "王强" in people and "钱程" in people and "何总" in people
    person = client.get(reverse("org:person", args=[owner.person.pk])).content.decode()
    assert "调整审批额度" in person
    assert "Department head" in person
    assert "no login" in client.get(reverse("org:person", args=[nobody.pk])).content.decode()
    assert client.get(reverse("org:person", args=[99999])).status_code == 404


def test_department_history_records_new_people(owner: Any, viewer: Any) -> None:
    page = client_for(viewer).get(reverse("org:department", args=["caigou"])).content.decode()
    assert any("王强" in row and "created" in row for row in history_rows(page))


# --- change history ------------------------------------------------------------------------


def test_editing_a_step_shows_who_what_and_old_to_new(procurement: Process, owner: Any) -> None:
    client = client_for(owner)
    step = Step.objects.get(version=procurement.as_is, name="采购部审核")
    response = client.post(
        u("step_edit", procurement.pk, step.pk),
        {
            "name": "采购部审核",
            "role": "采购经理",
            "inputs": "申请表、库存表",
            "outputs": "审核结果",
            "hours": "10",
        },
    )
    assert response.status_code == 302
    page = client.get(u("detail", procurement.pk)).content.decode()
    rows = history_rows(page)
    edit = rows[0]  # newest first
    assert "王强" in edit  # the person's name, not the username
    assert "owner" not in edit
    assert "采购部审核" in edit
    assert re.search(r"hours: 12(\.00)? → 10(\.00)?", edit), edit
    assert "role: 采购专员 → 采购经理" in edit
    # unchanged fields are not listed
    assert "input:" not in edit and "output:" not in edit
    # the step page has the same entry
    step_page = client.get(u("step", procurement.pk, step.pk)).content.decode()
    assert "role: 采购专员 → 采购经理" in history_rows(step_page)[0]


def test_a_deleted_step_stays_in_the_history(procurement: Process, colleague: Any) -> None:
    client = client_for(colleague)
    step = Step.objects.get(version=procurement.as_is, name="填写申请表")
    client.post(u("step_delete", procurement.pk, step.pk))
    rows = history_rows(client.get(u("detail", procurement.pk)).content.decode())
    deleted = [r for r in rows if "填写申请表" in r and "deleted" in r]
    assert len(deleted) == 1
    assert "马丽" in deleted[0]
    # the renumbering of the remaining steps is recorded too
    assert any("部门经理审批" in r and re.search(r"position: 2 → 1", r) for r in rows)


def test_department_change_on_the_process_is_recorded(
    procurement: Process, org: Any, owner: Any
) -> None:
    client = client_for(owner)
    response = client.post(
        u("edit", procurement.pk),
        {
            "name": procurement.name,
            "departments": [org["采购部"].pk, org["销售部"].pk],
            "start_point": procurement.start_point,
            "end_point": procurement.end_point,
            "record_date": procurement.record_date.isoformat(),
        },
    )
    assert response.status_code == 302
    assert set(procurement.departments.values_list("name", flat=True)) == {"采购部", "销售部"}
    rows = history_rows(client.get(u("detail", procurement.pk)).content.decode())
    changes = []
    for row in rows:
        if "王强" in row and "responsible departments:" in row:
            old, new = row.split("responsible departments:", 1)[1].split("→")
            changes.append((set(old.strip().split("、")), set(new.strip().split("、"))))
    # Django's set() removes, then adds: the edit may show as one or two entries
    assert changes, rows
    assert any("财务部" in old for old, _new in changes)
    assert not any("财务部" in new for _old, new in changes[:1])
    assert changes[0][1] == {"采购部", "销售部"}  # newest first: the final state


def test_ecrs_and_root_causes_show_in_the_process_history(procurement: Process, owner: Any) -> None:
    client = client_for(owner)
    gm = Step.objects.get(version=procurement.as_is, name="总经理审批")
    client.post(u("why_new", procurement.pk, gm.pk), {"problem": "审批慢", "why_1": "排队"})
    client.post(u("step_ecrs", procurement.pk, gm.pk), {"target": "new", "kind": "eliminate"})
    rows = history_rows(client.get(u("detail", procurement.pk)).content.decode())
    assert any("审批慢" in r and "created" in r for r in rows)
    # the to-be copy of 总经理审批 was created by the derivation and deleted by the ECRS change
    assert any("总经理审批" in r and "deleted" in r and "王强" in r for r in rows)


def test_history_without_a_user_shows_a_dash(procurement: Process, viewer: Any) -> None:
    Step.objects.filter(version=procurement.as_is, name="采购部审核").get().delete()
    cells = history_cells(client_for(viewer).get(u("detail", procurement.pk)).content.decode())
    assert cells[0][1:] == ["—", "step · 采购部审核", "deleted"]


def test_deleting_a_step_keeps_its_root_causes_in_the_history(
    procurement: Process, owner: Any
) -> None:
    """The delete page promises "The change history keeps a record" of the root causes."""
    client = client_for(owner)
    gm = Step.objects.get(version=procurement.as_is, name="总经理审批")
    client.post(u("why_new", procurement.pk, gm.pk), {"problem": "审批慢", "why_1": "排队"})
    rows = history_rows(client.get(u("detail", procurement.pk)).content.decode())
    assert any("审批慢" in r and "created" in r for r in rows)
    client.post(u("step_delete", procurement.pk, gm.pk))
    rows = history_rows(client.get(u("detail", procurement.pk)).content.decode())
    assert any("总经理审批" in r and "deleted" in r for r in rows)
    assert any("审批慢" in r and "created" in r for r in rows), rows
    assert any("审批慢" in r and "deleted" in r for r in rows), rows


def test_changing_a_process_departments_is_one_history_entry(
    procurement: Any, admin: Any, org: Any
) -> None:
    """Django sets many-to-many fields by removing then adding; the history shows one change."""
    from opslens.web.common.services import history_of
    from opslens.web.processes.models import Process

    response = client_for(admin).post(
        f"/processes/{procurement.pk}/edit/",
        {
            "name": procurement.name,
            "departments": [org["采购部"].pk, org["销售部"].pk],
            "start_point": procurement.start_point,
            "end_point": procurement.end_point,
            "record_date": procurement.record_date.isoformat(),
            "description": "",
        },
    )
    assert response.status_code == 302
    changes = [
        (c.old, c.new)
        for e in history_of([Process.history.filter(id=procurement.pk)])
        for c in e.changes
    ]
    assert changes == [("财务部、采购部", "采购部、销售部")]


def test_one_save_of_a_name_and_departments_is_one_entry(
    procurement: Any, admin: Any, org: Any
) -> None:
    from opslens.web.common.services import history_of
    from opslens.web.processes.models import Process

    client_for(admin).post(
        f"/processes/{procurement.pk}/edit/",
        {
            "name": "采购审批",
            "departments": [org["采购部"].pk],
            "start_point": procurement.start_point,
            "end_point": procurement.end_point,
            "record_date": procurement.record_date.isoformat(),
        },
    )
    entries = [e for e in history_of([Process.history.filter(id=procurement.pk)]) if e.changes]
    assert len(entries) == 1
    assert {(c.old, c.new) for c in entries[0].changes} == {
        ("采购申请审批流程", "采购审批"),
        ("财务部、采购部", "采购部"),
    }


def test_history_is_reused_until_a_record_changes(org: Any) -> None:
    """The page's change history is computed once and served from the cache while nothing
    changes; a new change (a new history row) shows at once."""
    from unittest import mock

    from opslens.web.common import services as common
    from opslens.web.org.models import Department

    dept = Department.objects.create(code="hist", name="历史部")
    histories = [Department.history.filter(id=dept.pk)]
    first = common.history_of(histories)
    with mock.patch.object(common, "_history_entries", side_effect=AssertionError("recomputed")):
        assert common.history_of([Department.history.filter(id=dept.pk)]) == first
    dept.name = "历史二部"
    dept.save()
    changed = common.history_of([Department.history.filter(id=dept.pk)])
    assert len(changed) == len(first) + 1
    assert changed[0].changes[0].new == "历史二部"
