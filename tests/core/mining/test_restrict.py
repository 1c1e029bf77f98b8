"""restrict_log: a log narrowed by filters once gives the figures of analyze with the filters."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opslens.core.errors import InsufficientDataError
from opslens.core.eventlog import read_event_log
from opslens.core.mining import (
    ActivityFilter,
    AttributeFilter,
    CaseDurationFilter,
    TimeRangeFilter,
    analyze,
    restrict_log,
)

SAMPLE = Path(__file__).resolve().parents[3] / "src" / "opslens" / "samples" / "complaints.csv"
ZONE = ZoneInfo("Asia/Shanghai")

VIEWS = [
    [TimeRangeFilter(datetime(2024, 5, 1, tzinfo=ZONE), None, mode="started")],
    [AttributeFilter("部门", ["技术部"], level="event")],
    [CaseDurationFilter(2 * 86400, None), ActivityFilter("投诉分级")],
    [TimeRangeFilter(None, datetime(2024, 6, 1, tzinfo=ZONE), mode="trim")],
]


@pytest.mark.parametrize("filters", VIEWS)
def test_a_restricted_log_has_the_figures_of_the_filtered_analysis(filters: list) -> None:
    with read_event_log(SAMPLE, timezone="Asia/Shanghai") as log:
        direct = json.loads(analyze(log, filters=filters).to_json())
        narrowed = restrict_log(log, filters)
        assert narrowed.relation != "events" and narrowed.con is log.con
        assert narrowed.activity_instances < log.activity_instances
        assert json.loads(analyze(narrowed).to_json()) == direct
        # a further filter on the narrowed log is the two filters on the whole log
        more = [ActivityFilter("技术处理")]
        again = json.loads(analyze(narrowed, filters=more).to_json())
        assert again == json.loads(analyze(log, filters=[*filters, *more]).to_json())
        assert json.loads(analyze(log).to_json())["log"]["cases"] == 300  # the log is untouched


def test_no_filter_is_the_log_itself_and_nothing_left_is_an_error() -> None:
    with read_event_log(SAMPLE, timezone="Asia/Shanghai") as log:
        assert restrict_log(log, []) is log
        with pytest.raises(InsufficientDataError):
            restrict_log(log, [ActivityFilter("不存在的环节")])
