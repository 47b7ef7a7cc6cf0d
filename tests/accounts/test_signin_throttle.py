"""The sign-in throttle as a service: tables of attempts on the frozen clock and what each one gets.

Each step is ``(outcome, user name, address, expected)``: ``fail`` and ``ok`` are attempts whose password
was wrong or right, ``expected`` is ``"in"`` (the password gets checked) or the ``Retry-After`` seconds of a
refusal; ``("wait", seconds)`` moves the clock.
"""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import translation

from apps.accounts import throttling
from apps.accounts.throttling import Limits, SignInThrottled, attempt_succeeded, begin_attempt

A, B = "203.0.113.7", "198.51.100.9"
LIMITS = Limits(per_username=5, per_address=20, window=900)


def fails(n: int, user: str = "clerk", address: str = A) -> list[tuple]:
    return [("fail", user, address, "in")] * n


CASES = {
    "five failures are allowed, the sixth attempt is refused for the window": (
        LIMITS,
        [*fails(5), ("fail", "clerk", A, 900), ("ok", "clerk", A, 900)],
    ),
    "the lock ends with the window that opened at the first failure": (
        LIMITS,
        [
            *fails(1),
            ("wait", 600),
            *fails(4),
            ("fail", "clerk", A, 300),
            ("wait", 299),
            ("ok", "clerk", A, 1),
            ("wait", 1),
            ("ok", "clerk", A, "in"),
        ],
    ),
    "failures older than the window no longer count": (
        LIMITS,
        [*fails(4), ("wait", 900), *fails(5), ("fail", "clerk", A, 900)],
    ),
    "a success forgets the user name's failures": (
        LIMITS,
        [*fails(4), ("ok", "clerk", A, "in"), *fails(5), ("fail", "clerk", A, 900)],
    ),
    "successes alone never lock anyone out": (
        LIMITS,
        [("ok", "clerk", A, "in")] * 30,
    ),
    "refused attempts are not counted and do not extend the lock": (
        LIMITS,
        [
            *fails(5),
            ("wait", 800),
            *[("fail", "clerk", A, 100)] * 10,
            ("wait", 100),
            ("ok", "clerk", A, "in"),
        ],
    ),
    "another user name from the same address is not locked by the first one's failures": (
        LIMITS,
        [*fails(5), ("fail", "clerk", A, 900), ("ok", "officer", A, "in")],
    ),
    "the user name is locked whatever the address": (
        LIMITS,
        [*fails(3, address=A), *fails(2, address=B), ("ok", "clerk", "192.0.2.1", 900)],
    ),
    "spellings of one user name share a counter": (
        LIMITS,
        [*fails(2, "clerk"), *fails(2, " Clerk"), *fails(1, "CLERK "), ("fail", "ｃｌｅｒｋ", B, 900)],
    ),
    "an address is locked after its failures across many user names": (
        Limits(per_username=5, per_address=3, window=900),
        [*fails(1, "u1"), *fails(1, "u2"), *fails(1, "u3"), ("ok", "u4", A, 900), ("ok", "u4", B, "in")],
    ),
    "a success takes back only its own attempt from the address": (
        Limits(per_username=5, per_address=3, window=900),
        [*fails(1, "u1"), *fails(1, "u2"), ("ok", "u3", A, "in"), *fails(1, "u4"), ("fail", "u5", A, 900)],
    ),
    "an IPv6 /64 is one source": (
        Limits(per_username=5, per_address=2, window=900),
        [
            *fails(1, "u1", "2001:db8::1"),
            *fails(1, "u2", "2001:db8::ffff:2"),
            ("fail", "u3", "2001:db8::3", 900),
            ("fail", "u3", "2001:db8:0:1::3", "in"),
        ],
    ),
    "an IPv4-mapped IPv6 address is the IPv4 address": (
        Limits(per_username=5, per_address=1, window=900),
        [*fails(1, "u1", "::ffff:203.0.113.7"), ("fail", "u2", A, 900)],
    ),
    "a limit of 0 is off": (
        Limits(per_username=0, per_address=0, window=900),
        fails(50),
    ),
    "without a user name only the address counts": (
        Limits(per_username=1, per_address=2, window=60),
        [*fails(2, ""), ("fail", "", A, 60)],
    ),
}


