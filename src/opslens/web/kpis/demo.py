"""Demo KPIs: the company, sales and production KPIs of SPEC.md T5 with 8 months of history
(January–August 2024), replayed period by period so that the alert rules fire and recover as
they would have: 产品合格率 fired in May and recovered (its review closed with a cause), and
销售额 has been below its warning value for the last two weeks — the rule fired and its review
(启动销售复盘) is open."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from opslens.core import kpi as core
from opslens.web.common import clock
from opslens.web.kpis import services
from opslens.web.kpis.models import AlertRule, Kpi, KpiTarget, Review, Webhook
from opslens.web.org.models import Department, Person

TODAY = date(2024, 9, 10)
START = date(2024, 1, 1)
M = core.Frequency.MONTHLY
D = Decimal


def _kpi(**fields: Any) -> Kpi:
    fields.setdefault("tracked_from", START)
    return Kpi.objects.create(**fields)


def _wave(i: int, base: float, amplitude: float, period: float = 5.0) -> float:
    """A deterministic wobble so the demo history looks like data, not a ruler."""
    return base + amplitude * math.sin(i * 2 * math.pi / period + 0.7)


def _replay(kpi: Kpi, values: list[tuple[core.Period, Decimal, str]]) -> None:
    for period, value, note in values:
        day = min(period.due_date(kpi.due_day), TODAY)
        with clock.fixed(day):
            services.record_measurement(kpi, period, value, note=note, source="import")


def _months(until: date = date(2024, 8, 1)) -> list[core.Period]:
    return list(core.periods_between(M, START, until))


def load(depts: dict[str, Department], heads: dict[str, Person]) -> None:
    finance = depts["财务部"]
    sales = depts["销售部"]
    production = depts["生产部"]
    quality = depts["质检部"]
    market = depts["市场部"]
    admin_dept = depts["行政部"]
    clerk = Person.objects.create(name="孙悦", title="财务专员", department=finance, role="member")
    qc_clerk = Person.objects.create(
        name="何敏", title="质检专员", department=quality, role="member"
    )

    # --- company ---------------------------------------------------------------------------
    revenue = _kpi(
        name="营业收入",
        level="company",
        department=finance,
        owner=clerk,
        unit="万元",
        direction="higher",
        aggregation="sum",
        frequency="monthly",
        due_day=5,
        data_source="财务系统",
        calculation="当月确认的主营业务收入合计",
        baseline=D(1250),
    )
    year = core.Period(core.Frequency.YEARLY, date(2024, 1, 1))
    KpiTarget.objects.create(
        kpi=revenue, frequency="yearly", period_start=year.start, target=D(20000), warning=D(18000)
    )
    quarter_targets = [D(4000), D(4500), D(5000), D(5500)]  # the seed's split: 1.9亿, not 2亿
    month_targets = [
        D(1300),
        D(1300),
        D(1400),
        D(1500),
        D(1500),
        D(1500),
        D(1650),
        D(1650),
        D(1700),
        D(1800),
        D(1850),
        D(1850),
    ]
    for q, target in zip(year.children(core.Frequency.QUARTERLY), quarter_targets, strict=True):
        KpiTarget.objects.create(
            kpi=revenue,
            frequency="quarterly",
            period_start=q.start,
            target=target,
            warning=target * D("0.9"),
        )
    for m, target in zip(year.children(M), month_targets, strict=True):
        KpiTarget.objects.create(
            kpi=revenue,
            frequency="monthly",
            period_start=m.start,
            target=target,
            warning=(target * D("0.9")).quantize(D(1)),
        )
    actuals = [1320, 1250, 1420, 1530, 1480, 1550, 1600, 1705]
    notes = {1: "春节假期,发货天数减少", 6: "两家大客户回款推迟至8月"}
    _replay(
        revenue,
        [
            (p, D(v), notes.get(i, ""))
            for i, (p, v) in enumerate(zip(_months(), actuals, strict=True))
        ],
    )

    profit = _kpi(
        name="净利润",
        level="company",
        department=finance,
        owner=clerk,
        unit="万元",
        direction="higher",
        aggregation="sum",
        frequency="monthly",
        due_day=5,
        data_source="财务系统",
        calculation="利润总额 − 所得税",
        target=D(150),
        warning=D(120),
    )
    # August is missing: due on 5 September, so it shows as overdue on the demo's today.
    _replay(
        profit,
        [
            (p, D(v), "")
            for p, v in zip(
                _months(date(2024, 7, 1)), [152, 131, 160, 171, 149, 158, 118], strict=True
            )
        ],
    )

    satisfaction = _kpi(
        name="客户满意度",
        level="company",
        department=market,
        owner=heads["市场部"],
        unit="分",
        direction="higher",
        aggregation="average",
        frequency="weekly",
        due_day=2,
        data_source="客户满意度调研",
        calculation="当周回访问卷平均分(5分制)",
        target=D("4.5"),
        warning=D("4.3"),
    )
    weeks = list(core.periods_between(core.Frequency.WEEKLY, START, date(2024, 9, 8)))
    _replay(
        satisfaction,
        [(w, D(str(round(_wave(i, 4.52, 0.12, 7), 2))), "") for i, w in enumerate(weeks)],
    )

    turnover = _kpi(
        name="员工流失率",
        level="company",
        department=admin_dept,
        owner=heads["行政部"],
        unit="%",
        direction="lower",
        aggregation="average",
        frequency="monthly",
        due_day=10,
        data_source="HR报表",
        calculation="当月离职人数 / 月初在职人数 × 100%",
        target=D(2),
        warning=D(3),
    )
    _replay(
        turnover,
        [
            (p, D(v), "")
            for p, v in zip(
                _months(), ["1.8", "3.4", "2.2", "1.6", "1.9", "2.4", "1.7", "1.5"], strict=True
            )
        ],
    )

    _kpi(
        name="成本差异率",
        level="company",
        department=finance,
        owner=clerk,
        unit="%",
        direction="lower",
        aggregation="average",
        frequency="monthly",
        due_day=8,
        data_source="月度成本分析表(自动计算)",
        source_kind="cost_variance",
        calculation="Σ(实际 − 预算) / Σ预算 × 100%",
        target=D(5),
        warning=D(10),
        tracked_from=date(2024, 6, 1),
    )

    # --- sales -----------------------------------------------------------------------------
    sales_head = heads["销售部"]
    weekly_sales = _kpi(
        name="销售额",
        level="department",
        department=sales,
        owner=sales_head,
        unit="万元",
        direction="higher",
        aggregation="sum",
        frequency="weekly",
        due_day=1,
        data_source="CRM",
        calculation="当周签约订单金额合计",
        target=D(400),
        warning=D(360),
        baseline=D(380),
    )
    hook = Webhook.objects.create(
        name="销售群机器人(示例,未启用)",
        kind="dingtalk",
        url="http://127.0.0.1:9/robot/send?access_token=demo",
        department=sales,
        enabled=False,
    )
    rule = AlertRule.objects.create(
        kpi=weekly_sales,
        name="销售额连续两周低于预警值",
        condition="beyond_warning",
        periods=2,
        recovery="clear",
        recovery_periods=1,
        action="启动销售复盘",
        review_days=7,
    )
    rule.webhooks.add(hook)
    sales_weeks = list(core.periods_between(core.Frequency.WEEKLY, START, date(2024, 9, 8)))
    values = []
    for i, week in enumerate(sales_weeks):
        value = _wave(i, 415, 30, 6)
        note = ""
        if week.key in ("2024-W14",):  # one bad week alone does not fire
            value, note = 352, "清明假期"
        if week.key in ("2024-W35", "2024-W36"):
            value = {"2024-W35": 338, "2024-W36": 329}[week.key]
            note = "主力产品缺货,两家渠道商暂停进货"
        values.append((week, D(str(round(value))), note))
    _replay(weekly_sales, values)

    new_customers = _kpi(
        name="新客户数量",
        level="department",
        department=sales,
        owner=sales_head,
        unit="个",
        direction="higher",
        aggregation="sum",
        frequency="monthly",
        due_day=5,
        data_source="CRM",
        target=D(30),
        warning=D(25),
    )
    _replay(
        new_customers,
        [(p, D(v), "") for p, v in zip(_months(), [28, 24, 33, 31, 35, 29, 32, 34], strict=True)],
    )
    repeat = _kpi(
        name="客户复购率",
        level="department",
        department=sales,
        owner=sales_head,
        unit="%",
        direction="higher",
        aggregation="average",
        frequency="monthly",
        due_day=5,
        data_source="CRM",
        target=D(35),
        warning=D(30),
    )
    _replay(
        repeat,
        [(p, D(v), "") for p, v in zip(_months(), [33, 34, 36, 35, 37, 38, 36, 37], strict=True)],
    )
    expense = _kpi(
        name="销售费用率",
        level="department",
        department=sales,
        owner=sales_head,
        unit="%",
        direction="lower",
        aggregation="average",
        frequency="monthly",
        due_day=8,
        data_source="财务系统",
        calculation="销售费用 / 销售额 × 100%",
        target=D(8),
        warning=D(10),
    )
    _replay(
        expense,
        [
            (p, D(v), "")
            for p, v in zip(
                _months(), ["7.6", "9.2", "7.8", "7.4", "8.4", "10.6", "8.9", "7.9"], strict=True
            )
        ],
    )

    # --- production ------------------------------------------------------------------------
    output = _kpi(
        name="产量",
        level="department",
        department=production,
        owner=heads["生产部"],
        unit="件",
        direction="higher",
        aggregation="sum",
        frequency="monthly",
        due_day=3,
        data_source="MES",
        target=D(50000),
        warning=D(45000),
    )
    _replay(
        output,
        [
            (p, D(v), "")
            for p, v in zip(
                _months(), [48200, 41800, 51300, 52100, 50400, 53200, 49100, 52800], strict=True
            )
        ],
    )
    utilisation = _kpi(
        name="设备利用率",
        level="department",
        department=production,
        owner=heads["生产部"],
        unit="%",
        direction="band",
        aggregation="average",
        frequency="monthly",
        due_day=3,
        data_source="MES",
        calculation="实际运行时间 / 计划运行时间 × 100%",
        target=D(80),
        target_high=D(90),
        warning=D(75),
        warning_high=D(95),
    )
    _replay(
        utilisation,
        [(p, D(v), "") for p, v in zip(_months(), [82, 74, 86, 88, 91, 93, 96, 89], strict=True)],
    )
    per_head = _kpi(
        name="人均产值",
        level="department",
        department=production,
        owner=heads["生产部"],
        unit="万元/人",
        direction="higher",
        aggregation="sum",
        frequency="monthly",
        due_day=5,
        data_source="财务系统 + HR报表",
        target=D("8.5"),
        warning=D("7.5"),
    )
    _replay(
        per_head,
        [
            (p, D(v), "")
            for p, v in zip(
                _months(), ["8.6", "7.2", "8.8", "9.0", "8.7", "9.1", "8.4", "9.2"], strict=True
            )
        ],
    )

    quality_rate = _kpi(
        name="产品合格率",
        level="department",
        department=quality,
        owner=qc_clerk,
        unit="%",
        direction="higher",
        aggregation="average",
        frequency="daily",
        due_day=1,
        data_source="质检系统",
        calculation="当日合格品数 / 检验总数 × 100%",
        target=D("99.5"),
        warning=D(99),
        tracked_from=date(2024, 1, 1),
    )
    qrule = AlertRule.objects.create(
        kpi=quality_rate,
        name="合格率连续3天低于预警值",
        condition="beyond_warning",
        periods=3,
        recovery="met",
        recovery_periods=2,
        action="质量异常复盘",
        review_days=3,
    )
    days = list(core.periods_between(core.Frequency.DAILY, START, date(2024, 9, 9)))
    bad = {
        date(2024, 5, 14): "98.7",
        date(2024, 5, 15): "98.4",
        date(2024, 5, 16): "98.8",
        date(2024, 5, 17): "99.2",
    }
    daily = []
    for i, day in enumerate(days):
        text = bad.get(day.start) or str(round(_wave(i, 99.62, 0.2, 11), 2))
        note = "新批次原料杂质超标" if day.start in bad else ""
        daily.append((day, D(text), note))
    _replay(quality_rate, daily)
    review = Review.objects.filter(rule=qrule).first()
    if review is not None:
        review.cause = "5月新引入的原料批次杂质超标,来料检验抽检比例不足"
        review.suggestion = "来料检验抽检比例由5%提高到10%;供应商纳入月度质量评审"
        review.conclusion = "5月18日起合格率恢复到99.5%以上"
        review.status = Review.Status.DONE
        review.closed = review.opened + timedelta(days=3)
        review.save()

    # --- project ---------------------------------------------------------------------------
    cycle = _kpi(
        name="采购审批周期",
        level="project",
        project="采购申请审批流程优化试点",
        department=depts["采购部"],
        owner=heads["采购部"],
        unit="小时",
        direction="lower",
        aggregation="average",
        frequency="monthly",
        due_day=5,
        data_source="OA审批记录",
        calculation="提交申请到完成审批的平均小时数",
        baseline=D(97),
        target=D(49),
        warning=D(72),
        tracked_from=date(2024, 6, 1),
    )
    _replay(
        cycle,
        [
            (p, D(v), n)
            for p, v, n in zip(
                _months()[5:],
                [97, 61, 52],
                ["试点前基线", "试点第一个月:取消总经理审批环节", "试点第二个月"],
                strict=True,
            )
        ],
    )

    with clock.fixed(TODAY):
        services.compute_sources(today=TODAY)
