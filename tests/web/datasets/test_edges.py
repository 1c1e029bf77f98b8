"""Upload edge cases, failures in the worker and their retry, bad filters, permissions."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from opslens.web.datasets import services
from opslens.web.datasets.models import Analysis, Dataset
from opslens.web.org.models import Department
from tests.web.conftest import client_for
from tests.web.datasets.conftest import SAMPLE, ready_dataset, upload

pytestmark = pytest.mark.django_db(transaction=True)


def _form_errors(response: Any) -> str:
    return str(response.context["form"].errors)


def test_an_empty_file_is_a_form_error_and_nothing_is_kept(owner: Any) -> None:
    response = upload(client_for(owner), "empty.csv", b"")
    assert response.status_code == 200
    assert "empty" in _form_errors(response)
    assert not Dataset.objects.exists()


def test_an_unknown_file_type_is_a_form_error(owner: Any) -> None:
    response = upload(client_for(owner), "report.pdf", b"%PDF-1.4 ...")
    assert response.status_code == 200
    assert "unsupported file type" in _form_errors(response)
    assert not Dataset.objects.exists()


def test_a_file_that_is_not_what_it_says_fails_with_the_reason(owner: Any) -> None:
    client = client_for(owner)
    upload(client, "log.xlsx", b"this is not a workbook at all")
    dataset = Dataset.objects.get()
    assert dataset.status == Dataset.Status.FAILED
    assert dataset.error and "Traceback" not in dataset.error
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert 'data-testid="failure"' in page and dataset.error.split(":")[0] in page


def test_a_gbk_export_is_read_with_its_chinese_headers(owner: Any) -> None:
    gbk = SAMPLE.read_text("utf-8-sig").encode("gbk")
    dataset = ready_dataset(owner, gbk, name="导出GBK.csv")
    assert dataset.mapping["case"] == "工单号" and dataset.events == 1278
    assert "客服记录" in dataset.activities


def test_a_large_upload_is_moved_from_its_temporary_file_not_read(
    owner: Any, settings: Any
) -> None:
    """Beyond FILE_UPLOAD_MAX_MEMORY_SIZE Django streams the upload to a temporary file; the
    dataset takes that file over (a rename), so a file of several GB never sits in memory."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    data = SAMPLE.read_bytes() * 3  # ~190 KB: well beyond the limit
    moved: list[tuple[str, Path]] = []
    real_move = services.file_move_safe

    def spy(src: str, dst: str, **kwargs: Any) -> Any:
        moved.append((src, Path(dst)))
        return real_move(src, dst, **kwargs)

    with mock.patch.object(services, "file_move_safe", side_effect=spy):
        upload(client_for(owner), "big.csv", data)
    dataset = Dataset.objects.get()
    assert len(moved) == 1 and moved[0][1] == dataset.source_path
    assert not Path(moved[0][0]).exists()
    assert dataset.source_path.read_bytes() == data
    assert dataset.source_size == len(data)


def test_a_worker_failure_mid_analysis_leaves_no_result_and_can_be_retried(owner: Any) -> None:
    dataset = ready_dataset(owner)
    client = client_for(owner)
    url = f"{dataset.get_absolute_url()}?with=技术处理"
    with mock.patch.object(services, "analyze", side_effect=MemoryError("worker killed")):
        client.get(url)
    spec = services.FilterSpec(with_=("技术处理",))
    analysis = Analysis.objects.get(dataset=dataset, key=spec.key)
    assert analysis.status == Analysis.Status.FAILED and analysis.result is None
    assert "MemoryError" in analysis.error
    assert not services.report_path(analysis, "zh").exists()
    page = client.get(url).content.decode()
    assert 'data-testid="retry-analysis"' in page
    response = client.post(
        f"/datasets/{dataset.pk}/retry/", {"key": analysis.key, "query": spec.query()}
    )
    assert response.status_code == 302
    analysis.refresh_from_db()
    assert analysis.status == Analysis.Status.DONE and analysis.result["log"]["cases"] > 0


def test_a_failed_import_keeps_no_partial_files_and_can_be_retried(owner: Any) -> None:
    client = client_for(owner)
    upload(client, "complaints.csv", SAMPLE.read_bytes())
    dataset = Dataset.objects.get()
    form = {**dataset.mapping, "timezone": "Asia/Shanghai"}
    with mock.patch.object(services, "read_event_log", side_effect=OSError("disk full")):
        client.post(f"/datasets/{dataset.pk}/mapping/", form)
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.FAILED and "disk full" in dataset.error
    assert not dataset.events_path.exists()
    assert not list(dataset.folder.glob("*.part"))
    client.post(f"/datasets/{dataset.pk}/retry/")
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.READY and dataset.events == 1278


def test_a_bad_filter_value_is_a_message_not_a_queued_failure(owner: Any) -> None:
    dataset = ready_dataset(owner)
    before = Analysis.objects.count()
    page = client_for(owner).get(f"{dataset.get_absolute_url()}?since=2024-13-01")
    assert page.status_code == 200
    assert "2024-13-01" in page.context["filter_error"]
    assert Analysis.objects.count() == before


