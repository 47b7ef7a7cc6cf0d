"""Celery tasks: thin wrappers around services."""

from celery import shared_task

from apps.petitions.dispatch import dispatch_event


@shared_task(name="petitions.process_petition_event", ignore_result=True)
def process_petition_event(event_id: int) -> bool:
    return dispatch_event(event_id)
