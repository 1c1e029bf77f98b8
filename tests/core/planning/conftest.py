"""The seed project 新产品X上市项目 (SPEC.md T2), started 2024-06-01."""

from __future__ import annotations

from datetime import date

import pytest

from opslens.core.planning import Dependency, Task, TaskStatus

PROJECT_START = date(2024, 6, 1)


def seed_tasks() -> tuple[Task, ...]:
    """The five subtasks with durations that keep the seed's one-day buffer before each milestone.

    市场调研 is done (finished 06-29, a day before its milestone); 产品原型设计 and 营销方案制定
    are in progress; 生产试制 starts after 产品原型设计 (the seed's 产品原型定稿); 渠道铺货 needs
    both the trial production and the marketing plan.
    """
    return (
        Task(
            "research",
            "市场调研",
            29,
            milestone=date(2024, 6, 30),
            status=TaskStatus.DONE,
            start=date(2024, 6, 1),
            finish=date(2024, 6, 29),
        ),
        Task(
            "prototype",
            "产品原型设计",
            20,
            (Dependency("research"),),
            milestone=date(2024, 7, 20),
            status=TaskStatus.IN_PROGRESS,
            start=date(2024, 6, 30),
        ),
        Task(
            "trial",
            "生产试制",
            21,
            (Dependency("prototype"),),
            milestone=date(2024, 8, 10),
            status=TaskStatus.NOT_STARTED,
        ),
        Task(
            "marketing",
            "营销方案制定",
            30,
            (Dependency("research"),),
            milestone=date(2024, 8, 25),
            status=TaskStatus.IN_PROGRESS,
            start=date(2024, 7, 1),
        ),
        Task(
            "channel",
            "渠道铺货",
            22,
            (Dependency("trial"), Dependency("marketing")),
            milestone=date(2024, 9, 1),
            status=TaskStatus.NOT_STARTED,
        ),
    )


@pytest.fixture
def seed() -> tuple[Task, ...]:
    """The seed project's tasks."""
    return seed_tasks()
