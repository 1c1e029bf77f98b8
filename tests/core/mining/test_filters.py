"""Filters: each one's semantics on a small hand-made log, identical on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pytest

from opslens.core.errors import ConfigError, InsufficientDataError
from opslens.core.eventlog import ColumnMapping, EventLog, event_log_from_arrow
from opslens.core.mining import (
    ActivityFilter,
    AttributeFilter,
    CaseDurationFilter,
    TimeRangeFilter,
    VariantFilter,
    analyze,
)

from .reference import comparable, differences

ENGINES = ["fast", "portable"]


def ts(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, tzinfo=UTC)


@pytest.fixture
def log() -> EventLog:
    rows = [
        # case, activity, time, department
        ("c1", "客服记录", ts(1, 9), "客服部"),
        ("c1", "技术处理", ts(1, 12), "技术部"),
        ("c1", "反馈客户", ts(2, 9), "客服部"),  # c1: 1 Jun 09:00 – 2 Jun 09:00 (24 h)
        ("c2", "客服记录", ts(3, 9), "客服部"),
        ("c2", "反馈客户", ts(3, 10), "客服部"),  # c2: 3 Jun, 1 h
        ("c3", "客服记录", ts(5, 9), "客服部"),
        ("c3", "技术处理", ts(6, 9), "技术部"),
        ("c3", "技术处理", ts(8, 9), "技术部"),
        ("c3", "反馈客户", ts(9, 9), "客服部"),  # c3: 5–9 Jun (96 h), rework
    ]
    table = pa.table(
        {
            "case": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "time": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
            "部门": [r[3] for r in rows],
        }
    )
    return event_log_from_arrow(table, ColumnMapping(case="case", activity="activity", end="time"))


def cases(log: EventLog, engine: str, *filters: object) -> int:
    return analyze(log, filters=filters, engine=engine).log.cases  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_time_range_modes(log: EventLog, engine: str) -> None:
    assert cases(log, engine, TimeRangeFilter(ts(2), ts(4))) == 2  # c1 ends 2 Jun, c2
    assert cases(log, engine, TimeRangeFilter(ts(2), ts(4), mode="contained")) == 1  # c2
    assert cases(log, engine, TimeRangeFilter(ts(1), ts(4), mode="started")) == 2  # c1, c2
    assert cases(log, engine, TimeRangeFilter(ts(5), None)) == 1
    trimmed = analyze(log, filters=[TimeRangeFilter(ts(6), ts(8, 23), mode="trim")], engine=engine)
    assert trimmed.log.activity_instances == 2  # only c3's two 技术处理 events
    assert trimmed.rework_cases == {"技术处理": 1}


def test_time_range_needs_zones_and_order() -> None:
    with pytest.raises(ConfigError, match="time zone"):
        TimeRangeFilter(datetime(2024, 6, 1), None)
    with pytest.raises(ConfigError, match="starts after it ends"):
        TimeRangeFilter(ts(5), ts(1))


@pytest.mark.parametrize("engine", ENGINES)
def test_variant_filter_keeps_or_drops(log: EventLog, engine: str) -> None:
    standard = ("客服记录", "技术处理", "反馈客户")
    kept = analyze(log, filters=[VariantFilter([standard])], engine=engine)
    assert kept.log.cases == 1
    assert kept.variants.top[0].activities == standard
    assert cases(log, engine, VariantFilter([standard], keep=False)) == 2
    assert cases(log, engine, VariantFilter([standard, ("客服记录", "反馈客户")])) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_activity_present_absent(log: EventLog, engine: str) -> None:
    assert cases(log, engine, ActivityFilter("技术处理")) == 2
    assert cases(log, engine, ActivityFilter("技术处理", present=False)) == 1
    with pytest.raises(InsufficientDataError):
        analyze(log, filters=[ActivityFilter("不存在")], engine=engine)  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", ENGINES)
def test_attribute_filter_case_and_event_level(log: EventLog, engine: str) -> None:
    assert cases(log, engine, AttributeFilter("部门", ["技术部"])) == 2
    assert cases(log, engine, AttributeFilter("部门", ["技术部"], keep=False)) == 1
    events_only = analyze(
        log, filters=[AttributeFilter("部门", ["客服部"], level="event")], engine=engine
    )
    assert events_only.log.activity_instances == 6
    assert {a.activity for a in events_only.activities} == {"客服记录", "反馈客户"}


def test_attribute_filter_unknown_column(log: EventLog) -> None:
    with pytest.raises(ConfigError, match="no column 'region'"):
        analyze(log, filters=[AttributeFilter("region", ["x"])])


@pytest.mark.parametrize("engine", ENGINES)
def test_case_duration_range(log: EventLog, engine: str) -> None:
    hour = 3600.0
    assert cases(log, engine, CaseDurationFilter(min_s=2 * hour)) == 2
    assert cases(log, engine, CaseDurationFilter(max_s=24 * hour)) == 2  # bounds are inclusive
    assert cases(log, engine, CaseDurationFilter(min_s=24 * hour, max_s=24 * hour)) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_filters_compose_in_order(log: EventLog, engine: str) -> None:
    result = analyze(
        log,
        filters=[ActivityFilter("技术处理"), CaseDurationFilter(min_s=48 * 3600)],
        engine=engine,  # type: ignore[arg-type]
    )
    assert result.log.cases == 1
    assert result.rework_cases == {"技术处理": 1}
    assert result.case_duration is not None and result.case_duration.stats.max == 96 * 3600


def test_filtered_figures_equal_on_both_engines(log: EventLog) -> None:
    f = [AttributeFilter("部门", ["技术部"]), TimeRangeFilter(ts(1), ts(7))]
    fast = comparable(analyze(log, filters=f).to_dict())
    portable = comparable(analyze(log, filters=f, engine="portable").to_dict())
    assert differences(fast, portable) == []
    assert fast["log"]["cases"] == 2
