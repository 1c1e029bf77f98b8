"""Unit tests of the self-contained HTML report (no browser)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import opslens.core.report as report_pkg
from opslens.core.mining.results import (
    ActivityStats,
    AnalysisResult,
    Bottleneck,
    CaseDurationStats,
    DfgEdge,
    DurationStats,
    Histogram,
    LogSummary,
    Variant,
    VariantSummary,
)
from opslens.core.report import render_html
from opslens.core.report.html import (
    TOP_EDGES,
    Lang,
    format_count,
    format_duration,
    format_share,
)

HOUR = 3600.0
DAY = 86400.0
HOSTILE = "<script>alert(\"x\")</script> & 'Q'"

ACTIVITY_NAMES = ["客服记录", "投诉分级", "技术处理", "反馈客户", HOSTILE, "Close case"]


def _ds(count: int, mean: float, *, spread: float = 0.5) -> DurationStats:
    return DurationStats(
        count=count,
        mean=mean,
        median=mean * 0.8,
        min=mean * (1 - spread),
        max=mean * (1 + 3 * spread),
        sum=mean * count,
        stdev=mean * spread if count > 1 else None,
    )


def sample_result() -> AnalysisResult:
    """A small hand-made analysis: Chinese names, a hostile name, a self-loop, rework."""
    a, b, c, d, x, z = ACTIVITY_NAMES
    dfg = (
        DfgEdge(a, b, 1200, _ds(1200, 2.5 * HOUR)),
        DfgEdge(b, c, 700, _ds(700, 1.6 * DAY)),
        DfgEdge(b, d, 480, _ds(480, 35 * 60.0)),
        DfgEdge(c, c, 90, _ds(90, 4.1 * HOUR)),
        DfgEdge(c, d, 690, _ds(690, 6.0 * HOUR)),
        DfgEdge(d, z, 1150, _ds(1150, 20 * 60.0)),
        DfgEdge(b, x, 20, _ds(20, 3 * DAY)),
        DfgEdge(x, d, 18, _ds(18, 45.0)),
        DfgEdge(x, z, 2, _ds(2, 12.0)),
        DfgEdge(a, d, 3, _ds(3, 2 * DAY)),
    )
    total = 1203 * 2.4 * DAY

    def act(name: str, inst: int, cases: int, rework: int, wait: float | None) -> ActivityStats:
        waiting = _ds(inst, wait) if wait is not None else None
        share = (waiting.sum if waiting else 0.0) / total
        return ActivityStats(name, inst, cases, rework, None, waiting, share)

    activities = (
        act(a, 1203, 1203, 0, None),
        act(b, 1200, 1200, 0, 2.5 * HOUR),
        act(c, 790, 700, 60, 1.5 * DAY),
        act(d, 1191, 1188, 3, 5.0 * HOUR),
        act(x, 20, 20, 0, 3 * DAY),
        act(z, 1152, 1152, 0, 20 * 60.0),
    )
    counts = (210, 380, 250, 140, 90, 60, 35, 18, 10, 6, 3, 1)
    width = 0.5 * DAY
    hist = Histogram(tuple(i * width for i in range(len(counts) + 1)), counts)
    return AnalysisResult(
        log=LogSummary(
            events=6556,
            activity_instances=6556,
            cases=1203,
            activities=6,
            lifecycle="atomic",
            first=datetime(2024, 3, 1, 8, 0, tzinfo=UTC),
            last=datetime(2024, 6, 30, 17, 30, tzinfo=UTC),
            rejected_rows=7,
        ),
        dfg=dfg,
        start_activities={a: 1203},
        end_activities={z: 1152, d: 39, c: 12},
        activities=activities,
        case_duration=CaseDurationStats(
            DurationStats(1203, 1.6 * DAY, 1.1 * DAY, 600.0, 6 * DAY, 1203 * 1.6 * DAY, DAY),
            3.4 * DAY,
        ),
        case_duration_histogram=hist,
        variants=VariantSummary(
            count=14,
            top=(
                Variant((a, b, d, z), 470, 470 / 1203, 0.4 * DAY, 0.3 * DAY),
                Variant((a, b, c, d, z), 600, 600 / 1203, 2.1 * DAY, 1.8 * DAY),
                Variant((a, b, c, c, d, z), 80, 80 / 1203, 3.3 * DAY, 3.0 * DAY),
                Variant((a, b, x, d, z), 18, 18 / 1203, 3.1 * DAY, 3.0 * DAY),
            ),
        ),
        rework_cases={c: 60, d: 3},
        bottlenecks=(
            Bottleneck("activity", c, 790 * 1.5 * DAY, 790 * 1.5 * DAY / total, 1.5 * DAY),
            Bottleneck("transition", f"{b} → {c}", 700 * 1.6 * DAY, 0.38, 1.6 * DAY),
            Bottleneck("activity", d, 1191 * 5 * HOUR, 0.08, 5 * HOUR),
            Bottleneck("transition", f"{c} → {d}", 690 * 6 * HOUR, 0.06, 6 * HOUR),
        ),
        source="complaints<2024>.csv",
    )


def large_result(n_activities: int = 40, n_edges: int = 400) -> AnalysisResult:
    """A bpic2012-sized DFG (deterministic pseudo-random frequencies and durations)."""
    names = [f"活动 {i:02d} step" if i % 3 else f"Activity {i:02d}" for i in range(n_activities)]
    # distinct pairs: forward steps of growing length plus a few self-loops
    pairs = [
        (i % n_activities, (i % n_activities + 1 + i // n_activities) % n_activities)
        for i in range(n_edges - 3)
    ]
    pairs += [(2, 2), (7, 7), (11, 11)]
    dfg = tuple(
        DfgEdge(names[s], names[t], 1 + (i * 7919) % 5000, _ds(10, (1 + i % 97) * 600.0))
        for i, (s, t) in enumerate(pairs)
    )
    acts = tuple(
        ActivityStats(name, 1000 + i * 10, 900, i % 4, None, _ds(900, (i + 1) * 900.0), 0.02)
        for i, name in enumerate(names)
    )
    base = sample_result()
    return AnalysisResult(
        log=base.log,
        dfg=dfg,
        start_activities={names[0]: 5000, names[1]: 10},
        end_activities={names[-1]: 4000, names[-2]: 1010},
        activities=acts,
        case_duration=base.case_duration,
        case_duration_histogram=base.case_duration_histogram,
        variants=base.variants,
        rework_cases={},
        bottlenecks=(
            Bottleneck("activity", names[5], 1e7, 0.2, 5000.0),
            Bottleneck("transition", f"{dfg[3].source} → {dfg[3].target}", 9e6, 0.1, 4000.0),
        ),
        source="large.xes",
    )


def empty_result() -> AnalysisResult:
    return AnalysisResult(
        log=LogSummary(0, 0, 0, 0, "atomic", None, None, 0),
        dfg=(),
        start_activities={},
        end_activities={},
        activities=(),
        case_duration=None,
        case_duration_histogram=Histogram((), ()),
        variants=VariantSummary(0, ()),
        rework_cases={},
        bottlenecks=(),
    )


def _payload(page: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="opslens-data">(.*?)</script>', page, re.S
    )
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match is not None, section_id
    return match.group(0)


@pytest.fixture(scope="module", params=["en", "zh"])
def page(request: pytest.FixtureRequest) -> str:
    return render_html(sample_result(), lang=request.param)


def test_document_shape(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in page
    assert page.count("<script") == 3  # data, dagre, map script
    assert "dagre" in page


def test_no_network_references(page: str) -> None:
    urls = set(re.findall(r"https?://[^\s\"'<>)]*", page))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace name in the map script
    assert not re.search(
        r"""\b(?:src|href|action|poster)\s*=\s*["']?\s*(?:[a-z]+:)?//""", page, re.I
    )
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link\b", page, re.I)
    assert "@import" not in page
    assert "url(" not in page
    assert "sourceMappingURL" not in page
    assert "@font-face" not in page


