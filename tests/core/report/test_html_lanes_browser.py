"""Swimlanes on the report's map in headless Chromium: bands, nodes in their band, paths still
joining their nodes, every control working with lanes on, and the messages to an embedding page."""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opslens.core.eventlog import read_event_log
from opslens.core.mining import analyze
from opslens.core.mining.bpmn_discovered import default_min_frequency
from opslens.core.mining.lanes import ActivityLane, ActivityLanes, LaneShare, activity_lanes
from opslens.core.report import render_html
from tests.conftest import eventlog

from .test_html import HOSTILE, _payload, large_result, sample_result
from .test_html_browser import CHROMIUM, Opened, _open, sync_api
from .test_html_lanes import department_lanes, resource_lanes

pytestmark = [pytest.mark.browser]

LANES = {"resource": resource_lanes(), "部门": department_lanes()}

GEOMETRY = """() => {
  const box = (g) => {
    const m = /translate\\(([-\\d.]+),([-\\d.]+)\\)/.exec(g.getAttribute('transform'));
    const x = +m[1], y = +m[2];
    const r = g.querySelector(':scope > rect');
    if (r && !g.classList.contains('marker')) {
      const w = +r.getAttribute('width'), h = +r.getAttribute('height');
      return {x0: x - w / 2, x1: x + w / 2, y0: y - h / 2, y1: y + h / 2};
    }
    return {x0: x - 15, x1: x + 15, y0: y - 15, y1: y + 15};
  };
  const nodes = {};
  document.querySelectorAll('#map-svg .node').forEach(g => { nodes[g.dataset.key] = box(g); });
  const bands = [...document.querySelectorAll('#map-svg .lanes .lane')].map(g => {
    const r = g.querySelector('.lane-band');
    return {name: g.dataset.lane, x0: +r.getAttribute('x'),
            x1: +r.getAttribute('x') + +r.getAttribute('width'),
            label: [...g.querySelectorAll('.lane-name tspan')].map(t => t.textContent).join('')};
  });
  const first = (d) => { const m = /M([-\\d.]+),([-\\d.]+)/.exec(d); return [+m[1], +m[2]]; };
  const edges = [...document.querySelectorAll('#map-svg .edge')].map(g => ({
    from: g.dataset.from, to: g.dataset.to,
    start: first(g.querySelector('.edge-line').getAttribute('d')),
    tip: first(g.querySelector('.edge-arrow').getAttribute('d')),
  }));
  return {nodes, bands, edges};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


def _on_boundary(box: dict[str, float], point: list[float], tolerance: float = 3.0) -> bool:
    x, y = point
    inside = (
        box["x0"] - tolerance <= x <= box["x1"] + tolerance
        and box["y0"] - tolerance <= y <= box["y1"] + tolerance
    )
    near_edge = min(abs(x - box["x0"]), abs(x - box["x1"]), abs(y - box["y0"]), abs(y - box["y1"]))
    return inside and near_edge <= tolerance + 16  # a marker is a circle inside its box


def _choose(opened: Opened, value: str, name: str) -> None:
    opened.page.select_option("#lane-select", value)
    opened.page.wait_for_function(
        f"document.getElementById('map-svg').dataset.lanes === {json.dumps(name)}"
    )


def check_lanes(opened: Opened, page_html: str, column: str) -> dict[str, Any]:
    """Bands side by side, each activity inside the band of its lane, no two nodes overlapping,
    start above and end below every activity, every path from its source to its target."""
    geo: dict[str, Any] = opened.page.evaluate(GEOMETRY)
    data = _payload(page_html)
    (lane_set,) = [s for s in data["lanes"] if s["name"] == column]
    bands = {b["name"]: b for b in geo["bands"]}
    assert len(bands) == len(geo["bands"]) >= 1
    ordered = sorted(geo["bands"], key=lambda b: b["x0"])
    for left, right in itertools.pairwise(ordered):
        assert left["x1"] <= right["x0"] + 0.5
    activities = {k: v for k, v in geo["nodes"].items() if k.startswith("n")}
    for key, box in activities.items():
        lane = lane_set["values"][lane_set["lane"][int(key[1:])]]
        band = bands[lane]
        assert band["x0"] <= box["x0"] and box["x1"] <= band["x1"], (key, lane)
    boxes = list(geo["nodes"].items())
    for i, (ka, a) in enumerate(boxes):
        for kb, b in boxes[i + 1 :]:
            overlap = a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"]
            assert not (overlap and b["y0"] < a["y1"]), (ka, kb)
    start, end = geo["nodes"]["S"], geo["nodes"]["E"]
    assert all(start["y1"] < box["y0"] for box in activities.values())
    assert all(end["y0"] > box["y1"] for box in activities.values())
    for edge in geo["edges"]:
        if edge["from"] == edge["to"]:
            continue
        assert _on_boundary(geo["nodes"][edge["from"]], edge["start"]), edge
        assert _on_boundary(geo["nodes"][edge["to"]], edge["tip"]), edge
    return geo


def test_lanes_by_department_and_resource(browser: Any, tmp_path: Path) -> None:
    page_html = render_html(sample_result(), lang="zh", lanes=LANES)
    opened = _open(browser, tmp_path, page_html)
    page = opened.page
    assert page.locator("#map-svg .lanes").count() == 0  # none until chosen
    plain_edges = opened.dfg_edges()
    _choose(opened, "1", "部门")
    geo = check_lanes(opened, page_html, "部门")
    assert {b["name"] for b in geo["bands"]} == {"客服部", "技术部", "<b>质检部</b> & 'x'", "—"}
    assert "<b>质检部</b> & 'x'" in {b["label"] for b in geo["bands"]}  # text, not markup
    assert opened.dfg_edges() == plain_edges  # the same paths
    _choose(opened, "0", "resource")
    check_lanes(opened, page_html, "resource")
    _choose(opened, "", "")
    assert page.locator("#map-svg .lanes").count() == 0
    assert opened.dfg_edges() == plain_edges
    assert opened.errors == [] and opened.dialogs == [] and opened.requests == []
    page.close()


def test_controls_keep_working_with_lanes(browser: Any, tmp_path: Path) -> None:
    page_html = render_html(sample_result(), lang="en", lanes=LANES)
    opened = _open(browser, tmp_path, page_html)
    page = opened.page
    _choose(opened, "1", "部门")
    # tooltip and details show the lane and its share
    node = page.locator("#map-svg .node", has_text="技术处理")
    node.hover()
    tooltip = page.locator("#map-tooltip").inner_text()
    assert "部门" in tooltip and "技术部 · 80.0%" in tooltip and "质检部 20.0%" in tooltip
    node.click()
    details = page.locator("#map-details").inner_text()
    assert "技术处理" in details and "技术部 · 80.0%" in details and "Also" in details
    # the mode
    before = opened.edge_labels()
    page.click("#mode-duration")
    assert opened.edge_labels() != before and "1.6 d" in opened.edge_labels()
    page.click("#mode-frequency")
    assert opened.edge_labels() == before
    # the slider: rare paths go, the lanes stay
    total = opened.dfg_edges()
    page.focus("#path-slider")
    page.keyboard.press("End")
    page.wait_for_function(f"document.getElementById('map-svg').dataset.edges < {total}")
    assert page.get_attribute("#map-svg", "data-lanes") == "部门"
    check_lanes(opened, page_html, "部门")
    page.keyboard.press("Home")
    page.wait_for_function(f"document.getElementById('map-svg').dataset.edges == {total}")
    # fit, pan
    page.click("#map-fit")
    fitted = page.get_attribute("#map-svg .viewport", "transform")
    box = page.locator("#map-canvas").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 30, box["y"] + 30)
    page.mouse.wheel(0, -300)
    assert page.get_attribute("#map-svg .viewport", "transform") != fitted
    # downloads as drawn: the bands and their names are in the SVG, the PNG is a picture
    with page.expect_download() as svg_download:
        page.click("#map-svg-download")
    svg_text = Path(svg_download.value.path()).read_text(encoding="utf-8")
    assert svg_text.startswith("<svg") and 'class="lanes"' in svg_text
    assert "客服部" in svg_text and "技术处理" in svg_text and 'transform="translate(' in svg_text
    with page.expect_download() as png_download:
        page.click("#map-png-download")
    png = Path(png_download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert opened.errors == []
    page.close()


def test_lane_names_stay_in_view_when_the_map_scrolls_down(browser: Any, tmp_path: Path) -> None:
    """Dragged down past its header row, the map keeps its lane names pinned at the top of the
    canvas, over the right bands; back at the top (and in the downloads) only the map's own."""
    page_html = render_html(sample_result(), lang="zh", lanes=LANES)
    opened = _open(browser, tmp_path, page_html)
    page = opened.page
    _choose(opened, "1", "部门")
    pin = page.locator("#map-svg .lane-pin")
    assert pin.count() == 1 and not pin.is_visible()
    page.locator("#map-canvas").scroll_into_view_if_needed()
    box = page.locator("#map-canvas").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 100
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 40, y - 250, steps=8)
    page.mouse.up()
    assert pin.is_visible()
    canvas_top = box["y"]
    for name in ("客服部", "技术部"):
        pinned = pin.locator(".lane-name", has_text=name).bounding_box()
        own = page.locator(f'#map-svg .lanes .lane[data-lane="{name}"] .lane-band').bounding_box()
        assert pinned is not None and own is not None
        assert canvas_top <= pinned["y"] <= canvas_top + 40  # at the top of the canvas
        assert own["x"] <= pinned["x"] and pinned["x"] + pinned["width"] <= own["x"] + own["width"]
    with page.expect_download() as svg_download:
        page.click("#map-svg-download")
    svg_text = Path(svg_download.value.path()).read_text(encoding="utf-8")
    assert "lane-pin" not in svg_text and 'class="lanes"' in svg_text
    page.click("#map-fit")
    assert not pin.is_visible()
    _choose(opened, "", "")
    assert page.locator("#map-svg .lane-pin").count() == 0
    assert opened.errors == []
    page.close()


