"""Idempotency-Key claims are leases: a request that died frees its key, still exactly once.

The rule (:func:`decide`) is tested with a table; the middleware with claims in each state; and on
PostgreSQL a real process is killed with SIGKILL in the middle of a request, then retried by several
clients at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from apps.dossiers.models import Dossier
from apps.integrations.api import views as integration_views
from apps.integrations.idempotency import Decision, decide, request_digest
from apps.integrations.models import IdempotencyRecord
from tests.helpers import database_url_for_subprocesses

ROOT = Path(__file__).resolve().parents[2]
PATH = "/api/v1/ingest/"
NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("stored_digest", "status_code", "lease_expires_at", "expected"),
    [
        ("other", None, NOW + SECOND, Decision.REUSED),  # another request's key, however its claim stands
        ("other", 201, None, Decision.REUSED),
        ("other", None, NOW - SECOND, Decision.REUSED),
        ("same", 201, None, Decision.REPLAY),  # finished: the stored answer, whatever the lease says
        ("same", 400, NOW + SECOND, Decision.REPLAY),
        ("same", None, NOW + SECOND, Decision.IN_PROGRESS),  # a live claim
        ("same", None, NOW, Decision.TAKE_OVER),  # the lease ends at its expiry instant
        ("same", None, NOW - SECOND, Decision.TAKE_OVER),
        ("same", None, None, Decision.TAKE_OVER),  # a claim from before leases existed
    ],
)
def test_decide(stored_digest, status_code, lease_expires_at, expected):
    decision = decide(stored_digest=stored_digest, status_code=status_code, lease_expires_at=lease_expires_at,
                      digest="same", now=NOW)  # fmt: skip
    assert decision is expected


def _body(procedure, external_id: str) -> str:
    item = {"external_id": external_id, "procedure": procedure.code, "receiving_unit": "P1.100",
            "received_at": "2026-02-10T09:00:00+07:00"}  # fmt: skip
    return json.dumps({"items": [item]})


def _post(api, body: str, key: str):
    return api.post(PATH, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def _digest_of(body: str) -> str:
    return request_digest(RequestFactory().post(PATH, data=body, content_type="application/json"))


LEASE = "lease"  # placeholder in the table: now + the configured lease


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "same_body", "status_code", "lease", "advance", "expected_status", "runs"),
    [
        ("completed is replayed", True, 201, None, 0, 201, False),
        ("completed, other body", False, 201, None, 0, 422, False),
        ("live claim", True, None, LEASE, 0, 409, False),
        ("live claim, just before expiry", True, None, LEASE, -1, 409, False),
        ("expired claim is taken over", True, None, LEASE, +1, 200, True),
        ("claim without lease (older rows)", True, None, None, 0, 200, True),
        ("expired claim, other body", False, None, LEASE, +1, 422, False),
    ],
)
def test_claim_states(machine, procedure, frozen_clock, case, same_body, status_code, lease, advance,
                      expected_status, runs):  # fmt: skip
    client, api = machine()
    body = _body(procedure, "L-1")
    old_token = uuid.uuid4()
    record = IdempotencyRecord.objects.create(
        client=client, key="k", method="POST", path=PATH,
        request_digest=_digest_of(body if same_body else _body(procedure, "other")),
        status_code=status_code, response_body={"stored": True} if status_code else None,
        claim_token=old_token, lease_expires_at=timezone.now() + settings.IDEMPOTENCY_LEASE if lease else None,
    )  # fmt: skip
    if advance:
        frozen_clock.shift(settings.IDEMPOTENCY_LEASE + advance * SECOND)

    response = _post(api, body, "k")

    assert response.status_code == expected_status, (case, response.content)
    record.refresh_from_db()
    assert Dossier.objects.filter(external_id="L-1").exists() is runs
    if runs:  # the retry ran under a new claim and stored its own answer
        assert response.json()["items"][0]["outcome"] == "created"
        assert record.claim_token != old_token and record.status_code == 200
        assert "Idempotent-Replayed" not in response
        assert _post(api, body, "k").json() == response.json()  # and is replayed from now on
    elif expected_status == 201:
        assert response.json() == {"stored": True} and response["Idempotent-Replayed"] == "true"
    elif expected_status == 409:
        assert response.json()["code"] == "idempotency_in_progress" and response["Retry-After"] == "1"
        assert record.claim_token == old_token and record.status_code is None
    else:
        assert response.json()["code"] == "idempotency_key_reused"
        assert record.claim_token == old_token


@pytest.mark.django_db
def test_request_that_outlived_its_lease_is_undone(machine, procedure, monkeypatch):
    """While the request runs, a retry takes its (expired) claim over: its writes roll back, it answers 409."""
    _client, api = machine()
    original = integration_views.IngestView.post

    def slow_post(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        IdempotencyRecord.objects.filter(key="slow").update(claim_token=uuid.uuid4())  # the other retry
        return response

    monkeypatch.setattr(integration_views.IngestView, "post", slow_post)
    response = _post(api, _body(procedure, "S-1"), "slow")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_in_progress"
    assert not Dossier.objects.filter(external_id="S-1").exists()
    assert IdempotencyRecord.objects.get(key="slow").status_code is None  # left to the one that took over


@pytest.mark.django_db
def test_server_error_undoes_the_writes_and_frees_the_key(machine, procedure, monkeypatch):
    _client, api = machine()
    api.raise_request_exception = False
    original = integration_views.IngestView.post

    def failing_post(self, request, *args, **kwargs):
        original(self, request, *args, **kwargs)
        raise RuntimeError("failed after writing")

    monkeypatch.setattr(integration_views.IngestView, "post", failing_post)
    body = _body(procedure, "E-1")
    assert _post(api, body, "err").status_code == 500
    assert not Dossier.objects.filter(external_id="E-1").exists()
    assert not IdempotencyRecord.objects.filter(key="err").exists()
    monkeypatch.setattr(integration_views.IngestView, "post", original)
    retried = _post(api, body, "err")
    assert retried.status_code == 200 and retried.json()["items"][0]["outcome"] == "created"


DYING_REQUEST = """
import os, signal, sys
import django
django.setup()
from django.test import Client
from apps.integrations.api import views