def test_reimporting_drops_the_cached_analyses(owner: Any) -> None:
    dataset = ready_dataset(owner)
    client_for(owner).get(f"{dataset.get_absolute_url()}?with=技术处理")
    assert dataset.analyses.count() == 2
    services.import_events(dataset)
    assert dataset.analyses.count() == 1  # only the unfiltered view, computed afresh


def test_permissions(
    owner: Any, colleague: Any, outsider: Any, viewer: Any, admin: Any, org: Any
) -> None:
    dataset = ready_dataset(owner)
    for user in (owner, colleague, outsider, viewer, admin):
        client = client_for(user)
        for url in ("/datasets/", dataset.get_absolute_url(), f"/datasets/{dataset.pk}/cases/"):
            assert client.get(url).status_code == 200, (user, url)
    for user in (outsider, viewer):
        client = client_for(user)
        for url in ("edit/", "delete/", "mapping/"):
            assert client.get(f"/datasets/{dataset.pk}/{url}").status_code == 403
        assert client.post(f"/datasets/{dataset.pk}/retry/").status_code == 403
        assert client.post(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client_for(viewer).get("/datasets/new/").status_code == 403
    # the outsider uploads for its own department only
    response = upload(
        client_for(outsider),
        "x.csv",
        SAMPLE.read_bytes(),
        department=Department.objects.get(name="采购部"),
    )
    assert response.status_code == 200 and "department" in response.context["form"].errors
    for user in (colleague, admin):
        assert client_for(user).get(f"/datasets/{dataset.pk}/edit/").status_code == 200
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_cases_through_a_step_longest_first(owner: Any) -> None:
    dataset = ready_dataset(owner)
    html = (
        client_for(owner)
        .get(f"/datasets/{dataset.pk}/cases/", {"activity": "技术处理"})
        .content.decode()
    )
    assert 'data-testid="cases"' in html and "TS2024" in html
    rows = services.cases_with(dataset, source="客服记录", target="投诉分级")
    assert rows and all("客服记录 → 投诉分级" in r["path"] for r in rows)
    seconds = [r["seconds"] for r in rows]
    assert seconds == sorted(seconds, reverse=True)
    cleared = client_for(owner).get(f"/datasets/{dataset.pk}/cases/", {"activity": ""})
    text = cleared.content.decode()  # the choice taken back: the hint again, no table
    assert 'data-testid="cases-hint"' in text and 'data-testid="cases"' not in text


def test_the_columns_of_a_large_text_export_are_read_from_its_head(
    owner: Any, monkeypatch: Any
) -> None:
    """Reading the columns must not parse a file of several GB: beyond HEAD_BYTES only the
    complete lines of its head are read; the import still reads every row."""
    monkeypatch.setattr(services, "HEAD_BYTES", 10_000)
    data = SAMPLE.read_bytes()
    assert len(data) > 10_000
    client = client_for(owner)
    upload(client, "big.csv", data)
    dataset = Dataset.objects.get()
    assert dataset.status == Dataset.Status.MAPPING
    assert dataset.preview["total_rows"] is None  # not counted: only the head was read
    assert dataset.preview["columns"][:2] == ["工单号", "环节"]
    assert len(dataset.preview["rows"]) == services.PREVIEW_ROWS
    page = client.get(f"/datasets/{dataset.pk}/mapping/")
    assert page.status_code == 200
    client.post(
        f"/datasets/{dataset.pk}/mapping/", {**dataset.mapping, "timezone": "Asia/Shanghai"}
    )
    dataset.refresh_from_db()
    assert dataset.events == 1278  # the import read the whole file


def test_the_map_comes_first_and_a_failure_to_save_the_events_is_reported(owner: Any) -> None:
    """The first analysis is done before the events are written as Parquet (the page shows the
    map sooner); if writing them fails the dataset says why, keeps no partial file and a new
    try imports it again."""
    client = client_for(owner)
    upload(client, "complaints.csv", SAMPLE.read_bytes())
    dataset = Dataset.objects.get()
    form = {**dataset.mapping, "timezone": "Asia/Shanghai"}
    real_replace = services.os.replace
    seen: list[str] = []

    def failing_replace(src: Any, dst: Any) -> None:
        if str(dst).endswith("events.parquet"):
            first = Analysis.objects.get(dataset=dataset)
            seen.append(first.status)
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    with mock.patch.object(services.os, "replace", side_effect=failing_replace):
        client.post(f"/datasets/{dataset.pk}/mapping/", form)
    assert seen == [Analysis.Status.DONE]  # the figures were saved before the events
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.FAILED and "No space left" in dataset.error
    assert not dataset.events_path.exists() and not list(dataset.folder.glob("*.part"))
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert 'data-testid="failure"' in page
    client.post(f"/datasets/{dataset.pk}/retry/")
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.READY and dataset.events_path.exists()
    assert Analysis.objects.get(dataset=dataset).status == Analysis.Status.DONE
