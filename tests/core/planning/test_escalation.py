"""Escalation of unanswered support requests: project owner → coordination group → management."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.errors import ConfigError
from opslens.core.planning import (
    DEFAULT_RESPONSE_HOURS,
    EscalationLevel,
    EscalationStep,
    escalation_due,
    escalation_level,
    escalation_steps,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
RAISED = datetime(2024, 7, 15, 9, 30, tzinfo=SHANGHAI)  # a blocked 产品原型设计 asks 市场部
H = timedelta(hours=1)
µS = timedelta(microseconds=1)


def test_levels() -> None:
    assert [int(level) for level in EscalationLevel] == [0, 1, 2, 3]
    assert EscalationLevel.MANAGEMENT > EscalationLevel.COORDINATION_GROUP
    assert DEFAULT_RESPONSE_HOURS == 24


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(0), EscalationLevel.NONE),
        (24 * H - µS, EscalationLevel.NONE),
        (24 * H, EscalationLevel.PROJECT_OWNER),  # exactly 24 h
        (48 * H - µS, EscalationLevel.PROJECT_OWNER),
        (48 * H, EscalationLevel.COORDINATION_GROUP),  # exactly 48 h
        (72 * H - µS, EscalationLevel.COORDINATION_GROUP),
        (72 * H, EscalationLevel.MANAGEMENT),  # exactly 72 h
        (96 * H, EscalationLevel.MANAGEMENT),  # never beyond level 3
        (timedelta(days=365), EscalationLevel.MANAGEMENT),
    ],
)
def test_unanswered_boundaries(elapsed: timedelta, expected: EscalationLevel) -> None:
    assert escalation_level(RAISED, RAISED + elapsed) is expected


def test_steps_list_every_level_reached_once() -> None:
    assert escalation_steps(RAISED, RAISED + 23 * H) == ()
    assert escalation_steps(RAISED, RAISED + 50 * H) == (
        EscalationStep(EscalationLevel.PROJECT_OWNER, RAISED + 24 * H),
        EscalationStep(EscalationLevel.COORDINATION_GROUP, RAISED + 48 * H),
    )
    steps = escalation_steps(RAISED, RAISED + timedelta(days=30))
    assert [s.level for s in steps] == [
        EscalationLevel.PROJECT_OWNER,
        EscalationLevel.COORDINATION_GROUP,
        EscalationLevel.MANAGEMENT,
    ]
    assert [s.due_at for s in steps] == [RAISED + 24 * H, RAISED + 48 * H, RAISED + 72 * H]


@pytest.mark.parametrize(
    ("answered_after", "expected"),
    [
        (2 * H, EscalationLevel.NONE),  # answered in time
        (24 * H - µS, EscalationLevel.NONE),
        (24 * H, EscalationLevel.PROJECT_OWNER),  # at the due time is too late for that level
        (30 * H, EscalationLevel.PROJECT_OWNER),  # answered between 24 h and 48 h
        (48 * H - µS, EscalationLevel.PROJECT_OWNER),
        (50 * H, EscalationLevel.COORDINATION_GROUP),
        (80 * H, EscalationLevel.MANAGEMENT),
    ],
)
def test_an_answer_stops_later_levels(answered_after: timedelta, expected: EscalationLevel) -> None:
    now = RAISED + timedelta(days=10)
    assert escalation_level(RAISED, now, answered_at=RAISED + answered_after) is expected
    assert len(escalation_steps(RAISED, now, answered_at=RAISED + answered_after)) == expected


def test_answer_recorded_after_now_does_not_count_yet() -> None:
    # Asking at 30 h about a request answered at 60 h: at 30 h it had reached level 1 only.
    level = escalation_level(RAISED, RAISED + 30 * H, answered_at=RAISED + 60 * H)
    assert level is EscalationLevel.PROJECT_OWNER


def test_custom_response_time() -> None:
    assert (
        escalation_level(RAISED, RAISED + 4 * H, response_hours=4) is EscalationLevel.PROJECT_OWNER
    )
    assert (
        escalation_level(RAISED, RAISED + 11 * H, response_hours=4)
        is EscalationLevel.COORDINATION_GROUP
    )
    assert escalation_level(RAISED, RAISED + 12 * H, response_hours=4) is EscalationLevel.MANAGEMENT
    assert (
        escalation_level(RAISED, RAISED + 71 * H, response_hours=36)
        is EscalationLevel.PROJECT_OWNER
    )
    assert (
        escalation_level(RAISED, RAISED + 72 * H, response_hours=36)
        is EscalationLevel.COORDINATION_GROUP
    )
    half = escalation_steps(RAISED, RAISED + 2 * H, response_hours=0.5)
    assert [s.due_at - RAISED for s in half] == [
        30 * timedelta(minutes=1),
        H,
        90 * timedelta(minutes=1),
    ]


def test_escalation_due() -> None:
    assert escalation_due(RAISED, EscalationLevel.NONE) == RAISED
    assert escalation_due(RAISED, EscalationLevel.PROJECT_OWNER) == RAISED + 24 * H
    assert escalation_due(RAISED, 2) == RAISED + 48 * H
    assert escalation_due(RAISED, EscalationLevel.MANAGEMENT, 8) == RAISED + 24 * H
    assert escalation_due(RAISED, 1).tzinfo is SHANGHAI


def test_time_zones_compare_as_instants() -> None:
    now_utc = (RAISED + 24 * H).astimezone(UTC)
    assert escalation_level(RAISED, now_utc) is EscalationLevel.PROJECT_OWNER
    answered = (RAISED + 10 * H).astimezone(timezone(timedelta(hours=-5)))
    assert escalation_level(RAISED, now_utc, answered_at=answered) is EscalationLevel.NONE


def test_before_the_request_nothing_has_happened() -> None:
    assert escalation_level(RAISED, RAISED - H) is EscalationLevel.NONE


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"raised_at": RAISED.replace(tzinfo=None)}, "raised_at must be time-zone aware"),
        ({"now": datetime(2024, 7, 16, 9, 30)}, "now must be time-zone aware"),
        ({"answered_at": datetime(2024, 7, 16, 9, 30)}, "answered_at must be time-zone aware"),
        ({"answered_at": RAISED - H}, "the answer .* comes before the request"),
        ({"response_hours": 0}, "the response time must be a positive number of hours, not 0"),
        ({"response_hours": -24}, "positive number of hours"),
        ({"response_hours": float("nan")}, "positive number of hours"),
        ({"response_hours": float("inf")}, "positive number of hours"),
        ({"response_hours": True}, "positive number of hours"),
        ({"response_hours": "24"}, "positive number of hours"),
        ({"now": "2024-07-16"}, "now must be a datetime"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"raised_at": RAISED, "now": RAISED + 30 * H, **kwargs}
    with pytest.raises(ConfigError, match=message):
        escalation_level(**arguments)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=message):
        escalation_steps(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", [4, -1, True])
def test_escalation_due_unknown_level(level: int) -> None:
    with pytest.raises(ConfigError, match="unknown escalation level"):
        escalation_due(RAISED, level)


def test_escalation_due_needs_an_aware_datetime() -> None:
    with pytest.raises(ConfigError, match="time-zone aware"):
        escalation_due(datetime(2024, 7, 15), 1)


@given(
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
    answered=st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
    hours=st.floats(min_value=0.25, max_value=200),
)
def test_steps_agree_with_the_level_and_the_due_times(
    elapsed: timedelta, answered: timedelta | None, hours: float
) -> None:
    now = RAISED + elapsed
    answered_at = None if answered is None else RAISED + answered
    steps = escalation_steps(RAISED, now, response_hours=hours, answered_at=answered_at)
    level = escalation_level(RAISED, now, response_hours=hours, answered_at=answered_at)
    assert len(steps) == level <= EscalationLevel.MANAGEMENT
    assert [s.level for s in steps] == list(EscalationLevel)[1 : level + 1]
    for step in steps:
        assert step.due_at == escalation_due(RAISED, step.level, hours) <= now
        assert answered_at is None or answered_at >= step.due_at
    # Later is never lower; an earlier answer is never higher.
    assert escalation_level(RAISED, now + H, response_hours=hours, answered_at=answered_at) >= level
    if answered_at is not None:
        assert escalation_level(RAISED, now, response_hours=hours) >= level
