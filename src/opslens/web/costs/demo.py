"""Demo cost months: June 2024 exactly as SPEC.md T3 (its four lines), then July and August
following them up."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opslens.web.costs import services
from opslens.web.costs.models import CostCategory, CostLine, CostMonth
from opslens.web.org.models import Department, Person

C = CostLine.CauseKind
S = CostLine.MeasureStatus

# category, sub-item, department, budget, actual (June, July, August)
LINES = [
    ("原材料成本", "A材料采购", "采购部", 500_000, (650_000, 590_000, 525_000)),
    ("人工成本", "销售人员绩效", "销售部", 200_000, (230_000, 214_000, 236_000)),
    ("办公费用", "招待费", "行政部", 30_000, (45_000, 33_000, 29_000)),
    ("制造费用", "设备水电费", "生产部", 80_000, (92_000, 88_000, 81_600)),
]

# (month index, sub-item) → cause, kind, measure, planned, status
FOLLOW_UP: dict[tuple[int, str], tuple[str, str, str, date | None, str]] = {
    (0, "A材料采购"): (
        "市场价格上涨20%,采购量增加10%",
        C.UNCONTROLLABLE,
        "引入2家替代供应商,签订锁价协议",
        date(2024, 7, 31),
        S.IN_PROGRESS,
    ),
    (0, "销售人员绩效"): (
        "销售额超额20%,绩效提成增加",
        C.UNCONTROLLABLE,
        "无(客观业绩增长)",
        None,
        "",
    ),
    (0, "招待费"): (
        "新客户开发招待费超标",
        C.CONTROLLABLE,
        "制定《招待费分级审批制度》",
        date(2024, 7, 15),
        S.IN_PROGRESS,
    ),
    (0, "设备水电费"): (
        "夏季空调使用增加,设备满负荷运转",
        C.UNCONTROLLABLE,
        "调整生产班次,避开峰电时段",
        date(2024, 8, 1),
        S.PLANNED,
    ),
    (1, "A材料采购"): (
        "替代供应商7月中旬导入,锁价协议7月下旬生效,本月仍有部分高价库存",
        C.UNCONTROLLABLE,
        "引入2家替代供应商,签订锁价协议",
        date(2024, 7, 31),
        S.DONE,
    ),
    (1, "招待费"): ("", "", "制定《招待费分级审批制度》", date(2024, 7, 15), S.DONE),
    (1, "设备水电费"): (
        "",
        "",
        "调整生产班次,避开峰电时段",
        date(2024, 8, 1),
        S.IN_PROGRESS,
    ),
    (2, "A材料采购"): ("锁价后A材料单价下降15%", C.UNCONTROLLABLE, "", None, ""),
    (2, "设备水电费"): ("", "", "调整生产班次,避开峰电时段", date(2024, 8, 1), S.DONE),
}

MONTHS = [date(2024, 6, 1), date(2024, 7, 1), date(2024, 8, 1)]
SUMMARIES = [
    "原材料与招待费超支明显;A材料已启动替代供应商,招待费制定分级审批制度。",
    "A材料差异率由30%降至18%,招待费回到阈值内(+10%),分级审批制度已执行。",
    "",
]


def load(depts: dict[str, Department], heads: dict[str, Person], closed_by: Any) -> None:
    services.ensure_categories()
    categories = {c.name: c for c in CostCategory.objects.all()}
    for index, first in enumerate(MONTHS):
        month = services.open_month(first)
        for category, sub_item, dept_name, budget, actuals in LINES:
            dept = depts[dept_name]
            line = CostLine.objects.filter(
                month=month, category=categories[category], sub_item=sub_item, department=dept
            ).first() or CostLine(
                month=month, category=categories[category], sub_item=sub_item, department=dept
            )
            line.owner = heads.get(dept_name)
            line.budget = Decimal(budget)
            line.actual = Decimal(actuals[index])
            follow = FOLLOW_UP.get((index, sub_item))
            if follow is not None:
                cause, kind, measure, planned, status = follow
                line.cause, line.cause_kind = cause, kind
                if measure:
                    line.measure = measure
                    line.measure_status = status
                    line.planned_date = planned
                    if status:
                        line.measure_department = dept
                        line.measure_owner = heads.get(dept_name)
            line.save()
        if index < 2:
            blockers = services.close_month(month, closed_by, SUMMARIES[index])
            assert not blockers, blockers
            CostMonth.objects.filter(pk=month.pk).update(
                closed=timezone.make_aware(datetime(first.year, first.month + 1, 8, 17, 30))
            )
