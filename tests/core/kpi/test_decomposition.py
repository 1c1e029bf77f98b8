"""Target decomposition: year → quarter → month must add up (the seed's 2亿 does not)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.errors import ConfigError
from opslens.core.kpi import Aggregation, DecompositionCheck, check_decomposition

D = Decimal


def test_aggregation_values() -> None:
    assert [a.value for a in Aggregation] == ["sum", "average", "last"]


def test_seed_year_split_does_not_add_up() -> None:
    check = check_decomposition(
        D(200_000_000),
        [D(40_000_000), D(45_000_000), D(50_000_000), D(55_000_000)],
        Aggregation.SUM,
    )
    assert check == DecompositionCheck(
        parent=D(200_000_000),
        combined=D(190_000_000),
        gap=D(-10_000_000),
        gap_ratio=D("-0.05"),
        missing=0,
        consistent=False,
    )


def test_exact_sum_is_consistent() -> None:
    check = check_decomposition(
        D(200_000_000),
        [D(45_000_000), D(47_500_000), D(52_500_000), D(55_000_000)],
        Aggregation.SUM,
    )
    assert check.consistent and check.gap == 0 and check.gap_ratio == 0


def test_tolerance_is_relative_and_inclusive() -> None:
    children = [D(40_000_000), D(45_000_000), D(50_000_000), D(55_000_000)]
    at_edge = check_decomposition(D(200_000_000), children, Aggregation.SUM, tolerance=D("0.05"))
    assert at_edge.consistent
    below = check_decomposition(D(200_000_000), children, Aggregation.SUM, tolerance=D("0.0499"))
    assert not below.consistent


def test_over_allocation_is_a_positive_gap() -> None:
    check = check_decomposition(D(100), [D(60), D(50)], Aggregation.SUM)
    assert (check.gap, check.gap_ratio, check.consistent) == (D(10), D("0.1"), False)


def test_average() -> None:  # 产品合格率: the year's target is the mean of the months'
    check = check_decomposition(D("99.5"), [D("99.4"), D("99.5"), D("99.6")], Aggregation.AVERAGE)
    assert check.combined == D("99.5") and check.consistent
    off = check_decomposition(D("99.5"), [D("99"), D("99.5")], Aggregation.AVERAGE)
    assert off.combined == D("99.25") and off.gap == D("-0.25") and not off.consistent


def test_last() -> None:  # a stock at the period's end
    check = check_decomposition(D(500), [D(300), D(400), D(500)], Aggregation.LAST)
    assert check.combined == D(500) and check.consistent
    skip = check_decomposition(D(500), [D(300), D(500), None], Aggregation.LAST)
    assert skip.combined == D(500) and skip.missing == 1 and not skip.consistent


def test_missing_children_are_never_consistent() -> None:
    check = check_decomposition(D(100), [D(60), None, D(40)], Aggregation.SUM)
    assert check.combined == D(100) and check.gap == 0
    assert check.missing == 1 and not check.consistent
    average = check_decomposition(D(10), [D(10), None], Aggregation.AVERAGE)
    assert average.combined == D(10) and average.missing == 1 and not average.consistent


def test_all_children_missing() -> None:
    for aggregation in Aggregation:
        check = check_decomposition(D(100), [None, None], aggregation)
        assert check.combined == 0 and check.missing == 2 and not check.consistent


def test_zero_parent() -> None:
    exact = check_decomposition(D(0), [D(5), D(-5)], Aggregation.SUM, tolerance=D("0.1"))
    assert exact.gap_ratio is None and exact.consistent
    off = check_decomposition(D(0), [D(1)], Aggregation.SUM, tolerance=D("0.1"))
    assert off.gap_ratio is None and not off.consistent


def test_negative_parent_gap_ratio_keeps_the_gap_sign() -> None:  # planned loss
    check = check_decomposition(D(-100), [D(-50), D(-40)], Aggregation.SUM)
    assert check.gap == D(10) and check.gap_ratio == D("0.1")


def test_aggregation_may_be_the_stored_string() -> None:
    assert check_decomposition(D(3), [D(1), D(2)], "sum").consistent  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("children", "aggregation", "tolerance", "words"),
    [
        ([], Aggregation.SUM, D(0), "no sub-period targets"),
        ([D(1)], Aggregation.SUM, D("-0.01"), "tolerance"),
        ([D(1)], Aggregation.SUM, D("NaN"), "tolerance"),
        ([D(1)], "median", D(0), "unknown aggregation 'median'"),
    ],
)
def test_rejected(
    children: list[Decimal | None], aggregation: Aggregation, tolerance: Decimal, words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        check_decomposition(D(1), children, aggregation, tolerance=tolerance)


amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)


@given(children=st.lists(amounts, min_size=1, max_size=12))
def test_sum_of_the_children_is_always_consistent(children: list[Decimal]) -> None:
    total = sum(children, D(0))
    check = check_decomposition(total, list(children), Aggregation.SUM)
    assert check.consistent and check.gap == 0 and check.missing == 0


@given(parent=amounts, children=st.lists(st.none() | amounts, min_size=1, max_size=12))
def test_gap_is_combined_minus_parent(parent: Decimal, children: list[Decimal | None]) -> None:
    for aggregation in Aggregation:
        check = check_decomposition(parent, children, aggregation)
        assert check.gap == check.combined - check.parent
        assert check.missing == children.count(None)
        assert check.consistent == (check.missing == 0 and check.gap == 0)
