"""The schedule through the web: earliest dates with a +2 day lag, slack, the critical path on
the tracker and the subtask page, and the forecast rule (unfinished work cannot be in the past)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from opslens.web.projects import services
from tests.web.conftest import client_for
from tests.web.projects.helpers import SCHEDULE, SLACK, tracker, u


def _dates(plan: services.Plan) -> dict[str, tuple[date, date, int, bool]]:
    return {
        r.subtask.name: (
            r.scheduled.earliest_start,
            r.scheduled.earliest_finish,
            r.scheduled.total_slack,
            r.scheduled.critical,
        )
        for r in plan.rows
        if r.scheduled is not None
    }


def test_project_plan_schedules_with_the_lag_and_finds_the_critical_path(
    plan: SimpleNamespace,
) -> None:
    result = services.project_plan(plan.project)
    assert result.error == ""
    assert _dates(result) == {
        "需求确认": (date(2024, 6, 3), date(2024, 6, 5), 0, True),
        # the +2 day lag: the day after 06-05 plus two days
        "供应商评估": (date(2024, 6, 8), date(2024, 6, 12), 0, True),
        "合同签订": (date(2024, 6, 6), date(2024, 6, 7), 5, False),
        "到货验收": (date(2024, 6, 13), date(2024, 6, 14), 0, True),
    }
    assert result.critical_names == ["需求确认", "供应商评估", "到货验收"]
    assert result.schedule is not None and result.schedule.end == date(2024, 6, 14)
    lags = {(r.subtask.name, p.name): lag for r in result.rows for p, lag in r.predecessors}
    assert lags[("供应商评估", "需求确认")] == 2


def test_a_longer_lag_moves_the_critical_path(plan: SimpleNamespace) -> None:
    link = plan.b.dependencies.get()
    link.lag_days = 0
    link.save()
    plan.b.duration_days = 1
    plan.b.save()
    # 供应商评估 06-06…06-06 now has slack; 合同签订 06-06…06-07 drives 到货验收
    result = services.project_plan(plan.project)
    assert result.critical_names == ["需求确认", "合同签订", "到货验收"]
    assert _dates(result)["供应商评估"][2] == 1


def test_detail_page_shows_schedule_slack_and_critical_path(
    plan: SimpleNamespace, owner: Any
) -> None:
    response = client_for(owner).get(u("detail", plan.project.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="critical-path">需求确认 → 供应商评估 → 到货验收<' in html
    rows = tracker(html)
    assert list(rows) == ["需求确认", "供应商评估", "合同签订", "到货验收"]
    assert rows["供应商评估"].cells[SCHEDULE].startswith("06-08 – 06-12")
    assert rows["合同签订"].cells[SCHEDULE].startswith("06-06 – 06-07")
    assert rows["合同签订"].cells[SLACK] == "5"
    assert rows["需求确认"].cells[SLACK] == "0"
    assert "critical" in rows["供应商评估"].classes
    assert "critical" not in rows["合同签订"].classes
    assert "(+2 d)" in rows["供应商评估"].cells[1]


def test_subtask_page_shows_its_slack(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    html = client.get(u("subtask", plan.c.pk)).content.decode()
    assert 'data-testid="slack">5 days<' in html
    assert "on the critical path" not in html.split('data-testid="slack"')[1].split("</td>")[0]
    html = client.get(u("subtask", plan.b.pk)).content.decode()
    slack = html.split('data-testid="slack">')[1].split("</td>")[0]
    assert slack.startswith("0 days") and "on the critical path" in slack


def test_forecast_starts_unfinished_work_no_earlier_than_today(
    plan: SimpleNamespace, settings: Any, owner: Any
) -> None:
    settings.OPSLENS_TODAY = "2024-06-10"  # 需求确认 should have finished on 06-05: not started
    result = _dates(services.project_plan(plan.project))
    assert result["需求确认"][:2] == (date(2024, 6, 10), date(2024, 6, 12))
    assert result["供应商评估"][:2] == (date(2024, 6, 15), date(2024, 6, 19))
    assert result["到货验收"][:2] == (date(2024, 6, 20), date(2024, 6, 21))
    html = client_for(owner).get(u("detail", plan.project.pk)).content.decode()
    assert tracker(html)["需求确认"].cells[SCHEDULE].startswith("06-10 – 06-12")
    # the forecast end moved from 06-14 to 06-21
    assert services.project_plan(plan.project).schedule.end == date(2024, 6, 21)  # type: ignore[union-attr]


def test_forecast_keeps_work_in_progress_finishing_no_earlier_than_today(
    plan: SimpleNamespace, settings: Any
) -> None:
    plan.a.status = "in_progress"
    plan.a.actual_start = date(2024, 6, 3)
    plan.a.save()
    settings.OPSLENS_TODAY = "2024-06-04"  # on time: the actual start stands
    assert _dates(services.project_plan(plan.project))["需求确认"][:2] == (
        date(2024, 6, 3),
        date(2024, 6, 5),
    )
    settings.OPSLENS_TODAY = "2024-06-09"  # still in progress: it finishes today at the earliest
    assert _dates(services.project_plan(plan.project))["需求确认"][1] == date(2024, 6, 9)


def test_done_work_keeps_its_actual_dates(plan: SimpleNamespace, settings: Any) -> None:
    plan.a.status = "done"
    plan.a.actual_start = date(2024, 6, 3)
    plan.a.actual_finish = date(2024, 6, 4)
    plan.a.save()
    settings.OPSLENS_TODAY = "2024-06-20"
    result = _dates(services.project_plan(plan.project))
    assert result["需求确认"][:2] == (date(2024, 6, 3), date(2024, 6, 4))
    assert result["合同签订"][0] == date(2024, 6, 20)  # not started: from today


def test_gantt_data_has_bars_milestones_links_and_today(plan: SimpleNamespace, owner: Any) -> None:
    data = services.gantt_data(services.project_plan(plan.project))
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["供应商评估"]["start"] == "2024-06-08"
    assert rows["供应商评估"]["end"] == "2024-06-13"  # the end of its last day
    assert rows["供应商评估"]["critical"] is True and rows["合同签订"]["critical"] is False
    assert rows["合同签订"]["slack"] == 5
    assert rows["到货验收"]["milestone"] == "2024-06-20"
    assert {(link["from"], link["to"], link["lag"]) for link in data["links"]} == {
        (0, 1, 2),
        (0, 2, 0),
        (1, 3, 0),
        (2, 3, 0),
    }
    assert data["today"] == "2024-05-20"
    response = client_for(owner).get(u("gantt", plan.project.pk))
    assert response.status_code == 200
    assert 'id="gantt-data"' in response.content.decode()
    assert response.context["chart"]["rows"][1]["start"] == "2024-06-08"


def test_slip_preview_moves_the_successors(plan: SimpleNamespace, owner: Any) -> None:
    client = client_for(owner)
    response = client.get(u("slip", plan.project.pk), {"subtask": plan.c.pk, "days": 3})
    assert response.status_code == 200
    assert 'data-testid="slip-preview"' in response.content.decode()
    assert "the project end does not move" in response.content.decode()  # 5 days of slack
    response = client.get(
        u("slip", plan.project.pk), {"subtask": plan.b.pk, "days": 3}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html  # the htmx fragment
    assert "到货验收" in html and "+3" in html
    response = client.get(u("slip", plan.project.pk), {"subtask": plan.b.pk, "days": -1})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
