"""Service quality inspection and improvement (T4 服务质量检查与改进表): the pure rules.

* :mod:`~opslens.core.quality.standards` — :class:`ServiceStandard` (stage, metric, threshold,
  unit, :class:`Comparison` ≤ or ≥), the seed's :data:`DEFAULT_STANDARDS` and
  :func:`deviation`, the relative miss of an observation (0.1 = 10 % worse than the threshold).
* :mod:`~opslens.core.quality.severity` — :class:`Severity` 轻微 / 一般 / 严重 / 重大 with a
  ``rank``; :func:`grade_severity` grades a miss (≤ 10 % MINOR, ≤ 30 % GENERAL, beyond SERIOUS,
  bounds included; MAJOR only by a person); :func:`record_severity` keeps the rule's grade and
  the inspector's override with its reason in a :class:`Grading`.
* :mod:`~opslens.core.quality.rectification` — handling by level (:func:`handling`,
  :data:`RECTIFICATION_DAYS`, :func:`default_deadline`, :func:`requires_accountability`) and
  the closed loop 发现 → 整改中 → 待复查 → 已关闭 (:func:`next_statuses`, :func:`check_close`,
  :func:`is_overdue`).
* :mod:`~opslens.core.quality.analysis` — :func:`analyze_month`: Pareto of problem types and
  stages, counts by level, repeat offenders, average days to close, open and overdue problems.

Numbers are :class:`~decimal.Decimal`; shares and deviations are fractions. Unusable settings
(a zero threshold, bad rectification days) raise :class:`~opslens.core.errors.ConfigError`;
unusable input (an override without a reason, a bad observed value or month) raises
:class:`~opslens.core.errors.InputError`.
"""

from opslens.core.quality.analysis import (
    DEFAULT_VITAL_SHARE,
    Inspection,
    InspectionMethod,
    OffenderKind,
    ParetoItem,
    QualityMonth,
    RepeatOffender,
    analyze_month,
    rank_pareto,
)
from opslens.core.quality.rectification import (
    RECTIFICATION_DAYS,
    CloseBlocker,
    Handling,
    Measure,
    RectificationStatus,
    check_close,
    default_deadline,
    handling,
    is_overdue,
    next_statuses,
    requires_accountability,
)
from opslens.core.quality.severity import (
    GENERAL_LIMIT,
    MINOR_LIMIT,
    Grading,
    Severity,
    grade_severity,
    record_severity,
)
from opslens.core.quality.standards import (
    DEFAULT_STANDARDS,
    Comparison,
    ServiceStandard,
    deviation,
    meets_standard,
)

__all__ = [
    "DEFAULT_STANDARDS",
    "DEFAULT_VITAL_SHARE",
    "GENERAL_LIMIT",
    "MINOR_LIMIT",
    "RECTIFICATION_DAYS",
    "CloseBlocker",
    "Comparison",
    "Grading",
    "Handling",
    "Inspection",
    "InspectionMethod",
    "Measure",
    "OffenderKind",
    "ParetoItem",
    "QualityMonth",
    "RectificationStatus",
    "RepeatOffender",
    "ServiceStandard",
    "Severity",
    "analyze_month",
    "check_close",
    "default_deadline",
    "deviation",
    "grade_severity",
    "handling",
    "is_overdue",
    "meets_standard",
    "next_statuses",
    "rank_pareto",
    "record_severity",
    "requires_accountability",
]
