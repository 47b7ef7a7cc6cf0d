"""A new webhook subscriber is sent what happens from its creation on, never the history before it.

The fan-out's cursor is shared and lags (``FANOUT_LAG``; it stays at 0 until the fan-out first runs), so
without a start mark a subscriber created now would be sent every older event the cursor had not passed.
Deliveries go to a local listener on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from apps.core.actors import Actor
from apps.dossiers import services
from apps.dossiers.models import DossierEvent
from apps.integrations.models import DeliveryStatus, OutboxCursor, WebhookDelivery, WebhookSubscription
from apps.integrations.services import webhooks
from tests.helpers import vn

pytestmark = pytest.mark.django_db
SYSTEM = Actor.of_system("test")
EVENTS = ["dossier.created", "dossier.status_changed"]


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receive(tree, procedure):
    def make(day: int):
        return services.receive_dossier(
            procedure=procedure, receiving_unit=tree["c1"], actor=SYSTEM, received_at=vn(2026, 11, day, 9)
        )

    return make


def subscribe(api, receiver, path: str) -> int:
    body = {"url": f"http://127.0.0.1:{receiver.server_port}/{path}", "events": EVENTS}
    response = api.post("/api/v1/webhooks/subscriptions/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def deliver_all() -> None:
    """The fan-out, then every pending delivery sent (what the beat tasks do)."""
    webhooks.fan_out_events()
    for delivery in WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING):
        webhooks.attempt(delivery.pk)


def sent_codes(receiver) -> list[str]:
    return sorted(payload["dossier"]["code"] for payload in receiver.received)


def test_a_new_subscriber_gets_no_backlog(machine, receiver, receive):
    _client, api = machine()
    old = [receive(2), receive(3)]
    assert OutboxCursor.objects.filter(last_event_id__gt=0).count() == 0  # the history is unread
    subscribe(api, receiver, "hook")
    new = receive(20)
    deliver_all()
    assert sent_codes(receiver) == [new.code]
    assert not WebhookDelivery.objects.filter(payload__dossier__code__in=[d.code for d in old]).exists()


def test_each_subscription_starts_at_its_own_creation_while_the_cursor_lags(machine, receiver, receive):
    _client, api = machine()
    first = subscribe(api, receiver, "first")
    early = receive(10)  # after the first subscription, before the second
    second = subscribe(api, receiver, "second")
    late = receive(20)
    deliver_all()  # one fan-out reads both events: the cursor has not moved past the early one
    by_path = {}
    for delivery in WebhookDelivery.objects.all():
        by_path.setdefault(delivery.subscription_id, []).append(delivery.payload["dossier"]["code"])
    assert sorted(by_path[first]) == sorted([early.code, late.code])
    assert by_path[second] == [late.code]
    assert sent_codes(receiver) == sorted([early.code, late.code, late.code])


def test_the_mark_is_the_last_event_recorded_when_subscribing(machine, receiver, receive):
    _client, api = machine()
    receive(2)
    pk = subscribe(api, receiver, "hook")
    last = DossierEvent.objects.order_by("-id").values_list("id", flat=True).first()
    assert WebhookSubscription.objects.get(pk=pk).starts_after_event_id == last


def test_a_subscription_marked_zero_is_sent_the_whole_unread_history(machine, receiver, receive):
    client, _api = machine()
    old = receive(2)
    WebhookSubscription.objects.create(
        client=client, url=f"http://127.0.0.1:{receiver.server_port}/all", secret="s" * 64, events=EVENTS
    )
    deliver_all()
    assert sent_codes(receiver) == [old.code]
