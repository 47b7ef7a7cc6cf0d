"""Idempotency-Key replays; webhook deliveries, signatures, retries and replay; alerts once per kind."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pytest
from django.utils import timezone

from apps.dossiers.models import Dossier
from apps.integrations.models import DeliveryStatus, DossierAlert, IdempotencyRecord, WebhookDelivery
from apps.integrations.services import webhooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(procedure):
    def make(external_id="X-1", **overrides):
        return {"external_id": external_id, "procedure": procedure.code, "receiving_unit": "P1.100",
                "received_at": "2026-02-10T09:00:00+07:00", **overrides}  # fmt: skip

    return make


def test_idempotency_key_replays_the_first_response(machine, item):
    _client, api = machine()
    first = api.post("/api/v1/ingest/", {"items": [item()]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.json()["items"][0]["outcome"] == "created"
    replay = api.post("/api/v1/ingest/", {"items": [item()]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert replay.status_code == 200 and replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    fresh = api.post("/api/v1/ingest/", {"items": [item()]}, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert fresh.json()["items"][0]["outcome"] == "unchanged"
    reused = api.post("/api/v1/ingest/", {"items": [item("Y")]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Dossier.objects.count() == 1


def test_idempotency_on_the_existing_dossier_endpoint(machine, procedure):
    _client, api = machine()
    body = {
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "received_at": "2026-02-10T09:00:00+07:00",
    }
    first = api.post("/api/v1/dossiers/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    second = api.post("/api/v1/dossiers/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] == second.json()["code"] and Dossier.objects.count() == 1


def test_in_progress_key_answers_409(machine, item):
    client, api = machine()
    IdempotencyRecord.objects.create(client=client, key="busy", method="POST", path="/api/v1/ingest/",
                                     request_digest="x")  # fmt: skip
    response = api.post("/api/v1/ingest/", {"items": [item()]}, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code in (409, 422)


def _subscribe(
    api, events=("dossier.created", "dossier.status_changed", "dossier.overdue", "dossier.due_soon")
):
    response = api.post("/api/v1/webhooks/subscriptions/", {"url": "https://example.test/hook", "events": list(events)},
                        format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def test_deliveries_signed_retried_and_replayed(machine, item, monkeypatch):
    _client, api = machine()
    subscription = _subscribe(api)
    sent = []
    answers = iter([500, 200, 200])

    def transport(url, body, headers):
        sent.append((url, body, headers))
        return next(answers)

    monkeypatch.setattr(webhooks, "_post", transport)
    monkeypatch.setattr(webhooks, "FANOUT_LAG", dt.timedelta(0))
    api.post("/api/v1/ingest/", {"items": [item()]}, format="json")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "dossier.created" and delivery.payload["dossier"]["external_id"] == "X-1"
    # the first attempt (sent right after the ingest) failed (500): pending, the next attempt backed off
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempt_count == 1
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    _url, body, headers = sent[0]
    timestamp, mac = headers["X-Casetracker-Signature"].split(",")
    expected = hmac.new(subscription["secret"].encode(), f"{timestamp[2:]}.".encode() + body, hashlib.sha256)
    assert mac == f"v1={expected.hexdigest()}"
    # the retry succeeds
    webhooks.attempt(delivery.pk, transport=transport)
    detail = api.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").json()
    assert detail["status"] == "succeeded" and [a["response_status"] for a in detail["attempts"]] == [
        500,
        200,
    ]
    # replay through the API sends it again
    replayed = api.post(f"/api/v1/webhooks/deliveries/{delivery.pk}/replay/")
    assert replayed.status_code == 202 and len(replayed.json()["attempts"]) == 3
    listed = api.get("/api/v1/webhooks/deliveries/?status=succeeded").json()
    assert listed["count"] == 1
    # another client sees none of it
    _other, other_api = machine(name="other")
    assert other_api.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").status_code == 404


def test_failed_after_max_attempts(machine, item, monkeypatch):
    _client, api = machine()
    _subscribe(api)
    monkeypatch.setattr(webhooks, "_post", lambda *a: 503)
    api.post("/api/v1/ingest/", {"items": [item()]}, format="json")
    delivery = WebhookDelivery.objects.get()
    for _ in range(webhooks.MAX_ATTEMPTS + 2):
        webhooks.attempt(delivery.pk, transport=lambda *a: 503)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempt_count == webhooks.MAX_ATTEMPTS


def test_alerts_once_per_dossier_and_kind(machine, item, monkeypatch):
    _client, api = machine()
    _subscribe(api, ["dossier.overdue", "dossier.due_soon"])
    monkeypatch.setattr(webhooks, "_post", lambda *a: 200)
    api.post("/api/v1/ingest/", {"items": [item("OLD"), item("SOON")]}, format="json")
    soon = Dossier.objects.get(external_id="SOON")
    Dossier.objects.filter(pk=soon.pk).update(effective_due_at=timezone.now() + dt.timedelta(hours=3))
    counts = webhooks.raise_alerts()
    assert counts == {"overdue": 1, "due_soon": 1}
    assert webhooks.raise_alerts() == {"overdue": 0, "due_soon": 0}
    assert DossierAlert.objects.count() == 2
    events = sorted(WebhookDelivery.objects.values_list("event", flat=True))
    assert events == ["dossier.due_soon", "dossier.overdue"]
    # once it becomes overdue too, the second kind is raised once
    Dossier.objects.filter(pk=soon.pk).update(effective_due_at=timezone.now() - dt.timedelta(hours=1))
    assert webhooks.raise_alerts() == {"overdue": 1, "due_soon": 0}


def test_subscriptions_are_for_clients(users, client_for, calendar):
    response = client_for(users["admin_p1"]).get("/api/v1/webhooks/subscriptions/")
    assert response.status_code == 403
