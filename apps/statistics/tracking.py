"""What a dossier change means for the aggregates: its handling unit's periods become dirty.

Called by the dossier services inside their transaction; the marking itself runs on commit (a rolled-back
change marks nothing) and a debounced task recomputes about once a second, not once per dossier.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.db import transaction

from apps.statistics import services

DEBOUNCE_SECONDS = 1.0


def dossier_changed(dossier, *, also_unit_ids: tuple[int, ...] = ()) -> None:
    """Mark the periods from the dossier's receipt until today dirty for its handling unit(s)."""
    if dossier.received_on is None:
        return
    units = (dossier.handling_unit_id, *also_unit_ids)
    transaction.on_commit(partial(_mark_and_schedule, units, dossier.received_on))


def unit_periods_changed(unit_ids: tuple[int, ...], first: dt.date) -> None:
    """For other sources (petitions, bulk imports): the units' periods from ``first`` are dirty."""
    transaction.on_commit(partial(_mark_and_schedule, unit_ids, first))


def _mark_and_schedule(unit_ids: tuple[int, ...], first: dt.date) -> None:
    today = services.today()
    services.mark_dirty(services.dirty_pairs_for(unit_ids, min(first, today), today))
    schedule_drain()


def schedule_drain() -> None:
    """Run the drain now without a broker; with one, at most one pending drain per debounce window."""
    from apps.statistics.tasks import drain_dirty_leaves

    if not settings.CELERY_BROKER_URL or drain_dirty_leaves.app.conf.task_always_eager:
        drain_dirty_leaves.delay()
        return
    if _claim_debounce_slot():
        drain_dirty_leaves.apply_async(countdown=DEBOUNCE_SECONDS)


SLOT_KEY = "casetracker:statistics:drain-scheduled"
_redis_clients: dict = {}


def _redis():
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(url)
    return client


def _claim_debounce_slot() -> bool:
    client = _redis()
    if client is None:
        return True
    return bool(client.set(SLOT_KEY, 1, nx=True, px=int(DEBOUNCE_SECONDS * 1000 * 5)))


def release_debounce_slot() -> None:
    """Called when a drain starts: marks made from now on schedule the next drain."""
    client = _redis()
    if client is not None:
        client.delete(SLOT_KEY)
