"""Reporting periods: keys, parsing of spreadsheet spellings, moving, due dates, nesting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opslens.core.errors import ConfigError, InputError
from opslens.core.kpi import Frequency, Period, periods_between

F = Frequency
DAY = F.DAILY
WEEK = F.WEEKLY
MONTH = F.MONTHLY
QUARTER = F.QUARTERLY
YEAR = F.YEARLY

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
frequencies = st.sampled_from(list(Frequency))


def test_frequency_values() -> None:
    assert [f.value for f in Frequency] == ["daily", "weekly", "monthly", "quarterly", "yearly"]


# -------------------------------------------------------------------------------- keys, ends


@pytest.mark.parametrize(
    ("frequency", "day", "key", "start", "end"),
    [
        (DAY, date(2024, 6, 5), "2024-06-05", date(2024, 6, 5), date(2024, 6, 5)),
        (WEEK, date(2024, 6, 5), "2024-W23", date(2024, 6, 3), date(2024, 6, 9)),
        (MONTH, date(2024, 6, 5), "2024-06", date(2024, 6, 1), date(2024, 6, 30)),
        (QUARTER, date(2024, 8, 15), "2024-Q3", date(2024, 7, 1), date(2024, 9, 30)),
        (YEAR, date(2024, 6, 5), "2024", date(2024, 1, 1), date(2024, 12, 31)),
        (MONTH, date(2024, 2, 10), "2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap
        (MONTH, date(2023, 2, 10), "2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        (QUARTER, date(2024, 1, 1), "2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        (QUARTER, date(2024, 12, 31), "2024-Q4", date(2024, 10, 1), date(2024, 12, 31)),
        # ISO week 53 and weeks crossing years
        (WEEK, date(2021, 1, 3), "2020-W53", date(2020, 12, 28), date(2021, 1, 3)),
        (WEEK, date(2024, 12, 31), "2025-W01", date(2024, 12, 30), date(2025, 1, 5)),
        (WEEK, date(2027, 1, 1), "2026-W53", date(2026, 12, 28), date(2027, 1, 3)),
        (YEAR, date(9999, 12, 31), "9999", date(9999, 1, 1), date(9999, 12, 31)),
    ],
)
def test_of_key_start_end(
    frequency: Frequency, day: date, key: str, start: date, end: date
) -> None:
    period = Period.of(frequency, day)
    assert (period.key, period.start, period.end) == (key, start, end)
    assert str(period) == key
    assert Period.parse(frequency, key) == period


def test_of_accepts_a_datetime_and_a_string_frequency() -> None:
    period = Period.of("monthly", datetime(2024, 6, 30, 23, 59))  # type: ignore[arg-type]
    assert period == Period(MONTH, date(2024, 6, 1))
    assert period.frequency is MONTH
    assert type(period.start) is date
    assert period.contains(datetime(2024, 6, 30, 23, 59))


@pytest.mark.parametrize(
    ("frequency", "start"),
    [
        (WEEK, date(2024, 6, 5)),  # a Wednesday
        (MONTH, date(2024, 6, 2)),
        (QUARTER, date(2024, 6, 1)),
        (YEAR, date(2024, 2, 1)),
    ],
)
def test_start_must_be_the_first_day(frequency: Frequency, start: date) -> None:
    with pytest.raises(ConfigError, match="is not the first day"):
        Period(frequency, start)


def test_unknown_frequency() -> None:
    with pytest.raises(ConfigError, match="unknown frequency 'hourly'"):
        Period.of("hourly", date(2024, 1, 1))  # type: ignore[arg-type]


def test_periods_sort_by_time() -> None:
    months = [Period.parse(MONTH, k) for k in ("2024-03", "2023-12", "2024-01")]
    assert [p.key for p in sorted(months)] == ["2023-12", "2024-01", "2024-03"]
    assert Period.parse(MONTH, "2024-01") < Period.parse(MONTH, "2024-02")


# ------------------------------------------------------------------------------------- parse


@pytest.mark.parametrize(
    "text",
    [
        "2024-06",
        "2024-6",
        "2024/6",
        "2024/06",
        "2024.06",
        "2024.6",
        "2024年6月",
        "2024年06月",
        "2024年6月份",
        "202406",
        "2024-06-01",
        "2024/6/1",
        "2024/6/30",
        "2024.6.15",
        "2024年6月18日",
        "20240618",
        "2024-06-18 00:00:00",
        "2024-06-18T09:30",
        "  2024 / 6 ",
        "２０２４年６月",  # full-width
        date(2024, 6, 30),
        datetime(2024, 6, 1, 8, 0),
        202406,
    ],
)
def test_parse_monthly(text: str | date | int) -> None:
    assert Period.parse(MONTH, text) == Period(MONTH, date(2024, 6, 1))


@pytest.mark.parametrize(
    "text",
    [
        "2024-Q3",
        "2024Q3",
        "2024 Q3",
        "2024q3",
        "2024-q3",
        "2024/Q3",
        "Q3 2024",
        "Q3-2024",
        "2024年第3季度",
        "2024年3季度",
        "2024年第三季度",
        "2024年第3季",
        "2024年Q3",
        "2024年 第 3 季度",
        "2024-08-15",
        date(2024, 9, 30),
    ],
)
def test_parse_quarterly(text: str | date) -> None:
    assert Period.parse(QUARTER, text) == Period(QUARTER, date(2024, 7, 1))


@pytest.mark.parametrize(
    ("text", "quarter"),
    [("2024Q1", 1), ("2024年第二季度", 2), ("2024年四季度", 4), ("2024-Q4", 4)],
)
def test_parse_each_quarter(text: str, quarter: int) -> None:
    assert Period.parse(QUARTER, text).start == date(2024, quarter * 3 - 2, 1)


@pytest.mark.parametrize(
    "text",
    [
        "2024-W23",
        "2024W23",
        "2024-w23",
        "2024 W23",
        "2024-W23-3",
        "2024年第23周",
        "2024年23周",
        "2024-06-05",
        "2024/6/9",
        date(2024, 6, 3),
    ],
)
def test_parse_weekly(text: str | date) -> None:
    assert Period.parse(WEEK, text) == Period(WEEK, date(2024, 6, 3))


def test_parse_week_53_and_single_digit_week() -> None:
    assert Period.parse(WEEK, "2020-W53").start == date(2020, 12, 28)
    assert Period.parse(WEEK, "2024W1").start == date(2024, 1, 1)
    assert Period.parse(WEEK, "2025-W01").start == date(2024, 12, 30)


@pytest.mark.parametrize(
    "text",
    ["2024-06-05", "2024/6/5", "2024.6.5", "2024年6月5日", "2024年6月5号", "20240605", 20240605],
)
def test_parse_daily(text: str | int) -> None:
    assert Period.parse(DAY, text) == Period(DAY, date(2024, 6, 5))


@pytest.mark.parametrize("text", ["2024", "2024年", "2024年度", " 2024 ", 2024, "2024-06-05"])
def test_parse_yearly(text: str | int) -> None:
    assert Period.parse(YEAR, text) == Period(YEAR, date(2024, 1, 1))


@pytest.mark.parametrize(
    ("frequency", "text"),
    [
        (MONTH, "2024-13"),
        (MONTH, "2024/0"),
        (MONTH, "June 2024"),
        (MONTH, "2024"),
        (MONTH, "2024-Q3"),
        (MONTH, "24/6"),
        (MONTH, ""),
        (QUARTER, "2024-Q5"),
        (QUARTER, "2024Q0"),
        (QUARTER, "2024年第五季度"),
        (QUARTER, "2024-06"),
        (WEEK, "2021-W53"),  # 2021 has 52 ISO weeks
        (WEEK, "2024-W00"),
        (WEEK, "第23周"),
        (WEEK, "2024-06"),
        (DAY, "2024-02-30"),
        (DAY, "2023-02-29"),
        (DAY, "2024-06"),
        (DAY, "tomorrow"),
        (YEAR, "0000"),
        (YEAR, "24"),
        (YEAR, "2024-Q1"),
    ],
)
def test_parse_rejects_with_value_and_expected_form(frequency: Frequency, text: str) -> None:
    with pytest.raises(InputError) as caught:
        Period.parse(frequency, text)
    assert caught.value.value == text
    message = str(caught.value)
    assert repr(text) in message
    assert f"as a {frequency} period" in message
    assert "expected" in message and "such as" in message


@pytest.mark.parametrize("bad", [None, 2024.06, [2024, 6], True])
def test_parse_rejects_other_types(bad: object) -> None:
    with pytest.raises(InputError, match="expected a month"):
        Period.parse(MONTH, bad)  # type: ignore[arg-type]


def test_parse_accepts_2024_02_29_leap_day() -> None:
    assert Period.parse(DAY, "2024-02-29").start == date(2024, 2, 29)


# ------------------------------------------------------------------------------------ moving


def test_next_previous_shift() -> None:
    assert Period.parse(MONTH, "2024-12").next().key == "2025-01"
    assert Period.parse(MONTH, "2024-01").previous().key == "2023-12"
    assert Period.parse(MONTH, "2024-01").shift(14).key == "2025-03"
    assert Period.parse(MONTH, "2024-01").shift(-13).key == "2022-12"
    assert Period.parse(QUARTER, "2024-Q4").next().key == "2025-Q1"
    assert Period.parse(QUARTER, "2024-Q1").shift(-5).key == "2022-Q4"
    assert Period.parse(YEAR, "2024").shift(3).key == "2027"
    assert Period.parse(WEEK, "2020-W53").next().key == "2021-W01"
    assert Period.parse(WEEK, "2021-W01").previous().key == "2020-W53"
    assert Period.parse(WEEK, "2024-W52").next().key == "2025-W01"
    assert Period.parse(DAY, "2024-02-28").next().key == "2024-02-29"
    assert Period.parse(DAY, "2023-02-28").next().key == "2023-03-01"
    assert Period.parse(DAY, "2024-06-05").shift(0).key == "2024-06-05"


def test_moving_beyond_the_calendar_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="9999"):
        Period.parse(YEAR, "9999").next()
    with pytest.raises(ConfigError, match="9999"):
        Period.of(DAY, date(1, 1, 1)).previous()
    with pytest.raises(ConfigError, match="9999"):
        Period.of(MONTH, date(1, 1, 1)).previous()


def test_contains() -> None:
    june = Period.parse(MONTH, "2024-06")
    assert june.contains(date(2024, 6, 1)) and june.contains(date(2024, 6, 30))
    assert not june.contains(date(2024, 5, 31)) and not june.contains(date(2024, 7, 1))
    w53 = Period.parse(WEEK, "2020-W53")
    assert w53.contains(date(2021, 1, 3)) and not w53.contains(date(2021, 1, 4))


@given(frequency=frequencies, day=dates)
def test_of_contains_the_day(frequency: Frequency, day: date) -> None:
    period = Period.of(frequency, day)
    assert period.contains(day)
    assert period.start <= day <= period.end
    assert not period.contains(period.previous().end)
    assert not period.contains(period.next().start)


@given(frequency=frequencies, day=dates)
def test_next_previous_round_trip(frequency: Frequency, day: date) -> None:
    period = Period.of(frequency, day)
    assert period.next().previous() == period
    assert period.previous().next() == period
    assert (period.next().start - period.end).days == 1


@given(frequency=frequencies, day=dates, n=st.integers(-200, 200), m=st.integers(-200, 200))
def test_shift_adds_up(frequency: Frequency, day: date, n: int, m: int) -> None:
    period = Period.of(frequency, day)
    assert period.shift(n).shift(m) == period.shift(n + m)
    assert (period.shift(n) > period) == (n > 0)


@given(frequency=frequencies, day=dates)
def test_key_round_trips_through_parse(frequency: Frequency, day: date) -> None:
    period = Period.of(frequency, day)
    assert Period.parse(frequency, period.key) == period


# --------------------------------------------------------------------------------- due dates


@pytest.mark.parametrize(
    ("key", "frequency", "due_day", "due"),
    [
        ("2024-06", MONTH, 5, date(2024, 7, 5)),  # 营业收入 monthly before the 5th
        ("2024-12", MONTH, 5, date(2025, 1, 5)),
        ("2024-01", MONTH, 31, date(2024, 2, 29)),  # clamped, leap year
        ("2023-01", MONTH, 31, date(2023, 2, 28)),
        ("2024-03", MONTH, 31, date(2024, 4, 30)),
        ("2024-05", MONTH, 31, date(2024, 6, 30)),
        ("2024-06", MONTH, 31, date(2024, 7, 31)),
        ("2024-Q3", QUARTER, 10, date(2024, 10, 10)),
        ("2024-Q4", QUARTER, 15, date(2025, 1, 15)),
        ("2024-Q1", QUARTER, 31, date(2024, 4, 30)),
        ("2024", YEAR, 20, date(2025, 1, 20)),
        ("2024", YEAR, 31, date(2025, 1, 31)),
        ("2024-W23", WEEK, 0, date(2024, 6, 9)),
        ("2024-W23", WEEK, 1, date(2024, 6, 10)),
        ("2020-W53", WEEK, 7, date(2021, 1, 10)),
        ("2024-06-05", DAY, 0, date(2024, 6, 5)),
        ("2024-12-31", DAY, 1, date(2025, 1, 1)),
        ("2024-02-28", DAY, 31, date(2024, 3, 30)),
    ],
)
def test_due_date(key: str, frequency: Frequency, due_day: int, due: date) -> None:
    assert Period.parse(frequency, key).due_date(due_day) == due


@pytest.mark.parametrize(
    ("frequency", "due_day"),
    [
        (MONTH, 0),
        (MONTH, 32),
        (QUARTER, 0),
        (YEAR, 32),
        (WEEK, 8),
        (WEEK, -1),
        (DAY, 32),
        (DAY, -1),
    ],
)
def test_due_day_out_of_range(frequency: Frequency, due_day: int) -> None:
    with pytest.raises(ConfigError, match=f"between .* not {due_day}"):
        Period.of(frequency, date(2024, 6, 5)).due_date(due_day)


# ------------------------------------------------------------------------------------ nesting


def test_parent() -> None:
    day = Period.parse(DAY, "2024-08-15")
    assert day.parent(WEEK).key == "2024-W33"
    assert day.parent(MONTH).key == "2024-08"
    assert day.parent(QUARTER).key == "2024-Q3"
    assert day.parent(YEAR).key == "2024"
    assert Period.parse(MONTH, "2024-08").parent(QUARTER).key == "2024-Q3"
    assert Period.parse(QUARTER, "2024-Q3").parent(YEAR).key == "2024"


def test_week_parent_holds_its_thursday() -> None:
    w53 = Period.parse(WEEK, "2020-W53")  # Mon 2020-12-28 .. Sun 2021-01-03
    assert w53.parent(MONTH).key == "2020-12"
    assert w53.parent(QUARTER).key == "2020-Q4"
    assert w53.parent(YEAR).key == "2020"
    w01 = Period.parse(WEEK, "2025-W01")  # Mon 2024-12-30 .. Sun 2025-01-05
    assert w01.parent(MONTH).key == "2025-01"
    assert w01.parent(YEAR).key == "2025"
    across = Period.parse(WEEK, "2024-W31")  # Mon 2024-07-29 .. Sun 2024-08-04, Thu 08-01
    assert across.parent(MONTH).key == "2024-08"
    assert Period.parse(WEEK, "2024-W35").parent(MONTH).key == "2024-08"  # Thu 08-29


@pytest.mark.parametrize(
    ("frequency", "parent"),
    [(MONTH, MONTH), (MONTH, WEEK), (MONTH, DAY), (YEAR, QUARTER), (WEEK, DAY)],
)
def test_parent_must_be_coarser(frequency: Frequency, parent: Frequency) -> None:
    with pytest.raises(ConfigError, match="not coarser"):
        Period.of(frequency, date(2024, 6, 5)).parent(parent)


def test_children() -> None:
    year = Period.parse(YEAR, "2024")
    assert [q.key for q in year.children(QUARTER)] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert len(year.children(MONTH)) == 12
    assert len(year.children(DAY)) == 366
    assert len(Period.parse(YEAR, "2023").children(DAY)) == 365
    quarter = Period.parse(QUARTER, "2024-Q3")
    assert [m.key for m in quarter.children(MONTH)] == ["2024-07", "2024-08", "2024-09"]
    assert len(quarter.children(DAY)) == 92
    assert len(Period.parse(MONTH, "2024-02").children(DAY)) == 29
    week = Period.parse(WEEK, "2020-W53")
    assert [d.key for d in week.children(DAY)][0::6] == ["2020-12-28", "2021-01-03"]


@pytest.mark.parametrize(
    ("frequency", "child", "words"),
    [
        (YEAR, WEEK, "weeks do not nest"),
        (MONTH, WEEK, "weeks do not nest"),
        (MONTH, MONTH, "not finer"),
        (MONTH, QUARTER, "not finer"),
        (DAY, DAY, "not finer"),
        (WEEK, MONTH, "not finer"),
    ],
)
def test_children_rejected(frequency: Frequency, child: Frequency, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        Period.of(frequency, date(2024, 6, 5)).children(child)


nesting = st.sampled_from(
    [
        (YEAR, QUARTER),
        (YEAR, MONTH),
        (YEAR, DAY),
        (QUARTER, MONTH),
        (QUARTER, DAY),
        (MONTH, DAY),
        (WEEK, DAY),
    ]
)


@given(pair=nesting, day=dates)
def test_children_tile_the_parent(pair: tuple[Frequency, Frequency], day: date) -> None:
    coarse, fine = pair
    period = Period.of(coarse, day)
    children = period.children(fine)
    assert children[0].start == period.start and children[-1].end == period.end
    assert all(a.next() == b for a, b in pairwise(children))
    assert all(child.parent(coarse) == period for child in children)


@given(day=dates, coarse=st.sampled_from([MONTH, QUARTER, YEAR]))
def test_week_parent_contains_most_of_the_week(day: date, coarse: Frequency) -> None:
    week = Period.of(WEEK, day)
    parent = week.parent(coarse)
    inside = sum(parent.contains(d.start) for d in week.children(DAY))
    assert inside >= 4


# ------------------------------------------------------------------------------ periods_between


def test_periods_between() -> None:
    months = periods_between(MONTH, date(2024, 1, 15), date(2024, 6, 2))
    assert [p.key for p in months] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]
    weeks = periods_between(WEEK, date(2020, 12, 31), date(2021, 1, 11))
    assert [p.key for p in weeks] == ["2020-W53", "2021-W01", "2021-W02"]
    assert periods_between(QUARTER, date(2024, 5, 1), date(2024, 5, 1)) == (
        Period.parse(QUARTER, "2024-Q2"),
    )
    assert len(periods_between(DAY, date(2024, 2, 1), date(2024, 3, 1))) == 30


def test_periods_between_backwards() -> None:
    with pytest.raises(ConfigError, match="after the last day"):
        periods_between(MONTH, date(2024, 6, 1), date(2024, 1, 1))


@given(frequency=frequencies, first=dates, days=st.integers(0, 800))
def test_periods_between_is_contiguous(frequency: Frequency, first: date, days: int) -> None:
    last = first + timedelta(days=days)
    periods = periods_between(frequency, first, last)
    assert periods[0].contains(first) and periods[-1].contains(last)
    assert all(a.next() == b for a, b in pairwise(periods))
