from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opslens.core import quality as core
from opslens.core.errors import ConfigError, InputError
from opslens.web.common import clock
from opslens.web.common.permissions import editable_department_ids, person_of
from opslens.web.org.models import Department, Person
from opslens.web.quality import services
from opslens.web.quality.models import Level, Method, Problem, ServiceStandard, Status, format_value

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
VALUE = forms.NumberInput(attrs={"step": "any", "min": "0"})


def _people() -> Any:
    return Person.objects.select_related("department")


def deadline_help() -> str:
    parts = []
    for level in Level:
        days = core.RECTIFICATION_DAYS[core.Severity(level.value)]
        parts.append(
            ngettext("%(level)s %(days)d day", "%(level)s %(days)d days", days)
            % {"level": level.label, "days": days}
        )
    return str(_("Empty: the level's default after the inspection date — %(days)s.")) % {
        "days": ", ".join(parts)
    }


class ProblemForm(forms.ModelForm):
    """One inspection finding with its rectification plan; the level is graded here."""

    chosen_level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("As the rule grades it")), *list(Level.choices)],
        help_text=_(
            "With a standard and an observed value the rule grades the problem; choose another "
            "level only with a reason. Without a standard, choose the level. Major (customer "
            "loss) is always chosen by a person."
        ),
    )

    class Meta:
        model = Problem
        fields = [
            "inspected_on",
            "method",
            "stage",
            "standard",
            "observed",
            "problem_type",
            "description",
            "department",
            "responsible",
            "inspector",
            "chosen_level",
            "level_reason",
            "measure",
            "measure_owner",
            "deadline",
        ]
        widgets = {
            "inspected_on": DATE,
            "deadline": DATE,
            "observed": VALUE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "level_reason": forms.Textarea(attrs={"rows": 2}),
            "measure": forms.Textarea(attrs={"rows": 2}),
            "stage": forms.TextInput(attrs={"list": "stages"}),
            "problem_type": forms.TextInput(attrs={"list": "problem-types"}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        instance: Problem = self.instance
        standards = ServiceStandard.objects.filter(active=True)
        if instance.standard_id:
            standards = ServiceStandard.objects.filter(pk=instance.standard_id) | standards
        self.fields["standard"].queryset = standards.distinct().order_by("stage", "id")
        self.fields["standard"].help_text = _(
            "Optional. With a standard the observed value is required and grades the level."
        )
        self.fields["department"].required = False
        self.fields["department"].help_text = _("Empty: the responsible person's department.")
        self.fields["responsible"].queryset = _people()
        self.fields["measure_owner"].queryset = _people()
        self.fields["measure_owner"].help_text = _("Empty: the responsible person.")
        inspectors = services.inspector_choices(user)
        if instance.inspector_id:
            inspectors = inspectors | _people().filter(pk=instance.inspector_id)
        self.fields["inspector"].queryset = inspectors.distinct()
        self.fields["deadline"].required = False
        self.fields["deadline"].help_text = deadline_help()
        self.fields["stage"].required = False
        self.fields["stage"].help_text = _("Empty: the standard's stage.")
        if instance.pk:
            if not instance.rule_level or instance.overridden:
                self.initial["chosen_level"] = instance.level
        else:
            self.initial["inspected_on"] = self.initial.get("inspected_on") or clock.today()
            me = person_of(user)
            if me is not None and inspectors.filter(pk=me.pk).exists():
                self.initial["inspector"] = self.initial.get("inspector") or me.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        standard: ServiceStandard | None = data.get("standard")
        observed: Decimal | None = data.get("observed")
        day: date | None = data.get("inspected_on")
        if day is not None and day > clock.today():
            self.add_error("inspected_on", _("The inspection date cannot be in the future."))
        if not (data.get("stage") or "").strip():
            if standard is not None:
                data["stage"] = standard.stage
            else:
                self.add_error("stage", _("Name the service stage, or choose a standard."))
        responsible: Person | None = data.get("responsible")
        if data.get("department") is None:
            if responsible is not None and responsible.department is not None:
                data["department"] = responsible.department
            else:
                self.add_error(
                    "department", _("Choose the responsible department or a responsible person.")
                )
        if standard is not None and observed is None and "observed" not in self.errors:
            self.add_error(
                "observed",
                _("The standard %(rule)s is measurable: enter the observed value.")
                % {"rule": standard.rule},
            )
            return data
        if standard is None and observed is not None:
            self.add_error(
                "standard",
                _(
                    "Choose the standard the observed value is measured against, or leave "
                    "the value empty."
                ),
            )
            return data
        if "observed" in self.errors or "chosen_level" in self.errors:
            return data
        self._grade(data, standard, observed)
        return data

    def _grade(
        self, data: dict[str, Any], standard: ServiceStandard | None, observed: Decimal | None
    ) -> None:
        try:
            rule = services.rule_level(standard, observed)
        except InputError:
            self.add_error("observed", _("Enter a value of zero or more."))
            return
        except ConfigError:
            self.add_error("standard", _("This standard has no usable threshold."))
            return
        chosen_value = data.get("chosen_level") or None
        chosen = core.Severity(chosen_value) if chosen_value else None
        reason = data.get("level_reason") or ""
        try:
            grading = core.record_severity(rule, chosen, reason)
        except ConfigError:
            if standard is not None:
                self.add_error(
                    "chosen_level",
                    _(
                        "%(observed)s meets the standard %(rule)s: choose a level if it is still "
                        "a problem."
                    )
                    % {"observed": format_value(observed, standard.unit), "rule": standard.rule},
                )
            else:
                self.add_error(
                    "chosen_level", _("Without a standard, choose the level of the problem.")
                )
            return
        except InputError:
            if chosen is core.Severity.MAJOR:
                self.add_error(
                    "level_reason",
                    _("A major problem needs a reason: the customer's loss or the wrong solution."),
                )
            else:
                assert rule is not None and chosen is not None
                self.add_error(
                    "level_reason",
                    _("The rule grades this %(rule)s; give a reason to record %(chosen)s.")
                    % {"rule": Level(rule.value).label, "chosen": Level(chosen.value).label},
                )
            return
        self.instance.rule_level = grading.rule.value if grading.rule else ""
        self.instance.level = grading.recorded.value
        data["level_reason"] = grading.override_reason
        day = data.get("inspected_on")
        deadline = data.get("deadline")
        if day is not None:
            if deadline is None:
                data["deadline"] = core.default_deadline(day, grading.recorded)
            elif deadline < day:
                self.add_error(
                    "deadline", _("The planned completion cannot be before the inspection date.")
                )

    def save(self, commit: bool = True) -> Problem:
        problem = super().save(commit=False)
        if "deadline" in self.changed_data and problem.pk:
            problem.overdue_notified_on = None  # a new deadline is reminded again
        if commit:
            problem.save()
        return problem


class RecheckForm(forms.Form):
    """The recheck (复查): close when it passed, or send back to 整改中 when it failed."""

    recheck_result = forms.CharField(
        label=_("Recheck result"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    recheck_on = forms.DateField(label=_("Recheck date"), widget=DATE)
    rechecker = forms.ModelChoiceField(
        label=_("Rechecked by"), queryset=Person.objects.none(), required=False
    )
    recheck_value = forms.DecimalField(
        label=_("Value at recheck"), required=False, max_digits=14, decimal_places=4, widget=VALUE
    )
    accountability = forms.CharField(
        label=_("Accountability (问责)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_deadline = forms.DateField(
        label=_("New planned completion (if the recheck failed)"), required=False, widget=DATE
    )

    def __init__(self, *args: Any, problem: Problem, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problem = problem
        self.fields["rechecker"].queryset = _people()
        self.initial.setdefault("recheck_on", problem.recheck_on or clock.today())
        me = person_of(user)
        self.initial.setdefault("rechecker", problem.rechecker_id or (me.pk if me else None))
        self.initial.setdefault("accountability", problem.accountability)
        if problem.status == Status.AWAITING_RECHECK:
            # a value of an earlier, failed recheck is no result of this one
            self.initial.setdefault("recheck_result", "")
        if problem.standard is not None:
            self.fields["recheck_value"].label = _("Value at recheck (%(unit)s)") % {
                "unit": problem.standard.unit
            }
            self.fields["recheck_value"].help_text = _("Required: the standard is %(rule)s.") % {
                "rule": problem.standard.rule
            }
        else:
            self.fields["recheck_value"].help_text = _("Optional: no standard applies.")
        if core.requires_accountability(problem.severity):
            self.fields["accountability"].help_text = _(
                "Required to close a %(level)s problem."
            ) % {"level": problem.get_level_display()}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day = data.get("recheck_on")
        if day is not None:
            if day > clock.today():
                self.add_error("recheck_on", _("The recheck date cannot be in the future."))
            elif day < self.problem.inspected_on:
                self.add_error("recheck_on", _("The recheck cannot be before the inspection date."))
        new_deadline = data.get("new_deadline")
        if new_deadline is not None and new_deadline < clock.today():
            self.add_error("new_deadline", _("A new planned completion must not be in the past."))
        return data

    def add_blockers(self, blockers: tuple[core.CloseBlocker, ...]) -> None:
        for blocker in blockers:
            self.add_error(
                services.BLOCKER_FIELDS[blocker], services.blocker_message(blocker, self.problem)
            )


class StandardForm(forms.ModelForm):
    class Meta:
        model = ServiceStandard
        fields = ["stage", "metric", "comparison", "threshold", "unit", "department", "active"]
        widgets = {"threshold": forms.NumberInput(attrs={"step": "any", "min": "0"})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = editable_department_ids(user)
        if allowed is not None:
            self.fields["department"].queryset = Department.objects.filter(pk__in=allowed)
            self.fields["department"].required = True
            self.fields["department"].empty_label = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        stage, metric = data.get("stage"), data.get("metric")
        if stage and metric:
            clash = ServiceStandard.objects.filter(stage=stage.strip(), metric=metric.strip())
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("metric", _("This stage already has a standard for this metric."))
        return data


class FilterForm(forms.Form):
    month = forms.DateField(
        label=_("Month"), required=False, input_formats=["%Y-%m", "%Y-%m-%d"], widget=MONTH
    )
    stage = forms.CharField(label=_("Service stage"), required=False)
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", "—"), *list(Level.choices)]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", "—"), ("open", _("Not closed")), *list(Status.choices)],
    )
    department = forms.ModelChoiceField(
        label=_("Department"), required=False, queryset=Department.objects.all()
    )
    method = forms.ChoiceField(
        label=_("Inspection method"), required=False, choices=[("", "—"), *list(Method.choices)]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
