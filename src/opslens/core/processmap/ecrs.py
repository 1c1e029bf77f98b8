"""ECRS changes (取消 Eliminate, 合并 Combine, 重排 Rearrange, 简化 Simplify) on a process.

:func:`apply_ecrs` takes the steps of a version and one :class:`EcrsChange` and returns the steps
of the new version, in process order with stages renumbered 1..n. It never changes its input.
An impossible change raises :class:`ConfigError` with a message that can be shown to the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from opslens.core.errors import ConfigError, InputError
from opslens.core.processmap.model import Step, order_steps, stage_groups, to_decimal

__all__ = ["ECRS_KINDS", "EcrsChange", "EcrsKind", "apply_ecrs"]

EcrsKind = Literal["eliminate", "combine", "rearrange", "simplify"]

#: The four kinds of change, in the order of the acronym.
ECRS_KINDS: tuple[EcrsKind, ...] = ("eliminate", "combine", "rearrange", "simplify")

# The options each kind takes (besides step_key and note).
_OPTIONS: dict[str, frozenset[str]] = {
    "eliminate": frozenset(),
    "combine": frozenset({"other_key", "new_hours", "new_name"}),
    "rearrange": frozenset({"position", "parallel_with"}),
    "simplify": frozenset({"new_hours", "new_name"}),
}


@dataclass(frozen=True, slots=True)
class EcrsChange:
    """One ECRS change to the step ``step_key``.

    * ``eliminate`` removes the step;
    * ``combine`` merges ``other_key`` into the step's place: both disappear and one step
      (key ``step_key``) appears, named ``new_name`` (default "A + B") and lasting
      ``new_hours`` (default: the sum);
    * ``rearrange`` moves the step to ``position`` (0-based index in process order, as its own
      stage) or runs it in parallel with ``parallel_with``;
    * ``simplify`` shortens the step to ``new_hours`` (never longer) and may rename it.

    Empty text in ``other_key``, ``parallel_with`` and ``new_name`` counts as not given.
    """

    kind: EcrsKind
    step_key: str
    note: str = ""
    other_key: str | None = None
    position: int | None = None
    parallel_with: str | None = None
    new_hours: Decimal | None = None
    new_name: str | None = None


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def _join(first: str, second: str) -> str:
    """Both lists of items joined with 、, each item once, in order."""
    items: list[str] = []
    for text in (first, second):
        for item in text.split("、"):
            item = item.strip()
            if item and item not in items:
                items.append(item)
    return "、".join(items)


def _join_notes(first: str, second: str) -> str:
    return "；".join(n for n in dict.fromkeys((first, second)) if n)


def _hours(change: EcrsChange, name: str) -> Decimal | None:
    if change.new_hours is None:
        return None
    try:
        hours = to_decimal(change.new_hours, "new_hours")
    except InputError:
        raise ConfigError(
            f"the new duration of {name!r} must be a number of hours, not {change.new_hours!r}"
        ) from None
    if hours < 0:
        raise ConfigError(f"the new duration of {name!r} cannot be negative ({hours} h)")
    return hours


def _renumber(groups: Sequence[Sequence[Step]]) -> tuple[Step, ...]:
    return tuple(
        step if step.stage == number else replace(step, stage=number)
        for number, group in enumerate(groups, start=1)
        for step in group
    )


def _find(steps: Sequence[Step], key: str | None, role: str) -> Step:
    for step in steps:
        if step.key == key:
            return step
    raise ConfigError(f"there is no step with the key {key!r} ({role})")


def apply_ecrs(steps: Sequence[Step], change: EcrsChange) -> tuple[Step, ...]:
    """The steps after ``change``, in process order with stages renumbered 1..n.

    Raises :class:`ConfigError` for an unknown kind or step, an option the kind does not take,
    a missing option, a negative or longer duration, or removing the last step.
    """
    if change.kind not in ECRS_KINDS:
        raise ConfigError(
            f"unknown ECRS change {change.kind!r}; expected one of {', '.join(ECRS_KINDS)}"
        )
    ordered = order_steps(steps)
    given = {
        "other_key": _blank(change.other_key),
        "position": change.position,
        "parallel_with": _blank(change.parallel_with),
        "new_hours": change.new_hours,
        "new_name": _blank(change.new_name),
    }
    for option, value in given.items():
        if value is not None and option not in _OPTIONS[change.kind]:
            raise ConfigError(f"a {change.kind!r} change takes no {option} (got {value!r})")
    target = _find(ordered, change.step_key, "the step to change")
    if change.kind == "eliminate":
        if len(ordered) == 1:
            raise ConfigError(
                f"cannot eliminate {target.name!r}: it is the only step, "
                "and a process needs at least one"
            )
        return order_steps(s for s in ordered if s.key != target.key)
    if change.kind == "combine":
        return _combine(ordered, target, change, given["other_key"], given["new_name"])
    if change.kind == "rearrange":
        return _rearrange(ordered, target, change.position, given["parallel_with"])
    new_hours = _hours(change, target.name)
    if new_hours is None:
        raise ConfigError(f"simplifying {target.name!r} needs its new duration in hours")
    if new_hours > target.hours:
        raise ConfigError(
            f"simplifying {target.name!r} cannot make it longer: it takes {target.hours} h, "
            f"the new duration is {new_hours} h"
        )
    name = given["new_name"]
    simplified = replace(
        target,
        hours=new_hours,
        hours_min=None if new_hours != target.hours else target.hours_min,
        hours_max=None if new_hours != target.hours else target.hours_max,
        name=target.name if name is None else str(name),
    )
    return tuple(simplified if s.key == target.key else s for s in ordered)


def _combine(
    ordered: tuple[Step, ...],
    target: Step,
    change: EcrsChange,
    other_key: object,
    new_name: object,
) -> tuple[Step, ...]:
    if other_key is None:
        raise ConfigError(f"combining {target.name!r} needs the step to merge into it")
    if other_key == target.key:
        raise ConfigError(f"cannot combine {target.name!r} with itself")
    other = _find(ordered, str(other_key), "the step to merge")
    hours = _hours(change, f"{target.name} + {other.name}")

    def bound(first: Decimal | None, second: Decimal | None) -> Decimal | None:
        if hours is not None or (first is None and second is None):
            return None
        return (target.hours if first is None else first) + (
            other.hours if second is None else second
        )

    rates = [r for r in (target.return_rate, other.return_rate) if r is not None]
    merged = Step(
        key=target.key,
        name=f"{target.name} + {other.name}" if new_name is None else str(new_name),
        hours=target.hours + other.hours if hours is None else hours,
        role=_join(target.role, other.role),
        department=_join(target.department, other.department),
        inputs=_join(target.inputs, other.inputs),
        outputs=_join(target.outputs, other.outputs),
        hours_min=bound(target.hours_min, other.hours_min),
        hours_max=bound(target.hours_max, other.hours_max),
        return_rate=max(rates) if rates else None,
        system=_join(target.system, other.system),
        stage=target.stage,
        note=_join_notes(target.note, other.note),
    )
    return order_steps(merged if s.key == target.key else s for s in ordered if s.key != other.key)


def _rearrange(
    ordered: tuple[Step, ...],
    target: Step,
    position: int | None,
    parallel_with: object,
) -> tuple[Step, ...]:
    if position is not None and parallel_with is not None:
        raise ConfigError(
            f"move {target.name!r} either to a position or in parallel with a step, not both"
        )
    rest = [s for s in ordered if s.key != target.key]
    groups = stage_groups(rest)
    if parallel_with is not None:
        if parallel_with == target.key:
            raise ConfigError(f"{target.name!r} cannot run in parallel with itself")
        partner = _find(rest, str(parallel_with), "the step to run in parallel with")
        for group in groups:
            if partner in group:
                group.append(target)
        return _renumber(groups)
    if position is None:
        raise ConfigError(
            f"moving {target.name!r} needs a new position or a step to run in parallel with"
        )
    if isinstance(position, bool) or not isinstance(position, int):
        raise ConfigError(f"the position must be a whole number, not {position!r}")
    if not 0 <= position < len(ordered):
        raise ConfigError(
            f"cannot move {target.name!r} to position {position}: "
            f"positions go from 0 to {len(ordered) - 1}"
        )
    if 0 < position < len(rest) and rest[position - 1].stage == rest[position].stage:
        raise ConfigError(
            f"position {position} falls inside the parallel steps {rest[position - 1].name!r} "
            f"and {rest[position].name!r}; move {target.name!r} before or after them, "
            "or run it in parallel with one of them"
        )
    placed: list[list[Step]] = []
    count = 0
    for group in groups:
        if count == position:
            placed.append([target])
        placed.append(group)
        count += len(group)
    if count == position:
        placed.append([target])
    return _renumber(placed)
