"""The schedule of a project (critical path method) and the "if this slips N days" preview.

**Days.** Durations, lags and slack count calendar days by default, or working days (Monday to
Friday; public holidays are not known) with ``workdays=True``. Dates are *inclusive*: a task of
``d ≥ 1`` days that starts on ``S`` finishes on ``S + d − 1`` (its last day of work), and a
finish-to-start successor with lag 0 starts the day after. A lag of ``n`` adds ``n`` days between
them; a negative lag (a lead) lets them overlap. In working days, dates that fall on a weekend
move to the next working day (an actual finish on a Saturday counts as the Friday before).

**Checkpoints.** A task of zero days takes no time: it is reached at the end of a day, so its start
and finish are that day and its successors start the next day, exactly as after a one-day task
that finished that day. A checkpoint with nothing before it is reached at the end of the day
before the project start (it is ready on day one); one with a fixed ``start`` is reached at the
end of that day.

**Forward pass.** A task starts at the latest of the project start, its fixed ``start`` (never
earlier: "start no earlier than") and, for every dependency, the day after the predecessor's
earliest finish plus the lag. A DONE task with an actual ``finish`` is a fact, not a plan: it
keeps its actual dates (its ``start``, or ``finish − duration + 1`` when the start is unknown),
whatever its predecessors say, and its successors follow its actual finish.

**Backward pass.** The project ends on the latest earliest finish (:attr:`Schedule.end`). Every
task must finish by the project end and early enough for each successor's latest start minus the
lag. Milestones are *not* deadlines of the backward pass: they are measured against the plan by
:attr:`ScheduledTask.milestone_margin`, so that slack always means "days this task can slip
without moving the project end" and is never negative. (Links into a done task with an actual
finish are history and constrain nothing.)

**Slack and the critical path.** Total slack = latest start − earliest start; free slack = days a
task can slip without moving any successor (or, without successors, the project end). A task
with zero total slack is critical. :attr:`Schedule.critical_path` is one chain of critical tasks
from a task that starts the project (or is held by its fixed start) to the task that ends it,
each link a driving dependency; where several chains tie, the one through tasks listed earlier
wins (among the tasks that finish on the end day and are not followed by another such task, the
first in schedule order; walking back, the first driving predecessor in schedule order). Every
critical task, on the chain or not, has :attr:`ScheduledTask.critical` set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from opslens.core.errors import ConfigError
from opslens.core.planning.tasks import Task, sort_tasks

__all__ = [
    "MovedTask",
    "Schedule",
    "ScheduledTask",
    "SlipPreview",
    "preview_slip",
    "schedule_tasks",
]

_DAY = timedelta(days=1)


class _Calendar:
    """Day numbers (0 = the first day of the project) to dates and back."""

    def __init__(self, start: date, workdays: bool) -> None:
        self.start = start
        self.workdays = workdays
        anchor = start
        if workdays:
            while anchor.weekday() >= 5:
                anchor += _DAY
        self.anchor = anchor  # the date of day number 0

    @staticmethod
    def _weekdays(first: date, stop: date) -> int:
        """How many of the days ``first ≤ day < stop`` are Monday to Friday."""
        weeks, rest = divmod((stop - first).days, 7)
        monday_based = first.weekday()
        return weeks * 5 + sum(1 for k in range(rest) if (monday_based + k) % 7 < 5)

    def number(self, day: date) -> int:
        """The number of ``day``; a weekend day gets the number of the next working day."""
        if not self.workdays:
            return (day - self.start).days
        if day >= self.start:
            return self._weekdays(self.start, day)
        return -self._weekdays(day, self.start)

    def date(self, number: int) -> date:
        """The date of day ``number``."""
        if not self.workdays:
            return self.start + number * _DAY
        weeks, rest = divmod(number, 5)
        day = self.anchor + timedelta(weeks=weeks)
        while rest:
            day += _DAY
            if day.weekday() < 5:
                rest -= 1
        return day


@dataclass(frozen=True, slots=True)
class ScheduledTask:
    """One task with its earliest and latest dates, its slack and its milestone margin.

    Dates are inclusive (the finish is the last day of work); slack counts days of the schedule's
    calendar (calendar or working days); ``milestone_margin`` always counts calendar days:
    ``milestone − earliest_finish``, ``None`` without a milestone, negative when the plan misses
    the milestone.
    """

    task: Task
    earliest_start: date
    earliest_finish: date
    latest_start: date
    latest_finish: date
    total_slack: int
    free_slack: int
    critical: bool
    milestone_margin: int | None

    @property
    def key(self) -> str:
        """The task's key."""
        return self.task.key

    @property
    def misses_milestone(self) -> bool:
        """Whether the plan finishes after the milestone (a negative margin)."""
        return self.milestone_margin is not None and self.milestone_margin < 0

    @property
    def buffer_at_risk(self) -> bool:
        """Whether the plan meets the milestone but leaves less than the task's buffer days."""
        margin = self.milestone_margin
        return margin is not None and 0 <= margin < self.task.buffer_days


