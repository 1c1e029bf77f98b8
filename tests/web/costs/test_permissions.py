"""Who may change cost data: every POST × every kind of user, healthchecks style.

A line is changed by its department's heads, members and analysts, by finance editors and by
operations admins; a line one may not read answers 404. Months (open, close, reopen) and
categories are finance's and the ops admin's. Everybody else gets 403 (or the form refuses the
department) and the database stays exactly as it was. A closed month changes for nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from opslens.web.common.models import Notification
from opslens.web.costs.models import CostCategory, CostLine, CostMonth
from tests.web.conftest import client_for
from tests.web.costs.conftest import EVERYONE
from tests.web.costs.helpers import SEED_HEADER, csv_upload, line_data, snapshot, u

MANAGERS = {"cfo", "finance", "admin"}
PURCHASING_EDITORS = {"owner", "colleague", *MANAGERS}
SALES_EDITORS = {"outsider", *MANAGERS}
# readers of every line who may not change a 采购部 line
READ_ONLY = {"dept_viewer", "finance_viewer", "gm", "gm_head"}


def _expect(allowed: set[str], ok: int = 302, **others: int) -> dict[str, int]:
    """``ok`` for the allowed, the given status for some, 403 for the rest."""
    return {who: ok if who in allowed else others.get(who, 403) for who in EVERYONE}


@dataclass
class Action:
    name: str
    post: Callable[[Client, SimpleNamespace], Any]
    expected: dict[str, int]
    done: Callable[[SimpleNamespace], bool]
    setup: Callable[[SimpleNamespace], None] = field(default=lambda w: None)


def _purchasing(w: SimpleNamespace) -> CostLine:
    return w.lines["A材料采购"]


def _import_file() -> Any:
    return csv_upload([SEED_HEADER, ["管理费用", "办公用品", "1000", "1200", "", "", "采购部"]])


def _uncaused(w: SimpleNamespace) -> None:
    """招待费 (+50%) loses its cause: June cannot close, and someone must be told."""
    CostLine.objects.filter(sub_item="招待费").update(cause="", cause_kind="")


def _close(w: SimpleNamespace) -> None:
    CostMonth.objects.filter(pk=w.june.pk).update(status=CostMonth.Status.CLOSED)


ACTIONS = [
    Action(
        "line-edit",
        lambda c, w: c.post(
            u("line_edit", _purchasing(w).pk), line_data(_purchasing(w), actual="640000")
        ),
        _expect(PURCHASING_EDITORS, outsider=404, viewer=404),
        lambda w: CostLine.objects.get(pk=_purchasing(w).pk).actual == 640_000,
    ),
    Action(
        "line-edit-sales",
        lambda c, w: c.post(
            u("line_edit", w.lines["销售人员绩效"].pk),
            line_data(w.lines["销售人员绩效"], actual="210000"),
        ),
        _expect(SALES_EDITORS, owner=404, colleague=404, dept_viewer=404, viewer=404),
        lambda w: CostLine.objects.get(sub_item="销售人员绩效").actual == 210_000,
    ),
    Action(
        "line-move-to-another-department",
        lambda c, w: c.post(
            u("line_edit", _purchasing(w).pk),
            line_data(_purchasing(w), department=w.org["销售部"].pk),
        ),
        # a 采购部 editor may not hand the line to 销售部: the form refuses the department
        _expect(MANAGERS, owner=422, colleague=422, outsider=404, viewer=404),
        lambda w: CostLine.objects.get(pk=_purchasing(w).pk).department == w.org["销售部"],
    ),
    Action(
        "line-delete",
        lambda c, w: c.post(u("line_delete", _purchasing(w).pk)),
        _expect(PURCHASING_EDITORS, outsider=404, viewer=404),
        lambda w: not CostLine.objects.filter(pk=_purchasing(w).pk).exists(),
    ),
    Action(
        "line-new",
        lambda c, w: c.post(
            u("line_new", "2024-06"),
            {
                "category": CostCategory.objects.get(name="管理费用").pk,
                "sub_item": "办公用品",
                "department": w.org["采购部"].pk,
                "budget": "1000",
                "actual": "1050",
            },
        ),
        # outsider and gm_head may create lines, but only for their own department
        _expect(PURCHASING_EDITORS, outsider=422, gm_head=422),
        lambda w: CostLine.objects.filter(sub_item="办公用品").exists(),
    ),
    Action(
        "month-new",
        lambda c, w: c.post(u("month_new"), {"month": "2024-07"}),
        _expect(MANAGERS),
        lambda w: CostMonth.objects.filter(month="2024-07-01").exists(),
    ),
    Action(
        "month-close",
        lambda c, w: c.post(u("close", "2024-06"), {"summary": "六月小结"}),
        _expect(MANAGERS),
        lambda w: CostMonth.objects.get(pk=w.june.pk).status == CostMonth.Status.CLOSED,
    ),
    Action(
        "month-reopen",
        lambda c, w: c.post(u("reopen", "2024-06")),
        _expect(MANAGERS),
        lambda w: CostMonth.objects.get(pk=w.june.pk).status == CostMonth.Status.OPEN,
        setup=_close,
    ),
    Action(
        "month-remind",
        lambda c, w: c.post(u("remind", "2024-06")),
        _expect(MANAGERS),
        lambda w: Notification.objects.filter(message__contains="招待费").exists(),
        setup=_uncaused,
    ),
    Action(
        "import",
        lambda c, w: c.post(u("import", "2024-06"), {"file": _import_file()}),
        _expect(PURCHASING_EDITORS, outsider=422, gm_head=422),
        lambda w: CostLine.objects.filter(sub_item="办公用品").exists(),
    ),
    Action(
        "category-new",
        lambda c, w: c.post(
            u("categories"),
            {"name": "物流费用", "nature": "indirect", "threshold": "8", "order": 9},
        ),
        _expect(MANAGERS),
        lambda w: CostCategory.objects.filter(name="物流费用").exists(),
    ),
    Action(
        "category-threshold",
        lambda c, w: c.post(
            u("category_edit", CostCategory.objects.get(name="办公费用").pk),
            {"name": "办公费用", "nature": "indirect", "threshold": "60", "order": 6},
        ),
        _expect(MANAGERS),
        lambda w: CostCategory.objects.get(name="办公费用").threshold == 60,
    ),
]


@pytest.mark.parametrize("action", ACTIONS, ids=[a.name for a in ACTIONS])
def test_every_post_is_allowed_for_exactly_the_right_people(
    world: SimpleNamespace, action: Action
) -> None:
    action.setup(world)
    statuses: dict[str, int] = {}
    for who in EVERYONE:
        with transaction.atomic():
            before = snapshot()
            response = action.post(client_for(world.users[who]), world)
            statuses[who] = response.status_code
            if response.status_code == 302:
                assert action.done(world), (action.name, who)
            else:
                assert snapshot() == before, (action.name, who)
            transaction.set_rollback(True)
    assert statuses == action.expected, action.name


EDIT_PAGE = _expect(PURCHASING_EDITORS, 200, outsider=404, viewer=404)
CREATE_PAGE = _expect(PURCHASING_EDITORS | {"outsider", "gm_head"}, 200)
FORMS = [
    ("line-edit", lambda w: u("line_edit", _purchasing(w).pk), EDIT_PAGE),
    ("line-delete", lambda w: u("line_delete", _purchasing(w).pk), EDIT_PAGE),
    ("line-new", lambda w: u("line_new", "2024-06"), CREATE_PAGE),
    ("import", lambda w: u("import", "2024-06"), CREATE_PAGE),
    ("categories", lambda w: u("categories"), _expect(set(EVERYONE), 200)),
]


@pytest.mark.parametrize(("form", "url", "expected"), FORMS, ids=[f for f, _, _ in FORMS])
def test_forms_open_for_those_who_may_use_them(
    world: SimpleNamespace, form: str, url: Callable[[SimpleNamespace], str], expected: Any
) -> None:
    statuses = {who: client_for(world.users[who]).get(url(world)).status_code for who in EVERYONE}
    assert statuses == expected, form


def test_pages_offer_changes_only_to_those_who_may_make_them(world: SimpleNamespace) -> None:
    line = _purchasing(world)
    for who in EVERYONE:
        client = client_for(world.users[who])
        month = client.get(u("month", "2024-06")).content.decode()
        overview = client.get(u("overview")).content.decode()
        categories = client.get(u("categories")).content.decode()
        assert (u("line_edit", line.pk) in month) == (who in PURCHASING_EDITORS), who
        assert (u("close", "2024-06") in month) == (who in MANAGERS), who
        assert (u("month_new") in overview) == (who in MANAGERS), who
        assert ('name="threshold"' in categories) == (who in MANAGERS), who
        if who in PURCHASING_EDITORS:
            detail = client.get(u("line", line.pk)).content.decode()
            assert u("line_delete", line.pk) in detail


# --- a closed month --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "cfo", "admin"])
def test_a_closed_month_changes_for_nobody(world: SimpleNamespace, who: str) -> None:
    _close(world)
    line = _purchasing(world)
    client = client_for(world.users[who])
    before = snapshot()
    edit = client.post(u("line_edit", line.pk), line_data(line, actual="1"), follow=True)
    assert edit.redirect_chain == [(u("month", "2024-06"), 302)]
    assert "2024-06 is closed; reopen it to change lines." in edit.content.decode()
    assert client.get(u("line_edit", line.pk)).status_code == 302
    new = client.post(
        u("line_new", "2024-06"),
        {
            "category": line.category_id,
            "sub_item": "办公用品",
            "department": line.department_id,
            "budget": "1",
            "actual": "1",
        },
    )
    assert new.status_code == 302
    assert client.post(u("line_delete", line.pk)).status_code == 403
    imported = client.post(u("import", "2024-06"), {"file": _import_file()})
    assert imported.status_code == 302
    assert snapshot() == before
    month = client.get(u("month", "2024-06")).content.decode()
    assert u("line_edit", line.pk) not in month and u("line_new", "2024-06") not in month
    detail = client.get(u("line", line.pk)).content.decode()
    assert u("line_edit", line.pk) not in detail
