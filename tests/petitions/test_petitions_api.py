"""The petitions API: scope, the actions, the list filters and every bad input in the one error format."""

from __future__ import annotations

import pytest

from apps.core.actors import Actor
from apps.dossiers import services as dossier_services
from apps.dossiers.models import Dossier
from apps.petitions.models import Petition
from tests.helpers import vn

pytestmark = pytest.mark.django_db

SETUP = Actor.of_system("setup")


@pytest.fixture
def petitions(receive):
    """One petition under commune c1, one under the department, one under commune c3 (province 2)."""
    return {
        "c1": receive(vn(2026, 3, 2, 9)),
        "dept": receive(vn(2026, 3, 2, 9), unit="dept"),
        "c3": receive(vn(2026, 3, 2, 9), unit="c3"),
    }


def assert_error(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"} and body["message"]
    if field is None:
        assert body["code"] == code
    else:
        assert {"field": field, "code": code} in [
            {"field": e["field"], "code": e["code"]} for e in body["errors"]
        ]


# user, petition, can read, can act
MATRIX = [
    ("clerk_c1", "c1", True, True),
    ("clerk_c2", "c1", False, False),  # a sibling commune: 404
    ("clerk_c3", "c1", False, False),  # another province: 404
    ("officer_dept", "c1", False, False),
    ("officer_dept", "dept", True, True),
    ("supervisor_p1", "c1", True, False),  # reads the province, writes nothing: 403
    ("supervisor_p1", "c3", False, False),
    ("admin_p1", "c1", True, True),
    ("admin_p1", "dept", True, True),
    ("admin_p1", "c3", False, False),
    ("clerk_c3", "c3", True, True),
]


@pytest.mark.parametrize(("user", "petition", "can_read", "can_act"), MATRIX)
def test_read_and_act(petitions, users, client_for, user, petition, can_read, can_act):
    client = client_for(users[user])
    code = petitions[petition].code
    assert client.get(f"/api/v1/petitions/{code}/").status_code == (200 if can_read else 404)
    listed = [p["code"] for p in client.get("/api/v1/petitions/").json()["results"]]
    assert (code in listed) is can_read
    response = client.post(f"/api/v1/petitions/{code}/start/", {}, format="json")
    if can_act:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, 403 if can_read else 404, "permission_denied" if can_read else "not_found")
    assert Petition.objects.get(code=code).status == ("in_progress" if can_act else "received")


@pytest.mark.parametrize(
    ("user", "unit", "status"),
    [
        ("clerk_c1", "P1.100", 201),
        ("clerk_c1", "P1.101", 403),
        ("clerk_c3", "P1.100", 403),
        ("officer_dept", "P1.01", 201),
        ("supervisor_p1", "P1.100", 403),
        ("admin_p1", "P1.101", 201),
        ("admin_p1", "P2.100", 403),
    ],
)
def test_receive_permissions(calendar, users, client_for, user, unit, status):
    response = client_for(users[user]).post(
        "/api/v1/petitions/", {"unit": unit, "subject": "Late answer"}, format="json"
    )
    if status == 201:
        assert response.status_code == 201, response.content
    else:
        assert_error(response, 403, "unit_out_of_scope", field="unit")
        assert not Petition.objects.exists()


def test_anonymous_requests_are_refused(petitions):
    from rest_framework.test import APIClient

    assert_error(APIClient().get("/api/v1/petitions/"), 401, "not_authenticated")


