"""A small, fixed world for the property-based API test, and callers that authenticate in it.

The rows have fixed keys (unit, dossier, petition and procedure codes, a client name, a key prefix) so
that generated requests can be pointed at real rows some of the time (see ``KNOWN`` in
test_api_properties.py). Staff callers authenticate with a session cookie, which does not depend on how
API tokens are stored; the machine client uses a real API key.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client

from apps.accounts.models import Role
from apps.core.actors import Actor
from apps.dossiers import services as dossiers
from apps.dossiers.models import Channel
from apps.integrations.models import (
    DeliveryStatus,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from apps.integrations.services import clients
from apps.organisation.models import UnitKind
from apps.petitions import services as petitions
from apps.workcalendar.services import clear_calendar_cache, ensure_default_calendar
from tests.factories import ProcedureFactory, ProcedureVersionFactory, UnitFactory, UserFactory
from tests.helpers import FROZEN_NOW, vn

SYSTEM = Actor.of_system("contract-test")
CSRF_TOKEN = "contracttest" * 2 + "a" * 8  # any 32 alphanumerics: sent as cookie and header alike


@dataclass
class World:
    """What the seeded rows are called, by path parameter: the generator picks among them."""

    units: list[str]
    dossiers: list[str]
    petitions: list[str]
    procedures: list[tuple[str, str]]  # (code, valid_from)
    clients: list[tuple[str, str]]  # (name, key prefix)
    subscriptions: list[int]
    deliveries: list[int]
    credentials: dict[str, dict] = field(default_factory=dict)  # keyword arguments of a call, by caller
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker) -> World:
    """The world, built once for the module inside a transaction rolled back at its end.

    Each test still runs in its own savepoint (pytest-django's ``db``), so what one test's requests
    change is undone before the next; building the rows once keeps the whole run within CI's budget.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(FROZEN_NOW, tick=False):
                world = _seed()
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            clear_calendar_cache()


def _seed() -> World:
    ensure_default_calendar(2024, 2028)
    p1 = UnitFactory(code="P1", kind=UnitKind.PROVINCE)
    p2 = UnitFactory(code="P2", kind=UnitKind.PROVINCE)
    tree = {
        "p1": p1,
        "p2": p2,
        "dept": UnitFactory(code="P1.01", kind=UnitKind.DEPARTMENT, parent=p1),
        "c1": UnitFactory(code="P1.100", kind=UnitKind.COMMUNE, parent=p1),
        "c2": UnitFactory(code="P1.101", kind=UnitKind.COMMUNE, parent=p1),
        "c3": UnitFactory(code="P2.100", kind=UnitKind.COMMUNE, parent=p2),
    }
    administrator = UserFactory(username="admin_p1", unit=p1, role=Role.ADMINISTRATOR)
    clerk = UserFactory(username="clerk_c1", unit=tree["c1"], role=Role.CLERK)
    first = ProcedureVersionFactory(
        procedure=ProcedureFactory(code="1.004227"), valid_from=dt.date(2024, 1, 1), fee=Decimal(0)
    ).procedure
    second = ProcedureFactory(code="2.000123")
    ProcedureVersionFactory(procedure=second, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2025, 12, 31))
    ProcedureVersionFactory(procedure=second, valid_from=dt.date(2026, 1, 1), time_limit=Decimal(5))

    def receive(code: str, unit: str, at: dt.datetime, **kwargs):
        return dossiers.receive_dossier(
            procedure=kwargs.pop("procedure", first),
            receiving_unit=tree[unit],
            actor=SYSTEM,
            received_at=at,
            code=code,
            applicant_name="Nguyễn Văn A",
            **kwargs,
        )

    received = receive("P1.100-0001", "c1", vn(2026, 11, 16, 9))
    paused = receive("P1.100-0002", "c1", vn(2026, 11, 2, 9), channel=Channel.ONLINE)
    dossiers.request_supplement(paused, actor=SYSTEM, at=vn(2026, 11, 3, 9))
    finished = receive("P1.101-0003", "c2", vn(2026, 10, 5, 9), procedure=second)
    dossiers.finish(finished, actor=SYSTEM, at=vn(2026, 10, 6, 9))
    handled = receive("P1.100-0004", "c1", vn(2026, 11, 9, 9), handling_unit=tree["dept"])
    dossiers.start_processing(handled, actor=SYSTEM, at=vn(2026, 11, 9, 10))
    elsewhere = receive("P2.100-0005", "c3", vn(2026, 11, 10, 9))
    registered = dossiers.register_dossier(
        procedure=first, receiving_unit=tree["c1"], actor=SYSTEM, registered_at=vn(2026, 11, 20, 9),
        code="P1.100-0006", applicant_name="Trần Thị B",
    )  # fmt: skip

    petition_codes = []
    for code, unit in (("PA-P1.100-0001", "c1"), ("PA-P1-0002", "p1"), ("PA-P2.100-0003", "c3")):
        petitions.receive_petition(
            unit=tree[unit], subject="Đường hỏng", actor=SYSTEM, received_at=vn(2026, 11, 16, 9), code=code
        )
        petition_codes.append(code)

    client = clients.create_client(
        name="portal-p1",
        unit=p1,
        scopes=[Scope.READ_DOSSIERS, Scope.WRITE_DOSSIERS, Scope.READ_SCORES],
        rate_limit_per_minute=100_000,
    )
    key, plaintext = clients.issue_key(client, label="contract test")
    subscription = WebhookSubscription.objects.create(
        client=client, url="http://127.0.0.1:9/hook", secret="0" * 64, events=[WebhookEvent.DOSSIER_CREATED]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event=WebhookEvent.DOSSIER_CREATED, dedupe_key=f"created:{received.pk}",
        payload={"code": received.code}, status=DeliveryStatus.FAILED, attempt_count=1,
    )  # fmt: skip
    WebhookAttempt.objects.create(delivery=delivery, number=1, response_status=500, error="HTTP 500")

    return World(
        units=[u.code for u in tree.values()],
        dossiers=[d.code for d in (received, paused, finished, handled, elsewhere, registered)],
        petitions=petition_codes,
        procedures=[(first.code, "2024-01-01"), (second.code, "2026-01-01"), (second.code, "2024-01-01")],
        clients=[(client.name, key.prefix)],
        subscriptions=[subscription.pk],
        deliveries=[delivery.pk],
        credentials={
            "administrator": _session_for(administrator),
            "clerk": _session_for(clerk),
            "machine": {"headers": {"Authorization": f"Api-Key {plaintext}"}},
        },
    )