@pytest.mark.parametrize(("name", "column"), [("receipt.xes.gz", "org:group")])
def test_real_log_lanes(browser: Any, tmp_path: Path, name: str, column: str) -> None:
    with read_event_log(eventlog(name)) as log:
        result = analyze(log)
        lanes = {column: activity_lanes(log, column), "resource": activity_lanes(log, "resource")}
    page_html = render_html(result, lang="zh", lanes=lanes)
    opened = _open(browser, tmp_path, page_html)
    for value, key in (("0", column), ("1", "resource")):
        _choose(opened, value, key)
        check_lanes(opened, page_html, key)
        opened.page.focus("#path-slider")
        opened.page.keyboard.press("Home")  # every path
        opened.page.wait_for_function(
            f"document.getElementById('map-svg').dataset.edges == {len(result.dfg)}"
        )
        check_lanes(opened, page_html, key)
    assert opened.errors == []
    opened.page.close()


def test_large_map_with_lanes(browser: Any, tmp_path: Path) -> None:
    result = large_result(36, 300)
    lanes = ActivityLanes(
        "部门",
        tuple(
            ActivityLane(a.activity, 10, (LaneShare(f"部门{i % 6}", 10, 1.0),))
            for i, a in enumerate(result.activities)
        ),
    )
    page_html = render_html(result, lang="en", lanes={"部门": lanes})
    opened = _open(browser, tmp_path, page_html)
    _choose(opened, "0", "部门")
    check_lanes(opened, page_html, "部门")
    opened.page.focus("#path-slider")
    opened.page.keyboard.press("Home")
    opened.page.wait_for_function("document.getElementById('map-svg').dataset.edges == 300")
    check_lanes(opened, page_html, "部门")
    assert opened.errors == []
    opened.page.close()


