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
        Variable(
            "DEBUG",
            "false",
            "Development mode (tracebacks in answers, dev secret key, plain HTTP). `./bin/demo` and the tests "
            "turn it on; never in production.",
        ),
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
            "DATABASE_REPLICA_URL",
            "",
            "Read replica (a PostgreSQL streaming standby of DATABASE_URL) for statistics reads and exports. "
            "Empty: every read goes to DATABASE_URL.",
        ),
        Variable(
            "EXPORTS_DIR",
            "var/exports",
            "Where large console exports are written (relative to the project root, or absolute). The web and "
            "worker processes must share it; files are deleted a day after they are written.",
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
        Variable(
            "WEBHOOK_ALLOWED_HOSTS",
            "",
            "Comma-separated webhook host names or addresses exempt from the public-address check (development "
            "and tests only, e.g. `127.0.0.1`). Empty: webhooks go to publicly routable addresses only.",
        ),
        Variable(
            "SECURE_SSL_REDIRECT",
            "",
            "Redirect plain HTTP to HTTPS. Empty: on when DEBUG is off. `false` only to try the service over "
            "plain HTTP (e.g. gunicorn on 127.0.0.1).",
        ),
        Variable(
            "SECURE_COOKIES",
            "",
            "Send session and CSRF cookies over HTTPS only. Empty: on when DEBUG is off; `false` with plain HTTP.",
        ),
        Variable(
            "SECURE_PROXY_SSL_HEADER",
            "",
            "Behind a TLS-terminating proxy: the header it sets to `https`, e.g. `X-Forwarded-Proto` (the proxy "
            "must overwrite it). Empty: requests are HTTPS only when they reach the app over TLS.",
        ),
        Variable(
            "SECURE_HSTS_SECONDS",
            "31536000",
            "`Strict-Transport-Security` max-age sent when DEBUG is off; `0` sends none.",
        ),
        Variable(
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "true",
            "HSTS covers the subdomains too; `false` if some subdomain is still served over plain HTTP.",
        ),
        Variable(
            "SECURE_HSTS_PRELOAD",
            "true",
            "HSTS header allows browsers' preload lists; `false` if the domain must not be preloaded.",
        ),
        Variable(
            "IDEMPOTENCY_LEASE_SECONDS",
            "120",
            "How long a request holding an `Idempotency-Key` keeps its claim; a retry after that takes the "
            "claim over (the first request is presumed dead). Keep it above gunicorn's `--timeout` (30 s).",
        ),
        Variable(
            "DATABASE_CONNECT_TIMEOUT",
            "5",
            "Seconds to wait for a PostgreSQL connection; an unreachable database then answers 503 "
            "`service_unavailable` quickly instead of holding the worker.",
        ),
        Variable(
            "CACHE_URL",
            "",
            "Shared cache, e.g. `redis://127.0.0.1:6379/1`: sign-in throttling counts across all gunicorn "
            "workers only with one. Empty: local memory, per process.",
        ),
        Variable("AUTH_TOKEN_TTL_HOURS", "10", "Hours a staff token stays valid after sign-in."),
        Variable(
            "AUTH_TOKENS_PER_USER",
            "10",
            "Tokens (devices) a staff user may hold; signing in once more revokes the oldest.",
        ),
        Variable(
            "AUTH_FAILURES_PER_USERNAME",
            "5",
            "Failed sign-ins allowed per user name within the window, then 429 `throttled` until it ends.",
        ),
        Variable(
            "AUTH_FAILURES_PER_ADDRESS",
            "20",
            "Failed sign-ins allowed per client address (an IPv6 /64) within the window.",
        ),
        Variable(
            "AUTH_FAILURE_WINDOW_SECONDS",
            "900",
            "Window of the sign-in limits, counted from the first failure; also the longest `Retry-After`.",
        ),
        Variable(
            "TRUSTED_PROXY_COUNT",
            "0",
            "Reverse proxies in front of the app: the client address is taken that many entries from the "
            "end of `X-Forwarded-For`. 0: the socket's address (the header is ignored).",
        ),
    ]
}


def read(name: str) -> str:
    """Return the variable's value from the environment, or its declared default."""
    return os.environ.get(name, VARIABLES[name].default)


def read_bool(name: str, fallback: bool | None = None) -> bool:
    """True for 1/true/yes/on. An empty value means ``fallback`` when one is given (a default that
    follows another setting, e.g. HTTPS-only on when DEBUG is off)."""
    value = read(name).strip().lower()
    if not value and fallback is not None:
        return fallback
    return value in {"1", "true", "yes", "on"}


def read_int(name: str) -> int:
    return int(read(name))


def read_list(name: str) -> list[str]:
    return [item.strip() for item in read(name).split(",") if item.strip()]
