"""The dossier page's actions over Django's test client: only what the status and the role allow, each
through the API's service with its history event, refusals as 400/403/409 (never 500), then back (PRG)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from django.test import Client
from django.utils import translation

from apps.core.actors import Actor
from apps.core.errors import ConflictError, ErrorCode
from apps.dossiers import services
from apps.dossiers.actions import ACTIONS, allowed_actions
from apps.dossiers.models import Dossier, EventKind, Rating
from apps.dossiers.status import Status

pytestmark = pytest.mark.django_db
S = Actor.of_system("t")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def received(calendar, tree, procedure):
    """A dossier received at commune c1 now (the frozen clock), handled there."""
    return services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=S)


def shown_actions(html: str) -> set[str]:
    return set(re.findall(r'data-testid="action-([a-z-]+)"', html))


def act(client: Client, dossier: Dossier, action: str, **data) -> object:
    dossier.refresh_from_db()
    return client.post(
        f"/console/dossiers/{dossier.code}/actions/{action}/", {"status": dossier.status, **data}
    )


def test_a_received_dossier_offers_what_the_status_table_allows(users, received):
    html = signed_in(users["clerk_c1"]).get(f"/console/dossiers/{received.code}/").content.decode()
    expected = {
        "start-processing",
        "request-supplement",
        "request-payment",
        "finish",
        "withdraw",
        "stop",
        "assign",
        "rate",
    }
    assert shown_actions(html) == expected
    assert {a.code for a in allowed_actions(users["clerk_c1"], received)} == expected
    assert 'for="request-supplement-reason"' in html and 'for="assign-unit"' in html  # labelled fields


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.SUPPLEMENT_REQUESTED, {"complete-supplement", "withdraw", "stop", "assign", "rate"}),
        (
            Status.FINANCIAL_OBLIGATION,
            {"start-processing", "withdraw", "stop", "finish", "assign", "rate"},
        ),
        (Status.FINISHED, {"return-result", "rate"}),
        (Status.RESULT_RETURNED, {"rate"}),
        (Status.STOPPED, {"rate"}),
    ],
)
def test_later_statuses_offer_only_their_next_steps(users, received, status, expected):
    Dossier.objects.filter(pk=received.pk).update(status=status)
    html = signed_in(users["clerk_c1"]).get(f"/console/dossiers/{received.code}/").content.decode()
    assert shown_actions(html) == expected


# Each step: action, form data, the status it leads to, the kind of the history event it writes.
PATH = [
    ("start-processing", {}, Status.PROCESSING, EventKind.STATUS_CHANGED),
    (
        "request-supplement",
        {"reason": "Thiếu bản sao giấy khai sinh"},
        Status.SUPPLEMENT_REQUESTED,
        EventKind.SUPPLEMENT_REQUESTED,
    ),
    ("complete-supplement", {"note": "Đã nộp bổ sung"}, Status.PROCESSING, EventKind.SUPPLEMENT_COMPLETED),
    ("request-payment", {}, Status.FINANCIAL_OBLIGATION, EventKind.STATUS_CHANGED),
    ("start-processing", {}, Status.PROCESSING, EventKind.STATUS_CHANGED),
    ("finish", {"note": "Cấp giấy khai sinh"}, Status.FINISHED, EventKind.STATUS_CHANGED),
    ("return-result", {}, Status.RESULT_RETURNED, EventKind.STATUS_CHANGED),
]


def test_each_step_of_the_life_works_and_writes_its_history(users, received):
    clerk = signed_in(users["clerk_c1"])
    for action, data, status, kind in PATH:
        before = received.events.count()
        response = act(clerk, received, action, **data)
        assert response.status_code == 302, (action, response.content.decode()[:2000])
        assert response["Location"] == f"/console/dossiers/{received.code}/"
        received.refresh_from_db()
        assert received.status == status, action
        assert received.events.count() == before + 1
        event = received.events.order_by("-id").first()
        assert (event.kind, event.to_status, event.actor_user_id) == (kind, status, users["clerk_c1"].pk)
        html = clerk.get(response["Location"]).content.decode()
        with translation.override("vi"):
            assert f'data-testid="status">{Status(status).label}<' in html
        assert 'data-testid="done"' in html
        assert html.count("<li>") >= before + 1  # the timeline grew
    assert received.supplement_requests.get().reason == "Thiếu bản sao giấy khai sinh"


@pytest.mark.parametrize(
    ("action", "data", "status"),
    [("withdraw", {}, Status.WITHDRAWN), ("stop", {"note": "Không đủ điều kiện"}, Status.STOPPED)],
)
def test_end_states(users, received, action, data, status):
    response = act(signed_in(users["clerk_c1"]), received, action, **data)
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.status == status and received.ended_at is not None
    assert received.events.order_by("-id").first().note == data.get("note", "")


def test_an_online_submission_is_accepted_or_refused(calendar, tree, procedure, users):
    clerk = signed_in(users["clerk_c1"])
    first = services.register_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=S)
    second = services.register_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=S)
    html = clerk.get(f"/console/dossiers/{first.code}/").content.decode()
    assert shown_actions(html) == {"accept", "refuse-intake", "assign"}
    assert act(clerk, first, "accept").status_code == 302
    assert act(clerk, second, "refuse-intake").status_code == 400  # a refusal needs its reason
    assert act(clerk, second, "refuse-intake", note="Hồ sơ trùng").status_code == 302
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.status, second.status) == (Status.RECEIVED, Status.REFUSED_AT_INTAKE)
    assert first.events.order_by("-id").first().kind == EventKind.RECEIVED


def test_transfer_only_to_units_the_routing_rule_allows(users, tree, received):
    clerk = signed_in(users["clerk_c1"])
    html = clerk.get(f"/console/dossiers/{received.code}/").content.decode()
    offered = set(re.findall(r'<option value="(P[^"]+)"', html))
    assert offered == {"P1", "P1.01", "P1.101"}  # the province's units, not P2's, not the current one
    refused = act(clerk, received, "assign", handling_unit="P2.100")
    assert refused.status_code == 400 and 'id="assign-unit-error"' in refused.content.decode()
    received.refresh_from_db()
    assert received.handling_unit == tree["c1"]
    assert act(clerk, received, "assign", handling_unit="P1.01", note="Chuyển Sở").status_code == 302
    received.refresh_from_db()
    assert received.handling_unit == tree["dept"]
    assert received.events.order_by("-id").first().kind == EventKind.HANDLING_UNIT_ASSIGNED


def test_the_applicants_rating(users, received):
    clerk = signed_in(users["clerk_c1"])
    assert act(clerk, received, "rate", rating="meh").status_code == 400
    assert act(clerk, received, "rate", rating="dissatisfied").status_code == 302
    received.refresh_from_db()
    assert received.rating == Rating.DISSATISFIED
    assert received.events.order_by("-id").first().kind == EventKind.RATED


def test_a_required_field_left_empty_is_refused_at_its_field(users, received):
    response = act(signed_in(users["clerk_c1"]), received, "request-supplement", reason="  ")
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="request-supplement-reason"[^>]*aria-invalid="true"', html)
    assert 'id="request-supplement-reason-error"' in html
    received.refresh_from_db()
    assert received.status == Status.RECEIVED and received.events.count() == 1


def test_an_action_the_status_forbids_is_refused_even_posted_by_hand(users, received):
    clerk = signed_in(users["clerk_c1"])
    for action in ("return-result", "complete-supplement", "accept"):
        response = act(clerk, received, action)
        assert response.status_code == 409, action
        assert 'data-testid="action-error"' in response.content.decode()
    assert clerk.post(f"/console/dossiers/{received.code}/actions/explode/").status_code == 404
    assert clerk.get(f"/console/dossiers/{received.code}/actions/finish/").status_code == 405
    received.refresh_from_db()
    assert received.status == Status.RECEIVED and received.events.count() == 1


def test_a_stale_action_says_the_dossier_changed(users, received):
    clerk = signed_in(users["clerk_c1"])
    shown = received.status  # the page was rendered at "received"
    services.start_processing(received, actor=S)  # someone else moved it meanwhile
    url = f"/console/dossiers/{received.code}/actions/start-processing/"
    response = clerk.post(url, {"status": shown})
    assert response.status_code == 409
    html = response.content.decode()
    with translation.override("vi"):  # the console's default language
        now = str(Status.PROCESSING.label)
    assert now in html.split('data-testid="action-error"', 1)[1].split("</p>", 1)[0]
    received.refresh_from_db()
    assert received.events.count() == 2  # nothing written twice


def test_a_domain_error_from_the_service_is_shown_not_a_500(users, received, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConflictError(ErrorCode.ILLEGAL_TRANSITION, "Đã có người khác xử lý.", field="status")

    monkeypatch.setitem(ACTIONS, "finish", replace(ACTIONS["finish"], service=refuse))
    response = act(signed_in(users["clerk_c1"]), received, "finish")
    assert response.status_code == 409 and "Đã có người khác xử lý." in response.content.decode()


def test_a_supervisor_reads_but_acts_on_nothing(users, received):
    supervisor = signed_in(users["supervisor_p1"])
    html = supervisor.get(f"/console/dossiers/{received.code}/").content.decode()
    assert shown_actions(html) == set() and 'data-testid="no-actions"' in html
    response = act(supervisor, received, "finish")
    assert response.status_code == 403
    received.refresh_from_db()
    assert received.status == Status.RECEIVED


def test_a_clerk_cannot_act_on_a_dossier_its_unit_only_handles(users, tree, procedure, calendar):
    elsewhere = services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c2"], handling_unit=tree["c1"], actor=S
    )
    clerk = signed_in(users["clerk_c1"])
    html = clerk.get(f"/console/dossiers/{elsewhere.code}/").content.decode()  # visible: handled here
    assert shown_actions(html) == set()
    assert act(clerk, elsewhere, "start-processing").status_code == 403
    officer = signed_in(users["officer_dept"])  # an officer acts on what its unit handles
    Dossier.objects.filter(pk=elsewhere.pk).update(handling_unit=tree["dept"])
    assert act(officer, elsewhere, "start-processing").status_code == 302


def test_another_units_dossier_is_not_found(users, received):
    other = signed_in(users["clerk_c3"])
    assert other.get(f"/console/dossiers/{received.code}/").status_code == 404
    assert act(other, received, "finish").status_code == 404
    received.refresh_from_db()
    assert received.status == Status.RECEIVED


def test_handing_a_dossier_out_of_the_officers_scope(users, tree, procedure, calendar):
    dossier = services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], handling_unit=tree["dept"], actor=S
    )
    response = act(signed_in(users["officer_dept"]), dossier, "assign", handling_unit="P1.101")
    assert response.status_code == 200 and dossier.code in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.handling_unit == tree["c2"]
