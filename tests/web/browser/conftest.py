"""Shared by the browser tests: Debian's Chromium through Playwright, a logged-in session that
records page errors and off-site requests, full-page screenshots, and the demo company.

Each test module calls :func:`require_browser` at import, so it is skipped without Chromium or
Playwright — or fails, when OPSLENS_REQUIRE_BROWSER is set (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("OPSLENS_CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("OPSLENS_SCREENSHOTS")

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def require_browser() -> Any:
    """``playwright.sync_api``; skips (or fails, in CI) the calling module without a browser."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("OPSLENS_REQUIRE_BROWSER"):
            pytest.fail(
                f"{CHROMIUM} is not installed (OPSLENS_REQUIRE_BROWSER is set)", pytrace=False
            )
        pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)
    if os.environ.get("OPSLENS_REQUIRE_BROWSER"):
        from playwright import sync_api

        return sync_api
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


class Session:
    """One browser context (its own cookies and language), logged in through the login page.

    Screenshots go to ``shots`` when given, else to $OPSLENS_SCREENSHOTS when set, else nowhere.
    """

    def __init__(
        self, browser: Any, base: str, locale: str = "en-US", shots: Path | None = None
    ) -> None:
        self.base = base
        self.errors: list[str] = []
        self.shots = shots if shots is not None else (Path(SHOTS) if SHOTS else None)
        self.context = browser.new_context(
            viewport={"width": 1400, "height": 900}, locale=locale, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self._console)
        self.page.on("request", self._request)
        self.offsite: list[str] = []

    def _console(self, message: Any) -> None:
        # A form answered with 422 (its errors) is expected; Chromium logs it as an error.
        if message.type == "error" and "status of 422" not in message.text:
            self.errors.append(message.text)

    def _request(self, request: Any) -> None:
        # data: and this origin's blob: URLs (a downloaded map) never leave the page
        url = request.url
        if not url.startswith((self.base, "data:", "blob:" + self.base)):
            self.offsite.append(url)

    def shot(self, name: str) -> None:
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def login(self, username: str, password: str) -> None:
        self.page.goto(self.base + "/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/")


@pytest.fixture
def demo_company(transactional_db: None) -> None:
    from opslens.web.common.demo import load_demo

    load_demo()
