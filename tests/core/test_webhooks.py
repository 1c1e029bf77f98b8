"""Tests of opslens.core.webhooks against a real HTTP server on 127.0.0.1 (never anywhere else)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from opslens.core.errors import ConfigError
from opslens.core.webhooks import (
    SIGNATURE_HEADER,
    WECOM_MARKDOWN_LIMIT,
    WebhookKind,
    WebhookMessage,
    WebhookRequest,
    build_webhook_request,
    send_webhook,
)

NOW = datetime(2024, 5, 20, 8, 30, 15, 250000, tzinfo=UTC)
SECRET = "SEC0123456789abcdef密钥"
ALERT = WebhookMessage(
    title="KPI 预警:准时交付率",
    lines=("准时交付率 82.5%,低于目标 95%", "部门:采购部"),
    url="http://127.0.0.1/kpis/7/",
    event="kpi.alert.fired",
    data={"kpi": "准时交付率", "value": "82.5"},
)


# ------------------------------------------------------------------------------------ the server


@dataclass
class Received:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Robot:
    """A loopback HTTP server that records each POST and answers as told."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"errcode":0,"errmsg":"ok"}'
    answer_headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/robot/send?access_token=tok123") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def reply(self, status: int, answer: object, **headers: str) -> None:
        self.status = status
        self.answer = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.answer_headers = headers

    @property
    def last(self) -> Received:
        assert len(self.received) == 1, self.received
        return self.received[0]


def _handler(robot_box: list[Robot]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            robot = robot_box[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urllib.parse.urlsplit(self.path)
            robot.received.append(
                Received(parts.path, parts.query, dict(self.headers.items()), body)
            )
            if robot.delay:
                robot.release.wait(robot.delay)
            self.send_response(robot.status)
            for name, value in robot.answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(robot.answer)))
            self.end_headers()
            self.wfile.write(robot.answer)

        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            return

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that gave up (the timeout test) is not an error here


@pytest.fixture
def robot() -> Iterator[Robot]:
    box: list[Robot] = []
    server = _QuietServer(("127.0.0.1", 0), _handler(box))
    box.append(Robot(server))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        box[0].release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------- DingTalk


def test_dingtalk_markdown_arrives_intact(robot: Robot) -> None:
    result = send_webhook(build_webhook_request(WebhookKind.DINGTALK, robot.url(), ALERT))
    assert result.ok and result.status == 200 and result.error == ""
    assert result.response == '{"errcode":0,"errmsg":"ok"}'
    got = robot.last
    assert got.path == "/robot/send" and got.query == "access_token=tok123"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "准时交付率".encode() in got.body  # UTF-8, not \u escapes
    assert got.json() == {
        "msgtype": "markdown",
        "markdown": {
            "title": "KPI 预警:准时交付率",
            "text": "#### KPI 预警:准时交付率\n\n"
            "- 准时交付率 82.5%,低于目标 95%\n- 部门:采购部\n\n"
            "[查看详情](http://127.0.0.1/kpis/7/)",
        },
    }


def test_dingtalk_sign_recomputed_from_received_timestamp(robot: Robot) -> None:
    request = build_webhook_request(
        WebhookKind.DINGTALK, robot.url(), ALERT, secret=SECRET, now=NOW
    )
    assert send_webhook(request).ok
    got = robot.last
    pairs = urllib.parse.parse_qsl(got.query, keep_blank_values=True, strict_parsing=True)
    assert [key for key, _ in pairs] == ["access_token", "timestamp", "sign"]
    params = dict(pairs)
    assert params["access_token"] == "tok123"
    timestamp = params["timestamp"]
    assert timestamp == str(int(NOW.timestamp() * 1000)) == "1716193815250"
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert params["sign"] == expected
    raw_sign = got.query.split("sign=", 1)[1]
    assert raw_sign == urllib.parse.quote_plus(expected)  # '+', '/', '=' percent-encoded
    assert "+" not in raw_sign and "/" not in raw_sign


def test_dingtalk_sign_replaces_a_stale_signature_in_the_url() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=old&x="
    request = build_webhook_request(WebhookKind.DINGTALK, url, ALERT, secret="s", now=NOW)
    params = urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query, True)
    assert [key for key, _ in params] == ["access_token", "x", "timestamp", "sign"]
    assert dict(params)["timestamp"] == "1716193815250" and dict(params)["sign"] != "old"


def test_dingtalk_without_secret_leaves_the_url_alone() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    assert build_webhook_request(WebhookKind.DINGTALK, url, ALERT).url == url


