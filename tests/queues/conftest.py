"""Queue fixtures over the shared tree: a centre under P1 with counters, its staff, a kiosk client."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.models import Role
from apps.core.actors import Actor
from apps.integrations.services.clients import create_client, issue_key
from apps.organisation.models import UnitKind
from apps.queues import services
from apps.queues.models import Counter
from tests.factories import UnitFactory, UserFactory

KIOSK = Actor.of_system("kiosk")


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def centre(tree):
    return UnitFactory(code="P1.TT", kind=UnitKind.CENTRE, parent=tree["p1"])


@pytest.fixture
def counters(centre, tree):
    """Counters 1–3 at the centre; counter 9 exists only at commune c1."""
    made = {n: Counter.objects.create(unit=centre, number=n, name=f"Desk {n}") for n in (1, 2, 3)}
    made["c1-9"] = Counter.objects.create(unit=tree["c1"], number=9, name="Commune desk")
    return made


@pytest.fixture
def staff(centre, tree):
    return {
        "an": UserFactory(username="an", unit=centre, role=Role.CLERK, first_name="An", last_name="Lê"),
        "binh": UserFactory(username="binh", unit=centre, role=Role.CLERK),
        "dept": UserFactory(username="dept_officer", unit=tree["dept"], role=Role.OFFICER),
        "far": UserFactory(username="far", unit=tree["c3"], role=Role.CLERK),
    }


@pytest.fixture
def kiosk(db, calendar, tree, centre, counters, staff):
    """``kiosk(scopes=("write_tickets",), unit="p1", name="kiosk")`` → (client, APIClient with its key)."""

    def make(scopes=("write_tickets",), unit=None, name="kiosk"):
        client = create_client(name=name, unit=unit or centre, scopes=list(scopes), rate_limit_per_minute=0)
        _key, plaintext = issue_key(client)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
        return client, api

    return make


@pytest.fixture
def post_event(centre, counters, staff):
    """Apply an event through the service as client ``kiosk`` (scope: the centre)."""

    def make(ticket: str, event: str, at, **fields):
        data = services.EventData(ticket=ticket, event=event, at=at, **fields)
        return services.record_event(data, source_system="kiosk", scope_path=centre.path, actor=KIOSK)

    return make


@pytest.fixture
def visit(post_event, centre):
    """A whole visit: issued at ``at``, called after ``wait`` seconds, finished ``handling`` seconds later
    (``handling=None``: a no-show when called)."""

    def make(name, at, wait, handling, *, counter=1, staff="an", **issued):
        import datetime as dt

        post_event(name, "issued", at, unit=centre.code, **issued)
        called = at + dt.timedelta(seconds=wait)
        post_event(name, "called", called, counter=counter, staff=staff)
        if handling is None:
            return post_event(name, "no_show", called + dt.timedelta(minutes=2))
        post_event(name, "started", called + dt.timedelta(seconds=30))
        return post_event(name, "finished", called + dt.timedelta(seconds=30 + handling))

    return make
