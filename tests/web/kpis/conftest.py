"""KPI fixtures: the seed's weekly 销售额 with its rule, here owned by 采购部 so that the shared
users (owner/colleague edit, outsider/viewer read only, admin edits all) apply unchanged.

"Today" is fixed at 2024-06-20 (a Thursday of 2024-W25) unless a test says otherwise, and
uploads land in a per-test media folder.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from opslens.web.common.models import Notification
from opslens.web.kpis.models import (
    Alert,
    AlertRule,
    Delivery,
    Kpi,
    KpiTarget,
    Measurement,
    OverdueReminder,
    Review,
    Webhook,
)
from opslens.web.org.models import Department

TODAY = "2024-06-20"


@pytest.fixture(autouse=True)
def _kpi_settings(settings: Any, tmp_path: Any) -> None:
    settings.OPSLENS_TODAY = TODAY
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"


def snapshot() -> dict[str, Any]:
    """Every row of every KPI table (and the notifications), to prove that nothing changed."""
    models = [
        Kpi,
        Measurement,
        KpiTarget,
        AlertRule,
        Review,
        Webhook,
        Alert,
        Delivery,
        OverdueReminder,
        Notification,
    ]
    state: dict[str, Any] = {m.__name__: list(m.objects.order_by("pk").values()) for m in models}
    state["rule_webhooks"] = sorted(
        AlertRule.webhooks.through.objects.values_list("alertrule_id", "webhook_id")
    )
    return state


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def sales(org: dict[str, Department], owner: Any) -> Kpi:
    """Weekly 销售额 of 采购部, owned by ``owner``: target 400, warning 360 (万元)."""
    return Kpi.objects.create(
        name="销售额",
        level="department",
        department=org["采购部"],
        owner=owner.person,
        unit="万元",
        direction="higher",
        aggregation="sum",
        frequency="weekly",
        due_day=1,
        target=Decimal(400),
        warning=Decimal(360),
        tracked_from=date(2024, 5, 27),  # 2024-W22
    )


@pytest.fixture
def rule(sales: Kpi) -> AlertRule:
    """The seed's rule: 销售额连续两周低于预警值,需启动销售复盘."""
    return AlertRule.objects.create(
        kpi=sales,
        name="销售额连续两周低于预警值",
        condition="beyond_warning",
        periods=2,
        recovery="clear",
        recovery_periods=1,
        action="启动销售复盘",
        review_days=7,
    )


def measure(client: Client, kpi: Kpi, period: str, value: str | int, note: str = "") -> Any:
    return client.post(
        f"/kpis/{kpi.pk}/measure/", {"period": period, "value": str(value), "note": note}
    )
