"""The workbench's "today".

Normally the local date. ``OPSLENS_TODAY`` (an ISO date) fixes it: the demo company lives in
2024, so ``opslens demo`` sets it to a day that makes its due dates, overdue lists and alerts
meaningful. Every rule that depends on the date (due measurements, overdue remedies and reviews,
new months) asks :func:`today`, never the system clock directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone


def today() -> date:
    fixed = getattr(settings, "OPSLENS_TODAY", None)
    if fixed:
        return date.fromisoformat(str(fixed))
    return timezone.localdate()


def is_fixed() -> bool:
    return bool(getattr(settings, "OPSLENS_TODAY", None))


def now() -> datetime:
    """The current moment; on a fixed day, that day at the current time of day."""
    current = timezone.now()
    if not is_fixed():
        return current
    local = timezone.localtime(current)
    return local.replace(year=today().year, month=today().month, day=today().day)


@contextmanager
def fixed(day: date) -> Iterator[None]:
    """Run with "today" set to ``day`` (the demo loader replays history this way)."""
    previous = getattr(settings, "OPSLENS_TODAY", None)
    settings.OPSLENS_TODAY = day.isoformat()
    try:
        yield
    finally:
        settings.OPSLENS_TODAY = previous