def test_dingtalk_error_code_under_http_200(robot: Robot) -> None:
    robot.reply(200, {"errcode": 310000, "errmsg": "sign not match"})
    result = send_webhook(build_webhook_request("dingtalk", robot.url(), ALERT, secret="x"))
    assert not result.ok and result.status == 200
    assert result.error == "DingTalk error 310000: sign not match"
    assert "310000" in result.response


def test_markdown_special_characters_are_shown_as_written() -> None:
    message = WebhookMessage(
        title="on_time*rate",
        lines=("# 1 [x](http://evil) <b>bold</b>", "2. 第二\n行", "a\\b"),
        url="http://127.0.0.1/k?q=(1)",
    )
    text = json.loads(
        build_webhook_request(WebhookKind.DINGTALK, "http://127.0.0.1/", message).body
    )["markdown"]["text"]
    assert text == (
        "#### on\\_time\\*rate\n\n"
        "- \\# 1 \\[x\\](http://evil) \\<b>bold\\</b>\n"
        "- 2\\. 第二 行\n"
        "- a\\\\b\n\n"
        "[查看详情](http://127.0.0.1/k?q=%281%29)"
    )


# ------------------------------------------------------------------------------------------ Feishu


def test_feishu_post_arrives_intact(robot: Robot) -> None:
    robot.reply(200, {"code": 0, "msg": "success", "data": {}})
    message = WebhookMessage(
        title=ALERT.title, lines=ALERT.lines, url=ALERT.url, link_text="Open in opslens"
    )
    result = send_webhook(build_webhook_request(WebhookKind.FEISHU, robot.url("/hook/x"), message))
    assert result.ok and result.status == 200
    assert robot.last.path == "/hook/x"
    assert robot.last.json() == {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "KPI 预警:准时交付率",
                    "content": [
                        [{"tag": "text", "text": "准时交付率 82.5%,低于目标 95%"}],
                        [{"tag": "text", "text": "部门:采购部"}],
                        [
                            {
                                "tag": "a",
                                "text": "Open in opslens",
                                "href": "http://127.0.0.1/kpis/7/",
                            }
                        ],
                    ],
                }
            }
        },
    }


def test_feishu_sign(robot: Robot) -> None:
    robot.reply(200, {"code": 0, "msg": "success"})
    request = build_webhook_request(
        WebhookKind.FEISHU, robot.url("/hook/x"), ALERT, secret=SECRET, now=NOW
    )
    assert request.url == robot.url("/hook/x")  # Feishu signs in the body, not the URL
    assert send_webhook(request).ok
    body = robot.last.json()
    assert body["timestamp"] == "1716193815"
    key = f"{body['timestamp']}\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "post" and body["content"]["post"]["zh_cn"]["title"] == ALERT.title


def test_feishu_error_code(robot: Robot) -> None:
    robot.reply(200, {"code": 19021, "msg": "sign match fail", "data": {}})
    result = send_webhook(build_webhook_request(WebhookKind.FEISHU, robot.url(), ALERT))
    assert not result.ok and result.status == 200
    assert result.error == "Feishu error 19021: sign match fail"


def test_feishu_older_status_code(robot: Robot) -> None:
    robot.reply(200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"})
    assert send_webhook(build_webhook_request(WebhookKind.FEISHU, robot.url(), ALERT)).ok
    robot.reply(200, {"StatusCode": 9499, "StatusMessage": "Bad Request"})
    result = send_webhook(build_webhook_request(WebhookKind.FEISHU, robot.url(), ALERT))
    assert not result.ok and result.error == "Feishu error 9499: Bad Request"


# ------------------------------------------------------------------------------------------- WeCom


def test_wecom_markdown_arrives_intact(robot: Robot) -> None:
    result = send_webhook(
        build_webhook_request(WebhookKind.WECOM, robot.url("/cgi-bin/webhook/send?key=k"), ALERT)
    )
    assert result.ok
    assert robot.last.query == "key=k"
    assert robot.last.json() == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**KPI 预警:准时交付率**\n"
            "> 准时交付率 82.5%,低于目标 95%\n"
            "> 部门:采购部\n"
            "[查看详情](http://127.0.0.1/kpis/7/)"
        },
    }


