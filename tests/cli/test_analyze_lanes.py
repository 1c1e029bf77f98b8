"""``opslens analyze --bpmn FILE --lanes COLUMN``: the discovered BPMN and swimlanes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from opslens.core.eventlog import read_event_log
from opslens.core.mining import analyze
from opslens.core.mining.bpmn_discovered import default_min_frequency, kept_paths
from opslens.samples.generate import write_complaints
from tests.cli.test_analyze import opslens

BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


@pytest.fixture(scope="module")
def complaints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_complaints(tmp_path_factory.mktemp("cli") / "complaints.csv", cases=300, seed=4)


def _tasks_and_lanes(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    root = etree.parse(str(path)).getroot()
    names = {t.get("id"): t.get("name") for t in root.iterfind(".//bpmn:task", BPMN)}
    lanes = {
        lane.get("name"): sorted(
            names[ref.text] for ref in lane.iterfind("bpmn:flowNodeRef", BPMN) if ref.text in names
        )
        for lane in root.iterfind(".//bpmn:lane", BPMN)
    }
    return sorted(names.values()), lanes


def test_bpmn_with_the_default_paths(complaints: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.bpmn"
    run = opslens(
        "analyze", str(complaints), "--tz", "Asia/Shanghai", "-f", "json", "--bpmn", str(out)
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["log"]["cases"] == 300  # the chosen output is unchanged
    assert f"wrote {out}" in run.stderr
    with read_event_log(complaints, timezone="Asia/Shanghai") as log:
        result = analyze(log)
    kept = kept_paths(result, default_min_frequency(result))
    tasks, lanes = _tasks_and_lanes(out)
    assert tasks == sorted(kept.activities) and lanes == {}
    root = etree.parse(str(out)).getroot()
    assert root.find("bpmn:process", BPMN).get("name") == "complaints.csv"
    assert root.find(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram") is not None


def test_lanes_in_the_report_and_the_bpmn(complaints: Path, tmp_path: Path) -> None:
    report, out = tmp_path / "map.html", tmp_path / "map.bpmn"
    run = opslens(
        "analyze", str(complaints), "--tz", "Asia/Shanghai", "-f", "html", "-o", str(report),
        "--lang", "zh", "--lanes", "部门", "--bpmn", str(out),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    page = report.read_text(encoding="utf-8")
    assert re.search(r'<select id="lane-select">.*<option value="0" selected>部门</option>', page)
    _, lanes = _tasks_and_lanes(out)
    assert lanes == {"客服部": ["反馈客户", "客服记录", "投诉分级"], "技术部": ["技术处理"]}
    documentation = (
        etree.parse(str(out)).getroot().findtext(".//bpmn:documentation", namespaces=BPMN)
    )
    assert "频次" in documentation and "泳道 (部门)" in documentation


def test_lanes_by_the_resource_column_name(complaints: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.bpmn"
    run = opslens(
        "analyze", str(complaints), "--tz", "Asia/Shanghai",
        "--lanes", "处理人", "--bpmn", str(out),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    _, lanes = _tasks_and_lanes(out)
    assert "技术处理" in lanes["黄俊"]  # the overloaded engineer does most technical work


def test_lanes_of_the_filtered_events(complaints: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.bpmn"
    run = opslens(
        "analyze", str(complaints), "--tz", "Asia/Shanghai", "--where", "部门=质检部",
        "--lanes", "部门", "--bpmn", str(out),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    _, lanes = _tasks_and_lanes(out)
    # in the cases 质检部 graded, it did most of the grading (in all cases, 客服部 does)
    assert lanes["质检部"] == ["投诉分级"]


def test_lanes_without_html_or_bpmn_say_so(complaints: Path) -> None:
    run = opslens(
        "analyze", str(complaints), "--tz", "Asia/Shanghai", "-f", "json", "--lanes", "部门"
    )
    assert run.returncode == 0 and "--lanes draws swimlanes" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lanes", "科室"], "no column '科室'; columns that make sense as lanes: resource, 部门"),
        (["--lanes", "科室", "-f", "html"], "no column '科室'"),
        (["--bpmn", "/nonexistent/dir/map.bpmn"], "--bpmn: cannot write /nonexistent/dir/map.bpmn"),
    ],
)
def test_bad_lanes_or_bpmn_path_is_one_line_and_exit_2(
    complaints: Path, args: list[str], message: str
) -> None:
    run = opslens("analyze", str(complaints), "--tz", "Asia/Shanghai", *args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_help_names_the_options() -> None:
    helped = opslens("analyze", "--help").stdout
    assert "--bpmn" in helped and "--lanes" in helped and "BPMN" in helped
