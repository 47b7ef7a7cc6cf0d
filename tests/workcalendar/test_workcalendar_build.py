"""Building calendars in the database, province overrides, and the per-process cache."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from apps.catalogue.models import TimeUnit
from apps.core.errors import DomainError, ErrorCode
from apps.organisation.models import UnitKind
from apps.organisation.services import create_unit
from apps.workcalendar.models import Calendar, CalendarDay, CalendarException
from apps.workcalendar.services import (
    calendar_for_unit,
    clear_calendar_cache,
    ensure_default_calendar,
    rebuild_calendar,
    refresh_calendars,
)
from apps.workcalendar.sources import fixture_path

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WD = TimeUnit.WORKING_DAYS


def vn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


@pytest.fixture
def units(db):
    """Province H44 (which will get an override) with a commune; province H01 without one."""
    h44 = create_unit(code="H44", name="Province 44", kind=UnitKind.PROVINCE)
    h01 = create_unit(code="H01", name="Province 01", kind=UnitKind.PROVINCE)
    return {
        "h44": h44,
        "h44_commune": create_unit(code="H44.07", name="Commune 07", kind=UnitKind.COMMUNE, parent=h44),
        "h01_commune": create_unit(code="H01.02", name="Commune 02", kind=UnitKind.COMMUNE, parent=h01),
    }


@pytest.fixture
def province_calendar(default_calendar, units):
    calendar = Calendar.objects.create(
        code="H44", name="Province 44", province=units["h44"], morning_start=dt.time(7, 30)
    )
    return rebuild_calendar(calendar)


@pytest.mark.django_db
class TestEnsureDefaultCalendar:
    def test_builds_the_range_from_the_fixture(self, default_calendar):
        calendar = Calendar.objects.get(code="default")
        assert (calendar.first_year, calendar.last_year, calendar.revision) == (2024, 2028, 1)
        assert calendar.province is None and calendar.morning_start == dt.time(7, 0)
        assert CalendarDay.objects.filter(calendar=calendar).count() == 366 + 365 * 3 + 366
        assert set(calendar.exceptions.values_list("date", "is_working")) == {
            (dt.date(2025, 4, 26), True),
            (dt.date(2025, 5, 2), False),
            (dt.date(2026, 8, 22), True),
            (dt.date(2026, 8, 31), False),
        }

    def test_sequence_numbers(self, default_calendar):
        days = list(CalendarDay.objects.filter(calendar=default_calendar).order_by("date"))
        last_working_seq = 0
        for day in days:
            if day.is_working:
                assert day.seq == last_working_seq + 1
                last_working_seq = day.seq
            else:
                assert day.seq == last_working_seq
        tet = {d.date: d for d in days if dt.date(2026, 2, 13) <= d.date <= dt.date(2026, 2, 23)}
        assert tet[dt.date(2026, 2, 23)].seq == tet[dt.date(2026, 2, 13)].seq + 1
        assert tet[dt.date(2026, 2, 17)].reason == "holiday: Lunar New Year"

    def test_is_idempotent_and_keeps_admin_edits(self, default_calendar):
        CalendarException.objects.filter(calendar=default_calendar, date=dt.date(2026, 8, 22)).update(
            name="Edited by an administrator"
        )
        again = ensure_default_calendar(2024, 2028)
        assert again.pk == default_calendar.pk and again.revision == 1  # nothing changed, no rebuild
        assert again.exceptions.get(date=dt.date(2026, 8, 22)).name == "Edited by an administrator"

    def test_restores_a_missing_swap_and_grows_the_range(self, default_calendar):
        CalendarException.objects.filter(date=dt.date(2026, 8, 31)).delete()
        again = ensure_default_calendar(2023, 2028)
        assert again.revision == 2 and (again.first_year, again.last_year) == (2023, 2028)
        assert again.exceptions.filter(date=dt.date(2026, 8, 31), is_working=False).exists()

    def test_database_calendar_equals_the_in_memory_one(self, default_calendar, working_calendar):
        from_db = calendar_for_unit(None)
        assert (from_db.first_date, from_db.last_date) == (
            working_calendar.first_date,
            working_calendar.last_date,
        )
        day = from_db.first_date
        while day <= from_db.last_date:
            assert from_db.day(day) == working_calendar.day(day)
            day += dt.timedelta(days=1)


def test_fixture_loads_with_loaddata_idempotently(db):
    call_command("loaddata", str(fixture_path()), verbosity=0)
    call_command("loaddata", str(fixture_path()), verbosity=0)
    assert Calendar.objects.count() == 1
    assert CalendarException.objects.filter(calendar__code="default").count() == 4
    # loaddata alone does not materialise days; ensure_default_calendar adopts the rows and builds.
    calendar = ensure_default_calendar()
    assert calendar.exceptions.count() == 4 and calendar.days.exists()


@pytest.mark.django_db
class TestCalendarForUnit:
    def test_mandatory_case_through_the_service(self, default_calendar, units):
        calendar = calendar_for_unit(units["h01_commune"])
        assert calendar.code == "default"
        assert calendar.due_at(vn(2026, 2, 13, 16, 30), Decimal(3), WD) == vn(2026, 2, 25, 16, 30)

    def test_province_override_office_hours(self, province_calendar, units):
        h44 = calendar_for_unit(units["h44_commune"])
        default = calendar_for_unit(units["h01_commune"])
        assert h44.code == "H44" and default.code == "default"
        assert calendar_for_unit(units["h44"]).code == "H44"  # the province itself, too
        received = vn(2026, 3, 4, 7, 10)  # Wed, open in the default calendar, not yet in H44
        assert h44.due_at(received, Decimal(1), WD) == vn(2026, 3, 4, 17)  # 450-minute day from 07:30
        assert default.due_at(received, Decimal(1), WD) == vn(2026, 3, 5, 7, 10)

    def test_province_inherits_default_exceptions_and_its_own_win(self, province_calendar, units):
        received = vn(2026, 8, 20, 9)  # Thu
        assert calendar_for_unit(units["h44_commune"]).due_at(received, Decimal(5), WD) == vn(2026, 8, 26, 9)
        CalendarException.objects.create(
            calendar=province_calendar,
            date=dt.date(2026, 8, 22),
            is_working=False,
            name="Province keeps Sat off",
        )
        refresh_calendars(province_calendar)
        h44 = calendar_for_unit(units["h44_commune"])
        assert h44.due_at(received, Decimal(5), WD) == vn(2026, 8, 27, 9)  # Sat 22 no longer counts
        assert h44.day(dt.date(2026, 8, 22)).reason == "day off: Province keeps Sat off"
        assert not h44.is_working_day(dt.date(2026, 8, 31))  # inherited national swap
        default = calendar_for_unit(units["h01_commune"])
        assert default.due_at(received, Decimal(5), WD) == vn(2026, 8, 26, 9)

    def test_default_edit_cascades_to_provinces(self, province_calendar, default_calendar, units):
        revision = province_calendar.revision
        CalendarException.objects.create(
            calendar=default_calendar, date=dt.date(2026, 3, 5), is_working=False, name="Extra day off"
        )
        rebuilt = refresh_calendars(default_calendar)
        assert {c.code for c in rebuilt} == {"default", "H44"}
        province_calendar.refresh_from_db()
        assert province_calendar.revision == revision + 1
        assert not calendar_for_unit(units["h44_commune"]).is_working_day(dt.date(2026, 3, 5))

    def test_cache_hit_costs_one_query_and_revision_change_reloads(
        self, default_calendar, units, django_assert_num_queries
    ):
        first = calendar_for_unit(units["h01_commune"])
        with django_assert_num_queries(1):
            assert calendar_for_unit(units["h01_commune"]) is first
        # Another process rebuilt: only the revision moved; this process must notice without a clear.
        Calendar.objects.filter(pk=default_calendar.pk).update(revision=first.revision + 1)
        reloaded = calendar_for_unit(units["h01_commune"])
        assert reloaded is not first and reloaded.revision == first.revision + 1

    def test_rebuild_changes_results_and_bumps_revision(self, default_calendar, units):
        received = vn(2026, 3, 4, 10)  # Wed
        before = calendar_for_unit(units["h01_commune"])
        assert before.due_at(received, Decimal(1), WD) == vn(2026, 3, 5, 10)
        CalendarException.objects.create(
            calendar=default_calendar, date=dt.date(2026, 3, 5), is_working=False, name="Extra day off"
        )
        assert calendar_for_unit(units["h01_commune"]) is before  # nothing happens until a rebuild
        rebuild_calendar(default_calendar)
        after = calendar_for_unit(units["h01_commune"])
        assert after.revision == before.revision + 1
        assert after.due_at(received, Decimal(1), WD) == vn(2026, 3, 6, 10)

    def test_no_calendar_is_a_domain_error(self, units):
        CalendarDay.objects.all().delete()
        Calendar.objects.all().delete()
        clear_calendar_cache()
        with pytest.raises(DomainError) as info:
            calendar_for_unit(units["h01_commune"])
        assert info.value.code == ErrorCode.OUTSIDE_CALENDAR
