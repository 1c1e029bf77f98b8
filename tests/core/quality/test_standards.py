"""Service standards and the relative miss of an observation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opslens.core.errors import ConfigError, InputError
from opslens.core.quality import (
    DEFAULT_STANDARDS,
    Comparison,
    ServiceStandard,
    deviation,
    meets_standard,
)

D = Decimal


def standard(metric: str) -> ServiceStandard:
    return next(s for s in DEFAULT_STANDARDS if s.metric == metric)


PHONE = standard("电话接听")
SATISFACTION = standard("客户满意度")
RESOLUTION = standard("问题解决率")


def test_default_standards_are_the_seeds() -> None:
    shown = {(s.stage, s.metric, s.comparison, s.threshold, s.unit) for s in DEFAULT_STANDARDS}
    assert shown == {
        ("客服响应", "电话接听", Comparison.AT_MOST, D(30), "秒"),
        ("在线咨询", "在线回复", Comparison.AT_MOST, D(2), "分钟"),
        ("售后工单处理", "售后工单响应", Comparison.AT_MOST, D(4), "小时"),
        ("整体服务", "客户满意度", Comparison.AT_LEAST, D("4.5"), "分"),
        ("售后工单处理", "简单问题解决", Comparison.AT_MOST, D(24), "小时"),
        ("售后工单处理", "复杂问题给出方案", Comparison.AT_MOST, D(72), "小时"),
        ("售后工单处理", "问题解决率", Comparison.AT_LEAST, D(95), "%"),
    }
    assert len(DEFAULT_STANDARDS) == 7


def test_seed_stage_names_are_used_where_they_fit() -> None:
    seed_stages = {"客服响应", "售后工单处理", "产品交付服务", "在线咨询"}
    assert {s.stage for s in DEFAULT_STANDARDS} - seed_stages == {"整体服务"}


def test_at_most_deviation_is_the_share_over_the_threshold() -> None:
    assert deviation(PHONE, D(40)) == D(10) / D(30)
    assert deviation(PHONE, D(33)) == D("0.1")
    assert deviation(PHONE, D(39)) == D("0.3")
    assert deviation(PHONE, D(30)) == 0
    assert deviation(PHONE, D(15)) == D("-0.5")


def test_at_least_deviation_is_the_share_under_the_threshold() -> None:
    assert deviation(SATISFACTION, D("4.05")) == D("0.1")
    assert deviation(SATISFACTION, D("4.8")) < 0
    assert deviation(RESOLUTION, D("85.5")) == D("0.1")
    assert deviation(RESOLUTION, D(95)) == 0


def test_meets_standard_includes_the_threshold() -> None:
    assert meets_standard(PHONE, D(30))
    assert not meets_standard(PHONE, D("30.01"))
    assert meets_standard(SATISFACTION, D("4.5"))
    assert not meets_standard(SATISFACTION, D("4.49"))


@pytest.mark.parametrize("threshold", [D(0), D("-5")])
def test_zero_or_negative_threshold_is_a_config_error(threshold: Decimal) -> None:
    broken = ServiceStandard("客服响应", "电话接听", threshold, "秒", Comparison.AT_MOST)
    with pytest.raises(ConfigError, match="positive"):
        deviation(broken, D(10))
    with pytest.raises(ConfigError):
        meets_standard(broken, D(10))


@pytest.mark.parametrize("threshold", [30, 30.0, D("NaN"), D("Infinity")])
def test_threshold_must_be_a_finite_decimal(threshold: object) -> None:
    with pytest.raises(ConfigError, match="finite Decimal"):
        ServiceStandard("客服响应", "电话接听", threshold, "秒", Comparison.AT_MOST)  # type: ignore[arg-type]


def test_comparison_is_read_from_its_value() -> None:
    made = ServiceStandard("x", "y", D(1), "分", "at_least")  # type: ignore[arg-type]
    assert made.comparison is Comparison.AT_LEAST
    with pytest.raises(ConfigError, match="unknown comparison"):
        ServiceStandard("x", "y", D(1), "分", "less")  # type: ignore[arg-type]


@pytest.mark.parametrize("observed", [40, 40.0, D("NaN"), D(-1)])
def test_bad_observation_is_an_input_error(observed: object) -> None:
    with pytest.raises(InputError, match="电话接听"):
        deviation(PHONE, observed)  # type: ignore[arg-type]
