import pytest
from django.core.management import call_command

from apps.workcalendar.models import Calendar, CalendarDay


@pytest.mark.django_db
def test_ensure_calendar_extends_the_range(capsys):
    call_command("ensure_calendar", "--first-year", "2024", "--last-year", "2030")
    calendar = Calendar.objects.get(code="default")
    assert (calendar.first_year, calendar.last_year) == (2024, 2030)
    assert CalendarDay.objects.filter(calendar=calendar, date__year=2030).count() == 365
    assert "2024-2030" in capsys.readouterr().out
