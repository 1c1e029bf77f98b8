"""A generated complaint-handling event log for the dataset demo (issue 6).

:func:`generate_complaints` simulates the seed's complaint-handling process (SPEC.md, 分析) as a
Chinese ticket system would export it; :func:`write_complaints` writes it as CSV (UTF-8 with BOM,
``2024-03-01 09:12:00``), XLSX or Parquet. Pure NumPy + pyarrow, vectorised (no per-event Python
loop), deterministic for a given seed: 5,000 cases (~21,000 rows) in a few tens of milliseconds,
1,000,000 cases (~4.2 M rows) in 2–4 s and about 1 GB of memory.

The process, per case (one row per step, in this order)::

    客服记录 → 投诉分级 [→ 投诉分级 again, ~15 %] → 技术处理 [→ 技术处理 again, ~8 %] → 反馈客户

Columns: 工单号 (``TS2403-00017``: arrival year and month, sequence within the month), 环节,
开始时间, 结束时间 (naive local wall time, Asia/Shanghai, to the minute — as a Chinese ERP exports
them; read them with ``timezone="Asia/Shanghai"``), 处理人, 部门, 紧急程度 (紧急 ~20 % / 普通),
渠道 (电话 / 在线 / 邮件), 产品线 (智能门锁 / 扫地机器人 / 净水器). opslens maps the first five
columns itself; the rest stay attributes to filter on.

How the times are made:

* **Arrivals** (= 客服记录's start) fall on working hours (8:30–20:30, peaks mid-morning and
  mid-afternoon), Monday busiest, weekends and mainland public holidays quiet, with a mild upward
  trend (+20 % over the period).
* **The seed's "mean time" per step is the step's elapsed time**: the waiting since the previous
  step ended plus the step's own service time (for 客服记录, the first step, only its service).
  Before the pilot the per-instance means land on the seed's 0.2 / 0.1 / 1.2 / 0.5 days, which is
  also what ``analyze`` reports as an activity's bottleneck ``mean_s``. With the rework that puts
  技术处理 at ~61 % of the total case time (1.2 d of ~2.1 d per case; the seed's own means give
  60 %, its "占流程总耗时80%" is not consistent with them) and makes it the top bottleneck.
* Elapsed times are lognormal around those means (紧急 cases faster: ~1.5 d per case before the
  pilot, against ~2.3 d for 普通); each is split into waiting and service by a Beta-distributed
  fraction (技术处理 is mostly queue before the pilot). 客服记录 takes longer for e-mail
  complaints, 技术处理 longer for 扫地机器人; every such factor averages out to 1.
* 技术部 has one overloaded engineer (黄俊, about a third of the technical work before the pilot,
  and his queue is longer), so the resource view shows something.
* **Pilot**: for cases arriving on or after ``pilot_start`` the system assigns technical work
  automatically — 技术处理's elapsed time halves (1.2 d → ~0.6 d, nearly all of it from the
  queue), 黄俊's share falls, the median case duration drops from ~1.9 d to ~1.2 d and 紧急 cases
  go from ~1.5 d to ~0.8 d on average. Other steps are unchanged.
* **反馈客户's SLA** is 24 h from the end of 技术处理 to the end of 反馈客户 (its elapsed time);
  ~30 % of cases miss it (customer not reached the same day: ~35 % of 普通, ~10 % of 紧急), the
  others are fed back within hours.

The small ``complaints.csv`` beside this module is a different, fixed sample (300 cases, made by
``scripts/make_sample.py``) that the web tests rely on row for row; this generator leaves it alone.
"""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ACTIVITIES",
    "COLUMNS",
    "MEAN_DAYS",
    "SLA_FEEDBACK_HOURS",
    "TIMEZONE",
    "generate_complaints",
    "write_complaints",
]

TIMEZONE = "Asia/Shanghai"
ACTIVITIES = ("客服记录", "投诉分级", "技术处理", "反馈客户")
COLUMNS = ("工单号", "环节", "开始时间", "结束时间", "处理人", "部门", "紧急程度", "渠道", "产品线")
SLA_FEEDBACK_HOURS = 24.0

