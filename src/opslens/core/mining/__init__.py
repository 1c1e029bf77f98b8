"""Process mining over the canonical event table: DFG, activities, cases, variants, bottlenecks.

:func:`analyze` is the entry point. Two engines compute the same figures: ``"fast"`` (DuckDB
sort + NumPy passes, the default) and ``"portable"`` (pure Ibis expressions, which run on any
Ibis backend). Filters are Ibis expressions shared by both. :func:`compare_logs` compares two
slices of a log (before/after a change), :func:`compare_samples` two samples of durations.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Literal

from opslens.core.eventlog import EventLog
from opslens.core.mining._assemble import assemble
from opslens.core.mining.compare import (
    MIN_SAMPLE_SIZE,
    RESAMPLE_MAX_N,
    ActivityComparison,
    ActivitySlice,
    LogComparison,
    SampleComparison,
    SliceSummary,
    Verdict,
    compare_logs,
    compare_samples,
)
from opslens.core.mining.filters import (
    ActivityFilter,
    AttributeFilter,
    CaseDurationFilter,
    Filter,
    TimeRangeFilter,
    VariantFilter,
    apply_filters,
)
from opslens.core.mining.results import (
    SCHEMA,
    ActivityStats,
    AnalysisResult,
    Bottleneck,
    CaseDurationStats,
    DfgEdge,
    DurationStats,
    Histogram,
    LogSummary,
    Variant,
    VariantSummary,
)

__all__ = [
    "MIN_SAMPLE_SIZE",
    "RESAMPLE_MAX_N",
    "SCHEMA",
    "ActivityComparison",
    "ActivityFilter",
    "ActivitySlice",
    "ActivityStats",
    "AnalysisResult",
    "AttributeFilter",
    "Bottleneck",
    "CaseDurationFilter",
    "CaseDurationStats",
    "DfgEdge",
    "DurationStats",
    "Filter",
    "Histogram",
    "LogComparison",
    "LogSummary",
    "SampleComparison",
    "SliceSummary",
    "TimeRangeFilter",
    "Variant",
    "VariantFilter",
    "VariantSummary",
    "Verdict",
    "analyze",
    "apply_filters",
    "compare_logs",
    "compare_samples",
]

Engine = Literal["fast", "portable"]


def analyze(
    log: EventLog,
    *,
    filters: Iterable[Filter] = (),
    top_variants: int = 10,
    engine: Engine = "fast",
) -> AnalysisResult:
    """Compute every figure of the ``opslens.analysis/1`` contract for ``log``.

    ``filters`` are applied first (in order); ``top_variants`` bounds ``variants.top``.
    """
    filters = list(filters)
    if engine == "fast":
        from opslens.core.mining.fast import aggregate_fast

        relation: str = log.relation
        rows: int | None = log.activity_instances
        if filters:
            import ibis

            expr = apply_filters(log.table, filters)
            relation, rows = f"({ibis.to_sql(expr, dialect='duckdb')}) AS __filtered", None
        agg = aggregate_fast(
            log.con, relation, log.activity_names, atomic=log.lifecycle == "atomic", rows=rows
        )
    elif engine == "portable":
        from opslens.core.mining.portable import aggregate_portable

        agg = aggregate_portable(apply_filters(log.table, filters))
    else:
        from opslens.core.errors import ConfigError

        raise ConfigError(f"unknown engine {engine!r} (fast or portable)")
    return assemble(
        agg,
        lifecycle=log.lifecycle,
        events=log.events,
        rejected_rows=log.rejected_rows,
        open_instances=log.open_instances,
        top_variants=top_variants,
        source=log.source,
    )


_restricted = itertools.count(1)


def restrict_log(log: EventLog, filters: Iterable[Filter]) -> EventLog:
    """``log`` narrowed to the events that ``filters`` keep, computed once.

    The filtered events are materialised as a temporary table on the log's own DuckDB
    connection, so that several computations over one view of a log (the figures, counts per
    week, a resource's workload, a comparison) apply the filters once instead of each time.
    ``analyze(restrict_log(log, f))`` gives the figures of ``analyze(log, filters=f)``. The
    returned log shares the connection: it lives as long as ``log`` and must not be closed on its
    own. Without filters it is ``log`` itself. :class:`InsufficientDataError` when no event is
    left.
    """
    filters = list(filters)
    if not filters:
        return log
    import ibis

    from opslens.core.errors import InsufficientDataError
    from opslens.core.eventlog.log import EventLog as _EventLog

    name = f"__restricted_{next(_restricted)}"
    sql = ibis.to_sql(apply_filters(log.table, filters), dialect="duckdb")
    log.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
    counted = log.con.execute(f"SELECT count(*) FROM {name}").fetchone()
    instances = int(counted[0]) if counted else 0
    if instances == 0:
        log.con.execute(f"DROP TABLE {name}")
        raise InsufficientDataError("no events are left to analyse (check the filters)")
    return _EventLog(
        con=log.con,
        source=log.source,
        raw=log.raw,
        mapping=log.mapping,
        timezone=log.timezone,
        lifecycle=log.lifecycle,
        events=log.events,
        activity_instances=instances,
        rejected_rows=log.rejected_rows,
        rejections=log.rejections,
        open_instances=log.open_instances,
        attributes=log.attributes,
        activity_names=log.activity_names,
        work_dir=None,
        relation=name,
    )
