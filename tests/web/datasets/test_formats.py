"""Every file type the upload form takes — XLSX, Parquet, XES and XES.gz (real shared logs) —
goes through the same pipeline as CSV: the suggested columns, the import, the first analysis,
whose figures equal the engine's on the same file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from opslens.core.eventlog import read_event_log
from opslens.core.mining import analyze
from opslens.web.datasets.models import Analysis, Dataset
from tests.conftest import eventlog
from tests.web.datasets.conftest import SAMPLE, ready_dataset

pytestmark = pytest.mark.django_db(transaction=True)
FIGURES = ("log", "dfg", "activities", "case_duration_s", "variants", "bottlenecks")


def _same_figures_as_the_engine(dataset: Dataset, source: Path, **mapping: Any) -> None:
    analysis = Analysis.objects.get(dataset=dataset)
    assert analysis.status == Analysis.Status.DONE, analysis.error
    with read_event_log(source, timezone="Asia/Shanghai", **mapping) as log:
        direct = analyze(log, top_variants=25).to_dict()
    for key in FIGURES:
        assert analysis.result[key] == direct[key], key


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_a_spreadsheet_or_parquet_export_equals_its_csv(
    owner: Any, kind: str, tmp_path: Path
) -> None:
    import pandas as pd

    frame = pd.read_csv(SAMPLE, dtype=str)
    buffer = io.BytesIO()
    if kind == "xlsx":
        frame.to_excel(buffer, index=False, sheet_name="工单")
    else:
        frame.to_parquet(buffer, index=False)
    dataset = ready_dataset(owner, buffer.getvalue(), name=f"工单导出.{kind}")
    assert (dataset.events, dataset.rejected_rows) == (1278, 0)
    assert dataset.mapping["case"] == "工单号" and dataset.mapping["activity"] == "环节"
    _same_figures_as_the_engine(dataset, SAMPLE)


@pytest.mark.parametrize("name", ["running-example.xes", "repairExample.xes.gz"])
def test_a_real_xes_log_is_mapped_by_its_standard_keys(owner: Any, name: str) -> None:
    source = eventlog(name)
    dataset = ready_dataset(owner, source.read_bytes(), name=name)
    assert dataset.mapping["case"] == "case:concept:name"
    assert dataset.mapping["activity"] == "concept:name"
    assert dataset.rejected_rows == 0
    _same_figures_as_the_engine(dataset, source)
