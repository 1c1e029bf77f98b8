"""The demo company's event-log dataset: six months of complaint handling (generated).

工单系统导出 2024-03 – 2024-08: the seed's four steps and times (客服记录 0.2 d, 投诉分级 0.1 d,
技术处理 1.2 d — the bottleneck —, 反馈客户 0.5 d), ~5,000 cases, Chinese activity and department
names, and a pilot from 2024-07-01 (system auto-assignment) in which 技术处理 takes half as long.
The loader imports it and computes the whole log, the months before the pilot and the pilot
months, so the demo opens on finished analyses; the complaint process's steps carry the times
measured before the pilot beside the assumed ones.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from opslens.samples.generate import write_complaints
from opslens.web.datasets import services
from opslens.web.datasets.models import Analysis, Dataset
from opslens.web.org.models import Department, Person

PILOT = date(2024, 7, 1)
BEFORE = services.FilterSpec(until="2024-06-30")
DURING = services.FilterSpec(since="2024-07-01")


def load(depts: dict[str, Department], heads: dict[str, Person], user: Any = None) -> Dataset:
    from opslens.web.processes.models import Process

    process = Process.objects.filter(name="客户投诉处理流程").first()
    dataset = Dataset(
        name="工单系统导出 2024-03—08",
        department=depts["客服部"],
        process=process,
        timezone="Asia/Shanghai",
        description="投诉工单的环节记录（工单系统导出）；2024-07-01 起试点系统自动分配优先级。",
        source_name="工单系统导出_2024-03_2024-08.csv",
        source_format="csv",
        created_by=user,
        status=Dataset.Status.UPLOADED,
    )
    dataset.save()
    dataset.folder.mkdir(parents=True, exist_ok=True)
    write_complaints(dataset.source_path, cases=5000, pilot_start=PILOT, seed=7)
    Dataset.objects.filter(pk=dataset.pk).update(source_size=dataset.source_path.stat().st_size)
    services.inspect(dataset)
    services.import_events(dataset)
    for spec in (services.FilterSpec(), BEFORE, DURING):
        analysis, _created = Analysis.objects.get_or_create(
            dataset=dataset, key=spec.key, defaults={"filters": spec.as_dict()}
        )
        services.compute(analysis)
    services.compute(services.request_comparison(dataset, BEFORE, DURING))
    before = Analysis.objects.get(dataset=dataset, key=BEFORE.key)
    if process is not None:
        services.fill_process(dataset, before)
    dataset.refresh_from_db()
    return dataset
