"""Outbound webhooks: fan-out of dossier events and alerts into deliveries, signed sending, retries.

Payload → delivery → attempts: every POST we make is an attempt row, so failures can be inspected and a
delivery replayed. A delivery is unique per subscription and ``dedupe_key`` (the event id, or the alert
kind and dossier), so re-running the fan-out never sends the same fact twice.

The fan-out reads the dossier history by id from a cursor instead of hooking into each service: the
per-dossier services and the set-based ingest are covered alike. Ids are handed out before commit, so a
transaction that commits late can show an id below ones already read; the cursor therefore only moves
past events older than ``FANOUT_LAG`` and the scan re-reads the rest (the dedupe key makes that free).

Dossier events carry dossier data, so a subscription receives them only while its client holds
``read_dossiers`` and only for dossiers received or handled in the client's subtree (checked at fan-out
and again before each send). Where a URL may point is :mod:`apps.integrations.services.destinations`;
an attempt records a coarse outcome only, never a network error's text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import secrets
import ssl
import time
from collections import defaultdict

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from apps.dossiers.models import Dossier, DossierEvent
from apps.dossiers.status import OPEN_STATUSES
from apps.integrations.models import (
    AlertKind,
    DeliveryStatus,
    DossierAlert,
    MachineClient,
    OutboxCursor,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from apps.integrations.services import destinations

SIGNATURE_HEADER = "X-Casetracker-Signature"
MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (30, 120, 600, 1800, 7200)  # after attempt 1, 2, …
TIMEOUT_SECONDS = 10
FANOUT_LAG = dt.timedelta(seconds=60)
FANOUT_BATCH = 5000
CLAIM_SECONDS = 120


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix>,v1=<hex>`` where v1 = HMAC-SHA256(secret, "<t>." + body). Receivers recompute it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def dossier_summary(dossier: Dossier) -> dict:
    return {
        "code": dossier.code,
        "source_system": dossier.source_system,
        "external_id": dossier.external_id,
        "receiving_unit": dossier.receiving_unit.code,
        "handling_unit": dossier.handling_unit.code,
        "status": dossier.status,
        "received_at": dossier.received_at,
        "legal_due_at": dossier.legal_due_at,
        "effective_due_at": dossier.effective_due_at,
        "timeliness": dossier.timeliness,
    }


def _covers(subscription: WebhookSubscription, dossier: Dossier) -> bool:
    path = subscription.client.unit.path
    return dossier.receiving_unit.path.startswith(path) or dossier.handling_unit.path.startswith(path)


def may_receive(subscription: WebhookSubscription) -> bool:
    """Dossier events go only to active subscriptions of active clients that may read dossiers."""
    client = subscription.client
    return subscription.is_active and client.is_active and client.has_scope(Scope.READ_DOSSIERS)


def _subscriptions(event_type: str) -> list[WebhookSubscription]:
    active = WebhookSubscription.objects.filter(is_active=True, client__is_active=True)
    return [s for s in active.select_related("client__unit") if event_type in s.events and may_receive(s)]


def subscribe(*, client: MachineClient, url: str, events: list[str]) -> WebhookSubscription:
    """A new subscription, sent what happens from now on: dossier events recorded up to now are not.

    The fan-out's cursor is shared and may lag (``FANOUT_LAG``, or a long run without listeners), so a
    new subscriber would otherwise get that backlog: days of history it did not ask for, to a receiver
    probably not ready for it. It catches up on the past by reading the dossier list instead. An event
    whose transaction was still open when subscribing (its id below the mark, committed just after) was
    recorded before the subscription and is not sent either.
    """
    mark = DossierEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return WebhookSubscription.objects.create(
        client=client, url=url, secret=secrets.token_hex(32), events=sorted(set(events)),
        starts_after_event_id=mark,
    )  # fmt: skip


def _jsonable(payload: dict) -> dict:
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def fan_out_events(now: dt.datetime | None = None) -> int:
    """Turn new history events into deliveries for the subscriptions that cover their dossiers."""
    now = now or timezone.now()
    by_type = {
        t: _subscriptions(t) for t in (WebhookEvent.DOSSIER_CREATED, WebhookEvent.DOSSIER_STATUS_CHANGED)
    }
    cursor, _ = OutboxCursor.objects.get_or_create(name="webhooks")
    if not any(by_type.values()):
        last = DossierEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        OutboxCursor.objects.filter(pk=cursor.pk).update(last_event_id=last)  # nobody listens: skip ahead
        return 0
    events = list(
        DossierEvent.objects.filter(id__gt=cursor.last_event_id, to_status__isnull=False)
        .select_related("dossier__receiving_unit", "dossier__handling_unit")
        .order_by("id")[:FANOUT_BATCH]
    )
    deliveries = []
    for event in events:
        kind = (
            WebhookEvent.DOSSIER_CREATED if event.from_status is None else WebhookEvent.DOSSIER_STATUS_CHANGED
        )
        for subscription in by_type[kind]:
            if event.pk <= subscription.starts_after_event_id or not _covers(subscription, event.dossier):
                continue
            payload = {
                "event": kind, "event_id": event.pk, "occurred_at": event.occurred_at,
                "kind": event.kind, "from_status": event.from_status, "to_status": event.to_status,
                "actor": event.actor_system or "staff", "dossier": dossier_summary(event.dossier),
            }  # fmt: skip
            deliveries.append(WebhookDelivery(
                subscription=subscription, event=kind, dedupe_key=f"event:{event.pk}",
                payload=_jsonable(payload), next_attempt_at=now,
            ))  # fmt: skip
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    settled = [e.pk for e in events if e.recorded_at < now - FANOUT_LAG]
    if len(events) == FANOUT_BATCH or settled:
        # Move past the settled prefix only (see the module docstring).
        high = cursor.last_event_id
        for event in events:
            if event.recorded_at >= now - FANOUT_LAG:
                break
            high = event.pk
        OutboxCursor.objects.filter(pk=cursor.pk).update(last_event_id=high)
    return len(deliveries)


def raise_alerts(now: dt.datetime | None = None) -> dict[str, int]:
    """Flag open dossiers overdue or due within 24 hours, once per dossier and kind, and feed webhooks."""
    now = now or timezone.now()
    open_running = Dossier.objects.filter(
        status__in=[s.value for s in OPEN_STATUSES], paused_since__isnull=True, effective_due_at__isnull=False
    )
    selections = {
        AlertKind.OVERDUE: open_running.filter(effective_due_at__lt=now),
        AlertKind.DUE_SOON: open_running.filter(effective_due_at__gte=now, effective_due_at__lt=now + dt.timedelta(hours=24)),
    }  # fmt: skip
    counts = {}
    for kind, query in selections.items():
        fresh = list(
            query.exclude(alerts__kind=kind).select_related("receiving_unit", "handling_unit").order_by("pk")
        )
        with transaction.atomic():
            DossierAlert.objects.bulk_create(
                [DossierAlert(dossier=d, kind=kind, unit_id=d.handling_unit_id, due_at=d.effective_due_at,
                              raised_at=now) for d in fresh],
                ignore_conflicts=True,
            )  # fmt: skip
            event_type = (
                WebhookEvent.DOSSIER_OVERDUE if kind == AlertKind.OVERDUE else WebhookEvent.DOSSIER_DUE_SOON
            )
            subscriptions = _subscriptions(event_type)
            deliveries = []
            per_unit: dict[str, int] = defaultdict(int)
            for dossier in fresh:
                per_unit[dossier.handling_unit.code] += 1
                for subscription in subscriptions:
                    if _covers(subscription, dossier):
                        payload = {"event": event_type, "alert": kind, "raised_at": now,
                                   "unit": dossier.handling_unit.code, "dossier": dossier_summary(dossier)}  # fmt: skip
                        deliveries.append(WebhookDelivery(
                            subscription=subscription, event=event_type, dedupe_key=f"alert:{kind}:{dossier.pk}",
                            payload=_jsonable(payload), next_attempt_at=now,
                        ))  # fmt: skip
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        counts[str(kind)] = len(fresh)
    return counts


def claim_due(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due; each is leased so two runs don't both send it."""
    now = now or timezone.now()
    with transaction.atomic():
        query = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        ids = list(query.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        WebhookDelivery.objects.filter(pk__in=ids).update(
            next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS)
        )
    return ids


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return destinations.post(url, body, headers, timeout=TIMEOUT_SECONDS)


