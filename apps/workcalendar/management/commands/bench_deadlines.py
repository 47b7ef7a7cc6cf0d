"""Benchmark ``WorkingCalendar.due_at`` against the obvious day-by-day implementation.

The baseline is what one would write without a materialised calendar: walk forward one day at a time,
ask the ``holidays`` package (and the exception table, pre-loaded in a dict) whether each day works, and
consume office periods until the limit is used up. It must give identical answers — the command checks
that on a sample before timing anything — so the ratio compares two correct implementations.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any

import holidays
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalogue.models import TimeUnit
from apps.workcalendar.deadlines import OfficeHours, WorkingCalendar
from apps.workcalendar.services import calendar_for_unit, clear_calendar_cache, ensure_default_calendar
from apps.workcalendar.sources import COUNTRY, HOLIDAY_LANGUAGE

Case = tuple[dt.datetime, Decimal, TimeUnit]

FIRST_YEAR, LAST_YEAR = 2024, 2028
RECEIPT_FIRST, RECEIPT_LAST = dt.date(2025, 1, 1), dt.date(2026, 12, 31)


class NaiveDeadlines:
    """Day-by-day reference implementation of the same rules (see :mod:`apps.workcalendar.deadlines`)."""

    def __init__(
        self,
        hours: OfficeHours,
        tz: dt.tzinfo,
        exceptions: dict[dt.date, bool],
        first_year: int,
        last_year: int,
    ) -> None:
        self.tz = tz
        self.exceptions = exceptions
        self.holidays = holidays.country_holidays(
            COUNTRY, years=range(first_year, last_year + 1), language=HOLIDAY_LANGUAGE
        )
        self.make_up = set(getattr(self.holidays, "weekend_workdays", ()))

        def sec(t: dt.time) -> int:
            return t.hour * 3600 + t.minute * 60 + t.second

        self.periods = [
            (sec(hours.morning_start), sec(hours.morning_end)),
            (sec(hours.afternoon_start), sec(hours.afternoon_end)),
        ]
        self.day_len = sum(end - start for start, end in self.periods)
        self.closing = sec(hours.afternoon_end)
        self.cutoff = sec(hours.same_day_cutoff)

    def is_working(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        if day in self.holidays:
            return False
        if day.weekday() >= 5:
            return day in self.make_up
        return True

    def _at(self, day: dt.date, seconds: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.tz) + dt.timedelta(seconds=seconds)

    def _next_working(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.is_working(day):
            day += dt.timedelta(days=1)
        return day

    def due_at(self, received_at: dt.datetime, limit: Decimal, unit: str) -> dt.datetime:
        local = received_at.astimezone(self.tz)
        day = local.date()
        cursor = local.hour * 3600 + local.minute * 60 + local.second
        if unit == TimeUnit.CALENDAR_DAYS:
            day += dt.timedelta(days=int(limit))
            if not self.is_working(day):
                day = self._next_working(day)
            return self._at(day, self.closing)
        if unit == TimeUnit.SAME_DAY:
            if not (self.is_working(day) and cursor < self.cutoff):
                day = self._next_working(day)
            return self._at(day, self.closing)
        if unit == TimeUnit.HALF_DAY:
            (_, morning_end), (_, afternoon_end) = self.periods
            while not self.is_working(day) or cursor >= afternoon_end:
                day, cursor = day + dt.timedelta(days=1), 0
            if cursor < morning_end:
                return self._at(day, afternoon_end)
            return self._at(self._next_working(day), morning_end)
        if unit == TimeUnit.WORKING_DAYS:
            remaining = int((limit * self.day_len).to_integral_value(ROUND_CEILING))
        else:
            remaining = int((limit * 3600).to_integral_value(ROUND_CEILING))
        while True:
            if self.is_working(day):
                for start, end in self.periods:
                    start = max(start, cursor)
                    if start >= end:
                        continue
                    if remaining <= end - start:
                        return self._at(day, start + remaining)
                    remaining -= end - start
            day += dt.timedelta(days=1)
            cursor = 0


def generate_cases(n: int, seed: int) -> list[Case]:
    """Receipts over 2025–2026, mostly in office hours but also at night and on weekends, as UTC
    instants (what the database hands back), with the catalogue's mix of time limits."""
    rng = random.Random(seed)
    tz = dt.UTC
    span_days = (RECEIPT_LAST - RECEIPT_FIRST).days + 1
    base = dt.datetime.combine(RECEIPT_FIRST, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=7)))
    working_day_limits = [Decimal("0.5")] + [Decimal(k) for k in range(1, 31)]
    cases: list[Case] = []
    for _ in range(n):
        day = rng.randrange(span_days)
        if rng.random() < 0.8:
            second = rng.randrange(6 * 3600 + 1800, 17 * 3600 + 1800)  # around office hours
        else:
            second = rng.randrange(86400)
        received = (base + dt.timedelta(days=day, seconds=second)).astimezone(tz)
        pick = rng.random()
        if pick < 0.70:
            limit, unit = rng.choice(working_day_limits), TimeUnit.WORKING_DAYS
        elif pick < 0.80:
            limit, unit = Decimal(rng.randint(4, 40)), TimeUnit.WORKING_HOURS
        elif pick < 0.90:
            limit, unit = Decimal(rng.randint(5, 60)), TimeUnit.CALENDAR_DAYS
        elif pick < 0.95:
            limit, unit = Decimal(0), TimeUnit.SAME_DAY
        else:
            limit, unit = Decimal("0.5"), TimeUnit.HALF_DAY
        cases.append((received, limit, unit))
    return cases


