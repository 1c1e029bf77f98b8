"""Records and figures: validation, elapsed time, shares, critical path, PERT, compare."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, localcontext

import pytest

from opslens.core.errors import ConfigError, InputError
from opslens.core.processmap import (
    EcrsChange,
    ProcessHeader,
    ProcessSheet,
    Step,
    apply_ecrs,
    as_percent,
    compare_versions,
    expected_hours,
    format_hours,
    order_steps,
    summarize_steps,
)

from . import SEED_HEADER, seed_steps

D = Decimal


def step(key: str, hours: str | int, stage: int = 0, **fields: object) -> Step:
    return Step(
        key=key, name=fields.pop("name", f"step {key}"), hours=D(hours), stage=stage, **fields
    )


# ------------------------------------------------------------------------------- the seed numbers


def test_seed_total_bottleneck_and_share() -> None:
    summary = summarize_steps(seed_steps())
    assert summary.total_hours == 97
    assert summary.work_hours == 97
    assert summary.stage_count == 5
    assert summary.bottleneck_key == "5"
    assert summary.bottleneck is not None and summary.bottleneck.name == "总经理审批"
    gm = summary.figures("5")
    assert gm.share == D(48) / D(97)  # not rounded
    assert gm.share != as_percent(gm.share) / 100
    assert as_percent(gm.share) == D("49.5")
    assert str(as_percent(gm.share)) == "49.5"
    assert as_percent(summary.figures("2").share) == D("24.7")
    assert [f.is_bottleneck for f in summary.steps] == [False, False, False, False, True]
    assert all(f.on_critical_path for f in summary.steps)
    assert sum(f.share for f in summary.steps) == pytest.approx(D(1), abs=D("1e-25"))
    assert summary.return_rate is None


def test_seed_without_stages_runs_in_order() -> None:
    # No step has a stage (all 0): the steps run one after another, as the seed table does.
    summary = summarize_steps(seed_steps(staged=False))
    assert summary.total_hours == 97
    assert [f.stage for f in summary.steps] == [1, 2, 3, 4, 5]


def test_figures_follow_the_input_order_and_shares_ignore_the_thread_context() -> None:
    steps = list(reversed(seed_steps()))
    with localcontext() as ctx:
        ctx.prec = 3
        summary = summarize_steps(steps)
    assert [f.key for f in summary.steps] == ["5", "4", "3", "2", "1"]
    assert summary.figures("5").share == D("0.4948453608247422680412371134")
    assert [f.stage for f in summary.steps] == [5, 4, 3, 2, 1]
    with pytest.raises(KeyError):
        summary.figures("nope")


def test_share_rounding_is_half_up() -> None:
    assert as_percent(D("0.12345"), 2) == D("12.35")
    assert as_percent(D("0.0005"), 1) == D("0.1")
    assert as_percent(D(1), 0) == D(100)
    with localcontext() as ctx:
        ctx.prec = 2
        assert as_percent(D("0.49484536")) == D("49.5")


def test_hours_are_shown_without_trailing_zeros() -> None:
    assert format_hours(D("24.00")) == "24"
    assert format_hours(D("1E+2")) == "100"
    assert format_hours(D("0.250")) == "0.25"
    assert format_hours(D(0)) == "0"


# ------------------------------------------------------------------------------ parallel stages


def test_parallel_steps_count_once_in_the_elapsed_time() -> None:
    steps = [replace(s, stage=3) if s.key == "4" else s for s in seed_steps()]
    summary = summarize_steps(steps)
    assert summary.total_hours == 85  # 1 + 24 + max(12, 12) + 48
    assert summary.work_hours == 97
    assert summary.stage_count == 4
    assert summary.figures("3").on_critical_path and summary.figures("4").on_critical_path
    assert summary.figures("4").stage == summary.figures("3").stage == 3
    assert summary.figures("5").share == D(48) / D(85)


def test_the_shorter_parallel_step_is_off_the_critical_path() -> None:
    steps = [step("a", 2, 1), step("b", 10, 2), step("c", 4, 2), step("d", 3, 3)]
    summary = summarize_steps(steps)
    assert summary.total_hours == 15
    assert [f.on_critical_path for f in summary.steps] == [True, True, False, True]
    assert summary.bottleneck_key == "b"
    assert summary.figures("c").share == D(4) / D(15)


def test_stages_run_in_ascending_order_whatever_the_input_order() -> None:
    steps = [step("late", 5, 9), step("early", 1, 2), step("mid", 3, 4)]
    assert [s.key for s in order_steps(steps)] == ["early", "mid", "late"]
    assert [s.stage for s in order_steps(steps)] == [1, 2, 3]
    assert summarize_steps(steps).figures("late").stage == 3


def test_bottleneck_ties_go_to_the_first_step_in_order() -> None:
    steps = [step("x", 24, 1), step("y", 24, 2), step("z", 1, 3)]
    assert summarize_steps(steps).bottleneck_key == "x"
    assert summarize_steps([steps[1], steps[0], steps[2]]).bottleneck_key == "y"


def test_no_bottleneck_without_time() -> None:
    empty = summarize_steps([])
    assert (empty.total_hours, empty.bottleneck_key, empty.steps, empty.return_rate) == (
        0,
        None,
        (),
        None,
    )
    assert empty.bottleneck is None
    zero = summarize_steps([step("a", 0, 1), step("b", 0, 2)])
    assert zero.total_hours == 0 and zero.bottleneck_key is None
    assert all(f.share == 0 and not f.is_bottleneck for f in zero.steps)


def test_mixed_and_duplicate_stages_and_keys_are_rejected() -> None:
    with pytest.raises(ConfigError, match="step 'step b' has no stage"):
        summarize_steps([step("a", 1, 1), step("b", 1, 0)])
    with pytest.raises(ConfigError, match="key 'a'"):
        summarize_steps([step("a", 1, 1), step("a", 2, 2)])


# ---------------------------------------------------------------------- return rate and PERT


def test_return_rate_is_the_mean_of_the_given_rates() -> None:
    steps = [
        step("a", 1, 1, return_rate=D("0.15")),
        step("b", 1, 2),
        step("c", 1, 3, return_rate=D("0.05")),
    ]
    assert summarize_steps(steps).return_rate == D("0.10")


def test_pert_expected_hours() -> None:
    pert = step("a", 20, 1, hours_min=D(10), hours_max=D(60))
    assert expected_hours(pert) == 25  # (10 + 4×20 + 60) / 6
    one_end = step("b", 20, 2, hours_min=D(10))
    assert expected_hours(one_end) == 20
    odd = step("c", 1, 3, hours_min=D(0), hours_max=D(1))
    assert expected_hours(odd) == D(5) / D(6)
    summary = summarize_steps([pert, one_end, odd])
    assert [f.expected_hours for f in summary.steps] == [25, 20, D(5) / D(6)]
    assert summary.total_hours == 41
    assert summary.expected_total_hours == 45 + D(5) / D(6)


def test_pert_in_a_parallel_stage_takes_the_longest_expected_time() -> None:
    a = step("a", 10, 1, hours_min=D(9), hours_max=D(11))  # expected 10
    b = step("b", 8, 1, hours_min=D(2), hours_max=D(50))  # expected 14
    summary = summarize_steps([a, b])
    assert summary.total_hours == 10
    assert summary.expected_total_hours == 14


# ---------------------------------------------------------------------------- record validation


@pytest.mark.parametrize(
    ("fields", "column", "message"),
    [
        ({"hours": D(-1)}, "hours", "negative"),
        ({"hours": "abc"}, "hours", "expected a number"),
        ({"hours": D("NaN")}, "hours", "finite"),
        ({"hours": True}, "hours", "yes/no"),
        ({"hours_min": D(30)}, "hours_min", "longer than the usual"),
        ({"hours_min": D(-1)}, "hours_min", "negative"),
        ({"hours_max": D(10)}, "hours_max", "shorter than the usual"),
        ({"return_rate": D("1.5")}, "return_rate", "between 0 and 1"),
        ({"return_rate": D("-0.1")}, "return_rate", "between 0 and 1"),
        ({"stage": -1}, "stage", "negative"),
        ({"stage": 1.5}, "stage", "whole number"),
        ({"name": "  "}, "name", "needs a name"),
        ({"key": ""}, "key", "needs a key"),
    ],
)
def test_step_rejects_bad_values(fields: dict[str, object], column: str, message: str) -> None:
    values: dict[str, object] = {"key": "k", "name": "审批", "hours": D(24)} | fields
    with pytest.raises(InputError, match=message) as caught:
        Step(**values)
    assert caught.value.column == column


def test_step_normalises_text_and_numbers() -> None:
    s = Step(
        key=" 7 ",
        name="  审批\x00\x1f ",
        hours=0.1,
        hours_max=2,
        return_rate="0.15",
        note="a\nb\t",
    )
    assert (s.key, s.name, s.note) == ("7", "审批", "a\nb")
    assert s.hours == D("0.1") and isinstance(s.hours, Decimal)
    assert s.hours_max == D(2) and isinstance(s.hours_max, Decimal)
    assert s.return_rate == D("0.15")


def test_header_splits_departments_and_keeps_the_date() -> None:
    header = ProcessHeader(
        name=" 采购 ",
        departments=("采购部、财务部", "财务部", " ,行政部"),
        record_date=datetime(2024, 5, 20, 9, 30),
    )
    assert header.name == "采购"
    assert header.departments == ("采购部", "财务部", "行政部")
    assert header.record_date == date(2024, 5, 20)
    assert ProcessHeader(name="x", departments="采购部，财务部").departments == (
        "采购部",
        "财务部",
    )
    with pytest.raises(InputError, match="must be a date"):
        ProcessHeader(name="x", record_date="2024-05-20")


def test_sheet_keeps_steps_in_process_order_with_stages_1_to_n() -> None:
    steps = (step("c", 1, 30), step("a", 1, 10), step("b", 1, 10))
    sheet = ProcessSheet(header=SEED_HEADER, steps=steps, version_label=" v2 ")
    assert [(s.key, s.stage) for s in sheet.steps] == [("a", 1), ("b", 1), ("c", 2)]
    assert sheet.version_label == "v2"
    unstaged = ProcessSheet(header=SEED_HEADER, steps=seed_steps(staged=False))
    assert [s.stage for s in unstaged.steps] == [1, 2, 3, 4, 5]


# ------------------------------------------------------------------------------------- compare


def test_compare_seed_before_and_after_eliminating_the_gm() -> None:
    before = seed_steps()
    after = apply_ecrs(before, EcrsChange("eliminate", "5"))
    result = compare_versions(before, after)
    assert (result.total_before, result.total_after, result.saving_hours) == (97, 49, 48)
    assert result.saving_share == D(48) / D(97)
    assert as_percent(result.saving_share) == D("49.5")
    assert [(r.key, r.status) for r in result.rows] == [
        ("1", "kept"),
        ("2", "kept"),
        ("3", "kept"),
        ("4", "kept"),
        ("5", "removed"),
    ]
    removed = result.rows[-1]
    assert (removed.name, removed.hours_before, removed.hours_after, removed.delta) == (
        "总经理审批",
        48,
        None,
        -48,
    )
    assert result.before.bottleneck_key == "5" and result.after.bottleneck_key == "2"


def test_compare_combined_added_and_simplified_steps() -> None:
    before = seed_steps()
    after = list(apply_ecrs(before, EcrsChange("combine", "3", other_key="4", new_hours=D(16))))
    after = list(apply_ecrs(after, EcrsChange("simplify", "2", new_hours=D(8))))
    after.append(Step("new", "线上归档", D("0.5"), stage=len(after) + 1))
    result = compare_versions(before, after)
    rows = {r.key: r for r in result.rows}
    assert [r.key for r in result.rows] == ["1", "2", "3", "4", "5", "new"]
    assert rows["1"].status == "kept"
    assert (rows["2"].status, rows["2"].delta) == ("changed", -16)
    assert (rows["3"].status, rows["3"].name, rows["3"].delta) == (
        "changed",
        "采购部审核 + 财务部复核",
        4,
    )
    assert (rows["4"].status, rows["4"].hours_after, rows["4"].delta) == ("removed", None, -12)
    assert (rows["new"].status, rows["new"].hours_before, rows["new"].delta) == (
        "added",
        None,
        D("0.5"),
    )
    assert result.total_after == 1 + 8 + 16 + 48 + D("0.5")
    assert result.saving_hours == 97 - result.total_after


def test_compare_marks_only_the_moved_step() -> None:
    before = seed_steps()
    moved = apply_ecrs(before, EcrsChange("rearrange", "5", position=1))
    statuses = {r.key: r.status for r in compare_versions(before, moved).rows}
    assert statuses == {"1": "kept", "2": "kept", "3": "kept", "4": "kept", "5": "moved"}
    parallel = apply_ecrs(before, EcrsChange("rearrange", "4", parallel_with="3"))
    statuses = {r.key: r.status for r in compare_versions(before, parallel).rows}
    assert statuses == {"1": "kept", "2": "kept", "3": "moved", "4": "moved", "5": "kept"}


def test_compare_saving_share_is_none_without_time_before() -> None:
    result = compare_versions([], [step("a", 3, 1)])
    assert result.saving_share is None
    assert result.saving_hours == -3
    assert [(r.key, r.status) for r in result.rows] == [("a", "added")]
    assert compare_versions(seed_steps(), seed_steps()).saving_share == 0
