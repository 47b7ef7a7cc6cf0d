"""Staff API tokens: issued at sign-in, one per device, stored as hashes, expiring, revocable.

Storage is django-rest-knox's: a token row holds the SHA-512 digest of the token and its first 15
characters (to find the row), never the token itself, so a database dump grants nothing. A token lives
``AUTH_TOKEN_TTL_HOURS`` from sign-in; signing out revokes the token used, "sign out everywhere" and a
password change revoke all of the user's. A user holds at most ``AUTH_TOKENS_PER_USER`` tokens: signing
in once more revokes the oldest, so a user who lost track of a device is never locked out.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from apps.accounts.models import User


@transaction.atomic
def issue_token(user: User) -> tuple[str, dt.datetime]:
    """A new token for one more device: ``(token, expiry)``. The token is shown once, never stored."""
    # One sign-in of a user at a time, so that two devices signing in together respect the cap.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    now = timezone.now()
    tokens = AuthToken.objects.filter(user=user)
    tokens.filter(expiry__lte=now).delete()
    live = list(tokens.filter(expiry__gt=now).order_by("created", "digest").values_list("digest", flat=True))
    surplus = len(live) + 1 - settings.AUTH_TOKENS_PER_USER
    if surplus > 0:
        AuthToken.objects.filter(digest__in=live[:surplus]).delete()
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def revoke_token(token: AuthToken) -> None:
    """Sign out one device."""
    token.delete()


def revoke_all_tokens(user: User) -> int:
    """Sign out every device of ``user``; returns how many tokens were revoked."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


def live_tokens(user: User) -> int:
    """How many devices ``user`` is signed in on."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).count()


def purge_expired_tokens(now: dt.datetime | None = None) -> int:
    """Delete tokens past their expiry. knox drops an expired token only when it is presented again, so
    devices that never come back would otherwise keep their rows forever; returns how many went."""
    deleted, _ = AuthToken.objects.filter(expiry__lte=now or timezone.now()).delete()
    return deleted
