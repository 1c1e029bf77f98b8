"""Render an :class:`AnalysisResult` as one self-contained HTML file.

The file needs no network: styles, scripts (our own map script and the vendored, MIT-licensed
``@dagrejs/dagre`` layout bundle) are inlined. Tables, the summary and the case-duration
histogram are rendered here, with every user string escaped; the interactive process map is
drawn in the browser from a JSON block (``<script type="application/json">`` with ``<``, ``>``
and ``&`` escaped), whose strings the script only ever puts into the page through ``textContent``.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opslens import __version__
from opslens.core.mining.lanes import NO_VALUE, ActivityLanes
from opslens.core.mining.results import (
    ActivityStats,
    AnalysisResult,
    Bottleneck,
    CaseDurationStats,
    DfgEdge,
    Histogram,
)

__all__ = ["Lang", "format_count", "format_duration", "format_share", "render_html"]

Lang = Literal["en", "zh"]

#: How many DFG edges the transitions table lists (the process map shows them all).
TOP_EDGES: Final = 50
#: Bottlenecks listed before a "show all" fold.
TOP_BOTTLENECKS: Final = 10

_DASH: Final = "–"

_UNITS: Final[dict[str, tuple[str, str, str, str]]] = {
    "en": ("s", "min", "h", "d"),
    "zh": ("秒", "分钟", "小时", "天"),
}
_UNIT_STEPS: Final = (60.0, 60.0, 24.0)  # s -> min -> h -> d

_LABELS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Process analysis report",
        "summary": "Log summary",
        "source": "Source",
        "events": "Events",
        "cases": "Cases",
        "activities_count": "Activities",
        "activity_instances": "Activity instances",
        "lifecycle": "Lifecycle",
        "lifecycle_atomic": "atomic (one timestamp)",
        "lifecycle_interval": "interval (start + complete)",
        "first": "First event",
        "last": "Last event",
        "rejected_rows": "Rejected rows",
        "open_instances": "Open instances",
        "variants_count": "Variants",
        "mean_case_duration": "Mean case duration",
        "median_case_duration": "Median case duration",
        "p90_case_duration": "P90 case duration",
        "bottlenecks": "Bottlenecks: where does the time go",
        "bottlenecks_note": "Activities (their waiting + service time) and transitions, "
        "by total time spent.",
        "show_all": "Show all {n}",
        "kind": "Kind",
        "kind_activity": "Activity",
        "kind_transition": "Transition",
        "name": "Name",
        "total_time": "Total time",
        "share": "Share of time",
        "mean": "Mean",
        "process_map": "Process map",
        "frequency": "Frequency",
        "duration": "Duration",
        "paths": "Paths",
        "paths_readout": "{shown} of {total} paths · frequency ≥ {min} · {nodes} activities",
        "fit": "Fit to view",
        "download_svg": "SVG",
        "download_png": "PNG",
        "download_title": "Download the map as it is shown",
        "map_hint": "Drag to pan · wheel to zoom · hover or click a node or path",
        "details": "Details",
        "details_hint": "Click an activity or a path to see its statistics here.",
        "legend": "Legend",
        "legend_thickness_frequency": "Line thickness and colour: frequency",
        "legend_thickness_duration": "Line thickness and colour: mean duration",
        "legend_fill_frequency": "Activity colour: instances",
        "legend_fill_duration": "Activity colour: share of time",
        "legend_start": "Process start",
        "legend_end": "Process end",
        "heaviest_bottleneck": "Heaviest bottleneck",
        "bottleneck_tag": "bottleneck",
        "start": "Start",
        "end": "End",
        "avg": "avg",
        "starts_cases": "Starts cases",
        "ends_cases": "Ends cases",
        "no_script": "The process map needs JavaScript.",
        "activities": "Activities",
        "activity": "Activity",
        "instances": "Instances",
        "rework_cases": "Rework cases",
        "mean_service": "Mean service",
        "mean_waiting": "Mean waiting",
        "transitions": "Transitions (directly-follows)",
        "transitions_note": "Top {n} of {total} by frequency.",
        "from": "From",
        "to": "To",
        "mean_duration": "Mean duration",
        "median_duration": "Median duration",
        "min": "Min",
        "max": "Max",
        "variants": "Variants",
        "variants_note": "Top {n} of {total} variants.",
        "rank": "#",
        "sequence": "Activity sequence",
        "steps": "Steps",
        "share_cases": "Share of cases",
        "start_end": "Start and end activities",
        "start_activities": "Start activities",
        "end_activities": "End activities",
        "histogram": "Case duration distribution",
        "case_duration": "Case duration",
        "histogram_note": "{bins} bins of {width} · {cases} cases",
        "median": "Median",
        "p90": "P90",
        "bin_title": "{lo} – {hi}: {count} cases",
        "no_data": "No data.",
        "generated": "Generated by opslens {version}",
        "layout_credit": "Process map layout: dagre (MIT license)",
        "swimlanes": "Swimlanes",
        "lanes_none": "None",
        "lane_resource": "Resource",
        "lane_others": "Also",
    },
    "zh": {
        "title": "流程分析报告",
        "summary": "日志概要",
        "source": "来源",
        "events": "事件数",
        "cases": "案例数",
        "activities_count": "活动数",
        "activity_instances": "活动实例数",
        "lifecycle": "生命周期",
        "lifecycle_atomic": "原子（单一时间戳）",
        "lifecycle_interval": "区间（开始 + 完成）",
        "first": "首个事件",
        "last": "末个事件",
        "rejected_rows": "被拒绝的行",
        "open_instances": "未完成实例",
        "variants_count": "变体数",
        "mean_case_duration": "平均案例时长",
        "median_case_duration": "案例时长中位数",
        "p90_case_duration": "案例时长 P90",
        "bottlenecks": "瓶颈：时间花在哪里",
        "bottlenecks_note": "活动（等待 + 处理时间）与转移，按总耗时排序。",
        "show_all": "显示全部 {n} 项",
        "kind": "类型",
        "kind_activity": "活动",
        "kind_transition": "转移",
        "name": "名称",
        "total_time": "总耗时",
        "share": "时间占比",
        "mean": "平均",
        "process_map": "流程图",
        "frequency": "频次",
        "duration": "耗时",
        "paths": "路径",
        "paths_readout": "显示 {shown} / {total} 条路径 · 频次 ≥ {min} · {nodes} 个活动",
        "fit": "适应窗口",
        "download_svg": "SVG",
        "download_png": "PNG",
        "download_title": "按当前显示下载流程图",
        "map_hint": "拖动平移 · 滚轮缩放 · 悬停或点击节点、路径查看统计",
        "details": "详情",
        "details_hint": "点击活动或路径，在此查看其统计数据。",
        "legend": "图例",
        "legend_thickness_frequency": "线条粗细与颜色：频次",
        "legend_thickness_duration": "线条粗细与颜色：平均耗时",
        "legend_fill_frequency": "活动颜色：实例数",
        "legend_fill_duration": "活动颜色：时间占比",
        "legend_start": "流程开始",
        "legend_end": "流程结束",
        "heaviest_bottleneck": "最大瓶颈",
        "bottleneck_tag": "瓶颈",
        "start": "开始",
        "end": "结束",
        "avg": "平均",
        "starts_cases": "作为开始的案例",
        "ends_cases": "作为结束的案例",
        "no_script": "流程图需要启用 JavaScript。",
        "activities": "活动",
        "activity": "活动",
        "instances": "实例数",
        "rework_cases": "返工案例",
        "mean_service": "平均处理时长",
        "mean_waiting": "平均等待时长",
        "transitions": "转移（直接跟随关系）",
        "transitions_note": "按频次列出前 {n} 条，共 {total} 条。",
        "from": "从",
        "to": "到",
        "mean_duration": "平均耗时",
        "median_duration": "耗时中位数",
        "min": "最短",
        "max": "最长",
        "variants": "变体",
        "variants_note": "列出前 {n} 个变体，共 {total} 个。",
        "rank": "#",
        "sequence": "活动序列",
        "steps": "步数",
        "share_cases": "案例占比",
        "start_end": "开始与结束活动",
        "start_activities": "开始活动",
        "end_activities": "结束活动",
        "histogram": "案例时长分布",
        "case_duration": "案例时长",
        "histogram_note": "{bins} 个区间，每个 {width} · 共 {cases} 个案例",
        "median": "中位数",
        "p90": "P90",
        "bin_title": "{lo} – {hi}：{count} 个案例",
        "no_data": "无数据。",
        "generated": "由 opslens {version} 生成",
        "layout_credit": "流程图布局：dagre（MIT 许可）",
        "swimlanes": "泳道",
        "lanes_none": "不分泳道",
        "lane_resource": "资源",
        "lane_others": "其他",
    },
}

#: Labels the map script needs with swimlanes (only then in its data).
_JS_LANE_LABELS: Final = ("lane_others",)

#: Labels the map script needs.
_JS_LABELS: Final = (
    "paths_readout",
    "details_hint",
    "heaviest_bottleneck",
    "bottleneck_tag",
    "start",
    "end",
    "avg",
    "cases",
    "instances",
    "rework_cases",
    "mean_service",
    "mean_waiting",
    "share",
    "starts_cases",
    "ends_cases",
    "frequency",
    "mean_duration",
    "median_duration",
    "min",
    "max",
    "no_data",
)


# --------------------------------------------------------------------------- formatting


def format_count(n: int | None) -> str:
    """``1234567`` → ``"1,234,567"``."""
    return _DASH if n is None else f"{n:,}"


def format_share(x: float | None) -> str:
    """A fraction as a percentage with one decimal: ``0.1234`` → ``"12.3%"``."""
    if x is None or not math.isfinite(x):
        return _DASH
    v = x * 100.0
    if 0.0 < v < 0.05:
        return "<0.1%"
    return f"{v:.1f}%"


def _round_text(v: float) -> str:
    if v == 0.0:
        return "0"
    if v < 10.0:
        return f"{v:.1f}"
    return f"{round(v):,}"


def format_duration(seconds: float | None, lang: Lang = "en") -> str:
    """Humanise seconds: ``"35 s"``, ``"4.5 min"``, ``"4.1 h"``, ``"2.3 d"`` (zh: 秒/分钟/小时/天).

    One decimal below 10 of the chosen unit, whole numbers above; days are the largest unit.
    """
    if seconds is None or not math.isfinite(seconds):
        return _DASH
    units = _UNITS[lang]
    sign = "-" if seconds < 0 else ""
    v = abs(seconds)
    unit = 0
    while unit < len(_UNIT_STEPS) and v >= _UNIT_STEPS[unit]:
        v /= _UNIT_STEPS[unit]
        unit += 1
    if 0.0 < v < 0.05:
        return f"{sign}<0.1 {units[0]}"
    text = _round_text(v)
    if unit < len(_UNIT_STEPS) and float(text.replace(",", "")) >= _UNIT_STEPS[unit]:
        v /= _UNIT_STEPS[unit]
        unit += 1
        text = _round_text(v)
    return f"{sign}{text} {units[unit]}"


def _format_ts(ts: datetime | None, zone: str | None = None) -> str:
    """``ts`` as a wall-clock time in ``zone`` (an IANA name) with the zone's offset and name,
    e.g. ``2024-03-01 09:03:00 +08:00 Asia/Shanghai``; as stored (UTC) without a zone."""
    if ts is None:
        return _DASH
    if zone and zone != "UTC" and ts.tzinfo is not None:
        local = ts.astimezone(ZoneInfo(zone))
        offset = local.strftime("%z")
        return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]} {zone}"
    text = ts.strftime("%Y-%m-%d %H:%M:%S")
    name = ts.tzname()
    return f"{text} {name}" if name else text


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num_attr(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return ""
    return repr(float(v))


# --------------------------------------------------------------------------- assets


@cache
def _asset(name: str) -> str:
    text = resources.files("opslens.core.report").joinpath("assets", name).read_text("utf-8")
    # Never refer to a file the report does not contain (source maps).
    text = re.sub(r"^\s*//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    if re.search(r"</script", text, flags=re.IGNORECASE):  # pragma: no cover - asset sanity
        raise ValueError(f"asset {name} contains '</script' and cannot be inlined")
    return text


def _json_for_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class _Col:
    label: str
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class _Cell:
    text: str
    value: float | None = None  # sort key of numeric columns
    cls: str = ""
    share: float | None = None  # draw a small bar for a fraction in [0, 1]
    raw_html: str | None = None  # pre-escaped markup (built from escaped parts only)


def _cell_html(cell: _Cell, col: _Col) -> str:
    classes = " ".join(c for c in ("num" if col.numeric else "", cell.cls) if c)
    attrs = f' class="{classes}"' if classes else ""
    if col.numeric:
        attrs += f' data-v="{_num_attr(cell.value)}"'
    if cell.raw_html is not None:
        body = cell.raw_html
    elif cell.share is not None:
        width = max(0.0, min(1.0, cell.share)) * 100.0
        body = (
            f'<span class="share"><span>{_e(cell.text)}</span>'
            f'<span class="bar"><span style="width:{width:.1f}%"></span></span></span>'
        )
    else:
        body = _e(cell.text)
    return f"<td{attrs}>{body}</td>"


def _table(
    cols: Sequence[_Col],
    rows: Iterable[Sequence[_Cell]],
    *,
    table_id: str,
    row_classes: Sequence[str] | None = None,
) -> str:
    head = "".join(
        f'<th class="sortable{" num" if c.numeric else ""}" scope="col">{_e(c.label)}</th>'
        for c in cols
    )
    body: list[str] = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes is not None and i < len(row_classes) else ""
        tr = f'<tr class="{cls}">' if cls else "<tr>"
        body.append(tr + "".join(_cell_html(c, col) for c, col in zip(row, cols, strict=True)))
        body[-1] += "</tr>"
    return (
        f'<div class="table-wrap"><table class="sortable" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _mean(stats: object) -> float | None:
    mean = getattr(stats, "mean", None)
    return float(mean) if isinstance(mean, int | float) and math.isfinite(mean) else None


# --------------------------------------------------------------------------- bottlenecks


def _split_transition(name: str) -> tuple[str, str] | None:
    for sep in (" → ", "→", " -> ", "->", " ⇒ ", " => "):
        if sep in name:
            source, target = name.split(sep, 1)
            return source.strip(), target.strip()
    return None


def _heaviest(
    bottlenecks: Sequence[Bottleneck], kind: Literal["activity", "transition"]
) -> Bottleneck | None:
    of_kind = [b for b in bottlenecks if b.kind == kind]
    return max(of_kind, key=lambda b: b.total_s) if of_kind else None


def _match_edge(name: str, dfg: Sequence[DfgEdge]) -> DfgEdge | None:
    for edge in dfg:
        for sep in (" → ", "→", " -> ", "->", " ⇒ ", " => "):
            if name == f"{edge.source}{sep}{edge.target}":
                return edge
    parts = _split_transition(name)
    if parts is not None:
        for edge in dfg:
            if (edge.source, edge.target) == parts:
                return edge
    return None


# --------------------------------------------------------------------------- histogram


def _nice_step(span: float, target: int, *, integer: bool = False) -> float:
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    mag = 10.0 ** math.floor(math.log10(raw))
    step = 10.0 * mag
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * mag >= raw:
            step = m * mag
            break
    return max(1.0, round(step)) if integer else step


def _tick_text(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return f"{round(v):,}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _histogram_svg(
    hist: Histogram, case_duration: CaseDurationStats | None, lab: Mapping[str, str], lang: Lang
) -> str:
    counts = hist.counts
    edges = hist.edges
    n = len(counts)
    if n == 0 or len(edges) != n + 1 or not all(math.isfinite(x) for x in edges):
        return f'<p class="empty">{_e(lab["no_data"])}</p>'
    width, height = 960, 330
    ml, mr, mt, mb = 66, 24, 54, 52
    pw, ph = width - ml - mr, height - mt - mb
    lo, hi = edges[0], edges[-1]
    span = hi - lo if hi > lo else 1.0
    ystep = _nice_step(max(counts) or 1, 5, integer=True)
    ytop = max(ystep, math.ceil((max(counts) or 1) / ystep) * ystep)

    def x(v: float) -> float:
        return ml + (v - lo) / span * pw

    def y(c: float) -> float:
        return mt + ph - c / ytop * ph

    out: list[str] = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(lab["histogram"])}">'
    ]
    # y grid and labels
    tick = 0.0
    while tick <= ytop + 1e-9:
        yy = y(tick)
        out.append(f'<line class="grid" x1="{ml}" x2="{ml + pw}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(
            f'<text x="{ml - 8}" y="{yy + 4:.1f}" text-anchor="end">{_e(format_count(int(tick)))}'
            "</text>"
        )
        tick += ystep
    # bars: one per bin, zero-height ones included
    for i, count in enumerate(counts):
        x0, x1 = x(edges[i]), x(edges[i + 1])
        gap = min(2.0, (x1 - x0) * 0.15)
        yy = y(count)
        title = lab["bin_title"].format(
            lo=format_duration(edges[i], lang),
            hi=format_duration(edges[i + 1], lang),
            count=format_count(count),
        )
        out.append(
            f'<rect class="bar" x="{x0 + gap / 2:.1f}" y="{yy:.1f}" '
            f'width="{max(x1 - x0 - gap, 0.5):.1f}" height="{mt + ph - yy:.1f}">'
            f"<title>{_e(title)}</title></rect>"
        )
    # x axis with ticks in one unit chosen from the range
    out.append(f'<line class="axis" x1="{ml}" x2="{ml + pw}" y1="{mt + ph}" y2="{mt + ph}"/>')
    unit_index = 0
    unit_size = 1.0
    for idx, size in ((3, 86400.0), (2, 3600.0), (1, 60.0)):
        if hi >= 2 * size:
            unit_index, unit_size = idx, size
            break
    unit_name = _UNITS[lang][unit_index]
    step_u = _nice_step(span / unit_size, 7)
    t = math.ceil(lo / unit_size / step_u - 1e-9) * step_u
    while t * unit_size <= hi + 1e-9 * max(1.0, hi):
        xx = x(t * unit_size)
        out.append(
            f'<line class="axis" x1="{xx:.1f}" x2="{xx:.1f}" y1="{mt + ph}" y2="{mt + ph + 5}"/>'
        )
        out.append(
            f'<text x="{xx:.1f}" y="{mt + ph + 19}" text-anchor="middle">'
            f"{_e(_tick_text(t))} {_e(unit_name)}</text>"
        )
        t += step_u
    out.append(
        f'<text class="axis-title" x="{ml + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{_e(lab['case_duration'])}</text>"
    )
    out.append(
        f'<text class="axis-title" transform="translate(16 {mt + ph / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{_e(lab["cases"])}</text>'
    )
    # mean / median / p90 markers, labels staggered so that close values stay readable
    if case_duration is not None:
        marks = [
            ("median", lab["median"], case_duration.stats.median, "#2b8a3e"),
            ("mean", lab["mean"], case_duration.stats.mean, "#e8590c"),
            ("p90", lab["p90"], case_duration.p90, "#7048e8"),
        ]
        marks = [m for m in marks if math.isfinite(m[2])]
        marks.sort(key=lambda m: m[2])
        for row, (key, label, value, color) in enumerate(marks):
            xx = min(max(x(value), ml), ml + pw)
            ly = 14 + 15 * row
            anchor, lx = ("end", xx - 5) if xx > ml + pw * 0.75 else ("start", xx + 5)
            out.append(
                f'<line class="marker marker-{key}" x1="{xx:.1f}" x2="{xx:.1f}" y1="{ly - 4}" '
                f'y2="{mt + ph}" stroke="{color}"/>'
            )
            out.append(
                f'<text class="marker-label" x="{lx:.1f}" y="{ly + 4}" text-anchor="{anchor}" '
                f'style="fill:{color}">{_e(label)} {_e(format_duration(value, lang))}</text>'
            )
    out.append("</svg>")
    note = lab["histogram_note"].format(
        bins=format_count(n),
        width=format_duration((hi - lo) / n, lang),
        cases=format_count(sum(counts)),
    )
    return "".join(out) + f'<p class="note">{_e(note)}</p>'


# --------------------------------------------------------------------------- sections


def _summary_html(
    result: AnalysisResult, lab: Mapping[str, str], lang: Lang, zone: str | None = None
) -> str:
    log = result.log
    cd = result.case_duration
    cards: list[tuple[str, str, str]] = [
        (lab["events"], format_count(log.events), ""),
        (lab["cases"], format_count(log.cases), ""),
        (lab["activities_count"], format_count(log.activities), ""),
        (lab["activity_instances"], format_count(log.activity_instances), ""),
        (lab["variants_count"], format_count(result.variants.count), ""),
        (lab["mean_case_duration"], format_duration(cd.stats.mean if cd else None, lang), ""),
        (lab["median_case_duration"], format_duration(cd.stats.median if cd else None, lang), ""),
        (lab["p90_case_duration"], format_duration(cd.p90 if cd else None, lang), ""),
        (lab["first"], _format_ts(log.first, zone), "small"),
        (lab["last"], _format_ts(log.last, zone), "small"),
        (lab["lifecycle"], lab[f"lifecycle_{log.lifecycle}"], "small"),
        (
            lab["rejected_rows"],
            format_count(log.rejected_rows),
            "warn" if log.rejected_rows else "",
        ),
    ]
    if log.open_instances:
        cards.append((lab["open_instances"], format_count(log.open_instances), "warn"))
    items = "".join(
        f'<div class="{"warn" if kind == "warn" else ""}"><dt>{_e(label)}</dt>'
        f'<dd class="{"small" if kind == "small" else ""}">{_e(value)}</dd></div>'
        for label, value, kind in cards
    )
    return f'<dl class="cards" aria-label="{_e(lab["summary"])}">{items}</dl>'


def _bottlenecks_html(result: AnalysisResult, lab: Mapping[str, str], lang: Lang) -> str:
    heads = (
        _Col(lab["kind"]),
        _Col(lab["name"]),
        _Col(lab["total_time"], numeric=True),
        _Col(lab["share"], numeric=True),
        _Col(lab["mean"], numeric=True),
    )
    hot = {id(b) for b in (_heaviest(result.bottlenecks, k) for k in ("activity", "transition"))}
    rows = []
    classes = []
    for b in result.bottlenecks:
        is_hot = id(b) in hot
        name = _e(b.name)
        if is_hot:
            name += f' <span class="badge hot">{_e(lab["heaviest_bottleneck"])}</span>'
        rows.append(
            (
                _Cell(
                    lab[f"kind_{b.kind}"],
                    raw_html=f'<span class="badge">{_e(lab[f"kind_{b.kind}"])}</span>',
                ),
                _Cell(b.name, cls="name", raw_html=name),
                _Cell(format_duration(b.total_s, lang), b.total_s),
                _Cell(format_share(b.share_of_time), b.share_of_time, share=b.share_of_time),
                _Cell(format_duration(b.mean_s, lang), b.mean_s),
            )
        )
        classes.append("hot" if is_hot else "")
    if not rows:
        return f'<p class="empty">{_e(lab["no_data"])}</p>'
    out = _table(heads, rows[:TOP_BOTTLENECKS], table_id="table-bottlenecks", row_classes=classes)
    if len(rows) > TOP_BOTTLENECKS:
        more = lab["show_all"].format(n=format_count(len(rows)))
        out += (
            f'<details class="more"><summary>{_e(more)}</summary>'
            + _table(
                heads,
                rows[TOP_BOTTLENECKS:],
                table_id="table-bottlenecks-more",
                row_classes=classes[TOP_BOTTLENECKS:],
            )
            + "</details>"
        )
    return out + f'<p class="note">{_e(lab["bottlenecks_note"])}</p>'


def _activities_html(
    acts: Sequence[ActivityStats], hot: str | None, lab: Mapping[str, str], lang: Lang
) -> str:
    if not acts:
        return f'<p class="empty">{_e(lab["no_data"])}</p>'
    heads = (
        _Col(lab["activity"]),
        _Col(lab["instances"], numeric=True),
        _Col(lab["cases"], numeric=True),
        _Col(lab["rework_cases"], numeric=True),
        _Col(lab["mean_service"], numeric=True),
        _Col(lab["mean_waiting"], numeric=True),
        _Col(lab["share"], numeric=True),
    )
    ordered = sorted(acts, key=lambda a: (-a.instances, a.activity))
    rows = [
        (
            _Cell(a.activity, cls="name"),
            _Cell(format_count(a.instances), a.instances),
            _Cell(format_count(a.cases), a.cases),
            _Cell(format_count(a.rework_cases), a.rework_cases),
            _Cell(format_duration(_mean(a.service), lang), _mean(a.service)),
            _Cell(format_duration(_mean(a.waiting), lang), _mean(a.waiting)),
            _Cell(format_share(a.share_of_time), a.share_of_time, share=a.share_of_time),
        )
        for a in ordered
    ]
    classes = ["hot" if a.activity == hot else "" for a in ordered]
    return _table(heads, rows, table_id="table-activities", row_classes=classes)


def _edges_html(
    dfg: Sequence[DfgEdge], hot: DfgEdge | None, lab: Mapping[str, str], lang: Lang
) -> str:
    if not dfg:
        return f'<p class="empty">{_e(lab["no_data"])}</p>'
    heads = (
        _Col(lab["from"]),
        _Col(lab["to"]),
        _Col(lab["frequency"], numeric=True),
        _Col(lab["mean_duration"], numeric=True),
        _Col(lab["median_duration"], numeric=True),
    )
    top = sorted(dfg, key=lambda e: (-e.frequency, e.source, e.target))[:TOP_EDGES]
    rows = [
        (
            _Cell(e.source, cls="name"),
            _Cell(e.target, cls="name"),
            _Cell(format_count(e.frequency), e.frequency),
            _Cell(format_duration(_mean(e.duration), lang), _mean(e.duration)),
            _Cell(
                format_duration(e.duration.median, lang),
                e.duration.median if math.isfinite(e.duration.median) else None,
            ),
        )
        for e in top
    ]
    classes = ["hot" if e is hot else "" for e in top]
    note = lab["transitions_note"].format(n=format_count(len(top)), total=format_count(len(dfg)))
    return (
        _table(heads, rows, table_id="table-transitions", row_classes=classes)
        + f'<p class="note">{_e(note)}</p>'
    )


def _variants_html(result: AnalysisResult, lab: Mapping[str, str], lang: Lang) -> str:
    top = result.variants.top
    if not top:
        return f'<p class="empty">{_e(lab["no_data"])}</p>'
    heads = (
        _Col(lab["rank"], numeric=True),
        _Col(lab["cases"], numeric=True),
        _Col(lab["share_cases"], numeric=True),
        _Col(lab["mean_duration"], numeric=True),
        _Col(lab["median_duration"], numeric=True),
        _Col(lab["steps"], numeric=True),
        _Col(lab["sequence"]),
    )
    arrow = '<span class="arrow">→</span>'
    rows = [
        (
            _Cell(str(i), i),
            _Cell(format_count(v.cases), v.cases),
            _Cell(format_share(v.share), v.share, share=v.share),
            _Cell(format_duration(v.duration_mean, lang), v.duration_mean),
            _Cell(format_duration(v.duration_median, lang), v.duration_median),
            _Cell(format_count(len(v.activities)), len(v.activities)),
            _Cell(
                " → ".join(v.activities),
                cls="seq",
                raw_html=arrow.join(_e(a) for a in v.activities),
            ),
        )
        for i, v in enumerate(top, start=1)
    ]
    note = lab["variants_note"].format(
        n=format_count(len(top)), total=format_count(result.variants.count)
    )
    return _table(heads, rows, table_id="table-variants") + f'<p class="note">{_e(note)}</p>'


def _start_end_html(result: AnalysisResult, lab: Mapping[str, str]) -> str:
    cases = result.log.cases
    parts = []
    for key, counts, table_id in (
        ("start_activities", result.start_activities, "table-start"),
        ("end_activities", result.end_activities, "table-end"),
    ):
        heads = (
            _Col(lab["activity"]),
            _Col(lab["cases"], numeric=True),
            _Col(lab["share_cases"], numeric=True),
        )
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        rows = [
            (
                _Cell(name, cls="name"),
                _Cell(format_count(n), n),
                _Cell(
                    format_share(n / cases if cases else None),
                    n / cases if cases else None,
                    share=n / cases if cases else None,
                ),
            )
            for name, n in ordered
        ]
        body = (
            _table(heads, rows, table_id=table_id)
            if rows
            else f'<p class="empty">{_e(lab["no_data"])}</p>'
        )
        parts.append(f"<div><h3>{_e(lab[key])}</h3>{body}</div>")
    return f'<div class="two-col">{"".join(parts)}</div>'


def _lane_label(name: str, lab: Mapping[str, str]) -> str:
    return lab["lane_resource"] if name == "resource" else name


def _map_html(
    lab: Mapping[str, str], lane_names: Sequence[str] = (), shown: str | None = None
) -> str:
    def swatch_line(color: str, width: float, dash: str = "") -> str:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<svg width="34" height="14" aria-hidden="true"><line x1="2" y1="7" x2="32" y2="7" '
            f'stroke="{color}" stroke-width="{width}"{dash_attr}/></svg>'
        )

    def swatch_circle(color: str) -> str:
        return (
            f'<svg width="34" height="18" aria-hidden="true"><circle cx="17" cy="9" r="8" '
            f'fill="{color}"/></svg>'
        )

    legend = "".join(
        [
            f'<div class="legend-row only-frequency">{swatch_line("#1f3b6b", 5)}'
            f"<span>{_e(lab['legend_thickness_frequency'])}</span></div>",
            f'<div class="legend-row only-duration">{swatch_line("#c2410c", 5)}'
            f"<span>{_e(lab['legend_thickness_duration'])}</span></div>",
            '<div class="legend-row only-frequency"><svg width="34" height="18" aria-hidden="true">'
            '<rect x="3" y="2" width="28" height="14" rx="4" fill="#2f5fb3"/></svg>'
            f"<span>{_e(lab['legend_fill_frequency'])}</span></div>",
            '<div class="legend-row only-duration"><svg width="34" height="18" aria-hidden="true">'
            '<rect x="3" y="2" width="28" height="14" rx="4" fill="#d9480f"/></svg>'
            f"<span>{_e(lab['legend_fill_duration'])}</span></div>",
            '<div class="legend-row"><svg width="34" height="18" aria-hidden="true">'
            '<rect x="3" y="2" width="28" height="14" rx="4" fill="#fff" stroke="#d62828" '
            'stroke-width="3"/></svg>'
            f"<span>{_e(lab['heaviest_bottleneck'])}</span></div>",
            f'<div class="legend-row">{swatch_circle("#2f9e44")}'
            f"<span>{_e(lab['legend_start'])}</span></div>",
            f'<div class="legend-row">{swatch_circle("#3e4c59")}'
            f"<span>{_e(lab['legend_end'])}</span></div>",
        ]
    )
    lanes_control = ""
    if lane_names:
        options = "".join(
            f'<option value="{i}"{" selected" if name == shown else ""}>'
            f"{_e(_lane_label(name, lab))}</option>"
            for i, name in enumerate(lane_names)
        )
        lanes_control = (
            f'<label class="ctl-label">{_e(lab["swimlanes"])}<select id="lane-select">'
            f'<option value="">{_e(lab["lanes_none"])}</option>{options}</select></label>'
        )
    return (
        '<div class="map-controls">'
        f'<div class="seg" role="group" aria-label="{_e(lab["frequency"])} / '
        f'{_e(lab["duration"])}">'
        f'<button type="button" id="mode-frequency" aria-pressed="true">'
        f"{_e(lab['frequency'])}</button>"
        f'<button type="button" id="mode-duration" aria-pressed="false">'
        f"{_e(lab['duration'])}</button></div>"
        f'<label class="ctl-label">{_e(lab["paths"])}'
        '<input type="range" id="path-slider" min="0" max="100" step="1" value="0"></label>'
        '<span id="path-readout"></span>'
        f"{lanes_control}"
        f'<button type="button" class="plain" id="map-fit">{_e(lab["fit"])}</button>'
        f'<button type="button" class="plain" id="map-svg-download" '
        f'title="{_e(lab["download_title"])}">{_e(lab["download_svg"])}</button>'
        f'<button type="button" class="plain" id="map-png-download" '
        f'title="{_e(lab["download_title"])}">{_e(lab["download_png"])}</button>'
        f'<span class="hint">{_e(lab["map_hint"])}</span>'
        "</div>"
        '<div class="map-wrap">'
        '<div id="map-canvas"><svg id="map-svg" role="img" '
        f'aria-label="{_e(lab["process_map"])}"></svg>'
        '<div id="map-tooltip" class="tooltip" hidden></div></div>'
        '<aside id="map-side">'
        f'<div class="box details"><h3>{_e(lab["details"])}</h3><div id="map-details">'
        f'<p class="hint">{_e(lab["details_hint"])}</p></div></div>'
        f'<div class="box"><h3>{_e(lab["legend"])}</h3>{legend}</div>'
        "</aside></div>"
        f'<noscript><p class="empty">{_e(lab["no_script"])}</p></noscript>'
    )


# --------------------------------------------------------------------------- map data


def _map_payload(
    result: AnalysisResult,
    hot_activity: str | None,
    hot_edge: DfgEdge | None,
    lab: Mapping[str, str],
    lang: Lang,
) -> dict[str, Any]:
    index: dict[str, int] = {}
    activities: list[dict[str, Any]] = []

    def add(name: str, stats: ActivityStats | None) -> int:
        if name in index:
            return index[name]
        index[name] = len(activities)
        if stats is None:
            activities.append(
                {
                    "name": name,
                    "instances": 0,
                    "cases": 0,
                    "rework": 0,
                    "service": None,
                    "waiting": None,
                    "share": None,
                    "per_instance": None,
                }
            )
        else:
            timed = stats.service is not None or stats.waiting is not None
            per_instance = stats.total_s / stats.instances if stats.instances and timed else None
            activities.append(
                {
                    "name": name,
                    "instances": stats.instances,
                    "cases": stats.cases,
                    "rework": stats.rework_cases,
                    "service": _mean(stats.service),
                    "waiting": _mean(stats.waiting),
                    "share": _finite(stats.share_of_time),
                    "per_instance": _finite(per_instance),
                }
            )
        return index[name]

    for a in result.activities:
        add(a.activity, a)
    for e in result.dfg:
        add(e.source, None)
        add(e.target, None)
    for name in (*result.start_activities, *result.end_activities):
        add(name, None)

    edges = [
        {
            "s": index[e.source],
            "t": index[e.target],
            "f": e.frequency,
            "mean": _mean(e.duration),
            "median": _finite(e.duration.median),
            "min": _finite(e.duration.min),
            "max": _finite(e.duration.max),
        }
        for e in result.dfg
    ]
    return {
        "lang": lang,
        "labels": {k: lab[k] for k in _JS_LABELS},
        "units": list(_UNITS[lang]),
        "cases": result.log.cases,
        "activities": activities,
        "edges": edges,
        "start": [[index[k], v] for k, v in result.start_activities.items()],
        "end": [[index[k], v] for k, v in result.end_activities.items()],
        "bottleneck": {
            "node": index.get(hot_activity) if hot_activity is not None else None,
            "edge": [index[hot_edge.source], index[hot_edge.target]] if hot_edge else None,
        },
    }


def _lanes_payload(
    names: Sequence[str], lanes: Mapping[str, ActivityLanes], lab: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Per lane column: its lanes (``values``) and, per map activity, its lane (an index into
    ``values``), the lane's share of the activity's events and its top values."""
    out = []
    for key, column in lanes.items():
        values = list(column.values)
        lane: list[int] = []
        share: list[float | None] = []
        top: list[list[tuple[str, float | None]]] = []
        for name in names:
            found = column.get(name)
            value = found.lane if found is not None else NO_VALUE
            if value not in values:
                values.append(value)
            lane.append(values.index(value))
            share.append(_finite(found.share) if found is not None else None)
            top.append([(t.value, _finite(t.share)) for t in found.top] if found else [])
        out.append(
            {
                "name": key,
                "label": _lane_label(key, lab),
                "values": values,
                "lane": lane,
                "share": share,
                "top": top,
            }
        )
    return out


