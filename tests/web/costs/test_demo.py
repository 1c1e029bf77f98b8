"""The demo company's cost months (``opslens demo``, today 2024-09-10): June 2024 as the seed's
table, June and July closed, August open and held up by 销售人员绩效, A材料采购 followed from
+30 % in June to +5 % in August. One load for the whole story: the demo takes seconds to build.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model

from opslens.web.common.demo import load_demo
from opslens.web.costs.models import CostLine, CostMonth
from opslens.web.org.models import CostAccess, Department
from tests.web.conftest import client_for
from tests.web.costs.helpers import (
    ACTUAL,
    BUDGET,
    CATEGORY,
    CAUSE,
    DEPARTMENT,
    MEASURE,
    RATIO,
    SUB_ITEM,
    VARIANCE,
    cost_rows,
    table,
    u,
    xlsx_lines,
)

# the seed's T3 table: 成本类别 子项 预算 实际 差异额 差异率 原因分析 改进措施 责任部门
SEED_TABLE = [
    (
        "原材料成本",
        "A材料采购",
        "500,000.00",
        "650,000.00",
        "+150,000",
        "+30%",
        "市场价格上涨20%,采购量增加10%",
        "引入2家替代供应商,签订锁价协议",
        "采购部",
    ),
    (
        "人工成本",
        "销售人员绩效",
        "200,000.00",
        "230,000.00",
        "+30,000",
        "+15%",
        "销售额超额20%,绩效提成增加",
        "无(客观业绩增长)",
        "销售部",
    ),
    (
        "办公费用",
        "招待费",
        "30,000.00",
        "45,000.00",
        "+15,000",
        "+50%",
        "新客户开发招待费超标",
        "制定《招待费分级审批制度》",
        "行政部",
    ),
    (
        "制造费用",
        "设备水电费",
        "80,000.00",
        "92,000.00",
        "+12,000",
        "+15%",
        "夏季空调使用增加,设备满负荷运转",
        "调整生产班次,避开峰电时段",
        "生产部",
    ),
]
COLUMNS = (CATEGORY, SUB_ITEM, BUDGET, ACTUAL, VARIANCE, RATIO, CAUSE, MEASURE, DEPARTMENT)


def _login(username: str) -> Any:
    return client_for(get_user_model().objects.get(username=username))


def test_the_demo_cost_months(db: None, settings: Any) -> None:
    settings.OPSLENS_TODAY = "2024-09-10"
    assert load_demo() is True

    assert Department.objects.get(name="财务部").cost_access == CostAccess.FINANCE
    assert Department.objects.get(name="总经办").cost_access == CostAccess.MANAGEMENT
    assert Department.objects.get(name="采购部").cost_access == CostAccess.OWN
    statuses = dict(CostMonth.objects.values_list("month", "status"))
    assert statuses == {
        date(2024, 6, 1): "closed",
        date(2024, 7, 1): "closed",
        date(2024, 8, 1): "open",
    }

    # June as the general manager (management: reads every line) sees it
    gm = _login("viewer")
    rows = cost_rows(gm.get(u("month", "2024-06")).content)
    for expected in SEED_TABLE:
        row = rows[expected[1]]
        shown = tuple(row.cells[i] for i in COLUMNS)
        # the cause cell carries its kind as a tag, the measure cell its status
        assert shown[:6] == expected[:6] and shown[8] == expected[8], expected[1]
        assert shown[6].startswith(expected[6]) and shown[7].startswith(expected[7])
        assert "flagged" in row.classes
    june_lines = CostLine.objects.filter(month__month=date(2024, 6, 1))
    seed = june_lines.filter(sub_item__in=[row[1] for row in SEED_TABLE])
    assert seed.count() == 4
    assert all(line.cause_kind for line in seed)
    # any line beyond the seed's four is within its threshold (nothing else to explain)
    assert not [line for line in june_lines.exclude(pk__in=seed) if line.flagged]

    # August: open, and only 销售人员绩效 (+18 %, no cause yet) keeps it from closing
    finance = _login("caiwu")
    page = finance.get(u("month", "2024-08")).content.decode()
    start = page.index('data-testid="blockers"')
    blockers = page[start : page.index("</ul>", start)]
    assert blockers.count("<li>") == 1
    assert "销售人员绩效" in blockers and "beyond its threshold without a cause" in blockers
    response = finance.post(u("close", "2024-08"), follow=True)
    assert "cannot be closed yet: 1 line needs attention" in response.content.decode()
    assert CostMonth.objects.get(month=date(2024, 8, 1)).is_open

    # A材料采购 month by month, on the August line's page (采购部 reads its own line)
    august = CostLine.objects.get(month__month=date(2024, 8, 1), sub_item="A材料采购")
    purchasing = _login("caigou")
    html = purchasing.get(u("line", august.pk)).content.decode()
    trend = [(row.cells[0], row.cells[-1]) for row in table(html, "trend")[1:]]
    assert trend == [("2024-06", "+30%"), ("2024-07", "+18%"), ("2024-08", "+5%")]
    # and only its own lines
    assert set(cost_rows(purchasing.get(u("month", "2024-06")).content)) == {"A材料采购"}
    sales_line = CostLine.objects.get(month__month=date(2024, 8, 1), sub_item="销售人员绩效")
    assert purchasing.get(u("line", sales_line.pk)).status_code == 404

    admin = _login("demo")
    assert admin.get(u("overview")).status_code == 200
    for key in ("2024-06", "2024-07", "2024-08"):
        assert admin.get(u("month", key)).status_code == 200
        assert len(xlsx_lines(admin.get(u("export", key)).content)) == june_lines.count()
