"""The demo company: departments, people and logins, the two T1 processes of SPEC.md, the T3
cost months June–August 2024, the T5 KPIs with 8 months of history, the T2 project 新产品X上市项目,
the T4 service inspections of June 2024 and a generated six-month complaint-handling log.

Idempotent: loading twice changes nothing (the first department is the marker).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from simple_history.models import HistoricalRecords

from opslens.core.processmap import EcrsChange as CoreChange
from opslens.web.common import clock
from opslens.web.org.models import Department, Person, Role

# code, name, head's name, head's title
DEPARTMENTS = [
    ("caigou", "采购部", "王强", "采购部经理"),
    ("caiwu", "财务部", "李娜", "财务经理"),
    ("shichang", "市场部", "张伟", "市场部经理"),
    ("yanfa", "研发部", "刘洋", "研发部经理"),
    ("shengchan", "生产部", "陈刚", "生产部主任"),
    ("xiaoshou", "销售部", "杨帆", "销售部主管"),
    ("wuliu", "物流部", "赵磊", "物流部经理"),
    ("kefu", "客服部", "黄丽", "客服部经理"),
    ("shouhou", "售后部", "周杰", "售后部主管"),
    ("xingzheng", "行政部", "吴敏", "行政部主任"),
    ("zhijian", "质检部", "徐静", "质检部经理"),
    ("jishu", "技术部", "孙浩", "技术部经理"),
]
OPERATIONS = ("yunying", "运营部")
PASSWORD = "demo"

# (username, role, department) as printed by `opslens demo` and listed in the README.
DEMO_USERS = [
    ("demo", "operations admin", "运营部"),
    ("analyst", "analyst", "运营部"),
    ("viewer", "viewer", "总经办"),
    *[(code, "department head", name) for code, name, _head, _title in DEPARTMENTS],
]


def _user(username: str, email: str) -> object:
    User = get_user_model()
    user = User.objects.create_user(username=username, password=PASSWORD, email=email)
    return user


def load_demo() -> bool:
    """Create the demo company; returns False when it is already there."""
    if Department.objects.filter(code=DEPARTMENTS[0][0]).exists():
        return False
    try:
        with translation.override("zh-hans"):  # the demo company works in Chinese
            return _load()
    finally:
        if hasattr(HistoricalRecords.context, "request"):
            del HistoricalRecords.context.request


@transaction.atomic
def _load() -> bool:
    depts: dict[str, Department] = {}
    heads: dict[str, Person] = {}
    for code, name, head, title in DEPARTMENTS:
        dept = Department.objects.create(code=code, name=name)
        depts[name] = dept
        heads[name] = Person.objects.create(
            name=head,
            title=title,
            department=dept,
            role=Role.HEAD,
            email=f"{code}@demo.opslens.local",
            user=_user(code, f"{code}@demo.opslens.local"),
        )
    ops = Department.objects.create(
        code=OPERATIONS[0], name=OPERATIONS[1], description="流程优化小组"
    )
    gm_office = Department.objects.create(code="zongjingban", name="总经办")
    depts[ops.name] = ops
    depts[gm_office.name] = gm_office
    admin_user = _user("demo", "demo@demo.opslens.local")
    admin_user.is_staff = True  # type: ignore[attr-defined]
    admin_user.save()  # type: ignore[attr-defined]
    # The change history shows the operations admin as the author of the demo records.
    HistoricalRecords.context.request = SimpleNamespace(user=admin_user)
    Person.objects.create(
        name="林晓",
        title="运营总监",
        department=ops,
        role=Role.OPS_ADMIN,
        user=admin_user,
        email="demo@demo.opslens.local",
    )
    Person.objects.create(
        name="郑宇",
        title="流程分析师",
        department=ops,
        role=Role.ANALYST,
        user=_user("analyst", "analyst@demo.opslens.local"),
    )
    Person.objects.create(
        name="何总",
        title="总经理",
        department=gm_office,
        role=Role.VIEWER,
        user=_user("viewer", "viewer@demo.opslens.local"),
    )
    # People without a login.
    Person.objects.create(
        name="马丽", title="采购专员", department=depts["采购部"], role=Role.MEMBER
    )
    Person.objects.create(name="钱程", title="工程师", department=depts["技术部"], role=Role.MEMBER)
    Person.objects.create(
        name="冯晨", title="客服专员", department=depts["客服部"], role=Role.MEMBER
    )

    _procurement(depts, heads)
    _complaints(depts, heads)

    from opslens.web.costs import demo as cost_demo
    from opslens.web.kpis import demo as kpi_demo
    from opslens.web.org.models import CostAccess

    Department.objects.filter(pk=depts["财务部"].pk).update(cost_access=CostAccess.FINANCE)
    Department.objects.filter(pk=gm_office.pk).update(cost_access=CostAccess.MANAGEMENT)
    cost_demo.load(depts, heads, closed_by=heads["财务部"].user)
    kpi_demo.load(depts, heads)
    from opslens.web.projects import demo as project_demo

    project_demo.load(depts, heads)
    from opslens.web.quality import demo as quality_demo

    quality_demo.load(depts, heads)
    from opslens.web.datasets import demo as dataset_demo

    dataset_demo.load(depts, heads, user=admin_user)
    return True


def _procurement(depts: dict[str, Department], heads: dict[str, Person]) -> None:
    from opslens.web.processes.models import (
        FishboneCause,
        Process,
        ProcessVersion,
        Remedy,
        Step,
        WhyChain,
    )
    from opslens.web.processes.services import apply_change, derive_version

    process = Process.objects.create(
        name="采购申请审批流程",
        start_point="提交采购申请",
        end_point="完成采购入库",
        record_date=date(2024, 5, 20),
        description="数据来源：抽查近3个月采购申请单；另统计审批退回率与数据重复录入次数。",
    )
    process.departments.set([depts["采购部"], depts["财务部"]])
    as_is = ProcessVersion.objects.create(process=process, kind="as_is", label="现状（2024-05）")
    rows = [
        (
            "填写申请表",
            "申请人",
            "申请部门",
            "采购需求明细",
            "纸质/电子申请表",
            "1",
            None,
            "纸质申请表",
        ),
        ("部门经理审批", "部门经理", "申请部门", "申请表", "审批意见", "24", None, "纸质申请表"),
        (
            "采购部审核",
            "采购专员",
            "采购部",
            "申请表、库存表",
            "审核结果",
            "12",
            "15",
            "库存台账（Excel）",
        ),
        (
            "财务部复核",
            "财务经理",
            "财务部",
            "申请表、预算表",
            "复核意见",
            "12",
            None,
            "预算表（Excel）",
        ),
        (
            "总经理审批",
            "总经理",
            "总经办",
            "申请表、审批意见",
            "最终审批结果",
            "48",
            None,
            "纸质申请表",
        ),
    ]
    steps = {}
    for position, (name, role, dept, inp, out, hours, rate, system) in enumerate(rows, start=1):
        steps[name] = Step.objects.create(
            version=as_is,
            position=position,
            stage=position,
            name=name,
            role=role,
            department=dept,
            inputs=inp,
            outputs=out,
            hours=Decimal(hours),
            return_rate=Decimal(rate) if rate else None,
            system=system,
        )
    gm = steps["总经理审批"]
    WhyChain.objects.create(
        step=gm,
        problem="总经理审批平均耗时48小时，占全流程49.5%",
        why_1="申请单在总经理处排队等待",
        why_2="总经理经常出差，不在岗时无法审批",
        why_3="所有金额的采购都必须由总经理审批",
        why_4="审批权限没有按金额分级",
        why_5="审批制度多年未修订，也没有线上代理审批",
        root_cause="审批权限设置不合理",
    )
    for category, cause, root in [
        ("man", "审批人不在岗（出差、会议）", False),
        ("machine", "没有线上审批系统，无法移动审批", False),
        ("material", "纸质表单传递效率低，需要人工递送", False),
        ("method", "审批权限设置不合理：小额采购也需总经理审批", True),
        ("environment", "跨部门信息不互通，库存与预算数据重复录入", False),
        ("measurement", "未统计各环节审批时效与退回原因", False),
    ]:
        FishboneCause.objects.create(step=gm, category=category, cause=cause, is_root=root)
    today = clock.today()
    Remedy.objects.create(
        step=gm,
        what="调整审批额度：5万元以下采购由部门经理终审，取消总经理审批节点",
        owner=heads["采购部"],
        due_date=date(2024, 6, 30),
        verification="采购审批周期从96小时缩短至48小时以内，持续跟踪3个月",
        status=Remedy.Status.VERIFIED,
        result="2024年7—9月平均审批周期48小时，退回率3%",
    )
    Remedy.objects.create(
        step=gm,
        what="上线OA采购审批模块，申请、审批、存档全程电子化",
        owner=heads["技术部"],
        due_date=today + timedelta(days=21),
        verification="上线后审批时效缩短50%",
        status=Remedy.Status.IN_PROGRESS,
    )
    Remedy.objects.create(
        step=steps["采购部审核"],
        what="建立采购与财务共享数据台账，避免重复录入",
        owner=heads["财务部"],
        due_date=today - timedelta(days=5),
        verification="数据重复录入次数降为0；审批退回率从15%降至3%",
        status=Remedy.Status.PLANNED,
    )
    to_be = derive_version(as_is, label="优化方案：审批权限分级")
    copy = to_be.steps.get(name="总经理审批")
    apply_change(
        to_be,
        CoreChange(kind="eliminate", step_key=str(copy.pk), note="小额采购审批权限下放至部门经理"),
        user=None,
        note="小额采购审批权限下放至部门经理；超过5万元的采购仍走总经理审批（另行统计）",
    )
    to_be.status = ProcessVersion.Status.PILOT
    to_be.notes = "试点：采购部先行试运行1个月（2024-07），全面推行后跟踪1—3个月。"
    to_be.save()


def _complaints(depts: dict[str, Department], heads: dict[str, Person]) -> None:
    from opslens.web.processes.models import Process, ProcessVersion, Remedy, Step, WhyChain
    from opslens.web.processes.services import apply_change, derive_version

    process = Process.objects.create(
        name="客户投诉处理流程",
        start_point="客户提交投诉",
        end_point="反馈客户并关闭工单",
        record_date=date(2024, 6, 15),
        description=(
            "痛点：客户投诉处理平均耗时3天，超时率40%。目标：3个月内平均耗时缩短至1.5天，"
            "超时率降至10%以下。范围：仅售后投诉处理子流程。"
        ),
    )
    process.departments.set([depts["客服部"], depts["技术部"], depts["售后部"]])
    as_is = ProcessVersion.objects.create(process=process, kind="as_is", label="现状")
    rows = [
        ("客服记录", "客服专员", "客服部", "客户投诉", "投诉工单", "4.8", "5", "CRM"),
        ("投诉分级", "客服主管", "客服部", "投诉工单", "分级结果", "2.4", "15", "CRM"),
        ("技术处理", "工程师", "技术部", "分级工单", "处理方案", "28.8", "8", "工单系统"),
        ("反馈客户", "售后专员", "售后部", "处理方案", "客户回复", "12", "30", "电话/短信"),
    ]
    steps = {}
    for position, (name, role, dept, inp, out, hours, rate, system) in enumerate(rows, start=1):
        steps[name] = Step.objects.create(
            version=as_is,
            position=position,
            stage=position,
            name=name,
            role=role,
            department=dept,
            inputs=inp,
            outputs=out,
            hours=Decimal(hours),
            return_rate=Decimal(rate),
            system=system,
            note="超时率30%" if name == "反馈客户" else "",
        )
    tech = steps["技术处理"]
    WhyChain.objects.create(
        step=tech,
        problem="技术处理平均耗时1.2天，是全流程瓶颈",
        why_1="技术部响应慢",
        why_2="工程师手上积压的工单多",
        why_3="工单分配不均衡",
        why_4="没有按紧急程度排优先级的规则",
        why_5="工单系统不能自动分配",
        root_cause="缺少按紧急程度和工程师负荷自动分配的机制",
    )
    Remedy.objects.create(
        step=tech,
        what="工单系统按紧急程度和工程师负荷自动分配优先级，取消人工手动分配",
        owner=heads["技术部"],
        due_date=clock.today() + timedelta(days=21),
        verification="技术处理平均耗时从1.2天降至0.6天（-50%），超时率降至10%以下",
        status=Remedy.Status.PLANNED,
    )
    to_be = derive_version(as_is, label="方案：系统自动分配")
    tech_copy = to_be.steps.get(name="技术处理")
    apply_change(
        to_be,
        CoreChange(kind="simplify", step_key=str(tech_copy.pk), new_hours=Decimal("14.4")),
        user=None,
        note="系统自动分配优先级：中等成本，预计耗时-50%，3周上线",
    )
    grade_copy = to_be.steps.get(name="投诉分级")
    apply_change(
        to_be,
        CoreChange(kind="simplify", step_key=str(grade_copy.pk), new_hours=Decimal("0.5")),
        user=None,
        note="系统按规则自动分级，客服主管只复核例外",
    )
