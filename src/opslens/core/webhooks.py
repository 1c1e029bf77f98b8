"""Group-chat notifications through "custom robot" webhooks: DingTalk, Feishu/Lark, WeCom, generic.

A KPI alert (or any other event) is described once as a :class:`WebhookMessage` — a title, a few
plain-text body lines, an optional link back into opslens, an event name and flat extra data.
:func:`build_webhook_request` turns it into the exact HTTP request one platform expects
(:class:`WebhookRequest`: URL, UTF-8 JSON body, headers), signing it when a secret is given;
:func:`send_webhook` POSTs it and reads the platform's answer into a :class:`WebhookResult`.

Formats (the platforms' documented custom-robot messages)::

    dingtalk  {"msgtype": "markdown", "markdown": {"title": …, "text": "#### title\\n\\n- line…"}}
              secret (加签): URL gets timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256>
    feishu    {"msg_type": "post", "content": {"post": {"zh_cn": {"title": …, "content": [[…]]}}}}
              secret (签名校验): body gets "timestamp" (seconds, a string) and "sign"
    wecom     {"msgtype": "markdown", "markdown": {"content": "**title**\\n> line…"}}
              content cut to 4096 UTF-8 bytes; WeCom robots do not sign (a secret is an error)
    generic   {"event", "title", "lines", "url", "data", "sent_at"}
              secret: header X-Opslens-Signature: sha256=<hex HMAC-SHA256(secret, body)>

Body lines are plain text: the builder collapses line breaks inside a line and escapes Markdown
for DingTalk and WeCom, so a KPI named ``on_time*rate`` shows as written. Building raises
:class:`~opslens.core.errors.ConfigError` for anything the caller has to fix (a URL that is not
http(s) with a host, an empty title, a secret for WeCom). Sending never raises for network trouble:
connection refused, DNS, timeouts, HTTP errors, redirects and the robots' own error codes (they
answer HTTP 200 with ``{"errcode": 310000, …}`` or ``{"code": 19021, …}``) all come back as
``ok=False`` with a one-line ``error``. Requests never go through a proxy from the environment and
never follow a redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from opslens.core.errors import ConfigError

__all__ = [
    "RESPONSE_EXCERPT_CHARS",
    "SIGNATURE_HEADER",
    "WECOM_MARKDOWN_LIMIT",
    "WebhookKind",
    "WebhookMessage",
    "WebhookRequest",
    "WebhookResult",
    "build_webhook_request",
    "send_webhook",
]

WECOM_MARKDOWN_LIMIT = 4096
"""WeCom's limit on a markdown message's ``content``, in UTF-8 bytes."""

SIGNATURE_HEADER = "X-Opslens-Signature"
"""Header carrying ``sha256=<hex HMAC-SHA256(secret, body)>`` on a signed generic webhook."""

RESPONSE_EXCERPT_CHARS = 500
"""How much of the answer's body :attr:`WebhookResult.response` keeps."""

_READ_LIMIT = 64 * 1024  # bytes of an answer read at most; a robot answers in well under 1 KiB
_ERROR_CHARS = 300
_ELLIPSIS = "…"
_JSON_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        "User-Agent": "opslens-webhook",
    }
)


class WebhookKind(StrEnum):
    """The webhook flavours opslens can talk to."""

    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    WECOM = "wecom"
    GENERIC = "generic"

    @property
    def label(self) -> str:
        """The platform's name as shown in error messages."""
        return _LABELS[self]


_LABELS = {
    WebhookKind.DINGTALK: "DingTalk",
    WebhookKind.FEISHU: "Feishu",
    WebhookKind.WECOM: "WeCom",
    WebhookKind.GENERIC: "webhook",
}


def _empty_data() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class WebhookMessage:
    """One notification, independent of the platform.

    ``title`` and ``lines`` are plain text in whatever language the caller chose; ``url`` is an
    optional http(s) link back into opslens, shown as ``link_text``; ``event`` (for example
    ``"kpi.alert.fired"``) and ``data`` (flat string pairs) travel only in the generic format.
    """

    title: str
    lines: tuple[str, ...] = ()
    url: str = ""
    event: str = ""
    data: Mapping[str, str] = field(default_factory=_empty_data, hash=False)
    link_text: str = "查看详情"

    def __post_init__(self) -> None:
        # Accept any sequence / mapping, keep an immutable copy.
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))


