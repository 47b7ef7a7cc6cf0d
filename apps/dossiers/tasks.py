"""Celery tasks: thin wrappers around services."""

from celery import shared_task

from apps.dossiers.services.dispatch import dispatch_event


@shared_task(name="dossiers.process_dossier_event", ignore_result=True)
def process_dossier_event(event_id: int) -> bool:
    return dispatch_event(event_id)
