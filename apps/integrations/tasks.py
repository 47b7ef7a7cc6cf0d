"""Celery tasks of the integrations app: thin wrappers over the services.

Deliveries and the fan-out are recorded in the database (a due delivery row, the event cursor), so their
tasks are :class:`~casetracker.celery.RecoverableTask`: a message lost to a broker outage is sent again by
the beat tasks (``retry_due_deliveries`` once the delivery's claim lapses, ``fan_out_events``).
"""

from __future__ import annotations

from celery import shared_task

from apps.integrations import idempotency
from apps.integrations.services import webhooks
from casetracker.celery import RecoverableTask


def _send_due() -> int:
    ids = webhooks.claim_due()
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)


@shared_task(name="integrations.deliver_webhook", ignore_result=True, base=RecoverableTask)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt. A failure sets the delivery's next attempt (backoff); retry_due_deliveries sends it."""
    webhooks.attempt(delivery_id)


@shared_task(name="integrations.fan_out_events", ignore_result=True, base=RecoverableTask)
def fan_out_events() -> int:
    created = webhooks.fan_out_events()
    _send_due()
    return created


@shared_task(name="integrations.retry_due_deliveries", ignore_result=True)
def retry_due_deliveries() -> int:
    return _send_due()


@shared_task(name="integrations.raise_alerts", ignore_result=True)
def raise_alerts() -> dict:
    counts = webhooks.raise_alerts()
    _send_due()
    return counts


@shared_task(name="integrations.purge_idempotency_records", ignore_result=True)
def purge_idempotency_records() -> int:
    return idempotency.purge_expired()
