"""A Redis cache that cannot be reached reads as misses and drops writes instead of failing requests."""

from __future__ import annotations

import socket

import pytest
from django.core.cache.backends.redis import RedisCache

from apps.core.cache import TolerantRedisCache


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def unreachable() -> TolerantRedisCache:
    return TolerantRedisCache(f"redis://127.0.0.1:{_closed_port()}/0", {"KEY_PREFIX": "t"})


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda c: c.get("k"), None),
        (lambda c: c.get("k", "fallback"), "fallback"),
        (lambda c: c.get_many(["a", "b"]), {}),
        (lambda c: c.set("k", 1, 60), None),
        (lambda c: c.set_many({"a": 1, "b": 2}), ["a", "b"]),
    ],
    ids=["get", "get-default", "get_many", "set", "set_many"],
)
def test_an_unreachable_server_reads_as_a_miss(unreachable, call, expected, caplog):
    assert call(unreachable) == expected
    assert "cache unavailable" in caplog.text


def test_the_plain_backend_would_have_failed():
    """The reason for the subclass: Django's own backend raises on the same server."""
    plain = RedisCache(f"redis://127.0.0.1:{_closed_port()}/0", {})
    with pytest.raises(Exception, match=r"(?i)connect"):
        plain.get("k")
