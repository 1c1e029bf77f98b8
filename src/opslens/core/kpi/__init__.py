"""Key operating indicators (T5 关键运营指标监控表): the pure rules.

* :mod:`~opslens.core.kpi.status` — a value against its target and warning value:
  :func:`classify_value` gives MET (达标), WARNING (预警) or MISSED (未达标) for a
  higher-is-better, lower-is-better or band KPI; :func:`achievement_rate` the 达成率.
* :mod:`~opslens.core.kpi.periods` — reporting periods (:class:`Period`): days, ISO weeks,
  months, quarters, years; their keys, the spreadsheet spellings :meth:`Period.parse` reads,
  due dates, nesting and :func:`periods_between`.
* :mod:`~opslens.core.kpi.decomposition` — :func:`check_decomposition` flags a target split
  (year → quarter → month) that does not add up, like the seed's 2亿 = 1.9亿.
* :mod:`~opslens.core.kpi.alerts` — alert rules ("销售额连续两周低于预警值"):
  :func:`scan_alerts` replays a history, :func:`evaluate_alert` decides for the latest period.

Numbers are :class:`~decimal.Decimal`; percentages are fractions (0.2 = 20%). Contradictory
settings raise :class:`~opslens.core.errors.ConfigError`; unreadable input (a period that
cannot be parsed, a value that is not a number) raises :class:`~opslens.core.errors.InputError`.
"""

from opslens.core.kpi.alerts import (
    AlertDecision,
    AlertEvent,
    AlertEventKind,
    AlertRule,
    AlertScan,
    ConditionKind,
    Observation,
    RecoveryKind,
    condition_holds,
    evaluate_alert,
    recovery_holds,
    scan_alerts,
)
from opslens.core.kpi.decomposition import Aggregation, DecompositionCheck, check_decomposition
from opslens.core.kpi.periods import Frequency, Period, as_frequency, periods_between
from opslens.core.kpi.status import (
    Direction,
    Status,
    Thresholds,
    achievement_rate,
    as_direction,
    classify_value,
)

__all__ = [
    "Aggregation",
    "AlertDecision",
    "AlertEvent",
    "AlertEventKind",
    "AlertRule",
    "AlertScan",
    "ConditionKind",
    "DecompositionCheck",
    "Direction",
    "Frequency",
    "Observation",
    "Period",
    "RecoveryKind",
    "Status",
    "Thresholds",
    "achievement_rate",
    "as_direction",
    "as_frequency",
    "check_decomposition",
    "classify_value",
    "condition_holds",
    "evaluate_alert",
    "periods_between",
    "recovery_holds",
    "scan_alerts",
]
