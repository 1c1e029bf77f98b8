"""Demo service quality: the seven standards of the template, June 2024 exactly as SPEC.md T4
(its four inspections), then July, August and early September follow-ups so that the monthly
analysis has a Pareto (响应速度慢 leads), a repeat offender (刘芳 twice in August) and an overdue
open item on the demo's today (2024-09-10). Each step is replayed on its own day with the
workbench clock fixed, so the change history and the overdue reminders carry sensible dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from opslens.web.common import clock
from opslens.web.org.models import Department, Person, Role
from opslens.web.quality import services
from opslens.web.quality.models import Level, Method, Problem, ServiceStandard, Status

TODAY = date(2024, 9, 10)
D = Decimal
L, M = Level, Method


@dataclass
class Row:
    day: date
    stage: str
    method: str
    description: str
    problem_type: str
    responsible: str  # a key of the people table below
    measure: str
    deadline: date | None
    metric: str = ""  # the standard's metric, when one applies
    observed: Decimal | None = None
    level: str = ""  # recorded level when it differs from the rule's (or no rule)
    reason: str = ""
    started: date | None = None
    done: date | None = None  # rectified: awaiting recheck
    recheck: str = ""
    recheck_on: date | None = None
    recheck_value: Decimal | None = None
    accountability: str = ""
    closed: bool = False
    failed: list[tuple[date, str, Decimal | None]] = field(default_factory=list)


# key → name, title, department (the heads of the demo departments are used as they are)
PEOPLE = {
    "客服专员": ("刘芳", "客服专员", "客服部"),
    "在线客服": ("陈静", "在线客服专员", "客服部"),
    "司机": ("李军", "配送司机", "物流部"),
    "售后专员": ("王磊", "售后专员", "售后部"),
    "质检专员": ("罗晴", "质检专员", "质检部"),
}

ROWS = [
    # --- June 2024: the seed's four rows -------------------------------------------------------
    Row(
        date(2024, 6, 5),
        "客服响应",
        M.MYSTERY_SHOPPER,
        "咨询产品功能时,客服等待40秒才接听",
        "响应速度慢",
        "客服专员",
        "优化客服接听流程,增加高峰期人员",
        date(2024, 6, 10),
        metric="电话接听",
        observed=D(40),
        level=L.GENERAL,
        reason="首次发生,高峰期临时缺员",
        started=date(2024, 6, 5),
        done=date(2024, 6, 9),
        recheck="6月10日抽查,25秒接听",
        recheck_on=date(2024, 6, 10),
        recheck_value=D(25),
        closed=True,
    ),
    Row(
        date(2024, 6, 8),
        "售后工单处理",
        M.SYSTEM_MONITORING,
        '工单"5"超过72小时未给出解决方案',
        "处理超时",
        "售后部",
        "协调技术部支持,6月9日前给出方案",
        date(2024, 6, 9),
        level=L.SERIOUS,
        started=date(2024, 6, 8),
        done=date(2024, 6, 9),
        recheck="客户确认解决问题",
        recheck_on=date(2024, 6, 9),
        accountability="售后部主管书面说明超时原因,纳入当月考核",
        closed=True,
    ),
    Row(
        date(2024, 6, 10),
        "产品交付服务",
        M.SPOT_CHECK,
        "交付时未主动讲解产品使用注意事项",
        "服务规范缺失",
        "司机",
        "次日晨会强调,规范交付话术",
        date(2024, 6, 11),
        level=L.MINOR,
        started=date(2024, 6, 10),
        done=date(2024, 6, 11),
        recheck="6月12日抽查,已规范",
        recheck_on=date(2024, 6, 12),
        closed=True,
    ),
    Row(
        date(2024, 6, 15),
        "在线咨询",
        M.SATISFACTION_SURVEY,
        '客户反馈"专业能力不足,解答错误"',
        "专业能力不足",
        "客服部",
        "组织产品专项培训,扣减当月绩效10%",
        date(2024, 6, 20),
        level=L.MAJOR,
        reason="解答错误,客户按错误方案操作造成损失",
        started=date(2024, 6, 15),
        recheck="待培训后复查",
        accountability="扣减当月绩效10%",
    ),
    # --- July -------------------------------------------------------------------------------
    Row(
        date(2024, 7, 3),
        "客服响应",
        M.SYSTEM_MONITORING,
        "系统监控:午间高峰平均接听用时33秒",
        "响应速度慢",
        "客服专员",
        "午间错峰就餐,保证在岗人数",
        None,
        metric="电话接听",
        observed=D(33),
        started=date(2024, 7, 3),
        done=date(2024, 7, 4),
        recheck="7月4日监控,平均26秒接听",
        recheck_on=date(2024, 7, 4),
        recheck_value=D(26),
        closed=True,
    ),
    Row(
        date(2024, 7, 12),
        "在线咨询",
        M.MYSTERY_SHOPPER,
        "在线咨询首次回复用时2分30秒",
        "响应速度慢",
        "在线客服",
        "设置常见问题快捷回复,超过1分钟未回复自动提醒",
        date(2024, 7, 15),
        metric="在线回复",
        observed=D("2.5"),
        started=date(2024, 7, 12),
        done=date(2024, 7, 15),
        recheck="7月16日神秘顾客复查,1分30秒回复",
        recheck_on=date(2024, 7, 16),
        recheck_value=D("1.5"),
        closed=True,
    ),
    Row(
        date(2024, 7, 18),
        "售后工单处理",
        M.SYSTEM_MONITORING,
        "售后工单平均响应5.5小时,夜间工单无人接单",
        "响应速度慢",
        "售后专员",
        "设夜间值班,工单超2小时未响应自动升级主管",
        None,
        metric="售后工单响应",
        observed=D("5.5"),
        started=date(2024, 7, 18),
        done=date(2024, 7, 19),
        recheck="7月22日监控,平均响应3小时",
        recheck_on=date(2024, 7, 22),
        recheck_value=D(3),
        accountability="当班专员书面检讨,扣减当月绩效5%",
        closed=True,
    ),
    Row(
        date(2024, 7, 25),
        "整体服务",
        M.SATISFACTION_SURVEY,
        "7月客户满意度调研得分4.2分",
        "服务态度",
        "客服部",
        "开展服务礼仪培训,每周抽听录音点评",
        date(2024, 7, 31),
        metric="客户满意度",
        observed=D("4.2"),
        started=date(2024, 7, 25),
        done=date(2024, 7, 31),
        recheck="8月1日回访调研,得分4.6分",
        recheck_on=date(2024, 8, 1),
        recheck_value=D("4.6"),
        closed=True,
    ),
    # --- August -----------------------------------------------------------------------------
    Row(
        date(2024, 8, 6),
        "客服响应",
        M.MYSTERY_SHOPPER,
        "神秘顾客来电,等待45秒才接听",
        "响应速度慢",
        "客服专员",
        "高峰期增设2名备岗人员,接听超时实时提醒",
        date(2024, 8, 8),
        metric="电话接听",
        observed=D(45),
        started=date(2024, 8, 6),
        done=date(2024, 8, 8),
        recheck="8月9日抽查,24秒接听",
        recheck_on=date(2024, 8, 9),
        recheck_value=D(24),
        accountability="刘芳书面检讨,扣减当月绩效5%",
        closed=True,
        failed=[(date(2024, 8, 8), "8月8日抽查,仍需38秒接听,备岗人员未到位", D(38))],
    ),
    Row(
        date(2024, 8, 20),
        "客服响应",
        M.SYSTEM_MONITORING,
        "系统监控:8月第三周平均接听用时36秒",
        "响应速度慢",
        "客服专员",
        "排班按来电量预测调整,周报通报接听时长",
        None,
        metric="电话接听",
        observed=D(36),
        started=date(2024, 8, 20),
    ),
    Row(
        date(2024, 8, 27),
        "产品交付服务",
        M.SPOT_CHECK,
        "送货前未电话预约,客户不在家二次配送",
        "服务规范缺失",
        "司机",
        "配送前一小时电话预约,纳入交付检查表",
        date(2024, 9, 13),
        level=L.GENERAL,
        started=date(2024, 8, 28),
        done=date(2024, 9, 9),
    ),
    # --- September (the month is running) ---------------------------------------------------
    Row(
        date(2024, 9, 9),
        "在线咨询",
        M.SYSTEM_MONITORING,
        "系统监控:9月9日在线首次回复平均2分12秒",
        "响应速度慢",
        "在线客服",
        "",
        None,
        metric="在线回复",
        observed=D("2.2"),
    ),
]


def _people(depts: dict[str, Department], heads: dict[str, Person]) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for key, (name, title, dept_name) in PEOPLE.items():
        dept = depts[dept_name]
        person = Person.objects.filter(name=name, department=dept).first()
        if person is None:
            person = Person.objects.create(
                name=name, title=title, department=dept, role=Role.MEMBER
            )
        people[key] = person
    for dept_name in ("客服部", "售后部", "物流部", "质检部"):
        head = heads.get(dept_name)
        if head is not None:
            people[dept_name] = head
    return people


def load(depts: dict[str, Department], heads: dict[str, Person]) -> None:
    with clock.fixed(date(2024, 6, 1)):
        services.add_default_standards()
    standards = {s.metric: s for s in ServiceStandard.objects.all()}
    people = _people(depts, heads)
    inspector = people["质检专员"]
    for row in ROWS:
        _replay(row, standards, people, inspector)
    # The schedule's overdue reminders, on the days they would have gone out.
    for day in (date(2024, 6, 21), date(2024, 8, 24), TODAY):
        with clock.fixed(day):
            services.notify_overdue_rectifications()


def _replay(
    row: Row,
    standards: dict[str, ServiceStandard],
    people: dict[str, Person],
    inspector: Person,
) -> Problem:
    standard = standards.get(row.metric) if row.metric else None
    responsible = people[row.responsible]
    with clock.fixed(row.day):
        rule = services.rule_level(standard, row.observed)
        level = row.level or (rule.value if rule else "")
        problem = Problem.objects.create(
            inspected_on=row.day,
            stage=row.stage,
            method=row.method,
            standard=standard,
            observed=row.observed,
            description=row.description,
            problem_type=row.problem_type,
            department=responsible.department,
            responsible=responsible,
            inspector=inspector,
            rule_level=rule.value if rule else "",
            level=level,
            level_reason=row.reason,
            measure=row.measure,
            deadline=row.deadline,
        )
    if row.started:
        with clock.fixed(row.started):
            services.move(problem, Status.IN_PROGRESS)
    for day, result, value in row.failed:
        with clock.fixed(day):
            services.move(problem, Status.AWAITING_RECHECK)
            services.fail_recheck(
                problem,
                {
                    "recheck_result": result,
                    "recheck_on": day,
                    "rechecker": inspector,
                    "recheck_value": value,
                },
            )
    if row.done:
        with clock.fixed(row.done):
            services.move(problem, Status.AWAITING_RECHECK)
    if row.closed:
        assert row.recheck_on is not None
        with clock.fixed(row.recheck_on):
            blockers = services.close(
                problem,
                {
                    "recheck_result": row.recheck,
                    "recheck_on": row.recheck_on,
                    "rechecker": inspector,
                    "recheck_value": row.recheck_value,
                    "accountability": row.accountability,
                },
            )
            assert not blockers, (row.description, blockers)
    elif row.recheck or row.accountability:
        with clock.fixed(row.started or row.day):
            problem.recheck_result = row.recheck
            problem.accountability = row.accountability
            problem.save()
    return problem
