"""Shared fixtures: a small organisation tree, a calendar, procedures, one user per role, API clients.

Tests never need the demo fixtures; each builds the few rows it reads.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from apps.accounts.models import Role
from apps.catalogue.models import TimeUnit
from apps.organisation.models import UnitKind
from apps.workcalendar.services import clear_calendar_cache, ensure_default_calendar
from casetracker.celery import app as celery_app
from tests.factories import ProcedureVersionFactory, UnitFactory, UserFactory
from tests.helpers import FROZEN_NOW, set_eager, vn  # noqa: F401  (vn re-exported for older imports)


def _stack_available() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(
        os.environ.get("CELERY_BROKER_URL")
    )


def _postgres_available() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


#: The browser the web console's tests drive (Debian's package; Playwright's own download is not used).
CHROMIUM = "/usr/bin/chromium"


def _chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``stack`` need PostgreSQL + Redis + a worker, ``postgres`` only PostgreSQL, ``browser``
    Chromium at :data:`CHROMIUM`; without them they are deselected (browser ones said so at the end)."""
    unavailable = {
        "stack": not _stack_available(),
        "postgres": not _postgres_available(),
        "browser": not _chromium_available(),
    }
    dropped = [
        item for item in items if any(item.get_closest_marker(m) for m, off in unavailable.items() if off)
    ]
    if dropped:
        gone = set(dropped)
        items[:] = [item for item in items if item not in gone]
        config.hook.pytest_deselected(items=dropped)
        config._browser_tests_deselected = sum(1 for item in dropped if item.get_closest_marker("browser"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Never drop the browser tests silently: say how many were left out and why."""
    dropped = getattr(config, "_browser_tests_deselected", 0)
    if dropped:
        terminalreporter.write_line(
            f"browser tests deselected: Chromium not found at {CHROMIUM} ({dropped} tests; "
            "`apt-get install chromium` to run them)",
            yellow=True,
            bold=True,
        )


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """Every test runs at ``FROZEN_NOW`` (time still ticks from there), so no test depends on the day it
    runs. Tests that drive other processes (a worker, parallel writers) read the real clock: those
    (marked ``stack`` or ``real_clock``) must use times relative to now."""
    if request.node.get_closest_marker("stack") or request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(FROZEN_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Run tasks in-process unless the test drives a real worker (marked ``stack``)."""
    if request.node.get_closest_marker("stack"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    set_eager(True)
    yield
    set_eager(previous)


@pytest.fixture(autouse=True)
def _fresh_read_caches():
    """Each test rolls the aggregate version back, so per-process read caches must not outlive it."""
    from django.core.cache import cache

    from apps.statistics import reports

    cache.clear()
    reports._SCORERS.clear()
    yield
    cache.clear()
    reports._SCORERS.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Build the default working calendar once; each test's transaction rolls back to it."""
    with django_db_blocker.unblock():
        ensure_default_calendar(2024, 2028)


@pytest.fixture
def calendar(db):
    """The default calendar (2024–2028). Rebuilt only if a transactional test flushed it."""
    clear_calendar_cache()
    yield ensure_default_calendar(2024, 2028)
    clear_calendar_cache()


@pytest.fixture
def tree(db):
    """Province P1 with a department and two communes; province P2 with one commune."""
    p1 = UnitFactory(code="P1", kind=UnitKind.PROVINCE)
    p2 = UnitFactory(code="P2", kind=UnitKind.PROVINCE)
    return {
        "p1": p1,
        "p2": p2,
        "dept": UnitFactory(code="P1.01", kind=UnitKind.DEPARTMENT, parent=p1),
        "c1": UnitFactory(code="P1.100", kind=UnitKind.COMMUNE, parent=p1),
        "c2": UnitFactory(code="P1.101", kind=UnitKind.COMMUNE, parent=p1),
        "c3": UnitFactory(code="P2.100", kind=UnitKind.COMMUNE, parent=p2),
    }


@pytest.fixture
def procedure(db):
    """A 3-working-day procedure with a 50,000 VND fee."""
    return ProcedureVersionFactory(time_limit=Decimal(3), time_unit=TimeUnit.WORKING_DAYS).procedure


@pytest.fixture
def users(tree):
    return {
        "clerk_c1": UserFactory(username="clerk_c1", unit=tree["c1"], role=Role.CLERK),
        "clerk_c2": UserFactory(username="clerk_c2", unit=tree["c2"], role=Role.CLERK),
        "officer_dept": UserFactory(username="officer_dept", unit=tree["dept"], role=Role.OFFICER),
        "supervisor_p1": UserFactory(username="supervisor_p1", unit=tree["p1"], role=Role.SUPERVISOR),
        "admin_p1": UserFactory(username="admin_p1", unit=tree["p1"], role=Role.ADMINISTRATOR),
        "clerk_c3": UserFactory(username="clerk_c3", unit=tree["c3"], role=Role.CLERK),
    }


@pytest.fixture
def client_for():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
