"""BPMN 2.0 export: semantic structure, lanes, gateways and a complete left-to-right diagram.

There is no BPMN XSD offline, so the checks are structural: what a modeler needs to open the
file (every reference resolves, every node is in exactly one lane and has a shape, every flow an
edge) plus the layout (left to right, lanes stacked, nodes inside their lane).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from opslens.core.errors import ConfigError
from opslens.core.processmap import (
    BPMN_MODEL_NS,
    EcrsChange,
    Step,
    apply_ecrs,
    export_bpmn,
)
from opslens.core.processmap.model import clean_text

from . import seed_steps

D = Decimal
NS = {
    "bpmn": BPMN_MODEL_NS,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "parallelGateway")
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


@dataclass
class Parsed:
    root: etree._Element
    process: etree._Element
    nodes: dict[str, etree._Element]
    flows: dict[str, etree._Element]
    lanes: dict[str, list[str]]
    lane_names: dict[str, str]
    shapes: dict[str, Box]
    edges: dict[str, list[tuple[float, float]]]

    def kind(self, node_id: str) -> str:
        return etree.QName(self.nodes[node_id]).localname

    def of_kind(self, kind: str) -> list[str]:
        return [i for i in self.nodes if self.kind(i) == kind]

    def outgoing(self, node_id: str) -> list[str]:
        return [f.get("targetRef") for f in self.flows.values() if f.get("sourceRef") == node_id]

    def incoming(self, node_id: str) -> list[str]:
        return [f.get("sourceRef") for f in self.flows.values() if f.get("targetRef") == node_id]


def parse(document: bytes) -> Parsed:
    """Parse an export and run every structural check a modeler relies on."""
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(document)
    assert root.tag == f"{{{BPMN_MODEL_NS}}}definitions"
    assert root.get("targetNamespace")
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids)), "ids must be unique"
    assert all(NCNAME.match(i) for i in ids), ids

    # One collaboration with one participant that references the one process.
    assert [etree.QName(e).localname for e in root] == ["collaboration", "process", "BPMNDiagram"]
    (participant,) = root.findall("bpmn:collaboration/bpmn:participant", NS)
    (process,) = root.findall("bpmn:process", NS)
    assert participant.get("processRef") == process.get("id")
    assert process.get("isExecutable") == "false"
    assert etree.QName(process[0]).localname == "laneSet", "laneSet comes before flow elements"

    nodes = {e.get("id"): e for e in process if etree.QName(e).localname in FLOW_NODES}
    assert {etree.QName(e).localname for e in process} <= {"laneSet", "sequenceFlow", *FLOW_NODES}
    flows = {e.get("id"): e for e in process.findall("bpmn:sequenceFlow", NS)}
    for flow in flows.values():
        assert flow.get("sourceRef") in nodes and flow.get("targetRef") in nodes
    for node_id, node in nodes.items():
        assert [i.text for i in node.findall("bpmn:incoming", NS)] == [
            f for f, e in flows.items() if e.get("targetRef") == node_id
        ]
        assert [o.text for o in node.findall("bpmn:outgoing", NS)] == [
            f for f, e in flows.items() if e.get("sourceRef") == node_id
        ]
        tags = [etree.QName(c).localname for c in node]
        assert tags == sorted(tags, key=["documentation", "incoming", "outgoing"].index)

    # Every flow node sits in exactly one lane.
    lanes = {
        lane.get("id"): [r.text for r in lane.findall("bpmn:flowNodeRef", NS)]
        for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)
    }
    lane_names = {
        lane.get("id"): lane.get("name") for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)
    }
    referenced = [ref for refs in lanes.values() for ref in refs]
    assert sorted(referenced) == sorted(nodes), "each flow node in exactly one lane"

    # The diagram: a shape with bounds for the pool, each lane and each node; an edge per flow.
    (plane,) = root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == root.find("bpmn:collaboration", NS).get("id")
    shapes: dict[str, Box] = {}
    for shape in plane.findall("bpmndi:BPMNShape", NS):
        (bounds,) = shape.findall("dc:Bounds", NS)
        box = Box(*(float(bounds.get(a)) for a in ("x", "y", "width", "height")))
        assert box.width > 0 and box.height > 0
        shapes[shape.get("bpmnElement")] = box
    edges = {
        edge.get("bpmnElement"): [
            (float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)
        ]
        for edge in plane.findall("bpmndi:BPMNEdge", NS)
    }
    assert set(shapes) == {participant.get("id"), *lanes, *nodes}
    assert set(edges) == set(flows)
    assert all(len(points) >= 2 for points in edges.values())
    return Parsed(root, process, nodes, flows, lanes, lane_names, shapes, edges)


def check_layout(parsed: Parsed) -> None:
    """Left to right, lanes stacked inside the pool, each node inside its own lane."""
    pool = parsed.shapes[parsed.root.find("bpmn:collaboration/bpmn:participant", NS).get("id")]
    lane_boxes = [parsed.shapes[lane] for lane in parsed.lanes]
    assert lane_boxes[0].y == pool.y and lane_boxes[-1].bottom == pool.bottom
    for upper, lower in itertools.pairwise(lane_boxes):
        assert upper.bottom == lower.y, "lanes are stacked without gaps or overlaps"
    for lane_id, refs in parsed.lanes.items():
        assert pool.contains(parsed.shapes[lane_id])
        for ref in refs:
            assert parsed.shapes[lane_id].contains(parsed.shapes[ref]), (ref, lane_id)
    for flow_id, flow in parsed.flows.items():
        source = parsed.shapes[flow.get("sourceRef")]
        target = parsed.shapes[flow.get("targetRef")]
        assert source.right < target.x, f"{flow_id} must run left to right"
        points = parsed.edges[flow_id]
        assert points[0][0] == source.right and points[-1][0] == target.x
        assert source.y <= points[0][1] <= source.bottom
        assert target.y <= points[-1][1] <= target.bottom
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, "edges are orthogonal"
    boxes = [parsed.shapes[n] for n in parsed.nodes]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom
            assert not overlap, "shapes must not overlap"


def path_names(parsed: Parsed) -> list[str]:
    """Names of the tasks met walking from the start event along single outgoing flows."""
    (node,) = parsed.of_kind("startEvent")
    met: list[str] = []
    while parsed.kind(node) != "endEvent":
        (node,) = parsed.outgoing(node)
        if parsed.kind(node) == "userTask":
            met.append(parsed.nodes[node].get("name"))
    return met


# ----------------------------------------------------------------------------------- the seed


def test_seed_process_exports_as_a_chain_with_one_lane_per_role() -> None:
    document = export_bpmn(
        "采购申请审批流程", seed_steps(), start_label="提交采购申请", end_label="完成采购入库"
    )
    parsed = parse(document)
    check_layout(parsed)
    assert parsed.root.find("bpmn:collaboration/bpmn:participant", NS).get("name") == (
        "采购申请审批流程"
    )
    assert len(parsed.of_kind("userTask")) == 5
    assert parsed.of_kind("parallelGateway") == []
    assert path_names(parsed) == [
        "填写申请表",
        "部门经理审批",
        "采购部审核",
        "财务部复核",
        "总经理审批",
    ]
    assert list(parsed.lane_names.values()) == [
        "申请人",
        "部门经理",
        "采购专员",
        "财务经理",
        "总经理",
    ]
    (start,) = parsed.of_kind("startEvent")
    (end,) = parsed.of_kind("endEvent")
    assert parsed.nodes[start].get("name") == "提交采购申请"
    assert parsed.nodes[end].get("name") == "完成采购入库"
    assert len(parsed.flows) == 6
    for lane_id, refs in parsed.lanes.items():
        tasks = [parsed.nodes[r] for r in refs if parsed.kind(r) == "userTask"]
        assert all(parsed.nodes[r].get("name") for r in refs if parsed.kind(r) == "userTask"), (
            lane_id
        )
        assert len(tasks) == 1
    # The ids come from the keys ("1".."5"), never from the Chinese names.
    assert sorted(parsed.of_kind("userTask")) == [f"Activity_{i}" for i in range(1, 6)]


def test_task_documentation_holds_hours_inputs_and_outputs() -> None:
    steps = [
        replace(
            s, hours_min=D(24), hours_max=D("72.5"), return_rate=D("0.15"), system="OA", note="慢"
        )
        if s.key == "5"
        else s
        for s in seed_steps()
    ]
    parsed = parse(export_bpmn("采购", steps))
    documentation = parsed.nodes["Activity_5"].findtext("bpmn:documentation", namespaces=NS)
    assert documentation.splitlines() == [
        "耗时(小时): 48",
        "最短/最长耗时(小时): 24 / 72.5",
        "退回率: 15%",
        "涉及角色: 总经理",
        "输入内容: 申请表、审批意见",
        "输出内容: 最终审批结果",
        "表单/系统: OA",
        "备注: 慢",
    ]
    english = parse(export_bpmn("P", seed_steps(), lang="en"))
    assert english.nodes["Activity_3"].findtext(
        "bpmn:documentation", namespaces=NS
    ).splitlines() == [
        "Hours: 12",
        "Role: 采购专员",
        "Input: 申请表、库存表",
        "Output: 审核结果",
    ]


# -------------------------------------------------------------------------------------- parallel


def test_a_parallel_stage_sits_between_a_split_and_a_join_gateway() -> None:
    steps = apply_ecrs(seed_steps(), EcrsChange("rearrange", "4", parallel_with="3"))
    parsed = parse(export_bpmn("采购", steps))
    check_layout(parsed)
    gateways = parsed.of_kind("parallelGateway")
    assert len(gateways) == 2
    split = next(g for g in gateways if len(parsed.outgoing(g)) == 2)
    join = next(g for g in gateways if len(parsed.incoming(g)) == 2)
    assert parsed.nodes[split].get("gatewayDirection") == "Diverging"
    assert parsed.nodes[join].get("gatewayDirection") == "Converging"
    assert sorted(parsed.outgoing(split)) == ["Activity_3", "Activity_4"]
    assert sorted(parsed.incoming(join)) == ["Activity_3", "Activity_4"]
    assert parsed.incoming(split) == ["Activity_2"]
    assert parsed.outgoing(join) == ["Activity_5"]
    # Parallel tasks share a column.
    assert parsed.shapes["Activity_3"].x == parsed.shapes["Activity_4"].x
    assert len(parsed.flows) == 9  # start→1→2→split→(3, 4)→join→5→end


def test_parallel_steps_of_one_lane_are_stacked_in_a_taller_lane() -> None:
    steps = [
        Step("a", "登记", D(1), role="客服", stage=1),
        Step("b", "核实", D(2), role="客服", stage=2),
        Step("c", "查询", D(3), role="客服", stage=2),
        Step("d", "回访", D(1), role="主管", stage=3),
    ]
    parsed = parse(export_bpmn("投诉", steps))
    check_layout(parsed)
    service, manager = (parsed.shapes[lane] for lane in parsed.lanes)
    assert service.height == 2 * manager.height
    assert parsed.shapes["Activity_b"].y != parsed.shapes["Activity_c"].y


# ------------------------------------------------------------------------------------- options


def test_lanes_by_department_and_the_empty_lane() -> None:
    steps = [
        replace(s, department="采购部" if s.key in "13" else "财务部" if s.key == "4" else "")
        for s in seed_steps()
    ]
    parsed = parse(export_bpmn("采购", steps, lane_by="department"))
    check_layout(parsed)
    assert list(parsed.lane_names.values()) == ["采购部", "—", "财务部"]
    lane_of = {ref: parsed.lane_names[lane] for lane, refs in parsed.lanes.items() for ref in refs}
    assert lane_of["Activity_2"] == lane_of["Activity_5"] == "—"
    assert lane_of["Activity_1"] == lane_of["Activity_3"] == "采购部"


def test_ids_fall_back_to_positions_when_keys_are_not_ascii() -> None:
    steps = [Step("甲", "一", D(1)), Step("乙 2", "二", D(2))]
    parsed = parse(export_bpmn("p", steps, process_id="Purchase_v2"))
    assert sorted(parsed.of_kind("userTask")) == ["Activity_1", "Activity_2"]
    assert parsed.process.get("id") == "Purchase_v2"


def test_an_empty_process_still_opens() -> None:
    parsed = parse(export_bpmn("", []))
    check_layout(parsed)
    assert path_names(parsed) == []
    assert list(parsed.lane_names.values()) == ["—"]
    assert parsed.process.get("name") is None


def test_markup_in_names_is_escaped() -> None:
    name = 'A & B <审批> "quoted"'
    parsed = parse(export_bpmn(name, [Step("1", name, D(1), role="<角色>")], start_label="&"))
    assert parsed.nodes["Activity_1"].get("name") == name
    assert list(parsed.lane_names.values()) == ["<角色>"]
    assert parsed.nodes["StartEvent_1"].get("name") == "&"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lane_by": "system"}, "lanes can follow 'role' or 'department'"),
        ({"process_id": "1process"}, "process id '1process'"),
        ({"process_id": "流程"}, "process id"),
        ({"process_id": "Participant_1"}, "process id"),
        ({"lang": "fr"}, "unknown language 'fr'"),
    ],
)
def test_bad_options_raise_config_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        export_bpmn("p", seed_steps(), **options)


# ------------------------------------------------------------------------------------ property


@st.composite
def processes(draw: st.DrawFn) -> list[Step]:
    count = draw(st.integers(min_value=0, max_value=9))
    roles = st.sampled_from(["", "申请人", "经理", "财务"])
    return [
        Step(
            key=str(i),
            name=draw(st.text(min_size=1, max_size=6).filter(clean_text)),
            hours=D(draw(st.integers(0, 99))),
            role=draw(roles),
            department=draw(roles),
            stage=draw(st.integers(1, 4)),
        )
        for i in range(count)
    ]


@settings(max_examples=60, deadline=None)
@given(processes(), st.sampled_from(["role", "department"]))
def test_any_process_exports_a_complete_diagram(steps: list[Step], lane_by: str) -> None:
    parsed = parse(export_bpmn("p", steps, lane_by=lane_by))
    check_layout(parsed)
    assert len(parsed.of_kind("userTask")) == len(steps)
    # Every task lies on a path from the start to the end.
    reachable: set[str] = set()
    todo = parsed.of_kind("startEvent")
    while todo:
        node = todo.pop()
        if node not in reachable:
            reachable.add(node)
            todo.extend(parsed.outgoing(node))
    assert reachable == set(parsed.nodes)
