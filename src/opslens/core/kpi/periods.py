"""Reporting periods of a KPI: days, ISO weeks, months, quarters and years.

A :class:`Period` is a :class:`Frequency` and the first day of the period (a Monday for a week,
the 1st for a month, the 1st of January, April, July or October for a quarter). Its
:attr:`~Period.key` is the stored and displayed form: ``2024-06-05``, ``2024-W23`` (ISO week),
``2024-06``, ``2024-Q3``, ``2024``. :meth:`Period.parse` also reads the spellings found in
spreadsheets (``2024/6``, ``2024年6月``, ``2024年第3季度``, ``2024年第23周``, a date ...).

Months, quarters and years nest (year → quarter → month → day). ISO weeks do not nest in
months: a week belongs to the month, quarter and year that hold its Thursday (the ISO rule, so
``2020-W53`` belongs to December 2020 and ``2025-W01`` to January 2025).

Text that is not a period raises :class:`~opslens.core.errors.InputError` naming the value and
the expected form; an impossible request (a week as a child, a due day out of range, a period
beyond the year 9999) raises :class:`~opslens.core.errors.ConfigError`.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from opslens.core.errors import ConfigError, InputError

__all__ = ["Frequency", "Period", "as_frequency", "periods_between"]


class Frequency(StrEnum):
    """How often a KPI is collected (采集频率)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


# Finer frequencies have a lower rank.
_RANK = {
    Frequency.DAILY: 0,
    Frequency.WEEKLY: 1,
    Frequency.MONTHLY: 2,
    Frequency.QUARTERLY: 3,
    Frequency.YEARLY: 4,
}
# Months per period for the frequencies counted in months.
_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}
# Allowed due days per frequency.
_DUE_DAYS = {
    Frequency.DAILY: (0, 31),
    Frequency.WEEKLY: (0, 7),
    Frequency.MONTHLY: (1, 31),
    Frequency.QUARTERLY: (1, 31),
    Frequency.YEARLY: (1, 31),
}
_EXPECTED = {
    Frequency.DAILY: "a date such as 2024-06-05, 2024/6/5 or 2024年6月5日",
    Frequency.WEEKLY: "an ISO week such as 2024-W23, 2024W23 or 2024年第23周, or a date",
    Frequency.MONTHLY: "a month such as 2024-06, 2024/6, 2024.06, 2024年6月 or 202406, or a date",
    Frequency.QUARTERLY: "a quarter such as 2024-Q3, 2024Q3 or 2024年第3季度, or a date",
    Frequency.YEARLY: "a year such as 2024 or 2024年, or a date",
}

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_PATTERNS = (
    re.compile(rf"(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_WEEK_PATTERNS = (
    re.compile(r"(\d{4}) ?-? ?W(\d{1,2})(?:-?[1-7])?", re.IGNORECASE),
    re.compile(r"(\d{4})年 ?第? ?(\d{1,2}) ?周"),
)
_MONTH_PATTERNS = (
    re.compile(r"(\d{4}) ?[-/.] ?(\d{1,2})"),
    re.compile(r"(\d{4})年 ?(\d{1,2}) ?月份?"),
    re.compile(r"(\d{4})(\d{2})"),
)
_QUARTER_DIGITS = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}
_QUARTER_PATTERNS = (
    re.compile(r"(?P<year>\d{4}) ?[-_/]? ?Q(?P<q>[1-4])", re.IGNORECASE),
    re.compile(r"Q(?P<q>[1-4]) ?[-_/]? ?(?P<year>\d{4})", re.IGNORECASE),
    re.compile(r"(?P<year>\d{4})年 ?第? ?(?P<q>[1-4一二三四]) ?季度?"),
    re.compile(r"(?P<year>\d{4})年 ?Q(?P<q>[1-4])", re.IGNORECASE),
)
_YEAR_PATTERN = re.compile(r"(\d{4}) ?(?:年度?)?")


def as_frequency(frequency: Frequency | str) -> Frequency:
    """``frequency`` as a :class:`Frequency`; ConfigError for an unknown one."""
    try:
        return Frequency(frequency)
    except ValueError:
        known = ", ".join(f.value for f in Frequency)
        raise ConfigError(f"unknown frequency {frequency!r}; expected one of {known}") from None


def _as_date(day: date) -> date:
    if isinstance(day, datetime):
        return day.date()
    if not isinstance(day, date):
        raise ConfigError(f"expected a date, not {day!r}")
    return day


def _month_start(year: int, month_index: int) -> date:
    """The 1st of the month ``month_index`` months (0-based) after January of ``year``."""
    y, m = divmod(year * 12 + month_index, 12)
    if not 1 <= y <= 9999:
        raise ConfigError("a period must lie between the years 1 and 9999")
    return date(y, m + 1, 1)


