"""``Idempotency-Key`` on POSTs by machine clients: a replay gets the original response back.

The first request with a key inserts a claim row (unique per client and key) before it runs, so two
concurrent requests with the same key cannot both run: the other gets 409 ``idempotency_in_progress``
(with ``Retry-After``) while the first is running, and the stored response once it has finished. The
same key with a different body or path is 422 ``idempotency_key_reused``.

Exactly once, even when a worker dies mid-request:

- The request runs in **one transaction with the storing of its response**: a process killed before
  the end leaves neither its writes nor a response, only the claim.
- A claim is a **lease** (``IDEMPOTENCY_LEASE``, longer than any request may run: gunicorn kills a
  worker at its ``--timeout``). A retry after the lease has expired takes the claim over with one
  conditional UPDATE (``WHERE claim_token = <the dead one's> AND lease expired``), so exactly one
  retry wins and runs the request; the others get 409.
- A request that outlived its lease finds its claim gone when it tries to store its response: it
  rolls its writes back and answers 409, so the request that took over is the only one that counts.
- A 5xx is not kept: its writes are rolled back and the claim released, so the client may retry.

Records are deleted after ``IDEMPOTENCY_TTL`` by a periodic task.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext

from apps.core.api.errors import error_body
from apps.core.errors import DomainError, ErrorCode
from apps.core.requestlog import DATABASE_UNAVAILABLE
from apps.integrations.auth import authenticate_key, client_of
from apps.integrations.models import IdempotencyRecord, MachineClient

HEADER = "HTTP_IDEMPOTENCY_KEY"
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"
RETRY_AFTER_SECONDS = 1

logger = logging.getLogger(__name__)


class Decision(StrEnum):
    """What a request does with a key that is already claimed."""

    REUSED = "reused"  # 422: the key belongs to another request
    REPLAY = "replay"  # the stored response, verbatim
    IN_PROGRESS = "in_progress"  # 409 + Retry-After: a live request holds the claim
    TAKE_OVER = "take_over"  # the holder's lease expired: presume it dead, run the request


def decide(
    *, stored_digest: str, status_code: int | None, lease_expires_at: dt.datetime | None, digest: str,
    now: dt.datetime,
) -> Decision:  # fmt: skip
    """The rule for a key that already has a record. A record without a lease (written before leases
    existed) is treated as expired."""
    if stored_digest != digest:
        return Decision.REUSED
    if status_code is not None:
        return Decision.REPLAY
    if lease_expires_at is None or lease_expires_at <= now:
        return Decision.TAKE_OVER
    return Decision.IN_PROGRESS


def take_over(record: IdempotencyRecord, token: uuid.UUID, now: dt.datetime) -> bool:
    """Move the expired claim ``record`` to ``token``; True for the one caller whose UPDATE matched.

    The WHERE repeats what the caller saw (same holder, still unfinished, lease expired): of several
    retries racing for the same dead claim, the first UPDATE changes the holder and the others match
    no row (PostgreSQL re-checks the condition on the updated row).
    """
    expired = dict(lease_expires_at__lte=now) if record.lease_expires_at is not None else {}
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk, claim_token=record.claim_token, status_code__isnull=True, **expired
    ).update(claim_token=token, lease_expires_at=now + settings.IDEMPOTENCY_LEASE)
    return taken == 1


def request_digest(request: HttpRequest) -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0")
    h.update(request.get_full_path().encode())
    h.update(b"\0")
    h.update(request.body)
    return h.hexdigest()


def _in_progress(message: str) -> JsonResponse:
    body = error_body(ErrorCode.IDEMPOTENCY_IN_PROGRESS, message)
    return JsonResponse(body, status=409, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key_value = request.META.get(HEADER)
        if request.method != "POST" or not key_value or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key_value) > 255:
            body = error_body(ErrorCode.VALIDATION_ERROR, gettext("Idempotency-Key is longer than 255 characters."),
                              [{"field": "Idempotency-Key", "code": "max_length", "message": gettext("Too long.")}])  # fmt: skip
            return JsonResponse(body, status=400)
        api_key = authenticate_key(request)
        if api_key is None:  # staff users and bad keys: no idempotency, DRF answers as usual
            return self.get_response(request)
        return self._claimed(request, api_key.client, key_value)

    def _claimed(self, request: HttpRequest, client: MachineClient, key_value: str) -> HttpResponse:
        digest = request_digest(request)
        token = uuid.uuid4()
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    client=client, key=key_value, method=request.method, path=request.path[:255],
                    request_digest=digest, claim_token=token, lease_expires_at=now + settings.IDEMPOTENCY_LEASE,
                )  # fmt: skip
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(client=client, key=key_value).first()
            if record is None:  # deleted meanwhile (a 5xx): ask the client to retry
                return _in_progress(gettext("Retry the request."))
            decision = decide(stored_digest=record.request_digest, status_code=record.status_code,
                              lease_expires_at=record.lease_expires_at, digest=digest, now=now)  # fmt: skip
            if decision is not Decision.TAKE_OVER:
                return self._answer_claimed(decision, record)
            if not take_over(record, token, now):
                return _in_progress(gettext("A request with this Idempotency-Key is still running."))
            logger.warning(
                "event=idempotency_takeover client=%s key=%s claimed_since=%s",
                client.pk, json.dumps(key_value), record.created_at.isoformat(),
            )  # fmt: skip
        return self._run(request, record.pk, token)

    def _run(self, request: HttpRequest, pk: int, token: uuid.UUID) -> HttpResponse:
        """Run the request and store its response in one transaction, under the claim ``token``."""
        release = False
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if response.status_code >= 500:
                    transaction.set_rollback(True)  # nothing of a failed request stays: it may be retried
                    release = True
                elif not response.get("Content-Type", "").startswith("application/json"):
                    release = True  # not replayable; its writes stand
                else:
                    stored = IdempotencyRecord.objects.filter(
                        pk=pk, claim_token=token, status_code__isnull=True
                    ).update(
                        status_code=response.status_code,
                        response_body=json.loads(response.content or b"null"),
                    )
                    if not stored:  # our lease expired and a retry took over: that one counts, not us
                        transaction.set_rollback(True)
                        response = _in_progress(
                            "This request outlived its claim on the Idempotency-Key; its changes were undone "
                            "and the request that took the claim over counts. Retry to get its response."
                        )
        except BaseException:
            self._release(pk, token)
            raise
        if release:
            self._release(pk, token)
        return response

    @staticmethod
    def _release(pk: int, token: uuid.UUID) -> None:
        with contextlib.suppress(*DATABASE_UNAVAILABLE):  # then the lease expires and a retry takes over
            IdempotencyRecord.objects.filter(pk=pk, claim_token=token, status_code__isnull=True).delete()

    @staticmethod
    def _answer_claimed(decision: Decision, record: IdempotencyRecord) -> HttpResponse:
        if decision is Decision.REUSED:
            body = error_body(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                gettext(
                    "This Idempotency-Key was used for a different request; use a new key for new content."
                ),
            )
            return JsonResponse(body, status=422)
        if decision is Decision.IN_PROGRESS:
            return _in_progress(gettext("A request with this Idempotency-Key is still running."))
        return JsonResponse(
            record.response_body, status=record.status_code, safe=False, headers={REPLAY_HEADER: "true"},
            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},  # as DRF rendered it
        )  # fmt: skip


def check_retry_identity(request: HttpRequest, *, external_id: str | None) -> None:
    """A machine client's create must be safe to retry: 400 ``retry_identity_required`` otherwise.

    A client retries what it did not see answered (a timeout, a dropped connection), and only an
    identity it sends makes that retry the same request: its ``external_id`` (the dossier's identity in
    its namespace) or an ``Idempotency-Key`` (this request's). Without either, two identical bodies are
    two dossiers as far as anyone can tell: an applicant may file the same procedure twice in a minute
    (two births, two plots), so guessing from the content would merge real records. Staff creates are
    interactive (the person sees the answer) and are not held to this.
    """
    if client_of(request) is None or external_id or request.META.get(HEADER):
        return
    raise DomainError(
        ErrorCode.RETRY_IDENTITY_REQUIRED,
        gettext(
            "A machine client sends its own external_id or an Idempotency-Key header with each create, "
            "so that a retry cannot create the dossier twice."
        ),
        field="external_id",
    )


def purge_expired(now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