def naive_for(calendar: WorkingCalendar, exceptions: dict[dt.date, bool]) -> NaiveDeadlines:
    return NaiveDeadlines(calendar.hours, calendar.tz, exceptions, FIRST_YEAR, LAST_YEAR)


def compare(calendar: WorkingCalendar, naive: NaiveDeadlines, cases: Sequence[Case]) -> list[str]:
    """Descriptions of the cases where the two implementations disagree (empty when all agree)."""
    mismatches = []
    for received, limit, unit in cases:
        fast, slow = calendar.due_at(received, limit, unit), naive.due_at(received, limit, unit)
        if fast != slow:
            mismatches.append(f"{received.isoformat()} {limit} {unit}: lookup {fast} != naive {slow}")
    return mismatches


class Command(BaseCommand):
    help = "Time due_at() over a realistic mix of receipts and compare with a day-by-day baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--n", type=int, default=200_000, help="Receipts to time (default 200,000).")
        parser.add_argument(
            "--sample", type=int, default=2_000, help="Receipts checked against the baseline."
        )
        parser.add_argument(
            "--repeat", type=int, default=3, help="Timed passes over the mix; the best counts."
        )
        parser.add_argument("--seed", type=int, default=766)

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _progress(self, label: str, done: int, total: int) -> None:
        """Overwrite one line on a terminal; in a log, one line per quarter so it stays readable."""
        text = f"  {label}: {done * 100 // total:3d}% ({done:,}/{total:,})"
        if self.stdout.isatty():
            self.stdout.write("\r" + text, ending="\n" if done == total else "")
            self.stdout.flush()
            return
        quarter = done * 4 // total
        if quarter > self._printed.get(label, 0):
            self._printed[label] = quarter
            self._say(text)

    def handle(self, *args: Any, **options: Any) -> None:
        self._printed: dict[str, int] = {}
        n, sample_size, repeat = options["n"], options["sample"], max(1, options["repeat"])
        sample_size = min(sample_size, n)
        self._say(
            f"bench_deadlines: n={n:,} sample={sample_size:,} repeat={repeat} | Python {platform.python_version()}"
            f" | {platform.machine()} | {os.cpu_count()} CPUs"
        )

        started = time.perf_counter()
        calendar_row = ensure_default_calendar(FIRST_YEAR, LAST_YEAR)
        clear_calendar_cache()
        calendar = calendar_for_unit(None)
        exceptions = dict(calendar_row.exceptions.values_list("date", "is_working"))
        self._say(
            f"calendar {calendar.code} r{calendar.revision} {calendar.first_date}..{calendar.last_date} "
            f"loaded in {time.perf_counter() - started:.3f} s"
        )

        cases = generate_cases(n, options["seed"])
        self._say(f"generated {n:,} receipts over {RECEIPT_FIRST}..{RECEIPT_LAST}")

        # Correctness first: the ratio means nothing if the baseline answers differently.
        naive = naive_for(calendar, exceptions)
        sample = cases[:sample_size]
        mismatches = compare(calendar, naive, sample)
        if mismatches:
            raise CommandError(f"{len(mismatches)} mismatches, e.g.\n  " + "\n  ".join(mismatches[:5]))
        self._say(f"checked: {sample_size:,}/{sample_size:,} sample due dates identical to the baseline")

        due_at = calendar.due_at
        chunk = max(1, math.ceil(n / 20))
        passes: list[float] = []
        for number in range(1, repeat + 1):
            elapsed = 0.0
            for offset in range(0, n, chunk):
                part = cases[offset : offset + chunk]
                t0 = time.perf_counter()
                for received, limit, unit in part:
                    due_at(received, limit, unit)
                elapsed += time.perf_counter() - t0
                self._progress(f"lookup pass {number}/{repeat}", min(n, offset + chunk), n)
            passes.append(elapsed)
            self._say(f"  lookup pass {number}/{repeat}: {elapsed:.3f} s")
        best = min(passes)
        fast_us = best / n * 1e6

        naive_due = naive.due_at
        chunk = max(1, math.ceil(sample_size / 4))
        naive_passes: list[float] = []
        for number in range(1, repeat + 1):
            elapsed = 0.0
            for offset in range(0, sample_size, chunk):
                part = sample[offset : offset + chunk]
                t0 = time.perf_counter()
                for received, limit, unit in part:
                    naive_due(received, limit, unit)
                elapsed += time.perf_counter() - t0
                self._progress(f"naive pass {number}/{repeat}", min(sample_size, offset + chunk), sample_size)
            naive_passes.append(elapsed)
            self._say(f"  naive pass {number}/{repeat}: {elapsed:.3f} s")
        naive_us = min(naive_passes) / sample_size * 1e6
        ratio = naive_us / fast_us

        self._say("")
        self._say(f"{'':26}{'µs/call':>10}{'deadlines/s':>14}{'time for n':>13}")
        self._say(
            f"{'lookup (WorkingCalendar)':26}{fast_us:>10.2f}{1e6 / fast_us:>14,.0f}{best:>12.2f}s"
            f"   passes: {', '.join(f'{p:.3f}' for p in passes)} s; median {statistics.median(passes):.3f} s"
        )
        self._say(
            f"{'naive day-by-day':26}{naive_us:>10.2f}{1e6 / naive_us:>14,.0f}{naive_us * n / 1e6:>12.2f}s"
            f"   best of {repeat} passes over {sample_size:,}, extrapolated to n"
        )
        self._say(
            f"SUMMARY n={n:,}: lookup {fast_us:.2f} µs/call ({1e6 / fast_us:,.0f}/s), naive {naive_us:.2f} µs/call "
            f"({1e6 / naive_us:,.0f}/s), {ratio:.1f}x faster; {sample_size:,}/{sample_size:,} sample results identical"
        )
