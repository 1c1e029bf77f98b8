"""Status of a KPI value (达标 / 预警 / 未达标), threshold validation and achievement rate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.errors import ConfigError, InputError
from opslens.core.kpi import Direction, Status, Thresholds, achievement_rate, classify_value

D = Decimal
WAN = D(10_000)  # 万

REVENUE = Thresholds(target=5000 * WAN, warning=4500 * WAN)  # 2024 Q3 营业收入
YIELD = Thresholds(target=D("99.5"), warning=D("99"))  # 产品合格率 %
TURNOVER = Thresholds(target=D("0.05"), warning=D("0.08"))  # 员工流失率, lower is better
STOCK_DAYS = Thresholds(  # 库存周转天数 inside a band
    target=D(20), warning=D(15), target_high=D(30), warning_high=D(40)
)


def test_enum_values_are_the_stored_strings() -> None:
    assert [d.value for d in Direction] == ["higher", "lower", "band"]
    assert [s.value for s in Status] == ["met", "warning", "missed"]
    assert Direction("lower") is Direction.LOWER


# --------------------------------------------------------------------------------- the seed


def test_seed_revenue() -> None:
    assert classify_value(4800 * WAN, Direction.HIGHER, REVENUE) is Status.WARNING
    assert classify_value(4400 * WAN, Direction.HIGHER, REVENUE) is Status.MISSED
    assert classify_value(5200 * WAN, Direction.HIGHER, REVENUE) is Status.MET


def test_seed_yield() -> None:
    assert classify_value(D("99.2"), Direction.HIGHER, YIELD) is Status.WARNING
    assert classify_value(D("99.7"), Direction.HIGHER, YIELD) is Status.MET
    assert classify_value(D("98.9"), Direction.HIGHER, YIELD) is Status.MISSED


# ---------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("99.5"), Status.MET),  # exactly at target
        (D("99.50"), Status.MET),
        (D("99.4999"), Status.WARNING),
        (D("99"), Status.WARNING),  # exactly at warning
        (D("98.9999"), Status.MISSED),
    ],
)
def test_higher_boundaries_are_inclusive(value: Decimal, expected: Status) -> None:
    assert classify_value(value, Direction.HIGHER, YIELD) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0"), Status.MET),
        (D("0.05"), Status.MET),  # exactly at target
        (D("0.0501"), Status.WARNING),
        (D("0.08"), Status.WARNING),  # exactly at warning
        (D("0.0801"), Status.MISSED),
        (D("-1"), Status.MET),
    ],
)
def test_lower(value: Decimal, expected: Status) -> None:
    assert classify_value(value, Direction.LOWER, TURNOVER) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(14), Status.MISSED),
        (D(15), Status.WARNING),  # low warning edge
        (D("19.99"), Status.WARNING),
        (D(20), Status.MET),  # low target edge
        (D(25), Status.MET),
        (D(30), Status.MET),  # high target edge
        (D("30.01"), Status.WARNING),
        (D(40), Status.WARNING),  # high warning edge
        (D("40.01"), Status.MISSED),
    ],
)
def test_band_edges(value: Decimal, expected: Status) -> None:
    assert classify_value(value, Direction.BAND, STOCK_DAYS) is expected


def test_warning_equal_to_target_leaves_no_warning_zone() -> None:
    same = Thresholds(target=D(10), warning=D(10))
    assert classify_value(D(10), Direction.HIGHER, same) is Status.MET
    assert classify_value(D("9.99"), Direction.HIGHER, same) is Status.MISSED
    assert classify_value(D("10.01"), Direction.LOWER, same) is Status.MISSED


def test_zero_target_lower_is_better() -> None:  # 缺货率 target 0%, warning 2%
    stockout = Thresholds(target=D(0), warning=D("0.02"))
    assert classify_value(D(0), Direction.LOWER, stockout) is Status.MET
    assert classify_value(D("0.01"), Direction.LOWER, stockout) is Status.WARNING
    assert classify_value(D("0.03"), Direction.LOWER, stockout) is Status.MISSED


def test_negative_values() -> None:  # 净利润 in a loss year: target −100, warning −300
    profit = Thresholds(target=D(-100), warning=D(-300))
    assert classify_value(D(-50), Direction.HIGHER, profit) is Status.MET
    assert classify_value(D(-100), Direction.HIGHER, profit) is Status.MET
    assert classify_value(D(-200), Direction.HIGHER, profit) is Status.WARNING
    assert classify_value(D(-300), Direction.HIGHER, profit) is Status.WARNING
    assert classify_value(D(-301), Direction.HIGHER, profit) is Status.MISSED


def test_band_with_zero_width() -> None:
    exact = Thresholds(target=D(5), warning=D(5), target_high=D(5), warning_high=D(5))
    assert classify_value(D(5), Direction.BAND, exact) is Status.MET
    assert classify_value(D("5.1"), Direction.BAND, exact) is Status.MISSED


def test_direction_may_be_the_stored_string() -> None:
    direction: Direction = "higher"  # type: ignore[assignment]
    assert classify_value(D(100), direction, Thresholds(D(100), D(90))) is Status.MET


# -------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("direction", "thresholds", "words"),
    [
        (Direction.HIGHER, Thresholds(D(100), D(101)), "cannot be above the target"),
        (Direction.LOWER, Thresholds(D(100), D(99)), "cannot be below the target"),
        (Direction.BAND, Thresholds(D(20), D(15)), "high target"),
        (Direction.BAND, Thresholds(D(20), D(15), target_high=D(30)), "high target"),
        (Direction.BAND, Thresholds(D(20), D(15), warning_high=D(30)), "high target"),
        (Direction.BAND, Thresholds(D(20), D(25), D(30), D(40)), "warning ≤ target"),
        (Direction.BAND, Thresholds(D(20), D(15), D(10), D(40)), "warning ≤ target"),
        (Direction.BAND, Thresholds(D(20), D(15), D(30), D(29)), "warning ≤ target"),
        (Direction.HIGHER, Thresholds(D("NaN"), D(1)), "finite"),
        (Direction.HIGHER, Thresholds(D(1), D("-Infinity")), "finite"),
    ],
)
def test_contradictory_thresholds(direction: Direction, thresholds: Thresholds, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        thresholds.validate(direction)
    # classify_value validates first
    with pytest.raises(ConfigError):
        classify_value(D(1), direction, thresholds)


def test_high_ends_are_ignored_outside_a_band() -> None:
    odd = Thresholds(D(10), D(5), target_high=D(0), warning_high=D(-1))
    odd.validate(Direction.HIGHER)
    assert classify_value(D(7), Direction.HIGHER, odd) is Status.WARNING


def test_unknown_direction() -> None:
    with pytest.raises(ConfigError, match="unknown KPI direction 'sideways'"):
        classify_value(D(1), "sideways", YIELD)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), "99", None, 1.5])
def test_value_must_be_a_finite_number(value: object) -> None:
    with pytest.raises(InputError, match="finite number"):
        classify_value(value, Direction.HIGHER, YIELD)  # type: ignore[arg-type]


@given(
    target=st.decimals(min_value=-1000, max_value=1000, allow_nan=False, places=2),
    margin=st.decimals(min_value=0, max_value=100, allow_nan=False, places=2),
    value=st.decimals(min_value=-2000, max_value=2000, allow_nan=False, places=2),
)
def test_lower_mirrors_higher(target: Decimal, margin: Decimal, value: Decimal) -> None:
    higher = classify_value(value, Direction.HIGHER, Thresholds(target, target - margin))
    lower = classify_value(-value, Direction.LOWER, Thresholds(-target, -target + margin))
    assert higher is lower


@given(
    value=st.decimals(min_value=-100, max_value=100, allow_nan=False, places=1),
)
def test_status_never_improves_as_higher_value_falls(value: Decimal) -> None:
    rank = {Status.MET: 0, Status.WARNING: 1, Status.MISSED: 2}
    thresholds = Thresholds(D(10), D(-10))
    worse = classify_value(value - 1, Direction.HIGHER, thresholds)
    assert rank[worse] >= rank[classify_value(value, Direction.HIGHER, thresholds)]


# ------------------------------------------------------------------------- achievement rate


def test_achievement_higher() -> None:
    assert achievement_rate(4800 * WAN, 5000 * WAN, Direction.HIGHER) == D("0.96")
    assert achievement_rate(D(0), D(10), Direction.HIGHER) == 0


def test_achievement_lower_divides_the_other_way() -> None:
    assert achievement_rate(D("0.04"), D("0.05"), Direction.LOWER) == D("1.25")
    assert achievement_rate(D("0.10"), D("0.05"), Direction.LOWER) == D("0.5")


def test_achievement_none_without_meaning() -> None:
    assert achievement_rate(D(5), D(0), Direction.HIGHER) is None  # zero target
    assert achievement_rate(D(0), D(0), Direction.LOWER) is None  # zero value
    assert achievement_rate(D(0), D("0.02"), Direction.LOWER) is None
    assert achievement_rate(D(25), D(20), Direction.BAND) is None
    # a negative divisor: a loss of 50 against a planned loss of 100 is not "50% achieved"
    assert achievement_rate(D(-50), D(-100), Direction.HIGHER) is None
    assert achievement_rate(D(-1), D(5), Direction.LOWER) is None


def test_achievement_negative_value_positive_target() -> None:
    assert achievement_rate(D(-10), D(100), Direction.HIGHER) == D("-0.1")
    assert achievement_rate(D(10), D(0), Direction.LOWER) == 0


def test_achievement_rejects_non_numbers() -> None:
    with pytest.raises(InputError):
        achievement_rate(D("NaN"), D(1), Direction.HIGHER)
