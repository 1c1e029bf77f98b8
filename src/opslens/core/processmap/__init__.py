"""Process mapping and optimisation (T1 现有流程梳理与优化表): the pure rules.

A version of a process is a sequence of :class:`Step`. :func:`summarize_steps` computes the
elapsed time, each step's share, the critical path and the bottleneck; :func:`apply_ecrs`
applies one ECRS change (eliminate, combine, rearrange, simplify) and :func:`compare_versions`
puts two versions side by side. :func:`export_bpmn` draws the process as BPMN 2.0 with swim
lanes; :func:`write_process_xlsx` and :func:`read_process_xlsx` keep the seed's Excel template.

Hours and rates are :class:`~decimal.Decimal`. Bad input raises
:class:`~opslens.core.errors.InputError` (file, row, column, value); an impossible change or a
contradictory option raises :class:`~opslens.core.errors.ConfigError`.
"""

from opslens.core.processmap.bpmn import BPMN_MODEL_NS, export_bpmn
from opslens.core.processmap.ecrs import ECRS_KINDS, EcrsChange, EcrsKind, apply_ecrs
from opslens.core.processmap.figures import (
    ProcessSummary,
    StepComparison,
    StepFigures,
    VersionComparison,
    as_percent,
    compare_versions,
    expected_hours,
    format_hours,
    summarize_steps,
)
from opslens.core.processmap.model import ProcessHeader, ProcessSheet, Step, order_steps
from opslens.core.processmap.xlsx import (
    HEADER_TITLES,
    SEED_STEP_TITLES,
    STEP_TITLES,
    read_process_xlsx,
    write_process_xlsx,
)

__all__ = [
    "BPMN_MODEL_NS",
    "ECRS_KINDS",
    "HEADER_TITLES",
    "SEED_STEP_TITLES",
    "STEP_TITLES",
    "EcrsChange",
    "EcrsKind",
    "ProcessHeader",
    "ProcessSheet",
    "ProcessSummary",
    "Step",
    "StepComparison",
    "StepFigures",
    "VersionComparison",
    "apply_ecrs",
    "as_percent",
    "compare_versions",
    "expected_hours",
    "export_bpmn",
    "format_hours",
    "order_steps",
    "read_process_xlsx",
    "summarize_steps",
    "write_process_xlsx",
]
