"""The generated complaint-handling log of the dataset demo (opslens.samples.generate)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from opslens.core.eventlog import EventLog, event_log_from_arrow, read_event_log
from opslens.core.mining import (
    AnalysisResult,
    AttributeFilter,
    Filter,
    TimeRangeFilter,
    analyze,
)
from opslens.samples.generate import (
    ACTIVITIES,
    COLUMNS,
    SLA_FEEDBACK_HOURS,
    TIMEZONE,
    generate_complaints,
    write_complaints,
)

DAY = 86400.0
SHANGHAI = timezone(timedelta(hours=8))
PILOT = datetime(2024, 7, 1, tzinfo=SHANGHAI)
BEFORE: list[Filter] = [TimeRangeFilter(end=PILOT - timedelta(seconds=1), mode="started")]
IN_PILOT: list[Filter] = [TimeRangeFilter(start=PILOT, mode="started")]
URGENT = AttributeFilter("紧急程度", ["紧急"])


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return generate_complaints()


@pytest.fixture(scope="module")
def log(table: pa.Table) -> Iterator[EventLog]:
    with event_log_from_arrow(table, timezone=TIMEZONE, source="generated") as log:
        yield log


@pytest.fixture(scope="module")
def before(log: EventLog) -> AnalysisResult:
    return analyze(log, filters=BEFORE)


@pytest.fixture(scope="module")
def pilot(log: EventLog) -> AnalysisResult:
    return analyze(log, filters=IN_PILOT)


def _activity_mean_days(result: AnalysisResult) -> dict[str, float]:
    """Mean elapsed days per instance (waiting + service), as the bottleneck list reports it."""
    return {b.name: b.mean_s / DAY for b in result.bottlenecks if b.kind == "activity"}


def _seconds(table: pa.Table, column: str) -> np.ndarray:
    return table[column].to_numpy().astype("datetime64[s]").astype(np.int64)


def test_the_same_seed_gives_the_same_table_and_another_seed_another() -> None:
    a = generate_complaints(cases=800, seed=3)
    assert a.equals(generate_complaints(cases=800, seed=3))
    assert not a.equals(generate_complaints(cases=800, seed=4))


def test_shape_columns_and_values(table: pa.Table) -> None:
    assert tuple(table.column_names) == COLUMNS
    assert table.schema.field("开始时间").type == pa.timestamp("s")  # naive wall time
    assert table.schema.field("结束时间").type == pa.timestamp("s")
    ids = np.array(table["工单号"].to_pylist())
    assert len(set(ids)) == 5000
    assert all(re.fullmatch(r"TS24(0[3-8])-\d{5}", i) for i in ids[::97])
    acts = np.array(table["环节"].to_pylist())
    assert set(acts) == set(ACTIVITIES)
    assert (acts == "客服记录").sum() == (acts == "反馈客户").sum() == 5000
    regraded = (acts == "投诉分级").sum() - 5000
    redone = (acts == "技术处理").sum() - 5000
    assert 0.13 < regraded / 5000 < 0.17 and 0.065 < redone / 5000 < 0.095
    months = set(table["开始时间"].to_numpy().astype("datetime64[M]").astype(str))
    assert {"2024-03", "2024-08"} <= months and all("2024-03" <= m <= "2024-09" for m in months)
    first = acts == "客服记录"
    arrival = table["开始时间"].to_numpy()[first].astype("datetime64[m]")
    assert str(arrival.min().astype("datetime64[D]")) >= "2024-03-01"
    assert str(arrival.max().astype("datetime64[D]")) <= "2024-08-31"
    minutes = (arrival - arrival.astype("datetime64[D]")).astype(int)
    assert minutes.min() >= 8 * 60 + 30 and minutes.max() <= 20 * 60 + 30  # working hours
    # departments per step
    dept = np.array(table["部门"].to_pylist())
    assert set(dept[(acts == "客服记录") | (acts == "反馈客户")]) == {"客服部"}
    assert set(dept[acts == "投诉分级"]) == {"客服部", "质检部"}
    assert set(dept[acts == "技术处理"]) == {"技术部"}
    urgent = np.array(table["紧急程度"].to_pylist())[first]
    assert set(urgent) == {"紧急", "普通"} and 0.17 < (urgent == "紧急").mean() < 0.23
    assert set(table["渠道"].to_pylist()) == {"电话", "在线", "邮件"}
    assert 2 <= len(set(table["产品线"].to_pylist())) <= 3
    # one engineer carries clearly more of the technical work than any other
    engineers, counts = np.unique(
        np.array(table["处理人"].to_pylist())[acts == "技术处理"], return_counts=True
    )
    assert 4 <= engineers.size <= 8
    top, second = np.sort(counts)[::-1][:2]
    assert top > 1.6 * second


def test_steps_run_in_order_without_overlap(table: pa.Table) -> None:
    start, end = _seconds(table, "开始时间"), _seconds(table, "结束时间")
    ids = table["工单号"].to_numpy(zero_copy_only=False)
    assert (start <= end).all()
    same_case = ids[1:] == ids[:-1]
    assert (start[1:][same_case] >= end[:-1][same_case]).all()
    assert (start % 60 == 0).all() and (end % 60 == 0).all()  # to the minute, as exported


def test_opslens_reads_it_without_rejected_rows(table: pa.Table, log: EventLog) -> None:
    assert log.rejected_rows == 0 and log.open_instances == 0
    assert log.events == table.num_rows and log.lifecycle == "interval"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_written_files_read_back_the_same(tmp_path: Path, suffix: str) -> None:
    path = write_complaints(tmp_path / f"投诉工单{suffix}", cases=300, seed=11)
    table = generate_complaints(cases=300, seed=11)
    with read_event_log(path, timezone=TIMEZONE) as from_file:
        assert from_file.rejected_rows == 0 and from_file.events == table.num_rows
        on_disk = analyze(from_file).to_dict()
    with event_log_from_arrow(table, timezone=TIMEZONE) as in_memory:
        direct = analyze(in_memory).to_dict()
    for key in ("log", "activities", "case_duration_s", "variants", "bottlenecks"):
        if key == "log":
            on_disk[key].pop("events"), direct[key].pop("events")
        assert on_disk[key] == direct[key], key


def test_csv_looks_like_a_chinese_excel_export(tmp_path: Path) -> None:
    path = write_complaints(tmp_path / "complaints.csv", cases=50)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert re.fullmatch(
        r"TS2403-00001,客服记录,2024-03-\d\d \d\d:\d\d:00,2024-03-\d\d \d\d:\d\d:00,"
        r"[^,\"]+,客服部,(紧急|普通),(电话|在线|邮件),[^,\"]+",
        lines[1],
    ), lines[1]
    with pytest.raises(ValueError, match="unknown format"):
        write_complaints(tmp_path / "complaints.json", cases=5)


def test_technical_step_is_the_bottleneck_before_the_pilot(
    log: EventLog, before: AnalysisResult
) -> None:
    top = before.bottlenecks[0]
    assert (top.kind, top.name) == ("activity", "技术处理")
    assert 0.58 <= top.share_of_time <= 0.80
    means = _activity_mean_days(before)  # the seed's 0.2 / 0.1 / 1.2 / 0.5 days
    for step, target in {
        "客服记录": 0.2,
        "投诉分级": 0.1,
        "技术处理": 1.2,
        "反馈客户": 0.5,
    }.items():
        assert means[step] == pytest.approx(target, rel=0.08), step
    whole = analyze(log)
    assert (whole.bottlenecks[0].kind, whole.bottlenecks[0].name) == ("activity", "技术处理")


def test_the_pilot_halves_the_technical_step_and_shortens_cases(
    log: EventLog, before: AnalysisResult, pilot: AnalysisResult
) -> None:
    assert before.log.cases + pilot.log.cases == 5000 and pilot.log.cases > 1200
    tech_before = _activity_mean_days(before)["技术处理"]
    tech_pilot = _activity_mean_days(pilot)["技术处理"]
    assert tech_pilot < 0.6 * tech_before
    assert before.case_duration is not None and pilot.case_duration is not None
    median_before = before.case_duration.stats.median / DAY
    median_pilot = pilot.case_duration.stats.median / DAY
    assert 1.6 < median_before < 2.3 and median_pilot < 0.75 * median_before
    # 紧急 cases: ~1.5 d before, ~0.8 d in the pilot (SPEC: 1.5天降至0.8天)
    urgent_before = analyze(log, filters=[*BEFORE, URGENT]).case_duration
    urgent_pilot = analyze(log, filters=[*IN_PILOT, URGENT]).case_duration
    assert urgent_before is not None and urgent_pilot is not None
    assert urgent_before.stats.mean / DAY == pytest.approx(1.5, abs=0.15)
    assert urgent_pilot.stats.mean / DAY == pytest.approx(0.8, abs=0.12)
    # the other steps keep their times
    for step in ("客服记录", "投诉分级", "反馈客户"):
        assert _activity_mean_days(pilot)[step] == pytest.approx(
            _activity_mean_days(before)[step], rel=0.1
        )


def test_feedback_misses_its_24_hour_sla_for_about_30_percent_before_the_pilot(
    table: pa.Table,
) -> None:
    acts = np.array(table["环节"].to_pylist())
    start, end = _seconds(table, "开始时间"), _seconds(table, "结束时间")
    feedback = np.flatnonzero(acts == "反馈客户")
    assert (acts[feedback - 1] == "技术处理").all()
    # the SLA runs from the end of 技术处理 to the end of 反馈客户
    hours = (end[feedback] - end[feedback - 1]) / 3600.0
    arrival = start[acts == "客服记录"]  # one per case, in the same case order
    pilot_from = np.datetime64("2024-07-01T00:00", "s").astype(np.int64)
    early = arrival < pilot_from
    miss_rate = float((hours[early] > SLA_FEEDBACK_HOURS).mean())
    assert 0.25 <= miss_rate <= 0.35


def test_no_pilot_and_other_periods() -> None:
    t = generate_complaints(cases=400, start=date(2025, 1, 1), months=2, pilot_start=None)
    months = set(t["开始时间"].to_numpy().astype("datetime64[M]").astype(str))
    assert {"2025-01", "2025-02"} <= months
    assert t["工单号"][0].as_py() == "TS2501-00001"
    with pytest.raises(ValueError, match="at least 1"):
        generate_complaints(cases=0)


def test_5000_cases_take_well_under_two_seconds() -> None:
    generate_complaints(cases=50)  # warm the kernels up
    started = time.perf_counter()
    generate_complaints(cases=5000, seed=1)
    assert time.perf_counter() - started < 2.0


@pytest.mark.slow
def test_a_million_cases_for_the_benchmarks() -> None:
    started = time.perf_counter()
    t = generate_complaints(cases=1_000_000)
    seconds = time.perf_counter() - started
    assert 4_000_000 < t.num_rows < 4_500_000
    # more than 99,999 cases a month: the sequence number widens instead of repeating
    assert re.fullmatch(r"TS2408-\d{6}", t["工单号"][t.num_rows - 1].as_py())
    assert seconds < 30
