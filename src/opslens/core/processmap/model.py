"""The records of a process map (T1 现有流程梳理与优化表): steps, the header and the whole sheet.

A process is an ordered list of :class:`Step`. Steps with the same ``stage`` run in parallel;
stages run one after another in ascending order. When no step has a stage (every ``stage`` is 0,
the default), the steps run one after another in the given order. A process where some steps
have a stage and others do not is contradictory and raises :class:`ConfigError`.

Hours and rates are :class:`~decimal.Decimal`; text is stripped, and characters that XML (hence
XLSX and BPMN) cannot hold are removed, so that every record survives a round trip through a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from opslens.core.errors import ConfigError, InputError

__all__ = [
    "DEPARTMENT_SEPARATORS",
    "ProcessHeader",
    "ProcessSheet",
    "Step",
    "order_steps",
]

#: Characters that separate department names in one cell (the seed writes "采购部、财务部").
DEPARTMENT_SEPARATORS = "、,，;；"

# Everything outside the XML 1.0 character set (control characters, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPLIT_DEPARTMENTS = re.compile(f"[{DEPARTMENT_SEPARATORS}]")


def clean_text(value: object) -> str:
    """``value`` as text without surrounding white space and without XML-illegal characters."""
    if value is None:
        return ""
    return _NOT_XML.sub("", str(value)).strip()


def to_decimal(value: object, field: str) -> Decimal:
    """A finite :class:`Decimal` from a Decimal, an int, a float or numeric text.

    Floats go through their shortest ``repr`` (0.1 becomes ``Decimal("0.1")``, not the binary
    expansion). Anything else raises :class:`InputError` naming ``field``.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InputError("expected a number, not a yes/no value", column=field, value=value)
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InputError("expected a number", column=field, value=value) from None
    else:
        raise InputError("expected a number", column=field, value=value)
    if not result.is_finite():
        raise InputError("expected a finite number", column=field, value=value)
    return result


def _optional_decimal(value: object, field: str) -> Decimal | None:
    return None if value is None else to_decimal(value, field)


@dataclass(frozen=True, slots=True)
class Step:
    """One step (流程步骤) of a process.

    ``key`` identifies the step within one version (the web passes the database id as text);
    ``hours`` is the usual (most likely) duration in hours. ``hours_min``/``hours_max`` are the
    optional ends of a three-point estimate (``hours_min <= hours <= hours_max``);
    ``return_rate`` is the share of cases sent back at this step (0..1, 15 % is
    ``Decimal("0.15")``). Steps with equal ``stage`` run in parallel (see the module docstring).

    Construction validates and normalises: text is stripped, numbers become :class:`Decimal`,
    and a bad value raises :class:`InputError` whose ``column`` is the field name.
    """

    key: str
    name: str
    hours: Decimal
    role: str = ""
    department: str = ""
    inputs: str = ""
    outputs: str = ""
    hours_min: Decimal | None = None
    hours_max: Decimal | None = None
    return_rate: Decimal | None = None
    system: str = ""
    stage: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        put = object.__setattr__
        for field in ("key", "name", "role", "department", "inputs", "outputs", "system", "note"):
            put(self, field, clean_text(getattr(self, field)))
        if not self.key:
            raise InputError("every step needs a key", column="key", value=self.name or None)
        if not self.name:
            raise InputError("every step needs a name", column="name")
        hours = to_decimal(self.hours, "hours")
        low = _optional_decimal(self.hours_min, "hours_min")
        high = _optional_decimal(self.hours_max, "hours_max")
        rate = _optional_decimal(self.return_rate, "return_rate")
        if hours < 0:
            raise InputError("the duration cannot be negative", column="hours", value=hours)
        if low is not None and low < 0:
            raise InputError(
                "the shortest duration cannot be negative", column="hours_min", value=low
            )
        if low is not None and low > hours:
            raise InputError(
                f"the shortest duration is longer than the usual duration ({hours} h)",
                column="hours_min",
                value=low,
            )
        if high is not None and high < hours:
            raise InputError(
                f"the longest duration is shorter than the usual duration ({hours} h)",
                column="hours_max",
                value=high,
            )
        if rate is not None and not 0 <= rate <= 1:
            raise InputError(
                "the return rate must be a fraction between 0 and 1 (15 % is 0.15)",
                column="return_rate",
                value=rate,
            )
        if isinstance(self.stage, bool) or not isinstance(self.stage, int):
            raise InputError("the stage must be a whole number", column="stage", value=self.stage)
        if self.stage < 0:
            raise InputError("the stage cannot be negative", column="stage", value=self.stage)
        put(self, "hours", hours)
        put(self, "hours_min", low)
        put(self, "hours_max", high)
        put(self, "return_rate", rate)


