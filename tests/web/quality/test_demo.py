"""The quality demo: the template's seven standards and June 2024 exactly as SPEC.md T4, then
July–September follow-ups; the monthly analysis of June on those rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from opslens.core import quality as core
from opslens.web.common.models import Notification
from opslens.web.quality import services
from opslens.web.quality.models import Problem, ServiceStandard, Status
from tests.web.conftest import client_for
from tests.web.quality.conftest import u

# 检查日期 服务环节 检查方式 问题描述 等级 责任人/部门 整改措施 计划完成 整改状态 复查结果
SEED = [
    ("2024-06-05", "客服响应", "mystery_shopper", "咨询产品功能时,客服等待40秒才接听", "general",
     "客服部", "客服专员", "优化客服接听流程,增加高峰期人员", "2024-06-10", "closed",
     "6月10日抽查,25秒接听"),
    ("2024-06-08", "售后工单处理", "system_monitoring", '工单"5"超过72小时未给出解决方案',
     "serious", "售后部", "售后部主管", "协调技术部支持,6月9日前给出方案", "2024-06-09",
     "closed", "客户确认解决问题"),
    ("2024-06-10", "产品交付服务", "spot_check", "交付时未主动讲解产品使用注意事项", "minor",
     "物流部", "配送司机", "次日晨会强调,规范交付话术", "2024-06-11", "closed",
     "6月12日抽查,已规范"),
    ("2024-06-15", "在线咨询", "satisfaction_survey", '客户反馈"专业能力不足,解答错误"', "major",
     "客服部", "客服部经理", "组织产品专项培训,扣减当月绩效10%", "2024-06-20", "in_progress",
     "待培训后复查"),
]  # fmt: skip


def test_standards_are_the_templates_seven(demo_world: Any) -> None:
    depts, _heads = demo_world
    rows = {(s.stage, s.metric): s for s in ServiceStandard.objects.all()}
    assert len(rows) == 7
    for std in core.DEFAULT_STANDARDS:
        mine = rows[(std.stage, std.metric)]
        assert (mine.threshold, mine.unit, mine.comparison) == (
            std.threshold,
            std.unit,
            std.comparison.value,
        )
        assert mine.department == depts[std.department]


def test_june_is_the_seed(demo_world: Any) -> None:
    june = list(Problem.objects.filter(inspected_on__month=6).order_by("inspected_on"))
    assert len(june) == 4
    for problem, row in zip(june, SEED, strict=True):
        day, stage, method, text, level, dept, title, measure, planned, status, recheck = row
        assert problem.inspected_on == date.fromisoformat(day)
        assert (problem.stage, problem.method, problem.description) == (stage, method, text)
        assert problem.level == level
        assert problem.department.name == dept
        assert problem.responsible is not None and problem.responsible.title == title
        assert (problem.measure, problem.deadline) == (measure, date.fromisoformat(planned))
        assert (problem.status, problem.recheck_result) == (status, recheck)
    first, second, _third, fourth = june
    # the 40 s row: the rule says serious, the record general, with the reason kept
    assert first.standard is not None and first.standard.metric == "电话接听"
    assert (first.observed, first.rule_level, first.level) == (Decimal(40), "serious", "general")
    assert first.level_reason == "首次发生,高峰期临时缺员"
    assert first.recheck_value == Decimal(25) and first.closed_on == date(2024, 6, 10)
    assert second.accountability and second.closed_on == date(2024, 6, 9)
    assert fourth.accountability == "扣减当月绩效10%"
    assert fourth.level_reason  # major: chosen by a person, with the loss named
    assert fourth.is_overdue  # 2024-06-20 passed on the demo's today


def test_june_analysis(demo_world: Any) -> None:
    view = services.analyse_month("2024-06")
    result = view.analysis
    assert result.inspections == 4
    assert dict(result.by_severity) == {
        core.Severity.MINOR: 1,
        core.Severity.GENERAL: 1,
        core.Severity.SERIOUS: 1,
        core.Severity.MAJOR: 1,
    }
    assert (result.closed, result.open, result.overdue) == (3, 1, 1)
    # (5 + 1 + 2) / 3 days
    assert view.average_days == Decimal("2.7")
    assert [o.department for o in result.repeat_offenders] == ["客服部"]
    assert result.as_of == date(2024, 6, 30)


def test_later_months_make_the_pareto_meaningful(demo_world: Any) -> None:
    august = services.analyse_month("2024-08").analysis
    assert august.problem_types[0].name == "响应速度慢" and august.problem_types[0].vital
    persons = [o for o in august.repeat_offenders if o.responsible]
    assert [(o.responsible, o.problems) for o in persons] == [("刘芳", 2)]
    july = services.analyse_month("2024-07").analysis
    assert july.problem_types[0].name == "响应速度慢" and july.problem_types[0].count == 3
    # the 8 August serious one failed its first recheck, then closed
    failed = Problem.objects.get(inspected_on=date(2024, 8, 6))
    assert failed.status == Status.CLOSED
    assert failed.history.filter(recheck_result__startswith="8月8日抽查").exists()
    # open today: the June major one and 20 August (overdue), 27 August (awaiting recheck),
    # 9 September (just found)
    overdue = list(services.overdue_rectifications())
    assert [p.inspected_on for p in overdue] == [date(2024, 6, 15), date(2024, 8, 20)]
    assert Problem.objects.exclude(status=Status.CLOSED).count() == 4


def test_overdue_items_were_notified_once(demo_world: Any) -> None:
    _depts, heads = demo_world
    notes = Notification.objects.filter(user=heads["客服部"].user)
    assert notes.count() == 2  # the June major problem and 20 August
    assert services.notify_overdue_rectifications() == 0


def test_history_is_dated_by_the_replay(demo_world: Any) -> None:
    first = Problem.objects.get(inspected_on=date(2024, 6, 5))
    dates = sorted(timezone.localdate(h.history_date) for h in first.history.all())
    assert dates[0] == date(2024, 6, 5) and dates[-1] == date(2024, 6, 10)


def test_demo_pages_render(demo_world: Any) -> None:
    _depts, heads = demo_world
    client = client_for(heads["客服部"].user)
    for lang in ("en", "zh-hans"):
        for url in [
            u("dashboard"),
            u("analysis", "2024-06"),
            u("analysis", "2024-08"),
            u("standards"),
            *[p.get_absolute_url() for p in Problem.objects.all()],
        ]:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
            assert response.status_code == 200, url
    page = client.get(u("analysis", "2024-06"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert 'data-testid="inspections">4<' in html
    for level in ("minor", "general", "serious", "major"):
        assert f'data-testid="level-{level}">1<' in html
