"""Unit tests of the self-contained HTML report (no browser)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

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
from opslens.core.report.html import format_count, format_duration, format_share

HOUR = 3600.0
DAY = 86400.0
HOSTILE = '<script>alert("x")</script> & \'Q\''

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