class TestLifecycle:
    def test_receive_answer_and_rate(self, calendar, users, client_for):
        client = client_for(users["clerk_c1"])
        body = {
            "unit": "P1.100",
            "subject": "Slow land registration",
            "content": "Three weeks without news.",
            "channel": "phone",
            "received_at": "2026-03-02T09:00:00+07:00",
            "code": "PA-TEST-1",
        }
        created = client.post("/api/v1/petitions/", body, format="json")
        assert created.status_code == 201, created.content
        data = created.json()
        assert (data["code"], data["status"], data["reply_due_at"]) == (
            "PA-TEST-1",
            "received",
            "2026-03-23T09:00:00+07:00",
        )
        assert [e["kind"] for e in data["events"]] == ["received"]
        assert data["events"][0]["actor"] == "user:clerk_c1"
        base = "/api/v1/petitions/PA-TEST-1"
        assert (
            client.post(f"{base}/start/", {"at": "2026-03-03T09:00:00+07:00"}, format="json").status_code
            == 200
        )
        resolved = client.post(
            f"{base}/resolve/", {"at": "2026-03-04T09:00:00+07:00", "answer": "Registered."}, format="json"
        )
        assert resolved.status_code == 200, resolved.content
        assert (resolved.json()["timeliness"], resolved.json()["answer"]) == ("early", "Registered.")
        rated = client.post(f"{base}/rate/", {"rating": "satisfied"}, format="json")
        assert rated.status_code == 200 and rated.json()["rating"] == "satisfied"
        assert [e["kind"] for e in rated.json()["events"]] == [
            "received",
            "status_changed",
            "status_changed",
            "rated",
        ]

    @pytest.mark.parametrize(
        ("path", "status"),
        [("reject", "rejected"), ("request-info", "info_requested"), ("start", "in_progress")],
    )
    def test_first_actions(self, petitions, users, client_for, path, status):
        code = petitions["c1"].code
        response = client_for(users["clerk_c1"]).post(f"/api/v1/petitions/{code}/{path}/", {}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status

    def test_link_and_unlink_a_dossier(self, petitions, users, client_for, tree, procedure):
        dossier = dossier_services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=SETUP, received_at=vn(2026, 3, 2, 8)
        )
        client = client_for(users["clerk_c1"])
        url = f"/api/v1/petitions/{petitions['c1'].code}/link-dossier/"
        linked = client.post(url, {"dossier": dossier.code}, format="json")
        assert linked.status_code == 200 and linked.json()["dossier"] == dossier.code
        assert Dossier.objects.get(pk=dossier.pk).has_petition
        unlinked = client.post(url, {"dossier": None}, format="json")
        assert unlinked.status_code == 200 and unlinked.json()["dossier"] is None
        assert not Dossier.objects.get(pk=dossier.pk).has_petition