def test_hostile_names_are_escaped(page: str) -> None:
    assert HOSTILE not in page
    assert "<script>alert" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;Q&#x27;"
    assert escaped in _section(page, "activities")
    assert escaped in _section(page, "transitions")
    assert escaped in _section(page, "variants")
    # the data block carries the exact string, with no markup-significant characters in it
    block = re.search(r'id="opslens-data">(.*?)</script>', page, re.S)
    assert block is not None
    assert "<" not in block.group(1) and ">" not in block.group(1) and "&" not in block.group(1)
    names = [a["name"] for a in _payload(page)["activities"]]
    assert HOSTILE in names


def test_title_and_source_are_escaped() -> None:
    out = render_html(sample_result(), title="<b>Q1 & Q2</b>")
    assert "<title>&lt;b&gt;Q1 &amp; Q2&lt;/b&gt;</title>" in out
    assert "complaints&lt;2024&gt;.csv" in out
    assert "<b>Q1" not in out


def test_every_activity_is_listed(page: str) -> None:
    table = _section(page, "activities")
    for name in ACTIVITY_NAMES:
        assert html.escape(name, quote=True) in table
    payload = _payload(page)
    assert {a["name"] for a in payload["activities"]} == set(ACTIVITY_NAMES)
    assert len(payload["edges"]) == len(sample_result().dfg)


