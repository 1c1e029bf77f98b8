"""Column mapping: which source column is the case, the activity, the times, the resource.

:func:`suggest_mapping` proposes a mapping from header names in English and Chinese and from the
XES / PM4Py standard names; explicit choices (CLI flags, the web mapping page) override it field by
field through :meth:`ColumnMapping.merged`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace

from opslens.core.errors import ConfigError, MissingColumnError

__all__ = ["ROLES", "ColumnMapping", "suggest_mapping"]

#: The mapping's roles, in the order they are shown to a user.
ROLES = ("case", "activity", "start", "end", "resource", "lifecycle", "instance")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Source column names per role; ``None`` means the role is not present in the log.

    ``end`` is the event time (``--end`` / ``--timestamp``); ``start`` an optional start-time
    column of interval logs; ``instance`` the XES ``concept:instance`` used in lifecycle pairing.
    """

    case: str | None = None
    activity: str | None = None
    start: str | None = None
    end: str | None = None
    resource: str | None = None
    lifecycle: str | None = None
    instance: str | None = None

    def merged(self, override: ColumnMapping) -> ColumnMapping:
        """This mapping with every role that ``override`` sets replaced by the override."""
        changes = {f.name: getattr(override, f.name) for f in fields(override)}
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def used_columns(self) -> list[str]:
        return [c for c in self.as_dict().values() if c is not None]

    def validate(self, columns: Sequence[str], *, file: str | None = None) -> None:
        """Raise if a required role is unset or a mapped column is not in ``columns``."""
        available = set(columns)
        for role, column in self.as_dict().items():
            if column is not None and column not in available:
                shown = ", ".join(repr(c) for c in columns[:30])
                raise MissingColumnError(
                    f"the {role} column {column!r} is not in the file (columns: {shown})",
                    file=file,
                    column=column,
                )
        missing = [r for r in ("case", "activity", "end") if getattr(self, r) is None]
        if missing:
            flags = {"case": "--case", "activity": "--activity", "end": "--timestamp"}
            shown = ", ".join(repr(c) for c in columns[:30])
            raise MissingColumnError(
                "cannot tell which column is the "
                + " / ".join(missing)
                + f"; name it with {' / '.join(flags[m] for m in missing)} (columns: {shown})",
                file=file,
            )
        used = [c for c in self.used_columns()]
        dupes = {c for c in used if used.count(c) > 1}
        if dupes:
            raise ConfigError(f"one column mapped to several roles: {', '.join(sorted(dupes))}")


# Exact names first (XES / PM4Py / common exports), then keyword rules. Names are compared after
# normalisation: lower case, no spaces, underscores, hyphens or dots.
_EXACT: dict[str, tuple[str, ...]] = {
    "case": (
        "case:concept:name",
        "caseid",
        "case",
        "caseconceptname",
        "traceid",
        "工单号",
        "案例号",
        "案例编号",
        "单号",
        "订单号",
        "工单编号",
        "流程编号",
        "案例id",
    ),
    "activity": (
        "concept:name",
        "activity",
        "activityname",
        "task",
        "event",
        "eventname",
        "环节",
        "活动",
        "步骤",
        "节点",
        "活动名称",
        "环节名称",
        "步骤名称",
        "节点名称",
    ),
    "start": ("start_timestamp", "starttimestamp", "starttime", "start", "开始时间", "开始日期"),
    "end": (
        "time:timestamp",
        "timestamp",
        "endtime",
        "end",
        "completetime",
        "time",
        "datetime",
        "结束时间",
        "完成时间",
        "时间",
        "结束日期",
        "完成日期",
        "日期时间",
        "发生时间",
    ),
    "resource": (
        "org:resource",
        "resource",
        "user",
        "performer",
        "handler",
        "assignee",
        "处理人",
        "负责人",
        "操作人",
        "执行人",
        "经办人",
    ),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition", "eventtype", "状态转换"),
    "instance": ("concept:instance", "activityinstance", "instanceid"),
}

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "case": ("工单号", "案例号", "单号", "订单号", "caseid", "case"),
    "activity": ("环节", "活动", "步骤", "节点", "activity"),
    "start": ("开始时间", "starttime", "start"),
    "end": ("结束时间", "完成时间", "timestamp", "时间", "endtime", "time"),
    "resource": ("处理人", "负责人", "操作人", "resource"),
}

_NORMALISE = re.compile(r"[\s_\-.]+")


def _norm(name: str) -> str:
    return _NORMALISE.sub("", name.strip().lower())


def suggest_mapping(columns: Iterable[str]) -> ColumnMapping:
    """Propose a mapping from header names (English, Chinese, XES/PM4Py standard names).

    Exact standard names win over keyword matches; each column is used for at most one role;
    roles are filled in the order case, activity, end, start, resource, lifecycle, instance.
    Case attributes (``case:…``) are only matched by exact name. Columns with
    ``部门``/``department`` are left as attributes.
    """
    cols = [c for c in columns if c is not None and str(c).strip() != ""]
    normed = {c: _norm(str(c)) for c in cols}
    taken: set[str] = set()
    chosen: dict[str, str | None] = {}
    order = ("case", "activity", "end", "start", "resource", "lifecycle", "instance")
    for role in order:
        pick: str | None = None
        for candidate in _EXACT[role]:
            target = _norm(candidate)
            pick = next((c for c in cols if c not in taken and normed[c] == target), None)
            if pick is not None:
                break
        if pick is None and role in _KEYWORDS:
            for kw in _KEYWORDS[role]:
                pick = next(
                    (
                        c
                        for c in cols
                        if c not in taken
                        and kw in normed[c]
                        and not (role == "end" and ("开始" in normed[c] or "start" in normed[c]))
                        and not normed[c].startswith("case:")
                    ),
                    None,
                )
                if pick is not None:
                    break
        chosen[role] = pick
        if pick is not None:
            taken.add(pick)
    return ColumnMapping(**chosen)
