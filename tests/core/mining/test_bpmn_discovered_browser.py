"""The discovered BPMN in the workbench's vendored bpmn-js viewer (headless Chromium, offline):
it imports without warnings and draws every task, gateway, flow and lane where the file says."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opslens.core.eventlog import read_event_log
from opslens.core.mining import analyze
from opslens.core.mining.bpmn_discovered import default_min_frequency, discovered_bpmn
from opslens.core.mining.lanes import activity_lanes
from opslens.samples.generate import write_complaints

from .test_bpmn_discovered import parse

CHROMIUM = os.environ.get("OPSLENS_CHROMIUM", "/usr/bin/chromium")
VENDOR = Path(__file__).resolve().parents[3] / "src" / "opslens" / "web" / "static" / "vendor"

pytestmark = [pytest.mark.browser]

if not Path(CHROMIUM).exists():
    if os.environ.get("OPSLENS_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is not installed (OPSLENS_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

if os.environ.get("OPSLENS_REQUIRE_BROWSER"):
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def viewer_page(document: bytes) -> str:
    xml = json.dumps(document.decode("utf-8"))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="{(VENDOR / "diagram-js.css").as_uri()}">
<link rel="stylesheet" href="{(VENDOR / "bpmn-js.css").as_uri()}">
<style>html, body, #canvas {{ margin: 0; width: 100%; height: 100%; }}</style></head>
<body><div id="canvas"></div>
<script src="{(VENDOR / "bpmn-navigated-viewer.production.min.js").as_uri()}"></script>
<script>
const viewer = new BpmnJS({{ container: "#canvas" }});
viewer.importXML({xml}).then((r) => {{
  window.warnings = r.warnings.map((w) => w.message);
  viewer.get("canvas").zoom("fit-viewport");
  const registry = viewer.get("elementRegistry");
  window.drawn = registry.getAll().map((e) => ({{
    id: e.id, type: e.type, x: e.x, y: e.y, width: e.width, height: e.height,
    waypoints: e.waypoints ? e.waypoints.length : null,
  }}));
}}).catch((e) => {{ window.failed = String(e); }});
</script></body></html>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


def test_bpmn_js_draws_the_discovered_map(browser: Any, tmp_path: Path) -> None:
    path = write_complaints(tmp_path / "complaints.csv", cases=400, seed=2)
    with read_event_log(path, timezone="Asia/Shanghai") as log:
        result = analyze(log)
        lanes = activity_lanes(log, "部门")
    errors: list[str] = []
    requests: list[str] = []
    for with_lanes in (None, lanes):
        document = discovered_bpmn(
            result, min_frequency=default_min_frequency(result), lanes=with_lanes, lang="zh"
        )
        doc = parse(document)
        page_file = tmp_path / "viewer.html"
        page_file.write_text(viewer_page(document), encoding="utf-8")
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith("file:") else requests.append(r.url))
        page.goto(page_file.as_uri())
        page.wait_for_function("window.drawn !== undefined || window.failed !== undefined")
        assert page.evaluate("window.failed || null") is None
        assert page.evaluate("window.warnings") == []
        drawn = {e["id"]: e for e in page.evaluate("window.drawn")}
        for node_id, box in doc.shapes.items():
            assert node_id in drawn, node_id
            shown = drawn[node_id]
            assert (shown["x"], shown["y"], shown["width"], shown["height"]) == (
                box.x,
                box.y,
                box.width,
                box.height,
            )
        for flow_id, points in doc.edges.items():
            assert drawn[flow_id]["waypoints"] == len(points)
        assert "技术处理" in page.locator("#canvas").inner_text()
        if with_lanes is not None:
            assert {"客服部", "技术部"} <= set(page.locator("#canvas").inner_text().split())
        assert errors == [] and requests == []
        page.close()
