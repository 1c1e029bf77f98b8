"""BPMN 2.0 of a *discovered* process map (the directly-follows graph), laid out left to right.

:func:`discovered_bpmn` turns an :class:`~opslens.core.mining.AnalysisResult` into a BPMN
document that modelers (bpmn-js, Camunda Modeler, Signavio) and PM4Py open drawn:

* one start event and one end event; one task per activity kept on the map; a sequence flow per
  kept directly-follows edge (frequency ≥ ``min_frequency``) and per kept start/end connection —
  the same ones the HTML report's map keeps: the start and end connections obey the threshold
  too, but the most frequent of each always stays;
* an exclusive gateway after every node with more than one outgoing flow (a split) and before
  every node with more than one incoming flow (a join); the flow that carries one edge is named
  with that edge's frequency, the flows into a split and out of a join with the sum of theirs;
* each task's documentation: its frequency (instances), cases, mean duration per instance
  (waiting + service) and mean service and waiting times, and its lane when lanes are given;
* with ``lanes`` (:func:`~opslens.core.mining.lanes.activity_lanes`): one pool with one lane per
  lane value, each task in its activity's lane, a gateway in its task's lane, the start event in
  the lane of the most frequent start activity and the end event in that of the most frequent
  end activity.

The diagram (BPMNDI) is a layered layout computed here: back edges removed by a depth-first
search from the start event, longest-path ranks (the end event alone in the last rank), long
flows split by virtual nodes in every rank they cross, the order within ranks by barycentre
sweeps (grouped by lane), vertical positions by isotonic regression towards the neighbours, and
orthogonal waypoints whose vertical runs lie in the gaps between ranks. Flows against the
direction (loops) leave and enter their nodes from below.

:func:`default_min_frequency` is the threshold the report's path slider starts at, so that the
BPMN and the map show the same paths by default.

Element ids are ASCII NCNames: ``StartEvent_1``, ``EndEvent_1``, ``Activity_<n>`` (by the
activity's position in the analysis), ``Gateway_<n>_split`` / ``Gateway_<n>_join`` (``<n>`` the
task's number, 0 for the events), ``Flow_<n>``, ``Lane_<n>``.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Final, Literal

from lxml import etree

from opslens.core.errors import ConfigError
from opslens.core.mining.lanes import NO_VALUE, ActivityLanes
from opslens.core.mining.results import ActivityStats, AnalysisResult
from opslens.core.processmap.bpmn import BPMN_MODEL_NS, BPMNDI_NS, DC_NS, DI_NS
from opslens.core.processmap.model import clean_text
from opslens.core.report.html import format_count, format_duration, format_share

__all__ = ["KeptPaths", "default_min_frequency", "discovered_bpmn", "kept_paths"]

_NSMAP: Final = {"bpmn": BPMN_MODEL_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}

# Layout, in pixels as bpmn-js draws them.
_ORIGIN_X, _ORIGIN_Y = 160, 80
_HEADER = 30  # the label band of the pool and of each lane
_TASK_W, _TASK_H, _TASK_MAX_W = 100, 80, 200
_EVENT = 36
_GATEWAY = 50
_RANK_GAP = 70  # horizontal space between two ranks (vertical runs of the flows lie here)
_SEP_SHAPES = 36  # vertical space between two shapes of a rank
_SEP_VIRTUAL = 16  # … between a shape and a flow passing through the rank
_SEP_FLOWS = 10  # … between two flows passing through the rank
_PAD = 40  # inside a lane (or the diagram) around its shapes
_DETOUR = 12  # how far below a node a loop leaves and arrives
_LEVEL = 4.0  # flows that would step by at most this much are drawn level
_PULL = 0.25  # weight of a lane's middle line against a node's neighbours

_LABELS: Final = {
    "en": {
        "process": "Discovered process",
        "frequency": "Frequency",
        "cases": "Cases",
        "mean_duration": "Mean duration (waiting + service)",
        "mean_service": "Mean service time",
        "mean_waiting": "Mean waiting time",
        "lane": "Lane",
    },
    "zh": {
        "process": "发现的流程",
        "frequency": "频次",
        "cases": "案例数",
        "mean_duration": "平均耗时（等待 + 处理）",
        "mean_service": "平均处理时长",
        "mean_waiting": "平均等待时长",
        "lane": "泳道",
    },
}


# --------------------------------------------------------------------------- what the map keeps


def _map_activities(result: AnalysisResult) -> list[str]:
    """The activities in the order of the report's map data (analysis, then DFG, start, end)."""
    names: dict[str, None] = {}
    for a in result.activities:
        names.setdefault(a.activity)
    for e in result.dfg:
        names.setdefault(e.source)
        names.setdefault(e.target)
    for name in (*result.start_activities, *result.end_activities):
        names.setdefault(name)
    return list(names)


