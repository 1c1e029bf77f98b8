"""Properties of the schedule on random dependency graphs (hypothesis)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.core.planning import (
    Dependency,
    Schedule,
    ScheduledTask,
    Task,
    TaskStatus,
    preview_slip,
    schedule_tasks,
)

START = date(2024, 6, 1)
DAY = timedelta(days=1)


@st.composite
def dags(
    draw: st.DrawFn,
    *,
    min_duration: int = 0,
    constraints: bool = False,
) -> tuple[Task, ...]:
    """A random project: task ``i`` may depend on any task before it, listed in a random order.

    With ``constraints`` some tasks get a fixed start and some are done with an actual finish.
    """
    count = draw(st.integers(min_value=1, max_value=12))
    tasks: list[Task] = []
    for i in range(count):
        predecessors = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        dependencies = tuple(
            Dependency(f"t{p}", draw(st.integers(min_value=-3, max_value=5)))
            for p in sorted(predecessors)
        )
        duration = draw(st.integers(min_value=min_duration, max_value=10))
        start = finish = None
        status = TaskStatus.NOT_STARTED
        if constraints:
            kind = draw(st.sampled_from(["plan", "plan", "fixed", "done"]))
            if kind == "fixed":
                start = START + draw(st.integers(min_value=-5, max_value=30)) * DAY
            elif kind == "done":
                status = TaskStatus.DONE
                finish = START + draw(st.integers(min_value=-5, max_value=30)) * DAY
                if draw(st.booleans()):
                    start = finish - draw(st.integers(min_value=0, max_value=10)) * DAY
        tasks.append(
            Task(
                f"t{i}",
                f"Task {i}",
                duration,
                dependencies,
                status=status,
                start=start,
                finish=finish,
            )
        )
    return tuple(draw(st.permutations(tasks)))


def _end(scheduled: ScheduledTask) -> date:
    """The day after the task's earliest finish: when a lag-0 successor may start."""
    return scheduled.earliest_finish + DAY


def _begin(scheduled: ScheduledTask) -> date:
    """The first day the task occupies (a checkpoint's is the day after its date)."""
    return _end(scheduled) - scheduled.task.duration_days * DAY


def _is_fact(task: Task) -> bool:
    return task.is_done and task.finish is not None


def _check_basics(plan: Schedule, tasks: tuple[Task, ...]) -> None:
    assert sorted(plan.keys) == sorted(t.key for t in tasks)
    position = {key: i for i, key in enumerate(plan.keys)}
    by_key = {s.key: s for s in plan.tasks}
    for scheduled in plan.tasks:
        task = scheduled.task
        for dependency in task.dependencies:
            assert position[dependency.predecessor] < position[task.key]  # topological
            if not _is_fact(task):
                predecessor = by_key[dependency.predecessor]
                assert _begin(scheduled) >= _end(predecessor) + dependency.lag_days * DAY
        if not _is_fact(task):
            assert _begin(scheduled) >= START
            if task.start is not None:
                assert scheduled.earliest_start >= task.start
        assert scheduled.total_slack >= 0
        assert 0 <= scheduled.free_slack <= scheduled.total_slack
        assert (scheduled.latest_finish - scheduled.earliest_finish).days == scheduled.total_slack
        assert scheduled.earliest_finish <= scheduled.latest_finish <= plan.end
        assert scheduled.critical == (scheduled.total_slack == 0)
    assert plan.end == max(s.earliest_finish for s in plan.tasks)


@settings(max_examples=300)
@given(dags())
def test_schedule_invariants_and_critical_path(tasks: tuple[Task, ...]) -> None:
    plan = schedule_tasks(tasks, project_start=START)
    _check_basics(plan, tasks)

    # The critical path is a chain of driving dependencies from the project start to its end,
    # and its durations and lags add up to the project's length.
    path = [plan.task(key) for key in plan.critical_path]
    assert path and all(s.critical for s in path)
    assert _begin(path[0]) == START
    assert _end(path[-1]) == plan.end + DAY
    length = path[0].task.duration_days
    for before, after in pairwise(path):
        lags = [d.lag_days for d in after.task.dependencies if d.predecessor == before.key]
        assert len(lags) == 1
        assert _begin(after) == _end(before) + lags[0] * DAY
        length += lags[0] + after.task.duration_days
    assert length == (plan.end + DAY - START).days


@settings(max_examples=200)
@given(dags(constraints=True))
def test_fixed_starts_and_done_tasks_keep_the_invariants(tasks: tuple[Task, ...]) -> None:
    plan = schedule_tasks(tasks, project_start=START)
    _check_basics(plan, tasks)
    path = [plan.task(key) for key in plan.critical_path]
    assert path and _end(path[-1]) == plan.end + DAY
    for before, after in pairwise(path):
        assert any(
            d.predecessor == before.key and _begin(after) == _end(before) + d.lag_days * DAY
            for d in after.task.dependencies
        )


@given(dags(), st.randoms(use_true_random=False))
def test_input_order_does_not_change_the_dates(tasks: tuple[Task, ...], rng: random.Random) -> None:
    shuffled = list(tasks)
    rng.shuffle(shuffled)
    one = schedule_tasks(tasks, project_start=START)
    two = schedule_tasks(shuffled, project_start=START)
    assert one.end == two.end
    assert {s.key: s for s in one.tasks} == {s.key: s for s in two.tasks}
    assert schedule_tasks(tasks, project_start=START) == one  # deterministic


@settings(max_examples=200)
@given(dags(), st.data())
def test_slip_moves_the_end_by_what_the_slack_does_not_absorb(
    tasks: tuple[Task, ...], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from([t.key for t in tasks]))
    days = data.draw(st.integers(min_value=0, max_value=15))
    before = schedule_tasks(tasks, project_start=START)
    slipped = before.task(key)
    preview = preview_slip(tasks, key, days, project_start=START)
    assert preview.end_shift_days == max(0, days - slipped.total_slack)
    shifts = {m.key: m.shift_days for m in preview.moved}
    assert all(0 < shift <= days for shift in shifts.values())
    if days:
        assert preview.moved[0].key == key and shifts[key] == days
    if days <= slipped.free_slack:
        assert list(shifts) in ([], [key])  # absorbed: no other task moves
    for moved in preview.moved:
        assert moved.new_finish == preview.schedule.task(moved.key).earliest_finish
        assert moved.old_finish == before.task(moved.key).earliest_finish
    unmoved = set(before.keys) - set(shifts)
    for other in unmoved:
        assert preview.schedule.task(other).earliest_finish == before.task(other).earliest_finish


@settings(max_examples=200)
@given(dags(min_duration=1), st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)))
def test_workdays_schedule_only_weekdays(tasks: tuple[Task, ...], start: date) -> None:
    plan = schedule_tasks(tasks, project_start=start, workdays=True)
    assert plan.start.weekday() < 5 and plan.start - start < timedelta(days=3)
    for scheduled in plan.tasks:
        first, last = scheduled.earliest_start, scheduled.earliest_finish
        assert first.weekday() < 5 and last.weekday() < 5 and first >= plan.start
        weekdays = sum(1 for n in range((last - first).days + 1) if (first + n * DAY).weekday() < 5)
        assert weekdays == scheduled.task.duration_days
        assert scheduled.total_slack >= 0
        assert scheduled.latest_finish <= plan.end
    assert plan.end == max(s.earliest_finish for s in plan.tasks)
