"""Before/after comparison of two views of a dataset: the generated complaint log's pilot."""

from __future__ import annotations

from datetime import datetime, timedelta
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


def test_two_filters_of_any_kind_are_compared(owner: Any, pilot_log: bytes) -> None:
    """Short against long cases (case duration): each side's
    filters come from its own fields, the engine's counts on the source file agree, the form
    keeps what was asked and the earlier comparisons name both views."""
    from opslens.core.mining import CaseDurationFilter

    dataset = ready_dataset(owner, pilot_log, name="工单导出.csv")
    client = client_for(owner)
    page = client.get(f"/datasets/{dataset.pk}/compare/", {"a_max_d": "2d", "b_min_d": "2d"})
    analysis = Analysis.objects.get(dataset=dataset, filters__has_key="compare")
    assert analysis.status == Analysis.Status.DONE, analysis.error
    got = analysis.result["comparison"]
    with read_event_log(dataset.source_path, timezone="Asia/Shanghai") as log:
        direct = compare_logs(
            log,
            before=[CaseDurationFilter(None, 2 * 86400)],
            after=[CaseDurationFilter(2 * 86400, None)],
        )
    assert (got["before"]["cases"], got["after"]["cases"]) == (
        direct.before.cases,
        direct.after.cases,
    )
    assert got["before"]["cases"] > 0 and got["after"]["cases"] > 0
    assert got["case_duration_s"]["median_after"] > got["case_duration_s"]["median_before"]
    html = page.content.decode()
    assert 'name="a_max_d" id="a_max_d" value="2d"' in html
    assert 'name="b_min_d" id="b_min_d" value="2d"' in html
    assert 'name="a_min_d" id="a_min_d" value=""' in html

    listed = client.get(f"/datasets/{dataset.pk}/compare/").content.decode()
    assert "lasting at most 2d ↔ lasting at least 2d" in listed


def test_cases_with_and_without_a_step(owner: Any) -> None:
    """A third of the tickets go through 返工复核 and take a day longer: compared with the rest."""
    lines = ["工单号,环节,开始时间,结束时间"]
    for i in range(60):
        day = 1 + i % 28
        steps = ["受理", "处理"] + (["返工复核"] if i % 3 == 0 else []) + ["关闭"]
        hour = 8
        for step in steps:
            length = 24 if step == "返工复核" else 1 + i % 4
            start = datetime(2024, 5, day, hour)
            end = start + timedelta(hours=length)
            lines.append(f"T{i:03},{step},{start:%Y-%m-%d %H:%M},{end:%Y-%m-%d %H:%M}")
            hour += length
            day, hour = day + hour // 24, hour % 24
    dataset = ready_dataset(owner, "\n".join(lines).encode(), name="返工.csv")
    client = client_for(owner)
    page = client.get(
        f"/datasets/{dataset.pk}/compare/", {"a_without": "返工复核", "b_with": "返工复核"}
    )
    before = services.FilterSpec(without=("返工复核",))
    after = services.FilterSpec(with_=("返工复核",))
    analysis = Analysis.objects.get(dataset=dataset, key=services.comparison_key(before, after))
    assert analysis.status == Analysis.Status.DONE, analysis.error
    got = analysis.result["comparison"]
    assert (got["before"]["cases"], got["after"]["cases"]) == (40, 20)
    assert got["case_duration_s"]["verdict"] == "slower"
    html = page.content.decode()
    assert "<option selected>返工复核</option>" in html
    listed = client.get(f"/datasets/{dataset.pk}/compare/").content.decode()
    assert "without 返工复核 ↔ with 返工复核" in listed


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "View B holds no case: change its filters."), ("zh-hans", "视图 B 中没有案例")],
)
def test_an_empty_view_is_named_in_the_readers_language(
    owner: Any, pilot_log: bytes, lang: str, text: str
) -> None:
    """Every ticket goes through 技术处理, so "without 技术处理" holds none: the page says which
    view is empty, in the reader's language, and offers no pointless retry."""
    dataset = ready_dataset(owner, pilot_log, name="工单导出.csv")
    client = client_for(owner)
    client.cookies["django_language"] = lang
    query = {"a_with": "技术处理", "b_without": "技术处理"}
    html = client.get(f"/datasets/{dataset.pk}/compare/", query).content.decode()
    analysis = Analysis.objects.get(dataset=dataset, filters__has_key="compare")
    assert analysis.status == Analysis.Status.FAILED and analysis.empty_side == "after"
    assert text in html
    assert f'action="/datasets/{dataset.pk}/retry/"' not in html
    assert "slice holds no events" not in html


def test_a_views_label_names_every_filter() -> None:
    from django.utils import translation

    spec = services.FilterSpec(
        since="2024-07-01",
        variant=("受理", "关闭"),
        with_=("返工复核",),
        attr=("紧急程度=紧急",),
        min_d="2d",
        max_d="7d",
    )
    with translation.override("en"):
        assert spec.label == (
            "2024-07-01 – … · 受理 → 关闭 · with 返工复核 · 紧急程度=紧急 · lasting 2d to 7d"
        )
        assert services.FilterSpec().label == "all cases"
    with translation.override("zh-hans"):
        assert services.FilterSpec(without=("返工复核",), max_d="1d").label == (
            "不含 返工复核 · 时长不超过 1d"
        )
