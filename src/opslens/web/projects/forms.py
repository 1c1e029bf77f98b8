from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from opslens.core.errors import ConfigError
from opslens.web.common.permissions import editable_department_ids
from opslens.web.org.models import Department, Person
from opslens.web.projects.models import (
    Dependency,
    Project,
    Retrospective,
    Risk,
    Subtask,
    Support,
    SupportRequest,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _people() -> Any:
    return Person.objects.select_related("department")


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "department",
            "owner",
            "start_date",
            "goal",
            "deliverable",
            "measure",
            "deadline",
            "origin_summary",
            "response_hours",
            "workdays",
            "coordinators",
            "management",
            "status",
        ]
        widgets = {
            "start_date": DATE,
            "deadline": DATE,
            "goal": forms.Textarea(attrs={"rows": 2}),
            "origin_summary": forms.Textarea(attrs={"rows": 2}),
            "coordinators": forms.SelectMultiple(attrs={"size": 5}),
            "management": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = editable_department_ids(user)
        if allowed is not None:
            self.fields["department"].queryset = Department.objects.filter(pk__in=allowed)
        for name in ("owner", "coordinators", "management"):
            self.fields[name].queryset = _people()
        if not self.instance.pk:
            del self.fields["status"]
        if not (self.instance.origin_kind or self.initial.get("origin_summary")):
            del self.fields["origin_summary"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, deadline = data.get("start_date"), data.get("deadline")
        if start and deadline and deadline < start:
            self.add_error("deadline", _("The deadline is before the start date."))
        return data


class SubtaskForm(forms.ModelForm):
    class Meta:
        model = Subtask
        fields = [
            "name",
            "deliverable",
            "lead_department",
            "responsible",
            "duration_days",
            "planned_start",
            "milestone",
            "buffer_days",
            "status",
            "actual_start",
            "actual_finish",
            "blocked_reason",
            "position",
        ]
        widgets = {
            "planned_start": DATE,
            "milestone": DATE,
            "actual_start": DATE,
            "actual_finish": DATE,
            "blocked_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = _people()


class SupportForm(forms.ModelForm):
    class Meta:
        model = Support
        fields = ["department", "contribution", "due_date"]
        widgets = {"due_date": DATE}


class DependencyForm(forms.ModelForm):
    class Meta:
        model = Dependency
        fields = ["predecessor", "lag_days"]


class RiskForm(forms.ModelForm):
    class Meta:
        model = Risk
        fields = ["description", "owner", "mitigation", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()


class _Rows(BaseInlineFormSet):  # type: ignore[type-arg]
    """Inline rows; a blank extra row is ignored, and a row listed twice is refused by the
    formset's own unique check (the models' unique constraints)."""


class _SupportRows(_Rows):
    def clean(self) -> None:
        super().clean()
        lead = getattr(self.instance, "lead_department_id", None)
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            dept = data.get("department")
            if dept is not None and dept.pk == lead and not data.get("DELETE"):
                form.add_error(
                    "department", _("The lead department leads; it does not support itself.")
                )


class _DependencyRows(_Rows):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Subtask.objects.filter(project_id=self.project_id)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        for form in [*self.forms, self.empty_form]:
            form.fields["predecessor"].queryset = others

    @property
    def project_id(self) -> int | None:
        return getattr(self.instance, "project_id", None)

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None or any(form.errors for form in self.forms):
            return  # a new subtask has no successors yet: it cannot close a cycle
        from opslens.web.projects.services import check_links

        try:
            check_links(self.instance, self.proposed())
        except ConfigError as exc:
            raise forms.ValidationError(
                _("These dependencies form a cycle: %(cycle)s") % {"cycle": exc}
            ) from exc

    def proposed(self) -> list[tuple[int, int]]:
        links = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            pred = data.get("predecessor")
            if pred is not None and not data.get("DELETE"):
                links.append((pred.pk, data.get("lag_days") or 0))
        return links


SupportFormSet = inlineformset_factory(
    Subtask, Support, form=SupportForm, formset=_SupportRows, extra=1, can_delete=True
)
DependencyFormSet = inlineformset_factory(
    Subtask,
    Dependency,
    form=DependencyForm,
    formset=_DependencyRows,
    fk_name="subtask",
    extra=1,
    can_delete=True,
)
RiskFormSet = inlineformset_factory(
    Subtask, Risk, form=RiskForm, formset=_Rows, extra=1, can_delete=True
)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Subtask.Status.choices)
    blocked_reason = forms.CharField(
        label=_("What blocks it"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == Subtask.Status.BLOCKED and not data.get("blocked_reason"):
            self.add_error("blocked_reason", _("Say what blocks it."))
        return data


class RequestForm(forms.ModelForm):
    class Meta:
        model = SupportRequest
        fields = ["department", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, subtask: Subtask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subtask = subtask
        supports = [s.department_id for s in subtask.supports.all()]
        queryset = Department.objects.exclude(pk=subtask.lead_department_id)
        self.fields["department"].queryset = queryset
        if supports and not self.initial.get("department"):
            self.initial["department"] = supports[0]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class RetrospectiveForm(forms.ModelForm):
    class Meta:
        model = Retrospective
        fields = ["went_well", "to_improve", "lessons"]
        widgets = {
            "went_well": forms.Textarea(attrs={"rows": 3}),
            "to_improve": forms.Textarea(attrs={"rows": 3}),
            "lessons": forms.Textarea(attrs={"rows": 5}),
        }


class SlipForm(forms.Form):
    subtask = forms.ModelChoiceField(label=_("If this subtask"), queryset=Subtask.objects.none())
    days = forms.IntegerField(label=_("slips by (days)"), min_value=0, max_value=365, initial=3)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subtask"].queryset = project.subtasks.exclude(status=Subtask.Status.DONE)
