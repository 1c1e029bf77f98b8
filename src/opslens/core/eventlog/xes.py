"""Read an XES event log (``.xes`` or ``.xes.gz``) into one flat Arrow table.

The reader streams the document through lxml's pull parser, one ``<trace>`` at a time, and frees
every trace once its events are collected, so memory grows with the output table, not with the
file. Column values are gathered as the text written in the file and typed once at the end with
vectorised Arrow casts.

Safety: the parser never expands entities, never loads a DTD and never touches the network. A
document whose DOCTYPE declares any entity (general or parameter, internal or external) or refers
to an external DTD is rejected before its content is read; libxml2's own amplification guard
stops entity bombs hidden anywhere else. Every failure surfaces as
:class:`~opslens.core.errors.UnreadableFileError` (or
:class:`~opslens.core.errors.InsufficientDataError` for a log without events), with a one-line
message that names the file and, for XML errors, the line.

Why lxml and not r4pm (the Rust reader PM4Py uses): see ``docs/decisions.md``, section
"XES reader: lxml iterparse vs r4pm".
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from opslens.core.errors import InsufficientDataError, UnreadableFileError

__all__ = ["read_xes_table"]

#: Bytes handed to the XML parser per feed.
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
#: ``{*}`` matches the element in any namespace or none (XES 1849-2016 files use a default
#: namespace, older ones none).
_EVENT_TAGS = ("{*}event",)
_VALUE_TAGS = ("{*}string", "{*}date", "{*}int", "{*}float", "{*}boolean", "{*}id")
#: XES attribute element -> the kind of column it makes (``id`` is text like ``string``).
_KINDS = {
    "string": "string",
    "id": "string",
    "date": "date",
    "int": "int",
    "float": "float",
    "boolean": "boolean",
}
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
#: An ``xs:dateTime`` as XES writes it, loosely: optional time, any number of fraction digits,
#: optional ``Z`` / ``±hh:mm`` / ``±hhmm`` / ``±hh`` offset.
_DATE_RE = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?\s*"
)
#: Strings ending with an explicit offset or ``Z`` (used to add ``Z`` to the others).
_HAS_OFFSET = r"([Zz]|[+-]\d{2}(:?\d{2})?)$"

#: column key -> {row or trace number -> value as written (None if the element has no value)}
_Columns = dict[str, dict[int, str | None]]


def read_xes_table(path: str | os.PathLike[str]) -> pa.Table:
    """Read an XES log into a table with one row per ``<event>``, in document order.

    Args:
        path: a ``.xes`` file or a gzip-compressed one. Compression is recognised by the gzip
            magic bytes, whatever the name; a name ending in ``.gz`` whose content is not gzip
            is an error.

    Returns:
        A :class:`pyarrow.Table` with

        * one column per event attribute key (``concept:name``, ``time:timestamp``,
          ``lifecycle:transition``, ``org:resource``, ...), in order of first appearance;
        * one column per trace attribute key, prefixed with ``case:`` (``case:concept:name``,
          ``case:AMOUNT_REQ``, ...), each event carrying the values of its trace;
        * ``row`` (int64): the 1-based position of the event among the events of the document.

        Types follow the XES element: ``<string>`` and ``<id>`` give string, ``<date>`` gives
        ``timestamp[us, tz=UTC]`` (the written offset is applied exactly; a date written without
        offset is taken as UTC; digits beyond microseconds are truncated), ``<int>`` gives int64,
        ``<float>`` float64 and ``<boolean>`` bool. A key written with different types in
        different places, or holding a value that does not parse as its declared type, becomes a
        string column with every value as written. A value an event does not have is null.
        ``<list>`` and ``<container>`` attributes, nested (meta) attributes, log-level
        attributes, globals, classifiers and extensions are ignored, and so are ``<event>``
        elements outside a ``<trace>``. When a key occurs twice in one event, the later value
        of the same type wins.

        Name clashes are settled in favour of ``row``, then of the ``case:`` columns: an event
        attribute whose key is already taken is renamed with an ``event:`` prefix.

    Raises:
        UnreadableFileError: the file is missing, empty, not gzip despite a ``.gz`` name,
            truncated or corrupt gzip, not XML, malformed XML (the message gives the line), not
            an XES log, or declares entities or an external DTD.
        InsufficientDataError: the log is valid but holds no event inside a trace.
    """
    name = os.fspath(path)
    stream = _open(name)
    try:
        collector = _parse(stream, name)
    finally:
        try:
            stream.close()
        except (OSError, EOFError, zlib.error):
            pass
    if collector.rows == 0:
        raise InsufficientDataError(f"{name}: the XES log holds no events (no <event> in a <trace>)")
    return collector.to_table()


# --------------------------------------------------------------------------------------------
# Opening


def _open(name: str) -> IO[bytes]:
    """Open ``name`` for reading, through gzip when its first bytes say so."""
    try:
        raw: IO[bytes] = open(name, "rb")  # noqa: SIM115 - returned to the caller, closed there
    except FileNotFoundError:
        raise UnreadableFileError("no such file", file=name) from None
    except IsADirectoryError:
        raise UnreadableFileError("is a directory, not a file", file=name) from None
    except PermissionError:
        raise UnreadableFileError("permission denied", file=name) from None
    except OSError as exc:
        raise UnreadableFileError(f"cannot open the file: {_os_reason(exc)}", file=name) from None
    try:
        head = raw.read(2)
        raw.seek(0)
    except OSError as exc:
        raw.close()
        raise UnreadableFileError(f"cannot read the file: {_os_reason(exc)}", file=name) from None
    if head == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head == b"":
        raw.close()
        raise UnreadableFileError("the file is empty", file=name)
    if name.lower().endswith(".gz"):
        raw.close()
        raise UnreadableFileError(
            "the name ends in .gz but the content is not gzip-compressed", file=name
        )
    return raw


def _os_reason(exc: BaseException) -> str:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return _one_line(str(reason))


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Parsing


def _parse(stream: IO[bytes], name: str) -> _Collector:
    """Feed ``stream`` to a non-resolving pull parser and collect every trace's events."""
    parser = etree.XMLPullParser(
        events=("start", "end"),
        tag=("{*}log", "{*}trace"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    state = _ParseState(name)
    collector = _Collector()
    compressed = isinstance(stream, gzip.GzipFile)
    while True:
        chunk = _read(stream, name, compressed)
        if not chunk:
            break
        if not state.head:
            state.head = chunk[:64]
        try:
            parser.feed(chunk)
        except etree.XMLSyntaxError as exc:
            _fail_xml(parser, state, exc)
        _handle(parser.read_events(), state, collector)
    if not state.head:
        raise UnreadableFileError("the file is empty (nothing after decompression)", file=name)
    try:
        document_root = parser.close()
    except etree.XMLSyntaxError as exc:
        _fail_xml(parser, state, exc)
    _handle(parser.read_events(), state, collector)
    if state.root is None:
        _check_doctype(document_root, name)
        local = etree.QName(document_root).localname if document_root is not None else "?"
        raise UnreadableFileError(
            f"not an XES log: the root element is <{local}>, not <log>", file=name
        )
    return collector


class _ParseState:
    __slots__ = ("head", "name", "root")

    def __init__(self, name: str) -> None:
        self.name = name
        self.root: Any = None
        self.head = b""


def _read(stream: IO[bytes], name: str, compressed: bool) -> bytes:
    try:
        return stream.read(_CHUNK)
    except EOFError:
        raise UnreadableFileError(
            "the gzip data is truncated (the file ends before the compressed stream does)",
            file=name,
        ) from None
    except gzip.BadGzipFile as exc:
        raise UnreadableFileError(f"invalid gzip data: {_one_line(str(exc))}", file=name) from None
    except zlib.error as exc:
        raise UnreadableFileError(f"corrupt gzip data: {_one_line(str(exc))}", file=name) from None
    except OSError as exc:
        what = "decompress" if compressed else "read"
        raise UnreadableFileError(
            f"cannot {what} the file: {_os_reason(exc)}", file=name
        ) from None


def _handle(events: Iterable[tuple[str, Any]], state: _ParseState, collector: _Collector) -> None:
    """Act on parser events: check the root and its DOCTYPE once, collect each finished trace."""
    root = state.root
    for kind, element in events:
        if kind == "end":
            if root is not None and element.getparent() is root:
                collector.add_trace(element)
                # Free the finished trace and everything before it (globals, log attributes).
                element.clear()
                while element.getprevious() is not None:
                    del root[0]
        elif root is None and element.getparent() is None:
            _check_doctype(element, state.name)
            if etree.QName(element).localname != "log":  # a <trace> root
                raise UnreadableFileError(
                    "not an XES log: the root element is <trace>, not <log>", file=state.name
                )
            root = state.root = element


def _check_doctype(element: Any, name: str) -> None:
    """Reject a DOCTYPE that declares entities or points to an external DTD."""
    if element is None:
        return
    info = element.getroottree().docinfo
    if info.system_url or info.public_id:
        raise UnreadableFileError(
            "the document refers to an external DTD, which opslens never loads "
            "(XES needs no DTD); remove the DOCTYPE",
            file=name,
        )
    dtd = info.internalDTD
    if dtd is not None:
        names = [entity.name for entity in dtd.iterentities()]
        if names:
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise UnreadableFileError(
                f"the DOCTYPE declares XML entities ({shown}), which opslens refuses to expand; "
                "remove the DOCTYPE",
                file=name,
            )


def _fail_xml(parser: Any, state: _ParseState, exc: Any) -> None:
    """Turn a libxml2 syntax error into our error, after checking the DOCTYPE it may stem from."""
    if state.root is None:
        for kind, element in parser.read_events():
            if kind == "start" and element.getparent() is None:
                _check_doctype(element, state.name)
                state.root = element
                break
    head = state.head
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    head = head.lstrip(b" \t\r\n\x00")
    if state.root is None and not head.startswith(b"<"):
        raise UnreadableFileError(
            "not an XML document (it does not start with '<')", file=state.name
        ) from None
    line = getattr(exc, "lineno", None)
    message = getattr(exc, "msg", None) or str(exc)
    message = _one_line(re.sub(r",? line \d+, column \d+$", "", str(message)))
    where = f" at line {line}" if line else ""
    raise UnreadableFileError(f"malformed XML{where}: {message}", file=state.name) from None


# --------------------------------------------------------------------------------------------
# Collecting


class _Collector:
    """Gathers attribute values per kind, key and row while the parser streams."""

    def __init__(self) -> None:
        self.rows = 0
        self.traces = 0
        #: events per trace, in document order (traces without events count 0)
        self.counts: list[int] = []
        #: full element tag (namespace included) -> key -> {row: value}
        self.event_stores: dict[str, _Columns] = {}
        self.trace_stores: dict[str, _Columns] = {}
        #: keys in order of first appearance (dicts used as ordered sets)
        self.event_keys: dict[str, None] = {}
        self.trace_keys: dict[str, None] = {}

    def add_trace(self, trace: Any) -> None:
        """Collect the events of one finished ``<trace>`` and the trace's own attributes."""
        row = first = self.rows
        stores = self.event_stores
        keys = self.event_keys
        for event in trace.iterchildren(_EVENT_TAGS):
            row += 1
            for attribute in event.iterchildren(_VALUE_TAGS):
                tag = attribute.tag
                store = stores.get(tag)
                if store is None:
                    store = stores[tag] = {}
                key = attribute.get("key")
                column = store.get(key)
                if column is None:
                    if key is None:
                        continue
                    column = store[key] = {}
                    keys.setdefault(key)
                column[row] = attribute.get("value")
        self.rows = row
        self.counts.append(row - first)
        number = self.traces = self.traces + 1
        tstores = self.trace_stores
        for attribute in trace.iterchildren(_VALUE_TAGS):
            tag = attribute.tag
            store = tstores.get(tag)
            if store is None:
                store = tstores[tag] = {}
            key = attribute.get("key")
            column = store.get(key)
            if column is None:
                if key is None:
                    continue
                column = store[key] = {}
                self.trace_keys.setdefault(key)
            column[number] = attribute.get("value")

    def to_table(self) -> pa.Table:
        """Type every column once and assemble the table."""
        n = self.rows
        columns: dict[str, pa.Array] = {}
        trace_of_row = pa.array(np.repeat(np.arange(self.traces, dtype=np.int64), self.counts))
        event_names = list(self.event_keys)
        case_names = [f"case:{key}" for key in self.trace_keys]
        taken = {"row", *case_names}
        for key in event_names:
            column = _typed_column(key, self.event_stores, n)
            name = key
            while name in taken:
                name = f"event:{name}"
            taken.add(name)
            columns[name] = column
        for key, name in zip(self.trace_keys, case_names, strict=True):
            per_trace = _typed_column(key, self.trace_stores, self.traces)
            columns[name] = per_trace.take(trace_of_row)
        columns["row"] = pa.array(np.arange(1, n + 1, dtype=np.int64))
        return pa.table(columns)


# --------------------------------------------------------------------------------------------
# Typing


def _typed_column(key: str, stores: dict[str, _Columns], length: int) -> pa.Array:
    """Build the Arrow column of ``key`` (``length`` slots, 1-based) from every store holding it."""
    parts: list[tuple[str, dict[int, str | None]]] = []
    for tag, store in stores.items():
        values = store.get(key)
        if values is not None:
            parts.append((_KINDS[etree.QName(tag).localname], values))
    kinds = {kind for kind, _ in parts}
    if len(parts) == 1:
        kind, values = parts[0]
    else:
        merged: dict[int, str | None] = {}
        for _, part in parts:
            merged.update(part)
        values = dict(sorted(merged.items()))
        kind = kinds.pop() if len(kinds) == 1 else "string"
    text = pa.array(list(values.values()), type=pa.string())
    typed = _CONVERTERS[kind](text) if kind != "string" else None
    dense = typed if typed is not None else text
    if len(values) == length:
        return dense
    positions = np.full(length, -1, dtype=np.int64)
    positions[np.fromiter(values.keys(), dtype=np.int64, count=len(values)) - 1] = np.arange(
        len(values), dtype=np.int64
    )
    return dense.take(pa.array(positions, mask=positions < 0))


def _to_int(text: pa.Array) -> pa.Array | None:
    try:
        return text.cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return _python_fallback(text, lambda value: int(value.strip()), pa.int64())


def _to_float(text: pa.Array) -> pa.Array | None:
    try:
        return text.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return _python_fallback(text, lambda value: float(value.strip()), pa.float64())


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _to_bool(text: pa.Array) -> pa.Array | None:
    try:
        return text.cast(pa.bool_())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return _python_fallback(text, lambda value: _BOOLEANS[value.strip().lower()], pa.bool_())


def _to_timestamp(text: pa.Array) -> pa.Array | None:
    """Parse XES dates to UTC microseconds: Arrow's ISO-8601 cast first, Python only if needed."""
    try:
        return text.cast(_TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    # Dates without offset are UTC: add the Z that Arrow needs, and try again.
    try:
        has_offset = pc.match_substring_regex(text, _HAS_OFFSET)
        with_z = pc.if_else(has_offset, text, pc.binary_join_element_wise(text, "Z", ""))
        return with_z.cast(_TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return _python_fallback(text, _date_to_us, _TIMESTAMP)


def _date_to_us(value: str) -> int:
    """Microseconds since the epoch of one XES date; raises ValueError when it is not one."""
    match = _DATE_RE.fullmatch(value)
    if match is None:
        raise ValueError(value)
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    hours = int(hour or 0)
    extra = timedelta(0)
    if hours == 24:  # xs:dateTime allows 24:00:00 for the end of the day
        if int(minute or 0) or int(second or 0) or micro:
            raise ValueError(value)
        hours, extra = 0, timedelta(days=1)
    offset = timedelta(0)
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        if sign == "-":
            offset = -offset
    moment = datetime(
        int(year),
        int(month),
        int(day),
        hours,
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=timezone(offset),
    )
    return (moment + extra - _EPOCH) // _ONE_US


def _python_fallback(
    text: pa.Array, parse: Callable[[str], object], target: pa.DataType
) -> pa.Array | None:
    """Parse value by value; ``None`` (keep the text) when any value is not of the type."""
    parsed: list[object] = []
    append = parsed.append
    try:
        for value in text.to_pylist():
            append(None if value is None else parse(value))
        return pa.array(parsed, type=target)
    except (ValueError, KeyError, OverflowError, pa.ArrowInvalid):
        return None


_CONVERTERS: dict[str, Callable[[pa.Array], pa.Array | None]] = {
    "int": _to_int,
    "float": _to_float,
    "boolean": _to_bool,
    "date": _to_timestamp,
}
