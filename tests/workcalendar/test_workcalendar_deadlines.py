"""The pure deadline module: every rule, table-driven, on an in-memory default calendar (no database)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from apps.catalogue.models import TimeUnit
from apps.core.errors import DomainError, ErrorCode
from apps.workcalendar.deadlines import (
    DEFAULT_OFFICE_HOURS,
    DayEntry,
    OfficeHours,
    OutsideCalendarError,
    WorkingCalendar,
)
from apps.workcalendar.management.commands.bench_deadlines import compare, generate_cases, naive_for
from apps.workcalendar.sources import ExceptionRow, compose_days, read_default_seed, statutory_holidays

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WD, WH, CD = TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS, TimeUnit.CALENDAR_DAYS
SAME, HALF = TimeUnit.SAME_DAY, TimeUnit.HALF_DAY


def vn(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN)


D = Decimal

CASES = [
    # --- working days -------------------------------------------------------------------------------
    pytest.param(
        vn(2026, 2, 13, 16, 30), D(3), WD, vn(2026, 2, 25, 16, 30), id="mandatory: Fri before Tet -> Wed"
    ),
    pytest.param(vn(2026, 3, 4, 9), D(1), WD, vn(2026, 3, 5, 9), id="Wed 09:00 +1 -> Thu 09:00"),
    pytest.param(
        vn(2026, 3, 4, 7), D(1), WD, vn(2026, 3, 4, 17), id="Wed 07:00 +1 fills the day -> Wed 17:00"
    ),
    pytest.param(
        vn(2026, 3, 4, 6, 15), D(2), WD, vn(2026, 3, 5, 17), id="Wed before opening +2 -> Thu 17:00"
    ),
    pytest.param(vn(2026, 3, 4, 12, 10), D(1), WD, vn(2026, 3, 5, 11, 30), id="Wed lunch +1 -> Thu 11:30"),
    pytest.param(vn(2026, 3, 4, 11, 30), D(1), WD, vn(2026, 3, 5, 11, 30), id="Wed 11:30 sharp is lunch"),
    pytest.param(vn(2026, 3, 4, 18), D(1), WD, vn(2026, 3, 5, 17), id="Wed after hours +1 -> Thu 17:00"),
    pytest.param(vn(2026, 3, 4, 17), D(1), WD, vn(2026, 3, 5, 17), id="Wed 17:00 sharp is after hours"),
    pytest.param(vn(2026, 3, 7, 10), D(1), WD, vn(2026, 3, 9, 17), id="Sat +1 -> Mon 17:00"),
    pytest.param(vn(2026, 3, 6, 16), D(1), WD, vn(2026, 3, 9, 16), id="Fri 16:00 +1 -> Mon 16:00"),
    pytest.param(vn(2026, 3, 4, 8), D("0.5"), WD, vn(2026, 3, 4, 14), id="Wed 08:00 +0.5 -> Wed 14:00"),
    pytest.param(vn(2026, 3, 4, 7), D("1.5"), WD, vn(2026, 3, 5, 11), id="Wed 07:00 +1.5 -> Thu 11:00"),
    pytest.param(vn(2026, 3, 4, 9, 0, 45), D(1), WD, vn(2026, 3, 5, 9, 0, 45), id="seconds are kept"),
    pytest.param(vn(2026, 1, 5, 8), D(30), WD, vn(2026, 2, 23, 8), id="Mon +30 over Tet -> Mon 23 Feb"),
    pytest.param(
        vn(2026, 8, 20, 9), D(5), WD, vn(2026, 8, 26, 9), id="Thu +5 counts make-up Sat 22 Aug -> Wed"
    ),
    pytest.param(
        vn(2026, 8, 22, 10), D(1), WD, vn(2026, 8, 24, 10), id="received on make-up Sat 22 Aug -> Mon"
    ),
    pytest.param(
        vn(2026, 8, 28, 10), D(1), WD, vn(2026, 9, 3, 10), id="Fri 28 Aug +1 over National Day -> Thu"
    ),
    pytest.param(
        vn(2025, 4, 25, 10), D(1), WD, vn(2025, 4, 26, 10), id="Fri 25 Apr 2025 +1 -> make-up Sat 26"
    ),
    pytest.param(
        vn(2025, 4, 29, 15), D(1), WD, vn(2025, 5, 5, 15), id="Tue 29 Apr 2025 +1 over 30/4-4/5 -> Mon"
    ),
    pytest.param(
        vn(2026, 4, 24, 10), D(1), WD, vn(2026, 4, 28, 10), id="Fri +1 over Hung Kings observed -> Tue"
    ),
    # --- working hours -------------------------------------------------------------------------------
    pytest.param(vn(2026, 3, 4, 10), D(8), WH, vn(2026, 3, 5, 10), id="Wed 10:00 +8h -> Thu 10:00"),
    pytest.param(
        vn(2026, 3, 4, 10), D(4), WH, vn(2026, 3, 4, 16), id="Wed 10:00 +4h over lunch -> Wed 16:00"
    ),
    pytest.param(vn(2026, 3, 6, 15), D(4), WH, vn(2026, 3, 9, 9), id="Fri 15:00 +4h -> Mon 09:00"),
    pytest.param(vn(2026, 3, 7, 23), D(8), WH, vn(2026, 3, 9, 17), id="Sat night online +8h -> Mon 17:00"),
    pytest.param(vn(2026, 3, 4, 9), D(40), WH, vn(2026, 3, 11, 9), id="Wed 09:00 +40h -> next Wed 09:00"),
    pytest.param(vn(2026, 3, 4, 9), D("1.5"), WH, vn(2026, 3, 4, 10, 30), id="fractional hours"),
    # --- half a day ----------------------------------------------------------------------------------
    pytest.param(vn(2026, 3, 4, 8), D(0), HALF, vn(2026, 3, 4, 17), id="half: Wed morning -> Wed 17:00"),
    pytest.param(vn(2026, 3, 4, 7), D(0), HALF, vn(2026, 3, 4, 17), id="half: Wed 07:00 -> Wed 17:00"),
    pytest.param(
        vn(2026, 3, 4, 6), D(0), HALF, vn(2026, 3, 4, 17), id="half: Wed before opening -> Wed 17:00"
    ),
    pytest.param(vn(2026, 3, 4, 11, 29), D(0), HALF, vn(2026, 3, 4, 17), id="half: Wed 11:29 -> Wed 17:00"),
    pytest.param(vn(2026, 3, 4, 12), D(0), HALF, vn(2026, 3, 5, 11, 30), id="half: Wed lunch -> Thu 11:30"),
    pytest.param(
        vn(2026, 3, 4, 14), D(0), HALF, vn(2026, 3, 5, 11, 30), id="half: Wed afternoon -> Thu 11:30"
    ),
    pytest.param(
        vn(2026, 3, 6, 13, 30), D(0), HALF, vn(2026, 3, 9, 11, 30), id="half: Fri 13:30 -> Mon 11:30"
    ),
    pytest.param(vn(2026, 3, 4, 19), D(0), HALF, vn(2026, 3, 5, 17), id="half: Wed evening -> Thu 17:00"),
    pytest.param(
        vn(2026, 2, 13, 14), D(0), HALF, vn(2026, 2, 23, 11, 30), id="half: Fri 13 Feb afternoon -> after Tet"
    ),
    # --- same day ------------------------------------------------------------------------------------
    pytest.param(vn(2026, 3, 4, 9), D(0), SAME, vn(2026, 3, 4, 17), id="same: Wed 09:00 -> Wed 17:00"),
    pytest.param(vn(2026, 3, 4, 6, 30), D(0), SAME, vn(2026, 3, 4, 17), id="same: Wed before opening -> Wed"),
    pytest.param(vn(2026, 3, 4, 12), D(0), SAME, vn(2026, 3, 4, 17), id="same: Wed lunch -> Wed 17:00"),
    pytest.param(vn(2026, 3, 4, 14, 59), D(0), SAME, vn(2026, 3, 4, 17), id="same: Wed 14:59 -> Wed 17:00"),
    pytest.param(
        vn(2026, 3, 4, 15), D(0), SAME, vn(2026, 3, 5, 17), id="same: Wed 15:00 cutoff -> Thu 17:00"
    ),
    pytest.param(vn(2026, 3, 6, 16), D(0), SAME, vn(2026, 3, 9, 17), id="same: Fri 16:00 -> Mon 17:00"),
    pytest.param(vn(2026, 3, 8, 10), D(0), SAME, vn(2026, 3, 9, 17), id="same: Sun -> Mon 17:00"),
    pytest.param(
        vn(2026, 2, 13, 15, 30), D(0), SAME, vn(2026, 2, 23, 17), id="same: Fri before Tet -> Mon 23"
    ),
    pytest.param(vn(2026, 8, 22, 9), D(0), SAME, vn(2026, 8, 22, 17), id="same: make-up Sat 22 Aug -> Sat"),
    # --- calendar days -------------------------------------------------------------------------------
    pytest.param(vn(2026, 3, 4, 10), D(5), CD, vn(2026, 3, 9, 17), id="cal: Wed +5 = Mon -> Mon 17:00"),
    pytest.param(vn(2026, 3, 4, 10), D(3), CD, vn(2026, 3, 9, 17), id="cal: Wed +3 = Sat -> Mon 17:00"),
    pytest.param(
        vn(2026, 3, 4, 22), D(1), CD, vn(2026, 3, 5, 17), id="cal: Wed night +1 = Thu (date counts)"
    ),
    pytest.param(
        vn(2026, 2, 6, 10), D(10), CD, vn(2026, 2, 23, 17), id="cal: Fri +10 = Tet holiday -> Mon 23"
    ),
    pytest.param(
        vn(2026, 8, 17, 10), D(14), CD, vn(2026, 9, 3, 17), id="cal: Mon +14 = swapped Mon 31 Aug -> Thu"
    ),
    pytest.param(vn(2026, 8, 15, 10), D(7), CD, vn(2026, 8, 22, 17), id="cal: Sat +7 = make-up Sat 22 Aug"),
    pytest.param(
        vn(2026, 4, 20, 10), D(7), CD, vn(2026, 4, 28, 17), id="cal: Mon +7 = Hung Kings observed -> Tue"
    ),
    pytest.param(vn(2026, 1, 5, 8), D(60), CD, vn(2026, 3, 6, 17), id="cal: Mon 5 Jan +60 = Fri 6 Mar"),
]


@pytest.mark.parametrize(("received", "limit", "unit", "expected"), CASES)
def test_due_at(working_calendar, received, limit, unit, expected):
    due = working_calendar.due_at(received, limit, unit)
    assert due == expected
    assert due.tzinfo == VN


def test_mandatory_case_spelled_out(working_calendar):
    """Received Friday 13 Feb 2026 16:30, 3 working days: Tết is off Sat 14 – Sun 22 Feb."""
    due = working_calendar.due_at(vn(2026, 2, 13, 16, 30), Decimal(3), TimeUnit.WORKING_DAYS)
    assert (due.date(), due.strftime("%a %H:%M")) == (dt.date(2026, 2, 25), "Wed 16:30")


def test_utc_input_gives_local_output(working_calendar):
    received = vn(2026, 2, 13, 16, 30).astimezone(dt.UTC)
    due = working_calendar.due_at(received, Decimal(3), TimeUnit.WORKING_DAYS)
    assert due == vn(2026, 2, 25, 16, 30)
    assert due.utcoffset() == dt.timedelta(hours=7)


def test_half_day_goes_by_periods_not_by_minutes(working_calendar):
    """HALF_DAY follows the worded rule; WORKING_DAYS 0.5 is arithmetic, and they differ early in the day."""
    received = vn(2026, 3, 4, 7, 10)
    assert working_calendar.due_at(received, Decimal(0), HALF) == vn(2026, 3, 4, 17)
    assert working_calendar.due_at(received, Decimal("0.5"), WD) == vn(2026, 3, 4, 11, 10)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (vn(2026, 3, 4, 9, 15, 20), vn(2026, 3, 4, 9, 15, 20)),  # Wed, in office hours: the instant itself
        (vn(2026, 3, 4, 5), vn(2026, 3, 4, 7)),  # Wed before opening: morning start
        (vn(2026, 3, 4, 12), vn(2026, 3, 4, 13, 30)),  # Wed lunch: afternoon start
        (vn(2026, 3, 4, 17, 30), vn(2026, 3, 5, 7)),  # Wed evening: next working morning
        (vn(2026, 3, 6, 17, 1), vn(2026, 3, 9, 7)),  # Fri evening: Monday morning
        (vn(2026, 2, 14, 10), vn(2026, 2, 23, 7)),  # Sat in Tết: Monday after Tết
    ],
)
def test_clock_start(working_calendar, received, expected):
    assert working_calendar.clock_start(received) == expected


def test_working_minutes_between(working_calendar):
    cal = working_calendar
    assert cal.working_minutes_between(vn(2026, 3, 6, 16), vn(2026, 3, 9, 8)) == 120  # Fri 16:00 -> Mon 08:00
    assert cal.working_minutes_between(vn(2026, 3, 4, 11), vn(2026, 3, 4, 14)) == 60  # over lunch
    assert cal.working_minutes_between(vn(2026, 2, 13, 16, 30), vn(2026, 2, 23, 7)) == 30  # over Tết
    assert cal.working_minutes_between(vn(2026, 3, 7, 8), vn(2026, 3, 8, 20)) == 0  # a weekend
    assert cal.working_minutes_between(vn(2026, 3, 4, 10), vn(2026, 3, 4, 9)) == 0  # end before start
    assert cal.working_minutes_between(vn(2026, 3, 4, 10), vn(2026, 3, 4, 10)) == 0


def test_add_working_minutes(working_calendar):
    cal = working_calendar
    assert cal.add_working_minutes(vn(2026, 3, 6, 16, 30), 30) == vn(2026, 3, 6, 17)  # exact fill -> closing
    assert cal.add_working_minutes(vn(2026, 3, 6, 16, 30), 31) == vn(2026, 3, 9, 7, 1)  # Fri -> Mon
    assert cal.add_working_minutes(vn(2026, 3, 4, 11), 30) == vn(2026, 3, 4, 11, 30)  # morning closing
    assert cal.add_working_minutes(vn(2026, 3, 4, 11), 31) == vn(2026, 3, 4, 13, 31)
    assert cal.add_working_minutes(vn(2026, 3, 4, 11), 0) == vn(2026, 3, 4, 11)
    with pytest.raises(ValueError):
        cal.add_working_minutes(vn(2026, 3, 4, 11), -1)


def test_working_days_between(working_calendar):
    cal = working_calendar
    assert cal.working_days_between(vn(2026, 3, 4, 7), vn(2026, 3, 5, 11)) == Decimal("1.50")
    assert cal.working_days_between(vn(2026, 3, 9, 7), vn(2026, 3, 9, 9)) == Decimal("0.25")
    assert cal.working_days_between(vn(2026, 2, 13, 16, 30), vn(2026, 2, 25, 16, 30)) == Decimal("3.00")
    assert cal.working_days_between(vn(2026, 3, 9, 9), vn(2026, 3, 9, 7)) == Decimal("0.00")


class TestPauses:
    LEGAL = vn(2026, 2, 25, 16, 30)  # Wed

    def test_closed_pause_moves_effective_due_only(self, working_calendar):
        legal = self.LEGAL
        pauses = [(vn(2026, 2, 23, 10), vn(2026, 2, 24, 10))]  # Mon 10:00 -> Tue 10:00 = 1 working day
        assert working_calendar.effective_due_at(legal, pauses) == vn(2026, 2, 26, 16, 30)
        assert legal == vn(2026, 2, 25, 16, 30)  # the legal due date is a value the caller keeps

    def test_pauses_add_up_and_overlaps_count_once(self, working_calendar):
        pauses = [
            (vn(2026, 2, 23, 8), vn(2026, 2, 23, 10)),  # Mon 2 h
            (vn(2026, 2, 23, 9), vn(2026, 2, 23, 11)),  # overlaps the first: only 1 h more
            (vn(2026, 2, 24, 14), vn(2026, 2, 24, 15)),  # Tue 1 h
        ]
        assert working_calendar.effective_due_at(self.LEGAL, pauses) == vn(2026, 2, 26, 10, 30)  # +4 h

    def test_pause_over_a_weekend_adds_nothing(self, working_calendar):
        pauses = [(vn(2026, 2, 21, 9), vn(2026, 2, 22, 18))]  # Sat -> Sun
        assert working_calendar.effective_due_at(self.LEGAL, pauses) == self.LEGAL

    def test_no_pauses(self, working_calendar):
        assert working_calendar.effective_due_at(self.LEGAL, []) == self.LEGAL

    def test_open_pause_gives_none(self, working_calendar):
        pauses = [(vn(2026, 2, 23, 10), vn(2026, 2, 24, 10)), (vn(2026, 2, 25, 9), None)]
        assert working_calendar.effective_due_at(self.LEGAL, pauses) is None


@pytest.fixture
def english():
    """The texts in English; the default language is Vietnamese (TestExplainInVietnamese)."""
    with translation.override("en"):
        yield


@pytest.mark.usefixtures("english")
class TestExplain:
    def test_lists_the_skipped_tet_days(self, working_calendar):
        received = vn(2026, 2, 13, 16, 30)
        explanation = working_calendar.explain(received, Decimal(3), TimeUnit.WORKING_DAYS)
        assert explanation.received_at == received
        assert explanation.clock_start == received
        assert explanation.due_at == vn(2026, 2, 25, 16, 30)
        assert explanation.working_minutes == 1440
        skipped = {d.date: d.reason for d in explanation.skipped_days}
        assert sorted(skipped) == [dt.date(2026, 2, d) for d in range(14, 23)]  # Sat 14 .. Sun 22
        assert all("Lunar New Year" in skipped[dt.date(2026, 2, d)] for d in range(16, 21))
        assert skipped[dt.date(2026, 2, 14)] == "weekend"
        assert explanation.make_up_days == []
        text = explanation.as_text()
        assert "Skipped Tue 17 Feb 2026: holiday: Lunar New Year." in text
        assert text.endswith("Due Wed 25 Feb 2026 16:30.")

    def test_lists_the_counted_make_up_saturday(self, working_calendar):
        explanation = working_calendar.explain(vn(2026, 8, 20, 9), Decimal(5), TimeUnit.WORKING_DAYS)
        assert [d.date for d in explanation.make_up_days] == [dt.date(2026, 8, 22)]
        assert "make-up working day" in explanation.make_up_days[0].reason
        assert [d.date for d in explanation.skipped_days] == [dt.date(2026, 8, 23)]

    def test_after_hours_clock_start(self, working_calendar):
        explanation = working_calendar.explain(vn(2026, 3, 6, 18), Decimal(8), TimeUnit.WORKING_HOURS)
        assert explanation.clock_start == vn(2026, 3, 9, 7)
        assert [d.date for d in explanation.skipped_days] == [dt.date(2026, 3, 7), dt.date(2026, 3, 8)]
        assert explanation.due_at == vn(2026, 3, 9, 17)

    def test_calendar_days_lists_only_the_days_moved_over(self, working_calendar):
        explanation = working_calendar.explain(vn(2026, 8, 20, 9), Decimal(10), TimeUnit.CALENDAR_DAYS)
        assert explanation.due_at == vn(2026, 9, 3, 17)
        assert [d.date for d in explanation.skipped_days] == [
            dt.date(2026, 8, 30),
            dt.date(2026, 8, 31),
            dt.date(2026, 9, 1),
            dt.date(2026, 9, 2),
        ]
        assert "30 Aug 2026" in explanation.rule and explanation.working_minutes is None

    def test_same_day_after_cutoff(self, working_calendar):
        explanation = working_calendar.explain(vn(2026, 3, 6, 15, 30), Decimal(0), TimeUnit.SAME_DAY)
        assert explanation.clock_start == vn(2026, 3, 9, 7)
        assert explanation.due_at == vn(2026, 3, 9, 17)
        assert "next working day" in explanation.rule


class TestExplainInVietnamese:
    """Vietnamese is the default: holiday names, weekdays and dates as a Vietnamese reader writes them."""

    def test_lists_the_skipped_tet_days(self, working_calendar):
        explanation = working_calendar.explain(vn(2026, 2, 13, 16, 30), Decimal(3), TimeUnit.WORKING_DAYS)
        skipped = {d.date: d.reason for d in explanation.skipped_days}
        assert skipped[dt.date(2026, 2, 17)] == "ngày lễ: Tết Nguyên đán"
        assert skipped[dt.date(2026, 2, 18)] == "ngày lễ: Mùng hai Tết Nguyên đán"
        assert skipped[dt.date(2026, 2, 14)] == "ngày nghỉ cuối tuần"
        text = explanation.as_text()
        assert "Không tính Thứ 3, 17/02/2026: ngày lễ: Tết Nguyên đán." in text
        assert text.endswith("Hạn trả kết quả: 16:30 Thứ 4, 25/02/2026.")

    def test_lists_the_counted_make_up_saturday_with_its_announcement(self, working_calendar):
        explanation = working_calendar.explain(vn(2026, 8, 20, 9), Decimal(5), TimeUnit.WORKING_DAYS)
        assert [d.reason for d in explanation.make_up_days] == [
            "ngày làm bù: Làm bù cho thứ Hai 31/8/2026 (kỳ nghỉ Quốc khánh)"
        ]

    def test_calendar_days_rule(self, working_calendar):
        explanation = working_calendar.explain(vn(2026, 8, 20, 9), Decimal(10), TimeUnit.CALENDAR_DAYS)
        assert "10 ngày tính từ 20/08/2026 = 30/08/2026" in explanation.rule
        assert "không phải ngày làm việc (ngày nghỉ cuối tuần)" in explanation.rule

    def test_outside_the_calendar(self, working_calendar):
        with pytest.raises(OutsideCalendarError) as info:
            working_calendar.due_at(vn(2023, 12, 31, 10), Decimal(1), TimeUnit.WORKING_DAYS)
        assert info.value.code == ErrorCode.OUTSIDE_CALENDAR
        assert "nằm ngoài lịch làm việc" in info.value.message and "2024-01-01" in info.value.message


@pytest.mark.usefixtures("english")
class TestOutsideRange:
    def test_receipt_before_the_range(self, working_calendar):
        with pytest.raises(OutsideCalendarError) as info:
            working_calendar.due_at(vn(2023, 12, 31, 10), Decimal(1), TimeUnit.WORKING_DAYS)
        error = info.value
        assert isinstance(error, DomainError)
        assert error.code == ErrorCode.OUTSIDE_CALENDAR
        assert "2023-12-31" in error.message and "2024-01-01 to 2028-12-31" in error.message

    def test_due_date_after_the_range(self, working_calendar):
        with pytest.raises(OutsideCalendarError) as info:
            working_calendar.due_at(vn(2028, 12, 28, 10), Decimal(10), TimeUnit.WORKING_DAYS)
        assert "after 2028-12-31" in info.value.message

    @pytest.mark.parametrize("unit", [SAME, CD])
    def test_other_rules_check_the_range_too(self, working_calendar, unit):
        with pytest.raises(OutsideCalendarError):
            working_calendar.due_at(vn(2029, 1, 2, 10), Decimal(1), unit)
        with pytest.raises(OutsideCalendarError):
            working_calendar.due_at(vn(2028, 12, 30, 10), Decimal(10), unit)


def test_bad_inputs(working_calendar):
    with pytest.raises(ValueError, match="aware"):
        working_calendar.due_at(dt.datetime(2026, 3, 4, 9), Decimal(1), WD)
    with pytest.raises(ValueError, match="negative"):
        working_calendar.due_at(vn(2026, 3, 4, 9), Decimal(-1), WD)
    with pytest.raises(ValueError, match="whole number"):
        working_calendar.due_at(vn(2026, 3, 4, 9), Decimal("2.5"), CD)
    with pytest.raises(ValueError, match="Unknown"):
        working_calendar.due_at(vn(2026, 3, 4, 9), Decimal(1), "fortnights")


class TestFromPlainData:
    """A calendar needs nothing but day rows: handy for provinces and for tests."""

    @staticmethod
    def week(hours: OfficeHours = DEFAULT_OFFICE_HOURS) -> WorkingCalendar:
        start = dt.date(2026, 3, 2)  # Mon
        days = [
            (start + dt.timedelta(days=i), (start + dt.timedelta(days=i)).weekday() < 5, "")
            for i in range(14)
        ]
        return WorkingCalendar(days, hours, "Asia/Ho_Chi_Minh")

    def test_province_office_hours(self):
        late_opening = self.week(OfficeHours(morning_start=dt.time(7, 30)))
        assert late_opening.minutes_per_day == 450
        assert late_opening.clock_start(vn(2026, 3, 4, 7, 10)) == vn(2026, 3, 4, 7, 30)
        assert late_opening.due_at(vn(2026, 3, 4, 7, 10), Decimal(1), WD) == vn(2026, 3, 4, 17)
        assert self.week().due_at(vn(2026, 3, 4, 7, 10), Decimal(1), WD) == vn(2026, 3, 5, 7, 10)

    def test_contiguity_is_required(self):
        with pytest.raises(ValueError, match="contiguous"):
            WorkingCalendar([(dt.date(2026, 3, 2), True, ""), (dt.date(2026, 3, 4), True, "")])

    def test_office_hours_must_be_ordered(self):
        with pytest.raises(ValueError):
            OfficeHours(morning_end=dt.time(14, 0))

    def test_sequence_numbers(self):
        cal = self.week()
        assert cal.next_working_day(dt.date(2026, 3, 6)) == dt.date(2026, 3, 9)
        assert cal.day(dt.date(2026, 3, 7)) == DayEntry(dt.date(2026, 3, 7), False, "")


class TestSources:
    def test_library_covers_the_tet_weekdays_so_the_fixture_need_not(self):
        library = statutory_holidays(2025, 2026)
        assert all(dt.date(2026, 2, d) in library for d in range(16, 21))  # Mon 16 – Fri 20 Feb 2026
        assert all(dt.date(2025, 1, d) in library for d in range(27, 32))  # Mon 27 – Fri 31 Jan 2025
        assert dt.date(2026, 8, 31) not in library  # the swap is not in the library: the fixture adds it

    def test_fixture_holds_the_announced_swaps(self):
        seed = read_default_seed()
        assert {(row.date, row.is_working) for row in seed.exceptions} == {
            (dt.date(2025, 4, 26), True),
            (dt.date(2025, 5, 2), False),
            (dt.date(2026, 8, 22), True),
            (dt.date(2026, 8, 31), False),
        }
        assert all(row.source for row in seed.exceptions)

    def test_composed_breaks(self, working_calendar):
        cal = working_calendar
        assert not any(cal.is_working_day(dt.date(2026, 2, d)) for d in range(14, 23))  # Tết 2026
        assert cal.is_working_day(dt.date(2026, 2, 13)) and cal.is_working_day(dt.date(2026, 2, 23))
        assert not any(cal.is_working_day(dt.date(2026, 8, 29) + dt.timedelta(days=i)) for i in range(5))
        assert cal.is_working_day(dt.date(2026, 8, 22))
        assert cal.is_working_day(dt.date(2025, 4, 26)) and not cal.is_working_day(dt.date(2025, 5, 2))
        assert cal.is_working_day(dt.date(2024, 5, 4))  # a make-up Saturday the library knows

    def test_later_layers_win(self):
        day = dt.date(2026, 8, 22)
        national = [ExceptionRow(day, True, "national make-up")]
        province = [ExceptionRow(day, False, "province keeps Saturday off")]
        (entry,) = compose_days(day, day, holiday_names={}, exception_layers=[national, province])
        assert entry == DayEntry(day, False, "day off: province keeps Saturday off")
        (entry,) = compose_days(day, day, holiday_names={}, exception_layers=[national])
        assert entry == DayEntry(day, True, "make-up working day: national make-up")


def test_agrees_with_the_day_by_day_baseline(working_calendar):
    """The lookup arithmetic and the naive walk must agree on a random realistic mix."""
    exceptions = {row.date: row.is_working for row in read_default_seed().exceptions}
    cases = generate_cases(3000, seed=random.Random(7).randrange(10**6))
    assert compare(working_calendar, naive_for(working_calendar, exceptions), cases) == []
