"""The targets page: year → quarters → months, with the check that the parts add up.

The seed's own example — 2亿 for the year, 4,000万/4,500万/5,000万/5,500万 for the quarters —
sums to 1.9亿: the page must show the gap (−1,000万, −5%) and flag the split.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from opslens.web.kpis import services
from opslens.web.kpis.models import Kpi, KpiTarget, Measurement
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure, snapshot

QUARTERS = ["40000000", "45000000", "50000000", "55000000"]


@pytest.fixture
def revenue(org: Any, owner: Any) -> Kpi:
    """营业收入 (元), monthly, summed into quarters and the year."""
    return Kpi.objects.create(
        name="营业收入",
        level="company",
        department=org["采购部"],
        owner=owner.person,
        unit="元",
        direction="higher",
        aggregation="sum",
        frequency="monthly",
        tracked_from=date(2024, 1, 1),
    )


def _post(client: Any, kpi: Kpi, data: dict[str, str], year: int = 2024) -> Any:
    return client.post(f"/kpis/{kpi.pk}/targets/?year={year}", data)


def _row(page: str, key: str) -> str:
    return page.split(f'<tr data-period="{key}">')[1].split("</tr>")[0]


def test_the_seeds_split_does_not_add_up(revenue: Kpi, owner: Any) -> None:
    client = client_for(owner)
    data = {"t_2024": "200000000", "w_2024": "180000000"}
    data |= {f"t_2024-Q{i}": v for i, v in enumerate(QUARTERS, start=1)}
    response = _post(client, revenue, data)
    assert response.status_code == 302
    assert response["Location"] == f"/kpis/{revenue.pk}/targets/?year=2024"
    stored = {(t.frequency, t.period_start): t for t in revenue.targets.all()}
    assert len(stored) == 5
    assert stored[("yearly", date(2024, 1, 1))].target == Decimal(200000000)
    q3 = stored[("quarterly", date(2024, 7, 1))]
    assert (q3.target, q3.warning) == (Decimal(50000000), Decimal(50000000))

    page = client.get(response["Location"]).content.decode()
    year = _row(page, "2024")
    assert "200,000,000" in year
    assert "190,000,000" in year  # the parts combined
    assert "−10,000,000" in year and "(−5%)" in year  # the gap and its share of the year
    assert 'data-testid="breakdown-gap"' in year and "does not add up" in year
    # the quarters have no months yet: not checked
    assert "not set" in _row(page, "2024-Q1")

    check = services.decomposition(revenue, 2024)[0].check
    assert check is not None and not check.consistent
    assert check.gap == Decimal(-10000000) and check.gap_ratio == Decimal("-0.05")


def test_a_consistent_split_adds_up(revenue: Kpi, colleague: Any) -> None:
    data = {"t_2024": "190000000"}
    data |= {f"t_2024-Q{i}": v for i, v in enumerate(QUARTERS, start=1)}
    data |= {"t_2024-01": "12000000", "t_2024-02": "13000000", "t_2024-03": "15000000"}
    client = client_for(colleague)
    assert _post(client, revenue, data).status_code == 302
    page = client.get(f"/kpis/{revenue.pk}/targets/?year=2024").content.decode()
    assert "✓ adds up" in _row(page, "2024")
    assert 'data-testid="breakdown-gap"' not in _row(page, "2024")
    assert "✓ adds up" in _row(page, "2024-Q1")
    # a quarter with only some months says how many are missing
    client.post(f"/kpis/{revenue.pk}/targets/?year=2024", data | {"t_2024-04": "15000000"})
    assert "2 parts missing" in _row(
        client.get(f"/kpis/{revenue.pk}/targets/?year=2024").content.decode(), "2024-Q2"
    )
    # the KPI page shows the same breakdown
    detail = client.get(f"/kpis/{revenue.pk}/?year=2024").content.decode()
    assert "✓ adds up" in _row(detail, "2024")


def test_a_part_missing_is_flagged(revenue: Kpi, owner: Any) -> None:
    data = {"t_2024": "200000000", "t_2024-Q1": "40000000", "t_2024-Q2": "45000000"}
    client = client_for(owner)
    _post(client, revenue, data)
    year = _row(client.get(f"/kpis/{revenue.pk}/targets/").content.decode(), "2024")
    assert "2 parts missing" in year


def test_averaged_kpis_compare_the_mean(revenue: Kpi, owner: Any) -> None:
    Kpi.objects.filter(pk=revenue.pk).update(aggregation="average")
    data = {"t_2024": "99.5"} | {f"t_2024-Q{i}": "99.5" for i in range(1, 5)}
    client = client_for(owner)
    _post(client, revenue, data)
    assert "✓ adds up" in _row(client.get(f"/kpis/{revenue.pk}/targets/").content.decode(), "2024")


@pytest.mark.parametrize(
    ("direction", "target", "warning"), [("higher", "100", "120"), ("lower", "2", "1")]
)
def test_a_warning_on_the_wrong_side_is_a_form_error(
    revenue: Kpi, owner: Any, direction: str, target: str, warning: str
) -> None:
    Kpi.objects.filter(pk=revenue.pk).update(direction=direction)
    before = snapshot()
    data = {"t_2024": "1200", "t_2024-05": target, "w_2024-05": warning}
    response = _post(client_for(owner), revenue, data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == ["w_2024-05"]
    assert "warning value" in errors["w_2024-05"][0]
    assert "errorlist" in response.content.decode()
    assert snapshot() == before  # not even the valid year target


def test_a_warning_without_a_target_is_a_form_error(revenue: Kpi, owner: Any) -> None:
    before = snapshot()
    response = _post(client_for(owner), revenue, {"w_2024-05": "100"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["t_2024-05"]
    assert snapshot() == before


def test_saving_targets_recomputes_stored_statuses(revenue: Kpi, owner: Any) -> None:
    client = client_for(owner)
    measure(client, revenue, "2024-05", "1500")
    m = Measurement.objects.get(kpi=revenue)
    assert m.status == ""  # no target yet
    _post(client, revenue, {"t_2024-05": "1400", "w_2024-05": "1300"})
    m.refresh_from_db()
    assert m.status == "met"
    _post(client, revenue, {"t_2024-05": "1600", "w_2024-05": "1450"})
    m.refresh_from_db()
    assert m.status == "warning"
    _post(client, revenue, {"t_2024-05": "1800", "w_2024-05": "1700"})
    m.refresh_from_db()
    assert m.status == "missed"
    # clearing the month's target falls back to the standing target (none): no status
    assert _post(client, revenue, {"t_2024-05": "", "w_2024-05": ""}).status_code == 302
    assert not revenue.targets.exists()
    m.refresh_from_db()
    assert m.status == ""


def test_a_period_target_wins_over_the_standing_target(revenue: Kpi, owner: Any) -> None:
    Kpi.objects.filter(pk=revenue.pk).update(target=1000, warning=900)
    client = client_for(owner)
    _post(client, revenue, {"t_2024-06": "2000", "w_2024-06": "1800"})
    measure(client, revenue, "2024-05", "1500")  # standing target: met
    measure(client, revenue, "2024-06", "1500")  # its own target: missed
    statuses = dict(revenue.measurements.values_list("period_start", "status"))
    assert statuses == {date(2024, 5, 1): "met", date(2024, 6, 1): "missed"}


def test_editing_the_standing_target_recomputes_statuses(revenue: Kpi, owner: Any) -> None:
    client = client_for(owner)
    measure(client, revenue, "2024-05", "1500")
    data = {
        "name": "营业收入",
        "level": "company",
        "department": revenue.department_id,
        "owner": owner.person.pk,
        "unit": "元",
        "direction": "higher",
        "aggregation": "sum",
        "frequency": "monthly",
        "due_day": "5",
        "source_kind": "manual",
        "target": "2000",
        "warning": "1800",
        "tracked_from": "2024-01-01",
        "active": "on",
    }
    assert client.post(f"/kpis/{revenue.pk}/edit/", data).status_code == 302
    assert Measurement.objects.get(kpi=revenue).status == "missed"


def test_the_form_shows_the_stored_targets_as_plain_numbers(revenue: Kpi, owner: Any) -> None:
    KpiTarget.objects.create(
        kpi=revenue,
        frequency="quarterly",
        period_start=date(2024, 7, 1),
        target=Decimal("50000000.0000"),
        warning=Decimal("45000000.5000"),
    )
    page = client_for(owner).get(f"/kpis/{revenue.pk}/targets/?year=2024").content.decode()
    assert 'name="t_2024-Q3" value="50000000"' in page  # not 5E+7
    assert 'name="w_2024-Q3" value="45000000.5"' in page


def test_years_are_plain_numbers_in_headings_and_links(revenue: Kpi, owner: Any) -> None:
    client = client_for(owner)
    page = client.get(f"/kpis/{revenue.pk}/targets/?year=2024").content.decode()
    assert 'href="?year=2023">← 2023</a>' in page
    assert 'href="?year=2025">2025 →</a>' in page
    assert "<h2>2024</h2>" in page
    assert client.get(f"/kpis/{revenue.pk}/targets/?year=2023").context["year"] == 2023
    detail = client.get(f"/kpis/{revenue.pk}/?year=2023").content.decode()
    assert "<h2>Target breakdown 2023</h2>" in detail
    assert f'href="/kpis/{revenue.pk}/targets/?year=2023"' in detail


@pytest.fixture
def utilisation(org: Any, owner: Any) -> Kpi:
    """设备利用率 (%): a band, 80–90 on target and 75–95 warning as its standing target."""
    return Kpi.objects.create(
        name="设备利用率",
        level="department",
        department=org["采购部"],
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


def test_a_band_kpi_gets_its_upper_ends_per_period(utilisation: Kpi, owner: Any) -> None:
    client = client_for(owner)
    measure(client, utilisation, "2024-05", "86")
    assert Measurement.objects.get().status == "met"
    page = client.get(f"/kpis/{utilisation.pk}/targets/?year=2024").content.decode()
    assert 'name="th_2024-05"' in page and 'name="wh_2024-05"' in page
    assert "<th>Target (upper end)</th>" in page
    zh = client.get(f"/kpis/{utilisation.pk}/targets/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "<th>目标值（上限）</th>" in zh.content.decode()
    data = {"t_2024-05": "70", "th_2024-05": "85", "w_2024-05": "65", "wh_2024-05": "88"}
    assert _post(client, utilisation, data).status_code == 302
    target = KpiTarget.objects.get()
    assert (target.target, target.target_high, target.warning, target.warning_high) == (
        70,
        85,
        65,
        88,
    )
    assert Measurement.objects.get().status == "warning"  # 86: above 85, within 88
    measure(client, utilisation, "2024-05", "89")
    assert Measurement.objects.get().status == "missed"
    form = client.get(f"/kpis/{utilisation.pk}/targets/?year=2024").context["form"]
    assert form.initial["th_2024-05"] == 85 and form.initial["wh_2024-05"] == 88


def test_a_band_target_without_its_upper_ends_is_a_form_error(utilisation: Kpi, owner: Any) -> None:
    client = client_for(owner)
    measure(client, utilisation, "2024-05", "86")
    before = snapshot()
    response = _post(client, utilisation, {"t_2024-05": "82", "w_2024-05": "78"})
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["th_2024-05"]
    bad_order = {"t_2024-06": "82", "w_2024-06": "78", "th_2024-06": "90", "wh_2024-06": "88"}
    response = _post(client, utilisation, bad_order)
    assert response.status_code == 422
    assert "a band needs warning ≤ target" in str(response.context["form"].errors)
    assert snapshot() == before
