"""BPMN 2.0 export of a process map, laid out for bpmn-js and Camunda Modeler.

The diagram is one pool (participant) with one lane per distinct role (or department); a start
event, one user task per step and an end event, joined by sequence flows; the steps of a stage
with more than one step sit between a parallel split and a parallel join gateway. Every flow
node, lane and the pool carry BPMNDI shapes with bounds and every flow an edge with waypoints,
laid out left to right with the lanes stacked top to bottom, so that modelers open it drawn.

Element ids are ASCII NCNames: ``Activity_<key>`` when every step key is made of ASCII letters,
digits, ``_``, ``-`` and ``.`` (the web's database ids), else ``Activity_<n>`` by position;
lanes are ``Lane_<n>``, flows ``Flow_<n>``, gateways ``Gateway_<stage>_split``/``_join``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from opslens.core.errors import ConfigError
from opslens.core.processmap.figures import as_percent, format_hours
from opslens.core.processmap.model import Step, clean_text, stage_groups

__all__ = ["BPMN_MODEL_NS", "export_bpmn"]

BPMN_MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
_NSMAP = {"bpmn": BPMN_MODEL_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}

_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_.-]+\Z")
NO_LANE = "—"

# Layout (pixels, as bpmn-js draws them).
_POOL_X, _POOL_Y = 160, 80
_HEADER = 30  # the label band of the pool and of each lane
_ROW = 120  # height of one row of tasks in a lane
_TASK_W, _TASK_H = 100, 80
_EVENT = 36
_GATEWAY = 50
_GAP = 50  # horizontal space between two elements
_PAD = 40  # space between a lane's label band and its first element, and after the last


_LABELS = {
    "zh": {
        "hours": "耗时(小时)",
        "range": "最短/最长耗时(小时)",
        "return_rate": "退回率",
        "role": "涉及角色",
        "department": "所属部门",
        "inputs": "输入内容",
        "outputs": "输出内容",
        "system": "表单/系统",
        "note": "备注",
    },
    "en": {
        "hours": "Hours",
        "range": "Min/max hours",
        "return_rate": "Return rate",
        "role": "Role",
        "department": "Department",
        "inputs": "Input",
        "outputs": "Output",
        "system": "Form/system",
        "note": "Note",
    },
}


def _documentation(step: Step, lang: str) -> str:
    labels = _LABELS[lang]
    lines = [f"{labels['hours']}: {format_hours(step.hours)}"]
    if step.hours_min is not None or step.hours_max is not None:
        low = "—" if step.hours_min is None else format_hours(step.hours_min)
        high = "—" if step.hours_max is None else format_hours(step.hours_max)
        lines.append(f"{labels['range']}: {low} / {high}")
    if step.return_rate is not None:
        lines.append(f"{labels['return_rate']}: {format_hours(as_percent(step.return_rate))}%")
    for name in ("role", "department", "inputs", "outputs", "system", "note"):
        value = getattr(step, name)
        if value:
            lines.append(f"{labels[name]}: {value}")
    return "\n".join(lines)


@dataclass
class _Node:
    id: str
    tag: str
    lane: int
    x: int
    width: int
    height: int
    center_y: int = 0
    name: str = ""
    documentation: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def export_bpmn(
    name: str,
    steps: Sequence[Step],
    *,
    lane_by: Literal["role", "department"] = "role",
    start_label: str = "",
    end_label: str = "",
    process_id: str = "Process_1",
    lang: Literal["zh", "en"] = "zh",
) -> bytes:
    """The process as a BPMN 2.0 XML document (UTF-8) with a complete diagram (BPMNDI).

    ``lane_by`` chooses whether lanes are roles or departments (an empty value goes to the lane
    "—"); ``start_label``/``end_label`` name the events (the seed's 流程起点/流程终点);
    ``lang`` is the language of each task's documentation (hours, inputs, outputs, …).
    Raises :class:`ConfigError` for an unknown ``lane_by`` or ``lang``, a ``process_id`` that is
    not an ASCII NCName, or steps that :func:`order_steps` rejects.
    """
    if lane_by not in ("role", "department"):
        raise ConfigError(f"lanes can follow 'role' or 'department', not {lane_by!r}")
    if lang not in _LABELS:
        raise ConfigError(f"unknown language {lang!r}; expected 'zh' or 'en'")
    if not _NCNAME.match(process_id) or process_id in ("Collaboration_1", "Participant_1"):
        raise ConfigError(
            f"the process id {process_id!r} must start with a letter or '_' and hold only "
            "ASCII letters, digits, '_', '-' and '.'"
        )
    groups = stage_groups(steps)
    ordered = [step for group in groups for step in group]
    by_key = all(_SAFE_KEY.match(step.key) for step in ordered)
    task_ids = {
        step.key: f"Activity_{step.key if by_key else index}"
        for index, step in enumerate(ordered, start=1)
    }

    # Lanes in order of first appearance; each is as tall as its most crowded stage.
    lane_names: list[str] = []
    lane_of: dict[str, int] = {}
    for step in ordered:
        value = getattr(step, lane_by) or NO_LANE
        if value not in lane_names:
            lane_names.append(value)
        lane_of[step.key] = lane_names.index(value)
    if not lane_names:
        lane_names.append(NO_LANE)
    rows = [1] * len(lane_names)
    row_of: dict[str, int] = {}
    for group in groups:
        used = [0] * len(lane_names)
        for step in group:
            row_of[step.key] = used[lane_of[step.key]]
            used[lane_of[step.key]] += 1
        rows = [max(a, b) for a, b in zip(rows, used, strict=True)]
    lane_tops = [_POOL_Y + _ROW * sum(rows[:i]) for i in range(len(lane_names))]

    nodes: list[_Node] = []
    x = _POOL_X + 2 * _HEADER + _PAD

    def add(node: _Node, row: int = 0) -> _Node:
        node.center_y = lane_tops[node.lane] + row * _ROW + _ROW // 2
        nodes.append(node)
        return node

    def advance(width: int) -> None:
        nonlocal x
        x += width + _GAP

    first_lane = lane_of[ordered[0].key] if ordered else 0
    start = add(_Node("StartEvent_1", "startEvent", first_lane, x, _EVENT, _EVENT))
    start.name = clean_text(start_label)
    advance(_EVENT)
    flows: list[tuple[str, _Node, _Node]] = []

    def connect(source: _Node, target: _Node) -> None:
        flow_id = f"Flow_{len(flows) + 1}"
        flows.append((flow_id, source, target))
        source.outgoing.append(flow_id)
        target.incoming.append(flow_id)

    previous = start
    for number, group in enumerate(groups, start=1):
        lane = lane_of[group[0].key]
        split = join = None
        if len(group) > 1:
            split = add(
                _Node(f"Gateway_{number}_split", "parallelGateway", lane, x, _GATEWAY, _GATEWAY)
            )
            split.attributes["gatewayDirection"] = "Diverging"
            connect(previous, split)
            advance(_GATEWAY)
        tasks = []
        for step in group:
            task = add(
                _Node(
                    task_ids[step.key],
                    "userTask",
                    lane_of[step.key],
                    x,
                    _TASK_W,
                    _TASK_H,
                    name=step.name,
                    documentation=_documentation(step, lang),
                ),
                row_of[step.key],
            )
            tasks.append(task)
            connect(split or previous, task)
        advance(_TASK_W)
        if len(group) > 1:
            join = add(
                _Node(f"Gateway_{number}_join", "parallelGateway", lane, x, _GATEWAY, _GATEWAY)
            )
            join.attributes["gatewayDirection"] = "Converging"
            for task in tasks:
                connect(task, join)
            advance(_GATEWAY)
            previous = join
        else:
            previous = tasks[0]
    last_lane = lane_of[groups[-1][0].key] if groups else first_lane
    end = add(_Node("EndEvent_1", "endEvent", last_lane, x, _EVENT, _EVENT))
    end.name = clean_text(end_label)
    connect(previous, end)
    pool_width = x + _EVENT + _PAD - _POOL_X
    pool_height = _ROW * sum(rows)

    # Semantic model.
    def bpmn(parent: etree._Element | None, tag: str, **attributes: str) -> etree._Element:
        qname = _q(BPMN_MODEL_NS, tag)
        if parent is None:
            return etree.Element(qname, attributes, nsmap=_NSMAP)
        return etree.SubElement(parent, qname, attributes)

    title = clean_text(name)
    root = bpmn(
        None,
        "definitions",
        id="Definitions_1",
        targetNamespace="urn:opslens:processmap",
        exporter="opslens",
        exporterVersion="1",
    )
    collaboration = bpmn(root, "collaboration", id="Collaboration_1")
    participant = bpmn(collaboration, "participant", id="Participant_1", processRef=process_id)
    process = bpmn(root, "process", id=process_id, isExecutable="false")
    if title:
        participant.set("name", title)
        process.set("name", title)
    lane_set = bpmn(process, "laneSet", id="LaneSet_1")
    lane_elements = [
        bpmn(lane_set, "lane", id=f"Lane_{i}", name=lane_name)
        for i, lane_name in enumerate(lane_names, start=1)
    ]
    for node in nodes:
        bpmn(lane_elements[node.lane], "flowNodeRef").text = node.id
        element = bpmn(process, node.tag, id=node.id, **node.attributes)
        if node.name:
            element.set("name", node.name)
        if node.documentation:
            bpmn(element, "documentation").text = node.documentation
        for flow_id in node.incoming:
            bpmn(element, "incoming").text = flow_id
        for flow_id in node.outgoing:
            bpmn(element, "outgoing").text = flow_id
    for flow_id, source, target in flows:
        bpmn(process, "sequenceFlow", id=flow_id, sourceRef=source.id, targetRef=target.id)

    # Diagram.
    diagram = etree.SubElement(root, _q(BPMNDI_NS, "BPMNDiagram"), id="BPMNDiagram_1")
    plane = etree.SubElement(
        diagram, _q(BPMNDI_NS, "BPMNPlane"), id="BPMNPlane_1", bpmnElement="Collaboration_1"
    )

    def shape(element_id: str, left: int, top: int, width: int, height: int, **extra: str) -> None:
        item = etree.SubElement(
            plane,
            _q(BPMNDI_NS, "BPMNShape"),
            id=f"{element_id}_di",
            bpmnElement=element_id,
            **extra,
        )
        etree.SubElement(
            item,
            _q(DC_NS, "Bounds"),
            x=str(left),
            y=str(top),
            width=str(width),
            height=str(height),
        )

    shape("Participant_1", _POOL_X, _POOL_Y, pool_width, pool_height, isHorizontal="true")
    for i, top in enumerate(lane_tops):
        shape(
            f"Lane_{i + 1}",
            _POOL_X + _HEADER,
            top,
            pool_width - _HEADER,
            rows[i] * _ROW,
            isHorizontal="true",
        )
    for node in nodes:
        shape(node.id, node.x, node.center_y - node.height // 2, node.width, node.height)
    for flow_id, source, target in flows:
        edge = etree.SubElement(
            plane, _q(BPMNDI_NS, "BPMNEdge"), id=f"{flow_id}_di", bpmnElement=flow_id
        )
        start_x, end_x = source.x + source.width, target.x
        points = [(start_x, source.center_y)]
        if source.center_y != target.center_y:
            middle = (start_x + end_x) // 2
            points += [(middle, source.center_y), (middle, target.center_y)]
        points.append((end_x, target.center_y))
        for point_x, point_y in points:
            etree.SubElement(edge, _q(DI_NS, "waypoint"), x=str(point_x), y=str(point_y))
    document: bytes = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return document