def test_labels_per_language() -> None:
    en = render_html(sample_result(), lang="en")
    zh = render_html(sample_result(), lang="zh")
    for label in (
        "Bottlenecks",
        "Process map",
        "Frequency",
        "Duration",
        "Activities",
        "Case duration distribution",
        "Variants",
        "Start activities",
    ):
        assert label in en
        assert label not in zh
    for label in ("瓶颈", "活动", "流程图", "频次", "耗时", "案例时长分布", "变体", "开始活动"):
        assert label in zh
    assert '<html lang="en">' in en
    assert '<html lang="zh-CN">' in zh
    assert "1.6 d" in en and "1.6 天" in zh
    assert _payload(zh)["units"] == ["秒", "分钟", "小时", "天"]
    assert "Noto Sans CJK SC" in zh and "Microsoft YaHei" in zh


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="language"):
        render_html(sample_result(), lang="fr")  # type: ignore[arg-type]


def test_first_and_last_event_in_the_logs_zone() -> None:
    """08:00 UTC is 16:00 in Shanghai; New York (daylight saving) gets each day's offset."""
    shanghai = render_html(sample_result(), zone="Asia/Shanghai")
    assert "2024-03-01 16:00:00 +08:00 Asia/Shanghai" in shanghai
    assert "2024-07-01 01:30:00 +08:00 Asia/Shanghai" in shanghai  # the next day there
    new_york = render_html(sample_result(), zone="America/New_York")
    assert "2024-03-01 03:00:00 -05:00 America/New_York" in new_york
    assert "2024-06-30 13:30:00 -04:00 America/New_York" in new_york
    assert "2024-03-01 08:00:00 UTC" in render_html(sample_result())
    assert "2024-03-01 08:00:00 UTC" in render_html(sample_result(), zone="UTC")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        render_html(sample_result(), zone="Mars/Olympus")


def test_histogram_has_one_bar_per_bin(page: str) -> None:
    hist = _section(page, "histogram")
    bins = len(sample_result().case_duration_histogram.counts)
    assert hist.count('<rect class="bar"') == bins
    for marker in ("marker-mean", "marker-median", "marker-p90"):
        assert marker in hist
    assert re.search(r">\s*3 (d|天)\s*<", hist)  # humanised axis ticks


