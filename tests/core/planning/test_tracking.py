"""滞后 is computed: lagging, finished late, and the state a task is shown in."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from opslens.core.errors import ConfigError
from opslens.core.planning import (
    DisplayState,
    Task,
    TaskStatus,
    finished_late,
    is_lagging,
    task_state,
)

MILESTONE = date(2024, 7, 20)


def _task(status: TaskStatus, **kwargs: object) -> Task:
    return Task("prototype", "产品原型设计", 20, milestone=MILESTONE, status=status, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [s for s in TaskStatus if s is not TaskStatus.DONE])
def test_lagging_boundaries(status: TaskStatus) -> None:
    task = _task(status)
    assert not is_lagging(task, date(2024, 7, 19))
    assert not is_lagging(task, MILESTONE)  # on the milestone day: not yet
    assert is_lagging(task, date(2024, 7, 21))  # the day after
    assert is_lagging(task, date(2025, 1, 1))


@pytest.mark.parametrize("finish", [None, date(2024, 7, 1), MILESTONE, date(2024, 8, 30)])
def test_done_tasks_never_lag(finish: date | None) -> None:
    task = _task(TaskStatus.DONE, finish=finish)
    assert not is_lagging(task, date(2024, 12, 31))
    assert not task_state(task, date(2024, 12, 31)).lagging


def test_task_without_milestone_never_lags() -> None:
    task = Task("x", "X", 3, status=TaskStatus.BLOCKED)
    assert not is_lagging(task, date(2030, 1, 1))
    assert task_state(task, date(2030, 1, 1)) == DisplayState(TaskStatus.BLOCKED, False, False, 0)


def test_finished_late() -> None:
    assert finished_late(_task(TaskStatus.DONE, finish=date(2024, 7, 23)))
    assert not finished_late(_task(TaskStatus.DONE, finish=MILESTONE))  # on the day: on time
    assert not finished_late(_task(TaskStatus.DONE, finish=date(2024, 7, 2)))
    assert not finished_late(_task(TaskStatus.DONE))  # finish unknown
    assert not finished_late(_task(TaskStatus.IN_PROGRESS))
    assert not finished_late(Task("x", "X", 1, status=TaskStatus.DONE, finish=MILESTONE))


def test_blocked_and_lagging_show_both() -> None:
    state = task_state(_task(TaskStatus.BLOCKED), date(2024, 7, 23))
    assert state.status is TaskStatus.BLOCKED
    assert state.blocked and state.lagging and not state.finished_late
    assert state.days_late == 3
    assert state.flags == ("blocked", "lagging")


def test_in_progress_on_time() -> None:
    state = task_state(_task(TaskStatus.IN_PROGRESS), MILESTONE)
    assert state == DisplayState(
        TaskStatus.IN_PROGRESS, lagging=False, finished_late=False, days_late=0
    )
    assert state.flags == ("in_progress",)
    assert not state.blocked


def test_done_late_state() -> None:
    state = task_state(_task(TaskStatus.DONE, finish=date(2024, 7, 22)), date(2024, 8, 1))
    assert (state.lagging, state.finished_late, state.days_late) == (False, True, 2)
    assert state.flags == ("done", "finished_late")


def test_seed_demo_today_makes_the_prototype_lag(seed: tuple[Task, ...]) -> None:
    today = date(2024, 7, 25)
    states = {task.name: task_state(task, today) for task in seed}
    assert [name for name, state in states.items() if state.lagging] == ["产品原型设计"]
    assert states["产品原型设计"].days_late == 5
    assert states["市场调研"].flags == ("done",)  # done on 06-29, before its 06-30 milestone
    assert states["营销方案制定"].flags == ("in_progress",)


def test_today_must_be_a_date() -> None:
    with pytest.raises(ConfigError, match="today must be a date"):
        is_lagging(_task(TaskStatus.IN_PROGRESS), datetime(2024, 7, 21, 9))
