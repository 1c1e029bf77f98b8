"""Handling by level, default deadlines, the status loop and the conditions to close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from opslens.core.errors import ConfigError, InputError
from opslens.core.quality import (
    DEFAULT_STANDARDS,
    RECTIFICATION_DAYS,
    CloseBlocker,
    Measure,
    RectificationStatus,
    Severity,
    check_close,
    default_deadline,
    handling,
    is_overdue,
    next_statuses,
    requires_accountability,
)

D = Decimal
S = RectificationStatus
PHONE = DEFAULT_STANDARDS[0]  # 电话接听 ≤ 30 秒
PLAN = next(s for s in DEFAULT_STANDARDS if s.metric == "复杂问题给出方案")  # ≤ 72 小时

# ------------------------------------------------------------------------ handling by level


def test_rectification_days_per_level() -> None:
    assert dict(RECTIFICATION_DAYS) == {
        Severity.MINOR: 1,
        Severity.GENERAL: 3,
        Severity.SERIOUS: 2,
        Severity.MAJOR: 1,
    }
    with pytest.raises(TypeError):
        RECTIFICATION_DAYS[Severity.MINOR] = 5  # type: ignore[index]


def test_default_deadline_adds_calendar_days() -> None:
    found = date(2024, 6, 28)
    assert default_deadline(found, Severity.MINOR) == date(2024, 6, 29)  # next day
    assert default_deadline(found, Severity.GENERAL) == date(2024, 7, 1)  # across a month
    assert default_deadline(found, Severity.SERIOUS) == date(2024, 6, 30)
    assert default_deadline(found, Severity.MAJOR) == date(2024, 6, 29)


def test_default_deadline_with_own_days() -> None:
    found = date(2024, 6, 15)
    assert default_deadline(found, Severity.MAJOR, {Severity.MAJOR: 5}) == date(2024, 6, 20)
    # a level the table leaves out keeps its default
    assert default_deadline(found, Severity.GENERAL, {Severity.MAJOR: 5}) == date(2024, 6, 18)


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_default_deadline_refuses_bad_days(days: object) -> None:
    with pytest.raises(ConfigError, match="positive integer"):
        default_deadline(date(2024, 6, 1), Severity.MINOR, {Severity.MINOR: days})  # type: ignore[dict-item]


def test_accountability_for_serious_and_major_only() -> None:
    assert [requires_accountability(s) for s in Severity] == [False, False, True, True]


def test_handling_by_level_is_data() -> None:
    minor, general, serious, major = (handling(s) for s in Severity)
    assert minor.measures == (Measure.VERBAL_REMINDER,)
    assert (minor.days, minor.accountability) == (1, False)
    assert general.measures == (Measure.RECTIFICATION_ORDER, Measure.HEAD_SUPERVISION)
    assert (general.days, general.accountability) == (3, False)
    for grave in (serious, major):
        assert grave.accountability
        assert {
            Measure.ACCOUNTABILITY,
            Measure.PERFORMANCE_DEDUCTION,
            Measure.SPECIAL_TRAINING,
        } <= set(grave.measures)
    assert Measure.CUSTOMER_APOLOGY in serious.measures
    assert Measure.IN_PERSON_APOLOGY not in serious.measures
    assert Measure.IN_PERSON_APOLOGY in major.measures
    assert Measure.CUSTOMER_APOLOGY not in major.measures
    assert major.severity is Severity.MAJOR


def test_measures_are_translatable_keys() -> None:
    for measure in Measure:
        assert measure.value.isascii() and measure.value.islower()


# ------------------------------------------------------------------------------ the loop


def test_status_transitions() -> None:
    assert next_statuses(S.FOUND) == (S.IN_PROGRESS,)
    assert next_statuses(S.IN_PROGRESS) == (S.AWAITING_RECHECK,)
    assert next_statuses(S.AWAITING_RECHECK) == (S.CLOSED, S.IN_PROGRESS)  # recheck failed
    assert next_statuses(S.CLOSED) == ()


def test_no_shortcut_to_closed() -> None:
    assert S.CLOSED not in next_statuses(S.FOUND)
    assert S.CLOSED not in next_statuses(S.IN_PROGRESS)
    assert S.FOUND not in {n for s in S for n in next_statuses(s)}


def test_seed_first_row_may_close_after_its_recheck() -> None:
    blockers = check_close(
        severity=Severity.GENERAL,
        recheck_result="6月10日抽查,25秒接听",
        recheck_value=D(25),
        standard=PHONE,
        accountability_note="",
    )
    assert blockers == ()


@pytest.mark.parametrize("result", ["", "  "])
def test_no_closing_without_a_recheck_result(result: str) -> None:
    blockers = check_close(
        severity=Severity.MINOR,
        recheck_result=result,
        recheck_value=None,
        standard=None,
        accountability_note="",
    )
    assert blockers == (CloseBlocker.NO_RECHECK_RESULT,)


def test_measurable_standard_needs_a_recheck_value() -> None:
    blockers = check_close(
        severity=Severity.GENERAL,
        recheck_result="已抽查",
        recheck_value=None,
        standard=PHONE,
        accountability_note="",
    )
    assert blockers == (CloseBlocker.NO_RECHECK_VALUE,)


@pytest.mark.parametrize(("value", "closes"), [("30", True), ("30.5", False), ("35", False)])
def test_failed_recheck_value_keeps_it_open(value: str, closes: bool) -> None:
    blockers = check_close(
        severity=Severity.GENERAL,
        recheck_result="复查抽查",
        recheck_value=D(value),
        standard=PHONE,
        accountability_note="",
    )
    assert blockers == (() if closes else (CloseBlocker.STANDARD_STILL_MISSED,))


def test_recheck_value_without_a_standard_is_not_judged() -> None:
    blockers = check_close(
        severity=Severity.MINOR,
        recheck_result="6月12日抽查,已规范",
        recheck_value=D(999),
        standard=None,
        accountability_note="",
    )
    assert blockers == ()


@pytest.mark.parametrize("severity", [Severity.SERIOUS, Severity.MAJOR])
def test_serious_and_major_need_an_accountability_note(severity: Severity) -> None:
    kwargs = {
        "severity": severity,
        "recheck_result": "客户确认解决问题",
        "recheck_value": D(48),
        "standard": PLAN,
    }
    assert check_close(**kwargs, accountability_note=" ") == (  # type: ignore[arg-type]
        CloseBlocker.NO_ACCOUNTABILITY_NOTE,
    )
    assert check_close(**kwargs, accountability_note="扣减当月绩效10%") == ()  # type: ignore[arg-type]


def test_every_reason_is_listed_in_order() -> None:
    # the seed's fourth row before its training: nothing rechecked, nobody held to account
    blockers = check_close(
        severity=Severity.MAJOR,
        recheck_result="",
        recheck_value=None,
        standard=PLAN,
        accountability_note="",
    )
    assert blockers == (
        CloseBlocker.NO_RECHECK_RESULT,
        CloseBlocker.NO_RECHECK_VALUE,
        CloseBlocker.NO_ACCOUNTABILITY_NOTE,
    )


def test_bad_recheck_value_is_an_input_error() -> None:
    with pytest.raises(InputError):
        check_close(
            severity=Severity.MINOR,
            recheck_result="复查",
            recheck_value=D(-3),
            standard=PHONE,
            accountability_note="",
        )


def test_overdue_only_when_open_and_past_the_deadline() -> None:
    deadline = date(2024, 6, 20)
    assert not is_overdue(deadline, S.IN_PROGRESS, date(2024, 6, 20))  # the day itself
    assert is_overdue(deadline, S.IN_PROGRESS, date(2024, 6, 21))
    assert is_overdue(deadline, S.FOUND, date(2024, 7, 1))
    assert is_overdue(deadline, S.AWAITING_RECHECK, date(2024, 7, 1))
    assert not is_overdue(deadline, S.CLOSED, date(2024, 7, 1))
    assert not is_overdue(None, S.IN_PROGRESS, date(2024, 7, 1))
