"""Admin edits rebuild the calendar through the service, and the day table is read-only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from apps.catalogue.models import TimeUnit
from apps.workcalendar.models import Calendar, CalendarException
from apps.workcalendar.services import calendar_for_unit

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = dt.datetime(2026, 3, 4, 10, tzinfo=VN)  # Wed


def _due() -> dt.datetime:
    return calendar_for_unit(None).due_at(RECEIVED, Decimal(1), TimeUnit.WORKING_DAYS)


def _calendar_form(calendar: Calendar, **changes: str) -> dict[str, str]:
    """The change form as the browser posts it, including the inline exceptions formset."""
    data = {
        "code": calendar.code,
        "name": calendar.name,
        "province": "",
        "morning_start": calendar.morning_start.strftime("%H:%M:%S"),
        "morning_end": calendar.morning_end.strftime("%H:%M:%S"),
        "afternoon_start": calendar.afternoon_start.strftime("%H:%M:%S"),
        "afternoon_end": calendar.afternoon_end.strftime("%H:%M:%S"),
        "same_day_cutoff": calendar.same_day_cutoff.strftime("%H:%M:%S"),
        "_save": "Save",
    }
    rows = list(calendar.exceptions.order_by("date"))
    data.update(
        {
            "exceptions-TOTAL_FORMS": str(len(rows) + 1),
            "exceptions-INITIAL_FORMS": str(len(rows)),
            "exceptions-MIN_NUM_FORMS": "0",
            "exceptions-MAX_NUM_FORMS": "1000",
        }
    )
    for i, row in enumerate(rows):
        prefix = f"exceptions-{i}-"
        data.update(
            {
                prefix + "id": str(row.pk),
                prefix + "calendar": str(calendar.pk),
                prefix + "date": row.date.isoformat(),
                prefix + "name": row.name,
                prefix + "source": row.source,
            }
        )
        if row.is_working:
            data[prefix + "is_working"] = "on"
    data.update(changes)
    return data


@pytest.mark.django_db
def test_inline_exception_added_in_admin_rebuilds(admin_client, default_calendar):
    assert _due() == dt.datetime(2026, 3, 5, 10, tzinfo=VN)
    extra = len(default_calendar.exceptions.all())
    prefix = f"exceptions-{extra}-"
    data = _calendar_form(
        default_calendar,
        **{
            prefix + "date": "2026-03-05",
            prefix + "name": "Provincial event",
            prefix + "source": "Decision 1",
        },
    )
    response = admin_client.post(
        reverse("admin:workcalendar_calendar_change", args=[default_calendar.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    default_calendar.refresh_from_db()
    assert default_calendar.revision == 2
    assert default_calendar.exceptions.filter(date=dt.date(2026, 3, 5), is_working=False).exists()
    assert _due() == dt.datetime(2026, 3, 6, 10, tzinfo=VN)  # Thu 5 Mar is now off


@pytest.mark.django_db
def test_office_hours_edit_in_admin_rebuilds(admin_client, default_calendar):
    data = _calendar_form(default_calendar, morning_start="07:30:00")
    response = admin_client.post(
        reverse("admin:workcalendar_calendar_change", args=[default_calendar.pk]), data
    )
    assert response.status_code == 302
    calendar = calendar_for_unit(None)
    assert calendar.revision == 2 and calendar.minutes_per_day == 450


@pytest.mark.django_db
def test_disordered_office_hours_are_refused(admin_client, default_calendar):
    data = _calendar_form(default_calendar, morning_end="14:00:00")
    response = admin_client.post(
        reverse("admin:workcalendar_calendar_change", args=[default_calendar.pk]), data
    )
    assert response.status_code == 200  # the form comes back with the error
    default_calendar.refresh_from_db()
    assert default_calendar.revision == 1


@pytest.mark.django_db
def test_exception_admin_add_and_delete_rebuild(admin_client, default_calendar):
    response = admin_client.post(
        reverse("admin:workcalendar_calendarexception_add"),
        {
            "calendar": default_calendar.pk,
            "date": "2026-03-05",
            "name": "Extra day off",
            "source": "",
            "_save": "1",
        },
    )
    assert response.status_code == 302
    assert _due() == dt.datetime(2026, 3, 6, 10, tzinfo=VN)
    exception = CalendarException.objects.get(date=dt.date(2026, 3, 5))
    response = admin_client.post(
        reverse("admin:workcalendar_calendarexception_delete", args=[exception.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert _due() == dt.datetime(2026, 3, 5, 10, tzinfo=VN)
    default_calendar.refresh_from_db()
    assert default_calendar.revision == 3


@pytest.mark.django_db
def test_day_table_is_listed_read_only(admin_client, default_calendar):
    url = reverse("admin:workcalendar_calendarday_changelist")
    response = admin_client.get(
        url, {"calendar__id__exact": default_calendar.pk, "year": "2026", "is_working__exact": "0"}
    )
    assert response.status_code == 200
    assert b"Lunar New Year" in response.content
    assert admin_client.get(reverse("admin:workcalendar_calendarday_add")).status_code == 403
    assert admin_client.get(reverse("admin:workcalendar_calendar_changelist")).status_code == 200


@pytest.mark.django_db
def test_default_calendar_cannot_be_deleted(admin_client, default_calendar):
    response = admin_client.get(reverse("admin:workcalendar_calendar_delete", args=[default_calendar.pk]))
    assert response.status_code == 403
