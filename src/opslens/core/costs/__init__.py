"""Monthly cost analysis (T3 月度成本分析表): the pure rules.

:func:`compute_cost_variance` gives a line's 差异额 (actual − budget) and 差异率 (差异额 / 预算);
:func:`needs_cause` applies the threshold rule (beyond ±10 % by default, strictly) and
:func:`analyze_costs` applies it to a month — per-category thresholds, totals by category,
the flagged lines, the blockers (flagged lines without a cause or its kind) and the largest
overruns. :func:`trend_by_line` and :func:`trend_by_category` follow the variances month by
month with explicit gaps. :func:`read_cost_table` imports a month from the user's CSV or
workbook, collecting every bad cell as a :class:`RowError`; :func:`write_cost_xlsx` writes the
seed's layout, which reads back.

Money is :class:`~decimal.Decimal`, ratios are fractions (0.3 is 30 %). A negative budget raises
:class:`~opslens.core.errors.InputError`; a bad threshold or mapping raises
:class:`~opslens.core.errors.ConfigError`.
"""

from opslens.core.costs.importer import (
    COST_COLUMN_SYNONYMS,
    COST_FIELDS,
    REQUIRED_COST_FIELDS,
    CostImport,
    ImportedCostRow,
    RowError,
    parse_cause_kind,
    read_cost_table,
)
from opslens.core.costs.report import (
    CAUSE_KIND_TITLES,
    REPORT_COLUMNS,
    CostReportLine,
    write_cost_xlsx,
)
from opslens.core.costs.trends import (
    CategoryTrend,
    LineTrend,
    TrendPoint,
    trend_by_category,
    trend_by_line,
)
from opslens.core.costs.variance import (
    DEFAULT_CATEGORIES,
    DEFAULT_THRESHOLD,
    CategoryFigures,
    CategorySpec,
    CauseKind,
    CostAnalysis,
    CostLine,
    CostNature,
    CostVariance,
    LineFigures,
    analyze_costs,
    compute_cost_variance,
    needs_cause,
)

__all__ = [
    "CAUSE_KIND_TITLES",
    "COST_COLUMN_SYNONYMS",
    "COST_FIELDS",
    "DEFAULT_CATEGORIES",
    "DEFAULT_THRESHOLD",
    "REPORT_COLUMNS",
    "REQUIRED_COST_FIELDS",
    "CategoryFigures",
    "CategorySpec",
    "CategoryTrend",
    "CauseKind",
    "CostAnalysis",
    "CostImport",
    "CostLine",
    "CostNature",
    "CostReportLine",
    "CostVariance",
    "ImportedCostRow",
    "LineFigures",
    "LineTrend",
    "RowError",
    "TrendPoint",
    "analyze_costs",
    "compute_cost_variance",
    "needs_cause",
    "parse_cause_kind",
    "read_cost_table",
    "trend_by_category",
    "trend_by_line",
    "write_cost_xlsx",
]
