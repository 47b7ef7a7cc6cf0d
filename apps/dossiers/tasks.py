"""Celery tasks: thin wrappers around services."""

from celery import shared_task

from apps.dossiers.services.dispatch import dispatch_event, dispatch_pending
from casetracker.celery import RecoverableTask


@shared_task(name="dossiers.process_dossier_event", ignore_result=True, base=RecoverableTask)
def process_dossier_event(event_id: int) -> bool:
    """Sent on commit as a kick; if it is lost, :func:`dispatch_pending_events` runs the event."""
    return dispatch_event(event_id)


@shared_task(name="dossiers.dispatch_pending_events", ignore_result=True, base=RecoverableTask)
def dispatch_pending_events() -> int:
    """Beat sweeper: events committed without a follow-up (the broker was down, a worker died)."""
    return dispatch_pending()
