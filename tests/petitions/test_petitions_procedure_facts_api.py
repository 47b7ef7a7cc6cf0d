"""PATCH /procedures/{code}/versions/{valid_from}/: publication facts and online level, administrators only."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.catalogue.api.serializers import publication_fact_problems
from apps.catalogue.models import CONTENT_PARTS
from tests.factories import ProcedureVersionFactory, UserFactory

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2026, 6, 1)


# decision, effective, disclosure -> problems {field: code}
PROBLEMS = [
    pytest.param(None, None, None, {}, id="nothing recorded"),
    pytest.param(D(2026, 1, 5), D(2026, 2, 1), D(2026, 1, 9), {}, id="all in order"),
    pytest.param(D(2026, 1, 5), D(2026, 1, 1), None, {}, id="decision after effect: late, not impossible"),
    pytest.param(D(2026, 1, 5), D(2027, 1, 1), D(2026, 1, 5), {}, id="future effect; disclosed the same day"),
    pytest.param(
        D(2026, 1, 5), None, D(2026, 1, 4), {"disclosure_date": "before_decision"}, id="disclosed first"
    ),
    pytest.param(None, None, D(2026, 1, 4), {"disclosure_date": "decision_required"}, id="no decision"),
    pytest.param(D(2026, 6, 2), None, None, {"decision_date": "in_future"}, id="future decision"),
    pytest.param(
        D(2026, 6, 2),
        None,
        D(2026, 6, 3),
        {"decision_date": "in_future", "disclosure_date": "in_future"},
        id="both in the future",
    ),
]


@pytest.mark.parametrize(("decision", "effective", "disclosure", "expected"), PROBLEMS)
def test_publication_fact_rules(decision, effective, disclosure, expected):
    problems = publication_fact_problems(
        decision_date=decision, effective_date=effective, disclosure_date=disclosure, today=TODAY
    )
    assert {field: code for field, (code, _message) in problems.items()} == expected


@pytest.fixture
def version(db):
    return ProcedureVersionFactory(valid_from=D(2024, 1, 1))


def url(version, valid_from: str | None = None) -> str:
    return f"/api/v1/procedures/{version.procedure.code}/versions/{valid_from or version.valid_from}/"


@pytest.fixture
def admin(users, client_for):
    return client_for(users["admin_p1"])


def test_an_administrator_records_the_facts(admin, version):
    body = {
        "decision_date": "2025-12-01",
        "effective_date": "2026-01-01",
        "disclosure_date": "2025-12-05",
        "published_parts": ["agency", "name", "sequence"],
        "online_level": "full",
    }
    response = admin.patch(url(version), body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["published_parts"] == ["name", "sequence", "agency"]  # canonical order
    assert (data["online_level"], data["content_complete"]) == ("full", False)
    version.refresh_from_db()
    assert (version.decision_date, version.disclosure_date, version.online_level) == (
        D(2025, 12, 1),
        D(2025, 12, 5),
        "full",
    )
    full = admin.patch(url(version), {"published_parts": list(CONTENT_PARTS)}, format="json")
    assert full.json()["content_complete"] is True
    assert full.json()["decision_date"] == "2025-12-01"  # a partial update keeps the rest


def test_a_date_can_be_cleared(admin, version):
    admin.patch(url(version), {"decision_date": "2025-12-01"}, format="json")
    response = admin.patch(url(version), {"decision_date": None}, format="json")
    assert response.status_code == 200 and response.json()["decision_date"] is None


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
        ({"published_parts": ["name", "fee"]}, "published_parts.1", "invalid_choice"),
        ({"published_parts": ["name", "name"]}, "published_parts", "duplicate"),
        ({"published_parts": "name"}, "published_parts", "not_a_list"),
        ({"online_level": "maybe"}, "online_level", "invalid_choice"),
        ({"decision_date": "01/12/2025"}, "decision_date", "invalid"),
        (
            {"decision_date": "2025-12-05", "disclosure_date": "2025-12-01"},
            "disclosure_date",
            "before_decision",
        ),
        ({"disclosure_date": "2025-12-01"}, "disclosure_date", "decision_required"),
        ({"decision_date": "2099-01-01"}, "decision_date", "in_future"),
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
    assert (version.decision_date, version.published_parts, version.online_level) == (None, [], "none")


def test_checked_against_the_stored_dates(admin, version):
    assert admin.patch(url(version), {"decision_date": "2025-12-05"}, format="json").status_code == 200
    response = admin.patch(url(version), {"disclosure_date": "2025-12-01"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "before_decision"


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
