"""Reading T2 pages back: the tracker's rows, a form's fields as the browser would post them."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.web.costs.helpers import Row, table


def u(name: str, *args: Any) -> str:
    return reverse(f"projects:{name}", args=args)


def tracker(html: str | bytes) -> dict[str, Row]:
    """The tracker's rows by subtask name. Cells: #, subtask, lead, supports, milestone,
    schedule, slack, status, risks."""
    return {r.attrs["data-subtask"]: r for r in table(html, "tracker") if "data-subtask" in r.attrs}


SCHEDULE, SLACK, STATUS = 5, 6, 7


class _Form(HTMLParser):
    """The fields of the form ``data-testid=testid`` (the <template> rows left out); with an
    empty ``testid``, the first form that posts to its own page."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid = testid
        self.inside = False
        self.template = 0
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and (
            a.get("data-testid") == self.testid
            if self.testid
            else a.get("method") == "post" and "action" not in a
        ):
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.template += 1
        if self.template:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button"):
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "template" and self.template:
            self.template -= 1
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_data(client: Client, url: str, testid: str) -> dict[str, Any]:
    """GET ``url`` and read back the form as it would be posted unchanged."""
    response = client.get(url)
    assert response.status_code == 200
    parser = _Form(testid)
    parser.feed(response.content.decode())
    data: dict[str, Any] = {}
    for name, value in parser.fields:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    assert data, f"no form {testid!r} at {url}"
    return data


def add_dependency(data: dict[str, Any], predecessor: int, lag: int = 0) -> dict[str, Any]:
    """Fill the blank row of the dependency formset."""
    index = int(data["deps-INITIAL_FORMS"])
    assert f"deps-{index}-predecessor" in data, "the blank row is there"
    data[f"deps-{index}-predecessor"] = str(predecessor)
    data[f"deps-{index}-lag_days"] = str(lag)
    return data


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
