"""Re-create the bundled sample log ``src/opslens/samples/complaints.csv`` (deterministic).

The seed's complaint-handling process (SPEC.md, 分析): 客服记录 0.2 d, 投诉分级 0.1 d,
技术处理 1.2 d, 反馈客户 0.5 d on average, with regrading (15 %) and repeated technical work
(8 %) as rework, 300 cases over three months, in the shape of a ticket-system export.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "opslens" / "samples" / "complaints.csv"
STEPS = {  # step: (mean days, department, people)
    "客服记录": (0.2, "客服部", ["张敏", "李娜", "王芳"]),
    "投诉分级": (0.1, "客服部", ["赵强", "张敏"]),
    "技术处理": (1.2, "技术部", ["陈工", "刘工", "杨工", "黄工"]),
    "反馈客户": (0.5, "客服部", ["李娜", "王芳"]),
}


def main() -> None:
    rng = random.Random(20240601)
    rows = []
    start = datetime(2024, 4, 1, 8, 30)
    for i in range(300):
        t = start + timedelta(minutes=rng.randint(0, 90 * 24 * 60))
        plan = ["客服记录", "投诉分级"]
        if rng.random() < 0.15:
            plan.append("投诉分级")
        plan.append("技术处理")
        if rng.random() < 0.08:
            plan.append("技术处理")
        plan.append("反馈客户")
        for step in plan:
            mean_days, dept, people = STEPS[step]
            t += timedelta(minutes=rng.randint(5, 60))  # hand-over wait
            work = timedelta(days=rng.lognormvariate(0, 0.5) * mean_days / 1.13)
            end = t + work
            rows.append([f"TS{2024_0000 + i}", step, f"{t:%Y/%m/%d %H:%M}",
                         f"{end:%Y/%m/%d %H:%M}", rng.choice(people), dept])
            t = end
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["工单号", "环节", "开始时间", "结束时间", "处理人", "部门"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
