"""The month as an Excel workbook in the seed's layout, with 差异额 and 差异率 computed."""

from __future__ import annotations

import io
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.web.conftest import client_for
from tests.web.costs.conftest import add_line
from tests.web.costs.helpers import HEADER_ROW, REPORT_HEADER, u, xlsx_lines, xlsx_rows
from tests.web.helpers import XLSX_TYPE


def _export(world: SimpleNamespace, who: str = "cfo") -> bytes:
    response = client_for(world.users[who]).get(u("export", "2024-06"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    name = quote("月度成本分析表-2024-06.xlsx")
    assert response["Content-Disposition"] == f"attachment; filename*=UTF-8''{name}"
    return response.content


def test_the_export_has_the_seed_header_and_computed_variances(world: SimpleNamespace) -> None:
    content = _export(world)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.cell(1, 1).value == "月度成本分析表"
    assert (sheet.cell(2, 1).value, sheet.cell(2, 2).value) == ("月份", "2024-06")
    header = xlsx_rows(content)[0]
    assert header[:11] == REPORT_HEADER
    assert header[11:] == ["原因类型", "措施状态"]
    lines = xlsx_lines(content)
    assert list(lines) == ["A材料采购", "销售人员绩效", "设备水电费", "招待费"]
    material = lines["A材料采购"]
    assert material[:11] == [
        "原材料成本",
        "A材料采购",
        500_000,
        650_000,
        150_000,
        pytest.approx(0.3),
        "市场价格上涨20%,采购量增加10%",
        "引入2家替代供应商,签订锁价协议",
        "采购部",
        "王强",
        datetime(2024, 7, 31),
    ]
    assert material[11] == "客观"
    ratios = {sub_item: row[5] for sub_item, row in lines.items()}
    assert ratios == {
        "A材料采购": pytest.approx(0.3),
        "销售人员绩效": pytest.approx(0.15),
        "设备水电费": pytest.approx(0.15),
        "招待费": pytest.approx(0.5),
    }
    assert [row[4] for row in lines.values()] == [150_000, 30_000, 12_000, 15_000]
    total = xlsx_rows(content)[-1]
    assert total[:6] == ["合计", None, 810_000, 1_017_000, 207_000, pytest.approx(207 / 810)]


def test_flagged_rows_are_highlighted_in_the_workbook(world: SimpleNamespace) -> None:
    add_line(world.june, "正好一成", world.org["采购部"], budget=100_000, actual=110_000)
    content = _export(world)
    sheet = load_workbook(io.BytesIO(content)).active
    fills = {
        sheet.cell(row, 2).value: sheet.cell(row, 1).fill.fgColor.rgb
        for row in range(HEADER_ROW + 1, sheet.max_row)
    }
    assert fills["A材料采购"].endswith("FFF2CC")
    assert not fills["正好一成"].endswith("FFF2CC")


def test_zero_budget_and_negative_actual_in_the_workbook(world: SimpleNamespace) -> None:
    add_line(world.june, "未列预算", world.org["采购部"], budget=0, actual=5_000)
    add_line(world.june, "退款冲销", world.org["采购部"], budget=10_000, actual=-2_000)
    lines = xlsx_lines(_export(world, "owner"))
    assert lines["未列预算"][4:6] == [5_000, "n/a"]
    assert lines["退款冲销"][3:6] == [-2_000, -12_000, pytest.approx(-1.2)]
