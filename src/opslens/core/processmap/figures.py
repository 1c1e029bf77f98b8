"""The figures of a process map: elapsed time, shares, critical path, bottleneck, comparison.

Rules (seed 004, T1):

* **elapsed time** (``total_hours``) is the sum over stages of the longest step of the stage
  (parallel steps overlap); **work time** (``work_hours``) is the sum of every step;
* a step's **share** is its hours over the elapsed time (0 when the elapsed time is 0), not
  rounded: 48 h of 97 h is 0.49484…, shown as 49.5 % by :func:`as_percent`;
* a step is **on the critical path** when it is the longest of its stage (ties: all of them);
* the **bottleneck** is the longest step on the critical path (ties: the first in the given
  order); there is none when there are no steps or the elapsed time is 0;
* with a three-point estimate the **expected hours** are PERT's (min + 4 × likely + max) / 6,
  otherwise the usual hours;
* the process **return rate** is the mean of the steps' return rates that are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

from opslens.core.processmap.model import Step, order_steps, stage_groups

__all__ = [
    "ProcessSummary",
    "StepComparison",
    "StepFigures",
    "VersionComparison",
    "as_percent",
    "compare_versions",
    "expected_hours",
    "format_hours",
    "summarize_steps",
]

# Divisions use a fixed context, whatever the caller's thread context says.
_CTX = Context(prec=28)
_ZERO = Decimal(0)


def _divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    return _CTX.divide(numerator, denominator)


def as_percent(fraction: Decimal, places: int = 1) -> Decimal:
    """``fraction`` × 100 rounded half-up to ``places`` decimals: 48/97 → ``Decimal("49.5")``."""
    percent = _CTX.multiply(fraction, Decimal(100))
    return percent.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_CTX)


def format_hours(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: ``Decimal("24.0")`` → ``"24"``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def expected_hours(step: Step) -> Decimal:
    """PERT's (min + 4 × likely + max) / 6 when both ends are given, else the usual hours."""
    if step.hours_min is None or step.hours_max is None:
        return step.hours
    return _divide(step.hours_min + 4 * step.hours + step.hours_max, Decimal(6))


@dataclass(frozen=True, slots=True)
class StepFigures:
    """The figures of one step; ``stage`` is its stage numbered 1..n in process order."""

    key: str
    share: Decimal
    on_critical_path: bool
    is_bottleneck: bool
    expected_hours: Decimal
    name: str
    hours: Decimal
    stage: int


@dataclass(frozen=True, slots=True)
class ProcessSummary:
    """The figures of one process version; ``steps`` follows the order of the input."""

    total_hours: Decimal
    work_hours: Decimal
    steps: tuple[StepFigures, ...]
    bottleneck_key: str | None
    return_rate: Decimal | None
    expected_total_hours: Decimal
    stage_count: int

    @property
    def bottleneck(self) -> StepFigures | None:
        """The figures of the bottleneck step, or ``None``."""
        return next((f for f in self.steps if f.key == self.bottleneck_key), None)

    def figures(self, key: str) -> StepFigures:
        """The figures of the step with ``key`` (``KeyError`` when there is none)."""
        for figures in self.steps:
            if figures.key == key:
                return figures
        raise KeyError(key)


def summarize_steps(steps: Sequence[Step]) -> ProcessSummary:
    """Elapsed and work time, shares, critical path, bottleneck and return rate of ``steps``.

    Raises :class:`~opslens.core.errors.ConfigError` for duplicate keys or a mix of staged and
    unstaged steps.
    """
    groups = stage_groups(steps)
    total = sum((max(s.hours for s in group) for group in groups), _ZERO)
    expected_total = sum((max(expected_hours(s) for s in group) for group in groups), _ZERO)
    stage_of: dict[str, int] = {}
    critical: set[str] = set()
    for number, group in enumerate(groups, start=1):
        longest = max(s.hours for s in group)
        for step in group:
            stage_of[step.key] = number
            if step.hours == longest:
                critical.add(step.key)
    bottleneck: Step | None = None
    if total > 0:
        for step in steps:
            if step.key in critical and (bottleneck is None or step.hours > bottleneck.hours):
                bottleneck = step
    bottleneck_key = None if bottleneck is None else bottleneck.key
    rates = [s.return_rate for s in steps if s.return_rate is not None]
    figures = tuple(
        StepFigures(
            key=step.key,
            share=_divide(step.hours, total) if total > 0 else _ZERO,
            on_critical_path=step.key in critical,
            is_bottleneck=step.key == bottleneck_key,
            expected_hours=expected_hours(step),
            name=step.name,
            hours=step.hours,
            stage=stage_of[step.key],
        )
        for step in steps
    )
    return ProcessSummary(
        total_hours=total,
        work_hours=sum((s.hours for s in steps), _ZERO),
        steps=figures,
        bottleneck_key=bottleneck_key,
        return_rate=_divide(sum(rates, _ZERO), Decimal(len(rates))) if rates else None,
        expected_total_hours=expected_total,
        stage_count=len(groups),
    )


