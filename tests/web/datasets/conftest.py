"""Datasets run their steps in the worker; here the tasks run at once (django-tasks' immediate
backend, after the commit), and the data dir is a temporary folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opslens.web.datasets.models import Dataset
from tests.web.conftest import client_for

SAMPLE = Path(__file__).resolve().parents[3] / "src" / "opslens" / "samples" / "complaints.csv"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any, tmp_path: Path) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DATA_DIR = tmp_path / "data"


def upload(client: Any, name: str, data: bytes, **fields: Any) -> Any:
    """POST the upload form; the inspection runs at once (on commit)."""
    from opslens.web.org.models import Department

    dept = fields.pop("department", None) or Department.objects.get(name="采购部")
    payload = {
        "file": SimpleUploadedFile(name, data),
        "name": fields.pop("name", ""),
        "department": dept.pk,
        "timezone": fields.pop("timezone", "Asia/Shanghai"),
        **fields,
    }
    return client.post("/datasets/new/", payload)


def ready_dataset(owner: Any, data: bytes | None = None, name: str = "complaints.csv") -> Dataset:
    """A dataset uploaded by ``owner``, its suggested columns confirmed, imported, analysed."""
    client = client_for(owner)
    response = upload(client, name, data if data is not None else SAMPLE.read_bytes())
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    dataset = Dataset.objects.latest("created")
    assert dataset.status == Dataset.Status.MAPPING, dataset.error
    form = {
        role: dataset.mapping.get(role, "")
        for role in ("case", "activity", "start", "end", "resource", "lifecycle", "instance")
    }
    form["timezone"] = "Asia/Shanghai"
    response = client.post(f"/datasets/{dataset.pk}/mapping/", form)
    assert response.status_code == 302
    dataset.refresh_from_db()
    assert dataset.status == Dataset.Status.READY, dataset.error
    return dataset