def _session_for(user) -> dict:
    """A logged-in browser session for ``user`` (independent of how API tokens are stored): its cookies,
    and the CSRF header a session needs for writes."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookies = {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: CSRF_TOKEN}
    return {"cookies": cookies, "headers": {"X-CSRFToken": CSRF_TOKEN}}


# Every request the property-based test sent, by operation and by status class: printed at the end of
# the run (the figures docs/reliability.md quotes).
SENT: Counter = Counter()
STATUSES: Counter = Counter()


@pytest.fixture
def request_log():
    def record(operation: str, status: int) -> None:
        SENT[operation] += 1
        STATUSES[f"{status // 100}xx"] += 1

    return record


def pytest_terminal_summary(terminalreporter):
    if not SENT:
        return
    counts = sorted(SENT.values())
    terminalreporter.write_sep("-", "property-based API test")
    terminalreporter.write_line(
        f"{sum(counts)} requests to {len(counts)} operations "
        f"(per operation: min {counts[0]}, median {counts[len(counts) // 2]}, max {counts[-1]}); "
        + ", ".join(f"{name}: {n}" for name, n in sorted(STATUSES.items()))
    )


@pytest.fixture
def wsgi_app(api_world, settings):
    """The Django application as a WSGI callable, sharing the test's database connection.

    Django's own test client stops ``close_old_connections`` from running around each request (it would
    close the connection holding the test's transaction); the same is done here, and every exception a
    view lets escape is kept so a failing example shows its traceback.
    """
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.SECURE_SSL_REDIRECT = False  # plain HTTP in-process, whatever the environment says
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def keep(sender, request=None, **kwargs):
        api_world.errors.append(sys.exc_info()[1])

    got_request_exception.connect(keep, weak=False)
    try:
        yield WSGIHandler()
    finally:
        got_request_exception.disconnect(keep)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=["administrator", "clerk", "machine"])
def caller(request, api_world) -> dict:
    """How a request authenticates: keyword arguments for ``case.call``."""
    return api_world.credentials[request.param]