@dataclass(frozen=True)
class WebhookRequest:
    """The HTTP POST to make: target URL, UTF-8 JSON body and headers.

    ``kind`` tells :func:`send_webhook` how to read the answer (the robots report failures in a
    JSON error code under HTTP 200); it defaults to generic, where only the HTTP status counts.
    """

    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=_empty_data, hash=False)
    kind: WebhookKind = WebhookKind.GENERIC

    def __post_init__(self) -> None:
        _check_url(self.url, what="webhook URL")
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))
        object.__setattr__(self, "kind", _coerce_kind(self.kind))


@dataclass(frozen=True)
class WebhookResult:
    """What came of one POST.

    ``ok`` only when the server answered 2xx and, for a robot, its JSON error code was 0.
    ``status`` is the HTTP status (``None`` when no answer came), ``error`` a one-line reason
    (empty when ``ok``) and ``response`` the first :data:`RESPONSE_EXCERPT_CHARS` characters of
    the answer's body.
    """

    ok: bool
    status: int | None
    error: str
    response: str


# --------------------------------------------------------------------------------------- building


def build_webhook_request(
    kind: WebhookKind | str,
    url: str,
    message: WebhookMessage,
    *,
    secret: str = "",
    now: datetime | None = None,
) -> WebhookRequest:
    """The request that posts ``message`` to a ``kind`` webhook at ``url``.

    ``secret`` signs the request the platform's way (DingTalk 加签, Feishu 签名校验, generic
    HMAC header); ``now`` (default: the current time; a naive value is local time) is the signing
    time and the generic ``sent_at``. Raises :class:`~opslens.core.errors.ConfigError` for a URL
    that is not http(s) with a host, an unknown kind, an empty title, a link that is not http(s),
    or a secret for WeCom, whose robots do not sign.
    """
    kind = _coerce_kind(kind)
    _check_url(url, what="webhook URL")
    if not message.title.strip():
        raise ConfigError("a webhook message needs a title")
    if message.url:
        _check_url(message.url, what="link URL")
    moment = now if now is not None else datetime.now(UTC)
    if kind is WebhookKind.DINGTALK:
        return _build_dingtalk(url, message, secret, moment)
    if kind is WebhookKind.FEISHU:
        return _build_feishu(url, message, secret, moment)
    if kind is WebhookKind.WECOM:
        if secret:
            raise ConfigError(
                "WeCom (企业微信) group robots do not sign their messages; remove the secret"
            )
        return _build_wecom(url, message)
    return _build_generic(url, message, secret, moment)


def _coerce_kind(kind: WebhookKind | str) -> WebhookKind:
    try:
        return WebhookKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in WebhookKind)
        raise ConfigError(f"unknown webhook kind {kind!r} (known: {known})") from None


def _check_url(url: str, *, what: str) -> None:
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ConfigError(
            f"{what} {url!r} holds spaces, control or non-ASCII characters; "
            "paste it exactly as the platform shows it"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"{what} {url!r} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} {url!r} must be an http:// or https:// address with a host")


