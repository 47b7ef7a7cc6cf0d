"""Dossier lists: filters, cursor pagination with bounded pages, and the detail with its history."""

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import Channel
from apps.dossiers.status import Status
from tests.factories import ProcedureVersionFactory
from tests.helpers import vn

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("test")


@pytest.fixture
def mix(calendar, tree, procedure):
    """Five dossiers across units, channels, dates and statuses."""
    other = ProcedureVersionFactory().procedure

    def receive(unit, at, **kwargs):
        return services.receive_dossier(
            procedure=kwargs.pop("proc", procedure),
            receiving_unit=tree[unit],
            actor=SYSTEM,
            received_at=at,
            **kwargs,
        )

    d = {
        "old_late": receive("c1", vn(2026, 3, 2, 9)),  # due Thu 5 Mar 09:00, still open ⇒ overdue
        "paused": receive("c1", vn(2026, 3, 2, 9)),
        "finished": receive("c2", vn(2026, 3, 9, 9), channel=Channel.ONLINE),
        "p2": receive("c3", vn(2026, 3, 10, 9), proc=other),
        "recent": receive("c1", vn(2026, 11, 20, 9)),
    }
    services.request_supplement(d["paused"], actor=SYSTEM, at=vn(2026, 3, 3, 9))  # paused before due
    services.finish(d["finished"], actor=SYSTEM, at=vn(2026, 3, 10, 9))
    return d


def codes(response):
    assert response.status_code == 200, response.json()
    return {item["code"] for item in response.json()["results"]}


@pytest.fixture
def admin(users, client_for):
    return client_for(users["admin_p1"])


def test_unit_filter_takes_the_subtree(mix, admin):
    assert codes(admin.get("/api/v1/dossiers/?unit=P1")) == {
        mix[k].code for k in ("old_late", "paused", "finished", "recent")
    }
    assert codes(admin.get("/api/v1/dossiers/?unit=P1.101")) == {mix["finished"].code}


def test_status_channel_procedure_and_dates(mix, admin, procedure):
    assert codes(admin.get(f"/api/v1/dossiers/?status={Status.FINISHED}")) == {mix["finished"].code}
    assert codes(
        admin.get(f"/api/v1/dossiers/?status={Status.FINISHED}&status={Status.SUPPLEMENT_REQUESTED}")
    ) == {
        mix["finished"].code,
        mix["paused"].code,
    }
    assert codes(admin.get("/api/v1/dossiers/?channel=2")) == {mix["finished"].code}
    assert len(codes(admin.get(f"/api/v1/dossiers/?procedure={procedure.code}"))) == 4
    assert codes(admin.get("/api/v1/dossiers/?received_from=2026-03-09&received_to=2026-03-31")) == {
        mix["finished"].code
    }
    assert codes(admin.get("/api/v1/dossiers/?due_to=2026-03-06T00:00:00%2B07:00")) == {
        mix["old_late"].code,
        mix["paused"].code,
    }


def test_overdue_now(mix, admin):
    assert codes(admin.get("/api/v1/dossiers/?overdue=true")) == {mix["old_late"].code}
    assert mix["old_late"].code not in codes(admin.get("/api/v1/dossiers/?overdue=false"))


def test_cursor_pages_cover_everything_once_newest_first(mix, admin):
    seen, url = [], "/api/v1/dossiers/?page_size=2"
    while url:
        page = admin.get(url).json()
        assert "count" not in page  # no COUNT(*) over the scoped table
        assert len(page["results"]) <= 2
        seen += [item["received_at"] for item in page["results"]]
        url = page["next"]
    assert len(seen) == 4 and seen == sorted(seen, reverse=True)


def test_page_size_is_bounded(mix, admin, settings):
    settings.API_MAX_PAGE_SIZE = 3
    assert len(admin.get("/api/v1/dossiers/?page_size=1000").json()["results"]) == 3


