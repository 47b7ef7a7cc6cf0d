"""Webhooks reach public addresses only (checked at subscription and again at each delivery), tell a client
nothing about the internal network, and go only to clients that may read the dossiers they describe."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from apps.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from apps.integrations.services import destinations, webhooks

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/subscriptions/"


class _Listener(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append((self.path, dict(self.headers), self.rfile.read(length)))
        self.send_response(self.server.answer)
        if self.server.answer in (301, 302, 307, 308):
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def listener():
    """A local HTTP receiver on 127.0.0.1 (the only network target tests use)."""
    servers = []

    def start(answer: int = 200, location: str = ""):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
        server.received, server.answer, server.location = [], answer, location
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd12:3456::1", False),  # unique-local
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 around 10.0.0.1
        ("not-an-address", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert destinations.is_public(address) is public


REFUSED_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost:8000/hook",
    "http://10.0.0.5/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://name-that-does-not-resolve.invalid/hook",
    "http://user:secret@8.8.8.8/hook",
    "ftp://8.8.8.8/hook",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_subscribing_an_internal_url_is_refused_with_one_message(machine, url):
    _client, api = machine(scopes=["read_dossiers"])
    response = api.post(URL, {"url": url, "events": ["dossier.created"]}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error" and body["errors"][0]["field"] == "url"
    # one message for every reason: resolvable or not, which range it fell in
    first = api.post(URL, {"url": REFUSED_URLS[0], "events": ["dossier.created"]}, format="json").json()
    assert body["errors"][0]["message"] == first["errors"][0]["message"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("url", ["http://2130706433/hook", "http://0x7f.1/hook", "http://017700000001/hook"])
def test_loopback_written_as_a_number_is_refused_too(url):
    """The URL field rejects these spellings already; the destination check refuses them on its own."""
    with pytest.raises(destinations.DestinationRefused):
        destinations.check(url)


def test_a_public_address_and_an_allowed_development_host_are_accepted(machine, settings):
    _client, api = machine(scopes=["read_dossiers"])
    assert (
        api.post(
            URL, {"url": "https://8.8.8.8/hook", "events": ["dossier.created"]}, format="json"
        ).status_code
        == 201
    )
    assert (
        api.post(
            URL, {"url": "http://127.0.0.1:9/hook", "events": ["dossier.created"]}, format="json"
        ).status_code
        == 400
    )
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert (
        api.post(
            URL, {"url": "http://127.0.0.1:9/hook", "events": ["dossier.created"]}, format="json"
        ).status_code
        == 201
    )


def _delivery(client, url: str) -> WebhookDelivery:
    subscription = WebhookSubscription.objects.create(
        client=client, url=url, secret="k", events=["dossier.created"]
    )
    return WebhookDelivery.objects.create(subscription=subscription, event="dossier.created", dedupe_key="e:1",
                                          payload={"event": "dossier.created"}, next_attempt_at=None)  # fmt: skip


def test_a_delivery_reaches_an_allowed_local_listener(machine, listener, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = listener()
    client, _api = machine(scopes=["read_dossiers"])
    delivery = webhooks.attempt(_delivery(client, f"http://127.0.0.1:{server.server_port}/in?x=1").pk)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    path, headers, body = server.received[0]
    assert path == "/in?x=1" and headers["X-Casetracker-Event"] == "dossier.created"
    assert body == b'{"event":"dossier.created"}'


def test_dns_cannot_swap_in_an_internal_address_after_subscribing(machine, listener, monkeypatch):
    """The name resolved to a public address when subscribed; at delivery it resolves to loopback."""
    server = listener()
    _client, api = machine(scopes=["read_dossiers"])
    answers = iter([("8.8.8.8", 80), ("127.0.0.1", server.server_port)])

    def fake_getaddrinfo(host, port, *args, **kwargs):
        address = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", address)]

    monkeypatch.setattr(destinations.socket, "getaddrinfo", fake_getaddrinfo)
    url = f"http://rebind.example:{server.server_port}/hook"
    assert api.post(URL, {"url": url, "events": ["dossier.created"]}, format="json").status_code == 201
    delivery = WebhookDelivery.objects.create(subscription=WebhookSubscription.objects.get(), event="dossier.created",
                                              dedupe_key="e:1", payload={}, next_attempt_at=None)  # fmt: skip
    delivery = webhooks.attempt(delivery.pk)
    assert server.received == []  # nothing reached the internal listener
    assert [(a.error, a.response_status) for a in delivery.attempts.all()] == [("refused", None)]


def test_redirects_are_answers_not_followed(machine, listener, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    inside = listener()
    redirecting = listener(302, f"http://127.0.0.1:{inside.server_port}/internal")
    client, _api = machine(scopes=["read_dossiers"])
    delivery = webhooks.attempt(_delivery(client, f"http://127.0.0.1:{redirecting.server_port}/hook").pk)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts.get().response_status == 302
    assert inside.received == []


@pytest.mark.parametrize("allowed", [True, False])
def test_failed_attempts_say_no_more_than_a_category(machine, settings, allowed):
    """A closed port on an allowed host is `connection_failed`; on any other internal host `refused`."""
    if allowed:
        settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    client, api = machine(scopes=["read_dossiers"])
    delivery = webhooks.attempt(_delivery(client, f"http://127.0.0.1:{_closed_port()}/hook").pk)
    attempt = delivery.attempts.get()
    assert attempt.error == ("connection_failed" if allowed else "refused")
    detail = api.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").json()
    assert detail["attempts"][0]["error"] == attempt.error
    assert "Errno" not in str(detail) and "127.0.0.1:" not in detail["attempts"][0]["error"]


def test_a_client_that_lost_read_dossiers_is_sent_nothing_more(machine, listener, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = listener()
    client, api = machine(scopes=["read_dossiers"])
    delivery = _delivery(client, f"http://127.0.0.1:{server.server_port}/hook")
    client.scopes = ["read_scores"]
    client.save()
    delivery = webhooks.attempt(delivery.pk)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempt_count == 0
    assert server.received == []
    # nor may it read stored payloads, though it may still list and delete its subscriptions
    assert api.get(f"/api/v1/webhooks/deliveries/{delivery.pk}/").json()["code"] == "insufficient_scope"
    assert api.get(URL).status_code == 200
    assert api.delete(f"{URL}{delivery.subscription_id}/").status_code == 204
