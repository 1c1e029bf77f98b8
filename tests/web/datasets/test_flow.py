"""Upload → columns → import → analysis, through the pages, with the worker's steps run at once."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from opslens.core.eventlog import read_event_log
from opslens.core.mining import ActivityFilter, analyze
from opslens.web.datasets import services
from opslens.web.datasets.models import Analysis, Dataset
from tests.web.conftest import client_for
from tests.web.datasets.conftest import SAMPLE, ready_dataset, upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_suggests_the_columns_and_shows_the_first_rows(owner: Any) -> None:
    client = client_for(owner)
    response = upload(client, "工单导出.csv", SAMPLE.read_bytes())
    dataset = Dataset.objects.get()
    assert response.status_code == 302 and response["Location"] == dataset.get_absolute_url()
    assert dataset.name == "工单导出.csv" and dataset.source_format == "csv"
    assert dataset.status == Dataset.Status.MAPPING
    assert dataset.mapping == {
        "case": "工单号",
        "activity": "环节",
        "start": "开始时间",
        "end": "结束时间",
        "resource": "处理人",
    }
    page = client.get(dataset.get_absolute_url(), follow=True)
    html = page.content.decode()
    assert page.redirect_chain[-1][0].endswith("/mapping/")
    assert "工单号" in html and 'data-testid="preview"' in html
    assert len(dataset.preview["rows"]) == services.PREVIEW_ROWS
    assert dataset.preview["total_rows"] == 1278


def test_import_writes_parquet_and_the_first_analysis_equals_the_engine(owner: Any) -> None:
    dataset = ready_dataset(owner)
    assert dataset.events_path.exists() and not dataset.source_path.with_suffix(".part").exists()
    assert (dataset.events, dataset.rejected_rows, dataset.lifecycle) == (1278, 0, "interval")
    assert "部门" in dataset.attributes and "row" not in dataset.attributes
    analysis = Analysis.objects.get(dataset=dataset)
    assert analysis.status == Analysis.Status.DONE and analysis.filters == {}
    with read_event_log(SAMPLE, timezone="Asia/Shanghai") as log:
        direct = analyze(log, top_variants=25).to_dict()
    stored = analysis.result
    for key in ("log", "dfg", "activities", "case_duration_s", "variants", "bottlenecks"):
        assert stored[key] == direct[key], key
    assert services.report_path(analysis, "zh").exists()
    page = client_for(owner).get(dataset.get_absolute_url()).content.decode()
    assert 'data-testid="report"' in page and 'data-testid="variants"' in page


def test_a_filter_is_computed_once_and_matches_the_engine(owner: Any, colleague: Any) -> None:
    dataset = ready_dataset(owner)
    url = f"{dataset.get_absolute_url()}?with=技术处理&since=2024-01-01"
    client_for(colleague).get(url)
    client_for(owner).get(url)  # the same filter from another user: the cached analysis
    filtered = Analysis.objects.filter(dataset=dataset).exclude(key=services.FilterSpec().key)
    assert filtered.count() == 1
    analysis = filtered.get()
    assert analysis.status == Analysis.Status.DONE
    with read_event_log(SAMPLE, timezone="Asia/Shanghai") as log:
        direct = analyze(log, filters=[ActivityFilter("技术处理")], top_variants=25).to_dict()
    assert analysis.result["log"]["cases"] == direct["log"]["cases"]
    assert analysis.result["case_duration_s"] == direct["case_duration_s"]


def test_rejected_rows_are_listed_and_downloadable(owner: Any) -> None:
    text = SAMPLE.read_text("utf-8-sig").splitlines()
    cells = text[5].split(",")
    cells[3] = "2024/13/45 25:00"  # an end time that is no time, on line 6 of the file
    text[5] = ",".join(cells)
    dataset = ready_dataset(owner, "\n".join(text).encode("utf-8"), name="bad.csv")
    assert dataset.rejected_rows == 1
    response = client_for(owner).get(f"/datasets/{dataset.pk}/rejected.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["file", "row", "column", "value", "reason"]
    assert rows[1][:4] == ["bad.csv", "6", "结束时间", "2024/13/45 25:00"]


def test_fill_the_process_from_the_dataset_and_open_a_project(owner: Any, org: Any) -> None:
    from decimal import Decimal

    from opslens.web.processes.models import Process, ProcessVersion, Step
    from opslens.web.projects.models import Project

    process = Process.objects.create(name="客户投诉处理流程")
    process.departments.set([org["采购部"]])
    version = ProcessVersion.objects.create(process=process, kind="as_is", label="现状")
    for i, (name, hours) in enumerate(
        [("客服记录", 4.8), ("投诉分级", 2.4), ("技术 处理", 28.8), ("反馈客户", 12), ("归档", 1)],
        1,
    ):
        Step.objects.create(version=version, position=i, stage=i, name=name, hours=Decimal(hours))
    dataset = ready_dataset(owner)
    dataset.process = process
    dataset.save()
    analysis = Analysis.objects.get(dataset=dataset)
    client = client_for(owner)
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert 'data-testid="fill-process"' in page
    response = client.post(f"/datasets/{dataset.pk}/fill-process/", {"key": analysis.key})
    assert response.status_code == 302
    tech = Step.objects.get(version=version, name="技术 处理")  # spaces ignored in matching
    stats = next(a for a in analysis.result["activities"] if a["activity"] == "技术处理")
    total = stats["service_s"]["sum"] + stats["waiting_s"]["sum"]
    assert tech.measured_hours == Decimal(str(round(total / stats["instances"] / 3600, 2)))
    assert tech.hours == Decimal("28.8")  # the assumed figure stays
    assert tech.measured_from == dataset and tech.measured_cases == stats["cases"]
    grading = Step.objects.get(version=version, name="投诉分级")
    g = next(a for a in analysis.result["activities"] if a["activity"] == "投诉分级")
    assert g["rework_cases"] > 0
    assert grading.measured_return_rate == Decimal(str(round(100 * g["rework_cases"] / 300, 2)))
    assert Step.objects.get(version=version, name="归档").measured_hours is None
    version_page = client.get(version.get_absolute_url()).content.decode()
    assert 'data-testid="measured-hours"' in version_page

    # the bottleneck opens an improvement project that links back to this view
    new = client.get(f"/projects/new/?origin=dataset&ref={analysis.pk}")
    assert "技术处理" in new.context["form"].initial["name"]
    form = {
        "name": new.context["form"].initial["name"],
        "department": org["采购部"].pk,
        "owner": owner.person.pk,
        "start_date": "2024-09-10",
        "goal": "技术处理提速",
        "response_hours": 24,
        "origin": "dataset",
        "ref": analysis.pk,
        "origin_summary": new.context["form"].initial["origin_summary"],
    }
    assert client.post("/projects/new/", form).status_code == 302
    project = Project.objects.get()
    assert (project.origin_kind, project.origin_ref) == ("dataset", analysis.pk)
    assert project.origin_url == dataset.get_absolute_url()
    assert "60.7%" in project.origin_summary
    assert project.name in client.get(dataset.get_absolute_url()).content.decode()


def test_weekly_counts_and_resource_workload_add_up(owner: Any) -> None:
    dataset = ready_dataset(owner)
    more = Analysis.objects.get(dataset=dataset).result["extras"]
    assert sum(w[1] for w in more["weeks"]) == 1278  # every event in one week
    assert sum(w[2] for w in more["weeks"]) == 300  # every case started once
    assert [w[0] for w in more["weeks"]] == sorted(w[0] for w in more["weeks"])
    assert sum(r[1] for r in more["resources"]) == 1278  # every instance has a resource
    hours = [r[3] for r in more["resources"]]
    assert hours == sorted(hours, reverse=True)
    page = client_for(owner).get(dataset.get_absolute_url()).content.decode()
    assert 'data-testid="weeks-chart"' in page and 'data-testid="resources-chart"' in page


def test_workload_chart_labels_are_readable_hours() -> None:
    """Large totals as whole hours, small ones to a tenth (not 25350.65 h on the bar)."""
    from opslens.web.datasets.views import _charts

    extras = {"weeks": [], "resources": [["黄俊", 900, 0, 25350.65], ["吴磊", 12, 0, 96.44]]}
    charts = _charts({"extras": extras})
    assert charts is not None
    assert charts["resources"]["series"][0]["values"] == [25351, 96.4]
    assert charts["resources"]["labels"] == ["黄俊", "吴磊"]


@pytest.mark.parametrize("zone", ["Asia/Kathmandu", "America/New_York", "Asia/Shanghai"])
def test_weeks_are_the_weeks_of_the_datasets_zone(zone: str) -> None:
    """Events just before and after Monday 00:00 local time (a +5:45 zone, a zone whose offset
    changes in the period) land in the week each one has there, as truncating its own time."""
    import pyarrow as pa

    from opslens.core.eventlog import event_log_from_arrow
    from opslens.core.mining import restrict_log

    local = [
        "2024-03-10 23:59:00",  # Sunday night: the week of 4 March
        "2024-03-11 00:00:00",  # Monday 00:00: the week of 11 March (New York has just gone to DST)
        "2024-03-11 00:14:00",
        "2024-03-17 23:45:00",
        "2024-03-18 00:15:00",
        "2024-11-03 23:59:30",
        "2024-11-04 00:00:30",  # New York back on standard time the day before
    ]
    table = pa.table(
        {
            "case": [f"c{i}" for i in range(len(local))],
            "activity": ["a"] * len(local),
            "time": local,
        }
    )
    with event_log_from_arrow(table, timezone=zone) as log:
        weeks = services.extras(restrict_log(log, []))["weeks"]
        expected = log.con.execute(
            """SELECT date_trunc('week', "end")::DATE AS w, count(*) FROM events
               GROUP BY w ORDER BY w"""
        ).fetchall()
    assert [(w, e) for w, e, _c in weeks] == [(w.isoformat(), n) for w, n in expected]
    assert [w for w, _e, _c in weeks][:2] == ["2024-03-04", "2024-03-11"]
    assert sum(c for _w, _e, c in weeks) == len(local)


def test_filter_changes_reuse_the_events_held_open_and_leave_no_tables(owner: Any) -> None:
    """After the import, filter changes work on the events the worker holds in memory: the
    Parquet is not opened again, and each view's temporary table is dropped after use."""
    from unittest import mock

    dataset = ready_dataset(owner)
    client = client_for(owner)
    with mock.patch.object(services, "open_log", side_effect=AssertionError("re-read")):
        for query in ("with=技术处理", "min_d=1d", "attr=部门=客服部"):
            client.get(f"{dataset.get_absolute_url()}?{query}")
    analyses = Analysis.objects.filter(dataset=dataset).exclude(key=services.FilterSpec().key)
    assert [a.status for a in analyses] == [Analysis.Status.DONE] * 3
    held = services.hot_log._log
    assert held is not None
    temporary = held.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary")
    assert not [t for (t,) in temporary.fetchall() if t.startswith("__restricted")]

    # a new import of the dataset replaces what is held; a deleted dataset is let go
    services.hot_log.drop()
    with mock.patch.object(services, "open_log", wraps=services.open_log) as opened:
        client.get(f"{dataset.get_absolute_url()}?max_d=10d")
        client.get(f"{dataset.get_absolute_url()}?max_d=20d")
    assert opened.call_count == 1
    services.hot_log.forget(dataset.pk)
    assert services.hot_log._log is None


