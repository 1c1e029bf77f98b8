"""Webhook deliveries of a fired alert, against a real HTTP server on 127.0.0.1 (never elsewhere).

The server records every POST (path, query, headers, JSON body) and answers what each path is told
to answer: a DingTalk/WeCom robot ``{"errcode": 0}``, Feishu ``{"code": 0}``, a generic endpoint
anything with HTTP 200. Every try is a :class:`Delivery` row, ok or with its error.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django_tasks_db.models import DBTaskResult

from opslens.web.kpis.models import Alert, AlertRule, Delivery, Kpi, Review, Webhook
from opslens.web.kpis.tasks import deliver_alert
from tests.web.conftest import client_for
from tests.web.kpis.conftest import measure, messages_of, snapshot

DINGTALK_OK = {"errcode": 0, "errmsg": "ok"}
FEISHU_OK = {"code": 0, "msg": "success", "data": {}}


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Robot:
    """What the local server received, and what it answers per path."""

    port: int
    received: list[Received] = field(default_factory=list)
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, payload: Any, status: int = 200) -> None:
        self.answers[path] = (status, json.dumps(payload).encode())

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def robot() -> Iterator[Robot]:
    state = Robot(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            state.received.append(
                Received(parts.path, parse_qs(parts.query), dict(self.headers), json.loads(raw))
            )
            status, body = state.answers.get(parts.path, (200, b'{"errcode":0,"errmsg":"ok"}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hook(org: Any, kind: str, url: str, secret: str = "", name: str = "") -> Webhook:
    return Webhook.objects.create(
        name=name or f"{kind}群", kind=kind, url=url, secret=secret, department=org["采购部"]
    )


def _alert(sales: Kpi, rule: AlertRule, owner: Any) -> Alert:
    review = Review.objects.create(
        kpi=sales,
        rule=rule,
        title="启动销售复盘（2024-W22、2024-W23）",
        owner=owner.person,
        due_date=date(2024, 6, 27),
    )
    return Alert.objects.create(
        rule=rule,
        period_start=date(2024, 6, 3),
        streak="2024-W22、2024-W23",
        value=Decimal(340),
        review=review,
    )


def test_every_kind_of_robot_receives_the_alert(
    org: Any, sales: Kpi, rule: AlertRule, owner: Any, robot: Robot, settings: Any
) -> None:
    settings.OPSLENS_BASE_URL = "https://ops.example.com"
    robot.answer("/feishu", FEISHU_OK)
    hooks = [
        _hook(org, "dingtalk", robot.url("/robot/send?access_token=tok"), secret="SEC123"),
        _hook(org, "feishu", robot.url("/feishu")),
        _hook(org, "wecom", robot.url("/wecom?key=k1")),
        _hook(org, "generic", robot.url("/generic"), secret="g-secret"),
    ]
    rule.webhooks.set(hooks)
    alert = _alert(sales, rule, owner)

    assert deliver_alert.call(alert.pk) == 4

    assert len(robot.received) == 4
    (ding,) = robot.at("/robot/send")
    assert ding.query["access_token"] == ["tok"]
    assert ding.query["timestamp"][0].isdigit() and len(ding.query["timestamp"][0]) == 13
    assert ding.query["sign"][0]  # 加签: HMAC-SHA256 of timestamp + secret
    assert ding.body["msgtype"] == "markdown"
    assert ding.body["markdown"]["title"] == "KPI alert: 销售额"
    text = ding.body["markdown"]["text"]
    assert text.startswith("#### KPI alert: 销售额")
    assert "销售额 (采购部)" in text and "销售额连续两周低于预警值" in text
    assert "2024-W22、2024-W23" in text and "340 万元" in text
    assert "启动销售复盘" in text and "王强" in text
    review_url = f"https://ops.example.com/kpis/reviews/{alert.review.pk}/"
    assert f"({review_url})" in text

    (feishu,) = robot.at("/feishu")
    assert feishu.body["msg_type"] == "post"
    post = feishu.body["content"]["post"]["zh_cn"]
    assert post["title"] == "KPI alert: 销售额"
    texts = [cell["text"] for row in post["content"] for cell in row]
    assert "KPI: 销售额 (采购部)" in texts
    assert {"tag": "a", "text": "Open in opslens", "href": review_url} in post["content"][-1]
    assert "sign" not in feishu.body  # no secret, no signature

    (wecom,) = robot.at("/wecom")
    assert wecom.query == {"key": ["k1"]}
    assert wecom.body["msgtype"] == "markdown"
    assert wecom.body["markdown"]["content"].startswith("**KPI alert: 销售额**")

    (generic,) = robot.at("/generic")
    assert generic.body["event"] == "kpi.alert.fired"
    assert generic.body["data"] == {
        "kpi": "销售额",
        "rule": "销售额连续两周低于预警值",
        "period": "2024-W23",
        "value": "340",
        "department": "采购部",
    }
    assert generic.headers["X-Opslens-Signature"].startswith("sha256=")
    assert generic.headers["Content-Type"] == "application/json; charset=utf-8"

    deliveries = list(alert.deliveries.order_by("pk"))
    assert [(d.channel, d.ok, d.detail) for d in deliveries] == [
        ("DingTalk group robot: dingtalk群", True, "HTTP 200"),
        ("Feishu / Lark group robot: feishu群", True, "HTTP 200"),
        ("Generic JSON: generic群", True, "HTTP 200"),
        ("WeCom group robot: wecom群", True, "HTTP 200"),
    ]


def test_a_robot_error_code_is_a_failed_delivery(
    org: Any, sales: Kpi, rule: AlertRule, owner: Any, robot: Robot
) -> None:
    robot.answer("/robot/send", {"errcode": 310000, "errmsg": "sign not match"})
    rule.webhooks.set([_hook(org, "dingtalk", robot.url("/robot/send?access_token=t"), "S")])
    alert = _alert(sales, rule, owner)
    assert deliver_alert.call(alert.pk) == 0
    assert len(robot.received) == 1
    delivery = Delivery.objects.get()
    assert delivery.alert == alert and not delivery.ok
    assert delivery.detail == "DingTalk error 310000: sign not match"
    page = client_for(owner).get(f"/kpis/reviews/{alert.review.pk}/").content.decode()
    assert "DingTalk error 310000: sign not match" in page


def test_a_closed_port_is_a_failed_delivery_and_the_others_still_go(
    org: Any, sales: Kpi, rule: AlertRule, owner: Any, robot: Robot, closed_port: int
) -> None:
    rule.webhooks.set(
        [
            _hook(org, "generic", f"http://127.0.0.1:{closed_port}/down", name="a-down"),
            _hook(org, "generic", robot.url("/up"), name="b-up"),
        ]
    )
    alert = _alert(sales, rule, owner)
    assert deliver_alert.call(alert.pk) == 1
    down, up = alert.deliveries.order_by("pk")
    assert (down.ok, up.ok) == (False, True)
    assert down.detail.startswith(f"cannot reach 127.0.0.1:{closed_port}")
    assert len(robot.at("/up")) == 1


def test_a_long_webhook_name_still_fits_the_delivery(
    org: Any, sales: Kpi, rule: AlertRule, owner: Any, robot: Robot
) -> None:
    robot.answer("/feishu", FEISHU_OK)
    rule.webhooks.set([_hook(org, "feishu", robot.url("/feishu"), name="销售部飞书群" * 16)])
    alert = _alert(sales, rule, owner)
    assert deliver_alert.call(alert.pk) == 1
    delivery = Delivery.objects.get()
    delivery.full_clean()  # fits its column (PostgreSQL refuses what does not)
    assert delivery.ok and delivery.channel.startswith("Feishu / Lark group robot: 销售部飞书群")


def test_disabled_webhooks_and_missing_alerts_send_nothing(
    org: Any, sales: Kpi, rule: AlertRule, owner: Any, robot: Robot
) -> None:
    hook = _hook(org, "generic", robot.url("/off"))
    Webhook.objects.filter(pk=hook.pk).update(enabled=False)
    rule.webhooks.set([hook])
    alert = _alert(sales, rule, owner)
    assert deliver_alert.call(alert.pk) == 0
    assert deliver_alert.call(alert.pk + 1000) == 0
    assert robot.received == []
    assert not Delivery.objects.exists()


def test_a_wecom_robot_with_a_secret_is_recorded_as_a_failure(
    org: Any, sales: Kpi, rule: AlertRule, owner: Any, robot: Robot
) -> None:
    # The form forbids it; a secret set some other way must not crash the delivery.
    rule.webhooks.set([_hook(org, "wecom", robot.url("/wecom"), secret="nope")])
    alert = _alert(sales, rule, owner)
    assert deliver_alert.call(alert.pk) == 0
    delivery = Delivery.objects.get()
    assert not delivery.ok and "do not sign" in delivery.detail
    assert robot.received == []


def test_firing_queues_the_delivery_after_the_commit(
    org: Any,
    sales: Kpi,
    rule: AlertRule,
    owner: Any,
    robot: Robot,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rule.webhooks.set([_hook(org, "generic", robot.url("/generic"))])
    client = client_for(owner)
    measure(client, sales, "2024-W22", 350)
    assert not DBTaskResult.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        measure(client, sales, "2024-W23", 340)
    alert = Alert.objects.get()
    queued = DBTaskResult.objects.get(task_path="opslens.web.kpis.tasks.deliver_alert")
    assert queued.args_kwargs == {"args": [alert.pk], "kwargs": {}}
    assert robot.received == []  # the worker sends it, not the request
    deliver_alert.call(*queued.args_kwargs["args"])
    assert robot.at("/generic")[0].body["data"]["kpi"] == "销售额"


def test_a_rule_without_webhooks_queues_nothing(
    sales: Kpi, rule: AlertRule, owner: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(owner)
    measure(client, sales, "2024-W22", 350)
    with django_capture_on_commit_callbacks(execute=True):
        measure(client, sales, "2024-W23", 340)
    assert Alert.objects.count() == 1
    assert not DBTaskResult.objects.filter(task_path__endswith="deliver_alert").exists()


# --- the "Send a test" button ------------------------------------------------------------------


def test_send_a_test_message(org: Any, owner: Any, robot: Robot) -> None:
    robot.answer("/robot/send", DINGTALK_OK)
    hook = _hook(
        org, "dingtalk", robot.url("/robot/send?access_token=t"), secret="SEC", name="采购群"
    )
    before = snapshot()
    response = client_for(owner).post(f"/kpis/webhooks/{hook.pk}/test/", follow=True)
    assert response.redirect_chain == [("/kpis/webhooks/", 302)]
    assert messages_of(response) == ["Test message delivered to 采购群."]
    (got,) = robot.received
    assert got.body["markdown"]["title"] == "opslens test message"
    assert {"timestamp", "sign", "access_token"} <= set(got.query)
    assert snapshot() == before  # a test is not an alert: nothing is stored


def test_send_a_test_message_reports_the_robots_error(org: Any, owner: Any, robot: Robot) -> None:
    robot.answer(
        "/feishu", {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    )
    hook = _hook(org, "feishu", robot.url("/feishu"), secret="x", name="飞书群")
    response = client_for(owner).post(f"/kpis/webhooks/{hook.pk}/test/", follow=True)
    (text,) = messages_of(response)
    assert text.startswith("Test message to 飞书群 failed: Feishu error 19021: sign match fail")
    assert robot.received[0].body["sign"]


# --- the webhook form ----------------------------------------------------------------------------


def test_creating_and_editing_a_webhook_keeps_the_secret(org: Any, owner: Any) -> None:
    client = client_for(owner)
    data = {
        "name": "采购群",
        "kind": "dingtalk",
        "url": "http://127.0.0.1:9/robot/send?access_token=t",
        "secret": "SEC",
        "department": org["采购部"].pk,
        "enabled": "on",
    }
    assert client.post("/kpis/webhooks/new/", data).status_code == 302
    hook = Webhook.objects.get()
    assert hook.secret == "SEC"
    page = client.get(f"/kpis/webhooks/{hook.pk}/").content.decode()
    assert "SEC" not in page  # the secret is never shown again
    assert (
        client.post(f"/kpis/webhooks/{hook.pk}/", data | {"secret": "", "name": "新名"}).status_code
        == 302
    )
    hook.refresh_from_db()
    assert (hook.name, hook.secret) == ("新名", "SEC")


def test_a_wecom_webhook_may_not_have_a_secret(org: Any, owner: Any) -> None:
    data = {
        "name": "企业微信群",
        "kind": "wecom",
        "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k",
        "secret": "SEC",
        "department": org["采购部"].pk,
        "enabled": "on",
    }
    response = client_for(owner).post("/kpis/webhooks/new/", data)
    assert response.status_code == 200
    assert "secret" in response.context["form"].errors
    assert not Webhook.objects.exists()
