"""POST /api/v1/dossiers/: whose namespace a dossier lands in, and duplicates racing past the pre-check."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from apps.core.actors import Actor
from apps.core.errors import DomainError
from apps.dossiers import services
from apps.dossiers.models import Dossier
from apps.dossiers.services import receipt
from tests.helpers import vn

URL = "/api/v1/dossiers/"


def body(procedure, **extra):
    return {
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "received_at": "2026-02-10T09:00:00+07:00",
        **extra,
    }


# ---- source_system belongs to the sender ------------------------------------------------------------


@pytest.mark.django_db
def test_client_cannot_write_into_another_source(machine, procedure):
    machine(name="ministry")  # another registered client
    _client, api = machine(name="onestop")
    for other in ("ministry", "legacy"):
        response = api.post(URL, body(procedure, source_system=other, external_id="X-1"), format="json")
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "source_system_forbidden"
        assert response.json()["errors"][0]["field"] == "source_system"
    assert not Dossier.objects.exists()


@pytest.mark.django_db
def test_client_writes_as_itself_so_bulk_sees_the_same_dossier(machine, procedure):
    _client, api = machine(name="onestop")
    named = api.post(URL, body(procedure, source_system="onestop", external_id="X-1"), format="json")
    assert named.status_code == 201, named.content
    unnamed = api.post(URL, body(procedure, external_id="X-2"), format="json")
    assert unnamed.status_code == 201, unnamed.content
    assert unnamed.json()["source_system"] == "onestop"
    assert set(Dossier.objects.values_list("source_system", "external_id")) == {
        ("onestop", "X-1"),
        ("onestop", "X-2"),
    }
    # the bulk endpoint identifies dossiers in the same namespace: nothing is created twice
    item = {"external_id": "X-2", **body(procedure)}
    again = api.post("/api/v1/ingest/", {"items": [item]}, format="json")
    assert again.json()["items"][0]["outcome"] == "unchanged", again.content
    assert Dossier.objects.count() == 2


@pytest.mark.django_db
def test_staff_cannot_claim_a_registered_clients_source(machine, users, client_for, procedure):
    machine(name="onestop")
    api = client_for(users["clerk_c1"])
    for claimed in ("onestop", "OneStop"):
        response = api.post(URL, body(procedure, source_system=claimed, external_id="X-1"), format="json")
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "source_system_forbidden"
    assert not Dossier.objects.exists()
    legacy = api.post(URL, body(procedure, source_system="legacy", external_id="X-1"), format="json")
    assert legacy.status_code == 201, legacy.content
    assert legacy.json()["source_system"] == "legacy"


# ---- a duplicate that slipped past the pre-check is a 4xx, not a 500 ----------------------------------


@pytest.mark.django_db
def test_duplicate_past_the_check_is_duplicate_dossier(monkeypatch, users, client_for, calendar, procedure):
    api = client_for(users["clerk_c1"])
    first = api.post(URL, body(procedure, source_system="legacy", external_id="X-1"), format="json")
    assert first.status_code == 201, first.content
    # as if a concurrent request had inserted the row between the check and the insert
    monkeypatch.setattr(receipt, "_check_free", lambda **kwargs: None)
    for status in (2, 1):  # receipt and online registration share the insert
        second = api.post(
            URL, body(procedure, source_system="legacy", external_id="X-1", status=status), format="json"
        )
        assert second.status_code == 400, second.content
        assert second.json()["code"] == "duplicate_dossier"
        assert second.json()["errors"][0]["field"] == "external_id"
    code = first.json()["code"]
    clash = api.post(URL, body(procedure, code=code), format="json")
    assert clash.status_code == 400 and clash.json()["errors"][0]["field"] == "code", clash.content
    assert Dossier.objects.count() == 1
    assert Dossier.objects.get().events.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_of_one_external_id(calendar, tree, procedure):
    """A real race on PostgreSQL: the second insert waits for the first transaction, then is refused."""
    holding, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def first_sender() -> None:
        try:
            with transaction.atomic():
                services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=Actor.of_system("s"),
                                         received_at=vn(2026, 2, 10, 9), source_system="s", external_id="R-1")  # fmt: skip
                holding.set()
                release.wait(timeout=30)  # keep the row uncommitted while the other sender inserts
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
            holding.set()
        finally:
            connection.close()

    thread = threading.Thread(target=first_sender)
    thread.start()
    assert holding.wait(timeout=30)
    timer = threading.Timer(0.5, release.set)  # commit the first while the second waits on its key
    timer.start()
    try:
        with pytest.raises(DomainError) as refused:
            services.receive_dossier(procedure=procedure, receiving_unit=tree["c1"], actor=Actor.of_system("s"),
                                     received_at=vn(2026, 2, 10, 9), source_system="s", external_id="R-1")  # fmt: skip
    finally:
        release.set()
        thread.join(timeout=30)
        timer.cancel()
    assert not failures
    assert refused.value.code == "duplicate_dossier" and refused.value.field == "external_id"
    assert Dossier.objects.filter(source_system="s", external_id="R-1").count() == 1
