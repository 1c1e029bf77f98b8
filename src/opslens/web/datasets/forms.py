from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.utils.translation import gettext_lazy as _

from opslens.core.eventlog.mapping import ROLES
from opslens.web.common.permissions import editable_department_ids
from opslens.web.datasets.models import Dataset
from opslens.web.org.models import Department

ROLE_LABELS = {
    "case": _("Case ID"),
    "activity": _("Activity"),
    "start": _("Start time"),
    "end": _("End time (event time)"),
    "resource": _("Resource"),
    "lifecycle": _("Lifecycle transition"),
    "instance": _("Activity instance"),
}
REQUIRED_ROLES = ("case", "activity", "end")


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise forms.ValidationError(
            _("“%(value)s” is not a time zone; use a name like Asia/Shanghai."),
            params={"value": value},
        ) from None
    return value


class DatasetForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = ["name", "department", "process", "timezone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = editable_department_ids(user)
        if allowed is not None:
            self.fields["department"].queryset = Department.objects.filter(pk__in=allowed)

    def clean_timezone(self) -> str:
        return _check_zone(self.cleaned_data["timezone"])


class UploadForm(DatasetForm):
    file = forms.FileField(
        label=_("Event log"),
        help_text=_(
            "CSV (UTF-8 or GB18030/GBK, any delimiter, .csv.gz), XLSX, Parquet or XES (.xes.gz) "
            "as exported by the ERP, CRM or ticket system; several GB are fine."
        ),
    )

    class Meta(DatasetForm.Meta):
        fields = ["file", "name", "department", "process", "timezone", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Empty: the file's name.")


class MappingForm(forms.Form):
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        help_text=_("Times without an offset are read in this zone."),
    )

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(c, c) for c in columns]]
        for role in ROLES:
            self.fields[role] = forms.ChoiceField(
                label=ROLE_LABELS[role], choices=choices, required=role in REQUIRED_ROLES
            )
        self.order_fields([*ROLES, "timezone"])

    def clean_timezone(self) -> str:
        return _check_zone(self.cleaned_data["timezone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        seen: dict[str, str] = {}
        for role in ROLES:
            column = data.get(role)
            if not column:
                continue
            if column in seen and {role, seen[column]} != {"start", "end"}:
                self.add_error(
                    role,
                    _("“%(column)s” is already the %(other)s column.")
                    % {"column": column, "other": ROLE_LABELS[seen[column]]},
                )
            seen.setdefault(column, role)
        return data
