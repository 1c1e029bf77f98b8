from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opslens.core import kpi as core
from opslens.core.errors import ConfigError, InputError
from opslens.web.common.permissions import editable_department_ids
from opslens.web.kpis.models import AlertRule, Kpi, Review, Webhook
from opslens.web.kpis.sources import source_choices
from opslens.web.org.models import Department, Person

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _own_departments(field: Any, user: Any) -> None:
    allowed = editable_department_ids(user)
    if allowed is not None:
        field.queryset = Department.objects.filter(pk__in=allowed)


class KpiForm(forms.ModelForm):
    source_kind = forms.ChoiceField(label=_("Source kind"), choices=())
    cost_department = forms.ModelChoiceField(
        label=_("Cost variance of department"),
        queryset=Department.objects.all(),
        required=False,
        help_text=_("For the cost variance source: empty means the whole company."),
    )
    cost_category = forms.CharField(
        label=_("Cost variance of category"), max_length=100, required=False
    )

    class Meta:
        model = Kpi
        fields = [
            "name",
            "level",
            "department",
            "project",
            "owner",
            "unit",
            "direction",
            "aggregation",
            "frequency",
            "due_day",
            "data_source",
            "source_kind",
            "calculation",
            "baseline",
            "target",
            "warning",
            "target_high",
            "warning_high",
            "tracked_from",
            "active",
        ]
        widgets = {"calculation": forms.Textarea(attrs={"rows": 2}), "tracked_from": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_kind"].choices = source_choices()
        _own_departments(self.fields["department"], user)
        self.fields["owner"].queryset = Person.objects.select_related("department")
        config = self.instance.source_config or {}
        if config.get("department"):
            self.initial["cost_department"] = Department.objects.filter(
                code=config["department"]
            ).first()
        self.initial.setdefault("cost_category", config.get("category", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("direction") == core.Direction.BAND.value:
            for name in ("target_high", "warning_high"):
                if data.get("target") is not None and data.get(name) is None:
                    self.add_error(name, _("A band needs its upper end."))
        if self.instance.pk:
            self._check_stored(data)
        return data

    def _check_stored(self, data: dict[str, Any]) -> None:
        """Stored values are periods of the frequency, stored targets fit the direction."""
        kpi = self.instance
        frequency = data.get("frequency")
        if frequency and frequency != kpi.frequency and kpi.measurements.exists():
            self.add_error(
                "frequency",
                _("Values are stored for this KPI: delete them before changing its frequency."),
            )
        direction = data.get("direction")
        if direction and direction != kpi.direction:
            unfit = []
            for target in kpi.targets.all():
                try:
                    target.thresholds().validate(core.Direction(direction))
                except ConfigError:
                    unfit.append(target.period.key)
            if unfit:
                self.add_error(
                    "direction",
                    _("The targets of %(periods)s do not fit this direction; change them first.")
                    % {"periods": "、".join(unfit)},
                )

    def save(self, commit: bool = True) -> Kpi:
        kpi = super().save(commit=False)
        if kpi.source_kind == "cost_variance":
            dept = self.cleaned_data.get("cost_department")
            kpi.source_config = {
                "department": dept.code if dept else "",
                "category": self.cleaned_data.get("cost_category", ""),
            }
        else:
            kpi.source_config = {}
        if commit:
            kpi.save()
        return kpi


class PeriodField(forms.CharField):
    """A period typed as the user would (2024-06, 2024年6月, 2024-W23, 2024Q3 …)."""

    def __init__(self, *args: Any, frequency: core.Frequency, **kwargs: Any) -> None:
        self.frequency = frequency
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> core.Period:  # type: ignore[override]
        text = super().clean(value)
        try:
            return core.Period.parse(self.frequency, text)
        except InputError as exc:
            raise forms.ValidationError(
                _("“%(value)s” is not a %(frequency)s period; write it like %(example)s.")
                % {
                    "value": text,
                    "frequency": FREQUENCY_NOUNS[self.frequency],
                    "example": _example(self.frequency),
                }
            ) from exc


FREQUENCY_NOUNS = {
    core.Frequency.DAILY: _("daily"),
    core.Frequency.WEEKLY: _("weekly"),
    core.Frequency.MONTHLY: _("monthly"),
    core.Frequency.QUARTERLY: _("quarterly"),
    core.Frequency.YEARLY: _("yearly"),
}


class MeasurementForm(forms.Form):
    period = forms.CharField(label=_("Period"))
    value = forms.DecimalField(label=_("Value"), max_digits=20, decimal_places=4)
    note = forms.CharField(
        label=_("Note (cause of a deviation)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, kpi: Kpi, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        self.fields["period"] = PeriodField(
            label=_("Period"),
            frequency=kpi.core_frequency,
            help_text=_("e.g. %(example)s") % {"example": _example(kpi.core_frequency)},
        )
        if kpi.unit:
            self.fields["value"].label = _("Value (%(unit)s)") % {"unit": kpi.unit}


def _example(frequency: core.Frequency) -> str:
    return {
        core.Frequency.DAILY: "2024-06-05",
        core.Frequency.WEEKLY: "2024-W23",
        core.Frequency.MONTHLY: "2024-06",
        core.Frequency.QUARTERLY: "2024-Q3",
        core.Frequency.YEARLY: "2024",
    }[frequency]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("One row per value: KPI, period, value and an optional note."),
    )


class MappingForm(forms.Form):
    """Which column holds what — pre-filled with the suggestion."""

    token = forms.CharField(widget=forms.HiddenInput)
    kpi_column = forms.ChoiceField(label=_("KPI column"), required=False)
    period_column = forms.ChoiceField(label=_("Period column"))
    value_column = forms.ChoiceField(label=_("Value column"))
    note_column = forms.ChoiceField(label=_("Note column"), required=False)
    kpi = forms.ModelChoiceField(
        label=_("All rows belong to KPI"),
        queryset=Kpi.objects.none(),
        required=False,
        help_text=_("Use when the file has no KPI column."),
    )

    def __init__(self, *args: Any, columns: list[str], kpis: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *[(c, c) for c in columns]]
        for name in ("kpi_column", "period_column", "value_column", "note_column"):
            self.fields[name].choices = choices
        self.fields["kpi"].queryset = kpis

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("kpi_column") and not data.get("kpi"):
            raise forms.ValidationError(_("Choose the KPI column, or the KPI all rows belong to."))
        return data


class TargetsForm(forms.Form):
    """Year, its quarters and months: target and warning for each (and their upper ends for a
    band KPI)."""

    def __init__(self, *args: Any, kpi: Kpi, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        from datetime import date

        self.band = kpi.core_direction == core.Direction.BAND
        # t: target, w: warning value; th/wh: their upper ends (bands only)
        self.columns = ["t", "th", "w", "wh"] if self.band else ["t", "w"]
        year_period = core.Period(core.Frequency.YEARLY, date(year, 1, 1))
        self.periods = [
            year_period,
            *year_period.children(core.Frequency.QUARTERLY),
            *year_period.children(core.Frequency.MONTHLY),
        ]
        existing = {(t.frequency, t.period_start): t for t in kpi.targets.all()}
        stored = {"t": "target", "w": "warning", "th": "target_high", "wh": "warning_high"}
        for period in self.periods:
            key = period.key
            current = existing.get((period.frequency.value, period.start))
            for column in self.columns:
                self.fields[f"{column}_{key}"] = forms.DecimalField(
                    label=key, required=False, max_digits=20, decimal_places=4
                )
                value = getattr(current, stored[column]) if current is not None else None
                if value is not None:  # 20000, not 20000.0000 nor 2E+4
                    self.initial[f"{column}_{key}"] = Decimal(f"{value.normalize():f}")

    def _thresholds(self, data: dict[str, Any], key: str) -> core.Thresholds | None:
        """A period's thresholds (``None``: no target of its own); a missing warning value is
        the target itself."""
        target, high = data.get(f"t_{key}"), data.get(f"th_{key}")
        warning, warning_high = data.get(f"w_{key}"), data.get(f"wh_{key}")
        if target is None:
            return None
        return core.Thresholds(
            target,
            warning if warning is not None else target,
            high,
            warning_high if warning_high is not None else high,
        )

    def rows(self) -> list[tuple[core.Period, core.Thresholds | None]]:
        return [(p, self._thresholds(self.cleaned_data, p.key)) for p in self.periods]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for period in self.periods:
            key = period.key
            thresholds = self._thresholds(data, key)
            if thresholds is None:
                if any(data.get(f"{c}_{key}") is not None for c in self.columns):
                    self.add_error(f"t_{key}", _("Give the target too."))
            elif self.band and thresholds.target_high is None:
                self.add_error(f"th_{key}", _("A band needs its upper end."))
            else:
                try:
                    thresholds.validate(self.kpi.core_direction)
                except ValueError as exc:
                    self.add_error(f"w_{key}", str(exc))
        return data

    def grid(self) -> list[tuple[core.Period, list[Any]]]:
        return [(p, [self[f"{c}_{p.key}"] for c in self.columns]) for p in self.periods]


class RuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "name",
            "condition",
            "change_pct",
            "periods",
            "recovery",
            "recovery_periods",
            "action",
            "review_days",
            "email",
            "webhooks",
            "enabled",
        ]
        widgets = {"webhooks": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, kpi: Kpi, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.kpi = kpi
        self.fields["webhooks"].queryset = Webhook.objects.filter(enabled=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("condition") == AlertRule.Condition.CHANGE and not data.get("change_pct"):
            self.add_error("change_pct", _("Give the change in percent."))
        return data


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ["title", "owner", "due_date", "cause", "suggestion", "conclusion", "status"]
        widgets = {
            "due_date": DATE,
            "cause": forms.Textarea(attrs={"rows": 3}),
            "suggestion": forms.Textarea(attrs={"rows": 3}),
            "conclusion": forms.Textarea(attrs={"rows": 2}),
        }


class WebhookForm(forms.ModelForm):
    url = forms.URLField(label=_("webhook URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ["name", "kind", "url", "secret", "department", "enabled"]
        widgets = {"secret": forms.PasswordInput(render_value=False)}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _own_departments(self.fields["department"], user)
        if self.instance.pk:
            self.fields["secret"].help_text = _("Leave empty to keep the current secret.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk and not data.get("secret"):
            data["secret"] = Webhook.objects.get(pk=self.instance.pk).secret
        if data.get("kind") == Webhook.Kind.WECOM and data.get("secret"):
            self.add_error("secret", _("WeCom group robots do not sign messages."))
        return data
