"""PATCH /procedures/{code}/versions/{valid_from}/: the highest online level a version allows (administrators).

Publication facts are no longer fields of a version: they are per province, in the publication-decision
register (tests/catalogue/test_registers_api.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import ProcedureVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def version(db):
    return ProcedureVersionFactory(valid_from=D(2024, 1, 1))


def url(version, valid_from: str | None = None) -> str:
    return f"/api/v1/procedures/{version.procedure.code}/versions/{valid_from or version.valid_from}/"


@pytest.fixture
def admin(users, client_for):
    return client_for(users["admin_p1"])


def test_an_administrator_changes_the_online_level(admin, version):
    response = admin.patch(url(version), {"online_level": "full"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["online_level"] == "full"
    version.refresh_from_db()
    assert version.online_level == "full"
    assert "decision_date" not in response.json()  # publication facts live in the register now


@pytest.mark.parametrize(
    ("user", "status"),
    [("admin_p1", 200), ("clerk_c1", 403), ("officer_dept", 403), ("supervisor_p1", 403), ("superuser", 200)],
)
def test_permissions(users, client_for, version, user, status):
    actor = UserFactory(username="root", is_superuser=True) if user == "superuser" else users[user]
    response = client_for(actor).patch(url(version), {"online_level": "partial"}, format="json")
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["code"] == "permission_denied"
    version.refresh_from_db()
    assert (version.online_level == "partial") is (status == 200)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"online_level": "maybe"}, "online_level", "invalid_choice"),
        ({"decision_date": "2025-12-01"}, "decision_date", "read_only"),
        ({"published_parts": ["name"]}, "published_parts", "read_only"),
        ({"fee": 0}, "fee", "read_only"),
        ({"valid_to": "2030-01-01"}, "valid_to", "read_only"),
    ],
)
def test_bad_input(admin, version, body, field, code):
    response = admin.patch(url(version), body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in response.json()["errors"]
    ]
    version.refresh_from_db()
    assert version.online_level == "none"


def test_unknown_procedure_version_and_bad_dates(admin, version):
    assert admin.patch(url(version, "2023-01-01"), {}, format="json").status_code == 404
    missing = admin.patch(f"/api/v1/procedures/9.999999/versions/{version.valid_from}/", {}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad = admin.patch(url(version, "2024-13-45"), {}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "valid_from"
    malformed = admin.patch(url(version), "{", content_type="application/json")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    wrong = admin.put(url(version), {}, format="json")
    assert wrong.status_code == 405
