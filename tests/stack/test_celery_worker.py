"""The production stack for real: PostgreSQL, a Redis broker and a Celery worker in its own process.

Selected by .ci/run when PostgreSQL and Redis answer (``DATABASE_URL`` and ``CELERY_BROKER_URL`` set);
deselected otherwise (see tests/conftest.py). The ``worker`` fixture is in tests/stack/conftest.py.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import DossierEvent
from casetracker.celery import app as celery_app

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


def _wait_dispatched(event_ids: list[int], seconds: float = 30.0) -> list[DossierEvent]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        events = list(DossierEvent.objects.filter(pk__in=event_ids))
        if events and all(e.dispatched_at for e in events):
            return events
        time.sleep(0.1)
    raise AssertionError(f"events {event_ids} were not dispatched by the worker within {seconds} s")


def test_a_transition_reaches_the_worker_through_redis(worker, calendar, tree, procedure, users, client_for):
    assert connection.vendor == "postgresql"
    assert celery_app.conf.broker_url.startswith("redis://")
    client = client_for(users["clerk_c1"])
    created = client.post(
        "/api/v1/dossiers/", {"procedure": procedure.code, "receiving_unit": "P1.100"}, format="json"
    )
    assert created.status_code == 201, created.json()
    code = created.json()["code"]
    moved = client.post(f"/api/v1/dossiers/{code}/start-processing/", {}, format="json")
    assert moved.status_code == 200
    ids = [e["id"] for e in moved.json()["events"]]
    assert len(ids) == 2

    dispatched = _wait_dispatched(ids)
    assert all(e.dispatched_at >= e.recorded_at for e in dispatched)


def test_a_rolled_back_change_schedules_nothing(worker, calendar, tree, procedure):
    received = services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=Actor())
    first = received.events.get()
    _wait_dispatched([first.pk])
    with pytest.raises(RuntimeError), transaction.atomic():
        services.start_processing(received, actor=Actor())
        raise RuntimeError("abort")
    assert list(DossierEvent.objects.filter(dossier=received).values_list("pk", flat=True)) == [first.pk]


def test_a_transition_shows_in_the_live_score(worker, calendar, tree, procedure, users, client_for):
    """Receive and finish a dossier over the API; the worker's drain brings it into the province's score."""
    client = client_for(users["clerk_c1"])
    supervisor = client_for(users["supervisor_p1"])

    def progress():
        body = supervisor.get("/api/v1/units/P1/score/").json()
        return next(i for i in body["score"]["indicators"] if i["code"] == "PROGRESS")

    before = progress()
    created = client.post(
        "/api/v1/dossiers/", {"procedure": procedure.code, "receiving_unit": "P1.100"}, format="json"
    )
    assert created.status_code == 201
    client.post(f"/api/v1/dossiers/{created.json()['code']}/finish/", {}, format="json")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = progress()
        if now["denominator"] == before["denominator"] + 1:
            break
        time.sleep(0.1)
    assert now["denominator"] == before["denominator"] + 1
    assert now["numerator"] == before["numerator"] + 1
