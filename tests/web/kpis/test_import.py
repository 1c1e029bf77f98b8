"""Importing KPI values: upload (CSV in GB18030 or UTF-8, or XLSX) → column mapping → every row
saved, or none. Errors name the file, row and column; KPIs the importer may not change are
refused; imported values are checked against the alert rules like entered ones."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opslens.web.common.models import Notification
from opslens.web.kpis.models import Alert, AlertRule, Kpi, Measurement, Review
from tests.web.conftest import client_for
from tests.web.helpers import workbook
from tests.web.kpis.conftest import messages_of, snapshot

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def revenue(org: Any, owner: Any) -> Kpi:
    return Kpi.objects.create(
        name="营业收入",
        level="company",
        department=org["采购部"],
        owner=owner.person,
        unit="万元",
        frequency="monthly",
        target=Decimal(1500),
        warning=Decimal(1350),
        tracked_from=date(2024, 1, 1),
    )


@pytest.fixture
def foreign(org: Any, outsider: Any) -> Kpi:
    """新客户数量 of 销售部: the 采购部 people may not change it."""
    return Kpi.objects.create(
        name="新客户数量",
        level="department",
        department=org["销售部"],
        owner=outsider.person,
        frequency="monthly",
        tracked_from=date(2024, 1, 1),
    )


def _csv(text: str, name: str = "指标.csv", encoding: str = "gb18030") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type=CSV_TYPE)


def _upload(client: Any, upload: SimpleUploadedFile) -> Any:
    response = client.post("/kpis/import/", {"file": upload})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def _mapping_data(response: Any, **changes: Any) -> dict[str, Any]:
    """The mapping form as the page pre-filled it (the suggestion), with ``changes``."""
    form = response.context["mapping"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return {k: v for k, v in (data | changes).items() if v is not None}


GB_ROWS = (
    "指标名称,月份,实际值,备注\n"
    '营业收入,2024年5月,"1,480",大客户回款推迟\n'
    "营业收入,2024年6月,1550,\n"
    "销售额,2024年第23周,410,\n"
)


def test_a_gb18030_csv_with_chinese_headers_is_mapped_and_imported(
    revenue: Kpi, sales: Kpi, owner: Any
) -> None:
    client = client_for(owner)
    response = _upload(client, _csv(GB_ROWS))
    mapping = response.context["mapping"]
    assert mapping.initial["kpi_column"] == "指标名称"
    assert mapping.initial["period_column"] == "月份"
    assert mapping.initial["value_column"] == "实际值"
    assert mapping.initial["note_column"] == "备注"
    page = response.content.decode()
    assert "大客户回款推迟" in page  # the preview, decoded correctly
    assert not Measurement.objects.exists()  # nothing saved before the mapping is confirmed

    done = client.post("/kpis/import/", _mapping_data(response), follow=True)
    assert done.redirect_chain == [("/kpis/", 302)]
    assert "3 values imported for 2 KPIs." in messages_of(done)
    rows = {
        (m.kpi.name, m.period_start): (m.value, m.status, m.note, m.source)
        for m in Measurement.objects.select_related("kpi")
    }
    assert rows == {
        ("营业收入", date(2024, 5, 1)): (Decimal(1480), "warning", "大客户回款推迟", "import"),
        ("营业收入", date(2024, 6, 1)): (Decimal(1550), "met", "", "import"),
        ("销售额", date(2024, 6, 3)): (Decimal(410), "met", "", "import"),
    }
    assert {m.entered_by for m in Measurement.objects.all()} == {owner}
    # the kept upload is gone: the same token cannot import twice
    again = client.post("/kpis/import/", _mapping_data(response), follow=True)
    assert again.redirect_chain == [("/kpis/import/", 302)]
    assert "the upload has expired; upload the file again" in messages_of(again)
    assert Measurement.objects.count() == 3


def test_a_utf8_csv_with_a_bom_and_semicolons(revenue: Kpi, owner: Any) -> None:
    text = "\ufeffKPI;period;value\n营业收入;2024-05;1480\n"
    client = client_for(owner)
    response = _upload(client, _csv(text, "values.csv", "utf-8"))
    assert client.post("/kpis/import/", _mapping_data(response)).status_code == 302
    assert Measurement.objects.get().value == 1480


def test_an_xlsx_is_imported(revenue: Kpi, sales: Kpi, colleague: Any) -> None:
    rows = [
        ["KPI", "Period", "Value", "Note"],
        ["营业收入", datetime(2024, 4, 1), 1420, None],  # a real date cell
        ["营业收入", "2024-05", 1480.5, "回款推迟"],
        ["销售额", "2024-W23", 405, None],
    ]
    client = client_for(colleague)
    upload = SimpleUploadedFile("指标.xlsx", workbook(rows), content_type=XLSX_TYPE)
    response = _upload(client, upload)
    mapping = response.context["mapping"]
    assert (mapping.initial["kpi_column"], mapping.initial["value_column"]) == ("KPI", "Value")
    assert client.post("/kpis/import/", _mapping_data(response)).status_code == 302
    values = dict(Measurement.objects.filter(kpi=revenue).values_list("period_start", "value"))
    assert values == {date(2024, 4, 1): Decimal(1420), date(2024, 5, 1): Decimal("1480.5")}
    assert sales.measurements.get().period_start == date(2024, 6, 3)


def test_a_file_without_a_kpi_column_goes_to_the_chosen_kpi(revenue: Kpi, owner: Any) -> None:
    client = client_for(owner)
    response = _upload(client, _csv("月份,实际值\n2024-05,1480\n2024-06,1600\n"))
    data = _mapping_data(response)
    assert data.get("kpi_column", "") == ""
    missing = client.post("/kpis/import/", data)
    assert missing.status_code == 422
    assert "Choose the KPI column" in str(missing.context["mapping"].errors)
    assert not Measurement.objects.exists()
    assert client.post("/kpis/import/", data | {"kpi": revenue.pk}).status_code == 302
    assert revenue.measurements.count() == 2


def test_a_bad_value_names_the_row_and_column_and_nothing_is_saved(
    revenue: Kpi, owner: Any
) -> None:
    text = "指标名称,月份,实际值\n营业收入,2024-05,1480\n营业收入,2024-06,一千五\n"
    client = client_for(owner)
    response = _upload(client, _csv(text, "六月.csv"))
    before = snapshot()
    failed = client.post("/kpis/import/", _mapping_data(response))
    assert failed.status_code == 422
    errors = failed.context["result"].errors
    assert errors == ["六月.csv, row 3, column '实际值', value '一千五': not a number"]
    assert "六月.csv, row 3, column &#x27;实际值&#x27;" in failed.content.decode()
    assert snapshot() == before  # not even row 2
    # the upload is kept: fixing the mapping (here: nothing to fix) can be retried
    assert failed.context["mapping"].data["token"] == response.context["mapping"].initial["token"]


def test_every_bad_row_is_listed(revenue: Kpi, owner: Any) -> None:
    text = (
        "指标名称,月份,实际值\n"
        "营业收入,2024-05,1480\n"
        "营业收入,2024-13,1500\n"
        "营收,2024-06,1500\n"
        "营业收入,2024-07,\n"
    )
    client = client_for(owner)
    response = _upload(client, _csv(text, "x.csv"))
    errors = client.post("/kpis/import/", _mapping_data(response)).context["result"].errors
    assert len(errors) == 3
    assert errors[0].startswith("x.csv, row 3, column '月份', value '2024-13': cannot read")
    assert errors[1] == (
        "x.csv, row 4, column '指标名称', value '营收': no KPI of this name that you may change"
    )
    assert errors[2] == "x.csv, row 5, column '实际值': no value"
    assert not Measurement.objects.exists()


def test_a_kpi_of_another_department_is_refused(revenue: Kpi, foreign: Kpi, owner: Any) -> None:
    text = "指标名称,月份,实际值\n营业收入,2024-05,1480\n新客户数量,2024-05,31\n"
    client = client_for(owner)
    response = _upload(client, _csv(text, "mixed.csv"))
    assert foreign not in response.context["mapping"].fields["kpi"].queryset
    before = snapshot()
    failed = client.post("/kpis/import/", _mapping_data(response))
    assert failed.status_code == 422
    assert failed.context["result"].errors == [
        "mixed.csv, row 3, column '指标名称', value '新客户数量': "
        "no KPI of this name that you may change"
    ]
    # choosing the foreign KPI for all rows is refused by the form as well
    data = _mapping_data(response, kpi_column="", kpi=foreign.pk)
    refused = client.post("/kpis/import/", data)
    assert refused.status_code == 422
    assert "kpi" in refused.context["mapping"].errors
    assert snapshot() == before


def test_the_outsider_imports_only_into_his_own_department(
    revenue: Kpi, foreign: Kpi, outsider: Any
) -> None:
    text = "指标名称,月份,实际值\n营业收入,2024-05,1480\n"
    client = client_for(outsider)
    response = _upload(client, _csv(text))
    failed = client.post("/kpis/import/", _mapping_data(response))
    assert failed.status_code == 422
    assert not Measurement.objects.exists()
    response = _upload(client, _csv("指标名称,月份,实际值\n新客户数量,2024-05,31\n"))
    assert client.post("/kpis/import/", _mapping_data(response)).status_code == 302
    assert foreign.measurements.get().value == 31


def test_an_admin_imports_into_every_department(revenue: Kpi, foreign: Kpi, admin: Any) -> None:
    text = "指标名称,月份,实际值\n营业收入,2024-05,1480\n新客户数量,2024-05,31\n"
    client = client_for(admin)
    response = _upload(client, _csv(text))
    assert client.post("/kpis/import/", _mapping_data(response)).status_code == 302
    assert Measurement.objects.count() == 2


def test_imported_values_that_trip_a_rule_fire_it(
    sales: Kpi, rule: AlertRule, owner: Any, colleague: Any
) -> None:
    text = "指标名称,周,实际值,备注\n销售额,2024-W22,352,\n销售额,2024-W23,338,缺货\n"
    client = client_for(colleague)
    response = _upload(client, _csv(text))
    done = client.post("/kpis/import/", _mapping_data(response, period_column="周"), follow=True)
    assert done.redirect_chain == [("/kpis/", 302)]
    alert = Alert.objects.get()
    assert alert.streak == "2024-W22、2024-W23"
    review = Review.objects.get()
    assert review.owner == owner.person and review.title.startswith("启动销售复盘")
    assert Notification.objects.get().user == owner
    shown = " ".join(messages_of(done))
    assert "2 values imported for 1 KPIs." in shown
    assert "Alert “销售额连续两周低于预警值” fired" in shown


def test_an_unreadable_upload_is_a_form_error(owner: Any) -> None:
    client = client_for(owner)
    response = client.post(
        "/kpis/import/", {"file": SimpleUploadedFile("notes.pdf", b"%PDF-1.4", "application/pdf")}
    )
    assert response.status_code == 422
    assert "unsupported file type" in str(response.context["form"].errors["file"])
    empty = client.post("/kpis/import/", {"file": _csv("", "empty.csv")})
    assert empty.status_code == 422
    assert "file" in empty.context["form"].errors


@pytest.mark.parametrize("token", ["../../etc/passwd", "0" * 32 + ".csv"])
def test_a_bad_or_unknown_token_starts_over(revenue: Kpi, owner: Any, token: str) -> None:
    data = {"token": token, "kpi_column": "", "period_column": "月份", "value_column": "实际值"}
    response = client_for(owner).post("/kpis/import/", data, follow=True)
    assert response.redirect_chain == [("/kpis/import/", 302)]
    assert "the upload has expired; upload the file again" in messages_of(response)
    assert not Measurement.objects.exists()


def test_a_name_shared_by_two_departments_is_not_guessed(
    revenue: Kpi, org: Any, owner: Any, admin: Any
) -> None:
    """客户满意度 is a KPI of 采购部 and of 销售部: the admin's file must not pick one silently."""
    for dept in ("采购部", "销售部"):
        Kpi.objects.create(
            name="客户满意度",
            level="department",
            department=org[dept],
            frequency="monthly",
            tracked_from=date(2024, 1, 1),
        )
    text = "指标名称,月份,实际值\n营业收入,2024-05,1480\n客户满意度,2024-05,4.6\n"
    client = client_for(admin)
    response = _upload(client, _csv(text, "满意度.csv"))
    before = snapshot()
    failed = client.post("/kpis/import/", _mapping_data(response))
    assert failed.status_code == 422
    (error,) = failed.context["result"].errors
    assert error.startswith("满意度.csv, row 3, column '指标名称', value '客户满意度': ")
    assert "采购部" in error and "销售部" in error
    assert snapshot() == before
    # the owner may change only 采购部's: for him the name is not ambiguous
    response = _upload(client_for(owner), _csv(text))
    assert client_for(owner).post("/kpis/import/", _mapping_data(response)).status_code == 302
    assert Kpi.objects.get(name="客户满意度", department=org["采购部"]).measurements.count() == 1
    # the admin imports them one KPI at a time
    one = _upload(client, _csv("月份,实际值\n2024-06,4.4\n"))
    sales_kpi = Kpi.objects.get(name="客户满意度", department=org["销售部"])
    assert client.post("/kpis/import/", _mapping_data(one, kpi=sales_kpi.pk)).status_code == 302
    assert sales_kpi.measurements.get().value == Decimal("4.4")
