from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opslens.web.common.permissions import editable_department_ids
from opslens.web.org.models import Department, Person
from opslens.web.processes.models import (
    EcrsChange,
    FishboneCause,
    Process,
    ProcessVersion,
    Remedy,
    Step,
    WhyChain,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ["name", "departments", "start_point", "end_point", "record_date", "description"]
        widgets = {
            "departments": forms.CheckboxSelectMultiple,
            "record_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_departments(self) -> Any:
        departments = self.cleaned_data["departments"]
        allowed = editable_department_ids(self.user)
        if allowed is not None and not allowed & {d.pk for d in departments}:
            raise forms.ValidationError(
                _("Include your own department: you could not edit this process otherwise.")
            )
        return departments


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = [
            "name",
            "role",
            "department",
            "inputs",
            "outputs",
            "hours",
            "hours_min",
            "hours_max",
            "return_rate",
            "system",
            "note",
        ]
        widgets = {
            "hours": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "hours_min": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "hours_max": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "return_rate": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"}),
        }


class VersionForm(forms.ModelForm):
    class Meta:
        model = ProcessVersion
        fields = ["label", "status", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class DeriveForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, required=False)


class EcrsForm(forms.Form):
    """One ECRS change on a step, applied to a to-be version (new or existing)."""

    NEW = "new"

    target = forms.ChoiceField(label=_("Apply to"))
    kind = forms.ChoiceField(label=_("ECRS"), choices=EcrsChange.Kind.choices)
    other = forms.ChoiceField(label=_("Merge with"), required=False)
    position = forms.IntegerField(label=_("Move to position"), required=False, min_value=1)
    parallel_with = forms.ChoiceField(label=_("Run in parallel with"), required=False)
    new_hours = forms.DecimalField(
        label=_("New duration (h)"), required=False, min_value=Decimal(0), decimal_places=2
    )
    new_name = forms.CharField(label=_("New name"), required=False, max_length=200)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, step: Step, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        version = step.version
        targets: list[tuple[str, str]] = []
        if version.kind == ProcessVersion.Kind.TO_BE:
            targets.append((str(version.pk), str(version.label)))
        else:
            targets.append((self.NEW, str(_("A new to-be version"))))
            for child in version.process.versions.filter(kind=ProcessVersion.Kind.TO_BE):
                targets.append((str(child.pk), str(child.label)))
        self.fields["target"].choices = targets
        others = [("", "—")] + [
            (str(s.pk), f"{s.position}. {s.name}") for s in version.steps.exclude(pk=step.pk)
        ]
        self.fields["other"].choices = others
        self.fields["parallel_with"].choices = others

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == "combine" and not data.get("other"):
            self.add_error("other", _("Choose the step to merge with."))
        if kind == "simplify" and data.get("new_hours") is None:
            self.add_error("new_hours", _("Give the new duration."))
        if kind == "rearrange" and not data.get("position") and not data.get("parallel_with"):
            self.add_error("position", _("Give a new position or a step to run in parallel with."))
        return data


class WhyChainForm(forms.ModelForm):
    class Meta:
        model = WhyChain
        fields = ["problem", "why_1", "why_2", "why_3", "why_4", "why_5", "root_cause"]


class FishboneForm(forms.ModelForm):
    class Meta:
        model = FishboneCause
        fields = ["category", "cause", "is_root"]


class RemedyForm(forms.ModelForm):
    class Meta:
        model = Remedy
        fields = ["what", "owner", "due_date", "verification", "status", "result"]
        widgets = {"due_date": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Person.objects.select_related("department")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("XLSX file"),
        help_text=_(
            "The template layout: header block, then the step table (流程步骤 … 耗时(小时))."
        ),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Responsible departments"),
        queryset=Department.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Used when the file names no department, or one this company does not have."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload
