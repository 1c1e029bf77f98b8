"""Swimlanes: each activity's dominant resource or department, and the columns that make lanes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from opslens.core.errors import MissingColumnError
from opslens.core.eventlog import EventLog, event_log_from_arrow, read_event_log
from opslens.core.mining import AttributeFilter, analyze, restrict_log
from opslens.core.mining.lanes import (
    NO_VALUE,
    ActivityLane,
    ActivityLanes,
    LaneShare,
    activity_lanes,
    lane_candidates,
)
from opslens.samples.generate import write_complaints
from tests.conftest import eventlog


@pytest.fixture(scope="module")
def complaints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventLog]:
    path = write_complaints(tmp_path_factory.mktemp("lanes") / "complaints.csv", cases=800, seed=5)
    with read_event_log(path, timezone="Asia/Shanghai") as log:
        yield log


def _table(rows: list[tuple[str, str, str, str | None, str | None, str | None]]) -> pa.Table:
    case, act, end, res, dept, level = zip(*rows, strict=True)
    return pa.table(
        {
            "case": list(case),
            "activity": list(act),
            "time": list(end),
            "resource": list(res),
            "部门": list(dept),
            "级别": list(level),
        }
    )


def _counts(log: EventLog, column: str) -> dict[str, Counter[str]]:
    """The oracle: plain Python counting over the canonical rows."""
    out: dict[str, Counter[str]] = {}
    for row in log.to_arrow().to_pylist():
        value = row[column]
        value = NO_VALUE if value is None or str(value).strip() == "" else str(value)
        out.setdefault(row["activity"], Counter())[value] += 1
    return out


def test_departments_of_the_complaint_process(complaints: EventLog) -> None:
    lanes = activity_lanes(complaints, "部门")
    assert lanes.column == "部门"
    assert [a.activity for a in lanes.activities] == sorted(complaints.activity_names)
    assert lanes.lane_of("客服记录") == "客服部"
    assert lanes.lane_of("反馈客户") == "客服部"
    assert lanes["技术处理"].lane == "技术部" and lanes["技术处理"].share == 1.0
    grading = lanes["投诉分级"]  # team leads grade most, 质检部 a quarter of first gradings
    assert grading.lane == "客服部" and 0.6 < grading.share < 0.75
    assert [t.value for t in grading.top] == ["客服部", "质检部"]
    assert lanes.values == ("客服部", "技术部")
    oracle = _counts(complaints, "部门")
    result = analyze(complaints)
    instances = {a.activity: a.instances for a in result.activities}
    for lane in lanes.activities:
        assert lane.events == instances[lane.activity] == sum(oracle[lane.activity].values())
        expected = sorted(oracle[lane.activity].items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert [(t.value, t.events) for t in lane.top] == expected
        assert all(t.share == t.events / lane.events for t in lane.top)


def test_resource_by_its_canonical_or_source_name(complaints: EventLog) -> None:
    by_role = activity_lanes(complaints, "resource")
    assert activity_lanes(complaints, "处理人") == by_role
    assert by_role.column == "resource"
    oracle = _counts(complaints, "resource")
    for lane in by_role.activities:
        most = max(oracle[lane.activity].values())
        first = min(v for v, n in oracle[lane.activity].items() if n == most)  # ties: by value
        assert (lane.lane, lane.top[0].events) == (first, most)
    assert by_role.lane_of("技术处理") == "黄俊"  # the overloaded engineer
    assert by_role.lane_of("no such activity") == NO_VALUE


def test_missing_and_blank_values_count_as_a_dash() -> None:
    rows = [
        ("c1", "A", "2024-01-01 09:00", "ann", "财务部", "x"),
        ("c1", "B", "2024-01-01 10:00", None, None, "x"),
        ("c2", "A", "2024-01-02 09:00", "ann", "财务部", "y"),
        ("c2", "B", "2024-01-02 10:00", "bob", "  ", "y"),
        ("c3", "B", "2024-01-03 10:00", "bob", "", "y"),
        ("c3", "A", "2024-01-03 11:00", None, "财务部", "y"),
    ]
    with event_log_from_arrow(_table(rows)) as log:
        dept = activity_lanes(log, "部门")
        assert dept["B"].lane == NO_VALUE and dept["B"].share == 1.0 and dept["B"].events == 3
        assert dept["A"].top == (LaneShare("财务部", 3, 1.0),)
        res = activity_lanes(log, "resource", top=1)
        assert res["B"].top == (LaneShare("bob", 2, 2 / 3),)
        assert res["A"].lane == "ann"


def test_the_dash_is_the_designed_maps_one() -> None:
    from opslens.core.processmap.bpmn import NO_LANE

    assert NO_VALUE == NO_LANE


def test_an_unknown_column_names_itself_and_the_columns() -> None:
    rows = [("c1", "A", "2024-01-01 09:00", "ann", "财务部", "x")]
    with event_log_from_arrow(_table(rows)) as log, pytest.raises(MissingColumnError) as caught:
        activity_lanes(log, "科室")
    message = str(caught.value)
    assert "'科室'" in message and "部门" in message and "resource" in message


def test_to_dict_and_back_through_json(complaints: EventLog) -> None:
    lanes = activity_lanes(complaints, "部门")
    data = json.loads(json.dumps(lanes.to_dict(), ensure_ascii=False))
    assert data["schema"] == "opslens.lanes/1"
    assert data["activities"][0]["lane"] == lanes.activities[0].lane
    again = ActivityLanes.from_dict(data)
    assert again == lanes
    assert again.lane_of("技术处理") == "技术部"
    assert ActivityLane.from_dict(lanes.activities[0].to_dict()) == lanes.activities[0]


def test_a_restricted_log_counts_only_its_events(complaints: EventLog) -> None:
    narrowed = restrict_log(complaints, [AttributeFilter("部门", ["质检部"], level="event")])
    lanes = activity_lanes(narrowed, "部门")
    assert [a.activity for a in lanes.activities] == ["投诉分级"]
    assert lanes["投诉分级"].lane == "质检部" and lanes["投诉分级"].share == 1.0


def test_candidates_of_the_complaint_log(complaints: EventLog) -> None:
    # 紧急程度 (80 % 普通 on every step), 渠道 and 产品线 are case attributes, not lanes
    assert lane_candidates(complaints) == ["resource", "部门"]


def test_candidates_rules() -> None:
    acts = ["A", "B", "C"] * 30
    rows = []
    dept = {"A": "销售部", "B": "财务部", "C": "仓储部"}
    for i, act in enumerate(acts):
        case = f"c{i // 3}"
        time = f"2024-01-{1 + i // 3 % 28:02d} {9 + i % 3}:00"
        rows.append((case, act, time, None, dept[act], None))
    table = _table(rows)
    n = table.num_rows
    table = table.append_column("工号", pa.array([f"E{i}" for i in range(n)]))  # unique values
    table = table.append_column("费用", pa.array([["10", "20", "30"][i % 3] for i in range(n)]))
    table = table.append_column("等级", pa.array(["普通"] * n))  # one value
    table = table.append_column("班组", pa.array([["甲", "乙"][i % 2] for i in range(n)]))  # 50 %
    table = table.append_column(
        "审核", pa.array(["通过" if i % 3 == 2 else None for i in range(n)])
    )  # only on C: one lane besides the dash
    with event_log_from_arrow(table) as log:
        # no resource at all; 部门 is the only column that groups the activities
        assert lane_candidates(log) == ["部门"]
    rows = [(c, a, t, "ann" if a == "A" else "bob", d, None) for c, a, t, _, d, _ in rows]
    with event_log_from_arrow(_table(rows)) as log:
        assert lane_candidates(log) == ["resource", "部门"]
        assert lane_candidates(log, max_values=2) == ["resource"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("running-example.csv", ["resource"]),  # Costs is a number, not a lane
        ("receipt.xes.gz", ["resource", "org:group"]),
    ],
)
def test_candidates_of_real_logs(name: str, expected: list[str]) -> None:
    with read_event_log(eventlog(name)) as log:
        assert lane_candidates(log) == expected
        for column in expected:
            lanes = activity_lanes(log, column)
            assert {a.activity for a in lanes.activities} == set(log.activity_names)


def test_lanes_read_back_from_a_file(tmp_path: Path) -> None:
    path = write_complaints(tmp_path / "c.parquet", cases=50, seed=1)
    with read_event_log(path, timezone="Asia/Shanghai") as log:
        assert activity_lanes(log, "部门").lane_of("技术处理") == "技术部"


def test_candidates_of_a_large_log_are_judged_on_a_sample(tmp_path: Path) -> None:
    """Past ``sample`` events the columns are judged on a random sample of whole row vectors:
    the same columns as reading every event, and the sample's table is dropped afterwards."""
    path = tmp_path / "工单.csv"
    write_complaints(path, cases=30_000, seed=9)
    with read_event_log(path, timezone="Asia/Shanghai") as log:
        assert log.activity_instances > 100_000
        everything = lane_candidates(log, sample=None)
        sampled = lane_candidates(log, sample=20_000)
        temporary = log.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary")
        assert not [t for (t,) in temporary.fetchall() if t.startswith("__lane_sample")]
    assert sampled == everything == ["resource", "部门"]
