"""Event rows as an outbox: a history row whose ``dispatched_at`` is empty still owes its follow-up.

The row is written in the transaction of the change it records, so a follow-up whose task message was
lost (broker down, worker killed) is found again here by the beat sweeper. Dossier and petition histories
share these two steps; what a follow-up does is each app's ``dispatch`` module.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)

# Younger events are left to the task sent on commit; the sweeper takes what it did not do.
SWEEP_GRACE = dt.timedelta(seconds=2)
SWEEP_BATCH = 1000


def mark_dispatched(model: type[models.Model], event_id: int) -> bool:
    """Claim the event's follow-up: True for the one caller that set ``dispatched_at``, False if it was
    already done (Celery delivers at least once, and the sweeper may race the task) or the row is gone."""
    updated = model.objects.filter(pk=event_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )
    if updated:
        logger.info("dispatched %s %s", model._meta.verbose_name, event_id)
    return bool(updated)


def dispatch_pending(
    model: type[models.Model],
    dispatch: Callable[[int], bool],
    *,
    now: dt.datetime | None = None,
    limit: int = SWEEP_BATCH,
) -> int:
    """Run ``dispatch`` for committed events still waiting for their follow-up, oldest first."""
    now = now or timezone.now()
    ids = list(
        model.objects.filter(dispatched_at__isnull=True, recorded_at__lt=now - SWEEP_GRACE)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    dispatched = sum(dispatch(pk) for pk in ids)
    if dispatched:
        logger.info("swept %s undispatched %s rows", dispatched, model._meta.verbose_name)
    return dispatched
