"""PATCH /units/{code}/: only offers_electronic_certified_copy, only by administrators of the subtree."""

from __future__ import annotations

import pytest

from apps.organisation.models import Unit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FLAG = "offers_electronic_certified_copy"


def patch(client, code: str, body):
    return client.patch(f"/api/v1/units/{code}/", body, format="json")


@pytest.mark.parametrize(
    ("user", "unit", "status"),
    [
        ("admin_p1", "P1.100", 200),  # a commune of the administrator's province
        ("admin_p1", "P1", 200),
        ("admin_p1", "P2.100", 404),  # outside the subtree: invisible
        ("clerk_c1", "P1.100", 403),
        ("officer_dept", "P1.01", 403),
        ("supervisor_p1", "P1.100", 403),
        ("clerk_c3", "P1.100", 404),
        ("superuser", "P2.100", 200),
    ],
)
def test_who_may_set_the_flag(users, client_for, tree, user, unit, status):
    actor = UserFactory(username="root", is_superuser=True) if user == "superuser" else users[user]
    response = patch(client_for(actor), unit, {FLAG: True})
    assert response.status_code == status, response.content
    assert Unit.objects.get(code=unit).offers_electronic_certified_copy is (status == 200)
    if status == 200:
        assert response.json()[FLAG] is True
    else:
        body = response.json()
        assert set(body) == {"code", "message", "errors"}
        assert body["code"] == ("permission_denied" if status == 403 else "not_found")


def test_the_flag_is_shown_and_can_be_cleared(users, client_for, tree):
    client = client_for(users["admin_p1"])
    assert client.get("/api/v1/units/P1.100/").json()[FLAG] is False
    patch(client, "P1.100", {FLAG: True})
    assert client.get("/api/v1/units/P1.100/").json()[FLAG] is True
    assert patch(client, "P1.100", {FLAG: False}).json()[FLAG] is False


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, FLAG, "required"),
        ({FLAG: "maybe"}, FLAG, "invalid"),
        ({FLAG: None}, FLAG, "null"),
        ({FLAG: True, "name": "Renamed"}, "name", "read_only"),
        ({"code": "X1"}, "code", "read_only"),
    ],
)
def test_bad_input(users, client_for, tree, body, field, code):
    response = patch(client_for(users["admin_p1"]), "P1.100", body)
    assert response.status_code == 400, response.content
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in response.json()["errors"]
    ]
    unit = Unit.objects.get(code="P1.100")
    assert (unit.name, unit.offers_electronic_certified_copy) == ("Unit P1.100", False)


def test_malformed_json_and_other_methods(users, client_for, tree):
    client = client_for(users["admin_p1"])
    response = client.patch("/api/v1/units/P1.100/", "{", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "malformed_json")
    response = client.put("/api/v1/units/P1.100/", {FLAG: True}, format="json")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_the_admin_edits_the_flag(admin_client, tree):
    response = admin_client.get(f"/admin/organisation/unit/{tree['c1'].pk}/change/")
    assert response.status_code == 200
    assert FLAG.encode() in response.content
