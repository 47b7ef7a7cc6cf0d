"""What a dossier change means for the aggregates: its handling unit's periods become dirty.

Called by the dossier and petition services inside their transaction. The dirty marks are written in
that same transaction (an outbox: a committed change always leaves its marks, a rolled-back one none);
only the kick that asks a worker to drain them runs on commit, and it is best effort. A lost kick (the
broker is down, the worker died) only delays: the beat sweeper drains whatever is marked every few
seconds. With a broker, a debounced task recomputes about once a second, not once per dossier.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction

from apps.statistics import services
from casetracker.celery import BROKER_ERRORS, broker_backing_off, note_broker_down

logger = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 1.0
# The slot outlives a lost drain message by at most this long; the sweeper covers the gap.
SLOT_TTL_SECONDS = 3.0


def dossier_changed(dossier, *, also_unit_ids: tuple[int, ...] = ()) -> None:
    """Mark the periods from the dossier's receipt until today dirty for its handling unit(s)."""
    if dossier.received_on is None:
        return
    unit_periods_changed((dossier.handling_unit_id, *also_unit_ids), dossier.received_on)


def unit_periods_changed(unit_ids: tuple[int, ...], first: dt.date) -> None:
    """The units' periods from ``first`` are dirty: marked now, in the caller's transaction."""
    today = services.today()
    services.mark_dirty(services.dirty_pairs_for(unit_ids, min(first, today), today))
    transaction.on_commit(schedule_drain)


def schedule_drain() -> None:
    """Run the drain now without a broker; with one, at most one pending drain per debounce window.

    Never raises a broker error: the marks are committed and the sweeper will drain them.
    """
    from apps.statistics.tasks import drain_dirty_leaves

    if not settings.CELERY_BROKER_URL or drain_dirty_leaves.app.conf.task_always_eager:
        drain_dirty_leaves.delay()
        return
    if broker_backing_off():
        return
    try:
        claimed = _claim_debounce_slot()
    except BROKER_ERRORS as error:
        note_broker_down("the statistics drain", error)
        return
    if claimed:
        drain_dirty_leaves.apply_async(countdown=DEBOUNCE_SECONDS)


SLOT_KEY = "casetracker:statistics:drain-scheduled"
_redis_clients: dict = {}


def _redis():
    url = drain_app_broker_url()
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0
        )
    return client


def drain_app_broker_url() -> str:
    """The broker the tasks are sent to (the Celery app's, which a test may point elsewhere)."""
    from casetracker.celery import app

    return app.conf.broker_url or settings.CELERY_BROKER_URL or ""


def _claim_debounce_slot() -> bool:
    client = _redis()
    if client is None:
        return True
    return bool(client.set(SLOT_KEY, 1, nx=True, px=int(SLOT_TTL_SECONDS * 1000)))


def release_debounce_slot() -> None:
    """Called when a drain starts: marks made from now on schedule the next drain."""
    client = _redis()
    if client is None:
        return
    try:
        client.delete(SLOT_KEY)
    except BROKER_ERRORS as error:  # the slot expires by itself
        logger.warning("could not release the drain slot: %s", error)
