"""ECRS changes: eliminate, combine, rearrange, simplify, and every impossible change."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.errors import ConfigError
from opslens.core.processmap import (
    ECRS_KINDS,
    EcrsChange,
    Step,
    apply_ecrs,
    summarize_steps,
)

from . import seed_steps

D = Decimal


def names(steps: tuple[Step, ...]) -> list[str]:
    return [s.name for s in steps]


def stages(steps: tuple[Step, ...]) -> list[int]:
    return [s.stage for s in steps]


def test_kinds() -> None:
    assert ECRS_KINDS == ("eliminate", "combine", "rearrange", "simplify")


# ------------------------------------------------------------------------------------ eliminate


def test_eliminating_the_gm_approval_takes_97_to_49_hours() -> None:
    before = seed_steps()
    after = apply_ecrs(before, EcrsChange("eliminate", "5", note="小额审批下放部门经理"))
    assert summarize_steps(before).total_hours == 97
    assert summarize_steps(after).total_hours == 49
    assert names(after) == ["填写申请表", "部门经理审批", "采购部审核", "财务部复核"]
    assert stages(after) == [1, 2, 3, 4]
    assert len(before) == 5  # the input is untouched


def test_eliminating_a_middle_step_renumbers_the_stages() -> None:
    after = apply_ecrs(seed_steps(), EcrsChange("eliminate", "2"))
    assert [(s.key, s.stage) for s in after] == [("1", 1), ("3", 2), ("4", 3), ("5", 4)]
    assert summarize_steps(after).total_hours == 73


def test_eliminating_one_of_two_parallel_steps_keeps_the_stage() -> None:
    parallel = [replace(s, stage=3) if s.key == "4" else s for s in seed_steps()]
    after = apply_ecrs(parallel, EcrsChange("eliminate", "3"))
    assert [(s.key, s.stage) for s in after] == [("1", 1), ("2", 2), ("4", 3), ("5", 4)]


def test_steps_without_stages_get_stages_1_to_n() -> None:
    after = apply_ecrs(seed_steps(staged=False), EcrsChange("eliminate", "1"))
    assert stages(after) == [1, 2, 3, 4]
    assert summarize_steps(after).total_hours == 96


# -------------------------------------------------------------------------------------- combine


def test_combining_merges_the_two_steps_into_the_first_ones_place() -> None:
    base = [replace(s, return_rate=D("0.15")) if s.key == "4" else s for s in seed_steps()]
    base = [replace(s, return_rate=D("0.05")) if s.key == "3" else s for s in base]
    after = apply_ecrs(base, EcrsChange("combine", "3", other_key="4"))
    assert [s.key for s in after] == ["1", "2", "3", "5"]
    merged = after[2]
    assert merged.name == "采购部审核 + 财务部复核"
    assert merged.hours == 24
    assert merged.role == "采购专员、财务经理"
    assert merged.inputs == "申请表、库存表、预算表"
    assert merged.outputs == "审核结果、复核意见"
    assert merged.return_rate == D("0.15")
    assert merged.stage == 3
    assert stages(after) == [1, 2, 3, 4]
    assert summarize_steps(after).total_hours == 97


def test_combining_with_a_later_step_uses_the_given_name_and_hours() -> None:
    after = apply_ecrs(
        seed_steps(),
        EcrsChange("combine", "2", other_key="5", new_hours=D(8), new_name="线上审批"),
    )
    assert [(s.key, s.name, s.hours) for s in after] == [
        ("1", "填写申请表", 1),
        ("2", "线上审批", 8),
        ("3", "采购部审核", 12),
        ("4", "财务部复核", 12),
    ]
    assert after[1].role == "部门经理、总经理"
    assert summarize_steps(after).total_hours == 33


def test_combining_same_roles_does_not_repeat_them_and_sums_the_estimates() -> None:
    a = Step("a", "录入", D(2), role="专员", hours_min=D(1), hours_max=D(4), stage=1, note="x")
    b = Step("b", "核对", D(3), role="专员", hours_max=D(5), stage=2, note="y")
    merged = apply_ecrs([a, b], EcrsChange("combine", "a", other_key="b"))[0]
    assert merged.role == "专员"
    assert (merged.hours_min, merged.hours, merged.hours_max) == (4, 5, 9)
    assert merged.note == "x；y"
    shortened = apply_ecrs([a, b], EcrsChange("combine", "a", other_key="b", new_hours=D(4)))[0]
    assert (shortened.hours_min, shortened.hours_max) == (None, None)


# ------------------------------------------------------------------------------------ rearrange


def test_rearranging_to_a_position() -> None:
    after = apply_ecrs(seed_steps(), EcrsChange("rearrange", "5", position=0))
    assert [s.key for s in after] == ["5", "1", "2", "3", "4"]
    assert stages(after) == [1, 2, 3, 4, 5]
    last = apply_ecrs(seed_steps(), EcrsChange("rearrange", "1", position=4))
    assert [s.key for s in last] == ["2", "3", "4", "5", "1"]
    same = apply_ecrs(seed_steps(), EcrsChange("rearrange", "3", position=2))
    assert same == seed_steps()


def test_rearranging_in_parallel_shortens_the_process() -> None:
    after = apply_ecrs(seed_steps(), EcrsChange("rearrange", "4", parallel_with="3"))
    assert [(s.key, s.stage) for s in after] == [("1", 1), ("2", 2), ("3", 3), ("4", 3), ("5", 4)]
    assert summarize_steps(after).total_hours == 85
    earlier = apply_ecrs(seed_steps(), EcrsChange("rearrange", "5", parallel_with="2"))
    assert [(s.key, s.stage) for s in earlier] == [("1", 1), ("2", 2), ("5", 2), ("3", 3), ("4", 4)]
    assert summarize_steps(earlier).total_hours == 1 + 48 + 12 + 12


def test_moving_a_step_out_of_a_parallel_group_makes_it_sequential_again() -> None:
    parallel = apply_ecrs(seed_steps(), EcrsChange("rearrange", "4", parallel_with="3"))
    after = apply_ecrs(parallel, EcrsChange("rearrange", "4", position=3))
    assert [(s.key, s.stage) for s in after] == [("1", 1), ("2", 2), ("3", 3), ("4", 4), ("5", 5)]
    assert summarize_steps(after).total_hours == 97


# ------------------------------------------------------------------------------------- simplify


def test_simplifying_shortens_and_renames() -> None:
    base = [
        replace(s, hours_min=D(24), hours_max=D(72)) if s.key == "5" else s for s in seed_steps()
    ]
    after = apply_ecrs(base, EcrsChange("simplify", "5", new_hours=D(8), new_name="总经理线上审批"))
    gm = after[-1]
    assert (gm.key, gm.name, gm.hours, gm.hours_min, gm.hours_max) == (
        "5",
        "总经理线上审批",
        8,
        None,
        None,
    )
    assert summarize_steps(after).total_hours == 57
    unchanged = apply_ecrs(base, EcrsChange("simplify", "5", new_hours=D(48)))
    assert unchanged == tuple(base)


# ----------------------------------------------------------------------------- invalid changes


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (EcrsChange("remove", "1"), "unknown ECRS change 'remove'"),
        (EcrsChange("eliminate", "9"), "no step with the key '9'"),
        (EcrsChange("combine", "3"), "combining '采购部审核' needs the step to merge"),
        (EcrsChange("combine", "3", other_key=" "), "needs the step to merge"),
        (EcrsChange("combine", "3", other_key="3"), "cannot combine '采购部审核' with itself"),
        (EcrsChange("combine", "3", other_key="x"), "no step with the key 'x'"),
        (
            EcrsChange("combine", "3", other_key="4", new_hours=D(-1)),
            "cannot be negative",
        ),
        (EcrsChange("rearrange", "3"), "moving '采购部审核' needs a new position"),
        (
            EcrsChange("rearrange", "3", position=0, parallel_with="1"),
            "either to a position or in parallel",
        ),
        (EcrsChange("rearrange", "3", position=5), "positions go from 0 to 4"),
        (EcrsChange("rearrange", "3", position=-1), "positions go from 0 to 4"),
        (EcrsChange("rearrange", "3", parallel_with="3"), "in parallel with itself"),
        (EcrsChange("rearrange", "3", parallel_with="z"), "no step with the key 'z'"),
        (EcrsChange("simplify", "5"), "simplifying '总经理审批' needs its new duration"),
        (EcrsChange("simplify", "5", new_name="x"), "needs its new duration"),
        (EcrsChange("simplify", "5", new_hours=D(-2)), "cannot be negative"),
        (EcrsChange("simplify", "5", new_hours=D(49)), "cannot make it longer"),
        (EcrsChange("simplify", "5", new_hours="abc"), "must be a number of hours"),
        (EcrsChange("eliminate", "5", new_hours=D(1)), "takes no new_hours"),
        (EcrsChange("simplify", "5", new_hours=D(1), position=2), "takes no position"),
        (EcrsChange("rearrange", "5", position=1, other_key="1"), "takes no other_key"),
    ],
)
def test_invalid_changes_raise_config_errors(change: EcrsChange, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_ecrs(seed_steps(), change)


def test_the_last_step_cannot_be_eliminated() -> None:
    only = (Step("1", "填写申请表", D(1)),)
    with pytest.raises(ConfigError, match="it is the only step"):
        apply_ecrs(only, EcrsChange("eliminate", "1"))


def test_a_position_inside_a_parallel_group_is_rejected() -> None:
    parallel = apply_ecrs(seed_steps(), EcrsChange("rearrange", "4", parallel_with="3"))
    with pytest.raises(ConfigError, match="falls inside the parallel steps"):
        apply_ecrs(parallel, EcrsChange("rearrange", "1", position=2))


# ------------------------------------------------------------------------------------ property


@st.composite
def processes(draw: st.DrawFn) -> tuple[Step, ...]:
    count = draw(st.integers(min_value=2, max_value=8))
    hours = draw(st.lists(st.integers(0, 50), min_size=count, max_size=count))
    stage_list = draw(st.lists(st.integers(1, 4), min_size=count, max_size=count))
    return tuple(
        Step(str(i), f"s{i}", D(h), stage=s)
        for i, (h, s) in enumerate(zip(hours, stage_list, strict=True))
    )


@given(processes(), st.data())
def test_every_valid_change_keeps_the_process_well_formed(
    steps: tuple[Step, ...], data: st.DataObject
) -> None:
    keys = [s.key for s in steps]
    key = data.draw(st.sampled_from(keys))
    kind = data.draw(st.sampled_from(ECRS_KINDS))
    before = summarize_steps(steps)
    target = next(s for s in steps if s.key == key)
    if kind == "eliminate":
        change = EcrsChange(kind, key)
    elif kind == "combine":
        change = EcrsChange(
            kind, key, other_key=data.draw(st.sampled_from(keys).filter(lambda k: k != key))
        )
    elif kind == "simplify":
        change = EcrsChange(kind, key, new_hours=target.hours / 2)
    else:
        change = EcrsChange(
            kind, key, parallel_with=data.draw(st.sampled_from(keys).filter(lambda k: k != key))
        )
    after = apply_ecrs(steps, change)
    numbers = sorted({s.stage for s in after})
    assert numbers == list(range(1, len(numbers) + 1))
    assert stages(after) == sorted(stages(after))
    summary = summarize_steps(after)
    if kind == "combine":
        assert summary.work_hours == before.work_hours
        assert len(after) == len(steps) - 1
    elif kind == "rearrange":
        assert summary.work_hours == before.work_hours
        assert summary.total_hours <= before.work_hours
        assert sorted(s.key for s in after) == sorted(keys)
    else:
        assert summary.total_hours <= before.total_hours
        assert summary.work_hours <= before.work_hours
