"""What a dossier change means for the aggregates: its handling unit's periods become dirty.

Called by the dossier and petition services inside their transaction. The dirty marks are written in
that same transaction (an outbox: a committed change always leaves its marks, a rolled-back one none);
only the kick that asks a worker to drain them runs on commit, and it is best effort. A lost kick (the
broker is down, the worker died) only delays: the beat sweeper drains whatever is marked every few
seconds. With a broker, a debounced task recomputes about once a second, not once per dossier.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from apps.statistics import drain_slot, services
from apps.statistics.tasks import drain_dirty_leaves
from casetracker.celery import BROKER_ERRORS, broker_backing_off, note_broker_down

DEBOUNCE_SECONDS = 1.0


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
    if not settings.CELERY_BROKER_URL or drain_dirty_leaves.app.conf.task_always_eager:
        drain_dirty_leaves.delay()
        return
    if broker_backing_off():
        return
    try:
        claimed = drain_slot.claim()
    except BROKER_ERRORS as error:
        note_broker_down("the statistics drain", error)
        return
    if claimed:
        drain_dirty_leaves.apply_async(countdown=DEBOUNCE_SECONDS)