def _dumps(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _hmac_sha256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


_MD_INLINE = re.compile(r"([\\`*_\[\]])")
_MD_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_MD_BLOCK = re.compile(r"^(\s*)(#|>|[-+](?=\s)|\d+(?=[.)]))")


def _md_escape(text: str) -> str:
    """Plain text → Markdown that shows as written (one line, no emphasis, links or tags)."""
    text = _MD_INLINE.sub(r"\\\1", _one_line(text))
    text = _MD_TAG.sub(r"\\<", text)
    # A line that would start a heading, quote or list: "#" → "\#", "-" → "\-", "2." → "2\.".
    return _MD_BLOCK.sub(_escape_block, text)


def _escape_block(match: re.Match[str]) -> str:
    indent, marker = match.groups()
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def _md_link(text: str, url: str) -> str:
    href = url.replace("(", "%28").replace(")", "%29")
    return f"[{_md_escape(text)}]({href})"


def _build_dingtalk(
    url: str, message: WebhookMessage, secret: str, moment: datetime
) -> WebhookRequest:
    blocks = [f"#### {_md_escape(message.title)}"]
    if message.lines:
        blocks.append("\n".join(f"- {_md_escape(line)}" for line in message.lines))
    if message.url:
        blocks.append(_md_link(message.link_text, message.url))
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": _one_line(message.title), "text": "\n\n".join(blocks)},
    }
    if secret:
        timestamp = str(int(moment.timestamp() * 1000))
        digest = _hmac_sha256(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode())
        sign = urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))
        url = _with_query(url, f"timestamp={timestamp}&sign={sign}", drop=("timestamp", "sign"))
    return WebhookRequest(url, _dumps(payload), _JSON_HEADERS, WebhookKind.DINGTALK)


def _with_query(url: str, extra: str, *, drop: tuple[str, ...]) -> str:
    """``url`` with ``extra`` appended to its query; existing ``drop`` parameters are removed."""
    parts = urllib.parse.urlsplit(url)
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and urllib.parse.unquote_plus(pair.partition("=")[0]) not in drop
    ]
    return urllib.parse.urlunsplit(parts._replace(query="&".join([*kept, extra])))


def _build_feishu(
    url: str, message: WebhookMessage, secret: str, moment: datetime
) -> WebhookRequest:
    rows: list[list[dict[str, str]]] = [
        [{"tag": "text", "text": _one_line(line)}] for line in message.lines
    ]
    if message.url:
        rows.append([{"tag": "a", "text": _one_line(message.link_text), "href": message.url}])
    payload: dict[str, Any] = {}
    if secret:
        timestamp = str(int(moment.timestamp()))
        digest = _hmac_sha256(f"{timestamp}\n{secret}".encode(), b"")
        payload |= {"timestamp": timestamp, "sign": base64.b64encode(digest).decode("ascii")}
    payload |= {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": _one_line(message.title), "content": rows}}},
    }
    return WebhookRequest(url, _dumps(payload), _JSON_HEADERS, WebhookKind.FEISHU)


def _build_wecom(url: str, message: WebhookMessage) -> WebhookRequest:
    head = f"**{_md_escape(message.title)}**"
    body = "".join(f"\n> {_md_escape(line)}" for line in message.lines)
    tail = f"\n{_md_link(message.link_text, message.url)}" if message.url else ""
    content = _fit_wecom(head, body, tail)
    payload = {"msgtype": "markdown", "markdown": {"content": content}}
    return WebhookRequest(url, _dumps(payload), _JSON_HEADERS, WebhookKind.WECOM)


