"""Where calendar days come from: weekends, the ``holidays`` library and administrator exceptions.

Composition is a pure function so that the database rebuild and the in-memory calendars used by fast
tests and the benchmark apply exactly the same precedence rules:

1. Monday–Friday work, Saturday and Sunday do not;
2. statutory holidays (and their compensatory days) from the ``holidays`` library are days off;
3. make-up Saturdays the library knows about are working days;
4. exception layers in order — the default calendar's, then a province's — each winning over
   everything before it on the same date. This is how a province inherits the national swaps yet can
   override one of them.

The government's yearly swaps are not in the library; they live in ``fixtures/calendar.json`` so that
one file is the source for both ``loaddata`` and :func:`apps.workcalendar.services.ensure_default_calendar`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import holidays
from django.conf import settings

from apps.workcalendar.deadlines import DayEntry, OfficeHours, WorkingCalendar
from apps.workcalendar.models import DEFAULT_CALENDAR_CODE

COUNTRY = "VN"
HOLIDAY_LANGUAGE = "en_US"


def fixture_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "calendar.json"


@dataclass(frozen=True)
class ExceptionRow:
    """A calendar exception as plain data (what ``CalendarException`` stores)."""

    date: dt.date
    is_working: bool
    name: str
    source: str = ""


@dataclass(frozen=True)
class DefaultCalendarSeed:
    """The default calendar's row and announced swaps, read from the fixture."""

    name: str
    hours: OfficeHours
    exceptions: tuple[ExceptionRow, ...]


def _parse_time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def read_default_seed(path: Path | None = None) -> DefaultCalendarSeed:
    """Parse the fixture ourselves (instead of ``loaddata``) so existing admin edits are never overwritten."""
    objects: list[dict[str, Any]] = json.loads((path or fixture_path()).read_text(encoding="utf-8"))
    calendar_fields: dict[str, Any] = {}
    rows: list[ExceptionRow] = []
    for obj in objects:
        fields = obj["fields"]
        if obj["model"] == "workcalendar.calendar" and fields["code"] == DEFAULT_CALENDAR_CODE:
            calendar_fields = fields
        elif obj["model"] == "workcalendar.calendarexception" and fields["calendar"] == [
            DEFAULT_CALENDAR_CODE
        ]:
            rows.append(
                ExceptionRow(
                    date=dt.date.fromisoformat(fields["date"]),
                    is_working=bool(fields["is_working"]),
                    name=fields["name"],
                    source=fields.get("source", ""),
                )
            )
    if not calendar_fields:
        raise ValueError(f"{path or fixture_path()} has no workcalendar.calendar row with code 'default'.")
    hours = OfficeHours(
        **{
            key: _parse_time(calendar_fields[key])
            for key in ("morning_start", "morning_end", "afternoon_start", "afternoon_end", "same_day_cutoff")
            if key in calendar_fields
        }
    )
    return DefaultCalendarSeed(
        name=calendar_fields.get("name", "Default"),
        hours=hours,
        exceptions=tuple(sorted(rows, key=lambda r: r.date)),
    )


def statutory_holidays(first_year: int, last_year: int) -> holidays.HolidayBase:
    """The library's VN holidays for the range; its ``weekend_workdays`` are its known make-up Saturdays."""
    return holidays.country_holidays(
        COUNTRY, years=range(first_year, last_year + 1), language=HOLIDAY_LANGUAGE
    )


def compose_days(
    first: dt.date,
    last: dt.date,
    *,
    holiday_names: Mapping[dt.date, str],
    make_up_days: Iterable[dt.date] = (),
    exception_layers: Sequence[Iterable[ExceptionRow]] = (),
) -> list[DayEntry]:
    """One :class:`DayEntry` per date from ``first`` to ``last`` with the reason a person would give."""
    layered: dict[dt.date, ExceptionRow] = {}
    for layer in exception_layers:
        layered.update({row.date: row for row in layer})
    make_up = set(make_up_days)
    days: list[DayEntry] = []
    day = first
    one = dt.timedelta(days=1)
    while day <= last:
        if day in holiday_names:
            entry = DayEntry(day, False, f"holiday: {holiday_names[day]}")
        elif day.weekday() >= 5:
            if day in make_up:
                entry = DayEntry(day, True, "make-up working day (statutory swap)")
            else:
                entry = DayEntry(day, False, "weekend")
        else:
            entry = DayEntry(day, True, "")
        row = layered.get(day)
        if row is not None:
            if not row.is_working:
                entry = DayEntry(day, False, f"day off: {row.name}")
            elif entry.is_working and not entry.reason:
                entry = DayEntry(day, True, f"working day: {row.name}")
            else:
                entry = DayEntry(day, True, f"make-up working day: {row.name}")
        days.append(entry)
        day += one
    return days


def compose_year_range(
    first_year: int, last_year: int, exception_layers: Sequence[Iterable[ExceptionRow]] = ()
) -> list[DayEntry]:
    """Days for whole years, with holidays taken from the library."""
    library = statutory_holidays(first_year, last_year)
    return compose_days(
        dt.date(first_year, 1, 1),
        dt.date(last_year, 12, 31),
        holiday_names=dict(library.items()),
        make_up_days=getattr(library, "weekend_workdays", ()),
        exception_layers=exception_layers,
    )


@functools.cache
def default_working_calendar(first_year: int = 2024, last_year: int = 2028) -> WorkingCalendar:
    """The default calendar built in memory from the library and the fixture, without the database.

    Same rules and data as ``ensure_default_calendar`` + ``calendar_for_unit`` on a fresh database; used
    by fast tests and by the benchmark's baseline check.
    """
    seed = read_default_seed()
    return WorkingCalendar(
        compose_year_range(first_year, last_year, [seed.exceptions]), seed.hours, settings.TIME_ZONE
    )
