"""What happens after a ticket event is committed (in a Celery worker, or in-process without a broker).

The event row is the outbox entry of its follow-up (apps/core/outbox.py), written in the transaction of
the change, so a lost task message only delays it. Later follow-ups (a citizen's SMS when called, the
national portal's queue feed) hang off :func:`dispatch_event`, which must stay idempotent.
"""

from __future__ import annotations

import datetime as dt

from apps.core import outbox
from apps.queues.models import TicketEvent


def dispatch_event(event_id: int) -> bool:
    """Mark the event dispatched. Returns False when it was already dispatched or no longer exists."""
    return outbox.mark_dispatched(TicketEvent, event_id)


def dispatch_pending(*, now: dt.datetime | None = None, limit: int = outbox.SWEEP_BATCH) -> int:
    """Dispatch committed events still waiting for their follow-up, oldest first. Returns how many ran."""
    return outbox.dispatch_pending(TicketEvent, dispatch_event, now=now, limit=limit)