#: Mean elapsed days per step (waiting + service) for (普通, 紧急) cases, before and in the pilot.
#: With 20 % 紧急 the overall means are the seed's 0.2 / 0.1 / 1.2 / 0.5 d (pilot: 技术处理 0.58 d).
MEAN_DAYS: dict[str, dict[str, tuple[float, float]]] = {
    "before": {
        "客服记录": (0.225, 0.10),
        "投诉分级": (0.1125, 0.05),
        "技术处理": (1.25, 1.00),
        "反馈客户": (0.5625, 0.25),
    },
    "pilot": {
        "客服记录": (0.225, 0.10),
        "投诉分级": (0.1125, 0.05),
        "技术处理": (0.625, 0.38),
        "反馈客户": (0.5625, 0.25),
    },
}
URGENT_SHARE = 0.20
REGRADE_SHARE = 0.15  # 投诉分级 done twice
REDO_SHARE = 0.08  # 技术处理 done twice
SIGMA = {"客服记录": 0.6, "投诉分级": 0.6, "技术处理": 0.7}  # lognormal sigma of elapsed time
# 反馈客户: share of cases fed back after the SLA (普通, 紧急), and the mean hours beyond 24 h then
LATE_SHARE = (0.35, 0.10)
LATE_EXTRA_HOURS = 8.0
# mean waiting fraction of the elapsed time (the rest is service), before / in the pilot
WAIT_FRACTION = {
    "before": {"客服记录": 0.0, "投诉分级": 0.4, "技术处理": 0.55, "反馈客户": 0.35},
    "pilot": {"客服记录": 0.0, "投诉分级": 0.4, "技术处理": 0.15, "反馈客户": 0.35},
}

CHANNELS = ("电话", "在线", "邮件")
CHANNEL_P = (0.50, 0.35, 0.15)
CHANNEL_RECORD_FACTOR = (0.8, 1.0, 1.8)  # 客服记录 elapsed, before normalising to mean 1
PRODUCTS = ("智能门锁", "扫地机器人", "净水器")
PRODUCT_P = (0.45, 0.35, 0.20)
PRODUCT_TECH_FACTOR = (0.9, 1.2, 0.9)  # 技术处理 elapsed, before normalising to mean 1
URGENCY = ("普通", "紧急")

DEPARTMENTS = ("客服部", "质检部", "技术部")
AGENTS = ("张敏", "李娜", "王芳", "刘洋", "陈静", "杨丽")  # 客服部: 客服记录, 反馈客户
AGENT_P = (0.22, 0.20, 0.18, 0.16, 0.13, 0.11)
SAME_AGENT_FEEDBACK = 0.65  # 反馈客户 by the agent who recorded the complaint
GRADERS = ("赵强", "孙悦")  # 客服部 team leads: 投诉分级
INSPECTORS = ("吴磊", "郑洁")  # 质检部: 投诉分级 (a quarter of first gradings, every regrading)
FIRST_GRADE_BY_QA = 0.25
ENGINEERS = ("黄俊", "陈伟", "刘建国", "周涛", "徐明", "马晓东")  # 技术部: 技术处理
ENGINEER_P = {"before": (0.34, 0.14, 0.14, 0.13, 0.13, 0.12), "pilot": (0.22,) + (0.156,) * 5}
ENGINEER_FACTOR = {"before": (1.5, 1, 1, 1, 1, 1), "pilot": (1, 1, 1, 1, 1, 1)}
PEOPLE = AGENTS + GRADERS + INSPECTORS + ENGINEERS

