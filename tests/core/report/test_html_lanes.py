"""The report's swimlane choice (no browser): the control, the labels, the map data."""

from __future__ import annotations

import html
import re

import pytest

from opslens.core.mining.lanes import NO_VALUE, ActivityLane, ActivityLanes, LaneShare
from opslens.core.report import render_html
from opslens.core.report.html import _LABELS

from .test_html import ACTIVITY_NAMES, HOSTILE, _payload, _section, sample_result

DEPARTMENTS = {
    "客服记录": "客服部",
    "投诉分级": "客服部",
    "技术处理": "技术部",
    "反馈客户": "客服部",
    HOSTILE: "<b>质检部</b> & 'x'",
}


def department_lanes() -> ActivityLanes:
    # "Close case" is not known to the column: it goes to the "—" lane
    return ActivityLanes(
        "部门",
        tuple(
            ActivityLane(
                name,
                100,
                (LaneShare(dept, 80, 0.8), LaneShare("质检部", 20, 0.2)),
            )
            for name, dept in DEPARTMENTS.items()
        ),
    )


def resource_lanes() -> ActivityLanes:
    return ActivityLanes(
        "resource",
        tuple(
            ActivityLane(name, 10, (LaneShare(f"员工{i}", 10, 1.0),))
            for i, name in enumerate(ACTIVITY_NAMES)
        ),
    )


def test_without_lanes_nothing_changes() -> None:
    result = sample_result()
    for lang in ("en", "zh"):
        page = render_html(result, lang=lang)
        assert (
            page
            == render_html(result, lang=lang, lanes=None)
            == render_html(result, lang=lang, lanes={})
        )
        assert 'id="lane-select"' not in page
        data = _payload(page)
        assert "lanes" not in data and "lane_others" not in data["labels"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_swimlane_choice(lang: str) -> None:
    page = render_html(
        sample_result(),
        lang=lang,  # type: ignore[arg-type]
        lanes={"resource": resource_lanes(), "部门": department_lanes()},
    )
    lab = _LABELS[lang]
    controls = _section(page, "process-map")
    select = re.search(r'<select id="lane-select">(.*?)</select>', controls, re.S)
    assert select is not None
    options = re.findall(r'<option value="(\d*)">(.*?)</option>', select.group(1))
    assert options == [("", lab["lanes_none"]), ("0", lab["lane_resource"]), ("1", "部门")]
    assert f"{html.escape(lab['swimlanes'])}<select" in controls
    data = _payload(page)
    assert data["labels"]["lane_others"] == lab["lane_others"]
    resource, dept = data["lanes"]
    assert (resource["name"], resource["label"]) == ("resource", lab["lane_resource"])
    assert (dept["name"], dept["label"]) == ("部门", "部门")
    names = [a["name"] for a in data["activities"]]
    by_name = dict(zip(names, range(len(names)), strict=True))
    assert dept["values"][dept["lane"][by_name["技术处理"]]] == "技术部"
    assert dept["values"][dept["lane"][by_name[HOSTILE]]] == "<b>质检部</b> & 'x'"  # as data
    assert dept["values"][dept["lane"][by_name["Close case"]]] == NO_VALUE
    assert dept["share"][by_name["客服记录"]] == 0.8
    assert dept["share"][by_name["Close case"]] is None
    assert dept["top"][by_name["客服记录"]] == [["客服部", 0.8], ["质检部", 0.2]]
    assert len(dept["lane"]) == len(dept["share"]) == len(dept["top"]) == len(names)
    # the lane names reach the page only inside the escaped JSON block
    assert "<b>质检部</b>" not in page


def test_every_new_label_in_both_languages() -> None:
    assert set(_LABELS["en"]) == set(_LABELS["zh"])
    for key in ("swimlanes", "lanes_none", "lane_resource", "lane_others"):
        assert _LABELS["en"][key] and _LABELS["zh"][key]
        assert _LABELS["en"][key] != _LABELS["zh"][key]


def test_lanes_shown_when_the_report_opens() -> None:
    lanes = {"resource": resource_lanes(), "部门": department_lanes()}
    page = render_html(sample_result(), lanes=lanes, show_lanes="部门")
    assert '<option value="1" selected>部门</option>' in page
    assert " selected>" not in render_html(sample_result(), lanes=lanes)
    with pytest.raises(ValueError, match="科室"):
        render_html(sample_result(), lanes=lanes, show_lanes="科室")
