"""Every environment variable the service reads, declared once with its default and help text.

Settings call :func:`read` with a name declared in :data:`VARIABLES`; the README's configuration
table is checked against this registry by a test, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    help: str


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        Variable("DEBUG", "true", "Development mode. Set to `false` in production."),
        Variable(
            "SECRET_KEY",
            "",
            "Django secret key. Required when DEBUG is off; a fixed dev key is used only while DEBUG is on.",
        ),
        Variable("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver", "Comma-separated host names."),
        Variable(
            "DATABASE_URL",
            "sqlite:///db.sqlite3",
            "Database URL, e.g. `postgres://user@host:5432/db`. Default: a SQLite file in the project root.",
        ),
        Variable(
            "CELERY_BROKER_URL",
            "",
            "Celery broker, e.g. `redis://127.0.0.1:6379/0`. Empty: tasks run in-process, eagerly.",
        ),
        Variable("TIME_ZONE", "Asia/Ho_Chi_Minh", "Business time zone (storage is always UTC)."),
        Variable(
            "API_MAX_BODY_BYTES",
            "10485760",
            "Largest accepted request body in bytes; larger requests get 413 `payload_too_large`.",
        ),
        Variable("API_PAGE_SIZE", "50", "Default page size of list endpoints."),
        Variable("API_MAX_PAGE_SIZE", "500", "Upper bound a client may ask for with `page_size`."),
        Variable("LOG_LEVEL", "INFO", "Log level of the `casetracker` loggers."),
    ]
}


def read(name: str) -> str:
    """Return the variable's value from the environment, or its declared default."""
    return os.environ.get(name, VARIABLES[name].default)


def read_bool(name: str) -> bool:
    return read(name).strip().lower() in {"1", "true", "yes", "on"}


def read_int(name: str) -> int:
    return int(read(name))


def read_list(name: str) -> list[str]:
    return [item.strip() for item in read(name).split(",") if item.strip()]
