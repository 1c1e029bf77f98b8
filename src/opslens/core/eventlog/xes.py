"""Read an XES event log (``.xes`` or ``.xes.gz``) into one flat Arrow table.

The reader streams the document in 64 KiB chunks through lxml (libxml2) with a parser *target*:
no element tree is built, each element start calls back into a small collector, so memory grows
with the output table, not with the file. Column values are gathered as the text written in the
file and typed once at the end with vectorised Arrow casts (Python parses a value only when
Arrow's cast refuses a column).

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

import contextlib
import gzip
import io
import os
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from opslens.core.errors import InsufficientDataError, UnreadableFileError

__all__ = ["read_xes_chunks", "read_xes_table"]

#: Bytes handed to the XML parser per feed.
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
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
    r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?"
    r"\s*(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?\s*"
)
#: Strings ending with an explicit offset or ``Z`` (used to add ``Z`` to the others).
_HAS_OFFSET = r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$"
#: What the XES (XML Schema) lexical forms allow, surrounding whitespace included; Arrow's own
#: casts are more lenient (``0x10`` as an int, for one), so values are checked against these
#: first.
_INT_RE = r"^\s*[+-]?[0-9]+\s*$"
_FLOAT_RE = (
    r"^\s*([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity)|(?i:nan))\s*$"
)
_BOOL_RE = r"^\s*(?i:true|false|1|0)\s*$"

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
    collector = _read_into(os.fspath(path), _Collector())
    return collector.to_table()


def read_xes_chunks(
    path: str | os.PathLike[str], sink: Callable[[pa.Table], None], chunk_rows: int = 500_000
) -> int:
    """Stream an XES log to ``sink`` as tables of about ``chunk_rows`` events (whole traces).

    Each table is what :func:`read_xes_table` would return for its events (``row`` keeps the
    position in the whole document), so memory stays bounded by one chunk; a key's type may
    differ between chunks. Returns the number of events. Raises as :func:`read_xes_table`.
    """
    collector = _read_into(os.fspath(path), _Collector(sink, max(1, chunk_rows)))
    collector.flush()
    return collector.rows


def _read_into(name: str, collector: _Collector) -> _Collector:
    raw, stream = _open(name)
    try:
        _parse(stream, name, collector)
    finally:
        for handle in (stream, raw):
            with contextlib.suppress(OSError, EOFError, zlib.error):
                handle.close()
    if collector.rows == 0:
        raise InsufficientDataError(
            f"{name}: the XES log holds no events (no <event> in a <trace>)"
        )
    return collector


# --------------------------------------------------------------------------------------------
# Opening


def _open(name: str) -> tuple[io.BufferedIOBase, io.BufferedIOBase]:
    """Open ``name``; return the file and the stream to read (through gzip if it is gzip)."""
    try:
        raw: io.BufferedIOBase = open(name, "rb")  # noqa: SIM115 (the caller closes it)
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
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")
    if head == b"":
        raw.close()
        raise UnreadableFileError("the file is empty", file=name)
    if name.lower().endswith(".gz"):
        raw.close()
        raise UnreadableFileError(
            "the name ends in .gz but the content is not gzip-compressed", file=name
        )
    return raw, raw


def _os_reason(exc: BaseException) -> str:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return _one_line(str(reason))


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Parsing
#
# Two lxml parsers share the work. A tree-building pull parser reads only the prolog, up to the
# root element's start tag, so that the DOCTYPE can be inspected (a SAX-style parser does not
# report entity declarations). The content is then fed, from the first byte again, to a parser
# with a Python *target*: it builds no tree at all and calls ``_Collector.start``/``end`` per
# element, which measured about 30 % faster than iterparse plus per-trace element walking (see
# docs/decisions.md) and keeps memory at the size of the collected values.


def _parse(stream: io.BufferedIOBase, name: str, collector: _Collector) -> _Collector:
    """Check the prolog, then stream the whole document into ``collector``."""
    options: dict[str, Any] = {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "attribute_defaults": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
        # Never pass collect_ids=False: lxml then sets libxml2's XML_SKIP_IDS "loadsubset" flag,
        # and with it libxml2 fetches external parameter entities (<!ENTITY % p SYSTEM ...> %p;)
        # despite load_dtd=False - measured with strace on lxml 6.1 / libxml2 2.14.
    }
    compressed = isinstance(stream, gzip.GzipFile)
    head: list[bytes] = []
    sniffer = etree.XMLPullParser(events=("start",), **options)
    root: Any = None
    while root is None:
        chunk = _read(stream, name, compressed)
        if not chunk:
            break
        head.append(chunk)
        try:
            sniffer.feed(chunk)
        except etree.LxmlError as exc:
            _fail_xml(exc, name, head[0], _first_start(sniffer))
        root = _first_start(sniffer)
    if not head:
        raise UnreadableFileError("the file is empty (nothing after decompression)", file=name)
    if root is None:  # the data ended before any element started
        try:
            sniffer.close()
        except etree.LxmlError as exc:
            _fail_xml(exc, name, head[0], None)
        raise UnreadableFileError("not an XML document (no root element)", file=name)
    _check_root(root, name)
    del sniffer, root

    parser = etree.XMLParser(target=collector, **options)
    try:
        for chunk in head:
            parser.feed(chunk)
        del head
        while chunk := _read(stream, name, compressed):
            parser.feed(chunk)
        parser.close()
    except etree.LxmlError as exc:
        _fail_xml(exc, name, b"<", None)
    return collector


def _first_start(sniffer: Any) -> Any:
    """The root element, once the sniffing parser has seen its start tag."""
    for _kind, element in sniffer.read_events():
        return element
    return None


def _read(stream: io.BufferedIOBase, name: str, compressed: bool) -> bytes:
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
        raise UnreadableFileError(f"cannot {what} the file: {_os_reason(exc)}", file=name) from None


def _check_root(root: Any, name: str) -> None:
    """Reject entity declarations and external DTDs, then anything but a ``<log>`` root."""
    info = root.getroottree().docinfo
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
    local = etree.QName(root).localname
    if local != "log":
        raise UnreadableFileError(
            f"not an XES log: the root element is <{local}>, not <log>", file=name
        )


def _fail_xml(exc: Any, name: str, head: bytes, root: Any) -> NoReturn:
    """Turn a libxml2 syntax error into our error, after checking the DOCTYPE it may stem from."""
    if root is not None:
        _check_root(root, name)
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    head = head.lstrip(b" \t\r\n\x00")
    if root is None and not head:
        raise UnreadableFileError("the file holds only blanks, no XML", file=name) from None
    if root is None and not head.startswith(b"<"):
        raise UnreadableFileError(
            "not an XML document (it does not start with '<')", file=name
        ) from None
    line = getattr(exc, "lineno", None)
    message = getattr(exc, "msg", None) or str(exc)
    message = _one_line(re.sub(r",? line \d+, column \d+$", "", str(message)))
    where = f" at line {line}" if line else ""
    raise UnreadableFileError(f"malformed XML{where}: {message}", file=name) from None


# --------------------------------------------------------------------------------------------
# Collecting


class _Collector:
    """Parser target: gathers attribute values per element tag, key and row while streaming.

    Depth 1 is ``<log>``, 2 its children (only ``<trace>`` matters), 3 a trace's children
    (``<event>`` or a trace attribute), 4 an event's children (event attributes). Deeper
    elements (meta-attributes, list items) and everything outside traces are skipped.
    """

    def __init__(self, sink: Callable[[pa.Table], None] | None = None, chunk_rows: int = 0) -> None:
        #: with a sink, every ``chunk_rows`` events (at the next trace end) go out as a table
        self._sink = sink
        self._chunk_rows = chunk_rows
        self._row_base = 0  # rows and traces already handed to the sink
        self._trace_base = 0
        self.rows = 0
        self.traces = 0
        #: events per trace, in document order (traces without events count 0)
        self.counts: list[int] = []
        #: element tag as parsed (namespace included) -> key -> {row or trace number: value};
        #: tags that are not value attributes (list, container, ...) map to None
        self.event_stores: dict[str, _Columns | None] = {}
        self.trace_stores: dict[str, _Columns | None] = {}
        #: keys in order of first appearance (dicts used as ordered sets)
        self.event_keys: dict[str, None] = {}
        self.trace_keys: dict[str, None] = {}
        self._depth = 0
        self._in_trace = False
        self._in_event = False
        self._first_row = 0

    def start(self, tag: str, attrib: Any) -> None:
        depth = self._depth = self._depth + 1
        if depth == 4:
            if self._in_event:
                store = self.event_stores.get(tag, _UNSEEN)
                if store is None:
                    return
                if store is _UNSEEN:
                    store = self.event_stores[tag] = _new_store(tag)
                    if store is None:
                        return
                key = attrib.get("key")
                column = store.get(key)
                if column is None:
                    if key is None:
                        return
                    column = store[key] = {}
                    self.event_keys.setdefault(key)
                column[self.rows] = attrib.get("value")
        elif depth == 3:
            if not self._in_trace:
                return
            if tag in _EVENT_TAGS or _local(tag) == "event":
                self.rows += 1
                self._in_event = True
                return
            self._in_event = False
            store = self.trace_stores.get(tag, _UNSEEN)
            if store is _UNSEEN:
                store = self.trace_stores[tag] = _new_store(tag)
            if store is None:
                return
            key = attrib.get("key")
            column = store.get(key)
            if column is None:
                if key is None:
                    return
                column = store[key] = {}
                self.trace_keys.setdefault(key)
            column[self.traces] = attrib.get("value")
        elif depth == 2:
            if _local(tag) == "trace":
                self._in_trace = True
                self.traces += 1
                self._first_row = self.rows
            else:
                self._in_trace = False

    def end(self, tag: str) -> None:
        depth = self._depth
        self._depth = depth - 1
        if depth == 3:
            self._in_event = False
        elif depth == 2 and self._in_trace:
            self._in_trace = False
            self.counts.append(self.rows - self._first_row)
            if self._sink is not None and self.rows - self._row_base >= self._chunk_rows:
                self.flush()

    def flush(self) -> None:
        """Hand the events gathered since the last flush to the sink, then start afresh."""
        if self._sink is None or self.rows == self._row_base:
            return
        self._sink(self.to_table())
        self._row_base, self._trace_base = self.rows, self.traces
        self.counts = []
        self.event_stores, self.trace_stores = {}, {}
        self.event_keys, self.trace_keys = {}, {}

    def close(self) -> None:
        """Called by lxml at the end of the document; the results stay on the collector."""

    def to_table(self) -> pa.Table:
        """Type every column once and assemble the table (of the rows since the last flush)."""
        n = self.rows - self._row_base
        traces = self.traces - self._trace_base
        columns: dict[str, pa.Array] = {}
        trace_of_row = pa.array(np.repeat(np.arange(traces, dtype=np.int64), self.counts))
        case_names = [f"case:{_unescape_key(key)}" for key in self.trace_keys]
        taken = {"row", *case_names}
        for key in self.event_keys:
            column = _typed_column(key, self.event_stores, n, self._row_base)
            name = _unescape_key(key)
            while name in taken:
                name = f"event:{name}"
            taken.add(name)
            columns[name] = column
        for key, name in zip(self.trace_keys, case_names, strict=True):
            per_trace = _typed_column(key, self.trace_stores, traces, self._trace_base)
            columns[name] = per_trace.take(trace_of_row)
        columns["row"] = pa.array(np.arange(self._row_base + 1, self.rows + 1, dtype=np.int64))
        return pa.table(columns)


#: marks a tag not met yet in the per-tag store dicts
_UNSEEN: Any = object()
_EVENT_TAGS = frozenset({"event", "{http://www.xes-standard.org/}event"})


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# Without entity resolution, libxml2's SAX interface hands attribute values over with every
# literal "&" (written "&amp;", "&#38;" or "&#x26;") as the five characters "&#38;", and with no
# other "&" left, so replacing them back is an exact decoding. Other references ("&lt;", "&#20013;"
# ...) arrive decoded.
_ESCAPED_AMPERSAND = "&#38;"


def _unescape(text: pa.Array) -> pa.Array:
    return pc.replace_substring(text, _ESCAPED_AMPERSAND, "&")


def _unescape_key(key: str) -> str:
    return key.replace(_ESCAPED_AMPERSAND, "&")


def _new_store(tag: str) -> _Columns | None:
    """An empty store for a value attribute tag, None for tags the reader ignores."""
    return {} if _local(tag) in _KINDS else None


# --------------------------------------------------------------------------------------------
# Typing


def _typed_column(
    key: str, stores: dict[str, _Columns | None], length: int, offset: int = 0
) -> pa.Array:
    """Build the Arrow column of ``key`` from every store holding it.

    Stores are keyed by 1-based position; the column covers positions ``offset + 1`` to
    ``offset + length``.
    """
    parts: list[tuple[str, dict[int, str | None]]] = []
    for tag, store in stores.items():
        values = store.get(key) if store is not None else None
        if values is not None:
            parts.append((_KINDS[_local(tag)], values))
    kinds = {kind for kind, _ in parts}
    if len(parts) == 1:
        kind, values = parts[0]
    else:
        merged: dict[int, str | None] = {}
        for _, part in parts:
            merged.update(part)
        values = dict(sorted(merged.items()))
        kind = kinds.pop() if len(kinds) == 1 else "string"
    text = _unescape(pa.array(list(values.values()), type=pa.string()))
    typed = _CONVERTERS[kind](text) if kind != "string" else None
    dense = typed if typed is not None else text
    if len(values) == length:
        return dense
    positions = np.full(length, -1, dtype=np.int64)
    keys = np.fromiter(values.keys(), dtype=np.int64, count=len(values)) - 1 - offset
    positions[keys] = np.arange(len(values), dtype=np.int64)
    return dense.take(pa.array(positions, mask=positions < 0))


def _matches(text: pa.Array, pattern: str) -> bool:
    """Whether every non-null value of ``text`` matches ``pattern`` (RE2 syntax)."""
    return bool(pc.all(pc.match_substring_regex(text, pattern)).as_py() is not False)


def _arrow_cast(text: pa.Array, target: pa.DataType) -> pa.Array | None:
    """Arrow's vectorised cast, or ``None`` when Arrow cannot take every value (blanks, signs,
    "+INF", dates without an offset, out-of-range numbers); callers then try the next parser."""
    try:
        return text.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _to_int(text: pa.Array) -> pa.Array | None:
    if not _matches(text, _INT_RE):
        return None
    cast = _arrow_cast(text, pa.int64())
    return cast if cast is not None else _python_fallback(text, int, pa.int64())


def _to_float(text: pa.Array) -> pa.Array | None:
    if not _matches(text, _FLOAT_RE):
        return None
    cast = _arrow_cast(text, pa.float64())
    return cast if cast is not None else _python_fallback(text, float, pa.float64())


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _to_bool(text: pa.Array) -> pa.Array | None:
    if not _matches(text, _BOOL_RE):
        return None
    cast = _arrow_cast(text, pa.bool_())
    if cast is not None:
        return cast
    return _python_fallback(text, lambda value: _BOOLEANS[value.strip().lower()], pa.bool_())


def _to_timestamp(text: pa.Array) -> pa.Array | None:
    """Parse XES dates to UTC microseconds: Arrow's ISO-8601 cast first, Python only if needed."""
    cast = _arrow_cast(text, _TIMESTAMP)
    if cast is not None:
        return cast
    # Dates without offset are UTC: add the Z that Arrow needs, and try again.
    has_offset = pc.match_substring_regex(text, _HAS_OFFSET)
    with_z = pc.if_else(has_offset, text, pc.binary_join_element_wise(text, "Z", ""))
    cast = _arrow_cast(with_z, _TIMESTAMP)
    if cast is not None:
        return cast
    return _python_fallback(text, _date_to_us, _TIMESTAMP)


def _date_to_us(value: str) -> int:
    """Microseconds since the epoch of one XES date; raises ValueError when it is not one."""
    match = _DATE_RE.fullmatch(value)
    if match is None:
        raise ValueError(value)
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = match.groups()
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
