"""Notifications and the change history shown on every record's page."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.db.models import QuerySet

from opslens.web.common.models import Notification


def notify(user: Any, message: str, url: str = "", *, email: bool = True) -> Notification | None:
    """An in-app notification for ``user``, e-mailed by the worker after the commit."""
    if user is None:
        return None
    note = Notification.objects.create(user=user, message=message[:500], url=url)
    if not email:
        return note

    def enqueue() -> None:
        from opslens.web.common.tasks import email_notification

        email_notification.enqueue(note.pk)

    transaction.on_commit(enqueue)
    return note


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    action: str  # "+", "~", "-"
    model: str
    record: str
    changes: tuple[FieldChange, ...]


def _display(model: Any, field_name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        field = model._meta.get_field(field_name)
    except Exception:
        return str(value)
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.many_to_many is False and field.related_model is not None:
        target = field.related_model.objects.filter(pk=value).first()
        return str(target) if target is not None else str(value)
    if isinstance(value, list):  # m2m diffs come as lists of through rows
        return ", ".join(str(v) for v in value) or "—"
    if field.get_internal_type() == "DecimalField":
        from opslens.web.common.templatetags.opslens import number

        return number(value)  # 525000.00 → "525,000", 329.0000 → "329"
    return str(value)


def history_of(histories: Iterable[QuerySet[Any]], *, limit: int = 300) -> list[HistoryEntry]:
    """Who changed what and when, newest first.

    ``histories`` are querysets of simple-history's historical models (e.g.
    ``Step.history.filter(version__process=p)``), so deleted records still show.
    """
    histories = list(histories)
    key = _history_key(histories, limit)
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    entries = _history_entries(histories, limit)
    cache.set(key, entries, HISTORY_CACHE_SECONDS)
    return entries


#: How long a page's change history is reused while no record of it changes (display names of
#: related rows, e.g. a renamed department, are at most this old).
HISTORY_CACHE_SECONDS = 300


def _history_key(histories: list[QuerySet[Any]], limit: int) -> str:
    """A key that changes with every new history row of any of ``histories``: their SQL, the
    newest history id and time and the row count of each, and the language of the labels."""
    from django.db.models import Count, Max
    from django.utils.translation import get_language

    parts = [get_language() or "", str(limit)]
    for queryset in histories:
        try:
            sql = str(queryset.query)
        except EmptyResultSet:  # e.g. ``id__in=[]``: nothing to show, nothing to ask
            parts.append("empty")
            continue
        latest = queryset.order_by().aggregate(
            m=Max("history_id"), n=Count("history_id"), t=Max("history_date")
        )
        parts += [sql, str(latest["m"]), str(latest["n"]), str(latest["t"])]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"opslens:history:{digest}"


def _history_entries(histories: list[QuerySet[Any]], limit: int) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    related: dict[tuple[Any, Any], Any] = {}  # (model, pk) → row, fetched once per call
    for queryset in histories:
        model = queryset.model.instance_type  # type: ignore[attr-defined]
        previous: dict[Any, Any] = {}
        rows = queryset.select_related("history_user__person").order_by(
            "id", "history_date", "history_id"
        )
        last: dict[Any, int] = {}  # record id → index of its latest entry in ``entries``
        for item in rows:
            prior = previous.get(item.id)
            previous[item.id] = item
            changes: list[FieldChange] = []
            m2m_only = True
            if prior is not None and item.history_type == "~":
                delta = item.diff_against(prior)
                for change in delta.changes:
                    if isinstance(change.old, list) or isinstance(change.new, list):
                        old, new = _m2m_names(change.old), _m2m_names(change.new)
                    else:
                        m2m_only = False
                        old = _display(model, change.field, change.old)
                        new = _display(model, change.field, change.new)
                    if old != new:
                        changes.append(FieldChange(_field_label(model, change.field), old, new))
                if not changes:
                    continue
            user = item.history_user
            who = "—"
            if user is not None:
                person = getattr(user, "person", None)
                who = person.name if person is not None else user.get_username()
            entry = HistoryEntry(
                when=item.history_date,
                who=who,
                action=item.history_type,
                model=str(model._meta.verbose_name),
                record=_describe(item.instance, related),
                changes=tuple(changes),
            )
            earlier = entries[last[item.id]] if item.id in last else None
            if (
                earlier is not None
                and item.history_type == "~"
                and m2m_only
                and _same_save(earlier, entry)
            ):
                # Django sets a many-to-many field by removing, then adding: one change to show
                entries[last[item.id]] = _fold(earlier, entry)
                continue
            last[item.id] = len(entries)
            entries.append(entry)
    entries = [e for e in entries if e.action != "~" or e.changes]
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit]


def _same_save(earlier: HistoryEntry, later: HistoryEntry) -> bool:
    """Whether ``later`` (a many-to-many step) belongs to the same save as ``earlier``."""
    return earlier.who == later.who and abs((later.when - earlier.when).total_seconds()) <= 5


def _fold(earlier: HistoryEntry, later: HistoryEntry) -> HistoryEntry:
    """``earlier`` with ``later``'s many-to-many changes applied: old from the first, new from
    the last; a record just created shows as created, without its initial departments."""
    if earlier.action == "+":
        return earlier
    changes = {c.field: c for c in earlier.changes}
    for change in later.changes:
        first = changes.get(change.field)
        changes[change.field] = FieldChange(
            change.field, first.old if first else change.old, change.new
        )
    kept = tuple(c for c in changes.values() if c.old != c.new)
    return HistoryEntry(
        earlier.when, earlier.who, earlier.action, earlier.model, earlier.record, kept
    )


def _describe(instance: Any, related: dict[tuple[Any, Any], Any]) -> str:
    """``str(instance)`` with its foreign keys filled from ``related`` — one query per related
    row for the whole history, not one per entry (a daily KPI has hundreds of values)."""
    for field in instance._meta.concrete_fields:
        if not field.is_relation or field.many_to_one is False:
            continue
        key = getattr(instance, field.attname, None)
        if key is None:
            continue
        model = field.related_model
        if (model, key) not in related:
            related[(model, key)] = model._default_manager.filter(pk=key).first()
        if related[(model, key)] is not None:
            setattr(instance, field.name, related[(model, key)])
    return str(instance)


def _m2m_names(rows: Any) -> str:
    names = []
    for row in rows or []:
        for key, value in row.items():
            if key.endswith("department") or key == "department":
                from opslens.web.org.models import Department

                dept = Department.objects.filter(pk=value).first()
                names.append(str(dept) if dept else str(value))
    return "、".join(sorted(names)) or "—"


def _field_label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:
        return name
