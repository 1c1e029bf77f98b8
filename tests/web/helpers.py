"""Helpers shared by the web tests: a snapshot of the T1 tables, workbooks built in memory."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from opslens.web.common.models import Notification
from opslens.web.processes.models import (
    EcrsChange,
    FishboneCause,
    Process,
    ProcessVersion,
    Remedy,
    Step,
    WhyChain,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def snapshot() -> dict[str, Any]:
    """Every row of every T1 table (and the notifications), to prove that nothing changed."""
    models = [Process, ProcessVersion, Step, EcrsChange, WhyChain, FishboneCause, Remedy]
    state: dict[str, Any] = {
        model.__name__: list(model.objects.order_by("pk").values()) for model in models
    }
    state["departments"] = sorted(
        Process.departments.through.objects.values_list("process_id", "department_id")
    )
    state["notifications"] = list(Notification.objects.order_by("pk").values())
    return state


def upload(data: bytes, name: str = "process.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX_TYPE)


def workbook(rows: list[list[Any]]) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` from A1."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["流程名称", "责任部门", "流程起点", "流程终点", "记录日期"]
STEP_TITLES = ["流程步骤", "涉及角色", "输入内容", "输出内容", "耗时(小时)"]


def template_rows(
    *,
    name: str = "报销审批流程",
    departments: str = "采购部",
    steps: list[list[Any]] | None = None,
) -> list[list[Any]]:
    """Rows of the seed's T1 template: the header block, an empty row, the step table."""
    steps = steps or [
        ["1.提交报销单", "申请人", "发票", "报销单", 1],
        ["2.部门审批", "部门经理", "报销单", "审批意见", 8],
    ]
    return [
        HEADER,
        [name, departments, "提交报销单", "完成付款", "2024-05-20"],
        [],
        STEP_TITLES,
        *steps,
    ]