def default_min_frequency(result: AnalysisResult) -> int:
    """The minimum path frequency the report's map starts with (its path slider's default).

    Mirrors ``defaultSliderValue`` and ``threshold`` in ``report.js``: every path while there are
    at most max(24, 2 × activities) of them; otherwise the first slider position (0–100 %, a
    position p picks the frequency at index round(p / 100 × (n − 1)) of the sorted frequencies)
    that keeps at most that many. 0 when there is no path.
    """
    freqs = sorted(e.frequency for e in result.dfg)
    if not freqs:
        return 0
    n = len(freqs)

    def threshold(p: int) -> int:
        index = math.floor((p / 100) * (n - 1) + 0.5)  # JavaScript's Math.round
        return freqs[max(0, min(n - 1, index))]

    limit = max(24, 2 * len(_map_activities(result)))
    if n <= limit:
        return threshold(0)
    for p in range(101):
        thr = threshold(p)
        if sum(1 for f in freqs if f >= thr) <= limit:
            return thr
    return threshold(100)


def _kept_ends(counts: Mapping[str, int], threshold: int) -> list[tuple[str, int]]:
    """``keptEnds`` of report.js: the connections at or above the threshold, and the first most
    frequent one in any case."""
    items = list(counts.items())
    top: tuple[str, int] | None = None
    for item in items:
        if top is None or item[1] > top[1]:
            top = item
    return [item for item in items if item[1] >= threshold or item is top]


@dataclass(frozen=True, slots=True)
class KeptPaths:
    """What the map shows at one threshold: directly-follows edges, start and end connections
    (``(activity, cases)``), and the activities they touch (in the analysis's order)."""

    threshold: int
    edges: tuple[tuple[str, str, int], ...]
    starts: tuple[tuple[str, int], ...]
    ends: tuple[tuple[str, int], ...]
    activities: tuple[str, ...]


def kept_paths(result: AnalysisResult, min_frequency: int) -> KeptPaths:
    """The paths and activities the report's map shows at ``min_frequency``."""
    edges = tuple(
        (e.source, e.target, e.frequency) for e in result.dfg if e.frequency >= min_frequency
    )
    starts = tuple(_kept_ends(result.start_activities, min_frequency))
    ends = tuple(_kept_ends(result.end_activities, min_frequency))
    touched = {s for s, _, _ in edges} | {t for _, t, _ in edges}
    touched |= {a for a, _ in starts} | {a for a, _ in ends}
    activities = tuple(a for a in _map_activities(result) if a in touched)
    return KeptPaths(min_frequency, edges, starts, ends, activities)


# --------------------------------------------------------------------------- the flow graph


@dataclass(eq=False)
class _Node:
    id: str
    kind: Literal["startEvent", "endEvent", "task", "exclusiveGateway", "virtual"]
    width: float
    height: float
    lane: int = 0
    name: str = ""
    documentation: str = ""
    direction: str = ""
    anchor: _Node | None = None  # a gateway's task (or event): drawn level with it
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    rank: int = 0
    x: float = 0.0  # centre
    y: float = 0.0  # centre

    @property
    def real(self) -> bool:
        return self.kind != "virtual"

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass(eq=False)
class _Flow:
    id: str
    source: _Node
    target: _Node
    frequency: int
    chain: list[_Node] = field(default_factory=list)  # source, virtual nodes, target
    backward: bool = False
    points: list[tuple[float, float]] = field(default_factory=list)