def test_swimlanes_and_the_bpmn_of_a_view(owner: Any) -> None:
    """After the figures, each analysis gets its swimlanes (the resource and the department of
    each activity) in its report; the map downloads as BPMN with the paths and lanes shown."""
    from lxml import etree

    dataset = ready_dataset(owner)
    first = Analysis.objects.get(dataset=dataset, key=services.FilterSpec().key)
    assert first.result["lane_columns"] == ["resource", "部门"]
    departments = {a["activity"]: a["lane"] for a in first.result["lanes"]["部门"]["activities"]}
    assert departments["技术处理"] == "技术部" and departments["客服记录"] == "客服部"
    client = client_for(owner)
    report = client.get(f"/datasets/{dataset.pk}/report/?lang=zh").content.decode()
    assert 'id="lane-select"' in report and "技术部" in report

    bpmn = "http://www.omg.org/spec/BPMN/20100524/MODEL"
    response = client.get(f"/datasets/{dataset.pk}/map.bpmn")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    tree = etree.fromstring(response.content)
    tasks = {t.get("name") for t in tree.iter(f"{{{bpmn}}}task")}
    assert {"客服记录", "投诉分级", "技术处理", "反馈客户"} <= tasks
    assert not list(tree.iter(f"{{{bpmn}}}lane"))
    every = len(list(tree.iter(f"{{{bpmn}}}sequenceFlow")))

    laned = etree.fromstring(client.get(f"/datasets/{dataset.pk}/map.bpmn?lanes=部门").content)
    lanes = {lane.get("name") for lane in laned.iter(f"{{{bpmn}}}lane")}
    assert {"客服部", "技术部"} <= lanes
    fewer = etree.fromstring(client.get(f"/datasets/{dataset.pk}/map.bpmn?min=100").content)
    assert len(list(fewer.iter(f"{{{bpmn}}}sequenceFlow"))) < every

    # a filtered view has its own lanes on the dataset's lane columns; a view not computed
    # yet has no BPMN
    client.get(f"{dataset.get_absolute_url()}?with=技术处理")
    view = Analysis.objects.get(dataset=dataset, key=services.FilterSpec(with_=("技术处理",)).key)
    assert view.result["lane_columns"] == ["resource", "部门"]
    assert client.get(f"/datasets/{dataset.pk}/map.bpmn?with=技术处理").status_code == 200
    assert client.get(f"/datasets/{dataset.pk}/map.bpmn?without=技术处理").status_code == 404


def test_report_shows_times_in_the_datasets_zone(owner: Any) -> None:
    """The sample's times are Shanghai wall-clock times; the map's report shows them as such,
    as the dataset page does, not shifted to UTC."""
    dataset = ready_dataset(owner)
    client = client_for(owner)
    for lang in ("zh", "en"):
        report = client.get(f"/datasets/{dataset.pk}/report/?lang={lang}").content.decode()
        assert "2024-04-01 18:34:00 +08:00 Asia/Shanghai" in report
        assert "2024-07-03 17:55:00 +08:00 Asia/Shanghai" in report
        assert "2024-04-01 10:34:00 UTC" not in report
