"""The bulk endpoint: per-item outcomes, validation codes, events in event-time order, all-or-nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.dossiers.models import Dossier, DossierEvent, SupplementRequest

pytestmark = pytest.mark.django_db
URL = "/api/v1/ingest/"


@pytest.fixture
def api(machine):
    return machine()[1]


@pytest.fixture
def item(procedure):
    def make(external_id="X-1", **overrides):
        return {
            "type": "dossier",
            "external_id": external_id,
            "procedure": procedure.code,
            "receiving_unit": "P1.100",
            "received_at": "2026-02-10T09:00:00+07:00",
            **overrides,
        }

    return make


def event(external_id, status, at, **extra):
    return {"type": "event", "external_id": external_id, "status": status, "at": at, **extra}


def send(api, items, **kwargs):
    return api.post(URL, {"items": items, **kwargs}, format="json")


def test_created_unchanged_updated(api, item):
    first = send(api, [item()])
    assert first.status_code == 200, first.content
    out = first.json()["items"][0]
    assert out["outcome"] == "created" and out["code"].startswith("P1.100-260210-")
    dossier = Dossier.objects.get()
    assert dossier.source_system == "onestop" and dossier.external_id == "X-1"
    assert dossier.created_by_system == "onestop" and dossier.legal_due_at is not None
    assert dossier.fee_amount == 50000
    assert list(dossier.events.values_list("kind", "actor_system")) == [("received", "onestop")]

    again = send(api, [item()]).json()["items"][0]
    assert again["outcome"] == "unchanged" and again["code"] == out["code"]

    changed = send(api, [item(applicant_name="Nguyễn Văn A", portal_synced=True, handling_unit="P1.01")])
    body = changed.json()["items"][0]
    assert body["outcome"] == "updated"
    assert body["changed"] == ["applicant_name", "handling_unit", "portal_synced"]
    dossier.refresh_from_db()
    assert dossier.applicant_name == "Nguyễn Văn A" and dossier.portal_synced
    assert dossier.handling_unit.code == "P1.01"
    assert set(dossier.events.values_list("kind", flat=True)) == {
        "received",
        "flag_set",
        "handling_unit_assigned",
    }
    assert Dossier.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"external_id": None}, "external_id", "required"),
        ({"external_id": "x" * 129}, "external_id", "max_length"),
        ({"procedure": "9.999999"}, "procedure", "unknown_procedure"),
        ({"procedure": None}, "procedure", "required"),
        ({"receiving_unit": "X99"}, "receiving_unit", "unknown_unit"),
        ({"receiving_unit": "P2.100"}, "receiving_unit", "unit_out_of_scope"),
        ({"handling_unit": "X99"}, "handling_unit", "unknown_unit"),
        ({"channel": 7}, "channel", "invalid_choice"),
        ({"channel": "fax"}, "channel", "invalid"),
        ({"status": 4}, "status", "invalid_choice"),
        ({"received_at": "yesterday"}, "received_at", "invalid"),
        ({"received_at": 12}, "received_at", "invalid"),
        ({"received_at": "2026-02-10T09:00:00"}, "received_at", "invalid"),
        ({"received_at": "2099-01-01T09:00:00+07:00"}, "received_at", "received_in_future"),
        ({"received_at": "2019-01-01T09:00:00+07:00"}, "procedure", "no_procedure_version"),
        ({"fee_amount": -5}, "fee_amount", "min_value"),
        ({"fee_amount": "lots"}, "fee_amount", "invalid"),
        ({"fee_amount": 1.5}, "fee_amount", "invalid"),
        ({"applicant_name": 5}, "applicant_name", "invalid"),
        ({"portal_synced": "maybe"}, "portal_synced", "invalid"),
        ({"type": "invoice"}, "type", "invalid_choice"),
    ],
)
def test_rejections_keep_good_items(api, item, overrides, field, code):
    response = send(api, [item("GOOD"), {**item("BAD"), **overrides}])
    assert response.status_code == 200, response.content
    good, bad = response.json()["items"]
    assert good["outcome"] == "created"
    assert bad["outcome"] == "rejected"
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in bad["errors"]]
    assert Dossier.objects.filter(external_id="GOOD").exists()
    assert not Dossier.objects.filter(external_id="BAD").exists()


def test_item_that_is_not_an_object(api, item):
    body = send(api, [item(), "oops", 5]).json()
    assert [o["outcome"] for o in body["items"]] == ["created", "rejected", "rejected"]
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 2}


def test_receipt_facts_cannot_change(api, item):
    send(api, [item()])
    body = send(api, [item(received_at="2026-02-10T10:00:00+07:00")]).json()["items"][0]
    assert body["outcome"] == "rejected" and body["errors"][0]["code"] == "receipt_mismatch"


def test_duplicates_in_one_request(api, item):
    body = send(api, [item(), item(), item(applicant_name="other")]).json()["items"]
    assert [o["outcome"] for o in body] == ["created", "unchanged", "rejected"]
    assert body[2]["errors"][0]["code"] == "duplicate_in_request"
    assert Dossier.objects.count() == 1


def test_all_or_nothing(api, item):
    response = send(api, [item("A"), item("B", procedure="9.9")], mode="all_or_nothing")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "batch_rejected" and body["applied"] is False
    assert body["errors"][0]["field"] == "items.1.procedure"
    assert Dossier.objects.count() == 0 and DossierEvent.objects.count() == 0
    ok = send(api, [item("A"), item("B")], mode="all_or_nothing")
    assert ok.status_code == 200 and Dossier.objects.count() == 2


def test_events_in_order_finish_on_time(api, item):
    items = [
        item(),
        event("X-1", 4, "2026-02-10T10:00:00+07:00"),
        event("X-1", 9, "2026-02-11T10:00:00+07:00"),
    ]
    body = send(api, items).json()
    assert [o["outcome"] for o in body["items"]] == ["created", "created", "created"]
    dossier = Dossier.objects.get()
    assert dossier.status == 9 and dossier.timeliness == "early"
    assert dossier.ended_at is not None and dossier.processing_minutes > 0


def test_out_of_order_and_late_events_reclassify(api, item):
    send(api, [item()])
    # Sent out of order in one request: the finish comes first, the start second.
    body = send(
        api, [event("X-1", 9, "2026-02-20T10:00:00+07:00"), event("X-1", 4, "2026-02-10T10:00:00+07:00")]
    ).json()
    assert [o["outcome"] for o in body["items"]] == ["created", "created"]
    dossier = Dossier.objects.get()
    assert dossier.status == 9 and dossier.timeliness == "late"
    # A late supplement pause arrives afterwards: it happened before the finish, so it is replayed in.
    late = send(
        api,
        [
            event("X-1", 5, "2026-02-11T09:00:00+07:00", reason="missing map"),
            event("X-1", 4, "2026-02-19T09:00:00+07:00"),
        ],
    ).json()
    assert [o["outcome"] for o in late["items"]] == ["created", "created"], late
    dossier.refresh_from_db()
    assert dossier.supplement_count == 1 and dossier.timeliness in ("on_time", "early")
    assert dossier.effective_due_at > dossier.legal_due_at
    pause = SupplementRequest.objects.get(dossier=dossier)
    assert pause.reason == "missing map" and pause.completed_at is not None
    statuses = list(dossier.events.order_by("occurred_at", "id").values_list("to_status", flat=True))
    assert statuses == [2, 4, 5, 4, 9]


def test_duplicate_and_illegal_events(api, item):
    send(api, [item(), event("X-1", 9, "2026-02-11T10:00:00+07:00")])
    body = send(
        api,
        [
            event("X-1", 9, "2026-02-11T10:00:00+07:00"),  # already recorded
            event("X-1", 4, "2026-02-12T10:00:00+07:00"),  # 9 → 4 is not allowed
            event("X-1", 10, "2026-02-09T10:00:00+07:00"),  # before receipt
            event("NOPE", 4, "2026-02-12T10:00:00+07:00"),
            event("X-1", 11, "2026-02-12T10:00:00+07:00"),
            event("X-1", 10, "2026-02-13T10:00:00+07:00"),
        ],
    ).json()["items"]
    assert [o["outcome"] for o in body] == [
        "unchanged",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "created",
    ]
    assert body[1]["errors"][0]["code"] == "illegal_transition"
    assert body[2]["errors"][0]["code"] == "event_before_previous"
    assert body[3]["errors"][0]["code"] == "unknown_dossier"
    assert body[4]["errors"][0]["code"] == "invalid_choice"
    assert Dossier.objects.get().status == 10


def test_registered_then_accepted_by_event(api, item):
    send(api, [item(status=1, channel=2)])
    dossier = Dossier.objects.get()
    assert dossier.status == 1 and dossier.legal_due_at is None
    body = send(api, [event("X-1", 2, "2026-02-10T14:00:00+07:00")]).json()
    assert body["items"][0]["outcome"] == "created", body
    dossier.refresh_from_db()
    assert dossier.status == 2 and dossier.legal_due_at is not None and dossier.received_on.day == 10


def test_request_level_errors(api, item):
    assert api.post(URL, {"items": "nope"}, format="json").json()["code"] == "validation_error"
    assert api.post(URL, {"items": [], "mode": "some"}, format="json").json()["code"] == "validation_error"
    malformed = api.post(URL, '{"items": [', content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    too_many = send(api, [{"type": "event"}] * 5001)
    assert too_many.status_code == 413 and too_many.json()["code"] == "too_many_items"
    with override_settings(API_MAX_BODY_BYTES=100):
        big = send(api, [item()] * 3)
    assert big.status_code == 413 and big.json()["code"] == "payload_too_large"


def test_staff_users_cannot_bulk_ingest(users, client_for, item, calendar):
    response = client_for(users["admin_p1"]).post(URL, {"items": [item()]}, format="json")
    assert response.status_code == 403


def test_statistics_are_marked(api, item):
    from apps.statistics.models import DirtyLeaf  # noqa: F401  (the model exists; the drain ran eagerly)

    send(api, [item(), event("X-1", 9, "2026-02-11T10:00:00+07:00")])
    assert Dossier.objects.get().timeliness == "early"
