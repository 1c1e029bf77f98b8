"""Before/after comparison of two views of a dataset: the generated complaint log's pilot."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from opslens.core.eventlog import read_event_log
from opslens.core.mining import TimeRangeFilter, compare_logs
from opslens.samples.generate import write_complaints
from opslens.web.datasets import services
from opslens.web.datasets.models import Analysis
from tests.web.conftest import client_for
from tests.web.datasets.conftest import ready_dataset

pytestmark = pytest.mark.django_db(transaction=True)
PILOT = "?a_until=2024-06-30&b_since=2024-07-01"


@pytest.fixture
def pilot_log(tmp_path: Any) -> bytes:
    path = tmp_path / "工单导出.csv"
    write_complaints(path, cases=800, seed=11)
    return path.read_bytes()


def test_the_pilot_shows_as_faster_with_the_engines_numbers(owner: Any, pilot_log: bytes) -> None:
    dataset = ready_dataset(owner, pilot_log, name="工单导出.csv")
    client = client_for(owner)
    page = client.get(f"/datasets/{dataset.pk}/compare/{PILOT}")
    assert page.status_code == 200
    analysis = Analysis.objects.get(dataset=dataset, filters__has_key="compare")
    assert analysis.status == Analysis.Status.DONE
    case = analysis.result["comparison"]["case_duration_s"]
    assert case["verdict"] == "faster" and case["p_value"] < 0.001
    assert case["median_after"] < case["median_before"]
    html = page.content.decode()
    assert 'data-testid="headline"' in html and "went down" in html and "p &lt; 0.001" in html
    tech = next(
        a for a in analysis.result["comparison"]["activities"] if a["activity"] == "技术处理"
    )
    assert tech["waiting_s"]["verdict"] == "faster"
    # the same numbers as the engine on the source file
    zone = ZoneInfo("Asia/Shanghai")
    with read_event_log(dataset.source_path, timezone="Asia/Shanghai") as log:
        direct = compare_logs(
            log,
            before=[
                TimeRangeFilter(
                    None, datetime(2024, 6, 30, 23, 59, 59, 999999, zone), mode="started"
                )
            ],
            after=[TimeRangeFilter(datetime(2024, 7, 1, tzinfo=zone), None, mode="started")],
        )
    assert direct.case_duration.median_before == case["median_before"]
    assert direct.case_duration.median_after == case["median_after"]
    assert direct.after.cases == analysis.result["comparison"]["after"]["cases"]
    # asked again (by anyone): the cached comparison
    client_for(owner).get(f"/datasets/{dataset.pk}/compare/{PILOT}")
    assert Analysis.objects.filter(dataset=dataset, filters__has_key="compare").count() == 1


def test_the_comparison_opens_an_improvement_project(owner: Any, pilot_log: bytes) -> None:
    dataset = ready_dataset(owner, pilot_log, name="工单导出.csv")
    client = client_for(owner)
    client.get(f"/datasets/{dataset.pk}/compare/{PILOT}")
    analysis = Analysis.objects.get(dataset=dataset, filters__has_key="compare")
    origin = services.project_origin(analysis.pk, owner)
    assert origin is not None and "went down" in origin.summary
    assert origin.url.startswith(f"/datasets/{dataset.pk}/compare/?a_until=2024-06-30")
    page = client.get(f"/projects/new/?origin=dataset&ref={analysis.pk}")
    assert page.status_code == 200 and "p < 0.001" in page.context["form"].initial["origin_summary"]


def test_bad_or_identical_views_are_messages(owner: Any, pilot_log: bytes) -> None:
    dataset = ready_dataset(owner, pilot_log, name="工单导出.csv")
    client = client_for(owner)
    same = client.get(f"/datasets/{dataset.pk}/compare/?a_since=2024-07-01&b_since=2024-07-01")
    assert "the same" in same.context["error"]
    bad = client.get(f"/datasets/{dataset.pk}/compare/?a_since=2024-02-30&b_since=2024-07-01")
    assert "2024-02-30" in bad.context["error"]
    assert not Analysis.objects.filter(dataset=dataset, filters__has_key="compare").exists()
