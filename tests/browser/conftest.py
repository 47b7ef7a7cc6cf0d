"""Browser tests: pytest-playwright driving Debian's Chromium against Django's live server.

The browser is never downloaded (`playwright install` cannot work here): Playwright launches
``/usr/bin/chromium`` (tests/conftest.py deselects these tests, and says so, when it is missing). The
live server runs in a thread of this process, so the frozen clock of tests/conftest.py applies to it
too; Chromium keeps the real clock, which only the cookies' expiry dates could notice.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import CHROMIUM

# Playwright's sync API keeps an asyncio loop running in the main thread from its session fixture on,
# and Django refuses database access from a thread with a running loop: the test database's setup, each
# test's data and its checks all run there (the documented pytest-playwright + live_server setup). Set
# at import, as the loop outlives any one test; the live server's own thread is not affected either way.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

#: A common counter screen; every page must work at this size.
VIEWPORT = {"width": 1366, "height": 768}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last (after pytest-django's own ordering): Playwright's loop then starts after
    every other test, and their database flushes cannot remove rows a later test expects."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "vi-VN"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """After the test's body, let the page's requests settle before any teardown: the overview loads
    panels by htmx after the page itself, and a panel still being served by the live server's thread
    while the database is flushed for the next test fails that teardown."""
    yield
    page = item.funcargs.get("page")
    if page is not None and not page.is_closed():
        # A page that never settles is the test's own failure, reported by its assertions.
        with contextlib.suppress(PlaywrightError):
            page.wait_for_load_state("networkidle", timeout=10_000)
