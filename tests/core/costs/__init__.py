"""Tests of opslens.core.costs; the seed's June 2024 cost table (T3) is shared here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from opslens.core.costs import CauseKind, CostLine, CostReportLine

# seed T3, 月度成本分析表 2024-06:
# (category, sub-item, budget, actual, cause, measure, department, owner, planned)
SEED_JUNE = (
    (
        "原材料成本",
        "A材料采购",
        500_000,
        650_000,
        "市场价格上涨20%,采购量增加10%",
        "引入2家替代供应商,签订锁价协议",
        "采购部",
        "*经理",
        date(2024, 7, 31),
    ),
    (
        "人工成本",
        "销售人员绩效",
        200_000,
        230_000,
        "销售额超额20%,绩效提成增加",
        "无(客观业绩增长)",
        "销售部",
        "*主管",
        None,
    ),
    (
        "办公费用",
        "招待费",
        30_000,
        45_000,
        "新客户开发招待费超标",
        "制定《招待费分级审批制度》",
        "行政部",
        "*主任",
        date(2024, 7, 15),
    ),
    (
        "制造费用",
        "设备水电费",
        80_000,
        92_000,
        "夏季空调使用增加,设备满负荷运转",
        "调整生产班次,避开峰电时段",
        "生产部",
        "*主任",
        date(2024, 8, 1),
    ),
)
# The kinds the seed's causes imply: a price rise and the summer are outside the department's
# hands; hospitality over budget is not.
SEED_KINDS = (
    CauseKind.UNCONTROLLABLE,
    CauseKind.UNCONTROLLABLE,
    CauseKind.CONTROLLABLE,
    CauseKind.UNCONTROLLABLE,
)


def seed_lines(*, with_kinds: bool = True) -> tuple[CostLine, ...]:
    """The seed's June lines, keyed "1".."4"."""
    return tuple(
        CostLine(
            key=str(i),
            category=category,
            sub_item=sub_item,
            budget=Decimal(budget),
            actual=Decimal(actual),
            department=department,
            cause=cause,
            cause_kind=kind if with_kinds else None,
        )
        for i, (
            (category, sub_item, budget, actual, cause, _, department, _, _),
            kind,
        ) in enumerate(zip(SEED_JUNE, SEED_KINDS, strict=True), start=1)
    )


def seed_report_lines() -> tuple[CostReportLine, ...]:
    """The seed's June lines as report lines (all four are beyond ±10 %)."""
    return tuple(
        CostReportLine(
            category=category,
            sub_item=sub_item,
            budget=Decimal(budget),
            actual=Decimal(actual),
            cause=cause,
            cause_kind=kind,
            measure=measure,
            department=department,
            owner=owner,
            planned=planned,
            measure_status="进行中" if planned else "",
            flagged=True,
        )
        for (
            category,
            sub_item,
            budget,
            actual,
            cause,
            measure,
            department,
            owner,
            planned,
        ), kind in zip(SEED_JUNE, SEED_KINDS, strict=True)
    )


def seed_csv(*, delimiter: str = ",", title: bool = True) -> str:
    """The seed's June table as a user types it: the computed columns, "-" for no date."""
    header = [
        "成本类别",
        "子项",
        "预算(元)",
        "实际(元)",
        "差异额",
        "差异率",
        "原因分析",
        "改进措施",
        "责任部门",
        "责任人",
        "计划完成",
    ]
    lines = ["月度成本分析表 2024-06"] if title else []
    lines.append(delimiter.join(header))
    for category, sub_item, budget, actual, cause, measure, dept, owner, planned in SEED_JUNE:
        variance = actual - budget
        cells = [
            category,
            sub_item,
            f'"{budget:,}"',
            f'"{actual:,}"',
            f'"{variance:+,}"',
            f"{variance * 100 // budget:+}%",
            f'"{cause}"',
            f'"{measure}"',
            dept,
            owner,
            planned.isoformat() if planned else "-",
        ]
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"
