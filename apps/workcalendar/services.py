"""Building working calendars in the database and handing out in-memory ones.

Writes go through here so that the derived ``CalendarDay`` table, the ``revision`` counter and the
per-process cache never disagree: an edit to exceptions or office hours calls :func:`refresh_calendars`,
which rewrites the affected tables in one transaction and bumps ``revision``; every process notices the
new revision on its next :func:`calendar_for_unit` call and reloads. Due dates already stored on dossiers
are never recomputed by a rebuild (docs/domain.md, "Deadlines").
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from apps.core.errors import DomainError, ErrorCode
from apps.organisation.models import Unit
from apps.workcalendar.deadlines import DeadlineExplanation, OfficeHours, WorkingCalendar
from apps.workcalendar.models import DEFAULT_CALENDAR_CODE, Calendar, CalendarDay, CalendarException
from apps.workcalendar.sources import ExceptionRow, compose_year_range, read_default_seed

if TYPE_CHECKING:
    import datetime as dt

    from apps.catalogue.models import Procedure

logger = logging.getLogger(__name__)

DEFAULT_FIRST_YEAR = 2024
DEFAULT_LAST_YEAR = 2028

_cache: dict[int, WorkingCalendar] = {}
_cache_lock = threading.Lock()


def clear_calendar_cache() -> None:
    """Forget every in-memory calendar of this process (rebuilds do this themselves)."""
    with _cache_lock:
        _cache.clear()


def _exception_rows(calendar: Calendar) -> list[ExceptionRow]:
    return [
        ExceptionRow(date=e.date, is_working=e.is_working, name=e.name, source=e.source)
        for e in calendar.exceptions.all()
    ]


def _year_range(calendar: Calendar, first_year: int | None, last_year: int | None) -> tuple[int, int]:
    """An explicit range wins; then the calendar's own; a new province override follows the default."""
    if first_year is not None and last_year is not None:
        return first_year, last_year
    if calendar.first_year is not None and calendar.last_year is not None:
        return calendar.first_year, calendar.last_year
    default = Calendar.objects.filter(code=DEFAULT_CALENDAR_CODE).exclude(pk=calendar.pk).first()
    if default is not None and default.first_year is not None and default.last_year is not None:
        return default.first_year, default.last_year
    return DEFAULT_FIRST_YEAR, DEFAULT_LAST_YEAR


def rebuild_calendar(
    calendar: Calendar, first_year: int | None = None, last_year: int | None = None
) -> Calendar:
    """Rewrite ``calendar``'s day table for whole years and bump its revision.

    A province calendar layers its own exceptions over the default calendar's, so it must be rebuilt
    whenever the default's exceptions change (:func:`refresh_calendars` does that). The rows are written
    with one bulk insert inside one transaction, so readers see either the old or the new table.
    """
    first_year, last_year = _year_range(calendar, first_year, last_year)
    if first_year > last_year:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, gettext("The first year must not be after the last year.")
        )
    layers: list[list[ExceptionRow]] = []
    if not calendar.is_default:
        default = Calendar.objects.filter(code=DEFAULT_CALENDAR_CODE, province__isnull=True).first()
        if default is not None:
            layers.append(_exception_rows(default))
    layers.append(_exception_rows(calendar))
    rows: list[CalendarDay] = []
    seq = 0
    for day in compose_year_range(first_year, last_year, layers):
        seq += day.is_working
        rows.append(
            CalendarDay(
                calendar=calendar, date=day.date, is_working=day.is_working, seq=seq, reason=day.reason
            )
        )
    with transaction.atomic():
        # Lock the calendar row so that two concurrent rebuilds serialise instead of interleaving.
        Calendar.objects.select_for_update().filter(pk=calendar.pk).first()
        CalendarDay.objects.filter(calendar=calendar).delete()
        CalendarDay.objects.bulk_create(rows)
        Calendar.objects.filter(pk=calendar.pk).update(
            revision=F("revision") + 1, first_year=first_year, last_year=last_year
        )
    calendar.refresh_from_db(fields=["revision", "first_year", "last_year"])
    clear_calendar_cache()
    transaction.on_commit(clear_calendar_cache)
    logger.info(
        "Rebuilt working calendar %s for %s-%s (revision %s)",
        calendar.code,
        first_year,
        last_year,
        calendar.revision,
    )
    return calendar


def refresh_calendars(calendar: Calendar) -> list[Calendar]:
    """Rebuild after an edit: the calendar itself and, for the default, every province that inherits it."""
    rebuilt = [rebuild_calendar(calendar)]
    if calendar.is_default:
        for province_calendar in Calendar.objects.filter(province__isnull=False):
            rebuilt.append(rebuild_calendar(province_calendar))
    return rebuilt


