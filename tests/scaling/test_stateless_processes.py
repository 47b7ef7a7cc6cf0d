"""Web processes keep no state of their own: two gunicorn servers behave as one (docs/scaling.md).

Two separate gunicorn masters on 127.0.0.1 (two machines behind a load balancer, in miniature) share the
test database and, through ``CACHE_URL``, one Redis. A sign-in lockout earned through one is enforced by
the other, a public-lookup rate limit counted by one (a cache entry) is seen by the other, and a session
opened through one is valid on the other. The same servers with the per-process fallback cache (no
``CACHE_URL``) do not share the limits: the assertions above can fail, and do when the cache is local.

Ports: ``TEST_HTTP_PORTS`` (two, comma-separated) or two free ports the system picks.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.factories import UserFactory
from tests.helpers import database_url_for_subprocesses

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pass-123456"
FAILURES_ALLOWED = 3
LOOKUP_LIMIT = 10  # settings.PUBLIC_LOOKUP_RATE, "10/min"
# The stack tests' Redis (tests/stack/conftest.py reads the same variable); the cache uses its own prefix.
REDIS_URL = os.environ.get("CELERY_BROKER_URL", "")


def _ports() -> list[int]:
    chosen = os.environ.get("TEST_HTTP_PORTS", "")
    if chosen:
        return [int(p) for p in chosen.split(",")][:2]
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    return ports


@contextmanager
def gunicorns(tmp_path: Path, cache_url: str):
    """Two gunicorn masters (one worker each) on the test database; stopped however the test ends."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "casetracker.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url_for_subprocesses(),
        "CACHE_URL": cache_url,
        "AUTH_FAILURES_PER_USERNAME": str(FAILURES_ALLOWED),
    }
    processes, urls = [], []
    try:
        for port in _ports():
            log = (tmp_path / f"gunicorn-{port}.log").open("w")
            command = [sys.executable, "-m", "gunicorn", "casetracker.wsgi", "--bind", f"127.0.0.1:{port}"]
            processes.append(
                subprocess.Popen(
                    [*command, "--workers", "1"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for process, url in zip(processes, urls, strict=True):
            _wait_until_serving(process, url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_serving(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"gunicorn for {url} exited"
        try:
            urllib.request.urlopen(f"{url}/api/v1/", timeout=5)
            return
        except urllib.error.HTTPError:
            return  # answering (401 without credentials)
        except OSError:
            assert time.monotonic() < deadline, f"{url} did not answer within 60 s"
            time.sleep(0.2)


def _request(url: str, *, data: dict | None = None, opener=None, form: bool = False) -> tuple[int, str]:
    body, headers = None, {}
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _sign_in(base: str, username: str, password: str) -> int:
    return _request(f"{base}/api/v1/auth/token/", data={"username": username, "password": password})[0]


def _staff_user(**fields) -> object:
    """A user whose password the servers can check: the suite hashes with MD5 (tests/conftest.py), which
    the servers' settings do not accept, so the hash is made with their default hasher."""
    hasher = PBKDF2PasswordHasher()
    user = UserFactory(username=f"stateless-{uuid.uuid4().hex[:8]}", **fields)
    type(user).objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    return user


def _lookup(base: str) -> int:
    return _request(f"{base}/api/v1/public/lookup/?code=NO-SUCH-CODE&phone=0912345678")[0]


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)

    def forget_lookups() -> None:  # the lookup limit is per address, and every request here is 127.0.0.1
        for key in client.scan_iter("casetracker:*throttle_public_lookup_127.0.0.1*"):
            client.delete(key)

    forget_lookups()
    yield client
    forget_lookups()


def test_limits_cache_and_sessions_are_shared_between_two_gunicorn_servers(tmp_path, redis_client):
    user = _staff_user()
    with gunicorns(tmp_path, REDIS_URL) as (first, second):
        # Sign-in lockout: the failures counted by the first server lock the user out on the second.
        for _ in range(FAILURES_ALLOWED):
            assert _sign_in(first, user.username, "wrong") == 400
        assert _sign_in(second, user.username, PASSWORD) == 429
        assert _sign_in(first, user.username, PASSWORD) == 429

        # A cache entry (the lookup throttle's history) written by one server and read by the other.
        for _ in range(LOOKUP_LIMIT):
            assert _lookup(first) == 404
        assert _lookup(second) == 429
        assert list(redis_client.scan_iter("casetracker:*throttle_public_lookup_127.0.0.1*"))

        # A session opened through the admin login of one server is valid on the other (database sessions).
        other = _staff_user(is_staff=True, is_superuser=True)
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        status, page = _request(f"{first}/admin/login/", opener=browser)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = _request(
            f"{first}/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": other.username, "password": PASSWORD},
            opener=browser, form=True,
        )  # fmt: skip

        assert status == 200 and any(c.name == "sessionid" for c in jar)
        status, page = _request(f"{second}/admin/", opener=browser)
        # The admin index (with its sign-out form), not the login form.
        assert status == 200 and 'name="password"' not in page and "/admin/logout/" in page


def test_with_the_per_process_cache_each_server_counts_alone(tmp_path, redis_client):
    """The control: without CACHE_URL the limits are per process, so the shared-cache test means something."""
    user = _staff_user()
    with gunicorns(tmp_path, "") as (first, second):
        for _ in range(FAILURES_ALLOWED):
            assert _sign_in(first, user.username, "wrong") == 400
        assert _sign_in(first, user.username, PASSWORD) == 429
        assert _sign_in(second, user.username, PASSWORD) == 200
        for _ in range(LOOKUP_LIMIT):
            assert _lookup(first) == 404
        assert _lookup(first) == 429
        assert _lookup(second) == 404
