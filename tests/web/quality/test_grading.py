"""Severity graded by rule through the inspection form, at the rule's boundaries, with the
inspector's override kept beside the rule's grade; bad input is a form error, never a 500."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from opslens.web.quality.models import Problem, ServiceStandard
from tests.web.conftest import client_for
from tests.web.quality.conftest import form_data, u


def _create(user: Any, **values: Any) -> Any:
    return client_for(user).post(u("problem_new"), form_data(**values))


@pytest.mark.parametrize(
    ("observed", "level"),
    [
        ("31", "minor"),
        ("33", "minor"),  # exactly 10 % over: still minor
        ("33.0001", "general"),
        ("39", "general"),  # exactly 30 % over: still general
        ("39.01", "serious"),
        ("40", "serious"),  # the seed's 40 s: +33 %
    ],
)
def test_at_most_standard_is_graded_by_rule(
    owner: Any, answer: ServiceStandard, observed: str, level: str
) -> None:
    response = _create(owner, standard=answer, observed=observed, responsible=owner.person)
    assert response.status_code == 302, response.content.decode()[:2000]
    problem = Problem.objects.get()
    assert (problem.rule_level, problem.level, problem.level_reason) == (level, level, "")
    assert not problem.overridden
    assert problem.observed == Decimal(observed)


@pytest.mark.parametrize(
    ("observed", "level"),
    [("4.05", "minor"), ("3.15", "general"), ("3.1", "serious")],
)
def test_at_least_standard_grades_the_shortfall(
    owner: Any, satisfaction: ServiceStandard, observed: str, level: str
) -> None:
    response = _create(
        owner, standard=satisfaction, observed=observed, responsible=owner.person, stage=""
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert problem.rule_level == level
    assert problem.stage == "整体服务"  # taken from the standard


def test_override_keeps_both_grades_and_shows_them(owner: Any, answer: ServiceStandard) -> None:
    response = _create(
        owner,
        standard=answer,
        observed="40",
        chosen_level="general",
        level_reason="首次发生,高峰期临时缺员",
        responsible=owner.person,
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.rule_level, problem.level) == ("serious", "general")
    assert problem.level_reason == "首次发生,高峰期临时缺员"
    page = client_for(owner).get(problem.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Serious" in html and "General" in html and "首次发生,高峰期临时缺员" in html
    assert "overrides the rule" in html


def test_override_without_reason_is_a_form_error(owner: Any, answer: ServiceStandard) -> None:
    response = _create(
        owner, standard=answer, observed="40", chosen_level="general", responsible=owner.person
    )
    assert response.status_code == 422
    assert "level_reason" in response.context["form"].errors
    assert not Problem.objects.exists()


def test_major_is_chosen_by_a_person_with_a_reason(owner: Any) -> None:
    response = _create(owner, chosen_level="major", responsible=owner.person)
    assert response.status_code == 422
    assert "level_reason" in response.context["form"].errors
    response = _create(
        owner, chosen_level="major", level_reason="解答错误造成客户损失", responsible=owner.person
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.rule_level, problem.level) == ("", "major")
    assert problem.deadline == date(2024, 9, 3)  # major: 1 day


def test_without_standard_the_person_picks_the_level(owner: Any) -> None:
    response = _create(owner, responsible=owner.person)
    assert response.status_code == 422
    assert "chosen_level" in response.context["form"].errors
    response = _create(owner, chosen_level="minor", responsible=owner.person)
    assert response.status_code == 302
    assert Problem.objects.get().level == "minor"


def test_measurable_standard_needs_the_observed_value(owner: Any, answer: ServiceStandard) -> None:
    response = _create(owner, standard=answer, responsible=owner.person)
    assert response.status_code == 422
    assert "observed" in response.context["form"].errors


def test_a_value_without_a_standard_is_refused(owner: Any) -> None:
    response = _create(owner, observed="40", chosen_level="minor", responsible=owner.person)
    assert response.status_code == 422
    assert "standard" in response.context["form"].errors


def test_a_met_standard_needs_a_chosen_level(owner: Any, answer: ServiceStandard) -> None:
    response = _create(owner, standard=answer, observed="30", responsible=owner.person)
    assert response.status_code == 422
    assert "chosen_level" in response.context["form"].errors
    response = _create(
        owner, standard=answer, observed="30", chosen_level="minor", responsible=owner.person
    )
    assert response.status_code == 302
    assert (Problem.objects.get().rule_level, Problem.objects.get().level) == ("", "minor")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"observed": "-5"}, "observed"),
        ({"observed": "abc"}, "observed"),
        ({"inspected_on": "2024-09-11"}, "inspected_on"),  # after today (2024-09-10)
        ({"inspected_on": "not a date"}, "inspected_on"),
        ({"deadline": "2024-09-01"}, "deadline"),  # before the inspection
        ({"responsible": "", "department": ""}, "department"),
        ({"stage": "", "standard": ""}, "stage"),
        ({"problem_type": ""}, "problem_type"),
    ],
)
def test_bad_input_is_a_form_error(
    owner: Any, answer: ServiceStandard, values: dict[str, Any], field: str
) -> None:
    data: dict[str, Any] = {"standard": answer, "observed": "40", "responsible": owner.person}
    data.update(values)
    if data.get("standard") == "":
        data["observed"] = ""
        data["chosen_level"] = "minor"
    response = _create(owner, **data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Problem.objects.exists()


@pytest.mark.parametrize(
    ("observed", "level", "deadline"),
    [
        ("33", "minor", date(2024, 9, 3)),
        ("36", "general", date(2024, 9, 5)),
        ("40", "serious", date(2024, 9, 4)),
    ],
)
def test_deadline_defaults_from_the_level(
    owner: Any, answer: ServiceStandard, observed: str, level: str, deadline: date
) -> None:
    assert (
        _create(owner, standard=answer, observed=observed, responsible=owner.person).status_code
        == 302
    )
    problem = Problem.objects.get()
    assert (problem.level, problem.deadline) == (level, deadline)


def test_department_follows_the_responsible_person(owner: Any, org: Any) -> None:
    _create(owner, chosen_level="minor", responsible=owner.person)
    assert Problem.objects.get().department == org["采购部"]


def test_grading_preview_shows_rule_default_deadline_and_handling(
    owner: Any, answer: ServiceStandard
) -> None:
    client = client_for(owner)
    page = client.get(
        u("grading"),
        {"standard": answer.pk, "observed": "40", "inspected_on": "2024-06-05"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="preview-rule">Serious<' in html
    assert "+33.3%" in html
    assert "Default planned completion" in html and "06/07/2024" in html  # serious: 2 days
    assert "Accountability" in html
    for junk in ({"standard": "x", "observed": "-1"}, {"observed": "1e999999"}, {}):
        assert client.get(u("grading"), junk).status_code == 200


def test_edit_form_shows_the_override(owner: Any, problem: Problem) -> None:
    page = client_for(owner).get(u("problem_edit", problem.pk))
    assert page.context["form"].initial["chosen_level"] == "general"
    response = client_for(owner).post(
        u("problem_edit", problem.pk),
        form_data(
            standard=problem.standard,
            observed="40",
            responsible=owner.person,
            inspected_on="2024-09-02",
            deadline="2024-09-20",
        ),
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.rule_level, problem.level, problem.level_reason) == ("serious", "serious", "")


def test_new_form_starts_today_with_the_user_as_inspector(owner: Any) -> None:
    form = client_for(owner).get(u("problem_new")).context["form"]
    assert form.initial["inspected_on"] == date(2024, 9, 10)
    assert form.initial["inspector"] == owner.person.pk