def failure_text(exc: BaseException) -> str:
    """What an attempt tells the client about a failure: a category, never the network error's text."""
    if isinstance(exc, destinations.DestinationRefused):
        return destinations.REFUSED
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return "tls_error"
    if isinstance(exc, http.client.HTTPException):
        return "bad_response"
    if isinstance(exc, OSError):
        return "connection_failed"
    return "error"


def attempt(delivery_id: int, *, transport=None) -> WebhookDelivery | None:
    """One signed POST; records the attempt and schedules the next one with backoff on failure."""
    delivery = WebhookDelivery.objects.select_related("subscription__client").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return delivery
    if not may_receive(delivery.subscription):  # scope withdrawn or client disabled since the fan-out
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        delivery.save(update_fields=["status", "next_attempt_at"])
        return delivery
    transport = transport or _post
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(delivery.subscription.secret, timestamp, body),
        "X-Casetracker-Event": delivery.event,
        "X-Casetracker-Delivery": str(delivery.pk),
    }
    started = time.monotonic()
    status_code, error = None, ""
    try:
        status_code = transport(delivery.subscription.url, body, headers)
    except Exception as exc:  # network errors of any kind are recorded (as a category), never raised
        error = failure_text(exc)
    duration = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    delivery.attempt_count += 1
    WebhookAttempt.objects.create(
        delivery=delivery, number=delivery.attempt_count, attempted_at=now,
        response_status=status_code, error=error, duration_ms=duration,
    )  # fmt: skip
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, now, None
    elif delivery.attempt_count >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        wait = BACKOFF_SECONDS[min(delivery.attempt_count, len(BACKOFF_SECONDS)) - 1]
        delivery.next_attempt_at = now + dt.timedelta(seconds=wait)
    delivery.save(update_fields=["status", "attempt_count", "delivered_at", "next_attempt_at"])
    return delivery


def replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (whatever its state); attempts keep counting, so a failed one gets one try."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    return delivery
