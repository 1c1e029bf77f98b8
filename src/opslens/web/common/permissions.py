"""Who may change what.

Every logged-in user reads everything (a module may restrict reading later: cost data will). A
record belongs to one or more departments; it is changed only by operations admins and by the
heads, members and analysts of one of those departments. Viewers never change anything. Views
check with :func:`can_edit` and answer 403 otherwise — in the page, in every form and export.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied

from opslens.web.org.models import Person, Role

EDITING_ROLES = {Role.HEAD, Role.MEMBER, Role.ANALYST}


class Owned(Protocol):
    def owning_departments(self) -> set[int]: ...


def person_of(user: Any) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.person  # type: ignore[no-any-return]
    except Person.DoesNotExist:
        return None


def is_ops_admin(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    person = person_of(user)
    return person is not None and person.role == Role.OPS_ADMIN


def editable_department_ids(user: Any) -> set[int] | None:
    """Departments whose records ``user`` may change; ``None`` means all of them."""
    if is_ops_admin(user):
        return None
    person = person_of(user)
    if person is None or person.department_id is None or person.role not in EDITING_ROLES:
        return set()
    return {person.department_id}


def can_edit_departments(user: Any, department_ids: Iterable[int]) -> bool:
    allowed = editable_department_ids(user)
    if allowed is None:
        return True
    return bool(allowed & set(department_ids))


def can_edit(user: Any, record: Owned) -> bool:
    return can_edit_departments(user, record.owning_departments())


def require_edit(user: Any, record: Owned) -> None:
    if not can_edit(user, record):
        raise PermissionDenied


def can_create(user: Any) -> bool:
    """May ``user`` create a record for at least one department?"""
    allowed = editable_department_ids(user)
    return allowed is None or bool(allowed)
