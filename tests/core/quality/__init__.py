"""Tests of opslens.core.quality; the seed's June 2024 inspections (T4) are shared here."""

from __future__ import annotations

from datetime import date

from opslens.core.quality import Inspection, InspectionMethod, Severity

# seed T4, 服务质量检查与改进表 2024-06 (the problem types are ours: the seed has no such column):
# (检查日期, 服务环节, 检查方式, 问题类型, 等级, 责任人, 部门, 计划完成, 关闭日期)
SEED_JUNE = (
    (
        date(2024, 6, 5),
        "客服响应",
        InspectionMethod.MYSTERY_SHOPPER,  # 客服等待40秒才接听
        "响应速度慢",
        Severity.GENERAL,
        "*专员",
        "客服部",
        date(2024, 6, 10),
        date(2024, 6, 10),  # 6月10日抽查,25秒接听
    ),
    (
        date(2024, 6, 8),
        "售后工单处理",
        InspectionMethod.SYSTEM_MONITORING,  # 工单超过72小时未给出解决方案
        "响应速度慢",
        Severity.SERIOUS,
        "*主管",
        "售后部",
        date(2024, 6, 9),
        date(2024, 6, 9),  # 客户确认解决问题
    ),
    (
        date(2024, 6, 10),
        "产品交付服务",
        InspectionMethod.SPOT_CHECK,  # 交付时未主动讲解产品使用注意事项
        "服务规范不到位",
        Severity.MINOR,
        "*司机",
        "物流部",
        date(2024, 6, 11),
        date(2024, 6, 12),  # 6月12日抽查,已规范
    ),
    (
        date(2024, 6, 15),
        "在线咨询",
        InspectionMethod.SATISFACTION_SURVEY,  # 客户反馈"专业能力不足,解答错误"
        "专业能力不足",
        Severity.MAJOR,
        "*经理",
        "客服部",
        date(2024, 6, 20),
        None,  # 进行中, 待培训后复查
    ),
)


def seed_inspections() -> tuple[Inspection, ...]:
    """The four June 2024 inspections of SPEC T4, keys "1" to "4"."""
    return tuple(
        Inspection(
            key=str(number),
            day=day,
            stage=stage,
            method=method,
            problem_type=problem_type,
            severity=severity,
            responsible=responsible,
            department=department,
            found_on=day,
            closed_on=closed_on,
            deadline=deadline,
        )
        for number, (
            day,
            stage,
            method,
            problem_type,
            severity,
            responsible,
            department,
            deadline,
            closed_on,
        ) in enumerate(SEED_JUNE, start=1)
    )