WEEKDAY_WEIGHT = (1.30, 1.15, 1.05, 1.0, 0.95, 0.45, 0.35)  # Monday .. Sunday
HOLIDAY_WEIGHT = 0.35
TREND = 0.20  # arrivals grow by this much from the first to the last day
# mainland China public holidays (days off; the make-up working days are ignored)
HOLIDAYS = frozenset(
    [date(2024, 1, 1), date(2025, 1, 1)]
    + [date(2024, 2, d) for d in range(10, 18)]
    + [date(2024, 4, d) for d in (4, 5, 6)]
    + [date(2024, 5, d) for d in range(1, 6)]
    + [date(2024, 6, d) for d in (8, 9, 10)]
    + [date(2024, 9, d) for d in (15, 16, 17)]
    + [date(2024, 10, d) for d in range(1, 8)]
    + [date(2025, 1, d) for d in range(28, 32)]
    + [date(2025, 2, d) for d in range(1, 5)]
    + [date(2025, 4, d) for d in (4, 5, 6)]
    + [date(2025, 5, d) for d in range(1, 6)]
    + [date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2)]
    + [date(2025, 10, d) for d in range(1, 9)]
)

# the six slots of a case; slot 2 and 4 are the rework repeats, present only for some cases
_SLOT_STEP = np.array([0, 1, 1, 2, 2, 3])
_DAY = 86400.0


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _arrivals(rng: np.random.Generator, n: int, start: date, months: int) -> np.ndarray:
    """Sorted arrival times (seconds since ``start`` 00:00, local wall time)."""
    n_days = (_add_months(start, months) - start).days
    if n_days < 1:
        raise ValueError("months must be at least 1")
    days = np.arange(n_days)
    first = np.datetime64(start, "D")
    weekday = (days + start.weekday()) % 7
    weight = np.asarray(WEEKDAY_WEIGHT)[weekday] * (1.0 + TREND * days / max(n_days - 1, 1))
    dates = first + days
    holiday = np.isin(dates, np.array(sorted(HOLIDAYS), dtype="datetime64[D]"))
    weight[holiday & (weekday < 5)] *= (
        HOLIDAY_WEIGHT / np.asarray(WEEKDAY_WEIGHT)[weekday[holiday & (weekday < 5)]]
    )
    day = rng.choice(n_days, size=n, p=weight / weight.sum())
    morning = rng.random(n) < 0.55
    hour = np.where(morning, rng.normal(10.5, 1.1, n), rng.normal(15.0, 1.8, n))
    hour = np.clip(hour, 8.5, 20.5)
    return np.sort(day * _DAY + hour * 3600.0)


def _normalised(factor: tuple[float, ...], p: tuple[float, ...]) -> np.ndarray:
    f = np.asarray(factor, dtype=float)
    return f / float(np.dot(f, np.asarray(p) / np.sum(p)))


def _lognormal(rng: np.random.Generator, sigma: float, size: int | tuple[int, ...]) -> np.ndarray:
    """Lognormal noise with mean 1."""
    return np.exp(sigma * rng.standard_normal(size) - sigma * sigma / 2.0)


def _strings(codes: np.ndarray, labels: tuple[str, ...]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(labels, pa.string())
    ).dictionary_decode()


def _case_ids(arrival_month: np.ndarray) -> pa.Array:
    """``TS`` + yymm + ``-`` + the sequence within the month (cases sorted by arrival)."""
    n = arrival_month.size
    new_month = np.ones(n, dtype=bool)
    new_month[1:] = arrival_month[1:] != arrival_month[:-1]
    firsts = np.flatnonzero(new_month)
    seq = np.arange(n) - np.repeat(firsts, np.diff(np.append(firsts, n))) + 1
    width = max(5, len(str(int(seq.max())))) if n else 5
    year = arrival_month // 12 + 1970
    yymm = (year % 100) * 100 + arrival_month % 12 + 1
    return pc.binary_join_element_wise(
        pa.scalar("TS"),
        pc.utf8_lpad(pc.cast(pa.array(yymm), pa.string()), 4, "0"),
        pa.scalar("-"),
        pc.utf8_lpad(pc.cast(pa.array(seq), pa.string()), width, "0"),
        "",
    )


