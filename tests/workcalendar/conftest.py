"""Fixtures for the working-calendar tests.

``working_calendar`` is the default calendar built in memory from the holidays library and
``fixtures/calendar.json`` (no database), so the table-driven deadline tests run in milliseconds. The
database-backed default calendar is the root conftest's ``calendar`` fixture, which calls
``ensure_default_calendar(2024, 2028)``; ``default_calendar`` below does the same for modules that
want to be explicit.
"""

from __future__ import annotations

import pytest

from apps.workcalendar.deadlines import WorkingCalendar
from apps.workcalendar.services import clear_calendar_cache, ensure_default_calendar
from apps.workcalendar.sources import default_working_calendar


@pytest.fixture(scope="session")
def working_calendar() -> WorkingCalendar:
    return default_working_calendar(2024, 2028)


@pytest.fixture
def default_calendar(db):
    clear_calendar_cache()
    calendar = ensure_default_calendar(2024, 2028)
    yield calendar
    clear_calendar_cache()
