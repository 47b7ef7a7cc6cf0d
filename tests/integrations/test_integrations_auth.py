"""API keys: hashed, shown once, revocable, expiring; scopes; subtree; rate limits; writes record the client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.dossiers.models import Dossier, DossierEvent
from apps.integrations.models import ApiKey, MachineClient
from apps.integrations.services.clients import issue_key, revoke_key

pytestmark = pytest.mark.django_db


def test_key_is_stored_hashed_and_shown_once(machine, users, client_for):
    client, api = machine()
    key = ApiKey.objects.get(client=client)
    assert api.plaintext.startswith(f"ctk_{key.prefix}_")
    assert api.plaintext.split("_", 2)[2] not in key.digest
    admin = client_for(users["admin_p1"])
    body = admin.get("/api/v1/integrations/clients/onestop/").json()
    assert "key" not in body["keys"][0] and body["keys"][0]["prefix"] == key.prefix


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Api-Key ctk_nothing_here", "authentication_failed"),
        ("Api-Key garbage", "authentication_failed"),
        (None, "not_authenticated"),
    ],
)
def test_bad_keys(machine, header, code):
    machine()
    api = APIClient()
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/dossiers/")
    assert response.status_code == 401 and response.json()["code"] == code


def test_revoked_and_expired_keys_stop_working(machine):
    client, api = machine()
    assert api.get("/api/v1/dossiers/").status_code == 200
    revoke_key(ApiKey.objects.get(client=client))
    response = api.get("/api/v1/dossiers/")
    assert response.status_code == 401 and "thu hồi" in response.json()["message"]  # "revoked"
    assert "revoked" in api.get("/api/v1/dossiers/", HTTP_ACCEPT_LANGUAGE="en").json()["message"]

    key, plaintext = issue_key(client, expires_at=timezone.now() + dt.timedelta(seconds=60))
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = APIClient()
    expired.credentials(HTTP_X_API_KEY=plaintext)
    response = expired.get("/api/v1/dossiers/")
    assert response.status_code == 401 and "hết hạn" in response.json()["message"]  # "expired"


def test_disabled_client_is_refused(machine):
    client, api = machine()
    MachineClient.objects.filter(pk=client.pk).update(is_active=False)
    assert api.get("/api/v1/dossiers/").status_code == 401


@pytest.mark.parametrize(
    ("scopes", "method", "path", "expected"),
    [
        (["read_dossiers"], "get", "/api/v1/dossiers/", 200),
        (["read_dossiers"], "post", "/api/v1/dossiers/", "insufficient_scope"),
        (["write_dossiers"], "get", "/api/v1/dossiers/", "insufficient_scope"),
        (["write_dossiers"], "post", "/api/v1/ingest/", 200),
        (["read_dossiers"], "post", "/api/v1/ingest/", "insufficient_scope"),
        (["read_dossiers"], "get", "/api/v1/units/P1/on-time/", "insufficient_scope"),
        (["read_dossiers"], "get", "/api/v1/units/", 200),
        (["write_dossiers", "read_dossiers"], "get", "/api/v1/integrations/clients/", "insufficient_scope"),
    ],
)
def test_scopes(machine, scopes, method, path, expected):
    _client, api = machine(scopes)
    response = getattr(api, method)(path, {"items": []} if method == "post" else None, format="json")
    if expected == 200:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403 and response.json()["code"] == expected


def test_existing_dossier_endpoints_record_the_client(machine, procedure):
    _client, api = machine()
    body = {
        "external_id": "OS-1",  # a machine client's create names its retry identity (docs/ingest.md)
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "received_at": "2026-02-10T09:00:00+07:00",
    }
    response = api.post("/api/v1/dossiers/", body, format="json")
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(code=response.json()["code"])
    assert dossier.created_by is None and dossier.created_by_system == "onestop"
    assert response.json()["events"][0]["actor"] == "system:onestop"
    finish = api.post(
        f"/api/v1/dossiers/{dossier.code}/finish/", {"at": "2026-02-11T09:00:00+07:00"}, format="json"
    )
    assert finish.status_code == 200, finish.content
    assert DossierEvent.objects.filter(dossier=dossier, actor_system="onestop", actor_user=None).count() == 2


def test_client_cannot_write_outside_its_subtree(machine, procedure):
    _client, api = machine(unit="c1")
    body = {
        "procedure": procedure.code,
        "receiving_unit": "P1.101",
        "received_at": "2026-02-10T09:00:00+07:00",
    }
    response = api.post("/api/v1/dossiers/", body, format="json")
    assert response.status_code == 403 and response.json()["code"] == "unit_out_of_scope"


def test_rate_limit_per_client(machine):
    _client, api = machine(rate=2)
    assert api.get("/api/v1/units/").status_code == 200
    assert api.get("/api/v1/units/").status_code == 200
    response = api.get("/api/v1/units/")
    assert response.status_code == 429 and response.json()["code"] == "throttled"
    _other, other_api = machine(name="other", rate=2)
    assert other_api.get("/api/v1/units/").status_code == 200


def test_staff_manage_clients_and_keys(users, client_for, tree, calendar):
    admin = client_for(users["admin_p1"])
    created = admin.post(
        "/api/v1/integrations/clients/",
        {"name": "sector", "unit": "P1.01", "scopes": ["read_dossiers"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    key = admin.post("/api/v1/integrations/clients/sector/keys/", {"label": "prod"}, format="json")
    assert key.status_code == 201 and key.json()["key"].startswith("ctk_")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key.json()['key']}")
    assert api.get("/api/v1/dossiers/").status_code == 200
    revoked = admin.post(f"/api/v1/integrations/clients/sector/keys/{key.json()['prefix']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert api.get("/api/v1/dossiers/").status_code == 401
    outside = admin.post(
        "/api/v1/integrations/clients/",
        {"name": "far", "unit": "P2.100", "scopes": ["read_dossiers"]},
        format="json",
    )
    assert outside.status_code == 403 and outside.json()["code"] == "unit_out_of_scope"
    clerk = client_for(users["clerk_c1"])
    assert clerk.get("/api/v1/integrations/clients/").status_code == 403
