"""Deadline arithmetic over a materialised working calendar, with no database access.

A :class:`WorkingCalendar` is built from plain day rows (date, is_working, reason) and office hours.
Every instant maps to a *working position*: the number of working seconds elapsed since the start of
the calendar's range. Because each day carries its working-day sequence number, that position is a
couple of list lookups, and so is the way back from a position to an instant. A deadline is therefore
"position of the receipt + the limit in working seconds, turned back into an instant" — no loop over
days, whatever the limit — which is what lets a bulk import or a recalculation run at memory speed.

The product rules implemented here (see docs/domain.md, "Deadlines"):

* **Clock start.** Received during office hours on a working day: counting starts at the receipt
  instant. Before the morning start: that day's morning start. During lunch: the afternoon start. After
  the afternoon end or on a non-working day: the next working day's morning start.
* **WORKING_DAYS N** (N may be fractional, e.g. 0.5): N × the length of a working day (the two office
  periods, 480 minutes with the default hours) is added to the clock start. **WORKING_HOURS N**: N × 60
  minutes are added the same way. When the total exactly fills a period the due instant is that
  period's closing time (17:00, or 11:30), never the opening of the next period.
* **HALF_DAY** goes by office periods, as the rule is worded: a clock start in the morning period is due
  at that afternoon's end; a clock start in the afternoon (lunch-time receipts included) is due at the end
  of the next working morning. (WORKING_DAYS 0.5 is plain arithmetic instead: 240 minutes.)
* **SAME_DAY**: received on a working day before the same-day cutoff (15:00, including before opening)
  → due at that day's afternoon end; at/after the cutoff or on a non-working day → due at the end of the
  next working day.
* **CALENDAR_DAYS N**: the local date of receipt + N days; if that date is not a working day, the next
  working day; due at that day's afternoon end.
* Pauses (waiting for the applicant to supplement a file) never change the legal due date; they push an
  *effective* due date by the working time they lasted (:meth:`WorkingCalendar.effective_due_at`).

Working time is kept in whole seconds so that a receipt at 16:30:45 is due at hh:mm:45; the public API
speaks minutes. Sub-second parts of an instant are ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from django.utils import dateformat
from django.utils.translation import gettext as _

from apps.catalogue.models import TimeUnit
from apps.core.errors import DomainError, ErrorCode
from apps.workcalendar.reasons import translate_reason

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"

_ADD = 0  # add working seconds to the receipt's working position
_SAME_DAY = 1
_CALENDAR_DAYS = 2
_HALF_DAY = 3
_RULE_CACHE_LIMIT = 4096


class DayEntry(NamedTuple):
    """One day of a materialised calendar, as stored in ``CalendarDay`` or composed in memory."""

    date: dt.date
    is_working: bool
    reason: str = ""


@dataclass(frozen=True)
class OfficeHours:
    """The two office periods of a working day and the same-day cutoff; provinces may differ."""

    morning_start: dt.time = dt.time(7, 0)
    morning_end: dt.time = dt.time(11, 30)
    afternoon_start: dt.time = dt.time(13, 30)
    afternoon_end: dt.time = dt.time(17, 0)
    same_day_cutoff: dt.time = dt.time(15, 0)

    def __post_init__(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValueError(
                "Office hours must satisfy morning start < morning end <= afternoon start < afternoon end."
            )
        if not (self.morning_start <= self.same_day_cutoff <= self.afternoon_end):
            raise ValueError("The same-day cutoff must lie within office hours.")

    @property
    def minutes_per_day(self) -> int:
        """The length of one working day: N working days means N times this, whatever the province."""
        morning = _seconds(self.morning_end) - _seconds(self.morning_start)
        return (morning + _seconds(self.afternoon_end) - _seconds(self.afternoon_start)) // 60


DEFAULT_OFFICE_HOURS = OfficeHours()


class OutsideCalendarError(DomainError):
    """A date the calendar has not been materialised for: refusing beats guessing a deadline."""

    def __init__(self, day: dt.date | None, first: dt.date, last: dt.date, *, what: str = "") -> None:
        dates = {"first": first.isoformat(), "last": last.isoformat()}
        if day is None:
            message = _(
                "%(what)s falls after %(last)s: the working calendar covers %(first)s to %(last)s. "
                "An administrator must extend the calendar."
            ) % {**dates, "what": what or _("The deadline")}
        else:
            message = _(
                "%(what)s %(day)s is outside the working calendar: the working calendar covers %(first)s to "
                "%(last)s. An administrator must extend the calendar."
            ) % {**dates, "what": what or _("Date"), "day": day.isoformat()}
        super().__init__(ErrorCode.OUTSIDE_CALENDAR, message)
        self.day = day
        self.first = first
        self.last = last


@dataclass(frozen=True)
class NotableDay:
    date: dt.date
    reason: str


@dataclass(frozen=True)
class DeadlineExplanation:
    """Why a deadline is what it is, for the dossier page and for disputes with applicants."""

    received_at: dt.datetime
    clock_start: dt.datetime
    due_at: dt.datetime
    limit: Decimal
    unit: str
    rule: str
    working_minutes: int | None
    skipped_days: list[NotableDay] = field(default_factory=list)
    make_up_days: list[NotableDay] = field(default_factory=list)

    def as_text(self) -> str:
        """Plain-language lines in the active language; the API can show these verbatim."""
        lines = [
            _("Received %(at)s.") % {"at": _instant_text(self.received_at)},
            _("Counting starts %(at)s.") % {"at": _instant_text(self.clock_start)},
            self.rule,
        ]
        lines += [
            _("Skipped %(day)s: %(reason)s.") % {"day": _day_text(d.date), "reason": d.reason}
            for d in self.skipped_days
        ]
        lines += [
            _("Counted %(day)s: %(reason)s.") % {"day": _day_text(d.date), "reason": d.reason}
            for d in self.make_up_days
        ]
        lines.append(_("Due %(at)s.") % {"at": _instant_text(self.due_at)})
        return "\n".join(lines)


def _day_text(day: dt.date) -> str:
    """The day as "Mon 23 Nov 2026" in English, "Thứ 2, 23/11/2026" in Vietnamese (pattern in the catalogue)."""
    # Translators: a PHP-style date pattern (django.utils.dateformat): D weekday, d day, M month, Y year.
    return dateformat.format(day, _("D d M Y"))


def _instant_text(instant: dt.datetime) -> str:
    # Translators: a PHP-style date-time pattern (django.utils.dateformat); H:i is the 24-hour time.
    return dateformat.format(instant, _("D d M Y H:i"))


class _DayLike(Protocol):
    """Anything shaped like a ``CalendarDay`` row."""

    date: dt.date
    is_working: bool
    reason: str


def _entry(day: DayEntry | tuple[dt.date, bool, str] | _DayLike) -> DayEntry:
    if isinstance(day, tuple):
        return DayEntry(*day)
    return DayEntry(day.date, day.is_working, day.reason)


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _fmt_decimal(value: Decimal) -> str:
    return f"{value.normalize():f}"


class WorkingCalendar:
    """An immutable in-memory working calendar answering deadline questions in constant time.

    ``days`` must cover a contiguous range of dates (order does not matter). ``revision`` and ``code``
    are carried for the per-process cache in :mod:`apps.workcalendar.services`.
    """

    def __init__(
        self,
        days: Iterable[DayEntry | tuple[dt.date, bool, str] | _DayLike],
        hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        tz: str | dt.tzinfo = DEFAULT_TIME_ZONE,
        *,
        code: str = "default",
        revision: int = 0,
    ) -> None:
        entries = sorted((_entry(d) for d in days), key=lambda d: d.date)
        if not entries:
            raise ValueError("A working calendar needs at least one day.")
        first_ord = entries[0].date.toordinal()
        for index, entry in enumerate(entries):
            if entry.date.toordinal() != first_ord + index:
                raise ValueError(
                    f"Calendar days must be contiguous; the gap or duplicate is at {entry.date}."
                )
        self.code = code
        self.revision = revision
        self.hours = hours
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.first_date = entries[0].date
        self.last_date = entries[-1].date
        self._first_ord = first_ord
        self._n = len(entries)
        self._working = [e.is_working for e in entries]
        self._reasons = [e.reason for e in entries]
        # seq[i]: working days up to and including day i; by_seq[k]: index of the k-th working day.
        self._seq: list[int] = []
        self._by_seq: list[int] = [-1]
        for index, entry in enumerate(entries):
            if entry.is_working:
                self._by_seq.append(index)
            self._seq.append(len(self._by_seq) - 1)
        self._last_seq = len(self._by_seq) - 1
        self._midnights = [
            dt.datetime.combine(e.date, dt.time(0), tzinfo=self.tz) for e in entries
        ]  # wall-clock base of each day; + timedelta keeps local time
        self._ms = _seconds(hours.morning_start)
        self._me = _seconds(hours.morning_end)
        self._as = _seconds(hours.afternoon_start)
        self._ae = _seconds(hours.afternoon_end)
        self._cutoff = _seconds(hours.same_day_cutoff)
        self._morning_len = self._me - self._ms
        self._day_len = self._morning_len + self._ae - self._as
        self._rules: dict[tuple[object, object], tuple[int, int]] = {}

    # ------------------------------------------------------------------ introspection

    @property
    def minutes_per_day(self) -> int:
        """Length of a working day; a WORKING_DAYS limit is this many minutes per day, not 24 hours."""
        return self._day_len // 60

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self.code} r{self.revision} {self.first_date}..{self.last_date}>"

    def day(self, day: dt.date) -> DayEntry:
        """The stored row of a date, reason included, so callers can show why a day does not count."""
        index = self._index(day)
        return DayEntry(day, self._working[index], self._reasons[index])

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` counts; raises :class:`OutsideCalendarError` rather than guess outside the range."""
        return self._working[self._index(day)]

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return self._date(self._next_working_index(self._index(day)))

    # ------------------------------------------------------------------ core conversions

    def _index(self, day: dt.date) -> int:
        index = day.toordinal() - self._first_ord
        if not 0 <= index < self._n:
            raise OutsideCalendarError(day, self.first_date, self.last_date)
        return index

    def _date(self, index: int) -> dt.date:
        return dt.date.fromordinal(self._first_ord + index)

    def _next_working_index(self, index: int) -> int:
        k = self._seq[index] + 1
        if k > self._last_seq:
            raise OutsideCalendarError(None, self.first_date, self.last_date, what=_("The next working day"))
        return self._by_seq[k]

    def _local(self, instant: dt.datetime) -> dt.datetime:
        if instant.tzinfo is None:
            raise ValueError(f"An aware datetime is required, got naive {instant!r}.")
        return instant.astimezone(self.tz)

    def _position(self, instant: dt.datetime) -> int:
        """Working seconds from the start of the range up to ``instant`` (monotone in ``instant``)."""
        local = self._local(instant)
        index = local.toordinal() - self._first_ord
        if not 0 <= index < self._n:
            raise OutsideCalendarError(local.date(), self.first_date, self.last_date)
        seq = self._seq[index]
        if not self._working[index]:
            return seq * self._day_len
        base = (seq - 1) * self._day_len
        s = local.hour * 3600 + local.minute * 60 + local.second
        if s <= self._ms:
            return base
        if s < self._me:
            return base + s - self._ms
        if s < self._as:
            return base + self._morning_len
        if s < self._ae:
            return base + self._morning_len + s - self._as
        return base + self._day_len

    def _instant_at(self, position: int) -> dt.datetime:
        """The earliest instant whose working position is ``position`` (> 0).

        "Earliest" is what makes a total that exactly fills a period end at that period's closing time
        (11:30, 17:00) rather than at the next opening.
        """
        k = (position - 1) // self._day_len + 1
        if k > self._last_seq:
            raise OutsideCalendarError(None, self.first_date, self.last_date)
        r = position - (k - 1) * self._day_len
        second = self._ms + r if r <= self._morning_len else self._as + r - self._morning_len
        return self._midnights[self._by_seq[k]] + dt.timedelta(seconds=second)

    def _at(self, index: int, second: int) -> dt.datetime:
        return self._midnights[index] + dt.timedelta(seconds=second)

    # ------------------------------------------------------------------ rules

    def _compile(self, limit: Decimal | int, unit: str) -> tuple[int, int]:
        """Turn (limit, unit) into (kind, amount) once; repeated limits hit the cache."""
        amount = Decimal(limit)
        if amount < 0:
            raise ValueError(f"A time limit cannot be negative: {limit}.")
        if unit == TimeUnit.WORKING_DAYS:
            # Rounded up to the second so that an odd fraction never shortens a limit.
            rule = (_ADD, int((amount * self._day_len).to_integral_value(ROUND_CEILING)))
        elif unit == TimeUnit.WORKING_HOURS:
            rule = (_ADD, int((amount * 3600).to_integral_value(ROUND_CEILING)))
        elif unit == TimeUnit.HALF_DAY:
            rule = (_HALF_DAY, 0)
        elif unit == TimeUnit.SAME_DAY:
            rule = (_SAME_DAY, 0)
        elif unit == TimeUnit.CALENDAR_DAYS:
            if amount != amount.to_integral_value():
                raise ValueError(f"A calendar-day limit must be a whole number of days: {limit}.")
            rule = (_CALENDAR_DAYS, int(amount))
        else:
            raise ValueError(f"Unknown time unit {unit!r}.")
        if len(self._rules) >= _RULE_CACHE_LIMIT:
            self._rules.clear()
        self._rules[(limit, unit)] = rule
        return rule

    def clock_start(self, received_at: dt.datetime) -> dt.datetime:
        """Where counting of working time really starts for a receipt (see the module rules)."""
        local = self._local(received_at)
        index = self._index(local.date())
        s = local.hour * 3600 + local.minute * 60 + local.second
        if self._working[index]:
            if s < self._ms:
                return self._at(index, self._ms)
            if s < self._me or self._as <= s < self._ae:
                return local.replace(microsecond=0)
            if s < self._as:
                return self._at(index, self._as)
        return self._at(self._next_working_index(index), self._ms)

    def due_at(self, received_at: dt.datetime, limit: Decimal | int, unit: str) -> dt.datetime:
        """The legal due instant of a dossier received at ``received_at`` (local time zone out).

        This is the hot path of imports and recalculations: a rule-cache hit, two list lookups and
        one datetime construction.
        """
        try:
            kind, amount = self._rules[(limit, unit)]
        except KeyError:
            kind, amount = self._compile(limit, unit)
        if kind == _ADD:
            if amount == 0:
                return self.clock_start(received_at)
            return self._instant_at(self._position(received_at) + amount)
        if kind == _HALF_DAY:
            return self._half_day_due(received_at)
        local = self._local(received_at)
        index = local.toordinal() - self._first_ord
        if not 0 <= index < self._n:
            raise OutsideCalendarError(local.date(), self.first_date, self.last_date)
        if kind == _SAME_DAY:
            s = local.hour * 3600 + local.minute * 60 + local.second
            if not (self._working[index] and s < self._cutoff):
                index = self._next_working_index(index)
            return self._midnights[index] + dt.timedelta(seconds=self._ae)
        index += amount
        if index >= self._n:
            raise OutsideCalendarError(
                self._date(self._n - 1) + dt.timedelta(days=index - self._n + 1),
                self.first_date,
                self.last_date,
                what=_("Due date"),
            )
        if not self._working[index]:
            index = self._next_working_index(index)
        return self._midnights[index] + dt.timedelta(seconds=self._ae)

    def _half_day_due(self, received_at: dt.datetime) -> dt.datetime:
        # A position that ends one day is the start of the next working morning, hence floor division.
        position = self._position(received_at)
        k, offset = position // self._day_len + 1, position % self._day_len
        if k > self._last_seq:
            raise OutsideCalendarError(None, self.first_date, self.last_date, what=_("The next working day"))
        if offset < self._morning_len:
            return self._midnights[self._by_seq[k]] + dt.timedelta(seconds=self._ae)
        if k + 1 > self._last_seq:
            raise OutsideCalendarError(None, self.first_date, self.last_date, what=_("The next working day"))
        return self._midnights[self._by_seq[k + 1]] + dt.timedelta(seconds=self._me)

    def explain(self, received_at: dt.datetime, limit: Decimal | int, unit: str) -> DeadlineExplanation:
        """The due date plus the reasoning behind it: clock start, rule, skipped and make-up days.

        Make-up days are working days carrying a reason (e.g. a make-up Saturday) that fell inside the
        counted span. This walks the span day by day, which is fine: it is for people, not bulk work.
        """
        due = self.due_at(received_at, limit, unit)
        kind, amount = self._rules.get((limit, unit)) or self._compile(limit, unit)
        local = self._local(received_at)
        limit_text = _fmt_decimal(Decimal(limit))
        working_minutes: int | None = None
        if kind == _HALF_DAY:
            start = self.clock_start(received_at)
            in_morning = start.date() == due.date()
            rule = (
                _("Half a day: the clock starts in the morning, so due at the end of that afternoon.")
                if in_morning
                else _(
                    "Half a day: the clock starts in the afternoon, so due at the end of the next working "
                    "morning."
                )
            )
            skipped_from = local.date()
        elif kind == _ADD:
            start = self.clock_start(received_at)
            working_minutes = amount // 60
            if unit == TimeUnit.WORKING_HOURS:
                measure = _("%(limit)s working hour(s)") % {"limit": limit_text}
            else:
                measure = _("%(limit)s working day(s) × %(minutes)s min") % {
                    "limit": limit_text,
                    "minutes": self._day_len // 60,
                }
            rule = _(
                "%(measure)s = %(minutes)s working minutes counted from the clock start; Saturdays, "
                "Sundays and days off are skipped, make-up working days count; a period filled exactly "
                "ends at its closing time."
            ) % {"measure": measure, "minutes": f"{amount / 60:g}"}
            skipped_from = local.date()
        elif kind == _SAME_DAY:
            s = local.hour * 3600 + local.minute * 60 + local.second
            index = self._index(local.date())
            if self._working[index] and s < self._cutoff:
                start = self.clock_start(received_at)
                rule = _(
                    "Same day: received on a working day before %(cutoff)s, so due at %(end)s that day."
                ) % {
                    "cutoff": f"{self.hours.same_day_cutoff:%H:%M}",
                    "end": f"{self.hours.afternoon_end:%H:%M}",
                }
            else:
                start = self._at(self._next_working_index(index), self._ms)
                rule = _(
                    "Same day: received on a non-working day or at/after %(cutoff)s, so due at %(end)s "
                    "on the next working day."
                ) % {
                    "cutoff": f"{self.hours.same_day_cutoff:%H:%M}",
                    "end": f"{self.hours.afternoon_end:%H:%M}",
                }
            skipped_from = local.date()
        else:
            start = local.replace(microsecond=0)
            nominal = local.date() + dt.timedelta(days=amount)
            counted = {
                "limit": limit_text,
                "start": dateformat.format(local.date(), _("d M Y")),
                "nominal": dateformat.format(nominal, _("d M Y")),
                "reason": translate_reason(self.day(nominal).reason),
                "end": f"{self.hours.afternoon_end:%H:%M}",
            }
            if nominal != due.date():
                rule = (
                    _(
                        "%(limit)s calendar day(s) from %(start)s = %(nominal)s, not a working day (%(reason)s), "
                        "so the next working day; due at closing time %(end)s."
                    )
                    % counted
                )
            else:
                rule = (
                    _("%(limit)s calendar day(s) from %(start)s = %(nominal)s; due at closing time %(end)s.")
                    % counted
                )
            skipped_from = nominal
        skipped: list[NotableDay] = []
        make_up: list[NotableDay] = []
        day = skipped_from
        while day <= due.date():
            entry = self.day(day)
            if not entry.is_working and (kind != _CALENDAR_DAYS or day < due.date()):
                skipped.append(NotableDay(day, translate_reason(entry.reason or "non-working day")))
            elif entry.is_working and entry.reason and kind != _CALENDAR_DAYS and day >= start.date():
                make_up.append(NotableDay(day, translate_reason(entry.reason)))
            day += dt.timedelta(days=1)
        return DeadlineExplanation(
            received_at=local,
            clock_start=start,
            due_at=due,
            limit=Decimal(limit),
            unit=str(unit),
            rule=rule,
            working_minutes=working_minutes,
            skipped_days=skipped,
            make_up_days=make_up,
        )

    # ------------------------------------------------------------------ working time

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole working minutes between two instants; 0 when ``end`` is not after ``start``."""
        if end <= start:
            return 0
        return (self._position(end) - self._position(start)) // 60

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The instant ``minutes`` of working time after ``start`` (ends at a closing time if exact)."""
        if minutes < 0:
            raise ValueError("Cannot add a negative amount of working time.")
        if minutes == 0:
            return self._local(start)
        return self._instant_at(self._position(start) + minutes * 60)

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> Decimal:
        """Working time between two instants in working days (2 decimals), for average durations."""
        if end <= start:
            return Decimal("0.00")
        seconds = self._position(end) - self._position(start)
        return (Decimal(seconds) / self._day_len).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def effective_due_at(
        self,
        legal_due_at: dt.datetime,
        pauses: Sequence[tuple[dt.datetime, dt.datetime | None]],
    ) -> dt.datetime | None:
        """The legal due date pushed by the working time of every closed pause.

        Returns None while a pause is still open: nobody can know the effective date yet, and showing
        the legal one would wrongly flag the dossier as late. Overlapping pauses are merged so that the
        same stretch of time is never granted twice. The legal due date itself is not changed.
        """
        if any(end is None for _, end in pauses):
            return None
        spans = sorted((start, end) for start, end in pauses if end is not None and end > start)
        total = 0
        current_start: dt.datetime | None = None
        current_end: dt.datetime | None = None
        for start, end in spans:
            if current_end is not None and start <= current_end:
                current_end = max(current_end, end)
                continue
            if current_start is not None and current_end is not None:
                total += self._position(current_end) - self._position(current_start)
            current_start, current_end = start, end
        if current_start is not None and current_end is not None:
            total += self._position(current_end) - self._position(current_start)
        if total == 0:
            return self._local(legal_due_at)
        return self._instant_at(self._position(legal_due_at) + total)
