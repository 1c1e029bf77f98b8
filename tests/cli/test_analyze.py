"""``opslens analyze``: outputs, exit codes, one-line errors, filters — run as a real process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opslens.cli.main import app
from tests.conftest import eventlog

CSV = (
    "工单号,环节,开始时间,结束时间,处理人\n"
    "T1,客服记录,2024/6/2 9:00,2024/6/2 10:00,张三\n"
    "T1,技术处理,2024/6/2 11:00,2024/6/3 15:00,李四\n"
    "T1,反馈客户,2024/6/3 16:00,2024/6/3 17:00,张三\n"
    "T2,客服记录,2024/6/4 9:00,2024/6/4 9:30,张三\n"
    "T2,反馈客户,2024/6/4 10:00,2024/6/4 10:30,王五\n"
    ",技术处理,2024/6/4 11:00,2024/6/4 12:00,李四\n"
)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def opslens(*args: str) -> Run:
    """Run the CLI in-process (fast); ``test_console_script`` checks the real entry point."""
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def csv_log(tmp_path: Path) -> Path:
    path = tmp_path / "complaints.csv"
    path.write_text(CSV, encoding="gbk")
    return path


def test_json_output_follows_the_contract(csv_log: Path) -> None:
    run = opslens("analyze", str(csv_log), "--format", "json", "--tz", "Asia/Shanghai")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["schema"] == "opslens.analysis/1"
    assert data["log"]["cases"] == 2
    assert data["log"]["rejected_rows"] == 1
    assert data["log"]["lifecycle"] == "interval"
    assert data["start_activities"] == {"客服记录": 2}
    # T1: 09:00 → next day 17:00 = 32 h; T2: 1.5 h
    assert data["case_duration_s"]["max"] == 32 * 3600
    assert data["case_duration_s"]["min"] == 1.5 * 3600
    top = data["bottlenecks"][0]
    assert (top["kind"], top["name"]) == ("activity", "技术处理")
    assert top["total_s"] == 3600 + 28 * 3600  # 1 h waiting + 28 h service
    assert "row 7" in run.stderr  # the rejected row is reported, by spreadsheet row


def test_html_report_shows_times_in_the_logs_zone(csv_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    run = opslens("analyze", str(csv_log), "-f", "html", "--out", str(out), "--tz", "Asia/Tokyo")
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    assert "2024-06-02 09:00:00 +09:00 Asia/Tokyo" in html  # as written in the file
    assert "2024-06-04 10:30:00 +09:00 Asia/Tokyo" in html


def test_table_output_puts_bottlenecks_first(csv_log: Path) -> None:
    run = opslens("analyze", str(csv_log), "--tz", "Asia/Shanghai")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.index("bottlenecks") < out.index("Activities") < out.index("Variants")
    assert "技术处理" in out


def test_html_output_is_one_offline_file(csv_log: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    run = opslens("analyze", str(csv_log), "--format", "html", "--out", str(out), "--lang", "zh")
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "技术处理" in html
    assert 'src="http' not in html and 'href="http' not in html


def test_mapping_flags(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("ticket;step;when\nA;open;2024-01-01 08:00\nA;close;2024-01-01 09:00\n")
    run = opslens(
        "analyze",
        str(path),
        "-f",
        "json",
        "--case",
        "ticket",
        "--activity",
        "step",
        "--timestamp",
        "when",
        "--tz",
        "UTC",
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["dfg"][0]["duration_s"]["mean"] == 3600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "/nonexistent/log.csv"], "no such file"),
        (["analyze", "{csv}", "--case", "Nope"], "'Nope'"),
        (["analyze", "{csv}", "--tz", "Nowhere/City"], "unknown time zone"),
        (["analyze", "{csv}", "--since", "yesterday"], "--since"),
        (["analyze", "{csv}", "--where", "novalue"], "COLUMN=VALUE"),
        (["analyze", "{csv}", "--where", "部门=x"], "no column '部门'"),
        (["analyze", "{csv}", "--with-activity", "不存在"], "no events are left"),
        (["analyze", "{csv}", "--min-case-duration", "abc"], "case-duration"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(csv_log: Path, args: list[str], message: str) -> None:
    run = opslens(*[a.replace("{csv}", str(csv_log)) for a in args])
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_filters_change_the_figures(csv_log: Path) -> None:
    def cases(*extra: str) -> int:
        run = opslens("analyze", str(csv_log), "-f", "json", "--tz", "Asia/Shanghai", *extra)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)["log"]["cases"]

    assert cases("--with-activity", "技术处理") == 1
    assert cases("--without-activity", "技术处理") == 1
    assert cases("--min-case-duration", "2h") == 1
    assert cases("--max-case-duration", "2h") == 1
    assert cases("--since", "2024-06-04") == 1
    assert cases("--where", "处理人=王五") == 1


def test_version_and_help() -> None:
    assert opslens("--version").stdout.startswith("opslens ")
    helped = opslens("analyze", "--help")
    assert helped.returncode == 0
    assert "--timestamp" in helped.stdout and "--format" in helped.stdout


@pytest.mark.eventlogs
def test_real_xes_log_end_to_end() -> None:
    run = opslens("analyze", str(eventlog("repairExample.xes.gz")), "-f", "json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["log"]["lifecycle"] == "interval"
    assert data["log"]["cases"] == 1104
    assert data["log"]["events"] == 11855


def test_console_script(csv_log: Path) -> None:
    """The installed ``opslens`` command runs as its own process, with its exit code."""
    exe = shutil.which("opslens") or str(Path(sys.executable).parent / "opslens")
    ok = subprocess.run(
        [exe, "analyze", str(csv_log), "-f", "json"], capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["log"]["cases"] == 2
    bad = subprocess.run(
        [exe, "analyze", str(csv_log) + ".missing"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "no such file" in bad.stderr


def test_lifecycle_and_instance_flags(tmp_path: Path) -> None:
    path = tmp_path / "lc.csv"
    path.write_text(
        "ticket,step,status,task,at\n"
        "c1,A,start,x,2024-01-01 01:00\n"
        "c1,A,start,y,2024-01-01 02:00\n"
        "c1,A,complete,y,2024-01-01 03:00\n"
        "c1,A,complete,x,2024-01-01 04:00\n"
    )
    base = [
        "analyze",
        str(path),
        "-f",
        "json",
        "--tz",
        "UTC",
        "--case",
        "ticket",
        "--activity",
        "step",
        "--timestamp",
        "at",
        "--lifecycle",
        "status",
    ]

    def longest(*extra: str) -> float:
        run = opslens(*base, *extra)
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        assert data["log"]["activity_instances"] == 2
        return data["activities"][0]["service_s"]["max"]

    assert longest() == 2 * 3600  # FIFO: 01:00–03:00 and 02:00–04:00
    assert longest("--instance", "task") == 3 * 3600  # by id: x 01:00–04:00, y 02:00–03:00
