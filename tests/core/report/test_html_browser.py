"""The HTML report in headless Chromium: it opens offline, and the map's controls work."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opslens.core.report import render_html

from .test_html import HOSTILE, large_result, sample_result

CHROMIUM = os.environ.get("OPSLENS_CHROMIUM", "/usr/bin/chromium")

pytestmark = [pytest.mark.browser]

if not Path(CHROMIUM).exists():
    # CI sets OPSLENS_REQUIRE_BROWSER: there a missing browser fails the run, never skips.
    if os.environ.get("OPSLENS_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is not installed (OPSLENS_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

if os.environ.get("OPSLENS_REQUIRE_BROWSER"):
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


class Opened:
    """A report opened in a fresh page, recording errors, dialogs and non-file requests."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)
        start = time.perf_counter()
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("#process-map[data-ready]", timeout=15_000)
        self.seconds = time.perf_counter() - start

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        if not request.url.startswith(("file:", "data:", "about:")):
            self.requests.append(request.url)

    def edge_labels(self) -> list[str]:
        labels: list[str] = self.page.eval_on_selector_all(
            "#map-svg .edge-label", "els => els.map(e => e.textContent)"
        )
        return labels

    def dfg_edges(self) -> int:
        return int(self.page.get_attribute("#map-svg", "data-edges") or "0")


def _open(browser: Any, tmp_path: Path, html: str, name: str = "report.html") -> Opened:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return Opened(browser, path)


def test_opens_offline_and_draws_the_map(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, render_html(sample_result(), lang="en"))
    page = opened.page
    assert opened.errors == []
    assert opened.requests == []
    assert opened.dialogs == []  # the <script> activity name never runs
    names = page.eval_on_selector_all(
        "#map-svg .node-name", "els => els.map(e => e.textContent).join(' ')"
    )
    for name in ("客服记录", "投诉分级", "技术处理", "反馈客户"):
        assert name in names
    assert "<script>alert" in names  # shown as text
    assert page.locator("#map-svg .node.marker.start").count() == 1
    assert page.locator("#map-svg .node.marker.end").count() == 1
    assert opened.dfg_edges() == len(sample_result().dfg)
    # the heaviest transition is drawn distinctly
    assert page.locator("#map-svg .edge.hot").count() == 1
    assert page.locator("#map-svg .hot-tag").count() == 1
    page.close()


def test_frequency_duration_toggle(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, render_html(sample_result(), lang="en"))
    page = opened.page
    before = opened.edge_labels()
    assert "1,200" in before
    widths_before = page.eval_on_selector_all(
        "#map-svg .edge-line", "els => els.map(e => e.getAttribute('stroke-width'))"
    )
    page.click("#mode-duration")
    after = opened.edge_labels()
    assert after != before
    assert "1.6 d" in after  # 投诉分级 → 技术处理, mean 1.6 days
    assert "35 min" in after
    assert page.get_attribute("#mode-duration", "aria-pressed") == "true"
    widths_after = page.eval_on_selector_all(
        "#map-svg .edge-line", "els => els.map(e => e.getAttribute('stroke-width'))"
    )
    assert widths_after != widths_before
    page.click("#mode-frequency")
    assert opened.edge_labels() == before
    assert opened.errors == []
    page.close()


def test_slider_hides_rare_paths(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, render_html(sample_result(), lang="en"))
    page = opened.page
    total = opened.dfg_edges()
    nodes_before = page.locator("#map-svg .node").count()
    page.focus("#path-slider")
    page.keyboard.press("End")  # the slider's maximum: only the most frequent path is left
    page.wait_for_function(f"document.getElementById('map-svg').dataset.edges < {total}")
    assert opened.dfg_edges() < total
    assert page.locator("#map-svg .node").count() < nodes_before
    # start and end markers stay
    assert page.locator("#map-svg .node.marker").count() == 2
    assert "1,200" in opened.edge_labels()
    page.keyboard.press("Home")
    page.wait_for_function(f"document.getElementById('map-svg').dataset.edges == {total}")
    assert opened.errors == []
    page.close()


def test_hover_and_click_show_statistics(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, render_html(sample_result(), lang="zh"))
    page = opened.page
    node = page.locator("#map-svg .node", has_text="技术处理")
    node.hover()
    tooltip = page.locator("#map-tooltip")
    assert tooltip.is_visible()
    assert "技术处理" in tooltip.inner_text()
    assert "实例数" in tooltip.inner_text()
    node.click()
    details = page.locator("#map-details").inner_text()
    assert "技术处理" in details and "790" in details and "最大瓶颈" in details
    # an edge too
    point = page.eval_on_selector(
        "#map-svg .edge.hot .edge-hit",
        """p => {
            const at = p.getPointAtLength(p.getTotalLength() / 2);
            const m = p.getScreenCTM();
            return [at.x * m.a + at.y * m.c + m.e, at.x * m.b + at.y * m.d + m.f];
        }""",
    )
    page.mouse.move(point[0], point[1])
    assert "投诉分级 → 技术处理" in tooltip.inner_text()
    assert opened.errors == []
    page.close()


def test_pan_and_zoom(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, render_html(sample_result(), lang="en"))
    page = opened.page

    def transform() -> str:
        return str(page.get_attribute("#map-svg .viewport", "transform"))

    box = page.locator("#map-canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + 30, box["y"] + 30  # empty background near the corner
    start = transform()
    page.mouse.move(x, y)
    page.mouse.wheel(0, -400)
    zoomed = transform()
    assert zoomed != start and "scale(" in zoomed
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 80, steps=5)
    page.mouse.up()
    assert transform() != zoomed
    page.click("#map-fit")
    assert opened.errors == []
    page.close()


def test_tables_sort_and_histogram(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, render_html(sample_result(), lang="en"))
    page = opened.page
    bins = len(sample_result().case_duration_histogram.counts)
    assert page.locator("#histogram rect.bar").count() == bins
    first = "#table-activities tbody tr:first-child td:first-child"
    assert page.inner_text(first) == "客服记录"  # most instances first
    page.click("#table-activities th:nth-child(7)")  # share of time, descending first
    assert page.inner_text(first) == "技术处理"
    page.click("#table-activities th:nth-child(7)")
    assert page.inner_text(first) != "技术处理"
    assert HOSTILE in page.inner_text("#table-activities")
    page.close()


def test_large_map_opens_fast(browser: Any, tmp_path: Path) -> None:
    opened = _open(browser, tmp_path, render_html(large_result(36, 300), lang="en"))
    assert opened.errors == []
    assert opened.seconds < 10
    # a big map starts with the rare paths hidden, and shows them all on demand
    shown = opened.dfg_edges()
    assert 0 < shown < 300
    opened.page.focus("#path-slider")
    opened.page.keyboard.press("Home")
    opened.page.wait_for_function("document.getElementById('map-svg').dataset.edges == 300")
    opened.page.close()