def _finite(v: float | None) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


# --------------------------------------------------------------------------- entry point


def render_html(
    result: AnalysisResult,
    *,
    title: str | None = None,
    lang: Lang = "en",
    lanes: Mapping[str, ActivityLanes] | None = None,
    show_lanes: str | None = None,
    zone: str | None = None,
) -> str:
    """The whole report as one HTML document (UTF-8 text) that opens without any network.

    ``lanes`` (column name → :func:`~opslens.core.mining.lanes.activity_lanes` of that column)
    adds a "Swimlanes" choice to the map, which then draws the activities in one band per lane
    value; ``"resource"`` is shown as "Resource". ``show_lanes`` names the column (a key of
    ``lanes``) whose lanes the map shows when the report opens (default: none). Without
    ``lanes`` the report is the same as before. ``zone`` (an IANA name such as
    ``Asia/Shanghai``) shows the first and last event's time there instead of in UTC.
    """
    if lang not in _LABELS:
        raise ValueError(f"unsupported report language {lang!r}; expected one of {list(_LABELS)}")
    if show_lanes is not None and show_lanes not in (lanes or {}):
        raise ValueError(f"show_lanes={show_lanes!r} is not one of the lanes {list(lanes or {})}")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r} (e.g. Asia/Shanghai)") from None
    lab = _LABELS[lang]
    hot_act = _heaviest(result.bottlenecks, "activity")
    hot_transition = _heaviest(result.bottlenecks, "transition")
    hot_edge = _match_edge(hot_transition.name, result.dfg) if hot_transition else None
    hot_activity = hot_act.name if hot_act else None
    page_title = title if title is not None else lab["title"]
    source = (
        f'<p class="source">{_e(lab["source"])}: {_e(result.source)}</p>' if result.source else ""
    )
    payload = _map_payload(result, hot_activity, hot_edge, lab, lang)
    lane_names = list(lanes) if lanes else []
    if lanes:
        payload["labels"].update({k: lab[k] for k in _JS_LANE_LABELS})
        payload["lanes"] = _lanes_payload([a["name"] for a in payload["activities"]], lanes, lab)
    footer = f"{_e(lab['generated'].format(version=__version__))} · {_e(lab['layout_credit'])}"
    sections = [
        f'<section id="bottlenecks"><h2>{_e(lab["bottlenecks"])}</h2>'
        f"{_bottlenecks_html(result, lab, lang)}</section>",
        f'<section id="process-map" class="mode-frequency"><h2>{_e(lab["process_map"])}</h2>'
        f"{_map_html(lab, lane_names, show_lanes)}</section>",
        f'<section id="histogram" class="hist"><h2>{_e(lab["histogram"])}</h2>'
        f"{_histogram_svg(result.case_duration_histogram, result.case_duration, lab, lang)}"
        "</section>",
        f'<section id="activities"><h2>{_e(lab["activities"])}</h2>'
        f"{_activities_html(result.activities, hot_activity, lab, lang)}</section>",
        f'<section id="transitions"><h2>{_e(lab["transitions"])}</h2>'
        f"{_edges_html(result.dfg, hot_edge, lab, lang)}</section>",
        f'<section id="variants"><h2>{_e(lab["variants"])}</h2>'
        f"{_variants_html(result, lab, lang)}</section>",
        f'<section id="start-end"><h2>{_e(lab["start_end"])}</h2>'
        f"{_start_end_html(result, lab)}</section>",
    ]
    return "".join(
        [
            "<!DOCTYPE html>\n",
            f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n',
            '<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f'<meta name="generator" content="opslens {_e(__version__)}">\n',
            f"<title>{_e(page_title)}</title>\n",
            f"<style>\n{_asset('report.css')}</style>\n",
            '</head>\n<body>\n<div class="page">\n',
            f'<header class="top"><h1>{_e(page_title)}</h1>{source}',
            _summary_html(result, lab, lang, zone),
            "</header>\n<main>\n",
            "\n".join(sections),
            f"\n</main>\n<footer>{footer}</footer>\n</div>\n",
            '<script type="application/json" id="opslens-data">',
            _json_for_script(payload),
            "</script>\n",
            "<script>\n/* @dagrejs/dagre (MIT license, see assets/vendor/dagre.LICENSE.txt) */\n",
            _asset("vendor/dagre.min.js"),
            "\n</script>\n<script>\n",
            _asset("report.js"),
            "</script>\n</body>\n</html>\n",
        ]
    )
