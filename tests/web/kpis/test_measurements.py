"""Entering a value through the form: the status is computed (never typed), periods are read as
people write them, a bad period is a form error that saves nothing, and a period entered again
is corrected rather than duplicated."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from opslens.web.kpis.models import Kpi, Measurement
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure, messages_of, snapshot


@pytest.fixture
def turnover(org: Any, owner: Any) -> Kpi:
    """员工流失率 (%): lower is better, target 2, warning 3, monthly."""
    return Kpi.objects.create(
        name="员工流失率",
        level="company",
        department=org["采购部"],
        owner=owner.person,
        unit="%",
        direction="lower",
        aggregation="average",
        frequency="monthly",
        target=Decimal(2),
        warning=Decimal(3),
        tracked_from=date(2024, 1, 1),
    )


@pytest.fixture
def utilisation(org: Any, owner: Any) -> Kpi:
    """设备利用率 (%): a band — 80–90 on target, 75–95 warning, monthly."""
    return Kpi.objects.create(
        name="设备利用率",
        level="department",
        department=org["采购部"],
        owner=owner.person,
        unit="%",
        direction="band",
        aggregation="average",
        frequency="monthly",
        target=Decimal(80),
        target_high=Decimal(90),
        warning=Decimal(75),
        warning_high=Decimal(95),
        tracked_from=date(2024, 1, 1),
    )


def _stored(kpi: Kpi, start: date) -> Measurement:
    return Measurement.objects.get(kpi=kpi, period_start=start)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("400", "met"),
        ("455.5", "met"),
        ("399.99", "warning"),
        ("360", "warning"),
        ("359", "missed"),
    ],
)
def test_higher_is_better(sales: Kpi, owner: Any, value: str, status: str) -> None:
    response = measure(client_for(owner), sales, "2024-W23", value)
    assert response.status_code == 302
    assert response["Location"] == f"/kpis/{sales.pk}/"
    m = _stored(sales, date(2024, 6, 3))
    assert (m.value, m.status, m.source) == (Decimal(value), status, "form")
    assert m.entered_by == owner


@pytest.mark.parametrize(
    ("value", "status"),
    [("1.5", "met"), ("2", "met"), ("2.5", "warning"), ("3", "warning"), ("3.4", "missed")],
)
def test_lower_is_better(turnover: Kpi, colleague: Any, value: str, status: str) -> None:
    assert measure(client_for(colleague), turnover, "2024-05", value).status_code == 302
    assert _stored(turnover, date(2024, 5, 1)).status == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("74", "missed"),
        ("75", "warning"),
        ("79.9", "warning"),
        ("80", "met"),
        ("90", "met"),
        ("93", "warning"),
        ("95", "warning"),
        ("96", "missed"),
    ],
)
def test_band(utilisation: Kpi, admin: Any, value: str, status: str) -> None:
    assert measure(client_for(admin), utilisation, "2024-05", value).status_code == 302
    assert _stored(utilisation, date(2024, 5, 1)).status == status


def test_the_saved_status_is_shown(sales: Kpi, owner: Any) -> None:
    client = client_for(owner)
    response = client.post(
        f"/kpis/{sales.pk}/measure/", {"period": "2024-W23", "value": "350"}, follow=True
    )
    assert messages_of(response) == ["2024-W23 saved: Off target."]
    row = response.content.decode().split('data-period="2024-W23"')[1].split("</tr>")[0]
    assert "Off target" in row and "350" in row and "87.5%" in row  # achievement 350 / 400


def test_a_kpi_without_target_stores_no_status(sales: Kpi, owner: Any) -> None:
    Kpi.objects.filter(pk=sales.pk).update(target=None, warning=None)
    assert measure(client_for(owner), sales, "2024-W23", "350").status_code == 302
    assert _stored(sales, date(2024, 6, 3)).status == ""


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2024年6月", date(2024, 6, 1)),
        ("2024-06", date(2024, 6, 1)),
        ("2024/6", date(2024, 6, 1)),
        ("202406", date(2024, 6, 1)),
        ("2024-06-17", date(2024, 6, 1)),
    ],
)
def test_monthly_period_spellings(turnover: Kpi, owner: Any, text: str, start: date) -> None:
    assert measure(client_for(owner), turnover, text, "2.2").status_code == 302
    assert list(turnover.measurements.values_list("period_start", flat=True)) == [start]


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2024-W23", date(2024, 6, 3)),
        ("2024W23", date(2024, 6, 3)),
        ("2024年第23周", date(2024, 6, 3)),
        ("2024-06-05", date(2024, 6, 3)),  # a Wednesday: the week holding it
    ],
)
def test_weekly_period_spellings(sales: Kpi, owner: Any, text: str, start: date) -> None:
    assert measure(client_for(owner), sales, text, "410").status_code == 302
    assert list(sales.measurements.values_list("period_start", flat=True)) == [start]


@pytest.mark.parametrize("text", ["2024-13", "June", "2024-W60", "", "2024-02-30"])
def test_a_bad_period_is_a_form_error_and_saves_nothing(
    turnover: Kpi, sales: Kpi, owner: Any, text: str
) -> None:
    before = snapshot()
    kpi = sales if "W" in text else turnover
    response = measure(client_for(owner), kpi, text, "2.2")
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == ["period"]
    if text:  # the message names the value and shows the expected spelling
        assert f"“{text}” is not a" in errors["period"][0]
        assert "write it like 2024-" in errors["period"][0]
    page = response.content.decode()
    assert 'class="errorlist"' in page
    assert snapshot() == before


def test_a_bad_value_is_a_form_error(sales: Kpi, owner: Any) -> None:
    before = snapshot()
    response = measure(client_for(owner), sales, "2024-W23", "四百")
    assert response.status_code == 422
    assert "value" in response.context["form"].errors
    assert snapshot() == before


def test_entering_a_period_again_corrects_it(sales: Kpi, owner: Any, colleague: Any) -> None:
    measure(client_for(owner), sales, "2024-W23", "350", "初报")
    first = _stored(sales, date(2024, 6, 3))
    assert first.status == "missed"
    response = measure(client_for(colleague), sales, "2024年第23周", "405", "财务核对后更正")
    assert response.status_code == 302
    assert sales.measurements.count() == 1
    corrected = _stored(sales, date(2024, 6, 3))
    assert corrected.pk == first.pk
    assert (corrected.value, corrected.status, corrected.note) == (
        Decimal(405),
        "met",
        "财务核对后更正",
    )
    assert corrected.entered_by == colleague
    assert corrected.history.count() == 2  # the change is in the history


def test_deleting_a_value(sales: Kpi, owner: Any) -> None:
    measure(client_for(owner), sales, "2024-W23", "350")
    m = _stored(sales, date(2024, 6, 3))
    response = client_for(owner).post(f"/kpis/{sales.pk}/measure/{m.pk}/delete/")
    assert response.status_code == 302
    assert not sales.measurements.exists()


def test_a_value_of_another_kpi_cannot_be_deleted_through_this_one(
    sales: Kpi, turnover: Kpi, owner: Any
) -> None:
    measure(client_for(owner), turnover, "2024-05", "2")
    other = _stored(turnover, date(2024, 5, 1))
    response = client_for(owner).post(f"/kpis/{sales.pk}/measure/{other.pk}/delete/")
    assert response.status_code == 404
    assert Measurement.objects.filter(pk=other.pk).exists()


def test_the_form_suggests_the_earliest_missing_period(sales: Kpi, owner: Any) -> None:
    # Today is 2024-06-20 (W25); W22, W23 and W24 are due and missing.
    form = client_for(owner).get(f"/kpis/{sales.pk}/").context["form"]
    assert form.initial["period"] == "2024-W22"
    measure(client_for(owner), sales, "2024-W22", "410")
    form = client_for(owner).get(f"/kpis/{sales.pk}/").context["form"]
    assert form.initial["period"] == "2024-W23"


def test_the_kpi_page_does_not_query_per_value(sales: Kpi, owner: Any) -> None:
    """A daily KPI has hundreds of values in its history: the page's queries do not grow."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opslens.web.kpis.models import Measurement

    client = client_for(owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(sales.get_absolute_url()).status_code == 200
        return len(captured.captured_queries)

    def add(weeks: range) -> None:
        start = sales.tracked_from
        for week in weeks:  # created one by one, so each has its own history entry
            Measurement.objects.create(
                kpi=sales,
                period_start=start + timedelta(weeks=week),
                value=Decimal(400),
                source="form",
                entered_by=owner,
            )

    add(range(0, 5))
    few = queries()
    add(range(5, 60))
    assert queries() == few
