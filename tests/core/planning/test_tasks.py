"""Tasks, their validation, their topological order and dependency cycles."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from opslens.core.errors import ConfigError
from opslens.core.planning import (
    Dependency,
    Task,
    TaskStatus,
    as_task_status,
    find_cycle,
    schedule_tasks,
    sort_tasks,
    task_state,
)

START = date(2024, 6, 1)


def _task(key: str, *predecessors: str, days: int = 1) -> Task:
    return Task(key, key, days, tuple(Dependency(p) for p in predecessors))


def test_status_values_are_the_stored_strings() -> None:
    assert [s.value for s in TaskStatus] == ["not_started", "in_progress", "done", "blocked"]
    assert Task("a", "A", 1, status="blocked").status is TaskStatus.BLOCKED  # type: ignore[arg-type]
    assert as_task_status("done") is TaskStatus.DONE


def test_lagging_is_not_a_status() -> None:
    assert "lagging" not in {s.value for s in TaskStatus}
    with pytest.raises(ConfigError, match="unknown task status 'lagging'"):
        as_task_status("lagging")


def test_defaults() -> None:
    task = Task("a", "A", 3)
    assert task.dependencies == ()
    assert task.buffer_days == 1
    assert task.status is TaskStatus.NOT_STARTED
    assert task.milestone is task.start is task.finish is None
    assert task.predecessors == ()


def test_dependencies_given_as_a_list_become_a_tuple() -> None:
    task = Task("b", "B", 1, [Dependency("a", 2)])  # type: ignore[arg-type]
    assert task.dependencies == (Dependency("a", 2),)
    assert task.predecessors == ("a",)
    assert hash(task) == hash(Task("b", "B", 1, (Dependency("a", 2),)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"duration_days": -1},
            r"task 'x': the duration must be a whole number of days ≥ 0, not -1",
        ),
        ({"duration_days": 1.5}, "the duration must be a whole number"),
        ({"duration_days": True}, "the duration must be a whole number"),
        ({"buffer_days": -2}, r"task 'x': the buffer must be .* not -2"),
        ({"key": ""}, "a task needs a key"),
        ({"key": "  "}, "a task needs a key"),
        ({"status": "late"}, "unknown task status 'late'"),
        ({"milestone": datetime(2024, 6, 1, 12)}, "the milestone must be a date"),
        ({"start": "2024-06-01"}, "the start must be a date"),
        (
            {"finish": date(2024, 6, 3)},
            r"task 'x' has a finish date \(2024-06-03\) but is not done",
        ),
        (
            {"status": TaskStatus.DONE, "start": date(2024, 6, 5), "finish": date(2024, 6, 3)},
            r"task 'x' finishes \(2024-06-03\) before it starts \(2024-06-05\)",
        ),
        ({"dependencies": ("a",)}, "'a' is not a Dependency"),
    ],
)
def test_invalid_task(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"key": "x", "name": "X", "duration_days": 1, **kwargs}
    with pytest.raises(ConfigError, match=message):
        Task(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("predecessor", "lag", "message"),
    [("", 0, "needs a predecessor key"), ("a", 1.5, "whole number of days"), ("a", None, "whole")],
)
def test_invalid_dependency(predecessor: str, lag: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Dependency(predecessor, lag)  # type: ignore[arg-type]


def test_config_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="duration"):
        Task("x", "X", -1)


def test_zero_duration_and_negative_lag_are_valid() -> None:
    assert Task("m", "M", 0, (Dependency("a", -3),)).duration_days == 0


def test_done_task_with_finish_on_its_start_day() -> None:
    task = Task("x", "X", 1, status=TaskStatus.DONE, start=START, finish=START)
    assert task.is_done


# ------------------------------------------------------------------------- the set as a whole


def test_sort_follows_dependencies_then_input_order() -> None:
    tasks = [_task("d", "b", "c"), _task("c", "a"), _task("b", "a"), _task("a"), _task("z")]
    assert [t.key for t in sort_tasks(tasks)] == ["a", "c", "b", "d", "z"]


def test_sort_keeps_input_order_without_dependencies() -> None:
    tasks = [_task(k) for k in "qwerty"]
    assert [t.key for t in sort_tasks(tasks)] == list("qwerty")


def test_empty_project() -> None:
    assert sort_tasks([]) == ()
    assert find_cycle([]) is None


def test_duplicate_keys() -> None:
    with pytest.raises(ConfigError, match="two tasks have the key 'a'"):
        sort_tasks([_task("a"), _task("b"), _task("a")])


def test_unknown_predecessor_is_named() -> None:
    with pytest.raises(
        ConfigError, match="task 'b' depends on 'ghost', which is not a task of this project"
    ):
        sort_tasks([_task("a"), _task("b", "a", "ghost")])


def test_self_dependency() -> None:
    with pytest.raises(ConfigError, match="task 'a' depends on itself"):
        sort_tasks([_task("a", "a")])


def test_predecessor_listed_twice() -> None:
    task = Task("b", "B", 1, (Dependency("a"), Dependency("a", 2)))
    with pytest.raises(ConfigError, match="task 'b' lists the predecessor 'a' twice"):
        sort_tasks([_task("a"), task])


def test_not_a_task() -> None:
    with pytest.raises(ConfigError, match="is not a Task"):
        sort_tasks([_task("a"), "b"])  # type: ignore[list-item]


def test_two_task_cycle_is_named() -> None:
    tasks = [_task("a", "b"), _task("b", "a")]
    with pytest.raises(ConfigError, match=r"^dependency cycle: a → b → a$"):
        sort_tasks(tasks)
    assert find_cycle(tasks) == ("a", "b", "a")


def test_three_task_cycle_is_named_in_work_order() -> None:
    # B after A, C after B, A after C: the work flows A → B → C → A.
    tasks = [_task("A", "C"), _task("B", "A"), _task("C", "B")]
    with pytest.raises(ConfigError, match=r"^dependency cycle: A → B → C → A$"):
        sort_tasks(tasks)
    with pytest.raises(ConfigError, match="A → B → C → A"):
        schedule_tasks(tasks, project_start=START)


def test_cycle_starts_at_its_first_listed_task_and_leaves_out_the_rest() -> None:
    # start → x; the cycle y → w → v → y hangs behind x; "after" follows the cycle.
    tasks = [
        _task("start"),
        _task("v", "w"),
        _task("after", "v"),
        _task("w", "y"),
        _task("x", "start"),
        _task("y", "x", "v"),
    ]
    assert find_cycle(tasks) == ("v", "y", "w", "v")
    with pytest.raises(ConfigError, match=r"^dependency cycle: v → y → w → v$"):
        sort_tasks(tasks)


def test_cycle_with_names_in_chinese() -> None:
    tasks = [_task("产品原型设计", "生产试制"), _task("生产试制", "产品原型设计")]
    assert find_cycle(tasks) == ("产品原型设计", "生产试制", "产品原型设计")


def test_no_cycle() -> None:
    assert find_cycle([_task("a"), _task("b", "a"), _task("c", "a", "b")]) is None


def test_find_cycle_still_rejects_other_problems() -> None:
    with pytest.raises(ConfigError, match="not a task of this project"):
        find_cycle([_task("a", "nope")])


def test_task_state_accepts_status_strings() -> None:
    task = Task("a", "A", 1, status="in_progress")  # type: ignore[arg-type]
    assert task_state(task, START).status is TaskStatus.IN_PROGRESS
