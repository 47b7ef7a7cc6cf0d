"""Celery tasks keeping the statistics current: thin wrappers over the services."""

from celery import shared_task

from apps.statistics import drain_slot, services, snapshots
from casetracker.celery import RecoverableTask


@shared_task(name="statistics.drain_dirty_leaves", ignore_result=True, base=RecoverableTask)
def drain_dirty_leaves() -> int:
    """The debounced drain and, on beat every few seconds, the sweeper of marks whose kick was lost.

    Idempotent (the marks are the state), so it acknowledges late and is re-queued if its worker dies.
    """
    drain_slot.release()
    return services.drain_dirty()


# Acknowledged on receipt: a full rebuild can outlast the broker's visibility timeout, and a redelivered
# copy would only run it twice. A killed rebuild rolls back; the drain keeps the aggregates right meanwhile.
@shared_task(name="statistics.rebuild_all", ignore_result=True, acks_late=False)
def rebuild_all() -> int:
    return services.rebuild_all()


@shared_task(name="statistics.refresh_current_periods", ignore_result=True)
def refresh_current_periods() -> int:
    """At midnight unfinished dossiers are judged on a new day: recompute every unit's current periods."""
    return services.refresh_current_periods()


@shared_task(name="statistics.snapshot_closed_periods", ignore_result=True)
def snapshot_closed_periods() -> int:
    """The only writer of score snapshots: closed weeks and months, backfilled (see :mod:`.snapshots`)."""
    return snapshots.snapshot_closed_periods()
