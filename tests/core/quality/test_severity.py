"""The severity rule at its boundaries, and recording a grade with an override."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.errors import ConfigError, InputError
from opslens.core.quality import (
    DEFAULT_STANDARDS,
    GENERAL_LIMIT,
    MINOR_LIMIT,
    Comparison,
    Grading,
    ServiceStandard,
    Severity,
    grade_severity,
    record_severity,
)

D = Decimal
PHONE = DEFAULT_STANDARDS[0]  # 客服响应 / 电话接听 ≤ 30 秒
SATISFACTION = next(s for s in DEFAULT_STANDARDS if s.metric == "客户满意度")  # ≥ 4.5 分


def test_severity_rank_orders_the_levels() -> None:
    assert [s.rank for s in Severity] == [1, 2, 3, 4]
    assert sorted(Severity, key=lambda s: s.rank, reverse=True)[0] is Severity.MAJOR
    assert [s.value for s in Severity] == ["minor", "general", "serious", "major"]


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        ("25", None),
        ("30", None),  # exactly at the standard: met
        ("30.01", Severity.MINOR),
        ("32.99", Severity.MINOR),
        ("33", Severity.MINOR),  # exactly 10 % over: still MINOR
        ("33.01", Severity.GENERAL),
        ("38.99", Severity.GENERAL),
        ("39", Severity.GENERAL),  # exactly 30 % over: still GENERAL
        ("39.01", Severity.SERIOUS),
        ("40", Severity.SERIOUS),  # the seed's first row, +33.3 %
        ("300", Severity.SERIOUS),
    ],
)
def test_grade_at_most_standard(observed: str, expected: Severity | None) -> None:
    assert grade_severity(PHONE, D(observed)) is expected


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        ("4.5", None),
        ("4.9", None),
        ("4.06", Severity.MINOR),
        ("4.05", Severity.MINOR),  # exactly 10 % under
        ("4.04", Severity.GENERAL),
        ("3.15", Severity.GENERAL),  # exactly 30 % under
        ("3.14", Severity.SERIOUS),
        ("0", Severity.SERIOUS),
    ],
)
def test_grade_at_least_standard(observed: str, expected: Severity | None) -> None:
    assert grade_severity(SATISFACTION, D(observed)) is expected


def test_grade_limits_are_ten_and_thirty_percent() -> None:
    assert [str(MINOR_LIMIT), str(GENERAL_LIMIT)] == ["0.10", "0.30"]


def test_grade_zero_threshold_is_a_config_error() -> None:
    broken = ServiceStandard("在线咨询", "在线回复", D(0), "分钟", Comparison.AT_MOST)
    with pytest.raises(ConfigError):
        grade_severity(broken, D(1))


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_grade_never_major_and_monotone_in_the_miss(a: int, b: int) -> None:
    low, high = sorted((D(a) / 100, D(b) / 100))
    grade_low, grade_high = grade_severity(PHONE, low), grade_severity(PHONE, high)
    assert Severity.MAJOR not in (grade_low, grade_high)
    assert (grade_low.rank if grade_low else 0) <= (grade_high.rank if grade_high else 0)


# ------------------------------------------------------------------------ recording a grade


def test_seed_first_row_keeps_the_rule_and_the_override() -> None:
    rule = grade_severity(PHONE, D(40))
    assert rule is Severity.SERIOUS
    grading = record_severity(rule, Severity.GENERAL, "  首次发生,高峰期临时缺员  ")
    assert grading == Grading(Severity.SERIOUS, Severity.GENERAL, "首次发生,高峰期临时缺员")
    assert grading.overridden


def test_without_a_choice_the_rule_is_recorded() -> None:
    grading = record_severity(Severity.MINOR, None)
    assert grading == Grading(Severity.MINOR, Severity.MINOR, "")
    assert not grading.overridden


def test_choosing_the_rules_grade_needs_no_reason() -> None:
    assert record_severity(Severity.GENERAL, Severity.GENERAL) == Grading(
        Severity.GENERAL, Severity.GENERAL, ""
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_override_without_a_reason_is_refused(reason: str) -> None:
    with pytest.raises(InputError, match="needs a reason"):
        record_severity(Severity.SERIOUS, Severity.GENERAL, reason)
    with pytest.raises(InputError, match="needs a reason"):
        record_severity(Severity.MINOR, Severity.SERIOUS, reason)


def test_no_rule_and_no_choice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="choose a severity"):
        record_severity(None, None)


def test_a_choice_without_a_rule_needs_no_reason() -> None:
    # the seed's third row: 交付时未主动讲解 — no measurable standard, graded by the inspector
    assert record_severity(None, Severity.MINOR) == Grading(None, Severity.MINOR, "")
    assert not record_severity(None, Severity.GENERAL).overridden


def test_major_may_always_be_chosen_with_a_reason() -> None:
    reason = "解答错误导致客户损失"
    for rule in (None, Severity.MINOR, Severity.GENERAL, Severity.SERIOUS):
        grading = record_severity(rule, Severity.MAJOR, reason)
        assert grading.recorded is Severity.MAJOR
        assert grading.rule is rule
        assert grading.override_reason == reason


def test_major_without_a_reason_is_refused() -> None:
    with pytest.raises(InputError, match="MAJOR"):
        record_severity(None, Severity.MAJOR)
    with pytest.raises(InputError, match="MAJOR"):
        record_severity(Severity.SERIOUS, Severity.MAJOR, " ")


def test_choices_are_read_from_their_values() -> None:
    grading = record_severity("serious", "general", "reason")  # type: ignore[arg-type]
    assert grading == Grading(Severity.SERIOUS, Severity.GENERAL, "reason")
    with pytest.raises(InputError, match="unknown severity"):
        record_severity(None, "一般")  # type: ignore[arg-type]
