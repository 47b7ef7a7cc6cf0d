"""Helpers the benchmark commands share, so their figures are computed one way."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import connection
from django.http import HttpResponse
from django.test import Client

from apps.accounts.models import Role, User
from apps.organisation.models import Unit


def percentile(values: list[float], q: float) -> float:
    """The value at rank ``q`` (0..1) of the sorted timings, without interpolation: a p95 is a time some
    request really took."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(values: list[float]) -> tuple[float, float, float]:
    """(min, median, max) of a figure's rounds: the way every benchmark table reports a repeated figure."""
    return min(values), statistics.median(values), max(values)


def require_postgresql() -> None:
    """The benchmarks measure PostgreSQL's plans, COPY data and statistics views: refuse anything else
    rather than print figures that mean nothing for production."""
    if connection.vendor != "postgresql":
        raise CommandError("Run this on PostgreSQL: DATABASE_URL=postgres://… (a scratch database).")


def ms_since(started: float) -> float:
    """Milliseconds since a ``time.perf_counter()`` reading."""
    return (time.perf_counter() - started) * 1000


def get_ok(client: Client, url: str) -> HttpResponse:
    """GET ``url``; a benchmark of an error page would measure the wrong thing, so anything but 200 stops
    the run with the start of the answer."""
    response = client.get(url)
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return response


def time_requests(
    client: Client, url: str, count: int, *, before_each: Callable[[], None] | None = None
) -> list[float]:
    """``count`` timed GETs of ``url`` in ms; ``before_each`` (untimed) e.g. empties a cache."""
    timings = []
    for _ in range(count):
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        get_ok(client, url)
        timings.append(ms_since(started))
    return timings


def bench_user(username: str, role: str, unit: Unit | None = None, **extra: object) -> User:
    """A user to act as, made once per database (``bench-…`` names), read back with its unit as
    authentication reads it, so a request's own queries are what is measured."""
    user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "unit": unit, **extra})
    return User.objects.select_related("unit").get(pk=user.pk)


def bench_admin() -> User:
    """The superuser the whole-table benchmarks read as (every unit visible)."""
    return bench_user("bench-admin", Role.ADMINISTRATOR, is_superuser=True, is_staff=True)


def freeze_gc() -> int:
    """What ``post_worker_init`` in gunicorn.conf.py does once the application is loaded: collect, then
    move every object alive into the permanent generation, so later full collections skip them.
    Returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