def _task_width(name: str) -> float:
    """Wide enough for the name in at most three lines of bpmn-js's 12 px label font."""
    text = sum(13 if ord(c) >= 0x2E80 else 7 for c in name)
    if text <= 3 * (_TASK_W - 12):
        return _TASK_W
    return float(min(_TASK_MAX_W, 10 * math.ceil((text / 3 + 12) / 10)))


def _documentation(
    stats: ActivityStats | None,
    lane: tuple[str, str, float] | None,
    lang: Literal["en", "zh"],
) -> str:
    lab = _LABELS[lang]
    if stats is None:
        lines = [f"{lab['frequency']}: 0"]
    else:
        timed = stats.service is not None or stats.waiting is not None
        per_instance = stats.total_s / stats.instances if stats.instances and timed else None
        lines = [
            f"{lab['frequency']}: {format_count(stats.instances)}",
            f"{lab['cases']}: {format_count(stats.cases)}",
            f"{lab['mean_duration']}: {format_duration(per_instance, lang)}",
        ]
        if stats.service is not None:
            lines.append(f"{lab['mean_service']}: {format_duration(stats.service.mean, lang)}")
        if stats.waiting is not None:
            lines.append(f"{lab['mean_waiting']}: {format_duration(stats.waiting.mean, lang)}")
    if lane is not None:
        column, value, share = lane
        lines.append(f"{lab['lane']} ({column}): {value} · {format_share(share)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- layout


def _isotonic(values: list[float], weights: list[float]) -> list[float]:
    """Pool-adjacent-violators: the non-decreasing sequence nearest to ``values``."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            total = w1 + w2
            blocks.append([(m1 * w1 + m2 * w2) / total, total, c1 + c2])
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * int(count))
    return out


def _separation(a: _Node, b: _Node) -> float:
    if a.real and b.real:
        gap = _SEP_SHAPES
    elif a.real or b.real:
        gap = _SEP_VIRTUAL
    else:
        gap = _SEP_FLOWS
    return a.height / 2 + gap + b.height / 2


def _place_column(column: Sequence[_Node], desired: Sequence[float]) -> None:
    """Centres in the column's order, at least :func:`_separation` apart, nearest to desired."""
    if not column:
        return
    offsets = [0.0]
    for a, b in itertools.pairwise(column):
        offsets.append(offsets[-1] + _separation(a, b))
    fitted = _isotonic(
        [d - o for d, o in zip(desired, offsets, strict=True)],
        [1.0 if n.real else 4.0 for n in column],  # long flows straight rather than bent
    )
    for node, base, offset in zip(column, fitted, offsets, strict=True):
        node.y = base + offset


def _straighten(flows: Sequence[_Flow], columns: Sequence[Sequence[_Node]], lane: int) -> None:
    """Put each run of virtual nodes of a flow on one level where its columns leave room: the
    level of the flow's source, of its target, or of one of its nodes (heaviest flows first)."""
    where = {n: (r, i) for r, column in enumerate(columns) for i, n in enumerate(column)}
    for f in sorted(flows, key=lambda f: -f.frequency):
        run = [v for v in f.chain if not v.real and v.lane == lane and v in where]
        if not run:
            continue
        ys = sorted(v.y for v in run)
        candidates = [f.chain[0].y, f.chain[-1].y, ys[len(ys) // 2], *ys]
        for y in candidates:
            fits = True
            for v in run:
                r, i = where[v]
                column = columns[r]
                if (i > 0 and y < column[i - 1].y + _separation(column[i - 1], v) - 1e-6) or (
                    i + 1 < len(column)
                    and y > column[i + 1].y - _separation(v, column[i + 1]) + 1e-6
                ):
                    fits = False
                if not fits:
                    break
            if fits:
                for v in run:
                    v.y = y
                break


def _crossings(layers: Sequence[Sequence[_Node]], succ: Mapping[_Node, list[_Node]]) -> int:
    total = 0
    for upper, lower in itertools.pairwise(layers):
        pos = {n: i for i, n in enumerate(lower)}
        pairs = [(i, pos[t]) for i, n in enumerate(upper) for t in succ[n] if t in pos]
        for k, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[k + 1 :]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _layout(
    nodes: list[_Node], flows: list[_Flow], start: _Node, end: _Node, lane_count: int
) -> tuple[list[float], list[tuple[float, float]]]:
    """Ranks, virtual nodes, order, coordinates and waypoints; returns the x of each rank's left
    edge and the (top, bottom) of each lane band (one band without lanes)."""
    # 1. Back edges: a depth-first search from the start event, heaviest flows first.
    out: dict[_Node, list[_Flow]] = defaultdict(list)
    for f in flows:
        out[f.source].append(f)
    for fs in out.values():
        fs.sort(key=lambda f: -f.frequency)
    state: dict[_Node, int] = {}  # 1 on the stack, 2 done
    discovered: list[_Node] = []
    for root in [start, *nodes]:
        if root in state:
            continue
        state[root] = 1
        discovered.append(root)
        stack = [(root, iter(out[root]))]
        while stack:
            node, children = stack[-1]
            for f in children:
                if f.target is f.source:
                    continue
                seen = state.get(f.target)
                if seen == 1:
                    f.backward = True
                elif seen is None:
                    state[f.target] = 1
                    discovered.append(f.target)
                    stack.append((f.target, iter(out[f.target])))
                    break
            else:
                state[node] = 2
                stack.pop()

    # 2. Longest-path ranks on the acyclic graph; the end event alone in the last rank.
    dag = [
        (f.target, f.source) if f.backward else (f.source, f.target)
        for f in flows
        if f.source is not f.target
    ]
    preds: dict[_Node, list[_Node]] = defaultdict(list)
    for u, v in dag:
        preds[v].append(u)
    rank: dict[_Node, int] = {}

    def rank_of(node: _Node) -> int:
        todo = [node]
        while todo:
            n = todo[-1]
            if n in rank:
                todo.pop()
                continue
            missing = [p for p in preds[n] if p not in rank]
            if missing:
                todo.extend(missing)
                continue
            floor = 0 if n is start else 1
            rank[n] = max([floor, *(rank[p] + 1 for p in preds[n])])
            todo.pop()
        return rank[node]

    for n in nodes:
        if n is not end:
            rank_of(n)
    rank[end] = max([rank[n] for n in nodes if n is not end], default=0) + 1
    for n in nodes:
        n.rank = rank[n]

    # 3. Virtual nodes where a flow crosses a rank.
    virtual: list[_Node] = []
    for f in flows:
        if f.source is f.target:
            f.chain = [f.source, f.target]
            continue
        low, high = (f.target, f.source) if f.backward else (f.source, f.target)
        chain = [low]
        for r in range(low.rank + 1, high.rank):
            v = _Node(f"{f.id}_v{r}", "virtual", 0.0, 0.0, lane=f.source.lane, rank=r)
            virtual.append(v)
            chain.append(v)
        chain.append(high)
        f.chain = chain[::-1] if f.backward else chain
    everything = nodes + virtual
    succ: dict[_Node, list[_Node]] = defaultdict(list)
    pred: dict[_Node, list[_Node]] = defaultdict(list)
    for f in flows:
        ordered = f.chain[::-1] if f.backward else f.chain
        for a, b in itertools.pairwise(ordered):
            if a is not b:
                succ[a].append(b)
                pred[b].append(a)

    # 4. Order within ranks: barycentre sweeps, grouped by lane; the best order seen is kept.
    hint = {n: (i, 0) for i, n in enumerate(discovered)}
    for f in flows:
        for k, v in enumerate(f.chain):
            if not v.real:
                hint[v] = (hint[f.source][0], k)
    layers: list[list[_Node]] = [[] for _ in range(rank[end] + 1)]
    for n in sorted(everything, key=lambda n: (hint.get(n, (len(hint), 0)), n.id)):
        layers[n.rank].append(n)
    best = [list(layer) for layer in layers]
    best_crossings = _crossings(best, succ)
    for sweep in range(8):
        down = sweep % 2 == 0
        indices = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for r in indices:
            ref = layers[r - 1] if down else layers[r + 1]
            pos = {n: i for i, n in enumerate(ref)}
            neighbours = pred if down else succ

            def key(
                item: tuple[int, _Node],
                pos: dict[_Node, int] = pos,
                neighbours: dict[_Node, list[_Node]] = neighbours,
            ) -> tuple[int, float]:
                i, n = item
                ps = [pos[m] for m in neighbours[n] if m in pos]
                return (n.lane, sum(ps) / len(ps) if ps else float(i))

            layers[r] = [n for _, n in sorted(enumerate(layers[r]), key=key)]
        count = _crossings(layers, succ)
        if count < best_crossings:
            best, best_crossings = [list(layer) for layer in layers], count
    layers = best

    # 5. Horizontal: one column per rank, as wide as its widest shape.
    lefts: list[float] = []
    x = float(_ORIGIN_X + (2 * _HEADER if lane_count else 0) + _PAD)
    for layer in layers:
        width = max([n.width for n in layer], default=0.0)
        width = max(width, 20.0)
        lefts.append(x)
        for n in layer:
            n.x = x + width / 2
        x += width + _RANK_GAP
    lefts.append(x - _RANK_GAP)  # the right edge of the last column

    # 6. Vertical: per lane band, each column pulled towards its neighbours' centres.
    bands = max(1, lane_count)
    for lane in range(bands):
        columns = [[n for n in layer if n.lane == lane] for layer in layers]
        for column in columns:
            _place_column(column, [0.0] * len(column))
        runs: dict[_Node, list[_Node]] = {}
        for f in flows:
            run = [v for v in f.chain if not v.real and v.lane == lane]
            for v in run:
                runs[v] = run
        for sweep in range(10):
            order = columns if sweep % 2 == 0 else columns[::-1]
            for column in order:
                desired = []
                for n in column:
                    if n.anchor is not None and n.anchor.lane == lane:
                        desired.append(n.anchor.y)
                        continue
                    if not n.real:  # a long flow: level with the rest of its run
                        run_ys = [v.y for v in runs[n]]
                        desired.append(sum(run_ys) / len(run_ys))
                        continue
                    near = [m.y for m in (*pred[n], *succ[n]) if m.lane == lane]
                    # a light pull towards the lane's middle line keeps the parts of a lane
                    # that are joined only through other lanes on one level
                    pull = _PULL if n.real else 0.0
                    desired.append(sum(near) / (len(near) + pull) if near else 0.0)
                _place_column(column, desired)
        _straighten(flows, columns, lane)
    band_edges: list[tuple[float, float]] = []
    top = float(_ORIGIN_Y)
    for lane in range(bands):
        members = [n for n in everything if n.lane == lane]
        lowest = min((n.top - (_DETOUR if n.real else 0) for n in members), default=0.0)
        highest = max((n.bottom + (2 * _DETOUR if n.real else 0) for n in members), default=0.0)
        height = float(math.ceil(max(highest - lowest + 2 * _PAD, 120.0 if lane_count else 0.0)))
        shift = top + (height - (highest - lowest)) / 2 - lowest
        for n in members:
            n.y += shift
        band_edges.append((top, top + height))
        top += height
    return lefts, band_edges


def _route(flows: list[_Flow], lefts: list[float]) -> None:
    """Orthogonal waypoints; vertical runs in the gap between two ranks, spread apart."""
    # Which flows run vertically in which gap (the gap after rank r), to spread them.
    runs: dict[int, list[_Flow]] = defaultdict(list)
    for f in flows:
        for a, b in zip(f.chain, f.chain[1:], strict=False):
            if a is not b:
                runs[min(a.rank, b.rank)].append(f)
    slot: dict[tuple[int, int], float] = {}
    for gap, members in runs.items():
        unique = list(dict.fromkeys(members))
        step = min(8.0, (_RANK_GAP - 16) / max(1, len(unique)))
        middle = lefts[gap + 1] - _RANK_GAP / 2
        for i, f in enumerate(unique):
            slot[(gap, id(f))] = middle + (i - (len(unique) - 1) / 2) * step

    for f in flows:
        s, t = f.source, f.target
        if s is t:  # a loop on one node, drawn below it
            y = s.bottom + _DETOUR
            f.points = [
                (s.right, s.y),
                (s.right + 15, s.y),
                (s.right + 15, y),
                (s.left - 15, y),
                (s.left - 15, s.y),
                (s.left, s.y),
            ]
            continue
        pts: list[tuple[float, float]]
        if not f.backward:
            pts = [(s.right, s.y)]
            y = s.y
            for b in f.chain[1:]:
                gx = slot.get((b.rank - 1, id(f)), lefts[b.rank] - _RANK_GAP / 2)
                if abs(b.y - y) > _LEVEL:
                    pts += [(gx, y), (gx, b.y)]
                    y = b.y
            # a step of a pixel or two is drawn level, a little off the target's middle
            pts.append((t.left, y if abs(t.y - y) <= _LEVEL else t.y))
        else:
            y = s.bottom + _DETOUR
            pts = [(s.x, s.bottom), (s.x, y)]
            for b in f.chain[1:]:
                gx = slot.get((b.rank, id(f)), lefts[b.rank + 1] - _RANK_GAP / 2)
                target_y = b.y if b.kind == "virtual" else b.bottom + _DETOUR
                if target_y != y:
                    pts += [(gx, y), (gx, target_y)]
                    y = target_y
            pts += [(t.x, y), (t.x, t.bottom)]
        # drop repeated points and collinear middles
        clean: list[tuple[float, float]] = []
        for p in pts:
            p = (round(p[0], 1), round(p[1], 1))
            if clean and clean[-1] == p:
                continue
            if len(clean) >= 2:
                (x0, y0), (x1, y1) = clean[-2], clean[-1]
                if (x0 == x1 == p[0]) or (y0 == y1 == p[1]):
                    clean[-1] = p
                    continue
            clean.append(p)
        f.points = clean


# --------------------------------------------------------------------------- the document


def discovered_bpmn(
    result: AnalysisResult,
    *,
    min_frequency: int = 0,
    lanes: ActivityLanes | None = None,
    lang: Literal["en", "zh"] = "en",
    name: str | None = None,
) -> bytes:
    """The discovered process map as a BPMN 2.0 XML document (UTF-8) with a complete diagram.

    ``min_frequency`` keeps the directly-follows edges at least that frequent (and the start and
    end connections as the report's map does; :func:`default_min_frequency` gives the map's
    default). ``lanes`` draws one pool with a lane per lane value; ``lang`` is the language of
    the tasks' documentation and of the default process ``name`` (the source file's name when
    the analysis has one). Raises :class:`ConfigError` for an unknown ``lang``.
    """
    if lang not in _LABELS:
        raise ConfigError(f"unknown language {lang!r}; expected 'en' or 'zh'")
    kept = kept_paths(result, min_frequency)
    stats = {a.activity: a for a in result.activities}
    number = {a: i for i, a in enumerate(_map_activities(result), start=1)}

    # Lanes: the kept activities' lane values, ordered later by where they first appear.
    lane_names: list[str] = []
    lane_index: dict[str, int] = {}

    def lane_of(activity: str) -> int:
        if lanes is None:
            return 0
        value = clean_text(lanes.lane_of(activity)) or NO_VALUE
        if value not in lane_index:
            lane_index[value] = len(lane_names)
            lane_names.append(value)
        return lane_index[value]

    nodes: list[_Node] = []
    tasks: dict[str, _Node] = {}
    for activity in kept.activities:
        found = lanes.get(activity) if lanes is not None else None
        lane_info = (lanes.column, found.lane, found.share) if lanes and found else None
        node = _Node(
            f"Activity_{number[activity]}",
            "task",
            _task_width(activity),
            _TASK_H,
            lane=lane_of(activity),
            name=clean_text(activity),
            documentation=_documentation(stats.get(activity), lane_info, lang),
        )
        tasks[activity] = node
        nodes.append(node)
    first_start = max(kept.starts, key=lambda p: p[1], default=None)
    last_end = max(kept.ends, key=lambda p: p[1], default=None)
    start = _Node(
        "StartEvent_1",
        "startEvent",
        _EVENT,
        _EVENT,
        lane=tasks[first_start[0]].lane if first_start else 0,
    )
    end = _Node(
        "EndEvent_1", "endEvent", _EVENT, _EVENT, lane=tasks[last_end[0]].lane if last_end else 0
    )
    nodes[:0] = [start]
    nodes.append(end)

    arcs: list[tuple[_Node, _Node, int]] = [(start, tasks[a], n) for a, n in kept.starts]
    arcs += [(tasks[s], tasks[t], f) for s, t, f in kept.edges]
    arcs += [(tasks[a], end, n) for a, n in kept.ends]
    if not arcs:
        arcs.append((start, end, result.log.cases))
    outs: dict[_Node, list[tuple[_Node, _Node, int]]] = defaultdict(list)
    ins: dict[_Node, list[tuple[_Node, _Node, int]]] = defaultdict(list)
    for arc in arcs:
        outs[arc[0]].append(arc)
        ins[arc[1]].append(arc)

    flows: list[_Flow] = []

    def connect(source: _Node, target: _Node, frequency: int) -> None:
        flow = _Flow(f"Flow_{len(flows) + 1}", source, target, frequency)
        flows.append(flow)
        source.outgoing.append(flow.id)
        target.incoming.append(flow.id)

    def gateway_number(node: _Node) -> str:
        return node.id.split("_", 1)[1] if node.kind == "task" else "0"

    split: dict[_Node, _Node] = {}
    join: dict[_Node, _Node] = {}
    for node in list(nodes):
        if len(ins[node]) > 1:
            gw = _Node(
                f"Gateway_{gateway_number(node)}_join",
                "exclusiveGateway",
                _GATEWAY,
                _GATEWAY,
                lane=node.lane,
                direction="Converging",
                anchor=node,
            )
            join[node] = gw
            nodes.insert(nodes.index(node), gw)
        if len(outs[node]) > 1:
            gw = _Node(
                f"Gateway_{gateway_number(node)}_split",
                "exclusiveGateway",
                _GATEWAY,
                _GATEWAY,
                lane=node.lane,
                direction="Diverging",
                anchor=node,
            )
            split[node] = gw
            nodes.insert(nodes.index(node) + 1, gw)
    for node in nodes:
        if node in join:
            connect(join[node], node, sum(a[2] for a in ins[node]))
        if node in split:
            connect(node, split[node], sum(a[2] for a in outs[node]))
    for source, target, frequency in arcs:
        connect(split.get(source, source), join.get(target, target), frequency)
    # the events level with the one node they lead to or come from
    if len(start.outgoing) == 1:
        start.anchor = next(f.target for f in flows if f.source is start)
    if len(end.incoming) == 1:
        end.anchor = next(f.source for f in flows if f.target is end)

    # Lanes in the order in which the flow first reaches them, then the layout.
    if lanes is not None:
        _layout(nodes, flows, start, end, 0)  # ranks only, to order the lanes
        first_rank: dict[int, int] = {}
        for n in nodes:
            first_rank[n.lane] = min(first_rank.get(n.lane, n.rank), n.rank)
        order = sorted(range(len(lane_names)), key=lambda i: (first_rank.get(i, 0), i))
        renumber = {old: new for new, old in enumerate(order)}
        lane_names = [lane_names[i] for i in order]
        for n in nodes:
            n.lane = renumber.get(n.lane, 0)
        for f in flows:
            f.backward = False
            f.chain = []
    lefts, bands = _layout(nodes, flows, start, end, len(lane_names))
    _route(flows, lefts)

    # Semantic model.
    def bpmn(parent: etree._Element | None, tag: str, **attributes: str) -> etree._Element:
        qname = f"{{{BPMN_MODEL_NS}}}{tag}"
        if parent is None:
            return etree.Element(qname, attributes, nsmap=_NSMAP)
        return etree.SubElement(parent, qname, attributes)

    title = clean_text(name) if name is not None else ""
    if not title:
        title = clean_text(PurePath(result.source).name) if result.source else ""
        title = title or _LABELS[lang]["process"]
    root = bpmn(
        None,
        "definitions",
        id="Definitions_1",
        targetNamespace="urn:opslens:discovered",
        exporter="opslens",
        exporterVersion="1",
    )
    if lanes is not None:
        collaboration = bpmn(root, "collaboration", id="Collaboration_1")
        bpmn(collaboration, "participant", id="Participant_1", name=title, processRef="Process_1")
    process = bpmn(root, "process", id="Process_1", name=title, isExecutable="false")
    if lanes is not None:
        lane_set = bpmn(process, "laneSet", id="LaneSet_1")
        lane_elements = [
            bpmn(lane_set, "lane", id=f"Lane_{i}", name=value)
            for i, value in enumerate(lane_names, start=1)
        ]
        for node in nodes:
            bpmn(lane_elements[node.lane], "flowNodeRef").text = node.id
    for node in nodes:
        element = bpmn(process, node.kind, id=node.id)
        if node.name:
            element.set("name", node.name)
        if node.direction:
            element.set("gatewayDirection", node.direction)
        if node.documentation:
            bpmn(element, "documentation").text = node.documentation
        for flow_id in node.incoming:
            bpmn(element, "incoming").text = flow_id
        for flow_id in node.outgoing:
            bpmn(element, "outgoing").text = flow_id
    for f in flows:
        bpmn(
            process,
            "sequenceFlow",
            id=f.id,
            name=format_count(f.frequency),
            sourceRef=f.source.id,
            targetRef=f.target.id,
        )

    # Diagram.
    diagram = etree.SubElement(root, f"{{{BPMNDI_NS}}}BPMNDiagram", id="BPMNDiagram_1")
    plane = etree.SubElement(
        diagram,
        f"{{{BPMNDI_NS}}}BPMNPlane",
        id="BPMNPlane_1",
        bpmnElement="Collaboration_1" if lanes is not None else "Process_1",
    )

    def shape(element_id: str, x: float, y: float, w: float, h: float, **extra: str) -> None:
        item = etree.SubElement(
            plane,
            f"{{{BPMNDI_NS}}}BPMNShape",
            id=f"{element_id}_di",
            bpmnElement=element_id,
            **extra,
        )
        etree.SubElement(item, f"{{{DC_NS}}}Bounds", x=_n(x), y=_n(y), width=_n(w), height=_n(h))

    if lanes is not None:
        width = lefts[-1] + _PAD - _ORIGIN_X
        shape(
            "Participant_1",
            _ORIGIN_X,
            bands[0][0],
            width,
            bands[-1][1] - bands[0][0],
            isHorizontal="true",
        )
        for i, (top, bottom) in enumerate(bands, start=1):
            shape(
                f"Lane_{i}",
                _ORIGIN_X + _HEADER,
                top,
                width - _HEADER,
                bottom - top,
                isHorizontal="true",
            )
    for node in nodes:
        extra = {"isMarkerVisible": "true"} if node.kind == "exclusiveGateway" else {}
        shape(node.id, node.left, node.top, node.width, node.height, **extra)
    for f in flows:
        edge = etree.SubElement(
            plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{f.id}_di", bpmnElement=f.id
        )
        for px, py in f.points:
            etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=_n(px), y=_n(py))
        lx, ly, lw, lh = _label_bounds(f, format_count(f.frequency))
        label = etree.SubElement(edge, f"{{{BPMNDI_NS}}}BPMNLabel")
        etree.SubElement(
            label, f"{{{DC_NS}}}Bounds", x=_n(lx), y=_n(ly), width=_n(lw), height=_n(lh)
        )
    document: bytes = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return document


def _label_bounds(flow: _Flow, text: str) -> tuple[float, float, float, float]:
    """Where a flow's name goes: over the middle of its longest horizontal run (under it for a
    loop, whose runs lie below the nodes)."""
    width = 7.0 * len(text) + 6
    best: tuple[float, float, float] | None = None  # length, middle x, y
    for (x0, y0), (x1, y1) in itertools.pairwise(flow.points):
        if y0 == y1 and (best is None or abs(x1 - x0) > best[0]):
            best = (abs(x1 - x0), (x0 + x1) / 2, y0)
    if best is None:
        (x0, y0), (x1, y1) = flow.points[0], flow.points[-1]
        best = (0.0, (x0 + x1) / 2, (y0 + y1) / 2)
    _, mx, y = best
    below = flow.backward or flow.source is flow.target
    return mx - width / 2, y + 3 if below else y - 17, width, 14.0


def _n(v: float) -> str:
    """A coordinate as BPMNDI tools write it: a whole number of pixels (bpmn-js rounds them)."""
    return str(round(v))