def ensure_default_calendar(
    first_year: int = DEFAULT_FIRST_YEAR, last_year: int = DEFAULT_LAST_YEAR
) -> Calendar:
    """Make sure the default calendar exists, holds the announced swaps and covers the years; idempotent.

    The swaps come from ``fixtures/calendar.json`` (the single source). Rows an administrator already
    has on a date are left alone; missing announced swaps are added back. The calendar is rebuilt only
    when something changed or the range must grow (never shrink), so repeated calls keep caches warm.
    """
    seed = read_default_seed()
    with transaction.atomic():
        calendar, created = Calendar.objects.get_or_create(
            code=DEFAULT_CALENDAR_CODE,
            defaults={
                "name": seed.name,
                "morning_start": seed.hours.morning_start,
                "morning_end": seed.hours.morning_end,
                "afternoon_start": seed.hours.afternoon_start,
                "afternoon_end": seed.hours.afternoon_end,
                "same_day_cutoff": seed.hours.same_day_cutoff,
            },
        )
        existing = set(calendar.exceptions.values_list("date", flat=True))
        missing = [
            CalendarException(
                calendar=calendar, date=row.date, is_working=row.is_working, name=row.name, source=row.source
            )
            for row in seed.exceptions
            if row.date not in existing
        ]
        CalendarException.objects.bulk_create(missing)
        covered = (
            calendar.first_year is not None
            and calendar.last_year is not None
            and calendar.first_year <= first_year
            and calendar.last_year >= last_year
        )
        if created or missing or not covered:
            rebuild_calendar(
                calendar,
                min(first_year, calendar.first_year or first_year),
                max(last_year, calendar.last_year or last_year),
            )
            if missing:
                for province_calendar in Calendar.objects.filter(province__isnull=False):
                    rebuild_calendar(province_calendar)
    return calendar


def office_hours(calendar: Calendar) -> OfficeHours:
    """The pure module's view of a calendar row; validates the ordering the arithmetic relies on."""
    return OfficeHours(
        morning_start=calendar.morning_start,
        morning_end=calendar.morning_end,
        afternoon_start=calendar.afternoon_start,
        afternoon_end=calendar.afternoon_end,
        same_day_cutoff=calendar.same_day_cutoff,
    )


def load_working_calendar(calendar: Calendar) -> WorkingCalendar:
    """Read a calendar's materialised days (one query) into a :class:`WorkingCalendar`."""
    days = list(
        CalendarDay.objects.filter(calendar=calendar)
        .order_by("date")
        .values_list("date", "is_working", "reason")
    )
    if not days:
        raise DomainError(
            ErrorCode.OUTSIDE_CALENDAR,
            gettext("The working calendar %(code)s has not been built yet; run ensure_default_calendar().")
            % {"code": repr(calendar.code)},
        )
    return WorkingCalendar(
        days, office_hours(calendar), settings.TIME_ZONE, code=calendar.code, revision=calendar.revision
    )


def explain_procedure_deadline(
    procedure: Procedure, unit: Unit, received_at: dt.datetime, *, online: bool
) -> DeadlineExplanation:
    """The due date (and why) of a dossier of ``procedure`` received at ``unit`` at ``received_at``,
    recording nothing: the API's deadline preview and the reception desk show the same thing."""
    from apps.catalogue.models import TimeUnit
    from apps.catalogue.rules import time_limit_for, version_for

    calendar = calendar_for_unit(unit)
    version = version_for(procedure, received_at.astimezone(calendar.tz).date())
    limit = time_limit_for(version, online=online)
    return calendar.explain(received_at, limit, TimeUnit(version.time_unit))


def calendar_for_unit(unit: Unit | None) -> WorkingCalendar:
    """The working calendar of a unit: its province's override if one exists, else the default.

    Cached per process by calendar id. Each call costs one small query (id and revision of at most two
    calendar rows, no day rows); the day table is read again only when the revision has moved.
    """
    root_code = unit.root_code if unit is not None else None
    condition = Q(province__isnull=True, code=DEFAULT_CALENDAR_CODE)
    if root_code:
        condition |= Q(province__code=root_code)
    candidates = list(Calendar.objects.filter(condition).values_list("pk", "province_id", "revision"))
    if not candidates:
        raise DomainError(
            ErrorCode.OUTSIDE_CALENDAR,
            gettext("No working calendar is configured; run ensure_default_calendar()."),
        )
    pk, _province, revision = max(candidates, key=lambda row: row[1] is not None)
    cached = _cache.get(pk)
    if cached is not None and cached.revision == revision:
        return cached
    working = load_working_calendar(Calendar.objects.get(pk=pk))
    with _cache_lock:
        _cache[pk] = working
    return working
