"""The demo company's cross-department projects (T2).

新产品X上市项目 exactly as SPEC.md T2 — five subtasks, their lead and supporting departments,
milestones, risks — replayed day by day from 2024-06-01, so that its change history holds the
seed's table as it stood on 2024-07-15 (view the project "as of" that day) and, on the demo's
today (2024-09-10), one subtask is 滞后: 渠道铺货, blocked by 物流运力紧张, whose request to 物流部
has climbed to the coordination group. A second, closed project — opened from the procurement
process's bottleneck 总经理审批 — has its retrospective published as a collaboration guide.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from opslens.web.common import clock
from opslens.web.org.models import Department, Person, Role
from opslens.web.projects import services
from opslens.web.projects.models import (
    Dependency,
    Guide,
    Project,
    Retrospective,
    Risk,
    Subtask,
    Support,
    SupportRequest,
)
from opslens.web.projects.origins import OriginKind


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _save(obj: Any, when: datetime, user: Any = None) -> None:
    obj._history_date = when
    if user is not None:
        obj._history_user = user
    obj.save()


def _status(
    subtask: Subtask, day: date, status: str, who: Person, *, reason: str = "", hour: int = 17
) -> None:
    """A person sets a status on ``day`` (actual dates follow, as in the web form)."""
    subtask._history_date = _at(day, hour)
    # people without a login act through the project owner, who keeps the tracker
    subtask._history_user = who.user or subtask.project.owner.user
    with clock.fixed(day):
        services.set_status(subtask, status, blocked_reason=reason)


def _backdate(request: SupportRequest, raised: datetime) -> None:
    """A request raised at ``raised`` (the loader runs today): its row and its history."""
    SupportRequest.objects.filter(pk=request.pk).update(raised_at=raised)
    author = request.raised_by.user if request.raised_by is not None else None
    SupportRequest.history.filter(id=request.pk).update(
        raised_at=raised, history_date=raised, history_user=author
    )
    request.raised_at = raised


def load(depts: dict[str, Department], heads: dict[str, Person]) -> None:
    market, rnd, production = depts["市场部"], depts["研发部"], depts["生产部"]
    sales, logistics = depts["销售部"], depts["物流部"]
    ops_admin = Person.objects.filter(role=Role.OPS_ADMIN).order_by("id").first()
    gm = Person.objects.filter(department__code="zongjingban").order_by("id").first()
    owner = heads["市场部"]
    researcher = Person.objects.create(
        name="宋佳", title="市场调研专员", department=market, role=Role.MEMBER
    )
    planner = Person.objects.create(
        name="高远", title="营销策划专员", department=market, role=Role.MEMBER
    )

    start = date(2024, 6, 1)
    project = Project(
        name="新产品X上市项目",
        department=market,
        owner=owner,
        start_date=start,
        goal="2024年9月1日前完成新产品X上市：调研、原型、试产、营销方案与首批渠道铺货全部完成",
        deliverable="首批上架清单",
        measure="首批渠道全部上架，上市日期不晚于2024-09-01",
        deadline=date(2024, 9, 1),
        response_hours=24,
    )
    _save(project, _at(start, 9), owner.user)
    project.coordinators.set([p for p in (ops_admin,) if p is not None])
    project.management.set([p for p in (gm,) if p is not None])

    def subtask(position: int, **fields: Any) -> Subtask:
        item = Subtask(project=project, position=position, **fields)
        _save(item, _at(start, 9, 30), owner.user)
        return item

    research = subtask(
        1,
        name="市场调研",
        deliverable="市场调研报告",
        lead_department=market,
        responsible=researcher,
        duration_days=28,
        milestone=date(2024, 6, 30),
        planned_start=start,
    )
    prototype = subtask(
        2,
        name="产品原型设计",
        deliverable="产品原型图",
        lead_department=rnd,
        responsible=heads["研发部"],
        duration_days=20,
        milestone=date(2024, 7, 20),
    )
    trial = subtask(
        3,
        name="生产试制",
        deliverable="试产样品",
        lead_department=production,
        responsible=heads["生产部"],
        duration_days=18,
        milestone=date(2024, 8, 10),
    )
    marketing = subtask(
        4,
        name="营销方案制定",
        deliverable="营销策划案",
        lead_department=market,
        responsible=planner,
        duration_days=40,
        planned_start=date(2024, 7, 10),
        milestone=date(2024, 8, 25),
    )
    rollout = subtask(
        5,
        name="渠道铺货",
        deliverable="首批上架清单",
        lead_department=sales,
        responsible=heads["销售部"],
        duration_days=7,
        milestone=date(2024, 9, 1),
    )
    for successor, predecessor in [
        (prototype, research),
        (trial, prototype),  # 生产试制 starts after 产品原型定稿
        (marketing, research),
        (rollout, trial),
        (rollout, marketing),
    ]:
        _save(Dependency(subtask=successor, predecessor=predecessor), _at(start, 9, 40), owner.user)
    for item, dept, what, due in [
        (prototype, market, "3个工作日内反馈用户需求", date(2024, 7, 5)),
        (trial, rnd, "提供定稿图纸与工艺文件，驻场支持试产", date(2024, 7, 22)),
        (marketing, sales, "提供各渠道历史销售数据", date(2024, 8, 5)),
        (rollout, logistics, "安排首批货物运输", date(2024, 8, 28)),
    ]:
        _save(
            Support(subtask=item, department=dept, contribution=what, due_date=due),
            _at(start, 9, 50),
            owner.user,
        )
    risks = {}
    for item, text, risk_owner, mitigation in [
        (prototype, "市场部反馈延迟1天", owner, "需求反馈超时当天升级项目负责人"),
        (trial, "设备调试未完成", heads["生产部"], "7月20日前完成设备调试，预留1天缓冲"),
        (marketing, "销售部渠道数据未提供", heads["销售部"], "销售部8月6日前提供渠道数据"),
        (rollout, "物流运力紧张", heads["物流部"], "提前预订第三方运力，分批发货"),
    ]:
        risk = Risk(subtask=item, description=text, owner=risk_owner, mitigation=mitigation)
        _save(risk, _at(start, 10), owner.user)
        risks[item.pk] = risk

    # --- the replay: June to the seed's snapshot (2024-07-15) ----------------------------
    _status(research, date(2024, 6, 1), Subtask.Status.IN_PROGRESS, researcher, hour=9)
    _status(research, date(2024, 6, 28), Subtask.Status.DONE, researcher)
    _status(prototype, date(2024, 7, 1), Subtask.Status.IN_PROGRESS, heads["研发部"])
    _status(marketing, date(2024, 7, 10), Subtask.Status.IN_PROGRESS, planner)
    # 2024-07-15: 市场调研 已完成 · 产品原型设计 进行中 · 生产试制 未开始 · 营销方案制定 进行中 ·
    # 渠道铺货 未开始 — the seed's table.

    # --- after the snapshot: on to the demo's today ----------------------------------------
    _status(prototype, date(2024, 7, 21), Subtask.Status.DONE, heads["研发部"])  # 1 day late
    risk = risks[prototype.pk]
    risk.status = Risk.Status.CLOSED
    _save(risk, _at(date(2024, 7, 21), 18), owner.user)
    _status(trial, date(2024, 7, 22), Subtask.Status.IN_PROGRESS, heads["生产部"], hour=9)
    risk = risks[trial.pk]
    risk.status = Risk.Status.CLOSED
    _save(risk, _at(date(2024, 7, 22), 9), heads["生产部"].user)

    # 营销方案制定 is blocked by missing sales data; 销售部 answers after the first escalation.
    blocked = "销售部渠道数据未提供，无法确定渠道投放预算"
    _status(marketing, date(2024, 8, 5), Subtask.Status.BLOCKED, planner, reason=blocked, hour=9)
    with clock.fixed(date(2024, 8, 5)):
        request = services.raise_request(marketing, sales, "请提供各渠道近12个月销售数据", planner)
    _backdate(request, _at(date(2024, 8, 5), 10))
    services.escalate_requests(now=_at(date(2024, 8, 6), 12))  # level 1: the project owner
    with clock.fixed(date(2024, 8, 6)):
        services.answer_request(request, "已导出渠道销售数据并发送至市场部", heads["销售部"])
    SupportRequest.objects.filter(pk=request.pk).update(answered_at=_at(date(2024, 8, 6), 16))
    SupportRequest.history.filter(id=request.pk, history_type="~").update(
        history_date=_at(date(2024, 8, 6), 16), answered_at=_at(date(2024, 8, 6), 16)
    )
    _status(marketing, date(2024, 8, 6), Subtask.Status.IN_PROGRESS, planner)
    risk = risks[marketing.pk]
    risk.status = Risk.Status.CLOSED
    _save(risk, _at(date(2024, 8, 6), 17), owner.user)

    _status(trial, date(2024, 8, 8), Subtask.Status.DONE, heads["生产部"])
    _status(marketing, date(2024, 8, 23), Subtask.Status.DONE, planner)
    _status(rollout, date(2024, 8, 26), Subtask.Status.IN_PROGRESS, heads["销售部"], hour=9)
    _status(
        rollout,
        date(2024, 9, 2),
        Subtask.Status.BLOCKED,
        heads["销售部"],
        reason="物流运力紧张，首批货物未能按期发出",
    )
    with clock.fixed(date(2024, 9, 7)):
        request = services.raise_request(
            rollout, logistics, "请协调第三方运力，9月12日前发出首批货物", heads["销售部"]
        )
    _backdate(request, _at(date(2024, 9, 7), 17))
    # Unanswered: the project owner (09-08 17:00), then the coordination group (09-09 17:00).
    services.escalate_requests(now=_at(date(2024, 9, 10), 0))

    _pilot_project(depts, heads)
    Project.objects.update(last_digest_week="")


def _pilot_project(depts: dict[str, Department], heads: dict[str, Person]) -> None:
    """A closed project opened from the procurement bottleneck, with its published guide."""
    from opslens.web.processes.models import Step

    step = Step.objects.filter(
        version__process__name="采购申请审批流程", version__kind="as_is", name="总经理审批"
    ).first()
    purchasing, tech, finance = depts["采购部"], depts["技术部"], depts["财务部"]
    owner = heads["采购部"]
    start = date(2024, 6, 3)
    project = Project(
        name="采购审批提速：小额授权与线上审批",
        department=purchasing,
        owner=owner,
        start_date=start,
        goal="8月底前采购审批周期从97小时降到48小时以内，退回率从15%降到3%",
        deliverable="小额授权规则与线上审批流程",
        measure="审批周期 ≤ 48 小时，退回率 ≤ 3%，连续1个月",
        deadline=date(2024, 8, 31),
        status=Project.Status.CLOSED,
    )
    if step is not None:
        origin = services_origin(step.pk)
        if origin is not None:
            project.origin_kind = OriginKind.BOTTLENECK
            project.origin_ref = origin.ref
            project.origin_label = origin.label
            project.origin_url = origin.url
            project.origin_summary = origin.summary
    _save(project, _at(start, 9), owner.user)
    plan = [
        ("制定小额采购授权规则", "《采购审批授权细则》", purchasing, owner, 10, date(2024, 6, 14)),
        ("上线在线审批", "在线审批流程（OA）", tech, heads["技术部"], 21, date(2024, 7, 10)),
        ("建立共享预算台账", "预算台账（共享表）", finance, heads["财务部"], 14, date(2024, 7, 10)),
        ("培训与切换", "培训记录、切换公告", purchasing, owner, 7, date(2024, 7, 20)),
    ]
    items = []
    for position, (name, deliverable, dept, person, days, milestone) in enumerate(plan, 1):
        item = Subtask(
            project=project,
            position=position,
            name=name,
            deliverable=deliverable,
            lead_department=dept,
            responsible=person,
            duration_days=days,
            milestone=milestone,
            planned_start=start if position == 1 else None,
        )
        _save(item, _at(start, 9, 30), owner.user)
        items.append(item)
    for successor, predecessor in [(1, 0), (2, 0), (3, 1), (3, 2)]:
        _save(
            Dependency(subtask=items[successor], predecessor=items[predecessor]),
            _at(start, 9, 40),
            owner.user,
        )
    _save(
        Support(
            subtask=items[1],
            department=purchasing,
            contribution="提供审批节点与授权额度",
            due_date=date(2024, 6, 18),
        ),
        _at(start, 9, 50),
        owner.user,
    )
    for item, begin, finish in [
        (items[0], date(2024, 6, 3), date(2024, 6, 13)),
        (items[1], date(2024, 6, 14), date(2024, 7, 9)),
        (items[2], date(2024, 6, 17), date(2024, 7, 5)),
        (items[3], date(2024, 7, 11), date(2024, 7, 19)),
    ]:
        _status(item, begin, Subtask.Status.IN_PROGRESS, item.responsible, hour=9)
        _status(item, finish, Subtask.Status.DONE, item.responsible)
    retro = Retrospective(
        project=project,
        went_well="授权规则先行，技术部与财务部并行推进；每周同步会发现问题当天处理",
        to_improve="在线审批上线前测试不足，首周退回3单；培训材料准备晚了2天",
        lessons="\n".join(
            [
                "先定规则再上系统：授权额度由采购部与财务部共同签字确认",
                "每个子任务只设一个主责部门和一名第一责任人",
                "配合部门写清提供什么、何时提供，超过24小时未回复即升级",
                "上线前用上月真实单据做一轮全流程演练",
            ]
        ),
        author=owner,
    )
    _save(retro, _at(date(2024, 8, 30), 15), owner.user)
    with clock.fixed(date(2024, 8, 30)):
        guide = services.publish_guide(retro, owner)
    Guide.history.filter(id=guide.pk).update(
        history_date=_at(date(2024, 8, 30), 15, 30), history_user=owner.user
    )


def services_origin(step_pk: int) -> Any:
    from opslens.web.processes.services import project_origin

    return project_origin(step_pk, None)
