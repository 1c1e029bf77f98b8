"""Alert rules: conditions, fire once, recover, gaps; replay and per-period decisions agree."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslens.core.errors import ConfigError
from opslens.core.kpi import (
    AlertDecision,
    AlertEvent,
    AlertEventKind,
    AlertRule,
    AlertScan,
    ConditionKind,
    Direction,
    Frequency,
    Observation,
    Period,
    RecoveryKind,
    Thresholds,
    condition_holds,
    evaluate_alert,
    recovery_holds,
    scan_alerts,
)

D = Decimal
HIGHER = Direction.HIGHER
LOWER = Direction.LOWER
BAND = Direction.BAND

SALES = Thresholds(target=D(100), warning=D(80))  # 销售额 (万) per week
BAND_T = Thresholds(target=D(20), warning=D(15), target_high=D(30), warning_high=D(40))
# "销售额连续两周低于预警值,需启动销售复盘"
SEED_RULE = AlertRule(ConditionKind.BEYOND_WARNING, periods=2)

W1 = Period.parse(Frequency.WEEKLY, "2024-W20")


def week(n: int) -> Period:
    """The n-th week counted from 2024-W20 (0-based)."""
    return W1.shift(n)


def series(
    *values: int | str | None, thresholds: Thresholds | None = SALES, first: int = 0
) -> list[Observation]:
    """Consecutive weekly observations from week ``first``; "-" leaves a week out (a gap)."""
    return [
        Observation(week(first + i), None if v is None else D(v), thresholds)
        for i, v in enumerate(values)
        if v != "-"
    ]


def obs(n: int, value: int | str | None, thresholds: Thresholds | None = SALES) -> Observation:
    return Observation(week(n), None if value is None else D(value), thresholds)


def fire(*weeks: int) -> AlertEvent:
    return AlertEvent("fire", week(weeks[-1]), tuple(week(n) for n in weeks))


def recover(*weeks: int) -> AlertEvent:
    return AlertEvent("recover", week(weeks[-1]), tuple(week(n) for n in weeks))


NOTHING = AlertDecision(fire=False, recover=False, streak=())


def test_enum_values() -> None:
    assert [c.value for c in ConditionKind] == ["beyond_warning", "beyond_target", "change"]
    assert [r.value for r in RecoveryKind] == ["clear", "met"]


# ------------------------------------------------------------------------------ the seed rule


def test_seed_one_week_below_warning_does_not_fire() -> None:
    history = series(95, 70)
    assert scan_alerts(SEED_RULE, HIGHER, history).events == ()
    assert evaluate_alert(SEED_RULE, HIGHER, history, active=False) == NOTHING


def test_seed_two_weeks_below_warning_fire() -> None:
    history = series(95, 70, 75)
    scan = scan_alerts(SEED_RULE, HIGHER, history)
    assert scan.events == (fire(1, 2),)
    assert scan.active and scan.streak == 2 and scan.last_period == week(2)
    decision = evaluate_alert(SEED_RULE, HIGHER, history, active=False)
    assert decision == AlertDecision(fire=True, recover=False, streak=(week(1), week(2)))


def test_seed_third_week_below_does_not_fire_again() -> None:
    history = series(95, 70, 75, 60)
    scan = scan_alerts(SEED_RULE, HIGHER, history)
    assert scan.events == (fire(1, 2),)
    assert scan.active and scan.streak == 3 and scan.recovery_streak == 0
    assert evaluate_alert(SEED_RULE, HIGHER, history, active=True) == NOTHING


def test_seed_one_week_back_above_warning_recovers() -> None:
    history = series(95, 70, 75, 60, 85)  # 85 is above the warning value (still below target)
    scan = scan_alerts(SEED_RULE, HIGHER, history)
    assert scan.events == (fire(1, 2), recover(4))
    assert not scan.active and scan.streak == 0 and scan.recovery_streak == 0
    decision = evaluate_alert(SEED_RULE, HIGHER, history, active=True)
    assert decision == AlertDecision(fire=False, recover=True, streak=(week(4),))


def test_seed_recovery_over_two_weeks_waits() -> None:
    rule = AlertRule(ConditionKind.BEYOND_WARNING, periods=2, recovery_periods=2)
    history = series(95, 70, 75, 60, 85)
    scan = scan_alerts(rule, HIGHER, history)
    assert scan.events == (fire(1, 2),)
    assert scan.active and scan.recovery_streak == 1
    assert evaluate_alert(rule, HIGHER, history, active=True) == NOTHING
    history += series(90, first=5)
    assert scan_alerts(rule, HIGHER, history).events == (fire(1, 2), recover(4, 5))
    assert evaluate_alert(rule, HIGHER, history, active=True).streak == (week(4), week(5))


def test_seed_missing_week_between_two_bad_weeks_does_not_fire() -> None:
    history = series(95, 70, "-", 75)
    scan = scan_alerts(SEED_RULE, HIGHER, history)
    assert scan.events == () and not scan.active and scan.streak == 1
    assert evaluate_alert(SEED_RULE, HIGHER, history, active=False) == NOTHING


def test_seed_exactly_at_warning_is_not_below_it() -> None:
    assert scan_alerts(SEED_RULE, HIGHER, series(80, 80, 80)).events == ()
    assert scan_alerts(SEED_RULE, HIGHER, series(79, 79)).events == (fire(0, 1),)


# ---------------------------------------------------------------------------------- replay


def test_new_alert_needs_fresh_periods_after_recovery() -> None:
    history = series(70, 70, 90, 70, 70, 70)
    assert scan_alerts(SEED_RULE, HIGHER, history).events == (
        fire(0, 1),
        recover(2),
        fire(3, 4),
    )


def test_failing_period_resets_the_recovery_streak() -> None:
    rule = AlertRule(ConditionKind.BEYOND_WARNING, periods=1, recovery_periods=2)
    history = series(70, 90, 70, 90, 90)
    scan = scan_alerts(rule, HIGHER, history)
    assert scan.events == (fire(0), recover(3, 4))


def test_gap_resets_the_recovery_streak_but_keeps_the_alert() -> None:
    rule = AlertRule(ConditionKind.BEYOND_WARNING, periods=1, recovery_periods=2)
    history = series(70, 90, "-", 90)
    scan = scan_alerts(rule, HIGHER, history)
    assert scan.events == (fire(0),) and scan.active and scan.recovery_streak == 1
    assert evaluate_alert(rule, HIGHER, history, active=True) == NOTHING


def test_unknown_answer_resets_the_streaks() -> None:
    history = series(70, None, 70)  # a week not reported
    assert scan_alerts(SEED_RULE, HIGHER, history).events == ()
    no_thresholds = [obs(0, 70), obs(1, 70, None), obs(2, 70)]
    assert scan_alerts(SEED_RULE, HIGHER, no_thresholds).events == ()
    rule = AlertRule(ConditionKind.BEYOND_WARNING, recovery_periods=2)
    active = series(70, 90, None, 90)
    scan = scan_alerts(rule, HIGHER, active)
    assert scan.events == (fire(0),) and scan.active and scan.recovery_streak == 1


def test_met_recovery_needs_the_target() -> None:
    rule = AlertRule(ConditionKind.BEYOND_WARNING, periods=2, recovery=RecoveryKind.MET)
    history = series(70, 70, 90, 95, 100)
    scan = scan_alerts(rule, HIGHER, history)
    assert scan.events == (fire(0, 1), recover(4))
    assert evaluate_alert(rule, HIGHER, history[:-1], active=True) == NOTHING
    assert evaluate_alert(rule, HIGHER, history, active=True).recover


def test_beyond_target_counts_warnings() -> None:
    rule = AlertRule(ConditionKind.BEYOND_TARGET, periods=3)
    assert scan_alerts(rule, HIGHER, series(99, 85, 60)).events == (fire(0, 1, 2),)
    assert scan_alerts(rule, HIGHER, series(99, 100, 60)).events == ()


def test_lower_is_better() -> None:  # 首次响应时间 (minutes): target 30, warning 60
    response = Thresholds(target=D(30), warning=D(60))
    rule = AlertRule(ConditionKind.BEYOND_WARNING, periods=2)
    history = series(45, 61, 90, 60, thresholds=response)
    assert scan_alerts(rule, LOWER, history).events == (fire(1, 2), recover(3))


def test_band() -> None:
    rule = AlertRule(ConditionKind.BEYOND_WARNING, periods=1)
    history = series(25, 41, 35, 14, 15, thresholds=BAND_T)
    assert scan_alerts(rule, BAND, history).events == (
        fire(1),
        recover(2),
        fire(3),
        recover(4),
    )


def test_series_is_sorted_first() -> None:
    history = list(reversed(series(95, 70, 75)))
    assert scan_alerts(SEED_RULE, HIGHER, history).events == (fire(1, 2),)
    assert evaluate_alert(SEED_RULE, HIGHER, history, active=False).fire


def test_empty_series() -> None:
    assert scan_alerts(SEED_RULE, HIGHER, []) == AlertScan(
        events=(), active=False, streak=0, recovery_streak=0, last_period=None
    )
    assert evaluate_alert(SEED_RULE, HIGHER, [], active=False) == NOTHING
    assert evaluate_alert(SEED_RULE, HIGHER, [], active=True) == NOTHING


def test_long_rule_on_short_series() -> None:
    rule = AlertRule(ConditionKind.BEYOND_WARNING, periods=5)
    assert evaluate_alert(rule, HIGHER, series(70, 70), active=False) == NOTHING


def test_mixed_frequencies_rejected() -> None:
    mixed = [obs(0, 70), Observation(Period.parse(Frequency.MONTHLY, "2024-06"), D(70), SALES)]
    with pytest.raises(ConfigError, match="one frequency"):
        scan_alerts(SEED_RULE, HIGHER, mixed)
    with pytest.raises(ConfigError, match="one frequency"):
        evaluate_alert(SEED_RULE, HIGHER, mixed, active=False)


def test_repeated_period_rejected() -> None:
    twice = [obs(0, 70), obs(1, 70), obs(0, 90)]
    with pytest.raises(ConfigError, match="2024-W20 appears more than once"):
        scan_alerts(SEED_RULE, HIGHER, twice)
    with pytest.raises(ConfigError, match="more than once"):
        evaluate_alert(SEED_RULE, HIGHER, twice, active=False)


# ---------------------------------------------------------------------------- evaluate_alert


def test_evaluate_fire_needs_the_latest_period() -> None:
    history = series(70, 70, 90)  # the streak is over: the latest week is fine
    assert evaluate_alert(SEED_RULE, HIGHER, history, active=False) == NOTHING


def test_evaluate_active_does_not_fire_again() -> None:
    history = series(70, 70, 70)
    assert evaluate_alert(SEED_RULE, HIGHER, history, active=True) == NOTHING


def test_evaluate_since_excludes_periods_before_the_last_event() -> None:
    history = series(70, 70, 90, 70)  # fired at week 1, recovered at week 2
    # without since, weeks 1 and 3 are not consecutive anyway; weeks 3..4 are fresh
    history += series(70, first=4)
    assert evaluate_alert(SEED_RULE, HIGHER, history, active=False, since=week(2)).fire
    assert not evaluate_alert(SEED_RULE, HIGHER, history, active=False, since=week(3)).fire


def test_evaluate_since_must_have_the_series_frequency() -> None:
    with pytest.raises(ConfigError, match="since"):
        evaluate_alert(
            SEED_RULE,
            HIGHER,
            series(70, 70),
            active=False,
            since=Period.parse(Frequency.MONTHLY, "2024-05"),
        )


def test_change_with_met_recovery_since_matters() -> None:
    # a 20% drop while still at target: the condition holds and the status is MET at once
    rule = AlertRule(
        ConditionKind.CHANGE,
        change_pct=D("0.2"),
        recovery=RecoveryKind.MET,
        recovery_periods=2,
    )
    history = series(150, 110, 120)
    scan = scan_alerts(rule, HIGHER, history)
    assert scan.events == (fire(1),) and scan.active and scan.recovery_streak == 1
    assert evaluate_alert(rule, HIGHER, history, active=True, since=week(1)) == NOTHING
    # without since, the firing week itself is counted towards the recovery
    assert evaluate_alert(rule, HIGHER, history, active=True).recover


# --------------------------------------------------------------------------- condition_holds


RULE_CHANGE = AlertRule(ConditionKind.CHANGE, change_pct=D("0.2"))


@pytest.mark.parametrize(
    ("direction", "previous", "current", "expected"),
    [
        (HIGHER, 100, 80, True),  # exactly −20%
        (HIGHER, 100, 81, False),
        (HIGHER, 100, 150, False),
        (HIGHER, -100, -120, True),  # −20% of |−100|
        (HIGHER, -100, -80, False),
        (LOWER, 100, 120, True),  # exactly +20%
        (LOWER, 100, 119, False),
        (LOWER, 100, 50, False),
        (BAND, 100, 120, True),
        (BAND, 100, 80, True),
        (BAND, 100, 90, False),
    ],
)
def test_change_condition(
    direction: Direction, previous: int, current: int, expected: bool
) -> None:
    assert (
        condition_holds(RULE_CHANGE, direction, obs(1, current, None), obs(0, previous, None))
        is expected
    )


@pytest.mark.parametrize(
    ("current", "previous"),
    [
        (obs(1, 80), None),  # no previous
        (obs(1, 80), obs(0, None)),  # previous not reported
        (obs(1, 80), obs(0, 0)),  # previous zero
        (obs(2, 80), obs(0, 100)),  # not the period before
        (obs(0, 80), obs(1, 100)),  # after, not before
        (obs(1, None), obs(0, 100)),  # no value
    ],
)
def test_change_cannot_be_told(current: Observation, previous: Observation | None) -> None:
    assert condition_holds(RULE_CHANGE, HIGHER, current, previous) is None


def test_change_across_frequencies_cannot_be_told() -> None:
    monthly = Observation(Period.parse(Frequency.MONTHLY, "2024-05"), D(100), None)
    assert condition_holds(RULE_CHANGE, HIGHER, obs(1, 50), monthly) is None


def test_change_does_not_need_thresholds() -> None:
    history = series(100, 70, 50, 45, thresholds=None)
    rule = AlertRule(ConditionKind.CHANGE, periods=2, change_pct=D("0.2"))
    assert scan_alerts(rule, HIGHER, history).events == (fire(1, 2), recover(3))


def test_beyond_conditions_need_value_and_thresholds() -> None:
    for condition in (ConditionKind.BEYOND_WARNING, ConditionKind.BEYOND_TARGET):
        rule = AlertRule(condition)
        assert condition_holds(rule, HIGHER, obs(0, None), None) is None
        assert condition_holds(rule, HIGHER, obs(0, 50, None), None) is None
        assert condition_holds(rule, HIGHER, obs(0, 50), None) is True
        assert condition_holds(rule, HIGHER, obs(0, 100), None) is False


def test_recovery_holds() -> None:
    clear = AlertRule(ConditionKind.BEYOND_WARNING)
    met = AlertRule(ConditionKind.BEYOND_WARNING, recovery=RecoveryKind.MET)
    assert recovery_holds(clear, HIGHER, obs(0, 85), None) is True
    assert recovery_holds(clear, HIGHER, obs(0, 70), None) is False
    assert recovery_holds(clear, HIGHER, obs(0, None), None) is None
    assert recovery_holds(met, HIGHER, obs(0, 85), None) is False
    assert recovery_holds(met, HIGHER, obs(0, 100), None) is True
    assert recovery_holds(met, HIGHER, obs(0, 100, None), None) is None


def test_contradictory_thresholds_raise() -> None:
    bad = Thresholds(target=D(80), warning=D(100))
    with pytest.raises(ConfigError, match="cannot be above the target"):
        scan_alerts(SEED_RULE, HIGHER, series(70, 70, thresholds=bad))


# ------------------------------------------------------------------------------ rule checks


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (AlertRule(ConditionKind.BEYOND_WARNING, periods=0), "periods of at least 1"),
        (AlertRule(ConditionKind.BEYOND_WARNING, recovery_periods=0), "recovery_periods"),
        (AlertRule(ConditionKind.CHANGE), "positive change percentage"),
        (AlertRule(ConditionKind.CHANGE, change_pct=D(0)), "positive change percentage"),
        (AlertRule(ConditionKind.CHANGE, change_pct=D("-0.2")), "positive change percentage"),
        (AlertRule(ConditionKind.CHANGE, change_pct=D("NaN")), "positive change percentage"),
        (AlertRule(ConditionKind.CHANGE, change_pct=0.2), "positive change percentage"),  # type: ignore[arg-type]
        (AlertRule("falling"), "unknown alert condition 'falling'"),  # type: ignore[arg-type]
        (
            AlertRule(ConditionKind.BEYOND_WARNING, recovery="later"),  # type: ignore[arg-type]
            "unknown alert recovery 'later'",
        ),
    ],
)
def test_invalid_rules(rule: AlertRule, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        rule.validate()
    with pytest.raises(ConfigError, match=words):
        scan_alerts(rule, HIGHER, series(70))
    with pytest.raises(ConfigError, match=words):
        evaluate_alert(rule, HIGHER, series(70), active=False)
    with pytest.raises(ConfigError, match=words):
        condition_holds(rule, HIGHER, obs(0, 70), None)


def test_rule_from_stored_strings() -> None:
    rule = AlertRule("beyond_warning", periods=2, recovery="met")  # type: ignore[arg-type]
    rule.validate()
    assert scan_alerts(rule, "higher", series(70, 70)).active  # type: ignore[arg-type]


def test_change_pct_ignored_outside_change() -> None:
    AlertRule(ConditionKind.BEYOND_TARGET, change_pct=D(-1)).validate()


# ---------------------------------------------------------------------------------- properties


rules = st.builds(
    AlertRule,
    condition=st.sampled_from(list(ConditionKind)),
    periods=st.integers(1, 3),
    change_pct=st.sampled_from([D("0.1"), D("0.25")]),
    recovery=st.sampled_from(list(RecoveryKind)),
    recovery_periods=st.integers(1, 3),
)
directions = st.sampled_from(list(Direction))


def _week(kind: int, value: int) -> object:
    """One week: mostly a value with thresholds, sometimes left out, unreported or unset."""
    if kind == 0:
        return "-"
    return (None if kind == 1 else D(value), kind != 2)


weeks = st.builds(_week, st.integers(0, 9), st.integers(0, 60))


def thresholds_for(direction: Direction) -> Thresholds:
    if direction is BAND:
        return BAND_T
    if direction is LOWER:
        return Thresholds(target=D(20), warning=D(30))
    return Thresholds(target=D(30), warning=D(20))


def build(direction: Direction, spec: Sequence[object]) -> list[Observation]:
    out = []
    for n, item in enumerate(spec):
        if item == "-":
            continue
        assert isinstance(item, tuple)
        value, with_thresholds = item
        out.append(
            Observation(week(n), value, thresholds_for(direction) if with_thresholds else None)
        )
    return out


@settings(max_examples=300)
@given(rule=rules, direction=directions, spec=st.lists(weeks, max_size=30))
def test_fire_and_recover_alternate(
    rule: AlertRule, direction: Direction, spec: list[object]
) -> None:
    scan = scan_alerts(rule, direction, build(direction, spec))
    kinds = [event.kind for event in scan.events]
    assert kinds == ["fire", "recover"] * (len(kinds) // 2) + ["fire"] * (len(kinds) % 2)
    assert scan.active == (kinds[-1:] == ["fire"])
    for event in scan.events:
        needed = rule.periods if event.kind == "fire" else rule.recovery_periods
        assert len(event.streak) == needed and event.streak[-1] == event.period
        assert all(a.next() == b for a, b in pairwise(event.streak))
    periods = [event.period for event in scan.events]
    assert periods == sorted(set(periods))


@settings(max_examples=300)
@given(rule=rules, direction=directions, spec=st.lists(weeks, max_size=30))
def test_period_by_period_decisions_equal_the_replay(
    rule: AlertRule, direction: Direction, spec: list[object]
) -> None:
    history = build(direction, spec)
    active = False
    since: Period | None = None
    events: list[AlertEvent] = []
    for i, current in enumerate(history):
        decision = evaluate_alert(rule, direction, history[: i + 1], active=active, since=since)
        assert not (decision.fire and decision.recover)
        if decision.fire or decision.recover:
            kind: AlertEventKind = "fire" if decision.fire else "recover"
            events.append(AlertEvent(kind, current.period, decision.streak))
            active, since = decision.fire, current.period
        else:
            assert decision.streak == ()
    scan = scan_alerts(rule, direction, history)
    assert tuple(events) == scan.events
    assert active == scan.active


def test_long_history_fires_once() -> None:
    history = [
        Observation(Period.of(Frequency.DAILY, date(2024, 1, 1)).shift(i), D(1), SALES)
        for i in range(400)
    ]
    scan = scan_alerts(SEED_RULE, HIGHER, history)
    assert len(scan.events) == 1 and scan.streak == 400
