"""Error pages: 403 and 404 inside the workbench's frame in the user's language; 400, 500 and
an expired form (CSRF) as standalone pages in both languages; none shows Django's default."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from opslens.web.processes.models import Process
from tests.web.conftest import client_for


@pytest.mark.parametrize(
    ("lang", "title", "home"),
    [("en", "Page not found", "Go to the start page"), ("zh-hans", "找不到页面", "返回首页")],
)
def test_404_in_the_users_language(owner: Any, lang: str, title: str, home: str) -> None:
    client = client_for(owner)
    client.cookies["django_language"] = lang
    response = client.get("/processes/987654/")
    assert response.status_code == 404
    page = response.content.decode()
    assert title in page and home in page
    assert 'data-testid="error-404"' in page
    assert "<code>/processes/987654/</code>" in page
    assert 'class="lifecycle"' in page  # the workbench's navigation, not a bare page
    assert "The requested resource was not found" not in page


def test_404_escapes_the_path(owner: Any) -> None:
    page = client_for(owner).get("/no-such/<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_404_without_login_has_no_navigation(db: None) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="error-404"' in page and 'class="lifecycle"' not in page


@pytest.mark.parametrize(
    ("lang", "title", "who"),
    [
        ("en", "Not allowed", "You are logged in as 杨帆 (Department head, 销售部)"),
        ("zh-hans", "无权操作", "您当前登录为 杨帆（部门负责人，销售部）"),
    ],
)
def test_403_says_who_you_are_and_whom_to_ask(
    procurement: Process, outsider: Any, admin: Any, lang: str, title: str, who: str
) -> None:
    """The head of 销售部 may not edit 采购部's process: the page names the login's role and
    department and the operations admin to ask; nothing changes."""
    client = client_for(outsider)
    client.cookies["django_language"] = lang
    name = procurement.name
    response = client.post(f"/processes/{procurement.pk}/edit/", {"name": "改名"})
    assert response.status_code == 403
    page = response.content.decode()
    assert title in page and who in page
    assert "林晓" in page  # the operations admin
    assert 'data-testid="error-403"' in page
    procurement.refresh_from_db()
    assert procurement.name == name


def test_500_is_a_standalone_page_in_both_languages(owner: Any, settings: Any) -> None:
    """A failing view shows the bilingual page, not a traceback or Django's default."""
    from django.urls import path

    from opslens.web import urls

    def broken(request: Any) -> Any:
        raise RuntimeError("boom: secret detail")

    settings.ROOT_URLCONF = type(
        "BrokenUrls",
        (),
        {"urlpatterns": [path("broken/", broken), *urls.urlpatterns]},
    )
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert 'data-testid="error-500"' in page
    assert "出错了" in page and "Something went wrong" in page
    assert "secret detail" not in page and "Traceback" not in page


def test_expired_form_explains_itself(owner: Any) -> None:
    """A form posted without a valid CSRF token (the page open too long, logged out elsewhere)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post("/processes/new/", {"name": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-csrf"' in page
    assert "页面已过期" in page and "The page has expired" in page
    assert "CSRF verification failed" not in page


def test_400_is_a_standalone_page(owner: Any) -> None:
    """A request Django refuses as bad (a host it does not serve) gets the bilingual page."""
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="error-400"' in page and "Bad request" in page and "请求有误" in page
