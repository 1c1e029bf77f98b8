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
