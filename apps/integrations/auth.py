"""How a machine client authenticates, what its scopes open, and how fast it may call.

``Authorization: Api-Key ctk_<prefix>_<secret>`` (or ``X-Api-Key: …``). The request's user is the
client's service account, so the existing scope helpers (unit subtree, role) apply unchanged; the key
is ``request.auth``. Scopes are checked by :class:`ClientScopePermission`, which is a default permission
class: staff users pass through it untouched.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import SimpleRateThrottle

from apps.core.errors import ErrorCode, ScopeError
from apps.integrations.models import ApiKey, MachineClient, Scope
from apps.integrations.services.clients import KeyRejected, key_from_plaintext

KEYWORD = "Api-Key"
ANY_SCOPE = "*"


def presented_key(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[: len(KEYWORD) + 1].lower() == f"{KEYWORD.lower()} ":
        return header[len(KEYWORD) + 1 :].strip()
    return request.META.get("HTTP_X_API_KEY") or None


def authenticate_key(request: HttpRequest) -> ApiKey | None:
    """The key of the request (cached on it, so middleware and DRF look it up once); None without one."""
    if hasattr(request, "_machine_key"):
        return request._machine_key
    plaintext = presented_key(request)
    key = None
    if plaintext:
        try:
            key = key_from_plaintext(plaintext)
        except KeyRejected as rejected:
            request._machine_key_error = rejected.message
    request._machine_key = key
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request) -> tuple[Any, ApiKey] | None:
        if presented_key(request._request) is None:
            return None
        key = authenticate_key(request._request)
        if key is None:
            raise exceptions.AuthenticationFailed(
                getattr(request._request, "_machine_key_error", "Invalid key.")
            )
        user = key.client.service_user
        user.machine_client = key.client  # caches the reverse relation: no query when it is read
        return user, key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.integrations.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key ctk_<prefix>_<secret>` (machine clients).",
        }


def client_of(request) -> MachineClient | None:
    auth = getattr(request, "auth", None)
    return auth.client if isinstance(auth, ApiKey) else None


def required_scope(request, view) -> str | None:
    """The scope a client needs for this view and method; None when clients may not call it at all.

    A view declares ``client_scopes`` when its module's default does not fit what it returns: the
    statistics drill-down lists dossiers, so it asks for ``read_dossiers``, not ``read_scores``.
    """
    declared = getattr(view, "client_scopes", None)
    if declared is not None:
        return declared.get(request.method, declared.get("*"))
    module = type(view).__module__
    safe = request.method in SAFE_METHODS
    if module.startswith("apps.dossiers."):
        return Scope.READ_DOSSIERS if safe else Scope.WRITE_DOSSIERS
    if module.startswith(("apps.statistics.", "apps.scoring.")):
        return Scope.READ_SCORES if safe else None
    if module.startswith(("apps.organisation.", "apps.catalogue.", "apps.workcalendar.", "apps.accounts.")):
        return ANY_SCOPE if safe else None
    return None


def source_system_for(request, requested: str) -> str:
    """The ``source_system`` a dossier created by this request carries; 403 when the caller may not use it.

    ``(source_system, external_id)`` identifies a dossier, and a registered client's name is its namespace
    (the bulk endpoint writes there). So a machine client always writes as itself (naming another source is
    refused; none given means its own name), and a staff user may name any source except a registered
    client's (compared case-insensitively, so look-alikes are refused too).
    """
    client = client_of(request)
    if client is not None:
        if requested and requested != client.name:
            raise ScopeError(
                ErrorCode.SOURCE_SYSTEM_FORBIDDEN,
                gettext("A machine client writes as its own source `%(own)s`, not `%(requested)s`.")
                % {"own": client.name, "requested": requested},
                field="source_system",
            )
        return client.name
    if requested and MachineClient.objects.filter(name__iexact=requested).exists():
        raise ScopeError(
            ErrorCode.SOURCE_SYSTEM_FORBIDDEN,
            gettext("`%(requested)s` is a registered machine client's source; only that client writes there.")
            % {"requested": requested},
            field="source_system",
        )
    return requested


class ClientScopePermission(BasePermission):
    """Staff users pass; a machine client needs the scope the endpoint asks for (403 insufficient_scope)."""

    def has_permission(self, request, view) -> bool:
        client = client_of(request)
        if client is None:
            return True
        needed = required_scope(request, view)
        if needed is None:
            raise ScopeError(
                ErrorCode.INSUFFICIENT_SCOPE, gettext("Machine clients may not call this endpoint.")
            )
        if needed != ANY_SCOPE and not client.has_scope(needed):
            raise ScopeError(
                ErrorCode.INSUFFICIENT_SCOPE,
                gettext("The client lacks the `%(scope)s` scope.") % {"scope": needed},
            )
        return True


class MachineClientThrottle(SimpleRateThrottle):
    """Per-client requests per minute (``MachineClient.rate_limit_per_minute``; 0 = unlimited)."""

    scope = "machine_client"

    def get_rate(self) -> str | None:  # the rate is per client, read in allow_request
        return None

    def allow_request(self, request, view) -> bool:
        client = client_of(request)
        if client is None or not client.rate_limit_per_minute:
            return True
        self.num_requests, self.duration = client.rate_limit_per_minute, 60
        self.key = f"throttle_client_{client.pk}"
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def get_cache_key(self, request, view) -> str | None:
        client = client_of(request)
        return f"throttle_client_{client.pk}" if client else None
