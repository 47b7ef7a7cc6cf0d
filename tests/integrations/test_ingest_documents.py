"""Bulk ingest with the documents received: the single create's rules per item, replays, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalogue.models import ProcedureComponent
from apps.core.actors import Actor
from apps.dossiers.documents import DocumentIn, derived_flags, resolve
from apps.dossiers.models import Dossier, DossierDocument, DossierEvent, EventKind
from apps.dossiers.services import bulk
from apps.dossiers.services.documents import from_documents_note

pytestmark = pytest.mark.django_db
URL = "/api/v1/ingest/"
REASON = "Công dân hẹn nộp bản vẽ sau"


@pytest.fixture
def components(procedure):
    """1 and 2 mandatory, 3 optional (the layout of tests/dossiers/test_documents.py)."""
    version = procedure.versions.get()
    for position, mandatory in ((1, True), (2, True), (3, False)):
        ProcedureComponent.objects.create(
            version=version, position=position, name=f"Doc {position}", mandatory=mandatory
        )
    return list(version.components.order_by("position"))


@pytest.fixture
def api(machine):
    return machine()[1]


def dossier(external_id, procedure, **extra):
    return {
        "type": "dossier",
        "external_id": external_id,
        "procedure": procedure.code,
        "receiving_unit": "P1.100",
        "received_at": "2026-11-20T09:00:00+07:00",
        **extra,
    }


COMPLETE = [{"component": 1, "digitized": True}, {"component": 2, "digitized": True, "reused": True}]


def mixed(procedure):
    """Good and bad items, each bad one for another rule."""
    return [
        dossier("GOOD-1", procedure, documents=COMPLETE),
        dossier("BAD-UNKNOWN", procedure, documents=[{"component": 1}, {"component": 9}]),
        dossier("GOOD-2", procedure, documents=[{"component": 1}], missing_documents_reason=REASON),
        dossier("BAD-MISSING", procedure, documents=[{"component": 2}]),
        dossier("BAD-FLAG", procedure, documents=[*COMPLETE[:1], {"component": 2}], inputs_digitized=True),
        dossier("BAD-SHAPE", procedure, documents=[{"component": 1, "quantity": 0}, {"component": 2}]),
        dossier("BAD-REGISTERED", procedure, status=1, documents=COMPLETE),
        dossier("NONE", procedure),
    ]


EXPECTED = [
    ("GOOD-1", "created", None),
    ("BAD-UNKNOWN", "rejected", ("documents.1.component", "unknown_component")),
    ("GOOD-2", "created", None),
    ("BAD-MISSING", "rejected", ("documents", "missing_mandatory_documents")),
    ("BAD-FLAG", "rejected", ("inputs_digitized", "flag_from_documents")),
    ("BAD-SHAPE", "rejected", ("documents.0.quantity", "min_value")),
    ("BAD-REGISTERED", "rejected", ("documents", "validation_error")),
    ("NONE", "created", None),
]


def outcomes(body):
    return [
        (
            o["external_id"],
            o["outcome"],
            (o["errors"][0]["field"], o["errors"][0]["code"]) if o["errors"] else None,
        )
        for o in body["items"]
    ]


def test_mixed_items_each_get_their_outcome_and_good_ones_are_kept(api, procedure, components):
    response = api.post(URL, {"items": mixed(procedure)}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert outcomes(body) == EXPECTED
    assert body["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 5}
    assert set(Dossier.objects.values_list("external_id", flat=True)) == {"GOOD-1", "GOOD-2", "NONE"}

    good = Dossier.objects.get(external_id="GOOD-1")
    docs = list(good.documents.order_by("position").values_list("component__position", "digitized", "reused"))
    assert docs == [(1, True, False), (2, True, True)]
    assert (good.inputs_digitized, good.data_reused, good.missing_documents_reason) == (True, True, "")
    flag_events = good.events.filter(kind=EventKind.FLAG_SET).order_by("data__flag")
    assert [(e.data, e.occurred_at, e.note) for e in flag_events] == [
        ({"flag": "data_reused", "value": True}, good.received_at, from_documents_note()),
        ({"flag": "inputs_digitized", "value": True}, good.received_at, from_documents_note()),
    ]
    partial = Dossier.objects.get(external_id="GOOD-2")
    assert list(partial.documents.values_list("component__position", flat=True)) == [1]
    assert (partial.inputs_digitized, partial.data_reused) == (False, False)
    assert partial.missing_documents_reason == REASON
    assert not partial.events.filter(kind=EventKind.FLAG_SET).exists()
    assert not Dossier.objects.get(external_id="NONE").documents.exists()

    # The flags the records set are the ones the pure rules derive from what was stored.
    for stored in (good, partial):
        rows = resolve(
            components,
            [DocumentIn(component=d.component.position, digitized=d.digitized, reused=d.reused)
             for d in stored.documents.select_related("component")],
        )  # fmt: skip
        flags = derived_flags(rows)
        assert (stored.inputs_digitized, stored.data_reused) == (
            flags["inputs_digitized"],
            flags["data_reused"],
        )

    rejected = body["items"][3]["errors"][0]
    assert "2. Doc 2" not in rejected["message"] and "1. Doc 1" in rejected["message"]


def test_all_or_nothing_names_the_item_and_the_document(api, procedure, components):
    response = api.post(URL, {"items": mixed(procedure)[:2], "mode": "all_or_nothing"}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items.1.documents.1.component"
    assert not Dossier.objects.exists() and not DossierDocument.objects.exists()


def test_idempotent_replay_returns_the_same_outcomes_and_writes_nothing(api, procedure, components):
    items = mixed(procedure)
    first = api.post(URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="docs-1")
    counts = (Dossier.objects.count(), DossierDocument.objects.count(), DossierEvent.objects.count())
    replay = api.post(URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="docs-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert (Dossier.objects.count(), DossierDocument.objects.count(), DossierEvent.objects.count()) == counts


def test_sending_the_batch_again_leaves_good_items_unchanged_and_rejects_the_bad_ones_alike(
    api, procedure, components
):
    api.post(URL, {"items": mixed(procedure)}, format="json")
    documents = DossierDocument.objects.count()
    again = api.post(URL, {"items": mixed(procedure)}, format="json").json()
    expected = [
        (ext, "unchanged" if outcome == "created" else outcome, error) for ext, outcome, error in EXPECTED
    ]
    assert outcomes(again) == expected
    assert DossierDocument.objects.count() == documents


def test_existing_dossiers_keep_their_documents_and_derived_flags(api, procedure, components):
    api.post(URL, {"items": [dossier("D-1", procedure, documents=COMPLETE)]}, format="json")
    other = [{"component": 1}, {"component": 2}]
    changed_docs = dossier("D-1", procedure, documents=other)
    flag_off = dossier("D-1", procedure, inputs_digitized=False)
    same_flag = dossier("D-1", procedure, inputs_digitized=True, portal_synced=True)
    results = []
    for item in (changed_docs, flag_off, same_flag):
        results.append(api.post(URL, {"items": [item]}, format="json").json()["items"][0])
    assert [(r["outcome"], r["errors"][0]["code"] if r["errors"] else None) for r in results] == [
        ("rejected", "receipt_mismatch"),
        ("rejected", "flag_from_documents"),
        ("updated", None),
    ]
    assert results[0]["errors"][0]["field"] == "documents"
    assert results[1]["errors"][0]["field"] == "inputs_digitized"
    assert results[2]["changed"] == ["portal_synced"]
    stored = Dossier.objects.get(external_id="D-1")
    assert stored.inputs_digitized and list(stored.documents.values_list("digitized", flat=True)) == [
        True,
        True,
    ]


def test_same_external_id_twice_with_other_documents_is_a_duplicate(api, procedure, components):
    items = [dossier("T-1", procedure, documents=COMPLETE), dossier("T-1", procedure, documents=COMPLETE[:1],
                                                                     missing_documents_reason=REASON)]  # fmt: skip
    body = api.post(URL, {"items": items}, format="json").json()
    assert [(o["outcome"], o["errors"][0]["code"] if o["errors"] else None) for o in body["items"]] == [
        ("created", None),
        ("rejected", "duplicate_in_request"),
    ]


def ingest_queries(procedure, count: int, *, prefix: str, documents: bool) -> int:
    extra = {"documents": [*COMPLETE, {"name": "Ảnh chân dung"}]} if documents else {}
    items = [dossier(f"{prefix}-{i}", procedure, **extra) for i in range(count)]
    with CaptureQueriesContext(connection) as queries:
        result = bulk.ingest(items, source_system="qc", actor=Actor.of_system("qc"), scope_path=None)
    assert result.counts()["created"] == count
    return len(queries)


def test_documents_cost_a_constant_number_of_queries_per_batch(procedure, components, tree):
    ingest_queries(procedure, 2, prefix="WARM", documents=True)  # first-use lookups (sequence name…)
    added = {}
    for count in (10, 200):
        without = ingest_queries(procedure, count, prefix=f"A{count}", documents=False)
        added[count] = ingest_queries(procedure, count, prefix=f"B{count}", documents=True) - without
    print("queries added by documents:", added)
    assert DossierDocument.objects.filter(dossier__external_id__startswith="B200-").count() == 600
    # The components' read and one bulk insert per batch; SQLite splits long inserts (999 parameters).
    assert added[10] <= 2
    if connection.vendor == "postgresql":
        assert added[200] == added[10]
    else:
        assert added[200] <= added[10] + 200 // 20
    sample = Dossier.objects.get(external_id="B200-7")
    assert (sample.inputs_digitized, sample.data_reused) == (False, True)  # the named photo was not scanned
