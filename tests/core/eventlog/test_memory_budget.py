"""A CSV export larger than the log's memory budget is read completely: DuckDB spills the parsed
table to the log's work directory instead of failing or holding the file in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from opslens.core.errors import ConfigError
from opslens.core.eventlog import read_event_log
from opslens.samples.generate import write_complaints


def test_a_file_larger_than_the_budget_spills_and_reads_completely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSLENS_MEMORY_LIMIT", "160MB")
    path = tmp_path / "工单.csv"
    write_complaints(path, cases=300_000, seed=5)
    with path.open(encoding="utf-8-sig") as fh:
        rows = sum(1 for _ in fh) - 1
    assert path.stat().st_size > 120 * 2**20
    with read_event_log(path, timezone="Asia/Shanghai") as log:
        assert log.events == rows and log.rejected_rows == 0
        limit = log.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        assert limit.startswith("152")  # 160 MB = 152.5 MiB
        spill = log._work_dir / "spill"  # type: ignore[operator]
        assert sum(f.stat().st_size for f in spill.rglob("*") if f.is_file()) > 0
        cases = log.con.execute("SELECT count(DISTINCT case_id) FROM events").fetchall()[0][0]
        assert cases == 300_000


def test_too_small_a_budget_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSLENS_MEMORY_LIMIT", "40MB")
    path = tmp_path / "工单.csv"
    write_complaints(path, cases=100_000, seed=5)
    with pytest.raises(ConfigError, match=r"not enough memory .* OPSLENS_MEMORY_LIMIT"):
        read_event_log(path, timezone="Asia/Shanghai")


def test_in_memory_copy_gives_the_same_figures_and_closes_with_its_source(tmp_path: Path) -> None:
    from opslens.core.mining import TimeRangeFilter, analyze, restrict_log

    path = tmp_path / "工单.csv"
    write_complaints(path, cases=2_000, seed=11)
    with read_event_log(path, timezone="Asia/Shanghai") as log:
        expected = analyze(log).to_json()
        since = log.con.execute('SELECT min("end") FROM events').fetchall()[0][0]
        filtered = analyze(restrict_log(log, [TimeRangeFilter(since, None)])).to_json()
    log = read_event_log(path, timezone="Asia/Shanghai")
    hot = log.in_memory()
    assert hot.relation != "events" and hot.con is log.con
    tables = hot.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    assert (hot.relation,) in tables
    assert analyze(hot).to_json() == expected
    assert analyze(restrict_log(hot, [TimeRangeFilter(since, None)])).to_json() == filtered
    work = log._work_dir
    assert work is not None and work.exists()
    hot.close()
    assert not work.exists()
