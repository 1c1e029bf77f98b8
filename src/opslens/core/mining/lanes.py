"""Swimlanes of a discovered process: who (or which department) does each activity.

:func:`activity_lanes` gives, for one column of the events (``resource`` or any attribute, such
as a Chinese ``部门`` department column), each activity's *dominant* value — the value most of its
events carry — with that value's share of the activity's events and the next few values. Events
whose value is missing or blank count as :data:`NO_VALUE` ("—"). One DuckDB ``GROUP BY`` over the
log's relation (the filtered one, for a :func:`~opslens.core.mining.restrict_log` view).

:func:`lane_candidates` lists the columns that make sense as lanes: ``resource`` when it holds any
value, then the text attributes that have between 2 and 30 distinct values, put each activity
mostly (≥ 60 % of its events) in one value, and spread the activities over at least two lanes
holding a real share of the events (a column such as 紧急程度 with 80 % 普通 everywhere is a case
attribute, not a lane), and are not numbers stored as text (costs).

The results are frozen dataclasses with ``to_dict``/``from_dict`` (plain JSON), so that a web
page can cache them beside the analysis.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from opslens.core.errors import ConfigError, MissingColumnError
from opslens.core.sql import quote_ident as _q

if TYPE_CHECKING:
    from opslens.core.eventlog import EventLog

__all__ = [
    "LANES_SCHEMA",
    "NO_VALUE",
    "ActivityLane",
    "ActivityLanes",
    "LaneShare",
    "activity_lanes",
    "lane_candidates",
]

LANES_SCHEMA: Final = "opslens.lanes/1"
#: The lane of events without a value: the dash of the designed maps' BPMN lanes
#: (``opslens.core.processmap.bpmn.NO_LANE``; not imported, so that the report does not load the
#: designed-map package).
NO_VALUE: Final = "—"
#: How many values :attr:`ActivityLane.top` lists by default.
TOP_VALUES: Final = 3
#: :func:`lane_candidates`: a lane column has between 2 and this many distinct values …
MAX_LANE_VALUES: Final = 30
#: … each activity (of at least ``MIN_JUDGED_EVENTS`` events) has at least this share of its
#: events in one value …
MIN_DOMINANT_SHARE: Final = 0.6
MIN_JUDGED_EVENTS: Final = 10
#: … and the lanes other than the largest hold at least this share of the events.
MIN_OTHER_LANES_SHARE: Final = 0.05


@dataclass(frozen=True, slots=True)
class LaneShare:
    """One value of the lane column among an activity's events."""

    value: str
    events: int
    share: float

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "events": self.events, "share": self.share}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LaneShare:
        return cls(str(data["value"]), int(data["events"]), float(data["share"]))


@dataclass(frozen=True, slots=True)
class ActivityLane:
    """An activity's lane: its dominant value, that value's share, and its top values.

    ``top`` is ordered by events descending, ties by value; its first element is the lane.
    """

    activity: str
    events: int
    top: tuple[LaneShare, ...]

    @property
    def lane(self) -> str:
        return self.top[0].value if self.top else NO_VALUE

    @property
    def share(self) -> float:
        return self.top[0].share if self.top else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "lane": self.lane,
            "share": self.share,
            "events": self.events,
            "top": [t.to_dict() for t in self.top],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActivityLane:
        return cls(
            str(data["activity"]),
            int(data["events"]),
            tuple(LaneShare.from_dict(t) for t in data["top"]),
        )


