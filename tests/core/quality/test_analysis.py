"""The month's analysis on the seed's four June 2024 inspections, and its edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from opslens.core.errors import ConfigError, InputError
from opslens.core.quality import (
    OffenderKind,
    ParetoItem,
    Severity,
    analyze_month,
    rank_pareto,
)

from . import seed_inspections

D = Decimal


def test_seed_june_counts_by_level() -> None:
    june = analyze_month(seed_inspections(), "2024-06")
    assert june.month == "2024-06"
    assert june.as_of == date(2024, 6, 30)
    assert june.inspections == 4
    assert dict(june.by_severity) == {
        Severity.MINOR: 1,
        Severity.GENERAL: 1,
        Severity.SERIOUS: 1,
        Severity.MAJOR: 1,
    }
    assert list(june.by_severity) == list(Severity)


def test_seed_june_pareto_of_problem_types() -> None:
    types = analyze_month(seed_inspections(), "2024-06").problem_types
    assert types == (
        ParetoItem("响应速度慢", 2, D("0.5"), D("0.5"), vital=True),
        # ties by name: 专 (U+4E13) before 服 (U+670D)
        ParetoItem("专业能力不足", 1, D("0.25"), D("0.75"), vital=True),
        # 75 % before it is below 80 %: it is needed to reach 80 %
        ParetoItem("服务规范不到位", 1, D("0.25"), D(1), vital=True),
    )
    assert sum(i.share for i in types) == 1


def test_seed_june_pareto_of_stages() -> None:
    stages = analyze_month(seed_inspections(), "2024-06").stages
    assert [s.name for s in stages] == sorted(
        ["客服响应", "售后工单处理", "产品交付服务", "在线咨询"]
    )
    assert [s.count for s in stages] == [1, 1, 1, 1]
    assert [s.cumulative_share for s in stages] == [D("0.25"), D("0.5"), D("0.75"), D(1)]
    assert sum(s.share for s in stages) == 1


def test_seed_june_closing() -> None:
    june = analyze_month(seed_inspections(), "2024-06")
    # closed after 5, 1 and 2 days; the 重大 one is still 进行中 past its 06-20 deadline
    assert june.closed == 3
    assert june.average_days_to_close == D(8) / D(3)
    assert june.open == 1
    assert june.overdue == 1
    assert june.overdue_keys == ("4",)


def test_seed_june_repeat_offenders() -> None:
    offenders = analyze_month(seed_inspections(), "2024-06").repeat_offenders
    assert len(offenders) == 1
    (service,) = offenders
    assert service.kind is OffenderKind.DEPARTMENT
    assert (service.department, service.responsible, service.problems) == ("客服部", "", 2)
    assert service.keys == ("1", "4")
    assert service.problem_types == ("专业能力不足", "响应速度慢")


def test_a_person_twice_is_a_repeat_offender_but_same_name_elsewhere_is_not() -> None:
    seed = seed_inspections()
    again = replace(
        seed[0], key="5", day=date(2024, 6, 20), found_on=date(2024, 6, 20), closed_on=None
    )
    elsewhere = replace(seed[1], key="6", responsible="*专员")  # 售后部*专员, another person
    offenders = analyze_month((*seed, again, elsewhere), "2024-06").repeat_offenders
    assert [(o.kind, o.department, o.responsible, o.problems) for o in offenders] == [
        (OffenderKind.DEPARTMENT, "客服部", "", 3),
        (OffenderKind.PERSON, "客服部", "*专员", 2),
        (OffenderKind.DEPARTMENT, "售后部", "", 2),
    ]
    assert offenders[1].keys == ("1", "5")


def test_as_of_an_earlier_day() -> None:
    june_18 = analyze_month(seed_inspections(), "2024-06", as_of=date(2024, 6, 18))
    assert june_18.inspections == 4
    assert (june_18.open, june_18.overdue) == (1, 0)  # deadline 06-20 not yet passed
    june_11 = analyze_month(seed_inspections(), "2024-06", as_of=date(2024, 6, 11))
    # only the first three were found by then; the third closes on 06-12, deadline 06-11
    assert june_11.inspections == 3
    assert (june_11.closed, june_11.open, june_11.overdue) == (2, 1, 0)
    assert june_11.average_days_to_close == 3
    june_12 = analyze_month(seed_inspections(), "2024-06", as_of=date(2024, 6, 12))
    assert (june_12.closed, june_12.open, june_12.overdue) == (3, 0, 0)


def test_late_report_counts_later_closings() -> None:
    seed = seed_inspections()
    closed = (*seed[:3], replace(seed[3], closed_on=date(2024, 7, 2)))
    at_month_end = analyze_month(closed, "2024-06")
    assert (at_month_end.closed, at_month_end.overdue) == (3, 1)
    late = analyze_month(closed, "2024-06", as_of=date(2024, 7, 5))
    assert (late.closed, late.open, late.overdue) == (4, 0, 0)
    assert late.average_days_to_close == D(5 + 1 + 2 + 17) / 4


def test_default_deadline_when_an_inspection_has_none() -> None:
    seed = seed_inspections()
    open_minor = replace(seed[2], closed_on=None, deadline=None)  # found 06-10, MINOR: 06-11
    june_11 = analyze_month([open_minor], "2024-06", as_of=date(2024, 6, 11))
    june_12 = analyze_month([open_minor], "2024-06", as_of=date(2024, 6, 12))
    assert (june_11.overdue, june_12.overdue) == (0, 1)
    own_days = analyze_month(
        [open_minor], "2024-06", as_of=date(2024, 6, 12), deadline_days={Severity.MINOR: 3}
    )
    assert own_days.overdue == 0


def test_other_months_are_left_out() -> None:
    seed = seed_inspections()
    may = replace(seed[0], key="m", day=date(2024, 5, 31), found_on=date(2024, 5, 31))
    july = replace(
        seed[0], key="j", day=date(2024, 7, 1), found_on=date(2024, 7, 1), closed_on=None
    )
    june = analyze_month((may, *seed, july), "2024-06")
    assert june.inspections == 4
    assert analyze_month((may, *seed, july), "2024-05").inspections == 1


def test_a_month_without_problems() -> None:
    empty = analyze_month(seed_inspections(), "2024-08")
    assert empty.inspections == 0
    assert empty.problem_types == empty.stages == ()
    assert empty.repeat_offenders == ()
    assert dict(empty.by_severity) == dict.fromkeys(Severity, 0)
    assert empty.average_days_to_close is None
    assert (empty.closed, empty.open, empty.overdue) == (0, 0, 0)


def test_no_average_when_nothing_closed() -> None:
    open_only = analyze_month(seed_inspections()[3:], "2024-06")
    assert open_only.average_days_to_close is None
    assert open_only.closed == 0


@pytest.mark.parametrize("month", ["2024-6", "2024-13", "2024-00", "June", "2024/06", ""])
def test_bad_month_is_an_input_error(month: str) -> None:
    with pytest.raises(InputError, match="YYYY-MM"):
        analyze_month(seed_inspections(), month)


def test_as_of_before_the_month_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="before the month"):
        analyze_month(seed_inspections(), "2024-06", as_of=date(2024, 5, 31))


def test_closed_before_found_is_an_input_error() -> None:
    with pytest.raises(InputError, match="closed on"):
        replace(seed_inspections()[0], closed_on=date(2024, 6, 1))


# ------------------------------------------------------------------------------ pareto


def test_pareto_vital_few_reach_eighty_percent() -> None:
    names = ["慢"] * 6 + ["错"] * 2 + ["漏", "乱"]
    ranking = rank_pareto(names)
    assert [(i.name, i.count, i.vital) for i in ranking] == [
        ("慢", 6, True),  # 60 %
        ("错", 2, True),  # 80 %: reached
        ("乱", 1, False),  # ties by name: 乱 (U+4E71) before 漏 (U+6F0F)
        ("漏", 1, False),
    ]
    assert ranking[-1].cumulative_share == 1


def test_pareto_the_first_item_is_always_vital() -> None:
    ranking = rank_pareto(["慢"] * 9 + ["错"])
    assert [i.vital for i in ranking] == [True, False]


def test_pareto_thirds_add_up_exactly() -> None:
    ranking = rank_pareto(["a", "b", "c"])
    assert [i.cumulative_share for i in ranking][-1] == 1
    assert ranking[0].share == D(1) / D(3)


def test_pareto_own_vital_share_and_blank_names() -> None:
    ranking = rank_pareto(["慢", "慢", " 慢 ", "", "错"], vital_share=D("0.5"))
    assert [(i.name, i.count, i.vital) for i in ranking] == [
        ("慢", 3, True),
        ("", 1, False),
        ("错", 1, False),
    ]
    assert rank_pareto([]) == ()


@pytest.mark.parametrize("share", [D(0), D("1.01"), D(80), 0.8])
def test_pareto_bad_vital_share_is_a_config_error(share: object) -> None:
    with pytest.raises(ConfigError, match="vital share"):
        rank_pareto(["a"], vital_share=share)  # type: ignore[arg-type]
