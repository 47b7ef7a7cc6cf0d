"""The Celery application. Tasks are discovered in each app's ``tasks.py``.

:class:`RecoverableTask` is the base of every task whose work is already recorded in the database (an
outbox row, a cursor, a due delivery) and picked up by a beat sweeper: sending its message is only a
"kick" to do it sooner, so a broker outage must delay that work, never fail the request that wrote it.
"""

from __future__ import annotations

import logging
import os
import time

from celery import Celery, Task
from celery.signals import worker_ready
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")

logger = logging.getLogger("casetracker.celery")

app = Celery("casetracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# After a failed send, later kicks are skipped for this long instead of each paying the connection
# attempt: during an outage writes stay as fast as with a broker, and the sweeper does the work.
BROKER_BACKOFF_SECONDS = 5.0
_broker_down_until = 0.0


def _broker_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OperationalError, OSError)
    try:
        import redis.exceptions

        errors += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return errors


BROKER_ERRORS = _broker_errors()


def broker_backing_off() -> bool:
    """True while a recent send failed: callers skip optional broker work (the debounce slot, kicks)."""
    return time.monotonic() < _broker_down_until


def note_broker_down(what: str, error: BaseException) -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
    logger.warning(
        "broker unavailable, %s left to the sweeper (next try in %.0f s): %s: %s",
        what, BROKER_BACKOFF_SECONDS, type(error).__name__, error,
    )  # fmt: skip


def reset_broker_backoff() -> None:
    """Forget a past failure (tests, or an operator who knows the broker is back)."""
    global _broker_down_until
    _broker_down_until = 0.0


class RecoverableTask(Task):
    """A task whose message may be lost: ``delay``/``apply_async`` log a broker error and return None.

    Only for tasks that are idempotent and whose pending work a beat task finds in the database, so they
    also acknowledge late and are re-queued if the worker dies mid-run.
    """

    acks_late = True
    reject_on_worker_lost = True

    def apply_async(self, args=None, kwargs=None, **options):
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, **options)
        if broker_backing_off():
            logger.info("broker backing off: %s left to the sweeper", self.name)
            return None
        options.setdefault("retry", False)  # one quick attempt: the sweeper is the retry
        try:
            return super().apply_async(args, kwargs, **options)
        except BROKER_ERRORS as error:
            note_broker_down(self.name, error)
            return None


@worker_ready.connect
def _sweep_on_start(**_kwargs) -> None:
    """A worker that (re)starts asks for the sweepers at once instead of waiting for beat's next tick: what
    a killed predecessor left half done is dirty again (its transaction rolled back) and is redone now."""
    from apps.dossiers.tasks import dispatch_pending_events as dossier_events
    from apps.petitions.tasks import dispatch_pending_events as petition_events
    from apps.queues.tasks import dispatch_pending_events as ticket_events
    from apps.statistics.tasks import drain_dirty_leaves

    for task in (drain_dirty_leaves, dossier_events, petition_events, ticket_events):
        task.delay()
