"""Formatting filters: hours, shares and money, per the active locale."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


@register.filter
def hours(value: Any) -> str:
    """12 → "12", 0.25 → "0.25", 1234.5 → "1,234.5" (grouping per locale)."""
    number = _decimal(value)
    if number is None:
        return "—"
    number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    places = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """A fraction as a percentage: 0.4948 → "49.5%"."""
    number = _decimal(value)
    if number is None:
        return "—"
    shown = (number * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{number_format(shown, decimal_pos=places, use_l10n=True)}%"


@register.filter
def rate(value: Any) -> str:
    """A stored percentage (15.00) → "15%"."""
    number = _decimal(value)
    if number is None:
        return "—"
    return percent(number / 100, 1 if number % 1 else 0)


@register.filter
def money(value: Any) -> str:
    """Money in 元 with grouping and two decimals: 150000 → "150,000.00"."""
    number = _decimal(value)
    if number is None:
        return "—"
    return number_format(number, decimal_pos=2, use_l10n=True, force_grouping=True)


@register.filter
def number(value: Any) -> str:
    """A KPI value: up to 4 decimals, no trailing zeros, grouped: 4500.0000 → "4,500"."""
    num = _decimal(value)
    if num is None:
        return "—"
    num = num.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize()
    places = max(0, -num.as_tuple().exponent)  # type: ignore[operator]
    return number_format(num, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def signed_money(value: Any) -> str:
    """A variance in 元 with its sign and no cents when whole: 150000 → "+150,000"."""
    num = _decimal(value)
    if num is None:
        return "—"
    places = 0 if num == num.to_integral_value() else 2
    shown = number_format(abs(num), decimal_pos=places, use_l10n=True, force_grouping=True)
    return ("+" if num > 0 else "−" if num < 0 else "") + shown


@register.filter
def signed_percent(value: Any) -> str:
    """A ratio with its sign: 0.3 → "+30%", -0.125 → "−12.5%"; None → "n/a"."""
    num = _decimal(value)
    if num is None:
        return "n/a"
    shown = (abs(num) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP).normalize()
    places = max(0, -shown.as_tuple().exponent)  # type: ignore[operator]
    text = number_format(shown, decimal_pos=places, use_l10n=True)
    return ("+" if num > 0 else "−" if num < 0 else "") + text + "%"


@register.filter
def share_width(value: Any) -> str:
    """CSS width for a share bar, 0–100%."""
    number = _decimal(value) or Decimal(0)
    return f"{max(Decimal(0), min(Decimal(100), number * 100)):.1f}%"


@register.simple_tag(takes_context=True)
def can_edit_record(context: Any, record: Any) -> bool:
    from opslens.web.common.permissions import can_edit

    return can_edit(context["request"].user, record)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``row.cells|get_item:column`` — a mapping's value by a key held in a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def abs_int(value: Any) -> int:
    """The absolute value of a whole number (days before or after a date)."""
    try:
        return abs(int(value))
    except (TypeError, ValueError):
        return 0


@register.simple_tag
def projects_from(kind: str, ref: Any) -> list[Any]:
    """The improvement projects (T2) opened from a finding.

    ``{% projects_from "bottleneck" step.pk as opened %}``
    """
    from opslens.web.projects.models import Project

    return list(Project.objects.filter(origin_kind=kind, origin_ref=ref).order_by("-start_date"))


@register.simple_tag(takes_context=True)
def origin_visible(context: Any, project: Any) -> bool:
    """Whether the user may see the finding a project was opened from: a cost variance stays
    confidential to those who may read the cost line (分级数据权限)."""
    if project.origin_kind != "cost_variance":
        return True
    from opslens.web.costs.access import visible_lines

    request = context.get("request")
    user = getattr(request, "user", None)
    return visible_lines(user).filter(pk=project.origin_ref).exists()


@register.filter
def hours_of(seconds: Any) -> str:
    """Seconds as hours with one decimal: 5400 → "1.5"."""
    try:
        return number((Decimal(str(seconds)) / 3600).quantize(Decimal("0.1")))
    except (ArithmeticError, TypeError, ValueError):
        return "—"
