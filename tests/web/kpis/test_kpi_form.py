"""Defining and editing a KPI: thresholds that fit the direction, and edits that would leave
stored values or targets meaningless are refused instead of breaking every page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from opslens.web.kpis.models import Kpi, KpiTarget, Measurement
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure, snapshot


def _data(kpi: Kpi | None = None, **changes: Any) -> dict[str, Any]:
    data = {
        "name": "销售额",
        "level": "department",
        "department": kpi.department_id if kpi else "",
        "owner": kpi.owner_id if kpi else "",
        "unit": "万元",
        "direction": "higher",
        "aggregation": "sum",
        "frequency": "weekly",
        "due_day": "1",
        "source_kind": "manual",
        "target": "400",
        "warning": "360",
        "tracked_from": "2024-05-27",
        "active": "on",
    }
    return {k: v for k, v in (data | changes).items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"warning": "420"}, None),  # warning above the target when higher is better
        ({"warning": ""}, None),  # a target needs its warning value
        ({"direction": "band"}, "target_high"),  # a band needs its upper ends
        ({"due_day": "9"}, "due_day"),  # a weekly KPI is due 0–7 days after the week
    ],
)
def test_contradictory_definitions_are_form_errors(
    sales: Kpi, owner: Any, changes: dict[str, str], field: str | None
) -> None:
    before = snapshot()
    response = client_for(owner).post(f"/kpis/{sales.pk}/edit/", _data(sales, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors
    if field:
        assert field in errors
    assert snapshot() == before


def test_the_frequency_cannot_change_once_values_exist(sales: Kpi, owner: Any) -> None:
    client = client_for(owner)
    measure(client, sales, "2024-W23", 410)  # stored for Monday 2024-06-03
    before = snapshot()
    response = client.post(f"/kpis/{sales.pk}/edit/", _data(sales, frequency="monthly"))
    assert response.status_code == 200
    assert "frequency" in response.context["form"].errors
    assert snapshot() == before
    # the pages still work
    assert client.get(f"/kpis/{sales.pk}/").status_code == 200
    assert client.get("/kpis/").status_code == 200


def test_the_frequency_may_change_while_there_are_no_values(sales: Kpi, owner: Any) -> None:
    client = client_for(owner)
    response = client.post(
        f"/kpis/{sales.pk}/edit/", _data(sales, frequency="monthly", due_day="5")
    )
    assert response.status_code == 302
    assert Kpi.objects.get(pk=sales.pk).frequency == "monthly"


def test_the_direction_cannot_contradict_the_period_targets(sales: Kpi, owner: Any) -> None:
    KpiTarget.objects.create(
        kpi=sales,
        frequency="weekly",
        period_start=date(2024, 6, 3),
        target=Decimal(420),
        warning=Decimal(380),
    )
    client = client_for(owner)
    measure(client, sales, "2024-W23", 410)
    before = snapshot()
    # lower is better with target 420 / warning 380: the warning would be on the wrong side
    response = client.post(
        f"/kpis/{sales.pk}/edit/",
        _data(sales, direction="lower", target="400", warning="440"),
    )
    assert response.status_code == 200
    assert "direction" in response.context["form"].errors
    assert "2024-W23" in str(response.context["form"].errors["direction"])
    assert snapshot() == before
    assert client.get(f"/kpis/{sales.pk}/").status_code == 200


def test_a_valid_edit_is_saved(sales: Kpi, colleague: Any) -> None:
    response = client_for(colleague).post(
        f"/kpis/{sales.pk}/edit/", _data(sales, target="500", warning="450")
    )
    assert response.status_code == 302
    sales.refresh_from_db()
    assert (sales.target, sales.warning) == (500, 450)


@pytest.mark.parametrize("year", ["abc", "99999", "0", "-1"])
def test_a_bad_year_in_the_address_shows_this_year(sales: Kpi, owner: Any, year: str) -> None:
    client = client_for(owner)
    detail = client.get(f"/kpis/{sales.pk}/?year={year}")
    assert detail.status_code == 200 and detail.context["year"] == 2024
    targets = client.get(f"/kpis/{sales.pk}/targets/?year={year}")
    assert targets.status_code == 200 and targets.context["year"] == 2024


def test_deleting_a_kpi_deletes_its_values(sales: Kpi, owner: Any) -> None:
    client = client_for(owner)
    measure(client, sales, "2024-W23", 410)
    page = client.get(f"/kpis/{sales.pk}/delete/")
    assert page.status_code == 200 and "销售额" in page.content.decode()
    assert client.post(f"/kpis/{sales.pk}/delete/").status_code == 302
    assert not Kpi.objects.exists() and not Measurement.objects.exists()


def test_a_department_cannot_have_two_kpis_of_one_name(
    sales: Kpi, owner: Any, admin: Any, org: Any
) -> None:
    before = snapshot()
    response = client_for(owner).post("/kpis/new/", _data(sales))
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors)
    assert snapshot() == before
    # another department may use the name
    other = _data(sales, department=org["销售部"].pk, owner="")
    assert client_for(admin).post("/kpis/new/", other).status_code == 302
    assert Kpi.objects.filter(name="销售额").count() == 2