# --------------------------------------------------------------------------- embedding


PARENT = """<!DOCTYPE html><meta charset="utf-8"><title>embedder</title>
<script>window.got = []; window.addEventListener('message', e => {
  if (e.origin === location.origin) window.got.push(e.data); });</script>
<iframe id="f" src="report.html" style="width:1300px;height:900px"></iframe>"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    (tmp_path / "parent.html").write_text(PARENT, encoding="utf-8")
    yield f"http://127.0.0.1:{server.server_address[1]}/parent.html", tmp_path
    server.shutdown()
    server.server_close()


def test_messages_to_the_embedding_page(browser: Any, served: tuple[str, Path]) -> None:
    url, folder = served
    result = large_result(36, 300)
    lanes = ActivityLanes(
        "部门",
        tuple(
            ActivityLane(a.activity, 10, (LaneShare(f"部门{i % 3}", 10, 1.0),))
            for i, a in enumerate(result.activities)
        ),
    )
    (folder / "report.html").write_text(
        render_html(result, lang="zh", lanes={"部门": lanes}), encoding="utf-8"
    )
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    frame = page.frame_locator("#f")
    frame.locator("#process-map[data-ready]").wait_for()

    def views() -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = page.evaluate("window.got")
        return [m for m in got if m.get("kind") == "view"]

    page.wait_for_function("window.got.length >= 1")
    default = default_min_frequency(result)
    # once after the first draw, at the same minimum as the BPMN export's default
    assert views() == [{"source": "opslens-map", "kind": "view", "min": default, "lanes": None}]
    frame.locator("#lane-select").select_option("0")
    page.wait_for_function("window.got.length >= 2")
    assert views()[-1] == {"source": "opslens-map", "kind": "view", "min": default, "lanes": "部门"}
    frame.locator("#path-slider").focus()
    frame.locator("#path-slider").press("Home")
    page.wait_for_function("window.got.length >= 3")
    lowest = min(e.frequency for e in result.dfg)
    assert views()[-1] == {"source": "opslens-map", "kind": "view", "min": lowest, "lanes": "部门"}
    # a change that keeps both says nothing; the selection message is as before
    count = len(page.evaluate("window.got"))
    frame.locator("#mode-duration").click()
    frame.locator("#map-fit").click()
    frame.locator("#map-svg .node", has_text=result.activities[5].activity).first.click()
    page.wait_for_function(f"window.got.length > {count}")
    selection = page.evaluate("window.got")[-1]
    assert selection == {
        "source": "opslens-map",
        "activity": result.activities[5].activity,
        "from": None,
        "to": None,
    }
    assert len(views()) == 3
    frame.locator("#lane-select").select_option("")
    page.wait_for_function("window.got.filter(m => m.kind === 'view').length >= 4")
    assert views()[-1]["lanes"] is None
    assert errors == []
    page.close()


def test_hostile_names_in_lanes_stay_text(browser: Any, tmp_path: Path) -> None:
    lanes = ActivityLanes(
        HOSTILE,
        (ActivityLane("客服记录", 1, (LaneShare(HOSTILE, 1, 1.0),)),),
    )
    page_html = render_html(sample_result(), lang="en", lanes={HOSTILE: lanes})
    opened = _open(browser, tmp_path, page_html)
    _choose(opened, "0", HOSTILE)
    assert HOSTILE in (opened.page.locator("#map-svg .lanes").text_content() or "")
    assert opened.dialogs == [] and opened.errors == []
    opened.page.close()


def test_lanes_shown_when_the_report_opens(browser: Any, tmp_path: Path) -> None:
    page_html = render_html(sample_result(), lang="zh", lanes=LANES, show_lanes="部门")
    opened = _open(browser, tmp_path, page_html)
    assert opened.page.get_attribute("#map-svg", "data-lanes") == "部门"
    check_lanes(opened, page_html, "部门")
    _choose(opened, "", "")
    assert opened.page.locator("#map-svg .lanes").count() == 0
    assert opened.errors == []
    opened.page.close()
