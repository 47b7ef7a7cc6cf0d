"""Ticket events over the API: one by one, in bulk, idempotent, refused with a code when out of order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.actors import Actor
from apps.dossiers import services as dossier_services
from apps.queues.models import Ticket, TicketEvent
from tests.helpers import vn

pytestmark = pytest.mark.django_db
URL = "/api/v1/queue/events/"
BULK = "/api/v1/queue/events/bulk/"
T0 = vn(2026, 11, 23, 8, 0)


def at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).isoformat()


def issued(ticket="K-1", minutes=0, **extra):
    return {
        "ticket": ticket,
        "event": "issued",
        "at": at(minutes),
        "unit": "P1.TT",
        "number": "A001",
        **extra,
    }


def test_a_whole_visit_one_event_at_a_time(
    kiosk, procedure, tree, centre, calendar, django_capture_on_commit_callbacks
):
    _client, api = kiosk()
    dossier = dossier_services.receive_dossier(
        procedure=procedure,
        receiving_unit=centre,
        actor=Actor.of_system("t"),
        received_at=T0 + dt.timedelta(minutes=20),
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(URL, issued(field="LAND"), format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["outcome"] == "created"
    assert first.json()["ticket"]["status"] == "waiting"
    assert first.json()["ticket"]["field"] == "LAND"

    called = api.post(
        URL, {"ticket": "K-1", "event": "called", "at": at(12.5), "counter": 2, "staff": "an"}, format="json"
    )
    assert called.status_code == 200, called.json()
    body = called.json()["ticket"]
    assert (body["status"], body["counter"], body["staff"], body["wait_minutes"]) == ("called", 2, "an", 13)

    api.post(URL, {"ticket": "K-1", "event": "started", "at": at(14)}, format="json")
    done = api.post(
        URL, {"ticket": "K-1", "event": "finished", "at": at(44), "dossiers": [dossier.code]}, format="json"
    )
    assert done.status_code == 200, done.json()
    body = done.json()["ticket"]
    assert (body["status"], body["handling_minutes"], body["dossiers"]) == ("finished", 30, [dossier.code])
    ticket = Ticket.objects.get(external_id="K-1")
    assert ticket.source_system == "kiosk"  # the client's own namespace
    kinds = list(ticket.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("issued", "", "waiting"),
        ("called", "waiting", "called"),
        ("started", "called", "serving"),
        ("finished", "serving", "finished"),
    ]
    # The follow-up of the first event ran after its commit; the others (not captured here) are left to
    # the sweeper, which finds them in the outbox.
    assert list(TicketEvent.objects.filter(dispatched_at__isnull=False).values_list("kind", flat=True)) == [
        "issued"
    ]
    from apps.queues.dispatch import dispatch_pending

    assert dispatch_pending(now=timezone.now() + dt.timedelta(minutes=1)) == 3
    assert not TicketEvent.objects.filter(dispatched_at__isnull=True).exists()


def test_replay_of_an_event_is_unchanged(kiosk):
    _client, api = kiosk()
    assert api.post(URL, issued(), format="json").status_code == 201
    again = api.post(URL, issued(), format="json")
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    call = {"ticket": "K-1", "event": "called", "at": at(5), "counter": 1}
    assert api.post(URL, call, format="json").json()["outcome"] == "updated"
    assert api.post(URL, call, format="json").json()["outcome"] == "unchanged"
    assert TicketEvent.objects.count() == 2
    assert Ticket.objects.get().call_count == 1


def test_idempotency_key_replays_the_first_response(kiosk):
    _client, api = kiosk()
    first = api.post(URL, issued(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(URL, issued(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json()
    other = api.post(URL, issued(ticket="K-2"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("events", "status", "code", "field"),
    [
        # called before issued: out of order, the ticket is unknown yet
        ([{"ticket": "K-9", "event": "called", "at": at(1), "counter": 1}], 409, "unknown_ticket", "ticket"),
        # started before being called
        ([issued(), {"ticket": "K-1", "event": "started", "at": at(1)}], 409, "illegal_transition", "event"),
        # finished twice
        (
            [
                issued(),
                {"ticket": "K-1", "event": "called", "at": at(1), "counter": 1},
                {"ticket": "K-1", "event": "finished", "at": at(5)},
                {"ticket": "K-1", "event": "finished", "at": at(6)},
            ],
            409,
            "illegal_transition",
            "event",
        ),
        # a call timed before the issue
        (
            [issued(minutes=10), {"ticket": "K-1", "event": "called", "at": at(5), "counter": 1}],
            422,
            "event_before_previous",
            "at",
        ),
        # the same ticket issued again with another time
        ([issued(), issued(minutes=3)], 409, "duplicate_ticket", "ticket"),
        # counter 9 belongs to commune c1, not to the ticket's centre
        (
            [issued(), {"ticket": "K-1", "event": "called", "at": at(1), "counter": 9}],
            422,
            "unknown_counter",
            "counter",
        ),
        # a staff user of another province
        (
            [issued(), {"ticket": "K-1", "event": "called", "at": at(1), "counter": 1, "staff": "far"}],
            422,
            "unknown_staff",
            "staff",
        ),
        ([issued(unit="P9")], 422, "unknown_unit", "unit"),
        # commune c1 is outside the kiosk's subtree (the centre)
        ([issued(unit="P1.100")], 403, "unit_out_of_scope", "unit"),
        (
            [{"ticket": "K-1", "event": "called", "at": "2026-11-23T08:00:00+07:00"} | {"event": "paused"}],
            400,
            "invalid_choice",
            "event",
        ),
        ([issued(), {"ticket": "K-1", "event": "called", "at": at(1)}], 400, "validation_error", "counter"),
        ([{**issued(), "at": "2030-01-01T08:00:00+07:00"}], 400, "validation_error", "at"),
    ],
)
def test_refusals_carry_a_code(kiosk, events, status, code, field):
    _client, api = kiosk()
    for event in events[:-1]:
        assert api.post(URL, event, format="json").status_code in (200, 201)
    response = api.post(URL, events[-1], format="json")
    assert response.status_code == status, response.json()
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["code"] == code


def test_departments_staff_may_serve_at_the_provincial_centre(kiosk):
    _client, api = kiosk()
    api.post(URL, issued(), format="json")
    response = api.post(
        URL,
        {"ticket": "K-1", "event": "called", "at": at(1), "counter": 1, "staff": "dept_officer"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["ticket"]["staff"] == "dept_officer"


def test_a_dossier_of_another_unit_cannot_be_linked(kiosk, procedure, tree, calendar):
    _client, api = kiosk()
    elsewhere = dossier_services.receive_dossier(
        procedure=procedure, receiving_unit=tree["c1"], actor=Actor.of_system("t"), received_at=T0
    )
    api.post(URL, issued(), format="json")
    api.post(URL, {"ticket": "K-1", "event": "called", "at": at(1), "counter": 1}, format="json")
    response = api.post(
        URL, {"ticket": "K-1", "event": "finished", "at": at(9), "dossiers": [elsewhere.code]}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (422, "unknown_dossier")
    assert Ticket.objects.get().status == "called"  # nothing of the refused event stayed


def test_scopes_and_callers(kiosk, users, client_for):
    _client, reader = kiosk(scopes=("read_scores",), name="reader")
    response = reader.post(URL, issued(), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")
    staff = client_for(users["admin_p1"]).post(URL, issued(), format="json")
    assert (staff.status_code, staff.json()["code"]) == (403, "permission_denied")
    assert not Ticket.objects.exists()


def test_ticket_ids_are_per_client(kiosk, tree):
    _a, first = kiosk(name="kiosk-a")
    _b, second = kiosk(name="kiosk-b", unit=tree["p1"])
    assert first.post(URL, issued(), format="json").status_code == 201
    # Another client's ticket with the same id is its own ticket, and it cannot move the first one.
    assert (
        second.post(
            URL, {"ticket": "K-1", "event": "called", "at": at(1), "counter": 1}, format="json"
        ).json()["code"]
        == "unknown_ticket"
    )
    assert second.post(URL, issued(), format="json").status_code == 201
    assert Ticket.objects.filter(external_id="K-1").count() == 2


def test_bulk_with_a_bad_item(kiosk, django_capture_on_commit_callbacks):
    _client, api = kiosk()
    items = [
        {"ticket": "K-1", "event": "finished", "at": at(20)},  # sent first, applied in time order
        {"ticket": "K-1", "event": "called", "at": at(4), "counter": 1, "staff": "an"},
        issued("K-1"),
        issued("K-2", minutes=1),
        {"ticket": "K-2", "event": "called", "at": at(3), "counter": 7},  # no counter 7
        {"ticket": "K-3", "event": "started", "at": at(2)},  # never issued
        {"ticket": "K-2", "event": "no_show", "at": at(9)},
        "not an object",
        {"ticket": "K-4", "event": "issued"},  # no time
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["counts"] == {"created": 2, "updated": 3, "unchanged": 0, "rejected": 4}
    outcomes = [
        (i["index"], i["outcome"], i["status"], [e["code"] for e in i["errors"]]) for i in body["items"]
    ]
    assert outcomes == [
        (0, "updated", "finished", []),
        (1, "updated", "called", []),
        (2, "created", "waiting", []),
        (3, "created", "waiting", []),
        (4, "rejected", None, ["unknown_counter"]),
        (5, "rejected", None, ["unknown_ticket"]),
        (6, "updated", "no_show", []),
        (7, "rejected", None, ["invalid"]),
        (8, "rejected", None, ["required"]),
    ]
    assert body["items"][8]["errors"][0]["field"] == "at"
    assert Ticket.objects.get(external_id="K-1").wait_minutes == 4
    assert Ticket.objects.get(external_id="K-2").wait_minutes is None  # left before being called
    # A replay of the whole batch changes nothing.
    again = api.post(BULK, {"items": items}, format="json").json()
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 4}
    assert TicketEvent.objects.count() == 5
    assert not TicketEvent.objects.filter(dispatched_at__isnull=True).exists()


def test_bulk_limits(kiosk, settings):
    _client, api = kiosk()
    assert api.post(BULK, {"things": []}, format="json").json()["code"] == "validation_error"
    too_many = api.post(BULK, {"items": [issued()] * 5001}, format="json")
    assert (too_many.status_code, too_many.json()["code"]) == (413, "too_many_items")


@pytest.mark.parametrize(
    "body",
    [
        [],
        ["issued"],
        {"ticket": None, "event": None, "at": None},
        {"ticket": "K" * 129, "event": "issued", "at": at(0), "unit": "P1.TT"},
        {"ticket": "K-1", "event": "issued", "at": "yesterday", "unit": "P1.TT"},
        {"ticket": "K-1", "event": "issued", "at": "0001-01-01T00:00:00+23:59", "unit": "P1.TT"},
        {"ticket": "K-1", "event": "issued", "at": at(0), "unit": ["P1.TT"]},
        {"ticket": "K-1", "event": "issued", "at": at(0), "unit": "P1.TT", "dossiers": "not-a-list"},
        {"ticket": "K-1", "event": "issued", "at": at(0), "unit": "P1.TT", "dossiers": [None]},
        {"ticket": "K-1", "event": "called", "at": at(1), "counter": "abc"},
        {"ticket": "K-1", "event": "called", "at": at(1), "counter": 10**9},
        {"ticket": "K-1", "event": "issued", "at": at(0), "unit": "P1.TT", "field": "NOPE"},
        {"ticket": "K-1", "event": "issued", "at": at(0), "unit": "P1.TT", "procedure": "NOPE"},
    ],
)
def test_hostile_bodies_answer_4xx(kiosk, body):
    _client, api = kiosk()
    single = api.post(URL, body, format="json")
    assert 400 <= single.status_code < 500, single.content
    assert single.json()["code"]
    bulk = api.post(BULK, {"items": [body]} if isinstance(body, dict) else {"items": body}, format="json")
    assert bulk.status_code == 200, bulk.content
    assert all(item["outcome"] == "rejected" for item in bulk.json()["items"])


@pytest.mark.parametrize(("minutes", "expected"), [(0, "unchanged"), (3, "duplicate_ticket")])
def test_a_concurrent_issue_is_judged_like_a_replay(post_event, centre, monkeypatch, minutes, expected):
    """Two kiosks' retries racing: the second insert hits the unique constraint, not a 500."""
    from apps.core.errors import ConflictError
    from apps.queues import services

    post_event("K-1", "issued", T0, unit=centre.code)
    real, calls = services._issued_before, []

    def not_seen_yet(data, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(data, **kwargs)

    monkeypatch.setattr(services, "_issued_before", not_seen_yet)
    when = T0 + dt.timedelta(minutes=minutes)
    if expected == "unchanged":
        assert post_event("K-1", "issued", when, unit=centre.code).outcome == "unchanged"
    else:
        with pytest.raises(ConflictError) as refused:
            post_event("K-1", "issued", when, unit=centre.code)
        assert refused.value.code == expected
    assert len(calls) == 2 and Ticket.objects.count() == 1
