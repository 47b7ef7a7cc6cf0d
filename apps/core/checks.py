"""Deployment checks that keep web and worker processes stateless (``manage.py check --deploy``).

Everything a request counts or remembers across requests must live where every process sees it: the
database (sessions, idempotency records, aggregate versions) or the shared cache (sign-in throttling,
rate limits, cached catalogue facts). The one per-process fallback is the local-memory cache used when
``CACHE_URL`` is empty; it is fine for a single development process and wrong behind several workers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Warn when the default cache is per process: limits would be counted once per worker."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Warning(
                "The default cache is local to each process: sign-in throttling, rate limits and cached "
                "facts are counted per gunicorn worker.",
                hint="Set CACHE_URL to a Redis database shared by every web and worker process.",
                id="core.W001",
            )
        ]
    return []