@dataclass(frozen=True, slots=True)
class Schedule:
    """The scheduled tasks in topological order, the project's first and last day, the path.

    ``start`` is the first day of the project (the first working day on or after the given start
    with ``workdays=True``); ``end`` the latest earliest finish (the day before ``start`` when
    there is nothing to do). ``critical_path`` holds the keys of one chain of critical tasks.
    """

    tasks: tuple[ScheduledTask, ...]
    start: date
    end: date
    critical_path: tuple[str, ...]
    workdays: bool = False

    def task(self, key: str) -> ScheduledTask:
        """The scheduled task with ``key``; ConfigError when there is none."""
        for scheduled in self.tasks:
            if scheduled.task.key == key:
                return scheduled
        raise ConfigError(f"the schedule has no task {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys of the tasks in schedule (topological) order."""
        return tuple(scheduled.task.key for scheduled in self.tasks)

    @property
    def missed_milestones(self) -> tuple[ScheduledTask, ...]:
        """The tasks whose plan finishes after their milestone, in schedule order."""
        return tuple(scheduled for scheduled in self.tasks if scheduled.misses_milestone)


def _check_start(project_start: date) -> None:
    if not isinstance(project_start, date) or hasattr(project_start, "hour"):
        raise ConfigError(f"the project start must be a date, not {project_start!r}")


def _is_fact(task: Task) -> bool:
    return task.is_done and task.finish is not None


def schedule_tasks(
    tasks: Iterable[Task], *, project_start: date, workdays: bool = False
) -> Schedule:
    """The schedule of ``tasks`` from ``project_start``: forward pass, backward pass, slack.

    The tasks are checked first (:func:`~opslens.core.planning.tasks.sort_tasks`): duplicate
    keys, unknown predecessors, self-dependencies and cycles raise
    :class:`~opslens.core.errors.ConfigError`. See the module documentation for the rules
    (inclusive dates, checkpoints, fixed starts, done tasks, milestones, ties). With
    ``workdays=True`` durations, lags and slack count Monday to Friday.
    """
    _check_start(project_start)
    ordered = sort_tasks(tasks)
    calendar = _Calendar(project_start, workdays)
    keys = [task.key for task in ordered]
    at = {key: i for i, key in enumerate(keys)}
    successors: list[list[tuple[int, int]]] = [[] for _ in ordered]  # (successor, lag)
    for j, task in enumerate(ordered):
        if _is_fact(task):
            continue  # links into a done task are history
        for dependency in task.dependencies:
            successors[at[dependency.predecessor]].append((j, dependency.lag_days))

    # Forward pass in day numbers; a task occupies the days es ≤ day < ef.
    es: list[int] = []
    ef: list[int] = []
    for task in ordered:
        if _is_fact(task):
            assert task.finish is not None
            finish = calendar.number(task.finish + _DAY)
            if task.duration_days > 0 and task.start is not None:
                start = min(calendar.number(task.start), finish)
            else:
                start = finish - task.duration_days
        else:
            start = 0
            if task.start is not None:
                fixed = task.start + _DAY if task.duration_days == 0 else task.start
                start = max(start, calendar.number(fixed))
            for dependency in task.dependencies:
                start = max(start, ef[at[dependency.predecessor]] + dependency.lag_days)
            finish = start + task.duration_days
        es.append(start)
        ef.append(finish)
    end = max(ef, default=0)

    # Backward pass.
    count = len(ordered)
    ls = [0] * count
    lf = [0] * count
    free = [0] * count
    for i in reversed(range(count)):
        latest = end
        next_start = end
        for j, lag in successors[i]:
            latest = min(latest, ls[j] - lag)
            next_start = min(next_start, es[j] - lag)
        lf[i] = latest
        ls[i] = latest - (ef[i] - es[i])
        free[i] = next_start - ef[i]

    def first_day(start: int, finish: int) -> date:
        return calendar.date(min(start, finish - 1))

    scheduled: list[ScheduledTask] = []
    for i, task in enumerate(ordered):
        earliest_finish = calendar.date(ef[i] - 1)
        margin = None if task.milestone is None else (task.milestone - earliest_finish).days
        slack = ls[i] - es[i]
        scheduled.append(
            ScheduledTask(
                task=task,
                earliest_start=first_day(es[i], ef[i]),
                earliest_finish=earliest_finish,
                latest_start=first_day(ls[i], lf[i]),
                latest_finish=calendar.date(lf[i] - 1),
                total_slack=slack,
                free_slack=free[i],
                critical=slack == 0,
                milestone_margin=margin,
            )
        )

    path: list[int] = []
    ends = {i for i in range(count) if scheduled[i].critical and ef[i] == end}
    # The chain ends at a task that ends the project and is not followed by another one that
    # also does (a checkpoint after the last work, a task overlapping it with a lead).
    last = [
        i for i in ends if not any(j in ends and es[j] == ef[i] + lag for j, lag in successors[i])
    ]
    if last:
        current = min(last)
        path.append(current)
        while not _is_fact(ordered[current]):
            driving = [
                at[d.predecessor]
                for d in ordered[current].dependencies
                if scheduled[at[d.predecessor]].critical
                and ef[at[d.predecessor]] + d.lag_days == es[current]
            ]
            if not driving:
                break
            current = min(driving)
            path.append(current)
    path.reverse()

    return Schedule(
        tasks=tuple(scheduled),
        start=calendar.anchor,
        end=calendar.date(end - 1),
        critical_path=tuple(keys[i] for i in path),
        workdays=workdays,
    )


@dataclass(frozen=True, slots=True)
class MovedTask:
    """A task whose earliest finish moves when another task slips.

    ``shift_days`` counts calendar days (``new_finish − old_finish``); the margins are those of
    :attr:`ScheduledTask.milestone_margin` before and after (``None`` without a milestone).
    """

    key: str
    name: str
    old_finish: date
    new_finish: date
    shift_days: int
    milestone: date | None
    old_margin: int | None
    new_margin: int | None

    @property
    def misses_milestone(self) -> bool:
        """Whether the task finishes after its milestone once the slip happens."""
        return self.new_margin is not None and self.new_margin < 0

    @property
    def newly_misses_milestone(self) -> bool:
        """Whether the slip makes the task miss a milestone it met before."""
        return self.misses_milestone and self.old_margin is not None and self.old_margin >= 0


@dataclass(frozen=True, slots=True)
class SlipPreview:
    """What happens if task ``key`` finishes ``days`` days later than planned.

    ``moved`` lists every task whose earliest finish moves, in schedule order (the slipped task
    comes first: only it and the tasks after it can move), ``missed_milestones`` those of them
    that then finish after their milestone (already missed before or not: see
    :attr:`MovedTask.newly_misses_milestone`). Tasks whose slack absorbs the slip do not move
    and are not listed. ``schedule`` is the schedule with the slip, for drawing it.
    """

    key: str
    days: int
    moved: tuple[MovedTask, ...]
    missed_milestones: tuple[MovedTask, ...]
    old_end: date
    new_end: date
    schedule: Schedule

    @property
    def end_shift_days(self) -> int:
        """How many calendar days the project end moves."""
        return (self.new_end - self.old_end).days


def preview_slip(
    tasks: Iterable[Task],
    key: str,
    days: int,
    *,
    project_start: date,
    workdays: bool = False,
) -> SlipPreview:
    """The effect of task ``key`` taking ``days`` more days than planned ("如果延误N天").

    The task's duration grows by ``days`` (≥ 0, in the schedule's calendar); both schedules are
    computed and compared. A task that is not among ``tasks``, a negative or fractional
    ``days``, and a done task with an actual finish (it can no longer slip) raise
    :class:`~opslens.core.errors.ConfigError`.
    """
    listed = tuple(tasks)
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ConfigError(f"a slip must be a whole number of days ≥ 0, not {days!r}")
    matching = [task for task in listed if isinstance(task, Task) and task.key == key]
    if not matching:
        raise ConfigError(f"there is no task {key!r} to slip")
    if _is_fact(matching[0]):
        raise ConfigError(f"task {key!r} is done; it can no longer slip")
    before = schedule_tasks(listed, project_start=project_start, workdays=workdays)
    slipped = tuple(
        replace(task, duration_days=task.duration_days + days) if task.key == key else task
        for task in listed
    )
    after = schedule_tasks(slipped, project_start=project_start, workdays=workdays)

    moved: list[MovedTask] = []
    for old, new in zip(before.tasks, after.tasks, strict=True):
        if new.earliest_finish == old.earliest_finish:
            continue
        moved.append(
            MovedTask(
                key=old.task.key,
                name=old.task.name,
                old_finish=old.earliest_finish,
                new_finish=new.earliest_finish,
                shift_days=(new.earliest_finish - old.earliest_finish).days,
                milestone=old.task.milestone,
                old_margin=old.milestone_margin,
                new_margin=new.milestone_margin,
            )
        )
    return SlipPreview(
        key=key,
        days=days,
        moved=tuple(moved),
        missed_milestones=tuple(m for m in moved if m.misses_milestone),
        old_end=before.end,
        new_end=after.end,
        schedule=after,
    )