def test_wecom_truncates_chinese_at_the_byte_limit(robot: Robot) -> None:
    message = WebhookMessage(title="T", lines=("中" * 1500,), url="http://127.0.0.1/k")
    assert send_webhook(build_webhook_request(WebhookKind.WECOM, robot.url(), message)).ok
    content = robot.last.json()["markdown"]["content"]
    tail = "\n[查看详情](http://127.0.0.1/k)"
    assert content.startswith("**T**\n> 中") and content.endswith("中…" + tail)
    # 4096 - 8 ("**T**\n> ") - 3 ("…") - tail: whole 3-byte characters only
    budget = WECOM_MARKDOWN_LIMIT - 8 - 3 - len(tail.encode())
    assert content.count("中") == budget // 3
    assert len(content.encode()) == 8 + budget // 3 * 3 + 3 + len(tail.encode())
    assert len(content.encode()) <= WECOM_MARKDOWN_LIMIT


@pytest.mark.parametrize(("pad", "cut"), [(4088, False), (4089, True)])
def test_wecom_limit_is_exactly_4096_bytes(pad: int, cut: bool) -> None:
    message = WebhookMessage(title="T", lines=("a" * pad,))  # "**T**\n> " is 8 bytes
    request = build_webhook_request(WebhookKind.WECOM, "http://127.0.0.1/", message)
    content = json.loads(request.body)["markdown"]["content"]
    assert content.endswith("…") is cut
    assert len(content.encode()) == WECOM_MARKDOWN_LIMIT  # "a" is one byte: fills exactly


def test_wecom_truncation_never_leaves_half_an_escape() -> None:
    message = WebhookMessage(title="T", lines=("*" * 3000,))  # each "*" becomes "\*"
    content = json.loads(
        build_webhook_request(WebhookKind.WECOM, "http://127.0.0.1/", message).body
    )["markdown"]["content"]
    assert content.endswith("\\*…") and len(content.encode()) <= WECOM_MARKDOWN_LIMIT


def test_wecom_with_a_huge_title_still_fits() -> None:
    message = WebhookMessage(title="标题" * 2000, lines=("x",), url="http://127.0.0.1/k")
    content = json.loads(
        build_webhook_request(WebhookKind.WECOM, "http://127.0.0.1/", message).body
    )["markdown"]["content"]
    assert content.startswith("**标题") and content.endswith("…")
    assert WECOM_MARKDOWN_LIMIT - 3 <= len(content.encode()) <= WECOM_MARKDOWN_LIMIT


def test_wecom_refuses_a_secret() -> None:
    with pytest.raises(ConfigError, match=r"WeCom.*do not sign"):
        build_webhook_request(WebhookKind.WECOM, "http://127.0.0.1/", ALERT, secret="s")


# ----------------------------------------------------------------------------------------- generic


def test_generic_json_and_signature(robot: Robot) -> None:
    robot.reply(204, b"")
    request = build_webhook_request(
        WebhookKind.GENERIC, robot.url("/hooks/opslens"), ALERT, secret=SECRET, now=NOW
    )
    result = send_webhook(request)
    assert result.ok and result.status == 204 and result.response == ""
    got = robot.last
    assert got.json() == {
        "event": "kpi.alert.fired",
        "title": "KPI 预警:准时交付率",
        "lines": ["准时交付率 82.5%,低于目标 95%", "部门:采购部"],
        "url": "http://127.0.0.1/kpis/7/",
        "data": {"kpi": "准时交付率", "value": "82.5"},
        "sent_at": "2024-05-20T08:30:15+00:00",
    }
    expected = hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert got.headers[SIGNATURE_HEADER] == f"sha256={expected}"


def test_generic_sent_at_is_utc_and_unsigned_without_secret() -> None:
    beijing = timezone(timedelta(hours=8))
    request = build_webhook_request(
        WebhookKind.GENERIC,
        "https://example.invalid/h",
        WebhookMessage(title="t"),
        now=datetime(2024, 5, 20, 16, 30, tzinfo=beijing),
    )
    assert json.loads(request.body)["sent_at"] == "2024-05-20T08:30:00+00:00"
    assert SIGNATURE_HEADER not in request.headers
    assert json.loads(request.body)["data"] == {} and json.loads(request.body)["lines"] == []


def test_generic_ignores_the_body_of_a_2xx(robot: Robot) -> None:
    robot.reply(200, {"errcode": 1, "code": 5})  # not a robot: only the HTTP status counts
    assert send_webhook(build_webhook_request(WebhookKind.GENERIC, robot.url(), ALERT)).ok


# ------------------------------------------------------------------------------------- failures