@dataclass(frozen=True, slots=True)
class ActivityLanes:
    """The lane of every activity for one column of the log.

    ``activities`` is ordered by activity name; ``values`` lists the lanes (the distinct dominant
    values) by the events of their activities, descending, ties by value. Look an activity up
    with :meth:`get` or ``lanes[activity]``.
    """

    column: str
    activities: tuple[ActivityLane, ...]
    _by_name: dict[str, ActivityLane] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {a.activity: a for a in self.activities})

    @property
    def values(self) -> tuple[str, ...]:
        weight: dict[str, int] = defaultdict(int)
        for a in self.activities:
            weight[a.lane] += a.events
        return tuple(sorted(weight, key=lambda v: (-weight[v], v)))

    def get(self, activity: str) -> ActivityLane | None:
        return self._by_name.get(activity)

    def __getitem__(self, activity: str) -> ActivityLane:
        return self._by_name[activity]

    def __contains__(self, activity: object) -> bool:
        return activity in self._by_name

    def lane_of(self, activity: str) -> str:
        """The activity's lane value (:data:`NO_VALUE` for an activity this column never saw)."""
        found = self._by_name.get(activity)
        return found.lane if found is not None else NO_VALUE

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": LANES_SCHEMA,
            "column": self.column,
            "activities": [a.to_dict() for a in self.activities],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActivityLanes:
        schema = data.get("schema", LANES_SCHEMA)
        if schema != LANES_SCHEMA:
            raise ConfigError(f"unknown lanes schema {schema!r} (expected {LANES_SCHEMA!r})")
        return cls(
            str(data["column"]),
            tuple(ActivityLane.from_dict(a) for a in data["activities"]),
        )


def _clean_sql(column: str) -> str:
    """The column as text, NULL where missing or blank."""
    v = f"CAST({_q(column)} AS VARCHAR)"
    # only a value that starts with white space can be blank: the common case costs one test
    return (
        f"CASE WHEN {v} = '' THEN NULL "
        f"WHEN left({v}, 1) IN (' ', '\t', '\r', '\n') AND trim({v}, ' \t\r\n') = '' "
        f"THEN NULL ELSE {v} END"
    )


def _lane_column(log: EventLog, column: str) -> str:
    """The events' column for ``column``: ``resource``, an attribute, or a source column name
    that maps to the resource (``处理人``, ``org:resource``)."""
    if column == "resource" or column in log.attributes:
        return column
    canonical = log.canonical_column(column)
    if canonical == "resource":
        return canonical
    available = ", ".join(["resource", *log.attributes])
    raise MissingColumnError(
        f"no column {column!r} to draw lanes by (columns: {available})", file=log.source
    )


def _lanes_from_counts(
    column: str, counts: Iterable[tuple[str, str | None, int]], top: int
) -> ActivityLanes:
    per_activity: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for activity, value, n in counts:
        per_activity[str(activity)].append((NO_VALUE if value is None else str(value), int(n)))
    lanes = []
    for activity in sorted(per_activity):
        merged: dict[str, int] = defaultdict(int)
        for value, n in per_activity[activity]:
            merged[value] += n
        total = sum(merged.values())
        ordered = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[: max(1, top)]
        lanes.append(
            ActivityLane(
                activity,
                total,
                tuple(LaneShare(v, n, n / total if total else 0.0) for v, n in ordered),
            )
        )
    return ActivityLanes(column, tuple(lanes))


def activity_lanes(log: EventLog, column: str, *, top: int = TOP_VALUES) -> ActivityLanes:
    """Each activity's dominant value of ``column`` (``resource`` or an attribute column).

    ``column`` may also be the source name of the resource column (``处理人``). Counts activity
    instances (the rows of the canonical events) of the log's current relation. Raises
    :class:`~opslens.core.errors.MissingColumnError` for a column the log does not have.
    """
    name = _lane_column(log, column)
    rows = log.con.execute(
        f"SELECT activity, {_clean_sql(name)} AS v, count(*) FROM {log.relation} GROUP BY ALL"
    ).fetchall()
    return _lanes_from_counts(name, rows, top)


def _text_attributes(log: EventLog) -> list[str]:
    described = log.con.execute(f"DESCRIBE SELECT * FROM {log.relation}").fetchall()
    types = {str(row[0]): str(row[1]).upper() for row in described}
    return [a for a in log.attributes if types.get(a, "") == "VARCHAR"]


def _makes_lanes(lanes: ActivityLanes, max_values: int, min_share: float) -> bool:
    values = {t.value for a in lanes.activities for t in a.top} - {NO_VALUE}
    if not 2 <= len(values) <= max_values:
        return False
    # activities with a handful of events say little about a column: judge the others
    judged = [a for a in lanes.activities if a.events >= MIN_JUDGED_EVENTS] or lanes.activities
    if any(a.share < min_share for a in judged):
        return False
    if len({a.lane for a in lanes.activities} - {NO_VALUE}) < 2:
        return False
    weight: dict[str, int] = defaultdict(int)
    for a in lanes.activities:
        weight[a.lane] += a.events
    total = sum(weight.values())
    return total - max(weight.values()) >= MIN_OTHER_LANES_SHARE * total