def generate_complaints(
    *,
    cases: int = 5000,
    start: date = date(2024, 3, 1),
    months: int = 6,
    pilot_start: date | None = date(2024, 7, 1),
    seed: int = 7,
) -> pa.Table:
    """The complaint-handling event log: ``cases`` cases arriving over ``months`` months from
    ``start``; those arriving on or after ``pilot_start`` (``None``: no pilot) run the pilot.

    One row per step, cases in arrival order, steps in order; columns :data:`COLUMNS`, times as
    naive ``timestamp[s]`` in Asia/Shanghai wall time. The same arguments give the same table.
    """
    if cases < 1:
        raise ValueError("cases must be at least 1")
    rng = np.random.default_rng(seed)
    n = cases

    arrival = _arrivals(rng, n, start, months)
    pilot_from = (pilot_start - start).days * _DAY if pilot_start is not None else float("inf")
    pilot = arrival >= pilot_from
    urgent = rng.random(n) < URGENT_SHARE
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)
    product = rng.choice(len(PRODUCTS), size=n, p=PRODUCT_P)
    present = np.ones((n, 6), dtype=bool)
    present[:, 2] = rng.random(n) < REGRADE_SHARE
    present[:, 4] = rng.random(n) < REDO_SHARE

    # resources per slot
    agent = rng.choice(len(AGENTS), size=n, p=AGENT_P)
    feedback_agent = np.where(
        rng.random(n) < SAME_AGENT_FEEDBACK, agent, rng.choice(len(AGENTS), size=n, p=AGENT_P)
    )
    base_grader = len(AGENTS)
    base_qa = base_grader + len(GRADERS)
    base_eng = base_qa + len(INSPECTORS)
    first_by_qa = rng.random(n) < FIRST_GRADE_BY_QA
    first_grader = np.where(
        first_by_qa,
        base_qa + rng.integers(0, len(INSPECTORS), n),
        base_grader + rng.integers(0, len(GRADERS), n),
    )
    regrader = base_qa + rng.integers(0, len(INSPECTORS), n)
    engineer = np.empty((n, 2), dtype=np.int64)
    eng_factor = np.empty((n, 2))
    for period, mask in (("before", ~pilot), ("pilot", pilot)):
        k = int(mask.sum())
        picks = rng.choice(len(ENGINEERS), size=(k, 2), p=ENGINEER_P[period])
        engineer[mask] = picks
        eng_factor[mask] = _normalised(ENGINEER_FACTOR[period], ENGINEER_P[period])[picks]
    person = np.stack(
        [
            agent,
            first_grader,
            regrader,
            base_eng + engineer[:, 0],
            base_eng + engineer[:, 1],
            feedback_agent,
        ],
        axis=1,
    )
    dept_of_person = np.array(
        [0] * len(AGENTS) + [0] * len(GRADERS) + [1] * len(INSPECTORS) + [2] * len(ENGINEERS)
    )

    # elapsed seconds per (case, slot): the period's mean for the case's urgency, times factors
    elapsed = np.empty((n, 6))
    for period, mask in (("before", ~pilot), ("pilot", pilot)):
        means = np.array([MEAN_DAYS[period][a] for a in ACTIVITIES]) * _DAY  # (step, urgency)
        elapsed[mask] = means[_SLOT_STEP][:, urgent[mask].astype(np.intp)].T
    elapsed[:, 0] *= _normalised(CHANNEL_RECORD_FACTOR, CHANNEL_P)[channel]
    elapsed[:, 3:5] *= _normalised(PRODUCT_TECH_FACTOR, PRODUCT_P)[product][:, None]
    elapsed[:, 3:5] *= eng_factor
    elapsed[:, 0] *= _lognormal(rng, SIGMA["客服记录"], n)
    elapsed[:, 1:3] *= _lognormal(rng, SIGMA["投诉分级"], (n, 2))
    elapsed[:, 3:5] *= _lognormal(rng, SIGMA["技术处理"], (n, 2))
    # 反馈客户: on time within hours, or after the 24 h SLA (customer not reached that day)
    sla = SLA_FEEDBACK_HOURS * 3600.0
    late_p = np.where(urgent, LATE_SHARE[1], LATE_SHARE[0])
    late_mean = sla + LATE_EXTRA_HOURS * 3600.0
    on_time_mean = (elapsed[:, 5] - late_p * late_mean) / (1.0 - late_p)
    on_time = np.minimum(on_time_mean * _lognormal(rng, 0.7, n), sla - 600.0)
    late_time = sla + LATE_EXTRA_HOURS * 3600.0 * _lognormal(rng, 0.8, n)
    elapsed[:, 5] = np.where(rng.random(n) < late_p, late_time, on_time)
    del on_time_mean, on_time, late_time
    elapsed[~present] = 0.0

    # the waiting part of each step (Beta-distributed fraction of its elapsed time)
    wait = np.zeros((n, 6))
    for period, mask in (("before", ~pilot), ("pilot", pilot)):
        k = int(mask.sum())
        for slot in range(1, 6):
            m = WAIT_FRACTION[period][ACTIVITIES[_SLOT_STEP[slot]]]
            if m > 0 and k:
                wait[mask, slot] = rng.beta(m * 6.0, (1.0 - m) * 6.0, k)
    wait *= elapsed

    end = arrival[:, None] + np.cumsum(elapsed, axis=1)
    begin = end - elapsed + wait
    del elapsed, wait
    # to the minute, as the exports show them (flooring keeps every start <= its end)
    begin_min = np.floor(begin / 60.0).astype(np.int64)
    end_min = np.floor(end / 60.0).astype(np.int64)
    del begin, end

    flat = present.ravel()
    case_of = np.repeat(np.arange(n), 6)[flat]
    step = np.tile(_SLOT_STEP, n)[flat]
    who = person.ravel()[flat]
    origin = np.datetime64(start, "m")
    start_ts = origin + begin_min.ravel()[flat].astype("timedelta64[m]")
    end_ts = origin + end_min.ravel()[flat].astype("timedelta64[m]")

    arrival_month = (
        (origin + (arrival // 60).astype("timedelta64[m]")).astype("datetime64[M]").astype(np.int64)
    )
    ids = _case_ids(arrival_month).take(pa.array(case_of))
    ts = pa.timestamp("s")
    columns: list[pa.Array] = [
        ids,
        _strings(step, ACTIVITIES),
        pa.array(start_ts.astype("datetime64[s]"), ts),
        pa.array(end_ts.astype("datetime64[s]"), ts),
        _strings(who, PEOPLE),
        _strings(dept_of_person[who], DEPARTMENTS),
        _strings(urgent[case_of].astype(np.int64), URGENCY),
        _strings(channel[case_of], CHANNELS),
        _strings(product[case_of], PRODUCTS),
    ]
    return pa.Table.from_arrays(columns, names=list(COLUMNS))


def _write_csv(table: pa.Table, path: Path) -> None:
    import pyarrow.csv as pacsv

    # timestamp[s] columns come out as 2024-03-01 09:12:00; no value holds a comma, quote or
    # line break, so nothing needs quoting (as Excel writes)
    options = pacsv.WriteOptions(
        include_header=False, quoting_style="none", eol="\r\n", batch_size=1 << 16
    )
    with path.open("wb") as fh:
        fh.write(("\ufeff" + ",".join(table.column_names) + "\r\n").encode("utf-8"))
        pacsv.write_csv(table, fh, options)


def _write_xlsx(table: pa.Table, path: Path) -> None:
    from openpyxl import Workbook

    if table.num_rows >= 1_048_576:
        raise ValueError(f"{table.num_rows:,} rows do not fit an Excel sheet; write CSV or Parquet")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("投诉工单")
    ws.append(table.column_names)
    cols = [table[name].to_pylist() for name in table.column_names]
    for row in zip(*cols, strict=True):
        ws.append(row)
    wb.save(path)


def write_complaints(path: str | Path, **kwargs: Any) -> Path:
    """Generate (``kwargs`` as for :func:`generate_complaints`) and write by suffix: ``.csv``
    (UTF-8 with BOM, CRLF, ``2024-03-01 09:12:00``), ``.xlsx`` or ``.parquet``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".parquet"):
        raise ValueError(f"unknown format {path.suffix!r} (.csv, .xlsx or .parquet)")
    table = generate_complaints(**kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        _write_csv(table, path)
    elif suffix == ".xlsx":
        _write_xlsx(table, path)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, path, compression="zstd")
    return path
