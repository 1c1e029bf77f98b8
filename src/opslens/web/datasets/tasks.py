"""Dataset work for ``opslens worker``: reading the columns, the import, each analysis."""

from __future__ import annotations

from django_tasks import task

from opslens.web.datasets import services
from opslens.web.datasets.models import Analysis, Dataset


@task()
def inspect_dataset(dataset_id: int) -> str:
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        return "gone"
    return services.inspect(dataset).status


@task()
def import_dataset(dataset_id: int) -> str:
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        return "gone"
    return services.import_events(dataset).status


@task()
def run_analysis(analysis_id: int) -> str:
    analysis = Analysis.objects.select_related("dataset").filter(pk=analysis_id).first()
    if analysis is None:
        return "gone"
    if analysis.status == Analysis.Status.DONE:
        return analysis.status  # queued twice: computed once
    return services.compute(analysis).status