Status = Literal["kept", "changed", "moved", "added", "removed"]


@dataclass(frozen=True, slots=True)
class StepComparison:
    """One step across two versions, matched by key.

    ``delta`` is after − before, a missing side counting as 0 (negative: time saved).
    ``status`` is ``"removed"``/``"added"`` when the step exists on one side only;
    ``"changed"`` when any of its fields (name, hours, role, …) differs; ``"moved"`` when only
    its place differs (it now runs before or after other steps, or in parallel with others);
    else ``"kept"``. ``name`` is the name after the change (before, for a removed step).
    """

    key: str
    name: str
    hours_before: Decimal | None
    hours_after: Decimal | None
    delta: Decimal
    status: Status


@dataclass(frozen=True, slots=True)
class VersionComparison:
    """Before/after figures of two versions of a process.

    ``saving_hours`` is elapsed time before − after (negative when the process got slower);
    ``saving_share`` is that saving over the time before (``None`` when that is 0). ``rows``
    lists the steps in the order of the version before, then the added steps in their order.
    """

    total_before: Decimal
    total_after: Decimal
    saving_hours: Decimal
    saving_share: Decimal | None
    rows: tuple[StepComparison, ...]
    before: ProcessSummary
    after: ProcessSummary


def _moved(before: Sequence[Step], after: Sequence[Step]) -> set[str]:
    """Keys of the steps (present in both) whose place in the process differs.

    A step keeps its place when it belongs to a longest common subsequence of the two orders
    and runs in parallel with the same common steps as before.
    """
    common = {s.key for s in before} & {s.key for s in after}
    old = [s for s in before if s.key in common]
    new = [s for s in after if s.key in common]
    # Longest common subsequence of the two key orders (small lists: quadratic is fine).
    lengths = [[0] * (len(new) + 1) for _ in range(len(old) + 1)]
    for i in range(len(old) - 1, -1, -1):
        for j in range(len(new) - 1, -1, -1):
            if old[i].key == new[j].key:
                lengths[i][j] = lengths[i + 1][j + 1] + 1
            else:
                lengths[i][j] = max(lengths[i + 1][j], lengths[i][j + 1])
    kept: set[str] = set()
    i = j = 0
    while i < len(old) and j < len(new):
        if old[i].key == new[j].key:
            kept.add(old[i].key)
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1

    def partners(steps: list[Step]) -> dict[str, frozenset[str]]:
        by_stage: dict[int, set[str]] = {}
        for step in steps:
            by_stage.setdefault(step.stage, set()).add(step.key)
        return {s.key: frozenset(by_stage[s.stage] - {s.key}) for s in steps}

    old_partners, new_partners = partners(old), partners(new)
    return {key for key in common if key not in kept or old_partners[key] != new_partners[key]}


def compare_versions(before: Sequence[Step], after: Sequence[Step]) -> VersionComparison:
    """Compare two versions of a process step by step (steps are matched by ``key``).

    Raises :class:`~opslens.core.errors.ConfigError` like :func:`summarize_steps`.
    """
    summary_before = summarize_steps(before)
    summary_after = summarize_steps(after)
    old_order, new_order = order_steps(before), order_steps(after)
    moved = _moved(old_order, new_order)
    new = {s.key: s for s in new_order}
    rows: list[StepComparison] = []
    for step in old_order:
        other = new.get(step.key)
        if other is None:
            rows.append(
                StepComparison(step.key, step.name, step.hours, None, -step.hours, "removed")
            )
            continue
        status: Status = "kept"
        if replace(other, stage=step.stage) != step:
            status = "changed"
        elif step.key in moved:
            status = "moved"
        rows.append(
            StepComparison(
                step.key, other.name, step.hours, other.hours, other.hours - step.hours, status
            )
        )
    old_keys = {s.key for s in old_order}
    rows.extend(
        StepComparison(s.key, s.name, None, s.hours, s.hours, "added")
        for s in new_order
        if s.key not in old_keys
    )
    total_before = summary_before.total_hours
    total_after = summary_after.total_hours
    saving = total_before - total_after
    return VersionComparison(
        total_before=total_before,
        total_after=total_after,
        saving_hours=saving,
        saving_share=_divide(saving, total_before) if total_before > 0 else None,
        rows=tuple(rows),
        before=summary_before,
        after=summary_after,
    )
