"""Machine clients and their API keys: create, issue (shown once), revoke, look up."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import Role
from apps.core.errors import DomainError, ErrorCode
from apps.integrations.models import ApiKey, MachineClient, Scope
from apps.organisation.models import Unit

KEY_PREFIX = "ctk"
SERVICE_USER_PREFIX = "client:"


def _digest(secret: str) -> str:
    # The secret carries 256 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def _role_for(scopes: list[str]) -> str:
    """Administrators act on dossiers received or handled in their subtree; supervisors only read."""
    return Role.ADMINISTRATOR if Scope.WRITE_DOSSIERS in scopes else Role.SUPERVISOR


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            gettext("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)},
            field="scopes",
        )
    return sorted(set(scopes))


@transaction.atomic
def create_client(
    *,
    name: str,
    unit: Unit,
    scopes: list[str],
    description: str = "",
    rate_limit_per_minute: int = 600,
) -> MachineClient:
    """A client and its service account (no password: it can only act through an API key)."""
    scopes = _check_scopes(scopes)
    if MachineClient.objects.filter(name=name).exists():
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            gettext("A client named %(name)s exists.") % {"name": repr(name)},
            field="name",
        )
    user = get_user_model()(username=f"{SERVICE_USER_PREFIX}{name}", unit=unit, role=_role_for(scopes))
    user.set_unusable_password()
    user.save()
    return MachineClient.objects.create(
        name=name,
        unit=unit,
        scopes=scopes,
        description=description,
        rate_limit_per_minute=rate_limit_per_minute,
        service_user=user,
    )


@transaction.atomic
def update_client(client: MachineClient, **changes) -> MachineClient:
    """Change scopes, unit, rate limit or activity; the service account follows."""
    if "scopes" in changes:
        changes["scopes"] = _check_scopes(changes["scopes"])
    for field, value in changes.items():
        setattr(client, field, value)
    client.save()
    user = client.service_user
    user.unit = client.unit
    user.role = _role_for(client.scopes)
    user.is_active = client.is_active
    user.save(update_fields=["unit", "role", "is_active"])
    return client


def issue_key(
    client: MachineClient, *, label: str = "", expires_at: dt.datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext key, which is never stored nor shown again."""
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, gettext("The expiry must be in the future."), field="expires_at"
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        client=client, prefix=prefix, digest=_digest(secret), label=label, expires_at=expires_at
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def revoke_key(key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


class KeyRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def key_from_plaintext(plaintext: str) -> ApiKey:
    """The usable key row for a presented key; raises :class:`KeyRejected` with the reason otherwise."""
    parts = plaintext.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise KeyRejected(gettext("Malformed API key."))
    _, prefix, secret = parts
    key = (
        ApiKey.objects.select_related("client__unit", "client__service_user__unit")
        .filter(prefix=prefix)
        .first()
    )
    if key is None or not hmac.compare_digest(key.digest, _digest(secret)):
        raise KeyRejected(gettext("Invalid API key."))
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRejected(gettext("This API key has been revoked."))
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRejected(gettext("This API key has expired."))
    if not key.client.is_active:
        raise KeyRejected(gettext("This client is disabled."))
    # Touch last_used_at at most once a minute: no write on every request.
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
