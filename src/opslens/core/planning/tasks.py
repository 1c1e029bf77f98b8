"""Tasks of a cross-department project (T2 子任务), their dependencies, and their order.

A :class:`Task` is what a person sets: a duration, finish-to-start :class:`Dependency` links with a
lag, an optional milestone date (关键节点) with its buffer, a :class:`TaskStatus` (未开始 / 进行中 /
已完成 / 受阻), and, where known, a fixed or actual start and the actual finish of a done task.
滞后 (lagging) is never a status: it is computed (:mod:`opslens.core.planning.tracking`).

:func:`sort_tasks` checks a set of tasks as a whole — unique keys, known predecessors, no
dependency on itself, no predecessor listed twice, no cycle — and returns them in topological
order; :func:`find_cycle` names a cycle without raising. Every problem raises
:class:`~opslens.core.errors.ConfigError` naming the task (and, for a cycle, the cycle in order:
``"A → B → C → A"``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from opslens.core.errors import ConfigError

__all__ = [
    "Dependency",
    "Task",
    "TaskStatus",
    "as_task_status",
    "find_cycle",
    "sort_tasks",
]


class TaskStatus(StrEnum):
    """The status a person sets on a task. 滞后 is not among them: it is computed."""

    NOT_STARTED = "not_started"  # 未开始
    IN_PROGRESS = "in_progress"  # 进行中
    DONE = "done"  # 已完成
    BLOCKED = "blocked"  # 受阻


def as_task_status(status: TaskStatus | str) -> TaskStatus:
    """``status`` as a :class:`TaskStatus`; ConfigError for an unknown one."""
    try:
        return TaskStatus(status)
    except ValueError:
        known = ", ".join(s.value for s in TaskStatus)
        raise ConfigError(f"unknown task status {status!r}; expected one of {known}") from None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Dependency:
    """A finish-to-start link: this task starts ``lag_days`` after ``predecessor`` finishes.

    With ``lag_days = 0`` the task starts the day after its predecessor's last day; a positive lag
    waits that many more days, a negative lag (a lead) lets the two overlap.
    """

    predecessor: str
    lag_days: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.predecessor, str) or not self.predecessor.strip():
            raise ConfigError(f"a dependency needs a predecessor key, not {self.predecessor!r}")
        if not _is_int(self.lag_days):
            raise ConfigError(
                f"the lag after {self.predecessor!r} must be a whole number of days, "
                f"not {self.lag_days!r}"
            )


@dataclass(frozen=True, slots=True)
class Task:
    """One subtask of a project, as people plan and report it.

    * ``key`` — unique within the project (the web uses the primary key); ``name`` — for people.
    * ``duration_days`` — planned length in days, ≥ 0 (calendar days, or working days when the
      schedule is computed with ``workdays=True``). Zero makes a checkpoint (see
      :func:`~opslens.core.planning.schedule.schedule_tasks`).
    * ``dependencies`` — finish-to-start links to other tasks of the same project.
    * ``milestone`` — the key date (关键节点) by which the task must be finished, inclusive: a
      task finishing on its milestone day meets it. ``buffer_days`` (default 1, ≥ 0) is the
      margin the seed asks to keep before it.
    * ``status`` — set by people; a string such as ``"in_progress"`` is accepted.
    * ``start`` — a fixed start: the actual start of a started task, or a committed start. The
      schedule never starts the task earlier (it may start later, when predecessors finish
      later).
    * ``finish`` — the actual last day of a DONE task (only a done task may have one).

    Invalid values raise :class:`~opslens.core.errors.ConfigError` naming the task.
    """

    key: str
    name: str
    duration_days: int
    dependencies: tuple[Dependency, ...] = ()
    milestone: date | None = None
    buffer_days: int = 1
    status: TaskStatus = TaskStatus.NOT_STARTED
    start: date | None = None
    finish: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise ConfigError(f"a task needs a key, not {self.key!r}")
        label = f"task {self.key!r}"
        if not _is_int(self.duration_days) or self.duration_days < 0:
            raise ConfigError(
                f"{label}: the duration must be a whole number of days ≥ 0, "
                f"not {self.duration_days!r}"
            )
        if not _is_int(self.buffer_days) or self.buffer_days < 0:
            raise ConfigError(
                f"{label}: the buffer must be a whole number of days ≥ 0, not {self.buffer_days!r}"
            )
        object.__setattr__(self, "status", as_task_status(self.status))
        dependencies = tuple(self.dependencies)
        for dependency in dependencies:
            if not isinstance(dependency, Dependency):
                raise ConfigError(f"{label}: {dependency!r} is not a Dependency")
        object.__setattr__(self, "dependencies", dependencies)
        for name in ("milestone", "start", "finish"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or hasattr(value, "hour")):
                raise ConfigError(f"{label}: the {name} must be a date, not {value!r}")
        if self.finish is not None:
            if self.status is not TaskStatus.DONE:
                raise ConfigError(
                    f"{label} has a finish date ({self.finish}) but is not done "
                    f"(status {self.status.value})"
                )
            if self.start is not None and self.finish < self.start:
                raise ConfigError(
                    f"{label} finishes ({self.finish}) before it starts ({self.start})"
                )

    @property
    def predecessors(self) -> tuple[str, ...]:
        """The keys of the tasks this one depends on, in the order of :attr:`dependencies`."""
        return tuple(d.predecessor for d in self.dependencies)

    @property
    def is_done(self) -> bool:
        """Whether the task is DONE (已完成)."""
        return self.status is TaskStatus.DONE


def _index_tasks(tasks: Iterable[Task]) -> tuple[tuple[Task, ...], dict[str, int]]:
    """The tasks as a tuple and the position of each key; checks keys and dependencies."""
    listed = tuple(tasks)
    position: dict[str, int] = {}
    for i, task in enumerate(listed):
        if not isinstance(task, Task):
            raise ConfigError(f"{task!r} is not a Task")
        if task.key in position:
            raise ConfigError(f"two tasks have the key {task.key!r}")
        position[task.key] = i
    for task in listed:
        seen: set[str] = set()
        for predecessor in task.predecessors:
            if predecessor == task.key:
                raise ConfigError(f"task {task.key!r} depends on itself")
            if predecessor in seen:
                raise ConfigError(f"task {task.key!r} lists the predecessor {predecessor!r} twice")
            seen.add(predecessor)
            if predecessor not in position:
                raise ConfigError(
                    f"task {task.key!r} depends on {predecessor!r}, which is not a task of this "
                    "project"
                )
    return listed, position


def _topological(
    listed: Sequence[Task], position: dict[str, int]
) -> tuple[list[int], tuple[str, ...] | None]:
    """Positions in topological order and ``None``, or ``[]`` and a cycle's keys in work order.

    Among the tasks that are ready, the one listed first comes first, so the order is
    deterministic and follows the input wherever the dependencies allow.
    """
    waiting = [len(task.predecessors) for task in listed]
    successors: list[list[int]] = [[] for _ in listed]
    for i, task in enumerate(listed):
        for predecessor in task.predecessors:
            successors[position[predecessor]].append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in successors[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    if len(order) == len(listed):
        return order, None
    # Every task left over waits for another left-over task: walking back along the first such
    # predecessor from the first left-over task must come round to a task already visited.
    left = {i for i, count in enumerate(waiting) if count > 0}
    walk: list[int] = []
    on_walk: dict[int, int] = {}
    current = min(left)
    while current not in on_walk:
        on_walk[current] = len(walk)
        walk.append(current)
        current = next(position[p] for p in listed[current].predecessors if position[p] in left)
    cycle = walk[on_walk[current] :]
    cycle.reverse()  # from predecessor to successor, the way the work flows
    first = cycle.index(min(cycle))
    cycle = cycle[first:] + cycle[:first]
    return [], tuple(listed[i].key for i in (*cycle, cycle[0]))


def find_cycle(tasks: Iterable[Task]) -> tuple[str, ...] | None:
    """A dependency cycle among ``tasks`` as keys in work order, first key repeated at the end.

    For example ``("A", "B", "C", "A")`` when B depends on A, C on B and A on C; the cycle starts
    at its task listed first. ``None`` when there is no cycle. Other problems (duplicate keys,
    unknown predecessors, a task depending on itself) raise
    :class:`~opslens.core.errors.ConfigError`.
    """
    listed, position = _index_tasks(tasks)
    return _topological(listed, position)[1]


def sort_tasks(tasks: Iterable[Task]) -> tuple[Task, ...]:
    """``tasks`` checked as a whole and put in topological order (predecessors first).

    Among tasks free to go next, the one listed first comes first. Raises
    :class:`~opslens.core.errors.ConfigError` for two tasks with one key, a predecessor that is
    not among ``tasks``, a task depending on itself or listing a predecessor twice, and a
    dependency cycle, whose message names it in order: ``dependency cycle: A → B → C → A``.
    """
    listed, position = _index_tasks(tasks)
    order, cycle = _topological(listed, position)
    if cycle is not None:
        raise ConfigError("dependency cycle: " + " → ".join(cycle))
    return tuple(listed[i] for i in order)
