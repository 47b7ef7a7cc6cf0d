"""The sign-in throttle on Redis (``CACHE_URL``), as gunicorn workers share it: counters kept in one
place whatever connection counts them, atomic under a burst, and expiring on Redis' own clock.

Runs in the PostgreSQL + Redis stage (marked ``stack``: real clock). It uses the broker's Redis with a key
prefix of its own and deletes only its keys (a FLUSHDB would drop the broker's queues).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from django.core.cache import caches

from apps.accounts import throttling
from apps.accounts.throttling import Limits, SignInThrottled, attempt_succeeded, begin_attempt

pytestmark = pytest.mark.stack


@pytest.fixture
def redis_cache(settings):
    prefix = f"test-signin-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CELERY_BROKER_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    yield caches["default"]
    client = caches["default"]._cache.get_client(None, write=True)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def in_thread(function):
    """Run ``function`` in a new thread: Django gives each thread its own cache connection."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def try_sign_in(user: str, limits: Limits) -> str | int:
    try:
        begin_attempt(user, "203.0.113.7", limits)
    except SignInThrottled as refused:
        return refused.wait
    return "in"


def test_counters_are_shared_between_connections_and_expire_in_redis(redis_cache):
    limits = Limits(per_username=3, per_address=100, window=2)
    outcomes = [in_thread(lambda: try_sign_in("clerk", limits)) for _ in range(4)]
    assert outcomes[:3] == ["in"] * 3 and outcomes[3] in (1, 2)
    key = throttling.username_key("clerk")
    assert throttling.failures(key) == 3
    client = redis_cache._cache.get_client(None)
    ttls = [client.ttl(name) for name in client.scan_iter(f"{redis_cache.make_key(key)}:*")]
    assert len(ttls) == 2 and all(0 < ttl <= 2 for ttl in ttls)  # the window's start and its count
    time.sleep(2.2)
    assert try_sign_in("clerk", limits) == "in"


def test_a_burst_across_connections_gets_exactly_the_allowed_guesses(redis_cache):
    limits = Limits(per_username=5, per_address=1000, window=60)
    outcomes: list = []
    start = threading.Barrier(30)

    def guess() -> None:
        start.wait()
        outcomes.append(try_sign_in("admin", limits))

    threads = [threading.Thread(target=guess) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("in") == 5 and len(outcomes) == 30
    assert throttling.failures(throttling.username_key("admin")) == 5


def test_a_success_clears_the_user_name_in_redis(redis_cache):
    limits = Limits(per_username=2, per_address=100, window=60)
    assert try_sign_in("clerk", limits) == "in"
    attempt_succeeded(begin_attempt("clerk", "203.0.113.7", limits))
    after = [try_sign_in("clerk", limits) for _ in range(3)]
    assert after[:2] == ["in", "in"] and isinstance(after[2], int) and 0 < after[2] <= 60
