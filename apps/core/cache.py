"""The shared cache degrades to misses when Redis is unreachable.

The default cache holds read caches (catalogue facts for scores) and the machine clients' rate-limit
history. Both are optimisations or guards: a Redis outage must slow requests down, never turn them
into 5xx. Reads answer "not cached" and writes are dropped, each logged once per call site.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

try:  # redis-py's errors; the cache backend itself needs the package, so it is always there
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    _OUTAGE: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
except ImportError:  # pragma: no cover
    _OUTAGE = (OSError,)


class TolerantRedisCache(RedisCache):
    """Django's Redis cache, except that an unreachable server reads as a miss and drops writes."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except _OUTAGE:
            logger.warning("cache unavailable: get treated as a miss", exc_info=True)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        try:
            return super().get_many(keys, version)
        except _OUTAGE:
            logger.warning("cache unavailable: get_many treated as misses", exc_info=True)
            return {}

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except _OUTAGE:
            logger.warning("cache unavailable: set dropped", exc_info=True)

    def set_many(self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        try:
            return super().set_many(data, timeout, version)
        except _OUTAGE:
            logger.warning("cache unavailable: set_many dropped", exc_info=True)
            return list(data)
