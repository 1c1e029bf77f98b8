"""Root causes on a step: 5-Why chains, fishbone causes, remedies and their notifications."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from opslens.web.common.models import Notification
from opslens.web.processes.models import FishboneCause, Process, Remedy, Step, WhyChain
from tests.web.conftest import client_for
from tests.web.helpers import snapshot

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def u(name: str, *args: Any) -> str:
    return reverse(f"processes:{name}", args=args)


@pytest.fixture
def gm(procurement: Process) -> Step:
    return Step.objects.get(version=procurement.as_is, name="总经理审批")


def remedy_data(owner_pk: int, **extra: str) -> dict[str, Any]:
    return {
        "what": "上线OA采购审批模块",
        "owner": owner_pk,
        "due_date": (timezone.localdate() + timedelta(days=21)).isoformat(),
        "verification": "审批时效缩短50%",
        "status": "planned",
        **extra,
    }


# --- 5-Why ---------------------------------------------------------------------------------


def test_add_a_five_why_chain(procurement: Process, gm: Step, owner: Any) -> None:
    client = client_for(owner)
    data = {
        "problem": "总经理审批平均耗时48小时",
        "why_1": "申请单排队等待",
        "why_2": "总经理经常出差",
        "why_3": "所有金额都需总经理审批",
        "why_4": "审批权限没有按金额分级",
        "why_5": "审批制度多年未修订",
        "root_cause": "审批权限设置不合理",
    }
    response = client.post(u("why_new", procurement.pk, gm.pk), data)
    assert response.status_code == 302
    assert response["Location"] == u("step", procurement.pk, gm.pk) + "#whychain"
    chain = WhyChain.objects.get()
    assert chain.step == gm
    assert chain.whys == [data[f"why_{n}"] for n in range(1, 6)]
    page = client.get(u("step", procurement.pk, gm.pk)).content.decode()
    assert "Why 5: 审批制度多年未修订" in page
    assert "Root cause: 审批权限设置不合理" in page
    # the step now shows on the diagnose page
    assert "采购申请审批流程 · 总经理审批" in client.get(reverse("diagnose")).content.decode()


def test_a_gap_in_the_whys_is_a_form_error(procurement: Process, gm: Step, owner: Any) -> None:
    before = snapshot()
    response = client_for(owner).post(
        u("why_new", procurement.pk, gm.pk),
        {"problem": "审批慢", "why_1": "排队", "why_3": "权限不分级"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["why_3"] == ["Fill the whys in order, without gaps."]
    assert snapshot() == before


def test_edit_and_delete_a_chain(procurement: Process, gm: Step, colleague: Any) -> None:
    chain = WhyChain.objects.create(step=gm, problem="审批慢", why_1="排队")
    client = client_for(colleague)
    form = client.get(u("why_edit", procurement.pk, gm.pk, chain.pk)).context["form"]
    assert form.initial["problem"] == "审批慢"
    client.post(
        u("why_edit", procurement.pk, gm.pk, chain.pk),
        {"problem": "审批慢", "why_1": "排队", "why_2": "出差"},
    )
    chain.refresh_from_db()
    assert chain.why_2 == "出差"
    response = client.post(u("child_delete", procurement.pk, gm.pk, "why", chain.pk))
    assert response["Location"] == u("step", procurement.pk, gm.pk)
    assert not WhyChain.objects.exists()


def test_a_chain_of_another_step_is_not_found(procurement: Process, gm: Step, owner: Any):
    other = Step.objects.get(version=procurement.as_is, name="填写申请表")
    chain = WhyChain.objects.create(step=other, problem="p", why_1="w")
    client = client_for(owner)
    assert client.get(u("why_edit", procurement.pk, gm.pk, chain.pk)).status_code == 404
    response = client.post(u("child_delete", procurement.pk, gm.pk, "why", chain.pk))
    assert response.status_code == 404
    assert WhyChain.objects.filter(pk=chain.pk).exists()


def test_unknown_child_kind_is_refused(procurement: Process, gm: Step, owner: Any) -> None:
    chain = WhyChain.objects.create(step=gm, problem="p", why_1="w")
    response = client_for(owner).post(u("child_delete", procurement.pk, gm.pk, "step", chain.pk))
    assert response.status_code in (403, 404)
    assert WhyChain.objects.filter(pk=chain.pk).exists()


# --- fishbone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "label"),
    [
        ("man", "Man (人)"),
        ("machine", "Machine (机)"),
        ("material", "Material (料)"),
        ("method", "Method (法)"),
        ("environment", "Environment (环)"),
        ("measurement", "Measurement (测)"),
    ],
)
def test_add_a_fishbone_cause_under_each_category(
    procurement: Process, gm: Step, owner: Any, category: str, label: str
) -> None:
    client = client_for(owner)
    cause = f"{category} 的原因"
    response = client.post(
        u("fishbone_new", procurement.pk, gm.pk),
        {"category": category, "cause": cause, "is_root": "on"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#fishbonecause")
    saved = FishboneCause.objects.get()
    assert (saved.step, saved.category, saved.cause, saved.is_root) == (gm, category, cause, True)
    page = client.get(u("step", procurement.pk, gm.pk)).content.decode()
    bone = page.split(f"<h4>{label}</h4>", 1)[1].split("</div></div>", 1)[0]
    assert cause in bone
    assert "★" in bone


def test_a_fishbone_cause_needs_a_known_category(procurement: Process, gm: Step, owner: Any):
    response = client_for(owner).post(
        u("fishbone_new", procurement.pk, gm.pk), {"category": "money", "cause": "预算"}
    )
    assert response.status_code == 422
    assert "category" in response.context["form"].errors
    assert not FishboneCause.objects.exists()


# --- remedies ------------------------------------------------------------------------------


def test_a_remedy_notifies_its_owner(
    procurement: Process, gm: Step, owner: Any, colleague: Any
) -> None:
    response = client_for(owner).post(
        u("remedy_new", procurement.pk, gm.pk), remedy_data(colleague.person.pk)
    )
    assert response.status_code == 302
    remedy = Remedy.objects.get()
    assert remedy.owner == colleague.person
    note = Notification.objects.get()
    assert note.user == colleague
    assert "上线OA采购审批模块" in note.message
    assert note.url == u("step", procurement.pk, gm.pk)
    assert not note.read
    page = client_for(colleague).get(reverse("notifications")).content.decode()
    assert "上线OA采购审批模块" in page
    home = client_for(colleague).get(reverse("home")).content.decode()
    assert re.search(r'class="badge"[^>]*>1</span>', home)
    assert Notification.objects.filter(user=owner).count() == 0


def test_the_notification_is_emailed_after_the_commit(
    procurement: Process,
    gm: Step,
    owner: Any,
    colleague: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = IMMEDIATE
    colleague.email = "mali@example.com"
    colleague.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(owner).post(
            u("remedy_new", procurement.pk, gm.pk), remedy_data(colleague.person.pk)
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mali@example.com"]
    assert "上线OA采购审批模块" in message.subject
    assert u("step", procurement.pk, gm.pk) in message.body
    assert Notification.objects.get().emailed


def test_no_mail_before_the_commit(
    procurement: Process, gm: Step, owner: Any, colleague: Any, settings: Any
) -> None:
    settings.TASKS = IMMEDIATE
    colleague.email = "mali@example.com"
    colleague.save()
    client_for(owner).post(u("remedy_new", procurement.pk, gm.pk), remedy_data(colleague.person.pk))
    assert Notification.objects.count() == 1
    assert mail.outbox == []  # the test's transaction never commits


def test_editing_a_remedy_notifies_only_a_new_owner(
    procurement: Process, gm: Step, owner: Any, colleague: Any, finance: Any
) -> None:
    client = client_for(owner)
    client.post(u("remedy_new", procurement.pk, gm.pk), remedy_data(colleague.person.pk))
    remedy = Remedy.objects.get()
    edit = u("remedy_edit", procurement.pk, gm.pk, remedy.pk)
    due = remedy.due_date.isoformat()
    client.post(edit, remedy_data(colleague.person.pk, status="in_progress", due_date=due))
    assert Remedy.objects.get().status == "in_progress"
    assert Notification.objects.count() == 1
    client.post(edit, remedy_data(finance.person.pk, status="in_progress", due_date=due))
    assert Notification.objects.filter(user=finance).count() == 1
    assert Notification.objects.count() == 2


def test_verified_needs_a_result(procurement: Process, gm: Step, owner: Any) -> None:
    before = snapshot()
    response = client_for(owner).post(
        u("remedy_new", procurement.pk, gm.pk), remedy_data(owner.person.pk, status="verified")
    )
    assert response.status_code == 422
    assert response.context["form"].errors["result"] == [
        "State the measured result before marking the remedy verified."
    ]
    assert snapshot() == before
    response = client_for(owner).post(
        u("remedy_new", procurement.pk, gm.pk),
        remedy_data(owner.person.pk, status="verified", result="平均审批周期47小时"),
    )
    assert response.status_code == 302
    assert Remedy.objects.get().result == "平均审批周期47小时"


def test_remedy_needs_owner_date_and_verification(
    procurement: Process, gm: Step, owner: Any
) -> None:
    response = client_for(owner).post(u("remedy_new", procurement.pk, gm.pk), {"what": "改"})
    assert response.status_code == 422
    assert set(response.context["form"].errors) >= {"owner", "due_date", "verification"}
    assert not Remedy.objects.exists()


def test_overdue_remedy_is_tagged_on_the_step_page(
    procurement: Process, gm: Step, owner: Any
) -> None:
    late = timezone.localdate() - timedelta(days=3)
    Remedy.objects.create(step=gm, what="迟了", owner=owner.person, due_date=late, verification="v")
    page = client_for(owner).get(u("step", procurement.pk, gm.pk)).content.decode()
    assert '<span class="tag overdue">overdue</span>' in page
    Remedy.objects.update(status="done")
    page = client_for(owner).get(u("step", procurement.pk, gm.pk)).content.decode()
    assert "tag overdue" not in page


def test_step_page_shows_share_of_the_total(procurement: Process, gm: Step, viewer: Any):
    page = client_for(viewer).get(u("step", procurement.pk, gm.pk)).content.decode()
    assert "49.5%" in page
    assert "of 97 h end to end" in page
    assert '<span class="bottleneck-tag">bottleneck</span>' in page
