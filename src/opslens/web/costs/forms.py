from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