def _fit_wecom(head: str, body: str, tail: str) -> str:
    """``head + body + tail`` within :data:`WECOM_MARKDOWN_LIMIT` bytes, cutting the body first."""
    content = head + body + tail
    if _utf8_len(content) <= WECOM_MARKDOWN_LIMIT:
        return content
    budget = WECOM_MARKDOWN_LIMIT - _utf8_len(head) - _utf8_len(tail) - _utf8_len(_ELLIPSIS)
    if budget >= 0:
        return head + _cut_utf8(body, budget) + _ELLIPSIS + tail
    # A title alone over the limit: keep what fits of it, drop the rest.
    budget = WECOM_MARKDOWN_LIMIT - _utf8_len(_ELLIPSIS)
    return _cut_utf8(head + body, budget) + _ELLIPSIS


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of ``text`` within ``max_bytes`` UTF-8 bytes (never half a character).

    A trailing lone backslash (half of a Markdown escape) is dropped too.
    """
    cut = text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
    stripped = cut.rstrip("\\")
    if (len(cut) - len(stripped)) % 2:
        cut = cut[:-1]
    return cut


def _build_generic(
    url: str, message: WebhookMessage, secret: str, moment: datetime
) -> WebhookRequest:
    payload = {
        "event": message.event,
        "title": message.title,
        "lines": list(message.lines),
        "url": message.url,
        "data": dict(message.data),
        "sent_at": moment.astimezone(UTC).isoformat(timespec="seconds"),
    }
    body = _dumps(payload)
    headers = dict(_JSON_HEADERS)
    if secret:
        digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        headers[SIGNATURE_HEADER] = f"sha256={digest}"
    return WebhookRequest(url, body, headers, WebhookKind.GENERIC)


# ---------------------------------------------------------------------------------------- sending


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the 3xx surfaces as an :class:`urllib.error.HTTPError`."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def send_webhook(request: WebhookRequest, *, timeout: float = 5.0) -> WebhookResult:
    """POST ``request`` and report how it went; never raises for network trouble.

    ``timeout`` (seconds) bounds connecting and each read. Proxies from the environment are
    ignored and redirects are not followed (a 3xx is a failure). A robot's answer is checked for
    its error code (DingTalk/WeCom ``errcode``, Feishu ``code`` or the older ``StatusCode``);
    a non-zero code gives ``ok=False`` with the platform's message in ``error``. Raises
    :class:`~opslens.core.errors.ConfigError` only for a timeout that is not positive.
    """
    if not timeout > 0:
        raise ConfigError(f"webhook timeout must be positive, not {timeout!r}")
    http_request = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _RefuseRedirects())
    parts = urllib.parse.urlsplit(request.url)  # errors name the host only: never the token
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    try:
        with opener.open(http_request, timeout=timeout) as answer:
            status: int = answer.status
            raw: bytes = answer.read(_READ_LIMIT)
    except urllib.error.HTTPError as exc:
        text = _decode(_read_quietly(exc))
        if 300 <= exc.code < 400:
            target = exc.headers.get("Location", "") if exc.headers else ""
            error = f"HTTP {exc.code} redirect to {target or '?'} not followed"
        else:
            error = f"HTTP {exc.code} {exc.reason}".rstrip()
        return _failure(exc.code, error, text)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return _failure(None, f"no answer from {host} within {timeout:g} s")
        return _failure(None, f"cannot reach {host}: {exc.reason}")
    except TimeoutError:
        return _failure(None, f"no answer from {host} within {timeout:g} s")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return _failure(None, f"{host}: {type(exc).__name__}: {exc}")
    text = _decode(raw)
    if not 200 <= status < 300:  # 1xx and the like: urllib hands them back without an error
        return _failure(status, f"HTTP {status}", text)
    error = _platform_error(request.kind, text)
    if error:
        return _failure(status, error, text)
    return WebhookResult(ok=True, status=status, error="", response=text[:RESPONSE_EXCERPT_CHARS])


def _failure(status: int | None, error: str, text: str = "") -> WebhookResult:
    return WebhookResult(
        ok=False,
        status=status,
        error=_one_line(error)[:_ERROR_CHARS],
        response=text[:RESPONSE_EXCERPT_CHARS],
    )


def _read_quietly(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read(_READ_LIMIT)
    except (OSError, http.client.HTTPException, ValueError):
        return b""
    finally:
        exc.close()


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _platform_error(kind: WebhookKind, text: str) -> str:
    """Empty when the robot's answer reports success, else why it did not."""
    if kind is WebhookKind.GENERIC:
        return ""
    try:
        answer = json.loads(text)
    except ValueError:
        return f"{kind.label} answered something that is not JSON"
    if not isinstance(answer, dict):
        return f"{kind.label} answered JSON without an error code"
    if kind is WebhookKind.FEISHU:
        # Current answers carry "code"/"msg"; older ones only "StatusCode"/"StatusMessage".
        legacy = "code" not in answer
        code_key, message_key = ("StatusCode", "StatusMessage") if legacy else ("code", "msg")
    else:
        code_key, message_key = "errcode", "errmsg"
    if code_key not in answer:
        return f"{kind.label} answered JSON without an error code"
    code = answer[code_key]
    if code in (0, "0") and code is not False:
        return ""
    return f"{kind.label} error {code}: {answer.get(message_key) or 'no message'}"