def test_bottlenecks_first_and_heaviest_marked(page: str) -> None:
    main = page[page.index("<main>") :]
    assert main.index('id="bottlenecks"') < main.index('id="process-map"')
    table = _section(page, "bottlenecks")
    assert table.count('class="badge hot"') == 2  # heaviest activity and heaviest transition
    payload = _payload(page)
    names = [a["name"] for a in payload["activities"]]
    assert names[payload["bottleneck"]["node"]] == "技术处理"
    s, t = payload["bottleneck"]["edge"]
    assert (names[s], names[t]) == ("投诉分级", "技术处理")


def test_numbers_are_humanised(page: str) -> None:
    assert "6,556" in page  # events, thousands separator
    assert "41.0%" in page  # share of the heaviest bottleneck
    variants = _section(page, "variants")
    assert "49.9%" in variants


def test_transitions_table_is_capped() -> None:
    out = render_html(large_result(), lang="en")
    assert _section(out, "transitions").count("<tr") == TOP_EDGES + 1


def test_large_report_stays_small() -> None:
    out = render_html(large_result(40, 400))
    assert len(out.encode("utf-8")) < 1_500_000
    assert len(_payload(out)["edges"]) == 400


def test_empty_result_renders() -> None:
    for lang in ("en", "zh"):
        out = render_html(empty_result(), lang=lang)
        assert out.count('<rect class="bar"') == 0
        assert ("No data." if lang == "en" else "无数据。") in out
        assert _payload(out)["edges"] == []


def test_non_finite_figures_do_not_break_rendering() -> None:
    base = sample_result()
    nan = float("nan")
    weird = replace(
        base,
        dfg=(DfgEdge("客服记录", "投诉分级", 3, DurationStats(3, nan, nan, nan, nan, nan, None)),),
        bottlenecks=(Bottleneck("activity", "客服记录", nan, nan, float("inf")),),
        activities=(ActivityStats("客服记录", 3, 3, 0, None, None, nan),),
    )
    out = render_html(weird)
    rendered = out[: out.index("<script")]  # the markup, without the inlined scripts
    block = re.search(r'id="opslens-data">(.*?)</script>', out, re.S)
    assert block is not None
    for text in (rendered, block.group(1)):
        assert "NaN" not in text and "Infinity" not in text and "nan" not in text
    assert _payload(out)["edges"][0]["mean"] is None


@pytest.mark.parametrize(
    ("seconds", "lang", "text"),
    [
        (0.0, "en", "0 s"),
        (0.4, "en", "0.4 s"),
        (0.04, "en", "<0.1 s"),
        (35.0, "en", "35 s"),
        (59.97, "en", "1.0 min"),
        (35 * 60.0, "en", "35 min"),
        (4.1 * 3600, "en", "4.1 h"),
        (2.3 * 86400, "en", "2.3 d"),
        (400 * 86400, "en", "400 d"),
        (2.3 * 86400, "zh", "2.3 天"),
        (35 * 60.0, "zh", "35 分钟"),
        (-90.0, "en", "-1.5 min"),
        (None, "en", "–"),
        (float("nan"), "en", "–"),
    ],
)
def test_format_duration(seconds: float | None, lang: Lang, text: str) -> None:
    assert format_duration(seconds, lang) == text


def test_format_count_and_share() -> None:
    assert format_count(1234567) == "1,234,567"
    assert format_count(None) == "–"
    assert format_share(0.1234) == "12.3%"
    assert format_share(0.0001) == "<0.1%"
    assert format_share(0.0) == "0.0%"
    assert format_share(float("nan")) == "–"


def test_vendored_assets_and_licenses() -> None:
    vendor = Path(report_pkg.__file__).parent / "assets" / "vendor"
    js = (vendor / "dagre.min.js").read_text("utf-8")
    assert "sourceMappingURL" not in js
    assert "</script" not in js.lower()
    for lic in ("dagre.LICENSE.txt", "graphlib.LICENSE.txt"):
        text = (vendor / lic).read_text("utf-8")
        assert "Permission is hereby granted, free of charge" in text  # the MIT license
    assert "@dagrejs/dagre" in (vendor / "VERSIONS.txt").read_text("utf-8")
