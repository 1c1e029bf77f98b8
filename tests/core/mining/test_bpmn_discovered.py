"""BPMN of the discovered map: structure, gateways, lanes, a complete non-overlapping diagram,
the report's paths by default, and PM4Py as the oracle that reads it back."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from lxml import etree

from opslens.core.errors import ConfigError
from opslens.core.eventlog import EventLog, read_event_log
from opslens.core.mining import analyze
from opslens.core.mining.bpmn_discovered import (
    default_min_frequency,
    discovered_bpmn,
    kept_paths,
)
from opslens.core.mining.lanes import ActivityLane, ActivityLanes, LaneShare, activity_lanes
from opslens.core.mining.results import AnalysisResult, DfgEdge
from opslens.core.processmap import BPMN_MODEL_NS
from opslens.samples.generate import write_complaints
from tests.conftest import eventlog
from tests.core.report.test_html import HOSTILE, empty_result, large_result, sample_result

NS = {
    "bpmn": BPMN_MODEL_NS,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = ("startEvent", "endEvent", "task", "exclusiveGateway")
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def touches(self, px: float, py: float, tolerance: float = 5.0) -> bool:
        return (
            self.x - tolerance <= px <= self.right + tolerance
            and self.y - tolerance <= py <= self.bottom + tolerance
        )


@dataclass
class Parsed:
    root: etree._Element
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    flows: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id: source, target, name
    shapes: dict[str, Box] = field(default_factory=dict)
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    lanes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # id: name, refs

    def of_kind(self, kind: str) -> list[str]:
        return [i for i, k in self.kinds.items() if k == kind]

    def task_names(self) -> dict[str, str]:
        return {i: self.nodes[i].get("name", "") for i in self.of_kind("task")}

    def outgoing(self, node: str) -> list[str]:
        return [f for f, (s, _, _) in self.flows.items() if s == node]

    def incoming(self, node: str) -> list[str]:
        return [f for f, (_, t, _) in self.flows.items() if t == node]


def parse(document: bytes) -> Parsed:
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(document)
    out = Parsed(root)
    process = root.find("bpmn:process", NS)
    assert process is not None
    for kind in FLOW_NODES:
        for element in process.findall(f"bpmn:{kind}", NS):
            out.nodes[element.get("id")] = element
            out.kinds[element.get("id")] = kind
    for flow in process.findall("bpmn:sequenceFlow", NS):
        out.flows[flow.get("id")] = (flow.get("sourceRef"), flow.get("targetRef"), flow.get("name"))
    for lane in process.findall("bpmn:laneSet/bpmn:lane", NS):
        refs = [r.text for r in lane.findall("bpmn:flowNodeRef", NS)]
        out.lanes[lane.get("id")] = (lane.get("name"), refs)
    for shape in root.iter(f"{{{NS['bpmndi']}}}BPMNShape"):
        b = shape.find("dc:Bounds", NS)
        out.shapes[shape.get("bpmnElement")] = Box(
            *(float(b.get(k)) for k in ("x", "y", "width", "height"))
        )
    for edge in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge"):
        out.edges[edge.get("bpmnElement")] = [
            (float(w.get("x")), float(w.get("y"))) for w in edge.findall("di:waypoint", NS)
        ]
    return out


def _collapsed(doc: Parsed) -> dict[tuple[str, str], int]:
    """The directly-follows edges the document shows: task to task through the gateways, with
    the name (frequency) of the flow that carries the edge."""
    name_of = {**doc.task_names(), **{i: "▶" for i in doc.of_kind("startEvent")}}
    name_of.update({i: "■" for i in doc.of_kind("endEvent")})
    out: dict[tuple[str, str], int] = {}
    for flow_id, (source, target, name) in doc.flows.items():
        if (
            doc.kinds[source] == "exclusiveGateway"
            and doc.nodes[source].get("gatewayDirection") == "Converging"
        ):
            continue  # join → node: not an edge of its own
        if (
            doc.kinds[target] == "exclusiveGateway"
            and doc.nodes[target].get("gatewayDirection") == "Diverging"
        ):
            continue  # node → split
        if doc.kinds[source] == "exclusiveGateway":
            (source,) = [s for s, t, _ in doc.flows.values() if t == source]
        if doc.kinds[target] == "exclusiveGateway":
            (target,) = [t for s, t, _ in doc.flows.values() if s == target]
        key = (name_of[source], name_of[target])
        assert key not in out, key
        out[key] = int(name.replace(",", ""))
        assert flow_id
    return out


def _expected(result: AnalysisResult, threshold: int) -> dict[tuple[str, str], int]:
    kept = kept_paths(result, threshold)
    out = {(s, t): f for s, t, f in kept.edges}
    out.update({("▶", a): n for a, n in kept.starts})
    out.update({(a, "■"): n for a, n in kept.ends})
    return out


def check_structure(document: bytes, result: AnalysisResult, threshold: int) -> Parsed:
    doc = parse(document)
    ids = [e.get("id") for e in doc.root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids))
    assert all(NCNAME.match(i) for i in ids), [i for i in ids if not NCNAME.match(i)]
    assert len(doc.of_kind("startEvent")) == 1 and len(doc.of_kind("endEvent")) == 1
    kept = kept_paths(result, threshold)
    assert sorted(doc.task_names().values()) == sorted(kept.activities)
    # every reference resolves, and incoming/outgoing agree with the flows
    for flow_id, (source, target, name) in doc.flows.items():
        assert source in doc.nodes and target in doc.nodes, flow_id
        assert name and name.replace(",", "").isdigit()
    for node_id, element in doc.nodes.items():
        assert [e.text for e in element.findall("bpmn:incoming", NS)] == doc.incoming(node_id)
        assert [e.text for e in element.findall("bpmn:outgoing", NS)] == doc.outgoing(node_id)
    # gateways exactly where a node splits or joins
    for node_id, kind in doc.kinds.items():
        ins, outs = len(doc.incoming(node_id)), len(doc.outgoing(node_id))
        if kind == "exclusiveGateway":
            direction = doc.nodes[node_id].get("gatewayDirection")
            assert (direction, ins > 1, outs > 1) in (
                ("Diverging", False, True),
                ("Converging", True, False),
            ), node_id
            assert ins >= 1 and outs >= 1
        else:
            assert ins <= 1 and outs <= 1, node_id
    assert not doc.incoming(doc.of_kind("startEvent")[0])
    assert not doc.outgoing(doc.of_kind("endEvent")[0])
    # the same paths as the report's map, with their frequencies
    if result.dfg or result.start_activities:
        assert _collapsed(doc) == _expected(result, threshold)
    # the diagram: every node a shape, every flow an edge from its source to its target
    for node_id in doc.nodes:
        assert node_id in doc.shapes, node_id
    for flow_id, (source, target, _) in doc.flows.items():
        points = doc.edges[flow_id]
        assert len(points) >= 2
        assert doc.shapes[source].touches(*points[0]), (flow_id, points[0])
        assert doc.shapes[target].touches(*points[-1]), (flow_id, points[-1])
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            assert x0 == x1 or y0 == y1, (flow_id, points)  # orthogonal
    boxes = [doc.shapes[i] for i in doc.nodes]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    start, end = doc.shapes[doc.of_kind("startEvent")[0]], doc.shapes[doc.of_kind("endEvent")[0]]
    assert all(start.x < box.x for box in boxes if box != start)
    assert all(box.right < end.right for box in boxes if box != end)
    return doc


def check_lanes(doc: Parsed, lanes: ActivityLanes) -> None:
    refs = [r for _, members in doc.lanes.values() for r in members]
    assert sorted(refs) == sorted(doc.nodes)  # every flow node in exactly one lane
    names = doc.task_names()
    pool = doc.shapes["Participant_1"]
    for lane_id, (lane_name, members) in doc.lanes.items():
        box = doc.shapes[lane_id]
        assert pool.contains(box)
        for member in members:
            assert box.contains(doc.shapes[member]), (lane_name, member)
            if member in names:
                assert lanes.lane_of(names[member]) == lane_name
    assert len({name for name, _ in doc.lanes.values()}) == len(doc.lanes)
    lane_boxes = sorted((doc.shapes[i] for i in doc.lanes), key=lambda b: b.y)
    for upper, lower in itertools.pairwise(lane_boxes):
        assert upper.bottom == lower.y  # stacked without gaps or overlaps


def _lanes_for(result: AnalysisResult, assign: dict[str, str]) -> ActivityLanes:
    return ActivityLanes(
        "部门",
        tuple(
            ActivityLane(
                a.activity, a.instances, (LaneShare(assign[a.activity], a.instances, 0.9),)
            )
            for a in result.activities
        ),
    )


# --------------------------------------------------------------------------- hand-made results


def test_sample_map_structure_and_frequencies() -> None:
    result = sample_result()
    doc = check_structure(discovered_bpmn(result), result, 0)
    names = doc.task_names()
    assert HOSTILE in names.values() and "客服记录" in names.values()  # names as they are
    assert "Discovered process" not in {doc.root.find("bpmn:process", NS).get("name")}
    assert doc.root.find("bpmn:process", NS).get("name") == "complaints<2024>.csv"
    # 技术处理 loops on itself: a join before it and a split after it, joined by a flow
    (tech,) = [i for i, n in names.items() if n == "技术处理"]
    join, split = f"Gateway_{tech.split('_')[1]}_join", f"Gateway_{tech.split('_')[1]}_split"
    assert doc.kinds[join] == doc.kinds[split] == "exclusiveGateway"
    assert any(s == split and t == join and n == "90" for s, t, n in doc.flows.values())
    # one start activity: no split after the start event; three end activities: a join before
    start = doc.of_kind("startEvent")[0]
    assert doc.kinds[doc.flows[doc.outgoing(start)[0]][1]] == "task"
    end = doc.of_kind("endEvent")[0]
    assert doc.kinds[doc.flows[doc.incoming(end)[0]][0]] == "exclusiveGateway"


def test_documentation_carries_frequency_and_mean_duration() -> None:
    result = sample_result()
    doc = parse(discovered_bpmn(result, lang="zh"))
    by_name = {e.get("name"): e for e in doc.nodes.values() if e.get("name")}
    text = by_name["技术处理"].findtext("bpmn:documentation", namespaces=NS)
    assert "频次: 790" in text and "平均耗时" in text and "1.5 天" in text  # waiting 1.5 d
    doc = parse(discovered_bpmn(result, lang="en"))
    by_name = {e.get("name"): e for e in doc.nodes.values() if e.get("name")}
    text = by_name["技术处理"].findtext("bpmn:documentation", namespaces=NS)
    assert "Frequency: 790" in text and "Mean duration" in text
    with pytest.raises(ConfigError):
        discovered_bpmn(result, lang="fr")  # type: ignore[arg-type]


@pytest.mark.parametrize("threshold", [0, 3, 20, 91, 700, 10_000])
def test_thresholds_keep_the_paths_the_map_keeps(threshold: int) -> None:
    result = sample_result()
    doc = check_structure(discovered_bpmn(result, min_frequency=threshold), result, threshold)
    kept = kept_paths(result, threshold)
    assert all(f >= threshold for _, _, f in kept.edges)
    # the most frequent start and end connections always stay
    assert ("客服记录", 1203) in kept.starts and ("Close case", 1152) in kept.ends
    assert len(doc.of_kind("task")) == len(kept.activities)


def test_default_threshold_mirrors_the_report_slider() -> None:
    small = sample_result()
    assert default_min_frequency(small) == min(e.frequency for e in small.dfg)  # every path
    assert default_min_frequency(empty_result()) == 0
    big = large_result(36, 300)
    threshold = default_min_frequency(big)
    kept = [e for e in big.dfg if e.frequency >= threshold]
    assert 0 < len(kept) <= max(24, 2 * 36)
    assert threshold in {e.frequency for e in big.dfg}  # a slider stop (the browser test
    # checks that the report's slider starts exactly there)
    check_structure(discovered_bpmn(big, min_frequency=threshold), big, threshold)


def test_empty_analysis_is_start_to_end() -> None:
    doc = parse(discovered_bpmn(empty_result()))
    assert doc.of_kind("task") == []
    assert list(doc.flows.values()) == [("StartEvent_1", "EndEvent_1", "0")]


def test_lanes_pool_and_layout() -> None:
    result = sample_result()
    assign = {
        a.activity: ("客服部" if i % 2 else "技术部") for i, a in enumerate(result.activities)
    }
    lanes = _lanes_for(result, assign)
    document = discovered_bpmn(result, lanes=lanes, lang="zh")
    doc = check_structure(document, result, 0)
    check_lanes(doc, lanes)
    assert {name for name, _ in doc.lanes.values()} == {"客服部", "技术部"}
    # the start event sits in the lane of the most frequent start activity
    start = doc.of_kind("startEvent")[0]
    (start_lane,) = [name for name, refs in doc.lanes.values() if start in refs]
    assert start_lane == assign["客服记录"]
    # an activity the lanes do not know goes to the "—" lane
    partial = ActivityLanes("部门", lanes.activities[:2])
    doc = check_structure(discovered_bpmn(result, lanes=partial), result, 0)
    check_lanes(doc, partial)
    assert "—" in {name for name, _ in doc.lanes.values()}


def test_control_characters_and_markup_in_names() -> None:
    base = sample_result()
    odd = "审核\x07（一）<b>&"
    result = replace(
        base,
        dfg=(*base.dfg, DfgEdge("反馈客户", odd, 500, base.dfg[0].duration)),
        end_activities={**base.end_activities, odd: 500},
    )
    doc = parse(discovered_bpmn(result))
    assert "审核（一）<b>&" in doc.task_names().values()


# --------------------------------------------------------------------------- real logs + PM4Py


@pytest.fixture(scope="module")
def complaints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventLog]:
    path = write_complaints(tmp_path_factory.mktemp("bpmn") / "complaints.csv", cases=600, seed=9)
    with read_event_log(path, timezone="Asia/Shanghai") as log:
        yield log


def _pm4py_counts(path: Path) -> tuple[int, int, int]:
    pm4py = pytest.importorskip("pm4py")
    from pm4py.objects.bpmn.obj import BPMN

    model = pm4py.read_bpmn(str(path))
    nodes = model.get_nodes()
    tasks = sum(1 for n in nodes if isinstance(n, BPMN.Task))
    gateways = sum(1 for n in nodes if isinstance(n, BPMN.ExclusiveGateway))
    return tasks, gateways, len(model.get_flows())


@pytest.mark.parametrize(
    ("name", "column"), [("running-example.csv", "resource"), ("receipt.xes.gz", "org:group")]
)
def test_real_logs_read_back_by_pm4py(tmp_path: Path, name: str, column: str) -> None:
    with read_event_log(eventlog(name)) as log:
        result = analyze(log)
        lanes = activity_lanes(log, column)
    threshold = default_min_frequency(result)
    for with_lanes in (None, lanes):
        document = discovered_bpmn(result, min_frequency=threshold, lanes=with_lanes)
        doc = check_structure(document, result, threshold)
        if with_lanes is not None:
            check_lanes(doc, with_lanes)
        path = tmp_path / f"{name}.bpmn"
        path.write_bytes(document)
        assert _pm4py_counts(path) == (
            len(doc.of_kind("task")),
            len(doc.of_kind("exclusiveGateway")),
            len(doc.flows),
        )


def test_complaints_by_department(tmp_path: Path, complaints: EventLog) -> None:
    result = analyze(complaints)
    lanes = activity_lanes(complaints, "部门")
    threshold = default_min_frequency(result)
    document = discovered_bpmn(result, min_frequency=threshold, lanes=lanes, lang="zh")
    doc = check_structure(document, result, threshold)
    check_lanes(doc, lanes)
    assert sorted(doc.task_names().values()) == sorted(
        ["客服记录", "投诉分级", "技术处理", "反馈客户"]
    )
    assert [name for name, _ in doc.lanes.values()] == ["客服部", "技术部"]  # in flow order
    path = tmp_path / "complaints.bpmn"
    path.write_bytes(document)
    assert _pm4py_counts(path) == (4, len(doc.of_kind("exclusiveGateway")), len(doc.flows))
    # the rework loops are drawn: 投诉分级 and 技术处理 each have a join and a split
    assert Counter(
        n.get("gatewayDirection") for n in doc.nodes.values() if n.get("gatewayDirection")
    ) == {
        "Diverging": 2,
        "Converging": 2,
    }


def test_layout_is_left_to_right_along_the_main_path(complaints: EventLog) -> None:
    result = analyze(complaints)
    doc = parse(discovered_bpmn(result))
    x = {name: doc.shapes[i].x for i, name in doc.task_names().items()}
    assert x["客服记录"] < x["投诉分级"] < x["技术处理"] < x["反馈客户"]
