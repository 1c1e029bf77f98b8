"""The "if this task slips N days" preview (如果延误N天)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from opslens.core.errors import ConfigError
from opslens.core.planning import Dependency, Task, TaskStatus, preview_slip

from .conftest import PROJECT_START

START = date(2024, 6, 3)


def day(n: int) -> date:
    return START + timedelta(days=n)


def _diamond() -> tuple[Task, ...]:
    return (
        Task("a", "A", 2),
        Task("b", "B", 3, (Dependency("a"),), milestone=day(5)),
        Task("c", "C", 5, (Dependency("a"),)),
        Task("d", "D", 1, (Dependency("b"), Dependency("c")), milestone=day(7)),
    )


def test_slip_absorbed_by_slack_moves_only_the_task() -> None:
    preview = preview_slip(_diamond(), "b", 2, project_start=START)
    assert [(m.key, m.old_finish, m.new_finish, m.shift_days) for m in preview.moved] == [
        ("b", day(4), day(6), 2)
    ]
    assert preview.old_end == preview.new_end == day(7)
    assert preview.end_shift_days == 0
    # b now misses its own milestone (day 5) by a day.
    assert [m.key for m in preview.missed_milestones] == ["b"]
    moved_b = preview.moved[0]
    assert (moved_b.old_margin, moved_b.new_margin) == (1, -1)
    assert moved_b.newly_misses_milestone


def test_slip_beyond_slack_propagates() -> None:
    preview = preview_slip(_diamond(), "b", 5, project_start=START)
    assert [(m.key, m.shift_days) for m in preview.moved] == [("b", 5), ("d", 3)]
    assert preview.new_end == day(10)
    assert preview.end_shift_days == 3
    assert [m.key for m in preview.missed_milestones] == ["b", "d"]
    assert preview.schedule.critical_path == ("a", "b", "d")


def test_slip_on_the_critical_path_moves_everything_after_it() -> None:
    preview = preview_slip(_diamond(), "a", 1, project_start=START)
    assert [(m.key, m.shift_days) for m in preview.moved] == [
        ("a", 1),
        ("b", 1),
        ("c", 1),
        ("d", 1),
    ]
    assert preview.end_shift_days == 1
    d = preview.moved[-1]
    assert (d.milestone, d.old_margin, d.new_margin) == (day(7), 0, -1)


def test_zero_slip_moves_nothing() -> None:
    preview = preview_slip(_diamond(), "c", 0, project_start=START)
    assert preview.moved == () and preview.missed_milestones == ()
    assert preview.new_end == preview.old_end


def test_seed_feedback_one_day_late_uses_the_buffer(seed: tuple[Task, ...]) -> None:
    # 风险点: 市场部反馈延迟1天 on 产品原型设计.
    preview = preview_slip(seed, "prototype", 1, project_start=PROJECT_START)
    assert [m.key for m in preview.moved] == ["prototype", "trial", "channel"]
    assert all(m.shift_days == 1 for m in preview.moved)
    assert preview.missed_milestones == ()  # the one-day buffer takes it
    assert all(m.new_margin == 0 for m in preview.moved)
    assert preview.new_end == date(2024, 9, 1)
    assert preview.schedule.task("channel").buffer_at_risk


def test_seed_two_days_late_misses_three_milestones(seed: tuple[Task, ...]) -> None:
    preview = preview_slip(seed, "prototype", 2, project_start=PROJECT_START)
    missed = [(m.name, m.milestone, m.new_finish) for m in preview.missed_milestones]
    assert missed == [
        ("产品原型设计", date(2024, 7, 20), date(2024, 7, 21)),
        ("生产试制", date(2024, 8, 10), date(2024, 8, 11)),
        ("渠道铺货", date(2024, 9, 1), date(2024, 9, 2)),
    ]
    assert all(m.newly_misses_milestone for m in preview.missed_milestones)
    assert preview.new_end == date(2024, 9, 2)


def test_seed_marketing_slack(seed: tuple[Task, ...]) -> None:
    absorbed = preview_slip(seed, "marketing", 10, project_start=PROJECT_START)
    assert [m.key for m in absorbed.moved] == ["marketing"]
    assert absorbed.end_shift_days == 0
    beyond = preview_slip(seed, "marketing", 12, project_start=PROJECT_START)
    assert [(m.key, m.shift_days) for m in beyond.moved] == [("marketing", 12), ("channel", 2)]
    assert [m.key for m in beyond.missed_milestones] == ["channel"]
    # 营销方案制定 is held by its actual start (07-01), not by 市场调研 (done 06-29): the path
    # starts there.
    assert beyond.schedule.critical_path == ("marketing", "channel")
    assert not beyond.schedule.task("research").critical


def test_already_missed_milestone_is_listed_but_not_new() -> None:
    tasks = (Task("a", "A", 5, milestone=day(2)), Task("b", "B", 1, (Dependency("a"),)))
    preview = preview_slip(tasks, "a", 1, project_start=START)
    (a,) = preview.missed_milestones
    assert (a.old_margin, a.new_margin) == (-2, -3)
    assert a.misses_milestone and not a.newly_misses_milestone
    assert not preview.moved[1].misses_milestone  # b has no milestone


def test_checkpoint_slips() -> None:
    tasks = (Task("a", "A", 2), Task("m", "M", 0, (Dependency("a"),)), Task("z", "Z", 10))
    preview = preview_slip(tasks, "m", 3, project_start=START)
    assert [(m.key, m.old_finish, m.new_finish) for m in preview.moved] == [("m", day(1), day(4))]


def test_workday_slip() -> None:
    friday = date(2024, 6, 7)
    tasks = (Task("a", "A", 1), Task("b", "B", 1, (Dependency("a"),)))
    preview = preview_slip(tasks, "a", 1, project_start=friday, workdays=True)
    # a now takes Friday and Monday; b moves from Monday to Tuesday.
    assert [(m.key, m.shift_days) for m in preview.moved] == [("a", 3), ("b", 1)]


@pytest.mark.parametrize(
    ("key", "days", "message"),
    [
        ("nope", 1, "there is no task 'nope' to slip"),
        ("a", -1, "a slip must be a whole number of days ≥ 0, not -1"),
        ("a", 1.5, "whole number"),
        ("a", True, "whole number"),
        ("done", 1, "task 'done' is done; it can no longer slip"),
    ],
)
def test_invalid_slip(key: str, days: int, message: str) -> None:
    tasks = (
        Task("a", "A", 1),
        Task("done", "Done", 1, status=TaskStatus.DONE, finish=START),
    )
    with pytest.raises(ConfigError, match=message):
        preview_slip(tasks, key, days, project_start=START)


def test_invalid_plan_is_rejected_before_slipping() -> None:
    tasks = (Task("a", "A", 1, (Dependency("b"),)), Task("b", "B", 1, (Dependency("a"),)))
    with pytest.raises(ConfigError, match="dependency cycle: a → b → a"):
        preview_slip(tasks, "a", 1, project_start=START)
