"""The closed loop 发现 → 整改中 → 待复查 → 已关闭: no closing without a recheck, a new value where
the standard is measurable (meeting it) and, for serious and major problems, accountability; a
failed recheck goes back to 整改中. Each blocker is a form error on its field."""

from __future__ import annotations

from datetime import date
from typing import Any

from opslens.web.org.models import Department
from opslens.web.quality.models import Problem, Status
from tests.web.conftest import client_for
from tests.web.quality.conftest import make_problem, u


def _recheck(client: Any, problem: Problem, action: str = "close", **values: Any) -> Any:
    data = {
        "recheck_result": "",
        "recheck_on": "2024-09-10",
        "rechecker": "",
        "recheck_value": "",
        "accountability": "",
        "new_deadline": "",
        "action": action,
    }
    data.update(values)
    return client.post(u("problem_recheck", problem.pk), data)


def _awaiting(problem: Problem) -> Problem:
    Problem.objects.filter(pk=problem.pk).update(status=Status.AWAITING_RECHECK)
    problem.refresh_from_db()
    return problem


def test_full_loop_with_each_blocker(owner: Any, problem: Problem) -> None:
    client = client_for(owner)
    Problem.objects.filter(pk=problem.pk).update(status=Status.FOUND)
    assert client.post(u("problem_move", problem.pk), {"to": "in_progress"}).status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    # closing straight from 整改中 is not a move the loop allows
    client.post(u("problem_move", problem.pk), {"to": "closed"})
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    assert _recheck(client, problem).status_code == 302  # refused with a message
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS

    client.post(u("problem_move", problem.pk), {"to": "awaiting_recheck"})
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_RECHECK

    response = _recheck(client, problem)
    assert response.status_code == 422
    errors = response.context["recheck"].errors
    assert set(errors) == {"recheck_result", "recheck_value"}
    response = _recheck(client, problem, recheck_result="6月10日抽查", recheck_value="31")
    assert response.status_code == 422
    assert "still misses" in str(response.context["recheck"].errors["recheck_value"])
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_RECHECK and problem.recheck_result == ""

    response = _recheck(
        client,
        problem,
        recheck_result="6月10日抽查,25秒接听",
        recheck_value="25",
        rechecker=owner.person.pk,
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.closed_on == date(2024, 9, 10)
    assert problem.recheck_value == 25 and problem.rechecker == owner.person
    page = client.get(problem.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "6月10日抽查,25秒接听" in page
    # a closed problem is archived
    assert client.get(u("problem_edit", problem.pk)).status_code == 302
    assert client.post(u("problem_move", problem.pk), {"to": "in_progress"}).status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED


def test_starting_needs_a_measure(owner: Any, org: dict[str, Department]) -> None:
    problem = make_problem(org["采购部"], measure="", level="minor")
    response = client_for(owner).post(u("problem_move", problem.pk), {"to": "in_progress"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.FOUND
    page = client_for(owner).get(problem.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert "Describe the rectification measure first." in page.content.decode()


def test_serious_and_major_need_accountability(owner: Any, org: dict[str, Department]) -> None:
    client = client_for(owner)
    for level in ("serious", "major"):
        problem = _awaiting(make_problem(org["采购部"], level=level, level_reason="客户损失"))
        response = _recheck(client, problem, recheck_result="客户确认解决问题")
        assert response.status_code == 422
        assert list(response.context["recheck"].errors) == ["accountability"]
        response = _recheck(
            client, problem, recheck_result="客户确认解决问题", accountability="扣减当月绩效10%"
        )
        assert response.status_code == 302
        problem.refresh_from_db()
        assert problem.status == Status.CLOSED and problem.accountability == "扣减当月绩效10%"


def test_minor_without_standard_closes_on_the_result_alone(
    owner: Any, org: dict[str, Department]
) -> None:
    problem = _awaiting(make_problem(org["采购部"], level="minor"))
    response = _recheck(client_for(owner), problem, recheck_result="6月12日抽查,已规范")
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED


def test_failed_recheck_goes_back_to_rectification(owner: Any, problem: Problem) -> None:
    problem = _awaiting(problem)
    client = client_for(owner)
    response = _recheck(client, problem, action="fail")
    assert response.status_code == 422  # say what the recheck found
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_RECHECK
    Problem.objects.filter(pk=problem.pk).update(overdue_notified_on=date(2024, 9, 9))
    response = _recheck(
        client,
        problem,
        action="fail",
        recheck_result="仍需38秒接听",
        recheck_value="38",
        new_deadline="2024-09-15",
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS
    assert problem.recheck_result == "仍需38秒接听"
    assert problem.deadline == date(2024, 9, 15)
    assert problem.overdue_notified_on is None  # the new deadline is reminded again
    last = problem.history.order_by("history_id").last()
    assert (last.status, last.recheck_result) == ("in_progress", "仍需38秒接听")


def test_recheck_dates_are_checked(owner: Any, problem: Problem) -> None:
    problem = _awaiting(problem)
    client = client_for(owner)
    for values, field in [
        ({"recheck_on": "2024-09-11"}, "recheck_on"),
        ({"recheck_on": "2024-09-01"}, "recheck_on"),  # before the inspection
        ({"recheck_on": "yesterday"}, "recheck_on"),
        ({"recheck_value": "abc"}, "recheck_value"),
        ({"new_deadline": "2024-09-01", "action": "fail"}, "new_deadline"),
    ]:
        response = _recheck(
            client, problem, **{"recheck_result": "ok", "recheck_value": "20", **values}
        )
        assert response.status_code == 422, values
        assert field in response.context["recheck"].errors
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_RECHECK


def test_unknown_status_is_refused(owner: Any, problem: Problem) -> None:
    response = client_for(owner).post(u("problem_move", problem.pk), {"to": "done"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS


def test_problem_page_shows_loop_handling_and_history(owner: Any, problem: Problem) -> None:
    page = client_for(owner).get(problem.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Rectified — request the recheck" in html
    assert "Rectification order (整改单)" in html  # general: 整改单 under the head
    assert "Change history" in html
