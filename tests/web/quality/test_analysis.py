"""The monthly analysis page, the month picker, the origin of a systemic fix and the export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from opslens.web.org.models import Department
from opslens.web.quality import services
from opslens.web.quality.models import Problem, ServiceStandard
from tests.web.conftest import client_for
from tests.web.quality.conftest import make_problem, u


def test_pareto_and_vital_few(owner: Any, org: dict[str, Department]) -> None:
    for i, kind in enumerate(
        ["响应速度慢"] * 4 + ["专业能力不足"] * 3 + ["服务规范缺失"] * 2 + ["其他"]
    ):
        make_problem(org["采购部"], inspected_on=date(2024, 8, 1 + i), problem_type=kind)
    page = client_for(owner).get(u("analysis", "2024-08"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    types = page.context["result"].problem_types
    assert [(t.name, t.count, t.vital) for t in types] == [
        ("响应速度慢", 4, True),
        ("专业能力不足", 3, True),
        ("服务规范缺失", 2, True),  # 70 % before it: still below 80 %
        ("其他", 1, False),
    ]
    chart = page.context["types_chart"]
    assert chart["cumulative"] == [40.0, 70.0, 90.0, 100.0]
    html = page.content.decode()
    assert html.count('class="vital"') >= 3
    assert "40.0%" in html


@pytest.mark.parametrize("key", ["2024-13", "2024-6", "junk", "2024-00"])
def test_bad_months_are_404(owner: Any, key: str) -> None:
    assert client_for(owner).get(u("analysis", key)).status_code == 404
    assert client_for(owner).get(u("export", key)).status_code == 404


def test_month_picker(owner: Any) -> None:
    client = client_for(owner)
    assert client.get(u("analysis_index"), {"month": "2024-06"})["Location"] == u(
        "analysis", "2024-06"
    )
    assert client.get(u("analysis_index"))["Location"] == u("analysis", "2024-09")
    assert client.get(u("analysis_index"), {"month": "x"})["Location"] == u("analysis", "2024-09")
    empty = client.get(u("analysis", "2023-01"), HTTP_ACCEPT_LANGUAGE="en")
    assert (
        empty.status_code == 200 and "No problems were found in 2023-01" in empty.content.decode()
    )


def test_dashboard_filters(owner: Any, org: dict[str, Department]) -> None:
    a = make_problem(org["采购部"], inspected_on=date(2024, 8, 5), level="minor")
    b = make_problem(org["销售部"], inspected_on=date(2024, 9, 2), stage="在线咨询", level="major")
    client = client_for(owner)

    def shown(**params: Any) -> list[int]:
        return [p.pk for p in client.get(u("dashboard"), params).context["rows"]]

    assert shown() == [b.pk, a.pk]
    assert shown(month="2024-08") == [a.pk]
    assert shown(stage="在线") == [b.pk]
    assert shown(level="minor") == [a.pk]
    assert shown(department=org["销售部"].pk) == [b.pk]
    assert shown(status="open") == [b.pk, a.pk]
    assert shown(status="closed") == []
    assert shown(month="bad") == [b.pk, a.pk]  # an unusable filter is ignored, not a 500


def test_project_origin(owner: Any, org: dict[str, Department], problem: Problem) -> None:
    origin = services.project_origin(problem.pk, owner)
    assert origin is not None
    assert (origin.kind, origin.ref, origin.url) == (
        "quality",
        problem.pk,
        problem.get_absolute_url(),
    )
    assert origin.department_id == org["采购部"].pk
    assert origin.owner_id == owner.person.pk  # the department's head
    assert "40 秒" in origin.summary and "30 秒" in origin.summary and "+33 %" in origin.summary
    assert origin.name and origin.goal and "电话接听" in origin.goal
    assert services.project_origin(999_999, owner) is None


def test_origin_through_the_projects_registry(owner: Any, problem: Problem) -> None:
    from opslens.web.projects.origins import resolve

    assert resolve("quality", str(problem.pk), owner).ref == problem.pk
    assert resolve("quality", "nope", owner) is None


def test_systemic_fix_links(owner: Any, problem: Problem) -> None:
    try:
        target = reverse("projects:create")
    except NoReverseMatch:
        pytest.skip("the projects app has no create page yet")
    link = f"{target}?origin=quality&amp;ref={problem.pk}"
    assert link in client_for(owner).get(problem.get_absolute_url()).content.decode()
    analysis = client_for(owner).get(u("analysis", "2024-09")).content.decode()
    assert link in analysis


def test_export_in_the_seed_layout(
    owner: Any, problem: Problem, org: dict[str, Department]
) -> None:
    make_problem(org["采购部"], inspected_on=date(2024, 8, 30), description="八月的")
    response = client_for(owner).get(u("export", "2024-09"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:10]) == services.XLSX_COLUMNS
    assert len(rows) == 2  # September only
    row = rows[1]
    assert row[0].date() == date(2024, 9, 2)
    assert row[1:5] == ("客服响应", "神秘顾客检查", "来电等待过久", "一般")
    assert row[5] == "采购部/王强"
    assert row[8] == "整改中"
    assert row[10] == "严重"  # the rule's level beside the recorded one


def test_recommended_standards(admin: Any, owner: Any) -> None:
    page = client_for(admin).get(u("standards"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="add-defaults"' in page.content.decode()
    assert (
        'data-testid="add-defaults"' not in client_for(owner).get(u("standards")).content.decode()
    )
    client_for(admin).post(u("standards_defaults"))
    assert ServiceStandard.objects.count() == 7
    client_for(admin).post(u("standards_defaults"))
    assert ServiceStandard.objects.count() == 7
    std = ServiceStandard.objects.get(metric="电话接听")
    assert (std.rule, std.threshold) == ("电话接听 ≤ 30 秒", Decimal(30))


def test_standard_form_errors(admin: Any) -> None:
    services.add_default_standards()
    client = client_for(admin)
    data = {
        "stage": "客服响应",
        "metric": "电话接听",
        "comparison": "at_most",
        "threshold": "20",
        "unit": "秒",
    }
    response = client.post(u("standards"), data)
    assert response.status_code == 422 and "metric" in response.context["form"].errors
    response = client.post(u("standards"), {**data, "metric": "回拨", "threshold": "0"})
    assert response.status_code == 422 and "threshold" in response.context["form"].errors
