"""Closing a month: every line needs its actual, every flagged line a classified cause.

While anything is missing the month stays open and the page lists what blocks it; once the
causes are filled in it closes, and finance can reopen it.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from opslens.web.costs.models import CostCategory, CostLine, CostMonth
from tests.web.conftest import client_for
from tests.web.costs.conftest import add_line
from tests.web.costs.helpers import line_data, snapshot, table, u


def _blockers(html: str) -> list[str]:
    start = html.index('data-testid="blockers"')
    block = html[start : html.index("</ul>", start)]
    return [" ".join(item.split("</li>")[0].split()) for item in block.split("<li>")[1:]]


def _status(world: SimpleNamespace) -> str:
    return CostMonth.objects.get(pk=world.june.pk).status


def test_the_month_closes_only_when_nothing_is_missing(world: SimpleNamespace) -> None:
    june = world.june
    CostLine.objects.filter(sub_item="销售人员绩效").update(cause="", cause_kind="")
    CostLine.objects.filter(sub_item="招待费").update(cause_kind="")  # cause, but no kind
    pending = add_line(june, "待报销差旅", world.org["采购部"], budget=8_000, actual=None)
    add_line(june, "小幅超支", world.org["采购部"], budget=10_000, actual=10_500)  # +5 %: fine
    cfo = client_for(world.users["cfo"])

    page = cfo.get(u("month", "2024-06")).content.decode()
    blockers = _blockers(page)
    assert len(blockers) == 3
    assert any(
        "销售人员绩效" in b and "beyond its threshold without a cause" in b for b in blockers
    )
    assert any("招待费" in b and "not classified as controllable" in b for b in blockers)
    assert any("待报销差旅" in b and "no actual amount yet" in b for b in blockers)
    assert not any("小幅超支" in b for b in blockers)
    # the overview counts the flagged lines without a cause
    overview = cfo.get(u("overview")).content.decode()
    (row,) = [r for r in table(overview, "months") if r.cells[0] == "2024-06"]
    assert row.cells[8] == "2"

    response = cfo.post(u("close", "2024-06"), {"summary": "六月小结"}, follow=True)
    assert "2024-06 cannot be closed yet: 3 lines need attention" in response.content.decode()
    assert _status(world) == CostMonth.Status.OPEN
    assert CostMonth.objects.get(pk=june.pk).closed is None

    # the people responsible fill in what is missing through the line form
    sales = world.lines["销售人员绩效"]
    outsider = client_for(world.users["outsider"])
    saved = outsider.post(
        u("line_edit", sales.pk),
        line_data(sales, cause="销售额超额20%,绩效提成增加", cause_kind="uncontrollable"),
    )
    assert saved.status_code == 302
    entertainment = CostLine.objects.get(sub_item="招待费")
    cfo.post(u("line_edit", entertainment.pk), line_data(entertainment, cause_kind="controllable"))
    assert cfo.post(u("close", "2024-06")).status_code == 302
    assert _status(world) == CostMonth.Status.OPEN  # the actual is still missing
    pending_data = line_data(pending, actual="7600")
    saved = client_for(world.users["owner"]).post(u("line_edit", pending.pk), pending_data)
    assert saved.status_code == 302

    page = cfo.get(u("month", "2024-06")).content.decode()
    assert 'data-testid="blockers"' not in page and "Every line is complete." in page
    response = cfo.post(u("close", "2024-06"), {"summary": "六月小结"}, follow=True)
    assert "2024-06 closed." in response.content.decode()
    month = CostMonth.objects.get(pk=june.pk)
    assert month.status == CostMonth.Status.CLOSED
    assert month.closed is not None and month.closed_by == world.users["cfo"]
    assert month.summary == "六月小结"
    assert 'data-testid="month-status">Closed<' in response.content.decode()

    response = cfo.post(u("reopen", "2024-06"), follow=True)
    assert "2024-06 reopened." in response.content.decode()
    month.refresh_from_db()
    assert month.status == CostMonth.Status.OPEN and month.closed is None
    assert month.closed_by is None


def test_the_seed_month_closes_at_once(world: SimpleNamespace) -> None:
    assert client_for(world.users["admin"]).post(u("close", "2024-06")).status_code == 302
    assert _status(world) == CostMonth.Status.CLOSED


def test_the_form_wants_a_cause_type_for_a_flagged_line(world: SimpleNamespace) -> None:
    line = world.lines["A材料采购"]
    owner = client_for(world.users["owner"])
    before = snapshot()
    response = owner.post(
        u("line_edit", line.pk), line_data(line, cause="供应商涨价", cause_kind="")
    )
    assert response.status_code == 422
    assert "Say whether the cause is controllable or not." in response.content.decode()
    assert snapshot() == before
    # a kind without a cause is refused too
    response = owner.post(u("line_edit", line.pk), line_data(line, cause=""))
    assert response.status_code == 422
    assert "Describe the cause." in response.content.decode()
    assert snapshot() == before


def test_a_line_within_its_threshold_needs_no_cause_type(world: SimpleNamespace) -> None:
    line = world.lines["A材料采购"]
    response = client_for(world.users["owner"]).post(
        u("line_edit", line.pk), line_data(line, actual="520000", cause="略有上涨", cause_kind="")
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.actual, line.cause, line.cause_kind) == (520_000, "略有上涨", "")


def test_saving_a_flagged_line_without_cause_warns(world: SimpleNamespace) -> None:
    line = world.lines["A材料采购"]
    response = client_for(world.users["owner"]).post(
        u("line_edit", line.pk), line_data(line, cause="", cause_kind=""), follow=True
    )
    html = response.content.decode()
    assert "Beyond the ±10% threshold: give a cause before the month closes." in html
    assert "cause needed" in html
    CostCategory.objects.filter(pk=line.category_id).update(threshold=Decimal("12.50"))
    response = client_for(world.users["owner"]).post(
        u("line_edit", line.pk), line_data(line, cause="", cause_kind=""), follow=True
    )
    assert "Beyond the ±12.5% threshold" in response.content.decode()


def test_a_month_holds_a_line_once_per_department(world: SimpleNamespace) -> None:
    line = world.lines["A材料采购"]
    before = snapshot()
    data = line_data(line, measure_department="", measure_status="", measure="")
    response = client_for(world.users["owner"]).post(u("line_new", "2024-06"), data)
    assert response.status_code == 422
    assert "This month already has this line for the department." in response.content.decode()
    assert snapshot() == before


def test_finance_reminds_the_people_who_block_the_close(world: SimpleNamespace) -> None:
    """Each person responsible for a blocking line is told once, with every line of theirs."""
    from opslens.web.common.models import Notification
    from opslens.web.costs.models import CostLine as Line

    Line.objects.filter(sub_item="销售人员绩效").update(cause="", cause_kind="")  # 杨帆's line
    add_line(world.june, "待报销差旅", world.org["采购部"], budget=8_000, actual=None)  # no owner
    Line.objects.filter(sub_item="A材料采购").update(cause_kind="")  # 王强's line
    response = client_for(world.users["cfo"]).post(u("remind", "2024-06"), follow=True)
    assert "2 people were reminded" in response.content.decode()
    sales = Notification.objects.get(user=world.users["outsider"])
    assert "销售人员绩效" in sales.message and "2024-06" in sales.message
    assert sales.url == "/costs/2024-06/"
    # 王强 owns A材料采购 and heads 采购部, so the ownerless line reaches him in the same note
    purchasing = Notification.objects.get(user=world.users["owner"])
    assert "A材料采购" in purchasing.message and "待报销差旅" in purchasing.message
    assert "no actual amount yet" in purchasing.message
