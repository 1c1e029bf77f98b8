"""滞后 (lagging) and the state a task is shown in: computed, never set by people.

A task is *lagging* (滞后) on ``today`` when its milestone has passed — the milestone day is
over, ``milestone < today`` — and it is not done. On the milestone day itself it is not lagging
yet; a task without a milestone never lags; a done task never lags. A done task whose actual
finish is after its milestone *finished late* (:func:`finished_late`), which is history rather
than a state to act on.

:func:`task_state` combines the status a person set (未开始 / 进行中 / 已完成 / 受阻) with the
computed flags into one :class:`DisplayState`, so a blocked task past its milestone shows both
受阻 and 滞后.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from opslens.core.errors import ConfigError
from opslens.core.planning.tasks import Task, TaskStatus

__all__ = [
    "DisplayState",
    "finished_late",
    "is_lagging",
    "task_state",
]


def _check_today(today: date) -> None:
    if not isinstance(today, date) or hasattr(today, "hour"):
        raise ConfigError(f"today must be a date, not {today!r}")


def is_lagging(task: Task, today: date) -> bool:
    """Whether ``task`` is 滞后 on ``today``: its milestone is before today and it is not done."""
    _check_today(today)
    return task.milestone is not None and task.milestone < today and not task.is_done


def finished_late(task: Task) -> bool:
    """Whether ``task`` is done with an actual finish after its milestone.

    ``False`` when the task is not done, or its finish or its milestone is not known.
    """
    return (
        task.is_done
        and task.finish is not None
        and task.milestone is not None
        and task.finish > task.milestone
    )


@dataclass(frozen=True, slots=True)
class DisplayState:
    """How a task is shown: the status a person set plus the computed flags.

    ``days_late`` is how many days past its milestone the task is: ``today − milestone`` when
    lagging, ``finish − milestone`` when it finished late, else 0.
    """

    status: TaskStatus
    lagging: bool
    finished_late: bool
    days_late: int

    @property
    def blocked(self) -> bool:
        """Whether a person marked the task 受阻."""
        return self.status is TaskStatus.BLOCKED

    @property
    def flags(self) -> tuple[str, ...]:
        """The status value followed by ``"lagging"`` and/or ``"finished_late"`` where they hold.

        Stable strings for the web (CSS classes, filters); labels are translated there.
        """
        flags = [self.status.value]
        if self.lagging:
            flags.append("lagging")
        if self.finished_late:
            flags.append("finished_late")
        return tuple(flags)


def task_state(task: Task, today: date) -> DisplayState:
    """The :class:`DisplayState` of ``task`` on ``today`` (see :func:`is_lagging`)."""
    lagging = is_lagging(task, today)
    late = finished_late(task)
    days_late = 0
    if lagging:
        assert task.milestone is not None
        days_late = (today - task.milestone).days
    elif late:
        assert task.milestone is not None and task.finish is not None
        days_late = (task.finish - task.milestone).days
    return DisplayState(
        status=task.status, lagging=lagging, finished_late=late, days_late=days_late
    )
