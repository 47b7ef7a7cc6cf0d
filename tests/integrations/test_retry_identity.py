"""A machine client's create must carry a retry identity, so a retry can never make a second dossier.

docs/ingest.md: the identity is the client's ``external_id`` or the request's ``Idempotency-Key``;
without either the create is refused (400 ``retry_identity_required``) before anything is written.
"""

import pytest

from apps.dossiers.models import Dossier

pytestmark = pytest.mark.django_db
URL = "/api/v1/dossiers/"


@pytest.fixture
def body(procedure):
    return {
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "received_at": "2026-11-20T09:00:00+07:00",
    }


def test_a_create_without_identity_is_refused_and_writes_nothing(machine, body):
    _client, api = machine()
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "retry_identity_required"
    assert response.json()["errors"][0]["field"] == "external_id"
    assert Dossier.objects.count() == 0


def test_a_registration_without_identity_is_refused_too(machine, body):
    _client, api = machine()
    response = api.post(URL, {**body, "status": 1}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "retry_identity_required"


def test_retries_with_an_idempotency_key_make_one_dossier(machine, body):
    _client, api = machine()
    first = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    retry = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="order-7")
    assert first.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true" and retry.json()["code"] == first.json()["code"]
    assert Dossier.objects.count() == 1


def test_retries_with_an_external_id_make_one_dossier(machine, body):
    _client, api = machine()
    first = api.post(URL, {**body, "external_id": "OS-7"}, format="json")
    retry = api.post(URL, {**body, "external_id": "OS-7"}, format="json")
    assert first.status_code == 201, first.json()
    assert retry.status_code == 400 and retry.json()["code"] == "duplicate_dossier"
    assert Dossier.objects.get().external_id == "OS-7"


def test_two_different_identities_are_two_dossiers_even_with_the_same_content(machine, body):
    """No guessing from the content: the same applicant may file the same procedure twice."""
    _client, api = machine()
    assert api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="a").status_code == 201
    assert api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="b").status_code == 201
    assert Dossier.objects.count() == 2


def test_scope_is_answered_before_the_identity(machine, body):
    _client, api = machine(unit="c1")
    response = api.post(URL, {**body, "receiving_unit": "P1.101"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "unit_out_of_scope"


def test_staff_creates_are_not_held_to_it(body, users, client_for):
    response = client_for(users["clerk_c1"]).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
