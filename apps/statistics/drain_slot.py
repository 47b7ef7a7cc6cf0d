"""The debounce slot in Redis: at most one pending drain message per window, whoever marks.

Its own module so that the tracking (which claims the slot and sends the drain) and the task (which
releases it when it starts) both depend on it, and not on each other.
"""

from __future__ import annotations

import logging

from django.conf import settings

from casetracker.celery import BROKER_ERRORS

logger = logging.getLogger(__name__)

# The slot outlives a lost drain message by at most this long; the sweeper covers the gap.
SLOT_TTL_SECONDS = 3.0
SLOT_KEY = "casetracker:statistics:drain-scheduled"
_redis_clients: dict = {}


def broker_url() -> str:
    """The broker the tasks are sent to (the Celery app's, which a test may point elsewhere)."""
    from casetracker.celery import app

    return app.conf.broker_url or settings.CELERY_BROKER_URL or ""


def _redis():
    url = broker_url()
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0
        )
    return client


def claim() -> bool:
    """True when no drain is pending (the caller sends one); raises the broker's errors."""
    client = _redis()
    if client is None:
        return True
    return bool(client.set(SLOT_KEY, 1, nx=True, px=int(SLOT_TTL_SECONDS * 1000)))


def release() -> None:
    """Called when a drain starts: marks made from now on schedule the next drain."""
    client = _redis()
    if client is None:
        return
    try:
        client.delete(SLOT_KEY)
    except BROKER_ERRORS as error:  # the slot expires by itself
        logger.warning("could not release the drain slot: %s", error)