def _add_days(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        raise ConfigError("a period must lie between the years 1 and 9999") from None


def _clamped(year: int, month: int, day: int) -> date:
    if not 1 <= year <= 9999:
        raise ConfigError("a period must lie between the years 1 and 9999")
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _start_of(frequency: Frequency, day: date) -> date:
    if frequency is Frequency.DAILY:
        return day
    if frequency is Frequency.WEEKLY:
        return _add_days(day, -day.weekday())
    if frequency is Frequency.MONTHLY:
        return day.replace(day=1)
    if frequency is Frequency.QUARTERLY:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One reporting period: a frequency and the period's first day.

    ``start`` must be the first day of a period of that frequency (ConfigError otherwise); use
    :meth:`of` for the period containing any day. Periods of one frequency sort by time.
    """

    frequency: Frequency
    start: date

    def __post_init__(self) -> None:
        frequency = as_frequency(self.frequency)
        start = _as_date(self.start)
        object.__setattr__(self, "frequency", frequency)
        object.__setattr__(self, "start", start)
        if _start_of(frequency, start) != start:
            raise ConfigError(f"{start.isoformat()} is not the first day of a {frequency} period")

    # ---------------------------------------------------------------------------- construction

    @classmethod
    def of(cls, frequency: Frequency, day: date) -> Period:
        """The period of ``frequency`` that contains ``day`` (a date or a datetime)."""
        frequency = as_frequency(frequency)
        return cls(frequency, _start_of(frequency, _as_date(day)))

    @classmethod
    def parse(cls, frequency: Frequency, text: str | date | int) -> Period:
        """The period of ``frequency`` written as ``text``.

        Reads the :attr:`key` of each frequency and the usual spreadsheet spellings:

        * daily: ``2024-06-05``, ``2024/6/5``, ``2024.6.5``, ``2024年6月5日``, ``20240605``
          (a time of day after the date is ignored);
        * weekly: ``2024-W23``, ``2024W23``, ``2024年第23周``;
        * monthly: ``2024-06``, ``2024/6``, ``2024.06``, ``2024年6月``, ``202406``;
        * quarterly: ``2024-Q3``, ``2024Q3``, ``2024 Q3``, ``Q3 2024``, ``2024年第3季度``,
          ``2024年3季度``, ``2024年第三季度``;
        * yearly: ``2024``, ``2024年``, ``2024年度``.

        For every frequency a date (text as for daily, a :class:`date` or a :class:`datetime`)
        gives the period containing it; an int is read as its digits (``202406``). Full-width
        characters are accepted. Anything else raises :class:`InputError` with the value and
        the expected form.
        """
        frequency = as_frequency(frequency)
        if isinstance(text, date):
            return cls.of(frequency, text)
        if isinstance(text, int) and not isinstance(text, bool):
            raw = str(text)
        elif isinstance(text, str):
            raw = text
        else:
            raise InputError(
                f"expected {_EXPECTED[frequency]}, not a {type(text).__name__}", value=text
            )
        cleaned = " ".join(unicodedata.normalize("NFKC", raw).split())
        try:
            period = _parse_text(frequency, cleaned)
        except ValueError:  # an impossible date or week, e.g. 2024-02-30 or 2021-W53
            period = None
        if period is None:
            raise InputError(
                f"cannot read this as a {frequency} period; expected {_EXPECTED[frequency]}",
                value=text,
            )
        return period

    # ------------------------------------------------------------------------------ properties

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        if self.frequency is Frequency.DAILY:
            return self.start
        if self.frequency is Frequency.WEEKLY:
            return _add_days(self.start, 6)
        months = _MONTHS[self.frequency]
        last_month = self.start.month + months - 1
        return date(
            self.start.year, last_month, calendar.monthrange(self.start.year, last_month)[1]
        )

    @property
    def key(self) -> str:
        """The stored form: ``2024-06-05``, ``2024-W23``, ``2024-06``, ``2024-Q3`` or ``2024``."""
        start = self.start
        if self.frequency is Frequency.DAILY:
            return start.isoformat()
        if self.frequency is Frequency.WEEKLY:
            year, week, _ = start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.frequency is Frequency.MONTHLY:
            return f"{start.year:04d}-{start.month:02d}"
        if self.frequency is Frequency.QUARTERLY:
            return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
        return f"{start.year:04d}"

    def __str__(self) -> str:
        return self.key

    # -------------------------------------------------------------------------------- moving

    def shift(self, n: int) -> Period:
        """The period ``n`` periods later (earlier when ``n`` is negative)."""
        if self.frequency is Frequency.DAILY:
            return Period(self.frequency, _add_days(self.start, n))
        if self.frequency is Frequency.WEEKLY:
            return Period(self.frequency, _add_days(self.start, 7 * n))
        months = _MONTHS[self.frequency]
        return Period(
            self.frequency, _month_start(self.start.year, self.start.month - 1 + months * n)
        )

    def next(self) -> Period:
        """The following period."""
        return self.shift(1)

    def previous(self) -> Period:
        """The preceding period."""
        return self.shift(-1)

    def contains(self, day: date) -> bool:
        """Whether ``day`` (a date or a datetime) falls inside the period."""
        day = _as_date(day)
        return self.start <= day <= self.end

    def due_date(self, due_day: int) -> date:
        """The day by which the period's value is due (数据报送截止日).

        Monthly: day ``due_day`` of the following month (营业收入 "before the 5th": 2024-06 is
        due 2024-07-05); quarterly: day ``due_day`` of the month after the quarter; yearly: day
        ``due_day`` of the next January. The day is clamped to the month's length (31 in
        February is the 28th or 29th). Weekly and daily: ``due_day`` days after the last day
        (0 = the last day itself).

        ConfigError unless ``due_day`` is 1..31 (monthly, quarterly, yearly), 0..7 (weekly) or
        0..31 (daily).
        """
        low, high = _DUE_DAYS[self.frequency]
        if isinstance(due_day, bool) or not isinstance(due_day, int) or not low <= due_day <= high:
            raise ConfigError(
                f"the due day of a {self.frequency} KPI must be between {low} and {high}, "
                f"not {due_day!r}"
            )
        if self.frequency in (Frequency.DAILY, Frequency.WEEKLY):
            return _add_days(self.end, due_day)
        following = _month_start(self.end.year, self.end.month)  # the month after the end
        return _clamped(following.year, following.month, due_day)

    # ------------------------------------------------------------------------------- nesting

    def parent(self, frequency: Frequency) -> Period:
        """The coarser period of ``frequency`` that contains this one.

        A week belongs to the month, quarter and year holding its Thursday (ISO rule).
        ConfigError when ``frequency`` is not coarser than this period's.
        """
        frequency = as_frequency(frequency)
        if _RANK[frequency] <= _RANK[self.frequency]:
            raise ConfigError(f"a {frequency} period is not coarser than a {self.frequency} one")
        anchor = self.start
        if self.frequency is Frequency.WEEKLY:
            anchor = _add_days(self.start, 3)
        return Period.of(frequency, anchor)

    def children(self, frequency: Frequency) -> tuple[Period, ...]:
        """The finer periods of ``frequency`` inside this one, in order.

        Years hold quarters, months and days; quarters months and days; months and weeks days.
        ConfigError when ``frequency`` is not finer, or is weekly (weeks do not nest).
        """
        frequency = as_frequency(frequency)
        if _RANK[frequency] >= _RANK[self.frequency]:
            raise ConfigError(f"a {frequency} period is not finer than a {self.frequency} one")
        if frequency is Frequency.WEEKLY:
            raise ConfigError(
                f"weeks do not nest in a {self.frequency} period; choose months or days"
            )
        return periods_between(frequency, self.start, self.end)


def _parse_text(frequency: Frequency, text: str) -> Period | None:
    """The period written as ``text``, None when no pattern matches.

    A ValueError escapes for a matching but impossible date (2024-02-30) or week (2021-W53).
    """
    if frequency is Frequency.WEEKLY:
        for pattern in _WEEK_PATTERNS:
            if match := pattern.fullmatch(text):
                year, week = int(match[1]), int(match[2])
                return Period(frequency, date.fromisocalendar(year, week, 1))
    elif frequency is Frequency.MONTHLY:
        for pattern in _MONTH_PATTERNS:
            if match := pattern.fullmatch(text):
                return Period(frequency, date(int(match[1]), int(match[2]), 1))
    elif frequency is Frequency.QUARTERLY:
        for pattern in _QUARTER_PATTERNS:
            if match := pattern.fullmatch(text):
                quarter = _QUARTER_DIGITS[match["q"]]
                return Period(frequency, date(int(match["year"]), quarter * 3 - 2, 1))
    elif frequency is Frequency.YEARLY and (match := _YEAR_PATTERN.fullmatch(text)):
        return Period(frequency, date(int(match[1]), 1, 1))
    for pattern in _DATE_PATTERNS:
        if match := pattern.fullmatch(text):
            day = date(int(match[1]), int(match[2]), int(match[3]))
            return Period.of(frequency, day)
    return None


def periods_between(frequency: Frequency, first: date, last: date) -> tuple[Period, ...]:
    """Every period of ``frequency`` from the one containing ``first`` to the one containing
    ``last``, both included, in order. ConfigError when ``first`` is after ``last``.
    """
    frequency = as_frequency(frequency)
    first, last = _as_date(first), _as_date(last)
    if first > last:
        raise ConfigError(f"the first day {first} is after the last day {last}")
    period = Period.of(frequency, first)
    final = Period.of(frequency, last)
    periods = [period]
    while period != final:
        period = period.next()
        periods.append(period)
    return tuple(periods)
