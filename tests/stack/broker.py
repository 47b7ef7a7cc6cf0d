"""Point this test process's Celery app at another broker (a closed port: the broker is down).

Only the test process loses its broker; worker and beat subprocesses keep the one they were started with.
Kombu reads ``CELERY_BROKER_URL`` from the environment before the app's configuration, and caches its
connection and producer pools, so all three are switched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from casetracker.celery import app as celery_app
from casetracker.celery import reset_broker_backoff

# Nothing listens on port 1 of the loopback interface: connections are refused at once.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def _point_at(env_url: str | None, conf_url: str | None) -> None:
    if env_url is None:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = env_url
    celery_app.conf["CELERY_BROKER_URL"] = conf_url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    reset_broker_backoff()


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    previous = os.environ.get("CELERY_BROKER_URL"), celery_app.conf.get("CELERY_BROKER_URL")
    _point_at(url, url)
    try:
        yield
    finally:
        _point_at(*previous)
