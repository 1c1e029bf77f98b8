"""Who sees and changes cost data (分级数据权限).

Cost lines are confidential. A user reads the lines of their own department; people of a
department whose ``cost_access`` is *finance* (财务部) or *management* (总经办) read every line,
and so do operations admins. Every page, export, import preview and search goes through
:func:`visible_lines`. Changing a line follows the usual rule (its department's heads, members
and analysts, operations admins) plus finance, who keeps the books; only finance and operations
admins open, close and reopen months and configure categories.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from opslens.web.common.permissions import EDITING_ROLES, is_ops_admin, person_of
from opslens.web.costs.models import CostLine
from opslens.web.org.models import CostAccess


def sees_all(user: Any) -> bool:
    if is_ops_admin(user):
        return True
    person = person_of(user)
    return (
        person is not None
        and person.department is not None
        and person.department.cost_access in (CostAccess.FINANCE, CostAccess.MANAGEMENT)
    )


def visible_lines(user: Any) -> QuerySet[CostLine]:
    lines = CostLine.objects.select_related(
        "month", "category", "department", "owner", "measure_department", "measure_owner"
    )
    if sees_all(user):
        return lines
    person = person_of(user)
    if person is None or person.department_id is None:
        return lines.none()
    return lines.filter(department_id=person.department_id)


def can_read(user: Any, line: CostLine) -> bool:
    return visible_lines(user).filter(pk=line.pk).exists()


def is_finance(user: Any) -> bool:
    if is_ops_admin(user):
        return True
    person = person_of(user)
    return (
        person is not None
        and person.role in EDITING_ROLES
        and person.department is not None
        and person.department.cost_access == CostAccess.FINANCE
    )


def can_manage_months(user: Any) -> bool:
    """Open, close and reopen months; configure categories and thresholds."""
    return is_finance(user)