class TestBadInput:
    @pytest.fixture
    def clerk(self, petitions, users, client_for):
        return client_for(users["clerk_c1"])

    def test_malformed_json(self, clerk):
        response = clerk.post("/api/v1/petitions/", '{"unit": ', content_type="application/json")
        assert_error(response, 400, "malformed_json")

    def test_malformed_json_on_an_action(self, clerk, petitions):
        url = f"/api/v1/petitions/{petitions['c1'].code}/reject/"
        assert_error(clerk.post(url, "{", content_type="application/json"), 400, "malformed_json")

    def test_a_list_body(self, clerk):
        response = clerk.post("/api/v1/petitions/", "[1]", content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == "validation_error"

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({"unit": "X99"}, "unit", "unknown_unit"),
            ({"unit": 7}, "unit", "invalid"),
            ({"subject": ""}, "subject", "blank"),
            ({"subject": None}, "subject", "null"),
            ({"channel": "pigeon"}, "channel", "invalid_choice"),
            ({"received_at": "yesterday"}, "received_at", "invalid"),
            ({"received_at": "2099-01-01T09:00:00+07:00"}, "received_at", "received_in_future"),
            ({"received_at": "2020-01-01T09:00:00+07:00"}, None, "outside_calendar"),
            ({"dossier": "NO-SUCH"}, "dossier", "unknown_dossier"),
            ({"repeat_of": "NO-SUCH"}, "repeat_of", "unknown_petition"),
            ({"is_repeat": "often"}, "is_repeat", "invalid"),
            ({"code": "x" * 65}, "code", "max_length"),
        ],
    )
    def test_field_errors(self, clerk, body, field, code):
        payload = {"unit": "P1.100", "subject": "Late answer", **body}
        response = clerk.post("/api/v1/petitions/", payload, format="json")
        if field is None:
            assert_error(response, 400, code)
        else:
            assert_error(response, 400, code, field=field)

    def test_missing_fields(self, clerk):
        response = clerk.post("/api/v1/petitions/", {}, format="json")
        assert_error(response, 400, "required", field="unit")
        assert_error(response, 400, "required", field="subject")

    def test_references_outside_the_scope_are_unknown(self, clerk, petitions, tree, procedure):
        foreign = dossier_services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c3"], actor=SETUP, received_at=vn(2026, 3, 2, 8)
        )
        body = {"unit": "P1.100", "subject": "x", "dossier": foreign.code, "repeat_of": petitions["c3"].code}
        response = clerk.post("/api/v1/petitions/", body, format="json")
        assert_error(response, 400, "unknown_dossier", field="dossier")
        assert_error(response, 400, "unknown_petition", field="repeat_of")

    def test_duplicate_code(self, clerk, petitions):
        body = {"unit": "P1.100", "subject": "x", "code": petitions["c1"].code}
        assert_error(clerk.post("/api/v1/petitions/", body, format="json"), 400, "duplicate_petition", "code")

    def test_illegal_transition(self, clerk, petitions):
        url = f"/api/v1/petitions/{petitions['c1'].code}/resolve/"
        assert_error(clerk.post(url, {}, format="json"), 409, "illegal_transition", field="status")

    def test_rating_an_unanswered_petition(self, clerk, petitions):
        url = f"/api/v1/petitions/{petitions['c1'].code}/rate/"
        assert_error(
            clerk.post(url, {"rating": "satisfied"}, format="json"), 409, "petition_not_answered", "rating"
        )

    @pytest.mark.parametrize(
        ("path", "body", "field", "code"),
        [
            ("rate", {}, "rating", "required"),
            ("rate", {"rating": "meh"}, "rating", "invalid_choice"),
            ("rate", {"rating": ""}, "rating", "invalid_choice"),
            ("reject", {"at": "soon"}, "at", "invalid"),
            ("reject", {"at": "2026-03-01T09:00:00+07:00"}, "at", "event_before_previous"),
            ("reject", {"at": "2099-03-01T09:00:00+07:00"}, "at", "validation_error"),
            ("link-dossier", {}, "dossier", "required"),
            ("link-dossier", {"dossier": "NO-SUCH"}, "dossier", "unknown_dossier"),
            ("link-dossier", {"dossier": ["a"]}, "dossier", "invalid"),
        ],
    )
    def test_action_errors(self, clerk, petitions, path, body, field, code):
        response = clerk.post(f"/api/v1/petitions/{petitions['c1'].code}/{path}/", body, format="json")
        assert_error(response, 409 if code == "illegal_transition" else 400, code, field=field)

    def test_unknown_petition(self, clerk):
        assert_error(clerk.post("/api/v1/petitions/NOPE/start/", {}, format="json"), 404, "not_found")

    def test_wrong_method(self, clerk, petitions):
        assert_error(clerk.delete(f"/api/v1/petitions/{petitions['c1'].code}/"), 405, "method_not_allowed")

    @pytest.mark.parametrize(
        ("query", "field", "code"),
        [
            ("unit=X99", "unit", "unknown_unit"),
            ("status=lost", "status", "invalid_choice"),
            ("received_from=tomorrow", "received_from", "invalid"),
            ("overdue=maybe", "overdue", "invalid_choice"),
        ],
    )
    def test_list_filter_errors(self, clerk, query, field, code):
        assert_error(clerk.get(f"/api/v1/petitions/?{query}"), 400, code, field=field)


class TestList:
    @pytest.fixture
    def admin(self, users, client_for):
        return client_for(users["admin_p1"])

    def codes(self, client, query: str = "") -> set[str]:
        response = client.get(f"/api/v1/petitions/?{query}")
        assert response.status_code == 200, response.content
        assert "count" not in response.json()  # cursor pagination: no COUNT(*)
        return {p["code"] for p in response.json()["results"]}

    def test_filters(self, petitions, admin, receive):
        old = receive(vn(2026, 1, 5, 9))  # open, due 26 Jan: overdue now
        c1, dept = petitions["c1"].code, petitions["dept"].code
        assert self.codes(admin) == {c1, dept, old.code}
        assert self.codes(admin, "unit=P1.100") == {c1, old.code}
        assert self.codes(admin, "unit=P1") == {c1, dept, old.code}
        assert self.codes(admin, "unit=P2") == set()  # outside the user's scope stays invisible
        assert self.codes(admin, "received_from=2026-03-01&received_to=2026-03-31") == {c1, dept}
        assert self.codes(admin, "overdue=true") >= {old.code}
        assert old.code not in self.codes(admin, "overdue=false")
        assert self.codes(admin, "status=rejected") == set()
        assert self.codes(admin, "status=received&status=rejected") == {c1, dept, old.code}

    def test_cursor_pages(self, petitions, admin):
        first = admin.get("/api/v1/petitions/?page_size=1").json()
        assert len(first["results"]) == 1 and first["next"]
        second = admin.get(first["next"]).json()
        assert len(second["results"]) == 1
        assert first["results"][0]["code"] != second["results"][0]["code"]
