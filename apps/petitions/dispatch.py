"""What happens after a petition event is committed (in a Celery worker, or in-process without a broker).

Later follow-ups (notifying the petitioner, pushing the answer to the national portal) hang off
:func:`dispatch_event`; it must stay idempotent because Celery delivers at least once.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from apps.petitions.models import PetitionEvent

logger = logging.getLogger(__name__)


def dispatch_event(event_id: int) -> bool:
    """Mark the event dispatched. Returns False when it was already dispatched or no longer exists."""
    updated = PetitionEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    )
    if updated:
        logger.info("dispatched petition event %s", event_id)
    return bool(updated)
