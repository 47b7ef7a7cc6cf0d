"""Celery tasks: thin wrappers around services."""

from celery import shared_task

from apps.queues.dispatch import dispatch_event, dispatch_pending
from casetracker.celery import RecoverableTask


@shared_task(name="queues.process_ticket_event", ignore_result=True, base=RecoverableTask)
def process_ticket_event(event_id: int) -> bool:
    """Sent on commit as a kick; if it is lost, :func:`dispatch_pending_events` runs the event."""
    return dispatch_event(event_id)


@shared_task(name="queues.process_ticket_events", ignore_result=True, base=RecoverableTask)
def process_ticket_events(event_ids: list[int]) -> int:
    """The kick of a bulk request: one message for all its events."""
    return sum(dispatch_event(pk) for pk in event_ids)


@shared_task(name="queues.dispatch_pending_events", ignore_result=True, base=RecoverableTask)
def dispatch_pending_events() -> int:
    """Beat sweeper: events committed without a follow-up (the broker was down, a worker died)."""
    return dispatch_pending()