def run(steps: list[tuple], limits: Limits, clock) -> list:
    results = []
    for step in steps:
        if step[0] == "wait":
            clock.shift(step[1])
            continue
        outcome, user, address, _ = step
        try:
            attempt = begin_attempt(user, address, limits)
        except SignInThrottled as refused:
            results.append(refused.wait)
            continue
        if outcome == "ok":
            attempt_succeeded(attempt)
        results.append("in")
    return results


@pytest.mark.parametrize("name", list(CASES))
def test_throttle_table(name, frozen_clock):
    limits, steps = CASES[name]
    expected = [step[3] for step in steps if step[0] != "wait"]
    assert run(steps, limits, frozen_clock) == expected


def test_concurrent_attempts_cannot_exceed_the_limit():
    """Attempts count before the password check, so a burst gets exactly the allowed guesses."""
    limits = Limits(per_username=5, per_address=1000, window=900)
    outcomes: list[str] = []
    start = threading.Barrier(25)

    def guess() -> None:
        start.wait()
        try:
            begin_attempt("admin", A, limits)
            outcomes.append("in")
        except SignInThrottled:
            outcomes.append("refused")

    threads = [threading.Thread(target=guess) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("in") == 5 and outcomes.count("refused") == 20
    assert throttling.failures(throttling.username_key("admin")) == 5  # refusals took their count back


def test_a_cache_outage_leaves_sign_in_open(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttling.cache, "add", broken)
    for _ in range(10):
        attempt = begin_attempt("clerk", A, Limits(per_username=1, per_address=1, window=60))
    assert attempt == throttling.Attempt(None, None)
    attempt_succeeded(attempt)


@pytest.mark.parametrize(
    "proxies, remote, forwarded, expected",
    [
        (0, "203.0.113.7", None, "203.0.113.7"),
        (0, "203.0.113.7", "1.2.3.4", "203.0.113.7"),  # a client cannot pick its address
        (1, "10.0.0.2", "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # the entry the proxy appended
        (2, "10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.3", "203.0.113.7"),
        (1, "10.0.0.2", None, "10.0.0.2"),
        (0, "2001:db8::1234", None, "2001:db8::/64"),
        (0, "", None, "unknown"),
    ],
)
def test_client_address(settings, proxies, remote, forwarded, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {"REMOTE_ADDR": remote}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    assert throttling.client_address(RequestFactory().get("/", **headers)) == expected


@pytest.mark.parametrize(
    "options, clerk_after, officer_after",
    [
        (["--username", " CLERK"], "in", 900),
        (["--address", A], 900, "in"),
        (["--username", "clerk", "--address", A], "in", "in"),
    ],
)
def test_unlock_signin_lifts_a_lock_early(options, clerk_after, officer_after):
    limits = Limits(per_username=2, per_address=3, window=900)
    run([*fails(2, "clerk", B), *fails(1, "u1", A), *fails(1, "u2", A), *fails(1, "u3", A)], limits, None)
    out = io.StringIO()
    with translation.override("vi"):  # the deployment's language, LANGUAGE_CODE
        call_command("unlock_signin", *options, stdout=out)
    assert out.getvalue().startswith("Đã xoá các lần đăng nhập sai của")
    assert all(value.strip("-") in out.getvalue() for value in options if not value.startswith("--"))
    assert run([("fail", "clerk", B, None), ("fail", "officer", A, None)], limits, None) == [
        clerk_after,
        officer_after,
    ]


def test_unlock_signin_needs_a_target():
    with pytest.raises(CommandError):
        call_command("unlock_signin")