def test_detail_shows_history_and_pauses(mix, admin):
    body = admin.get(f"/api/v1/dossiers/{mix['paused'].code}/").json()
    assert [e["kind"] for e in body["events"]] == ["received", "supplement_requested"]
    assert body["events"][1]["from_status"] == Status.RECEIVED
    assert body["events"][1]["actor"] == "system:test"
    assert body["supplement_requests"] == [
        {"number": 1, "requested_at": "2026-03-03T09:00:00+07:00", "completed_at": None, "reason": ""}
    ]
    assert body["status"] == 5 and body["status_name"] == "yêu cầu bổ sung giấy tờ"  # Vietnamese by default


def test_detail_query_count_does_not_grow_with_history(mix, admin, django_assert_max_num_queries):
    for _ in range(5):
        services.set_flag(mix["recent"], "inputs_digitized", actor=SYSTEM, value=True)
        services.set_flag(mix["recent"], "inputs_digitized", actor=SYSTEM, value=False)
    with django_assert_max_num_queries(8):
        assert len(admin.get(f"/api/v1/dossiers/{mix['recent'].code}/").json()["events"]) == 11


def test_list_query_count_is_constant(mix, admin, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        admin.get("/api/v1/dossiers/?page_size=50")


def test_full_flow_over_the_api(calendar, tree, procedure, users, client_for):
    clerk = client_for(users["clerk_c1"])
    created = clerk.post(
        "/api/v1/dossiers/",
        {
            "procedure": procedure.code,
            "receiving_unit": "P1.100",
            "handling_unit": "P1.01",
            "received_at": "2026-02-13T16:30:00+07:00",
            "channel": 2,
            "applicant_name": "Nguyễn Văn A",
        },
        format="json",
    ).json()
    assert created["legal_due_at"] == "2026-02-25T16:30:00+07:00"  # the done-when example
    code = created["code"]
    officer = client_for(users["officer_dept"])
    for path, body in [
        ("start-processing", {"at": "2026-02-23T08:00:00+07:00"}),
        ("request-supplement", {"at": "2026-02-23T09:00:00+07:00", "reason": "missing map"}),
        ("complete-supplement", {"at": "2026-02-24T09:00:00+07:00"}),
        ("flags", {"flag": "electronic_result_issued"}),
        ("finish", {"at": "2026-02-26T10:00:00+07:00", "note": "approved"}),
    ]:
        response = officer.post(f"/api/v1/dossiers/{code}/{path}/", body, format="json")
        assert response.status_code == 200, (path, response.json())
    returned = clerk.post(f"/api/v1/dossiers/{code}/return-result/", {}, format="json").json()
    assert returned["status"] == Status.RESULT_RETURNED
    assert returned["effective_due_at"] == "2026-02-26T16:30:00+07:00"
    assert returned["timeliness"] == "on_time"
    assert returned["electronic_result_issued"] is True
    rated = clerk.post(f"/api/v1/dossiers/{code}/rate/", {"rating": "satisfied"}, format="json").json()
    assert rated["rating"] == "satisfied"
    assert [e["actor"] for e in rated["events"]][:2] == ["user:clerk_c1", "user:officer_dept"]


def test_registration_and_acceptance_over_the_api(calendar, tree, procedure, users, client_for):
    clerk = client_for(users["clerk_c1"])
    registered = clerk.post(
        "/api/v1/dossiers/",
        {"procedure": procedure.code, "receiving_unit": "P1.100", "status": 1},
        format="json",
    ).json()
    assert registered["status"] == 1 and registered["legal_due_at"] is None
    accepted = clerk.post(f"/api/v1/dossiers/{registered['code']}/accept/", {}, format="json").json()
    assert accepted["status"] == 2 and accepted["legal_due_at"] is not None


def test_assign_to_another_unit(mix, users, client_for):
    clerk = client_for(users["clerk_c1"])
    moved = clerk.post(
        f"/api/v1/dossiers/{mix['recent'].code}/assign/", {"handling_unit": "P1.01"}, format="json"
    )
    assert moved.json()["handling_unit"] == "P1.01"
    bad = clerk.post(f"/api/v1/dossiers/{mix['recent'].code}/assign/", {"handling_unit": "ZZ"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0] == {
        "field": "handling_unit",
        "code": "unknown_unit",
        "message": "Không có đơn vị với mã 'ZZ'.",
    }