@dataclass(frozen=True, slots=True)
class ProcessHeader:
    """The header block of the sheet: 流程名称, 责任部门, 流程起点, 流程终点, 记录日期.

    ``departments`` is normalised: each entry is stripped and split at 、 , ， ; ；, empty
    entries and repeats are dropped. A ``datetime`` record date keeps only its date.
    """

    name: str
    departments: tuple[str, ...] = ()
    start_point: str = ""
    end_point: str = ""
    record_date: date | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        for field in ("name", "start_point", "end_point"):
            put(self, field, clean_text(getattr(self, field)))
        raw: Iterable[object] = (
            (self.departments,) if isinstance(self.departments, str) else self.departments
        )
        departments: list[str] = []
        for entry in raw:
            for part in _SPLIT_DEPARTMENTS.split(clean_text(entry)):
                part = part.strip()
                if part and part not in departments:
                    departments.append(part)
        put(self, "departments", tuple(departments))
        when = self.record_date
        if isinstance(when, datetime):
            put(self, "record_date", when.date())
        elif when is not None and not isinstance(when, date):
            raise InputError("the record date must be a date", column="record_date", value=when)


@dataclass(frozen=True, slots=True)
class ProcessSheet:
    """A whole process table: the header and the steps of one version.

    The steps are kept in process order with stages numbered 1..n (see :func:`order_steps`),
    so a sheet read back from a file equals the one written.
    """

    header: ProcessHeader
    steps: tuple[Step, ...]
    version_label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", order_steps(self.steps))
        object.__setattr__(self, "version_label", clean_text(self.version_label))


def check_keys(steps: Sequence[Step]) -> None:
    """Raise :class:`ConfigError` when two steps share a key."""
    seen: set[str] = set()
    for step in steps:
        if step.key in seen:
            raise ConfigError(f"two steps share the key {step.key!r}; every key must be unique")
        seen.add(step.key)


def stage_groups(steps: Sequence[Step]) -> list[list[Step]]:
    """The steps grouped by stage, in process order (the steps of one group run in parallel).

    Raises :class:`ConfigError` for duplicate keys, or when some steps have a stage and others
    do not (stage 0).
    """
    check_keys(steps)
    if not steps:
        return []
    staged = [step.stage != 0 for step in steps]
    if not any(staged):
        return [[step] for step in steps]
    if not all(staged):
        unset = next(step for step in steps if step.stage == 0)
        raise ConfigError(
            f"step {unset.name!r} has no stage while other steps have one; "
            "give every step a stage (1, 2, …) or none"
        )
    groups: dict[int, list[Step]] = {}
    for step in steps:
        groups.setdefault(step.stage, []).append(step)
    return [groups[stage] for stage in sorted(groups)]


def order_steps(steps: Iterable[Step]) -> tuple[Step, ...]:
    """The steps in process order with their stages renumbered 1..n.

    Steps that shared a stage still share one; when no step has a stage, each step becomes its
    own stage in the given order. Raises :class:`ConfigError` like :func:`stage_groups`.
    """
    ordered: list[Step] = []
    for number, group in enumerate(stage_groups(list(steps)), start=1):
        ordered.extend(
            step if step.stage == number else replace(step, stage=number) for step in group
        )
    return tuple(ordered)
