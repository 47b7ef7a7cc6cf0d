"""``Idempotency-Key`` on POSTs by machine clients: a replay gets the original response back.

The first request with a key inserts a claim row (unique per client and key) before it runs, so two
concurrent requests with the same key cannot both run: the loser gets 409 ``idempotency_in_progress``
while the first is still running, and the stored response once it has finished. The same key with a
different body or path is 422 ``idempotency_key_reused``. 5xx responses are not kept (the client may
retry). Records are deleted after ``IDEMPOTENCY_TTL`` by a periodic task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from apps.core.api.errors import error_body
from apps.core.errors import ErrorCode
from apps.integrations.auth import authenticate_key
from apps.integrations.models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"


def _digest(request: HttpRequest) -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0")
    h.update(request.get_full_path().encode())
    h.update(b"\0")
    h.update(request.body)
    return h.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key_value = request.META.get(HEADER)
        if request.method != "POST" or not key_value or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key_value) > 255:
            body = error_body(ErrorCode.VALIDATION_ERROR, "Idempotency-Key is longer than 255 characters.",
                              [{"field": "Idempotency-Key", "code": "max_length", "message": "Too long."}])  # fmt: skip
            return JsonResponse(body, status=400)
        api_key = authenticate_key(request)
        if api_key is None:  # staff users and bad keys: no idempotency, DRF answers as usual
            return self.get_response(request)
        return self._claimed(request, api_key.client, key_value)

    def _claimed(self, request: HttpRequest, client, key_value: str) -> HttpResponse:
        digest = _digest(request)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    client=client, key=key_value, method=request.method, path=request.path[:255],
                    request_digest=digest,
                )  # fmt: skip
        except IntegrityError:
            return self._replay(client, key_value, digest)
        try:
            response = self.get_response(request)
        except Exception:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        content_type = response.get("Content-Type", "")
        if response.status_code >= 500 or not content_type.startswith("application/json"):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status_code=response.status_code, response_body=json.loads(response.content or b"null")
        )
        return response

    def _replay(self, client, key_value: str, digest: str) -> HttpResponse:
        record = IdempotencyRecord.objects.filter(client=client, key=key_value).first()
        if record is None:  # deleted meanwhile (a 5xx): ask the client to retry
            body = error_body(ErrorCode.IDEMPOTENCY_IN_PROGRESS, "Retry the request.")
            return JsonResponse(body, status=409, headers={"Retry-After": "1"})
        if record.request_digest != digest:
            body = error_body(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was used for a different request; use a new key for new content.",
            )
            return JsonResponse(body, status=422)
        if record.status_code is None:
            body = error_body(
                ErrorCode.IDEMPOTENCY_IN_PROGRESS, "A request with this Idempotency-Key is still running."
            )
            return JsonResponse(body, status=409, headers={"Retry-After": "1"})
        return JsonResponse(
            record.response_body, status=record.status_code, safe=False, headers={REPLAY_HEADER: "true"}
        )


def purge_expired(now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
