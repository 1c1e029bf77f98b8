"""Languages: Accept-Language, the language switch, and numbers and dates per locale."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import translation

from opslens.web.common.templatetags.opslens import hours, money, percent
from opslens.web.processes.models import Process, Step
from tests.web.conftest import client_for


def nav(html: str) -> str:
    """The lifecycle navigation bar."""
    match = re.search(r'<nav class="lifecycle".*?</nav>', html, flags=re.S)
    assert match is not None
    return match.group(0)


def test_accept_language_zh_cn_shows_the_chinese_navigation(owner: Any) -> None:
    html = client_for(owner).get("/processes/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="zh-hans">' in html
    bar = nav(html)
    for word in ("诊断", "设计", "试点", "推广", "监控"):
        assert word in bar
    assert "Diagnose" not in bar


def test_english_is_the_default(owner: Any) -> None:
    html = client_for(owner).get("/processes/").content.decode()
    assert '<html lang="en">' in html
    assert "Diagnose" in nav(html)
    assert "诊断" not in nav(html)
    html = client_for(owner).get("/processes/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "Diagnose" in nav(html)


def test_the_language_switch_sets_a_cookie_for_later_requests(owner: Any) -> None:
    client = client_for(owner)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/processes/"})
    assert response.status_code == 302
    assert response["Location"] == "/processes/"
    assert response.cookies["django_language"].value == "zh-hans"
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "诊断" in nav(html)
    # and back, even against the browser's preference
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in html
    assert "Diagnose" in nav(html)


def test_the_language_switch_works_before_login() -> None:
    client = Client()
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert response.status_code == 302
    assert '<html lang="zh-hans">' in client.get("/login/").content.decode()


def test_unknown_language_is_ignored(owner: Any) -> None:
    client = client_for(owner)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


def test_filters_format_numbers_per_locale() -> None:
    with translation.override("en"):
        assert hours(Decimal("1234.5")) == "1,234.5"
        assert hours(Decimal("12.00")) == "12"
        assert hours(Decimal("0.25")) == "0.25"
        assert percent(Decimal(48) / Decimal(97)) == "49.5%"
        assert money(Decimal("150000")) == "150,000.00"
    with translation.override("zh-hans"):
        # Chinese finance tables group thousands with a comma (Django's zh_Hans does not).
        assert hours(Decimal("1234.5")) == "1,234.5"
        assert money(Decimal("650000")) == "650,000.00"
        assert hours(Decimal("12.00")) == "12"
        assert percent(Decimal(48) / Decimal(97)) == "49.5%"
    assert hours(None) == "—"


def test_pages_format_numbers_and_dates_per_locale(procurement: Process, owner: Any) -> None:
    Step.objects.filter(version=procurement.as_is, name="总经理审批").update(
        hours=Decimal("1234.5")
    )
    Process.objects.filter(pk=procurement.pk).update(record_date=date(2024, 5, 20))
    url = procurement.as_is.get_absolute_url()
    english = client_for(owner).get(url).content.decode()
    assert 'data-testid="total-hours">1,283.5 h<' in english
    assert "05/20/2024" in english
    chinese = client_for(owner).get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'data-testid="total-hours">1,283.5 h<' in chinese
    assert "2024年5月20日" in chinese


def test_forms_and_errors_are_translated(procurement: Process, owner: Any) -> None:
    response = client_for(owner).post(
        reverse("processes:step_add", args=[procurement.pk, procurement.as_is.pk]),
        {"name": "x", "hours": "abc"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert response.status_code == 422
    assert "输入一个数字" in response.content.decode()  # Django's own catalogue


def test_a_steps_role_reads_as_in_the_seed_and_a_persons_role_does_not(
    procurement: Process, owner: Any
) -> None:
    """T1's column is 涉及角色 (who takes part in the step); a person's role is just 角色."""
    client = client_for(owner)
    steps = client.get(procurement.as_is.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "<th>涉及角色</th>" in steps.content.decode()
    people = client.get("/org/people/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "<th>角色</th>" in people and "涉及角色" not in people
