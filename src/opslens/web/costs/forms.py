from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opslens.core import costs as core
from opslens.web.common.permissions import editable_department_ids
from opslens.web.costs.access import is_finance
from opslens.web.costs.models import CostCategory, CostLine
from opslens.web.org.models import Department, Person

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class LineForm(forms.ModelForm):
    class Meta:
        model = CostLine
        fields = [
            "category",
            "sub_item",
            "department",
            "owner",
            "budget",
            "actual",
            "cause",
            "cause_kind",
            "measure",
            "measure_department",
            "measure_owner",
            "planned_date",
            "measure_status",
        ]
        widgets = {
            "cause": forms.Textarea(attrs={"rows": 2}),
            "measure": forms.Textarea(attrs={"rows": 2}),
            "planned_date": DATE,
            "budget": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "actual": forms.NumberInput(attrs={"step": "0.01"}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_finance(user):
            allowed = editable_department_ids(user)
            if allowed is not None:
                self.fields["department"].queryset = Department.objects.filter(pk__in=allowed)
        people = Person.objects.select_related("department")
        self.fields["owner"].queryset = people
        self.fields["measure_owner"].queryset = people

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        category, budget, actual = data.get("category"), data.get("budget"), data.get("actual")
        if category is None or budget is None or actual is None:
            return data
        variance = core.compute_cost_variance(budget, actual)
        flagged = core.needs_cause(variance, category.threshold_ratio)
        if flagged and data.get("cause") and not data.get("cause_kind"):
            self.add_error("cause_kind", _("Say whether the cause is controllable or not."))
        return data


class CloseForm(forms.Form):
    summary = forms.CharField(
        label=_("Monthly summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class NewMonthForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m", "%Y-%m-%d"], widget=MONTH)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Finance export (CSV or XLSX)"),
        help_text=_(
            "Columns 成本类别, 子项, 预算(元), 实际(元) and optionally 原因分析, 改进措施, "
            "责任部门, 责任人, 计划完成; a file exported from here imports as it is."
        ),
    )


class CategoryForm(forms.ModelForm):
    class Meta:
        model = CostCategory
        fields = ["name", "nature", "threshold", "order"]


FIELD_LABELS = {
    "category": _("Category"),
    "sub_item": _("Sub-item"),
    "budget": _("Budget (元)"),
    "actual": _("Actual (元)"),
    "cause": _("Cause analysis"),
    "measure": _("Corrective measure"),
    "department": pgettext_lazy("cost", "Department"),
    "owner": _("Responsible person"),
    "planned": _("Planned completion"),
    "cause_kind": _("Cause type"),
    "measure_status": _("Measure status"),
}


class CostMappingForm(forms.Form):
    """Which column of the uploaded file holds each field — pre-filled with the suggestion."""

    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(c, c) for c in columns]]
        for name in core.COST_FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=FIELD_LABELS.get(name, name),
                choices=choices,
                required=name in core.REQUIRED_COST_FIELDS,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        used = [data[f] for f in core.COST_FIELDS if data.get(f)]
        repeated = sorted({c for c in used if used.count(c) > 1})
        if repeated:
            raise forms.ValidationError(
                _("Each column can hold one field only: %(columns)s")
                % {"columns": "、".join(repeated)}
            )
        return data

    def chosen(self) -> dict[str, str]:
        """field → column title; an empty title leaves an optional field out."""
        return {f: self.cleaned_data.get(f) or "" for f in core.COST_FIELDS}
