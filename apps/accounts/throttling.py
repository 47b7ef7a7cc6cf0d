"""Sign-in throttling: failed password checks are counted per user name and per client address.

Both doors that check a staff password (``POST /api/v1/auth/token/`` and the admin login form) call
:func:`begin_attempt` *before* checking it and :func:`attempt_succeeded` after a success. So:

- Each attempt counts as soon as it starts (an atomic ``incr``), which bounds guesses even when an
  attacker sends them all at once; a success takes its own count back, so only failures remain.
- A user name is locked after ``AUTH_FAILURES_PER_USERNAME`` failures (guessing one account from many
  addresses) and an address after ``AUTH_FAILURES_PER_ADDRESS`` (one source trying many accounts). The
  lock lasts until the window that opened with the first failure ends; that is the ``Retry-After``.
- A refused attempt is not counted and checks no password, so a locked account answers 429 even to the
  right password (no oracle) and hammering a lock does not extend it.
- A success forgets the user name's failures (its owner has just proved the password) but only takes
  its own attempt back from the address, so one valid account cannot reset an address's budget.
- Anyone can lock a user name out for one window by failing on purpose; that is the price of stopping
  password guessing, and the window (15 minutes by default) bounds it.

Counters live in Django's default cache, which must be shared (``CACHE_URL``, Redis) when several
processes serve requests. If the cache is unreachable sign-in stays open (logged): staff keep working.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

KEY_PREFIX = "signin"


class SignInThrottled(Exception):
    """Too many failed sign-ins for this user name or address; ``wait`` seconds until the lock ends."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"Too many failed sign-in attempts; try again in {wait} seconds.")
        self.wait = wait


@dataclass(frozen=True)
class Limits:
    """Failures allowed per user name and per address in ``window`` seconds (0 turns a limit off)."""

    per_username: int
    per_address: int
    window: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            per_username=settings.AUTH_FAILURES_PER_USERNAME,
            per_address=settings.AUTH_FAILURES_PER_ADDRESS,
            window=settings.AUTH_FAILURE_WINDOW_SECONDS,
        )


@dataclass(frozen=True)
class Attempt:
    """The counters one attempt added to, so that a success can take them back."""

    username_key: str | None
    address_key: str | None


def normalise_username(username: str) -> str:
    """One counter for every spelling that could reach the same account (case, width, spaces)."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def normalise_address(address: str | None) -> str:
    """IPv4 as is; IPv6 by its /64 (one host usually holds the whole /64, so it is one source)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(request: HttpRequest) -> str:
    """The caller's address: the socket's, or the proxies' ``X-Forwarded-For`` entry (``NUM_PROXIES``)."""
    return normalise_address(BaseThrottle().get_ident(request))


def username_key(username: str) -> str:
    digest = hashlib.sha256(normalise_username(username).encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:user:{digest}"


def address_key(address: str) -> str:
    return f"{KEY_PREFIX}:addr:{normalise_address(address)}"


def begin_attempt(username: str, address: str | None, limits: Limits | None = None) -> Attempt:
    """Count a sign-in attempt before the password is checked; raise :class:`SignInThrottled` when the
    user name or the address has used up its failures (the refused attempt is then not counted)."""
    limits = limits or Limits.from_settings()
    user = username_key(username) if username.strip() and limits.per_username > 0 else None
    addr = address_key(address or "") if limits.per_address > 0 else None
    counters = [
        (key, limit) for key, limit in ((user, limits.per_username), (addr, limits.per_address)) if key
    ]
    try:
        counted, waits = [], []
        for key, limit in counters:
            count, remaining = _hit(key, limits.window)
            counted.append(key)
            if count > limit:
                waits.append(remaining)
        for key in counted if waits else []:
            _take_back(key)
    except Exception:  # a cache outage must not lock every staff member out
        logger.exception("sign-in throttle: cache unavailable, attempt not counted")
        return Attempt(None, None)
    if waits:
        raise SignInThrottled(max(waits))
    return Attempt(username_key=user, address_key=addr)


def attempt_succeeded(attempt: Attempt) -> None:
    """The password was right: forget the user name's failures, take this attempt back from the address."""
    try:
        if attempt.username_key:
            _forget(attempt.username_key)
        if attempt.address_key:
            _take_back(attempt.address_key)
    except Exception:
        logger.exception("sign-in throttle: cache unavailable, success not recorded")


def unlock(username: str | None = None, address: str | None = None) -> None:
    """Forget the failures of a user name and/or an address (an operator lifting a lock early)."""
    if username:
        _forget(username_key(username))
    if address:
        _forget(address_key(address))


def failures(key: str) -> int:
    """Attempts currently counted against a counter (for tests and operators)."""
    started = cache.get(f"{key}:t")
    return 0 if started is None else int(cache.get(_count_key(key, started)) or 0)


# A counter is two cache entries: ``<key>:t``, when its window opened (expiring with the window), and
# ``<key>:n:<that time>``, the count. Naming the count after its window means a new window never meets
# an old window's count, so nothing has to reset it (a reset would race with concurrent attempts).


def _count_key(key: str, started: float) -> str:
    return f"{key}:n:{int(started * 1000)}"


def _hit(key: str, window: int) -> tuple[int, int]:
    """Add one to a counter whose window opens with its first hit; return (count, seconds left)."""
    now = time.time()
    cache.add(f"{key}:t", now, window)
    started = cache.get(f"{key}:t") or now
    remaining = max(1, math.ceil(started + window - now))
    count_key = _count_key(key, started)
    cache.add(count_key, 0, remaining)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, remaining)
        count = 1
    if count == 1:
        # Redis' INCR recreates a key that expired after the existence check without any expiry.
        cache.touch(count_key, remaining)
    return count, remaining


def _take_back(key: str) -> None:
    started = cache.get(f"{key}:t")
    if started is not None:
        with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to take back
            cache.decr(_count_key(key, started))


def _forget(key: str) -> None:
    started = cache.get(f"{key}:t")
    cache.delete_many([f"{key}:t", *([_count_key(key, started)] if started is not None else [])])
