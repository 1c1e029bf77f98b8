"""Tests of opslens.core.processmap; the seed's procurement table (T1) is shared here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from opslens.core.processmap import ProcessHeader, ProcessSheet, Step

# seed 004, T1: 采购申请审批流程 (name, role, input, output, hours)
SEED_ROWS = (
    ("填写申请表", "申请人", "采购需求明细", "纸质/电子申请表", 1),
    ("部门经理审批", "部门经理", "申请表", "审批意见", 24),
    ("采购部审核", "采购专员", "申请表、库存表", "审核结果", 12),
    ("财务部复核", "财务经理", "申请表、预算表", "复核意见", 12),
    ("总经理审批", "总经理", "申请表、审批意见", "最终审批结果", 48),
)
SEED_HEADER = ProcessHeader(
    name="采购申请审批流程",
    departments=("采购部", "财务部"),
    start_point="提交采购申请",
    end_point="完成采购入库",
    record_date=date(2024, 5, 20),
)


def seed_steps(*, staged: bool = True) -> tuple[Step, ...]:
    """The seed's five steps, keyed "1".."5"; stages 1..5 (or all 0 when not ``staged``)."""
    return tuple(
        Step(
            key=str(i),
            name=name,
            hours=Decimal(hours),
            role=role,
            inputs=inputs,
            outputs=outputs,
            stage=i if staged else 0,
        )
        for i, (name, role, inputs, outputs, hours) in enumerate(SEED_ROWS, start=1)
    )


def seed_sheet() -> ProcessSheet:
    return ProcessSheet(header=SEED_HEADER, steps=seed_steps())
