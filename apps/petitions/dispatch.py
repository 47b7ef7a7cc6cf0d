"""What happens after a petition event is committed (in a Celery worker, or in-process without a broker).

Later follow-ups (notifying the petitioner, pushing the answer to the national portal) hang off
:func:`dispatch_event`; it must stay idempotent because Celery delivers at least once, and the sweeper
(:func:`dispatch_pending`) may run an event whose task is still queued.

The event row is the outbox entry of its follow-up (apps/core/outbox.py): written in the same transaction
as the change, so a lost task message (broker down, worker killed) only delays it.
"""

from __future__ import annotations

import datetime as dt

from apps.core import outbox
from apps.petitions.models import PetitionEvent


def dispatch_event(event_id: int) -> bool:
    """Mark the event dispatched. Returns False when it was already dispatched or no longer exists."""
    return outbox.mark_dispatched(PetitionEvent, event_id)


def dispatch_pending(*, now: dt.datetime | None = None, limit: int = outbox.SWEEP_BATCH) -> int:
    """Dispatch committed events still waiting for their follow-up, oldest first. Returns how many ran."""
    return outbox.dispatch_pending(PetitionEvent, dispatch_event, now=now, limit=limit)