original = views.IngestView.post

def post_then_die(self, request, *args, **kwargs):
    original(self, request, *args, **kwargs)  # the dossier is written; its response is never stored
    os.kill(os.getpid(), signal.SIGKILL)

views.IngestView.post = post_then_die
Client().post("/api/v1/ingest/", data=sys.stdin.read(), content_type="application/json",
              HTTP_AUTHORIZATION="Api-Key " + os.environ["TEST_API_KEY"], HTTP_IDEMPOTENCY_KEY="dead-1")
"""


@pytest.mark.postgres
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_claim_of_a_killed_request_is_taken_over_by_exactly_one_retry(machine, procedure):
    client, api = machine()
    body = _body(procedure, "K-1")
    url = database_url_for_subprocesses()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "casetracker.settings",
           "IDEMPOTENCY_LEASE_SECONDS": "2", "TEST_API_KEY": api.plaintext}  # fmt: skip
    env.pop("CELERY_BROKER_URL", None)
    dying = subprocess.run([sys.executable, "-c", DYING_REQUEST], input=body, cwd=ROOT, env=env, text=True,
                           capture_output=True, timeout=120)  # fmt: skip
    assert dying.returncode == -signal.SIGKILL, dying.stderr

    claim = IdempotencyRecord.objects.get(client=client, key="dead-1")
    assert claim.status_code is None and claim.lease_expires_at is not None  # a dead claim
    assert not Dossier.objects.filter(external_id="K-1").exists()  # its write died with it
    early = _post(api, body, "dead-1")
    assert early.status_code == 409 and early["Retry-After"] == "1"  # the lease still runs

    time.sleep(max(0.0, (claim.lease_expires_at - timezone.now()).total_seconds()) + 0.2)
    responses = []

    def retry():
        retrier = APIClient()
        retrier.credentials(HTTP_AUTHORIZATION=f"Api-Key {api.plaintext}")
        try:
            responses.append(_post(retrier, body, "dead-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    ran = [r for r in responses if r.status_code == 200 and "Idempotent-Replayed" not in r]
    assert len(responses) == 4 and len(ran) == 1, [(r.status_code, r.content) for r in responses]
    assert ran[0].json()["items"][0]["outcome"] == "created"
    for other in responses:
        assert other is ran[0] or other.status_code == 409 or other["Idempotent-Replayed"] == "true"
    assert Dossier.objects.filter(external_id="K-1").count() == 1
    replay = _post(api, body, "dead-1")
    assert replay.json() == ran[0].json() and replay["Idempotent-Replayed"] == "true"