def test_http_500_is_reported(robot: Robot) -> None:
    robot.reply(500, b"internal trouble\nsecond line")
    result = send_webhook(build_webhook_request(WebhookKind.DINGTALK, robot.url(), ALERT))
    assert not result.ok and result.status == 500
    assert result.error == "HTTP 500 Internal Server Error"
    assert result.response == "internal trouble\nsecond line"


def test_response_is_cut_to_500_characters(robot: Robot) -> None:
    robot.reply(502, ("错" * 2000).encode())
    result = send_webhook(build_webhook_request(WebhookKind.GENERIC, robot.url(), ALERT))
    assert not result.ok and result.response == "错" * 500


def test_robot_answer_that_is_not_json(robot: Robot) -> None:
    robot.reply(200, b"<html>portal</html>")
    result = send_webhook(build_webhook_request(WebhookKind.WECOM, robot.url(), ALERT))
    assert not result.ok and result.status == 200 and "not JSON" in result.error


def test_redirect_is_not_followed(robot: Robot) -> None:
    robot.reply(302, b"", Location="http://127.0.0.1:1/elsewhere")
    result = send_webhook(build_webhook_request(WebhookKind.DINGTALK, robot.url(), ALERT))
    assert not result.ok and result.status == 302
    assert "redirect to http://127.0.0.1:1/elsewhere not followed" in result.error
    assert len(robot.received) == 1


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{closed_port()}/robot/send"
    result = send_webhook(build_webhook_request(WebhookKind.DINGTALK, url, ALERT), timeout=2)
    assert not result.ok and result.status is None and result.response == ""
    assert result.error.startswith("cannot reach 127.0.0.1:") and "\n" not in result.error


def test_timeout_returns_within_the_timeout(robot: Robot) -> None:
    robot.delay = 10.0
    started = time.monotonic()
    result = send_webhook(
        build_webhook_request(WebhookKind.FEISHU, robot.url(), ALERT), timeout=0.5
    )
    elapsed = time.monotonic() - started
    assert not result.ok and result.status is None
    assert "within 0.5 s" in result.error
    assert elapsed < 2.0
    assert len(robot.received) == 1  # the request did arrive; the answer did not


def test_environment_proxy_is_not_used(robot: Robot, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    assert urllib.request.getproxies()["http"] == "http://127.0.0.1:9"  # urllib would divert
    result = send_webhook(build_webhook_request(WebhookKind.DINGTALK, robot.url(), ALERT))
    assert result.ok and robot.last.path == "/robot/send"


def test_non_positive_timeout_is_a_config_error() -> None:
    request = build_webhook_request(WebhookKind.GENERIC, "http://127.0.0.1:9/", ALERT)
    with pytest.raises(ConfigError, match="timeout"):
        send_webhook(request, timeout=0)


# ------------------------------------------------------------------------------ input checking


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://127.0.0.1/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "https:///path-only",
        "127.0.0.1:8000/hook",
        "http://127.0.0.1:port/",
        "http://127.0.0.1/a b",
        "http://127.0.0.1/\n",
        "http://127.0.0.1/钩子",
    ],
)
def test_bad_webhook_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        build_webhook_request(WebhookKind.DINGTALK, url, ALERT)


def test_bad_link_and_title_and_kind_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="link URL"):
        build_webhook_request(
            WebhookKind.FEISHU, "http://127.0.0.1/", WebhookMessage("t", url="javascript:x()")
        )
    with pytest.raises(ConfigError, match="title"):
        build_webhook_request(WebhookKind.FEISHU, "http://127.0.0.1/", WebhookMessage("  "))
    with pytest.raises(ConfigError, match="unknown webhook kind 'slack'"):
        build_webhook_request("slack", "http://127.0.0.1/", ALERT)
    with pytest.raises(ConfigError):
        WebhookRequest("file:///etc/passwd", b"{}")


def test_message_and_request_are_immutable_copies() -> None:
    lines = ["a"]
    data = {"k": "v"}
    message = WebhookMessage("t", lines=lines, data=data)  # type: ignore[arg-type]
    lines.append("b")
    data["k"] = "changed"
    assert message.lines == ("a",) and dict(message.data) == {"k": "v"}
    with pytest.raises(TypeError):
        message.data["k"] = "x"  # type: ignore[index]
    request = build_webhook_request(WebhookKind.GENERIC, "http://127.0.0.1/", message)
    assert request.kind is WebhookKind.GENERIC
    with pytest.raises(TypeError):
        request.headers["X"] = "y"  # type: ignore[index]
    assert WebhookMessage("t").link_text == "查看详情"
