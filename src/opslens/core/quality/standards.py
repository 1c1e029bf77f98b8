"""Service standards (服务标准) and how far an observed value misses one.

A :class:`ServiceStandard` is a service stage (服务环节), a metric, a threshold in a unit and a
:class:`Comparison`: *at most* for times (电话接听 ≤ 30 秒), *at least* for scores and rates
(客户满意度 ≥ 4.5 分, 问题解决率 ≥ 95 %). The threshold is a number in the standard's unit — 95 for
95 %, 2 for 2 分钟 — and an observation is given in the same unit.

:func:`deviation` is the relative miss: the share by which an observation is worse than the
threshold (0.1 = 10 % worse); zero or below means the standard is met. It is what the severity
rule (:func:`~opslens.core.quality.severity.grade_severity`) grades.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal
from enum import StrEnum

from opslens.core.errors import ConfigError, InputError

__all__ = [
    "DEFAULT_STANDARDS",
    "Comparison",
    "ServiceStandard",
    "deviation",
    "meets_standard",
]

_CTX = Context(prec=28)


class Comparison(StrEnum):
    """How an observation is held to a threshold."""

    AT_MOST = "at_most"  # ≤: response and solution times
    AT_LEAST = "at_least"  # ≥: satisfaction, resolution rate


@dataclass(frozen=True, slots=True)
class ServiceStandard:
    """A quantified service standard: ``metric`` of ``stage`` must be ``comparison`` ``threshold``.

    ``threshold`` is a :class:`~decimal.Decimal` in ``unit`` (秒, 分钟, 小时, 分, %);
    ``department`` is the owner department (may be empty). A threshold that is not a finite
    Decimal, or a comparison that is not a :class:`Comparison`, raises :class:`ConfigError`; a
    zero or negative threshold is refused when it is used (:func:`deviation`).
    """

    stage: str
    metric: str
    threshold: Decimal
    unit: str
    comparison: Comparison
    department: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.threshold, Decimal) or not self.threshold.is_finite():
            raise ConfigError(
                f"the threshold of {self.stage}/{self.metric} must be a finite Decimal, "
                f"not {self.threshold!r}"
            )
        if not isinstance(self.comparison, Comparison):
            try:
                object.__setattr__(self, "comparison", Comparison(self.comparison))
            except ValueError:
                known = ", ".join(c.value for c in Comparison)
                raise ConfigError(
                    f"unknown comparison {self.comparison!r}; expected one of {known}"
                ) from None


_LE, _GE = Comparison.AT_MOST, Comparison.AT_LEAST

#: The seed's standards (SPEC T4), under the stage names of the seed's inspection table where one
#: fits: 电话接听 → 客服响应, 在线回复 → 在线咨询, the ticket standards and the resolution rate →
#: 售后工单处理. 客户满意度 is measured over the whole service, so its stage is 整体服务.
DEFAULT_STANDARDS: tuple[ServiceStandard, ...] = (
    ServiceStandard("客服响应", "电话接听", Decimal(30), "秒", _LE, "客服部"),
    ServiceStandard("在线咨询", "在线回复", Decimal(2), "分钟", _LE, "客服部"),
    ServiceStandard("售后工单处理", "售后工单响应", Decimal(4), "小时", _LE, "售后部"),
    ServiceStandard("整体服务", "客户满意度", Decimal("4.5"), "分", _GE, "客服部"),
    ServiceStandard("售后工单处理", "简单问题解决", Decimal(24), "小时", _LE, "售后部"),
    ServiceStandard("售后工单处理", "复杂问题给出方案", Decimal(72), "小时", _LE, "售后部"),
    ServiceStandard("售后工单处理", "问题解决率", Decimal(95), "%", _GE, "售后部"),
)


def _check_observed(observed: Decimal, standard: ServiceStandard) -> None:
    if not isinstance(observed, Decimal) or not observed.is_finite():
        raise InputError(f"the observed {standard.metric} must be a finite Decimal", value=observed)
    if observed < 0:
        raise InputError(f"the observed {standard.metric} must not be negative", value=observed)


def deviation(standard: ServiceStandard, observed: Decimal) -> Decimal:
    """The relative miss of ``observed`` against ``standard``, as a fraction of the threshold.

    AT_MOST: (observed − threshold) / threshold; AT_LEAST: (threshold − observed) / threshold.
    Positive means worse than the standard (40 s against ≤ 30 s is 1/3); zero or negative
    means the standard is met. A zero or negative threshold raises :class:`ConfigError`; an
    observation that is not a finite, non-negative Decimal raises :class:`InputError`.
    """
    if standard.threshold <= 0:
        raise ConfigError(
            f"the threshold of {standard.stage}/{standard.metric} must be positive to grade a "
            f"deviation; got {standard.threshold}"
        )
    _check_observed(observed, standard)
    if standard.comparison is Comparison.AT_MOST:
        miss = _CTX.subtract(observed, standard.threshold)
    else:
        miss = _CTX.subtract(standard.threshold, observed)
    return _CTX.divide(miss, standard.threshold)


def meets_standard(standard: ServiceStandard, observed: Decimal) -> bool:
    """Whether ``observed`` meets ``standard`` (a value exactly at the threshold does).

    Raises like :func:`deviation`.
    """
    return deviation(standard, observed) <= 0
