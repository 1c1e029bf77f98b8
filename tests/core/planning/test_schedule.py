"""Forward and backward pass, slack, the critical path and milestone margins."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from opslens.core.errors import ConfigError
from opslens.core.planning import (
    Dependency,
    Schedule,
    ScheduledTask,
    Task,
    TaskStatus,
    schedule_tasks,
)

from .conftest import PROJECT_START

START = date(2024, 6, 3)  # a Monday


def day(n: int) -> date:
    """Day ``n`` of a project starting on START (day 0)."""
    return START + timedelta(days=n)


def _task(key: str, days: int, *deps: str | tuple[str, int], **kwargs: object) -> Task:
    dependencies = tuple(Dependency(d) if isinstance(d, str) else Dependency(*d) for d in deps)
    return Task(key, key.upper(), days, dependencies, **kwargs)  # type: ignore[arg-type]


def _plan(*tasks: Task, start: date = START, workdays: bool = False) -> Schedule:
    return schedule_tasks(tasks, project_start=start, workdays=workdays)


def _dates(scheduled: ScheduledTask) -> tuple[date, date, date, date]:
    return (
        scheduled.earliest_start,
        scheduled.earliest_finish,
        scheduled.latest_start,
        scheduled.latest_finish,
    )


# ----------------------------------------------------------------------------------- the seed


def test_seed_schedule(seed: tuple[Task, ...]) -> None:
    plan = schedule_tasks(seed, project_start=PROJECT_START)
    assert plan.keys == ("research", "prototype", "trial", "marketing", "channel")
    assert plan.start == PROJECT_START
    assert plan.end == date(2024, 8, 31)
    assert plan.critical_path == ("research", "prototype", "trial", "channel")

    research = plan.task("research")
    assert (research.earliest_start, research.earliest_finish) == (
        date(2024, 6, 1),
        date(2024, 6, 29),
    )
    prototype = plan.task("prototype")
    assert (prototype.earliest_start, prototype.earliest_finish) == (
        date(2024, 6, 30),
        date(2024, 7, 19),
    )
    # 生产试制 starts after 产品原型设计 (产品原型定稿).
    trial = plan.task("trial")
    assert trial.earliest_start == prototype.earliest_finish + timedelta(days=1)
    assert trial.earliest_finish == date(2024, 8, 9)
    channel = plan.task("channel")
    assert (channel.earliest_start, channel.earliest_finish) == (
        date(2024, 8, 10),
        date(2024, 8, 31),
    )

    # 营销方案制定 started on 07-01 and has ten days before 渠道铺货 needs it.
    marketing = plan.task("marketing")
    assert _dates(marketing) == (
        date(2024, 7, 1),
        date(2024, 7, 30),
        date(2024, 7, 11),
        date(2024, 8, 9),
    )
    assert (marketing.total_slack, marketing.free_slack, marketing.critical) == (10, 10, False)
    assert marketing.milestone_margin == 26

    # Every milestone on the critical path keeps exactly the seed's one-day buffer.
    for key in plan.critical_path:
        scheduled = plan.task(key)
        assert scheduled.critical and scheduled.total_slack == 0
        assert scheduled.milestone_margin == 1
        assert not scheduled.misses_milestone and not scheduled.buffer_at_risk
    assert plan.missed_milestones == ()


def test_seed_in_any_input_order(seed: tuple[Task, ...]) -> None:
    expected = schedule_tasks(seed, project_start=PROJECT_START)
    shuffled = schedule_tasks(tuple(reversed(seed)), project_start=PROJECT_START)
    assert shuffled.end == expected.end
    assert shuffled.critical_path == expected.critical_path
    assert {s.key: _dates(s) for s in shuffled.tasks} == {s.key: _dates(s) for s in expected.tasks}
    keys = shuffled.keys
    for scheduled in shuffled.tasks:
        for predecessor in scheduled.task.predecessors:
            assert keys.index(predecessor) < keys.index(scheduled.key)


def test_schedule_lookup(seed: tuple[Task, ...]) -> None:
    plan = schedule_tasks(seed, project_start=PROJECT_START)
    assert plan.task("trial").task.name == "生产试制"
    with pytest.raises(ConfigError, match="the schedule has no task 'nope'"):
        plan.task("nope")


# ------------------------------------------------------------------------- inclusive dates


def test_single_task_dates_are_inclusive() -> None:
    plan = _plan(_task("a", 5))
    a = plan.task("a")
    assert _dates(a) == (day(0), day(4), day(0), day(4))
    assert plan.end == day(4)
    assert (a.total_slack, a.free_slack, a.critical) == (0, 0, True)
    assert plan.critical_path == ("a",)


def test_one_day_task_starts_and_finishes_the_same_day() -> None:
    a = _plan(_task("a", 1)).task("a")
    assert a.earliest_start == a.earliest_finish == day(0)


def test_successor_starts_the_day_after() -> None:
    plan = _plan(_task("a", 3), _task("b", 2, "a"))
    assert plan.task("a").earliest_finish == day(2)
    assert plan.task("b").earliest_start == day(3)
    assert plan.end == day(4)
    assert plan.critical_path == ("a", "b")


def test_empty_project_ends_the_day_before_it_starts() -> None:
    plan = _plan()
    assert plan.tasks == () and plan.critical_path == ()
    assert plan.start == START and plan.end == day(-1)


def test_project_start_must_be_a_date() -> None:
    with pytest.raises(ConfigError, match="the project start must be a date"):
        schedule_tasks([], project_start="2024-06-01")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- a diamond


def _diamond(b_days: int = 3, c_days: int = 5) -> Schedule:
    #      ┌─ b ─┐
    #  a ──┤     ├── d
    #      └─ c ─┘
    return _plan(
        _task("a", 2),
        _task("b", b_days, "a"),
        _task("c", c_days, "a"),
        _task("d", 1, "b", "c"),
    )


def test_diamond_critical_path_and_slack() -> None:
    plan = _diamond()
    assert plan.critical_path == ("a", "c", "d")
    assert plan.end == day(7)
    b = plan.task("b")
    assert _dates(b) == (day(2), day(4), day(4), day(6))
    assert (b.total_slack, b.free_slack, b.critical) == (2, 2, False)
    for key in "acd":
        assert plan.task(key).total_slack == 0 and plan.task(key).critical
    assert [s.critical for s in plan.tasks] == [True, False, True, True]


def test_diamond_tie_takes_the_branch_listed_first() -> None:
    plan = _diamond(b_days=4, c_days=4)
    assert plan.critical_path == ("a", "b", "d")
    assert all(s.critical for s in plan.tasks)  # both branches are critical


def test_total_slack_differs_from_free_slack() -> None:
    # b → c; both can slip 3 days before d, but b alone moves c when it slips.
    plan = _plan(
        _task("a", 10),
        _task("b", 2),
        _task("c", 5, "b"),
        _task("d", 1, "a", "c"),
    )
    b, c = plan.task("b"), plan.task("c")
    assert (b.total_slack, b.free_slack) == (3, 0)
    assert (c.total_slack, c.free_slack) == (3, 3)


def test_task_without_successor_finishing_early_has_slack_to_the_end() -> None:
    plan = _plan(_task("long", 10), _task("short", 4))
    short = plan.task("short")
    assert (short.total_slack, short.free_slack) == (6, 6)
    assert short.latest_finish == plan.end == day(9)
    assert plan.critical_path == ("long",)


def test_critical_path_ends_at_the_first_listed_of_tied_end_tasks() -> None:
    plan = _plan(_task("x", 3), _task("y", 3))
    assert plan.critical_path == ("x",)
    assert plan.task("y").critical


# ------------------------------------------------------------------------------------- lags


def test_positive_lag_waits() -> None:
    plan = _plan(_task("pour", 2), _task("paint", 3, ("pour", 4)))
    paint = plan.task("paint")
    assert paint.earliest_start == day(2 + 4)
    assert plan.end == day(8)
    assert plan.critical_path == ("pour", "paint")
    assert plan.task("pour").total_slack == 0  # the lag is not slack


def test_negative_lag_overlaps() -> None:
    plan = _plan(_task("a", 5), _task("b", 3, ("a", -2)))
    b = plan.task("b")
    assert b.earliest_start == day(3)  # two days before a's last day + 1
    assert b.earliest_finish == day(5)
    assert plan.critical_path == ("a", "b")


def test_negative_lag_never_starts_before_the_project() -> None:
    plan = _plan(_task("a", 2), _task("b", 10, ("a", -5)))
    b = plan.task("b")
    assert b.earliest_start == day(0)
    assert plan.end == day(9)
    # b is driven by the project start, not by a; a may finish as late as day 4 (b's start + 5).
    assert plan.critical_path == ("b",)
    assert plan.task("a").total_slack == 3
    assert plan.task("a").latest_finish == day(4)


def test_lag_in_free_slack() -> None:
    plan = _plan(_task("a", 2), _task("b", 6), _task("c", 1, ("a", 1), "b"))
    a = plan.task("a")
    assert (a.total_slack, a.free_slack) == (3, 3)  # 2 days + 1 lag against 6 days


# ---------------------------------------------------------------------------- fixed starts


def test_fixed_start_holds_a_task_back() -> None:
    plan = _plan(_task("a", 2), _task("b", 3, "a", start=day(10)))
    b = plan.task("b")
    assert b.earliest_start == day(10)
    assert plan.end == day(12)
    # a has until b's (pinned) start; the path starts at b, which is held by its start.
    assert plan.task("a").total_slack == 8
    assert plan.critical_path == ("b",)


def test_fixed_start_before_the_predecessors_finish_is_pushed() -> None:
    plan = _plan(_task("a", 5), _task("b", 3, "a", start=day(1)))
    assert plan.task("b").earliest_start == day(5)
    assert plan.critical_path == ("a", "b")


def test_fixed_start_before_the_project_start_is_clamped() -> None:
    b = _plan(_task("b", 3, start=day(-7))).task("b")
    assert b.earliest_start == day(0)


def test_in_progress_task_keeps_its_actual_start(seed: tuple[Task, ...]) -> None:
    marketing = schedule_tasks(seed, project_start=PROJECT_START).task("marketing")
    assert marketing.earliest_start == date(2024, 7, 1)  # not 06-30, when 市场调研 allowed it


# -------------------------------------------------------------------------------- done tasks


def test_done_task_late_pushes_its_successors() -> None:
    plan = _plan(
        _task("a", 3, status=TaskStatus.DONE, start=day(0), finish=day(6)),
        _task("b", 2, "a"),
    )
    a = plan.task("a")
    assert (a.earliest_start, a.earliest_finish) == (day(0), day(6))
    assert plan.task("b").earliest_start == day(7)
    assert plan.end == day(8)


def test_done_task_early_pulls_its_successors() -> None:
    plan = _plan(
        _task("a", 10, status=TaskStatus.DONE, finish=day(3)),
        _task("b", 2, "a"),
    )
    a = plan.task("a")
    assert (a.earliest_start, a.earliest_finish) == (day(-6), day(3))  # start unknown: 10 days
    assert plan.task("b").earliest_start == day(4)


def test_done_task_keeps_its_dates_against_its_predecessors() -> None:
    # b was done while a (planned) was still going: facts win, and a gets no negative slack.
    plan = _plan(
        _task("a", 10),
        _task("b", 2, "a", status=TaskStatus.DONE, start=day(1), finish=day(2)),
        _task("c", 1, "b"),
    )
    assert (plan.task("b").earliest_start, plan.task("b").earliest_finish) == (day(1), day(2))
    assert plan.task("c").earliest_start == day(3)
    assert plan.task("a").total_slack == 0
    assert plan.critical_path == ("a",)
    assert all(s.total_slack >= 0 for s in plan.tasks)


def test_done_task_without_finish_is_scheduled_as_planned() -> None:
    plan = _plan(_task("a", 3, status=TaskStatus.DONE), _task("b", 1, "a"))
    assert plan.task("b").earliest_start == day(3)


# ------------------------------------------------------------------------------ checkpoints


def test_checkpoint_is_dated_on_its_predecessors_last_day() -> None:
    plan = _plan(_task("design", 3), _task("sign_off", 0, "design"), _task("build", 2, "sign_off"))
    sign_off = plan.task("sign_off")
    assert sign_off.earliest_start == sign_off.earliest_finish == day(2)
    assert plan.task("build").earliest_start == day(3)
    assert plan.critical_path == ("design", "sign_off", "build")
    assert plan.end == day(4)


def test_checkpoint_at_the_end_of_the_project() -> None:
    plan = _plan(_task("work", 4), _task("launch", 0, "work", milestone=day(3)))
    assert plan.end == day(3) == plan.task("launch").earliest_finish
    assert plan.task("launch").milestone_margin == 0
    assert plan.critical_path == ("work", "launch")


def test_checkpoint_with_a_fixed_day() -> None:
    plan = _plan(_task("review", 0, start=day(5)), _task("after", 1, "review"))
    assert plan.task("review").earliest_finish == day(5)
    assert plan.task("after").earliest_start == day(6)


def test_checkpoint_without_predecessors_is_ready_on_day_one() -> None:
    plan = _plan(_task("kickoff", 0), _task("work", 2, "kickoff"))
    assert plan.task("kickoff").earliest_finish == day(-1)
    assert plan.task("work").earliest_start == day(0)


# -------------------------------------------------------------------------------- milestones


def test_milestone_margin_and_misses() -> None:
    plan = _plan(
        _task("on_time", 5, milestone=day(4), buffer_days=0),
        _task("early", 5, milestone=day(6), buffer_days=2),
        _task("tight", 5, milestone=day(5), buffer_days=2),
        _task("late", 5, milestone=day(2)),
        _task("free", 5),
    )
    margins = {s.key: s.milestone_margin for s in plan.tasks}
    assert margins == {"on_time": 0, "early": 2, "tight": 1, "late": -2, "free": None}
    assert [s.key for s in plan.missed_milestones] == ["late"]
    assert {s.key for s in plan.tasks if s.buffer_at_risk} == {"tight"}
    assert not plan.task("on_time").misses_milestone  # finishing on the milestone day meets it


def test_milestones_are_not_deadlines_of_the_backward_pass() -> None:
    plan = _plan(_task("a", 5, milestone=day(1)), _task("b", 10))
    a = plan.task("a")
    assert a.misses_milestone
    assert a.total_slack == 5  # slack against the project end, never negative


# -------------------------------------------------------------------------------- work days


def test_workdays_skip_weekends() -> None:
    friday = date(2024, 6, 7)
    plan = _plan(_task("a", 3), _task("b", 2, ("a", 1)), start=friday, workdays=True)
    a, b = plan.task("a"), plan.task("b")
    assert (a.earliest_start, a.earliest_finish) == (friday, date(2024, 6, 11))  # Fri, Mon, Tue
    assert b.earliest_start == date(2024, 6, 13)  # Wed is the lag day
    assert plan.end == date(2024, 6, 14)
    assert plan.workdays


def test_workdays_start_on_a_weekend_moves_to_monday() -> None:
    saturday = date(2024, 6, 8)
    plan = _plan(_task("a", 1), start=saturday, workdays=True)
    assert plan.start == date(2024, 6, 10)
    assert plan.task("a").earliest_start == date(2024, 6, 10)


def test_workdays_slack_counts_working_days() -> None:
    monday = date(2024, 6, 3)
    plan = _plan(_task("long", 10), _task("short", 5), start=monday, workdays=True)
    assert plan.end == date(2024, 6, 14)
    short = plan.task("short")
    assert short.earliest_finish == date(2024, 6, 7)
    assert short.total_slack == 5  # a working week, though 7 calendar days
    assert short.latest_start == date(2024, 6, 10)


def test_workdays_actual_dates_and_fixed_starts() -> None:
    monday = date(2024, 6, 3)
    plan = _plan(
        _task("a", 2, status=TaskStatus.DONE, start=monday, finish=date(2024, 6, 8)),  # a Sat
        _task("b", 1, "a", start=date(2024, 6, 9)),  # a Sunday
        start=monday,
        workdays=True,
    )
    assert plan.task("a").earliest_finish == date(2024, 6, 7)  # counted as Friday's work
    assert plan.task("b").earliest_start == date(2024, 6, 10)
    before = _plan(_task("c", 1, start=date(2024, 5, 25)), start=monday, workdays=True)
    assert before.task("c").earliest_start == monday


def test_workdays_milestone_margin_counts_calendar_days() -> None:
    friday = date(2024, 6, 7)
    plan = _plan(_task("a", 1, milestone=date(2024, 6, 10)), start=friday, workdays=True)
    assert plan.task("a").milestone_margin == 3