#: Events read by :func:`lane_candidates` from a larger log (a uniform sample): enough to tell
#: a department column from a case attribute, 5 % of the cost on a 5 M-event log.
CANDIDATE_SAMPLE = 250_000


def lane_candidates(
    log: EventLog,
    *,
    max_values: int = MAX_LANE_VALUES,
    min_share: float = MIN_DOMINANT_SHARE,
    sample: int | None = CANDIDATE_SAMPLE,
) -> list[str]:
    """The columns that make sense as swimlanes, ``resource`` first, then attributes by name.

    ``resource`` when any event has one; a text attribute when it has between 2 and
    ``max_values`` distinct values, not all of them numbers, every activity has at least
    ``min_share`` of its events in one value (a missing value counting as :data:`NO_VALUE`; only
    activities of at least 10 events are judged when there are such), the activities fall in at
    least two lanes other than :data:`NO_VALUE`, and the lanes other than the largest hold at least
    5 % of the events (a case attribute that is 普通 for almost every event is no lane).

    Two scans of the log: approximate distinct counts of every column, then one ``GROUP BY
    GROUPING SETS`` over the columns with few values. A log of more than ``sample`` events is
    judged on a uniform sample of that many (``None``: every event).
    """
    if sample is not None and log.activity_instances > sample:
        table = f"__lane_sample_{next(_samples)}"
        percent = 100.0 * sample / log.activity_instances
        # system sampling takes whole vectors of rows at random: it skips the rest unread
        log.con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT * FROM {log.relation} "
            f"USING SAMPLE {percent:.4f} PERCENT (system, 7)"
        )
        try:
            return _candidates(log, table, max_values, min_share)
        finally:
            log.con.execute(f"DROP TABLE IF EXISTS {table}")
    return _candidates(log, log.relation, max_values, min_share)


_samples = itertools.count(1)


def _candidates(log: EventLog, rel: str, max_values: int, min_share: float) -> list[str]:
    attributes = _text_attributes(log)
    per_attribute = "".join(
        f", approx_count_distinct({_clean_sql(a)}), "
        f"count(*) FILTER (WHERE TRY_CAST({_clean_sql(a)} AS DOUBLE) IS NULL "
        f"AND {_clean_sql(a)} IS NOT NULL)"
        for a in attributes
    )
    row = log.con.execute(f"SELECT count(resource){per_attribute} FROM {rel}").fetchone()
    assert row is not None
    out = ["resource"] if int(row[0]) > 0 else []
    # HyperLogLog is close for small counts (the exact count is checked on the groups below);
    # a column of numbers stored as text (costs, scores) is not a lane.
    few = [
        a
        for i, a in enumerate(attributes)
        if 2 <= int(row[1 + 2 * i]) <= 2 * max_values and int(row[2 + 2 * i]) > 0
    ]
    if not few:
        return out
    aliases = [f"v{i}" for i in range(len(few))]
    inner = ", ".join(f"{_clean_sql(a)} AS {v}" for a, v in zip(few, aliases, strict=True))
    sets = ", ".join(f"(activity, {v})" for v in aliases)
    flags = ", ".join(f"GROUPING({v})" for v in aliases)
    rows = log.con.execute(
        f"SELECT activity, {', '.join(aliases)}, {flags}, count(*) "
        f"FROM (SELECT activity, {inner} FROM {rel}) GROUP BY GROUPING SETS ({sets})"
    ).fetchall()
    k = len(few)
    per_column: list[list[tuple[str, str | None, int]]] = [[] for _ in few]
    for r in rows:
        values: Sequence[Any] = r[1 : 1 + k]
        grouped = r[1 + k : 1 + 2 * k]
        for i in range(k):
            if grouped[i] == 0:  # GROUPING() is 0 for the columns of the row's grouping set
                per_column[i].append((r[0], values[i], int(r[-1])))
                break
    for name, counts in sorted(zip(few, per_column, strict=True), key=lambda p: p[0]):
        # every value, not only the top few: the distinct count must be exact
        lanes = _lanes_from_counts(name, counts, top=max_values + 2)
        if _makes_lanes(lanes, max_values, min_share):
            out.append(name)
    return out
