"""Small helpers for tests (import these; never import conftest)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from casetracker.celery import app as celery_app

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# The instant every test starts at (tests/conftest.py freezes the clock there): Monday 23 Nov 2026, 10:00.
FROZEN_NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=VN)


def vn(*args: int) -> dt.datetime:
    """An aware datetime in business time: ``vn(2026, 2, 13, 16, 30)``."""
    return dt.datetime(*args, tzinfo=VN)


def set_eager(value: bool) -> None:
    """Switch in-process task execution. The app reads Django settings under the ``CELERY_`` namespace,
    where the prefixed key shadows the plain one, so that is the key to change."""
    celery_app.conf["CELERY_TASK_ALWAYS_EAGER"] = value


def database_url_for_subprocesses() -> str:
    """The URL of the database this test runs on, for processes the test starts (workers, writers)."""
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
